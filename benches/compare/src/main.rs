//! Peer comparison for s3lite (issue 7): the same workloads through s3lite,
//! object_store, aws-sdk-s3 and a plain unsigned hyper client (the ceiling).
//!
//! ```text
//! s3lite-compare suite [--server mini|external] [--endpoint URL] [--runs 5] ...   # markdown on stdout
//! s3lite-compare serve [--small-size 4096] [--large-size 1073741824] [--list-keys 10000]
//! s3lite-compare run --client s3lite --workload small|get|ranges|put|list|prepare --endpoint URL ...
//! ```
//!
//! Every option is a flag (`--ops 2000`) or an environment variable
//! (`COMPARE_OPS=2000`); `s3lite-compare help` lists them with defaults.
//!
//! Design:
//! - The minimal server (`tests/transfer_support/mini_s3.rs`, shared with the
//!   tests) runs in its own process (`serve`), on its own Tokio runtime, so its
//!   CPU never counts as the client's and it does not share the client's
//!   runtime. On a 2-core machine the two processes still share the cores.
//! - Each (client, workload) pair runs in a fresh child process (`run`), so
//!   `VmHWM` is that workload's peak RSS and no pool or cache carries over.
//!   CPU time is `getrusage(RUSAGE_SELF)` of the child, user + system. The
//!   workload runs on a spawned task (on the runtime's workers).
//! - The suite interleaves clients within each run (run 1: every client, run
//!   2: every client, ...), each run in a rotated order, so drift in machine
//!   load spreads over all of them.
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

mod ceiling;
mod clients;
#[path = "../../../tests/transfer_support/mini_s3.rs"]
mod mini_s3;
mod report;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use clients::{BoxError, CLIENTS, Client, R, Target};

const MIB: u64 = 1024 * 1024;

/// Every option, its default and what it sets.
const OPTIONS: &[(&str, &str, &str)] = &[
    (
        "server",
        "mini",
        "suite: mini (spawn the minimal server) or external (use --endpoint)",
    ),
    (
        "label",
        "minimal in-process server",
        "suite: the server's name in the report",
    ),
    (
        "runs",
        "5",
        "suite: runs per figure (the report shows median and min-max)",
    ),
    (
        "clients",
        "s3lite,object_store,aws-sdk-s3,hyper",
        "suite: clients to compare",
    ),
    (
        "workloads",
        "small,get,ranges,put,list",
        "suite: workloads to run",
    ),
    (
        "concurrency",
        "1,16,64",
        "suite: small-object concurrency levels (run: one level)",
    ),
    (
        "ops",
        "10000",
        "small objects per phase (PUT, then GET, then HEAD)",
    ),
    ("size", "4096", "small object size in bytes"),
    (
        "large",
        "1073741824",
        "large object size in bytes (GET, ranged GET, multipart PUT)",
    ),
    ("part-size", "16777216", "multipart part size in bytes"),
    (
        "feeds",
        "0,1048576,65536",
        "suite: chunk sizes the multipart PUT is fed, as a streaming caller would (0 = whole parts)",
    ),
    (
        "feed",
        "0",
        "run: chunk size the multipart PUT is fed (0 = whole parts)",
    ),
    (
        "tls",
        "0",
        "1: the minimal server speaks HTTPS with a fresh self-signed certificate, which every client trusts",
    ),
    (
        "ca-file",
        "",
        "run: PEM file of the server's certificate (the suite sets it)",
    ),
    (
        "checksums",
        "0",
        "1: request checksums when_supported (CRC32 on every upload, the AWS SDKs' default); object_store has none",
    ),
    (
        "pin",
        "0",
        "1: the minimal server runs on the last core and each client on the others (as against a server on \
         another machine), instead of all sharing every core",
    ),
    (
        "part-concurrency",
        "8",
        "parts in flight in the multipart PUT",
    ),
    ("ranges", "8", "parallel ranges of the ranged GET"),
    (
        "list-keys",
        "10000",
        "keys listed (the minimal server generates them)",
    ),
    (
        "server-threads",
        "2",
        "serve: worker threads of the minimal server",
    ),
    ("endpoint", "", "run/external suite: http://host:port"),
    ("bucket", "b", "bucket name"),
    ("access-key", "AKIAIOSFODNN7EXAMPLE", "access key id"),
    (
        "secret-key",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "secret access key",
    ),
    ("client", "s3lite", "run: the client"),
    ("workload", "small", "run: the workload"),
];

