//! Syncing a mailbox, as jobs on the queue: the `mailboxes` schedule
//! enqueues one `inbox.sync` per mailbox (deduplicated, so never two for one
//! mailbox at once), and "Sync now" or a settings change enqueues one at once.
//!
//! Per folder the sync keeps UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and the
//! last UID it stored. It fetches only what is after that UID, in batches
//! bounded by count and bytes, and advances the cursor in the transaction
//! that stores the batch: a crash repeats at most one batch, and the unique
//! Message-ID per mailbox keeps the repeat from storing anything twice. A
//! new UIDVALIDITY forgets the old UIDs and re-matches by Message-ID. A
//! message that cannot be read is recorded as a failure and the sync goes
//! on. Seen flags (by CONDSTORE's MODSEQ when offered) and expunges are
//! brought over after the new messages.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::store::{self, Location, PrepareError};
use crate::{
    audit::Origin,
    domain::{
        inbox::{MailboxState, TlsMode},
        live::{Change, Topic},
    },
    error::AppError,
    imap::{self, ImapError, ImapSession, ImapSettings, MessageMeta},
    jobs::{Job, JobContext, JobError, Tick},
    mail::relay::Relay,
    services::{work::Work, Deps},
};

/// Syncs one mailbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncMailbox {
    pub mailbox_id: Uuid,
    /// Also fetch again the messages earlier runs could not take ("Retry").
    #[serde(default)]
    pub retry_failures: bool,
}

impl Job for SyncMailbox {
    const KIND: &'static str = "inbox.sync";
    const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30 * 60);
    const PRIORITY: i16 = 50;
    type Context = Deps;

    async fn run(self, ctx: JobContext<Deps>) -> Result<(), JobError> {
        let tenant = ctx
            .job
            .tenant_id
            .ok_or_else(|| JobError::Permanent("a mailbox sync names no business".into()))?;
        let outcome = run_with(&ctx.deps, tenant, self.mailbox_id, self.retry_failures).await?;
        // The outcome is recorded with the job's completion: a failed sync is
        // the mailbox's state, retried by the schedule, not a retry storm.
        let mut work = ctx.deps.in_business(tenant, "mailbox sync").await?;
        record(&mut work, self.mailbox_id, &outcome, ctx.deps.clock.now()).await?;
        ctx.complete_in(work.conn()).await?;
        work.commit().await?;
        Ok(())
    }
}

/// The `mailboxes` schedule: a sync job for every mailbox that can sync.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScanMailboxes(pub Tick);

impl Job for ScanMailboxes {
    const KIND: &'static str = "inbox.scan";
    const SCHEDULE: Option<&'static str> = Some("mailboxes");
    type Context = Deps;

    async fn run(self, ctx: JobContext<Deps>) -> Result<(), JobError> {
        let deps = &ctx.deps;
        let mut work = deps.system("mailbox scan", &Origin::default()).await?;
        let due = sqlx::query!(
            "SELECT id, tenant_id FROM mailboxes WHERE state NOT IN ('sign_in_refused', 'disabled')
             ORDER BY last_attempt_at NULLS FIRST"
        )
        .fetch_all(work.conn())
        .await?;
        for mailbox in due {
            enqueue(&mut work, mailbox.tenant_id, mailbox.id).await?;
        }
        ctx.complete_in(work.conn()).await?;
        work.commit().await?;
        Ok(())
    }
}

/// Enqueues a sync of `mailbox` in `work` (none when one already waits or runs).
pub(super) async fn enqueue(
    work: &mut Work<'_>,
    tenant: Uuid,
    mailbox: Uuid,
) -> Result<(), AppError> {
    work.enqueue(super::mailboxes::enqueue_job(tenant, mailbox))
        .await?;
    Ok(())
}

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    /// Nothing to do: the mailbox is gone, refused or disabled.
    Skipped,
    Synced(SyncStats),
    Failed(ImapError),
}

/// What a run did (also the benchmark's figures).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncStats {
    pub stored: usize,
    pub unreadable: usize,
    pub flags_changed: usize,
    pub expunged: usize,
    pub imap_commands: u64,
}

