//! Server scenarios: timeouts, limits, load, hostile clients, shutdown, user managers.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sansftp::server::{AuthRequest, AuthResult, Config, User};
use sansftp_storage::MemoryFs;

use super::{Answer, ScriptedUsers, ServerHarness, Spec, config, start};
use crate::ftp::*;
use crate::random_bytes;

/// No data connection within the wait timeout: 425 (within 5 s), and the session and
/// passive mode go on.
pub fn data_wait_timeout<H: ServerHarness>(h: &H) {
    let cfg = config().data_wait_timeout(Duration::from_millis(500));
    let srv = start(h, MemoryFs::new().with_file("/f", "x"), cfg);
    let mut ftp = Ftp::login(srv.addr());
    ftp.pasv();
    let started = Instant::now();
    ftp.expect("RETR /f", 425);
    assert!(started.elapsed() < Duration::from_secs(5));
    ftp.expect("NOOP", 200);
    assert_eq!(ftp.download("RETR /f"), b"x");
    ftp.quit();
}

/// An idle session is told 421 and closed.
pub fn idle_timeout<H: ServerHarness>(h: &H) {
    let cfg = config().idle_timeout(Some(Duration::from_millis(300)));
    let srv = start(h, MemoryFs::new(), cfg);
    let mut ftp = Ftp::login(srv.addr());
    let started = Instant::now();
    ftp.expect_reply(421);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(ftp.is_closed());
}

