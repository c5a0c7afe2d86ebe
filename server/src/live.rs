//! `GET /api/live`: a signed-in page's stream of changes (Server-Sent Events).
//!
//! The business and role come from the session only. Each stream has a
//! task of its own that takes the instance's changes from the hub, keeps
//! those of the session's business that its role may read, and queues them
//! for the response. A page that stops reading fills its small queue and is
//! dropped with "resync"; so are pages that fall behind the hub. A page that
//! reconnects with `Last-Event-ID` first gets what it missed, or "resync"
//! when that is too much or no longer kept. Streams end on sign-out, on
//! removal from the business or a changed role (checked every
//! `LIVE_SESSION_CHECK_SECS` and at once after a team change), and when the
//! instance shuts down.

use std::convert::Infallible;

use axum::{
    extract::State,
    http::HeaderMap,
    response::{
        sse::{Event as SseEvent, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Extension,
};
use frontdesk::{
    auth::{session, Staff},
    domain::live::{Topic, EVENT_CHANGE, EVENT_RESYNC},
    error::AppError,
    live::{
        outbox::{self, Missed},
        Event, Signal,
    },
};
use futures_util::stream::{self, StreamExt};
use tokio::sync::{broadcast, mpsc};
use tower_sessions::Session;

use crate::{middleware::client::ClientIp, AppState};

/// Changes queued for one page; a page this far behind is dropped.
const QUEUE: usize = 64;

pub async fn stream(
    State(state): State<AppState>,
    staff: Option<Extension<Staff>>,
    session: Option<Extension<Session>>,
    address: Option<Extension<ClientIp>>,
    headers: HeaderMap,
) -> Response {
    if !state.config.live.enabled {
        return AppError::NotFound("live updates are off on this site (LIVE_UPDATES)".into())
            .into_response();
    }
    let (Some(Extension(staff)), Some(Extension(session))) = (staff, session) else {
        return AppError::Unauthorized.into_response();
    };
    let last = match last_event_id(&headers) {
        Ok(last) => last,
        Err(err) => return err.into_response(),
    };
    let config = &state.config.live;
    let session_id = match session::current_id(&session).await {
        Ok(id) => id.map(|id| id.to_string()).unwrap_or_default(),
        Err(err) => return err.into_response(),
    };
    let mut keys = vec![(
        format!("session:{session_id}:{}", staff.user_id),
        config.streams_per_session,
    )];
    if let Some(Extension(ClientIp(ip))) = address {
        keys.push((format!("address:{ip}"), config.streams_per_address));
    }
    let guard = match state.live.admit(&keys) {
        Ok(guard) => guard,
        Err(key) => {
            let what = if key.starts_with("session:") {
                format!(
                    "this session has {} live streams open (one per tab); close a tab",
                    config.streams_per_session
                )
            } else {
                format!(
                    "this address has {} live streams open",
                    config.streams_per_address
                )
            };
            return AppError::RateLimited {
                message: what,
                retry_after: std::time::Duration::from_secs(30),
                limit: Some("live_streams".into()),
            }
            .into_response();
        }
    };
    // Subscribed before the missed changes are read: none falls between.
    let signals = state.live.subscribe();
    let mut sent = last.unwrap_or(0);
    let mut first = Vec::new();
    if let Some(last) = last {
        match outbox::missed(&state.pool, staff.tenant_id, last, config.replay as i64).await {
            Ok(Missed::These(events)) => {
                for event in events.iter().filter(|e| may_read(&staff, e)) {
                    first.push(change(event));
                }
                sent = events.last().map_or(last, |e| e.id);
            }
            Ok(Missed::TooMany) => first.push(resync()),
            Err(err) => return AppError::from(err).into_response(),
        }
    }
    let (queue, queued) = mpsc::channel(QUEUE);
    let follow = Follow {
        state: state.clone(),
        staff,
        session,
        sent,
    };
    tokio::spawn(async move {
        follow.run(signals, queue).await;
        drop(guard);
    });
    let events = stream::iter(first).chain(stream::unfold(queued, |mut queued| async move {
        queued.recv().await.map(|event| (event, queued))
    }));
    let mut response = Sse::new(events.map(Ok::<_, Infallible>))
        .keep_alive(
            KeepAlive::new()
                .interval(config.keep_alive)
                .text("keep-alive"),
        )
        .into_response();
    // Proxies must pass each event on at once.
    response
        .headers_mut()
        .insert("x-accel-buffering", "no".parse().expect("valid header"));
    response
}

/// The event id the browser saw last (`EventSource` sends it on reconnect).
fn last_event_id(headers: &HeaderMap) -> Result<Option<i64>, AppError> {
    match headers.get("last-event-id") {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|id| *id >= 0)
            .map(Some)
            .ok_or_else(|| {
                AppError::field(
                    "Last-Event-ID",
                    "must be the id of an event this stream sent",
                )
            }),
    }
}

fn may_read(staff: &Staff, event: &Event) -> bool {
    event.tenant == staff.tenant_id
        && event
            .change
            .topic
            .permission()
            .is_none_or(|p| staff.role.allows(p))
}

fn change(event: &Event) -> SseEvent {
    SseEvent::default()
        .event(EVENT_CHANGE)
        .id(event.id.to_string())
        .json_data(&event.change)
        .expect("a change serialises")
}

fn resync() -> SseEvent {
    SseEvent::default().event(EVENT_RESYNC).data("")
}

/// One page's stream, between the hub and the response.
struct Follow {
    state: AppState,
    staff: Staff,
    session: Session,
    /// The last event id queued.
    sent: i64,
}

impl Follow {
    async fn run(
        mut self,
        mut signals: broadcast::Receiver<Signal>,
        queue: mpsc::Sender<SseEvent>,
    ) {
        let closing = self.state.live.closed();
        tokio::pin!(closing);
        let mut check = tokio::time::interval(self.state.config.live.session_check);
        check.tick().await;
        loop {
            let signal = tokio::select! {
                () = &mut closing => return,
                () = queue.closed() => return,
                _ = check.tick() => {
                    if !self.still_signed_in().await {
                        return;
                    }
                    continue;
                }
                signal = signals.recv() => signal,
            };
            let event = match signal {
                Ok(Signal::Change(event)) => {
                    if event.id <= self.sent || !may_read(&self.staff, &event) {
                        continue;
                    }
                    if event.change.topic == Topic::Team && !self.still_signed_in().await {
                        return;
                    }
                    self.sent = event.id;
                    change(&event)
                }
                Ok(Signal::Resync) => resync(),
                // Fell behind the hub: the page reloads what it shows.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let _ = queue.try_send(resync());
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            };
            // The last free place is kept for "resync".
            if queue.capacity() <= 1 {
                tracing::debug!("live updates: a page stopped reading; dropped");
                let _ = queue.try_send(resync());
                return;
            }
            if queue.try_send(event).is_err() {
                return;
            }
        }
    }

    /// Whether the session still belongs to the same person, business and role.
    async fn still_signed_in(&self) -> bool {
        let meta = session::SessionMeta {
            user_agent: String::new(),
            address: None,
        };
        let now = self.state.deps.clock.now();
        match session::resolve(&self.session, self.state.deps.sessions(), now, &meta).await {
            Ok(Some((staff, _))) => staff == self.staff,
            Ok(None) => false,
            // The database is away: keep the stream; the next check decides.
            Err(_) => true,
        }
    }
}
