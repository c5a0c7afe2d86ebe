//! The calendar: providers side by side for a day (the default), one
//! provider's week, and a month overview, in the business's zone. Click a
//! free time to book, drag an appointment to another time or provider, or
//! open it to change, cancel or mark it. The last view used is remembered
//! per person.

mod booking;
mod cards;
mod details;
mod finder;
mod grid;
mod keys;
mod lanes;
mod month;
mod remember;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use frontdesk::domain::{
    live::Topic,
    records::{AppointmentStatus, Scope},
    views::{AppointmentView, CalendarView},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::{
    components::{
        screen::{cookies, use_screen, Screen},
        time::{now, zone},
    },
    fns::scheduling::{
        load_calendar, Book, Cancel, EditAppointment, EditForm, Reschedule, SetStatus, UndoCancel,
    },
    layout::use_me,
    live::use_live,
};

/// The ways of looking at the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mode {
    /// Providers side by side for one day.
    Day,
    /// One provider's week.
    Week,
    Month,
}

impl Mode {
    const ALL: [Mode; 3] = [Mode::Day, Mode::Week, Mode::Month];

    /// The view an address or a remembered choice names ("providers" is
    /// the old name of the day view).
    fn parse(text: &str) -> Option<Mode> {
        match text {
            "day" | "providers" => Some(Mode::Day),
            "week" => Some(Mode::Week),
            "month" => Some(Mode::Month),
            _ => None,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Mode::Day => "day",
            Mode::Week => "week",
            Mode::Month => "month",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Mode::Day => "Day",
            Mode::Week => "Week",
            Mode::Month => "Month",
        }
    }

    /// The first day shown and how many, for a view around `date`.
    fn range(self, date: NaiveDate) -> (NaiveDate, i64) {
        let monday = |d: NaiveDate| d - Duration::days(d.weekday().num_days_from_monday().into());
        match self {
            Mode::Day => (date, 1),
            Mode::Week => (monday(date), 7),
            Mode::Month => (monday(date.with_day(1).unwrap_or(date)), 42),
        }
    }

    /// The date one step back or forward.
    fn step(self, date: NaiveDate, forward: bool) -> NaiveDate {
        let sign = if forward { 1 } else { -1 };
        match self {
            Mode::Day => date + Duration::days(sign),
            Mode::Week => date + Duration::days(7 * sign),
            Mode::Month => {
                let first = date.with_day(1).unwrap_or(date);
                if forward {
                    first + Duration::days(32)
                } else {
                    first - Duration::days(1)
                }
                .with_day(1)
                .unwrap_or(first)
            }
        }
    }
}

/// What the address says the calendar shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The view the address names; none: the remembered one, or the day.
    pub view: Option<Mode>,
    pub date: Option<NaiveDate>,
    pub provider: Option<Uuid>,
    /// Every provider's column in the day view, working that day or not.
    pub everyone: bool,
    pub resource: Option<Uuid>,
    pub client: Option<Uuid>,
}

impl Query {
    fn href(&self, mode: Mode, date: NaiveDate) -> String {
        let mut href = format!("/calendar?view={}&date={date}", mode.key());
        if let Some(p) = self.provider {
            href.push_str(&format!("&provider={p}"));
        } else if self.everyone {
            href.push_str("&provider=all");
        }
        if let Some(r) = self.resource {
            href.push_str(&format!("&resource={r}"));
        }
        if let Some(c) = self.client {
            href.push_str(&format!("&client={c}"));
        }
        href
    }
}

/// The slot a booking starts from: a local date and time, and maybe a
/// provider and a service (when the free-time finder offered it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    pub at: NaiveDateTime,
    pub provider: Option<Uuid>,
    pub service: Option<Uuid>,
}

/// What the calendar's parts share.
#[derive(Clone, Copy)]
pub struct Desk {
    pub booking: RwSignal<Option<Slot>>,
    pub selected: RwSignal<Option<AppointmentView>>,
    pub book: ServerAction<Book>,
    pub reschedule: ServerAction<Reschedule>,
    pub cancel: ServerAction<Cancel>,
    pub set_status: ServerAction<SetStatus>,
    pub edit: ServerAction<EditAppointment>,
    /// The appointment being dragged.
    pub dragging: RwSignal<Option<Uuid>>,
    /// What the calendar has to say about the last drop (a refusal's reason).
    pub notice: RwSignal<Option<String>>,
    /// The calendar last loaded: what dialogs book with and drops move.
    pub latest: RwSignal<Option<CalendarView>>,
    /// The last cancellation or no-show, while it can be taken back.
    pub undo: RwSignal<Option<Undo>>,
    pub undo_cancel: ServerAction<UndoCancel>,
    /// A phone's or not: the grid and the phone's agenda are drawn only
    /// for the screen that shows them.
    pub screen: Signal<Screen>,
}

