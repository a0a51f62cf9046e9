//! One control connection: the loop that drives a [`Session`].
//!
//! Read the socket, feed the session, drain its outputs and act on them, then wait for
//! whichever comes first: control bytes, the running transfer's next step, the
//! session's deadline, or a shutdown request.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use log::Level;
use sansftp::server::{DataEvent, Held, Left, Output, ProxiedConnection, Session};
use sansftp_storage::WriteHandle;
use sansftp_tls::SessionTls;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{sleep_until, timeout, timeout_at};

use crate::auth::BoxFuture;
use crate::conn::Conn;
use crate::shared::Shared;
use crate::transfer::{self, Step};
use crate::wait::unblock;

/// Control reads are small (command lines); this is all an idle session holds.
const READ_BUF: usize = 1024;

struct Driver {
    shared: Arc<Shared>,
    stream: Conn,
    session: Session,
    /// This session's TLS configurations (resumption state only its connections
    /// share), when the server offers FTPS.
    tls: Option<SessionTls>,
    /// The passive listener, the running transfer's future, the upload waiting for its
    /// commit.
    held: Held<TcpListener, BoxFuture<'static, Step>, WriteHandle>,
}

enum Wake {
    Read(io::Result<usize>),
    Transfer(Step),
    Timer,
    Shutdown,
}

/// Serves one accepted control connection until it closes.
pub(crate) async fn serve(shared: Arc<Shared>, mut stream: TcpStream, mut peer: SocketAddr) {
    let local = match stream.local_addr() {
        Ok(a) => a,
        Err(e) => {
            log::warn!("{peer}: no local address: {e}");
            return;
        }
    };
    // Replies are single writes that must not wait for the previous one's ACK.
    if let Err(e) = stream.set_nodelay(true) {
        log::debug!("{peer}: cannot set TCP_NODELAY: {e}");
    }
    #[cfg(unix)]
    sansftp_storage::net::keep_urgent_inline(&stream);
    log::info!("{peer}: connected");
    // Behind a proxy: its header says whose connection this is (the core decides).
    let mut proxied = ProxiedConnection::default();
    if shared.server.config.proxy_protocol {
        let wait = shared.server.config.data_wait_timeout;
        match crate::proxy::read_header(&mut stream, wait).await {
            Ok(header) => proxied = header,
            Err(e) => return log::info!("{peer}: closed: {e}"),
        }
        if let Some(client) = proxied.0 {
            log::info!("{peer}: proxied for {client}");
            peer = client;
        }
    }
    let session = shared
        .server
        .proxied_session(peer, local, proxied, Instant::now());
    let tls = shared.tls.as_ref().and_then(|t| {
        t.session()
            .map_err(|e| log::warn!("{peer}: no TLS for this session: {e}"))
            .ok()
    });
    let mut d = Driver {
        shared,
        stream: Conn::Plain(stream),
        session,
        tls,
        held: Held::new(),
    };
    d.run().await;
    log::info!("{peer}: closed");
}

impl Driver {
    async fn run(&mut self) {
        let mut buf = [0u8; READ_BUF];
        loop {
            while let Some(out) = self.session.poll_output() {
                if self.act(out).await {
                    self.stream.close();
                    return;
                }
            }
            // The session says 421 and closes once nothing runs; the server's deadline
            // drops this task if a transfer outlasts it.
            if self
                .shared
                .shutdown
                .stopping
                .tell(&mut self.session, Instant::now())
            {
                continue;
            }
            let wake = self.wait(&mut buf).await;
            let now = Instant::now();
            match wake {
                Wake::Read(Ok(0)) | Wake::Read(Err(_)) => self.session.control_closed(),
                Wake::Read(Ok(n)) => self.session.handle_control(&buf[..n], now),
                // The session reads the transfer's byte count itself.
                Wake::Timer => self.session.handle_timeout(now),
                Wake::Shutdown => {}
                Wake::Transfer(step) => {
                    if let (Some((id, _)), DataEvent::Failed(e)) =
                        (self.held.transfer(), &step.event)
                    {
                        log::debug!("{}: transfer {id} failed: {e}", self.session.peer());
                    }
                    self.held
                        .step(&mut self.session, step.event, step.rest, now);
                }
            }
        }
    }

