//! Each [`Operation`] as a chain of exchanges: which commands, which codes, and what the
//! replies turn into.

use crate::code::{Code, Mask};
use crate::command::{Command, EncodeError};
use crate::listing::{Entry, parse_mlsx};
use crate::reply::Reply;
use crate::time::DateTime;
use crate::{Error, StatusCodeError};

use super::api::{Features, Item, ListCommand, Operation, Value};
use super::list::{Collect, ListOp};
use super::login::Login;
use super::machine::{
    Cx, Next, Op, Res, Step, defer, exchange, exchange_with, is_50x, map, map_reply, ready, seq,
    then,
};
use super::remote::{split_parent, trim_trailing_slashes};
use super::transfer;

const COMPLETION: [Mask; 1] = [Mask::COMPLETION];

/// The state machine that runs `op`.
pub(crate) fn build(op: Operation) -> Box<dyn Op> {
    match op {
        Operation::Login {
            user,
            password,
            account,
        } => login(user, password, account),
        Operation::CurrentDirectory => map_reply(
            exchange(Command::Pwd, &[Code::PATH_CREATED.into()]),
            |reply| path_of_257(&reply).map(Value::Path),
        ),
        Operation::ChangeDirectory(path) => {
            let cmd = if path == b".." {
                Command::Cdup
            } else {
                Command::Cwd(path)
            };
            unit(exchange(cmd, &COMPLETION))
        }
        Operation::MakeDirectory { path, parents } => make_directory(path, parents),
        Operation::RemoveFile(path) => unit(exchange(Command::Dele(path), &COMPLETION)),
        Operation::RemoveDirectory(path) => unit(exchange(Command::Rmd(path), &COMPLETION)),
        Operation::Remove(path) => remove(path),
        Operation::Rename { from, to } => unit(seq(vec![
            exchange(Command::Rnfr(from), &[Code::PENDING.into()]),
            exchange(Command::Rnto(to), &COMPLETION),
        ])),
        Operation::List {
            path,
            recursive,
            command,
        } => Box::new(ListOp::new(path, recursive, command, Collect::Emit)),
        Operation::Names(path) => {
            Box::new(ListOp::new(path, false, ListCommand::Auto, Collect::Names))
        }
        Operation::Stat(path) => stat(path),
        Operation::Size(path) => map_reply(
            exchange(Command::Size(path), &[Code::FILE_STATUS.into()]),
            |reply| {
                let text = reply.text();
                text.trim()
                    .parse::<u64>()
                    .map(Value::Size)
                    .map_err(|_| Error::UnexpectedReply(format!("SIZE answered {:?}", text.trim())))
            },
        ),
        Operation::Modified(path) => map_reply(
            exchange(Command::Mdtm(path), &[Code::FILE_STATUS.into()]),
            |reply| {
                let text = reply.text();
                DateTime::parse_modify(text.trim().as_bytes())
                    .map(Value::Modified)
                    .ok_or_else(|| {
                        Error::UnexpectedReply(format!("MDTM answered {:?}", text.trim()))
                    })
            },
        ),
        Operation::Features => features(),
        Operation::SecureControl => super::tls::secure_control(),
        Operation::Noop => unit(exchange(Command::Noop, &COMPLETION)),
        Operation::Download {
            path,
            offset,
            ascii,
        } => Box::new(transfer::download(path, offset, ascii)),
        Operation::Upload {
            path,
            offset,
            ascii,
            append,
        } => Box::new(transfer::upload(path, offset, ascii, append)),
        Operation::Command {
            text,
            expected,
            wait,
        } => command(text, expected, wait),
        Operation::Quit => Box::new(Quit(exchange(Command::Quit, &COMPLETION))),
    }
}

