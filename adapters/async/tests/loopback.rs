//! The async server on real loopback sockets, each scenario under smol and under
//! async-std, with the small blocking client from `common`.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use common::client::{Client, TIMEOUT, code};
use common::{Rt, TestServer, config, random_bytes};
use sansftp_storage::MemoryFs;

on_both_runtimes!(
    login,
    stor_then_retr_byte_exact,
    list_nlst_mlsd,
    rest_resume,
    abor_mid_download,
    abor_mid_upload_discards,
    killed_uploader_discards_in_either_fin_order,
    active_port,
    data_connection_from_other_host_refused,
    idle_timeout,
    max_connections,
    concurrent_sessions,
    graceful_shutdown_lets_transfer_finish,
    shutdown_deadline_closes_transfers,
    type_a_converts,
    local_files,
    data_wait_timeout,
    user_manager_and_user_limit,
    hung_user_manager_times_out,
    passive_range_exhausted,
    hostile_clients,
    stou_retries_on_the_same_connection,
    ipv6_epsv,
    speed_limits_apply,
);

fn login(rt: Rt) {
    let srv = TestServer::start(rt, config(), MemoryFs::new());
    let (mut c, g) = Client::connect(srv.addr);
    assert_eq!(code(&g), 220);
    c.expect("USER alice", 331);
    c.expect("PASS wrong", 530);
    c.expect("PASS secret", 230);
    assert!(c.expect("PWD", 257).text().contains("\"/\""));
    c.expect("QUIT", 221);
    assert!(c.is_closed());
}

fn stor_then_retr_byte_exact(rt: Rt) {
    let srv = TestServer::start(rt, config(), MemoryFs::new());
    let data = random_bytes(1 << 20, 1);
    let mut c = Client::login(srv.addr);
    c.expect("TYPE I", 200);
    c.upload("STOR /big.bin", &data);
    assert!(srv.fs.read("/big.bin").is_some_and(|b| b == data[..]));
    assert_eq!(c.download("RETR /big.bin"), data);
    c.expect("SIZE /big.bin", 213);
    // A missing file answers 550 before any data connection is used.
    c.pasv();
    c.expect("RETR /missing", 550);
}

fn list_nlst_mlsd(rt: Rt) {
    let fs = MemoryFs::new()
        .with_file("/dir/a.txt", "aaa")
        .with_dir("/dir/sub");
    let srv = TestServer::start(rt, config(), fs);
    let mut c = Client::login(srv.addr);
    let list = String::from_utf8(c.download("LIST /dir")).unwrap();
    assert!(list.contains("a.txt") && list.contains("sub"), "{list}");
    assert!(
        list.lines()
            .any(|l| l.starts_with('d') && l.ends_with("sub")),
        "{list}"
    );
    let nlst = String::from_utf8(c.download("NLST /dir")).unwrap();
    assert!(nlst.contains("a.txt\r\n"), "{nlst}");
    let mlsd = String::from_utf8(c.download("MLSD /dir")).unwrap();
    assert!(
        mlsd.contains("type=file;") && mlsd.contains("size=3;") && mlsd.contains(" a.txt\r\n"),
        "{mlsd}"
    );
    assert!(mlsd.contains("type=dir;"), "{mlsd}");
}

fn rest_resume(rt: Rt) {
    let data = random_bytes(100_000, 2);
    let srv = TestServer::start(rt, config(), MemoryFs::new());
    let mut c = Client::login(srv.addr);
    c.expect("TYPE I", 200);
    // A resumed upload: the first part, then REST + STOR of the rest.
    c.upload("STOR /f", &data[..30_000]);
    c.expect("REST 30000", 350);
    c.upload("STOR /f", &data[30_000..]);
    assert!(srv.fs.read("/f").is_some_and(|b| b == data[..]));
    // A resumed download.
    c.expect("REST 99000", 350);
    assert_eq!(c.download("RETR /f"), &data[99_000..]);
    c.upload("APPE /f", b"tail");
    assert_eq!(srv.fs.read("/f").unwrap().len(), 100_004);
}

