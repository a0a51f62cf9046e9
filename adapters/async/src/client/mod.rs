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
//! A stream cannot await in its `Drop`: one dropped before its end tells the core
//! (`data_failed`, which queues `ABOR` and a `NOOP`), and the next call on the client
//! first drives that operation to its end, reading every reply up to the `NOOP`'s, so
//! the control connection stays in step.
//!
//! Errors are [`sansftp::Error`]: a reply with an unexpected code is
//! [`Error::StatusCode`](sansftp::Error::StatusCode), a timed-out connect, read or write
//! is [`Error::Timeout`].

mod driver;
mod options;
mod stream;
mod tree;

use std::collections::VecDeque;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::str::FromStr;
use std::time::Instant;

use async_io::Async;
use async_net::AsyncToSocketAddrs;
use sansftp::client::{Features, Item, ListCommand, Operation, Session, Transfer, Value};
use sansftp::code::Mask;
use sansftp::time::DateTime;
use sansftp::{Error, Reply};

pub use options::{ClientOptions, SpeedLimits};
pub use stream::{DataStream, ListStream};

use driver::{Stop, map_timeout};

/// The control connection's read buffer: replies are short.
const CONTROL_BUFFER: usize = 4096;

/// An FTP client session on one control connection.
///
/// Methods take `&mut self`: one operation at a time, as FTP has it. Paths are bytes
/// (`&str`, `String`, `&[u8]`, `Vec<u8>`), sent as given: a server's names need not be
/// UTF-8. The [crate docs](crate#client) have an example.
#[derive(Debug)]
pub struct Client {
    ctrl: Async<TcpStream>,
    session: Session,
    greeting: Reply,
    options: ClientOptions,
    limits: SpeedLimits,
    ascii: bool,
    ctrl_buf: Box<[u8]>,
    /// The data connection: passive, connected; active, accepted.
    data: Option<Async<TcpStream>>,
    /// The active-mode listener, until the server's connection is accepted.
    listener: Option<Async<TcpListener>>,
    /// A listing being read, or a transfer waiting for the server's connection.
    transfer: Option<Transfer>,
    /// When the wait for the server's connection began (active mode).
    accept_since: Option<Instant>,
    /// The running listing's read buffer, allocated on first use.
    data_buf: Vec<u8>,
    /// Entries of the running listing, not yet handed out.
    entries: VecDeque<Item>,
    /// The socket error that closed the control connection, to report it.
    ctrl_error: Option<io::Error>,
    /// Finishing an operation nobody waits for: transfers are aborted.
    abandoning: bool,
    /// Command bytes not yet written.
    ctrl_out: Vec<u8>,
    /// A passive data connection to open.
    connecting: Option<std::net::SocketAddr>,
    /// The core asked to close the control connection.
    closing: bool,
    /// A file transfer was handed out and its [`DataStream`] not made yet.
    handed_out: bool,
}

impl Client {
    /// Connects to an FTP server and reads its greeting. `addr` is anything
    /// [`async_net`] resolves: a [`SocketAddr`](std::net::SocketAddr), `"host:port"`,
    /// `("host", port)`; each resolved address is tried in turn.
    pub async fn connect(addr: impl AsyncToSocketAddrs) -> Result<Client, Error> {
        Client::connect_with(addr, ClientOptions::default()).await
    }

    /// [`connect`](Client::connect) with options.
    pub async fn connect_with(
        addr: impl AsyncToSocketAddrs,
        options: ClientOptions,
    ) -> Result<Client, Error> {
        let addrs = async_net::resolve(addr).await?;
        let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to");
        for addr in addrs {
            match driver::connect(addr, options.connect_timeout).await {
                Ok(ctrl) => return Client::handshake(ctrl, options).await,
                Err(e) => last = e,
            }
        }
        Err(map_timeout(Error::Io(last)))
    }

