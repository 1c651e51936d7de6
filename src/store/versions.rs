//! Object versions and tags: ListObjectVersions ([`VersionStream`]),
//! deletion of one version, bucket versioning on and off, and
//! Get/Put/DeleteObjectTagging.

use std::collections::{HashSet, VecDeque};
use std::fmt;

use bytes::Bytes;
use http::{HeaderName, Method};

use super::S3Store;
use super::check_key;
use super::request::S3Request;
use crate::encoding::md5_base64;
use crate::error::{Error, ErrorKind, Result};
use crate::xml::{self, ListObjectVersionsPage, ObjectVersion, VersioningStatus};

impl S3Store {
    /// Every version and delete marker of the objects under `prefix` (all
    /// when `None`), by key and newest first, fetched a page at a time as
    /// the stream is read. Keys come back without the store's prefix.
    ///
    /// See [ListObjectVersions](https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html).
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// let mut versions = store.list_versions(Some("reports/"));
    /// while let Some(v) = versions.next().await {
    ///     let v = v?;
    ///     println!("{} {} latest={} marker={}", v.key, v.version_id, v.is_latest, v.delete_marker);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_versions(&self, prefix: Option<&str>) -> VersionStream {
        VersionStream {
            store: self.clone(),
            prefix: prefix.map(str::to_string),
            markers: None,
            seen: HashSet::new(),
            idle_pages: 0,
            buffered: VecDeque::new(),
            done: false,
        }
    }

    /// Deletes one version of `key` (or one delete marker) for good; other
    /// versions stay. Deleting a version that does not exist succeeds, as
    /// in S3.
    ///
    /// See [DeleteObject](https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html).
    ///
    /// # Errors
    /// `InvalidInput` for an empty key or version id; what S3 answers.
    pub async fn delete_version(&self, key: &str, version_id: &str) -> Result<()> {
        let full = self.full_key(key);
        check_key(&full)?;
        if version_id.is_empty() {
            return Err(Error::invalid_input(format!(
                "delete_version of {key}: the version id must not be empty"
            )));
        }
        let req = S3Request::new("DeleteObject", Method::DELETE, Some(&full))
            .query("versionId", version_id);
        self.inner.send(req).await?;
        Ok(())
    }

    /// Whether the store's bucket keeps versions.
    ///
    /// See [GetBucketVersioning](https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html).
    ///
    /// # Errors
    /// What S3 answers; `Service` for an answer that cannot be read.
    pub async fn bucket_versioning(&self) -> Result<VersioningStatus> {
        let req = S3Request::new("GetBucketVersioning", Method::GET, None).query("versioning", "");
        let body = self.inner.send(req).await?.body.collect().await?;
        xml::parse_bucket_versioning(&body).map_err(|e| e.context("GetBucketVersioning"))
    }

    /// Turns versioning of the store's bucket on (`true`: `Enabled`) or off
    /// (`false`: `Suspended`; versions already kept stay).
    ///
    /// See [PutBucketVersioning](https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketVersioning.html).
    ///
    /// # Errors
    /// What S3 answers.
    pub async fn set_bucket_versioning(&self, enabled: bool) -> Result<()> {
        let status = if enabled {
            VersioningStatus::Enabled
        } else {
            VersioningStatus::Suspended
        };
        let body = xml::write_bucket_versioning(status.as_status().unwrap_or("Suspended"));
        let req = with_md5(
            S3Request::new("PutBucketVersioning", Method::PUT, None).query("versioning", ""),
            body,
        )?;
        self.inner.send(req).await?;
        Ok(())
    }

    /// The tags of `key` (its current version) as `(key, value)` pairs.
    ///
    /// See [GetObjectTagging](https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html).
    ///
    /// # Errors
    /// `NotFound` for a missing object; what S3 answers.
    pub async fn get_tags(&self, key: &str) -> Result<Vec<(String, String)>> {
        let full = self.full_key(key);
        check_key(&full)?;
        let req = S3Request::new("GetObjectTagging", Method::GET, Some(&full)).query("tagging", "");
        let body = self.inner.send(req).await?.body.collect().await?;
        xml::parse_tagging(&body).map_err(|e| {
            e.context(format!(
                "GetObjectTagging {}",
                self.inner.target(Some(&full))
            ))
        })
    }

    /// Replaces the tags of `key` with `tags` (S3 allows 10, keys up to 128
    /// and values up to 256 characters; it refuses more).
    ///
    /// See [PutObjectTagging](https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html).
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// store.put_tags("report.csv", &[("project".into(), "apollo".into())]).await?;
    /// assert_eq!(store.get_tags("report.csv").await?[0].1, "apollo");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `NotFound` for a missing object; what S3 answers (`InvalidTag`).
    pub async fn put_tags(&self, key: &str, tags: &[(String, String)]) -> Result<()> {
        let full = self.full_key(key);
        check_key(&full)?;
        let req = with_md5(
            S3Request::new("PutObjectTagging", Method::PUT, Some(&full)).query("tagging", ""),
            xml::write_tagging(tags),
        )?;
        self.inner.send(req).await?;
        Ok(())
    }

    /// Removes every tag of `key`.
    ///
    /// See [DeleteObjectTagging](https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html).
    ///
    /// # Errors
    /// `NotFound` for a missing object; what S3 answers.
    pub async fn delete_tags(&self, key: &str) -> Result<()> {
        let full = self.full_key(key);
        check_key(&full)?;
        let req =
            S3Request::new("DeleteObjectTagging", Method::DELETE, Some(&full)).query("tagging", "");
        self.inner.send(req).await?;
        Ok(())
    }
}

