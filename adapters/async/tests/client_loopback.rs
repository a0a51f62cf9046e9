//! `sansftp_async::Client` against the crate's own server on loopback: most scenarios
//! under smol, some under async-std.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Rt, TestServer, config, random_bytes};
use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};
use sansftp::Error;
use sansftp::client::ListCommand;
use sansftp::listing::Kind;
use sansftp::server::{Config, User};
use sansftp_async::{Client, ClientOptions, Server, ShutdownHandle};
use sansftp_storage::{LocalFs, MemoryFs};

/// Every test gives up instead of hanging.
const LIMIT: Duration = Duration::from_secs(10);

fn options() -> ClientOptions {
    ClientOptions::new()
        .connect_timeout(LIMIT)
        .socket_timeout(LIMIT)
}

async fn alice(srv: &TestServer, options: ClientOptions) -> Client {
    let mut c = Client::connect_with(srv.addr, options)
        .await
        .expect("connect");
    c.login("alice", "secret").await.expect("login");
    c
}

fn names(items: &[sansftp::client::Item]) -> Vec<String> {
    let mut v: Vec<String> = items.iter().map(|i| i.path_str().into_owned()).collect();
    v.sort();
    v
}

/// A server on `LocalFs` serving a temporary directory to alice.
struct LocalServer {
    addr: std::net::SocketAddr,
    stop: ShutdownHandle,
    join: Option<common::Join>,
    dir: tempfile::TempDir,
}

impl LocalServer {
    fn start(rt: Rt) -> LocalServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = Config::new().user(User::new("alice", "secret").base_path(dir.path()));
        let server = rt
            .block_on(
                Server::builder(LocalFs::new())
                    .config(cfg)
                    .bind("127.0.0.1:0"),
            )
            .expect("bind");
        let addr = server.local_addr();
        let stop = server.shutdown_handle();
        let join = Some(rt.spawn_run(server));
        LocalServer {
            addr,
            stop,
            join,
            dir,
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.stop.shutdown(Duration::ZERO);
        if let Some(join) = self.join.take() {
            let r = Rt::Smol.join(join);
            if !std::thread::panicking() {
                r.expect("server run");
            }
        }
    }
}

