//! Time zones by their IANA names. The server reads the zone database
//! compiled into it (chrono-tz); the browser asks its own (`Intl`), which
//! keeps a megabyte of zone tables out of the wasm. Both sides offer the
//! same names in pickers ([`names::NAMES`]), so a page hydrates as drawn.

pub mod names;

#[cfg(target_arch = "wasm32")]
mod browser;

#[cfg(target_arch = "wasm32")]
pub use browser::Zone;
#[cfg(not(target_arch = "wasm32"))]
pub use chrono_tz::Tz as Zone;

/// Coordinated Universal Time.
pub fn utc() -> Zone {
    #[cfg(target_arch = "wasm32")]
    {
        Zone::UTC
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        chrono_tz::UTC
    }
}

/// The zone an IANA name names, if this side knows it.
pub fn parse(name: &str) -> Option<Zone> {
    name.parse().ok()
}

/// The offsets (seconds east of UTC) a wall-clock time `local` can have in
/// a zone whose offset at a UTC instant is `offset_at`: none in a gap, two
/// in an overlap (the earlier instant first). An offset changes at most
/// once within a day, so the offsets a day before and a day after are the
/// only candidates; each that maps back to `local` is one.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn local_offsets(
    local: chrono::NaiveDateTime,
    offset_at: impl Fn(chrono::NaiveDateTime) -> i32,
) -> Vec<i32> {
    let day = chrono::Duration::days(1);
    let mut candidates = vec![offset_at(local - day), offset_at(local + day)];
    // The larger offset is the earlier instant.
    candidates.sort_unstable_by(|a, b| b.cmp(a));
    candidates.dedup();
    candidates
        .retain(|&offset| offset_at(local - chrono::Duration::seconds(offset.into())) == offset);
    candidates
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use chrono::{NaiveDate, NaiveDateTime, Offset, TimeZone};
    use chrono_tz::{America::New_York, Europe::Berlin};

    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    /// The browser's rule, fed with the server's database, agrees with it.
    fn offsets(zone: Zone, local: &str) -> Vec<i32> {
        local_offsets(at(local), |utc| {
            zone.offset_from_utc_datetime(&utc).fix().local_minus_utc()
        })
    }

    #[test]
    fn wall_clock_times_resolve_like_the_zone_database_across_changes() {
        assert_eq!(offsets(Berlin, "2026-12-07 10:00"), vec![3600]);
        assert_eq!(offsets(Berlin, "2026-07-01 10:00"), vec![7200]);
        // Spring forward: 02:30 does not exist; autumn: 02:30 happens twice.
        assert_eq!(offsets(Berlin, "2026-03-29 02:30"), Vec::<i32>::new());
        assert_eq!(offsets(Berlin, "2026-10-25 02:30"), vec![7200, 3600]);
        assert_eq!(
            offsets(New_York, "2026-11-01 01:30"),
            vec![-4 * 3600, -5 * 3600]
        );
        for day in 1..=28 {
            let local = NaiveDate::from_ymd_opt(2026, 3, day)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap();
            let expected = Berlin
                .from_local_datetime(&local)
                .single()
                .unwrap()
                .offset()
                .fix();
            assert_eq!(
                local_offsets(local, |utc| Berlin
                    .offset_from_utc_datetime(&utc)
                    .fix()
                    .local_minus_utc()),
                vec![expected.local_minus_utc()]
            );
        }
        assert_eq!(utc().name(), "UTC");
        assert_eq!(parse("Asia/Tokyo").map(|z| z.name()), Some("Asia/Tokyo"));
        assert_eq!(parse("Mars/Olympus"), None);
    }
}
