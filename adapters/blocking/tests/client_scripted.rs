//! `sansftp_blocking::Client` against a scripted server written in the test: the bytes
//! on the wire (`TYPE A` conversion of uploads) and peers that misbehave (garbage
//! replies, a closed connection, a data connection that never comes).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sansftp::Error;
use sansftp::client::tree::{Plan, Warning};
use sansftp_blocking::{Client, ClientOptions};

const TIMEOUT: Duration = Duration::from_secs(10);

/// The server's end of the control connection.
struct Peer {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Peer {
    fn say(&mut self, line: &str) {
        self.writer.write_all(line.as_bytes()).unwrap();
    }

    /// Reads one command line and checks that it starts with `prefix`.
    fn expect(&mut self, prefix: &str) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        assert!(line.starts_with(prefix), "expected {prefix}, got {line:?}");
        line
    }

    /// `USER` -> 230, `FEAT` -> a bare 211.
    fn login(&mut self) {
        self.expect("USER");
        self.say("230 in\r\n");
        self.expect("FEAT");
        self.say("211 nothing\r\n");
    }
}

/// Runs `script` as the server of one control connection.
fn serve(script: impl FnOnce(Peer) + Send + 'static) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut peer = Peer {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        };
        peer.say("220 scripted\r\n");
        script(peer);
    });
    (addr, handle)
}

fn options() -> ClientOptions {
    ClientOptions::new()
        .connect_timeout(Duration::from_secs(2))
        .socket_timeout(Duration::from_secs(2))
}

#[test]
fn ascii_upload_sends_crlf_on_the_wire() {
    let (tx, rx) = mpsc::channel();
    let (addr, server) = serve(move |mut p| {
        p.login();
        p.expect("TYPE A");
        p.say("200 ascii\r\n");
        p.expect("EPSV");
        let data = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = data.local_addr().unwrap().port();
        p.say(&format!(
            "229 Entering Extended Passive Mode (|||{port}|)\r\n"
        ));
        p.expect("STOR /t.txt");
        p.say("150 go\r\n");
        let (mut d, _) = data.accept().unwrap();
        let mut got = Vec::new();
        d.read_to_end(&mut got).unwrap();
        tx.send(got).unwrap();
        p.say("226 done\r\n");
        p.expect("QUIT");
        p.say("221 bye\r\n");
    });
    let mut c = Client::connect_with(addr, options()).unwrap();
    c.login("u", "p").unwrap();
    c.set_ascii(true);
    let mut s = c.upload_stream("/t.txt", 0).unwrap();
    let shown = format!("{s:?}");
    assert!(shown.len() < 1000, "{shown}");
    s.write_all(b"a\nb\r\n").unwrap();
    s.write_all(b"\nc").unwrap();
    s.finish().unwrap();
    c.quit().unwrap();
    assert_eq!(rx.recv().unwrap(), b"a\r\nb\r\n\r\nc");
    server.join().unwrap();
}

#[test]
fn garbage_reply_is_an_error_and_closes_the_session() {
    let (addr, server) = serve(|mut p| {
        p.expect("USER");
        p.say("hello there, not a reply\r\n");
        // The client gives up on the connection.
        let mut rest = String::new();
        let _ = p.reader.read_line(&mut rest);
    });
    let mut c = Client::connect_with(addr, options()).unwrap();
    let err = c.login("u", "p").unwrap_err();
    assert!(matches!(err, Error::MalformedReply(_)), "{err:?}");
    let err = c.noop().unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed), "{err:?}");
    server.join().unwrap();
}

#[test]
fn server_closing_mid_operation_is_an_error() {
    let (addr, server) = serve(|mut p| {
        p.login();
        p.expect("PWD");
        // Half a reply, then gone.
        p.say("257 \"/ha");
    });
    let mut c = Client::connect_with(addr, options()).unwrap();
    c.login("u", "p").unwrap();
    let err = c.get_current_directory().unwrap_err();
    assert!(
        matches!(err, Error::ConnectionClosed | Error::Io(_)),
        "{err:?}"
    );
    assert!(c.noop().is_err());
    server.join().unwrap();
}

#[test]
fn a_passive_port_nobody_listens_on_fails_the_transfer_not_the_session() {
    let (addr, server) = serve(|mut p| {
        p.login();
        p.expect("TYPE I");
        p.say("200 binary\r\n");
        p.expect("EPSV");
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        p.say(&format!("229 (|||{port}|)\r\n"));
        p.expect("NOOP");
        p.say("200 still here\r\n");
    });
    let mut c = Client::connect_with(addr, options()).unwrap();
    c.login("u", "p").unwrap();
    let err = c.download_stream("/f", 0).unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
    c.noop().unwrap();
    server.join().unwrap();
}