#[test]
fn directories_listings_and_metadata() {
    let fs = MemoryFs::new()
        .with_file("/pub/readme.txt", "hello\n")
        .with_file("/pub/sub/deep.bin", vec![7u8; 1000])
        .with_dir("/pub/empty");
    let srv = TestServer::start(Rt::Smol, config(), fs);
    smol::block_on(async {
        let mut c = alice(&srv, options()).await;
        assert_eq!(c.greeting().code().value(), 220);
        assert!(c.features().is_some_and(|f| f.supports("MLST")));
        assert_eq!(c.get_current_directory().await.unwrap(), "/");
        c.change_directory("/pub").await.unwrap();
        assert_eq!(c.get_current_directory().await.unwrap(), "/pub");
        c.change_directory("..").await.unwrap();
        assert_eq!(c.get_current_directory().await.unwrap(), "/");
        assert!(
            c.change_directory("/missing")
                .await
                .unwrap_err()
                .received(550)
        );

        // mkdir -p, twice: the second finds every level there.
        c.make_directory("/a/b/c", true).await.unwrap();
        c.make_directory("/a/b/c", true).await.unwrap();
        assert!(c.is_dir("/a/b/c").await.unwrap());
        assert!(
            c.make_directory("/x/y", false)
                .await
                .unwrap_err()
                .is_permanent()
        );

        let mlsd = c.list("/pub", false).await.unwrap();
        assert_eq!(names(&mlsd), ["/pub/empty", "/pub/readme.txt", "/pub/sub"]);
        let readme = mlsd.iter().find(|i| i.path == b"/pub/readme.txt").unwrap();
        assert_eq!(
            (readme.entry.kind, readme.entry.size),
            (Kind::File, Some(6))
        );
        let list = c.list_with("/pub", false, ListCommand::List).await.unwrap();
        assert_eq!(names(&list), names(&mlsd));
        let sub = list.iter().find(|i| i.path == b"/pub/sub").unwrap();
        assert_eq!(sub.entry.kind, Kind::Dir);
        let deep = c.list("/pub", true).await.unwrap();
        assert_eq!(
            names(&deep),
            [
                "/pub/empty",
                "/pub/readme.txt",
                "/pub/sub",
                "/pub/sub/deep.bin"
            ]
        );
        // Relative to the current directory.
        c.change_directory("/pub").await.unwrap();
        assert_eq!(
            names(&c.list("", false).await.unwrap()),
            ["empty", "readme.txt", "sub"]
        );

        let mut streamed = Vec::new();
        let mut s = c.list_stream("/pub", true).await.unwrap();
        while let Some(item) = s.next().await {
            streamed.push(item.unwrap());
        }
        drop(s);
        assert_eq!(names(&streamed), names(&deep));
        // A listing error comes out of the stream.
        let mut s = c.list_stream("/nope", false).await.unwrap();
        assert!(s.next().await.unwrap().unwrap_err().received(550));
        assert!(s.next().await.is_none());
        drop(s);

        let item = c.stat("/pub/sub/deep.bin").await.unwrap();
        assert_eq!((item.entry.kind, item.entry.size), (Kind::File, Some(1000)));
        assert!(c.exists("/pub/readme.txt").await.unwrap());
        assert!(!c.exists("/pub/nothing").await.unwrap());
        assert!(c.is_file("/pub/readme.txt").await.unwrap());
        assert!(!c.is_file("/pub/sub").await.unwrap());
        assert!(!c.is_file("/pub/nothing").await.unwrap());
        assert!(c.is_dir("/pub/sub").await.unwrap());
        assert!(!c.is_dir("/pub/readme.txt").await.unwrap());
        assert!(c.stat("/pub/nothing").await.unwrap_err().received(550));
        assert_eq!(c.size("/pub/sub/deep.bin").await.unwrap(), 1000);
        let modified = c.modified("/pub/readme.txt").await.unwrap();
        let now = sansftp::time::DateTime::from_system_time(std::time::SystemTime::now())
            .unwrap()
            .to_unix();
        assert!((now - modified.to_unix()).abs() < 3600, "{modified:?}");

        c.rename("/pub/readme.txt", "/pub/README").await.unwrap();
        assert!(!c.exists("/pub/readme.txt").await.unwrap());
        assert!(c.is_file("/pub/README").await.unwrap());
        assert!(
            c.rename("/pub/gone", "/pub/x")
                .await
                .unwrap_err()
                .received(550)
        );
        c.remove_file("/pub/README").await.unwrap();
        c.remove_directory("/pub/empty").await.unwrap();
        assert!(
            c.remove_directory("/pub/sub")
                .await
                .unwrap_err()
                .is_permanent()
        );
        c.remove("/pub").await.unwrap();
        assert!(!c.exists("/pub").await.unwrap());
        assert!(srv.fs.read("/pub/sub/deep.bin").is_none());

        c.noop().await.unwrap();
        let done = [sansftp::Mask::COMPLETION];
        let reply = c.command("SYST", &done, &[]).await.unwrap().unwrap();
        assert_eq!(reply.code().value(), 215);
        let refused = [sansftp::Mask::PERMANENT_NEGATIVE];
        let err = c.command("SYST", &refused, &[]).await.unwrap_err();
        assert!(err.received(215), "{err}");
        assert!(c.command("NOOP\r\nDELE x", &done, &[]).await.is_err());
        c.noop().await.unwrap();
        c.quit().await.unwrap();
    });
}

#[test]
fn wrong_password_gets_530_and_a_second_try_works() {
    let srv = TestServer::start(Rt::Smol, config(), MemoryFs::new());
    smol::block_on(async {
        let mut c = Client::connect_with(srv.addr, options()).await.unwrap();
        let err = c.login("alice", "wrong").await.unwrap_err();
        assert!(err.received(530), "{err}");
        c.login("alice", "secret").await.unwrap();
        assert_eq!(c.get_current_directory().await.unwrap(), "/");
        c.quit().await.unwrap();
    });
}

