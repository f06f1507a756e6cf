//! The sampler thread: on its own clock, reads system dirty state, the
//! working file's page map and which pages of the current file mapping are
//! faulted in (and the mapping's own line of /proc/self/maps). Its reads are its own (separate thread, separate counters), so
//! they never show in the worker's figures.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use super::{FlusherClock, MapCell, MappingInfo, Shared, Snapshot, Vma};
use crate::probe::Disabled;
use crate::probe::pages::{PageMap, PageProbe, page_size};
use crate::probe::system::{DirtySettings, SystemMemReader};

/// Cells in a sampled page map.
pub const CELLS: usize = 256;
/// The sampling period of a burst (1 kHz), and how long a burst lasts at
/// least once a step starts waiting on the device.
pub const BURST: Duration = Duration::from_millis(1);
pub const BURST_FOR: Duration = Duration::from_millis(250);
/// While a step waits and the file's dirty pages are about to expire, the
/// sampler watches every [`FLUSHER_WATCH`] from this long before the
/// flusher may take them: its writeback of a few MiB lasts milliseconds,
/// which 20 Hz would miss, and then bursts at [`BURST`] once pages are
/// under writeback.
pub const FLUSHER_LEAD: Duration = Duration::from_millis(500);
pub const FLUSHER_WATCH: Duration = Duration::from_millis(5);

pub(crate) fn run<E>(shared: &Shared, hz: u32, disabled: &Disabled, tx: &Sender<E>)
where
    E: From<Snapshot> + Send + 'static,
{
    let period = Duration::from_secs(1) / hz.max(1);
    // While a step waits on the device: a sample every millisecond for its
    // first BURST_FOR, and for as long as pages of the file are under
    // writeback (a fast disk cleans 8 MiB in 20 ms: 20 Hz would miss it);
    // every FLUSHER_WATCH while the flusher may take the file's dirty pages
    // (a long wait_writeback), so the writeback it starts 30 s in is seen.
    let mut wait_began: Option<Instant> = None;
    // Since when the sampled file has had dirty pages: the flusher counts
    // their expiry from the first (the inode's dirtied time).
    let mut dirty_since: Option<Instant> = None;
    let mut file: Option<(File, PageProbe)> = None;
    let pagemap = File::open("/proc/self/pagemap").ok();
    let mut system = SystemMemReader::default();
    // The flusher's clock: read once, the view counts down to it.
    let settings = DirtySettings::read();
    let flusher = settings
        .dirty_expire_centisecs
        .zip(settings.dirty_writeback_centisecs)
        .map(|(expire, every)| FlusherClock::from_centisecs(expire, every));
    // The mapping's permissions, read once per published mapping (no op
    // changes them: there is no mprotect).
    let mut perms: Option<(u64, Option<String>)> = None;
    let mut next = Instant::now();
    loop {
        if shared.control.is_aborted() {
            return;
        }
        // A new file in the slot replaces the one sampled: a `program` step
        // points the sampler at its watched file, and back afterwards.
        if let Some(f) = shared
            .sampler_file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        {
            let probe = PageProbe::detect(disabled, &f);
            file = Some((f, probe));
        }
        let map = file.as_ref().and_then(|(f, p)| p.map(f, CELLS).ok());
        let read = match (&map, &pagemap) {
            (Some(m), Some(pm)) => stable_mapping(shared, |info, generation| {
                let (cells, present) = mapping_cells(m, info, pm);
                let maps = match &perms {
                    Some((g, p)) if *g == generation => p.clone(),
                    _ => {
                        let p = maps_perms(info.addr);
                        perms = Some((generation, p.clone()));
                        p
                    }
                };
                (cells, vma(info, present, maps))
            }),
            _ => None,
        };
        let (mapping, vma) = read.map_or((None, None), |(c, v)| (Some(c), Some(v)));
        let not_durable_bytes = map.as_ref().and_then(|m| {
            let unclean = m.totals.dirty? + m.totals.writeback?;
            let own = shared.unwritten.load(std::sync::atomic::Ordering::Relaxed);
            Some(own.min(unclean * crate::probe::pages::page_size()))
        });
        let waiting = shared.device_wait();
        wait_began = match (waiting, wait_began) {
            (true, None) => Some(Instant::now()),
            (true, began) => began,
            (false, _) => None,
        };
        let writeback = map
            .as_ref()
            .and_then(|m| m.totals.writeback)
            .is_some_and(|w| w > 0);
        let dirty = map.as_ref().and_then(|m| m.totals.dirty);
        dirty_since = match dirty {
            Some(0) if !writeback => None,
            Some(_) => dirty_since.or_else(|| Some(Instant::now())),
            None => dirty_since,
        };
        // The flusher may take the file's pages any moment now.
        let flusher_due = waiting
            && dirty.is_some_and(|d| d > 0)
            && flusher_may_take(dirty_since.map(|t| t.elapsed()), flusher);
        let fast = wait_began.is_some_and(|t| t.elapsed() < BURST_FOR || writeback);
        let burst = (fast || flusher_due) && period > BURST;
        let sample = Snapshot {
            at: shared.at(),
            system: system.read(),
            file: map,
            mapping,
            vma,
            not_durable_bytes,
            burst,
            flusher,
        };
        if tx.send(E::from(sample)).is_err() {
            return;
        }
        next += match (burst, fast) {
            (true, true) => BURST,
            (true, false) => FLUSHER_WATCH,
            (false, _) => period,
        };
        let now = Instant::now();
        if next < now {
            // Fell behind (a slow read): do not burst to catch up.
            next = now;
        }
        if !burst && !sleep_until_wait(shared, next, waiting) {
            return;
        }
        if burst && shared.control.sleep(next - now).is_err() {
            return;
        }
    }
}

