//! End-to-end tests of the `sansftp serve` binary with the clients a user would try:
//! curl, Python's ftplib and lftp, in passive and active mode, on both adapters (the
//! default async one, `--blocking` and `--runtime tokio`). Every step is checked on disk under ROOT.
//!
//! A missing client fails the test under `CI=true` (CI installs them) and is skipped,
//! with a notice on stderr, elsewhere.

#[macro_use]
mod support;

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

both_adapters! {
    curl_passive_epsv => |a| curl_session(a, CurlMode::Epsv);
    curl_passive_pasv => |a| curl_session(a, CurlMode::Pasv);
    curl_active_eprt => |a| curl_session(a, CurlMode::Eprt);
    curl_active_port => |a| curl_session(a, CurlMode::Port);
    curl_stays_inside_root => curl_inside_root;
    curl_concurrent_downloads_are_byte_exact => curl_concurrent;
    ftplib_passive => |a| ftplib_session(a, "passive");
    ftplib_active => |a| ftplib_session(a, "active");
    lftp_passive => |a| lftp_session(a, true);
    lftp_active => |a| lftp_session(a, false);
    defaults_are_anonymous_read_only => defaults;
    named_users_shut_out_anonymous => named_users;
    memory_tree_is_writable_and_leaves_root_alone => memory_tree;
    options_reach_the_server => cli_options;
    stall_timeout_ends_a_stalled_upload => stall_timeout;
    vanished_uploader_leaves_the_file_alone => vanished_uploader;
    curl_interrupted_upload_leaves_the_file_alone => curl_interrupted_upload;
    missing_root_is_a_clear_error => missing_root;
    busy_port_is_a_clear_error => busy_port;
}

const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------
// curl

