//! The user manager: who may log in. The trait is the core's, shared by the async
//! adapters ([`sansftp::server::UserManager`]), so one implementation serves them all.

pub use sansftp::server::{BoxFuture, UserManager};
