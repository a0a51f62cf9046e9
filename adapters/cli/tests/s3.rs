//! `sansftp serve --s3` against a real S3 server on loopback (moto, which `.ci/run`
//! starts and names in `SANSFTP_S3_ENDPOINT`), with the clients a user would try (curl,
//! Python's ftplib), and what S3 holds checked through the S3 API itself (plain HTTP
//! requests, not this project's code). Without the S3 server the tests fail under
//! `CI=true` and are skipped with a notice elsewhere.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

const BUCKET: &str = "sansftp-cli";
const MIB: usize = 1024 * 1024;

#[test]
fn two_servers_serve_one_bucket() {
    let Some(s3) = S3::start() else { return };
    if !have_tool("curl") {
        return;
    }
    let prefix = unique("two");
    let one = s3.serve(&prefix, &[]);
    let two = s3.serve(&prefix, &["--blocking"]);
    let local = tempfile::tempdir().unwrap();
    let up = local.path().join("up.bin");
    let body = random_bytes(12 * MIB + 12_345, 11);
    std::fs::write(&up, &body).unwrap();

    // Uploaded through one (a multipart upload: more than one part) ...
    curl(&[
        "-T",
        arg(&up),
        &one.url("u:p@", "dir/up.bin"),
        "--ftp-create-dirs",
    ])
    .ok();
    // ... is listed and downloaded byte-exact through the other.
    let listing = curl(&[&two.url("u:p@", "dir/")]).ok().stdout;
    let line = listing.lines().find(|l| l.ends_with(" up.bin"));
    let line = line.unwrap_or_else(|| panic!("up.bin not listed by the other server: {listing}"));
    assert!(line.contains(&format!(" {} ", body.len())), "{line}");
    assert_eq!(curl(&["-l", &two.url("u:p@", "")]).ok().stdout, "dir\n");
    let down = local.path().join("down.bin");
    curl(&["-o", arg(&down), &two.url("u:p@", "dir/up.bin")]).ok();
    assert_same_bytes(&read(&down), &body, "downloaded through the other server");
    // And through a third, on the tokio adapter, whose runtime the bucket shares: no
    // runtime of the bucket's own (threads `sansftp-s3`, as the others have).
    let three = s3.serve(&prefix, &["--runtime", "tokio"]);
    let down3 = local.path().join("down3.bin");
    curl(&["-o", arg(&down3), &three.url("u:p@", "dir/up.bin")]).ok();
    assert_same_bytes(&read(&down3), &body, "downloaded through the tokio server");
    #[cfg(target_os = "linux")]
    {
        let names = three.thread_names();
        assert!(names.iter().any(|n| n == "sansftp-tokio"), "{names:?}");
        assert!(!names.iter().any(|n| n == "sansftp-s3"), "{names:?}");
        let names = one.thread_names();
        assert!(names.iter().any(|n| n == "sansftp-s3"), "{names:?}");
    }
    drop(three);
    // REST: a ranged GET.
    let tail = local.path().join("tail.bin");
    let rest = "12582912";
    curl(&["-C", rest, "-o", arg(&tail), &two.url("u:p@", "dir/up.bin")]).ok();
    assert_same_bytes(&read(&tail), &body[12 * MIB..], "REST + RETR");
    // As S3 holds it: one object, the directory's marker, nothing else.
    assert_eq!(
        s3.keys(&prefix),
        [
            format!("{prefix}/dir/.sansftp%dir"),
            format!("{prefix}/dir/up.bin")
        ]
    );
    assert_eq!(s3.get(&format!("{prefix}/dir/up.bin")), body);

    // A rename through one is seen by the other.
    curl(&[
        "-Q",
        "-RNFR dir/up.bin",
        "-Q",
        "-RNTO moved.bin",
        &one.url("u:p@", ""),
    ])
    .ok();
    let listed = curl(&["-l", &two.url("u:p@", "")]).ok().stdout;
    let mut names: Vec<&str> = listed.lines().collect();
    names.sort();
    assert_eq!(names, ["dir", "moved.bin"]);
    curl(&["-o", arg(&down), &two.url("u:p@", "moved.bin")]).ok();
    assert_same_bytes(&read(&down), &body, "renamed, through the other server");
    assert_eq!(
        s3.keys(&prefix),
        [
            format!("{prefix}/dir/.sansftp%dir"),
            format!("{prefix}/moved.bin")
        ]
    );
}

