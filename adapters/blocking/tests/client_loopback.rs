//! `sansftp_blocking::Client` against the crate's own blocking server (`LocalFs` on a
//! temporary directory, user alice/secret with full rights), over real sockets.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::time::{Duration, Instant};

use common::{random_bytes, start};
use sansftp::Error;
use sansftp::client::ListCommand;
use sansftp::listing::Kind;
use sansftp::server::{Config, User};
use sansftp_blocking::{Client, ClientOptions, RunningServer};
use sansftp_storage::LocalFs;

/// Generous bound on every socket wait, so a hang fails instead of blocking CI.
const TIMEOUT: Duration = Duration::from_secs(10);

fn server(root: &Path) -> RunningServer {
    start(
        LocalFs::new(),
        Config::new().user(User::new("alice", "secret").base_path(root)),
    )
}

fn options() -> ClientOptions {
    ClientOptions::new()
        .connect_timeout(TIMEOUT)
        .socket_timeout(TIMEOUT)
}

fn login(addr: SocketAddr, options: ClientOptions) -> Client {
    let mut c = Client::connect_with(addr, options).expect("connect");
    c.login("alice", "secret").expect("login");
    c
}

fn put(c: &mut Client, path: &str, data: &[u8]) {
    let mut s = c.upload_stream(path, 0).expect("STOR");
    s.write_all(data).expect("write");
    s.finish().expect("upload finish");
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

#[test]
fn login_directories_and_stat() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path());
    let mut c = Client::connect_with(srv.local_addr(), options()).unwrap();
    assert_eq!(c.greeting().code().value(), 220);
    assert!(c.features().is_none());
    c.login("alice", "secret").unwrap();
    assert!(c.features().is_some_and(|f| f.supports("MLST")));
    assert_eq!(c.get_current_directory().unwrap(), "/");

    c.make_directory("/a/b/c", true).unwrap();
    assert!(dir.path().join("a/b/c").is_dir());
    c.make_directory("/a/b", true).unwrap(); // existing: fine with parents
    let err = c.make_directory("/x/y", false).unwrap_err();
    assert!(err.received(550), "{err}");

    c.change_directory("/a/b").unwrap();
    assert_eq!(c.get_current_directory().unwrap(), "/a/b");
    c.change_directory("..").unwrap();
    assert_eq!(c.get_current_directory().unwrap(), "/a");
    c.change_directory("b/c").unwrap();
    assert_eq!(c.get_current_directory().unwrap(), "/a/b/c");

    put(&mut c, "/a/f.txt", b"12345");
    assert!(c.exists("/a/f.txt").unwrap());
    assert!(!c.exists("/a/missing").unwrap());
    assert!(c.is_file("/a/f.txt").unwrap());
    assert!(!c.is_dir("/a/f.txt").unwrap());
    assert!(c.is_dir("/a/b").unwrap());
    assert!(!c.is_file("/a/b").unwrap());
    assert!(!c.is_file("/nope").unwrap());
    let item = c.stat("/a/f.txt").unwrap();
    assert_eq!(item.entry.kind, Kind::File);
    assert_eq!(item.entry.size, Some(5));
    let err = c.stat("/missing").unwrap_err();
    assert!(err.received(550), "{err}");
    assert_eq!(c.size("/a/f.txt").unwrap(), 5);
    let m = c.modified("/a/f.txt").unwrap();
    assert!(m.year() >= 2024, "{m:?}");
    c.noop().unwrap();

    let reply = c
        .command("SYST", &[sansftp::Mask::COMPLETION], &[])
        .unwrap()
        .unwrap();
    assert_eq!(reply.code().value(), 215);
    let created = sansftp::Mask::exact(sansftp::Code::PATH_CREATED);
    let err = c.command("MKD /a", &[created], &[]).unwrap_err();
    assert!(err.received(550), "{err}");
    c.quit().unwrap();
}

