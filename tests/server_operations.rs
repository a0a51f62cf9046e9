//! Transcript tests of what a server in production needs (issue 12): anonymous by name,
//! failed-login delays and bans, connections per address, the audit trail, the MLSx facts
//! FEAT advertises, `MFMT`, `HASH` and `SITE`. Byte scripts against `server::Session`
//! with virtual time and an in-memory tree (`sansftp::server::testing`), no sockets.

use std::time::Duration;

use sansftp::server::testing::{Driver, sample_config, sample_fs};
use sansftp::server::{Config, Event, User};

fn login() -> Driver {
    let mut d = Driver::new(sample_config());
    d.fs = sample_fs();
    assert_eq!(
        d.send(b"USER alice\r\nPASS secret\r\n"),
        "331 Password required for alice\r\n230 Login successful\r\n"
    );
    d
}

/// A failed login's 530 comes after `login_failure_delay` (1 s by default), and the
/// commands pipelined behind it wait; its event reads `login failed for USER from IP`.
#[test]
fn a_failed_login_is_answered_after_the_delay() {
    let config = Config::new().user(User::new("alice", "secret"));
    assert_eq!(config.login_failure_delay, Duration::from_secs(1));
    let mut d = Driver::new(config);
    assert_eq!(
        d.send(b"USER alice\r\nPASS wrong\r\nNOOP\r\n"),
        "331 Password required for alice\r\n"
    );
    assert_eq!(d.advance(Duration::from_millis(999)), "");
    assert_eq!(
        d.advance(Duration::from_millis(1)),
        "530 wrong password\r\n200 NOOP ok\r\n"
    );
    let failed: Vec<String> = d
        .events
        .iter()
        .filter(|e| matches!(e, Event::LoginFailed { .. }))
        .map(ToString::to_string)
        .collect();
    assert_eq!(failed, ["login failed for alice from 10.0.0.2"]);
    // An unknown name waits too; a good password does not.
    assert_eq!(d.send(b"USER bob\r\n"), "");
    assert_eq!(d.advance(Duration::from_secs(1)), "530 no such user\r\n");
    assert_eq!(
        d.send(b"USER alice\r\nPASS secret\r\n"),
        "331 Password required for alice\r\n230 Login successful\r\n"
    );
}

/// Five failed logins from one address ban it (421 to its next login and to its new
/// connections) and no other; a successful login elsewhere resets nothing.
#[test]
fn failed_logins_ban_their_address_only() {
    use sansftp::server::Limits;
    use std::sync::Arc;
    let config = Arc::new(sample_config());
    assert_eq!(config.max_login_failures, Some(5));
    let limits = Limits::new(&config, std::time::Instant::now());
    let from = |ip: &str| format!("{ip}:40000").parse().unwrap();
    let mut guesser = Driver::with_limits_from(config.clone(), &limits, from("127.0.0.1"));
    assert_eq!(
        guesser.send(b"USER alice\r\n"),
        "331 Password required for alice\r\n"
    );
    // Another address fails four times meanwhile, and a third logs in.
    let mut other = Driver::with_limits_from(config.clone(), &limits, from("127.0.0.2"));
    for _ in 0..4 {
        assert_eq!(other.send(b"USER bob\r\n"), "530 no such user\r\n");
    }
    let mut good = Driver::with_limits_from(config.clone(), &limits, from("127.0.0.3"));
    good.send(b"USER alice\r\nPASS secret\r\n");
    for _ in 0..4 {
        assert_eq!(guesser.send(b"PASS wrong\r\n"), "530 wrong password\r\n");
    }
    assert_eq!(guesser.send(b"PASS wrong\r\n"), "530 wrong password\r\n");
    assert!(
        guesser
            .events
            .iter()
            .any(|e| e.to_string() == "127.0.0.1 banned for 300 s after too many failed logins")
    );
    // Even the right password is refused now, and the session closed.
    assert_eq!(
        guesser.send(b"PASS secret\r\n"),
        "421 Too many failed logins from your address, try again later\r\n"
    );
    assert!(guesser.closed);
    // A new connection from it is refused at once (an IPv4-mapped form too) ...
    for ip in ["127.0.0.1", "[::ffff:127.0.0.1]"] {
        let again = Driver::with_limits_from(config.clone(), &limits, from(ip));
        assert_eq!(
            String::from_utf8_lossy(&again.wire),
            "421 Too many failed logins from your address, try again later\r\n"
        );
        assert!(again.closed);
    }
    // ... but not one from another address, whose fifth failure then bans it.
    let mut second = Driver::with_limits_from(config.clone(), &limits, from("127.0.0.2"));
    assert_eq!(
        second.send(b"USER alice\r\nPASS secret\r\n"),
        "331 Password required for alice\r\n230 Login successful\r\n"
    );
    assert_eq!(other.send(b"USER bob\r\n"), "530 no such user\r\n");
    assert!(other.send(b"USER alice\r\n").starts_with("421 "));
    // The ban ends.
    let ip = "127.0.0.1".parse().unwrap();
    let later = guesser.now + config.login_ban;
    assert_eq!(limits.addresses().banned_until(ip, later), None);
}

