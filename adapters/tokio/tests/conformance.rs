//! The shared conformance suites (`sansftp-conformance`) against the tokio server, on
//! a multi-thread runtime with two workers (one per core of the CI machine) and on a
//! current-thread one.

use std::sync::Arc;

use sansftp::Error;
use sansftp::server::{AuthRequest, AuthResult};
use sansftp_conformance::server::{Running, ScriptedUsers, ServerHarness, Spec};
use sansftp_storage::Storage;
use sansftp_tokio::{BoxFuture, Server, UserManager};
use tokio::runtime::{Builder, Runtime};

sansftp_conformance::server_suite!(multi_thread_server, Harness::MultiThread);
sansftp_conformance::server_suite!(current_thread_server, Harness::CurrentThread);
sansftp_conformance::tls_server_suite!(multi_thread_tls, Harness::MultiThread);
sansftp_conformance::tls_server_suite!(current_thread_tls, Harness::CurrentThread);

// The tokio client against the tokio server: the facade is in `client/mod.rs`.
mod client;
sansftp_conformance::client_suite!(multi_thread_client, Harness::MultiThread);
sansftp_conformance::client_suite!(current_thread_client, Harness::CurrentThread);
sansftp_conformance::tls_client_suite!(multi_thread_tls_client, Harness::MultiThread);
sansftp_conformance::tls_client_suite!(current_thread_tls_client, Harness::CurrentThread);

/// The runtime the server runs on.
#[derive(Clone, Copy)]
enum Harness {
    MultiThread,
    CurrentThread,
}

impl Harness {
    fn runtime(self) -> Runtime {
        let mut builder = match self {
            Harness::MultiThread => {
                let mut b = Builder::new_multi_thread();
                b.worker_threads(2);
                b
            }
            Harness::CurrentThread => Builder::new_current_thread(),
        };
        builder.enable_all().build().expect("a tokio runtime")
    }
}

impl ServerHarness for Harness {
    fn start<S: Storage>(&self, spec: Spec<S>) -> Result<Running, Error> {
        let rt = Arc::new(self.runtime());
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
        let server = rt.block_on(builder.bind(spec.bind.as_str()))?;
        let addr = server.local_addr();
        let stop = server.shutdown_handle();
        let stopping = stop.clone();
        // A current-thread runtime runs only while blocked on: a thread of its own
        // blocks on the server.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(rt.block_on(server.run()));
        });
        Ok(Running::new(
            addr,
            move |grace| stop.shutdown(grace),
            move || stopping.is_shutting_down(),
            move || rx.recv().expect("the server's thread ends with a result"),
        ))
    }
}

/// The suite's user manager, answering after its delay on a timer.
struct Scripted(ScriptedUsers);

impl UserManager for Scripted {
    fn authenticate<'a>(&'a self, request: &'a AuthRequest) -> BoxFuture<'a, AuthResult> {
        let answer = (self.0)(request);
        Box::pin(async move {
            tokio::time::sleep(answer.delay).await;
            answer.result
        })
    }
}
