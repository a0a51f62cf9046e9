//! `sansftp_blocking::Client` against pyftpdlib (a real, independent server), with and
//! without `MLST`/`MLSD`. Skipped with a message when pyftpdlib is missing, failing
//! under `CI=true`.

// Shared with the async adapter's tests: not this crate's to reformat.
#[rustfmt::skip]
#[path = "../../../tests/peers/pyftpdlib.rs"]
mod pyftpdlib;
mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::random_bytes;
use pyftpdlib::PyFtpd;
use sansftp::client::ListCommand;
use sansftp::listing::Kind;
use sansftp_blocking::{Client, ClientOptions};

const TIMEOUT: Duration = Duration::from_secs(10);

fn client(server: &PyFtpd, active: bool) -> Client {
    let options = ClientOptions::new()
        .connect_timeout(TIMEOUT)
        .socket_timeout(TIMEOUT)
        .active(active);
    let mut c = Client::connect_with(server.addr, options).expect("connect to pyftpdlib");
    assert_eq!(c.greeting().code().value(), 220);
    c.login("alice", "secret").expect("login");
    c
}

fn get(c: &mut Client, path: &str, offset: u64) -> Vec<u8> {
    let mut s = c.download_stream(path, offset).expect("RETR");
    let mut v = Vec::new();
    s.read_to_end(&mut v).expect("read");
    s.finish().expect("download finish");
    v
}

fn names(items: &[sansftp::client::Item]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|i| i.path_str().into_owned()).collect();
    v.sort();
    v
}

/// Everything a session does, against one server, in one mode.
fn exercise(server: &PyFtpd, active: bool, mlst: bool) {
    let root = &server.root;
    let tag = format!("{}-{}", if active { "active" } else { "passive" }, mlst);
    let mut c = client(server, active);
    assert_eq!(c.features().is_some_and(|f| f.supports("MLST")), mlst);
    assert_eq!(c.get_current_directory().unwrap(), "/");

    let dir = format!("/{tag}");
    c.make_directory(format!("{dir}/sub/deep"), true).unwrap();
    assert!(root.join(&tag).join("sub/deep").is_dir());
    assert!(c.is_dir(&dir).unwrap());
    c.change_directory(&dir).unwrap();
    assert_eq!(c.get_current_directory().unwrap(), dir);
    c.change_directory("..").unwrap();

    // Random binary data both ways, compared byte for byte.
    let data = random_bytes(1_500_000, 9);
    let file = format!("{dir}/data.bin");
    let mut up = c.upload_stream(&file, 0).unwrap();
    up.write_all(&data).unwrap();
    up.finish().unwrap();
    assert!(std::fs::read(root.join(&tag).join("data.bin")).unwrap() == data);
    assert!(get(&mut c, &file, 0) == data);

    // Resume: download from an offset; upload the rest with REST.
    assert!(get(&mut c, &file, 1_000_001) == data[1_000_001..]);
    let half = format!("{dir}/half.bin");
    let mut up = c.upload_stream(&half, 0).unwrap();
    up.write_all(&data[..700_000]).unwrap();
    up.finish().unwrap();
    let mut up = c.upload_stream(&half, 700_000).unwrap();
    up.write_all(&data[700_000..]).unwrap();
    up.finish().unwrap();
    assert!(std::fs::read(root.join(&tag).join("half.bin")).unwrap() == data);

    // SIZE, MDTM, stat.
    assert_eq!(c.size(&file).unwrap(), data.len() as u64);
    assert!(c.modified(&file).unwrap().year() >= 2024);
    let item = c.stat(&file).unwrap();
    assert_eq!(
        (item.entry.kind, item.entry.size),
        (Kind::File, Some(data.len() as u64))
    );
    assert_eq!(c.stat(format!("{dir}/sub")).unwrap().entry.kind, Kind::Dir);
    assert!(c.is_file(&file).unwrap());
    let err = c.stat(format!("{dir}/missing")).unwrap_err();
    assert!(err.received(550), "{err}");
    assert!(!c.exists(format!("{dir}/missing")).unwrap());

    // Listings: Auto (MLSD, or LIST without it), LIST, recursive.
    let want = [
        format!("{dir}/data.bin"),
        format!("{dir}/half.bin"),
        format!("{dir}/sub"),
    ];
    let auto = c.list(&dir, false).unwrap();
    assert_eq!(names(&auto), want);
    let sized = auto.iter().find(|i| i.path.ends_with(b"data.bin")).unwrap();
    assert_eq!(sized.entry.size, Some(data.len() as u64));
    assert_eq!(
        names(&c.list_with(&dir, false, ListCommand::List).unwrap()),
        want
    );
    let all = c.list(&dir, true).unwrap();
    assert!(
        names(&all).contains(&format!("{dir}/sub/deep")),
        "{:?}",
        names(&all)
    );
    assert_eq!(all.len(), 4);

    // A download dropped halfway: the next command still gets its own reply.
    let mut s = c.download_stream(&file, 0).unwrap();
    let mut some = vec![0; 200_000];
    s.read_exact(&mut some).unwrap();
    assert!(some == data[..200_000]);
    drop(s);
    assert_eq!(c.size(&file).unwrap(), data.len() as u64);

    // Rename, delete, rmdir, remove tree.
    let moved = format!("{dir}/moved.bin");
    c.rename(&file, &moved).unwrap();
    assert!(!c.exists(&file).unwrap());
    assert!(root.join(&tag).join("moved.bin").is_file());
    c.remove_file(&moved).unwrap();
    assert!(!root.join(&tag).join("moved.bin").exists());
    c.remove_directory(format!("{dir}/sub/deep")).unwrap();
    assert!(!root.join(&tag).join("sub/deep").exists());
    c.remove(&dir).unwrap();
    assert!(!root.join(&tag).exists());
    c.quit().unwrap();
}

