//! Transcript tests: the client core fed server bytes by hand, as odd real servers send
//! them, with virtual time. Each checks what the client sends and what it concludes.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sansftp::Error;
use sansftp::client::{
    Config, DataMode, ListCommand, Operation, Output, Request, Session, TransferEnd, TransferKind,
    Value,
};
use sansftp::listing::Kind;
use sansftp::time::DateTime;

const SERVER: &str = "192.0.2.1:21";
const LOCAL: &str = "192.0.2.9:50000";

/// A client session and what it has put out so far.
struct Script {
    s: Session,
    now: Instant,
    /// The wall clock given with each start.
    wall: DateTime,
    sent: String,
    connects: Vec<SocketAddr>,
    transfers: Vec<TransferKind>,
    entries: Vec<sansftp::client::Item>,
    done: Vec<Result<Value, Error>>,
    closed: bool,
    close_data: usize,
}

impl Script {
    fn new(config: Config, greeting: &[u8]) -> Script {
        let now = Instant::now();
        let s = Session::new(config, SERVER.parse().unwrap(), LOCAL.parse().unwrap(), now);
        let mut script = Script {
            s,
            now,
            wall: DateTime::UNIX_EPOCH,
            sent: String::new(),
            connects: Vec::new(),
            transfers: Vec::new(),
            entries: Vec::new(),
            done: Vec::new(),
            closed: false,
            close_data: 0,
        };
        script.server(greeting);
        script
    }

    fn drain(&mut self) {
        while let Some(out) = self.s.poll_output() {
            match out {
                Output::Send(b) => self.sent.push_str(&String::from_utf8_lossy(&b)),
                Output::Connect(a) => self.connects.push(a),
                Output::Listen(_) => {}
                Output::Transfer(t) => self.transfers.push(t.kind),
                Output::CloseData => self.close_data += 1,
                Output::Entry(i) => self.entries.push(i),
                Output::Done(r) => self.done.push(r),
                Output::Close => self.closed = true,
                _ => {}
            }
        }
    }

    /// Feeds server bytes; returns what the client sent in response.
    fn server(&mut self, bytes: &[u8]) -> String {
        let start = self.sent.len();
        self.s.handle_control(bytes, self.now);
        self.drain();
        self.sent[start..].to_string()
    }

    fn start(&mut self, op: Operation) -> String {
        let start = self.sent.len();
        self.s.start(op, self.now, self.wall).expect("not busy");
        self.drain();
        self.sent[start..].to_string()
    }

    fn with(&mut self, f: impl FnOnce(&mut Session, Instant)) -> String {
        let start = self.sent.len();
        f(&mut self.s, self.now);
        self.drain();
        self.sent[start..].to_string()
    }

    fn last(&mut self) -> Result<Value, Error> {
        self.done.pop().expect("an operation ended")
    }
}

fn greeted(greeting: &[u8]) -> Script {
    let mut s = Script::new(Config::default(), greeting);
    assert!(matches!(s.last(), Ok(Value::Greeting(_))));
    s
}

