//! Limits that span sessions: connection counts (server-wide, per user, and per client
//! address with the failed-login bans: [`AddressLimits`]) and the speed limit throttles
//! a transfer must obey, shared where aioftp shares them.
//!
//! One [`Limits`] per server, handed to every session made with
//! [`Session::with_limits`](super::Session::with_limits) (clones share the counters and
//! the shared throttles). The session then does it all: it takes a [`ConnectionGuard`]
//! ([`Limits::try_connect`]; `None` means the server is full and the session says `421`),
//! a [`UserGuard`] at login ([`Limits::try_login`]; `None`: `530`) dropped at logout, and
//! keeps one [`SessionThrottles`] whose [`TransferThrottles`] it hands out with each
//! [`Transfer`](super::Transfer). An adapter only makes the `Limits` and obeys the
//! throttles.
//!
//! Counters and throttles sit behind atomics and mutexes: thread-safe, but no IO, and
//! as everywhere in the core, time is an argument.
//!
//! ```
//! use std::time::Instant;
//! use sansftp::server::{Config, Limits, User};
//!
//! let user = User::new("alice", "pw").max_connections(Some(1));
//! let config = Config::new().max_connections(Some(2));
//! let now = Instant::now(); // in a real program, the adapter's clock
//! let limits = Limits::new(&config, now);
//! let a = limits.try_connect().unwrap();
//! let _b = limits.try_connect().unwrap();
//! assert!(limits.try_connect().is_none()); // the third is refused
//! drop(a);
//! assert!(limits.try_connect().is_some());
//!
//! let login = limits.try_login(&user).unwrap();
//! assert!(limits.try_login(&user).is_none()); // alice at most once
//! drop(login);
//!
//! let throttles = limits.session_throttles(now);
//! let set = throttles.for_transfer(&config, &user, false, now);
//! assert!(!set.is_limited()); // no speed limit configured
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::throttle::Throttle;

use super::abuse::AddressLimits;
use super::config::Config;
use super::user::User;

/// A [`Throttle`] several transfers draw from at once.
pub type SharedThrottle = Arc<Mutex<Throttle>>;

/// Connection counts and shared throttles of one server. Cheap to clone: clones share
/// everything.
#[derive(Debug, Clone)]
pub struct Limits {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    max_connections: Option<usize>,
    connections: AtomicUsize,
    /// Keyed by login (`None`: the anonymous user), so every session of one user shares
    /// the entry, whoever built the `Arc<User>`.
    users: Mutex<HashMap<Option<String>, UserState>>,
    /// Server-wide throttles: upload (server read), download (server write).
    server: [SharedThrottle; 2],
    /// Connections and failed logins per client address.
    addresses: AddressLimits,
}

#[derive(Debug, Default)]
struct UserState {
    sessions: usize,
    /// Per-user throttles (upload, download), made at the user's first limited transfer.
    throttles: Option<[SharedThrottle; 2]>,
}

/// One counted control connection; dropping it frees the slot.
#[derive(Debug)]
pub struct ConnectionGuard {
    inner: Arc<Inner>,
}

/// One logged-in session of a user; dropping it frees the slot.
#[derive(Debug)]
pub struct UserGuard {
    inner: Arc<Inner>,
    login: Option<String>,
}

/// The per-connection throttles of one session (aioftp's "per connection" and "per user
/// connection" limits), kept across its transfers so a client cannot reset its budget by
/// starting a new transfer.
#[derive(Debug)]
pub struct SessionThrottles {
    limits: Limits,
    /// Server-per-connection: upload, download.
    connection: [SharedThrottle; 2],
    /// User-per-connection: upload, download.
    user_connection: [SharedThrottle; 2],
}

/// The throttles one transfer obeys: the limited ones among the server-wide, the
/// session's, the user's and the user-session's. Move bytes only as fast as all allow.
#[derive(Debug, Clone, Default)]
pub struct TransferThrottles {
    throttles: Vec<SharedThrottle>,
}

impl Limits {
    /// Counters for `config`'s [`max_connections`](Config::max_connections) and throttles
    /// for its server-wide speed limits, starting at `now`.
    pub fn new(config: &Config, now: Instant) -> Limits {
        Limits {
            inner: Arc::new(Inner {
                max_connections: config.max_connections,
                connections: AtomicUsize::new(0),
                users: Mutex::new(HashMap::new()),
                server: [
                    shared(config.read_speed_limit, now),
                    shared(config.write_speed_limit, now),
                ],
                addresses: AddressLimits::new(config),
            }),
        }
    }

    /// Counts a new control connection, or `None` when
    /// [`Config::max_connections`] are already open.
    pub fn try_connect(&self) -> Option<ConnectionGuard> {
        let max = self.inner.max_connections.unwrap_or(usize::MAX);
        self.inner
            .connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        Some(ConnectionGuard {
            inner: Arc::clone(&self.inner),
        })
    }

    /// The per-address counters: connections per IP, failed logins and bans.
    pub fn addresses(&self) -> &AddressLimits {
        &self.inner.addresses
    }

    /// How many control connections are counted now.
    pub fn connections(&self) -> usize {
        self.inner.connections.load(Ordering::Acquire)
    }

