//! Answers to the session's requests and data connection events: the inputs an adapter
//! feeds after acting on an [`Output`].

use std::net::{SocketAddr, SocketAddrV4};
use std::time::Instant;

use bytes::Bytes;

use crate::addr::{format_epsv_reply_text, format_pasv_reply_text, pasv_ipv4};
use crate::code::Code;
use crate::error::NoAvailablePort;
use crate::path::{VirtualPath, quote_257};

use super::audit::AuditAction;
use super::facts::add_server_facts;
use super::request::{
    AuthResult, Event, Output, RequestId, StorageError, StorageOutcome, TransferError, TransferKind,
};
use super::session::{DataSetup, ListKind, Login, Next, Phase, Session, TransferState, Wait};
use super::texts;
use super::timers::grace_end;

/// How many STOU names are tried before giving up.
const MAX_UNIQUE_TRIES: u32 = 16;

impl Session {
    /// Answers the [`Output::Auth`] request `id`. Call when the user manager has decided;
    /// an unknown or stale `id` is ignored.
    pub fn complete_auth(&mut self, id: RequestId, result: AuthResult, now: Instant) {
        let login = match &self.wait {
            Some(Wait::Auth { id: w, login }) if *w == id => login.clone(),
            _ => return,
        };
        self.wait = None;
        self.last_activity = now;
        match result {
            AuthResult::LoggedIn(user) => {
                if let Some(limits) = &self.limits {
                    let Some(slot) = limits.try_login(&user) else {
                        self.emit(Output::Event(Event::UserLimitReached(user)));
                        let text = self.config.user_limit_text.clone();
                        self.reply(Code::NOT_LOGGED_IN, text);
                        return self.pump(now);
                    };
                    self.user_slot = Some(slot);
                }
                self.reply(Code::LOGGED_IN, "Login successful");
                self.emit(Output::Event(Event::LoggedIn(user.clone())));
                self.logged_in(user);
                self.audit(AuditAction::Login);
            }
            AuthResult::NeedPassword => {
                let text = format!("Password required for {}", String::from_utf8_lossy(&login));
                self.login = Login::UserGiven(login);
                self.reply(Code::NEED_PASSWORD, text);
            }
            AuthResult::Denied(reason) => {
                // After a wrong PASS the user stays chosen, so PASS can be retried.
                let ip = self.peer.ip().to_canonical();
                self.emit(Output::Event(Event::LoginFailed {
                    login: String::from_utf8_lossy(&login).into_owned(),
                    ip,
                }));
                self.audit(AuditAction::LoginFailed {
                    login: String::from_utf8_lossy(&login).into_owned(),
                });
                let addresses = self.limits.as_ref().map(|l| l.addresses().clone());
                if let Some(until) = addresses.and_then(|a| a.login_failed(ip, now)) {
                    let ban = until.saturating_duration_since(now);
                    self.emit(Output::Event(Event::BanStarted { ip, ban }));
                }
                let text = if reason.is_empty() {
                    "Login incorrect".to_owned()
                } else {
                    reason
                };
                match grace_end(self.config.login_failure_delay, now) {
                    // The 530 waits (and the commands behind it): guessing is slow.
                    Some(until) => self.wait = Some(Wait::FailedLogin { until, text }),
                    None => self.reply(Code::NOT_LOGGED_IN, text),
                }
            }
        }
        self.pump(now);
    }

    /// Answers the [`Output::Storage`] request `id`. Call when the storage operation has
    /// finished; an unknown or stale `id` is ignored.
    pub fn complete_storage(
        &mut self,
        id: RequestId,
        result: Result<StorageOutcome, StorageError>,
        now: Instant,
    ) {
        let next = match self.wait.take() {
            Some(Wait::Storage { id: w, next }) if w == id => next,
            other => {
                self.wait = other;
                return;
            }
        };
        self.last_activity = now;
        match result {
            Ok(outcome) => self.storage_ok(next, outcome, now),
            Err(err) => self.storage_err(next, err),
        }
        // Also when a transfer just started: an ABOR already queued must reach it.
        self.pump(now);
    }

