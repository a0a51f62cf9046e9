//! [`ParseError`] (a listing line no parser understood) and [`FormatError`] (an entry a
//! formatter cannot put on one line).

use std::fmt;

/// The listing formats this module knows, as [`detect`](super::detect) tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// `ls -l` style (`LIST` on almost every Unix server, and many others).
    Unix,
    /// MS-DOS / IIS `dir` style (`06-07-22  12:55PM  <DIR>  name`).
    Dos,
    /// RFC 3659 MLSD/MLST facts (`type=file;size=1; name`).
    Mlsx,
    /// Easily Parsed LIST Format (`+i8388621.48594,m825718503,r,s280,\tdjb.html`).
    Eplf,
    /// None of the above.
    Unknown,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Unix => "unix",
            Format::Dos => "MS-DOS",
            Format::Mlsx => "MLSx",
            Format::Eplf => "EPLF",
            Format::Unknown => "unrecognised",
        })
    }
}

/// Why a line was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The line matches no known listing format.
    UnknownFormat,
    /// The `ls -l` type and permission field (`drwxr-xr-x`) is malformed.
    BadMode,
    /// No date was found where one was expected, or it is not a real date.
    BadDate,
    /// A size, link count or device number is malformed or too large.
    BadNumber,
    /// A field the format requires is missing.
    MissingField,
    /// The line has no name after its fields.
    MissingName,
    /// An MLSx or EPLF fact is malformed (the named fact).
    BadFact(&'static str),
    /// The MLSx facts field is not a list of `name=value;`.
    MalformedFacts,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::UnknownFormat => f.write_str("no known listing format"),
            Reason::BadMode => f.write_str("bad type/permission field"),
            Reason::BadDate => f.write_str("bad or missing date"),
            Reason::BadNumber => f.write_str("bad number"),
            Reason::MissingField => f.write_str("missing field"),
            Reason::MissingName => f.write_str("missing name"),
            Reason::BadFact(name) => write!(f, "bad {name} fact"),
            Reason::MalformedFacts => f.write_str("malformed facts"),
        }
    }
}

/// A listing line that could not be parsed.
///
/// Its `Display` is one log line naming the format tried, the reason, and the start of
/// the offending line (at most [`ParseError::SNIPPET_LEN`] characters, control
/// characters escaped):
///
/// ```
/// use sansftp::listing::parse_line;
/// use sansftp::time::DateTime;
///
/// let err = parse_line(b"-rw-r--r-- 1 a b size Jan 1 2018 x", DateTime::UNIX_EPOCH).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "unix listing line: bad or missing date: \"-rw-r--r-- 1 a b size Jan 1 2018 x\""
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParseError {
    /// The format the line was parsed as.
    pub format: Format,
    /// What was wrong.
    pub reason: Reason,
    /// The start of the line, lossily decoded and cut to [`ParseError::SNIPPET_LEN`].
    pub snippet: String,
}

impl ParseError {
    /// The most characters of the line kept in [`ParseError::snippet`].
    pub const SNIPPET_LEN: usize = 80;

    pub(crate) fn new(format: Format, reason: Reason, line: &[u8]) -> ParseError {
        let cut = line.get(..Self::SNIPPET_LEN * 4).unwrap_or(line);
        let lossy = String::from_utf8_lossy(cut);
        let mut chars = lossy.chars();
        let mut snippet: String = chars.by_ref().take(Self::SNIPPET_LEN).collect();
        if chars.next().is_some() || cut.len() < line.len() {
            snippet.push('…');
        }
        ParseError {
            format,
            reason,
            snippet,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} listing line: {}: \"", self.format, self.reason)?;
        for ch in self.snippet.chars() {
            if ch.is_control() || ch == '"' {
                write!(f, "{}", ch.escape_default())?;
            } else {
                write!(f, "{ch}")?;
            }
        }
        f.write_str("\"")
    }
}

impl std::error::Error for ParseError {}

/// An entry that a formatter cannot write as one listing line. Nothing is written when
/// this is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The name is empty.
    #[error("cannot list an entry with an empty name")]
    EmptyName,
    /// The name (or link target) holds CR, LF or NUL, which would break the line framing.
    #[error("cannot list a name holding CR, LF or NUL")]
    LineBreakInName,
    /// A symbolic link's name holds `" -> "` (or ends with `" ->"` before its target),
    /// which `ls -l` parsers split on.
    #[error("cannot list a link whose name holds \" -> \" in ls -l format")]
    ArrowInLinkName,
    /// An MLSx line with no facts whose name starts like a facts field (`a=b; c`), which
    /// a parser would read as facts.
    #[error("cannot list a fact-less MLSx entry whose name looks like facts")]
    AmbiguousName,
}
