//! A backend on the caller's tokio runtime (`ObjectStoreFs::new_in`), over
//! `object_store`'s in-memory store: the storage contract suite passes with no runtime
//! of the backend's own, and no `sansftp-s3` thread starts. Needs no S3 server.

use std::sync::{Arc, OnceLock};

use object_store::memory::InMemory;
use sansftp::server::User;
use sansftp_objectstore::ObjectStoreFs;
use sansftp_storage::contract::{Features, Fixture};
use sansftp_storage::contract_suite;
use tokio::runtime::Runtime;

/// The caller's runtime: one for the whole test binary, as an application has.
fn caller() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("caller-runtime")
            .enable_all()
            .build()
            .expect("a test runtime")
    })
}

fn in_memory() -> Option<Fixture<ObjectStoreFs>> {
    let fs =
        ObjectStoreFs::new_in(Arc::new(InMemory::new()), "ftp", caller().handle().clone()).unwrap();
    assert!(!fs.owns_runtime());
    let features = Features {
        append: false,
        append_in_place: false,
        rename_dirs: false,
    };
    Some(Fixture::new(fs, User::anonymous()).features(features))
}

contract_suite!(object_store_on_caller_runtime, in_memory());

/// The names of this process's threads (Linux: /proc/self/task/*/comm).
#[cfg(target_os = "linux")]
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

/// A backend on the caller's runtime starts no thread; one of its own does, and stops
/// them when dropped. One test, so that no other test's backend is alive meanwhile.
#[cfg(target_os = "linux")]
#[test]
fn only_a_backend_of_its_own_starts_threads() {
    use sansftp_storage::Storage;
    let s3_threads = || thread_names().iter().filter(|n| *n == "sansftp-s3").count();
    let before = s3_threads();

    let borrowed =
        ObjectStoreFs::new_in(Arc::new(InMemory::new()), "", caller().handle().clone()).unwrap();
    borrowed
        .make_dir(&User::anonymous(), &"/d".parse().unwrap())
        .unwrap();
    assert_eq!(s3_threads(), before, "new_in started threads of its own");
    assert!(!borrowed.owns_runtime());

    let own = ObjectStoreFs::new(Arc::new(InMemory::new()), "").unwrap();
    own.make_dir(&User::anonymous(), &"/d".parse().unwrap())
        .unwrap();
    assert!(own.owns_runtime());
    // A thread takes its name once it runs, which may be just after the runtime starts.
    assert!(
        within_5s(|| s3_threads() > before),
        "new started no runtime threads"
    );
    drop(own);
    drop(borrowed);
    // shutdown_background() lets the workers exit on their own.
    assert!(
        within_5s(|| s3_threads() == before),
        "the backend's runtime outlived it"
    );
}

/// Whether `check` holds within 5 s (checked every 10 ms).
#[cfg(target_os = "linux")]
fn within_5s(check: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !check() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    true
}
