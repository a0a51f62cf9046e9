//! Serves a directory over FTP with the async adapter on smol, for trying it with a
//! real client: `cargo run --release -p sansftp-async --example serve_async -- DIR [PORT]`.
//! Anyone may log in (any name, any password: `User::any_login`) with full access to DIR.

use sansftp::server::{Config, User};
use sansftp_async::Server;
use sansftp_storage::LocalFs;

fn main() -> Result<(), sansftp::Error> {
    let mut args = std::env::args().skip(1);
    let root = args.next().unwrap_or_else(|| ".".into());
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(2121);
    let config = Config::new().user(User::any_login().base_path(root));
    smol::block_on(async {
        let server = Server::builder(LocalFs::new())
            .config(config)
            .bind(("127.0.0.1", port))
            .await?;
        println!("serving on ftp://{}", server.local_addr());
        server.run().await
    })
}
