//! The loop that drives the core: control-connection I/O, data connections, timeouts.

use std::net::{TcpStream, ToSocketAddrs};

use sansftp::client::Session;
use sansftp::{Error, Reply};

use super::options::{ClientOptions, SpeedLimits};

/// One control connection and its session.
#[derive(Debug)]
pub(crate) struct Driver {
    pub(crate) session: Session,
    pub(crate) control: TcpStream,
    pub(crate) options: ClientOptions,
    pub(crate) limits: SpeedLimits,
    pub(crate) ascii: bool,
    greeting: Reply,
}

impl Driver {
    pub(crate) fn connect(
        addr: impl ToSocketAddrs,
        options: ClientOptions,
    ) -> Result<Driver, Error> {
        let _ = (addr, options);
        todo!()
    }

    pub(crate) fn greeting(&self) -> &Reply {
        &self.greeting
    }
}
