//! [`TlsError`]: what can go wrong setting TLS up, in one line each.

use std::path::PathBuf;

use rustls::{CertificateError, OtherError};

/// A certificate, key or trust setting that cannot be used. `Display` is one line
/// naming the file and the reason, fit for a command-line error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A PEM file (or buffer) holds nothing usable of what was asked for.
    #[error("{what}: {reason}")]
    Pem {
        /// The file, or "certificate"/"key" for a buffer.
        what: String,
        /// Why.
        reason: String,
    },
    /// rustls refused the setting (a key that does not match the certificate, an
    /// unsupported key type, a protocol version the provider lacks).
    #[error("TLS setup failed: {0}")]
    Rustls(#[from] rustls::Error),
    /// A host name that is not a valid DNS name or IP address for certificate checks.
    #[error("invalid TLS server name {0:?}")]
    ServerName(String),
    /// The operating system's trust store gave no certificate.
    #[error("no trusted root certificates found in the system store: {0}")]
    NoRoots(String),
}

/// A failed client handshake with `host`, as one line for the user (`what` says which
/// connection, e.g. `" on the data connection"`, or is empty for the control one):
/// "TLS handshake with ftp.example.com failed: the server's certificate is not trusted
/// (UnknownIssuer)". `e` is the rustls error, or an `io::Error` carrying one. Both
/// adapters word it so.
pub fn handshake_failed(
    e: &(dyn std::error::Error + 'static),
    kind: std::io::ErrorKind,
    host: &str,
    what: &str,
) -> std::io::Error {
    let why = match rustls_error(e) {
        Some(e) if untrusted(e) => format!("{UNTRUSTED} ({})", reason(e)),
        _ => e.to_string(),
    };
    std::io::Error::new(
        kind,
        format!("TLS handshake with {host}{what} failed: {why}"),
    )
}

/// Part of [`handshake_failed`]'s line when the server's certificate chains to nothing
/// the client trusts (a command-line tool may add how to trust it).
pub const UNTRUSTED: &str = "the server's certificate is not trusted";

/// Whether a read error on a TLS stream is rustls's "the peer closed the TCP connection
/// without `close_notify`": the data may be cut short (an upload is then
/// `TransferError::Truncated`, a download an error).
pub fn is_truncation(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::UnexpectedEof
}

/// The [`TransferError`](sansftp::server::TransferError) of a failed read on an
/// upload's data connection: a truncation ([`is_truncation`]) is
/// `TransferError::Truncated` (the upload is never committed), the rest a broken
/// connection.
pub fn read_error(e: std::io::Error) -> sansftp::server::TransferError {
    if is_truncation(&e) {
        sansftp::server::TransferError::Truncated
    } else {
        sansftp::server::TransferError::Broken(e.to_string())
    }
}

fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(e) = e.downcast_ref::<rustls::Error>() {
        return Some(e);
    }
    let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    inner.downcast_ref::<rustls::Error>()
}

/// A certificate signed by no trusted CA (or by one with the same name as a trusted
/// one: `BadSignature`), or a self-signed CA certificate not given.
fn untrusted(e: &rustls::Error) -> bool {
    match e {
        rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        ) => true,
        e => is_ca_as_server(e),
    }
}

/// WebPKI's refusal of a CA certificate as a server's (`CaUsedAsEndEntity`): a
/// self-signed certificate as `openssl req -x509` makes one.
pub(crate) fn is_ca_as_server(e: &rustls::Error) -> bool {
    matches!(e,
        rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(e)))
            if e.downcast_ref::<webpki::Error>() == Some(&webpki::Error::CaUsedAsEndEntity))
}

/// rustls's own name of a certificate error, without its "invalid peer certificate".
fn reason(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(e))) => e.to_string(),
        rustls::Error::InvalidCertificate(e) => format!("{e:?}"),
        e => e.to_string(),
    }
}
