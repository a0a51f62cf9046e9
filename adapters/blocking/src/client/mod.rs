//! A blocking FTP client on `std::net`: [`Client`], the [`sansftp::client`] core driven
//! on the calling thread.

mod driver;
mod stream;
mod tree;

use std::io;
use std::net::ToSocketAddrs;
use std::sync::Arc;
use std::time::Instant;

use sansftp::Error;
use sansftp::client::Driver;
use sansftp_tls::ClientTls;
use sansftp_tls::rustls::ClientConfig;
use sansftp_tls::rustls::pki_types::ServerName;

pub use sansftp::client::{ClientOptions, SpeedLimits};
pub use stream::{DataStream, ListStream};

use driver::Io;

/// A blocking FTP client: one control connection, one operation at a time.
///
/// ```
/// use std::io::{Read, Write};
/// use sansftp::server::{Config, User};
/// use sansftp_blocking::{Client, Server};
/// use sansftp_storage::MemoryFs;
///
/// # fn main() -> Result<(), sansftp::Error> {
/// let config = Config::new().user(User::new("alice", "secret"));
/// let server = Server::builder(MemoryFs::new()).config(config).bind("127.0.0.1:0")?;
/// let running = server.spawn();
///
/// let mut client = Client::connect(running.local_addr())?;
/// client.login("alice", "secret")?;
/// client.make_directory("/docs/2026", true)?;
///
/// let mut upload = client.upload_stream("/docs/2026/hello.txt", 0)?;
/// upload.write_all(b"hello, world\n")?;
/// upload.finish()?;
///
/// let names: Vec<String> = client
///     .list("/docs", true)?
///     .iter()
///     .map(|item| item.path_str().into_owned())
///     .collect();
/// assert_eq!(names, ["/docs/2026", "/docs/2026/hello.txt"]);
/// assert_eq!(client.size("/docs/2026/hello.txt")?, 13);
///
/// let mut text = String::new();
/// let mut download = client.download_stream("/docs/2026/hello.txt", 7)?;
/// download.read_to_string(&mut text)?;
/// download.finish()?;
/// assert_eq!(text, "world\n");
///
/// client.quit()?;
/// running.shutdown()?;
/// # Ok(())
/// # }
/// ```
///
/// # How it runs
///
/// Each method starts one [`Operation`](sansftp::client::Operation) and drives the core
/// on the calling thread until it is done: it writes what the core sends, reads the
/// control connection when a reply is due, opens the data connections it asks for
/// (passive: a connect; active: a listener bound on the control connection's local
/// address, accepting only the server's host) and moves the data. Listings are read
/// whole by the client; file transfers are handed to the caller as a [`DataStream`]
/// (`Read` for downloads, `Write` for uploads), or copied to and from files by
/// [`Client::upload`] and [`Client::download`] through one 256 KiB buffer.
///
/// A stream dropped before its end tells the core, which aborts the transfer (`ABOR`
/// and a `NOOP`, reading every reply up to the `NOOP`'s) so the control connection stays
/// in step: with a [`socket_timeout`](ClientOptions::socket_timeout) this happens in the
/// drop, bounded by it; without one, at the start of the next call.
///
/// Paths are bytes (`&str`, `String`, `&[u8]`, `Vec<u8>` all work) and are sent as
/// given; relative paths are relative to the current directory on the server.
/// Every method returns [`sansftp::Error`]: a reply the operation did not expect is an
/// [`Error::StatusCode`] (e.g. `received(550)` for a missing file), socket failures are
/// [`Error::Io`], timeouts [`Error::Timeout`].
pub struct Client {
    driver: Driver,
    io: Io,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("driver", &self.driver)
            .finish_non_exhaustive()
    }
}

/// Bytes read from the control connection at a time.
const CONTROL_BUF: usize = 8 << 10;

impl Client {
    /// Connects the control connection, each resolved address in turn, and reads the
    /// greeting (for the `connect` methods of [`sansftp::client_driver_methods!`]).
    fn open(
        addr: impl ToSocketAddrs,
        options: ClientOptions,
        tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    ) -> Result<Client, Error> {
        let mut last = io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to nothing",
        );
        let mut found = None;
        for addr in addr.to_socket_addrs()? {
            match driver::connect(addr, options.connect_timeout) {
                Ok(s) => {
                    found = Some(s);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let control = found.ok_or_else(|| Error::from_io(last, "the control connection"))?;
        control.set_write_timeout(options.socket_timeout)?;
        let (peer, local) = (control.peer_addr()?, control.local_addr()?);
        let io = Io {
            control,
            control_tls: None,
            tls,
            data: None,
            listener: None,
            control_buf: vec![0; CONTROL_BUF].into_boxed_slice(),
            listing_buf: Vec::new(),
            control_read_timeout: None,
            socket_timeout: options.socket_timeout,
            connect_timeout: options.connect_timeout,
        };
        let driver = Driver::new(options, peer, local, Instant::now());
        let mut client = Client { driver, io };
        client.run_started()?;
        Ok(client)
    }

    sansftp::client_methods!(blocking);
    sansftp::client_driver_methods!(blocking, ToSocketAddrs);
}
