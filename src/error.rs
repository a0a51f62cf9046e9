//! The error hierarchy: one root, [`Error`], and the seed's error types as public structs
//! that can be matched, built and converted on their own.
//!
//! | aioftp | sansftp |
//! |---|---|
//! | `AIOFTPException` | [`Error`] |
//! | `StatusCodeError` | [`StatusCodeError`] |
//! | `PathIsNotAbsolute` | [`PathIsNotAbsolute`] |
//! | `PathIOError` | [`PathIoError`] |
//! | `NoAvailablePort` | [`NoAvailablePort`] (also an [`std::io::Error`]) |

use std::fmt;
use std::ops::RangeInclusive;
use std::path::PathBuf;

use crate::code::{Code, Mask};

/// The boxed error a [`PathIoError`] wraps.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Every error sansftp returns. The root of the hierarchy, like aioftp's `AIOFTPException`.
///
/// Each of the seed's errors is its own struct inside a variant, so it can be matched
/// with `Error::StatusCode(e)` and also handled on its own.
///
/// ```
/// use sansftp::{Code, Error, StatusCodeError};
///
/// let err: Error = StatusCodeError::new(
///     [Code::TRANSFER_COMPLETE],
///     [Code::FILE_UNAVAILABLE],
///     ["/missing.txt: No such file"],
/// )
/// .into();
/// assert_eq!(err.to_string(), "expected 226, got 550 (/missing.txt: No such file)");
/// assert!(err.is_permanent());
/// assert!(err.received(550));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer answered with a reply code the operation did not expect.
    #[error(transparent)]
    StatusCode(#[from] StatusCodeError),
    /// An API that needs an absolute path got a relative one.
    #[error(transparent)]
    PathIsNotAbsolute(#[from] PathIsNotAbsolute),
    /// A storage or file-system operation failed.
    #[error(transparent)]
    PathIo(#[from] PathIoError),
    /// The server's passive port range is exhausted.
    #[error(transparent)]
    NoAvailablePort(#[from] NoAvailablePort),
    /// The peer sent bytes that are not a valid FTP reply.
    #[error(transparent)]
    MalformedReply(#[from] crate::reply::DecodeError),
    /// A command could not be encoded (for example an argument holding CR or LF).
    #[error(transparent)]
    InvalidCommand(#[from] crate::command::EncodeError),
    /// A directory listing line could not be understood by any parser.
    #[error(transparent)]
    Listing(#[from] crate::listing::ParseError),
    /// A PASV/EPSV reply or PORT/EPRT argument is malformed or out of range.
    #[error(transparent)]
    Address(#[from] crate::addr::AddrError),
    /// A path is not acceptable (for example it holds NUL).
    #[error(transparent)]
    Path(#[from] crate::path::PathError),
    /// A socket or file operation failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// An operation did not finish within its time limit.
    #[error("timed out waiting for {0}")]
    Timeout(String),
    /// The peer closed the control connection.
    #[error("connection closed by peer")]
    ConnectionClosed,
    /// A reply had the expected code but text the operation could not use (a `SIZE`
    /// that is not a number, a `257` without a path).
    #[error("unexpected reply: {0}")]
    UnexpectedReply(String),
    /// A client operation was started while another one still runs on the session
    /// ([`client::Busy`](crate::client::Busy)).
    #[error("another operation is still running on this FTP session")]
    Busy,
}

impl From<crate::client::Busy> for Error {
    fn from(_: crate::client::Busy) -> Error {
        Error::Busy
    }
}

impl Error {
    /// A socket or file error as sansftp reports it: one that timed out (`TimedOut`,
    /// or the `WouldBlock` a socket with a timeout gives on Unix) is
    /// [`Error::Timeout`] waiting for `what`, any other is [`Error::Io`].
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use sansftp::Error;
    ///
    /// let late = Error::from_io(ErrorKind::WouldBlock.into(), "a reply");
    /// assert_eq!(late.to_string(), "timed out waiting for a reply");
    /// assert!(matches!(Error::from_io(ErrorKind::BrokenPipe.into(), "x"), Error::Io(_)));
    /// ```
    pub fn from_io(e: std::io::Error, what: &str) -> Error {
        match e.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                Error::Timeout(what.to_owned())
            }
            _ => Error::Io(e),
        }
    }

    /// The status-code error inside, if this is one.
    pub fn status_code(&self) -> Option<&StatusCodeError> {
        match self {
            Error::StatusCode(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the peer answered with a 4xx code: the same request may succeed later.
    pub fn is_transient(&self) -> bool {
        self.status_code()
            .is_some_and(StatusCodeError::is_transient)
    }

    /// Whether the peer answered with a 5xx code: repeating the request will not help.
    pub fn is_permanent(&self) -> bool {
        self.status_code()
            .is_some_and(StatusCodeError::is_permanent)
    }

    /// Whether the peer answered with `code` (e.g. `err.received(550)` for "no such file").
    pub fn received(&self, code: u16) -> bool {
        self.status_code().is_some_and(|e| e.received(code))
    }
}

/// A reply's code was not one the operation expected.
///
/// `expected_codes` holds masks (`226`, `2xx`, `33x`), `received_codes` the codes that came
/// (usually one; a multi-line reply that closes with another code gives both), and `info`
/// the reply's text lines without the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCodeError {
    /// The codes (or masks) the operation would have accepted.
    pub expected_codes: Vec<Mask>,
    /// The codes the peer sent.
    pub received_codes: Vec<Code>,
    /// The reply's text, one entry per line, without the leading code.
    pub info: Vec<String>,
}

impl StatusCodeError {
    /// Builds the error from anything that turns into masks, codes and lines.
    pub fn new<E, R, I>(expected: E, received: R, info: I) -> StatusCodeError
    where
        E: IntoIterator,
        E::Item: Into<Mask>,
        R: IntoIterator<Item = Code>,
        I: IntoIterator,
        I::Item: Into<String>,
    {
        StatusCodeError {
            expected_codes: expected.into_iter().map(Into::into).collect(),
            received_codes: received.into_iter().collect(),
            info: info.into_iter().map(Into::into).collect(),
        }
    }

    /// The code that decided the failure: the last one received.
    pub fn code(&self) -> Option<Code> {
        self.received_codes.last().copied()
    }

    /// Whether the deciding code is 4xx (transient: retrying may work).
    pub fn is_transient(&self) -> bool {
        self.code().is_some_and(Code::is_transient_negative)
    }

    /// Whether the deciding code is 5xx (permanent).
    pub fn is_permanent(&self) -> bool {
        self.code().is_some_and(Code::is_permanent_negative)
    }

    /// Whether `code` is among the received codes.
    pub fn received(&self, code: u16) -> bool {
        self.received_codes.iter().any(|c| c.value() == code)
    }
}

impl fmt::Display for StatusCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected ")?;
        write_joined(f, &self.expected_codes, " or ", "no reply")?;
        f.write_str(", got ")?;
        write_joined(f, &self.received_codes, " then ", "nothing")?;
        let mut lines = self
            .info
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .peekable();
        if lines.peek().is_some() {
            f.write_str(" (")?;
            for (i, line) in lines.enumerate() {
                if i > 0 {
                    f.write_str(" | ")?;
                }
                // One log line: control characters a peer slipped in are shown escaped.
                for ch in line.chars() {
                    if ch.is_control() {
                        write!(f, "{}", ch.escape_default())?;
                    } else {
                        write!(f, "{ch}")?;
                    }
                }
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for StatusCodeError {}

fn write_joined<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    sep: &str,
    empty: &str,
) -> fmt::Result {
    if items.is_empty() {
        return f.write_str(empty);
    }
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// An API that needs an absolute path got a relative one (e.g. a user's home path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("path is not absolute: {path:?}")]
pub struct PathIsNotAbsolute {
    /// The offending path, as given.
    pub path: String,
}

impl PathIsNotAbsolute {
    /// Builds the error for `path`.
    pub fn new(path: impl Into<String>) -> PathIsNotAbsolute {
        PathIsNotAbsolute { path: path.into() }
    }
}

/// A storage or file-system operation failed. `reason` is the underlying error and is what
/// [`std::error::Error::source`] returns; `path`, when known, names what was touched.
#[derive(Debug)]
pub struct PathIoError {
    /// The local path the operation touched, when known.
    pub path: Option<PathBuf>,
    /// The error that made the operation fail.
    pub reason: BoxError,
}

impl PathIoError {
    /// Wraps `reason` without a path.
    pub fn new(reason: impl Into<BoxError>) -> PathIoError {
        PathIoError {
            path: None,
            reason: reason.into(),
        }
    }

    /// Wraps `reason`, naming the `path` the operation touched.
    pub fn with_path(path: impl Into<PathBuf>, reason: impl Into<BoxError>) -> PathIoError {
        PathIoError {
            path: Some(path.into()),
            reason: reason.into(),
        }
    }

    /// The I/O error kind, when the reason is an [`std::io::Error`].
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        self.reason
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
    }
}

impl fmt::Display for PathIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{}: {}", path.display(), self.reason),
            None => write!(f, "path I/O failed: {}", self.reason),
        }
    }
}

impl std::error::Error for PathIoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.reason)
    }
}

impl From<std::io::Error> for PathIoError {
    fn from(reason: std::io::Error) -> PathIoError {
        PathIoError::new(reason)
    }
}

/// Every port of the server's passive range is in use (or none could be bound).
///
/// It is an OS-level condition in aioftp (`OSError`), so it also converts into
/// [`std::io::Error`] with kind [`AddrInUse`](std::io::ErrorKind::AddrInUse).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NoAvailablePort {
    /// The configured passive range, when there is one.
    pub range: Option<RangeInclusive<u16>>,
}

impl NoAvailablePort {
    /// The range `range` is exhausted.
    pub fn in_range(range: RangeInclusive<u16>) -> NoAvailablePort {
        NoAvailablePort { range: Some(range) }
    }
}

impl fmt::Display for NoAvailablePort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.range {
            Some(r) => write!(f, "no available passive port in {}-{}", r.start(), r.end()),
            None => f.write_str("no available passive port"),
        }
    }
}

