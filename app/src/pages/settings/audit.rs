//! The audit log: who changed what, and when.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::{components::time::clock_of, fns::settings::load_audit_log};

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
                        let clock = clock_of(&page.time_zone, page.time_format);
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
                                        <option value=t.clone() selected=entity.as_deref() == Some(t.as_str())>{record_kind(t)}</option>
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
                            <ol class="audit-entries" aria-label="Audit entries">
                                {page.entries.into_iter().map(|e| view! {
                                    <li data-action=e.action.clone()>
                                        <time datetime=e.at.to_rfc3339()>{clock.date_time(e.at)}</time>
                                        <span class="audit-sentence">{e.sentence.clone()}</span>
                                        <details>
                                            <summary>"Details"</summary>
                                            <p class="muted">{format!("{} · {}", e.action, e.request_id.clone().map(|r| format!("request {r}")).unwrap_or_default())}</p>
                                            <code>{e.changes.clone()}</code>
                                        </details>
                                    </li>
                                }).collect_view()}
                            </ol>
                            {next_href.map(|href| view! { <p><a href=href rel="next">"Older entries"</a></p> })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// A record type as the filter shows it.
fn record_kind(entity_type: &str) -> String {
    match entity_type {
        "api_key" => "API keys".into(),
        other => {
            let mut words = other.replace('_', " ");
            if let Some(first) = words.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            format!("{words}s")
        }
    }
}
