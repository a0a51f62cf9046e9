//! Counting running sessions for the graceful shutdown. Connection limits and speed
//! limits themselves are the core's [`sansftp::server::Limits`]; this only adds what an
//! async server needs on top: a wake-up when the last session ends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use event_listener::Event;
use sansftp::server::ConnectionGuard;

/// Sessions alive, refused ones included (they still say `421`).
#[derive(Debug, Default)]
pub(crate) struct Running {
    count: AtomicUsize,
    ended: Event,
}

/// One running session: counted until dropped. Holds its server-wide connection slot
/// (`None` when the server was full and the session is a refusal).
#[derive(Debug)]
pub(crate) struct SessionSlot {
    running: Arc<Running>,
    pub(crate) connection: Option<ConnectionGuard>,
}

impl Running {
    pub(crate) fn start(self: &Arc<Self>, connection: Option<ConnectionGuard>) -> SessionSlot {
        self.count.fetch_add(1, Ordering::SeqCst);
        SessionSlot {
            running: Arc::clone(self),
            connection,
        }
    }

    pub(crate) fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Waits until no session runs.
    pub(crate) async fn all_ended(&self) {
        loop {
            let listener = self.ended.listen();
            if self.count() == 0 {
                return;
            }
            listener.await;
        }
    }
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        self.running.count.fetch_sub(1, Ordering::SeqCst);
        self.running.ended.notify(usize::MAX);
    }
}