impl std::error::Error for NoAvailablePort {}

impl From<NoAvailablePort> for std::io::Error {
    fn from(err: NoAvailablePort) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::AddrInUse, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    fn code(v: u16) -> Code {
        Code::new(v).unwrap()
    }

    #[test]
    fn status_code_display_reads_as_one_line() {
        let e = StatusCodeError::new([code(226)], [code(550)], ["/missing.txt: No such file"]);
        assert_eq!(
            e.to_string(),
            "expected 226, got 550 (/missing.txt: No such file)"
        );

        let login = StatusCodeError::new(
            [Mask::exact(code(230)), "33x".parse().unwrap()],
            [code(530)],
            [" no such username", ""],
        );
        assert_eq!(
            login.to_string(),
            "expected 230 or 33x, got 530 (no such username)"
        );

        let multi = StatusCodeError::new(
            [Mask::COMPLETION],
            [code(211), code(212)],
            ["line one", "line\rtwo"],
        );
        assert_eq!(
            multi.to_string(),
            "expected 2xx, got 211 then 212 (line one | line\\rtwo)"
        );
        let bare = StatusCodeError::new([code(200)], [code(500)], Vec::<String>::new());
        assert_eq!(bare.to_string(), "expected 200, got 500");
    }

    #[test]
    fn transient_and_permanent_follow_the_last_code() {
        let e = StatusCodeError::new([Mask::COMPLETION], [code(150), code(451)], ["x"]);
        assert!(e.is_transient());
        assert!(!e.is_permanent());
        assert!(e.received(150) && e.received(451) && !e.received(550));
        let root = Error::from(e);
        assert!(root.is_transient() && root.received(451));
        let io = Error::from(std::io::Error::other("boom"));
        assert!(!io.is_transient() && !io.is_permanent() && !io.received(451));
    }

