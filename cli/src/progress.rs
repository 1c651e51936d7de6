//! Progress bars on stderr: one per file in flight and, for recursive
//! work, a total. Hidden when stderr is not a terminal or with `--quiet`.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use s3lite::{Progress, ProgressCallback};

const FILE_TEMPLATE: &str = "{msg:40!} {bar:30.cyan/blue} {bytes:>10}/{total_bytes:10} {binary_bytes_per_sec:>12} ETA {eta}";
const TOTAL_TEMPLATE: &str =
    "total: {pos}/{len} files, {msg} {bar:30.green/blue} {binary_bytes_per_sec:>12} ETA {eta}";

/// The bars of one run.
pub(crate) struct Bars {
    multi: MultiProgress,
    enabled: bool,
}

impl Bars {
    /// Bars drawn on stderr, or none when `quiet` or stderr is no terminal.
    pub(crate) fn new(quiet: bool) -> Bars {
        let enabled = !quiet && std::io::stderr().is_terminal();
        let target = if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Bars {
            multi: MultiProgress::with_draw_target(target),
            enabled,
        }
    }

    /// Runs `f` with the bars cleared, so its output lands above them.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        if self.enabled {
            self.multi.suspend(f)
        } else {
            f()
        }
    }

    /// The total bar of recursive work: `files` files, `bytes` bytes.
    pub(crate) fn total(&self, files: u64, bytes: u64) -> Total {
        let bar = if self.enabled {
            let bar = self.multi.add(ProgressBar::new(files));
            bar.set_style(style(TOTAL_TEMPLATE));
            bar
        } else {
            ProgressBar::hidden()
        };
        let total = Total {
            bar,
            bytes: Arc::new(AtomicU64::new(0)),
            all: bytes,
        };
        total.show_bytes();
        total
    }

    /// The bar of one file of `size` bytes (when known), counting into
    /// `total` as well.
    pub(crate) fn file(&self, name: &str, size: Option<u64>, total: Option<&Total>) -> FileBar {
        let bar = if self.enabled {
            let bar = ProgressBar::new(size.unwrap_or(0));
            bar.set_style(style(FILE_TEMPLATE));
            bar.set_message(name.to_string());
            self.multi
                .insert_from_back(usize::from(total.is_some()), bar)
        } else {
            ProgressBar::hidden()
        };
        FileBar {
            bar,
            total: total.cloned(),
            seen: Arc::new(AtomicU64::new(0)),
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    // The templates are constants, checked by a test.
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// The total of recursive work.
#[derive(Clone)]
pub(crate) struct Total {
    bar: ProgressBar,
    bytes: Arc<AtomicU64>,
    all: u64,
}

impl Total {
    fn add_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
        self.show_bytes();
    }

    fn show_bytes(&self) {
        let done = self.bytes.load(Ordering::Relaxed);
        self.bar.set_message(format!(
            "{} of {}",
            crate::output::human_size(done),
            crate::output::human_size(self.all)
        ));
    }

    /// One more file done.
    pub(crate) fn file_done(&self) {
        self.bar.inc(1);
    }

    /// All done: the bar stays with its final figures.
    pub(crate) fn finish(&self) {
        self.bar.finish();
    }
}

/// The bar of one file.
pub(crate) struct FileBar {
    bar: ProgressBar,
    total: Option<Total>,
    seen: Arc<AtomicU64>,
}

impl FileBar {
    /// The library callback that moves this bar (and the total).
    pub(crate) fn callback(&self) -> ProgressCallback {
        let (bar, total, seen) = (self.bar.clone(), self.total.clone(), Arc::clone(&self.seen));
        ProgressCallback::new(move |p: Progress| {
            if let Some(len) = p.total {
                bar.set_length(len);
            }
            bar.set_position(p.bytes);
            let before = seen.fetch_max(p.bytes, Ordering::Relaxed);
            if let Some(total) = &total {
                total.add_bytes(p.bytes.saturating_sub(before));
            }
        })
    }

    /// Counts `n` more bytes (for streams the library does not report).
    pub(crate) fn add(&self, n: u64) {
        self.bar.inc(n);
        let before = self.seen.fetch_add(n, Ordering::Relaxed);
        let _ = before;
        if let Some(total) = &self.total {
            total.add_bytes(n);
        }
    }

    /// Done: a single transfer's bar stays, a file of recursive work goes.
    pub(crate) fn finish(self) {
        if self.total.is_some() {
            self.bar.finish_and_clear();
        } else {
            self.bar.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse() {
        assert!(ProgressStyle::with_template(FILE_TEMPLATE).is_ok());
        assert!(ProgressStyle::with_template(TOTAL_TEMPLATE).is_ok());
    }
}
