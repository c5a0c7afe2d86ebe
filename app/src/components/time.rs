//! Times as staff read them: in the business's zone, not the server's or the browser's.

use chrono::{DateTime, Utc};
use frontdesk::domain::zone::{utc, Zone as Tz};
use frontdesk::domain::{
    time_format::{Clock, TimeFormat},
    views::SessionView,
};

/// The zone named by an IANA name; UTC if the name is unknown.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or_else(|_| utc())
}

/// The business's clock, from its zone's name and its time format.
pub fn clock_of(zone_name: &str, format: TimeFormat) -> Clock {
    Clock::new(zone(zone_name), format)
}

/// The clock of the business the person works in now; UTC before sign-in.
pub fn session_clock(me: Option<&SessionView>) -> Clock {
    me.map_or(Clock::new(utc(), TimeFormat::H24), |m| {
        clock_of(&m.tenant.time_zone, m.tenant.time_format)
    })
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
