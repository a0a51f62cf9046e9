/// Fuzz entry point (stub, being written).
pub fn addr(_data: &[u8]) {}
