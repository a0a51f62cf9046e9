//! The local file-system backend (being written).

/// A directory tree on disk (being written).
#[derive(Debug)]
pub struct LocalFs;

/// Where an upload's bytes go until it completes (being written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMode {
    /// Write to a temporary name, rename into place on commit.
    Atomic,
}
