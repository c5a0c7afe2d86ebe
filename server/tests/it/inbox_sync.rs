//! The inbox's sync against a real IMAP server (Dovecot): every message
//! arrives once whatever happens to the server, conversations thread by
//! headers (and by subject only without them), broken mail is recorded
//! without blocking the rest, and the mailbox's state says what is wrong.

use std::collections::BTreeSet;

use frontdesk::{
    auth::Staff,
    domain::inbox::{MailboxInput, MailboxState},
    services::inbox::{
        conversations::{self, ConversationFilter},
        mailboxes,
        sync::{self, Outcome},
    },
};
use uuid::Uuid;

use crate::support::{dovecot::Dovecot, seed_business, smtp::SmtpServer, TestApp};

pub(crate) const DESK: &str = "desk@example.com";
pub(crate) const PASSWORD: &str = "desk-password-1";

pub(crate) fn input(server: &Dovecot, password: &str) -> MailboxInput {
    MailboxInput {
        name: "Front desk".into(),
        imap_host: "127.0.0.1".into(),
        imap_port: server.port.to_string(),
        imap_tls: "none".into(),
        imap_user: DESK.into(),
        password: password.into(),
        from_address: DESK.into(),
        import_days: "30".into(),
        ..Default::default()
    }
}

/// A plain message; `headers` are added as they are.
pub(crate) fn mail(
    id: Option<&str>,
    from: &str,
    subject: &str,
    headers: &str,
    body: &str,
) -> Vec<u8> {
    let id = id
        .map(|id| format!("Message-ID: <{id}>\r\n"))
        .unwrap_or_default();
    format!(
        "{id}From: {from}\r\nTo: {DESK}\r\nSubject: {subject}\r\nDate: Tue, 1 Dec 2026 10:00:00 +0100\r\n{headers}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

pub(crate) async fn setup() -> (TestApp, Staff, Dovecot, Uuid) {
    setup_with(|_| {}).await
}

async fn setup_with(
    configure: impl FnOnce(&mut frontdesk::config::Config),
) -> (TestApp, Staff, Dovecot, Uuid) {
    let app = TestApp::spawn_with(configure, Default::default()).await;
    let owner = seed_business(&app, "Europe/Berlin").await;
    // The app's clock sits at the messages' dates, so the import window holds them.
    app.deps
        .clock
        .travel_to("2026-12-02T09:00:00Z".parse().unwrap());
    let server = Dovecot::start(&[(DESK, PASSWORD)]).await;
    let mailbox = mailboxes::create(
        &app.deps,
        &owner,
        &input(&server, PASSWORD),
        &Default::default(),
    )
    .await
    .unwrap()
    .id;
    (app, owner, server, mailbox)
}

pub(crate) async fn sync_ok(app: &TestApp, owner: &Staff, mailbox: Uuid) -> sync::SyncStats {
    match sync::run_and_record(&app.deps, owner.tenant_id, mailbox)
        .await
        .unwrap()
    {
        Outcome::Synced(stats) => stats,
        other => panic!("the sync did not succeed: {other:?}"),
    }
}

async fn stored_ids(app: &TestApp, mailbox: Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT message_id FROM mail_messages WHERE mailbox_id = $1 ORDER BY message_id",
    )
    .bind(mailbox)
    .fetch_all(&app.deps.pool)
    .await
    .unwrap()
}

pub(crate) async fn conversation_of(app: &TestApp, mailbox: Uuid, message_id: &str) -> Uuid {
    sqlx::query_scalar(
        "SELECT conversation_id FROM mail_messages WHERE mailbox_id = $1 AND message_id = $2",
    )
    .bind(mailbox)
    .bind(message_id)
    .fetch_one(&app.deps.pool)
    .await
    .unwrap_or_else(|e| panic!("{message_id} is stored: {e}"))
}

#[tokio::test]
async fn mail_arrives_once_threaded_per_client_in_any_charset() {
    let (app, owner, server, mailbox) = setup().await;
    let mia = frontdesk::services::clients::create(
        &app.deps,
        &owner,
        &frontdesk::services::clients::ClientInput {
            name: "Mia Novak".into(),
            email: "mia@example.com".into(),
            ..Default::default()
        },
        &Default::default(),
    )
    .await
    .unwrap()
    .client
    .id;
    let mia_from = "Mia Novak <Mia@Example.com>";
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("m1@mia"),
            mia_from,
            "Moving my appointment",
            "",
            "Can we move Tuesday?",
        ),
    );
    // A reply whose parent has not arrived yet.
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("m3@mia"),
            mia_from,
            "Re: Re: Moving my appointment",
            "In-Reply-To: <m2@desk>\r\nReferences: <m2@desk>\r\n",
            "Thanks!",
        ),
    );
    // A References cycle.
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("c1@x"),
            "ola@example.org",
            "Loop",
            "References: <c2@x>\r\n",
            "one",
        ),
    );
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("c2@x"),
            "ola@example.org",
            "Re: Loop",
            "References: <c1@x>\r\n",
            "two",
        ),
    );
    // Broken MIME, then a message after it.
    server.deliver(DESK, "INBOX", b"Message-ID: <poison@x>\r\nFrom: bad@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@@ not base64 @@@@\r\n--b--\r\n");
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("after@x"),
            "ola@example.org",
            "After the poison",
            "",
            "still here",
        ),
    );
    // Charsets.
    server.deliver(DESK, "INBOX", b"Message-ID: <latin2@x>\r\nFrom: jan@example.cz\r\nSubject: =?ISO-8859-2?Q?=AEluti?=\r\nContent-Type: text/plain; charset=ISO-8859-2\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\xAElu\xBBou\xE8k\xFD k\xF9\xF2\r\n");
    server.deliver(DESK, "INBOX", b"Message-ID: <cp1251@x>\r\nFrom: ivan@example.ru\r\nSubject: =?windows-1251?B?z/Do4uXy?=\r\nContent-Type: text/plain; charset=windows-1251\r\n\r\n\xcf\xf0\xe8\xe2\xe5\xf2\r\n");
    // No Message-ID at all.
    server.deliver(
        DESK,
        "INBOX",
        &mail(None, "nobody@example.org", "No id", "", "anonymous"),
    );
    // An inline image referred to from the HTML.
    server.deliver(DESK, "INBOX", b"Message-ID: <inline@x>\r\nFrom: Mia <mia@example.com>\r\nSubject: Photo\r\nContent-Type: multipart/related; boundary=r\r\n\r\n--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See <img src=\"cid:logo@x\"></p><script>alert(1)</script>\r\n--r\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--r--\r\n");

    let first = sync_ok(&app, &owner, mailbox).await;
    assert_eq!((first.stored, first.unreadable), (9, 1), "{first:?}");
    // The parent arrives, and a reply from a program that sets no header.
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("m2@desk"),
            DESK,
            "Re: Moving my appointment",
            "In-Reply-To: <m1@mia>\r\nReferences: <m1@mia>\r\n",
            "Sure, Wednesday?",
        ),
    );
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("m4@mia"),
            mia_from,
            "AW: Moving my appointment",
            "",
            "Wednesday works.",
        ),
    );
    let second = sync_ok(&app, &owner, mailbox).await;
    assert_eq!(second.stored, 2, "{second:?}");

    // Nothing twice; the unreadable one is not stored, the one after it is.
    let ids = stored_ids(&app, mailbox).await;
    let distinct: BTreeSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), distinct.len());
    assert_eq!(ids.len(), 11, "{ids:?}");
    assert!(!ids.contains(&"poison@x".to_string()));
    assert!(ids.iter().any(|id| id.starts_with("sha256-")));
    let failures = mailboxes::failures(&app.deps, &owner, mailbox)
        .await
        .unwrap();
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].error.contains("cannot be read"),
        "{}",
        failures[0].error
    );

    // One conversation for Mia's thread, joined when the parent came.
    let thread = conversation_of(&app, mailbox, "m1@mia").await;
    for id in ["m2@desk", "m3@mia", "m4@mia"] {
        assert_eq!(conversation_of(&app, mailbox, id).await, thread, "{id}");
    }
    assert_eq!(
        conversation_of(&app, mailbox, "c1@x").await,
        conversation_of(&app, mailbox, "c2@x").await
    );
    let view = conversations::view(&app.deps, &owner, thread)
        .await
        .unwrap();
    assert_eq!(view.summary.client_id, Some(mia));
    assert_eq!(view.summary.client_name.as_deref(), Some("Mia Novak"));
    let texts: Vec<_> = view
        .messages
        .iter()
        .map(|m| m.body_text.trim().to_string())
        .collect();
    assert_eq!(texts.len(), 4, "{texts:?}");
    assert!(texts.contains(&"Sure, Wednesday?".to_string()));
    assert_eq!(
        view.messages
            .iter()
            .find(|m| m.body_text.contains("Sure"))
            .unwrap()
            .direction,
        frontdesk::domain::inbox::Direction::Out
    );

    // Charsets decode to the right text.
    let latin2 = conversations::view(
        &app.deps,
        &owner,
        conversation_of(&app, mailbox, "latin2@x").await,
    )
    .await
    .unwrap();
    assert_eq!(latin2.summary.subject, "Žluti");
    assert!(
        latin2.messages[0].body_text.starts_with("Žluťoučký"),
        "{}",
        latin2.messages[0].body_text
    );
    let cp1251 = conversations::view(
        &app.deps,
        &owner,
        conversation_of(&app, mailbox, "cp1251@x").await,
    )
    .await
    .unwrap();
    assert_eq!(cp1251.summary.subject, "Привет");
    assert_eq!(cp1251.messages[0].body_text.trim(), "Привет");

    // The inline image is kept as a part the HTML points at; the script is gone.
    let inline = conversation_of(&app, mailbox, "inline@x").await;
    let photo = conversations::view(&app.deps, &owner, inline)
        .await
        .unwrap();
    let message = &photo.messages[0];
    assert!(message.has_html && message.attachments.len() == 1 && message.attachments[0].inline);
    let (html, parts) = conversations::message_html(&app.deps, &owner, message.id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        html.contains("cid:logo@x") && !html.contains("script"),
        "{html}"
    );
    assert_eq!(parts, [("logo@x".to_string(), message.attachments[0].id)]);

    // Unknown senders are unassigned; Mia's conversations are hers.
    let unassigned = conversations::list(
        &app.deps,
        &owner,
        &ConversationFilter {
            unassigned: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(unassigned.iter().all(|c| c.client_id.is_none()));
    assert!(unassigned
        .iter()
        .any(|c| c.correspondent == "ola@example.org"));
    let hers = conversations::list(
        &app.deps,
        &owner,
        &ConversationFilter {
            client: Some(mia),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(hers.len(), 2, "the thread and the photo");

    // A third run finds nothing new; flags and expunges come over.
    server.mark_seen(DESK, "INBOX", 1);
    server.expunge(DESK, "INBOX", 2);
    let third = sync_ok(&app, &owner, mailbox).await;
    assert_eq!(
        (third.stored, third.flags_changed, third.expunged),
        (0, 1, 1),
        "{third:?}"
    );
    let view = conversations::view(&app.deps, &owner, thread)
        .await
        .unwrap();
    let m1 = view
        .messages
        .iter()
        .find(|m| m.body_text.contains("Tuesday"))
        .unwrap();
    assert!(m1.seen);
    assert!(
        view.messages
            .iter()
            .find(|m| m.body_text.contains("Thanks"))
            .unwrap()
            .expunged
    );
    let state = mailboxes::get(&app.deps, &owner, mailbox).await.unwrap();
    assert_eq!(state.state, MailboxState::InSync);
    assert_eq!(state.sent_folder.as_deref(), Some("Sent"));
}

#[tokio::test]
async fn five_hundred_messages_survive_a_server_killed_mid_sync_and_a_long_gap() {
    let (app, owner, mut server, mailbox) = setup().await;
    let deliver = |server: &Dovecot, range: std::ops::Range<usize>| {
        for n in range {
            server.deliver(
                DESK,
                "INBOX",
                &mail(
                    Some(&format!("bulk-{n:03}@x")),
                    "many@example.org",
                    &format!("Bulk {n}"),
                    "",
                    "text",
                ),
            );
        }
    };
    deliver(&server, 0..200);
    let first = sync_ok(&app, &owner, mailbox).await;
    assert_eq!(first.stored, 200);
    deliver(&server, 200..350);

    // The server dies while a sync runs: it fails, and keeps what it stored.
    let deps = app.deps.clone();
    let tenant = owner.tenant_id;
    let running = tokio::spawn(async move { sync::run_and_record(&deps, tenant, mailbox).await });
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    server.stop();
    let outcome = running.await.unwrap().unwrap();
    let during = stored_ids(&app, mailbox).await.len();
    assert!((200..=350).contains(&during), "{during}");
    if let Outcome::Failed(_) = outcome {
        let state = mailboxes::get(&app.deps, &owner, mailbox).await.unwrap();
        assert_eq!(state.state, MailboxState::Failing);
        assert!(state.last_error.is_some());
    }
    // While it is down, syncs fail without losing anything.
    assert!(matches!(
        sync::run_and_record(&app.deps, owner.tenant_id, mailbox)
            .await
            .unwrap(),
        Outcome::Failed(_)
    ));
    server.start_again().await;
    deliver(&server, 350..500);
    // Two days later, everything is there, once.
    let later = app.deps.clock.now() + chrono::Duration::hours(48);
    app.deps.clock.travel_to(later);
    sync_ok(&app, &owner, mailbox).await;
    let ids = stored_ids(&app, mailbox).await;
    let mut on_server = server.message_ids(DESK, "INBOX");
    on_server.sort();
    assert_eq!(on_server.len(), 500);
    assert_eq!(ids, on_server);
    assert_eq!(
        mailboxes::get(&app.deps, &owner, mailbox)
            .await
            .unwrap()
            .state,
        MailboxState::InSync
    );
}

#[tokio::test]
async fn a_new_uidvalidity_matches_again_and_imports_nothing_twice() {
    let (app, owner, server, mailbox) = setup().await;
    // A folder of its own beside the inbox (the server cannot recreate INBOX).
    server.create_folder(DESK, "Clients");
    let with_folder = MailboxInput {
        folders: "Clients".into(),
        ..input(&server, "")
    };
    mailboxes::update(
        &app.deps,
        &owner,
        mailbox,
        &with_folder,
        &Default::default(),
    )
    .await
    .unwrap();
    for n in 0..3 {
        server.deliver(
            DESK,
            "Clients",
            &mail(
                Some(&format!("v{n}@x")),
                "ola@example.org",
                "Hello",
                "",
                "hi",
            ),
        );
    }
    assert_eq!(sync_ok(&app, &owner, mailbox).await.stored, 3);
    let validity = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT uid_validity FROM mailbox_folders WHERE mailbox_id = $1 AND name = 'Clients'",
        )
        .bind(mailbox)
        .fetch_one(&app.deps.pool)
        .await
        .unwrap()
    };
    let before = validity().await;
    server.recreate(DESK, "Clients");
    server.deliver(
        DESK,
        "Clients",
        &mail(Some("v3@x"), "ola@example.org", "Hello", "", "hi"),
    );
    let stats = sync_ok(&app, &owner, mailbox).await;
    assert_eq!(stats.stored, 1, "{stats:?}");
    assert_ne!(before, validity().await);
    assert_eq!(
        stored_ids(&app, mailbox).await,
        ["v0@x", "v1@x", "v2@x", "v3@x"]
    );
    // Every message has its new UID again.
    let without: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM mail_messages WHERE mailbox_id = $1 AND uid IS NULL",
    )
    .bind(mailbox)
    .fetch_one(&app.deps.pool)
    .await
    .unwrap();
    assert_eq!(without, 0);
}

