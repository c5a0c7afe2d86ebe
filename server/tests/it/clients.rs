//! Client records through the service: validation, duplicate warnings,
//! search and paging, archive, audit, permissions and tenant isolation.

use crate::support;

use frontdesk::{
    audit::Origin,
    domain::{records::ClientSort, roles::Role},
    error::AppError,
    services::clients::{self, ClientInput},
};
use support::{add_member, sign_up, staff_of, TestApp};
use uuid::Uuid;

fn input(name: &str, email: &str, phone: &str) -> ClientInput {
    ClientInput {
        name: name.into(),
        email: email.into(),
        phone: phone.into(),
        tags: vec!["VIP, new ".into()],
        ..Default::default()
    }
}

#[tokio::test]
async fn clients_are_validated_warned_about_duplicates_searched_and_archived() {
    let app = TestApp::spawn().await;
    let owner = staff_of(&sign_up(&app, "North Clinic", "owner@north.example").await).await;
    let (deps, origin) = (&app.deps, Origin::default());

    let err = clients::create(deps, &owner, &input(" ", "ann@", "call me"), &origin)
        .await
        .unwrap_err();
    let AppError::Invalid(fields) = err else {
        panic!("{err:?}")
    };
    for field in ["name", "email", "phone"] {
        assert!(fields.get(field).is_some(), "{field}: {fields}");
    }

    let ann = clients::create(
        deps,
        &owner,
        &input("Ann Lee", "ann@example.com", "+49 30 1234567"),
        &origin,
    )
    .await
    .unwrap();
    assert!(ann.same_email.is_empty());
    assert_eq!(ann.client.tags, ["new", "vip"]);
    let twin = clients::create(
        deps,
        &owner,
        &input("Ann L.", "ANN@example.com", ""),
        &origin,
    )
    .await
    .unwrap();
    assert_eq!(
        twin.same_email.len(),
        1,
        "the duplicate email is pointed out"
    );
    assert_eq!(twin.same_email[0].id, ann.client.id);

    for n in 0..60 {
        clients::create(
            deps,
            &owner,
            &input(&format!("Client {n:02}"), "", ""),
            &origin,
        )
        .await
        .unwrap();
    }
    let found = clients::list(deps, &owner, "1234567", None, false)
        .await
        .unwrap();
    assert_eq!(
        found
            .clients
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Ann Lee"]
    );
    let by_email = clients::list(deps, &owner, "EXAMPLE.com", None, false)
        .await
        .unwrap();
    assert_eq!(by_email.clients.len(), 2);
    let literal = clients::list(deps, &owner, "%", None, false).await.unwrap();
    assert!(
        literal.clients.is_empty(),
        "search text is literal, not a pattern"
    );

    let first = clients::list(deps, &owner, "", None, false).await.unwrap();
    assert_eq!(first.clients.len(), 50);
    let second = clients::list(deps, &owner, "", first.next.as_deref(), false)
        .await
        .unwrap();
    assert_eq!(second.clients.len(), 12);
    assert!(second.next.is_none());
    assert!(first.clients.iter().all(|c| !second.clients.contains(c)));
    let bad = clients::list(deps, &owner, "", Some("garbage"), false)
        .await
        .unwrap_err();
    assert!(matches!(bad, AppError::Invalid(_)), "{bad:?}");

    let updated = clients::update(
        deps,
        &owner,
        ann.client.id,
        &input("Ann Lee-Smith", "ann@example.com", ""),
        &origin,
    )
    .await
    .unwrap();
    assert_eq!(updated.client.name, "Ann Lee-Smith");
    clients::archive(deps, &owner, ann.client.id, &origin)
        .await
        .unwrap();
    let active = clients::list(deps, &owner, "Lee", None, false)
        .await
        .unwrap();
    assert!(active.clients.is_empty());
    let archived = clients::list(deps, &owner, "Lee", None, true)
        .await
        .unwrap();
    assert_eq!(archived.clients.len(), 1);
    assert!(archived.clients[0].archived);

    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY id")
            .bind(ann.client.id)
            .fetch_all(&deps.pool)
            .await
            .unwrap();
    assert_eq!(
        actions,
        ["client.created", "client.updated", "client.archived"]
    );
}

