//! What a [`Session`](super::Session) asks of its adapter ([`Output`]) and the typed
//! answers the adapter gives back.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;

use crate::code::Code;
use crate::error::NoAvailablePort;
use crate::listing::Entry;
use crate::path::VirtualPath;
use crate::time::DateTime;

use super::audit::Audit;
use super::data::Progress;
use super::limits::TransferThrottles;
use super::tls::DataTls;
use super::user::User;

/// Names one request of one session, so a late answer to a request the session has
/// given up on (an aborted transfer, say) is recognised and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub(crate) u64);

impl RequestId {
    /// The number inside, for logs.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Something the adapter must do, drained with [`Session::poll_output`](super::Session::poll_output).
#[derive(Debug)]
#[non_exhaustive]
pub enum Output {
    /// Write these bytes to the control connection, in order.
    Send(Bytes),
    /// Check credentials; answer with [`Session::complete_auth`](super::Session::complete_auth).
    Auth {
        /// The request.
        id: RequestId,
        /// What to check.
        request: AuthRequest,
    },
    /// Run a storage operation; answer with
    /// [`Session::complete_storage`](super::Session::complete_storage).
    Storage {
        /// The request.
        id: RequestId,
        /// Whose files: the operation's paths are under `user.base_path`.
        user: Arc<User>,
        /// What to do.
        op: StorageOp,
    },
    /// Open a passive listener on `ip` with a port from
    /// [`Config::passive_ports`](super::Config::passive_ports), replacing any listener
    /// this session had; answer with
    /// [`Session::complete_passive`](super::Session::complete_passive).
    OpenPassive {
        /// The request.
        id: RequestId,
        /// The local address the control connection arrived on.
        ip: IpAddr,
    },
    /// Close this session's passive listener, if any, and give its port back. The
    /// listener's life is the session's decision: it opens at [`Output::OpenPassive`]
    /// and closes here (or at [`Output::Close`], or when the next `OpenPassive`
    /// replaces it), never when a transfer takes it.
    ClosePassive,
    /// Start a transfer: open the file (or take the bytes), get the data connection
    /// (accept on the passive listener, or connect for active mode), then report with
    /// [`Session::data_connected`](super::Session::data_connected),
    /// [`Session::data_done`](super::Session::data_done) or
    /// [`Session::data_failed`](super::Session::data_failed). An upload's file stays
    /// uncommitted until [`Output::CommitUpload`].
    Transfer(Transfer),
    /// Make upload `id` final: every byte arrived ([`Session::data_done`](super::Session::data_done))
    /// and the control connection is alive. Commit the file (`WriteHandle::commit`) and
    /// answer with [`Session::upload_committed`](super::Session::upload_committed). Until
    /// this output, an upload's file must stay uncommitted; an [`Output::AbortTransfer`]
    /// or [`Output::Close`] instead means: drop it uncommitted (discard).
    CommitUpload {
        /// The transfer.
        id: RequestId,
    },
    /// Stop the transfer `id` now: close its data connection and drop its file
    /// (uncommitted, for an upload). No further event is expected for it (late ones
    /// are ignored).
    AbortTransfer {
        /// The transfer.
        id: RequestId,
    },
    /// Run the TLS server handshake on the control connection now, after writing every
    /// `Send` before this output (the `234` answer to `AUTH TLS`), then report
    /// [`Session::control_secured`](super::Session::control_secured); on failure
    /// close the connection and report
    /// [`Session::control_closed`](super::Session::control_closed). Plaintext already
    /// read past the `AUTH` line is dropped by the session; from then on every reply
    /// goes out over TLS and every byte fed in is the decrypted stream.
    SecureControl,
    /// Something the embedding application may want to log or count.
    Event(Event),
    /// A record for the audit trail: hand it to [`Config::audit`](super::Config::audit)
    /// when set ([`AuditSink::deliver`](super::AuditSink::deliver)), without blocking.
    Audit(Audit),
    /// Close the control connection (after writing every `Send` before it) and drop the
    /// session. Nothing follows.
    Close,
}

/// A question for the user manager.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthRequest {
    /// `USER login`: does this user exist, and does it need a password?
    User {
        /// The name as sent (raw bytes).
        login: Vec<u8>,
    },
    /// `PASS`: is this the password of `login`?
    Password {
        /// The name given with `USER`.
        login: Vec<u8>,
        /// The password as sent.
        password: Vec<u8>,
    },
}