struct Mailbox {
    settings: ImapSettings,
    /// The mailbox's own SMTP server; `None`: the site's.
    relay: Option<Relay>,
    state: MailboxState,
    own_address: String,
    import_days: i32,
    folders: Vec<String>,
}

/// The stored password of `mailbox`, opened (system path only).
pub(super) async fn stored_password(
    deps: &Deps,
    tenant: Uuid,
    mailbox: Uuid,
) -> Result<SecretString, AppError> {
    Ok(imap_settings(deps, tenant, mailbox).await?.password)
}

/// How to sign in to `mailbox` over IMAP, and its own SMTP server if it
/// has one, both with their passwords opened (system path).
pub(super) async fn servers(
    deps: &Deps,
    tenant: Uuid,
    mailbox: Uuid,
) -> Result<(ImapSettings, Option<Relay>), AppError> {
    let loaded = load(deps, tenant, mailbox)
        .await?
        .ok_or_else(|| AppError::NotFound("no such mailbox".into()))?;
    Ok((loaded.settings, loaded.relay))
}

/// The mailbox's own SMTP server with its password opened, if it has one
/// (system path).
pub(super) async fn relay(
    deps: &Deps,
    tenant: Uuid,
    mailbox: Uuid,
) -> Result<Option<Relay>, AppError> {
    Ok(load(deps, tenant, mailbox)
        .await?
        .ok_or_else(|| AppError::NotFound("no such mailbox".into()))?
        .relay)
}

/// How to sign in to `mailbox` (system path: it opens the password).
pub(super) async fn imap_settings(
    deps: &Deps,
    tenant: Uuid,
    mailbox: Uuid,
) -> Result<ImapSettings, AppError> {
    Ok(load(deps, tenant, mailbox)
        .await?
        .ok_or_else(|| AppError::NotFound("no such mailbox".into()))?
        .settings)
}

async fn load(deps: &Deps, tenant: Uuid, mailbox: Uuid) -> Result<Option<Mailbox>, AppError> {
    let mut work = deps.system("mailbox password", &Origin::default()).await?;
    let row = sqlx::query!(
        r#"SELECT imap_host, imap_port, imap_tls AS "imap_tls: TlsMode", imap_user, password_sealed,
                  password_key_id, from_address::text AS "from_address!", import_days, folders,
                  state AS "state: MailboxState", smtp_host, smtp_port, smtp_tls AS "smtp_tls: TlsMode",
                  smtp_user, smtp_password_sealed, smtp_password_key_id
           FROM mailboxes WHERE id = $1 AND tenant_id = $2"#,
        mailbox,
        tenant,
    )
    .fetch_optional(work.conn())
    .await?;
    work.rollback().await?;
    let Some(row) = row else { return Ok(None) };
    let password = open(deps, &row.password_sealed, &row.password_key_id)?;
    let relay = match (row.smtp_host, row.smtp_port, row.smtp_tls) {
        (Some(host), Some(port), Some(tls)) => {
            let credentials = match (
                row.smtp_user,
                row.smtp_password_sealed,
                row.smtp_password_key_id,
            ) {
                (Some(user), Some(sealed), Some(key_id)) => {
                    Some((user, open(deps, &sealed, &key_id)?))
                }
                _ => None,
            };
            Some(Relay {
                host,
                port: u16::try_from(port).unwrap_or(587),
                tls,
                credentials,
                timeout: deps.config.mail.smtp_timeout,
            })
        }
        _ => None,
    };
    Ok(Some(Mailbox {
        relay,
        settings: ImapSettings {
            host: row.imap_host,
            port: u16::try_from(row.imap_port).unwrap_or(993),
            tls: row.imap_tls,
            user: row.imap_user,
            password,
            timeout: deps.config.inbox.timeout,
        },
        state: row.state,
        own_address: row.from_address,
        import_days: row.import_days,
        folders: row.folders,
    }))
}

/// A sealed mailbox secret, opened.
fn open(deps: &Deps, sealed: &[u8], key_id: &str) -> Result<SecretString, AppError> {
    let plain = deps
        .config
        .auth
        .encryption_key
        .open(sealed, key_id)
        .map_err(|e| {
            AppError::Unprocessable(format!("the mailbox password cannot be read: {e}"))
        })?;
    String::from_utf8(plain)
        .map(SecretString::from)
        .map_err(|_| AppError::Unprocessable("the mailbox password is damaged".into()))
}

