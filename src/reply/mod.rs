//! Replies: [`Reply`], the client's incremental [`Decoder`] (RFC 959 §4.2) and the
//! server's encoder ([`Reply::encode`]).
//!
//! # Wire form
//!
//! A single-line reply is `ddd text\r\n`. A multi-line reply opens with `ddd-text`, may hold
//! any number of free-text lines, and closes with the first line that starts with the same
//! code followed by a space (or the code alone):
//!
//! ```text
//! 211-Features:
//!  MDTM
//!  SIZE
//! 211 End
//! ```
//!
//! # What [`Reply::lines`] holds
//!
//! One entry per wire line, as raw bytes (non-UTF-8 text from odd servers survives):
//!
//! - the first and the last line without their `ddd-` / `ddd ` prefix;
//! - inner lines as sent, except that a leading `ddd-` with the reply's own code is
//!   removed. RFC 959 lets inner lines be free text, but many servers (ProFTPD, Pure-FTPd,
//!   IIS) repeat `ddd-` on every line; dropping it gives the same text for both styles.
//!   Anything else, including the leading space of FEAT and MLST lines, is kept, because
//!   those formats give the space a meaning.
//!
//! # Encoding and normalisation
//!
//! The constructors ([`Reply::new`], [`Reply::multiline`]) normalise their text so that
//! every reply they build survives a trip over the wire unchanged
//! (`decode(encode(r)) == r`):
//!
//! - a line break (`\n` or `\r\n`) inside a text splits it into lines; one trailing line
//!   break is ignored;
//! - any other CR, and NUL, becomes a space (they would break framing or truncate text in
//!   C clients);
//! - an inner line that starts with an ASCII digit gets a leading space, so that no client
//!   can mistake it for the closing line.
//!
//! [`Reply::encode`] applies the same rules to whatever it writes, so a reply that came
//! from the [`Decoder`] (which keeps bytes as the peer sent them) is also safe to
//! re-encode; it then reads back as `Reply::multiline(r.code(), r.lines())`.

use std::borrow::Cow;

use bytes::{BufMut, Bytes, BytesMut};

use crate::code::Code;

mod decode;

pub use decode::{DEFAULT_MAX_LINE, DEFAULT_MAX_LINES, DecodeError, Decoder};

/// A whole FTP reply: a code and one or more lines of text.
///
/// ```
/// use sansftp::{Code, Reply};
///
/// let reply = Reply::new(Code::READY, "Welcome\nto sansftp");
/// assert!(reply.is_multiline());
/// let mut wire = Vec::new();
/// reply.encode(&mut wire);
/// assert_eq!(wire, b"220-Welcome\r\n220 to sansftp\r\n");
/// assert_eq!(reply.text(), "Welcome\nto sansftp");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    code: Code,
    /// Never empty: a reply has at least one (possibly empty) line.
    lines: Vec<Bytes>,
}

impl Reply {
    /// A reply with `text`; a text holding line breaks becomes a multi-line reply. See the
    /// [module docs](self) for how the text is normalised.
    pub fn new(code: Code, text: impl AsRef<[u8]>) -> Reply {
        Reply::multiline(code, [text])
    }

