//! The passive port pool: which port the next passive listener tries, shared by every
//! session of a server.
//!
//! The pool hands out ports of [`Config::passive_ports`](super::Config::passive_ports)
//! round-robin, skipping the ports its leases still hold and the ones the adapter could
//! not bind (another program has them). It never binds anything itself: the adapter
//! passes its bind function to [`PortPool::bind`], which tries ports until one binds or
//! the range is exhausted ([`NoAvailablePort`]). Without a range, the adapter binds port
//! 0 and the OS picks.
//!
//! ```
//! use std::net::TcpListener;
//! use sansftp::server::PortPool;
//!
//! let pool = PortPool::new(None); // any port the OS gives
//! let (listener, lease) = pool.bind(|port| TcpListener::bind(("127.0.0.1", port))).unwrap();
//! assert_ne!(listener.local_addr().unwrap().port(), 0);
//! drop(lease); // with a range, this gives the port back
//! ```

use std::collections::HashSet;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::NoAvailablePort;

/// Ports for passive listeners, handed out round-robin from a range. Cheap to clone:
/// clones share the same pool.
#[derive(Debug, Clone)]
pub struct PortPool {
    range: Option<RangeInclusive<u16>>,
    state: Arc<Mutex<State>>,
}

/// A port taken from a [`PortPool`]; dropping it gives the port back. Keep it as long as
/// the listener bound on it lives.
#[derive(Debug)]
pub struct PortLease {
    port: u16,
    /// `None` for a port the OS picked: nothing to give back.
    state: Option<Arc<Mutex<State>>>,
}

#[derive(Debug, Default)]
struct State {
    /// The next port to try.
    next: u32,
    in_use: HashSet<u16>,
}

impl PortPool {
    /// A pool over `range` (`None`: port 0, the OS picks). An empty range
    /// (`start > end`) has no port at all.
    pub fn new(range: Option<RangeInclusive<u16>>) -> PortPool {
        let next = range.as_ref().map_or(0, |r| u32::from(*r.start()));
        PortPool {
            range,
            state: Arc::new(Mutex::new(State {
                next,
                in_use: HashSet::new(),
            })),
        }
    }

    /// The configured range.
    pub fn range(&self) -> Option<&RangeInclusive<u16>> {
        self.range.as_ref()
    }

    /// Binds a listener with `try_bind(port)` on the next free ports in turn, until one
    /// succeeds; any error from `try_bind` (port taken by another program, usually)
    /// moves on to the next port. Each port of the range is tried at most once per call.
    /// Without a range, `try_bind(0)` is called once.
    ///
    /// Fails with [`NoAvailablePort`] when no port could be bound.
    pub fn bind<L, E>(
        &self,
        mut try_bind: impl FnMut(u16) -> Result<L, E>,
    ) -> Result<(L, PortLease), NoAvailablePort> {
        let Some(range) = &self.range else {
            return match try_bind(0) {
                Ok(l) => Ok((
                    l,
                    PortLease {
                        port: 0,
                        state: None,
                    },
                )),
                Err(_) => Err(NoAvailablePort::default()),
            };
        };
        let (start, end) = (u32::from(*range.start()), u32::from(*range.end()));
        let size = (end + 1).saturating_sub(start);
        let mut tried = HashSet::new();
        for _ in 0..size {
            let Some(port) = self.take_next(start, end) else {
                break;
            };
            if !tried.insert(port) {
                // The cursor went round the whole range: every free port failed.
                lock(&self.state).in_use.remove(&port);
                break;
            }
            // The lock is not held while binding: other sessions may take other ports.
            match try_bind(port) {
                Ok(l) => {
                    return Ok((
                        l,
                        PortLease {
                            port,
                            state: Some(Arc::clone(&self.state)),
                        },
                    ));
                }
                Err(_) => {
                    lock(&self.state).in_use.remove(&port);
                }
            }
        }
        Err(NoAvailablePort::in_range(range.clone()))
    }

    /// How many ports are leased now.
    pub fn in_use(&self) -> usize {
        lock(&self.state).in_use.len()
    }

