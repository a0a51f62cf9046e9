//! Data-connection addresses: `227` (PASV) and `229` (EPSV) reply texts, and `PORT` and
//! `EPRT` arguments (RFC 959 §4.1.2, RFC 2428), parsed and formatted with range checks,
//! plus the host checks a server makes against FTP bounce and port theft (RFC 2577).
//!
//! ```
//! use std::net::{Ipv4Addr, SocketAddrV4};
//! use sansftp::addr;
//!
//! let data = addr::parse_pasv_reply(b"227 Entering Passive Mode (127,0,0,1,78,40).").unwrap();
//! assert_eq!(data, SocketAddrV4::new(Ipv4Addr::LOCALHOST, 20008));
//! assert_eq!(addr::parse_epsv_reply(b"229 Entering Extended Passive Mode (|||6446|)").unwrap(), 6446);
//! assert_eq!(addr::format_pasv_reply_text(data), "Entering Passive Mode (127,0,0,1,78,40).");
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};

/// Which of the four address forms an [`AddrError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddrForm {
    /// The text of a `227` reply to `PASV`.
    PasvReply,
    /// The text of a `229` reply to `EPSV`.
    EpsvReply,
    /// The argument of `PORT`.
    PortArg,
    /// The argument of `EPRT`.
    EprtArg,
}

impl fmt::Display for AddrForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddrForm::PasvReply => "PASV reply",
            AddrForm::EpsvReply => "EPSV reply",
            AddrForm::PortArg => "PORT argument",
            AddrForm::EprtArg => "EPRT argument",
        })
    }
}

/// A PASV/EPSV reply or PORT/EPRT argument that could not be used.
///
/// Every variant names the input, lossily decoded and cut to [`AddrError::SNIPPET_LEN`]
/// bytes, so that a log line stays short whatever the peer sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddrError {
    /// The input does not have the form's shape.
    #[error("malformed {form}: {input:?}")]
    Malformed {
        /// The form that was expected.
        form: AddrForm,
        /// The start of the input.
        input: String,
    },
    /// A number is out of its range (an address byte above 255, a port above 65535).
    #[error("number out of range in {form}: {input:?}")]
    OutOfRange {
        /// The form that was parsed.
        form: AddrForm,
        /// The start of the input.
        input: String,
    },
    /// The port is 0, which no data connection can use.
    #[error("port 0 in {form}: {input:?}")]
    ZeroPort {
        /// The form that was parsed.
        form: AddrForm,
        /// The start of the input.
        input: String,
    },
    /// An `EPRT` names a network protocol other than 1 (IPv4) or 2 (IPv6); a server
    /// answers `522 Network protocol not supported, use (1,2)`.
    #[error("unsupported network protocol {protocol:?} in EPRT argument (use 1 or 2)")]
    UnsupportedProtocol {
        /// The protocol number as sent.
        protocol: String,
        /// The start of the input.
        input: String,
    },
    /// An `EPRT` address is not of the family its protocol number names.
    #[error("EPRT address is not an IPv{} address: {input:?}", if *.protocol == 1 { 4 } else { 6 })]
    FamilyMismatch {
        /// The protocol number sent: 1 (IPv4) or 2 (IPv6).
        protocol: u8,
        /// The start of the input.
        input: String,
    },
}

impl AddrError {
    /// How many bytes of the input an error keeps.
    pub const SNIPPET_LEN: usize = 64;

    /// The form the error is about.
    pub fn form(&self) -> AddrForm {
        match self {
            AddrError::Malformed { form, .. }
            | AddrError::OutOfRange { form, .. }
            | AddrError::ZeroPort { form, .. } => *form,
            AddrError::UnsupportedProtocol { .. } | AddrError::FamilyMismatch { .. } => {
                AddrForm::EprtArg
            }
        }
    }

