//! A transfer over a data connection: `TYPE`, `EPSV`/`PASV` (or a listener and
//! `PORT`/`EPRT`), `REST`, the transfer command, the data, the final reply; and, when
//! the data side fails or the application aborts, `ABOR` and a `NOOP` to find the
//! control channel's step again.

use std::net::{IpAddr, SocketAddr};

use crate::Error;
use crate::addr;
use crate::code::{Code, Mask};
use crate::command::{Command, TransferType};
use crate::reply::Reply;

use super::api::{Output, Transfer, TransferKind, Value};
use super::config::{DataMode, PassiveCommand};
use super::machine::{Cx, Data, Op, Res, Step, unexpected};

/// The most listing bytes kept for one directory: 256 MiB, far above any real listing,
/// so a server streaming garbage cannot use up memory.
const MAX_LISTING: usize = 256 << 20;

/// A transfer operation; see the module docs.
pub(crate) struct TransferOp {
    cmd: Option<Command>,
    kind: TransferKind,
    ascii: bool,
    offset: u64,
    state: State,
    body: Vec<u8>,
    data_done: bool,
    final_reply: Option<Reply>,
}

// One per running transfer; the large variant is the end state.
#[allow(clippy::large_enum_variant)]
enum State {
    Type,
    Passive(usize),
    Connecting,
    Listening,
    Port,
    Rest,
    Command,
    Moving,
    /// `ABOR` and `NOOP` sent; replies are dropped up to the `NOOP`'s.
    Syncing {
        result: Option<Res>,
        saw_completion: bool,
    },
}

const PRELIMINARY: [Mask; 1] = [Mask::PRELIMINARY];
const COMPLETION: [Mask; 1] = [Mask::COMPLETION];

/// A file download (`RETR`).
pub(crate) fn download(path: Vec<u8>, offset: u64, ascii: bool) -> TransferOp {
    TransferOp::new(Command::Retr(path), TransferKind::Download, ascii, offset)
}

/// A file upload (`STOR`, or `APPE` with `append`).
pub(crate) fn upload(path: Vec<u8>, offset: u64, ascii: bool, append: bool) -> TransferOp {
    let cmd = if append {
        Command::Appe(path)
    } else {
        Command::Stor(path)
    };
    TransferOp::new(cmd, TransferKind::Upload, ascii, offset)
}

/// A listing (`LIST`, `MLSD`, `NLST`): ends with [`Value::Bytes`], the body.
pub(crate) fn listing(cmd: Command) -> TransferOp {
    TransferOp::new(cmd, TransferKind::Listing, false, 0)
}

impl TransferOp {
    fn new(cmd: Command, kind: TransferKind, ascii: bool, offset: u64) -> TransferOp {
        TransferOp {
            cmd: Some(cmd),
            kind,
            ascii,
            offset,
            state: State::Type,
            body: Vec::new(),
            data_done: false,
            final_reply: None,
        }
    }

    /// The `TYPE` this transfer needs: files `I` or `A`; listings keep whatever is set.
    fn wanted_type(&self) -> Option<TransferType> {
        match self.kind {
            TransferKind::Listing => None,
            _ if self.ascii => Some(TransferType::Ascii(crate::command::TextFormat::NonPrint)),
            _ => Some(TransferType::Image),
        }
    }

    fn open_data(&mut self, cx: &mut Cx<'_>) -> Step {
        match cx.config.data_mode {
            DataMode::Passive => self.try_passive(0, cx),
            DataMode::Active => {
                self.state = State::Listening;
                cx.out.push_back(Output::Listen(cx.state.local.ip()));
                Step::Wait
            }
        }
    }

