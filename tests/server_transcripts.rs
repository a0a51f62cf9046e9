//! Transcript tests: byte scripts replayed against `server::Session` with virtual time
//! and an in-memory file tree (`sansftp::server::testing`), no sockets.

use std::time::Duration;

use sansftp::server::testing::{Driver, sample_config, sample_fs};

fn login() -> Driver {
    let mut d = Driver::new(sample_config());
    d.fs = sample_fs();
    assert_eq!(
        d.send(b"USER alice\r\nPASS secret\r\n"),
        "331 Password required for alice\r\n230 Login successful\r\n"
    );
    d
}

#[test]
fn greeting_and_login() {
    let mut d = Driver::new(sample_config());
    assert_eq!(String::from_utf8_lossy(&d.wire), "220 welcome\r\n");
    assert_eq!(
        d.send(b"USER alice\r\nPASS wrong\r\nPASS secret\r\nPWD\r\n"),
        "331 Password required for alice\r\n530 wrong password\r\n230 Login successful\r\n\
         257 \"/home/alice\" is the current directory\r\n"
    );
}