fn curl_session(adapter: Adapter, mode: CurlMode) {
    if !have_tool("curl") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let (root, local) = (root.path(), local.path());
    std::fs::write(root.join("hello.txt"), b"hello\n").unwrap();
    let server = Server::start(root, &["--user", "u:p", "--write"], adapter);
    let url = |path: &str| server.url("u:p@", path);

    // List: long form, then names only.
    let listing = curl(mode, &[&url("")]).ok().stdout;
    let line = listing
        .lines()
        .find(|l| l.ends_with(" hello.txt"))
        .unwrap_or_else(|| panic!("no hello.txt line in LIST output:\n{listing}"));
    assert!(
        line.starts_with("-rw") && line.split_whitespace().nth(4) == Some("6"),
        "LIST line should be `ls -l` style with the size 6: {line:?}"
    );
    let names = curl(mode, &["-l", &url("")]).ok().stdout;
    assert_eq!(names.lines().collect::<Vec<_>>(), ["hello.txt"], "NLST");

    // Upload 3 MiB.
    let up = random_bytes(3 * MIB, 1);
    let up_local = local.join("up.bin");
    std::fs::write(&up_local, &up).unwrap();
    curl(mode, &["-T", arg(&up_local), &url("up.bin")]).ok();
    assert_file(&root.join("up.bin"), &up);

    // Overwriting with a shorter file truncates.
    let short_local = local.join("short.txt");
    std::fs::write(&short_local, b"short\n").unwrap();
    std::fs::write(root.join("over.bin"), &up[..1000]).unwrap();
    curl(mode, &["-T", arg(&short_local), &url("over.bin")]).ok();
    assert_file(&root.join("over.bin"), b"short\n");
    std::fs::remove_file(root.join("over.bin")).unwrap();

    // Download 3 MiB, byte-exact.
    let down = random_bytes(3 * MIB, 2);
    std::fs::write(root.join("down.bin"), &down).unwrap();
    let down_local = local.join("down.bin");
    curl(mode, &["-o", arg(&down_local), &url("down.bin")]).ok();
    assert_file(&down_local, &down);

    // Resume a download: the local part has a marked first byte, so a re-download from
    // zero (REST ignored) would show.
    let offset = MIB + 123;
    let mut part = down[..offset].to_vec();
    part[0] ^= 0xff;
    let part_local = local.join("part.bin");
    std::fs::write(&part_local, &part).unwrap();
    curl(mode, &["-C", "-", "-o", arg(&part_local), &url("down.bin")]).ok();
    let mut expected = part.clone();
    expected.extend_from_slice(&down[offset..]);
    assert_file(&part_local, &expected);

    // Resume an upload: the server's part is marked the same way.
    let offset = 2 * MIB - 7;
    let mut part = up[..offset].to_vec();
    part[0] ^= 0xff;
    std::fs::write(root.join("resumed.bin"), &part).unwrap();
    curl(
        mode,
        &["-C", "-", "-T", arg(&up_local), &url("resumed.bin")],
    )
    .ok();
    let mut expected = part.clone();
    expected.extend_from_slice(&up[offset..]);
    assert_file(&root.join("resumed.bin"), &expected);

    // Rename, then delete.
    curl(
        mode,
        &["-Q", "RNFR up.bin", "-Q", "RNTO renamed.bin", &url("")],
    )
    .ok();
    assert_absent(&root.join("up.bin"));
    assert_file(&root.join("renamed.bin"), &up);
    curl(mode, &["-Q", "DELE renamed.bin", &url("")]).ok();
    assert_absent(&root.join("renamed.bin"));
    // Deleting what is not there fails (curl 21: quote command returned an error).
    let out = curl(mode, &["-Q", "DELE renamed.bin", &url("")]).failed();
    assert_eq!(out.code(), Some(21), "{}", out.describe("exit code"));

    // mkdir by upload with --ftp-create-dirs, and with MKD; rmdir with RMD.
    curl(
        mode,
        &[
            "--ftp-create-dirs",
            "-T",
            arg(&up_local),
            &url("new/sub/deep.bin"),
        ],
    )
    .ok();
    assert_file(&root.join("new/sub/deep.bin"), &up);
    curl(mode, &["-Q", "MKD d", &url("")]).ok();
    assert!(root.join("d").is_dir(), "MKD d made no directory");
    let listing = curl(mode, &["-l", &url("new/")]).ok().stdout;
    assert_eq!(listing.lines().collect::<Vec<_>>(), ["sub"], "NLST of new/");
    curl(mode, &["-Q", "RMD d", &url("")]).ok();
    assert_absent(&root.join("d"));
    // A directory that is not empty stays.
    curl(mode, &["-Q", "RMD new/sub", &url("")]).failed();
    assert!(root.join("new/sub/deep.bin").is_file());
    curl(
        mode,
        &[
            "-Q",
            "DELE new/sub/deep.bin",
            "-Q",
            "RMD new/sub",
            "-Q",
            "RMD new",
            &url(""),
        ],
    )
    .ok();
    assert_eq!(
        support::names(root),
        ["down.bin", "hello.txt", "resumed.bin"]
    );
}

/// Nested paths with each of curl's `--ftp-method`s; `..` and symlinks never lead out.
fn curl_inside_root(adapter: Adapter) {
    if !have_tool("curl") {
        return;
    }
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), b"secret\n").unwrap();
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    std::fs::create_dir_all(root.join("a/b")).unwrap();
    std::fs::write(root.join("a/b/c.txt"), b"deep\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("dir-link")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("file-link")).unwrap();
    let server = Server::start(root, &["--user", "u:p", "--write"], adapter);
    let url = |path: &str| server.url("u:p@", path);
    let mode = CurlMode::Epsv;

    for method in ["multicwd", "singlecwd", "nocwd"] {
        let out = curl(mode, &["--ftp-method", method, &url("a/b/c.txt")]).ok();
        assert_eq!(out.stdout, "deep\n", "--ftp-method {method}");
    }
    // `..` is clamped at the root: /../../a/b/c.txt is /a/b/c.txt ...
    let out = curl(mode, &["--ftp-method", "nocwd", &url("../../a/b/c.txt")]).ok();
    assert_eq!(out.stdout, "deep\n");
    // ... so the secret next to ROOT cannot be reached that way, nor through symlinks.
    let secret = outside.path().file_name().unwrap().to_str().unwrap();
    for path in [
        format!("../{secret}/secret.txt"),
        format!("%2e%2e/{secret}/secret.txt"),
        "dir-link/secret.txt".to_owned(),
        "file-link".to_owned(),
    ] {
        for method in ["multicwd", "nocwd"] {
            let out = curl(mode, &["--ftp-method", method, &url(&path)]);
            assert!(
                !out.stdout.contains("secret"),
                "{}",
                out.describe("leaked a file outside ROOT")
            );
            out.failed();
        }
    }
    // Nor can an upload land outside.
    let file = root.join("a/b/c.txt");
    curl(mode, &["-T", arg(&file), &url("dir-link/planted.txt")]).failed();
    curl(
        mode,
        &[
            "--ftp-method",
            "nocwd",
            "-T",
            arg(&file),
            &url("../planted.txt"),
        ],
    )
    .ok();
    assert_absent(&root.parent().unwrap().join("planted.txt"));
    assert_file(&root.join("planted.txt"), b"deep\n");
    assert_eq!(
        support::names(outside.path()),
        ["secret.txt"],
        "something was written outside ROOT"
    );
}

