//! The client conformance suite: every scenario is a function generic over a
//! [`ClientHarness`], run against the same adapter's server, and
//! [`client_suite!`](crate::client_suite) turns the list into `#[test]`s.
//!
//! The suite drives the client through [`FtpClient`], a blocking-style facade of the
//! adapters' `Client` (the async adapter's implementation wraps each call in
//! `block_on`). When the client API changes, only the two small implementations of the
//! facade change; the scenarios stay.

mod decisions;
mod facade;
mod fake;
mod sessions;
pub(crate) mod tls;
mod transfers;
mod trees;

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use sansftp::client::tree::{Copied, Plan};
use sansftp::client::{ClientOptions, Features, Item, ListCommand};
use sansftp::reply::Reply;
use sansftp::time::DateTime;
use sansftp::{Error, Mask};

use crate::server::ServerHarness;

pub use decisions::*;
pub use fake::{FakeServer, Script};
pub use sessions::*;
pub use transfers::*;
pub use trees::*;

/// The bound on every wait of the suite's clients.
pub const LIMIT: Duration = Duration::from_secs(10);

/// What an adapter must do for the client suite: start its server (the
/// [`ServerHarness`]) and connect its client.
pub trait ClientHarness: ServerHarness {
    /// The adapter's client, behind the facade.
    type Client: FtpClient;

    /// `Client::connect_with(addr, options)`.
    fn connect(&self, addr: &str, options: ClientOptions) -> Result<Self::Client, Error>;

    /// `Client::connect(addr)`: the default options.
    fn connect_default(&self, addr: &str) -> Result<Self::Client, Error>;
}

/// What an adapter must do for the FTPS scenarios ([`tls_suite!`](crate::tls_suite)):
/// connect its client with TLS. Its server gets [`Spec::tls`](crate::server::Spec::tls)
/// and [`Spec::implicit_tls`](crate::server::Spec::implicit_tls).
pub trait TlsClientHarness: ClientHarness {
    /// `Client::connect_tls(addr, tls, server_name, options)`.
    fn connect_tls(
        &self,
        addr: &str,
        tls: sansftp_tls::ClientTls,
        server_name: &str,
        options: ClientOptions,
    ) -> Result<Self::Client, Error>;
}

/// A blocking-style view of an adapter's `Client`: the same methods, paths as `&str`.
pub trait FtpClient {
    /// The adapter's `DataStream`.
    type Stream<'a>: Transfer
    where
        Self: 'a;
    /// The adapter's `ListStream`, as an iterator.
    type Listing<'a>: Iterator<Item = Result<Item, Error>>
    where
        Self: 'a;

    /// The server's greeting.
    fn greeting(&self) -> &Reply;
    /// What `FEAT` said (after login).
    fn features(&self) -> Option<&Features>;
    /// `USER` and `PASS`.
    fn login(&mut self, user: &str, password: &str) -> Result<(), Error>;
    /// Anonymous login.
    fn login_anonymous(&mut self) -> Result<(), Error>;
    /// `PWD`.
    fn get_current_directory(&mut self) -> Result<String, Error>;
    /// `CWD`.
    fn change_directory(&mut self, path: &str) -> Result<(), Error>;
    /// `MKD` (with every missing parent when `parents`).
    fn make_directory(&mut self, path: &str, parents: bool) -> Result<(), Error>;
    /// `DELE`.
    fn remove_file(&mut self, path: &str) -> Result<(), Error>;
    /// `RMD`.
    fn remove_directory(&mut self, path: &str) -> Result<(), Error>;
    /// A file, or a directory with everything in it.
    fn remove(&mut self, path: &str) -> Result<(), Error>;
    /// `RNFR` and `RNTO`.
    fn rename(&mut self, from: &str, to: &str) -> Result<(), Error>;
    /// A listing (MLSD where offered).
    fn list(&mut self, path: &str, recursive: bool) -> Result<Vec<Item>, Error>;
    /// A listing with the command chosen.
    fn list_with(
        &mut self,
        path: &str,
        recursive: bool,
        command: ListCommand,
    ) -> Result<Vec<Item>, Error>;
    /// A listing, entry by entry.
    fn list_stream(&mut self, path: &str, recursive: bool) -> Result<Self::Listing<'_>, Error>;
    /// One entry's facts.
    fn stat(&mut self, path: &str) -> Result<Item, Error>;
    /// Whether `path` exists.
    fn exists(&mut self, path: &str) -> Result<bool, Error>;
    /// Whether `path` is a file.
    fn is_file(&mut self, path: &str) -> Result<bool, Error>;
    /// Whether `path` is a directory.
    fn is_dir(&mut self, path: &str) -> Result<bool, Error>;
    /// `SIZE`.
    fn size(&mut self, path: &str) -> Result<u64, Error>;
    /// `MDTM`.
    fn modified(&mut self, path: &str) -> Result<DateTime, Error>;
    /// `NOOP`.
    fn noop(&mut self) -> Result<(), Error>;
    /// A local file or tree up (`cp -r`).
    fn upload(&mut self, local: &Path, remote: &str) -> Result<u64, Error>;
    /// A remote file or tree down (`cp -r`).
    fn download(&mut self, remote: &str, local: &Path) -> Result<u64, Error>;
    /// Carries out a copy plan of the core's planner, with its warnings.
    fn run_plan(&mut self, plan: Plan) -> Result<Copied, Error>;
    /// `STOR` (after `REST offset`).
    fn upload_stream(&mut self, remote: &str, offset: u64) -> Result<Self::Stream<'_>, Error>;
    /// `APPE`.
    fn append_stream(&mut self, remote: &str) -> Result<Self::Stream<'_>, Error>;
    /// `RETR` (after `REST offset`).
    fn download_stream(&mut self, remote: &str, offset: u64) -> Result<Self::Stream<'_>, Error>;
    /// Finishes a pending (dropped) transfer.
    fn abort(&mut self) -> Result<(), Error>;
    /// A raw command with reply masks.
    fn command(
        &mut self,
        text: &str,
        expected: &[Mask],
        wait: &[Mask],
    ) -> Result<Option<Reply>, Error>;
    /// `QUIT`.
    fn quit(self) -> Result<(), Error>;
    /// `TYPE A` (true) or `TYPE I` for later transfers.
    fn set_ascii(&mut self, on: bool);
    /// The read (download) speed limit now.
    fn read_limit(&self) -> Option<u64>;
    /// The write (upload) speed limit now.
    fn write_limit(&self) -> Option<u64>;
    /// Changes the read limit, also for a transfer under way.
    fn set_read_limit(&self, limit: Option<u64>);
    /// Changes the write limit, also for a transfer under way.
    fn set_write_limit(&self, limit: Option<u64>);
}

