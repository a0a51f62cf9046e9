//! Login: `USER`, then `PASS` or `ACCT` as the server asks, until `230`.

use crate::Error;
use crate::code::{Code, Mask};
use crate::command::Command;
use crate::reply::Reply;

use super::api::Value;
use super::machine::{Cx, Op, Step, unexpected};

/// The login exchange. A server may ask for the password and the account in any order,
/// but for each at most once: a loop is refused.
pub(crate) struct Login {
    user: String,
    password: String,
    account: String,
    sent_password: bool,
    sent_account: bool,
}

impl Login {
    pub(crate) fn new(user: String, password: String, account: String) -> Login {
        Login {
            user,
            password,
            account,
            sent_password: false,
            sent_account: false,
        }
    }

    fn send(cmd: Command, cx: &mut Cx<'_>) -> Step {
        match cx.send(&cmd) {
            Ok(()) => Step::Wait,
            Err(e) => Step::Done(Err(e)),
        }
    }
}

const EXPECTED: [Mask; 2] = [Mask::exact(Code::LOGGED_IN), Mask::INTERMEDIATE];

impl Op for Login {
    fn start(&mut self, cx: &mut Cx<'_>) -> Step {
        Login::send(Command::User(self.user.as_bytes().to_vec()), cx)
    }

    fn on_reply(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Step {
        match reply.code() {
            // 202: "already logged in" or "no password needed".
            c if c.is_completion() => Step::Done(Ok(Value::None)),
            Code::NEED_PASSWORD if !self.sent_password => {
                self.sent_password = true;
                Login::send(Command::Pass(self.password.as_bytes().to_vec()), cx)
            }
            Code::NEED_ACCOUNT if !self.sent_account => {
                self.sent_account = true;
                Login::send(Command::Acct(self.account.as_bytes().to_vec()), cx)
            }
            _ => Step::Done(Err::<Value, Error>(unexpected(&EXPECTED, &reply))),
        }
    }
}
