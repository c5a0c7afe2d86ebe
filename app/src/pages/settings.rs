//! Settings: the overview, the audit log and API keys.

use frontdesk::domain::{
    account::TimeZoneName, api_scopes::ApiScope, free_time::BOOKING_STEPS, roles::Permission,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::{
    components::forms::{error_of, invalid, FieldError, FormError},
    fns::{
        accounts::{two_factor_policy, SaveTwoFactorPolicy, UpdateSettings},
        background::{reminder_windows, SaveReminderWindows},
        settings::{
            booking_step, load_api_keys, load_audit_log, take_new_api_key, CreateApiKey,
            RevokeApiKey, SaveBookingStep,
        },
    },
    layout::use_me,
};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let me = use_me();
    view! {
        <Title text="Settings" />
        <h1>"Settings"</h1>
        <ul class="list">
            <li><a href="/settings/services">"Services"</a>" — what you offer, its length, price and buffers"</li>
            <li><a href="/settings/providers">"Providers"</a>" — who takes appointments, and their working hours"</li>
            <li><a href="/settings/resources">"Resources"</a>" — rooms, chairs and equipment"</li>
            <li><a href="/team">"Team"</a>" — members, roles and invitations"</li>
            <li><a href="/profile">"Profile"</a>" — your password, two-factor sign-in and sessions"</li>
            <Suspense>
                {move || Suspend::new(async move {
                    let role = me.await.ok().flatten().map(|m| m.role());
                    let audit = role.is_some_and(|r| r.allows(Permission::ReadAuditLog));
                    let keys = role.is_some_and(|r| r.allows(Permission::ManageApiKeys));
                    view! {
                        {audit.then(|| view! { <li><a href="/settings/audit-log">"Audit log"</a>" — who changed what, and when"</li> })}
                        {keys.then(|| view! { <li><a href="/settings/api-keys">"API keys"</a>" — access for other programs"</li> })}
                        {role.is_some_and(|r| r.allows(Permission::ManageSettings)).then(|| view! { <li><a href="/settings/jobs">"Background jobs"</a>" — emails, reminders and schedules: what ran, what failed"</li> })}
                    }
                })}
            </Suspense>
        </ul>
        <Suspense>
            {move || Suspend::new(async move {
                me.await.ok().flatten().filter(|m| m.role().allows(Permission::ManageSettings)).map(|m| view! {
                    <BusinessForm name=m.tenant.name.clone() time_zone=m.tenant.time_zone.clone() />
                    <StepForm />
                    <ReminderForm />
                    {(m.role() == frontdesk::domain::roles::Role::Owner).then(|| view! { <TwoFactorPolicyForm /> })}
                })
            })}
        </Suspense>
    }
}

