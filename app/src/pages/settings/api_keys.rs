//! API keys: access for other programs, shown once when created.

use frontdesk::domain::api_scopes::ApiScope;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::forms::{error_of, invalid, FieldError, FormError},
    components::time::session_clock,
    fns::settings::{load_api_keys, take_new_api_key, CreateApiKey, RevokeApiKey},
    layout::use_me,
};

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let me = use_me();
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
                let clock = session_clock(me.await.ok().flatten().as_ref());
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
                                        <td>{k.last_used_at.map(|t| clock.date_time(t)).unwrap_or_else(|| "never".into())}</td>
                                        <td>{match k.revoked_at {
                                            Some(at) => view! { <span class="muted">{format!("revoked {}", clock.local(at).format("%-d %b %Y"))}</span> }.into_any(),
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
