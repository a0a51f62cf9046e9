//! [`ServerState`]: what every session of one server shares, without the IO: its
//! configuration, its connection and speed limits, its passive port pool; and
//! [`Stopping`], its graceful shutdown as requested.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::config::Config;
use super::limits::Limits;
use super::ports::PortPool;
use super::session::Session;
use super::user::User;

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
    /// The listener is implicit FTPS: every session starts with the handshake
    /// ([`Session::implicit_tls`]).
    pub implicit_tls: bool,
}

impl ServerState {
    /// The state of a server starting at `now` with `config`.
    pub fn new(config: Config, now: Instant) -> ServerState {
        let config = config.or_anonymous();
        ServerState {
            limits: Limits::new(&config, now),
            ports: PortPool::new(config.passive_ports.clone()),
            config: Arc::new(config),
            implicit_tls: false,
        }
    }

    /// [`ServerState::new`] for a server whose adapter has a TLS certificate or not
    /// (`certificate`), on an implicit-TLS listener or not: with a certificate
    /// [`TlsPolicy::available`](super::TlsPolicy::available) is set (the rest of
    /// `config.tls` is kept); without one, an implicit listener or a `config.tls` that
    /// says TLS is available is refused with an error saying what to do.
    pub fn with_tls(
        mut config: Config,
        now: Instant,
        certificate: bool,
        implicit: bool,
    ) -> Result<ServerState, crate::Error> {
        if certificate {
            config.tls.available = true;
        } else if implicit || config.tls.available {
            let what = if implicit {
                "an implicit-TLS listener"
            } else {
                "Config::tls"
            };
            let text = format!("{what} needs a certificate: call Builder::tls");
            let e = std::io::Error::new(std::io::ErrorKind::InvalidInput, text);
            return Err(crate::Error::Io(e));
        }
        let mut state = ServerState::new(config, now);
        state.implicit_tls = implicit;
        Ok(state)
    }

    /// What a server adapter's `Builder::bind` does before binding:
    /// [`with_tls`](ServerState::with_tls), then every configured user's root checked
    /// with `check_root` (`Storage::check_root` of `sansftp-storage`: a missing root
    /// fails with [`Error::PathIo`](crate::Error::PathIo) naming it). `check_root`
    /// may block; nothing else here does.
    pub fn prepare(
        config: Config,
        now: Instant,
        certificate: bool,
        implicit: bool,
        mut check_root: impl FnMut(&User) -> Result<(), crate::PathIoError>,
    ) -> Result<ServerState, crate::Error> {
        let state = ServerState::with_tls(config, now, certificate, implicit)?;
        for user in &state.config.users {
            check_root(user)?;
        }
        Ok(state)
    }

    /// [`session`](ServerState::session) for a control connection that began with a
    /// PROXY header ([`Config::proxy_protocol`]) saying `proxied`
    /// ([`ProxyHeaderReader`](super::ProxyHeaderReader)): its peer is the client the
    /// header names (the socket's `peer` when it names none), and the bytes read past
    /// the header are its first control bytes (unless the session refused the
    /// connection). Without a header, pass `Default::default()`.
    pub fn proxied_session(
        &self,
        peer: SocketAddr,
        local: SocketAddr,
        proxied: super::ProxiedConnection,
        now: Instant,
    ) -> Session {
        let (source, early) = proxied;
        let mut session = self.session(source.unwrap_or(peer), local, now);
        if !early.is_empty() && !session.is_closed() {
            session.handle_control(&early, now);
        }
        session
    }

    /// The session of a control connection from `peer`, accepted on `local` (a
    /// [`Session::with_limits`]: it refuses the connection itself when the server is full).
    /// On an implicit-TLS listener the session starts with the handshake.
    pub fn session(&self, peer: SocketAddr, local: SocketAddr, now: Instant) -> Session {
        let mut session =
            Session::with_limits(Arc::clone(&self.config), &self.limits, peer, local, now);
        if self.implicit_tls {
            session.implicit_tls();
        }
        session
    }
}

/// Binds the first of `addrs` that `bind` can listen on. The error names the last
/// address that failed (`cannot listen on <addr>: <why>`), or says there was none.
pub fn bind_first<L>(
    addrs: impl IntoIterator<Item = SocketAddr>,
    mut bind: impl FnMut(SocketAddr) -> io::Result<L>,
) -> io::Result<L> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to listen on");
    for addr in addrs {
        match bind(addr) {
            Ok(l) => return Ok(l),
            Err(e) => last = io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")),
        }
    }
    Err(last)
}

/// A server's graceful shutdown as requested: whether it was, and by when everything
/// must be closed. Shared by whoever asks (a handle on another thread) and the server's
/// loops; a second request can only bring the deadline closer.
#[derive(Debug, Default)]
pub struct Stopping {
    requested: AtomicBool,
    deadline: Mutex<Option<Instant>>,
}

/// How far away a deadline too far to represent is put instead.
const FAR: Duration = Duration::from_secs(86_400);

impl Stopping {
    /// Asks for the shutdown at `now`, everything closed within `grace`; returns the
    /// deadline in force (the earliest asked for). Tell each session with
    /// [`Session::shutdown_by`] (or drop what is left at the deadline).
    pub fn request(&self, now: Instant, grace: Duration) -> Instant {
        let asked = now
            .checked_add(grace)
            .or_else(|| now.checked_add(FAR))
            .unwrap_or(now);
        let mut deadline = self.deadline.lock().unwrap_or_else(PoisonError::into_inner);
        let at = deadline.map_or(asked, |old| old.min(asked));
        *deadline = Some(at);
        self.requested.store(true, Ordering::SeqCst);
        at
    }

