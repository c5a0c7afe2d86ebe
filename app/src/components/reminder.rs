//! An appointment's reminder: scheduled for, sent at, retrying or failed
//! (with the reason), and a button to send it (again).

use frontdesk::domain::{background::ReminderStatus, time_format::Clock};
use leptos::prelude::*;
use uuid::Uuid;

use crate::fns::background::{appointment_reminders, ResendReminder};

#[component]
pub fn ReminderPanel(appointment_id: Uuid, clock: Clock, can_send: bool) -> impl IntoView {
    let resend = ServerAction::<ResendReminder>::new();
    let state = Resource::new(
        move || resend.version().get(),
        move |_| appointment_reminders(appointment_id.to_string()),
    );
    view! {
        <div class="reminder-panel" aria-label="Reminder">
            <Transition fallback=|| view! { <p class="muted">"Reminder…"</p> }>
                {move || Suspend::new(async move {
                    let line = match state.await {
                        Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                        Ok(list) => match list.into_iter().next() {
                            None => view! { <p class="muted" data-testid="reminder">"No reminder yet: one is sent by email before the appointment when the client agreed to reminders."</p> }.into_any(),
                            Some(r) => {
                                let status = r.status;
                                view! {
                                    <p class=format!("reminder reminder-{}", status.as_str()) data-testid="reminder" data-status=status.as_str()>
                                        {r.describe(|t| clock.date_time(t))}
                                    </p>
                                    {(status == ReminderStatus::Failed).then(|| view! { <p class="muted">"Check the client's address, then send it again."</p> })}
                                }.into_any()
                            }
                        },
                    };
                    line
                })}
            </Transition>
            {move || resend.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.message}</p> })}
            {can_send.then(|| view! {
                <button type="button" disabled=move || resend.pending().get()
                    on:click=move |_| { resend.dispatch(ResendReminder { appointment_id }); }>
                    "Send reminder now"
                </button>
            })}
        </div>
    }
}
