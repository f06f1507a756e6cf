//! The vocabulary's own consistency, and each op's copy path.

use super::*;
use crate::model::{CopyKind, Place, Transfer, Work, totals};
use crate::scenario::{Origin, parse_str};

fn work(bytes: u64) -> Work {
    Work {
        bytes,
        page_size: 4096,
        ..Work::default()
    }
}

fn copies(op: &Op, w: &Work) -> (Vec<Transfer>, Vec<String>) {
    let p = op.data_path(w);
    (p.copies, p.notes)
}

fn write(bytes: u64, chunk: u64) -> Op {
    Op::Write(Write {
        bytes: nonzero(bytes),
        chunk: nonzero(chunk),
        rwf: Rwf::NONE,
    })
}

/// A one-step scenario with `op` and `params` (TOML lines), on a 1 MiB file.
fn one_step(op: &str, params: &str) -> Result<Op, String> {
    let text = format!(
        "[scenario]\ntitle = \"t\"\nsummary = \"t\"\n[file]\nsize = \"1MiB\"\n\
         [[step]]\nop = \"mmap\"\nbytes = 4096\n[[step]]\nop = \"anon_mmap\"\nbytes = 4096\n\
         [[step]]\nop = \"{op}\"\n{params}\n"
    );
    parse_str(&text, "t", Origin::Builtin)
        .map(|p| p.steps()[2].op.clone())
        .map_err(|e| e.to_string())
}

#[test]
fn names_are_unique_and_each_spec_builds_its_own_op() {
    let mut seen = Vec::new();
    for spec in SPECS {
        assert!(!seen.contains(&spec.name), "`{}` twice", spec.name);
        seen.push(spec.name);
        assert!(std::ptr::eq(super::spec(spec.name).unwrap(), *spec));
        // Only the required parameters: the rest take their defaults.
        let required: Vec<String> = spec
            .params
            .iter()
            .filter(|p| p.required())
            .map(|p| match p.kind {
                Kind::Size(_) | Kind::Count(_) => format!("{} = 4096", p.name),
                Kind::Choice { words, .. } => format!("{} = \"{}\"", p.name, words[0]),
                Kind::Argv => format!("{} = [\"true\"]", p.name),
                _ => unreachable!("only sizes, counts, choices and commands can be required"),
            })
            .collect();
        let op = one_step(spec.name, &required.join("\n"))
            .unwrap_or_else(|e| panic!("`{}` with its required parameters: {e}", spec.name));
        assert_eq!(op.name(), spec.name);
        assert!(std::ptr::eq(op.spec(), *spec), "{}", spec.name);
    }
}

#[test]
fn every_required_parameter_is_required_and_every_default_is_allowed() {
    for spec in SPECS {
        for p in spec.params {
            let others: Vec<String> = spec
                .params
                .iter()
                .filter(|q| q.required() && q.name != p.name)
                .map(|q| match q.kind {
                    Kind::Choice { words, .. } => format!("{} = \"{}\"", q.name, words[0]),
                    Kind::Argv => format!("{} = [\"true\"]", q.name),
                    _ => format!("{} = 4096", q.name),
                })
                .collect();
            let without = one_step(spec.name, &others.join("\n"));
            if p.required() {
                let e = without.expect_err(p.name);
                assert!(
                    e.contains(&format!("missing `{}`", p.name)),
                    "{}.{}: {e}",
                    spec.name,
                    p.name
                );
            } else {
                without.unwrap_or_else(|e| panic!("{}.{} defaults: {e}", spec.name, p.name));
            }
            if let Kind::Choice {
                words,
                default: Some(d),
            } = p.kind
            {
                assert!(words.contains(&d), "{}.{}", spec.name, p.name);
            }
        }
    }
}

#[test]
fn defaults_print_as_a_scenario_author_writes_them() {
    assert_eq!(size_literal(0), "0");
    assert_eq!(size_literal(8192), "`\"8KiB\"`");
    assert_eq!(size_literal(3 << 20), "`\"3MiB\"`");
    assert_eq!(size_literal(4097), "4097");
    let table = docs_table();
    assert!(table.contains("| `fsync` | | "), "{table}");
    assert!(
        table.contains("| `buffered_write` | `bytes`, `chunk`, `buffer` (`\"8KiB\"`) | "),
        "{table}"
    );
    assert!(
        table.contains("`pages`, `stride` (1), `write` (`false`), `target` (`\"file\"`)"),
        "{table}"
    );
    assert_eq!(table.lines().count(), SPECS.len() + 2);
}

#[test]
fn write_is_one_cpu_copy_into_the_page_cache() {
    let (c, _) = copies(&write(300, 3), &work(300));
    assert_eq!(
        c,
        vec![Transfer {
            from: Place::UserBuffer,
            to: Place::PageCache,
            kind: CopyKind::Cpu,
            bytes: 300
        }]
    );
}