/// Runs one sync of `mailbox`. Errors are the database's; what the mail
/// server did wrong is the outcome.
pub async fn run(deps: &Deps, tenant: Uuid, mailbox: Uuid) -> Result<Outcome, AppError> {
    run_with(deps, tenant, mailbox, false).await
}

/// [`run`], fetching the recorded failures again when `retry_failures`.
pub async fn run_with(
    deps: &Deps,
    tenant: Uuid,
    mailbox: Uuid,
    retry_failures: bool,
) -> Result<Outcome, AppError> {
    let Some(loaded) = load(deps, tenant, mailbox).await? else {
        return Ok(Outcome::Skipped);
    };
    if matches!(
        loaded.state,
        MailboxState::SignInRefused | MailboxState::Disabled
    ) {
        return Ok(Outcome::Skipped);
    }
    {
        let mut work = deps.in_business(tenant, "mailbox sync").await?;
        sqlx::query!(
            "UPDATE mailboxes SET state = 'syncing', last_attempt_at = $2 WHERE id = $1",
            mailbox,
            deps.clock.now() as _,
        )
        .execute(work.conn())
        .await?;
        work.commit().await?;
    }
    let started = Instant::now();
    let mut session = match imap::connect(&loaded.settings).await {
        Ok(session) => session,
        Err(e) => return Ok(Outcome::Failed(e)),
    };
    let result = sync_folders(deps, tenant, mailbox, &loaded, &mut session, retry_failures).await;
    let commands = session.commands();
    session.logout().await;
    let outcome = match result {
        Ok(mut stats) => {
            stats.imap_commands = commands;
            tracing::info!(%mailbox, stored = stats.stored, unreadable = stats.unreadable,
                flags = stats.flags_changed, expunged = stats.expunged, commands,
                ms = started.elapsed().as_millis() as u64, "mailbox synced");
            Outcome::Synced(stats)
        }
        Err(SyncError::Imap(e)) => Outcome::Failed(e),
        Err(SyncError::App(e)) => return Err(e),
    };
    Ok(outcome)
}

/// Runs one sync and records how it ended, outside the queue ("Sync now"
/// from a tool, and the tests).
pub async fn run_and_record(deps: &Deps, tenant: Uuid, mailbox: Uuid) -> Result<Outcome, AppError> {
    record_run(deps, tenant, mailbox, false).await
}

/// [`run_and_record`] that also retries the recorded failures.
pub async fn retry_and_record(
    deps: &Deps,
    tenant: Uuid,
    mailbox: Uuid,
) -> Result<Outcome, AppError> {
    record_run(deps, tenant, mailbox, true).await
}

async fn record_run(
    deps: &Deps,
    tenant: Uuid,
    mailbox: Uuid,
    retry_failures: bool,
) -> Result<Outcome, AppError> {
    let outcome = run_with(deps, tenant, mailbox, retry_failures).await?;
    let mut work = deps.in_business(tenant, "mailbox sync").await?;
    record(&mut work, mailbox, &outcome, deps.clock.now()).await?;
    work.commit().await?;
    Ok(outcome)
}

/// Writes how the run ended on the mailbox.
pub(super) async fn record(
    work: &mut Work<'_>,
    mailbox: Uuid,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    // New mail announces itself as it is stored; a failure here, so the
    // inbox's banner shows it.
    if matches!(outcome, Outcome::Failed(_)) {
        work.announce(inbox_change(mailbox, "mailbox.failing"));
    }
    match outcome {
        Outcome::Skipped => {}
        Outcome::Synced(_) => {
            sqlx::query!(
                "UPDATE mailboxes SET state = 'in_sync', last_synced_at = $2, last_error = NULL, failures = 0
                 WHERE id = $1",
                mailbox,
                now as _,
            )
            .execute(work.conn())
            .await?;
        }
        Outcome::Failed(e) => {
            let state = if e.needs_new_settings() {
                MailboxState::SignInRefused
            } else {
                MailboxState::Failing
            };
            let message: String = e.to_string().chars().take(1000).collect();
            tracing::warn!(%mailbox, error = %message, "mailbox sync failed");
            sqlx::query!(
                "UPDATE mailboxes SET state = $2, last_error = $3, failures = failures + 1 WHERE id = $1",
                mailbox,
                state as MailboxState,
                message,
            )
            .execute(work.conn())
            .await?;
        }
    }
    Ok(())
}