    /// Answers the [`Output::OpenPassive`] request `id` with the listener's address, or
    /// [`NoAvailablePort`] when the range is exhausted (the client gets `425` and the
    /// session emits [`Event::NoAvailablePort`]). A stale `id` is ignored: close that
    /// listener.
    pub fn complete_passive(
        &mut self,
        id: RequestId,
        result: Result<SocketAddr, NoAvailablePort>,
        now: Instant,
    ) {
        let extended = match &self.wait {
            Some(Wait::Passive { id: w, extended }) if *w == id => *extended,
            _ => return,
        };
        self.wait = None;
        self.last_activity = now;
        match result {
            Ok(addr) => {
                self.data = DataSetup::Passive;
                if extended {
                    self.reply(Code::EXTENDED_PASSIVE, format_epsv_reply_text(addr.port()));
                } else {
                    let ip = self
                        .config
                        .masquerade_address
                        .or_else(|| pasv_ipv4(self.local.ip()))
                        .or_else(|| pasv_ipv4(addr.ip()))
                        .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
                    let text = format_pasv_reply_text(SocketAddrV4::new(ip, addr.port()));
                    self.reply(Code::PASSIVE, text);
                }
            }
            Err(e) => {
                self.reply(
                    Code::CANT_OPEN_DATA,
                    "Can't open passive connection: no free port",
                );
                self.emit(Output::Event(Event::NoAvailablePort(e)));
            }
        }
        self.pump(now);
    }

    /// Reports that transfer `id` has its data connection, from `peer`. Call once the
    /// file is open and the connection accepted (passive) or connected (active); the
    /// session answers `150`, or `425` if `peer` is not the client's host (then close
    /// the connection). Stale ids are ignored.
    pub fn data_connected(&mut self, id: RequestId, peer: SocketAddr, now: Instant) {
        let allowed = self.is_allowed_data_peer(peer);
        let Some(Wait::Transfer(t)) = &mut self.wait else {
            return;
        };
        if t.id != id || t.phase.connected() {
            return;
        }
        if !allowed {
            self.wait = None;
            self.emit(Output::AbortTransfer { id });
            self.reply(
                Code::CANT_OPEN_DATA,
                "Data connection refused: it must come from the client's address",
            );
            return self.after_transfer(now);
        }
        t.phase = Phase::Moving {
            bytes: 0,
            since: now,
            checked: now,
        };
        let text = opening_text(&t.kind, t.path.as_ref(), self.ascii);
        self.reply(Code::OPENING_DATA, text);
        self.close_lent_passive();
    }

    /// Reports that transfer `id` finished: every byte was moved (`bytes` in all) and the
    /// data connection is closed. A download or listing is answered `226`. An upload's
    /// file stays uncommitted for [`Config::commit_grace`](super::Config::commit_grace)
    /// (a deadline in [`poll_timeout`](Session::poll_timeout)): a client killed
    /// mid-upload closes both connections, and its data end of file looks like a
    /// complete upload, so the session first lets the control connection show its end
    /// (keep reading it and report [`control_closed`](Session::control_closed) as
    /// usual: the upload is then dropped, never committed). Then
    /// [`handle_timeout`](Session::handle_timeout) emits [`Output::CommitUpload`]: the
    /// adapter makes the file final and answers with
    /// [`upload_committed`](Session::upload_committed), which sends the `226`.
    /// Stale ids (and a second call for the same upload) are ignored.
    pub fn data_done(&mut self, id: RequestId, bytes: u64, now: Instant) {
        if self.refused_unchecked_tls(id, now) {
            return;
        }
        let t = match self.wait.take() {
            Some(Wait::Transfer(t)) if t.id == id && !t.phase.finishing() => t,
            other => {
                self.wait = other;
                return;
            }
        };
        if !t.phase.connected() {
            // An adapter that skipped `data_connected` still gets a well-formed exchange.
            let text = opening_text(&t.kind, t.path.as_ref(), self.ascii);
            self.reply(Code::OPENING_DATA, text);
        }
        if t.kind.is_upload() {
            let grace = grace_end(self.config.commit_grace, now);
            let phase = match grace {
                Some(until) => Phase::Grace { bytes, until },
                None => Phase::Committing { bytes, since: now },
            };
            self.wait = Some(Wait::Transfer(TransferState { phase, ..t }));
            self.last_activity = now;
            if grace.is_none() {
                self.commit(id, bytes, now);
            }
            return;
        }
        self.transfer_complete(t, bytes, now);
    }

