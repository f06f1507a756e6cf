//! Slow motion from real samples: while a step waits on the device the
//! sampler takes the file's page map up to 1000 times a second (its
//! `burst` samples); the view keeps those that differ and plays them back
//! slowed down, so dirty → writeback → clean can be watched even when the
//! disk needs 20 ms. Every frame shown is a sample the kernel gave; only
//! the pace of showing them is ours, and the engine is not held for it.

use std::time::Duration;

use iotour_core::engine::Snapshot;
use iotour_core::probe::pages::PageMap;

use super::pages::PageView;

/// How long a playback aims to take at 1× (a faster speed shortens it).
pub const PLAYBACK: Duration = Duration::from_millis(2500);
/// Slow motion only pays when the recording is much shorter than that.
const MIN_FACTOR: u32 = 4;
const MAX_FACTOR: u32 = 1000;

/// The recording of the step in progress and, once it is played, the play.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlowMotion {
    /// The step the frames are of.
    pub step: Option<usize>,
    /// Distinct page maps of burst samples, with their run time.
    pub frames: Vec<(Duration, PageMap)>,
    /// Playing: from when (run time), how many times slower, which frame.
    pub playing: Option<Play>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Play {
    pub started: Duration,
    pub factor: u32,
    pub shown: usize,
    /// The page map as played (changes highlighted between frames).
    pub view: PageView,
}

/// The slow-down that makes `span` last about `target`: 1, 2 or 5 × 10ⁿ.
pub fn factor_for(span: Duration, target: Duration) -> Option<u32> {
    let span = span.max(Duration::from_millis(1));
    let raw = target.as_secs_f64() / span.as_secs_f64();
    if raw < f64::from(MIN_FACTOR) {
        return None;
    }
    let p = 10f64.powf(raw.log10().floor());
    let nice = [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * p)
        .find(|x| *x <= raw)
        .unwrap_or(p);
    Some((nice as u32).clamp(MIN_FACTOR, MAX_FACTOR))
}

impl SlowMotion {
    /// A new step: nothing recorded, nothing playing.
    pub fn clear(&mut self) {
        *self = SlowMotion::default();
    }

    /// Keep `s`, taken during step `step`, if it is a burst sample whose
    /// map differs from the last kept. A play of an earlier step goes on.
    pub fn record(&mut self, step: Option<usize>, s: &Snapshot) {
        let (true, Some(map)) = (s.burst, &s.file) else {
            return;
        };
        if step != self.step {
            if self.playing.is_some() {
                return;
            }
            self.clear();
            self.step = step;
        }
        let alone = self.frames.len() == 1;
        if let Some((at, last)) = self.frames.last_mut()
            && last == map
        {
            // Nothing has changed yet: the play starts from the last sample
            // before the first change, not from the wait's start (a wait
            // for the flusher holds the same dirty pages for 30 s, and a
            // play of 30 s is no slow motion).
            if alone {
                *at = s.at;
            }
            return;
        }
        self.frames.push((s.at, map.clone()));
    }

    /// Start playing what was recorded, `target` long, if there is a change
    /// worth slowing down (two frames or more, much shorter than `target`).
    pub fn start(&mut self, now: Duration, target: Duration) {
        if self.playing.is_some() || self.frames.len() < 2 {
            return;
        }
        let span = self.frames[self.frames.len() - 1]
            .0
            .saturating_sub(self.frames[0].0);
        let Some(factor) = factor_for(span, target) else {
            return;
        };
        let mut view = PageView::default();
        view.update(Some(self.frames[0].1.clone()), None, now);
        self.playing = Some(Play {
            started: now,
            factor,
            shown: 0,
            view,
        });
    }

    /// Advance the play to run time `now`; it ends after the last frame
    /// (frames recorded meanwhile are played too).
    pub fn tick(&mut self, now: Duration) {
        let Some(play) = self.playing.as_mut() else {
            return;
        };
        let first = self.frames[0].0;
        let played = first + (now.saturating_sub(play.started)) / play.factor;
        let at = self
            .frames
            .iter()
            .rposition(|(t, _)| *t <= played)
            .unwrap_or(0);
        if at != play.shown {
            play.shown = at;
            play.view.update(Some(self.frames[at].1.clone()), None, now);
        }
        // A last look at the end state, then back to live.
        let end = self.frames[self.frames.len() - 1].0 + Duration::from_millis(1);
        if played > end + end.saturating_sub(first) / 4 {
            self.playing = None;
        }
    }

    /// The recording time of the frame on screen, from the first frame.
    pub fn position(&self) -> Option<Duration> {
        let play = self.playing.as_ref()?;
        Some(self.frames[play.shown].0.saturating_sub(self.frames[0].0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn burst(at: u64, state: iotour_core::probe::pages::CellState) -> Snapshot {
        let map = PageMap {
            pages: 4,
            pages_per_cell: 1,
            cells: vec![state; 4],
            totals: iotour_core::probe::pages::PageCounts::default(),
        };
        Snapshot {
            at: Duration::from_millis(at),
            system: iotour_core::probe::system::SystemMem::default(),
            file: Some(map),
            mapping: None,
            vma: None,
            not_durable_bytes: None,
            burst: true,
            flusher: None,
        }
    }

    #[test]
    fn a_long_unchanged_wait_is_not_played_only_its_change() {
        use iotour_core::probe::pages::CellState::{Clean, Dirty, Writeback};
        let mut m = SlowMotion::default();
        // The wait's first burst, then the flusher watched 30 s later.
        for (at, state) in [
            (0, Dirty),
            (250, Dirty),
            (29_500, Dirty),
            (32_104, Dirty),
            (32_105, Writeback),
            (32_125, Clean),
        ] {
            m.record(Some(3), &burst(at, state));
        }
        let times: Vec<u64> = m.frames.iter().map(|(t, _)| t.as_millis() as u64).collect();
        assert_eq!(times, [32_104, 32_105, 32_125]);
        m.start(Duration::from_secs(33), PLAYBACK);
        assert_eq!(m.playing.as_ref().map(|p| p.factor), Some(100));
    }

    #[test]
    fn the_factor_is_round_and_only_when_worth_it() {
        let ms = Duration::from_millis;
        assert_eq!(factor_for(ms(20), ms(2500)), Some(100));
        assert_eq!(factor_for(ms(4), ms(2500)), Some(500));
        assert_eq!(factor_for(ms(1000), ms(2500)), None);
        assert_eq!(factor_for(ms(0), ms(2500)), Some(1000));
    }
}