enum SyncError {
    Imap(ImapError),
    App(AppError),
}

impl From<ImapError> for SyncError {
    fn from(e: ImapError) -> Self {
        SyncError::Imap(e)
    }
}

impl From<AppError> for SyncError {
    fn from(e: AppError) -> Self {
        SyncError::App(e)
    }
}

impl From<sqlx::Error> for SyncError {
    fn from(e: sqlx::Error) -> Self {
        SyncError::App(e.into())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Inbox,
    Sent,
    Other,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Inbox => "inbox",
            Role::Sent => "sent",
            Role::Other => "other",
        }
    }
}

async fn sync_folders(
    deps: &Deps,
    tenant: Uuid,
    mailbox: Uuid,
    loaded: &Mailbox,
    session: &mut ImapSession,
    retry_failures: bool,
) -> Result<SyncStats, SyncError> {
    let found = session.folders().await?;
    let mut folders = vec![("INBOX".to_string(), Role::Inbox)];
    if let Some(sent) = &found.sent {
        folders.push((sent.clone(), Role::Sent));
    }
    for extra in &loaded.folders {
        if !folders.iter().any(|(name, _)| name == extra) {
            if !found.all.contains(extra) {
                return Err(ImapError::MissingFolder(extra.clone()).into());
            }
            folders.push((extra.clone(), Role::Other));
        }
    }
    {
        let mut work = deps.in_business(tenant, "mailbox sync").await?;
        sqlx::query!(
            "UPDATE mailboxes SET sent_folder = $2 WHERE id = $1 AND sent_folder IS DISTINCT FROM $2",
            mailbox,
            found.sent,
        )
        .execute(work.conn())
        .await?;
        work.commit().await?;
    }
    let mut stats = SyncStats::default();
    for (folder, role) in folders {
        let status = sync_folder(
            deps, tenant, mailbox, loaded, session, &folder, role, &mut stats,
        )
        .await?;
        if retry_failures {
            retry_folder(
                deps, tenant, mailbox, loaded, session, &folder, role, &status, &mut stats,
            )
            .await?;
        }
    }
    Ok(stats)
}

/// Fetches again the messages of `folder` that earlier runs could not
/// take. Taken now: stored and resolved; gone from the server (or from
/// an older UIDVALIDITY, imported again since under new UIDs): resolved;
/// still unreadable: one attempt more.
#[allow(clippy::too_many_arguments)]
async fn retry_folder(
    deps: &Deps,
    tenant: Uuid,
    mailbox: Uuid,
    loaded: &Mailbox,
    session: &mut ImapSession,
    folder: &str,
    role: Role,
    status: &imap::FolderStatus,
    stats: &mut SyncStats,
) -> Result<(), SyncError> {
    let mut work = deps.in_business(tenant, "mailbox sync").await?;
    let open = sqlx::query!(
        "SELECT uid, uid_validity FROM mail_sync_failures
         WHERE mailbox_id = $1 AND folder = $2 AND resolved_at IS NULL ORDER BY uid",
        mailbox,
        folder,
    )
    .fetch_all(work.conn())
    .await?;
    sqlx::query!(
        "UPDATE mail_sync_failures SET resolved_at = now(), updated_at = now()
         WHERE mailbox_id = $1 AND folder = $2 AND resolved_at IS NULL AND uid_validity <> $3",
        mailbox,
        folder,
        i64::from(status.uid_validity),
    )
    .execute(work.conn())
    .await?;
    work.commit().await?;
    let metas: Vec<MessageMeta> = open
        .iter()
        .filter(|f| f.uid_validity == i64::from(status.uid_validity))
        .filter_map(|f| u32::try_from(f.uid).ok())
        .map(|uid| MessageMeta {
            uid,
            seen: false,
            size: 0,
        })
        .collect();
    for batch in metas.chunks(deps.config.inbox.batch_messages.max(1)) {
        store_batch(
            deps, tenant, mailbox, loaded, session, folder, role, batch, status, stats,
        )
        .await?;
    }
    Ok(())
}