    /// Counts a session of `user`, or `None` when [`User::max_connections`] of them are
    /// already logged in.
    pub fn try_login(&self, user: &User) -> Option<UserGuard> {
        let max = user.max_connections.unwrap_or(usize::MAX);
        let mut users = lock(&self.inner.users);
        let state = users.entry(user.login.clone()).or_default();
        if state.sessions >= max {
            return None;
        }
        state.sessions += 1;
        Some(UserGuard {
            inner: Arc::clone(&self.inner),
            login: user.login.clone(),
        })
    }

    /// How many sessions of `user` are logged in now.
    pub fn user_connections(&self, user: &User) -> usize {
        lock(&self.inner.users)
            .get(&user.login)
            .map_or(0, |s| s.sessions)
    }

    /// Fresh per-connection throttles for a new session, starting at `now`.
    pub fn session_throttles(&self, now: Instant) -> SessionThrottles {
        SessionThrottles {
            limits: self.clone(),
            connection: [shared(None, now), shared(None, now)],
            user_connection: [shared(None, now), shared(None, now)],
        }
    }

    /// The user's shared throttle for one direction, its limit set from `limit`.
    fn user_throttle(
        &self,
        user: &User,
        dir: usize,
        limit: Option<u64>,
        now: Instant,
    ) -> SharedThrottle {
        let mut users = lock(&self.inner.users);
        let state = users.entry(user.login.clone()).or_default();
        let throttles = state
            .throttles
            .get_or_insert_with(|| [shared(None, now), shared(None, now)]);
        let t = Arc::clone(&throttles[dir]);
        drop(users);
        set_limit(&t, limit, now);
        t
    }
}

impl SessionThrottles {
    /// The throttles for a transfer of `user` (`upload`: client to server), sized from
    /// [`Config::speed_limits`]. Call at each [`Transfer`](super::Transfer) with its
    /// `user`; limits changed in `config` apply from `now` on.
    pub fn for_transfer(
        &self,
        config: &Config,
        user: &User,
        upload: bool,
        now: Instant,
    ) -> TransferThrottles {
        let limits = config.speed_limits(user, upload);
        let dir = usize::from(!upload);
        let mut throttles = Vec::new();
        let mut add = |t: &SharedThrottle, limit: Option<u64>| {
            set_limit(t, limit, now);
            if limit.is_some_and(|l| l > 0) {
                throttles.push(Arc::clone(t));
            }
        };
        add(&self.limits.inner.server[dir], limits.server);
        add(&self.connection[dir], limits.server_per_connection);
        add(&self.user_connection[dir], limits.user_per_connection);
        if limits.user.is_some_and(|l| l > 0) {
            throttles.push(self.limits.user_throttle(user, dir, limits.user, now));
        }
        TransferThrottles { throttles }
    }
}

impl TransferThrottles {
    /// Whether any limit applies (if not, copy at full speed).
    pub fn is_limited(&self) -> bool {
        !self.throttles.is_empty()
    }

    /// The smallest burst capacity among the limited throttles, in bytes (`None` when
    /// unlimited): the most that can move at once after a pause. Ask it when a transfer
    /// starts to size its blocks, so a limited transfer moves steadily in blocks of
    /// about this size rather than in large gulps followed by long waits.
    pub fn burst(&self) -> Option<u64> {
        self.throttles.iter().map(|t| lock(t).burst()).min()
    }

    /// How many bytes may move at `now` (`u64::MAX` when unlimited).
    pub fn available(&self, now: Instant) -> u64 {
        self.throttles
            .iter()
            .map(|t| lock(t).available(now))
            .min()
            .unwrap_or(u64::MAX)
    }

    /// When `n` bytes may move: `None` if now, else the instant to sleep until.
    pub fn ready_at(&self, n: u64, now: Instant) -> Option<Instant> {
        self.throttles
            .iter()
            .filter_map(|t| lock(t).ready_at(n, now))
            .max()
    }

    /// Records that `n` bytes moved at `now`, in every throttle.
    pub fn consume(&self, n: u64, now: Instant) {
        for t in &self.throttles {
            lock(t).consume(n, now);
        }
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.inner.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Drop for UserGuard {
    fn drop(&mut self) {
        let mut users = lock(&self.inner.users);
        if let Some(state) = users.get_mut(&self.login) {
            state.sessions = state.sessions.saturating_sub(1);
        }
    }
}

fn shared(limit: Option<u64>, now: Instant) -> SharedThrottle {
    Arc::new(Mutex::new(Throttle::new(limit, now)))
}

/// Changes a throttle's limit only when it differs, so its bucket is not reset.
fn set_limit(t: &SharedThrottle, limit: Option<u64>, now: Instant) {
    let mut t = lock(t);
    if t.limit() != limit.filter(|&l| l > 0) {
        t.set_limit(limit, now);
    }
}

/// Every update under these locks is a single field change, so a poisoned lock still
/// holds consistent state.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn server_wide_connections() {
        let limits = Limits::new(&Config::new().max_connections(Some(1)), Instant::now());
        let a = limits.try_connect().unwrap();
        assert!(limits.try_connect().is_none());
        assert_eq!(limits.connections(), 1);
        drop(a);
        assert_eq!(limits.connections(), 0);
        let unlimited = Limits::new(&Config::new(), Instant::now());
        let guards: Vec<_> = (0..100).map(|_| unlimited.try_connect().unwrap()).collect();
        assert_eq!(unlimited.connections(), 100);
        drop(guards);
        assert_eq!(unlimited.connections(), 0);
    }

