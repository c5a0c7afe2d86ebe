//! Staff correcting the threading against a real IMAP server: merging two
//! conversations of one mailbox, splitting a reply off, and new mail that
//! respects the split instead of joining the parts again.

use frontdesk::{
    domain::inbox::MailboxInput,
    services::inbox::{conversations, mailboxes, regroup},
};
use uuid::Uuid;

use crate::{
    inbox_sync::{conversation_of, input, mail, setup, sync_ok, DESK, PASSWORD},
    support::{seed_business, TestApp},
};

const LENA: &str = "Lena Berg <lena@example.com>";

async fn message_ids(app: &TestApp, conversation: Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT message_id FROM mail_messages WHERE conversation_id = $1 ORDER BY message_id",
    )
    .bind(conversation)
    .fetch_all(&app.deps.pool)
    .await
    .unwrap()
}

async fn audited(app: &TestApp, action: &str, entity: Uuid) -> serde_json::Value {
    sqlx::query_scalar("SELECT changes FROM audit_log WHERE action = $1 AND entity_id = $2")
        .bind(action)
        .bind(entity)
        .fetch_one(&app.deps.pool)
        .await
        .unwrap_or_else(|e| panic!("{action} on {entity} is audited: {e}"))
}

#[tokio::test]
async fn staff_merge_and_split_conversations_and_new_mail_keeps_the_split() {
    let (app, owner, server, mailbox) = setup().await;
    let origin = Default::default();
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("a@lena"),
            LENA,
            "Prices",
            "",
            "What does a check-up cost?",
        ),
    );
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("b@lena"),
            LENA,
            "Re: Prices",
            "In-Reply-To: <a@lena>\r\nReferences: <a@lena>\r\n",
            "And can I park?",
        ),
    );
    server.deliver(
        DESK,
        "INBOX",
        &mail(Some("c@lena"), LENA, "Parking", "", "Where do I park?"),
    );
    sync_ok(&app, &owner, mailbox).await;
    let prices = conversation_of(&app, mailbox, "a@lena").await;
    let parking = conversation_of(&app, mailbox, "c@lena").await;
    assert_eq!(conversation_of(&app, mailbox, "b@lena").await, prices);
    assert_ne!(prices, parking);

    // Splitting needs something left behind.
    let alone = message_of(&app, mailbox, "c@lena").await;
    let refused = regroup::split(&app.deps, &owner, alone, &origin)
        .await
        .unwrap_err();
    assert_eq!(refused.status().as_u16(), 409, "{refused:?}");
    assert!(
        refused.to_string().contains("whole conversation"),
        "{refused}"
    );
    let first = message_of(&app, mailbox, "a@lena").await;
    let refused = regroup::split(&app.deps, &owner, first, &origin)
        .await
        .unwrap_err();
    assert_eq!(refused.status().as_u16(), 409, "{refused:?}");
    assert!(
        refused.to_string().contains("answers this one"),
        "{refused}"
    );

    // Merge: the other conversation of the same correspondent is offered, and taken in.
    let choices = regroup::merge_choices(&app.deps, &owner, parking)
        .await
        .unwrap();
    assert_eq!(
        choices.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![prices]
    );
    assert_eq!(choices[0].messages, 2);
    let itself = regroup::merge(&app.deps, &owner, parking, parking, &origin)
        .await
        .unwrap_err();
    assert_eq!(itself.status().as_u16(), 422, "{itself:?}");
    regroup::merge(&app.deps, &owner, parking, prices, &origin)
        .await
        .unwrap();
    assert_eq!(
        message_ids(&app, prices).await,
        ["a@lena", "b@lena", "c@lena"]
    );
    let gone = conversations::view(&app.deps, &owner, parking)
        .await
        .unwrap_err();
    assert_eq!(gone.status().as_u16(), 404);
    let merged = audited(&app, "conversation.merge", prices).await;
    assert_eq!(merged["merged"]["new"], parking.to_string(), "{merged}");
    assert_eq!(merged["messages"]["new"], 1, "{merged}");

    // Split the reply off: it becomes a conversation of its own, Lena's too.
    let reply = message_of(&app, mailbox, "b@lena").await;
    let split = regroup::split(&app.deps, &owner, reply, &origin)
        .await
        .unwrap();
    assert_eq!(message_ids(&app, split).await, ["b@lena"]);
    assert_eq!(message_ids(&app, prices).await, ["a@lena", "c@lena"]);
    let view = conversations::view(&app.deps, &owner, split).await.unwrap();
    assert_eq!(view.summary.subject, "Re: Prices");
    assert_eq!(view.summary.correspondent, "lena@example.com");
    let recorded = audited(&app, "conversation.split", split).await;
    assert_eq!(
        recorded["split_from"]["new"],
        prices.to_string(),
        "{recorded}"
    );

    // A reply to the split-off message names both in its References: it
    // joins the one it answers, and the two parts stay apart.
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("d@lena"),
            LENA,
            "Re: Prices",
            "In-Reply-To: <b@lena>\r\nReferences: <a@lena> <b@lena>\r\n",
            "Thanks!",
        ),
    );
    // And one to the first message stays with it.
    server.deliver(
        DESK,
        "INBOX",
        &mail(
            Some("e@lena"),
            LENA,
            "Re: Prices",
            "In-Reply-To: <a@lena>\r\nReferences: <a@lena>\r\n",
            "One more question",
        ),
    );
    sync_ok(&app, &owner, mailbox).await;
    assert_eq!(message_ids(&app, split).await, ["b@lena", "d@lena"]);
    assert_eq!(
        message_ids(&app, prices).await,
        ["a@lena", "c@lena", "e@lena"]
    );

    // Another business can do neither.
    let other = seed_business(&app, "Europe/Paris").await;
    let refused = regroup::split(&app.deps, &other, reply, &origin)
        .await
        .unwrap_err();
    assert_eq!(refused.status().as_u16(), 404);
    let refused = regroup::merge(&app.deps, &other, split, prices, &origin)
        .await
        .unwrap_err();
    assert_eq!(refused.status().as_u16(), 404);
    assert!(regroup::merge_choices(&app.deps, &other, prices)
        .await
        .unwrap()
        .is_empty());

    // Conversations of two mailboxes stay in their own.
    let second = mailboxes::create(
        &app.deps,
        &owner,
        &MailboxInput {
            name: "Second desk".into(),
            from_address: "second@example.com".into(),
            ..input(&server, PASSWORD)
        },
        &origin,
    )
    .await
    .unwrap()
    .id;
    sync_ok(&app, &owner, second).await;
    let elsewhere = conversation_of(&app, second, "c@lena").await;
    let refused = regroup::merge(&app.deps, &owner, elsewhere, prices, &origin)
        .await
        .unwrap_err();
    assert_eq!(refused.status().as_u16(), 422, "{refused:?}");
    assert!(
        refused.to_string().contains("one mailbox")
            || format!("{refused:?}").contains("one mailbox"),
        "{refused:?}"
    );
    assert_eq!(
        message_ids(&app, prices).await,
        ["a@lena", "c@lena", "e@lena"]
    );
}

async fn message_of(app: &TestApp, mailbox: Uuid, message_id: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM mail_messages WHERE mailbox_id = $1 AND message_id = $2")
        .bind(mailbox)
        .bind(message_id)
        .fetch_one(&app.deps.pool)
        .await
        .unwrap()
}
