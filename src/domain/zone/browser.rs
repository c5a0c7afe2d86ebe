//! A time zone the browser resolves: offsets come from `Intl.DateTimeFormat`
//! with the zone's name, so the wasm carries no zone tables.

use std::{cell::RefCell, collections::HashMap, fmt, str::FromStr};

use chrono::{FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use js_sys::{Array, Date, Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::names::NAMES;

/// An IANA zone, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Zone {
    name: &'static str,
}

impl Zone {
    pub const UTC: Zone = Zone { name: "UTC" };

    pub fn name(self) -> &'static str {
        self.name
    }

    /// The offset from UTC in seconds at the instant `utc`.
    fn offset_at(self, utc: NaiveDateTime) -> i32 {
        if self.name == "UTC" {
            return 0;
        }
        let seconds = utc.and_utc().timestamp();
        let local = with_formatter(self.name, |format| wall_clock(format, seconds * 1000))
            .flatten()
            .unwrap_or(utc);
        (local - utc).num_seconds() as i32
    }

    fn fixed(self, seconds: i32) -> ZoneOffset {
        ZoneOffset {
            zone: self,
            fixed: FixedOffset::east_opt(seconds)
                .unwrap_or(FixedOffset::east_opt(0).expect("zero")),
        }
    }
}

/// The error of a name the browser does not know as a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownZone;

impl fmt::Display for UnknownZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a time zone this browser knows")
    }
}

impl FromStr for Zone {
    type Err = UnknownZone;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        if let Some(known) = NAMES.iter().find(|n| **n == name) {
            return Ok(Zone { name: known });
        }
        // A name outside the pickers' list (an alias): kept once per page.
        if with_formatter(name, |_| ()).is_some() {
            return Ok(Zone {
                name: Box::leak(name.to_string().into_boxed_str()),
            });
        }
        Err(UnknownZone)
    }
}

/// An offset of a [`Zone`] at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneOffset {
    zone: Zone,
    fixed: FixedOffset,
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

impl fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.fixed, f)
    }
}

impl TimeZone for Zone {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Self {
        offset.zone
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<ZoneOffset> {
        self.offset_from_local_datetime(&local.and_time(NaiveTime::MIN))
    }

    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<ZoneOffset> {
        match super::local_offsets(*local, |utc| self.offset_at(utc)).as_slice() {
            [one] => MappedLocalTime::Single(self.fixed(*one)),
            [earlier, later] => {
                MappedLocalTime::Ambiguous(self.fixed(*earlier), self.fixed(*later))
            }
            _ => MappedLocalTime::None,
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        self.offset_from_utc_datetime(&utc.and_time(NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        self.fixed(self.offset_at(*utc))
    }
}

thread_local! {
    /// One formatter per zone: building one is the slow part.
    static FORMATTERS: RefCell<HashMap<String, Option<Object>>> = RefCell::new(HashMap::new());
}

/// Runs `f` with the zone's `Intl.DateTimeFormat`; `None` when the browser
/// does not know the zone.
fn with_formatter<T>(zone: &str, f: impl FnOnce(&Object) -> T) -> Option<T> {
    FORMATTERS.with(|cache| {
        let mut cache = cache.borrow_mut();
        let format = cache
            .entry(zone.to_string())
            .or_insert_with(|| formatter(zone).ok());
        format.as_ref().map(f)
    })
}

fn formatter(zone: &str) -> Result<Object, JsValue> {
    let intl = Reflect::get(&js_sys::global(), &"Intl".into())?;
    let constructor: Function = Reflect::get(&intl, &"DateTimeFormat".into())?.dyn_into()?;
    let options = Object::new();
    for (key, value) in [
        ("timeZone", zone),
        ("hourCycle", "h23"),
        ("year", "numeric"),
        ("month", "numeric"),
        ("day", "numeric"),
        ("hour", "numeric"),
        ("minute", "numeric"),
        ("second", "numeric"),
    ] {
        Reflect::set(&options, &key.into(), &value.into())?;
    }
    // An unknown zone throws a RangeError, which `construct` returns.
    Reflect::construct(&constructor, &Array::of2(&"en-US".into(), &options))?.dyn_into()
}

/// The zone's wall-clock time at `millis` since the epoch.
fn wall_clock(format: &Object, millis: i64) -> Option<NaiveDateTime> {
    let format_to_parts: Function = Reflect::get(format, &"formatToParts".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let date = Date::new(&JsValue::from_f64(millis as f64));
    let parts: Array = format_to_parts.call1(format, &date).ok()?.dyn_into().ok()?;
    let mut fields = [0i64; 6];
    for part in parts.iter() {
        let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
        let value = Reflect::get(&part, &"value".into()).ok()?.as_string()?;
        let slot = match kind.as_str() {
            "year" => 0,
            "month" => 1,
            "day" => 2,
            "hour" => 3,
            "minute" => 4,
            "second" => 5,
            _ => continue,
        };
        fields[slot] = value.parse().ok()?;
    }
    let [year, month, day, hour, minute, second] = fields;
    let date = NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32)?;
    // Some engines write midnight as 24 even with h23.
    let time = NaiveTime::from_hms_opt((hour % 24) as u32, minute as u32, second as u32)?;
    Some(date.and_time(time))
}
