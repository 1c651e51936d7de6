//! `sync`: copies what is missing or differs between a directory and a
//! prefix (or two prefixes), by size and time, size alone, or ETag, then
//! (`--delete`) deletes what the source lacks. The copies are `transfer`'s
//! jobs.

use std::path::Path;

use crate::args::SyncArgs;
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::location::{Location, dir_prefix};
use crate::transfer::{Job, local_path_for, local_tree, run_jobs, s3_tree};
use crate::write::write_options;

/// What `sync` compares besides the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    /// The source is newer than the destination (the default).
    Time,
    /// Sizes only.
    Size,
    /// Contents by ETag where it is an MD5 (single-part), else the time.
    Etag,
}

/// `sync`: copies what is missing or differs, then (`--delete`) deletes
/// what the source lacks.
pub(crate) async fn sync(ctx: &Context, args: SyncArgs) -> CliResult {
    let source = Location::parse(&args.source)?;
    let dest = Location::parse(&args.destination)?;
    let s3_to_s3 = matches!((&source, &dest), (Location::S3 { .. }, Location::S3 { .. }));
    let options = write_options(&args.put, &args.copy_source, s3_to_s3)?;
    // Filters apply to both sides, as in the AWS CLI: an excluded path is
    // neither copied nor, with --delete, deleted.
    let filters = &args.filters.ordered;
    let compare = if args.size_only {
        Compare::Size
    } else if args.etag {
        Compare::Etag
    } else {
        Compare::Time
    };
    let mut jobs = Vec::new();
    match (&source, &dest) {
        (Location::Local(dir), Location::S3 { bucket, key }) => {
            let prefix = dir_prefix(key);
            let mut files = local_tree(ctx, dir)?;
            files.retain(|rel, _| filters.includes(rel));
            let mut objects = s3_tree(ctx, bucket, &prefix).await?;
            objects.retain(|rel, _| filters.includes(rel));
            for (rel, f) in &files {
                let stale = match objects.get(rel) {
                    None => true,
                    Some(o) => {
                        f.size != o.size
                            || differs(compare, f.mtime, o.mtime, || {
                                local_md5_differs(&f.path, o.etag.as_deref())
                            })
                    }
                };
                if stale {
                    jobs.push(Job::Upload {
                        path: f.path.clone(),
                        bucket: bucket.clone(),
                        key: format!("{prefix}{rel}"),
                        size: f.size,
                    });
                }
            }
            run_jobs(ctx, jobs, &options, false, args.dryrun, true).await?;
            if args.delete {
                let extra: Vec<String> = objects
                    .iter()
                    .filter(|(rel, _)| !files.contains_key(*rel))
                    .map(|(_, o)| o.key.clone())
                    .collect();
                crate::commands::delete_keys(ctx, bucket, extra, args.dryrun).await?;
            }
        }
        (Location::S3 { bucket, key }, Location::Local(dir)) => {
            let mut objects = s3_tree(ctx, bucket, &dir_prefix(key)).await?;
            objects.retain(|rel, _| filters.includes(rel));
            let mut files = local_tree(ctx, dir)?;
            files.retain(|rel, _| filters.includes(rel));
            for (rel, o) in &objects {
                let stale = match files.get(rel) {
                    None => true,
                    Some(f) => {
                        f.size != o.size
                            || differs(compare, o.mtime, f.mtime, || {
                                local_md5_differs(&f.path, o.etag.as_deref())
                            })
                    }
                };
                if stale {
                    let Some(path) = local_path_for(ctx, dir, rel) else {
                        continue;
                    };
                    jobs.push(Job::Download {
                        bucket: bucket.clone(),
                        key: o.key.clone(),
                        path,
                        size: o.size,
                    });
                }
            }
            run_jobs(ctx, jobs, &options, false, args.dryrun, true).await?;
            if args.delete {
                for (_, f) in files.iter().filter(|(rel, _)| !objects.contains_key(*rel)) {
                    if args.dryrun {
                        ctx.out(&format!("(dryrun) delete: {}", f.path.display()));
                        continue;
                    }
                    std::fs::remove_file(&f.path).map_err(|e| {
                        CliError::failed(format!("sync --delete {}: {e}", f.path.display()))
                    })?;
                    ctx.say(&format!("delete: {}", f.path.display()));
                }
            }
        }
        (
            Location::S3 {
                bucket: from,
                key: from_key,
            },
            Location::S3 { bucket, key },
        ) => {
            let prefix = dir_prefix(key);
            let mut sources = s3_tree(ctx, from, &dir_prefix(from_key)).await?;
            sources.retain(|rel, _| filters.includes(rel));
            let mut targets = s3_tree(ctx, bucket, &prefix).await?;
            targets.retain(|rel, _| filters.includes(rel));
            for (rel, s) in &sources {
                let stale = match targets.get(rel) {
                    None => true,
                    Some(t) => {
                        s.size != t.size
                            || differs(compare, s.mtime, t.mtime, || {
                                etags_differ(s.etag.as_deref(), t.etag.as_deref())
                            })
                    }
                };
                if stale {
                    jobs.push(Job::Copy {
                        from_bucket: from.clone(),
                        from_key: s.key.clone(),
                        bucket: bucket.clone(),
                        key: format!("{prefix}{rel}"),
                        size: s.size,
                    });
                }
            }
            run_jobs(ctx, jobs, &options, false, args.dryrun, true).await?;
            if args.delete {
                let extra: Vec<String> = targets
                    .iter()
                    .filter(|(rel, _)| !sources.contains_key(*rel))
                    .map(|(_, o)| o.key.clone())
                    .collect();
                crate::commands::delete_keys(ctx, bucket, extra, args.dryrun).await?;
            }
        }
        _ => {
            return Err(CliError::usage(format!(
                "sync {source} {dest}: needs a directory and an s3:// prefix, or two s3:// prefixes"
            )));
        }
    }
    Ok(())
}

