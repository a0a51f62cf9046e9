//! The client's incremental reply decoder.

use bytes::{Buf, Bytes};

use super::Reply;
use crate::code::Code;
use crate::line::{Head, Line, LineBuffer};

/// Default longest reply line, in bytes, not counting its line ending. MLST fact lines
/// carry a whole path (up to 4 KiB on Linux) plus facts, so 4 KiB would be too tight.
pub const DEFAULT_MAX_LINE: usize = 8192;

/// Default most lines in one reply. STAT of a directory and HELP can run long. With
/// [`DEFAULT_MAX_LINE`] this bounds one reply at about 80 MiB in the worst case; lower
/// both with [`Decoder::with_limits`] to bound it tighter.
pub const DEFAULT_MAX_LINES: usize = 10_000;

/// The shortest `max_line` accepted: a bare code. Below it, an over-long line could end
/// before its code is known, and the decoder could not resynchronise on it.
const MIN_MAX_LINE: usize = 3;

/// How much of a bad line an error quotes.
const SNIPPET_LEN: usize = 48;

/// Incremental reply decoder (RFC 959 §4.2) for the client side of a control connection.
///
/// Feed it bytes as they arrive with [`push`](Decoder::push), in any split, then call
/// [`next_reply`](Decoder::next_reply) until it returns `Ok(None)`. Results do not depend
/// on how the bytes were split.
///
/// Lines may end in CRLF or a bare LF. Inside a multi-line reply only a line starting with
/// the opening code followed by a space (or the code alone) closes it. A line shaped like
/// a closing line but with a *different* valid code is a
/// [`DecodeError::MismatchedCode`]: RFC 959 would read it as text, but in practice it
/// comes from a broken server whose reply closes with another code, and reading it as text
/// would swallow every later reply into this one. Our own encoder never sends such a line.
///
/// # After an error
///
/// Every error consumes what caused it and the decoder stays usable: it drops the bad line
/// (or, inside a multi-line reply, the rest of that reply up to its closing line) and goes
/// on with the next reply. A client usually closes the connection anyway. Memory is
/// bounded by the limits: an over-long line is discarded as it arrives, never buffered
/// whole.
///
/// ```
/// use sansftp::reply::Decoder;
///
/// let mut decoder = Decoder::new();
/// decoder.push(b"211-Features:\r\n MDTM\r\n");
/// assert_eq!(decoder.next_reply(), Ok(None)); // not closed yet
/// decoder.push(b"211 End\r\n226 done\n");
/// let feat = decoder.next_reply().unwrap().unwrap();
/// assert_eq!(feat.lines(), ["Features:", " MDTM", "End"]);
/// assert_eq!(decoder.next_reply().unwrap().unwrap().code().value(), 226);
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    buf: LineBuffer,
    state: State,
    max_lines: usize,
}

/// Why the peer's bytes are not a valid reply stream.
///
/// The message is one self-contained line; quoted text is shortened and escaped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A line was longer than the decoder's limit; it was discarded.
    #[error("reply line longer than {limit} bytes")]
    LineTooLong {
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// A multi-line reply had more lines than the decoder's limit; the rest of it was
    /// discarded.
    #[error("multi-line reply longer than {limit} lines")]
    TooManyLines {
        /// The limit in force, in lines.
        limit: usize,
    },
    /// A reply did not start with a valid three-digit code (`100`..=`599`).
    #[error("expected a 3-digit reply code, got {line:?}")]
    InvalidCode {
        /// The start of the line, lossily decoded.
        line: String,
    },
    /// The code was followed by something other than a space, `-` or the line end.
    #[error("expected a space or '-' after reply code {code}, got {line:?}")]
    BadSeparator {
        /// The code the line started with.
        code: Code,
        /// The start of the line, lossily decoded.
        line: String,
    },
    /// A multi-line reply was closed by a line with another code.
    #[error("multi-line reply opened with {opening} but closed with {closing}")]
    MismatchedCode {
        /// The code of the opening line.
        opening: Code,
        /// The code of the line that closed it.
        closing: Code,
    },
}

impl Decoder {
    /// A decoder with the default limits ([`DEFAULT_MAX_LINE`], [`DEFAULT_MAX_LINES`]).
    pub fn new() -> Decoder {
        Decoder::with_limits(DEFAULT_MAX_LINE, DEFAULT_MAX_LINES)
    }

