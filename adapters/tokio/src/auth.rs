//! The user manager: who may log in. Pluggable and possibly async (a database, LDAP).

use std::future::Future;
use std::pin::Pin;

use sansftp::server::{AuthRequest, AuthResult, Config};

/// A boxed `Send` future, the return type of [`UserManager::authenticate`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Decides logins. The server asks it for every `USER` and `PASS`; it may take its
/// time (other sessions go on meanwhile). Per-user connection limits
/// ([`User::max_connections`](sansftp::server::User::max_connections)) are counted by
/// the session after it answers, whatever the manager.
///
/// ```
/// use sansftp::server::{AuthRequest, AuthResult};
/// use sansftp_tokio::{BoxFuture, UserManager};
///
/// struct NobodyGetsIn;
///
/// impl UserManager for NobodyGetsIn {
///     fn authenticate<'a>(&'a self, _request: &'a AuthRequest) -> BoxFuture<'a, AuthResult> {
///         Box::pin(async { AuthResult::Denied("closed for maintenance".into()) })
///     }
/// }
/// ```
pub trait UserManager: Send + Sync + 'static {
    /// Answers one authentication request.
    fn authenticate<'a>(&'a self, request: &'a AuthRequest) -> BoxFuture<'a, AuthResult>;
}

/// The default manager: the users of the server's [`Config`] ([`Config::answer`]).
impl UserManager for Config {
    fn authenticate<'a>(&'a self, request: &'a AuthRequest) -> BoxFuture<'a, AuthResult> {
        Box::pin(std::future::ready(self.answer(request)))
    }
}
