//! Client scenarios: login, directories, metadata, listings, raw commands, failures to
//! connect, a server that goes away.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use sansftp::client::{ClientOptions, ListCommand};
use sansftp::listing::Kind;
use sansftp::server::User;
use sansftp::{Code, Error, Mask};
use sansftp_storage::MemoryFs;

use super::{ClientHarness, FtpClient, alice, names, options};
use crate::server::{config, start};

/// Greeting and features, CWD/PWD (absolute, `..`, relative), `mkdir -p` twice, every
/// metadata query, rename, the three removals, raw commands and their masks.
pub fn directories_and_metadata<H: ClientHarness>(h: &H) {
    let fs = MemoryFs::new()
        .with_file("/pub/readme.txt", "hello\n")
        .with_file("/pub/sub/deep.bin", vec![7u8; 1000])
        .with_dir("/pub/empty");
    let srv = start(h, fs.clone(), config());
    let mut c = h
        .connect(&srv.addr().to_string(), options())
        .expect("connect");
    assert_eq!(c.greeting().code().value(), 220);
    assert!(c.features().is_none());
    c.login("alice", "secret").unwrap();
    assert!(c.features().is_some_and(|f| f.supports("MLST")));
    assert_eq!(c.get_current_directory().unwrap(), "/");
    c.change_directory("/pub").unwrap();
    assert_eq!(c.get_current_directory().unwrap(), "/pub");
    c.change_directory("..").unwrap();
    assert_eq!(c.get_current_directory().unwrap(), "/");
    assert!(c.change_directory("/missing").unwrap_err().received(550));

    // mkdir -p, twice: the second finds every level there.
    c.make_directory("/a/b/c", true).unwrap();
    c.make_directory("/a/b/c", true).unwrap();
    c.make_directory("/a/b", true).unwrap();
    assert!(c.is_dir("/a/b/c").unwrap());
    let err = c.make_directory("/x/y", false).unwrap_err();
    assert!(err.received(550) && err.is_permanent(), "{err}");
    c.change_directory("/a").unwrap();
    c.change_directory("b/c").unwrap();
    assert_eq!(c.get_current_directory().unwrap(), "/a/b/c");
    c.change_directory("/").unwrap();

    let item = c.stat("/pub/sub/deep.bin").unwrap();
    assert_eq!((item.entry.kind, item.entry.size), (Kind::File, Some(1000)));
    assert!(c.stat("/pub/nothing").unwrap_err().received(550));
    assert!(c.exists("/pub/readme.txt").unwrap());
    assert!(!c.exists("/pub/nothing").unwrap());
    assert!(c.is_file("/pub/readme.txt").unwrap());
    assert!(!c.is_file("/pub/sub").unwrap());
    assert!(!c.is_file("/pub/nothing").unwrap());
    assert!(c.is_dir("/pub/sub").unwrap());
    assert!(!c.is_dir("/pub/readme.txt").unwrap());
    assert_eq!(c.size("/pub/sub/deep.bin").unwrap(), 1000);
    let modified = c.modified("/pub/readme.txt").unwrap();
    let now = sansftp::time::DateTime::from_system_time(std::time::SystemTime::now())
        .unwrap()
        .to_unix();
    assert!((now - modified.to_unix()).abs() < 3600, "{modified:?}");
    assert!(modified.year() >= 2024, "{modified:?}");

    c.rename("/pub/readme.txt", "/pub/README").unwrap();
    assert!(!c.exists("/pub/readme.txt").unwrap());
    assert!(c.is_file("/pub/README").unwrap());
    assert!(c.rename("/pub/gone", "/pub/x").unwrap_err().received(550));
    c.remove_file("/pub/README").unwrap();
    c.remove_directory("/pub/empty").unwrap();
    assert!(c.remove_directory("/pub/sub").unwrap_err().is_permanent());
    c.remove("/pub").unwrap();
    assert!(!c.exists("/pub").unwrap());
    assert!(fs.read("/pub/sub/deep.bin").is_none());

    c.noop().unwrap();
    let reply = c
        .command("SYST", &[Mask::COMPLETION], &[])
        .unwrap()
        .unwrap();
    assert_eq!(reply.code().value(), 215);
    let err = c
        .command("SYST", &[Mask::PERMANENT_NEGATIVE], &[])
        .unwrap_err();
    assert!(err.received(215), "{err}");
    assert!(
        c.command("NOOP\r\nDELE x", &[Mask::COMPLETION], &[])
            .is_err()
    );
    let err = c
        .command("MKD /a", &[Mask::exact(Code::PATH_CREATED)], &[])
        .unwrap_err();
    assert!(err.received(550), "{err}");
    c.noop().unwrap();
    c.quit().unwrap();
}

