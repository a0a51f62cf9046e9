//! The PROXY protocol header (HAProxy's, versions 1 and 2; AWS NLB and most load
//! balancers send version 2) that a proxy puts in front of a control connection to say
//! whose it is: [`parse_proxy_header`]. With
//! [`Config::proxy_protocol`](super::Config::proxy_protocol) on, the adapter reads the
//! header before anything else and makes the session with the client address it
//! reports, so logs, limits, bans and the data-connection peer check see the real
//! client; a connection without a valid header is closed unanswered.
//!
//! ```
//! use sansftp::server::{ProxyHeader, parse_proxy_header};
//!
//! let line = b"PROXY TCP4 203.0.113.7 10.0.0.1 51000 21\r\nUSER x\r\n";
//! let ProxyHeader::Done { source, consumed } = parse_proxy_header(line) else { panic!() };
//! assert_eq!(source, Some("203.0.113.7:51000".parse().unwrap()));
//! assert_eq!(&line[consumed..], b"USER x\r\n");
//! assert_eq!(parse_proxy_header(b"PROXY TCP4 203.0"), ProxyHeader::Incomplete);
//! assert!(matches!(parse_proxy_header(b"USER x\r\n"), ProxyHeader::Invalid(_)));
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The longest version 1 header, with its CRLF (the specification's bound).
pub const MAX_V1_HEADER: usize = 107;

/// The longest version 2 header accepted (16 bytes and the address block with its TLVs);
/// a longer one is refused rather than buffered.
pub const MAX_V2_HEADER: usize = 16 + 4096;

/// The 12 bytes a version 2 header starts with.
const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";

/// What the bytes read so far hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyHeader {
    /// A header may still come: read more and ask again.
    Incomplete,
    /// A whole header, `consumed` bytes long (what follows is the client's).
    Done {
        /// The client's address as the proxy reports it; `None` for a connection the
        /// proxy made itself (`LOCAL`, `UNKNOWN`, a non-IP family): keep the socket's.
        source: Option<SocketAddr>,
        /// The header's length.
        consumed: usize,
    },
    /// Not a valid header: close the connection.
    Invalid(&'static str),
}

/// Gathers a control connection's first bytes until its PROXY header is whole, so that
/// an adapter only reads and feeds: call [`room`](ProxyHeaderReader::room) for the most
/// the next read may take, then [`feed`](ProxyHeaderReader::feed) what it read (nothing:
/// the connection ended), until it answers.
#[derive(Debug, Default)]
pub struct ProxyHeaderReader {
    buf: Vec<u8>,
}

/// A whole header: the client address it reports (`None`: keep the socket's) and the
/// bytes read past it (the client's first commands).
pub type ProxiedConnection = (Option<SocketAddr>, Vec<u8>);

impl ProxyHeaderReader {
    /// Nothing read yet.
    pub fn new() -> ProxyHeaderReader {
        ProxyHeaderReader::default()
    }

    /// The most the next read may take: a chunk of 512 bytes, and never more than the
    /// longest header needs (at least 1).
    pub fn room(&self) -> usize {
        (MAX_V2_HEADER + 1 - self.buf.len().min(MAX_V2_HEADER)).clamp(1, 512)
    }

    /// Takes the bytes of one read (empty: the connection ended). `Ok(Some(..))` once the
    /// header is whole, `Ok(None)` to read more, `Err(why)` to close the connection.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<ProxiedConnection>, String> {
        if bytes.is_empty() {
            return Err("closed before a PROXY protocol header".to_owned());
        }
        self.buf.extend_from_slice(bytes);
        match parse_proxy_header(&self.buf) {
            ProxyHeader::Done { source, consumed } => {
                Ok(Some((source, self.buf.split_off(consumed))))
            }
            ProxyHeader::Invalid(why) => Err(why.to_owned()),
            ProxyHeader::Incomplete => Ok(None),
        }
    }
}

/// Parses a PROXY protocol header (version 1 or 2) at the start of `bytes`.
pub fn parse_proxy_header(bytes: &[u8]) -> ProxyHeader {
    let n = bytes.len().min(V2_SIGNATURE.len());
    if bytes[..n] == V2_SIGNATURE[..n] {
        return if n < V2_SIGNATURE.len() {
            ProxyHeader::Incomplete
        } else {
            parse_v2(bytes)
        };
    }
    let n = bytes.len().min(6);
    if bytes[..n] != b"PROXY "[..n] {
        return ProxyHeader::Invalid("no PROXY protocol header");
    }
    parse_v1(bytes)
}

