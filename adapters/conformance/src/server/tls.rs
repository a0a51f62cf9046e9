//! Server FTPS scenarios, driven by the raw [`Ftps`] client (rustls's blocking
//! stream): explicit and implicit TLS, transfers byte-exact with `close_notify` both
//! ways, session reuse required on data connections, truncated uploads, required TLS.

use std::io::{Read, Write};
use std::net::Shutdown;

use sansftp::server::{Config, TlsPolicy, User};
use sansftp_storage::{LocalFs, MemoryFs};

use super::{ServerHarness, Spec, config};
use crate::ftp::{Ftp, connect_data};
use crate::random_bytes;
use crate::tls::{Certs, Ftps, close_tls};

/// A few MiB, more than one block of any adapter.
const BIG: usize = 3 << 20;

fn start_tls<H: ServerHarness, S: sansftp_storage::Storage>(
    h: &H,
    storage: S,
    config: Config,
    certs: &Certs,
    implicit: bool,
) -> super::Running {
    let spec = Spec::new(storage, config)
        .tls(certs.server())
        .implicit_tls(implicit);
    h.start(spec).expect("start an FTPS server")
}

/// Upload, download (from disk: no sendfile may carry TLS), an empty file, a listing
/// and `REST`, each read to the server's `close_notify`.
fn transfers(ftps: &mut Ftps, dir: &std::path::Path) {
    let body = random_bytes(BIG, 41);
    ftps.upload("STOR /big.bin", &body);
    assert!(
        std::fs::read(dir.join("big.bin")).unwrap() == body,
        "upload differs"
    );
    assert!(ftps.download("RETR /big.bin") == body, "download differs");
    ftps.upload("STOR /empty", b"");
    assert_eq!(std::fs::read(dir.join("empty")).unwrap(), b"");
    assert!(ftps.download("RETR /empty").is_empty());
    let names = String::from_utf8(ftps.download("NLST /")).unwrap();
    assert!(
        names.contains("big.bin") && names.contains("empty"),
        "{names}"
    );
    ftps.expect("REST 1000000", 350);
    assert!(
        ftps.download("RETR /big.bin") == body[1_000_000..],
        "REST download"
    );
    ftps.expect("NOOP", 200);
}

fn local_config(dir: &std::path::Path) -> Config {
    Config::new().user(User::new("alice", "secret").base_path(dir))
}

/// Explicit FTPS (`AUTH TLS`, `PBSZ`, `PROT P`): transfers byte-exact over TLS.
pub fn server_explicit_transfers_byte_exact<H: ServerHarness>(h: &H) {
    let dir = tempfile::tempdir().unwrap();
    let certs = Certs::new();
    let srv = start_tls(h, LocalFs::new(), local_config(dir.path()), &certs, false);
    let mut ftps = Ftps::explicit(srv.addr(), &certs.client());
    ftps.login_protected();
    transfers(&mut ftps, dir.path());
    ftps.quit();
}

/// Implicit FTPS: the greeting comes over TLS; `PBSZ`/`PROT` still accepted.
pub fn server_implicit_transfers_byte_exact<H: ServerHarness>(h: &H) {
    let dir = tempfile::tempdir().unwrap();
    let certs = Certs::new();
    let srv = start_tls(h, LocalFs::new(), local_config(dir.path()), &certs, true);
    let mut ftps = Ftps::implicit(srv.addr(), &certs.client());
    assert_eq!(ftps.greeting.code, 220, "{:?}", ftps.greeting);
    ftps.login_protected();
    transfers(&mut ftps, dir.path());
    ftps.quit();
    // A plaintext client on the implicit listener gets no greeting in plaintext.
    let mut raw = connect_data(srv.addr());
    raw.set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .unwrap();
    let mut buf = [0u8; 16];
    let got = raw.read(&mut buf).unwrap_or(0);
    assert!(!buf[..got].starts_with(b"220"), "plaintext greeting");
}

/// `FEAT` lists `AUTH TLS`, `PBSZ`, `PROT`; a command pipelined in plaintext behind
/// `AUTH TLS` is dropped, not run inside the TLS session.
pub fn server_feat_lists_tls_and_drops_injected_commands<H: ServerHarness>(h: &H) {
    let certs = Certs::new();
    let srv = start_tls(h, MemoryFs::new(), config(), &certs, false);
    let tls = certs.client();
    let mut ftps = Ftps::plain(srv.addr(), &tls);
    let feat = ftps.expect("FEAT", 211).text;
    for f in ["AUTH TLS", "PBSZ", "PROT"] {
        assert!(feat.contains(f), "{f} missing from {feat}");
    }
    ftps.send_raw(b"AUTH TLS\r\nUSER alice\r\n");
    ftps.expect_reply(234);
    ftps.secure();
    // Had the USER run, PASS would get 230 here.
    ftps.expect("PASS secret", 503);
    ftps.expect("USER alice", 331);
    ftps.expect("PASS secret", 230);
    ftps.quit();
}

