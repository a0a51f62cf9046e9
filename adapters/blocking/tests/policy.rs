//! Server policy the core decides and this adapter obeys, on real loopback sockets:
//! the stall timeout (a data connection that moves nothing for that long gets `426`
//! and the session goes on), a slow but moving transfer left alone, and the listen
//! backlog. The same scenarios run against the async server in its `policy.rs`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use sansftp_blocking::{Config, LocalFs, MemoryFs, RunningServer, Server, Storage, User};

const STALL: Duration = Duration::from_secs(1);
/// Larger than the loopback socket buffers of both ends together, so a download that
/// nobody reads stalls.
const BIG: usize = 64 << 20;

struct Running {
    addr: SocketAddr,
    _server: RunningServer,
}

fn start(config: Config, fs: impl Storage, backlog: Option<u32>) -> Running {
    let mut builder = Server::builder(fs).config(config);
    if let Some(b) = backlog {
        builder = builder.backlog(b);
    }
    let server = builder.bind("127.0.0.1:0").expect("bind").spawn();
    Running {
        addr: server.local_addr(),
        _server: server,
    }
}

fn config() -> Config {
    Config::new()
        .user(User::new("alice", "secret"))
        .stall_timeout(Some(STALL))
}

/// A minimal control connection.
struct Control {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Control {
    fn login(addr: SocketAddr) -> Control {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut c = Control {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        };
        assert_eq!(c.reply().0, 220);
        c.expect("USER alice", 331);
        c.expect("PASS secret", 230);
        c.expect("TYPE I", 200);
        c
    }

    fn reply(&mut self) -> (u16, String) {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            assert!(self.reader.read_line(&mut line).unwrap() > 0, "closed");
            text.push_str(&line);
            let b = line.as_bytes();
            if b.len() >= 4 && b[3] == b' ' && b[..3].iter().all(u8::is_ascii_digit) {
                return (line[..3].parse().unwrap(), text);
            }
        }
    }

    fn expect(&mut self, cmd: &str, code: u16) -> String {
        self.writer
            .write_all(format!("{cmd}\r\n").as_bytes())
            .unwrap();
        let (got, text) = self.reply();
        assert_eq!(got, code, "{cmd}: {text}");
        text
    }

    /// `EPSV`, then a data connection to the port it names.
    fn data(&mut self, addr: SocketAddr) -> TcpStream {
        let text = self.expect("EPSV", 229);
        let port: u16 = text
            .split("|||")
            .nth(1)
            .and_then(|s| s.split('|').next())
            .and_then(|p| p.parse().ok())
            .expect("EPSV port");
        TcpStream::connect((addr.ip(), port)).unwrap()
    }
}

/// The download is connected and never read; the reply after `150` must be `426`
/// within the stall timeout plus 5 s, and the session must go on.
#[test]
fn a_stalled_download_gets_426_and_the_session_goes_on() {
    let srv = start(
        config(),
        MemoryFs::new().with_file("/big", vec![7u8; BIG]),
        None,
    );
    stalled_download(srv.addr);
}

/// The same from a file on disk (sent with sendfile(2) on Linux).
#[test]
fn a_stalled_download_from_disk_gets_426() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big"), vec![7u8; BIG]).unwrap();
    let config = Config::new()
        .user(User::new("alice", "secret").base_path(dir.path()))
        .stall_timeout(Some(STALL));
    let srv = start(config, LocalFs::new(), None);
    stalled_download(srv.addr);
}

fn stalled_download(addr: SocketAddr) {
    let mut c = Control::login(addr);
    let data = c.data(addr);
    c.expect("RETR /big", 150);
    let start = Instant::now();
    let (code, text) = c.reply();
    assert_eq!(code, 426, "{text}");
    assert!(start.elapsed() < STALL + Duration::from_secs(5));
    assert!(start.elapsed() >= STALL, "426 before the stall timeout");
    c.expect("NOOP", 200);
    drop(data);
}

/// The upload is connected and sends nothing: `426`, nothing stored, NOOP answers.
#[test]
fn a_stalled_upload_gets_426_and_the_session_goes_on() {
    let fs = MemoryFs::new();
    let srv = start(config(), fs.clone(), None);
    let mut c = Control::login(srv.addr);
    let mut data = c.data(srv.addr);
    c.expect("STOR /up", 150);
    data.write_all(b"a few bytes, then nothing").unwrap();
    let start = Instant::now();
    let (code, text) = c.reply();
    assert_eq!(code, 426, "{text}");
    assert!(start.elapsed() < STALL + Duration::from_secs(5));
    c.expect("NOOP", 200);
    assert!(fs.read("/up").is_none(), "a stalled upload was committed");
}

/// A transfer slower than the stall timeout but always moving is not a stall.
#[test]
fn a_slow_transfer_that_keeps_moving_is_not_a_stall() {
    let mut config = config();
    config.write_speed_limit_per_connection = Some(100_000);
    let body: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
    let srv = start(
        config,
        MemoryFs::new().with_file("/slow", body.clone()),
        None,
    );
    let mut c = Control::login(srv.addr);
    let mut data = c.data(srv.addr);
    let start = Instant::now();
    c.expect("RETR /slow", 150);
    let mut got = Vec::new();
    data.read_to_end(&mut got).unwrap();
    assert_eq!(c.reply().0, 226);
    assert!(start.elapsed() > 2 * STALL, "the speed limit did not apply");
    assert!(got == body, "{} bytes of {}", got.len(), body.len());
}

/// The control listener's backlog, as the kernel reports it (`ss` shows a listening
/// socket's backlog in its Send-Q column).
#[cfg(target_os = "linux")]
fn backlog_of(addr: SocketAddr) -> u32 {
    let out = std::process::Command::new("ss")
        .args(["-ltnH", &format!("sport = :{}", addr.port())])
        .output()
        .expect("ss (iproute2) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no listener: {text}"));
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// The listener queues at least 1,024 connections (std asks for 128, which a burst of
/// clients overflows), and the builder can choose more.
#[cfg(target_os = "linux")]
#[test]
fn the_listen_backlog_is_1024_and_configurable() {
    let srv = start(config(), MemoryFs::new(), None);
    assert_eq!(backlog_of(srv.addr), 1024);
    let srv = start(config(), MemoryFs::new(), Some(2048));
    // The kernel caps it at net.core.somaxconn (4096 by default).
    assert_eq!(backlog_of(srv.addr), 2048);
    let s = TcpStream::connect(srv.addr).unwrap();
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).unwrap();
    assert!(line.starts_with("220"), "{line:?}");
}