/// `max_connections_per_ip`: the sixth connection from one address gets 421, another
/// address does not, and a closed session frees its slot.
#[test]
fn the_sixth_connection_from_one_address_gets_421() {
    use sansftp::server::Limits;
    use std::sync::Arc;
    let config = Arc::new(sample_config().max_connections_per_ip(Some(5)));
    let limits = Limits::new(&config, std::time::Instant::now());
    let from = |ip: &str| format!("{ip}:40000").parse().unwrap();
    let mut five: Vec<Driver> = (0..5)
        .map(|_| Driver::with_limits_from(config.clone(), &limits, from("127.0.0.1")))
        .collect();
    assert!(five.iter().all(|d| d.wire.starts_with(b"220 ")));
    let sixth = Driver::with_limits_from(config.clone(), &limits, from("127.0.0.1"));
    assert_eq!(
        String::from_utf8_lossy(&sixth.wire),
        "421 Too many connections from your address\r\n"
    );
    assert!(sixth.closed);
    // The reason comes out first, so an adapter that stops at Close still logs it.
    let mut raw = sansftp::server::Session::with_limits(
        config.clone(),
        &limits,
        from("127.0.0.1"),
        sansftp::server::testing::LOCAL.parse().unwrap(),
        std::time::Instant::now(),
    );
    use sansftp::server::Output;
    assert!(matches!(
        raw.poll_output(),
        Some(Output::Event(Event::AddressLimitReached { .. }))
    ));
    assert!(matches!(raw.poll_output(), Some(Output::Send(_))));
    assert!(matches!(raw.poll_output(), Some(Output::Close)));
    assert!(
        sixth
            .events
            .iter()
            .any(|e| e.to_string() == "refused: too many connections from 127.0.0.1")
    );
    let elsewhere = Driver::with_limits_from(config.clone(), &limits, from("127.0.0.2"));
    assert!(elsewhere.wire.starts_with(b"220 "));
    assert_eq!(five[0].send(b"QUIT\r\n"), "221 Goodbye\r\n");
    five.remove(0);
    let again = Driver::with_limits_from(config.clone(), &limits, from("127.0.0.1"));
    assert!(again.wire.starts_with(b"220 "));
}

