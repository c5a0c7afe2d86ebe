//! How a business writes the time of day: `14:30` or `2:30 PM`.
//!
//! One setting per business, so the calendar, the refusals staff read, the
//! audit log and the emails clients get all write times the same way, and a
//! page rendered on the server hydrates to the same text in the browser.

use super::zone::Zone as Tz;
use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(sqlx::Type), sqlx(type_name = "text"))]
pub enum TimeFormat {
    /// `14:30`.
    #[default]
    #[serde(rename = "24h")]
    #[cfg_attr(feature = "server", sqlx(rename = "24h"))]
    H24,
    /// `2:30 PM`.
    #[serde(rename = "12h")]
    #[cfg_attr(feature = "server", sqlx(rename = "12h"))]
    H12,
}

/// Regions where the 12-hour clock is the everyday habit (after CLDR's
/// preferred hour cycles), for a locale such as `en-US` or `es-MX`.
const TWELVE_HOUR_REGIONS: &[&str] = &[
    "US", "CA", "AU", "NZ", "IN", "PH", "PK", "BD", "EG", "SA", "AE", "JO", "KW", "QA", "OM", "BH",
    "MY", "KR", "TW", "MX", "CO", "VE", "SV", "HN", "NI", "GU", "PR",
];
/// Locales of those regions that keep the 24-hour clock.
const TWENTY_FOUR_HOUR_LOCALES: &[&str] = &["fr-CA"];
/// Languages written with the 12-hour clock when no region is named.
const TWELVE_HOUR_LANGUAGES: &[&str] = &["en", "ar", "hi", "bn", "ko", "ur"];

impl TimeFormat {
    pub const ALL: [TimeFormat; 2] = [TimeFormat::H24, TimeFormat::H12];

    /// The word stored and sent by forms.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeFormat::H24 => "24h",
            TimeFormat::H12 => "12h",
        }
    }

    pub fn parse(text: &str) -> Result<Self, TimeFormatError> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == text.trim())
            .ok_or(TimeFormatError)
    }

    /// How the choice reads in a form.
    pub fn label(self) -> &'static str {
        match self {
            TimeFormat::H24 => "24-hour (14:30)",
            TimeFormat::H12 => "12-hour (2:30 PM)",
        }
    }

    /// The habit of the first language in an `Accept-Language` header
    /// (`en-US,en;q=0.9` → 12-hour; `de-DE` or `en-GB` → 24-hour).
    pub fn of_locale(accept_language: &str) -> Self {
        let first = accept_language
            .split(',')
            .next()
            .and_then(|tag| tag.split(';').next())
            .unwrap_or_default()
            .trim();
        let mut parts = first.split(['-', '_']);
        let language = parts.next().unwrap_or_default().to_ascii_lowercase();
        // The region is the first two-letter (or three-digit) subtag after the
        // language; a script such as `Hant` may come between.
        let region = parts
            .find(|p| p.len() == 2 || p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_ascii_uppercase);
        let twelve = match region {
            Some(region) => {
                TWELVE_HOUR_REGIONS.contains(&region.as_str())
                    && !TWENTY_FOUR_HOUR_LOCALES.contains(&format!("{language}-{region}").as_str())
            }
            None => TWELVE_HOUR_LANGUAGES.contains(&language.as_str()),
        };
        if twelve {
            TimeFormat::H12
        } else {
            TimeFormat::H24
        }
    }

    /// A time of day: `09:05` or `9:05 AM`.
    pub fn time(self, t: impl Timelike) -> String {
        match self {
            TimeFormat::H24 => format!("{:02}:{:02}", t.hour(), t.minute()),
            TimeFormat::H12 => {
                let (pm, hour) = t.hour12();
                format!("{hour}:{:02} {}", t.minute(), if pm { "PM" } else { "AM" })
            }
        }
    }

    /// From one time to another: `14:55–15:25`, or `2:55–3:25 PM` when both
    /// fall in the same half of the day.
    pub fn span(self, from: impl Timelike, to: impl Timelike) -> String {
        match self {
            TimeFormat::H12 if from.hour12().0 == to.hour12().0 => {
                let (_, hour) = from.hour12();
                format!("{hour}:{:02}\u{2013}{}", from.minute(), self.time(to))
            }
            _ => format!("{}\u{2013}{}", self.time(from), self.time(to)),
        }
    }

    /// A whole hour, as a calendar's time axis labels it: `09:00` or `9 AM`.
    pub fn hour(self, hour: u32) -> String {
        match self {
            TimeFormat::H24 => format!("{hour:02}:00"),
            TimeFormat::H12 => {
                let twelve = match hour % 12 {
                    0 => 12,
                    h => h,
                };
                format!("{twelve} {}", if hour % 24 < 12 { "AM" } else { "PM" })
            }
        }
    }
}

