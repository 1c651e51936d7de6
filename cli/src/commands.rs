//! The commands that move no files: ls, rm, cat, stat, presign, mb, rb.

use std::time::Duration;

use s3lite::{ListOptions, ObjectMeta};
use tokio::io::AsyncWriteExt;

use crate::args::{BucketArgs, CatArgs, LsArgs, PresignArgs, RbArgs, RmArgs, StatArgs};
use crate::context::Context;
use crate::error::{CliError, CliResult};
use crate::location::{Location, base_name, dir_prefix, s3_url};
use crate::output::{date_time, human_size, json_object, json_opt, json_string};

/// The longest a presigned URL may live (S3's limit).
const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

/// `ls`: buckets, one level under a prefix, or every key (`--recursive`).
pub(crate) async fn ls(ctx: &Context, args: LsArgs) -> CliResult {
    let Some(url) = &args.url else {
        return ls_buckets(ctx, &args).await;
    };
    let (bucket, prefix) = Location::parse_s3(url)?;
    let store = ctx.store(&bucket)?;
    let size = |n: u64| {
        if args.human_readable {
            human_size(n)
        } else {
            n.to_string()
        }
    };
    // Names are shown relative to the prefix's "directory", as the AWS CLI does.
    let shown_from = if args.recursive {
        0
    } else {
        prefix.rfind('/').map_or(0, |i| i + 1)
    };
    let (mut count, mut bytes) = (0u64, 0u64);
    let mut print_object = |o: &ObjectMeta| {
        count += 1;
        bytes += o.size;
        if args.json {
            ctx.out(&json_object(&[
                ("type", json_string("object")),
                ("url", json_string(&s3_url(&bucket, &o.key))),
                ("key", json_string(&o.key)),
                ("size", o.size.to_string()),
                (
                    "last_modified",
                    json_opt(o.last_modified.map(s3lite::date::format_iso8601).as_deref()),
                ),
                ("etag", json_opt(o.etag.as_deref())),
                ("storage_class", json_opt(o.storage_class.as_deref())),
            ]));
        } else {
            let when = o
                .last_modified
                .map(date_time)
                .unwrap_or_else(|| " ".repeat(19));
            let name = o.key.get(shown_from..).unwrap_or(&o.key);
            ctx.out(&format!("{when} {:>10} {name}", size(o.size)));
        }
    };
    let what = format!("ls {}", s3_url(&bucket, &prefix));
    if args.recursive {
        let mut listing = store.list(Some(&prefix).filter(|p| !p.is_empty()).map(|p| p.as_str()));
        while let Some(o) = ctx.cancellable(async { Ok(listing.next().await) }).await? {
            print_object(&o.map_err(|e| CliError::s3(&what, e))?);
        }
    } else {
        let mut options = ListOptions::default().with_delimiter("/");
        if !prefix.is_empty() {
            options.prefix = Some(prefix.clone());
        }
        // Page by page, as aws-cli prints: a wide level never sits in memory.
        let mut pages = store.list_with_delimiter_pages(options);
        while let Some(page) = ctx.cancellable(async { Ok(pages.next().await) }).await? {
            let page = page.map_err(|e| CliError::s3(&what, e))?;
            for p in &page.common_prefixes {
                if args.json {
                    ctx.out(&json_object(&[
                        ("type", json_string("prefix")),
                        ("url", json_string(&s3_url(&bucket, p))),
                        ("prefix", json_string(p)),
                    ]));
                } else {
                    let name = p.get(shown_from..).unwrap_or(p);
                    ctx.out(&format!("{:>30} {name}", "PRE"));
                }
            }
            for o in &page.objects {
                print_object(o);
            }
        }
    }
    if args.summarize && !args.json {
        ctx.out("");
        ctx.out(&format!("Total Objects: {count}"));
        ctx.out(&format!("   Total Size: {}", size(bytes)));
    }
    Ok(())
}

