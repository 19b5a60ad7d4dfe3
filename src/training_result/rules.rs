//! When a module is satisfied, a programme complete and a certification
//! renewed, as pure functions over a trainee's results (documented in
//! `docs/training.md`).
//!
//! - An attempt *completes* a module when its verb is `completed` or its
//!   result says `completion: true`.
//! - An attempt *passes* when its verb is `passed` or its result says
//!   `success: true`, or, for a module with a mastery score, when its scaled
//!   score is at or above the mastery score and its verb is not `failed`; a
//!   scaled score below the mastery score never passes.
//! - `waived` and `satisfied` satisfy a module whatever its rule.
//! - Attempts are taken in time order and satisfaction sticks: a later
//!   failure does not undo it. `COMPLETED_AND_PASSED` needs a completing and
//!   a passing attempt, not necessarily the same one, and is satisfied when
//!   the later of the two first ones happened.

use chrono::{DateTime, Utc};

use crate::training::programmes::MoveOn;

/// The verbs of a result (xAPI, with the cmi5 ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// The module was launched.
    Launched,
    /// The module was initialised.
    Initialized,
    /// The module was completed.
    Completed,
    /// The assessment was passed.
    Passed,
    /// The assessment was failed.
    Failed,
    /// The attempt was abandoned.
    Abandoned,
    /// The module was waived.
    Waived,
    /// The module was satisfied (as the LMS decided).
    Satisfied,
}

/// One result of a module.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attempt {
    /// Its verb.
    pub verb: Verb,
    /// Scaled score, -1..1.
    pub score: Option<f64>,
    /// `result.success`.
    pub success: Option<bool>,
    /// `result.completion`.
    pub completion: Option<bool>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Whether and since when a module is satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Satisfaction {
    /// Not yet.
    No,
    /// Satisfied without results (`NOT_APPLICABLE`).
    Always,
    /// Since this time.
    At(DateTime<Utc>),
}

fn completes(a: &Attempt) -> bool {
    a.verb == Verb::Completed || a.completion == Some(true)
}

fn passes(a: &Attempt, mastery: Option<f64>) -> bool {
    let below = matches!((mastery, a.score), (Some(m), Some(s)) if s < m);
    if below {
        return false;
    }
    let said = a.verb == Verb::Passed || a.success == Some(true);
    let scored = mastery.is_some() && a.score.is_some() && a.verb != Verb::Failed;
    said || scored
}

/// The satisfaction of a module under `move_on` and `mastery` by
/// `attempts` (any order).
pub fn satisfaction(move_on: MoveOn, mastery: Option<f64>, attempts: &[Attempt]) -> Satisfaction {
    if move_on == MoveOn::NotApplicable {
        return Satisfaction::Always;
    }
    let mut sorted: Vec<&Attempt> = attempts.iter().collect();
    sorted.sort_by_key(|a| a.at);
    let first = |f: &dyn Fn(&Attempt) -> bool| sorted.iter().find(|a| f(a)).map(|a| a.at);
    let waived = first(&|a| matches!(a.verb, Verb::Waived | Verb::Satisfied));
    let completed = first(&|a| completes(a));
    let passed = first(&|a| passes(a, mastery));
    let by_rule = match move_on {
        MoveOn::Completed => completed,
        MoveOn::Passed => passed,
        MoveOn::CompletedOrPassed => match (completed, passed) {
            (Some(c), Some(p)) => Some(c.min(p)),
            (c, p) => c.or(p),
        },
        MoveOn::CompletedAndPassed => completed.zip(passed).map(|(c, p)| c.max(p)),
        MoveOn::NotApplicable => None,
    };
    match (waived, by_rule) {
        (Some(w), Some(r)) => Satisfaction::At(w.min(r)),
        (w, r) => w.or(r).map_or(Satisfaction::No, Satisfaction::At),
    }
}

/// When every module of `modules` (satisfactions) is satisfied: the latest
/// of their times, `fallback` when none needed a result; `None` while one
/// is not.
pub fn all_satisfied(modules: &[Satisfaction], fallback: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut latest: Option<DateTime<Utc>> = None;
    for s in modules {
        match s {
            Satisfaction::No => return None,
            Satisfaction::Always => {}
            Satisfaction::At(t) => latest = Some(latest.map_or(*t, |l| l.max(*t))),
        }
    }
    Some(latest.unwrap_or(fallback))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, h, 0, 0).unwrap()
    }

    fn a(verb: Verb, score: Option<f64>, h: u32) -> Attempt {
        Attempt {
            verb,
            score,
            success: None,
            completion: None,
            at: t(h),
        }
    }

    #[test]
    fn completed_needs_a_completion() {
        let r = [a(Verb::Launched, None, 1), a(Verb::Passed, Some(0.9), 2)];
        assert_eq!(satisfaction(MoveOn::Completed, None, &r), Satisfaction::No);
        let mut done = a(Verb::Initialized, None, 3);
        done.completion = Some(true);
        assert_eq!(
            satisfaction(MoveOn::Completed, None, &[r[0], r[1], done]),
            Satisfaction::At(t(3))
        );
    }

    #[test]
    fn passed_respects_the_mastery_score_and_sticks() {
        // 0.7 below 0.8 does not pass even when the verb says passed; 0.85
        // passes; a later failure does not undo it.
        let r = [
            a(Verb::Passed, Some(0.7), 1),
            a(Verb::Failed, Some(0.85), 2),
            a(Verb::Completed, Some(0.85), 3),
            a(Verb::Failed, Some(0.2), 4),
        ];
        assert_eq!(
            satisfaction(MoveOn::Passed, Some(0.8), &r),
            Satisfaction::At(t(3)),
            "a failed verb never passes; a scored completion at mastery does"
        );
        // Without a mastery score only `passed` or success counts.
        assert_eq!(
            satisfaction(MoveOn::Passed, None, &r),
            Satisfaction::At(t(1))
        );
    }

    #[test]
    fn completed_and_passed_may_take_two_attempts_and_or_takes_the_first() {
        let r = [a(Verb::Completed, None, 1), a(Verb::Passed, None, 5)];
        assert_eq!(
            satisfaction(MoveOn::CompletedAndPassed, None, &r),
            Satisfaction::At(t(5))
        );
        assert_eq!(
            satisfaction(MoveOn::CompletedOrPassed, None, &r),
            Satisfaction::At(t(1))
        );
        assert_eq!(
            satisfaction(MoveOn::CompletedAndPassed, None, &r[..1]),
            Satisfaction::No
        );
    }

    #[test]
    fn not_applicable_and_waived() {
        assert_eq!(
            satisfaction(MoveOn::NotApplicable, None, &[]),
            Satisfaction::Always
        );
        assert_eq!(
            satisfaction(
                MoveOn::CompletedAndPassed,
                None,
                &[a(Verb::Waived, None, 2)]
            ),
            Satisfaction::At(t(2))
        );
        let all = [
            Satisfaction::At(t(2)),
            Satisfaction::Always,
            Satisfaction::At(t(4)),
        ];
        assert_eq!(all_satisfied(&all, t(0)), Some(t(4)));
        assert_eq!(all_satisfied(&[Satisfaction::Always], t(0)), Some(t(0)));
        assert_eq!(
            all_satisfied(&[Satisfaction::At(t(1)), Satisfaction::No], t(0)),
            None
        );
    }
}
