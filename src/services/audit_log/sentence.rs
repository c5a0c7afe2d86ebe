//! The audit log read as sentences: "Ana moved Amir Dubois from 14:00 to
//! 14:30", with names instead of ids and times in the business's zone. The
//! raw change stays beside it for whoever needs the detail.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::{records::AppointmentStatus, time_format::Clock};

/// What a sentence is made from: one entry, with the names it refers to.
pub struct Facts<'a> {
    /// Who acted, as staff know them.
    pub actor: &'a str,
    pub action: &'a str,
    /// The record's name (a client, a provider, a member), when it still exists.
    pub subject: Option<&'a str>,
    pub changes: &'a Value,
}

/// Names of the business's providers, services and resources, by id.
pub type Names = HashMap<Uuid, String>;

pub fn describe(facts: &Facts<'_>, names: &Names, clock: Clock) -> String {
    let who = facts.actor;
    let what = |fallback: &str| facts.subject.unwrap_or(fallback).to_string();
    let field = |name: &str| Change::of(facts.changes, name);
    let (area, verb) = facts.action.split_once('.').unwrap_or((facts.action, ""));
    match (area, verb) {
        ("appointment", "booked") => {
            let mut s = format!("{who} booked {}", what("a client"));
            if let Some(at) = field("starts_at").new_time() {
                s.push_str(&format!(" for {}", clock.day_time(at, "%a %-d %b")));
            }
            if let Some(name) = field("provider_id").new_id().and_then(|id| names.get(&id)) {
                s.push_str(&format!(" with {name}"));
            }
            s
        }
        ("appointment", "rescheduled") => {
            let moved = field("starts_at").moved(clock).unwrap_or_default();
            format!("{who} moved {}{moved}", what("an appointment"))
        }
        ("appointment", "changed") => {
            let mut parts = Vec::new();
            if let Some(moved) = field("starts_at").moved(clock) {
                parts.push(moved.trim_start().to_string());
            }
            for (key, label) in [("provider_id", "provider"), ("service_id", "service")] {
                let c = field(key);
                if c.present {
                    let old = c.old_id().and_then(|id| names.get(&id)).map_or("?", |n| n);
                    let new = c.new_id().and_then(|id| names.get(&id)).map_or("?", |n| n);
                    parts.push(format!("{label} {old} → {new}"));
                }
            }
            for (key, label) in [("resource_ids", "rooms and equipment"), ("notes", "notes")] {
                if field(key).present {
                    parts.push(label.to_string());
                }
            }
            format!(
                "{who} changed {}'s appointment: {}",
                what("a client"),
                list_or(&parts, "details")
            )
        }
        ("appointment", "status_changed") => {
            let status = field("status")
                .new_text()
                .and_then(AppointmentStatus::parse);
            let label = status.map_or("changed", |s| s.label());
            format!(
                "{who} marked {}'s appointment {}",
                what("a client"),
                label.to_lowercase()
            )
        }
        ("appointment", "cancelled") => {
            let reason = field("cancel_reason")
                .new_text()
                .filter(|r| !r.is_empty())
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            format!("{who} cancelled {}'s appointment{reason}", what("a client"))
        }
        ("appointment", "restored") => {
            format!(
                "{who} restored {}'s cancelled appointment",
                what("a client")
            )
        }
        ("appointment", "reminder_sent_again") => {
            format!("{who} sent {}'s reminder again", what("a client"))
        }
        ("file", "uploaded") => format!(
            "{who} added the file {} to {}",
            field("file").new_text().unwrap_or("?"),
            what("a client")
        ),
        ("file", "deleted") => format!(
            "{who} deleted the file {} of {}",
            field("file").old_text().unwrap_or("?"),
            what("a client")
        ),
        ("provider", "time_off_added") => {
            let from = field("from").new_time().map(|t| day(t, clock));
            let until = field("until").new_time().map(|t| day(t, clock));
            let span = match (from, until) {
                (Some(f), Some(u)) if f == u => format!(" on {f}"),
                (Some(f), Some(u)) => format!(" from {f} to {u}"),
                _ => String::new(),
            };
            format!("{who} added time off for {}{span}", what("a provider"))
        }
        ("provider", "time_off_removed") => {
            format!("{who} removed time off of {}", what("a provider"))
        }
        ("member", "role_changed") => {
            let c = field("role");
            format!(
                "{who} made {} {} (was {})",
                what("a member"),
                article(c.new_text().unwrap_or("?")),
                c.old_text().unwrap_or("?")
            )
        }
        ("member", "added") if facts.subject == Some(who) => format!(
            "{who} joined the team as {}",
            field("role").new_text().unwrap_or("?")
        ),
        ("member", "added") => format!(
            "{who} added {} to the team as {}",
            what(field("email").new_text().unwrap_or("a member")),
            field("role").new_text().unwrap_or("?")
        ),
        ("member", "removed") => format!("{who} removed {} from the team", what("a member")),
        ("invitation", "created") => format!(
            "{who} invited {} as {}",
            field("email").new_text().unwrap_or("someone"),
            field("role").new_text().unwrap_or("?")
        ),
        ("invitation", "accepted") => format!("{who} accepted the invitation for {}", what("")),
        ("invitation", "revoked") => format!("{who} revoked the invitation for {}", what("")),
        ("tenant", "created") => format!("{who} opened the business"),
        ("tenant", _) => format!(
            "{who} changed the business settings: {}",
            list_or(&fields_changed(facts.changes), "details")
        ),
        ("user", _) => format!("{who} {}", verb.replace('_', " ")),
        (kind, "created") => format!("{who} added the {} {}", noun(kind), what("")),
        (kind, "archived") => format!("{who} archived the {} {}", noun(kind), what("")),
        (kind, "restored") => format!("{who} restored the {} {}", noun(kind), what("")),
        (kind, "updated") => format!(
            "{who} changed {} of the {} {}",
            list_or(&fields_changed(facts.changes), "details"),
            noun(kind),
            what("")
        ),
        _ => format!(
            "{who}: {} {}",
            area.replace('_', " "),
            verb.replace('_', " ")
        ),
    }
    .trim_end()
    .to_string()
}

