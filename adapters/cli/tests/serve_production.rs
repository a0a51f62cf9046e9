//! End-to-end tests of `sansftp serve` for running it in production (issue 12): a users
//! file and `sansftp passwd`, failed-login bans and connections per address, the audit
//! log, the PROXY protocol, a server killed mid-upload. Real clients (curl, raw control
//! connections) on both adapters, as in `serve.rs`.

#[macro_use]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

both_adapters! {
    wrong_passwords_ban_one_address => login_bans;
    users_file_with_argon2_and_sha512_users => users_file;
    bad_users_file_names_its_line => bad_users_file;
    audit_log_has_one_json_line_per_action => audit_log;
    proxy_protocol_with_curl => proxy_protocol;
    killed_server_leaves_no_temporary_after_a_restart => killed_mid_upload;
}

/// As a user would try it: `--max-connections-per-ip 4`, then curl with a wrong password
/// five times from 127.0.0.1: each is logged as `login failed for u from 127.0.0.1`,
/// after which even the right password is refused there, while curl from 127.0.0.2
/// (`--interface`) still logs in; the fifth connection from one address gets 421.
fn login_bans(adapter: Adapter) {
    if !have_tool("curl") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("hello.txt"), b"hello\n").unwrap();
    let args = [
        "--user",
        "u:p",
        "--max-connections-per-ip",
        "4",
        "--login-failure-delay",
        "0.1",
    ];
    let server = Server::start(root.path(), &args, adapter);
    let mode = CurlMode::Epsv;
    let mut four: Vec<Control> = (0..4).map(|_| Control::connect(server.port)).collect();
    assert!(four.iter_mut().all(|c| c.reply().starts_with("220")));
    let mut fifth = Control::connect(server.port);
    let refused = fifth.reply();
    assert_eq!(refused, "421 Too many connections from your address");
    drop(four);
    // The server frees the slots once it has seen those connections close.
    let until = Instant::now() + Duration::from_secs(10);
    while !Control::connect(server.port).reply().starts_with("220") {
        assert!(Instant::now() < until, "slots never freed");
        std::thread::sleep(Duration::from_millis(20));
    }
    for _ in 0..5 {
        let out = curl(mode, &[&server.url("u:wrong@", "hello.txt")]).failed();
        assert_eq!(out.code(), Some(67), "{}", out.describe("wrong password"));
    }
    let log = server.log();
    let failed = log
        .lines()
        .filter(|l| l.ends_with("login failed for u from 127.0.0.1"))
        .count();
    assert_eq!(failed, 5, "{log}");
    let out = curl(mode, &[&server.url("u:p@", "hello.txt")]).failed();
    assert_ne!(out.code(), Some(0), "{}", out.describe("banned"));
    let from_other = ["--interface", "127.0.0.2", &server.url("u:p@", "hello.txt")];
    let out = curl(mode, &from_other).ok();
    assert_eq!(out.stdout, "hello\n");
}

