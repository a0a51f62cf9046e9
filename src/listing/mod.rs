//! Directory listings: [`Entry`], parsers for the `LIST` formats servers really send
//! (Unix `ls -l`, MS-DOS/IIS, EPLF) and for RFC 3659 `MLSD`/`MLST` facts, and the
//! formatters a server uses to produce `LIST` and `MLSD` lines.
//!
//! # Parsing
//!
//! [`parse_line`] detects the format of one line (cheaply, from its first bytes) and
//! returns `Ok(Some(entry))`, `Ok(None)` for lines that are not entries (`total 12`,
//! blank lines), or a [`ParseError`] naming the format tried and the line. A trailing
//! CR/LF is stripped. The specific parsers ([`parse_unix`], [`parse_dos`],
//! [`parse_mlsx`], [`parse_eplf`]) have the same signature ([`ParserFn`]), so a client
//! that has learned what a server sends can call one directly, or plug in its own.
//!
//! `LIST` formats print dates without a year for recent files; `now` (the caller's
//! current time, ideally in the server's time zone) decides the year, see
//! [`parse_unix`].
//!
//! ```
//! use sansftp::listing::{parse_line, Kind};
//! use sansftp::time::DateTime;
//!
//! let now = DateTime::new(2024, 5, 10, 0, 0, 0).unwrap();
//! let e = parse_line(b"-rw-r--r--    1 ftp      ftp          1234 May 01 12:30 a b.txt\r\n", now)
//!     .unwrap()
//!     .unwrap();
//! assert_eq!((e.name_str().as_ref(), e.kind, e.size), ("a b.txt", Kind::File, Some(1234)));
//! assert_eq!(e.modified, DateTime::new(2024, 5, 1, 12, 30, 0));
//! assert_eq!(parse_line(b"total 12", now), Ok(None));
//! ```
//!
//! ## Fast path for whole listings
//!
//! [`parse_listing`] walks a whole `LIST`/`MLSD` body: it splits lines with `memchr`,
//! skips non-entries and yields `Result<Entry, ParseError>`, one per entry line, so one
//! bad line does not lose the others. Parsing a Unix line does not allocate beyond the
//! entry's own name, owner and group. A client that already knows the server's format
//! can split lines itself and call e.g. [`parse_unix`] to skip detection.
//!
//! # Formatting (server side)
//!
//! [`format_unix`] writes a vsftpd-style `ls -l` line and [`format_mlsx`] an MLSx facts
//! line, each without the line ending (append `\r\n` for `LIST`/`MLSD`; prefix a space
//! for an `MLST` reply line). An entry that cannot be written as one line (a name with
//! CR, LF or NUL, an empty name, ...) is refused with a [`FormatError`] and nothing is
//! written, so a listing can never break the data connection's line framing.

mod dos;
mod entry;
mod eplf;
mod error;
mod mlsx;
mod unix;

pub use dos::parse_dos;
pub use entry::{Entry, Facts, FactsIter, InvalidFact, Kind};
pub use eplf::parse_eplf;
pub use error::{Format, FormatError, ParseError, Reason};
pub use mlsx::{FactSet, format_mlsx, parse_mlsx};
pub use unix::{format_unix, parse_unix};

use crate::time::DateTime;

/// The signature every line parser shares: one line (a trailing CR/LF is ignored), the
/// current time, and `Ok(None)` for lines that are not entries.
pub type ParserFn = fn(&[u8], DateTime) -> Result<Option<Entry>, ParseError>;

/// Parses one listing line of any known format, detected with [`detect`].
///
/// Returns `Ok(None)` for lines that carry no entry: blank lines and `ls`'s `total N`.
pub fn parse_line(line: &[u8], now: DateTime) -> Result<Option<Entry>, ParseError> {
    let line = trim_line_end(line);
    if is_blank(line) {
        return Ok(None);
    }
    match detect(line) {
        Format::Unix => parse_unix(line, now),
        Format::Mlsx => parse_mlsx(line, now),
        Format::Dos => parse_dos(line, now),
        Format::Eplf => parse_eplf(line, now),
        Format::Unknown => Err(ParseError::new(
            Format::Unknown,
            Reason::UnknownFormat,
            line,
        )),
    }
}

/// Guesses a line's format from its first bytes, without parsing it: `+` starts EPLF,
/// `ls -l`'s type-and-permission field (or `total`) starts Unix, a leading space or a
/// first word holding `=` is MLSx, a leading digit is MS-DOS.
///
/// ```
/// use sansftp::listing::{detect, Format};
///
/// assert_eq!(detect(b"drwxr-xr-x+ 2 a b 4096 Jan 1 2018 x"), Format::Unix);
/// assert_eq!(detect(b"type=dir;modify=20240101000000; x"), Format::Mlsx);
/// assert_eq!(detect(b"06-07-22  12:55PM       <DIR>          x"), Format::Dos);
/// assert_eq!(detect(b"+i8388621.48594,m825718503,r,s280,\tdjb.html"), Format::Eplf);
/// assert_eq!(detect(b"FILE.TXT;1  2/3  1-JAN-2018 12:00:00 [G,O] (RWED,RWED,RE,)"), Format::Unknown);
/// ```
pub fn detect(line: &[u8]) -> Format {
    let line = trim_line_end(line);
    let Some(&first) = line.first() else {
        return Format::Unknown;
    };
    if unix::looks_like_mode(line) || unix::is_total(line) {
        return Format::Unix;
    }
    match first {
        b'+' => Format::Eplf,
        b' ' => Format::Mlsx,
        b'0'..=b'9' => Format::Dos,
        _ => {
            let word = memchr::memchr(b' ', line).map_or(line, |sp| line.get(..sp).unwrap_or(line));
            if memchr::memchr(b'=', word).is_some() {
                Format::Mlsx
            } else {
                Format::Unknown
            }
        }
    }
}

