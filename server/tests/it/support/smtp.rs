//! A real SMTP server for tests: aiosmtpd (from PyPI, installed by
//! scripts/bootstrap.sh test) on a free loopback port, writing each message
//! it accepts into a Maildir. Stopped and started again to test outages.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub struct SmtpServer {
    child: Option<Child>,
    pub port: u16,
    pub maildir: PathBuf,
    /// User and password the server requires (AUTH PLAIN/LOGIN without TLS).
    login: Option<(String, String)>,
}

/// aiosmtpd with an authenticator: the command line has no option for one.
const WITH_LOGIN: &str = r#"
import sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult
port, maildir, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode(), sys.argv[4].encode()
def check(server, session, envelope, mechanism, data):
    return AuthResult(success=data.login == user and data.password == password, handled=False)
Controller(Mailbox(maildir), hostname="127.0.0.1", port=port, authenticator=check,
           auth_required=True, auth_require_tls=False).start()
while True:
    time.sleep(3600)
"#;

/// `TEST_PYTHON`, else `python3`.
fn python() -> String {
    std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// A port the server can be stopped and started again on.
pub fn free_port() -> u16 {
    super::reusable_port()
}

impl SmtpServer {
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    /// A server on `port` (to bring one back where the app expects it).
    pub async fn start_on(port: u16) -> Self {
        let maildir =
            std::env::temp_dir().join(format!("frontdesk-smtp-{}", uuid::Uuid::now_v7().simple()));
        let mut server = SmtpServer {
            child: None,
            port,
            maildir,
            login: None,
        };
        server.launch().await;
        server
    }

    /// A server that takes mail only after signing in as `user`.
    pub async fn start_with_login(user: &str, password: &str) -> Self {
        let maildir =
            std::env::temp_dir().join(format!("frontdesk-smtp-{}", uuid::Uuid::now_v7().simple()));
        let mut server = SmtpServer {
            child: None,
            port: free_port(),
            maildir,
            login: Some((user.into(), password.into())),
        };
        server.launch().await;
        server
    }

    /// The SMTP_URL that reaches it (plain SMTP on loopback, no TLS).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    async fn launch(&mut self) {
        let mut command = Command::new(python());
        match &self.login {
            None => command
                .args(["-m", "aiosmtpd", "-n", "-l"])
                .arg(format!("127.0.0.1:{}", self.port))
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(&self.maildir),
            Some((user, password)) => command
                .args(["-c", WITH_LOGIN, &self.port.to_string()])
                .arg(&self.maildir)
                .args([user, password]),
        };
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("aiosmtpd could not start ({e}); run scripts/bootstrap.sh test")
            });
        self.child = Some(child);
        let started = Instant::now();
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            if started.elapsed() > Duration::from_secs(20) {
                panic!("aiosmtpd did not listen on port {} within 20 s (is it installed? pip install aiosmtpd)", self.port);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn stop(&mut self) {
        super::stop_child(&mut self.child);
    }

    /// Every message received so far, as raw text.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) {
                for entry in entries.flatten() {
                    if let Ok(text) = std::fs::read_to_string(entry.path()) {
                        out.push(text);
                    }
                }
            }
        }
        out
    }

    /// Waits until `n` messages arrived (or panics after `timeout`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<String> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            if started.elapsed() > timeout {
                panic!(
                    "{} of {n} messages arrived within {timeout:?}",
                    messages.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

/// A header's value in a raw message (first occurrence, unfolded).
pub fn header(message: &str, name: &str) -> Option<String> {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    let mut lines = message.lines().peekable();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            return None;
        }
        if line.to_ascii_lowercase().starts_with(&prefix) {
            let mut value = line[prefix.len()..].trim().to_string();
            while let Some(next) = lines.peek() {
                if next.starts_with(' ') || next.starts_with('\t') {
                    value.push(' ');
                    value.push_str(next.trim());
                    lines.next();
                } else {
                    break;
                }
            }
            return Some(value);
        }
    }
    None
}
