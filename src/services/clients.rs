//! Client records: create, change, archive, find.

use sqlx::PgConnection;
use uuid::Uuid;

use super::Deps;
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    cache::{Entity, Namespace},
    domain::{
        account::{DisplayName, Email},
        form::FieldErrors,
        records::{phone_query, ClientSort, Phone},
        roles::{Action, Permission, RecordKind},
        views::{ClientPage, ClientView, SavedClient},
    },
    error::AppError,
};

pub const PAGE: i64 = 50;

#[derive(Debug, Clone, Default)]
pub struct ClientInput {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub email_reminders: bool,
}

struct Parsed {
    name: String,
    email: Option<String>,
    phone: Option<String>,
    notes: String,
    tags: Vec<String>,
}

fn parse(input: &ClientInput) -> Result<Parsed, AppError> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", DisplayName::parse(&input.name));
    let email = match input.email.trim() {
        "" => Some(None),
        text => errors
            .check("email", Email::parse(text))
            .map(|e| Some(e.as_str().to_string())),
    };
    let phone = match input.phone.trim() {
        "" => Some(None),
        text => errors
            .check("phone", Phone::parse(text))
            .map(|p| Some(p.as_str().to_string())),
    };
    if input.notes.chars().count() > 10_000 {
        errors.add("notes", "notes have at most 10000 characters");
    }
    let mut tags: Vec<String> = input
        .tags
        .iter()
        .flat_map(|t| t.split(','))
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    tags.sort();
    tags.dedup();
    // Counted as sent too: the API's schema allows at most 20 items.
    if input.tags.len() > 20 || tags.iter().any(|t| t.chars().count() > 40) || tags.len() > 20 {
        errors.add("tags", "at most 20 tags of at most 40 characters each");
    }
    match (name, email, phone) {
        (Some(name), Some(email), Some(phone)) if errors.is_empty() => Ok(Parsed {
            name: name.as_str().to_string(),
            email,
            phone,
            notes: input.notes.clone(),
            tags,
        }),
        _ => Err(AppError::Invalid(errors)),
    }
}

async fn same_email(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    email: Option<&str>,
) -> Result<Vec<ClientView>, AppError> {
    let Some(email) = email else {
        return Ok(Vec::new());
    };
    Ok(sqlx::query_as!(
        ClientView,
        r#"SELECT id, name, email::text AS email, phone, notes, tags, email_reminders,
                  archived_at IS NOT NULL AS "archived!"
           FROM clients WHERE tenant_id = $1 AND email = $2::text::citext AND id <> $3 ORDER BY name"#,
        tenant,
        email,
        id,
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Creates a client; warns (does not refuse) when the email is already used.
pub async fn create(
    deps: &Deps,
    who: &impl Principal,
    input: &ClientInput,
    origin: &Origin,
) -> Result<SavedClient, AppError> {
    who.require(Permission::Record(RecordKind::Client, Action::Create))?;
    let parsed = parse(input)?;
    let id = Uuid::now_v7();
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Client, Action::Create),
            origin,
        )
        .await?;
    let client = sqlx::query_as!(
        ClientView,
        r#"INSERT INTO clients (id, tenant_id, name, email, phone, notes, tags, email_reminders)
           VALUES ($1, $2, $3, $4::text::citext, $5, $6, $7, $8)
           RETURNING id, name, email::text AS email, phone, notes, tags, email_reminders,
                  archived_at IS NOT NULL AS "archived!""#,
        id,
        who.tenant_id(),
        &parsed.name,
        parsed.email.as_deref(),
        parsed.phone.as_deref(),
        &parsed.notes,
        &parsed.tags,
        input.email_reminders,
    )
    .fetch_one(tx.conn())
    .await?;
    let same = same_email(tx.conn(), who.tenant_id(), id, parsed.email.as_deref()).await?;
    tx.audit(Entry {
        action: "client.created",
        entity_type: "client",
        entity_id: Some(id),
        changes: Changes::new()
            .field("name", None, Some(&parsed.name))
            .field("email", None, parsed.email.as_ref())
            .field("phone", None, parsed.phone.as_ref()),
    })
    .await?;
    tx.changed(Entity::Clients);
    tx.commit().await?;
    Ok(SavedClient {
        client,
        same_email: same,
    })
}

pub async fn update(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    input: &ClientInput,
    origin: &Origin,
) -> Result<SavedClient, AppError> {
    who.require(Permission::Record(RecordKind::Client, Action::Update))?;
    let parsed = parse(input)?;
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Client, Action::Update),
            origin,
        )
        .await?;
    let old = sqlx::query_as!(
        ClientView,
        r#"SELECT id, name, email::text AS email, phone, notes, tags, email_reminders,
                  archived_at IS NOT NULL AS "archived!"
           FROM clients WHERE id = $1 AND tenant_id = $2 FOR UPDATE"#,
        id,
        who.tenant_id(),
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::NotFound("no such client".into()))?;
    let client = sqlx::query_as!(
        ClientView,
        r#"UPDATE clients SET name = $3, email = $4::text::citext, phone = $5, notes = $6, tags = $7,
                  email_reminders = $8, updated_at = now()
           WHERE id = $1 AND tenant_id = $2
           RETURNING id, name, email::text AS email, phone, notes, tags, email_reminders,
                  archived_at IS NOT NULL AS "archived!""#,
        id,
        who.tenant_id(),
        &parsed.name,
        parsed.email.as_deref(),
        parsed.phone.as_deref(),
        &parsed.notes,
        &parsed.tags,
        input.email_reminders,
    )
    .fetch_one(tx.conn())
    .await?;
    let same = same_email(tx.conn(), who.tenant_id(), id, parsed.email.as_deref()).await?;
    let changes = Changes::new()
        .field("name", Some(&old.name), Some(&parsed.name))
        .field("email", old.email.as_ref(), parsed.email.as_ref())
        .field("phone", old.phone.as_ref(), parsed.phone.as_ref())
        .field("notes", Some(&old.notes), Some(&parsed.notes))
        .field("tags", Some(&old.tags), Some(&parsed.tags))
        .field(
            "email_reminders",
            Some(old.email_reminders),
            Some(input.email_reminders),
        );
    tx.audit(Entry {
        action: "client.updated",
        entity_type: "client",
        entity_id: Some(id),
        changes,
    })
    .await?;
    tx.changed(Entity::Clients);
    tx.commit().await?;
    Ok(SavedClient {
        client,
        same_email: same,
    })
}

