//! [`async_client_facade!`](crate::async_client_facade): the [`FtpClient`](super::FtpClient)
//! facade of an async adapter's `Client`, written once for every async runtime.

/// Defines `Facade` (an async adapter's `Client` behind [`FtpClient`](crate::client::FtpClient),
/// each call run to its end with `block_on`), `Stream` (its `DataStream` as a blocking
/// [`Transfer`](crate::client::Transfer)) and `Listing` (its `ListStream` as an
/// iterator), in the module where it is invoked.
///
/// `$client`, `$data` and `$list` name the adapter's `Client`, `DataStream` and
/// `ListStream`; `$rt` is a `Clone` type with `block_on(&self, future) -> output` (a
/// runtime, or a handle on one). The extension traits that give the streams their
/// `read`, `write`, `flush` and `next` futures (futures-lite's or tokio's) must be in
/// scope where the macro is invoked. Build a facade as `Facade { c, rt }`.
#[macro_export]
macro_rules! async_client_facade {
    ($client:ident, $data:ident, $list:ident, $rt:ty) => {
        /// The adapter's client as the suite sees it: each call run to completion.
        pub struct Facade {
            pub c: $client,
            pub rt: $rt,
        }

        /// The data stream as a blocking `Read + Write`.
        pub struct Stream<'a> {
            s: $data<'a>,
            rt: $rt,
        }

        impl ::std::io::Read for Stream<'_> {
            fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                self.rt.block_on(self.s.read(buf))
            }
        }

        impl ::std::io::Write for Stream<'_> {
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                self.rt.block_on(self.s.write(buf))
            }
            fn flush(&mut self) -> ::std::io::Result<()> {
                self.rt.block_on(self.s.flush())
            }
        }

        impl $crate::client::Transfer for Stream<'_> {
            fn finish(self) -> Result<(), ::sansftp::Error> {
                self.rt.block_on(self.s.finish())
            }
            fn abort(self) -> Result<(), ::sansftp::Error> {
                self.rt.block_on(self.s.abort())
            }
        }

        /// The listing stream as an iterator.
        pub struct Listing<'a> {
            s: $list<'a>,
            rt: $rt,
        }

        impl Iterator for Listing<'_> {
            type Item = Result<::sansftp::client::Item, ::sansftp::Error>;
            fn next(&mut self) -> Option<Self::Item> {
                self.rt.block_on(self.s.next())
            }
        }

        $crate::__facade_impl!();
    };
}

