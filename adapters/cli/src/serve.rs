//! `sansftp serve [ROOT]`: the server's command line, turned into a
//! [`Config`] and run on the async (default), blocking or tokio adapter.

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use sansftp::server::{Config, Permission, TlsPolicy, User};
use sansftp_storage::{LocalFs, MemoryFs, Storage};

use crate::users::FileUsers;

/// Options of `sansftp serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to serve (every user is jailed to it).
    #[arg(default_value = ".")]
    root: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// Port to listen on.
    #[arg(long, default_value_t = 2121)]
    port: u16,
    /// A user as NAME:PASSWORD (repeatable). Without any, the server is anonymous-only.
    #[arg(long = "user", value_name = "NAME:PASSWORD", value_parser = parse_user)]
    users: Vec<(String, String)>,
    /// Users from a TOML file: `[[user]]` tables with `name`, `password` (an argon2id
    /// hash from `sansftp passwd`, or a `$6$` SHA-512 crypt hash), and optionally
    /// `home` (a folder inside ROOT that becomes the user's `/`), `write`,
    /// `max_connections`, `read_limit` and `write_limit` (uploads and downloads,
    /// bytes/s).
    #[arg(long = "users", value_name = "FILE")]
    users_file: Option<PathBuf>,
    /// Also allow anonymous login, as `anonymous` or `ftp` with any password (always on
    /// when neither --user nor --users is given).
    #[arg(long)]
    anonymous: bool,
    /// Let users upload, delete, rename and make directories. Anonymous users get write
    /// access only when they are the only users (no --user).
    #[arg(long)]
    write: bool,
    /// Passive data ports, as FIRST-LAST (default: any port the system gives).
    #[arg(long, value_name = "FIRST-LAST", value_parser = parse_range)]
    passive_ports: Option<RangeInclusive<u16>>,
    /// The IPv4 address to announce in PASV replies (for a server behind NAT).
    #[arg(long, value_name = "IP")]
    masquerade_address: Option<Ipv4Addr>,
    /// Close sessions idle this long, in seconds (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    idle_timeout: u64,
    /// Give up a storage or login call that has not answered after this many seconds
    /// (the client gets 451, or 421 for a login; 0: wait forever).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    request_timeout: u64,
    /// Wait this many seconds for a client's data connection before answering 425.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    data_timeout: u64,
    /// Close a data connection that moves no byte for this many seconds (the client
    /// gets 426, its session goes on), and drop a client that does not read its replies
    /// for as long (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    stall_timeout: u64,
    /// The listen backlog: connections the system queues before they are accepted.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    backlog: u32,
    /// Refuse connections beyond this many at once (421).
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Refuse connections beyond this many at once from one client address (421).
    #[arg(long, value_name = "N")]
    max_connections_per_ip: Option<usize>,
    /// Ban a client address after this many failed logins within --login-failure-window
    /// (its connections and logins get 421 for --login-ban; 0: never ban). Each failed
    /// login is logged as `login failed for USER from IP` (for fail2ban).
    #[arg(long, value_name = "N", default_value_t = 5)]
    max_login_failures: u32,
    /// How long a failed login counts towards a ban, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600)]
    login_failure_window: u64,
    /// How long a banned address stays banned, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    login_ban: u64,
    /// Wait this long before answering a failed login (530), in seconds (fractions
    /// allowed; 0: at once).
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = parse_seconds)]
    login_failure_delay: Duration,
    /// The control port is behind a proxy or load balancer that sends the PROXY
    /// protocol header (v1 or v2: HAProxy, AWS NLB): the client address it reports is
    /// used for logs, limits, bans and the data connection check, and connections
    /// without a valid header are closed. Only behind such a proxy: anyone who can
    /// connect directly could claim any address.
    #[arg(long)]
    proxy_protocol: bool,
    /// Append an audit trail to FILE, one JSON object per line: logins, logouts, failed
    /// logins, uploads (complete and aborted), downloads, deletions, renames,
    /// directories made and removed, each with the time, user and client address.
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Serve an empty in-memory tree instead of ROOT (nothing touches the disk).
    #[arg(long, conflicts_with = "s3")]
    memory: bool,
    /// Serve a bucket (or a prefix in it) of S3 or an S3-compatible server instead of
    /// ROOT; several servers may serve the same one. Credentials, region and endpoint
    /// come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and
    /// AWS_ENDPOINT_URL. APPE and renaming a directory are refused (502).
    #[arg(long, value_name = "s3://BUCKET[/PREFIX]")]
    s3: Option<String>,
    /// Use the blocking adapter (a thread per session) instead of the async one; the
    /// same as `--runtime blocking`.
    #[arg(long, conflicts_with = "runtime")]
    blocking: bool,
    /// The adapter that runs the sessions: async (async-io, the default), blocking (a
    /// thread per session) or tokio (tasks on a multi-thread tokio runtime).
    #[arg(long, value_enum, value_name = "ADAPTER")]
    runtime: Option<Runtime>,
    /// Threads that run the async or tokio adapter's sessions (default: one per core).
    #[arg(long, value_name = "N", conflicts_with = "blocking")]
    threads: Option<usize>,
    /// Offer explicit FTPS (AUTH TLS) with this PEM certificate chain (leaf first).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Refuse plaintext: logins need AUTH TLS first (530), and data connections must be
    /// protected (PROT P; plaintext transfers get 521).
    #[arg(long, requires = "tls_cert")]
    tls_required: bool,
    /// Implicit FTPS: TLS from the first byte on this listener (port 990 by custom),
    /// as `ftps://` clients expect.
    #[arg(long, requires = "tls_cert")]
    implicit_tls: bool,
    /// Accept TLS data connections that do not resume the control connection's TLS
    /// session (by default they are refused with 425, so nobody else can take a
    /// passive data port; some old clients cannot resume).
    #[arg(long, requires = "tls_cert")]
    no_tls_session_reuse: bool,
}

