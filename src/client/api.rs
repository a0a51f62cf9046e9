//! What the application asks of a client [`Session`](super::Session) ([`Operation`]),
//! what comes back ([`Value`], [`Item`]) and what the adapter is told to do ([`Output`]).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;

use crate::Error;
use crate::code::Mask;
use crate::listing::Entry;
use crate::reply::Reply;
use crate::time::DateTime;

/// One whole client operation: a small state machine of commands and expected replies
/// that the session runs to its [`Output::Done`]. Paths are bytes, sent as given (a
/// server's names need not be UTF-8).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// `USER`, then `PASS` on `331` and `ACCT` on `332`, until `230`; then `FEAT` and
    /// `OPTS UTF8 ON` as the [`Config`](super::Config) says.
    Login {
        /// The user name (`anonymous` for anonymous login).
        user: String,
        /// The password (for anonymous login, by custom an e-mail address).
        password: String,
        /// The account, sent only if the server asks with `332`.
        account: String,
    },
    /// `PWD`: [`Value::Path`].
    CurrentDirectory,
    /// `CWD path` (`CDUP` for `..`).
    ChangeDirectory(Vec<u8>),
    /// `MKD path`; with `parents`, every missing ancestor first (an existing directory
    /// is then not an error).
    MakeDirectory {
        /// The directory.
        path: Vec<u8>,
        /// Create missing ancestors, like `mkdir -p`.
        parents: bool,
    },
    /// `DELE path`.
    RemoveFile(Vec<u8>),
    /// `RMD path`.
    RemoveDirectory(Vec<u8>),
    /// A file, link or whole directory tree: `stat`, then `DELE`, or a listing, every
    /// entry removed and `RMD`.
    Remove(Vec<u8>),
    /// `RNFR from`, `RNTO to`.
    Rename {
        /// The current path.
        from: Vec<u8>,
        /// The new path.
        to: Vec<u8>,
    },
    /// A directory listing: each entry comes out as an [`Output::Entry`] (`.` and `..`
    /// skipped), then [`Value::None`]. Needs a data connection per directory.
    List {
        /// The directory (empty: the current one).
        path: Vec<u8>,
        /// Descend into subdirectories (breadth first; links are not followed).
        recursive: bool,
        /// Which listing command to use.
        command: ListCommand,
    },
    /// One directory's entries as the server named them, for a tree copy:
    /// [`Value::Names`]. Unlike [`Operation::List`], a name that is not one safe path
    /// component (`.`, `..`, empty, holding `/` or NUL) is kept, so the caller can
    /// skip it with a warning; no path is joined, and nothing is left out (the
    /// listed directory's own `cdir`/`pdir` entries neither). `MLSD` with a `LIST`
    /// fallback.
    Names(Vec<u8>),
    /// The facts of one path: [`Value::Entry`]. `MLST`, or a `LIST` of the parent
    /// directory when the server has no `MLST`. A missing path fails with a
    /// [`StatusCodeError`](crate::StatusCodeError) that received `550`.
    Stat(Vec<u8>),
    /// `SIZE path` (RFC 3659): [`Value::Size`].
    Size(Vec<u8>),
    /// `MDTM path` (RFC 3659): [`Value::Modified`].
    Modified(Vec<u8>),
    /// `FEAT`: [`Value::Features`] (empty when the server has no `FEAT`).
    Features,
    /// `AUTH TLS` (explicit FTPS, RFC 4217): on `234` the adapter gets an
    /// [`Output::SecureControl`], runs the TLS handshake and reports
    /// [`Session::control_secured`](super::Session::control_secured); then
    /// [`Value::None`]. Run it right after the greeting, before [`Operation::Login`]
    /// (which then protects data connections too).
    SecureControl,
    /// `NOOP`, to keep an idle connection alive.
    Noop,
    /// `RETR path`: the adapter gets an [`Output::Transfer`] and moves the bytes.
    Download {
        /// The file.
        path: Vec<u8>,
        /// Start at this byte (`REST`, to resume); 0 for the whole file.
        offset: u64,
        /// `TYPE A`: the adapter converts CRLF line ends to LF.
        ascii: bool,
    },
    /// `STOR path` (or `APPE path`): the adapter gets an [`Output::Transfer`] and moves
    /// the bytes, then reports the end with
    /// [`Session::end_transfer`](super::Session::end_transfer).
    Upload {
        /// The file.
        path: Vec<u8>,
        /// Write from this byte on (`REST`, to resume); 0 for the whole file.
        offset: u64,
        /// `TYPE A`: the adapter converts LF line ends to CRLF.
        ascii: bool,
        /// `APPE` instead of `STOR`.
        append: bool,
    },
    /// A raw command, like aioftp's `command()`: sends `text` (if any; CR, LF and NUL
    /// are refused), then reads replies while they match `wait`, and checks the last one
    /// against `expected` (empty: any code). With both lists empty, nothing is read and
    /// a later operation sees the reply first. Gives [`Value::Reply`] (or
    /// [`Value::None`] when nothing was read).
    Command {
        /// The command line without its line end, e.g. `"SITE CHMOD 644 x"`.
        text: Option<String>,
        /// The codes that make the operation succeed.
        expected: Vec<Mask>,
        /// The codes to skip over (e.g. `1xx`).
        wait: Vec<Mask>,
    },
    /// `QUIT`, then [`Output::Close`].
    Quit,
}

