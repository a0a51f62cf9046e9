//! Command handlers: what the session does with each command when its turn comes.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use crate::addr::{is_bounce_safe, pasv_ipv4, same_host};
use crate::code::Code;
use crate::command::{
    Command, EpsvArg, ListArgs, ParseError, Structure, TextFormat, TransferMode, TransferType,
};
use crate::listing::FactSet;
use crate::path::{VirtualPath, quote_257};

use super::audit::AuditAction;
use super::data::Progress;
use super::request::{
    AuthRequest, DataChannel, Event, HashAlgorithm, Output, StorageOp, Transfer, TransferKind,
};
use super::session::{DataSetup, ListKind, Login, Next, Phase, Session, TransferState, Wait};
use super::texts;
use super::user::User;

/// What a command needs on its path.
#[derive(Clone, Copy)]
pub(super) enum Need {
    Read,
    Write,
}

impl Session {
    /// Executes one command whose turn has come (nothing is outstanding).
    pub(super) fn execute(&mut self, item: Result<Command, ParseError>, now: Instant) {
        // REST and RNFR only reach the very next command.
        let rename_from = self.rename_from.take();
        let cmd = match item {
            Ok(cmd) => cmd,
            Err(e) => {
                self.rest = None;
                return self.send(&e.to_reply());
            }
        };
        // REST survives the data setup some clients send between it and the transfer
        // (`REST`, `PASV`, `RETR`); any other command clears it.
        let rest = if keeps_rest(&cmd) {
            self.rest
        } else {
            self.rest.take()
        };
        if self.user().is_none() && !allowed_before_login(&cmd) {
            return self.reply(
                Code::NOT_LOGGED_IN,
                "Please log in with USER and PASS first",
            );
        }
        match cmd {
            Command::User(login) => self.cmd_user(login, now),
            Command::Pass(password) => self.cmd_pass(password, now),
            Command::Acct(_) => self.reply(Code::SUPERFLUOUS, "No account needed"),
            Command::Rein => self.cmd_rein(),
            Command::Quit => {
                self.reply(Code::CLOSING, "Goodbye");
                self.terminate();
            }
            Command::Syst => {
                let text = self.config.system_type.clone();
                self.reply(Code::SYSTEM_TYPE, text);
            }
            Command::Noop => self.reply(Code::OK, "NOOP ok"),
            Command::Feat => self.send(&texts::feat(
                self.mlst_facts,
                self.hash,
                self.config.tls.available,
            )),
            Command::Help(topic) => self.send(&texts::help(topic.as_deref())),
            Command::Host(_) => self.cmd_host(),
            Command::Auth(mechanism) => self.cmd_auth(&mechanism, now),
            Command::Ccc => self.cmd_ccc(),
            Command::Pbsz(size) => self.cmd_pbsz(size),
            Command::Prot(level) => self.cmd_prot(level),
            Command::Opts(arg) => self.cmd_opts(&arg),
            Command::Site(arg) => self.cmd_site(&arg),
            Command::Mfmt(arg) => self.cmd_mfmt(&arg),
            Command::Hash(arg) => self.with_path(&arg, Need::Read, false, |s, p| {
                let algorithm = s.hash;
                s.storage(
                    StorageOp::Hash {
                        path: p.clone(),
                        algorithm,
                    },
                    Next::Hash(p),
                )
            }),
            Command::Type(t) => self.cmd_type(t),
            Command::Mode(TransferMode::Stream) => self.reply(Code::OK, "Mode set to S"),
            Command::Mode(_) => self.reply(
                Code::PARAMETER_NOT_IMPLEMENTED,
                "Only MODE S (stream) is supported",
            ),
            Command::Stru(Structure::File) => self.reply(Code::OK, "Structure set to F"),
            Command::Stru(_) => self.reply(
                Code::PARAMETER_NOT_IMPLEMENTED,
                "Only STRU F (file) is supported",
            ),
            Command::Allo { .. } => self.reply(Code::SUPERFLUOUS, "ALLO not needed"),
            Command::Rest(offset) => {
                self.rest = Some(offset);
                self.reply(
                    Code::PENDING,
                    format!("Restarting at {offset}. Send RETR, STOR or APPE"),
                );
            }
            Command::Pwd => {
                let mut text = quote_257(self.cwd.as_bytes());
                text.extend_from_slice(b" is the current directory");
                self.reply(Code::PATH_CREATED, text);
            }
            Command::Cwd(arg) => self.with_path(&arg, Need::Read, false, |s, p| {
                s.storage(StorageOp::Metadata(p.clone()), Next::Cwd(p))
            }),
            Command::Cdup => {
                let parent = self.cwd.parent().unwrap_or_else(VirtualPath::root);
                if self.permitted(&parent, Need::Read) {
                    self.storage(StorageOp::Metadata(parent.clone()), Next::Cwd(parent));
                }
            }
            Command::Mkd(arg) => self.with_path(&arg, Need::Write, true, |s, p| {
                s.storage(StorageOp::MakeDir(p.clone()), Next::Mkd(p))
            }),
            Command::Rmd(arg) => self.with_path(&arg, Need::Write, false, |s, p| {
                let audit = AuditAction::RemoveDir { path: p.clone() };
                s.storage(StorageOp::RemoveDir(p.clone()), Next::Done(p, audit))
            }),
            Command::Dele(arg) => self.with_path(&arg, Need::Write, false, |s, p| {
                let audit = AuditAction::Delete { path: p.clone() };
                s.storage(StorageOp::RemoveFile(p.clone()), Next::Done(p, audit))
            }),
            Command::Rnfr(arg) => self.with_path(&arg, Need::Write, false, |s, p| {
                s.storage(StorageOp::Metadata(p.clone()), Next::Rnfr(p))
            }),
            Command::Rnto(arg) => match rename_from {
                None => self.reply(Code::BAD_SEQUENCE, "RNTO needs RNFR first"),
                Some(from) => self.with_path(&arg, Need::Write, true, |s, to| {
                    let audit = AuditAction::Rename {
                        from: from.clone(),
                        to: to.clone(),
                    };
                    s.storage(
                        StorageOp::Rename {
                            from,
                            to: to.clone(),
                        },
                        Next::Done(to, audit),
                    )
                }),
            },
            Command::Size(arg) => self.with_path(&arg, Need::Read, false, |s, p| {
                s.storage(StorageOp::Metadata(p.clone()), Next::Size(p))
            }),
            Command::Mdtm(arg) => self.with_path(&arg, Need::Read, false, |s, p| {
                s.storage(StorageOp::Metadata(p.clone()), Next::Mdtm(p))
            }),
            Command::Mlst(arg) => self.with_optional_path(arg, |s, p| {
                s.storage(StorageOp::Metadata(p.clone()), Next::Mlst(p))
            }),
            Command::Mlsd(arg) => self.cmd_list(ListKind::Mlsd, arg),
            Command::List(ListArgs { path, .. }) => self.cmd_list(ListKind::List, path),
            Command::Nlst(ListArgs { path, .. }) => self.cmd_list(ListKind::Nlst, path),
            Command::Stat(None) => self.server_status(),
            Command::Stat(Some(arg)) => self.cmd_list(ListKind::Stat, Some(arg)),
            Command::Retr(arg) => self.with_path(&arg, Need::Read, false, |s, p| {
                let kind = TransferKind::Retrieve {
                    path: p.clone(),
                    offset: rest.unwrap_or(0),
                };
                s.start_transfer(kind, Some(p), "RETR", now)
            }),
            Command::Stor(arg) => self.cmd_store(&arg, rest, false, now),
            Command::Appe(arg) => self.cmd_store(&arg, rest, true, now),
            Command::Stou(hint) => self.cmd_stou(hint, now),
            Command::Pasv => self.cmd_pasv(),
            Command::Epsv(arg) => self.cmd_epsv(arg),
            Command::Port(addr) => self.cmd_active(SocketAddr::V4(addr)),
            Command::Eprt(addr) => self.cmd_active(addr),
            Command::Abor => {
                if self.data == DataSetup::Passive {
                    self.emit(Output::ClosePassive);
                }
                self.data = DataSetup::None;
                self.reply(Code::DATA_OPEN, "No transfer to abort");
            }
            Command::Unknown { verb, .. } => {
                self.reply(Code::NOT_IMPLEMENTED, format!("{verb} not implemented"))
            }
            // Variants added to `Command` later: not implemented until handled here.
            #[allow(unreachable_patterns)]
            other => self.reply(
                Code::NOT_IMPLEMENTED,
                format!("{} not implemented", other.verb()),
            ),
        }
    }

