//! Listings: one directory or a whole tree, `MLSD` with a `LIST` fallback, bodies parsed
//! line by line into [`Item`]s.

use std::collections::VecDeque;

use crate::command::{Command, ListArgs};
use crate::listing::{Entry, Kind, parse_line};
use crate::reply::Reply;

use super::api::{Item, ListCommand, Output, Value};
use super::machine::{Cx, Data, Next, Op, Res, Step, is_50x, then};
use super::remote::join;
use super::transfer;

/// Lists `path` (and, when recursive, every directory below it, breadth first), each
/// directory over its own data connection; the entries go where [`Collect`] says.
pub(crate) struct ListOp {
    dirs: VecDeque<Vec<u8>>,
    recursive: bool,
    command: ListCommand,
    collect: Collect,
    collected: Vec<Item>,
    names: Vec<Entry>,
    current: Option<(Vec<u8>, Box<dyn Op>)>,
}

/// Where a listing's entries go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collect {
    /// Out as [`Output::Entry`]s as each directory arrives; the result is [`Value::None`].
    Emit,
    /// Into [`Value::Entries`], for an operation that runs the listing inside another.
    Items,
    /// Into [`Value::Names`]: each entry as the server named it, unsafe names kept, no
    /// path joined ([`Operation::Names`](super::api::Operation::Names)).
    Names,
}

impl ListOp {
    pub(crate) fn new(
        path: Vec<u8>,
        recursive: bool,
        command: ListCommand,
        collect: Collect,
    ) -> ListOp {
        ListOp {
            dirs: VecDeque::from([path]),
            recursive,
            command,
            collect,
            collected: Vec::new(),
            names: Vec::new(),
            current: None,
        }
    }

    /// Starts the next directory, or finishes.
    fn next_dir(&mut self, cx: &mut Cx<'_>) -> Step {
        loop {
            let Some(dir) = self.dirs.pop_front() else {
                let value = match self.collect {
                    Collect::Emit => Value::None,
                    Collect::Items => Value::Entries(std::mem::take(&mut self.collected)),
                    Collect::Names => Value::Names(std::mem::take(&mut self.names)),
                };
                return Step::Done(Ok(value));
            };
            let op = self.list_one(&dir, cx);
            let (_, op) = self.current.insert((dir, op));
            let step = op.start(cx);
            match self.settle(step, cx) {
                Some(step) => return step,
                None => continue,
            }
        }
    }

    /// One directory: the first command, and `LIST` when `MLSD` meets `50x` in auto mode.
    fn list_one(&self, dir: &[u8], cx: &Cx<'_>) -> Box<dyn Op> {
        let first = first_list_command(self.command, cx, dir);
        let is_mlsd = matches!(first, crate::command::Command::Mlsd(_));
        let op: Box<dyn Op> = Box::new(transfer::listing(first));
        if !(is_mlsd && self.command == ListCommand::Auto) {
            return op;
        }
        let arg = (!dir.is_empty()).then(|| dir.to_vec());
        then(op, move |res, _| match res {
            Err(e) if is_50x(&e) => Next::Run(Box::new(transfer::listing(list_command(arg)))),
            other => Next::Done(other),
        })
    }

    /// Handles the current directory's step: `None` when it finished well and the next
    /// directory should start.
    fn settle(&mut self, step: Step, cx: &mut Cx<'_>) -> Option<Step> {
        match step {
            Step::Wait => Some(Step::Wait),
            Step::Done(Err(e)) => Some(Step::Done(Err(e))),
            Step::Done(Ok(value)) => {
                let dir = self.current.take().map(|(d, _)| d).unwrap_or_default();
                let body = match value {
                    Value::Bytes(b) => b,
                    Value::Aborted => return Some(Step::Done(Ok(Value::Aborted))),
                    _ => Vec::new(),
                };
                match self.take_entries(&dir, &body, cx) {
                    Ok(()) => None,
                    Err(e) => Some(Step::Done(Err(e))),
                }
            }
        }
    }

    fn take_entries(
        &mut self,
        dir: &[u8],
        body: &[u8],
        cx: &mut Cx<'_>,
    ) -> Result<(), crate::Error> {
        for line in body.split(|&b| b == b'\n') {
            let Some(entry) = parse_line(line, cx.state.clock)? else {
                continue;
            };
            if self.collect == Collect::Names {
                // Not joined to a path: the caller judges each name (and can warn).
                self.names.push(entry);
                continue;
            }
            if entry.is_self_or_parent() {
                continue;
            }
            // A name is one path component: `.`/`..`, empty names and names holding a
            // `/` would make paths that leave the listed directory (and a recursive
            // listing that never ends), so they are dropped.
            if !is_plain_name(&entry.name) {
                continue;
            }
            let path = join(dir, &entry.name);
            if self.recursive && entry.kind == Kind::Dir {
                self.dirs.push_back(path.clone());
            }
            let item = Item { path, entry };
            match self.collect {
                Collect::Emit => cx.out.push_back(Output::Entry(item)),
                _ => self.collected.push(item),
            }
        }
        Ok(())
    }

    fn forward(&mut self, step: Step, cx: &mut Cx<'_>) -> Step {
        match self.settle(step, cx) {
            Some(step) => step,
            None => self.next_dir(cx),
        }
    }
}

/// The listing command `command` starts with, given what `FEAT` said.
fn first_list_command(command: ListCommand, cx: &Cx<'_>, path: &[u8]) -> Command {
    let arg = if path.is_empty() {
        None
    } else {
        Some(path.to_vec())
    };
    match command {
        ListCommand::Mlsd => Command::Mlsd(arg),
        ListCommand::List => list_command(arg),
        ListCommand::Auto if cx.feature("MLST") == Some(false) => list_command(arg),
        ListCommand::Auto => Command::Mlsd(arg),
    }
}

fn list_command(arg: Option<Vec<u8>>) -> Command {
    Command::List(ListArgs {
        options: Vec::new(),
        path: arg,
    })
}

/// Whether `name` is a single, ordinary path component.
fn is_plain_name(name: &[u8]) -> bool {
    !name.is_empty() && name != b"." && name != b".." && !name.contains(&b'/') && !name.contains(&0)
}

impl Op for ListOp {
    fn start(&mut self, cx: &mut Cx<'_>) -> Step {
        self.next_dir(cx)
    }

    fn on_reply(&mut self, reply: Reply, cx: &mut Cx<'_>) -> Step {
        let Some((_, op)) = &mut self.current else {
            return Step::Wait;
        };
        let step = op.on_reply(reply, cx);
        self.forward(step, cx)
    }

    fn on_data(&mut self, data: Data<'_>, cx: &mut Cx<'_>) -> Step {
        let Some((_, op)) = &mut self.current else {
            return Step::Wait;
        };
        let step = op.on_data(data, cx);
        self.forward(step, cx)
    }

    fn on_abort(&mut self, cx: &mut Cx<'_>) -> Step {
        let Some((_, op)) = &mut self.current else {
            return Step::Wait;
        };
        let step = op.on_abort(cx);
        self.forward(step, cx)
    }

    fn awaiting_reply(&self) -> bool {
        self.current
            .as_ref()
            .is_none_or(|(_, op)| op.awaiting_reply())
    }

    fn on_closed(&mut self) -> Option<Res> {
        self.current.as_mut().and_then(|(_, op)| op.on_closed())
    }
}
