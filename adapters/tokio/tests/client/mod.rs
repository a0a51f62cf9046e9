//! The tokio client as the client suite sees it: each call run to completion with
//! `block_on` on a runtime of the harness's kind (the server runs on its own).

use std::future::Future;
use std::io;
use std::path::Path;
use std::sync::Arc;

use sansftp::client::tree::{Copied, Plan};
use sansftp::client::{ClientOptions, Features, Item, ListCommand};
use sansftp::time::DateTime;
use sansftp::{Error, Mask, Reply};
use sansftp_conformance::client::{ClientHarness, FtpClient, TlsClientHarness, Transfer};
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

pub struct Facade {
    c: Client,
    rt: Arc<Runtime>,
}

/// The data stream as a blocking `Read + Write`.
pub struct Stream<'a> {
    s: DataStream<'a>,
    rt: Arc<Runtime>,
}

impl io::Read for Stream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.rt.block_on(self.s.read(buf))
    }
}

impl io::Write for Stream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.rt.block_on(self.s.write(buf))
    }
    fn flush(&mut self) -> io::Result<()> {
        self.rt.block_on(self.s.flush())
    }
}

impl Transfer for Stream<'_> {
    fn finish(self) -> Result<(), Error> {
        self.rt.block_on(self.s.finish())
    }
    fn abort(self) -> Result<(), Error> {
        self.rt.block_on(self.s.abort())
    }
}

/// The listing stream as an iterator.
pub struct Listing<'a> {
    s: ListStream<'a>,
    rt: Arc<Runtime>,
}

impl Iterator for Listing<'_> {
    type Item = Result<Item, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rt.block_on(self.s.next())
    }
}

impl FtpClient for Facade {
    type Stream<'a> = Stream<'a>;
    type Listing<'a> = Listing<'a>;

    fn greeting(&self) -> &Reply {
        self.c.greeting()
    }
    fn features(&self) -> Option<&Features> {
        self.c.features()
    }
    fn login(&mut self, user: &str, password: &str) -> Result<(), Error> {
        self.rt.block_on(self.c.login(user, password))
    }
    fn login_anonymous(&mut self) -> Result<(), Error> {
        self.rt.block_on(self.c.login_anonymous())
    }
    fn get_current_directory(&mut self) -> Result<String, Error> {
        self.rt.block_on(self.c.get_current_directory())
    }
    fn change_directory(&mut self, path: &str) -> Result<(), Error> {
        self.rt.block_on(self.c.change_directory(path))
    }
    fn make_directory(&mut self, path: &str, parents: bool) -> Result<(), Error> {
        self.rt.block_on(self.c.make_directory(path, parents))
    }
    fn remove_file(&mut self, path: &str) -> Result<(), Error> {
        self.rt.block_on(self.c.remove_file(path))
    }
    fn remove_directory(&mut self, path: &str) -> Result<(), Error> {
        self.rt.block_on(self.c.remove_directory(path))
    }
    fn remove(&mut self, path: &str) -> Result<(), Error> {
        self.rt.block_on(self.c.remove(path))
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<(), Error> {
        self.rt.block_on(self.c.rename(from, to))
    }
    fn list(&mut self, path: &str, recursive: bool) -> Result<Vec<Item>, Error> {
        self.rt.block_on(self.c.list(path, recursive))
    }
    fn list_with(
        &mut self,
        path: &str,
        recursive: bool,
        command: ListCommand,
    ) -> Result<Vec<Item>, Error> {
        self.rt.block_on(self.c.list_with(path, recursive, command))
    }
    fn list_stream(&mut self, path: &str, recursive: bool) -> Result<Listing<'_>, Error> {
        let rt = Arc::clone(&self.rt);
        let s = rt.block_on(self.c.list_stream(path, recursive))?;
        Ok(Listing { s, rt })
    }
    fn stat(&mut self, path: &str) -> Result<Item, Error> {
        self.rt.block_on(self.c.stat(path))
    }
    fn exists(&mut self, path: &str) -> Result<bool, Error> {
        self.rt.block_on(self.c.exists(path))
    }
    fn is_file(&mut self, path: &str) -> Result<bool, Error> {
        self.rt.block_on(self.c.is_file(path))
    }
    fn is_dir(&mut self, path: &str) -> Result<bool, Error> {
        self.rt.block_on(self.c.is_dir(path))
    }
    fn size(&mut self, path: &str) -> Result<u64, Error> {
        self.rt.block_on(self.c.size(path))
    }
    fn modified(&mut self, path: &str) -> Result<DateTime, Error> {
        self.rt.block_on(self.c.modified(path))
    }
    fn noop(&mut self) -> Result<(), Error> {
        self.rt.block_on(self.c.noop())
    }
    fn upload(&mut self, local: &Path, remote: &str) -> Result<u64, Error> {
        self.rt.block_on(self.c.upload(local, remote))
    }
    fn download(&mut self, remote: &str, local: &Path) -> Result<u64, Error> {
        self.rt.block_on(self.c.download(remote, local))
    }
    fn run_plan(&mut self, plan: Plan) -> Result<Copied, Error> {
        self.rt.block_on(self.c.run_plan(plan))
    }
    fn upload_stream(&mut self, remote: &str, offset: u64) -> Result<Stream<'_>, Error> {
        let rt = Arc::clone(&self.rt);
        let s = rt.block_on(self.c.upload_stream(remote, offset))?;
        Ok(Stream { s, rt })
    }
    fn append_stream(&mut self, remote: &str) -> Result<Stream<'_>, Error> {
        let rt = Arc::clone(&self.rt);
        let s = rt.block_on(self.c.append_stream(remote))?;
        Ok(Stream { s, rt })
    }
    fn download_stream(&mut self, remote: &str, offset: u64) -> Result<Stream<'_>, Error> {
        let rt = Arc::clone(&self.rt);
        let s = rt.block_on(self.c.download_stream(remote, offset))?;
        Ok(Stream { s, rt })
    }
    fn abort(&mut self) -> Result<(), Error> {
        self.rt.block_on(self.c.abort())
    }
    fn command(
        &mut self,
        text: &str,
        expected: &[Mask],
        wait: &[Mask],
    ) -> Result<Option<Reply>, Error> {
        self.rt.block_on(self.c.command(text, expected, wait))
    }
    fn quit(self) -> Result<(), Error> {
        self.rt.block_on(self.c.quit())
    }
    fn set_ascii(&mut self, on: bool) {
        self.c.set_ascii(on)
    }
    fn read_limit(&self) -> Option<u64> {
        self.c.speed_limits().read()
    }
    fn write_limit(&self) -> Option<u64> {
        self.c.speed_limits().write()
    }
    fn set_read_limit(&self, limit: Option<u64>) {
        self.c.speed_limits().set_read(limit)
    }
    fn set_write_limit(&self, limit: Option<u64>) {
        self.c.speed_limits().set_write(limit)
    }
}