/// One field of a change: its old and new value, when recorded.
struct Change<'a> {
    present: bool,
    old: Option<&'a Value>,
    new: Option<&'a Value>,
}

impl<'a> Change<'a> {
    fn of(changes: &'a Value, name: &str) -> Self {
        let entry = changes.get(name);
        Change {
            present: entry.is_some(),
            old: entry.and_then(|e| e.get("old")).filter(|v| !v.is_null()),
            new: entry.and_then(|e| e.get("new")).filter(|v| !v.is_null()),
        }
    }

    fn old_text(&self) -> Option<&'a str> {
        self.old.and_then(Value::as_str)
    }
    fn new_text(&self) -> Option<&'a str> {
        self.new.and_then(Value::as_str)
    }
    fn old_id(&self) -> Option<Uuid> {
        self.old_text().and_then(|t| t.parse().ok())
    }
    fn new_id(&self) -> Option<Uuid> {
        self.new_text().and_then(|t| t.parse().ok())
    }
    fn old_time(&self) -> Option<DateTime<Utc>> {
        self.old_text().and_then(|t| t.parse().ok())
    }
    fn new_time(&self) -> Option<DateTime<Utc>> {
        self.new_text().and_then(|t| t.parse().ok())
    }

    /// " from 14:00 to 14:30 on Tue 8 Dec", or with both days when it moved
    /// to another day.
    fn moved(&self, clock: Clock) -> Option<String> {
        let (old, new) = (self.old_time()?, self.new_time()?);
        Some(
            if clock.local(old).date_naive() == clock.local(new).date_naive() {
                format!(
                    " from {} to {} on {}",
                    clock.time(old),
                    clock.time(new),
                    day(new, clock)
                )
            } else {
                format!(
                    " from {} to {}",
                    clock.day_time(old, "%a %-d %b"),
                    clock.day_time(new, "%a %-d %b")
                )
            },
        )
    }
}

fn day(at: DateTime<Utc>, clock: Clock) -> String {
    clock.local(at).format("%a %-d %b").to_string()
}

/// The changed fields, in words.
fn fields_changed(changes: &Value) -> Vec<String> {
    changes
        .as_object()
        .map(|fields| fields.keys().map(|k| field_name(k)).collect())
        .unwrap_or_default()
}

fn field_name(key: &str) -> String {
    match key {
        "duration_minutes" => "length".into(),
        "price_minor" => "price".into(),
        "email_reminders" => "reminder consent".into(),
        "booking_step_minutes" => "booking step".into(),
        "time_format" => "time format".into(),
        "hours" => "working hours".into(),
        other => other.trim_end_matches("_id").replace('_', " "),
    }
}