/// Twenty curl processes download the same 2 MiB file at once.
fn curl_concurrent(adapter: Adapter) {
    if !have_tool("curl") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let (root, local) = (root.path(), local.path());
    let data = random_bytes(2 * MIB, 8);
    std::fs::write(root.join("par.bin"), &data).unwrap();
    let server = Server::start(root, &["--user", "u:p"], adapter);
    let url = server.url("u:p@", "par.bin");
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let (url, out) = (url.clone(), local.join(format!("{i}.bin")));
            let mode = if i % 2 == 0 {
                CurlMode::Epsv
            } else {
                CurlMode::Eprt
            };
            std::thread::spawn(move || {
                curl(mode, &["-o", arg(&out), &url]).ok();
                out
            })
        })
        .collect();
    for handle in handles {
        let out = handle.join().expect("a download failed");
        assert_file(&out, &data);
    }
}

// ---------------------------------------------------------------------------------------
// Python ftplib

fn ftplib_session(adapter: Adapter, mode: &str) {
    if !have_tool("python3") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let server = Server::start(root.path(), &["--user", "u:p", "--write"], adapter);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ftplib_session.py");
    let out = run(
        Command::new("python3")
            .arg(&script)
            .arg("127.0.0.1")
            .arg(server.port.to_string())
            .args(["u", "p"])
            .arg(root.path())
            .arg(mode),
        TOOL_TIMEOUT,
    )
    .ok();
    assert_eq!(
        out.stdout.trim_end().lines().last(),
        Some("ok"),
        "{}",
        out.describe("ended")
    );
}

// ---------------------------------------------------------------------------------------
// lftp

/// Runs `lftp -c SCRIPT` against the server, isolated from the user's lftp settings.
fn lftp(server: &Server, passive: bool, home: &Path, commands: &str) -> Output {
    let script = format!(
        "set cmd:fail-exit yes; set ftp:passive-mode {}; set net:max-retries 1; \
         set net:timeout 10; set net:reconnect-interval-base 1; \
         open -u u,p -p {} 127.0.0.1; {commands}",
        if passive { "on" } else { "off" },
        server.port
    );
    run(
        Command::new("lftp")
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env_remove("LFTP_HOME")
            .args(["-c", &script]),
        TOOL_TIMEOUT,
    )
}