    /// ABOR during a transfer: `426` for the transfer, then `226` for ABOR.
    pub(super) fn abort_transfer(&mut self, now: Instant) {
        if let Some(Wait::Transfer(t)) = self.wait.take() {
            self.emit(Output::AbortTransfer { id: t.id });
            self.audit_aborted(&t);
            self.reply(Code::TRANSFER_ABORTED, "Transfer aborted");
            self.reply(Code::TRANSFER_COMPLETE, "ABOR successful");
            self.after_transfer(now);
        }
    }

    /// Resolves a client path: joined to the working directory, `..` clamped at `/`.
    /// A refused path gets `553` when it names something to create, else `501`.
    pub(super) fn resolve(&mut self, arg: &[u8], new_name: bool) -> Option<VirtualPath> {
        match self.cwd.join(arg) {
            Ok(p) => Some(p),
            Err(e) => {
                let code = if new_name {
                    Code::NAME_NOT_ALLOWED
                } else {
                    Code::BAD_ARGUMENTS
                };
                self.reply(code, format!("Bad path: {e}"));
                None
            }
        }
    }

    /// Whether the user may `need` on `path`; answers `550` when not.
    pub(super) fn permitted(&mut self, path: &VirtualPath, need: Need) -> bool {
        let Some(user) = self.user() else {
            self.reply(Code::NOT_LOGGED_IN, "Not logged in");
            return false;
        };
        let p = user.permission_for(path);
        let ok = match need {
            Need::Read => p.readable,
            Need::Write => p.writable,
        };
        if !ok {
            self.reply(Code::FILE_UNAVAILABLE, format!("{path}: Permission denied"));
        }
        ok
    }