async fn ls_buckets(ctx: &Context, args: &LsArgs) -> CliResult {
    if args.recursive {
        return Err(CliError::usage("ls --recursive needs an s3://bucket URL"));
    }
    // ListBuckets goes to the endpoint's root; the bucket name is a placeholder.
    let store = ctx
        .builder()
        .bucket("s3lite-list-buckets")
        .build()
        .map_err(|e| CliError::s3("ls", e))?;
    let buckets = ctx
        .cancellable(async {
            store
                .list_buckets()
                .await
                .map_err(|e| CliError::s3("ls", e))
        })
        .await?;
    for b in buckets {
        if args.json {
            ctx.out(&json_object(&[
                ("type", json_string("bucket")),
                ("name", json_string(&b.name)),
                (
                    "created",
                    json_opt(b.creation_date.map(s3lite::date::format_iso8601).as_deref()),
                ),
            ]));
        } else {
            let when = b
                .creation_date
                .map(date_time)
                .unwrap_or_else(|| " ".repeat(19));
            ctx.out(&format!("{when} {}", b.name));
        }
    }
    Ok(())
}

/// `rm`: one key, or every key under a prefix in bulk.
pub(crate) async fn rm(ctx: &Context, args: RmArgs) -> CliResult {
    let (bucket, key) = Location::parse_s3(&args.url)?;
    let store = ctx.store(&bucket)?;
    let filters = &args.filters.ordered;
    if !args.recursive {
        let (bucket, key) = Location::parse_object(&args.url)?;
        // As the AWS CLI: one key is matched by its name.
        if !filters.includes(base_name(&key)) {
            return Ok(());
        }
        let url = s3_url(&bucket, &key);
        if args.dryrun {
            ctx.out(&format!("(dryrun) delete: {url}"));
            return Ok(());
        }
        ctx.cancellable(async {
            store
                .delete(&key)
                .await
                .map_err(|e| CliError::s3(&format!("rm {url}"), e))
        })
        .await?;
        ctx.say(&format!("delete: {url}"));
        return Ok(());
    }
    let prefix = dir_prefix(&key);
    let what = format!("rm {}", s3_url(&bucket, &prefix));
    let keys: Vec<String> = ctx
        .cancellable(async {
            let objects = store
                .list(Some(prefix.as_str()).filter(|p| !p.is_empty()))
                .collect()
                .await
                .map_err(|e| CliError::s3(&what, e))?;
            Ok(objects
                .into_iter()
                .map(|o| o.key)
                .filter(|k| filters.includes(k.strip_prefix(&prefix).unwrap_or(k)))
                .collect())
        })
        .await?;
    delete_keys(ctx, &bucket, keys, args.dryrun).await
}

/// Deletes `keys` of `bucket` in bulk, printing `delete: <url>` for each;
/// exit 1 when any failed (each failure printed, naming its key).
pub(crate) async fn delete_keys(
    ctx: &Context,
    bucket: &str,
    keys: Vec<String>,
    dryrun: bool,
) -> CliResult {
    if dryrun {
        for k in &keys {
            ctx.out(&format!("(dryrun) delete: {}", s3_url(bucket, k)));
        }
        return Ok(());
    }
    let store = ctx.store(bucket)?;
    let results = ctx
        .cancellable(async { Ok(store.delete_many(keys.clone()).await) })
        .await?;
    let mut failed = 0usize;
    for (key, result) in keys.iter().zip(results) {
        match result {
            Ok(_) => ctx.say(&format!("delete: {}", s3_url(bucket, key))),
            Err(e) => {
                failed += 1;
                ctx.warn(&format!("delete failed: {}: {e}", s3_url(bucket, key)));
            }
        }
    }
    if failed > 0 {
        return Err(CliError::failed(format!(
            "{failed} of {} deletes failed",
            keys.len()
        )));
    }
    Ok(())
}