#[test]
fn listings_mlsd_list_recursive_and_stream() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path());
    let mut c = login(srv.local_addr(), options());
    c.make_directory("/d/sub/deeper", true).unwrap();
    put(&mut c, "/d/one.txt", b"1");
    put(&mut c, "/d/sub/two.txt", b"22");
    put(&mut c, "/d/sub/deeper/three.txt", b"333");

    let flat = c.list("/d", false).unwrap();
    assert_eq!(names(&flat), ["/d/one.txt", "/d/sub"]);
    let one = flat.iter().find(|i| i.path == b"/d/one.txt").unwrap();
    assert_eq!((one.entry.kind, one.entry.size), (Kind::File, Some(1)));

    let via_list = c.list_with("/d", false, ListCommand::List).unwrap();
    assert_eq!(names(&via_list), ["/d/one.txt", "/d/sub"]);
    let sub = via_list.iter().find(|i| i.path == b"/d/sub").unwrap();
    assert_eq!(sub.entry.kind, Kind::Dir);

    let all = c.list("/d", true).unwrap();
    let want = [
        "/d/one.txt",
        "/d/sub",
        "/d/sub/deeper",
        "/d/sub/deeper/three.txt",
        "/d/sub/two.txt",
    ];
    assert_eq!(names(&all), want);
    let all_list = c.list_with("/d", true, ListCommand::List).unwrap();
    assert_eq!(names(&all_list), want);

    let streamed: Vec<_> = c
        .list_stream("/d", true)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(names(&streamed), want);

    // A stream dropped after its first entry: the next call finishes it first.
    {
        let mut s = c.list_stream("/d", true).unwrap();
        assert!(s.next().unwrap().is_ok());
    }
    assert_eq!(c.get_current_directory().unwrap(), "/");

    let err = c.list("/no/such/dir", false).unwrap_err();
    assert!(err.received(550), "{err}");
    assert_eq!(
        names(&c.list("/d/sub/deeper", false).unwrap()),
        ["/d/sub/deeper/three.txt"]
    );
}

#[test]
fn round_trip_streams_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let srv = server(dir.path());
    let mut c = login(srv.local_addr(), options());
    let data = random_bytes(3 << 20, 1);

    put(&mut c, "/big.bin", &data);
    assert!(std::fs::read(dir.path().join("big.bin")).unwrap() == data);
    assert!(get(&mut c, "/big.bin", 0) == data);
    assert_eq!(c.size("/big.bin").unwrap(), data.len() as u64);

    // Files: upload() makes the parents; download() renames its temp file into place.
    let src = local.path().join("src.bin");
    std::fs::write(&src, &data).unwrap();
    assert_eq!(
        c.upload(&src, "/up/load/file.bin").unwrap(),
        data.len() as u64
    );
    assert!(std::fs::read(dir.path().join("up/load/file.bin")).unwrap() == data);
    let dst = local.path().join("dst.bin");
    assert_eq!(
        c.download("/up/load/file.bin", &dst).unwrap(),
        data.len() as u64
    );
    assert!(std::fs::read(&dst).unwrap() == data);
    let mut left: Vec<_> = std::fs::read_dir(local.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["dst.bin", "src.bin"], "no temporary file left");

    // A failed download leaves neither the target nor a temporary file.
    let err = c
        .download("/missing.bin", local.path().join("m.bin"))
        .unwrap_err();
    assert!(err.received(550), "{err}");
    assert_eq!(std::fs::read_dir(local.path()).unwrap().count(), 2);

    // Empty file.
    put(&mut c, "/empty", b"");
    assert_eq!(get(&mut c, "/empty", 0), b"");
}

#[test]
fn resume_append_rename_remove() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path());
    let mut c = login(srv.local_addr(), options());
    let data = random_bytes(1 << 20, 2);

    put(&mut c, "/r.bin", &data[..400_000]);
    let mut s = c.upload_stream("/r.bin", 400_000).unwrap();
    s.write_all(&data[400_000..]).unwrap();
    s.finish().unwrap();
    assert!(std::fs::read(dir.path().join("r.bin")).unwrap() == data);
    assert!(get(&mut c, "/r.bin", 777_777) == data[777_777..]);

    let mut s = c.append_stream("/r.bin").unwrap();
    s.write_all(b"tail").unwrap();
    s.finish().unwrap();
    assert_eq!(c.size("/r.bin").unwrap(), data.len() as u64 + 4);
    assert_eq!(get(&mut c, "/r.bin", data.len() as u64), b"tail");

    c.rename("/r.bin", "/renamed.bin").unwrap();
    assert!(!c.exists("/r.bin").unwrap());
    assert_eq!(c.size("/renamed.bin").unwrap(), data.len() as u64 + 4);
    let err = c.rename("/r.bin", "/x").unwrap_err();
    assert!(err.received(550), "{err}");

    c.make_directory("/tree/a/b", true).unwrap();
    put(&mut c, "/tree/a/b/f", b"f");
    put(&mut c, "/tree/g", b"g");
    c.remove("/tree").unwrap();
    assert!(!c.exists("/tree").unwrap());
    assert!(!dir.path().join("tree").exists());
    c.remove("/renamed.bin").unwrap();
    assert!(!dir.path().join("renamed.bin").exists());

    put(&mut c, "/f", b"x");
    c.remove_file("/f").unwrap();
    c.make_directory("/e", false).unwrap();
    c.remove_directory("/e").unwrap();
    assert!(c.list("/", false).unwrap().is_empty());
}

