//! Graceful shutdown: the core's [`Stopping`] (a flag and a deadline) and a
//! [`watch`] channel that wakes whoever waits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sansftp::server::Stopping;
use tokio::sync::watch;

/// Stops a running [`Server`](crate::Server) from anywhere (another task, a signal
/// handler's thread). Cheap to clone.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    pub(crate) signal: Arc<Signal>,
}

#[derive(Debug)]
pub(crate) struct Signal {
    pub(crate) stopping: Stopping,
    requested: watch::Sender<bool>,
}

impl ShutdownHandle {
    /// Stops accepting connections at once. Idle sessions get `421` and are closed;
    /// sessions in a transfer may finish it for up to `deadline`, after which
    /// everything still open is closed and [`Server::run`](crate::Server::run) returns.
    /// Calling it again can only shorten the deadline.
    pub fn shutdown(&self, deadline: Duration) {
        self.signal.stopping.request(Instant::now(), deadline);
        self.signal.requested.send_replace(true);
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shutting_down(&self) -> bool {
        self.signal.is_requested()
    }
}

impl Default for Signal {
    fn default() -> Signal {
        Signal {
            stopping: Stopping::default(),
            requested: watch::Sender::new(false),
        }
    }
}

impl Signal {
    pub(crate) fn is_requested(&self) -> bool {
        self.stopping.is_requested()
    }

    /// Completes once shutdown is requested (cancel-safe).
    pub(crate) async fn wait(&self) {
        let mut rx = self.requested.subscribe();
        // An error means the sender is gone, which cannot happen while `self` lives.
        let _ = rx.wait_for(|requested| *requested).await;
    }
}