/// The greeting: `220`, after any `120` ("ready in a few minutes"); with `explicit`,
/// then `AUTH TLS` and the handshake (the greeting is still the value).
pub(crate) fn greeting(explicit: bool) -> Box<dyn Op> {
    let greeting = map_reply(
        exchange_with(
            None,
            vec![Code::READY.into()],
            vec![Code::SERVICE_READY_SOON.into()],
        ),
        |reply| Ok(Value::Greeting(reply)),
    );
    if !explicit {
        return greeting;
    }
    then(greeting, |res, _| match res {
        Ok(greeting) => Next::Run(map(super::tls::secure_control(), move |_| Ok(greeting))),
        Err(e) => Next::Done(Err(e)),
    })
}

fn login(user: String, password: String, account: String) -> Box<dyn Op> {
    let login: Box<dyn Op> = Box::new(Login::new(user, password, account));
    let login = then(login, |res, cx| match (res, super::tls::protect_data(cx)) {
        (Ok(_), Some(protect)) => Next::Run(protect),
        (res, _) => Next::Done(res),
    });
    then(login, |res, cx| match res {
        Err(e) => Next::Done(Err(e)),
        Ok(_) if cx.config.discover_features => Next::Run(then(features(), |res, cx| {
            let utf8 = cx.config.utf8 && cx.feature("UTF8") == Some(true);
            match res {
                Ok(_) if utf8 => Next::Run(unit(exchange_with(
                    Some(Command::Opts(b"UTF8 ON".to_vec())),
                    Vec::new(),
                    Vec::new(),
                ))),
                Ok(_) => Next::Done(Ok(Value::None)),
                Err(e) => Next::Done(Err(e)),
            }
        })),
        Ok(_) => Next::Done(Ok(Value::None)),
    })
}

/// `FEAT`; a `5xx` answer means no features.
fn features() -> Box<dyn Op> {
    let op = exchange_with(Some(Command::Feat), Vec::new(), Vec::new());
    then(op, |res, cx| {
        let features = match res {
            Ok(Value::Reply(r)) if r.code().is_completion() => Features::from_reply(&r),
            Ok(Value::Reply(r)) if r.code().is_permanent_negative() => Features::default(),
            Ok(Value::Reply(r)) => {
                return Next::Done(Err(super::machine::unexpected(&COMPLETION, &r)));
            }
            Ok(_) => Features::default(),
            Err(e) => return Next::Done(Err(e)),
        };
        cx.state.features = Some(features.clone());
        Next::Done(Ok(Value::Features(features)))
    })
}

fn command(text: Option<String>, expected: Vec<Mask>, wait: Vec<Mask>) -> Box<dyn Op> {
    // An empty text sends nothing: the operation only reads (or does nothing).
    let text = text.filter(|t| !t.is_empty());
    let cmd = match text.map(|t| Command::parse_client_text(&t)).transpose() {
        Ok(cmd) => cmd,
        Err(e) => return ready(Err(e.into())),
    };
    if let Some(verb) = cmd.as_ref().and_then(managed_verb) {
        return ready(Err(EncodeError::ManagedByClient { verb }.into()));
    }
    if expected.is_empty() && wait.is_empty() {
        let Some(cmd) = cmd else {
            return ready(Ok(Value::None));
        };
        return Box::new(SendOnly(Some(cmd)));
    }
    exchange_with(cmd, expected, wait)
}

/// The verbs a raw command may not send: they change the connection's security, which
/// the session tracks (see [`EncodeError::ManagedByClient`]).
fn managed_verb(cmd: &Command) -> Option<&'static str> {
    match cmd {
        Command::Auth(_) => Some("AUTH"),
        Command::Prot(_) => Some("PROT"),
        Command::Ccc => Some("CCC"),
        Command::Rein => Some("REIN"),
        _ => None,
    }
}

