//! A blocking FTP server on `std::net`: the [`sansftp`] protocol core driven by plain
//! threads, serving a [`Storage`](sansftp_storage::Storage) backend.
//!
//! ```
//! use std::io::{BufRead, BufReader};
//! use std::net::TcpStream;
//! use sansftp::server::{Config, User};
//! use sansftp_blocking::Server;
//! use sansftp_storage::MemoryFs;
//!
//! # fn main() -> Result<(), sansftp::Error> {
//! let storage = MemoryFs::new().with_file("/hello.txt", "hello");
//! let config = Config::new().user(User::new("alice", "secret"));
//! let server = Server::builder(storage).config(config).bind("127.0.0.1:0")?;
//! let running = server.spawn();
//!
//! let control = TcpStream::connect(running.local_addr())?;
//! let mut greeting = String::new();
//! BufReader::new(control).read_line(&mut greeting)?;
//! assert!(greeting.starts_with("220"));
//!
//! running.shutdown()?;
//! # Ok(())
//! # }
//! ```
//!
//! # How it runs
//!
//! One thread accepts control connections. Each session gets a thread that owns its
//! [`Session`](sansftp::server::Session) and waits on a single channel, into which
//! everything that can happen to the session is sent: bytes a small reader thread read
//! from the control socket, and the progress of transfers, each run on its own thread so
//! that `ABOR`, `STAT`, `NOOP` and `QUIT` are answered while data moves. The session's
//! deadline ([`Session::poll_timeout`](sansftp::server::Session::poll_timeout)) is the
//! channel's receive timeout. See [`Server`] for the rest.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod server;
mod session;
mod transfer;
mod users;

pub use server::{Builder, RunningServer, Server, ShutdownHandle};
pub use users::UserManager;