/// `cat`: the object's bytes to stdout, as they arrive.
pub(crate) async fn cat(ctx: &Context, args: CatArgs) -> CliResult {
    let (bucket, key) = Location::parse_object(&args.url)?;
    let store = ctx.store(&bucket)?;
    let what = format!("cat {}", s3_url(&bucket, &key));
    ctx.cancellable(async {
        let get = store
            .get(&key)
            .await
            .map_err(|e| ctx.read_error(&what, e))?;
        write_body_to_stdout(get.into_stream(), &what, None).await
    })
    .await
}

/// Streams `body` to stdout. A reader that went away (`| head`) ends the
/// copy quietly.
pub(crate) async fn write_body_to_stdout(
    mut body: s3lite::transport::ResponseBody,
    what: &str,
    bar: Option<&crate::progress::FileBar>,
) -> CliResult {
    let mut stdout = tokio::io::stdout();
    while let Some(chunk) = body.next_chunk().await {
        let chunk = chunk.map_err(|e| CliError::s3(what, e))?;
        if let Err(e) = stdout.write_all(&chunk).await {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(CliError::failed(format!("{what}: writing to stdout: {e}")));
        }
        if let Some(bar) = bar {
            bar.add(chunk.len() as u64);
        }
    }
    match stdout.flush().await {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::failed(format!("{what}: writing to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// `stat`: HEAD of one object, with its stored checksum.
pub(crate) async fn stat(ctx: &Context, args: StatArgs) -> CliResult {
    let (bucket, key) = Location::parse_object(&args.url)?;
    let url = s3_url(&bucket, &key);
    let store = ctx.store(&bucket)?;
    let meta = ctx
        .cancellable(async {
            store
                .head(&key)
                .await
                .map_err(|e| ctx.read_error(&format!("stat {url}"), e))
        })
        .await?;
    let checksum = meta
        .checksum
        .as_ref()
        .map(|(alg, value)| format!("{} {value}", alg.as_str()));
    let when = meta.last_modified.map(s3lite::date::format_iso8601);
    let expires = meta.expires.map(s3lite::date::format_iso8601);
    if args.json {
        let metadata: Vec<(&str, String)> = meta
            .metadata
            .iter()
            .map(|(k, v)| (k.as_str(), json_string(v)))
            .collect();
        ctx.out(&json_object(&[
            ("url", json_string(&url)),
            ("size", meta.size.to_string()),
            ("last_modified", json_opt(when.as_deref())),
            ("etag", json_opt(meta.etag.as_deref())),
            ("content_type", json_opt(meta.content_type.as_deref())),
            ("cache_control", json_opt(meta.cache_control.as_deref())),
            (
                "content_encoding",
                json_opt(meta.content_encoding.as_deref()),
            ),
            (
                "content_disposition",
                json_opt(meta.content_disposition.as_deref()),
            ),
            (
                "content_language",
                json_opt(meta.content_language.as_deref()),
            ),
            ("expires", json_opt(expires.as_deref())),
            ("storage_class", json_opt(meta.storage_class.as_deref())),
            ("checksum", json_opt(checksum.as_deref())),
            (
                "server_side_encryption",
                json_opt(meta.server_side_encryption.as_deref()),
            ),
            (
                "sse_customer_algorithm",
                json_opt(meta.sse_customer_algorithm.as_deref()),
            ),
            (
                "sse_customer_key_md5",
                json_opt(meta.sse_customer_key_md5.as_deref()),
            ),
            ("version_id", json_opt(meta.version_id.as_deref())),
            ("metadata", json_object(&metadata)),
        ]));
        return Ok(());
    }
    let line = |name: &str, value: &str| ctx.out(&format!("{name:<15} {value}"));
    line("URL:", &url);
    line(
        "Size:",
        &format!("{} ({})", meta.size, human_size(meta.size)),
    );
    line("Last-Modified:", when.as_deref().unwrap_or("-"));
    line("ETag:", meta.etag.as_deref().unwrap_or("-"));
    line("Content-Type:", meta.content_type.as_deref().unwrap_or("-"));
    // The other attributes only when the object has them.
    for (name, value) in [
        ("Cache-Control:", &meta.cache_control),
        ("Content-Encoding:", &meta.content_encoding),
        ("Content-Disposition:", &meta.content_disposition),
        ("Content-Language:", &meta.content_language),
        ("Expires:", &expires),
    ] {
        if let Some(v) = value {
            line(name, v);
        }
    }
    // S3 leaves the header out for STANDARD objects.
    line(
        "Storage-Class:",
        meta.storage_class.as_deref().unwrap_or("STANDARD"),
    );
    line("Checksum:", checksum.as_deref().unwrap_or("-"));
    if let Some(sse) = &meta.server_side_encryption {
        line("Encryption:", sse);
    }
    // The MD5 S3 echoes tells keys apart; the key itself is never shown.
    if let Some(algorithm) = &meta.sse_customer_algorithm {
        let md5 = meta.sse_customer_key_md5.as_deref().unwrap_or("-");
        line("SSE-C:", &format!("{algorithm}, key MD5 {md5}"));
    }
    if let Some(v) = &meta.version_id {
        line("Version-Id:", v);
    }
    for (k, v) in &meta.metadata {
        line("Metadata:", &format!("{k}={v}"));
    }
    Ok(())
}

/// `presign`: a URL anyone may use until it expires.
pub(crate) async fn presign(ctx: &Context, args: PresignArgs) -> CliResult {
    let (bucket, key) = Location::parse_object(&args.url)?;
    let expires = s3lite::config::parse_duration(&args.expires)
        .filter(|d| !d.is_zero() && *d <= MAX_PRESIGN)
        .ok_or_else(|| {
            CliError::usage(format!(
                "--expires {:?}: expected seconds or a duration such as 30m or 12h, from 1 s to 7 days",
                args.expires
            ))
        })?;
    let method = match args.method.to_ascii_uppercase().as_str() {
        "GET" => http::Method::GET,
        "PUT" => http::Method::PUT,
        "HEAD" => http::Method::HEAD,
        "DELETE" => http::Method::DELETE,
        _ => {
            return Err(CliError::usage(format!(
                "--method {:?}: expected GET, PUT, HEAD or DELETE",
                args.method
            )));
        }
    };
    let store = ctx.store(&bucket)?;
    let url = store
        .presign(method, &key, expires)
        .await
        .map_err(|e| CliError::s3(&format!("presign {}", s3_url(&bucket, &key)), e))?;
    ctx.out(&url);
    Ok(())
}

/// `mb`.
pub(crate) async fn mb(ctx: &Context, args: BucketArgs) -> CliResult {
    let bucket = Location::parse_bucket(&args.url)?;
    let store = ctx.store(&bucket)?;
    ctx.cancellable(async {
        store
            .create_bucket()
            .await
            .map_err(|e| CliError::s3(&format!("mb s3://{bucket}"), e))
    })
    .await?;
    ctx.say(&format!("make_bucket: {bucket}"));
    Ok(())
}

/// `rb`: the bucket, after its objects with `--force`.
pub(crate) async fn rb(ctx: &Context, args: RbArgs) -> CliResult {
    let bucket = Location::parse_bucket(&args.url)?;
    let store = ctx.store(&bucket)?;
    if args.force {
        let keys: Vec<String> = ctx
            .cancellable(async {
                let objects = store
                    .list(None)
                    .collect()
                    .await
                    .map_err(|e| CliError::s3(&format!("rb s3://{bucket}"), e))?;
                Ok(objects.into_iter().map(|o| o.key).collect())
            })
            .await?;
        delete_keys(ctx, &bucket, keys, false).await?;
    }
    ctx.cancellable(async {
        store
            .delete_bucket()
            .await
            .map_err(|e| CliError::s3(&format!("rb s3://{bucket}"), e))
    })
    .await?;
    ctx.say(&format!("remove_bucket: {bucket}"));
    Ok(())
}