/// Builds the configuration and serves until the process is stopped.
pub fn run(args: Args) -> Result<(), sansftp::Error> {
    if args.threads.is_some() && (args.blocking || args.runtime == Some(Runtime::Blocking)) {
        // Refused rather than ignored: the blocking adapter has a thread per session.
        return Err(sansftp::Error::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "--threads applies to the async and tokio adapters; the blocking one runs a \
             thread per session",
        )));
    }
    let root = if args.memory || args.s3.is_some() {
        PathBuf::from("/")
    } else {
        std::fs::canonicalize(&args.root)
            .map_err(|e| sansftp::PathIoError::with_path(args.root.clone(), e))?
    };
    let mut config = config(&args, &root)?;
    if let Some(path) = &args.audit_log {
        config = config.audit(crate::audit::log_to(path)?);
    }
    let file_users = match &args.users_file {
        Some(path) => {
            let users = FileUsers::load(path, &root, args.write, !args.memory, config.clone())?;
            config.users.extend(users.users());
            Some(users)
        }
        None => None,
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(
            sansftp_tls::ServerTls::from_pem_files(cert, key)
                .map_err(|e| sansftp::Error::Io(std::io::Error::other(e.to_string())))?,
        ),
        _ => None,
    };
    let addr = SocketAddr::new(args.host, args.port);
    let served = if args.memory {
        "an in-memory tree".to_owned()
    } else if let Some(url) = &args.s3 {
        url.clone()
    } else {
        root.display().to_string()
    };
    // Each login with its access to its "/" (a users file sets it per user).
    let top = sansftp::path::VirtualPath::root();
    let logins: Vec<String> = config
        .users
        .iter()
        .map(|u| {
            let access = if u.permission_for(&top).writable {
                "read-write"
            } else {
                "read-only"
            };
            format!("{} ({access})", u.display_name())
        })
        .collect();
    log::info!("serving {served} for {}", logins.join(", "));
    // The tokio adapter's runtime, made first so that a bucket runs on it too.
    let tokio = match runtime(&args) {
        Runtime::Tokio => {
            let mut runtime = tokio::runtime::Builder::new_multi_thread();
            if let Some(n) = args.threads.filter(|n| *n > 0) {
                runtime.worker_threads(n);
            }
            Some(runtime.thread_name("sansftp-tokio").enable_all().build()?)
        }
        _ => None,
    };
    let on = Serve {
        config,
        file_users,
        tls,
        addr,
        args: &args,
    };
    if let Some(url) = &args.s3 {
        on.serve(bucket(url, tokio.as_ref())?, tokio)
    } else if args.memory {
        on.serve(MemoryFs::new(), tokio)
    } else {
        on.serve(LocalFs::new(), tokio)
    }
}

/// Which adapter `--runtime` (or the older `--blocking`) chose.
fn runtime(args: &Args) -> Runtime {
    match (args.blocking, args.runtime) {
        (true, _) => Runtime::Blocking,
        (false, runtime) => runtime.unwrap_or(Runtime::Async),
    }
}

