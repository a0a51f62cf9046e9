//! Counting running sessions for the graceful shutdown: a wake-up when the last one
//! ends. (Connection limits are the core's: the session holds its own guards.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use event_listener::Event;

/// Sessions alive, refused ones included (they still say `421`).
#[derive(Debug, Default)]
pub(crate) struct Running {
    count: AtomicUsize,
    ended: Event,
}

/// One running session: counted until dropped.
#[derive(Debug)]
pub(crate) struct SessionSlot {
    running: Arc<Running>,
}

impl Running {
    pub(crate) fn start(self: &Arc<Self>) -> SessionSlot {
        self.count.fetch_add(1, Ordering::SeqCst);
        SessionSlot {
            running: Arc::clone(self),
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
