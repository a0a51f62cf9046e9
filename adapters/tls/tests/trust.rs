//! Whom `ClientTls` trusts, with real rustls handshakes in memory.

mod support;

use rustls::{ClientConnection, Connection, ServerConnection};
use sansftp_tls::testing::{self_signed, self_signed_ca};
use sansftp_tls::{ClientTls, ServerTls};
use support::move_bytes;

/// A handshake between `client` (connecting to `host`) and a server showing
/// `cert`/`key`: the client's verdict.
fn connect(client: &ClientTls, host: &str, (cert, key): &(String, String)) -> Result<(), String> {
    let server = ServerTls::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
    let name = client.server_name(host).unwrap();
    let mut c = Connection::from(ClientConnection::new(client.config(), name).unwrap());
    let mut s =
        Connection::from(ServerConnection::new(server.session().unwrap().control()).unwrap());
    for _ in 0..20 {
        move_bytes(&mut c, &mut s).map_err(|e| e.to_string())?;
        // The client judges the certificate here, before the server hears its alert.
        move_bytes(&mut s, &mut c).map_err(|e| e.to_string())?;
        if !c.is_handshaking() {
            return Ok(());
        }
    }
    Err("handshake did not finish".into())
}

fn trusting(pem: &str) -> ClientTls {
    ClientTls::builder()
        .ca_pem(pem.as_bytes())
        .unwrap()
        .build()
        .unwrap()
}

#[test]
fn a_self_signed_ca_certificate_given_as_ca_file_is_trusted_for_its_names() {
    // What `openssl req -x509` makes: self-signed and CA:TRUE.
    let server = self_signed_ca(&["127.0.0.1", "ftp.example"]);
    let client = trusting(&server.0);
    assert_eq!(connect(&client, "127.0.0.1", &server), Ok(()));
    assert_eq!(connect(&client, "ftp.example", &server), Ok(()));
    let wrong = connect(&client, "other.example", &server).unwrap_err();
    assert!(wrong.contains("not valid for name"), "{wrong}");
}

#[test]
fn a_pinned_ca_certificate_does_not_vouch_for_another_one() {
    let given = self_signed_ca(&["localhost"]);
    let shown = self_signed_ca(&["localhost"]);
    let refused = connect(&trusting(&given.0), "localhost", &shown).unwrap_err();
    assert!(refused.contains("UnknownIssuer"), "{refused}");
}

#[test]
fn a_leaf_self_signed_certificate_is_trusted_and_the_system_roots_refuse_it() {
    let server = self_signed(&["localhost"]);
    assert_eq!(connect(&trusting(&server.0), "localhost", &server), Ok(()));
    if let Ok(system) = ClientTls::new() {
        let refused = connect(&system, "localhost", &server).unwrap_err();
        assert!(refused.contains("UnknownIssuer"), "{refused}");
    }
}
