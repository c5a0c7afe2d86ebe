//! Outgoing email through one interface, [`Mailer`]: the development outbox
//! now (one `.eml` file per message under `MAIL_OUTBOX_DIR`), SMTP later.

use std::path::PathBuf;

use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncFileTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::config::MailConfig;

/// A plain-text message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("'{0}' is not a deliverable address")]
    Address(String),
    #[error("the message could not be built: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("the outbox could not be written: {0}")]
    Outbox(#[from] lettre::transport::file::Error),
    #[error("the outbox directory could not be created: {0}")]
    OutboxDir(#[from] std::io::Error),
}

#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Outbox {
        dir: PathBuf,
        files: AsyncFileTransport<Tokio1Executor>,
    },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.transport {
            Transport::Outbox { dir, .. } => f
                .debug_struct("Mailer")
                .field("outbox", dir)
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
        std::fs::create_dir_all(&config.outbox_dir)?;
        Ok(Self {
            from,
            transport: Transport::Outbox {
                dir: config.outbox_dir.clone(),
                files: AsyncFileTransport::new(&config.outbox_dir),
            },
        })
    }

    pub async fn send(&self, email: &OutgoingEmail) -> Result<(), MailError> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|_| MailError::Address(email.to.clone()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone())?;
        match &self.transport {
            Transport::Outbox { dir, files } => {
                // The directory may have been cleaned since start-up.
                tokio::fs::create_dir_all(dir).await?;
                files.send(message).await?;
            }
        }
        tracing::info!(subject = %email.subject, "email sent");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_outbox_holds_one_message_file_per_email() {
        let dir = std::env::temp_dir().join(format!("frontdesk-outbox-{}", uuid::Uuid::now_v7()));
        let mailer = Mailer::from_config(&MailConfig {
            from: "Frontdesk <no-reply@example.com>".into(),
            outbox_dir: dir.clone(),
        })
        .unwrap();
        mailer
            .send(&OutgoingEmail {
                to: "ann@example.com".into(),
                subject: "Welcome".into(),
                text: "Hello Ann".into(),
            })
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
        let bad = mailer
            .send(&OutgoingEmail {
                to: "not an address".into(),
                subject: "x".into(),
                text: "x".into(),
            })
            .await;
        assert!(matches!(bad, Err(MailError::Address(_))));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
