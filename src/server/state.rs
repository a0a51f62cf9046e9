//! [`ServerState`]: what every session of one server shares, without the IO: its
//! configuration, its connection and speed limits, its passive port pool.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use super::config::Config;
use super::limits::Limits;
use super::ports::PortPool;
use super::session::Session;

/// The listen backlog adapters use unless told otherwise: how many connections the
/// kernel queues before the server accepts them (it caps this at `net.core.somaxconn`).
pub const DEFAULT_BACKLOG: u32 = 1024;

/// One per server, shared by its sessions: the configuration it runs with (the
/// anonymous user added when it has no users, [`Config::or_anonymous`]), the
/// connection counts and speed limits ([`Limits`]) and the passive ports
/// ([`PortPool`]). It makes each connection's [`Session`].
///
/// ```
/// use std::time::Instant;
/// use sansftp::server::{Config, ServerState};
///
/// let now = Instant::now();
/// let server = ServerState::new(Config::new(), now);
/// assert_eq!(server.config.users.len(), 1); // the anonymous user
/// let session = server.session("127.0.0.1:5000".parse().unwrap(),
///                              "127.0.0.1:21".parse().unwrap(), now);
/// assert_eq!(server.limits.connections(), 1);
/// # drop(session);
/// ```
#[derive(Debug, Clone)]
pub struct ServerState {
    /// The configuration every session runs with.
    pub config: Arc<Config>,
    /// Connection counts and speed limit throttles.
    pub limits: Limits,
    /// Ports for passive listeners, from [`Config::passive_ports`].
    pub ports: PortPool,
}

impl ServerState {
    /// The state of a server starting at `now` with `config`.
    pub fn new(config: Config, now: Instant) -> ServerState {
        let config = config.or_anonymous();
        ServerState {
            limits: Limits::new(&config, now),
            ports: PortPool::new(config.passive_ports.clone()),
            config: Arc::new(config),
        }
    }

    /// The session of a control connection from `peer`, accepted on `local` (a
    /// [`Session::with_limits`]: it refuses the connection itself when the server is full).
    pub fn session(&self, peer: SocketAddr, local: SocketAddr, now: Instant) -> Session {
        Session::with_limits(Arc::clone(&self.config), &self.limits, peer, local, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{Output, User};

    #[test]
    fn sessions_share_the_servers_limits() {
        let now = Instant::now();
        let config = Config::new()
            .user(User::new("alice", "pw"))
            .max_connections(Some(1));
        let server = ServerState::new(config, now);
        assert_eq!(server.config.users.len(), 1, "named users: no anonymous");
        let peer = "127.0.0.1:5000".parse().unwrap();
        let local = "127.0.0.1:21".parse().unwrap();
        let first = server.session(peer, local, now);
        assert!(!first.is_closed());
        let mut second = server.session(peer, local, now);
        assert!(second.is_closed(), "over max_connections");
        let said: Vec<u8> = std::iter::from_fn(|| second.poll_output())
            .filter_map(|o| match o {
                Output::Send(b) => Some(b.to_vec()),
                _ => None,
            })
            .flatten()
            .collect();
        assert!(said.starts_with(b"421 "));
    }
}
