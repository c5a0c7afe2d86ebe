//! What sits on the grid: an appointment's block with the card that shows
//! on hover or focus, and the "+N" marker for appointments that do not fit
//! side by side.

use frontdesk::domain::{time_format::Clock, views::AppointmentView};
use leptos::prelude::*;

use super::Desk;
use crate::components::modal::Modal;

/// Where something sits in its column, as the variables the stylesheet
/// positions it by: minutes from the top, its length in minutes, and its
/// lane when it shares the column. A heavy week draws thousands of these,
/// so they stay this short.
pub fn placement(top: u32, minutes: Option<u32>, lane: usize, lanes: usize) -> String {
    let mut style = format!("--t:{top}");
    if let Some(minutes) = minutes {
        style.push_str(&format!(";--h:{minutes}"));
    }
    if lanes > 1 {
        style.push_str(&format!(";--lane:{lane};--lanes:{lanes}"));
    }
    style
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
        "{};--colour:{}",
        placement(top, Some(minutes), lane, lanes),
        a.colour
    );
    let label = format!("{} {}, {}", times(&a, clock), a.client_name, a.service_name);
    // The card is drawn the first time its block is hovered or focused:
    // the block's label already says what a screen reader needs, and a
    // week of cards would double the page.
    let wanted = RwSignal::new(false);
    let card = {
        let a = a.clone();
        let card_id = card_id.clone();
        move || {
            wanted.get().then(|| {
                let notes = (!a.notes.trim().is_empty()).then(|| a.notes.clone());
                view! {
                    <div class="cal-card" id=card_id.clone() role="tooltip"
                        style=placement(top + minutes, None, lane, lanes.min(2))>
                        <strong>{a.client_name.clone()}</strong>
                        <span>{times(&a, clock)}</span>
                        <span>{format!("{} with {}", a.service_name, a.provider_name)}</span>
                        <span class=format!("badge status-{}", a.status.as_str())>{a.status.label()}</span>
                        {notes.map(|n| view! { <span class="muted">{n}</span> })}
                    </div>
                }
            })
        }
    };
    let open = a.clone();
    view! {
        <button type="button" class=format!("cal-appt status-{}", a.status.as_str()) class:short=minutes < 45 style=style
            draggable="true" data-appointment=id.to_string() aria-label=label aria-describedby=card_id
            on:mouseenter=move |_| wanted.set(true)
            on:focus=move |_| wanted.set(true)
            on:dragstart=move |_| desk.dragging.set(Some(id))
            on:dragend=move |_| desk.dragging.set(None)
            on:click=move |_| desk.selected.set(Some(open.clone()))
        >
            <span class="cal-time">{clock.time(a.starts_at)}</span>
            <span class="cal-client">{a.client_name.clone()}</span>
            <span class="cal-service">{a.service_name.clone()}</span>
        </button>
        {card}
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
        <button type="button" class="cal-more" style=placement(top, None, lane, lanes)
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
