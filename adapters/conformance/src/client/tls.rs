//! Client FTPS scenarios, against the same adapter's server: explicit and implicit,
//! passive and active, transfers byte-exact (the server requires every data
//! connection to resume the control session, so each transfer proves the client
//! resumes it), a server that requires TLS, certificate failures.

use sansftp::client::{ClientOptions, TlsMode};
use sansftp::server::{Config, TlsPolicy};
use sansftp_storage::MemoryFs;

use super::{FtpClient, TlsClientHarness, get, names, options, put};
use crate::random_bytes;
use crate::server::{Running, Spec, config};
use crate::tls::{Certs, NAME};

fn serve<H: TlsClientHarness>(
    h: &H,
    fs: MemoryFs,
    config: Config,
    certs: &Certs,
    implicit: bool,
) -> Running {
    let spec = Spec::new(fs, config)
        .tls(certs.server())
        .implicit_tls(implicit);
    h.start(spec).expect("start an FTPS server")
}

fn with_mode(mut options: ClientOptions, mode: TlsMode) -> ClientOptions {
    options.config.tls = Some(mode);
    options
}

/// Uploads (a few MiB and an empty file), downloads byte-exact, a listing, `REST` on
/// both sides, and a local file copied up and down.
fn round_trip<C: FtpClient>(c: &mut C, fs: &MemoryFs) {
    let body = random_bytes(3 << 20, 77);
    put(c, "/big.bin", &body);
    assert!(fs.read("/big.bin").unwrap() == body, "upload differs");
    assert!(get(c, "/big.bin", 0) == body, "download differs");
    put(c, "/empty", b"");
    assert_eq!(fs.read("/empty").unwrap().len(), 0);
    assert!(get(c, "/empty", 0).is_empty());
    assert_eq!(names(&c.list("/", false).unwrap()), ["/big.bin", "/empty"]);
    assert!(
        get(c, "/big.bin", 1_000_000) == body[1_000_000..],
        "REST download"
    );
    // Resume an upload: the first half is there, REST + STOR sends the rest.
    put(c, "/half", &body[..1_500_000]);
    let mut s = c.upload_stream("/half", 1_500_000).expect("REST STOR");
    std::io::Write::write_all(&mut s, &body[1_500_000..]).unwrap();
    super::Transfer::finish(s).expect("resumed upload");
    assert!(fs.read("/half").unwrap() == body, "resumed upload differs");
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("up.txt");
    std::fs::write(&local, b"a local file\n").unwrap();
    assert_eq!(c.upload(&local, "/up.txt").unwrap(), 13);
    let back = dir.path().join("back.txt");
    assert_eq!(c.download("/up.txt", &back).unwrap(), 13);
    assert_eq!(std::fs::read(&back).unwrap(), b"a local file\n");
    c.noop().unwrap();
}

/// Explicit FTPS (`AUTH TLS`, then `PBSZ 0`/`PROT P` after login, done by the core).
pub fn client_explicit_round_trip<H: TlsClientHarness>(h: &H) {
    let (certs, fs) = (Certs::new(), MemoryFs::new());
    let srv = serve(h, fs.clone(), config(), &certs, false);
    let addr = srv.addr().to_string();
    let mut c = h
        .connect_tls(&addr, certs.client(), NAME, options())
        .expect("connect with TLS");
    assert_eq!(c.greeting().code().value(), 220);
    c.login("alice", "secret").unwrap();
    round_trip(&mut c, &fs);
    c.quit().unwrap();
}

/// Implicit FTPS: TLS from the first byte.
pub fn client_implicit_round_trip<H: TlsClientHarness>(h: &H) {
    let (certs, fs) = (Certs::new(), MemoryFs::new());
    let srv = serve(h, fs.clone(), config(), &certs, true);
    let addr = srv.addr().to_string();
    let options = with_mode(options(), TlsMode::Implicit);
    let mut c = h
        .connect_tls(&addr, certs.client(), NAME, options)
        .expect("connect with implicit TLS");
    assert_eq!(c.greeting().code().value(), 220);
    c.login("alice", "secret").unwrap();
    round_trip(&mut c, &fs);
    c.quit().unwrap();
    // The same client in explicit mode cannot speak to an implicit listener.
    let explicit = ClientOptions::new()
        .connect_timeout(std::time::Duration::from_secs(2))
        .socket_timeout(std::time::Duration::from_secs(2));
    assert!(
        h.connect_tls(&addr, certs.client(), NAME, explicit)
            .is_err()
    );
}