/// The bucket of `--s3`, checked (it exists, the credentials are accepted) before the
/// server starts, so a mistake is one line at start and not a 451 per command.
/// On the tokio adapter the bucket's requests run on the server's own runtime.
#[cfg(feature = "s3")]
fn bucket(
    url: &str,
    tokio: Option<&tokio::runtime::Runtime>,
) -> Result<sansftp_objectstore::ObjectStoreFs, sansftp::Error> {
    use sansftp_objectstore::ObjectStoreFs;
    let unusable = |e: sansftp_objectstore::OpenError| {
        sansftp::Error::Io(std::io::Error::other(format!("cannot serve {e}")))
    };
    let storage = match tokio {
        Some(runtime) => ObjectStoreFs::s3_in(url, runtime.handle().clone()),
        None => ObjectStoreFs::s3(url),
    }
    .map_err(unusable)?;
    storage.check().map_err(unusable)?;
    Ok(storage)
}

#[cfg(not(feature = "s3"))]
fn bucket(url: &str, _: Option<&tokio::runtime::Runtime>) -> Result<MemoryFs, sansftp::Error> {
    Err(sansftp::Error::Io(std::io::Error::other(format!(
        "cannot serve {url}: this sansftp was built without the `s3` feature"
    ))))
}

fn config(args: &Args, root: &std::path::Path) -> Result<Config, sansftp::Error> {
    let mut config = Config::new()
        .idle_timeout((args.idle_timeout > 0).then(|| Duration::from_secs(args.idle_timeout)))
        .request_timeout(
            (args.request_timeout > 0).then(|| Duration::from_secs(args.request_timeout)),
        )
        .data_wait_timeout(Duration::from_secs(args.data_timeout.max(1)))
        .stall_timeout((args.stall_timeout > 0).then(|| Duration::from_secs(args.stall_timeout)))
        .max_connections(args.max_connections)
        .max_connections_per_ip(args.max_connections_per_ip)
        .login_throttle(
            (args.max_login_failures > 0).then_some(args.max_login_failures),
            Duration::from_secs(args.login_failure_window.max(1)),
            Duration::from_secs(args.login_ban),
        )
        .login_failure_delay(args.login_failure_delay);
    config.proxy_protocol = args.proxy_protocol;
    if let Some(ports) = &args.passive_ports {
        config = config.passive_ports(ports.clone());
    }
    if let Some(ip) = args.masquerade_address {
        config = config.masquerade_address(ip);
    }
    if args.tls_cert.is_some() {
        config = config.tls(
            TlsPolicy::explicit()
                .required(args.tls_required)
                .session_reuse_required(!args.no_tls_session_reuse),
        );
    }
    let everyone = Permission::new("/")?;
    for (name, password) in &args.users {
        let user = User::new(name.clone(), password.clone())
            .base_path(root)
            .permission(everyone.clone().rights(true, args.write));
        config = config.user(user);
    }
    let named = !args.users.is_empty() || args.users_file.is_some();
    if !named || args.anonymous {
        let anonymous_writes = args.write && !named;
        let user = User::anonymous()
            .base_path(root)
            .permission(everyone.rights(true, anonymous_writes));
        config = config.user(user);
    }
    Ok(config)
}

/// The adapters `serve` can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Runtime {
    /// sansftp-async: its own executor threads on async-io.
    Async,
    /// sansftp-blocking: a thread per session.
    Blocking,
    /// sansftp-tokio: a task per session on a multi-thread tokio runtime.
    Tokio,
}

/// An adapter's server builder with what every adapter is given: the configuration,
/// the listen backlog, the users file, TLS. (Three builder types with the same method
/// names, hence a macro.)
macro_rules! configured {
    ($builder:expr, $config:expr, $file_users:expr, $tls:expr, $args:expr) => {{
        let mut builder = $builder.config($config).backlog($args.backlog);
        if let Some(users) = $file_users {
            builder = builder.user_manager(users);
        }
        if let Some(tls) = $tls {
            builder = builder.tls(tls).implicit_tls($args.implicit_tls);
        }
        builder
    }};
}

/// What every adapter is started with.
struct Serve<'a> {
    config: Config,
    file_users: Option<FileUsers>,
    tls: Option<sansftp_tls::ServerTls>,
    addr: SocketAddr,
    args: &'a Args,
}

