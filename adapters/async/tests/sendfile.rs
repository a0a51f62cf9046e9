//! Binary downloads of files on disk (`LocalFs`), which go out with sendfile(2) on
//! Linux and through buffers elsewhere: byte-exact from a REST offset, within speed
//! limits, and stopped promptly by ABOR. Each scenario under smol and async-std.

mod common;

use std::io::Read;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::client::{Client, code};
use common::{Join, Rt, random_bytes};
use sansftp::server::{Config, User};
use sansftp_async::ShutdownHandle;

on_both_runtimes!(
    rest_offsets_byte_exact,
    throttled_download,
    abor_mid_download,
    concurrent_downloads,
);

/// A `LocalFs` server on a temporary folder holding `files`.
struct LocalServer {
    dir: tempfile::TempDir,
    addr: SocketAddr,
    stop: ShutdownHandle,
    join: Join,
    rt: Rt,
}

impl LocalServer {
    fn start(rt: Rt, files: &[(&str, &[u8])], tune: impl FnOnce(&mut Config)) -> LocalServer {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let mut cfg = Config::new()
            .user(User::new("alice", "secret").base_path(dir.path()))
            .data_wait_timeout(Duration::from_secs(5));
        tune(&mut cfg);
        let server = rt
            .block_on(
                sansftp_async::Server::builder(sansftp_storage::LocalFs::new())
                    .config(cfg)
                    .bind("127.0.0.1:0"),
            )
            .unwrap();
        let addr = server.local_addr();
        let stop = server.shutdown_handle();
        let join = rt.spawn_run(server);
        LocalServer {
            dir,
            addr,
            stop,
            join,
            rt,
        }
    }

    fn login(&self) -> Client {
        let mut c = Client::login(self.addr);
        c.expect("TYPE I", 200);
        c
    }

    fn stop(self) {
        self.stop.shutdown(Duration::from_secs(5));
        self.rt.join(self.join).unwrap();
        drop(self.dir);
    }
}

/// A few MiB from several offsets: none, odd, in the last page, at and past the end.
fn rest_offsets_byte_exact(rt: Rt) {
    let data = random_bytes((5 << 20) + 12_345, 21);
    let srv = LocalServer::start(rt, &[("big.bin", &data)], |_| {});
    let mut c = srv.login();
    assert_eq!(c.download("RETR big.bin"), data);
    for offset in [1, 4095, 4096, 3_333_333, data.len() - 1, data.len()] {
        c.expect(&format!("REST {offset}"), 350);
        assert_eq!(c.download("RETR big.bin"), &data[offset..], "REST {offset}");
    }
    // An empty file: EOF at once, still a clean 226.
    std::fs::write(srv.dir.path().join("empty"), b"").unwrap();
    assert_eq!(c.download("RETR empty"), b"");
    srv.stop();
}

/// 200 kB from a REST offset at 200 kB/s takes about a second (the buckets start
/// empty) and arrives intact. Loose bounds: this checks the throttle is applied.
fn throttled_download(rt: Rt) {
    let data = random_bytes(300_000, 22);
    let srv = LocalServer::start(rt, &[("f", &data)], |cfg| {
        cfg.write_speed_limit_per_connection = Some(200_000);
    });
    let mut c = srv.login();
    c.expect("REST 100000", 350);
    let start = Instant::now();
    assert_eq!(c.download("RETR f"), &data[100_000..]);
    let t = start.elapsed();
    assert!(
        t >= Duration::from_millis(700) && t < Duration::from_secs(8),
        "took {t:?}"
    );
    srv.stop();
}

/// An unthrottled download to a client that stops reading (the socket buffers fill,
/// sendfile says EAGAIN): ABOR still answers at once, and the session goes on.
fn abor_mid_download(rt: Rt) {
    let big = random_bytes(64 << 20, 23);
    let srv = LocalServer::start(rt, &[("big", &big), ("small", b"small")], |_| {});
    let mut c = srv.login();
    let mut data = c.open_data("RETR big");
    let mut first = [0u8; 1024];
    data.read_exact(&mut first).expect("some data flows");
    assert_eq!(first[..], big[..1024]);
    let started = Instant::now();
    c.send("ABOR");
    let r = c.reply();
    assert_eq!(code(&r), 426, "{r:?}");
    let r = c.reply();
    assert_eq!(code(&r), 226, "{r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "ABOR took {:?}",
        started.elapsed()
    );
    let mut rest = Vec::new();
    let _ = data.read_to_end(&mut rest);
    assert!(rest.len() < big.len());
    c.expect("NOOP", 200);
    assert_eq!(c.download("RETR small"), b"small");
    srv.stop();
}

/// Two sessions downloading at once on the one executor, plus a third answering
/// commands meanwhile: a fast transfer does not starve the others.
fn concurrent_downloads(rt: Rt) {
    let data = random_bytes(16 << 20, 24);
    let srv = LocalServer::start(rt, &[("f", &data)], |_| {});
    let addr = srv.addr;
    let workers: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(move || {
                let mut c = Client::login(addr);
                c.expect("TYPE I", 200);
                (0..3).map(|_| c.download("RETR f")).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut idle = srv.login();
    for _ in 0..20 {
        idle.expect("NOOP", 200);
    }
    for w in workers {
        for got in w.join().unwrap() {
            assert!(got == data, "a download differs");
        }
    }
    srv.stop();
}
