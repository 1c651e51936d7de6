//! The commands that move bytes: cp and mv (one file, or `--recursive`
//! with parallel workers); `sync` builds on the same jobs. Each transfer is a [`Job`]; every job is one
//! call of the library (`upload_file_opts`, `download_file`, `copy`,
//! `copy_from_bucket`, `put_stream_opts`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use s3lite::{PutOptions, S3Store};

use crate::filter::Filters;
use crate::write::{CopySource, WriteOptions, write_options};
use time::OffsetDateTime;
use tokio::task::JoinSet;

use crate::args::CpArgs;
use crate::context::Context;
use crate::error::{CliError, CliResult, EXIT_INTERRUPTED};
use crate::location::{Location, base_name, dir_prefix, s3_url};
use crate::progress::FileBar;
use crate::stdin::StdinChunks;

/// One transfer.
#[derive(Debug, Clone)]
pub(crate) enum Job {
    /// A local file to an object.
    Upload {
        path: PathBuf,
        bucket: String,
        key: String,
        size: u64,
    },
    /// An object to a local file.
    Download {
        bucket: String,
        key: String,
        path: PathBuf,
        size: u64,
    },
    /// An object to an object, server-side.
    Copy {
        from_bucket: String,
        from_key: String,
        bucket: String,
        key: String,
        size: u64,
    },
}

impl Job {
    fn size(&self) -> u64 {
        match self {
            Job::Upload { size, .. } | Job::Download { size, .. } | Job::Copy { size, .. } => *size,
        }
    }

    /// `upload: <from> to <to>`, as the AWS CLI prints it.
    fn describe(&self, moving: bool) -> String {
        let (verb, from, to) = match self {
            Job::Upload {
                path, bucket, key, ..
            } => ("upload", path.display().to_string(), s3_url(bucket, key)),
            Job::Download {
                bucket, key, path, ..
            } => ("download", s3_url(bucket, key), path.display().to_string()),
            Job::Copy {
                from_bucket,
                from_key,
                bucket,
                key,
                ..
            } => ("copy", s3_url(from_bucket, from_key), s3_url(bucket, key)),
        };
        let verb = if moving { "move" } else { verb };
        format!("{verb}: {from} to {to}")
    }

    /// The name on the progress bar: the object key (short, unlike the
    /// absolute paths of a temporary directory).
    fn name(&self) -> String {
        match self {
            Job::Upload { key, .. } | Job::Download { key, .. } | Job::Copy { key, .. } => {
                key.clone()
            }
        }
    }
}

