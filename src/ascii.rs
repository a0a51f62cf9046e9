//! `TYPE A` line-ending conversion, as pure incremental functions the adapter runs on
//! each block it moves (the core never sees file bytes).
//!
//! The network form of ASCII is CRLF line endings (RFC 959 §3.1.1.1); files on the
//! disk (and in a client's files) use LF. Both converters take a chunk at a time and carry one byte of state, so
//! a CR split from its LF by a block boundary is handled.
//!
//! ```
//! use sansftp::ascii::{FromCrlf, ToCrlf};
//!
//! let mut out = Vec::new();
//! let mut enc = ToCrlf::new();
//! enc.convert(b"a\nb\r", &mut out);
//! enc.convert(b"\nc\n", &mut out);
//! assert_eq!(out, b"a\r\nb\r\nc\r\n");
//!
//! let mut back = Vec::new();
//! let mut dec = FromCrlf::new();
//! dec.convert(b"a\r\nb\r", &mut back);
//! dec.convert(b"\nc\r", &mut back);
//! dec.finish(&mut back);
//! assert_eq!(back, b"a\nb\nc\r");
//! ```

/// Converts LF to CRLF for sending (`RETR`, listings). An LF already preceded by CR is
/// left alone, so a file that already has CRLF endings is not doubled.
#[derive(Debug, Clone, Copy, Default)]
pub struct ToCrlf {
    last_was_cr: bool,
}

/// Converts CRLF to LF for receiving (`STOR`, `APPE`). A CR not followed by LF is kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct FromCrlf {
    held_cr: bool,
}

impl ToCrlf {
    /// A converter at the start of a file.
    pub fn new() -> ToCrlf {
        ToCrlf::default()
    }

    /// Appends `input`, converted, to `out`. Call once per block, in order.
    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / 16);
        let mut rest = input;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            out.extend_from_slice(&rest[..i]);
            let before_is_cr = if i == 0 {
                self.last_was_cr
            } else {
                rest[i - 1] == b'\r'
            };
            if !before_is_cr {
                out.push(b'\r');
            }
            out.push(b'\n');
            self.last_was_cr = false;
            rest = &rest[i + 1..];
        }
        out.extend_from_slice(rest);
        if let Some(&last) = input.last() {
            self.last_was_cr = last == b'\r';
        }
    }
}

impl FromCrlf {
    /// A converter at the start of a file.
    pub fn new() -> FromCrlf {
        FromCrlf::default()
    }

    /// Appends `input`, converted, to `out`. A CR at the end of `input` is held back
    /// until the next call (or [`finish`](FromCrlf::finish)) shows whether an LF follows.
    pub fn convert(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + 1);
        let mut rest = input;
        if self.held_cr && !rest.is_empty() {
            self.held_cr = false;
            if rest[0] != b'\n' {
                out.push(b'\r');
            }
        }
        while let Some(i) = memchr::memchr(b'\r', rest) {
            out.extend_from_slice(&rest[..i]);
            match rest.get(i + 1) {
                // CRLF: drop the CR, the LF is copied with the next run.
                Some(b'\n') => {}
                Some(_) => out.push(b'\r'),
                None => self.held_cr = true,
            }
            rest = &rest[i + 1..];
        }
        out.extend_from_slice(rest);
    }

    /// Writes a CR held back at the end of the data. Call once at end of file.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.held_cr) {
            out.push(b'\r');
        }
    }
}

/// One-shot [`ToCrlf`] over a whole buffer.
pub fn to_crlf(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    ToCrlf::new().convert(input, &mut out);
    out
}

/// One-shot [`FromCrlf`] over a whole buffer.
pub fn from_crlf(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut c = FromCrlf::new();
    c.convert(input, &mut out);
    c.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        assert_eq!(to_crlf(b"a\nb\r\nc"), b"a\r\nb\r\nc");
        assert_eq!(to_crlf(b"\n\n"), b"\r\n\r\n");
        assert_eq!(from_crlf(b"a\r\nb\rc\r"), b"a\nb\rc\r");
        assert_eq!(from_crlf(b"\r\r\n"), b"\r\n");
    }

    proptest! {
        #[test]
        fn chunking_does_not_matter(data in proptest::collection::vec(
            prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'x')], 0..64),
            cuts in proptest::collection::vec(0usize..64, 0..6)) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
            cuts.sort_unstable();
            let mut enc = ToCrlf::new();
            let mut dec = FromCrlf::new();
            let (mut e, mut d) = (Vec::new(), Vec::new());
            let mut start = 0;
            for &c in cuts.iter().chain(std::iter::once(&data.len())) {
                enc.convert(&data[start..c], &mut e);
                dec.convert(&data[start..c], &mut d);
                start = c;
            }
            dec.finish(&mut d);
            prop_assert_eq!(e, to_crlf(&data));
            prop_assert_eq!(d, from_crlf(&data));
        }

        #[test]
        fn lf_text_round_trips(data in proptest::collection::vec(
            prop_oneof![Just(b'\n'), Just(b'x')], 0..64)) {
            let wire = to_crlf(&data);
            prop_assert!(!wire.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r')
                && wire.first() != Some(&b'\n'));
            prop_assert_eq!(from_crlf(&wire), data);
        }
    }
}