    /// A decoder that refuses lines longer than `max_line` bytes (not counting the line
    /// ending; raised to 3 if lower) and replies of more than `max_lines` lines (raised to
    /// 1 if lower).
    pub fn with_limits(max_line: usize, max_lines: usize) -> Decoder {
        Decoder {
            buf: LineBuffer::new(max_line.max(MIN_MAX_LINE)),
            state: State::Idle,
            max_lines: max_lines.max(1),
        }
    }

    /// The longest line accepted, in bytes.
    pub fn max_line(&self) -> usize {
        self.buf.max_line()
    }

    /// The most lines one reply may have.
    pub fn max_lines(&self) -> usize {
        self.max_lines
    }

    /// Appends bytes read from the control connection.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.push(bytes);
    }

    /// The next whole reply, `Ok(None)` if more bytes are needed, or an error for bad
    /// input (the decoder can go on after it; see the type docs).
    pub fn next_reply(&mut self) -> Result<Option<Reply>, DecodeError> {
        loop {
            match self.buf.next_line() {
                None => return Ok(None),
                Some(Line::Whole(line)) => {
                    if let Some(done) = self.on_line(line) {
                        return done.map(Some);
                    }
                }
                Some(Line::TooLong { head }) => {
                    if let Some(err) = self.on_too_long(head) {
                        return Err(err);
                    }
                }
            }
        }
    }

    /// Whether bytes of an unfinished reply are held (useful when the peer closes).
    pub fn has_partial(&self) -> bool {
        self.buf.has_partial() || !matches!(self.state, State::Idle)
    }

    /// Handles one whole line; `Some` when it finishes a reply or is an error.
    fn on_line(&mut self, mut line: Bytes) -> Option<Result<Reply, DecodeError>> {
        match std::mem::replace(&mut self.state, State::Idle) {
            State::Idle => {
                let Some(code) = line.get(..3).and_then(parse_code) else {
                    return Some(Err(DecodeError::InvalidCode {
                        line: snippet(&line),
                    }));
                };
                match line.get(3) {
                    None => Some(Ok(Reply::from_parts(code, vec![Bytes::new()]))),
                    Some(b' ') => {
                        line.advance(4);
                        Some(Ok(Reply::from_parts(code, vec![line])))
                    }
                    Some(b'-') if self.max_lines < 2 => {
                        self.state = State::Skip;
                        Some(Err(DecodeError::TooManyLines {
                            limit: self.max_lines,
                        }))
                    }
                    Some(b'-') => {
                        line.advance(4);
                        let mut lines = Vec::with_capacity(4);
                        lines.push(line);
                        self.state = State::Multi { code, lines };
                        None
                    }
                    Some(_) => Some(Err(DecodeError::BadSeparator {
                        code,
                        line: snippet(&line),
                    })),
                }
            }
            State::Multi { code, mut lines } => match closing_code(&line) {
                Some(closing) if closing == code => {
                    line.advance(line.len().min(4));
                    lines.push(line);
                    Some(Ok(Reply::from_parts(code, lines)))
                }
                Some(closing) => Some(Err(DecodeError::MismatchedCode {
                    opening: code,
                    closing,
                })),
                None if lines.len() + 1 >= self.max_lines => {
                    // This line plus the closing one would pass the limit.
                    self.state = State::Skip;
                    Some(Err(DecodeError::TooManyLines {
                        limit: self.max_lines,
                    }))
                }
                None => {
                    let digits = code.digits();
                    let repeats_code = line.len() >= 4 && line[..3] == digits && line[3] == b'-';
                    if repeats_code {
                        line.advance(4);
                    }
                    lines.push(line);
                    self.state = State::Multi { code, lines };
                    None
                }
            },
            State::Skip => {
                if closing_code(&line).is_none() {
                    self.state = State::Skip;
                }
                None
            }
        }
    }

    /// Handles an over-long (discarded) line whose first bytes are `head`; `Some` error
    /// unless the line was already inside a reply being skipped.
    fn on_too_long(&mut self, head: Head) -> Option<DecodeError> {
        let head = head.as_bytes();
        let closes = closing_code(head).is_some();
        let err = DecodeError::LineTooLong {
            limit: self.max_line(),
        };
        match std::mem::replace(&mut self.state, State::Idle) {
            State::Idle => {
                // An over-long opening line: skip the rest of its reply, to stay in step.
                if head.len() == 4 && head[3] == b'-' && parse_code(&head[..3]).is_some() {
                    self.state = State::Skip;
                }
                Some(err)
            }
            State::Multi { .. } => {
                if !closes {
                    self.state = State::Skip;
                }
                Some(err)
            }
            State::Skip => {
                if !closes {
                    self.state = State::Skip;
                }
                None
            }
        }
    }
}