fn parse_v1(bytes: &[u8]) -> ProxyHeader {
    let Some(end) = memchr::memchr(b'\n', bytes) else {
        return if bytes.len() >= MAX_V1_HEADER {
            ProxyHeader::Invalid("PROXY line too long")
        } else {
            ProxyHeader::Incomplete
        };
    };
    if end + 1 > MAX_V1_HEADER || end == 0 || bytes[end - 1] != b'\r' {
        return ProxyHeader::Invalid("malformed PROXY line");
    }
    let Ok(line) = std::str::from_utf8(&bytes[6..end - 1]) else {
        return ProxyHeader::Invalid("malformed PROXY line");
    };
    let consumed = end + 1;
    let fields: Vec<&str> = line.split(' ').collect();
    match fields.as_slice() {
        ["UNKNOWN", ..] => ProxyHeader::Done {
            source: None,
            consumed,
        },
        [family @ ("TCP4" | "TCP6"), src, dst, sport, dport] => {
            let v4 = *family == "TCP4";
            let (Some(src), Some(_), Some(sport), Some(_)) =
                (ip(src, v4), ip(dst, v4), port(sport), port(dport))
            else {
                return ProxyHeader::Invalid("malformed PROXY addresses");
            };
            ProxyHeader::Done {
                source: Some(SocketAddr::new(src, sport)),
                consumed,
            }
        }
        _ => ProxyHeader::Invalid("malformed PROXY line"),
    }
}

/// An address of the family the line names, in its canonical text form only.
fn ip(text: &str, v4: bool) -> Option<IpAddr> {
    let ip: IpAddr = text.parse().ok()?;
    (ip.is_ipv4() == v4).then_some(ip)
}

/// A port: 0 to 65535, decimal digits, no leading zero (the specification's form).
fn port(text: &str) -> Option<u16> {
    let ok = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if ok { text.parse().ok() } else { None }
}

