//! Transcript tests: byte scripts replayed against `server::Session` with virtual time
//! and an in-memory file tree (`sansftp::server::testing`), no sockets.

use std::time::Duration;

use proptest::prelude::*;
use sansftp::server::testing::{Driver, sample_config, sample_fs, server_session};
use sansftp::server::{Config, Event, TransferKind, User};

fn login() -> Driver {
    let mut d = Driver::new(sample_config());
    d.fs = sample_fs();
    assert_eq!(
        d.send(b"USER alice\r\nPASS secret\r\n"),
        "331 Password required for alice\r\n230 Login successful\r\n"
    );
    d
}

/// Logged in, with a passive listener open.
fn login_pasv() -> Driver {
    let mut d = login();
    assert!(d.send(b"PASV\r\n").starts_with("227 "));
    d
}

#[test]
fn greeting_and_login() {
    let mut d = Driver::new(sample_config());
    assert_eq!(String::from_utf8_lossy(&d.wire), "220 welcome\r\n");
    assert_eq!(
        d.send(b"USER alice\r\nPASS wrong\r\nPASS secret\r\nPWD\r\n"),
        "331 Password required for alice\r\n530 wrong password\r\n230 Login successful\r\n\
         257 \"/home/alice\" is the current directory\r\n"
    );
    assert!(matches!(d.events[0], Event::LoginFailed { .. }));
    assert!(matches!(d.events[1], Event::LoggedIn(_)));
}

#[test]
fn anonymous_and_passwordless_users() {
    let mut d = Driver::new(sample_config());
    assert_eq!(
        d.send(b"USER anonymous\r\nPASS me@example.com\r\nPWD\r\n"),
        "331 Password required for anonymous\r\n230 Login successful\r\n\
         257 \"/pub\" is the current directory\r\n"
    );
    let mut d = Driver::new(sample_config());
    assert_eq!(
        d.send(b"USER FTP\r\nPASS \r\n"),
        "331 Password required for FTP\r\n230 Login successful\r\n"
    );
    // A mistyped or unknown name is not the anonymous user (RFC 1635).
    let mut d = Driver::new(sample_config());
    assert_eq!(d.send(b"USER alicee\r\n"), "530 no such user\r\n");
    assert_eq!(d.send(b"PASS secret\r\n"), "503 Login with USER first\r\n");
    // aioftp's anonymous user, asked for by name: any login, at once.
    let mut d = Driver::new(Config::new().user(User::any_login()));
    assert_eq!(d.send(b"USER whoever\r\n"), "230 Login successful\r\n");
    let mut d = Driver::new(sample_config());
    assert_eq!(d.send(b"USER nopw\r\n"), "230 Login successful\r\n");
    assert_eq!(d.send(b"PASS x\r\n"), "202 Already logged in\r\n");
    // Without an anonymous user, unknown names are refused.
    let only_a = Config::new()
        .user(User::new("a", "b"))
        .login_failure_delay(Duration::ZERO);
    let mut d = Driver::new(only_a);
    assert_eq!(d.send(b"USER zed\r\n"), "530 no such user\r\n");
    assert_eq!(d.send(b"PASS b\r\n"), "503 Login with USER first\r\n");
}

