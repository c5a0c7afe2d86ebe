//! Reading a mailbox over IMAP: connecting (TLS, STARTTLS, or plain on
//! loopback), signing in, finding the special-use folders, and the few
//! commands a sync needs. Knows nothing of businesses or the database; the
//! inbox service decides what to fetch and where it goes.
//!
//! Every failure says which step failed (DNS, TCP, TLS, sign-in, a missing
//! folder), so staff can act on it and the sync can tell a wrong password
//! (stop retrying) from an outage (retry).

use std::{
    collections::HashSet,
    fmt,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use secrecy::{ExposeSecret, SecretString};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpStream,
};

mod config;
mod tls;

pub use config::InboxConfig;
pub use tls::TlsMode;

/// Where and as whom to sign in. Its Debug never shows the password.
#[derive(Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: String,
    pub password: SecretString,
    /// For each network step and each command.
    pub timeout: Duration,
}

impl fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// What went wrong, by step. The messages are shown to staff as they are.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ImapError {
    #[error("the server name '{host}' could not be found (DNS): {detail}")]
    Dns { host: String, detail: String },
    #[error("no connection to {host}:{port} (TCP): {detail}")]
    Tcp {
        host: String,
        port: u16,
        detail: String,
    },
    #[error("the secure connection to {host} failed (TLS): {detail}")]
    Tls { host: String, detail: String },
    #[error("the server refused the sign-in for '{user}': {detail}")]
    SignInRefused { user: String, detail: String },
    #[error("the folder '{0}' does not exist on the server")]
    MissingFolder(String),
    #[error("the server did not answer within {0} seconds")]
    Timeout(u64),
    #[error("the server answered unexpectedly: {0}")]
    Protocol(String),
}

impl ImapError {
    /// Trying again with the same settings cannot help.
    pub fn needs_new_settings(&self) -> bool {
        matches!(self, ImapError::SignInRefused { .. })
    }
}

fn protocol(err: async_imap::error::Error) -> ImapError {
    ImapError::Protocol(err.to_string())
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Io for T {}

type Stream = Box<dyn Io>;

/// A folder as the server describes it on SELECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderStatus {
    pub uid_validity: u32,
    pub uid_next: Option<u32>,
    pub highest_modseq: Option<u64>,
    pub exists: u32,
}

/// The folders a mailbox offers, with the ones found by special use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folders {
    pub all: Vec<String>,
    pub sent: Option<String>,
}

/// One message's header data from a FETCH: its UID, flags and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageMeta {
    pub uid: u32,
    pub seen: bool,
    pub size: u32,
}

/// One message with its raw bytes.
#[derive(Debug, Clone)]
pub struct FetchedMessage {
    pub uid: u32,
    pub seen: bool,
    pub internal_date: Option<DateTime<Utc>>,
    pub raw: Vec<u8>,
}

/// A signed-in session. Counts the commands it sends (for the benchmarks).
pub struct ImapSession {
    session: async_imap::Session<Stream>,
    condstore: bool,
    commands: Arc<AtomicU64>,
    timeout: Duration,
}

impl fmt::Debug for ImapSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapSession")
            .field("condstore", &self.condstore)
            .finish_non_exhaustive()
    }
}

async fn within<T>(
    limit: Duration,
    step: impl std::future::Future<Output = Result<T, ImapError>>,
) -> Result<T, ImapError> {
    tokio::time::timeout(limit, step)
        .await
        .unwrap_or(Err(ImapError::Timeout(limit.as_secs())))
}

/// Connects and signs in.
pub async fn connect(settings: &ImapSettings) -> Result<ImapSession, ImapError> {
    within(settings.timeout, connect_inner(settings)).await
}

