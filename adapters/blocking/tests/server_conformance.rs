//! The shared server conformance suite (`sansftp-conformance`) against the blocking
//! server: the harness below starts it, the macro writes the tests.

use sansftp::Error;
use sansftp::server::{AuthRequest, AuthResult};
use sansftp_blocking::{Server, UserManager};
use sansftp_conformance::server::{Running, ScriptedUsers, ServerHarness, Spec};
use sansftp_storage::Storage;

sansftp_conformance::server_suite!(blocking, Harness);

/// Starts the blocking server on its own thread.
struct Harness;

impl ServerHarness for Harness {
    fn start<S: Storage>(&self, spec: Spec<S>) -> Result<Running, Error> {
        let mut builder = Server::builder(spec.storage).config(spec.config);
        if let Some(users) = spec.users {
            builder = builder.user_manager(Scripted(users));
        }
        let server = builder.bind(spec.bind.as_str())?;
        let addr = server.local_addr();
        let stop = server.shutdown_handle();
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || server.run());
        Ok(Running::new(
            addr,
            move |grace| stop.shutdown(grace),
            move || stopping.is_shutting_down(),
            move || {
                thread
                    .join()
                    .unwrap_or_else(|_| Err(Error::Io(std::io::Error::other("server panicked"))))
            },
        ))
    }
}

/// The suite's user manager, answering on the session's thread after its delay.
struct Scripted(ScriptedUsers);

impl UserManager for Scripted {
    fn authenticate(&self, request: &AuthRequest) -> AuthResult {
        let answer = (self.0)(request);
        std::thread::sleep(answer.delay);
        answer.result
    }
}
