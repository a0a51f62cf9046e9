//! The server conformance suite: every scenario is a function generic over a
//! [`ServerHarness`], driven by the raw [`Ftp`](crate::ftp::Ftp) client, and
//! [`server_suite!`](crate::server_suite) turns the list into `#[test]`s.
//!
//! An adapter implements [`ServerHarness::start`] (build its server from a [`Spec`],
//! bind, run it in the background, hand back a [`Running`]) and writes
//!
//! ```text
//! sansftp_conformance::server_suite!(blocking, Harness);
//! ```

mod abuse;
mod audit;
mod policy;
mod sessions;
pub(crate) mod tls;
mod transfers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use sansftp::Error;
use sansftp::server::{AuthRequest, AuthResult, Config, User};
use sansftp_storage::Storage;

pub use abuse::*;
pub use audit::*;
pub use policy::*;
pub use sessions::*;
pub use transfers::*;

/// How long a server may take to stop before the test fails.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(20);

/// What an adapter must do for the suite: start a server.
pub trait ServerHarness {
    /// Builds a server on `spec.storage` with `spec.config` (and `spec.users` as its
    /// user manager when given), binds `spec.bind`, and runs it in the background.
    /// A bind or storage-root error is returned, not panicked.
    fn start<S: Storage>(&self, spec: Spec<S>) -> Result<Running, Error>;
}

/// What to start.
pub struct Spec<S> {
    /// The storage backend.
    pub storage: S,
    /// The server's configuration (its users, unless `users` is given).
    pub config: Config,
    /// A user manager instead of the configuration's users.
    pub users: Option<ScriptedUsers>,
    /// The address to bind, such as `"127.0.0.1:0"`.
    pub bind: String,
    /// The control listener's backlog (the harness passes it to the builder's
    /// `backlog`); `None` keeps the adapter's default.
    pub backlog: Option<u32>,
    /// FTPS: the certificate (the harness passes it to the builder's `tls`); `None`:
    /// plaintext only. Only the scenarios of [`tls_suite!`](crate::tls_suite) set it.
    pub tls: Option<sansftp_tls::ServerTls>,
    /// An implicit-TLS listener (the builder's `implicit_tls`).
    pub implicit_tls: bool,
}

impl<S> Spec<S> {
    /// `storage` with `config`, on 127.0.0.1 (any port), the configuration's users.
    pub fn new(storage: S, config: Config) -> Spec<S> {
        Spec {
            storage,
            config,
            users: None,
            bind: "127.0.0.1:0".to_owned(),
            backlog: None,
            tls: None,
            implicit_tls: false,
        }
    }

    /// Offering FTPS with `tls`.
    pub fn tls(mut self, tls: sansftp_tls::ServerTls) -> Spec<S> {
        self.tls = Some(tls);
        self
    }

    /// With an implicit-TLS listener (or not).
    pub fn implicit_tls(mut self, on: bool) -> Spec<S> {
        self.implicit_tls = on;
        self
    }

    /// With a user manager.
    pub fn users(mut self, users: ScriptedUsers) -> Spec<S> {
        self.users = Some(users);
        self
    }

    /// On another address.
    pub fn bind(mut self, bind: impl Into<String>) -> Spec<S> {
        self.bind = bind.into();
        self
    }

    /// With a listen backlog of `backlog`.
    pub fn backlog(mut self, backlog: u32) -> Spec<S> {
        self.backlog = Some(backlog);
        self
    }
}

/// A user manager for the suite, written once for both adapters: for each request, an
/// answer and how long to take giving it. Each adapter wraps it in its own
/// `UserManager` (the async one waits on a timer, the blocking one sleeps).
pub type ScriptedUsers = Arc<dyn Fn(&AuthRequest) -> Answer + Send + Sync>;

/// One answer of a [`ScriptedUsers`].
pub struct Answer {
    /// How long the manager takes to answer.
    pub delay: Duration,
    /// The answer.
    pub result: AuthResult,
}

impl Answer {
    /// `result`, at once.
    pub fn now(result: AuthResult) -> Answer {
        Answer {
            delay: Duration::ZERO,
            result,
        }
    }

    /// `result`, after `delay`.
    pub fn after(delay: Duration, result: AuthResult) -> Answer {
        Answer { delay, result }
    }
}

type Stop = Arc<dyn Fn(Duration) + Send + Sync>;
type IsStopping = Arc<dyn Fn() -> bool + Send + Sync>;
type Wait = Box<dyn FnOnce() -> Result<(), Error> + Send>;

/// A server running in the background. Dropping it shuts it down with no grace and
/// waits (failing the test when it does not stop within [`JOIN_TIMEOUT`], or when its
/// run returned an error).
pub struct Running {
    addr: SocketAddr,
    stop: Stop,
    is_stopping: IsStopping,
    wait: Option<Wait>,
}

