//! The blocking server on 127.0.0.1 with in-memory storage, driven by a raw-socket
//! client: every command family, the security cases, load, timeouts and shutdown.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use common::*;
use sansftp::server::{Config, User};
use sansftp_storage::MemoryFs;

#[test]
fn login_pwd_mkd_rmd() {
    let server = start(MemoryFs::new(), Config::new());
    let mut ftp = Ftp::connect(server.local_addr());
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
    ftp.quit();
}

#[test]
fn stor_then_retr_one_mib_byte_exact() {
    let fs = MemoryFs::new();
    let server = start(fs.clone(), Config::new());
    let data = random_bytes(1 << 20, 1);
    let mut ftp = Ftp::login(server.local_addr());
    ftp.expect("TYPE I", 200);
    ftp.upload("STOR big.bin", &data);
    assert_eq!(fs.read("/big.bin").unwrap().as_ref(), &data[..]);
    assert!(ftp.expect("SIZE big.bin", 213).text.contains("1048576"));
    let back = ftp.download("RETR big.bin");
    assert!(back == data, "RETR differs from what was stored");
    ftp.quit();
}

#[test]
fn rest_resumes_retr_and_stor() {
    let fs = MemoryFs::new();
    let server = start(fs.clone(), Config::new());
    let data = random_bytes(100_000, 2);
    let mut ftp = Ftp::login(server.local_addr());
    ftp.expect("TYPE I", 200);
    // A resumed upload: the first part, then REST + STOR of the rest.
    ftp.upload("STOR part.bin", &data[..30_000]);
    ftp.expect("REST 30000", 350);
    ftp.upload("STOR part.bin", &data[30_000..]);
    assert_eq!(fs.read("/part.bin").unwrap().as_ref(), &data[..]);
    // A resumed download.
    ftp.expect("REST 99000", 350);
    let tail = ftp.download("RETR part.bin");
    assert_eq!(tail, &data[99_000..]);
    // Past the end sends nothing.
    ftp.expect("REST 200000", 350);
    assert!(ftp.download("RETR part.bin").is_empty());
    ftp.quit();
}

#[test]
fn appe_appends() {
    let fs = MemoryFs::new().with_file("/log.txt", "one\n");
    let server = start(fs.clone(), Config::new());
    let mut ftp = Ftp::login(server.local_addr());
    ftp.upload("APPE log.txt", b"two\n");
    ftp.upload("APPE new.txt", b"fresh");
    assert_eq!(fs.read("/log.txt").unwrap().as_ref(), b"one\ntwo\n");
    assert_eq!(fs.read("/new.txt").unwrap().as_ref(), b"fresh");
    ftp.quit();
}