/// The [`FtpClient`](crate::client::FtpClient) impl of
/// [`async_client_facade!`](crate::async_client_facade).
#[doc(hidden)]
#[macro_export]
macro_rules! __facade_impl {
    () => {
        impl $crate::client::FtpClient for Facade {
            type Stream<'a> = Stream<'a>;
            type Listing<'a> = Listing<'a>;

            fn greeting(&self) -> &::sansftp::Reply {
                self.c.greeting()
            }
            fn features(&self) -> Option<&::sansftp::client::Features> {
                self.c.features()
            }
            fn login(&mut self, user: &str, password: &str) -> Result<(), ::sansftp::Error> {
                self.rt.block_on(self.c.login(user, password))
            }
            fn login_anonymous(&mut self) -> Result<(), ::sansftp::Error> {
                self.rt.block_on(self.c.login_anonymous())
            }
            fn get_current_directory(&mut self) -> Result<String, ::sansftp::Error> {
                self.rt.block_on(self.c.get_current_directory())
            }
            fn change_directory(&mut self, path: &str) -> Result<(), ::sansftp::Error> {
                self.rt.block_on(self.c.change_directory(path))
            }
            fn make_directory(
                &mut self,
                path: &str,
                parents: bool,
            ) -> Result<(), ::sansftp::Error> {
                self.rt.block_on(self.c.make_directory(path, parents))
            }
            fn remove_file(&mut self, path: &str) -> Result<(), ::sansftp::Error> {
                self.rt.block_on(self.c.remove_file(path))
            }
            fn remove_directory(&mut self, path: &str) -> Result<(), ::sansftp::Error> {
                self.rt.block_on(self.c.remove_directory(path))
            }
            fn remove(&mut self, path: &str) -> Result<(), ::sansftp::Error> {
                self.rt.block_on(self.c.remove(path))
            }
            fn rename(&mut self, from: &str, to: &str) -> Result<(), ::sansftp::Error> {
                self.rt.block_on(self.c.rename(from, to))
            }
            fn list(
                &mut self,
                path: &str,
                recursive: bool,
            ) -> Result<Vec<::sansftp::client::Item>, ::sansftp::Error> {
                self.rt.block_on(self.c.list(path, recursive))
            }
            fn list_with(
                &mut self,
                path: &str,
                recursive: bool,
                command: ::sansftp::client::ListCommand,
            ) -> Result<Vec<::sansftp::client::Item>, ::sansftp::Error> {
                self.rt.block_on(self.c.list_with(path, recursive, command))
            }
            fn list_stream(
                &mut self,
                path: &str,
                recursive: bool,
            ) -> Result<Listing<'_>, ::sansftp::Error> {
                let rt = self.rt.clone();
                let s = rt.block_on(self.c.list_stream(path, recursive))?;
                Ok(Listing { s, rt })
            }
            fn stat(&mut self, path: &str) -> Result<::sansftp::client::Item, ::sansftp::Error> {
                self.rt.block_on(self.c.stat(path))
            }
            fn exists(&mut self, path: &str) -> Result<bool, ::sansftp::Error> {
                self.rt.block_on(self.c.exists(path))
            }
            fn is_file(&mut self, path: &str) -> Result<bool, ::sansftp::Error> {
                self.rt.block_on(self.c.is_file(path))
            }
            fn is_dir(&mut self, path: &str) -> Result<bool, ::sansftp::Error> {
                self.rt.block_on(self.c.is_dir(path))
            }
            fn size(&mut self, path: &str) -> Result<u64, ::sansftp::Error> {
                self.rt.block_on(self.c.size(path))
            }
            fn modified(
                &mut self,
                path: &str,
            ) -> Result<::sansftp::time::DateTime, ::sansftp::Error> {
                self.rt.block_on(self.c.modified(path))
            }
            fn noop(&mut self) -> Result<(), ::sansftp::Error> {
                self.rt.block_on(self.c.noop())
            }
            fn upload(
                &mut self,
                local: &::std::path::Path,
                remote: &str,
            ) -> Result<u64, ::sansftp::Error> {
                self.rt.block_on(self.c.upload(local, remote))
            }
            fn download(
                &mut self,
                remote: &str,
                local: &::std::path::Path,
            ) -> Result<u64, ::sansftp::Error> {
                self.rt.block_on(self.c.download(remote, local))
            }
            fn run_plan(
                &mut self,
                plan: ::sansftp::client::tree::Plan,
            ) -> Result<::sansftp::client::tree::Copied, ::sansftp::Error> {
                self.rt.block_on(self.c.run_plan(plan))
            }
            fn upload_stream(
                &mut self,
                remote: &str,
                offset: u64,
            ) -> Result<Stream<'_>, ::sansftp::Error> {
                let rt = self.rt.clone();
                let s = rt.block_on(self.c.upload_stream(remote, offset))?;
                Ok(Stream { s, rt })
            }
            fn append_stream(&mut self, remote: &str) -> Result<Stream<'_>, ::sansftp::Error> {
                let rt = self.rt.clone();
                let s = rt.block_on(self.c.append_stream(remote))?;
                Ok(Stream { s, rt })
            }
            fn download_stream(
                &mut self,
                remote: &str,
                offset: u64,
            ) -> Result<Stream<'_>, ::sansftp::Error> {
                let rt = self.rt.clone();
                let s = rt.block_on(self.c.download_stream(remote, offset))?;
                Ok(Stream { s, rt })
            }
            fn abort(&mut self) -> Result<(), ::sansftp::Error> {
                self.rt.block_on(self.c.abort())
            }
            fn command(
                &mut self,
                text: &str,
                expected: &[::sansftp::Mask],
                wait: &[::sansftp::Mask],
            ) -> Result<Option<::sansftp::Reply>, ::sansftp::Error> {
                self.rt.block_on(self.c.command(text, expected, wait))
            }
            fn quit(self) -> Result<(), ::sansftp::Error> {
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
    };
}
