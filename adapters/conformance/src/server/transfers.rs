//! Server scenarios: commands, listings, transfers in every mode, real files.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sansftp::server::{Config, User};
use sansftp_storage::{LocalFs, MemoryFs};

use super::{ServerHarness, Spec, config, start};
use crate::ftp::*;
use crate::random_bytes;

/// Login (a wrong password first), PWD before and after, MKD/CWD/CDUP/RMD, QUIT closes.
pub fn login_and_directories<H: ServerHarness>(h: &H) {
    let srv = start(h, MemoryFs::new(), config());
    let mut ftp = Ftp::connect(srv.addr());
    assert_eq!(ftp.greeting.code, 220);
    ftp.expect("PWD", 530);
    ftp.expect("USER alice", 331);
    ftp.expect("PASS wrong", 530);
    ftp.expect("PASS secret", 230);
    assert!(ftp.expect("PWD", 257).text.contains("\"/\""));
    assert!(ftp.expect("MKD dir", 257).text.contains("\"/dir\""));
    ftp.expect("CWD dir", 250);
    assert!(ftp.expect("PWD", 257).text.contains("\"/dir\""));
    ftp.expect("CDUP", 250);
    ftp.expect("MKD dir", 550);
    ftp.expect("RMD dir", 250);
    ftp.expect("CWD dir", 550);
    ftp.expect("QUIT", 221);
    assert!(ftp.is_closed());
}

/// STOR then RETR of 1 MiB, byte-exact; SIZE; a missing file is 550 after PASV.
pub fn stor_retr_byte_exact<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new();
    let srv = start(h, fs.clone(), config());
    let data = random_bytes(1 << 20, 1);
    let mut ftp = Ftp::login(srv.addr());
    ftp.expect("TYPE I", 200);
    ftp.upload("STOR /big.bin", &data);
    assert!(fs.read("/big.bin").is_some_and(|b| b == data[..]));
    assert!(ftp.download("RETR big.bin") == data, "RETR differs");
    assert!(ftp.expect("SIZE big.bin", 213).text.contains("1048576"));
    // A missing file answers 550 before any data connection is used.
    ftp.pasv();
    ftp.expect("RETR /missing", 550);
    ftp.quit();
}

/// A resumed upload and download (REST), REST past the end, APPE to a file and to a
/// new one.
pub fn rest_resume_and_appe<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new().with_file("/log.txt", "one\n");
    let srv = start(h, fs.clone(), config());
    let data = random_bytes(100_000, 2);
    let mut ftp = Ftp::login(srv.addr());
    ftp.expect("TYPE I", 200);
    ftp.upload("STOR part.bin", &data[..30_000]);
    ftp.expect("REST 30000", 350);
    ftp.upload("STOR part.bin", &data[30_000..]);
    assert!(fs.read("/part.bin").is_some_and(|b| b == data[..]));
    ftp.expect("REST 99000", 350);
    assert_eq!(ftp.download("RETR part.bin"), &data[99_000..]);
    // Past the end sends nothing.
    ftp.expect("REST 200000", 350);
    assert!(ftp.download("RETR part.bin").is_empty());
    ftp.upload("APPE part.bin", b"tail");
    assert_eq!(fs.read("/part.bin").unwrap().len(), 100_004);
    ftp.upload("APPE log.txt", b"two\n");
    ftp.upload("APPE new.txt", b"fresh");
    assert_eq!(fs.read("/log.txt").unwrap().as_ref(), b"one\ntwo\n");
    assert_eq!(fs.read("/new.txt").unwrap().as_ref(), b"fresh");
    ftp.quit();
}

/// RNFR/RNTO and DELE, and their 550s.
pub fn rename_and_delete<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new().with_file("/a.txt", "A");
    let srv = start(h, fs.clone(), config());
    let mut ftp = Ftp::login(srv.addr());
    ftp.expect("RNFR a.txt", 350);
    ftp.expect("RNTO b.txt", 250);
    assert!(fs.read("/a.txt").is_none());
    assert_eq!(fs.read("/b.txt").unwrap().as_ref(), b"A");
    ftp.expect("RNFR missing", 550);
    ftp.expect("DELE b.txt", 250);
    ftp.expect("DELE b.txt", 550);
    assert!(fs.read("/b.txt").is_none());
    ftp.quit();
}