/// The audit trail: who did what, one record per action, in order.
#[test]
fn every_audited_action_gives_one_record() {
    use sansftp::server::{Audit, AuditAction};
    let mut d = Driver::new(sample_config());
    d.fs = sample_fs();
    d.upload = b"new".to_vec();
    d.send(b"USER alice\r\nPASS wrong\r\nPASS secret\r\n");
    d.send(b"PASV\r\nSTOR up.txt\r\nPASV\r\nRETR notes.txt\r\nPASV\r\nLIST\r\n");
    d.send(b"MKD d\r\nRNFR up.txt\r\nRNTO d/up.txt\r\nDELE d/up.txt\r\nRMD d\r\n");
    // Refused actions are not audited.
    d.send(b"DELE missing\r\nRMD missing\r\n");
    // An upload whose data connection started, then ABOR.
    d.auto_data = false;
    d.send(b"PASV\r\nSTOR half.bin\r\n");
    let t = d.pending.clone().unwrap();
    let peer = d.session.peer();
    d.with(|s, now| s.data_connected(t.id, peer, now));
    t.progress.add(7);
    assert!(d.send(b"ABOR\r\n").starts_with("426 "));
    d.send(b"QUIT\r\n");
    let p = |s: &str| sansftp::path::VirtualPath::parse(s.as_bytes()).unwrap();
    let expected = [
        (
            None,
            AuditAction::LoginFailed {
                login: "alice".into(),
            },
        ),
        (Some("alice"), AuditAction::Login),
        (
            Some("alice"),
            AuditAction::Upload {
                path: p("/home/alice/up.txt"),
                bytes: 3,
            },
        ),
        (
            Some("alice"),
            AuditAction::Download {
                path: p("/home/alice/notes.txt"),
                bytes: 18,
            },
        ),
        (
            Some("alice"),
            AuditAction::MakeDir {
                path: p("/home/alice/d"),
            },
        ),
        (
            Some("alice"),
            AuditAction::Rename {
                from: p("/home/alice/up.txt"),
                to: p("/home/alice/d/up.txt"),
            },
        ),
        (
            Some("alice"),
            AuditAction::Delete {
                path: p("/home/alice/d/up.txt"),
            },
        ),
        (
            Some("alice"),
            AuditAction::RemoveDir {
                path: p("/home/alice/d"),
            },
        ),
        (
            Some("alice"),
            AuditAction::UploadAborted {
                path: p("/home/alice/half.bin"),
                bytes: 7,
            },
        ),
        (Some("alice"), AuditAction::Logout),
    ];
    let got: Vec<(Option<&str>, &AuditAction)> = d
        .audits
        .iter()
        .map(|a: &Audit| (a.user.as_deref(), &a.action))
        .collect();
    let want: Vec<(Option<&str>, &AuditAction)> = expected.iter().map(|(u, a)| (*u, a)).collect();
    assert_eq!(got, want);
    assert!(d.audits.iter().all(|a| a.peer == peer));
    let names: Vec<&str> = d.audits.iter().map(|a| a.action.name()).collect();
    assert_eq!(
        names,
        [
            "login_failed",
            "login",
            "upload",
            "download",
            "mkdir",
            "rename",
            "delete",
            "rmdir",
            "upload_aborted",
            "logout"
        ]
    );
}

/// Every fact FEAT marks as selected is sent for every entry that has it: `perm` with the
/// logged-in user's own rights, `unique` for every entry.
#[test]
fn mlsx_send_every_fact_feat_advertises() {
    let mut d = Driver::new(sample_config());
    d.fs = sample_fs();
    d.fs.mkdir_all("/pub/sub");
    d.send(b"USER anonymous\r\nPASS x\r\n");
    let feat = d.send(b"FEAT\r\n");
    let mlst_line = feat.lines().find(|l| l.starts_with(" MLST ")).unwrap();
    let selected: Vec<&str> = mlst_line[6..]
        .split(';')
        .filter_map(|f| f.strip_suffix('*'))
        .collect();
    assert!(
        selected.contains(&"perm") && selected.contains(&"unique"),
        "{feat}"
    );
    assert!(
        d.send(b"PASV\r\nMLSD\r\n")
            .ends_with("226 Transfer complete\r\n")
    );
    let body = String::from_utf8(d.downloaded.clone()).unwrap();
    for line in body.lines() {
        let facts = line.split(' ').next().unwrap();
        for fact in ["type", "modify", "perm", "unique"] {
            assert!(selected.contains(&fact));
            assert!(
                facts.contains(&format!("{fact}=")),
                "{fact} missing: {line}"
            );
        }
    }
    // Anonymous may only read under /pub: its rights, not the storage's.
    assert!(
        body.contains("perm=r;") && body.contains(" readme\r\n"),
        "{body}"
    );
    assert!(
        body.contains("perm=el;") && body.contains(" sub\r\n"),
        "{body}"
    );
    // OPTS MLST leaves them out again.
    d.send(b"OPTS MLST type;\r\n");
    assert_eq!(
        d.send(b"MLST readme\r\n"),
        "250-Listing /pub/readme\r\n type=file; /pub/readme\r\n250 End\r\n"
    );
}

