//! The month overview: six weeks of days, each with its count and first
//! appointments; a day opens in the day view.

use chrono::{Datelike, Duration, NaiveDate};
use frontdesk::domain::{records::AppointmentStatus, views::CalendarView};
use leptos::prelude::*;

use super::{Mode, Query};
use crate::components::time::{clock_of, now};

#[component]
pub fn Month(q: Query, date: NaiveDate, from: NaiveDate, view: CalendarView) -> impl IntoView {
    let clock = clock_of(&view.time_zone, view.time_format);
    let tz = clock.zone;
    let today = now().with_timezone(&tz).date_naive();
    let cells = (0..42).map(|d| {
        let day = from + Duration::days(d);
        let on_day: Vec<_> = view
            .appointments
            .iter()
            .filter(|a| a.starts_at.with_timezone(&tz).date_naive() == day)
            .filter(|a| a.status != AppointmentStatus::Cancelled)
            .collect();
        let count = on_day.len();
        let first: Vec<String> = on_day
            .iter()
            .take(3)
            .map(|a| format!("{} {}", clock.time(a.starts_at), a.client_name))
            .collect();
        view! {
            <a class="month-cell" class:other-month=day.month() != date.month() class:today=day == today
                aria-current=(day == today).then_some("date")
                href=q.href(Mode::Day, day) data-date=day.to_string()>
                <span class="month-day">{day.day()}</span>
                {(count > 0).then(|| view! { <span class="month-count">{format!("{count} booked")}</span> })}
                <ul>{first.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul>
            </a>
        }
    }).collect_view();
    view! {
        <div class="month" aria-label="Month">
            {["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map(|d| view! { <div class="month-head">{d}</div> })}
            {cells}
        </div>
    }
}
