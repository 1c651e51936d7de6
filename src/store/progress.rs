//! Progress of a transfer: [`Progress`] reports and the [`ProgressCallback`]
//! that receives them.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Reports are at least this many bytes apart, unless [`MIN_INTERVAL`] passed.
const MIN_BYTES: u64 = 64 * 1024;
/// Reports are at least this long apart, unless [`MIN_BYTES`] were moved.
const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// How far a transfer has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Bytes transferred so far: uploaded parts acknowledged by S3, or
    /// downloaded bytes written to their destination.
    pub bytes: u64,
    /// The size of the whole transfer, when known (`None` for a stream of
    /// unknown length until it ends).
    pub total: Option<u64>,
    /// Bytes transferred since the previous report: the argument of a
    /// boto3 `Callback`. The deltas of one transfer add up to its final
    /// `bytes`.
    pub delta: u64,
}

/// A function that receives [`Progress`] reports.
///
/// Reports of one transfer are made one at a time, in order: `bytes` never
/// decreases. A new report follows the last one when at least 64 KiB more
/// were transferred or 100 ms passed, and there is always a final report whose
/// `bytes` equals the total (`total` is then `Some`). Uploads advance as parts
/// are acknowledged. The function runs on the transfer's tasks: keep it short.
///
/// ```
/// use s3lite::ProgressCallback;
/// let progress = ProgressCallback::new(|p| eprintln!("{} of {:?} bytes", p.bytes, p.total));
/// # let _ = progress;
/// ```
#[derive(Clone)]
pub struct ProgressCallback(Arc<dyn Fn(Progress) + Send + Sync>);

impl ProgressCallback {
    /// Wraps `f`.
    pub fn new(f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        ProgressCallback(Arc::new(f))
    }

    /// A callback told each increment, boto3 style, as composer's
    /// `callback(bytes_transferred, total)`: `f(delta, total)` per report
    /// that moved bytes (reports with a zero [`Progress::delta`] are not
    /// passed on).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// let seen = Arc::new(AtomicU64::new(0));
    /// let sink = Arc::clone(&seen);
    /// let progress = s3lite::ProgressCallback::incremental(move |delta, _total| {
    ///     sink.fetch_add(delta, Ordering::Relaxed);
    /// });
    /// # let _ = progress;
    /// ```
    pub fn incremental(f: impl Fn(u64, Option<u64>) + Send + Sync + 'static) -> Self {
        ProgressCallback::new(move |p| {
            if p.delta > 0 {
                f(p.delta, p.total);
            }
        })
    }
}

impl fmt::Debug for ProgressCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressCallback")
    }
}

/// Counts one transfer's bytes and calls the callback at the allowed rate.
/// Cheap to share: tasks of one transfer hold an `Arc` of it.
pub(crate) struct Tracker {
    callback: Option<ProgressCallback>,
    state: Mutex<State>,
}

struct State {
    bytes: u64,
    total: Option<u64>,
    reported: Option<u64>,
    reported_at: Instant,
}

impl Tracker {
    pub(crate) fn new(callback: Option<ProgressCallback>, total: Option<u64>) -> Arc<Self> {
        Arc::new(Tracker {
            callback,
            state: Mutex::new(State {
                bytes: 0,
                total,
                reported: None,
                reported_at: Instant::now(),
            }),
        })
    }

    /// Adds `n` transferred bytes; reports if enough bytes or time passed.
    pub(crate) fn add(&self, n: u64) {
        let Some(callback) = &self.callback else {
            return;
        };
        // The lock is held across the call so that reports stay in order.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.bytes += n;
        let since = state.bytes - state.reported.unwrap_or(0);
        let due = since >= MIN_BYTES || (since > 0 && state.reported_at.elapsed() >= MIN_INTERVAL);
        if due {
            state.reported = Some(state.bytes);
            state.reported_at = Instant::now();
            (callback.0)(Progress {
                bytes: state.bytes,
                total: state.total,
                delta: since,
            });
        }
    }

    /// The final report: `total` becomes the bytes counted.
    pub(crate) fn finish(&self) {
        let Some(callback) = &self.callback else {
            return;
        };
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // Always reported, even when `bytes` was reported already, so that the
        // last report carries the total.
        let delta = state.bytes - state.reported.unwrap_or(0);
        state.total = Some(state.bytes);
        state.reported = Some(state.bytes);
        (callback.0)(Progress {
            bytes: state.bytes,
            total: state.total,
            delta,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording() -> (ProgressCallback, Arc<Mutex<Vec<Progress>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let cb = ProgressCallback::new(move |p| {
            sink.lock().unwrap_or_else(PoisonError::into_inner).push(p)
        });
        (cb, seen)
    }

    #[test]
    fn reports_are_throttled_and_end_at_the_total() {
        let (cb, seen) = recording();
        let t = Tracker::new(Some(cb), Some(300 * 1024));
        for _ in 0..300 {
            t.add(1024);
        }
        t.finish();
        let seen = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
        // 300 KiB in 1 KiB steps: a report per 64 KiB (4), then the final one.
        assert_eq!(seen.len(), 5, "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0].bytes <= w[1].bytes));
        assert_eq!(
            seen.last().copied(),
            Some(Progress {
                bytes: 300 * 1024,
                total: Some(300 * 1024),
                delta: 300 * 1024 - 4 * 64 * 1024,
            })
        );
        let deltas: u64 = seen.iter().map(|p| p.delta).sum();
        assert_eq!(deltas, 300 * 1024);
    }

    #[test]
    fn incremental_callback_gets_each_increment_once() {
        let sum = Arc::new(Mutex::new((0u64, 0usize)));
        let sink = Arc::clone(&sum);
        let cb = ProgressCallback::incremental(move |delta, total| {
            assert_eq!(total, Some(200_000));
            let mut s = sink.lock().unwrap_or_else(PoisonError::into_inner);
            s.0 += delta;
            s.1 += 1;
        });
        let t = Tracker::new(Some(cb), Some(200_000));
        for _ in 0..200 {
            t.add(1000);
        }
        t.finish();
        let (bytes, calls) = *sum.lock().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(bytes, 200_000);
        // 64 KiB apart: at 66,000, 132,000 and 198,000 bytes, then the last 2,000.
        assert_eq!(calls, 4);
    }

    #[test]
    fn unknown_total_is_set_by_the_final_report() {
        let (cb, seen) = recording();
        let t = Tracker::new(Some(cb), None);
        t.add(10);
        t.finish();
        let seen = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert_eq!(
            seen.last().copied(),
            Some(Progress {
                bytes: 10,
                total: Some(10),
                delta: 10,
            })
        );
        assert!(seen[..seen.len() - 1].iter().all(|p| p.total.is_none()));
    }

    #[test]
    fn empty_transfer_reports_zero_of_zero() {
        let (cb, seen) = recording();
        Tracker::new(Some(cb), Some(0)).finish();
        let seen = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert_eq!(
            seen,
            [Progress {
                bytes: 0,
                total: Some(0),
                delta: 0,
            }]
        );
    }
}
