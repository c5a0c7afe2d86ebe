//! An open appointment: its details, status changes, changing provider,
//! service, resources, time and notes in one form, and cancelling it (for a
//! series: the time of this one or this and the following, and cancelling
//! either).

use chrono::{NaiveDate, NaiveTime};
use frontdesk::domain::{
    records::{AppointmentStatus, Scope},
    scheduling::instant,
    views::{AppointmentView, CalendarView},
};
use leptos::prelude::*;
use uuid::Uuid;

use super::{Desk, Undo};
use crate::{
    components::forms::Problems,
    components::modal::Modal,
    components::{reminder::ReminderPanel, time::clock_of},
    errors::UiError,
    fns::scheduling::{Cancel, EditAppointment, EditForm, Reschedule, SetStatus},
    layout::use_me,
};

#[component]
pub fn Details(appointment: AppointmentView, view: CalendarView) -> AnyView {
    let desk = expect_context::<Desk>();
    let me = use_me();
    let clock = clock_of(&view.time_zone, view.time_format);
    let a = StoredValue::new(appointment.clone());
    let id = appointment.id;
    let versions = move || {
        (
            desk.reschedule.version().get(),
            desk.cancel.version().get(),
            desk.set_status.version().get(),
            desk.edit.version().get(),
        )
    };
    let opened = versions();
    let done = move || {
        let now = versions();
        (now.0 > opened.0 && matches!(desk.reschedule.value().get(), Some(Ok(_))))
            || (now.1 > opened.1 && matches!(desk.cancel.value().get(), Some(Ok(_))))
            || (now.2 > opened.2 && matches!(desk.set_status.value().get(), Some(Ok(_))))
            || (now.3 > opened.3 && matches!(desk.edit.value().get(), Some(Ok(_))))
    };
    Effect::new(move |_| {
        if done() {
            desk.selected.set(None);
        }
    });
    // A cancellation or a no-show can be taken back for a few seconds.
    let before = appointment.status;
    let who_when = format!(
        "{} at {}",
        appointment.client_name,
        clock.time(appointment.starts_at)
    );
    Effect::new(move |_| {
        let now = versions();
        let undo = if now.1 > opened.1 && matches!(desk.cancel.value().get(), Some(Ok(_))) {
            Some(Undo {
                text: format!("Cancelled {who_when}."),
                id,
                back_to: before,
                cancelled: true,
            })
        } else if now.2 > opened.2
            && matches!(desk.set_status.value().get(), Some(Ok(ref a)) if a.id == id && a.status == AppointmentStatus::NoShow)
        {
            Some(Undo {
                text: format!("Marked {who_when} as no-show."),
                id,
                back_to: before,
                cancelled: false,
            })
        } else {
            None
        };
        if undo.is_some() {
            desk.undo.set(undo);
        }
    });
    let error = move || -> Option<UiError> {
        let now = versions();
        let pick = |changed: bool, e: Option<UiError>| if changed { e } else { None };
        pick(
            now.0 > opened.0,
            desk.reschedule.value().get().and_then(|r| r.err()),
        )
        .or_else(|| {
            pick(
                now.1 > opened.1,
                desk.cancel.value().get().and_then(|r| r.err()),
            )
        })
        .or_else(|| {
            pick(
                now.2 > opened.2,
                desk.set_status.value().get().and_then(|r| r.err()),
            )
        })
        .or_else(|| {
            pick(
                now.3 > opened.3,
                desk.edit.value().get().and_then(|r| r.err()),
            )
        })
    };

    let local = clock.local(appointment.starts_at);
    let date = RwSignal::new(local.date_naive().to_string());
    let time = RwSignal::new(local.time().format("%H:%M").to_string());
    let reason = RwSignal::new(String::new());
    let provider = RwSignal::new(appointment.provider_id);
    let service = RwSignal::new(appointment.service_id);
    let resources = RwSignal::new(appointment.resource_ids.clone());
    let notes = RwSignal::new(appointment.notes.clone());
    let catalog = StoredValue::new(view);
    let cancel_reason = RwSignal::new(String::new());
    let scope = RwSignal::new(Scope::This);
    let series = appointment.series_id.is_some();
    let can_send = me
        .get_untracked()
        .and_then(|r| r.ok())
        .flatten()
        .is_some_and(|m| {
            m.role()
                .allows(frontdesk::domain::roles::Permission::Record(
                    frontdesk::domain::roles::RecordKind::Appointment,
                    frontdesk::domain::roles::Action::Update,
                ))
        });
    let active = appointment.status != AppointmentStatus::Cancelled;

    let change_it = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Ok(d), Ok(t)) = (
            date.get_untracked().parse::<NaiveDate>(),
            NaiveTime::parse_from_str(&time.get_untracked(), "%H:%M"),
        ) else {
            return;
        };
        let why = reason.get_untracked();
        let starts_at = instant(clock.zone, d.and_time(t));
        let override_reason = (!why.trim().is_empty()).then_some(why);
        // The rest of a series moves by time only.
        if scope.get_untracked() == Scope::Following {
            desk.reschedule.dispatch(Reschedule {
                id,
                starts_at,
                override_reason,
                scope: Scope::Following,
            });
        } else {
            desk.edit.dispatch(EditAppointment {
                id,
                form: EditForm {
                    service_id: service.get_untracked(),
                    provider_id: provider.get_untracked(),
                    resource_ids: resources.get_untracked(),
                    starts_at,
                    notes: notes.get_untracked(),
                    override_reason,
                },
            });
        }
    };
    let cancel_it = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        desk.cancel.dispatch(Cancel {
            id,
            reason: cancel_reason.get_untracked(),
            scope: scope.get_untracked(),
        });
    };
    let scope_choice = move || {
        series.then(|| view! {
        <label>"Apply to"
            <select on:change=move |ev| scope.set(if event_target_value(&ev) == "following" { Scope::Following } else { Scope::This })>
                <option value="this">"This appointment"</option>
                <option value="following">"This and the following"</option>
            </select>
        </label>
    })
    };

    view! {
        <Modal labelled_by="appointment-title" on_close=Callback::new(move |_| desk.selected.set(None))>
            <h2 id="appointment-title">{a.with_value(|a| a.client_name.clone())}</h2>
            <p>
                {move || a.with_value(|a| format!("{} – {}", clock.date_time(a.starts_at), clock.time(a.ends_at)))}
                <br />{a.with_value(|a| format!("{} with {}", a.service_name, a.provider_name))}
                <br /><span class=a.with_value(|a| format!("badge status-{}", a.status.as_str())) data-testid="status">{a.with_value(|a| a.status.label())}</span>
                {a.with_value(|a| a.series_id.map(|_| view! { " · part of a weekly series" }))}
            </p>
            {a.with_value(|a| (!a.notes.is_empty()).then(|| view! { <p class="notes">{a.notes.clone()}</p> }))}
            <p><a href=a.with_value(|a| format!("/clients/{}", a.client_id))>"Open the client"</a></p>
            {active.then(|| view! { <ReminderPanel appointment_id=id clock can_send /> })}
            {move || error().map(|e| view! { <Problems error=e /> })}
            {active.then(|| view! {
                <div class="row" role="group" aria-label="Status">
                    {[AppointmentStatus::Confirmed, AppointmentStatus::Completed, AppointmentStatus::NoShow].map(|status| view! {
                        <button type="button" on:click=move |_| { desk.set_status.dispatch(SetStatus { id, status }); }>
                            {format!("Mark {}", status.label().to_lowercase())}
                        </button>
                    })}
                </div>
                <form class="stack" on:submit=change_it aria-labelledby="change-title">
                    <h3 id="change-title">"Change"</h3>
                    <div class="row">
                        <label>"Provider"
                            <select on:change=move |ev| { if let Ok(p) = event_target_value(&ev).parse::<Uuid>() { provider.set(p) } }>
                                {catalog.with_value(|v| v.providers.iter().map(|p| view! {
                                    <option value=p.id.to_string() selected=p.id == provider.get_untracked()>{p.name.clone()}</option>
                                }).collect_view())}
                            </select>
                        </label>
                        <label>"Service"
                            <select on:change=move |ev| { if let Ok(s) = event_target_value(&ev).parse::<Uuid>() { service.set(s) } }>
                                {catalog.with_value(|v| v.services.iter().map(|s| view! {
                                    <option value=s.id.to_string() selected=s.id == service.get_untracked()>{format!("{} ({} min)", s.name, s.duration_minutes)}</option>
                                }).collect_view())}
                            </select>
                        </label>
                    </div>
                    {catalog.with_value(|v| (!v.resources.is_empty()).then(|| view! {
                        <fieldset class="row">
                            <legend>"Resources"</legend>
                            {v.resources.iter().map(|r| {
                                let rid = r.id;
                                view! { <label class="check">
                                    <input type="checkbox" prop:checked=move || resources.get().contains(&rid)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            resources.update(|list| { list.retain(|x| *x != rid); if on { list.push(rid); } });
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
                    {scope_choice}
                    <label>"Notes"<textarea rows="2" prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))></textarea></label>
                    <label>"Reason, if outside working hours"<input on:input=move |ev| reason.set(event_target_value(&ev)) /></label>
                    <button type="submit" class="primary">"Save changes"</button>
                </form>
                <form class="stack" on:submit=cancel_it aria-label="Cancel appointment">
                    <h3>"Cancel"</h3>
                    <label>"Reason"<input name="cancel_reason" on:input=move |ev| cancel_reason.set(event_target_value(&ev)) /></label>
                    {scope_choice}
                    <button type="submit" class="danger">"Cancel appointment"</button>
                </form>
            })}
            {(!active).then(|| a.with_value(|a| view! {
                <p class="muted">{format!("Cancelled{}", a.cancel_reason.clone().filter(|r| !r.is_empty()).map(|r| format!(": {r}")).unwrap_or_default())}</p>
            }))}
            <button type="button" on:click=move |_| desk.selected.set(None)>"Close"</button>
        </Modal>
    }
    .into_any()
}
