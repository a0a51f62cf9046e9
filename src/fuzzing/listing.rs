/// Fuzz entry point (stub, being written).
pub fn listing(_data: &[u8]) {}