    /// Whether [`request`](Stopping::request) was called.
    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// The deadline in force, once requested.
    pub fn deadline(&self) -> Option<Instant> {
        *self.deadline.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// For an adapter that drops what is left at the deadline itself: once the
    /// shutdown is requested, tells `session` ([`Session::shutdown`]: `421` and a close
    /// once nothing runs) unless it was told already. True when this call told it:
    /// drain its outputs again. Call it in the session's loop before each wait.
    pub fn tell(&self, session: &mut Session, now: Instant) -> bool {
        let news = self.is_requested() && !session.is_shutting_down();
        if news {
            session.shutdown(now);
        }
        news
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::Output;

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

    #[test]
    fn preparing_checks_tls_first_then_every_root() {
        let now = Instant::now();
        let config = || {
            Config::new()
                .user(User::new("alice", "pw").base_path("/a"))
                .user(User::new("bob", "pw").base_path("/b"))
        };
        let mut checked = Vec::new();
        let state = ServerState::prepare(config(), now, false, false, |u| {
            checked.push(u.base_path.clone());
            Ok(())
        });
        assert!(state.is_ok());
        assert_eq!(checked, ["/a", "/b"].map(std::path::PathBuf::from));
        let missing = ServerState::prepare(config(), now, false, false, |u| {
            match u.base_path == std::path::Path::new("/b") {
                true => Err(crate::PathIoError::with_path(&u.base_path, "missing")),
                false => Ok(()),
            }
        });
        assert!(matches!(missing, Err(crate::Error::PathIo(e)) if e.to_string().contains("/b")));
        let no_certificate = ServerState::prepare(config(), now, false, true, |_| {
            panic!("no root is checked for a server that cannot start")
        });
        assert!(matches!(no_certificate, Err(crate::Error::Io(_))));
        let tls = ServerState::prepare(config(), now, true, true, |_| Ok(())).unwrap();
        assert!(tls.config.tls.available && tls.implicit_tls);
    }

    #[test]
    fn a_proxied_session_is_the_clients_and_starts_with_the_bytes_past_the_header() {
        let now = Instant::now();
        let server = ServerState::new(Config::new(), now);
        let (proxy, local) = (
            "10.0.0.1:4000".parse().unwrap(),
            "10.0.0.2:21".parse().unwrap(),
        );
        let client = "203.0.113.7:5000".parse().unwrap();
        let mut session =
            server.proxied_session(proxy, local, (Some(client), b"NOOP\r\n".to_vec()), now);
        assert_eq!(session.peer(), client);
        let said: Vec<u8> = std::iter::from_fn(|| session.poll_output())
            .filter_map(|o| match o {
                Output::Send(b) => Some(b.to_vec()),
                _ => None,
            })
            .flatten()
            .collect();
        assert!(
            said.starts_with(b"220") && said.ends_with(b"200 NOOP ok\r\n"),
            "{said:?}"
        );
        let unproxied = server.proxied_session(proxy, local, Default::default(), now);
        assert_eq!(unproxied.peer(), proxy);
    }

    #[test]
    fn a_session_is_told_of_a_requested_shutdown_once() {
        let now = Instant::now();
        let server = ServerState::new(Config::new(), now);
        let (peer, local) = (
            "127.0.0.1:5000".parse().unwrap(),
            "127.0.0.1:21".parse().unwrap(),
        );
        let mut session = server.session(peer, local, now);
        let stopping = Stopping::default();
        assert!(!stopping.tell(&mut session, now), "nothing requested");
        assert!(!session.is_shutting_down());
        stopping.request(now, Duration::from_secs(5));
        assert!(stopping.tell(&mut session, now));
        assert!(session.is_shutting_down());
        assert!(!stopping.tell(&mut session, now), "told already");
    }

    #[test]
    fn a_second_shutdown_request_only_brings_the_deadline_closer() {
        let now = Instant::now();
        let stopping = Stopping::default();
        assert!(!stopping.is_requested());
        assert_eq!(stopping.deadline(), None);
        let secs = Duration::from_secs;
        assert_eq!(stopping.request(now, secs(10)), now + secs(10));
        assert!(stopping.is_requested());
        assert_eq!(
            stopping.request(now, secs(60)),
            now + secs(10),
            "later: kept"
        );
        assert_eq!(stopping.request(now, secs(2)), now + secs(2));
        assert_eq!(stopping.deadline(), Some(now + secs(2)));
        // A grace too long to represent is a day, not a panic.
        let far = Stopping::default();
        assert_eq!(far.request(now, Duration::MAX), now + FAR);
    }

    #[test]
    fn bind_first_takes_the_first_address_that_binds() {
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:2".parse().unwrap();
        let refuse = |x: SocketAddr| io::Error::new(io::ErrorKind::AddrInUse, format!("{x} busy"));
        let bound = bind_first([a, b], |x| if x == a { Err(refuse(x)) } else { Ok(x) });
        assert_eq!(bound.unwrap(), b);
        let e = bind_first([a, b], |x| Err::<(), _>(refuse(x))).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
        assert_eq!(
            e.to_string(),
            "cannot listen on 127.0.0.1:2: 127.0.0.1:2 busy"
        );
        let e = bind_first([], Ok).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }
}