#[tokio::test]
async fn a_refused_password_stops_retrying_and_an_outage_heals_by_itself() {
    let (app, owner, mut server, mailbox) = setup().await;
    server.set_password(DESK, "changed-on-the-server");
    let outcome = sync::run_and_record(&app.deps, owner.tenant_id, mailbox)
        .await
        .unwrap();
    assert!(
        matches!(outcome, Outcome::Failed(ref e) if e.needs_new_settings()),
        "{outcome:?}"
    );
    let refused = mailboxes::get(&app.deps, &owner, mailbox).await.unwrap();
    assert_eq!(refused.state, MailboxState::SignInRefused);
    assert!(
        refused
            .last_error
            .as_deref()
            .unwrap()
            .contains("refused the sign-in"),
        "{:?}",
        refused.last_error
    );
    // Not synced for three intervals of the schedule: the alert's metric counts it.
    // (The row's creation is stamped by the database, not the app's clock.)
    let later = chrono::Utc::now() + chrono::Duration::minutes(16);
    let health = mailboxes::health(&app.deps, later, 300.0).await.unwrap();
    assert_eq!(health.overdue, 1);
    assert_eq!(health.by_state, [("sign_in_refused".to_string(), 1)]);
    // No retry storm: further runs do not even connect.
    assert!(matches!(
        sync::run_and_record(&app.deps, owner.tenant_id, mailbox)
            .await
            .unwrap(),
        Outcome::Skipped
    ));
    // Nothing anyone can read holds the password.
    let shown = serde_json::to_string(&mailboxes::list(&app.deps, &owner).await.unwrap()).unwrap();
    assert!(!shown.contains(PASSWORD));
    let audit: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT changes FROM audit_log WHERE entity_type = 'mailbox'")
            .fetch_all(&app.deps.pool)
            .await
            .unwrap();
    assert!(!audit.is_empty());
    assert!(audit.iter().all(|c| !c.to_string().contains(PASSWORD)));
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT password_sealed FROM mailboxes WHERE id = $1")
        .bind(mailbox)
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains(PASSWORD));

    // The new password ends it.
    mailboxes::update(
        &app.deps,
        &owner,
        mailbox,
        &input(&server, "changed-on-the-server"),
        &Default::default(),
    )
    .await
    .unwrap();
    sync_ok(&app, &owner, mailbox).await;

    // The server goes away: failing; it comes back: in sync, with no one acting.
    server.stop();
    assert!(matches!(
        sync::run_and_record(&app.deps, owner.tenant_id, mailbox)
            .await
            .unwrap(),
        Outcome::Failed(_)
    ));
    let failing = mailboxes::get(&app.deps, &owner, mailbox).await.unwrap();
    assert_eq!(failing.state, MailboxState::Failing);
    assert!(
        failing.last_error.as_deref().unwrap().contains("TCP"),
        "{:?}",
        failing.last_error
    );
    server.start_again().await;
    sync_ok(&app, &owner, mailbox).await;
    assert_eq!(
        mailboxes::get(&app.deps, &owner, mailbox)
            .await
            .unwrap()
            .state,
        MailboxState::InSync
    );
}

