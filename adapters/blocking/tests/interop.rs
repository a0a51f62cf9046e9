//! Real clients against the blocking server: Python's `ftplib` and `curl`, in passive
//! and active mode. A missing tool fails the test under `CI=true` and is skipped (with
//! a visible notice) elsewhere.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;
use sansftp::server::Config;
use sansftp_storage::MemoryFs;

const TOOL_TIMEOUT: Duration = Duration::from_secs(60);

fn url(server: &sansftp_blocking::RunningServer, path: &str) -> String {
    format!("ftp://alice:secret@{}{path}", server.local_addr())
}

fn curl(args: &[&str]) -> String {
    let out = run_with_timeout(
        Command::new("curl")
            .args(["-sS", "--max-time", "30"])
            .args(args),
        TOOL_TIMEOUT,
    );
    assert!(
        out.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn python_ftplib_session() {
    if !have_tool("python3") {
        return;
    }
    let server = start(MemoryFs::new(), Config::new());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ftplib_client.py");
    let addr = server.local_addr();
    let out = run_with_timeout(
        Command::new("python3")
            .arg(script)
            .arg(addr.ip().to_string())
            .arg(addr.port().to_string()),
        TOOL_TIMEOUT,
    );
    assert!(
        out.status.success(),
        "ftplib failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
}

#[test]
fn curl_download_upload_list_resume_active() {
    if !have_tool("curl") {
        return;
    }
    let data = random_bytes(500_000, 21);
    let fs = MemoryFs::new().with_file("/file.bin", data.clone());
    let server = start(fs.clone(), Config::new());
    let dir = tempfile::tempdir().unwrap();
    let local = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

    // Download (passive, EPSV first).
    curl(&[&url(&server, "/file.bin"), "-o", &local("down.bin")]);
    assert!(std::fs::read(local("down.bin")).unwrap() == data);

    // Upload.
    std::fs::write(local("up.bin"), &data[..123_456]).unwrap();
    curl(&["-T", &local("up.bin"), &url(&server, "/up.bin")]);
    assert_eq!(fs.read("/up.bin").unwrap().as_ref(), &data[..123_456]);

    // Name listing.
    let names = curl(&["-l", &url(&server, "/")]);
    let mut names: Vec<&str> = names.lines().collect();
    names.sort_unstable();
    assert_eq!(names, ["file.bin", "up.bin"]);

    // Resumed download: the local file holds the first part.
    std::fs::write(local("part.bin"), &data[..200_000]).unwrap();
    curl(&[
        "-C",
        "-",
        &url(&server, "/file.bin"),
        "-o",
        &local("part.bin"),
    ]);
    assert!(std::fs::read(local("part.bin")).unwrap() == data);

    // Resumed upload: the server holds the first part (curl: SIZE, then APPE).
    std::fs::write(local("whole.bin"), &data).unwrap();
    curl(&[
        "-C",
        "-",
        "-T",
        &local("whole.bin"),
        &url(&server, "/up.bin"),
    ]);
    let mut expected = data[..123_456].to_vec();
    expected.extend_from_slice(&data[123_456..]);
    assert!(fs.read("/up.bin").unwrap().as_ref() == expected);

    // Active mode (EPRT/PORT to a curl listener on loopback), both directions.
    curl(&[
        "--ftp-port",
        "127.0.0.1",
        &url(&server, "/file.bin"),
        "-o",
        &local("active.bin"),
    ]);
    assert!(std::fs::read(local("active.bin")).unwrap() == data);
    curl(&[
        "--ftp-port",
        "127.0.0.1",
        "-T",
        &local("up.bin"),
        &url(&server, "/active-up.bin"),
    ]);
    assert_eq!(
        fs.read("/active-up.bin").unwrap().as_ref(),
        &data[..123_456]
    );
}

#[test]
fn a_data_connection_from_another_address_is_refused() {
    // std cannot bind a client socket before connecting: python does it, from
    // 127.0.0.2 (Linux routes all of 127/8 to the loopback interface).
    if !have_tool("python3") {
        return;
    }
    let fs = MemoryFs::new().with_file("/f.txt", "the real data");
    let server = start(fs, Config::new());
    let mut ftp = Ftp::login(server.local_addr());
    let addr = ftp.pasv();
    // The server accepts on the listener once the transfer starts.
    ftp.send_raw(b"RETR f.txt\r\n");
    let thief = format!(
        "import socket\n\
         s = socket.socket()\n\
         s.settimeout(5)\n\
         s.bind(('127.0.0.2', 0))\n\
         s.connect(('{}', {}))\n\
         try:\n    print('got', len(s.recv(100)))\n\
         except Exception as e:\n    print('error', type(e).__name__)\n",
        addr.ip(),
        addr.port()
    );
    let out = run_with_timeout(Command::new("python3").args(["-c", &thief]), TOOL_TIMEOUT);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The thief's connection is closed at once without data (EOF or reset, not a
    // timeout).
    assert!(
        said == "got 0\n" || said == "error ConnectionResetError\n",
        "{said}"
    );
    // The real client still gets its file over the same listener.
    let data = connect_data(addr);
    ftp.expect_reply(150);
    assert_eq!(read_all(data), b"the real data");
    ftp.expect_reply(226);
    ftp.quit();
}

#[test]
fn python_ftplib_abort_mid_download() {
    // ftplib's abort() sends "ABOR\r\n" as TCP urgent data: without SO_OOBINLINE on the
    // control socket, its last byte would be taken out of the stream and the line would
    // never end.
    if !have_tool("python3") {
        return;
    }
    let mut config = Config::new();
    config.write_speed_limit = Some(64 * 1024);
    let fs = MemoryFs::new().with_file("/slow.bin", random_bytes(1 << 20, 22));
    let server = start(fs, config);
    let addr = server.local_addr();
    let script = format!(
        "import ftplib\n\
         ftp = ftplib.FTP()\n\
         ftp.connect('{}', {}, timeout=10)\n\
         ftp.login('alice', 'secret')\n\
         conn = ftp.transfercmd('RETR slow.bin')\n\
         assert len(conn.recv(1000)) > 0\n\
         resp = ftp.abort()\n\
         assert resp.startswith('426'), resp\n\
         conn.close()\n\
         resp = ftp.getresp()\n\
         assert resp.startswith('226'), resp\n\
         ftp.voidcmd('NOOP')\n\
         ftp.quit()\n\
         print('ok')\n",
        addr.ip(),
        addr.port()
    );
    let out = run_with_timeout(Command::new("python3").args(["-c", &script]), TOOL_TIMEOUT);
    assert!(
        out.status.success(),
        "ftplib abort failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