    /// The start of the input, lossily decoded.
    pub fn input(&self) -> &str {
        match self {
            AddrError::Malformed { input, .. }
            | AddrError::OutOfRange { input, .. }
            | AddrError::ZeroPort { input, .. }
            | AddrError::UnsupportedProtocol { input, .. }
            | AddrError::FamilyMismatch { input, .. } => input,
        }
    }
}

/// Parses the text of a `227` reply: the first run of six comma-separated decimal numbers
/// `h1,h2,h3,h4,p1,p2`, wherever it sits (inside parentheses, after `=`, bare). Spaces
/// around the commas are tolerated. The text may include the code or not.
///
/// The address is returned as sent, `0.0.0.0` included: a client normally ignores it and
/// connects to the control connection's peer (servers behind NAT announce private
/// addresses).
///
/// ```
/// use std::net::{Ipv4Addr, SocketAddrV4};
/// use sansftp::addr::parse_pasv_reply;
///
/// let want = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 1), 20008);
/// assert_eq!(parse_pasv_reply(b"227 Entering Passive Mode (127,0,0,1,78,40).").unwrap(), want);
/// assert_eq!(parse_pasv_reply(b"227 Entering Passive Mode 127,0,0,1,78,40").unwrap(), want);
/// assert_eq!(parse_pasv_reply(b"227 =127,0,0,1,78,40").unwrap(), want);
/// assert!(parse_pasv_reply(b"227 Entering Passive Mode (127,0,0,256,78,40)").is_err());
/// ```
pub fn parse_pasv_reply(text: &[u8]) -> Result<SocketAddrV4, AddrError> {
    let form = AddrForm::PasvReply;
    let mut prev_digit = false;
    for (i, &b) in text.iter().enumerate() {
        let digit = b.is_ascii_digit();
        // Only start at the beginning of a number, so "1127,..." is not read as "127,...".
        if digit && !prev_digit {
            if let Some((numbers, _)) = read_six(&text[i..]) {
                return six_to_addr(numbers, form, text);
            }
        }
        prev_digit = digit;
    }
    Err(malformed(form, text))
}

/// Parses the text of a `229` reply: the first `(<d><d><d><port><d>)` in it, where `<d>`
/// is one delimiter character in 33..=126 (not a digit), the same all four times.
///
/// Unlike aioftp, which takes the last match, the first one is used, as for PASV: the
/// address is what a server writes first, and a comment after it cannot override it.
///
/// ```
/// use sansftp::addr::parse_epsv_reply;
///
/// assert_eq!(parse_epsv_reply(b"229 Entering Extended Passive Mode (|||6446|)").unwrap(), 6446);
/// assert_eq!(parse_epsv_reply(b"229 ok (!!!21!)").unwrap(), 21);
/// assert!(parse_epsv_reply(b"229 (|||0|)").is_err());
/// assert!(parse_epsv_reply(b"229 (|!|6446|)").is_err());
/// ```
pub fn parse_epsv_reply(text: &[u8]) -> Result<u16, AddrError> {
    let form = AddrForm::EpsvReply;
    for open in memchr::memchr_iter(b'(', text) {
        if let Some(digits) = epsv_port_digits(&text[open + 1..]) {
            return port_from_digits(digits, form, text);
        }
    }
    Err(malformed(form, text))
}

/// The text of a `227` reply for `addr`, without the code:
/// `Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
pub fn format_pasv_reply_text(addr: SocketAddrV4) -> String {
    let [h1, h2, h3, h4] = addr.ip().octets();
    let [p1, p2] = addr.port().to_be_bytes();
    format!("Entering Passive Mode ({h1},{h2},{h3},{h4},{p1},{p2}).")
}

/// The text of a `229` reply for `port`, without the code:
/// `Entering Extended Passive Mode (|||port|)`.
pub fn format_epsv_reply_text(port: u16) -> String {
    format!("Entering Extended Passive Mode (|||{port}|)")
}

