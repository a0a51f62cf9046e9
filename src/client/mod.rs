//! The FTP client core: [`Session`], a sans-IO state machine that runs whole operations
//! ([`Operation`]) over one control connection and tells its adapter what to do with
//! sockets ([`Output`]).
//!
//! # The contract
//!
//! The session never touches a socket, a file or a clock; it makes every protocol
//! decision, so that adapters only move bytes. After **every** input below, the adapter
//! drains [`Session::poll_output`] until it gives `None` and acts on each [`Output`].
//! The adapter:
//!
//! - connects the control socket, makes a [`Session`] with both addresses (and
//!   [`ClientOptions::session_config`], which settles the reply-timeout default), writes
//!   every [`Output::Send`] and feeds what it reads to [`Session::handle_control`] (end
//!   of file or an error to [`Session::control_closed`]);
//! - waits for the greeting's [`Output::Done`], then [`Session::start`]s one operation
//!   at a time, with the monotonic and the wall clock, and drives it to its
//!   [`Output::Done`]. A [`Request`] pairs an operation with its typed result: an
//!   adapter's method is "start `request.into_operation()`, drive it,
//!   `request.finish(result)`", so what a result means is decided here once;
//! - opens data connections when told: [`Output::Connect`] (passive, answered with
//!   [`Session::data_connected`]) or [`Output::Listen`] (active, answered with
//!   [`Session::data_listening`]; it accepts only connections [`Session::accepts`]);
//!   on [`Output::Transfer`] it moves the data. File bytes never pass through the core;
//!   a listing's bytes go to [`Session::handle_data`] while [`Session::is_moving`], its
//!   end to [`Session::data_done`]. How a file transfer ended (finished, dropped,
//!   aborted, failed, unwanted) goes to [`Session::end_transfer`], which decides what
//!   that means (see its table) and whether the connection closes gracefully;
//!   [`Session::data_failed`] reports a data connection that could not be opened or a
//!   listing's that broke; [`Output::CloseData`] closes the data connection at once;
//! - calls [`Session::handle_timeout`] at [`Session::poll_timeout`] (the reply timeout);
//!   connect timeouts and stalled data connections are its own to watch;
//! - runs each file transfer's stream through a [`DataFlow`], which says what each read
//!   and write does (the speed limit, `TYPE A` conversion, end of file) and which
//!   [`TransferEnd`] to report; it paces other bytes with the client's [`SpeedLimits`]
//!   ([`SpeedLimits::grant`] before a block, [`SpeedLimits::consume`] after);
//! - calls [`Session::abandon`] before driving out an operation nobody waits for (a
//!   dropped stream's): the core ends its file transfer itself;
//! - closes everything on [`Output::Close`].
//!
//! [`Driver`] does all of the above but the socket work: it keeps the loop's state
//! (commands not yet written, the data connection to open, the listing to read, the
//! accept and its deadline, the transfer to hand out) and answers "what now" with one
//! [`Action`], and [`Driver::run`] is the loop around it over the adapter's
//! [`ClientIo`]; the three adapters' clients implement `ClientIo`, with their methods
//! written once by [`client_methods!`](crate::client_methods) and
//! [`client_driver_methods!`](crate::client_driver_methods), and their data streams'
//! read and write loops once by [`DataFlow::poll_read`]/[`DataFlow::poll_write`] over
//! a [`DataIo`].
//!
//! A transfer whose data side fails, or that the application drops or
//! [aborts](Session::abort), is answered with `ABOR` and a `NOOP`: every reply up to the
//! `NOOP`'s `200` belongs to the old transfer, so the control channel is in step for the
//! next operation, whichever of `426`+`226`, a bare `226`, or `226`+`225` the server
//! sends.
//!
//! # Modules
//!
//! `machine` is the combinator kit every operation is built from (one exchange, `then`,
//! `seq`, `defer`); `build` turns each [`Operation`] into such a machine; `api` holds the
//! public types; `list` and `transfer` are the two operations with data connections;
//! `flow` is the adapter's data stream ([`DataFlow`]) and `pump` its loops over the
//! adapter's [`DataIo`]; `driver` is the adapters' loop's state ([`Driver`]) and `run`
//! the loop ([`Driver::run`] over [`ClientIo`]); `facade` the
//! adapters' `Client` methods, as macros.
//!
//! # Example
//!
//! A session driven by hand, the server's side played by the test:
//!
//! ```
//! use std::time::Instant;
//! use sansftp::client::{Config, Operation, Output, Session, Value};
//! use sansftp::time::DateTime;
//!
//! let now = Instant::now();
//! let mut s = Session::new(Config::default(), "192.0.2.1:21".parse().unwrap(),
//!                          "192.0.2.9:50000".parse().unwrap(), now);
//! s.handle_control(b"220 ready\r\n", now);
//! assert!(matches!(s.poll_output(), Some(Output::Done(Ok(Value::Greeting(_))))));
//!
//! s.start(Operation::CurrentDirectory, now, DateTime::UNIX_EPOCH).unwrap();
//! let Some(Output::Send(line)) = s.poll_output() else { panic!() };
//! assert_eq!(&line[..], b"PWD\r\n");
//! s.handle_control(b"257 \"/pub\" is the current directory\r\n", now);
//! let Some(Output::Done(Ok(Value::Path(p)))) = s.poll_output() else { panic!() };
//! assert_eq!(p, b"/pub");
//! ```

mod api;
mod build;
mod config;
mod driver;
pub mod facade;
mod flow;
mod limits;
mod list;
mod login;
mod machine;
mod options;
mod pump;
pub mod remote;
mod request;
mod run;
mod session;
/// Test harness (a client session wired to a server session in memory, virtual time).
/// Behind the `testing` feature; not covered by semver.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod tls;
mod transfer;
pub mod tree;

pub use api::{
    Busy, Features, Item, ListCommand, Operation, Output, Transfer, TransferEnd, TransferKind,
    Value,
};
pub use config::{Config, DataMode, PassiveCommand, TlsMode};
pub use driver::{Action, DataWait, Driver, Until, Wait};
pub use flow::{ASCII_BLOCK, Closing, DataFlow, ReadNext, WriteNext};
pub use limits::SpeedLimits;
pub use options::ClientOptions;
pub use pump::DataIo;
pub use request::Request;
pub use run::ClientIo;
pub use session::Session;
