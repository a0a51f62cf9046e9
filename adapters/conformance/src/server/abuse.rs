//! Server scenarios for the abuse limits: connections per client address, failed-login
//! bans, the delay before a failed login's 530. A second client address is the loopback
//! alias 127.0.0.2 (Linux routes all of 127/8 to loopback).

use std::time::{Duration, Instant};

use sansftp_storage::MemoryFs;

use super::{ServerHarness, config, start};
use crate::ftp::*;

/// `max_connections_per_ip` 5: the sixth connection from 127.0.0.1 gets 421 and is
/// closed, one from 127.0.0.2 is served, and a closed session frees its slot.
pub fn sixth_connection_from_one_address_gets_421<H: ServerHarness>(h: &H) {
    let srv = start(h, MemoryFs::new(), config().max_connections_per_ip(Some(5)));
    let addr = srv.addr();
    let mut five: Vec<Ftp> = (0..5).map(|_| Ftp::login(addr)).collect();
    let mut sixth = Ftp::connect_from("127.0.0.1", addr);
    assert_eq!(sixth.greeting.code, 421, "{:?}", sixth.greeting);
    assert!(
        sixth
            .greeting
            .text
            .contains("Too many connections from your address")
    );
    assert!(sixth.is_closed());
    let mut other = Ftp::connect_from("127.0.0.2", addr);
    assert_eq!(other.greeting.code, 220);
    other.expect("USER alice", 331);
    other.expect("PASS secret", 230);
    five.pop().unwrap().quit();
    // The slot is freed once the server has closed that session.
    let until = Instant::now() + TIMEOUT;
    loop {
        let again = Ftp::connect(addr);
        if again.greeting.code == 220 {
            break;
        }
        assert!(Instant::now() < until, "the slot was never freed");
        std::thread::sleep(Duration::from_millis(20));
    }
    five[0].expect("NOOP", 200);
}

/// Five wrong passwords from 127.0.0.1 ban it: its next login and its new connections
/// get 421; 127.0.0.2 logs in meanwhile, and its own failures are its own. Each 530
/// comes after the failure delay.
pub fn failed_logins_ban_one_address_not_another<H: ServerHarness>(h: &H) {
    let cfg = config()
        .login_failure_delay(Duration::from_millis(200))
        .login_throttle(Some(5), Duration::from_secs(600), Duration::from_secs(300));
    let srv = start(h, MemoryFs::new(), cfg);
    let addr = srv.addr();
    let mut guesser = Ftp::connect_from("127.0.0.1", addr);
    let mut other = Ftp::connect_from("127.0.0.2", addr);
    other.expect("USER alice", 331);
    other.expect("PASS nope", 530);
    guesser.expect("USER alice", 331);
    for _ in 0..5 {
        let started = Instant::now();
        guesser.expect("PASS wrong", 530);
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "530 without delay"
        );
    }
    let refused = guesser.expect("PASS secret", 421);
    assert!(refused.text.contains("failed logins"), "{refused:?}");
    assert!(guesser.is_closed());
    let mut again = Ftp::connect_from("127.0.0.1", addr);
    assert_eq!(again.greeting.code, 421, "{:?}", again.greeting);
    assert!(again.is_closed());
    assert!(again.is_closed());
    // The other address is not banned, and its one failure did not add up with the
    // guesser's five.
    other.expect("PASS secret", 230);
    let mut fresh = Ftp::connect_from("127.0.0.2", addr);
    assert_eq!(fresh.greeting.code, 220);
    for _ in 0..3 {
        fresh.expect("USER nobody", 530);
    }
    fresh.expect("USER alice", 331);
    fresh.expect("PASS secret", 230);
}

/// `proxy_protocol`: the address a PROXY header (v1 or v2) reports is the client's for
/// the per-address limit and the data-connection check; bytes pipelined behind the
/// header are commands; a connection without a header is closed unanswered.
pub fn proxy_protocol_reports_the_client<H: ServerHarness>(h: &H) {
    use std::io::{Read, Write};
    let mut cfg = config()
        .max_connections_per_ip(Some(1))
        .data_wait_timeout(Duration::from_secs(1));
    cfg.proxy_protocol = true;
    let srv = start(h, MemoryFs::new().with_file("/f", "hello"), cfg);
    let addr = srv.addr();
    // A v1 header for 198.51.100.7, the login pipelined behind it.
    let mut far = Ftp::connect_proxied(
        addr,
        b"PROXY TCP4 198.51.100.7 127.0.0.1 40000 21\r\nUSER alice\r\n",
    );
    assert_eq!(far.greeting.code, 220, "{:?}", far.greeting);
    far.expect_reply(331);
    far.expect("PASS secret", 230);
    // Its data connection comes from 127.0.0.1, not the reported client: refused
    // (after the data wait, since the real client may still come).
    let data = far.pasv();
    let _conn = connect_data(data);
    far.expect("RETR f", 425);
    // One connection per address: the reported one counts.
    let mut again = Ftp::connect_proxied(addr, b"PROXY TCP4 198.51.100.7 127.0.0.1 40001 21\r\n");
    assert_eq!(again.greeting.code, 421, "{:?}", again.greeting);
    assert!(again.is_closed());
    // A v2 header reporting 127.0.0.1 itself: served, and its data connections are.
    let mut v2 = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c".to_vec();
    v2.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1, 0x9c, 0x40, 0, 21]);
    let mut near = Ftp::connect_proxied(addr, &v2);
    assert_eq!(near.greeting.code, 220, "{:?}", near.greeting);
    near.expect("USER alice", 331);
    near.expect("PASS secret", 230);
    assert_eq!(near.download("RETR f"), b"hello");
    // No header: closed without a word.
    let mut bare = std::net::TcpStream::connect(addr).unwrap();
    bare.set_read_timeout(Some(TIMEOUT)).unwrap();
    bare.write_all(b"USER alice\r\n").unwrap();
    let mut got = Vec::new();
    let _ = bare.read_to_end(&mut got);
    assert!(got.is_empty(), "{:?}", String::from_utf8_lossy(&got));
}