fn parse_v2(bytes: &[u8]) -> ProxyHeader {
    if bytes.len() < 16 {
        return ProxyHeader::Incomplete;
    }
    let version = bytes[12] >> 4;
    let command = bytes[12] & 0x0f;
    if version != 2 || command > 1 {
        return ProxyHeader::Invalid("unknown PROXY v2 version or command");
    }
    let len = usize::from(u16::from_be_bytes([bytes[14], bytes[15]]));
    let consumed = 16 + len;
    if consumed > MAX_V2_HEADER {
        return ProxyHeader::Invalid("PROXY v2 header too long");
    }
    let Some(block) = bytes.get(16..consumed) else {
        return ProxyHeader::Incomplete;
    };
    if command == 0 {
        // LOCAL: the proxy's own connection (a health check).
        return ProxyHeader::Done {
            source: None,
            consumed,
        };
    }
    let source = match bytes[13] >> 4 {
        1 => {
            let Some(a) = block.get(..12) else {
                return ProxyHeader::Invalid("PROXY v2 address block too short");
            };
            let ip = Ipv4Addr::new(a[0], a[1], a[2], a[3]);
            Some(SocketAddr::new(ip.into(), u16::from_be_bytes([a[8], a[9]])))
        }
        2 => {
            let Some(a) = block.get(..36) else {
                return ProxyHeader::Invalid("PROXY v2 address block too short");
            };
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&a[..16]);
            let ip = Ipv6Addr::from(octets);
            Some(SocketAddr::new(
                ip.into(),
                u16::from_be_bytes([a[32], a[33]]),
            ))
        }
        // AF_UNSPEC, AF_UNIX: no IP to report.
        0 | 3 => None,
        _ => return ProxyHeader::Invalid("unknown PROXY v2 address family"),
    };
    ProxyHeader::Done { source, consumed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(bytes: &[u8]) -> (Option<SocketAddr>, usize) {
        match parse_proxy_header(bytes) {
            ProxyHeader::Done { source, consumed } => (source, consumed),
            other => panic!("{other:?} for {bytes:?}"),
        }
    }

    fn v2(command: u8, family: u8, block: &[u8]) -> Vec<u8> {
        let mut h = V2_SIGNATURE.to_vec();
        h.push(0x20 | command);
        h.push(family << 4 | 1);
        h.extend_from_slice(&(block.len() as u16).to_be_bytes());
        h.extend_from_slice(block);
        h
    }

    #[test]
    fn version_1_lines() {
        let line = b"PROXY TCP6 2001:db8::1 2001:db8::2 4000 21\r\n";
        assert_eq!(
            done(line),
            (Some("[2001:db8::1]:4000".parse().unwrap()), line.len())
        );
        assert_eq!(done(b"PROXY UNKNOWN\r\nx"), (None, 15));
        assert_eq!(done(b"PROXY UNKNOWN ffff::1 ::1 1 2\r\n").0, None);
        for bad in [
            &b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"[..],
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
            b"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 70000 2\r\n",
            b"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
            b"PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
            b"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
            b"USER anonymous\r\n",
            b"\r\nUSER",
        ] {
            assert!(
                matches!(parse_proxy_header(bad), ProxyHeader::Invalid(_)),
                "{bad:?}"
            );
        }
        // Every proper prefix of a good line is incomplete; a line that never ends is
        // refused at the bound.
        let line = b"PROXY TCP4 203.0.113.7 10.0.0.1 51000 21\r\n";
        for cut in 0..line.len() {
            assert_eq!(parse_proxy_header(&line[..cut]), ProxyHeader::Incomplete);
        }
        let endless = [&b"PROXY TCP4 "[..], &[b'1'; 200]].concat();
        assert!(matches!(
            parse_proxy_header(&endless),
            ProxyHeader::Invalid(_)
        ));
    }

    proptest::proptest! {
        /// Whatever a peer sends: no panic, a header never longer than the bytes or
        /// the bounds, and one more byte never turns a verdict into `Incomplete`.
        #[test]
        fn any_bytes_get_a_verdict(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300), v2 in proptest::prelude::any::<bool>()) {
            let mut input = if v2 { V2_SIGNATURE.to_vec() } else { b"PROXY ".to_vec() };
            input.extend_from_slice(&bytes);
            for cut in 0..=input.len() {
                match parse_proxy_header(&input[..cut]) {
                    ProxyHeader::Done { consumed, .. } => {
                        proptest::prop_assert!(consumed <= cut && consumed <= MAX_V2_HEADER);
                    }
                    ProxyHeader::Invalid(_) => {
                        proptest::prop_assert!(!matches!(
                            parse_proxy_header(&input[..(cut + 1).min(input.len())]),
                            ProxyHeader::Incomplete
                        ));
                    }
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn version_2_headers() {
        let mut v4 = vec![203, 0, 113, 7, 10, 0, 0, 1];
        v4.extend_from_slice(&51000u16.to_be_bytes());
        v4.extend_from_slice(&21u16.to_be_bytes());
        v4.extend_from_slice(&[0x03, 0x00, 0x04, 1, 2, 3, 4]); // a CRC TLV, skipped
        let h = v2(1, 1, &v4);
        let mut with_data = h.clone();
        with_data.extend_from_slice(b"USER x\r\n");
        assert_eq!(
            done(&with_data),
            (Some("203.0.113.7:51000".parse().unwrap()), h.len())
        );
        for cut in 0..h.len() {
            assert_eq!(
                parse_proxy_header(&h[..cut]),
                ProxyHeader::Incomplete,
                "{cut}"
            );
        }
        let mut v6 = Vec::new();
        v6.extend_from_slice(&"2001:db8::7".parse::<Ipv6Addr>().unwrap().octets());
        v6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        v6.extend_from_slice(&4000u16.to_be_bytes());
        v6.extend_from_slice(&21u16.to_be_bytes());
        assert_eq!(
            done(&v2(1, 2, &v6)).0,
            Some("[2001:db8::7]:4000".parse().unwrap())
        );
        // LOCAL (a health check) and AF_UNSPEC: keep the socket's address.
        assert_eq!(done(&v2(0, 0, &[])).0, None);
        assert_eq!(done(&v2(1, 0, &[])).0, None);
        let bad_version = {
            let mut h = v2(1, 1, &v4);
            h[12] = 0x11;
            h
        };
        for bad in [
            bad_version,
            v2(2, 1, &v4),
            v2(1, 1, &v4[..8]),
            v2(1, 2, &v4),
            v2(1, 4, &v4),
            v2(1, 1, &vec![0; MAX_V2_HEADER]),
        ] {
            assert!(
                matches!(parse_proxy_header(&bad), ProxyHeader::Invalid(_)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_reader_gathers_a_header_split_across_reads() {
        let mut r = ProxyHeaderReader::new();
        assert_eq!(r.room(), 512);
        assert_eq!(r.feed(b"PROXY TCP4 203.0.113.7 "), Ok(None));
        let done = r.feed(b"10.0.0.1 51000 21\r\nUSER x\r\n").unwrap().unwrap();
        assert_eq!(done.0, Some("203.0.113.7:51000".parse().unwrap()));
        assert_eq!(done.1, b"USER x\r\n");
        let mut r = ProxyHeaderReader::new();
        assert!(r.feed(b"USER x\r\n").is_err());
        assert!(ProxyHeaderReader::new().feed(b"").is_err());
    }
}
