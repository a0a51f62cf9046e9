//! Test support: the server under test on a chosen runtime, for the tests outside the
//! shared conformance suite (`server_conformance.rs`, `client_conformance.rs`). The
//! raw FTP client is the shared one from `sansftp-conformance`.
#![allow(dead_code, unused_imports)]

pub mod client;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use sansftp::server::Config;
use sansftp_async::{Server, ShutdownHandle};
use sansftp_storage::MemoryFs;

/// How long a whole server may take to stop before the test fails.
const JOIN_TIMEOUT: Duration = Duration::from_secs(20);

/// The runtime a test runs the server on.
#[derive(Debug, Clone, Copy)]
pub enum Rt {
    Smol,
    AsyncStd,
}

pub type Join = Pin<Box<dyn Future<Output = Result<(), sansftp::Error>> + Send>>;

impl Rt {
    pub fn block_on<T>(self, f: impl Future<Output = T>) -> T {
        match self {
            Rt::Smol => smol::block_on(f),
            Rt::AsyncStd => async_std::task::block_on(f),
        }
    }

    /// Waits for a server's `run` to return, failing the test if it takes too long.
    pub fn join(self, join: Join) -> Result<(), sansftp::Error> {
        self.block_on(async {
            futures_lite::future::or(join, async {
                async_io::Timer::after(JOIN_TIMEOUT).await;
                panic!("server did not stop within {JOIN_TIMEOUT:?}");
            })
            .await
        })
    }

    /// Runs `server` on this runtime; wait for it with [`Rt::join`].
    pub fn spawn_run(self, server: Server) -> Join {
        match self {
            Rt::Smol => Box::pin(smol::spawn(server.run())),
            Rt::AsyncStd => Box::pin(async_std::task::spawn(server.run())),
        }
    }
}

/// Generates `smol` and `async_std` tests in a module named after a scenario
/// `fn name(rt: Rt)`.
#[macro_export]
macro_rules! on_both_runtimes {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn smol() {
                super::$name(super::common::Rt::Smol)
            }
            #[test]
            fn async_std() {
                super::$name(super::common::Rt::AsyncStd)
            }
        }
    )*};
}

/// A running server and the tree it serves.
pub struct TestServer {
    pub addr: SocketAddr,
    pub fs: MemoryFs,
    pub stop: ShutdownHandle,
    rt: Rt,
    join: Option<Join>,
}

/// `alice`/`secret`, full access, a 5 s data-connection wait: the suite's.
pub use sansftp_conformance::server::config;

impl TestServer {
    pub fn start(rt: Rt, config: Config, fs: MemoryFs) -> TestServer {
        let server = rt
            .block_on(
                Server::builder(fs.clone())
                    .config(config)
                    .bind("127.0.0.1:0"),
            )
            .expect("bind on loopback");
        let addr = server.local_addr();
        let stop = server.shutdown_handle();
        let join = Some(rt.spawn_run(server));
        TestServer {
            addr,
            fs,
            stop,
            rt,
            join,
        }
    }

    /// Shuts down with `grace` and waits for `run` to return.
    pub fn shutdown(mut self, grace: Duration) -> Result<(), sansftp::Error> {
        self.stop.shutdown(grace);
        self.join_run()
    }

    fn join_run(&mut self) -> Result<(), sansftp::Error> {
        let Some(join) = self.join.take() else {
            return Ok(());
        };
        self.rt.block_on(async {
            futures_lite::future::or(join, async {
                async_io::Timer::after(JOIN_TIMEOUT).await;
                panic!("server did not stop within {JOIN_TIMEOUT:?}");
            })
            .await
        })
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if self.join.is_some() {
            self.stop.shutdown(Duration::ZERO);
            let r = self.join_run();
            if !std::thread::panicking() {
                r.expect("server run");
            }
        }
    }
}

pub use sansftp_conformance::random_bytes;
