//! Stub: being written.

/// Stub error; replaced by the real module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stub")]
pub struct EncodeError;

/// Stub command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command;
