//! Clock-skew correction: the offset between S3's clock and ours, learnt
//! from response `Date` headers and added to every later signature.

use std::sync::atomic::{AtomicI64, Ordering};

use http::HeaderMap;
use time::{Duration, OffsetDateTime};

use crate::retry::Clock;

/// A response `Date` this far from our (corrected) clock means our clock is off.
pub(crate) const SKEW_THRESHOLD: Duration = Duration::minutes(4);

/// The store's clock offset (server time minus local time), shared by every
/// request in flight; lock-free.
#[derive(Debug, Default)]
pub(crate) struct ClockSkew {
    offset_ms: AtomicI64,
}

impl ClockSkew {
    /// The time to sign with: the clock's time plus the offset.
    pub(crate) fn now(&self, clock: &dyn Clock) -> OffsetDateTime {
        clock.now_utc() + self.offset()
    }

    /// The current offset.
    pub(crate) fn offset(&self) -> Duration {
        Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Looks at a response's `Date`: if it differs from the corrected clock
    /// by more than [`SKEW_THRESHOLD`], the offset becomes `date - local`.
    /// Returns the server time, when the header was readable.
    pub(crate) fn observe(&self, headers: &HeaderMap, clock: &dyn Clock) -> Option<OffsetDateTime> {
        let date = response_date(headers)?;
        let local = clock.now_utc();
        let offset = self.offset();
        if (date - (local + offset)).abs() > SKEW_THRESHOLD {
            let new = date - local;
            let ms = i64::try_from(new.whole_milliseconds()).unwrap_or(0);
            self.offset_ms.store(ms, Ordering::Relaxed);
        }
        Some(date)
    }
}

/// The `Date` header of a response.
fn response_date(headers: &HeaderMap) -> Option<OffsetDateTime> {
    let value = headers.get(http::header::DATE)?.to_str().ok()?;
    crate::date::parse_http_date(value.trim()).ok()
}

/// Whether a request signed at `signed_at` looks skewed to a server whose
/// clock read `server`.
pub(crate) fn was_skewed(signed_at: OffsetDateTime, server: OffsetDateTime) -> bool {
    (server - signed_at).abs() > SKEW_THRESHOLD
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::SystemClock;

    fn headers_with_date(t: OffsetDateTime) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = crate::date::format_http_date(t);
        h.insert(
            http::header::DATE,
            http::HeaderValue::from_str(&v).unwrap_or_else(|e| panic!("{e}")),
        );
        h
    }

    #[test]
    fn small_differences_leave_the_offset_alone() {
        let skew = ClockSkew::default();
        let h = headers_with_date(OffsetDateTime::now_utc() + Duration::minutes(3));
        assert!(skew.observe(&h, &SystemClock).is_some());
        assert_eq!(skew.offset(), Duration::ZERO);
    }

    #[test]
    fn a_skewed_date_sets_the_offset_and_a_good_one_clears_it() {
        let skew = ClockSkew::default();
        let ahead = OffsetDateTime::now_utc() + Duration::minutes(20);
        skew.observe(&headers_with_date(ahead), &SystemClock);
        let off = skew.offset();
        assert!(
            (off - Duration::minutes(20)).abs() < Duration::seconds(2),
            "{off}"
        );
        // Corrected time is now close to the server's: nothing changes.
        skew.observe(&headers_with_date(ahead), &SystemClock);
        assert!((skew.offset() - off).abs() < Duration::seconds(2));
        // The local clock got fixed (server time = local time): offset back to ~0.
        skew.observe(&headers_with_date(OffsetDateTime::now_utc()), &SystemClock);
        assert!(
            skew.offset().abs() < Duration::seconds(2),
            "{}",
            skew.offset()
        );
    }
}
