//! [`Audit`]: what a client did, for an operator's audit trail (logins, logouts, failed
//! logins, uploads complete and aborted, downloads, deletions, renames, directories made
//! and removed), and [`AuditSink`], where the adapter hands each record.
//!
//! The session emits [`Output::Audit`](super::Output::Audit); the adapter passes it to
//! [`Config::audit`](super::Config::audit) on the session's thread or task. A sink must
//! not block: it hands the record on (a channel, a queue) and returns.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use sansftp::server::{Audit, AuditSink, Config};
//!
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let into = Arc::clone(&seen);
//! let config = Config::new().audit(AuditSink::new(move |a: Audit| {
//!     into.lock().unwrap().push(a.action.name());
//! }));
//! # let _ = config;
//! ```

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::path::VirtualPath;

/// One audited action of one client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Audit {
    /// The client's control connection address.
    pub peer: SocketAddr,
    /// Who: the logged-in user's name (`anonymous` for the anonymous user), `None`
    /// before login (a failed login names the login tried in its action).
    pub user: Option<String>,
    /// What.
    pub action: AuditAction,
}

/// What a client did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditAction {
    /// Logged in.
    Login,
    /// Logged out (`QUIT`, `REIN`, another `USER`, a closed or timed-out connection).
    Logout,
    /// A login was refused (`530`).
    LoginFailed {
        /// The name given with `USER`, lossily decoded.
        login: String,
    },
    /// An upload was committed (`226`).
    Upload {
        /// The file.
        path: VirtualPath,
        /// Bytes received.
        bytes: u64,
    },
    /// An upload that had its data connection ended without being committed (`ABOR`, a
    /// broken or stalled connection, a failed commit, the client gone): the file was
    /// left as it was.
    UploadAborted {
        /// The file.
        path: VirtualPath,
        /// Bytes received before the end, as counted.
        bytes: u64,
    },
    /// A file was sent whole (`226`).
    Download {
        /// The file.
        path: VirtualPath,
        /// Bytes sent.
        bytes: u64,
    },
    /// A file was deleted (`DELE`).
    Delete {
        /// The file.
        path: VirtualPath,
    },
    /// Something was renamed (`RNFR` + `RNTO`).
    Rename {
        /// The old path.
        from: VirtualPath,
        /// The new path.
        to: VirtualPath,
    },
    /// A directory was made (`MKD`).
    MakeDir {
        /// The directory.
        path: VirtualPath,
    },
    /// A directory was removed (`RMD`).
    RemoveDir {
        /// The directory.
        path: VirtualPath,
    },
}

impl AuditAction {
    /// A short stable name: `login`, `logout`, `login_failed`, `upload`,
    /// `upload_aborted`, `download`, `delete`, `rename`, `mkdir`, `rmdir`.
    pub fn name(&self) -> &'static str {
        match self {
            AuditAction::Login => "login",
            AuditAction::Logout => "logout",
            AuditAction::LoginFailed { .. } => "login_failed",
            AuditAction::Upload { .. } => "upload",
            AuditAction::UploadAborted { .. } => "upload_aborted",
            AuditAction::Download { .. } => "download",
            AuditAction::Delete { .. } => "delete",
            AuditAction::Rename { .. } => "rename",
            AuditAction::MakeDir { .. } => "mkdir",
            AuditAction::RemoveDir { .. } => "rmdir",
        }
    }
}

/// Where audit records go: a function the adapters call with each [`Audit`], on the
/// session's thread or task. It must not block (hand the record to a channel). Cheap
/// to clone.
#[derive(Clone)]
pub struct AuditSink(Arc<dyn Fn(Audit) + Send + Sync>);

impl AuditSink {
    /// A sink that calls `f` with each record.
    pub fn new(f: impl Fn(Audit) + Send + Sync + 'static) -> AuditSink {
        AuditSink(Arc::new(f))
    }

    /// Hands `audit` to the sink. Adapters call it for each
    /// [`Output::Audit`](super::Output::Audit).
    pub fn deliver(&self, audit: Audit) {
        (self.0)(audit)
    }
}

impl fmt::Debug for AuditSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuditSink(..)")
    }
}
