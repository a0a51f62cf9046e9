//! The FTPS scenarios of both roles, and what they share: certificates made at run
//! time ([`Certs`]) and [`Ftps`], a raw FTPS client on rustls's blocking
//! [`StreamOwned`], independent of the core and of the adapters, so assertions check
//! what a real TLS client sees. [`tls_suite!`](crate::tls_suite) turns the scenarios
//! into `#[test]`s for a harness that implements
//! [`TlsClientHarness`](crate::client::TlsClientHarness).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;

use sansftp_tls::rustls::pki_types::ServerName;
use sansftp_tls::rustls::{ClientConfig, ClientConnection, StreamOwned};
use sansftp_tls::{ClientTls, ServerTls};

use crate::ftp::{Reply, TIMEOUT, connect_data, parse_227};

pub use crate::client::tls::*;
pub use crate::server::tls::*;

/// The name every certificate here is for, and the one clients check.
pub const NAME: &str = "localhost";

/// A self-signed certificate for `localhost` and `127.0.0.1`, and its key.
pub struct Certs {
    /// The certificate, PEM.
    pub cert: String,
    /// Its private key, PEM.
    pub key: String,
}

impl Certs {
    /// A fresh pair.
    pub fn new() -> Certs {
        let (cert, key) = sansftp_tls::testing::self_signed(&[NAME, "127.0.0.1"]);
        Certs { cert, key }
    }

    /// The server's side.
    pub fn server(&self) -> ServerTls {
        ServerTls::from_pem(self.cert.as_bytes(), self.key.as_bytes()).expect("server TLS")
    }

    /// A client that trusts this certificate (TLS 1.2, the default).
    pub fn client(&self) -> ClientTls {
        self.client_with(false)
    }

    /// The same, with TLS 1.3 allowed when `tls13`.
    pub fn client_with(&self, tls13: bool) -> ClientTls {
        ClientTls::builder()
            .ca_pem(self.cert.as_bytes())
            .expect("CA")
            .tls13(tls13)
            .build()
            .expect("client TLS")
    }
}

impl Default for Certs {
    fn default() -> Certs {
        Certs::new()
    }
}

/// A rustls client stream over a TCP connection.
pub type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// A TLS client connection over `tcp` (the handshake runs with the first read or
/// write), checking [`NAME`].
pub fn tls_over(tcp: TcpStream, config: &Arc<ClientConfig>) -> TlsStream {
    let name = ServerName::try_from(NAME).expect("a valid name");
    let conn = ClientConnection::new(Arc::clone(config), name).expect("a TLS client");
    StreamOwned::new(conn, tcp)
}

/// Reads to the server's `close_notify` (an end of file without one fails), then
/// sends ours.
pub fn read_tls_to_end(mut s: TlsStream) -> Vec<u8> {
    let mut v = Vec::new();
    s.read_to_end(&mut v)
        .expect("data read to the server's close_notify");
    close_tls(s);
    v
}

/// Sends `bytes`, then `close_notify`, then reads until the server's `close_notify`
/// (which it must send), then closes.
pub fn write_tls(mut s: TlsStream, bytes: &[u8]) {
    // An empty write runs no handshake.
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock).expect("data handshake");
    }
    s.write_all(bytes).expect("data write");
    s.conn.send_close_notify();
    s.flush().expect("flush close_notify");
    let mut rest = Vec::new();
    s.read_to_end(&mut rest)
        .expect("the server's close_notify after an upload");
    assert!(rest.is_empty());
    let _ = s.sock.shutdown(Shutdown::Both);
}

/// Sends our `close_notify` and closes.
pub fn close_tls(mut s: TlsStream) {
    s.conn.send_close_notify();
    let _ = s.flush();
    let _ = s.sock.shutdown(Shutdown::Both);
}

/// A raw FTPS control connection: plaintext until [`Ftps::secure`] (or TLS from the
/// start, [`Ftps::implicit`]), then one TLS session whose configuration the data
/// connections reuse (so the server sees them resume it).
pub struct Ftps {
    tcp: TcpStream,
    ctrl: Box<dyn ReadWrite>,
    pending: Vec<u8>,
    /// The configuration of the control connection, for data connections.
    pub config: Arc<ClientConfig>,
    /// The server's first reply.
    pub greeting: Reply,
}