    /// A reply with one line per item (a single item gives a single-line reply; no items
    /// give one empty line). Each item is normalised as in [`Reply::new`].
    ///
    /// ```
    /// use sansftp::{Code, Reply};
    ///
    /// let feat = Reply::multiline(Code::SYSTEM_STATUS, ["Features:", " MDTM", "End"]);
    /// let mut wire = Vec::new();
    /// feat.encode(&mut wire);
    /// assert_eq!(wire, b"211-Features:\r\n MDTM\r\n211 End\r\n");
    /// ```
    pub fn multiline<I>(code: Code, lines: I) -> Reply
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut out = Vec::new();
        for text in lines {
            split_text(text.as_ref(), &mut out);
        }
        if out.is_empty() {
            out.push(Bytes::new());
        }
        let last = out.len() - 1;
        if last > 1 {
            for line in &mut out[1..last] {
                if line.first().is_some_and(u8::is_ascii_digit) {
                    let mut spaced = Vec::with_capacity(line.len() + 1);
                    spaced.push(b' ');
                    spaced.extend_from_slice(line);
                    *line = Bytes::from(spaced);
                }
            }
        }
        Reply { code, lines: out }
    }

    /// Builds a reply from decoded lines, kept exactly as given.
    fn from_parts(code: Code, lines: Vec<Bytes>) -> Reply {
        debug_assert!(!lines.is_empty());
        Reply { code, lines }
    }

    /// The reply code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The text of each line, as raw bytes: the first and last without their code, inner
    /// lines as described in the [module docs](self). Never empty.
    pub fn lines(&self) -> &[Bytes] {
        &self.lines
    }

    /// Whether the reply spans more than one line.
    pub fn is_multiline(&self) -> bool {
        self.lines.len() > 1
    }

    /// The lines joined with `\n`, decoded as UTF-8 with invalid bytes replaced by U+FFFD.
    pub fn text(&self) -> Cow<'_, str> {
        if let [line] = self.lines.as_slice() {
            return String::from_utf8_lossy(line);
        }
        let mut text = String::new();
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            text.push_str(&String::from_utf8_lossy(line));
        }
        Cow::Owned(text)
    }

    /// The lines, lossily decoded: what [`StatusCodeError::info`](crate::StatusCodeError)
    /// holds.
    pub fn info(&self) -> Vec<String> {
        self.lines
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }

    /// Writes the reply in RFC 959 wire form, each line ending in CRLF. CR, LF and NUL in
    /// a line are written as spaces and digit-led inner lines get a leading space (see the
    /// [module docs](self)), so the output always frames as exactly this reply.
    pub fn encode<B: BufMut>(&self, out: &mut B) {
        let digits = self.code.digits();
        let last = self.lines.len() - 1;
        for (i, line) in self.lines.iter().enumerate() {
            if i == 0 || i == last {
                out.put_slice(&digits);
                out.put_u8(if i == last { b' ' } else { b'-' });
            } else if line.first().is_some_and(u8::is_ascii_digit) {
                out.put_u8(b' ');
            }
            put_sanitised(out, line);
            out.put_slice(b"\r\n");
        }
    }

    /// The encoded reply as bytes (see [`Reply::encode`]).
    pub fn to_bytes(&self) -> Bytes {
        let len: usize = self.lines.iter().map(|l| l.len() + 6).sum();
        let mut out = BytesMut::with_capacity(len);
        self.encode(&mut out);
        out.freeze()
    }
}

/// Splits one constructor text into normalised lines (see the module docs).
fn split_text(text: &[u8], out: &mut Vec<Bytes>) {
    let text = text
        .strip_suffix(b"\n")
        .map(|t| t.strip_suffix(b"\r").unwrap_or(t))
        .unwrap_or(text);
    let mut pieces = text.split(|&b| b == b'\n').peekable();
    while let Some(piece) = pieces.next() {
        // A CR right before a LF belongs to the line break; any other CR is text.
        let piece = match pieces.peek() {
            Some(_) => piece.strip_suffix(b"\r").unwrap_or(piece),
            None => piece,
        };
        let mut line = Vec::with_capacity(piece.len());
        put_sanitised(&mut line, piece);
        out.push(Bytes::from(line));
    }
}

