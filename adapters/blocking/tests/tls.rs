//! FTPS with the blocking adapter: our server with our client (explicit and implicit),
//! a raw rustls client for what our client never does (a data connection that does not
//! resume, an upload cut without close_notify), policies, a wrong CA, and curl.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use sansftp::client::{ClientOptions, TlsMode};
use sansftp::server::{Config, TlsPolicy, User};
use sansftp_blocking::{Client, MemoryFs, RunningServer, Server};
use sansftp_conformance::peer::have_tool;
use sansftp_conformance::random_bytes;
use sansftp_tls::rustls::{ClientConnection, StreamOwned, pki_types::ServerName};
use sansftp_tls::{ClientTls, ServerTls};

struct Setup {
    server: RunningServer,
    fs: MemoryFs,
    cert: String,
}

fn config() -> Config {
    Config::new().user(User::new("u", "p"))
}

fn start(implicit: bool, config: Config, fs: MemoryFs) -> Setup {
    let (cert, key) = sansftp_tls::testing::self_signed(&["localhost", "127.0.0.1"]);
    let tls = ServerTls::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
    let server = Server::builder(fs.clone())
        .config(config)
        .tls(tls)
        .implicit_tls(implicit)
        .bind("127.0.0.1:0")
        .unwrap()
        .spawn();
    Setup { server, fs, cert }
}

fn client_tls(cert: &str) -> ClientTls {
    ClientTls::builder()
        .ca_pem(cert.as_bytes())
        .unwrap()
        .build()
        .unwrap()
}

fn options(implicit: bool) -> ClientOptions {
    let mut options = ClientOptions::default();
    options.socket_timeout = Some(Duration::from_secs(10));
    if implicit {
        options.config.tls = Some(TlsMode::Implicit);
    }
    options
}

fn connect(s: &Setup, implicit: bool) -> Client {
    let addr = s.server.local_addr();
    let mut c = Client::connect_tls(addr, client_tls(&s.cert), "localhost", options(implicit))
        .expect("TLS connect");
    c.login("u", "p").unwrap();
    c
}

fn roundtrip(implicit: bool) {
    // TLS required on data too: a plaintext transfer would get 521.
    let required = config().tls(TlsPolicy::explicit().required(true));
    let s = start(implicit, required, MemoryFs::new());
    let mut c = connect(&s, implicit);
    let data = random_bytes(3 << 20, 7);

    // Upload through a stream, and from a local file (the sendfile path when plain).
    let mut up = c.upload_stream("/big.bin", 0).unwrap();
    up.write_all(&data).unwrap();
    up.finish().unwrap();
    assert!(s.fs.read("/big.bin").unwrap() == data, "upload byte-exact");
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local.bin");
    std::fs::write(&local, &data[..1_000_001]).unwrap();
    assert_eq!(c.upload(&local, "/file.bin").unwrap(), 1_000_001);
    assert!(s.fs.read("/file.bin").unwrap() == data[..1_000_001]);

    // Download, whole and resumed (REST).
    let mut got = Vec::new();
    let mut down = c.download_stream("/big.bin", 0).unwrap();
    down.read_to_end(&mut got).unwrap();
    down.finish().unwrap();
    assert!(got == data, "download byte-exact");
    let mut tail = Vec::new();
    let mut down = c.download_stream("/big.bin", 1_234_567).unwrap();
    down.read_to_end(&mut tail).unwrap();
    down.finish().unwrap();
    assert!(tail == data[1_234_567..], "REST download");

    // REST upload: the first part kept, the rest written.
    let mut up = c.upload_stream("/file.bin", 500_000).unwrap();
    up.write_all(b"tail").unwrap();
    up.finish().unwrap();
    let mut want = data[..500_000].to_vec();
    want.extend_from_slice(b"tail");
    assert!(s.fs.read("/file.bin").unwrap() == want, "REST upload");

    // An empty file both ways.
    c.upload_stream("/empty", 0).unwrap().finish().unwrap();
    assert_eq!(s.fs.read("/empty").unwrap().len(), 0);
    let mut got = Vec::new();
    let mut down = c.download_stream("/empty", 0).unwrap();
    down.read_to_end(&mut got).unwrap();
    down.finish().unwrap();
    assert!(got.is_empty());

    // A listing.
    let mut names: Vec<String> = c
        .list("/", false)
        .unwrap()
        .iter()
        .map(|i| i.path_str().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["/big.bin", "/empty", "/file.bin"]);
    c.quit().unwrap();
}

