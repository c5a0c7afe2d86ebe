//! Pages for people who are not signed in: sign in, sign up, forgotten and
//! reset passwords, accepting an invitation. Their forms are plain HTML
//! posts (a full page load), so they work the same with and without
//! JavaScript; errors come back in the address and show next to the fields.

use frontdesk::domain::{account::TimeZoneName, password::MIN_CHARS};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::forms::{error_of, invalid, FieldError, FormError},
    fns::{
        accounts::{ForgotPassword, ResetPassword, SignIn, SignInCode, SignUp, VerifyEmail},
        team::{preview_invitation, AcceptInvitation},
    },
};

#[component]
fn AuthFrame(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title />
        <main class="auth" id="main">
            <p class="brand">"Frontdesk"</p>
            <section class="auth-card">
                <h1>{title}</h1>
                {children()}
            </section>
        </main>
    }
}

fn query(name: &'static str) -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get(name))
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = error_of(action.value());
    let next = query("next");
    let reset = query("reset");
    let verified = query("verified");
    view! {
        <AuthFrame title="Sign in">
            <form method="post" action=SignIn::PATH class="stack" novalidate>
                {move || reset.get().map(|_| view! { <p class="notice">"Your password was changed. Sign in with the new one."</p> })}
                {move || verified.get().map(|_| view! { <p class="notice">"Your email address is verified. Sign in to continue."</p> })}
                <FormError error />
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required aria-invalid=invalid(error, "email") />
                <FieldError error field="email" />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required aria-invalid=invalid(error, "password") />
                <FieldError error field="password" />
                <input type="hidden" name="next" value=move || next.get().unwrap_or_default() />
                <button type="submit" class="primary">"Sign in"</button>
            </form>
            <p><a href="/forgot-password">"Forgot your password?"</a></p>
            <p>"New to Frontdesk? " <a href="/signup">"Create an account for your business"</a></p>
        </AuthFrame>
    }
}

/// Where the link in the verification email leads: one button, so that mail
/// scanners opening the link do not use it up.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let action = ServerAction::<VerifyEmail>::new();
    let error = error_of(action.value());
    let token = query("token");
    view! {
        <AuthFrame title="Verify your email">
            <form method="post" action=VerifyEmail::PATH class="stack" novalidate>
                <FormError error />
                <p>"Confirm that this address is yours."</p>
                <input type="hidden" name="token" value=move || token.get().unwrap_or_default() />
                <button type="submit" class="primary">"Verify my email"</button>
            </form>
        </AuthFrame>
    }
}

