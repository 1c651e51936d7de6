//! What every command shares: the stores (one per bucket, built as the
//! library builds them), Ctrl-C cancellation, progress bars and output.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use s3lite::config::S3ConfigKey;
use s3lite::{S3Store, S3StoreBuilder};
use tokio::sync::watch;

use crate::args::Global;
use crate::error::{CliError, CliResult};
use crate::progress::Bars;
use crate::write::CopySource;

/// Prefix of the variables that set any library key through `with_config`.
const ENV_PREFIX: &str = "S3LITE_";

/// The library keys of server-side encryption, which the store reading a
/// copy's source leaves out ([`Context::source_store`]).
const ENCRYPTION_KEYS: [S3ConfigKey; 4] = [
    S3ConfigKey::ServerSideEncryption,
    S3ConfigKey::SseKmsKeyId,
    S3ConfigKey::SseBucketKeyEnabled,
    S3ConfigKey::SseCustomerKeyBase64,
];

/// The shared state of one run.
#[derive(Clone)]
pub(crate) struct Context {
    inner: Arc<Inner>,
}

struct Inner {
    global: Global,
    /// `S3LITE_<KEY>` settings, then the command's own (`--sse`, ...).
    config: Vec<(S3ConfigKey, String)>,
    stores: Mutex<HashMap<String, S3Store>>,
    cancel: watch::Sender<bool>,
    bars: Bars,
    /// Entries left out with a warning; the run then exits 1.
    skipped: AtomicUsize,
}

impl Context {
    /// The context of a command run with `global` options and `config`
    /// keys the command adds. Reads the `S3LITE_*` variables.
    ///
    /// A variable `S3LITE_<NAME>` whose name is no library key is ignored:
    /// the project's scripts and tests set `S3LITE_*` names of their own.
    pub(crate) fn new(global: Global, extra: Vec<(S3ConfigKey, String)>) -> CliResult<Context> {
        let mut config = Vec::new();
        for (name, value) in std::env::vars_os() {
            let Some(name) = name.to_str() else { continue };
            let Some(key) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let Ok(key) = key.parse::<S3ConfigKey>() else {
                continue;
            };
            let Some(value) = value.to_str() else {
                return Err(CliError::usage(format!("{name} is not valid UTF-8")));
            };
            config.push((key, value.to_string()));
        }
        config.extend(extra);
        let bars = Bars::new(global.quiet);
        Ok(Context {
            inner: Arc::new(Inner {
                global,
                config,
                stores: Mutex::new(HashMap::new()),
                cancel: watch::channel(false).0,
                bars,
                skipped: AtomicUsize::new(0),
            }),
        })
    }

    /// Transfers at once in recursive commands.
    pub(crate) fn concurrency(&self) -> usize {
        usize::from(self.inner.global.concurrency)
    }

    /// The progress bars.
    pub(crate) fn bars(&self) -> &Bars {
        &self.inner.bars
    }

    /// The store of `bucket`, built on first use.
    ///
    /// # Errors
    /// A usage error (exit 2) for a bad configuration value, naming the key.
    pub(crate) fn store(&self, bucket: &str) -> CliResult<S3Store> {
        let mut stores = self
            .inner
            .stores
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(store) = stores.get(bucket) {
            return Ok(store.clone());
        }
        let store = self
            .builder()
            .bucket(bucket)
            .build()
            .map_err(|e| CliError::s3(&format!("s3://{bucket}"), e))?;
        stores.insert(bucket.to_string(), store.clone());
        Ok(store)
    }

    /// A builder as every store of this run starts: the environment (with
    /// `--profile` as `AWS_PROFILE`), then `S3LITE_*` and the command's keys,
    /// then the options.
    pub(crate) fn builder(&self) -> S3StoreBuilder {
        self.builder_with(false)
    }

    /// The store of `bucket` that reads an S3-to-S3 copy's source (its HEAD
    /// before the copy): the run's store, unless `source` names a key of
    /// its own or none; then a store with the run's settings but no
    /// encryption setting from any source, and `source`'s SSE-C key.
    ///
    /// # Errors
    /// As [`store`](Self::store).
    pub(crate) fn source_store(&self, bucket: &str, source: &CopySource) -> CliResult<S3Store> {
        let Some(keys) = source.store_config() else {
            return self.store(bucket);
        };
        let mut b = self.builder_with(true);
        for (key, value) in keys {
            b = b.with_config(key, value);
        }
        b.bucket(bucket)
            .build()
            .map_err(|e| CliError::s3(&format!("s3://{bucket}"), e))
    }

    /// [`builder`](Self::builder), leaving out every encryption key (from
    /// `AWS_*`, `S3LITE_*` and the command) when `without_encryption`.
    fn builder_with(&self, without_encryption: bool) -> S3StoreBuilder {
        let g = &self.inner.global;
        let dropped = |key: &S3ConfigKey| without_encryption && ENCRYPTION_KEYS.contains(key);
        let mut b = if g.profile.is_some() || without_encryption {
            let profile = g.profile.clone();
            let hidden: Vec<String> = if without_encryption {
                ENCRYPTION_KEYS.iter().flat_map(|k| k.env_names()).collect()
            } else {
                Vec::new()
            };
            S3StoreBuilder::from_env_with(move |name| match &profile {
                Some(profile) if name == "AWS_PROFILE" => Some(profile.clone()),
                _ if hidden.iter().any(|h| h == name) => None,
                _ => std::env::var(name).ok(),
            })
        } else {
            S3StoreBuilder::from_env()
        };
        for (key, value) in self.inner.config.iter().filter(|(k, _)| !dropped(k)) {
            b = b.with_config(*key, value);
        }
        if let Some(endpoint) = &g.endpoint_url {
            b = b.endpoint(endpoint);
        }
        if let Some(region) = &g.region {
            b = b.region(region);
        }
        if g.no_sign_request {
            b = b.skip_signature(true);
        }
        // As the AWS CLI: an `http://` endpoint the user names is used as
        // given, without a separate allow-http switch.
        let plain_http = b
            .get_config_value(S3ConfigKey::Endpoint)
            .or_else(|| b.get_config_value(S3ConfigKey::EndpointUrlS3))
            .is_some_and(|e| e.to_ascii_lowercase().starts_with("http://"));
        if plain_http && b.get_config_value(S3ConfigKey::AllowHttp).is_none() {
            b = b.allow_http(true);
        }
        b
    }