/// Flags over `COMPARE_*` environment variables over defaults.
struct Opts(HashMap<String, String>);

impl Opts {
    fn parse(args: &[String]) -> R<Opts> {
        let mut map = HashMap::new();
        for (name, default, _) in OPTIONS {
            let env = format!("COMPARE_{}", name.to_uppercase().replace('-', "_"));
            let value = std::env::var(env).unwrap_or_else(|_| default.to_string());
            map.insert(name.to_string(), value);
        }
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let name = flag
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected {flag:?}"))?;
            if !map.contains_key(name) {
                return Err(format!("unknown option --{name} (see `help`)").into());
            }
            let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
            map.insert(name.to_string(), value.clone());
        }
        Ok(Opts(map))
    }

    fn s(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    fn n(&self, name: &str) -> R<u64> {
        let v = self.s(name);
        v.parse()
            .map_err(|_| format!("--{name}: {v:?} is not a number").into())
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.s(name)
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn target(&self) -> R<Target> {
        let ca_pem = match self.s("ca-file") {
            "" => None,
            path => Some(std::fs::read_to_string(path)?),
        };
        Ok(Target {
            endpoint: self.s("endpoint").to_string(),
            bucket: self.s("bucket").to_string(),
            access_key: self.s("access-key").to_string(),
            secret_key: self.s("secret-key").to_string(),
            ca_pem,
            checksums: self.s("checksums") == "1",
        })
    }

    /// The flags that pass this option set on to a child.
    fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for (name, value) in &self.0 {
            args.push(format!("--{name}"));
            args.push(value.clone());
        }
        args
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(c, r)| (c.as_str(), r));
    let result = match cmd {
        "suite" => Opts::parse(rest).and_then(|o| suite(&o)),
        "serve" => Opts::parse(rest).and_then(|o| serve(&o)),
        "run" => Opts::parse(rest).and_then(|o| run(&o)),
        _ => {
            println!("usage: s3lite-compare suite|serve|run [--option value]...\n");
            for (name, default, what) in OPTIONS {
                let env = format!("COMPARE_{}", name.to_uppercase().replace('-', "_"));
                println!("  --{name:<17} {env:<25} default {default:?}\n      {what}");
            }
            Ok(())
        }
    };
    if let Err(e) = result {
        eprintln!("s3lite-compare {cmd}: {e}");
        std::process::exit(1);
    }
}

fn runtime(threads: Option<usize>) -> R<tokio::runtime::Runtime> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        b.worker_threads(n);
    }
    Ok(b.enable_all().build()?)
}

/// Runs the minimal server until stdin closes (the parent exits or drops it).
/// Prints its endpoint, and with `--tls 1` the path of its certificate.
fn serve(o: &Opts) -> R<()> {
    pin(o, Side::Server)?;
    let rt = runtime(Some(o.n("server-threads")? as usize))?;
    let script = mini_s3::Script {
        object_size: o.n("size")?,
        sizes: vec![("large/".to_string(), o.n("large")?)],
        list_keys: o.n("list-keys")? as u32,
        quiet: true,
        ..mini_s3::Script::default()
    };
    let mut ca_file = String::new();
    let server = if o.s("tls") == "1" {
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])?;
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)?;
        let path =
            std::env::temp_dir().join(format!("s3lite-compare-ca-{}.pem", std::process::id()));
        std::fs::write(&path, certified.cert.pem())?;
        ca_file = path.display().to_string();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        rt.block_on(mini_s3::MiniS3::start_tls(script, acceptor))
    } else {
        rt.block_on(mini_s3::MiniS3::start(script))
    };
    println!("{} {ca_file}", server.endpoint());
    std::io::stdout().flush()?;
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    Ok(())
}