/// Parses a `PORT` argument, `h1,h2,h3,h4,p1,p2`. Surrounding spaces and spaces around
/// the commas are tolerated; anything else around the numbers is refused.
///
/// The address is returned as sent; a server must then check it with
/// [`is_bounce_safe`].
///
/// ```
/// use std::net::{Ipv4Addr, SocketAddrV4};
/// use sansftp::addr::{format_port_arg, parse_port_arg};
///
/// let addr = parse_port_arg(b"192,168,1,2,4,1").unwrap();
/// assert_eq!(addr, SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 2), 1025));
/// assert_eq!(format_port_arg(addr), "192,168,1,2,4,1");
/// assert!(parse_port_arg(b"192,168,1,2,4").is_err());
/// ```
pub fn parse_port_arg(arg: &[u8]) -> Result<SocketAddrV4, AddrError> {
    let form = AddrForm::PortArg;
    match read_six(arg.trim_ascii()) {
        Some((numbers, used)) if used == arg.trim_ascii().len() => six_to_addr(numbers, form, arg),
        _ => Err(malformed(form, arg)),
    }
}

/// The `PORT` argument for `addr`: `h1,h2,h3,h4,p1,p2`.
pub fn format_port_arg(addr: SocketAddrV4) -> String {
    let [h1, h2, h3, h4] = addr.ip().octets();
    let [p1, p2] = addr.port().to_be_bytes();
    format!("{h1},{h2},{h3},{h4},{p1},{p2}")
}

/// Parses an `EPRT` argument, `<d><net-prt><d><net-addr><d><tcp-port><d>` (RFC 2428 §2):
/// `<d>` is any character in 33..=126, the same all four times; `net-prt` is 1 (IPv4) or
/// 2 (IPv6). Surrounding spaces are tolerated.
///
/// Another protocol number gives [`AddrError::UnsupportedProtocol`] (answer `522`), an
/// address of the other family [`AddrError::FamilyMismatch`]. IPv6 zone ids are refused.
///
/// ```
/// use std::net::SocketAddr;
/// use sansftp::addr::{AddrError, parse_eprt_arg};
///
/// let v4: SocketAddr = "132.235.1.2:6275".parse().unwrap();
/// assert_eq!(parse_eprt_arg(b"|1|132.235.1.2|6275|").unwrap(), v4);
/// let v6: SocketAddr = "[1080::8:800:200c:417a]:5282".parse().unwrap();
/// assert_eq!(parse_eprt_arg(b"|2|1080::8:800:200C:417A|5282|").unwrap(), v6);
/// assert!(matches!(
///     parse_eprt_arg(b"|3|10.0.0.1|21|"),
///     Err(AddrError::UnsupportedProtocol { .. })
/// ));
/// ```
pub fn parse_eprt_arg(arg: &[u8]) -> Result<SocketAddr, AddrError> {
    let form = AddrForm::EprtArg;
    let s = arg.trim_ascii();
    let Some(&delim) = s.first() else {
        return Err(malformed(form, arg));
    };
    if !is_delimiter(delim) {
        return Err(malformed(form, arg));
    }
    let Some(body) = s[1..].strip_suffix(&[delim]) else {
        return Err(malformed(form, arg));
    };
    let mut fields = body.split(|&b| b == delim);
    let (Some(proto), Some(host), Some(port), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(malformed(form, arg));
    };
    let protocol: u8 = match proto {
        b"1" => 1,
        b"2" => 2,
        p if !p.is_empty() && p.iter().all(u8::is_ascii_digit) => {
            return Err(AddrError::UnsupportedProtocol {
                protocol: snippet(p),
                input: snippet(arg),
            });
        }
        _ => return Err(malformed(form, arg)),
    };
    // std's parsers are strict (no leading zeros in IPv4, no zone ids in IPv6).
    let ip: IpAddr = std::str::from_utf8(host)
        .ok()
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| malformed(form, arg))?;
    if (protocol == 1) != ip.is_ipv4() {
        return Err(AddrError::FamilyMismatch {
            protocol,
            input: snippet(arg),
        });
    }
    let port = port_from_digits(port, form, arg)?;
    Ok(SocketAddr::new(ip, port))
}

