//! Settings > Mailboxes: connecting a business's mailboxes, checking them,
//! and asking for a sync. Owners and admins only. The password is sealed
//! with `ENCRYPTION_KEY` before it is stored and only the system path reads
//! it back (the app role has no SELECT on the column).

use secrecy::SecretString;
use uuid::Uuid;

use super::sync::{self, SyncMailbox};
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    domain::{
        form::FieldErrors,
        inbox::{
            MailboxInput, MailboxSettings, MailboxState, MailboxView, SyncFailureView, TlsMode,
        },
        roles::{Action, Permission, RecordKind},
    },
    error::AppError,
    imap::{self, ImapSettings},
    jobs::NewJob,
    mail::relay::Relay,
    services::Deps,
};

const MANAGE: Permission = Permission::ManageSettings;

fn invalid(problems: Vec<(&'static str, String)>) -> AppError {
    let mut errors = FieldErrors::new();
    for (field, message) in problems {
        errors.add(field, message);
    }
    AppError::Invalid(errors)
}

/// Every mailbox of the business with its sync health. Everyone who reads
/// messages sees them (the inbox's banner); only owners and admins edit.
pub async fn list(deps: &Deps, who: &impl Principal) -> Result<Vec<MailboxView>, AppError> {
    let mut read = deps
        .read(who, Permission::Record(RecordKind::Message, Action::Read))
        .await?;
    let rows = sqlx::query_as!(
        MailboxView,
        r#"SELECT m.id, m.name, m.imap_host, m.imap_port, m.imap_tls AS "imap_tls: TlsMode",
                  m.imap_user, m.from_address::text AS "from_address!", m.from_name, m.import_days,
                  m.folders, m.sent_folder, m.smtp_host, m.smtp_port, m.smtp_tls AS "smtp_tls: TlsMode",
                  m.smtp_user, m.state AS "state: MailboxState",
                  m.last_synced_at AS "last_synced_at: chrono::DateTime<chrono::Utc>", m.last_error,
                  (SELECT count(*) FROM mail_sync_failures f
                    WHERE f.mailbox_id = m.id AND f.resolved_at IS NULL) AS "open_failures!"
           FROM mailboxes m WHERE m.tenant_id = $1 ORDER BY m.name, m.id"#,
        who.tenant_id(),
    )
    .fetch_all(read.conn())
    .await?;
    Ok(rows)
}

/// One mailbox.
pub async fn get(deps: &Deps, who: &impl Principal, id: Uuid) -> Result<MailboxView, AppError> {
    list(deps, who)
        .await?
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| AppError::NotFound("no such mailbox".into()))
}

/// Connects a new mailbox and asks for its first sync.
pub async fn create(
    deps: &Deps,
    who: &impl Principal,
    input: &MailboxInput,
    origin: &Origin,
) -> Result<MailboxView, AppError> {
    who.require(MANAGE)?;
    let settings = input.parse(true).map_err(invalid)?;
    let key = &deps.config.auth.encryption_key;
    let password = settings.password.as_deref().unwrap_or_default();
    let sealed = key.seal(password.as_bytes());
    let smtp = SmtpColumns::of(&settings, key);
    let id = Uuid::now_v7();
    let mut work = deps.work(who, MANAGE, origin).await?;
    let inserted = sqlx::query!(
        "INSERT INTO mailboxes (id, tenant_id, name, imap_host, imap_port, imap_tls, imap_user,
                                password_sealed, password_key_id, folders, from_address, from_name, import_days,
                                smtp_host, smtp_port, smtp_tls, smtp_user, smtp_password_sealed, smtp_password_key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
         ON CONFLICT (tenant_id, from_address) DO NOTHING",
        id,
        who.tenant_id(),
        settings.name,
        settings.imap_host,
        i32::from(settings.imap_port),
        settings.imap_tls as TlsMode,
        settings.imap_user,
        sealed,
        key.id(),
        &settings.folders,
        settings.from_address.as_str() as _,
        settings.from_name,
        i32::from(settings.import_days),
        smtp.host,
        smtp.port,
        smtp.tls as Option<TlsMode>,
        smtp.user,
        smtp.password_sealed,
        smtp.password_key_id,
    )
    .execute(work.conn())
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(AppError::field(
            "from_address",
            "another mailbox of this business sends from this address",
        ));
    }
    work.audit(Entry {
        action: "mailbox.connect",
        entity_type: "mailbox",
        entity_id: Some(id),
        changes: describe(None, &settings),
    })
    .await?;
    sync::enqueue(&mut work, who.tenant_id(), id).await?;
    work.commit().await?;
    get(deps, who, id).await
}

