//! The inbox's values: how a mailbox connects, the states of its sync, the
//! conversations and messages staff read, and the subject rules of
//! threading and replying. Parsed the same way in the form and on the server.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::account::Email;

/// How the connection to a mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "server",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "lowercase")
)]
pub enum TlsMode {
    /// TLS from the first byte (IMAP port 993).
    Tls,
    /// Plain first, then STARTTLS (IMAP port 143).
    StartTls,
    /// No encryption: only to a server on this machine, for development.
    None,
}

impl TlsMode {
    pub const ALL: [TlsMode; 3] = [TlsMode::Tls, TlsMode::StartTls, TlsMode::None];

    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Tls => "tls",
            TlsMode::StartTls => "starttls",
            TlsMode::None => "none",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            TlsMode::Tls => "TLS",
            TlsMode::StartTls => "STARTTLS",
            TlsMode::None => "None (this machine only)",
        }
    }

    /// How a saved connection is described beside its server.
    pub fn describe(self) -> &'static str {
        match self {
            TlsMode::Tls => "TLS",
            TlsMode::StartTls => "STARTTLS",
            TlsMode::None => "no encryption",
        }
    }

    /// The usual IMAP port for this mode.
    pub fn imap_port(self) -> u16 {
        match self {
            TlsMode::Tls => 993,
            TlsMode::StartTls | TlsMode::None => 143,
        }
    }

    /// The usual SMTP submission port for this mode.
    pub fn smtp_port(self) -> u16 {
        match self {
            TlsMode::Tls => 465,
            TlsMode::StartTls => 587,
            TlsMode::None => 25,
        }
    }
}

/// Where a mailbox's sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "server",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum MailboxState {
    /// Connected, not synced yet.
    New,
    Syncing,
    InSync,
    /// The last run failed; the next one retries by itself.
    Failing,
    /// The server refused the password: no retries until it is changed.
    SignInRefused,
    Disabled,
}

impl MailboxState {
    pub const ALL: [MailboxState; 6] = [
        MailboxState::New,
        MailboxState::Syncing,
        MailboxState::InSync,
        MailboxState::Failing,
        MailboxState::SignInRefused,
        MailboxState::Disabled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailboxState::New => "new",
            MailboxState::Syncing => "syncing",
            MailboxState::InSync => "in_sync",
            MailboxState::Failing => "failing",
            MailboxState::SignInRefused => "sign_in_refused",
            MailboxState::Disabled => "disabled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MailboxState::New => "Waiting for its first sync",
            MailboxState::Syncing => "Syncing",
            MailboxState::InSync => "In sync",
            MailboxState::Failing => "Failing",
            MailboxState::SignInRefused => "Sign-in refused",
            MailboxState::Disabled => "Disabled",
        }
    }

    /// Staff should look: the inbox shows a banner.
    pub fn is_trouble(self) -> bool {
        matches!(self, MailboxState::Failing | MailboxState::SignInRefused)
    }
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "server",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::In, Direction::Out];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// A message staff wrote, on its way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "server",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum SendState {
    Queued,
    Sent,
    Failed,
}

impl SendState {
    pub const ALL: [SendState; 3] = [SendState::Queued, SendState::Sent, SendState::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            SendState::Queued => "queued",
            SendState::Sent => "sent",
            SendState::Failed => "failed",
        }
    }
}

/// Prefixes mail programs put before a subject when replying or forwarding
/// (English, German, Nordic, French, Spanish, Dutch).
const PREFIXES: [&str; 9] = ["re", "fwd", "fw", "aw", "wg", "sv", "vs", "tr", "antw"];

/// The subject without its reply and forward prefixes (`Re: AW: Fwd[2]:`),
/// lower case: what mail without threading headers is matched by.
pub fn subject_key(subject: &str) -> String {
    let mut rest = subject.trim();
    while let Some((head, tail)) = rest.split_once(':') {
        // "Re[2]" and "Re" both count; "Meeting" does not.
        let word = head.trim().split('[').next().unwrap_or("").trim();
        if !PREFIXES.iter().any(|p| word.eq_ignore_ascii_case(p)) {
            break;
        }
        rest = tail.trim_start();
    }
    rest.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The subject of a reply: "Re: " once, however many prefixes it had.
pub fn reply_subject(subject: &str) -> String {
    let trimmed = subject.trim();
    let mut rest = trimmed;
    while let Some((head, tail)) = rest.split_once(':') {
        let word = head.trim().split('[').next().unwrap_or("").trim();
        if word.eq_ignore_ascii_case("re") || word.eq_ignore_ascii_case("aw") {
            rest = tail.trim_start();
        } else {
            break;
        }
    }
    if rest.is_empty() {
        "Re: (no subject)".into()
    } else {
        format!("Re: {rest}")
    }
}

/// Whether `host` is this machine (the only place unencrypted IMAP may go).
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A mailbox's settings as staff enter them. The password is optional when
/// editing: empty keeps the stored one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MailboxInput {
    pub name: String,
    pub imap_host: String,
    pub imap_port: String,
    pub imap_tls: String,
    pub imap_user: String,
    pub password: String,
    pub from_address: String,
    pub from_name: String,
    pub import_days: String,
    /// Extra folders to sync beside the inbox and sent folders, one per line.
    pub folders: String,
    /// Empty: mail is sent through this site's SMTP server.
    pub smtp_host: String,
    pub smtp_port: String,
    pub smtp_tls: String,
    /// Empty: the SMTP server takes mail without signing in.
    pub smtp_user: String,
    pub smtp_password: String,
}

