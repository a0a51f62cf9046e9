//! `sansftp_tokio::Client` against pyftpdlib, a real server: with and without
//! MLSD/MLST, passive and active. Skipped with a message when pyftpdlib is missing
//! (failing under `CI=true`).

#[path = "../../../tests/peers/pyftpdlib.rs"]
mod pyftpdlib;

use std::time::Duration;

use pyftpdlib::PyFtpd;
use sansftp::client::ListCommand;
use sansftp::listing::Kind;
use sansftp_conformance::random_bytes;
use sansftp_tokio::{Client, ClientOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LIMIT: Duration = Duration::from_secs(10);

/// Listings, metadata, a binary round trip with resume, local files, a dropped
/// download, rename and removal; `no_mlst` hides MLSD/MLST, `active` uses PORT/EPRT.
async fn tour(no_mlst: bool, active: bool) {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("pub/sub")).unwrap();
    std::fs::write(root.path().join("pub/readme.txt"), "hello\n").unwrap();
    let Some(server) = PyFtpd::start(root.path(), no_mlst) else {
        return;
    };
    let options = ClientOptions::new()
        .connect_timeout(LIMIT)
        .socket_timeout(LIMIT)
        .active(active);
    let mut c = Client::connect_with(server.addr, options).await.unwrap();
    c.login("alice", "secret").await.unwrap();
    assert_eq!(c.features().unwrap().supports("MLST"), !no_mlst);

    let mut names: Vec<_> = c
        .list("/pub", false)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.path)
        .collect();
    names.sort();
    assert_eq!(names, [b"/pub/readme.txt".to_vec(), b"/pub/sub".to_vec()]);
    assert_eq!(
        c.list_with("/pub", false, ListCommand::List)
            .await
            .unwrap()
            .len(),
        2
    );
    let item = c.stat("/pub/readme.txt").await.unwrap();
    assert_eq!((item.entry.kind, item.entry.size), (Kind::File, Some(6)));
    assert!(c.is_dir("/pub/sub").await.unwrap());
    assert!(!c.exists("/pub/missing").await.unwrap());
    c.make_directory("/new/deeper", true).await.unwrap();
    assert!(root.path().join("new/deeper").is_dir());

    let data = random_bytes(2 << 20, 77);
    let mut s = c.upload_stream("/new/data.bin", 0).await.unwrap();
    s.write_all(&data).await.unwrap();
    s.finish().await.unwrap();
    assert!(std::fs::read(root.path().join("new/data.bin")).unwrap() == data);
    let mut s = c.download_stream("/new/data.bin", 1_500_000).await.unwrap();
    let mut tail = Vec::new();
    s.read_to_end(&mut tail).await.unwrap();
    s.finish().await.unwrap();
    assert!(tail == data[1_500_000..]);
    assert_eq!(c.size("/new/data.bin").await.unwrap(), data.len() as u64);

    let local = tempfile::tempdir().unwrap();
    let copy = local.path().join("copy.bin");
    assert_eq!(
        c.download("/new/data.bin", &copy).await.unwrap(),
        data.len() as u64
    );
    assert!(std::fs::read(&copy).unwrap() == data);
    assert_eq!(
        c.upload(&copy, "/new/again.bin").await.unwrap(),
        data.len() as u64
    );
    assert!(std::fs::read(root.path().join("new/again.bin")).unwrap() == data);

    let mut s = c.download_stream("/new/data.bin", 0).await.unwrap();
    s.read_exact(&mut [0u8; 10_000]).await.unwrap();
    drop(s);
    assert_eq!(c.get_current_directory().await.unwrap(), "/");

    c.rename("/new/data.bin", "/new/renamed.bin").await.unwrap();
    assert!(root.path().join("new/renamed.bin").is_file());
    c.remove("/new").await.unwrap();
    assert!(!root.path().join("new").exists());
    c.quit().await.unwrap();
}

#[tokio::test]
async fn passive_with_mlst() {
    tour(false, false).await;
}

#[tokio::test]
async fn passive_without_mlst() {
    tour(true, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_with_mlst() {
    tour(false, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_without_mlst() {
    tour(true, true).await;
}
