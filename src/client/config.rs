//! How a client [`Session`](super::Session) behaves: data-connection mode, passive
//! commands, timeouts and feature discovery.

use std::time::Duration;

/// The client's settings. `Config::default()` is what most servers want: passive mode,
/// `EPSV` then `PASV`, the `PASV` address ignored in favour of the control peer (NAT),
/// `FEAT` after login and `OPTS UTF8 ON` when advertised, no reply timeout.
///
/// ```
/// use std::time::Duration;
/// use sansftp::client::{Config, DataMode, PassiveCommand};
///
/// let mut config = Config::default();
/// config.data_mode = DataMode::Active;
/// config.passive_commands = vec![PassiveCommand::Pasv];
/// config.reply_timeout = Some(Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Passive (the client connects) or active (the server connects) data connections.
    pub data_mode: DataMode,
    /// The passive commands to try, in order; a `5xx` answer moves on to the next one.
    pub passive_commands: Vec<PassiveCommand>,
    /// Use the IP address of a `227` reply. Off by default: servers behind NAT announce
    /// their private address, so the control connection's peer is used instead (an
    /// unspecified `0.0.0.0` is always replaced).
    pub trust_pasv_address: bool,
    /// How long to wait for a reply before the operation fails with
    /// [`Error::Timeout`](crate::Error::Timeout) and the session closes (the control
    /// channel can no longer be trusted to be in step). Not applied while data moves:
    /// the adapter times out a stalled data connection itself. `None`: wait forever.
    pub reply_timeout: Option<Duration>,
    /// Send `FEAT` right after login, so listings and `stat` know whether `MLSD`/`MLST`
    /// exist (otherwise they try them and fall back on `50x`).
    pub discover_features: bool,
    /// Send `OPTS UTF8 ON` after login when the server advertises `UTF8`.
    pub utf8: bool,
    /// After a login on a TLS control connection, send `PBSZ 0` and `PROT P` so that
    /// data connections run TLS too. On by default; off keeps data in plaintext
    /// (`PROT C`, the RFC 4217 default), which servers that require TLS refuse.
    pub protect_data: bool,
    /// FTPS: how the control connection gets TLS (`None`: plaintext FTP). The session
    /// asks for the handshake with [`Output::SecureControl`](super::Output::SecureControl)
    /// at the right moment; the adapter needs a TLS configuration to run it.
    pub tls: Option<TlsMode>,
}

/// How a client's control connection gets TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsMode {
    /// Plaintext first, then `AUTH TLS` right after the greeting (RFC 4217; `ftpes://`).
    Explicit,
    /// TLS from the first byte (port 990 by convention; `ftps://`): the handshake comes
    /// before the greeting.
    Implicit,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data_mode: DataMode::Passive,
            passive_commands: vec![PassiveCommand::Epsv, PassiveCommand::Pasv],
            trust_pasv_address: false,
            reply_timeout: None,
            discover_features: true,
            utf8: true,
            protect_data: true,
            tls: None,
        }
    }
}

/// Who opens the data connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataMode {
    /// The client connects to the address the server gives (`EPSV`/`PASV`).
    Passive,
    /// The client listens and the server connects (`PORT` on IPv4, `EPRT` on IPv6).
    Active,
}

/// A command that asks the server for a passive data port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PassiveCommand {
    /// `EPSV` (RFC 2428): a port only, on the control connection's host; IPv6-capable.
    Epsv,
    /// `PASV` (RFC 959): an IPv4 address and port.
    Pasv,
}
