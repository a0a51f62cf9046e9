//! Server configuration: [`Config`], and the in-memory authentication helpers adapters
//! use to answer [`AuthRequest`]s from its [`User`]s.

use std::net::Ipv4Addr;
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::Duration;

use crate::command::DEFAULT_MAX_LINE;

use super::audit::AuditSink;
use super::request::{AuthRequest, AuthResult};
use super::tls::TlsPolicy;
use super::user::{User, constant_time_eq};

/// Everything a server's sessions share: users, limits, timeouts, texts.
///
/// Built once (usually by an adapter's builder), wrapped in an [`Arc`] and handed to
/// every [`Session`](super::Session). Field names follow aioftp's `Server` arguments.
///
/// ```
/// use std::time::Duration;
/// use sansftp::server::{Config, User};
///
/// let config = Config::new()
///     .user(User::new("alice", "secret").home("/home/alice").unwrap())
///     .user(User::anonymous())
///     .idle_timeout(Some(Duration::from_secs(60)))
///     .passive_ports(50000..=50100);
/// assert!(config.authenticate(b"alice", b"secret").is_some());
/// assert!(config.authenticate(b"alice", b"wrong").is_none());
/// // The anonymous user answers to `anonymous` and `ftp` only, with any password.
/// assert!(config.authenticate(b"ftp", b"me@example.com").is_some());
/// assert!(config.authenticate(b"alicee", b"secret").is_none());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The users. A user whose login is `None` is the anonymous user: it answers to
    /// `anonymous` and `ftp` (any case, RFC 1635) when no other user has that name, and
    /// to every name no other user has only when it is [`User::any_login`] (aioftp's
    /// anonymous user).
    pub users: Vec<Arc<User>>,
    /// Most control connections at once, server-wide (`None`: unlimited), counted by
    /// sessions made with [`Session::with_limits`](super::Session::with_limits).
    pub max_connections: Option<usize>,
    /// The `421` text for a connection over [`max_connections`](Config::max_connections).
    pub server_full_text: String,
    /// The `530` text for a login over [`User::max_connections`].
    pub user_limit_text: String,
    /// Most control connections at once from one client IP address (`None`:
    /// unlimited), counted by [`Session::with_limits`](super::Session::with_limits)
    /// sessions; beyond it `421` [`address_limit_text`](Config::address_limit_text).
    pub max_connections_per_ip: Option<usize>,
    /// The `421` text for a connection over
    /// [`max_connections_per_ip`](Config::max_connections_per_ip).
    pub address_limit_text: String,
    /// Failed logins (a `530` to `USER` or `PASS`) from one IP address within
    /// [`login_failure_window`](Config::login_failure_window) after which that address
    /// is banned for [`login_ban`](Config::login_ban): its connections and logins get
    /// `421` [`banned_text`](Config::banned_text). `None` (or 0): never. Default 5.
    /// Counted by [`Session::with_limits`](super::Session::with_limits) sessions.
    pub max_login_failures: Option<u32>,
    /// How long a failed login counts towards a ban. Default 10 minutes (fail2ban's
    /// `findtime`).
    pub login_failure_window: Duration,
    /// How long an address stays banned. Default 5 minutes.
    pub login_ban: Duration,
    /// The `421` text for a banned address.
    pub banned_text: String,
    /// How long the session waits before answering a failed login with `530` (commands
    /// pipelined behind it wait too), so guessing is slow even within the limit. Default
    /// 1 s, as vsftpd's `delay_failed_login`; zero answers at once.
    pub login_failure_delay: Duration,
    /// Server-wide download limit, bytes/s (server `write` = client download).
    pub write_speed_limit: Option<u64>,
    /// Server-wide upload limit, bytes/s.
    pub read_speed_limit: Option<u64>,
    /// Download limit of each control connection, bytes/s.
    pub write_speed_limit_per_connection: Option<u64>,
    /// Upload limit of each control connection, bytes/s.
    pub read_speed_limit_per_connection: Option<u64>,
    /// A session that receives no command for this long gets `421` and is closed.
    /// `None` disables it. Not counted while a transfer runs or a request is outstanding.
    pub idle_timeout: Option<Duration>,
    /// How long a transfer waits for its data connection before `425`.
    pub data_wait_timeout: Duration,
    /// A connection that moves no byte for this long is given up (`None`: never; zero
    /// also disables it). A data connection is closed and the client gets `426`, the
    /// control session goes on ([`Session::handle_timeout`](super::Session::handle_timeout)).
    /// It is also the adapters' control write timeout
    /// ([`Config::control_write_timeout`]): a reply the client does not read for this
    /// long ends the session ([`Session::control_closed`](super::Session::control_closed)).
    /// Default 300 s, as vsftpd and pyftpdlib.
    pub stall_timeout: Option<Duration>,
    /// How long an upload whose data connection ended cleanly stays uncommitted before
    /// [`Output::CommitUpload`](super::Output::CommitUpload), so that a killed client's
    /// control end of file (its two FINs arrive microseconds apart, in either order)
    /// reaches the session first and the upload is dropped instead. Every upload's `226`
    /// waits this long; zero commits at once. Default 5 ms.
    pub commit_grace: Duration,
    /// How long an auth or storage request (a user manager or storage call) may stay
    /// unanswered before the session gives up on it: `451` for a storage request,
    /// `421` and close for a login check (see
    /// [`Session::handle_timeout`](super::Session::handle_timeout)). `None` waits
    /// forever. Only effective in an adapter that keeps waiting on
    /// [`Session::poll_timeout`](super::Session::poll_timeout) while a request runs.
    pub request_timeout: Option<Duration>,
    /// Ports passive listeners may use (`None`: any port the OS gives).
    pub passive_ports: Option<RangeInclusive<u16>>,
    /// The address put in `227` replies instead of the control connection's local
    /// address, for a server behind NAT. EPSV replies carry no address and ignore it.
    pub masquerade_address: Option<Ipv4Addr>,
    /// The text of the `220` greeting; may hold several lines.
    pub welcome: String,
    /// The text of the `215` reply to `SYST`.
    pub system_type: String,
    /// The longest command line accepted; longer lines get `500`.
    pub max_command_line: usize,
    /// Most commands buffered while an earlier one is still being answered; a client
    /// that pipelines more is closed with `421`.
    pub max_pipelined: usize,
    /// The control listener sits behind a proxy that sends the PROXY protocol header
    /// (version 1 or 2: HAProxy, AWS NLB) first: the adapter reads it
    /// ([`parse_proxy_header`](super::parse_proxy_header)) before greeting and makes
    /// the session with the client address it reports (logs, limits, bans and the
    /// data-connection peer check use it); a connection without a valid header within
    /// [`data_wait_timeout`](Config::data_wait_timeout) is closed unanswered. Off by
    /// default: only turn it on behind such a proxy, since whoever can connect directly
    /// could then claim any address.
    pub proxy_protocol: bool,
    /// Where the adapters hand each [`Output::Audit`](super::Output::Audit) record
    /// (`None`: nowhere): the audit trail of logins, uploads, deletions, ...
    pub audit: Option<AuditSink>,
    /// FTPS: whether `AUTH TLS` is offered, what must be protected, session reuse
    /// ([`TlsPolicy`]). Default [`TlsPolicy::off`]; an adapter given a certificate sets
    /// it.
    pub tls: TlsPolicy,
}