/// What "Undo" takes back: a cancellation, or a status change.
#[derive(Debug, Clone, PartialEq)]
pub struct Undo {
    pub text: String,
    pub id: Uuid,
    pub back_to: AppointmentStatus,
    pub cancelled: bool,
}

/// How long "Undo" is offered (the cancellation email waits longer).
const UNDO_SECONDS: u64 = 10;

impl Desk {
    /// Moves a dropped appointment: to a new time with its provider, or to
    /// another provider's column (then with the same service and rooms).
    pub fn drop_at(&self, id: Uuid, starts_at: DateTime<Utc>, provider: Uuid) {
        let Some(a) = self.latest.with_untracked(|view| {
            view.as_ref()
                .and_then(|v| v.appointments.iter().find(|a| a.id == id).cloned())
        }) else {
            return;
        };
        self.notice.set(None);
        if a.provider_id == provider {
            if a.starts_at != starts_at {
                self.reschedule.dispatch(Reschedule {
                    id,
                    starts_at,
                    override_reason: None,
                    scope: Scope::This,
                });
            }
        } else {
            self.edit.dispatch(EditAppointment {
                id,
                form: EditForm {
                    service_id: a.service_id,
                    provider_id: provider,
                    resource_ids: a.resource_ids.clone(),
                    starts_at,
                    notes: a.notes.clone(),
                    override_reason: None,
                },
            });
        }
    }
}