struct Cursor {
    uid_validity: Option<i64>,
    highest_modseq: Option<i64>,
    last_uid: i64,
    server_count: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
async fn sync_folder(
    deps: &Deps,
    tenant: Uuid,
    mailbox: Uuid,
    loaded: &Mailbox,
    session: &mut ImapSession,
    folder: &str,
    role: Role,
    stats: &mut SyncStats,
) -> Result<imap::FolderStatus, SyncError> {
    let status = session.select(folder).await?;
    let validity = i64::from(status.uid_validity);
    let mut work = deps.in_business(tenant, "mailbox sync").await?;
    let cursor = sqlx::query_as!(
        Cursor,
        "SELECT uid_validity, highest_modseq, last_uid, server_count FROM mailbox_folders
         WHERE mailbox_id = $1 AND name = $2",
        mailbox,
        folder,
    )
    .fetch_optional(work.conn())
    .await?;
    let cursor = match cursor {
        Some(c) if c.uid_validity == Some(validity) => c,
        stale => {
            // New folder, or the server renumbered it: every UID it had is
            // forgotten, and the messages are matched again by Message-ID.
            if stale.is_some() {
                tracing::warn!(%mailbox, folder, "UIDVALIDITY changed; matching messages again");
                sqlx::query!(
                    "UPDATE mail_messages SET uid = NULL WHERE mailbox_id = $1 AND folder = $2",
                    mailbox,
                    folder,
                )
                .execute(work.conn())
                .await?;
            }
            sqlx::query!(
                "INSERT INTO mailbox_folders (mailbox_id, tenant_id, name, role, uid_validity, last_uid)
                 VALUES ($1, $2, $3, $4, $5, 0)
                 ON CONFLICT (mailbox_id, name) DO UPDATE SET role = $4, uid_validity = $5, last_uid = 0,
                     highest_modseq = NULL, server_count = NULL, uid_next = NULL",
                mailbox,
                tenant,
                folder,
                role.as_str(),
                validity,
            )
            .execute(work.conn())
            .await?;
            Cursor {
                uid_validity: Some(validity),
                highest_modseq: None,
                last_uid: 0,
                server_count: None,
            }
        }
    };
    work.commit().await?;
    let last_uid = u32::try_from(cursor.last_uid).unwrap_or(0);

    // Nothing new when UIDNEXT says so: one SELECT is the whole check.
    let mut new: Vec<MessageMeta> = match status.uid_next {
        Some(next) if next <= last_uid.saturating_add(1) && cursor.server_count.is_some() => {
            Vec::new()
        }
        _ if status.exists == 0 => Vec::new(),
        _ => session.new_since(last_uid).await?,
    };
    // Every UID up to here has been looked at, imported or not.
    let through_all = new
        .iter()
        .map(|m| m.uid)
        .max()
        .unwrap_or(last_uid)
        .max(last_uid);
    if cursor.last_uid == 0 && !new.is_empty() {
        // First sync of the folder: only the days asked for.
        let since = (deps.clock.now() - Duration::days(loaded.import_days.into())).date_naive();
        let wanted: std::collections::HashSet<u32> =
            session.uids_since(since).await?.into_iter().collect();
        // Older mail is not imported; the cursor still passes it.
        new.retain(|m| wanted.contains(&m.uid));
    }
    let new_count = new.len() as i64;
    for batch in batches(
        &new,
        deps.config.inbox.batch_messages,
        deps.config.inbox.batch_bytes,
    ) {
        store_batch(
            deps, tenant, mailbox, loaded, session, folder, role, batch, &status, stats,
        )
        .await?;
    }
    let last_uid = through_all;

    // Seen flags: only what changed since the last MODSEQ when the server can say.
    let unchanged = cursor.highest_modseq.is_some()
        && cursor.highest_modseq == status.highest_modseq.map(|m| m as i64);
    if !unchanged && cursor.last_uid > 0 {
        let since = cursor.highest_modseq.map(|m| m as u64);
        let flags = session
            .flags(u32::try_from(cursor.last_uid).unwrap_or(0), since)
            .await?;
        stats.flags_changed += apply_flags(deps, tenant, mailbox, folder, &flags).await?;
    }
    // Expunges: the server has fewer messages than were there plus the new ones.
    let expected = cursor.server_count.unwrap_or(0) + new_count;
    if cursor.server_count.is_some() && i64::from(status.exists) < expected {
        let present = session.all_uids().await?;
        stats.expunged += mark_expunged(deps, tenant, mailbox, folder, &present, last_uid).await?;
    }
    let mut work = deps.in_business(tenant, "mailbox sync").await?;
    sqlx::query!(
        "UPDATE mailbox_folders SET uid_next = $3, highest_modseq = $4, server_count = $5, synced_at = now(),
                last_uid = greatest(last_uid, $6)
         WHERE mailbox_id = $1 AND name = $2",
        mailbox,
        folder,
        status.uid_next.map(i64::from),
        status.highest_modseq.map(|m| m as i64),
        i64::from(status.exists),
        i64::from(last_uid),
    )
    .execute(work.conn())
    .await?;
    work.commit().await?;
    Ok(status)
}

/// Splits `metas` into fetches of at most `count` messages and `bytes`
/// (a larger message goes alone).
fn batches(metas: &[MessageMeta], count: usize, bytes: u64) -> Vec<&[MessageMeta]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut size = 0u64;
    for (i, meta) in metas.iter().enumerate() {
        let n = i - start;
        if n > 0 && (n >= count || size + u64::from(meta.size) > bytes) {
            out.push(&metas[start..i]);
            start = i;
            size = 0;
        }
        size += u64::from(meta.size);
    }
    if start < metas.len() {
        out.push(&metas[start..]);
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn store_batch(
    deps: &Deps,
    tenant: Uuid,
    mailbox: Uuid,
    loaded: &Mailbox,
    session: &mut ImapSession,
    folder: &str,
    role: Role,
    batch: &[MessageMeta],
    status: &imap::FolderStatus,
    stats: &mut SyncStats,
) -> Result<(), SyncError> {
    let uids: Vec<u32> = batch.iter().map(|m| m.uid).collect();
    let fetched = session.fetch(&uids).await?;
    let mut prepared = Vec::with_capacity(fetched.len());
    let mut unreadable = Vec::new();
    for message in &fetched {
        match store::prepare(&deps.storage, tenant, &message.raw).await {
            Ok(p) => prepared.push((message, p)),
            Err(PrepareError::Unreadable(why)) => unreadable.push((message.uid, why)),
            Err(PrepareError::Storage(e)) => return Err(e.into()),
        }
    }
    let mut work = deps.in_business(tenant, "mailbox sync").await?;
    // Two runs for one mailbox (a scheduled one and one started by hand)
    // store their batches one after the other, so each sees the other's rows.
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))",
        format!("mailbox-sync:{mailbox}")
    )
    .execute(work.conn())
    .await?;
    let mut stored = 0;
    for (message, p) in &prepared {
        let location = Location {
            folder,
            uid: message.uid,
            seen: message.seen,
            internal_date: message.internal_date,
        };
        if store::insert(
            work.conn(),
            tenant,
            mailbox,
            &loaded.own_address,
            role == Role::Sent,
            p,
            &location,
        )
        .await?
        {
            stats.stored += 1;
            stored += 1;
        }
    }
    if stored > 0 {
        work.announce(inbox_change(mailbox, "message.received"));
    }
    for (uid, why) in &unreadable {
        tracing::warn!(%mailbox, folder, uid, error = %why, "a message could not be read");
        sqlx::query!(
            "INSERT INTO mail_sync_failures (id, tenant_id, mailbox_id, folder, uid_validity, uid, error)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (mailbox_id, folder, uid_validity, uid)
             DO UPDATE SET error = EXCLUDED.error, attempts = mail_sync_failures.attempts + 1, updated_at = now()",
            Uuid::now_v7(),
            tenant,
            mailbox,
            folder,
            i64::from(status.uid_validity),
            i64::from(*uid),
            why.chars().take(1000).collect::<String>(),
        )
        .execute(work.conn())
        .await?;
        stats.unreadable += 1;
    }
    // A message taken now, or one the server no longer has, is no longer
    // a failure (this matters when failures are retried).
    let unreadable_uids: Vec<i64> = unreadable.iter().map(|(uid, _)| i64::from(*uid)).collect();
    let asked: Vec<i64> = uids.iter().map(|u| i64::from(*u)).collect();
    sqlx::query!(
        "UPDATE mail_sync_failures SET resolved_at = now(), updated_at = now()
         WHERE mailbox_id = $1 AND folder = $2 AND uid_validity = $3 AND resolved_at IS NULL
           AND uid = ANY($4) AND NOT (uid = ANY($5))",
        mailbox,
        folder,
        i64::from(status.uid_validity),
        &asked,
        &unreadable_uids,
    )
    .execute(work.conn())
    .await?;
    // The cursor moves with the messages it covers, in one commit.
    let through = batch.iter().map(|m| m.uid).max().unwrap_or(0);
    sqlx::query!(
        "UPDATE mailbox_folders SET last_uid = greatest(last_uid, $3) WHERE mailbox_id = $1 AND name = $2",
        mailbox,
        folder,
        i64::from(through),
    )
    .execute(work.conn())
    .await?;
    work.commit().await?;
    Ok(())
}

