//! [`ClientOptions`]: the settings both adapters' `Client`s take beside the core's
//! [`Config`]: connect and socket timeouts, speed limits.

use std::time::Duration;

use super::config::{Config, DataMode};

/// How an adapter's `Client` connects, times out and throttles: the options of
/// `Client::connect_with` in both `sansftp-blocking` and `sansftp-async` (they re-export
/// this type). Plain settings; the adapters apply them.
///
/// `ClientOptions::default()` is the core's [`Config::default()`](super::Config::default) (passive mode, `EPSV`
/// then `PASV`, `FEAT` after login), no timeouts and no speed limits.
///
/// ```
/// use std::time::Duration;
/// use sansftp::client::ClientOptions;
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
    /// [`Error::Timeout`](crate::Error::Timeout) and closes the session. `None`:
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

    /// The core [`Config`] a session of this client runs with: [`ClientOptions::config`],
    /// its `reply_timeout` (when `None`) set to [`socket_timeout`](ClientOptions::socket_timeout).
    ///
    /// ```
    /// use std::time::Duration;
    /// use sansftp::client::ClientOptions;
    ///
    /// let options = ClientOptions::new().socket_timeout(Duration::from_secs(30));
    /// assert_eq!(options.session_config().reply_timeout, Some(Duration::from_secs(30)));
    /// ```
    pub fn session_config(&self) -> Config {
        let mut config = self.config.clone();
        if config.reply_timeout.is_none() {
            config.reply_timeout = self.socket_timeout;
        }
        config
    }

    /// The options of a plaintext connect (`Client::connect_with`): an
    /// [`Error::Io`](crate::Error::Io) of kind `InvalidInput` when `config.tls` asks
    /// for FTPS, which needs `Client::connect_tls` and its TLS configuration.
    pub fn plaintext(self) -> Result<ClientOptions, crate::Error> {
        if self.config.tls.is_some() {
            let text =
                "FTPS (ClientOptions' config.tls) needs a ClientTls: use Client::connect_tls";
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, text).into());
        }
        Ok(self)
    }

    /// The options of an FTPS connect (`Client::connect_tls`): explicit (`AUTH TLS`)
    /// unless `config.tls` already says [`TlsMode::Implicit`](super::TlsMode::Implicit).
    pub fn secure(mut self) -> ClientOptions {
        self.config.tls.get_or_insert(super::TlsMode::Explicit);
        self
    }

    /// Replaces the core's [`Config`].
    pub fn config(mut self, config: Config) -> ClientOptions {
        self.config = config;
        self
    }
}
