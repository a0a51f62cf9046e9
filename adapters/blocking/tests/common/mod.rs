//! A small raw-socket FTP client and helpers for the loopback tests. Written by hand,
//! independent of the core, so the assertions check the bytes a real client sees.
//! Every socket has a timeout: a hang fails the test instead of blocking CI.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use sansftp::server::{Config, User};
use sansftp_blocking::{RunningServer, Server};
use sansftp_storage::Storage;

pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Starts a server on 127.0.0.1:0 with `alice`/`secret`, or the users in `config`.
pub fn start(storage: impl Storage, config: Config) -> RunningServer {
    let config = if config.users.is_empty() {
        config.user(User::new("alice", "secret"))
    } else {
        config
    };
    Server::builder(storage)
        .config(config)
        .bind("127.0.0.1:0")
        .expect("bind on loopback")
        .spawn()
}

/// A reply: code and full text (all lines).
#[derive(Debug, Clone)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

/// The control connection of a test client.
pub struct Ftp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    pub greeting: Reply,
}

impl Ftp {
    pub fn connect(addr: SocketAddr) -> Ftp {
        let s = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
        s.set_read_timeout(Some(TIMEOUT)).unwrap();
        s.set_write_timeout(Some(TIMEOUT)).unwrap();
        let writer = s.try_clone().unwrap();
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

    /// Connects and logs in as alice.
    pub fn login(addr: SocketAddr) -> Ftp {
        let mut ftp = Ftp::connect(addr);
        assert_eq!(ftp.greeting.code, 220, "{:?}", ftp.greeting);
        ftp.expect("USER alice", 331);
        ftp.expect("PASS secret", 230);
        ftp
    }

    /// Reads one reply (multi-line aware). Panics on EOF or timeout.
    pub fn reply(&mut self) -> Reply {
        self.try_reply().expect("a reply")
    }

    /// Reads one reply; `None` on end of file.
    pub fn try_reply(&mut self) -> Option<Reply> {
        let mut first = String::new();
        if self.reader.read_line(&mut first).ok()? == 0 {
            return None;
        }
        let code: u16 = first.get(..3)?.parse().ok()?;
        let mut text = first.clone();
        if first.as_bytes().get(3) == Some(&b'-') {
            let end = format!("{code} ");
            loop {
                let mut line = String::new();
                if self.reader.read_line(&mut line).ok()? == 0 {
                    return None;
                }
                text.push_str(&line);
                if line.starts_with(&end) {
                    break;
                }
            }
        }
        Some(Reply { code, text })
    }

    /// Another handle on the control socket, for raw writes that may fail.
    pub fn writer(&self) -> TcpStream {
        self.writer.try_clone().expect("clone")
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("control write");
    }

    pub fn cmd(&mut self, line: &str) -> Reply {
        self.send_raw(format!("{line}\r\n").as_bytes());
        self.reply()
    }

    /// Sends a command and checks the reply code.
    pub fn expect(&mut self, line: &str, code: u16) -> Reply {
        let r = self.cmd(line);
        assert_eq!(r.code, code, "{line}: {r:?}");
        r
    }

    /// PASV, then the data address from the 227.
    pub fn pasv(&mut self) -> SocketAddr {
        let r = self.expect("PASV", 227);
        parse_227(&r.text)
    }

    /// Runs a download-like command (RETR, LIST, ...) in passive mode.
    pub fn download(&mut self, line: &str) -> Vec<u8> {
        let addr = self.pasv();
        let data = connect_data(addr);
        self.expect(line, 150);
        let bytes = read_all(data);
        self.expect_reply(226);
        bytes
    }

    /// STOR/APPE/STOU of `bytes` in passive mode.
    pub fn upload(&mut self, line: &str, bytes: &[u8]) {
        let addr = self.pasv();
        let mut data = connect_data(addr);
        self.expect(line, 150);
        data.write_all(bytes).expect("data write");
        drop(data);
        self.expect_reply(226);
    }

    pub fn expect_reply(&mut self, code: u16) -> Reply {
        let r = self.reply();
        assert_eq!(r.code, code, "{r:?}");
        r
    }

    pub fn quit(mut self) {
        self.expect("QUIT", 221);
    }

    /// Whether the server closed the control connection (EOF within the timeout).
    pub fn is_closed(&mut self) -> bool {
        let mut buf = [0u8; 64];
        matches!(self.reader.read(&mut buf), Ok(0) | Err(_))
    }
}

pub fn connect_data(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, TIMEOUT).expect("data connect");
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s.set_write_timeout(Some(TIMEOUT)).unwrap();
    s
}

pub fn read_all(mut s: TcpStream) -> Vec<u8> {
    let mut v = Vec::new();
    s.read_to_end(&mut v).expect("data read");
    v
}

/// The address in a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` text.
pub fn parse_227(text: &str) -> SocketAddr {
    let start = text.find('(').expect("( in 227") + 1;
    let end = text.find(')').expect(") in 227");
    let n: Vec<u16> = text[start..end]
        .split(',')
        .map(|x| x.trim().parse().expect("number"))
        .collect();
    assert_eq!(n.len(), 6, "{text}");
    format!("{}.{}.{}.{}:{}", n[0], n[1], n[2], n[3], n[4] * 256 + n[5])
        .parse()
        .unwrap()
}

/// `PORT` argument for a local listener.
pub fn port_arg(addr: SocketAddr) -> String {
    let SocketAddr::V4(a) = addr else {
        panic!("IPv4 only")
    };
    let [a1, a2, a3, a4] = a.ip().octets();
    format!("{a1},{a2},{a3},{a4},{},{}", a.port() >> 8, a.port() & 0xff)
}

/// A local listener for active mode.
pub fn active_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").expect("bind")
}

/// Accepts with a deadline (the std listener has none: poll in non-blocking mode).
pub fn accept_within(l: &TcpListener, timeout: Duration) -> TcpStream {
    l.set_nonblocking(true).unwrap();
    let until = Instant::now() + timeout;
    loop {
        match l.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(TIMEOUT)).unwrap();
                s.set_write_timeout(Some(TIMEOUT)).unwrap();
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

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Whether an external tool is there. Missing: fail under CI=true, else print a
/// visible notice and let the caller skip.
pub fn have_tool(name: &str) -> bool {
    let found = Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{name} is required under CI=true but not installed");
        }
        eprintln!("skipping: {name} not installed");
    }
    found
}

/// Runs a command with a deadline; kills it and panics when it takes longer.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let until = Instant::now() + timeout;
    loop {
        match child.try_wait().expect("wait") {
            Some(_) => return child.wait_with_output().expect("output"),
            None if Instant::now() >= until => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("output");
                panic!(
                    "{cmd:?} timed out\nstdout: {}\nstderr: {}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}
