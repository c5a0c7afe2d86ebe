//! Slowing down password guessing: failed sign-ins are counted per account
//! and per client address; past a limit the key is locked for a while.
//! Locks always expire; a successful sign-in clears the account's count.
//!
//! Unknown emails are counted like known ones, so a lock-out reveals nothing
//! about which accounts exist.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::AuthConfig;

/// The keys one sign-in attempt is counted under.
#[derive(Debug, Clone)]
pub struct ThrottleKeys {
    pub account: String,
    pub client: Option<String>,
}

impl ThrottleKeys {
    /// `email` as typed (compared case-insensitively); `client_hash` a keyed hash of the address.
    pub fn new(email: &str, client_hash: Option<&str>) -> Self {
        Self {
            account: format!("account:{}", email.trim().to_lowercase()),
            client: client_hash.map(|h| format!("ip:{h}")),
        }
    }

    fn all(&self) -> Vec<String> {
        std::iter::once(self.account.clone())
            .chain(self.client.clone())
            .collect()
    }
}

/// When the latest lock on any of `keys` ends, if one is in force.
pub async fn locked_until(
    pool: &PgPool,
    keys: &ThrottleKeys,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT max(locked_until) AS "until: DateTime<Utc>" FROM sign_in_throttle
           WHERE key = ANY($1) AND locked_until > now()"#,
        &keys.all()
    )
    .fetch_one(pool)
    .await
}

/// Counts a failure under every key; returns the lock's end when this
/// failure reached a limit, and the number of recent failures on the account.
pub async fn record_failure(
    pool: &PgPool,
    config: &AuthConfig,
    keys: &ThrottleKeys,
) -> Result<(Option<DateTime<Utc>>, u32), sqlx::Error> {
    let window = config.lockout.as_secs_f64();
    let mut lock = None;
    let mut account_failures = 0;
    let limits = [(keys.account.as_str(), config.max_failures_per_account)]
        .into_iter()
        .chain(
            keys.client
                .as_deref()
                .map(|k| (k, config.max_failures_per_ip)),
        );
    for (key, limit) in limits {
        // A window that has passed starts over; the lock is set when the count reaches the limit.
        let row = sqlx::query!(
            r#"INSERT INTO sign_in_throttle AS t (key, failures, window_started_at)
               VALUES ($1, 1, now())
               ON CONFLICT (key) DO UPDATE SET
                 failures = CASE WHEN t.window_started_at < now() - make_interval(secs => $2)
                                 THEN 1 ELSE t.failures + 1 END,
                 window_started_at = CASE WHEN t.window_started_at < now() - make_interval(secs => $2)
                                 THEN now() ELSE t.window_started_at END
               RETURNING failures, locked_until AS "locked_until: DateTime<Utc>""#,
            key,
            window
        )
        .fetch_one(pool)
        .await?;
        let (failures, locked) = (row.failures, row.locked_until);
        if key == keys.account {
            account_failures = failures as u32;
        }
        if failures as u32 >= limit && locked.is_none_or(|l| l <= Utc::now()) {
            let until = sqlx::query_scalar!(
                r#"UPDATE sign_in_throttle SET locked_until = now() + make_interval(secs => $2),
                   failures = 0, window_started_at = now() WHERE key = $1
                   RETURNING locked_until AS "until!: DateTime<Utc>""#,
                key,
                window
            )
            .fetch_one(pool)
            .await?;
            lock = lock.max(Some(until));
        }
    }
    Ok((lock, account_failures))
}

/// A successful sign-in: the account starts over, and the address forgets
/// the typos this account made on the way in, so colleagues mistyping
/// their own passwords never add up to locking out their office. The rest
/// of the address's count stays, so one valid account cannot be used to
/// reset guessing at others.
pub async fn clear_account(pool: &PgPool, keys: &ThrottleKeys) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "WITH account AS (DELETE FROM sign_in_throttle WHERE key = $1 RETURNING failures) \
         UPDATE sign_in_throttle SET failures = greatest(failures - (SELECT failures FROM account), 0) \
         WHERE key = $2 AND EXISTS (SELECT 1 FROM account)",
        keys.account,
        keys.client.as_deref()
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The pause before answering a failed attempt: none for the first few,
/// then growing, so scripted guessing slows down well before the lock.
pub fn delay_after(failures: u32) -> Duration {
    Duration::from_millis(match failures {
        0..=2 => 0,
        n => (u64::from(n - 2) * 250).min(2000),
    })
}

/// "Too many failed sign-ins. Try again in 15 minutes."
pub fn lockout_message(until: DateTime<Utc>) -> (String, Duration) {
    let wait = (until - Utc::now()).to_std().unwrap_or_default();
    let minutes = wait.as_secs().div_ceil(60).max(1);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    (
        format!("Too many failed sign-ins. Try again in {minutes} {unit}."),
        wait.max(Duration::from_secs(1)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_and_is_capped() {
        assert_eq!(delay_after(1), Duration::ZERO);
        assert_eq!(delay_after(3), Duration::from_millis(250));
        assert_eq!(delay_after(4), Duration::from_millis(500));
        assert_eq!(delay_after(100), Duration::from_secs(2));
    }

    #[test]
    fn the_message_says_when_to_retry() {
        let (message, wait) = lockout_message(Utc::now() + chrono::Duration::seconds(14 * 60 + 5));
        assert_eq!(
            message,
            "Too many failed sign-ins. Try again in 15 minutes."
        );
        assert!(wait > Duration::from_secs(14 * 60));
        let (message, _) = lockout_message(Utc::now() + chrono::Duration::seconds(20));
        assert_eq!(message, "Too many failed sign-ins. Try again in 1 minute.");
    }

    #[test]
    fn account_keys_ignore_case_and_spaces() {
        let keys = ThrottleKeys::new(" Ann@Example.com ", Some("abc"));
        assert_eq!(keys.account, "account:ann@example.com");
        assert_eq!(keys.all(), vec!["account:ann@example.com", "ip:abc"]);
    }
}
