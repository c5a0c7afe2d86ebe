//! Settings > Mailboxes: connect the business's mailboxes, see whether each
//! is in sync and why not, test it, sync it now, change or remove it. The
//! password is never shown again; leaving it empty keeps it.

use frontdesk::domain::{
    inbox::{MailboxInput, MailboxState, MailboxView, TlsMode},
    roles::Permission,
    time_format::Clock,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::{
    components::{
        forms::{error_of, invalid, FieldError, FormError},
        time::session_clock,
    },
    fns::inbox::{
        load_mailbox_failures, load_mailboxes, DeleteMailbox, RetryMailboxFailures, SaveMailbox,
        SyncMailbox, TestMailbox,
    },
    layout::use_me,
};

#[component]
pub fn MailboxesPage() -> impl IntoView {
    let me = use_me();
    let query = use_query_map();
    let editing = Memo::new(move |_| {
        query
            .read()
            .get("edit")
            .and_then(|e| e.parse::<Uuid>().ok())
    });
    let save = ServerAction::<SaveMailbox>::new();
    let sync = ServerAction::<SyncMailbox>::new();
    let remove = ServerAction::<DeleteMailbox>::new();
    let test = ServerAction::<TestMailbox>::new();
    let retry = ServerAction::<RetryMailboxFailures>::new();
    let boxes = Resource::new(
        move || {
            (
                save.version().get(),
                sync.version().get(),
                remove.version().get(),
                retry.version().get(),
            )
        },
        |_| load_mailboxes(),
    );
    view! {
        <Title text="Mailboxes" />
        <h1>"Mailboxes"</h1>
        <p class="muted">"Mail to and from clients arrives in the inbox from these mailboxes, checked every few minutes."</p>
        <Suspense fallback=|| view! { <p>"Loading mailboxes…"</p> }>
            {move || Suspend::new(async move {
                let me = me.await.ok().flatten();
                let manage = me.as_ref().is_some_and(|m| m.role().allows(Permission::ManageSettings));
                let clock = session_clock(me.as_ref());
                match boxes.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok(list) => {
                        let edit = editing.get_untracked().and_then(|id| list.iter().find(|b| b.id == id).cloned());
                        view! {
                            {if list.is_empty() {
                                view! { <p class="muted">"No mailbox is connected yet."</p> }.into_any()
                            } else {
                                view! { <MailboxTable list clock manage sync remove test retry /> }.into_any()
                            }}
                            {manage.then(|| view! { <MailboxForm edit save /> })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn state_class(state: MailboxState) -> &'static str {
    match state {
        MailboxState::InSync => "state ok",
        MailboxState::Failing | MailboxState::SignInRefused => "state bad",
        _ => "state",
    }
}

#[component]
fn MailboxTable(
    list: Vec<MailboxView>,
    clock: Clock,
    manage: bool,
    sync: ServerAction<SyncMailbox>,
    remove: ServerAction<DeleteMailbox>,
    test: ServerAction<TestMailbox>,
    retry: ServerAction<RetryMailboxFailures>,
) -> impl IntoView {
    let tested = move || {
        test.value().get().map(|r| match r {
            Ok(report) => view! { <p class="notice" role="status">{report}</p> }.into_any(),
            Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
        })
    };
    view! {
        {tested}
        <table class="table" aria-label="Mailboxes">
            <thead><tr><th>"Mailbox"</th><th>"State"</th><th>"Last sync"</th><th>"Could not be read"</th><th></th></tr></thead>
            <tbody>
                {list.into_iter().map(|b| {
                    let id = b.id;
                    view! {
                        <tr>
                            <td>
                                <strong>{b.name.clone()}</strong><br />
                                <span class="muted">{format!("{} · {}:{}, {}", b.from_address, b.imap_host, b.imap_port, b.imap_tls.describe())}</span><br />
                                <span class="muted">{match (&b.smtp_host, b.smtp_port) {
                                    (Some(host), Some(port)) => format!("Sends through {host}:{port}, {}",
                                        b.smtp_tls.unwrap_or(TlsMode::StartTls).describe()),
                                    _ => "Sends through this site's mail server".to_string(),
                                }}</span>
                            </td>
                            <td>
                                <span class=state_class(b.state)>{b.state.label()}</span>
                                {b.last_error.clone().map(|e| view! { <br /><span class="muted">{e}</span> })}
                                {(b.state == MailboxState::SignInRefused).then(|| view! { <br /><span>"Enter the new password to start again."</span> })}
                            </td>
                            <td>{b.last_synced_at.map(|t| clock.date_time(t)).unwrap_or_else(|| "never".into())}</td>
                            <td>{if b.open_failures == 0 {
                                view! { <span>"none"</span> }.into_any()
                            } else {
                                view! {
                                    <details class="failures">
                                        <summary>{format!("{} {}", b.open_failures, if b.open_failures == 1 { "message" } else { "messages" })}</summary>
                                        <FailureList id clock />
                                    </details>
                                    <ActionForm action=retry attr:class="inline">
                                        <input type="hidden" name="id" value=id.to_string() />
                                        <button type="submit">"Retry"</button>
                                    </ActionForm>
                                }.into_any()
                            }}</td>
                            <td class="actions">
                                <ActionForm action=sync attr:class="inline">
                                    <input type="hidden" name="id" value=id.to_string() />
                                    <button type="submit">"Sync now"</button>
                                </ActionForm>
                                {manage.then(|| view! {
                                    <ActionForm action=test attr:class="inline">
                                        <input type="hidden" name="id" value=id.to_string() />
                                        <button type="submit">"Test connection"</button>
                                    </ActionForm>
                                    <a class="button" href=format!("/settings/mailboxes?edit={id}")>"Change"</a>
                                    <ActionForm action=remove attr:class="inline">
                                        <input type="hidden" name="id" value=id.to_string() />
                                        <button type="submit" class="danger">"Remove"</button>
                                    </ActionForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The messages a mailbox's syncs could not take, and why.
#[component]
fn FailureList(id: Uuid, clock: Clock) -> impl IntoView {
    let failures = Resource::new(move || id, load_mailbox_failures);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match failures.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="failure-list">
                            {list.into_iter().map(|f| view! {
                                <li>
                                    {format!("{} #{}: {}", f.folder, f.uid, f.error)}
                                    <span class="muted">{format!(" · since {} · {} {}", clock.date_time(f.created_at), f.attempts,
                                        if f.attempts == 1 { "attempt" } else { "attempts" })}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn MailboxForm(edit: Option<MailboxView>, save: ServerAction<SaveMailbox>) -> impl IntoView {
    let error = error_of(save.value());
    let values = edit
        .as_ref()
        .map(MailboxView::input)
        .unwrap_or_else(|| MailboxInput {
            imap_tls: TlsMode::Tls.as_str().into(),
            smtp_tls: TlsMode::StartTls.as_str().into(),
            import_days: "30".into(),
            ..Default::default()
        });
    let heading = if edit.is_some() {
        "Change mailbox"
    } else {
        "Connect a mailbox"
    };
    let tls = values.imap_tls.clone();
    let smtp_tls = values.smtp_tls.clone();
    view! {
        <h2>{heading}</h2>
        <ActionForm action=save attr:class="stack narrow" attr:novalidate="">
            <FormError error />
            {edit.as_ref().map(|b| view! { <input type="hidden" name="id" value=b.id.to_string() /> })}
            <label for="mb-name">"Name"</label>
            <input id="mb-name" name="input[name]" value=values.name.clone() required maxlength="100"
                placeholder="Front desk" aria-invalid=invalid(error, "name") />
            <FieldError error field="name" />
            <label for="mb-from">"Email address"</label>
            <input id="mb-from" name="input[from_address]" type="email" value=values.from_address.clone() required
                placeholder="hello@your-business.com" aria-invalid=invalid(error, "from_address") />
            <FieldError error field="from_address" />
            <label for="mb-from-name">"Sender name (optional)"</label>
            <input id="mb-from-name" name="input[from_name]" value=values.from_name.clone() maxlength="100" />
            <FieldError error field="from_name" />
            <fieldset>
                <legend>"Incoming mail (IMAP)"</legend>
                <label for="mb-host">"Server"</label>
                <input id="mb-host" name="input[imap_host]" value=values.imap_host.clone() required
                    placeholder="imap.example.com" aria-invalid=invalid(error, "imap_host") />
                <FieldError error field="imap_host" />
                <label for="mb-tls">"Security"</label>
                <select id="mb-tls" name="input[imap_tls]" aria-invalid=invalid(error, "imap_tls")>
                    {TlsMode::ALL.into_iter().map(|m| view! {
                        <option value=m.as_str() selected=tls == m.as_str()>{m.label()}</option>
                    }).collect_view()}
                </select>
                <FieldError error field="imap_tls" />
                <label for="mb-port">"Port (empty: the usual one)"</label>
                <input id="mb-port" name="input[imap_port]" inputmode="numeric" value=values.imap_port.clone()
                    aria-invalid=invalid(error, "imap_port") />
                <FieldError error field="imap_port" />
                <label for="mb-user">"User name"</label>
                <input id="mb-user" name="input[imap_user]" value=values.imap_user.clone() required autocomplete="off"
                    aria-invalid=invalid(error, "imap_user") />
                <FieldError error field="imap_user" />
                <label for="mb-password">{if edit.is_some() { "Password (empty: keep the saved one)" } else { "Password" }}</label>
                <input id="mb-password" name="input[password]" type="password" autocomplete="new-password"
                    aria-invalid=invalid(error, "password") />
                <FieldError error field="password" />
            </fieldset>
            <fieldset>
                <legend>"Outgoing mail (SMTP)"</legend>
                <label for="mb-smtp-host">"Server (empty: this site's mail server)"</label>
                <input id="mb-smtp-host" name="input[smtp_host]" value=values.smtp_host.clone()
                    placeholder="smtp.example.com" aria-invalid=invalid(error, "smtp_host") />
                <FieldError error field="smtp_host" />
                <label for="mb-smtp-tls">"Security"</label>
                <select id="mb-smtp-tls" name="input[smtp_tls]" aria-invalid=invalid(error, "smtp_tls")>
                    {TlsMode::ALL.into_iter().map(|m| view! {
                        <option value=m.as_str() selected=smtp_tls == m.as_str()>{m.label()}</option>
                    }).collect_view()}
                </select>
                <FieldError error field="smtp_tls" />
                <label for="mb-smtp-port">"Port (empty: the usual one)"</label>
                <input id="mb-smtp-port" name="input[smtp_port]" inputmode="numeric" value=values.smtp_port.clone()
                    aria-invalid=invalid(error, "smtp_port") />
                <FieldError error field="smtp_port" />
                <label for="mb-smtp-user">"User name (empty: no sign-in)"</label>
                <input id="mb-smtp-user" name="input[smtp_user]" value=values.smtp_user.clone() autocomplete="off"
                    aria-invalid=invalid(error, "smtp_user") />
                <FieldError error field="smtp_user" />
                <label for="mb-smtp-password">{if edit.is_some() { "Password (empty: keep the saved one)" } else { "Password" }}</label>
                <input id="mb-smtp-password" name="input[smtp_password]" type="password" autocomplete="new-password"
                    aria-invalid=invalid(error, "smtp_password") />
                <FieldError error field="smtp_password" />
            </fieldset>
            <details>
                <summary>"More options"</summary>
                <label for="mb-days">"Import mail from the last … days"</label>
                <input id="mb-days" name="input[import_days]" inputmode="numeric" value=values.import_days.clone()
                    aria-invalid=invalid(error, "import_days") />
                <FieldError error field="import_days" />
                <label for="mb-folders">"Other folders to read, one per line (the inbox and sent mail always are)"</label>
                <textarea id="mb-folders" name="input[folders]" rows="3" aria-invalid=invalid(error, "folders")>{values.folders.clone()}</textarea>
                <FieldError error field="folders" />
            </details>
            <p class="muted">"Passwords are stored encrypted and never shown again. Replies go out from the address above, through the SMTP server given here or this site's."</p>
            <button type="submit" class="primary">{if edit.is_some() { "Save changes" } else { "Connect" }}</button>
        </ActionForm>
        {move || matches!(save.value().get(), Some(Ok(_))).then(|| view! {
            <p class="notice" role="status">"Saved. The first sync starts in a moment; its state shows above."</p>
        })}
    }
}
