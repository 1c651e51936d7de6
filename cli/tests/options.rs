//! The built `s3lite` binary's transfer options against LocalStack and
//! s3s-fs: `--exclude` / `--include` filters on a tree where their order
//! decides (cp up, down and S3 to S3, mv, rm, sync --delete),
//! `--metadata-directive` on S3-to-S3 copies (what `stat` then shows), and
//! SSE-C keys (`--sse-c-key` as 32 bytes, base64 or `fileb://`, and an
//! S3-to-S3 copy's own source key, `--sse-c-copy-source-key`), which no
//! output or message may show. s3s-fs ignores SSE-C (it stores and serves
//! plain bytes whatever the headers say), so the SSE-C tests run on
//! LocalStack only.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::collections::BTreeSet;

use common::{Run, Server, TempDir, pattern, tree_hashes, write};

const MIB: usize = 1024 * 1024;

/// Every path of the filter tree. `logs/` holds files that two filters
/// claim, so the order of `--exclude` and `--include` decides them.
const TREE: &[&str] = &[
    "top.txt",
    "notes.md",
    "logs/keep-1.log",
    "logs/old.log",
    "logs/keep-2.tmp",
    "data/x.bin",
    "data/é 中文.txt",
];

fn make_tree(dir: &TempDir) {
    for (i, rel) in TREE.iter().enumerate() {
        write(&dir.0, rel, format!("file {i}: {rel}\n").as_bytes());
    }
}

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| p.to_string()).collect()
}

/// The keys under `prefix` of `bucket`, relative to it.
fn keys(server: &Server, bucket: &str, prefix: &str) -> BTreeSet<String> {
    let store = server.store(bucket);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let objects = runtime
        .block_on(store.list(Some(prefix)).collect())
        .unwrap();
    objects
        .into_iter()
        .map(|o| o.key.strip_prefix(prefix).unwrap().to_string())
        .collect()
}

/// The files under `dir`, relative to it.
fn files(dir: &TempDir) -> BTreeSet<String> {
    tree_hashes(&dir.0).into_iter().map(|(p, _)| p).collect()
}