#[test]
fn files_round_trip_resume_and_append_on_disk() {
    let srv = LocalServer::start(Rt::Smol);
    let local = tempfile::tempdir().unwrap();
    let data = random_bytes(3 << 20, 42);
    let src = local.path().join("src.bin");
    std::fs::write(&src, &data).unwrap();
    smol::block_on(async {
        let mut c = Client::connect_with(srv.addr, options()).await.unwrap();
        c.login("alice", "secret").await.unwrap();
        // Parents are made.
        assert_eq!(
            c.upload(&src, "/in/deep/big.bin").await.unwrap(),
            data.len() as u64
        );
        assert_eq!(
            std::fs::read(srv.root().join("in/deep/big.bin")).unwrap(),
            data
        );
        let dst = local.path().join("out/copy.bin");
        assert_eq!(
            c.download("/in/deep/big.bin", &dst).await.unwrap(),
            data.len() as u64
        );
        assert_eq!(std::fs::read(&dst).unwrap(), data);
        // No temporary file is left beside it.
        let left: Vec<_> = std::fs::read_dir(local.path().join("out"))
            .unwrap()
            .collect();
        assert_eq!(left.len(), 1);

        // Into a directory, keeping the name, both ways.
        assert_eq!(c.upload(&src, "/in/").await.unwrap(), data.len() as u64);
        assert_eq!(std::fs::read(srv.root().join("in/src.bin")).unwrap(), data);
        let into = local.path().join("into");
        std::fs::create_dir(&into).unwrap();
        c.download("/in/src.bin", &into).await.unwrap();
        assert_eq!(std::fs::read(into.join("src.bin")).unwrap(), data);

        // A failed download leaves neither the target nor a temporary file.
        let missing = local.path().join("out/missing.bin");
        assert!(
            c.download("/in/missing", &missing)
                .await
                .unwrap_err()
                .received(550)
        );
        assert!(!missing.exists());
        assert_eq!(
            std::fs::read_dir(local.path().join("out")).unwrap().count(),
            1
        );

        // Resumed download.
        let offset = 2_500_000;
        let mut s = c.download_stream("/in/deep/big.bin", offset).await.unwrap();
        let mut tail = Vec::new();
        s.read_to_end(&mut tail).await.unwrap();
        s.finish().await.unwrap();
        assert_eq!(tail, data[offset as usize..]);

        // Resumed upload: the first part, then the rest from its offset.
        let cut = 1_000_000;
        let mut s = c.upload_stream("/part.bin", 0).await.unwrap();
        s.write_all(&data[..cut]).await.unwrap();
        s.finish().await.unwrap();
        assert_eq!(c.size("/part.bin").await.unwrap(), cut as u64);
        let mut s = c.upload_stream("/part.bin", cut as u64).await.unwrap();
        s.write_all(&data[cut..]).await.unwrap();
        s.finish().await.unwrap();
        assert_eq!(std::fs::read(srv.root().join("part.bin")).unwrap(), data);

        // Append.
        let mut s = c.append_stream("/log.txt").await.unwrap();
        s.write_all(b"one\n").await.unwrap();
        s.finish().await.unwrap();
        let mut s = c.append_stream("/log.txt").await.unwrap();
        s.write_all(b"two\n").await.unwrap();
        s.finish().await.unwrap();
        assert_eq!(
            std::fs::read(srv.root().join("log.txt")).unwrap(),
            b"one\ntwo\n"
        );
        c.quit().await.unwrap();
    });
}

#[test]
fn directory_trees_up_and_down() {
    let srv = LocalServer::start(Rt::Smol);
    let local = tempfile::tempdir().unwrap();
    let tree = local.path().join("tree");
    std::fs::create_dir_all(tree.join("a/b")).unwrap();
    std::fs::create_dir_all(tree.join("empty")).unwrap();
    std::fs::write(tree.join("top.txt"), "top").unwrap();
    std::fs::write(tree.join("a/one.bin"), random_bytes(300_000, 3)).unwrap();
    std::fs::write(tree.join("a/b/two.txt"), "two").unwrap();
    smol::block_on(async {
        let mut c = Client::connect_with(srv.addr, options()).await.unwrap();
        c.login("alice", "secret").await.unwrap();
        let sent = c.upload(&tree, "/up/tree").await.unwrap();
        assert_eq!(sent, 300_006);
        for f in ["top.txt", "a/one.bin", "a/b/two.txt"] {
            assert_eq!(
                std::fs::read(srv.root().join("up/tree").join(f)).unwrap(),
                std::fs::read(tree.join(f)).unwrap(),
                "{f}"
            );
        }
        assert!(srv.root().join("up/tree/empty").is_dir());
        // Again over the existing tree: directories are reused, files replaced.
        assert_eq!(c.upload(&tree, "/up/tree").await.unwrap(), sent);

        let back = local.path().join("back");
        assert_eq!(c.download("/up/tree", &back).await.unwrap(), sent);
        for f in ["top.txt", "a/one.bin", "a/b/two.txt"] {
            assert_eq!(
                std::fs::read(back.join(f)).unwrap(),
                std::fs::read(tree.join(f)).unwrap(),
                "{f}"
            );
        }
        assert!(back.join("empty").is_dir());
        c.remove("/up").await.unwrap();
        assert!(!srv.root().join("up").exists());
        c.quit().await.unwrap();
    });
}