#[tokio::test]
async fn another_business_sees_none_of_the_mail() {
    let (app, owner, server, mailbox) = setup().await;
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("private@x"),
            "mia@example.com",
            "Private",
            "",
            "secret text",
        ),
    );
    sync_ok(&app, &owner, mailbox).await;
    let conversation = conversation_of(&app, mailbox, "private@x").await;
    let other = seed_business(&app, "Europe/Paris").await;
    assert!(
        conversations::list(&app.deps, &other, &ConversationFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        conversations::view(&app.deps, &other, conversation).await,
        Err(frontdesk::error::AppError::NotFound(_))
    ));
    assert!(mailboxes::list(&app.deps, &other).await.unwrap().is_empty());
    assert!(matches!(
        mailboxes::sync_now(&app.deps, &other, mailbox, &Default::default()).await,
        Err(frontdesk::error::AppError::NotFound(_))
    ));
    assert!(matches!(
        conversations::archive(&app.deps, &other, conversation, true, &Default::default()).await,
        Err(frontdesk::error::AppError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_reply_threads_in_the_clients_mail_program_and_is_filed_in_sent_once() {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let (app, owner, server, mailbox) = setup_with(|c| {
        c.mail.smtp_url = crate::support::secret(&url);
        c.jobs.poll_interval = std::time::Duration::from_millis(50);
        crate::support::schedules(c, &[]);
    })
    .await;
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("ask@mia"),
            "Mia Novak <Mia@Example.com>",
            "Re: Your visit",
            "References: <first@desk>\r\nIn-Reply-To: <first@desk>\r\n",
            "Can I bring my son?",
        ),
    );
    sync_ok(&app, &owner, mailbox).await;
    let conversation = conversation_of(&app, mailbox, "ask@mia").await;

    let sent = frontdesk::services::inbox::send::reply(
        &app.deps,
        &owner,
        conversation,
        "Of course, see you then.",
        &[],
        &Default::default(),
    )
    .await
    .unwrap();
    // Shown at once as on its way.
    let view = conversations::view(&app.deps, &owner, conversation)
        .await
        .unwrap();
    let mine = view.messages.iter().find(|m| m.id == sent).unwrap();
    assert_eq!(
        mine.send_state,
        Some(frontdesk::domain::inbox::SendState::Queued)
    );
    // An empty reply is refused by name.
    let empty = frontdesk::services::inbox::send::reply(
        &app.deps,
        &owner,
        conversation,
        "  ",
        &[],
        &Default::default(),
    )
    .await;
    assert!(
        matches!(empty, Err(frontdesk::error::AppError::Invalid(ref e)) if e.get("text").is_some()),
        "{empty:?}"
    );

    // The workers take jobs due by the app's clock: it moves past the queue's.
    app.deps
        .clock
        .travel_to(chrono::Utc::now() + chrono::Duration::minutes(1));
    let background = frontdesk::services::jobs::start_background(&app.deps);
    let received = smtp.wait_for(1, std::time::Duration::from_secs(20)).await;
    wait_until_filed(&app, sent).await;
    background.shutdown().await;

    // The client's program threads it: In-Reply-To the message, References the chain.
    let raw = &received[0];
    assert!(raw.contains("To: mia@example.com"), "{raw}");
    assert!(raw.contains("In-Reply-To: <ask@mia>"), "{raw}");
    assert!(raw.contains("References: <first@desk> <ask@mia>"), "{raw}");
    assert!(
        raw.contains("Subject: Re: Your visit") && !raw.contains("Re: Re:"),
        "{raw}"
    );
    assert!(raw.contains("Of course, see you then."), "{raw}");
    let own_id = stored_ids(&app, mailbox)
        .await
        .into_iter()
        .find(|id| id.ends_with("@example.com"))
        .unwrap();
    assert!(raw.contains(&format!("Message-ID: <{own_id}>")), "{raw}");

    // In Sent exactly once, even when filing is tried again.
    assert_eq!(server.count(DESK, "Sent"), 1);
    let settings = frontdesk::imap::ImapSettings {
        host: "127.0.0.1".into(),
        port: server.port,
        tls: frontdesk::domain::inbox::TlsMode::None,
        user: DESK.into(),
        password: PASSWORD.to_string().into(),
        timeout: std::time::Duration::from_secs(10),
    };
    let mut session = frontdesk::imap::connect(&settings).await.unwrap();
    assert!(!session
        .append_once("Sent", &own_id, raw.as_bytes())
        .await
        .unwrap());
    session.logout().await;
    assert_eq!(server.count(DESK, "Sent"), 1);

    // The next sync finds it in Sent and stores nothing twice.
    let stats = sync_ok(&app, &owner, mailbox).await;
    assert_eq!(stats.stored, 0, "{stats:?}");
    let view = conversations::view(&app.deps, &owner, conversation)
        .await
        .unwrap();
    assert_eq!(view.messages.len(), 2);
    let mine = view.messages.iter().find(|m| m.id == sent).unwrap();
    assert_eq!(
        mine.send_state,
        Some(frontdesk::domain::inbox::SendState::Sent)
    );
    assert_eq!(mine.direction, frontdesk::domain::inbox::Direction::Out);
    let folder: Option<String> =
        sqlx::query_scalar("SELECT folder FROM mail_messages WHERE id = $1")
            .bind(sent)
            .fetch_one(&app.deps.pool)
            .await
            .unwrap();
    assert_eq!(folder.as_deref(), Some("Sent"));
}

#[tokio::test]
async fn conversations_over_rest_need_their_scopes_and_stay_in_their_business() {
    let app = TestApp::spawn().await;
    let owner_browser =
        crate::support::sign_up(&app, "Mail Studio", "mail-owner@example.com").await;
    let owner = crate::support::staff_of(&owner_browser).await;
    let server = Dovecot::start(&[(DESK, PASSWORD)]).await;
    let mailbox = mailboxes::create(
        &app.deps,
        &owner,
        &input(&server, PASSWORD),
        &Default::default(),
    )
    .await
    .unwrap()
    .id;
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("rest@x"),
            "ola@example.org",
            "Over REST",
            "",
            "hello api",
        ),
    );
    sync_ok(&app, &owner, mailbox).await;
    let conversation = conversation_of(&app, mailbox, "rest@x").await;

    let reader = crate::support::api_key(&owner_browser, &["messages:read"]).await;
    let (status, list) = crate::support::rest(
        &app,
        &reader,
        reqwest::Method::GET,
        "/api/v1/conversations?q=hello",
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["subject"], "Over REST");
    let path = format!("/api/v1/conversations/{conversation}");
    let (status, one) =
        crate::support::rest(&app, &reader, reqwest::Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        one["messages"][0]["body_text"].as_str().unwrap().trim(),
        "hello api"
    );
    let replies = format!("{path}/replies");
    let body = Some(serde_json::json!({ "text": "Thanks!" }));
    let (status, _) =
        crate::support::rest(&app, &reader, reqwest::Method::POST, &replies, body.clone()).await;
    assert_eq!(status, 403, "reading does not allow writing");

    let writer = crate::support::api_key(&owner_browser, &["messages:write"]).await;
    let (status, queued) =
        crate::support::rest(&app, &writer, reqwest::Method::POST, &replies, body.clone()).await;
    assert_eq!(status, 202, "{queued}");
    let (status, empty) = crate::support::rest(
        &app,
        &writer,
        reqwest::Method::POST,
        &replies,
        Some(serde_json::json!({ "text": "" })),
    )
    .await;
    assert_eq!(status, 422, "{empty}");
    // A new conversation with a client.
    let mia = client(&app, &owner, "Mia Novak", "mia@example.com").await;
    let start =
        Some(serde_json::json!({ "client_id": mia, "subject": "Hello", "text": "From the API" }));
    let (status, _) = crate::support::rest(
        &app,
        &reader,
        reqwest::Method::POST,
        "/api/v1/conversations",
        start.clone(),
    )
    .await;
    assert_eq!(status, 403);
    let (status, started) = crate::support::rest(
        &app,
        &writer,
        reqwest::Method::POST,
        "/api/v1/conversations",
        start.clone(),
    )
    .await;
    assert_eq!(status, 202, "{started}");
    let (status, view) = crate::support::rest(
        &app,
        &reader,
        reqwest::Method::GET,
        &format!(
            "/api/v1/conversations/{}",
            started["conversation_id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(view["summary"]["client_id"], serde_json::json!(mia));
    assert_eq!(view["messages"][0]["id"], started["message_id"]);

    // Another business's key finds nothing of it.
    let other = crate::support::sign_up(&app, "Other Studio", "other-owner@example.com").await;
    let stranger = crate::support::api_key(&other, &["messages:read", "messages:write"]).await;
    let (status, list) = crate::support::rest(
        &app,
        &stranger,
        reqwest::Method::GET,
        "/api/v1/conversations",
        None,
    )
    .await;
    assert_eq!(
        (status.as_u16(), list.as_array().map(Vec::len)),
        (200, Some(0))
    );
    for (method, target, body) in [
        (reqwest::Method::GET, &path, None),
        (reqwest::Method::POST, &replies, body),
    ] {
        let (status, _) = crate::support::rest(&app, &stranger, method, target, body).await;
        assert_eq!(status, 404);
    }
    // Nor can it write to this business's client.
    let (status, refused) = crate::support::rest(
        &app,
        &stranger,
        reqwest::Method::POST,
        "/api/v1/conversations",
        start,
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused.to_string().contains("no such client"), "{refused}");
}

/// Waits until the reply `sent` was sent and filed in Sent.
async fn wait_until_filed(app: &TestApp, sent: Uuid) {
    let started = std::time::Instant::now();
    loop {
        let appended: bool =
            sqlx::query_scalar("SELECT appended_at IS NOT NULL FROM mail_messages WHERE id = $1")
                .bind(sent)
                .fetch_one(&app.deps.pool)
                .await
                .unwrap();
        if appended {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the message was not filed in Sent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_mailbox_sends_through_its_own_smtp_server_after_signing_in() {
    const SMTP_PASSWORD: &str = "relay-secret-7";
    let site = SmtpServer::start().await;
    let own = SmtpServer::start_with_login("desk-relay", SMTP_PASSWORD).await;
    let url = site.url();
    let (app, owner, server, mailbox) = setup_with(|c| {
        c.mail.smtp_url = crate::support::secret(&url);
        c.jobs.poll_interval = std::time::Duration::from_millis(50);
        crate::support::schedules(c, &[]);
    })
    .await;
    let with_relay = |password: &str| MailboxInput {
        smtp_host: "127.0.0.1".into(),
        smtp_port: own.port.to_string(),
        smtp_tls: "none".into(),
        smtp_user: "desk-relay".into(),
        smtp_password: password.into(),
        ..input(&server, "")
    };
    // A wrong SMTP password is named by the test, before anything is saved.
    let wrong = mailboxes::test_connection(&app.deps, &owner, Some(mailbox), &with_relay("nope"))
        .await
        .unwrap_err();
    assert!(
        wrong
            .to_string()
            .contains("refused the user name or password"),
        "{wrong}"
    );
    // Saved with the right one; the test then uses the stored passwords.
    let saved = mailboxes::update(
        &app.deps,
        &owner,
        mailbox,
        &with_relay(SMTP_PASSWORD),
        &Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(saved.smtp_host.as_deref(), Some("127.0.0.1"));
    let report = mailboxes::test_connection(&app.deps, &owner, Some(mailbox), &saved.input())
        .await
        .unwrap();
    assert_eq!(report.smtp, Some(format!("127.0.0.1:{}", own.port)));
    // The SMTP server going away is a failed test that says where.
    let closed = MailboxInput {
        smtp_port: crate::support::smtp::free_port().to_string(),
        ..saved.input()
    };
    let down = mailboxes::test_connection(&app.deps, &owner, Some(mailbox), &closed)
        .await
        .unwrap_err();
    assert!(
        down.to_string()
            .contains("no connection to the SMTP server"),
        "{down}"
    );

    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("q@mia"),
            "Mia Novak <mia@example.com>",
            "Parking",
            "",
            "Is there parking?",
        ),
    );
    sync_ok(&app, &owner, mailbox).await;
    let conversation = conversation_of(&app, mailbox, "q@mia").await;
    let sent = frontdesk::services::inbox::send::reply(
        &app.deps,
        &owner,
        conversation,
        "Yes, behind the building.",
        &[],
        &Default::default(),
    )
    .await
    .unwrap();
    app.deps
        .clock
        .travel_to(chrono::Utc::now() + chrono::Duration::minutes(1));
    let background = frontdesk::services::jobs::start_background(&app.deps);
    let received = own.wait_for(1, std::time::Duration::from_secs(20)).await;
    wait_until_filed(&app, sent).await;
    background.shutdown().await;
    assert!(
        received[0].contains("Yes, behind the building."),
        "{}",
        received[0]
    );
    assert!(
        site.messages().is_empty(),
        "the site's SMTP server got the reply"
    );

    // The SMTP password is in no view, audit entry or plain column.
    let shown = serde_json::to_string(&mailboxes::list(&app.deps, &owner).await.unwrap()).unwrap();
    assert!(!shown.contains(SMTP_PASSWORD));
    let audit: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT changes FROM audit_log WHERE entity_type = 'mailbox'")
            .fetch_all(&app.deps.pool)
            .await
            .unwrap();
    assert!(audit.iter().all(|c| !c.to_string().contains(SMTP_PASSWORD)));
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT smtp_password_sealed FROM mailboxes WHERE id = $1")
            .bind(mailbox)
            .fetch_one(&app.deps.pool)
            .await
            .unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains(SMTP_PASSWORD));

    // Back to the site's server: the stored SMTP password goes too.
    mailboxes::update(
        &app.deps,
        &owner,
        mailbox,
        &input(&server, ""),
        &Default::default(),
    )
    .await
    .unwrap();
    let gone: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT smtp_password_sealed FROM mailboxes WHERE id = $1")
            .bind(mailbox)
            .fetch_one(&app.deps.pool)
            .await
            .unwrap();
    assert_eq!(gone, None);
}

async fn client(app: &TestApp, owner: &Staff, name: &str, email: &str) -> Uuid {
    frontdesk::services::clients::create(
        &app.deps,
        owner,
        &frontdesk::services::clients::ClientInput {
            name: name.into(),
            email: email.into(),
            ..Default::default()
        },
        &Default::default(),
    )
    .await
    .unwrap()
    .client
    .id
}

#[tokio::test]
async fn a_new_message_starts_a_conversation_and_sending_is_limited_per_business() {
    use frontdesk::services::inbox::send::{compose, NewMessage};
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let (app, owner, _server, _mailbox) = setup_with(|c| {
        c.mail.smtp_url = crate::support::secret(&url);
        c.jobs.poll_interval = std::time::Duration::from_millis(50);
        crate::support::schedules(c, &[]);
        crate::support::limit(c, frontdesk::ratelimit::PolicyKind::MailSend, "2/h");
    })
    .await;
    let mia = client(&app, &owner, "Mia Novak", "Mia@Example.com").await;
    let no_email = client(&app, &owner, "Paul Dubois", "").await;
    let new = |client: Uuid, subject: &str, text: &str| NewMessage {
        client,
        mailbox: None,
        subject: subject.into(),
        text: text.into(),
        attachments: Vec::new(),
    };

    // Refusals name the field and the reason, and write nothing.
    let field_of = |e: frontdesk::error::AppError| match e {
        frontdesk::error::AppError::Invalid(errors) => errors
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("; "),
        other => panic!("not a field error: {other:?}"),
    };
    let refused = compose(
        &app.deps,
        &owner,
        &new(no_email, "Hello", "Hi"),
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        field_of(refused),
        "client: Paul Dubois has no email address; add one first"
    );
    let refused = compose(&app.deps, &owner, &new(mia, " ", "Hi"), &Default::default())
        .await
        .unwrap_err();
    assert!(field_of(refused).starts_with("subject:"));
    let refused = compose(
        &app.deps,
        &owner,
        &new(mia, "Line\nbreak", "Hi"),
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert!(field_of(refused).starts_with("subject:"));
    let other = crate::support::seed_business(&app, "Europe/Paris").await;
    let theirs = client(&app, &other, "Their Client", "their@example.com").await;
    let refused = compose(
        &app.deps,
        &owner,
        &new(theirs, "Hello", "Hi"),
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(field_of(refused), "client: there is no such client");
    // The other business has no mailbox: it is told to connect one.
    let refused = compose(
        &app.deps,
        &other,
        &new(theirs, "Hello", "Hi"),
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(refused, frontdesk::error::AppError::Conflict(ref m) if m.contains("connect a mailbox"))
    );
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM mail_messages")
            .fetch_one(&app.deps.pool)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 0);

    // A new message is a conversation of its own, the client's, queued.
    let started = compose(
        &app.deps,
        &owner,
        &new(
            mia,
            "Your results are ready",
            "Dear Mia,\nyour results are ready.",
        ),
        &Default::default(),
    )
    .await
    .unwrap();
    let view = conversations::view(&app.deps, &owner, started.conversation)
        .await
        .unwrap();
    assert_eq!(view.summary.client_id, Some(mia));
    assert_eq!(view.summary.subject, "Your results are ready");
    assert_eq!(view.summary.correspondent, "mia@example.com");
    assert_eq!(view.messages.len(), 1);
    assert_eq!(view.messages[0].id, started.message);
    assert_eq!(
        view.messages[0].send_state,
        Some(frontdesk::domain::inbox::SendState::Queued)
    );
    let listed = conversations::list(
        &app.deps,
        &owner,
        &ConversationFilter {
            client: Some(mia),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 1);

    // The second message of the minute passes, the third is refused (429) and not stored.
    frontdesk::services::inbox::send::reply(
        &app.deps,
        &owner,
        started.conversation,
        "P.S.",
        &[],
        &Default::default(),
    )
    .await
    .unwrap();
    let limited = frontdesk::services::inbox::send::reply(
        &app.deps,
        &owner,
        started.conversation,
        "P.P.S.",
        &[],
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(limited.status().as_u16(), 429, "{limited:?}");
    assert!(limited.to_string().contains("mail send"), "{limited}");
    assert_eq!(count().await, 2);

    // Sent to the client without threading headers, From the mailbox.
    app.deps
        .clock
        .travel_to(chrono::Utc::now() + chrono::Duration::minutes(1));
    let background = frontdesk::services::jobs::start_background(&app.deps);
    let received = smtp.wait_for(2, std::time::Duration::from_secs(20)).await;
    wait_until_filed(&app, started.message).await;
    background.shutdown().await;
    let first = received
        .iter()
        .find(|m| m.contains("your results are ready"))
        .expect("the new message arrived");
    assert!(first.contains("Subject: Your results are ready"), "{first}");
    assert!(
        first.contains("To: mia@example.com") || first.contains("To: Mia@Example.com"),
        "{first}"
    );
    assert!(first.contains(&format!("From: {DESK}")), "{first}");
    assert!(!first.contains("In-Reply-To"), "{first}");
}

#[tokio::test]
async fn a_retry_takes_what_reads_now_and_counts_what_still_does_not() {
    let (app, owner, server, mailbox) = setup().await;
    server.deliver(DESK, "INBOX", b"Message-ID: <poison@x>\r\nFrom: bad@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@@ not base64 @@@@\r\n--b--\r\n");
    server.deliver(
        DESK,
        "INBOX",
        &mail(Some("fine@x"), "ok@example.org", "Fine", "", "Readable"),
    );
    let stats = sync_ok(&app, &owner, mailbox).await;
    assert_eq!((stats.stored, stats.unreadable), (1, 1), "{stats:?}");
    let failures = mailboxes::failures(&app.deps, &owner, mailbox)
        .await
        .unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(
        (failures[0].folder.as_str(), failures[0].attempts),
        ("INBOX", 1)
    );

    // A message an earlier version could not take, that reads now: it is
    // recorded as failed and missing, as such a run leaves it.
    let (uid, validity): (i64, i64) = sqlx::query_as(
        "SELECT m.uid, f.uid_validity FROM mail_messages m
         JOIN mailbox_folders f ON f.mailbox_id = m.mailbox_id AND f.name = m.folder
         WHERE m.message_id = 'fine@x'",
    )
    .fetch_one(&app.deps.pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM mail_messages WHERE message_id = 'fine@x'")
        .execute(&app.deps.pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO mail_sync_failures (id, tenant_id, mailbox_id, folder, uid_validity, uid, error)
         VALUES ($1, $2, $3, 'INBOX', $4, $5, 'the storage refused it')",
    )
    .bind(Uuid::now_v7())
    .bind(owner.tenant_id)
    .bind(mailbox)
    .bind(validity)
    .bind(uid)
    .execute(&app.deps.pool)
    .await
    .unwrap();
    // An ordinary sync does not fetch old UIDs again.
    sync_ok(&app, &owner, mailbox).await;
    assert!(!stored_ids(&app, mailbox)
        .await
        .contains(&"fine@x".to_string()));
    assert_eq!(
        mailboxes::get(&app.deps, &owner, mailbox)
            .await
            .unwrap()
            .open_failures,
        2
    );

    // "Retry" queues a sync that fetches the failures again.
    mailboxes::retry_failures(&app.deps, &owner, mailbox, &Default::default())
        .await
        .unwrap();
    let queued: serde_json::Value = sqlx::query_scalar(
        "SELECT payload FROM jobs WHERE kind = 'inbox.sync' AND dedupe_key = $1",
    )
    .bind(format!("mailbox-retry:{mailbox}"))
    .fetch_one(&app.deps.pool)
    .await
    .unwrap();
    assert_eq!(queued["retry_failures"], true);
    match sync::retry_and_record(&app.deps, owner.tenant_id, mailbox)
        .await
        .unwrap()
    {
        Outcome::Synced(stats) => assert_eq!((stats.stored, stats.unreadable), (1, 1), "{stats:?}"),
        other => panic!("{other:?}"),
    }
    assert!(stored_ids(&app, mailbox)
        .await
        .contains(&"fine@x".to_string()));
    let left = mailboxes::failures(&app.deps, &owner, mailbox)
        .await
        .unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(
        left[0].attempts, 2,
        "the poison message was tried once more"
    );
    assert_eq!(left[0].error, failures[0].error);
}

#[tokio::test]
async fn an_unknown_sender_becomes_a_client_with_all_their_conversations() {
    let (app, owner, server, mailbox) = setup().await;
    for (id, subject) in [("a@lena", "Prices"), ("b@lena", "Opening hours")] {
        server.deliver(
            DESK,
            "INBOX",
            &mail(
                Some(id),
                "Lena Berg <lena@example.com>",
                subject,
                "",
                "Hello",
            ),
        );
    }
    server.deliver(
        DESK,
        "INBOX",
        &mail(Some("c@kai"), "kai@example.com", "Hi", "", "Hello"),
    );
    sync_ok(&app, &owner, mailbox).await;
    let (first, second) = (
        conversation_of(&app, mailbox, "a@lena").await,
        conversation_of(&app, mailbox, "b@lena").await,
    );
    assert_ne!(first, second);
    let lena = conversations::client_from_sender(
        &app.deps,
        &owner,
        first,
        "Lena Berg",
        &Default::default(),
    )
    .await
    .unwrap();
    for conversation in [first, second] {
        let view = conversations::view(&app.deps, &owner, conversation)
            .await
            .unwrap();
        assert_eq!(view.summary.client_id, Some(lena));
        assert_eq!(view.summary.client_name.as_deref(), Some("Lena Berg"));
    }
    let again = conversations::client_from_sender(
        &app.deps,
        &owner,
        first,
        "Lena Berg",
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(again.status().as_u16(), 409, "{again:?}");

    // Kai became a client after his mail arrived: he is used, not doubled.
    let kai = client(&app, &owner, "Kai Weber", "KAI@example.com").await;
    let theirs = conversation_of(&app, mailbox, "c@kai").await;
    let found = conversations::client_from_sender(
        &app.deps,
        &owner,
        theirs,
        "Someone Else",
        &Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(found, kai);
    let clients: i64 = sqlx::query_scalar("SELECT count(*) FROM clients WHERE tenant_id = $1")
        .bind(owner.tenant_id)
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    assert_eq!(clients, 2);
    // Another business cannot take it.
    let other = crate::support::seed_business(&app, "Europe/Paris").await;
    let refused =
        conversations::client_from_sender(&app.deps, &other, theirs, "X", &Default::default())
            .await
            .unwrap_err();
    assert_eq!(refused.status().as_u16(), 404);
}

#[tokio::test]
async fn a_twenty_megabyte_attachment_arrives_whole_in_a_fetch_of_its_own() {
    use base64::Engine;
    use sha2::Digest;
    let (app, owner, server, mailbox) = setup_with(|c| {
        c.inbox.batch_bytes = 1024 * 1024;
    })
    .await;
    // 20 MB that do not compress, base64 in lines of 76 as mail programs send them.
    const SIZE: usize = 20 * 1024 * 1024;
    let mut data = Vec::with_capacity(SIZE + 32);
    let mut block = sha2::Sha256::digest(b"a scan of twenty megabytes").to_vec();
    while data.len() < SIZE {
        block = sha2::Sha256::digest(&block).to_vec();
        data.extend_from_slice(&block);
    }
    data.truncate(SIZE);
    let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let big = format!(
        "Message-ID: <scan@mia>\r\nFrom: mia@example.com\r\nSubject: My scan\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe scan is attached.\r\n--b\r\nContent-Type: application/pdf; name=scan.pdf\r\nContent-Disposition: attachment; filename=scan.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        lines.join("\r\n")
    );
    server.deliver(
        DESK,
        "INBOX",
        &mail(Some("before@x"), "a@example.com", "Before", "", "one"),
    );
    server.deliver(DESK, "INBOX", big.as_bytes());
    server.deliver(
        DESK,
        "INBOX",
        &mail(Some("after@x"), "b@example.com", "After", "", "two"),
    );
    let stats = sync_ok(&app, &owner, mailbox).await;
    assert_eq!((stats.stored, stats.unreadable), (3, 0), "{stats:?}");

    let view = conversations::view(
        &app.deps,
        &owner,
        conversation_of(&app, mailbox, "scan@mia").await,
    )
    .await
    .unwrap();
    let message = &view.messages[0];
    assert_eq!(message.body_text.trim(), "The scan is attached.");
    assert_eq!(message.attachments.len(), 1);
    let attachment = &message.attachments[0];
    assert_eq!(attachment.file_name, "scan.pdf");
    assert_eq!(attachment.size_bytes, SIZE as i64);
    let (_, content_type, key) = conversations::attachment(&app.deps, &owner, attachment.id)
        .await
        .unwrap();
    assert_eq!(content_type, "application/pdf");
    let stored = app.deps.storage.read(&key).await.unwrap();
    assert_eq!(sha2::Sha256::digest(&stored), sha2::Sha256::digest(&data));
    // Nothing is fetched or stored a second time.
    let again = sync_ok(&app, &owner, mailbox).await;
    assert_eq!(again.stored, 0);
}

#[tokio::test]
async fn a_team_member_takes_a_conversation_and_finds_it_under_mine() {
    let (app, owner, server, mailbox) = setup().await;
    server.deliver(
        DESK,
        "INBOX",
        &mail(Some("q@one"), "one@example.com", "One", "", "1"),
    );
    server.deliver(
        DESK,
        "INBOX",
        &mail(Some("q@two"), "two@example.com", "Two", "", "2"),
    );
    sync_ok(&app, &owner, mailbox).await;
    let one = conversation_of(&app, mailbox, "q@one").await;
    let mine = |app: &TestApp, owner: &Staff| {
        let filter = ConversationFilter {
            assignee: Some(owner.user_id),
            ..Default::default()
        };
        let (deps, owner) = (app.deps.clone(), *owner);
        async move { conversations::list(&deps, &owner, &filter).await.unwrap() }
    };
    assert!(mine(&app, &owner).await.is_empty());
    conversations::take(&app.deps, &owner, one, true, &Default::default())
        .await
        .unwrap();
    let taken = mine(&app, &owner).await;
    assert_eq!(taken.iter().map(|c| c.id).collect::<Vec<_>>(), [one]);
    assert_eq!(taken[0].assignee_id, Some(owner.user_id));
    assert!(taken[0].assignee_name.is_some());
    let audit: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'conversation.take' AND entity_id = $1",
    )
    .bind(one)
    .fetch_one(&app.deps.pool)
    .await
    .unwrap();
    assert_eq!(audit, 1);
    // Let go: nobody's.
    conversations::take(&app.deps, &owner, one, false, &Default::default())
        .await
        .unwrap();
    assert!(mine(&app, &owner).await.is_empty());
    let view = conversations::view(&app.deps, &owner, one).await.unwrap();
    assert_eq!(view.summary.assignee_id, None);
    // Another business cannot take it.
    let other = crate::support::seed_business(&app, "Europe/Paris").await;
    let refused = conversations::take(&app.deps, &other, one, true, &Default::default())
        .await
        .unwrap_err();
    assert_eq!(refused.status().as_u16(), 404);
}

#[tokio::test]
async fn an_attachment_is_saved_to_the_clients_files_as_an_upload_would_be() {
    let (app, owner, server, mailbox) = setup().await;
    let mia = client(&app, &owner, "Mia Novak", "mia@example.com").await;
    let with_file = |id: &str, from: &str, name: &str, body: &str| {
        format!(
            "Message-ID: <{id}>\r\nFrom: {from}\r\nSubject: Notes\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\nContent-Type: text/plain; name={name}\r\nContent-Disposition: attachment; filename={name}\r\n\r\n{body}\r\n--b--\r\n"
        )
    };
    server.deliver(
        DESK,
        "INBOX",
        with_file(
            "notes@mia",
            "mia@example.com",
            "notes.txt",
            "Allergic to lavender.",
        )
        .as_bytes(),
    );
    server.deliver(
        DESK,
        "INBOX",
        with_file("tool@x", "stranger@example.com", "tool.exe", "MZ").as_bytes(),
    );
    server.deliver(
        DESK,
        "INBOX",
        with_file("list@x", "stranger2@example.com", "list.txt", "a, b").as_bytes(),
    );
    sync_ok(&app, &owner, mailbox).await;
    let attachment_of =
        |view: &frontdesk::domain::inbox::ConversationView| view.messages[0].attachments[0].id;
    let notes = conversations::view(
        &app.deps,
        &owner,
        conversation_of(&app, mailbox, "notes@mia").await,
    )
    .await
    .unwrap();
    let saved = conversations::save_attachment(
        &app.deps,
        &owner,
        attachment_of(&notes),
        &Default::default(),
    )
    .await
    .unwrap();
    assert_eq!((saved.client_id, saved.name.as_str()), (mia, "notes.txt"));
    let files = frontdesk::services::files::list(&app.deps, &owner, mia)
        .await
        .unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].size_bytes, "Allergic to lavender.".len() as u64);

    // Mail of no client has nowhere to go; a type uploads refuse is refused here too.
    let unassigned = conversations::view(
        &app.deps,
        &owner,
        conversation_of(&app, mailbox, "list@x").await,
    )
    .await
    .unwrap();
    let refused = conversations::save_attachment(
        &app.deps,
        &owner,
        attachment_of(&unassigned),
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.status().as_u16(), 409, "{refused:?}");
    let tool = conversation_of(&app, mailbox, "tool@x").await;
    conversations::assign(&app.deps, &owner, tool, Some(mia), &Default::default())
        .await
        .unwrap();
    let tool = conversations::view(&app.deps, &owner, tool).await.unwrap();
    let refused = conversations::save_attachment(
        &app.deps,
        &owner,
        attachment_of(&tool),
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.status().as_u16(), 422, "{refused:?}");
    assert_eq!(
        frontdesk::services::files::list(&app.deps, &owner, mia)
            .await
            .unwrap()
            .len(),
        1
    );
    // Another business cannot reach the attachment.
    let other = crate::support::seed_business(&app, "Europe/Paris").await;
    let hidden = conversations::save_attachment(
        &app.deps,
        &other,
        attachment_of(&notes),
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(hidden.status().as_u16(), 404);

    // The saved file goes back out with a reply, kept with the message.
    let sent = frontdesk::services::inbox::send::reply(
        &app.deps,
        &owner,
        notes.summary.id,
        "Noted, thank you.",
        &[saved.id],
        &Default::default(),
    )
    .await
    .unwrap();
    let view = conversations::view(&app.deps, &owner, notes.summary.id)
        .await
        .unwrap();
    let reply = view.messages.iter().find(|m| m.id == sent).unwrap();
    assert_eq!(
        reply
            .attachments
            .iter()
            .map(|a| (a.file_name.as_str(), a.size_bytes))
            .collect::<Vec<_>>(),
        [("notes.txt", "Allergic to lavender.".len() as i64)]
    );
    let raw_key: String = sqlx::query_scalar("SELECT raw_key FROM mail_messages WHERE id = $1")
        .bind(sent)
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    let raw = String::from_utf8_lossy(&app.deps.storage.read(&raw_key).await.unwrap()).to_string();
    assert!(raw.contains("multipart/mixed"), "{raw}");
    assert!(raw.contains("notes.txt"), "{raw}");
    // A conversation of no client has no files to attach, and nothing is queued.
    let refused = frontdesk::services::inbox::send::reply(
        &app.deps,
        &owner,
        unassigned.summary.id,
        "Here you are.",
        &[saved.id],
        &Default::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.status().as_u16(), 422, "{refused:?}");
    let queued: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM mail_messages WHERE conversation_id = $1 AND direction = 'out'",
    )
    .bind(unassigned.summary.id)
    .fetch_one(&app.deps.pool)
    .await
    .unwrap();
    assert_eq!(queued, 0);
}

#[tokio::test]
async fn the_list_filters_by_unread_words_mailbox_and_state() {
    let (app, owner, server, mailbox) = setup().await;
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("f@one"),
            "one@example.com",
            "Invoice 17",
            "",
            "Please pay",
        ),
    );
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("f@two"),
            "two@example.com",
            "Parking",
            "",
            "Where can I park?",
        ),
    );
    sync_ok(&app, &owner, mailbox).await;
    let (one, two) = (
        conversation_of(&app, mailbox, "f@one").await,
        conversation_of(&app, mailbox, "f@two").await,
    );
    let ids = |filter: ConversationFilter| {
        let (deps, owner) = (app.deps.clone(), owner);
        async move {
            let mut found: Vec<Uuid> = conversations::list(&deps, &owner, &filter)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.id)
                .collect();
            found.sort();
            found
        }
    };
    let both = {
        let mut v = vec![one, two];
        v.sort();
        v
    };
    let unread = || ConversationFilter {
        unread: true,
        ..Default::default()
    };
    assert_eq!(ids(unread()).await, both);
    conversations::mark_read(&app.deps, &owner, one, true, &Default::default())
        .await
        .unwrap();
    assert_eq!(ids(unread()).await, [two]);
    let words = |q: &str| ConversationFilter {
        search: Some(q.into()),
        ..Default::default()
    };
    assert_eq!(ids(words("invoice 17")).await, [one]);
    assert_eq!(ids(words("PARK")).await, [two]);
    assert_eq!(ids(words("two@example")).await, [two]);
    assert!(ids(words("nothing like this")).await.is_empty());
    let in_mailbox = |m: Uuid| ConversationFilter {
        mailbox: Some(m),
        ..Default::default()
    };
    assert_eq!(ids(in_mailbox(mailbox)).await, both);
    assert!(ids(in_mailbox(Uuid::now_v7())).await.is_empty());
    // Archived: gone from the open list, under Archived, and in a client's whole history.
    conversations::archive(&app.deps, &owner, one, true, &Default::default())
        .await
        .unwrap();
    assert_eq!(ids(ConversationFilter::default()).await, [two]);
    assert_eq!(
        ids(ConversationFilter {
            archived: true,
            ..Default::default()
        })
        .await,
        [one]
    );
    assert_eq!(
        ids(ConversationFilter {
            any_state: true,
            ..Default::default()
        })
        .await,
        both
    );
}

#[tokio::test]
async fn read_and_unread_go_back_to_the_mail_server() {
    let (app, owner, server, mailbox) = setup_with(|c| {
        c.jobs.poll_interval = std::time::Duration::from_millis(50);
        crate::support::schedules(c, &[]);
    })
    .await;
    server.deliver(
        DESK,
        "INBOX",
        &mail(Some("s@one"), "one@example.com", "Seen?", "", "Hello"),
    );
    sync_ok(&app, &owner, mailbox).await;
    let conversation = conversation_of(&app, mailbox, "s@one").await;
    let uid: i64 = sqlx::query_scalar("SELECT uid FROM mail_messages WHERE message_id = 's@one'")
        .fetch_one(&app.deps.pool)
        .await
        .unwrap();
    let uid = uid as u32;
    assert!(!server.is_seen(DESK, "INBOX", uid));
    app.deps
        .clock
        .travel_to(chrono::Utc::now() + chrono::Duration::minutes(1));
    let background = frontdesk::services::jobs::start_background(&app.deps);
    let wait_for = |seen: bool| {
        let server = &server;
        async move {
            let started = std::time::Instant::now();
            while server.is_seen(DESK, "INBOX", uid) != seen {
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(20),
                    "the server's \\Seen did not become {seen}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    conversations::mark_read(&app.deps, &owner, conversation, true, &Default::default())
        .await
        .unwrap();
    wait_for(true).await;
    conversations::mark_read(&app.deps, &owner, conversation, false, &Default::default())
        .await
        .unwrap();
    wait_for(false).await;
    background.shutdown().await;
    // The next sync agrees with both sides: still unread, nothing changed.
    let stats = sync_ok(&app, &owner, mailbox).await;
    assert_eq!((stats.stored, stats.flags_changed), (0, 0), "{stats:?}");
}
