//! The data path as the run has driven it: which places the scenario touches,
//! and for each copy edge (from, to, CPU or DMA) its running byte total and
//! the pulses in flight that the data-path panel animates; and the legs
//! that copy nothing (page references, the NIC a local socket lacks), kept
//! apart so no copy count can take one in.
//!
//! Every figure here is modeled (the engine derives copies from each op's
//! known copy path), and the panel says so.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use iotour_core::model::{Absence, CopyKind, Leg, LegKind, Place, Transfer};
use iotour_core::scenario::{Munmap, Op, Plan, SendToSocket, Target, Touch, Via};

/// How long one pulse takes to travel its edge. Long enough for the eye to
/// follow, short enough that one pulse per slice does not pile up at 1×.
pub const PULSE: Duration = Duration::from_millis(700);
/// Pulses kept per edge: more would only blur into a solid line.
const MAX_PULSES: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EdgeKey {
    pub from: Place,
    pub to: Place,
    pub kind: CopyKind,
}

impl EdgeKey {
    /// `CopyKind` has no order of its own; edges sort by places, then DMA first.
    fn rank(self) -> (Place, Place, u8) {
        let kind = match self.kind {
            CopyKind::Dma => 0,
            CopyKind::Cpu => 1,
        };
        (self.from, self.to, kind)
    }
}

impl Ord for EdgeKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for EdgeKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct EdgeView {
    /// Bytes over the whole run.
    pub total: u64,
    /// Bytes in the step now running (or last run).
    pub step: u64,
    /// Start times (run clock) of the pulses still travelling.
    pub pulses: VecDeque<Duration>,
}

