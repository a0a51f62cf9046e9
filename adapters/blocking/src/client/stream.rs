//! The streams a [`Client`](super::Client) hands out: [`DataStream`] for a file
//! transfer, [`ListStream`] for a listing.

use std::io::{self, Read, Write};

use sansftp::Error;
use sansftp::client::Item;

use super::driver::Driver;

/// The data connection of a running file transfer: [`Read`] for a download, [`Write`]
/// for an upload (the other direction fails with `Unsupported`). Throttled by the
/// client's [`SpeedLimits`](super::SpeedLimits); each read and write is bounded by
/// the socket timeout.
///
/// End it with [`finish`](DataStream::finish) (the transfer is complete) or
/// [`abort`](DataStream::abort). Dropping it otherwise aborts the transfer too.
#[derive(Debug)]
pub struct DataStream<'a> {
    driver: &'a mut Driver,
}

impl DataStream<'_> {
    /// Completes the transfer and waits for the server's final reply. An upload is
    /// shut down (the server sees the end of the file); a download must have been read
    /// to its end (a `read` that returned 0), else the transfer is aborted and an
    /// [`Error::Io`] of kind `InvalidInput` is returned.
    pub fn finish(self) -> Result<(), Error> {
        todo!()
    }

    /// Stops the transfer (`ABOR`) and waits until the server's replies to it are read.
    pub fn abort(self) -> Result<(), Error> {
        todo!()
    }
}

impl Read for DataStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let _ = (buf, &self.driver);
        todo!()
    }
}

impl Write for DataStream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = buf;
        todo!()
    }

    fn flush(&mut self) -> io::Result<()> {
        todo!()
    }
}

/// The entries of a running listing, as an iterator (see
/// [`Client::list_stream`](super::Client::list_stream)). Ends after the last entry, or
/// after the first error.
#[derive(Debug)]
pub struct ListStream<'a> {
    driver: &'a mut Driver,
}

impl Iterator for ListStream<'_> {
    type Item = Result<Item, Error>;

    fn next(&mut self) -> Option<Result<Item, Error>> {
        let _ = &self.driver;
        todo!()
    }
}
