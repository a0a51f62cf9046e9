//! The client commands (`ls`, `get`, `put`, `mkdir`, `rm`, `mv`, `stat`): what they
//! share is here, connecting and logging in from a URL and the connection options
//! (`--active`, `--limit-rate`, `--timeout`); each command is in its own module.

use std::fmt;
use std::time::Duration;

use sansftp::client::{Config, DataMode, TlsMode};
use sansftp_blocking::{Client, ClientOptions};

use crate::url::{FtpUrl, UrlError};

pub mod files;
pub mod ls;
pub mod transfer;

/// The environment variable a password can come from, so it stays out of shell history.
pub const PASSWORD_ENV: &str = "SANSFTP_PASSWORD";

/// What every client command's `--help` says about URLs and passwords.
pub const URL_HELP: &str = "\
URLs look like ftp://[user[:password]@]host[:port]/path: user, password and path are \
percent-decoded (%40 for an @ in a user name), the port defaults to 21 and an IPv6 host \
is written in brackets (ftp://[::1]:2121/). Without a user, the login is anonymous \
(anonymous / anon@). With a user but no password in the URL, the password is read from \
the environment variable SANSFTP_PASSWORD (so it is not in the shell's history), or is \
empty. As in curl, the path is relative to the login directory; an absolute path starts \
with a second slash (ftp://host//etc/motd).";

/// The connection options every client command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectArgs {
    /// Active mode: the server connects back for each data connection (PORT/EPRT)
    /// instead of the client connecting to it (EPSV/PASV).
    #[arg(long)]
    pub active: bool,
    /// Transfer at most RATE bytes per second: a number with an optional K, M or G
    /// suffix (powers of 1024), e.g. 500K, 2M, 1.5G.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub limit_rate: Option<u64>,
    /// Give up after SECS seconds connecting, or waiting for the server on the control
    /// or a data connection (default: wait as long as the system does).
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
    /// Explicit FTPS on an ftp:// URL: AUTH TLS after the greeting, then protected
    /// data connections (as ftpes://; ftps:// is implicit TLS).
    #[arg(long)]
    pub tls: bool,
    /// Trust the certificates in this PEM file (a CA, or the server's self-signed
    /// certificate) instead of the system's roots.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<std::path::PathBuf>,
    /// Do not check the server's certificate (anyone on the path can then read and
    /// change the session): for test servers only.
    #[arg(short = 'k', long)]
    pub insecure: bool,
}