impl Running {
    /// A running server at `addr`: `stop(grace)` begins a shutdown and returns at once,
    /// `is_stopping` says whether one has begun, `wait` blocks until the server's run
    /// returns, with its result.
    pub fn new(
        addr: SocketAddr,
        stop: impl Fn(Duration) + Send + Sync + 'static,
        is_stopping: impl Fn() -> bool + Send + Sync + 'static,
        wait: impl FnOnce() -> Result<(), Error> + Send + 'static,
    ) -> Running {
        Running {
            addr,
            stop: Arc::new(stop),
            is_stopping: Arc::new(is_stopping),
            wait: Some(Box::new(wait)),
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle that begins a shutdown with a grace period, from any thread.
    pub fn stopper(&self) -> impl Fn(Duration) + Send + Sync + 'static {
        let stop = Arc::clone(&self.stop);
        move |grace| stop(grace)
    }

    /// Whether a shutdown has begun.
    pub fn is_stopping(&self) -> bool {
        (self.is_stopping)()
    }

    /// Shuts down with `grace` and waits for the run to return.
    pub fn shutdown(mut self, grace: Duration) -> Result<(), Error> {
        (self.stop)(grace);
        self.join()
    }

    fn join(&mut self) -> Result<(), Error> {
        let Some(wait) = self.wait.take() else {
            return Ok(());
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(wait());
        });
        rx.recv_timeout(JOIN_TIMEOUT)
            .unwrap_or_else(|_| panic!("server did not stop within {JOIN_TIMEOUT:?}"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.wait.is_some() {
            (self.stop)(Duration::ZERO);
            let r = self.join();
            if !std::thread::panicking() {
                r.expect("the server's run");
            }
        }
    }
}

/// `alice`/`secret` with full rights, a 5 s data-connection wait.
pub fn config() -> Config {
    Config::new()
        .user(User::new("alice", "secret"))
        .data_wait_timeout(Duration::from_secs(5))
}

/// Starts `storage` with `config` on 127.0.0.1, panicking on failure.
pub fn start<H: ServerHarness, S: Storage>(h: &H, storage: S, config: Config) -> Running {
    h.start(Spec::new(storage, config))
        .expect("start a server on loopback")
}

/// Expands to one `#[test]` per server scenario, in a module `$module`, each running
/// the scenario against the harness `$harness` (an expression, evaluated per test).
#[macro_export]
macro_rules! server_suite {
    ($module:ident, $harness:expr) => {
        $crate::__tests!(
            $module,
            $harness,
            server,
            [
                login_and_directories,
                stor_retr_byte_exact,
                rest_resume_and_appe,
                rename_and_delete,
                list_nlst_mlsd,
                stou_size_mdtm_mlst,
                type_a_converts,
                pipelined_commands_in_order,
                active_port_and_eprt,
                port_bounce_refused,
                active_connection_that_fails_gives_425,
                data_connection_from_other_host_refused,
                ipv6_epsv,
                local_files,
                local_root_confines,
                missing_local_root_fails_at_start,
                bind_failure_names_the_address,
                abor_mid_download,
                abor_mid_upload_discards,
                vanished_uploader_discards,
                killed_uploader_discards_in_either_fin_order,
                quit_and_stat_during_a_transfer,
                speed_limits_apply,
                data_wait_timeout,
                idle_timeout,
                max_connections,
                sequential_sessions,
                concurrent_sessions,
                passive_range_exhausted,
                hostile_clients,
                garbage_never_breaks_the_server,
                anonymous_when_no_users_and_run_returns,
                graceful_shutdown_lets_transfer_finish,
                shutdown_deadline_closes_transfers,
                shutdown_deadline_ends_a_session_in_the_user_manager,
                user_manager_decides,
                slow_user_manager_and_user_limit,
                hung_user_manager_times_out,
                no_request_timeout_waits_for_the_user_manager,
                burst_of_connections_all_greeted,
                stou_retries_on_the_same_connection,
                passive_listener_closed_after_use,
                stalled_download_gets_426_and_the_session_goes_on,
                stalled_download_from_disk_gets_426,
                stalled_upload_gets_426_and_the_session_goes_on,
                slow_transfer_that_keeps_moving_is_not_a_stall,
                listen_backlog_is_1024_and_configurable,
                raw_ff_names_round_trip,
                mlsx_facts_on_disk,
                sixth_connection_from_one_address_gets_421,
                failed_logins_ban_one_address_not_another,
                audit_records_reach_the_sink,
                proxy_protocol_reports_the_client,
                mfmt_hash_and_site_chmod,
            ]
        );
    };
}

/// The expansion shared by the suite macros.
#[doc(hidden)]
#[macro_export]
macro_rules! __tests {
    ($module:ident, $harness:expr, $kind:ident, [$($name:ident),* $(,)?]) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $name() {
                    $crate::$kind::$name(&$harness)
                }
            )*
        }
    };
}