trait ReadWrite: Read + Write + Send {}
impl<T: Read + Write + Send> ReadWrite for T {}

impl Ftps {
    fn open(addr: SocketAddr, config: Arc<ClientConfig>, implicit: bool) -> Ftps {
        let tcp = connect_data(addr);
        let ctrl: Box<dyn ReadWrite> = match implicit {
            true => Box::new(tls_over(tcp.try_clone().expect("clone"), &config)),
            false => Box::new(tcp.try_clone().expect("clone")),
        };
        let mut ftps = Ftps {
            tcp,
            ctrl,
            pending: Vec::new(),
            config,
            greeting: Reply {
                code: 0,
                text: String::new(),
            },
        };
        ftps.greeting = ftps.reply();
        ftps
    }

    /// Connects in plaintext and reads the greeting.
    pub fn plain(addr: SocketAddr, tls: &ClientTls) -> Ftps {
        Ftps::open(addr, tls.config(), false)
    }

    /// Connects with TLS from the first byte (implicit FTPS) and reads the greeting.
    pub fn implicit(addr: SocketAddr, tls: &ClientTls) -> Ftps {
        Ftps::open(addr, tls.config(), true)
    }

    /// Connects, `AUTH TLS` (234), handshake.
    pub fn explicit(addr: SocketAddr, tls: &ClientTls) -> Ftps {
        let mut ftps = Ftps::plain(addr, tls);
        assert_eq!(ftps.greeting.code, 220, "{:?}", ftps.greeting);
        ftps.expect("AUTH TLS", 234);
        ftps.secure();
        ftps
    }

    /// Runs TLS on the control connection from now on (after a `234`).
    pub fn secure(&mut self) {
        assert!(
            self.pending.is_empty(),
            "bytes after 234: {:?}",
            self.pending
        );
        let tcp = self.tcp.try_clone().expect("clone");
        self.ctrl = Box::new(tls_over(tcp, &self.config));
    }

    /// `USER alice`, `PASS secret`, `PBSZ 0`, `PROT P`, `TYPE I`.
    pub fn login_protected(&mut self) {
        self.expect("USER alice", 331);
        self.expect("PASS secret", 230);
        self.expect("PBSZ 0", 200);
        self.expect("PROT P", 200);
        self.expect("TYPE I", 200);
    }

    /// Sends `line` and CRLF.
    pub fn send(&mut self, line: &str) {
        let bytes = format!("{line}\r\n");
        self.send_raw(bytes.as_bytes());
    }

    /// Sends bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.ctrl.write_all(bytes).expect("control write");
        self.ctrl.flush().expect("control flush");
    }

    /// Reads one reply (multi-line aware); panics on end of file or timeout.
    pub fn reply(&mut self) -> Reply {
        let first = self.line();
        let code: u16 = first
            .get(..3)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("not a reply: {first:?}"));
        let mut text = first.clone();
        if first.as_bytes().get(3) == Some(&b'-') {
            let end = format!("{code} ");
            loop {
                let line = self.line();
                text.push_str(&line);
                if line.starts_with(&end) {
                    break;
                }
            }
        }
        Reply { code, text }
    }

    fn line(&mut self) -> String {
        loop {
            if let Some(i) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=i).collect();
                return String::from_utf8_lossy(&line).into_owned();
            }
            let mut buf = [0u8; 4096];
            match self.ctrl.read(&mut buf) {
                Ok(0) => panic!("the server closed the control connection"),
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e) => panic!("control read: {e}"),
            }
        }
    }

    /// Sends `line` and asserts the reply's code.
    pub fn expect(&mut self, line: &str, code: u16) -> Reply {
        self.send(line);
        self.expect_reply(code)
    }

    /// Reads one reply and asserts its code.
    pub fn expect_reply(&mut self, code: u16) -> Reply {
        let r = self.reply();
        assert_eq!(r.code, code, "{r:?}");
        r
    }

    /// `PASV`, connect, send `line`, expect `150`: the data connection, TLS with the
    /// control connection's configuration (the handshake runs on first use).
    pub fn open_data(&mut self, line: &str) -> TlsStream {
        let config = Arc::clone(&self.config);
        self.open_data_with(line, &config)
    }

    /// The same with another configuration (which cannot resume our session).
    pub fn open_data_with(&mut self, line: &str, config: &Arc<ClientConfig>) -> TlsStream {
        let r = self.expect("PASV", 227);
        let data = connect_data(parse_227(&r.text));
        self.expect(line, 150);
        tls_over(data, config)
    }

    /// A download-like command over TLS: 150, the bytes to the server's
    /// `close_notify`, 226.
    pub fn download(&mut self, line: &str) -> Vec<u8> {
        let data = self.open_data(line);
        let bytes = read_tls_to_end(data);
        self.expect_reply(226);
        bytes
    }

    /// An upload over TLS with clean `close_notify`s both ways: 150, 226.
    pub fn upload(&mut self, line: &str, bytes: &[u8]) {
        let data = self.open_data(line);
        write_tls(data, bytes);
        self.expect_reply(226);
    }

    /// `QUIT`, expecting 221.
    pub fn quit(mut self) {
        self.expect("QUIT", 221);
    }
}