#[test]
fn direct_write_is_dma_from_the_user_buffer() {
    let w = Work {
        direct: true,
        ..work(4096)
    };
    let (c, n) = copies(&write(4096, 4096), &w);
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].from, c[0].to, c[0].kind),
        (Place::UserBuffer, Place::Disk, CopyKind::Dma)
    );
    assert!(n[0].contains("O_DIRECT"));
}

#[test]
fn buffered_write_notes_the_user_space_copy() {
    let w = Work {
        user_copy_bytes: 100,
        ..work(100)
    };
    let op = Op::BufferedWrite(BufferedWrite {
        bytes: nonzero(100),
        chunk: nonzero(10),
        buffer: nonzero(8192),
    });
    let (c, n) = copies(&op, &w);
    assert_eq!(c.len(), 1);
    assert!(n.iter().any(|n| n.contains("100 bytes")), "{n:?}");
}

#[test]
fn read_hit_has_no_dma_and_miss_has_it() {
    let op = Op::Read(Read {
        bytes: nonzero(8192),
        chunk: nonzero(4096),
        offset: 0,
        rwf: Rwf::NONE,
    });
    let (c, n) = copies(
        &op,
        &Work {
            disk_read_bytes: Some(0),
            ..work(8192)
        },
    );
    assert_eq!(totals(&c, CopyKind::Dma), (0, 0));
    assert_eq!(totals(&c, CopyKind::Cpu), (1, 8192));
    assert!(n[0].contains("no disk DMA"));
    let (c, _) = copies(
        &op,
        &Work {
            disk_read_bytes: Some(65536),
            ..work(8192)
        },
    );
    assert_eq!(totals(&c, CopyKind::Dma), (1, 65536));
    let (_, n) = copies(&op, &work(8192));
    assert!(n[0].contains("unknown"), "{n:?}");
}

#[test]
fn fsync_moves_the_cleaned_pages_by_dma() {
    let (c, _) = copies(
        &Op::Fsync,
        &Work {
            flushed_bytes: Some(74 * 4096),
            ..work(0)
        },
    );
    assert_eq!(totals(&c, CopyKind::Dma), (1, 74 * 4096));
    let (c, n) = copies(&Op::Fsync, &work(0));
    assert!(c.is_empty());
    assert!(n[0].contains("unknown"));
}

#[test]
fn send_paths_lose_copies_from_read_write_to_sendfile() {
    let w = Work {
        disk_read_bytes: Some(0),
        ..work(1 << 20)
    };
    let send = |via, bytes, chunk| {
        Op::Send(SendToSocket {
            bytes: nonzero(bytes),
            chunk: nonzero(chunk),
            via,
        })
    };
    let cpu = |via| totals(&copies(&send(via, 1 << 20, 65536), &w).0, CopyKind::Cpu).0;
    assert_eq!(cpu(Via::ReadWrite), 2);
    assert_eq!(cpu(Via::MmapWrite), 1);
    assert_eq!(cpu(Via::Sendfile), 0);
    assert_eq!(cpu(Via::Splice), 0);
    let (c, n) = copies(&send(Via::ReadWrite, 1, 1), &w);
    assert!(c.iter().all(|c| c.to != Place::Nic));
    assert!(n.iter().any(|n| n.contains("no NIC")));
}

/// sendfile and splice: the copies counted as before (the disk's DMA on a
/// miss, nothing by CPU), a page-reference leg that no count takes in, and
/// for every way of sending the local socket's absent NIC leg.
#[test]
fn send_paths_draw_references_and_the_absent_nic_as_legs_not_copies() {
    use crate::model::{Absence, Leg, LegKind};
    let cold = Work {
        disk_read_bytes: Some(1 << 20),
        ..work(1 << 20)
    };
    let send = |via| {
        Op::Send(SendToSocket {
            bytes: nonzero(1 << 20),
            chunk: nonzero(65536),
            via,
        })
    };
    let no_nic = Leg {
        from: Place::SocketBuffer,
        to: Place::Nic,
        kind: LegKind::Absent {
            reason: Absence::LocalSocket,
        },
    };
    for via in [Via::Sendfile, Via::Splice] {
        let p = send(via).data_path(&cold);
        assert_eq!(totals(&p.copies, CopyKind::Dma), (1, 1 << 20), "{via:?}");
        assert_eq!(totals(&p.copies, CopyKind::Cpu), (0, 0), "{via:?}");
        assert_eq!(
            p.legs,
            [
                Leg {
                    from: Place::PageCache,
                    to: Place::SocketBuffer,
                    kind: LegKind::PageRefs { bytes: 1 << 20 },
                },
                no_nic
            ],
            "{via:?}"
        );
    }
    for via in [Via::ReadWrite, Via::MmapWrite] {
        let p = send(via).data_path(&cold);
        assert_eq!(
            p.legs,
            [no_nic],
            "{via:?}: no references, the same absent NIC"
        );
        let cpu = if via == Via::ReadWrite { 2 } else { 1 };
        assert_eq!(totals(&p.copies, CopyKind::Cpu).0, cpu, "{via:?}");
    }
}