/// LIST, NLST and MLSD of a directory with a file and a subdirectory.
pub fn list_nlst_mlsd<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new()
        .with_file("/pub/readme.txt", "hello")
        .with_dir("/pub/sub");
    let srv = start(h, fs, config());
    let mut ftp = Ftp::login(srv.addr());
    let list = String::from_utf8(ftp.download("LIST pub")).unwrap();
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(list.ends_with("\r\n"), "{list}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with('-') && l.ends_with(" readme.txt")),
        "{list}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with('d') && l.ends_with(" sub")),
        "{list}"
    );
    let nlst = String::from_utf8(ftp.download("NLST /pub")).unwrap();
    assert!(nlst.ends_with("\r\n"), "{nlst}");
    let mut names: Vec<&str> = nlst.lines().collect();
    names.sort_unstable();
    assert_eq!(names.len(), 2, "{nlst}");
    assert!(
        names[0].ends_with("readme.txt") && names[1].ends_with("sub"),
        "{nlst}"
    );
    let mlsd = String::from_utf8(ftp.download("MLSD pub")).unwrap();
    assert!(
        mlsd.lines().any(|l| l.contains("type=file;")
            && l.contains("size=5;")
            && l.ends_with(" readme.txt")),
        "{mlsd}"
    );
    assert!(
        mlsd.lines()
            .any(|l| l.contains("type=dir;") && l.ends_with(" sub")),
        "{mlsd}"
    );
    ftp.quit();
}

/// STOU with a taken name (RFC 1123 `150 FILE: name`), then SIZE, MDTM, MLST.
pub fn stou_size_mdtm_mlst<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new().with_file("/up", "taken");
    let srv = start(h, fs.clone(), config());
    let mut ftp = Ftp::login(srv.addr());
    let mut data = connect_data(ftp.pasv());
    let opening = ftp.expect("STOU up", 150);
    data.write_all(b"unique").unwrap();
    drop(data);
    ftp.expect_reply(226);
    assert_eq!(fs.read("/up").unwrap().as_ref(), b"taken");
    let name = opening
        .text
        .strip_prefix("150 FILE: ")
        .map(str::trim_end)
        .unwrap_or_else(|| panic!("no name in {opening:?}"));
    assert_ne!(name, "/up");
    assert_eq!(fs.read(name).unwrap().as_ref(), b"unique");
    assert!(ftp.expect("SIZE up", 213).text.starts_with("213 5"));
    let mdtm = ftp.expect("MDTM up", 213);
    // RFC 3659 time-val: 14 digits, maybe a fraction.
    let stamp = mdtm.text[4..].trim_end();
    assert!(
        stamp.len() >= 14 && stamp[..14].bytes().all(|b| b.is_ascii_digit()),
        "{mdtm:?}"
    );
    let mlst = ftp.expect("MLST up", 250);
    assert!(
        mlst.text.contains("type=file;") && mlst.text.contains("size=5;"),
        "{mlst:?}"
    );
    ftp.expect("SIZE missing", 550);
    ftp.quit();
}

/// STOU whose first name is taken: the next name, on the same passive connection.
pub fn stou_retries_on_the_same_connection<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new().with_file("/file.1", "taken");
    let srv = start(h, fs.clone(), config());
    let mut ftp = Ftp::login(srv.addr());
    ftp.upload("STOU", b"fresh");
    assert_eq!(fs.read("/file.1").unwrap().as_ref(), b"taken");
    assert_eq!(fs.read("/file.2").unwrap().as_ref(), b"fresh");
    ftp.quit();
}

/// A passive listener serves one transfer: after a download that connected, and after
/// a `RETR` refused before any connection (`550`), its port refuses connections.
pub fn passive_listener_closed_after_use<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new().with_file("/f", "data");
    let srv = start(h, fs, config());
    let mut ftp = Ftp::login(srv.addr());
    let used = ftp.pasv();
    let data = connect_data(used);
    ftp.expect("RETR /f", 150);
    assert_eq!(read_all(data), b"data");
    ftp.expect_reply(226);
    assert_closed(used);
    let refused = ftp.pasv();
    ftp.expect("RETR /missing", 550);
    assert_closed(refused);
    ftp.expect("NOOP", 200);
    ftp.quit();
}