/// What a client command can fail with: the message of the one line it prints, and its
/// exit code.
#[derive(Debug)]
pub enum Error {
    /// The command line was wrong (exit code 2, like clap's own usage errors).
    Usage(String),
    /// An FTP or local failure (exit code 1).
    Ftp(sansftp::Error),
    /// Anything else that went wrong (exit code 1).
    Other(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Ftp(_) | Error::Other(_) => 1,
        }
    }

    /// A local file-system failure on `path`.
    pub fn local(path: &std::path::Path, err: std::io::Error) -> Error {
        Error::Ftp(sansftp::PathIoError::with_path(path, err).into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) | Error::Other(m) => f.write_str(m),
            Error::Ftp(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<sansftp::Error> for Error {
    fn from(e: sansftp::Error) -> Error {
        Error::Ftp(e)
    }
}

impl From<UrlError> for Error {
    fn from(e: UrlError) -> Error {
        Error::Usage(e.to_string())
    }
}

/// Parses a URL argument (a bad one is a usage error).
pub fn parse_url(text: &str) -> Result<FtpUrl, Error> {
    Ok(FtpUrl::parse(text)?)
}

/// The user name and password a URL logs in with.
pub fn credentials(url: &FtpUrl, env_password: Option<String>) -> (String, String) {
    match (&url.user, &url.password) {
        (None, _) => ("anonymous".to_owned(), "anon@".to_owned()),
        (Some(user), Some(password)) => (user.clone(), password.clone()),
        (Some(user), None) => (user.clone(), env_password.unwrap_or_default()),
    }
}

/// The client options these arguments stand for.
pub fn options(args: &ConnectArgs) -> ClientOptions {
    let mut config = Config::default();
    if args.active {
        config.data_mode = DataMode::Active;
    }
    config.reply_timeout = args.timeout;
    let mut options = ClientOptions::new()
        .config(config)
        .read_limit(args.limit_rate)
        .write_limit(args.limit_rate);
    if let Some(timeout) = args.timeout {
        options = options.connect_timeout(timeout).socket_timeout(timeout);
    }
    options
}

/// The TLS a URL and the options ask for: the URL's scheme, or `--tls` on `ftp://`.
pub fn tls_mode(url: &FtpUrl, args: &ConnectArgs) -> Option<TlsMode> {
    url.tls.or(args.tls.then_some(TlsMode::Explicit))
}

/// Whom the client trusts, from `--cacert` and `--insecure`.
pub fn client_tls(args: &ConnectArgs) -> Result<sansftp_tls::ClientTls, Error> {
    let mut builder = sansftp_tls::ClientTls::builder();
    if let Some(ca) = &args.cacert {
        builder = builder
            .ca_file(ca)
            .map_err(|e| Error::Other(format!("--cacert: {e}")))?;
    }
    if args.insecure {
        log::warn!("--insecure: the server's certificate is not checked");
        builder = builder.insecure();
    }
    builder.build().map_err(|e| Error::Other(e.to_string()))
}

/// Connects to the URL's server (over TLS when the URL or `--tls` says so) and logs
/// in.
pub fn connect(url: &FtpUrl, args: &ConnectArgs) -> Result<Client, Error> {
    let addr = (url.host.as_str(), url.port);
    let connected = match tls_mode(url, args) {
        None => Client::connect_with(addr, options(args)),
        Some(mode) => {
            let mut options = options(args);
            options.config.tls = Some(mode);
            Client::connect_tls(addr, client_tls(args)?, &url.host, options)
        }
    };
    let mut client = connected.map_err(|e| {
        let hint = if e.to_string().contains(sansftp_tls::UNTRUSTED) {
            "; trust it with --cacert FILE, or skip the check with -k"
        } else {
            ""
        };
        Error::Other(format!("cannot connect to {}: {e}{hint}", url.host_port()))
    })?;
    let (user, password) = credentials(url, std::env::var(PASSWORD_ENV).ok());
    client
        .login(&user, &password)
        .map_err(|e| Error::Other(format!("login as {user} failed: {e}")))?;
    Ok(client)
}

/// Says goodbye; the command's outcome is already decided, so a failed `QUIT` is ignored.
pub fn quit(client: Client) {
    let _ = client.quit();
}

/// `500K`, `2M`, `1G`, `1.5M`, `4096` (bytes/s; K, M, G are powers of 1024, a trailing
/// `B` or `/s` is allowed).
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let bad = || format!("expected a rate like 500K, 2M or 1G (bytes per second), got {text:?}");
    let t = text.trim();
    let t = t.strip_suffix("/s").unwrap_or(t);
    let t = t
        .strip_suffix(['B', 'b'])
        .filter(|rest| !rest.is_empty())
        .unwrap_or(t);
    let (number, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], Some(c.to_ascii_uppercase())),
        _ => (t, None),
    };
    let factor: u64 = match unit {
        None => 1,
        Some('K') => 1 << 10,
        Some('M') => 1 << 20,
        Some('G') => 1 << 30,
        Some(_) => return Err(bad()),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(bad());
    }
    let value: f64 = number.parse().map_err(|_| bad())?;
    let bytes = (value * factor as f64).round();
    if !(1.0..=u64::MAX as f64).contains(&bytes) {
        return Err(format!(
            "{bad}: the rate must be at least 1 byte/s",
            bad = bad()
        ));
    }
    // In range by the check above.
    Ok(bytes as u64)
}

