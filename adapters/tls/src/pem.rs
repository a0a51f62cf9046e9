//! Certificates and keys from PEM, with errors that name the file.

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::TlsError;

/// Every certificate in `pem` (`what` names it in errors); at least one.
pub(crate) fn certificates(
    pem: &[u8],
    what: &str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(what, e))?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            what: what.to_owned(),
            reason: "no CERTIFICATE block in it".to_owned(),
        });
    }
    Ok(certs)
}

/// The first private key in `pem` (PKCS#8, PKCS#1 or SEC1).
pub(crate) fn private_key(pem: &[u8], what: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => TlsError::Pem {
            what: what.to_owned(),
            reason: "no PRIVATE KEY block in it".to_owned(),
        },
        e => pem_error(what, e),
    })
}

/// The bytes of `path`.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

fn pem_error(what: &str, e: rustls_pki_types::pem::Error) -> TlsError {
    TlsError::Pem {
        what: what.to_owned(),
        reason: format!("not valid PEM ({e})"),
    }
}