    /// Waits for the next thing that happens to this session. Every branch is
    /// cancel-safe: a read that loses the race has consumed nothing (rustls keeps what
    /// it read), and the transfer's future is polled in place.
    async fn wait(&mut self, buf: &mut [u8]) -> Wake {
        let deadline = self.session.poll_timeout();
        // Once told, the session itself decides when to close.
        let told_shutdown = self.session.is_shutting_down();
        let shared = Arc::clone(&self.shared);
        let (stream, held) = (&mut self.stream, &mut self.held);
        let transfer = async {
            match held.transfer() {
                Some((_, f)) => f.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = stream.read(buf) => Wake::Read(read),
            step = transfer => Wake::Transfer(step),
            () = async {
                match deadline {
                    Some(at) => sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            } => Wake::Timer,
            () = shared.shutdown.wait(), if !told_shutdown => Wake::Shutdown,
        }
    }

    /// Acts on one output; true when the connection must close now.
    async fn act(&mut self, out: Output) -> bool {
        let out = match self.held.act(out, &self.shared.server.config) {
            Left::Output(out) => out,
            Left::Log(e) => {
                let level = if e.is_warning() {
                    Level::Warn
                } else {
                    Level::Info
                };
                log::log!(level, "{}: {e}", self.session.peer());
                return false;
            }
            // Dropping the future closes its socket and drops its file uncommitted.
            Left::Stop(..) | Left::Nothing => return false,
        };
        match out {
            Output::Send(bytes) => {
                if let Err(e) = self.write(&bytes).await {
                    log::debug!("{}: control write failed: {e}", self.session.peer());
                    self.session.control_closed();
                }
            }
            Output::Auth { id, request } => {
                let users = Arc::clone(&self.shared.users);
                if let Some(result) = self.request(users.authenticate(&request)).await {
                    self.session.complete_auth(id, result, Instant::now());
                }
            }
            Output::Storage { id, user, op } => {
                let storage = Arc::clone(&self.shared.storage);
                // A call that outlives the deadline finishes on the pool, unheard.
                let call = unblock(move || storage.execute(&user, &op));
                if let Some(result) = self.request(call).await {
                    self.session.complete_storage(id, result, Instant::now());
                }
            }
            Output::OpenPassive { id, ip } => {
                let result = self
                    .held
                    .open_passive(&self.shared.server.ports, ip, |addr| {
                        let listener = std::net::TcpListener::bind(addr)?;
                        listener.set_nonblocking(true)?;
                        let addr = listener.local_addr()?;
                        Ok::<_, io::Error>((TcpListener::from_std(listener)?, addr))
                    });
                self.session.complete_passive(id, result, Instant::now());
            }
            Output::SecureControl => {
                let secured = match self.tls.as_ref().map(SessionTls::control) {
                    Some(config) => self.handshake(config).await,
                    None => Err(io::Error::other("no TLS configuration")),
                };
                match secured {
                    Ok(()) => self.session.control_secured(Instant::now()),
                    Err(e) => {
                        log::info!("{}: TLS handshake failed: {e}", self.session.peer());
                        self.session.control_closed();
                    }
                }
            }
            Output::Transfer(t) => match self.held.connection(&t) {
                Ok(c) => {
                    let tls = self.tls.clone();
                    let shared = Arc::clone(&self.shared);
                    self.held.start(t.id, transfer::start(shared, t, c, tls))
                }
                Err(e) => self.session.data_failed(t.id, e, Instant::now()),
            },
            Output::CommitUpload { id } => {
                if let Some(file) = self.held.commit(id) {
                    let result = unblock(move || file.commit()).await;
                    if let Err(e) = &result {
                        log::warn!("{}: commit of upload {id} failed: {e}", self.session.peer());
                    }
                    self.session.upload_committed(id, result, Instant::now());
                }
            }
            Output::Close => return true,
            other => log::debug!("{}: ignoring {other:?}", self.session.peer()),
        }
        false
    }

    /// The TLS handshake on the control connection, within the session's deadline.
    async fn handshake(
        &mut self,
        config: Arc<sansftp_tls::rustls::ServerConfig>,
    ) -> io::Result<()> {
        let accept = self.stream.accept(config);
        match self.session.poll_timeout() {
            Some(at) => timeout_at(at.into(), accept)
                .await
                .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"))),
            None => accept.await,
        }
    }

    /// Waits for a request's answer, or until the session's deadline (now the
    /// request's, `Config::request_timeout`) passes: then the session gives up on it
    /// itself and there is no answer.
    async fn request<T>(&mut self, answer: impl Future<Output = T>) -> Option<T> {
        let answer = match self.session.poll_timeout() {
            Some(at) => timeout_at(at.into(), answer).await.ok(),
            None => Some(answer.await),
        };
        if answer.is_none() {
            self.session.handle_timeout(Instant::now());
        }
        answer
    }

    /// Writes to the control connection, giving up on a client that stopped reading
    /// for [`Config::stall_timeout`](sansftp::server::Config::stall_timeout).
    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let limit = self.shared.server.config.control_write_timeout();
        let stream = &mut self.stream;
        // Under TLS a write may leave records in rustls: the flush sends them.
        let write = async {
            stream.write_all(bytes).await?;
            stream.flush().await
        };
        match limit {
            Some(limit) => timeout(limit, write).await.unwrap_or_else(|_| {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "control write timed out",
                ))
            }),
            None => write.await,
        }
    }
}
