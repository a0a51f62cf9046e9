//! Passive listeners: bound on the control connection's local address with a port from
//! the core's [`PortPool`], which gets the port back when the listener is dropped.

use std::net::{IpAddr, SocketAddr, TcpListener};

use async_io::Async;
use sansftp::NoAvailablePort;
use sansftp::server::{PortLease, PortPool};

/// A bound passive listener and its port lease.
#[derive(Debug)]
pub(crate) struct PassiveListener {
    pub(crate) listener: Async<TcpListener>,
    pub(crate) addr: SocketAddr,
    _lease: PortLease,
}

/// Binds a passive listener on `ip`.
pub(crate) fn bind(pool: &PortPool, ip: IpAddr) -> Result<PassiveListener, NoAvailablePort> {
    let (listener, lease) = pool.bind(|port| {
        Async::<TcpListener>::bind((ip, port)).inspect_err(|e| {
            log::debug!("passive port {port} on {ip} unavailable: {e}");
        })
    })?;
    // With port 0 the OS chose: the listener knows which.
    let addr = listener.get_ref().local_addr().map_err(|e| {
        log::warn!("passive listener on {ip} has no address: {e}");
        NoAvailablePort {
            range: pool.range().cloned(),
        }
    })?;
    Ok(PassiveListener {
        listener,
        addr,
        _lease: lease,
    })
}
