//! A provider's week as a grid: a bar per day with its breaks as gaps, and
//! the form grid that edits start, end and breaks per day.

use chrono::{NaiveTime, Timelike, Weekday};
use frontdesk::domain::{
    form_values::{day_grid, format_day_hours},
    scheduling::{weekday_from_number, WorkingSpan},
    time_format::TimeFormat,
};
use leptos::prelude::*;

use crate::{
    components::forms::{invalid, FieldError},
    errors::UiError,
};

pub const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The server names a day's error `hours_1` (Monday) to `hours_7`.
const DAY_FIELDS: [&str; 7] = [
    "hours_1", "hours_2", "hours_3", "hours_4", "hours_5", "hours_6", "hours_7",
];

fn weekday(index: usize) -> Weekday {
    weekday_from_number(index as i16 + 1).unwrap_or(Weekday::Mon)
}

fn minutes(t: NaiveTime) -> u32 {
    t.hour() * 60 + t.minute()
}

/// The week at a glance: one bar per day over the hours anyone works.
#[component]
pub fn WeekBars(hours: Vec<WorkingSpan>, format: TimeFormat) -> impl IntoView {
    // The scale covers the provider's earliest start to latest end, so bars
    // of different providers read alike without wasting the night.
    let first = hours
        .iter()
        .map(|h| minutes(h.starts))
        .min()
        .unwrap_or(9 * 60);
    let last = hours
        .iter()
        .map(|h| minutes(h.ends))
        .max()
        .unwrap_or(17 * 60);
    let (first, last) = (first / 60 * 60, last.div_ceil(60) * 60);
    let width = (last - first).max(60) as f32;
    view! {
        <ul class="week-bars">
            {DAY_NAMES.iter().enumerate().map(|(i, day)| {
                let text = format_day_hours(&hours, weekday(i), format);
                let spans: Vec<_> = hours.iter().filter(|h| h.weekday == weekday(i)).cloned().collect();
                let said = if text.is_empty() { "off".to_string() } else { text };
                view! {
                    <li>
                        <span class="week-day">{&day[..3]}</span>
                        <span class="week-track" aria-hidden="true">
                            {spans.into_iter().map(|s| {
                                let left = (minutes(s.starts) - first) as f32 / width * 100.0;
                                let span = (minutes(s.ends) - minutes(s.starts)) as f32 / width * 100.0;
                                view! { <span class="week-span" style=format!("left:{left:.2}%;width:{span:.2}%")></span> }
                            }).collect_view()}
                        </span>
                        <span class="week-text">{said}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// Start, end and breaks for each day, as form fields `start[i]`, `end[i]`
/// and `breaks[i]`; a day without times is a day off.
#[component]
pub fn HoursGrid(
    prefix: String,
    hours: Option<Vec<WorkingSpan>>,
    error: Signal<Option<UiError>>,
) -> impl IntoView {
    let id = move |f: &str, i: usize| format!("provider-{prefix}-{f}_{}", i + 1);
    view! {
        <fieldset class="wide hours-grid">
            <legend>"Working hours (no times: a day off)"</legend>
            <table>
                <thead><tr><th>"Day"</th><th>"Start"</th><th>"End"</th><th>"Breaks"</th></tr></thead>
                <tbody>
                    {DAY_NAMES.iter().enumerate().map(|(i, day)| {
                        let (start, end, breaks) = match &hours {
                            Some(h) => day_grid(h, weekday(i)),
                            None if i < 5 => ("09:00".into(), "17:00".into(), String::new()),
                            None => Default::default(),
                        };
                        let field = DAY_FIELDS[i];
                        view! {
                            <tr>
                                <th scope="row">{*day}</th>
                                <td><input type="time" id=id("start", i) name=format!("start[{i}]") value=start
                                    aria-label=format!("{day} start") aria-invalid=invalid(error, field) /></td>
                                <td><input type="time" id=id("end", i) name=format!("end[{i}]") value=end
                                    aria-label=format!("{day} end") aria-invalid=invalid(error, field) /></td>
                                <td><input id=id("breaks", i) name=format!("breaks[{i}]") value=breaks placeholder="e.g. 12:30-13:30"
                                    aria-label=format!("{day} breaks") aria-invalid=invalid(error, field) />
                                    <FieldError error field /></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </fieldset>
    }
}
