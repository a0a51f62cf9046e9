//! FTPS in the client core against the server core (RFC 4217), in memory: `AUTH TLS`
//! and its handshake, `PBSZ 0` + `PROT P` after login, transfers that run TLS, and a
//! server that requires TLS.

use sansftp::Error;
use sansftp::client::testing::Pair;
use sansftp::client::{Config, Operation, Output, Session, Value};
use sansftp::server::TlsPolicy;
use sansftp::server::testing::{sample_config, sample_fs};

fn pair(policy: TlsPolicy, client: Config) -> Pair {
    let mut p = Pair::new(sample_config().tls(policy), client);
    p.server.fs = sample_fs();
    p
}

fn login(p: &mut Pair) -> Result<Value, Error> {
    p.run(Operation::Login {
        user: "alice".into(),
        password: "secret".into(),
        account: String::new(),
    })
}

#[test]
fn explicit_tls_then_login_protects_data_connections() {
    let mut p = pair(TlsPolicy::explicit().required(true), Config::default());
    assert!(!p.client.is_secure());
    p.run(Operation::SecureControl).expect("AUTH TLS");
    assert_eq!(p.tls_upgrades, 1);
    assert_eq!(p.server.tls_upgrades, 1);
    assert!(p.client.is_secure());
    login(&mut p).expect("login over TLS");
    let text = p.client_text();
    let auth = text.find("AUTH TLS\r\n").expect("AUTH sent");
    let user = text.find("USER alice").expect("USER sent");
    let pbsz = text.find("PBSZ 0\r\n").expect("PBSZ sent");
    let prot = text.find("PROT P\r\n").expect("PROT sent");
    assert!(auth < user && user < pbsz && pbsz < prot, "{text}");
    p.run(Operation::Download {
        path: b"notes.txt".to_vec(),
        offset: 0,
        ascii: false,
    })
    .expect("protected download");
    assert_eq!(p.downloaded, b"line one\nline two\n");
    assert_eq!(p.data_tls, [true]);
    assert!(p.server.transfers[0].tls.is_some());
}

#[test]
fn without_auth_a_login_sends_no_pbsz_and_transfers_are_plain() {
    let mut p = pair(TlsPolicy::explicit(), Config::default());
    login(&mut p).expect("plain login");
    assert!(!p.client_text().contains("PBSZ"));
    p.run(Operation::Download {
        path: b"notes.txt".to_vec(),
        offset: 0,
        ascii: false,
    })
    .expect("plain download");
    assert_eq!(p.data_tls, [false]);
}

#[test]
fn protect_data_off_keeps_data_in_plaintext() {
    let mut client = Config::default();
    client.protect_data = false;
    let mut p = pair(TlsPolicy::explicit(), client);
    p.run(Operation::SecureControl).expect("AUTH TLS");
    login(&mut p).expect("login");
    assert!(!p.client_text().contains("PROT"));
    // A server that requires protected data refuses the plaintext transfer.
    let mut client = Config::default();
    client.protect_data = false;
    let mut p = pair(TlsPolicy::explicit().required(true), client);
    p.run(Operation::SecureControl).expect("AUTH TLS");
    login(&mut p).expect("login");
    let e = p
        .run(Operation::Download {
            path: b"notes.txt".to_vec(),
            offset: 0,
            ascii: false,
        })
        .expect_err("521");
    assert!(e.to_string().contains("521"), "{e}");
}

#[test]
fn a_server_without_tls_fails_secure_control_with_its_502() {
    let mut p = Pair::new(sample_config(), Config::default());
    let e = p.run(Operation::SecureControl).expect_err("no TLS");
    assert!(e.to_string().contains("502"), "{e}");
    assert_eq!(p.tls_upgrades, 0);
    assert!(!p.client.is_secure());
    // The session goes on in plaintext.
    login(&mut p).expect("plain login");
}

#[test]
fn a_plaintext_login_to_a_server_that_requires_tls_fails_with_530() {
    let mut p = pair(TlsPolicy::explicit().required(true), Config::default());
    let e = login(&mut p).expect_err("530");
    assert!(e.to_string().contains("530"), "{e}");
}

#[test]
fn a_reply_before_the_handshake_ends_is_an_error() {
    let peer = "192.0.2.1:21".parse().unwrap();
    let local = "192.0.2.9:5000".parse().unwrap();
    let now = std::time::Instant::now();
    let mut s = Session::new(Config::default(), peer, local, now);
    s.handle_control(b"220 hi\r\n", now);
    while s.poll_output().is_some() {}
    s.start(Operation::SecureControl, now, std::time::SystemTime::now())
        .unwrap();
    while s.poll_output().is_some() {}
    s.handle_control(b"234 go\r\n", now);
    assert!(matches!(s.poll_output(), Some(Output::SecureControl)));
    // A plaintext reply where the TLS handshake should be.
    s.handle_control(b"200 injected\r\n", now);
    let mut failed = false;
    while let Some(o) = s.poll_output() {
        if let Output::Done(r) = o {
            failed = r.is_err();
        }
    }
    assert!(failed);
    assert!(!s.is_secure());
}

#[test]
fn implicit_tls_is_secure_from_the_start() {
    let peer = "192.0.2.1:990".parse().unwrap();
    let local = "192.0.2.9:5000".parse().unwrap();
    let now = std::time::Instant::now();
    let mut s = Session::new(Config::default(), peer, local, now);
    s.control_secured(now);
    assert!(s.is_secure());
    s.handle_control(b"220 hi\r\n", now);
    let mut greeted = false;
    while let Some(o) = s.poll_output() {
        greeted |= matches!(o, Output::Done(Ok(Value::Greeting(_))));
    }
    assert!(greeted, "the greeting still completes");
}

#[test]
fn config_tls_explicit_sends_auth_tls_right_after_the_greeting() {
    let mut client = Config::default();
    client.tls = Some(sansftp::client::TlsMode::Explicit);
    let mut p = pair(TlsPolicy::explicit().required(true), client);
    // Pair::new drove the greeting: AUTH TLS and the handshake are part of it.
    assert!(
        p.client_text().starts_with("AUTH TLS\r\n"),
        "{}",
        p.client_text()
    );
    assert_eq!(p.tls_upgrades, 1);
    assert!(p.client.is_secure());
    login(&mut p).expect("login");
    p.run(Operation::List {
        path: Vec::new(),
        recursive: false,
        command: sansftp::client::ListCommand::Auto,
    })
    .expect("protected listing");
    assert_eq!(p.data_tls, [true]);
}

#[test]
fn config_tls_implicit_asks_for_the_handshake_before_the_greeting() {
    let mut client = Config::default();
    client.tls = Some(sansftp::client::TlsMode::Implicit);
    let peer = "192.0.2.1:990".parse().unwrap();
    let local = "192.0.2.9:5000".parse().unwrap();
    let now = std::time::Instant::now();
    let mut s = Session::new(client, peer, local, now);
    assert!(matches!(s.poll_output(), Some(Output::SecureControl)));
    assert!(s.poll_output().is_none());
    s.control_secured(now);
    s.handle_control(b"220 hi\r\n", now);
    assert!(matches!(
        s.poll_output(),
        Some(Output::Done(Ok(Value::Greeting(_))))
    ));
    assert!(s.is_secure());
}
