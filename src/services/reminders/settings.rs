//! When a business's reminders go out.

use crate::services::Deps;
use crate::{
    audit::{Changes, Entry, Origin},
    auth::Principal,
    domain::roles::{Action, Permission, RecordKind},
    error::AppError,
};

/// When a business's reminders go out: hours before the start, and an
/// optional second, shorter one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Windows {
    pub hours: i32,
    pub second_hours: Option<i32>,
}

pub async fn windows(deps: &Deps, who: &impl Principal) -> Result<Windows, AppError> {
    let mut tx = deps
        .read(
            who,
            Permission::Record(RecordKind::Appointment, Action::Read),
        )
        .await?;
    let windows = sqlx::query_as!(
        Windows,
        "SELECT reminder_hours AS hours, second_reminder_hours AS second_hours FROM tenants WHERE id = $1",
        who.tenant_id(),
    )
    .fetch_one(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(windows)
}

/// Sets the reminder windows from form text: `hours` 1–168, `second` empty
/// or 1–72 and shorter than the first. Applies to reminders armed from now.
pub async fn set_windows(
    deps: &Deps,
    who: &impl Principal,
    hours: &str,
    second: &str,
    origin: &Origin,
) -> Result<Windows, AppError> {
    who.require(Permission::ManageSettings)?;
    let mut errors = crate::domain::form::FieldErrors::new();
    let first = match hours.trim().parse::<i32>() {
        Ok(h) if (1..=168).contains(&h) => Some(h),
        _ => {
            errors.add(
                "reminder_hours",
                "enter a whole number of hours from 1 to 168 (a week)",
            );
            None
        }
    };
    let second = match second.trim() {
        "" => Some(None),
        text => match text.parse::<i32>() {
            Ok(h) if (1..=72).contains(&h) && first.is_none_or(|f| h < f) => Some(Some(h)),
            Ok(h) if (1..=72).contains(&h) => {
                errors.add(
                    "second_reminder_hours",
                    "the second reminder must come closer to the appointment than the first",
                );
                None
            }
            _ => {
                errors.add(
                    "second_reminder_hours",
                    "enter a whole number of hours from 1 to 72, or leave it empty for no second reminder",
                );
                None
            }
        },
    };
    let (Some(hours), Some(second_hours)) = (first, second) else {
        return Err(AppError::Invalid(errors));
    };
    let tenant = who.tenant_id();
    let mut tx = deps.work(who, Permission::ManageSettings, origin).await?;
    let old = sqlx::query_as!(
        Windows,
        "SELECT reminder_hours AS hours, second_reminder_hours AS second_hours FROM tenants \
         WHERE id = $1 FOR UPDATE",
        tenant,
    )
    .fetch_one(tx.conn())
    .await?;
    sqlx::query!(
        "UPDATE tenants SET reminder_hours = $2, second_reminder_hours = $3 WHERE id = $1",
        tenant,
        hours,
        second_hours
    )
    .execute(tx.conn())
    .await?;
    tx.audit(Entry {
        action: "tenant.reminders_changed",
        entity_type: "tenant",
        entity_id: Some(tenant),
        changes: Changes::new()
            .field("reminder_hours", Some(old.hours), Some(hours))
            .field("second_reminder_hours", old.second_hours, second_hours),
    })
    .await?;
    tx.commit().await?;
    Ok(Windows {
        hours,
        second_hours,
    })
}
