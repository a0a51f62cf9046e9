//! A blocking FTP client on `std::net`: [`Client`], the [`sansftp::client`] core driven
//! on the calling thread.

mod driver;
mod options;
mod stream;
mod tree;

use std::io;
use std::net::ToSocketAddrs;
use std::path::Path;

use sansftp::client::{Features, Item, ListCommand, Operation, TransferKind, Value};
use sansftp::listing::Kind;
use sansftp::time::DateTime;
use sansftp::{Error, Mask, Reply};

pub use options::{ClientOptions, SpeedLimits};
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
#[derive(Debug)]
pub struct Client {
    driver: Driver,
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
            driver: Driver::connect(addr, options)?,
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

    /// Logs in: `USER`, `PASS` when asked, then `FEAT` (and `OPTS UTF8 ON` when
    /// advertised). A wrong password is a [`StatusCodeError`](sansftp::StatusCodeError)
    /// that received `530`.
    pub fn login(&mut self, user: &str, password: &str) -> Result<(), Error> {
        self.login_with_account(user, password, "")
    }

    /// Logs in, sending `account` with `ACCT` if the server asks for one (`332`).
    pub fn login_with_account(
        &mut self,
        user: &str,
        password: &str,
        account: &str,
    ) -> Result<(), Error> {
        let op = Operation::Login {
            user: user.to_owned(),
            password: password.to_owned(),
            account: account.to_owned(),
        };
        self.driver.run(op).map(drop)
    }

    /// Logs in as `anonymous` with the password `anon@`.
    pub fn login_anonymous(&mut self) -> Result<(), Error> {
        self.login("anonymous", "anon@")
    }

    /// `PWD`: the current directory on the server (decoded lossily as UTF-8).
    pub fn get_current_directory(&mut self) -> Result<String, Error> {
        match self.driver.run(Operation::CurrentDirectory)? {
            Value::Path(p) => Ok(String::from_utf8_lossy(&p).into_owned()),
            other => Err(unexpected(other)),
        }
    }

    /// `CWD path` (`CDUP` for `..`).
    pub fn change_directory(&mut self, path: impl AsRef<[u8]>) -> Result<(), Error> {
        let op = Operation::ChangeDirectory(bytes(path));
        self.driver.run(op).map(drop)
    }

    /// `MKD path`; with `parents`, every missing ancestor first, and an existing
    /// directory is not an error (like `mkdir -p`).
    pub fn make_directory(&mut self, path: impl AsRef<[u8]>, parents: bool) -> Result<(), Error> {
        let op = Operation::MakeDirectory {
            path: bytes(path),
            parents,
        };
        self.driver.run(op).map(drop)
    }

    /// `DELE path`: removes a file.
    pub fn remove_file(&mut self, path: impl AsRef<[u8]>) -> Result<(), Error> {
        self.driver
            .run(Operation::RemoveFile(bytes(path)))
            .map(drop)
    }

    /// `RMD path`: removes an empty directory.
    pub fn remove_directory(&mut self, path: impl AsRef<[u8]>) -> Result<(), Error> {
        let op = Operation::RemoveDirectory(bytes(path));
        self.driver.run(op).map(drop)
    }

    /// Removes a file, or a directory with everything in it.
    pub fn remove(&mut self, path: impl AsRef<[u8]>) -> Result<(), Error> {
        self.driver.run(Operation::Remove(bytes(path))).map(drop)
    }

    /// `RNFR from`, `RNTO to`.
    pub fn rename(&mut self, from: impl AsRef<[u8]>, to: impl AsRef<[u8]>) -> Result<(), Error> {
        let op = Operation::Rename {
            from: bytes(from),
            to: bytes(to),
        };
        self.driver.run(op).map(drop)
    }

    /// The entries of the directory `path` (empty: the current one), `.` and `..` left
    /// out; with `recursive`, those of every subdirectory too (breadth first, links not
    /// followed). `MLSD`, or `LIST` when the server has no `MLSD`. Each
    /// [`Item::path`] is `path` joined with the entry's name.
    pub fn list(&mut self, path: impl AsRef<[u8]>, recursive: bool) -> Result<Vec<Item>, Error> {
        self.list_with(path, recursive, ListCommand::Auto)
    }

