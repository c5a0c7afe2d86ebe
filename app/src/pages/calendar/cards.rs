//! What sits on the grid: an appointment's block with the card that shows
//! on hover or focus, and the "+N" marker for appointments that do not fit
//! side by side.

use frontdesk::domain::{time_format::Clock, views::AppointmentView};
use leptos::prelude::*;

use super::Desk;
use crate::components::modal::Modal;

/// Lane geometry: `left` and `width` in percent of the column.
fn across(lane: usize, lanes: usize) -> String {
    let width = 100.0 / lanes.max(1) as f64;
    format!("left:{}%;width:calc({width}% - 4px)", width * lane as f64)
}

fn times(a: &AppointmentView, clock: Clock) -> String {
    clock.span(a.starts_at, a.ends_at)
}

#[component]
pub fn Block(
    a: AppointmentView,
    /// Minutes from the top of the grid.
    top: u32,
    minutes: u32,
    lane: usize,
    lanes: usize,
    clock: Clock,
) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let id = a.id;
    let card_id = format!("card-{}", id.simple());
    let style = format!(
        "top:{top}px;height:{minutes}px;{};--colour:{}",
        across(lane, lanes),
        a.colour
    );
    let label = format!("{} {}, {}", times(&a, clock), a.client_name, a.service_name);
    let card_style = format!("top:{}px;{}", top + minutes, across(lane, lanes.min(2)));
    let notes = (!a.notes.trim().is_empty()).then(|| a.notes.clone());
    let open = a.clone();
    view! {
        <button type="button" class=format!("cal-appt status-{}", a.status.as_str()) class:short=minutes < 45 style=style
            draggable="true" data-appointment=id.to_string() aria-label=label aria-describedby=card_id.clone()
            on:dragstart=move |_| desk.dragging.set(Some(id))
            on:dragend=move |_| desk.dragging.set(None)
            on:click=move |_| desk.selected.set(Some(open.clone()))
        >
            <span class="cal-time">{clock.time(a.starts_at)}</span>
            <span class="cal-client">{a.client_name.clone()}</span>
            <span class="cal-service">{a.service_name.clone()}</span>
        </button>
        <div class="cal-card" id=card_id role="tooltip" style=card_style>
            <strong>{a.client_name.clone()}</strong>
            <span>{times(&a, clock)}</span>
            <span>{format!("{} with {}", a.service_name, a.provider_name)}</span>
            <span class=format!("badge status-{}", a.status.as_str())>{a.status.label()}</span>
            {notes.map(|n| view! { <span class="muted">{n}</span> })}
        </div>
    }
}

#[component]
pub fn More(
    /// The appointments behind the marker, earliest first.
    hidden: Vec<AppointmentView>,
    top: u32,
    lane: usize,
    lanes: usize,
    clock: Clock,
) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let open = RwSignal::new(false);
    let count = hidden.len();
    let from = hidden
        .first()
        .map(|a| clock.time(a.starts_at))
        .unwrap_or_default();
    let hidden = StoredValue::new(hidden);
    let title = format!("{count} more from {from}");
    view! {
        <button type="button" class="cal-more" style=format!("top:{top}px;{}", across(lane, lanes))
            aria-label=format!("{count} more appointments from {from}")
            on:click=move |_| open.set(true)>{format!("+{count}")}</button>
        {move || { let title = title.clone(); open.get().then(move || view! {
            <Modal labelled_by="more-title" on_close=Callback::new(move |_| open.set(false))>
                <h2 id="more-title">{title.clone()}</h2>
                <ul class="choices">
                    {hidden.get_value().into_iter().map(|a| {
                        let a = StoredValue::new(a);
                        let text = a.with_value(|a| format!("{} {} · {} with {}", times(a, clock), a.client_name, a.service_name, a.provider_name));
                        view! { <li><button type="button" on:click=move |_| {
                            open.set(false);
                            desk.selected.set(Some(a.get_value()));
                        }>{text}</button></li> }
                    }).collect_view()}
                </ul>
                <button type="button" on:click=move |_| open.set(false)>"Close"</button>
            </Modal>
        })}}
    }
}
