//! The inbox: conversations with clients beside the one that is open, a
//! banner while a mailbox is failing, filters and search. Everything is a
//! link or a form, so reading and tidying work without JavaScript; `j`/`k`
//! move between conversations and `e` archives.

use frontdesk::domain::{
    inbox::{ConversationSummary, ConversationView, Direction, MailboxView, SendState},
    live::Topic,
    roles::Permission,
    time_format::Clock,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::{
    components::{
        attach::AttachFiles,
        forms::{error_of, invalid, FieldError, FormError},
        time::session_clock,
    },
    fns::inbox::{
        load_conversation, load_conversations, load_mailboxes, load_merge_choices,
        ArchiveConversation, ClientFromSender, ComposeMessage, MarkConversation, MergeConversation,
        SaveAttachment, SendReply, SplitMessage, TakeConversation,
    },
    layout::use_me,
    live::use_live,
    url::encode,
};

#[derive(Clone, PartialEq)]
struct InboxQuery {
    show: String,
    q: String,
    /// Only this mailbox's conversations.
    mailbox: Option<Uuid>,
    open: Option<Uuid>,
}

impl InboxQuery {
    fn href(&self, show: &str, open: Option<Uuid>) -> String {
        let mut parts = Vec::new();
        if !show.is_empty() {
            parts.push(format!("show={show}"));
        }
        if !self.q.is_empty() {
            parts.push(format!("q={}", encode(&self.q)));
        }
        if let Some(mailbox) = self.mailbox {
            parts.push(format!("m={mailbox}"));
        }
        if let Some(id) = open {
            parts.push(format!("c={id}"));
        }
        if parts.is_empty() {
            "/inbox".into()
        } else {
            format!("/inbox?{}", parts.join("&"))
        }
    }
}

const FILTERS: [(&str, &str); 5] = [
    ("", "Open"),
    ("unread", "Unread"),
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
    ("archived", "Archived"),
];

#[component]
pub fn InboxPage() -> impl IntoView {
    let me = use_me();
    let query = use_query_map();
    let params = Memo::new(move |_| {
        let q = query.read();
        InboxQuery {
            show: q.get("show").unwrap_or_default(),
            q: q.get("q").unwrap_or_default(),
            mailbox: q.get("m").and_then(|m| m.parse().ok()),
            open: q.get("c").and_then(|c| c.parse().ok()),
        }
    });
    let mark = ServerAction::<MarkConversation>::new();
    let archive = ServerAction::<ArchiveConversation>::new();
    let reply = ServerAction::<SendReply>::new();
    let adopt = ServerAction::<ClientFromSender>::new();
    let take = ServerAction::<TakeConversation>::new();
    // A failed reply keeps the conversation (and the typed text) as it is.
    let sent = move || reply.value().get().and_then(|r| r.ok());
    let adopted = move || adopt.value().get().and_then(|r| r.ok());
    let changes = move || {
        (
            mark.version().get(),
            archive.version().get(),
            take.version().get(),
            sent(),
            adopted(),
        )
    };
    let live = use_live();
    // The list follows at once; the open conversation waits while a reply
    // is being typed.
    let open_live = live.held(&[Topic::Inbox, Topic::Clients]);
    let list = Resource::new(
        move || {
            (
                params.get(),
                changes(),
                live.versions(&[Topic::Inbox, Topic::Clients]),
            )
        },
        |(p, _, _)| load_conversations(Some(p.show), p.mailbox, None, Some(p.q)),
    );
    let open = Resource::new(
        move || (params.get().open, changes(), open_live.key()),
        |(id, _, _)| async move {
            match id {
                Some(id) => load_conversation(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let mailboxes = Resource::new(|| (), |_| load_mailboxes());
    view! {
        <Title text="Inbox" />
        <div class="page-head">
            <h1>"Inbox"</h1>
        </div>
        <Suspense>
            {move || Suspend::new(async move {
                let me = me.await.ok().flatten();
                let manage = me.as_ref().is_some_and(|m| m.role().allows(Permission::ManageSettings));
                mailboxes.await.ok().map(|boxes| view! { <MailboxBanner boxes manage /> })
            })}
        </Suspense>
        <div class="inbox" class:has-open=move || params.get().open.is_some()>
            <section class="inbox-list" aria-label="Conversations">
                <nav class="tabs" aria-label="Show">
                    {FILTERS.into_iter().map(|(show, label)| view! {
                        <a href=move || params.get().href(show, None)
                            aria-current=move || (params.get().show == show).then_some("page")>{label}</a>
                    }).collect_view()}
                </nav>
                <form method="get" action="/inbox" role="search" class="filters">
                    <input type="hidden" name="show" value=move || params.get().show />
                    <label for="inbox-search" class="visually-hidden">"Search mail"</label>
                    <input id="inbox-search" type="search" name="q" placeholder="Subject, sender or text"
                        value=move || params.get().q />
                    <Suspense>
                        {move || Suspend::new(async move {
                            let boxes = mailboxes.await.unwrap_or_default();
                            let chosen = params.get_untracked().mailbox;
                            (boxes.len() > 1).then(|| view! {
                                <label for="inbox-mailbox" class="visually-hidden">"Mailbox"</label>
                                <select id="inbox-mailbox" name="m">
                                    <option value="" selected=chosen.is_none()>"All mailboxes"</option>
                                    {boxes.into_iter().map(|b| view! {
                                        <option value=b.id.to_string() selected=chosen == Some(b.id)>{b.name}</option>
                                    }).collect_view()}
                                </select>
                            })
                        })}
                    </Suspense>
                    <button type="submit">"Search"</button>
                </form>
                <Transition fallback=|| view! { <p>"Loading conversations…"</p> }>
                    {move || Suspend::new(async move {
                        let clock = session_clock(me.await.ok().flatten().as_ref());
                        let p = params.get_untracked();
                        match list.await {
                            Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                            Ok(items) if items.is_empty() => view! {
                                <p class="muted">{if p.q.is_empty() { "No conversations here." } else { "No mail matches this search." }}</p>
                            }.into_any(),
                            Ok(items) => view! { <ConversationList items p clock /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="inbox-open" aria-label="Conversation">
                <Show when=move || open_live.waiting.get()>
                    <p class="live-waiting muted" role="status">"There is new activity here; it shows when you are done with your reply."</p>
                </Show>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let clock = session_clock(me.await.ok().flatten().as_ref());
                        let p = params.get_untracked();
                        match open.await {
                            Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                            Ok(None) => view! { <p class="muted inbox-empty">"Choose a conversation to read it."</p> }.into_any(),
                            Ok(Some(c)) => view! { <Conversation c p clock mark archive reply adopt take /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

#[component]
fn MailboxBanner(boxes: Vec<MailboxView>, manage: bool) -> impl IntoView {
    if boxes.is_empty() {
        return view! {
            <div class="notice" role="status">
                <p>"No mailbox is connected yet, so no mail arrives here."</p>
                {manage.then(|| view! { <p><a href="/settings/mailboxes">"Connect a mailbox"</a></p> })}
            </div>
        }
        .into_any();
    }
    let troubled: Vec<_> = boxes.into_iter().filter(|b| b.state.is_trouble()).collect();
    view! {
        {troubled.into_iter().map(|b| view! {
            <div class="notice warning" role="alert">
                <p><strong>{format!("{}: {}.", b.name, b.state.label())}</strong>" "
                    {b.last_error.unwrap_or_default()}</p>
                {manage.then(|| view! { <p><a href="/settings/mailboxes">"Check the mailbox settings"</a></p> })}
            </div>
        }).collect_view()}
    }
    .into_any()
}

#[component]
fn ConversationList(items: Vec<ConversationSummary>, p: InboxQuery, clock: Clock) -> impl IntoView {
    let ids: Vec<Uuid> = items.iter().map(|c| c.id).collect();
    let at = p
        .open
        .and_then(|open| ids.iter().position(|id| *id == open));
    // j and k open the next and previous conversation.
    let next = match at {
        Some(i) => ids.get(i + 1).copied(),
        None => ids.first().copied(),
    };
    let previous = at
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| ids.get(i).copied());
    view! {
        <ul class="conversations">
            {items.into_iter().map(|c| {
                let current = p.open == Some(c.id);
                let who = c.client_name.clone().unwrap_or_else(|| c.correspondent.clone());
                view! {
                    <li class:unread={c.unread > 0} class:current=current>
                        <a href=p.href(&p.show, Some(c.id)) aria-current=current.then_some("true")>
                            <span class="who">{who}</span>
                            <time datetime=c.last_message_at.to_rfc3339()>{clock.date_time(c.last_message_at)}</time>
                            <span class="subject">
                                {(c.unread > 0).then(|| view! { <span class="visually-hidden">"Unread: "</span> })}
                                {if c.subject.is_empty() { "(no subject)".to_string() } else { c.subject.clone() }}
                                {(c.messages > 1).then(|| view! { <span class="count">{c.messages}</span> })}
                            </span>
                            <span class="snippet">{c.snippet.clone()}</span>
                            {c.client_id.is_none().then(|| view! { <span class="tag">"Unassigned"</span> })}
                            {c.assignee_name.clone().map(|name| view! { <span class="tag">{name}</span> })}
                        </a>
                    </li>
                }
            }).collect_view()}
        </ul>
        {next.map(|id| view! { <a class="visually-hidden" href=p.href(&p.show, Some(id)) data-shortcut="j" aria-keyshortcuts="j">"Next conversation"</a> })}
        {previous.map(|id| view! { <a class="visually-hidden" href=p.href(&p.show, Some(id)) data-shortcut="k" aria-keyshortcuts="k">"Previous conversation"</a> })}
    }
}

#[component]
fn Conversation(
    c: ConversationView,
    p: InboxQuery,
    clock: Clock,
    mark: ServerAction<MarkConversation>,
    archive: ServerAction<ArchiveConversation>,
    reply: ServerAction<SendReply>,
    adopt: ServerAction<ClientFromSender>,
    take: ServerAction<TakeConversation>,
) -> impl IntoView {
    let id = c.summary.id;
    let save = ServerAction::<SaveAttachment>::new();
    let split = ServerAction::<SplitMessage>::new();
    let several = c.messages.len() > 1;
    // A split opens the new conversation, as a plain post's page would not.
    let navigate = leptos_router::hooks::use_navigate();
    let list_href = p.clone();
    Effect::new(move |_| {
        if let Some(Ok(new)) = split.value().get() {
            navigate(
                &list_href.href(&list_href.show, Some(new)),
                Default::default(),
            );
        }
    });
    let split_error = move || {
        split.value().get().and_then(Result::err).map(|e| {
            view! { <p class="form-error" role="alert">{e.message}</p> }
        })
    };
    let has_client = c.summary.client_id.is_some();
    let saved = move || {
        save.value().get().map(|r| match r {
            Ok(name) => view! { <p class="notice" role="status">{format!("{name} is now among the client's files.")}</p> }.into_any(),
            Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
        })
    };
    // The name the sender gives, for "Add as client".
    let sender_name = c
        .messages
        .iter()
        .rev()
        .find(|m| m.direction == Direction::In)
        .and_then(|m| m.from_name.clone())
        .unwrap_or_default();
    let adopt_error = move || {
        adopt.value().get().and_then(Result::err).map(|e| {
            view! {
                <p class="form-error" role="alert">{e.message}</p>
            }
        })
    };
    let error = error_of(reply.value());
    let sent_reply = move || reply.value().get().and_then(Result::ok);
    // A sent reply empties the box; a refused one keeps what was typed.
    let reply_box = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if matches!(reply.value().get(), Some(Ok(_))) {
            if let Some(text) = reply_box.get() {
                text.set_value("");
            }
        }
    });
    let archived = c.summary.archived;
    let unread = c.summary.unread > 0;
    let title = if c.summary.subject.is_empty() {
        "(no subject)".to_string()
    } else {
        c.summary.subject.clone()
    };
    view! {
        <a class="back" href=p.href(&p.show, None)>"‹ All conversations"</a>
        <header class="conversation-head">
            <h2>{title}</h2>
            <p class="muted">
                {match (c.summary.client_id, c.summary.client_name.clone()) {
                    (Some(client), Some(name)) => view! { <a href=format!("/clients/{client}")>{name}</a> }.into_any(),
                    _ => view! { <span>{format!("{} · not a client yet", c.summary.correspondent)}</span> }.into_any(),
                }}
                {format!(" · {}", c.mailbox_name)}
                {c.summary.assignee_name.clone().map(|name| format!(" · looked after by {name}"))}
            </p>
            {c.summary.client_id.is_none().then(|| view! {
                <ActionForm action=adopt attr:class="inline adopt">
                    <input type="hidden" name="conversation" value=id.to_string() />
                    <label for="adopt-name" class="visually-hidden">"Client's name"</label>
                    <input id="adopt-name" name="name" value=sender_name.clone() placeholder="Client's name" required maxlength="200" />
                    <button type="submit">"Add as client"</button>
                </ActionForm>
            })}
            {adopt_error}
            <div class="actions">
                <ActionForm action=mark attr:class="inline">
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="read" value=unread.to_string() />
                    <button type="submit">{if unread { "Mark read" } else { "Mark unread" }}</button>
                </ActionForm>
                <ActionForm action=take attr:class="inline">
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="take" value=c.summary.assignee_id.is_none().to_string() />
                    <button type="submit">{if c.summary.assignee_id.is_none() { "Take it" } else { "Let go" }}</button>
                </ActionForm>
                <ActionForm action=archive attr:class="inline">
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="archived" value=(!archived).to_string() />
                    <button type="submit" data-shortcut="e" aria-keyshortcuts="e">{if archived { "Move to inbox" } else { "Archive" }}</button>
                </ActionForm>
            </div>
            <MergeInto id p=p.clone() clock />
            {split_error}
        </header>
        <ol class="messages">
            {c.messages.into_iter().map(|m| {
                let from = match &m.from_name {
                    Some(name) => format!("{name} <{}>", m.from_address),
                    None => m.from_address.clone(),
                };
                let state = match (m.direction, m.send_state) {
                    (Direction::Out, Some(SendState::Queued)) => Some("Sending…".to_string()),
                    (Direction::Out, Some(SendState::Failed)) => Some(format!("Not sent: {}", m.send_error.clone().unwrap_or_default())),
                    (Direction::Out, _) => Some("Sent".to_string()),
                    _ => None,
                };
                let body_url = format!("/inbox/messages/{}/body", m.id);
                view! {
                    <li class="message" class:outgoing=m.direction == Direction::Out>
                        <header>
                            <span class="from">{from}</span>
                            <time datetime=m.sent_at.to_rfc3339()>{clock.date_time(m.sent_at)}</time>
                            <span class="to muted">{format!("to {}", m.to_addresses.join(", "))}</span>
                            {state.map(|s| view! { <span class="tag">{s}</span> })}
                            {m.expunged.then(|| view! { <span class="tag">"Removed from the mailbox"</span> })}
                            {several.then(|| view! {
                                <ActionForm action=split attr:class="inline split">
                                    <input type="hidden" name="message" value=m.id.to_string() />
                                    <button type="submit" class="link"
                                        title="This message and the replies to it become a conversation of their own"
                                        aria-label=format!("Split off the message of {}", clock.date_time(m.sent_at))>"Split off"</button>
                                </ActionForm>
                            })}
                        </header>
                        {if m.has_html {
                            view! {
                                <iframe class="mail-html" title=format!("Message from {}", m.from_address)
                                    sandbox="allow-popups allow-popups-to-escape-sandbox"
                                    name=format!("mail-{}", m.id)
                                    referrerpolicy="no-referrer" src=body_url.clone()></iframe>
                                // Loads the same body with remote images allowed, into the frame itself.
                                <p class="mail-images"><a href=format!("{body_url}?images=1") target=format!("mail-{}", m.id)>"Show images"</a></p>
                            }.into_any()
                        } else {
                            view! { <div class="mail-text">{m.body_text.clone()}</div> }.into_any()
                        }}
                        {(!m.attachments.is_empty()).then(|| view! {
                            <ul class="attachments" aria-label="Attachments">
                                {m.attachments.clone().into_iter().filter(|a| !a.inline).map(|a| view! {
                                    <li><a href=format!("/inbox/attachments/{}", a.id)>{a.file_name.clone()}</a>
                                        <span class="muted">{format!(" {}", frontdesk::domain::files::human_size(a.size_bytes.max(0) as u64))}</span>
                                        {has_client.then(|| view! {
                                            <ActionForm action=save attr:class="inline">
                                                <input type="hidden" name="id" value=a.id.to_string() />
                                                <button type="submit" class="link" aria-label=format!("Save {} to the client's files", a.file_name)>"Save to client's files"</button>
                                            </ActionForm>
                                        })}
                                    </li>
                                }).collect_view()}
                            </ul>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
        {saved}
        <ActionForm action=reply attr:class="reply stack" attr:novalidate="">
            <FormError error />
            <input type="hidden" name="conversation" value=id.to_string() />
            <label for="reply-text">{format!("Reply to {}", c.summary.client_name.clone().unwrap_or_else(|| c.summary.correspondent.clone()))}</label>
            <textarea node_ref=reply_box id="reply-text" name="text" rows="5" required data-shortcut="r" aria-keyshortcuts="r"
                aria-invalid=invalid(error, "text")></textarea>
            <FieldError error field="text" />
            {c.summary.client_id.map(|client_id| view! { <AttachFiles client_id error sent=Signal::derive(sent_reply) /> })}
            <div><button type="submit" class="primary">"Send reply"</button></div>
        </ActionForm>
    }
}

/// "Merge into…": the conversations of the same mailbox and client (or
/// correspondent) this one can join; after merging, the one merged into opens.
#[component]
fn MergeInto(id: Uuid, p: InboxQuery, clock: Clock) -> impl IntoView {
    let merge = ServerAction::<MergeConversation>::new();
    let error = error_of(merge.value());
    let choices = Resource::new(move || id, load_merge_choices);
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(into)) = merge.value().get() {
            navigate(&p.href(&p.show, Some(into)), Default::default());
        }
    });
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let choices = choices.await.unwrap_or_default();
                (!choices.is_empty()).then(|| view! {
                    <details class="merge" open=move || error.get().is_some()>
                        <summary>"Merge into another conversation"</summary>
                        <ActionForm action=merge attr:class="inline">
                            <FormError error />
                            <input type="hidden" name="id" value=id.to_string() />
                            <label for="merge-into">"Merge into"</label>
                            <select id="merge-into" name="into" required aria-invalid=invalid(error, "into")>
                                {choices.into_iter().map(|c| {
                                    let subject = if c.subject.is_empty() { "(no subject)".to_string() } else { c.subject };
                                    let count = if c.messages == 1 { "1 message".to_string() } else { format!("{} messages", c.messages) };
                                    view! {
                                        <option value=c.id.to_string()>{format!("{subject} · {} · {count}", clock.date_time(c.last_message_at))}</option>
                                    }
                                }).collect_view()}
                            </select>
                            <button type="submit">"Merge"</button>
                            <FieldError error field="into" />
                        </ActionForm>
                    </details>
                })
            })}
        </Suspense>
    }
}

/// A client's conversations, on the client's page, and a new message to
/// them when they have an address and the business a mailbox.
#[component]
pub fn ClientMail(
    client_id: Uuid,
    client_name: String,
    email: Option<String>,
    archived: bool,
    clock: Clock,
    /// Owned by the page, so that a redraw of the client keeps the outcome.
    compose: ServerAction<ComposeMessage>,
) -> impl IntoView {
    let composed = move || compose.value().get().and_then(|r| r.ok());
    let live = use_live();
    let found = Resource::new(
        move || (client_id, composed(), live.version(Topic::Inbox)),
        |(id, _, _)| load_conversations(None, None, Some(id), None),
    );
    let mailboxes = Resource::new(|| (), |_| load_mailboxes());
    view! {
        <h2>"Email"</h2>
        <Suspense fallback=|| view! { <p>"Loading email…"</p> }>
            {move || Suspend::new(async move {
                match found.await {
                    Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    Ok(items) if items.is_empty() => view! { <p class="muted">"No email with this client yet."</p> }.into_any(),
                    Ok(items) => view! {
                        <ul class="conversations client-mail" aria-label="Email conversations">
                            {items.into_iter().map(|c| view! {
                                <li class:unread={c.unread > 0}>
                                    <a href=format!("/inbox?c={}", c.id)>
                                        <span class="who">{if c.subject.is_empty() { "(no subject)".to_string() } else { c.subject.clone() }}</span>
                                        <time datetime=c.last_message_at.to_rfc3339()>{clock.date_time(c.last_message_at)}</time>
                                        <span class="snippet">{c.snippet.clone()}</span>
                                    </a>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Suspense>
        <Suspense>
            {move || {
                let (client_name, email) = (client_name.clone(), email.clone());
                Suspend::new(async move {
                    let boxes = mailboxes.await.unwrap_or_default();
                    match email {
                        _ if archived || boxes.is_empty() => None,
                        None => Some(view! { <p class="muted">"Add an email address to write to this client."</p> }.into_any()),
                        Some(email) => Some(view! { <ComposeForm client_id client_name email boxes compose /> }.into_any()),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn ComposeForm(
    client_id: Uuid,
    client_name: String,
    email: String,
    boxes: Vec<MailboxView>,
    compose: ServerAction<ComposeMessage>,
) -> impl IntoView {
    let error = error_of(compose.value());
    let form = NodeRef::<leptos::html::Form>::new();
    // A sent message empties the form; a refused one keeps what was typed.
    Effect::new(move |_| {
        if matches!(compose.value().get(), Some(Ok(_))) {
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    let several = boxes.len() > 1;
    view! {
        <details class="compose" open=move || error.get().is_some()>
            <summary>{format!("Write to {client_name}")}</summary>
            <ActionForm action=compose node_ref=form attr:class="stack" attr:novalidate="">
                <FormError error />
                <input type="hidden" name="client" value=client_id.to_string() />
                <p class="muted">{format!("To {client_name} <{email}>")}</p>
                {several.then(|| view! {
                    <label for="compose-from">"From"</label>
                    <select id="compose-from" name="mailbox">
                        {boxes.iter().map(|b| view! {
                            <option value=b.id.to_string()>{format!("{} <{}>", b.name, b.from_address)}</option>
                        }).collect_view()}
                    </select>
                })}
                <label for="compose-subject">"Subject"</label>
                <input id="compose-subject" name="subject" required maxlength="200" aria-invalid=invalid(error, "subject") />
                <FieldError error field="subject" />
                <label for="compose-text">"Message"</label>
                <textarea id="compose-text" name="text" rows="6" required aria-invalid=invalid(error, "text")></textarea>
                <FieldError error field="text" />
                <AttachFiles client_id error sent=Signal::derive(move || compose.value().get().and_then(Result::ok)) />
                <FieldError error field="client" />
                <div><button type="submit" class="primary">"Send"</button></div>
            </ActionForm>
        </details>
        {move || compose.value().get().and_then(|r| r.ok()).map(|conversation| view! {
            <p class="notice" role="status">"The message is on its way. "
                <a href=format!("/inbox?c={conversation}")>"Open the conversation"</a></p>
        })}
    }
}