/// `addr` refuses connections (within a second: the server closes it as it answers).
fn assert_closed(addr: SocketAddr) {
    let until = Instant::now() + Duration::from_secs(1);
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok() {
        assert!(Instant::now() < until, "{addr} still accepts connections");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// TYPE A: LF to CRLF on RETR, CRLF to LF on STOR (a lone CR kept); TYPE I raw.
pub fn type_a_converts<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new().with_file("/unix.txt", "a\nb\n\nc");
    let srv = start(h, fs.clone(), config());
    let mut ftp = Ftp::login(srv.addr());
    ftp.expect("TYPE A", 200);
    assert_eq!(ftp.download("RETR unix.txt"), b"a\r\nb\r\n\r\nc");
    ftp.upload("STOR up.txt", b"x\r\ny\r\nlone\rcr\r\n");
    assert_eq!(fs.read("/up.txt").unwrap().as_ref(), b"x\ny\nlone\rcr\n");
    ftp.expect("TYPE I", 200);
    assert_eq!(ftp.download("RETR unix.txt"), b"a\nb\n\nc");
    ftp.quit();
}

/// Commands sent in one write are answered in order.
pub fn pipelined_commands_in_order<H: ServerHarness>(h: &H) {
    let srv = start(h, MemoryFs::new(), config());
    let mut ftp = Ftp::connect(srv.addr());
    ftp.send_raw(b"USER alice\r\nPASS secret\r\nMKD p\r\nCWD p\r\nPWD\r\nNOOP\r\n");
    for code in [331, 230, 257, 250, 257, 200] {
        ftp.expect_reply(code);
    }
    ftp.quit();
}

/// Active mode: PORT and RETR (300 KB), EPRT and STOR.
pub fn active_port_and_eprt<H: ServerHarness>(h: &H) {
    let data = random_bytes(300_000, 5);
    let fs = MemoryFs::new().with_file("/f.bin", data.clone());
    let srv = start(h, fs.clone(), config());
    let mut ftp = Ftp::login(srv.addr());
    assert!(ftp.download_active("RETR f.bin") == data);
    let listener = active_listener();
    let port = listener.local_addr().unwrap().port();
    ftp.expect(&format!("EPRT |1|127.0.0.1|{port}|"), 200);
    ftp.send("STOR up.bin");
    let mut conn = accept_within(&listener, TIMEOUT);
    ftp.expect_reply(150);
    conn.write_all(b"active upload").unwrap();
    drop(conn);
    ftp.expect_reply(226);
    assert_eq!(fs.read("/up.bin").unwrap().as_ref(), b"active upload");
    ftp.quit();
}

/// PORT/EPRT to another host (a bounce) or a privileged port is refused.
pub fn port_bounce_refused<H: ServerHarness>(h: &H) {
    let srv = start(h, MemoryFs::new(), config());
    let mut ftp = Ftp::login(srv.addr());
    ftp.expect("PORT 10,0,0,1,200,10", 501);
    assert_eq!(ftp.cmd("PORT 127,0,0,1,0,25").code / 100, 5);
    assert_eq!(ftp.cmd("EPRT |1|192.0.2.1|5000|").code / 100, 5);
    ftp.expect("NOOP", 200);
    ftp.quit();
}

/// PORT to a port nobody listens on: the transfer gets 425, the session goes on.
pub fn active_connection_that_fails_gives_425<H: ServerHarness>(h: &H) {
    let srv = start(h, MemoryFs::new().with_file("/f.txt", "data"), config());
    let mut ftp = Ftp::login(srv.addr());
    let closed = SocketAddr::from(([127, 0, 0, 1], free_port()));
    ftp.expect(&format!("PORT {}", port_arg(closed)), 200);
    ftp.expect("RETR f.txt", 425);
    ftp.expect("NOOP", 200);
    ftp.quit();
}

/// A thief connecting to the passive port from 127.0.0.2 gets nothing; the client
/// still gets its file.
pub fn data_connection_from_other_host_refused<H: ServerHarness>(h: &H) {
    let srv = start(h, MemoryFs::new().with_file("/f", "secret data"), config());
    let mut ftp = Ftp::login(srv.addr());
    let addr = ftp.pasv();
    let mut thief = connect_from("127.0.0.2:0".parse().unwrap(), addr);
    ftp.send("RETR /f");
    let mut got = Vec::new();
    let _ = thief.read_to_end(&mut got);
    assert!(got.is_empty(), "the thief got {got:?}");
    let data = connect_data(addr);
    ftp.expect_reply(150);
    assert_eq!(read_all(data), b"secret data");
    ftp.expect_reply(226);
    ftp.quit();
}

/// IPv6: PASV refused, EPSV works (skipped where there is no IPv6 loopback).
pub fn ipv6_epsv<H: ServerHarness>(h: &H) {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        crate::peer::require("an IPv6 loopback", false, "enable IPv6");
        return;
    }
    let fs = MemoryFs::new().with_file("/f", "six");
    let srv = h
        .start(Spec::new(fs, config()).bind("[::1]:0"))
        .expect("bind [::1]");
    let mut ftp = Ftp::login(srv.addr());
    ftp.expect("PASV", 501);
    let data = connect_data(ftp.epsv());
    ftp.expect("RETR f", 150);
    assert_eq!(read_all(data), b"six");
    ftp.expect_reply(226);
    ftp.quit();
}

