/// Fuzz entry point (stub, being written).
pub fn command_line(_data: &[u8]) {}
