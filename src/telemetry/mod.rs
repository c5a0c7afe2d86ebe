//! Logging: tracing with JSON lines in production and readable lines in
//! development, every line scrubbed of personal data and secrets. Errors
//! also go to Sentry (see `error_tracking`), warnings and information as
//! the breadcrumbs before them.

pub mod browser_errors;
mod config;
pub mod error_tracking;
mod log_hash;
pub mod metrics;
pub mod outage;
pub mod scrub;

use secrecy::ExposeSecret;
use std::io::{self, Write};

use sentry::integrations::tracing::EventFilter;
use tracing::Subscriber;
use tracing_subscriber::{fmt::MakeWriter, layer::SubscriberExt, EnvFilter, Layer};

pub use config::{LogConfig, LogFormat, MetricsConfig};
pub use log_hash::{hash_for_log, hash_user_id, set_log_hash_key};

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("LOG_LEVEL (or RUST_LOG) is not a valid filter: {0}; expected a level such as info or a directive such as info,sqlx=warn")]
    Filter(#[from] tracing_subscriber::filter::ParseError),
    #[error("a global logger is already installed")]
    AlreadyInstalled,
}

/// The target of error logs that record what error tracking already has
/// (a panic its hook reported): they stay breadcrumbs, so one failure is
/// one event.
pub const REPORTED: &str = "frontdesk::reported";

/// Installs the process-wide subscriber writing to stdout.
pub fn init(config: &LogConfig) -> Result<(), TelemetryError> {
    set_log_hash_key(config.hash_key.expose_secret());
    let subscriber = subscriber(config, io::stdout)?;
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|_| TelemetryError::AlreadyInstalled)
}

/// The subscriber `init` installs, writing to any writer (tests capture it).
pub fn subscriber<W>(
    config: &LogConfig,
    writer: W,
) -> Result<impl Subscriber + Send + Sync, TelemetryError>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::builder().parse(&config.filter)?;
    let writer = ScrubbingWriter(writer);
    let fmt = match config.format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .boxed(),
        // No colour codes: they would split the patterns the scrubber looks for.
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_target(true)
            .with_writer(writer)
            .boxed(),
    };
    // Sends to the hub bound where the event happens: a request's or a
    // task's, or none (nothing is sent) without a DSN.
    let sentry = sentry::integrations::tracing::layer().event_filter(|meta| match *meta.level() {
        tracing::Level::ERROR if meta.target() != REPORTED => EventFilter::Event,
        tracing::Level::ERROR => EventFilter::Breadcrumb,
        tracing::Level::WARN | tracing::Level::INFO => EventFilter::Breadcrumb,
        _ => EventFilter::Ignore,
    });
    Ok(tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(sentry)
        .with(SlowStatements))
}

/// Scrubs each formatted line before it reaches the underlying writer.
///
/// tracing-subscriber formats a whole event into one buffer and writes it in a
/// single call, so every `write` here sees complete lines.
pub struct ScrubbingWriter<W>(pub W);

impl<'a, W: MakeWriter<'a>> MakeWriter<'a> for ScrubbingWriter<W> {
    type Writer = ScrubbedLine<W::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbedLine(self.0.make_writer())
    }
}

pub struct ScrubbedLine<W>(W);

impl<W: Write> Write for ScrubbedLine<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(scrub::scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Counts sqlx's slow-statement warnings for the metrics.
struct SlowStatements;

impl<S: Subscriber> Layer<S> for SlowStatements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let meta = event.metadata();
        if meta.target() == "sqlx::query" && *meta.level() == tracing::Level::WARN {
            metrics::count_slow_statement();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Capture {
        type Writer = Capture;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    fn log_config(format: LogFormat) -> LogConfig {
        LogConfig {
            filter: "info".into(),
            format,
            hash_key: b"0123456789abcdef".to_vec().into(),
        }
    }

    fn capture(format: LogFormat, f: impl FnOnce()) -> String {
        let out = Capture::default();
        let subscriber = subscriber(&log_config(format), out.clone()).unwrap();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = out.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn json_lines_are_scrubbed_and_stay_valid_json() {
        let logged = capture(LogFormat::Json, || {
            let span = tracing::info_span!("request", request_id = "req-42");
            let _g = span.enter();
            tracing::info!(
                email = "jane@example.com",
                phone = "+44 7700 900123",
                "sign-in failed for password=hunter2"
            );
        });
        let line: serde_json::Value = serde_json::from_str(logged.trim()).unwrap();
        assert_eq!(line["email"], "[email]");
        assert_eq!(line["phone"], "[phone]");
        assert_eq!(line["message"], "sign-in failed for password=[redacted]");
        assert_eq!(line["span"]["request_id"], "req-42");
        assert!(!logged.contains("hunter2") && !logged.contains("jane@"));
    }

    #[test]
    fn pretty_lines_are_scrubbed() {
        let logged = capture(LogFormat::Pretty, || {
            tracing::warn!(
                cookie = "sid=abc123",
                "header Authorization: Bearer abc.def.ghi"
            );
        });
        assert!(logged.contains("WARN"));
        assert!(
            !logged.contains("abc123") && !logged.contains("abc.def.ghi"),
            "{logged}"
        );
    }

    #[test]
    fn filter_errors_name_the_variable() {
        let config = LogConfig {
            filter: "info,=[".into(),
            ..log_config(LogFormat::Json)
        };
        let err = subscriber(&config, Capture::default()).err().unwrap();
        assert!(err.to_string().contains("LOG_LEVEL"));
    }
}