/// Parses a whole `LIST` or `MLSD` body: one item per entry line, lines split on LF with
/// an optional CR, non-entry lines (blank, `total N`) skipped.
///
/// ```
/// use sansftp::listing::parse_listing;
/// use sansftp::time::DateTime;
///
/// let body = b"total 8\r\ndrwxr-xr-x 2 ftp ftp 4096 Jan 1 2018 pub\r\n\
///              -rw-r--r-- 1 ftp ftp 12 Jan  1  2018 readme\r\n";
/// let names: Vec<String> = parse_listing(body, DateTime::UNIX_EPOCH)
///     .map(|e| e.unwrap().name_str().into_owned())
///     .collect();
/// assert_eq!(names, ["pub", "readme"]);
/// ```
pub fn parse_listing(data: &[u8], now: DateTime) -> Listing<'_> {
    Listing {
        rest: data,
        now,
        parser: parse_line,
    }
}

/// Like [`parse_listing`], with a given line parser (one of this module's or a custom
/// one) instead of per-line detection.
pub fn parse_listing_with(data: &[u8], now: DateTime, parser: ParserFn) -> Listing<'_> {
    Listing {
        rest: data,
        now,
        parser,
    }
}

/// Iterator over the entries of a listing body, from [`parse_listing`].
#[derive(Debug, Clone)]
pub struct Listing<'a> {
    rest: &'a [u8],
    now: DateTime,
    parser: ParserFn,
}

impl Iterator for Listing<'_> {
    type Item = Result<Entry, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.rest.is_empty() {
            let (line, rest) = match memchr::memchr(b'\n', self.rest) {
                Some(nl) => (
                    self.rest.get(..nl).unwrap_or_default(),
                    self.rest.get(nl + 1..).unwrap_or_default(),
                ),
                None => (self.rest, &b""[..]),
            };
            self.rest = rest;
            match (self.parser)(line, self.now) {
                Ok(Some(entry)) => return Some(Ok(entry)),
                Ok(None) => continue,
                Err(e) => return Some(Err(e)),
            }
        }
        None
    }
}

/// The line without its trailing CR and LF bytes.
pub(crate) fn trim_line_end(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r' | b'\n'] = line {
        line = rest;
    }
    line
}

/// Whether the line holds only spaces and tabs (or nothing).
pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| b == b' ' || b == b'\t')
}

/// Parses 1 to 20 ASCII digits into a `u64`, refusing overflow.
pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// Parses ASCII digits into a `u32`, refusing overflow.
pub(crate) fn parse_u32(s: &[u8]) -> Option<u32> {
    parse_u64(s).and_then(|v| u32::try_from(v).ok())
}

/// `HH:MM` or `H:MM` (and `HH:MM:SS` when `seconds` is allowed) into (h, m, s).
pub(crate) fn parse_clock(s: &[u8], seconds: bool) -> Option<(u8, u8, u8)> {
    let mut parts = s.splitn(3, |&b| b == b':');
    let h = parts.next()?;
    let m = parts.next()?;
    let sec = parts.next();
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h = u8::try_from(parse_u32(h)?).ok()?;
    let m = u8::try_from(parse_u32(m)?).ok()?;
    let s = match sec {
        None => 0,
        Some(sec) if seconds && sec.len() == 2 => u8::try_from(parse_u32(sec)?).ok()?,
        Some(_) => return None,
    };
    (h < 24 && m < 60 && s < 60).then_some((h, m, s))
}

/// English three-letter month abbreviations, any case, to `1..=12`.
pub(crate) fn parse_month(s: &[u8]) -> Option<u8> {
    let [a, b, c] = *s else { return None };
    let key = [
        a.to_ascii_lowercase(),
        b.to_ascii_lowercase(),
        c.to_ascii_lowercase(),
    ];
    let m = match &key {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    };
    Some(m)
}

/// The next run of non-blank bytes at or after `pos`, as `(start, end)`.
pub(crate) fn next_token(line: &[u8], mut pos: usize) -> Option<(usize, usize)> {
    while matches!(line.get(pos), Some(b' ' | b'\t')) {
        pos += 1;
    }
    let start = pos;
    while matches!(line.get(pos), Some(&b) if b != b' ' && b != b'\t') {
        pos += 1;
    }
    (pos > start).then_some((start, pos))
}

/// Whether a name can be written on one listing line.
pub(crate) fn check_name(name: &[u8]) -> Result<(), FormatError> {
    if name.is_empty() {
        return Err(FormatError::EmptyName);
    }
    if has_line_break(name) {
        return Err(FormatError::LineBreakInName);
    }
    Ok(())
}

pub(crate) fn has_line_break(s: &[u8]) -> bool {
    memchr::memchr3(b'\r', b'\n', 0, s).is_some()
}

#[cfg(test)]
mod tests;