    /// A library error of an operation that reads an object (GET, HEAD),
    /// as [`CliError::s3`]; a 400 without an SSE-C key gets a hint, since S3
    /// answers that to reads of an SSE-C object without its key (a HEAD
    /// with no message at all).
    pub(crate) fn read_error(&self, what: &str, e: s3lite::Error) -> CliError {
        let hint = e.status() == Some(400) && !self.has_sse_c_key();
        let mut err = CliError::s3(what, e);
        if hint {
            err.message.push_str(
                "; if the object is encrypted with a customer key (SSE-C), pass --sse-c-key",
            );
        }
        err
    }

    /// A library error of an S3-to-S3 copy, or of the HEAD of its source,
    /// read with the key `source` names, as [`CliError::s3`]: a 400 when no
    /// key was sent for the source (S3's answer to an SSE-C source read
    /// without its key), or a 403 when the destination's was (a source under
    /// another key), gets a hint to name the source's key.
    pub(crate) fn copy_error(&self, what: &str, e: s3lite::Error, source: &CopySource) -> CliError {
        let hint = match (e.status(), source) {
            (Some(400), CopySource::AsDestination) if !self.has_sse_c_key() => {
                "; if the source is encrypted with a customer key (SSE-C), pass it with --sse-c-copy-source-key (or --sse-c-key, which encrypts the copy with it too)"
            }
            (Some(400), CopySource::NoKey) => {
                "; if the source is encrypted with a customer key (SSE-C), pass it with --sse-c-copy-source-key"
            }
            (Some(403), CopySource::AsDestination) if self.has_sse_c_key() => {
                "; if the source is encrypted with another SSE-C key than --sse-c-key, pass it with --sse-c-copy-source-key"
            }
            _ => "",
        };
        let mut err = CliError::s3(what, e);
        err.message.push_str(hint);
        err
    }

    /// Whether the run's stores have an SSE-C key (`--sse-c-key`, or
    /// `S3LITE_SSE_CUSTOMER_KEY_BASE64`).
    fn has_sse_c_key(&self) -> bool {
        self.inner
            .config
            .iter()
            .any(|(k, _)| *k == S3ConfigKey::SseCustomerKeyBase64)
    }

    /// Every store built so far.
    fn stores(&self) -> Vec<S3Store> {
        let stores = self
            .inner
            .stores
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        stores.values().cloned().collect()
    }

    /// Asks every running operation to stop (Ctrl-C).
    pub(crate) fn cancel(&self) {
        self.inner.cancel.send_replace(true);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub(crate) fn is_cancelled(&self) -> bool {
        *self.inner.cancel.borrow()
    }

    /// Runs `op` unless the run is cancelled first; a cancelled `op` is
    /// dropped here, on its own task, so its multipart upload is aborted
    /// (in the background, see [`finish`](Self::finish)) and its temporary
    /// file removed before this returns.
    pub(crate) async fn cancellable<T>(
        &self,
        op: impl Future<Output = CliResult<T>>,
    ) -> CliResult<T> {
        let mut cancel = self.inner.cancel.subscribe();
        tokio::select! {
            r = op => r,
            _ = cancel.wait_for(|c| *c) => Err(CliError::interrupted()),
        }
    }

    /// Waits for the aborts of uploads dropped by a cancellation.
    pub(crate) async fn finish(&self) {
        for store in self.stores() {
            store.wait_for_background_aborts().await;
        }
    }

    /// Prints a line on stdout (above the progress bars), unless `--quiet`.
    pub(crate) fn say(&self, line: &str) {
        if !self.inner.global.quiet {
            self.out(line);
        }
    }

    /// Prints a line on stdout (above the progress bars), even with
    /// `--quiet`: the output the command exists for.
    pub(crate) fn out(&self, line: &str) {
        self.inner.bars.suspend(|| {
            let mut stdout = std::io::stdout().lock();
            // A closed stdout (`| head`) is not worth a panic.
            let _ = writeln!(stdout, "{line}");
        });
    }

    /// Leaves an entry out: prints `line` as a warning and makes the run
    /// exit 1 at the end.
    pub(crate) fn skip(&self, line: &str) {
        self.inner.skipped.fetch_add(1, Ordering::Relaxed);
        self.warn(line);
    }

    /// How many entries were left out.
    pub(crate) fn skipped(&self) -> usize {
        self.inner.skipped.load(Ordering::Relaxed)
    }

    /// Prints an error line on stderr (above the progress bars).
    pub(crate) fn warn(&self, line: &str) {
        self.inner.bars.suspend(|| eprintln!("s3lite: {line}"));
    }
}
