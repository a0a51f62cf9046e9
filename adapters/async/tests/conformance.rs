//! The shared conformance suites (`sansftp-conformance`) against the async server and
//! client, once under smol and once under async-std. The client facade wraps each call
//! in `block_on` on the harness's runtime; the scenarios live in the suite.

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;

use futures_lite::{AsyncReadExt, AsyncWriteExt, StreamExt};
use sansftp::client::tree::{Copied, Plan};
use sansftp::client::{ClientOptions, Features, Item, ListCommand};
use sansftp::server::{AuthRequest, AuthResult};
use sansftp::time::DateTime;
use sansftp::{Error, Mask, Reply};
use sansftp_async::{BoxFuture, Client, ClientTls, DataStream, ListStream, Server, UserManager};
use sansftp_conformance::client::{ClientHarness, FtpClient, TlsClientHarness, Transfer};
use sansftp_conformance::server::{Running, ScriptedUsers, ServerHarness, Spec};
use sansftp_storage::Storage;

sansftp_conformance::server_suite!(smol_server, Harness::Smol);
sansftp_conformance::server_suite!(async_std_server, Harness::AsyncStd);
sansftp_conformance::client_suite!(smol_client, Harness::Smol);
sansftp_conformance::client_suite!(async_std_client, Harness::AsyncStd);
sansftp_conformance::tls_suite!(smol_tls, Harness::Smol);
sansftp_conformance::tls_suite!(async_std_tls, Harness::AsyncStd);

/// The runtime the server runs on.
#[derive(Clone, Copy)]
enum Harness {
    Smol,
    AsyncStd,
}

type Join = Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>;

impl Harness {
    fn block_on<T>(self, f: impl Future<Output = T>) -> T {
        match self {
            Harness::Smol => smol::block_on(f),
            Harness::AsyncStd => async_std::task::block_on(f),
        }
    }

    fn spawn(self, server: Server) -> Join {
        match self {
            Harness::Smol => Box::pin(smol::spawn(server.run())),
            Harness::AsyncStd => Box::pin(async_std::task::spawn(server.run())),
        }
    }
}

impl ServerHarness for Harness {
    fn start<S: Storage>(&self, spec: Spec<S>) -> Result<Running, Error> {
        let mut builder = Server::builder(spec.storage).config(spec.config);
        if let Some(users) = spec.users {
            builder = builder.user_manager(Scripted(users));
        }
        if let Some(backlog) = spec.backlog {
            builder = builder.backlog(backlog);
        }
        if let Some(tls) = spec.tls {
            builder = builder.tls(tls);
        }
        builder = builder.implicit_tls(spec.implicit_tls);
        let server = self.block_on(builder.bind(spec.bind.as_str()))?;
        let addr = server.local_addr();
        let stop = server.shutdown_handle();
        let stopping = stop.clone();
        let join = self.spawn(server);
        let rt = *self;
        Ok(Running::new(
            addr,
            move |grace| stop.shutdown(grace),
            move || stopping.is_shutting_down(),
            move || rt.block_on(join),
        ))
    }
}

/// The suite's user manager, answering after its delay on a timer.
struct Scripted(ScriptedUsers);

impl UserManager for Scripted {
    fn authenticate<'a>(&'a self, request: &'a AuthRequest) -> BoxFuture<'a, AuthResult> {
        let answer = (self.0)(request);
        Box::pin(async move {
            async_io::Timer::after(answer.delay).await;
            answer.result
        })
    }
}

impl ClientHarness for Harness {
    type Client = Facade;

    fn connect(&self, addr: &str, options: ClientOptions) -> Result<Facade, Error> {
        let c = self.block_on(Client::connect_with(addr.to_owned(), options))?;
        Ok(Facade { c, rt: *self })
    }

    fn connect_default(&self, addr: &str) -> Result<Facade, Error> {
        let c = self.block_on(Client::connect(addr.to_owned()))?;
        Ok(Facade { c, rt: *self })
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
        let connect = Client::connect_tls(addr.to_owned(), tls, server_name, options);
        Ok(Facade {
            c: self.block_on(connect)?,
            rt: *self,
        })
    }
}

/// The async client as the suite sees it: each call run to completion.
struct Facade {
    c: Client,
    rt: Harness,
}

/// The async data stream as a blocking `Read + Write`.
struct Stream<'a> {
    s: DataStream<'a>,
    rt: Harness,
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

/// The async listing stream as an iterator.
struct Listing<'a> {
    s: ListStream<'a>,
    rt: Harness,
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
        let rt = self.rt;
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
        let rt = self.rt;
        let s = rt.block_on(self.c.upload_stream(remote, offset))?;
        Ok(Stream { s, rt })
    }
    fn append_stream(&mut self, remote: &str) -> Result<Stream<'_>, Error> {
        let rt = self.rt;
        let s = rt.block_on(self.c.append_stream(remote))?;
        Ok(Stream { s, rt })
    }
    fn download_stream(&mut self, remote: &str, offset: u64) -> Result<Stream<'_>, Error> {
        let rt = self.rt;
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
