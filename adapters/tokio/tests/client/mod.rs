//! The tokio client as the client suite sees it: each call run to completion with
//! `block_on` on a runtime of the harness's kind (the server runs on its own).

use std::future::Future;
use std::sync::Arc;

use sansftp::Error;
use sansftp::client::ClientOptions;
use sansftp_conformance::client::{ClientHarness, TlsClientHarness};
use sansftp_tokio::{Client, ClientTls, DataStream, ListStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

use super::Harness;

impl Harness {
    /// Connects a client with `connect`, on a runtime of its own.
    fn client<F>(self, connect: impl FnOnce() -> F) -> Result<Facade, Error>
    where
        F: Future<Output = Result<Client, Error>>,
    {
        let rt = Arc::new(self.runtime());
        let c = rt.block_on(connect())?;
        Ok(Facade { c, rt })
    }
}

impl ClientHarness for Harness {
    type Client = Facade;

    fn connect(&self, addr: &str, options: ClientOptions) -> Result<Facade, Error> {
        self.client(|| Client::connect_with(addr.to_owned(), options))
    }

    fn connect_default(&self, addr: &str) -> Result<Facade, Error> {
        self.client(|| Client::connect(addr.to_owned()))
    }
}

impl TlsClientHarness for Harness {
    fn connect_tls(
        &self,
        addr: &str,
        tls: ClientTls,
        server_name: &str,
        options: ClientOptions,
    ) -> Result<Facade, Error> {
        self.client(|| Client::connect_tls(addr.to_owned(), tls, server_name, options))
    }
}

// `Facade`, `Stream` and `Listing`: the tokio client behind the suite's `FtpClient`.
sansftp_conformance::async_client_facade!(Client, DataStream, ListStream, Arc<Runtime>);
