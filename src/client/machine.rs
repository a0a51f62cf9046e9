//! The building blocks every operation is made of: the [`Op`] trait, the context it acts
//! through ([`Cx`]), one command and its reply ([`Exchange`]), and the combinators that
//! chain them ([`then`], [`seq`], [`map`]).

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;

use crate::code::{Code, Mask};
use crate::command::{Command, TransferType};
use crate::reply::Reply;
use crate::time::DateTime;
use crate::{Error, StatusCodeError};

use super::api::{Features, Output, Value};
use super::config::Config;

/// What an operation ends with.
pub(crate) type Res = Result<Value, Error>;

/// Where an operation stands after an input.
// Lives for one call and is moved once: boxing the result would cost more than it saves.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Step {
    /// It waits for more input.
    Wait,
    /// It is finished.
    Done(Res),
}

/// A data-connection event, as the adapter reports it.
pub(crate) enum Data<'a> {
    /// The passive connection is open.
    Connected,
    /// The active-mode listener is bound here.
    Listening(SocketAddr),
    /// Bytes of a listing body.
    Bytes(&'a [u8]),
    /// The data moved completely.
    Done,
    /// The data connection failed.
    Failed(std::io::Error),
    /// The TLS handshake on the control connection finished.
    Secured,
}

/// One running operation. Every input goes through the session to the operation on top.
pub(crate) trait Op: Send {
    /// Sends its first command (or asks for a data connection).
    fn start(&mut self, cx: &mut Cx<'_>) -> Step;
    /// A whole reply arrived.
    fn on_reply(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Step;
    /// A data-connection event; operations without data ignore it.
    fn on_data(&mut self, _data: Data<'_>, _cx: &mut Cx<'_>) -> Step {
        Step::Wait
    }
    /// The application asked to abort a transfer; operations without one ignore it.
    fn on_abort(&mut self, _cx: &mut Cx<'_>) -> Step {
        Step::Wait
    }
    /// Whether a reply is due, so the reply timeout runs (not while data moves or a
    /// data connection is being opened).
    fn awaiting_reply(&self) -> bool {
        true
    }
    /// The control connection closed; `Some` if that finishes the operation well.
    fn on_closed(&mut self) -> Option<Res> {
        None
    }
}

/// What the session shares with the operation it runs.
pub(crate) struct Cx<'a> {
    pub(crate) out: &'a mut VecDeque<Output>,
    pub(crate) config: &'a Config,
    pub(crate) state: &'a mut Shared,
}

/// Session state that outlives operations.
#[derive(Debug)]
pub(crate) struct Shared {
    /// `FEAT`'s answer, once asked (empty when the server has no `FEAT`).
    pub(crate) features: Option<Features>,
    /// The representation type last accepted by the server.
    pub(crate) ty: Option<TransferType>,
    /// The control connection's peer (data connections go to its host).
    pub(crate) peer: SocketAddr,
    /// The control connection's local address (active-mode listeners bind its IP).
    pub(crate) local: SocketAddr,
    /// The wall clock, for listing dates without a year.
    pub(crate) clock: DateTime,
    /// The control connection runs TLS.
    pub(crate) tls_control: bool,
    /// `PROT P` was accepted: data connections run TLS.
    pub(crate) tls_data: bool,
}

impl Cx<'_> {
    /// Queues a command for the control connection.
    pub(crate) fn send(&mut self, cmd: &Command) -> Result<(), Error> {
        let mut line = Vec::new();
        cmd.encode(&mut line)?;
        self.out.push_back(Output::Send(line.into()));
        Ok(())
    }

    /// Whether the server is known to have (`Some(true)`), or not to have, a feature.
    pub(crate) fn feature(&self, name: &str) -> Option<bool> {
        self.state.features.as_ref().map(|f| f.supports(name))
    }
}

/// The error for a reply no mask accepts.
pub(crate) fn unexpected(expected: &[Mask], reply: &Reply) -> Error {
    StatusCodeError::new(expected.iter().copied(), [reply.code()], reply.info()).into()
}

/// Whether `e` is a `500`-`504` answer: the server does not know the command.
pub(crate) fn is_50x(e: &Error) -> bool {
    e.status_code()
        .and_then(|s| s.code())
        .is_some_and(|c| (500..=504).contains(&c.value()))
}

/// Whether `code` matches any of `masks`.
pub(crate) fn matches(masks: &[Mask], code: Code) -> bool {
    masks.iter().any(|m| m.matches(code))
}

/// One command (or none: just read) and its reply: skips replies matching `wait`, then
/// succeeds with [`Value::Reply`] if the code matches `expected` (empty: any).
pub(crate) struct Exchange {
    cmd: Option<Command>,
    expected: Vec<Mask>,
    wait: Vec<Mask>,
}

/// A boxed [`Exchange`] of `cmd` expecting `expected`.
pub(crate) fn exchange(cmd: Command, expected: &[Mask]) -> Box<dyn Op> {
    Box::new(Exchange {
        cmd: Some(cmd),
        expected: expected.to_vec(),
        wait: Vec::new(),
    })
}

/// A boxed [`Exchange`] with everything given.
pub(crate) fn exchange_with(
    cmd: Option<Command>,
    expected: Vec<Mask>,
    wait: Vec<Mask>,
) -> Box<dyn Op> {
    Box::new(Exchange {
        cmd,
        expected,
        wait,
    })
}