/// A download slowed to 64 KiB/s so it is surely running when ABOR arrives.
fn abor_mid_download(rt: Rt) {
    let mut cfg = config();
    cfg.write_speed_limit_per_connection = Some(64 * 1024);
    let fs = MemoryFs::new()
        .with_file("/big", random_bytes(4 << 20, 3))
        .with_file("/small", "small");
    let srv = TestServer::start(rt, cfg, fs);
    let mut c = Client::login(srv.addr);
    let mut data = c.open_data("RETR /big");
    let mut first = [0u8; 1024];
    data.read_exact(&mut first).expect("some data flows");
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
    // The data connection is closed: reading ends instead of blocking.
    let mut rest = Vec::new();
    let _ = data.read_to_end(&mut rest);
    assert!(rest.len() < 4 << 20);
    // The session goes on.
    c.expect("NOOP", 200);
    assert_eq!(c.download("RETR /small"), b"small");
}

fn abor_mid_upload_discards(rt: Rt) {
    let srv = TestServer::start(rt, config(), MemoryFs::new().with_file("/keep", "old"));
    let mut c = Client::login(srv.addr);
    let mut data = c.open_data("STOR /keep");
    data.write_all(&random_bytes(100_000, 4)).unwrap();
    c.send("ABOR");
    assert_eq!(code(&c.reply()), 426);
    assert_eq!(code(&c.reply()), 226);
    drop(data);
    c.expect("NOOP", 200);
    // Nothing committed: the old content is intact.
    assert_eq!(srv.fs.read("/keep").unwrap(), "old");
}

/// A killed client's kernel closes both connections at once, in descriptor order:
/// either FIN may come first. The data end of file must not commit the upload.
fn killed_uploader_discards_in_either_fin_order(rt: Rt) {
    let srv = TestServer::start(rt, config(), MemoryFs::new().with_file("/keep", "old"));
    for data_first in [true, false, true, false] {
        let mut c = Client::login(srv.addr);
        let mut data = c.open_data("STOR /keep");
        data.write_all(&random_bytes(100_000, 4)).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        if data_first {
            drop(data);
            drop(c);
        } else {
            drop(c);
            drop(data);
        }
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            srv.fs.read("/keep").unwrap(),
            "old",
            "data connection closed first: {data_first}"
        );
    }
    // A client that stays gets its upload committed, then 226.
    let mut c = Client::login(srv.addr);
    c.upload("STOR /keep", b"new");
    assert_eq!(srv.fs.read("/keep").unwrap(), "new");
}

fn active_port(rt: Rt) {
    let data = random_bytes(300_000, 5);
    let srv = TestServer::start(rt, config(), MemoryFs::new().with_file("/f", data.clone()));
    let mut c = Client::login(srv.addr);
    assert_eq!(c.download_active("RETR /f"), data);
    // A bounce attempt is refused by the core.
    c.expect("PORT 10,0,0,1,200,10", 501);
}

fn data_connection_from_other_host_refused(rt: Rt) {
    let srv = TestServer::start(rt, config(), MemoryFs::new().with_file("/f", "secret data"));
    let mut c = Client::login(srv.addr);
    let addr = c.pasv();
    // A thief on 127.0.0.2 gets there first.
    let thief = connect_from("127.0.0.2:0".parse().unwrap(), addr);
    c.send("RETR /f");
    let mut thief = thief;
    let mut got = Vec::new();
    let _ = thief.read_to_end(&mut got);
    assert!(got.is_empty(), "the thief got {got:?}");
    // The real client still gets its file.
    let mut data = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap();
    data.set_read_timeout(Some(TIMEOUT)).unwrap();
    assert_eq!(code(&c.reply()), 150);
    let mut out = Vec::new();
    data.read_to_end(&mut out).unwrap();
    assert_eq!(out, b"secret data");
    assert_eq!(code(&c.reply()), 226);
}