/// The user manager's answer to an [`AuthRequest`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AuthResult {
    /// Logged in as this user (`230`).
    LoggedIn(Arc<User>),
    /// The user exists and needs a password (`331`); only for [`AuthRequest::User`].
    NeedPassword,
    /// Refused (`530`), with a short reason for the reply text.
    Denied(String),
}

/// A storage operation. Every path is a normalised [`VirtualPath`] the user may access
/// (permissions are checked before the request is made); the backend maps it under the
/// user's [`base_path`](User::base_path) with [`VirtualPath::under`] and must not follow
/// symlinks out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageOp {
    /// Facts about one entry: [`StorageOutcome::Metadata`].
    Metadata(VirtualPath),
    /// The entries of a directory: [`StorageOutcome::Listing`];
    /// [`StorageError::NotADirectory`] for anything else.
    List(VirtualPath),
    /// Create one directory (parent must exist): [`StorageOutcome::Done`].
    MakeDir(VirtualPath),
    /// Remove an empty directory: [`StorageOutcome::Done`].
    RemoveDir(VirtualPath),
    /// Remove a file (not a directory): [`StorageOutcome::Done`].
    RemoveFile(VirtualPath),
    /// Rename `from` to `to`: [`StorageOutcome::Done`].
    Rename {
        /// The existing path.
        from: VirtualPath,
        /// The new path.
        to: VirtualPath,
    },
    /// Set the modification time of the file at `path` (`MFMT`):
    /// [`StorageOutcome::Done`]. A backend that cannot answers with an error.
    SetModified {
        /// The file.
        path: VirtualPath,
        /// The new time, UTC.
        modified: DateTime,
    },
    /// Set the permission bits of `path` (`SITE CHMOD`; `0o7777` at most):
    /// [`StorageOutcome::Done`]. A backend without them answers with an error.
    SetMode {
        /// The file or directory.
        path: VirtualPath,
        /// The new mode bits.
        mode: u32,
    },
    /// The checksum of the whole file at `path` (`HASH`): [`StorageOutcome::Hash`].
    /// Reading the file may take long: run it where slow calls run.
    Hash {
        /// The file.
        path: VirtualPath,
        /// Which function.
        algorithm: HashAlgorithm,
    },
}

/// A checksum function of `HASH` (draft-bryan-ftpext-hash), chosen with `OPTS HASH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// SHA-1.
    Sha1,
    /// SHA-256, the default.
    Sha256,
    /// SHA-512.
    Sha512,
    /// MD5.
    Md5,
}

impl HashAlgorithm {
    /// Every algorithm, in the order `FEAT` lists them.
    pub const ALL: [HashAlgorithm; 4] = [
        HashAlgorithm::Sha1,
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha512,
        HashAlgorithm::Md5,
    ];

    /// Its name in `FEAT`, `OPTS HASH` and the `213` reply: `SHA-256`, ...
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha512 => "SHA-512",
            HashAlgorithm::Md5 => "MD5",
        }
    }

    /// The algorithm named `name` (any case), if supported.
    pub fn from_name(name: &[u8]) -> Option<HashAlgorithm> {
        HashAlgorithm::ALL
            .into_iter()
            .find(|a| name.eq_ignore_ascii_case(a.name().as_bytes()))
    }
}

