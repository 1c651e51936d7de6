//! Shared set-up of the CLI tests: which servers are up (as the library's
//! tests find them), running the built `s3lite` binary against one, fresh
//! buckets and temporary directories.
#![allow(dead_code, reason = "each test binary uses a different part")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use sha2::{Digest, Sha256};

/// A running S3 server and the credentials it accepts.
#[derive(Debug, Clone)]
pub(crate) struct Server {
    pub(crate) name: &'static str,
    pub(crate) endpoint: String,
    pub(crate) access_key: String,
    pub(crate) secret_key: String,
}

impl Server {
    /// LocalStack, from `S3LITE_LOCALSTACK_ENDPOINT`.
    pub(crate) fn localstack() -> Option<Server> {
        from_env("localstack", "S3LITE_LOCALSTACK_ENDPOINT", None)
    }

    /// s3s-fs (checks every signature), from `S3LITE_S3SFS_ENDPOINT`.
    pub(crate) fn s3s_fs() -> Option<Server> {
        from_env(
            "s3s-fs",
            "S3LITE_S3SFS_ENDPOINT",
            Some(("S3LITE_S3SFS_ACCESS_KEY", "S3LITE_S3SFS_SECRET_KEY")),
        )
    }

    /// A command running `s3lite --endpoint-url <server> args...` with the
    /// server's keys in `AWS_*` and no profile files.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = bare_command();
        cmd.arg("--endpoint-url")
            .arg(&self.endpoint)
            .args(args)
            .env("AWS_ACCESS_KEY_ID", &self.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret_key);
        cmd
    }

    /// Runs `s3lite args...` against the server.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        Run::of(self.command(args).stdin(Stdio::null()).output().unwrap())
    }

    /// Runs it and requires exit 0.
    pub(crate) fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, 0, "s3lite {args:?} on {}: {run:?}", self.name);
        run
    }

    /// A library store for `bucket`, to check what the tool did.
    pub(crate) fn store(&self, bucket: &str) -> s3lite::S3Store {
        s3lite::S3Store::builder()
            .without_env()
            .bucket(bucket)
            .region("us-east-1")
            .endpoint(&self.endpoint)
            .allow_http(true)
            .access_key_id(&self.access_key)
            .secret_access_key(&self.secret_key)
            .build()
            .unwrap()
    }

    /// A fresh bucket made with `s3lite mb`, removed (`rb --force`) on drop.
    pub(crate) fn bucket(&self, test: &str) -> Bucket {
        let name = unique_name(test);
        self.ok(&["mb", &format!("s3://{name}")]);
        Bucket {
            server: self.clone(),
            name,
        }
    }
}

/// `s3lite` with a clean environment: no `AWS_*` or `S3LITE_*` from the
/// caller, no profile files, region `us-east-1`.
pub(crate) fn bare_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3lite"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("AWS_") || name.starts_with("S3LITE_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/s3lite-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/s3lite-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// A bucket of one test; `rb --force` on drop.
pub(crate) struct Bucket {
    pub(crate) server: Server,
    pub(crate) name: String,
}

impl Bucket {
    /// `s3://<bucket>/<key>`.
    pub(crate) fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.name)
    }
}

impl Drop for Bucket {
    fn drop(&mut self) {
        let _ = self
            .server
            .run(&["rb", "--force", &format!("s3://{}", self.name)]);
    }
}

fn from_env(name: &'static str, endpoint_var: &str, keys: Option<(&str, &str)>) -> Option<Server> {
    let required = std::env::var("S3LITE_REQUIRE_SERVERS").is_ok_and(|v| v == "1");
    let Ok(endpoint) = std::env::var(endpoint_var) else {
        assert!(
            !required,
            "{endpoint_var} is not set but S3LITE_REQUIRE_SERVERS=1"
        );
        eprintln!("skipped: {name} is not running (set {endpoint_var}; scripts/test starts it)");
        return None;
    };
    let (access_key, secret_key) = match keys {
        Some((k, s)) => (
            std::env::var(k).unwrap_or_else(|_| panic!("{k} must be set with {endpoint_var}")),
            std::env::var(s).unwrap_or_else(|_| panic!("{s} must be set with {endpoint_var}")),
        ),
        None => ("test".to_string(), "test".to_string()),
    };
    Some(Server {
        name,
        endpoint,
        access_key,
        secret_key,
    })
}

/// The outcome of one run.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn of(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Stdout as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Stdout's lines.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_string).collect()
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code,
            self.text(),
            self.stderr
        )
    }
}

/// A name unique to this process and call: `s3lite-cli-<test>-<pid><n>`.
pub(crate) fn unique_name(test: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let stem: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(24)
        .collect();
    format!(
        "s3lite-cli-{stem}-{:x}{n}{:x}",
        std::process::id(),
        nanos % 0xffff
    )
}

/// A directory of its own under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(unique_name(name));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    pub(crate) fn arg(&self, rel: &str) -> String {
        self.path(rel).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Deterministic bytes.
pub(crate) fn pattern(len: usize, seed: u8) -> Vec<u8> {
    let mut x = 0x9e37_79b9u32 ^ u32::from(seed);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// Writes `data` to `dir/rel`, creating parent directories.
pub(crate) fn write(dir: &Path, rel: &str, data: &[u8]) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

/// Every file under `dir` by `/`-separated relative path, with its SHA-256.
pub(crate) fn tree_hashes(dir: &Path) -> Vec<(String, [u8; 32])> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, [u8; 32])>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let child_rel = format!("{rel}{name}");
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{child_rel}/"), out);
            } else {
                let data = std::fs::read(entry.path()).unwrap();
                out.push((child_rel, Sha256::digest(&data).into()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

/// The SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}
