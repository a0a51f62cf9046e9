//! The blocking server under conditions a client does not choose politely: timeouts,
//! exhausted ports, vanishing clients, garbage, speed limits, QUIT mid-transfer.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::*;
use sansftp::server::Config;
use sansftp_storage::MemoryFs;

#[test]
fn no_data_connection_within_the_wait_timeout_gives_425() {
    let config = Config::new().data_wait_timeout(Duration::from_secs(1));
    let fs = MemoryFs::new().with_file("/f.txt", "data");
    let server = start(fs, config);
    let mut ftp = Ftp::login(server.local_addr());
    ftp.pasv();
    let started = Instant::now();
    ftp.expect("RETR f.txt", 425);
    assert!(started.elapsed() < Duration::from_secs(5));
    // The session, and passive mode, still work.
    ftp.expect("NOOP", 200);
    assert_eq!(ftp.download("RETR f.txt"), b"data");
    ftp.quit();
}

#[test]
fn an_active_connection_that_fails_gives_425() {
    let fs = MemoryFs::new().with_file("/f.txt", "data");
    let server = start(fs, Config::new());
    let mut ftp = Ftp::login(server.local_addr());
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    ftp.expect(&format!("PORT {}", port_arg(closed)), 200);
    ftp.expect("RETR f.txt", 425);
    ftp.expect("NOOP", 200);
    ftp.quit();
}

#[test]
fn an_exhausted_passive_range_gives_425_until_a_port_is_free() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = Config::new().passive_ports(port..=port);
    let server = start(MemoryFs::new().with_file("/f", "x"), config);
    let mut a = Ftp::login(server.local_addr());
    assert_eq!(a.pasv().port(), port);
    let mut b = Ftp::login(server.local_addr());
    b.expect("PASV", 425);
    b.expect("NOOP", 200);
    // A's transfer uses the listener and gives the port back.
    let data = connect_data(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    a.expect("RETR f", 150);
    assert_eq!(read_all(data), b"x");
    a.expect_reply(226);
    assert_eq!(b.pasv().port(), port);
    a.quit();
    b.quit();
}

#[test]
fn a_client_that_vanishes_mid_upload_leaves_the_old_file() {
    let fs = MemoryFs::new().with_file("/keep.bin", "original");
    let server = start(fs.clone(), Config::new());
    let mut ftp = Ftp::login(server.local_addr());
    let addr = ftp.pasv();
    let mut data = connect_data(addr);
    ftp.expect("STOR keep.bin", 150);
    data.write_all(&random_bytes(100_000, 9)).unwrap();
    // The control connection goes first, then (later) the data connection.
    drop(ftp);
    std::thread::sleep(Duration::from_millis(300));
    drop(data);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(fs.read("/keep.bin").unwrap().as_ref(), b"original");
    // The server still serves.
    Ftp::login(server.local_addr()).quit();
}

/// A killed client's kernel closes both connections at once, in descriptor order:
/// either FIN may come first (curl's data socket can have the lower number). The data
/// end of file must not commit the upload, even when the reader thread has not yet
/// seen the control end of file.
#[test]
fn a_killed_uploader_never_commits_in_either_fin_order() {
    let fs = MemoryFs::new().with_file("/keep.bin", "original");
    let server = start(fs.clone(), Config::new());
    for data_first in [true, false, true, false] {
        let mut ftp = Ftp::login(server.local_addr());
        let addr = ftp.pasv();
        let mut data = connect_data(addr);
        ftp.expect("STOR keep.bin", 150);
        data.write_all(&random_bytes(100_000, 9)).unwrap();
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
            fs.read("/keep.bin").unwrap().as_ref(),
            b"original",
            "data connection closed first: {data_first}"
        );
    }
    // A client that stays gets its upload committed, then 226.
    let mut ftp = Ftp::login(server.local_addr());
    ftp.upload("STOR keep.bin", b"new");
    assert_eq!(fs.read("/keep.bin").unwrap().as_ref(), b"new");
    ftp.quit();
}

#[test]
fn garbage_on_the_control_connection_never_breaks_the_server() {
    let server = start(MemoryFs::new(), Config::new());
    for seed in 0..20u64 {
        let ftp = Ftp::connect(server.local_addr());
        let mut junk = random_bytes(20_000, 1000 + seed);
        // Sprinkle line ends, Telnet IAC sequences and NULs among the noise.
        for (i, b) in junk.iter_mut().enumerate() {
            match i % 97 {
                0 => *b = b'\n',
                13 => *b = b'\r',
                31 => *b = 0xff,
                47 => *b = 0,
                _ => {}
            }
        }
        // The server may close on us (too many pipelined lines): ignore write errors.
        for chunk in junk.chunks(1 + (seed as usize * 37) % 700) {
            if ftp.writer().write_all(chunk).is_err() {
                break;
            }
        }
        drop(ftp);
    }
    let mut ftp = Ftp::login(server.local_addr());
    ftp.expect("NOOP", 200);
    ftp.quit();
}

#[test]
fn a_speed_limit_slows_a_download_down() {
    let mut config = Config::new();
    config.write_speed_limit_per_connection = Some(200_000);
    let data = random_bytes(200_000, 12);
    let server = start(MemoryFs::new().with_file("/f.bin", data.clone()), config);
    let mut ftp = Ftp::login(server.local_addr());
    let started = Instant::now();
    assert!(ftp.download("RETR f.bin") == data);
    // A bucket that starts empty: about one second at that rate.
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
    ftp.quit();
}

#[test]
fn quit_and_stat_during_a_transfer() {
    let mut config = Config::new();
    config.write_speed_limit = Some(300_000);
    let data = random_bytes(300_000, 13);
    let server = start(MemoryFs::new().with_file("/f.bin", data.clone()), config);
    let mut ftp = Ftp::login(server.local_addr());
    let addr = ftp.pasv();
    let conn = connect_data(addr);
    ftp.expect("RETR f.bin", 150);
    let reader = std::thread::spawn(move || read_all(conn));
    std::thread::sleep(Duration::from_millis(100));
    let stat = ftp.cmd("STAT");
    assert_eq!(stat.code / 100, 2, "{stat:?}");
    ftp.send_raw(b"QUIT\r\n");
    // QUIT lets the transfer finish: 226, then 221.
    assert!(reader.join().unwrap() == data);
    ftp.expect_reply(226);
    ftp.expect_reply(221);
    assert!(ftp.is_closed());
}