fn connect_from(local: SocketAddr, to: SocketAddr) -> TcpStream {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    s.bind(&local.into())
        .expect("bind 127.0.0.2 (loopback alias)");
    s.connect_timeout(&to.into(), TIMEOUT).unwrap();
    let s: TcpStream = s.into();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s
}

fn idle_timeout(rt: Rt) {
    let cfg = config().idle_timeout(Some(Duration::from_millis(300)));
    let srv = TestServer::start(rt, cfg, MemoryFs::new());
    let mut c = Client::login(srv.addr);
    let started = Instant::now();
    let r = c.reply();
    assert_eq!(code(&r), 421, "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(c.is_closed());
}

fn max_connections(rt: Rt) {
    let cfg = config().max_connections(Some(2));
    let srv = TestServer::start(rt, cfg, MemoryFs::new());
    let a = Client::login(srv.addr);
    let b = Client::login(srv.addr);
    let (mut third, g) = Client::connect(srv.addr);
    assert_eq!(code(&g), 421, "{g:?}");
    assert!(third.is_closed());
    drop(a);
    // The slot frees up once the server notices the close.
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let (_c, g) = Client::connect(srv.addr);
        if code(&g) == 220 {
            break;
        }
        assert!(Instant::now() < deadline, "slot never freed");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(b);
}

fn concurrent_sessions(rt: Rt) {
    let srv = TestServer::start(rt, config(), MemoryFs::new());
    let addr = srv.addr;
    let threads: Vec<_> = (0..50u64)
        .map(|i| {
            std::thread::spawn(move || {
                let data = random_bytes(64 * 1024 + i as usize * 997, 100 + i);
                let mut c = Client::login(addr);
                c.expect("TYPE I", 200);
                c.upload(&format!("STOR /f{i}"), &data);
                assert_eq!(c.download(&format!("RETR /f{i}")), data, "session {i}");
                c.expect("QUIT", 221);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("session thread");
    }
    for i in 0..50u64 {
        let data = random_bytes(64 * 1024 + i as usize * 997, 100 + i);
        assert!(
            srv.fs
                .read(&format!("/f{i}"))
                .is_some_and(|b| b == data[..])
        );
    }
}

fn graceful_shutdown_lets_transfer_finish(rt: Rt) {
    let mut cfg = config();
    cfg.write_speed_limit_per_connection = Some(256 * 1024);
    let data = random_bytes(256 * 1024, 6);
    let srv = TestServer::start(rt, cfg, MemoryFs::new().with_file("/f", data.clone()));
    let addr = srv.addr;
    let mut idle = Client::login(addr);
    let mut busy = Client::login(addr);
    let mut conn = busy.open_data("RETR /f");
    let stop = srv.stop.clone();
    stop.shutdown(Duration::from_secs(10));
    // The idle session is told and closed.
    assert_eq!(code(&idle.reply()), 421);
    assert!(idle.is_closed());
    // The transfer completes.
    let mut out = Vec::new();
    conn.read_to_end(&mut out).unwrap();
    assert_eq!(out, data);
    assert_eq!(code(&busy.reply()), 226);
    // No new connections (the listener is closed once shutdown begins).
    let deadline = Instant::now() + TIMEOUT;
    while TcpStream::connect_timeout(&addr, TIMEOUT).is_ok() {
        assert!(Instant::now() < deadline, "still accepting");
        std::thread::sleep(Duration::from_millis(20));
    }
    srv.shutdown(Duration::from_secs(10))
        .expect("run returns Ok");
}

fn shutdown_deadline_closes_transfers(rt: Rt) {
    let mut cfg = config();
    cfg.write_speed_limit_per_connection = Some(16 * 1024);
    let srv = TestServer::start(
        rt,
        cfg,
        MemoryFs::new().with_file("/f", random_bytes(1 << 20, 7)),
    );
    let mut busy = Client::login(srv.addr);
    let mut conn = busy.open_data("RETR /f");
    let started = Instant::now();
    srv.shutdown(Duration::from_millis(300))
        .expect("run returns Ok");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let mut out = Vec::new();
    let _ = conn.read_to_end(&mut out);
    assert!(out.len() < 1 << 20);
}

fn type_a_converts(rt: Rt) {
    let srv = TestServer::start(rt, config(), MemoryFs::new().with_file("/t.txt", "a\nb\n"));
    let mut c = Client::login(srv.addr);
    c.expect("TYPE A", 200);
    assert_eq!(c.download("RETR /t.txt"), b"a\r\nb\r\n");
    c.upload("STOR /u.txt", b"x\r\ny\r\n");
    assert_eq!(srv.fs.read("/u.txt").unwrap(), "x\ny\n");
}

/// The same byte-exactness through `LocalFs`: real files, read and written on the
/// thread pool.
fn local_files(rt: Rt) {
    use sansftp::server::{Config, User};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep"), "old").unwrap();
    let cfg = Config::new().user(User::new("alice", "secret").base_path(dir.path()));
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
    let data = random_bytes(3 << 20, 11);
    let mut c = Client::login(addr);
    c.expect("TYPE I", 200);
    c.upload("STOR big.bin", &data);
    assert_eq!(std::fs::read(dir.path().join("big.bin")).unwrap(), data);
    assert_eq!(c.download("RETR big.bin"), data);
    c.expect("REST 3000000", 350);
    assert_eq!(c.download("RETR big.bin"), &data[3_000_000..]);
    // TYPE A on a file read and written in blocks.
    let text: Vec<u8> = b"line\n".repeat(200_000);
    std::fs::write(dir.path().join("t.txt"), &text).unwrap();
    c.expect("TYPE A", 200);
    assert_eq!(c.download("RETR t.txt"), b"line\r\n".repeat(200_000));
    c.upload("STOR u.txt", &b"x\r\n".repeat(300_000));
    assert_eq!(
        std::fs::read(dir.path().join("u.txt")).unwrap(),
        b"x\n".repeat(300_000)
    );
    // An aborted upload leaves the old file alone.
    let mut conn = c.open_data("STOR keep");
    conn.write_all(&data[..200_000]).unwrap();
    c.send("ABOR");
    assert_eq!(code(&c.reply()), 426);
    assert_eq!(code(&c.reply()), 226);
    drop(conn);
    c.expect("NOOP", 200);
    assert_eq!(std::fs::read(dir.path().join("keep")).unwrap(), b"old");
    stop.shutdown(Duration::from_secs(5));
    rt.join(join).unwrap();
}

fn data_wait_timeout(rt: Rt) {
    let cfg = config().data_wait_timeout(Duration::from_millis(300));
    let srv = TestServer::start(rt, cfg, MemoryFs::new().with_file("/f", "x"));
    let mut c = Client::login(srv.addr);
    c.pasv();
    // Never connect: the wait ends with 425 and the session goes on.
    let r = c.cmd("RETR /f");
    assert_eq!(code(&r), 425, "{r:?}");
    assert_eq!(c.download("RETR /f"), b"x");
}

/// An async user manager (it sleeps before answering) and a per-user session limit.
fn user_manager_and_user_limit(rt: Rt) {
    use sansftp::server::{AuthRequest, AuthResult, Config, User};
    use sansftp_async::{BoxFuture, UserManager};
    use std::sync::Arc;

    struct Slow(Arc<User>);
    impl UserManager for Slow {
        fn authenticate<'a>(&'a self, request: &'a AuthRequest) -> BoxFuture<'a, AuthResult> {
            Box::pin(async move {
                async_io::Timer::after(Duration::from_millis(20)).await;
                match request {
                    AuthRequest::User { .. } => AuthResult::NeedPassword,
                    AuthRequest::Password { password, .. } if password == b"secret" => {
                        AuthResult::LoggedIn(Arc::clone(&self.0))
                    }
                    _ => AuthResult::Denied("no".into()),
                }
            })
        }
    }
    let user = Arc::new(User::new("alice", "unused").max_connections(Some(1)));
    let server = rt
        .block_on(
            sansftp_async::Server::builder(MemoryFs::new())
                .config(Config::new())
                .user_manager(Slow(user))
                .bind("127.0.0.1:0"),
        )
        .unwrap();
    let addr = server.local_addr();
    let stop = server.shutdown_handle();
    let join = rt.spawn_run(server);
    let mut first = Client::login(addr);
    let (mut second, _) = Client::connect(addr);
    second.expect("USER alice", 331);
    second.expect("PASS secret", 530);
    first.expect("QUIT", 221);
    assert!(first.is_closed());
    // The slot is free once the first session logged out.
    second.expect("PASS secret", 230);
    stop.shutdown(Duration::from_secs(5));
    rt.join(join).unwrap();
}

/// A user manager that never answers `slow`: the session gives up at the request
/// timeout (421, closed) while other sessions are served.
fn hung_user_manager_times_out(rt: Rt) {
    use sansftp::server::{AuthRequest, AuthResult, Config, User};
    use sansftp_async::{BoxFuture, UserManager};
    use std::sync::Arc;

    struct Hangs(Arc<User>);
    impl UserManager for Hangs {
        fn authenticate<'a>(&'a self, request: &'a AuthRequest) -> BoxFuture<'a, AuthResult> {
            match request {
                AuthRequest::User { login } if login == b"slow" => {
                    Box::pin(futures_lite::future::pending())
                }
                AuthRequest::User { .. } => Box::pin(async { AuthResult::NeedPassword }),
                AuthRequest::Password { .. } => {
                    let user = Arc::clone(&self.0);
                    Box::pin(async move { AuthResult::LoggedIn(user) })
                }
                _ => Box::pin(async { AuthResult::Denied("no".into()) }),
            }
        }
    }
    let config = Config::new().request_timeout(Some(Duration::from_millis(300)));
    let server = rt
        .block_on(
            sansftp_async::Server::builder(MemoryFs::new())
                .config(config)
                .user_manager(Hangs(Arc::new(User::new("bob", "unused"))))
                .bind("127.0.0.1:0"),
        )
        .unwrap();
    let addr = server.local_addr();
    let stop = server.shutdown_handle();
    let join = rt.spawn_run(server);
    let (mut hung, _) = Client::connect(addr);
    let started = Instant::now();
    hung.expect("USER slow", 421);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(hung.is_closed());
    let (mut other, _) = Client::connect(addr);
    other.expect("USER bob", 331);
    other.expect("PASS x", 230);
    stop.shutdown(Duration::from_secs(5));
    assert_eq!(code(&other.reply()), 421);
    rt.join(join).unwrap();
}

/// A one-port passive range: the second session's PASV finds it taken (425), and
/// gets it once the first transfer has released it.
fn passive_range_exhausted(rt: Rt) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = config().passive_ports(port..=port);
    let srv = TestServer::start(rt, cfg, MemoryFs::new().with_file("/f", "abc"));
    let mut a = Client::login(srv.addr);
    let mut b = Client::login(srv.addr);
    assert_eq!(a.pasv().port(), port);
    b.expect("PASV", 425);
    let mut data =
        TcpStream::connect_timeout(&SocketAddr::from(([127, 0, 0, 1], port)), TIMEOUT).unwrap();
    a.expect("RETR /f", 150);
    let mut body = Vec::new();
    data.read_to_end(&mut body).unwrap();
    assert_eq!(code(&a.reply()), 226);
    assert_eq!(b.download("RETR /f"), b"abc");
}

/// Garbage, an overlong line and clients vanishing mid-transfer leave the server
/// serving.
fn hostile_clients(rt: Rt) {
    let srv = TestServer::start(
        rt,
        config(),
        MemoryFs::new().with_file("/big", random_bytes(8 << 20, 12)),
    );
    // A line of binary garbage (NULs, Telnet IACs, invalid UTF-8) gets one reply.
    let (mut c, _) = Client::connect(srv.addr);
    let mut junk: Vec<u8> = random_bytes(1000, 13)
        .into_iter()
        .map(|b| if b == b'\r' || b == b'\n' { b'x' } else { b })
        .collect();
    junk.extend_from_slice(b"\r\n");
    c.send_raw(&junk);
    let r = c.reply();
    assert!(r.code().value() >= 500, "{r:?}");
    // A 10 KB line: 500, and the session goes on.
    let r = c.cmd(&"A".repeat(10_000));
    assert_eq!(code(&r), 500, "{r:?}");
    c.expect("USER alice", 331);
    c.expect("PASS secret", 230);
    // Vanish during a download and during an upload.
    let data = c.open_data("RETR /big");
    drop(data);
    drop(c);
    let mut c = Client::login(srv.addr);
    let mut up = c.open_data("STOR /partial");
    up.write_all(&[1u8; 100_000]).unwrap();
    // A crash, not a finished upload: reset rather than close the data connection.
    socket2::SockRef::from(&up)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(up);
    drop(c);
    // Still serving, and the vanished upload was not committed.
    let mut c = Client::login(srv.addr);
    assert_eq!(c.download("RETR /big").len(), 8 << 20);
    assert!(srv.fs.read("/partial").is_none());
}

/// STOU whose first name is taken: the session retries with the next name on the same
/// passive connection.
fn stou_retries_on_the_same_connection(rt: Rt) {
    let srv = TestServer::start(rt, config(), MemoryFs::new().with_file("/file.1", "taken"));
    let mut c = Client::login(srv.addr);
    c.upload("STOU", b"fresh");
    assert_eq!(srv.fs.read("/file.1").unwrap(), "taken");
    assert_eq!(srv.fs.read("/file.2").unwrap(), "fresh");
}

/// IPv6: EPSV works, PASV is refused by the core, listings flow.
fn ipv6_epsv(rt: Rt) {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        println!("skipping: no IPv6 loopback");
        return;
    }
    let server = rt
        .block_on(
            sansftp_async::Server::builder(MemoryFs::new().with_file("/f", "six"))
                .config(config())
                .bind("[::1]:0"),
        )
        .unwrap();
    let addr = server.local_addr();
    let stop = server.shutdown_handle();
    let join = rt.spawn_run(server);
    let mut c = Client::login(addr);
    c.expect("PASV", 501);
    let r = c.expect("EPSV", 229);
    let text = r.text().into_owned();
    let port: u16 = text
        .split("|||")
        .nth(1)
        .unwrap()
        .split('|')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut data = TcpStream::connect_timeout(&SocketAddr::new(addr.ip(), port), TIMEOUT).unwrap();
    data.set_read_timeout(Some(TIMEOUT)).unwrap();
    c.expect("RETR /f", 150);
    let mut body = Vec::new();
    data.read_to_end(&mut body).unwrap();
    assert_eq!(body, b"six");
    assert_eq!(code(&c.reply()), 226);
    stop.shutdown(Duration::from_secs(5));
    rt.join(join).unwrap();
}

/// Speed limits hold: 100 kB at 100 kB/s takes about a second each way (the buckets
/// start empty). Loose bounds: this checks the throttle is applied, not timing.
fn speed_limits_apply(rt: Rt) {
    let mut cfg = config();
    cfg.write_speed_limit_per_connection = Some(100_000);
    cfg.read_speed_limit = Some(100_000);
    let data = random_bytes(100_000, 14);
    let srv = TestServer::start(rt, cfg, MemoryFs::new().with_file("/f", data.clone()));
    let mut c = Client::login(srv.addr);
    let start = Instant::now();
    assert_eq!(c.download("RETR /f"), data);
    let down = start.elapsed();
    let start = Instant::now();
    c.upload("STOR /g", &data);
    let up = start.elapsed();
    for (what, t) in [("download", down), ("upload", up)] {
        assert!(
            t >= Duration::from_millis(700) && t < Duration::from_secs(8),
            "{what} took {t:?}"
        );
    }
    assert!(srv.fs.read("/g").is_some_and(|b| b == data[..]));
}