/// Whole or fractional seconds, more than zero.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("expected a number of seconds, got {text:?}"))?;
    if !(secs > 0.0 && secs <= 1e9) {
        return Err(format!(
            "the timeout must be more than 0 seconds, got {text:?}"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

pub use sansftp::client::remote::{
    file_name as basename, join, trim_trailing_slashes as trim_slashes,
};

/// The directory part of a remote path (empty: the login directory).
pub fn dirname(path: &[u8]) -> &[u8] {
    sansftp::client::remote::split_parent(path).0
}

/// Whether an error is the server saying "no such file" (`550`).
pub fn is_missing(err: &sansftp::Error) -> bool {
    err.status_code().is_some_and(|e| e.received(550))
}

/// Lossy text of a remote path, for messages.
pub fn show(path: &[u8]) -> String {
    if path.is_empty() {
        ".".to_owned()
    } else {
        String::from_utf8_lossy(path).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(parse_rate("500K"), Ok(500 * 1024));
        assert_eq!(parse_rate("2M"), Ok(2 * 1024 * 1024));
        assert_eq!(parse_rate("1G"), Ok(1 << 30));
        assert_eq!(parse_rate("1g"), Ok(1 << 30));
        assert_eq!(parse_rate("1.5M"), Ok(3 * 512 * 1024));
        assert_eq!(parse_rate("4096"), Ok(4096));
        assert_eq!(parse_rate("100KB"), Ok(100 * 1024));
        assert_eq!(parse_rate("100K/s"), Ok(100 * 1024));
        for bad in ["", "K", "0", "-5K", "5T", "1e3", "fast", "0.0001"] {
            assert!(parse_rate(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_timeout("0.5"), Ok(Duration::from_millis(500)));
        for bad in ["0", "-1", "x", "", "NaN", "inf"] {
            assert!(parse_timeout(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn anonymous_unless_a_user_is_given_and_the_password_from_the_environment() {
        let url = |t: &str| FtpUrl::parse(t).expect("valid URL");
        let env = || Some("from-env".to_owned());
        assert_eq!(
            credentials(&url("ftp://h/"), env()),
            ("anonymous".to_owned(), "anon@".to_owned())
        );
        assert_eq!(
            credentials(&url("ftp://u:p@h/"), env()),
            ("u".to_owned(), "p".to_owned())
        );
        assert_eq!(
            credentials(&url("ftp://u@h/"), env()),
            ("u".to_owned(), "from-env".to_owned())
        );
        assert_eq!(
            credentials(&url("ftp://u@h/"), None),
            ("u".to_owned(), String::new())
        );
    }

    #[test]
    fn path_helpers() {
        assert_eq!(basename(b"a/b/c.txt"), Some(&b"c.txt"[..]));
        assert_eq!(basename(b"a/b/"), Some(&b"b"[..]));
        assert_eq!(basename(b"/x"), Some(&b"x"[..]));
        assert_eq!(basename(b"x"), Some(&b"x"[..]));
        for none in [&b""[..], b"/", b".", b"..", b"a/..", b"//"] {
            assert_eq!(basename(none), None, "{:?}", show(none));
        }
        assert_eq!(dirname(b"a/b/c"), b"a/b");
        assert_eq!(dirname(b"a/b/"), b"a");
        assert_eq!(dirname(b"c"), b"");
        assert_eq!(dirname(b"/c"), b"/");
        assert_eq!(trim_slashes(b"/"), b"/");
        assert_eq!(trim_slashes(b"//"), b"/");
        assert_eq!(trim_slashes(b"a//"), b"a");
        assert_eq!(join(b"", b"x"), b"x");
        assert_eq!(join(b"/", b"x"), b"/x");
        assert_eq!(join(b"a", b"x"), b"a/x");
    }

    #[test]
    fn options_follow_the_arguments() {
        let args = ConnectArgs {
            active: true,
            limit_rate: Some(1000),
            timeout: Some(Duration::from_secs(3)),
            tls: false,
            cacert: None,
            insecure: false,
        };
        let o = options(&args);
        assert_eq!(o.config.data_mode, DataMode::Active);
        assert_eq!(o.config.reply_timeout, Some(Duration::from_secs(3)));
        assert_eq!(o.connect_timeout, Some(Duration::from_secs(3)));
        assert_eq!(o.socket_timeout, Some(Duration::from_secs(3)));
        assert_eq!((o.read_limit, o.write_limit), (Some(1000), Some(1000)));
    }

    #[test]
    fn tls_comes_from_the_scheme_or_the_flag() {
        let mut args = ConnectArgs {
            active: false,
            limit_rate: None,
            timeout: None,
            tls: false,
            cacert: None,
            insecure: false,
        };
        let url = |t| crate::url::FtpUrl::parse(t).unwrap();
        assert_eq!(tls_mode(&url("ftp://h/"), &args), None);
        assert_eq!(tls_mode(&url("ftps://h/"), &args), Some(TlsMode::Implicit));
        assert_eq!(tls_mode(&url("ftpes://h/"), &args), Some(TlsMode::Explicit));
        args.tls = true;
        assert_eq!(tls_mode(&url("ftp://h/"), &args), Some(TlsMode::Explicit));
        assert_eq!(tls_mode(&url("ftps://h/"), &args), Some(TlsMode::Implicit));
        args.cacert = Some("/nonexistent/ca.pem".into());
        let e = client_tls(&args).unwrap_err().to_string();
        assert!(
            e.starts_with("--cacert: cannot read /nonexistent/ca.pem"),
            "{e}"
        );
    }
}
