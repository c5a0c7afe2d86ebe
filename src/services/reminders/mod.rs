//! Appointment reminders: the `reminders` schedule arms one reminder per
//! appointment, window and start time (24 hours ahead by default, optionally
//! a second one closer to the start); each is sent by its own job at its due
//! time. A reschedule supersedes the armed reminder and the next scan arms
//! one for the new time; a cancellation supersedes it for good.

mod arm;
mod send;
mod settings;
mod status;

pub(crate) use arm::disarm;
pub use arm::{scan, ScanReminders};
pub use send::SendReminder;
pub use settings::{set_windows, windows, Windows};
pub use status::{for_appointments, resend};