fn describe(old: Option<&MailboxView>, new: &MailboxSettings) -> Changes {
    Changes::new()
        .field("name", old.map(|o| o.name.clone()), Some(new.name.clone()))
        .field(
            "imap_host",
            old.map(|o| o.imap_host.clone()),
            Some(new.imap_host.clone()),
        )
        .field(
            "imap_port",
            old.map(|o| o.imap_port),
            Some(i32::from(new.imap_port)),
        )
        .field(
            "imap_tls",
            old.map(|o| o.imap_tls.as_str()),
            Some(new.imap_tls.as_str()),
        )
        .field(
            "imap_user",
            old.map(|o| o.imap_user.clone()),
            Some(new.imap_user.clone()),
        )
        .field(
            "from_address",
            old.map(|o| o.from_address.to_lowercase()),
            Some(new.from_address.as_str().to_lowercase()),
        )
        .field(
            "import_days",
            old.map(|o| o.import_days),
            Some(i32::from(new.import_days)),
        )
        .field(
            "folders",
            old.map(|o| o.folders.clone()),
            Some(new.folders.clone()),
        )
        .field(
            "smtp_host",
            old.and_then(|o| o.smtp_host.clone()),
            new.smtp.as_ref().map(|s| s.host.clone()),
        )
        .field(
            "smtp_port",
            old.and_then(|o| o.smtp_port),
            new.smtp.as_ref().map(|s| i32::from(s.port)),
        )
        .field(
            "smtp_user",
            old.and_then(|o| o.smtp_user.clone()),
            new.smtp.as_ref().and_then(|s| s.user.clone()),
        )
        // Only whether it changed: the audit log redacts password fields.
        .field(
            "password",
            old.map(|_| false),
            Some(new.password.is_some() || old.is_none()),
        )
        .field(
            "smtp_password",
            old.map(|_| false),
            Some(new.smtp.as_ref().is_some_and(|s| s.password.is_some())),
        )
}

/// The SMTP columns of a mailbox as saved: the password sealed, and
/// whether a stored one is kept (an edit that leaves it empty).
struct SmtpColumns {
    host: Option<String>,
    port: Option<i32>,
    tls: Option<TlsMode>,
    user: Option<String>,
    password_sealed: Option<Vec<u8>>,
    password_key_id: Option<String>,
    keep_password: bool,
}

impl SmtpColumns {
    fn of(settings: &MailboxSettings, key: &crate::auth::sealed::SealingKey) -> Self {
        let smtp = settings.smtp.as_ref();
        let password = smtp.and_then(|s| s.user.as_ref().and(s.password.as_ref()));
        SmtpColumns {
            host: smtp.map(|s| s.host.clone()),
            port: smtp.map(|s| i32::from(s.port)),
            tls: smtp.map(|s| s.tls),
            user: smtp.and_then(|s| s.user.clone()),
            password_sealed: password.map(|p| key.seal(p.as_bytes())),
            password_key_id: password.map(|_| key.id().to_string()),
            keep_password: smtp.is_some_and(|s| s.user.is_some() && s.password.is_none()),
        }
    }
}

/// Changes a mailbox's settings. A new password ends "sign-in refused" and
/// asks for a sync at once.
pub async fn update(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    input: &MailboxInput,
    origin: &Origin,
) -> Result<MailboxView, AppError> {
    who.require(MANAGE)?;
    let settings = input.parse(false).map_err(invalid)?;
    let old = get(deps, who, id).await?;
    let key = &deps.config.auth.encryption_key;
    let sealed = settings.password.as_ref().map(|p| key.seal(p.as_bytes()));
    let smtp = SmtpColumns::of(&settings, key);
    let mut work = deps.work(who, MANAGE, origin).await?;
    if smtp.keep_password {
        let stored = sqlx::query_scalar!(
            "SELECT smtp_password_key_id IS NOT NULL FROM mailboxes WHERE id = $1 AND tenant_id = $2",
            id,
            who.tenant_id(),
        )
        .fetch_one(work.conn())
        .await?;
        if stored != Some(true) {
            return Err(AppError::field(
                "smtp_password",
                "enter the SMTP server's password",
            ));
        }
    }
    let changed = sqlx::query!(
        "UPDATE mailboxes SET name = $3, imap_host = $4, imap_port = $5, imap_tls = $6, imap_user = $7,
                folders = $8, from_address = $9, from_name = $10, import_days = $11,
                smtp_host = $12, smtp_port = $13, smtp_tls = $14, smtp_user = $15,
                state = CASE WHEN state IN ('sign_in_refused', 'failing') THEN 'new' ELSE state END,
                failures = 0, updated_at = now()
         WHERE id = $1 AND tenant_id = $2",
        id,
        who.tenant_id(),
        settings.name,
        settings.imap_host,
        i32::from(settings.imap_port),
        settings.imap_tls as TlsMode,
        settings.imap_user,
        &settings.folders,
        settings.from_address.as_str() as _,
        settings.from_name,
        i32::from(settings.import_days),
        smtp.host,
        smtp.port,
        smtp.tls as Option<TlsMode>,
        smtp.user,
    )
    .execute(work.conn())
    .await;
    match changed {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(AppError::field(
                "from_address",
                "another mailbox of this business sends from this address",
            ))
        }
        other => other?,
    };
    // Written only, never read back here: the app role cannot read the column.
    if let Some(sealed) = sealed {
        sqlx::query!(
            "UPDATE mailboxes SET password_sealed = $3, password_key_id = $4 WHERE id = $1 AND tenant_id = $2",
            id,
            who.tenant_id(),
            sealed,
            key.id(),
        )
        .execute(work.conn())
        .await?;
    }
    // A new SMTP password, or none any more (no own server, or no sign-in).
    if !smtp.keep_password {
        sqlx::query!(
            "UPDATE mailboxes SET smtp_password_sealed = $3, smtp_password_key_id = $4
             WHERE id = $1 AND tenant_id = $2",
            id,
            who.tenant_id(),
            smtp.password_sealed,
            smtp.password_key_id,
        )
        .execute(work.conn())
        .await?;
    }
    work.audit(Entry {
        action: "mailbox.update",
        entity_type: "mailbox",
        entity_id: Some(id),
        changes: describe(Some(&old), &settings),
    })
    .await?;
    sync::enqueue(&mut work, who.tenant_id(), id).await?;
    work.commit().await?;
    get(deps, who, id).await
}