/// A successful storage answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageOutcome {
    /// For [`StorageOp::Metadata`]: the entry (its name is ignored; size and modified
    /// time feed `SIZE`, `MDTM` and `MLST`).
    Metadata(Entry),
    /// For [`StorageOp::List`]: the entries (names only, no paths) and the wall-clock
    /// time of the listing, which `LIST` needs to choose between showing a year or a
    /// time of day.
    Listing {
        /// The directory's entries, any order (the session does not sort).
        entries: Vec<Entry>,
        /// The current UTC time.
        now: DateTime,
    },
    /// The operation was done.
    Done,
    /// For [`StorageOp::Hash`]: the digest in lower-case hex, and the file's size.
    Hash {
        /// The digest, lower-case hex.
        digest: String,
        /// How many bytes were hashed (the file's size).
        size: u64,
    },
}

/// Why a storage operation failed; the session maps it to a reply code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The path (or its parent) does not exist (`550`).
    #[error("no such file or directory")]
    NotFound,
    /// The backend refused access (`550`).
    #[error("permission denied")]
    PermissionDenied,
    /// The target already exists (`550`, `553` for a new name).
    #[error("file exists")]
    AlreadyExists,
    /// A directory was needed (`550`).
    #[error("not a directory")]
    NotADirectory,
    /// A file was needed (`550`).
    #[error("is a directory")]
    IsADirectory,
    /// `RMD` of a directory that still has entries (`550`).
    #[error("directory not empty")]
    NotEmpty,
    /// The disk is full or a quota is reached (`452`; `552` during an upload).
    #[error("insufficient storage space")]
    NoSpace,
    /// A `REST` offset the file cannot resume from, e.g. past its end (`554`, RFC 1123
    /// §4.1.3.4). Backends refuse rather than zero-fill a hole.
    #[error("restart offset {offset} is beyond the end of the file ({size} bytes)")]
    InvalidOffset {
        /// The offset REST asked for.
        offset: u64,
        /// The file's size.
        size: u64,
    },
    /// The backend cannot do this operation at all, whatever the path (`502`): an
    /// object store that refuses `APPE` or the rename of a directory. The text says
    /// what is not supported, for the reply.
    #[error("not supported by this storage: {0}")]
    Unsupported(String),
    /// Anything else (`451`), with a short message for the reply text.
    #[error("local error: {0}")]
    Other(String),
}

impl StorageError {
    /// The reply code for this error when it answers a command directly.
    pub fn reply_code(&self) -> Code {
        match self {
            StorageError::NoSpace => Code::INSUFFICIENT_STORAGE,
            StorageError::Other(_) => Code::LOCAL_ERROR,
            StorageError::InvalidOffset { .. } => Code::INVALID_REST,
            StorageError::Unsupported(_) => Code::NOT_IMPLEMENTED,
            _ => Code::FILE_UNAVAILABLE,
        }
    }

    /// The same error from a [`std::io::ErrorKind`], for storage backends on real files.
    pub fn from_io_kind(kind: std::io::ErrorKind, message: impl fmt::Display) -> StorageError {
        use std::io::ErrorKind as K;
        match kind {
            K::NotFound => StorageError::NotFound,
            K::PermissionDenied => StorageError::PermissionDenied,
            K::AlreadyExists => StorageError::AlreadyExists,
            K::NotADirectory => StorageError::NotADirectory,
            K::IsADirectory => StorageError::IsADirectory,
            K::DirectoryNotEmpty => StorageError::NotEmpty,
            K::StorageFull | K::QuotaExceeded => StorageError::NoSpace,
            K::Unsupported => StorageError::Unsupported(message.to_string()),
            _ => StorageError::Other(message.to_string()),
        }
    }
}

