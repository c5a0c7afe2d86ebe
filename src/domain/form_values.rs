//! Text as staff type it in forms, turned into record values: prices like
//! `60` or `59.50`, working hours like `09:00-12:30, 13:30-18:00`.

use chrono::{NaiveTime, Weekday};

use super::{scheduling::WorkingSpan, time_format::TimeFormat};

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

/// One day's spans written back as `09:00-12:30, 13:30-18:00` (or in the
/// 12-hour `format`).
pub fn format_day_hours(hours: &[WorkingSpan], weekday: Weekday, format: TimeFormat) -> String {
    hours
        .iter()
        .filter(|h| h.weekday == weekday)
        .map(|h| format!("{}-{}", format.time(h.starts), format.time(h.ends)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One day of the weekly grid: from `starts` to `ends`, less the breaks
/// (`12:30-13:30`, several separated by commas). Both times empty: a day off.
pub fn parse_day_grid(
    weekday: Weekday,
    starts: &str,
    ends: &str,
    breaks: &str,
) -> Result<Vec<WorkingSpan>, String> {
    let (starts, ends) = (starts.trim(), ends.trim());
    if starts.is_empty() && ends.is_empty() {
        return match breaks.trim() {
            "" => Ok(Vec::new()),
            _ => Err("a day off has no breaks: give the start and end, or clear the breaks".into()),
        };
    }
    let time = |t: &str, what: &str| {
        // Browsers send `09:00`, or `09:00:00` when seconds were set.
        NaiveTime::parse_from_str(t, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
            .map_err(|_| format!("give the {what} as a time like 09:00"))
    };
    let (starts, ends) = (time(starts, "start")?, time(ends, "end")?);
    if starts >= ends {
        return Err("the day ends before it starts".into());
    }
    let mut gaps = parse_day_hours(weekday, breaks).map_err(|e| e.replace("hours", "breaks"))?;
    gaps.sort_by_key(|g| g.starts);
    let mut spans = Vec::new();
    let mut from = starts;
    for gap in gaps {
        if gap.starts <= from || gap.ends >= ends {
            return Err(format!(
                "the break {}-{} must lie inside the working day, apart from other breaks",
                gap.starts.format("%H:%M"),
                gap.ends.format("%H:%M")
            ));
        }
        spans.push(WorkingSpan {
            weekday,
            starts: from,
            ends: gap.starts,
        });
        from = gap.ends;
    }
    spans.push(WorkingSpan {
        weekday,
        starts: from,
        ends,
    });
    Ok(spans)
}

/// A day's spans as the grid shows them: start, end and the breaks between.
pub fn day_grid(hours: &[WorkingSpan], weekday: Weekday) -> (String, String, String) {
    let mut day: Vec<_> = hours.iter().filter(|h| h.weekday == weekday).collect();
    day.sort_by_key(|h| h.starts);
    let (Some(first), Some(last)) = (day.first(), day.last()) else {
        return Default::default();
    };
    let breaks = day
        .windows(2)
        .map(|w| {
            format!(
                "{}-{}",
                w[0].ends.format("%H:%M"),
                w[1].starts.format("%H:%M")
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    (
        first.starts.format("%H:%M").to_string(),
        last.ends.format("%H:%M").to_string(),
        breaks,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_turns_breaks_into_spans_and_back() {
        let spans = parse_day_grid(
            Weekday::Thu,
            "08:00",
            "18:00:00",
            "12:30-13:30, 15:00-15:15",
        )
        .unwrap();
        assert_eq!(
            format_day_hours(&spans, Weekday::Thu, TimeFormat::H24),
            "08:00-12:30, 13:30-15:00, 15:15-18:00"
        );
        assert_eq!(
            day_grid(&spans, Weekday::Thu),
            (
                "08:00".into(),
                "18:00".into(),
                "12:30-13:30, 15:00-15:15".into()
            )
        );
        assert_eq!(day_grid(&spans, Weekday::Fri), Default::default());
        assert!(parse_day_grid(Weekday::Sun, " ", "", "")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn the_grid_names_what_is_wrong() {
        let err = |s, e, b| parse_day_grid(Weekday::Mon, s, e, b).unwrap_err();
        assert!(err("09:00", "", "").contains("end"));
        assert!(err("18:00", "09:00", "").contains("ends before"));
        assert!(err("09:00", "17:00", "08:00-09:30").contains("08:00-09:30"));
        assert!(err("09:00", "17:00", "12:00-13:00, 12:30-14:00").contains("12:30-14:00"));
        assert!(err("09:00", "17:00", "lunch").contains("breaks like"));
        assert!(err("", "", "12:00-13:00").contains("day off"));
    }

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
            format_day_hours(&spans, Weekday::Tue, TimeFormat::H24),
            "09:00-12:30, 13:30-18:00"
        );
        assert_eq!(format_day_hours(&spans, Weekday::Wed, TimeFormat::H24), "");
        assert_eq!(
            format_day_hours(&spans, Weekday::Tue, TimeFormat::H12),
            "9:00 AM-12:30 PM, 1:30 PM-6:00 PM"
        );
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
