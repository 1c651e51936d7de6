//! The tool in a terminal and under signals, against LocalStack: progress
//! bars are drawn on a TTY (the binary runs inside a pseudo-terminal made
//! by `script`, from util-linux) and absent when stderr is piped; Ctrl-C
//! (SIGINT) during a multipart upload aborts the upload and exits 130, and
//! during a download removes the temporary file and exits 130.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Run, Server, TempDir, pattern, write};

const MIB: usize = 1024 * 1024;

/// Whether `script` (util-linux) is here to make a pseudo-terminal; without
/// it the TTY test skips, or fails under `S3LITE_REQUIRE_SERVERS=1`.
fn have_script() -> bool {
    let ok = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("S3LITE_REQUIRE_SERVERS").as_deref() != Ok("1"),
            "`script` (util-linux) is missing but S3LITE_REQUIRE_SERVERS=1"
        );
        eprintln!("skipped: `script` (util-linux) is not installed");
    }
    ok
}

/// Single-quotes `s` for `sh -c`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn localstack_progress_bar_drawn_on_a_tty_and_absent_when_piped() {
    let Some(server) = Server::localstack() else {
        return;
    };
    if !have_script() {
        return;
    }
    let bucket = server.bucket("tty");
    let src = TempDir::new("tty");
    write(&src.0, "big.bin", &pattern(24 * MIB, 5));
    // Piped: stderr carries nothing, stdout only the result line.
    let piped = server.ok(&["cp", &src.arg("big.bin"), &bucket.url("piped.bin")]);
    assert_eq!(piped.stderr, "", "{piped:?}");
    assert_eq!(
        piped.lines(),
        [format!(
            "upload: {} to {}",
            src.arg("big.bin"),
            bucket.url("piped.bin")
        )]
    );

    // In a pseudo-terminal: the bar with bytes, rate and ETA is drawn.
    let tty = in_tty(server.command(&["cp", &src.arg("big.bin"), &bucket.url("tty.bin")]));
    assert_eq!(tty.code, 0, "{tty:?}");
    let screen = tty.text();
    assert!(
        screen.contains("24.00 MiB/24.00 MiB"),
        "no finished bar in: {screen:?}"
    );
    assert!(
        screen.contains("ETA") && screen.contains("/s"),
        "no rate or ETA in: {screen:?}"
    );
    assert!(screen.contains("tty.bin"), "no key in: {screen:?}");

    // Recursive work in a terminal also draws the total.
    let tty = in_tty(server.command(&["cp", "-r", &src.arg(""), &bucket.url("tree/")]));
    assert_eq!(tty.code, 0, "{tty:?}");
    assert!(
        tty.text().contains("total: 1/1 files"),
        "no total bar in: {:?}",
        tty.text()
    );

    // --quiet in a terminal: no bar.
    let tty = in_tty(server.command(&[
        "--quiet",
        "cp",
        &src.arg("big.bin"),
        &bucket.url("quiet.bin"),
    ]));
    assert_eq!(tty.code, 0, "{tty:?}");
    assert!(
        !tty.text().contains("ETA"),
        "a bar despite --quiet: {:?}",
        tty.text()
    );
}

/// Runs `cmd` with a pseudo-terminal as stdin, stdout and stderr
/// (`script -qefc`); the run's stdout is everything the terminal showed.
fn in_tty(cmd: Command) -> Run {
    let mut line = format!("exec {}", quote(&cmd.get_program().to_string_lossy()));
    for a in cmd.get_args() {
        line.push(' ');
        line.push_str(&quote(&a.to_string_lossy()));
    }
    let mut script = Command::new("script");
    script
        .args(["-qefc", &line, "/dev/null"])
        .env("TERM", "xterm-256color");
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    Run::of(script.stdin(Stdio::null()).output().unwrap())
}

/// Ctrl-C while `cp - s3://...` has a multipart upload open (stdin is held
/// open after 12 MiB, past the 8 MiB threshold): the tool aborts the upload
/// before it exits with 130, and no object appears.
#[test]
fn localstack_ctrl_c_aborts_the_multipart_upload() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = server.bucket("ctrl-c");
    let mut child = server
        .command(&["cp", "-", &bucket.url("interrupted.bin")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&pattern(12 * MIB, 6)).unwrap();
    let store = server.store(&bucket.name);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let open = || {
        runtime
            .block_on(store.list_multipart_uploads(Some("interrupted.bin")))
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while open().is_empty() {
        assert!(Instant::now() < deadline, "no multipart upload was started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let run = Run::of(child.wait_with_output().unwrap());
    drop(stdin);
    assert_eq!(run.code, 130, "{run:?}");
    assert!(run.stderr.contains("interrupted"), "{run:?}");
    let left = open();
    assert!(left.is_empty(), "uploads left open after Ctrl-C: {left:?}");
    let e = runtime.block_on(store.head("interrupted.bin")).unwrap_err();
    assert_eq!(e.kind(), s3lite::ErrorKind::NotFound, "{e}");
}

/// Ctrl-C while `cp s3://... FILE` downloads a large object into its
/// temporary file (`.<name>.<...>.s3lite-tmp` next to the target): the tool
/// removes the temporary file before it exits with 130, and no target file
/// appears.
#[test]
fn localstack_ctrl_c_removes_the_download_temp_file() {
    let Some(server) = Server::localstack() else {
        return;
    };
    let bucket = server.bucket("ctrl-c-down");
    let src = TempDir::new("ctrl-c-down");
    write(&src.0, "big.bin", &pattern(256 * MIB, 7));
    server.ok(&["cp", &src.arg("big.bin"), &bucket.url("big.bin")]);
    std::fs::remove_file(src.path("big.bin")).unwrap();
    let into = TempDir::new("ctrl-c-into");
    let temp_files = || -> Vec<String> {
        std::fs::read_dir(&into.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".s3lite-tmp"))
            .collect()
    };
    let child = server
        .command(&["cp", &bucket.url("big.bin"), &into.arg("big.bin")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while temp_files().is_empty() {
        assert!(
            !into.path("big.bin").exists(),
            "the download finished before it could be interrupted"
        );
        assert!(Instant::now() < deadline, "no temporary file appeared");
        std::thread::sleep(Duration::from_millis(2));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let run = Run::of(child.wait_with_output().unwrap());
    assert_eq!(run.code, 130, "{run:?}");
    assert!(run.stderr.contains("interrupted"), "{run:?}");
    assert_eq!(temp_files(), Vec::<String>::new(), "temporary file left");
    assert!(!into.path("big.bin").exists(), "a partial target was left");
}
