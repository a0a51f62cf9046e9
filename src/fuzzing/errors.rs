/// Fuzz entry point (stub, being written).
pub fn errors(_data: &[u8]) {}
