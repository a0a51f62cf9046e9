//! [`client_methods!`](crate::client_methods): the `Client` methods that only run one
//! [`Request`](super::Request), written once for every adapter.
//!
//! Every adapter's `Client` offers the same operations with the same names, arguments,
//! results and documentation (aioftp's API): `login`, `change_directory`, `list`,
//! `stat`, `size`, `command`, ... Each is "run this request, give its typed result", so
//! the methods are generated here, once, in the adapter's dialect: `async fn` and
//! `.await` for an async adapter, plain `fn` for a blocking one. What differs between
//! adapters (connecting, data streams, copying files, `quit`) stays in each adapter.
//!
//! # The adapter's side
//!
//! Invoke the macro inside an `impl Client { ... }` block, in a module where `Client`
//! is the adapter's client type. The block must also provide:
//!
//! - `request<T>(&mut self, request: Request<T>) -> Result<T, Error>`: finish whatever
//!   operation is pending, start `request`'s operation, drive the core until its
//!   [`Output::Done`](super::Output::Done) and return
//!   [`Request::finish`](super::Request::finish) of it (an `async fn` in the async
//!   dialect);
//! - `take_entries(&mut self) -> Vec<Item>`: the listing entries the core emitted
//!   ([`Output::Entry`](super::Output::Entry)) during the last request, in order;
//! - `ascii(&self) -> bool`: whether transfers are in `TYPE A` (the adapter's
//!   `set_ascii`);
//! - `open_stream(&mut self, request: Request<()>) -> Result<DataStream<'_>, Error>`:
//!   start an upload or download request and drive it until its data is to move;
//! - `run_plan(&mut self, plan: Plan) -> Result<Copied, Error>`: carry out a
//!   [`tree::Plan`](super::tree::Plan).
//!
//! `DataStream` must name the adapter's stream type where the macro is invoked.
//!
//! ```
//! use sansftp::Error;
//! use sansftp::client::tree::{Copied, Plan};
//! use sansftp::client::{Item, Operation, Request};
//!
//! /// A client that only records the operations it is asked to start.
//! struct Client {
//!     started: Vec<Operation>,
//! }
//!
//! impl Client {
//!     sansftp::client_methods!(blocking);
//!
//!     fn request<T>(&mut self, request: Request<T>) -> Result<T, Error> {
//!         self.started.push(request.into_operation());
//!         Err(Error::ConnectionClosed)
//!     }
//!
//!     fn take_entries(&mut self) -> Vec<Item> {
//!         Vec::new()
//!     }
//!
//!     fn ascii(&self) -> bool {
//!         false
//!     }
//!
//!     fn open_stream(&mut self, request: Request<()>) -> Result<DataStream<'_>, Error> {
//!         self.started.push(request.into_operation());
//!         Ok(DataStream(self))
//!     }
//!
//!     fn run_plan(&mut self, _plan: Plan) -> Result<Copied, Error> {
//!         Err(Error::ConnectionClosed)
//!     }
//! }
//!
//! /// The adapter's data stream.
//! struct DataStream<'a>(&'a mut Client);
//!
//! let mut client = Client { started: Vec::new() };
//! assert!(client.size("/pub/f.txt").is_err());
//! assert_eq!(client.started, [Operation::Size(b"/pub/f.txt".to_vec())]);
//! ```

/// Generates the adapter `Client` methods that run one request: `login`,
/// `login_with_account`, `login_anonymous`, `get_current_directory`,
/// `change_directory`, `make_directory`, `remove_file`, `remove_directory`, `remove`,
/// `rename`, `list`, `list_with`, `list_names`, `stat`, `exists`, `is_file`, `is_dir`, `size`,
/// `modified`, `noop`, `command`; the stream openers `upload_stream`, `append_stream`,
/// `download_stream`; and the copies `upload` and `download`.
///
/// `client_methods!(async)` makes them `async fn`s, `client_methods!(blocking)` plain
/// ones. See [the module docs](crate::client::facade) for what the surrounding `impl`
/// must provide.
#[macro_export]
macro_rules! client_methods {
    (async) => {
        $crate::__client_methods! { [async] [.await] }
    };
    (blocking) => {
        $crate::__client_methods! { [] [] }
    };
}

