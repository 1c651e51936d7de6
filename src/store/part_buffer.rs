//! The part a [`MultipartWriter`](super::MultipartWriter) is filling, and
//! the pool its copy buffers come from.
//!
//! - Owned input (`put_part(Bytes)`, `put_stream`) is kept as the caller's
//!   chunks, sliced to the part boundaries but never copied: the part goes out
//!   as a [`RequestBody::Chunks`](crate::transport::RequestBody::Chunks) body
//!   that signs, checksums and retries as one.
//! - Borrowed input (`AsyncWrite::poll_write(&[u8])`) must be copied: into
//!   one buffer of a whole part, taken from a [`BufferPool`] that gets the
//!   buffer back once the part's upload is done with it, so a steady upload
//!   allocates nothing per part.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::{Bytes, BytesMut};

/// The part being filled.
#[derive(Default)]
pub(crate) struct PartBuffer {
    /// Complete chunks, in order.
    chunks: Vec<Bytes>,
    /// Bytes in `chunks` and `copy`.
    len: usize,
    /// Where borrowed bytes are copied; empty (no capacity) until needed.
    copy: BytesMut,
}

impl PartBuffer {
    /// Bytes held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether no byte is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends an owned chunk, without copying it.
    pub(crate) fn push(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        self.seal_copy();
        self.len += chunk.len();
        self.chunks.push(chunk);
    }

    /// Appends borrowed bytes by copying them, into a buffer of `part_size`
    /// bytes from `pool` when none is open.
    pub(crate) fn copy_from(&mut self, data: &[u8], part_size: usize, pool: &BufferPool) {
        if data.is_empty() {
            return;
        }
        if self.copy.capacity() == 0 {
            self.copy = pool.take(part_size);
        }
        self.copy.extend_from_slice(data);
        self.len += data.len();
    }

    /// The chunks of the part, in order; the buffer is empty afterwards.
    pub(crate) fn take(&mut self) -> Vec<Bytes> {
        self.seal_copy();
        self.len = 0;
        std::mem::take(&mut self.chunks)
    }

    /// Ends the open copy buffer as a chunk (the whole buffer, so the pool
    /// can have it back).
    fn seal_copy(&mut self) {
        if !self.copy.is_empty() {
            self.chunks.push(std::mem::take(&mut self.copy).freeze());
        }
    }
}

/// Copy buffers of one part size, at most `limit` kept (the writer's
/// concurrency plus the part being filled).
#[derive(Debug, Clone)]
pub(crate) struct BufferPool {
    free: Arc<Mutex<Vec<BytesMut>>>,
    limit: usize,
}

impl BufferPool {
    /// A pool keeping at most `limit` buffers.
    pub(crate) fn new(limit: usize) -> Self {
        BufferPool {
            free: Arc::default(),
            limit,
        }
    }

    /// An empty buffer of at least `capacity` bytes: a returned one, or a
    /// new allocation.
    pub(crate) fn take(&self, capacity: usize) -> BytesMut {
        let reused = self
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match reused {
            Some(mut b) if b.capacity() >= capacity => {
                b.clear();
                b
            }
            _ => BytesMut::with_capacity(capacity),
        }
    }

    /// Takes back the buffers of a sent part that nothing else holds any
    /// more and that are at least `capacity` bytes (the pool's own; a
    /// caller's chunk is simply dropped).
    pub(crate) fn give_back(&self, chunks: Vec<Bytes>, capacity: usize) {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        for chunk in chunks {
            if free.len() >= self.limit {
                return;
            }
            if let Ok(mut b) = chunk.try_into_mut()
                && b.capacity() >= capacity
            {
                b.clear();
                free.push(b);
            }
        }
    }

    /// Buffers waiting to be reused.
    #[cfg(test)]
    fn free(&self) -> usize {
        self.free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_chunks_are_kept_without_copying() {
        let data = Bytes::from(vec![7u8; 100]);
        let mut part = PartBuffer::default();
        part.push(data.slice(..40));
        part.push(data.slice(40..));
        assert_eq!(part.len(), 100);
        let chunks = part.take();
        assert_eq!(chunks.len(), 2);
        // The same memory as the caller's buffer: no copy was made.
        assert_eq!(chunks[0].as_ptr(), data.as_ptr());
        assert!(part.is_empty());
    }

    #[test]
    fn copied_bytes_reuse_a_pooled_buffer() {
        let pool = BufferPool::new(2);
        let mut part = PartBuffer::default();
        part.copy_from(b"abc", 1024, &pool);
        part.copy_from(b"def", 1024, &pool);
        part.push(Bytes::from_static(b"owned"));
        part.copy_from(b"ghi", 1024, &pool);
        let chunks = part.take();
        let joined: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
        assert_eq!(joined, b"abcdefownedghi");
        let first = chunks[0].as_ptr();
        // Sent and released: both copy buffers go back, the static chunk not.
        pool.give_back(chunks, 1024);
        assert_eq!(pool.free(), 2);
        let again = pool.take(1024);
        assert!(again.is_empty() && again.capacity() >= 1024);
        let reused = [again.as_ptr(), pool.take(1024).as_ptr()];
        assert!(reused.contains(&first), "a buffer was reused");
    }

    #[test]
    fn buffers_still_held_elsewhere_are_not_reclaimed() {
        let pool = BufferPool::new(4);
        let mut part = PartBuffer::default();
        part.copy_from(&[1u8; 10], 64, &pool);
        let chunks = part.take();
        let held = chunks[0].clone();
        pool.give_back(chunks, 64);
        assert_eq!(pool.free(), 0);
        drop(held);
    }
}
