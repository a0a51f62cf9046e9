//! Real rustls handshakes in memory: a data connection resumes only its own FTP
//! session's TLS session, and the ticket counts follow the core's `DataTls`.

mod support;

use std::sync::Arc;

use rustls::{ClientConnection, Connection, ServerConfig, ServerConnection};
use sansftp::server::DataTls;
use sansftp_tls::{ClientTls, ServerTls, resumed, testing::self_signed};
use support::move_bytes;

/// Runs a handshake (and reads the tickets that follow) between `client` and a
/// server on `server`; returns whether the server saw a resumption.
fn handshake(client: &ClientTls, server: Arc<ServerConfig>) -> bool {
    let name = client.server_name("localhost").unwrap();
    let mut c = Connection::from(ClientConnection::new(client.config(), name).unwrap());
    let mut s = Connection::from(ServerConnection::new(server).unwrap());
    for _ in 0..20 {
        move_bytes(&mut c, &mut s).unwrap();
        move_bytes(&mut s, &mut c).unwrap();
        if !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() && !s.wants_write() {
            break;
        }
    }
    assert!(
        !c.is_handshaking() && !s.is_handshaking(),
        "handshake did not finish"
    );
    resumed(&s)
}

const DOWNLOAD: fn() -> DataTls = || sansftp::server::testing::data_tls(1);
const UPLOAD: fn() -> DataTls = || sansftp::server::testing::data_tls(0);

fn pair(tls13: bool) -> (ServerTls, ClientTls) {
    let (cert, key) = self_signed(&["localhost"]);
    let server = ServerTls::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
    let client = ClientTls::builder()
        .ca_pem(cert.as_bytes())
        .unwrap()
        .tls13(tls13)
        .build()
        .unwrap();
    (server, client)
}

#[test]
fn data_connections_resume_their_own_sessions_control_connection() {
    for tls13 in [false, true] {
        let (server, client) = pair(tls13);
        let session = server.session().unwrap();
        assert!(
            !handshake(&client, session.control()),
            "first handshake is full"
        );
        assert!(
            handshake(&client, session.data(&DOWNLOAD())),
            "tls13={tls13}"
        );
        assert!(handshake(&client, session.data(&UPLOAD())), "tls13={tls13}");
        assert!(
            handshake(&client, session.data(&DOWNLOAD())),
            "tls13={tls13}"
        );
    }
}

#[test]
fn another_sessions_data_connection_does_not_resume() {
    for tls13 in [false, true] {
        let (server, client) = pair(tls13);
        let mine = server.session().unwrap();
        let other = server.session().unwrap();
        assert!(!handshake(&client, other.control()));
        assert!(!handshake(&client, mine.data(&DOWNLOAD())), "tls13={tls13}");
    }
}

#[test]
fn tls12_resumes_through_a_long_run_of_uploads() {
    let (server, client) = pair(false);
    let session = server.session().unwrap();
    handshake(&client, session.control());
    for i in 0..20 {
        assert!(handshake(&client, session.data(&UPLOAD())), "upload {i}");
    }
}

#[test]
fn bad_pem_gives_one_clear_line() {
    let e = ServerTls::from_pem(b"nothing", b"nothing").unwrap_err();
    assert_eq!(e.to_string(), "certificate: no CERTIFICATE block in it");
    let (cert, _) = self_signed(&["localhost"]);
    let e = ServerTls::from_pem(cert.as_bytes(), b"").unwrap_err();
    assert_eq!(e.to_string(), "key: no PRIVATE KEY block in it");
    let e = ServerTls::from_pem_files("/nonexistent/c.pem".as_ref(), "/x".as_ref()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cannot read /nonexistent/c.pem: "),
        "{e}"
    );
    let (_, other_key) = self_signed(&["localhost"]);
    let e = ServerTls::from_pem(cert.as_bytes(), other_key.as_bytes()).unwrap_err();
    assert!(e.to_string().starts_with("TLS setup failed"), "{e}");
}