/// Which process [`pin`] places.
enum Side {
    Server,
    Client,
}

/// With `--pin 1`, binds this process to its cores: the last one for the
/// server, every other one for a client (whose runtime then starts one
/// worker per core it may use). Needs at least 2 cores.
fn pin(o: &Opts, side: Side) -> R<()> {
    if o.s("pin") != "1" {
        return Ok(());
    }
    let n = std::thread::available_parallelism()?.get();
    if n < 2 {
        return Err("--pin 1 needs at least 2 cores".into());
    }
    let cpus = match side {
        Side::Server => n - 1..n,
        Side::Client => 0..n - 1,
    };
    // SAFETY: the set is zeroed, then filled by the libc macros for cores
    // below CPU_SETSIZE; sched_setaffinity only reads it.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for cpu in cpus {
            libc::CPU_SET(cpu, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc != 0 {
        return Err(format!("sched_setaffinity: {}", std::io::Error::last_os_error()).into());
    }
    Ok(())
}

/// One measured phase of a run.
#[derive(Debug, Clone)]
pub(crate) struct Measure {
    pub(crate) phase: String,
    pub(crate) ops: u64,
    pub(crate) bytes: u64,
    pub(crate) secs: f64,
    pub(crate) cpu: f64,
    pub(crate) rss: u64,
}

/// User + system CPU seconds of this process.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we pass; no other effect.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// Peak resident memory (`VmHWM`) of this process in bytes.
fn vm_hwm() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// Times `f`, wall and CPU.
async fn measure<F: Future<Output = R<u64>>>(phase: String, ops: u64, f: F) -> R<Measure> {
    let (cpu0, t0) = (cpu_seconds(), Instant::now());
    let bytes = f.await?;
    Ok(Measure {
        phase,
        ops,
        bytes,
        secs: t0.elapsed().as_secs_f64(),
        cpu: cpu_seconds() - cpu0,
        rss: vm_hwm(),
    })
}

/// `ops` operations on `concurrency` spawned tasks; `op(i)` returns bytes.
async fn fan_out<F, Fut>(ops: u64, concurrency: u64, op: F) -> R<u64>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R<u64>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let op = Arc::new(op);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (next, op) = (Arc::clone(&next), Arc::clone(&op));
        tasks.spawn(async move {
            let mut bytes = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as u64;
                if i >= ops {
                    return Ok::<u64, BoxError>(bytes);
                }
                bytes += op(i).await?;
            }
        });
    }
    let mut bytes = 0;
    while let Some(done) = tasks.join_next().await {
        bytes += done??;
    }
    Ok(bytes)
}

/// One workload through one client, in this (fresh) process; prints one
/// `RESULT` line per phase.
fn run(o: &Opts) -> R<()> {
    pin(o, Side::Client)?;
    let rt = runtime(None)?;
    // The workload runs on a spawned task, on the runtime's workers, as a
    // service's requests do: awaited from `block_on` (outside the workers),
    // a pooled connection's every body chunk would cross threads to reach
    // the reader.
    let o = Opts(o.0.clone());
    let measures = rt.block_on(async move {
        let work = tokio::spawn(async move {
            let client = Arc::new(Client::new(o.s("client"), &o.target()?).await?);
            workload(&o, &client).await
        });
        work.await?
    })?;
    for m in measures {
        println!(
            "RESULT phase={} ops={} bytes={} secs={:.6} cpu={:.6} rss={}",
            m.phase, m.ops, m.bytes, m.secs, m.cpu, m.rss
        );
    }
    Ok(())
}

