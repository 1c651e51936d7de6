//! The markdown tables of a suite: each figure as the median of the runs
//! with min-max, and the ratios s3lite/object_store, s3lite/aws-sdk-s3 and
//! s3lite/ceiling (of the medians).

use std::fmt::Write as _;

use crate::clients::{CLIENTS, R};
use crate::{MIB, Measure, Opts, Results};

/// Median, min and max.
fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (median, v[0], v[n - 1])
}

/// A figure of one measure.
type Metric = fn(&Measure) -> f64;

fn ops_per_s(m: &Measure) -> f64 {
    m.ops as f64 / m.secs
}
fn cpu_per_1000(m: &Measure) -> f64 {
    m.cpu * 1000.0 / m.ops as f64
}
fn mb_per_s(m: &Measure) -> f64 {
    m.bytes as f64 / 1e6 / m.secs
}
fn rss_mib(m: &Measure) -> f64 {
    m.rss as f64 / MIB as f64
}
fn cpu_s(m: &Measure) -> f64 {
    m.cpu
}
fn cpu_per_gib(m: &Measure) -> f64 {
    m.cpu / (m.bytes as f64 / (1024.0 * MIB as f64))
}

struct Table<'a> {
    results: &'a Results,
    clients: Vec<&'static str>,
}

impl Table<'_> {
    fn median(&self, client: &str, phase: &str, metric: Metric) -> Option<f64> {
        self.figure(client, phase, metric).map(|s| s.0)
    }

    fn figure(&self, client: &str, phase: &str, metric: Metric) -> Option<(f64, f64, f64)> {
        let (_, _, ms) = self
            .results
            .iter()
            .find(|(c, p, _)| c == client && p == phase)?;
        Some(stats(ms.iter().map(metric).collect()))
    }

    /// `| phase | client figures... | ratios... |` rows.
    fn write(
        &self,
        out: &mut String,
        title: &str,
        phases: &[String],
        metric: Metric,
        digits: usize,
    ) {
        let peers: Vec<&str> = self
            .clients
            .iter()
            .copied()
            .filter(|c| *c != "s3lite")
            .collect();
        let _ = write!(out, "| {title} |");
        for c in &self.clients {
            let _ = write!(
                out,
                " {} |",
                if *c == "hyper" { "hyper ceiling" } else { c }
            );
        }
        for p in &peers {
            let _ = write!(
                out,
                " s3lite/{} |",
                if *p == "hyper" { "ceiling" } else { p }
            );
        }
        out.push_str("\n|---|");
        for _ in 0..self.clients.len() + peers.len() {
            out.push_str("--:|");
        }
        out.push('\n');
        for phase in phases {
            let _ = write!(out, "| {phase} |");
            for c in &self.clients {
                match self.figure(c, phase, metric) {
                    Some((m, lo, hi)) => {
                        let _ = write!(out, " {m:.digits$} ({lo:.digits$}-{hi:.digits$}) |");
                    }
                    None => out.push_str(" - |"),
                }
            }
            for p in &peers {
                match (
                    self.median("s3lite", phase, metric),
                    self.median(p, phase, metric),
                ) {
                    (Some(a), Some(b)) if b > 0.0 => {
                        let _ = write!(out, " {:.2} |", a / b);
                    }
                    _ => out.push_str(" - |"),
                }
            }
            out.push('\n');
        }
        out.push('\n');
    }
}

/// The report of one suite.
pub(crate) fn markdown(o: &Opts, external: bool, results: &Results) -> R<String> {
    let clients: Vec<&'static str> = CLIENTS
        .iter()
        .copied()
        .filter(|c| results.iter().any(|(rc, _, _)| rc == c))
        .collect();
    let t = Table { results, clients };
    let phases_like = |prefix: &str| -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for (_, p, _) in results {
            if p.starts_with(prefix) && !v.contains(p) {
                v.push(p.clone());
            }
        }
        v
    };
    let (ops, size, large) = (o.n("ops")?, o.n("size")?, o.n("large")?);
    let (part, pc, ranges) = (o.n("part-size")?, o.n("part-concurrency")?, o.n("ranges")?);
    let runs = o.n("runs")?;
    let mut out = String::new();
    let _ = writeln!(out, "### {}\n", o.s("label"));
    let _ = writeln!(
        out,
        "Each cell: median of {runs} runs (min-max); each run is a fresh process per client and workload. \
         Ratios are of the medians (for throughput above 1 means s3lite is faster; for CPU and RSS below 1 \
         means s3lite uses less).\n"
    );
    let small: Vec<String> = ["put", "get", "head"]
        .iter()
        .flat_map(|p| {
            let mut v = phases_like(&format!("{p} c"));
            v.sort_by_key(|s| s[p.len() + 2..].parse::<u32>().unwrap_or(0));
            v
        })
        .collect();
    if !small.is_empty() {
        let _ = writeln!(
            out,
            "**Small objects**: {ops} x {} KiB, PUT then GET then HEAD, at concurrency c (spawned tasks).\n",
            size / 1024
        );
        t.write(&mut out, "operations/s", &small, ops_per_s, 0);
        t.write(&mut out, "CPU s per 1,000 ops", &small, cpu_per_1000, 3);
    }
    let mut big: Vec<String> = ["get", "ranges"]
        .iter()
        .filter(|p| results.iter().any(|(_, rp, _)| rp == *p))
        .map(|p| p.to_string())
        .collect();
    // The multipart PUT phases (`put`, `put fed N`), not the small PUTs
    // (`put c16`).
    big.extend(
        phases_like("put")
            .into_iter()
            .filter(|p| !small.contains(p)),
    );
    if !big.is_empty() {
        let _ = writeln!(
            out,
            "**Large objects**: {:.0} MiB; `get` one stream, `ranges` {ranges} parallel ranged GETs, \
             `put` multipart with {} MiB parts, {pc} in flight, fed whole parts or (`fed N`) in \
             `Bytes` chunks of N as a streaming caller would (aws-sdk-s3 has no chunked writer: \
             its parts are copied together from the chunks, as its callers must; the ceiling \
             sends them as they are, in frames of at most 64 KiB). MB = 10^6 bytes; RSS is the process's VmHWM (whole process, from start); CPU \
             per GiB is the client process's user + system time.\n",
            large as f64 / MIB as f64,
            part / MIB
        );
        t.write(&mut out, "MB/s", &big, mb_per_s, 0);
        t.write(&mut out, "peak RSS MiB", &big, rss_mib, 1);
        t.write(&mut out, "CPU s", &big, cpu_s, 2);
        t.write(&mut out, "CPU s per GiB", &big, cpu_per_gib, 2);
    }
    let list = phases_like("list");
    if !list.is_empty() {
        let _ = writeln!(
            out,
            "**Listing**: {} keys, 1,000 per page.\n",
            o.n("list-keys")?
        );
        t.write(&mut out, "keys/s", &list, ops_per_s, 0);
    }
    if !external {
        let secure = o.s("tls") == "1" && o.s("checksums") == "1";
        targets(
            &mut out,
            &t,
            &small,
            &big,
            part * (pc + 1) + 32 * MIB,
            secure,
        );
    }
    Ok(out)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**missed**" }
}

