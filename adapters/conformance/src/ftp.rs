//! A deliberately small raw-socket FTP client: commands, multi-line replies, passive
//! and active data connections. Written by hand, independent of the core, so the
//! assertions check the bytes a real client sees. Every socket has a timeout: a hang
//! fails the test instead of stalling it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// The bound on every socket wait of this client.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// A reply: its code and its full text (every line, with line ends).
#[derive(Debug, Clone)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// All lines of the reply, as received.
    pub text: String,
}

/// The code of `reply` (for callers that prefer a function).
pub fn code(reply: &Reply) -> u16 {
    reply.code
}

/// The control connection of a test client.
pub struct Ftp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// The server's first reply.
    pub greeting: Reply,
}

impl Ftp {
    /// Connects and reads the greeting (see [`Ftp::greeting`]).
    pub fn connect(addr: SocketAddr) -> Ftp {
        let s = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
        Ftp::over(s)
    }

    /// Connects from the local IP address `ip` (a loopback alias such as `127.0.0.2`,
    /// for a second client address) and reads the greeting.
    pub fn connect_from(ip: &str, addr: SocketAddr) -> Ftp {
        let local = SocketAddr::new(ip.parse().expect("an IP address"), 0);
        Ftp::over(connect_from(local, addr))
    }

    /// Connects, sends `header` first (a PROXY protocol header, as a load balancer
    /// does) and reads the greeting.
    pub fn connect_proxied(addr: SocketAddr, header: &[u8]) -> Ftp {
        let mut s = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
        s.write_all(header).expect("write the PROXY header");
        Ftp::over(s)
    }

    fn over(s: TcpStream) -> Ftp {
        s.set_read_timeout(Some(TIMEOUT)).expect("set a timeout");
        s.set_write_timeout(Some(TIMEOUT)).expect("set a timeout");
        let writer = s.try_clone().expect("clone the control socket");
        let mut ftp = Ftp {
            reader: BufReader::new(s),
            writer,
            greeting: Reply {
                code: 0,
                text: String::new(),
            },
        };
        ftp.greeting = ftp.reply();
        ftp
    }

    /// Connects and logs in as `alice`/`secret` (220, 331, 230 asserted).
    pub fn login(addr: SocketAddr) -> Ftp {
        let mut ftp = Ftp::connect(addr);
        assert_eq!(ftp.greeting.code, 220, "{:?}", ftp.greeting);
        ftp.expect("USER alice", 331);
        ftp.expect("PASS secret", 230);
        ftp
    }

    /// Reads one reply (multi-line aware). Panics on end of file or timeout.
    pub fn reply(&mut self) -> Reply {
        self.try_reply().expect("a reply")
    }

    /// Reads one reply; `None` on end of file, a timeout or a malformed reply.
    pub fn try_reply(&mut self) -> Option<Reply> {
        let first = self.line()?;
        let code: u16 = first.get(..3)?.parse().ok()?;
        let mut text = first.clone();
        if first.as_bytes().get(3) == Some(&b'-') {
            let end = format!("{code} ");
            loop {
                let line = self.line()?;
                text.push_str(&line);
                if line.starts_with(&end) {
                    break;
                }
            }
        }
        Some(Reply { code, text })
    }

    fn line(&mut self) -> Option<String> {
        let mut raw = Vec::new();
        if self.reader.read_until(b'\n', &mut raw).ok()? == 0 {
            return None;
        }
        Some(String::from_utf8_lossy(&raw).into_owned())
    }

    /// Another handle on the control socket, for raw writes that may fail.
    pub fn writer(&self) -> TcpStream {
        self.writer.try_clone().expect("clone the control socket")
    }

