//! `ftp://[user[:password]@]host[:port]/path` URLs, as the client commands take them.
//!
//! - `user`, `password` and `path` are percent-decoded (`%40` for an `@` in a user name,
//!   `%2F` for a `/` that is part of the path rather than the URL's separator);
//! - `host` is a name, an IPv4 address or a bracketed IPv6 literal (`[::1]`);
//! - `port` defaults to 21;
//! - the path is what follows the `/` after the host, so, as in curl and RFC 1738, it is
//!   relative to the login directory: `ftp://host/pub/x` is `pub/x`, and an absolute
//!   path starts with a second slash or `%2F` (`ftp://host//etc/x`, `ftp://host/%2Fetc/x`).
//!   `ftp://host` and `ftp://host/` both name the login directory (an empty path).
//!
//! `?` and `#` have no meaning in FTP and are kept as part of the path.

use std::fmt;
use std::net::Ipv6Addr;

use sansftp::client::TlsMode;

/// The port a URL without one connects to.
pub const DEFAULT_PORT: u16 = 21;
/// The port an `ftps://` (implicit TLS) URL without one connects to.
pub const IMPLICIT_TLS_PORT: u16 = 990;

/// A parsed `ftp://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpUrl {
    /// The user name, if the URL has one (decoded).
    pub user: Option<String>,
    /// The password, if the URL has one (decoded).
    pub password: Option<String>,
    /// The host: a name or an IP address, without the brackets of an IPv6 literal.
    pub host: String,
    /// The port (21 unless given).
    pub port: u16,
    /// The decoded path: empty for the login directory, relative to it unless it starts
    /// with `/`. A trailing `/` is kept (it marks a directory).
    pub path: Vec<u8>,
    /// `ftpes://`: explicit FTPS (AUTH TLS); `ftps://`: implicit FTPS, as in curl
    /// and lftp; `ftp://`: none (unless `--tls` asks for it).
    pub tls: Option<TlsMode>,
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError {
    url: String,
    reason: String,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid URL {:?}: {} (expected ftp://[user[:password]@]host[:port]/path; ftps:// and ftpes:// for TLS)",
            self.url, self.reason
        )
    }
}

impl std::error::Error for UrlError {}

impl FtpUrl {
    /// Parses `ftp://[user[:password]@]host[:port][/path]`.
    pub fn parse(text: &str) -> Result<FtpUrl, UrlError> {
        let fail = |reason: &str| UrlError {
            url: redact(text),
            reason: reason.to_owned(),
        };
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| fail("missing ftp://"))?;
        let (tls, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "ftp" => (None, DEFAULT_PORT),
            "ftpes" => (Some(TlsMode::Explicit), DEFAULT_PORT),
            "ftps" => (Some(TlsMode::Implicit), IMPLICIT_TLS_PORT),
            _ => {
                return Err(fail(&format!(
                    "unsupported scheme {scheme:?} (ftp://, ftpes:// and ftps:// are)"
                )));
            }
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let (user, password) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                let user = decode_text(user).map_err(|e| fail(&format!("user name: {e}")))?;
                if user.is_empty() {
                    return Err(fail("empty user name"));
                }
                let password = password
                    .map(decode_text)
                    .transpose()
                    .map_err(|e| fail(&format!("password: {e}")))?;
                (Some(user), password)
            }
        };
        let (host, port) = parse_host_port(hostport, default_port).map_err(|e| fail(&e))?;
        let path = decode(path).map_err(|e| fail(&format!("path: {e}")))?;
        if path.iter().any(|b| matches!(b, b'\0' | b'\r' | b'\n')) {
            return Err(fail("path: NUL, CR and LF cannot be sent over FTP"));
        }
        Ok(FtpUrl {
            user,
            password,
            host,
            port,
            path,
            tls,
        })
    }

    /// `host:port` for connecting (`ToSocketAddrs` takes the unbracketed host with
    /// the port as a pair; this is for messages).
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for FtpUrl {
    /// The URL without its password (for messages).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.tls {
            None => "ftp://",
            Some(TlsMode::Implicit) => "ftps://",
            Some(_) => "ftpes://",
        })?;
        if let Some(user) = &self.user {
            write!(f, "{}@", encode(user.as_bytes()))?;
        }
        write!(f, "{}/{}", self.host_port(), encode(&self.path))
    }
}