/// The issues' targets that this server's figures decide. `secure`: the
/// run over TLS with CRC32 checksums (issue 11's targets for the large PUT);
/// otherwise plain HTTP with signed payloads (issue 7's, and issue 19's for
/// the PUT fed 1 MiB chunks).
fn targets(
    out: &mut String,
    t: &Table,
    small: &[String],
    big: &[String],
    rss_limit: u64,
    secure: bool,
) {
    out.push_str("Targets on this server:\n\n");
    let r = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    for phase in small.iter().filter(|p| p.ends_with(" c64")) {
        let s = t.median("s3lite", phase, ops_per_s);
        let os = r(s, t.median("object_store", phase, ops_per_s));
        let aws = r(s, t.median("aws-sdk-s3", phase, ops_per_s));
        let cpu_s = t.median("s3lite", phase, cpu_per_1000);
        let cpu_os = t.median("object_store", phase, cpu_per_1000);
        let cpu_aws = t.median("aws-sdk-s3", phase, cpu_per_1000);
        if let (Some(os), Some(aws), Some(c), Some(co), Some(ca)) =
            (os, aws, cpu_s, cpu_os, cpu_aws)
        {
            let _ = writeln!(
                out,
                "- small {phase}: {:.2}x object_store (target 1.3x) and {:.2}x aws-sdk-s3 (target 1.5x), \
                 CPU {c:.3} vs {co:.3} and {ca:.3} s per 1,000 ops: {}",
                os,
                aws,
                verdict(os >= 1.3 && aws >= 1.5 && c < co && c < ca)
            );
        }
    }
    for phase in big {
        let s = t.median("s3lite", phase, mb_per_s);
        let ceil = r(s, t.median("hyper", phase, mb_per_s));
        let best = ["object_store", "aws-sdk-s3"]
            .iter()
            .filter_map(|p| t.median(p, phase, mb_per_s))
            .fold(0.0f64, f64::max);
        let put = phase.starts_with("put");
        if let (Some(sv), Some(ceil)) = (s, ceil) {
            let (want_ceil, want_best, issue) = if put && secure {
                (0.8, 1.5, "issue 11")
            } else {
                (0.95, 1.0, "issue 7")
            };
            let cpu = t.median("s3lite", phase, cpu_per_gib).unwrap_or(f64::NAN);
            let _ = writeln!(
                out,
                "- large {phase} ({issue}): {:.0}% of the ceiling (target {:.0}%), {:.2}x the best peer \
                 (target {want_best}x), {cpu:.2} CPU s per GiB: {}",
                ceil * 100.0,
                want_ceil * 100.0,
                sv / best,
                verdict(ceil >= want_ceil && sv >= best * want_best)
            );
        }
        if phase == "put fed 1 MiB" && !secure {
            let os = r(s, t.median("object_store", phase, mb_per_s));
            let cpu = t.median("s3lite", phase, cpu_per_gib);
            let cpu_os = t.median("object_store", phase, cpu_per_gib);
            if let (Some(os), Some(c), Some(co)) = (os, cpu, cpu_os) {
                let _ = writeln!(
                    out,
                    "- large {phase} (issue 19): {os:.2}x object_store (target 1.3x), CPU {c:.2} vs \
                     {co:.2} s per GiB (target at most object_store's): {}",
                    verdict(os >= 1.3 && c <= co)
                );
            }
        }
        if let Some(rss) = t.median("s3lite", phase, rss_mib) {
            let limit = rss_limit as f64 / MIB as f64;
            let _ = writeln!(
                out,
                "- peak RSS of {phase}: {rss:.1} MiB (limit part size x (concurrency + 1) + 32 MiB = {limit:.0} MiB): {}",
                verdict(rss <= limit)
            );
        }
    }
    out.push('\n');
}