/// A transfer for the adapter to run. File bytes never pass through the core.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Transfer {
    /// Names this transfer in the events the adapter reports.
    pub id: RequestId,
    /// Whose files (and whose per-user speed limits apply).
    pub user: Arc<User>,
    /// What moves.
    pub kind: TransferKind,
    /// How to get the data connection.
    pub channel: DataChannel,
    /// `TYPE A`: convert line endings with [`super::ascii`] (to CRLF when sending, from
    /// CRLF when receiving).
    pub ascii: bool,
    /// The host a data connection must come from: the control connection's peer (no
    /// PASV port theft). Ask [`Transfer::accepts`] rather than comparing it yourself.
    pub allowed_peer: IpAddr,
    /// The speed limits this transfer obeys (server-wide, per user, per connection;
    /// unlimited for a session made without [`Limits`](super::Limits)): move bytes only
    /// as fast as they allow.
    pub throttles: TransferThrottles,
    /// The running count of bytes moved, which the session reads for its stall timeout:
    /// count into it ([`Flow::moved`](super::Flow::moved) does) and no
    /// [`Session::data_progress`](super::Session::data_progress) call is needed.
    pub progress: Progress,
    /// `PROT P`: run the TLS server handshake on the data connection once it is
    /// connected (after reporting it: the `150` must reach the client first), with the
    /// control connection's session resumption state, then report
    /// [`Session::data_secured`](super::Session::data_secured). End it with a
    /// `close_notify` both ways; an upload whose client closes without one failed with
    /// [`TransferError::Truncated`]. Never sendfile/splice under TLS.
    pub tls: Option<DataTls>,
}

impl Transfer {
    /// Whether a data connection from `peer` may serve this transfer: it comes from
    /// [`allowed_peer`](Transfer::allowed_peer)'s host (an IPv4 address and its
    /// IPv4-mapped IPv6 form count as one). Call on each connection accepted on the
    /// passive listener and drop those for which it is false (keep waiting: the real
    /// client may still come). [`Session::data_connected`](super::Session::data_connected)
    /// checks again.
    pub fn accepts(&self, peer: SocketAddr) -> bool {
        crate::addr::same_host(peer.ip(), self.allowed_peer)
    }
}

/// What a [`Transfer`] moves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransferKind {
    /// Send the file at `path` from byte `offset` (REST). Report a missing file, a
    /// directory, etc. with [`Session::data_failed`](super::Session::data_failed) and a
    /// [`TransferError::Storage`] *before* connecting.
    Retrieve {
        /// The file.
        path: VirtualPath,
        /// Start here (0 without REST); past the end sends nothing.
        offset: u64,
    },
    /// Receive into the file at `path`.
    Store {
        /// The file.
        path: VirtualPath,
        /// With `append` false: write from this byte on, keeping what is before it
        /// (REST); 0 truncates the file first.
        offset: u64,
        /// `APPE`: write at the end (after `offset` bytes when REST was given).
        append: bool,
        /// `STOU`: the file must not exist yet (create it exclusively, else fail with
        /// [`StorageError::AlreadyExists`]; the session then tries another name).
        unique: bool,
    },
    /// Send these bytes (a listing the session formatted), then close.
    SendData(Bytes),
}

impl TransferKind {
    /// Whether data flows from the client to the server.
    pub fn is_upload(&self) -> bool {
        matches!(self, TransferKind::Store { .. })
    }
}

/// Where a transfer's data connection comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataChannel {
    /// Accept one connection on the passive listener opened by the last
    /// [`Output::OpenPassive`]; only from a peer the transfer
    /// [`accepts`](Transfer::accepts) (drop others and keep waiting). The transfer
    /// borrows the listener and the adapter keeps it: the session sends
    /// [`Output::ClosePassive`] once the data connection is up, or once the transfer
    /// ended without one. A transfer that failed before connecting (a `STOU` whose name
    /// was taken) may be followed by another `Transfer` on the same listener.
    Passive,
    /// Connect to this address (`PORT`/`EPRT`, already checked against bounce).
    Active(SocketAddr),
}