    fn with_path(
        &mut self,
        arg: &[u8],
        need: Need,
        new_name: bool,
        then: impl FnOnce(&mut Session, VirtualPath),
    ) {
        let Some(path) = self.resolve(arg, new_name) else {
            return;
        };
        if self.permitted(&path, need) {
            then(self, path);
        }
    }

    fn with_optional_path(
        &mut self,
        arg: Option<Vec<u8>>,
        then: impl FnOnce(&mut Session, VirtualPath),
    ) {
        match arg {
            Some(arg) => self.with_path(&arg, Need::Read, false, then),
            None => {
                let path = self.cwd.clone();
                if self.permitted(&path, Need::Read) {
                    then(self, path);
                }
            }
        }
    }

    /// Emits a storage request; its answer continues with `next`.
    pub(super) fn storage(&mut self, op: StorageOp, next: Next) {
        let Some(user) = self.user().cloned() else {
            return self.reply(Code::NOT_LOGGED_IN, "Not logged in");
        };
        let id = self.next_id();
        self.wait = Some(Wait::Storage { id, next });
        self.emit(Output::Storage { id, user, op });
    }

    /// Hands a transfer to the adapter, using the data connection set up by PASV/PORT.
    pub(super) fn start_transfer(
        &mut self,
        kind: TransferKind,
        path: Option<VirtualPath>,
        verb: &'static str,
        now: Instant,
    ) {
        let setup = std::mem::replace(&mut self.data, DataSetup::None);
        let channel = match setup {
            DataSetup::None => return self.reply(Code::CANT_OPEN_DATA, "Use PORT or PASV first"),
            DataSetup::Passive => DataChannel::Passive,
            DataSetup::Active(addr) => DataChannel::Active(addr),
        };
        let Some(user) = self.user().cloned() else {
            return self.reply(Code::NOT_LOGGED_IN, "Not logged in");
        };
        let Ok(tls) = self.data_tls(kind.is_upload()) else {
            // Refused (521): the data setup stays for a retry under PROT P.
            self.data = setup;
            return;
        };
        self.passive_lent = channel == DataChannel::Passive;
        let kind_is_data = matches!(kind, TransferKind::SendData(_));
        let id = self.next_id();
        let deadline = now
            .checked_add(self.config.data_wait_timeout)
            .unwrap_or(now);
        let progress = Progress::default();
        self.wait = Some(Wait::Transfer(TransferState {
            id,
            phase: Phase::Opening,
            deadline,
            path,
            kind: kind.clone(),
            verb,
            unique_tries: 0,
            channel: setup,
            progress: progress.clone(),
            tls: tls.is_some(),
            tls_checked: false,
        }));
        let throttles = self.throttles.as_ref().map_or_else(Default::default, |t| {
            t.for_transfer(&self.config, &user, kind.is_upload(), now)
        });
        self.emit(Output::Transfer(Transfer {
            id,
            user,
            throttles,
            kind,
            channel,
            // A listing is already CRLF text.
            ascii: self.ascii && !kind_is_data,
            allowed_peer: self.peer.ip(),
            progress,
            tls,
        }));
    }