/// `cp` (`moving = false`) and `mv`.
pub(crate) async fn cp(ctx: &Context, args: CpArgs, moving: bool) -> CliResult {
    let cmd = if moving { "mv" } else { "cp" };
    let source = Location::parse(&args.source)?;
    let dest = Location::parse(&args.destination)?;
    let s3_to_s3 = matches!((&source, &dest), (Location::S3 { .. }, Location::S3 { .. }));
    let options = write_options(&args.put, &args.copy_source, s3_to_s3)?;
    let filters = &args.filters.ordered;
    if args.recursive {
        let jobs = recursive_jobs(ctx, cmd, &source, &dest, filters).await?;
        return run_jobs(ctx, jobs, &options, moving, args.dryrun, true).await;
    }
    // As the AWS CLI: a single file or object is matched by its name.
    let name = match &source {
        Location::S3 { key, .. } => base_name(key).to_string(),
        Location::Local(path) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        Location::Stdio => "-".to_string(),
    };
    if !filters.includes(&name) {
        return Ok(());
    }
    let job = match (&source, &dest) {
        (Location::Stdio, Location::S3 { bucket, key }) if !moving => {
            if key.is_empty() || key.ends_with('/') {
                return Err(CliError::usage(format!(
                    "{cmd} - {dest}: name the object to write stdin to (s3://bucket/key)"
                )));
            }
            if args.dryrun {
                ctx.out(&format!("(dryrun) upload: - to {dest}"));
                return Ok(());
            }
            return upload_stdin(ctx, bucket, key, options.put).await;
        }
        (Location::S3 { .. }, Location::Stdio) if !moving => {
            let (bucket, key) = Location::parse_object(&args.source)?;
            if args.dryrun {
                ctx.out(&format!("(dryrun) download: {source} to -"));
                return Ok(());
            }
            return download_stdout(ctx, &bucket, &key).await;
        }
        (Location::Stdio, _) | (_, Location::Stdio) => {
            return Err(CliError::usage(format!(
                "{cmd}: `-` works with cp only, as stdin to s3://bucket/key or s3://bucket/key to stdout"
            )));
        }
        (Location::Local(path), Location::S3 { bucket, key }) => {
            let meta = std::fs::metadata(path)
                .map_err(|e| CliError::failed(format!("{cmd} {}: {e}", path.display())))?;
            if meta.is_dir() {
                return Err(CliError::usage(format!(
                    "{cmd} {}: is a directory (use --recursive)",
                    path.display()
                )));
            }
            let key = if key.is_empty() || key.ends_with('/') {
                let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
                    CliError::usage(format!(
                        "{cmd} {}: no UTF-8 file name to use as the key",
                        path.display()
                    ))
                })?;
                format!("{key}{name}")
            } else {
                key.clone()
            };
            Job::Upload {
                path: path.clone(),
                bucket: bucket.clone(),
                key,
                size: meta.len(),
            }
        }
        (Location::S3 { .. }, Location::Local(path)) => {
            let (bucket, key) = Location::parse_object(&args.source)?;
            let path = if path.is_dir() || args.destination.ends_with('/') {
                path.join(base_name(&key))
            } else {
                path.clone()
            };
            Job::Download {
                bucket,
                key,
                path,
                size: 0,
            }
        }
        (Location::S3 { .. }, Location::S3 { bucket, key }) => {
            let (from_bucket, from_key) = Location::parse_object(&args.source)?;
            let key = if key.is_empty() || key.ends_with('/') {
                format!("{key}{}", base_name(&from_key))
            } else {
                key.clone()
            };
            Job::Copy {
                from_bucket,
                from_key,
                bucket: bucket.clone(),
                key,
                size: 0,
            }
        }
        (Location::Local(_), Location::Local(_)) => {
            return Err(CliError::usage(format!(
                "{cmd} {source} {dest}: one side must be an s3:// URL"
            )));
        }
    };
    let job = match job {
        // The size for the bar; a missing object fails here with its key.
        Job::Download {
            bucket, key, path, ..
        } if !args.dryrun => {
            let size = head_size(ctx, cmd, &bucket, &key, None).await?;
            Job::Download {
                bucket,
                key,
                path,
                size,
            }
        }
        Job::Copy {
            from_bucket,
            from_key,
            bucket,
            key,
            ..
        } if !args.dryrun => {
            let source = Some(&options.copy_source);
            let size = head_size(ctx, cmd, &from_bucket, &from_key, source).await?;
            Job::Copy {
                from_bucket,
                from_key,
                bucket,
                key,
                size,
            }
        }
        job => job,
    };
    run_jobs(ctx, vec![job], &options, moving, args.dryrun, false).await
}

/// The size of `key`: a download's object, or (`copy_source` given) the
/// source of an S3-to-S3 copy, read with the copy's source key.
async fn head_size(
    ctx: &Context,
    cmd: &str,
    bucket: &str,
    key: &str,
    copy_source: Option<&CopySource>,
) -> CliResult<u64> {
    let store = match copy_source {
        Some(source) => ctx.source_store(bucket, source)?,
        None => ctx.store(bucket)?,
    };
    let what = format!("{cmd} {}", s3_url(bucket, key));
    ctx.cancellable(async {
        // HEAD, not `object_size`: that reports a 403 as NotFound (as
        // composer does), where the tool must say "forbidden" (a wrong SSE-C
        // key, a missing permission).
        store
            .head(key)
            .await
            .map(|m| m.size)
            .map_err(|e| match copy_source {
                Some(source) => ctx.copy_error(&what, e, source),
                None => ctx.read_error(&what, e),
            })
    })
    .await
}

