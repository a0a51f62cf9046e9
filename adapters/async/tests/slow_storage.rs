//! A storage that does not say its opens are quick (`Storage::opens_quickly`, default
//! `false`) has them run on the thread pool: one that blocks never stalls other sessions.

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use common::client::{Client, TIMEOUT, code};
use common::{Rt, config};
use sansftp::PathIoError;
use sansftp::listing::Entry;
use sansftp::path::VirtualPath;
use sansftp::server::{StorageError, User};
use sansftp_async::Server;
use sansftp_storage::{MemoryFs, ReadHandle, Storage, WriteHandle, WriteMode};

on_both_runtimes!(blocking_opens_do_not_stall_other_sessions);

/// Opens the gate when dropped, so a failing test never leaves a pool thread waiting.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, cv) = &*self.0;
        let mut open = open.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = cv.wait(open).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn open(&self) {
        let (open, cv) = &*self.0;
        *open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }
}

struct Opener(Gate);

impl Drop for Opener {
    fn drop(&mut self) {
        self.0.open();
    }
}

/// `MemoryFs` whose `open_read` waits for the gate; `opens_quickly` left at its default.
struct Gated {
    inner: MemoryFs,
    gate: Gate,
    entered: Arc<AtomicBool>,
}

impl Storage for Gated {
    fn check_root(&self, user: &User) -> Result<(), PathIoError> {
        self.inner.check_root(user)
    }
    fn metadata(&self, user: &User, path: &VirtualPath) -> Result<Entry, StorageError> {
        self.inner.metadata(user, path)
    }
    fn list(&self, user: &User, path: &VirtualPath) -> Result<Vec<Entry>, StorageError> {
        self.inner.list(user, path)
    }
    fn make_dir(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        self.inner.make_dir(user, path)
    }
    fn remove_dir(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        self.inner.remove_dir(user, path)
    }
    fn remove_file(&self, user: &User, path: &VirtualPath) -> Result<(), StorageError> {
        self.inner.remove_file(user, path)
    }
    fn rename(
        &self,
        user: &User,
        from: &VirtualPath,
        to: &VirtualPath,
    ) -> Result<(), StorageError> {
        self.inner.rename(user, from, to)
    }
    fn open_read(
        &self,
        user: &User,
        path: &VirtualPath,
        offset: u64,
    ) -> Result<ReadHandle, StorageError> {
        self.entered.store(true, Ordering::SeqCst);
        self.gate.wait();
        self.inner.open_read(user, path, offset)
    }
    fn open_write(
        &self,
        user: &User,
        path: &VirtualPath,
        mode: WriteMode,
    ) -> Result<WriteHandle, StorageError> {
        self.inner.open_write(user, path, mode)
    }
}

fn blocking_opens_do_not_stall_other_sessions(rt: Rt) {
    let gate = Gate::default();
    let _opener = Opener(gate.clone());
    let entered = Arc::new(AtomicBool::new(false));
    let storage = Gated {
        inner: MemoryFs::new().with_file("/f", "data"),
        gate: gate.clone(),
        entered: Arc::clone(&entered),
    };
    assert!(!storage.opens_quickly());
    let server = rt
        .block_on(
            Server::builder(storage)
                .config(config())
                .bind("127.0.0.1:0"),
        )
        .expect("bind on loopback");
    let addr = server.local_addr();
    let stop = server.shutdown_handle();
    let join = rt.spawn_run(server);

    let mut a = Client::login(addr);
    let data_addr = a.pasv();
    let mut data = TcpStream::connect_timeout(&data_addr, TIMEOUT).expect("data connect");
    data.set_read_timeout(Some(TIMEOUT)).unwrap();
    a.send("RETR /f");
    let since = Instant::now();
    while !entered.load(Ordering::SeqCst) {
        assert!(since.elapsed() < TIMEOUT, "open_read never called");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The open is stuck: another session must still be served.
    let mut b = Client::login(addr);
    b.expect("NOOP", 200);
    b.expect("QUIT", 221);

    gate.open();
    let r = a.reply();
    assert_eq!(code(&r), 150, "{r:?}");
    let mut got = Vec::new();
    data.read_to_end(&mut got).expect("data read");
    assert_eq!(got, b"data");
    let r = a.reply();
    assert_eq!(code(&r), 226, "{r:?}");

    stop.shutdown(Duration::ZERO);
    rt.join(join).expect("server run");
}