impl Serve<'_> {
    /// Serves `storage` on the adapter `--runtime` chose (`tokio`: its runtime, made
    /// by [`run`]) until the process is stopped.
    fn serve<S: Storage>(
        self,
        storage: S,
        tokio: Option<tokio::runtime::Runtime>,
    ) -> Result<(), sansftp::Error> {
        let Serve {
            config,
            file_users,
            tls,
            addr,
            args,
        } = self;
        let scheme = match (&tls, args.implicit_tls) {
            (None, _) => "ftp",
            (Some(_), false) => "ftpes",
            (Some(_), true) => "ftps",
        };
        if let Some(runtime) = tokio {
            return runtime.block_on(async {
                let builder = sansftp_tokio::Server::builder(storage);
                let server = configured!(builder, config, file_users, tls, args)
                    .bind(addr)
                    .await?;
                announce(scheme, server.local_addr(), "tokio");
                server.run().await
            });
        }
        if runtime(args) == Runtime::Blocking {
            let builder = sansftp_blocking::Server::builder(storage);
            let server = configured!(builder, config, file_users, tls, args).bind(addr)?;
            announce(scheme, server.local_addr(), "blocking");
            return server.run();
        }
        async_io::block_on(async {
            let builder =
                sansftp_async::Server::builder(storage).threads(args.threads.unwrap_or(0));
            let server = configured!(builder, config, file_users, tls, args)
                .bind(addr)
                .await?;
            announce(scheme, server.local_addr(), "async");
            server.run().await
        })
    }
}

fn announce(scheme: &str, addr: SocketAddr, adapter: &str) {
    // On stdout (logs go to stderr) so scripts can read where to connect.
    println!("sansftp listening on {scheme}://{addr}/ ({adapter} adapter)");
}