/// The four speed limits of aioftp that apply to one direction of one user's session,
/// in bytes per second (`None`: unlimited). The adapter keeps one
/// [`Throttle`](crate::throttle::Throttle) per level (server-wide and per-user ones shared
/// between sessions, the others per session) and moves bytes only as fast as all allow
/// ([`crate::throttle::available_all`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SpeedLimits {
    /// Shared by every session of the server.
    pub server: Option<u64>,
    /// For this session alone.
    pub server_per_connection: Option<u64>,
    /// Shared by every session of this user.
    pub user: Option<u64>,
    /// For this session of this user.
    pub user_per_connection: Option<u64>,
}

impl Config {
    /// The limits for `user`'s uploads (`upload`, server "read") or downloads (server
    /// "write"). Call when starting a [`Transfer`](super::Transfer), with its `user`.
    pub fn speed_limits(&self, user: &User, upload: bool) -> SpeedLimits {
        if upload {
            SpeedLimits {
                server: self.read_speed_limit,
                server_per_connection: self.read_speed_limit_per_connection,
                user: user.read_speed_limit,
                user_per_connection: user.read_speed_limit_per_connection,
            }
        } else {
            SpeedLimits {
                server: self.write_speed_limit,
                server_per_connection: self.write_speed_limit_per_connection,
                user: user.write_speed_limit,
                user_per_connection: user.write_speed_limit_per_connection,
            }
        }
    }

