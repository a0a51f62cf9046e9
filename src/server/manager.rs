//! [`UserManager`]: who may log in, asked by the async server adapters (sansftp-async,
//! sansftp-tokio) through a boxed future, so one implementation serves every runtime.

use std::future::Future;
use std::pin::Pin;

use super::{AuthRequest, AuthResult, Config};

/// A boxed `Send` future, the return type of [`UserManager::authenticate`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Decides logins for an async server adapter. The server asks it for every `USER` and
/// `PASS`; it may take its time (other sessions go on meanwhile), and must not block
/// the thread that polls it (run a slow check, such as a password hash, on a thread
/// pool). Per-user connection limits
/// ([`User::max_connections`](super::User::max_connections)) are counted by the session
/// after it answers, whatever the manager.
///
/// ```
/// use sansftp::server::{AuthRequest, AuthResult, BoxFuture, UserManager};
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
