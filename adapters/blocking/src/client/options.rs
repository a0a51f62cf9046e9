//! [`SpeedLimits`]: a [`Client`](super::Client)'s speed limits, changeable while it runs;
//! [`ClientOptions`] (the core's, re-exported) is how it connects and times out.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use sansftp::throttle::Throttle;

pub use sansftp::client::ClientOptions;

/// The speed limits of one [`Client`](super::Client), changeable while it runs (from
/// any thread): a clone shares them. A change applies to the running transfer from
/// the next block on.
#[derive(Debug, Clone)]
pub struct SpeedLimits {
    inner: Arc<Mutex<Buckets>>,
}

#[derive(Debug)]
pub(crate) struct Buckets {
    pub(crate) read: Throttle,
    pub(crate) write: Throttle,
}

impl SpeedLimits {
    pub(crate) fn new(read: Option<u64>, write: Option<u64>) -> SpeedLimits {
        let now = Instant::now();
        SpeedLimits {
            inner: Arc::new(Mutex::new(Buckets {
                read: Throttle::new(read, now),
                write: Throttle::new(write, now),
            })),
        }
    }

    /// The buckets; a panic elsewhere while they were locked leaves them usable (a
    /// token bucket has no invariant a half-done update could break).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Buckets> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the download limit in bytes per second (`None` or `Some(0)`: unlimited).
    pub fn set_read(&self, limit: Option<u64>) {
        self.lock().read.set_limit(limit, Instant::now());
    }

    /// Sets the upload limit in bytes per second (`None` or `Some(0)`: unlimited).
    pub fn set_write(&self, limit: Option<u64>) {
        self.lock().write.set_limit(limit, Instant::now());
    }

    /// The download limit.
    pub fn read(&self) -> Option<u64> {
        self.lock().read.limit()
    }

    /// The upload limit.
    pub fn write(&self) -> Option<u64> {
        self.lock().write.limit()
    }
}