#[test]
fn directory_trees_up_and_down() {
    let dir = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let srv = server(dir.path());
    let mut c = login(srv.local_addr(), options());

    let src = local.path().join("src");
    std::fs::create_dir_all(src.join("x/y")).unwrap();
    std::fs::create_dir_all(src.join("empty")).unwrap();
    std::fs::write(src.join("top.txt"), b"top").unwrap();
    std::fs::write(src.join("x/mid.bin"), random_bytes(300_000, 3)).unwrap();
    std::fs::write(src.join("x/y/leaf.txt"), b"leaf").unwrap();

    let sent = c.upload(&src, "/remote/tree").unwrap();
    assert_eq!(sent, 3 + 300_000 + 4);
    assert_eq!(
        names(&c.list("/remote/tree", true).unwrap()),
        [
            "/remote/tree/empty",
            "/remote/tree/top.txt",
            "/remote/tree/x",
            "/remote/tree/x/mid.bin",
            "/remote/tree/x/y",
            "/remote/tree/x/y/leaf.txt",
        ]
    );

    let dst = local.path().join("dst");
    assert_eq!(c.download("/remote/tree", &dst).unwrap(), sent);
    for rel in ["top.txt", "x/mid.bin", "x/y/leaf.txt"] {
        assert!(
            std::fs::read(src.join(rel)).unwrap() == std::fs::read(dst.join(rel)).unwrap(),
            "{rel}"
        );
    }
    assert!(dst.join("empty").is_dir());

    // Into existing directories, like cp: remote/<local name>, local/<remote name>.
    c.make_directory("/into", false).unwrap();
    c.upload(&src, "/into").unwrap();
    assert!(c.is_file("/into/src/x/y/leaf.txt").unwrap());
    c.upload(src.join("top.txt"), "/into").unwrap();
    assert_eq!(c.size("/into/top.txt").unwrap(), 3);
    let here = local.path().join("here");
    std::fs::create_dir(&here).unwrap();
    c.download("/into/top.txt", &here).unwrap();
    assert_eq!(std::fs::read(here.join("top.txt")).unwrap(), b"top");
    c.download("/into/src", &here).unwrap();
    assert_eq!(
        std::fs::read(here.join("src/x/y/leaf.txt")).unwrap(),
        b"leaf"
    );
    // A file name given: that name.
    c.download("/into/top.txt", here.join("renamed.txt"))
        .unwrap();
    assert_eq!(std::fs::read(here.join("renamed.txt")).unwrap(), b"top");
}

#[test]
fn dropped_and_aborted_streams_keep_the_control_channel_in_step() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path());
    let data = random_bytes(3 << 20, 4);
    for opts in [options(), ClientOptions::new()] {
        // With a socket timeout the drop resyncs at once; without, the next call does.
        let mut c = login(srv.local_addr(), opts);
        put(&mut c, "/big.bin", &data);

        let mut s = c.download_stream("/big.bin", 0).unwrap();
        let mut half = vec![0; 1 << 20];
        s.read_exact(&mut half).unwrap();
        assert!(half == data[..1 << 20]);
        drop(s);
        assert_eq!(c.get_current_directory().unwrap(), "/");
        assert_eq!(c.size("/big.bin").unwrap(), data.len() as u64);

        let mut s = c.download_stream("/big.bin", 0).unwrap();
        s.read_exact(&mut half).unwrap();
        s.abort().unwrap();
        c.noop().unwrap();
        assert!(get(&mut c, "/big.bin", 3 << 19) == data[3 << 19..]);

        // finish() before the end is an abort, reported.
        let mut s = c.download_stream("/big.bin", 0).unwrap();
        s.read_exact(&mut half).unwrap();
        assert!(s.finish().is_err());
        assert_eq!(c.get_current_directory().unwrap(), "/");

        // An aborted upload is not committed; a dropped one neither.
        let mut s = c.upload_stream("/partial.bin", 0).unwrap();
        s.write_all(&data[..100_000]).unwrap();
        s.abort().unwrap();
        let s = c.upload_stream("/partial2.bin", 0).unwrap();
        drop(s);
        c.abort().unwrap();
        assert!(!c.exists("/partial.bin").unwrap());
        assert!(!c.exists("/partial2.bin").unwrap());
        let left = names(&c.list("/", false).unwrap());
        assert!(left.contains(&"/big.bin".to_owned()), "{left:?}");
        assert!(!left.iter().any(|n| n.starts_with("/partial")), "{left:?}");
        c.quit().unwrap();
    }
}

#[test]
fn active_and_passive_modes() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path());
    let data = random_bytes(500_000, 5);
    for active in [true, false] {
        let mut c = login(srv.local_addr(), options().active(active));
        let path = format!("/mode-{active}.bin");
        put(&mut c, &path, &data);
        assert!(get(&mut c, &path, 0) == data, "active={active}");
        assert!(get(&mut c, &path, 1000) == data[1000..], "active={active}");
        assert!(names(&c.list("/", false).unwrap()).contains(&path));
        let mut s = c.download_stream(&path, 0).unwrap();
        let mut some = [0u8; 1000];
        s.read_exact(&mut some).unwrap();
        drop(s);
        c.noop().unwrap();
    }
}

