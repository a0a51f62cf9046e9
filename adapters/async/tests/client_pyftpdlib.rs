//! `sansftp_async::Client` against pyftpdlib, a real server: with and without MLSD/MLST,
//! passive and active. Skipped with a message when pyftpdlib is missing (failing under
//! `CI=true`).

mod common;
#[path = "../../../tests/peers/pyftpdlib.rs"]
mod pyftpdlib;

use std::time::Duration;

use common::random_bytes;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use pyftpdlib::PyFtpd;
use sansftp::client::ListCommand;
use sansftp::listing::Kind;
use sansftp_async::{Client, ClientOptions};

const LIMIT: Duration = Duration::from_secs(10);

fn names(items: &[sansftp::client::Item]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|i| i.path_str().into_owned()).collect();
    v.sort();
    v
}

/// The whole tour against one server; `no_mlst` hides MLSD/MLST, `active` uses PORT.
fn tour(no_mlst: bool, active: bool) {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("pub/sub")).unwrap();
    std::fs::write(root.path().join("pub/readme.txt"), "hello\n").unwrap();
    let Some(server) = PyFtpd::start(root.path(), no_mlst) else {
        return;
    };
    let data = random_bytes(2 << 20, 1234);
    smol::block_on(async {
        let options = ClientOptions::new()
            .connect_timeout(LIMIT)
            .socket_timeout(LIMIT)
            .active(active);
        let mut c = Client::connect_with(server.addr, options).await.unwrap();
        assert_eq!(c.greeting().code().value(), 220);
        // (No wrong-password check here: pyftpdlib answers it only after 3 s.)
        c.login("alice", "secret").await.unwrap();
        let features = c.features().expect("FEAT answered");
        assert_eq!(features.supports("MLST"), !no_mlst);
        assert_eq!(c.get_current_directory().await.unwrap(), "/");

        // Listings: MLSD (or LIST when hidden) and LIST.
        let auto = c.list("/pub", false).await.unwrap();
        assert_eq!(names(&auto), ["/pub/readme.txt", "/pub/sub"]);
        let readme = auto.iter().find(|i| i.path == b"/pub/readme.txt").unwrap();
        assert_eq!(
            (readme.entry.kind, readme.entry.size),
            (Kind::File, Some(6))
        );
        let list = c.list_with("/pub", false, ListCommand::List).await.unwrap();
        assert_eq!(names(&list), names(&auto));
        assert!(
            list.iter()
                .any(|i| i.path == b"/pub/sub" && i.entry.kind == Kind::Dir)
        );

        // stat, with MLST or through the parent's listing.
        let item = c.stat("/pub/readme.txt").await.unwrap();
        assert_eq!((item.entry.kind, item.entry.size), (Kind::File, Some(6)));
        assert!(c.is_dir("/pub/sub").await.unwrap());
        assert!(c.is_file("/pub/readme.txt").await.unwrap());
        assert!(!c.exists("/pub/missing").await.unwrap());

        // mkdir/rmdir.
        c.make_directory("/new/deeper", true).await.unwrap();
        assert!(root.path().join("new/deeper").is_dir());
        c.remove_directory("/new/deeper").await.unwrap();
        assert!(!root.path().join("new/deeper").exists());

        // A random binary round trip.
        let mut s = c.upload_stream("/new/data.bin", 0).await.unwrap();
        s.write_all(&data).await.unwrap();
        s.finish().await.unwrap();
        assert!(std::fs::read(root.path().join("new/data.bin")).unwrap() == data);
        let mut s = c.download_stream("/new/data.bin", 0).await.unwrap();
        let mut back = Vec::new();
        s.read_to_end(&mut back).await.unwrap();
        s.finish().await.unwrap();
        assert!(back == data);
        assert_eq!(c.size("/new/data.bin").await.unwrap(), data.len() as u64);
        let modified = c.modified("/new/data.bin").await.unwrap();
        assert!(modified.year() >= 2024, "{modified:?}");

        // Resume: download from an offset; upload the rest of a cut file.
        let mut s = c.download_stream("/new/data.bin", 1_500_000).await.unwrap();
        let mut tail = Vec::new();
        s.read_to_end(&mut tail).await.unwrap();
        s.finish().await.unwrap();
        assert!(tail == data[1_500_000..]);
        std::fs::write(root.path().join("new/cut.bin"), &data[..700_000]).unwrap();
        let mut s = c.upload_stream("/new/cut.bin", 700_000).await.unwrap();
        s.write_all(&data[700_000..]).await.unwrap();
        s.finish().await.unwrap();
        assert!(std::fs::read(root.path().join("new/cut.bin")).unwrap() == data);

        // Files through the local file system.
        let local = tempfile::tempdir().unwrap();
        let copy = local.path().join("copy.bin");
        assert_eq!(
            c.download("/new/cut.bin", &copy).await.unwrap(),
            data.len() as u64
        );
        assert!(std::fs::read(&copy).unwrap() == data);

        // A dropped download, then the next command.
        let mut s = c.download_stream("/new/data.bin", 0).await.unwrap();
        s.read_exact(&mut [0u8; 10_000]).await.unwrap();
        drop(s);
        assert_eq!(c.get_current_directory().await.unwrap(), "/");

        // Rename and delete.
        c.rename("/new/data.bin", "/new/renamed.bin").await.unwrap();
        assert!(root.path().join("new/renamed.bin").is_file());
        assert!(!c.exists("/new/data.bin").await.unwrap());
        c.remove_file("/new/renamed.bin").await.unwrap();
        assert!(!root.path().join("new/renamed.bin").exists());
        c.remove("/new").await.unwrap();
        assert!(!root.path().join("new").exists());
        c.quit().await.unwrap();
    });
}

#[test]
fn passive_with_mlst() {
    tour(false, false);
}

#[test]
fn passive_without_mlst() {
    tour(true, false);
}

#[test]
fn active_with_mlst() {
    tour(false, true);
}

#[test]
fn active_without_mlst() {
    tour(true, true);
}
