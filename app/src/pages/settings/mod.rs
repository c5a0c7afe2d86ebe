//! Settings: the business's own settings, with the frame and the pages
//! beside them (audit log, API keys).

mod api_keys;
mod audit;
mod frame;
mod mailboxes;

pub use api_keys::ApiKeysPage;
pub use audit::AuditLogPage;
pub use frame::SettingsFrame;
pub use mailboxes::MailboxesPage;

use frontdesk::domain::{
    account::TimeZoneName, free_time::BOOKING_STEPS, roles::Permission, time_format::TimeFormat,
};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::forms::{error_of, invalid, FieldError, FormError},
    fns::{
        accounts::{two_factor_policy, SaveTwoFactorPolicy, UpdateSettings},
        background::{reminder_windows, SaveReminderWindows},
        settings::{booking_step, SaveBookingStep},
    },
    layout::use_me,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let me = use_me();
    // Made here, not in the form: the form is drawn again once the session
    // is read anew after a save, and the outcome stays on show.
    let update = ServerAction::<UpdateSettings>::new();
    Effect::new(move |_| {
        if matches!(update.value().get(), Some(Ok(()))) {
            // The name in the top bar and the times on every page follow.
            me.refetch();
        }
    });
    view! {
        <Title text="Settings" />
        <h1>"Business settings"</h1>
        <Suspense>
            {move || Suspend::new(async move {
                match me.await.ok().flatten() {
                    Some(m) if m.role().allows(Permission::ManageSettings) => view! {
                        <BusinessForm name=m.tenant.name.clone() time_zone=m.tenant.time_zone.clone() time_format=m.tenant.time_format update />
                        <StepForm />
                        <ReminderForm />
                        {(m.role() == frontdesk::domain::roles::Role::Owner).then(|| view! { <TwoFactorPolicyForm /> })}
                    }.into_any(),
                    _ => view! {
                        <p class="muted">"Only owners and admins change the business's settings. Services, providers, resources and the team are open to read."</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The business's name, time zone and time format, for those who manage settings.
#[component]
fn BusinessForm(
    name: String,
    time_zone: String,
    time_format: TimeFormat,
    update: ServerAction<UpdateSettings>,
) -> impl IntoView {
    let error = error_of(update.value());
    view! {
        <h2>"Business"</h2>
        <ActionForm action=update attr:class="stack narrow" attr:novalidate="">
            <FormError error />
            <label for="business-name">"Business name"</label>
            <input id="business-name" name="name" value=name required maxlength="200" aria-invalid=invalid(error, "name") />
            <FieldError error field="name" />
            <label for="business-zone">"Time zone"</label>
            <select id="business-zone" name="time_zone" aria-invalid=invalid(error, "time_zone")>
                {TimeZoneName::choices()
                    .map(|z| view! { <option value=z selected=z == time_zone>{z}</option> })
                    .collect_view()}
            </select>
            <FieldError error field="time_zone" />
            <label for="business-time-format">"Time format"</label>
            <select id="business-time-format" name="time_format" aria-invalid=invalid(error, "time_format")
                aria-describedby="time-format-help">
                {TimeFormat::ALL
                    .map(|f| view! { <option value=f.as_str() selected=f == time_format>{f.label()}</option> })
                    .collect_view()}
            </select>
            <FieldError error field="time_format" />
            <p class="muted" id="time-format-help">"How times read on every page, in refusals, the audit log and the emails clients get."</p>
            <button type="submit" class="primary">"Save"</button>
            {move || update.value().get().and_then(|r| r.ok()).map(|_| view! {
                <p class="notice" role="status">"Saved."</p>
            })}
        </ActionForm>
    }
}

/// The minutes a click on the calendar snaps to and free times are offered on.
#[component]
fn StepForm() -> impl IntoView {
    let save = ServerAction::<SaveBookingStep>::new();
    let current = Resource::new(|| (), |_| booking_step());
    let error = error_of(save.value());
    view! {
        <h2>"Calendar"</h2>
        <Suspense>
            {move || Suspend::new(async move {
                let step = current.await.unwrap_or(15);
                view! {
                    <ActionForm action=save attr:class="stack narrow" attr:novalidate="">
                        <FormError error />
                        <label for="booking-step">"Booking step"</label>
                        <select id="booking-step" name="booking_step" aria-invalid=invalid(error, "booking_step")
                            aria-describedby="booking-step-help">
                            {BOOKING_STEPS.map(|m| view! {
                                <option value=m.to_string() selected=m == step>{format!("{m} minutes")}</option>
                            }).collect_view()}
                        </select>
                        <FieldError error field="booking_step" />
                        <p class="muted" id="booking-step-help">"A click on the calendar starts on these marks, and free times are offered on them."</p>
                        <button type="submit" class="primary">"Save step"</button>
                        {move || save.value().get().and_then(|r| r.ok()).map(|_| view! {
                            <p class="notice" role="status">"Saved."</p>
                        })}
                    </ActionForm>
                }
            })}
        </Suspense>
    }
}

/// When clients get their email reminders.
#[component]
fn ReminderForm() -> impl IntoView {
    let save = ServerAction::<SaveReminderWindows>::new();
    let current = Resource::new(|| (), |_| reminder_windows());
    let error = error_of(save.value());
    view! {
        <h2>"Reminders"</h2>
        <Suspense>
            {move || Suspend::new(async move {
                let (hours, second) = current.await.unwrap_or((24, None));
                view! {
                    <ActionForm action=save attr:class="stack narrow" attr:novalidate="">
                        <FormError error />
                        <label for="reminder-hours">"Email reminder, hours before the appointment"</label>
                        <input id="reminder-hours" name="reminder_hours" inputmode="numeric" value=hours.to_string() aria-invalid=invalid(error, "reminder_hours") />
                        <FieldError error field="reminder_hours" />
                        <label for="second-reminder-hours">"Second reminder, hours before (empty for none)"</label>
                        <input id="second-reminder-hours" name="second_reminder_hours" inputmode="numeric" value=second.map(|h| h.to_string()).unwrap_or_default() aria-invalid=invalid(error, "second_reminder_hours") />
                        <FieldError error field="second_reminder_hours" />
                        <p class="muted">"Sent to clients who have an email address and agreed to reminders."</p>
                        <button type="submit" class="primary">"Update reminders"</button>
                        {move || save.value().get().and_then(|r| r.ok()).map(|_| view! {
                            <p class="notice" role="status">"Saved."</p>
                        })}
                    </ActionForm>
                }
            })}
        </Suspense>
    }
}

/// The owner's requirement of two-factor sign-in from every member.
#[component]
fn TwoFactorPolicyForm() -> impl IntoView {
    let save = ServerAction::<SaveTwoFactorPolicy>::new();
    let current = Resource::new(move || save.version().get(), |_| two_factor_policy());
    let error = error_of(save.value());
    view! {
        <h2>"Two-factor sign-in"</h2>
        <Suspense>
            {move || Suspend::new(async move {
                let Ok(policy) = current.await else { return ().into_any() };
                let required = policy.required_since.is_some();
                view! {
                    <ActionForm action=save attr:class="stack narrow" attr:novalidate="">
                        <FormError error />
                        <label class="check"><input type="checkbox" name="required" value="true" checked=required />" Require two-factor sign-in from everyone"</label>
                        <label for="grace-days">"Days to set it up before it is enforced"</label>
                        <input id="grace-days" name="grace_days" inputmode="numeric" value=policy.grace_days.to_string() aria-invalid=invalid(error, "grace_days") />
                        <FieldError error field="grace_days" />
                        {(!policy.members_without.is_empty()).then(|| view! {
                            <p class="muted">{format!("Not set up yet: {}.", policy.members_without.join(", "))}</p>
                        })}
                        <button type="submit" class="primary">"Update two-factor sign-in"</button>
                        {move || save.value().get().and_then(|r| r.ok()).map(|_| view! {
                            <p class="notice" role="status">"Saved."</p>
                        })}
                    </ActionForm>
                }.into_any()
            })}
        </Suspense>
    }
}
