//! [`S3Store::resolve_bucket_region`]: which region a bucket lives in.

use http::Method;

use super::S3Store;
use crate::error::{Error, ErrorKind, Result};
use crate::transport::HttpRequest;

impl S3Store {
    /// Asks S3 which region the store's bucket is in: an unsigned
    /// `HEAD /bucket`, whose answer (200, 301, 400 or 403 alike) carries
    /// the `x-amz-bucket-region` header. Use it to build a store for the
    /// right region after a wrong-region error.
    ///
    /// See [HeadBucket](https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when the bucket does not exist (404);
    /// [`ErrorKind::Service`] when the answer names no region (servers
    /// other than AWS often do not); transport errors as for any request.
    ///
    /// ```no_run
    /// # async fn demo() -> s3lite::Result<()> {
    /// let probe = s3lite::S3Store::builder().bucket("photos").skip_signature(true).build()?;
    /// let region = probe.resolve_bucket_region().await?;
    /// let store = s3lite::S3Store::builder().bucket("photos").region(region).build()?;
    /// # let _ = store; Ok(()) }
    /// ```
    pub async fn resolve_bucket_region(&self) -> Result<String> {
        let endpoint = &self.inner.endpoint;
        let url = endpoint.url_for_path(&endpoint.bucket_path(), "");
        let mut request = HttpRequest::new(Method::HEAD, url);
        if let Ok(host) = http::HeaderValue::from_str(endpoint.host()) {
            request.headers.insert(http::header::HOST, host);
        }
        let what = format!("HeadBucket {}", self.inner.bucket);
        let response = self
            .inner
            .client
            .send(request)
            .await
            .map_err(|e| e.context(&what))?;
        let region = response
            .headers
            .get("x-amz-bucket-region")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|r| !r.is_empty());
        match region {
            Some(r) => Ok(r.to_string()),
            None if response.status == http::StatusCode::NOT_FOUND => Err(Error::new(
                ErrorKind::NotFound,
                format!("{what}: no such bucket"),
            )
            .with_status(404)),
            None => Err(Error::new(
                ErrorKind::Service,
                format!("{what}: the answer names no region (x-amz-bucket-region)"),
            )
            .with_status(response.status.as_u16())),
        }
    }
}