/// `host[:port]` or `[v6]:port`.
fn parse_host_port(text: &str, default_port: u16) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest
            .split_once(']')
            .ok_or("an IPv6 address needs its closing ]")?;
        inside
            .parse::<Ipv6Addr>()
            .map_err(|_| format!("{inside:?} is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("unexpected {p:?} after the IPv6 address"))?,
            ),
        };
        (inside, port)
    } else {
        match text.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err("missing host".to_owned());
    }
    if let Some(bad) = host
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "[]<>\"\\^`{|}%".contains(*c))
    {
        return Err(format!("{bad:?} in the host name"));
    }
    let port = match port {
        None | Some("") => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(format!("{p:?} is not a port (1-65535)")),
        },
    };
    Ok((host.to_owned(), port))
}

/// Percent-decodes to bytes; a `%` must be followed by two hex digits.
fn decode(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        let end = (i + 3).min(bytes.len());
                        format!(
                            "bad percent-encoding {:?}",
                            String::from_utf8_lossy(&bytes[i..end])
                        )
                    })?;
                out.push(hex);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Percent-decodes a user name or password, which must be UTF-8 without line breaks.
fn decode_text(text: &str) -> Result<String, String> {
    let bytes = decode(text)?;
    if bytes.iter().any(|b| matches!(b, b'\0' | b'\r' | b'\n')) {
        return Err("NUL, CR and LF cannot be sent over FTP".to_owned());
    }
    String::from_utf8(bytes).map_err(|_| "not UTF-8 once decoded".to_owned())
}