/// What open inboxes are told of a mailbox's sync.
fn inbox_change(mailbox: Uuid, action: &str) -> Change {
    Change {
        topic: Topic::Inbox,
        id: Some(mailbox),
        action: action.into(),
    }
}

async fn apply_flags(
    deps: &Deps,
    tenant: Uuid,
    mailbox: Uuid,
    folder: &str,
    flags: &[MessageMeta],
) -> Result<usize, AppError> {
    if flags.is_empty() {
        return Ok(0);
    }
    let uids: Vec<i64> = flags.iter().map(|m| i64::from(m.uid)).collect();
    let seen: Vec<bool> = flags.iter().map(|m| m.seen).collect();
    let mut work = deps.in_business(tenant, "mailbox sync").await?;
    let changed = sqlx::query!(
        "UPDATE mail_messages m SET seen = f.seen
         FROM unnest($3::bigint[], $4::bool[]) AS f(uid, seen)
         WHERE m.mailbox_id = $1 AND m.folder = $2 AND m.uid = f.uid AND m.seen <> f.seen",
        mailbox,
        folder,
        &uids,
        &seen,
    )
    .execute(work.conn())
    .await?
    .rows_affected();
    if changed > 0 {
        work.announce(inbox_change(mailbox, "message.seen"));
    }
    work.commit().await?;
    Ok(changed as usize)
}