    /// Answers the [`Output::CommitUpload`] for upload `id` with the result of
    /// `sansftp_storage::WriteHandle::commit` (or the backend's
    /// equivalent): `226` on success, else `552` for [`StorageError::NoSpace`] and `451`
    /// for anything else. Stale ids are ignored (the upload was aborted meanwhile).
    pub fn upload_committed(
        &mut self,
        id: RequestId,
        result: Result<(), StorageError>,
        now: Instant,
    ) {
        let (t, bytes) = match self.wait.take() {
            Some(Wait::Transfer(t)) if t.id == id => match t.phase {
                Phase::Committing { bytes, .. } => (t, bytes),
                _ => {
                    self.wait = Some(Wait::Transfer(t));
                    return;
                }
            },
            other => {
                self.wait = other;
                return;
            }
        };
        match result {
            Ok(()) => self.transfer_complete(t, bytes, now),
            Err(e) => {
                // `data_failed` after the data connection: 552 for a full disk, else 451.
                let phase = Phase::Moving {
                    bytes,
                    since: now,
                    checked: now,
                };
                self.wait = Some(Wait::Transfer(TransferState { phase, ..t }));
                self.data_failed(id, TransferError::Storage(e), now);
            }
        }
    }

    /// `226` for a transfer that is over, and the queued commands go on.
    fn transfer_complete(&mut self, t: TransferState, bytes: u64, now: Instant) {
        self.reply(Code::TRANSFER_COMPLETE, "Transfer complete");
        match (&t.kind, &t.path) {
            (TransferKind::Store { .. }, Some(path)) => {
                let path = path.clone();
                self.audit(AuditAction::Upload { path, bytes });
            }
            (TransferKind::Retrieve { .. }, Some(path)) => {
                let path = path.clone();
                self.audit(AuditAction::Download { path, bytes });
            }
            _ => {}
        }
        let upload = t.kind.is_upload();
        let path = match t.kind {
            TransferKind::SendData(_) => None,
            _ => t.path,
        };
        self.emit(Output::Event(Event::TransferDone {
            path,
            upload,
            bytes,
        }));
        self.after_transfer(now);
    }

    /// Reports that transfer `id` failed. Before [`data_connected`](Session::data_connected)
    /// a [`TransferError::Storage`] (file missing, ...) answers the command directly
    /// (`550`, ...), a connection error with `425`; afterwards the reply is `426` (or
    /// `451`/`552` for a storage error). Stale ids are ignored.
    pub fn data_failed(&mut self, id: RequestId, error: TransferError, now: Instant) {
        let t = match self.wait.take() {
            Some(Wait::Transfer(t)) if t.id == id && !t.phase.finishing() => t,
            other => {
                self.wait = other;
                return;
            }
        };
        let connected = t.phase.connected();
        self.audit_aborted(&t);
        let unique = matches!(t.kind, TransferKind::Store { unique: true, .. });
        if !connected
            && unique
            && error == TransferError::Storage(StorageError::AlreadyExists)
            && t.unique_tries + 1 < MAX_UNIQUE_TRIES
        {
            return self.retry_unique(t, now);
        }
        let upload = t.kind.is_upload();
        let what = t.path.as_ref().map(ToString::to_string).unwrap_or_default();
        match (&error, connected) {
            (TransferError::Storage(e), false) => {
                let code = match e {
                    StorageError::NotFound if upload => Code::NAME_NOT_ALLOWED,
                    other => other.reply_code(),
                };
                self.reply(code, format!("{what}: {e}"));
            }
            (TransferError::Storage(StorageError::NoSpace), true) if upload => {
                self.reply(
                    Code::EXCEEDED_STORAGE,
                    format!("{what}: {}", StorageError::NoSpace),
                );
            }
            (TransferError::Storage(e), true) => {
                self.reply(Code::LOCAL_ERROR, format!("Transfer failed: {e}"));
            }
            (
                TransferError::Connect(_) | TransferError::Broken(_) | TransferError::Truncated,
                false,
            ) => {
                self.reply(
                    Code::CANT_OPEN_DATA,
                    format!("Can't open data connection: {error}"),
                );
            }
            (_, true) => {
                self.reply(Code::TRANSFER_ABORTED, format!("Transfer aborted: {error}"));
            }
        }
        self.after_transfer(now);
    }

