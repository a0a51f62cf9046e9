//! Whether an external peer a test needs (curl, lftp, python3, pyftpdlib) is installed.
//!
//! The one rule for every interop test in the workspace: a missing peer **fails** the
//! test under `CI=true` (CI installs them all), and elsewhere the test is skipped with
//! a message written straight to the terminal's stderr, past the test harness's output
//! capture, so a local `cargo test` shows what it did not run instead of a silent pass.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Whether the program `name` is on `PATH`; see the module's rule for a missing one.
pub fn have_tool(name: &str) -> bool {
    require(name, on_path(name), "install it")
}

/// Whether `python3` can import `module`; see the module's rule for a missing one.
pub fn have_python_module(module: &str) -> bool {
    let found = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    require(
        &format!("python3 with {module}"),
        found,
        &format!("pip install {module}"),
    )
}

/// Applies the rule to a peer found (or not) by other means: `true` when `found`;
/// otherwise panics under `CI=true`, or reports the skip and returns `false`.
pub fn require(peer: &str, found: bool, hint: &str) -> bool {
    if found {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{peer} is required under CI=true but missing ({hint}; .ci/run installs it)");
    }
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    // Straight to the stream: `eprintln!` would be captured and hidden on success.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {peer} not found ({hint})"
    );
    false
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| is_executable(&dir.join(name)))
    })
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Runs `cmd` with its output captured and a deadline; kills it and panics (with what it
/// printed) when it takes longer.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let until = Instant::now() + timeout;
    loop {
        match child.try_wait().expect("wait for the child") {
            Some(_) => return child.wait_with_output().expect("the child's output"),
            None if Instant::now() >= until => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("the child's output");
                panic!(
                    "{cmd:?} timed out\nstdout: {}\nstderr: {}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

#[cfg(test)]
mod tests {
    /// The rule itself: a missing tool fails under `CI=true` and is skipped elsewhere.
    #[test]
    fn a_missing_tool_fails_under_ci_and_skips_elsewhere() {
        let ci = std::env::var("CI").as_deref() == Ok("true");
        let r = std::panic::catch_unwind(|| super::have_tool("sansftp-no-such-tool"));
        if ci {
            assert!(r.is_err(), "CI=true must fail a test whose peer is missing");
        } else {
            assert_eq!(r.ok(), Some(false));
        }
        #[cfg(unix)]
        assert!(super::have_tool("sh"));
    }
}
