//! The speed limits that apply to one transfer, and waiting for them with
//! [`async_io::Timer`].

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use async_io::Timer;
use sansftp::server::{Config, User};
use sansftp::throttle::Throttle;

use crate::limits::{Limits, SharedThrottle};

/// The largest block moved at once: big enough that a 1 GiB transfer makes few
/// round trips through the thread pool, small enough for many concurrent transfers.
pub(crate) const BLOCK: usize = 256 * 1024;

/// Every limit on one transfer's direction (none at all in the common case).
#[derive(Debug, Default)]
pub(crate) struct Throttles {
    parts: Vec<SharedThrottle>,
}

impl Throttles {
    /// The four aioftp levels for `user`'s transfer: the shared server-wide and per-user
    /// ones, and per-connection ones that live as long as the transfer (a session's
    /// transfers run one after the other, so that is the same thing).
    pub(crate) fn for_transfer(config: &Config, limits: &Limits, user: &User, upload: bool) -> Throttles {
        let now = Instant::now();
        let levels = config.speed_limits(user, upload);
        let mut parts = limits.shared_throttles(user, upload);
        for limit in [levels.server_per_connection, levels.user_per_connection].into_iter().flatten() {
            parts.push(Arc::new(Mutex::new(Throttle::new(Some(limit), now))));
        }
        Throttles { parts }
    }

    /// How many bytes to move at once: a full block, or a burst when limited, so that
    /// a slow transfer moves steadily rather than in huge gulps.
    pub(crate) fn block(&self) -> usize {
        self.parts
            .iter()
            .map(|t| lock(t).burst())
            .min()
            .map_or(BLOCK, |b| usize::try_from(b).unwrap_or(BLOCK).clamp(1, BLOCK))
    }

    /// Waits until every limit lets `n` bytes move.
    pub(crate) async fn wait(&self, n: usize) {
        if self.parts.is_empty() {
            return;
        }
        loop {
            let now = Instant::now();
            let ready = self
                .parts
                .iter()
                .filter_map(|t| lock(t).ready_at(n as u64, now))
                .max();
            match ready {
                Some(at) => {
                    Timer::at(at).await;
                }
                None => return,
            }
        }
    }

    /// Records `n` bytes moved.
    pub(crate) fn consume(&self, n: usize) {
        if self.parts.is_empty() {
            return;
        }
        let now = Instant::now();
        for t in &self.parts {
            lock(t).consume(n as u64, now);
        }
    }
}

fn lock(t: &Mutex<Throttle>) -> std::sync::MutexGuard<'_, Throttle> {
    t.lock().unwrap_or_else(PoisonError::into_inner)
}