#[test]
fn ftplib_session_on_a_bucket() {
    let Some(s3) = S3::start() else { return };
    if !have_tool("python3") {
        return;
    }
    let prefix = unique("ftplib");
    let server = s3.serve(&prefix, &[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ftplib_s3.py");
    let out = run(
        Command::new("python3")
            .arg(&script)
            .arg("127.0.0.1")
            .arg(server.port.to_string())
            .args(["u", "p"]),
        TOOL_TIMEOUT,
    )
    .ok();
    assert_eq!(
        out.stdout.trim_end().lines().last(),
        Some("ok"),
        "{}",
        out.describe("ended")
    );
    // What the session left, as S3 holds it.
    assert_eq!(
        s3.keys(&prefix),
        [
            format!("{prefix}/docs/.sansftp%dir"),
            format!("{prefix}/docs/b.txt"),
            format!("{prefix}/docs/caf%E9 100%25.txt"),
        ]
    );
}

/// A client killed (SIGKILL) in the middle of an upload over an existing object: the
/// old object stays whole, no new one appears, and the multipart upload is aborted.
#[test]
fn killed_uploader_leaves_no_object() {
    let Some(s3) = S3::start() else { return };
    if !have_tool("curl") {
        return;
    }
    let prefix = unique("killed");
    let server = s3.serve(&prefix, &[]);
    s3.put(&format!("{prefix}/old.bin"), b"original\n");
    let local = tempfile::tempdir().unwrap();
    let big = local.path().join("big.bin");
    std::fs::write(&big, random_bytes(48 * MIB, 12)).unwrap();
    for name in ["old.bin", "new.bin"] {
        let mut client = Command::new("curl")
            .args(["-sS", "--limit-rate", "8M", "-T", arg(&big)])
            .arg(server.url("u:p@", name))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // A part (8 MiB) went out: the multipart upload is under way.
        let started = s3.wait_for_uploads(&prefix, |n| n == 1, Duration::from_secs(20));
        client.kill().unwrap();
        client.wait().unwrap();
        assert_eq!(started, 1, "{name}: no multipart upload under way to cut");
        let left = s3.wait_for_uploads(&prefix, |n| n == 0, Duration::from_secs(10));
        assert_eq!(left, 0, "{name}: the multipart upload was not aborted");
    }
    assert_eq!(s3.keys(&prefix), [format!("{prefix}/old.bin")]);
    assert_eq!(s3.get(&format!("{prefix}/old.bin")), b"original\n");
    assert!(!server.log().contains("received"), "{}", server.log());
}

#[test]
fn a_missing_bucket_is_one_line_at_start() {
    let Some(s3) = S3::start() else { return };
    let out = run(
        s3.command("s3://sansftp-no-such-bucket")
            .args(["--port", "0"]),
        TOOL_TIMEOUT,
    )
    .failed();
    let last = out.stderr.trim_end().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("sansftp: cannot serve s3://sansftp-no-such-bucket: ")
            && last.ends_with("(NoSuchBucket)"),
        "{}",
        out.describe("ended")
    );
    assert!(!out.stdout.contains("listening"), "{}", out.stdout);
}

/// Credentials the server refuses: a moto of this test's own that checks them
/// (`INITIAL_NO_AUTH_ACTION_COUNT=0`), stopped by PID when the test ends.
#[test]
fn refused_credentials_are_one_line_at_start() {
    if !have_tool("moto_server") {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let moto = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("INITIAL_NO_AUTH_ACTION_COUNT", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _stop = Kill(moto);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server does not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    let s3 = S3 {
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let out = run(
        s3.command("s3://sansftp-any-bucket")
            .env("AWS_ACCESS_KEY_ID", "nobody")
            .args(["--port", "0"]),
        TOOL_TIMEOUT,
    )
    .failed();
    let last = out.stderr.trim_end().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("sansftp: cannot serve s3://sansftp-any-bucket: ")
            && last.ends_with("403 Forbidden (InvalidAccessKeyId)"),
        "{}",
        out.describe("ended")
    );
    assert!(!out.stdout.contains("listening"), "{}", out.stdout);
}

/// Kills (by PID) and reaps a child when dropped.
struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn curl(args: &[&str]) -> Output {
    run(
        Command::new("curl")
            .args(["-sS", "--max-time", "60"])
            .args(args),
        TOOL_TIMEOUT,
    )
}

fn unique(what: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{what}-{}-{nanos}", std::process::id())
}

/// The S3 server of the tests, spoken to in plain HTTP (moto takes unsigned requests).
struct S3 {
    endpoint: String,
}

impl S3 {
    /// The server `.ci/run` started, with the test bucket made; see the module docs.
    fn start() -> Option<S3> {
        let endpoint = std::env::var("SANSFTP_S3_ENDPOINT")
            .ok()
            .filter(|e| !e.is_empty());
        let hint = "run moto_server -H 127.0.0.1 -p 5077 and set SANSFTP_S3_ENDPOINT=http://127.0.0.1:5077";
        if !sansftp_conformance::peer::require("an S3 server", endpoint.is_some(), hint) {
            return None;
        }
        // The checks speak S3 through curl.
        if !have_tool("curl") {
            return None;
        }
        let s3 = S3 {
            endpoint: endpoint?,
        };
        let (status, body) = s3.request("PUT", &format!("/{BUCKET}"));
        assert!(
            status == 200 || body.contains("BucketAlreadyOwnedByYou"),
            "{status} {body}"
        );
        Some(s3)
    }

    /// `sansftp serve --s3 URL` with this server's endpoint and test credentials.
    fn command(&self, url: &str) -> Command {
        let mut command = Command::new(sansftp());
        command
            .args(["serve", "--s3", url])
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1");
        command
    }

    /// A server of `s3://BUCKET/prefix` for user u:p, read-write.
    fn serve(&self, prefix: &str, args: &[&str]) -> Server {
        let mut command = self.command(&format!("s3://{BUCKET}/{prefix}"));
        command
            .args(["--port", "0", "--user", "u:p", "--write"])
            .args(args);
        let adapter = if args.contains(&"--blocking") {
            Adapter::Blocking
        } else if args.contains(&"tokio") {
            Adapter::Tokio
        } else {
            Adapter::Async
        };
        Server::spawn(command, adapter)
    }

    /// The keys below `prefix`, sorted (ListObjectsV2).
    fn keys(&self, prefix: &str) -> Vec<String> {
        let query = format!("/{BUCKET}?list-type=2&prefix={}/", encode(prefix));
        let (status, body) = self.request("GET", &query);
        assert_eq!(status, 200, "{body}");
        let mut keys: Vec<String> = tags(&body, "Key").iter().map(|k| unescape(k)).collect();
        keys.sort();
        keys
    }

    /// Polls [`uploads_in_progress`](S3::uploads_in_progress) until `done` says so or
    /// `limit` passes; the last count.
    fn wait_for_uploads(
        &self,
        prefix: &str,
        done: impl Fn(usize) -> bool,
        limit: Duration,
    ) -> usize {
        let deadline = Instant::now() + limit;
        loop {
            let n = self.uploads_in_progress(prefix);
            if done(n) || Instant::now() >= deadline {
                return n;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Multipart uploads started and neither completed nor aborted below `prefix`.
    fn uploads_in_progress(&self, prefix: &str) -> usize {
        let query = format!("/{BUCKET}?uploads&prefix={}/", encode(prefix));
        let (status, body) = self.request("GET", &query);
        assert_eq!(status, 200, "{body}");
        body.matches("<Upload>").count()
    }

    fn get(&self, key: &str) -> Vec<u8> {
        let url = format!("{}/{BUCKET}/{}", self.endpoint, encode(key));
        let out = self.curl(&["-o", "-", &url]);
        assert!(out.status.success(), "{}", out.describe("failed"));
        out.stdout_bytes
    }

    fn put(&self, key: &str, body: &[u8]) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), body).unwrap();
        let url = format!("{}/{BUCKET}/{}", self.endpoint, encode(key));
        let out = self.curl(&["-T", arg(file.path()), &url]);
        assert!(out.status.success(), "{}", out.describe("failed"));
    }

    fn request(&self, method: &str, target: &str) -> (u16, String) {
        let url = format!("{}{target}", self.endpoint);
        let out = self.curl(&["-X", method, "-w", "\n%{http_code}", &url]);
        let text = String::from_utf8_lossy(&out.stdout_bytes).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
        (status.trim().parse().unwrap_or(0), body.to_owned())
    }

    /// curl, signing its request as S3 wants (Signature V4 with the test credentials).
    fn curl(&self, args: &[&str]) -> RawOutput {
        let what = format!("curl {args:?}");
        let out = Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "60",
                "--aws-sigv4",
                "aws:amz:us-east-1:s3",
            ])
            .args(["--user", "test:test"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        RawOutput {
            what,
            status: out.status,
            stdout_bytes: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

struct RawOutput {
    what: String,
    status: std::process::ExitStatus,
    stdout_bytes: Vec<u8>,
    stderr: String,
}

impl RawOutput {
    fn describe(&self, verdict: &str) -> String {
        format!("{} {verdict} ({}): {}", self.what, self.status, self.stderr)
    }
}

/// A key or prefix in a URL: bytes other than unreserved characters and `/` as `%XX`.
fn encode(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn tags(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(open.as_str())
        .skip(1)
        .filter_map(|rest| rest.split_once(close.as_str()).map(|(v, _)| v.to_owned()))
        .collect()
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}