    /// `425` unless PASV/EPSV/PORT/EPRT prepared a data connection; checked before any
    /// storage work for a listing so a listing is not read for nothing.
    fn has_data_setup(&mut self) -> bool {
        if self.data == DataSetup::None {
            self.reply(Code::CANT_OPEN_DATA, "Use PORT or PASV first");
            return false;
        }
        true
    }

    fn cmd_user(&mut self, login: Vec<u8>, now: Instant) {
        if !self.login_allowed() || self.refused_as_banned(now) {
            return;
        }
        // A new USER starts over, logging out whoever was logged in (as aioftp).
        self.logout();
        self.login = Login::None;
        let id = self.next_id();
        self.wait = Some(Wait::Auth {
            id,
            login: login.clone(),
        });
        self.emit(Output::Auth {
            id,
            request: AuthRequest::User { login },
        });
    }

    fn cmd_pass(&mut self, password: Vec<u8>, now: Instant) {
        if !self.login_allowed() || self.refused_as_banned(now) {
            return;
        }
        match &self.login {
            Login::LoggedIn(_) => self.reply(Code::SUPERFLUOUS, "Already logged in"),
            Login::None => self.reply(Code::BAD_SEQUENCE, "Login with USER first"),
            Login::UserGiven(login) => {
                let login = login.clone();
                let id = self.next_id();
                self.wait = Some(Wait::Auth {
                    id,
                    login: login.clone(),
                });
                self.emit(Output::Auth {
                    id,
                    request: AuthRequest::Password { login, password },
                });
            }
        }
    }

    /// A login from an address banned for its failed logins (one of this session's,
    /// or another's from the same address): `421` and close.
    fn refused_as_banned(&mut self, now: Instant) -> bool {
        let ip = self.peer.ip();
        let banned = self
            .limits
            .as_ref()
            .is_some_and(|l| l.addresses().banned_until(ip, now).is_some());
        if banned {
            let ip = ip.to_canonical();
            self.emit(Output::Event(Event::Banned { ip }));
            let text = self.config.banned_text.clone();
            self.reply(Code::SERVICE_UNAVAILABLE, text);
            self.terminate();
        }
        banned
    }

    /// Logged in: working directory, transfer settings.
    pub(super) fn logged_in(&mut self, user: Arc<User>) {
        self.cwd = user.home_path.clone();
        self.login = Login::LoggedIn(user);
    }

