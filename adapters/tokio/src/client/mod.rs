//! The FTP client on tokio: [`Client`], the [`sansftp::client`] core's
//! [`Driver`](sansftp::client::Driver) run by whoever awaits its methods.
//!
//! Each method finishes whatever operation is still pending, starts one
//! [`Operation`](sansftp::client::Operation) and does what the driver says until it
//! stops (`drive.rs`): tokio's sockets and timers, TLS through tokio-rustls. File
//! transfers are handed out as a [`DataStream`] (`tokio::io::AsyncRead` for downloads,
//! `AsyncWrite` for uploads), or copied to and from local files by [`Client::upload`]
//! and [`Client::download`], the file side on `spawn_blocking` (`tree.rs`).
//!
//! A stream cannot await in its `Drop`: a dropped one tells the core
//! ([`Session::end_transfer`](sansftp::client::Session::end_transfer)), and the next
//! call drives that operation to its end, so the control connection stays in step.

mod drive;
mod stream;
mod tree;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use sansftp::client::{
    Action, DataFlow, Driver, Features, Item, ListCommand, Request, Session, TlsMode, TransferKind,
    Until, Value,
};
use sansftp::{Error, Reply};
use sansftp_tls::ClientTls;
use sansftp_tls::rustls::ClientConfig;
use sansftp_tls::rustls::pki_types::ServerName;
use tokio::net::{TcpListener, ToSocketAddrs, lookup_host};

use crate::conn::Conn;

pub use sansftp::client::{ClientOptions, SpeedLimits};
pub use stream::{DataStream, ListStream};

/// The control connection's read buffer: replies are short.
const CONTROL_BUFFER: usize = 4096;

/// An FTP client session on one control connection, on tokio.
///
/// Methods take `&mut self`: one operation at a time, as FTP has it. Paths are bytes
/// (`&str`, `String`, `&[u8]`, `Vec<u8>`), sent as given. Every call is cancel-safe: a
/// dropped future (or stream) leaves the client usable, its next call first drives the
/// abandoned operation to its end. The [crate docs](crate) have an example.
#[derive(Debug)]
pub struct Client {
    ctrl: Conn,
    driver: Driver,
    /// FTPS: one configuration for every connection, and the name they check.
    tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    greeting: Reply,
    options: ClientOptions,
    limits: SpeedLimits,
    ascii: bool,
    ctrl_buf: Box<[u8]>,
    /// The data connection: passive, connected; active, accepted.
    data: Option<Conn>,
    /// The active-mode listener, until the server's connection is accepted.
    listener: Option<TcpListener>,
    /// The running listing's read buffer, allocated on first use.
    data_buf: Vec<u8>,
}

impl Client {
    /// Connects to an FTP server and reads its greeting. `addr` is anything tokio
    /// resolves ([`ToSocketAddrs`]): a [`SocketAddr`], `"host:port"`, `("host", port)`;
    /// each resolved address is tried in turn. Call first; then [`login`](Client::login).
    pub async fn connect(addr: impl ToSocketAddrs) -> Result<Client, Error> {
        Client::connect_with(addr, ClientOptions::default()).await
    }

    /// [`connect`](Client::connect) with options. Plaintext FTP: for FTPS (options
    /// whose `config.tls` is set) use [`connect_tls`](Client::connect_tls).
    pub async fn connect_with(
        addr: impl ToSocketAddrs,
        options: ClientOptions,
    ) -> Result<Client, Error> {
        if options.config.tls.is_some() {
            let text =
                "FTPS (ClientOptions' config.tls) needs a ClientTls: use Client::connect_tls";
            return Err(io::Error::new(io::ErrorKind::InvalidInput, text).into());
        }
        Client::open(addr, options, None).await
    }

    /// Connects with FTPS: TLS on the control connection and (unless the core's
    /// [`Config::protect_data`](sansftp::client::Config::protect_data) is off) on every
    /// data connection, all with `tls`'s one configuration and the certificate checked
    /// against `server_name`, so data connections resume the control connection's
    /// session. Explicit (`AUTH TLS`) unless `options.config.tls` says
    /// [`TlsMode::Implicit`]. A failed handshake is an [`Error::Io`] saying what failed.
    pub async fn connect_tls(
        addr: impl ToSocketAddrs,
        tls: ClientTls,
        server_name: &str,
        mut options: ClientOptions,
    ) -> Result<Client, Error> {
        let name = tls
            .server_name(server_name)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        options.config.tls.get_or_insert(TlsMode::Explicit);
        Client::open(addr, options, Some((tls.config(), name))).await
    }

