//! The built `s3lite` binary, run as a subprocess against LocalStack and
//! s3s-fs (which checks every signature): each command, recursive copies of
//! a tree with nested directories and Unicode names (SHA-256 compared),
//! stdin/stdout piping, `sync` idempotence, and the exit codes and messages
//! of bad URLs, bad options and missing keys. Each test makes its own bucket.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{Run, Server, TempDir, pattern, sha256, tree_hashes, write};

const MIB: usize = 1024 * 1024;

/// A tree with nested directories, Unicode and awkward names, an empty
/// file, and one file past the 8 MiB multipart threshold.
fn make_tree(dir: &TempDir) {
    write(&dir.0, "top.txt", b"top level\n");
    write(&dir.0, "empty", b"");
    write(&dir.0, "a/b/c/deep.bin", &pattern(70_000, 1));
    write(
        &dir.0,
        "é/中文/文件 1.txt",
        "Unicode: é 中文 🦀\n".as_bytes(),
    );
    write(&dir.0, "spaces and + signs/x=1&y=2.txt", b"query-like name");
    write(&dir.0, "emoji 🦀/big.bin", &pattern(9 * MIB + 3, 2));
}

/// Every stdout line that reports a transfer (`upload:`, `download:`, ...).
fn transfers(run: &Run) -> Vec<String> {
    run.lines()
        .into_iter()
        .filter(|l| {
            ["upload:", "download:", "copy:", "move:", "delete:"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect()
}

/// `cp --recursive` up, S3 to S3, and down again: every file byte-identical.
fn recursive_copies_are_byte_identical(server: Option<Server>) {
    let Some(server) = server else { return };
    let bucket = server.bucket("recursive");
    let src = TempDir::new("tree-src");
    make_tree(&src);
    let up = server.ok(&["cp", "--recursive", &src.arg(""), &bucket.url("up/")]);
    assert_eq!(transfers(&up).len(), 6, "{up:?}");
    let ls = server.ok(&["ls", "--recursive", "--json", &bucket.url("up/")]);
    assert_eq!(ls.lines().len(), 6, "{ls:?}");
    assert!(
        ls.text().contains("\"key\":\"up/é/中文/文件 1.txt\""),
        "{ls:?}"
    );
    server.ok(&["cp", "-r", &bucket.url("up"), &bucket.url("copied/")]);
    let down = TempDir::new("tree-down");
    let run = server.ok(&["cp", "-r", &bucket.url("copied/"), &down.arg("")]);
    assert_eq!(transfers(&run).len(), 6, "{run:?}");
    assert_eq!(tree_hashes(&down.0), tree_hashes(&src.0));
}

#[test]
fn localstack_recursive_copies_are_byte_identical() {
    recursive_copies_are_byte_identical(Server::localstack());
}

#[test]
fn s3s_fs_recursive_copies_are_byte_identical() {
    recursive_copies_are_byte_identical(Server::s3s_fs());
}

/// `cp - s3://...` reads stdin (multipart past 8 MiB); `cat` and `cp ... -`
/// write the object to stdout unchanged.
fn stdin_and_stdout_pipe(server: Option<Server>) {
    let Some(server) = server else { return };
    let bucket = server.bucket("pipes");
    let data = pattern(10 * MIB + 11, 3);
    let mut child = server
        .command(&["cp", "-", &bucket.url("piped.bin")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let run = Run::of(child.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{run:?}");
    let cat = server.ok(&["cat", &bucket.url("piped.bin")]);
    assert!(sha256(&cat.stdout) == sha256(&data), "cat differs");
    let cp = server.ok(&["cp", &bucket.url("piped.bin"), "-"]);
    assert!(sha256(&cp.stdout) == sha256(&data), "cp to stdout differs");
    let stat = server.ok(&["stat", "--json", &bucket.url("piped.bin")]);
    assert!(
        stat.text().contains(&format!("\"size\":{}", data.len())),
        "{stat:?}"
    );
}

#[test]
fn localstack_stdin_and_stdout_pipe() {
    stdin_and_stdout_pipe(Server::localstack());
}

#[test]
fn s3s_fs_stdin_and_stdout_pipe() {
    stdin_and_stdout_pipe(Server::s3s_fs());
}

/// `sync` up and down transfers what is missing or changed, and a second
/// run transfers nothing; `--delete` removes what the source lacks.
fn sync_is_idempotent(server: Option<Server>) {
    let Some(server) = server else { return };
    let bucket = server.bucket("sync");
    let src = TempDir::new("sync-src");
    make_tree(&src);
    let first = server.ok(&["sync", &src.arg(""), &bucket.url("mirror")]);
    assert_eq!(transfers(&first).len(), 6, "{first:?}");
    let second = server.ok(&["sync", &src.arg(""), &bucket.url("mirror")]);
    assert_eq!(transfers(&second), Vec::<String>::new(), "{second:?}");
    // A changed size is uploaded again, alone.
    write(&src.0, "top.txt", b"top level, longer now\n");
    let third = server.ok(&["sync", &src.arg(""), &bucket.url("mirror")]);
    assert_eq!(transfers(&third).len(), 1, "{third:?}");
    assert!(transfers(&third)[0].contains("top.txt"), "{third:?}");

    let down = TempDir::new("sync-down");
    let first = server.ok(&["sync", &bucket.url("mirror/"), &down.arg("")]);
    assert_eq!(transfers(&first).len(), 6, "{first:?}");
    let second = server.ok(&["sync", &bucket.url("mirror/"), &down.arg("")]);
    assert_eq!(transfers(&second), Vec::<String>::new(), "{second:?}");
    assert_eq!(tree_hashes(&down.0), tree_hashes(&src.0));

    // --delete, both ways; --dryrun first deletes nothing.
    std::fs::remove_file(src.path("empty")).unwrap();
    let dry = server.ok(&[
        "sync",
        "--delete",
        "--dryrun",
        &src.arg(""),
        &bucket.url("mirror"),
    ]);
    assert_eq!(
        dry.lines(),
        [format!("(dryrun) delete: {}", bucket.url("mirror/empty"))],
        "{dry:?}"
    );
    let del = server.ok(&["sync", "--delete", &src.arg(""), &bucket.url("mirror")]);
    assert_eq!(
        transfers(&del),
        [format!("delete: {}", bucket.url("mirror/empty"))],
        "{del:?}"
    );
    server.ok(&["sync", "--delete", &bucket.url("mirror"), &down.arg("")]);
    assert!(!down.path("empty").exists());
    assert_eq!(tree_hashes(&down.0), tree_hashes(&src.0));
}

#[test]
fn localstack_sync_is_idempotent() {
    sync_is_idempotent(Server::localstack());
}

#[test]
fn s3s_fs_sync_is_idempotent() {
    sync_is_idempotent(Server::s3s_fs());
}

/// `sync --etag` compares contents: a same-size, older-looking change is
/// still found.
#[test]
fn localstack_sync_etag_finds_same_size_changes() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = server.bucket("sync-etag");
    let src = TempDir::new("sync-etag");
    write(&src.0, "f.txt", b"aaaa");
    server.ok(&["sync", &src.arg(""), &bucket.url("")]);
    write(&src.0, "f.txt", b"bbbb");
    // Same size, and by time the object is newer: only --etag sees it.
    assert_eq!(
        transfers(&server.ok(&["sync", "--size-only", &src.arg(""), &bucket.url("")])).len(),
        0
    );
    let run = server.ok(&["sync", "--etag", &src.arg(""), &bucket.url("")]);
    assert_eq!(transfers(&run).len(), 1, "{run:?}");
    assert_eq!(server.ok(&["cat", &bucket.url("f.txt")]).stdout, b"bbbb");
}

/// `ls` one level (PRE lines), recursive, human sizes, JSON; `ls` alone
/// lists buckets.
fn ls_formats(server: Option<Server>) {
    let Some(server) = server else { return };
    let bucket = server.bucket("ls");
    let src = TempDir::new("ls");
    write(&src.0, "dir/a.txt", b"a");
    write(&src.0, "top.bin", &pattern(2048, 4));
    server.ok(&["cp", "-r", &src.arg(""), &bucket.url("")]);
    let level = server.ok(&["ls", &bucket.url("")]);
    let lines = level.lines();
    assert_eq!(lines.len(), 2, "{level:?}");
    assert!(lines[0].trim_start().starts_with("PRE dir/"), "{level:?}");
    assert!(lines[1].ends_with("2048 top.bin"), "{level:?}");
    let human = server.ok(&["ls", "-r", "-H", "--summarize", &bucket.url("")]);
    assert!(human.text().contains("2.0 KiB top.bin"), "{human:?}");
    assert!(human.text().contains("Total Objects: 2"), "{human:?}");
    let json = server.ok(&["ls", "--json", &bucket.url("")]);
    assert!(json.text().contains("{\"type\":\"prefix\""), "{json:?}");
    assert!(
        json.text().contains("\"key\":\"top.bin\",\"size\":2048"),
        "{json:?}"
    );
    let under = server.ok(&["ls", &bucket.url("dir/")]);
    assert!(under.text().trim_end().ends_with(" 1 a.txt"), "{under:?}");
    let buckets = server.ok(&["ls"]);
    assert!(
        buckets.lines().iter().any(|l| l.ends_with(&bucket.name)),
        "{buckets:?}"
    );
}

#[test]
fn localstack_ls_formats() {
    ls_formats(Server::localstack());
}

#[test]
fn s3s_fs_ls_formats() {
    ls_formats(Server::s3s_fs());
}

/// `cp` with `--content-type`, `--metadata` and `--checksum`; `stat` shows
/// them, and the stored checksum.
#[test]
fn localstack_stat_shows_type_metadata_and_checksum() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = server.bucket("stat");
    let src = TempDir::new("stat");
    write(&src.0, "doc", b"{\"a\":1}");
    server.ok(&[
        "cp",
        "--content-type",
        "application/json",
        "--metadata",
        "owner=me,tier=gold",
        "--checksum",
        "CRC32C",
        &src.arg("doc"),
        &bucket.url("doc.json"),
    ]);
    let stat = server.ok(&["stat", &bucket.url("doc.json")]);
    let text = stat.text();
    for want in [
        "Size:           7 (7 B)",
        "application/json",
        "Metadata:       owner=me",
        "Metadata:       tier=gold",
        "Checksum:       CRC32C ",
    ] {
        assert!(text.contains(want), "{want:?} missing: {stat:?}");
    }
    let json = server.ok(&["stat", "--json", &bucket.url("doc.json")]);
    assert!(
        json.text()
            .contains("\"metadata\":{\"owner\":\"me\",\"tier\":\"gold\"}"),
        "{json:?}"
    );
    // A download with --checksum checks the stored value.
    let out = server.ok(&[
        "cp",
        "--checksum",
        "CRC32C",
        &bucket.url("doc.json"),
        &src.arg("back"),
    ]);
    assert_eq!(transfers(&out).len(), 1);
    assert_eq!(std::fs::read(src.path("back")).unwrap(), b"{\"a\":1}");
}

/// `--sse AES256` asks for server-side encryption (LocalStack reports it).
#[test]
fn localstack_cp_sse_is_applied() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = server.bucket("sse");
    let src = TempDir::new("sse");
    write(&src.0, "secret.txt", b"s");
    server.ok(&[
        "cp",
        "--sse",
        "AES256",
        &src.arg("secret.txt"),
        &bucket.url(""),
    ]);
    let stat = server.ok(&["stat", "--json", &bucket.url("secret.txt")]);
    assert!(
        stat.text()
            .contains("\"server_side_encryption\":\"AES256\""),
        "{stat:?}"
    );
    let bad = server.run(&[
        "cp",
        "--sse",
        "rot13",
        &src.arg("secret.txt"),
        &bucket.url(""),
    ]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("rot13"), "{bad:?}");
}

/// `mv` moves: the local file or the source object is gone afterwards.
fn mv_removes_the_source(server: Option<Server>) {
    let Some(server) = server else { return };
    let bucket = server.bucket("mv");
    let other = server.bucket("mv-other");
    let src = TempDir::new("mv");
    write(&src.0, "m.txt", b"moving");
    let run = server.ok(&["mv", &src.arg("m.txt"), &bucket.url("m.txt")]);
    assert_eq!(
        transfers(&run),
        [format!(
            "move: {} to {}",
            src.arg("m.txt"),
            bucket.url("m.txt")
        )]
    );
    assert!(!src.path("m.txt").exists());
    server.ok(&["mv", &bucket.url("m.txt"), &other.url("moved/")]);
    assert_eq!(
        server.ok(&["cat", &other.url("moved/m.txt")]).stdout,
        b"moving"
    );
    assert_eq!(server.run(&["stat", &bucket.url("m.txt")]).code, 1);
    server.ok(&["mv", &other.url("moved/m.txt"), &src.arg("back.txt")]);
    assert_eq!(std::fs::read(src.path("back.txt")).unwrap(), b"moving");
    assert_eq!(server.run(&["stat", &other.url("moved/m.txt")]).code, 1);
}

#[test]
fn localstack_mv_removes_the_source() {
    mv_removes_the_source(Server::localstack());
}

#[test]
fn s3s_fs_mv_removes_the_source() {
    mv_removes_the_source(Server::s3s_fs());
}

/// `rm --recursive --dryrun` deletes nothing; `rm --recursive` deletes every
/// key under the prefix in bulk and nothing beside it; `rm` one key.
fn rm_recursive_and_dryrun(server: Option<Server>) {
    let Some(server) = server else { return };
    let bucket = server.bucket("rm");
    let src = TempDir::new("rm");
    for i in 0..25 {
        write(&src.0, &format!("logs/{i:02}.log"), b"x");
    }
    write(&src.0, "logs-keep.txt", b"keep");
    write(&src.0, "one.txt", b"1");
    server.ok(&["cp", "-r", &src.arg(""), &bucket.url("")]);
    let dry = server.ok(&["rm", "-r", "--dryrun", &bucket.url("logs")]);
    assert_eq!(dry.lines().len(), 25, "{dry:?}");
    assert!(
        dry.lines()
            .iter()
            .all(|l| l.starts_with("(dryrun) delete: ")),
        "{dry:?}"
    );
    assert_eq!(server.ok(&["ls", "-r", &bucket.url("")]).lines().len(), 27);
    let rm = server.ok(&["rm", "-r", &bucket.url("logs")]);
    assert_eq!(transfers(&rm).len(), 25, "{rm:?}");
    server.ok(&["rm", &bucket.url("one.txt")]);
    let left = server.ok(&["ls", "-r", &bucket.url("")]);
    assert_eq!(left.lines().len(), 1, "{left:?}");
    assert!(left.text().contains("logs-keep.txt"), "{left:?}");
}

#[test]
fn localstack_rm_recursive_and_dryrun() {
    rm_recursive_and_dryrun(Server::localstack());
}

#[test]
fn s3s_fs_rm_recursive_and_dryrun() {
    rm_recursive_and_dryrun(Server::s3s_fs());
}

/// `presign` prints a URL that curl can fetch without credentials.
fn presigned_url_fetches_the_object(server: Option<Server>) {
    let Some(server) = server else { return };
    let bucket = server.bucket("presign");
    let src = TempDir::new("presign");
    write(&src.0, "p.txt", "presigned é".as_bytes());
    server.ok(&["cp", &src.arg("p.txt"), &bucket.url("dir/p é.txt")]);
    let url = server
        .ok(&["presign", "--expires", "5m", &bucket.url("dir/p é.txt")])
        .text();
    let url = url.trim();
    assert!(url.contains("X-Amz-Expires=300"), "{url}");
    let got = std::process::Command::new("curl")
        .args(["-sf", url])
        .output()
        .unwrap();
    assert!(got.status.success(), "curl {url}: {got:?}");
    assert_eq!(got.stdout, "presigned é".as_bytes());
    let bad = server.run(&["presign", "--expires", "8d", &bucket.url("dir/p é.txt")]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("\"8d\""), "{bad:?}");
    let bad = server.run(&["presign", "--method", "PATCH", &bucket.url("x")]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("PATCH"), "{bad:?}");
}

#[test]
fn localstack_presigned_url_fetches_the_object() {
    presigned_url_fetches_the_object(Server::localstack());
}

#[test]
fn s3s_fs_presigned_url_fetches_the_object() {
    presigned_url_fetches_the_object(Server::s3s_fs());
}

/// Missing keys and buckets fail with exit 1 and a message naming the key
/// and S3's error code; bad URLs and options are usage errors (exit 2)
/// naming the bad value.
fn errors_name_the_key_and_exit_1_or_2(server: Option<Server>) {
    let Some(server) = server else { return };
    let bucket = server.bucket("errors");
    let missing = bucket.url("no/such key.txt");
    let cat = server.run(&["cat", &missing]);
    assert_eq!(cat.code, 1, "{cat:?}");
    assert!(
        cat.stderr.contains("no/such key.txt") && cat.stderr.contains("NoSuchKey"),
        "{cat:?}"
    );
    assert!(cat.stdout.is_empty());
    for args in [
        vec!["stat", missing.as_str()],
        vec!["cp", missing.as_str(), "-"],
    ] {
        let run = server.run(&args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.contains("no/such key.txt"), "{args:?}: {run:?}");
    }
    let down = TempDir::new("errors");
    let cp = server.run(&["cp", &missing, &down.arg("x")]);
    assert_eq!(cp.code, 1, "{cp:?}");
    assert!(!down.path("x").exists());
    let nobucket = server.run(&["ls", "s3://s3lite-cli-no-such-bucket-xyz/"]);
    assert_eq!(nobucket.code, 1, "{nobucket:?}");
    assert!(nobucket.stderr.contains("NoSuchBucket"), "{nobucket:?}");
    let nofile = server.run(&["cp", &down.arg("absent.txt"), &bucket.url("")]);
    assert_eq!(nofile.code, 1, "{nofile:?}");
    assert!(nofile.stderr.contains("absent.txt"), "{nofile:?}");

    for bad in ["s3:/b/k", "s3://", "s3:b"] {
        let run = server.run(&["cat", bad]);
        assert_eq!(run.code, 2, "{bad}: {run:?}");
        assert!(run.stderr.contains(&format!("{bad:?}")), "{bad}: {run:?}");
    }
    for args in [
        vec!["cat", "/local/file"],
        vec!["cat", "s3://bucket/dir/"],
        vec!["cp", "a", "b"],
        vec!["cp", "--metadata", "novalue", "a", "s3://b/k"],
        vec!["rm", "s3://bucket"],
        vec!["mb", "s3://bucket/key"],
        vec!["frobnicate"],
        vec!["ls", "--no-such-flag"],
    ] {
        let run = server.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn localstack_errors_name_the_key_and_exit_1_or_2() {
    errors_name_the_key_and_exit_1_or_2(Server::localstack());
}

#[test]
fn s3s_fs_errors_name_the_key_and_exit_1_or_2() {
    errors_name_the_key_and_exit_1_or_2(Server::s3s_fs());
}

/// `mb` makes a bucket; `rb` of a non-empty one fails with BucketNotEmpty,
/// `rb --force` empties and removes it.
#[test]
fn localstack_mb_and_rb() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let name = common::unique_name("mb-rb");
    let url = format!("s3://{name}");
    assert_eq!(
        server.ok(&["mb", &url]).lines(),
        [format!("make_bucket: {name}")]
    );
    let src = TempDir::new("mb-rb");
    write(&src.0, "k", b"v");
    server.ok(&["cp", &src.arg("k"), &format!("{url}/k")]);
    let rb = server.run(&["rb", &url]);
    assert_eq!(rb.code, 1, "{rb:?}");
    assert!(rb.stderr.contains("BucketNotEmpty"), "{rb:?}");
    server.ok(&["rb", "--force", &url]);
    assert_eq!(server.run(&["ls", &format!("{url}/")]).code, 1);
}

/// Configuration as the library reads it: `S3LITE_<KEY>` variables through
/// `with_config` (here the endpoint, and a bad value naming its key), a
/// named profile's keys (s3s-fs checks the signature), `--no-sign-request`.
#[test]
fn s3s_fs_configuration_from_env_profile_and_flags() {
    let Some(server) = Server::s3s_fs() else {
        return;
    };
    let bucket = server.bucket("config");
    // The endpoint from S3LITE_ENDPOINT instead of --endpoint-url.
    let run = Run::of(
        common::bare_command()
            .args(["ls", &bucket.url("")])
            .env("S3LITE_ENDPOINT", &server.endpoint)
            .env("AWS_ACCESS_KEY_ID", &server.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &server.secret_key)
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{run:?}");
    // A bad value is a usage error naming the key and the value.
    let mut cmd = server.command(&["ls", &bucket.url("")]);
    let run = Run::of(cmd.env("S3LITE_MAX_RETRIES", "many").output().unwrap());
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("max_retries") && run.stderr.contains("many"),
        "{run:?}"
    );
    // Keys from a named profile only.
    let dir = TempDir::new("profile");
    write(
        &dir.0,
        "credentials",
        format!(
            "[ci]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            server.access_key, server.secret_key
        )
        .as_bytes(),
    );
    let profile = |name: &str| {
        Run::of(
            common::bare_command()
                .args([
                    "--endpoint-url",
                    &server.endpoint,
                    "--profile",
                    name,
                    "ls",
                    &bucket.url(""),
                ])
                .env("AWS_SHARED_CREDENTIALS_FILE", dir.path("credentials"))
                .output()
                .unwrap(),
        )
    };
    let run = profile("ci");
    assert_eq!(run.code, 0, "{run:?}");
    let run = profile("absent");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("absent"), "{run:?}");
    // Unsigned requests are refused by s3s-fs: the flag took effect, no secret printed.
    let run = server.run(&["--no-sign-request", "ls", &bucket.url("")]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stderr.contains(&server.secret_key), "{run:?}");
}

/// Keys that name no file under the target directory (`..`, empty parts)
/// are skipped with a warning naming them, nothing is written outside the
/// directory, the other keys are downloaded, and the run exits 1.
#[test]
fn localstack_recursive_download_skips_keys_that_escape_the_directory() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = server.bucket("escape");
    let src = TempDir::new("escape-src");
    write(&src.0, "f.txt", b"f");
    for key in ["esc/../../outside.txt", "esc//double.txt", "esc/ok.txt"] {
        server.ok(&["cp", &src.arg("f.txt"), &bucket.url(key)]);
    }
    let root = TempDir::new("escape-down");
    let run = server.run(&["cp", "-r", &bucket.url("esc/"), &root.arg("in")]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("\"../../outside.txt\""), "{run:?}");
    assert!(run.stderr.contains("\"/double.txt\""), "{run:?}");
    assert!(run.stderr.contains("2 entries skipped"), "{run:?}");
    assert_eq!(std::fs::read(root.path("in/ok.txt")).unwrap(), b"f");
    assert!(
        !root.path("outside.txt").exists() && !src.0.parent().unwrap().join("outside.txt").exists()
    );
    let sync = server.run(&["sync", &bucket.url("esc/"), &root.arg("in")]);
    assert_eq!(sync.code, 1, "{sync:?}");
    assert!(sync.stderr.contains("\"../../outside.txt\""), "{sync:?}");
}

/// LocalStack (on hypercorn) answers `Connection: close` unless a request
/// asks for keep-alive by name, so a client that does not ask opens a
/// connection per request (measured before the fix: 1,000 connects for
/// `cp -r` of 1,000 files). A local server with that rule counts the
/// connections of a sequential `cp -r` of 5 files: one.
#[test]
fn requests_ask_for_keep_alive_so_localstack_keeps_connections() {
    use std::io::{BufRead, BufReader, Read};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (connections, requests) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, r) = (Arc::clone(&connections), Arc::clone(&requests));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            c.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            loop {
                let (mut length, mut keep_alive, mut line) = (0usize, false, String::new());
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                loop {
                    line.clear();
                    reader.read_line(&mut line).unwrap();
                    let header = line.trim_end().to_ascii_lowercase();
                    if header.is_empty() {
                        break;
                    }
                    if let Some(v) = header.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    keep_alive |= header == "connection: keep-alive";
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                r.fetch_add(1, Ordering::SeqCst);
                let close = if keep_alive {
                    ""
                } else {
                    "Connection: close\r\n"
                };
                let answer =
                    format!("HTTP/1.1 200 OK\r\nETag: \"e\"\r\nContent-Length: 0\r\n{close}\r\n");
                writer.write_all(answer.as_bytes()).unwrap();
                if !keep_alive {
                    break;
                }
            }
        }
    });
    let src = TempDir::new("keep-alive");
    for i in 0..5 {
        write(&src.0, &format!("f{i}.txt"), b"small");
    }
    let mut cmd = common::bare_command();
    cmd.args(["--endpoint-url", &endpoint, "-j", "1", "cp", "-r"])
        .args([&src.arg(""), "s3://b/"])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test");
    let run = Run::of(cmd.stdin(Stdio::null()).output().unwrap());
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(requests.load(Ordering::SeqCst), 5);
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "a connection per request"
    );
}
