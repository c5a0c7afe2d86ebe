//! Outgoing email through one interface, [`Mailer`]: SMTP when `SMTP_URL` is
//! set, otherwise the development outbox (one `.eml` file per message under
//! `MAIL_OUTBOX_DIR`, listed on the dev outbox page).
//!
//! Nothing sends from a request: services enqueue an `email.send` job (see
//! [`crate::jobs`]) in their transaction and a worker sends it.

use secrecy::ExposeSecret;
use std::path::PathBuf;

use lettre::{
    message::{
        header::{ContentType, HeaderName, HeaderValue},
        Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart,
    },
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use serde::{Deserialize, Serialize};

mod config;
pub mod ics;
pub mod outbox;
pub mod parse;
pub mod relay;
pub mod templates;

pub use config::MailConfig;

/// A message to one recipient: plain text, optionally HTML beside it, and attachments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// The local part of a stable Message-ID (`<{id}@{sender's domain}>`):
    /// a retried send carries the same one, so it can be recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Carries a link that acts for the recipient's account (an invitation,
    /// a password reset): it belongs to no business, whoever sent it, and
    /// the development outbox shows it to none.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub account: bool,
}

impl OutgoingEmail {
    pub fn plain(
        to: impl Into<String>,
        subject: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        OutgoingEmail {
            to: to.into(),
            subject: subject.into(),
            text: text.into(),
            html: None,
            attachments: Vec::new(),
            message_id: None,
            account: false,
        }
    }
}

/// A text attachment such as an `.ics` invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("'{0}' is not a deliverable address")]
    Address(String),
    #[error("the message could not be built: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("the attachment type '{0}' is not a MIME type")]
    AttachmentType(String),
    #[error("the outbox could not be written: {0}")]
    Outbox(#[from] lettre::transport::file::Error),
    #[error("the outbox directory could not be created: {0}")]
    OutboxDir(#[from] std::io::Error),
    #[error("SMTP_URL is not usable: {0}")]
    SmtpUrl(lettre::transport::smtp::Error),
    /// The mail server refused or could not be reached. `permanent` when it
    /// answered with a 5xx code: retrying the same message will not help.
    #[error("the mail server did not accept the message: {message}")]
    Smtp { permanent: bool, message: String },
}

impl MailError {
    /// Whether sending the same message again may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            MailError::Smtp { permanent, .. } => !permanent,
            MailError::Outbox(_) | MailError::OutboxDir(_) => true,
            _ => false,
        }
    }
}

#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
    outage: crate::telemetry::outage::Outage,
}

#[derive(Clone)]
enum Transport {
    Outbox {
        dir: PathBuf,
        files: AsyncFileTransport<Tokio1Executor>,
    },
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP transport's own Debug would show its credentials.
        match &self.transport {
            Transport::Outbox { dir, .. } => f
                .debug_struct("Mailer")
                .field("outbox", dir)
                .finish_non_exhaustive(),
            Transport::Smtp(_) => f
                .debug_struct("Mailer")
                .field("transport", &"smtp")
                .finish_non_exhaustive(),
        }
    }
}