#[test]
fn refused_session_says_421_and_closes() {
    use sansftp::server::{Output, Session};
    let config = std::sync::Arc::new(sample_config());
    let now = std::time::Instant::now();
    let mut s = Session::refused(
        config,
        "1.2.3.4:5".parse().unwrap(),
        "1.2.3.5:21".parse().unwrap(),
        now,
        "Too many connections",
    );
    match s.poll_output() {
        Some(Output::Send(b)) => assert_eq!(&b[..], b"421 Too many connections\r\n"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(s.poll_output(), Some(Output::Close)));
    assert!(s.poll_output().is_none());
    s.handle_control(b"USER x\r\n", now);
    assert!(s.poll_output().is_none());
}

#[test]
fn pipelined_commands_are_answered_in_order() {
    let mut d = Driver::new(sample_config());
    d.fs = sample_fs();
    let out =
        d.send(b"USER alice\r\nPASS secret\r\nPWD\r\nCWD /nope\r\nPWD\r\nCWD docs\r\nPWD\r\n");
    assert_eq!(
        out,
        "331 Password required for alice\r\n\
         230 Login successful\r\n\
         257 \"/home/alice\" is the current directory\r\n\
         550 /nope: no such file or directory\r\n\
         257 \"/home/alice\" is the current directory\r\n\
         250 Directory successfully changed\r\n\
         257 \"/home/alice/docs\" is the current directory\r\n"
    );
}

#[test]
fn pipelined_replies_survive_slow_storage() {
    // A manual adapter: answer nothing until the test says so.
    use sansftp::server::{Output, Session, StorageOutcome};
    let config = std::sync::Arc::new(sample_config());
    let now = std::time::Instant::now();
    let mut s = Session::new(
        config.clone(),
        "10.0.0.2:4000".parse().unwrap(),
        "10.0.0.1:21".parse().unwrap(),
        now,
    );
    s.handle_control(b"USER nopw\r\nMKD /a\r\nPWD\r\nSYST\r\n", now);
    let mut wire = Vec::new();
    let mut storage = None;
    while let Some(o) = s.poll_output() {
        match o {
            Output::Send(b) => wire.extend_from_slice(&b),
            Output::Auth { id, request } => s.complete_auth(id, config.answer(&request), now),
            Output::Storage { id, .. } => storage = Some(id),
            _ => {}
        }
    }
    // MKD is outstanding: PWD and SYST must wait behind it.
    assert_eq!(wire, b"220 welcome\r\n230 Login successful\r\n");
    s.complete_storage(storage.unwrap(), Ok(StorageOutcome::Done), now);
    while let Some(o) = s.poll_output() {
        if let Output::Send(b) = o {
            wire.extend_from_slice(&b);
        }
    }
    assert!(wire.ends_with(
        b"257 \"/a\" created\r\n257 \"/\" is the current directory\r\n215 UNIX Type: L8\r\n"
    ));
}

#[test]
fn commands_before_login_get_530() {
    let mut d = Driver::new(sample_config());
    for cmd in [
        "PWD", "CWD /", "LIST", "RETR x", "STOR x", "PASV", "MKD x", "SIZE x", "TYPE I",
    ] {
        let out = d.send(format!("{cmd}\r\n").as_bytes());
        assert!(out.starts_with("530 "), "{cmd}: {out}");
    }
    assert!(d.send(b"SYST\r\n").starts_with("215 UNIX Type: L8"));
    assert!(d.send(b"FEAT\r\n").starts_with("211-"));
    assert_eq!(d.send(b"NOOP\r\n"), "200 NOOP ok\r\n");
    assert_eq!(d.send(b"HOST ftp.example.com\r\n"), "220 Host accepted\r\n");
    assert_eq!(d.send(b"QUIT\r\n"), "221 Goodbye\r\n");
    assert!(d.closed);
}

#[test]
fn host_only_before_login() {
    let mut d = login();
    assert_eq!(d.send(b"HOST x\r\n"), "503 HOST must come before USER\r\n");
}

#[test]
fn traversal_stays_in_the_root() {
    let mut d = login();
    assert_eq!(
        d.send(b"CWD ../../..\r\nPWD\r\n"),
        "250 Directory successfully changed\r\n257 \"/\" is the current directory\r\n"
    );
    d.send(b"CWD /home/alice\r\nPASV\r\n");
    let out = d.send(b"RETR ../../etc/passwd\r\n");
    assert!(out.contains("226 "), "{out}");
    match &d.transfers.last().unwrap().kind {
        TransferKind::Retrieve { path, offset } => {
            assert_eq!(path.as_bytes(), b"/etc/passwd");
            assert_eq!(*offset, 0);
            // Mapped under the user's base path, never above it.
            let real = path.under(std::path::Path::new("/srv/alice"));
            assert_eq!(real, std::path::Path::new("/srv/alice/etc/passwd"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nul_and_cr_in_arguments_are_refused() {
    let mut d = login();
    assert!(d.send(b"CWD a\0b\r\n").starts_with("501 "));
    assert!(d.send(b"MKD a\rb\r\n").starts_with("501 "));
    // The session goes on.
    assert!(d.send(b"PWD\r\n").starts_with("257 "));
}

#[test]
fn long_line_gets_500_and_the_session_goes_on() {
    let mut d = login();
    let mut line = b"RETR ".to_vec();
    line.extend(std::iter::repeat_n(b'a', 10 * 1024));
    line.extend_from_slice(b"\r\nPWD\r\n");
    let out = d.send(&line);
    assert!(out.starts_with("500 "), "{out}");
    assert!(
        out.ends_with("257 \"/home/alice\" is the current directory\r\n"),
        "{out}"
    );
}

#[test]
fn rename_sequencing() {
    let mut d = login();
    assert_eq!(d.send(b"RNTO x\r\n"), "503 RNTO needs RNFR first\r\n");
    assert_eq!(d.send(b"RNFR notes.txt\r\n"), "350 Ready for RNTO\r\n");
    // Any other command in between clears the pending RNFR.
    d.send(b"NOOP\r\n");
    assert_eq!(d.send(b"RNTO x\r\n"), "503 RNTO needs RNFR first\r\n");
    assert_eq!(
        d.send(b"RNFR notes.txt\r\nRNTO renamed.txt\r\n"),
        "350 Ready for RNTO\r\n250 Requested file action okay, completed\r\n"
    );
    assert!(d.fs.exists("/home/alice/renamed.txt"));
    assert!(!d.fs.exists("/home/alice/notes.txt"));
    assert_eq!(
        d.send(b"RNFR missing\r\n"),
        "550 /home/alice/missing: no such file or directory\r\n"
    );
}

#[test]
fn rest_offsets_the_next_transfer_only() {
    let mut d = login_pasv();
    let out = d.send(b"REST 5\r\nRETR notes.txt\r\n");
    assert!(out.starts_with("350 Restarting at 5"), "{out}");
    assert!(
        out.contains("150 ") && out.ends_with("226 Transfer complete\r\n"),
        "{out}"
    );
    assert_eq!(d.downloaded, b"one\nline two\n");
    // REST then another command: cleared.
    d.downloaded.clear();
    d.send(b"REST 5\r\nNOOP\r\nPASV\r\nRETR notes.txt\r\n");
    assert_eq!(d.downloaded, b"line one\nline two\n");
    // Data setup between REST and RETR keeps the offset (curl, ftplib send PASV first,
    // others after).
    d.downloaded.clear();
    d.send(b"REST 9\r\nPASV\r\nTYPE I\r\nRETR notes.txt\r\n");
    assert_eq!(d.downloaded, b"line two\n");
    // REST + STOR overwrites from the offset.
    d.upload = b"ONE".to_vec();
    d.send(b"PASV\r\nREST 5\r\nSTOR notes.txt\r\n");
    assert_eq!(
        d.fs.read("/home/alice/notes.txt").unwrap(),
        b"line ONE\nline two\n"
    );
    // APPE appends.
    d.upload = b"three\n".to_vec();
    d.send(b"PASV\r\nAPPE notes.txt\r\n");
    assert!(
        d.fs.read("/home/alice/notes.txt")
            .unwrap()
            .ends_with(b"two\nthree\n")
    );
}

#[test]
fn type_a_converts_line_endings() {
    let mut d = login_pasv();
    assert_eq!(d.send(b"TYPE A\r\n"), "200 Switching to ASCII mode\r\n");
    let out = d.send(b"RETR notes.txt\r\n");
    assert!(out.contains("150 Opening ASCII mode"), "{out}");
    assert!(d.transfers.last().unwrap().ascii);
    assert_eq!(d.downloaded, b"line one\r\nline two\r\n");
    d.upload = b"a\r\nb\r\n".to_vec();
    d.send(b"PASV\r\nSTOR up.txt\r\n");
    assert_eq!(d.fs.read("/home/alice/up.txt").unwrap(), b"a\nb\n");
    assert_eq!(d.send(b"TYPE I\r\n"), "200 Switching to Binary mode\r\n");
    assert!(d.send(b"TYPE E\r\n").starts_with("504 "));
}

#[test]
fn abor_during_transfer_gives_426_then_226() {
    let mut d = login_pasv();
    d.auto_data = false;
    d.send(b"RETR notes.txt\r\n");
    let t = d.pending.clone().unwrap();
    let peer = d.session.peer();
    assert!(
        d.with(|s, now| s.data_connected(t.id, peer, now))
            .starts_with("150 ")
    );
    // A command queued behind the transfer, then ABOR: ABOR overtakes it.
    assert_eq!(d.send(b"PWD\r\n"), "");
    assert_eq!(
        d.send(b"ABOR\r\n"),
        "426 Transfer aborted\r\n226 ABOR successful\r\n257 \"/home/alice\" is the current directory\r\n"
    );
    assert!(d.pending.is_none(), "the adapter was told to abort");
    // Late events for the aborted transfer are ignored.
    assert_eq!(d.with(|s, now| s.data_done(t.id, 10, now)), "");
    // ABOR with no transfer.
    assert_eq!(d.send(b"ABOR\r\n"), "225 No transfer to abort\r\n");
}

#[test]
fn abor_pipelined_behind_a_listing_reaches_it() {
    let mut d = login_pasv();
    d.auto_data = false;
    assert_eq!(
        d.send(b"LIST\r\nABOR\r\nPWD\r\n"),
        "426 Transfer aborted\r\n226 ABOR successful\r\n\
         257 \"/home/alice\" is the current directory\r\n"
    );
    assert!(d.pending.is_none());
}

#[test]
fn noop_and_stat_during_transfer_answer_at_once() {
    let mut d = login_pasv();
    d.auto_data = false;
    d.send(b"RETR notes.txt\r\n");
    let t = d.pending.clone().unwrap();
    let peer = d.session.peer();
    d.with(|s, now| s.data_connected(t.id, peer, now));
    assert_eq!(d.send(b"NOOP\r\n"), "200 NOOP ok\r\n");
    let stat = d.send(b"STAT\r\n");
    assert!(
        stat.starts_with("211-") && stat.contains("RETR /home/alice/notes.txt in progress"),
        "{stat}"
    );
    assert_eq!(
        d.with(|s, now| s.data_done(t.id, 18, now)),
        "226 Transfer complete\r\n"
    );
}

#[test]
fn quit_during_transfer_lets_it_finish() {
    let mut d = login_pasv();
    d.auto_data = false;
    d.send(b"RETR notes.txt\r\n");
    let t = d.pending.clone().unwrap();
    let peer = d.session.peer();
    d.with(|s, now| s.data_connected(t.id, peer, now));
    assert_eq!(d.send(b"QUIT\r\nPWD\r\n"), "");
    assert!(!d.closed && d.pending.is_some());
    assert_eq!(
        d.with(|s, now| s.data_done(t.id, 18, now)),
        "226 Transfer complete\r\n221 Goodbye\r\n"
    );
    assert!(d.closed);
}

#[test]
fn idle_timeout_says_421_at_the_right_time() {
    let config = sample_config().idle_timeout(Some(Duration::from_secs(60)));
    let mut d = Driver::new(config);
    d.send(b"USER nopw\r\n");
    assert_eq!(d.advance(Duration::from_secs(59)), "");
    assert!(!d.closed);
    // A command resets the timer.
    d.send(b"NOOP\r\n");
    assert_eq!(d.advance(Duration::from_secs(59)), "");
    assert_eq!(
        d.advance(Duration::from_secs(1)),
        "421 Idle timeout, closing control connection\r\n"
    );
    assert!(d.closed);
    assert!(d.events.iter().any(|e| matches!(e, Event::LoggedOut(_))));
}

#[test]
fn data_connection_wait_times_out_with_425() {
    let config = sample_config().data_wait_timeout(Duration::from_secs(5));
    let mut d = Driver::new(config);
    d.fs = sample_fs();
    d.auto_data = false;
    d.send(b"USER alice\r\nPASS secret\r\nPASV\r\nRETR notes.txt\r\n");
    assert!(d.pending.is_some());
    assert_eq!(d.advance(Duration::from_secs(4)), "");
    assert_eq!(
        d.advance(Duration::from_secs(1)),
        "425 Can't open data connection: timed out\r\n"
    );
    assert!(d.pending.is_none());
    assert!(d.send(b"PWD\r\n").starts_with("257 "));
}

#[test]
fn data_connection_from_another_host_is_refused() {
    let mut d = login_pasv();
    d.auto_data = false;
    d.send(b"RETR notes.txt\r\n");
    let t = d.pending.clone().unwrap();
    assert!(
        !d.session
            .is_allowed_data_peer("10.6.6.6:1234".parse().unwrap())
    );
    // The transfer carries the decision for adapter tasks that do not hold the session.
    assert_eq!(t.allowed_peer, d.session.peer().ip());
    assert!(!t.accepts("10.6.6.6:1234".parse().unwrap()));
    assert!(t.accepts("10.0.0.2:5555".parse().unwrap()));
    assert!(t.accepts("[::ffff:10.0.0.2]:5555".parse().unwrap()));
    let out = d.with(|s, now| s.data_connected(t.id, "10.6.6.6:1234".parse().unwrap(), now));
    assert!(out.starts_with("425 "), "{out}");
    assert!(d.pending.is_none());
}

#[test]
fn pasv_reply_uses_the_masquerade_address() {
    let config = sample_config().masquerade_address("203.0.113.9".parse().unwrap());
    let mut d = Driver::new(config);
    d.send(b"USER nopw\r\n");
    assert_eq!(
        d.send(b"PASV\r\n"),
        "227 Entering Passive Mode (203,0,113,9,195,81).\r\n"
    );
    assert_eq!(
        d.send(b"EPSV\r\n"),
        "229 Entering Extended Passive Mode (|||50002|)\r\n"
    );
    let mut d = Driver::new(sample_config());
    d.send(b"USER nopw\r\n");
    assert_eq!(
        d.send(b"PASV\r\n"),
        "227 Entering Passive Mode (10,0,0,1,195,81).\r\n"
    );
}

#[test]
fn pasv_on_ipv6_and_exhausted_ports() {
    let mut d = Driver::with_addrs(
        sample_config(),
        "[2001:db8::2]:4000".parse().unwrap(),
        "[2001:db8::1]:21".parse().unwrap(),
    );
    d.send(b"USER nopw\r\n");
    assert!(d.send(b"PASV\r\n").starts_with("501 "));
    assert!(d.send(b"EPSV 1\r\n").starts_with("522 "));
    assert!(d.send(b"EPSV\r\n").starts_with("229 "));
    let mut d = Driver::new(sample_config());
    d.ports_exhausted = true;
    d.send(b"USER nopw\r\n");
    assert!(d.send(b"PASV\r\n").starts_with("425 "));
    assert!(
        d.events
            .iter()
            .any(|e| matches!(e, Event::NoAvailablePort(_)))
    );
    assert!(!d.closed);
}

#[test]
fn port_bounce_is_refused() {
    let mut d = login();
    assert!(
        d.send(b"PORT 10,0,0,3,200,10\r\n").starts_with("501 "),
        "other host"
    );
    assert!(
        d.send(b"PORT 10,0,0,2,0,21\r\n").starts_with("504 "),
        "low port"
    );
    assert!(d.send(b"EPRT |1|10.0.0.9|5000|\r\n").starts_with("501 "));
    assert!(d.send(b"EPRT |3|x|5000|\r\n").starts_with("522 "));
    assert_eq!(
        d.send(b"PORT 10,0,0,2,200,10\r\n"),
        "200 PORT command successful\r\n"
    );
    let out = d.send(b"RETR notes.txt\r\n");
    assert!(out.ends_with("226 Transfer complete\r\n"), "{out}");
    assert_eq!(
        d.transfers.last().unwrap().channel,
        sansftp::server::DataChannel::Active("10.0.0.2:51210".parse().unwrap())
    );
}

#[test]
fn epsv_all_refuses_other_setups() {
    let mut d = login();
    assert_eq!(d.send(b"EPSV ALL\r\n"), "200 EPSV ALL ok\r\n");
    assert!(d.send(b"PASV\r\n").starts_with("501 "));
    assert!(d.send(b"PORT 10,0,0,2,200,10\r\n").starts_with("501 "));
    assert!(d.send(b"EPRT |1|10.0.0.2|5000|\r\n").starts_with("501 "));
    assert!(d.send(b"EPSV\r\n").starts_with("229 "));
}

#[test]
fn transfer_without_data_setup_gets_425() {
    let mut d = login();
    assert_eq!(
        d.send(b"RETR notes.txt\r\n"),
        "425 Use PORT or PASV first\r\n"
    );
    assert_eq!(d.send(b"LIST\r\n"), "425 Use PORT or PASV first\r\n");
}

#[test]
fn list_formats_entries_and_ignores_options() {
    let mut d = login_pasv();
    let out = d.send(b"LIST -la\r\n");
    assert_eq!(
        out,
        "150 Here comes the directory listing\r\n226 Transfer complete\r\n"
    );
    let body = String::from_utf8(d.downloaded.clone()).unwrap();
    assert_eq!(
        body,
        "drwxr-xr-x    1 ftp      ftp             0 May 01 12:30 docs\r\n\
         -rw-r--r--    1 ftp      ftp            18 May 01 12:30 notes.txt\r\n"
    );
    d.downloaded.clear();
    d.send(b"PASV\r\nNLST\r\n");
    assert_eq!(d.downloaded, b"docs\r\nnotes.txt\r\n");
    // LIST of a file lists that file.
    d.downloaded.clear();
    d.send(b"PASV\r\nLIST notes.txt\r\n");
    assert!(d.downloaded.ends_with(b" notes.txt\r\n"));
    let out = d.send(b"PASV\r\nLIST /missing\r\n");
    assert!(
        out.ends_with("\r\n550 /missing: no such file or directory\r\n"),
        "{out}"
    );
}

#[test]
fn mlsd_ends_226_and_refuses_files() {
    let mut d = login_pasv();
    let out = d.send(b"MLSD\r\n");
    assert!(out.ends_with("226 Transfer complete\r\n"), "{out}");
    let body = String::from_utf8(d.downloaded.clone()).unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert!(
        lines[0].starts_with("type=dir;modify=20240501123000;perm=cdeflmp;unique=p")
            && lines[0].ends_with("; docs"),
        "{body}"
    );
    assert!(
        lines[1].starts_with("type=file;size=18;modify=20240501123000;perm=adfrw;unique=p")
            && lines[1].ends_with("; notes.txt"),
        "{body}"
    );
    assert!(
        d.send(b"PASV\r\nMLSD notes.txt\r\n")
            .ends_with("501 /home/alice/notes.txt: Not a directory\r\n")
    );
    let mlst = d.send(b"MLST notes.txt\r\n");
    assert!(
        mlst.starts_with(
            "250-Listing /home/alice/notes.txt\r\n type=file;size=18;modify=20240501123000;perm=adfrw;unique=p"
        ) && mlst.ends_with("; /home/alice/notes.txt\r\n250 End\r\n"),
        "{mlst}"
    );
    // The same file has the same `unique` in MLST and MLSD.
    let unique = |text: &str| text.split("unique=").nth(1).unwrap()[..17].to_owned();
    assert_eq!(unique(&mlst), unique(lines[1]));
    assert_eq!(
        d.send(b"OPTS MLST type;size\r\n"),
        "200 MLST OPTS type;size;\r\n"
    );
    assert!(d.send(b"MLST\r\n").contains(" type=dir; /home/alice\r\n"));
}

#[test]
fn mkd_and_pwd_double_quotes() {
    let mut d = login();
    assert_eq!(
        d.send(b"MKD say \"hi\"\r\n"),
        "257 \"/home/alice/say \"\"hi\"\"\" created\r\n"
    );
    assert_eq!(
        d.send(b"CWD say \"hi\"\r\nPWD\r\n"),
        "250 Directory successfully changed\r\n257 \"/home/alice/say \"\"hi\"\"\" is the current directory\r\n"
    );
    assert!(
        d.send(b"MKD /home/alice/say \"hi\"\r\n")
            .starts_with("550 ")
    );
    assert_eq!(
        d.send(b"CDUP\r\nRMD say \"hi\"\r\n"),
        "250 Directory successfully changed\r\n250 Requested file action okay, completed\r\n"
    );
    assert!(d.send(b"RMD docs/missing\r\n").starts_with("550 "));
}

#[test]
fn feat_lists_extensions() {
    let mut d = Driver::new(sample_config());
    assert_eq!(
        d.send(b"FEAT\r\n"),
        "211-Features:\r\n EPRT\r\n EPSV\r\n HASH SHA-1;SHA-256*;SHA-512;MD5\r\n HOST\r\n \
         MDTM\r\n MFMT\r\n \
         MLST type*;size*;modify*;perm*;unique*;unix.mode*;unix.owner;unix.group;\r\n \
         PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End\r\n"
    );
    assert_eq!(
        d.send(b"OPTS UTF8 ON\r\n"),
        "200 UTF8 mode is always on\r\n"
    );
}

#[test]
fn size_mdtm_dele_stat() {
    let mut d = login();
    assert_eq!(d.send(b"SIZE notes.txt\r\n"), "213 18\r\n");
    assert_eq!(d.send(b"MDTM notes.txt\r\n"), "213 20240501123000\r\n");
    assert!(d.send(b"SIZE docs\r\n").starts_with("550 "));
    let stat = d.send(b"STAT .\r\n");
    assert!(stat.starts_with("212-Status of /home/alice:\r\n"), "{stat}");
    assert!(
        stat.ends_with(" notes.txt\r\n212 End of status\r\n"),
        "{stat}"
    );
    assert!(d.send(b"STAT notes.txt\r\n").starts_with("213-"));
    assert!(d.send(b"STAT\r\n").starts_with("211-"));
    assert_eq!(
        d.send(b"DELE notes.txt\r\n"),
        "250 Requested file action okay, completed\r\n"
    );
    assert!(d.send(b"DELE notes.txt\r\n").starts_with("550 "));
    assert!(d.send(b"DELE docs\r\n").starts_with("550 "));
}

#[test]
fn permissions_are_checked_before_storage() {
    let mut d = Driver::new(sample_config());
    d.fs = sample_fs();
    d.send(b"USER anonymous\r\nPASS x\r\nPASV\r\n");
    assert!(
        d.send(b"RETR readme\r\n")
            .ends_with("226 Transfer complete\r\n")
    );
    assert_eq!(d.send(b"STOR up\r\n"), "550 /pub/up: Permission denied\r\n");
    assert_eq!(d.send(b"MKD x\r\n"), "550 /pub/x: Permission denied\r\n");
    assert_eq!(d.send(b"CWD /etc\r\n"), "550 /etc: Permission denied\r\n");
    assert_eq!(
        d.send(b"RETR /etc/passwd\r\n"),
        "550 /etc/passwd: Permission denied\r\n"
    );
}

#[test]
fn retr_of_missing_file_gets_550_without_150() {
    let mut d = login_pasv();
    assert_eq!(
        d.send(b"RETR nope\r\n"),
        "550 /home/alice/nope: no such file or directory\r\n"
    );
    assert!(
        d.send(b"PASV\r\nSTOR /no/dir/f\r\n")
            .ends_with("553 /no/dir/f: no such file or directory\r\n")
    );
}

#[test]
fn stou_picks_a_fresh_name() {
    let mut d = login();
    d.fs.write("/home/alice/file.1", b"taken");
    d.upload = b"new".to_vec();
    let out = d.send(b"PASV\r\nSTOU\r\n");
    assert!(out.contains("150 FILE: /home/alice/file.2\r\n"), "{out}");
    assert_eq!(d.fs.read("/home/alice/file.2").unwrap(), b"new");
}

/// The passive listener is the session's to close: a STOU retry after a taken name
/// accepts on the same listener (the driver fails a passive transfer without one), and
/// the listener is closed once its one connection is made, or once a transfer ends
/// without one.
#[test]
fn the_passive_listener_lives_until_the_session_closes_it() {
    let mut d = login();
    d.fs.write("/home/alice/file.1", b"taken");
    d.upload = b"new".to_vec();
    let out = d.send(b"PASV\r\nSTOU\r\n");
    assert!(out.contains("150 FILE: /home/alice/file.2\r\n"), "{out}");
    assert!(out.ends_with("226 Transfer complete\r\n"), "{out}");
    assert_eq!(d.transfers.len(), 2, "one refused name, one retry");
    assert_eq!(d.fs.read("/home/alice/file.2").unwrap(), b"new");
    assert!(!d.passive_open, "the listener outlived its connection");
    // A transfer that fails before connecting closes it too.
    d.send(b"PASV\r\n");
    assert!(d.passive_open);
    assert!(d.send(b"RETR nope\r\n").starts_with("550 "));
    assert!(!d.passive_open, "the listener outlived a refused RETR");
    // And one that connects: closed at the connection, before the transfer ends.
    d.auto_data = false;
    d.send(b"PASV\r\nRETR file.1\r\n");
    let t = d.pending.take().expect("the transfer");
    assert!(d.passive_open);
    let peer = d.session.peer();
    assert!(
        d.with(|s, now| s.data_connected(t.id, peer, now))
            .starts_with("150 ")
    );
    assert!(!d.passive_open, "the listener outlived its one connection");
}

#[test]
fn misc_commands() {
    let mut d = login();
    assert_eq!(
        d.send(b"SITE EXEC rm\r\n"),
        "504 SITE EXEC not implemented\r\n"
    );
    assert_eq!(
        d.send(b"AUTH TLS\r\n"),
        "502 TLS is not available on this server\r\n"
    );
    assert_eq!(d.send(b"PBSZ 0\r\n"), "503 PBSZ needs AUTH TLS first\r\n");
    assert_eq!(d.send(b"PROT C\r\n"), "200 Protection level set to C\r\n");
    assert_eq!(
        d.send(b"MODE S\r\nSTRU F\r\n"),
        "200 Mode set to S\r\n200 Structure set to F\r\n"
    );
    assert!(d.send(b"MODE B\r\n").starts_with("504 "));
    assert_eq!(d.send(b"ALLO 100\r\n"), "202 ALLO not needed\r\n");
    assert_eq!(d.send(b"ACCT x\r\n"), "202 No account needed\r\n");
    assert_eq!(
        d.send(b"XPWD\r\n"),
        "257 \"/home/alice\" is the current directory\r\n"
    );
    assert_eq!(d.send(b"FOO\r\n"), "502 FOO not implemented\r\n");
    assert!(d.send(b"HELP\r\n").starts_with("214-"));
    assert_eq!(d.send(b"HELP retr\r\n"), "214 RETR is implemented\r\n");
    assert_eq!(d.send(b"REIN\r\n"), "220 Service ready for new user\r\n");
    assert!(d.send(b"PWD\r\n").starts_with("530 "));
    assert!(d.events.iter().any(|e| matches!(e, Event::LoggedOut(_))));
}

#[test]
fn control_closed_stops_everything() {
    let mut d = login_pasv();
    d.auto_data = false;
    d.send(b"RETR notes.txt\r\n");
    d.with(|s, _| s.control_closed());
    assert!(d.closed && d.pending.is_none());
    assert!(d.events.iter().any(|e| matches!(e, Event::LoggedOut(_))));
}

#[test]
fn what_the_backend_cannot_do_is_502_not_451() {
    let mut d = login();
    d.fs.like_object_store = true;
    d.fs.mkdir_all("/home/alice/dir");
    let out = d.send(b"PASV\r\nAPPE notes.txt\r\n");
    assert!(
        out.ends_with("502 /home/alice/notes.txt: not supported by this storage: APPE\r\n"),
        "{out}"
    );
    assert!(!out.contains("150 "), "{out}");
    assert_eq!(
        d.send(b"RNFR dir\r\nRNTO moved\r\n"),
        "350 Ready for RNTO\r\n\
         502 /home/alice/moved: not supported by this storage: renaming a directory\r\n"
    );
    assert!(d.fs.exists("/home/alice/dir"));
    // A file still renames, and the session goes on.
    assert!(
        d.send(b"RNFR notes.txt\r\nRNTO n2\r\n")
            .ends_with("250 Requested file action okay, completed\r\n")
    );
    assert!(d.fs.exists("/home/alice/n2"));
}

#[test]
fn transfer_failures_map_to_codes() {
    use sansftp::server::{StorageError, TransferError};
    let mut d = login();
    d.auto_data = false;
    let peer = d.session.peer();
    // Connection never made.
    d.send(b"PASV\r\nRETR notes.txt\r\n");
    let t = d.pending.clone().unwrap();
    let out = d.with(|s, now| s.data_failed(t.id, TransferError::Connect("refused".into()), now));
    assert!(out.starts_with("425 "), "{out}");
    // Broken mid-way.
    d.send(b"PASV\r\nRETR notes.txt\r\n");
    let t = d.pending.clone().unwrap();
    d.with(|s, now| s.data_connected(t.id, peer, now));
    let out = d.with(|s, now| s.data_failed(t.id, TransferError::Broken("reset".into()), now));
    assert!(out.starts_with("426 "), "{out}");
    // Disk full during an upload.
    d.send(b"PASV\r\nSTOR big\r\n");
    let t = d.pending.clone().unwrap();
    d.with(|s, now| s.data_connected(t.id, peer, now));
    let err = TransferError::Storage(StorageError::NoSpace);
    let out = d.with(|s, now| s.data_failed(t.id, err, now));
    assert!(out.starts_with("552 "), "{out}");
    // Stale answers of every kind are ignored.
    let stale = t.id;
    assert_eq!(d.with(|s, now| s.data_connected(stale, peer, now)), "");
    assert_eq!(d.with(|s, now| s.data_done(stale, 1, now)), "");
    assert_eq!(
        d.with(|s, now| s.complete_storage(stale, Err(StorageError::NotFound), now)),
        ""
    );
    assert!(d.send(b"NOOP\r\n").starts_with("200 "));
}

#[test]
fn too_many_pipelined_commands_close_with_421() {
    let mut config = sample_config();
    config.max_pipelined = 4;
    let mut d = Driver::new(config);
    d.auto_data = false;
    d.send(b"USER nopw\r\nPASV\r\nRETR x\r\n");
    let out = d.send(b"NOOP\r\nPWD\r\nPWD\r\nPWD\r\nPWD\r\nPWD\r\n");
    assert_eq!(
        out,
        "200 NOOP ok\r\n421 Too many pipelined commands, closing\r\n"
    );
    assert!(d.closed);
}

#[test]
fn user_again_logs_out_first() {
    let mut d = login();
    d.send(b"USER nopw\r\n");
    let kinds: Vec<&str> = d
        .events
        .iter()
        .map(|e| match e {
            Event::LoggedIn(_) => "in",
            Event::LoggedOut(_) => "out",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["in", "out", "in"]);
    assert_eq!(d.send(b"PWD\r\n"), "257 \"/\" is the current directory\r\n");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        server_session(&data);
    }

    #[test]
    fn arbitrary_command_scripts_are_answered(
        seed in any::<u8>(),
        lines in proptest::collection::vec(
            (proptest::sample::select(vec![
                "USER alice", "PASS secret", "USER nopw", "USER anonymous", "PASS x", "PWD",
                "CWD", "CDUP", "MKD", "RMD", "DELE", "RNFR", "RNTO", "LIST", "NLST", "MLSD",
                "MLST", "RETR", "STOR", "APPE", "STOU", "SIZE", "MDTM", "STAT", "REST",
                "TYPE", "PASV", "EPSV", "PORT", "EPRT", "ABOR", "NOOP", "FEAT", "OPTS",
                "HELP", "SYST", "REIN", "HOST", "ALLO", "MODE", "STRU", "SITE", "AUTH", "PBSZ",
                "PROT", "ACCT", "XMKD", "QUIT",
            ]),
            proptest::sample::select(vec![
                "", " ", " /", " ..", " ../../..", " docs", " notes.txt", " /pub/readme",
                " a\"b", " 5", " A", " I", " ALL", " 1", " 2", " 10,0,0,2,200,10",
                " |1|10.0.0.2|5000|", " MLST type;", " UTF8 ON", " -la", " new", " /etc/passwd",
            ])),
            0..40)
    ) {
        let mut data = vec![seed & 0x6f];
        for (verb, arg) in lines {
            data.extend_from_slice(verb.as_bytes());
            data.extend_from_slice(arg.as_bytes());
            data.extend_from_slice(b"\r\n");
        }
        server_session(&data);
    }
}

#[test]
fn shutdown_of_an_idle_session_says_421_after_queued_replies() {
    use sansftp::server::{Output, Session};
    let config = std::sync::Arc::new(sample_config());
    let now = std::time::Instant::now();
    let mut s = Session::new(
        config.clone(),
        "10.0.0.2:4000".parse().unwrap(),
        "10.0.0.1:21".parse().unwrap(),
        now,
    );
    // Replies not drained yet go out first.
    s.handle_control(b"USER nopw\r\n", now);
    let mut wire = Vec::new();
    let mut closed = false;
    let mut logged_out = false;
    while let Some(o) = s.poll_output() {
        match o {
            Output::Send(b) => wire.extend_from_slice(&b),
            Output::Auth { id, request } => s.complete_auth(id, config.answer(&request), now),
            _ => {}
        }
    }
    s.handle_control(b"NOOP\r\n", now);
    s.shutdown(now);
    assert!(s.is_shutting_down() && s.is_closed());
    while let Some(o) = s.poll_output() {
        assert!(!closed, "nothing follows Close");
        match o {
            Output::Send(b) => wire.extend_from_slice(&b),
            Output::Event(Event::LoggedOut(_)) => logged_out = true,
            Output::Close => closed = true,
            _ => {}
        }
    }
    assert_eq!(
        String::from_utf8_lossy(&wire),
        "220 welcome\r\n230 Login successful\r\n200 NOOP ok\r\n421 Server shutting down\r\n"
    );
    assert!(closed && logged_out);
    assert_eq!(s.poll_timeout(), None);
    // Later input and a second shutdown change nothing.
    s.handle_control(b"PWD\r\n", now);
    s.shutdown(now);
    assert!(s.poll_output().is_none());
}

#[test]
fn shutdown_lets_a_transfer_finish_then_answers_later_commands_with_421() {
    let mut d = login_pasv();
    d.auto_data = false;
    d.send(b"RETR notes.txt\r\n");
    let t = d.pending.clone().unwrap();
    let peer = d.session.peer();
    assert!(
        d.with(|s, now| s.data_connected(t.id, peer, now))
            .starts_with("150 ")
    );
    assert_eq!(d.shutdown(), "");
    assert!(!d.closed && d.pending.is_some(), "the transfer goes on");
    // NOOP still answers during the transfer; PWD waits and is never run.
    assert_eq!(d.send(b"NOOP\r\nPWD\r\n"), "200 NOOP ok\r\n");
    assert_eq!(
        d.with(|s, now| s.data_done(t.id, 18, now)),
        "226 Transfer complete\r\n421 Server shutting down\r\n"
    );
    assert!(d.closed);
    assert!(
        d.events
            .iter()
            .any(|e| matches!(e, Event::TransferDone { .. }))
    );
    assert!(d.events.iter().any(|e| matches!(e, Event::LoggedOut(_))));
}

#[test]
fn shutdown_by_a_deadline_cuts_a_transfer_that_outlasts_it() {
    let mut d = login_pasv();
    d.auto_data = false;
    d.send(b"RETR notes.txt\r\n");
    let t = d.pending.clone().unwrap();
    let peer = d.session.peer();
    d.with(|s, now| s.data_connected(t.id, peer, now));
    let deadline = d.now + Duration::from_secs(5);
    assert_eq!(d.with(|s, now| s.shutdown_by(now, deadline)), "");
    // A later deadline does not move it.
    d.with(|s, now| s.shutdown_by(now, deadline + Duration::from_secs(60)));
    assert!(d.session.poll_timeout().is_some_and(|at| at <= deadline));
    assert!(!d.closed, "the transfer may finish until then");
    d.now = deadline - Duration::from_millis(1);
    d.with(|s, now| s.handle_timeout(now));
    assert!(!d.closed && d.pending.is_some());
    d.now = deadline;
    // Cut as a closed control connection is: nothing more is said.
    assert_eq!(d.with(|s, now| s.handle_timeout(now)), "");
    assert!(d.closed);
    assert!(d.pending.is_none(), "told to abort the transfer");
}

#[test]
fn shutdown_during_transfer_abor_and_quit_still_work() {
    // ABOR ends the transfer; the 421 follows its 426/226.
    let mut d = login_pasv();
    d.auto_data = false;
    d.send(b"STOR new.bin\r\n");
    assert_eq!(d.shutdown(), "");
    assert_eq!(
        d.send(b"ABOR\r\n"),
        "426 Transfer aborted\r\n226 ABOR successful\r\n421 Server shutting down\r\n"
    );
    assert!(d.closed && d.pending.is_none());

    // QUIT during the transfer keeps its meaning: 226, then 221.
    let mut d = login_pasv();
    d.auto_data = false;
    d.send(b"RETR notes.txt\r\n");
    let t = d.pending.clone().unwrap();
    d.shutdown();
    assert_eq!(d.send(b"QUIT\r\n"), "");
    assert_eq!(
        d.with(|s, now| s.data_done(t.id, 18, now)),
        "150 Opening BINARY mode data connection for /home/alice/notes.txt\r\n\
         226 Transfer complete\r\n221 Goodbye\r\n"
    );
    assert!(d.closed);

    // A transfer whose data connection never comes: 425, then 421.
    let mut d = login_pasv();
    d.auto_data = false;
    d.send(b"RETR notes.txt\r\n");
    d.shutdown();
    assert_eq!(
        d.advance(Duration::from_secs(10)),
        "425 Can't open data connection: timed out\r\n421 Server shutting down\r\n"
    );
    assert!(d.closed);
}

#[test]
fn shutdown_waits_for_an_outstanding_request() {
    let mut d = login();
    d.hold_requests = true;
    assert_eq!(d.send(b"MKD /home/alice/new\r\n"), "");
    assert_eq!(d.shutdown(), "");
    assert!(!d.closed);
    // Commands after shutdown began are not run: the 421 answers them.
    assert_eq!(d.send(b"PWD\r\n"), "");
    assert_eq!(
        d.release(),
        "257 \"/home/alice/new\" created\r\n421 Server shutting down\r\n"
    );
    assert!(d.closed && d.fs.exists("/home/alice/new"));
}

#[test]
fn hung_storage_request_times_out_with_451() {
    let config = sample_config()
        .request_timeout(Some(Duration::from_secs(30)))
        .idle_timeout(Some(Duration::from_secs(10)));
    let mut d = Driver::new(config);
    d.fs = sample_fs();
    d.send(b"USER alice\r\nPASS secret\r\n");
    d.hold_requests = true;
    assert_eq!(d.send(b"MKD /home/alice/new\r\nPWD\r\n"), "");
    assert_eq!(
        d.session.poll_timeout(),
        Some(d.now + Duration::from_secs(30))
    );
    // The idle timeout does not run while the request is outstanding.
    assert_eq!(d.advance(Duration::from_secs(29)), "");
    assert_eq!(
        d.advance(Duration::from_secs(1)),
        "451 Request timed out\r\n257 \"/home/alice\" is the current directory\r\n"
    );
    assert!(!d.closed);
    assert!(
        d.events
            .iter()
            .any(|e| matches!(e, Event::RequestTimedOut { .. }))
    );
    // The late answer is ignored (the storage did make the directory, though).
    assert_eq!(d.release(), "");
    // The session goes on, and the idle timer restarted at the timeout.
    d.hold_requests = false;
    assert!(d.send(b"SIZE notes.txt\r\n").starts_with("213 "));
    assert_eq!(d.advance(Duration::from_secs(9)), "");
    assert!(
        d.advance(Duration::from_secs(1))
            .starts_with("421 Idle timeout")
    );
}

#[test]
fn hung_login_check_times_out_with_421_and_closes() {
    let mut d = Driver::new(sample_config());
    d.hold_requests = true;
    assert_eq!(d.send(b"USER alice\r\n"), "");
    // The default request timeout is 60 s.
    assert_eq!(d.advance(Duration::from_secs(59)), "");
    assert_eq!(
        d.advance(Duration::from_secs(1)),
        "421 Login check timed out, closing control connection\r\n"
    );
    assert!(d.closed);
    assert_eq!(d.release(), "");

    // Without a request timeout, the session waits as long as it takes.
    let mut d = Driver::new(sample_config().request_timeout(None));
    d.hold_requests = true;
    d.send(b"USER alice\r\n");
    assert_eq!(d.session.poll_timeout(), None);
    assert_eq!(d.release(), "331 Password required for alice\r\n");
}

/// The default [`Config::commit_grace`].
const GRACE: Duration = Duration::from_millis(5);

/// A manual upload of `STOR up.bin`, connected; returns its id.
fn manual_upload(d: &mut Driver) -> sansftp::server::RequestId {
    d.auto_data = false;
    d.send(b"STOR up.bin\r\n");
    let t = d.pending.clone().unwrap();
    let peer = d.session.peer();
    assert!(
        d.with(|s, now| s.data_connected(t.id, peer, now))
            .starts_with("150 ")
    );
    t.id
}

#[test]
fn an_upload_is_committed_only_when_the_session_says_so_then_226() {
    let mut d = login_pasv();
    d.hold_commits = true;
    let id = manual_upload(&mut d);
    // The data arrived in full: after the commit grace the session asks for the
    // commit, no 226 yet.
    assert_eq!(d.with(|s, now| s.data_done(id, 7, now)), "");
    assert!(d.commits.is_empty(), "committed before the grace");
    assert_eq!(d.advance(GRACE), "");
    assert_eq!(d.commits, [id]);
    assert_eq!(d.held_commit, Some(id));
    // Commands wait for the commit; STAT shows the transfer finishing; a repeated
    // data_done or a late data_failed is ignored.
    assert!(
        d.send(b"STAT\r\n")
            .contains("STOR /home/alice/up.bin finishing")
    );
    assert_eq!(d.send(b"PWD\r\n"), "");
    assert_eq!(d.with(|s, now| s.data_done(id, 7, now)), "");
    let err = sansftp::server::TransferError::Broken("late".into());
    assert_eq!(d.with(|s, now| s.data_failed(id, err, now)), "");
    assert_eq!(d.commits.len(), 1);
    assert_eq!(
        d.with(|s, now| s.upload_committed(id, Ok(()), now)),
        "226 Transfer complete\r\n257 \"/home/alice\" is the current directory\r\n"
    );
    assert!(d.events.iter().any(|e| matches!(
        e,
        Event::TransferDone {
            upload: true,
            bytes: 7,
            ..
        }
    )));
    // A second answer is stale.
    assert_eq!(d.with(|s, now| s.upload_committed(id, Ok(()), now)), "");
}

#[test]
fn an_upload_whose_control_connection_closed_first_is_never_committed() {
    let mut d = login_pasv();
    let id = manual_upload(&mut d);
    // The client was killed: the adapter saw the control end of file before (or with)
    // the data end of file, and reports it first.
    d.advance(Duration::from_millis(1));
    assert_eq!(d.with(|s, _| s.control_closed()), "");
    assert!(d.closed);
    assert!(
        d.pending.is_none(),
        "the adapter was told to drop the upload"
    );
    assert_eq!(d.with(|s, now| s.data_done(id, 5, now)), "");
    assert!(d.commits.is_empty(), "a gone client's upload was committed");
    assert_eq!(d.with(|s, now| s.upload_committed(id, Ok(()), now)), "");
}

#[test]
fn a_control_close_during_the_commit_discards_the_commit_answer() {
    let mut d = login_pasv();
    d.hold_commits = true;
    let id = manual_upload(&mut d);
    d.with(|s, now| s.data_done(id, 5, now));
    d.advance(GRACE);
    assert_eq!(d.held_commit, Some(id));
    d.with(|s, _| s.control_closed());
    assert!(
        d.closed && d.held_commit.is_none(),
        "told to drop the upload"
    );
    assert_eq!(d.with(|s, now| s.upload_committed(id, Ok(()), now)), "");
}

#[test]
fn abor_while_committing_aborts_the_upload() {
    let mut d = login_pasv();
    d.hold_commits = true;
    let id = manual_upload(&mut d);
    d.with(|s, now| s.data_done(id, 5, now));
    assert_eq!(
        d.send(b"ABOR\r\n"),
        "426 Transfer aborted\r\n226 ABOR successful\r\n"
    );
    assert!(d.held_commit.is_none());
    assert_eq!(d.with(|s, now| s.upload_committed(id, Ok(()), now)), "");
}

#[test]
fn a_failed_commit_answers_451_or_552() {
    use sansftp::server::StorageError;
    let mut d = login_pasv();
    d.commit_error = Some(StorageError::Other("rename failed".into()));
    let id = manual_upload(&mut d);
    d.with(|s, now| s.data_done(id, 5, now));
    let out = d.advance(GRACE);
    assert_eq!(out, "451 Transfer failed: local error: rename failed\r\n");
    assert!(d.send(b"NOOP\r\n").starts_with("200 "));

    d.commit_error = Some(StorageError::NoSpace);
    assert!(d.send(b"PASV\r\n").starts_with("227 "));
    let id = manual_upload(&mut d);
    d.with(|s, now| s.data_done(id, 5, now));
    let out = d.advance(GRACE);
    assert!(out.starts_with("552 "), "{out}");
    assert!(
        !d.events
            .iter()
            .any(|e| matches!(e, Event::TransferDone { upload: true, .. }))
    );
}

#[test]
fn quit_during_an_upload_answers_after_the_commit() {
    let mut d = login_pasv();
    let id = manual_upload(&mut d);
    assert_eq!(d.send(b"QUIT\r\n"), "");
    assert_eq!(d.with(|s, now| s.data_done(id, 5, now)), "");
    assert_eq!(d.advance(GRACE), "226 Transfer complete\r\n221 Goodbye\r\n");
    assert_eq!(d.commits, [id]);
    assert!(d.closed);
}

#[test]
fn the_commit_grace_is_a_deadline_and_a_close_within_it_drops_the_upload() {
    let mut d = login_pasv();
    let id = manual_upload(&mut d);
    assert_eq!(d.with(|s, now| s.data_done(id, 5, now)), "");
    // The session asks to be woken at the end of the grace, and not before.
    assert_eq!(d.session.poll_timeout(), Some(d.now + GRACE));
    assert_eq!(d.advance(Duration::from_millis(4)), "");
    assert!(d.commits.is_empty());
    // NOOP is answered meanwhile; the control connection closing drops the upload.
    assert!(d.send(b"NOOP\r\n").starts_with("200 "));
    d.with(|s, _| s.control_closed());
    assert!(d.closed);
    assert_eq!(d.advance(GRACE), "");
    assert!(
        d.commits.is_empty(),
        "a killed client's upload was committed"
    );

    // Without a grace, the commit follows data_done at once.
    let mut d = Driver::new(sample_config().commit_grace(Duration::ZERO));
    d.fs = sample_fs();
    d.send(b"USER alice\r\nPASS secret\r\nPASV\r\n");
    let id = manual_upload(&mut d);
    assert_eq!(
        d.with(|s, now| s.data_done(id, 5, now)),
        "226 Transfer complete\r\n"
    );
    assert_eq!(d.commits, [id]);
}

#[test]
fn an_unanswered_commit_times_out_with_451_and_the_session_goes_on() {
    let mut d = login_pasv();
    d.hold_commits = true;
    let id = manual_upload(&mut d);
    d.with(|s, now| s.data_done(id, 5, now));
    d.advance(GRACE);
    assert_eq!(d.held_commit, Some(id));
    // The default request timeout is 60 s.
    assert_eq!(d.advance(Duration::from_secs(59)), "");
    assert_eq!(
        d.advance(Duration::from_secs(1)),
        "451 Transfer failed: commit timed out\r\n"
    );
    assert!(d.held_commit.is_none(), "told to drop the upload");
    assert!(d.send(b"NOOP\r\n").starts_with("200 "));
    assert_eq!(d.with(|s, now| s.upload_committed(id, Ok(()), now)), "");
}

/// A download of `notes.txt`, connected, nothing moved yet; returns its id.
fn manual_download(d: &mut Driver) -> sansftp::server::RequestId {
    d.auto_data = false;
    assert!(d.send(b"PASV\r\n").starts_with("227 "));
    d.send(b"RETR notes.txt\r\n");
    let t = d.pending.clone().unwrap();
    let peer = d.session.peer();
    assert!(
        d.with(|s, now| s.data_connected(t.id, peer, now))
            .starts_with("150 ")
    );
    t.id
}

#[test]
fn a_stalled_transfer_gets_426_and_the_session_goes_on() {
    let stall = Duration::from_secs(8);
    let mut d = Driver::new(sample_config().stall_timeout(Some(stall)));
    d.fs = sample_fs();
    d.send(b"USER alice\r\nPASS secret\r\n");
    let id = manual_download(&mut d);
    // Bytes keep moving: reported at each check (a quarter of the timeout), no stall.
    let mut total = 0;
    for _ in 0..8 {
        let at = d.session.poll_timeout().unwrap();
        assert_eq!(at, d.now + stall / 4, "a progress check every quarter");
        total += 1000;
        d.now = at;
        d.with(|s, now| s.data_progress(id, total, now));
        assert_eq!(d.advance(Duration::ZERO), "");
    }
    // Then nothing moves: the stall deadline is counted from the last growth.
    let last_growth = d.now;
    for _ in 0..3 {
        d.now = d.session.poll_timeout().unwrap();
        d.with(|s, now| s.data_progress(id, total, now));
        assert_eq!(d.advance(Duration::ZERO), "");
    }
    d.now = d.session.poll_timeout().unwrap();
    assert_eq!(d.now, last_growth + stall);
    d.with(|s, now| s.data_progress(id, total, now));
    assert_eq!(
        d.advance(Duration::ZERO),
        "426 Transfer aborted: no data moved for 8 s\r\n"
    );
    assert!(d.pending.is_none(), "told to abort the transfer");
    assert!(
        d.events
            .iter()
            .any(|e| matches!(e, Event::DataStalled { id: s } if *s == id))
    );
    assert!(!d.closed);
    assert_eq!(d.send(b"NOOP\r\n"), "200 NOOP ok\r\n");
    // A late report or end is stale.
    assert_eq!(d.with(|s, now| s.data_done(id, total, now)), "");
}

#[test]
fn a_stall_is_found_even_by_an_adapter_that_never_reports_progress() {
    // Without reports, the session still wakes at the checks (never at a past
    // instant) and gives up at the stall timeout after the connection.
    let stall = Duration::from_secs(4);
    let mut d = Driver::new(sample_config().stall_timeout(Some(stall)));
    d.fs = sample_fs();
    d.send(b"USER alice\r\nPASS secret\r\n");
    let connected = d.now;
    manual_download(&mut d);
    let mut wakes = 0;
    while !d.advance(stall / 4).starts_with("426 ") {
        assert!(
            d.session.poll_timeout().unwrap() > d.now,
            "a deadline in the past"
        );
        wakes += 1;
        assert!(wakes < 4, "no stall after {:?}", d.now - connected);
    }
    assert_eq!(d.now - connected, stall);
    // No stall timeout: no deadline while data moves.
    let mut d = Driver::new(sample_config().stall_timeout(None));
    d.fs = sample_fs();
    d.send(b"USER alice\r\nPASS secret\r\n");
    manual_download(&mut d);
    assert_eq!(d.session.poll_timeout(), None);
}

#[test]
fn the_session_reads_the_count_an_adapter_keeps_in_the_transfers_progress() {
    let stall = Duration::from_secs(4);
    let mut d = Driver::new(sample_config().stall_timeout(Some(stall)));
    d.fs = sample_fs();
    d.send(b"USER alice\r\nPASS secret\r\n");
    manual_download(&mut d);
    let progress = d.pending.clone().unwrap().progress;
    // Bytes move, counted into the transfer's progress only: no stall, for twice the
    // stall timeout.
    for _ in 0..8 {
        progress.add(1000);
        assert_eq!(d.advance(stall / 4), "");
    }
    // Then the count stops: a stall, a stall timeout after the last growth.
    let last_growth = d.now;
    while !d.advance(stall / 4).starts_with("426 ") {
        assert!(d.now - last_growth < stall * 2, "no stall");
    }
    assert_eq!(d.now - last_growth, stall);
}

#[test]
fn a_session_with_limits_refuses_connections_and_logins_over_them() {
    use sansftp::server::Limits;
    use std::sync::Arc;
    let mut config = sample_config()
        .max_connections(Some(2))
        .limit_texts("Full, come back later", "One alice at a time");
    for u in &mut config.users {
        *u = Arc::new(User::clone(u).max_connections(Some(1)));
    }
    let config = Arc::new(config);
    let limits = Limits::new(&config, std::time::Instant::now());
    let mut a = Driver::with_limits(Arc::clone(&config), &limits);
    let mut b = Driver::with_limits(Arc::clone(&config), &limits);
    let c = Driver::with_limits(Arc::clone(&config), &limits);
    assert_eq!(
        String::from_utf8_lossy(&c.wire),
        "421 Full, come back later\r\n"
    );
    assert!(c.closed && c.events.iter().any(|e| matches!(e, Event::ServerFull)));
    assert_eq!(limits.connections(), 2);

    let login = b"USER alice\r\nPASS secret\r\n";
    assert!(a.send(login).ends_with("230 Login successful\r\n"));
    assert!(b.send(login).ends_with("530 One alice at a time\r\n"));
    assert!(
        b.events
            .iter()
            .any(|e| matches!(e, Event::UserLimitReached(_)))
    );
    // Another user may log in; alice's slot is freed at logout.
    assert!(b.send(b"USER nopw\r\n").starts_with("230 "));
    assert!(a.send(b"REIN\r\n").starts_with("220 "));
    assert!(b.send(login).ends_with("230 Login successful\r\n"));
    // Closing frees the connection slot.
    a.send(b"QUIT\r\n");
    assert!(a.closed);
    assert_eq!(limits.connections(), 1);
    assert!(!Driver::with_limits(Arc::clone(&config), &limits).closed);
}
