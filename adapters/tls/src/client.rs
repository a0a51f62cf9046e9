//! The client's TLS: [`ClientTls`], one configuration for the control connection and
//! every data connection, and whom it trusts.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::is_ca_as_server;
use crate::{TlsError, pem};

/// What an FTPS client trusts and speaks. Use the same one for the control connection
/// and all its data connections (servers that require session reuse, such as vsftpd
/// with `require_ssl_reuse=YES`, accept a data connection only if it resumes the
/// control connection's session, and rustls resumes only within one configuration).
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct ClientTls {
    config: Arc<ClientConfig>,
}

impl ClientTls {
    /// The defaults: the operating system's root certificates, TLS 1.2 (see
    /// [`ClientTlsBuilder::tls13`]).
    pub fn new() -> Result<ClientTls, TlsError> {
        ClientTls::builder().build()
    }

    /// A builder, to trust a CA file or nothing, or to allow TLS 1.3.
    pub fn builder() -> ClientTlsBuilder {
        ClientTlsBuilder {
            trust: Trust::System,
            tls13: false,
        }
    }

    /// From a configuration of your own.
    pub fn from_config(config: Arc<ClientConfig>) -> ClientTls {
        ClientTls { config }
    }

    /// The configuration for every connection of one client.
    pub fn config(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.config)
    }

    /// The name certificates are checked against (and sessions are cached under):
    /// the host the control connection was opened to, a DNS name or an IP address.
    /// Use the same for data connections, never the address a `227` gave.
    pub fn server_name(&self, host: &str) -> Result<ServerName<'static>, TlsError> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        ServerName::try_from(host.to_owned()).map_err(|_| TlsError::ServerName(host.to_owned()))
    }
}

/// Builds a [`ClientTls`].
#[derive(Debug)]
pub struct ClientTlsBuilder {
    trust: Trust,
    tls13: bool,
}

#[derive(Debug)]
enum Trust {
    System,
    Roots(Vec<CertificateDer<'static>>),
    Nothing,
}

impl ClientTlsBuilder {
    /// Trusts the certificates of this PEM file (a CA, or a server's self-signed
    /// certificate) instead of the system's roots, as curl's `--cacert`.
    ///
    /// A self-signed certificate made the usual way (`openssl req -x509` marks it a
    /// CA) is accepted as the server's own certificate when the server shows exactly
    /// that certificate and it names the host; WebPKI alone refuses a CA certificate
    /// as a server's. Such a pinned certificate's validity dates are not checked.
    pub fn ca_file(self, path: &Path) -> Result<ClientTlsBuilder, TlsError> {
        let pem = pem::read(path)?;
        self.ca(&pem, &path.display().to_string())
    }

    /// The same from PEM bytes.
    pub fn ca_pem(self, pem: &[u8]) -> Result<ClientTlsBuilder, TlsError> {
        self.ca(pem, "CA certificate")
    }

    /// Checks no certificate at all: anyone on the path can read and change the
    /// session. Never the default; for test servers with throwaway certificates.
    pub fn insecure(mut self) -> ClientTlsBuilder {
        self.trust = Trust::Nothing;
        self
    }

    /// Allows TLS 1.3 as well as 1.2. Off by default: a rustls client uses each TLS 1.3
    /// session ticket once, and a server that requires session reuse and sends no
    /// ticket on upload data connections (as it should, and as sansftp's server
    /// does) refuses the data connections of a long run of uploads once the tickets
    /// from the control connection are used up; TLS 1.2 resumes one session again and
    /// again. Turn it on for servers that send tickets on every data connection.
    pub fn tls13(mut self, on: bool) -> ClientTlsBuilder {
        self.tls13 = on;
        self
    }

    /// The configuration.
    pub fn build(self) -> Result<ClientTls, TlsError> {
        let provider = crate::provider();
        let versions: &[&rustls::SupportedProtocolVersion] = if self.tls13 {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        } else {
            &[&rustls::version::TLS12]
        };
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(versions)?;
        let config = match self.trust {
            Trust::Nothing => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
                .with_no_client_auth(),
            Trust::System => builder
                .with_root_certificates(system_roots()?)
                .with_no_client_auth(),
            Trust::Roots(certs) => {
                let mut roots = RootCertStore::empty();
                for cert in &certs {
                    roots.add(cert.clone())?;
                }
                let webpki = WebPkiServerVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .map_err(|e| TlsError::Rustls(rustls::Error::General(e.to_string())))?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(CaOrPinned {
                        webpki,
                        pinned: certs,
                    }))
                    .with_no_client_auth()
            }
        };
        Ok(ClientTls {
            config: Arc::new(config),
        })
    }

    fn ca(mut self, pem: &[u8], what: &str) -> Result<ClientTlsBuilder, TlsError> {
        let certs = pem::certificates(pem, what)?;
        match &mut self.trust {
            Trust::Roots(have) => have.extend(certs),
            _ => self.trust = Trust::Roots(certs),
        }
        Ok(self)
    }
}

fn system_roots() -> Result<RootCertStore, TlsError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found
            .errors
            .first()
            .map_or_else(|| "the store is empty".to_owned(), ToString::to_string);
        return Err(TlsError::NoRoots(why));
    }
    Ok(roots)
}

/// The given CAs, through WebPKI; and a given certificate that WebPKI refuses only
/// because it is a CA (a self-signed certificate from `openssl req -x509`), when the
/// server shows exactly it and it is valid for the server's name.
#[derive(Debug)]
struct CaOrPinned {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for CaOrPinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let refused = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => return Ok(verified),
            Err(e) => e,
        };
        if !is_ca_as_server(&refused) {
            return Err(refused);
        }
        if !self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            // Another self-signed CA certificate: none of ours issued it.
            return Err(CertificateError::UnknownIssuer.into());
        }
        verify_server_name(&ParsedCertificate::try_from(end_entity)?, server_name)?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Accepts any certificate, still checking that the handshake is signed by it (so
/// the session is at least bound to the key the server showed).
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