/// Why a transfer failed, as the adapter reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransferError {
    /// The file could not be opened, read or written.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The data connection could not be established (`425`).
    #[error("cannot open data connection: {0}")]
    Connect(String),
    /// The data connection broke during the transfer (`426`).
    #[error("data connection lost: {0}")]
    Broken(String),
    /// The client closed a TLS data connection without `close_notify`: the data may be
    /// cut short, so an upload is not committed (`426`).
    #[error("the TLS data connection was closed without close_notify: transfer truncated")]
    Truncated,
}

/// Something that happened, for the embedding application's logs and counters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// A user logged in.
    LoggedIn(Arc<User>),
    /// A login attempt was refused (`530` to `USER` or `PASS`). Its log line is stable,
    /// `login failed for USER from IP`, for tools such as fail2ban.
    LoginFailed {
        /// The name given with `USER`, lossily decoded.
        login: String,
        /// The client's address (canonical: IPv4 for an IPv4-mapped one).
        ip: IpAddr,
    },
    /// The failed login just reported was the
    /// [`Config::max_login_failures`](super::Config::max_login_failures)th from `ip`
    /// within the window: `ip` is banned for `ban`.
    BanStarted {
        /// The banned address.
        ip: IpAddr,
        /// How long.
        ban: std::time::Duration,
    },
    /// A connection or login from a banned address was refused (`421`, then close).
    Banned {
        /// The banned address.
        ip: IpAddr,
    },
    /// A connection over
    /// [`Config::max_connections_per_ip`](super::Config::max_connections_per_ip) was
    /// refused (`421`).
    AddressLimitReached {
        /// The client's address.
        ip: IpAddr,
    },
    /// The logged-in user logged out (`QUIT`, `REIN`, another `USER`, close, timeout).
    /// A user manager counting sessions per user releases the slot here.
    LoggedOut(Arc<User>),
    /// A transfer finished with `226`.
    TransferDone {
        /// The file (`None` for listings).
        path: Option<VirtualPath>,
        /// Whether it was an upload.
        upload: bool,
        /// Bytes moved, as the adapter reported.
        bytes: u64,
    },
    /// A passive listener could not be opened: the port range is exhausted.
    NoAvailablePort(NoAvailablePort),
    /// The session closed because the client was idle too long.
    IdleTimeout,
    /// A connection over [`Config::max_connections`](super::Config::max_connections)
    /// was refused (`421`).
    ServerFull,
    /// This user's login was refused: [`User::max_connections`] of their sessions are
    /// logged in already (`530`).
    UserLimitReached(Arc<User>),
    /// Transfer `id` moved no byte for
    /// [`Config::stall_timeout`](super::Config::stall_timeout): it was aborted (`426`),
    /// the session goes on.
    DataStalled {
        /// The transfer given up on.
        id: RequestId,
    },
    /// The request `id` was not answered within
    /// [`Config::request_timeout`](super::Config::request_timeout): its command got an
    /// error reply (an auth request also closed the session), and its late answer will
    /// be ignored. A storage or user manager call that hangs shows up here.
    RequestTimedOut {
        /// The request given up on.
        id: RequestId,
    },
    /// Transfer `id`'s TLS data connection did not resume its control connection's TLS
    /// session ([`TlsPolicy::session_reuse_required`](super::TlsPolicy::session_reuse_required)):
    /// it was refused (`425`), the session goes on. A client without session reuse, or
    /// someone else's connection to the passive port.
    TlsNotResumed {
        /// The refused transfer.
        id: RequestId,
    },
}

impl Event {
    /// Whether an operator should hear of it (a log at warning level): the port range
    /// is exhausted, a storage or user manager call hangs, a login failed or an address
    /// was banned for it. The rest is routine.
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            Event::NoAvailablePort(_)
                | Event::RequestTimedOut { .. }
                | Event::TlsNotResumed { .. }
                | Event::LoginFailed { .. }
                | Event::BanStarted { .. }
        )
    }
}