/// Whether the periodic flusher may write pages dirty for `dirty_for` within
/// [`FLUSHER_LEAD`]: they expire after `clock.expire` (and are written at
/// the next wake-up after that). Never when periodic writeback is off or
/// the clock is unknown.
fn flusher_may_take(dirty_for: Option<Duration>, clock: Option<FlusherClock>) -> bool {
    match (dirty_for, clock) {
        (Some(age), Some(c)) if !c.every.is_zero() => age + FLUSHER_LEAD >= c.expire,
        _ => false,
    }
}

/// Sleep until `until`, or until a device wait begins when none was under
/// way (`waiting`): its first milliseconds are what slow motion shows.
/// False when aborted.
fn sleep_until_wait(shared: &Shared, until: Instant, waiting: bool) -> bool {
    let (lock, began) = &shared.wait_began;
    let mut guard = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        if shared.control.is_aborted() {
            return false;
        }
        let now = Instant::now();
        if now >= until || (!waiting && shared.device_wait()) {
            return true;
        }
        // At most 50 ms at a time, so an abort is seen promptly.
        let wait = (until - now).min(Duration::from_millis(50));
        guard = began
            .wait_timeout(guard, wait)
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0;
    }
}

/// `read` of the published mapping (and its generation), kept only if the
/// mapping was not republished meanwhile: the worker republishes before
/// every munmap, so a read that overlapped one may describe a range that is
/// gone (or already holds another mapping). A few retries, then nothing for
/// this sample.
fn stable_mapping<T>(shared: &Shared, mut read: impl FnMut(MappingInfo, u64) -> T) -> Option<T> {
    for _ in 0..3 {
        let (info, generation) = shared.mapping();
        let got = read(info?, generation);
        if shared.mapping().1 == generation {
            return Some(got);
        }
    }
    None
}

/// The mapping as the view shows it: `present` of its pages in the page
/// tables, and its permissions from /proc/self/maps (`maps`) or, when that
/// could not be read, as the op asked for them.
fn vma(info: MappingInfo, present: u64, maps: Option<String>) -> Vma {
    let perms_measured = maps.is_some();
    let perms = maps.unwrap_or_else(|| {
        format!(
            "r{}-{}",
            if info.write { 'w' } else { '-' },
            if info.shared { 's' } else { 'p' }
        )
    });
    Vma {
        offset: info.offset,
        len: info.len as u64,
        perms,
        perms_measured,
        pages: (info.len as u64).div_ceil(page_size()),
        present_pages: present,
    }
}

