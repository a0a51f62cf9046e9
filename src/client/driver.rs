//! [`Driver`]: the loop every client adapter runs around a [`Session`], decided once.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::api::{Item, Operation, Output, Transfer, TransferEnd, TransferKind, Value};
use super::limits::SpeedLimits;
use super::options::ClientOptions;
use super::session::Session;
use super::{Busy, Features};
use crate::time::DateTime;
use crate::{Code, Error, Reply};

/// What the adapter does next, from [`Driver::next`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Action {
    /// Write [`Driver::control_out`] to the control connection (under TLS, flush it out
    /// of the TLS layer too), then report [`Driver::sent`].
    Send,
    /// Open the passive data connection to this address, then report
    /// [`Driver::connected`].
    Connect(SocketAddr),
    /// Bind the active-mode listener on this local address, any port, then report
    /// [`Driver::listening`]. Accept on it only when a [`Wait`] says so.
    Listen(IpAddr),
    /// Run the TLS client handshake on the control connection, then report
    /// [`Driver::control_secured`].
    SecureControl,
    /// Run the TLS client handshake on the data connection (the control connection's
    /// configuration and server name, so the server sees its session resumed), then
    /// report [`Driver::data_secured`].
    SecureData,
    /// Drop the data connection and the listener, if any, at once.
    CloseData,
    /// Shut the control connection down (under TLS after a `close_notify`).
    CloseControl,
    /// Nothing to do but wait; see [`Wait`].
    Wait(Wait),
    /// The running operation ended: return this to the caller.
    Done(Result<Value, Error>),
    /// A file transfer's data is to move now over the data connection the adapter
    /// holds ([`Until::Transfer`] only): hand both out as a data stream, whose end goes
    /// to [`Driver::end_transfer`].
    Transfer(Transfer),
    /// The next entry of a running listing ([`Until::Entry`] only).
    Entry(Item),
}

impl Action {
    /// What a listing stream gives for a stop of [`Until::Entry`]: the entry, the
    /// listing's error, or `None` at its end (then the stream is over; so it is after
    /// an error).
    pub fn into_entry(self) -> Option<Result<Item, Error>> {
        match self {
            Action::Entry(item) => Some(Ok(item)),
            Action::Done(Err(e)) => Some(Err(e)),
            _ => None,
        }
    }
}

/// What an [`Action::Wait`] waits for, besides the control connection (always read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    /// When to call [`Driver::timed_out`] (the reply timeout); `None`: no deadline.
    pub deadline: Option<Instant>,
    /// What to wait for on the data side.
    pub data: DataWait,
}

/// The data side of a [`Wait`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataWait {
    /// Nothing.
    Nothing,
    /// Read the listing's data connection, report each read to
    /// [`Driver::listing_read`].
    ReadListing,
    /// Accept on the active-mode listener until `until` (`None`: no limit), report
    /// each connection, a failure or the end of the wait to [`Driver::accepted`].
    Accept {
        /// When the wait for the server's connection ends.
        until: Option<Instant>,
    },
}

/// Where [`Driver::next`] stops for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// The operation's end; a file transfer announced meanwhile is refused, listing
    /// entries are kept for [`Driver::take_entries`].
    Done,
    /// A file transfer to hand out ([`Action::Transfer`]), or the end.
    Transfer,
    /// Each listing entry ([`Action::Entry`]), or the end.
    Entry,
}

/// The data connection as the adapter reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Data {
    None,
    Listening,
    Open { tls: bool },
}

