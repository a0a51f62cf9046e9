//! FTPS in the server core (RFC 4217), as transcripts with virtual time: the order of
//! `AUTH`/`PBSZ`/`PROT`, the required policies, `CCC`, data connections that do not
//! resume the control session, and uploads cut short without `close_notify`.

use sansftp::server::testing::{Driver, sample_config, sample_fs};
use sansftp::server::{Config, Event, TlsPolicy, TransferError};

fn driver(policy: TlsPolicy) -> Driver {
    let mut d = Driver::new(sample_config().tls(policy));
    d.fs = sample_fs();
    d
}

/// AUTH TLS done, PBSZ 0, PROT P, logged in, a passive listener open.
fn protected(policy: TlsPolicy) -> Driver {
    let mut d = driver(policy);
    assert!(d.send(b"AUTH TLS\r\n").starts_with("234 "));
    assert_eq!(
        d.send(b"PBSZ 0\r\nPROT P\r\nUSER alice\r\nPASS secret\r\n"),
        "200 PBSZ=0 ok\r\n200 Protection level set to P\r\n\
         331 Password required for alice\r\n230 Login successful\r\n"
    );
    assert!(d.send(b"PASV\r\n").starts_with("227 "));
    d
}

#[test]
fn without_a_certificate_auth_is_not_implemented_and_feat_says_nothing_of_tls() {
    let mut d = Driver::new(sample_config());
    assert!(d.send(b"AUTH TLS\r\n").starts_with("502 "));
    assert!(d.send(b"PBSZ 0\r\n").starts_with("503 "));
    assert!(d.send(b"PROT P\r\n").starts_with("503 "));
    assert_eq!(d.send(b"PROT C\r\n"), "200 Protection level set to C\r\n");
    let feat = d.send(b"FEAT\r\n");
    assert!(!feat.contains("AUTH") && !feat.contains("PBSZ"), "{feat}");
    assert_eq!(d.tls_upgrades, 0);
}

#[test]
fn feat_lists_auth_tls_pbsz_and_prot_when_offered() {
    let mut d = driver(TlsPolicy::explicit());
    let feat = d.send(b"FEAT\r\n");
    for line in [" AUTH TLS\r\n", " PBSZ\r\n", " PROT\r\n"] {
        assert!(feat.contains(line), "{line:?} missing from {feat}");
    }
}

#[test]
fn auth_tls_answers_234_then_upgrades_and_drops_pipelined_plaintext() {
    let mut d = driver(TlsPolicy::explicit());
    d.hold_tls = true;
    // Commands pipelined behind AUTH were sent in plaintext: none may run.
    let out = d.send(b"AUTH TLS\r\nUSER alice\r\nPASS secret\r\nDELE x\r\n");
    assert_eq!(out, "234 AUTH TLS ok, start the TLS handshake\r\n");
    assert_eq!(d.tls_upgrades, 1);
    // Plaintext fed while the handshake runs is dropped too.
    assert_eq!(d.send(b"USER alice\r\n"), "");
    let out = d.with(|s, now| s.control_secured(now));
    assert_eq!(out, "");
    assert!(d.session.user().is_none());
    assert!(d.send(b"USER alice\r\n").starts_with("331 "));
    assert!(
        d.send(b"AUTH TLS\r\n").starts_with("503 "),
        "TLS is on already"
    );
}

#[test]
fn auth_ssl_is_a_synonym_and_other_mechanisms_get_504() {
    let mut d = driver(TlsPolicy::explicit());
    assert!(d.send(b"AUTH GSSAPI\r\n").starts_with("504 "));
    assert_eq!(d.tls_upgrades, 0);
    assert!(d.send(b"auth ssl\r\n").starts_with("234 "));
    assert_eq!(d.tls_upgrades, 1);
}

#[test]
fn auth_logs_the_user_out() {
    let mut d = driver(TlsPolicy::explicit());
    d.send(b"USER alice\r\nPASS secret\r\n");
    assert!(d.session.user().is_some());
    d.send(b"AUTH TLS\r\n");
    assert!(
        d.session.user().is_none(),
        "RFC 2228: AUTH asks for a new login"
    );
    assert!(d.events.iter().any(|e| matches!(e, Event::LoggedOut(_))));
}

