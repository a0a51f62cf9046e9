//! FTPS on the server (RFC 4217): what a server offers and requires ([`TlsPolicy`]),
//! and each session's TLS state with the commands that move it (`AUTH`, `PBSZ`, `PROT`,
//! `CCC`).
//!
//! The core holds no TLS library. It tells the adapter when to run a handshake
//! ([`Output::SecureControl`](super::Output::SecureControl), a [`Transfer`](super::Transfer)
//! whose [`tls`](super::Transfer::tls) is set) and takes back what the handshake
//! showed ([`Session::control_secured`], [`Session::data_secured`]); every reply and
//! every refusal is decided here.

use std::time::{Duration, Instant};

use crate::code::Code;
use crate::command::ProtectionLevel;

use super::request::{Event, Output};
use super::session::{Session, Wait};

/// What a server offers and requires of TLS, in [`Config::tls`](super::Config::tls).
///
/// The default ([`TlsPolicy::off`]) is a server without a certificate: `AUTH` gets
/// `502`. [`TlsPolicy::explicit`] offers `AUTH TLS` and lets each client choose;
/// [`required`](TlsPolicy::required) makes TLS mandatory for logins and data.
///
/// ```
/// use sansftp::server::{Config, TlsPolicy};
///
/// let config = Config::new().tls(TlsPolicy::explicit().required(true));
/// assert!(config.tls.available && config.tls.required_on_control);
/// assert!(config.tls.session_reuse_required, "reuse is required by default");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsPolicy {
    /// The adapter can run TLS (it has a certificate and key): `AUTH TLS` is accepted
    /// and `FEAT` lists `AUTH TLS`, `PBSZ` and `PROT`. Without it `AUTH` gets `502`.
    pub available: bool,
    /// `USER` and `PASS` on a plaintext control connection get `530`: log in only after
    /// `AUTH TLS` (or on an implicit-TLS listener).
    pub required_on_control: bool,
    /// Transfers under `PROT C` get `521` (and `PROT C` itself `534`): data moves only
    /// over TLS.
    pub required_on_data: bool,
    /// A TLS data connection must resume the TLS session of its own control connection
    /// (as vsftpd's `require_ssl_reuse`), else it is closed with `425` and the session
    /// goes on: this is what keeps a third party from stealing a passive data port.
    /// Default true.
    pub session_reuse_required: bool,
    /// How long a TLS data connection waits for the client's `close_notify` after
    /// sending its own, before it is closed anyway. Default 2 s.
    pub close_wait: Duration,
}

impl TlsPolicy {
    /// No TLS: `AUTH` gets `502`, `PROT C` alone is accepted. The default.
    pub const fn off() -> TlsPolicy {
        TlsPolicy {
            available: false,
            required_on_control: false,
            required_on_data: false,
            session_reuse_required: true,
            close_wait: Duration::from_secs(2),
        }
    }

    /// Explicit FTPS offered (`AUTH TLS`), not required; data connections must resume
    /// their control connection's session.
    pub const fn explicit() -> TlsPolicy {
        TlsPolicy {
            available: true,
            ..TlsPolicy::off()
        }
    }

    /// Requires TLS on the control connection and on data connections (or neither).
    pub const fn required(mut self, required: bool) -> TlsPolicy {
        self.required_on_control = required;
        self.required_on_data = required;
        self
    }

    /// Sets [`TlsPolicy::session_reuse_required`].
    pub const fn session_reuse_required(mut self, required: bool) -> TlsPolicy {
        self.session_reuse_required = required;
        self
    }

    /// Sets [`TlsPolicy::close_wait`].
    pub const fn close_wait(mut self, wait: Duration) -> TlsPolicy {
        self.close_wait = wait;
        self
    }
}

impl Default for TlsPolicy {
    fn default() -> TlsPolicy {
        TlsPolicy::off()
    }
}

/// How a [`Transfer`](super::Transfer)'s data connection runs TLS, when its session
/// is under `PROT P`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DataTls {
    /// TLS 1.3 session tickets to send on this data connection: none on an upload (a
    /// ticket the client never reads turns its close into a reset and loses the end
    /// of the upload), one otherwise.
    pub session_tickets: usize,
    /// How long to wait for the client's `close_notify` after sending ours
    /// ([`TlsPolicy::close_wait`]).
    pub close_wait: Duration,
}