    fn try_passive(&mut self, index: usize, cx: &mut Cx<'_>) -> Step {
        let Some(&which) = cx.config.passive_commands.get(index) else {
            return Step::Done(Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "no passive command configured",
            ))));
        };
        let cmd = match which {
            PassiveCommand::Epsv => Command::Epsv(None),
            PassiveCommand::Pasv => Command::Pasv,
        };
        self.state = State::Passive(index);
        self.send(&cmd, cx)
    }

    fn send(&mut self, cmd: &Command, cx: &mut Cx<'_>) -> Step {
        match cx.send(cmd) {
            Ok(()) => Step::Wait,
            Err(e) => self.fail(e, cx),
        }
    }

    /// Fails before the transfer command went out: the server holds no transfer.
    fn fail(&mut self, e: Error, cx: &mut Cx<'_>) -> Step {
        cx.out.push_back(Output::CloseData);
        Step::Done(Err(e))
    }

    fn send_rest_or_command(&mut self, cx: &mut Cx<'_>) -> Step {
        if self.offset > 0 {
            self.state = State::Rest;
            self.send(&Command::Rest(self.offset), cx)
        } else {
            self.send_command(cx)
        }
    }

    fn send_command(&mut self, cx: &mut Cx<'_>) -> Step {
        self.state = State::Command;
        match self.cmd.take() {
            Some(cmd) => self.send(&cmd, cx),
            None => Step::Wait,
        }
    }

    fn passive_reply(&mut self, index: usize, reply: Reply, cx: &mut Cx<'_>) -> Step {
        let which = cx.config.passive_commands.get(index).copied();
        let text = reply.lines().last().cloned().unwrap_or_default();
        let target = match (which, reply.code().value()) {
            (Some(PassiveCommand::Epsv), 229) => {
                addr::parse_epsv_reply(&text).map(|port| SocketAddr::new(cx.state.peer.ip(), port))
            }
            (Some(PassiveCommand::Pasv), 227) => addr::parse_pasv_reply(&text).map(|a| {
                let ip = if cx.config.trust_pasv_address && !a.ip().is_unspecified() {
                    IpAddr::V4(*a.ip())
                } else {
                    cx.state.peer.ip()
                };
                SocketAddr::new(ip, a.port())
            }),
            (_, _)
                if reply.code().is_permanent_negative()
                    && index + 1 < cx.config.passive_commands.len() =>
            {
                return self.try_passive(index + 1, cx);
            }
            (Some(PassiveCommand::Epsv), _) => {
                return self.fail(unexpected(&[Code::EXTENDED_PASSIVE.into()], &reply), cx);
            }
            _ => return self.fail(unexpected(&[Code::PASSIVE.into()], &reply), cx),
        };
        match target {
            Ok(target) => {
                self.state = State::Connecting;
                cx.out.push_back(Output::Connect(target));
                Step::Wait
            }
            Err(e) => self.fail(e.into(), cx),
        }
    }

    /// The command's answer came: `1xx` starts the data, `2xx` without one ends at once.
    fn command_reply(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Step {
        let code = reply.code();
        if code.is_preliminary() {
            self.state = State::Moving;
            cx.out.push_back(Output::Transfer(Transfer {
                kind: self.kind,
                ascii: self.ascii,
                tls: cx.state.tls_data,
            }));
            Step::Wait
        } else if code.is_completion() {
            // Some servers answer an empty listing with no data connection at all.
            self.finish(cx)
        } else {
            self.fail(unexpected(&PRELIMINARY, &reply), cx)
        }
    }

    fn moving_reply(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Step {
        let code = reply.code();
        if code.is_preliminary() {
            Step::Wait
        } else if code.is_completion() {
            self.final_reply = Some(reply);
            if self.data_done {
                self.finish(cx)
            } else {
                Step::Wait
            }
        } else {
            self.fail(unexpected(&COMPLETION, &reply), cx)
        }
    }

    fn finish(&mut self, cx: &mut Cx<'_>) -> Step {
        cx.out.push_back(Output::CloseData);
        let value = match self.kind {
            TransferKind::Listing => Value::Bytes(std::mem::take(&mut self.body)),
            _ => Value::None,
        };
        Step::Done(Ok(value))
    }

    /// The transfer is going on at the server: `ABOR`, then a `NOOP` whose `200` marks
    /// the end of whatever the server says about the transfer and the abort (`426` then
    /// `226`, a bare `226`, or `226` then `225`).
    fn abort(&mut self, result: Res, cx: &mut Cx<'_>) -> Step {
        cx.out.push_back(Output::CloseData);
        let sent = cx
            .send(&Command::Abor)
            .and_then(|()| cx.send(&Command::Noop));
        if let Err(e) = sent {
            return Step::Done(Err(e));
        }
        self.state = State::Syncing {
            result: Some(result),
            saw_completion: false,
        };
        Step::Wait
    }
}

/// A data-connection failure as the operation's error (a timed-out socket is a
/// [`Error::Timeout`]).
fn data_error(e: std::io::Error) -> Error {
    Error::from_io(e, "the data connection")
}

impl Op for TransferOp {
    fn start(&mut self, cx: &mut Cx<'_>) -> Step {
        match self.wanted_type() {
            Some(ty) if cx.state.ty != Some(ty) => {
                self.state = State::Type;
                self.send(&Command::Type(ty), cx)
            }
            _ => self.open_data(cx),
        }
    }

    fn on_reply(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Step {
        match &mut self.state {
            State::Type => {
                if reply.code().is_completion() {
                    cx.state.ty = self.wanted_type();
                    self.open_data(cx)
                } else {
                    self.fail(unexpected(&[Code::OK.into()], &reply), cx)
                }
            }
            State::Passive(index) => {
                let index = *index;
                self.passive_reply(index, reply, cx)
            }
            State::Port => {
                if reply.code().is_completion() {
                    self.send_rest_or_command(cx)
                } else {
                    self.fail(unexpected(&[Code::OK.into()], &reply), cx)
                }
            }
            State::Rest => {
                if reply.code() == Code::PENDING {
                    self.send_command(cx)
                } else {
                    self.fail(unexpected(&[Code::PENDING.into()], &reply), cx)
                }
            }
            State::Command => self.command_reply(reply, cx),
            State::Moving => self.moving_reply(reply, cx),
            State::Syncing {
                result,
                saw_completion,
            } => {
                let code = reply.code();
                let noop_answer =
                    code == Code::OK || (*saw_completion && code.is_permanent_negative());
                if noop_answer {
                    return Step::Done(result.take().unwrap_or(Ok(Value::Aborted)));
                }
                if code.is_completion() {
                    *saw_completion = true;
                }
                Step::Wait
            }
            // No command is out in these states: a reply here is the server speaking
            // out of turn (e.g. 421 before closing).
            State::Connecting | State::Listening => self.fail(unexpected(&COMPLETION, &reply), cx),
        }
    }

    fn on_data(&mut self, data: Data<'_>, cx: &mut Cx<'_>) -> Step {
        match (&self.state, data) {
            (State::Connecting, Data::Connected) => self.send_rest_or_command(cx),
            (State::Listening, Data::Listening(at)) => {
                self.state = State::Port;
                let cmd = match at {
                    SocketAddr::V4(v4) => Command::Port(v4),
                    SocketAddr::V6(_) => Command::Eprt(at),
                };
                self.send(&cmd, cx)
            }
            (State::Connecting | State::Listening, Data::Failed(e)) => self.fail(data_error(e), cx),
            (State::Moving, Data::Bytes(b)) => {
                if self.body.len().saturating_add(b.len()) > MAX_LISTING {
                    let e = std::io::Error::other("listing larger than 256 MiB");
                    return self.abort(Err(e.into()), cx);
                }
                self.body.extend_from_slice(b);
                Step::Wait
            }
            (State::Moving, Data::Done) => {
                self.data_done = true;
                if self.final_reply.is_some() {
                    self.finish(cx)
                } else {
                    Step::Wait
                }
            }
            (State::Moving, Data::Failed(e)) => {
                if self.final_reply.is_some() {
                    // The server has already closed the transfer: nothing to abort.
                    cx.out.push_back(Output::CloseData);
                    Step::Done(Err(data_error(e)))
                } else {
                    self.abort(Err(data_error(e)), cx)
                }
            }
            _ => Step::Wait,
        }
    }

    fn on_abort(&mut self, cx: &mut Cx<'_>) -> Step {
        match self.state {
            State::Moving if self.final_reply.is_none() => self.abort(Ok(Value::Aborted), cx),
            State::Moving => {
                cx.out.push_back(Output::CloseData);
                Step::Done(Ok(Value::Aborted))
            }
            _ => Step::Wait,
        }
    }

    fn awaiting_reply(&self) -> bool {
        match self.state {
            State::Connecting | State::Listening => false,
            State::Moving => self.data_done,
            _ => true,
        }
    }
}
