//! Errors from the browser: the page reports JavaScript errors, unhandled
//! rejections and panics of the wasm app as Sentry envelopes to a tunnel on
//! the app's own origin (so the CSP keeps `connect-src 'self'`), and the
//! tunnel forwards what it accepts to `SENTRY_BROWSER_DSN`.
//!
//! The tunnel is not a relay: an envelope must name exactly the configured
//! DSN, and only its error events go on, scrubbed like the server's own.

use std::{borrow::Cow, sync::Arc};

use sentry::{
    protocol::{Envelope, EnvelopeItem, Event},
    types::Dsn,
    ClientOptions,
};

use super::error_tracking::{scrubbed, ErrorTrackingConfig, RELEASE};

/// The largest envelope the tunnel reads (the browser's `sendBeacon` stops
/// at 64 KiB too).
pub const MAX_ENVELOPE_BYTES: usize = 64 * 1024;

/// The most events one envelope may carry.
const MAX_EVENTS: usize = 10;

/// Why an envelope is refused; each reads as the answer's message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("the body is not a Sentry envelope")]
    NotAnEnvelope,
    #[error("the envelope is not addressed to this site's error reporting")]
    ForeignDsn,
    #[error("the envelope holds no error event")]
    NoEvent,
    #[error("the envelope holds more than {MAX_EVENTS} events")]
    TooManyEvents,
}

/// The client that sends the browser's events on; none without
/// `SENTRY_BROWSER_DSN`.
pub fn client(config: &ErrorTrackingConfig) -> Option<Arc<sentry::Client>> {
    let dsn = config.browser_dsn.clone()?;
    let options = ClientOptions {
        dsn: Some(dsn),
        // Pages from an older build report their own release; these fill gaps.
        release: Some(Cow::Borrowed(RELEASE)),
        environment: Some(Cow::Owned(config.environment.clone())),
        send_default_pii: false,
        before_send: Some(Arc::new(|event| Some(scrubbed_from_browser(event)))),
        // No integrations: the events describe the browser, not this process.
        default_integrations: false,
        ..ClientOptions::default()
    };
    // `apply_defaults` picks the HTTP transport.
    Some(Arc::new(sentry::Client::from(sentry::apply_defaults(
        options,
    ))))
}

/// The error events of `body` when it is an envelope for `expected`.
pub fn accept(body: &[u8], expected: &Dsn) -> Result<Vec<Event<'static>>, Refused> {
    #[derive(serde::Deserialize)]
    struct Header {
        dsn: Option<String>,
    }
    let first_line = body.split(|b| *b == b'\n').next().unwrap_or_default();
    let header: Header = serde_json::from_slice(first_line).map_err(|_| Refused::NotAnEnvelope)?;
    let dsn = header
        .dsn
        .and_then(|dsn| dsn.parse::<Dsn>().ok())
        .ok_or(Refused::ForeignDsn)?;
    if !same_dsn(&dsn, expected) {
        return Err(Refused::ForeignDsn);
    }
    let envelope = Envelope::from_slice(body).map_err(|_| Refused::NotAnEnvelope)?;
    let events: Vec<_> = envelope
        .items()
        .filter_map(|item| match item {
            EnvelopeItem::Event(event) => Some(event.clone()),
            _ => None,
        })
        .collect();
    match events.len() {
        0 => Err(Refused::NoEvent),
        n if n > MAX_EVENTS => Err(Refused::TooManyEvents),
        _ => Ok(events),
    }
}

fn same_dsn(a: &Dsn, b: &Dsn) -> bool {
    a.public_key() == b.public_key()
        && a.project_id() == b.project_id()
        && a.host() == b.host()
        && a.port() == b.port()
        && a.scheme() == b.scheme()
}