    /// Defaults as in aioftp where it has one: no users (add some with
    /// [`Config::user`]; an adapter should add [`User::anonymous`] when none are given),
    /// no connection or speed limits, a ban of 5 minutes after 5 failed logins from one
    /// address within 10 minutes, 1 s before each failed login's `530`, 5 minute idle
    /// timeout (aioftp has none), 10 s data wait, 5 minute stall timeout, 5 ms commit
    /// grace, 60 s request timeout, any passive port, welcome `"welcome"`, SYST
    /// `"UNIX Type: L8"`.
    pub fn new() -> Config {
        Config {
            users: Vec::new(),
            max_connections: None,
            server_full_text: "Too many connections, try again later".to_owned(),
            user_limit_text: "Too many connections for this user".to_owned(),
            max_connections_per_ip: None,
            address_limit_text: "Too many connections from your address".to_owned(),
            max_login_failures: Some(5),
            login_failure_window: Duration::from_secs(600),
            login_ban: Duration::from_secs(300),
            banned_text: "Too many failed logins from your address, try again later".to_owned(),
            login_failure_delay: Duration::from_secs(1),
            write_speed_limit: None,
            read_speed_limit: None,
            write_speed_limit_per_connection: None,
            read_speed_limit_per_connection: None,
            idle_timeout: Some(Duration::from_secs(300)),
            data_wait_timeout: Duration::from_secs(10),
            stall_timeout: Some(Duration::from_secs(300)),
            commit_grace: Duration::from_millis(5),
            request_timeout: Some(Duration::from_secs(60)),
            passive_ports: None,
            masquerade_address: None,
            welcome: "welcome".to_owned(),
            system_type: "UNIX Type: L8".to_owned(),
            max_command_line: DEFAULT_MAX_LINE,
            max_pipelined: 256,
            tls: TlsPolicy::off(),
            proxy_protocol: false,
            audit: None,
        }
    }

    /// Sets [`Config::tls`].
    pub fn tls(mut self, policy: TlsPolicy) -> Config {
        self.tls = policy;
        self
    }

    /// Sets [`Config::audit`].
    pub fn audit(mut self, sink: AuditSink) -> Config {
        self.audit = Some(sink);
        self
    }

    /// Adds a user.
    pub fn user(mut self, user: User) -> Config {
        self.users.push(Arc::new(user));
        self
    }

    /// How long a write to the control connection may block before the session ends
    /// ([`Session::control_closed`](super::Session::control_closed)): the
    /// [`stall_timeout`](Config::stall_timeout), `None` when that is off (or zero).
    pub fn control_write_timeout(&self) -> Option<Duration> {
        self.stall_timeout.filter(|t| !t.is_zero())
    }

    /// The configuration a server runs with: as in aioftp, a server given no users
    /// serves the anonymous user (full access to the current directory's tree; the
    /// logins `anonymous` and `ftp`). Adapters call this when they start.
    pub fn or_anonymous(self) -> Config {
        if self.users.is_empty() {
            self.user(User::anonymous())
        } else {
            self
        }
    }

    /// Sets [`Config::idle_timeout`].
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Config {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`Config::stall_timeout`].
    pub fn stall_timeout(mut self, timeout: Option<Duration>) -> Config {
        self.stall_timeout = timeout;
        self
    }

    /// Sets [`Config::commit_grace`].
    pub fn commit_grace(mut self, grace: Duration) -> Config {
        self.commit_grace = grace;
        self
    }