#[test]
fn multi_line_greeting_after_120() {
    let mut s = Script::new(Config::default(), b"120 ready in 2 minutes\r\n");
    assert!(s.done.is_empty(), "120 is only a wait");
    s.server(b"220-Welcome\r\n220-to the\r\n220 server\r\n");
    match s.last() {
        Ok(Value::Greeting(r)) => assert_eq!(r.lines().len(), 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn greeting_refused_with_421_is_an_error() {
    let mut s = Script::new(Config::default(), b"421 Too many users\r\n");
    let err = s.last().unwrap_err();
    assert!(
        matches!(err, Error::ConnectionClosed) || err.received(421),
        "{err}"
    );
    assert!(s.closed);
}

#[test]
fn login_without_feat_support_then_list_falls_back_to_list() {
    let mut s = greeted(b"220 old server\r\n");
    assert_eq!(
        s.start(Operation::Login {
            user: "u".into(),
            password: "p".into(),
            account: String::new()
        }),
        "USER u\r\n"
    );
    assert_eq!(s.server(b"331 password\r\n"), "PASS p\r\n");
    assert_eq!(s.server(b"230 ok\r\n"), "FEAT\r\n");
    assert_eq!(s.server(b"500 FEAT not understood\r\n"), "");
    assert!(matches!(s.last(), Ok(Value::None)));
    assert!(!s.s.features().unwrap().supports("MLST"));

    // Known to lack MLST: LIST straight away, and the IIS format parses.
    s.wall = DateTime::date(2024, 6, 1).unwrap();
    assert_eq!(
        s.start(Operation::List {
            path: Vec::new(),
            recursive: false,
            command: ListCommand::Auto
        }),
        "EPSV\r\n"
    );
    assert_eq!(
        s.server(b"229 Entering Extended Passive Mode (|||40001|)\r\n"),
        ""
    );
    assert_eq!(s.connects, ["192.0.2.1:40001".parse().unwrap()]);
    assert_eq!(s.with(|c, now| c.data_connected(now)), "LIST\r\n");
    s.server(b"125 Data connection already open; Transfer starting.\r\n");
    assert_eq!(s.transfers, [TransferKind::Listing]);
    s.with(|c, now| {
        c.handle_data(b"06-07-22  12:55PM       <DIR>          pub\r\n10-03-2018  02:58PM    1,234 a b.txt\r\n", now);
        c.data_done(now);
    });
    assert!(s.done.is_empty(), "the final reply is still due");
    s.server(b"226 Transfer complete.\r\n");
    assert!(matches!(s.last(), Ok(Value::None)));
    let got: Vec<(String, Kind, Option<u64>)> = s
        .entries
        .iter()
        .map(|i| (i.path_str().into_owned(), i.entry.kind, i.entry.size))
        .collect();
    assert_eq!(
        got,
        [
            ("pub".into(), Kind::Dir, None),
            ("a b.txt".into(), Kind::File, Some(1234))
        ]
    );
}

#[test]
fn mlsd_ending_in_200_and_a_final_reply_before_the_data_end() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::List {
        path: b"/d".to_vec(),
        recursive: false,
        command: ListCommand::Mlsd,
    });
    s.server(b"229 (|||40002|)\r\n");
    assert_eq!(s.with(|c, now| c.data_connected(now)), "MLSD /d\r\n");
    s.server(b"150 ok\r\n200 MLSD done\r\n");
    assert!(s.done.is_empty(), "the data has not ended yet");
    s.with(|c, now| {
        c.handle_data(
            b"type=cdir; .\r\ntype=file;size=3;modify=20240102030405; f\r\n",
            now,
        );
        c.data_done(now);
    });
    assert!(matches!(s.last(), Ok(Value::None)));
    assert_eq!(s.entries.len(), 1);
    assert_eq!(s.entries[0].path, b"/d/f");
    assert_eq!(
        s.entries[0].entry.modified.unwrap().to_string(),
        "2024-01-02T03:04:05Z"
    );
}

#[test]
fn mlsd_refused_with_500_falls_back_to_list_on_a_new_data_connection() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::List {
        path: Vec::new(),
        recursive: false,
        command: ListCommand::Auto,
    });
    s.server(b"229 (|||40003|)\r\n");
    assert_eq!(s.with(|c, now| c.data_connected(now)), "MLSD\r\n");
    assert_eq!(s.server(b"500 Unknown command\r\n"), "EPSV\r\n");
    assert!(s.close_data >= 1, "the first data connection is closed");
    s.server(b"229 (|||40004|)\r\n");
    assert_eq!(s.with(|c, now| c.data_connected(now)), "LIST\r\n");
    s.server(b"150 ok\r\n");
    s.with(|c, now| {
        c.handle_data(b"total 1\r\n-rw-r--r-- 1 ftp ftp 5 Jan  1  2020 x\r\n", now);
        c.data_done(now);
    });
    s.server(b"226 ok\r\n");
    assert!(matches!(s.last(), Ok(Value::None)));
    assert_eq!(s.entries.len(), 1);
}

#[test]
fn bare_257_and_unquoted_257() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::MakeDirectory {
        path: b"/new".to_vec(),
        parents: false,
    });
    s.server(b"257\r\n");
    assert!(
        matches!(s.last(), Ok(Value::None)),
        "MKD with a bare 257 succeeded"
    );
    s.start(Operation::CurrentDirectory);
    s.server(b"257 /home/u is the current directory\r\n");
    assert!(matches!(s.last(), Ok(Value::Path(p)) if p == b"/home/u"));
    s.start(Operation::CurrentDirectory);
    s.server(b"257\r\n");
    assert!(matches!(s.last(), Err(Error::UnexpectedReply(_))));
    // The session goes on.
    assert_eq!(s.start(Operation::Noop), "NOOP\r\n");
}