impl Session {
    /// Tells the session that the TLS handshake on the control connection succeeded,
    /// after [`Output::SecureControl`](super::Output::SecureControl): from now on the
    /// bytes fed to [`handle_control`](Session::handle_control) are the decrypted
    /// ones. Bytes fed between the two are plaintext injected before the handshake and
    /// are dropped. A failed handshake is [`control_closed`](Session::control_closed).
    pub fn control_secured(&mut self, now: Instant) {
        if self.tls.control == ControlTls::Handshaking {
            self.tls.control = ControlTls::Secure;
            self.last_activity = now;
            self.pump(now);
        }
    }

    /// Marks a session made for a connection on an implicit-TLS listener (TLS from the
    /// first byte, port 990 by convention): call right after creating it, before
    /// draining anything. Its first output is then [`Output::SecureControl`](super::Output::SecureControl),
    /// before the greeting: run the handshake, report
    /// [`control_secured`](Session::control_secured), and write the greeting over TLS,
    /// as for `AUTH TLS`. Data connections are protected (`PROT P`) unless the client
    /// sends `PROT C`; `PBSZ` and `PROT` are still accepted, and `AUTH` gets `503`.
    pub fn implicit_tls(&mut self) {
        if self.tls.control != ControlTls::Plain || self.is_closed() {
            return;
        }
        self.tls = TlsState {
            control: ControlTls::Handshaking,
            pbsz: true,
            private: true,
        };
        self.secure_first();
    }

    /// Reports the TLS handshake on transfer `id`'s data connection, for a transfer
    /// whose [`tls`](super::Transfer::tls) is set, after
    /// [`data_connected`](Session::data_connected) (the `150` goes out first: clients
    /// start the handshake only after it). `resumed` is true only if the handshake
    /// resumed the TLS session of this session's control connection (rustls:
    /// `handshake_kind()` is `Resumed` on a resumption store and ticket key that only
    /// this session's connections use). When the policy requires reuse and it did not,
    /// the transfer is stopped ([`Output::AbortTransfer`](super::Output::AbortTransfer))
    /// and answered `425`; the session goes on. A failed handshake is
    /// [`data_failed`](Session::data_failed). Stale ids are ignored.
    pub fn data_secured(&mut self, id: super::RequestId, resumed: bool, now: Instant) {
        let Some(Wait::Transfer(t)) = &mut self.wait else {
            return;
        };
        if t.id != id || !t.phase.connected() || t.tls_checked {
            return;
        }
        if resumed || !self.config.tls.session_reuse_required {
            t.tls_checked = true;
            return;
        }
        self.refuse_unresumed(now);
    }
}

// The commands and the checks the rest of the session asks for.
impl Session {
    pub(super) fn cmd_auth(&mut self, mechanism: &[u8], now: Instant) {
        if !self.config.tls.available {
            return self.reply(Code::NOT_IMPLEMENTED, "TLS is not available on this server");
        }
        if self.tls.control != ControlTls::Plain {
            return self.reply(Code::BAD_SEQUENCE, "TLS is already on");
        }
        let mechanism = mechanism.trim_ascii();
        // `SSL` is taken as a synonym, as vsftpd and pure-ftpd do (`TLS-C` is RFC 4217's
        // own spelling of it); `TLS-P` (protected data by default) is not offered.
        let known = [&b"TLS"[..], b"TLS-C", b"SSL"];
        if !known.iter().any(|m| mechanism.eq_ignore_ascii_case(m)) {
            return self.reply(
                Code::PARAMETER_NOT_IMPLEMENTED,
                "Only AUTH TLS is supported",
            );
        }
        // RFC 2228: an accepted AUTH resets the security state and asks for a new login.
        self.logout();
        self.reply(Code::AUTH_OK, "AUTH TLS ok, start the TLS handshake");
        // Anything the client sent after the AUTH line was sent in plaintext and is not
        // part of the protected session (the STARTTLS injection class): drop it.
        self.queue.clear();
        self.drop_unread_input();
        self.tls.control = ControlTls::Handshaking;
        self.last_activity = now;
        self.emit(Output::SecureControl);
    }

    pub(super) fn cmd_pbsz(&mut self, size: u64) {
        if self.tls.control != ControlTls::Secure {
            return self.reply(Code::BAD_SEQUENCE, "PBSZ needs AUTH TLS first");
        }
        self.tls.pbsz = true;
        // RFC 4217: a stream protocol has no buffer; any size is answered with 0.
        let text = if size == 0 { "PBSZ=0 ok" } else { "PBSZ=0" };
        self.reply(Code::OK, text);
    }

