//! The server's TLS: [`ServerTls`] (certificate and key) and, per FTP session,
//! [`SessionTls`] (the configurations that session's connections use).

use std::path::Path;
use std::sync::Arc;

use rustls::server::{ProducesTickets, ServerSessionMemoryCache, StoresServerSessions};
use rustls::{CommonState, HandshakeKind, ServerConfig};
use sansftp::server::DataTls;

use crate::{TlsError, pem};

/// TLS 1.3 session tickets sent on the control connection: each data connection of a
/// rustls client uses one up, and one comes back on each download or listing.
const CONTROL_TICKETS: usize = 8;
/// TLS 1.2 sessions (by id) one FTP session keeps: it needs only its own.
const SESSIONS_KEPT: usize = 32;

/// A server's certificate chain and key, ready to make each FTP session's
/// [`SessionTls`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ServerTls {
    base: Arc<ServerConfig>,
}

impl ServerTls {
    /// Reads a PEM certificate chain (leaf first) and a PEM private key (PKCS#8,
    /// PKCS#1 or SEC1) from files.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<ServerTls, TlsError> {
        let certs = pem::certificates(&pem::read(cert)?, &cert.display().to_string())?;
        let key = pem::private_key(&pem::read(key)?, &key.display().to_string())?;
        ServerTls::from_der(certs, key)
    }

    /// The same from PEM bytes.
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<ServerTls, TlsError> {
        let certs = pem::certificates(cert, "certificate")?;
        let key = pem::private_key(key, "key")?;
        ServerTls::from_der(certs, key)
    }

    /// From a chain and key already parsed.
    pub fn from_der(
        certs: Vec<rustls_pki_types::CertificateDer<'static>>,
        key: rustls_pki_types::PrivateKeyDer<'static>,
    ) -> Result<ServerTls, TlsError> {
        let config = ServerConfig::builder_with_provider(crate::provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(certs, key)?;
        Ok(ServerTls::from_config(config))
    }

    /// From a configuration of your own (client certificates, other versions or
    /// suites). Its resumption store, ticketer and ticket count are replaced in each
    /// [`SessionTls`].
    pub fn from_config(config: ServerConfig) -> ServerTls {
        ServerTls {
            base: Arc::new(config),
        }
    }

    /// The configurations for one new FTP session (one control connection and its
    /// data connections). Call once per accepted control connection.
    pub fn session(&self) -> Result<SessionTls, TlsError> {
        let store: Arc<dyn StoresServerSessions> = ServerSessionMemoryCache::new(SESSIONS_KEPT);
        let ticketer: Arc<dyn ProducesTickets> = rustls::crypto::ring::Ticketer::new()?;
        let make = |tickets: usize| {
            let mut c = (*self.base).clone();
            c.session_storage = Arc::clone(&store);
            c.ticketer = Arc::clone(&ticketer);
            c.send_tls13_tickets = tickets;
            Arc::new(c)
        };
        Ok(SessionTls {
            control: make(CONTROL_TICKETS),
            data_without_tickets: make(0),
            data_with_ticket: make(1),
        })
    }
}

/// One FTP session's TLS configurations. They share a session store and a ticket key
/// no other session has, so a data connection can resume only a session that one of
/// this session's connections made: a [`resumed`] handshake proves the data
/// connection belongs to this control connection.
#[derive(Debug, Clone)]
pub struct SessionTls {
    control: Arc<ServerConfig>,
    data_without_tickets: Arc<ServerConfig>,
    data_with_ticket: Arc<ServerConfig>,
}

impl SessionTls {
    /// For the control connection (`AUTH TLS`, or an implicit-TLS accept).
    pub fn control(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.control)
    }

    /// For a data connection, as the core's [`Transfer::tls`](sansftp::server::Transfer::tls)
    /// says (no tickets on uploads).
    pub fn data(&self, tls: &DataTls) -> Arc<ServerConfig> {
        if tls.session_tickets == 0 {
            Arc::clone(&self.data_without_tickets)
        } else {
            Arc::clone(&self.data_with_ticket)
        }
    }
}

/// Whether a finished handshake resumed an earlier session; with a [`SessionTls`]
/// configuration, one of the same FTP session's. What the adapter reports to
/// `Session::data_secured`.
pub fn resumed(state: &CommonState) -> bool {
    matches!(state.handshake_kind(), Some(HandshakeKind::Resumed))
}