async fn connect_inner(settings: &ImapSettings) -> Result<ImapSession, ImapError> {
    let host = settings.host.as_str();
    let addresses: Vec<_> = tokio::net::lookup_host((host, settings.port))
        .await
        .map_err(|e| ImapError::Dns {
            host: host.to_string(),
            detail: e.to_string(),
        })?
        .collect();
    if addresses.is_empty() {
        return Err(ImapError::Dns {
            host: host.to_string(),
            detail: "no address".into(),
        });
    }
    let tcp = TcpStream::connect(&addresses[..])
        .await
        .map_err(|e| ImapError::Tcp {
            host: host.to_string(),
            port: settings.port,
            detail: e.to_string(),
        })?;
    let tls_error = |detail: String| ImapError::Tls {
        host: host.to_string(),
        detail,
    };
    let client = match settings.tls {
        TlsMode::Tls => {
            let stream: Stream = Box::new(tls::wrap(host, tcp).await.map_err(tls_error)?);
            let mut client = async_imap::Client::new(stream);
            greeting(&mut client).await?;
            client
        }
        TlsMode::StartTls => {
            let mut plain = async_imap::Client::new(tcp);
            greeting(&mut plain).await?;
            plain
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| tls_error(format!("STARTTLS was refused: {e}")))?;
            let tcp = plain.into_inner();
            let stream: Stream = Box::new(tls::wrap(host, tcp).await.map_err(tls_error)?);
            async_imap::Client::new(stream)
        }
        TlsMode::None => {
            let stream: Stream = Box::new(tcp);
            let mut client = async_imap::Client::new(stream);
            greeting(&mut client).await?;
            client
        }
    };
    let mut session = client
        .login(&settings.user, settings.password.expose_secret())
        .await
        .map_err(|(err, _)| match err {
            async_imap::error::Error::No(detail) | async_imap::error::Error::Bad(detail) => {
                ImapError::SignInRefused {
                    user: settings.user.clone(),
                    detail,
                }
            }
            other => protocol(other),
        })?;
    let capabilities = session.capabilities().await.map_err(protocol)?;
    let condstore = capabilities.has_str("CONDSTORE");
    Ok(ImapSession {
        session,
        condstore,
        commands: Arc::new(AtomicU64::new(3)),
        timeout: settings.timeout,
    })
}

async fn greeting<T: AsyncRead + AsyncWrite + Unpin + fmt::Debug + Send>(
    client: &mut async_imap::Client<T>,
) -> Result<(), ImapError> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(ImapError::Protocol(
            "the server closed the connection before greeting".into(),
        )),
        Err(e) => Err(ImapError::Protocol(e.to_string())),
    }
}

/// `SINCE` takes a day in this form.
fn imap_date(day: NaiveDate) -> String {
    day.format("%d-%b-%Y").to_string()
}

impl ImapSession {
    /// Commands sent so far on this connection (sign-in included).
    pub fn commands(&self) -> u64 {
        self.commands.load(Ordering::Relaxed)
    }

    /// Whether the server offers CONDSTORE (flag changes since a MODSEQ).
    pub fn condstore(&self) -> bool {
        self.condstore
    }

    fn count(&self) {
        self.commands.fetch_add(1, Ordering::Relaxed);
        // Unsolicited responses are not needed: what changed is asked for.
        while self.session.unsolicited_responses.try_recv().is_ok() {}
    }

    /// Every selectable folder, and the one marked `\Sent`.
    pub async fn folders(&mut self) -> Result<Folders, ImapError> {
        self.count();
        let limit = self.timeout;
        let names: Vec<_> = within(limit, async {
            self.session
                .list(Some(""), Some("*"))
                .await
                .map_err(protocol)?
                .try_collect::<Vec<_>>()
                .await
                .map_err(protocol)
        })
        .await?;
        let mut folders = Folders::default();
        for name in names {
            use async_imap::imap_proto::NameAttribute;
            if name.attributes().contains(&NameAttribute::NoSelect) {
                continue;
            }
            if folders.sent.is_none() && name.attributes().contains(&NameAttribute::Sent) {
                folders.sent = Some(name.name().to_string());
            }
            folders.all.push(name.name().to_string());
        }
        Ok(folders)
    }

