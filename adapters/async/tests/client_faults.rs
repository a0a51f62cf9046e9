//! `sansftp_async::Client` against scripted misbehaving servers: stalls, garbage,
//! early closes. Each must end in an error, never a hang or a panic.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use futures_lite::AsyncReadExt;
use sansftp::Error;
use sansftp::client::tree::{Plan, Warning};
use sansftp_async::{Client, ClientOptions, DataStream, ListStream};

/// Runs `script` on the first connection to a fresh loopback listener.
fn fake(script: impl FnOnce(TcpStream) + Send + 'static) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let join = std::thread::spawn(move || {
        if let Ok((s, _)) = listener.accept() {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            script(s);
        }
    });
    (addr, join)
}

/// Answers command lines from a table until the client goes away; `on` may take over
/// a command (returning `true`).
fn serve(mut s: TcpStream, mut on: impl FnMut(&str, &mut TcpStream) -> bool) {
    s.write_all(b"220 fake\r\n").unwrap();
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
        let cmd = line.trim_end().to_owned();
        line.clear();
        if on(&cmd, &mut s) {
            continue;
        }
        let verb = cmd
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "USER" => b"331 password\r\n",
            "PASS" => b"230 in\r\n",
            "FEAT" => b"211-Features:\r\n SIZE\r\n MLST type*;size*;\r\n211 End\r\n",
            "TYPE" => b"200 type\r\n",
            "NOOP" => b"200 noop\r\n",
            "ABOR" => b"426 aborted\r\n226 abort done\r\n",
            "QUIT" => b"221 bye\r\n",
            _ => b"502 no\r\n",
        };
        if s.write_all(reply).is_err() {
            break;
        }
    }
}

fn options() -> ClientOptions {
    ClientOptions::new()
        .connect_timeout(Duration::from_secs(5))
        .socket_timeout(Duration::from_millis(400))
}

/// A download whose data connection stalls: the read times out, and the transfer is
/// aborted with the control channel back in step.
#[test]
fn stalled_download_times_out() {
    let (addr, join) = fake(|s| {
        let data = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = data.local_addr().unwrap().port();
        let mut held = Vec::new();
        serve(s, move |cmd, s| match cmd {
            "EPSV" => {
                write!(s, "229 ok (|||{port}|)\r\n").unwrap();
                held.push(data.accept().unwrap().0);
                true
            }
            "RETR slow" => {
                s.write_all(b"150 here it comes\r\n").unwrap();
                if let Some(d) = held.last_mut() {
                    d.write_all(b"0123456789").unwrap();
                }
                true
            }
            _ => false,
        });
    });
    smol::block_on(async {
        let mut c = Client::connect_with(addr, options()).await.unwrap();
        c.login("u", "p").await.unwrap();
        for finish in [true, false] {
            let mut s = c.download_stream("slow", 0).await.unwrap();
            let mut buf = vec![0u8; 100];
            let start = Instant::now();
            let mut got = 0;
            let err = loop {
                match s.read(&mut buf).await {
                    Ok(n) => got += n,
                    Err(e) => break e,
                }
            };
            assert_eq!(got, 10);
            assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
            assert!(start.elapsed() >= Duration::from_millis(350));
            if finish {
                // The transfer failed: finish says so (after aborting it in step).
                let err = s.finish().await.unwrap_err();
                assert!(matches!(err, Error::Timeout(_)), "{err:?}");
            } else {
                s.abort().await.unwrap();
            }
            c.noop().await.unwrap();
        }
        c.noop().await.unwrap();
        c.quit().await.unwrap();
    });
    join.join().unwrap();
}

/// A server that stops answering mid-session: the reply timeout ends the call with
/// `Error::Timeout`, and the session is closed afterwards.
#[test]
fn silent_reply_times_out_and_closes() {
    let (addr, join) = fake(|s| {
        serve(s, |cmd, _| {
            if cmd == "PWD" {
                std::thread::sleep(Duration::from_secs(1));
                return true;
            }
            false
        })
    });
    smol::block_on(async {
        let mut c = Client::connect_with(addr, options()).await.unwrap();
        c.login("u", "p").await.unwrap();
        let err = c.get_current_directory().await.unwrap_err();
        assert!(matches!(err, Error::Timeout(_)), "{err:?}");
        assert!(c.noop().await.is_err());
    });
    join.join().unwrap();
}

/// Garbage instead of a reply, and a close right after the greeting: errors, no panic.
#[test]
fn garbage_and_early_close() {
    let (addr, join) = fake(|mut s| {
        s.write_all(b"hello there\r\n").unwrap();
    });
    smol::block_on(async {
        let err = Client::connect_with(addr, options()).await.unwrap_err();
        assert!(matches!(err, Error::MalformedReply(_)), "{err:?}");
    });
    join.join().unwrap();

    let (addr, join) = fake(|mut s| {
        s.write_all(b"220 hi\r\n").unwrap();
    });
    smol::block_on(async {
        let mut c = Client::connect_with(addr, options()).await.unwrap();
        join.join().unwrap();
        let err = c.login("u", "p").await.unwrap_err();
        assert!(
            matches!(err, Error::ConnectionClosed | Error::Io(_)),
            "{err:?}"
        );
        assert!(c.noop().await.is_err());
    });

    // A 421 greeting: the server refuses the session.
    let (addr, join) = fake(|mut s| {
        s.write_all(b"421 too many users\r\n").unwrap();
    });
    smol::block_on(async {
        let err = Client::connect_with(addr, options()).await.unwrap_err();
        assert!(
            err.received(421) || matches!(err, Error::ConnectionClosed),
            "{err:?}"
        );
    });
    join.join().unwrap();
}

