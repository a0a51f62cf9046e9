//! FTPS beyond the shared suite (`tls_suite!` in `conformance.rs` has the scenarios
//! of both roles): curl against the async server, explicit and implicit, and the
//! client against a scripted TLS server that cuts a download without `close_notify`.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use futures_lite::AsyncReadExt;
use sansftp::client::{ClientOptions, TlsMode};
use sansftp::server::{Config, TlsPolicy, User};
use sansftp_async::{Client, MemoryFs, Server};
use sansftp_conformance::peer::{have_tool, run_with_timeout};
use sansftp_conformance::random_bytes;
use sansftp_conformance::tls::Certs;
use sansftp_tls::rustls::{ServerConnection, StreamOwned};

/// curl's `--ssl-reqd` (explicit) put, get and list, and `ftps://` (implicit) get,
/// byte-exact, against a server that requires TLS.
#[test]
fn curl_explicit_and_implicit() {
    if !have_tool("curl") {
        return;
    }
    let certs = Certs::new();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("cert.pem");
    std::fs::write(&ca, &certs.cert).unwrap();
    let body = random_bytes(2 << 20, 9);
    let src = dir.path().join("src.bin");
    std::fs::write(&src, &body).unwrap();
    let fs = MemoryFs::new();
    let config = Config::new()
        .user(User::new("u", "p"))
        .tls(TlsPolicy::explicit().required(true));
    for implicit in [false, true] {
        smol::block_on(async {
            let server = Server::builder(fs.clone())
                .config(config.clone())
                .tls(certs.server())
                .implicit_tls(implicit)
                .bind("127.0.0.1:0")
                .await
                .unwrap();
            let port = server.local_addr().port();
            let stop = server.shutdown_handle();
            let running = smol::spawn(server.run());
            let scheme = if implicit { "ftps" } else { "ftp" };
            let url = |path: &str| format!("{scheme}://127.0.0.1:{port}/{path}");
            let curl = |args: &[&str]| {
                let mut cmd = Command::new("curl");
                cmd.args(["-sS", "--ssl-reqd", "--user", "u:p", "--cacert"])
                    .arg(&ca)
                    .args(args);
                let out = run_with_timeout(&mut cmd, Duration::from_secs(60));
                assert!(
                    out.status.success(),
                    "{args:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                out.stdout
            };
            let name = format!("up-{implicit}.bin");
            curl(&["-T", src.to_str().unwrap(), &url(&name)]);
            assert!(fs.read(&format!("/{name}")).unwrap() == body, "curl upload");
            // (The server runs on smol's own threads: curl may block this one.) To a
            // file: run_with_timeout reads curl's stdout only once it ended.
            let out = dir.path().join(format!("down-{implicit}.bin"));
            curl(&["-o", out.to_str().unwrap(), &url(&name)]);
            assert!(std::fs::read(&out).unwrap() == body, "curl download");
            let listing = curl(&["--list-only", &url("")]);
            assert!(String::from_utf8_lossy(&listing).contains(&name));
            stop.shutdown(Duration::ZERO);
            running.await.unwrap();
        });
    }
}

/// A server (scripted, implicit TLS) that ends a download with a plain TCP close, no
/// `close_notify`: the client's read fails, the caller never sees a short file as
/// complete.
#[test]
fn download_cut_without_close_notify_is_an_error() {
    let certs = Certs::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let config = certs.server().session().unwrap().control();
    let fake = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let conn = ServerConnection::new(Arc::clone(&config)).unwrap();
        let mut ctrl = StreamOwned::new(conn, tcp);
        ctrl.write_all(b"220 fake\r\n").unwrap();
        let data_listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = data_listener.local_addr().unwrap().port();
        let (mut lines, mut pending) = (Vec::new(), Vec::new());
        while let Some(line) = read_line(&mut ctrl, &mut pending) {
            let verb = line.split_whitespace().next().unwrap_or("").to_owned();
            lines.push(line.trim_end().to_owned());
            let reply = match verb.as_str() {
                "USER" => "331 pw\r\n".to_owned(),
                "PASS" => "230 ok\r\n".to_owned(),
                "FEAT" => "211-f\r\n EPSV\r\n211 end\r\n".to_owned(),
                "EPSV" => format!("229 ok (|||{port}|)\r\n"),
                "RETR" => {
                    ctrl.write_all(b"150 here\r\n").unwrap();
                    let (d, _) = data_listener.accept().unwrap();
                    let conn = ServerConnection::new(Arc::clone(&config)).unwrap();
                    let mut data = StreamOwned::new(conn, d);
                    data.write_all(&[7u8; 5000]).unwrap();
                    data.flush().unwrap();
                    // The cut: no close_notify.
                    data.sock.shutdown(Shutdown::Both).unwrap();
                    "226 done\r\n".to_owned()
                }
                "QUIT" => {
                    ctrl.write_all(b"221 bye\r\n").unwrap();
                    break;
                }
                _ => "200 ok\r\n".to_owned(),
            };
            ctrl.write_all(reply.as_bytes()).unwrap();
        }
        lines
    });
    smol::block_on(async {
        let mut options = ClientOptions::new()
            .connect_timeout(Duration::from_secs(10))
            .socket_timeout(Duration::from_secs(10));
        options.config.tls = Some(TlsMode::Implicit);
        let mut c = Client::connect_tls(addr, certs.client(), "localhost", options)
            .await
            .unwrap();
        c.login("alice", "secret").await.unwrap();
        let mut s = c.download_stream("/f", 0).await.unwrap();
        let mut got = Vec::new();
        let err = s.read_to_end(&mut got).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof, "{err}");
        assert!(s.finish().await.is_err(), "a cut download finished well");
        drop(c);
    });
    let lines = fake.join().unwrap();
    assert!(lines.iter().any(|l| l == "PROT P"), "{lines:?}");
}

/// `connect_with` options asking for TLS, and an implicit listener without a
/// certificate, fail with errors that say what to do.
#[test]
fn tls_misconfigurations_fail_clearly() {
    smol::block_on(async {
        let err = Server::builder(MemoryFs::new())
            .implicit_tls(true)
            .bind("127.0.0.1:0")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("Builder::tls"), "{err}");
        let err = Server::builder(MemoryFs::new())
            .config(Config::new().tls(TlsPolicy::explicit()))
            .bind("127.0.0.1:0")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("Builder::tls"), "{err}");
    });
    let mut options = ClientOptions::new();
    options.config.tls = Some(TlsMode::Explicit);
    let err = smol::block_on(Client::connect_with("127.0.0.1:1", options)).unwrap_err();
    assert!(err.to_string().contains("connect_tls"), "{err}");
}

/// One command line from a TLS control connection, `pending` holding what was read
/// past it.
fn read_line(ctrl: &mut impl Read, pending: &mut Vec<u8>) -> Option<String> {
    loop {
        if let Some(i) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=i).collect();
            return Some(String::from_utf8_lossy(&line).into_owned());
        }
        let mut buf = [0u8; 1024];
        match ctrl.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
}