/// `LocalFs` on a temporary directory: 3 MiB STOR/RETR/REST byte-exact, APPE, TYPE A in
/// blocks both ways, RNFR into a directory, LIST, DELE/RMD, an aborted upload that
/// leaves the old file.
pub fn local_files<H: ServerHarness>(h: &H) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep"), "old").unwrap();
    let cfg = Config::new().user(User::new("alice", "secret").base_path(dir.path()));
    let srv = start(h, LocalFs::new(), cfg);
    let data = random_bytes(3 << 20, 11);
    let mut ftp = Ftp::login(srv.addr());
    ftp.expect("TYPE I", 200);
    ftp.upload("STOR big.bin", &data[..600_000]);
    ftp.expect("REST 600000", 350);
    ftp.upload("STOR big.bin", &data[600_000..]);
    assert!(std::fs::read(dir.path().join("big.bin")).unwrap() == data);
    assert!(ftp.download("RETR big.bin") == data);
    ftp.expect("REST 3000000", 350);
    assert_eq!(ftp.download("RETR big.bin"), &data[3_000_000..]);
    // TYPE A on a file read and written in blocks.
    let text: Vec<u8> = b"line\n".repeat(200_000);
    std::fs::write(dir.path().join("t.txt"), &text).unwrap();
    ftp.expect("TYPE A", 200);
    assert!(ftp.download("RETR t.txt") == b"line\r\n".repeat(200_000));
    ftp.upload("STOR u.txt", &b"x\r\n".repeat(300_000));
    assert!(std::fs::read(dir.path().join("u.txt")).unwrap() == b"x\n".repeat(300_000));
    ftp.expect("TYPE I", 200);
    // APPE opens the file with O_APPEND, which splice(2) refuses (the async adapter
    // splices other uploads into local files): it is written by hand instead.
    std::fs::write(dir.path().join("log.bin"), "one\n").unwrap();
    ftp.upload("APPE log.bin", &data[..700_000]);
    let mut appended = b"one\n".to_vec();
    appended.extend_from_slice(&data[..700_000]);
    assert!(std::fs::read(dir.path().join("log.bin")).unwrap() == appended);
    ftp.expect("MKD sub", 257);
    ftp.expect("RNFR big.bin", 350);
    ftp.expect("RNTO sub/moved.bin", 250);
    assert!(dir.path().join("sub/moved.bin").exists());
    let list = String::from_utf8(ftp.download("LIST sub")).unwrap();
    assert!(
        list.contains(&(3u32 << 20).to_string()) && list.contains("moved.bin"),
        "{list}"
    );
    ftp.expect("DELE sub/moved.bin", 250);
    ftp.expect("RMD sub", 250);
    // An aborted upload leaves the old file alone.
    let mut conn = ftp.open_data("STOR keep");
    conn.write_all(&data[..200_000]).unwrap();
    ftp.send("ABOR");
    ftp.expect_reply(426);
    ftp.expect_reply(226);
    drop(conn);
    ftp.expect("NOOP", 200);
    assert_eq!(std::fs::read(dir.path().join("keep")).unwrap(), b"old");
    ftp.quit();
}