impl MailboxView {
    /// The form's values for this mailbox (the password stays empty: kept).
    pub fn input(&self) -> MailboxInput {
        MailboxInput {
            name: self.name.clone(),
            imap_host: self.imap_host.clone(),
            imap_port: self.imap_port.to_string(),
            imap_tls: self.imap_tls.as_str().into(),
            imap_user: self.imap_user.clone(),
            password: String::new(),
            from_address: self.from_address.clone(),
            from_name: self.from_name.clone().unwrap_or_default(),
            import_days: self.import_days.to_string(),
            folders: self.folders.join("\n"),
            smtp_host: self.smtp_host.clone().unwrap_or_default(),
            smtp_port: self.smtp_port.map(|p| p.to_string()).unwrap_or_default(),
            smtp_tls: self.smtp_tls.unwrap_or(TlsMode::StartTls).as_str().into(),
            smtp_user: self.smtp_user.clone().unwrap_or_default(),
            smtp_password: String::new(),
        }
    }
}

/// Valid mailbox settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxSettings {
    pub name: String,
    pub imap_host: String,
    pub imap_port: u16,
    pub imap_tls: TlsMode,
    pub imap_user: String,
    pub password: Option<String>,
    pub from_address: Email,
    pub from_name: Option<String>,
    pub import_days: u16,
    pub folders: Vec<String>,
    /// `None`: send through this site's SMTP server.
    pub smtp: Option<SmtpSettings>,
}

/// A mailbox's own SMTP server. Without a user it takes mail without
/// signing in; without a password (when editing) the stored one is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    pub password: Option<String>,
}