fn list_or(parts: &[String], empty: &str) -> String {
    if parts.is_empty() {
        empty.to_string()
    } else {
        parts.join(", ")
    }
}

fn noun(kind: &str) -> String {
    match kind {
        "api_key" => "API key".into(),
        other => other.replace('_', " "),
    }
}

fn article(role: &str) -> String {
    let vowel = role.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {role}", if vowel { "an" } else { "a" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time_format::TimeFormat;
    use serde_json::json;

    const BERLIN: Clock = Clock {
        zone: chrono_tz::Europe::Berlin,
        format: TimeFormat::H24,
    };

    fn say(action: &str, subject: Option<&str>, changes: Value, names: &Names) -> String {
        let facts = Facts {
            actor: "Ana",
            action,
            subject,
            changes: &changes,
        };
        describe(&facts, names, BERLIN)
    }

    #[test]
    fn a_move_reads_in_the_business_time() {
        let changes =
            json!({"starts_at": {"old": "2026-12-08T13:00:00Z", "new": "2026-12-08T13:30:00Z"}});
        assert_eq!(
            say(
                "appointment.rescheduled",
                Some("Amir Dubois"),
                changes,
                &Names::new()
            ),
            "Ana moved Amir Dubois from 14:00 to 14:30 on Tue 8 Dec"
        );
    }

    #[test]
    fn a_twelve_hour_business_reads_its_own_habit() {
        let changes =
            json!({"starts_at": {"old": "2026-12-08T13:00:00Z", "new": "2026-12-09T08:30:00Z"}});
        let facts = Facts {
            actor: "Ana",
            action: "appointment.rescheduled",
            subject: Some("Amir Dubois"),
            changes: &changes,
        };
        let clock = Clock::new(chrono_tz::America::Chicago, TimeFormat::H12);
        assert_eq!(
            describe(&facts, &Names::new(), clock),
            "Ana moved Amir Dubois from Tue 8 Dec 7:00 AM to Wed 9 Dec 2:30 AM"
        );
    }

    #[test]
    fn an_edit_names_providers_instead_of_ids() {
        let (kai, lena) = (Uuid::now_v7(), Uuid::now_v7());
        let names = Names::from([(kai, "Kai".to_string()), (lena, "Lena".to_string())]);
        let changes = json!({
            "provider_id": {"old": kai, "new": lena},
            "notes": {"old": "", "new": "Bring the X-ray"},
            "starts_at": {"old": "2026-07-01T08:00:00Z", "new": "2026-07-02T08:00:00Z"},
        });
        let text = say("appointment.changed", Some("Mia Novak"), changes, &names);
        assert_eq!(
            text,
            "Ana changed Mia Novak's appointment: from Wed 1 Jul 10:00 to Thu 2 Jul 10:00, provider Kai → Lena, notes"
        );
        assert!(!text.contains(&kai.to_string()));
    }

    #[test]
    fn statuses_roles_and_settings_read_as_words() {
        let none = Names::new();
        let status = json!({"status": {"old": "booked", "new": "no_show"}});
        assert_eq!(
            say(
                "appointment.status_changed",
                Some("Mia Novak"),
                status,
                &none
            ),
            "Ana marked Mia Novak's appointment no-show"
        );
        let role = json!({"role": {"old": "staff", "new": "admin"}});
        assert_eq!(
            say("member.role_changed", Some("Kai"), role, &none),
            "Ana made Kai an admin (was staff)"
        );
        let step = json!({"booking_step_minutes": {"old": 15, "new": 10}});
        assert_eq!(
            say("tenant.updated", None, step, &none),
            "Ana changed the business settings: booking step"
        );
        let price = json!({"price_minor": {"old": 100, "new": 200}});
        assert_eq!(
            say("service.updated", Some("Massage"), price, &none),
            "Ana changed price of the service Massage"
        );
    }

    #[test]
    fn a_booking_without_its_record_still_reads() {
        let changes = json!({"starts_at": {"old": null, "new": "2026-03-29T08:00:00Z"}});
        assert_eq!(
            say("appointment.booked", None, changes, &Names::new()),
            "Ana booked a client for Sun 29 Mar 10:00"
        );
    }
}