async fn mark_expunged(
    deps: &Deps,
    tenant: Uuid,
    mailbox: Uuid,
    folder: &str,
    present: &[u32],
    through: u32,
) -> Result<usize, AppError> {
    let present: Vec<i64> = present.iter().map(|u| i64::from(*u)).collect();
    let mut work = deps.in_business(tenant, "mailbox sync").await?;
    let gone = sqlx::query!(
        "UPDATE mail_messages SET expunged_at = now(), uid = NULL
         WHERE mailbox_id = $1 AND folder = $2 AND uid <= $3 AND NOT (uid = ANY($4)) AND expunged_at IS NULL",
        mailbox,
        folder,
        i64::from(through),
        &present,
    )
    .execute(work.conn())
    .await?
    .rows_affected();
    if gone > 0 {
        work.announce(inbox_change(mailbox, "message.expunged"));
    }
    work.commit().await?;
    Ok(gone as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(uid: u32, size: u32) -> MessageMeta {
        MessageMeta {
            uid,
            seen: false,
            size,
        }
    }

    #[test]
    fn batches_are_bounded_by_count_and_bytes() {
        let metas: Vec<_> = (1..=5).map(|u| meta(u, 10)).collect();
        let sizes: Vec<usize> = batches(&metas, 2, 1000).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [2, 2, 1]);
        let big = [meta(1, 10), meta(2, 5000), meta(3, 10)];
        let sizes: Vec<usize> = batches(&big, 10, 100).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, [1, 1, 1]);
        assert!(batches(&[], 10, 100).is_empty());
    }
}