/// The filters as the AWS CLI applies them: in order, the last match
/// deciding, everything included by default; on every command that walks a
/// tree, and on a single file by its name.
fn filters_apply_in_order(server: Option<Server>) {
    let Some(server) = server else { return };
    let bucket = server.bucket("filters");
    let src = TempDir::new("filters");
    make_tree(&src);
    let b = &bucket.name;

    // Upload: logs/* are out, logs/keep-* back in, then *.tmp out again.
    server.ok(&[
        "cp",
        "-r",
        "--exclude",
        "logs/*",
        "--include",
        "logs/keep-*",
        "--exclude",
        "*.tmp",
        &src.arg(""),
        &bucket.url("a/"),
    ]);
    let all_but_old_and_tmp = set(&[
        "top.txt",
        "notes.md",
        "logs/keep-1.log",
        "data/x.bin",
        "data/é 中文.txt",
    ]);
    assert_eq!(keys(&server, b, "a/"), all_but_old_and_tmp);

    // The same three in the other order: the exclude of logs/* comes last
    // and wins over the include.
    server.ok(&["cp", "-r", &src.arg(""), &bucket.url("all/")]);
    let down = TempDir::new("filters-down");
    server.ok(&[
        "cp",
        "-r",
        "--exclude",
        "*.tmp",
        "--include",
        "logs/keep-*",
        "--exclude",
        "logs/*",
        &bucket.url("all/"),
        &down.arg(""),
    ]);
    assert_eq!(
        files(&down),
        set(&["top.txt", "notes.md", "data/x.bin", "data/é 中文.txt"])
    );

    // S3 to S3: everything out, then *.txt (at any depth: `*` spans `/`).
    server.ok(&[
        "cp",
        "-r",
        "--exclude",
        "*",
        "--include",
        "*.txt",
        &bucket.url("all/"),
        &bucket.url("c/"),
    ]);
    assert_eq!(keys(&server, b, "c/"), set(&["top.txt", "data/é 中文.txt"]));

    // rm: only the logs, but not the .tmp one.
    let rm = server.ok(&[
        "rm",
        "-r",
        "--exclude",
        "*",
        "--include",
        "logs/*",
        "--exclude",
        "*.tmp",
        &bucket.url("all/"),
    ]);
    assert_eq!(rm.lines().len(), 2, "{rm:?}");
    assert_eq!(
        keys(&server, b, "all/"),
        set(&[
            "top.txt",
            "notes.md",
            "logs/keep-2.tmp",
            "data/x.bin",
            "data/é 中文.txt"
        ])
    );

    // sync --delete: an excluded path is neither copied nor deleted.
    server.ok(&["sync", &src.arg(""), &bucket.url("s/")]);
    std::fs::remove_file(src.path("top.txt")).unwrap();
    std::fs::remove_file(src.path("notes.md")).unwrap();
    write(&src.0, "new.tmp", b"new");
    let sync = server.ok(&[
        "sync",
        "--delete",
        "--exclude",
        "top.txt",
        "--exclude",
        "*.tmp",
        &src.arg(""),
        &bucket.url("s/"),
    ]);
    assert_eq!(
        sync.lines(),
        [format!("delete: {}", bucket.url("s/notes.md"))],
        "{sync:?}"
    );
    let mut left = set(TREE);
    left.remove("notes.md");
    assert_eq!(keys(&server, b, "s/"), left);

    // mv moves only what the filters take; the rest stays.
    let moving = TempDir::new("filters-mv");
    make_tree(&moving);
    server.ok(&[
        "mv",
        "-r",
        "--exclude",
        "*",
        "--include",
        "data/*",
        &moving.arg(""),
        &bucket.url("m/"),
    ]);
    assert_eq!(
        keys(&server, b, "m/"),
        set(&["data/x.bin", "data/é 中文.txt"])
    );
    let mut stayed = set(TREE);
    stayed.remove("data/x.bin");
    stayed.remove("data/é 中文.txt");
    assert_eq!(files(&moving), stayed);

    // One file is matched by its name: excluded, nothing happens (exit 0).
    let single = server.ok(&[
        "cp",
        "--exclude",
        "*.md",
        &moving.arg("notes.md"),
        &bucket.url("single/"),
    ]);
    assert_eq!(single.lines(), Vec::<String>::new(), "{single:?}");
    assert!(keys(&server, b, "single/").is_empty());
}

#[test]
fn localstack_filters_apply_in_order() {
    filters_apply_in_order(Server::localstack());
}

#[test]
fn s3s_fs_filters_apply_in_order() {
    filters_apply_in_order(Server::s3s_fs());
}

/// The `stat` lines of `url`.
fn stat(server: &Server, url: &str) -> String {
    server.ok(&["stat", url]).text()
}

