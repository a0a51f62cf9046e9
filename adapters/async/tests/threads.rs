//! `Builder::threads`: sessions run on the server's own threads beside the one that
//! polls `run`, spread over them as they connect; with one thread they all run on the
//! polling thread; `run` ends its threads before it returns. (One test, alone in this binary,
//! so that no other test's server threads are counted.)

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::client::Client;
use sansftp::server::{AuthRequest, AuthResult, Config, User};
use sansftp_async::{BoxFuture, MemoryFs, Server, UserManager};

/// Answers as the configuration does, after holding the thread that polls it for a
/// while (as a slow synchronous call would), and records that thread's name.
struct Recording {
    config: Config,
    threads: Arc<Mutex<BTreeSet<String>>>,
}

impl UserManager for Recording {
    fn authenticate<'a>(&'a self, request: &'a AuthRequest) -> BoxFuture<'a, AuthResult> {
        Box::pin(async move {
            let name = thread::current().name().unwrap_or("?").to_owned();
            self.threads.lock().unwrap().insert(name);
            thread::sleep(Duration::from_millis(100));
            self.config.answer(request)
        })
    }
}

/// The threads of this process named `sansftp-async` (Linux: /proc/self/task).
#[cfg(target_os = "linux")]
fn server_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter(|t| {
            let comm = t.as_ref().unwrap().path().join("comm");
            std::fs::read_to_string(comm).is_ok_and(|c| c.trim() == "sansftp-async")
        })
        .count()
}

/// Serves 6 logins at once on a server with `threads` threads, polled by a thread named
/// `poller`; gives the names of the threads that ran them.
fn logins_on(threads: usize) -> BTreeSet<String> {
    let config = Config::new().user(User::new("alice", "secret"));
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let users = Recording {
        config: config.clone(),
        threads: Arc::clone(&seen),
    };
    let server = futures_lite::future::block_on(
        Server::builder(MemoryFs::new())
            .config(config)
            .user_manager(users)
            .threads(threads)
            .bind("127.0.0.1:0"),
    )
    .unwrap();
    let (addr, stop) = (server.local_addr(), server.shutdown_handle());
    let poller = thread::Builder::new()
        .name("poller".into())
        .spawn(move || futures_lite::future::block_on(server.run()))
        .unwrap();
    // `run` starts its threads when it is first polled.
    #[cfg(target_os = "linux")]
    {
        let started = std::time::Instant::now();
        while server_threads() < threads - 1 && started.elapsed() < Duration::from_secs(5) {
            thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            server_threads(),
            threads - 1,
            "threads started by the server"
        );
    }
    let clients: Vec<_> = (0..6)
        .map(|_| thread::spawn(move || Client::login(addr).quit()))
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    stop.shutdown(Duration::from_secs(5));
    poller.join().unwrap().unwrap();
    #[cfg(target_os = "linux")]
    assert_eq!(
        server_threads(),
        0,
        "run returned with server threads alive"
    );
    Arc::try_unwrap(seen).unwrap().into_inner().unwrap()
}

#[test]
fn sessions_run_on_the_server_threads() {
    assert_eq!(logins_on(1), BTreeSet::from(["poller".to_owned()]));
    // Six sessions at once (each login holds its thread for 100 ms, so they overlap):
    // each goes to the thread with the fewest sessions, so the server's own threads
    // take some.
    let seen = logins_on(4);
    assert!(seen.contains("sansftp-async"), "{seen:?}");
}
