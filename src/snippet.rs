//! The quoted piece of bad input every error message carries: bounded, so a 10 KB line
//! from a peer never becomes a 10 KB log line, and lossy, so any bytes can be shown.

/// At most `max` bytes of `input`, lossily decoded, with `…` when cut.
pub(crate) fn snippet(input: &[u8], max: usize) -> String {
    let cut = input.len().min(max);
    let mut s = String::from_utf8_lossy(&input[..cut]).into_owned();
    if cut < input.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::snippet;

    #[test]
    fn bounded_and_lossy() {
        assert_eq!(snippet(b"short", 8), "short");
        assert_eq!(snippet(b"0123456789", 4), "0123…");
        assert_eq!(snippet(b"\xff\xfeok", 8), "\u{fffd}\u{fffd}ok");
        // A cut through a multi-byte character loses only that character.
        assert_eq!(snippet("café".as_bytes(), 4), "caf\u{fffd}…");
    }
}