/// Copies `text` with CR, LF and NUL replaced by spaces.
fn put_sanitised<B: BufMut>(out: &mut B, mut text: &[u8]) {
    while let Some(i) = memchr::memchr3(b'\r', b'\n', 0, text) {
        out.put_slice(&text[..i]);
        out.put_u8(b' ');
        text = &text[i + 1..];
    }
    out.put_slice(text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(v: u16) -> Code {
        Code::new(v).unwrap()
    }

    fn wire(r: &Reply) -> Vec<u8> {
        let mut out = Vec::new();
        r.encode(&mut out);
        out
    }

    fn decode_one(bytes: &[u8]) -> Reply {
        let mut d = Decoder::new();
        d.push(bytes);
        let reply = d.next_reply().unwrap().expect("one whole reply");
        assert_eq!(d.next_reply(), Ok(None));
        assert!(!d.has_partial());
        reply
    }

    #[test]
    fn single_line_encodes_as_one_line() {
        let r = Reply::new(code(200), "Command okay.");
        assert!(!r.is_multiline());
        assert_eq!(wire(&r), b"200 Command okay.\r\n");
        assert_eq!(&r.to_bytes()[..], b"200 Command okay.\r\n");
        assert_eq!(wire(&Reply::new(code(250), "")), b"250 \r\n");
        assert_eq!(wire(&Reply::multiline(code(250), [""; 0])), b"250 \r\n");
    }

    #[test]
    fn text_with_line_breaks_becomes_multiline() {
        let r = Reply::new(code(220), "Welcome\r\nto\nthe server\n");
        assert_eq!(r.lines(), ["Welcome", "to", "the server"]);
        assert_eq!(wire(&r), b"220-Welcome\r\nto\r\n220 the server\r\n");
        assert_eq!(r.text(), "Welcome\nto\nthe server");
        assert_eq!(r.info(), ["Welcome", "to", "the server"]);
        // Items of multiline() are split the same way.
        let m = Reply::multiline(code(211), ["a\nb", "c"]);
        assert_eq!(m.lines(), ["a", "b", "c"]);
        // Empty lines in the middle survive.
        assert_eq!(Reply::new(code(220), "a\n\nb").lines(), ["a", "", "b"]);
    }

    #[test]
    fn lone_cr_and_nul_become_spaces() {
        let r = Reply::new(code(200), "a\rb\0c\r");
        assert_eq!(r.lines(), ["a b c "]);
        assert_eq!(wire(&r), b"200 a b c \r\n");
    }

    #[test]
    fn digit_led_inner_lines_get_a_space() {
        let r = Reply::multiline(
            code(211),
            ["Status", "211 not the end", "123", "211-x", "x 1", "9"],
        );
        assert_eq!(
            r.lines(),
            ["Status", " 211 not the end", " 123", " 211-x", "x 1", "9"]
        );
        assert_eq!(
            wire(&r),
            b"211-Status\r\n 211 not the end\r\n 123\r\n 211-x\r\nx 1\r\n211 9\r\n"
        );
        // The first and last lines follow the code, so digits there are safe.
        let r = Reply::multiline(code(211), ["1", "2"]);
        assert_eq!(wire(&r), b"211-1\r\n211 2\r\n");
    }

    #[test]
    fn encoder_sanitises_decoded_lines() {
        // The decoder keeps what the peer sent, including a CR and a digit-led inner line.
        let r = decode_one(b"211-a\rb\r\n123-inner\r\n211 end\r\r\n");
        assert_eq!(r.lines(), ["a\rb", "123-inner", "end\r"]);
        let again = decode_one(&wire(&r));
        assert_eq!(again, Reply::multiline(r.code(), r.lines()));
        assert_eq!(again.lines(), ["a b", " 123-inner", "end "]);
    }

    #[test]
    fn text_is_lossy_but_lines_are_not() {
        let r = decode_one(b"550 caf\xe9\r\n");
        assert_eq!(r.lines()[0], &b"caf\xe9"[..]);
        assert_eq!(r.text(), "caf\u{fffd}");
        assert_eq!(wire(&r), b"550 caf\xe9\r\n");
    }

    fn any_code() -> impl Strategy<Value = Code> {
        (100u16..=599).prop_map(|v| Code::new(v).unwrap())
    }

    fn any_line() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..24),
            // Lines that look like codes, separators and breaks are the interesting ones.
            proptest::collection::vec(prop::sample::select(b"0123456789 -\r\n\0a".to_vec()), 0..12),
        ]
    }

    proptest! {
        #[test]
        fn decode_of_encode_is_identity(
            code in any_code(),
            lines in proptest::collection::vec(any_line(), 0..8),
        ) {
            let r = Reply::multiline(code, &lines);
            prop_assert!(!r.lines().is_empty());
            prop_assert_eq!(decode_one(&wire(&r)), r);
        }

        #[test]
        fn constructors_are_idempotent(
            code in any_code(),
            lines in proptest::collection::vec(any_line(), 0..8),
        ) {
            let r = Reply::multiline(code, &lines);
            prop_assert_eq!(Reply::multiline(code, r.lines()), r);
        }
    }
}