#[test]
fn explicit_upload_download_list_resume() {
    roundtrip(false);
}

#[test]
fn implicit_upload_download_list_resume() {
    roundtrip(true);
}

/// A control connection read and written line by line, plaintext or TLS.
trait Ctl: Read + Write {}
impl<T: Read + Write> Ctl for T {}

fn reply(s: &mut dyn Ctl) -> String {
    let mut all = String::new();
    loop {
        let mut line = Vec::new();
        let mut b = [0u8];
        while !line.ends_with(b"\r\n") {
            assert_eq!(
                s.read(&mut b).unwrap(),
                1,
                "connection closed; so far {all:?}"
            );
            line.push(b[0]);
        }
        let line = String::from_utf8(line).unwrap();
        all.push_str(&line);
        if line.len() > 3 && line.as_bytes()[3] == b' ' {
            return all;
        }
    }
}

fn cmd(s: &mut dyn Ctl, line: &str) -> String {
    s.write_all(format!("{line}\r\n").as_bytes()).unwrap();
    s.flush().unwrap();
    reply(s)
}

fn tls_over(config: Arc<sansftp_tls::rustls::ClientConfig>, sock: TcpStream) -> Box<dyn Ctl> {
    let name = ServerName::try_from("localhost").unwrap();
    let conn = ClientConnection::new(config, name).unwrap();
    let mut s = StreamOwned::new(conn, sock);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock).unwrap();
    }
    Box::new(s)
}

/// A raw explicit-TLS login with `config`, protected data: the control stream and
/// the EPSV data address.
fn raw_login(s: &Setup, config: &ClientTls) -> Box<dyn Ctl> {
    let mut sock = TcpStream::connect(s.server.local_addr()).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert!(reply(&mut sock).starts_with("220"));
    assert!(cmd(&mut sock, "AUTH TLS").starts_with("234"));
    let mut ctl = tls_over(config.config(), sock);
    assert!(cmd(&mut *ctl, "USER u").starts_with("331"));
    assert!(cmd(&mut *ctl, "PASS p").starts_with("230"));
    assert!(cmd(&mut *ctl, "PBSZ 0").starts_with("200"));
    assert!(cmd(&mut *ctl, "PROT P").starts_with("200"));
    ctl
}

fn epsv(s: &Setup, ctl: &mut dyn Ctl) -> TcpStream {
    let r = cmd(ctl, "EPSV");
    assert!(r.starts_with("229"), "{r}");
    let port: u16 = r
        .split("|||")
        .nth(1)
        .unwrap()
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap();
    let addr = SocketAddr::new(s.server.local_addr().ip(), port);
    let data = TcpStream::connect(addr).unwrap();
    data.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    data
}

