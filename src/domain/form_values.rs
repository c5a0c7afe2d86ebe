//! Text as staff type it in forms, turned into record values: prices like
//! `60` or `59.50`, working hours like `09:00-12:30, 13:30-18:00`.

use chrono::{NaiveTime, Weekday};

use super::scheduling::WorkingSpan;

/// A price in minor units from `60`, `60.5` or `60.50` (two decimals at most).
pub fn parse_price(text: &str) -> Result<i64, &'static str> {
    const HINT: &str = "write a price such as 60 or 59.50";
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    let (whole, cents) = text.split_once(['.', ',']).unwrap_or((text, ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || cents.len() > 2
        || !cents.chars().all(|c| c.is_ascii_digit())
    {
        return Err(HINT);
    }
    let whole: i64 = whole.parse().map_err(|_| HINT)?;
    let cents: i64 = format!("{cents:0<2}").parse().map_err(|_| HINT)?;
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .ok_or(HINT)
}

/// Minor units back as `59.50`.
pub fn format_price(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

/// Minutes from a form field, in `min..=max`.
pub fn parse_minutes(text: &str, min: i32, max: i32) -> Result<i32, String> {
    match text.trim().parse::<i32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("write a number of minutes from {min} to {max}")),
    }
}

/// One day's working spans from `09:00-12:30, 13:30-18:00`; empty means a day off.
pub fn parse_day_hours(weekday: Weekday, text: &str) -> Result<Vec<WorkingSpan>, String> {
    text.split([',', ';'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let hint = || format!("write hours like 09:00-17:00 (not \"{part}\")");
            let (from, to) = part.split_once('-').ok_or_else(hint)?;
            let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| hint());
            let (starts, ends) = (time(from)?, time(to)?);
            if starts >= ends {
                return Err(format!("{part} ends before it starts"));
            }
            Ok(WorkingSpan {
                weekday,
                starts,
                ends,
            })
        })
        .collect()
}

/// One day's spans written back as `09:00-12:30, 13:30-18:00`.
pub fn format_day_hours(hours: &[WorkingSpan], weekday: Weekday) -> String {
    hours
        .iter()
        .filter(|h| h.weekday == weekday)
        .map(|h| format!("{}-{}", h.starts.format("%H:%M"), h.ends.format("%H:%M")))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices() {
        assert_eq!(parse_price("60"), Ok(6000));
        assert_eq!(parse_price("59.5"), Ok(5950));
        assert_eq!(parse_price("59,05"), Ok(5905));
        assert_eq!(parse_price(""), Ok(0));
        assert!(parse_price("-1").is_err());
        assert!(parse_price("1.234").is_err());
        assert!(parse_price("ten").is_err());
        assert!(parse_price("99999999999999999999").is_err());
        assert_eq!(format_price(5905), "59.05");
    }

    #[test]
    fn working_hours_round_trip_and_name_bad_parts() {
        let spans = parse_day_hours(Weekday::Tue, "09:00-12:30, 13:30-18:00").unwrap();
        assert_eq!(spans.len(), 2);
        assert_eq!(
            format_day_hours(&spans, Weekday::Tue),
            "09:00-12:30, 13:30-18:00"
        );
        assert_eq!(format_day_hours(&spans, Weekday::Wed), "");
        assert!(parse_day_hours(Weekday::Mon, "").unwrap().is_empty());
        assert!(parse_day_hours(Weekday::Mon, "9-5")
            .unwrap_err()
            .contains("9-5"));
        assert!(parse_day_hours(Weekday::Mon, "17:00-09:00")
            .unwrap_err()
            .contains("ends before"));
        assert!(parse_minutes("30", 5, 1440).is_ok() && parse_minutes("x", 5, 10).is_err());
    }
}
