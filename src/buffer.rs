//! [`DataBuffer`]: the buffer every adapter moves file and socket data through,
//! starting on a page boundary.
//!
//! Why the start matters: a `read(2)` of a file copies from page-cache pages, which
//! start on page boundaries, into the caller's buffer. On the AMD EPYC machines this
//! project is measured on (`rep movsb` with FSRM, as Linux's `copy_to_user` uses),
//! that copy runs 3-5 times slower when the destination starts a few bytes after a
//! page boundary (8 to 24 bytes measured) than when it starts on one. A large `Vec<u8>`
//! from glibc's allocator starts exactly 16 bytes after a page boundary (its chunk
//! header), the slowest case: 64 KiB reads of a 256 MiB tmpfs file took 0.19-0.23 s
//! into such a buffer and 0.04-0.06 s into an aligned one (`examples/copy_alignment.rs`
//! measures it). A `DataBuffer` starts on a page boundary, whatever the allocator does.
//!
//! ```
//! use sansftp::buffer::DataBuffer;
//!
//! let mut buf = DataBuffer::new(64 * 1024);
//! assert_eq!(buf.len(), 64 * 1024);
//! assert_eq!(buf.as_ptr() as usize % sansftp::buffer::ALIGN, 0);
//! buf[..5].copy_from_slice(b"hello");
//! assert_eq!(&buf[..5], b"hello");
//! ```

use std::fmt;
use std::ops::{Deref, DerefMut};

/// The alignment of a [`DataBuffer`]'s first byte: a page (4 KiB on the platforms this
/// is built for; a larger page only needs a multiple of this).
pub const ALIGN: usize = 4096;

/// A zeroed byte buffer of a fixed length whose first byte is on an [`ALIGN`]
/// boundary; derefs to `[u8]`. Moving it (to a blocking pool and back) keeps its
/// alignment: the bytes stay where they are on the heap.
pub struct DataBuffer {
    /// `len` bytes from `start` are the buffer; the rest is the slack that aligns it.
    bytes: Vec<u8>,
    start: usize,
    len: usize,
}

impl DataBuffer {
    /// A zeroed buffer of `len` bytes (`ALIGN` more are reserved to align it; the pages
    /// of a large one are only touched when written).
    pub fn new(len: usize) -> DataBuffer {
        let bytes = vec![0u8; len + ALIGN];
        // `align_offset` may, by its contract, give up (usize::MAX): then the buffer
        // is merely unaligned (slower, still correct).
        let start = match bytes.as_ptr().align_offset(ALIGN) {
            offset if offset < ALIGN => offset,
            _ => 0,
        };
        DataBuffer { bytes, start, len }
    }
}

impl Deref for DataBuffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // In range: `start < ALIGN` and `bytes.len() == len + ALIGN`.
        &self.bytes[self.start..self.start + self.len]
    }
}

impl DerefMut for DataBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[self.start..self.start + self.len]
    }
}

impl fmt::Debug for DataBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataBuffer")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_on_a_page_boundary_at_every_size() {
        // Small ones come from the heap (any 16-byte boundary), large ones from mmap
        // (16 bytes past a page): both are aligned.
        for len in [0, 1, 100, 4095, 4096, 65_536, 512 * 1024, 4 << 20] {
            let buf = DataBuffer::new(len);
            assert_eq!(buf.len(), len);
            assert_eq!(buf.as_ptr() as usize % ALIGN, 0, "len {len}");
            assert!(buf.iter().all(|b| *b == 0));
        }
    }

    #[test]
    fn keeps_its_alignment_and_bytes_when_moved() {
        let mut buf = DataBuffer::new(8192);
        buf[8191] = 7;
        let moved = std::thread::spawn(move || buf).join().unwrap();
        assert_eq!(moved.as_ptr() as usize % ALIGN, 0);
        assert_eq!(moved[8191], 7);
        assert_eq!(moved.len(), 8192);
    }
}
