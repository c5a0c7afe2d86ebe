//! The signed-in person: password and sessions.

use frontdesk::domain::password::MIN_CHARS;
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;

use crate::{
    components::forms::{error_of, invalid, FieldError, FormError},
    fns::accounts::{ChangePassword, SignOutEverywhere},
    layout::use_me,
};

#[component]
pub fn ProfilePage() -> impl IntoView {
    let me = use_me();
    let change = ServerAction::<ChangePassword>::new();
    let error = error_of(change.value());
    view! {
        <Title text="Profile" />
        <h1>"Profile"</h1>
        <Suspense>
            {move || Suspend::new(async move {
                me.await.ok().flatten().map(|m| view! {
                    <dl class="facts">
                        <dt>"Name"</dt><dd>{m.name}</dd>
                        <dt>"Email"</dt><dd>{m.email}</dd>
                        <dt>"Role"</dt><dd>{format!("{} at {}", m.tenant.role, m.tenant.name)}</dd>
                    </dl>
                })
            })}
        </Suspense>
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
        <h2>"Sessions"</h2>
        <form method="post" action=SignOutEverywhere::PATH>
            <p>"Signs you out on every device and browser, including this one."</p>
            <button type="submit">"Sign out everywhere"</button>
        </form>
    }
}
