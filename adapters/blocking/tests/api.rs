//! The public API beyond the defaults: run() with a ShutdownHandle, a custom user
//! manager, IPv6.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use sansftp::server::{AuthRequest, AuthResult, Config, User};
use sansftp_blocking::{Server, UserManager};
use sansftp_storage::MemoryFs;

#[test]
fn run_returns_after_shutdown() {
    let server = Server::builder(MemoryFs::new())
        .bind("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr();
    let handle = server.shutdown_handle();
    let thread = std::thread::spawn(move || server.run());
    // No user configured: anonymous, any name.
    let mut ftp = Ftp::connect(addr);
    ftp.expect("USER anyone", 230);
    ftp.expect("MKD x", 257);
    let started = Instant::now();
    assert!(!handle.is_shutting_down());
    handle.shutdown(Duration::from_secs(5));
    assert!(handle.is_shutting_down());
    thread.join().unwrap().unwrap();
    // An idle session does not wait for the deadline.
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(ftp.reply().code, 421);
    assert!(ftp.is_closed());
}

/// Lets `bob` in with any password; refuses everyone else.
struct OnlyBob(Arc<User>);

impl UserManager for OnlyBob {
    fn authenticate(&self, request: &AuthRequest) -> AuthResult {
        match request {
            AuthRequest::User { login } if login == b"bob" => AuthResult::NeedPassword,
            AuthRequest::Password { login, .. } if login == b"bob" => {
                AuthResult::LoggedIn(Arc::clone(&self.0))
            }
            _ => AuthResult::Denied("only bob".into()),
        }
    }
}

#[test]
fn a_custom_user_manager_decides() {
    let bob = Arc::new(User::new("bob", "unused"));
    let running = Server::builder(MemoryFs::new().with_file("/f", "bob's"))
        .config(Config::new().user(User::new("alice", "secret")))
        .user_manager(OnlyBob(bob))
        .bind("127.0.0.1:0")
        .unwrap()
        .spawn();
    let mut ftp = Ftp::connect(running.local_addr());
    assert!(ftp.expect("USER alice", 530).text.contains("only bob"));
    ftp.expect("USER bob", 331);
    ftp.expect("PASS whatever", 230);
    assert_eq!(ftp.download("RETR f"), b"bob's");
    ftp.quit();
    running.shutdown().unwrap();
}

#[test]
fn ipv6_loopback_with_epsv() {
    let Ok(probe) = std::net::TcpListener::bind("[::1]:0") else {
        eprintln!("skipping: no IPv6 loopback");
        return;
    };
    drop(probe);
    let running = Server::builder(MemoryFs::new().with_file("/f", "six"))
        .config(Config::new().user(User::new("alice", "secret")))
        .bind("[::1]:0")
        .unwrap()
        .spawn();
    let mut ftp = Ftp::login(running.local_addr());
    ftp.expect("PASV", 501);
    let r = ftp.expect("EPSV", 229);
    let port: u16 = r
        .text
        .split("|||")
        .nth(1)
        .and_then(|s| s.split('|').next())
        .and_then(|p| p.parse().ok())
        .expect("EPSV port");
    let data = connect_data(std::net::SocketAddr::new(
        std::net::Ipv6Addr::LOCALHOST.into(),
        port,
    ));
    ftp.expect("RETR f", 150);
    assert_eq!(read_all(data), b"six");
    ftp.expect_reply(226);
    ftp.quit();
}

/// `bob` gets in at once; `slow` hangs the user manager for a few seconds.
struct SlowForSome(Arc<User>);

impl UserManager for SlowForSome {
    fn authenticate(&self, request: &AuthRequest) -> AuthResult {
        match request {
            AuthRequest::User { login } if login == b"slow" => {
                std::thread::sleep(Duration::from_secs(3));
                AuthResult::Denied("too late".into())
            }
            AuthRequest::User { .. } => AuthResult::NeedPassword,
            AuthRequest::Password { .. } => AuthResult::LoggedIn(Arc::clone(&self.0)),
            _ => AuthResult::Denied("no".into()),
        }
    }
}

#[test]
fn a_hung_user_manager_times_out_with_421() {
    let bob = Arc::new(User::new("bob", "unused"));
    let config = Config::new().request_timeout(Some(Duration::from_millis(300)));
    let running = Server::builder(MemoryFs::new())
        .config(config)
        .user_manager(SlowForSome(bob))
        .bind("127.0.0.1:0")
        .unwrap()
        .spawn();
    let mut ftp = Ftp::connect(running.local_addr());
    let started = Instant::now();
    let r = ftp.cmd("USER slow");
    assert_eq!(r.code, 421, "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(ftp.is_closed());
    // Other sessions are served meanwhile.
    let mut other = Ftp::connect(running.local_addr());
    other.expect("USER bob", 331);
    other.expect("PASS x", 230);
    other.quit();
    running.shutdown().unwrap();
}

#[test]
fn shutdown_deadline_closes_a_session_stuck_in_the_user_manager() {
    let bob = Arc::new(User::new("bob", "unused"));
    // Longer than the user manager hangs: only the shutdown deadline can end it.
    let config = Config::new().request_timeout(Some(Duration::from_secs(60)));
    let server = Server::builder(MemoryFs::new())
        .config(config)
        .user_manager(SlowForSome(bob))
        .bind("127.0.0.1:0")
        .unwrap();
    let addr = server.local_addr();
    let handle = server.shutdown_handle();
    let thread = std::thread::spawn(move || server.run());
    let mut ftp = Ftp::connect(addr);
    ftp.send_raw(b"USER slow\r\n");
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    handle.shutdown(Duration::from_millis(200));
    thread.join().unwrap().unwrap();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(ftp.is_closed());
}

#[test]
fn without_a_request_timeout_calls_run_inline() {
    let bob = Arc::new(User::new("bob", "unused"));
    let running = Server::builder(MemoryFs::new())
        .config(Config::new().request_timeout(None))
        .user_manager(SlowForSome(bob))
        .bind("127.0.0.1:0")
        .unwrap()
        .spawn();
    let mut ftp = Ftp::connect(running.local_addr());
    ftp.expect("USER bob", 331);
    ftp.expect("PASS x", 230);
    ftp.expect("MKD d", 257);
    ftp.expect("CWD d", 250);
    ftp.quit();
    running.shutdown().unwrap();
}