/// A browser's event as it may leave: scrubbed as the server's are, and
/// with nothing a page could put there that the server does not vouch for
/// (tags are scrubbed, frames keep only where they are, query strings go).
pub fn scrubbed_from_browser(event: Event<'static>) -> Event<'static> {
    let mut event = scrubbed(event);
    let clean = |text: &mut String| *text = super::scrub::scrub(text).into_owned();
    event.tags.values_mut().for_each(clean);
    if let Some(transaction) = event.transaction.as_mut() {
        clean(transaction);
    }
    event.breadcrumbs.values.clear();
    event.server_name = None;
    for exception in event.exception.values.iter_mut() {
        if let Some(stacktrace) = exception.stacktrace.as_mut() {
            for frame in stacktrace.frames.iter_mut() {
                frame.vars.clear();
                frame.pre_context.clear();
                frame.context_line = None;
                frame.post_context.clear();
                for path in [frame.filename.as_mut(), frame.abs_path.as_mut()]
                    .into_iter()
                    .flatten()
                {
                    if let Some(at) = path.find(['?', '#']) {
                        path.truncate(at);
                    }
                }
            }
        }
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSN: &str = "http://public1@127.0.0.1:8000/1";

    fn envelope(dsn: &str, event: &str) -> Vec<u8> {
        format!("{{\"dsn\":\"{dsn}\"}}\n{{\"type\":\"event\"}}\n{event}\n").into_bytes()
    }

    #[test]
    fn takes_the_events_of_an_envelope_for_the_configured_dsn() {
        let body = envelope(
            DSN,
            r#"{"level":"fatal","exception":{"values":[{"type":"panic","value":"boom"}]}}"#,
        );
        let events = accept(&body, &DSN.parse().unwrap()).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].exception.values[0].ty, "panic");
    }

    #[test]
    fn refuses_other_dsns_and_what_is_not_an_envelope() {
        let ours: Dsn = DSN.parse().unwrap();
        let event = r#"{"message":"x"}"#;
        for other in [
            "http://public2@127.0.0.1:8000/1",
            "http://public1@127.0.0.1:8000/2",
            "http://public1@evil.example:8000/1",
            "https://public1@127.0.0.1:8000/1",
            "not a dsn",
        ] {
            assert_eq!(
                accept(&envelope(other, event), &ours),
                Err(Refused::ForeignDsn),
                "{other}"
            );
        }
        let no_dsn = format!("{{}}\n{{\"type\":\"event\"}}\n{event}\n");
        assert_eq!(accept(no_dsn.as_bytes(), &ours), Err(Refused::ForeignDsn));
        assert_eq!(accept(b"hello", &ours), Err(Refused::NotAnEnvelope));
        let session = format!("{{\"dsn\":\"{DSN}\"}}\n{{\"type\":\"session\"}}\n{{}}\n");
        assert!(accept(session.as_bytes(), &ours).is_err());
    }

    #[test]
    fn browser_events_lose_personal_data_queries_and_breadcrumbs() {
        let body = envelope(
            DSN,
            r#"{"transaction":"/clients/{id}","tags":{"route":"/clients/{id}","note":"ann@example.com"},
                "user":{"email":"ann@example.com","ip_address":"10.0.0.1"},
                "request":{"url":"http://x/clients?q=Ann","cookies":"frontdesk_session=s3cret"},
                "breadcrumbs":{"values":[{"message":"typed +49 30 3106454"}]},
                "exception":{"values":[{"type":"Error","value":"no client ann@example.com",
                  "stacktrace":{"frames":[{"filename":"http://x/pkg/frontdesk.js?v=1","lineno":3,"vars":{"password":"hunter22"}}]}}]}}"#
                .replace('\n', "")
                .as_str(),
        );
        let event = accept(&body, &DSN.parse().unwrap()).unwrap().remove(0);
        let sent = serde_json::to_string(&scrubbed_from_browser(event)).unwrap();
        for leak in [
            "ann@example.com",
            "3106454",
            "s3cret",
            "hunter22",
            "q=Ann",
            "10.0.0.1",
        ] {
            assert!(!sent.contains(leak), "{leak} in {sent}");
        }
        assert!(sent.contains("/clients/{id}"), "{sent}");
        assert!(sent.contains("http://x/pkg/frontdesk.js\""), "{sent}");
        assert!(sent.contains("\"lineno\":3"), "{sent}");
    }
}