/// A client [`Session`] with the state of the loop around it.
///
/// A [`Session`] says what the protocol needs ([`Output`]); an adapter still has to
/// order those needs against its sockets: write queued commands before opening the
/// data connection they announce, hand a file transfer out only once its connection is
/// open (and secured), read a listing beside the control connection, bound the wait for
/// an active-mode connection, refuse a transfer nobody will stream, remember all of
/// that across a cancelled call. [`Driver`] keeps that state and answers one question,
/// [`Driver::next`]: what to do now. The adapter does it, reports the result with the
/// matching method, and asks again. [`Driver::run`] is that loop over the adapter's
/// [`ClientIo`](super::ClientIo) (and [`Driver::run_blocking`] for blocking I/O): an
/// adapter's client implements `ClientIo` and calls it, nothing more.
///
/// # The loop
///
/// ```text
/// loop {
///     match driver.next(until, Instant::now()) {
///         Action::Send => write driver.control_out(), then driver.sent(result)
///         Action::Connect(addr) => connect, then driver.connected(result)
///         Action::Listen(ip) => bind (ip, 0), then driver.listening(result)
///         Action::SecureControl => TLS handshake, then driver.control_secured(result)
///         Action::SecureData => TLS handshake on the data connection, then driver.data_secured(result)
///         Action::CloseData => drop the data connection and the listener
///         Action::CloseControl => shut the control connection down
///         Action::Wait(w) => wait for the first of: a control read (driver.control_read),
///             w.deadline (driver.timed_out), w.data (a listing's read:
///             driver.listing_read; an accept: driver.accepted)
///         Action::Done(res) | Action::Transfer(t) | Action::Entry(item) => return it
///     }
/// }
/// ```
///
/// Cancel-safe by construction: an action stays pending until its result is reported
/// (unsent bytes in [`control_out`](Driver::control_out), a connect, a listener, an
/// accept and its deadline), so an adapter whose call was dropped at an `await` asks
/// [`next`](Driver::next) again and carries on. Only a TLS handshake cut in the middle
/// cannot be resumed: its socket is gone, and the next use reports the failure.
pub struct Driver {
    session: Session,
    /// Command bytes not yet written.
    control_out: Vec<u8>,
    /// Listing entries not yet handed out.
    entries: VecDeque<Item>,
    /// The passive data connection to open.
    connecting: Option<SocketAddr>,
    /// The active-mode listener to bind.
    listen: Option<IpAddr>,
    /// The control connection's handshake is due.
    securing: bool,
    /// The data connection must be dropped.
    close_data: bool,
    /// The control connection must be shut down.
    closing: bool,
    /// The operation's result, once the control connection is in order.
    done: Option<Result<Value, Error>>,
    data: Data,
    /// A listing to read, or a transfer waiting for the server's connection.
    waiting: Option<Transfer>,
    /// When `waiting` began (the active-mode wait counts from there).
    waiting_since: Option<Instant>,
    /// A file transfer whose connection is open, to hand out.
    ready: Option<Transfer>,
    /// How long the server may take to connect in active mode.
    accept_timeout: Option<Duration>,
    /// The adapter's options, as given.
    options: ClientOptions,
    /// The speed limits' handle, shared with every data stream.
    limits: SpeedLimits,
    /// Transfers in `TYPE A`.
    ascii: bool,
    /// The server's greeting, once read.
    greeting: Reply,
}