#[test]
fn active_mode_without_the_servers_connection_times_out() {
    let (addr, server) = serve(|mut p| {
        p.login();
        p.expect("TYPE I");
        p.say("200 binary\r\n");
        p.expect("PORT");
        p.say("200 ok\r\n");
        p.expect("RETR");
        // Says it starts, never connects.
        p.say("150 go\r\n");
        p.expect("ABOR");
        p.expect("NOOP");
        p.say("226 aborted\r\n200 ok\r\n");
    });
    let opts = ClientOptions::new()
        .active(true)
        .connect_timeout(Duration::from_millis(300))
        .socket_timeout(Duration::from_secs(2));
    let mut c = Client::connect_with(addr, opts).unwrap();
    c.login("u", "p").unwrap();
    let started = Instant::now();
    let err = c.download_stream("/f", 0).unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    server.join().unwrap();
}

#[test]
fn client_and_limits_can_move_between_threads() {
    fn send<T: Send>() {}
    fn shared<T: Send + Sync>() {}
    send::<Client>();
    shared::<sansftp_blocking::SpeedLimits>();
}

#[test]
fn a_transfer_the_server_completes_at_once_is_an_empty_stream() {
    let (addr, server) = serve(|mut p| {
        p.login();
        p.expect("TYPE I");
        p.say("200 binary\r\n");
        p.expect("EPSV");
        let data = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = data.local_addr().unwrap().port();
        p.say(&format!("229 (|||{port}|)\r\n"));
        p.expect("RETR");
        // No 150 and no data: the transfer is over at once.
        p.say("226 nothing to send\r\n");
        p.expect("NOOP");
        p.say("200 ok\r\n");
    });
    let mut c = Client::connect_with(addr, options()).unwrap();
    c.login("u", "p").unwrap();
    let mut s = c.download_stream("/empty", 0).unwrap();
    let mut v = Vec::new();
    assert_eq!(s.read_to_end(&mut v).unwrap(), 0);
    s.finish().unwrap();
    c.noop().unwrap();
    server.join().unwrap();
}

#[test]
fn a_listing_naming_paths_outside_the_tree_cannot_escape_a_download() {
    let (addr, server) = serve(|mut p| {
        p.expect("USER");
        p.say("230 in\r\n");
        p.expect("FEAT");
        p.say("211-Features:\r\n MLST type*;size*;\r\n211 End\r\n");
        p.expect("MLST /d");
        p.say("250-Listing /d\r\n type=dir; /d\r\n250 End\r\n");
        p.expect("EPSV");
        let data = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = data.local_addr().unwrap().port();
        p.say(&format!("229 (|||{port}|)\r\n"));
        p.expect("MLSD /d");
        p.say("150 here\r\n");
        let (mut d, _) = data.accept().unwrap();
        d.write_all(b"type=file;size=1; ../../evil\r\n").unwrap();
        drop(d);
        p.say("226 done\r\n");
        let mut rest = String::new();
        let _ = p.reader.read_line(&mut rest);
    });
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("in/dst");
    let mut c = Client::connect_with(addr, options()).unwrap();
    c.login("u", "p").unwrap();
    // The tree copy skips a name that is not one path component, and says so.
    let copied = c.run_plan(Plan::download("/d", &target)).unwrap();
    assert_eq!(copied.files, 0);
    assert_eq!(
        copied.warnings,
        [Warning::UnsafeName {
            dir: b"/d".to_vec(),
            name: b"../../evil".to_vec()
        }]
    );
    assert!(!local.path().join("evil").exists());
    assert!(!local.path().join("in/evil").exists());
    drop(c);
    server.join().unwrap();
}

#[test]
fn login_with_account_sends_acct_when_asked() {
    let (addr, server) = serve(|mut p| {
        assert_eq!(p.expect("USER"), "USER bob\r\n");
        p.say("331 password\r\n");
        assert_eq!(p.expect("PASS"), "PASS pw\r\n");
        p.say("332 account\r\n");
        assert_eq!(p.expect("ACCT"), "ACCT acc\r\n");
        p.say("230 in\r\n");
        p.expect("FEAT");
        p.say("502 no FEAT\r\n");
        p.expect("QUIT");
        p.say("221 bye\r\n");
    });
    let mut c = Client::connect_with(addr, options()).unwrap();
    c.login_with_account("bob", "pw", "acc").unwrap();
    assert!(c.features().is_some_and(|f| f.iter().count() == 0));
    c.quit().unwrap();
    server.join().unwrap();
}