/// Percent-encodes what would not survive being parsed back (for display).
fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URL with any password replaced by `***`, so error messages never show it.
fn redact(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => match authority[..at].split_once(':') {
            Some((user, _)) => format!(
                "{scheme}://{user}:***@{}",
                &rest[at + 1..] // from the host on
            ),
            None => text.to_owned(),
        },
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> FtpUrl {
        match FtpUrl::parse(text) {
            Ok(url) => url,
            Err(e) => panic!("{text}: {e}"),
        }
    }

    #[test]
    fn defaults_anonymous_port_21_login_directory() {
        let url = parse("ftp://example.com");
        assert_eq!(url.user, None);
        assert_eq!(url.password, None);
        assert_eq!(url.host, "example.com");
        assert_eq!(url.port, 21);
        assert_eq!(url.path, b"");
        assert_eq!(parse("ftp://example.com/").path, b"");
        assert_eq!(parse("FTP://example.com:/").port, 21);
    }

    #[test]
    fn ftps_is_implicit_on_990_and_ftpes_explicit_on_21() {
        let url = parse("ftps://h/x");
        assert_eq!((url.tls, url.port), (Some(TlsMode::Implicit), 990));
        assert_eq!(url.to_string(), "ftps://h:990/x");
        let url = parse("FTPES://h:2121/");
        assert_eq!((url.tls, url.port), (Some(TlsMode::Explicit), 2121));
        assert_eq!(url.to_string(), "ftpes://h:2121/");
        assert_eq!(parse("ftp://h").tls, None);
        assert!(FtpUrl::parse("sftp://h").is_err());
    }

    #[test]
    fn user_password_port_and_path() {
        let url = parse("ftp://alice:s3cret@127.0.0.1:2121/pub/file.txt");
        assert_eq!(url.user.as_deref(), Some("alice"));
        assert_eq!(url.password.as_deref(), Some("s3cret"));
        assert_eq!(url.host, "127.0.0.1");
        assert_eq!(url.port, 2121);
        assert_eq!(url.path, b"pub/file.txt");
        let url = parse("ftp://bob@host/dir/");
        assert_eq!(url.user.as_deref(), Some("bob"));
        assert_eq!(url.password, None);
        assert_eq!(url.path, b"dir/", "the trailing slash is kept");
    }

    #[test]
    fn percent_decoding_of_user_password_and_path() {
        let url = parse("ftp://me%40example.org:p%3Aw%2F%25d@host/a%20b/%C3%A9t%C3%A9");
        assert_eq!(url.user.as_deref(), Some("me@example.org"));
        assert_eq!(url.password.as_deref(), Some("p:w/%d"));
        assert_eq!(url.path, "a b/été".as_bytes());
        // Paths are bytes: invalid UTF-8 is kept as is.
        assert_eq!(parse("ftp://h/%FF%FEx").path, b"\xFF\xFEx");
    }

    #[test]
    fn a_raw_colon_in_the_password_and_at_in_the_user_part() {
        let url = parse("ftp://u:a:b@host/");
        assert_eq!(url.password.as_deref(), Some("a:b"), "first colon splits");
        // An unencoded @ in the user part: the last @ ends the user information.
        let url = parse("ftp://me@example.org:pw@host/");
        assert_eq!(url.user.as_deref(), Some("me@example.org"));
        assert_eq!(url.host, "host");
    }

    #[test]
    fn absolute_paths_start_with_a_second_slash_or_2f() {
        assert_eq!(parse("ftp://h//etc/x").path, b"/etc/x");
        assert_eq!(parse("ftp://h/%2Fetc/x").path, b"/etc/x");
    }

    #[test]
    fn ipv6_literals() {
        let url = parse("ftp://[::1]:2121/x");
        assert_eq!(url.host, "::1");
        assert_eq!(url.port, 2121);
        assert_eq!(url.host_port(), "[::1]:2121");
        let url = parse("ftp://u:p@[2001:db8::7]");
        assert_eq!(url.host, "2001:db8::7");
        assert_eq!(url.port, 21);
    }

    #[test]
    fn display_hides_the_password_and_round_trips() {
        let url = parse("ftp://me%40x:secret@[::1]:2121/a%20b");
        let shown = url.to_string();
        assert_eq!(shown, "ftp://me%40x@[::1]:2121/a%20b");
        let back = parse(&shown);
        assert_eq!((back.user, back.path), (url.user, url.path));
    }

    #[test]
    fn bad_urls_are_refused_with_a_reason() {
        for (bad, why) in [
            ("example.com/x", "missing ftp://"),
            ("http://example.com/", "unsupported scheme"),
            ("sftp://example.com/", "unsupported scheme"),
            ("ftp:///path", "missing host"),
            ("ftp://host:0/", "not a port"),
            ("ftp://host:70000/", "not a port"),
            ("ftp://host:21x/", "not a port"),
            ("ftp://[::1/", "closing ]"),
            ("ftp://[nope]/", "not an IPv6 address"),
            ("ftp://[::1]x/", "after the IPv6 address"),
            ("ftp://ho st/", "in the host name"),
            ("ftp://@host/", "empty user name"),
            ("ftp://u%4@host/", "bad percent-encoding"),
            ("ftp://u:%FF@host/", "not UTF-8"),
            ("ftp://host/a%zzb", "bad percent-encoding"),
            ("ftp://host/a%0Ab", "CR and LF"),
            ("ftp://host/a%0", "bad percent-encoding"),
        ] {
            let err = match FtpUrl::parse(bad) {
                Ok(url) => panic!("{bad} accepted as {url:?}"),
                Err(e) => e.to_string(),
            };
            assert!(err.contains(why), "{bad}: {err:?} should say {why:?}");
            assert!(err.starts_with("invalid URL"), "{err}");
        }
    }

    #[test]
    fn errors_never_show_the_password() {
        let err = FtpUrl::parse("ftp://u:hunter2@host:99999/").map(|_| ());
        let text = err.map_err(|e| e.to_string()).unwrap_err();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("u:***@host"), "{text}");
    }
}
