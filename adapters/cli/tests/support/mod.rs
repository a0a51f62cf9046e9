//! Helpers for the end-to-end tests of `sansftp serve`: start the real binary, run real
//! clients with a time limit, make test data. Every wait is bounded so a hang fails the
//! test instead of blocking CI, and every server is killed when its guard drops.

#![allow(dead_code, unused_imports)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long the server may take to print its ready line.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one run of an external client may take.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

/// The adapters `sansftp serve` can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adapter {
    Async,
    Blocking,
    Tokio,
}

impl Adapter {
    /// The extra command-line argument that selects this adapter.
    pub fn args(self) -> &'static [&'static str] {
        match self {
            Adapter::Async => &[],
            Adapter::Blocking => &["--blocking"],
            Adapter::Tokio => &["--runtime", "tokio"],
        }
    }

    /// The word the ready line ends with.
    pub fn name(self) -> &'static str {
        match self {
            Adapter::Async => "async",
            Adapter::Blocking => "blocking",
            Adapter::Tokio => "tokio",
        }
    }
}

/// The path of the binary under test.
pub fn sansftp() -> &'static str {
    env!("CARGO_BIN_EXE_sansftp")
}

/// A running `sansftp serve`, killed on drop. Its log (stderr) is collected and printed
/// when the test fails, so a failure shows what the server saw.
pub struct Server {
    child: Child,
    pub port: u16,
    pub adapter: Adapter,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `sansftp serve ROOT --port 0 ARGS... [--blocking]` and waits for its ready line.
    pub fn start(root: &Path, args: &[&str], adapter: Adapter) -> Server {
        let mut command = Command::new(sansftp());
        command
            .arg("serve")
            .arg(root)
            .args(["--port", "0"])
            .args(args)
            .args(adapter.args());
        Server::spawn(command, adapter)
    }

    /// Spawns a prepared `sansftp` command and waits for its ready line.
    pub fn spawn(mut command: Command, adapter: Adapter) -> Server {
        let described = format!("{command:?}");
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {described}: {e}"));
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&log);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut log = sink.lock().unwrap_or_else(|e| e.into_inner());
                log.push_str(&line);
                log.push('\n');
            }
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = tx.send(first);
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let mut server = Server {
            child,
            port: 0,
            adapter,
            log,
        };
        let line = match rx.recv_timeout(READY_TIMEOUT) {
            Ok(Some(Ok(line))) => line,
            Ok(other) => panic!(
                "{described} printed no ready line ({other:?}); exit: {:?}; log:\n{}",
                server.child.try_wait(),
                server.log()
            ),
            Err(_) => panic!(
                "{described} not ready after {READY_TIMEOUT:?}; log:\n{}",
                server.log()
            ),
        };
        server.port = parse_ready_line(&line, adapter)
            .unwrap_or_else(|| panic!("unexpected ready line {line:?} from {described}"));
        server
    }

    /// `ftp://USER:PASS@127.0.0.1:PORT/PATH` (`auth` like "u:p@", or "" for anonymous).
    pub fn url(&self, auth: &str, path: &str) -> String {
        format!("ftp://{auth}127.0.0.1:{}/{path}", self.port)
    }

    /// The names of the server process's threads (Linux: /proc/PID/task/*/comm).
    #[allow(dead_code)] // not every test binary looks at threads
    #[cfg(target_os = "linux")]
    pub fn thread_names(&self) -> Vec<String> {
        let tasks = format!("/proc/{}/task", self.child.id());
        std::fs::read_dir(&tasks)
            .unwrap_or_else(|e| panic!("{tasks}: {e}"))
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
            .map(|name| name.trim().to_owned())
            .collect()
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether the log has `text`, waiting up to 10 s for it: a thread collects the
    /// server's stderr, so a line just written may not be in [`log`](Server::log) yet.
    pub fn logged(&self, text: &str) -> bool {
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while !self.log().contains(text) {
            if std::time::Instant::now() >= until {
                return false;
            }
            thread::sleep(Duration::from_millis(10));
        }
        true
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!(
                "--- log of the {} server on port {} ---\n{}--- end of log ---",
                self.adapter.name(),
                self.port,
                self.log()
            );
        }
    }
}

/// The port of `sansftp listening on ftp://127.0.0.1:PORT/ (ADAPTER adapter)` (or
/// `ftpes://`, `ftps://` when serving TLS).
pub fn parse_ready_line(line: &str, adapter: Adapter) -> Option<u16> {
    let rest = line.strip_prefix("sansftp listening on ")?;
    let rest = ["ftp://", "ftpes://", "ftps://"]
        .iter()
        .find_map(|scheme| rest.strip_prefix(scheme))?;
    let rest = rest.strip_prefix("127.0.0.1:")?;
    let (port, tail) = rest.split_once('/')?;
    if tail != format!(" ({} adapter)", adapter.name()) {
        return None;
    }
    port.parse().ok()
}

/// What a finished external command produced.
pub struct Output {
    pub what: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Panics, showing the command and its output, unless it exited with 0.
    pub fn ok(self) -> Output {
        assert!(self.status.success(), "{}", self.describe("failed"));
        self
    }

    /// Panics unless the command exited non-zero.
    pub fn failed(self) -> Output {
        assert!(
            !self.status.success(),
            "{}",
            self.describe("succeeded but should have failed")
        );
        self
    }

    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn describe(&self, verdict: &str) -> String {
        format!(
            "{} {verdict} ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.what, self.status, self.stdout, self.stderr
        )
    }
}

