//! Passive listeners: a port from the configured range, bound on the control
//! connection's local address, given back when dropped.
//!
//! SEAM: the blocking adapter's branch brings a pure core pool (`sansftp::server::ports`);
//! once it is merged, [`PortPool`] should keep only the binding and delegate the choice of
//! port to it.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, PoisonError};

use async_io::Async;
use sansftp::NoAvailablePort;

/// The ports of the passive range that some session's listener holds.
#[derive(Debug)]
pub(crate) struct PortPool {
    range: Option<RangeInclusive<u16>>,
    state: Mutex<PoolState>,
}

#[derive(Debug, Default)]
struct PoolState {
    in_use: HashSet<u16>,
    /// Where the next search starts, so freed ports are not reused at once (a client
    /// still connecting to the old listener would reach the new one).
    next: u16,
}

/// A bound passive listener; its port returns to the pool when it is dropped.
#[derive(Debug)]
pub(crate) struct PassiveListener {
    pub(crate) listener: Async<TcpListener>,
    pub(crate) addr: SocketAddr,
    lease: Option<(Arc<PortPool>, u16)>,
}

impl PortPool {
    pub(crate) fn new(range: Option<RangeInclusive<u16>>) -> PortPool {
        let next = range.as_ref().map_or(0, |r| *r.start());
        PortPool {
            range,
            state: Mutex::new(PoolState {
                in_use: HashSet::new(),
                next,
            }),
        }
    }

    /// Binds a listener on `ip`, on a free port of the range (any port without one).
    pub(crate) fn bind(self: &Arc<Self>, ip: IpAddr) -> Result<PassiveListener, NoAvailablePort> {
        let Some(range) = self.range.clone() else {
            let listener = Async::<TcpListener>::bind((ip, 0)).map_err(|e| {
                log::warn!("cannot open a passive listener on {ip}: {e}");
                NoAvailablePort::default()
            })?;
            let addr = listener.get_ref().local_addr().map_err(|_| NoAvailablePort::default())?;
            return Ok(PassiveListener { listener, addr, lease: None });
        };
        let len = usize::from(range.end().saturating_sub(*range.start())) + 1;
        for _ in 0..len {
            let Some(port) = self.reserve(&range) else { break };
            match Async::<TcpListener>::bind((ip, port)) {
                Ok(listener) => {
                    let addr = SocketAddr::new(ip, port);
                    return Ok(PassiveListener { listener, addr, lease: Some((Arc::clone(self), port)) });
                }
                // Another program holds it: leave it marked for this round, try the next.
                Err(e) => {
                    log::debug!("passive port {port} unavailable: {e}");
                    self.release(port);
                }
            }
        }
        Err(NoAvailablePort::in_range(range))
    }

    /// Marks the next free port of `range` as used.
    fn reserve(&self, range: &RangeInclusive<u16>) -> Option<u16> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (start, end) = (*range.start(), *range.end());
        let len = u32::from(end.saturating_sub(start)) + 1;
        for _ in 0..len {
            let port = if (start..=end).contains(&s.next) { s.next } else { start };
            s.next = if port == end { start } else { port + 1 };
            if s.in_use.insert(port) {
                return Some(port);
            }
        }
        None
    }

    fn release(&self, port: u16) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.in_use.remove(&port);
    }
}

impl Drop for PassiveListener {
    fn drop(&mut self) {
        if let Some((pool, port)) = self.lease.take() {
            pool.release(port);
        }
    }
}