#[test]
fn a_data_connection_that_does_not_resume_gets_425_and_the_session_goes_on() {
    let s = start(
        false,
        config(),
        MemoryFs::new().with_file("/secret", "secret bytes"),
    );
    let control_tls = client_tls(&s.cert);
    let mut ctl = raw_login(&s, &control_tls);
    // Repeated: the refusal must win every race against the first file byte.
    for _ in 0..20 {
        let data = epsv(&s, &mut *ctl);
        ctl.write_all(b"RETR /secret\r\n").unwrap();
        assert!(reply(&mut *ctl).starts_with("150"));
        // Another configuration: rustls offers it no session to resume.
        let other = client_tls(&s.cert);
        let name = ServerName::try_from("localhost").unwrap();
        let conn = ClientConnection::new(other.config(), name).unwrap();
        let mut stream = StreamOwned::new(conn, data);
        let handshake = (|| {
            while stream.conn.is_handshaking() {
                stream.conn.complete_io(&mut stream.sock)?;
            }
            Ok::<_, std::io::Error>(())
        })();
        let r = reply(&mut *ctl);
        assert!(
            r.starts_with("425") && r.contains("does not resume"),
            "refused: {r}"
        );
        if handshake.is_ok() {
            let mut got = Vec::new();
            let _ = stream.read_to_end(&mut got);
            assert!(
                got.is_empty(),
                "no file byte to a connection that did not resume"
            );
        }
        assert!(cmd(&mut *ctl, "NOOP").starts_with("200"));
    }
}

#[test]
fn an_upload_cut_without_close_notify_gets_426_and_commits_nothing() {
    let fs = MemoryFs::new().with_file("/old.txt", "old content");
    let s = start(false, config(), fs);
    let tls = client_tls(&s.cert);
    let mut ctl = raw_login(&s, &tls);
    for target in ["/old.txt", "/new.txt"] {
        let data = epsv(&s, &mut *ctl);
        ctl.write_all(format!("STOR {target}\r\n").as_bytes())
            .unwrap();
        assert!(reply(&mut *ctl).starts_with("150"));
        // The same configuration: the data connection resumes the control session.
        let name = ServerName::try_from("localhost").unwrap();
        let conn = ClientConnection::new(tls.config(), name).unwrap();
        let mut stream = StreamOwned::new(conn, data);
        stream.write_all(&[b'x'; 100_000]).unwrap();
        stream.flush().unwrap();
        // TCP end of file, no close_notify.
        stream.sock.shutdown(std::net::Shutdown::Both).unwrap();
        let r = reply(&mut *ctl);
        assert!(
            r.starts_with("426") && r.contains("truncated"),
            "{target}: {r}"
        );
    }
    assert_eq!(s.fs.read("/old.txt").unwrap().as_ref(), b"old content");
    assert!(s.fs.read("/new.txt").is_none(), "no truncated file");
    assert!(cmd(&mut *ctl, "NOOP").starts_with("200"));
}

#[test]
fn required_tls_refuses_a_plaintext_login() {
    let s = start(
        false,
        config().tls(TlsPolicy::explicit().required(true)),
        MemoryFs::new(),
    );
    let mut sock = TcpStream::connect(s.server.local_addr()).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert!(reply(&mut sock).starts_with("220"));
    assert!(cmd(&mut sock, "USER u").starts_with("530"));
    // Our TLS client logs in there.
    let mut c = connect(&s, false);
    c.upload_stream("/f", 0).unwrap().finish().unwrap();
    assert!(s.fs.read("/f").is_some());
}

#[test]
fn a_wrong_ca_fails_connect_with_a_clear_error() {
    let s = start(false, config(), MemoryFs::new());
    let (other, _) = sansftp_tls::testing::self_signed(&["localhost"]);
    let err = Client::connect_tls(
        s.server.local_addr(),
        client_tls(&other),
        "localhost",
        options(false),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("TLS handshake with localhost failed"), "{err}");
    assert!(err.contains("certificate is not trusted"), "{err}");
    // Implicit too.
    let s = start(true, config(), MemoryFs::new());
    let err = Client::connect_tls(
        s.server.local_addr(),
        client_tls(&other),
        "localhost",
        options(true),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("certificate is not trusted"), "{err}");
}

#[test]
fn tls_options_without_a_tls_configuration_fail_clearly() {
    let s = start(false, config(), MemoryFs::new());
    let err = Client::connect_with(s.server.local_addr(), options(true))
        .unwrap_err()
        .to_string();
    assert!(err.contains("connect_tls"), "{err}");
    // An implicit listener needs a certificate.
    let err = Server::builder(MemoryFs::new())
        .implicit_tls(true)
        .bind("127.0.0.1:0")
        .unwrap_err()
        .to_string();
    assert!(err.contains("certificate"), "{err}");
}

