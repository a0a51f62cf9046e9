//! An S3 server on loopback for the tests: `.ci/run` starts `moto_server` and exports
//! its address as `SANSFTP_S3_ENDPOINT` (`http://127.0.0.1:PORT`). Without it the tests
//! fail under `CI=true` and are skipped with a message elsewhere.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;

/// The variable `.ci/run` exports.
pub const ENDPOINT_VAR: &str = "SANSFTP_S3_ENDPOINT";

/// The S3 server's endpoint, if there is one (see the module docs).
pub fn endpoint() -> Option<String> {
    let found = std::env::var(ENDPOINT_VAR).ok().filter(|e| !e.is_empty());
    let hint = "start `moto_server -H 127.0.0.1 -p 5077` and set SANSFTP_S3_ENDPOINT=http://127.0.0.1:5077";
    if !sansftp_conformance::peer::require("an S3 server", found.is_some(), hint) {
        return None;
    }
    found
}

/// Creates `bucket` (an unsigned `PUT /bucket`, which moto accepts; an existing bucket
/// is fine).
pub fn ensure_bucket(endpoint: &str, bucket: &str) {
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(host).expect("connect to the S3 server");
    write!(
        s,
        "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(
        reply.starts_with("HTTP/1.1 200") || reply.contains("BucketAlreadyOwnedByYou"),
        "creating bucket {bucket}: {reply}"
    );
}

/// A client of `bucket` on the test server, with the test credentials.
pub fn s3(endpoint: &str, bucket: &str) -> Arc<dyn ObjectStore> {
    let store = AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_access_key_id("test")
        .with_secret_access_key("test")
        .with_bucket_name(bucket)
        .build()
        .expect("an S3 client");
    Arc::new(store)
}

/// A key prefix no other test (or run) uses.
pub fn unique_prefix(what: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{what}-{}-{nanos}-{n}", std::process::id())
}
