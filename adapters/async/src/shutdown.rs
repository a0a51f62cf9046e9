//! Graceful shutdown: a flag, a deadline, and an event that wakes whoever waits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use event_listener::Event;
use sansftp::server::Stopping;

/// Stops a running [`Server`](crate::Server) from anywhere (another task, a signal
/// handler's thread). Cheap to clone.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    pub(crate) signal: Arc<Signal>,
}

#[derive(Debug, Default)]
pub(crate) struct Signal {
    pub(crate) stopping: Stopping,
    event: Event,
}

impl ShutdownHandle {
    /// Stops accepting connections at once. Idle sessions get `421` and are closed;
    /// sessions in a transfer may finish it for up to `deadline`, after which
    /// everything still open is closed and [`Server::run`](crate::Server::run) returns.
    /// Calling it again can only shorten the deadline.
    pub fn shutdown(&self, deadline: Duration) {
        self.signal.stopping.request(Instant::now(), deadline);
        self.signal.event.notify(usize::MAX);
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shutting_down(&self) -> bool {
        self.signal.is_requested()
    }
}

impl Signal {
    pub(crate) fn is_requested(&self) -> bool {
        self.stopping.is_requested()
    }

    /// Completes once shutdown is requested.
    pub(crate) async fn wait(&self) {
        loop {
            let listener = self.event.listen();
            if self.is_requested() {
                return;
            }
            listener.await;
        }
    }
}