#[test]
fn pbsz_before_prot_and_both_after_auth() {
    let mut d = driver(TlsPolicy::explicit());
    assert!(d.send(b"PBSZ 0\r\n").starts_with("503 "));
    d.send(b"AUTH TLS\r\n");
    assert!(
        d.send(b"PROT P\r\n").starts_with("503 "),
        "PROT before PBSZ"
    );
    assert_eq!(d.send(b"PBSZ 1024\r\n"), "200 PBSZ=0\r\n");
    assert!(d.send(b"PROT S\r\n").starts_with("536 "));
    assert!(d.send(b"PROT E\r\n").starts_with("536 "));
    assert!(d.send(b"PROT P\r\n").starts_with("200 "));
}

#[test]
fn ccc_is_refused_and_tls_stays_on() {
    let mut d = driver(TlsPolicy::explicit());
    assert!(d.send(b"CCC\r\n").starts_with("503 "));
    d.send(b"AUTH TLS\r\n");
    assert!(d.send(b"CCC\r\n").starts_with("534 "));
    assert!(d.send(b"AUTH TLS\r\n").starts_with("503 "));
}

#[test]
fn required_tls_refuses_plaintext_logins_with_530() {
    let mut d = driver(TlsPolicy::explicit().required(true));
    let out = d.send(b"USER alice\r\nPASS secret\r\n");
    assert!(out.starts_with("530 This server requires TLS"), "{out}");
    assert_eq!(out.matches("530 ").count(), 2, "{out}");
    assert!(d.session.user().is_none());
    d.send(b"AUTH TLS\r\n");
    assert!(d.send(b"USER alice\r\n").starts_with("331 "));
}

#[test]
fn required_data_protection_refuses_prot_c_and_plaintext_transfers() {
    let mut d = driver(TlsPolicy::explicit().required(true));
    d.send(b"AUTH TLS\r\nUSER alice\r\nPASS secret\r\n");
    d.send(b"USER alice\r\nPASS secret\r\n");
    assert!(d.send(b"PROT C\r\n").starts_with("534 "));
    d.send(b"PASV\r\n");
    let out = d.send(b"RETR notes.txt\r\n");
    assert!(out.starts_with("521 "), "{out}");
    assert!(d.transfers.is_empty());
    // The data setup survives the refusal: PBSZ, PROT P and the same RETR work.
    d.send(b"PBSZ 0\r\nPROT P\r\n");
    let out = d.send(b"RETR notes.txt\r\n");
    assert!(out.contains("226 "), "{out}");
    let t = d.transfers.last().unwrap();
    assert!(t.tls.is_some());
}

#[test]
fn protected_transfers_ask_for_tls_and_no_tickets_on_uploads() {
    let mut d = protected(TlsPolicy::explicit());
    let out = d.send(b"RETR notes.txt\r\n");
    assert!(out.contains("150 ") && out.contains("226 "), "{out}");
    let tls = d.transfers[0].tls.expect("PROT P transfer runs TLS");
    assert_eq!(tls.session_tickets, 1);
    d.upload = b"data".to_vec();
    d.send(b"PASV\r\nSTOR up.bin\r\n");
    let tls = d.transfers[1].tls.expect("PROT P upload runs TLS");
    assert_eq!(
        tls.session_tickets, 0,
        "a ticket on an upload loses its tail"
    );
    assert_eq!(d.fs.read("/home/alice/up.bin").unwrap(), b"data");
    // PROT C goes back to plaintext data.
    d.send(b"PROT C\r\nPASV\r\nRETR notes.txt\r\n");
    assert!(d.transfers[2].tls.is_none());
}

