//! The shared conformance suites (`sansftp-conformance`) against the blocking server
//! and client: the harness below starts the server and forwards the client facade;
//! the macros write the tests.

use std::io::{self, Read, Write};
use std::path::Path;

use sansftp::client::tree::{Copied, Plan};
use sansftp::client::{ClientOptions, Features, Item, ListCommand};
use sansftp::server::{AuthRequest, AuthResult};
use sansftp::time::DateTime;
use sansftp::{Error, Mask, Reply};
use sansftp_blocking::{Client, DataStream, ListStream, Server, UserManager};
use sansftp_conformance::client::{ClientHarness, FtpClient, TlsClientHarness, Transfer};
use sansftp_conformance::server::{Running, ScriptedUsers, ServerHarness, Spec};
use sansftp_storage::Storage;

sansftp_conformance::server_suite!(server, Harness);
sansftp_conformance::client_suite!(client, Harness);
sansftp_conformance::tls_suite!(tls, Harness);

/// Starts the blocking server on its own thread.
struct Harness;

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
        let server = builder.bind(spec.bind.as_str())?;
        let addr = server.local_addr();
        let stop = server.shutdown_handle();
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || server.run());
        Ok(Running::new(
            addr,
            move |grace| stop.shutdown(grace),
            move || stopping.is_shutting_down(),
            move || {
                thread
                    .join()
                    .unwrap_or_else(|_| Err(Error::Io(std::io::Error::other("server panicked"))))
            },
        ))
    }
}

/// The suite's user manager, answering on the session's thread after its delay.
struct Scripted(ScriptedUsers);

impl UserManager for Scripted {
    fn authenticate(&self, request: &AuthRequest) -> AuthResult {
        let answer = (self.0)(request);
        std::thread::sleep(answer.delay);
        answer.result
    }
}

impl ClientHarness for Harness {
    type Client = Facade;

    fn connect(&self, addr: &str, options: ClientOptions) -> Result<Facade, Error> {
        Client::connect_with(addr, options).map(Facade)
    }

    fn connect_default(&self, addr: &str) -> Result<Facade, Error> {
        Client::connect(addr).map(Facade)
    }
}

impl TlsClientHarness for Harness {
    fn connect_tls(
        &self,
        addr: &str,
        tls: sansftp_tls::ClientTls,
        server_name: &str,
        options: ClientOptions,
    ) -> Result<Facade, Error> {
        Client::connect_tls(addr, tls, server_name, options).map(Facade)
    }
}

/// The blocking client as the suite sees it.
struct Facade(Client);

/// The blocking data stream as the suite sees it.
struct Stream<'a>(DataStream<'a>);

impl Read for Stream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Stream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Transfer for Stream<'_> {
    fn finish(self) -> Result<(), Error> {
        self.0.finish()
    }
    fn abort(self) -> Result<(), Error> {
        self.0.abort()
    }
}

impl FtpClient for Facade {
    type Stream<'a> = Stream<'a>;
    type Listing<'a> = ListStream<'a>;

    fn greeting(&self) -> &Reply {
        self.0.greeting()
    }
    fn features(&self) -> Option<&Features> {
        self.0.features()
    }
    fn login(&mut self, user: &str, password: &str) -> Result<(), Error> {
        self.0.login(user, password)
    }
    fn login_anonymous(&mut self) -> Result<(), Error> {
        self.0.login_anonymous()
    }
    fn get_current_directory(&mut self) -> Result<String, Error> {
        self.0.get_current_directory()
    }
    fn change_directory(&mut self, path: &str) -> Result<(), Error> {
        self.0.change_directory(path)
    }
    fn make_directory(&mut self, path: &str, parents: bool) -> Result<(), Error> {
        self.0.make_directory(path, parents)
    }
    fn remove_file(&mut self, path: &str) -> Result<(), Error> {
        self.0.remove_file(path)
    }
    fn remove_directory(&mut self, path: &str) -> Result<(), Error> {
        self.0.remove_directory(path)
    }
    fn remove(&mut self, path: &str) -> Result<(), Error> {
        self.0.remove(path)
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<(), Error> {
        self.0.rename(from, to)
    }
    fn list(&mut self, path: &str, recursive: bool) -> Result<Vec<Item>, Error> {
        self.0.list(path, recursive)
    }
    fn list_with(
        &mut self,
        path: &str,
        recursive: bool,
        command: ListCommand,
    ) -> Result<Vec<Item>, Error> {
        self.0.list_with(path, recursive, command)
    }
    fn list_stream(&mut self, path: &str, recursive: bool) -> Result<ListStream<'_>, Error> {
        self.0.list_stream(path, recursive)
    }
    fn stat(&mut self, path: &str) -> Result<Item, Error> {
        self.0.stat(path)
    }
    fn exists(&mut self, path: &str) -> Result<bool, Error> {
        self.0.exists(path)
    }
    fn is_file(&mut self, path: &str) -> Result<bool, Error> {
        self.0.is_file(path)
    }
    fn is_dir(&mut self, path: &str) -> Result<bool, Error> {
        self.0.is_dir(path)
    }
    fn size(&mut self, path: &str) -> Result<u64, Error> {
        self.0.size(path)
    }
    fn modified(&mut self, path: &str) -> Result<DateTime, Error> {
        self.0.modified(path)
    }
    fn noop(&mut self) -> Result<(), Error> {
        self.0.noop()
    }
    fn upload(&mut self, local: &Path, remote: &str) -> Result<u64, Error> {
        self.0.upload(local, remote)
    }
    fn download(&mut self, remote: &str, local: &Path) -> Result<u64, Error> {
        self.0.download(remote, local)
    }
    fn run_plan(&mut self, plan: Plan) -> Result<Copied, Error> {
        self.0.run_plan(plan)
    }
    fn upload_stream(&mut self, remote: &str, offset: u64) -> Result<Stream<'_>, Error> {
        self.0.upload_stream(remote, offset).map(Stream)
    }
    fn append_stream(&mut self, remote: &str) -> Result<Stream<'_>, Error> {
        self.0.append_stream(remote).map(Stream)
    }
    fn download_stream(&mut self, remote: &str, offset: u64) -> Result<Stream<'_>, Error> {
        self.0.download_stream(remote, offset).map(Stream)
    }
    fn abort(&mut self) -> Result<(), Error> {
        self.0.abort()
    }
    fn command(
        &mut self,
        text: &str,
        expected: &[Mask],
        wait: &[Mask],
    ) -> Result<Option<Reply>, Error> {
        self.0.command(text, expected, wait)
    }
    fn quit(self) -> Result<(), Error> {
        self.0.quit()
    }
    fn set_ascii(&mut self, on: bool) {
        self.0.set_ascii(on)
    }
    fn read_limit(&self) -> Option<u64> {
        self.0.speed_limits().read()
    }
    fn write_limit(&self) -> Option<u64> {
        self.0.speed_limits().write()
    }
    fn set_read_limit(&self, limit: Option<u64>) {
        self.0.speed_limits().set_read(limit)
    }
    fn set_write_limit(&self, limit: Option<u64>) {
        self.0.speed_limits().set_write(limit)
    }
}