fn lftp_session(adapter: Adapter, passive: bool) {
    if !have_tool("lftp") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let (root, local, home) = (root.path(), local.path(), home.path());
    std::fs::write(root.join("hello.txt"), b"hello\n").unwrap();
    let server = Server::start(root, &["--user", "u:p", "--write"], adapter);
    let lftp = |commands: &str| lftp(&server, passive, home, commands);

    // ls / cls.
    let out = lftp("ls").ok();
    assert!(
        out.stdout.lines().any(|l| l.ends_with(" hello.txt")),
        "{}",
        out.describe("listed no hello.txt")
    );
    let out = lftp("cls -1").ok();
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        ["hello.txt"],
        "cls -1"
    );

    // put, then get it back.
    let data = random_bytes(3 * MIB, 3);
    let src = local.join("src.bin");
    std::fs::write(&src, &data).unwrap();
    let back = local.join("back.bin");
    lftp(&format!(
        "put {} -o up.bin; get up.bin -o {}",
        arg(&src),
        arg(&back)
    ))
    .ok();
    assert_file(&root.join("up.bin"), &data);
    assert_file(&back, &data);

    // get -c continues a partial local file (its marked first byte proves no re-download).
    let offset = MIB + 5;
    let mut part = data[..offset].to_vec();
    part[0] ^= 0xff;
    let part_local = local.join("part.bin");
    std::fs::write(&part_local, &part).unwrap();
    lftp(&format!("get -c up.bin -o {}", arg(&part_local))).ok();
    let mut expected = part.clone();
    expected.extend_from_slice(&data[offset..]);
    assert_file(&part_local, &expected);

    // put -c continues a partial remote file; reput does the same.
    for (i, command) in ["put -c", "reput"].into_iter().enumerate() {
        let name = format!("cont{i}.bin");
        let offset = 2 * MIB + 11 * i;
        let mut part = data[..offset].to_vec();
        part[0] ^= 0xff;
        std::fs::write(root.join(&name), &part).unwrap();
        lftp(&format!("{command} {} -o {name}", arg(&src))).ok();
        let mut expected = part.clone();
        expected.extend_from_slice(&data[offset..]);
        assert_file(&root.join(&name), &expected);
    }

    // mirror -R uploads a tree, mirror downloads it again.
    let tree = local.join("tree");
    std::fs::create_dir_all(tree.join("x/y")).unwrap();
    std::fs::write(tree.join("x/y/one.bin"), &data[..70_000]).unwrap();
    std::fs::write(tree.join("two.txt"), b"two\n").unwrap();
    let copy = local.join("copy");
    lftp(&format!(
        "mirror -R {} tree; mirror tree {}",
        arg(&tree),
        arg(&copy)
    ))
    .ok();
    assert_file(&root.join("tree/x/y/one.bin"), &data[..70_000]);
    assert_file(&root.join("tree/two.txt"), b"two\n");
    assert_file(&copy.join("x/y/one.bin"), &data[..70_000]);
    assert_file(&copy.join("two.txt"), b"two\n");
    lftp("rm -r tree").ok();
    assert_absent(&root.join("tree"));

    // mv, rm, mkdir, cd into it, put there, rmdir refused while not empty, then emptied.
    lftp("mv up.bin moved.bin").ok();
    assert_absent(&root.join("up.bin"));
    assert_file(&root.join("moved.bin"), &data);
    lftp("rm moved.bin").ok();
    assert_absent(&root.join("moved.bin"));
    lftp("rm moved.bin").failed();
    lftp(&format!("mkdir d; cd d; put {} -o inner.bin", arg(&src))).ok();
    assert_file(&root.join("d/inner.bin"), &data);
    lftp("rmdir d").failed();
    assert!(root.join("d/inner.bin").is_file());
    lftp("rm d/inner.bin; rmdir d; rm cont0.bin cont1.bin").ok();
    assert_absent(&root.join("d"));
    assert_eq!(support::names(root), ["hello.txt"]);
}

// ---------------------------------------------------------------------------------------
// Defaults and access

fn defaults(adapter: Adapter) {
    if !have_tool("curl") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let (root, local) = (root.path(), local.path());
    std::fs::write(root.join("hello.txt"), b"hello\n").unwrap();
    // No options but the port (0, so tests can run side by side) and the adapter.
    let server = Server::start(root, &[], adapter);
    let mode = CurlMode::Epsv;

    let out = curl(mode, &[&server.url("", "hello.txt")]).ok();
    assert_eq!(out.stdout, "hello\n", "anonymous download");
    let listing = curl(mode, &["-l", &server.url("", "")]).ok().stdout;
    assert_eq!(listing.lines().collect::<Vec<_>>(), ["hello.txt"]);

    let file = local.join("up.txt");
    std::fs::write(&file, b"nope\n").unwrap();
    let out = curl(mode, &["-T", arg(&file), &server.url("", "up.txt")]).failed();
    assert_ne!(out.code(), Some(28), "{}", out.describe("timed out"));
    assert_absent(&root.join("up.txt"));
    curl(mode, &["-Q", "MKD d", &server.url("", "")]).failed();
    assert_absent(&root.join("d"));
    curl(mode, &["-Q", "DELE hello.txt", &server.url("", "")]).failed();
    assert!(root.join("hello.txt").is_file());
    assert_eq!(support::names(root), ["hello.txt"]);
}