/// The business's name and time zone, for those who manage settings.
#[component]
fn BusinessForm(name: String, time_zone: String) -> impl IntoView {
    let update = ServerAction::<UpdateSettings>::new();
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

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("entity_type").filter(|t| !t.is_empty()),
            q.get("actor").and_then(|a| a.parse::<Uuid>().ok()),
            q.get("after").and_then(|a| a.parse::<Uuid>().ok()),
        )
    });
    let page = Resource::new(
        move || filter.get(),
        |(entity, actor, after)| load_audit_log(entity, actor, after),
    );
    view! {
        <Title text="Audit log" />
        <h1>"Audit log"</h1>
        <Suspense fallback=|| view! { <p>"Loading the audit log…"</p> }>
            {move || Suspend::new(async move {
                let (entity, actor, _) = filter.get_untracked();
                match page.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok(page) => {
                        let next_href = page.next.clone().map(|next| {
                            let mut href = format!("/settings/audit-log?after={next}");
                            if let Some(e) = &entity { href.push_str(&format!("&entity_type={e}")); }
                            if let Some(a) = actor { href.push_str(&format!("&actor={a}")); }
                            href
                        });
                        view! {
                            <form method="get" action="/settings/audit-log" class="filters">
                                <label for="entity_type">"Record"</label>
                                <select id="entity_type" name="entity_type">
                                    <option value="">"All"</option>
                                    {page.entity_types.iter().map(|t| view! {
                                        <option value=t.clone() selected=entity.as_deref() == Some(t.as_str())>{t.clone()}</option>
                                    }).collect_view()}
                                </select>
                                <label for="actor">"By"</label>
                                <select id="actor" name="actor">
                                    <option value="">"Anyone"</option>
                                    {page.actors.iter().map(|(id, name)| view! {
                                        <option value=id.to_string() selected=actor == Some(*id)>{name.clone()}</option>
                                    }).collect_view()}
                                </select>
                                <button type="submit">"Filter"</button>
                            </form>
                            <table class="table audit" aria-label="Audit entries">
                                <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"Action"</th><th>"Record"</th><th>"Changes"</th></tr></thead>
                                <tbody>
                                    {page.entries.into_iter().map(|e| view! {
                                        <tr data-action=e.action.clone()>
                                            <td>{e.at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                            <td>{e.actor_name.clone().unwrap_or_else(|| e.actor_kind.clone())}</td>
                                            <td>{e.action.clone()}</td>
                                            <td>{e.entity_type.clone()}</td>
                                            <td><code>{e.changes.clone()}</code></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {next_href.map(|href| view! { <p><a href=href rel="next">"Older entries"</a></p> })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| load_api_keys(),
    );
    let error = error_of(create.value());
    // A key created without JavaScript comes back through the session, once.
    let flashed = Resource::new(|| (), |_| take_new_api_key());
    let secret = move || {
        create
            .value()
            .get()
            .and_then(|r| r.ok())
            .map(|created| created.secret)
            .or_else(|| flashed.get().and_then(|r| r.ok()).flatten())
    };
    view! {
        <Title text="API keys" />
        <h1>"API keys"</h1>
        <h2>"New key"</h2>
        <ActionForm action=create attr:class="stack narrow" attr:novalidate="">
            <FormError error />
            <label for="key-name">"Name"</label>
            <input id="key-name" name="name" required maxlength="200" aria-invalid=invalid(error, "name") />
            <FieldError error field="name" />
            <fieldset>
                <legend>"Scopes"</legend>
                {ApiScope::all().into_iter().enumerate().map(|(i, scope)| view! {
                    <label class="check"><input type="checkbox" name=format!("scopes[{i}]") value=scope.to_string() />{scope.to_string()}</label>
                }).collect_view()}
            </fieldset>
            <FieldError error field="scopes" />
            <button type="submit" class="primary">"Create key"</button>
        </ActionForm>
        <Suspense>
            {move || secret().map(|secret| view! {
                <div class="notice" role="status">
                    <p>"Copy this key now: it is shown only once."</p>
                    <p><code class="secret">{secret}</code></p>
                </div>
            })}
        </Suspense>
        <h2>"Keys"</h2>
        <Suspense fallback=|| view! { <p>"Loading keys…"</p> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok(keys) if keys.is_empty() => view! { <p class="muted">"No API keys yet."</p> }.into_any(),
                    Ok(keys) => view! {
                        <table class="table" aria-label="API keys">
                            <thead><tr><th>"Name"</th><th>"Key"</th><th>"Scopes"</th><th>"Last used"</th><th></th></tr></thead>
                            <tbody>
                                {keys.into_iter().map(|k| view! {
                                    <tr>
                                        <td>{k.name}</td>
                                        <td><code>{format!("{}…", k.prefix)}</code></td>
                                        <td>{k.scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")}</td>
                                        <td>{k.last_used_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into())}</td>
                                        <td>{match k.revoked_at {
                                            Some(at) => view! { <span class="muted">{format!("revoked {}", at.format("%Y-%m-%d"))}</span> }.into_any(),
                                            None => view! {
                                                <ActionForm action=revoke attr:class="inline">
                                                    <input type="hidden" name="key" value=k.id.to_string() />
                                                    <button type="submit" class="danger">"Revoke"</button>
                                                </ActionForm>
                                            }.into_any(),
                                        }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
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
