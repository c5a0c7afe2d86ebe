//! The time grid: one column per provider for a day, or per day for one
//! provider's week. Every booking step is a button that opens the booking
//! dialog (and a drop target for dragging an appointment); hours outside the
//! provider's working spans and their time off are shaded; appointments sit
//! on top, with a card on hover or focus.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use frontdesk::domain::zone::Zone as Tz;
use frontdesk::domain::{
    free_time::{gaps, snap},
    scheduling::{instant, working_spans, Span},
    time_format::Clock,
    views::{AppointmentView, CalendarView, ProviderView},
};
use leptos::prelude::*;
use uuid::Uuid;

use super::{
    cards::{placement, Block, More},
    keys::grid_keys,
    lanes::{place, Placed},
    Desk, Slot,
};
use crate::components::time::{clock_of, now, zone};

/// What the columns are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Columns {
    /// Providers side by side for one day: one of them when chosen, else
    /// those who work that day or have appointments on it (everyone when
    /// asked, or when nobody does).
    Providers { only: Option<Uuid>, everyone: bool },
    /// One provider's days.
    Days(Uuid),
}

struct Column {
    date: NaiveDate,
    provider: ProviderView,
    appointments: Vec<AppointmentView>,
}

/// The first and last hour the grid shows: working hours and every appointment fit.
fn hours(view: &CalendarView, tz: Tz) -> (u32, u32) {
    let mut first = 8;
    let mut last = 19;
    for h in view.providers.iter().flat_map(|p| &p.hours) {
        first = first.min(h.starts.hour());
        last = last.max(h.ends.hour() + u32::from(h.ends.minute() > 0));
    }
    for a in &view.appointments {
        let (s, e) = (a.starts_at.with_timezone(&tz), a.ends_at.with_timezone(&tz));
        first = first.min(s.hour());
        if e.date_naive() == s.date_naive() {
            last = last.max(e.hour() + u32::from(e.minute() > 0));
        } else {
            last = 24;
        }
    }
    (first, last.min(24))
}

/// The grid's vertical scale: one pixel per minute from `first` o'clock.
#[derive(Clone, Copy)]
struct Scale {
    clock: Clock,
    date: NaiveDate,
    first: u32,
    last: u32,
}

impl Scale {
    /// Minutes from the top of the grid to `t`, clamped to the grid.
    fn offset(&self, t: DateTime<Utc>) -> u32 {
        let local = self.clock.local(t);
        let minute = match local.date_naive().cmp(&self.date) {
            std::cmp::Ordering::Less => 0,
            std::cmp::Ordering::Greater => self.last * 60,
            std::cmp::Ordering::Equal => local.hour() * 60 + local.minute(),
        };
        minute.clamp(self.first * 60, self.last * 60) - self.first * 60
    }

    /// The instants the grid covers on its day.
    fn span(&self) -> Option<Span> {
        let at = |h: u32| {
            let time = NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN);
            let day = if h == 24 {
                self.date + Duration::days(1)
            } else {
                self.date
            };
            instant(
                self.clock.zone,
                day.and_time(if h == 24 { NaiveTime::MIN } else { time }),
            )
        };
        Span::new(at(self.first), at(self.last))
    }
}