/// Disconnects a mailbox; its conversations and messages go with it.
pub async fn delete(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    let old = get(deps, who, id).await?;
    let mut work = deps.work(who, MANAGE, origin).await?;
    // Messages first: conversations are referenced by them.
    sqlx::query!("DELETE FROM mail_messages WHERE mailbox_id = $1", id)
        .execute(work.conn())
        .await?;
    sqlx::query!(
        "DELETE FROM mailboxes WHERE id = $1 AND tenant_id = $2",
        id,
        who.tenant_id()
    )
    .execute(work.conn())
    .await?;
    work.audit(Entry {
        action: "mailbox.disconnect",
        entity_type: "mailbox",
        entity_id: Some(id),
        changes: Changes::new().field("name", Some(old.name), None),
    })
    .await?;
    work.commit().await
}

/// "Sync now": one sync job at once (none when one already waits).
pub async fn sync_now(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    let permission = Permission::Record(RecordKind::Message, Action::Update);
    get(deps, who, id).await?;
    let mut work = deps.work(who, permission, origin).await?;
    work.audit(Entry {
        action: "mailbox.sync_now",
        entity_type: "mailbox",
        entity_id: Some(id),
        changes: Changes::new(),
    })
    .await?;
    sync::enqueue(&mut work, who.tenant_id(), id).await?;
    work.commit().await
}

/// "Retry": a sync that also fetches again the messages earlier runs could
/// not take (one at a time per mailbox, beside the scheduled syncs).
pub async fn retry_failures(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
    origin: &Origin,
) -> Result<(), AppError> {
    let permission = Permission::Record(RecordKind::Message, Action::Update);
    let open = get(deps, who, id).await?.open_failures;
    let mut work = deps.work(who, permission, origin).await?;
    work.audit(Entry {
        action: "mailbox.retry_failures",
        entity_type: "mailbox",
        entity_id: Some(id),
        changes: Changes::new().field("open_failures", None, Some(open)),
    })
    .await?;
    work.enqueue(
        NewJob::new(SyncMailbox {
            mailbox_id: id,
            retry_failures: true,
        })
        .for_business(who.tenant_id())
        .dedupe(format!("mailbox-retry:{id}")),
    )
    .await?;
    work.commit().await
}

/// The messages a sync could not take and that wait for a retry.
pub async fn failures(
    deps: &Deps,
    who: &impl Principal,
    id: Uuid,
) -> Result<Vec<SyncFailureView>, AppError> {
    let mut read = deps
        .read(who, Permission::Record(RecordKind::Message, Action::Read))
        .await?;
    let rows = sqlx::query_as!(
        SyncFailureView,
        r#"SELECT id, folder, uid, error, attempts,
                  created_at AS "created_at: chrono::DateTime<chrono::Utc>"
           FROM mail_sync_failures
           WHERE mailbox_id = $1 AND tenant_id = $2 AND resolved_at IS NULL
           ORDER BY created_at, uid"#,
        id,
        who.tenant_id(),
    )
    .fetch_all(read.conn())
    .await?;
    // Folder names as staff read them, not as the server spells them.
    Ok(rows
        .into_iter()
        .map(|f| SyncFailureView {
            folder: imap::folder_display_name(&f.folder),
            ..f
        })
        .collect())
}