/// `max_connections(2)`: the third gets 421 and is closed; the slot frees up once a
/// session ends.
pub fn max_connections<H: ServerHarness>(h: &H) {
    let srv = start(h, MemoryFs::new(), config().max_connections(Some(2)));
    let a = Ftp::login(srv.addr());
    let _b = Ftp::login(srv.addr());
    let mut third = Ftp::connect(srv.addr());
    assert_eq!(third.greeting.code, 421, "{:?}", third.greeting);
    assert!(third.is_closed());
    a.quit();
    let until = Instant::now() + TIMEOUT;
    loop {
        if Ftp::connect(srv.addr()).greeting.code == 220 {
            break;
        }
        assert!(Instant::now() < until, "slot never freed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// 200 sessions one after another, each STOR + RETR.
pub fn sequential_sessions<H: ServerHarness>(h: &H) {
    let srv = start(h, MemoryFs::new(), config());
    for i in 0..200u64 {
        let data = random_bytes(4096 + i as usize, i);
        let mut ftp = Ftp::login(srv.addr());
        ftp.upload(&format!("STOR s{i}.bin"), &data);
        assert!(
            ftp.download(&format!("RETR s{i}.bin")) == data,
            "session {i}"
        );
        ftp.quit();
    }
}

/// 50 sessions at once, each one STOR and three RETRs, byte-exact.
pub fn concurrent_sessions<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new();
    let srv = start(h, fs.clone(), config());
    let addr = srv.addr();
    let sample = |i: u64| random_bytes(64 * 1024 + i as usize * 997, 100 + i);
    let threads: Vec<_> = (0..50u64)
        .map(|i| {
            std::thread::spawn(move || {
                let data = sample(i);
                let mut ftp = Ftp::login(addr);
                ftp.expect("TYPE I", 200);
                ftp.upload(&format!("STOR /f{i}"), &data);
                for _ in 0..3 {
                    assert!(ftp.download(&format!("RETR /f{i}")) == data, "session {i}");
                }
                ftp.quit();
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a session failed");
    }
    for i in 0..50u64 {
        assert!(
            fs.read(&format!("/f{i}"))
                .is_some_and(|b| b == sample(i)[..])
        );
    }
}

/// A one-port passive range: the second session's PASV finds it taken (425, the
/// session goes on), and gets it once the first transfer has released it.
pub fn passive_range_exhausted<H: ServerHarness>(h: &H) {
    let port = free_port();
    let cfg = config().passive_ports(port..=port);
    let srv = start(h, MemoryFs::new().with_file("/f", "abc"), cfg);
    let mut a = Ftp::login(srv.addr());
    let mut b = Ftp::login(srv.addr());
    assert_eq!(a.pasv().port(), port);
    b.expect("PASV", 425);
    b.expect("NOOP", 200);
    let data = connect_data(SocketAddr::from(([127, 0, 0, 1], port)));
    a.expect("RETR /f", 150);
    assert_eq!(read_all(data), b"abc");
    a.expect_reply(226);
    assert_eq!(b.download("RETR /f"), b"abc");
    assert_eq!(b.pasv().port(), port);
    a.quit();
}

/// A line of binary garbage gets one error reply; a 10 KB line 500 and the session
/// goes on; clients vanishing mid-download and mid-upload (reset) leave the server
/// serving and the upload uncommitted.
pub fn hostile_clients<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new().with_file("/big", random_bytes(8 << 20, 12));
    let srv = start(h, fs.clone(), config());
    let mut ftp = Ftp::connect(srv.addr());
    let mut junk: Vec<u8> = random_bytes(1000, 13)
        .into_iter()
        .map(|b| if b == b'\r' || b == b'\n' { b'x' } else { b })
        .collect();
    junk.extend_from_slice(b"\r\n");
    ftp.send_raw(&junk);
    let r = ftp.reply();
    assert!(r.code >= 500, "{r:?}");
    let mut line = vec![b'A'; 10 * 1024];
    line.extend_from_slice(b"\r\n");
    ftp.send_raw(&line);
    ftp.expect_reply(500);
    ftp.expect("NOOP", 200);
    ftp.expect("USER alice", 331);
    ftp.expect("PASS secret", 230);
    ftp.expect("PWD", 257);
    let data = ftp.open_data("RETR /big");
    drop(data);
    drop(ftp);
    let mut ftp = Ftp::login(srv.addr());
    let mut up = ftp.open_data("STOR /partial");
    up.write_all(&[1u8; 100_000]).unwrap();
    reset(up);
    drop(ftp);
    let mut ftp = Ftp::login(srv.addr());
    assert_eq!(ftp.download("RETR /big").len(), 8 << 20);
    assert!(fs.read("/partial").is_none());
    ftp.quit();
}

/// Noise with line ends, Telnet IACs and NULs, in chunks of many sizes, from 20
/// clients: the server goes on serving.
pub fn garbage_never_breaks_the_server<H: ServerHarness>(h: &H) {
    let srv = start(h, MemoryFs::new(), config());
    for seed in 0..20u64 {
        let ftp = Ftp::connect(srv.addr());
        let mut junk = random_bytes(20_000, 1000 + seed);
        for (i, b) in junk.iter_mut().enumerate() {
            match i % 97 {
                0 => *b = b'\n',
                13 => *b = b'\r',
                31 => *b = 0xff,
                47 => *b = 0,
                _ => {}
            }
        }
        // The server may close on us (too many pipelined lines): ignore write errors.
        let mut w = ftp.writer();
        for chunk in junk.chunks(1 + (seed as usize * 37) % 700) {
            if w.write_all(chunk).is_err() {
                break;
            }
        }
        drop(ftp);
    }
    let mut ftp = Ftp::login(srv.addr());
    ftp.expect("NOOP", 200);
    ftp.quit();
}

/// No users configured: anonymous, as `anonymous` or `ftp` only (any password, asked
/// with 331; another name is refused). A shutdown ends the idle session (421)
/// without waiting for the grace period, and the run returns `Ok`.
pub fn anonymous_when_no_users_and_run_returns<H: ServerHarness>(h: &H) {
    let srv = start(h, MemoryFs::new(), Config::new());
    let mut ftp = Ftp::connect(srv.addr());
    ftp.expect("USER anyone", 530);
    ftp.expect("USER ftp", 331);
    ftp.expect("PASS someone@example.com", 230);
    ftp.expect("MKD x", 257);
    let stop = srv.stopper();
    assert!(!srv.is_stopping());
    let started = Instant::now();
    stop(Duration::from_secs(5));
    assert!(srv.is_stopping());
    srv.shutdown(Duration::from_secs(5))
        .expect("run returns Ok");
    assert!(started.elapsed() < Duration::from_secs(3));
    ftp.expect_reply(421);
    assert!(ftp.is_closed());
}

/// A graceful shutdown: idle sessions are told 421 and closed at once, the running
/// download completes (226, then 421), no new connections are accepted, run returns
/// `Ok`.
pub fn graceful_shutdown_lets_transfer_finish<H: ServerHarness>(h: &H) {
    let mut cfg = config();
    // About a second for this file.
    cfg.write_speed_limit_per_connection = Some(256 * 1024);
    let data = random_bytes(256 * 1024, 6);
    let srv = start(h, MemoryFs::new().with_file("/f", data.clone()), cfg);
    let addr = srv.addr();
    let mut idle = Ftp::login(addr);
    let mut busy = Ftp::login(addr);
    let conn = busy.open_data("RETR /f");
    let reader = std::thread::spawn(move || read_all(conn));
    std::thread::sleep(Duration::from_millis(200));
    srv.stopper()(Duration::from_secs(10));
    idle.expect_reply(421);
    assert!(idle.is_closed());
    assert!(reader.join().unwrap() == data, "the transfer was cut");
    busy.expect_reply(226);
    busy.expect_reply(421);
    assert!(busy.is_closed());
    let until = Instant::now() + TIMEOUT;
    while TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
        assert!(Instant::now() < until, "still accepting");
        std::thread::sleep(Duration::from_millis(20));
    }
    srv.shutdown(Duration::from_secs(10))
        .expect("run returns Ok");
}

/// At the shutdown deadline a running transfer is cut and run returns.
pub fn shutdown_deadline_closes_transfers<H: ServerHarness>(h: &H) {
    let mut cfg = config();
    cfg.write_speed_limit_per_connection = Some(16 * 1024);
    let fs = MemoryFs::new().with_file("/f", random_bytes(1 << 20, 7));
    let srv = start(h, fs, cfg);
    let mut busy = Ftp::login(srv.addr());
    let conn = busy.open_data("RETR /f");
    let started = Instant::now();
    srv.shutdown(Duration::from_millis(300))
        .expect("run returns Ok");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(read_all_lossy(conn) < 1 << 20);
}

/// `slow` keeps the user manager busy for 3 s; others are let in at once.
fn slow_for_some(delay: Duration) -> ScriptedUsers {
    let bob = Arc::new(User::new("bob", "unused"));
    Arc::new(move |request| match request {
        AuthRequest::User { login } if login == b"slow" => {
            Answer::after(delay, AuthResult::Denied("too late".into()))
        }
        AuthRequest::User { .. } => Answer::now(AuthResult::NeedPassword),
        AuthRequest::Password { .. } => Answer::now(AuthResult::LoggedIn(Arc::clone(&bob))),
        _ => Answer::now(AuthResult::Denied("no".into())),
    })
}

/// A session waiting on the user manager (no request timeout to save it) is ended by
/// the shutdown deadline.
pub fn shutdown_deadline_ends_a_session_in_the_user_manager<H: ServerHarness>(h: &H) {
    let cfg = Config::new().request_timeout(Some(Duration::from_secs(60)));
    let spec = Spec::new(MemoryFs::new(), cfg).users(slow_for_some(Duration::from_secs(3)));
    let srv = h.start(spec).expect("start");
    let mut ftp = Ftp::connect(srv.addr());
    ftp.send("USER slow");
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    srv.shutdown(Duration::from_millis(200))
        .expect("run returns Ok");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(ftp.is_closed());
}

/// A custom user manager decides, over the configuration's users, with its own text.
pub fn user_manager_decides<H: ServerHarness>(h: &H) {
    let bob = Arc::new(User::new("bob", "unused"));
    let only_bob: ScriptedUsers = Arc::new(move |request| match request {
        AuthRequest::User { login } if login == b"bob" => Answer::now(AuthResult::NeedPassword),
        AuthRequest::Password { login, .. } if login == b"bob" => {
            Answer::now(AuthResult::LoggedIn(Arc::clone(&bob)))
        }
        _ => Answer::now(AuthResult::Denied("only bob".into())),
    });
    let fs = MemoryFs::new().with_file("/f", "bob's");
    let spec = Spec::new(fs, Config::new().user(User::new("alice", "secret"))).users(only_bob);
    let srv = h.start(spec).expect("start");
    let mut ftp = Ftp::connect(srv.addr());
    assert!(ftp.expect("USER alice", 530).text.contains("only bob"));
    ftp.expect("USER bob", 331);
    ftp.expect("PASS whatever", 230);
    assert_eq!(ftp.download("RETR f"), b"bob's");
    ftp.quit();
}

/// A per-user session limit of 1, from the configuration and from a user manager that
/// takes 20 ms per answer: a second login is refused (530) until the first session
/// logged out.
pub fn slow_user_manager_and_user_limit<H: ServerHarness>(h: &H) {
    let alice = User::new("alice", "secret").max_connections(Some(1));
    let from_config = h
        .start(Spec::new(
            MemoryFs::new(),
            Config::new().user(alice.clone()),
        ))
        .expect("start");
    let user = Arc::new(alice);
    let slow: ScriptedUsers = Arc::new(move |request| {
        let result = match request {
            AuthRequest::User { .. } => AuthResult::NeedPassword,
            AuthRequest::Password { password, .. } if password == b"secret" => {
                AuthResult::LoggedIn(Arc::clone(&user))
            }
            _ => AuthResult::Denied("no".into()),
        };
        Answer::after(Duration::from_millis(20), result)
    });
    let from_manager = h
        .start(Spec::new(MemoryFs::new(), Config::new()).users(slow))
        .expect("start");
    for srv in [from_config, from_manager] {
        let mut first = Ftp::login(srv.addr());
        let mut second = Ftp::connect(srv.addr());
        second.expect("USER alice", 331);
        second.expect("PASS secret", 530);
        first.expect("QUIT", 221);
        assert!(first.is_closed());
        std::thread::sleep(Duration::from_millis(100));
        second.expect("PASS secret", 230);
        second.quit();
    }
}

/// A user manager that takes longer than the request timeout: that session gets 421
/// and is closed, while other sessions are served; they get 421 at shutdown.
pub fn hung_user_manager_times_out<H: ServerHarness>(h: &H) {
    let cfg = Config::new().request_timeout(Some(Duration::from_millis(300)));
    let spec = Spec::new(MemoryFs::new(), cfg).users(slow_for_some(Duration::from_secs(3)));
    let srv = h.start(spec).expect("start");
    let mut hung = Ftp::connect(srv.addr());
    let started = Instant::now();
    hung.expect("USER slow", 421);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(hung.is_closed());
    let mut other = Ftp::connect(srv.addr());
    other.expect("USER bob", 331);
    other.expect("PASS x", 230);
    srv.stopper()(Duration::from_secs(5));
    other.expect_reply(421);
}

/// Without a request timeout, a slow user manager is waited for.
pub fn no_request_timeout_waits_for_the_user_manager<H: ServerHarness>(h: &H) {
    let cfg = Config::new().request_timeout(None);
    let spec = Spec::new(MemoryFs::new(), cfg).users(slow_for_some(Duration::from_millis(500)));
    let srv = h.start(spec).expect("start");
    let mut ftp = Ftp::connect(srv.addr());
    let started = Instant::now();
    assert!(ftp.expect("USER slow", 530).text.contains("too late"));
    assert!(started.elapsed() >= Duration::from_millis(450));
    ftp.expect("USER bob", 331);
    ftp.expect("PASS x", 230);
    ftp.expect("MKD d", 257);
    ftp.expect("CWD d", 250);
    ftp.quit();
}

/// 1,000 clients connecting at once (non-blocking connects, fired from one thread) are
/// all greeted (220) and served: none is left connected but never greeted (a listen
/// backlog of at least 1,024, issue 8 item 4).
pub fn burst_of_connections_all_greeted<H: ServerHarness>(h: &H) {
    use socket2::{Domain, Socket, Type};
    const CLIENTS: usize = 1000;
    let srv = start(h, MemoryFs::new(), config());
    let addr = srv.addr();
    let socks: Vec<Socket> = (0..CLIENTS)
        .map(|_| {
            let s = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
            s.set_nonblocking(true).expect("non-blocking");
            // In progress (EINPROGRESS) is the expected answer of a non-blocking connect.
            let _ = s.connect(&addr.into());
            s
        })
        .collect();
    let until = Instant::now() + TIMEOUT;
    let mut ungreeted = 0;
    for s in socks {
        s.set_nonblocking(false).expect("blocking");
        let left = until
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(10));
        s.set_read_timeout(Some(left)).expect("set a timeout");
        let mut s: TcpStream = s.into();
        let mut first = [0u8; 4];
        let greeted = std::io::Read::read_exact(&mut s, &mut first).is_ok() && &first == b"220 ";
        ungreeted += usize::from(!greeted);
    }
    assert_eq!(ungreeted, 0, "of {CLIENTS} connections");
    let mut ftp = Ftp::login(addr);
    ftp.expect("NOOP", 200);
    ftp.quit();
}
