//! [`Shared`]: what every session of one server shares, and the registry of live
//! sessions the graceful shutdown goes through.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sansftp::server::{ServerState, Stopping};
use sansftp_storage::Storage;

use crate::msg::Msg;
use crate::threads::Threads;
use crate::users::UserManager;

/// What every session of one server shares.
pub(crate) struct Shared {
    /// The configuration, the limits, the passive ports.
    pub(crate) server: ServerState,
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) users: Arc<dyn UserManager>,
    /// `users` is the configuration's own (no [`Builder::user_manager`]): an in-memory
    /// lookup that cannot hang, answered on the session's thread.
    pub(crate) config_users: bool,
    /// The certificate, with [`Builder::tls`](crate::Builder::tls).
    pub(crate) tls: Option<sansftp_tls::ServerTls>,
    /// Whether shutdown was asked for, and its deadline.
    pub(crate) stopping: Stopping,
    pub(crate) next_session: AtomicU64,
    pub(crate) sessions: Mutex<Sessions>,
    pub(crate) all_closed: Condvar,
    /// Every thread the server starts: sessions, their readers, request workers and
    /// transfers.
    pub(crate) threads: Arc<Threads>,
}

#[derive(Default)]
pub(crate) struct Sessions {
    /// The channel of each live session, to tell it about a shutdown.
    pub(crate) live: HashMap<u64, Sender<Msg>>,
}

impl Shared {
    /// Registers a session's channel; returns the shutdown deadline if shutdown has
    /// already begun (the session then closes as soon as it can). Read after the
    /// insert, under the lock: a shutdown that sets it after this either is seen here or
    /// sends to this session.
    pub(crate) fn register(&self, id: u64, tx: Sender<Msg>) -> Option<Instant> {
        let mut sessions = self.lock_sessions();
        sessions.live.insert(id, tx);
        self.stopping.deadline()
    }

    /// Waits until every session has ended, or a second past the deadline (a session
    /// blocked writing to a client that does not read is left to its write timeout).
    pub(crate) fn close_sessions(&self) {
        let mut sessions = self.lock_sessions();
        let deadline = self.stopping.deadline().unwrap_or_else(Instant::now);
        let until = deadline + Duration::from_secs(1);
        while !sessions.live.is_empty() {
            let now = Instant::now();
            if now >= until {
                log::warn!("{} sessions still open after shutdown", sessions.live.len());
                return;
            }
            sessions = match self.all_closed.wait_timeout(sessions, until - now) {
                Ok((s, _)) => s,
                Err(e) => e.into_inner().0,
            };
        }
    }

    pub(crate) fn lock_sessions(&self) -> MutexGuard<'_, Sessions> {
        // Every update is a single map insert/remove: consistent even if poisoned.
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Unregisters a session when its thread ends, however it ends.
pub(crate) struct LiveSession {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: u64,
}

impl Drop for LiveSession {
    fn drop(&mut self) {
        let mut sessions = self.shared.lock_sessions();
        sessions.live.remove(&self.id);
        if sessions.live.is_empty() {
            self.shared.all_closed.notify_all();
        }
    }
}

/// Where to connect to reach a listener bound to `addr` (an unspecified address is
/// reached through loopback).
pub(crate) fn wake_addr(addr: SocketAddr) -> SocketAddr {
    let ip = match addr {
        SocketAddr::V4(a) if a.ip().is_unspecified() => Ipv4Addr::LOCALHOST.into(),
        SocketAddr::V6(a) if a.ip().is_unspecified() => Ipv6Addr::LOCALHOST.into(),
        _ => addr.ip(),
    };
    SocketAddr::new(ip, addr.port())
}
