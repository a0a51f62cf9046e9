//! [`Threads`]: the server's threads, kept for a while after their task ends.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

/// A task for [`Threads::spawn`].
pub(crate) type Task = Box<dyn FnOnce() + Send>;

/// How long a thread whose task ended waits for another before it ends.
const THREAD_KEEP: Duration = Duration::from_secs(10);
/// The most threads kept waiting; beyond these, a thread ends with its task.
const THREADS_KEPT: usize = 256;

/// Threads kept for a while after their task ends, instead of ending: starting a thread
/// (clone3, mapping and unmapping its stack, ...) costs more than a short session's
/// commands, and a session used to start three or four. A task is given to a waiting
/// thread when there is one, to a new thread otherwise, so tasks never wait for each
/// other.
pub(crate) struct Threads {
    state: Mutex<Waiting>,
    wake: Condvar,
}

#[derive(Default)]
struct Waiting {
    /// Threads waiting in [`Threads::wait`].
    idle: usize,
    /// Tasks handed over, not yet taken; never more than `idle`.
    tasks: VecDeque<Task>,
}

impl Threads {
    pub(crate) fn new() -> Arc<Threads> {
        Arc::new(Threads {
            state: Mutex::new(Waiting::default()),
            wake: Condvar::new(),
        })
    }

    /// Runs `task` on a waiting thread, or on a new one (the error of a failed start).
    pub(crate) fn spawn(self: &Arc<Self>, task: Task) -> io::Result<()> {
        {
            let mut state = self.lock();
            if state.idle > state.tasks.len() {
                state.tasks.push_back(task);
                self.wake.notify_one();
                return Ok(());
            }
        }
        let threads = Arc::clone(self);
        thread::Builder::new()
            .name("sansftp-worker".into())
            .spawn(move || {
                task();
                threads.wait();
            })
            .map(drop)
    }

    /// Runs the tasks handed to this thread until none comes for [`THREAD_KEEP`].
    fn wait(&self) {
        let mut state = self.lock();
        loop {
            if let Some(task) = state.tasks.pop_front() {
                drop(state);
                task();
                state = self.lock();
                continue;
            }
            if state.idle >= THREADS_KEPT {
                return;
            }
            state.idle += 1;
            let (guard, timeout) = self
                .wake
                .wait_timeout(state, THREAD_KEEP)
                .unwrap_or_else(|e| e.into_inner());
            state = guard;
            state.idle -= 1;
            // A task handed over meanwhile is taken even after a timeout: it was
            // counted on a waiting thread.
            if timeout.timed_out() && state.tasks.is_empty() {
                return;
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Waiting> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
