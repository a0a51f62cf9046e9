//! [`SpeedLimits`]: a [`Client`](super::Client)'s speed limits, changeable while it runs;
//! [`ClientOptions`] (the core's, re-exported) is how it connects and times out.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use sansftp::throttle::Throttle;

pub use sansftp::client::ClientOptions;

/// The speed limits of one [`Client`](super::Client): a handle that can be cloned and
/// kept, to change them while transfers run (the next block obeys the new limit).
///
/// ```
/// # futures_lite::future::block_on(async {
/// # use sansftp_async::{Client, ClientOptions};
/// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// # let addr = listener.local_addr().unwrap();
/// # std::thread::spawn(move || {
/// #     use std::io::Write;
/// #     let (mut s, _) = listener.accept().unwrap();
/// #     s.write_all(b"220 hi\r\n").unwrap();
/// #     std::thread::sleep(std::time::Duration::from_millis(200));
/// # });
/// let client = Client::connect_with(addr, ClientOptions::new().read_limit(Some(1 << 20))).await?;
/// let limits = client.speed_limits();
/// assert_eq!(limits.read(), Some(1 << 20));
/// limits.set_read(None); // downloads at full speed from now on
/// limits.set_write(Some(64 << 10));
/// assert_eq!((limits.read(), limits.write()), (None, Some(64 << 10)));
/// # Ok::<(), sansftp::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct SpeedLimits {
    inner: Arc<Mutex<Throttles>>,
}

/// The two token buckets: `read` for downloads, `write` for uploads.
#[derive(Debug)]
pub(crate) struct Throttles {
    pub(crate) read: Throttle,
    pub(crate) write: Throttle,
}

impl SpeedLimits {
    pub(crate) fn new(read: Option<u64>, write: Option<u64>) -> SpeedLimits {
        let now = Instant::now();
        SpeedLimits {
            inner: Arc::new(Mutex::new(Throttles {
                read: Throttle::new(read, now),
                write: Throttle::new(write, now),
            })),
        }
    }

    /// The throttles, for a transfer's next block. A poisoned lock (a panic elsewhere
    /// while holding it) still holds valid throttles: they are plain numbers.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Throttles> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the download limit in bytes/s (`None`: unlimited).
    pub fn set_read(&self, limit: Option<u64>) {
        self.lock().read.set_limit(limit, Instant::now());
    }

    /// Sets the upload limit in bytes/s (`None`: unlimited).
    pub fn set_write(&self, limit: Option<u64>) {
        self.lock().write.set_limit(limit, Instant::now());
    }

    /// The download limit in bytes/s.
    pub fn read(&self) -> Option<u64> {
        self.lock().read.limit()
    }

    /// The upload limit in bytes/s.
    pub fn write(&self) -> Option<u64> {
        self.lock().write.limit()
    }
}
