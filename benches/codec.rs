//! Codec throughput bench (being written).
fn main() {}