fn named_users(adapter: Adapter) {
    if !have_tool("curl") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let (root, local) = (root.path(), local.path());
    std::fs::write(root.join("hello.txt"), b"hello\n").unwrap();
    let mode = CurlMode::Epsv;
    let file = local.join("up.txt");
    std::fs::write(&file, b"up\n").unwrap();

    // --user without --anonymous: anonymous is refused (curl 67: login denied).
    let server = Server::start(root, &["--user", "u:p"], adapter);
    let out = curl(mode, &[&server.url("", "hello.txt")]).failed();
    assert_eq!(out.code(), Some(67), "{}", out.describe("anonymous login"));
    let out = curl(mode, &[&server.url("u:wrong@", "hello.txt")]).failed();
    assert_eq!(out.code(), Some(67), "{}", out.describe("wrong password"));
    let out = curl(mode, &[&server.url("u:p@", "hello.txt")]).ok();
    assert_eq!(out.stdout, "hello\n");
    // ... and without --write even u may not upload.
    curl(mode, &["-T", arg(&file), &server.url("u:p@", "up.txt")]).failed();
    assert_absent(&root.join("up.txt"));
    drop(server);

    // --anonymous --write: u writes, anonymous reads but may not write.
    let server = Server::start(root, &["--user", "u:p", "--anonymous", "--write"], adapter);
    let out = curl(mode, &[&server.url("", "hello.txt")]).ok();
    assert_eq!(out.stdout, "hello\n");
    curl(mode, &["-T", arg(&file), &server.url("", "anon.txt")]).failed();
    assert_absent(&root.join("anon.txt"));
    curl(mode, &["-T", arg(&file), &server.url("u:p@", "up.txt")]).ok();
    assert_file(&root.join("up.txt"), b"up\n");
    // Anonymous is `anonymous` or `ftp`, asked for a password: a mistyped name is refused.
    let mut c = Control::connect(server.port);
    assert!(c.reply().starts_with("220"));
    let typo = c.command("USER uu");
    assert!(typo.starts_with("530"), "USER uu: {typo:?}");
    assert!(c.command("USER ftp").starts_with("331"));
    assert!(c.command("PASS guest@").starts_with("230"));
}

fn memory_tree(adapter: Adapter) {
    if !have_tool("curl") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let (root, local) = (root.path(), local.path());
    std::fs::write(root.join("on-disk.txt"), b"disk\n").unwrap();
    let server = Server::start(root, &["--memory", "--write", "--user", "u:p"], adapter);
    let url = |path: &str| server.url("u:p@", path);
    let mode = CurlMode::Epsv;

    // The tree starts empty: ROOT's files are not served.
    let listing = curl(mode, &["-l", &url("")]).ok().stdout;
    assert_eq!(listing, "", "an in-memory tree starts empty");
    curl(mode, &[&url("on-disk.txt")]).failed();

    let data = random_bytes(MIB + 17, 4);
    let src = local.join("src.bin");
    std::fs::write(&src, &data).unwrap();
    curl(
        mode,
        &["--ftp-create-dirs", "-T", arg(&src), &url("dir/mem.bin")],
    )
    .ok();
    let back = local.join("back.bin");
    curl(mode, &["-o", arg(&back), &url("dir/mem.bin")]).ok();
    assert_file(&back, &data);
    let listing = curl(mode, &["-l", &url("dir/")]).ok().stdout;
    assert_eq!(listing.lines().collect::<Vec<_>>(), ["mem.bin"]);

    assert_eq!(support::names(root), ["on-disk.txt"], "ROOT was touched");
    // A second server on the same ROOT starts empty again: nothing was persisted.
    drop(server);
    let server = Server::start(root, &["--memory", "--write", "--user", "u:p"], adapter);
    let listing = curl(mode, &["-l", &server.url("u:p@", "")]).ok().stdout;
    assert_eq!(listing, "");
}