/// The `EPRT` argument for `addr`, with `|` as the delimiter: `|1|h.h.h.h|port|` or
/// `|2|v6addr|port|`. An IPv6 zone id and flow label are not sent.
pub fn format_eprt_arg(addr: SocketAddr) -> String {
    let protocol = if addr.is_ipv4() { 1 } else { 2 };
    format!("|{protocol}|{}|{}|", addr.ip(), addr.port())
}

/// Whether `a` and `b` are the same host, treating an IPv4-mapped IPv6 address
/// (`::ffff:1.2.3.4`, what a dual-stack socket reports for an IPv4 peer) as the IPv4
/// address it maps.
///
/// A server uses it to check that a data connection comes from the control connection's
/// peer (no PASV port theft).
///
/// ```
/// use std::net::IpAddr;
/// use sansftp::addr::same_host;
///
/// let v4: IpAddr = "1.2.3.4".parse().unwrap();
/// let mapped: IpAddr = "::ffff:1.2.3.4".parse().unwrap();
/// assert!(same_host(v4, mapped));
/// assert!(!same_host(v4, "1.2.3.5".parse().unwrap()));
/// ```
pub fn same_host(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// Whether a `PORT`/`EPRT` target may be connected to: it must be the control
/// connection's peer ([`same_host`]) and a port of at least 1024, so that a client
/// cannot use the server to reach another host or a privileged service (FTP bounce,
/// RFC 2577).
///
/// ```
/// use sansftp::addr::is_bounce_safe;
///
/// let peer = "10.0.0.7".parse().unwrap();
/// assert!(is_bounce_safe("10.0.0.7:50000".parse().unwrap(), peer));
/// assert!(!is_bounce_safe("10.0.0.8:50000".parse().unwrap(), peer));
/// assert!(!is_bounce_safe("10.0.0.7:25".parse().unwrap(), peer));
/// ```
pub fn is_bounce_safe(target: SocketAddr, control_peer: IpAddr) -> bool {
    target.port() >= 1024 && same_host(target.ip(), control_peer)
}

/// The IPv4 address to announce in a `227` reply for a local address, unmapping
/// `::ffff:a.b.c.d`; `None` for a real IPv6 address, where PASV cannot work and a server
/// answers with an error (EPSV works).
pub fn pasv_ipv4(local: IpAddr) -> Option<Ipv4Addr> {
    match local.to_canonical() {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(_) => None,
    }
}

/// RFC 2428's delimiter range. Digits are excluded: a digit delimiter cannot be told
/// apart from the port and would make `(1111211)` ambiguous.
fn is_delimiter(b: u8) -> bool {
    (33..=126).contains(&b) && !b.is_ascii_digit()
}

/// Reads `n,n,n,n,n,n` from the start of `s` (spaces allowed around commas). Returns the
/// numbers, saturated rather than overflowed, and how many bytes were used.
fn read_six(s: &[u8]) -> Option<([u32; 6], usize)> {
    let mut numbers = [0u32; 6];
    let mut i = 0;
    for (k, slot) in numbers.iter_mut().enumerate() {
        if k > 0 {
            i = skip_spaces(s, i);
            if s.get(i) != Some(&b',') {
                return None;
            }
            i = skip_spaces(s, i + 1);
        }
        let start = i;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        *slot = decimal(&s[start..i]);
    }
    Some((numbers, i))
}

fn skip_spaces(s: &[u8], mut i: usize) -> usize {
    while s.get(i) == Some(&b' ') {
        i += 1;
    }
    i
}

/// The value of an all-digit slice, saturating at `u32::MAX`.
fn decimal(digits: &[u8]) -> u32 {
    digits.iter().fold(0u32, |acc, d| {
        acc.saturating_mul(10).saturating_add(u32::from(d - b'0'))
    })
}

fn six_to_addr(n: [u32; 6], form: AddrForm, input: &[u8]) -> Result<SocketAddrV4, AddrError> {
    let mut bytes = [0u8; 6];
    for (b, &v) in bytes.iter_mut().zip(&n) {
        *b = u8::try_from(v).map_err(|_| AddrError::OutOfRange {
            form,
            input: snippet(input),
        })?;
    }
    let port = u16::from_be_bytes([bytes[4], bytes[5]]);
    if port == 0 {
        return Err(AddrError::ZeroPort {
            form,
            input: snippet(input),
        });
    }
    let ip = Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]);
    Ok(SocketAddrV4::new(ip, port))
}

