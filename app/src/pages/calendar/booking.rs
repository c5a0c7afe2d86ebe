//! The booking dialog: find or add the client, choose service, provider and
//! resources, see conflicts and working hours before submitting, and
//! optionally repeat weekly.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime};
use frontdesk::domain::{
    records::AppointmentStatus,
    scheduling::{instant, Span},
    views::{CalendarView, ServiceView},
};
use leptos::prelude::*;
use uuid::Uuid;

use super::{Desk, Slot};
use crate::{
    components::modal::Modal,
    components::time::{clock, zone},
    fns::{
        clients::{SaveClient, SearchClients},
        scheduling::{Book, BookingForm},
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
    let tz = zone(&view.time_zone);
    let view = StoredValue::new(view);
    let opened_at = desk.book.version().get_untracked();

    let chosen_client =
        RwSignal::new(client.map(|id| (id, "the client you came from".to_string())));
    let search = ServerAction::<SearchClients>::new();
    let add_client = ServerAction::<SaveClient>::new();
    let typed = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(saved)) = add_client.value().get() {
            chosen_client.set(Some((saved.client.id, saved.client.name)));
        }
    });

    let typed_enough = move || typed.get().trim().chars().count() > 1;
    let first_service = view.with_value(|v| v.services.first().map(|s| s.id));
    let service = RwSignal::new(first_service);
    let provider = RwSignal::new(
        start
            .provider
            .or_else(|| view.with_value(|v| v.providers.first().map(|p| p.id))),
    );
    // Preselect one resource of each kind the service needs.
    let resources = RwSignal::new(Vec::<Uuid>::new());
    Effect::new(move |_| {
        let needed = view.with_value(|v| {
            let kinds = v
                .services
                .iter()
                .find(|s| Some(s.id) == service.get())
                .map(|s| s.resource_kinds.clone())
                .unwrap_or_default();
            kinds
                .iter()
                .filter_map(|k| v.resources.iter().find(|r| &r.kind == k).map(|r| r.id))
                .collect::<Vec<_>>()
        });
        resources.set(needed);
    });
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
                        "{}–{} {} ({}, {})",
                        clock(a.starts_at, tz),
                        clock(a.ends_at, tz),
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
                                view! { <li><button type="button" on:click=move |_| chosen_client.set(Some(pick.clone()))>
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
                    {view.with_value(|v| v.services.iter().map(|s| view! {
                        <option value=s.id.to_string() selected=Some(s.id) == first_service>{format!("{} ({} min)", s.name, s.duration_minutes)}</option>
                    }).collect_view())}
                </select>
                <label for="booking-provider">"Provider"</label>
                <select id="booking-provider" on:change=move |ev| provider.set(event_target_value(&ev).parse().ok())>
                    {view.with_value(|v| v.providers.iter().map(|p| view! {
                        <option value=p.id.to_string() selected=Some(p.id) == provider.get_untracked()>{p.name.clone()}</option>
                    }).collect_view())}
                </select>
                {view.with_value(|v| (!v.resources.is_empty()).then(|| view! {
                    <fieldset>
                        <legend>"Resources"</legend>
                        {v.resources.iter().map(|r| {
                            let id = r.id;
                            view! { <label class="check">
                                <input type="checkbox" prop:checked=move || resources.get().contains(&id)
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        resources.update(|list| { list.retain(|x| *x != id); if on { list.push(id); } });
                                    } />
                                {format!("{} ({})", r.name, r.kind)}
                            </label> }
                        }).collect_view()}
                    </fieldset>
                }))}
                <div class="row">
                    <label>"Date"<input type="date" prop:value=move || date.get() on:input=move |ev| date.set(event_target_value(&ev)) /></label>
                    <label>"Time"<input type="time" step="300" prop:value=move || time.get() on:input=move |ev| time.set(event_target_value(&ev)) /></label>
                </div>
                <div class="row">
                    <label>"Repeat every (weeks, empty: no)"<input inputmode="numeric" name="repeat_weeks" prop:value=move || repeat_weeks.get() on:input=move |ev| repeat_weeks.set(event_target_value(&ev)) /></label>
                    <label>"Times"<input inputmode="numeric" name="repeat_count" prop:value=move || repeat_count.get() on:input=move |ev| repeat_count.set(event_target_value(&ev)) /></label>
                </div>
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
                    <p class="warning" role="status">"This is outside the provider's working hours; give a reason to book anyway."</p>
                })}
                <label for="booking-reason">"Reason to book outside working hours"</label>
                <input id="booking-reason" on:input=move |ev| reason.set(event_target_value(&ev)) />
                {move || error().map(|e| {
                    let fields: Vec<String> = e.fields.iter().map(|(f, m)| format!("{f}: {m}")).collect();
                    view! { <div class="form-error" role="alert"><p>{e.message.clone()}</p>
                        <ul>{fields.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul></div> }
                })}
                {move || missing().map(|m| view! { <p class="muted">{m}</p> })}
                <div class="row">
                    <button type="submit" class="primary" disabled=move || missing().is_some() || desk.book.pending().get()>"Book"</button>
                    <button type="button" on:click=move |_| desk.booking.set(None)>"Close"</button>
                </div>
            </form>
        </Modal>
    }
    .into_any()
}