    async fn handshake(
        ctrl: Async<TcpStream>,
        mut options: ClientOptions,
    ) -> Result<Client, Error> {
        let peer = ctrl.get_ref().peer_addr()?;
        let local = ctrl.get_ref().local_addr()?;
        if options.config.reply_timeout.is_none() {
            options.config.reply_timeout = options.socket_timeout;
        }
        let session = Session::new(options.config.clone(), peer, local, Instant::now());
        let limits = SpeedLimits::new(options.read_limit, options.write_limit);
        let mut client = Client {
            ctrl,
            session,
            greeting: Reply::new(sansftp::Code::READY, ""),
            options,
            limits,
            ascii: false,
            ctrl_buf: vec![0; CONTROL_BUFFER].into_boxed_slice(),
            data: None,
            listener: None,
            transfer: None,
            accept_since: None,
            data_buf: Vec::new(),
            entries: VecDeque::new(),
            ctrl_error: None,
            abandoning: false,
            ctrl_out: Vec::new(),
            connecting: None,
            closing: false,
            handed_out: false,
        };
        match client.run_started().await? {
            Value::Greeting(reply) => client.greeting = reply,
            other => return Err(unexpected("a greeting", &other)),
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
        self.session.features()
    }

    /// `TYPE A` (on) or `TYPE I` (off, the default) for the following transfers; in
    /// ASCII, line ends are converted (CRLF on the wire, LF locally).
    pub fn set_ascii(&mut self, on: bool) {
        self.ascii = on;
    }

    /// Logs in: `USER`, then `PASS` when asked (and an empty `ACCT` if asked for one).
    pub async fn login(&mut self, user: &str, password: &str) -> Result<(), Error> {
        self.login_with_account(user, password, "").await
    }

    /// Logs in, with the account to send if the server asks for one (`332`).
    pub async fn login_with_account(
        &mut self,
        user: &str,
        password: &str,
        account: &str,
    ) -> Result<(), Error> {
        self.run(Operation::Login {
            user: user.into(),
            password: password.into(),
            account: account.into(),
        })
        .await
        .map(drop)
    }

    /// Logs in as `anonymous` with the password `anon@`.
    pub async fn login_anonymous(&mut self) -> Result<(), Error> {
        self.login("anonymous", "anon@").await
    }

    /// `PWD`, lossily decoded.
    pub async fn get_current_directory(&mut self) -> Result<String, Error> {
        match self.run(Operation::CurrentDirectory).await? {
            Value::Path(p) => Ok(String::from_utf8_lossy(&p).into_owned()),
            other => Err(unexpected("a path", &other)),
        }
    }

    /// `CWD path` (`CDUP` for `..`).
    pub async fn change_directory(&mut self, path: impl AsRef<[u8]>) -> Result<(), Error> {
        let op = Operation::ChangeDirectory(path.as_ref().to_vec());
        self.run(op).await.map(drop)
    }

    /// `MKD path`; with `parents`, every missing ancestor first, and an existing
    /// directory is no error.
    pub async fn make_directory(
        &mut self,
        path: impl AsRef<[u8]>,
        parents: bool,
    ) -> Result<(), Error> {
        let path = path.as_ref().to_vec();
        self.run(Operation::MakeDirectory { path, parents })
            .await
            .map(drop)
    }

    /// `DELE path`.
    pub async fn remove_file(&mut self, path: impl AsRef<[u8]>) -> Result<(), Error> {
        let op = Operation::RemoveFile(path.as_ref().to_vec());
        self.run(op).await.map(drop)
    }

    /// `RMD path` (the directory must be empty).
    pub async fn remove_directory(&mut self, path: impl AsRef<[u8]>) -> Result<(), Error> {
        let op = Operation::RemoveDirectory(path.as_ref().to_vec());
        self.run(op).await.map(drop)
    }

    /// Removes a file, or a directory with everything in it.
    pub async fn remove(&mut self, path: impl AsRef<[u8]>) -> Result<(), Error> {
        let op = Operation::Remove(path.as_ref().to_vec());
        self.run(op).await.map(drop)
    }

    /// `RNFR from`, `RNTO to`.
    pub async fn rename(
        &mut self,
        from: impl AsRef<[u8]>,
        to: impl AsRef<[u8]>,
    ) -> Result<(), Error> {
        let op = Operation::Rename {
            from: from.as_ref().to_vec(),
            to: to.as_ref().to_vec(),
        };
        self.run(op).await.map(drop)
    }

    /// Lists a directory (empty path: the current one), `MLSD` with a `LIST` fallback;
    /// `recursive` walks the whole tree, breadth first. `.` and `..` are left out.
    pub async fn list(
        &mut self,
        path: impl AsRef<[u8]>,
        recursive: bool,
    ) -> Result<Vec<Item>, Error> {
        self.list_with(path, recursive, ListCommand::Auto).await
    }

    /// [`list`](Client::list) with a chosen listing command.
    pub async fn list_with(
        &mut self,
        path: impl AsRef<[u8]>,
        recursive: bool,
        command: ListCommand,
    ) -> Result<Vec<Item>, Error> {
        let op = Operation::List {
            path: path.as_ref().to_vec(),
            recursive,
            command,
        };
        self.run(op).await?;
        Ok(self.entries.drain(..).collect())
    }

    /// [`list`](Client::list) as a [`Stream`](futures_lite::Stream): entries come as each
    /// directory's listing arrives. The client is busy until the stream ends; a stream
    /// dropped early is finished (its transfers aborted) by the next call.
    pub async fn list_stream(
        &mut self,
        path: impl AsRef<[u8]>,
        recursive: bool,
    ) -> Result<ListStream<'_>, Error> {
        let op = Operation::List {
            path: path.as_ref().to_vec(),
            recursive,
            command: ListCommand::Auto,
        };
        self.start(op).await?;
        Ok(ListStream::new(self))
    }

