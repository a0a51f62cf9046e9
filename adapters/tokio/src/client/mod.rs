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
use std::sync::Arc;
use std::time::Instant;

use sansftp::Error;
use sansftp::client::Driver;
use sansftp_tls::ClientTls;
use sansftp_tls::rustls::ClientConfig;
use sansftp_tls::rustls::pki_types::ServerName;
use tokio::net::{ToSocketAddrs, lookup_host};

use crate::conn::Conn;
use drive::Io;

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
    driver: Driver,
    io: Io,
}

impl Client {
    /// Connects the control connection, each resolved address in turn, and reads the
    /// greeting (for the `connect` methods of [`sansftp::client_driver_methods!`]).
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

    /// Reads the greeting (after the TLS handshake, for implicit FTPS).
    async fn handshake(
        ctrl: tokio::net::TcpStream,
        options: ClientOptions,
        tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
    ) -> Result<Client, Error> {
        let (peer, local) = (ctrl.peer_addr()?, ctrl.local_addr()?);
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
    sansftp::client_driver_methods!(async, ToSocketAddrs);
}