    fn cmd_rein(&mut self) {
        self.logout();
        if self.data == DataSetup::Passive {
            self.emit(Output::ClosePassive);
        }
        self.data = DataSetup::None;
        self.cwd = VirtualPath::root();
        self.ascii = false;
        self.epsv_all = false;
        self.mlst_facts = FactSet::DEFAULT;
        self.reply(Code::READY, "Service ready for new user");
    }

    fn cmd_host(&mut self) {
        // RFC 7151: HOST comes before USER; one host is served, so any name is accepted.
        if matches!(self.login, Login::None) {
            self.reply(Code::READY, "Host accepted");
        } else {
            self.reply(Code::BAD_SEQUENCE, "HOST must come before USER");
        }
    }

    fn cmd_opts(&mut self, arg: &[u8]) {
        let (name, value) = match memchr::memchr(b' ', arg) {
            Some(i) => (&arg[..i], &arg[i + 1..]),
            None => (arg, &b""[..]),
        };
        if name.eq_ignore_ascii_case(b"UTF8") {
            // Names are bytes end to end: UTF-8 passes through whatever the setting.
            self.reply(Code::OK, "UTF8 mode is always on");
        } else if name.eq_ignore_ascii_case(b"HASH") {
            // draft-bryan-ftpext-hash: no value asks which one is selected.
            let value = value.trim_ascii();
            if !value.is_empty() {
                match HashAlgorithm::from_name(value) {
                    Some(a) => self.hash = a,
                    None => {
                        return self.reply(
                            Code::PARAMETER_NOT_IMPLEMENTED,
                            "Unknown algorithm, choose SHA-1, SHA-256, SHA-512 or MD5",
                        );
                    }
                }
            }
            self.reply(Code::OK, self.hash.name());
        } else if name.eq_ignore_ascii_case(b"MLST") {
            self.mlst_facts = FactSet::from_opts(value);
            let mut text = b"MLST OPTS ".to_vec();
            self.mlst_facts.write_opts(&mut text);
            self.reply(Code::OK, text);
        } else {
            self.reply(Code::BAD_ARGUMENTS, "Option not understood");
        }
    }

    /// `MFMT YYYYMMDDHHMMSS path` (draft-somers-ftp-mfxx): set a file's modification
    /// time, UTC; `501` for a malformed time.
    fn cmd_mfmt(&mut self, arg: &[u8]) {
        let parsed = memchr::memchr(b' ', arg).and_then(|i| {
            let time = crate::time::DateTime::parse_modify(&arg[..i])?;
            Some((time, &arg[i + 1..]))
        });
        let Some((modified, path)) = parsed.filter(|(_, p)| !p.is_empty()) else {
            return self.reply(
                Code::BAD_ARGUMENTS,
                "MFMT needs a time (YYYYMMDDHHMMSS, UTC) and a path",
            );
        };
        self.with_path(path, Need::Write, false, |s, p| {
            let op = StorageOp::SetModified {
                path: p.clone(),
                modified,
            };
            s.storage(op, Next::Mfmt(p, modified))
        });
    }

    /// `SITE HELP` and `SITE CHMOD mode path` (octal, where the storage has modes);
    /// other `SITE` commands are `504`.
    fn cmd_site(&mut self, arg: &[u8]) {
        let (name, rest) = match memchr::memchr(b' ', arg) {
            Some(i) => (&arg[..i], arg[i + 1..].trim_ascii_start()),
            None => (arg, &b""[..]),
        };
        if name.eq_ignore_ascii_case(b"HELP") {
            return self.send(&crate::reply::Reply::multiline(
                Code::HELP,
                ["SITE commands:", " CHMOD HELP", "End"],
            ));
        }
        if !name.eq_ignore_ascii_case(b"CHMOD") {
            let name = String::from_utf8_lossy(name).to_ascii_uppercase();
            return self.reply(
                Code::PARAMETER_NOT_IMPLEMENTED,
                format!("SITE {name} not implemented"),
            );
        }
        let parsed = memchr::memchr(b' ', rest).and_then(|i| {
            let digits = &rest[..i];
            let octal = !digits.is_empty()
                && digits.len() <= 4
                && digits.iter().all(|b| (b'0'..=b'7').contains(b));
            let mode = u32::from_str_radix(std::str::from_utf8(digits).ok()?, 8).ok()?;
            octal.then_some((mode, &rest[i + 1..]))
        });
        let Some((mode, path)) = parsed.filter(|(_, p)| !p.is_empty()) else {
            return self.reply(
                Code::BAD_ARGUMENTS,
                "SITE CHMOD needs an octal mode and a path",
            );
        };
        self.with_path(path, Need::Write, false, |s, p| {
            s.storage(
                StorageOp::SetMode {
                    path: p.clone(),
                    mode,
                },
                Next::Chmod(p),
            )
        });
    }