    /// Sets [`Config::server_full_text`] and [`Config::user_limit_text`].
    pub fn limit_texts(
        mut self,
        server_full: impl Into<String>,
        user: impl Into<String>,
    ) -> Config {
        self.server_full_text = server_full.into();
        self.user_limit_text = user.into();
        self
    }

    /// Sets [`Config::data_wait_timeout`].
    pub fn data_wait_timeout(mut self, timeout: Duration) -> Config {
        self.data_wait_timeout = timeout;
        self
    }

    /// Sets [`Config::request_timeout`].
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Config {
        self.request_timeout = timeout;
        self
    }

    /// Sets [`Config::passive_ports`].
    pub fn passive_ports(mut self, ports: RangeInclusive<u16>) -> Config {
        self.passive_ports = Some(ports);
        self
    }

    /// Sets [`Config::masquerade_address`].
    pub fn masquerade_address(mut self, address: Ipv4Addr) -> Config {
        self.masquerade_address = Some(address);
        self
    }

    /// Sets [`Config::welcome`].
    pub fn welcome(mut self, text: impl Into<String>) -> Config {
        self.welcome = text.into();
        self
    }

    /// Sets [`Config::system_type`].
    pub fn system_type(mut self, text: impl Into<String>) -> Config {
        self.system_type = text.into();
        self
    }

    /// Sets [`Config::max_connections`].
    pub fn max_connections(mut self, max: Option<usize>) -> Config {
        self.max_connections = max;
        self
    }

    /// Sets [`Config::max_connections_per_ip`].
    pub fn max_connections_per_ip(mut self, max: Option<usize>) -> Config {
        self.max_connections_per_ip = max;
        self
    }

    /// Sets the failed-login throttle: [`Config::max_login_failures`] (`None`: off)
    /// within [`Config::login_failure_window`] ban an address for [`Config::login_ban`].
    pub fn login_throttle(
        mut self,
        max_failures: Option<u32>,
        window: Duration,
        ban: Duration,
    ) -> Config {
        self.max_login_failures = max_failures;
        self.login_failure_window = window;
        self.login_ban = ban;
        self
    }

    /// Sets [`Config::login_failure_delay`].
    pub fn login_failure_delay(mut self, delay: Duration) -> Config {
        self.login_failure_delay = delay;
        self
    }

    /// Sets [`Config::max_command_line`].
    pub fn max_command_line(mut self, max: usize) -> Config {
        self.max_command_line = max;
        self
    }

    /// The user a `USER login` selects: the one with exactly this login, else the
    /// anonymous user for `anonymous` or `ftp` (any case), else a
    /// [`User::any_login`] user, else `None`.
    pub fn find_user(&self, login: &[u8]) -> Option<&Arc<User>> {
        let anonymous = User::is_anonymous_login(login);
        self.users
            .iter()
            .find(|u| u.login.as_deref().is_some_and(|l| l.as_bytes() == login))
            .or_else(|| {
                self.users
                    .iter()
                    .find(|u| u.login.is_none() && (anonymous || u.any_login))
            })
    }

    /// The user `login` + `password` authenticates as, with a comparison that does not
    /// stop at the first differing byte. A user without password (the anonymous user
    /// too) accepts any password.
    pub fn authenticate(&self, login: &[u8], password: &[u8]) -> Option<&Arc<User>> {
        let user = self.find_user(login)?;
        match &user.password {
            None => Some(user),
            Some(expected) => constant_time_eq(expected.as_bytes(), password).then_some(user),
        }
    }

