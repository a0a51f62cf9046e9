//! [`Msg`]: everything that can happen to a session, as sent on its channel.

use std::net::SocketAddr;
use std::time::Instant;

use sansftp::server::{AuthResult, RequestId, StorageError, StorageOutcome, TransferError};
use sansftp_storage::WriteHandle;

/// Something that happened to a session.
pub(crate) enum Msg {
    /// Bytes read from the control connection.
    Control(Vec<u8>),
    /// The control connection reached end of file or broke.
    ControlClosed,
    /// The user manager answered.
    Auth { id: RequestId, result: AuthResult },
    /// The storage answered.
    Storage {
        id: RequestId,
        result: Result<StorageOutcome, StorageError>,
    },
    /// A transfer has its data connection.
    Connected { id: RequestId, peer: SocketAddr },
    /// A transfer moved all its bytes and closed its data connection.
    Done { id: RequestId, bytes: u64 },
    /// An upload's data connection ended cleanly: its file is written and flushed but
    /// not committed (the session decides when).
    Received {
        id: RequestId,
        bytes: u64,
        file: WriteHandle,
    },
    /// A transfer failed.
    Failed { id: RequestId, error: TransferError },
    /// The server is shutting down: tell the session, and close at `deadline` whatever
    /// still runs.
    Shutdown { deadline: Instant },
}
