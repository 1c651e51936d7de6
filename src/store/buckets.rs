//! Calls on the account rather than the store's bucket: ListBuckets.

use http::Method;

use super::S3Store;
use super::request::S3Request;
use crate::error::Result;
use crate::xml::{self, Bucket};

impl S3Store {
    /// The buckets the credentials own, from the store's endpoint without
    /// its bucket (`https://s3.<region>.amazonaws.com/`, or the custom
    /// endpoint's root).
    ///
    /// See [ListBuckets](https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html).
    ///
    /// # Errors
    /// `InvalidConfig` for an S3 Express or access-point store, whose
    /// endpoint has no service root; what S3 answers (`PermissionDenied`
    /// without `s3:ListAllMyBuckets`).
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// for bucket in store.list_buckets().await? {
    ///     println!("{}", bucket.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_buckets(&self) -> Result<Vec<Bucket>> {
        let mut req = S3Request::new("ListBuckets", Method::GET, None);
        req.service_level = true;
        let body = self.inner.send(req).await?.body.collect().await?;
        xml::parse_list_buckets(&body).map_err(|e| e.context("ListBuckets"))
    }
}
