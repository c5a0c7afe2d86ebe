//! Times as staff read them: in the business's zone, not the server's or the browser's.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// The zone named by an IANA name; UTC if the name is unknown.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// `Mon 7 Dec 2026, 10:00`.
pub fn date_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a %-d %b %Y, %H:%M")
        .to_string()
}

/// `10:00`.
pub fn clock(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// The current instant, from the browser's clock or the server's.
pub fn now() -> DateTime<Utc> {
    #[cfg(feature = "hydrate")]
    let millis = js_sys::Date::now() as i64;
    #[cfg(not(feature = "hydrate"))]
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}