/// `MKD`; with `parents`, each ancestor first, its failure ignored (it may exist), and
/// a failing last `MKD` forgiven when the path turns out to be a directory.
fn make_directory(path: Vec<u8>, parents: bool) -> Box<dyn Op> {
    let mkd_masks = [Mask::COMPLETION];
    if !parents {
        return unit(exchange(Command::Mkd(path), &mkd_masks));
    }
    let mut steps: Vec<Box<dyn Op>> = ancestors(&path)
        .into_iter()
        .map(|p| forgiving(exchange(Command::Mkd(p), &mkd_masks)))
        .collect();
    let last = then(
        exchange(Command::Mkd(path.clone()), &mkd_masks),
        move |res, _| match res {
            Ok(_) => Next::Done(Ok(Value::None)),
            Err(e) if e.is_permanent() => Next::Run(then(stat(path), move |st, _| match st {
                Ok(Value::Entry(item)) if item.entry.is_dir() => Next::Done(Ok(Value::None)),
                _ => Next::Done(Err(e)),
            })),
            Err(e) => Next::Done(Err(e)),
        },
    );
    steps.push(last);
    seq(steps)
}

/// A step whose `5xx` answer is not an error.
fn forgiving(op: Box<dyn Op>) -> Box<dyn Op> {
    then(op, |res, _| match res {
        Err(e) if e.is_permanent() => Next::Done(Ok(Value::None)),
        other => Next::Done(other),
    })
}

/// `/a/b/c` gives `/a`, `/a/b`; `a/b/c` gives `a`, `a/b`.
fn ancestors(path: &[u8]) -> Vec<Vec<u8>> {
    let trimmed = trim_trailing_slashes(path);
    let mut out = Vec::new();
    for (i, &b) in trimmed.iter().enumerate() {
        if b == b'/' && i > 0 && trimmed.get(i - 1) != Some(&b'/') {
            out.push(trimmed.get(..i).unwrap_or_default().to_vec());
        }
    }
    out
}

/// `stat`: `MLST`, or the parent's listing when the server has none (or answers `50x`).
pub(crate) fn stat(path: Vec<u8>) -> Box<dyn Op> {
    defer(move |cx| {
        if cx.feature("MLST") == Some(false) {
            return stat_by_listing(path);
        }
        let p = path.clone();
        let mlst = Command::Mlst((!path.is_empty()).then_some(path));
        then(exchange(mlst, &COMPLETION), move |res, _| match res {
            Ok(Value::Reply(r)) => Next::Done(mlst_entry(&r, p)),
            Err(e) if is_50x(&e) => Next::Run(stat_by_listing(p)),
            other => Next::Done(other),
        })
    })
}

/// `stat` without `MLST`: the entry of that name in the parent's listing.
fn stat_by_listing(path: Vec<u8>) -> Box<dyn Op> {
    {
        let (parent, name) = split_parent(&path);
        if name.is_empty() {
            // The root (or a path of slashes) has no parent to list.
            let item = Item {
                path: path.clone(),
                entry: Entry::dir(path),
            };
            return ready(Ok(Value::Entry(item)));
        }
        let name = name.to_vec();
        let list = Box::new(ListOp::new(
            parent.to_vec(),
            false,
            ListCommand::Auto,
            Collect::Items,
        ));
        then(list, move |res, _| match res {
            Ok(Value::Entries(items)) => match items.into_iter().find(|i| i.entry.name == name) {
                Some(mut item) => {
                    item.path = path;
                    Next::Done(Ok(Value::Entry(item)))
                }
                None => Next::Done(Err(not_found(&path))),
            },
            Ok(_) => Next::Done(Err(not_found(&path))),
            Err(e) => Next::Done(Err(e)),
        })
    }
}

/// The entry of an `MLST` reply: the first inner line that parses (facts, a space, the
/// path), named by the asked path.
fn mlst_entry(reply: &Reply, path: Vec<u8>) -> Res {
    let lines = reply.lines();
    let inner = lines
        .get(1..lines.len().saturating_sub(1))
        .unwrap_or_default();
    for line in inner {
        let facts = line.strip_prefix(b" ").unwrap_or(line);
        if let Ok(Some(mut entry)) = parse_mlsx(facts, DateTime::UNIX_EPOCH) {
            entry.name = split_parent(&entry.name).1.to_vec();
            return Ok(Value::Entry(Item { path, entry }));
        }
    }
    Err(Error::UnexpectedReply(format!(
        "MLST answer holds no entry: {:?}",
        reply.text()
    )))
}

