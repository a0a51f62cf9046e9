//! Real clients against the async server: Python's `ftplib` and `curl`. A missing one
//! fails the test under `CI=true` (CI installs them) and is skipped elsewhere with a
//! visible `SKIPPED` line (`sansftp_conformance::peer::have_tool`).

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::{Rt, TestServer, config, random_bytes};
use sansftp_conformance::peer::have_tool;
use sansftp_storage::MemoryFs;

on_both_runtimes!(ftplib, curl, ftplib_abort);

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

const FTPLIB_SCRIPT: &str = r#"
import ftplib, io, sys
port = int(sys.argv[1])
data = bytes(range(256)) * 4096
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", port, timeout=10)
ftp.login("alice", "secret")
ftp.storbinary("STOR up.bin", io.BytesIO(data))
got = io.BytesIO()
ftp.retrbinary("RETR up.bin", got.write)
assert got.getvalue() == data, "download differs"
# Resume: REST via retrbinary's rest argument.
tail = io.BytesIO()
ftp.retrbinary("RETR up.bin", tail.write, rest=1000)
assert tail.getvalue() == data[1000:], "resumed download differs"
assert "up.bin" in ftp.nlst(), ftp.nlst()
names = [n for n, facts in ftp.mlsd()]
assert "up.bin" in names, names
lines = []
ftp.retrlines("LIST", lines.append)
assert any("up.bin" in l for l in lines), lines
ftp.mkd("d")
ftp.cwd("d")
assert ftp.pwd() == "/d"
ftp.cwd("/")
ftp.rename("up.bin", "d/moved.bin")
assert ftp.size("d/moved.bin") == len(data)
ftp.delete("d/moved.bin")
ftp.rmd("d")
# Active mode.
ftp.set_pasv(False)
ftp.storbinary("STOR active.bin", io.BytesIO(data[:5000]))
got = io.BytesIO()
ftp.retrbinary("RETR active.bin", got.write)
assert got.getvalue() == data[:5000]
ftp.quit()
print("ok")
"#;

fn ftplib(rt: Rt) {
    if !have_tool("python3") {
        return;
    }
    let srv = TestServer::start(rt, config(), MemoryFs::new());
    let out =
        run(Command::new("python3").args(["-c", FTPLIB_SCRIPT, &srv.addr.port().to_string()]));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
    srv.shutdown(Duration::from_secs(5)).unwrap();
}

fn curl(rt: Rt) {
    if !have_tool("curl") {
        return;
    }
    let data = random_bytes(700_000, 9);
    let srv = TestServer::start(
        rt,
        config(),
        MemoryFs::new().with_file("/pub/down.bin", data.clone()),
    );
    let dir = tempfile::tempdir().unwrap();
    let base = format!("ftp://alice:secret@127.0.0.1:{}", srv.addr.port());
    let curl = || {
        let mut c = Command::new("curl");
        c.args(["--silent", "--show-error", "--max-time", "20"]);
        c
    };
    // Download (EPSV), then in active mode.
    let down = dir.path().join("down.bin");
    run(curl()
        .arg("-o")
        .arg(&down)
        .arg(format!("{base}/pub/down.bin")));
    assert_eq!(std::fs::read(&down).unwrap(), data);
    let active = dir.path().join("active.bin");
    run(curl()
        .args(["-P", "127.0.0.1", "-o"])
        .arg(&active)
        .arg(format!("{base}/pub/down.bin")));
    assert_eq!(std::fs::read(&active).unwrap(), data);
    // Upload.
    let up = dir.path().join("up.bin");
    std::fs::write(&up, &data[..123_456]).unwrap();
    run(curl().arg("-T").arg(&up).arg(format!("{base}/pub/up.bin")));
    assert!(
        srv.fs
            .read("/pub/up.bin")
            .is_some_and(|b| b == data[..123_456])
    );
    // Resume a download.
    let part = dir.path().join("part.bin");
    std::fs::write(&part, &data[..1000]).unwrap();
    run(curl()
        .args(["-C", "-", "-o"])
        .arg(&part)
        .arg(format!("{base}/pub/down.bin")));
    assert_eq!(std::fs::read(&part).unwrap(), data);
    // List.
    let out = run(curl().arg(format!("{base}/pub/")));
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        list.contains("down.bin") && list.contains("up.bin"),
        "{list}"
    );
    let out = run(curl().arg("--list-only").arg(format!("{base}/pub/")));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l == "down.bin")
    );
    srv.shutdown(Duration::from_secs(5)).unwrap();
}

const FTPLIB_ABORT_SCRIPT: &str = r#"
import ftplib, sys
ftp = ftplib.FTP()
ftp.connect("127.0.0.1", int(sys.argv[1]), timeout=10)
ftp.login("alice", "secret")
conn = ftp.transfercmd("RETR slow.bin")
assert len(conn.recv(1000)) > 0
resp = ftp.abort()  # ABOR sent as TCP urgent data
assert resp.startswith("426"), resp
conn.close()
resp = ftp.getresp()
assert resp.startswith("226"), resp
ftp.voidcmd("NOOP")
ftp.quit()
print("ok")
"#;

/// ftplib's `abort()` sends `ABOR\r\n` as urgent data; the control socket must keep it
/// in the stream (`SO_OOBINLINE`), or the line never ends.
fn ftplib_abort(rt: Rt) {
    if !have_tool("python3") {
        return;
    }
    let mut cfg = config();
    cfg.write_speed_limit = Some(64 * 1024);
    let fs = MemoryFs::new().with_file("/slow.bin", random_bytes(1 << 20, 22));
    let srv = TestServer::start(rt, cfg, fs);
    let out = run(Command::new("python3").args([
        "-c",
        FTPLIB_ABORT_SCRIPT,
        &srv.addr.port().to_string(),
    ]));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}
