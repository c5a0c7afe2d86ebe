//! A mailbox's own SMTP server, as opposed to the site's (`SMTP_URL`): a
//! business that connects its mailbox may send its replies through its
//! provider's server, so they are signed (SPF, DKIM) as its other mail is.
//! Built for each use; its failures are the mailbox's, not an outage of the
//! site's mail.

use std::time::Duration;

use lettre::{
    transport::smtp::{authentication::Credentials, client::Tls, client::TlsParameters},
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
};
use secrecy::{ExposeSecret, SecretString};

use super::{envelope, MailError};
use crate::domain::inbox::TlsMode;

/// How to reach and sign in to a mailbox's SMTP server.
#[derive(Clone)]
pub struct Relay {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    /// User and password; `None` sends without signing in.
    pub credentials: Option<(String, SecretString)>,
    pub timeout: Duration,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish_non_exhaustive()
    }
}

impl Relay {
    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let tls = |host: &str| TlsParameters::new(host.into()).map_err(|e| self.explain(&e));
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .timeout(Some(self.timeout));
        builder = match self.tls {
            TlsMode::Tls => builder.tls(Tls::Wrapper(tls(&self.host)?)),
            TlsMode::StartTls => builder.tls(Tls::Required(tls(&self.host)?)),
            TlsMode::None => builder.tls(Tls::None),
        };
        if let Some((user, password)) = &self.credentials {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_string(),
            ));
        }
        Ok(builder.build())
    }

    /// A failure in words staff can act on, naming the step.
    fn explain(&self, err: &lettre::transport::smtp::Error) -> String {
        let at = format!("{}:{}", self.host, self.port);
        if err.is_timeout() {
            format!("the SMTP server {at} did not answer in time")
        } else if err.is_tls() {
            format!("the secure connection to the SMTP server {at} failed (TLS): {err}")
        } else if err.status().is_some_and(|c| c.to_string() == "535") {
            format!("the SMTP server {at} refused the user name or password")
        } else if err.is_permanent() || err.is_transient() {
            format!("the SMTP server {at} refused: {err}")
        } else {
            format!("no connection to the SMTP server {at}: {err}")
        }
    }

    /// Connects, secures and signs in as a send would, then says goodbye.
    pub async fn check(&self) -> Result<(), String> {
        let transport = self.transport()?;
        match transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!(
                "the SMTP server {}:{} did not answer",
                self.host, self.port
            )),
            Err(e) => Err(self.explain(&e)),
        }
    }

    /// Sends a message built elsewhere as it is, from `from` to `to`.
    pub async fn send_raw(&self, from: &str, to: &str, raw: &[u8]) -> Result<(), MailError> {
        let envelope = envelope(from, to)?;
        let transport = self.transport().map_err(|message| MailError::Smtp {
            permanent: true,
            message,
        })?;
        transport
            .send_raw(&envelope, raw)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Smtp {
                permanent: e.is_permanent(),
                message: self.explain(&e),
            })
    }
}
