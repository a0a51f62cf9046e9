//! Self-signed certificates made at run time, for tests (feature `testing`). Nothing
//! here belongs in production.

/// A fresh self-signed certificate for `names` (DNS names or IP addresses) and its
/// private key, both PEM.
pub fn self_signed(names: &[&str]) -> (String, String) {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    // A test helper: rcgen only fails for names it cannot encode, and tests pass
    // literal host names.
    let cert = rcgen::generate_simple_self_signed(names).expect("self-signed test certificate");
    (cert.cert.pem(), cert.signing_key.serialize_pem())
}

/// The same, marked as a CA (`basicConstraints CA:TRUE`), as `openssl req -x509`
/// makes a self-signed certificate by default.
pub fn self_signed_ca(names: &[&str]) -> (String, String) {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    // As above: literal test names encode, and key generation with ring does not fail.
    let mut params = rcgen::CertificateParams::new(names).expect("test certificate names");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key = rcgen::KeyPair::generate().expect("test key");
    let cert = params
        .self_signed(&key)
        .expect("self-signed test CA certificate");
    (cert.pem(), key.serialize_pem())
}