#[test]
fn pasv_address_is_ignored_unless_trusted_and_0000_always_replaced() {
    let mut config = Config::default();
    config.passive_commands = vec![sansftp::client::PassiveCommand::Pasv];
    let mut s = Script::new(config.clone(), b"220 x\r\n");
    s.start(Operation::Download {
        path: b"f".into(),
        offset: 0,
        ascii: false,
    });
    assert_eq!(s.server(b"200 Type set to I\r\n"), "PASV\r\n");
    s.server(b"227 Entering Passive Mode (10,1,2,3,156,64).\r\n");
    assert_eq!(s.connects, ["192.0.2.1:40000".parse().unwrap()]);

    config.trust_pasv_address = true;
    let mut s = Script::new(config.clone(), b"220 x\r\n");
    s.start(Operation::Download {
        path: b"f".into(),
        offset: 0,
        ascii: false,
    });
    s.server(b"200 ok\r\n227 =10,1,2,3,156,64\r\n");
    assert_eq!(s.connects, ["10.1.2.3:40000".parse().unwrap()]);

    let mut s = Script::new(config, b"220 x\r\n");
    s.start(Operation::Download {
        path: b"f".into(),
        offset: 0,
        ascii: false,
    });
    s.server(b"200 ok\r\n227 Entering Passive Mode (0,0,0,0,156,64)\r\n");
    assert_eq!(s.connects, ["192.0.2.1:40000".parse().unwrap()]);
}

#[test]
fn epsv_refused_falls_back_to_pasv() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::Download {
        path: b"f".into(),
        offset: 0,
        ascii: false,
    });
    assert_eq!(s.server(b"200 ok\r\n"), "EPSV\r\n");
    assert_eq!(s.server(b"502 EPSV not implemented\r\n"), "PASV\r\n");
    s.server(b"227 (192,0,2,1,4,1)\r\n");
    assert_eq!(s.connects, ["192.0.2.1:1025".parse().unwrap()]);
}

#[test]
fn abort_answered_with_a_bare_226_or_426_then_226() {
    for (answers, label) in [
        (&b"226 Abort successful\r\n200 NOOP ok\r\n"[..], "bare 226"),
        (
            &b"426 Transfer aborted\r\n226 Abort ok\r\n200 ok\r\n"[..],
            "426+226",
        ),
        (
            &b"226 Transfer complete\r\n225 No transfer to abort\r\n200 ok\r\n"[..],
            "226+225",
        ),
    ] {
        let mut s = greeted(b"220 x\r\n");
        s.start(Operation::Download {
            path: b"f".into(),
            offset: 0,
            ascii: false,
        });
        s.server(b"200 ok\r\n229 (|||40005|)\r\n");
        s.with(|c, now| c.data_connected(now));
        s.server(b"150 ok\r\n");
        assert_eq!(s.with(|c, now| c.abort(now)), "ABOR\r\nNOOP\r\n", "{label}");
        // Bytes split anywhere: the replies arrive one byte at a time.
        for b in answers {
            s.server(std::slice::from_ref(b));
        }
        assert!(matches!(s.last(), Ok(Value::Aborted)), "{label}");
        assert_eq!(s.start(Operation::Noop), "NOOP\r\n", "{label}");
        s.server(b"200 ok\r\n");
        assert!(matches!(s.last(), Ok(Value::None)), "{label}: in step");
    }
}

#[test]
fn error_after_150_ends_the_transfer_with_the_servers_code() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::Upload {
        path: b"f".into(),
        offset: 0,
        ascii: false,
        append: false,
    });
    s.server(b"200 ok\r\n229 (|||40006|)\r\n");
    assert_eq!(s.with(|c, now| c.data_connected(now)), "STOR f\r\n");
    s.server(b"150 ok\r\n452 disk full\r\n");
    let err = s.last().unwrap_err();
    assert!(err.received(452) && err.is_transient(), "{err}");
    assert!(s.close_data >= 1);
}