/// Archives instead of deleting: the client's history stays.
pub async fn archive(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    set_archived(deps, who, id, true, origin).await
}

/// Brings an archived client back into search and booking.
pub async fn restore(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    set_archived(deps, who, id, false, origin).await
}

async fn set_archived(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    archived: bool,
    origin: &Origin,
) -> Result<(), AppError> {
    let mut tx = deps
        .work(
            who,
            Permission::Record(RecordKind::Client, Action::Delete),
            origin,
        )
        .await?;
    let done = sqlx::query!(
        "UPDATE clients SET archived_at = CASE WHEN $3 THEN now() END \
         WHERE id = $1 AND tenant_id = $2 AND (archived_at IS NULL) = $3",
        id,
        who.tenant_id(),
        archived,
    )
    .execute(tx.conn())
    .await?
    .rows_affected();
    if done == 0 {
        return Err(AppError::NotFound(
            if archived {
                "no such active client"
            } else {
                "no such archived client"
            }
            .into(),
        ));
    }
    tx.audit(Entry {
        action: if archived {
            "client.archived"
        } else {
            "client.restored"
        },
        entity_type: "client",
        entity_id: Some(id),
        changes: Changes::new(),
    })
    .await?;
    tx.changed(Entity::Clients);
    tx.commit().await?;
    Ok(())
}

pub async fn get(deps: &Deps, who: &impl Principal, id: Uuid) -> Result<ClientView, AppError> {
    let mut tx = deps
        .read(who, Permission::Record(RecordKind::Client, Action::Read))
        .await?;
    let client = sqlx::query_as!(
        ClientView,
        r#"SELECT id, name, email::text AS email, phone, notes, tags, email_reminders,
                  archived_at IS NOT NULL AS "archived!"
           FROM clients WHERE id = $1 AND tenant_id = $2"#,
        id,
        who.tenant_id(),
    )
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    client.ok_or_else(|| AppError::NotFound("no such client".into()))
}

/// Clients in name order, matching `query` anywhere in name, email or phone.
/// `after` is the `next` of the previous page.
pub async fn list(
    deps: &Deps,
    who: &impl Principal,
    query: &str,
    after: Option<&str>,
    archived: bool,
) -> Result<ClientPage, AppError> {
    list_sorted(deps, who, query, after, archived, ClientSort::Name).await
}