#[test]
fn a_dropped_download_does_not_desynchronise_the_control_channel() {
    let data = random_bytes(3 << 20, 5);
    let fs = MemoryFs::new().with_file("/big.bin", data.clone());
    let srv = TestServer::start(Rt::Smol, config(), fs);
    smol::block_on(async {
        let mut c = alice(&srv, options()).await;
        let mut s = c.download_stream("/big.bin", 0).await.unwrap();
        let mut half = vec![0u8; 1 << 20];
        s.read_exact(&mut half).await.unwrap();
        assert_eq!(half, data[..1 << 20]);
        drop(s);
        assert_eq!(c.get_current_directory().await.unwrap(), "/");
        assert_eq!(c.size("/big.bin").await.unwrap(), data.len() as u64);

        // A dropped upload: the next call brings the channel back in step too.
        let mut s = c.upload_stream("/up.bin", 0).await.unwrap();
        s.write_all(&data[..100_000]).await.unwrap();
        drop(s);
        c.noop().await.unwrap();

        // A listing stream dropped after its first entry.
        c.make_directory("/t/a/b", true).await.unwrap();
        let mut s = c.list_stream("/", true).await.unwrap();
        assert!(s.next().await.unwrap().is_ok());
        drop(s);
        assert_eq!(c.size("/big.bin").await.unwrap(), data.len() as u64);

        // `abort` finishes a dropped transfer explicitly.
        let s = c.download_stream("/big.bin", 0).await.unwrap();
        drop(s);
        c.abort().await.unwrap();

        // Read to the end without `finish`, then dropped: it counts as finished.
        let mut s = c.download_stream("/big.bin", 3_000_000).await.unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).await.unwrap();
        drop(s);
        assert_eq!(rest, data[3_000_000..]);

        // After all that, a whole download is still byte-exact.
        let mut s = c.download_stream("/big.bin", 0).await.unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).await.unwrap();
        s.finish().await.unwrap();
        assert!(all == data);
        c.quit().await.unwrap();
    });
}

#[test]
fn data_stream_abort() {
    let data = random_bytes(3 << 20, 9);
    let fs = MemoryFs::new().with_file("/big.bin", data.clone());
    let srv = TestServer::start(Rt::Smol, config(), fs);
    smol::block_on(async {
        let mut c = alice(&srv, options()).await;
        let mut s = c.download_stream("/big.bin", 0).await.unwrap();
        let mut some = vec![0u8; 100_000];
        s.read_exact(&mut some).await.unwrap();
        s.abort().await.unwrap();
        assert_eq!(c.get_current_directory().await.unwrap(), "/");

        // finish() on a download not read to its end aborts it and fails (the core's
        // decision, Session::end_transfer).
        let mut s = c.download_stream("/big.bin", 0).await.unwrap();
        s.read_exact(&mut some).await.unwrap();
        let err = s.finish().await.unwrap_err();
        assert!(
            matches!(err, sansftp::Error::Io(ref e) if e.kind() == std::io::ErrorKind::InvalidInput),
            "{err}"
        );
        c.noop().await.unwrap();

        // An aborted upload is not committed.
        let mut s = c.upload_stream("/aborted.bin", 0).await.unwrap();
        s.write_all(&data[..200_000]).await.unwrap();
        s.abort().await.unwrap();
        assert!(!c.exists("/aborted.bin").await.unwrap());
        assert!(srv.fs.read("/aborted.bin").is_none());
        c.quit().await.unwrap();
    });
}

