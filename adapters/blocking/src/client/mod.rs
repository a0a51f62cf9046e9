//! A blocking FTP client on `std::net`: [`Client`], the [`sansftp::client`] core driven
//! on the calling thread.

mod driver;
mod stream;
mod tree;

use std::net::ToSocketAddrs;

use sansftp::client::{DataFlow, Features, Item, ListCommand, Request, TransferKind};
use sansftp::{Error, Reply};

pub use sansftp::client::{ClientOptions, SpeedLimits};
pub use stream::{DataStream, ListStream};

use driver::Driver;

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
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.driver.fmt(f)
    }
}

impl Client {
    /// Connects to the server at `addr` (anything [`ToSocketAddrs`] takes, e.g.
    /// `"ftp.example.com:21"` or a `SocketAddr`; every resolved address is tried in
    /// turn) and reads its greeting, with the default [`ClientOptions`].
    pub fn connect(addr: impl ToSocketAddrs) -> Result<Client, Error> {
        Client::connect_with(addr, ClientOptions::default())
    }

    /// Connects with `options`; see [`Client::connect`].
    pub fn connect_with(addr: impl ToSocketAddrs, options: ClientOptions) -> Result<Client, Error> {
        Ok(Client {
            driver: Driver::connect(addr, options, None)?,
        })
    }

    /// Connects with FTPS: `tls` says whom to trust, `server_name` is the name the
    /// certificate is checked against (and the TLS session cached under, for data
    /// connections to resume it). Explicit (`AUTH TLS`) unless `options.config.tls`
    /// asks for [`TlsMode::Implicit`](sansftp::client::TlsMode::Implicit). A TLS
    /// failure is an [`Error::Io`] saying what failed, e.g. "TLS handshake with
    /// ftp.example.com failed: the server's certificate is not trusted (UnknownIssuer)".
    pub fn connect_tls(
        addr: impl ToSocketAddrs,
        tls: sansftp_tls::ClientTls,
        server_name: &str,
        mut options: ClientOptions,
    ) -> Result<Client, Error> {
        let name = tls
            .server_name(server_name)
            .map_err(|e| Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e)))?;
        let setup = driver::ClientTlsSetup {
            config: tls.config(),
            name,
        };
        options
            .config
            .tls
            .get_or_insert(sansftp::client::TlsMode::Explicit);
        Ok(Client {
            driver: Driver::connect(addr, options, Some(setup))?,
        })
    }

    /// The server's greeting (`220`).
    pub fn greeting(&self) -> &Reply {
        self.driver.greeting()
    }

    /// The handle to this client's speed limits.
    pub fn speed_limits(&self) -> SpeedLimits {
        self.driver.limits.clone()
    }

    /// What the server announced with `FEAT` after login (`None` before, or with
    /// feature discovery off).
    pub fn features(&self) -> Option<&Features> {
        self.driver.session.features()
    }

    sansftp::client_methods!(blocking);

    /// [`Client::list`] as an iterator: the entries of each directory come as soon as
    /// its listing is read. Dropping it early is fine: the next call finishes the
    /// listing first.
    pub fn list_stream(
        &mut self,
        path: impl AsRef<[u8]>,
        recursive: bool,
    ) -> Result<ListStream<'_>, Error> {
        let request = Request::list(path, recursive, ListCommand::Auto);
        self.driver.start(request.into_operation())?;
        Ok(ListStream::new(&mut self.driver))
    }

    /// Finishes whatever transfer is still pending (say, of a [`DataStream`] dropped
    /// without a socket timeout), its error discarded. Every other method does this
    /// first anyway; this one only fails when the control connection does.
    pub fn abort(&mut self) -> Result<(), Error> {
        self.driver.finish_pending();
        if self.driver.session.is_closed() {
            return Err(Error::ConnectionClosed);
        }
        Ok(())
    }

    /// `QUIT`, then closes the connection.
    pub fn quit(mut self) -> Result<(), Error> {
        let res = self.driver.request(Request::quit());
        self.driver.close();
        res
    }

    /// `TYPE A` (`true`) or `TYPE I` (`false`, the default) for the following file
    /// transfers; in ASCII, line ends are converted (LF to CRLF on upload, CRLF to LF
    /// on download).
    pub fn set_ascii(&mut self, on: bool) {
        self.driver.ascii = on;
    }

    /// Runs `request` to its end (for [`sansftp::client_methods!`]).
    fn request<T>(&mut self, request: Request<T>) -> Result<T, Error> {
        self.driver.request(request)
    }

    /// The listing entries the last request emitted (for [`sansftp::client_methods!`]).
    fn take_entries(&mut self) -> Vec<Item> {
        self.driver.entries.drain(..).collect()
    }

    /// Whether transfers are in `TYPE A` (for [`sansftp::client_methods!`]).
    fn ascii(&self) -> bool {
        self.driver.ascii
    }

    /// Starts a file transfer and waits until its data is to move (for
    /// [`sansftp::client_methods!`]).
    fn open_stream(&mut self, request: Request<()>) -> Result<DataStream<'_>, Error> {
        let kind = request.operation().transfer_kind();
        self.driver.start(request.into_operation())?;
        let (socket, flow) = match self.driver.wait_transfer()? {
            Some((socket, t)) => (Some(socket), DataFlow::new(t, self.driver.limits.clone())),
            // Finished at once: an empty transfer.
            None => (
                None,
                DataFlow::empty(kind.unwrap_or(TransferKind::Download)),
            ),
        };
        Ok(DataStream::new(&mut self.driver, socket, flow))
    }
}