/// MFMT sets a file's time (213 Modify=...; path), HASH answers with the selected
/// algorithm, the byte range and the digest the storage computed, OPTS HASH selects,
/// SITE HELP lists, SITE CHMOD goes to the storage; each checks its arguments and the
/// user's rights first.
#[test]
fn mfmt_hash_and_site() {
    let mut d = login();
    assert_eq!(
        d.send(b"MFMT 20240102030405 notes.txt\r\n"),
        "213 Modify=20240102030405; /home/alice/notes.txt\r\n"
    );
    for bad in [
        &b"MFMT 2024 notes.txt"[..],
        b"MFMT 20241302030405 notes.txt",
        b"MFMT 20240102030405",
    ] {
        let reply = d.send(&[bad, b"\r\n"].concat());
        assert!(reply.starts_with("501 "), "{bad:?}: {reply}");
    }
    assert!(
        d.send(b"MFMT 20240102030405 missing\r\n")
            .starts_with("550 ")
    );
    assert!(d.send(b"MFMT 20240102030405 docs\r\n").starts_with("550 "));
    // The test tree's "digest" is the content in hex.
    assert_eq!(
        d.send(b"HASH notes.txt\r\n"),
        "213 SHA-256 0-18 6c696e65206f6e650a6c696e652074776f0a /home/alice/notes.txt\r\n"
    );
    assert_eq!(d.send(b"OPTS HASH\r\n"), "200 SHA-256\r\n");
    assert_eq!(d.send(b"OPTS HASH md5\r\n"), "200 MD5\r\n");
    assert!(d.send(b"HASH notes.txt\r\n").starts_with("213 MD5 0-18 "));
    assert!(
        d.send(b"FEAT\r\n")
            .contains(" HASH SHA-1;SHA-256;SHA-512;MD5*\r\n")
    );
    assert!(d.send(b"OPTS HASH CRC32\r\n").starts_with("504 "));
    assert_eq!(d.send(b"OPTS HASH\r\n"), "200 MD5\r\n");
    assert!(d.send(b"HASH docs\r\n").starts_with("550 "));
    assert!(d.send(b"HASH\r\n").starts_with("501 "));
    assert!(d.send(b"SITE HELP\r\n").starts_with("214-"));
    assert!(d.send(b"SITE CHMOD 9 notes.txt\r\n").starts_with("501 "));
    assert!(d.send(b"SITE CHMOD 644\r\n").starts_with("501 "));
    // This tree has no modes: the storage cannot, a 502 (not a 451: nothing to retry).
    assert!(d.send(b"SITE CHMOD 644 notes.txt\r\n").starts_with("502 "));
    // Anonymous may read (HASH) but not change (MFMT, CHMOD) under /pub.
    let mut anon = Driver::new(sample_config());
    anon.fs = sample_fs();
    anon.send(b"USER ftp\r\nPASS x\r\n");
    assert!(
        anon.send(b"HASH readme\r\n")
            .starts_with("213 SHA-256 0-5 ")
    );
    assert_eq!(
        anon.send(b"MFMT 20240102030405 readme\r\n"),
        "550 /pub/readme: Permission denied\r\n"
    );
    assert_eq!(
        anon.send(b"SITE CHMOD 777 readme\r\n"),
        "550 /pub/readme: Permission denied\r\n"
    );
}