impl Mailer {
    pub fn from_config(config: &MailConfig) -> Result<Self, MailError> {
        let from = config
            .from
            .parse()
            .map_err(|_| MailError::Address(config.from.clone()))?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(MailError::SmtpUrl)?
                    .timeout(Some(config.smtp_timeout))
                    .build(),
            ),
            None => {
                std::fs::create_dir_all(&config.outbox_dir)?;
                Transport::Outbox {
                    dir: config.outbox_dir.clone(),
                    files: AsyncFileTransport::new(&config.outbox_dir),
                }
            }
        };
        Ok(Self {
            from,
            transport,
            outage: crate::telemetry::outage::Outage::new(
                "smtp",
                "email waits in the job queue and is retried",
            ),
        })
    }

    /// The SMTP server's outage state, with the count of failures.
    pub fn outage(&self) -> &crate::telemetry::outage::Outage {
        &self.outage
    }

    /// Connects to the SMTP server and greets it, for the health check.
    pub async fn check(
        &self,
        limit: std::time::Duration,
    ) -> Result<std::time::Duration, &'static str> {
        let Transport::Smtp(smtp) = &self.transport else {
            return Ok(std::time::Duration::ZERO);
        };
        let started = std::time::Instant::now();
        match tokio::time::timeout(limit, smtp.test_connection()).await {
            Ok(Ok(true)) => Ok(started.elapsed()),
            Ok(_) => Err("the SMTP server refused the connection or is unreachable"),
            Err(_) => Err("the SMTP server did not answer in time"),
        }
    }

    /// Whether mail goes to an SMTP server (not the development outbox).
    pub fn is_smtp(&self) -> bool {
        matches!(self.transport, Transport::Smtp(_))
    }

    /// The development outbox's directory, when that is the transport.
    pub fn outbox_dir(&self) -> Option<&std::path::Path> {
        match &self.transport {
            Transport::Outbox { dir, .. } => Some(dir),
            Transport::Smtp(_) => None,
        }
    }

    /// The sender's domain: Message-IDs and calendar UIDs are qualified with it.
    pub fn domain(&self) -> &str {
        self.from.email.domain()
    }

    /// The full Message-ID header value `email` is sent with, if it has one.
    pub fn message_id(&self, email: &OutgoingEmail) -> Option<String> {
        email
            .message_id
            .as_ref()
            .map(|id| format!("<{id}@{}>", self.domain()))
    }

    pub fn build(&self, email: &OutgoingEmail) -> Result<Message, MailError> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|_| MailError::Address(email.to.clone()))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.as_str())
            .message_id(self.message_id(email));
        let body = match &email.html {
            Some(html) => MultiPart::alternative_plain_html(email.text.clone(), html.clone()),
            None if email.attachments.is_empty() => {
                return Ok(builder
                    .header(ContentType::TEXT_PLAIN)
                    .body(email.text.clone())?)
            }
            None => MultiPart::mixed().singlepart(SinglePart::plain(email.text.clone())),
        };
        if email.attachments.is_empty() {
            return Ok(builder.multipart(body)?);
        }
        let mut mixed = MultiPart::mixed().multipart(body);
        for attachment in &email.attachments {
            let content_type = ContentType::parse(&attachment.content_type)
                .map_err(|_| MailError::AttachmentType(attachment.content_type.clone()))?;
            mixed = mixed.singlepart(
                MimeAttachment::new(attachment.filename.clone())
                    .body(attachment.content.clone(), content_type),
            );
        }
        Ok(builder.multipart(mixed)?)
    }

    /// Sends `email` on behalf of `business` (`None` for account mail such
    /// as password resets, which belongs to no business).
    pub async fn send(
        &self,
        email: &OutgoingEmail,
        business: Option<uuid::Uuid>,
    ) -> Result<(), MailError> {
        let mut message = self.build(email)?;
        match &self.transport {
            Transport::Outbox { dir, files } => {
                // The outbox page shows a business only the mail it sent.
                if let Some(business) = business.filter(|_| !email.account) {
                    message.headers_mut().insert_raw(HeaderValue::new(
                        HeaderName::new_from_ascii_str(outbox::BUSINESS_HEADER),
                        business.to_string(),
                    ));
                }
                // The directory may have been cleaned since start-up.
                tokio::fs::create_dir_all(dir).await?;
                files.send(message).await?;
            }
            Transport::Smtp(smtp) => self.smtp_outcome(smtp.send(message).await)?,
        }
        tracing::info!(subject = %email.subject, "email sent");
        Ok(())
    }
}

impl Mailer {
    /// What an SMTP send means for the message and for the server's outage:
    /// a refused recipient or message is that message's problem; anything
    /// else means the server cannot be used.
    fn smtp_outcome<T>(
        &self,
        result: Result<T, lettre::transport::smtp::Error>,
    ) -> Result<(), MailError> {
        match result {
            Ok(_) => {
                self.outage.succeeded();
                Ok(())
            }
            Err(err) => {
                let permanent = err.is_permanent();
                if permanent {
                    self.outage.succeeded();
                } else {
                    self.outage.failed("send", &err);
                }
                Err(MailError::Smtp {
                    permanent,
                    message: err.to_string(),
                })
            }
        }
    }