    /// Selects `folder` (with CONDSTORE when offered).
    pub async fn select(&mut self, folder: &str) -> Result<FolderStatus, ImapError> {
        self.count();
        let limit = self.timeout;
        let condstore = self.condstore;
        let mailbox = within(limit, async {
            let selected = if condstore {
                self.session.select_condstore(folder).await
            } else {
                self.session.select(folder).await
            };
            selected.map_err(|e| match e {
                async_imap::error::Error::No(_) => ImapError::MissingFolder(folder.to_string()),
                other => protocol(other),
            })
        })
        .await?;
        Ok(FolderStatus {
            uid_validity: mailbox.uid_validity.ok_or_else(|| {
                ImapError::Protocol(format!("the folder '{folder}' has no UIDVALIDITY"))
            })?,
            uid_next: mailbox.uid_next,
            highest_modseq: mailbox.highest_modseq,
            exists: mailbox.exists,
        })
    }

    /// UIDs of the selected folder's messages received on or after `since`.
    pub async fn uids_since(&mut self, since: NaiveDate) -> Result<Vec<u32>, ImapError> {
        self.search(&format!("SINCE {}", imap_date(since))).await
    }

    /// Every UID in the selected folder.
    pub async fn all_uids(&mut self) -> Result<Vec<u32>, ImapError> {
        self.search("ALL").await
    }

    async fn search(&mut self, query: &str) -> Result<Vec<u32>, ImapError> {
        self.count();
        let limit = self.timeout;
        let found: HashSet<u32> = within(limit, async {
            self.session.uid_search(query).await.map_err(protocol)
        })
        .await?;
        let mut uids: Vec<u32> = found.into_iter().collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// UIDs, flags and sizes of the messages after `after` (the cursor).
    /// `UID FETCH n:*` answers with the last message even when its UID is
    /// below n, so those are dropped here.
    pub async fn new_since(&mut self, after: u32) -> Result<Vec<MessageMeta>, ImapError> {
        let range = format!("{}:*", after.saturating_add(1));
        let mut metas = self.meta(&range, "(UID FLAGS RFC822.SIZE)").await?;
        metas.retain(|m| m.uid > after);
        Ok(metas)
    }

    /// Seen flags of messages up to `through` that changed since `modseq`
    /// (CONDSTORE), or of all of them when the server cannot say.
    pub async fn flags(
        &mut self,
        through: u32,
        modseq: Option<u64>,
    ) -> Result<Vec<MessageMeta>, ImapError> {
        if through == 0 {
            return Ok(Vec::new());
        }
        let query = match modseq.filter(|_| self.condstore) {
            Some(modseq) => format!("(UID FLAGS RFC822.SIZE) (CHANGEDSINCE {modseq})"),
            None => "(UID FLAGS RFC822.SIZE)".to_string(),
        };
        let mut metas = self.meta(&format!("1:{through}"), &query).await?;
        metas.retain(|m| m.uid <= through);
        Ok(metas)
    }

    async fn meta(&mut self, range: &str, query: &str) -> Result<Vec<MessageMeta>, ImapError> {
        self.count();
        let limit = self.timeout;
        within(limit, async {
            let fetches: Vec<_> = self
                .session
                .uid_fetch(range, query)
                .await
                .map_err(protocol)?
                .try_collect()
                .await
                .map_err(protocol)?;
            let mut seen_uids = HashSet::new();
            Ok(fetches
                .iter()
                .filter(|f| f.uid.is_some_and(|uid| seen_uids.insert(uid)))
                .filter_map(|f| {
                    Some(MessageMeta {
                        uid: f.uid?,
                        seen: f.flags().any(|flag| flag == async_imap::types::Flag::Seen),
                        size: f.size.unwrap_or(0),
                    })
                })
                .collect())
        })
        .await
    }

    /// The raw messages with these UIDs (without setting `\Seen`).
    pub async fn fetch(&mut self, uids: &[u32]) -> Result<Vec<FetchedMessage>, ImapError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        self.count();
        let set = uids
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        // Large messages take longer than one step's limit.
        let limit = self.timeout * 4;
        let fetches: Vec<_> = within(limit, async {
            self.session
                .uid_fetch(&set, "(UID FLAGS INTERNALDATE BODY.PEEK[])")
                .await
                .map_err(protocol)?
                .try_collect()
                .await
                .map_err(protocol)
        })
        .await?;
        // A server may answer a UID twice (an unsolicited FETCH beside the
        // one asked for): each requested UID is kept once.
        let mut seen_uids = HashSet::new();
        Ok(fetches
            .iter()
            .filter(|f| f.uid.is_some_and(|uid| uids.contains(&uid)) && f.body().is_some())
            .filter(|f| f.uid.is_some_and(|uid| seen_uids.insert(uid)))
            .filter_map(|f| {
                Some(FetchedMessage {
                    uid: f.uid?,
                    seen: f.flags().any(|flag| flag == async_imap::types::Flag::Seen),
                    internal_date: f.internal_date().map(|d| d.with_timezone(&Utc)),
                    raw: f.body()?.to_vec(),
                })
            })
            .collect())
    }

