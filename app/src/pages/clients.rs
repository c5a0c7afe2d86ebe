//! Clients: a searchable list a page at a time, a client's page with their
//! details and timeline, and the form to add or edit one.

use frontdesk::domain::{
    files::human_size,
    live::Topic,
    records::ClientSort,
    roles::{Action, Permission, RecordKind},
    time_format::Clock,
    views::{AppointmentView, ClientFileView, ClientView},
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

use crate::{
    components::{
        files::{ClientFiles, Uploads},
        forms::{error_of, invalid, FieldError, FormError},
        time::session_clock,
    },
    fns::{
        clients::{load_client, search_clients, ArchiveClient, RestoreClient, SaveClient},
        files::DeleteClientFile,
    },
    layout::use_me,
    live::use_live,
    url::encode,
};

#[component]
pub fn ClientsPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| {
        let q = query.read();
        let sort = match q.get("sort").as_deref() {
            Some("newest") => ClientSort::Newest,
            _ => ClientSort::Name,
        };
        let archived = q.get("archived").as_deref() == Some("true");
        (
            q.get("q").unwrap_or_default(),
            q.get("after"),
            sort,
            archived,
        )
    });
    let live = use_live();
    let page = Resource::new(
        move || (params.get(), live.version(Topic::Clients)),
        |((q, after, sort, archived), _)| search_clients(q, after, Some(archived), Some(sort)),
    );
    view! {
        <Title text="Clients" />
        <div class="page-head">
            <h1>"Clients"</h1>
            <a class="button primary" href="/clients/new">"Add client"</a>
        </div>
        <form method="get" action="/clients" class="filters" role="search">
            <label for="client-search" class="visually-hidden">"Search clients"</label>
            <input id="client-search" type="search" name="q" placeholder="Name, email or phone"
                value=move || params.get().0 />
            <label for="client-sort">"Order"</label>
            <select id="client-sort" name="sort">
                <option value="name" selected=move || params.get().2 == ClientSort::Name>"By name"</option>
                <option value="newest" selected=move || params.get().2 == ClientSort::Newest>"Newest first"</option>
            </select>
            <label class="check">
                <input type="checkbox" name="archived" value="true" checked=move || params.get().3 />
                "Archived clients"
            </label>
            <button type="submit">"Search"</button>
        </form>
        <Transition fallback=|| view! { <p>"Loading clients…"</p> }>
            {move || Suspend::new(async move {
                let (q, _, sort, archived) = params.get_untracked();
                match page.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok(page) if page.clients.is_empty() => view! {
                        <p class="muted">{match (q.is_empty(), archived) {
                            (true, false) => "No clients yet.".to_string(),
                            (true, true) => "No archived clients.".to_string(),
                            (false, _) => format!("No client matches \u{201c}{q}\u{201d}."),
                        }}</p>
                    }.into_any(),
                    Ok(page) => {
                        let sort = if sort == ClientSort::Newest { "newest" } else { "name" };
                        let shown = if archived { "&archived=true" } else { "" };
                        let next = page.next.clone().map(|n| format!("/clients?q={}&sort={sort}{shown}&after={n}", encode(&q)));
                        view! {
                            <table class="table" aria-label="Clients">
                                <thead><tr><th>"Name"</th><th>"Email"</th><th>"Phone"</th><th>"Tags"</th></tr></thead>
                                <tbody>
                                    {page.clients.into_iter().map(|c| view! {
                                        <tr>
                                            <td><a href=format!("/clients/{}", c.id)>{c.name}</a></td>
                                            <td>{c.email.unwrap_or_default()}</td>
                                            <td>{c.phone.unwrap_or_default()}</td>
                                            <td>{c.tags.join(", ")}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {next.map(|href| view! { <p><a href=href rel="next">"Next clients"</a></p> })}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
pub fn NewClientPage() -> impl IntoView {
    view! {
        <Title text="New client" />
        <h1>"New client"</h1>
        <ClientForm client=None />
    }
}

#[component]
fn ClientForm(client: Option<ClientView>) -> AnyView {
    let save = ServerAction::<SaveClient>::new();
    let error = error_of(save.value());
    // After saving with JavaScript, go to the client's page like a plain post would.
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            if saved.same_email.is_empty() {
                navigate(&format!("/clients/{}", saved.client.id), Default::default());
            }
        }
    });
    let c = client.clone();
    let value = move |f: fn(&ClientView) -> String| c.as_ref().map(f).unwrap_or_default();
    view! {
        <ActionForm action=save attr:class="stack narrow" attr:novalidate="">
            <FormError error />
            {client.as_ref().map(|c| view! { <input type="hidden" name="id" value=c.id.to_string() /> })}
            <label for="client-name">"Name"</label>
            <input id="client-name" name="name" value=value(|c| c.name.clone()) required aria-invalid=invalid(error, "name") />
            <FieldError error field="name" />
            <label for="client-email">"Email"</label>
            <input id="client-email" name="email" type="email" value=value(|c| c.email.clone().unwrap_or_default()) aria-invalid=invalid(error, "email") />
            <FieldError error field="email" />
            <label for="client-phone">"Phone"</label>
            <input id="client-phone" name="phone" type="tel" value=value(|c| c.phone.clone().unwrap_or_default()) aria-invalid=invalid(error, "phone") />
            <FieldError error field="phone" />
            <label for="client-tags">"Tags (comma-separated)"</label>
            <input id="client-tags" name="tags" value=value(|c| c.tags.join(", ")) aria-invalid=invalid(error, "tags") />
            <FieldError error field="tags" />
            <label for="client-notes">"Notes"</label>
            <textarea id="client-notes" name="notes" rows="4">{value(|c| c.notes.clone())}</textarea>
            <label class="check">
                <input type="checkbox" name="email_reminders" value="on" checked=client.as_ref().is_none_or(|c| c.email_reminders) />
                "Send email reminders (the client agreed)"
            </label>
            <button type="submit" class="primary">"Save client"</button>
            {move || save.value().get().and_then(|r| r.ok()).filter(|s| !s.same_email.is_empty()).map(|saved| view! {
                <div class="notice" role="status">
                    <p>"Saved. Other clients have the same email address:"</p>
                    <ul>{saved.same_email.into_iter().map(|c| view! {
                        <li><a href=format!("/clients/{}", c.id)>{c.name}</a></li>
                    }).collect_view()}</ul>
                    <p><a href=format!("/clients/{}", saved.client.id)>"Open the saved client"</a></p>
                </div>
            })}
        </ActionForm>
    }
    .into_any()
}

#[component]
pub fn ClientPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<Uuid>().ok())
    });
    let me = use_me();
    let archive = ServerAction::<ArchiveClient>::new();
    let restore = ServerAction::<RestoreClient>::new();
    let delete_file = ServerAction::<DeleteClientFile>::new();
    // Outside the redrawn part: "on its way" survives a redraw of the client.
    let compose = ServerAction::<crate::fns::inbox::ComposeMessage>::new();
    let files_changed = RwSignal::new(0u32);
    let uploads = Uploads::new();
    let on_change = Callback::new(move |()| files_changed.update(|n| *n += 1));
    // The page holds forms (edit, compose): changes wait while one is typed in.
    let held = use_live().held(&[Topic::Clients, Topic::Appointments, Topic::Files]);
    let client = Resource::new(
        move || {
            (
                id.get(),
                files_changed.get(),
                delete_file.version().get(),
                archive.version().get() + restore.version().get(),
                held.key(),
            )
        },
        |(id, _, _, _, _)| async move {
            match id {
                Some(id) => load_client(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        // A Transition: the page stays while the files list refreshes.
        <Transition fallback=|| view! { <p>"Loading the client…"</p> }>
            {move || Suspend::new(async move {
                let session = me.await.ok().flatten();
                let clock = session_clock(session.as_ref());
                let may = |action| session.as_ref().is_some_and(|m| m.role().allows(Permission::Record(RecordKind::File, action)));
                let (can_upload, can_delete) = (may(Action::Create), may(Action::Delete));
                match client.await {
                    Err(e) => view! { <Title text="Client" /><p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok(None) => view! { <Title text="Client" /><p class="form-error" role="alert">"There is no such client."</p> }.into_any(),
                    Ok(Some((c, timeline, files, reminders, mail))) => view! {
                        <Title text=c.name.clone() />
                        <div class="page-head">
                            <h1>{c.name.clone()}</h1>
                            {(!c.archived).then(|| view! {
                                <a class="button primary" href=format!("/calendar?client={}", c.id)>"Book"</a>
                            })}
                        </div>
                        {c.archived.then(|| view! {
                            <div class="banner archived" role="status">
                                <p><strong>"Archived."</strong>" This client is left out of search and cannot be booked; the history stays."</p>
                                <ActionForm action=restore attr:class="inline">
                                    <input type="hidden" name="id" value=c.id.to_string() />
                                    <button type="submit">"Restore client"</button>
                                </ActionForm>
                            </div>
                        })}
                        {move || restore.value().get().and_then(Result::err).or_else(|| archive.value().get().and_then(Result::err)).map(|e| view! {
                            <p class="form-error" role="alert">{e.message}</p>
                        })}
                        <dl class="facts">
                            <dt>"Email"</dt><dd>{c.email.clone().unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Phone"</dt><dd>{c.phone.clone().unwrap_or_else(|| "—".into())}</dd>
                            <dt>"Tags"</dt><dd>{c.tags.join(", ")}</dd>
                            <dt>"Reminders"</dt><dd>{if c.email_reminders { "by email" } else { "none" }}</dd>
                            <dt>"Notes"</dt><dd class="notes">{c.notes.clone()}</dd>
                        </dl>
                        <ClientFiles client_id=c.id files=files.clone() clock can_upload=can_upload && !c.archived
                            can_delete uploads on_change delete=delete_file />
                        {move || delete_file.value().get().and_then(Result::err).map(|e| view! {
                            <p class="form-error" role="alert">{e.message}</p>
                        })}
                        <crate::pages::inbox::ClientMail client_id=c.id client_name=c.name.clone()
                            email=c.email.clone() archived=c.archived clock compose />
                        <h2>"Timeline"</h2>
                        <Timeline timeline files reminders mail clock />
                        <details class="edit">
                            <summary>"Edit details"</summary>
                            <ClientForm client=Some(c.clone()) />
                        </details>
                        {(!c.archived).then(|| view! {
                            <ActionForm action=archive attr:class="inline">
                                <input type="hidden" name="id" value=c.id.to_string() />
                                <button type="submit" class="danger">"Archive client"</button>
                            </ActionForm>
                        })}
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What happened with a client, newest first: appointments and files added.
#[component]
fn Timeline(
    timeline: Vec<AppointmentView>,
    files: Vec<ClientFileView>,
    reminders: Vec<frontdesk::domain::background::ReminderView>,
    mail: Vec<frontdesk::domain::inbox::ConversationSummary>,
    clock: Clock,
) -> impl IntoView {
    if timeline.is_empty() && files.is_empty() && mail.is_empty() {
        return view! { <p class="muted">"No appointments, files or email yet."</p> }.into_any();
    }
    enum Item {
        Visit(AppointmentView),
        File(ClientFileView),
        Mail(frontdesk::domain::inbox::ConversationSummary),
    }
    let mut items: Vec<(chrono::DateTime<chrono::Utc>, Item)> = timeline
        .into_iter()
        .map(|a| (a.starts_at, Item::Visit(a)))
        .chain(files.into_iter().map(|f| (f.uploaded_at, Item::File(f))))
        .chain(mail.into_iter().map(|m| (m.last_message_at, Item::Mail(m))))
        .collect();
    items.sort_by_key(|item| std::cmp::Reverse(item.0));
    view! {
        <ol class="timeline" aria-label="Timeline">
            {items.into_iter().map(|(_, item)| match item {
                Item::Visit(a) => view! {
                    <li class=format!("status-{}", a.status.as_str()) data-appointment=a.id.to_string()>
                        <time datetime=a.starts_at.to_rfc3339()>{clock.date_time(a.starts_at)}</time>
                        " · "{a.service_name.clone()}" with "{a.provider_name.clone()}
                        " · "<span class="status">{a.status.label()}</span>
                        {a.cancel_reason.clone().filter(|r| !r.is_empty()).map(|r| view! { <span class="muted">{format!(" ({r})")}</span> })}
                        {reminders.iter().find(|r| r.appointment_id == a.id).map(|r| view! {
                            <span class=format!("reminder reminder-{}", r.status.as_str()) data-testid="reminder">
                                " · "{r.describe(|t| clock.date_time(t))}
                            </span>
                        })}
                    </li>
                }.into_any(),
                Item::File(f) => view! {
                    <li class="file-added" data-file=f.id.to_string()>
                        <time datetime=f.uploaded_at.to_rfc3339()>{clock.date_time(f.uploaded_at)}</time>
                        " · File added: "{f.name.clone()}" ("{human_size(f.size_bytes)}")"
                        {f.uploaded_by.clone().map(|by| format!(" by {by}"))}
                    </li>
                }.into_any(),
                Item::Mail(m) => view! {
                    <li class="mail" data-conversation=m.id.to_string()>
                        <time datetime=m.last_message_at.to_rfc3339()>{clock.date_time(m.last_message_at)}</time>
                        " · Email: "<a href=format!("/inbox?c={}", m.id)>{if m.subject.is_empty() { "(no subject)".to_string() } else { m.subject.clone() }}</a>
                        {(m.messages > 1).then(|| format!(" ({} messages)", m.messages))}
                    </li>
                }.into_any(),
            }).collect_view()}
        </ol>
    }
    .into_any()
}
