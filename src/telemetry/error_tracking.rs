//! Error tracking with Sentry (`SENTRY_*`): each app holds a hub of its own,
//! with a client when a DSN is set and none otherwise, so without a DSN
//! nothing leaves the machine and logs stay the only record.
//!
//! Every event passes through the logs' scrubber before it is sent, and
//! cookies, authorization headers and request bodies are dropped.

use std::{borrow::Cow, sync::Arc};

use secrecy::{ExposeSecret, SecretString};
use sentry::{
    protocol::{Context, Event, Request},
    ClientOptions, Hub,
};

use super::scrub::scrub;
use crate::config::{AppEnv, ConfigError, Env};

/// The build's commit (or the crate version when built outside git).
pub const RELEASE: &str = match option_env!("FRONTDESK_RELEASE") {
    Some(release) => release,
    None => env!("CARGO_PKG_VERSION"),
};

#[derive(Debug, Clone)]
pub struct ErrorTrackingConfig {
    /// Where events go; none: nowhere.
    pub dsn: Option<SecretString>,
    /// Such as `production` or `staging`.
    pub environment: String,
    /// The share of requests traced, 0 to 1.
    pub traces_sample_rate: f32,
    /// Where the browser's errors go, through the tunnel (see
    /// `browser_errors`); none: pages report nothing. Public by design: the
    /// page names it in every report.
    pub browser_dsn: Option<sentry::types::Dsn>,
}

impl ErrorTrackingConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let default_environment = match env.app_env {
            AppEnv::Production => "production",
            AppEnv::Development => "development",
        };
        Ok(ErrorTrackingConfig {
            dsn: env.parse_with(
                "SENTRY_DSN",
                None,
                "a Sentry DSN such as https://key@o1.ingest.sentry.io/2",
                |v| {
                    v.parse::<sentry::types::Dsn>()
                        .ok()
                        .map(|_| Some(SecretString::from(v)))
                },
            )?,
            environment: env.string("SENTRY_ENVIRONMENT", default_environment),
            traces_sample_rate: env.parse_with(
                "SENTRY_TRACES_SAMPLE_RATE",
                0.0,
                "a number from 0 to 1",
                |v| v.parse().ok().filter(|r| (0.0..=1.0).contains(r)),
            )?,
            browser_dsn: env.parse_with(
                "SENTRY_BROWSER_DSN",
                None,
                "a Sentry DSN such as https://key@o1.ingest.sentry.io/3",
                |v| v.parse().ok().map(Some),
            )?,
        })
    }
}

/// The hub an app reports through: bound to each request and task, so
/// events carry their scope (route, request id, business) and several apps
/// in one process (tests) never mix their reports.
pub fn hub(config: &ErrorTrackingConfig) -> Arc<Hub> {
    let client = config.dsn.as_ref().map(|dsn| {
        let options = ClientOptions {
            dsn: dsn.expose_secret().parse().ok(),
            release: Some(Cow::Borrowed(RELEASE)),
            environment: Some(Cow::Owned(config.environment.clone())),
            traces_sample_rate: config.traces_sample_rate,
            send_default_pii: false,
            before_send: Some(Arc::new(|event| Some(scrubbed(event)))),
            ..ClientOptions::default()
        };
        // The defaults add the panic hook, stack traces and the machine's context.
        Arc::new(sentry::Client::from(sentry::apply_defaults(options)))
    });
    Arc::new(Hub::new(client, Arc::new(Default::default())))
}

/// The event as it may leave: text scrubbed as the logs are; no address,
/// cookies, headers or body of the request.
pub fn scrubbed(mut event: Event<'static>) -> Event<'static> {
    let clean = |text: &mut String| *text = scrub(text).into_owned();
    if let Some(message) = event.message.as_mut() {
        clean(message);
    }
    if let Some(message) = event.logentry.as_mut() {
        clean(&mut message.message);
    }
    for exception in event.exception.values.iter_mut() {
        if let Some(value) = exception.value.as_mut() {
            clean(value);
        }
    }
    for crumb in event.breadcrumbs.values.iter_mut() {
        if let Some(message) = crumb.message.as_mut() {
            clean(message);
        }
        crumb.data.clear();
    }
    // Log fields travel as extra data and as the "Rust Tracing Fields" context.
    let clean_value = |value: &mut serde_json::Value| {
        if let Some(text) = value.as_str().map(|t| scrub(t).into_owned()) {
            *value = text.into();
        }
    };
    event.extra.values_mut().for_each(clean_value);
    for context in event.contexts.values_mut() {
        if let Context::Other(fields) = context {
            fields.values_mut().for_each(clean_value);
        }
    }
    // The route names the request (see the server's `name_by_route`); the
    // address itself may carry ids and search terms.
    if let Some(request) = event.request.take() {
        event.request = Some(Request {
            method: request.method,
            ..Default::default()
        });
    }
    event.user = None;
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use sentry::protocol::{Breadcrumb, Exception, Map};

    #[test]
    fn events_leave_without_personal_data_or_credentials() {
        let mut fields = Map::new();
        fields.insert("error".into(), "no row for ann@example.com".into());
        let mut headers = Map::new();
        headers.insert("Cookie".into(), "id=secret-session".into());
        headers.insert("Authorization".into(), "Bearer fdk_secret".into());
        let event = Event {
            message: Some("no client ann@example.com, +49 30 3106454".into()),
            exception: vec![Exception {
                ty: "Error".into(),
                value: Some("password=hunter22 rejected".into()),
                ..Default::default()
            }]
            .into(),
            breadcrumbs: vec![Breadcrumb {
                message: Some("signed in as ann@example.com".into()),
                ..Default::default()
            }]
            .into(),
            contexts: [("Rust Tracing Fields".to_string(), Context::Other(fields))]
                .into_iter()
                .collect(),
            request: Some(Request {
                url: "http://app.test/clients?q=ann@example.com".parse().ok(),
                method: Some("POST".into()),
                data: Some("email=ann@example.com&password=hunter22".into()),
                cookies: Some("id=secret-session".into()),
                headers,
                ..Default::default()
            }),
            ..Default::default()
        };
        let sent = serde_json::to_string(&scrubbed(event)).unwrap();
        for secret in [
            "ann@example.com",
            "3106454",
            "hunter22",
            "secret-session",
            "fdk_secret",
        ] {
            assert!(!sent.contains(secret), "{secret} left in {sent}");
        }
        assert!(!sent.contains("app.test"), "{sent}");
        assert!(sent.contains("POST"), "{sent}");
    }

    #[test]
    fn a_malformed_dsn_is_named_and_none_means_no_client() {
        let lookup = |name: &str| (name == "SENTRY_DSN").then(|| "not a dsn".to_string());
        let env = Env::new(&lookup, AppEnv::Development);
        let err = ErrorTrackingConfig::from_env(&env).unwrap_err();
        assert_eq!(err.variable, "SENTRY_DSN");
        let none = |_: &str| None;
        let config = ErrorTrackingConfig::from_env(&Env::new(&none, AppEnv::Production)).unwrap();
        assert_eq!(config.environment, "production");
        assert!(hub(&config).client().is_none());
    }
}
