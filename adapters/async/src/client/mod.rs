//! An async FTP client on `async-io`: [`Client`], the [`sansftp::client`] core driven by
//! whoever awaits its methods (a smol or async-std task, a `block_on`).
//!
//! ```
//! use std::time::Duration;
//! use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};
//! use sansftp::server::{Config, User};
//! use sansftp_async::{Client, Server};
//! use sansftp_storage::MemoryFs;
//!
//! # fn main() -> Result<(), sansftp::Error> {
//! smol::block_on(async {
//!     let config = Config::new().user(User::new("alice", "secret"));
//!     let server = Server::builder(MemoryFs::new()).config(config).bind("127.0.0.1:0").await?;
//!     let addr = server.local_addr();
//!     let stop = server.shutdown_handle();
//!     let running = smol::spawn(server.run());
//!
//!     let mut client = Client::connect(addr).await?;
//!     client.login("alice", "secret").await?;
//!     client.make_directory("/docs/2026", true).await?;
//!
//!     let mut upload = client.upload_stream("/docs/2026/hello.txt", 0).await?;
//!     upload.write_all(b"hello, world\n").await?;
//!     upload.finish().await?;
//!
//!     let mut names = Vec::new();
//!     let mut entries = client.list_stream("/docs", true).await?;
//!     while let Some(item) = entries.next().await {
//!         names.push(item?.path_str().into_owned());
//!     }
//!     drop(entries); // the client is busy while the stream lives
//!     assert_eq!(names, ["/docs/2026", "/docs/2026/hello.txt"]);
//!     assert_eq!(client.size("/docs/2026/hello.txt").await?, 13);
//!
//!     let mut text = String::new();
//!     let mut download = client.download_stream("/docs/2026/hello.txt", 7).await?;
//!     download.read_to_string(&mut text).await?;
//!     download.finish().await?;
//!     assert_eq!(text, "world\n");
//!
//!     client.quit().await?;
//!     stop.shutdown(Duration::ZERO);
//!     running.await
//! })
//! # }
//! ```
//!
//! # How it runs
//!
//! Each method finishes whatever operation is still pending, starts one
//! [`Operation`](sansftp::client::Operation) and drives the core until it is done: it
//! writes what the core sends, opens the data connections it asks for (passive: a
//! connect; active: a listener on the control connection's local address that accepts
//! only the server's host), reads listings beside the control connection and waits for
//! replies, racing the core's reply deadline with [`async_io::Timer`]. File transfers are
//! handed to the caller as a [`DataStream`] (`AsyncRead` for downloads, `AsyncWrite` for
//! uploads), or copied to and from local files by [`Client::upload`] and
//! [`Client::download`] in 1 MiB blocks, the file side on the [`blocking`] pool while
//! the socket moves the previous block.
//!
//! A stream cannot await in its `Drop`: a dropped one tells the core
//! ([`Session::end_transfer`](sansftp::client::Session::end_transfer), which decides
//! whether that is complete or queues `ABOR` and a `NOOP`), and the next call on the
//! client first drives that operation to its end, so the control connection stays in
//! step.
//!
//! Errors are [`sansftp::Error`]: a reply with an unexpected code is
//! [`Error::StatusCode`](sansftp::Error::StatusCode), a timed-out connect, read or write
//! is [`Error::Timeout`].

mod driver;
mod stream;
mod tree;

use std::io;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Instant;

use async_io::Async;
use async_net::AsyncToSocketAddrs;
use sansftp::Error;
use sansftp::client::Driver;
use sansftp_tls::ClientTls;
use sansftp_tls::rustls::ClientConfig;
use sansftp_tls::rustls::pki_types::ServerName;

use crate::conn::Conn;
use driver::Io;

pub use sansftp::client::{ClientOptions, SpeedLimits};
pub use stream::{DataStream, ListStream};

/// The control connection's read buffer: replies are short.
const CONTROL_BUFFER: usize = 4096;

/// An FTP client session on one control connection.
///
/// Methods take `&mut self`: one operation at a time, as FTP has it. Paths are bytes
/// (`&str`, `String`, `&[u8]`, `Vec<u8>`), sent as given: a server's names need not be
/// UTF-8. The [crate docs](crate#client) have an example.
#[derive(Debug)]
pub struct Client {
    driver: Driver,
    io: Io,
}

impl Client {
    /// Connects the control connection, each resolved address in turn, and reads the
    /// greeting (for the `connect` methods of [`sansftp::client_driver_methods!`]).
    async fn open(
        addr: impl AsyncToSocketAddrs,
        options: ClientOptions,
        tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    ) -> Result<Client, Error> {
        let addrs = async_net::resolve(addr).await?;
        let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to");
        for addr in addrs {
            match driver::connect(addr, options.connect_timeout).await {
                Ok(ctrl) => return Client::handshake(ctrl, options, tls).await,
                Err(e) => last = e,
            }
        }
        Err(Error::from_io(last, "the control connection"))
    }

    /// Reads the greeting (after the TLS handshake, for implicit FTPS).
    async fn handshake(
        ctrl: Async<TcpStream>,
        options: ClientOptions,
        tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    ) -> Result<Client, Error> {
        let (peer, local) = (ctrl.get_ref().peer_addr()?, ctrl.get_ref().local_addr()?);
        let io = Io {
            ctrl: Conn::Plain(ctrl),
            tls,
            ctrl_buf: vec![0; CONTROL_BUFFER].into_boxed_slice(),
            data: None,
            listener: None,
            data_buf: Vec::new(),
            socket_timeout: options.socket_timeout,
            connect_timeout: options.connect_timeout,
        };
        let driver = Driver::new(options, peer, local, Instant::now());
        let mut client = Client { driver, io };
        client.run_started().await?;
        Ok(client)
    }

    sansftp::client_methods!(async);
    sansftp::client_driver_methods!(async, AsyncToSocketAddrs);
}
