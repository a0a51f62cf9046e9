//! [`Shared`]: what every session of one server shares.

use std::sync::Arc;

use sansftp::server::ServerState;
use sansftp_storage::Storage;

use crate::auth::UserManager;
use crate::shutdown::Signal;

/// What every session of one server shares.
pub(crate) struct Shared {
    /// The configuration, the limits, the passive ports.
    pub(crate) server: ServerState,
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) users: Arc<dyn UserManager>,
    pub(crate) shutdown: Arc<Signal>,
    /// The certificate, when the server offers FTPS.
    pub(crate) tls: Option<sansftp_tls::ServerTls>,
}
