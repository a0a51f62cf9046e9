//! Server scenarios for policy the core decides and every adapter obeys: the stall
//! timeout (a data connection that moves nothing for that long gets `426` and the
//! session goes on), a slow but moving transfer left alone, and the listen backlog.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sansftp::server::{Config, User};
use sansftp_storage::{LocalFs, MemoryFs};

use super::{ServerHarness, Spec, start};
use crate::ftp::*;

/// The stall timeout of these scenarios.
const STALL: Duration = Duration::from_secs(1);
/// Larger than the loopback socket buffers of both ends together, so a download that
/// nobody reads stalls.
const BIG: usize = 64 << 20;

/// `alice`/`secret` with full rights and a [`STALL`] stall timeout.
fn stall_config() -> Config {
    Config::new()
        .user(User::new("alice", "secret"))
        .stall_timeout(Some(STALL))
}

/// A download from memory, connected and never read: the reply after `150` is `426`
/// within the stall timeout plus 5 s, and the session goes on.
pub fn stalled_download_gets_426_and_the_session_goes_on<H: ServerHarness>(h: &H) {
    let srv = start(
        h,
        MemoryFs::new().with_file("/big", vec![7u8; BIG]),
        stall_config(),
    );
    stalled_download(srv.addr());
}

/// The same from a file on disk (sent with sendfile(2) on Linux).
pub fn stalled_download_from_disk_gets_426<H: ServerHarness>(h: &H) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("big"), vec![7u8; BIG]).expect("write the file");
    let config = Config::new()
        .user(User::new("alice", "secret").base_path(dir.path()))
        .stall_timeout(Some(STALL));
    let srv = start(h, LocalFs::new(), config);
    stalled_download(srv.addr());
}

fn stalled_download(addr: SocketAddr) {
    let mut ftp = Ftp::login(addr);
    ftp.expect("TYPE I", 200);
    let data = connect_data(ftp.epsv());
    ftp.expect("RETR /big", 150);
    let start = Instant::now();
    ftp.expect_reply(426);
    assert!(start.elapsed() < STALL + Duration::from_secs(5));
    assert!(start.elapsed() >= STALL, "426 before the stall timeout");
    ftp.expect("NOOP", 200);
    drop(data);
}

/// An upload, connected, that sends a few bytes and then nothing: `426`, nothing
/// stored, `NOOP` answers.
pub fn stalled_upload_gets_426_and_the_session_goes_on<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new();
    let srv = start(h, fs.clone(), stall_config());
    let mut ftp = Ftp::login(srv.addr());
    ftp.expect("TYPE I", 200);
    let mut data = connect_data(ftp.epsv());
    ftp.expect("STOR /up", 150);
    data.write_all(b"a few bytes, then nothing")
        .expect("data write");
    let start = Instant::now();
    ftp.expect_reply(426);
    assert!(start.elapsed() < STALL + Duration::from_secs(5));
    ftp.expect("NOOP", 200);
    assert!(fs.read("/up").is_none(), "a stalled upload was committed");
    drop(data);
}

/// A transfer slower than the stall timeout but always moving is not a stall.
pub fn slow_transfer_that_keeps_moving_is_not_a_stall<H: ServerHarness>(h: &H) {
    let mut config = stall_config();
    config.write_speed_limit_per_connection = Some(100_000);
    let body: Vec<u8> = (0..300_000u32).map(|i| i as u8).collect();
    let srv = start(h, MemoryFs::new().with_file("/slow", body.clone()), config);
    let mut ftp = Ftp::login(srv.addr());
    ftp.expect("TYPE I", 200);
    let mut data = connect_data(ftp.epsv());
    let start = Instant::now();
    ftp.expect("RETR /slow", 150);
    let mut got = Vec::new();
    data.read_to_end(&mut got).expect("data read");
    ftp.expect_reply(226);
    assert!(start.elapsed() > 2 * STALL, "the speed limit did not apply");
    assert!(got == body, "{} bytes of {}", got.len(), body.len());
}

/// The control listener queues 1,024 connections by default (std asks for 128, which a
/// burst of clients overflows), and [`Spec::backlog`] chooses another number; read
/// back from the kernel with `ss`. Linux only (elsewhere the scenario checks nothing).
pub fn listen_backlog_is_1024_and_configurable<H: ServerHarness>(h: &H) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let srv = start(h, MemoryFs::new(), stall_config());
    assert_eq!(backlog_of(srv.addr()), 1024);
    let srv = h
        .start(Spec::new(MemoryFs::new(), stall_config()).backlog(2048))
        .expect("start a server on loopback");
    // The kernel caps it at net.core.somaxconn (4096 by default).
    assert_eq!(backlog_of(srv.addr()), 2048);
    let mut ftp = Ftp::login(srv.addr());
    ftp.expect("NOOP", 200);
    ftp.quit();
}

/// The backlog of the listener on `addr`'s port, as the kernel reports it (`ss` shows a
/// listening socket's backlog in its Send-Q column).
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
    line.split_whitespace()
        .nth(2)
        .and_then(|q| q.parse().ok())
        .unwrap_or_else(|| panic!("no Send-Q in {line:?}"))
}
