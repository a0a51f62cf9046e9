//! The shared server conformance suite (`sansftp-conformance`) against the async
//! server, once under smol and once under async-std.

use std::future::Future;
use std::pin::Pin;

use sansftp::Error;
use sansftp::server::{AuthRequest, AuthResult};
use sansftp_async::{BoxFuture, Server, UserManager};
use sansftp_conformance::server::{Running, ScriptedUsers, ServerHarness, Spec};
use sansftp_storage::Storage;

sansftp_conformance::server_suite!(smol, Harness::Smol);
sansftp_conformance::server_suite!(async_std, Harness::AsyncStd);

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
            Harness::Smol => ::smol::block_on(f),
            Harness::AsyncStd => ::async_std::task::block_on(f),
        }
    }

    fn spawn(self, server: Server) -> Join {
        match self {
            Harness::Smol => Box::pin(::smol::spawn(server.run())),
            Harness::AsyncStd => Box::pin(::async_std::task::spawn(server.run())),
        }
    }
}

impl ServerHarness for Harness {
    fn start<S: Storage>(&self, spec: Spec<S>) -> Result<Running, Error> {
        let mut builder = Server::builder(spec.storage).config(spec.config);
        if let Some(users) = spec.users {
            builder = builder.user_manager(Scripted(users));
        }
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