async fn workload(o: &Opts, client: &Arc<Client>) -> R<Vec<Measure>> {
    let large = o.n("large")?;
    let part_size = o.n("part-size")?;
    Ok(match o.s("workload") {
        "small" => {
            let (ops, c) = (o.n("ops")?, o.n("concurrency")?);
            let data = Bytes::from(vec![b'x'; o.n("size")? as usize]);
            let cl = Arc::clone(client);
            let put = measure(
                format!("put c{c}"),
                ops,
                fan_out(ops, c, move |i| {
                    let (cl, data) = (Arc::clone(&cl), data.clone());
                    async move {
                        let n = data.len() as u64;
                        cl.put(&format!("small/{i:06}"), data).await?;
                        Ok(n)
                    }
                }),
            );
            let put = put.await?;
            let cl = Arc::clone(client);
            let get = measure(
                format!("get c{c}"),
                ops,
                fan_out(ops, c, move |i| {
                    let cl = Arc::clone(&cl);
                    async move { cl.get(&format!("small/{i:06}"), None).await }
                }),
            );
            let get = get.await?;
            let cl = Arc::clone(client);
            let head = measure(
                format!("head c{c}"),
                ops,
                fan_out(ops, c, move |i| {
                    let cl = Arc::clone(&cl);
                    async move { cl.head(&format!("small/{i:06}")).await.map(|_| 0) }
                }),
            );
            vec![put, get, head.await?]
        }
        "get" => vec![measure("get".into(), 1, client.get("large/object", None)).await?],
        "ranges" => {
            let n = o.n("ranges")?.max(1);
            let cl = Arc::clone(client);
            let step = large.div_ceil(n);
            let f = fan_out(n, n, move |i| {
                let cl = Arc::clone(&cl);
                async move {
                    let (a, b) = (i * step, ((i + 1) * step).min(large));
                    cl.get("large/object", Some((a, b))).await
                }
            });
            vec![measure("ranges".into(), n, f).await?]
        }
        "put" => {
            let part = Bytes::from(vec![b'p'; part_size as usize]);
            let parts = large.div_ceil(part_size) as usize;
            let c = o.n("part-concurrency")? as usize;
            let feed = o.n("feed")? as usize;
            let f = async {
                client
                    .multipart("large/upload", part, parts, c, feed)
                    .await?;
                Ok(parts as u64 * part_size)
            };
            vec![measure(put_phase(feed), parts as u64, f).await?]
        }
        "list" => {
            let keys = o.n("list-keys")?;
            let f = async {
                let n = client.list("list/").await?;
                if n != keys {
                    return Err(format!("listed {n} keys, expected {keys}").into());
                }
                Ok(n)
            };
            vec![measure("list".into(), keys, f).await?]
        }
        // Fills a real server for the other workloads (not measured).
        "prepare" => {
            let part = Bytes::from(vec![b'p'; part_size as usize]);
            let parts = large.div_ceil(part_size) as usize;
            if large % part_size != 0 {
                return Err("--large must be a multiple of --part-size".into());
            }
            client.multipart("large/object", part, parts, 4, 0).await?;
            let cl = Arc::clone(client);
            fan_out(o.n("list-keys")?, 16, move |i| {
                let cl = Arc::clone(&cl);
                async move {
                    cl.put(&format!("list/{i:06}"), Bytes::new())
                        .await
                        .map(|_| 0)
                }
            })
            .await?;
            Vec::new()
        }
        other => return Err(format!("unknown workload {other:?}").into()),
    })
}

/// The phase name of a multipart PUT fed `feed`-byte chunks.
fn put_phase(feed: usize) -> String {
    match feed {
        0 => "put".to_string(),
        f if f % (1 << 20) == 0 => format!("put fed {} MiB", f >> 20),
        f => format!("put fed {} KiB", f >> 10),
    }
}

/// Spawns `serve` and returns it with its endpoint and certificate file.
fn spawn_server(o: &Opts) -> R<(std::process::Child, String, String)> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg("serve")
        .args(o.to_args())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("server stdout")?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let mut words = line.split_whitespace();
    let endpoint = words.next().unwrap_or("").to_string();
    let ca_file = words.next().unwrap_or("").to_string();
    if !endpoint.starts_with("http") {
        let _ = child.kill();
        return Err(format!("server did not start: {line:?}").into());
    }
    Ok((child, endpoint, ca_file))
}

