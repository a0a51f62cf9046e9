//! What only the async client has, beyond the shared conformance suite
//! (`conformance.rs`): calls cancelled by dropping their futures, and
//! `DataStream::bytes_moved` (the blocking stream has no such method).

mod common;

use std::time::Duration;

use common::{Rt, TestServer, config, random_bytes};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use sansftp_async::{Client, ClientOptions};
use sansftp_storage::MemoryFs;

/// Every test gives up instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

fn options() -> ClientOptions {
    ClientOptions::new()
        .connect_timeout(LIMIT)
        .socket_timeout(LIMIT)
}

async fn alice(srv: &TestServer, options: ClientOptions) -> Client {
    let mut c = Client::connect_with(srv.addr, options)
        .await
        .expect("connect");
    c.login("alice", "secret").await.expect("login");
    c
}

/// `bytes_moved` counts the bytes on the wire: in TYPE A, one more per line end.
#[test]
fn bytes_moved_counts_the_wire_in_type_a() {
    let text: Vec<u8> = b"line one\nline two\n\nend".repeat(20_000);
    let srv = TestServer::start(
        Rt::Smol,
        config(),
        MemoryFs::new().with_file("/t.txt", text.clone()),
    );
    smol::block_on(async {
        let mut c = alice(&srv, options()).await;
        c.set_ascii(true);
        let mut s = c.download_stream("/t.txt", 0).await.unwrap();
        let mut back = Vec::new();
        s.read_to_end(&mut back).await.unwrap();
        let wire = s.bytes_moved();
        s.finish().await.unwrap();
        assert!(back == text);
        let lf = text.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(wire, text.len() as u64 + lf);
        let mut s = c.upload_stream("/u.txt", 0).await.unwrap();
        s.write_all(&text).await.unwrap();
        s.flush().await.unwrap();
        assert_eq!(s.bytes_moved(), text.len() as u64 + lf);
        s.finish().await.unwrap();
        c.quit().await.unwrap();
    });
}

/// Calls cancelled at arbitrary points (the caller drops the future, as a `select` or a
/// timeout of its own does) leave the client usable: the next call finishes what the
/// core still holds, and no temporary file is left.
#[test]
fn cancelled_calls_leave_the_client_in_step() {
    let data = random_bytes(2 << 20, 13);
    let mut fs = MemoryFs::new().with_file("/big.bin", data.clone());
    for i in 0..6 {
        fs = fs.with_file(&format!("/d{i}/sub/f.txt"), "x");
    }
    let srv = TestServer::start(Rt::Smol, config(), fs);
    let local = tempfile::tempdir().unwrap();
    smol::block_on(async {
        // Downloads at 40 MiB/s take 50 ms: cancelled anywhere in their course.
        let mut c = alice(&srv, options().read_limit(Some(40 << 20))).await;
        for step in 0..30u64 {
            let cut = Duration::from_micros(150 * step);
            let target = local.path().join("big.bin");
            match step % 3 {
                0 => {
                    let list = c.list("/", true);
                    let _ = futures_lite::future::or(async { Some(list.await) }, async {
                        async_io::Timer::after(cut * 3).await;
                        None
                    })
                    .await;
                }
                1 => {
                    let dl = c.download("/big.bin", &target);
                    let _ = futures_lite::future::or(async { Some(dl.await) }, async {
                        async_io::Timer::after(cut * 12).await;
                        None
                    })
                    .await;
                }
                _ => {
                    let open = c.download_stream("/big.bin", 0);
                    let _ = futures_lite::future::or(async { Some(open.await.map(drop)) }, async {
                        async_io::Timer::after(cut / 3).await;
                        None
                    })
                    .await;
                }
            }
            assert_eq!(c.get_current_directory().await.unwrap(), "/", "step {step}");
            assert_eq!(c.list("/d0", true).await.unwrap().len(), 2, "step {step}");
        }
        // Only finished downloads, renamed into place, are left.
        for entry in std::fs::read_dir(local.path()).unwrap() {
            let name = entry.unwrap().file_name();
            assert_eq!(name, "big.bin");
        }
        let target = local.path().join("big.bin");
        c.download("/big.bin", &target).await.unwrap();
        assert!(std::fs::read(&target).unwrap() == data);
        c.quit().await.unwrap();
    });
}