// ---------------------------------------------------------------------------------------
// Options seen on a raw control connection

/// Two consecutive free ports, for `--passive-ports`.
fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let a = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let first = a.local_addr().unwrap().port();
        if first < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", first + 1)).is_ok() {
            return first;
        }
    }
    panic!("no two consecutive free ports");
}

fn cli_options(adapter: Adapter) {
    let root = tempfile::tempdir().unwrap();
    let first = free_port_pair();
    let range = format!("{first}-{}", first + 1);
    let server = Server::start(
        root.path(),
        &[
            "--user",
            "u:p",
            "--idle-timeout",
            "1",
            "--max-connections",
            "1",
            "--passive-ports",
            &range,
            "--masquerade-address",
            "203.0.113.5",
        ],
        adapter,
    );
    let passive = first..=first + 1;

    let mut a = Control::connect(server.port);
    let greeting = a.reply();
    assert!(greeting.starts_with("220"), "greeting: {greeting:?}");
    // --max-connections 1: a second session is turned away.
    let mut b = Control::connect(server.port);
    let refused = b.reply();
    assert!(refused.starts_with("421"), "second connection: {refused:?}");
    assert_eq!(b.reply(), "", "the refused connection is closed");

    assert!(a.command("USER u").starts_with("331"));
    assert!(a.command("PASS p").starts_with("230"));
    // --masquerade-address and --passive-ports shape the PASV reply ...
    let pasv = a.command("PASV");
    let numbers: Vec<u16> = pasv
        .split(['(', ')'])
        .nth(1)
        .unwrap_or_else(|| panic!("PASV reply: {pasv:?}"))
        .split(',')
        .map(|n| n.trim().parse().unwrap())
        .collect();
    assert_eq!(numbers[..4], [203, 0, 113, 5], "PASV address: {pasv:?}");
    let port = numbers[4] * 256 + numbers[5];
    assert!(passive.contains(&port), "PASV port {port} not in {range}");
    // ... and EPSV's port.
    let port = epsv_port(&a.command("EPSV"));
    assert!(passive.contains(&port), "EPSV port {port} not in {range}");

    // --idle-timeout 1: the server says 421 and closes.
    let started = Instant::now();
    let idle = a.reply();
    assert!(idle.starts_with("421"), "after idling: {idle:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "idle timeout took {:?}",
        started.elapsed()
    );
    assert_eq!(a.reply(), "", "the idle connection is closed");
}

/// `--stall-timeout 1`: an upload whose client sends nothing gets 426 within the
/// timeout plus 5 s, and the session goes on.
fn stall_timeout(adapter: Adapter) {
    let root = tempfile::tempdir().unwrap();
    let server = Server::start(
        root.path(),
        &["--user", "u:p", "--write", "--stall-timeout", "1"],
        adapter,
    );
    let mut c = Control::connect(server.port);
    assert!(c.reply().starts_with("220"));
    assert!(c.command("USER u").starts_with("331"));
    assert!(c.command("PASS p").starts_with("230"));
    let port = epsv_port(&c.command("EPSV"));
    let data = TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert!(c.command("STOR stalled.bin").starts_with("150"));
    let started = Instant::now();
    let reply = c.reply();
    assert!(reply.starts_with("426"), "after stalling: {reply:?}");
    assert!(started.elapsed() < Duration::from_secs(6));
    assert!(c.command("NOOP").starts_with("200"));
    assert!(
        !root.path().join("stalled.bin").exists(),
        "a stalled upload was kept"
    );
    drop(data);
}

