//! "Find a free time": the first time a service fits, with one provider or
//! any, from the day on screen (never before now); one click books it.

use chrono::NaiveTime;
use frontdesk::domain::{scheduling::instant, views::CalendarView};
use leptos::prelude::*;
use uuid::Uuid;

use super::{Desk, Slot};
use crate::{components::time::clock_of, fns::scheduling::NextFree};

#[component]
pub fn Finder(view: CalendarView, from: chrono::NaiveDate) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let clock = clock_of(&view.time_zone, view.time_format);
    let tz = clock.zone;
    let find = ServerAction::<NextFree>::new();
    let service = RwSignal::new(view.services.first().map(|s| s.id));
    let provider = RwSignal::new(None::<Uuid>);
    let after = instant(tz, from.and_time(NaiveTime::MIN));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(service) = service.get_untracked() {
            find.dispatch(NextFree {
                service,
                provider: provider.get_untracked(),
                after: Some(after),
            });
        }
    };
    let result = move || {
        find.value().get().map(|r| match r {
            Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
            Ok(None) => view! { <p role="status">"No free time in the next eight weeks."</p> }.into_any(),
            Ok(Some(found)) => {
                let slot = Slot {
                    at: found.starts_at.with_timezone(&tz).naive_local(),
                    provider: Some(found.provider_id),
                    service: service.get_untracked(),
                };
                view! {
                    <p role="status" data-testid="next-free">
                        {format!("Next free: {} with {}", clock.date_time(found.starts_at), found.provider_name)}" "
                        <button type="button" class="primary" on:click=move |_| desk.booking.set(Some(slot))>"Book this time"</button>
                    </p>
                }
                .into_any()
            }
        })
    };
    view! {
        <details class="finder">
            <summary>"Find a free time"</summary>
            <form class="row" on:submit=submit aria-label="Find a free time">
                <label>"Service"
                    <select on:change=move |ev| service.set(event_target_value(&ev).parse().ok())>
                        {view.services.iter().map(|s| view! {
                            <option value=s.id.to_string()>{format!("{} ({} min)", s.name, s.duration_minutes)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"With"
                    <select on:change=move |ev| provider.set(event_target_value(&ev).parse().ok())>
                        <option value="">"Any provider"</option>
                        {view.providers.iter().map(|p| view! {
                            <option value=p.id.to_string()>{p.name.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" disabled=move || find.pending().get()>"Find next free time"</button>
            </form>
            {result}
        </details>
    }
}