/// Active mode, under async-std: the server connects to the client's listener.
#[test]
fn active_mode_under_async_std() {
    let srv = TestServer::start(Rt::AsyncStd, config(), MemoryFs::new().with_dir("/d"));
    let data = random_bytes(1 << 20, 77);
    async_std::task::block_on(async {
        let mut c = alice(&srv, options().active(true)).await;
        let mut s = c.upload_stream("/d/a.bin", 0).await.unwrap();
        s.write_all(&data).await.unwrap();
        s.finish().await.unwrap();
        let mut s = c.download_stream("/d/a.bin", 0).await.unwrap();
        let mut back = Vec::new();
        s.read_to_end(&mut back).await.unwrap();
        s.finish().await.unwrap();
        assert!(back == data);
        assert_eq!(names(&c.list("/d", false).await.unwrap()), ["/d/a.bin"]);
        // A dropped active download, then the next command.
        let mut s = c.download_stream("/d/a.bin", 0).await.unwrap();
        s.read_exact(&mut [0u8; 1000]).await.unwrap();
        drop(s);
        assert!(c.is_file("/d/a.bin").await.unwrap());
        c.quit().await.unwrap();
    });
    assert!(srv.fs.read("/d/a.bin").is_some_and(|b| b == data[..]));
}

/// Passive mode under async-std too, with PASV only.
#[test]
fn passive_pasv_under_async_std() {
    use sansftp::client::{Config as ClientConfig, PassiveCommand};
    let srv = TestServer::start(Rt::AsyncStd, config(), MemoryFs::new());
    async_std::task::block_on(async {
        let mut cfg = ClientConfig::default();
        cfg.passive_commands = vec![PassiveCommand::Pasv];
        let mut c = alice(&srv, options().config(cfg)).await;
        let mut s = c.upload_stream("/p.txt", 0).await.unwrap();
        s.write_all(b"passive").await.unwrap();
        s.finish().await.unwrap();
        let mut s = c.download_stream("/p.txt", 0).await.unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).await.unwrap();
        s.finish().await.unwrap();
        assert_eq!(text, "passive");
        c.quit().await.unwrap();
    });
}

#[test]
fn type_a_converts_line_ends_both_ways() {
    let srv = TestServer::start(Rt::Smol, config(), MemoryFs::new());
    let text: Vec<u8> = b"line one\nline two\n\nend".repeat(20_000);
    smol::block_on(async {
        let mut c = alice(&srv, options()).await;
        c.set_ascii(true);
        let mut s = c.upload_stream("/t.txt", 0).await.unwrap();
        // Odd-sized writes, so CR/LF pairs straddle them.
        for chunk in text.chunks(777) {
            s.write_all(chunk).await.unwrap();
        }
        s.finish().await.unwrap();
        // The server stores LF (it converts CRLF back): the file is unchanged.
        assert!(srv.fs.read("/t.txt").is_some_and(|b| b == text[..]));
        let mut s = c.download_stream("/t.txt", 0).await.unwrap();
        let mut back = Vec::new();
        s.read_to_end(&mut back).await.unwrap();
        let wire = s.bytes_moved();
        s.finish().await.unwrap();
        assert!(back == text);
        // CRLF on the wire: one more byte per line end.
        let lf = text.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(wire, text.len() as u64 + lf);
        c.set_ascii(false);
        let mut s = c.download_stream("/t.txt", 0).await.unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.unwrap();
        s.finish().await.unwrap();
        assert!(raw == text);
        c.quit().await.unwrap();
    });
}

/// Speed limits are lower bounds on the time a transfer takes (never an upper bound:
/// a busy machine may be slower).
#[test]
fn speed_limits_slow_transfers_down() {
    let srv = TestServer::start(Rt::Smol, config(), MemoryFs::new());
    let data = random_bytes(300 << 10, 8);
    smol::block_on(async {
        let limit = 1 << 20;
        let mut c = alice(&srv, options().write_limit(Some(limit))).await;
        let start = Instant::now();
        let mut s = c.upload_stream("/slow.bin", 0).await.unwrap();
        s.write_all(&data).await.unwrap();
        s.finish().await.unwrap();
        let took = start.elapsed();
        // 300 KiB at 1 MiB/s, less the burst the bucket may have saved up while idle
        // (a tenth of a second's worth): 190 ms at least.
        assert!(took >= Duration::from_millis(180), "upload took {took:?}");

        let limits = c.speed_limits();
        limits.set_write(None);
        limits.set_read(Some(limit));
        assert_eq!((limits.read(), limits.write()), (Some(limit), None));
        let start = Instant::now();
        let mut s = c.download_stream("/slow.bin", 0).await.unwrap();
        let mut back = Vec::new();
        s.read_to_end(&mut back).await.unwrap();
        s.finish().await.unwrap();
        let took = start.elapsed();
        assert!(back == data);
        assert!(took >= Duration::from_millis(180), "download took {took:?}");
        c.quit().await.unwrap();
    });
}

