//! FTPS on the client (RFC 4217): `AUTH TLS` and the handshake it asks for, and
//! `PBSZ 0` + `PROT P` after login on a TLS control connection.
//!
//! The core holds no TLS library: it says when to run the handshake
//! ([`Output::SecureControl`]) and takes back that it finished
//! ([`Session::control_secured`](super::Session::control_secured)); a
//! [`Transfer`](super::Transfer) whose [`tls`](super::Transfer::tls) is set runs its
//! data connection over TLS, resuming the control connection's session.

use crate::code::{Code, Mask};
use crate::command::{Command, ProtectionLevel};
use crate::reply::Reply;

use super::api::{Output, Value};
use super::machine::{Cx, Data, Next, Op, Step, exchange, seq, then, unexpected};

/// `AUTH TLS`, `234`, then the handshake ([`Operation::SecureControl`](super::Operation::SecureControl)).
pub(crate) fn secure_control() -> Box<dyn Op> {
    let auth = exchange(
        Command::Auth(b"TLS".to_vec()),
        &[Mask::exact(Code::AUTH_OK)],
    );
    then(auth, |res, _| match res {
        Ok(_) => Next::Run(Box::new(Handshake)),
        Err(e) => Next::Done(Err(e)),
    })
}

/// After a login on a TLS control connection, when the config asks for protected data:
/// `PBSZ 0`, `PROT P`; data connections run TLS from then on.
pub(crate) fn protect_data(cx: &Cx<'_>) -> Option<Box<dyn Op>> {
    if !cx.state.tls_control || !cx.config.protect_data {
        return None;
    }
    let ops = vec![
        exchange(Command::Pbsz(0), &[Mask::COMPLETION]),
        exchange(Command::Prot(ProtectionLevel::Private), &[Mask::COMPLETION]),
    ];
    Some(then(seq(ops), |res, cx| {
        if res.is_ok() {
            cx.state.tls_data = true;
        }
        Next::Done(res.map(|_| Value::None))
    }))
}

/// Waits for the adapter's handshake on the control connection.
struct Handshake;

impl Op for Handshake {
    fn start(&mut self, cx: &mut Cx<'_>) -> Step {
        cx.out.push_back(Output::SecureControl);
        Step::Wait
    }

    fn on_reply(&mut self, reply: Reply, _cx: &mut Cx<'_>) -> Step {
        // Nothing may come in plaintext between 234 and the handshake.
        Step::Done(Err(unexpected(&[], &reply)))
    }

    fn on_data(&mut self, data: Data<'_>, _cx: &mut Cx<'_>) -> Step {
        match data {
            Data::Secured => Step::Done(Ok(Value::None)),
            _ => Step::Wait,
        }
    }

    fn awaiting_reply(&self) -> bool {
        // The handshake is the adapter's to time out (its socket timeout).
        false
    }
}
