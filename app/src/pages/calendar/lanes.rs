//! Side-by-side lanes for overlapping appointments in one column. A group
//! of overlapping appointments that needs more than [`MAX_LANES`] lanes
//! shows the first ones and a "+N" marker for the rest, so no block gets
//! narrower than a third of its column.

use chrono::{DateTime, Utc};
use frontdesk::domain::views::AppointmentView;

/// The most lanes drawn side by side.
pub const MAX_LANES: usize = 3;

/// Where one appointment is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    Shown {
        lane: usize,
        lanes: usize,
    },
    /// Behind its group's "+N" marker.
    Hidden,
}

/// A "+N" marker: in the last lane of its group, from the first hidden start.
#[derive(Debug, Clone, PartialEq)]
pub struct More {
    pub starts_at: DateTime<Utc>,
    pub lane: usize,
    pub lanes: usize,
    /// Indexes of the hidden appointments, earliest first.
    pub hidden: Vec<usize>,
}

/// Places `appointments` (in any order) in lanes, group by group.
pub fn place(appointments: &[AppointmentView]) -> (Vec<Placed>, Vec<More>) {
    let mut order: Vec<usize> = (0..appointments.len()).collect();
    order.sort_by_key(|&i| (appointments[i].starts_at, appointments[i].id));
    let mut placed = vec![Placed::Hidden; appointments.len()];
    let mut more = Vec::new();
    let mut group: Vec<(usize, usize)> = Vec::new(); // (index, lane)
    let mut lane_ends: Vec<DateTime<Utc>> = Vec::new();
    let mut group_end: Option<DateTime<Utc>> = None;
    let mut close = |group: &mut Vec<(usize, usize)>, lanes: usize| {
        if lanes <= MAX_LANES {
            for &(i, lane) in group.iter() {
                placed[i] = Placed::Shown { lane, lanes };
            }
        } else {
            let shown = MAX_LANES - 1;
            let mut hidden = Vec::new();
            for &(i, lane) in group.iter() {
                if lane < shown {
                    placed[i] = Placed::Shown {
                        lane,
                        lanes: MAX_LANES,
                    };
                } else {
                    hidden.push(i);
                }
            }
            more.push(More {
                starts_at: appointments[hidden[0]].starts_at,
                lane: shown,
                lanes: MAX_LANES,
                hidden,
            });
        }
        group.clear();
    };
    for i in order {
        let a = &appointments[i];
        if group_end.is_some_and(|end| a.starts_at >= end) {
            close(&mut group, lane_ends.len());
            lane_ends.clear();
        }
        let lane = match lane_ends.iter().position(|e| *e <= a.starts_at) {
            Some(l) => {
                lane_ends[l] = a.ends_at;
                l
            }
            None => {
                lane_ends.push(a.ends_at);
                lane_ends.len() - 1
            }
        };
        group.push((i, lane));
        group_end = Some(group_end.map_or(a.ends_at, |e| e.max(a.ends_at)));
    }
    close(&mut group, lane_ends.len());
    (placed, more)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use frontdesk::domain::records::AppointmentStatus;
    use std::sync::atomic::{AtomicU32, Ordering};
    use uuid::Uuid;

    static NEXT: AtomicU32 = AtomicU32::new(1);

    fn appt(from: u32, to: u32) -> AppointmentView {
        let at = |h| Utc.with_ymd_and_hms(2026, 12, 7, h, 0, 0).unwrap();
        AppointmentView {
            id: Uuid::from_u128(u128::from(NEXT.fetch_add(1, Ordering::Relaxed))),
            client_id: Uuid::nil(),
            client_name: "Ann".into(),
            service_id: Uuid::nil(),
            service_name: "Cut".into(),
            provider_id: Uuid::nil(),
            provider_name: "Dana".into(),
            resource_ids: Vec::new(),
            starts_at: at(from),
            ends_at: at(to),
            status: AppointmentStatus::Confirmed,
            notes: String::new(),
            override_reason: None,
            series_id: None,
            cancel_reason: None,
            colour: "#3366cc".into(),
        }
    }

    #[test]
    fn separate_groups_each_use_the_full_width() {
        let list = [appt(9, 10), appt(10, 11), appt(9, 11)];
        let (placed, more) = place(&list);
        assert!(more.is_empty());
        assert_eq!(placed[0], Placed::Shown { lane: 0, lanes: 2 });
        assert_eq!(
            placed[1],
            Placed::Shown { lane: 0, lanes: 2 },
            "reuses lane 0 after 10:00"
        );
        assert_eq!(placed[2], Placed::Shown { lane: 1, lanes: 2 });
        let (alone, _) = place(&[appt(14, 15)]);
        assert_eq!(alone[0], Placed::Shown { lane: 0, lanes: 1 });
    }

    #[test]
    fn more_than_three_at_once_shows_two_and_a_marker_for_the_rest() {
        let list = [
            appt(9, 10),
            appt(9, 10),
            appt(9, 11),
            appt(9, 10),
            appt(12, 13),
        ];
        let (placed, more) = place(&list);
        let shown = placed.iter().filter(|p| **p != Placed::Hidden).count();
        assert_eq!(
            shown, 3,
            "two of the group and the one at 12:00: {placed:?}"
        );
        assert_eq!(more.len(), 1);
        assert_eq!(more[0].hidden.len(), 2);
        assert_eq!((more[0].lane, more[0].lanes), (2, 3));
        assert_eq!(placed[4], Placed::Shown { lane: 0, lanes: 1 });
    }
}