#[component]
pub fn Grid(from: NaiveDate, days: i64, view: CalendarView, layout: Columns) -> AnyView {
    let clock = clock_of(&view.time_zone, view.time_format);
    let tz = clock.zone;
    let (first, last) = hours(&view, tz);
    let step = view.step_minutes.clamp(5, 60);
    let booked_on = |p: &ProviderView, date: NaiveDate| {
        view.appointments
            .iter()
            .any(|a| a.provider_id == p.id && a.starts_at.with_timezone(&tz).date_naive() == date)
    };
    let working = |p: &ProviderView| {
        p.hours.iter().any(|h| h.weekday == from.weekday()) || booked_on(p, from)
    };
    let anyone_working = view.providers.iter().any(working);
    let mut columns: Vec<Column> = match layout {
        Columns::Providers { only, everyone } => view
            .providers
            .iter()
            .filter(|p| match only {
                Some(id) => id == p.id,
                None => everyone || !anyone_working || working(p),
            })
            .map(|p| Column {
                date: from,
                provider: p.clone(),
                appointments: Vec::new(),
            })
            .collect(),
        Columns::Days(id) => view
            .providers
            .iter()
            .find(|p| p.id == id)
            .map(|p| {
                (0..days)
                    .map(|d| Column {
                        date: from + Duration::days(d),
                        provider: p.clone(),
                        appointments: Vec::new(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    for a in &view.appointments {
        let date = a.starts_at.with_timezone(&tz).date_naive();
        if let Some(column) = columns
            .iter_mut()
            .find(|c| c.date == date && c.provider.id == a.provider_id)
        {
            column.appointments.push(a.clone());
        }
    }
    let by_day = matches!(layout, Columns::Days(_));
    // Only the layout the screen shows is drawn (both while that is not
    // known yet). The calendar redraws when the screen changes; reading it
    // here untracked keeps a refresh redrawing the grid in place.
    let screen = expect_context::<Desk>().screen.get_untracked();
    let phone = screen.narrow().then(|| agenda(&columns, clock, by_day));
    let grid = screen.wide().then(|| {
        let geometry = Geometry {
            clock,
            first,
            last,
            step,
            by_day,
        };
        time_grid(columns, geometry)
    });
    view! { {grid} {phone} }.into_any()
}

/// What the time grid's columns share.
#[derive(Clone, Copy)]
struct Geometry {
    clock: Clock,
    first: u32,
    last: u32,
    step: u32,
    by_day: bool,
}

/// Times down the side, a column per provider (or day) across.
fn time_grid(columns: Vec<Column>, geometry: Geometry) -> AnyView {
    let Geometry {
        clock,
        first,
        last,
        step,
        by_day,
    } = geometry;
    let height = (last - first) * 60;
    let today = now().with_timezone(&clock.zone).date_naive();
    let count = columns.len().max(1);
    view! {
        <div class="cal-grid" style=format!("--columns:{count}") role="region" aria-label="Calendar"
            aria-describedby="cal-grid-help" on:keydown=grid_keys>
            <p id="cal-grid-help" class="visually-hidden">
                "Each button books a time. Arrow keys move between times and columns; Enter opens the booking."
            </p>
            <div class="cal-head">
                <div class="cal-corner"></div>
                {columns.iter().map(|c| {
                    let label = if by_day {
                        c.date.format("%a %-d %b").to_string()
                    } else {
                        c.provider.name.clone()
                    };
                    let is_today = by_day && c.date == today;
                    view! {
                        <div class="cal-colhead" class:today=is_today
                            aria-current=is_today.then_some("date")>{label}</div>
                    }
                }).collect_view()}
            </div>
            <div class="cal-body" style=format!("height:{height}px;--step:{step}")>
                <div class="cal-hours" aria-hidden="true">
                    {(first..last).map(|h| view! {
                        <div class="cal-hour" style=format!("top:{}px", (h - first) * 60)>{clock.format.hour(h)}</div>
                    }).collect_view()}
                </div>
                {columns.into_iter().enumerate().map(|(index, c)| {
                    let scale = Scale { clock, date: c.date, first, last };
                    view! { <DayColumn column=c index scale step /> }
                }).collect_view()}
            </div>
        </div>
    }
    .into_any()
}

/// On a phone the grid gives way to this list: per provider (or day), the
/// appointments in order, each opening its details, and a button to book.
fn agenda(columns: &[Column], clock: Clock, by_day: bool) -> AnyView {
    let desk = expect_context::<Desk>();
    let groups = columns
        .iter()
        .map(|c| {
            let title = if by_day {
                c.date.format("%A %-d %B").to_string()
            } else {
                c.provider.name.clone()
            };
            let mut list = c.appointments.clone();
            list.sort_by_key(|a| a.starts_at);
            let first_hour = c
                .provider
                .hours
                .iter()
                .filter(|h| h.weekday == c.date.weekday())
                .map(|h| h.starts)
                .min()
                .unwrap_or(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN));
            let slot = Slot {
                at: c.date.and_time(first_hour),
                provider: Some(c.provider.id),
                service: None,
            };
            let book_label = format!("Book with {}", c.provider.name);
            view! {
                <section class="agenda-group" aria-label=title.clone()>
                    <h2>{title.clone()}</h2>
                    {list.is_empty().then(|| view! { <p class="muted">"Nothing booked."</p> })}
                    <ul>
                        {list.into_iter().map(|a| {
                            let open = a.clone();
                            view! {
                                <li><button type="button" class=format!("agenda-item status-{}", a.status.as_str())
                                    style=format!("--colour:{}", a.colour)
                                    on:click=move |_| desk.selected.set(Some(open.clone()))>
                                    <span class="cal-time">{clock.span(a.starts_at, a.ends_at)}</span>
                                    <strong>{a.client_name.clone()}</strong>
                                    <span>{format!("{} · {}", a.service_name, a.status.label())}</span>
                                </button></li>
                            }
                        }).collect_view()}
                    </ul>
                    <button type="button" on:click=move |_| desk.booking.set(Some(slot))>{book_label}</button>
                </section>
            }
        })
        .collect_view();
    view! { <div class="cal-agenda" data-testid="agenda">{groups}</div> }.into_any()
}

/// Shaded spans of one column: outside working hours, and time off with its reason.
fn shading(provider: &ProviderView, scale: Scale) -> Vec<AnyView> {
    let Some(day) = scale.span() else {
        return Vec::new();
    };
    let provider_zone = zone(&provider.time_zone);
    let around = (
        scale.date - Duration::days(1),
        scale.date + Duration::days(1),
    );
    let working = working_spans(&provider.hours, provider_zone, around.0, around.1);
    let off = gaps(&working, day).into_iter().map(|g| {
        let (top, bottom) = (scale.offset(g.start), scale.offset(g.end));
        view! {
            <div class="cal-off" aria-hidden="true"
                style=placement(top, Some(bottom.saturating_sub(top)), 0, 1)></div>
        }
        .into_any()
    });
    let away = provider
        .time_off
        .iter()
        .filter_map(|t| Span::new(t.starts_at, t.ends_at))
        .zip(provider.time_off.iter().map(|t| t.reason.clone()))
        .filter(|(span, _)| span.overlaps(&day))
        .map(|(span, reason)| {
            let (top, bottom) = (scale.offset(span.start), scale.offset(span.end));
            let text = if reason.trim().is_empty() {
                "Time off".to_string()
            } else {
                format!("Time off: {reason}")
            };
            view! {
                <div class="cal-away" style=placement(top, Some(bottom.saturating_sub(top)), 0, 1)>
                    <span>{text}</span>
                </div>
            }
            .into_any()
        });
    off.chain(away).collect()
}

#[component]
fn DayColumn(column: Column, index: usize, scale: Scale, step: u32) -> AnyView {
    let desk = expect_context::<Desk>();
    let Column {
        date,
        provider,
        appointments,
    } = column;
    let Scale {
        clock, first, last, ..
    } = scale;
    let tz = clock.zone;
    let provider_id = provider.id;
    let who = provider.name.clone();
    let shades = shading(&provider, scale);
    // The stylesheet stacks the steps in the column's grid rows (the
    // body sets `--step`), so each button carries only what it says.
    let slots = (first * 60..last * 60)
        .step_by(step as usize)
        .enumerate()
        .map(move |(row, minute)| {
            let time =
                NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap_or(NaiveTime::MIN);
            let at = date.and_time(time);
            let slot = Slot {
                at,
                provider: Some(provider_id),
                service: None,
            };
            let label = format!(
                "Book with {who}, {} {}",
                date.format("%a %-d %b"),
                clock.format.time(time)
            );
            // One button of the grid is in the tab order; arrow keys move from it.
            let tab = if index == 0 && row == 0 { "0" } else { "-1" };
            view! {
                <button type="button" class="cal-slot" aria-label=label tabindex=tab
                    on:click=move |_| desk.booking.set(Some(slot))
                ></button>
            }
        })
        .collect_view();
    let (placed, more) = place(&appointments);
    let markers = more
        .into_iter()
        .map(|m| {
            let hidden: Vec<AppointmentView> =
                m.hidden.iter().map(|&i| appointments[i].clone()).collect();
            let top = scale.offset(m.starts_at);
            view! { <More hidden top lane=m.lane lanes=m.lanes clock /> }
        })
        .collect_view();
    let blocks = appointments
        .into_iter()
        .zip(placed)
        .filter_map(|(a, placed)| match placed {
            Placed::Shown { lane, lanes } => Some((a, lane, lanes)),
            Placed::Hidden => None,
        })
        .map(|(a, lane, lanes)| {
            let top = scale.offset(a.starts_at);
            let minutes = (a.ends_at - a.starts_at).num_minutes().max(15) as u32;
            view! { <Block a top minutes lane lanes clock /> }
        })
        .collect_view();
    // The current-time line, on today's column only; it moves every minute once the page is live.
    let clock_now = RwSignal::new(now());
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || clock_now.set(now()),
            std::time::Duration::from_secs(60),
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    let now_line = move || {
        let local = clock_now.get().with_timezone(&tz);
        let minute = local.hour() * 60 + local.minute();
        (local.date_naive() == date && minute >= first * 60 && minute < last * 60).then(|| {
            view! { <div class="cal-now" style=format!("top:{}px", minute - first * 60) aria-hidden="true" data-testid="now-line"></div> }
        })
    };
    view! {
        // A drop lands on the step under the pointer, over a free time or an appointment alike.
        <div class="cal-col" data-date=date.to_string() data-provider=provider_id.to_string()
            on:dragover=move |ev| ev.prevent_default()
            on:drop=move |ev| {
                ev.prevent_default();
                let (Some(id), Some(y)) = (desk.dragging.get_untracked(), drop_offset(&ev)) else {
                    return;
                };
                desk.dragging.set(None);
                let minute = (first * 60 + snap(y, step)).min(last * 60 - step);
                let time = NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap_or(NaiveTime::MIN);
                desk.drop_at(id, instant(tz, date.and_time(time)), provider_id);
            }>
            {shades}
            {slots}
            {blocks}
            {markers}
            {now_line}
        </div>
    }
    .into_any()
}

/// How far below the top of its column a drop happened, in pixels (minutes).
fn drop_offset(ev: &leptos::ev::DragEvent) -> Option<u32> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let column = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?;
        let top = column.get_bounding_client_rect().top();
        let y = f64::from(ev.client_y()) - top;
        (y >= 0.0).then_some(y as u32)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        None
    }
}