/// What a leg that copies nothing is, as the panel draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegLook {
    /// The destination holds references to the source's pages.
    Refs,
    /// Not on this machine's path, and why.
    Absent(Absence),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LegView {
    pub look: LegLook,
    /// Bytes of the pages referenced (none copied), over the run and in the
    /// current step: `Refs` only.
    pub total: u64,
    pub step: u64,
    /// The current step has this leg.
    pub in_step: bool,
    /// Start times of the reference marks still travelling (`Refs` only).
    pub pulses: VecDeque<Duration>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flow {
    pub places: BTreeSet<Place>,
    pub edges: BTreeMap<EdgeKey, EdgeView>,
    /// Legs that copy nothing, by (from, to).
    pub legs: BTreeMap<(Place, Place), LegView>,
}

impl Flow {
    pub fn for_plan(plan: &Plan) -> Flow {
        let places = plan.steps().iter().flat_map(|s| places_of(&s.op)).collect();
        Flow {
            places,
            edges: BTreeMap::new(),
            legs: BTreeMap::new(),
        }
    }

    /// A new step begins: its per-step byte figures start from zero.
    pub fn start_step(&mut self) {
        for e in self.edges.values_mut() {
            e.step = 0;
        }
        for l in self.legs.values_mut() {
            l.step = 0;
            l.in_step = false;
        }
    }

    /// Record legs seen at `at`; `animate` adds a reference mark to a
    /// `Refs` leg. A leg a step report names again adds nothing
    /// (`fill_step_legs`).
    pub fn add_legs(&mut self, legs: &[Leg], at: Duration, animate: bool) {
        for l in legs {
            self.places.insert(l.from);
            self.places.insert(l.to);
            let (look, bytes) = match l.kind {
                LegKind::PageRefs { bytes } => (LegLook::Refs, bytes),
                LegKind::Absent { reason } => (LegLook::Absent(reason), 0),
            };
            let v = self.legs.entry((l.from, l.to)).or_insert_with(|| LegView {
                look,
                total: 0,
                step: 0,
                in_step: false,
                pulses: VecDeque::new(),
            });
            v.look = look;
            v.total += bytes;
            v.step += bytes;
            v.in_step = true;
            if animate && bytes > 0 {
                if v.pulses.len() == MAX_PULSES {
                    v.pulses.pop_front();
                }
                v.pulses.push_back(at);
            }
        }
    }

    /// The step's report: the part of each leg its slices did not report
    /// (a step without slices).
    pub fn fill_step_legs(&mut self, legs: &[Leg], at: Duration) {
        let missing: Vec<Leg> = legs
            .iter()
            .filter_map(|l| {
                let seen = self.legs.get(&(l.from, l.to));
                match (l.kind, seen) {
                    (LegKind::PageRefs { bytes }, Some(v)) if v.in_step => (bytes > v.step)
                        .then_some(Leg {
                            kind: LegKind::PageRefs {
                                bytes: bytes - v.step,
                            },
                            ..*l
                        }),
                    (LegKind::Absent { .. }, Some(v)) if v.in_step => None,
                    _ => Some(*l),
                }
            })
            .collect();
        self.add_legs(&missing, at, true);
    }

    /// Record copies that happened at `at`; `animate` adds a pulse per edge.
    pub fn add(&mut self, copies: &[Transfer], at: Duration, animate: bool) {
        for c in copies {
            self.places.insert(c.from);
            self.places.insert(c.to);
            let e = self
                .edges
                .entry(EdgeKey {
                    from: c.from,
                    to: c.to,
                    kind: c.kind,
                })
                .or_default();
            e.total += c.bytes;
            e.step += c.bytes;
            if animate && c.bytes > 0 {
                if e.pulses.len() == MAX_PULSES {
                    e.pulses.pop_front();
                }
                e.pulses.push_back(at);
            }
        }
    }

    /// Forget pulses that have arrived.
    pub fn prune(&mut self, now: Duration) {
        for e in self.edges.values_mut() {
            e.pulses.retain(|&t| now.saturating_sub(t) < PULSE);
        }
        for l in self.legs.values_mut() {
            l.pulses.retain(|&t| now.saturating_sub(t) < PULSE);
        }
    }

    /// Edges that carried bytes in the current step, as (CPU, DMA) counts:
    /// the "read+write is four copies, sendfile two" figure. Legs are not
    /// edges: a page reference is never counted here.
    pub fn step_copies(&self) -> (usize, usize) {
        let active = self.edges.iter().filter(|(_, e)| e.step > 0);
        active.fold((0, 0), |(cpu, dma), (k, _)| match k.kind {
            CopyKind::Cpu => (cpu + 1, dma),
            CopyKind::Dma => (cpu, dma + 1),
        })
    }
}

/// The places an op's data can pass through, so the panel can draw the boxes
/// before the first copy arrives. Copies the engine reports add to these.
pub fn places_of(op: &Op) -> Vec<Place> {
    use Place::{Disk, Nic, PageCache, SocketBuffer, UserBuffer};
    match op {
        Op::Write(_)
        | Op::BufferedWrite(_)
        | Op::Pwrite(_)
        | Op::Read(_)
        | Op::Mmap(_)
        | Op::Madvise(_)
        | Op::UringWrite(_)
        | Op::UringRead(_)
        | Op::Msync(_)
        // A program's own calls: its buffers, the page cache and the disk
        // behind it; a socket appears when its copies name one.
        | Op::Program(_) => vec![UserBuffer, PageCache, Disk],
        Op::Touch(Touch { target, .. }) | Op::Munmap(Munmap { target }) => match target {
            Target::File => vec![UserBuffer, PageCache, Disk],
            Target::Anon => vec![UserBuffer],
        },
        Op::Fsync
        | Op::Fdatasync
        | Op::SyncFileRange(_)
        | Op::DropCache
        | Op::WaitWriteback(_)
        | Op::CopyFileRange(_)
        | Op::Reopen(_) => vec![PageCache, Disk],
        Op::AnonMmap(_) | Op::Malloc(_) => vec![UserBuffer],
        Op::Send(SendToSocket { via, .. }) => match via {
            Via::ReadWrite | Via::MmapWrite => {
                vec![Disk, PageCache, UserBuffer, SocketBuffer, Nic]
            }
            Via::Sendfile | Via::Splice => vec![Disk, PageCache, SocketBuffer, Nic],
        },
        Op::Sleep(_) | Op::Note => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(from: Place, to: Place, kind: CopyKind, bytes: u64) -> Transfer {
        Transfer {
            from,
            to,
            kind,
            bytes,
        }
    }

    #[test]
    fn read_and_send_counts_four_copies_and_totals_accumulate() {
        let mut f = Flow::default();
        let path = [
            copy(Place::Disk, Place::PageCache, CopyKind::Dma, 4096),
            copy(Place::PageCache, Place::UserBuffer, CopyKind::Cpu, 4096),
            copy(Place::UserBuffer, Place::SocketBuffer, CopyKind::Cpu, 4096),
            copy(Place::SocketBuffer, Place::Nic, CopyKind::Dma, 4096),
        ];
        f.start_step();
        f.add(&path, Duration::ZERO, true);
        f.add(&path, Duration::from_millis(100), true);
        assert_eq!(f.step_copies(), (2, 2));
        let e = &f.edges[&EdgeKey {
            from: Place::Disk,
            to: Place::PageCache,
            kind: CopyKind::Dma,
        }];
        assert_eq!((e.total, e.step, e.pulses.len()), (8192, 8192, 2));
        f.start_step();
        assert_eq!(f.step_copies(), (0, 0));
        f.prune(Duration::from_secs(5));
        assert!(f.edges.values().all(|e| e.pulses.is_empty()));
    }

    #[test]
    fn sendfile_counts_its_dma_and_never_its_page_references() {
        let mut f = Flow::default();
        f.start_step();
        f.add(
            &[copy(Place::Disk, Place::PageCache, CopyKind::Dma, 4096)],
            Duration::ZERO,
            true,
        );
        let mut path = iotour_core::model::DataPath::default();
        path.page_refs(Place::PageCache, Place::SocketBuffer, 4096);
        path.absent(Place::SocketBuffer, Place::Nic, Absence::LocalSocket);
        let legs = path.legs;
        f.add_legs(&legs, Duration::ZERO, true);
        assert_eq!(f.step_copies(), (0, 1), "the reference is no copy");
        // The step's report names the same legs: nothing is added twice.
        f.fill_step_legs(
            &[Leg {
                kind: LegKind::PageRefs { bytes: 8192 },
                ..legs[0]
            }],
            Duration::from_millis(10),
        );
        let refs = &f.legs[&(Place::PageCache, Place::SocketBuffer)];
        assert_eq!(
            (refs.look, refs.step, refs.total),
            (LegLook::Refs, 8192, 8192)
        );
        assert_eq!(
            f.legs[&(Place::SocketBuffer, Place::Nic)].look,
            LegLook::Absent(Absence::LocalSocket)
        );
        f.start_step();
        assert!(f.legs.values().all(|l| !l.in_step && l.step == 0));
    }
}