#[test]
fn private_write_touch_copies_on_write() {
    let w = Work {
        pages: 10,
        private_mapping: true,
        disk_read_bytes: Some(0),
        ..work(0)
    };
    let touch = |target| {
        Op::Touch(Touch {
            pages: nonzero(10),
            stride: nonzero(1),
            write: true,
            target,
        })
    };
    let (c, _) = copies(&touch(Target::File), &w);
    assert_eq!(totals(&c, CopyKind::Cpu), (1, 40960));
    let (c, n) = copies(&touch(Target::Anon), &w);
    assert!(c.is_empty());
    assert!(n[0].contains("zero-filled"));
}

#[test]
fn wait_writeback_shows_the_flusher_dma_or_says_it_is_unknown() {
    let op = Op::WaitWriteback(WaitWriteback {
        timeout_ms: 100,
        flusher: false,
    });
    let (c, n) = copies(
        &op,
        &Work {
            flushed_bytes: Some(8192),
            ..work(0)
        },
    );
    assert_eq!(totals(&c, CopyKind::Dma), (1, 8192));
    assert!(n[0].contains("flusher"));
    let (c, n) = copies(&op, &work(0));
    assert!(c.is_empty());
    assert!(n[0].contains("whole timeout"));
}

fn map(bytes: u64, populate: bool) -> Op {
    Op::Mmap(Mmap {
        bytes: Extent::Bytes(nonzero(bytes)),
        offset: 0,
        shared: true,
        write: false,
        populate,
    })
}

#[test]
fn ops_without_data_movement_copy_nothing() {
    let w = Work {
        disk_read_bytes: Some(0),
        flushed_bytes: Some(0),
        ..work(0)
    };
    for op in [
        Op::Reopen(Reopen {
            flags: OpenFlags::default(),
        }),
        Op::Munmap(Munmap {
            target: Target::File,
        }),
        Op::AnonMmap(AnonMmap {
            bytes: nonzero(1 << 20),
        }),
        Op::Malloc(Malloc {
            bytes: nonzero(1 << 20),
        }),
        Op::Sleep(Sleep { ms: 1 }),
        Op::Note,
        map(4096, false),
    ] {
        assert!(copies(&op, &w).0.is_empty(), "{op:?}");
    }
}

#[test]
fn populate_reads_misses_and_async_flushes_say_so() {
    let (c, _) = copies(
        &map(1 << 20, true),
        &Work {
            disk_read_bytes: Some(1 << 20),
            ..work(0)
        },
    );
    assert_eq!(totals(&c, CopyKind::Dma), (1, 1 << 20));
    let flushed = Work {
        flushed_bytes: Some(4096),
        ..work(0)
    };
    let (c, n) = copies(&Op::SyncFileRange(SyncFileRange { wait: false }), &flushed);
    assert_eq!(totals(&c, CopyKind::Dma), (1, 4096));
    assert!(n.iter().any(|n| n.contains("only started")), "{n:?}");
    // MS_ASYNC starts no writeback on Linux: no "started" claim.
    let (c, n) = copies(&Op::Msync(Msync { asynchronous: true }), &work(0));
    assert_eq!(totals(&c, CopyKind::Dma), (0, 0));
    assert!(
        n.iter().any(|n| n.contains("MS_ASYNC starts no writeback")),
        "{n:?}"
    );
    assert!(!n.iter().any(|n| n.contains("only started")), "{n:?}");
    let (_, n) = copies(
        &Op::Msync(Msync {
            asynchronous: false,
        }),
        &flushed,
    );
    assert!(n.is_empty());
}

#[test]
fn sync_writes_add_the_disk_dma() {
    let w = Work {
        synchronous: true,
        synced_bytes: 8192,
        ..work(100)
    };
    let op = Op::Pwrite(Pwrite {
        bytes: nonzero(4096),
        chunk: nonzero(4096),
        offset: 0,
        pattern: Pattern::Sequential,
        rwf: Rwf::NONE,
    });
    let (c, _) = copies(&op, &w);
    // 100 bytes copied in; the device gets the whole blocks the call touched.
    assert_eq!(totals(&c, CopyKind::Cpu), (1, 100));
    assert_eq!(totals(&c, CopyKind::Dma), (1, 8192));
}

#[test]
fn flushes_need_dirty_counts_and_reads_need_cache_growth() {
    assert!(Op::Fsync.needs().cleaned_pages);
    assert!(
        Op::Msync(Msync { asynchronous: true })
            .needs()
            .cleaned_pages
    );
    assert!(map(4096, false).needs().cache_growth);
    assert_eq!(write(1, 1).needs(), Needs::default());
    assert_eq!(Op::Note.needs(), Needs::default());
}
