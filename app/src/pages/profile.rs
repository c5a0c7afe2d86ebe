//! The signed-in person: password, two-factor sign-in and sessions.

use frontdesk::domain::{password::MIN_CHARS, two_factor::format_recovery_code};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use crate::{
    components::forms::{error_of, invalid, FieldError, FormError},
    components::time::session_clock,
    fns::accounts::{
        list_sessions, two_factor_status, ChangeEmail, ChangePassword, EndSession,
        ResendVerification, SignOutEverywhere, TwoFactorBegin, TwoFactorDisable, TwoFactorEnable,
        TwoFactorRecoveryCodes,
    },
    layout::use_me,
};

#[component]
pub fn ProfilePage() -> impl IntoView {
    let me = use_me();
    let change = ServerAction::<ChangePassword>::new();
    let resend = ServerAction::<ResendVerification>::new();
    let error = error_of(change.value());
    view! {
        <Title text="Profile" />
        <h1>"Profile"</h1>
        <Suspense>
            {move || Suspend::new(async move {
                me.await.ok().flatten().map(|m| view! {
                    <dl class="facts" id="email">
                        <dt>"Name"</dt><dd>{m.name}</dd>
                        <dt>"Email"</dt>
                        <dd>
                            {m.email.clone()}
                            {if m.email_verified {
                                view! { " " <span class="muted">"(verified)"</span> }.into_any()
                            } else {
                                view! {
                                    " " <span class="muted">"(not verified yet)"</span>
                                    <ActionForm action=resend attr:class="inline">
                                        <button type="submit">"Send the link again"</button>
                                    </ActionForm>
                                    {move || resend.value().get().and_then(|r| r.ok()).map(|_| view! {
                                        <p class="notice" role="status">"Sent. The link works for 24 hours."</p>
                                    })}
                                }.into_any()
                            }}
                        </dd>
                        <dt>"Role"</dt><dd>{format!("{} at {}", m.tenant.role, m.tenant.name)}</dd>
                    </dl>
                })
            })}
        </Suspense>
        <ChangeEmailForm />
        <h2>"Change password"</h2>
        <ActionForm action=change attr:class="stack narrow" attr:novalidate="">
            <FormError error />
            <label for="current_password">"Current password"</label>
            <input id="current_password" name="current_password" type="password" autocomplete="current-password" required aria-invalid=invalid(error, "current_password") />
            <FieldError error field="current_password" />
            <label for="new_password">"New password " <span class="hint">{format!("(at least {MIN_CHARS} characters)")}</span></label>
            <input id="new_password" name="new_password" type="password" autocomplete="new-password" required aria-invalid=invalid(error, "new_password") />
            <FieldError error field="new_password" />
            <button type="submit" class="primary">"Change password"</button>
            {move || change.value().get().and_then(|r| r.ok()).map(|_| view! {
                <p class="notice" role="status">"Password changed. Your other sessions were signed out."</p>
            })}
        </ActionForm>
        <TwoFactorSection />
        <h2>"Sessions"</h2>
        <SessionList />
        <form method="post" action=SignOutEverywhere::PATH>
            <p>"Signs you out on every device and browser, including this one."</p>
            <button type="submit">"Sign out everywhere"</button>
        </form>
    }
}