#[test]
fn active_mode_on_ipv6_uses_eprt() {
    let mut config = Config::default();
    config.data_mode = DataMode::Active;
    let now = Instant::now();
    let mut s = Session::new(
        config,
        "[::1]:21".parse().unwrap(),
        "[::1]:50000".parse().unwrap(),
        now,
    );
    s.handle_control(b"220 x\r\n", now);
    while s.poll_output().is_some() {}
    s.start(
        Operation::Download {
            path: b"f".into(),
            offset: 0,
            ascii: true,
        },
        now,
        DateTime::UNIX_EPOCH,
    )
    .unwrap();
    let mut sent = Vec::new();
    let mut listen = None;
    let pump = |s: &mut Session, sent: &mut Vec<u8>, listen: &mut Option<std::net::IpAddr>| {
        while let Some(o) = s.poll_output() {
            match o {
                Output::Send(b) => sent.extend_from_slice(&b),
                Output::Listen(ip) => *listen = Some(ip),
                _ => {}
            }
        }
    };
    pump(&mut s, &mut sent, &mut listen);
    assert_eq!(sent, b"TYPE A\r\n");
    s.handle_control(b"200 ok\r\n", now);
    pump(&mut s, &mut sent, &mut listen);
    assert_eq!(listen, Some("::1".parse().unwrap()));
    s.data_listening("[::1]:40007".parse().unwrap(), now);
    pump(&mut s, &mut sent, &mut listen);
    assert!(String::from_utf8_lossy(&sent).ends_with("EPRT |2|::1|40007|\r\n"));
}

#[test]
fn reply_timeout_fails_the_operation_and_closes() {
    let mut config = Config::default();
    config.reply_timeout = Some(Duration::from_secs(5));
    let mut s = Script::new(config, b"220 x\r\n");
    s.done.clear();
    s.start(Operation::Noop);
    let deadline = s.s.poll_timeout().expect("a reply is due");
    assert_eq!(deadline, s.now + Duration::from_secs(5));
    s.now += Duration::from_secs(4);
    s.with(|c, now| c.handle_timeout(now));
    assert!(s.done.is_empty());
    s.now += Duration::from_secs(2);
    s.with(|c, now| c.handle_timeout(now));
    assert!(matches!(s.last(), Err(Error::Timeout(_))));
    assert!(s.closed);
}

#[test]
fn no_reply_timeout_while_data_moves() {
    let mut config = Config::default();
    config.reply_timeout = Some(Duration::from_secs(5));
    let mut s = Script::new(config, b"220 x\r\n");
    s.start(Operation::Download {
        path: b"f".into(),
        offset: 0,
        ascii: false,
    });
    s.server(b"200 ok\r\n229 (|||40008|)\r\n");
    assert_eq!(
        s.s.poll_timeout(),
        None,
        "connecting is the adapter's to time"
    );
    s.with(|c, now| c.data_connected(now));
    s.server(b"150 ok\r\n");
    assert_eq!(
        s.s.poll_timeout(),
        None,
        "a long download is not a reply timeout"
    );
    s.with(|c, now| c.data_done(now));
    assert!(s.s.poll_timeout().is_some(), "now the 226 is due");
}

#[test]
fn garbage_from_the_server_is_an_error_not_a_panic() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::Noop);
    s.server(b"hello there\r\n");
    assert!(matches!(s.last(), Err(Error::MalformedReply(_))));
    assert!(s.closed);
    // A closed session refuses politely.
    s.start(Operation::Noop);
    assert!(matches!(s.last(), Err(Error::ConnectionClosed)));
}

#[test]
fn server_closing_mid_operation_and_421_out_of_turn() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::Noop);
    s.with(|c, _| c.control_closed());
    assert!(matches!(s.last(), Err(Error::ConnectionClosed)));
    assert!(s.closed);

    let mut s = greeted(b"220 x\r\n");
    s.server(b"421 Idle timeout\r\n");
    assert!(s.closed);

    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::Size(b"f".to_vec()));
    s.server(b"421 shutting down\r\n");
    let err = s.last().unwrap_err();
    assert!(err.received(421), "{err}");
    assert!(s.closed);
}

