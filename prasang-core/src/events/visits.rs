//! Page views, counted in memory and written to the log in batches so that reading an event
//! never costs a write. A crash loses at most the views since the last batch.

use std::collections::HashMap;

use parking_lot::Mutex;

use crate::ids::EventId;

#[derive(Default)]
pub(crate) struct VisitCounter {
    pending: Mutex<HashMap<EventId, u32>>,
}

impl VisitCounter {
    pub(crate) fn record(&self, event: EventId) {
        let mut pending = self.pending.lock();
        let count = pending.entry(event).or_insert(0);
        *count = count.saturating_add(1);
    }

    /// Takes the counts gathered since the previous call.
    pub(crate) fn drain(&self) -> Vec<(EventId, u32)> {
        let mut pending = self.pending.lock();
        let mut drained: Vec<_> = pending.drain().collect();
        drained.sort_unstable();
        drained
    }

    /// Puts counts back after a failed write, so they are not lost.
    pub(crate) fn restore(&self, counts: &[(EventId, u32)]) {
        let mut pending = self.pending.lock();
        for (event, count) in counts {
            let slot = pending.entry(*event).or_insert(0);
            *slot = slot.saturating_add(*count);
        }
    }
}
