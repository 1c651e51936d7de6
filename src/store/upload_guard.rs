//! [`UploadGuard`]: a started multipart upload that is aborted unless it
//! completes, also when the future driving it is dropped (a timeout, a
//! cancelled task, the losing branch of `select!`), so no upload is left
//! open and billed.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::runtime::Handle;
use tokio::task::JoinSet;

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
            let owner = store.clone();
            abort_in_background(&owner, async move {
                let _best_effort = store.abort_multipart_upload(&key, &id).await;
            });
        }
    }
}

/// Runs `abort` on the current Tokio runtime, if there is one (a drop
/// outside a runtime cannot do I/O; the upload id is then lost with it),
/// as one of `store`'s background aborts, which
/// [`S3Store::wait_for_background_aborts`] waits for.
pub(crate) fn abort_in_background(
    store: &S3Store,
    abort: impl Future<Output = ()> + Send + 'static,
) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        store.inner.background.spawn(&runtime, abort);
    }
}

/// The aborts a store runs in the background (see [`abort_in_background`]).
#[derive(Debug, Default)]
pub(crate) struct BackgroundAborts(Mutex<JoinSet<()>>);

impl BackgroundAborts {
    fn spawn(&self, runtime: &Handle, abort: impl Future<Output = ()> + Send + 'static) {
        let mut set = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Finished aborts are dropped here, so the set holds only live ones.
        while set.try_join_next().is_some() {}
        set.spawn_on(abort, runtime);
    }

    /// Takes the aborts started so far, leaving an empty set.
    fn take(&self) -> JoinSet<()> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl S3Store {
    /// Waits until every multipart upload abort this store started in the
    /// background has finished: the aborts of uploads whose future was
    /// dropped before completing (a cancelled transfer, the losing branch
    /// of `select!`, a Ctrl-C handler dropping the work). Call it before
    /// the runtime shuts down, which would cancel them and leave the uploads
    /// open (and billed). Aborts are best effort: their errors are dropped.
    ///
    /// ```no_run
    /// # async fn demo(store: &s3lite::S3Store) -> s3lite::Result<()> {
    /// tokio::select! {
    ///     put = store.upload_file("big.bin", "/data/big.bin", None) => { put?; }
    ///     _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {
    ///         // The upload future was dropped: its abort runs in the background.
    ///         store.wait_for_background_aborts().await;
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_background_aborts(&self) {
        loop {
            let mut set = self.inner.background.take();
            if set.is_empty() {
                return;
            }
            while set.join_next().await.is_some() {}
        }
    }
}
