//! `s3lite`: a small, fast S3 command-line tool on the s3lite library.
//!
//! Commands: ls, cp, mv, rm, cat, stat, presign, sync, mb, rb (see
//! `s3lite --help`). Exit codes: 0 success, 1 an operation failed, 2 a usage
//! or configuration error, 130 interrupted by Ctrl-C (multipart uploads
//! aborted and temporary files removed first).

mod args;
mod commands;
mod context;
mod error;
mod filter;
mod location;
mod output;
mod progress;
mod stdin;
mod sync;
mod transfer;
mod write;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use s3lite::config::S3ConfigKey;

use args::{Cli, Command};
use context::Context;
use error::{CliError, CliResult, EXIT_FAILED, EXIT_INTERRUPTED};
use filter::Filters;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits with 2.
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // --exclude and --include in command-line order, which the derived
    // struct's two lists do not keep.
    if let Some((_, sub)) = matches.subcommand() {
        match &mut cli.command {
            Command::Cp(a) | Command::Mv(a) => a.filters.ordered = Filters::from_matches(sub),
            Command::Sync(a) => a.filters.ordered = Filters::from_matches(sub),
            Command::Rm(a) => a.filters.ordered = Filters::from_matches(sub),
            _ => {}
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("s3lite: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let result = runtime.block_on(run(cli));
    // Everything was awaited; only a blocking read of stdin can be left (a
    // cancelled `cp -`), which a normal shutdown would wait for.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("s3lite: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}

/// Runs the command; on Ctrl-C asks it to stop, waits for it to abort its
/// uploads and remove its temporary files, and fails with exit 130. A
/// second Ctrl-C exits at once.
async fn run(cli: Cli) -> CliResult {
    let ctx = Context::new(cli.global, config_of(&cli.command)?)?;
    let watcher = ctx.clone();
    let signals = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            watcher.cancel();
            watcher.warn("interrupted: stopping (Ctrl-C again to quit at once)");
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        }
    });
    let result = dispatch(&ctx, cli.command).await;
    let result = match result {
        _ if ctx.is_cancelled() => Err(CliError::interrupted()),
        // Entries skipped with a warning (keys that name no local file, names
        // that are not UTF-8) make a run that otherwise worked fail.
        Ok(()) if ctx.skipped() > 0 => Err(CliError::failed(format!(
            "{} entries skipped (see the warnings above)",
            ctx.skipped()
        ))),
        other => other,
    };
    ctx.finish().await;
    signals.abort();
    result
}

async fn dispatch(ctx: &Context, command: Command) -> CliResult {
    match command {
        Command::Ls(a) => commands::ls(ctx, a).await,
        Command::Cp(a) => transfer::cp(ctx, a, false).await,
        Command::Mv(a) => transfer::cp(ctx, a, true).await,
        Command::Rm(a) => commands::rm(ctx, a).await,
        Command::Cat(a) => commands::cat(ctx, a).await,
        Command::Stat(a) => commands::stat(ctx, a).await,
        Command::Presign(a) => commands::presign(ctx, a).await,
        Command::Sync(a) => sync::sync(ctx, a).await,
        Command::Mb(a) => commands::mb(ctx, a).await,
        Command::Rb(a) => commands::rb(ctx, a).await,
    }
}

/// Library keys a command's options set on every store of the run.
fn config_of(command: &Command) -> CliResult<Vec<(S3ConfigKey, String)>> {
    let checksums = || {
        (
            S3ConfigKey::ResponseChecksumValidation,
            "when_supported".to_string(),
        )
    };
    Ok(match command {
        Command::Cp(a) | Command::Mv(a) => {
            let mut keys = write::put_config(&a.put);
            keys.extend(write::sse_c_config(&a.sse_c, a.put.sse.as_deref())?);
            keys
        }
        Command::Sync(a) => {
            let mut keys = write::put_config(&a.put);
            keys.extend(write::sse_c_config(&a.sse_c, a.put.sse.as_deref())?);
            keys
        }
        Command::Cat(a) => write::sse_c_config(&a.sse_c, None)?,
        // HEAD then asks for (and shows) the stored checksum.
        Command::Stat(a) => {
            let mut keys = vec![checksums()];
            keys.extend(write::sse_c_config(&a.sse_c, None)?);
            keys
        }
        _ => Vec::new(),
    })
}