fn parse_user(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((name, password)) if !name.is_empty() => Ok((name.to_owned(), password.to_owned())),
        _ => Err("expected NAME:PASSWORD".to_owned()),
    }
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("expected seconds, got {text:?}"))?;
    if !(0.0..=3600.0).contains(&secs) {
        return Err(format!("expected 0 to 3600 seconds, got {text:?}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_range(text: &str) -> Result<RangeInclusive<u16>, String> {
    let bad = || format!("expected FIRST-LAST with 1 <= FIRST <= LAST <= 65535, got {text:?}");
    let (first, last) = text.split_once('-').ok_or_else(bad)?;
    let first: u16 = first.trim().parse().map_err(|_| bad())?;
    let last: u16 = last.trim().parse().map_err(|_| bad())?;
    if first == 0 || first > last {
        return Err(bad());
    }
    Ok(first..=last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: Args,
    }

    fn args(line: &[&str]) -> Args {
        Wrapper::try_parse_from(std::iter::once("serve").chain(line.iter().copied()))
            .expect("valid arguments")
            .args
    }

    fn can_write(config: &Config, login: Option<&str>) -> bool {
        let user = config
            .users
            .iter()
            .find(|u| u.login.as_deref() == login)
            .expect("user exists");
        user.permission_for(&sansftp::path::VirtualPath::root())
            .writable
    }

    #[test]
    fn defaults_are_anonymous_read_only_on_localhost_2121() {
        let a = args(&[]);
        assert_eq!(
            SocketAddr::new(a.host, a.port),
            "127.0.0.1:2121".parse().unwrap()
        );
        assert_eq!(a.root, PathBuf::from("."));
        let c = config(&a, std::path::Path::new("/srv")).unwrap();
        assert_eq!(c.users.len(), 1);
        assert!(c.users[0].login.is_none(), "the only user is anonymous");
        assert!(!can_write(&c, None));
        assert_eq!(c.users[0].base_path, PathBuf::from("/srv"));
    }

    #[test]
    fn named_users_write_and_anonymous_stays_read_only() {
        let a = args(&["--user", "u:p", "--user", "v:a:b", "--write", "--anonymous"]);
        let c = config(&a, std::path::Path::new("/srv")).unwrap();
        assert!(can_write(&c, Some("u")));
        assert!(can_write(&c, Some("v")));
        assert!(!can_write(&c, None));
        let v = c
            .users
            .iter()
            .find(|u| u.login.as_deref() == Some("v"))
            .unwrap();
        assert_eq!(
            v.password.as_deref(),
            Some("a:b"),
            "only the first colon splits"
        );
        let only_named = config(&args(&["--user", "u:p"]), std::path::Path::new("/")).unwrap();
        assert!(only_named.users.iter().all(|u| u.login.is_some()));
    }

    #[test]
    fn options_reach_the_config() {
        let a = args(&[
            "--passive-ports",
            "30000-30009",
            "--masquerade-address",
            "203.0.113.5",
            "--idle-timeout",
            "0",
            "--max-connections",
            "7",
            "--request-timeout",
            "0",
            "--data-timeout",
            "5",
            "--stall-timeout",
            "0",
        ]);
        let c = config(&a, std::path::Path::new("/")).unwrap();
        assert_eq!(c.passive_ports, Some(30000..=30009));
        assert_eq!(c.masquerade_address, Some(Ipv4Addr::new(203, 0, 113, 5)));
        assert_eq!(c.idle_timeout, None);
        assert_eq!(c.max_connections, Some(7));
        assert_eq!(c.request_timeout, None);
        assert_eq!(c.data_wait_timeout, Duration::from_secs(5));
        assert_eq!(c.stall_timeout, None);
        let defaults = config(&args(&[]), std::path::Path::new("/")).unwrap();
        assert_eq!(defaults.max_connections_per_ip, None);
        assert_eq!(defaults.max_login_failures, Some(5));
        assert_eq!(defaults.login_ban, Duration::from_secs(300));
        assert_eq!(defaults.login_failure_delay, Duration::from_secs(1));
        assert!(!defaults.proxy_protocol);
        let proxied = config(&args(&["--proxy-protocol"]), std::path::Path::new("/")).unwrap();
        assert!(proxied.proxy_protocol);
        let a = args(&[
            "--max-connections-per-ip",
            "4",
            "--max-login-failures",
            "3",
            "--login-failure-window",
            "60",
            "--login-ban",
            "30",
            "--login-failure-delay",
            "0.25",
        ]);
        let c = config(&a, std::path::Path::new("/")).unwrap();
        assert_eq!(c.max_connections_per_ip, Some(4));
        assert_eq!(c.max_login_failures, Some(3));
        assert_eq!(c.login_failure_window, Duration::from_secs(60));
        assert_eq!(c.login_ban, Duration::from_secs(30));
        assert_eq!(c.login_failure_delay, Duration::from_millis(250));
        let off = config(
            &args(&["--max-login-failures", "0"]),
            std::path::Path::new("/"),
        );
        assert_eq!(off.unwrap().max_login_failures, None);
        assert_eq!(defaults.request_timeout, Some(Duration::from_secs(60)));
        assert_eq!(defaults.stall_timeout, Some(Duration::from_secs(300)));
        let c = config(&args(&["--stall-timeout", "7"]), std::path::Path::new("/")).unwrap();
        assert_eq!(c.stall_timeout, Some(Duration::from_secs(7)));
    }

    #[test]
    fn tls_options_reach_the_policy() {
        let plain = config(&args(&[]), std::path::Path::new("/")).unwrap();
        assert!(!plain.tls.available);
        let a = args(&["--tls-cert", "c.pem", "--tls-key", "k.pem"]);
        let c = config(&a, std::path::Path::new("/")).unwrap();
        assert!(c.tls.available && !c.tls.required_on_control && c.tls.session_reuse_required);
        let a = args(&[
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--tls-required",
            "--no-tls-session-reuse",
        ]);
        let c = config(&a, std::path::Path::new("/")).unwrap();
        assert!(c.tls.required_on_control && c.tls.required_on_data);
        assert!(!c.tls.session_reuse_required);
        for bad in [
            &["--tls-cert", "c.pem"][..],
            &["--tls-key", "k.pem"],
            &["--tls-required"],
            &["--implicit-tls"],
        ] {
            let line = std::iter::once("serve").chain(bad.iter().copied());
            assert!(Wrapper::try_parse_from(line).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn bad_values_are_refused() {
        for bad in [
            &["--user", "nopassword"][..],
            &["--user", ":p"],
            &["--passive-ports", "20-10"],
            &["--passive-ports", "0-10"],
            &["--passive-ports", "x"],
            &["--port", "70000"],
            &["--login-failure-delay", "-1"],
            &["--login-failure-delay", "soon"],
        ] {
            let line = std::iter::once("serve").chain(bad.iter().copied());
            assert!(Wrapper::try_parse_from(line).is_err(), "{bad:?} accepted");
        }
    }
}