    /// Sends a message built elsewhere (a reply from a business's mailbox)
    /// as it is, from `from` to `to`.
    pub async fn send_raw(
        &self,
        from: &str,
        to: &str,
        raw: &[u8],
        business: Option<uuid::Uuid>,
    ) -> Result<(), MailError> {
        let envelope = envelope(from, to)?;
        match &self.transport {
            Transport::Outbox { dir, files } => {
                let mut marked = Vec::with_capacity(raw.len() + 64);
                if let Some(business) = business {
                    marked.extend_from_slice(
                        format!("{}: {business}\r\n", outbox::BUSINESS_HEADER).as_bytes(),
                    );
                }
                marked.extend_from_slice(raw);
                tokio::fs::create_dir_all(dir).await?;
                files.send_raw(&envelope, &marked).await?;
            }
            Transport::Smtp(smtp) => self.smtp_outcome(smtp.send_raw(&envelope, raw).await)?,
        }
        Ok(())
    }
}

/// The SMTP envelope of a message from `from` to `to`.
fn envelope(from: &str, to: &str) -> Result<lettre::address::Envelope, MailError> {
    let address = |a: &str| {
        a.parse::<lettre::Address>()
            .map_err(|_| MailError::Address(a.to_string()))
    };
    lettre::address::Envelope::new(Some(address(from)?), vec![address(to)?])
        .map_err(|_| MailError::Address(to.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox_mailer(dir: &std::path::Path) -> Mailer {
        Mailer::from_config(&MailConfig {
            from: "Frontdesk <no-reply@example.com>".into(),
            outbox_dir: dir.to_path_buf(),
            smtp_url: None,
            smtp_timeout: std::time::Duration::from_secs(5),
            outbox_remote: false,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn the_outbox_holds_one_message_file_per_email() {
        let dir = std::env::temp_dir().join(format!("frontdesk-outbox-{}", uuid::Uuid::now_v7()));
        let mailer = outbox_mailer(&dir);
        let (north, south) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
        mailer
            .send(
                &OutgoingEmail::plain("ann@example.com", "Welcome", "Hello Ann"),
                Some(north),
            )
            .await
            .unwrap();
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
        assert!(text.contains("To: ann@example.com"), "{text}");
        assert!(
            text.contains("Subject: Welcome") && text.contains("Hello Ann"),
            "{text}"
        );
        // Account mail belongs to no business.
        mailer
            .send(&OutgoingEmail::plain("bo@example.com", "Reset", "x"), None)
            .await
            .unwrap();
        let listed = |business| outbox::list(&dir, 10, business).unwrap();
        assert_eq!(listed(north).len(), 1);
        assert_eq!(listed(north)[0].subject, "Welcome");
        assert!(listed(south).is_empty());
        let bad = mailer
            .send(&OutgoingEmail::plain("not an address", "x", "x"), None)
            .await;
        assert!(matches!(bad, Err(MailError::Address(_))));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn html_attachments_and_a_stable_message_id() {
        let dir = std::env::temp_dir().join(format!("frontdesk-outbox-{}", uuid::Uuid::now_v7()));
        let mailer = outbox_mailer(&dir);
        let email = OutgoingEmail {
            html: Some("<p>Hello</p>".into()),
            attachments: vec![Attachment {
                filename: "appointment.ics".into(),
                content_type: "text/calendar; charset=utf-8; method=REQUEST".into(),
                content: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into(),
            }],
            message_id: Some("reminder-1".into()),
            ..OutgoingEmail::plain("ann@example.com", "Soon", "Hello")
        };
        let text = String::from_utf8(mailer.build(&email).unwrap().formatted()).unwrap();
        assert!(
            text.contains("Message-ID: <reminder-1@example.com>"),
            "{text}"
        );
        assert!(
            text.contains("multipart/alternative") && text.contains("text/html"),
            "{text}"
        );
        assert!(text.contains("filename=\"appointment.ics\""), "{text}");
        assert!(text.contains("text/calendar"), "{text}");
        let again = String::from_utf8(mailer.build(&email).unwrap().formatted()).unwrap();
        assert!(again.contains("Message-ID: <reminder-1@example.com>"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    // The SMTP transport's connection pool lives on the Tokio runtime.
    #[tokio::test]
    async fn smtp_url_is_checked_and_never_shown() {
        let mailer = Mailer::from_config(&MailConfig {
            from: "Frontdesk <no-reply@example.com>".into(),
            outbox_dir: std::env::temp_dir(),
            smtp_url: Some("smtp://user:hunter2@127.0.0.1:2525".into()),
            smtp_timeout: std::time::Duration::from_secs(5),
            outbox_remote: false,
        })
        .unwrap();
        assert!(mailer.outbox_dir().is_none());
        assert!(!format!("{mailer:?}").contains("hunter2"));
    }
}