/// What "Test connection" found: each step that passed, or the one that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionReport {
    pub folders: Vec<String>,
    pub sent_folder: Option<String>,
    /// The mailbox's own SMTP server (`host:port`) that was checked; `None`:
    /// mail goes through the site's.
    pub smtp: Option<String>,
}

/// Signs in with `input` (or the stored passwords where it leaves them
/// empty), checks that the folders exist and that the SMTP server takes
/// the sign-in, saying exactly what failed.
pub async fn test_connection(
    deps: &Deps,
    who: &impl Principal,
    existing: Option<Uuid>,
    input: &MailboxInput,
) -> Result<ConnectionReport, AppError> {
    who.require(MANAGE)?;
    let settings = input.parse(existing.is_none()).map_err(invalid)?;
    if let Some(id) = existing {
        get(deps, who, id).await?;
    }
    let password = match (&settings.password, existing) {
        (Some(p), _) => SecretString::from(p.clone()),
        (None, Some(id)) => sync::stored_password(deps, who.tenant_id(), id).await?,
        (None, None) => return Err(AppError::field("password", "enter the mailbox's password")),
    };
    let imap = ImapSettings {
        host: settings.imap_host.clone(),
        port: settings.imap_port,
        tls: settings.imap_tls,
        user: settings.imap_user.clone(),
        password,
        timeout: deps.config.inbox.timeout,
    };
    let failed = |e: imap::ImapError| AppError::Unprocessable(format!("Test failed: {e}"));
    let mut session = imap::connect(&imap).await.map_err(failed)?;
    let folders = session.folders().await.map_err(failed)?;
    for wanted in &settings.folders {
        if !folders.all.contains(wanted) {
            return Err(failed(imap::ImapError::MissingFolder(wanted.clone())));
        }
    }
    session.logout().await;
    let smtp = match &settings.smtp {
        None => None,
        Some(smtp) => {
            let credentials = match (&smtp.user, &smtp.password, existing) {
                (None, _, _) => None,
                (Some(user), Some(p), _) => Some((user.clone(), SecretString::from(p.clone()))),
                (Some(user), None, Some(id)) => {
                    let stored = sync::relay(deps, who.tenant_id(), id)
                        .await?
                        .and_then(|r| r.credentials)
                        .ok_or_else(|| {
                            AppError::field("smtp_password", "enter the SMTP server's password")
                        })?;
                    Some((user.clone(), stored.1))
                }
                (Some(_), None, None) => {
                    return Err(AppError::field(
                        "smtp_password",
                        "enter the SMTP server's password",
                    ))
                }
            };
            let relay = Relay {
                host: smtp.host.clone(),
                port: smtp.port,
                tls: smtp.tls,
                credentials,
                timeout: deps.config.mail.smtp_timeout,
            };
            relay
                .check()
                .await
                .map_err(|e| AppError::Unprocessable(format!("Test failed: {e}")))?;
            Some(format!("{}:{}", smtp.host, smtp.port))
        }
    };
    Ok(ConnectionReport {
        sent_folder: folders.sent.clone(),
        folders: folders.all,
        smtp,
    })
}

/// How the mailboxes of every business stand, for the metrics: counts per
/// state, and those not synced for three intervals of `interval_seconds`.
pub async fn health(
    deps: &Deps,
    now: chrono::DateTime<chrono::Utc>,
    interval_seconds: f64,
) -> Result<crate::telemetry::metrics::MailboxReading, AppError> {
    let mut work = deps.system("mailbox metrics", &Origin::default()).await?;
    let by_state = sqlx::query!(
        r#"SELECT state, count(*) AS "count!" FROM mailboxes GROUP BY state ORDER BY state"#
    )
    .fetch_all(work.conn())
    .await?
    .into_iter()
    .map(|r| (r.state, r.count))
    .collect();
    let overdue = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM mailboxes
           WHERE state <> 'disabled' AND coalesce(last_synced_at, created_at) < $1::timestamptz - make_interval(secs => $2)"#,
        now as _,
        3.0 * interval_seconds,
    )
    .fetch_one(work.conn())
    .await?;
    work.rollback().await?;
    Ok(crate::telemetry::metrics::MailboxReading { by_state, overdue })
}

/// The settings the sync signs in with, for one mailbox (system path).
pub(super) fn enqueue_job(tenant: Uuid, mailbox: Uuid) -> NewJob<SyncMailbox> {
    NewJob::new(SyncMailbox {
        mailbox_id: mailbox,
        retry_failures: false,
    })
    .for_business(tenant)
    .dedupe(format!("mailbox-sync:{mailbox}"))
}