#[tokio::test]
async fn readers_look_and_other_tenants_see_nothing() {
    let app = TestApp::spawn().await;
    let north = sign_up(&app, "North Clinic", "owner@north.example").await;
    let owner = staff_of(&north).await;
    let reader = staff_of(&add_member(&app, &north, "reader@north.example", "reader").await).await;
    assert_eq!(reader.role, Role::Reader);
    let south = staff_of(&sign_up(&app, "South Salon", "owner@south.example").await).await;
    let (deps, origin) = (&app.deps, Origin::default());
    let ann = clients::create(deps, &owner, &input("Ann", "", ""), &origin)
        .await
        .unwrap()
        .client;

    assert!(matches!(
        clients::create(deps, &reader, &input("Bob", "", ""), &origin).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        clients::archive(deps, &reader, ann.id, &origin).await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(
        clients::get(deps, &reader, ann.id).await.unwrap().name,
        "Ann"
    );

    assert!(matches!(
        clients::get(deps, &south, ann.id).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        clients::update(deps, &south, ann.id, &input("Mallory", "", ""), &origin).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        clients::archive(deps, &south, ann.id, &origin).await,
        Err(AppError::NotFound(_))
    ));
    assert!(clients::list(deps, &south, "", None, false)
        .await
        .unwrap()
        .clients
        .is_empty());
    assert_eq!(
        clients::get(deps, &owner, ann.id).await.unwrap().name,
        "Ann",
        "unchanged"
    );
}

#[tokio::test]
async fn newest_first_pages_by_creation_and_refuses_a_marker_of_the_other_order() {
    let app = TestApp::spawn().await;
    let owner = staff_of(&sign_up(&app, "North Clinic", "owner@north.example").await).await;
    let (deps, origin) = (&app.deps, Origin::default());
    let mut made = Vec::new();
    for n in 0..(clients::PAGE + 5) {
        let saved = clients::create(
            deps,
            &owner,
            &ClientInput {
                name: format!("Client {:03}", (n * 37) % 100),
                ..Default::default()
            },
            &origin,
        )
        .await
        .unwrap();
        made.push(saved.client.id);
    }
    let first = clients::list_sorted(deps, &owner, "", None, false, ClientSort::Newest)
        .await
        .unwrap();
    let newest: Vec<Uuid> = made.iter().rev().copied().collect();
    let ids: Vec<Uuid> = first.clients.iter().map(|c| c.id).collect();
    assert_eq!(ids, newest[..clients::PAGE as usize]);
    let second = clients::list_sorted(
        deps,
        &owner,
        "",
        first.next.as_deref(),
        false,
        ClientSort::Newest,
    )
    .await
    .unwrap();
    let ids: Vec<Uuid> = second.clients.iter().map(|c| c.id).collect();
    assert_eq!(ids, newest[clients::PAGE as usize..]);
    assert_eq!(second.next, None);
    // A marker from the name order is not one of this order.
    let by_name = clients::list(deps, &owner, "", None, false).await.unwrap();
    let err = clients::list_sorted(
        deps,
        &owner,
        "",
        by_name.next.as_deref(),
        false,
        ClientSort::Newest,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AppError::Invalid(_)), "{err:?}");
}

#[tokio::test]
async fn a_phone_number_finds_its_client_however_it_is_typed() {
    let app = TestApp::spawn().await;
    let owner = staff_of(&sign_up(&app, "North Clinic", "owner@north.example").await).await;
    let (deps, origin) = (&app.deps, Origin::default());
    let mia = input("Mia Novak", "", "+49 30 3106454");
    let kai = input("Kai Berg", "", "030 3106999");
    let other = input("Ola Nordmann", "", "+47 22 3106454");
    for client in [&mia, &kai, &other] {
        clients::create(deps, &owner, client, &origin)
            .await
            .unwrap();
    }
    let names = |page: frontdesk::domain::views::ClientPage| {
        page.clients.into_iter().map(|c| c.name).collect::<Vec<_>>()
    };

    for typed in ["+49303106454", "030 3106454", "0049 30 310-6454"] {
        let found = clients::list(deps, &owner, typed, None, false)
            .await
            .unwrap();
        assert_eq!(names(found), ["Mia Novak"], "typed {typed}");
    }
    // The last digits alone find everyone whose number ends that way.
    let found = clients::list(deps, &owner, "3106454", None, false)
        .await
        .unwrap();
    assert_eq!(names(found), ["Mia Novak", "Ola Nordmann"]);
    // Stored without the country code, found with it.
    let found = clients::list(deps, &owner, "+49 30 3106999", None, false)
        .await
        .unwrap();
    assert_eq!(names(found), ["Kai Berg"]);
    // Newest first searches the same way.
    let found = clients::list_sorted(
        deps,
        &owner,
        "+49303106454",
        None,
        false,
        ClientSort::Newest,
    )
    .await
    .unwrap();
    assert_eq!(names(found), ["Mia Novak"]);
    // Letters are a name search, not digits.
    let found = clients::list(deps, &owner, "Kai", None, false)
        .await
        .unwrap();
    assert_eq!(names(found), ["Kai Berg"]);
}

#[tokio::test]
async fn an_archived_client_can_be_restored_by_those_who_may_archive() {
    let app = TestApp::spawn().await;
    let north = sign_up(&app, "North Clinic", "owner@north.example").await;
    let owner = staff_of(&north).await;
    let reader = staff_of(&add_member(&app, &north, "reader@north.example", "reader").await).await;
    let south = staff_of(&sign_up(&app, "South Salon", "owner@south.example").await).await;
    let (deps, origin) = (&app.deps, Origin::default());
    let ann = clients::create(deps, &owner, &input("Ann Lee", "", ""), &origin)
        .await
        .unwrap()
        .client;
    let listed = |archived| async move {
        clients::list(deps, &owner, "Lee", None, archived)
            .await
            .unwrap()
            .clients
            .into_iter()
            .map(|c| (c.name, c.archived))
            .collect::<Vec<_>>()
    };

    let not_archived = clients::restore(deps, &owner, ann.id, &origin)
        .await
        .unwrap_err();
    assert!(
        matches!(&not_archived, AppError::NotFound(m) if m == "no such archived client"),
        "{not_archived:?}"
    );
    clients::archive(deps, &owner, ann.id, &origin)
        .await
        .unwrap();
    assert_eq!(listed(false).await, []);
    assert_eq!(listed(true).await, [("Ann Lee".to_string(), true)]);

    // Readers may not, other businesses cannot see it.
    assert!(matches!(
        clients::restore(deps, &reader, ann.id, &origin).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        clients::restore(deps, &south, ann.id, &origin).await,
        Err(AppError::NotFound(_))
    ));
    assert!(clients::get(deps, &owner, ann.id).await.unwrap().archived);

    clients::restore(deps, &owner, ann.id, &origin)
        .await
        .unwrap();
    assert_eq!(listed(false).await, [("Ann Lee".to_string(), false)]);
    assert_eq!(listed(true).await, []);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE entity_id = $1 ORDER BY id")
            .bind(ann.id)
            .fetch_all(&deps.pool)
            .await
            .unwrap();
    assert_eq!(
        actions,
        ["client.created", "client.archived", "client.restored"]
    );
}
