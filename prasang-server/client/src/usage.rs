//! What a process has used so far, for benchmarks that report cost per operation.

use std::time::Duration;

/// CPU time (user + system) the process `pid` has used and the bytes it has written to the
/// block layer, from `/proc/<pid>/stat` and `/proc/<pid>/io` (zeros where /proc is missing).
/// `"self"` names the calling process.
pub fn process_usage(pid: &str) -> (Duration, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name (which may contain spaces) come fields 3.., so utime and stime
    // (fields 14 and 15, in clock ticks of 10 ms on Linux) are the 12th and 13th.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap_or_default();
    let written = io
        .lines()
        .find_map(|line| line.strip_prefix("write_bytes: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    (Duration::from_millis(ticks * 10), written)
}

/// The resident memory of the process `pid` now and at its peak, in MiB (`VmRSS` and `VmHWM`
/// of `/proc/<pid>/status`; zeros where /proc is missing). `"self"` names the calling process.
pub fn process_memory(pid: &str) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let mib = |name: &str| -> f64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .unwrap_or(0.0)
            / 1024.0
    };
    (mib("VmRSS:"), mib("VmHWM:"))
}