#[test]
fn login_loops_are_refused_and_332_sends_the_account() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::Login {
        user: "u".into(),
        password: "p".into(),
        account: "acc".into(),
    });
    assert_eq!(s.server(b"331 pw\r\n"), "PASS p\r\n");
    assert_eq!(s.server(b"332 account\r\n"), "ACCT acc\r\n");
    assert_eq!(s.server(b"331 pw again\r\n"), "");
    let err = s.last().unwrap_err();
    assert!(err.received(331), "{err}");
}

#[test]
fn stray_reply_of_a_send_only_command_reaches_the_next_operation() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::Command {
        text: Some("SITE HELP".into()),
        expected: vec![],
        wait: vec![],
    });
    assert!(matches!(s.last(), Ok(Value::None)));
    s.server(b"214 help text\r\n");
    assert_eq!(
        s.start(Operation::Command {
            text: None,
            expected: vec!["214".parse().unwrap()],
            wait: vec![]
        }),
        ""
    );
    assert!(matches!(s.last(), Ok(Value::Reply(r)) if r.code().value() == 214));
}

#[test]
fn stat_reads_the_mlst_fact_line() {
    let mut s = greeted(b"220 x\r\n");
    assert_eq!(
        s.start(Operation::Stat(b"/pub/f.txt".to_vec())),
        "MLST /pub/f.txt\r\n"
    );
    s.server(b"250-Listing /pub/f.txt\r\n type=file;size=42;modify=20200101000000; /pub/f.txt\r\n250 End\r\n");
    match s.last() {
        Ok(Value::Entry(item)) => {
            assert_eq!(item.path, b"/pub/f.txt");
            assert_eq!(item.entry.name, b"f.txt");
            assert_eq!(item.entry.size, Some(42));
        }
        other => panic!("{other:?}"),
    }
    // 550 from MLST is "missing", not a reason to fall back.
    s.start(Operation::Stat(b"/nope".to_vec()));
    assert_eq!(s.server(b"550 not found\r\n"), "");
    assert!(s.last().unwrap_err().received(550));
}

#[test]
fn stat_of_the_current_directory_sends_a_bare_mlst() {
    let mut s = greeted(b"220 x\r\n");
    assert_eq!(s.start(Operation::Stat(Vec::new())), "MLST\r\n");
    s.server(b"250-Listing\r\n type=cdir;modify=20200101000000; /home/u\r\n250 End\r\n");
    match s.last() {
        Ok(Value::Entry(item)) => assert!(item.entry.is_dir()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_queued_result_keeps_the_session_busy_until_taken() {
    let now = Instant::now();
    let mut s = Session::new(
        Config::default(),
        SERVER.parse().unwrap(),
        LOCAL.parse().unwrap(),
        now,
    );
    s.handle_control(b"220 x\r\n", now);
    assert!(s.is_busy(), "the greeting's result is not taken yet");
    assert!(s.start(Operation::Noop, now, DateTime::UNIX_EPOCH).is_err());
    while s.poll_output().is_some() {}
    assert!(!s.is_busy());
    s.start(Operation::Noop, now, DateTime::UNIX_EPOCH).unwrap();
    s.handle_control(b"200 ok\r\n", now);
    assert!(s.is_busy());
    while s.poll_output().is_some() {}
    assert!(s.start(Operation::Noop, now, DateTime::UNIX_EPOCH).is_ok());
}

#[test]
fn a_timed_out_data_connection_is_a_timeout() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::Download {
        path: b"f".into(),
        offset: 0,
        ascii: false,
    });
    s.server(b"200 ok\r\n229 (|||40009|)\r\n");
    s.with(|c, now| c.data_failed(std::io::ErrorKind::TimedOut.into(), now));
    assert!(matches!(s.last(), Err(Error::Timeout(_))));
}

#[test]
fn listing_names_that_would_leave_the_directory_are_dropped() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::List {
        path: b"/d".to_vec(),
        recursive: true,
        command: ListCommand::Mlsd,
    });
    s.server(b"229 (|||40010|)\r\n");
    s.with(|c, now| c.data_connected(now));
    s.server(b"150 ok\r\n226 ok\r\n");
    s.with(|c, now| {
        c.handle_data(b"type=dir; ./\r\ntype=dir; ../../etc\r\ntype=file; /abs\r\ntype=dir; sub\r\ntype=file; ok.txt\r\n", now);
        c.data_done(now);
    });
    // Only `sub` is descended into.
    assert_eq!(s.sent.matches("MLSD").count(), 1);
    assert!(s.sent.ends_with("EPSV\r\n"), "{}", s.sent);
    let paths: Vec<String> = s
        .entries
        .iter()
        .map(|i| i.path_str().into_owned())
        .collect();
    assert_eq!(paths, ["/d/sub", "/d/ok.txt"]);
}