impl Op for Exchange {
    fn start(&mut self, cx: &mut Cx<'_>) -> Step {
        match self.cmd.take() {
            Some(cmd) => match cx.send(&cmd) {
                Ok(()) => Step::Wait,
                Err(e) => Step::Done(Err(e)),
            },
            None => Step::Wait,
        }
    }

    fn on_reply(&mut self, reply: Reply, _cx: &mut Cx<'_>) -> Step {
        if matches(&self.wait, reply.code()) {
            return Step::Wait;
        }
        if self.expected.is_empty() || matches(&self.expected, reply.code()) {
            Step::Done(Ok(Value::Reply(reply)))
        } else {
            Step::Done(Err(unexpected(&self.expected, &reply)))
        }
    }
}

/// What a continuation decides.
pub(crate) enum Next {
    /// Finish with this.
    Done(Res),
    /// Run this operation and finish with its result.
    Run(Box<dyn Op>),
}

type Then = Box<dyn FnOnce(Res, &mut Cx<'_>) -> Next + Send>;

/// Runs `first`, then hands its result to `f`, which finishes or starts the next step.
pub(crate) fn then(
    first: Box<dyn Op>,
    f: impl FnOnce(Res, &mut Cx<'_>) -> Next + Send + 'static,
) -> Box<dyn Op> {
    Box::new(AndThen {
        child: first,
        then: Some(Box::new(f)),
    })
}

/// Runs `op` and maps a success through `f`.
pub(crate) fn map(op: Box<dyn Op>, f: impl FnOnce(Value) -> Res + Send + 'static) -> Box<dyn Op> {
    then(op, move |res, _| Next::Done(res.and_then(f)))
}

/// Runs `op`, an [`Exchange`], and maps its reply through `f`. Any other value is a
/// bug of the core, reported as [`Error::UnexpectedReply`] rather than made up.
pub(crate) fn map_reply(
    op: Box<dyn Op>,
    f: impl FnOnce(Reply) -> Res + Send + 'static,
) -> Box<dyn Op> {
    map(op, |v| match v {
        Value::Reply(r) => f(r),
        other => Err(Error::UnexpectedReply(format!(
            "an exchange ended with {other:?} instead of a reply"
        ))),
    })
}

/// The operation `f` builds once it starts, from what the session knows by then (say,
/// whether `FEAT` listed `MLST`). Every input reaches it through [`then`]'s forwarding.
pub(crate) fn defer(f: impl FnOnce(&mut Cx<'_>) -> Box<dyn Op> + Send + 'static) -> Box<dyn Op> {
    then(ready(Ok(Value::None)), move |_, cx| Next::Run(f(cx)))
}

/// An operation that finishes at once with `res` (sending nothing).
pub(crate) fn ready(res: Res) -> Box<dyn Op> {
    Box::new(Ready(Some(res)))
}

struct Ready(Option<Res>);

impl Op for Ready {
    fn start(&mut self, _cx: &mut Cx<'_>) -> Step {
        Step::Done(self.0.take().unwrap_or(Ok(Value::None)))
    }
    fn on_reply(&mut self, _reply: Reply, _cx: &mut Cx<'_>) -> Step {
        Step::Wait
    }
}

struct AndThen {
    child: Box<dyn Op>,
    then: Option<Then>,
}

impl AndThen {
    fn settle(&mut self, mut step: Step, cx: &mut Cx<'_>) -> Step {
        loop {
            let Step::Done(res) = step else {
                return Step::Wait;
            };
            let Some(f) = self.then.take() else {
                return Step::Done(res);
            };
            match f(res, cx) {
                Next::Done(res) => return Step::Done(res),
                Next::Run(op) => {
                    self.child = op;
                    step = self.child.start(cx);
                }
            }
        }
    }
}

impl Op for AndThen {
    fn start(&mut self, cx: &mut Cx<'_>) -> Step {
        let step = self.child.start(cx);
        self.settle(step, cx)
    }
    fn on_reply(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Step {
        let step = self.child.on_reply(reply, cx);
        self.settle(step, cx)
    }
    fn on_data(&mut self, data: Data<'_>, cx: &mut Cx<'_>) -> Step {
        let step = self.child.on_data(data, cx);
        self.settle(step, cx)
    }
    fn on_abort(&mut self, cx: &mut Cx<'_>) -> Step {
        let step = self.child.on_abort(cx);
        self.settle(step, cx)
    }
    fn awaiting_reply(&self) -> bool {
        self.child.awaiting_reply()
    }
    fn on_closed(&mut self) -> Option<Res> {
        self.child.on_closed()
    }
}

/// Runs `ops` one after another, stopping at the first error; ends with the last
/// result (or [`Value::None`] for no operations).
pub(crate) fn seq(ops: Vec<Box<dyn Op>>) -> Box<dyn Op> {
    let mut ops: VecDeque<Box<dyn Op>> = ops.into();
    let Some(first) = ops.pop_front() else {
        return ready(Ok(Value::None));
    };
    then(first, move |res, _| chain(res, ops))
}

fn chain(res: Res, mut ops: VecDeque<Box<dyn Op>>) -> Next {
    match (res, ops.pop_front()) {
        (Err(e), _) => Next::Done(Err(e)),
        (Ok(v), None) => Next::Done(Ok(v)),
        (Ok(_), Some(op)) => Next::Run(then(op, move |res, _| chain(res, ops))),
    }
}

impl fmt::Debug for dyn Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Op")
    }
}