/// The body of [`client_methods!`](crate::client_methods), in the dialect given by its
/// two token lists: what comes before `fn`, and what follows a call to `request`.
#[doc(hidden)]
#[macro_export]
macro_rules! __client_methods {
    ([$($asyncness:tt)*] [$($wait:tt)*]) => {
        /// `STOR remote` (after `REST offset` when `offset > 0`, to resume): a
        /// [`DataStream`] to write the file's bytes to; [`DataStream::finish`] it.
        pub $($asyncness)* fn upload_stream(
            &mut self,
            remote: impl AsRef<[u8]>,
            offset: u64,
        ) -> ::core::result::Result<DataStream<'_>, $crate::Error> {
            let request = $crate::client::Request::upload(remote, offset, self.ascii(), false);
            self.open_stream(request) $($wait)*
        }

        /// `APPE remote`: a [`DataStream`] whose bytes are appended to the file.
        pub $($asyncness)* fn append_stream(
            &mut self,
            remote: impl AsRef<[u8]>,
        ) -> ::core::result::Result<DataStream<'_>, $crate::Error> {
            let request = $crate::client::Request::upload(remote, 0, self.ascii(), true);
            self.open_stream(request) $($wait)*
        }

        /// `RETR remote` (after `REST offset` when `offset > 0`): a [`DataStream`] to
        /// read the file's bytes from; read it to its end, then [`DataStream::finish`]
        /// it.
        pub $($asyncness)* fn download_stream(
            &mut self,
            remote: impl AsRef<[u8]>,
            offset: u64,
        ) -> ::core::result::Result<DataStream<'_>, $crate::Error> {
            let request = $crate::client::Request::download(remote, offset, self.ascii());
            self.open_stream(request) $($wait)*
        }

        /// Uploads a local file, or a local directory with everything in it, like
        /// `cp -r local remote`: into `remote/<name>` when `remote` is an existing
        /// directory (or ends with `/`), else as `remote` (missing parents made). Links
        /// to directories below `local` are not followed. The rules are
        /// [`sansftp::client::tree`]'s; [`run_plan`](Client::run_plan) also gives the
        /// warnings. Returns the bytes sent.
        pub $($asyncness)* fn upload(
            &mut self,
            local: impl AsRef<::std::path::Path>,
            remote: impl AsRef<[u8]>,
        ) -> ::core::result::Result<u64, $crate::Error> {
            let plan = $crate::client::tree::Plan::upload(local.as_ref(), remote.as_ref());
            self.run_plan(plan) $($wait)* .map(|copied| copied.bytes)
        }

        /// Downloads a remote file, or a remote directory with everything in it, like
        /// `cp -r remote local`: into `local/<name>` when `local` is an existing
        /// directory (or ends with `/`), else as `local`. Each file is written to a
        /// temporary name beside its target and renamed when complete, so a failed
        /// download leaves no half-written file; names in a listing that would leave
        /// the target are skipped ([`run_plan`](Client::run_plan) gives the warnings).
        /// Returns the bytes received.
        pub $($asyncness)* fn download(
            &mut self,
            remote: impl AsRef<[u8]>,
            local: impl AsRef<::std::path::Path>,
        ) -> ::core::result::Result<u64, $crate::Error> {
            let plan = $crate::client::tree::Plan::download(remote.as_ref(), local.as_ref());
            self.run_plan(plan) $($wait)* .map(|copied| copied.bytes)
        }

        /// Logs in: `USER`, `PASS` when asked (an empty `ACCT` if one is asked for),
        /// then `FEAT` (and `OPTS UTF8 ON` when advertised). A wrong password is a
        /// [`StatusCodeError`](sansftp::StatusCodeError) that received `530`.
        pub $($asyncness)* fn login(
            &mut self,
            user: &str,
            password: &str,
        ) -> ::core::result::Result<(), $crate::Error> {
            self.login_with_account(user, password, "") $($wait)*
        }

        /// [`login`](Client::login), sending `account` with `ACCT` if the server asks
        /// for one (`332`).
        pub $($asyncness)* fn login_with_account(
            &mut self,
            user: &str,
            password: &str,
            account: &str,
        ) -> ::core::result::Result<(), $crate::Error> {
            self.request($crate::client::Request::login(user, password, account)) $($wait)*
        }

        /// Logs in as `anonymous` with the password `anon@`.
        pub $($asyncness)* fn login_anonymous(
            &mut self,
        ) -> ::core::result::Result<(), $crate::Error> {
            self.login("anonymous", "anon@") $($wait)*
        }

        /// `PWD`: the current directory on the server, decoded lossily as UTF-8.
        pub $($asyncness)* fn get_current_directory(
            &mut self,
        ) -> ::core::result::Result<String, $crate::Error> {
            self.request($crate::client::Request::current_directory()) $($wait)*
        }

        /// `CWD path` (`CDUP` for `..`). Relative paths are relative to the current
        /// directory on the server.
        pub $($asyncness)* fn change_directory(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> ::core::result::Result<(), $crate::Error> {
            self.request($crate::client::Request::change_directory(path)) $($wait)*
        }

        /// `MKD path`; with `parents`, every missing ancestor first, and an existing
        /// directory is no error (like `mkdir -p`).
        pub $($asyncness)* fn make_directory(
            &mut self,
            path: impl AsRef<[u8]>,
            parents: bool,
        ) -> ::core::result::Result<(), $crate::Error> {
            self.request($crate::client::Request::make_directory(path, parents)) $($wait)*
        }

        /// `DELE path`: removes a file.
        pub $($asyncness)* fn remove_file(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> ::core::result::Result<(), $crate::Error> {
            self.request($crate::client::Request::remove_file(path)) $($wait)*
        }

        /// `RMD path`: removes a directory, which must be empty.
        pub $($asyncness)* fn remove_directory(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> ::core::result::Result<(), $crate::Error> {
            self.request($crate::client::Request::remove_directory(path)) $($wait)*
        }

        /// Removes a file, or a directory with everything in it.
        pub $($asyncness)* fn remove(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> ::core::result::Result<(), $crate::Error> {
            self.request($crate::client::Request::remove(path)) $($wait)*
        }

        /// `RNFR from`, `RNTO to`.
        pub $($asyncness)* fn rename(
            &mut self,
            from: impl AsRef<[u8]>,
            to: impl AsRef<[u8]>,
        ) -> ::core::result::Result<(), $crate::Error> {
            self.request($crate::client::Request::rename(from, to)) $($wait)*
        }

        /// The entries of the directory `path` (empty: the current one), `.` and `..`
        /// left out; with `recursive`, those of every subdirectory too (breadth first,
        /// links not followed). `MLSD`, or `LIST` when the server has no `MLSD`. Each
        /// [`Item::path`](sansftp::client::Item::path) is `path` joined with the
        /// entry's name.
        pub $($asyncness)* fn list(
            &mut self,
            path: impl AsRef<[u8]>,
            recursive: bool,
        ) -> ::core::result::Result<Vec<$crate::client::Item>, $crate::Error> {
            self.list_with(path, recursive, $crate::client::ListCommand::Auto) $($wait)*
        }

        /// [`list`](Client::list) with the listing command chosen.
        pub $($asyncness)* fn list_with(
            &mut self,
            path: impl AsRef<[u8]>,
            recursive: bool,
            command: $crate::client::ListCommand,
        ) -> ::core::result::Result<Vec<$crate::client::Item>, $crate::Error> {
            let request = $crate::client::Request::list(path, recursive, command);
            self.request(request) $($wait)* ?;
            Ok(self.take_entries())
        }

        /// One directory's entries as the server named them, for a tree copy
        /// ([`Plan::remote_entries`](sansftp::client::tree::Plan::remote_entries)):
        /// unlike [`list`](Client::list), names that are not one safe path component
        /// (`..`, holding `/` or NUL, empty) are kept so the caller can skip them with
        /// a warning, and no path is joined. Never join these names to a local path
        /// unchecked.
        pub $($asyncness)* fn list_names(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> ::core::result::Result<Vec<$crate::listing::Entry>, $crate::Error> {
            self.request($crate::client::Request::names(path)) $($wait)*
        }

        /// The facts of one path: `MLST`, or the parent's listing when the server has
        /// none. A missing path is a [`StatusCodeError`](sansftp::StatusCodeError) that
        /// received `550`.
        pub $($asyncness)* fn stat(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> ::core::result::Result<$crate::client::Item, $crate::Error> {
            self.request($crate::client::Request::stat(path)) $($wait)*
        }

        /// Whether `path` exists (a `550` from [`stat`](Client::stat) is `false`).
        pub $($asyncness)* fn exists(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> ::core::result::Result<bool, $crate::Error> {
            self.request($crate::client::Request::exists(path)) $($wait)*
        }

        /// Whether `path` is a regular file (`false` when it does not exist).
        pub $($asyncness)* fn is_file(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> ::core::result::Result<bool, $crate::Error> {
            self.request($crate::client::Request::is_file(path)) $($wait)*
        }

        /// Whether `path` is a directory (`dir`, `cdir` or `pdir`; `false` when it
        /// does not exist).
        pub $($asyncness)* fn is_dir(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> ::core::result::Result<bool, $crate::Error> {
            self.request($crate::client::Request::is_dir(path)) $($wait)*
        }

        /// `SIZE path` (RFC 3659): the file's size in bytes.
        pub $($asyncness)* fn size(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> ::core::result::Result<u64, $crate::Error> {
            self.request($crate::client::Request::size(path)) $($wait)*
        }

        /// `MDTM path` (RFC 3659): the file's modification time, UTC.
        pub $($asyncness)* fn modified(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> ::core::result::Result<$crate::time::DateTime, $crate::Error> {
            self.request($crate::client::Request::modified(path)) $($wait)*
        }

        /// `NOOP`: keeps an idle connection alive.
        pub $($asyncness)* fn noop(&mut self) -> ::core::result::Result<(), $crate::Error> {
            self.request($crate::client::Request::noop()) $($wait)*
        }

        /// A raw command, like aioftp's `command()`: sends `text` (nothing when
        /// empty), skips replies whose code matches a mask in `wait` (e.g.
        /// [`Mask::PRELIMINARY`](sansftp::Mask::PRELIMINARY)), and checks the last
        /// against `expected` (empty: any code). With `expected` and `wait` both empty
        /// nothing is read and the result is `None`.
        pub $($asyncness)* fn command(
            &mut self,
            text: &str,
            expected: &[$crate::code::Mask],
            wait: &[$crate::code::Mask],
        ) -> ::core::result::Result<Option<$crate::Reply>, $crate::Error> {
            self.request($crate::client::Request::command(text, expected, wait)) $($wait)*
        }
    };
}

/// Generates the adapter `Client` methods that sit between the application and the
/// core's [`Driver`](super::Driver), the same in every adapter: `connect`,
/// `connect_with`, `connect_tls`, `greeting`, `speed_limits`, `features`, `set_ascii`,
/// `list_stream`, `abort`, `quit`, and the private `ascii`, `take_entries`,
/// `open_stream`, `request`, `start`, `run_started` and `finish_pending` that
/// [`client_methods!`](crate::client_methods) and the adapter's streams use.
///
/// `client_driver_methods!(async, Resolve)` makes them `async fn`s,
/// `(blocking, Resolve)` plain ones; `Resolve` is the trait of the addresses the
/// adapter connects to (`impl Resolve`: std's, tokio's or async-net's
/// `ToSocketAddrs`). The surrounding `impl Client` must provide:
///
/// - a field `driver: sansftp::client::Driver`;
/// - `open(addr: impl Resolve, options: ClientOptions, tls: Option<(Arc<ClientConfig>,
///   ServerName<'static>)>) -> Result<Client, Error>`: connect the control connection
///   (each resolved address in turn), make the `Driver` and read the greeting; the
///   options are checked and `tls` is the configuration and server name of
///   `ClientTls` (`sansftp_tls`, named `ClientTls` where the macro is invoked);
/// - `drive(&mut self, until: Until) -> Action`: do what
///   [`Driver::next`](super::Driver::next) says until it stops, and return the stop
///   (the adapter's loop: its sockets, TLS and timers);
/// - `DataStream::new(&mut Client, DataFlow) -> DataStream` (taking the data
///   connection the driver handed out, if any) and `ListStream::new(&mut Client)`.
#[macro_export]
macro_rules! client_driver_methods {
    (async, $($resolve:tt)+) => {
        $crate::__client_driver_methods! { [async] [.await] [$($resolve)+] }
    };
    (blocking, $($resolve:tt)+) => {
        $crate::__client_driver_methods! { [] [] [$($resolve)+] }
    };
}

/// The body of [`client_driver_methods!`](crate::client_driver_methods), in the dialect
/// given by its two token lists.
#[doc(hidden)]
#[macro_export]
macro_rules! __client_driver_methods {
    ([$($asyncness:tt)*] [$($wait:tt)*] [$($resolve:tt)+]) => {
        /// Connects to an FTP server and reads its greeting, with the default
        /// [`ClientOptions`]. `addr` is anything the adapter resolves: a
        /// [`SocketAddr`](std::net::SocketAddr), `"host:port"`, `("host", port)`; each
        /// resolved address is tried in turn. Then [`login`](Client::login).
        pub $($asyncness)* fn connect(
            addr: impl $($resolve)+,
        ) -> ::core::result::Result<Client, $crate::Error> {
            Client::connect_with(addr, $crate::client::ClientOptions::default()) $($wait)*
        }

        /// [`connect`](Client::connect) with `options`. Plaintext FTP: options whose
        /// `config.tls` asks for FTPS fail (use [`connect_tls`](Client::connect_tls)).
        pub $($asyncness)* fn connect_with(
            addr: impl $($resolve)+,
            options: $crate::client::ClientOptions,
        ) -> ::core::result::Result<Client, $crate::Error> {
            Client::open(addr, options.plaintext()?, None) $($wait)*
        }

        /// Connects with FTPS: TLS on the control connection and (unless the core's
        /// [`Config::protect_data`](sansftp::client::Config::protect_data) is off) on
        /// every data connection, all with `tls`'s one configuration and the
        /// certificate checked against `server_name` (the host the caller named, not
        /// a resolved address), so data connections resume the control connection's
        /// session. Explicit (`AUTH TLS`) unless `options.config.tls` says
        /// [`TlsMode::Implicit`](sansftp::client::TlsMode::Implicit). A TLS failure is
        /// an [`Error::Io`](sansftp::Error::Io) saying what failed, e.g. "TLS
        /// handshake with ftp.example.com failed: the server's certificate is not
        /// trusted (UnknownIssuer)".
        pub $($asyncness)* fn connect_tls(
            addr: impl $($resolve)+,
            tls: ClientTls,
            server_name: &str,
            options: $crate::client::ClientOptions,
        ) -> ::core::result::Result<Client, $crate::Error> {
            let invalid = |e: &dyn ::std::fmt::Display| {
                ::std::io::Error::new(::std::io::ErrorKind::InvalidInput, e.to_string())
            };
            let name = tls.server_name(server_name).map_err(|e| invalid(&e))?;
            Client::open(addr, options.secure(), Some((tls.config(), name))) $($wait)*
        }

        /// The server's greeting (`220`).
        pub fn greeting(&self) -> &$crate::Reply {
            self.driver.greeting()
        }

        /// A handle on the speed limits, to change them while the client runs (also
        /// for a transfer under way).
        pub fn speed_limits(&self) -> $crate::client::SpeedLimits {
            self.driver.speed_limits().clone()
        }

        /// What the server announced with `FEAT`: asked after login unless the core's
        /// [`Config::discover_features`](sansftp::client::Config::discover_features) is
        /// off; `None` before.
        pub fn features(&self) -> Option<&$crate::client::Features> {
            self.driver.features()
        }

        /// `TYPE A` (on) or `TYPE I` (off, the default) for the following transfers; in
        /// ASCII, line ends are converted (CRLF on the wire, LF locally).
        pub fn set_ascii(&mut self, on: bool) {
            self.driver.set_ascii(on);
        }

        /// [`list`](Client::list) entry by entry, as each directory's listing arrives:
        /// a [`ListStream`]. The client is busy while it lives; one dropped early is
        /// finished (its transfers aborted) by the next call.
        pub $($asyncness)* fn list_stream(
            &mut self,
            path: impl AsRef<[u8]>,
            recursive: bool,
        ) -> ::core::result::Result<ListStream<'_>, $crate::Error> {
            let auto = $crate::client::ListCommand::Auto;
            let request = $crate::client::Request::list(path, recursive, auto);
            self.start(request.into_operation()) $($wait)* ?;
            Ok(ListStream::new(self))
        }

        /// Finishes whatever transfer is still pending (a [`DataStream`] or
        /// [`ListStream`] dropped before its end, a call cancelled), aborting it, so
        /// the control channel is in step; its result is dropped. Every other method
        /// does this first on its own: call it to have it done now. Fails only when
        /// the control connection is closed.
        pub $($asyncness)* fn abort(&mut self) -> ::core::result::Result<(), $crate::Error> {
            self.finish_pending() $($wait)*;
            if self.driver.session().is_closed() {
                return Err($crate::Error::ConnectionClosed);
            }
            Ok(())
        }

        /// `QUIT`, then closes the connection.
        pub $($asyncness)* fn quit(mut self) -> ::core::result::Result<(), $crate::Error> {
            self.request($crate::client::Request::quit()) $($wait)*
        }

        /// Whether transfers are in `TYPE A` (for [`sansftp::client_methods!`]).
        fn ascii(&self) -> bool {
            self.driver.ascii()
        }

        /// The listing entries the last request emitted (for
        /// [`sansftp::client_methods!`]).
        fn take_entries(&mut self) -> Vec<$crate::client::Item> {
            self.driver.take_entries()
        }

        /// Starts a file transfer and drives it until its data is to move (for
        /// [`sansftp::client_methods!`]). A server that finishes at once (a `2xx`
        /// instead of a `1xx`) gives an empty stream.
        $($asyncness)* fn open_stream(
            &mut self,
            request: $crate::client::Request<()>,
        ) -> ::core::result::Result<DataStream<'_>, $crate::Error> {
            use $crate::client::{Action, DataFlow, TransferKind, Until};
            let kind = request.operation().transfer_kind();
            self.start(request.into_operation()) $($wait)* ?;
            let flow = match self.drive(Until::Transfer) $($wait)* {
                Action::Transfer(t) => DataFlow::new(t, self.driver.speed_limits().clone()),
                Action::Done(Ok(_)) => DataFlow::empty(kind.unwrap_or(TransferKind::Download)),
                Action::Done(Err(e)) => return Err(e),
                other => return Err($crate::Error::UnexpectedReply(format!("{other:?}"))),
            };
            Ok(DataStream::new(self, flow))
        }

        /// Runs `request`, which moves no file data, to its end (for
        /// [`sansftp::client_methods!`]).
        $($asyncness)* fn request<T>(
            &mut self,
            request: $crate::client::Request<T>,
        ) -> ::core::result::Result<T, $crate::Error> {
            let finish = request.finisher();
            let res = match self.start(request.into_operation()) $($wait)* {
                Ok(()) => self.run_started() $($wait)*,
                Err(e) => Err(e),
            };
            finish(res)
        }

        /// Starts `op`, once any earlier operation is finished.
        $($asyncness)* fn start(
            &mut self,
            op: $crate::client::Operation,
        ) -> ::core::result::Result<(), $crate::Error> {
            self.finish_pending() $($wait)*;
            let (now, wall) = (::std::time::Instant::now(), ::std::time::SystemTime::now());
            Ok(self.driver.start(op, now, wall)?)
        }

        /// Drives the started operation to its end.
        $($asyncness)* fn run_started(
            &mut self,
        ) -> ::core::result::Result<$crate::client::Value, $crate::Error> {
            match self.drive($crate::client::Until::Done) $($wait)* {
                $crate::client::Action::Done(res) => res,
                other => Err($crate::Error::UnexpectedReply(format!("{other:?}"))),
            }
        }

        /// Drives whatever operation is still pending (a stream or a call dropped
        /// before its end) to its end, its result dropped: the core aborts its
        /// transfers. Afterwards the control channel is in step.
        $($asyncness)* fn finish_pending(&mut self) {
            if self.driver.is_pending() {
                self.driver.abandon(::std::time::Instant::now());
                let _ = self.drive($crate::client::Until::Done) $($wait)*;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::Error;
    use crate::client::tree::{Copied, Plan, Step};
    use crate::client::{Item, ListCommand, Operation, Request};
    use crate::code::Mask;
    use crate::listing::Entry;
    use std::path::PathBuf;

    /// Records what each generated method starts; answers every request with an
    /// error, or (for a listing) success and two entries.
    struct Client {
        started: Vec<Operation>,
        entries: Vec<Item>,
        ascii: bool,
        plans: Vec<Option<Step>>,
    }

    impl Client {
        crate::client_methods!(blocking);

        fn request<T>(&mut self, request: Request<T>) -> Result<T, Error> {
            let op = request.operation().clone();
            let listing = matches!(op, Operation::List { .. });
            self.started.push(op);
            if listing {
                self.entries = ["a", "b"]
                    .map(|n| Item {
                        path: format!("/d/{n}").into_bytes(),
                        entry: Entry::file(n, 1),
                    })
                    .to_vec();
                return request.finish(Ok(crate::client::Value::None));
            }
            Err(Error::ConnectionClosed)
        }

        fn take_entries(&mut self) -> Vec<Item> {
            std::mem::take(&mut self.entries)
        }

        fn ascii(&self) -> bool {
            self.ascii
        }

        fn open_stream(&mut self, request: Request<()>) -> Result<DataStream<'_>, Error> {
            self.started.push(request.into_operation());
            Ok(DataStream(self))
        }

        /// Records the plan's first step; every plan "moved" 7 bytes.
        fn run_plan(&mut self, mut plan: Plan) -> Result<Copied, Error> {
            self.plans.push(plan.next_step());
            Ok(Copied {
                bytes: 7,
                ..Copied::default()
            })
        }
    }

    struct DataStream<'a>(#[allow(dead_code)] &'a mut Client);

    fn client() -> Client {
        Client {
            started: Vec::new(),
            entries: Vec::new(),
            ascii: false,
            plans: Vec::new(),
        }
    }

    #[test]
    fn each_method_starts_its_own_request() {
        let mut c = client();
        assert!(c.login("u", "p").is_err());
        assert!(c.login_with_account("u", "p", "acct").is_err());
        assert!(c.login_anonymous().is_err());
        assert!(c.get_current_directory().is_err());
        assert!(c.change_directory("/x").is_err());
        assert!(c.make_directory("/a/b", true).is_err());
        assert!(c.remove_file("/f").is_err());
        assert!(c.remove_directory("/d").is_err());
        assert!(c.remove("/t").is_err());
        assert!(c.rename("/a", "/b").is_err());
        assert!(c.list_names("/n").is_err());
        assert!(c.stat("/s").is_err());
        assert!(c.exists("/e").is_err());
        assert!(c.is_file("/f").is_err());
        assert!(c.is_dir("/d").is_err());
        assert!(c.size("/z").is_err());
        assert!(c.modified("/m").is_err());
        assert!(c.noop().is_err());
        assert!(c.command("SITE X", &[Mask::COMPLETION], &[]).is_err());
        let expected = [
            Request::login("u", "p", "").into_operation(),
            Request::login("u", "p", "acct").into_operation(),
            Request::login("anonymous", "anon@", "").into_operation(),
            Request::current_directory().into_operation(),
            Request::change_directory("/x").into_operation(),
            Request::make_directory("/a/b", true).into_operation(),
            Request::remove_file("/f").into_operation(),
            Request::remove_directory("/d").into_operation(),
            Request::remove("/t").into_operation(),
            Request::rename("/a", "/b").into_operation(),
            Request::names("/n").into_operation(),
            Request::stat("/s").into_operation(),
            Request::exists("/e").into_operation(),
            Request::is_file("/f").into_operation(),
            Request::is_dir("/d").into_operation(),
            Request::size("/z").into_operation(),
            Request::modified("/m").into_operation(),
            Request::noop().into_operation(),
            Request::command("SITE X", &[Mask::COMPLETION], &[]).into_operation(),
        ];
        assert_eq!(c.started, expected);
    }

    #[test]
    fn stream_openers_start_their_transfer_in_the_clients_type() {
        let mut c = client();
        assert!(c.upload_stream("/u", 5).is_ok());
        c.ascii = true;
        assert!(c.append_stream("/a").is_ok());
        assert!(c.download_stream("/d", 9).is_ok());
        let expected = [
            Request::upload("/u", 5, false, false).into_operation(),
            Request::upload("/a", 0, true, true).into_operation(),
            Request::download("/d", 9, true).into_operation(),
        ];
        assert_eq!(c.started, expected);
    }

    #[test]
    fn copies_run_a_plan_in_their_direction_and_give_its_bytes() {
        let mut c = client();
        assert_eq!(c.upload("/local/src", "/remote/dst").unwrap(), 7);
        assert_eq!(c.download("/remote/src", "/local/dst").unwrap(), 7);
        assert_eq!(
            c.plans,
            [
                Some(Step::StatLocal(PathBuf::from("/local/src"))),
                Some(Step::StatRemote(b"/remote/src".to_vec())),
            ]
        );
        assert!(c.started.is_empty(), "a plan starts nothing by itself");
    }

    #[test]
    fn list_returns_the_entries_of_its_request() {
        let mut c = client();
        let items = c.list("/d", true).unwrap();
        let paths: Vec<_> = items.iter().map(|i| i.path_str().into_owned()).collect();
        assert_eq!(paths, ["/d/a", "/d/b"]);
        assert_eq!(
            c.started,
            [Request::list("/d", true, ListCommand::Auto).into_operation()]
        );
        assert!(c.entries.is_empty());
    }
}
