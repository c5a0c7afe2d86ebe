//! What staff see of the background work: reminder states, the jobs page,
//! and the development outbox.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where an appointment's reminder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "server",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum ReminderStatus {
    Scheduled,
    Retrying,
    Sent,
    Failed,
    /// For a start time the appointment no longer has, or cancelled.
    Superseded,
}

impl ReminderStatus {
    pub const ALL: [ReminderStatus; 5] = [
        Self::Scheduled,
        Self::Retrying,
        Self::Sent,
        Self::Failed,
        Self::Superseded,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "scheduled" => Self::Scheduled,
            "retrying" => Self::Retrying,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            "superseded" => Self::Superseded,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Retrying => "retrying",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Superseded => "superseded",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReminderView {
    pub appointment_id: Uuid,
    pub status: ReminderStatus,
    /// Hours before the start it is due.
    pub lead_hours: i32,
    pub due_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub attempts: i32,
}

impl ReminderView {
    /// One line for the appointment dialog and the client timeline.
    pub fn describe(&self, local: impl Fn(DateTime<Utc>) -> String) -> String {
        match self.status {
            ReminderStatus::Scheduled => format!("Reminder scheduled for {}", local(self.due_at)),
            ReminderStatus::Retrying => format!(
                "Reminder retrying (attempt {} failed: {})",
                self.attempts,
                self.last_error.as_deref().unwrap_or("unknown error")
            ),
            ReminderStatus::Sent => format!(
                "Reminder sent at {}",
                local(self.sent_at.unwrap_or(self.due_at))
            ),
            ReminderStatus::Failed => format!(
                "Reminder failed: {}",
                self.last_error.as_deref().unwrap_or("unknown error")
            ),
            ReminderStatus::Superseded => "Reminder not sent (the appointment changed)".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobCount {
    pub kind: String,
    pub status: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub run_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleView {
    pub name: String,
    pub cron: String,
    pub last_run: Option<DateTime<Utc>>,
    pub next_run: Option<DateTime<Utc>>,
    /// Not fired for longer than twice its interval.
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobsOverview {
    pub counts: Vec<JobCount>,
    /// Failed attempts still to be retried, newest first.
    pub failing: Vec<JobView>,
    pub dead: Vec<JobView>,
    pub schedules: Vec<ScheduleView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessageView {
    /// The file's name without `.eml`.
    pub id: String,
    pub to: String,
    pub subject: String,
    pub date: String,
    pub text: String,
    pub attachments: Vec<String>,
}
