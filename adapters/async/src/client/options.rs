//! [`ClientOptions`]: how a [`Client`](super::Client) connects, times out and throttles;
//! [`SpeedLimits`]: its speed limits, changeable while it runs.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sansftp::client::{Config, DataMode};
use sansftp::throttle::Throttle;

/// How a [`Client`](super::Client) behaves. `ClientOptions::default()`: the core's
/// [`Config::default()`] (passive, `EPSV` then `PASV`), no timeouts, no speed limits.
///
/// ```
/// use std::time::Duration;
/// use sansftp_async::ClientOptions;
///
/// let options = ClientOptions::new()
///     .active(true)
///     .connect_timeout(Duration::from_secs(5))
///     .socket_timeout(Duration::from_secs(30))
///     .read_limit(Some(1 << 20));
/// assert_eq!(options.read_limit, Some(1 << 20));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// The core's settings: passive or active, `EPSV`/`PASV` order, whether to trust the
    /// `PASV` address, `FEAT` discovery, the reply timeout.
    pub config: Config,
    /// Time limit of each connect: the control connection, passive data connections and
    /// the wait for the server's connection in active mode. `None`: the OS's own.
    pub connect_timeout: Option<Duration>,
    /// Time limit of each read and write on the control and data connections, and the
    /// core's reply timeout when [`Config::reply_timeout`] is not set. A timeout ends the
    /// call with [`Error::Timeout`](sansftp::Error::Timeout). `None`: wait forever.
    pub socket_timeout: Option<Duration>,
    /// Download speed limit, bytes/s (`None`: unlimited).
    pub read_limit: Option<u64>,
    /// Upload speed limit, bytes/s (`None`: unlimited).
    pub write_limit: Option<u64>,
}

impl ClientOptions {
    /// The defaults, as [`Default`].
    pub fn new() -> ClientOptions {
        ClientOptions::default()
    }

    /// Active mode (`PORT`/`EPRT`, the server connects to the client) or passive.
    pub fn active(mut self, on: bool) -> ClientOptions {
        self.config.data_mode = if on {
            DataMode::Active
        } else {
            DataMode::Passive
        };
        self
    }

    /// Sets [`connect_timeout`](ClientOptions::connect_timeout).
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientOptions {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Sets [`socket_timeout`](ClientOptions::socket_timeout).
    pub fn socket_timeout(mut self, timeout: Duration) -> ClientOptions {
        self.socket_timeout = Some(timeout);
        self
    }

    /// Sets [`read_limit`](ClientOptions::read_limit) (downloads).
    pub fn read_limit(mut self, limit: Option<u64>) -> ClientOptions {
        self.read_limit = limit;
        self
    }

    /// Sets [`write_limit`](ClientOptions::write_limit) (uploads).
    pub fn write_limit(mut self, limit: Option<u64>) -> ClientOptions {
        self.write_limit = limit;
        self
    }

    /// Replaces the core's [`Config`].
    pub fn config(mut self, config: Config) -> ClientOptions {
        self.config = config;
        self
    }
}

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