/// `LocalFs`: `..` is clamped at the root; absolute host paths and a symlink out of the
/// root are refused for SIZE, RETR and STOR.
pub fn local_root_confines<H: ServerHarness>(h: &H) {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.txt"), "ok").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), dir.path().join("escape")).unwrap();
    let cfg = Config::new().user(User::new("alice", "secret").base_path(dir.path()));
    let srv = start(h, LocalFs::new(), cfg);
    let mut ftp = Ftp::login(srv.addr());
    assert_eq!(ftp.download("RETR ../../ok.txt"), b"ok");
    let name = outside.path().join("secret.txt");
    ftp.expect(&format!("SIZE {}", name.display()), 550);
    #[cfg(unix)]
    {
        ftp.expect("SIZE escape/secret.txt", 550);
        let _data = connect_data(ftp.pasv());
        ftp.expect("RETR escape/secret.txt", 550);
        let _data = connect_data(ftp.pasv());
        assert_eq!(ftp.cmd("STOR escape/new.txt").code / 100, 5);
        assert!(!outside.path().join("new.txt").exists());
    }
    ftp.quit();
}

/// A user whose `LocalFs` root does not exist: starting fails, naming the path.
pub fn missing_local_root_fails_at_start<H: ServerHarness>(h: &H) {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let cfg = Config::new().user(User::new("alice", "secret").base_path(&missing));
    let Err(err) = h.start(Spec::new(LocalFs::new(), cfg)) else {
        panic!("a server started on a missing root");
    };
    assert!(matches!(err, sansftp::Error::PathIo(_)), "{err:?}");
    assert!(err.to_string().contains("nope"), "{err}");
}

/// Binding a taken port fails with an I/O error naming the address.
pub fn bind_failure_names_the_address<H: ServerHarness>(h: &H) {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let Err(err) = h.start(Spec::new(MemoryFs::new(), config()).bind(&addr)) else {
        panic!("bound a taken port");
    };
    assert!(matches!(err, sansftp::Error::Io(_)), "{err:?}");
    assert!(err.to_string().contains(&addr), "{err}");
}

/// ABOR of a download slowed to 64 KiB/s: 426 then 226 within 3 s, the data
/// connection closed, the session goes on.
pub fn abor_mid_download<H: ServerHarness>(h: &H) {
    let mut cfg = config();
    cfg.write_speed_limit_per_connection = Some(64 * 1024);
    let fs = MemoryFs::new()
        .with_file("/big", random_bytes(4 << 20, 3))
        .with_file("/small", "small");
    let srv = start(h, fs, cfg);
    let mut ftp = Ftp::login(srv.addr());
    let mut data = ftp.open_data("RETR /big");
    let mut first = [0u8; 1024];
    data.read_exact(&mut first).expect("some data flows");
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    ftp.send("ABOR");
    ftp.expect_reply(426);
    ftp.expect_reply(226);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "ABOR took {:?}",
        started.elapsed()
    );
    let got = read_all_lossy(data);
    assert!(got < 4 << 20, "the transfer was not stopped ({got} bytes)");
    ftp.expect("NOOP", 200);
    assert_eq!(ftp.download("RETR /small"), b"small");
    ftp.quit();
}

/// ABOR of an upload: 426, 226, nothing committed.
pub fn abor_mid_upload_discards<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new().with_file("/keep", "old");
    let srv = start(h, fs.clone(), config());
    let mut ftp = Ftp::login(srv.addr());
    let mut data = ftp.open_data("STOR /keep");
    data.write_all(&random_bytes(100_000, 4)).unwrap();
    ftp.send("ABOR");
    ftp.expect_reply(426);
    ftp.expect_reply(226);
    drop(data);
    ftp.expect("NOOP", 200);
    assert_eq!(fs.read("/keep").unwrap().as_ref(), b"old");
    ftp.quit();
}

/// The control connection closes first, the data connection later: the upload is
/// not committed, and the server still serves.
pub fn vanished_uploader_discards<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new().with_file("/keep.bin", "original");
    let srv = start(h, fs.clone(), config());
    let mut ftp = Ftp::login(srv.addr());
    let mut data = ftp.open_data("STOR keep.bin");
    data.write_all(&random_bytes(100_000, 9)).unwrap();
    drop(ftp);
    std::thread::sleep(Duration::from_millis(300));
    drop(data);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(fs.read("/keep.bin").unwrap().as_ref(), b"original");
    Ftp::login(srv.addr()).quit();
}