/// MLSD and LIST, flat and recursive, relative to the current directory, as a stream
/// (dropped early too), and a listing error.
pub fn listings<H: ClientHarness>(h: &H) {
    let fs = MemoryFs::new()
        .with_file("/d/one.txt", "1")
        .with_file("/d/sub/two.txt", "22")
        .with_file("/d/sub/deeper/three.txt", "333")
        .with_dir("/d/empty");
    let srv = start(h, fs, config());
    let mut c = alice(h, srv.addr());
    let flat = c.list("/d", false).unwrap();
    assert_eq!(names(&flat), ["/d/empty", "/d/one.txt", "/d/sub"]);
    let one = flat.iter().find(|i| i.path == b"/d/one.txt").unwrap();
    assert_eq!((one.entry.kind, one.entry.size), (Kind::File, Some(1)));
    let via_list = c.list_with("/d", false, ListCommand::List).unwrap();
    assert_eq!(names(&via_list), names(&flat));
    let sub = via_list.iter().find(|i| i.path == b"/d/sub").unwrap();
    assert_eq!(sub.entry.kind, Kind::Dir);

    let want = [
        "/d/empty",
        "/d/one.txt",
        "/d/sub",
        "/d/sub/deeper",
        "/d/sub/deeper/three.txt",
        "/d/sub/two.txt",
    ];
    assert_eq!(names(&c.list("/d", true).unwrap()), want);
    assert_eq!(
        names(&c.list_with("/d", true, ListCommand::List).unwrap()),
        want
    );
    let streamed: Vec<_> = c
        .list_stream("/d", true)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(names(&streamed), want);

    // Relative to the current directory.
    c.change_directory("/d").unwrap();
    assert_eq!(
        names(&c.list("", false).unwrap()),
        ["empty", "one.txt", "sub"]
    );
    c.change_directory("/").unwrap();

    // A stream dropped after its first entry: the next call finishes it first.
    {
        let mut s = c.list_stream("/d", true).unwrap();
        assert!(s.next().unwrap().is_ok());
    }
    assert_eq!(c.get_current_directory().unwrap(), "/");

    assert!(c.list("/no/such/dir", false).unwrap_err().received(550));
    // From a stream the error comes as an item (or at once), then nothing.
    match c.list_stream("/nope", false) {
        Err(e) => assert!(e.received(550), "{e}"),
        Ok(mut s) => {
            assert!(s.next().unwrap().unwrap_err().received(550));
            assert!(s.next().is_none());
        }
    }
    assert_eq!(
        names(&c.list("/d/sub/deeper", false).unwrap()),
        ["/d/sub/deeper/three.txt"]
    );
    c.quit().unwrap();
}

/// A wrong password is a 530 status error; a right one after it works.
pub fn wrong_password_then_right<H: ClientHarness>(h: &H) {
    let srv = start(h, MemoryFs::new(), config());
    let mut c = h.connect(&srv.addr().to_string(), options()).unwrap();
    let err = c.login("alice", "wrong").unwrap_err();
    assert!(err.received(530), "{err}");
    assert!(matches!(err, Error::StatusCode(_)), "{err:?}");
    c.login("alice", "secret").unwrap();
    assert_eq!(c.get_current_directory().unwrap(), "/");
    c.quit().unwrap();
}

/// Anonymous login; then the server shuts down and the next calls fail instead of
/// hanging.
pub fn anonymous_login_and_server_shutdown<H: ClientHarness>(h: &H) {
    let srv = start(
        h,
        MemoryFs::new().with_file("/f", "x"),
        config().user(User::anonymous()),
    );
    let mut c = h.connect(&srv.addr().to_string(), options()).unwrap();
    c.login_anonymous().unwrap();
    assert_eq!(c.get_current_directory().unwrap(), "/");
    assert!(c.exists("/f").unwrap());
    srv.stopper()(Duration::ZERO);
    let mut failed = false;
    for _ in 0..50 {
        if c.noop().is_err() {
            failed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(failed, "noop kept working after shutdown");
    assert!(c.noop().is_err());
}

/// A server that accepts and never speaks: the greeting wait times out.
pub fn socket_timeout_on_a_silent_server<H: ClientHarness>(h: &H) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let holder = std::thread::spawn(move || {
        // Accept and say nothing; keep the socket open until the client gives up.
        let (s, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(s);
    });
    let started = Instant::now();
    let opts = ClientOptions::new().socket_timeout(Duration::from_millis(300));
    let Err(err) = h.connect(&addr.to_string(), opts) else {
        panic!("connected to a silent server");
    };
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(started.elapsed() < Duration::from_secs(3));
    holder.join().unwrap();
}

/// Nothing listens: connecting fails with an I/O error, by address and by name.
pub fn connect_refused_is_io<H: ClientHarness>(h: &H) {
    let port = crate::ftp::free_port();
    let Err(err) = h.connect(&format!("127.0.0.1:{port}"), options()) else {
        panic!("connected to a closed port");
    };
    assert!(matches!(err, Error::Io(_)), "{err:?}");
    let Err(err) = h.connect_default(&format!("localhost:{port}")) else {
        panic!("connected to a closed port");
    };
    assert!(matches!(err, Error::Io(_)), "{err:?}");
}