/// The jobs of `cp --recursive` / `mv --recursive`.
async fn recursive_jobs(
    ctx: &Context,
    cmd: &str,
    source: &Location,
    dest: &Location,
    filters: &Filters,
) -> CliResult<Vec<Job>> {
    match (source, dest) {
        (Location::Local(dir), Location::S3 { bucket, key }) => {
            let prefix = dir_prefix(key);
            let mut files = local_tree(ctx, dir)?;
            files.retain(|rel, _| filters.includes(rel));
            Ok(files
                .into_iter()
                .map(|(rel, f)| Job::Upload {
                    path: f.path,
                    bucket: bucket.clone(),
                    key: format!("{prefix}{rel}"),
                    size: f.size,
                })
                .collect())
        }
        (Location::S3 { bucket, key }, Location::Local(dir)) => {
            let mut objects = s3_tree(ctx, bucket, &dir_prefix(key)).await?;
            objects.retain(|rel, _| filters.includes(rel));
            let mut jobs = Vec::new();
            for (rel, o) in objects {
                let Some(path) = local_path_for(ctx, dir, &rel) else {
                    continue;
                };
                jobs.push(Job::Download {
                    bucket: bucket.clone(),
                    key: o.key,
                    path,
                    size: o.size,
                });
            }
            Ok(jobs)
        }
        (
            Location::S3 {
                bucket: from,
                key: from_key,
            },
            Location::S3 { bucket, key },
        ) => {
            let prefix = dir_prefix(key);
            let mut objects = s3_tree(ctx, from, &dir_prefix(from_key)).await?;
            objects.retain(|rel, _| filters.includes(rel));
            Ok(objects
                .into_iter()
                .map(|(rel, o)| Job::Copy {
                    from_bucket: from.clone(),
                    from_key: o.key,
                    bucket: bucket.clone(),
                    key: format!("{prefix}{rel}"),
                    size: o.size,
                })
                .collect())
        }
        _ => Err(CliError::usage(format!(
            "{cmd} --recursive {source} {dest}: needs a directory and an s3:// prefix, or two s3:// prefixes"
        ))),
    }
}

/// Runs `jobs`, `--concurrency` at a time, printing a line per job and
/// every failure (naming its key); fails (exit 1) when any job failed, and
/// stops early on Ctrl-C.
pub(crate) async fn run_jobs(
    ctx: &Context,
    jobs: Vec<Job>,
    options: &WriteOptions,
    moving: bool,
    dryrun: bool,
    recursive: bool,
) -> CliResult {
    // Every store is built first: a bad setting is one usage error (exit 2),
    // not a failure of each job.
    for job in &jobs {
        match job {
            Job::Upload { bucket, .. } | Job::Download { bucket, .. } => ctx.store(bucket)?,
            Job::Copy {
                from_bucket,
                bucket,
                ..
            } => {
                ctx.store(from_bucket)?;
                ctx.store(bucket)?
            }
        };
    }
    if dryrun {
        for job in &jobs {
            ctx.out(&format!("(dryrun) {}", job.describe(moving)));
        }
        return Ok(());
    }
    let count = jobs.len();
    let total = recursive.then(|| {
        ctx.bars()
            .total(count as u64, jobs.iter().map(Job::size).sum())
    });
    let mut pending = jobs.into_iter();
    let mut running = JoinSet::new();
    let (mut failed, mut interrupted) = (0usize, false);
    loop {
        while running.len() < ctx.concurrency() && !ctx.is_cancelled() {
            let Some(job) = pending.next() else { break };
            let (ctx2, options, total) = (ctx.clone(), options.clone(), total.clone());
            running.spawn(async move {
                let bar = ctx2
                    .bars()
                    .file(&job.name(), Some(job.size()), total.as_ref());
                let line = job.describe(moving);
                let result = ctx2
                    .cancellable(run_job(&ctx2, job, options, &bar, moving))
                    .await;
                bar.finish();
                if let Some(total) = &total {
                    total.file_done();
                }
                if result.is_ok() {
                    ctx2.say(&line);
                }
                result
            });
        }
        match running.join_next().await {
            None => break,
            Some(Ok(Ok(()))) => {}
            Some(Ok(Err(e))) if e.code == EXIT_INTERRUPTED => interrupted = true,
            Some(Ok(Err(e))) => {
                failed += 1;
                ctx.warn(&e.message);
            }
            Some(Err(e)) => {
                failed += 1;
                ctx.warn(&format!("a transfer task failed: {e}"));
            }
        }
    }
    if let Some(total) = &total {
        total.finish();
    }
    if interrupted || ctx.is_cancelled() {
        return Err(CliError::interrupted());
    }
    match failed {
        0 => Ok(()),
        _ if !recursive => Err(CliError::failed("the transfer failed")),
        n => Err(CliError::failed(format!("{n} of {count} transfers failed"))),
    }
}