    #[test]
    fn path_io_error_keeps_its_reason_as_source() {
        let reason = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let e = PathIoError::with_path("/srv/ftp", reason);
        assert_eq!(e.to_string(), "/srv/ftp: No such file or directory");
        assert_eq!(e.io_kind(), Some(std::io::ErrorKind::NotFound));
        let source = e.source().expect("reason is the source");
        assert_eq!(source.to_string(), "No such file or directory");
        // Through the root, source() still reaches the original reason.
        let root = Error::from(e);
        assert_eq!(
            root.source().map(|s| s.to_string()).as_deref(),
            Some("No such file or directory")
        );
        assert!(PathIoError::new("plain").io_kind().is_none());
    }

    #[test]
    fn no_available_port_is_an_io_error() {
        let e = NoAvailablePort::in_range(20000..=20010);
        assert_eq!(e.to_string(), "no available passive port in 20000-20010");
        let io: std::io::Error = e.clone().into();
        assert_eq!(io.kind(), std::io::ErrorKind::AddrInUse);
        assert_eq!(io.to_string(), e.to_string());
        let inner = io
            .get_ref()
            .and_then(|r| r.downcast_ref::<NoAvailablePort>());
        assert_eq!(inner, Some(&e));
        assert_eq!(
            NoAvailablePort::default().to_string(),
            "no available passive port"
        );
    }

    #[test]
    fn path_is_not_absolute_names_the_path() {
        let e = Error::from(PathIsNotAbsolute::new("home/user"));
        assert_eq!(e.to_string(), "path is not absolute: \"home/user\"");
        assert!(matches!(e, Error::PathIsNotAbsolute(ref p) if p.path == "home/user"));
    }
}