    fn retry_unique(&mut self, t: TransferState, now: Instant) {
        let hint = t.path.as_ref().map(|p| strip_seq(p.as_bytes()));
        let Some(path) = self.unique_name(hint.as_deref()) else {
            return self.after_transfer(now);
        };
        // The data connection was never used: the next attempt takes the same one (the
        // passive listener stays open: no `ClosePassive` before the retry's `Transfer`).
        self.data = t.channel;
        let kind = TransferKind::Store {
            path: path.clone(),
            offset: 0,
            append: false,
            unique: true,
        };
        self.start_transfer(kind, Some(path), "STOU", now);
        if let Some(Wait::Transfer(n)) = &mut self.wait {
            n.unique_tries = t.unique_tries + 1;
        }
    }

    fn storage_ok(&mut self, next: Next, outcome: StorageOutcome, now: Instant) {
        match (next, outcome) {
            (Next::Cwd(p), StorageOutcome::Metadata(e)) => {
                if e.is_dir() {
                    self.cwd = p;
                    self.reply(Code::FILE_ACTION_OK, "Directory successfully changed");
                } else {
                    self.reply(Code::FILE_UNAVAILABLE, format!("{p}: Not a directory"));
                }
            }
            (Next::Mkd(p), _) => {
                self.audit(AuditAction::MakeDir { path: p.clone() });
                let mut text = quote_257(p.as_bytes());
                text.extend_from_slice(b" created");
                self.reply(Code::PATH_CREATED, text);
            }
            (Next::Done(_, action), _) => {
                self.audit(action);
                self.reply(
                    Code::FILE_ACTION_OK,
                    "Requested file action okay, completed",
                );
            }
            (Next::Rnfr(p), StorageOutcome::Metadata(_)) => {
                self.rename_from = Some(p);
                self.reply(Code::PENDING, "Ready for RNTO");
            }
            (Next::Size(p), StorageOutcome::Metadata(e)) => match (e.is_file(), e.size) {
                (true, Some(size)) => self.reply(Code::FILE_STATUS, size.to_string()),
                _ => self.reply(Code::FILE_UNAVAILABLE, format!("{p}: Not a regular file")),
            },
            (Next::Mdtm(p), StorageOutcome::Metadata(e)) => match e.modified {
                Some(t) if e.is_file() => self.reply(Code::FILE_STATUS, t.to_modify_string()),
                _ => self.reply(Code::FILE_UNAVAILABLE, format!("{p}: No modification time")),
            },
            (Next::Mfmt(p, t), StorageOutcome::Done) => {
                let text = format!("Modify={}; {p}", t.to_modify_string());
                self.reply(Code::FILE_STATUS, text);
            }
            (Next::Hash(p), StorageOutcome::Hash { digest, size }) => {
                // draft-bryan-ftpext-hash: algorithm, byte range, digest, file name.
                let text = format!("{} 0-{size} {digest} {p}", self.hash.name());
                self.reply(Code::FILE_STATUS, text);
            }
            (Next::Chmod(_), StorageOutcome::Done) => {
                self.reply(Code::OK, "SITE CHMOD command ok");
            }
            (Next::Mlst(p), StorageOutcome::Metadata(mut e)) => {
                if let Some(user) = self.user() {
                    add_server_facts(&mut e, &p, user, self.mlst_facts);
                }
                let reply = texts::mlst(&p, e, self.mlst_facts);
                self.send(&reply);
            }
            (
                Next::List(kind, p),
                StorageOutcome::Listing {
                    mut entries,
                    now: wall,
                },
            ) => {
                if let (ListKind::Mlsd, Some(user)) = (kind, self.user()) {
                    for e in &mut entries {
                        let own = if e.is_self_or_parent() {
                            None
                        } else {
                            p.join(&e.name).ok()
                        };
                        add_server_facts(e, own.as_ref().unwrap_or(&p), user, self.mlst_facts);
                    }
                }
                let body = texts::listing(kind, &entries, wall, self.mlst_facts);
                self.finish_listing(kind, &p, true, body, now);
            }
            (Next::ListOne(kind, p), StorageOutcome::Metadata(mut e)) => {
                if e.is_dir() {
                    // It was a directory after all (a race); list it empty.
                    let body = Bytes::new();
                    return self.finish_listing(kind, &p, true, body, now);
                }
                let name = match kind {
                    // NLST answers with the path as given, so it can be fed back.
                    ListKind::Nlst => p.as_bytes().to_vec(),
                    _ => p.file_name().unwrap_or(b"/").to_vec(),
                };
                e.name = name;
                // No wall clock comes with metadata: a date far ahead makes `LIST` show
                // the year, which is never misleading (a guessed "recent" time would be).
                let wall = crate::time::DateTime::MAX;
                let body = texts::listing(kind, std::slice::from_ref(&e), wall, self.mlst_facts);
                self.finish_listing(kind, &p, false, body, now);
            }
            (_, _) => self.reply(Code::LOCAL_ERROR, "Storage gave an unexpected answer"),
        }
    }