#[test]
fn rnfr_rnto_and_dele() {
    let fs = MemoryFs::new().with_file("/a.txt", "A");
    let server = start(fs.clone(), Config::new());
    let mut ftp = Ftp::login(server.local_addr());
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

#[test]
fn list_nlst_and_mlsd() {
    let fs = MemoryFs::new()
        .with_file("/pub/readme.txt", "hello")
        .with_dir("/pub/sub");
    let server = start(fs, Config::new());
    let mut ftp = Ftp::login(server.local_addr());
    let list = String::from_utf8(ftp.download("LIST pub")).unwrap();
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(list.ends_with("\r\n"));
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
    let nlst = String::from_utf8(ftp.download("NLST pub")).unwrap();
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

#[test]
fn type_a_converts_line_endings() {
    let fs = MemoryFs::new().with_file("/unix.txt", "a\nb\n\nc");
    let server = start(fs.clone(), Config::new());
    let mut ftp = Ftp::login(server.local_addr());
    ftp.expect("TYPE A", 200);
    assert_eq!(ftp.download("RETR unix.txt"), b"a\r\nb\r\n\r\nc");
    ftp.upload("STOR up.txt", b"x\r\ny\r\nlone\rcr\r\n");
    assert_eq!(fs.read("/up.txt").unwrap().as_ref(), b"x\ny\nlone\rcr\n");
    ftp.expect("TYPE I", 200);
    assert_eq!(ftp.download("RETR unix.txt"), b"a\nb\n\nc");
    ftp.quit();
}

#[test]
fn abor_during_a_download_gives_426_then_226() {
    // A slow transfer (speed limit) that is still running when ABOR arrives.
    let mut config = Config::new();
    config.write_speed_limit = Some(64 * 1024);
    let fs = MemoryFs::new().with_file("/slow.bin", random_bytes(1 << 20, 3));
    let server = start(fs, config);
    let mut ftp = Ftp::login(server.local_addr());
    let addr = ftp.pasv();
    let data = connect_data(addr);
    ftp.expect("RETR slow.bin", 150);
    std::thread::sleep(Duration::from_millis(300));
    ftp.send_raw(b"ABOR\r\n");
    ftp.expect_reply(426);
    ftp.expect_reply(226);
    // The data connection was closed well before the file's 16 s at that rate.
    let got = read_all_lossy(data);
    assert!(got < 1 << 20, "the transfer was not stopped ({got} bytes)");
    // The session goes on.
    ftp.expect("NOOP", 200);
    ftp.quit();
}

#[test]
fn abor_during_an_upload_discards_it() {
    let fs = MemoryFs::new().with_file("/keep.bin", "original");
    let server = start(fs.clone(), Config::new());
    let mut ftp = Ftp::login(server.local_addr());
    let addr = ftp.pasv();
    let mut data = connect_data(addr);
    ftp.expect("STOR keep.bin", 150);
    data.write_all(&random_bytes(50_000, 4)).unwrap();
    ftp.send_raw(b"ABOR\r\n");
    ftp.expect_reply(426);
    ftp.expect_reply(226);
    drop(data);
    ftp.expect("NOOP", 200);
    // The half upload never replaced the file.
    assert_eq!(fs.read("/keep.bin").unwrap().as_ref(), b"original");
    ftp.quit();
}

#[test]
fn active_mode_port() {
    let fs = MemoryFs::new().with_file("/f.bin", random_bytes(200_000, 5));
    let server = start(fs.clone(), Config::new());
    let mut ftp = Ftp::login(server.local_addr());
    let listener = active_listener();
    ftp.expect(
        &format!("PORT {}", port_arg(listener.local_addr().unwrap())),
        200,
    );
    ftp.send_raw(b"RETR f.bin\r\n");
    let data = accept_within(&listener, TIMEOUT);
    ftp.expect_reply(150);
    assert_eq!(read_all(data), fs.read("/f.bin").unwrap().as_ref());
    ftp.expect_reply(226);
    // Upload too, with EPRT.
    let port = listener.local_addr().unwrap().port();
    ftp.expect(&format!("EPRT |1|127.0.0.1|{port}|"), 200);
    ftp.send_raw(b"STOR up.bin\r\n");
    let mut data = accept_within(&listener, TIMEOUT);
    ftp.expect_reply(150);
    data.write_all(b"active upload").unwrap();
    drop(data);
    ftp.expect_reply(226);
    assert_eq!(fs.read("/up.bin").unwrap().as_ref(), b"active upload");
    ftp.quit();
}

#[test]
fn port_to_another_host_or_a_low_port_is_refused() {
    let server = start(MemoryFs::new(), Config::new());
    let mut ftp = Ftp::login(server.local_addr());
    assert_eq!(ftp.cmd("PORT 10,0,0,1,200,10").code / 100, 5);
    assert_eq!(ftp.cmd("PORT 127,0,0,1,0,25").code / 100, 5);
    assert_eq!(ftp.cmd("EPRT |1|192.0.2.1|5000|").code / 100, 5);
    // Nothing is set up, so a transfer has no data connection.
    ftp.expect("NOOP", 200);
    ftp.quit();
}

#[test]
fn a_ten_kilobyte_line_gets_500_and_the_session_goes_on() {
    let server = start(MemoryFs::new(), Config::new());
    let mut ftp = Ftp::login(server.local_addr());
    let mut line = vec![b'A'; 10 * 1024];
    line.extend_from_slice(b"\r\n");
    ftp.send_raw(&line);
    ftp.expect_reply(500);
    ftp.expect("NOOP", 200);
    ftp.expect("PWD", 257);
    ftp.quit();
}

#[test]
fn two_hundred_sequential_sessions() {
    let fs = MemoryFs::new();
    let server = start(fs, Config::new());
    for i in 0..200u64 {
        let data = random_bytes(4096 + i as usize, i);
        let mut ftp = Ftp::login(server.local_addr());
        ftp.upload(&format!("STOR s{i}.bin"), &data);
        assert!(
            ftp.download(&format!("RETR s{i}.bin")) == data,
            "session {i}"
        );
        ftp.quit();
    }
}

#[test]
fn fifty_concurrent_sessions() {
    let fs = MemoryFs::new();
    let server = start(fs.clone(), Config::new());
    let addr = server.local_addr();
    let threads: Vec<_> = (0..50u64)
        .map(|i| {
            std::thread::spawn(move || {
                let data = random_bytes(100_000 + i as usize, 100 + i);
                let mut ftp = Ftp::login(addr);
                ftp.expect("TYPE I", 200);
                ftp.upload(&format!("STOR c{i}.bin"), &data);
                for _ in 0..3 {
                    assert!(
                        ftp.download(&format!("RETR c{i}.bin")) == data,
                        "session {i}"
                    );
                }
                ftp.quit();
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a session failed");
    }
    assert_eq!(fs.read("/c7.bin").unwrap().len(), 100_007);
}

#[test]
fn idle_timeout_says_421() {
    let config = Config::new().idle_timeout(Some(Duration::from_secs(1)));
    let server = start(MemoryFs::new(), config);
    let mut ftp = Ftp::login(server.local_addr());
    let started = Instant::now();
    let r = ftp.reply();
    assert_eq!(r.code, 421, "{r:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(ftp.is_closed());
}

#[test]
fn max_connections_refuses_the_extra_one_with_421() {
    let config = Config::new().max_connections(Some(2));
    let server = start(MemoryFs::new(), config);
    let a = Ftp::login(server.local_addr());
    let _b = Ftp::login(server.local_addr());
    let mut c = Ftp::connect(server.local_addr());
    assert_eq!(c.greeting.code, 421, "{:?}", c.greeting);
    assert!(c.is_closed());
    a.quit();
    // The slot is free again once the first session has ended.
    let until = Instant::now() + TIMEOUT;
    loop {
        let d = Ftp::connect(server.local_addr());
        if d.greeting.code == 220 {
            break;
        }
        assert!(Instant::now() < until, "slot never freed");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn per_user_max_connections_refuses_the_login() {
    let config = Config::new().user(User::new("alice", "secret").max_connections(Some(1)));
    let server = start(MemoryFs::new(), config);
    let a = Ftp::login(server.local_addr());
    let mut b = Ftp::connect(server.local_addr());
    b.expect("USER alice", 331);
    b.expect("PASS secret", 530);
    a.quit();
    std::thread::sleep(Duration::from_millis(200));
    b.expect("PASS secret", 230);
}

#[test]
fn graceful_shutdown_lets_a_running_transfer_finish() {
    let mut config = Config::new();
    // About a second for this file.
    config.write_speed_limit = Some(256 * 1024);
    let data = random_bytes(256 * 1024, 6);
    let fs = MemoryFs::new().with_file("/f.bin", data.clone());
    let server = start(fs, config);
    let addr = server.local_addr();
    let mut ftp = Ftp::login(addr);
    let idle = Ftp::login(addr);
    let pasv = ftp.pasv();
    let conn = connect_data(pasv);
    ftp.expect("RETR f.bin", 150);
    let reader = std::thread::spawn(move || read_all(conn));
    std::thread::sleep(Duration::from_millis(200));
    let stopping = std::thread::spawn(move || server.shutdown());
    assert!(reader.join().unwrap() == data, "the transfer was cut");
    ftp.expect_reply(226);
    // Idle now: told, then closed.
    ftp.expect_reply(421);
    assert!(ftp.is_closed());
    let mut idle = idle;
    assert_eq!(idle.reply().code, 421);
    assert!(idle.is_closed());
    stopping.join().unwrap().expect("shutdown");
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}

#[test]
fn pipelined_commands_are_answered_in_order() {
    let server = start(MemoryFs::new(), Config::new());
    let mut ftp = Ftp::connect(server.local_addr());
    ftp.send_raw(b"USER alice\r\nPASS secret\r\nMKD p\r\nCWD p\r\nPWD\r\nNOOP\r\n");
    for code in [331, 230, 257, 250, 257, 200] {
        ftp.expect_reply(code);
    }
    ftp.quit();
}

#[test]
fn bind_failure_names_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let err = sansftp_blocking::Server::builder(MemoryFs::new())
        .bind(addr)
        .unwrap_err();
    assert!(matches!(err, sansftp::Error::Io(_)), "{err:?}");
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

fn read_all_lossy(mut s: std::net::TcpStream) -> usize {
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0;
    while let Ok(k) = s.read(&mut buf) {
        if k == 0 {
            break;
        }
        n += k;
    }
    n
}

#[test]
fn stou_size_mdtm_mlst() {
    let fs = MemoryFs::new().with_file("/up", "taken");
    let server = start(fs.clone(), Config::new());
    let mut ftp = Ftp::login(server.local_addr());
    let addr = ftp.pasv();
    let mut data = connect_data(addr);
    let opening = ftp.expect("STOU up", 150);
    data.write_all(b"unique").unwrap();
    drop(data);
    ftp.expect_reply(226);
    // The existing file is untouched; the new one got another name.
    assert_eq!(fs.read("/up").unwrap().as_ref(), b"taken");
    // RFC 1123: "150 FILE: <name>".
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
    let stamp = &mdtm.text[4..].trim_end();
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