    /// The facts of one path: `MLST`, or the parent's listing when the server has none.
    /// A missing path is a [`StatusCodeError`](sansftp::StatusCodeError) that received
    /// `550`.
    pub async fn stat(&mut self, path: impl AsRef<[u8]>) -> Result<Item, Error> {
        match self.run(Operation::Stat(path.as_ref().to_vec())).await? {
            Value::Entry(item) => Ok(item),
            other => Err(unexpected("an entry", &other)),
        }
    }

    /// Whether `path` exists (a `550` from [`stat`](Client::stat) is `false`).
    pub async fn exists(&mut self, path: impl AsRef<[u8]>) -> Result<bool, Error> {
        match self.stat(path).await {
            Ok(_) => Ok(true),
            Err(e) if e.received(550) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether `path` is a regular file (`false` when missing).
    pub async fn is_file(&mut self, path: impl AsRef<[u8]>) -> Result<bool, Error> {
        match self.stat(path).await {
            Ok(item) => Ok(item.entry.kind.is_file()),
            Err(e) if e.received(550) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether `path` is a directory (`false` when missing).
    pub async fn is_dir(&mut self, path: impl AsRef<[u8]>) -> Result<bool, Error> {
        match self.stat(path).await {
            Ok(item) => Ok(item.entry.kind.is_dir()),
            Err(e) if e.received(550) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `SIZE path` (RFC 3659), in bytes.
    pub async fn size(&mut self, path: impl AsRef<[u8]>) -> Result<u64, Error> {
        match self.run(Operation::Size(path.as_ref().to_vec())).await? {
            Value::Size(n) => Ok(n),
            other => Err(unexpected("a size", &other)),
        }
    }

    /// `MDTM path` (RFC 3659): the modification time, UTC.
    pub async fn modified(&mut self, path: impl AsRef<[u8]>) -> Result<DateTime, Error> {
        match self
            .run(Operation::Modified(path.as_ref().to_vec()))
            .await?
        {
            Value::Modified(t) => Ok(t),
            other => Err(unexpected("a time", &other)),
        }
    }

    /// `NOOP`: keeps an idle connection alive.
    pub async fn noop(&mut self) -> Result<(), Error> {
        self.run(Operation::Noop).await.map(drop)
    }

    /// A stream to write a remote file (`STOR`; with `offset > 0`, `REST offset` first,
    /// to resume). Call [`DataStream::finish`] when done.
    pub async fn upload_stream(
        &mut self,
        remote: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<DataStream<'_>, Error> {
        let op = Operation::Upload {
            path: remote.as_ref().to_vec(),
            offset,
            ascii: self.ascii,
            append: false,
        };
        self.open_stream(op, true).await
    }

    /// A stream that appends to a remote file (`APPE`).
    pub async fn append_stream(
        &mut self,
        remote: impl AsRef<[u8]>,
    ) -> Result<DataStream<'_>, Error> {
        let op = Operation::Upload {
            path: remote.as_ref().to_vec(),
            offset: 0,
            ascii: self.ascii,
            append: true,
        };
        self.open_stream(op, true).await
    }

    /// A stream to read a remote file (`RETR`; with `offset > 0`, `REST offset` first).
    /// Read it to its end, then call [`DataStream::finish`].
    pub async fn download_stream(
        &mut self,
        remote: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<DataStream<'_>, Error> {
        let op = Operation::Download {
            path: remote.as_ref().to_vec(),
            offset,
            ascii: self.ascii,
        };
        self.open_stream(op, false).await
    }

    async fn open_stream(&mut self, op: Operation, upload: bool) -> Result<DataStream<'_>, Error> {
        self.start(op).await?;
        match self.step(false).await {
            Stop::Transfer(t) => {
                let sock = self.data.take();
                Ok(DataStream::new(self, sock, upload, t.ascii))
            }
            // The server finished at once (a 2xx instead of 1xx): nothing to move.
            Stop::Done(Ok(_)) => Ok(DataStream::new(self, None, upload, false)),
            Stop::Done(Err(e)) => Err(map_timeout(e)),
            Stop::Entries => {
                self.entries.clear();
                self.finish_pending().await;
                Err(Error::UnexpectedReply(
                    "a listing instead of a transfer".into(),
                ))
            }
        }
    }

    /// Finishes whatever transfer is still pending (a [`DataStream`] or [`ListStream`]
    /// dropped before its end), aborting it, so the control channel is in step. Every
    /// other method does this first on its own.
    pub async fn abort(&mut self) -> Result<(), Error> {
        self.finish_pending().await;
        if self.session.is_closed() {
            return Err(Error::ConnectionClosed);
        }
        Ok(())
    }

    /// A raw command, like aioftp's `command()`: sends `text`, skips replies matching a
    /// `wait` mask, and checks the last against `expected` (masks such as `"2xx"`,
    /// `"331"`; empty: any code). With both empty nothing is read and the result is
    /// `None`. An invalid mask is an error before anything is sent.
    pub async fn command(
        &mut self,
        text: &str,
        expected: &[&str],
        wait: &[&str],
    ) -> Result<Option<Reply>, Error> {
        let op = Operation::Command {
            text: Some(text.to_owned()),
            expected: masks(expected)?,
            wait: masks(wait)?,
        };
        match self.run(op).await? {
            Value::Reply(r) => Ok(Some(r)),
            _ => Ok(None),
        }
    }

    /// `QUIT`, then closes the connection.
    pub async fn quit(mut self) -> Result<(), Error> {
        self.run(Operation::Quit).await.map(drop)
    }
}

fn masks(texts: &[&str]) -> Result<Vec<Mask>, Error> {
    texts
        .iter()
        .map(|t| {
            Mask::from_str(t).map_err(|e| Error::Io(io::Error::new(io::ErrorKind::InvalidInput, e)))
        })
        .collect()
}

fn unexpected(what: &str, got: &Value) -> Error {
    Error::UnexpectedReply(format!("expected {what}, the operation gave {got:?}"))
}