#[test]
fn a_dropped_upload_resets_its_data_connection_then_aborts() {
    let (tx, rx) = mpsc::channel();
    let (addr, server) = serve(move |mut p| {
        p.login();
        p.expect("TYPE I");
        p.say("200 binary\r\n");
        p.expect("EPSV");
        let data = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = data.local_addr().unwrap().port();
        p.say(&format!("229 (|||{port}|)\r\n"));
        p.expect("STOR /cut.bin");
        p.say("150 go\r\n");
        let (mut d, _) = data.accept().unwrap();
        let mut got = Vec::new();
        // A reset, not an end of file: the server can tell the upload was cut off.
        tx.send(d.read_to_end(&mut got).map_err(|e| e.kind()))
            .unwrap();
        p.expect("ABOR");
        p.expect("NOOP");
        p.say("426 aborted\r\n226 abort ok\r\n200 ok\r\n");
        p.expect("PWD");
        p.say("257 \"/\"\r\n");
    });
    let mut c = Client::connect_with(addr, options()).unwrap();
    c.login("u", "p").unwrap();
    let mut s = c.upload_stream("/cut.bin", 0).unwrap();
    s.write_all(&[7u8; 10_000]).unwrap();
    drop(s);
    assert_eq!(c.get_current_directory().unwrap(), "/");
    let read = rx.recv().unwrap();
    assert!(read.is_err(), "{read:?}");
    server.join().unwrap();
}

/// The core decides `is_dir` (issue 8): an `MLST` answer of `type=cdir` (the server's
/// name for the directory asked about) is a directory; the old blocking client compared
/// with `Kind::Dir` and said no.
#[test]
fn an_mlst_answer_of_type_cdir_is_a_directory() {
    let (addr, server) = serve(|mut p| {
        p.expect("USER");
        p.say("230 in\r\n");
        p.expect("FEAT");
        p.say("211-Features:\r\n MLST type*;modify*;\r\n211 End\r\n");
        for _ in 0..2 {
            p.expect("MLST /d");
            p.say("250-Listing /d\r\n type=cdir;modify=20240101000000; /d\r\n250 End\r\n");
        }
        p.expect("QUIT");
        p.say("221 bye\r\n");
    });
    let mut c = Client::connect_with(addr, options()).unwrap();
    c.login("u", "p").unwrap();
    assert!(c.is_dir("/d").unwrap());
    assert!(!c.is_file("/d").unwrap());
    c.quit().unwrap();
    server.join().unwrap();
}

/// A download read to its end and then dropped is complete (the core's
/// `end_transfer`): no `ABOR`, and the next command's reply is its own. The old blocking
/// client sent `ABOR` and `NOOP`.
#[test]
fn a_download_dropped_after_its_end_sends_no_abor() {
    let (addr, server) = serve(|mut p| {
        p.login();
        p.expect("TYPE I");
        p.say("200 binary\r\n");
        p.expect("EPSV");
        let data = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = data.local_addr().unwrap().port();
        p.say(&format!("229 ok (|||{port}|)\r\n"));
        p.expect("RETR /f");
        p.say("150 go\r\n");
        let (mut d, _) = data.accept().unwrap();
        d.write_all(b"hello").unwrap();
        drop(d);
        p.say("226 done\r\n");
        // The very next command is the application's, not an ABOR.
        p.expect("PWD");
        p.say("257 \"/\"\r\n");
        p.expect("QUIT");
        p.say("221 bye\r\n");
    });
    let mut c = Client::connect_with(addr, options()).unwrap();
    c.login("u", "p").unwrap();
    let mut s = c.download_stream("/f", 0).unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    drop(s);
    assert_eq!(got, b"hello");
    assert_eq!(c.get_current_directory().unwrap(), "/");
    c.quit().unwrap();
    server.join().unwrap();
}

/// `command("")` sends nothing (decided in the core, the same in both adapters) and
/// reads the reply the server sends on its own.
#[test]
fn an_empty_command_sends_nothing_and_reads_a_reply() {
    let (addr, server) = serve(|mut p| {
        p.login();
        p.say("200 unprompted\r\n");
        p.expect("QUIT");
        p.say("221 bye\r\n");
    });
    let mut c = Client::connect_with(addr, options()).unwrap();
    c.login("u", "p").unwrap();
    let reply = c.command("", &[sansftp::Mask::COMPLETION], &[]).unwrap();
    assert_eq!(reply.unwrap().code().value(), 200);
    c.quit().unwrap();
    server.join().unwrap();
}
