//! The blocking server over `LocalFs` on a temporary directory: real files, so binary
//! RETR takes the `io::copy` file-to-socket path (sendfile on Linux).

mod common;

use common::*;
use sansftp::server::{Config, User};
use sansftp_blocking::Server;
use sansftp_storage::LocalFs;

fn config(root: &std::path::Path) -> Config {
    Config::new().user(User::new("alice", "secret").base_path(root))
}

#[test]
fn stor_retr_rest_byte_exact_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(LocalFs::new(), config(dir.path()));
    let data = random_bytes(1 << 20, 11);
    let mut ftp = Ftp::login(server.local_addr());
    ftp.expect("TYPE I", 200);
    ftp.upload("STOR big.bin", &data[..600_000]);
    ftp.expect("REST 600000", 350);
    ftp.upload("STOR big.bin", &data[600_000..]);
    assert!(std::fs::read(dir.path().join("big.bin")).unwrap() == data);
    assert!(ftp.download("RETR big.bin") == data);
    ftp.expect("REST 1000000", 350);
    assert_eq!(ftp.download("RETR big.bin"), &data[1_000_000..]);
    ftp.expect("MKD sub", 257);
    ftp.expect("RNFR big.bin", 350);
    ftp.expect("RNTO sub/moved.bin", 250);
    assert!(dir.path().join("sub/moved.bin").exists());
    let list = String::from_utf8(ftp.download("LIST sub")).unwrap();
    assert!(
        list.contains("1048576") && list.contains("moved.bin"),
        "{list}"
    );
    ftp.expect("DELE sub/moved.bin", 250);
    ftp.expect("RMD sub", 250);
    ftp.quit();
}

#[test]
fn traversal_and_symlinks_stay_inside_the_root() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.txt"), "ok").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), dir.path().join("escape")).unwrap();
    let server = start(LocalFs::new(), config(dir.path()));
    let mut ftp = Ftp::login(server.local_addr());
    // `..` is clamped at the root: this is /ok.txt.
    assert_eq!(ftp.download("RETR ../../ok.txt"), b"ok");
    let name = outside.path().join("secret.txt");
    let r = ftp.cmd(&format!("SIZE {}", name.display()));
    assert_eq!(r.code, 550, "{r:?}");
    #[cfg(unix)]
    {
        assert_eq!(ftp.cmd("SIZE escape/secret.txt").code, 550);
        let addr = ftp.pasv();
        let _data = connect_data(addr);
        assert_eq!(ftp.cmd("RETR escape/secret.txt").code, 550);
        // Nor can an upload be written through it.
        let addr = ftp.pasv();
        let _data = connect_data(addr);
        assert_eq!(ftp.cmd("STOR escape/new.txt").code / 100, 5);
        assert!(!outside.path().join("new.txt").exists());
    }
    ftp.quit();
}

#[test]
fn a_missing_root_fails_at_bind_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = Server::builder(LocalFs::new())
        .config(config(&missing))
        .bind("127.0.0.1:0")
        .unwrap_err();
    assert!(matches!(err, sansftp::Error::PathIo(_)), "{err:?}");
    assert!(err.to_string().contains("nope"), "{err}");
}
