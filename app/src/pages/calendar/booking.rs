//! The booking dialog: find or add the client, choose service, provider and
//! the resources the service needs, see the end time, price, conflicts and
//! working hours before submitting; repeating weekly and booking outside
//! working hours wait behind a disclosure. Book stays in view in a sticky
//! footer.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use frontdesk::domain::{
    form_values::format_price,
    records::AppointmentStatus,
    scheduling::{instant, Span},
    views::{CalendarView, ServiceView},
};
use leptos::prelude::*;
use uuid::Uuid;

use super::{Desk, Slot};
use crate::{
    components::forms::Problems,
    components::modal::Modal,
    components::time::clock_of,
    fns::{
        clients::{SaveClient, SearchClients},
        scheduling::{booking_client, Book, BookingForm},
    },
};

/// The span an appointment holds, buffers included.
fn blocked(
    service: Option<&ServiceView>,
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
) -> Span {
    let (before, after) = service.map_or((0, 0), |s| {
        (s.buffer_before_minutes, s.buffer_after_minutes)
    });
    Span {
        start: start - Duration::minutes(before.into()),
        end: end + Duration::minutes(after.into()),
    }
}

#[component]
pub fn BookingDialog(start: Slot, view: CalendarView, client: Option<Uuid>) -> AnyView {
    let desk = expect_context::<Desk>();
    let clock = clock_of(&view.time_zone, view.time_format);
    let tz = clock.zone;
    let view = StoredValue::new(view);
    let opened_at = desk.book.version().get_untracked();

    let chosen_client = RwSignal::new(None::<(Uuid, String)>);
    // The client the calendar was opened for, by name, and the service they had last.
    let lookup = RwSignal::new(client);
    let came_from = Resource::new(
        move || lookup.get(),
        |id| async move {
            match id {
                Some(id) => booking_client(id).await.ok(),
                None => None,
            }
        },
    );
    let search = ServerAction::<SearchClients>::new();
    let add_client = ServerAction::<SaveClient>::new();
    let typed = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(saved)) = add_client.value().get() {
            chosen_client.set(Some((saved.client.id, saved.client.name)));
        }
    });

    let typed_enough = move || typed.get().trim().chars().count() > 1;
    // A service only when it is known: offered by the finder, the client's
    // last, or the business's only one.
    let only = view.with_value(|v| (v.services.len() == 1).then(|| v.services[0].id));
    let service = RwSignal::new(start.service.or(only));
    Effect::new(move |_| {
        if let Some(Some(found)) = came_from.get() {
            if chosen_client
                .get_untracked()
                .is_none_or(|(id, _)| id == found.id)
            {
                chosen_client.set(Some((found.id, found.name.clone())));
            }
            if start.service.is_none() && found.last_service.is_some() {
                service.set(found.last_service);
            }
        }
    });
    let provider = RwSignal::new(
        start
            .provider
            .or_else(|| view.with_value(|v| v.providers.first().map(|p| p.id))),
    );
    let date = RwSignal::new(start.at.date().to_string());
    let time = RwSignal::new(start.at.time().format("%H:%M").to_string());
    let notes = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let repeat_weeks = RwSignal::new(String::new());
    let repeat_count = RwSignal::new("4".to_string());

    let start_at = Memo::new(move |_| {
        let d = date.get().parse::<NaiveDate>().ok()?;
        let t = NaiveTime::parse_from_str(&time.get(), "%H:%M").ok()?;
        Some(d.and_time(t))
    });
    let service_view = move || {
        view.with_value(|v| {
            v.services
                .iter()
                .find(|s| Some(s.id) == service.get())
                .cloned()
        })
    };
    let resources = RwSignal::new(Vec::<Uuid>::new());
    // Kinds the service needs with none free at the chosen time.
    let taken_kinds = RwSignal::new(Vec::<String>::new());
    // One free resource of each kind the service needs, when there is one.
    // Picked again only when the time or the service changes: the same
    // service set once more (the client's last one, loaded late) keeps what
    // the person ticked.
    Effect::new(move |previous: Option<Option<(NaiveDateTime, Uuid)>>| {
        let key = start_at.get().zip(service.get());
        if previous.as_ref() == Some(&key) {
            return key;
        }
        let (Some(local), Some(s)) = (start_at.get(), service_view()) else {
            resources.set(Vec::new());
            taken_kinds.set(Vec::new());
            return key;
        };
        let at = instant(tz, local);
        let mine = blocked(
            Some(&s),
            at,
            at + Duration::minutes(s.duration_minutes.into()),
        );
        let picked = view.with_value(|v| {
            let busy = |id: Uuid| {
                v.appointments.iter().any(|a| {
                    a.status != AppointmentStatus::Cancelled
                        && a.resource_ids.contains(&id)
                        && blocked(
                            v.services.iter().find(|x| x.id == a.service_id),
                            a.starts_at,
                            a.ends_at,
                        )
                        .overlaps(&mine)
                })
            };
            let mut picked = Vec::new();
            let mut none_free = Vec::new();
            for kind in &s.resource_kinds {
                match v.resources.iter().find(|r| &r.kind == kind && !busy(r.id)) {
                    Some(r) => picked.push(r.id),
                    None => none_free.push(kind.clone()),
                }
            }
            (picked, none_free)
        });
        resources.set(picked.0);
        taken_kinds.set(picked.1);
        key
    });
    let conflicts = Memo::new(move |_| {
        let (Some(local), Some(s), Some(p)) = (start_at.get(), service_view(), provider.get())
        else {
            return Vec::new();
        };
        let at = instant(tz, local);
        let mine = blocked(
            Some(&s),
            at,
            at + Duration::minutes(s.duration_minutes.into()),
        );
        let chosen = resources.get();
        view.with_value(|v| {
            v.appointments
                .iter()
                .filter(|a| a.status != AppointmentStatus::Cancelled)
                .filter(|a| a.provider_id == p || a.resource_ids.iter().any(|r| chosen.contains(r)))
                .filter(|a| {
                    let theirs = v.services.iter().find(|s| s.id == a.service_id);
                    blocked(theirs, a.starts_at, a.ends_at).overlaps(&mine)
                })
                .map(|a| {
                    format!(
                        "{} {} ({}, {})",
                        clock.span(a.starts_at, a.ends_at),
                        a.client_name,
                        a.service_name,
                        a.provider_name
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    let outside_hours = Memo::new(move |_| {
        let (Some(local), Some(s), Some(p)) = (start_at.get(), service_view(), provider.get())
        else {
            return false;
        };
        let end = local + Duration::minutes(s.duration_minutes.into());
        view.with_value(|v| {
            v.providers.iter().find(|x| x.id == p).is_some_and(|x| {
                !x.hours.iter().any(|h| {
                    h.weekday == local.weekday()
                        && h.starts <= local.time()
                        && end.date() == local.date()
                        && end.time() <= h.ends
                })
            })
        })
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some((client_id, _)), Some(service_id), Some(provider_id), Some(local)) = (
            chosen_client.get_untracked(),
            service.get_untracked(),
            provider.get_untracked(),
            start_at.get_untracked(),
        ) else {
            return;
        };
        let weeks = repeat_weeks.get_untracked().trim().parse::<u32>().ok();
        let reason = reason.get_untracked();
        desk.book.dispatch(Book {
            form: BookingForm {
                client_id,
                service_id,
                provider_id,
                resource_ids: resources.get_untracked(),
                starts_at: instant(tz, local),
                notes: notes.get_untracked(),
                override_reason: (!reason.trim().is_empty()).then_some(reason),
                repeat_weeks: weeks,
                repeat_count: weeks.and(repeat_count.get_untracked().trim().parse().ok()),
                repeat_until: None,
            },
        });
    };
    // A booking made from this dialog closes it; its error stays in it.
    Effect::new(move |_| {
        if desk.book.version().get() > opened_at && matches!(desk.book.value().get(), Some(Ok(_))) {
            desk.booking.set(None);
        }
    });
    let error = move || {
        (desk.book.version().get() > opened_at)
            .then(|| desk.book.value().get().and_then(|r| r.err()))
            .flatten()
    };
    // "10:00–10:30 · 30 min · 45.00 EUR"
    let summary = move || {
        let (Some(local), Some(s)) = (start_at.get(), service_view()) else {
            return String::new();
        };
        let end = local + Duration::minutes(s.duration_minutes.into());
        format!(
            "{} · {} min · {} {}",
            clock.format.span(local, end),
            s.duration_minutes,
            format_price(s.price_minor),
            s.currency
        )
    };
    let missing = move || {
        if chosen_client.get().is_none() {
            Some("Choose a client.")
        } else if service.get().is_none() || provider.get().is_none() {
            Some("Choose a service and a provider.")
        } else if start_at.get().is_none() {
            Some("Give a date and a time.")
        } else {
            None
        }
    };

    view! {
        <Modal labelled_by="booking-title" on_close=Callback::new(move |_| desk.booking.set(None))>
            <form class="stack" on:submit=submit novalidate>
                <h2 id="booking-title">"New appointment"</h2>
                <fieldset>
                    <legend>"Client"</legend>
                    {move || chosen_client.get().map(|(_, name)| view! {
                        <p class="chosen" data-testid="chosen-client">{name}" "
                            <button type="button" class="link" on:click=move |_| chosen_client.set(None)>"change"</button></p>
                    })}
                    <Show when=move || chosen_client.get().is_none()>
                        <label for="booking-client">"Find a client"</label>
                        <input id="booking-client" type="search" autocomplete="off" placeholder="Name, email or phone"
                            prop:value=move || typed.get()
                            on:input=move |ev| {
                                let q = event_target_value(&ev);
                                typed.set(q.clone());
                                if q.trim().len() >= 2 {
                                    search.dispatch(SearchClients { query: q, after: None, archived: None, sort: None });
                                }
                            } />
                        <ul class="choices" aria-label="Matching clients">
                            {move || search.value().get().and_then(|r| r.ok()).map(|page| page.clients.into_iter().take(8).map(|c| {
                                let pick = (c.id, c.name.clone());
                                view! { <li><button type="button" on:click=move |_| {
                                    lookup.set(Some(pick.0));
                                    chosen_client.set(Some(pick.clone()));
                                }>
                                    {c.name.clone()}{c.email.clone().map(|e| format!(" · {e}"))}
                                </button></li> }
                            }).collect_view())}
                        </ul>
                        <Show when=move || typed_enough()>
                            <button type="button" on:click=move |_| {
                                add_client.dispatch(SaveClient { id: None, name: typed.get_untracked(), email: String::new(), phone: String::new(), notes: String::new(), tags: String::new(), email_reminders: None });
                            }>{move || format!("Add \u{201c}{}\u{201d} as a new client", typed.get().trim())}</button>
                        </Show>
                        {move || add_client.value().get().and_then(|r| r.err()).map(|e| view! { <p class="form-error" role="alert">{e.message}</p> })}
                    </Show>
                </fieldset>
                <label for="booking-service">"Service"</label>
                <select id="booking-service" on:change=move |ev| service.set(event_target_value(&ev).parse().ok())>
                    <option value="" selected=move || service.get().is_none()>"Choose a service"</option>
                    {view.with_value(|v| v.services.iter().map(|s| {
                        let id = s.id;
                        view! {
                            <option value=id.to_string() selected=move || service.get() == Some(id)>{format!("{} ({} min)", s.name, s.duration_minutes)}</option>
                        }
                    }).collect_view())}
                </select>
                <label for="booking-provider">"Provider"</label>
                <select id="booking-provider" on:change=move |ev| provider.set(event_target_value(&ev).parse().ok())>
                    {view.with_value(|v| v.providers.iter().map(|p| view! {
                        <option value=p.id.to_string() selected=Some(p.id) == provider.get_untracked()>{p.name.clone()}</option>
                    }).collect_view())}
                </select>
                {move || {
                    let kinds = service_view().map(|s| s.resource_kinds).unwrap_or_default();
                    (!kinds.is_empty()).then(|| view! {
                        <fieldset>
                            <legend>"Resources this service needs"</legend>
                            {move || taken_kinds.get().into_iter().map(|k| view! {
                                <p class="warning" role="status">{format!("No {k} is free at this time.")}</p>
                            }).collect_view()}
                            {view.with_value(|v| v.resources.iter().filter(|r| kinds.contains(&r.kind)).map(|r| {
                                let id = r.id;
                                view! { <label class="check">
                                    <input type="checkbox" prop:checked=move || resources.get().contains(&id)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            resources.update(|list| { list.retain(|x| *x != id); if on { list.push(id); } });
                                        } />
                                    {format!("{} ({})", r.name, r.kind)}
                                </label> }
                            }).collect_view())}
                        </fieldset>
                    })
                }}
                <div class="row">
                    <label>"Date"<input type="date" prop:value=move || date.get() on:input=move |ev| date.set(event_target_value(&ev)) /></label>
                    <label>"Time"<input type="time" step="300" prop:value=move || time.get() on:input=move |ev| time.set(event_target_value(&ev)) /></label>
                </div>
                <p class="muted" data-testid="booking-summary">{summary}</p>
                <label for="booking-notes">"Notes"</label>
                <textarea id="booking-notes" rows="2" on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
                {move || {
                    let found = conflicts.get();
                    (!found.is_empty()).then(|| view! {
                        <div class="warning" role="status" data-testid="conflicts">
                            <p>"This time is taken:"</p>
                            <ul>{found.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                        </div>
                    })
                }}
                {move || outside_hours.get().then(|| view! {
                    <p class="warning" role="status">"This is outside the provider's working hours; give a reason under "<q>"More options"</q>" to book anyway."</p>
                })}
                <details class="more-options" prop:open=move || outside_hours.get()>
                    <summary>"More options: repeat, outside working hours"</summary>
                    <div class="row">
                        <label>"Repeat every (weeks, empty: no)"<input inputmode="numeric" name="repeat_weeks" prop:value=move || repeat_weeks.get() on:input=move |ev| repeat_weeks.set(event_target_value(&ev)) /></label>
                        <label>"Times"<input inputmode="numeric" name="repeat_count" prop:value=move || repeat_count.get() on:input=move |ev| repeat_count.set(event_target_value(&ev)) /></label>
                    </div>
                    <label for="booking-reason">"Reason to book outside working hours"</label>
                    <input id="booking-reason" on:input=move |ev| reason.set(event_target_value(&ev)) />
                </details>
                {move || error().map(|e| view! { <Problems error=e /> })}
                {move || missing().map(|m| view! { <p class="muted">{m}</p> })}
                <div class="row dialog-footer">
                    <button type="submit" class="primary" disabled=move || missing().is_some() || desk.book.pending().get()>"Book"</button>
                    <button type="button" on:click=move |_| desk.booking.set(None)>"Close"</button>
                </div>
            </form>
        </Modal>
    }
    .into_any()
}
