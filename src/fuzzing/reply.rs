/// Fuzz entry point (stub, being written).
pub fn reply_decoder(_data: &[u8]) {}