/// One line for a log, without the peer (the adapter prefixes it).
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::LoggedIn(u) => write!(f, "{} logged in", u.display_name()),
            Event::LoginFailed { login, ip } => {
                // Control characters escaped, so a name cannot forge a second line.
                write!(f, "login failed for {} from {ip}", login.escape_debug())
            }
            Event::BanStarted { ip, ban } => write!(
                f,
                "{ip} banned for {} s after too many failed logins",
                ban.as_secs()
            ),
            Event::Banned { ip } => write!(f, "refused: {ip} is banned after failed logins"),
            Event::AddressLimitReached { ip } => {
                write!(f, "refused: too many connections from {ip}")
            }
            Event::LoggedOut(u) => write!(f, "{} logged out", u.display_name()),
            Event::TransferDone {
                path: Some(p),
                upload,
                bytes,
            } => {
                let dir = if *upload { "received" } else { "sent" };
                write!(f, "{dir} {p}, {bytes} bytes")
            }
            Event::TransferDone {
                path: None, bytes, ..
            } => {
                write!(f, "listing sent, {bytes} bytes")
            }
            Event::NoAvailablePort(e) => write!(f, "{e}"),
            Event::IdleTimeout => f.write_str("idle timeout"),
            Event::ServerFull => f.write_str("refused: server full"),
            Event::UserLimitReached(u) => {
                write!(
                    f,
                    "{} refused: too many sessions of this user",
                    u.display_name()
                )
            }
            Event::DataStalled { id } => write!(f, "transfer {id} stalled"),
            Event::RequestTimedOut { id } => write!(f, "request {id} timed out"),
            Event::TlsNotResumed { id } => write!(
                f,
                "transfer {id} refused: its TLS data connection did not resume the control session"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;

    #[test]
    fn storage_errors_pick_their_reply_codes() {
        let cases = [
            (StorageError::NotFound, 550),
            (StorageError::PermissionDenied, 550),
            (StorageError::NotEmpty, 550),
            (StorageError::NoSpace, 452),
            (StorageError::InvalidOffset { offset: 9, size: 8 }, 554),
            (StorageError::Other("disk on fire".into()), 451),
        ];
        for (err, code) in cases {
            assert_eq!(err.reply_code().value(), code, "{err}");
        }
        assert_eq!(
            StorageError::InvalidOffset { offset: 9, size: 8 }.to_string(),
            "restart offset 9 is beyond the end of the file (8 bytes)"
        );
    }

    #[test]
    fn io_kinds_map_to_storage_errors() {
        let map = |k| StorageError::from_io_kind(k, "msg");
        assert_eq!(map(ErrorKind::NotFound), StorageError::NotFound);
        assert_eq!(map(ErrorKind::DirectoryNotEmpty), StorageError::NotEmpty);
        assert_eq!(map(ErrorKind::StorageFull), StorageError::NoSpace);
        assert_eq!(
            map(ErrorKind::Interrupted),
            StorageError::Other("msg".into())
        );
    }

    #[test]
    fn events_read_as_log_lines() {
        let alice = Arc::new(User::new("alice", "pw"));
        let done = Event::TransferDone {
            path: Some(VirtualPath::parse(b"/a.txt").unwrap()),
            upload: true,
            bytes: 5,
        };
        assert_eq!(done.to_string(), "received /a.txt, 5 bytes");
        assert_eq!(Event::LoggedIn(alice).to_string(), "alice logged in");
        let stalled = Event::DataStalled { id: RequestId(3) };
        assert_eq!(stalled.to_string(), "transfer #3 stalled");
        assert!(!stalled.is_warning());
        assert!(Event::RequestTimedOut { id: RequestId(3) }.is_warning());
        let failed = Event::LoginFailed {
            login: "bob\nlogin failed for x".into(),
            ip: "10.0.0.2".parse().unwrap(),
        };
        assert_eq!(
            failed.to_string(),
            "login failed for bob\\nlogin failed for x from 10.0.0.2"
        );
        assert!(failed.is_warning());
    }
}