    async fn open(
        addr: impl ToSocketAddrs,
        options: ClientOptions,
        tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    ) -> Result<Client, Error> {
        let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to");
        for addr in lookup_host(addr).await? {
            match drive::connect(addr, options.connect_timeout).await {
                Ok(ctrl) => return Client::handshake(ctrl, options, tls).await,
                Err(e) => last = e,
            }
        }
        Err(Error::from_io(last, "the control connection"))
    }

    async fn handshake(
        ctrl: tokio::net::TcpStream,
        options: ClientOptions,
        tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    ) -> Result<Client, Error> {
        let (peer, local): (SocketAddr, SocketAddr) = (ctrl.peer_addr()?, ctrl.local_addr()?);
        let session = Session::new(options.session_config(), peer, local, Instant::now());
        let mut client = Client {
            ctrl: Conn::Plain(ctrl),
            driver: Driver::new(session, &options),
            tls,
            greeting: Reply::new(sansftp::Code::READY, ""),
            limits: SpeedLimits::new(options.read_limit, options.write_limit),
            options,
            ascii: false,
            ctrl_buf: vec![0; CONTROL_BUFFER].into_boxed_slice(),
            data: None,
            listener: None,
            data_buf: Vec::new(),
        };
        match client.run_started().await? {
            Value::Greeting(reply) => client.greeting = reply,
            other => return Err(Error::UnexpectedReply(format!("greeting: {other:?}"))),
        }
        Ok(client)
    }

    /// The server's greeting (`220`).
    pub fn greeting(&self) -> &Reply {
        &self.greeting
    }

    /// A handle on the speed limits, to change them while the client runs.
    pub fn speed_limits(&self) -> SpeedLimits {
        self.limits.clone()
    }

    /// What the server announced with `FEAT` (asked after login unless the core's
    /// [`Config::discover_features`](sansftp::client::Config::discover_features) is off).
    pub fn features(&self) -> Option<&Features> {
        self.driver.features()
    }

    /// `TYPE A` (on) or `TYPE I` (off, the default) for the following transfers; in
    /// ASCII, line ends are converted (CRLF on the wire, LF locally).
    pub fn set_ascii(&mut self, on: bool) {
        self.ascii = on;
    }

    sansftp::client_methods!(async);

    /// [`list`](Client::list) entry by entry, as each directory's listing arrives:
    /// call [`ListStream::next`] until `None`. The client is busy while the stream
    /// lives; one dropped early is finished (its transfers aborted) by the next call.
    pub async fn list_stream(
        &mut self,
        path: impl AsRef<[u8]>,
        recursive: bool,
    ) -> Result<ListStream<'_>, Error> {
        let request = Request::list(path, recursive, ListCommand::Auto);
        self.start(request.into_operation()).await?;
        Ok(ListStream::new(self))
    }

    /// Finishes whatever transfer is still pending (a [`DataStream`] or [`ListStream`]
    /// dropped before its end, a call cancelled), aborting it, so the control channel
    /// is in step. Every other method does this first on its own.
    pub async fn abort(&mut self) -> Result<(), Error> {
        self.finish_pending().await;
        if self.driver.session().is_closed() {
            return Err(Error::ConnectionClosed);
        }
        Ok(())
    }

    /// `QUIT`, then closes the connection.
    pub async fn quit(mut self) -> Result<(), Error> {
        self.request(Request::quit()).await
    }

    /// Whether transfers are in `TYPE A` (for [`sansftp::client_methods!`]).
    fn ascii(&self) -> bool {
        self.ascii
    }

    /// The listing entries the last request emitted (for [`sansftp::client_methods!`]).
    fn take_entries(&mut self) -> Vec<Item> {
        self.driver.take_entries()
    }

    /// Starts a file transfer and drives it until its data is to move (for
    /// [`sansftp::client_methods!`]).
    async fn open_stream(&mut self, request: Request<()>) -> Result<DataStream<'_>, Error> {
        let kind = request.operation().transfer_kind();
        self.start(request.into_operation()).await?;
        let (sock, flow) = match self.drive(Until::Transfer).await {
            Action::Transfer(t) => (self.data.take(), DataFlow::new(t, self.limits.clone())),
            // The server finished at once (a 2xx instead of 1xx): nothing to move.
            Action::Done(Ok(_)) => (
                None,
                DataFlow::empty(kind.unwrap_or(TransferKind::Download)),
            ),
            Action::Done(Err(e)) => return Err(e),
            other => return Err(Error::UnexpectedReply(format!("{other:?}"))),
        };
        Ok(DataStream::new(self, sock, flow))
    }
}
