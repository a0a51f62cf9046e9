//! Helpers for the blocking adapter's tests outside the shared conformance suite: the
//! raw FTP client, the peer-skip rule and the rest come from `sansftp-conformance`.

#![allow(dead_code, unused_imports)]

pub use sansftp_conformance::ftp::*;
pub use sansftp_conformance::peer::{have_tool, run_with_timeout};
pub use sansftp_conformance::random_bytes;

use sansftp::server::{Config, User};
use sansftp_blocking::{RunningServer, Server};
use sansftp_storage::Storage;

/// Starts a server on 127.0.0.1:0 with `alice`/`secret`, or the users in `config`.
pub fn start(storage: impl Storage, config: Config) -> RunningServer {
    let config = if config.users.is_empty() {
        config.user(User::new("alice", "secret"))
    } else {
        config
    };
    Server::builder(storage)
        .config(config)
        .bind("127.0.0.1:0")
        .expect("bind on loopback")
        .spawn()
}
