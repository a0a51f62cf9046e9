//! Client scenarios: files and streams, trees, streams ended early, data modes, TYPE A,
//! speed limits.

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use sansftp::client::{ClientOptions, Config as ClientConfig, PassiveCommand};
use sansftp::server::{Config, User};
use sansftp_storage::{LocalFs, MemoryFs};

use super::{ClientHarness, FtpClient, Transfer, alice, alice_with, get, names, options, put};
use crate::random_bytes;
use crate::server::{Running, config, start};

/// A server on `LocalFs` serving a new temporary directory to alice.
pub fn local_server<H: ClientHarness>(h: &H) -> (Running, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = Config::new().user(User::new("alice", "secret").base_path(dir.path()));
    (start(h, LocalFs::new(), cfg), dir)
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// On `LocalFs`: `upload`/`download` of files (parents made, into a directory keeping
/// the name, temporary files renamed into place, nothing left by a failure), streams
/// byte-exact, resumed both ways, appended, empty; rename and remove.
pub fn files_round_trip_and_resume<H: ClientHarness>(h: &H) {
    let (srv, root) = local_server(h);
    let root = root.path();
    let local = tempfile::tempdir().unwrap();
    let mut c = alice(h, srv.addr());
    let data = random_bytes(3 << 20, 42);
    let src = local.path().join("src.bin");
    std::fs::write(&src, &data).unwrap();

    let n = data.len() as u64;
    assert_eq!(c.upload(&src, "/in/deep/big.bin").unwrap(), n);
    assert!(std::fs::read(root.join("in/deep/big.bin")).unwrap() == data);
    let out = local.path().join("out");
    std::fs::create_dir(&out).unwrap();
    assert_eq!(
        c.download("/in/deep/big.bin", &out.join("copy.bin"))
            .unwrap(),
        n
    );
    assert!(std::fs::read(out.join("copy.bin")).unwrap() == data);
    assert_eq!(entries(&out), ["copy.bin"], "no temporary file left");

    // Into a directory, keeping the name, both ways.
    assert_eq!(c.upload(&src, "/in/").unwrap(), n);
    assert!(std::fs::read(root.join("in/src.bin")).unwrap() == data);
    let into = local.path().join("into");
    std::fs::create_dir(&into).unwrap();
    c.download("/in/src.bin", &into).unwrap();
    assert!(std::fs::read(into.join("src.bin")).unwrap() == data);

    // A failed download leaves neither the target nor a temporary file.
    let missing = out.join("missing.bin");
    assert!(
        c.download("/in/missing", &missing)
            .unwrap_err()
            .received(550)
    );
    assert!(!missing.exists());
    assert_eq!(entries(&out), ["copy.bin"]);

    // Streams, whole and resumed.
    put(&mut c, "/big.bin", &data);
    assert!(std::fs::read(root.join("big.bin")).unwrap() == data);
    assert!(get(&mut c, "/big.bin", 0) == data);
    assert_eq!(c.size("/big.bin").unwrap(), n);
    assert!(get(&mut c, "/big.bin", 2_500_000) == data[2_500_000..]);
    let cut = 1_000_000;
    put(&mut c, "/part.bin", &data[..cut]);
    assert_eq!(c.size("/part.bin").unwrap(), cut as u64);
    let mut s = c.upload_stream("/part.bin", cut as u64).unwrap();
    s.write_all(&data[cut..]).unwrap();
    s.finish().unwrap();
    assert!(std::fs::read(root.join("part.bin")).unwrap() == data);

    // Append, twice; then a read from the old end.
    for line in [&b"one\n"[..], b"two\n"] {
        let mut s = c.append_stream("/log.txt").unwrap();
        s.write_all(line).unwrap();
        s.finish().unwrap();
    }
    assert_eq!(std::fs::read(root.join("log.txt")).unwrap(), b"one\ntwo\n");
    assert_eq!(get(&mut c, "/log.txt", 4), b"two\n");

    put(&mut c, "/empty", b"");
    assert_eq!(get(&mut c, "/empty", 0), b"");

    c.rename("/part.bin", "/renamed.bin").unwrap();
    assert!(!c.exists("/part.bin").unwrap());
    assert_eq!(c.size("/renamed.bin").unwrap(), n);
    assert!(c.rename("/part.bin", "/x").unwrap_err().received(550));
    c.remove("/renamed.bin").unwrap();
    assert!(!root.join("renamed.bin").exists());
    c.make_directory("/e", false).unwrap();
    c.remove_directory("/e").unwrap();
    c.remove("/in").unwrap();
    assert!(!root.join("in").exists());
    assert_eq!(
        names(&c.list("/", false).unwrap()),
        ["/big.bin", "/empty", "/log.txt"]
    );
    c.quit().unwrap();
}

fn make_tree(dir: &Path) -> u64 {
    std::fs::create_dir_all(dir.join("x/y")).unwrap();
    std::fs::create_dir_all(dir.join("empty")).unwrap();
    std::fs::write(dir.join("top.txt"), "top").unwrap();
    std::fs::write(dir.join("x/mid.bin"), random_bytes(300_000, 3)).unwrap();
    std::fs::write(dir.join("x/y/leaf.txt"), "leaf").unwrap();
    3 + 300_000 + 4
}

const TREE_FILES: [&str; 3] = ["top.txt", "x/mid.bin", "x/y/leaf.txt"];

/// Asserts that `copy` holds the files and the empty directory of [`make_tree`].
fn assert_same_tree(src: &Path, copy: &Path) {
    for f in TREE_FILES {
        assert!(
            std::fs::read(src.join(f)).unwrap() == std::fs::read(copy.join(f)).unwrap(),
            "{f} under {}",
            copy.display()
        );
    }
    assert!(copy.join("empty").is_dir(), "{}", copy.display());
}

/// Directory trees up to a new remote path and down to a new local one, and a file
/// into an existing local directory.
pub fn directory_trees<H: ClientHarness>(h: &H) {
    let (srv, root) = local_server(h);
    let root = root.path();
    let local = tempfile::tempdir().unwrap();
    let mut c = alice(h, srv.addr());
    let src = local.path().join("src");
    let size = make_tree(&src);

    assert_eq!(c.upload(&src, "/remote/tree").unwrap(), size);
    assert_same_tree(&src, &root.join("remote/tree"));
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
    assert_eq!(c.download("/remote/tree", &dst).unwrap(), size);
    assert_same_tree(&src, &dst);

    // A file into an existing local directory: that name; a file name given: that name.
    let here = local.path().join("here");
    std::fs::create_dir(&here).unwrap();
    c.download("/remote/tree/top.txt", &here).unwrap();
    assert_eq!(std::fs::read(here.join("top.txt")).unwrap(), b"top");
    c.download("/remote/tree/top.txt", &here.join("renamed.txt"))
        .unwrap();
    assert_eq!(std::fs::read(here.join("renamed.txt")).unwrap(), b"top");
    c.remove("/remote").unwrap();
    assert!(!root.join("remote").exists());
    c.quit().unwrap();
}

/// Streams dropped half-read, aborted, dropped unwritten, dropped after their end, and
/// listings dropped early: the next call brings the control channel back in step, no
/// aborted or dropped upload is committed; with and without a socket timeout.
pub fn dropped_streams_keep_the_channel_in_step<H: ClientHarness>(h: &H) {
    let data = random_bytes(3 << 20, 4);
    let fs = MemoryFs::new().with_file("/big.bin", data.clone());
    let srv = start(h, fs.clone(), config());
    let no_socket_timeout = ClientOptions::new().connect_timeout(super::LIMIT);
    for opts in [options(), no_socket_timeout] {
        let mut c = alice_with(h, srv.addr(), opts);
        let mut half = vec![0u8; 1 << 20];

        let mut s = c.download_stream("/big.bin", 0).unwrap();
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

        // Uploads aborted, dropped after some bytes, dropped unwritten (then `abort`).
        let mut s = c.upload_stream("/partial.bin", 0).unwrap();
        s.write_all(&data[..200_000]).unwrap();
        s.abort().unwrap();
        let mut s = c.upload_stream("/partial2.bin", 0).unwrap();
        s.write_all(&data[..100_000]).unwrap();
        drop(s);
        c.noop().unwrap();
        let s = c.upload_stream("/partial3.bin", 0).unwrap();
        drop(s);
        c.abort().unwrap();
        for p in ["/partial.bin", "/partial2.bin", "/partial3.bin"] {
            assert!(!c.exists(p).unwrap(), "{p}");
            assert!(fs.read(p).is_none(), "{p}");
        }

        // A listing dropped after its first entry.
        c.make_directory("/t/a/b", true).unwrap();
        let mut s = c.list_stream("/", true).unwrap();
        assert!(s.next().unwrap().is_ok());
        drop(s);
        assert_eq!(c.size("/big.bin").unwrap(), data.len() as u64);

        // A download dropped unread, then `abort`.
        let s = c.download_stream("/big.bin", 0).unwrap();
        drop(s);
        c.abort().unwrap();

        // Read to the end without `finish`, then dropped.
        let mut s = c.download_stream("/big.bin", 3_000_000).unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        drop(s);
        assert!(rest == data[3_000_000..]);

        // After all that, a whole download is still byte-exact.
        assert!(get(&mut c, "/big.bin", 0) == data);
        let left = names(&c.list("/", false).unwrap());
        assert!(!left.iter().any(|n| n.starts_with("/partial")), "{left:?}");
        c.remove("/t").unwrap();
        c.quit().unwrap();
    }
}

/// Active mode, passive with EPSV first, passive with PASV only: up, down (whole and
/// from an offset), a listing, a dropped download and the next call.
pub fn active_and_passive_modes<H: ClientHarness>(h: &H) {
    let fs = MemoryFs::new().with_dir("/d");
    let srv = start(h, fs.clone(), config());
    let data = random_bytes(1 << 20, 77);
    let mut pasv_only = ClientConfig::default();
    pasv_only.passive_commands = vec![PassiveCommand::Pasv];
    let modes = [
        ("active", options().active(true)),
        ("passive", options()),
        ("pasv", options().config(pasv_only)),
    ];
    for (mode, opts) in modes {
        let mut c = alice_with(h, srv.addr(), opts);
        let path = format!("/d/{mode}.bin");
        put(&mut c, &path, &data);
        assert!(get(&mut c, &path, 0) == data, "{mode}");
        assert!(get(&mut c, &path, 1000) == data[1000..], "{mode}");
        assert!(
            names(&c.list("/d", false).unwrap()).contains(&path),
            "{mode}"
        );
        let mut s = c.download_stream(&path, 0).unwrap();
        s.read_exact(&mut [0u8; 1000]).unwrap();
        drop(s);
        assert!(c.is_file(&path).unwrap(), "{mode}");
        c.quit().unwrap();
        assert!(fs.read(&path).is_some_and(|b| b == data[..]), "{mode}");
    }
}

/// TYPE A: LF goes out as CRLF (in odd-sized writes, so pairs straddle them) and the
/// server stores LF again; CRLF comes back as LF (a lone CR kept); binary is raw.
pub fn ascii_mode_converts<H: ClientHarness>(h: &H) {
    let fs = MemoryFs::new();
    let srv = start(h, fs.clone(), config());
    let mut c = alice(h, srv.addr());
    let text: Vec<u8> = b"line one\nline two\n\nend".repeat(20_000);
    c.set_ascii(true);
    let mut s = c.upload_stream("/t.txt", 0).unwrap();
    for chunk in text.chunks(777) {
        s.write_all(chunk).unwrap();
    }
    s.finish().unwrap();
    assert!(fs.read("/t.txt").is_some_and(|b| b == text[..]));
    assert!(get(&mut c, "/t.txt", 0) == text);
    c.set_ascii(false);
    assert!(get(&mut c, "/t.txt", 0) == text);

    // Stored as CRLF (sent in binary): in ASCII the client turns it into LF.
    put(&mut c, "/crlf.txt", b"one\r\ntwo\r\nlone\rcr\r\n");
    c.set_ascii(true);
    assert_eq!(get(&mut c, "/crlf.txt", 0), b"one\ntwo\nlone\rcr\n");
    c.set_ascii(false);
    assert_eq!(get(&mut c, "/crlf.txt", 0), b"one\r\ntwo\r\nlone\rcr\r\n");
    c.quit().unwrap();
}

/// Speed limits, from the options and changed later, are lower bounds on a transfer's
/// time (never upper bounds: a busy machine may be slower), for streams and for
/// `upload` of a file; lifted, they no longer apply.
pub fn speed_limits<H: ClientHarness>(h: &H) {
    let (srv, root) = local_server(h);
    let root = root.path();
    let limit = 2_000_000;
    let mut c = alice_with(h, srv.addr(), options().write_limit(Some(limit)));
    assert_eq!((c.read_limit(), c.write_limit()), (None, Some(limit)));
    let data = random_bytes(1_000_000, 7);
    // 1 MB at 2 MB/s: 0.5 s, less what the bucket may have saved up while idle.
    let slow = Duration::from_millis(400);
    let begun = Instant::now();
    put(&mut c, "/up.bin", &data);
    assert!(begun.elapsed() >= slow, "upload took {:?}", begun.elapsed());
    assert!(std::fs::read(root.join("up.bin")).unwrap() == data);

    // `upload` of a file is throttled too (no sendfile while limited).
    let local = tempfile::tempdir().unwrap();
    let src = local.path().join("src.bin");
    std::fs::write(&src, &data).unwrap();
    let begun = Instant::now();
    assert_eq!(c.upload(&src, "/up2.bin").unwrap(), data.len() as u64);
    assert!(
        begun.elapsed() >= slow,
        "upload() took {:?}",
        begun.elapsed()
    );
    assert!(std::fs::read(root.join("up2.bin")).unwrap() == data);
    c.set_write_limit(None);
    assert_eq!(c.upload(&src, "/up3.bin").unwrap(), data.len() as u64);
    assert!(std::fs::read(root.join("up3.bin")).unwrap() == data);

    c.set_read_limit(Some(limit));
    assert_eq!((c.read_limit(), c.write_limit()), (Some(limit), None));
    let begun = Instant::now();
    assert!(get(&mut c, "/up.bin", 0) == data);
    assert!(
        begun.elapsed() >= slow,
        "download took {:?}",
        begun.elapsed()
    );
    c.set_read_limit(None);
    assert_eq!(c.read_limit(), None);
    c.quit().unwrap();
}

/// Active mode over a control connection to an IPv4-mapped IPv6 address
/// (`[::ffff:127.0.0.1]`, to a dual-stack server): the server's data connection, from
/// the same host, is accepted.
pub fn active_mode_over_an_ipv4_mapped_address<H: ClientHarness>(h: &H) {
    use crate::server::Spec;
    if std::net::TcpListener::bind("[::]:0").is_err() {
        crate::peer::require("a dual-stack IPv6 socket", false, "enable IPv6");
        return;
    }
    let fs = MemoryFs::new().with_file("/f", "mapped");
    let srv = h
        .start(Spec::new(fs, config()).bind("[::]:0"))
        .expect("bind [::]");
    let addr = format!("[::ffff:127.0.0.1]:{}", srv.addr().port());
    let mut c = h.connect(&addr, options().active(true)).unwrap();
    c.login("alice", "secret").unwrap();
    assert_eq!(get(&mut c, "/f", 0), b"mapped");
    c.quit().unwrap();
}