    /// Answers an [`AuthRequest`] from this configuration's users: the in-memory user
    /// manager. Call it from an adapter when no custom user manager is plugged in.
    /// Per-user connection limits are not counted here (they need state shared by all
    /// sessions): the adapter checks them and answers [`AuthResult::Denied`] itself.
    pub fn answer(&self, request: &AuthRequest) -> AuthResult {
        match request {
            AuthRequest::User { login } => match self.find_user(login) {
                None => AuthResult::Denied("no such user".to_owned()),
                // The anonymous user is asked for a password (by custom an e-mail
                // address) and takes any; an `any_login` user logs in at once.
                Some(u) if u.login.is_none() && !u.any_login => AuthResult::NeedPassword,
                Some(u) if u.password.is_none() => AuthResult::LoggedIn(Arc::clone(u)),
                Some(_) => AuthResult::NeedPassword,
            },
            AuthRequest::Password { login, password } => match self.authenticate(login, password) {
                Some(u) => AuthResult::LoggedIn(Arc::clone(u)),
                None => AuthResult::Denied("wrong password".to_owned()),
            },
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_control_write_timeout_is_the_stall_timeout_when_on() {
        let secs = Duration::from_secs;
        assert_eq!(Config::new().control_write_timeout(), Some(secs(300)));
        let off = Config::new().stall_timeout(Some(Duration::ZERO));
        assert_eq!(off.control_write_timeout(), None);
        assert_eq!(
            Config::new().stall_timeout(None).control_write_timeout(),
            None
        );
    }

    #[test]
    fn a_server_without_users_serves_anonymous_only_then() {
        let c = Config::new().or_anonymous();
        assert_eq!(c.users.len(), 1);
        assert!(c.users[0].login.is_none());
        let named = Config::new().user(User::new("alice", "pw")).or_anonymous();
        assert_eq!(
            named.users.len(),
            1,
            "named users are not joined by anonymous"
        );
        assert_eq!(named.users[0].login.as_deref(), Some("alice"));
    }

    #[test]
    fn anonymous_answers_to_anonymous_and_ftp_only() {
        let user = |c: &Config, login: &[u8]| {
            c.answer(&AuthRequest::User {
                login: login.to_vec(),
            })
        };
        let c = Config::new()
            .user(User::new("alice", "pw"))
            .user(User::anonymous());
        assert_eq!(
            c.find_user(b"alice").unwrap().login.as_deref(),
            Some("alice")
        );
        for name in [&b"anonymous"[..], b"ftp", b"FTP", b"Anonymous"] {
            assert!(c.find_user(name).unwrap().login.is_none());
            // Asked for a password, which may be anything.
            assert!(matches!(user(&c, name), AuthResult::NeedPassword));
            assert!(c.authenticate(name, b"me@example.com").is_some());
        }
        // A mistyped or unknown name is not the anonymous user.
        for name in [&b"whoever"[..], b"alicee", b"", b"anonymous "] {
            assert!(c.find_user(name).is_none(), "{name:?}");
            assert!(matches!(user(&c, name), AuthResult::Denied(_)));
            assert!(c.authenticate(name, b"pw").is_none());
        }
        assert!(matches!(user(&c, b"alice"), AuthResult::NeedPassword));
        // A named user called `ftp` is that user, not the anonymous one.
        let named = Config::new()
            .user(User::new("ftp", "secret"))
            .user(User::anonymous());
        assert!(named.authenticate(b"ftp", b"x").is_none());
        assert!(named.authenticate(b"anonymous", b"x").is_some());
        // aioftp's anonymous user, by its explicit name: any login, at once.
        let any = Config::new()
            .user(User::new("alice", "pw"))
            .user(User::any_login());
        assert!(matches!(user(&any, b"whoever"), AuthResult::LoggedIn(_)));
        assert!(matches!(user(&any, b"alice"), AuthResult::NeedPassword));
        let only = Config::new().user(User::new("alice", "pw"));
        assert!(matches!(user(&only, b"bob"), AuthResult::Denied(_)));
        assert!(matches!(user(&only, b"anonymous"), AuthResult::Denied(_)));
    }

    #[test]
    fn speed_limits_pick_the_direction() {
        let mut c = Config::new();
        c.read_speed_limit = Some(1);
        c.write_speed_limit_per_connection = Some(2);
        let mut u = User::anonymous();
        u.read_speed_limit_per_connection = Some(3);
        u.write_speed_limit = Some(4);
        let up = c.speed_limits(&u, true);
        assert_eq!(
            (
                up.server,
                up.server_per_connection,
                up.user,
                up.user_per_connection
            ),
            (Some(1), None, None, Some(3))
        );
        let down = c.speed_limits(&u, false);
        assert_eq!(
            (
                down.server,
                down.server_per_connection,
                down.user,
                down.user_per_connection
            ),
            (None, Some(2), Some(4), None)
        );
    }
}
