//! The calendar: day, week, providers side by side for a day, and a month
//! overview, in the business's zone. Click an empty slot to book, drag an
//! appointment or open it to move, cancel or change its status.

mod booking;
mod details;
mod grid;
mod month;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use frontdesk::domain::views::{AppointmentView, CalendarView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::{
    components::time::{now, zone},
    fns::scheduling::{load_calendar, Book, Cancel, Reschedule, SetStatus},
    layout::use_me,
};

/// The ways of looking at the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Day,
    Week,
    Providers,
    Month,
}

impl Mode {
    const ALL: [Mode; 4] = [Mode::Day, Mode::Week, Mode::Providers, Mode::Month];

    fn parse(text: Option<&str>) -> Mode {
        match text {
            Some("day") => Mode::Day,
            Some("providers") => Mode::Providers,
            Some("month") => Mode::Month,
            _ => Mode::Week,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Mode::Day => "day",
            Mode::Week => "week",
            Mode::Providers => "providers",
            Mode::Month => "month",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Mode::Day => "Day",
            Mode::Week => "Week",
            Mode::Providers => "Providers",
            Mode::Month => "Month",
        }
    }

    /// The first day shown and how many, for a view around `date`.
    fn range(self, date: NaiveDate) -> (NaiveDate, i64) {
        let monday = |d: NaiveDate| d - Duration::days(d.weekday().num_days_from_monday().into());
        match self {
            Mode::Day | Mode::Providers => (date, 1),
            Mode::Week => (monday(date), 7),
            Mode::Month => (monday(date.with_day(1).unwrap_or(date)), 42),
        }
    }

    /// The date one step back or forward.
    fn step(self, date: NaiveDate, forward: bool) -> NaiveDate {
        let sign = if forward { 1 } else { -1 };
        match self {
            Mode::Day | Mode::Providers => date + Duration::days(sign),
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
    pub mode: Mode,
    pub date: Option<NaiveDate>,
    pub provider: Option<Uuid>,
    pub resource: Option<Uuid>,
    pub client: Option<Uuid>,
}

impl Query {
    fn href(&self, mode: Mode, date: NaiveDate) -> String {
        let mut href = format!("/calendar?view={}&date={date}", mode.key());
        if let Some(p) = self.provider {
            href.push_str(&format!("&provider={p}"));
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

/// The slot a booking starts from: a local date and time, and maybe a provider.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    pub at: NaiveDateTime,
    pub provider: Option<Uuid>,
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
    /// The appointment being dragged.
    pub dragging: RwSignal<Option<Uuid>>,
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        let q = query_map.read();
        let id = |key: &str| q.get(key).and_then(|v| v.parse::<Uuid>().ok());
        Query {
            mode: Mode::parse(q.get("view").as_deref()),
            date: q.get("date").and_then(|d| d.parse().ok()),
            provider: id("provider"),
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
        dragging: RwSignal::new(None),
    };
    provide_context(desk);
    let calendar = Resource::new(
        move || {
            (
                query.get(),
                desk.book.version().get(),
                desk.reschedule.version().get(),
                desk.cancel.version().get(),
                desk.set_status.version().get(),
            )
        },
        move |(q, ..)| async move {
            let tz = zone(
                &me.await
                    .ok()
                    .flatten()
                    .map(|m| m.tenant.time_zone)
                    .unwrap_or_default(),
            );
            let date = q
                .date
                .unwrap_or_else(|| now().with_timezone(&tz).date_naive());
            let (from, days) = q.mode.range(date);
            load_calendar(from, days, q.provider, q.resource)
                .await
                .map(|view| (date, from, days, view))
        },
    );
    // The dialogs live outside the reloading part: a failed booking keeps
    // its dialog, its choices and its error while the calendar refreshes.
    let latest = RwSignal::new(None::<CalendarView>);
    let dialogs = move || {
        let booking = desk.booking.get().and_then(|slot| {
            latest.get_untracked().map(|view| {
                let client = query.get_untracked().client;
                view! { <booking::BookingDialog start=slot view client /> }
            })
        });
        let details = desk
            .selected
            .get()
            .map(|a| view! { <details::Details appointment=a /> });
        (booking, details)
    };
    view! {
        <Title text="Calendar" />
        <h1>"Calendar"</h1>
        <Suspense fallback=|| view! { <p>"Loading the calendar…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match calendar.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok((date, from, days, view)) => {
                        latest.set(Some(view.clone()));
                        view! {
                            <Toolbar q=q.clone() date view=view.clone() />
                            <Body q=q.clone() date from days view />
                        }.into_any()
                    }
                }
            })}
        </Suspense>
        {dialogs}
    }
}

#[component]
fn Toolbar(q: Query, date: NaiveDate, view: CalendarView) -> AnyView {
    let mode = q.mode;
    let today = now().with_timezone(&zone(&view.time_zone)).date_naive();
    let title = match mode {
        Mode::Day | Mode::Providers => date.format("%A %-d %B %Y").to_string(),
        Mode::Week => {
            let (from, _) = mode.range(date);
            format!("Week of {}", from.format("%-d %B %Y"))
        }
        Mode::Month => date.format("%B %Y").to_string(),
    };
    view! {
        <div class="cal-toolbar">
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
                    <option value="">"All"</option>
                    {view.providers.iter().map(|p| view! {
                        <option value=p.id.to_string() selected=q.provider == Some(p.id)>{p.name.clone()}</option>
                    }).collect_view()}
                </select>
                <label for="cal-resource">"Resource"</label>
                <select id="cal-resource" name="resource">
                    <option value="">"All"</option>
                    {view.resources.iter().map(|r| view! {
                        <option value=r.id.to_string() selected=q.resource == Some(r.id)>{r.name.clone()}</option>
                    }).collect_view()}
                </select>
                <button type="submit">"Filter"</button>
            </form>
        </div>
    }
    .into_any()
}

#[component]
fn Body(q: Query, date: NaiveDate, from: NaiveDate, days: i64, view: CalendarView) -> AnyView {
    let empty = view.providers.is_empty() || view.services.is_empty();
    view! {
        {empty.then(|| view! {
            <p class="notice">"Add a "<a href="/settings/services">"service"</a>" and a "
            <a href="/settings/providers">"provider"</a>" to start booking."</p>
        })}
        {match q.mode {
            Mode::Month => view! { <month::Month q=q.clone() date from view /> }.into_any(),
            Mode::Providers => view! { <grid::Grid from days view by_provider=true only=q.provider /> }.into_any(),
            Mode::Day | Mode::Week => view! { <grid::Grid from days view by_provider=false only=q.provider /> }.into_any(),
        }}
    }
    .into_any()
}