/// What one load of the calendar shows.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Shown {
    mode: Mode,
    date: NaiveDate,
    from: NaiveDate,
    days: i64,
    view: CalendarView,
    /// The provider whose week is shown.
    week_of: Option<Uuid>,
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let q = query_map.read();
        let id = |key: &str| q.get(key).and_then(|v| v.parse::<Uuid>().ok());
        Query {
            view: q.get("view").as_deref().and_then(Mode::parse),
            date: q.get("date").and_then(|d| d.parse().ok()),
            provider: id("provider"),
            everyone: q.get("provider").as_deref() == Some("all"),
            resource: id("resource"),
            client: id("client"),
        }
    });
    let me = use_me();
    let desk = Desk {
        booking: RwSignal::new(None),
        selected: RwSignal::new(None),
        book: ServerAction::new(),
        reschedule: ServerAction::new(),
        cancel: ServerAction::new(),
        set_status: ServerAction::new(),
        edit: ServerAction::new(),
        dragging: RwSignal::new(None),
        notice: RwSignal::new(None),
        latest: RwSignal::new(None),
        undo: RwSignal::new(None),
        undo_cancel: ServerAction::new(),
        screen: use_screen(),
    };
    provide_context(desk);
    // On the server, the request's cookies; the browser reads its own when it loads.
    let request_cookies = cookies();
    let live = use_live();
    let calendar = Resource::new(
        move || {
            (
                query.get(),
                desk.book.version().get(),
                desk.reschedule.version().get(),
                desk.cancel.version().get(),
                desk.set_status.version().get(),
                desk.edit.version().get(),
                desk.undo_cancel.version().get(),
                live.versions(&[Topic::Appointments, Topic::Catalog, Topic::Settings]),
            )
        },
        move |(q, ..)| {
            let cookies = if cfg!(feature = "hydrate") {
                cookies()
            } else {
                request_cookies.clone()
            };
            async move {
                let who = me.await.ok().flatten();
                let tz = zone(
                    &who.as_ref()
                        .map(|m| m.tenant.time_zone.clone())
                        .unwrap_or_default(),
                );
                let user = who.as_ref().map(|m| m.user_id);
                let mode = q
                    .view
                    .or_else(|| user.and_then(|u| remember::remembered(&cookies, u)))
                    .unwrap_or(Mode::Day);
                let date = q
                    .date
                    .unwrap_or_else(|| now().with_timezone(&tz).date_naive());
                let (from, days) = mode.range(date);
                // A week is one provider's: only their appointments are loaded.
                let week = mode == Mode::Week;
                let view = load_calendar(from, days, q.provider, q.resource, week).await?;
                let week_of = if week { view.shown_provider } else { None };
                Ok::<_, crate::errors::UiError>(Shown {
                    mode,
                    date,
                    from,
                    days,
                    view,
                    week_of,
                })
            }
        },
    );
    // A refused drop says why; the block stays where it was.
    Effect::new(move |_| {
        let refused = desk
            .edit
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| desk.reschedule.value().get().and_then(|r| r.err()));
        if let Some(e) = refused {
            if desk.selected.get_untracked().is_none() {
                desk.notice.set(Some(format!("Not moved. {}", e.message)));
            }
        }
    });
    // The dialogs live outside the reloading part: a failed booking keeps
    // its dialog, its choices and its error while the calendar refreshes.
    let latest = desk.latest;
    let dialogs = move || {
        let booking = desk.booking.get().and_then(|slot| {
            latest.get_untracked().map(|view| {
                let client = query.get_untracked().client;
                view! { <booking::BookingDialog start=slot view client /> }
            })
        });
        let details = desk.selected.get().map(|a| {
            let view = latest.get_untracked().unwrap_or_default();
            view! { <details::Details appointment=a view /> }
        });
        (booking, details)
    };
    view! {
        <Title text="Calendar" />
        <h1>"Calendar"</h1>
        {move || desk.notice.get().map(|text| view! {
            <div class="form-error banner" role="alert" data-testid="calendar-notice">
                <p>{text}</p>
                <button type="button" class="link" on:click=move |_| desk.notice.set(None)>"Dismiss"</button>
            </div>
        })}
        <UndoToast />
        // A Transition: changes (live ones too) redraw the grid in place;
        // the dialogs sit outside it and keep what is typed.
        <Transition fallback=|| view! { <p>"Loading the calendar…"</p> }>
            {move || { desk.screen.track(); Suspend::new(async move {
                let q = query.get_untracked();
                match calendar.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok(shown) => {
                        latest.set(Some(shown.view.clone()));
                        if let (Some(mode), Some(user)) = (q.view, me.get_untracked().and_then(|r| r.ok()).flatten().map(|m| m.user_id)) {
                            remember::remember(user, mode);
                        }
                        view! {
                            <Toolbar q=q.clone() shown=shown.clone() />
                            <finder::Finder view=shown.view.clone() from=shown.date />
                            <Body q shown />
                        }.into_any()
                    }
                }
            })}}
        </Transition>
        {dialogs}
    }
}

/// "Cancelled Ann at 10:00. Undo", for a few seconds.
#[component]
fn UndoToast() -> impl IntoView {
    let desk = expect_context::<Desk>();
    Effect::new(move |_| {
        if let Some(shown) = desk.undo.get() {
            set_timeout(
                move || {
                    if desk.undo.get_untracked().as_ref() == Some(&shown) {
                        desk.undo.set(None);
                    }
                },
                std::time::Duration::from_secs(UNDO_SECONDS),
            );
        }
    });
    let take_back = move |_| {
        if let Some(u) = desk.undo.get_untracked() {
            if u.cancelled {
                desk.undo_cancel.dispatch(UndoCancel {
                    id: u.id,
                    back_to: u.back_to,
                });
            } else {
                desk.set_status.dispatch(SetStatus {
                    id: u.id,
                    status: u.back_to,
                });
            }
            desk.undo.set(None);
        }
    };
    view! {
        <div class="toast-region" role="status" aria-live="polite">
            {move || desk.undo.get().map(|u| view! {
                <div class="toast" data-testid="undo">
                    <span>{u.text}</span>
                    <button type="button" on:click=take_back>"Undo"</button>
                </div>
            })}
            {move || desk.undo_cancel.value().get().and_then(|r| r.err()).map(|e| view! {
                <div class="toast form-error">{format!("Not restored. {}", e.message)}</div>
            })}
        </div>
    }
}