    /// Sets or clears `\Seen` on a message of the selected folder.
    pub async fn set_seen(&mut self, uid: u32, seen: bool) -> Result<(), ImapError> {
        self.count();
        let limit = self.timeout;
        let change = if seen {
            "+FLAGS.SILENT"
        } else {
            "-FLAGS.SILENT"
        };
        within(limit, async {
            self.session
                .uid_store(uid.to_string(), format!("{change} (\\Seen)"))
                .await
                .map_err(protocol)?
                .try_collect::<Vec<_>>()
                .await
                .map_err(protocol)
        })
        .await?;
        Ok(())
    }

    /// Appends `raw` to `folder`, marked seen (a message staff sent).
    pub async fn append_seen(&mut self, folder: &str, raw: &[u8]) -> Result<(), ImapError> {
        self.count();
        let limit = self.timeout;
        within(limit, async {
            self.session
                .append(folder, Some("(\\Seen)"), None, raw)
                .await
                .map_err(|e| match e {
                    async_imap::error::Error::No(_) => ImapError::MissingFolder(folder.into()),
                    other => protocol(other),
                })
        })
        .await
    }

    /// Appends `raw` to `folder` unless a message with `message_id` is
    /// there already: a retried append never leaves a second copy.
    pub async fn append_once(
        &mut self,
        folder: &str,
        message_id: &str,
        raw: &[u8],
    ) -> Result<bool, ImapError> {
        if message_id.contains(['"', '\\', '\r', '\n']) {
            return Err(ImapError::Protocol(
                "the Message-ID cannot be searched for".into(),
            ));
        }
        self.select(folder).await?;
        let found = self
            .search(&format!("HEADER Message-ID \"<{message_id}>\""))
            .await?;
        if !found.is_empty() {
            return Ok(false);
        }
        self.append_seen(folder, raw).await?;
        Ok(true)
    }

    /// Signs out politely; a failure here changes nothing.
    pub async fn logout(mut self) {
        let limit = self.timeout;
        let _ = tokio::time::timeout(limit, self.session.logout()).await;
    }
}

/// Folder names on the wire are modified UTF-7 (RFC 3501); people read UTF-8.
pub fn folder_display_name(wire: &str) -> String {
    utf7_imap::decode_utf7_imap(wire.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_decode_from_modified_utf7() {
        assert_eq!(folder_display_name("Entw&APw-rfe"), "Entwürfe");
        assert_eq!(folder_display_name("INBOX"), "INBOX");
    }

    #[test]
    fn since_dates_use_the_imap_form() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
        assert_eq!(imap_date(day), "04-Mar-2026");
    }

    #[test]
    fn settings_never_print_the_password() {
        let settings = ImapSettings {
            host: "imap.example.com".into(),
            port: 993,
            tls: TlsMode::Tls,
            user: "desk".into(),
            password: SecretString::from("hunter2-secret"),
            timeout: Duration::from_secs(5),
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
