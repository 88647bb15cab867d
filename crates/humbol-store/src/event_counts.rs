//! How many provisioning events this process has written, by action and outcome, for `/metrics`
//! (`humbol_provisioning_events_total`). Counted when the event row is inserted: a transaction that fails after
//! its event row (rare: the event is written with the change it describes) is still counted.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Outcome, EVENT_ACTIONS};

/// The `action` label of an action outside [`EVENT_ACTIONS`] (never written by this crate; see there).
pub const OTHER: &str = "other";

const ACTIONS: usize = EVENT_ACTIONS.len() + 1;

#[allow(clippy::declare_interior_mutable_const)] // only used to initialise COUNTS
const ZEROS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
static COUNTS: [[AtomicU64; 2]; ACTIONS] = [ZEROS; ACTIONS];

fn outcome_index(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Success => 0,
        Outcome::Refused => 1,
    }
}

/// Counts one event written.
pub(crate) fn count(action: &str, outcome: Outcome) {
    let index = EVENT_ACTIONS.iter().position(|a| *a == action);
    debug_assert!(
        index.is_some(),
        "event action {action:?} is not in EVENT_ACTIONS"
    );
    COUNTS[index.unwrap_or(EVENT_ACTIONS.len())][outcome_index(outcome)]
        .fetch_add(1, Ordering::Relaxed);
}

/// One count: events with this action and outcome written by this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventCount {
    pub action: &'static str,
    pub outcome: Outcome,
    pub count: u64,
}

/// The counts that are not zero.
pub fn event_counts() -> Vec<EventCount> {
    let mut out = Vec::new();
    for (i, row) in COUNTS.iter().enumerate() {
        let action = EVENT_ACTIONS.get(i).copied().unwrap_or(OTHER);
        for outcome in [Outcome::Success, Outcome::Refused] {
            let count = row[outcome_index(outcome)].load(Ordering::Relaxed);
            if count > 0 {
                out.push(EventCount {
                    action,
                    outcome,
                    count,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_grow_by_action_and_outcome() {
        let before = |action: &str, outcome| {
            event_counts()
                .iter()
                .find(|c| c.action == action && c.outcome == outcome)
                .map_or(0, |c| c.count)
        };
        let created = before("created", Outcome::Success);
        let refused = before("refused", Outcome::Refused);
        count("created", Outcome::Success);
        count("created", Outcome::Success);
        count("refused", Outcome::Refused);
        assert!(before("created", Outcome::Success) >= created + 2);
        assert!(before("refused", Outcome::Refused) > refused);
    }
}