/// Whether a source of the same size differs: it is newer (`Time`), never
/// (`Size`), or by content where `etag_differs` can tell (`Etag`; `None`
/// falls back to the time).
fn differs(
    compare: Compare,
    source: Option<i64>,
    dest: Option<i64>,
    etag_differs: impl FnOnce() -> Option<bool>,
) -> bool {
    let newer = match (source, dest) {
        (Some(s), Some(d)) => s > d,
        _ => true,
    };
    match compare {
        Compare::Size => false,
        Compare::Time => newer,
        Compare::Etag => etag_differs().unwrap_or(newer),
    }
}

/// Whether the file's MD5 differs from a single-part ETag; `None` when the
/// ETag is no MD5 (multipart, encrypted) or the file cannot be read.
fn local_md5_differs(path: &Path, etag: Option<&str>) -> Option<bool> {
    use md5::{Digest, Md5};
    let etag = etag.filter(|e| e.len() == 32 && !e.contains('-'))?;
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = Md5::new();
    std::io::copy(&mut file, &mut hasher).ok()?;
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Some(!hex.eq_ignore_ascii_case(etag))
}

/// Whether two ETags differ, when both are single-part MD5s.
fn etags_differ(a: Option<&str>, b: Option<&str>) -> Option<bool> {
    let md5 = |e: Option<&str>| {
        e.filter(|e| e.len() == 32 && !e.contains('-'))
            .map(str::to_ascii_lowercase)
    };
    Some(md5(a)? != md5(b)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_compare_copies_only_newer_sources() {
        assert!(differs(Compare::Time, Some(2), Some(1), || None));
        assert!(!differs(Compare::Time, Some(1), Some(1), || None));
        assert!(!differs(Compare::Time, Some(1), Some(2), || None));
        assert!(differs(Compare::Time, None, Some(2), || None));
    }

    #[test]
    fn etag_compare_falls_back_to_time() {
        assert!(differs(Compare::Etag, Some(1), Some(1), || Some(true)));
        assert!(!differs(Compare::Etag, Some(5), Some(1), || Some(false)));
        assert!(differs(Compare::Etag, Some(5), Some(1), || None));
        assert!(!differs(Compare::Size, Some(5), Some(1), || Some(true)));
    }

    #[test]
    fn only_md5_etags_compare() {
        let a = "0123456789abcdef0123456789abcdef";
        assert_eq!(etags_differ(Some(a), Some(a)), Some(false));
        assert_eq!(
            etags_differ(Some(a), Some("0123456789abcdef0123456789abcdee")),
            Some(true)
        );
        assert_eq!(etags_differ(Some(a), Some("abc-2")), None);
        assert_eq!(etags_differ(None, Some(a)), None);
    }
}
