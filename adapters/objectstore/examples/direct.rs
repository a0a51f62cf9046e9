//! The reference of `scripts/bench-s3.sh`: one object put and got straight through
//! `object_store`, no FTP, in the way `ObjectStoreFs` does it (a multipart upload of
//! the same part size, a streamed GET), so "FTP / direct" is what serving it over FTP
//! costs.
//!
//! ```text
//! cargo run --release -p sansftp-objectstore --example direct -- s3://BUCKET/KEY FILE
//! ```
//!
//! Reads the S3 settings from the AWS environment variables (as `sansftp serve --s3`),
//! uploads FILE to KEY, downloads it back (checking its length), and prints one line:
//! `put SECONDS get SECONDS bytes N`.

use std::io::Read;
use std::time::Instant;

use futures::StreamExt;
use object_store::path::Path;
use object_store::{ObjectStoreExt, WriteMultipart};
use sansftp_objectstore::{ObjectStoreFs, PART_SIZE, PARTS_IN_FLIGHT};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, file] = args.as_slice() else {
        return Err("usage: direct s3://BUCKET/KEY FILE".into());
    };
    let (bucket, key) = url
        .strip_prefix("s3://")
        .and_then(|rest| rest.split_once('/'))
        .ok_or("expected s3://BUCKET/KEY")?;
    let fs = ObjectStoreFs::s3(&format!("s3://{bucket}"))?;
    let (store, runtime) = (fs.store().clone(), fs.runtime().clone());
    let key = Path::parse(key)?;
    // WriteMultipart spawns its parts on the current runtime.
    let _inside = runtime.enter();

    let started = Instant::now();
    let mut input = std::fs::File::open(file)?;
    let upload = runtime.block_on(store.put_multipart(&key))?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        runtime.block_on(writer.wait_for_capacity(PARTS_IN_FLIGHT))?;
        writer.put(bytes::Bytes::copy_from_slice(&buf[..n]));
    }
    runtime.block_on(writer.finish())?;
    let put = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut body = runtime.block_on(store.get(&key))?.into_stream();
    let mut bytes = 0u64;
    while let Some(chunk) = runtime.block_on(body.next()) {
        bytes += chunk?.len() as u64;
    }
    let get = started.elapsed().as_secs_f64();
    println!("put {put:.3} get {get:.3} bytes {bytes}");
    Ok(())
}
