//! DIMO's weekly connection streak, as its rewards service computes it
//! (`internal/services/streak.go` of DIMO-Network/rewards-api) and DIP-2 states it.
//!
//! - S1 (levels): level 1 from 0 connected weeks (0 points), level 2 from 4 (1 000), level 3
//!   from 21 (2 000), level 4 from 36 (3 000). A vehicle is at the highest level whose
//!   minimum its streak reaches.
//! - S2 (a connected week): the streak grows by one, the missed-week count returns to 0, and
//!   the week pays the points of the new streak's level.
//! - S3 (a missed week): it pays nothing; the streak is kept, the missed-week count grows,
//!   and on every third missed week in a row the streak falls to the minimum of the level
//!   below (level 1 stays at 0). One or two missed weeks cost only their own points.

use serde::{Deserialize, Serialize};

/// A level of rule S1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreakLevel {
    pub level: u8,
    pub min_weeks: u32,
    pub points: u64,
}

/// Rule S1's table.
pub const STREAK_LEVELS: [StreakLevel; 4] = [
    StreakLevel {
        level: 1,
        min_weeks: 0,
        points: 0,
    },
    StreakLevel {
        level: 2,
        min_weeks: 4,
        points: 1_000,
    },
    StreakLevel {
        level: 3,
        min_weeks: 21,
        points: 2_000,
    },
    StreakLevel {
        level: 4,
        min_weeks: 36,
        points: 3_000,
    },
];

/// Missed weeks in a row after which the streak falls a level (rule S3).
pub const MISSES_PER_FALL: u32 = 3;

/// A vehicle's streak between weeks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Streak {
    pub connected_weeks: u32,
    pub missed_weeks: u32,
}

/// Rule S1: the level a streak of `weeks` reaches.
pub fn level_of(weeks: u32) -> StreakLevel {
    *STREAK_LEVELS
        .iter()
        .rev()
        .find(|l| weeks >= l.min_weeks)
        .expect("level 1 starts at 0 weeks")
}

/// Rules S2 and S3: the streak after a week, and the points the week pays.
pub fn next_week(streak: Streak, connected: bool) -> (Streak, u64) {
    if connected {
        let weeks = streak.connected_weeks.saturating_add(1);
        let next = Streak {
            connected_weeks: weeks,
            missed_weeks: 0,
        };
        return (next, level_of(weeks).points);
    }
    let missed = streak.missed_weeks.saturating_add(1);
    let mut weeks = streak.connected_weeks;
    if missed.is_multiple_of(MISSES_PER_FALL) {
        let index = usize::from(level_of(weeks).level - 1);
        weeks = STREAK_LEVELS[index.saturating_sub(1)].min_weeks;
    }
    (
        Streak {
            connected_weeks: weeks,
            missed_weeks: missed,
        },
        0,
    )
}