/// One job; for `mv`, then the source is deleted.
async fn run_job(
    ctx: &Context,
    job: Job,
    options: WriteOptions,
    bar: &FileBar,
    moving: bool,
) -> CliResult {
    let cmd = if moving { "mv" } else { "cp" };
    match job {
        Job::Upload {
            path, bucket, key, ..
        } => {
            let store = ctx.store(&bucket)?;
            let what = format!("{cmd} {} to {}", path.display(), s3_url(&bucket, &key));
            store
                .upload_file_opts(&key, &path, options.put, Some(bar.callback()))
                .await
                .map_err(|e| CliError::s3(&what, e))?;
            if moving {
                tokio::fs::remove_file(&path).await.map_err(|e| {
                    CliError::failed(format!(
                        "{what}: uploaded, but removing the file failed: {e}"
                    ))
                })?;
            }
        }
        Job::Download {
            bucket, key, path, ..
        } => {
            let store = ctx.store(&bucket)?;
            let what = format!("{cmd} {} to {}", s3_url(&bucket, &key), path.display());
            let meta = store
                .download_file(&key, &path, true, Some(bar.callback()))
                .await
                .map_err(|e| ctx.read_error(&what, e))?;
            // As the AWS CLI: the file gets the object's time, which `sync` compares.
            if let Some(t) = meta.last_modified {
                set_mtime(&path, t).map_err(|e| {
                    CliError::failed(format!("{what}: setting the file's time: {e}"))
                })?;
            }
            if moving {
                delete_object(&store, &key, &what).await?;
            }
        }
        Job::Copy {
            from_bucket,
            from_key,
            bucket,
            key,
            size,
        } => {
            let store = ctx.store(&bucket)?;
            let what = format!(
                "{cmd} {} to {}",
                s3_url(&from_bucket, &from_key),
                s3_url(&bucket, &key)
            );
            let copied = if from_bucket == bucket {
                store.copy_opts(&from_key, &key, options.copy).await
            } else {
                store
                    .copy_from_bucket_opts(&from_bucket, &from_key, &key, options.copy)
                    .await
            };
            copied.map_err(|e| ctx.copy_error(&what, e, &options.copy_source))?;
            bar.add(size);
            if moving {
                delete_object(&ctx.store(&from_bucket)?, &from_key, &what).await?;
            }
        }
    }
    Ok(())
}

async fn delete_object(store: &S3Store, key: &str, what: &str) -> CliResult {
    store.delete(key).await.map_err(|e| {
        CliError::s3(
            &format!("{what}: copied, but deleting the source failed"),
            e,
        )
    })
}

fn set_mtime(path: &Path, t: OffsetDateTime) -> std::io::Result<()> {
    let file = std::fs::File::options().write(true).open(path)?;
    file.set_modified(t.into())
}

/// `cp - s3://bucket/key`: stdin, streamed (multipart past the threshold).
async fn upload_stdin(ctx: &Context, bucket: &str, key: &str, options: PutOptions) -> CliResult {
    let store = ctx.store(bucket)?;
    let url = s3_url(bucket, key);
    let what = format!("cp - {url}");
    let bar = ctx.bars().file("-", None, None);
    let result = ctx
        .cancellable(async {
            store
                .put_stream_opts(key, StdinChunks::new(), options, Some(bar.callback()))
                .await
                .map_err(|e| CliError::s3(&what, e))
        })
        .await;
    bar.finish();
    result?;
    ctx.say(&format!("upload: - to {url}"));
    Ok(())
}

/// `cp s3://bucket/key -`: the object to stdout, as it arrives.
async fn download_stdout(ctx: &Context, bucket: &str, key: &str) -> CliResult {
    let store = ctx.store(bucket)?;
    let what = format!("cp {} -", s3_url(bucket, key));
    let bar_ctx = ctx.clone();
    ctx.cancellable(async move {
        let get = store
            .get(key)
            .await
            .map_err(|e| bar_ctx.read_error(&what, e))?;
        let bar = bar_ctx.bars().file(key, get.object_size, None);
        let written =
            crate::commands::write_body_to_stdout(get.into_stream(), &what, Some(&bar)).await;
        bar.finish();
        written
    })
    .await
}