/// Clients matching `query`, in `sort` order, a page at a time.
pub async fn list_sorted(
    deps: &Deps,
    who: &impl Principal,
    query: &str,
    after: Option<&str>,
    archived: bool,
    sort: ClientSort,
) -> Result<ClientPage, AppError> {
    who.require(Permission::Record(RecordKind::Client, Action::Read))?;
    let bad_cursor = || {
        AppError::field(
            "after",
            "this page marker is not valid; start from the first page",
        )
    };
    let after = after.filter(|a| !a.is_empty());
    // By name the marker is the last name and id; newest first, the last id
    // (UUIDv7 ids grow with creation time).
    let (by_name, by_id) = match (sort, after) {
        (_, None) => (None, None),
        (ClientSort::Name, Some(text)) => (Some(decode_cursor(text).ok_or_else(bad_cursor)?), None),
        (ClientSort::Newest, Some(text)) => {
            (None, Some(Uuid::parse_str(text).map_err(|_| bad_cursor())?))
        }
    };
    let pattern = format!("%{}%", escape_like(&query.trim().to_lowercase()));
    // A number finds its client however it was typed (see `phone_matches`).
    let phone = phone_query(query);
    let tenant = who.tenant_id();
    let params = format!(
        "{sort:?}:{archived}:{}:{pattern}",
        after.unwrap_or_default()
    );
    let read = Permission::Record(RecordKind::Client, Action::Read);
    deps.read_cached(who, read, Namespace::Clients, &params, |mut tx| async move {
            let (after_name, after_id) = (by_name.as_ref().map(|c| c.0.clone()), by_name.as_ref().map(|c| c.1));
            // One query per order, so that each can use its index.
            let rows = match sort {
                ClientSort::Name => sqlx::query_as!(
                    ClientView,
                    r#"SELECT id, name, email::text AS email, phone, notes, tags, email_reminders,
                  archived_at IS NOT NULL AS "archived!"
                       FROM clients WHERE tenant_id = $1 AND (archived_at IS NOT NULL) = $2
                         AND ($3 = '%%' OR (lower(name) || ' ' || coalesce(lower(email::text), '') || ' ' || coalesce(phone, '')) LIKE $3
                              OR ($7::text IS NOT NULL AND (phone_digits LIKE '%' || $7 || '%'
                                  OR (length(phone_digits) >= 6 AND $7 LIKE '%' || phone_digits))))
                         AND ($4::text IS NULL OR (lower(name), id) > ($4, $5))
                       ORDER BY lower(name), id LIMIT $6"#,
                    tenant,
                    archived,
                    &pattern,
                    after_name,
                    after_id,
                    PAGE + 1,
                    phone.as_deref(),
                )
                .fetch_all(tx.conn())
                .await?,
                ClientSort::Newest => sqlx::query_as!(
                    ClientView,
                    r#"SELECT id, name, email::text AS email, phone, notes, tags, email_reminders,
                  archived_at IS NOT NULL AS "archived!"
                       FROM clients WHERE tenant_id = $1 AND (archived_at IS NOT NULL) = $2
                         AND ($3 = '%%' OR (lower(name) || ' ' || coalesce(lower(email::text), '') || ' ' || coalesce(phone, '')) LIKE $3
                              OR ($6::text IS NOT NULL AND (phone_digits LIKE '%' || $6 || '%'
                                  OR (length(phone_digits) >= 6 AND $6 LIKE '%' || phone_digits))))
                         AND ($4::uuid IS NULL OR id < $4)
                       ORDER BY id DESC LIMIT $5"#,
                    tenant,
                    archived,
                    &pattern,
                    by_id,
                    PAGE + 1,
                    phone.as_deref(),
                )
                .fetch_all(tx.conn())
                .await?,
            };
            let more = rows.len() as i64 > PAGE;
            let clients: Vec<ClientView> = rows.into_iter().take(PAGE as usize).collect();
            let next = more
                .then(|| {
                    clients.last().map(|c| match sort {
                        ClientSort::Name => encode_cursor(&c.name.to_lowercase(), c.id),
                        ClientSort::Newest => c.id.simple().to_string(),
                    })
                })
                .flatten();
            Ok(ClientPage { clients, next })
        })
        .await
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn encode_cursor(name: &str, id: Uuid) -> String {
    format!("{}.{}", hex::encode(name.as_bytes()), id.simple())
}

fn decode_cursor(text: &str) -> Option<(String, Uuid)> {
    let (name, id) = text.rsplit_once('.')?;
    let name = String::from_utf8(hex::decode(name).ok()?).ok()?;
    Some((name, Uuid::parse_str(id).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::now_v7();
        assert_eq!(
            decode_cursor(&encode_cursor("zoë o'neil", id)),
            Some(("zoë o'neil".to_string(), id))
        );
        assert_eq!(decode_cursor("nonsense"), None);
        assert_eq!(decode_cursor("zz.123"), None);
        assert_eq!(escape_like("50%_a\\"), "50\\%\\_a\\\\");
    }
}
