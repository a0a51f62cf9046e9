//! The shared conformance suites (`sansftp-conformance`) against the async server and
//! client, once under smol and once under async-std. The client facade wraps each call
//! in `block_on` on the harness's runtime; the scenarios live in the suite.

use std::future::Future;
use std::pin::Pin;

use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};
use sansftp::Error;
use sansftp::client::ClientOptions;
use sansftp::server::{AuthRequest, AuthResult};
use sansftp_async::{BoxFuture, Client, ClientTls, DataStream, ListStream, Server, UserManager};
use sansftp_conformance::client::{ClientHarness, TlsClientHarness};
use sansftp_conformance::server::{Running, ScriptedUsers, ServerHarness, Spec};
use sansftp_storage::Storage;

sansftp_conformance::server_suite!(smol_server, Harness::Smol);
sansftp_conformance::server_suite!(async_std_server, Harness::AsyncStd);
sansftp_conformance::client_suite!(smol_client, Harness::Smol);
sansftp_conformance::client_suite!(async_std_client, Harness::AsyncStd);
sansftp_conformance::tls_suite!(smol_tls, Harness::Smol);
sansftp_conformance::tls_suite!(async_std_tls, Harness::AsyncStd);

/// The runtime the server runs on.
#[derive(Clone, Copy)]
enum Harness {
    Smol,
    AsyncStd,
}

type Join = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

impl Harness {
    fn block_on<T>(self, f: impl Future<Output = T>) -> T {
        match self {
            Harness::Smol => smol::block_on(f),
            Harness::AsyncStd => async_std::task::block_on(f),
        }
    }

    fn spawn(self, server: Server) -> Join {
        match self {
            Harness::Smol => Box::pin(smol::spawn(server.run())),
            Harness::AsyncStd => Box::pin(async_std::task::spawn(server.run())),
        }
    }
}

impl ServerHarness for Harness {
    fn start<S: Storage>(&self, spec: Spec<S>) -> Result<Running, Error> {
        let mut builder = Server::builder(spec.storage).config(spec.config);
        if let Some(users) = spec.users {
            builder = builder.user_manager(Scripted(users));
        }
        if let Some(backlog) = spec.backlog {
            builder = builder.backlog(backlog);
        }
        if let Some(tls) = spec.tls {
            builder = builder.tls(tls);
        }
        builder = builder.implicit_tls(spec.implicit_tls);
        let server = self.block_on(builder.bind(spec.bind.as_str()))?;
        let addr = server.local_addr();
        let stop = server.shutdown_handle();
        let stopping = stop.clone();
        let join = self.spawn(server);
        let rt = *self;
        Ok(Running::new(
            addr,
            move |grace| stop.shutdown(grace),
            move || stopping.is_shutting_down(),
            move || rt.block_on(join),
        ))
    }
}

/// The suite's user manager, answering after its delay on a timer.
struct Scripted(ScriptedUsers);

impl UserManager for Scripted {
    fn authenticate<'a>(&'a self, request: &'a AuthRequest) -> BoxFuture<'a, AuthResult> {
        let answer = (self.0)(request);
        Box::pin(async move {
            async_io::Timer::after(answer.delay).await;
            answer.result
        })
    }
}

impl ClientHarness for Harness {
    type Client = Facade;

    fn connect(&self, addr: &str, options: ClientOptions) -> Result<Facade, Error> {
        let c = self.block_on(Client::connect_with(addr.to_owned(), options))?;
        Ok(Facade { c, rt: *self })
    }

    fn connect_default(&self, addr: &str) -> Result<Facade, Error> {
        let c = self.block_on(Client::connect(addr.to_owned()))?;
        Ok(Facade { c, rt: *self })
    }
}

impl TlsClientHarness for Harness {
    fn connect_tls(
        &self,
        addr: &str,
        tls: ClientTls,
        server_name: &str,
        options: ClientOptions,
    ) -> Result<Facade, Error> {
        let connect = Client::connect_tls(addr.to_owned(), tls, server_name, options);
        Ok(Facade {
            c: self.block_on(connect)?,
            rt: *self,
        })
    }
}

// `Facade`, `Stream` and `Listing`: the async client behind the suite's `FtpClient`.
sansftp_conformance::async_client_facade!(Client, DataStream, ListStream, Harness);