    fn storage_err(&mut self, next: Next, err: StorageError) {
        let (path, new_name) = match &next {
            Next::List(kind, p) if err == StorageError::NotADirectory => {
                if *kind == ListKind::Mlsd {
                    return self.reply(Code::BAD_ARGUMENTS, format!("{p}: Not a directory"));
                }
                let (kind, p) = (*kind, p.clone());
                return self.storage(
                    super::request::StorageOp::Metadata(p.clone()),
                    Next::ListOne(kind, p),
                );
            }
            Next::Cwd(p)
            | Next::Done(p, _)
            | Next::Rnfr(p)
            | Next::Size(p)
            | Next::Mdtm(p)
            | Next::Mfmt(p, _)
            | Next::Hash(p)
            | Next::Chmod(p)
            | Next::Mlst(p)
            | Next::List(_, p)
            | Next::ListOne(_, p) => (p, false),
            Next::Mkd(p) => (p, true),
        };
        let code = match &err {
            StorageError::AlreadyExists if new_name => Code::FILE_UNAVAILABLE,
            e => e.reply_code(),
        };
        let text = format!("{path}: {err}");
        self.reply(code, text);
    }

    /// Sends a formatted listing: over the control connection for STAT, else as a
    /// transfer.
    fn finish_listing(
        &mut self,
        kind: ListKind,
        path: &VirtualPath,
        dir: bool,
        body: Bytes,
        now: Instant,
    ) {
        if kind == ListKind::Stat {
            let code = if dir {
                Code::DIRECTORY_STATUS
            } else {
                Code::FILE_STATUS
            };
            let reply = texts::stat_listing(code, path, &body);
            return self.send(&reply);
        }
        let verb = match kind {
            ListKind::List => "LIST",
            ListKind::Nlst => "NLST",
            _ => "MLSD",
        };
        self.start_transfer(TransferKind::SendData(body), Some(path.clone()), verb, now);
    }
}

/// The `150` text.
fn opening_text(kind: &TransferKind, path: Option<&VirtualPath>, ascii: bool) -> String {
    let mode = if ascii { "ASCII" } else { "BINARY" };
    match kind {
        TransferKind::SendData(_) => "Here comes the directory listing".to_owned(),
        TransferKind::Store {
            unique: true, path, ..
        } => format!("FILE: {path}"),
        _ => format!(
            "Opening {mode} mode data connection for {}",
            path.map(ToString::to_string).unwrap_or_default()
        ),
    }
}

/// `name.7` back to `name`, so STOU retries count up instead of piling suffixes.
fn strip_seq(name: &[u8]) -> Vec<u8> {
    match memchr::memrchr(b'.', name) {
        Some(i) if i > 0 && name[i + 1..].iter().all(u8::is_ascii_digit) => name[..i].to_vec(),
        _ => name.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_seq_removes_only_a_numeric_suffix() {
        assert_eq!(strip_seq(b"/d/file.12"), b"/d/file");
        assert_eq!(strip_seq(b"/d/file.txt"), b"/d/file.txt");
        assert_eq!(strip_seq(b"/a.b/file"), b"/a.b/file");
        assert_eq!(strip_seq(b".7"), b".7");
    }
}