/// A data stream: read (download) or write (upload), then finish or abort.
pub trait Transfer: Read + Write {
    /// Ends the transfer normally.
    fn finish(self) -> Result<(), Error>;
    /// Aborts the transfer.
    fn abort(self) -> Result<(), Error>;
}

/// Expands to one `#[test]` per client scenario, in a module `$module`, each running
/// the scenario against the harness `$harness` (an expression, evaluated per test).
#[macro_export]
macro_rules! client_suite {
    ($module:ident, $harness:expr) => {
        $crate::__tests!(
            $module,
            $harness,
            client,
            [
                directories_and_metadata,
                listings,
                wrong_password_then_right,
                anonymous_login_and_server_shutdown,
                socket_timeout_on_a_silent_server,
                connect_refused_is_io,
                files_round_trip_and_resume,
                directory_trees,
                dropped_streams_keep_the_channel_in_step,
                active_and_passive_modes,
                active_mode_over_an_ipv4_mapped_address,
                ascii_mode_converts,
                speed_limits,
                upload_into_an_existing_directory_is_cp_r,
                download_makes_missing_local_parents,
                concurrent_downloads_to_one_target,
                upload_of_a_tree_with_a_link_loop_finishes,
                trees_copied_twice_into_a_directory_are_the_same,
                a_tree_to_a_missing_name_becomes_that_name,
                links_to_directories_are_skipped_with_a_warning,
                a_failed_download_leaves_the_old_file,
                finish_before_the_end_is_reported,
                drop_after_the_end_sends_nothing,
                cdir_and_pdir_are_directories,
                empty_command_sends_nothing,
            ]
        );
    };
}

/// Connects with [`options`] and logs in as `alice`/`secret`.
pub fn alice<H: ClientHarness>(h: &H, addr: std::net::SocketAddr) -> H::Client {
    alice_with(h, addr, options())
}

/// Connects with `options` and logs in as `alice`/`secret`.
pub fn alice_with<H: ClientHarness>(
    h: &H,
    addr: std::net::SocketAddr,
    options: ClientOptions,
) -> H::Client {
    let mut c = h.connect(&addr.to_string(), options).expect("connect");
    c.login("alice", "secret").expect("login");
    c
}

/// Every wait bounded by [`LIMIT`].
pub fn options() -> ClientOptions {
    ClientOptions::new()
        .connect_timeout(LIMIT)
        .socket_timeout(LIMIT)
}

/// `STOR path` of `data` through a stream, finished.
pub fn put<C: FtpClient>(c: &mut C, path: &str, data: &[u8]) {
    let mut s = c.upload_stream(path, 0).expect("STOR");
    s.write_all(data).expect("write");
    s.finish().expect("upload finish");
}

/// `RETR path` from `offset` through a stream, read to its end, finished.
pub fn get<C: FtpClient>(c: &mut C, path: &str, offset: u64) -> Vec<u8> {
    let mut s = c.download_stream(path, offset).expect("RETR");
    let mut v = Vec::new();
    s.read_to_end(&mut v).expect("read");
    s.finish().expect("download finish");
    v
}

/// The sorted paths of a listing.
pub fn names(items: &[Item]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|i| i.path_str().into_owned()).collect();
    v.sort();
    v
}
