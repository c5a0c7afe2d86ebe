//! The outbox of changes: written in the change's transaction, read by the
//! listeners and by streams that replay what a browser missed.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::Event;
use crate::domain::live::{Change, Topic};

/// The channel the listeners LISTEN on; PostgreSQL delivers on commit.
pub const CHANNEL: &str = "frontdesk_changes";

/// The largest notification that carries its rows (NOTIFY allows 8000 bytes).
const PAYLOAD_LIMIT: i32 = 7900;

/// Held from the write to the commit, so ids follow commit order.
const ORDER_LOCK: i64 = 0x6672_6f6e_7464_6c76;

/// Records `changes` (each with its business) and notifies, in the
/// transaction `conn` is in. Call it last before committing: it holds the
/// order lock until then.
pub(crate) async fn write(
    conn: &mut PgConnection,
    changes: &[(Uuid, Change)],
) -> Result<(), sqlx::Error> {
    if changes.is_empty() {
        return Ok(());
    }
    let tenants: Vec<Uuid> = changes.iter().map(|(t, _)| *t).collect();
    let changes: Vec<&Change> = changes.iter().map(|(_, c)| c).collect();
    let topics: Vec<&str> = changes.iter().map(|c| c.topic.as_str()).collect();
    let ids: Vec<Option<Uuid>> = changes.iter().map(|c| c.id).collect();
    let actions: Vec<&str> = changes.iter().map(|c| c.action.as_str()).collect();
    // One round trip: the lock (the insert's rows wait for it, so their ids
    // are drawn under it), the rows, and the notification sent on commit.
    // The notification carries the rows when they fit (NOTIFY's limit is
    // 8000 bytes), so listeners need not read them back.
    sqlx::query!(
        "WITH locked AS (SELECT pg_advisory_xact_lock($5)),
              added AS (
                  INSERT INTO change_events (tenant_id, topic, record_id, action)
                  SELECT b, t, r, a
                  FROM locked, unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[]) AS x(b, t, r, a)
                  RETURNING id, tenant_id, topic, record_id, action),
              rows AS (
                  SELECT json_agg(json_build_array(id, tenant_id, topic, record_id, action) ORDER BY id)::text AS p
                  FROM added)
         SELECT pg_notify($6, CASE WHEN octet_length(p) <= $7 THEN p ELSE '' END) FROM rows",
        &tenants,
        &topics as &[&str],
        &ids as &[Option<Uuid>],
        &actions as &[&str],
        ORDER_LOCK,
        CHANNEL,
        PAYLOAD_LIMIT,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The rows a notification carries, oldest first; `None` when it carries
/// none (too many to fit, or sent by hand) and they must be read.
pub fn carried(payload: &str) -> Option<Vec<Event>> {
    type Carried = (i64, Uuid, String, Option<Uuid>, String);
    let rows: Vec<Carried> = serde_json::from_str(payload).ok()?;
    rows.into_iter()
        .map(|(id, tenant_id, topic, record_id, action)| {
            Row {
                id,
                tenant_id,
                topic,
                record_id,
                action,
            }
            .into_event()
        })
        .collect()
}

struct Row {
    id: i64,
    tenant_id: Uuid,
    topic: String,
    record_id: Option<Uuid>,
    action: String,
}

impl Row {
    fn into_event(self) -> Option<Event> {
        Some(Event {
            id: self.id,
            tenant: self.tenant_id,
            change: Change {
                topic: Topic::parse(&self.topic)?,
                id: self.record_id,
                action: self.action,
            },
        })
    }
}

/// The events after `after`, in every business, oldest first, at most `limit`.
pub async fn after(pool: &PgPool, after: i64, limit: i64) -> Result<Vec<Event>, sqlx::Error> {
    let mut tx = crate::db::begin_system(pool, "live updates").await?;
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, tenant_id, topic, record_id, action FROM change_events
         WHERE id > $1 ORDER BY id LIMIT $2",
        after,
        limit
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().filter_map(Row::into_event).collect())
}

/// The newest event's id (0 when there is none).
pub async fn latest(pool: &PgPool) -> Result<i64, sqlx::Error> {
    let mut tx = crate::db::begin_system(pool, "live updates").await?;
    let id = sqlx::query_scalar!(r#"SELECT coalesce(max(id), 0) AS "id!" FROM change_events"#)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// What a browser that last saw event `last` of `tenant` missed.
#[derive(Debug, PartialEq, Eq)]
pub enum Missed {
    /// Exactly these, oldest first.
    These(Vec<Event>),
    /// More than can be replayed, or some were cleaned away: reload.
    TooMany,
}

/// The events of `tenant` after `last`, when at most `limit` and none of
/// them cleaned away yet.
pub async fn missed(
    pool: &PgPool,
    tenant: Uuid,
    last: i64,
    limit: i64,
) -> Result<Missed, sqlx::Error> {
    let mut tx = crate::db::begin_system(pool, "live updates").await?;
    // Every event up to `last` still kept means nothing after it is gone.
    let kept = sqlx::query!(
        r#"SELECT min(id) AS oldest, coalesce(max(id), 0) AS "newest!" FROM change_events"#
    )
    .fetch_one(&mut *tx)
    .await?;
    let (oldest, newest) = (kept.oldest, kept.newest);
    if last > newest || (last < newest && oldest.is_none_or(|oldest| oldest > last + 1)) {
        tx.commit().await?;
        return Ok(Missed::TooMany);
    }
    let rows = sqlx::query_as!(
        Row,
        "SELECT id, tenant_id, topic, record_id, action FROM change_events
         WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        tenant,
        last,
        limit + 1
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    if rows.len() as i64 > limit {
        return Ok(Missed::TooMany);
    }
    Ok(Missed::These(
        rows.into_iter().filter_map(Row::into_event).collect(),
    ))
}

/// Deletes events older than `days` (the cleanup schedule).
pub(crate) async fn clean(conn: &mut PgConnection, days: i32) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM change_events WHERE created_at < now() - make_interval(days => $1)",
        days
    )
    .execute(conn)
    .await?
    .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_carries_its_rows_or_says_to_read_them() {
        let tenant = Uuid::now_v7();
        let record = Uuid::now_v7();
        let payload = format!(
            r#"[[7,"{tenant}","appointments","{record}","appointment.booked"],[8,"{tenant}","team",null,"member.remove"]]"#
        );
        let events = carried(&payload).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].id, 7);
        assert_eq!(events[0].change.topic, Topic::Appointments);
        assert_eq!(events[0].change.id, Some(record));
        assert_eq!(events[1].change.id, None);
        assert_eq!(carried(""), None);
        // A kind this build does not know: read from the table instead.
        let unknown = format!(r#"[[9,"{tenant}","weather",null,"rain"]]"#);
        assert_eq!(carried(&unknown), None);
    }
}