/// `sansftp passwd` reading one line of standard input.
fn passwd(password: &str) -> String {
    let mut child = Command::new(sansftp())
        .arg("passwd")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{password}").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "sansftp passwd: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// As a user would: `sansftp passwd`, a users file with that argon2id hash (a home
/// inside ROOT, write access) and a `$6$` user (`openssl passwd -6`): both log in with
/// curl, alice uploads into her home, a wrong password does not get in.
fn users_file(adapter: Adapter) {
    if !have_tool("curl") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let etc = tempfile::tempdir().unwrap();
    let local = tempfile::tempdir().unwrap();
    let root = root.path();
    std::fs::create_dir(root.join("alice")).unwrap();
    std::fs::write(root.join("hello.txt"), b"hello\n").unwrap();
    let hash = passwd("correct horse");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    // `openssl passwd -6 -salt saltsalt secret`
    let sha = "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";
    let file = etc.path().join("users.toml");
    let text = format!(
        "[[user]]\nname = \"alice\"\npassword = \"{hash}\"\nhome = \"alice\"\nwrite = true\n\n\
         [[user]]\nname = \"bob\"\npassword = \"{sha}\"\n"
    );
    std::fs::write(&file, text).unwrap();
    let server = Server::start(
        root,
        &["--users", arg(&file), "--max-connections-per-ip", "4"],
        adapter,
    );
    let mode = CurlMode::Epsv;
    let up = local.path().join("up.txt");
    std::fs::write(&up, b"up\n").unwrap();
    curl(
        mode,
        &[
            "-T",
            arg(&up),
            &server.url("alice:correct%20horse@", "up.txt"),
        ],
    )
    .ok();
    assert_file(&root.join("alice/up.txt"), b"up\n");
    let out = curl(mode, &[&server.url("bob:secret@", "hello.txt")]).ok();
    assert_eq!(out.stdout, "hello\n");
    // bob may not write (no `write`, no --write).
    curl(
        mode,
        &["-T", arg(&up), &server.url("bob:secret@", "bob.txt")],
    )
    .failed();
    assert_absent(&root.join("bob.txt"));
    for wrong in ["alice:correct%20horsE@", "bob:Secret@", "anonymous:x@"] {
        let out = curl(mode, &[&server.url(wrong, "hello.txt")]).failed();
        assert_eq!(out.code(), Some(67), "{}", out.describe(wrong));
    }
}

/// A users file with a plain-text password stops the server at start, naming the line.
fn bad_users_file(adapter: Adapter) {
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("users.toml");
    std::fs::write(&file, "[[user]]\nname = \"a\"\n\npassword = \"secret\"\n").unwrap();
    let out = serve_expecting_exit(
        &[arg(root.path()), "--port", "0", "--users", arg(&file)],
        adapter,
    );
    let last = out.stderr.lines().last().unwrap_or("");
    assert!(
        last.contains("users.toml: line 4: password must be"),
        "{}",
        out.describe("should name line 4")
    );
}

/// `--audit-log FILE`: curl's login, upload, download, a failed login, and the logouts
/// each appear as one JSON line with the user, address, path and size.
fn audit_log(adapter: Adapter) {
    if !have_tool("curl") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let etc = tempfile::tempdir().unwrap();
    let root = root.path();
    let log = etc.path().join("audit.jsonl");
    std::fs::write(root.join("hello.txt"), b"hello\n").unwrap();
    let up = etc.path().join("up.txt");
    std::fs::write(&up, b"12345").unwrap();
    let args = [
        "--user",
        "u:p",
        "--write",
        "--audit-log",
        arg(&log),
        "--login-failure-delay",
        "0",
    ];
    let server = Server::start(root, &args, adapter);
    let mode = CurlMode::Epsv;
    curl(mode, &["-T", arg(&up), &server.url("u:p@", "up.txt")]).ok();
    curl(mode, &[&server.url("u:p@", "hello.txt")]).ok();
    curl(mode, &[&server.url("u:nope@", "hello.txt")]).failed();
    let until = Instant::now() + Duration::from_secs(10);
    let records = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let records: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
            .collect();
        if records.iter().filter(|r| r["event"] == "logout").count() == 2
            && records.iter().any(|r| r["event"] == "login_failed")
        {
            break records;
        }
        assert!(Instant::now() < until, "audit log so far:\n{text}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let events: Vec<&str> = records
        .iter()
        .map(|r| r["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "login",
            "upload",
            "logout",
            "login",
            "download",
            "logout",
            "login_failed"
        ],
        "{records:?}"
    );
    let upload = &records[1];
    assert_eq!(upload["user"], "u");
    assert_eq!(upload["ip"], "127.0.0.1");
    assert_eq!(upload["path"], "/up.txt");
    assert_eq!(upload["bytes"], 5);
    assert_eq!(records[4]["path"], "/hello.txt");
    assert_eq!(records[4]["bytes"], 6);
    assert_eq!(records[6]["login"], "u");
    assert!(records[6]["user"].is_null());
    let time = records[0]["time"].as_str().unwrap();
    assert!(time.len() == 20 && time.ends_with('Z'), "{time}");
}

/// `--proxy-protocol`: curl sending a PROXY header (`--haproxy-protocol`) is served and
/// logged as proxied; curl without one gets nothing.
fn proxy_protocol(adapter: Adapter) {
    if !have_tool("curl") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("hello.txt"), b"hello\n").unwrap();
    let args = ["--user", "u:p", "--proxy-protocol", "--data-timeout", "2"];
    let server = Server::start(root.path(), &args, adapter);
    let url = server.url("u:p@", "hello.txt");
    let out = curl(CurlMode::Epsv, &["--haproxy-protocol", &url]).ok();
    assert_eq!(out.stdout, "hello\n");
    assert!(server.logged("proxied for 127.0.0.1"), "{}", server.log());
    curl(CurlMode::Epsv, &[&url]).failed();
}

/// `kill -9` of the server during an upload over an old file: meanwhile the upload's
/// temporary is not listed and cannot be read, renamed or deleted; after the kill the
/// old file is intact and the temporary is still there, and a restart removes it (and
/// says so in its log).
fn killed_mid_upload(adapter: Adapter) {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    std::fs::write(root.join("keep.bin"), b"old").unwrap();
    let args = ["--user", "u:p", "--write"];
    let server = Server::start(root, &args, adapter);
    let mut c = Control::connect(server.port);
    assert!(c.reply().starts_with("220"));
    assert!(c.command("USER u").starts_with("331"));
    assert!(c.command("PASS p").starts_with("230"));
    let port = epsv_port(&c.command("EPSV"));
    let mut data = TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert!(c.command("STOR keep.bin").starts_with("150"));
    data.write_all(&vec![7u8; 256 * 1024]).unwrap();
    let temp_of = |root: &Path| {
        std::fs::read_dir(root)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with(".keep.bin.sansftp-"))
    };
    let until = Instant::now() + Duration::from_secs(10);
    let temp = loop {
        if let Some(t) = temp_of(root) {
            break t;
        }
        assert!(Instant::now() < until, "no temporary file");
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut other = Control::connect(server.port);
    assert!(other.reply().starts_with("220"));
    assert!(other.command("USER u").starts_with("331"));
    assert!(other.command("PASS p").starts_with("230"));
    for command in ["SIZE", "MDTM", "DELE", "RNFR"] {
        let reply = other.command(&format!("{command} {temp}"));
        assert!(reply.starts_with("550"), "{command} {temp}: {reply}");
    }
    let port = epsv_port(&other.command("EPSV"));
    let _refused = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let reply = other.command(&format!("STOR {temp}"));
    assert!(reply.starts_with("550"), "STOR {temp}: {reply}");
    let port = epsv_port(&other.command("EPSV"));
    let listing = TcpStream::connect(("127.0.0.1", port)).unwrap();
    assert!(other.command("NLST").starts_with("150"));
    let mut names = String::new();
    BufReader::new(listing).read_line(&mut names).unwrap();
    assert_eq!(names.trim_end(), "keep.bin", "the temporary is listed");
    drop(server); // SIGKILL
    drop((c, other, data));
    assert_eq!(std::fs::read(root.join("keep.bin")).unwrap(), b"old");
    assert_eq!(
        temp_of(root).as_deref(),
        Some(temp.as_str()),
        "the kill left it"
    );
    let again = Server::start(root, &args, adapter);
    assert_eq!(temp_of(root), None, "the restart removed it");
    assert_eq!(std::fs::read(root.join("keep.bin")).unwrap(), b"old");
    assert!(
        again.logged("removed 1 temporary upload file(s) left by an earlier server"),
        "{}",
        again.log()
    );
}