#[test]
fn pyftpdlib_with_mlst_passive_and_active() {
    let root = tempfile::tempdir().unwrap();
    let Some(server) = PyFtpd::start(root.path(), false) else {
        return;
    };
    exercise(&server, false, true);
    exercise(&server, true, true);
}

#[test]
fn pyftpdlib_without_mlst_falls_back_to_list() {
    let root = tempfile::tempdir().unwrap();
    let Some(server) = PyFtpd::start(root.path(), true) else {
        return;
    };
    exercise(&server, false, false);
    exercise(&server, true, false);
}

#[test]
fn pyftpdlib_files_and_trees() {
    let root = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let Some(server) = PyFtpd::start(root.path(), false) else {
        return;
    };
    let mut c = client(&server, false);
    let src = local.path().join("src");
    std::fs::create_dir_all(src.join("a/b")).unwrap();
    std::fs::write(src.join("a/one.bin"), random_bytes(100_000, 1)).unwrap();
    std::fs::write(src.join("a/b/two.txt"), b"two").unwrap();
    assert_eq!(c.upload(&src, "/up").unwrap(), 100_003);
    assert!(root.path().join("up/a/b/two.txt").is_file());
    let dst = local.path().join("dst");
    assert_eq!(c.download("/up", &dst).unwrap(), 100_003);
    assert!(std::fs::read(dst.join("a/one.bin")).unwrap() == random_bytes(100_000, 1));
    assert_eq!(std::fs::read(dst.join("a/b/two.txt")).unwrap(), b"two");

    // ASCII: a CRLF file comes down with LF line ends.
    std::fs::write(root.path().join("crlf.txt"), b"x\r\ny\r\n").unwrap();
    c.set_ascii(true);
    assert_eq!(get(&mut c, "/crlf.txt", 0), b"x\ny\n");
    c.set_ascii(false);
    assert_eq!(get(&mut c, "/crlf.txt", 0), b"x\r\ny\r\n");

    c.quit().unwrap();

    let mut c = Client::connect(server.addr).unwrap();
    let err = c.login("alice", "wrong").unwrap_err();
    assert!(err.received(530), "{err}");
}