/// A killed client's kernel closes both connections at once, in descriptor order:
/// either FIN may come first. The data end of file must not commit the upload; a
/// client that stays gets its upload committed, then 226.
pub fn killed_uploader_discards_in_either_fin_order<H: ServerHarness>(h: &H) {
    let fs = MemoryFs::new().with_file("/keep", "old");
    let srv = start(h, fs.clone(), config());
    for data_first in [true, false, true, false] {
        let mut ftp = Ftp::login(srv.addr());
        let mut data = ftp.open_data("STOR /keep");
        data.write_all(&random_bytes(100_000, 4)).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        if data_first {
            drop(data);
            drop(ftp);
        } else {
            drop(ftp);
            drop(data);
        }
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            fs.read("/keep").unwrap().as_ref(),
            b"old",
            "data connection closed first: {data_first}"
        );
    }
    let mut ftp = Ftp::login(srv.addr());
    ftp.upload("STOR /keep", b"new");
    assert_eq!(fs.read("/keep").unwrap().as_ref(), b"new");
    ftp.quit();
}

/// STAT during a transfer answers at once; QUIT lets the transfer finish (226, 221).
pub fn quit_and_stat_during_a_transfer<H: ServerHarness>(h: &H) {
    let mut cfg = config();
    cfg.write_speed_limit = Some(300_000);
    let data = random_bytes(300_000, 13);
    let srv = start(h, MemoryFs::new().with_file("/f.bin", data.clone()), cfg);
    let mut ftp = Ftp::login(srv.addr());
    let conn = ftp.open_data("RETR f.bin");
    let reader = std::thread::spawn(move || read_all(conn));
    std::thread::sleep(Duration::from_millis(100));
    let stat = ftp.cmd("STAT");
    assert_eq!(stat.code / 100, 2, "{stat:?}");
    ftp.send("QUIT");
    assert!(reader.join().unwrap() == data);
    ftp.expect_reply(226);
    ftp.expect_reply(221);
    assert!(ftp.is_closed());
}

/// Speed limits hold both ways: 100 kB at 100 kB/s takes about a second (the buckets
/// start empty). Loose bounds: this checks the throttle is applied, not timing.
pub fn speed_limits_apply<H: ServerHarness>(h: &H) {
    let mut cfg = config();
    cfg.write_speed_limit_per_connection = Some(100_000);
    cfg.read_speed_limit = Some(100_000);
    let data = random_bytes(100_000, 14);
    let fs = MemoryFs::new().with_file("/f", data.clone());
    let srv = start(h, fs.clone(), cfg);
    let mut ftp = Ftp::login(srv.addr());
    let begun = Instant::now();
    assert!(ftp.download("RETR /f") == data);
    let down = begun.elapsed();
    let begun = Instant::now();
    ftp.upload("STOR /g", &data);
    let up = begun.elapsed();
    for (what, t) in [("download", down), ("upload", up)] {
        assert!(
            t >= Duration::from_millis(700) && t < Duration::from_secs(8),
            "{what} took {t:?}"
        );
    }
    assert!(fs.read("/g").is_some_and(|b| b == data[..]));
    ftp.quit();
}

/// A name with raw, unescaped 0xFF 0xFE bytes (a client that does not double its
/// IACs) round-trips through STOR, NLST and RETR, and lands on disk byte for byte: only
/// the Telnet sequences FTP uses are taken out of command lines.
pub fn raw_ff_names_round_trip<H: ServerHarness>(h: &H) {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::new().user(User::new("alice", "secret").base_path(dir.path()));
    let srv = start(h, LocalFs::new(), cfg);
    let name: &[u8] = b"caf\xe9-\xff\xfe.bin";
    let mut ftp = Ftp::login(srv.addr());
    ftp.expect("TYPE I", 200);
    let addr = ftp.pasv();
    let mut data = connect_data(addr);
    ftp.send_raw(&[&b"STOR "[..], name, b"\r\n"].concat());
    ftp.expect_reply(150);
    data.write_all(b"raw name").unwrap();
    drop(data);
    ftp.expect_reply(226);
    let on_disk = dir.path().join(std::ffi::OsStr::from_bytes(name));
    assert_eq!(std::fs::read(&on_disk).unwrap(), b"raw name");
    let nlst = ftp.download("NLST");
    assert_eq!(nlst, [name, b"\r\n"].concat());
    let addr = ftp.pasv();
    let data = connect_data(addr);
    ftp.send_raw(&[&b"RETR "[..], name, b"\r\n"].concat());
    ftp.expect_reply(150);
    assert_eq!(read_all(data), b"raw name");
    ftp.expect_reply(226);
}

