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
