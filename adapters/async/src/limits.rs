//! What sessions share: the connection counts (server-wide and per user) and the
//! server-wide and per-user speed limits.
//!
//! SEAM: the blocking adapter's branch brings pure core helpers for this
//! (`sansftp::server::limits`); once merged, this file should shrink to the async glue.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use event_listener::Event;
use sansftp::server::{Config, User};
use sansftp::throttle::Throttle;

/// A throttle several sessions share.
pub(crate) type SharedThrottle = Arc<Mutex<Throttle>>;

#[derive(Debug)]
pub(crate) struct Limits {
    max_connections: Option<usize>,
    /// Sessions running (refused ones included, until they have said 421).
    active: AtomicUsize,
    /// Signalled whenever a session ends, for the graceful shutdown.
    ended: Event,
    per_user: Mutex<HashMap<String, UserShare>>,
    /// Server-wide download (`[0]`) and upload (`[1]`) limits.
    server: [Option<SharedThrottle>; 2],
}

#[derive(Debug, Default)]
struct UserShare {
    sessions: usize,
    throttles: [Option<SharedThrottle>; 2],
}

/// One running session; counted until dropped.
#[derive(Debug)]
pub(crate) struct SessionSlot {
    limits: Arc<Limits>,
    /// Whether the server had room for it.
    pub(crate) admitted: bool,
}

/// One logged-in session of a user; counted until dropped.
#[derive(Debug)]
pub(crate) struct UserSlot {
    limits: Arc<Limits>,
    key: String,
}

fn key(user: &User) -> String {
    user.login.clone().unwrap_or_default()
}

fn shared(limit: Option<u64>, now: Instant) -> Option<SharedThrottle> {
    limit.map(|l| Arc::new(Mutex::new(Throttle::new(Some(l), now))))
}

impl Limits {
    pub(crate) fn new(config: &Config) -> Limits {
        let now = Instant::now();
        Limits {
            max_connections: config.max_connections,
            active: AtomicUsize::new(0),
            ended: Event::new(),
            per_user: Mutex::new(HashMap::new()),
            server: [
                shared(config.write_speed_limit, now),
                shared(config.read_speed_limit, now),
            ],
        }
    }

    /// Counts a new session; `admitted` is false when the server is full.
    pub(crate) fn connect(self: &Arc<Self>) -> SessionSlot {
        let before = self.active.fetch_add(1, Ordering::SeqCst);
        // Sessions being refused count too; compare with the ones before this one.
        let admitted = self.max_connections.is_none_or(|max| before < max);
        SessionSlot { limits: Arc::clone(self), admitted }
    }

    pub(crate) fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// Waits until no session runs.
    pub(crate) async fn all_ended(&self) {
        loop {
            let listener = self.ended.listen();
            if self.active() == 0 {
                return;
            }
            listener.await;
        }
    }

    /// Takes a slot for one more session of `user`, if its limit allows.
    pub(crate) fn login(self: &Arc<Self>, user: &User) -> Option<UserSlot> {
        let mut map = self.per_user.lock().unwrap_or_else(PoisonError::into_inner);
        let share = map.entry(key(user)).or_default();
        if user.max_connections.is_some_and(|max| share.sessions >= max) {
            return None;
        }
        share.sessions += 1;
        Some(UserSlot { limits: Arc::clone(self), key: key(user) })
    }

    /// The shared throttles (server-wide, then per user) of one direction.
    pub(crate) fn shared_throttles(&self, user: &User, upload: bool) -> Vec<SharedThrottle> {
        let dir = usize::from(upload);
        let mut out: Vec<SharedThrottle> = self.server[dir].iter().cloned().collect();
        let limit = if upload { user.read_speed_limit } else { user.write_speed_limit };
        if limit.is_some() {
            let mut map = self.per_user.lock().unwrap_or_else(PoisonError::into_inner);
            let share = map.entry(key(user)).or_default();
            let t = share.throttles[dir].get_or_insert_with(|| {
                Arc::new(Mutex::new(Throttle::new(limit, Instant::now())))
            });
            out.push(Arc::clone(t));
        }
        out
    }
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        self.limits.active.fetch_sub(1, Ordering::SeqCst);
        self.limits.ended.notify(usize::MAX);
    }
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut map = self.limits.per_user.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(share) = map.get_mut(&self.key) {
            share.sessions = share.sessions.saturating_sub(1);
            if share.sessions == 0 && share.throttles.iter().all(Option::is_none) {
                map.remove(&self.key);
            }
        }
    }
}