/// MLSD and MLST on real files send every fact FEAT marks as selected: `perm` with the
/// user's rights (read-only here), `unique` from the file's device and inode (the same
/// in both), `unix.mode`.
pub fn mlsx_facts_on_disk<H: ServerHarness>(h: &H) {
    use sansftp::server::Permission;
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.txt"), "hi").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let read_only = Permission::new("/").unwrap().read_only();
    let user = User::new("alice", "secret")
        .base_path(dir.path())
        .permission(read_only);
    let srv = start(h, LocalFs::new(), Config::new().user(user));
    let mut ftp = Ftp::login(srv.addr());
    let feat = ftp.expect("FEAT", 211).text;
    for fact in [
        "type*",
        "size*",
        "modify*",
        "perm*",
        "unique*",
        "unix.mode*",
    ] {
        assert!(feat.contains(fact), "{feat}");
    }
    let meta = std::fs::metadata(dir.path().join("f.txt")).unwrap();
    let unique = format!("unique={:x}g{:x};", meta.dev(), meta.ino());
    let mlsd = String::from_utf8(ftp.download("MLSD")).unwrap();
    let file = mlsd.lines().find(|l| l.ends_with(" f.txt")).expect("f.txt");
    for fact in [
        "type=file;",
        "size=2;",
        "modify=",
        "perm=r;",
        &unique,
        "unix.mode=",
    ] {
        assert!(file.contains(fact), "{fact} missing: {file}");
    }
    let sub = mlsd.lines().find(|l| l.ends_with(" sub")).expect("sub");
    assert!(
        sub.contains("type=dir;") && sub.contains("perm=el;"),
        "{sub}"
    );
    let mlst = ftp.expect("MLST f.txt", 250).text;
    assert!(mlst.contains(&unique) && mlst.contains("perm=r;"), "{mlst}");
}

/// `MFMT` then `MDTM` round-trips (on disk and in memory); `HASH` (SHA-256 by default,
/// others with `OPTS HASH`) matches `sha256sum`/`md5sum` of the file; `SITE CHMOD`
/// changes the file's mode on disk; `SITE HELP` answers 214.
pub fn mfmt_hash_and_site_chmod<H: ServerHarness>(h: &H) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = random_bytes(300_000, 21);
    let file = dir.path().join("f.bin");
    std::fs::write(&file, &data).unwrap();
    let cfg = Config::new().user(User::new("alice", "secret").base_path(dir.path()));
    let srv = start(h, LocalFs::new(), cfg);
    let mut ftp = Ftp::login(srv.addr());
    let r = ftp.expect("MFMT 20200229123456 f.bin", 213);
    assert!(r.text.contains("Modify=20200229123456; /f.bin"), "{r:?}");
    assert!(
        ftp.expect("MDTM f.bin", 213)
            .text
            .contains("20200229123456")
    );
    let on_disk = std::fs::metadata(&file).unwrap().modified().unwrap();
    let secs = on_disk
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(secs, 1_582_979_696);
    ftp.expect("MFMT 2020 f.bin", 501);
    ftp.expect("MFMT 20200229123456 missing", 550);
    let sum = |tool: &str| {
        let out = std::process::Command::new(tool)
            .arg(&file)
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_owned()
    };
    let r = ftp.expect("HASH f.bin", 213);
    assert!(
        r.text
            .starts_with(&format!("213 SHA-256 0-300000 {} ", sum("sha256sum"))),
        "{r:?}"
    );
    ftp.expect("OPTS HASH MD5", 200);
    let r = ftp.expect("HASH f.bin", 213);
    assert!(r.text.contains(&format!(" {} ", sum("md5sum"))), "{r:?}");
    ftp.expect("SITE CHMOD 600 f.bin", 200);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    ftp.expect("SITE CHMOD 8 f.bin", 501);
    ftp.expect("SITE HELP", 214);
    ftp.expect("SITE ZAP", 504);
    // In memory: MFMT and MDTM agree; SITE CHMOD is refused by the storage.
    let fs = MemoryFs::new().with_file("/m.txt", "x");
    let srv = start(h, fs, config());
    let mut ftp = Ftp::login(srv.addr());
    ftp.expect("MFMT 19991231235959 m.txt", 213);
    assert!(
        ftp.expect("MDTM m.txt", 213)
            .text
            .contains("19991231235959")
    );
    // A backend that cannot answers 502 (StorageError::Unsupported), not 451.
    ftp.expect("SITE CHMOD 600 m.txt", 502);
}
