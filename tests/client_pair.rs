//! Pair tests: the client core against the server core, in memory, with virtual time.

use sansftp::Error;
use sansftp::client::testing::Pair;
use sansftp::client::{Config, DataMode, ListCommand, Operation, PassiveCommand, Value};
use sansftp::listing::Kind;
use sansftp::server::testing::sample_config;
use sansftp::time::DateTime;

fn pair() -> Pair {
    let mut p = Pair::new(sample_config(), Config::default());
    p.server.fs = sansftp::server::testing::sample_fs();
    p
}

fn login(p: &mut Pair, user: &str, pass: &str) -> Result<Value, Error> {
    p.run(Operation::Login {
        user: user.into(),
        password: pass.into(),
        account: String::new(),
    })
}

fn alice() -> Pair {
    let mut p = pair();
    login(&mut p, "alice", "secret").expect("login");
    p
}

fn names(p: &Pair) -> Vec<String> {
    let mut v: Vec<String> = p
        .entries
        .iter()
        .map(|i| i.path_str().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn login_discovers_features_and_pwd_reads_home() {
    let mut p = alice();
    assert!(
        p.client_text()
            .contains("USER alice\r\nPASS secret\r\nFEAT\r\nOPTS UTF8 ON\r\n"),
        "{}",
        p.client_text()
    );
    let features = p.client.features().expect("FEAT was asked");
    assert!(features.supports("MLST"));
    match p.run(Operation::CurrentDirectory) {
        Ok(Value::Path(path)) => assert_eq!(path, b"/home/alice"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn wrong_password_is_a_status_code_error_and_the_session_goes_on() {
    let mut p = pair();
    let err = login(&mut p, "alice", "nope").unwrap_err();
    assert!(err.received(530), "{err}");
    assert!(
        err.to_string().starts_with("expected 230 or 3xx, got 530"),
        "{err}"
    );
    login(&mut p, "alice", "secret").expect("second try");
}

#[test]
fn list_uses_mlsd_and_falls_back_to_list() {
    let mut p = alice();
    p.run(Operation::List {
        path: Vec::new(),
        recursive: false,
        command: ListCommand::Auto,
    })
    .unwrap();
    assert!(p.client_text().contains("MLSD\r\n"));
    assert_eq!(names(&p), ["docs", "notes.txt"]);
    let notes = p.entries.iter().find(|i| i.path == b"notes.txt").unwrap();
    assert_eq!(notes.entry.size, Some(18));
    assert_eq!(notes.entry.kind, Kind::File);

    p.run(Operation::List {
        path: b"/home/alice".to_vec(),
        recursive: false,
        command: ListCommand::List,
    })
    .unwrap();
    assert!(p.client_text().contains("LIST /home/alice\r\n"));
    assert_eq!(names(&p), ["/home/alice/docs", "/home/alice/notes.txt"]);
}

#[test]
fn recursive_list_walks_the_tree() {
    let mut p = alice();
    p.server.fs.write("/home/alice/docs/a/deep.txt", b"x");
    p.run(Operation::List {
        path: b"/home/alice".to_vec(),
        recursive: true,
        command: ListCommand::Auto,
    })
    .unwrap();
    assert_eq!(
        names(&p),
        [
            "/home/alice/docs",
            "/home/alice/docs/a",
            "/home/alice/docs/a/deep.txt",
            "/home/alice/notes.txt"
        ]
    );
}

#[test]
fn download_whole_and_resumed() {
    let mut p = alice();
    p.run(Operation::Download {
        path: b"notes.txt".to_vec(),
        offset: 0,
        ascii: false,
    })
    .unwrap();
    assert_eq!(p.downloaded, b"line one\nline two\n");
    p.downloaded.clear();
    p.run(Operation::Download {
        path: b"notes.txt".to_vec(),
        offset: 9,
        ascii: false,
    })
    .unwrap();
    assert_eq!(p.downloaded, b"line two\n");
    let text = p.client_text();
    assert_eq!(
        text.matches("TYPE I").count(),
        1,
        "TYPE is sent once: {text}"
    );
    assert!(
        text.contains("EPSV\r\nREST 9\r\nRETR notes.txt\r\n"),
        "{text}"
    );
}

#[test]
fn download_of_a_missing_file_fails_and_the_session_goes_on() {
    let mut p = alice();
    let err = p
        .run(Operation::Download {
            path: b"missing".to_vec(),
            offset: 0,
            ascii: false,
        })
        .unwrap_err();
    assert!(err.received(550), "{err}");
    assert!(matches!(p.run(Operation::Noop), Ok(Value::None)));
}

#[test]
fn upload_append_and_resume_land_in_the_server_fs() {
    let mut p = alice();
    p.upload = b"hello ".to_vec();
    p.run(Operation::Upload {
        path: b"up.txt".to_vec(),
        offset: 0,
        ascii: false,
        append: false,
    })
    .unwrap();
    assert_eq!(p.server.fs.read("/home/alice/up.txt"), Some(&b"hello "[..]));
    p.upload = b"world".to_vec();
    p.run(Operation::Upload {
        path: b"up.txt".to_vec(),
        offset: 0,
        ascii: false,
        append: true,
    })
    .unwrap();
    assert_eq!(
        p.server.fs.read("/home/alice/up.txt"),
        Some(&b"hello world"[..])
    );
    p.upload = b"WORLD".to_vec();
    p.run(Operation::Upload {
        path: b"up.txt".to_vec(),
        offset: 6,
        ascii: false,
        append: false,
    })
    .unwrap();
    assert_eq!(
        p.server.fs.read("/home/alice/up.txt"),
        Some(&b"hello WORLD"[..])
    );
}

#[test]
fn active_mode_sends_port_with_the_listener_address() {
    let mut config = Config::default();
    config.data_mode = DataMode::Active;
    let mut p = Pair::new(sample_config(), config);
    p.server.fs = sansftp::server::testing::sample_fs();
    login(&mut p, "alice", "secret").unwrap();
    p.run(Operation::Download {
        path: b"notes.txt".to_vec(),
        offset: 0,
        ascii: false,
    })
    .unwrap();
    assert!(
        p.client_text().contains("PORT 10,0,0,2,156,65\r\n"),
        "{}",
        p.client_text()
    );
    assert_eq!(p.downloaded, b"line one\nline two\n");
    assert!(p.connects.is_empty());
}

#[test]
fn pasv_fallback_connects_to_the_control_peer() {
    let mut config = Config::default();
    config.passive_commands = vec![PassiveCommand::Pasv];
    let mut p = Pair::new(sample_config(), config);
    p.server.fs = sansftp::server::testing::sample_fs();
    login(&mut p, "alice", "secret").unwrap();
    p.run(Operation::Download {
        path: b"notes.txt".to_vec(),
        offset: 0,
        ascii: false,
    })
    .unwrap();
    assert!(p.client_text().contains("PASV\r\n"));
    assert_eq!(p.connects.len(), 1);
    assert_eq!(p.connects[0].ip().to_string(), "10.0.0.1");
}

#[test]
fn make_directory_with_parents_then_remove_the_tree() {
    let mut p = alice();
    p.run(Operation::MakeDirectory {
        path: b"/home/alice/x/y/z".to_vec(),
        parents: true,
    })
    .unwrap();
    assert!(p.server.fs.exists("/home/alice/x/y/z"));
    // Again: every level exists, which is not an error with parents.
    p.run(Operation::MakeDirectory {
        path: b"/home/alice/x/y/z".to_vec(),
        parents: true,
    })
    .unwrap();
    // Without parents it is.
    let err = p
        .run(Operation::MakeDirectory {
            path: b"/home/alice/x/y/z".to_vec(),
            parents: false,
        })
        .unwrap_err();
    assert!(err.is_permanent(), "{err}");

    p.server.fs.write("/home/alice/x/y/file", b"data");
    p.run(Operation::Remove(b"/home/alice/x".to_vec())).unwrap();
    assert!(!p.server.fs.exists("/home/alice/x"));
    assert!(!p.server.fs.exists("/home/alice/x/y/file"));
}

#[test]
fn stat_exists_size_and_rename() {
    let mut p = alice();
    match p.run(Operation::Stat(b"notes.txt".to_vec())) {
        Ok(Value::Entry(item)) => {
            assert_eq!(item.path, b"notes.txt");
            assert_eq!(item.entry.name, b"notes.txt");
            assert!(item.entry.is_file());
            assert_eq!(item.entry.size, Some(18));
        }
        other => panic!("{other:?}"),
    }
    match p.run(Operation::Stat(b"docs".to_vec())) {
        Ok(Value::Entry(item)) => assert!(item.entry.is_dir()),
        other => panic!("{other:?}"),
    }
    let err = p.run(Operation::Stat(b"missing".to_vec())).unwrap_err();
    assert!(err.received(550), "{err}");
    assert!(matches!(
        p.run(Operation::Size(b"notes.txt".to_vec())),
        Ok(Value::Size(18))
    ));
    assert!(matches!(
        p.run(Operation::Modified(b"notes.txt".to_vec())),
        Ok(Value::Modified(_))
    ));
    p.run(Operation::Rename {
        from: b"notes.txt".to_vec(),
        to: b"renamed.txt".to_vec(),
    })
    .unwrap();
    assert!(p.server.fs.exists("/home/alice/renamed.txt"));
    assert!(!p.server.fs.exists("/home/alice/notes.txt"));
    let err = p
        .run(Operation::Rename {
            from: b"nothing".to_vec(),
            to: b"x".to_vec(),
        })
        .unwrap_err();
    assert!(err.received(550), "{err}");
}

#[test]
fn abort_during_a_transfer_keeps_the_channel_in_step() {
    let mut p = alice();
    p.hold_transfers = true;
    p.client
        .start(
            Operation::Download {
                path: b"notes.txt".to_vec(),
                offset: 0,
                ascii: false,
            },
            p.server.now,
            DateTime::UNIX_EPOCH,
        )
        .unwrap();
    assert!(p.pump().is_none());
    assert!(p.pending_transfer.is_some());
    p.client.abort(p.server.now);
    let res = p.pump();
    assert!(matches!(res, Some(Ok(Value::Aborted))), "{res:?}");
    match p.run(Operation::CurrentDirectory) {
        Ok(Value::Path(path)) => assert_eq!(path, b"/home/alice"),
        other => panic!("{other:?}\n{}", p.server_text()),
    }
}

fn download(path: &str) -> Operation {
    Operation::Download {
        path: path.as_bytes().to_vec(),
        offset: 0,
        ascii: false,
    }
}

/// `abandon` after the transfer was handed out: the core ends it as unwanted itself
/// (`ABOR`, `NOOP`), and the channel is in step for the next operation.
#[test]
fn an_abandoned_transfer_is_ended_by_the_core() {
    let mut p = alice();
    p.hold_transfers = true;
    p.server.auto_data = false;
    let now = p.server.now;
    let upload = Operation::Upload {
        path: b"u.txt".to_vec(),
        offset: 0,
        ascii: false,
        append: false,
    };
    p.client.start(upload, now, DateTime::UNIX_EPOCH).unwrap();
    assert!(p.pump().is_none());
    let t = p.server.pending.clone().expect("server transfer");
    let peer = p.server.session.peer();
    p.server.with(|s, now| s.data_connected(t.id, peer, now));
    assert!(p.pump().is_none());
    assert!(p.pending_transfer.take().is_some());
    p.client.abandon(now);
    assert!(matches!(p.pump(), Some(Err(_))));
    assert!(
        p.client_text().contains("ABOR\r\nNOOP\r\n"),
        "{}",
        p.client_text()
    );
    assert!(!p.server.fs.exists("/home/alice/u.txt"), "not committed");
    assert!(matches!(p.run(Operation::Noop), Ok(Value::None)));
}

/// `abandon` before the server started the transfer: no `Output::Transfer` comes for
/// it, the core aborts it when it starts, and a listing still runs to its end.
#[test]
fn an_abandoned_operation_hands_out_no_transfer_but_reads_its_listing() {
    let mut p = alice();
    p.hold_transfers = true;
    let now = p.server.now;
    p.client
        .start(download("notes.txt"), now, DateTime::UNIX_EPOCH)
        .unwrap();
    p.client.abandon(now);
    p.server.auto_data = false;
    assert!(p.pump().is_none());
    let t = p.server.pending.clone().expect("server transfer");
    let peer = p.server.session.peer();
    p.server.with(|s, now| s.data_connected(t.id, peer, now));
    assert!(matches!(p.pump(), Some(Err(_))));
    assert!(p.pending_transfer.is_none(), "no transfer handed out");
    assert!(
        p.client_text()
            .contains("RETR notes.txt\r\nABOR\r\nNOOP\r\n")
    );
    p.server.auto_data = true;
    p.hold_transfers = false;
    let list = Operation::List {
        path: Vec::new(),
        recursive: false,
        command: ListCommand::Auto,
    };
    p.client.start(list, now, DateTime::UNIX_EPOCH).unwrap();
    p.client.abandon(now);
    assert!(p.finish().is_ok(), "a listing is read as usual");
    assert!(!p.entries.is_empty());
    assert!(matches!(p.run(Operation::Noop), Ok(Value::None)));
}

#[test]
fn a_failed_data_connection_ends_with_its_error_and_the_channel_in_step() {
    let mut p = alice();
    p.hold_transfers = true;
    p.server.auto_data = false;
    p.client
        .start(
            Operation::Upload {
                path: b"u.txt".to_vec(),
                offset: 0,
                ascii: false,
                append: false,
            },
            p.server.now,
            DateTime::UNIX_EPOCH,
        )
        .unwrap();
    assert!(p.pump().is_none());
    // The server's side accepts the data connection and says 150; the client's data
    // side then fails (its source could not be read).
    let t = p.server.pending.clone().expect("server transfer");
    let peer = p.server.session.peer();
    p.server.with(|s, now| s.data_connected(t.id, peer, now));
    assert!(p.pump().is_none());
    assert!(p.pending_transfer.is_some());
    p.client
        .data_failed(std::io::Error::other("source read failed"), p.server.now);
    let res = p.pump();
    match res {
        Some(Err(Error::Io(e))) => assert_eq!(e.to_string(), "source read failed"),
        other => panic!("{other:?}"),
    }
    assert!(p.client_text().contains("ABOR\r\nNOOP\r\n"));
    assert!(p.server_text().contains("426 "), "{}", p.server_text());
    assert!(
        !p.server.fs.exists("/home/alice/u.txt"),
        "an aborted upload is not committed"
    );
    assert!(matches!(p.run(Operation::Noop), Ok(Value::None)));
}

#[test]
fn quit_closes() {
    let mut p = alice();
    p.run(Operation::Quit).unwrap();
    assert!(p.closed);
    assert!(p.client.is_closed());
    let err = p.run(Operation::Noop).unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed), "{err}");
}

#[test]
fn raw_command_with_codes() {
    let mut p = alice();
    match p.run(Operation::Command {
        text: Some("SYST".into()),
        expected: vec!["215".parse().unwrap()],
        wait: vec![],
    }) {
        Ok(Value::Reply(r)) => assert_eq!(r.code().value(), 215),
        other => panic!("{other:?}"),
    }
    let err = p
        .run(Operation::Command {
            text: Some("NOOP\r\nDELE x".into()),
            expected: vec![],
            wait: vec![],
        })
        .unwrap_err();
    assert!(matches!(err, Error::InvalidCommand(_)), "{err}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any bytes uploaded come back byte for byte, whole or resumed from any offset.
        #[test]
        fn upload_then_download_round_trips(data in proptest::collection::vec(any::<u8>(), 0..4096), cut in any::<prop::sample::Index>()) {
            let mut p = alice();
            p.upload = data.clone();
            p.run(Operation::Upload { path: b"r.bin".to_vec(), offset: 0, ascii: false, append: false }).unwrap();
            p.run(Operation::Download { path: b"r.bin".to_vec(), offset: 0, ascii: false }).unwrap();
            prop_assert_eq!(&p.downloaded, &data);
            let offset = if data.is_empty() { 0 } else { cut.index(data.len()) };
            p.downloaded.clear();
            p.run(Operation::Download { path: b"r.bin".to_vec(), offset: offset as u64, ascii: false }).unwrap();
            prop_assert_eq!(&p.downloaded[..], &data[offset..]);
            match p.run(Operation::Size(b"r.bin".to_vec())) {
                Ok(Value::Size(n)) => prop_assert_eq!(n, data.len() as u64),
                other => prop_assert!(false, "{:?}", other),
            }
        }

        /// Names with spaces, quotes and non-ASCII bytes survive mkdir, listing and stat.
        #[test]
        fn odd_names_survive_a_listing(name in "[a-zA-Z0-9 \"'é_.-]{1,20}") {
            prop_assume!(name != "." && name != ".." && !name.starts_with(' ') && !name.ends_with(' '));
            let mut p = alice();
            let path = format!("/home/alice/{name}");
            p.run(Operation::MakeDirectory { path: path.clone().into_bytes(), parents: false }).unwrap();
            p.run(Operation::List { path: b"/home/alice".to_vec(), recursive: false, command: ListCommand::Auto }).unwrap();
            prop_assert!(p.entries.iter().any(|i| i.path == path.as_bytes() && i.entry.is_dir()), "{:?}", names(&p));
            match p.run(Operation::Stat(path.clone().into_bytes())) {
                Ok(Value::Entry(item)) => prop_assert!(item.entry.is_dir()),
                other => prop_assert!(false, "{:?}", other),
            }
        }
    }
}