#[test]
fn a_failed_control_connection_fails_the_operation_with_the_sockets_error() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::Noop);
    s.with(|c, _| c.control_failed(std::io::Error::other("connection reset by peer")));
    match s.last() {
        Err(Error::Io(e)) => assert!(e.to_string().contains("reset by peer"), "{e}"),
        other => panic!("{other:?}"),
    }
    // A timed-out socket is a timeout; a plain end of file stays "closed".
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::Noop);
    s.with(|c, _| c.control_failed(std::io::ErrorKind::WouldBlock.into()));
    assert!(matches!(s.last(), Err(Error::Timeout(_))), "{:?}", s.last());
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::Noop);
    s.with(|c, _| c.control_closed());
    assert!(
        matches!(s.last(), Err(Error::ConnectionClosed)),
        "{:?}",
        s.last()
    );
}

#[test]
fn names_keep_every_entry_unjoined_for_the_caller_to_judge() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::Names(b"/d".to_vec()));
    s.server(b"229 (|||40011|)\r\n");
    assert_eq!(s.with(|c, now| c.data_connected(now)), "MLSD /d\r\n");
    s.server(b"150 ok\r\n226 ok\r\n");
    s.with(|c, now| {
        c.handle_data(
            b"type=cdir; /d\r\ntype=dir; ../../etc\r\ntype=file; a/b\r\ntype=file; ok.txt\r\n",
            now,
        );
        c.data_done(now);
    });
    assert!(s.entries.is_empty(), "nothing is emitted as an Item");
    let Ok(Value::Names(names)) = s.last() else {
        panic!("{:?}", s.last());
    };
    let names: Vec<&[u8]> = names.iter().map(|e| e.name.as_slice()).collect();
    assert_eq!(names, [&b"/d"[..], b"../../etc", b"a/b", b"ok.txt"]);
    // One directory only, even with a directory among the names.
    assert_eq!(s.sent.matches("MLSD").count(), 1);
}

/// A download or upload started and its data connection open, the `150` read: the
/// adapter holds the stream.
fn moving(upload: bool) -> Script {
    let mut s = greeted(b"220 x\r\n");
    let path = b"f".to_vec();
    s.start(if upload {
        Operation::Upload {
            path,
            offset: 0,
            ascii: false,
            append: false,
        }
    } else {
        Operation::Download {
            path,
            offset: 0,
            ascii: false,
        }
    });
    s.server(b"200 ok\r\n229 (|||40005|)\r\n");
    s.with(|c, now| c.data_connected(now));
    s.server(b"150 ok\r\n");
    assert_eq!(s.transfers.len(), 1);
    s
}

/// Ends the transfer with `end`: what the client sent, whether the core calls it
/// complete, and the operation's result once the server has answered `answers`.
fn end(upload: bool, end: TransferEnd, answers: &[u8]) -> (String, bool, Result<Value, Error>) {
    let mut s = moving(upload);
    let mut complete = false;
    let sent = s.with(|c, now| complete = c.end_transfer(end, now));
    s.server(answers);
    (sent, complete, s.last())
}

const ABORT_ANSWERS: &[u8] = b"426 aborted\r\n226 ok\r\n200 ok\r\n";

#[test]
fn a_finished_or_dropped_download_at_end_of_file_is_complete() {
    for e in [
        TransferEnd::Finished { at_eof: true },
        TransferEnd::Dropped { at_eof: true },
    ] {
        let label = format!("{e:?}");
        let (sent, complete, res) = end(false, e, b"226 done\r\n");
        assert_eq!(sent, "", "{label}: no ABOR");
        assert!(complete, "{label}");
        assert!(matches!(res, Ok(Value::None)), "{label}: {res:?}");
    }
}

