//! [`S3Store::get_ranges`]: several byte ranges of one object, with nearby
//! ranges coalesced into one GET and a bounded number of GETs in flight, as
//! object_store's `get_ranges` does.

use std::ops::Range;

use bytes::Bytes;
use tokio::task::JoinSet;

use super::S3Store;
use super::types::GetOptions;
use crate::error::{Error, ErrorKind, Result};

/// Ranges closer than this are fetched by one GET (object_store's
/// `OBJECT_STORE_COALESCE_DEFAULT`): a round trip costs more than 1 MiB of
/// bytes on most links.
pub const COALESCE_GAP: u64 = 1024 * 1024;

/// GETs in flight at once for one `get_ranges` call (object_store's
/// `OBJECT_STORE_COALESCE_PARALLEL`).
pub const COALESCE_PARALLEL: usize = 10;

impl S3Store {
    /// Reads the byte ranges `ranges` (end exclusive, any order, overlaps
    /// allowed) of the object `key`, returning one `Bytes` per range in the
    /// order asked. Ranges less than [`COALESCE_GAP`] apart are fetched by
    /// one ranged GET and sliced without copying; up to
    /// [`COALESCE_PARALLEL`] GETs run at once. Every GET must see the same
    /// ETag, so the pieces come from one version of the object.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// // A Parquet reader's column chunks: two GETs, not three.
    /// let chunks = store.get_ranges("t.parquet", &[4..1_000, 2_000..9_000, 50_000_000..50_100_000]).await?;
    /// assert_eq!(chunks[1].len(), 7_000);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for a range whose start is past its end, or that ends
    /// past the object's end (naming the range and the size); `NotFound`
    /// for a missing object; `PreconditionFailed` when the object changed
    /// between the GETs; what S3 answers to GetObject.
    pub async fn get_ranges(&self, key: &str, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        if let Some(r) = ranges.iter().find(|r| r.start > r.end) {
            return Err(Error::invalid_input(format!(
                "get_ranges of {key}: range {}..{} starts after its end",
                r.start, r.end
            )));
        }
        let merged = coalesce(ranges, COALESCE_GAP);
        let fetched = self.fetch_all(key, &merged).await?;
        ranges
            .iter()
            .map(|r| {
                if r.start == r.end {
                    return Ok(Bytes::new());
                }
                let (span, data, size) = fetched
                    .iter()
                    .find(|(span, _, _)| span.start <= r.start && r.end <= span.end)
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::Service,
                            format!(
                                "get_ranges of {key}: range {}..{} was not fetched",
                                r.start, r.end
                            ),
                        )
                    })?;
                let got_end = span.start + data.len() as u64;
                if r.end > got_end {
                    return Err(Error::invalid_input(format!(
                        "get_ranges of {key}: range {}..{} ends past the object's end ({})",
                        r.start,
                        r.end,
                        size.map_or_else(|| got_end.to_string(), |s| format!("size {s}"))
                    )));
                }
                let from = (r.start - span.start) as usize;
                let to = (r.end - span.start) as usize;
                Ok(data.slice(from..to))
            })
            .collect()
    }

    /// GETs every span, [`COALESCE_PARALLEL`] at a time; each with the
    /// bytes it brought and the object's size, checked to share one ETag.
    async fn fetch_all(
        &self,
        key: &str,
        spans: &[Range<u64>],
    ) -> Result<Vec<(Range<u64>, Bytes, Option<u64>)>> {
        let mut pending = spans.iter().cloned();
        let mut tasks = JoinSet::new();
        let mut done = Vec::with_capacity(spans.len());
        let mut etag: Option<Option<String>> = None;
        loop {
            while tasks.len() < COALESCE_PARALLEL {
                let Some(span) = pending.next() else { break };
                let store = self.clone();
                let key = key.to_string();
                tasks.spawn(async move {
                    let options = GetOptions::default().with_range(span.clone());
                    let got = store.get_opts(&key, options).await?;
                    let (tag, size) = (got.meta.etag.clone(), got.object_size);
                    Ok::<_, Error>((span, tag, size, got.bytes().await?))
                });
            }
            let (span, tag, size, data) = match tasks.join_next().await {
                None => break,
                Some(Ok(result)) => result?,
                Some(Err(join)) => {
                    return Err(Error::new(
                        ErrorKind::Service,
                        format!("get_ranges of {key}: a GET task failed: {join}"),
                    ));
                }
            };
            match &etag {
                None => etag = Some(tag),
                Some(first) if *first != tag => {
                    return Err(Error::new(
                        ErrorKind::PreconditionFailed,
                        format!(
                            "get_ranges of {key}: the object changed between its GETs (ETag {} then {})",
                            first.as_deref().unwrap_or("none"),
                            tag.as_deref().unwrap_or("none")
                        ),
                    ));
                }
                Some(_) => {}
            }
            done.push((span, data, size));
        }
        Ok(done)
    }
}

/// The spans to GET for `ranges`: the non-empty ones sorted and merged when
/// they overlap or lie less than `gap` apart.
fn coalesce(ranges: &[Range<u64>], gap: u64) -> Vec<Range<u64>> {
    let mut sorted: Vec<Range<u64>> = ranges.iter().filter(|r| r.start < r.end).cloned().collect();
    sorted.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match merged.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(gap) => {
                last.end = last.end.max(r.end);
            }
            _ => merged.push(r),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::coalesce;

    #[test]
    fn nearby_and_overlapping_ranges_merge_far_ones_do_not() {
        // 0..10 and 5..20 overlap; 50 and 160 are within 100 of the end
        // before them; 500 is not. Empty ranges ask for nothing.
        let asked = [500..600, 0..10, 50..60, 5..20, 160..170, 300..300];
        assert_eq!(coalesce(&asked, 100), [0..170, 500..600]);
        // Without a gap only overlapping or touching ranges merge.
        assert_eq!(coalesce(&asked, 0), [0..20, 50..60, 160..170, 500..600]);
        assert!(coalesce(std::slice::from_ref(&(7..7)), 100).is_empty());
    }
}