/// A local file found under a directory.
#[derive(Debug, Clone)]
pub(crate) struct LocalFile {
    pub(crate) path: PathBuf,
    pub(crate) size: u64,
    /// Modification time in whole seconds since the epoch.
    pub(crate) mtime: Option<i64>,
}

/// Every file under `dir`, by its `/`-separated path relative to `dir`.
/// Symbolic links to files are followed; links to directories, names that
/// are not UTF-8 and the library's temporary download files are skipped
/// with a warning.
pub(crate) fn local_tree(ctx: &Context, dir: &Path) -> CliResult<BTreeMap<String, LocalFile>> {
    let mut out = BTreeMap::new();
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(CliError::usage(format!(
                "{}: not a directory",
                dir.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(CliError::failed(format!("{}: {e}", dir.display()))),
    }
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = stack.pop() {
        let entries = std::fs::read_dir(&path)
            .map_err(|e| CliError::failed(format!("{}: {e}", path.display())))?;
        for entry in entries {
            let entry = entry.map_err(|e| CliError::failed(format!("{}: {e}", path.display())))?;
            let child = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                ctx.skip(&format!(
                    "skipping {}: the name is not UTF-8",
                    child.display()
                ));
                continue;
            };
            if name.ends_with(".s3lite-tmp") {
                continue;
            }
            let child_rel = format!("{rel}{name}");
            let kind = entry
                .file_type()
                .map_err(|e| CliError::failed(format!("{}: {e}", child.display())))?;
            if kind.is_dir() {
                stack.push((child, format!("{child_rel}/")));
                continue;
            }
            let meta = std::fs::metadata(&child)
                .map_err(|e| CliError::failed(format!("{}: {e}", child.display())))?;
            if meta.is_dir() {
                ctx.warn(&format!(
                    "skipping {}: a link to a directory",
                    child.display()
                ));
                continue;
            }
            let mtime = meta
                .modified()
                .ok()
                .map(|t| OffsetDateTime::from(t).unix_timestamp());
            out.insert(
                child_rel,
                LocalFile {
                    path: child,
                    size: meta.len(),
                    mtime,
                },
            );
        }
    }
    Ok(out)
}

/// An object found under a prefix.
#[derive(Debug, Clone)]
pub(crate) struct RemoteObject {
    pub(crate) key: String,
    pub(crate) size: u64,
    /// Last-Modified in whole seconds since the epoch.
    pub(crate) mtime: Option<i64>,
    /// The ETag without quotes.
    pub(crate) etag: Option<String>,
}

/// Every object under `prefix` of `bucket`, by its key relative to
/// `prefix`; "directory" markers (keys ending in `/`) are left out.
pub(crate) async fn s3_tree(
    ctx: &Context,
    bucket: &str,
    prefix: &str,
) -> CliResult<BTreeMap<String, RemoteObject>> {
    let store = ctx.store(bucket)?;
    let what = format!("list {}", s3_url(bucket, prefix));
    let objects = ctx
        .cancellable(async {
            store
                .list(Some(prefix).filter(|p| !p.is_empty()))
                .collect()
                .await
                .map_err(|e| CliError::s3(&what, e))
        })
        .await?;
    Ok(objects
        .into_iter()
        .filter(|o| !o.key.ends_with('/'))
        .filter_map(|o| {
            let rel = o.key.strip_prefix(prefix)?.to_string();
            let object = RemoteObject {
                mtime: o.last_modified.map(OffsetDateTime::unix_timestamp),
                etag: o.etag.map(|e| e.trim_matches('"').to_string()),
                size: o.size,
                key: o.key,
            };
            Some((rel, object))
        })
        .collect())
}

/// The local path of the relative key `rel` under `dir`, or `None` (with a
/// warning) for a key that would leave `dir` or names no file (`..`, `.`,
/// empty parts).
pub(crate) fn local_path_for(ctx: &Context, dir: &Path, rel: &str) -> Option<PathBuf> {
    let mut path = dir.to_path_buf();
    for part in rel.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            ctx.skip(&format!(
                "skipping key {rel:?}: it does not map to a file under {}",
                dir.display()
            ));
            return None;
        }
        path.push(part);
    }
    Some(path)
}
