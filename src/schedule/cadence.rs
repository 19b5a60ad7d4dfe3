//! The cadence guard, as pure functions over a community's policy and the
//! slots already taken: whether a time is allowed for an item, which items
//! it would conflict with, and the next allowed times.
//!
//! Rules (documented in `docs/campaigns.md`):
//! - quiet hours apply to every item: its local hour (in the community's
//!   time zone, DST-correct) must not fall in `[start, end)`; a window whose
//!   start is after its end wraps midnight; equal bounds mean no quiet hours;
//! - the minimum gap and the weekly maximum apply to prompts only: no other
//!   prompt closer than `min_gap_hours`, and no rolling 7-day window
//!   (`[t, t + 7 days)`) holding more than `max_prompts_per_week` prompts.

use chrono::{DateTime, Duration, DurationRound, Timelike, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

/// A community's cadence policy, as the guard reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Most prompts in any 7 days; `None`: no weekly limit.
    pub max_prompts_per_week: Option<i32>,
    /// Least hours between prompts.
    pub min_gap_hours: Option<i32>,
    /// Quiet hours `[start, end)` in local hours.
    pub quiet_hours: Option<(i32, i32)>,
    /// The community's time zone.
    pub time_zone: Tz,
}

/// A slot already taken by an item of the community.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    /// The item.
    pub item: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Whether it is a prompt.
    pub prompt: bool,
}

/// Why a time is not allowed.
#[derive(Debug, Clone, PartialEq)]
pub enum Breach {
    /// The local time is in quiet hours.
    QuietHours {
        /// Local hour of the slot.
        local_hour: u32,
    },
    /// Prompts closer than the minimum gap.
    TooClose {
        /// The items too close.
        items: Vec<Uuid>,
    },
    /// A 7-day window would hold too many prompts.
    TooMany {
        /// The prompts of the fullest such window.
        items: Vec<Uuid>,
    },
}

impl Breach {
    /// The items it names.
    pub fn items(&self) -> &[Uuid] {
        match self {
            Self::QuietHours { .. } => &[],
            Self::TooClose { items } | Self::TooMany { items } => items,
        }
    }

    /// A sentence for the error message.
    pub fn describe(&self, policy: &Policy) -> String {
        match self {
            Self::QuietHours { local_hour } => {
                let (s, e) = policy.quiet_hours.unwrap_or_default();
                format!(
                    "{local_hour}:00 local time ({}) is in the community's quiet hours {s}:00-{e}:00",
                    policy.time_zone
                )
            }
            Self::TooClose { .. } => format!(
                "another prompt is less than {} hours away",
                policy.min_gap_hours.unwrap_or_default()
            ),
            Self::TooMany { .. } => format!(
                "a 7-day window would hold more than {} prompts",
                policy.max_prompts_per_week.unwrap_or_default()
            ),
        }
    }
}

fn in_quiet_hours(policy: &Policy, at: DateTime<Utc>) -> Option<u32> {
    let (start, end) = policy.quiet_hours?;
    let hour = at.with_timezone(&policy.time_zone).hour();
    let h = hour as i32;
    let quiet = match start.cmp(&end) {
        std::cmp::Ordering::Less => h >= start && h < end,
        std::cmp::Ordering::Greater => h >= start || h < end,
        std::cmp::Ordering::Equal => false,
    };
    quiet.then_some(hour)
}

