//! Per-thread counters from /proc: faults from `stat`, context switches from
//! `status`, I/O bytes from `io`. A file that cannot be read gives `None`
//! for its counters, never 0.

use std::fs;

use crate::event::ThreadCounters;

/// Raw cumulative counters of one thread since it was created.
pub(crate) fn read_thread(pid: i32, tid: i32) -> Option<ThreadCounters> {
    let base = format!("/proc/{pid}/task/{tid}");
    let stat = fs::read_to_string(format!("{base}/stat")).ok();
    let status = fs::read_to_string(format!("{base}/status")).ok();
    let io = fs::read_to_string(format!("{base}/io")).ok();
    if stat.is_none() && status.is_none() && io.is_none() {
        return None;
    }
    let (minor, major) = stat.as_deref().and_then(parse_stat_faults).unzip();
    let field = |text: &Option<String>, key: &str| text.as_deref().and_then(|t| key_value(t, key));
    Some(ThreadCounters {
        minor_faults: minor,
        major_faults: major,
        voluntary_ctx_switches: field(&status, "voluntary_ctxt_switches"),
        involuntary_ctx_switches: field(&status, "nonvoluntary_ctxt_switches"),
        rchar: field(&io, "rchar"),
        wchar: field(&io, "wchar"),
        read_bytes: field(&io, "read_bytes"),
        write_bytes: field(&io, "write_bytes"),
    })
}

/// The thread's name (`comm`).
pub(crate) fn thread_name(pid: i32, tid: i32) -> Option<String> {
    fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_owned())
}

/// minflt (field 10) and majflt (field 12) of a `stat` line. The comm field
/// may hold spaces and parentheses, so fields are counted after the last ')'.
fn parse_stat_faults(stat: &str) -> Option<(u64, u64)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state); minflt is field 10, majflt field 12.
    let minflt = fields.get(10 - 3)?.parse().ok()?;
    let majflt = fields.get(12 - 3)?.parse().ok()?;
    Some((minflt, majflt))
}

fn key_value(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim().parse().ok())?
    })
}

/// `counters - base`, field by field; a field missing on either side is
/// `None`.
pub(crate) fn since(counters: ThreadCounters, base: ThreadCounters) -> ThreadCounters {
    let d = |a: Option<u64>, b: Option<u64>| Some(a?.saturating_sub(b.unwrap_or(0)));
    ThreadCounters {
        minor_faults: d(counters.minor_faults, base.minor_faults),
        major_faults: d(counters.major_faults, base.major_faults),
        voluntary_ctx_switches: d(counters.voluntary_ctx_switches, base.voluntary_ctx_switches),
        involuntary_ctx_switches: d(
            counters.involuntary_ctx_switches,
            base.involuntary_ctx_switches,
        ),
        rchar: d(counters.rchar, base.rchar),
        wchar: d(counters.wchar, base.wchar),
        read_bytes: d(counters.read_bytes, base.read_bytes),
        write_bytes: d(counters.write_bytes, base.write_bytes),
    }
}

/// Thread ids of a process now.
pub(crate) fn tasks(pid: i32) -> Vec<i32> {
    let Ok(dir) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut tids: Vec<i32> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    tids.sort_unstable();
    tids
}

/// A `Key:\tvalue` line of /proc/PID/status, as text.
pub(crate) fn status_field(pid: i32, key: &str) -> Option<String> {
    let text = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k == key).then(|| v.trim().to_owned())
    })
}

/// The command line of a process, argument by argument.
pub(crate) fn cmdline(pid: i32) -> Vec<String> {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_faults_survive_a_comm_with_parens() {
        let line = "42 (a (b) c) S 1 42 42 0 -1 4194560 155 0 2 0 0 0 0 0 20 0 1 0 100 0 0";
        assert_eq!(parse_stat_faults(line), Some((155, 2)));
    }

    #[test]
    fn own_thread_counters_read() {
        let pid = std::process::id() as i32;
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        let c = read_thread(pid, tid).unwrap();
        assert!(c.minor_faults.is_some() && c.rchar.is_some());
        assert!(c.voluntary_ctx_switches.is_some());
        let zero = since(c, c);
        assert_eq!(zero.minor_faults, Some(0));
    }
}