/// A server that accepts the connection and never says anything: the greeting wait
/// times out.
#[test]
fn socket_timeout_on_a_silent_server() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    smol::block_on(async {
        let start = Instant::now();
        let options = ClientOptions::new().socket_timeout(Duration::from_millis(300));
        let err = Client::connect_with(addr, options).await.unwrap_err();
        assert!(matches!(err, Error::Timeout(_)), "{err:?}");
        assert!(start.elapsed() >= Duration::from_millis(250));
        assert!(start.elapsed() < Duration::from_secs(5));
    });
    drop(listener);
}

/// Nothing listens: connect fails with an I/O error, not a hang.
#[test]
fn connect_refused_is_an_io_error() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    smol::block_on(async {
        let err = Client::connect_with(addr, options()).await.unwrap_err();
        assert!(matches!(err, Error::Io(_)), "{err:?}");
        // A name that resolves, as "host:port".
        let err = Client::connect(format!("localhost:{}", addr.port()))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Io(_)), "{err:?}");
    });
}

/// After `QUIT` the server closes; a server that closes mid-session is reported.
#[test]
fn anonymous_login_and_server_shutdown() {
    let srv = TestServer::start(
        Rt::Smol,
        config().user(User::anonymous()),
        MemoryFs::new().with_file("/f", "x"),
    );
    smol::block_on(async {
        let mut c = Client::connect_with(srv.addr, options()).await.unwrap();
        c.login_anonymous().await.unwrap();
        assert!(c.exists("/f").await.unwrap());
        srv.stop.shutdown(Duration::ZERO);
        // The server goes away: the next call fails instead of hanging.
        let mut failed = false;
        for _ in 0..50 {
            if c.noop().await.is_err() {
                failed = true;
                break;
            }
            async_io::Timer::after(Duration::from_millis(20)).await;
        }
        assert!(failed, "noop kept working after shutdown");
        assert!(c.noop().await.is_err());
    });
}

/// Calls cancelled at arbitrary points (the caller drops the future, as a `select` or a
/// timeout of its own does) leave the client usable: the next call finishes what the
/// core still holds, and no temporary file is left.
#[test]
fn cancelled_calls_leave_the_client_in_step() {
    let data = random_bytes(2 << 20, 13);
    let mut fs = MemoryFs::new().with_file("/big.bin", data.clone());
    for i in 0..6 {
        fs = fs.with_file(&format!("/d{i}/sub/f.txt"), "x");
    }
    let srv = TestServer::start(Rt::Smol, config(), fs);
    let local = tempfile::tempdir().unwrap();
    smol::block_on(async {
        // Downloads at 40 MiB/s take 50 ms: cancelled anywhere in their course.
        let mut c = alice(&srv, options().read_limit(Some(40 << 20))).await;
        for step in 0..30u64 {
            let cut = Duration::from_micros(150 * step);
            let target = local.path().join("big.bin");
            match step % 3 {
                0 => {
                    let list = c.list("/", true);
                    let _ = futures_lite::future::or(async { Some(list.await) }, async {
                        async_io::Timer::after(cut * 3).await;
                        None
                    })
                    .await;
                }
                1 => {
                    let dl = c.download("/big.bin", &target);
                    let _ = futures_lite::future::or(async { Some(dl.await) }, async {
                        async_io::Timer::after(cut * 12).await;
                        None
                    })
                    .await;
                }
                _ => {
                    let open = c.download_stream("/big.bin", 0);
                    let _ = futures_lite::future::or(async { Some(open.await.map(drop)) }, async {
                        async_io::Timer::after(cut / 3).await;
                        None
                    })
                    .await;
                }
            }
            assert_eq!(c.get_current_directory().await.unwrap(), "/", "step {step}");
            assert_eq!(c.list("/d0", true).await.unwrap().len(), 2, "step {step}");
        }
        // Only finished downloads, renamed into place, are left.
        for entry in std::fs::read_dir(local.path()).unwrap() {
            let name = entry.unwrap().file_name();
            assert_eq!(name, "big.bin");
        }
        let target = local.path().join("big.bin");
        c.download("/big.bin", &target).await.unwrap();
        assert!(std::fs::read(&target).unwrap() == data);
        c.quit().await.unwrap();
    });
}