/// Every rule `at` breaks for an item (`prompt` or not) given the taken
/// `slots` (the item's own slot, if any, left out by the caller).
pub fn check(policy: &Policy, slots: &[Slot], at: DateTime<Utc>, prompt: bool) -> Vec<Breach> {
    let mut out = Vec::new();
    if let Some(local_hour) = in_quiet_hours(policy, at) {
        out.push(Breach::QuietHours { local_hour });
    }
    if !prompt {
        return out;
    }
    let prompts: Vec<&Slot> = slots.iter().filter(|s| s.prompt).collect();
    if let Some(gap) = policy.min_gap_hours.filter(|g| *g > 0) {
        let gap = Duration::hours(i64::from(gap));
        let close: Vec<Uuid> = prompts
            .iter()
            .filter(|s| (s.at - at).abs() < gap)
            .map(|s| s.item)
            .collect();
        if !close.is_empty() {
            out.push(Breach::TooClose { items: close });
        }
    }
    if let Some(max) = policy.max_prompts_per_week {
        let taken: Vec<(Uuid, DateTime<Utc>)> = prompts.iter().map(|s| (s.item, s.at)).collect();
        let fullest = fullest_window(&taken, at, Duration::days(7));
        if fullest.len() as i64 + 1 > i64::from(max) {
            out.push(Breach::TooMany { items: fullest });
        }
    }
    out
}

/// The taken items of the fullest window `[w, w + len)` that contains `at`:
/// such windows start in `(at - len, at]`, and the fullest starts at `at` or
/// at one of the taken times before it. Adding an item at `at` makes that
/// window hold one more, so a limit of `n` per window is kept when the
/// result has fewer than `n` items.
pub fn fullest_window(
    taken: &[(Uuid, DateTime<Utc>)],
    at: DateTime<Utc>,
    len: Duration,
) -> Vec<Uuid> {
    let (lo, hi) = (at - len, at + len);
    // Only times within `len` of `at` can share a window with it.
    let mut near: Vec<(DateTime<Utc>, Uuid)> = taken
        .iter()
        .filter(|(_, t)| *t > lo && *t < hi)
        .map(|(i, t)| (*t, *i))
        .collect();
    near.sort_unstable();
    let mut best = (0, 0);
    let mut starts: Vec<DateTime<Utc>> =
        near.iter().map(|(t, _)| *t).filter(|t| *t <= at).collect();
    starts.push(at);
    let mut first = 0;
    let mut end = 0;
    for w in starts {
        // `near` is sorted: the window [w, w + len) is near[first..end].
        while first < near.len() && near[first].0 < w {
            first += 1;
        }
        let stop = w + len;
        end = end.max(first);
        while end < near.len() && near[end].0 < stop {
            end += 1;
        }
        if end - first > best.1 - best.0 {
            best = (first, end);
        }
    }
    near[best.0..best.1].iter().map(|(_, i)| *i).collect()
}

/// How far ahead [`suggest`] looks.
pub const SUGGEST_HORIZON_DAYS: i64 = 90;