impl Operation {
    /// The file transfer this operation runs, if it runs one.
    pub fn transfer_kind(&self) -> Option<TransferKind> {
        match self {
            Operation::Download { .. } => Some(TransferKind::Download),
            Operation::Upload { .. } => Some(TransferKind::Upload),
            _ => None,
        }
    }
}

/// Which command a [`Operation::List`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ListCommand {
    /// `MLSD` when the server advertises `MLST` (or is not known not to), falling back to
    /// `LIST` on a `50x` answer.
    #[default]
    Auto,
    /// `MLSD` only.
    Mlsd,
    /// `LIST` only (parsed as unix `ls -l`, MS-DOS/IIS, EPLF or MLSx, line by line).
    List,
}

/// The result of a finished [`Operation`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Value {
    /// Done; nothing to report.
    None,
    /// The server's greeting (`220`), once the session is connected.
    Greeting(Reply),
    /// The last reply of an [`Operation::Command`].
    Reply(Reply),
    /// A path from a `257` reply (`PWD`), with `""` unquoted.
    Path(Vec<u8>),
    /// A size in bytes (`SIZE`).
    Size(u64),
    /// A modification time (`MDTM`), UTC.
    Modified(DateTime),
    /// The facts of one path ([`Operation::Stat`]).
    Entry(Item),
    /// Entries of a listing, in the order received (a listing run inside another
    /// operation; [`Operation::List`] gives [`Output::Entry`] instead).
    Entries(Vec<Item>),
    /// One directory's entries, unsafe names included ([`Operation::Names`]).
    Names(Vec<Entry>),
    /// The raw body of a listing data connection.
    Bytes(Vec<u8>),
    /// What the server announced with `FEAT`.
    Features(Features),
    /// The transfer was aborted with [`Session::abort`](super::Session::abort) and the
    /// control channel is in step again.
    Aborted,
}

/// One entry of a listing or a `stat`, with its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The path: the listed directory joined with the entry's name (relative when the
    /// listed directory was).
    pub path: Vec<u8>,
    /// The entry's facts.
    pub entry: Entry,
}

impl Item {
    /// The path, lossily decoded for display.
    pub fn path_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.path)
    }
}

/// The extensions a server lists in its `FEAT` reply (RFC 2389).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Features {
    /// `(NAME, parameters)`: the name upper-cased, the parameters as sent.
    list: Vec<(String, String)>,
}

impl Features {
    /// Reads the feature lines of a `211` reply (the lines between the first and the
    /// last, each starting with a space).
    ///
    /// ```
    /// use sansftp::client::Features;
    /// use sansftp::{Code, Reply};
    ///
    /// let reply = Reply::multiline(Code::SYSTEM_STATUS, ["Extensions:", " MLST size*;modify*;", " UTF8", "End"]);
    /// let f = Features::from_reply(&reply);
    /// assert!(f.supports("mlst") && f.supports("UTF8") && !f.supports("MDTM"));
    /// assert_eq!(f.params("MLST"), Some("size*;modify*;"));
    /// ```
    pub fn from_reply(reply: &Reply) -> Features {
        let lines = reply.lines();
        let inner = match lines.len() {
            0..=2 => &[][..],
            n => lines.get(1..n - 1).unwrap_or_default(),
        };
        let list = inner
            .iter()
            .filter_map(|line| {
                let text = String::from_utf8_lossy(line);
                let text = text.trim();
                if text.is_empty() {
                    return None;
                }
                let (name, params) = text.split_once(' ').unwrap_or((text, ""));
                Some((name.to_ascii_uppercase(), params.trim().to_owned()))
            })
            .collect();
        Features { list }
    }

    /// Whether the feature `name` (any case) is listed.
    pub fn supports(&self, name: &str) -> bool {
        self.list.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The parameters of the feature `name`, if listed.
    pub fn params(&self, name: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, p)| p.as_str())
    }

    /// Every `(NAME, parameters)` pair, in the server's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.list.iter().map(|(n, p)| (n.as_str(), p.as_str()))
    }
}