    /// Sends `line` and CRLF.
    pub fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\r\n").as_bytes());
    }

    /// Sends bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("control write");
    }

    /// Sends `line` and reads one reply.
    pub fn cmd(&mut self, line: &str) -> Reply {
        self.send(line);
        self.reply()
    }

    /// Sends `line` and asserts the reply's code.
    pub fn expect(&mut self, line: &str, code: u16) -> Reply {
        let r = self.cmd(line);
        assert_eq!(r.code, code, "{line}: {r:?}");
        r
    }

    /// Reads one reply and asserts its code.
    pub fn expect_reply(&mut self, code: u16) -> Reply {
        let r = self.reply();
        assert_eq!(r.code, code, "{r:?}");
        r
    }

    /// `PASV`, then the data address from the 227.
    pub fn pasv(&mut self) -> SocketAddr {
        let r = self.expect("PASV", 227);
        parse_227(&r.text)
    }

    /// `EPSV` (229), then the data address: the control connection's host, that port.
    pub fn epsv(&mut self) -> SocketAddr {
        let r = self.expect("EPSV", 229);
        let port: u16 = r
            .text
            .split("|||")
            .nth(1)
            .and_then(|s| s.split('|').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {r:?}"));
        let host = self.writer.peer_addr().expect("peer address").ip();
        SocketAddr::new(host, port)
    }

    /// Opens a passive data connection and sends `line` (RETR, LIST, STOR, ...),
    /// expecting 150.
    pub fn open_data(&mut self, line: &str) -> TcpStream {
        let addr = self.pasv();
        let data = connect_data(addr);
        self.expect(line, 150);
        data
    }

    /// Runs a download-like command (RETR, LIST, NLST, MLSD) in passive mode: 150, the
    /// bytes, 226.
    pub fn download(&mut self, line: &str) -> Vec<u8> {
        let data = self.open_data(line);
        let bytes = read_all(data);
        let r = self.reply();
        assert_eq!(r.code, 226, "{line}: {r:?}");
        bytes
    }

    /// STOR/APPE/STOU of `bytes` in passive mode: 150, the bytes, close, 226.
    pub fn upload(&mut self, line: &str, bytes: &[u8]) {
        let mut data = self.open_data(line);
        data.write_all(bytes).expect("data write");
        drop(data);
        let r = self.reply();
        assert_eq!(r.code, 226, "{line}: {r:?}");
    }

    /// Downloads with `line` in active mode: a listener of ours and `PORT`.
    pub fn download_active(&mut self, line: &str) -> Vec<u8> {
        let l = active_listener();
        self.expect(&format!("PORT {}", port_arg(l.local_addr().unwrap())), 200);
        self.send(line);
        let data = accept_within(&l, TIMEOUT);
        self.expect_reply(150);
        let bytes = read_all(data);
        self.expect_reply(226);
        bytes
    }

    /// `QUIT`, expecting 221.
    pub fn quit(mut self) {
        self.expect("QUIT", 221);
    }

    /// Whether the server closed the control connection (end of file, or an error,
    /// within the timeout), after every reply was read.
    pub fn is_closed(&mut self) -> bool {
        let mut buf = [0u8; 64];
        matches!(self.reader.read(&mut buf), Ok(0) | Err(_))
    }
}

/// A data connection to `addr`, with timeouts.
pub fn connect_data(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, TIMEOUT).expect("data connect");
    s.set_read_timeout(Some(TIMEOUT)).expect("set a timeout");
    s.set_write_timeout(Some(TIMEOUT)).expect("set a timeout");
    s
}

/// A connection to `to` from the local address `local` (say `127.0.0.2:0`, a loopback
/// alias), with timeouts.
pub fn connect_from(local: SocketAddr, to: SocketAddr) -> TcpStream {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::for_address(local), Type::STREAM, None).expect("socket");
    s.bind(&local.into()).expect("bind the local address");
    s.connect_timeout(&to.into(), TIMEOUT).expect("connect");
    let s: TcpStream = s.into();
    s.set_read_timeout(Some(TIMEOUT)).expect("set a timeout");
    s
}

/// Closes `s` with a reset (SO_LINGER 0), as a crashed peer's kernel does.
pub fn reset(s: TcpStream) {
    socket2::SockRef::from(&s)
        .set_linger(Some(Duration::ZERO))
        .expect("SO_LINGER");
    drop(s);
}

/// Everything until end of file; panics on a read error.
pub fn read_all(mut s: TcpStream) -> Vec<u8> {
    let mut v = Vec::new();
    s.read_to_end(&mut v).expect("data read");
    v
}

/// How many bytes arrive until end of file or an error (a connection the server
/// may reset).
pub fn read_all_lossy(mut s: TcpStream) -> usize {
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0;
    while let Ok(k) = s.read(&mut buf) {
        if k == 0 {
            break;
        }
        n += k;
    }
    n
}

/// The address in a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` text.
pub fn parse_227(text: &str) -> SocketAddr {
    let start = text.find('(').expect("( in 227") + 1;
    let end = text.find(')').expect(") in 227");
    let n: Vec<u16> = text[start..end]
        .split(',')
        .map(|x| x.trim().parse().expect("a number"))
        .collect();
    assert_eq!(n.len(), 6, "{text}");
    format!("{}.{}.{}.{}:{}", n[0], n[1], n[2], n[3], n[4] * 256 + n[5])
        .parse()
        .expect("an address")
}

/// The `PORT` argument for an IPv4 address.
pub fn port_arg(addr: SocketAddr) -> String {
    let SocketAddr::V4(a) = addr else {
        panic!("PORT takes IPv4 only")
    };
    let [a1, a2, a3, a4] = a.ip().octets();
    format!("{a1},{a2},{a3},{a4},{},{}", a.port() >> 8, a.port() & 0xff)
}

/// A local listener for active mode.
pub fn active_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").expect("bind")
}

/// Accepts with a deadline (a std listener has none: poll in non-blocking mode).
pub fn accept_within(l: &TcpListener, timeout: Duration) -> TcpStream {
    l.set_nonblocking(true).expect("non-blocking");
    let until = Instant::now() + timeout;
    loop {
        match l.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).expect("blocking");
                s.set_read_timeout(Some(TIMEOUT)).expect("set a timeout");
                s.set_write_timeout(Some(TIMEOUT)).expect("set a timeout");
                return s;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < until, "no data connection");
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// A free port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