/// The bound on every wait (the raw client's sockets have it too).
pub const LIMIT: std::time::Duration = TIMEOUT;

/// Expands to one `#[test]` per FTPS scenario of both roles (server scenarios against
/// the raw [`Ftps`] client, client scenarios against the adapter's own server), in a
/// module `$module`, each running against `$harness`, which must implement
/// [`TlsClientHarness`](crate::client::TlsClientHarness) and pass
/// [`Spec::tls`](crate::server::Spec::tls) and
/// [`Spec::implicit_tls`](crate::server::Spec::implicit_tls) to its server.
#[macro_export]
macro_rules! tls_suite {
    ($module:ident, $harness:expr) => {
        $crate::__tests!(
            $module,
            $harness,
            tls,
            [
                server_explicit_transfers_byte_exact,
                server_implicit_transfers_byte_exact,
                server_feat_lists_tls_and_drops_injected_commands,
                server_refuses_a_data_connection_that_does_not_resume,
                server_truncated_upload_gets_426_and_keeps_the_old_file,
                server_required_tls_refuses_plaintext,
                server_implicit_without_certificate_fails_at_start,
                server_failed_handshake_keeps_serving,
                client_explicit_round_trip,
                client_implicit_round_trip,
                client_active_mode_over_tls,
                client_tls13_resumes_across_transfers,
                client_on_a_server_that_requires_tls,
                client_wrong_ca_fails_clearly,
                client_tls_options_without_a_configuration_fail,
            ]
        );
    };
}

/// The server half of [`tls_suite!`](crate::tls_suite): one `#[test]` per FTPS server
/// scenario (against the raw [`Ftps`] client), for an adapter that has a server and no
/// client yet; `$harness` implements [`ServerHarness`](crate::server::ServerHarness)
/// only. The list is `tls_suite!`'s `server_` entries.
#[macro_export]
macro_rules! tls_server_suite {
    ($module:ident, $harness:expr) => {
        $crate::__tests!(
            $module,
            $harness,
            tls,
            [
                server_explicit_transfers_byte_exact,
                server_implicit_transfers_byte_exact,
                server_feat_lists_tls_and_drops_injected_commands,
                server_refuses_a_data_connection_that_does_not_resume,
                server_truncated_upload_gets_426_and_keeps_the_old_file,
                server_required_tls_refuses_plaintext,
                server_implicit_without_certificate_fails_at_start,
                server_failed_handshake_keeps_serving,
            ]
        );
    };
}

/// The client half of [`tls_suite!`](crate::tls_suite): one `#[test]` per FTPS client
/// scenario, for an adapter whose server scenarios run in another module (with
/// [`tls_server_suite!`](crate::tls_server_suite)); `$harness` implements
/// [`TlsClientHarness`](crate::client::TlsClientHarness). The list is `tls_suite!`'s
/// `client_` entries.
#[macro_export]
macro_rules! tls_client_suite {
    ($module:ident, $harness:expr) => {
        $crate::__tests!(
            $module,
            $harness,
            tls,
            [
                client_explicit_round_trip,
                client_implicit_round_trip,
                client_active_mode_over_tls,
                client_tls13_resumes_across_transfers,
                client_on_a_server_that_requires_tls,
                client_wrong_ca_fails_clearly,
                client_tls_options_without_a_configuration_fail,
            ]
        );
    };
}