    fn cmd_type(&mut self, t: TransferType) {
        match t {
            TransferType::Image | TransferType::Local(8) => {
                self.ascii = false;
                self.reply(Code::OK, "Switching to Binary mode");
            }
            TransferType::Ascii(TextFormat::NonPrint) => {
                self.ascii = true;
                self.reply(Code::OK, "Switching to ASCII mode");
            }
            other => self.reply(
                Code::PARAMETER_NOT_IMPLEMENTED,
                format!("TYPE {other} not supported, use A or I"),
            ),
        }
    }

    fn cmd_list(&mut self, kind: ListKind, arg: Option<Vec<u8>>) {
        if kind != ListKind::Stat && !self.has_data_setup() {
            return;
        }
        self.with_optional_path(arg, |s, p| {
            s.storage(StorageOp::List(p.clone()), Next::List(kind, p))
        });
    }

    fn cmd_store(&mut self, arg: &[u8], rest: Option<u64>, append: bool, now: Instant) {
        let verb = if append { "APPE" } else { "STOR" };
        self.with_path(arg, Need::Write, true, |s, p| {
            let kind = TransferKind::Store {
                path: p.clone(),
                offset: rest.unwrap_or(0),
                append,
                unique: false,
            };
            s.start_transfer(kind, Some(p), verb, now)
        });
    }

    fn cmd_stou(&mut self, hint: Option<Vec<u8>>, now: Instant) {
        let Some(path) = self.unique_name(hint.as_deref()) else {
            return;
        };
        if !self.permitted(&path, Need::Write) {
            return;
        }
        let kind = TransferKind::Store {
            path: path.clone(),
            offset: 0,
            append: false,
            unique: true,
        };
        self.start_transfer(kind, Some(path), "STOU", now);
    }

    /// The next STOU candidate: the hint's file name (or `file`) plus a counter, in the
    /// working directory (or the hint's directory).
    pub(super) fn unique_name(&mut self, hint: Option<&[u8]>) -> Option<VirtualPath> {
        self.unique_seq = self.unique_seq.wrapping_add(1);
        let base = match hint {
            Some(h) => self.resolve(h, true)?,
            None => self.cwd.join(b"file").ok()?,
        };
        let mut name = base.file_name().unwrap_or(b"file").to_vec();
        name.extend_from_slice(format!(".{}", self.unique_seq).as_bytes());
        let dir = base.parent().unwrap_or_else(VirtualPath::root);
        match dir.join(&name) {
            Ok(p) => Some(p),
            Err(e) => {
                self.reply(Code::NAME_NOT_ALLOWED, format!("Bad path: {e}"));
                None
            }
        }
    }

    fn cmd_pasv(&mut self) {
        if self.epsv_all {
            return self.reply(Code::BAD_ARGUMENTS, "PASV not allowed after EPSV ALL");
        }
        if pasv_ipv4(self.local.ip()).is_none() {
            return self.reply(Code::BAD_ARGUMENTS, "PASV is IPv4 only, use EPSV");
        }
        self.open_passive(false);
    }

