//! Rough figures for the async server, printed (not asserted): memory of 100 idle
//! logged-in sessions, and download/upload speed on loopback from a local file.
//!
//! `cargo run --release -p sansftp-async --example measure [MiB] [idle sessions]`

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use sansftp::server::{Config, User};
use sansftp_async::Server;
use sansftp_storage::LocalFs;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

struct Ctrl(BufReader<TcpStream>);

impl Ctrl {
    fn connect(addr: SocketAddr) -> Ctrl {
        let s = TcpStream::connect(addr).unwrap();
        // A small buffer, so the client side adds little to the RSS measured.
        let mut c = Ctrl(BufReader::with_capacity(256, s));
        c.reply();
        c
    }
    /// Reads one single-line reply (all this server's replies used here are).
    fn reply(&mut self) -> String {
        let mut line = String::new();
        self.0.read_line(&mut line).unwrap();
        line
    }
    fn cmd(&mut self, line: &str) -> String {
        self.0
            .get_mut()
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
        self.reply()
    }
    fn epsv(&mut self, addr: SocketAddr) -> TcpStream {
        let r = self.cmd("EPSV");
        let port: u16 = r
            .split("|||")
            .nth(1)
            .unwrap()
            .split('|')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        TcpStream::connect((addr.ip(), port)).unwrap()
    }
}

fn main() {
    let mib: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(512);
    let sessions: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().unwrap();
    let file: Vec<u8> = (0..mib << 20).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(dir.path().join("big"), &file).unwrap();
    let config = Config::new().user(User::new("u", "p").base_path(dir.path()));
    let server = smol::block_on(
        Server::builder(LocalFs::new())
            .config(config)
            .bind("127.0.0.1:0"),
    )
    .unwrap();
    let addr = server.local_addr();
    let stop = server.shutdown_handle();
    let task = smol::spawn(server.run());

    // Idle sessions.
    let before = rss_kib();
    let idle: Vec<Ctrl> = (0..sessions)
        .map(|_| {
            let mut c = Ctrl::connect(addr);
            c.cmd("USER u");
            assert!(c.cmd("PASS p").starts_with("230"));
            c
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let after = rss_kib();
    println!(
        "{sessions} idle logged-in sessions: RSS +{} KiB (process, client sockets included)",
        after.saturating_sub(before)
    );
    drop(idle);

    let mut c = Ctrl::connect(addr);
    c.cmd("USER u");
    c.cmd("PASS p");
    c.cmd("TYPE I");
    // Download.
    let mut data = c.epsv(addr);
    let start = Instant::now();
    assert!(c.cmd("RETR big").starts_with("150"));
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0usize;
    loop {
        let k = data.read(&mut buf).unwrap();
        if k == 0 {
            break;
        }
        n += k;
    }
    let secs = start.elapsed().as_secs_f64();
    assert!(c.reply().starts_with("226"));
    println!(
        "download {n} bytes: {:.0} MiB/s",
        n as f64 / secs / 1048576.0
    );
    // Upload.
    let mut data = c.epsv(addr);
    let start = Instant::now();
    assert!(c.cmd("STOR up").starts_with("150"));
    for chunk in file.chunks(1 << 20) {
        data.write_all(chunk).unwrap();
    }
    drop(data);
    assert!(c.reply().starts_with("226"));
    let secs = start.elapsed().as_secs_f64();
    println!(
        "upload {} bytes: {:.0} MiB/s",
        file.len(),
        file.len() as f64 / secs / 1048576.0
    );
    // Many small files, one after the other on one session.
    std::fs::write(dir.path().join("small"), [7u8; 1000]).unwrap();
    let start = Instant::now();
    let count = 1000;
    for _ in 0..count {
        let mut data = c.epsv(addr);
        assert!(c.cmd("RETR small").starts_with("150"));
        let mut body = Vec::new();
        data.read_to_end(&mut body).unwrap();
        assert!(c.reply().starts_with("226"));
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{count} small downloads: {:.0} files/s",
        f64::from(count) / secs
    );
    stop.shutdown(Duration::from_secs(5));
    smol::block_on(task).unwrap();
}
