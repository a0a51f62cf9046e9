//! How a [`Client`](super::Client) connects and moves data ([`ClientOptions`]), and the
//! handle that changes its speed limits while it runs ([`SpeedLimits`]).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use sansftp::client::{Config, DataMode};
use sansftp::throttle::Throttle;

/// Options for [`Client::connect_with`](super::Client::connect_with).
///
/// `ClientOptions::default()` is the core's [`Config::default()`] (passive mode, `EPSV`
/// then `PASV`, `FEAT` after login), no timeouts and no speed limits.
///
/// ```
/// use std::time::Duration;
/// use sansftp_blocking::ClientOptions;
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
    /// The protocol core's settings: passive or active, `EPSV`/`PASV` order, whether to
    /// trust the `PASV` address, `FEAT` discovery. Its `reply_timeout`, when `None`, is
    /// set from `socket_timeout`.
    pub config: Config,
    /// The longest a connect may take: the control connection, passive data
    /// connections, and the wait for the server's connection in active mode. `None`:
    /// the operating system's default for connects, and `socket_timeout` (if any) for
    /// the active-mode wait.
    pub connect_timeout: Option<Duration>,
    /// The longest each read or write on the control and data connections may block,
    /// and the core's reply timeout. A timeout ends the operation with
    /// [`Error::Timeout`](sansftp::Error::Timeout) and closes the session. `None`:
    /// wait forever.
    pub socket_timeout: Option<Duration>,
    /// Download speed limit in bytes per second (`None`: unlimited).
    pub read_limit: Option<u64>,
    /// Upload speed limit in bytes per second (`None`: unlimited).
    pub write_limit: Option<u64>,
}

impl ClientOptions {
    /// The defaults.
    pub fn new() -> ClientOptions {
        ClientOptions::default()
    }

    /// Active mode (the server connects to a listener of the client, `PORT`/`EPRT`)
    /// instead of passive mode.
    pub fn active(mut self, active: bool) -> ClientOptions {
        self.config.data_mode = if active {
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

    /// Sets [`read_limit`](ClientOptions::read_limit).
    pub fn read_limit(mut self, limit: Option<u64>) -> ClientOptions {
        self.read_limit = limit;
        self
    }

    /// Sets [`write_limit`](ClientOptions::write_limit).
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
