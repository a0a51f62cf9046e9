//! Starts pyftpdlib (tests/peers/pyftpdlib_server.py) on loopback for client interop
//! tests. Included with `#[path]` by each adapter's tests, so both share one launcher.
//!
//! With `CI=true` a missing python3 or pyftpdlib fails the test (`.ci/run` installs
//! them); elsewhere the test is skipped with a message on the terminal.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running pyftpdlib; stopped (by its own PID) when dropped.
pub struct PyFtpd {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// The directory it serves (user `alice` / `secret`, anonymous read-only).
    pub root: PathBuf,
}

/// Whether pyftpdlib can be started here: the workspace's one rule for a missing peer
/// (`sansftp_conformance::peer`): fails under `CI=true`, skipped visibly elsewhere.
pub fn available() -> bool {
    sansftp_conformance::peer::have_python_module("pyftpdlib")
}

impl PyFtpd {
    /// Starts pyftpdlib serving `root`; `None` (after [`available`]'s message) when it
    /// is not installed. `no_mlst` hides MLSD/MLST.
    pub fn start(root: &Path, no_mlst: bool) -> Option<PyFtpd> {
        if !available() {
            return None;
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|d| d.join("tests/peers/pyftpdlib_server.py"))
            .find(|p| p.exists())
            .expect("tests/peers/pyftpdlib_server.py above the crate");
        let mut cmd = Command::new("python3");
        cmd.arg(&script).arg(root);
        if no_mlst {
            cmd.arg("--no-mlst");
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python3");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read pyftpdlib's port");
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("pyftpdlib did not start: {line:?}"));
        Some(PyFtpd {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            root: root.to_path_buf(),
        })
    }
}

impl Drop for PyFtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