/// Each problem names its field, as the form shows it.
pub type FieldProblems = Vec<(&'static str, String)>;

/// The names of one server's fields in the form.
struct ServerFields {
    host: &'static str,
    tls: &'static str,
    port: &'static str,
    /// What the server is for, in the host's hint.
    kind: &'static str,
    usual_port: fn(TlsMode) -> u16,
}

const IMAP_FIELDS: ServerFields = ServerFields {
    host: "imap_host",
    tls: "imap_tls",
    port: "imap_port",
    kind: "IMAP",
    usual_port: TlsMode::imap_port,
};

const SMTP_FIELDS: ServerFields = ServerFields {
    host: "smtp_host",
    tls: "smtp_tls",
    port: "smtp_port",
    kind: "SMTP",
    usual_port: TlsMode::smtp_port,
};

/// A server's host, security and port, or the problems with them.
fn parse_server(
    fields: &ServerFields,
    host: &str,
    tls: &str,
    port: &str,
    problems: &mut FieldProblems,
) -> Option<(String, TlsMode, u16)> {
    let host = host.trim().to_lowercase();
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !host_ok {
        problems.push((
            fields.host,
            format!(
                "enter the {} server's name, such as {}.example.com",
                fields.kind,
                fields.kind.to_lowercase()
            ),
        ));
    }
    let tls = TlsMode::parse(tls);
    match tls {
        None => problems.push((fields.tls, "choose TLS, STARTTLS or none".into())),
        Some(TlsMode::None) if host_ok && !is_loopback_host(&host) => problems.push((
            fields.tls,
            "a connection without encryption is only allowed to this machine (localhost); choose TLS or STARTTLS".into(),
        )),
        _ => {}
    }
    let port = match port.trim() {
        "" => tls.map(fields.usual_port),
        text => text.parse::<u16>().ok().filter(|p| *p > 0),
    };
    if port.is_none() && tls.is_some() {
        problems.push((fields.port, "a port is a number from 1 to 65535".into()));
    }
    match (host_ok, tls, port) {
        (true, Some(tls), Some(port)) => Some((host, tls, port)),
        _ => None,
    }
}

impl MailboxInput {
    /// `new` requires a password (nothing is stored yet).
    pub fn parse(&self, new: bool) -> Result<MailboxSettings, FieldProblems> {
        let mut problems: FieldProblems = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            problems.push((
                "name",
                "give the mailbox a name of 1 to 100 characters".into(),
            ));
        }
        let imap = parse_server(
            &IMAP_FIELDS,
            &self.imap_host,
            &self.imap_tls,
            &self.imap_port,
            &mut problems,
        );
        let user = self.imap_user.trim();
        if user.is_empty() || user.len() > 254 {
            problems.push(("imap_user", "enter the user name the server expects".into()));
        }
        let password = (!self.password.is_empty()).then(|| self.password.clone());
        if new && password.is_none() {
            problems.push(("password", "enter the mailbox's password".into()));
        }
        if password.as_ref().is_some_and(|p| p.len() > 1000) {
            problems.push(("password", "a password has at most 1000 characters".into()));
        }
        let from_address = match Email::parse(&self.from_address) {
            Ok(email) => Some(email),
            Err(e) => {
                problems.push(("from_address", e.to_string()));
                None
            }
        };
        let from_name = self.from_name.trim();
        if from_name.chars().count() > 100 || from_name.contains(['\r', '\n']) {
            problems.push((
                "from_name",
                "a sender name has at most 100 characters".into(),
            ));
        }
        let import_days = match self.import_days.trim() {
            "" => Some(30),
            text => text.parse::<u16>().ok().filter(|d| (1..=3650).contains(d)),
        };
        if import_days.is_none() {
            problems.push((
                "import_days",
                "import between 1 and 3650 days of mail".into(),
            ));
        }
        let folders: Vec<String> = self
            .folders
            .lines()
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect();
        if folders.iter().any(|f| f.len() > 500 || f.contains('"')) || folders.len() > 20 {
            problems.push((
                "folders",
                "list up to 20 folder names, one per line, without quotes".into(),
            ));
        }
        let smtp = self.parse_smtp(new, &mut problems);
        match (problems.is_empty(), imap, from_address, import_days) {
            (true, Some((host, tls, port)), Some(from_address), Some(import_days)) => {
                Ok(MailboxSettings {
                    name: name.to_string(),
                    imap_host: host,
                    imap_port: port,
                    imap_tls: tls,
                    imap_user: user.to_string(),
                    password,
                    from_address,
                    from_name: (!from_name.is_empty()).then(|| from_name.to_string()),
                    import_days,
                    folders,
                    smtp,
                })
            }
            _ => Err(problems),
        }
    }

    /// The mailbox's own SMTP server, when a host is given.
    fn parse_smtp(&self, new: bool, problems: &mut FieldProblems) -> Option<SmtpSettings> {
        if self.smtp_host.trim().is_empty() {
            return None;
        }
        let server = parse_server(
            &SMTP_FIELDS,
            &self.smtp_host,
            &self.smtp_tls,
            &self.smtp_port,
            problems,
        );
        let user = self.smtp_user.trim();
        if user.len() > 254 {
            problems.push(("smtp_user", "a user name has at most 254 characters".into()));
        }
        let password = (!self.smtp_password.is_empty()).then(|| self.smtp_password.clone());
        if new && !user.is_empty() && password.is_none() {
            problems.push(("smtp_password", "enter the SMTP server's password".into()));
        }
        if password.as_ref().is_some_and(|p| p.len() > 1000) {
            problems.push((
                "smtp_password",
                "a password has at most 1000 characters".into(),
            ));
        }
        let (host, tls, port) = server?;
        Some(SmtpSettings {
            host,
            port,
            tls,
            user: (!user.is_empty()).then(|| user.to_string()),
            password,
        })
    }
}

/// A mailbox as staff see it in settings: never its password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MailboxView {
    pub id: Uuid,
    pub name: String,
    pub imap_host: String,
    pub imap_port: i32,
    pub imap_tls: TlsMode,
    pub imap_user: String,
    pub from_address: String,
    pub from_name: Option<String>,
    pub import_days: i32,
    pub folders: Vec<String>,
    pub sent_folder: Option<String>,
    /// The mailbox's own SMTP server; `None`: this site's.
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i32>,
    pub smtp_tls: Option<TlsMode>,
    pub smtp_user: Option<String>,
    pub state: MailboxState,
    pub last_synced_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Messages the sync could not take and that wait for a retry.
    pub open_failures: i64,
}

/// A message the sync could not take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SyncFailureView {
    pub id: Uuid,
    pub folder: String,
    pub uid: i64,
    pub error: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

/// One line of the conversation list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ConversationSummary {
    pub id: Uuid,
    pub mailbox_id: Uuid,
    pub subject: String,
    pub correspondent: String,
    pub client_id: Option<Uuid>,
    pub client_name: Option<String>,
    pub last_message_at: DateTime<Utc>,
    pub messages: i64,
    pub unread: i64,
    /// The start of the last message's text.
    pub snippet: String,
    pub archived: bool,
    /// Who on the team looks after it.
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
}