/// Runs a command with stdin closed and a time limit; a command still running at the
/// limit is killed and the test fails.
pub fn run(command: &mut Command, timeout: Duration) -> Output {
    let what = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{what} still running after {timeout:?}, killed\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    stdout.join().unwrap_or_default(),
                    stderr.join().unwrap_or_default()
                );
            }
            Err(e) => panic!("waiting for {what}: {e}"),
        }
    };
    Output {
        what,
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Whether an external tool is on PATH: the workspace's one rule (fail under
/// `CI=true`, skip with a visible message elsewhere), from `sansftp-conformance`.
pub use sansftp_conformance::peer::have_tool;

/// Deterministic pseudo-random bytes (xorshift64*), so a failure is reproducible.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Reads a file, failing the test with its path if it cannot.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Asserts that two byte strings are equal without dumping megabytes on failure.
#[track_caller]
pub fn assert_same_bytes(got: &[u8], expected: &[u8], what: &str) {
    if got != expected {
        let first = got
            .iter()
            .zip(expected)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(expected.len()));
        panic!(
            "{what}: got {} bytes, expected {}; first difference at byte {first}",
            got.len(),
            expected.len()
        );
    }
}

/// Asserts a file under the served root has exactly these contents.
#[track_caller]
pub fn assert_file(path: &Path, expected: &[u8]) {
    assert!(path.is_file(), "{} should be a file", path.display());
    assert_same_bytes(&read(path), expected, &path.display().to_string());
}

/// Asserts nothing exists at a path.
#[track_caller]
pub fn assert_absent(path: &Path) {
    assert!(
        std::fs::symlink_metadata(path).is_err(),
        "{} should not exist",
        path.display()
    );
}

/// The entry names of a directory, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A path as a `&str` argument for a command line.
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// Each scenario as one test per adapter: `async_adapter::NAME`,
/// `blocking_adapter::NAME` and `tokio_adapter::NAME` (`#[macro_use] mod support;`).
#[allow(unused_macros)]
macro_rules! both_adapters {
    ($($name:ident => $scenario:expr;)*) => {
        mod async_adapter {
            use super::*;
            $( #[test] fn $name() { ($scenario)(Adapter::Async) } )*
        }
        mod blocking_adapter {
            use super::*;
            $( #[test] fn $name() { ($scenario)(Adapter::Blocking) } )*
        }
        mod tokio_adapter {
            use super::*;
            $( #[test] fn $name() { ($scenario)(Adapter::Tokio) } )*
        }
    };
}

// ---------------------------------------------------------------------------------------
// Clients the serve tests share: curl, a raw control connection, a start that must fail

#[derive(Clone, Copy, Debug)]
pub enum CurlMode {
    /// curl's default: EPSV.
    Epsv,
    /// `--disable-epsv`: PASV.
    Pasv,
    /// `--ftp-port 127.0.0.1`: EPRT.
    Eprt,
    /// `--ftp-port 127.0.0.1 --disable-eprt`: PORT.
    Port,
}

impl CurlMode {
    pub fn args(self) -> &'static [&'static str] {
        match self {
            CurlMode::Epsv => &[],
            CurlMode::Pasv => &["--disable-epsv"],
            CurlMode::Eprt => &["--ftp-port", "127.0.0.1"],
            CurlMode::Port => &["--ftp-port", "127.0.0.1", "--disable-eprt"],
        }
    }
}

/// `curl -sS --max-time 30 MODE... ARGS...`, bounded by [`TOOL_TIMEOUT`].
pub fn curl(mode: CurlMode, args: &[&str]) -> Output {
    run(
        Command::new("curl")
            .args(["-sS", "--max-time", "30"])
            .args(mode.args())
            .args(args),
        TOOL_TIMEOUT,
    )
}

/// A control connection spoken by hand, every read bounded.
pub struct Control {
    reader: BufReader<TcpStream>,
}

impl Control {
    pub fn connect(port: u16) -> Control {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Control {
            reader: BufReader::new(stream),
        }
    }

    /// One whole reply (the lines of a multi-line one joined with newlines); "" at EOF.
    pub fn reply(&mut self) -> String {
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            self.reader
                .read_line(&mut line)
                .unwrap_or_else(|e| panic!("reading a reply after {reply:?}: {e}"));
            if line.is_empty() {
                return reply;
            }
            reply.push_str(&line);
            let bytes = line.as_bytes();
            let first = reply.as_bytes();
            if bytes.len() >= 4 && bytes[..3] == first[..3] && bytes[3] == b' ' {
                return reply.trim_end().to_owned();
            }
        }
    }

    pub fn command(&mut self, line: &str) -> String {
        write!(self.reader.get_mut(), "{line}\r\n").unwrap();
        self.reply()
    }
}

/// The port of a `229 Entering Extended Passive Mode (|||PORT|)` reply.
pub fn epsv_port(reply: &str) -> u16 {
    reply
        .split("|||")
        .nth(1)
        .and_then(|rest| rest.split('|').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("EPSV reply: {reply:?}"))
}

/// Runs `sansftp serve ARGS...` expecting it to exit (not serve) within the time limit.
pub fn serve_expecting_exit(args: &[&str], adapter: Adapter) -> Output {
    let out = run(
        Command::new(sansftp())
            .arg("serve")
            .args(args)
            .args(adapter.args()),
        Duration::from_secs(30),
    );
    assert!(
        !out.stdout.contains("listening"),
        "{}",
        out.describe("announced it was listening")
    );
    out.failed()
}