/// `remove`: a directory's entries first (depth first), then the directory.
fn remove(path: Vec<u8>) -> Box<dyn Op> {
    then(stat(path.clone()), move |res, _| match res {
        Ok(Value::Entry(item)) if item.entry.is_dir() => {
            let list = Box::new(ListOp::new(
                path.clone(),
                false,
                ListCommand::Auto,
                Collect::Items,
            ));
            Next::Run(then(list, move |res, _| match res {
                Ok(Value::Entries(items)) => {
                    let mut steps: Vec<Box<dyn Op>> =
                        items.into_iter().map(|i| remove(i.path)).collect();
                    steps.push(exchange(Command::Rmd(path), &COMPLETION));
                    Next::Run(unit(seq(steps)))
                }
                Ok(_) => Next::Run(unit(exchange(Command::Rmd(path), &COMPLETION))),
                Err(e) => Next::Done(Err(e)),
            }))
        }
        Ok(_) => Next::Run(unit(exchange(Command::Dele(path), &COMPLETION))),
        Err(e) => Next::Done(Err(e)),
    })
}

/// `QUIT`: its `2xx`, or the server closing first, ends the session.
struct Quit(Box<dyn Op>);

impl Op for Quit {
    fn start(&mut self, cx: &mut Cx<'_>) -> Step {
        let step = self.0.start(cx);
        self.close_after(step, cx)
    }
    fn on_reply(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Step {
        let step = self.0.on_reply(reply, cx);
        self.close_after(step, cx)
    }
    fn on_closed(&mut self) -> Option<Res> {
        Some(Ok(Value::None))
    }
}

impl Quit {
    fn close_after(&mut self, step: Step, cx: &mut Cx<'_>) -> Step {
        match step {
            Step::Wait => Step::Wait,
            Step::Done(res) => {
                cx.out.push_back(super::api::Output::Close);
                Step::Done(res.map(|_| Value::None))
            }
        }
    }
}

/// A raw command sent without reading its reply.
struct SendOnly(Option<Command>);

impl Op for SendOnly {
    fn start(&mut self, cx: &mut Cx<'_>) -> Step {
        match self.0.take().map(|c| cx.send(&c)) {
            Some(Err(e)) => Step::Done(Err(e)),
            _ => Step::Done(Ok(Value::None)),
        }
    }
    fn on_reply(&mut self, _reply: Reply, _cx: &mut Cx<'_>) -> Step {
        Step::Wait
    }
}

/// `op`, its success value dropped.
fn unit(op: Box<dyn Op>) -> Box<dyn Op> {
    map(op, |_| Ok(Value::None))
}

/// The path of a `257` reply: quoted (RFC 959), or, from servers that do not quote, the
/// first word when it is absolute.
fn path_of_257(reply: &Reply) -> Result<Vec<u8>, Error> {
    for line in reply.lines().iter().rev() {
        if let Some(p) = crate::path::parse_257(line) {
            return Ok(p);
        }
    }
    let text = reply.text();
    match text.split_whitespace().next() {
        Some(word) if word.starts_with('/') => Ok(word.as_bytes().to_vec()),
        _ => Err(Error::UnexpectedReply(format!(
            "257 without a path: {text:?}"
        ))),
    }
}

/// The error for a path the listing does not hold: like the server's `550`.
fn not_found(path: &[u8]) -> Error {
    StatusCodeError::new(
        [Mask::COMPLETION],
        [Code::FILE_UNAVAILABLE],
        [format!(
            "{}: no such file or directory",
            String::from_utf8_lossy(path)
        )],
    )
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_of_absolute_and_relative_paths() {
        assert_eq!(ancestors(b"/a/b/c"), [b"/a".to_vec(), b"/a/b".to_vec()]);
        assert_eq!(ancestors(b"a/b/c/"), [b"a".to_vec(), b"a/b".to_vec()]);
        assert!(ancestors(b"/a").is_empty());
        assert_eq!(ancestors(b"//a//b"), [b"//a".to_vec()]);
    }
}
