//! Cancel safety of the tokio client: calls dropped at arbitrary points (as
//! `tokio::time::timeout` or `select!` drop them) and streams dropped midway leave the
//! client usable, and no temporary file is left.

use std::time::Duration;

use sansftp_conformance::random_bytes;
use sansftp_tokio::{Client, ClientOptions, Config, MemoryFs, Server, User};
use tokio::io::AsyncReadExt;
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

/// A server with a 2 MiB file and a small tree, and a client logged in to it whose
/// downloads run at 40 MiB/s (50 ms for the file: long enough to be cut anywhere),
/// in active mode when `active`.
async fn setup(data: &[u8], active: bool) -> Client {
    let mut fs = MemoryFs::new().with_file("/big.bin", data.to_vec());
    for i in 0..6 {
        fs = fs.with_file(&format!("/d{i}/sub/f.txt"), "x");
    }
    let config = Config::new().user(User::new("alice", "secret"));
    let server = Server::builder(fs)
        .config(config)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr();
    tokio::spawn(server.run());
    let options = ClientOptions::new()
        .connect_timeout(LIMIT)
        .socket_timeout(LIMIT)
        .read_limit(Some(40 << 20))
        .active(active);
    let mut c = Client::connect_with(addr, options).await.unwrap();
    c.login("alice", "secret").await.unwrap();
    c
}

async fn cancelled_calls(active: bool) {
    let data = random_bytes(2 << 20, 13);
    let mut c = setup(&data, active).await;
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("big.bin");
    for step in 0..30u32 {
        let cut = Duration::from_micros(150 * u64::from(step));
        match step % 4 {
            0 => drop(timeout(cut * 3, c.list("/", true)).await),
            1 => drop(timeout(cut * 12, c.download("/big.bin", &target)).await),
            2 => drop(
                timeout(cut / 3, c.download_stream("/big.bin", 0))
                    .await
                    .map(|s| s.map(drop)),
            ),
            _ => {
                // A stream dropped midway, and a listing stream dropped after one entry.
                let mut s = c.download_stream("/big.bin", 0).await.unwrap();
                s.read_exact(&mut [0u8; 4096]).await.unwrap();
                drop(s);
                let mut entries = c.list_stream("/", true).await.unwrap();
                assert!(entries.next().await.unwrap().is_ok());
            }
        }
        assert_eq!(c.get_current_directory().await.unwrap(), "/", "step {step}");
        assert_eq!(c.list("/d0", true).await.unwrap().len(), 2, "step {step}");
    }
    // Only finished downloads, renamed into place, are left.
    for entry in std::fs::read_dir(local.path()).unwrap() {
        assert_eq!(entry.unwrap().file_name(), "big.bin");
    }
    c.download("/big.bin", &target).await.unwrap();
    assert!(std::fs::read(&target).unwrap() == data);
    c.quit().await.unwrap();
}

#[tokio::test]
async fn cancelled_calls_leave_the_client_in_step_current_thread() {
    cancelled_calls(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_calls_in_active_mode_multi_thread() {
    cancelled_calls(true).await;
}

/// The client's futures and streams can move between a multi-thread runtime's workers
/// (`tokio::spawn` needs `Send`): checked at compile time.
#[allow(dead_code)]
async fn futures_are_send(c: &mut Client) {
    fn send<T: Send>(_: &T) {}
    send(&c.list("/", true));
    send(&c.upload("/tmp/a", "/a"));
    send(&c.download("/a", "/tmp/a"));
    send(&c.abort());
    let s = c.download_stream("/a", 0);
    send(&s);
    let mut s = s.await.unwrap();
    send(&s);
    send(&s.read(&mut [0u8; 1]));
    drop(s);
    let mut entries = c.list_stream("/", false).await.unwrap();
    send(&entries.next());
    send(&entries);
}