#[test]
fn ascii_mode_converts_line_ends() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path());
    let mut c = login(srv.local_addr(), options());
    // The server stores CRLF as it came in binary; in ASCII it sends it unchanged
    // (already CRLF) and the client turns it into LF.
    put(&mut c, "/crlf.txt", b"one\r\ntwo\r\nlone\rcr\r\n");
    c.set_ascii(true);
    assert_eq!(get(&mut c, "/crlf.txt", 0), b"one\ntwo\nlone\rcr\n");
    // Upload in ASCII: LF goes out as CRLF and the server stores LF again.
    let text = b"a\nb\n\nlast line without end".repeat(5000);
    put(&mut c, "/text.txt", &text);
    assert!(std::fs::read(dir.path().join("text.txt")).unwrap() == text);
    assert!(get(&mut c, "/text.txt", 0) == text);
    c.set_ascii(false);
    assert_eq!(get(&mut c, "/crlf.txt", 0), b"one\r\ntwo\r\nlone\rcr\r\n");
}

#[test]
fn read_speed_limit_slows_downloads() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path());
    let mut c = login(srv.local_addr(), options());
    let data = random_bytes(1_000_000, 6);
    put(&mut c, "/one.bin", &data);
    let limits = c.speed_limits();
    assert_eq!(limits.read(), None);
    limits.set_read(Some(2_000_000));
    assert_eq!(limits.read(), Some(2_000_000));
    let started = Instant::now();
    assert!(get(&mut c, "/one.bin", 0) == data);
    let took = started.elapsed();
    // 1 MB at 2 MB/s from an empty bucket: 0.5 s; a lower bound only.
    assert!(took >= Duration::from_millis(400), "took {took:?}");
    limits.set_read(None);
}

#[test]
fn write_speed_limit_slows_uploads() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path());
    let mut c = login(srv.local_addr(), options().write_limit(Some(2_000_000)));
    assert_eq!(c.speed_limits().write(), Some(2_000_000));
    let data = random_bytes(1_000_000, 7);
    let started = Instant::now();
    put(&mut c, "/up.bin", &data);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(400), "took {took:?}");
    assert!(std::fs::read(dir.path().join("up.bin")).unwrap() == data);

    // upload() of a file: no sendfile while limited, the buffer path is throttled.
    let local = tempfile::tempdir().unwrap();
    let src = local.path().join("src.bin");
    std::fs::write(&src, &data).unwrap();
    let started = Instant::now();
    assert_eq!(c.upload(&src, "/up2.bin").unwrap(), data.len() as u64);
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(400), "took {took:?}");
    assert!(std::fs::read(dir.path().join("up2.bin")).unwrap() == data);
    c.speed_limits().set_write(None);
    assert_eq!(c.upload(&src, "/up3.bin").unwrap(), data.len() as u64);
    assert!(std::fs::read(dir.path().join("up3.bin")).unwrap() == data);
}

#[test]
fn socket_timeout_on_a_silent_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = std::thread::spawn(move || {
        // Accept and say nothing; keep the socket open until the client gives up.
        let (s, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(4));
        drop(s);
    });
    let started = Instant::now();
    let opts = ClientOptions::new().socket_timeout(Duration::from_millis(500));
    let err = Client::connect_with(addr, opts).unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    holder.join().unwrap();
}

#[test]
fn connect_to_a_closed_port_is_io() {
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let err = Client::connect_with(addr, options()).unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
}

#[test]
fn wrong_password_is_530() {
    let dir = tempfile::tempdir().unwrap();
    let srv = server(dir.path());
    let mut c = Client::connect_with(srv.local_addr(), options()).unwrap();
    let err = c.login("alice", "wrong").unwrap_err();
    assert!(err.received(530), "{err}");
    assert!(matches!(err, Error::StatusCode(_)));
    // The session goes on: a right password works after a wrong one.
    c.login("alice", "secret").unwrap();
    assert_eq!(c.get_current_directory().unwrap(), "/");
    c.quit().unwrap();
}

#[test]
fn anonymous_login() {
    let dir = tempfile::tempdir().unwrap();
    let srv = start(
        LocalFs::new(),
        Config::new().user(User::anonymous().base_path(dir.path())),
    );
    let mut c = Client::connect_with(srv.local_addr(), options()).unwrap();
    c.login_anonymous().unwrap();
    assert_eq!(c.get_current_directory().unwrap(), "/");
    c.quit().unwrap();
}