#[test]
fn finish_on_a_partly_read_download_aborts_and_fails() {
    let (sent, complete, res) = end(
        false,
        TransferEnd::Finished { at_eof: false },
        ABORT_ANSWERS,
    );
    assert_eq!(sent, "ABOR\r\nNOOP\r\n");
    assert!(!complete);
    match res {
        Err(Error::Io(e)) => assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_finished_upload_is_complete_a_dropped_one_is_aborted() {
    let (sent, complete, res) = end(true, TransferEnd::Finished { at_eof: false }, b"226 ok\r\n");
    assert_eq!((sent.as_str(), complete), ("", true));
    assert!(matches!(res, Ok(Value::None)), "{res:?}");
    // Even "at end of file": an upload's end is only what finish says.
    let (sent, complete, res) = end(true, TransferEnd::Dropped { at_eof: true }, ABORT_ANSWERS);
    assert_eq!((sent.as_str(), complete), ("ABOR\r\nNOOP\r\n", false));
    assert!(res.is_err(), "{res:?}");
}

#[test]
fn aborted_unwanted_and_failed_transfers_send_abor() {
    let (sent, complete, res) = end(false, TransferEnd::Aborted, ABORT_ANSWERS);
    assert_eq!((sent.as_str(), complete), ("ABOR\r\nNOOP\r\n", false));
    assert!(matches!(res, Ok(Value::Aborted)), "{res:?}");
    let (sent, _, res) = end(false, TransferEnd::Unwanted, ABORT_ANSWERS);
    assert_eq!(sent, "ABOR\r\nNOOP\r\n");
    assert!(res.is_err(), "an unwanted transfer is an error: {res:?}");
    let broken = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
    let (sent, _, res) = end(true, TransferEnd::Failed(broken), ABORT_ANSWERS);
    assert_eq!(sent, "ABOR\r\nNOOP\r\n");
    assert!(matches!(res, Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionReset));
}

#[test]
fn an_empty_command_text_sends_nothing_and_reads_a_reply() {
    let mut s = greeted(b"220 x\r\n");
    let op = Request::command("", &["2xx".parse().unwrap()], &[]).into_operation();
    assert_eq!(s.start(op), "", "nothing sent");
    s.server(b"200 late reply\r\n");
    assert!(matches!(s.last(), Ok(Value::Reply(r)) if r.code().value() == 200));
    // With nothing to wait for it does nothing at all.
    assert_eq!(s.start(Request::command("", &[], &[]).into_operation()), "");
    assert!(matches!(s.last(), Ok(Value::None)));
}

#[test]
fn active_mode_accepts_the_servers_host_in_either_form() {
    let s = Session::new(
        Config::default(),
        "192.0.2.1:21".parse().unwrap(),
        "192.0.2.9:5000".parse().unwrap(),
        Instant::now(),
    );
    assert!(s.accepts("192.0.2.1:20".parse().unwrap()));
    assert!(s.accepts("[::ffff:192.0.2.1]:20".parse().unwrap()));
    assert!(!s.accepts("192.0.2.2:20".parse().unwrap()));
}

#[test]
fn a_busy_session_is_error_busy() {
    let mut s = greeted(b"220 x\r\n");
    s.start(Operation::Noop);
    let busy = s.s.start(Operation::Noop, s.now, s.wall).unwrap_err();
    assert!(matches!(Error::from(busy), Error::Busy));
}

#[test]
fn raw_commands_that_change_the_connections_security_are_refused_unsent() {
    let mut s = greeted(b"220 x\r\n");
    for text in ["AUTH TLS", "prot c", "CCC", "REIN"] {
        let sent = s.start(Operation::Command {
            text: Some(text.into()),
            expected: vec![],
            wait: vec![],
        });
        assert_eq!(sent, "", "{text} went to the server");
        let err = s.last().unwrap_err().to_string();
        let verb = text.split(' ').next().unwrap().to_ascii_uppercase();
        assert!(
            err.starts_with(&format!("{verb} cannot be sent as a raw command")),
            "{err}"
        );
    }
    // PBSZ changes nothing the session tracks; the session goes on.
    assert_eq!(
        s.start(Operation::Command {
            text: Some("PBSZ 0".into()),
            expected: vec!["200".parse().unwrap()],
            wait: vec![],
        }),
        "PBSZ 0\r\n"
    );
    s.server(b"200 PBSZ=0\r\n");
    assert!(matches!(s.last(), Ok(Value::Reply(r)) if r.code().value() == 200));
}
