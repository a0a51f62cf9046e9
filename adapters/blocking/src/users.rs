//! The pluggable user manager.

use sansftp::server::{AuthRequest, AuthResult, Config};

/// Decides who may log in. The server asks it on the session's thread, so it may block
/// (a database lookup); other sessions go on meanwhile.
///
/// The default is the server's [`Config`] itself ([`Config::answer`]). Per-user
/// connection limits ([`User::max_connections`](sansftp::server::User::max_connections))
/// are counted by the server after a [`AuthResult::LoggedIn`], whatever the manager.
pub trait UserManager: Send + Sync + 'static {
    /// Answers one `USER` or `PASS` question.
    fn authenticate(&self, request: &AuthRequest) -> AuthResult;
}

impl UserManager for Config {
    fn authenticate(&self, request: &AuthRequest) -> AuthResult {
        self.answer(request)
    }
}
