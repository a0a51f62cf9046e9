//! Line framing shared by the reply decoder and the command line decoder.
//!
//! Both sides of a control connection read lines that end in CRLF or a bare LF, bounded
//! by a length limit. [`LineBuffer`] holds the bytes of unfinished lines, splits whole
//! lines off without copying them, and drops an over-long line as it arrives, so memory
//! stays bounded by the limit.

use bytes::{Bytes, BytesMut};
use memchr::memchr;

/// A buffer of received bytes, cut into lines.
#[derive(Debug, Clone)]
pub(crate) struct LineBuffer {
    buf: BytesMut,
    /// `buf[..scanned]` is known to hold no LF, so a search resumes after it.
    scanned: usize,
    /// The rest of an over-long line is being dropped up to its LF.
    discarding: bool,
    max_line: usize,
}

/// One line taken off a [`LineBuffer`].
pub(crate) enum Line {
    /// A whole line, without its line ending.
    Whole(Bytes),
    /// A line longer than the limit, dropped (the rest of it is dropped as it arrives).
    TooLong {
        /// Its first bytes.
        head: Head,
    },
}

/// The first bytes of a dropped line: enough to tell a reply code and its separator.
pub(crate) struct Head {
    bytes: [u8; 4],
    len: usize,
}

impl Head {
    #[inline]
    fn of(line: &[u8]) -> Head {
        let mut bytes = [0; 4];
        let len = line.len().min(4);
        bytes[..len].copy_from_slice(&line[..len]);
        Head { bytes, len }
    }

    /// The bytes held: up to 4, fewer only if the line was that short.
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl LineBuffer {
    /// An empty buffer for lines of at most `max_line` bytes, not counting the line ending.
    pub(crate) fn new(max_line: usize) -> LineBuffer {
        LineBuffer {
            buf: BytesMut::new(),
            scanned: 0,
            discarding: false,
            max_line,
        }
    }

    /// The longest line accepted, in bytes.
    #[inline]
    pub(crate) fn max_line(&self) -> usize {
        self.max_line
    }

    /// Appends received bytes, dropping those of an over-long line up to its LF.
    #[inline]
    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        if self.discarding {
            let Some(lf) = memchr(b'\n', bytes) else {
                return;
            };
            self.discarding = false;
            bytes = &bytes[lf + 1..];
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Takes the next line off the buffer, or `None` if more bytes are needed.
    ///
    /// A line is reported too long as soon as that is known, even before its LF arrives;
    /// its remaining bytes are then dropped by [`push`](LineBuffer::push).
    #[inline]
    pub(crate) fn next_line(&mut self) -> Option<Line> {
        if let Some(i) = memchr(b'\n', &self.buf[self.scanned..]) {
            let end = self.scanned + i;
            self.scanned = 0;
            let mut line = self.buf.split_to(end + 1).freeze();
            let len = if line[..end].ends_with(b"\r") {
                end - 1
            } else {
                end
            };
            if len > self.max_line {
                return Some(Line::TooLong {
                    head: Head::of(&line),
                });
            }
            line.truncate(len);
            return Some(Line::Whole(line));
        }
        // An unfinished line one byte over the limit may still end in CR, LF.
        if self.buf.len() > self.max_line.saturating_add(1) {
            let head = Head::of(&self.buf);
            self.buf.clear();
            self.scanned = 0;
            self.discarding = true;
            return Some(Line::TooLong { head });
        }
        self.scanned = self.buf.len();
        None
    }

    /// Whether bytes of an unfinished line are held, or an over-long one is being dropped.
    #[inline]
    pub(crate) fn has_partial(&self) -> bool {
        !self.buf.is_empty() || self.discarding
    }

    /// How many bytes are buffered (tests check that an over-long line is not kept).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(max_line: usize, chunks: &[&[u8]]) -> Vec<Result<Vec<u8>, Vec<u8>>> {
        let mut buf = LineBuffer::new(max_line);
        let mut out = Vec::new();
        for chunk in chunks {
            buf.push(chunk);
            while let Some(line) = buf.next_line() {
                out.push(match line {
                    Line::Whole(l) => Ok(l.to_vec()),
                    Line::TooLong { head } => Err(head.as_bytes().to_vec()),
                });
            }
        }
        out
    }

    #[test]
    fn splits_at_lf_and_strips_one_cr() {
        let got = lines(8, &[b"a\r\nb\n\r\n", b"c\r\r\n", b"d"]);
        let want: Vec<Result<Vec<u8>, Vec<u8>>> = vec![
            Ok(b"a".to_vec()),
            Ok(b"b".to_vec()),
            Ok(Vec::new()),
            Ok(b"c\r".to_vec()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn over_long_line_is_reported_once_and_dropped_as_it_arrives() {
        let mut buf = LineBuffer::new(4);
        buf.push(b"12345");
        assert!(buf.next_line().is_none(), "may still end in CRLF");
        buf.push(b"6");
        let Some(Line::TooLong { head }) = buf.next_line() else {
            panic!("expected a too-long line");
        };
        assert_eq!(head.as_bytes(), b"1234");
        assert!(buf.has_partial());
        buf.push(b"789");
        assert_eq!(buf.len(), 0);
        assert!(buf.next_line().is_none());
        buf.push(b"\r\nok\n");
        assert!(matches!(buf.next_line(), Some(Line::Whole(l)) if l == "ok"));
        assert!(!buf.has_partial());
        // At the limit with CRLF fits; one over does not.
        assert_eq!(
            lines(4, &[b"1234\r\n12345\r\n"]),
            [Ok(b"1234".to_vec()), Err(b"1234".to_vec())]
        );
    }
}
