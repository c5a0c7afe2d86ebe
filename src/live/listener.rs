//! One listener per instance: each notification carries the new outbox
//! rows (or, when they did not fit, says to read them); they go to the hub
//! in order, and a gap before them is read from the table first.
//!
//! Before the hub hears of a change, the cached values it may have made
//! stale are dropped. The writer drops them too, but only after its commit,
//! and PostgreSQL notifies on commit: a page that reloads on hearing of the
//! change could otherwise be served what was cached before it.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use sqlx::{postgres::PgListener, PgPool};
use uuid::Uuid;

use super::{outbox, Event, Hub, Signal};
use crate::cache::{Cache, Entity};

/// Rows read per query; more are read in the next round at once.
const BATCH: i64 = 500;

/// Runs until the task is aborted. Reconnects with backoff; every
/// reconnection after the first sends [`Signal::Resync`], because what was
/// committed while no one listened is not delivered.
pub async fn listen(pool: PgPool, hub: Hub, cache: Cache) {
    let mut delay = Duration::from_millis(200);
    let mut connected_before = false;
    loop {
        match connect(&pool).await {
            Ok((mut listener, mut cursor)) => {
                delay = Duration::from_millis(200);
                if connected_before {
                    tracing::info!("live updates: listening again; open pages resync");
                    hub.send(Signal::Resync);
                }
                connected_before = true;
                match follow(&pool, &hub, &cache, &mut listener, &mut cursor).await {
                    // The instance is shutting down.
                    Err(sqlx::Error::PoolClosed) => return,
                    Err(err) => {
                        tracing::warn!(error = %err, "live updates: the listener lost its connection")
                    }
                    Ok(()) => {}
                }
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(err) => tracing::warn!(error = %err, "live updates: cannot listen for changes"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

async fn connect(pool: &PgPool) -> Result<(PgListener, i64), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // A lost connection is seen here and reconnected by `listen`, which
    // tells the pages; sqlx would otherwise reconnect quietly.
    listener.eager_reconnect(false);
    listener.listen(outbox::CHANNEL).await?;
    // Events from here on are new to this listener.
    let cursor = outbox::latest(pool).await?;
    Ok((listener, cursor))
}

/// Drops what `events` may have made stale in the cache, then sends them
/// to the hub in order, moving `cursor` past them.
async fn deliver(hub: &Hub, cache: &Cache, events: Vec<Event>, cursor: &mut i64) {
    let stale: BTreeSet<(Uuid, Entity)> = events
        .iter()
        .flat_map(|e| {
            Entity::of_topic(e.change.topic)
                .iter()
                .map(|&x| (e.tenant, x))
        })
        .collect();
    for (tenant, entity) in stale {
        cache.invalidate(tenant, entity).await;
    }
    for event in events {
        *cursor = event.id;
        hub.send(Signal::Change(Arc::new(event)));
    }
}

/// Sends what the outbox holds after `cursor`, in order.
async fn read_after(
    pool: &PgPool,
    hub: &Hub,
    cache: &Cache,
    cursor: &mut i64,
) -> Result<(), sqlx::Error> {
    loop {
        let events = outbox::after(pool, *cursor, BATCH).await?;
        let full = events.len() as i64 == BATCH;
        deliver(hub, cache, events, cursor).await;
        if !full {
            return Ok(());
        }
    }
}

/// Reads notifications until the connection fails.
async fn follow(
    pool: &PgPool,
    hub: &Hub,
    cache: &Cache,
    listener: &mut PgListener,
    cursor: &mut i64,
) -> Result<(), sqlx::Error> {
    loop {
        // `None`: the connection was lost (sqlx would reconnect quietly).
        let Some(notification) = listener.try_recv().await? else {
            return Err(sqlx::Error::Protocol(
                "the LISTEN connection was lost".into(),
            ));
        };
        let carried = outbox::carried(notification.payload()).unwrap_or_default();
        match carried.first().map(|e| e.id) {
            // Sent already (read from the table after an earlier gap).
            Some(_) if carried.iter().all(|e| e.id <= *cursor) => {}
            // The very next ones: no need to read them back.
            Some(first) if first == *cursor + 1 => deliver(hub, cache, carried, cursor).await,
            // Not carried, or some are missing before them: read in order.
            _ => read_after(pool, hub, cache, cursor).await?,
        }
    }
}
