//! Server scenario for the audit trail: every audited action reaches the configured
//! sink ([`Config::audit`](sansftp::server::Config::audit)), once, in order.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sansftp::server::{Audit, AuditSink};
use sansftp_storage::MemoryFs;

use super::{ServerHarness, config, start};
use crate::ftp::*;

/// Login (after a failed one), upload, download, mkdir, rename, delete, rmdir, an
/// aborted upload and the logout each give one record to the sink, with the user and
/// the client's address.
pub fn audit_records_reach_the_sink<H: ServerHarness>(h: &H) {
    let seen: Arc<Mutex<Vec<Audit>>> = Arc::default();
    let into = Arc::clone(&seen);
    let sink = AuditSink::new(move |a| into.lock().unwrap().push(a));
    let cfg = config().audit(sink).login_failure_delay(Duration::ZERO);
    let srv = start(h, MemoryFs::new().with_file("/f.txt", "hello"), cfg);
    let mut ftp = Ftp::connect(srv.addr());
    ftp.expect("USER alice", 331);
    ftp.expect("PASS wrong", 530);
    ftp.expect("PASS secret", 230);
    ftp.upload("STOR up.txt", b"12345");
    assert_eq!(ftp.download("RETR f.txt"), b"hello");
    ftp.expect("MKD d", 257);
    ftp.expect("RNFR up.txt", 350);
    ftp.expect("RNTO d/up.txt", 250);
    ftp.expect("DELE d/up.txt", 250);
    ftp.expect("RMD d", 250);
    let mut data = ftp.open_data("STOR half.bin");
    data.write_all(b"partial").unwrap();
    ftp.send("ABOR");
    ftp.expect_reply(426);
    ftp.expect_reply(226);
    drop(data);
    ftp.quit();
    let until = Instant::now() + TIMEOUT;
    while seen.lock().unwrap().last().map(|a| a.action.name()) != Some("logout") {
        assert!(
            Instant::now() < until,
            "no logout record: {:?}",
            seen.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let seen = seen.lock().unwrap();
    let names: Vec<&str> = seen.iter().map(|a| a.action.name()).collect();
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
        ],
        "{seen:?}"
    );
    assert_eq!(seen[0].user, None);
    assert!(
        seen[1..].iter().all(|a| a.user.as_deref() == Some("alice")),
        "{seen:?}"
    );
    assert!(seen.iter().all(|a| a.peer.ip().is_loopback()));
}
