//! Test support shared by sansftp's adapters (`publish = false`).
//!
//! - [`server_suite!`] and [`client_suite!`]: one conformance suite for every server and
//!   every client adapter, in the manner of `adapters/storage/tests/contract.rs`. The
//!   scenarios are the generic functions in [`server`] and [`client`]; an adapter's test
//!   file implements a small harness ([`server::ServerHarness`],
//!   [`client::ClientHarness`]) and invokes the macros, which expand to one `#[test]` per
//!   scenario. A scenario written once runs against every adapter, so the adapters
//!   cannot drift apart unnoticed.
//! - [`tls_suite!`]: the FTPS scenarios of both roles ([`tls`]), for adapters whose
//!   harness also implements [`client::TlsClientHarness`] and passes
//!   [`server::Spec::tls`] on.
//! - [`ftp::Ftp`]: a small raw-socket FTP client, independent of the core, so assertions
//!   check the bytes a real client sees.
//! - [`peer`]: whether an external peer (curl, lftp, python3 with pyftpdlib) is there:
//!   missing fails under `CI=true` and is skipped with a visible message elsewhere.

#![warn(missing_docs)]

pub mod client;
pub mod ftp;
pub mod peer;
pub mod server;
pub mod tls;

/// Deterministic pseudo-random bytes (xorshift), so a failure reproduces.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Every path below `root` with its bytes (`None` for a directory), sorted: two trees
/// are equal when their snapshots are. Links are left out.
pub fn snapshot(root: &std::path::Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                dirs.push(path);
                out.push((rel, None));
            } else if meta.is_file() {
                out.push((rel, Some(std::fs::read(&path).unwrap())));
            }
        }
    }
    out.sort();
    out
}
