//! Errors at startup name what is wrong: the address, or the user's root.

use sansftp::Error;
use sansftp::server::{Config, User};
use sansftp_async::Server;
use sansftp_storage::{LocalFs, MemoryFs};

#[test]
fn port_in_use_names_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let err = smol::block_on(Server::builder(MemoryFs::new()).bind(addr)).unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[test]
fn missing_root_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let config = Config::new().user(User::new("u", "p").base_path(&missing));
    let err = async_std::task::block_on(
        Server::builder(LocalFs::new())
            .config(config)
            .bind("127.0.0.1:0"),
    )
    .unwrap_err();
    assert!(matches!(err, Error::PathIo(_)), "{err:?}");
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn serves_a_local_directory() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "hello from disk").unwrap();
    let config = Config::new().user(User::new("u", "p").base_path(dir.path()));
    let server = smol::block_on(
        Server::builder(LocalFs::new())
            .config(config)
            .bind("127.0.0.1:0"),
    )
    .unwrap();
    let addr = server.local_addr();
    let stop = server.shutdown_handle();
    let task = smol::spawn(server.run());
    let mut ctrl = std::net::TcpStream::connect(addr).unwrap();
    ctrl.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut script = |line: &str| {
        use std::io::Write;
        ctrl.write_all(line.as_bytes()).unwrap();
    };
    script("USER u\r\nPASS p\r\nEPSV\r\n");
    // Read until the 229 reply, take its port.
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !String::from_utf8_lossy(&got).contains("229 ") {
        let n = ctrl.read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&got).into_owned();
    let port: u16 = text
        .split("|||")
        .nth(1)
        .unwrap()
        .split('|')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut data = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    {
        use std::io::Write;
        ctrl.write_all(b"RETR hello.txt\r\n").unwrap();
    }
    let mut body = String::new();
    data.read_to_string(&mut body).unwrap();
    assert_eq!(body, "hello from disk");
    stop.shutdown(std::time::Duration::from_secs(5));
    smol::block_on(task).unwrap();
}