/// The next `count` allowed times for a prompt (or another item) after
/// `after`, on whole quarter hours, each counted as taken before the next is
/// sought, so all of them can be used together. Fewer when the horizon ends.
pub fn suggest(
    policy: &Policy,
    slots: &[Slot],
    after: DateTime<Utc>,
    count: usize,
    prompt: bool,
) -> Vec<DateTime<Utc>> {
    let step = Duration::minutes(15);
    let mut t = after.duration_trunc(step).unwrap_or(after);
    if t <= after {
        t += step;
    }
    let end = after + Duration::days(SUGGEST_HORIZON_DAYS);
    let mut taken: Vec<Slot> = slots.to_vec();
    let mut out = Vec::new();
    while out.len() < count && t <= end {
        if check(policy, &taken, t, prompt).is_empty() {
            out.push(t);
            taken.push(Slot {
                item: Uuid::nil(),
                at: t,
                prompt,
            });
        }
        t += step;
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn policy(max: Option<i32>, gap: Option<i32>, quiet: Option<(i32, i32)>, tz: &str) -> Policy {
        Policy {
            max_prompts_per_week: max,
            min_gap_hours: gap,
            quiet_hours: quiet,
            time_zone: tz.parse().unwrap(),
        }
    }

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
    }

    fn slot(n: u128, t: DateTime<Utc>) -> Slot {
        Slot {
            item: Uuid::from_u128(n),
            at: t,
            prompt: true,
        }
    }

    #[test]
    fn quiet_hours_follow_the_local_clock_across_dst() {
        // Quiet 22:00-07:00 in New York. On 2026-03-07 (EST, UTC-5) 11:00 UTC
        // is 06:00 local: quiet. On 2026-03-09 (EDT since the 8th, UTC-4)
        // 11:00 UTC is 07:00 local: allowed.
        let p = policy(None, None, Some((22, 7)), "America/New_York");
        assert_eq!(
            check(&p, &[], at(7, 11), false),
            vec![Breach::QuietHours { local_hour: 6 }]
        );
        assert!(check(&p, &[], at(9, 11), false).is_empty());
        // 03:00 UTC on the 9th is 23:00 local on the 8th: quiet (wraps midnight).
        assert_eq!(
            check(&p, &[], at(9, 3), false),
            vec![Breach::QuietHours { local_hour: 23 }]
        );
    }

    #[test]
    fn gap_and_weekly_limit_apply_to_prompts_and_name_the_items() {
        let p = policy(Some(2), Some(12), None, "UTC");
        let taken = [slot(1, at(2, 12)), slot(2, at(4, 12))];
        // 6 hours after item 1: too close to it; and days 2, 4 and 2+6h make 3 > 2 in a week.
        let b = check(&p, &taken, at(2, 18), true);
        assert_eq!(
            b[0],
            Breach::TooClose {
                items: vec![Uuid::from_u128(1)]
            }
        );
        assert_eq!(b[1].items().len(), 2);
        // A non-prompt is not counted against either.
        assert!(check(&p, &taken, at(2, 18), false).is_empty());
        // Day 9 12:00: the window from day 4 holds item 2 only, so 2 <= 2.
        // (From day 2 the window ends at day 9 12:00, exclusive.)
        assert!(check(&p, &taken, at(9, 12), true).is_empty());
        // Day 9 11:00 is inside day 2's window [2 12:00, 9 12:00): 3 prompts.
        assert_eq!(
            check(&p, &taken, at(9, 11), true),
            vec![Breach::TooMany {
                items: vec![Uuid::from_u128(1), Uuid::from_u128(2)]
            }]
        );
    }

    #[test]
    fn the_fullest_window_matches_trying_every_start() {
        // Pseudo-random slots over 40 days; every start in (at - 7d, at] is
        // tried on a 15-minute grid and against every slot, by brute force.
        let base = at(1, 0);
        let mut x: u64 = 7;
        let taken: Vec<(Uuid, DateTime<Utc>)> = (0..60)
            .map(|n| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (
                    Uuid::from_u128(n),
                    base + Duration::minutes((x >> 33) as i64 % (40 * 24 * 60)),
                )
            })
            .collect();
        let len = Duration::days(7);
        for probe in 0..80 {
            let t = base + Duration::hours(probe * 12);
            let mut starts: Vec<DateTime<Utc>> = taken.iter().map(|(_, s)| *s).collect();
            starts.extend((0..=7 * 96).map(|q| t - Duration::minutes(15 * q)));
            let brute = starts
                .into_iter()
                .filter(|w| *w > t - len && *w <= t)
                .map(|w| {
                    taken
                        .iter()
                        .filter(|(_, s)| *s >= w && *s < w + len)
                        .count()
                })
                .max()
                .unwrap_or(0);
            assert_eq!(fullest_window(&taken, t, len).len(), brute, "at {t}");
        }
    }

    #[test]
    fn suggestions_are_allowed_together() {
        // At most 1 prompt a week, quiet 20:00-08:00 UTC, one taken on day 2 at 12:00.
        let p = policy(Some(1), None, Some((20, 8)), "UTC");
        let taken = [slot(1, at(2, 12))];
        let s = suggest(&p, &taken, at(3, 9), 2, true);
        // The first free window opens at day 9 12:00 (7 days after the taken
        // one); the next a week later.
        assert_eq!(s, vec![at(9, 12), at(16, 12)]);
        // Not prompts: the next quarter hours outside quiet hours.
        let s = suggest(&p, &taken, at(3, 19), 2, false);
        assert_eq!(
            s,
            vec![
                Utc.with_ymd_and_hms(2026, 3, 3, 19, 15, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 3, 3, 19, 30, 0).unwrap()
            ]
        );
    }
}