    pub(super) fn cmd_prot(&mut self, level: ProtectionLevel) {
        let secure = self.tls.control == ControlTls::Secure;
        match level {
            ProtectionLevel::Clear if self.config.tls.required_on_data => self.reply(
                Code::POLICY_DENIED,
                "Data connections must be protected on this server: use PROT P",
            ),
            ProtectionLevel::Clear => {
                self.tls.private = false;
                self.reply(Code::OK, "Protection level set to C");
            }
            _ if !secure => self.reply(Code::BAD_SEQUENCE, "PROT needs AUTH TLS first"),
            _ if !self.tls.pbsz => self.reply(Code::BAD_SEQUENCE, "PROT needs PBSZ first"),
            ProtectionLevel::Private => {
                self.tls.private = true;
                self.reply(Code::OK, "Protection level set to P");
            }
            _ => self.reply(
                Code::PROTECTION_NOT_SUPPORTED,
                "Only PROT C and PROT P are supported",
            ),
        }
    }

    /// `CCC` is refused: a control connection that went back to plaintext would let a
    /// middlebox rewrite commands, and the NAT helpers it exists for are rare.
    pub(super) fn cmd_ccc(&mut self) {
        if self.tls.control != ControlTls::Secure {
            return self.reply(Code::BAD_SEQUENCE, "CCC needs a TLS control connection");
        }
        self.reply(
            Code::POLICY_DENIED,
            "CCC refused: the control connection stays protected",
        );
    }

    /// `530` for a login on a plaintext control connection when the policy requires
    /// TLS; true if the login may go on.
    pub(super) fn login_allowed(&mut self) -> bool {
        if self.config.tls.required_on_control && self.tls.control != ControlTls::Secure {
            self.reply(
                Code::NOT_LOGGED_IN,
                "This server requires TLS: send AUTH TLS before USER",
            );
            return false;
        }
        true
    }

    /// The TLS a transfer's data connection runs, or `521` (and `None` in the `Err`)
    /// for a plaintext transfer the policy refuses.
    pub(super) fn data_tls(&mut self, upload: bool) -> Result<Option<DataTls>, ()> {
        if !self.tls.private {
            if self.config.tls.required_on_data {
                self.reply(
                    Code::DATA_PROTECTION_REQUIRED,
                    "Data connections must be protected on this server: send PBSZ 0 and PROT P",
                );
                return Err(());
            }
            return Ok(None);
        }
        Ok(Some(DataTls {
            session_tickets: usize::from(!upload),
            close_wait: self.config.tls.close_wait,
        }))
    }

    /// Whether bytes fed now are to be dropped: the control handshake is under way.
    pub(super) fn control_handshaking(&self) -> bool {
        self.tls.control == ControlTls::Handshaking
    }

    /// A protected transfer ended before its handshake was reported: it cannot have
    /// proven it resumed this session. True if it was refused.
    pub(super) fn refused_unchecked_tls(&mut self, id: super::RequestId, now: Instant) -> bool {
        let Some(Wait::Transfer(t)) = &self.wait else {
            return false;
        };
        if t.id != id
            || t.phase.finishing()
            || !t.tls
            || t.tls_checked
            || !self.config.tls.session_reuse_required
        {
            return false;
        }
        self.refuse_unresumed(now);
        true
    }

    fn refuse_unresumed(&mut self, now: Instant) {
        let Some(Wait::Transfer(t)) = self.wait.take() else {
            return;
        };
        self.emit(Output::AbortTransfer { id: t.id });
        self.emit(Output::Event(Event::TlsNotResumed { id: t.id }));
        self.reply(
            Code::CANT_OPEN_DATA,
            "Data connection refused: its TLS session does not resume this control connection's",
        );
        self.after_transfer(now);
    }
}

/// One session's TLS state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct TlsState {
    pub(super) control: ControlTls,
    /// `PBSZ` was accepted (it must come before `PROT`).
    pub(super) pbsz: bool,
    /// `PROT P`: data connections run TLS.
    pub(super) private: bool,
}

/// Where the control connection stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum ControlTls {
    #[default]
    Plain,
    /// `234` went out with [`Output::SecureControl`]; waiting for
    /// [`Session::control_secured`].
    Handshaking,
    Secure,
}