/// A hostile listing cannot make a tree download write outside its target.
#[test]
fn hostile_listing_names_are_refused() {
    let (addr, join) = fake(|s| {
        let data = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = data.local_addr().unwrap().port();
        serve(s, move |cmd, s| {
            if cmd == "MLST /d" {
                s.write_all(b"250-facts\r\n type=dir; /d\r\n250 end\r\n")
                    .unwrap();
                return true;
            }
            if cmd == "EPSV" {
                write!(s, "229 ok (|||{port}|)\r\n").unwrap();
                let (mut d, _) = data.accept().unwrap();
                let mut reader = BufReader::new(s.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                s.write_all(b"150 listing\r\n").unwrap();
                d.write_all(b"type=file;size=1; ../../escape\r\n").unwrap();
                drop(d);
                s.write_all(b"226 done\r\n").unwrap();
                return true;
            }
            false
        })
    });
    let local = tempfile::tempdir().unwrap();
    let target = local.path().join("inner/target");
    smol::block_on(async {
        let mut c = Client::connect_with(addr, options()).await.unwrap();
        c.login("u", "p").await.unwrap();
        // The tree copy skips a name that is not one path component, and says so.
        let copied = c.run_plan(Plan::download("/d", &target)).await.unwrap();
        assert_eq!(copied.files, 0);
        assert_eq!(
            copied.warnings,
            [Warning::UnsafeName {
                dir: b"/d".to_vec(),
                name: b"../../escape".to_vec()
            }]
        );
        c.quit().await.unwrap();
    });
    assert!(!local.path().join("escape").exists());
    assert!(!local.path().join("inner/escape").exists());
    join.join().unwrap();
}

/// Active mode against a server that never connects: the wait for its connection ends
/// with the connect timeout, and the transfer is aborted in step.
#[test]
fn active_mode_accept_times_out() {
    let (addr, join) = fake(|s| {
        serve(s, |cmd, s| {
            if cmd.starts_with("PORT ") || cmd.starts_with("EPRT ") {
                s.write_all(b"200 port ok\r\n").unwrap();
                return true;
            }
            if cmd == "RETR never" {
                s.write_all(b"150 connecting (not really)\r\n").unwrap();
                return true;
            }
            false
        })
    });
    smol::block_on(async {
        let options = options()
            .active(true)
            .connect_timeout(Duration::from_millis(300));
        let mut c = Client::connect_with(addr, options).await.unwrap();
        c.login("u", "p").await.unwrap();
        let start = Instant::now();
        let err = c.download_stream("never", 0).await.unwrap_err();
        assert!(matches!(err, Error::Timeout(_)), "{err:?}");
        assert!(start.elapsed() >= Duration::from_millis(250));
        c.noop().await.unwrap();
        c.quit().await.unwrap();
    });
    join.join().unwrap();
}

/// `USER`, `PASS`, then `ACCT` when the server asks for an account (332).
#[test]
fn login_with_account() {
    let (addr, join) = fake(|s| {
        serve(s, |cmd, s| {
            let reply: &[u8] = match cmd {
                "PASS p" => b"332 need account\r\n",
                "ACCT acc" => b"230 in with account\r\n",
                _ => return false,
            };
            s.write_all(reply).unwrap();
            true
        })
    });
    smol::block_on(async {
        let mut c = Client::connect_with(addr, options()).await.unwrap();
        assert_eq!(c.greeting().text().trim(), "fake");
        // Asked for an account, with none to give: the core refuses an empty `ACCT`.
        let err = c.login("u", "p").await.unwrap_err();
        assert!(matches!(err, Error::InvalidCommand(_)), "{err:?}");
        c.login_with_account("u", "p", "acc").await.unwrap();
        c.quit().await.unwrap();
    });
    join.join().unwrap();
}

/// `command("")` sends nothing (decided in the core; the old async client sent an
/// empty line, whose `502` then answered the next command) and reads the reply the
/// server sent on its own.
#[test]
fn an_empty_command_sends_nothing_and_reads_a_reply() {
    let (addr, join) = fake(|s| {
        serve(s, |cmd, s| {
            if cmd != "NOOP" {
                return false;
            }
            s.write_all(b"200 noop\r\n200 unprompted\r\n").unwrap();
            true
        })
    });
    smol::block_on(async {
        let mut c = Client::connect_with(addr, options()).await.unwrap();
        c.login("u", "p").await.unwrap();
        c.noop().await.unwrap();
        let done = [sansftp::Mask::COMPLETION];
        let reply = c.command("", &done, &[]).await.unwrap().unwrap();
        assert_eq!(reply.text().trim(), "unprompted");
        let refused = [sansftp::Mask::PERMANENT_NEGATIVE];
        let reply = c.command("SYST", &refused, &[]).await.unwrap().unwrap();
        assert_eq!(reply.code().value(), 502, "SYST's own answer, in step");
        c.quit().await.unwrap();
    });
    join.join().unwrap();
}

/// The client, its streams and its futures can move between threads (spawned tasks).
#[allow(dead_code)]
fn futures_are_send(c: &mut Client) {
    fn send<T: Send>(_: &T) {}
    send(&*c);
    send(&c.list("/", true));
    send(&c.download("/a", "b"));
    send(&c.upload("a", "/b"));
    send(&c.download_stream("/a", 0));
    send(&c.list_stream("/", false));
    fn send_type<T: Send>() {}
    send_type::<DataStream<'static>>();
    send_type::<ListStream<'static>>();
}