#[test]
fn a_data_connection_that_does_not_resume_the_session_is_refused_with_425() {
    let mut d = protected(TlsPolicy::explicit());
    d.data_resumed = Some(false);
    let out = d.send(b"RETR notes.txt\r\n");
    assert!(out.contains("150 "), "{out}");
    assert!(
        out.contains("425 Data connection refused: its TLS session"),
        "{out}"
    );
    assert!(!out.contains("226 "), "{out}");
    assert!(
        d.events
            .iter()
            .any(|e| matches!(e, Event::TlsNotResumed { .. }))
    );
    // The control session goes on.
    assert_eq!(d.send(b"NOOP\r\n"), "200 NOOP ok\r\n");
    // A handshake that is never reported cannot prove reuse either.
    d.data_resumed = None;
    let out = d.send(b"PASV\r\nRETR notes.txt\r\n");
    assert!(out.contains("425 Data connection refused"), "{out}");
    // An upload that did not resume is never committed.
    d.data_resumed = Some(false);
    d.upload = b"evil".to_vec();
    d.send(b"PASV\r\nSTOR new.bin\r\n");
    assert!(d.commits.is_empty());
}

#[test]
fn reuse_not_required_accepts_a_full_handshake() {
    let mut d = protected(TlsPolicy::explicit().session_reuse_required(false));
    d.data_resumed = Some(false);
    let out = d.send(b"RETR notes.txt\r\n");
    assert!(out.contains("226 "), "{out}");
    d.data_resumed = None;
    let out = d.send(b"PASV\r\nRETR notes.txt\r\n");
    assert!(out.contains("226 "), "{out}");
}

#[test]
fn an_upload_cut_short_without_close_notify_gets_426_and_is_not_committed() {
    let mut d = protected(TlsPolicy::explicit());
    d.auto_data = false;
    d.send(b"STOR cut.bin\r\n");
    let t = d.pending.take().expect("the upload started");
    let peer = d.session.peer();
    let out = d.with(|s, now| {
        s.data_connected(t.id, peer, now);
        s.data_secured(t.id, true, now);
        s.data_failed(t.id, TransferError::Truncated, now);
    });
    assert!(out.contains("150 "), "{out}");
    assert!(
        out.contains("426 ") && out.contains("close_notify"),
        "{out}"
    );
    assert!(d.commits.is_empty());
    assert!(!d.fs.exists("/home/alice/cut.bin"));
    assert_eq!(d.send(b"NOOP\r\n"), "200 NOOP ok\r\n");
}

#[test]
fn implicit_tls_starts_secure_with_protected_data() {
    use sansftp::server::{Output, Session};
    let config = std::sync::Arc::new(sample_config().tls(TlsPolicy::explicit().required(true)));
    let now = std::time::Instant::now();
    let mut s = Session::new(
        config,
        "10.0.0.2:1".parse().unwrap(),
        "10.0.0.1:990".parse().unwrap(),
        now,
    );
    s.implicit_tls();
    // The handshake comes before the greeting; nothing is read before it ends.
    assert!(matches!(s.poll_output(), Some(Output::SecureControl)));
    s.handle_control(b"USER alice\r\n", now);
    assert!(matches!(s.poll_output(), Some(Output::Send(b)) if b.starts_with(b"220 ")));
    assert!(s.poll_output().is_none(), "the early USER was dropped");

    let mut d = driver(TlsPolicy::explicit().required(true));
    d.hold_tls = true;
    d.with(|s, _| s.implicit_tls());
    assert_eq!(d.tls_upgrades, 1);
    d.with(|s, now| s.control_secured(now));
    assert!(d.send(b"AUTH TLS\r\n").starts_with("503 "));
    assert!(d.send(b"USER alice\r\nPASS secret\r\n").contains("230 "));
    // Clients still send PBSZ/PROT; both are fine, and data is protected without them.
    assert_eq!(
        d.send(b"PBSZ 0\r\nPROT P\r\n"),
        "200 PBSZ=0 ok\r\n200 Protection level set to P\r\n"
    );
    let out = d.send(b"PASV\r\nLIST\r\n");
    assert!(out.contains("226 "), "{out}");
    assert!(d.transfers[0].tls.is_some());
}

#[test]
fn the_policy_builder_sets_what_it_says() {
    let p = TlsPolicy::explicit();
    assert!(p.available && !p.required_on_control && !p.required_on_data);
    assert!(p.session_reuse_required);
    let p = p.required(true).session_reuse_required(false);
    assert!(p.required_on_control && p.required_on_data && !p.session_reuse_required);
    assert!(!Config::new().tls.available);
}