fn curl_roundtrip(implicit: bool) {
    if !have_tool("curl") {
        return;
    }
    let s = start(implicit, config(), MemoryFs::new());
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    std::fs::write(&cert, &s.cert).unwrap();
    let file = dir.path().join("up.bin");
    let data = random_bytes(700_000, 3);
    std::fs::write(&file, &data).unwrap();
    let scheme = if implicit { "ftps" } else { "ftp" };
    let url = format!("{scheme}://127.0.0.1:{}/x", s.server.local_addr().port());
    let curl = |args: &[&str]| {
        let out = Command::new("curl")
            .args([
                "-sS",
                "--ssl-reqd",
                "--cacert",
                cert.to_str().unwrap(),
                "--user",
                "u:p",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "curl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    curl(&["-T", file.to_str().unwrap(), &url]);
    assert!(s.fs.read("/x").unwrap() == data, "curl upload");
    let got = curl(&[&url]);
    assert!(got == data, "curl download");
}

#[test]
fn curl_explicit_upload_and_download() {
    curl_roundtrip(false);
}

#[test]
fn curl_implicit_upload_and_download() {
    curl_roundtrip(true);
}

#[test]
fn plaintext_pipelined_behind_auth_is_never_a_command() {
    let s = start(false, config(), MemoryFs::new());
    let tls = client_tls(&s.cert);
    // In the AUTH line's own packet: the session drops it.
    let mut sock = TcpStream::connect(s.server.local_addr()).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert!(reply(&mut sock).starts_with("220"));
    sock.write_all(b"AUTH TLS\r\nUSER u\r\n").unwrap();
    assert!(reply(&mut sock).starts_with("234"));
    let mut ctl = tls_over(tls.config(), sock);
    let r = cmd(&mut *ctl, "PASS p");
    assert!(r.starts_with("503"), "the injected USER was not taken: {r}");
}

#[test]
fn many_explicit_handshakes_right_after_the_234() {
    // The ClientHello follows the 234 at once: the reader must never take it as
    // plaintext (a lost ClientHello would hang or fail the handshake).
    let s = start(false, config(), MemoryFs::new());
    for _ in 0..100 {
        let mut c = connect(&s, false);
        assert_eq!(c.get_current_directory().unwrap(), "/");
    }
}

#[test]
fn active_mode_and_tls13_transfers() {
    let s = start(
        false,
        config(),
        MemoryFs::new().with_file("/f", "0123456789"),
    );
    let addr = s.server.local_addr();
    // Active mode: the client accepts, then runs the TLS client handshake.
    let mut active = options(false);
    active.config.data_mode = sansftp::client::DataMode::Active;
    let tls12 = client_tls(&s.cert);
    // TLS 1.3: each data connection uses a ticket up; downloads bring new ones.
    let tls13 = ClientTls::builder()
        .ca_pem(s.cert.as_bytes())
        .unwrap()
        .tls13(true)
        .build()
        .unwrap();
    for (tls, options) in [(tls12, active), (tls13, options(false))] {
        let mut c = Client::connect_tls(addr, tls, "localhost", options).unwrap();
        c.login("u", "p").unwrap();
        for round in 0..12 {
            let mut got = String::new();
            let mut down = c.download_stream("/f", 0).unwrap();
            down.read_to_string(&mut got).unwrap();
            down.finish().unwrap();
            assert_eq!(got, "0123456789", "round {round}");
        }
        let mut up = c.upload_stream("/g", 0).unwrap();
        up.write_all(b"up").unwrap();
        up.finish().unwrap();
        assert_eq!(s.fs.read("/g").unwrap().as_ref(), b"up");
        assert_eq!(c.list("/", false).unwrap().len(), 2);
    }
}