/// Runs one workload through one client in a child process.
fn run_child(o: &Opts, client: &str, workload: &str, extra: &[(&str, String)]) -> R<Vec<Measure>> {
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("run").args(o.to_args());
    cmd.args(["--client", client, "--workload", workload]);
    for (k, v) in extra {
        cmd.arg(format!("--{k}")).arg(v);
    }
    let out = cmd.stderr(Stdio::inherit()).output()?;
    if !out.status.success() {
        return Err(format!("{client} {workload} failed ({})", out.status).into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut measures = Vec::new();
    for line in text.lines().filter_map(|l| l.strip_prefix("RESULT ")) {
        let f: HashMap<&str, &str> = line
            .split(' ')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        let get = |k: &str| f.get(k).copied().unwrap_or("0");
        let phase = line
            .strip_prefix("phase=")
            .and_then(|r| r.split(" ops=").next())
            .unwrap_or("")
            .to_string();
        measures.push(Measure {
            phase,
            ops: get("ops").parse()?,
            bytes: get("bytes").parse()?,
            secs: get("secs").parse()?,
            cpu: get("cpu").parse()?,
            rss: get("rss").parse()?,
        });
    }
    Ok(measures)
}

/// Runs every workload through every client `runs` times; prints the
/// markdown report on stdout.
fn suite(o: &Opts) -> R<()> {
    let mut opts = Opts(o.0.clone());
    let mut server = None;
    if o.s("server") == "mini" {
        let (child, endpoint, ca_file) = spawn_server(o)?;
        opts.0.insert("endpoint".into(), endpoint);
        opts.0.insert("ca-file".into(), ca_file);
        server = Some(child);
    } else if o.s("endpoint").is_empty() {
        return Err("--server external needs --endpoint".into());
    }
    let external = server.is_none();
    let result = suite_runs(&opts, external);
    if let Some(mut child) = server {
        drop(child.stdin.take());
        let _ = child.wait();
    }
    let results = result?;
    print!("{}", report::markdown(&opts, external, &results)?);
    Ok(())
}

/// (client, phase) -> one measure per run.
pub(crate) type Results = Vec<(String, String, Vec<Measure>)>;

fn suite_runs(o: &Opts, external: bool) -> R<Results> {
    let clients: Vec<String> = o
        .list("clients")
        .into_iter()
        .filter(|c| !(external && c == "hyper")) // unsigned: a real server rejects it
        .collect();
    for c in &clients {
        if !CLIENTS.contains(&c.as_str()) {
            return Err(format!("unknown client {c}").into());
        }
    }
    let workloads = o.list("workloads");
    if external {
        eprintln!("[compare] preparing the large object and the list keys");
        run_child(o, "s3lite", "prepare", &[])?;
    }
    let mut results: Results = Vec::new();
    let runs = o.n("runs")?;
    for run in 1..=runs {
        for w in &workloads {
            let (level_name, levels): (&str, Vec<Option<String>>) = match w.as_str() {
                "small" => (
                    "concurrency",
                    o.list("concurrency").into_iter().map(Some).collect(),
                ),
                "put" => ("feed", o.list("feeds").into_iter().map(Some).collect()),
                _ => ("", vec![None]),
            };
            for level in &levels {
                // Run r starts at client r - 1 (mod n), so machine drift within
                // a run does not always favour the same client.
                let first = (run as usize - 1) % clients.len();
                for c in clients[first..].iter().chain(&clients[..first]) {
                    if w == "list" && c == "hyper" {
                        continue;
                    }
                    let extra: Vec<(&str, String)> =
                        level.iter().map(|l| (level_name, l.clone())).collect();
                    let t0 = Instant::now();
                    let measures = run_child(o, c, w, &extra)?;
                    eprintln!(
                        "[compare] run {run}/{runs} {w} {} {c}: {:.1} s",
                        level
                            .as_deref()
                            .map_or(String::new(), |l| format!("{level_name} {l}")),
                        t0.elapsed().as_secs_f64()
                    );
                    for m in measures {
                        match results
                            .iter_mut()
                            .find(|(rc, rp, _)| rc == c && *rp == m.phase)
                        {
                            Some((_, _, v)) => v.push(m),
                            None => results.push((c.clone(), m.phase.clone(), vec![m])),
                        }
                    }
                }
            }
        }
    }
    Ok(results)
}