/// The second step for accounts with two-factor sign-in.
#[component]
pub fn SignInCodePage() -> impl IntoView {
    let action = ServerAction::<SignInCode>::new();
    let error = error_of(action.value());
    let next = query("next");
    view! {
        <AuthFrame title="Enter your code">
            <form method="post" action=SignInCode::PATH class="stack" novalidate>
                <p>"Open your authenticator app and enter the 6-digit code it shows for Frontdesk. No phone at hand? Enter one of your recovery codes."</p>
                <FormError error />
                <label for="code">"Code"</label>
                <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus aria-invalid=invalid(error, "code") />
                <FieldError error field="code" />
                <label class="check"><input type="checkbox" name="trust" value="true" />" Trust this browser for 30 days"</label>
                <input type="hidden" name="next" value=move || next.get().unwrap_or_default() />
                <button type="submit" class="primary">"Continue"</button>
            </form>
            <p><a href="/signin">"Sign in as someone else"</a></p>
        </AuthFrame>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = error_of(action.value());
    let zone = RwSignal::new("UTC".to_string());
    // In the browser, preselect the zone the computer is set to.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
                .resolved_options();
        if let Some(tz) = js_sys::Reflect::get(&options, &"timeZone".into())
            .ok()
            .and_then(|v| v.as_string())
        {
            if TimeZoneName::parse(&tz).is_ok() {
                zone.set(tz);
            }
        }
    });
    view! {
        <AuthFrame title="Create your business account">
            <form method="post" action=SignUp::PATH class="stack" novalidate>
                <FormError error />
                <fieldset>
                    <legend>"Your business"</legend>
                    <label for="business_name">"Business name"</label>
                    <input id="business_name" name="business_name" required maxlength="200" aria-invalid=invalid(error, "business_name") />
                    <FieldError error field="business_name" />
                    <label for="slug">"Short name for addresses " <span class="hint">"(optional; a-z, 0-9, hyphens)"</span></label>
                    <input id="slug" name="slug" maxlength="63" pattern="[a-z0-9](?:[a-z0-9\\-]*[a-z0-9])?" aria-invalid=invalid(error, "slug") />
                    <FieldError error field="slug" />
                    <label for="time_zone">"Time zone"</label>
                    <select id="time_zone" name="time_zone" aria-invalid=invalid(error, "time_zone")>
                        {TimeZoneName::choices()
                            .map(|z| view! { <option value=z selected=move || zone.get() == z>{z}</option> })
                            .collect_view()}
                    </select>
                    <FieldError error field="time_zone" />
                </fieldset>
                <fieldset>
                    <legend>"You"</legend>
                    <label for="name">"Your name"</label>
                    <input id="name" name="name" autocomplete="name" required maxlength="200" aria-invalid=invalid(error, "name") />
                    <FieldError error field="name" />
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required aria-invalid=invalid(error, "email") />
                    <FieldError error field="email" />
                    <label for="password">"Password " <span class="hint">{format!("(at least {MIN_CHARS} characters)")}</span></label>
                    <input id="password" name="password" type="password" autocomplete="new-password" required minlength=MIN_CHARS.to_string() aria-invalid=invalid(error, "password") />
                    <FieldError error field="password" />
                </fieldset>
                <button type="submit" class="primary">"Create account"</button>
            </form>
            <p>"Already have an account? " <a href="/signin">"Sign in"</a></p>
        </AuthFrame>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let error = error_of(action.value());
    let sent = query("sent");
    view! {
        <AuthFrame title="Forgot your password?">
            {move || sent.get().map(|_| view! {
                <p class="notice" role="status">"If an account exists for that email, a link to choose a new password is on its way. It works for one hour."</p>
            })}
            <form method="post" action=ForgotPassword::PATH class="stack" novalidate>
                <FormError error />
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required aria-invalid=invalid(error, "email") />
                <FieldError error field="email" />
                <button type="submit" class="primary">"Send reset link"</button>
            </form>
            <p><a href="/signin">"Back to sign in"</a></p>
        </AuthFrame>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = error_of(action.value());
    let token = query("token");
    view! {
        <AuthFrame title="Choose a new password">
            <form method="post" action=ResetPassword::PATH class="stack" novalidate>
                <FormError error />
                <FieldError error field="token" />
                <input type="hidden" name="token" value=move || token.get().unwrap_or_default() />
                <label for="password">"New password " <span class="hint">{format!("(at least {MIN_CHARS} characters)")}</span></label>
                <input id="password" name="password" type="password" autocomplete="new-password" required aria-invalid=invalid(error, "password") />
                <FieldError error field="password" />
                <button type="submit" class="primary">"Set password"</button>
            </form>
            <p><a href="/forgot-password">"Ask for a new link"</a></p>
        </AuthFrame>
    }
}

#[component]
pub fn AcceptInvitationPage() -> impl IntoView {
    let action = ServerAction::<AcceptInvitation>::new();
    let error = error_of(action.value());
    let token = query("token");
    let preview = Resource::new(
        move || token.get(),
        |token| preview_invitation(token.unwrap_or_default()),
    );
    view! {
        <AuthFrame title="Join your team">
            <Suspense fallback=|| view! { <p>"Loading the invitation…"</p> }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Err(e) => view! {
                            <p class="form-error" role="alert">{e.message}</p>
                            <p><a href="/signin">"Sign in"</a></p>
                        }.into_any(),
                        Ok(invitation) => view! {
                            <p>{format!("You are invited to {} as {}, with the email {}.", invitation.tenant_name, invitation.role, invitation.email)}</p>
                            <form method="post" action=AcceptInvitation::PATH class="stack" novalidate>
                                <FormError error />
                                <input type="hidden" name="token" value=move || token.get().unwrap_or_default() />
                                {if invitation.has_account {
                                    view! {
                                        <label for="password">"Password of your Frontdesk account"</label>
                                        <input id="password" name="password" type="password" autocomplete="current-password" required aria-invalid=invalid(error, "password") />
                                    }.into_any()
                                } else {
                                    view! {
                                        <label for="name">"Your name"</label>
                                        <input id="name" name="name" autocomplete="name" required aria-invalid=invalid(error, "name") />
                                        <FieldError error field="name" />
                                        <label for="password">"Choose a password " <span class="hint">{format!("(at least {MIN_CHARS} characters)")}</span></label>
                                        <input id="password" name="password" type="password" autocomplete="new-password" required aria-invalid=invalid(error, "password") />
                                    }.into_any()
                                }}
                                <FieldError error field="password" />
                                <button type="submit" class="primary">"Accept and join"</button>
                            </form>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </AuthFrame>
    }
}
