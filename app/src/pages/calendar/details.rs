//! An open appointment: its details, status changes, moving it and
//! cancelling it (for a series: this one, or this and the following).

use chrono::{NaiveDate, NaiveTime};
use frontdesk::domain::{
    records::{AppointmentStatus, Scope},
    scheduling::instant,
    views::AppointmentView,
};
use leptos::prelude::*;

use super::Desk;
use crate::{
    components::modal::Modal,
    components::{
        reminder::ReminderPanel,
        time::{clock, date_time, zone},
    },
    errors::UiError,
    fns::scheduling::{Cancel, Reschedule, SetStatus},
    layout::use_me,
};

#[component]
pub fn Details(appointment: AppointmentView) -> AnyView {
    let desk = expect_context::<Desk>();
    let me = use_me();
    let tz = Signal::derive(move || {
        zone(
            &me.get()
                .and_then(|r| r.ok())
                .flatten()
                .map(|m| m.tenant.time_zone)
                .unwrap_or_default(),
        )
    });
    let a = StoredValue::new(appointment.clone());
    let id = appointment.id;
    let versions = move || {
        (
            desk.reschedule.version().get(),
            desk.cancel.version().get(),
            desk.set_status.version().get(),
        )
    };
    let opened = versions();
    let done = move || {
        let now = versions();
        (now.0 > opened.0 && matches!(desk.reschedule.value().get(), Some(Ok(_))))
            || (now.1 > opened.1 && matches!(desk.cancel.value().get(), Some(Ok(_))))
            || (now.2 > opened.2 && matches!(desk.set_status.value().get(), Some(Ok(_))))
    };
    Effect::new(move |_| {
        if done() {
            desk.selected.set(None);
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
    };

    let local = appointment.starts_at.with_timezone(&tz.get_untracked());
    let date = RwSignal::new(local.date_naive().to_string());
    let time = RwSignal::new(local.time().format("%H:%M").to_string());
    let reason = RwSignal::new(String::new());
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

    let move_it = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Ok(d), Ok(t)) = (
            date.get_untracked().parse::<NaiveDate>(),
            NaiveTime::parse_from_str(&time.get_untracked(), "%H:%M"),
        ) else {
            return;
        };
        let why = reason.get_untracked();
        desk.reschedule.dispatch(Reschedule {
            id,
            starts_at: instant(tz.get_untracked(), d.and_time(t)),
            override_reason: (!why.trim().is_empty()).then_some(why),
            scope: scope.get_untracked(),
        });
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
                {move || a.with_value(|a| format!("{} – {}", date_time(a.starts_at, tz.get()), clock(a.ends_at, tz.get())))}
                <br />{a.with_value(|a| format!("{} with {}", a.service_name, a.provider_name))}
                <br /><span class=a.with_value(|a| format!("badge status-{}", a.status.as_str())) data-testid="status">{a.with_value(|a| a.status.label())}</span>
                {a.with_value(|a| a.series_id.map(|_| view! { " · part of a weekly series" }))}
            </p>
            {a.with_value(|a| (!a.notes.is_empty()).then(|| view! { <p class="notes">{a.notes.clone()}</p> }))}
            <p><a href=a.with_value(|a| format!("/clients/{}", a.client_id))>"Open the client"</a></p>
            {active.then(|| view! { <ReminderPanel appointment_id=id tz can_send /> })}
            {move || error().map(|e| {
                let fields: Vec<String> = e.fields.iter().map(|(f, m)| format!("{f}: {m}")).collect();
                view! { <div class="form-error" role="alert"><p>{e.message.clone()}</p>
                    <ul>{fields.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul></div> }
            })}
            {active.then(|| view! {
                <div class="row" role="group" aria-label="Status">
                    {[AppointmentStatus::Confirmed, AppointmentStatus::Completed, AppointmentStatus::NoShow].map(|status| view! {
                        <button type="button" on:click=move |_| { desk.set_status.dispatch(SetStatus { id, status }); }>
                            {format!("Mark {}", status.label().to_lowercase())}
                        </button>
                    })}
                </div>
                <form class="stack" on:submit=move_it aria-label="Reschedule">
                    <h3>"Move"</h3>
                    <div class="row">
                        <label>"Date"<input type="date" prop:value=move || date.get() on:input=move |ev| date.set(event_target_value(&ev)) /></label>
                        <label>"Time"<input type="time" step="300" prop:value=move || time.get() on:input=move |ev| time.set(event_target_value(&ev)) /></label>
                    </div>
                    {scope_choice}
                    <label>"Reason, if outside working hours"<input on:input=move |ev| reason.set(event_target_value(&ev)) /></label>
                    <button type="submit">"Move appointment"</button>
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
