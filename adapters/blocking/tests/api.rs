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