/// `req` with the XML `body` and its `Content-MD5`, which these calls
/// require.
fn with_md5(req: S3Request, body: String) -> Result<S3Request> {
    let md5 = md5_base64(body.as_bytes());
    Ok(req
        .header(HeaderName::from_static("content-md5"), &md5)?
        .body(Bytes::from(body)))
}

/// The versions of a listing ([`S3Store::list_versions`]), one page (up to
/// 1,000 entries) at a time.
pub struct VersionStream {
    store: S3Store,
    prefix: Option<String>,
    /// `(key-marker, version-id-marker)` of the next page; `None` before
    /// the first.
    markers: Option<(String, Option<String>)>,
    /// Every pair of markers received, so a server that leads back to one
    /// (a cycle of any length) is caught.
    seen: HashSet<(String, Option<String>)>,
    /// Truncated pages in a row that brought no version.
    idle_pages: usize,
    buffered: VecDeque<ObjectVersion>,
    done: bool,
}

impl VersionStream {
    /// The next version, or `None` at the end.
    ///
    /// # Errors
    /// What S3 answers; `Service` for a truncated page that gives no way
    /// on, markers it gave before, or more than
    /// [`MAX_LIST_PAGES_WITHOUT_PROGRESS`](crate::limits::MAX_LIST_PAGES_WITHOUT_PROGRESS)
    /// empty pages in a row (a listing that would end early looking
    /// complete, or loop forever).
    pub async fn next(&mut self) -> Option<Result<ObjectVersion>> {
        loop {
            if let Some(v) = self.buffered.pop_front() {
                return Some(Ok(v));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.fetch().await.and_then(|page| self.advance(page)) {
                self.done = true;
                return Some(Err(e));
            }
        }
    }

    /// Takes in `page` and moves the markers on; a truncated page must lead
    /// somewhere new.
    fn advance(&mut self, page: ListObjectVersionsPage) -> Result<()> {
        if page.is_truncated {
            let next = match page.next_key_marker {
                Some(key) => (key, page.next_version_id_marker),
                None => {
                    return Err(self
                        .incomplete("is truncated (IsTruncated = true) but has no NextKeyMarker"));
                }
            };
            if !self.seen.insert(next.clone()) {
                return Err(self.incomplete("led back to markers it had already sent"));
            }
            self.idle_pages = if page.versions.is_empty() && page.common_prefixes.is_empty() {
                self.idle_pages + 1
            } else {
                0
            };
            if self.idle_pages > crate::limits::MAX_LIST_PAGES_WITHOUT_PROGRESS {
                return Err(self.incomplete(&format!(
                    "sent {} truncated pages in a row without a version",
                    self.idle_pages
                )));
            }
            self.markers = Some(next);
        } else {
            self.done = true;
        }
        self.buffered.extend(page.versions);
        Ok(())
    }

    fn incomplete(&self, why: &str) -> Error {
        Error::new(
            ErrorKind::Service,
            format!(
                "ListObjectVersions {}: the answer {why}; the listing is incomplete",
                self.store.inner.target(None)
            ),
        )
    }

    /// Collects every remaining version.
    ///
    /// # Errors
    /// The first error of [`next`](Self::next).
    pub async fn collect(mut self) -> Result<Vec<ObjectVersion>> {
        let mut all = Vec::new();
        while let Some(v) = self.next().await {
            all.push(v?);
        }
        Ok(all)
    }

    async fn fetch(&self) -> Result<ListObjectVersionsPage> {
        let store = &self.store;
        let raw = store.raw_prefix();
        let mut req = S3Request::new("ListObjectVersions", Method::GET, None).query("versions", "");
        let prefix = match &self.prefix {
            Some(p) => Some(store.full_key(p).into_owned()),
            None if !raw.is_empty() => Some(raw.to_string()),
            None => None,
        };
        if let Some(p) = &prefix {
            req = req.query("prefix", p);
        }
        if let Some((key, version)) = &self.markers {
            req = req.query("key-marker", key);
            if let Some(v) = version {
                req = req.query("version-id-marker", v);
            }
        }
        let target = store.inner.target(None);
        let body = store.inner.send(req).await?.body.collect().await?;
        let mut page = xml::parse_list_object_versions(&body)
            .map_err(|e| e.context(format!("ListObjectVersions {target}")))?;
        for v in &mut page.versions {
            let stripped = store.strip_prefix(&v.key);
            if stripped.len() != v.key.len() {
                v.key = stripped.to_string();
            }
        }
        Ok(page)
    }
}

impl fmt::Debug for VersionStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VersionStream")
            .field("prefix", &self.prefix)
            .field("buffered", &self.buffered.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