/// A business's wall clock: the zone its times are read in and the way it
/// writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub zone: Tz,
    pub format: TimeFormat,
}

impl Clock {
    pub fn new(zone: Tz, format: TimeFormat) -> Self {
        Clock { zone, format }
    }

    /// The instant on this clock.
    pub fn local(&self, t: DateTime<Utc>) -> DateTime<Tz> {
        t.with_timezone(&self.zone)
    }

    /// `14:30` or `2:30 PM`.
    pub fn time(&self, t: DateTime<Utc>) -> String {
        self.format.time(self.local(t))
    }

    /// `14:55–15:25` or `2:55–3:25 PM`.
    pub fn span(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
        self.format.span(self.local(from), self.local(to))
    }

    /// The day in `chrono` notation (`%a %-d %b`), then the time.
    pub fn day_time(&self, t: DateTime<Utc>, day: &str) -> String {
        let local = self.local(t);
        format!("{} {}", local.format(day), self.format.time(local))
    }

    /// `Mon 7 Dec 2026, 10:00`.
    pub fn date_time(&self, t: DateTime<Utc>) -> String {
        let local = self.local(t);
        format!(
            "{}, {}",
            local.format("%a %-d %b %Y"),
            self.format.time(local)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("choose 24-hour or 12-hour times")]
pub struct TimeFormatError;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn at(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn times_in_either_habit() {
        assert_eq!(TimeFormat::H24.time(at(9, 5)), "09:05");
        assert_eq!(TimeFormat::H24.time(at(0, 0)), "00:00");
        assert_eq!(TimeFormat::H12.time(at(9, 5)), "9:05 AM");
        assert_eq!(TimeFormat::H12.time(at(0, 30)), "12:30 AM");
        assert_eq!(TimeFormat::H12.time(at(12, 0)), "12:00 PM");
        assert_eq!(TimeFormat::H12.time(at(23, 59)), "11:59 PM");
    }

    #[test]
    fn spans_name_the_half_of_the_day_once_when_they_can() {
        assert_eq!(TimeFormat::H24.span(at(14, 55), at(15, 25)), "14:55–15:25");
        assert_eq!(TimeFormat::H12.span(at(14, 55), at(15, 25)), "2:55–3:25 PM");
        assert_eq!(
            TimeFormat::H12.span(at(11, 30), at(12, 15)),
            "11:30 AM–12:15 PM"
        );
    }

    #[test]
    fn hour_labels() {
        assert_eq!(TimeFormat::H24.hour(7), "07:00");
        assert_eq!(TimeFormat::H12.hour(0), "12 AM");
        assert_eq!(TimeFormat::H12.hour(7), "7 AM");
        assert_eq!(TimeFormat::H12.hour(12), "12 PM");
        assert_eq!(TimeFormat::H12.hour(19), "7 PM");
    }

    #[test]
    fn the_habit_follows_the_first_language_of_the_browser() {
        for (header, format) in [
            ("en-US,en;q=0.9", TimeFormat::H12),
            ("en-GB,en;q=0.9", TimeFormat::H24),
            ("de-DE,de;q=0.9,en;q=0.8", TimeFormat::H24),
            ("en", TimeFormat::H12),
            ("fr", TimeFormat::H24),
            ("en-CA", TimeFormat::H12),
            ("fr-CA", TimeFormat::H24),
            ("zh-Hant-TW", TimeFormat::H12),
            ("es-419", TimeFormat::H24),
            ("es_mx", TimeFormat::H12),
            ("", TimeFormat::H24),
            ("*", TimeFormat::H24),
        ] {
            assert_eq!(TimeFormat::of_locale(header), format, "{header}");
        }
    }

    #[test]
    fn a_clock_reads_instants_in_its_zone() {
        let utc = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let new_york = Clock::new(chrono_tz::America::New_York, TimeFormat::H12);
        let start = utc("2026-03-08T06:30:00Z");
        assert_eq!(new_york.time(start), "1:30 AM");
        // The clocks go forward at 2:00: an hour later reads 3:30.
        assert_eq!(new_york.time(utc("2026-03-08T07:30:00Z")), "3:30 AM");
        assert_eq!(new_york.date_time(start), "Sun 8 Mar 2026, 1:30 AM");
        let berlin = Clock::new(chrono_tz::Europe::Berlin, TimeFormat::H24);
        assert_eq!(
            berlin.span(start, utc("2026-03-08T07:00:00Z")),
            "07:30–08:00"
        );
        assert_eq!(berlin.day_time(start, "%a %-d %b"), "Sun 8 Mar 07:30");
    }

    #[test]
    fn the_stored_words_read_back() {
        for format in TimeFormat::ALL {
            assert_eq!(TimeFormat::parse(format.as_str()), Ok(format));
        }
        assert_eq!(TimeFormat::parse("13h"), Err(TimeFormatError));
    }
}