    /// [`Client::list`] with the listing command chosen.
    pub fn list_with(
        &mut self,
        path: impl AsRef<[u8]>,
        recursive: bool,
        command: ListCommand,
    ) -> Result<Vec<Item>, Error> {
        self.start_list(path, recursive, command)?;
        self.driver.wait_done()?;
        Ok(self.driver.entries.drain(..).collect())
    }

    /// [`Client::list`] as an iterator: the entries of each directory come as soon as
    /// its listing is read. Dropping it early is fine: the next call finishes the
    /// listing first.
    pub fn list_stream(
        &mut self,
        path: impl AsRef<[u8]>,
        recursive: bool,
    ) -> Result<ListStream<'_>, Error> {
        self.start_list(path, recursive, ListCommand::Auto)?;
        Ok(ListStream::new(&mut self.driver))
    }

    /// The facts of one path (`MLST`, or a `LIST` of its parent). A missing path is a
    /// [`StatusCodeError`](sansftp::StatusCodeError) that received `550`.
    pub fn stat(&mut self, path: impl AsRef<[u8]>) -> Result<Item, Error> {
        match self.driver.run(Operation::Stat(bytes(path)))? {
            Value::Entry(item) => Ok(item),
            other => Err(unexpected(other)),
        }
    }

    /// Whether `path` exists (`false` when [`Client::stat`] fails with `550`).
    pub fn exists(&mut self, path: impl AsRef<[u8]>) -> Result<bool, Error> {
        match self.stat(path) {
            Ok(_) => Ok(true),
            Err(e) if e.received(550) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether `path` is a regular file (`false` when it does not exist).
    pub fn is_file(&mut self, path: impl AsRef<[u8]>) -> Result<bool, Error> {
        self.kind_is(path, Kind::File)
    }

    /// Whether `path` is a directory (`false` when it does not exist).
    pub fn is_dir(&mut self, path: impl AsRef<[u8]>) -> Result<bool, Error> {
        self.kind_is(path, Kind::Dir)
    }

    /// `SIZE path`: the file's size in bytes.
    pub fn size(&mut self, path: impl AsRef<[u8]>) -> Result<u64, Error> {
        match self.driver.run(Operation::Size(bytes(path)))? {
            Value::Size(n) => Ok(n),
            other => Err(unexpected(other)),
        }
    }

    /// `MDTM path`: the file's modification time (UTC).
    pub fn modified(&mut self, path: impl AsRef<[u8]>) -> Result<DateTime, Error> {
        match self.driver.run(Operation::Modified(bytes(path)))? {
            Value::Modified(t) => Ok(t),
            other => Err(unexpected(other)),
        }
    }

    /// `NOOP`.
    pub fn noop(&mut self) -> Result<(), Error> {
        self.driver.run(Operation::Noop).map(drop)
    }

    /// Uploads a local file to the remote file path `remote` (its missing parent
    /// directories made first), or a local directory to the remote directory `remote`
    /// with everything in it, like `cp -r local remote` when `remote` does not exist:
    /// `local/a/b` becomes `remote/a/b`. Returns the bytes sent.
    pub fn upload(
        &mut self,
        local: impl AsRef<Path>,
        remote: impl AsRef<[u8]>,
    ) -> Result<u64, Error> {
        tree::upload(self, local.as_ref(), remote.as_ref())
    }

    /// Downloads the remote file `remote` to the local file `local`, or the remote
    /// directory `remote` with everything in it to the local directory `local` (like
    /// `cp -r`). A file is written to a temporary name beside its target and renamed
    /// when complete, so a failed download leaves no half-written file. Returns the
    /// bytes received.
    pub fn download(
        &mut self,
        remote: impl AsRef<[u8]>,
        local: impl AsRef<Path>,
    ) -> Result<u64, Error> {
        tree::download(self, remote.as_ref(), local.as_ref())
    }

    /// `STOR remote` (after `REST offset` when `offset > 0`, to resume): a stream to
    /// write the file's bytes to; [`DataStream::finish`] it.
    pub fn upload_stream(
        &mut self,
        remote: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<DataStream<'_>, Error> {
        self.transfer(Operation::Upload {
            path: bytes(remote),
            offset,
            ascii: self.driver.ascii,
            append: false,
        })
    }

    /// `APPE remote`: a stream whose bytes are appended to the file.
    pub fn append_stream(&mut self, remote: impl AsRef<[u8]>) -> Result<DataStream<'_>, Error> {
        self.transfer(Operation::Upload {
            path: bytes(remote),
            offset: 0,
            ascii: self.driver.ascii,
            append: true,
        })
    }

    /// `RETR remote` (after `REST offset` when `offset > 0`): a stream to read the
    /// file's bytes from; read it to the end, then [`DataStream::finish`] it.
    pub fn download_stream(
        &mut self,
        remote: impl AsRef<[u8]>,
        offset: u64,
    ) -> Result<DataStream<'_>, Error> {
        self.transfer(Operation::Download {
            path: bytes(remote),
            offset,
            ascii: self.driver.ascii,
        })
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

    /// A raw command, like aioftp's `command()`: sends `text` (nothing when empty),
    /// skips replies whose code matches a mask in `wait` (e.g. `"1xx"`), and checks the
    /// last against `expected` (empty: any code). Masks are three characters, digits
    /// or `x` (`"2xx"`, `"226"`); an invalid one is an [`Error::Io`] of kind
    /// `InvalidInput`. With `expected` and `wait` both empty nothing is read and
    /// `Ok(None)` comes back.
    pub fn command(
        &mut self,
        text: &str,
        expected: &[&str],
        wait: &[&str],
    ) -> Result<Option<Reply>, Error> {
        let masks = |list: &[&str]| -> Result<Vec<Mask>, Error> {
            list.iter()
                .map(|m| {
                    m.parse::<Mask>()
                        .map_err(|e| Error::Io(io::Error::new(io::ErrorKind::InvalidInput, e)))
                })
                .collect()
        };
        let op = Operation::Command {
            text: (!text.is_empty()).then(|| text.to_owned()),
            expected: masks(expected)?,
            wait: masks(wait)?,
        };
        match self.driver.run(op)? {
            Value::Reply(reply) => Ok(Some(reply)),
            _ => Ok(None),
        }
    }

    /// `QUIT`, then closes the connection.
    pub fn quit(mut self) -> Result<(), Error> {
        let res = self.driver.run(Operation::Quit);
        self.driver.close();
        res.map(drop)
    }

    /// `TYPE A` (`true`) or `TYPE I` (`false`, the default) for the following file
    /// transfers; in ASCII, line ends are converted (LF to CRLF on upload, CRLF to LF
    /// on download).
    pub fn set_ascii(&mut self, on: bool) {
        self.driver.ascii = on;
    }

    fn start_list(
        &mut self,
        path: impl AsRef<[u8]>,
        recursive: bool,
        command: ListCommand,
    ) -> Result<(), Error> {
        self.driver.start(Operation::List {
            path: bytes(path),
            recursive,
            command,
        })
    }

    fn kind_is(&mut self, path: impl AsRef<[u8]>, kind: Kind) -> Result<bool, Error> {
        match self.stat(path) {
            Ok(item) => Ok(item.entry.kind == kind),
            Err(e) if e.received(550) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Starts a file transfer and waits until its data is to move.
    fn transfer(&mut self, op: Operation) -> Result<DataStream<'_>, Error> {
        let kind = match op {
            Operation::Upload { .. } => TransferKind::Upload,
            _ => TransferKind::Download,
        };
        self.driver.start(op)?;
        match self.driver.wait_transfer()? {
            Some((socket, t)) => Ok(DataStream::new(
                &mut self.driver,
                Some(socket),
                t.kind,
                t.ascii,
            )),
            // Finished at once: an empty transfer.
            None => Ok(DataStream::new(&mut self.driver, None, kind, false)),
        }
    }
}

fn bytes(path: impl AsRef<[u8]>) -> Vec<u8> {
    path.as_ref().to_vec()
}

/// An operation ended with a value of the wrong kind: a core bug, reported, not a panic.
fn unexpected(value: Value) -> Error {
    Error::UnexpectedReply(format!("the operation ended with {value:?}"))
}