/// Matches `<d><d><d>digits<d>)` at the start of `s`, returning the digits.
fn epsv_port_digits(s: &[u8]) -> Option<&[u8]> {
    let (&d, rest) = s.split_first()?;
    if !is_delimiter(d) || rest.get(..2)? != [d, d] {
        return None;
    }
    let rest = &rest[2..];
    let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    (len > 0 && rest.get(len..len + 2)? == [d, b')']).then(|| &rest[..len])
}

/// A port from a field that must be all digits, 1..=65535.
fn port_from_digits(digits: &[u8], form: AddrForm, input: &[u8]) -> Result<u16, AddrError> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(malformed(form, input));
    }
    match u16::try_from(decimal(digits)) {
        Ok(0) => Err(AddrError::ZeroPort {
            form,
            input: snippet(input),
        }),
        Ok(port) => Ok(port),
        Err(_) => Err(AddrError::OutOfRange {
            form,
            input: snippet(input),
        }),
    }
}

fn malformed(form: AddrForm, input: &[u8]) -> AddrError {
    AddrError::Malformed {
        form,
        input: snippet(input),
    }
}

fn snippet(input: &[u8]) -> String {
    crate::snippet::snippet(input, AddrError::SNIPPET_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv6Addr, SocketAddrV6};

    fn v4(a: [u8; 4], port: u16) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(a), port)
    }

    #[test]
    fn pasv_reply_forms() {
        let want = v4([127, 0, 0, 1], 20008);
        for text in [
            &b"227 Entering Passive Mode (127,0,0,1,78,40)."[..],
            b"227 Entering Passive Mode 127,0,0,1,78,40",
            b"227 =127,0,0,1,78,40",
            b"Entering Passive Mode (127, 0, 0, 1, 78, 40)",
            b"227 Entering Passive Mode (127,0,0,1,78,40,99)",
            b"227 1,2 Entering Passive Mode (127,0,0,1,78,40)",
            b"127,0,0,1,78,40",
        ] {
            assert_eq!(parse_pasv_reply(text), Ok(want), "{}", text.escape_ascii());
        }
        let err = |t: &[u8]| parse_pasv_reply(t).unwrap_err();
        assert!(matches!(
            err(b"227 Entering Passive Mode"),
            AddrError::Malformed { .. }
        ));
        assert!(matches!(
            err(b"227 (127,0,0,1,78)"),
            AddrError::Malformed { .. }
        ));
        assert!(matches!(err(b""), AddrError::Malformed { .. }));
        assert!(matches!(
            err(b"227 (127,0,0,1,256,0)"),
            AddrError::OutOfRange { .. }
        ));
        assert!(matches!(
            err(b"227 (127,0,0,1,99999999999999999999,0)"),
            AddrError::OutOfRange { .. }
        ));
        assert!(matches!(
            err(b"227 (127,0,0,1,0,0)"),
            AddrError::ZeroPort { .. }
        ));
        assert_eq!(
            err(b"227 nope").to_string(),
            "malformed PASV reply: \"227 nope\""
        );
    }

    #[test]
    fn epsv_reply_forms() {
        assert_eq!(
            parse_epsv_reply(b"229 Entering Extended Passive Mode (|||6446|)"),
            Ok(6446)
        );
        assert_eq!(parse_epsv_reply(b"(###1#)"), Ok(1));
        assert_eq!(parse_epsv_reply(b"229 (x) (|||65535|) (|||2|)"), Ok(65535));
        assert_eq!(parse_epsv_reply(b"229 ((|||21|)"), Ok(21));
        let err = |t: &[u8]| parse_epsv_reply(t).unwrap_err();
        assert!(matches!(
            err(b"229 (|||65536|)"),
            AddrError::OutOfRange { .. }
        ));
        assert!(matches!(err(b"229 (|||0|)"), AddrError::ZeroPort { .. }));
        for bad in [
            &b"229 (|||)"[..],
            b"229 (||6446|)",
            b"229 (|||6446|",
            b"229 (111211)",
            b"229 ( 6446 )",
            b"229 (|||6446#)",
            b"229 (\x7f\x7f\x7f21\x7f)",
            b"229 (   21 )",
            b"229 (",
        ] {
            assert!(
                matches!(
                    err(bad),
                    AddrError::Malformed {
                        form: AddrForm::EpsvReply,
                        ..
                    }
                ),
                "{}",
                bad.escape_ascii()
            );
        }
    }

    #[test]
    fn port_args() {
        assert_eq!(
            parse_port_arg(b"10,0,0,7,195,80"),
            Ok(v4([10, 0, 0, 7], 50000))
        );
        assert_eq!(
            parse_port_arg(b"  10, 0,0 ,7,195,80 "),
            Ok(v4([10, 0, 0, 7], 50000))
        );
        for bad in [
            &b""[..],
            b"10,0,0,7,195",
            b"10,0,0,7,195,80,1",
            b"(10,0,0,7,195,80)",
            b"a",
        ] {
            assert!(matches!(
                parse_port_arg(bad),
                Err(AddrError::Malformed { .. })
            ));
        }
        assert!(matches!(
            parse_port_arg(b"10,0,0,700,1,1"),
            Err(AddrError::OutOfRange { .. })
        ));
        assert!(matches!(
            parse_port_arg(b"10,0,0,7,0,0"),
            Err(AddrError::ZeroPort { .. })
        ));
    }

    #[test]
    fn eprt_args() {
        let ok = |t: &[u8]| parse_eprt_arg(t).unwrap();
        assert_eq!(
            ok(b"|1|132.235.1.2|6275|"),
            "132.235.1.2:6275".parse().unwrap()
        );
        assert_eq!(
            ok(b" !1!132.235.1.2!6275! "),
            "132.235.1.2:6275".parse().unwrap()
        );
        assert_eq!(
            ok(b"|2|::ffff:10.0.0.1|1025|"),
            "[::ffff:10.0.0.1]:1025".parse().unwrap()
        );
        assert_eq!(ok(b"#2#::1#21#"), "[::1]:21".parse().unwrap());
        let err = |t: &[u8]| parse_eprt_arg(t).unwrap_err();
        assert_eq!(
            err(b"|3|1.2.3.4|21|"),
            AddrError::UnsupportedProtocol {
                protocol: "3".into(),
                input: "|3|1.2.3.4|21|".into()
            }
        );
        assert_eq!(
            err(b"|3|1.2.3.4|21|").to_string(),
            "unsupported network protocol \"3\" in EPRT argument (use 1 or 2)"
        );
        assert_eq!(
            err(b"|1|::1|21|").to_string(),
            "EPRT address is not an IPv4 address: \"|1|::1|21|\""
        );
        assert!(matches!(
            err(b"|2|1.2.3.4|21|"),
            AddrError::FamilyMismatch { protocol: 2, .. }
        ));
        assert!(matches!(err(b"|1|1.2.3.4|0|"), AddrError::ZeroPort { .. }));
        assert!(matches!(
            err(b"|1|1.2.3.4|65536|"),
            AddrError::OutOfRange { .. }
        ));
        for bad in [
            &b""[..],
            b"|",
            b"||",
            b"|1|1.2.3.4|21",
            b"|1|1.2.3.4|+21|",
            b"|1|1.2.3.4|21|x|",
            b"|1|1.2.3.04|21|",
            b"|1|1.2.3.4.5|21|",
            b"|2|fe80::1%eth0|21|",
            b"|2|1080::8:800:200C:417A|5282!",
            b"|x|1.2.3.4|21|",
            b"||1.2.3.4|21|",
            b"\x7f1\x7f1.2.3.4\x7f21\x7f",
            b"|1||21|",
            b":2:::1:21:",
        ] {
            assert!(
                matches!(
                    err(bad),
                    AddrError::Malformed {
                        form: AddrForm::EprtArg,
                        ..
                    }
                ),
                "{}",
                bad.escape_ascii()
            );
        }
    }

    #[test]
    fn errors_keep_a_bounded_snippet() {
        let long = [b'x'; 1000];
        let e = parse_port_arg(&long).unwrap_err();
        assert_eq!(e.form(), AddrForm::PortArg);
        assert_eq!(e.input().chars().count(), AddrError::SNIPPET_LEN + 1);
        assert!(e.input().ends_with('…'));
        let e = parse_eprt_arg(b"|9|\xff|1|").unwrap_err();
        assert_eq!(e.form(), AddrForm::EprtArg);
        assert_eq!(e.input(), "|9|\u{fffd}|1|");
    }

    #[test]
    fn host_checks() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(same_host(ip("::ffff:1.2.3.4"), ip("1.2.3.4")));
        assert!(same_host(ip("::1"), ip("::1")));
        assert!(!same_host(ip("::1"), ip("127.0.0.1")));
        assert!(!same_host(ip("::1.2.3.4"), ip("1.2.3.4")));
        let peer = ip("::ffff:10.0.0.7");
        assert!(is_bounce_safe("10.0.0.7:1024".parse().unwrap(), peer));
        assert!(!is_bounce_safe("10.0.0.7:1023".parse().unwrap(), peer));
        assert!(!is_bounce_safe("10.0.0.8:2000".parse().unwrap(), peer));
        assert_eq!(pasv_ipv4(peer), Some(Ipv4Addr::new(10, 0, 0, 7)));
        assert_eq!(pasv_ipv4(ip("::1")), None);
    }

    fn arb_v6() -> impl Strategy<Value = SocketAddr> {
        (any::<u128>(), 1..=u16::MAX).prop_map(|(ip, port)| {
            SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(ip), port, 0, 0))
        })
    }

    proptest! {
        #[test]
        fn pasv_round_trips(ip in any::<u32>(), port in 1..=u16::MAX) {
            let addr = SocketAddrV4::new(Ipv4Addr::from(ip), port);
            let text = format!("227 {}", format_pasv_reply_text(addr));
            prop_assert_eq!(parse_pasv_reply(text.as_bytes()), Ok(addr));
        }

        #[test]
        fn epsv_round_trips(port in 1..=u16::MAX) {
            let text = format!("229 {}", format_epsv_reply_text(port));
            prop_assert_eq!(parse_epsv_reply(text.as_bytes()), Ok(port));
        }

        #[test]
        fn port_round_trips(ip in any::<u32>(), port in 1..=u16::MAX) {
            let addr = SocketAddrV4::new(Ipv4Addr::from(ip), port);
            prop_assert_eq!(parse_port_arg(format_port_arg(addr).as_bytes()), Ok(addr));
        }

        #[test]
        fn eprt_round_trips(
            addr in prop_oneof![
                (any::<u32>(), 1..=u16::MAX)
                    .prop_map(|(ip, port)| SocketAddr::new(Ipv4Addr::from(ip).into(), port)),
                arb_v6(),
            ]
        ) {
            prop_assert_eq!(parse_eprt_arg(format_eprt_arg(addr).as_bytes()), Ok(addr));
        }

        #[test]
        fn parsers_never_panic(input in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = parse_pasv_reply(&input);
            let _ = parse_epsv_reply(&input);
            let _ = parse_port_arg(&input);
            let _ = parse_eprt_arg(&input);
        }
    }
}