/// A conversation another can be merged into: same mailbox, same client
/// or correspondent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeChoice {
    pub id: Uuid,
    pub subject: String,
    pub last_message_at: DateTime<Utc>,
    pub messages: i64,
}

/// A file that came with a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AttachmentView {
    pub id: Uuid,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub inline: bool,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MessageView {
    pub id: Uuid,
    pub direction: Direction,
    pub from_address: String,
    pub from_name: Option<String>,
    pub to_addresses: Vec<String>,
    pub cc_addresses: Vec<String>,
    pub subject: String,
    pub sent_at: DateTime<Utc>,
    pub body_text: String,
    pub has_html: bool,
    pub seen: bool,
    pub send_state: Option<SendState>,
    pub send_error: Option<String>,
    /// Removed from the mailbox on the server (kept here).
    pub expunged: bool,
    pub attachments: Vec<AttachmentView>,
}

/// A conversation with its messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ConversationView {
    pub summary: ConversationSummary,
    pub mailbox_name: String,
    pub messages: Vec<MessageView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_keys_drop_reply_and_forward_prefixes() {
        assert_eq!(subject_key("Re: AW: Fwd: Your  visit"), "your visit");
        assert_eq!(subject_key("RE[2]: Your visit"), "your visit");
        assert_eq!(subject_key("Meeting: Tuesday"), "meeting: tuesday");
        assert_eq!(subject_key(""), "");
    }

    #[test]
    fn replies_get_re_once() {
        assert_eq!(reply_subject("Your visit"), "Re: Your visit");
        assert_eq!(reply_subject("Re: Re: Your visit"), "Re: Your visit");
        assert_eq!(reply_subject("AW: Your visit"), "Re: Your visit");
        assert_eq!(reply_subject(""), "Re: (no subject)");
    }

    fn input() -> MailboxInput {
        MailboxInput {
            name: "Front desk".into(),
            imap_host: "imap.example.com".into(),
            imap_port: "".into(),
            imap_tls: "tls".into(),
            imap_user: "desk@example.com".into(),
            password: "secret".into(),
            from_address: "desk@example.com".into(),
            from_name: "".into(),
            import_days: "".into(),
            folders: "".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_mailbox_may_send_through_its_own_smtp_server() {
        assert_eq!(input().parse(true).unwrap().smtp, None);
        let own = MailboxInput {
            smtp_host: "SMTP.example.com".into(),
            smtp_tls: "starttls".into(),
            smtp_user: "desk@example.com".into(),
            smtp_password: "smtp-secret".into(),
            ..input()
        };
        let smtp = own.parse(true).unwrap().smtp.unwrap();
        assert_eq!(smtp.host, "smtp.example.com");
        assert_eq!(smtp.port, 587);
        assert_eq!(smtp.user.as_deref(), Some("desk@example.com"));
        // A user needs a password when nothing is stored yet, not when editing.
        let without = MailboxInput {
            smtp_password: "".into(),
            ..own.clone()
        };
        assert_eq!(without.parse(true).unwrap_err()[0].0, "smtp_password");
        assert_eq!(without.parse(false).unwrap().smtp.unwrap().password, None);
        // The same rules as IMAP, named by the SMTP fields.
        let plain = MailboxInput {
            smtp_tls: "none".into(),
            smtp_port: "0".into(),
            ..own
        };
        let fields: Vec<_> = plain
            .parse(true)
            .unwrap_err()
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(fields, ["smtp_tls", "smtp_port"]);
    }

    #[test]
    fn settings_take_the_usual_port_and_defaults() {
        let settings = input().parse(true).unwrap();
        assert_eq!(settings.imap_port, 993);
        assert_eq!(settings.import_days, 30);
        assert_eq!(settings.password.as_deref(), Some("secret"));
    }

    #[test]
    fn plain_imap_is_only_for_this_machine() {
        let mut plain = input();
        plain.imap_tls = "none".into();
        let problems = plain.parse(true).unwrap_err();
        assert_eq!(problems[0].0, "imap_tls");
        plain.imap_host = "127.0.0.1".into();
        assert_eq!(plain.parse(true).unwrap().imap_port, 143);
    }

    #[test]
    fn every_problem_names_its_field() {
        let bad = MailboxInput {
            imap_port: "99999".into(),
            password: "".into(),
            from_address: "nope".into(),
            import_days: "0".into(),
            ..input()
        };
        let fields: Vec<_> = bad
            .parse(true)
            .unwrap_err()
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(
            fields,
            ["imap_port", "password", "from_address", "import_days"]
        );
        // Editing keeps the stored password.
        let edit = MailboxInput {
            password: "".into(),
            ..input()
        };
        assert_eq!(edit.parse(false).unwrap().password, None);
    }
}