/// Active mode (`PORT`/`EPRT`): the server connects, the client runs the handshake
/// after accepting.
pub fn client_active_mode_over_tls<H: TlsClientHarness>(h: &H) {
    let (certs, fs) = (Certs::new(), MemoryFs::new());
    let srv = serve(h, fs.clone(), config(), &certs, false);
    let addr = srv.addr().to_string();
    let mut c = h
        .connect_tls(&addr, certs.client(), NAME, options().active(true))
        .expect("connect with TLS");
    c.login("alice", "secret").unwrap();
    let body = random_bytes(1 << 20, 3);
    put(&mut c, "/a", &body);
    assert!(fs.read("/a").unwrap() == body);
    assert!(get(&mut c, "/a", 0) == body);
    assert_eq!(names(&c.list("/", false).unwrap()), ["/a"]);
    c.quit().unwrap();
}

/// With TLS 1.3 allowed, a run of downloads, listings and uploads each resumes the
/// session (the server refuses any that does not): tickets from the control
/// connection and from each download are read.
pub fn client_tls13_resumes_across_transfers<H: TlsClientHarness>(h: &H) {
    let (certs, fs) = (Certs::new(), MemoryFs::new());
    let srv = serve(h, fs.clone(), config(), &certs, false);
    let addr = srv.addr().to_string();
    let mut c = h
        .connect_tls(&addr, certs.client_with(true), NAME, options())
        .expect("connect with TLS 1.3");
    c.login("alice", "secret").unwrap();
    for i in 0..4u8 {
        let path = format!("/f{i}");
        put(&mut c, &path, &[i; 1000]);
        assert_eq!(get(&mut c, &path, 0), [i; 1000]);
        assert_eq!(c.list("/", false).unwrap().len(), usize::from(i) + 1);
    }
    c.quit().unwrap();
}

/// A server with `TlsPolicy::explicit().required(true)`: our FTPS client works, a
/// plaintext login is refused with `530`.
pub fn client_on_a_server_that_requires_tls<H: TlsClientHarness>(h: &H) {
    let (certs, fs) = (Certs::new(), MemoryFs::new().with_file("/f", b"x".to_vec()));
    let config = config().tls(TlsPolicy::explicit().required(true));
    let srv = serve(h, fs, config, &certs, false);
    let addr = srv.addr().to_string();
    let mut plain = h.connect(&addr, options()).expect("connect");
    let err = plain.login("alice", "secret").unwrap_err();
    assert!(err.received(530), "{err}");
    let mut c = h
        .connect_tls(&addr, certs.client(), NAME, options())
        .expect("connect with TLS");
    c.login("alice", "secret").unwrap();
    assert_eq!(get(&mut c, "/f", 0), b"x");
    c.quit().unwrap();
}

/// A certificate the client does not trust fails the connect with one line saying
/// which handshake failed and why.
pub fn client_wrong_ca_fails_clearly<H: TlsClientHarness>(h: &H) {
    let certs = Certs::new();
    let srv = serve(h, MemoryFs::new(), config(), &certs, false);
    let addr = srv.addr().to_string();
    let stranger = Certs::new().client();
    let err = match h.connect_tls(&addr, stranger, NAME, options()) {
        Ok(_) => panic!("connected to a server whose certificate nobody trusts"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains(
            "TLS handshake with localhost failed: the server's certificate is not trusted"
        ),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");
    // A name the certificate is not for.
    let err = match h.connect_tls(&addr, certs.client(), "127.0.0.2", options()) {
        Ok(_) => panic!("connected under a name the certificate is not for"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("TLS handshake with 127.0.0.2 failed"), "{err}");
    assert!(
        err.contains(r#"certificate not valid for name "127.0.0.2""#),
        "{err}"
    );
}

/// Options that ask for TLS given to the plaintext `connect`: a clear error, nothing
/// sent in plaintext as if it were protected.
pub fn client_tls_options_without_a_configuration_fail<H: TlsClientHarness>(h: &H) {
    let certs = Certs::new();
    let srv = serve(h, MemoryFs::new(), config(), &certs, false);
    let options = with_mode(options(), TlsMode::Explicit);
    let err = match h.connect(&srv.addr().to_string(), options) {
        Ok(_) => panic!("a TLS mode without a TLS configuration connected"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("connect_tls"), "{err}");
}