#[component]
fn Toolbar(q: Query, shown: Shown) -> AnyView {
    let Shown {
        mode,
        date,
        view,
        week_of,
        ..
    } = shown;
    let today = now().with_timezone(&zone(&view.time_zone)).date_naive();
    let title = match mode {
        Mode::Day => date.format("%A %-d %B %Y").to_string(),
        Mode::Week => {
            let (from, _) = mode.range(date);
            format!("Week of {}", from.format("%-d %B %Y"))
        }
        Mode::Month => date.format("%B %Y").to_string(),
    };
    let chosen = if mode == Mode::Week {
        week_of
    } else {
        q.provider
    };
    let desk = expect_context::<Desk>();
    let step = i64::from(view.step_minutes.clamp(5, 60));
    let tz = zone(&view.time_zone);
    // A new appointment starts at the next step from now today, else at nine.
    let new_slot = move || {
        let local = now().with_timezone(&tz).naive_local();
        let at = if local.date() == date {
            let minutes = i64::from(local.hour() * 60 + local.minute());
            let next = ((minutes / step + 1) * step).min(23 * 60 + 45);
            date.and_time(NaiveTime::MIN) + Duration::minutes(next)
        } else {
            date.and_hms_opt(9, 0, 0).unwrap_or(local)
        };
        Slot {
            at,
            provider: chosen,
            service: None,
        }
    };
    view! {
        <div class="cal-toolbar">
            <button type="button" class="primary" data-shortcut="b" aria-keyshortcuts="b"
                on:click=move |_| desk.booking.set(Some(new_slot()))>"New appointment"</button>
            <nav class="cal-nav" aria-label="Dates">
                <a class="button" href=q.href(mode, mode.step(date, false)) aria-label="Earlier"
                    data-shortcut="p" aria-keyshortcuts="p">"‹"</a>
                <a class="button" href=q.href(mode, today) data-shortcut="t" aria-keyshortcuts="t">"Today"</a>
                <a class="button" href=q.href(mode, mode.step(date, true)) aria-label="Later"
                    data-shortcut="n" aria-keyshortcuts="n">"›"</a>
                <strong class="cal-title" data-testid="calendar-title">{title}</strong>
            </nav>
            <nav class="cal-modes" aria-label="View">
                {Mode::ALL.into_iter().map(|m| view! {
                    <a class="button" href=q.href(m, date) aria-current=(m == mode).then_some("page")>{m.label()}</a>
                }).collect_view()}
            </nav>
            <form method="get" action="/calendar" class="filters">
                <input type="hidden" name="view" value=mode.key() />
                <input type="hidden" name="date" value=date.to_string() />
                <label for="cal-provider">"Provider"</label>
                <select id="cal-provider" name="provider">
                    {(mode == Mode::Day).then(|| view! {
                        <option value="">"Working that day"</option>
                        <option value="all" selected=q.everyone>"All providers"</option>
                    })}
                    {(mode == Mode::Month).then(|| view! { <option value="">"All providers"</option> })}
                    {view.providers.iter().map(|p| view! {
                        <option value=p.id.to_string() selected=chosen == Some(p.id)>{p.name.clone()}</option>
                    }).collect_view()}
                </select>
                <label for="cal-resource">"Resource"</label>
                <select id="cal-resource" name="resource">
                    <option value="">"All"</option>
                    {view.resources.iter().map(|r| view! {
                        <option value=r.id.to_string() selected=q.resource == Some(r.id)>{r.name.clone()}</option>
                    }).collect_view()}
                </select>
                <button type="submit">"Show"</button>
            </form>
        </div>
    }
    .into_any()
}

#[component]
fn Body(q: Query, shown: Shown) -> AnyView {
    let Shown {
        mode,
        date,
        from,
        days,
        view,
        week_of,
    } = shown;
    let empty = view.providers.is_empty() || view.services.is_empty();
    view! {
        {empty.then(|| view! {
            <p class="notice">"Add a "<a href="/settings/services">"service"</a>" and a "
            <a href="/settings/providers">"provider"</a>" to start booking."</p>
        })}
        {match (mode, week_of) {
            (Mode::Month, _) => view! { <month::Month q=q.clone() date from view /> }.into_any(),
            (Mode::Week, Some(provider)) => view! { <grid::Grid from days view layout=grid::Columns::Days(provider) /> }.into_any(),
            (Mode::Week, None) => ().into_any(),
            (Mode::Day, _) => view! { <grid::Grid from days view layout=grid::Columns::Providers { only: q.provider, everyone: q.everyone } /> }.into_any(),
        }}
    }
    .into_any()
}