/// A data connection whose TLS handshake does not resume the control connection's
/// session (another client configuration) is refused with `425`; the control
/// connection goes on, and a resuming one works.
pub fn server_refuses_a_data_connection_that_does_not_resume<H: ServerHarness>(h: &H) {
    let certs = Certs::new();
    let fs = MemoryFs::new().with_file("/f", b"resumed".to_vec());
    let srv = start_tls(h, fs, config(), &certs, false);
    let mut ftps = Ftps::explicit(srv.addr(), &certs.client());
    ftps.login_protected();
    let stranger = certs.client().config();
    let mut data = ftps.open_data_with("RETR /f", &stranger);
    let mut got = Vec::new();
    let _ = data.read_to_end(&mut got);
    ftps.expect_reply(425);
    assert!(got.is_empty(), "a stranger's connection got {got:?}");
    ftps.expect("NOOP", 200);
    assert_eq!(ftps.download("RETR /f"), b"resumed");
    ftps.quit();
}

/// An upload whose client closes TCP without `close_notify` is truncated: `426`, and
/// the old file stays as it was.
pub fn server_truncated_upload_gets_426_and_keeps_the_old_file<H: ServerHarness>(h: &H) {
    let certs = Certs::new();
    let fs = MemoryFs::new().with_file("/f", b"old".to_vec());
    let srv = start_tls(h, fs.clone(), config(), &certs, false);
    let mut ftps = Ftps::explicit(srv.addr(), &certs.client());
    ftps.login_protected();
    let mut data = ftps.open_data("STOR /f");
    data.write_all(&random_bytes(200_000, 5)).unwrap();
    data.flush().unwrap();
    // No close_notify: just the FIN.
    data.sock.shutdown(Shutdown::Both).unwrap();
    ftps.expect_reply(426);
    assert_eq!(
        fs.read("/f").unwrap(),
        &b"old"[..],
        "a truncated upload committed"
    );
    ftps.expect("NOOP", 200);
    ftps.upload("STOR /f", b"new");
    assert_eq!(fs.read("/f").unwrap(), &b"new"[..]);
    drop(data);
    ftps.quit();
}

/// `TlsPolicy::explicit().required(true)`: a plaintext login gets `530`, `PROT C` is
/// refused, and the same login over TLS works.
pub fn server_required_tls_refuses_plaintext<H: ServerHarness>(h: &H) {
    let certs = Certs::new();
    let fs = MemoryFs::new().with_file("/f", b"x".to_vec());
    let config = config().tls(TlsPolicy::explicit().required(true));
    let srv = start_tls(h, fs, config, &certs, false);
    let mut plain = Ftp::connect(srv.addr());
    plain.expect("USER alice", 530);
    plain.quit();
    let mut ftps = Ftps::explicit(srv.addr(), &certs.client());
    ftps.login_protected();
    ftps.expect("PROT C", 534);
    assert_eq!(ftps.download("RETR /f"), b"x");
    ftps.quit();
}

/// An implicit-TLS listener without a certificate is refused at start.
pub fn server_implicit_without_certificate_fails_at_start<H: ServerHarness>(h: &H) {
    let spec = Spec::new(MemoryFs::new(), config()).implicit_tls(true);
    assert!(
        h.start(spec).is_err(),
        "implicit TLS without a certificate started"
    );
}

/// A client that fails the control handshake (it does not trust the certificate)
/// costs the server nothing: the next client is served.
pub fn server_failed_handshake_keeps_serving<H: ServerHarness>(h: &H) {
    let certs = Certs::new();
    let srv = start_tls(h, MemoryFs::new(), config(), &certs, true);
    let other = Certs::new();
    let mut bad = crate::tls::tls_over(connect_data(srv.addr()), &other.client().config());
    let mut buf = [0u8; 64];
    let err = bad
        .read(&mut buf)
        .expect_err("a handshake with an untrusted certificate");
    assert!(
        err.to_string().contains("invalid peer certificate"),
        "{err}"
    );
    close_tls(bad);
    let mut ftps = Ftps::implicit(srv.addr(), &certs.client());
    assert_eq!(ftps.greeting.code, 220);
    ftps.login_protected();
    ftps.quit();
}