impl Default for Decoder {
    fn default() -> Decoder {
        Decoder::new()
    }
}

#[derive(Debug, Clone)]
enum State {
    /// Between replies.
    Idle,
    /// Inside a multi-line reply opened with `code`.
    Multi { code: Code, lines: Vec<Bytes> },
    /// Dropping the rest of a multi-line reply that already gave an error, up to the next
    /// line shaped like a closing line (any code: the mismatched case also ends a reply).
    Skip,
}

/// The code of a line shaped like the end of a multi-line reply: a valid code followed by
/// a space, or alone.
fn closing_code(line: &[u8]) -> Option<Code> {
    match line.get(3) {
        None | Some(b' ') => parse_code(line.get(..3)?),
        Some(_) => None,
    }
}

/// Three ASCII digits forming a valid code. Cheaper than `Code::from_digits`, which builds
/// an error message on failure: this runs on every inner line.
fn parse_code(digits: &[u8]) -> Option<Code> {
    Code::from_digits(digits).ok()
}

fn snippet(line: &[u8]) -> String {
    crate::snippet::snippet(line, SNIPPET_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Item = Result<Reply, DecodeError>;

    fn code(v: u16) -> Code {
        Code::new(v).unwrap()
    }

    fn drain(d: &mut Decoder, out: &mut Vec<Item>) {
        loop {
            match d.next_reply() {
                Ok(None) => return,
                Ok(Some(r)) => out.push(Ok(r)),
                Err(e) => out.push(Err(e)),
            }
        }
    }

    fn all(d: &mut Decoder, bytes: &[u8]) -> Vec<Item> {
        d.push(bytes);
        let mut out = Vec::new();
        drain(d, &mut out);
        out
    }

    fn one_by_one(d: &mut Decoder, bytes: &[u8]) -> Vec<Item> {
        let mut out = Vec::new();
        for b in bytes {
            d.push(std::slice::from_ref(b));
            drain(d, &mut out);
        }
        out
    }

    fn decode(bytes: &[u8]) -> Vec<Item> {
        all(&mut Decoder::new(), bytes)
    }

    fn reply(v: u16, lines: &[&str]) -> Item {
        Ok(Reply::from_parts(
            code(v),
            lines
                .iter()
                .map(|l| Bytes::copy_from_slice(l.as_bytes()))
                .collect(),
        ))
    }

    #[test]
    fn single_lines_with_and_without_text() {
        assert_eq!(
            decode(b"220 (vsFTPd 3.0.3)\r\n250 \r\n200\r\n"),
            [
                reply(220, &["(vsFTPd 3.0.3)"]),
                reply(250, &[""]),
                reply(200, &[""])
            ]
        );
    }

    #[test]
    fn multiline_with_digit_led_and_empty_inner_lines() {
        let got = decode(
            b"211-Features:\r\n MDTM\r\n123-not the end\r\n\r\n1234 nor this\r\n211 End\r\n",
        );
        assert_eq!(
            got,
            [reply(
                211,
                &[
                    "Features:",
                    " MDTM",
                    "123-not the end",
                    "",
                    "1234 nor this",
                    "End"
                ]
            )]
        );
        // The code alone closes too, and an inner line of invalid code shape is text.
        assert_eq!(
            decode(b"150-a\r\n099 b\r\n600 c\r\n150\r\n"),
            [reply(150, &["a", "099 b", "600 c", ""])]
        );
    }

    #[test]
    fn repeated_code_prefix_is_stripped_from_inner_lines() {
        let got = decode(
            b"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n\
              220-You are user number 1 of 50 allowed.\r\n\
              220-Local time is now 10:00.\r\n\
              220 You will be disconnected after 15 minutes of inactivity.\r\n",
        );
        assert_eq!(
            got,
            [reply(
                220,
                &[
                    "--------- Welcome to Pure-FTPd [privsep] [TLS] ----------",
                    "You are user number 1 of 50 allowed.",
                    "Local time is now 10:00.",
                    "You will be disconnected after 15 minutes of inactivity.",
                ]
            )]
        );
        // Only the reply's own code is stripped.
        assert_eq!(
            decode(b"230-a\r\n231-b\r\n230 c\r\n"),
            [reply(230, &["a", "231-b", "c"])]
        );
    }

    #[test]
    fn mismatched_closing_code_is_an_error_then_decoding_goes_on() {
        assert_eq!(
            decode(b"150-Opening\r\n226 Transfer complete\r\n200 ok\r\n"),
            [
                Err(DecodeError::MismatchedCode {
                    opening: code(150),
                    closing: code(226)
                }),
                reply(200, &["ok"]),
            ]
        );
        let e = DecodeError::MismatchedCode {
            opening: code(150),
            closing: code(226),
        };
        assert_eq!(
            e.to_string(),
            "multi-line reply opened with 150 but closed with 226"
        );
    }

    #[test]
    fn bare_lf_and_stray_cr() {
        assert_eq!(
            decode(b"220-hi\n there\n220 ok\n331 pw\r\n"),
            [reply(220, &["hi", " there", "ok"]), reply(331, &["pw"])]
        );
        // Only one CR before the LF is part of the line ending.
        assert_eq!(decode(b"200 a\r\r\n"), [reply(200, &["a\r"])]);
    }

    #[test]
    fn non_utf8_is_kept() {
        let got = decode(b"257 \"/caf\xe9\xff\"\r\n");
        let r = got[0].as_ref().unwrap();
        assert_eq!(r.lines()[0], &b"\"/caf\xe9\xff\""[..]);
    }

    #[test]
    fn invalid_first_lines() {
        assert_eq!(
            decode(b"HTTP/1.1 400 Bad Request\r\n"),
            [Err(DecodeError::InvalidCode {
                line: "HTTP/1.1 400 Bad Request".into()
            })]
        );
        assert_eq!(
            decode(b"600 no\r\n099 no\r\n22\r\n\r\n"),
            [
                Err(DecodeError::InvalidCode {
                    line: "600 no".into()
                }),
                Err(DecodeError::InvalidCode {
                    line: "099 no".into()
                }),
                Err(DecodeError::InvalidCode { line: "22".into() }),
                Err(DecodeError::InvalidCode { line: "".into() }),
            ]
        );
        assert_eq!(
            decode(b"220x\r\n220 fine\r\n"),
            [
                Err(DecodeError::BadSeparator {
                    code: code(220),
                    line: "220x".into()
                }),
                reply(220, &["fine"]),
            ]
        );
        let e = &decode(b"HTTP/1.1 400 Bad Request\r\n")[0];
        assert_eq!(
            e.as_ref().unwrap_err().to_string(),
            "expected a 3-digit reply code, got \"HTTP/1.1 400 Bad Request\""
        );
    }

    #[test]
    fn error_snippets_are_short_and_one_line() {
        let mut line = b"\x1b[31m\n".to_vec();
        line.splice(0..0, std::iter::repeat_n(b'x', 100));
        let err = decode(&line).remove(0).unwrap_err();
        let msg = err.to_string();
        assert!(msg.len() < 100, "{msg}");
        assert!(msg.ends_with("…\""), "{msg}");
        let err = decode(b"\x1b[2J\r\n").remove(0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected a 3-digit reply code, got \"\\u{1b}[2J\""
        );
    }

    #[test]
    fn line_too_long_is_dropped_and_decoding_goes_on() {
        let mut d = Decoder::with_limits(16, 100);
        let mut input = b"200 ".to_vec();
        input.extend(std::iter::repeat_n(b'a', 13)); // 17 bytes: one over
        input.extend_from_slice(b"\r\n200 twelve chars\r\n"); // 16 + CRLF: fits
        input.extend_from_slice(b"200 ok\r\n");
        let got = all(&mut d, &input);
        assert_eq!(
            got,
            [
                Err(DecodeError::LineTooLong { limit: 16 }),
                reply(200, &["twelve chars"]),
                reply(200, &["ok"]),
            ]
        );
        assert_eq!(
            got[0].as_ref().unwrap_err().to_string(),
            "reply line longer than 16 bytes"
        );
    }

    #[test]
    fn long_line_is_not_buffered() {
        let mut d = Decoder::with_limits(64, 100);
        let mut out = Vec::new();
        d.push(b"220 ");
        for _ in 0..1000 {
            d.push(&[b'x'; 100]);
            drain(&mut d, &mut out);
            assert!(d.buf.len() <= 200, "buffered {}", d.buf.len());
        }
        d.push(b"\r\n220 next\r\n");
        drain(&mut d, &mut out);
        assert_eq!(
            out,
            [
                Err(DecodeError::LineTooLong { limit: 64 }),
                reply(220, &["next"])
            ]
        );
        assert!(!d.has_partial());
    }

    #[test]
    fn too_long_line_inside_multiline_skips_that_reply() {
        let mut d = Decoder::with_limits(16, 100);
        let input = b"211-a\r\n 0123456789abcdefghij\r\n more\r\n211 end\r\n200 ok\r\n";
        assert_eq!(
            all(&mut d, input),
            [
                Err(DecodeError::LineTooLong { limit: 16 }),
                reply(200, &["ok"])
            ]
        );
        // An over-long opening line skips its reply too; an over-long closing line ends it.
        let input = b"211-0123456789abcdefghij\r\n x\r\n211 end\r\n212-a\r\n212 0123456789abcdefghij\r\n200 ok\r\n";
        assert_eq!(
            all(&mut d, input),
            [
                Err(DecodeError::LineTooLong { limit: 16 }),
                Err(DecodeError::LineTooLong { limit: 16 }),
                reply(200, &["ok"]),
            ]
        );
    }

    #[test]
    fn line_count_limit() {
        // Four lines fit a limit of four; five do not.
        let mut d = Decoder::with_limits(100, 4);
        assert_eq!(
            all(&mut d, b"211-a\r\nb\r\nc\r\n211 d\r\n"),
            [reply(211, &["a", "b", "c", "d"])]
        );
        assert_eq!(
            all(&mut d, b"211-a\r\nb\r\nc\r\nd\r\ne\r\n211 f\r\n200 ok\r\n"),
            [
                Err(DecodeError::TooManyLines { limit: 4 }),
                reply(200, &["ok"])
            ]
        );
        assert_eq!(
            DecodeError::TooManyLines { limit: 4 }.to_string(),
            "multi-line reply longer than 4 lines"
        );
        // With a limit of one line, no multi-line reply can fit.
        let mut d = Decoder::with_limits(100, 0);
        assert_eq!(d.max_lines(), 1);
        assert_eq!(
            all(&mut d, b"211-a\r\n211 b\r\n200 ok\r\n"),
            [
                Err(DecodeError::TooManyLines { limit: 1 }),
                reply(200, &["ok"])
            ]
        );
    }

    #[test]
    fn partial_state_is_reported() {
        let mut d = Decoder::new();
        assert!(!d.has_partial());
        d.push(b"211-a\r\n");
        assert_eq!(d.next_reply(), Ok(None));
        assert!(d.has_partial());
        d.push(b"211 b");
        assert_eq!(d.next_reply(), Ok(None));
        d.push(b"\r\n");
        assert!(d.next_reply().unwrap().is_some());
        assert!(!d.has_partial());
    }

    /// Lines from which streams are built: valid, tricky and broken.
    fn any_stream() -> impl Strategy<Value = Vec<u8>> {
        let line = prop_oneof![
            Just(b"220 ready".to_vec()),
            Just(b"211-Features:".to_vec()),
            Just(b" MDTM".to_vec()),
            Just(b"211 End".to_vec()),
            Just(b"211-inner".to_vec()),
            Just(b"212 other".to_vec()),
            Just(b"150".to_vec()),
            Just(b"150-".to_vec()),
            Just(b"HTTP/1.1".to_vec()),
            Just(Vec::new()),
            Just(vec![b'x'; 40]),
            Just([b"211-".as_slice(), &[b'y'; 40]].concat()),
            Just([b"211 ".as_slice(), &[b'y'; 40]].concat()),
            proptest::collection::vec(any::<u8>(), 0..12),
        ];
        let ending = prop_oneof![Just(&b"\r\n"[..]), Just(&b"\n"[..]), Just(&b""[..])];
        proptest::collection::vec((line, ending), 0..24).prop_map(|parts| {
            parts
                .into_iter()
                .flat_map(|(l, e)| l.into_iter().chain(e.iter().copied()))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn split_does_not_change_results(
            stream in any_stream(),
            cut in any::<prop::sample::Index>(),
        ) {
            let whole = all(&mut Decoder::with_limits(32, 6), &stream);
            let bytewise = one_by_one(&mut Decoder::with_limits(32, 6), &stream);
            prop_assert_eq!(&whole, &bytewise);
            let cut = cut.index(stream.len() + 1);
            let mut d = Decoder::with_limits(32, 6);
            let mut two = all(&mut d, &stream[..cut]);
            two.extend(all(&mut d, &stream[cut..]));
            prop_assert_eq!(&whole, &two);
        }

        #[test]
        fn decoded_replies_reencode_to_their_normal_form(stream in any_stream()) {
            for r in decode(&stream).into_iter().flatten() {
                let mut wire = Vec::new();
                r.encode(&mut wire);
                let again = decode(&wire);
                prop_assert_eq!(again, vec![Ok(Reply::multiline(r.code(), r.lines()))]);
            }
        }
    }
}