/// The permissions column (`rw-s`) of the /proc/self/maps line of the
/// mapping that starts at `addr`.
fn maps_perms(addr: usize) -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    perms_of(&maps, addr)
}

fn perms_of(maps: &str, addr: usize) -> Option<String> {
    let start = format!("{addr:x}-");
    maps.lines()
        .find(|l| l.starts_with(&start))?
        .split_whitespace()
        .nth(1)
        .filter(|p| p.len() == 4)
        .map(str::to_string)
}

/// For each cell of `map`: outside the mapping, mapped, or with at least one
/// page present in this process's page tables (`/proc/self/pagemap` bit 63,
/// readable without privileges); and how many pages of the mapping are
/// present, exactly (a cell's flag says only "at least one").
pub fn mapping_cells(map: &PageMap, info: MappingInfo, pagemap: &File) -> (Vec<MapCell>, u64) {
    let page = page_size();
    let first = info.offset / page;
    let end = first + (info.len as u64).div_ceil(page);
    let mut out = Vec::with_capacity(map.cells.len());
    let mut buf = Vec::new();
    let mut total = 0;
    for c in 0..map.cells.len() as u64 {
        let lo = (c * map.pages_per_cell).max(first);
        let hi = ((c + 1) * map.pages_per_cell).min(map.pages).min(end);
        if lo >= hi {
            out.push(MapCell::Unmapped);
            continue;
        }
        let vpage = (info.addr as u64) / page + (lo - first);
        let n = crate::cast::usize(hi - lo);
        buf.resize(n * 8, 0);
        let present = match pagemap.read_at(&mut buf, vpage * 8) {
            Ok(got) => buf[..got]
                .chunks_exact(8)
                .filter(|e| {
                    let mut word = [0u8; 8];
                    word.copy_from_slice(e);
                    u64::from_ne_bytes(word) >> 63 == 1
                })
                .count() as u64,
            Err(_) => 0,
        };
        total += present;
        out.push(if present > 0 {
            MapCell::Faulted
        } else {
            MapCell::Mapped
        });
    }
    (out, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Speed;
    use crate::engine::control::Control;

    const INFO: MappingInfo = MappingInfo {
        addr: 0x7000_0000,
        len: 4096,
        offset: 0,
        shared: true,
        write: false,
    };

    #[test]
    fn a_read_that_overlaps_an_unmap_is_not_reported() {
        let shared = Shared::new(Control::new(Speed::Max, false));
        shared.publish_mapping(Some(INFO));
        // The worker unpublishes (and would munmap) while the sampler reads.
        let cells = stable_mapping(&shared, |_, _| {
            shared.publish_mapping(None);
            vec![MapCell::Faulted]
        });
        assert_eq!(cells, None);
        // Unmapped and mapped again at the same place: still a different mapping.
        shared.publish_mapping(Some(INFO));
        let mut reads = 0;
        let cells = stable_mapping(&shared, |_, _| {
            reads += 1;
            if reads == 1 {
                shared.publish_mapping(None);
                shared.publish_mapping(Some(INFO));
                vec![MapCell::Faulted]
            } else {
                vec![MapCell::Mapped]
            }
        });
        assert_eq!(cells, Some(vec![MapCell::Mapped]), "the retry's answer");
    }

    #[test]
    fn a_device_wait_wakes_the_sleeping_sampler_and_an_abort_ends_its_sleep() {
        use std::sync::Arc;
        let shared = Arc::new(Shared::new(Control::new(Speed::Max, false)));
        let sleeper = Arc::clone(&shared);
        let t = std::thread::spawn(move || {
            let start = Instant::now();
            let woke = sleep_until_wait(&sleeper, start + Duration::from_secs(20), false);
            (woke, start.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        shared.set_device_wait(true);
        let (woke, took) = t.join().unwrap();
        assert!(woke && took < Duration::from_secs(5), "{took:?}");
        // Already waiting: no early wake-up (no busy loop); an abort ends it.
        let sleeper = Arc::clone(&shared);
        let t = std::thread::spawn(move || {
            sleep_until_wait(&sleeper, Instant::now() + Duration::from_secs(20), true)
        });
        std::thread::sleep(Duration::from_millis(120));
        assert!(
            !t.is_finished(),
            "woke while the wait was already under way"
        );
        shared.control.apply(crate::engine::Command::Abort);
        assert!(!t.join().unwrap());
    }

    #[test]
    fn the_flusher_is_watched_from_just_before_the_pages_expire() {
        let clock = Some(FlusherClock::from_centisecs(3000, 500));
        let s = Duration::from_secs;
        assert!(!flusher_may_take(Some(s(6)), clock));
        assert!(!flusher_may_take(
            Some(Duration::from_millis(29_400)),
            clock
        ));
        assert!(flusher_may_take(Some(Duration::from_millis(29_600)), clock));
        assert!(flusher_may_take(Some(s(34)), clock));
        assert!(!flusher_may_take(None, clock), "nothing dirty");
        assert!(!flusher_may_take(Some(s(40)), None), "clock unknown");
        let off = Some(FlusherClock::from_centisecs(3000, 0));
        assert!(
            !flusher_may_take(Some(s(40)), off),
            "periodic writeback off"
        );
    }

    #[test]
    fn a_quiet_read_is_reported() {
        let shared = Shared::new(Control::new(Speed::Max, false));
        assert_eq!(
            stable_mapping(&shared, |_, _| Vec::<MapCell>::new()),
            None,
            "no mapping"
        );
        shared.publish_mapping(Some(INFO));
        assert_eq!(
            stable_mapping(&shared, |_, _| vec![MapCell::Mapped]),
            Some(vec![MapCell::Mapped])
        );
    }

    /// The exact count behind "page-table entries: N of M": private write
    /// faults copy one page each (no fault-around, no large folio), so 10
    /// stores into a 256-page mapping leave exactly 10 entries.
    #[test]
    fn pagemap_counts_the_pages_touched_and_maps_gives_the_permissions() {
        use crate::probe::pages::{CellState, PageCounts};
        let page = page_size();
        let file = tempfile::tempfile().unwrap();
        file.set_len(256 * page).unwrap();
        // SAFETY: a private mapping of our own temporary file, written
        // through the MmapMut only, within its length.
        let mut m = unsafe { memmap2::MmapOptions::new().map_copy(&file) }.unwrap();
        for i in 0..10 {
            m[crate::cast::usize(i * 25 * page)] = 1;
        }
        let info = MappingInfo {
            addr: m.as_ptr() as usize,
            len: m.len(),
            offset: 0,
            shared: false,
            write: true,
        };
        let map = PageMap {
            pages: 256,
            pages_per_cell: 4,
            cells: vec![CellState::Cached; 64],
            totals: PageCounts::default(),
        };
        let pagemap = File::open("/proc/self/pagemap").unwrap();
        let (cells, present) = mapping_cells(&map, info, &pagemap);
        assert_eq!(present, 10);
        assert_eq!(cells.iter().filter(|c| **c == MapCell::Faulted).count(), 10);
        let v = vma(info, present, maps_perms(info.addr));
        assert_eq!((v.pages, v.present_pages), (256, 10));
        assert_eq!(v.perms, "rw-p");
        assert!(v.perms_measured && v.writable() && !v.shared());
    }

    #[test]
    fn the_permissions_are_the_second_column_of_the_line_that_starts_at_the_mapping() {
        let maps = "55d0a000-55d0b000 r--p 00000000 08:01 12 /bin/x\n\
                    7f0000000000-7f0000100000 rw-s 00000000 08:01 99 /tmp/w (deleted)\n";
        assert_eq!(perms_of(maps, 0x7f00_0000_0000).as_deref(), Some("rw-s"));
        assert_eq!(perms_of(maps, 0x7f00_0000_1000), None);
        let info = MappingInfo {
            shared: true,
            write: false,
            ..INFO
        };
        let v = vma(info, 0, None);
        assert_eq!(
            v.perms, "r--s",
            "the op's own flags when maps cannot be read"
        );
        assert!(!v.perms_measured);
    }
}