/// What the adapter must do next, drained with
/// [`Session::poll_output`](super::Session::poll_output) after every input.
#[derive(Debug)]
#[non_exhaustive]
pub enum Output {
    /// Write these bytes to the control connection.
    Send(Bytes),
    /// Run the TLS client handshake on the control connection now (after writing
    /// every `Send` before it), then report
    /// [`Session::control_secured`](super::Session::control_secured), or
    /// [`Session::control_failed`](super::Session::control_failed) if it fails. From
    /// then on every byte goes through TLS.
    SecureControl,
    /// Open a data connection to this address (passive mode), then call
    /// [`Session::data_connected`](super::Session::data_connected) or
    /// [`Session::data_failed`](super::Session::data_failed).
    Connect(SocketAddr),
    /// Bind a listener on this local address, any port (active mode), then call
    /// [`Session::data_listening`](super::Session::data_listening) with its address or
    /// [`Session::data_failed`](super::Session::data_failed). Accept on it only when
    /// the [`Output::Transfer`] comes, and only connections
    /// [`Session::accepts`](super::Session::accepts).
    Listen(IpAddr),
    /// The server has accepted the transfer: move the data now (accepting the
    /// connection first in active mode). A listing ends with
    /// [`Session::data_done`](super::Session::data_done) or
    /// [`Session::data_failed`](super::Session::data_failed); a file transfer with
    /// [`Session::end_transfer`](super::Session::end_transfer), whatever its end.
    Transfer(Transfer),
    /// Close the data connection (and listener) now, without waiting for its end.
    CloseData,
    /// An entry of a running [`Operation::List`].
    Entry(Item),
    /// The running operation finished. The session is ready for the next one (unless
    /// an [`Output::Close`] came too).
    Done(Result<Value, Error>),
    /// Close the control connection: after `QUIT`, or when it can no longer be trusted
    /// (a timeout, a malformed reply, the peer closing it).
    Close,
}

/// A transfer for the adapter to run. File bytes never pass through the core; listing
/// bodies do (feed them to [`Session::handle_data`](super::Session::handle_data)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transfer {
    /// Which way and what.
    pub kind: TransferKind,
    /// `TYPE A`: convert line ends (CRLF to LF when downloading, LF to CRLF when
    /// uploading) with [`crate::ascii`].
    pub ascii: bool,
    /// `PROT P`: run a TLS client handshake on the data connection once it is open,
    /// with the control connection's TLS configuration and server name (so the
    /// server sees this session resumed), and end it with `close_notify`: send ours,
    /// then read until the server's (for TLS 1.3 tickets, uploads too), for a bounded
    /// time. A download that ends without the server's `close_notify` is truncated.
    pub tls: bool,
}

impl Transfer {
    /// A transfer of `kind`, in `TYPE A` when `ascii` (for an adapter's own use, such as
    /// a [`DataFlow`](super::DataFlow) in a test).
    pub fn new(kind: TransferKind, ascii: bool) -> Transfer {
        Transfer {
            kind,
            ascii,
            tls: false,
        }
    }
}

/// What a [`Transfer`] moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferKind {
    /// File bytes from the server: read the data connection to its end.
    Download,
    /// File bytes to the server: write them, then shut the connection down.
    Upload,
    /// A listing from the server: read it to the end, feeding every byte to
    /// [`Session::handle_data`](super::Session::handle_data).
    Listing,
}

/// How the application ended a file transfer's data stream, reported with
/// [`Session::end_transfer`](super::Session::end_transfer), whose table says what the
/// core makes of each.
#[derive(Debug)]
#[non_exhaustive]
pub enum TransferEnd {
    /// The application finished the stream: an upload's bytes are all written and its
    /// connection shut down; `at_eof` says whether a download was read to end of file.
    Finished {
        /// A download's read returned end of file.
        at_eof: bool,
    },
    /// The stream was dropped without being finished or aborted.
    Dropped {
        /// A download's read returned end of file.
        at_eof: bool,
    },
    /// The application aborted the transfer.
    Aborted,
    /// Moving the data failed: the connection broke or timed out, or an upload's
    /// source failed.
    Failed(std::io::Error),
    /// The adapter has no stream to move the announced transfer's data (a call that
    /// was cancelled, or an operation that should not transfer a file).
    Unwanted,
}

/// [`Session::start`](super::Session::start) was called while another operation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl fmt::Display for Busy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("another operation is still running on this FTP session")
    }
}

impl std::error::Error for Busy {}