    fn cmd_epsv(&mut self, arg: Option<EpsvArg>) {
        let v4 = pasv_ipv4(self.local.ip()).is_some();
        match arg {
            Some(EpsvArg::All) => {
                self.epsv_all = true;
                self.reply(Code::OK, "EPSV ALL ok");
            }
            Some(EpsvArg::Ipv4) if !v4 => self.reply(
                Code::PROTOCOL_NOT_SUPPORTED,
                "Network protocol not supported, use (2)",
            ),
            Some(EpsvArg::Ipv6) if v4 => self.reply(
                Code::PROTOCOL_NOT_SUPPORTED,
                "Network protocol not supported, use (1)",
            ),
            _ => self.open_passive(true),
        }
    }

    fn open_passive(&mut self, extended: bool) {
        let id = self.next_id();
        // The listener replaces any earlier one; the adapter closes that one.
        self.data = DataSetup::None;
        self.wait = Some(Wait::Passive { id, extended });
        let ip: IpAddr = self.local.ip().to_canonical();
        self.emit(Output::OpenPassive { id, ip });
    }

    fn cmd_active(&mut self, addr: SocketAddr) {
        if self.epsv_all {
            return self.reply(Code::BAD_ARGUMENTS, "PORT/EPRT not allowed after EPSV ALL");
        }
        // RFC 2577: no bounce to another host, no privileged ports.
        if !same_host(addr.ip(), self.peer.ip()) {
            return self.reply(
                Code::BAD_ARGUMENTS,
                "Refused: the data address must be the client's own",
            );
        }
        if !is_bounce_safe(addr, self.peer.ip()) {
            return self.reply(
                Code::PARAMETER_NOT_IMPLEMENTED,
                "Refused: data port must be 1024 or above",
            );
        }
        if self.data == DataSetup::Passive {
            self.emit(Output::ClosePassive);
        }
        self.data = DataSetup::Active(addr);
        self.reply(Code::OK, "PORT command successful");
    }

    /// `STAT` without argument: `211` with the session's state.
    fn server_status(&mut self) {
        let user = self.user().map_or("(not logged in)".to_owned(), |u| {
            u.display_name().to_owned()
        });
        let lines = [
            "sansftp server status:".to_owned(),
            format!(" Connected from {}", self.peer.ip()),
            format!(" Logged in as {user}"),
            format!(" TYPE: {}", if self.ascii { "ASCII" } else { "BINARY" }),
            " No data connection".to_owned(),
            "End of status".to_owned(),
        ];
        self.send(&crate::reply::Reply::multiline(Code::SYSTEM_STATUS, lines));
    }

    /// `STAT` during a transfer: `211` naming it.
    pub(super) fn transfer_status(&mut self) {
        let what = match &self.wait {
            Some(Wait::Transfer(t)) => {
                let path = t.path.as_ref().map(ToString::to_string).unwrap_or_default();
                let state = if t.phase.finishing() {
                    "finishing"
                } else if t.phase.connected() {
                    "in progress"
                } else {
                    "waiting for data connection"
                };
                format!(" {} {} {}", t.verb, path, state)
            }
            _ => " No transfer".to_owned(),
        };
        let lines = [
            "Transfer status:".to_owned(),
            what,
            "End of status".to_owned(),
        ];
        self.send(&crate::reply::Reply::multiline(Code::SYSTEM_STATUS, lines));
    }
}

/// Commands that leave a pending REST offset in place.
fn keeps_rest(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::Pasv | Command::Epsv(_) | Command::Port(_) | Command::Eprt(_) | Command::Type(_)
    )
}

/// Commands answered before login (the rest get `530`).
fn allowed_before_login(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::User(_)
            | Command::Pass(_)
            | Command::Acct(_)
            | Command::Quit
            | Command::Rein
            | Command::Syst
            | Command::Noop
            | Command::Feat
            | Command::Help(_)
            | Command::Host(_)
            | Command::Auth(_)
            | Command::Ccc
            | Command::Pbsz(_)
            | Command::Prot(_)
            | Command::Opts(_)
    )
}
