//! [`SpeedLimits`]: a client's download and upload speed limits, shared between the
//! application (which may change them while transfers run) and the adapter (which asks
//! before moving each block). Token buckets from [`crate::throttle`], driven by the
//! instants the adapter passes in.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::throttle::Throttle;

use super::api::TransferKind;

/// The speed limits of one client: a handle that can be cloned and kept, to change
/// them from any thread while transfers run (the next block obeys the new limit).
/// Downloads obey the read limit, uploads the write limit; listings are not limited.
///
/// ```
/// use std::time::{Duration, Instant};
/// use sansftp::client::{SpeedLimits, TransferKind};
///
/// let limits = SpeedLimits::new(Some(1 << 20), None);
/// assert_eq!((limits.read(), limits.write()), (Some(1 << 20), None));
/// let now = Instant::now();
/// // Unlimited: everything at once.
/// assert_eq!(limits.grant(TransferKind::Upload, 1 << 30, now), Ok(1 << 30));
/// // Limited: the bucket starts empty, the first block waits.
/// let wait = limits.grant(TransferKind::Download, 1 << 20, now).unwrap_err();
/// assert!(wait > now);
/// limits.set_read(None); // full speed from the next block on
/// assert_eq!(limits.grant(TransferKind::Download, 1 << 20, now), Ok(1 << 20));
/// ```
#[derive(Debug, Clone)]
pub struct SpeedLimits {
    inner: Arc<Mutex<Buckets>>,
}

#[derive(Debug)]
struct Buckets {
    read: Bucket,
    write: Bucket,
}

/// One direction's limit and, once a transfer has used it, its token bucket.
#[derive(Debug)]
struct Bucket {
    limit: Option<u64>,
    /// Made at the first block after the limit was set (the core reads no clock).
    throttle: Option<Throttle>,
}

impl Bucket {
    fn new(limit: Option<u64>) -> Bucket {
        Bucket {
            limit: limit.filter(|&l| l > 0),
            throttle: None,
        }
    }

    fn set(&mut self, limit: Option<u64>) {
        // The bucket follows at the next block (`Throttle::set_limit` needs the
        // instant); without a limit it is dropped, and a new one starts empty.
        self.limit = limit.filter(|&l| l > 0);
        if self.limit.is_none() {
            self.throttle = None;
        }
    }

    /// The bucket at `now`, following the limit set last.
    fn at(&mut self, now: Instant) -> Option<&mut Throttle> {
        let limit = self.limit?;
        let throttle = self
            .throttle
            .get_or_insert_with(|| Throttle::new(Some(limit), now));
        if throttle.limit() != Some(limit) {
            throttle.set_limit(Some(limit), now);
        }
        Some(throttle)
    }
}

impl SpeedLimits {
    /// Limits in bytes per second (`None` or `Some(0)`: unlimited).
    pub fn new(read: Option<u64>, write: Option<u64>) -> SpeedLimits {
        SpeedLimits {
            inner: Arc::new(Mutex::new(Buckets {
                read: Bucket::new(read),
                write: Bucket::new(write),
            })),
        }
    }

    /// Sets the download limit in bytes per second (`None` or `Some(0)`: unlimited).
    pub fn set_read(&self, limit: Option<u64>) {
        self.lock().read.set(limit);
    }

    /// Sets the upload limit in bytes per second (`None` or `Some(0)`: unlimited).
    pub fn set_write(&self, limit: Option<u64>) {
        self.lock().write.set(limit);
    }

    /// The download limit in bytes per second.
    pub fn read(&self) -> Option<u64> {
        self.lock().read.limit
    }

    /// The upload limit in bytes per second.
    pub fn write(&self) -> Option<u64> {
        self.lock().write.limit
    }

    /// Whether transfers of `kind` are limited.
    pub fn is_limited(&self, kind: TransferKind) -> bool {
        self.lock().bucket(kind).is_some_and(|b| b.limit.is_some())
    }

    /// How many of `want` bytes of a `kind` transfer may move at `now`: `Ok(n)`, at
    /// most one burst of the bucket and at least one byte (all of `want` when
    /// unlimited), or `Err(at)`, the instant to ask again. Report what moved with
    /// [`consume`](SpeedLimits::consume).
    pub fn grant(&self, kind: TransferKind, want: usize, now: Instant) -> Result<usize, Instant> {
        let mut buckets = self.lock();
        let Some(t) = buckets.bucket(kind).and_then(|b| b.at(now)) else {
            return Ok(want);
        };
        let block = (want as u64).min(t.burst()).max(1);
        match t.ready_at(block, now) {
            // Within usize: at most `want` (or 1).
            None => Ok(usize::try_from(block).unwrap_or(want)),
            Some(at) => Err(at),
        }
    }

    /// Records that `n` bytes of a `kind` transfer moved at `now`.
    pub fn consume(&self, kind: TransferKind, n: usize, now: Instant) {
        let mut buckets = self.lock();
        if let Some(t) = buckets.bucket(kind).and_then(|b| b.at(now)) {
            t.consume(n as u64, now);
        }
    }

    /// The buckets. A panic elsewhere while they were locked leaves them usable: a
    /// token bucket has no invariant a half-done update could break.
    fn lock(&self) -> MutexGuard<'_, Buckets> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Buckets {
    fn bucket(&mut self, kind: TransferKind) -> Option<&mut Bucket> {
        match kind {
            TransferKind::Download => Some(&mut self.read),
            TransferKind::Upload => Some(&mut self.write),
            TransferKind::Listing => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_limited_transfer_moves_at_the_limit_and_a_new_limit_applies_at_once() {
        let limits = SpeedLimits::new(Some(10_000), None);
        let start = Instant::now();
        let kind = TransferKind::Download;
        let at = limits.grant(kind, 1 << 20, start).unwrap_err();
        let later = start + Duration::from_secs(1);
        assert!(at <= later);
        let n = limits.grant(kind, 1 << 20, later).unwrap();
        assert!((1..=10_000).contains(&n), "{n}");
        limits.consume(kind, n, later);
        assert!(limits.grant(kind, n, later).is_err(), "the bucket is spent");
        limits.set_read(Some(0));
        assert!(!limits.is_limited(kind));
        assert_eq!(limits.grant(kind, 1 << 20, later), Ok(1 << 20));
        assert_eq!(limits.grant(TransferKind::Listing, 7, later), Ok(7));
    }
}
