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