    #[test]
    fn per_user_connections_by_login() {
        let limits = Limits::new(&Config::new(), Instant::now());
        let alice = User::new("alice", "pw").max_connections(Some(2));
        // Another Arc/copy of the same login counts in the same slot.
        let alice2 = alice.clone();
        let bob = User::new("bob", "pw").max_connections(Some(1));
        let anon = User::anonymous().max_connections(Some(1));
        let g1 = limits.try_login(&alice).unwrap();
        let _g2 = limits.try_login(&alice2).unwrap();
        assert!(limits.try_login(&alice).is_none());
        let _b = limits.try_login(&bob).unwrap();
        assert!(limits.try_login(&bob).is_none());
        let _n = limits.try_login(&anon).unwrap();
        assert!(limits.try_login(&anon).is_none());
        assert_eq!(limits.user_connections(&alice), 2);
        drop(g1);
        assert_eq!(limits.user_connections(&alice), 1);
        assert!(limits.try_login(&alice).is_some());
        assert_eq!(limits.user_connections(&User::new("carol", "x")), 0);
    }

    #[test]
    fn connection_counter_is_exact_across_threads() {
        let limits = Limits::new(&Config::new().max_connections(Some(10)), Instant::now());
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let limits = limits.clone();
                std::thread::spawn(move || {
                    let mut got = 0;
                    for _ in 0..1000 {
                        if let Some(g) = limits.try_connect() {
                            got += 1;
                            drop(g);
                        }
                    }
                    got
                })
            })
            .collect();
        let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(total > 0);
        assert_eq!(limits.connections(), 0);
    }

    #[test]
    fn throttles_pick_levels_and_share_them() {
        let mut config = Config::new();
        config.write_speed_limit = Some(10_000);
        config.read_speed_limit_per_connection = Some(1_000);
        let mut user = User::new("alice", "pw");
        user.write_speed_limit = Some(5_000);
        let now = Instant::now();
        let limits = Limits::new(&config, now);
        let s1 = limits.session_throttles(now);
        let s2 = limits.session_throttles(now);
        let down1 = s1.for_transfer(&config, &user, false, now);
        let down2 = s2.for_transfer(&config, &user, false, now);
        // Server-wide + per-user for downloads.
        assert_eq!(down1.throttles.len(), 2);
        let later = now + Duration::from_secs(1);
        // Both buckets are full after a second: the burst, 4096 (MIN_BURST) each.
        assert_eq!(down1.available(later), 4096);
        assert_eq!(down1.burst(), Some(4096));
        // Both sessions draw from the same server and user buckets.
        down1.consume(400, later);
        assert_eq!(down2.available(later), 3696);
        assert!(down2.ready_at(4000, later).is_some());
        // Uploads: only each session's own per-connection throttle.
        let up1 = s1.for_transfer(&config, &user, true, now);
        let up2 = s2.for_transfer(&config, &user, true, now);
        assert_eq!(up1.throttles.len(), 1);
        up1.consume(100, later);
        assert_eq!(up1.available(later), 900);
        assert_eq!(up2.available(later), 1000);
        // No limits at all: nothing to wait for.
        let plain = Config::new();
        let free = Limits::new(&plain, now)
            .session_throttles(now)
            .for_transfer(&plain, &user, true, now);
        assert!(!free.is_limited());
        assert_eq!(free.burst(), None);
        assert_eq!(free.available(now), u64::MAX);
        assert_eq!(free.ready_at(1 << 30, now), None);
    }

    #[test]
    fn burst_is_the_smallest_of_the_limited_throttles() {
        let mut config = Config::new();
        // A tenth of a second's worth each: 200_000 and 50_000.
        config.write_speed_limit = Some(2_000_000);
        config.write_speed_limit_per_connection = Some(500_000);
        let user = User::anonymous();
        let now = Instant::now();
        let limits = Limits::new(&config, now);
        let t = limits
            .session_throttles(now)
            .for_transfer(&config, &user, false, now);
        assert_eq!(t.burst(), Some(50_000));
    }

    #[test]
    fn a_new_transfer_does_not_reset_the_bucket() {
        let mut config = Config::new();
        config.write_speed_limit_per_connection = Some(1_000);
        let user = User::anonymous();
        let t0 = Instant::now();
        let limits = Limits::new(&config, t0);
        let session = limits.session_throttles(t0);
        let later = t0 + Duration::from_secs(10);
        let first = session.for_transfer(&config, &user, false, t0);
        first.consume(100_000, later); // deep in debt
        let second = session.for_transfer(&config, &user, false, later);
        assert_eq!(second.available(later), 0);
        assert!(second.ready_at(1, later).is_some());
    }
}