/// Setting up an authenticator app, recovery codes, turning it off.
#[component]
fn TwoFactorSection() -> impl IntoView {
    let begin = ServerAction::<TwoFactorBegin>::new();
    let enable = ServerAction::<TwoFactorEnable>::new();
    let disable = ServerAction::<TwoFactorDisable>::new();
    let regenerate = ServerAction::<TwoFactorRecoveryCodes>::new();
    let status = Resource::new(
        move || {
            (
                enable.version().get(),
                disable.version().get(),
                regenerate.version().get(),
            )
        },
        |_| two_factor_status(),
    );
    let enable_error = error_of(enable.value());
    let disable_error = error_of(disable.value());
    let begin_error = error_of(begin.value());
    // The codes just made, shown once.
    let fresh_codes = move || {
        regenerate
            .value()
            .get()
            .and_then(|r| r.ok())
            .or_else(|| enable.value().get().and_then(|r| r.ok()))
    };
    view! {
        <h2 id="two-factor">"Two-factor sign-in"</h2>
        {move || fresh_codes().map(|codes| view! {
            <div class="recovery-codes" role="status">
                <p>"Your recovery codes. Each works once, instead of a code from the app. Keep them somewhere safe: they are not shown again."</p>
                <ul>{codes.into_iter().map(|c| view! { <li><code>{format_recovery_code(&c)}</code></li> }).collect_view()}</ul>
            </div>
        })}
        <Suspense>
            {move || Suspend::new(async move {
                let Ok(state) = status.await else { return ().into_any() };
                let required = state.required_from.map(|from| view! {
                    <p class="notice" role="status">
                        {format!("Your business requires two-factor sign-in from {}.", from.format("%-d %B %Y"))}
                    </p>
                });
                if state.enabled {
                    view! {
                        {required}
                        <p data-two-factor="on">{format!(
                            "On. {} recovery codes left; {} trusted browsers.",
                            state.recovery_codes_left, state.trusted_browsers
                        )}</p>
                        <ActionForm action=regenerate attr:class="inline">
                            <button type="submit">"New recovery codes"</button>
                        </ActionForm>
                        <ActionForm action=disable attr:class="stack narrow" attr:novalidate="">
                            <FormError error=disable_error />
                            <label for="two-factor-password">"Password, to turn two-factor sign-in off"</label>
                            <input id="two-factor-password" name="password" type="password" autocomplete="current-password" aria-invalid=invalid(disable_error, "password") />
                            <FieldError error=disable_error field="password" />
                            <button type="submit">"Turn off"</button>
                        </ActionForm>
                    }.into_any()
                } else {
                    view! {
                        {required}
                        <p data-two-factor="off">"Off. With it on, signing in also asks for a code from an authenticator app on your phone."</p>
                        <ActionForm action=begin attr:class="inline">
                            <FormError error=begin_error />
                            <button type="submit" class="primary">"Set up an authenticator app"</button>
                        </ActionForm>
                        {move || begin.value().get().and_then(|r| r.ok()).map(|enrolment| view! {
                            <div class="enrolment">
                                <p>"Scan this code with your authenticator app (or type the key below), then enter the code it shows."</p>
                                // Made on the server from the secret alone: no text of anyone's in it.
                                <div class="qr" role="img" aria-label="QR code for your authenticator app" inner_html=enrolment.qr_svg.clone()></div>
                                <p>"Key: " <code data-totp-secret=enrolment.secret.clone()>{grouped(&enrolment.secret)}</code></p>
                                <ActionForm action=enable attr:class="stack narrow" attr:novalidate="">
                                    <FormError error=enable_error />
                                    <label for="two-factor-code">"Code from the app"</label>
                                    <input id="two-factor-code" name="code" inputmode="numeric" autocomplete="one-time-code" aria-invalid=invalid(enable_error, "code") />
                                    <FieldError error=enable_error field="code" />
                                    <button type="submit" class="primary">"Turn on"</button>
                                </ActionForm>
                            </div>
                        })}
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// Where the person is signed in; any other session can be ended here.
#[component]
fn SessionList() -> impl IntoView {
    let me = use_me();
    let end = ServerAction::<EndSession>::new();
    let list = Resource::new(move || end.version().get(), |_| list_sessions());
    let error = error_of(end.value());
    view! {
        <FormError error />
        <Suspense>
            {move || Suspend::new(async move {
                let clock = session_clock(me.await.ok().flatten().as_ref());
                let sessions = list.await.unwrap_or_default();
                view! {
                    <table class="table sessions" aria-label="Your sessions">
                        <thead><tr><th>"Browser"</th><th>"Address"</th><th>"Last seen"</th><th></th></tr></thead>
                        <tbody>
                            {sessions.into_iter().map(|s| {
                                let seen = clock.date_time(s.last_seen_at);
                                let action = if s.current {
                                    view! { <span class="muted">"This browser"</span> }.into_any()
                                } else {
                                    view! {
                                        <ActionForm action=end attr:class="inline">
                                            <input type="hidden" name="id" value=s.id.to_string() />
                                            <button type="submit">"End"</button>
                                        </ActionForm>
                                    }.into_any()
                                };
                                view! {
                                    <tr data-session=s.id.to_string()>
                                        <td>{s.browser}</td>
                                        <td>{s.address}</td>
                                        <td>{seen}</td>
                                        <td>{action}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }
            })}
        </Suspense>
    }
}

/// `ABCD EFGH ...`: a key read off the screen and typed into a phone.
fn grouped(key: &str) -> String {
    key.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A new address, confirmed by a link sent to it; the old one is told.
#[component]
fn ChangeEmailForm() -> impl IntoView {
    let change = ServerAction::<ChangeEmail>::new();
    let error = error_of(change.value());
    view! {
        <h2>"Change email"</h2>
        <ActionForm action=change attr:class="stack narrow" attr:novalidate="">
            <FormError error />
            <label for="new-email">"New email address"</label>
            <input id="new-email" name="email" type="email" autocomplete="email" aria-invalid=invalid(error, "email") />
            <FieldError error field="email" />
            <label for="email-password">"Your password"</label>
            <input id="email-password" name="password" type="password" autocomplete="current-password" aria-invalid=invalid(error, "password") />
            <FieldError error field="password" />
            <button type="submit">"Send a confirmation link"</button>
            {move || change.value().get().and_then(|r| r.ok()).map(|_| view! {
                <p class="notice" role="status">"Open the link we sent to the new address within 24 hours; until then, sign in with the current one."</p>
            })}
        </ActionForm>
    }
}
