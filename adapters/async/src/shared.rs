//! [`Shared`]: what every session of one server shares.

use std::sync::Arc;

use sansftp::server::{Config, Limits, PortPool};
use sansftp_storage::Storage;

use crate::auth::UserManager;
use crate::running::Running;
use crate::shutdown::Signal;

/// What every session of one server shares.
pub(crate) struct Shared {
    pub(crate) config: Arc<Config>,
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) users: Arc<dyn UserManager>,
    pub(crate) ports: PortPool,
    pub(crate) limits: Limits,
    pub(crate) running: Arc<Running>,
    pub(crate) shutdown: Arc<Signal>,
}
