//! The server's threads: one executor per thread ([`Shards`]), each session on the
//! thread that had the fewest when it connected, and the threads that run them
//! ([`Runners`]) beside the one that polls [`Server::run`](crate::Server::run).
//!
//! Why not one executor shared by every thread: a session's wakeups (its sockets are
//! ready) come from whichever thread holds async-io's reactor, and a shared executor
//! then wakes another sleeping thread to run the session as well as running it itself,
//! so a busy session bounces between threads. Measured on 4 KiB downloads (ftplib,
//! one session), two threads sharing one executor made 110 system calls per file
//! (24 of them futex) against 82 (15) for one thread; a session that stays on its
//! thread costs what it costs with one thread. Sessions are spread when they connect,
//! so many sessions use every thread; one session never used more than one.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;

use async_executor::Executor;
use blocking::unblock;
use event_listener::Event;

/// One executor per server thread, and how many sessions each holds.
pub(crate) struct Shards {
    executors: Vec<Executor<'static>>,
    load: Arc<[AtomicUsize]>,
}

impl Shards {
    /// `n` executors (at least one).
    pub(crate) fn new(n: usize) -> Shards {
        let n = n.max(1);
        Shards {
            executors: (0..n).map(|_| Executor::new()).collect(),
            load: (0..n).map(|_| AtomicUsize::new(0)).collect(),
        }
    }

    /// The executor of the thread that polls [`Server::run`](crate::Server::run).
    pub(crate) fn home(&self) -> &Executor<'static> {
        &self.executors[0]
    }

    /// Runs `session` on the executor with the fewest sessions, counted there until
    /// it ends (or is dropped with its executor).
    pub(crate) fn spawn(&self, session: impl Future<Output = ()> + Send + 'static) {
        let shard = (0..self.load.len())
            .min_by_key(|&i| self.load[i].load(Ordering::Relaxed))
            .unwrap_or(0);
        self.load[shard].fetch_add(1, Ordering::Relaxed);
        let counted = Counted {
            load: Arc::clone(&self.load),
            shard,
        };
        self.executors[shard]
            .spawn(async move {
                let _counted = counted;
                session.await
            })
            .detach();
    }
}

/// One session counted on its shard until dropped.
struct Counted {
    load: Arc<[AtomicUsize]>,
    shard: usize,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.load[self.shard].fetch_sub(1, Ordering::Relaxed);
    }
}

/// The threads that run the executors other than [`Shards::home`].
pub(crate) struct Runners {
    stop: Arc<Event>,
    stopped: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Runners {
    /// Starts a thread (named `sansftp-async`) for each executor but the home one,
    /// each running until [`stop`](Runners::stop) (or until this is dropped). A thread
    /// that cannot be started is logged; its executor's sessions then wait for the end.
    pub(crate) fn start(shards: &Arc<Shards>) -> Runners {
        let stop = Arc::new(Event::new());
        let stopped = Arc::new(AtomicBool::new(false));
        let threads = (1..shards.executors.len())
            .filter_map(|i| {
                let shards = Arc::clone(shards);
                let (stop, stopped) = (Arc::clone(&stop), Arc::clone(&stopped));
                let spawned = std::thread::Builder::new()
                    .name("sansftp-async".into())
                    .spawn(move || {
                        let until = async {
                            loop {
                                let listener = stop.listen();
                                if stopped.load(Ordering::SeqCst) {
                                    return;
                                }
                                listener.await;
                            }
                        };
                        async_io::block_on(shards.executors[i].run(until));
                    });
                spawned
                    .map_err(|e| log::error!("cannot start server thread {i}: {e}"))
                    .ok()
            })
            .collect();
        Runners {
            stop,
            stopped,
            threads,
        }
    }

    /// Stops the threads and waits (on the [`blocking`] pool) until they have ended,
    /// so that the caller holds the executors' last reference.
    pub(crate) async fn stop(mut self) {
        self.signal();
        for thread in std::mem::take(&mut self.threads) {
            if unblock(move || thread.join()).await.is_err() {
                log::error!("a server thread panicked");
            }
        }
    }

    fn signal(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.stop.notify(usize::MAX);
    }
}

impl Drop for Runners {
    fn drop(&mut self) {
        self.signal();
    }
}