/// S3-to-S3 copies keep the source's attributes and metadata by default
/// (COPY); `--metadata-directive REPLACE` gives the target exactly the
/// options given; `--metadata` alone implies REPLACE; an attribute with
/// COPY is a usage error, since it would be dropped.
fn metadata_directive_on_copies(server: Option<Server>) {
    let Some(server) = server else { return };
    let bucket = server.bucket("directive");
    let other = server.bucket("directive-to");
    let src = TempDir::new("directive");
    write(&src.0, "doc.txt", b"document");
    server.ok(&[
        "cp",
        "--content-type",
        "text/x-original",
        "--cache-control",
        "no-cache",
        "--metadata",
        "old=1",
        &src.arg("doc.txt"),
        &bucket.url("doc.txt"),
    ]);

    server.ok(&["cp", &bucket.url("doc.txt"), &bucket.url("copy.txt")]);
    let copied = stat(&server, &bucket.url("copy.txt"));
    for want in [
        "Content-Type:   text/x-original",
        "Cache-Control:  no-cache",
        "Metadata:       old=1",
    ] {
        assert!(copied.contains(want), "{want:?} missing: {copied}");
    }

    server.ok(&[
        "cp",
        "--metadata-directive",
        "REPLACE",
        "--content-type",
        "text/x-new",
        "--cache-control",
        "max-age=60",
        "--metadata",
        "new=2",
        &bucket.url("doc.txt"),
        &bucket.url("replaced.txt"),
    ]);
    let replaced = stat(&server, &bucket.url("replaced.txt"));
    for want in [
        "Content-Type:   text/x-new",
        "Cache-Control:  max-age=60",
        "Metadata:       new=2",
    ] {
        assert!(replaced.contains(want), "{want:?} missing: {replaced}");
    }
    assert!(!replaced.contains("old=1"), "{replaced}");
    let json = server.ok(&["stat", "--json", &bucket.url("replaced.txt")]);
    assert!(
        json.text().contains("\"cache_control\":\"max-age=60\"")
            && json.text().contains("\"metadata\":{\"new\":\"2\"}"),
        "{json:?}"
    );

    // --metadata alone: REPLACE, here into another bucket; the type then
    // comes from the target's name, as for uploads.
    server.ok(&[
        "cp",
        "--metadata",
        "only=3",
        &bucket.url("doc.txt"),
        &other.url("across.json"),
    ]);
    let across = stat(&server, &other.url("across.json"));
    assert!(across.contains("Metadata:       only=3"), "{across}");
    assert!(across.contains("application/json"), "{across}");
    assert!(
        !across.contains("old=1") && !across.contains("Cache-Control"),
        "{across}"
    );

    // mv and recursive copies take it too.
    server.ok(&[
        "mv",
        "--metadata-directive",
        "REPLACE",
        "--metadata",
        "moved=yes",
        &bucket.url("copy.txt"),
        &bucket.url("moved/copy.txt"),
    ]);
    assert!(stat(&server, &bucket.url("moved/copy.txt")).contains("moved=yes"));
    let gone = server.run(&["stat", &bucket.url("copy.txt")]);
    assert_eq!(gone.code, 1, "{gone:?}");
    server.ok(&[
        "cp",
        "-r",
        "--metadata-directive",
        "REPLACE",
        "--cache-control",
        "max-age=5",
        &bucket.url("moved/"),
        &bucket.url("tree/"),
    ]);
    let tree = stat(&server, &bucket.url("tree/copy.txt"));
    assert!(
        tree.contains("Cache-Control:  max-age=5") && !tree.contains("moved=yes"),
        "{tree}"
    );

    // An attribute with COPY would be lost: a usage error naming it.
    let bad = server.run(&[
        "cp",
        "--content-type",
        "text/plain",
        &bucket.url("doc.txt"),
        &bucket.url("bad.txt"),
    ]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(
        bad.stderr.contains("--content-type") && bad.stderr.contains("REPLACE"),
        "{bad:?}"
    );
    let bad = server.run(&[
        "cp",
        "--metadata-directive",
        "SOMETIMES",
        &bucket.url("doc.txt"),
        &bucket.url("bad.txt"),
    ]);
    assert_eq!(bad.code, 2, "{bad:?}");
}

#[test]
fn localstack_metadata_directive_on_copies() {
    metadata_directive_on_copies(Server::localstack());
}

#[test]
fn s3s_fs_metadata_directive_on_copies() {
    metadata_directive_on_copies(Server::s3s_fs());
}

/// SSE-C: an object uploaded with a key is read back with it (given raw,
/// as base64, or as `fileb://`), single and multipart, and copied
/// server-side with it; without the key `cat` and `stat` fail with exit 1
/// and say why; a wrong or malformed key fails too. No output of any run
/// shows the key in any form.
#[test]
fn localstack_sse_c_round_trip_and_the_key_is_never_shown() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = server.bucket("sse-c");
    let src = TempDir::new("sse-c");
    // Starts with `-`: taken as the value, not as an option.
    let raw = "-secret-key-0123456789abcdef0123";
    assert_eq!(raw.len(), 32);
    let b64 = s3lite::encoding::encode_base64(raw.as_bytes());
    write(&src.0, "key.bin", raw.as_bytes());
    let fileb = format!("fileb://{}", src.arg("key.bin"));
    write(&src.0, "secret.txt", b"the secret text\n");
    let big = pattern(9 * MIB + 5, 9);
    write(&src.0, "big/big.bin", &big);

    let mut runs: Vec<Run> = Vec::new();
    let mut ok = |args: &[&str]| {
        let run = server.ok(args);
        runs.push(run);
        runs.last().unwrap().text()
    };
    ok(&[
        "cp",
        "--sse-c",
        "AES256",
        "--sse-c-key",
        raw,
        &src.arg("secret.txt"),
        &bucket.url("secret.txt"),
    ]);
    for key in [raw, b64.as_str(), fileb.as_str()] {
        let out = ok(&["cat", "--sse-c-key", key, &bucket.url("secret.txt")]);
        assert_eq!(out, "the secret text\n", "key given as {key:?}");
    }
    let stat = ok(&["stat", "--sse-c-key", &b64, &bucket.url("secret.txt")]);
    assert!(stat.contains("Size:           16"), "{stat}");
    // Multipart up (past 8 MiB), ranged download, S3-to-S3 copy.
    ok(&[
        "cp",
        "-r",
        "--sse-c-key",
        &fileb,
        &src.arg("big"),
        &bucket.url("big/"),
    ]);
    ok(&[
        "cp",
        "--sse-c-key",
        raw,
        &bucket.url("big/big.bin"),
        &bucket.url("copied.bin"),
    ]);
    ok(&[
        "cp",
        "--sse-c-key",
        raw,
        &bucket.url("copied.bin"),
        &src.arg("back.bin"),
    ]);
    assert!(std::fs::read(src.path("back.bin")).unwrap() == big);

    let mut failed: Vec<Run> = Vec::new();
    let mut fails = |args: &[&str], code: i32| {
        let run = server.run(args);
        assert_eq!(run.code, code, "{args:?}: {run:?}");
        failed.push(run);
        failed.last().unwrap().stderr.clone()
    };
    let e = fails(&["cat", &bucket.url("secret.txt")], 1);
    assert!(
        e.contains("cat ") && e.contains("secret.txt") && e.contains("--sse-c-key"),
        "{e}"
    );
    let e = fails(&["stat", &bucket.url("big/big.bin")], 1);
    assert!(e.contains("SSE-C") && e.contains("--sse-c-key"), "{e}");
    let e = fails(&["cp", &bucket.url("copied.bin"), &src.arg("nokey.bin")], 1);
    assert!(e.contains("--sse-c-key"), "{e}");
    assert!(!src.path("nokey.bin").exists());
    let wrong = "another-key-0123456789abcdef0123";
    let e = fails(&["cat", "--sse-c-key", wrong, &bucket.url("secret.txt")], 1);
    assert!(e.contains("secret.txt"), "{e}");
    let e = fails(
        &["cat", "--sse-c-key", "short", &bucket.url("secret.txt")],
        2,
    );
    assert!(e.contains("32 bytes"), "{e}");
    let e = fails(
        &[
            "cp",
            "--sse",
            "AES256",
            "--sse-c-key",
            raw,
            &src.arg("secret.txt"),
            &bucket.url("x"),
        ],
        2,
    );
    assert!(e.contains("--sse-c"), "{e}");
    // --sse-c alone (its value is optional, as in the AWS CLI) needs a key.
    fails(
        &["cp", &src.arg("secret.txt"), &bucket.url("x"), "--sse-c"],
        2,
    );

    for run in runs.iter().chain(&failed) {
        for shown in [raw, b64.as_str(), wrong] {
            let all = format!("{}{}", run.text(), run.stderr);
            assert!(!all.contains(shown), "the key is shown: {run:?}");
        }
    }
}

