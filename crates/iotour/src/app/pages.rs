//! The working file's page-cache map as last sampled, and which cells changed
//! and how, so the panel can light up "this write dirtied these pages" and
//! "this fsync cleaned them" for a moment.

use std::time::Duration;

use iotour_core::engine::MapCell;
use iotour_core::probe::pages::{CellState, PageMap};

/// How long a changed cell stays highlighted (run clock).
pub const HIGHLIGHT: Duration = Duration::from_millis(1200);

/// What happened to a cell between two samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Came into the page cache (read, readahead, or a write to a new page).
    Cached,
    /// Became dirty: a write or a store through a mapping.
    Dirtied,
    /// Writeback started on it.
    WritebackStarted,
    /// Dirty or under writeback before, clean now: fsync, msync or the flusher.
    Cleaned,
    /// Left the page cache.
    Evicted,
}

impl Change {
    fn between(old: CellState, new: CellState) -> Option<Change> {
        use CellState::{Cached, Clean, Dirty, NotCached, Writeback};
        match (old, new) {
            (a, b) if a == b => None,
            (_, NotCached) => Some(Change::Evicted),
            (_, Dirty) => Some(Change::Dirtied),
            (_, Writeback) => Some(Change::WritebackStarted),
            (Dirty | Writeback, Clean | Cached) => Some(Change::Cleaned),
            (NotCached, Clean | Cached) => Some(Change::Cached),
            // Clean ↔ Cached only says the source learnt or lost dirtiness.
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageView {
    pub map: Option<PageMap>,
    pub mapping: Option<Vec<MapCell>>,
    /// The file mapping itself at the last sample (range, permissions,
    /// page-table entries); `None` without one and in older recordings.
    pub vma: Option<iotour_core::engine::Vma>,
    /// Per cell of `map`: the last change and when it was seen.
    pub changes: Vec<Option<(Change, Duration)>>,
    /// The engine's "not yet durable" bytes at the last sample (`None`:
    /// unknown, or a recording from before the engine counted them).
    pub not_durable: Option<u64>,
}

impl PageView {
    pub fn update(&mut self, map: Option<PageMap>, mapping: Option<Vec<MapCell>>, at: Duration) {
        let Some(new) = map else {
            self.map = None;
            self.mapping = mapping;
            self.changes.clear();
            return;
        };
        let comparable = self
            .map
            .as_ref()
            .is_some_and(|old| old.pages_per_cell == new.pages_per_cell);
        if !comparable {
            // A re-bucketed map cannot be compared cell by cell; start over.
            self.changes = vec![None; new.cells.len()];
        }
        self.changes.resize(new.cells.len(), None);
        if let Some(old) = self.map.as_ref().filter(|_| comparable) {
            for (i, &state) in new.cells.iter().enumerate() {
                let before = old.cells.get(i).copied().unwrap_or(CellState::NotCached);
                if let Some(c) = Change::between(before, state) {
                    self.changes[i] = Some((c, at));
                }
            }
        }
        self.map = Some(new);
        self.mapping = mapping;
    }

    /// The change to highlight on cell `i` at time `now`, if still fresh.
    pub fn fresh_change(&self, i: usize, now: Duration) -> Option<Change> {
        let (c, at) = (*self.changes.get(i)?)?;
        (now.saturating_sub(at) < HIGHLIGHT).then_some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iotour_core::probe::pages::PageCounts;

    fn map(cells: Vec<CellState>) -> PageMap {
        PageMap {
            pages: cells.len() as u64,
            pages_per_cell: 1,
            cells,
            totals: PageCounts::default(),
        }
    }

    #[test]
    fn a_write_then_fsync_is_seen_as_dirtied_then_cleaned() {
        use CellState::*;
        let mut v = PageView::default();
        let t = Duration::from_millis;
        v.update(Some(map(vec![Clean, NotCached])), None, t(0));
        assert_eq!(v.fresh_change(0, t(0)), None);
        v.update(Some(map(vec![Dirty, Dirty, Dirty])), None, t(100));
        assert_eq!(v.fresh_change(0, t(100)), Some(Change::Dirtied));
        assert_eq!(v.fresh_change(2, t(100)), Some(Change::Dirtied));
        v.update(Some(map(vec![Clean, Dirty, Clean])), None, t(200));
        assert_eq!(v.fresh_change(0, t(300)), Some(Change::Cleaned));
        assert_eq!(v.fresh_change(1, t(300)), Some(Change::Dirtied));
        assert_eq!(v.fresh_change(0, t(200) + HIGHLIGHT), None);
    }
}