    /// Marks and returns the next port after the cursor that is not leased.
    fn take_next(&self, start: u32, end: u32) -> Option<u16> {
        let mut s = lock(&self.state);
        let size = (end + 1).saturating_sub(start);
        for _ in 0..size {
            let candidate = if s.next < start || s.next > end {
                start
            } else {
                s.next
            };
            s.next = if candidate >= end {
                start
            } else {
                candidate + 1
            };
            // In range, so it fits a u16.
            let port = u16::try_from(candidate).unwrap_or(u16::MAX);
            if s.in_use.insert(port) {
                return Some(port);
            }
        }
        None
    }
}

impl PortLease {
    /// The port, as asked of the pool (0 when the OS picked: read the listener's
    /// address instead).
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for PortLease {
    fn drop(&mut self) {
        if let Some(state) = &self.state {
            lock(state).in_use.remove(&self.port);
        }
    }
}

/// The state stays consistent whatever panicked while holding the lock (every update is
/// one insert or remove), so a poisoned lock is used as is.
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(port: u16) -> Result<u16, ()> {
        Ok(port)
    }

    #[test]
    fn round_robin_skips_leased_ports() {
        let pool = PortPool::new(Some(100..=102));
        let (a, la) = pool.bind(ok).unwrap();
        let (b, lb) = pool.bind(ok).unwrap();
        assert_eq!((a, b), (100, 101));
        drop(la);
        // Round-robin goes on to 102 before reusing 100.
        let (c, lc) = pool.bind(ok).unwrap();
        assert_eq!(c, 102);
        let (d, ld) = pool.bind(ok).unwrap();
        assert_eq!(d, 100);
        assert_eq!(pool.in_use(), 3);
        assert_eq!(
            pool.bind(ok).unwrap_err(),
            NoAvailablePort::in_range(100..=102)
        );
        drop((lb, lc, ld));
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn ports_that_fail_to_bind_are_skipped_and_not_leased() {
        let pool = PortPool::new(Some(10..=13));
        let mut tried = Vec::new();
        let (p, _lease) = pool
            .bind(|port| {
                tried.push(port);
                if port < 12 { Err("busy") } else { Ok(port) }
            })
            .unwrap();
        assert_eq!(p, 12);
        assert_eq!(tried, [10, 11, 12]);
        assert_eq!(pool.in_use(), 1);
        // Every port failing: each tried once, then NoAvailablePort.
        let mut count = 0;
        let err = pool
            .bind(|_| {
                count += 1;
                Err::<(), _>(())
            })
            .unwrap_err();
        assert_eq!(count, 3);
        assert_eq!(err.range, Some(10..=13));
        assert_eq!(pool.in_use(), 1);
    }

    #[test]
    fn without_a_range_the_os_picks() {
        let pool = PortPool::new(None);
        let (p, lease) = pool.bind(ok).unwrap();
        assert_eq!((p, lease.port()), (0, 0));
        assert!(pool.bind(|_| Err::<(), _>(())).is_err());
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn edge_ranges() {
        let full_top = PortPool::new(Some(65535..=65535));
        let (p, l) = full_top.bind(ok).unwrap();
        assert_eq!(p, 65535);
        assert!(full_top.bind(ok).is_err());
        drop(l);
        assert_eq!(full_top.bind(ok).unwrap().0, 65535);
        #[allow(clippy::reversed_empty_ranges)]
        let empty = PortPool::new(Some(5..=4));
        assert!(empty.bind(ok).is_err());
    }

    #[test]
    fn shared_between_threads() {
        let pool = PortPool::new(Some(2000..=2099));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let pool = pool.clone();
                std::thread::spawn(move || {
                    (0..25).map(|_| pool.bind(ok).unwrap()).collect::<Vec<_>>()
                })
            })
            .collect();
        let mut ports: Vec<u16> = Vec::new();
        let mut leases = Vec::new();
        for h in handles {
            for (p, l) in h.join().unwrap() {
                ports.push(p);
                leases.push(l);
            }
        }
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 100);
        assert!(pool.bind(ok).is_err());
    }
}
