//! [`UploadGuard`]: a started multipart upload that is aborted unless it
//! completes, also when the future driving it is dropped (a timeout, a
//! cancelled task, the losing branch of `select!`), so no upload is left
//! open and billed.

use std::sync::Arc;

use super::S3Store;

/// Aborts its upload when dropped, unless [`disarm`](Self::disarm)ed after
/// the upload completed.
pub(crate) struct UploadGuard {
    store: S3Store,
    key: String,
    upload_id: Arc<str>,
    armed: bool,
}

impl UploadGuard {
    /// Guards the upload `upload_id` of the store key `key`.
    pub(crate) fn new(store: &S3Store, key: &str, upload_id: Arc<str>) -> Self {
        UploadGuard {
            store: store.clone(),
            key: key.to_string(),
            upload_id,
            armed: true,
        }
    }

    /// The upload id.
    pub(crate) fn upload_id(&self) -> &Arc<str> {
        &self.upload_id
    }

    /// The upload completed: nothing to abort.
    pub(crate) fn disarm(mut self) {
        self.armed = false;
    }

    /// Aborts now and waits for it; best effort, since the error that
    /// stopped the upload is what the caller reports.
    pub(crate) async fn abort(mut self) {
        self.armed = false;
        let _best_effort = self
            .store
            .abort_multipart_upload(&self.key, &self.upload_id)
            .await;
    }
}

impl Drop for UploadGuard {
    fn drop(&mut self) {
        if self.armed {
            let (store, key, id) = (
                self.store.clone(),
                self.key.clone(),
                Arc::clone(&self.upload_id),
            );
            abort_in_background(async move {
                let _best_effort = store.abort_multipart_upload(&key, &id).await;
            });
        }
    }
}

/// Runs `abort` on the current Tokio runtime, if there is one (a drop
/// outside a runtime cannot do I/O; the upload id is then lost with it).
pub(crate) fn abort_in_background(abort: impl Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(abort);
    }
}