/// A client that dies mid-upload (its control connection closes, then its data
/// connection) must not replace an existing file: uploads are atomic by default.
fn vanished_uploader(adapter: Adapter) {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    std::fs::write(root.join("f.bin"), b"original\n").unwrap();
    let server = Server::start(root, &["--user", "u:p", "--write"], adapter);

    let mut control = Control::connect(server.port);
    assert!(control.reply().starts_with("220"));
    assert!(control.command("USER u").starts_with("331"));
    assert!(control.command("PASS p").starts_with("230"));
    assert!(control.command("TYPE I").starts_with("200"));
    let port = epsv_port(&control.command("EPSV"));
    let mut data = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let started = control.command("STOR f.bin");
    assert!(
        started.starts_with("150") || started.starts_with("125"),
        "STOR: {started:?}"
    );
    data.write_all(&random_bytes(300_000, 6)).unwrap();
    data.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // The client vanishes (killed, or Ctrl-C): the kernel closes its control connection,
    // then its data connection, at once.
    drop(control);
    drop(data);
    std::thread::sleep(Duration::from_millis(500));

    let got = read(&root.join("f.bin"));
    assert!(
        got == b"original\n",
        "{} adapter: an upload whose client vanished replaced f.bin ({} bytes now, was 9)",
        adapter.name(),
        got.len()
    );
    assert_eq!(support::names(root), ["f.bin"], "leftovers of the upload");
    // The server still serves.
    let mut again = Control::connect(server.port);
    assert!(again.reply().starts_with("220"));
    assert!(again.command("USER u").starts_with("331"));
    assert!(again.command("PASS p").starts_with("230"));
    assert_eq!(again.command("SIZE f.bin"), "213 9");
}

/// A user presses Ctrl-C during `curl -T` over an existing file: the old file must stay
/// (uploads are atomic by default, and the client never saw a 226).
fn curl_interrupted_upload(adapter: Adapter) {
    if !have_tool("curl") || !have_tool("timeout") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let (root, local) = (root.path(), local.path());
    let big = local.join("big.bin");
    std::fs::write(&big, random_bytes(5 * MIB, 7)).unwrap();
    let server = Server::start(root, &["--user", "u:p", "--write"], adapter);
    let mut sizes = Vec::new();
    for _ in 0..3 {
        std::fs::write(root.join("f.bin"), b"original\n").unwrap();
        // SIGINT after 0.7 s at 1 MB/s: about 700 KB of 5 MiB sent.
        let out = run(
            Command::new("timeout")
                .args([
                    "-s",
                    "INT",
                    "0.7",
                    "curl",
                    "-sS",
                    "--limit-rate",
                    "1M",
                    "-T",
                ])
                .arg(&big)
                .arg(server.url("u:p@", "f.bin")),
            TOOL_TIMEOUT,
        );
        assert_eq!(
            out.code(),
            Some(124),
            "{}",
            out.describe("was not interrupted")
        );
        std::thread::sleep(Duration::from_millis(500));
        sizes.push(read(&root.join("f.bin")).len());
        assert_eq!(support::names(root), ["f.bin"], "leftovers of the upload");
    }
    assert!(
        sizes.iter().all(|&n| n == 9),
        "{} adapter: after Ctrl-C on `curl -T big.bin .../f.bin`, f.bin (9 bytes) was \
         replaced by the partial upload; sizes in 3 tries: {sizes:?}",
        adapter.name()
    );
}

// ---------------------------------------------------------------------------------------
// Startup errors

fn missing_root(adapter: Adapter) {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let out = serve_expecting_exit(&[arg(&missing), "--port", "0"], adapter);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{}",
        out.describe("should print exactly one line on stderr")
    );
    assert!(
        lines[0].contains(arg(&missing)),
        "{}",
        out.describe("does not name the missing path")
    );
}

fn busy_port(adapter: Adapter) {
    let root = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let port = addr.port().to_string();
    let out = serve_expecting_exit(&[arg(root.path()), "--port", &port], adapter);
    let last = out.stderr.lines().last().unwrap_or("");
    assert!(
        last.contains(&addr.to_string()),
        "{}",
        out.describe(&format!("should end with an error naming {addr}"))
    );
}

/// `--threads` with the blocking adapter is refused at start (it would be ignored).
#[test]
fn threads_with_the_blocking_adapter_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(sansftp())
        .args(["serve", arg(root.path()), "--port", "0"])
        .args(["--runtime", "blocking", "--threads", "2"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("--threads applies to"), "{stderr}");
}
