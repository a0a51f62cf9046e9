//! [`Msg`]: everything that can happen to a session, as sent on its channel.

use std::time::Instant;

use sansftp::server::{AuthResult, DataEvent, RequestId, StorageError, StorageOutcome};
use sansftp_storage::WriteHandle;

/// Something that happened to a session.
pub(crate) enum Msg {
    /// Bytes read from the control connection.
    Control(Vec<u8>),
    /// The control connection reached end of file or broke.
    ControlClosed,
    /// The TLS handshake on the control connection finished.
    ControlSecured,
    /// The user manager answered.
    Auth { id: RequestId, result: AuthResult },
    /// The storage answered.
    Storage {
        id: RequestId,
        result: Result<StorageOutcome, StorageError>,
    },
    /// What a transfer did.
    Data {
        id: RequestId,
        event: DataEvent<WriteHandle>,
    },
    /// The server is shutting down: tell the session, and close at `deadline` whatever
    /// still runs.
    Shutdown { deadline: Instant },
}
