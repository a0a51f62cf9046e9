//! The in-memory backend (being written).

/// An in-memory tree (being written).
#[derive(Debug, Default)]
pub struct MemoryFs;
