//! The time grid: one column per day, or per provider for one day. Empty
//! half-hours are buttons that open the booking dialog (and drop targets
//! for dragging an appointment); appointments sit on top in their colours.

use chrono::{Duration, NaiveDate, NaiveTime, Timelike};
use chrono_tz::Tz;
use frontdesk::domain::{
    scheduling::instant,
    views::{AppointmentView, CalendarView},
};
use leptos::prelude::*;
use uuid::Uuid;

use super::{Desk, Slot};
use crate::{
    components::time::{clock, now, zone},
    fns::scheduling::Reschedule,
};
use frontdesk::domain::records::Scope;

/// Minutes per slot button.
const SLOT: u32 = 30;

struct Column {
    date: NaiveDate,
    provider: Option<(Uuid, String)>,
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

/// Side-by-side lanes for overlapping appointments: (lane, lanes) for each.
fn lanes(appointments: &[AppointmentView]) -> Vec<(usize, usize)> {
    let mut ends: Vec<chrono::DateTime<chrono::Utc>> = Vec::new();
    let lane_of: Vec<usize> = appointments
        .iter()
        .map(|a| match ends.iter().position(|e| *e <= a.starts_at) {
            Some(i) => {
                ends[i] = a.ends_at;
                i
            }
            None => {
                ends.push(a.ends_at);
                ends.len() - 1
            }
        })
        .collect();
    let total = ends.len().max(1);
    lane_of.into_iter().map(|l| (l, total)).collect()
}

#[component]
pub fn Grid(
    from: NaiveDate,
    days: i64,
    view: CalendarView,
    by_provider: bool,
    /// The provider the calendar is filtered to, if any.
    only: Option<Uuid>,
) -> AnyView {
    let tz = zone(&view.time_zone);
    let (first, last) = hours(&view, tz);
    let height = (last - first) * 60;
    let mut columns: Vec<Column> = if by_provider {
        view.providers
            .iter()
            .filter(|p| only.is_none_or(|id| id == p.id))
            .map(|p| Column {
                date: from,
                provider: Some((p.id, p.name.clone())),
                appointments: Vec::new(),
            })
            .collect()
    } else {
        (0..days)
            .map(|d| Column {
                date: from + Duration::days(d),
                provider: None,
                appointments: Vec::new(),
            })
            .collect()
    };
    for a in &view.appointments {
        let date = a.starts_at.with_timezone(&tz).date_naive();
        if let Some(column) = columns.iter_mut().find(|c| {
            c.date == date
                && c.provider
                    .as_ref()
                    .is_none_or(|(id, _)| *id == a.provider_id)
        }) {
            column.appointments.push(a.clone());
        }
    }
    let count = columns.len().max(1);
    view! {
        <div class="cal-grid" style=format!("--columns:{count}") role="grid" aria-label="Calendar">
            <div class="cal-head" role="row">
                <div class="cal-corner"></div>
                {columns.iter().map(|c| {
                    let label = match &c.provider {
                        Some((_, name)) => name.clone(),
                        None => c.date.format("%a %-d %b").to_string(),
                    };
                    view! { <div class="cal-colhead" role="columnheader">{label}</div> }
                }).collect_view()}
            </div>
            <div class="cal-body" style=format!("height:{height}px")>
                <div class="cal-hours" aria-hidden="true">
                    {(first..last).map(|h| view! {
                        <div class="cal-hour" style=format!("top:{}px", (h - first) * 60)>{format!("{h:02}:00")}</div>
                    }).collect_view()}
                </div>
                {columns.into_iter().map(|c| view! { <DayColumn column=c tz first last /> }).collect_view()}
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn DayColumn(column: Column, tz: Tz, first: u32, last: u32) -> AnyView {
    let desk = expect_context::<Desk>();
    let Column {
        date,
        provider,
        appointments,
    } = column;
    let provider_id = provider.as_ref().map(|(id, _)| *id);
    let who = provider
        .as_ref()
        .map(|(_, n)| format!(" with {n}"))
        .unwrap_or_default();
    let slots = (first * 60..last * 60).step_by(SLOT as usize).map(move |minute| {
        let time = NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap_or(NaiveTime::MIN);
        let at = date.and_time(time);
        let slot = Slot {
            at,
            provider: provider_id,
        };
        let label = format!("Book {} {}{who}", date.format("%a %-d %b"), time.format("%H:%M"));
        view! {
            <button type="button" class="cal-slot" style=format!("top:{}px;height:{SLOT}px", minute - first * 60)
                aria-label=label
                on:click=move |_| desk.booking.set(Some(slot))
                on:dragover=move |ev| ev.prevent_default()
                on:drop=move |ev| {
                    ev.prevent_default();
                    if let Some(id) = desk.dragging.get_untracked() {
                        desk.dragging.set(None);
                        desk.reschedule.dispatch(Reschedule {
                            id,
                            starts_at: instant(tz, at),
                            override_reason: None,
                            scope: Scope::This,
                        });
                    }
                }
            ></button>
        }
    }).collect_view();
    let placed = lanes(&appointments);
    let blocks = appointments.into_iter().zip(placed).map(|(a, (lane, lanes))| {
        let start = a.starts_at.with_timezone(&tz);
        let top = (start.hour() * 60 + start.minute()).saturating_sub(first * 60);
        let minutes = (a.ends_at - a.starts_at).num_minutes().max(15) as u32;
        let width = 100.0 / lanes as f64;
        let style = format!(
            "top:{top}px;height:{minutes}px;left:{}%;width:calc({width}% - 4px);--colour:{}",
            width * lane as f64,
            a.colour
        );
        let id = a.id;
        let label = format!(
            "{}–{} {} · {} · {}",
            clock(a.starts_at, tz),
            clock(a.ends_at, tz),
            a.client_name,
            a.service_name,
            a.status.label()
        );
        let open = a.clone();
        view! {
            <button type="button" class=format!("cal-appt status-{}", a.status.as_str()) style=style
                draggable="true" data-appointment=id.to_string() aria-label=label.clone() title=label
                on:dragstart=move |_| desk.dragging.set(Some(id))
                on:click=move |_| desk.selected.set(Some(open.clone()))
            >
                <span class="cal-time">{clock(a.starts_at, tz)}</span>
                <span class="cal-client">{a.client_name.clone()}</span>
                <span class="cal-service">{a.service_name.clone()}" · "{a.provider_name.clone()}</span>
            </button>
        }
    }).collect_view();
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
        <div class="cal-col" role="gridcell" data-date=date.to_string()>
            {slots}
            {blocks}
            {now_line}
        </div>
    }
    .into_any()
}