/// `--sse-c-copy-source-key` reads an S3-to-S3 copy's source with its own
/// SSE-C key while `--sse-c-key`, `--sse` or neither encrypt the copy: key
/// rotation A to B (cp, mv of a multipart object, cp -r, sync), an SSE-C
/// source copied to a plain and to an SSE-S3 object (another bucket too),
/// and `--no-sse-c-copy-source` for a plain source copied under a key.
/// `stat` shows the SSE-C algorithm and the key's MD5. Without the source's
/// key the copy fails with exit 1 and says which option to pass; the
/// options on an upload or download are a usage error (exit 2). No output
/// of any run shows a key in any form.
#[test]
fn localstack_sse_c_copy_source_key_and_the_keys_are_never_shown() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = server.bucket("sse-c-source");
    let other = server.bucket("sse-c-source-to");
    let src = TempDir::new("sse-c-source");
    // Key A raw (it starts with `-`, and is a value all the same) and as a
    // file, key B as base64.
    let a = "-copy-source-key-A-0123456789abc";
    assert_eq!(a.len(), 32);
    let a_b64 = s3lite::encoding::encode_base64(a.as_bytes());
    write(&src.0, "a.key", a.as_bytes());
    let a_file = format!("fileb://{}", src.arg("a.key"));
    let b_raw = "destination-key-B-0123456789abcd";
    assert_eq!(b_raw.len(), 32);
    let b = s3lite::encoding::encode_base64(b_raw.as_bytes());
    let b_md5 = s3lite::encoding::md5_base64(b_raw.as_bytes());
    write(&src.0, "up/one.txt", b"first under A\n");
    write(&src.0, "up/two.txt", b"second under A\n");
    write(&src.0, "clear.txt", b"clear text\n");
    let big = pattern(9 * MIB + 5, 3);
    write(&src.0, "big.bin", &big);

    let mut runs: Vec<Run> = Vec::new();
    let mut ok = |args: &[&str]| {
        let run = server.ok(args);
        runs.push(run);
        runs.last().unwrap().text()
    };
    ok(&[
        "cp",
        "-r",
        "--sse-c-key",
        a,
        &src.arg("up"),
        &bucket.url("up/"),
    ]);
    // Multipart (past 8 MiB) under A.
    ok(&[
        "cp",
        "--sse-c-key",
        &a_file,
        &src.arg("big.bin"),
        &bucket.url("big.bin"),
    ]);
    ok(&["cp", &src.arg("clear.txt"), &bucket.url("clear.txt")]);

    // Rotation: read with A, written with B.
    ok(&[
        "cp",
        "--sse-c-copy-source-key",
        a,
        "--sse-c-key",
        &b,
        &bucket.url("up/one.txt"),
        &bucket.url("rotated.txt"),
    ]);
    let out = ok(&["cat", "--sse-c-key", &b, &bucket.url("rotated.txt")]);
    assert_eq!(out, "first under A\n");
    let stat = ok(&["stat", "--sse-c-key", b_raw, &bucket.url("rotated.txt")]);
    let line = format!("SSE-C:          AES256, key MD5 {b_md5}");
    assert!(stat.contains(&line), "{line:?} missing: {stat}");
    let json = ok(&[
        "stat",
        "--json",
        "--sse-c-key",
        &b,
        &bucket.url("rotated.txt"),
    ]);
    assert!(
        json.contains("\"sse_customer_algorithm\":\"AES256\"")
            && json.contains(&format!("\"sse_customer_key_md5\":\"{b_md5}\"")),
        "{json}"
    );
    // mv of the multipart object, with the algorithm named too.
    ok(&[
        "mv",
        "--sse-c-copy-source",
        "AES256",
        "--sse-c-copy-source-key",
        &a_b64,
        "--sse-c-key",
        &b,
        &bucket.url("big.bin"),
        &bucket.url("moved/big.bin"),
    ]);
    ok(&[
        "cp",
        "--sse-c-key",
        &b,
        &bucket.url("moved/big.bin"),
        &src.arg("back.bin"),
    ]);
    assert!(std::fs::read(src.path("back.bin")).unwrap() == big);
    // Recursive copies and sync between prefixes.
    ok(&[
        "cp",
        "-r",
        "--sse-c-copy-source-key",
        &a_file,
        "--sse-c-key",
        &b,
        &bucket.url("up/"),
        &bucket.url("tree/"),
    ]);
    ok(&[
        "sync",
        "--sse-c-copy-source-key",
        a,
        "--sse-c-key",
        &b,
        &bucket.url("up/"),
        &other.url("synced/"),
    ]);
    for url in [bucket.url("tree/two.txt"), other.url("synced/two.txt")] {
        assert_eq!(ok(&["cat", "--sse-c-key", &b, &url]), "second under A\n");
    }

    // An SSE-C source to a plain object (another bucket) and to SSE-S3.
    ok(&[
        "cp",
        "--sse-c-copy-source-key",
        a,
        &bucket.url("up/one.txt"),
        &other.url("plain.txt"),
    ]);
    assert_eq!(ok(&["cat", &other.url("plain.txt")]), "first under A\n");
    let stat = ok(&["stat", &other.url("plain.txt")]);
    assert!(!stat.contains("SSE-C"), "{stat}");
    ok(&[
        "cp",
        "--sse",
        "AES256",
        "--sse-c-copy-source-key",
        a,
        &bucket.url("up/one.txt"),
        &bucket.url("sse-s3.txt"),
    ]);
    assert_eq!(ok(&["cat", &bucket.url("sse-s3.txt")]), "first under A\n");
    let stat = ok(&["stat", &bucket.url("sse-s3.txt")]);
    assert!(
        stat.contains("Encryption:     AES256") && !stat.contains("SSE-C"),
        "{stat}"
    );

    // A plain source encrypted under B by the copy.
    ok(&[
        "cp",
        "--no-sse-c-copy-source",
        "--sse-c-key",
        &b,
        &bucket.url("clear.txt"),
        &bucket.url("encrypted.txt"),
    ]);
    assert_eq!(
        ok(&["cat", "--sse-c-key", &b, &bucket.url("encrypted.txt")]),
        "clear text\n"
    );

    let mut failed: Vec<Run> = Vec::new();
    let mut fails = |args: &[&str], code: i32| {
        let run = server.run(args);
        assert_eq!(run.code, code, "{args:?}: {run:?}");
        failed.push(run);
        failed.last().unwrap().stderr.clone()
    };
    // The old key no longer reads the rotated object; no key, no read.
    fails(&["cat", "--sse-c-key", a, &bucket.url("rotated.txt")], 1);
    fails(&["cat", &bucket.url("encrypted.txt")], 1);
    // The source read with the destination's key (the default), with a
    // wrong key, or with none: exit 1, naming the option to pass.
    let e = fails(
        &[
            "cp",
            "--sse-c-key",
            &b,
            &bucket.url("up/one.txt"),
            &bucket.url("x"),
        ],
        1,
    );
    assert!(
        e.contains("up/one.txt") && e.contains("--sse-c-copy-source-key"),
        "{e}"
    );
    fails(
        &[
            "cp",
            "--sse-c-copy-source-key",
            &b,
            &bucket.url("up/one.txt"),
            &bucket.url("x"),
        ],
        1,
    );
    let e = fails(&["cp", &bucket.url("up/one.txt"), &bucket.url("x")], 1);
    assert!(e.contains("--sse-c-copy-source-key"), "{e}");
    let e = fails(
        &[
            "cp",
            "-r",
            "--sse-c-key",
            &b,
            &bucket.url("up/"),
            &bucket.url("bad/"),
        ],
        1,
    );
    assert!(e.contains("--sse-c-copy-source-key"), "{e}");
    assert!(
        keys(&server, &bucket.name, "")
            .iter()
            .all(|k| !k.starts_with("bad/") && k != "x")
    );
    // Where the source's key means nothing: usage errors.
    for args in [
        vec![
            "cp",
            "--sse-c-copy-source-key",
            a,
            &src.arg("clear.txt"),
            &bucket.url("y"),
        ],
        vec![
            "cp",
            "--sse-c-copy-source-key",
            a,
            &bucket.url("clear.txt"),
            &src.arg("y"),
        ],
        vec![
            "cp",
            "--no-sse-c-copy-source",
            &bucket.url("clear.txt"),
            "-",
        ],
        vec![
            "sync",
            "--sse-c-copy-source-key",
            a,
            &src.arg("up"),
            &bucket.url("up/"),
        ],
    ] {
        let e = fails(&args, 2);
        assert!(e.contains("S3-to-S3"), "{args:?}: {e}");
    }
    let e = fails(
        &[
            "cp",
            "--sse-c-copy-source",
            "AES256",
            &bucket.url("up/one.txt"),
            &bucket.url("y"),
        ],
        2,
    );
    assert!(e.contains("--sse-c-copy-source-key"), "{e}");
    fails(
        &[
            "cp",
            "--sse-c-copy-source-key",
            "short",
            &bucket.url("up/one.txt"),
            &bucket.url("y"),
        ],
        2,
    );
    fails(
        &[
            "cp",
            "--no-sse-c-copy-source",
            "--sse-c-copy-source-key",
            a,
            &bucket.url("up/one.txt"),
            &bucket.url("y"),
        ],
        2,
    );
    assert!(!keys(&server, &bucket.name, "").contains("y"));

    for run in runs.iter().chain(&failed) {
        let all = format!("{}{}", run.text(), run.stderr);
        for shown in [a, a_b64.as_str(), b_raw, b.as_str()] {
            assert!(!all.contains(shown), "a key is shown: {run:?}");
        }
    }
}