impl std::fmt::Debug for Driver {
    /// One short line's worth: the server, the state, the options (not the session's
    /// buffers).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("peer", &self.session.peer())
            .field("closed", &self.session.is_closed())
            .field("busy", &self.session.is_busy())
            .field("ascii", &self.ascii)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Driver {
    /// A driver for a control connection from `local` to the server at `peer`, just
    /// opened, with the adapter's `options`: its session runs
    /// [`ClientOptions::session_config`], the active-mode wait is `connect_timeout`,
    /// else `socket_timeout`, the speed limits start from `read_limit` and
    /// `write_limit`. Then loop on [`next`](Driver::next) with [`Until::Done`] for the
    /// greeting.
    pub fn new(
        options: ClientOptions,
        peer: SocketAddr,
        local: SocketAddr,
        now: Instant,
    ) -> Driver {
        Driver {
            session: Session::new(options.session_config(), peer, local, now),
            control_out: Vec::new(),
            entries: VecDeque::new(),
            connecting: None,
            listen: None,
            securing: false,
            close_data: false,
            closing: false,
            done: None,
            data: Data::None,
            waiting: None,
            waiting_since: None,
            ready: None,
            accept_timeout: options.connect_timeout.or(options.socket_timeout),
            limits: SpeedLimits::new(options.read_limit, options.write_limit),
            options,
            ascii: false,
            greeting: Reply::new(Code::READY, ""),
        }
    }

    /// The options the adapter was given (its timeouts).
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The speed limits' handle, to change them while the client runs.
    pub fn speed_limits(&self) -> &SpeedLimits {
        &self.limits
    }

    /// The server's greeting (`220`), once read.
    pub fn greeting(&self) -> &Reply {
        &self.greeting
    }

    /// Whether the following transfers are in `TYPE A`.
    pub fn ascii(&self) -> bool {
        self.ascii
    }

    /// `TYPE A` (on) or `TYPE I` (off, the default) for the following transfers.
    pub fn set_ascii(&mut self, on: bool) {
        self.ascii = on;
    }

    /// The session, for what it knows ([`Session::features`], [`Session::is_closed`]).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// What the server announced with `FEAT`, once asked.
    pub fn features(&self) -> Option<&Features> {
        self.session.features()
    }

    /// Whether an operation's end is still to be driven: an adapter's call starts by
    /// driving it out (with [`abandon`](Driver::abandon) first) when this is true.
    pub fn is_pending(&self) -> bool {
        self.session.is_busy()
    }

    /// Nobody waits for the running operation (a dropped stream or call): the core
    /// ends its file transfer itself; drive it to its end with [`Until::Done`] and
    /// drop the result, then [`start`](Driver::start) the next one.
    pub fn abandon(&mut self, now: Instant) {
        self.session.abandon(now);
        if self.ready.take().is_some() {
            self.data = Data::None;
            self.close_data = true;
        }
    }

    /// Starts `op` (see [`Session::start`]); the entries of an earlier listing are
    /// dropped. Fails with [`Busy`] while an operation is pending.
    pub fn start(
        &mut self,
        op: Operation,
        now: Instant,
        wall: impl Into<DateTime>,
    ) -> Result<(), Busy> {
        self.entries.clear();
        self.session.start(op, now, wall)
    }

    /// The entries the running or last operation listed, for a whole listing.
    pub fn take_entries(&mut self) -> Vec<Item> {
        self.entries.drain(..).collect()
    }

    /// What to do now; stops for the caller as `until` says. See [`Driver`] for the
    /// loop.
    pub fn next(&mut self, until: Until, now: Instant) -> Action {
        loop {
            if !self.control_out.is_empty() {
                return Action::Send;
            }
            if std::mem::take(&mut self.close_data) {
                return Action::CloseData;
            }
            if let Some(addr) = self.connecting {
                return Action::Connect(addr);
            }
            if let Some(ip) = self.listen {
                return Action::Listen(ip);
            }
            if std::mem::take(&mut self.securing) {
                return Action::SecureControl;
            }
            if self.drain(now) {
                continue;
            }
            if std::mem::take(&mut self.closing) {
                return Action::CloseControl;
            }
            if until == Until::Entry {
                match (self.entries.pop_front(), &self.done) {
                    (Some(item), None | Some(Ok(_))) => return Action::Entry(item),
                    (_, Some(Err(_))) => self.entries.clear(),
                    _ => {}
                }
            }
            if let Some(res) = self.done.take() {
                return Action::Done(res);
            }
            if let Some(t) = self.ready {
                if t.tls && self.data != (Data::Open { tls: true }) {
                    return Action::SecureData;
                }
                self.ready = None;
                self.data = Data::None;
                if until == Until::Transfer {
                    return Action::Transfer(t);
                }
                // Only upload and download operations hand out a file transfer.
                self.session.end_transfer(TransferEnd::Unwanted, now);
                self.close_data = true;
                continue;
            }
            if self.session.is_closed() || !self.session.is_busy() {
                // Nothing can come any more (a closed session has no operation).
                return Action::Done(Err(Error::ConnectionClosed));
            }
            let data = match (self.waiting, self.data) {
                (Some(t), Data::Open { tls: false }) if t.tls => return Action::SecureData,
                (Some(_), Data::Open { .. }) => DataWait::ReadListing,
                (Some(_), Data::Listening) => DataWait::Accept {
                    until: self
                        .accept_timeout
                        .and_then(|d| self.waiting_since.unwrap_or(now).checked_add(d)),
                },
                _ => DataWait::Nothing,
            };
            let deadline = self.session.poll_timeout();
            return Action::Wait(Wait { deadline, data });
        }
    }

    /// Takes the session's outputs into the driver's state; true when an action
    /// became due (to be done before the rest is drained).
    fn drain(&mut self, now: Instant) -> bool {
        while let Some(out) = self.session.poll_output() {
            match out {
                Output::Send(bytes) => self.control_out.extend_from_slice(&bytes),
                Output::Connect(addr) => {
                    self.connecting = Some(addr);
                    return true;
                }
                Output::Listen(ip) => {
                    self.listen = Some(ip);
                    return true;
                }
                Output::SecureControl => {
                    self.securing = true;
                    return true;
                }
                Output::Transfer(t) => {
                    if matches!(self.data, Data::Open { .. }) && t.kind != TransferKind::Listing {
                        self.ready = Some(t);
                    } else {
                        // A listing to read, or (active mode) a connection to accept.
                        self.waiting = Some(t);
                        self.waiting_since = Some(now);
                    }
                }
                Output::CloseData => self.drop_data(),
                Output::Entry(item) => self.entries.push_back(item),
                Output::Done(res) => {
                    if let Ok(Value::Greeting(reply)) = &res {
                        self.greeting = reply.clone();
                    }
                    self.done = Some(res);
                }
                Output::Close => self.closing = true,
            }
        }
        !self.control_out.is_empty() || self.close_data
    }

    /// Forgets the data connection and tells the adapter to drop it.
    fn drop_data(&mut self) {
        self.data = Data::None;
        self.waiting = None;
        self.waiting_since = None;
        self.ready = None;
        self.close_data = true;
    }

    /// The command bytes [`Action::Send`] is to write.
    pub fn control_out(&self) -> &[u8] {
        &self.control_out
    }

    /// A write of [`control_out`](Driver::control_out) ended: `n` bytes written (and,
    /// when that is all, flushed), or the error, which ends the session.
    pub fn sent(&mut self, res: io::Result<usize>) {
        match res {
            Ok(0) => self.sent(Err(io::ErrorKind::WriteZero.into())),
            Ok(n) => drop(self.control_out.drain(..n.min(self.control_out.len()))),
            Err(e) => {
                self.control_out.clear();
                self.session.control_failed(e);
            }
        }
    }

    /// A read of the control connection ended: bytes, end of file (empty), or an
    /// error (which ends the session).
    pub fn control_read(&mut self, res: io::Result<&[u8]>, now: Instant) {
        match res {
            Ok([]) => self.session.control_closed(),
            Ok(bytes) => self.session.handle_control(bytes, now),
            Err(e) => self.session.control_failed(e),
        }
    }

    /// The [`Wait`]'s deadline passed.
    pub fn timed_out(&mut self, now: Instant) {
        self.session.handle_timeout(now);
    }

    /// The handshake of [`Action::SecureControl`] ended.
    pub fn control_secured(&mut self, res: io::Result<()>, now: Instant) {
        match res {
            Ok(()) => self.session.control_secured(now),
            Err(e) => self.session.control_failed(e),
        }
    }

    /// The connect of [`Action::Connect`] ended.
    pub fn connected(&mut self, res: io::Result<()>, now: Instant) {
        self.connecting = None;
        match res {
            Ok(()) => {
                self.data = Data::Open { tls: false };
                self.session.data_connected(now);
            }
            Err(e) => self.session.data_failed(e, now),
        }
    }

    /// The bind of [`Action::Listen`] ended: the listener's address, or the error.
    pub fn listening(&mut self, res: io::Result<SocketAddr>, now: Instant) {
        self.listen = None;
        match res {
            Ok(at) => {
                self.data = Data::Listening;
                self.session.data_listening(at, now);
            }
            Err(e) => self.session.data_failed(e, now),
        }
    }

    /// The accept of [`DataWait::Accept`] ended: a connection from this address, or
    /// the error (or the wait's end, as `TimedOut`). Whether the connection is the
    /// server's: keep it as the data connection and drop the listener; if not, close
    /// it and keep accepting.
    pub fn accepted(&mut self, res: io::Result<SocketAddr>, now: Instant) -> bool {
        match res {
            Ok(from) if self.session.accepts(from) => {}
            Ok(_) => return false,
            Err(e) => {
                self.data_failed(e, now);
                return false;
            }
        }
        self.data = Data::Open { tls: false };
        self.waiting_since = None;
        match self.waiting {
            Some(t) if t.kind != TransferKind::Listing => {
                self.waiting = None;
                self.ready = Some(t);
            }
            _ => {}
        }
        true
    }

    /// The handshake of [`Action::SecureData`] ended; a failure ends the transfer.
    pub fn data_secured(&mut self, res: io::Result<()>, now: Instant) {
        match res {
            Ok(()) => self.data = Data::Open { tls: true },
            Err(e) if self.ready.is_some() => {
                self.drop_data();
                self.session.end_transfer(TransferEnd::Failed(e), now);
            }
            Err(e) => self.data_failed(e, now),
        }
    }

    /// A read of the listing's data connection ended: bytes, end of file (empty: under
    /// TLS send our `close_notify` and drop the connection), or an error.
    pub fn listing_read(&mut self, res: io::Result<&[u8]>, now: Instant) {
        match res {
            Ok([]) => {
                self.drop_data();
                self.session.data_done(now);
            }
            Ok(bytes) => self.session.handle_data(bytes, now),
            Err(e) => self.data_failed(e, now),
        }
    }

    /// The data connection failed (set up, accepted or read).
    fn data_failed(&mut self, e: io::Error, now: Instant) {
        self.drop_data();
        self.session.data_failed(e, now);
    }

    /// How a handed-out file transfer ended (see [`Session::end_transfer`]'s table):
    /// whether it is complete. When not, close its connection abortively.
    pub fn end_transfer(&mut self, end: TransferEnd, now: Instant) -> bool {
        self.session.end_transfer(end, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::DataMode;

    fn driver(options: ClientOptions) -> (Driver, Instant) {
        let now = Instant::now();
        let (peer, local) = (
            "192.0.2.1:21".parse().unwrap(),
            "192.0.2.9:50000".parse().unwrap(),
        );
        (Driver::new(options, peer, local, now), now)
    }

    /// Drives `d` with the server's `replies`, one per `Wait`, writing nothing back;
    /// returns the stop and the commands sent.
    fn run(d: &mut Driver, until: Until, now: Instant, replies: &[&str]) -> (Action, String) {
        let (mut replies, mut sent) = (replies.iter(), String::new());
        loop {
            match d.next(until, now) {
                Action::Send => {
                    sent.push_str(&String::from_utf8_lossy(d.control_out()));
                    let n = d.control_out().len();
                    d.sent(Ok(n));
                }
                Action::Wait(_) => {
                    let reply = replies.next().expect("a reply left for the wait");
                    d.control_read(Ok(reply.as_bytes()), now);
                }
                Action::CloseData if !sent.is_empty() => {}
                other => return (other, sent),
            }
        }
    }

    #[test]
    fn greeting_then_a_request() {
        let (mut d, now) = driver(ClientOptions::new());
        assert!(matches!(
            run(&mut d, Until::Done, now, &["220 hi\r\n"]).0,
            Action::Done(Ok(_))
        ));
        assert_eq!(d.greeting().code().value(), 220);
        d.start(Operation::CurrentDirectory, now, DateTime::UNIX_EPOCH)
            .unwrap();
        let (stop, sent) = run(&mut d, Until::Done, now, &["257 \"/pub\"\r\n"]);
        assert!(matches!(stop, Action::Done(Ok(Value::Path(p))) if p == b"/pub"));
        assert_eq!(sent, "PWD\r\n");
    }

    /// A connect cut short (the adapter's call dropped) is asked for again; a transfer
    /// nobody streams is refused with `ABOR`.
    #[test]
    fn actions_stay_pending_until_reported() {
        let (mut d, now) = driver(ClientOptions::new());
        run(&mut d, Until::Done, now, &["220 hi\r\n"]);
        let op = Operation::Download {
            path: b"/f".to_vec(),
            offset: 0,
            ascii: false,
        };
        d.start(op, now, DateTime::UNIX_EPOCH).unwrap();
        let (stop, _) = run(
            &mut d,
            Until::Done,
            now,
            &["200 ok\r\n", "229 (|||2000|)\r\n"],
        );
        assert!(matches!(stop, Action::Connect(a) if a.port() == 2000));
        assert!(matches!(d.next(Until::Done, now), Action::Connect(_)));
        d.connected(Ok(()), now);
        let replies = [
            "150 go\r\n",
            "226 done\r\n",
            "225 no transfer\r\n",
            "200 noop\r\n",
        ];
        let (stop, sent) = run(&mut d, Until::Done, now, &replies);
        assert!(matches!(stop, Action::Done(Err(_))), "{stop:?}");
        assert!(sent.starts_with("RETR /f\r\nABOR\r\n"), "{sent}");
    }

    #[test]
    fn the_active_wait_is_bounded_by_the_connect_timeout() {
        let mut options = ClientOptions::new().connect_timeout(Duration::from_secs(3));
        options.config.data_mode = DataMode::Active;
        let (mut d, now) = driver(options);
        run(&mut d, Until::Done, now, &["220 hi\r\n"]);
        let list = super::super::ListCommand::List;
        let op = Operation::List {
            path: b"/".to_vec(),
            recursive: false,
            command: list,
        };
        d.start(op, now, DateTime::UNIX_EPOCH).unwrap();
        let (stop, _) = run(&mut d, Until::Done, now, &[]);
        assert!(matches!(stop, Action::Listen(_)), "{stop:?}");
        d.listening(Ok("192.0.2.9:40000".parse().unwrap()), now);
        let later = now + Duration::from_secs(1);
        let mut replies = ["200 port\r\n", "150 go\r\n"].into_iter();
        loop {
            match d.next(Until::Done, later) {
                Action::Send => d.sent(Ok(d.control_out().len())),
                Action::CloseData => {}
                Action::Wait(Wait {
                    data: DataWait::Nothing,
                    ..
                }) => {
                    let reply = replies.next().expect("a reply left");
                    d.control_read(Ok(reply.as_bytes()), later);
                }
                Action::Wait(w) => {
                    let until = Some(later + Duration::from_secs(3));
                    return assert_eq!(w.data, DataWait::Accept { until });
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
