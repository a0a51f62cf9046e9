//! sansftp's client in the shape of the bench rig's Rust client, so the rig's `bench.py`
//! measures it exactly as it measures the suppaftp one (`--rust-client`):
//!
//! ```text
//! client_bench --blocking|--async|--tokio dl    HOST PORT USER PASS REMOTE        -> "bytes seconds"
//! client_bench --blocking|--async|--tokio ul    HOST PORT USER PASS LOCAL REMOTE  -> "bytes seconds"
//! client_bench --blocking|--async|--tokio small HOST PORT USER PASS DIR COUNT     -> "files seconds"
//! ```
//!
//! As in the rig's client, the clock starts after login, downloads are read into a
//! 1 MiB buffer and dropped (a page-aligned `DataBuffer`, as the client's own
//! `download` uses: see `sansftp::buffer`), and `small` reads `DIR/f0000`, `DIR/f0001`, ... over one
//! session. Uploads use the client's own `upload` (a file to a remote path), which is how
//! a user sends a file. Used by `scripts/bench-client.sh`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("--blocking") => blocking::run(&args[1..]),
        Some("--async") => async_io::block_on(nonblocking::run(&args[1..])),
        Some("--tokio") => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(Into::into)
            .and_then(|runtime| runtime.block_on(on_tokio::run(&args[1..]))),
        _ => Err(
            "usage: client_bench --blocking|--async|--tokio dl|ul|small HOST PORT USER PASS ARGS"
                .into(),
        ),
    };
    match result {
        Ok((count, seconds)) => {
            println!("{count} {seconds:.6}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("client_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Files or bytes moved, and the seconds it took (login and quit not counted).
type Outcome = Result<(u64, f64), Box<dyn std::error::Error>>;

/// The rig's arguments: `MODE HOST PORT USER PASS REST...`.
struct Args<'a> {
    mode: &'a str,
    addr: String,
    user: &'a str,
    pass: &'a str,
    rest: &'a [String],
}

fn parse(args: &[String]) -> Result<Args<'_>, Box<dyn std::error::Error>> {
    let [mode, host, port, user, pass, rest @ ..] = args else {
        return Err("expected MODE HOST PORT USER PASS ARGS".into());
    };
    let addr = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    Ok(Args {
        mode,
        addr,
        user,
        pass,
        rest,
    })
}

fn arg<'a>(
    rest: &'a [String],
    i: usize,
    what: &str,
) -> Result<&'a str, Box<dyn std::error::Error>> {
    rest.get(i)
        .map(String::as_str)
        .ok_or_else(|| format!("missing {what}").into())
}

mod blocking {
    use std::io::Read;
    use std::time::Instant;

    use sansftp_blocking::Client;

    use super::{Args, Outcome, arg, parse};

    pub fn run(args: &[String]) -> Outcome {
        let Args {
            mode,
            addr,
            user,
            pass,
            rest,
        } = parse(args)?;
        let mut client = Client::connect(addr.as_str())?;
        client.login(user, pass)?;
        let mut buf = sansftp::buffer::DataBuffer::new(1 << 20);
        let started = Instant::now();
        let count = match mode {
            "dl" => drain(&mut client, arg(rest, 0, "REMOTE")?, &mut buf)?,
            "ul" => client.upload(arg(rest, 0, "LOCAL")?, arg(rest, 1, "REMOTE")?)?,
            "small" => {
                let dir = arg(rest, 0, "DIR")?;
                let count: u64 = arg(rest, 1, "COUNT")?.parse()?;
                for i in 0..count {
                    let n = drain(&mut client, &format!("{dir}/f{i:04}"), &mut buf)?;
                    if n != 4096 {
                        return Err(format!("{dir}/f{i:04}: {n} bytes, not 4096").into());
                    }
                }
                count
            }
            other => return Err(format!("unknown mode {other}").into()),
        };
        let seconds = started.elapsed().as_secs_f64();
        client.quit()?;
        Ok((count, seconds))
    }

    fn drain(
        client: &mut Client,
        path: &str,
        buf: &mut [u8],
    ) -> Result<u64, Box<dyn std::error::Error>> {
        let mut stream = client.download_stream(path, 0)?;
        let mut n = 0u64;
        loop {
            let k = stream.read(buf)?;
            if k == 0 {
                break;
            }
            n += k as u64;
        }
        stream.finish()?;
        Ok(n)
    }
}

macro_rules! async_bench {
    ($name:ident, $client:path, $read_ext:path) => {
        mod $name {
            use std::time::Instant;

            use $client;
            use $read_ext;

            use super::{Args, Outcome, arg, parse};

            pub async fn run(args: &[String]) -> Outcome {
                let Args {
                    mode,
                    addr,
                    user,
                    pass,
                    rest,
                } = parse(args)?;
                let mut client = Client::connect(addr.as_str()).await?;
                client.login(user, pass).await?;
                let mut buf = sansftp::buffer::DataBuffer::new(1 << 20);
                let started = Instant::now();
                let count = match mode {
                    "dl" => drain(&mut client, arg(rest, 0, "REMOTE")?, &mut buf).await?,
                    "ul" => {
                        client
                            .upload(arg(rest, 0, "LOCAL")?, arg(rest, 1, "REMOTE")?)
                            .await?
                    }
                    "small" => {
                        let dir = arg(rest, 0, "DIR")?;
                        let count: u64 = arg(rest, 1, "COUNT")?.parse()?;
                        for i in 0..count {
                            let n = drain(&mut client, &format!("{dir}/f{i:04}"), &mut buf).await?;
                            if n != 4096 {
                                return Err(format!("{dir}/f{i:04}: {n} bytes, not 4096").into());
                            }
                        }
                        count
                    }
                    other => return Err(format!("unknown mode {other}").into()),
                };
                let seconds = started.elapsed().as_secs_f64();
                client.quit().await?;
                Ok((count, seconds))
            }

            async fn drain(
                client: &mut Client,
                path: &str,
                buf: &mut [u8],
            ) -> Result<u64, Box<dyn std::error::Error>> {
                let mut stream = client.download_stream(path, 0).await?;
                let mut n = 0u64;
                loop {
                    let k = stream.read(buf).await?;
                    if k == 0 {
                        break;
                    }
                    n += k as u64;
                }
                stream.finish().await?;
                Ok(n)
            }
        }
    };
}

// The async-io client, on `async_io::block_on`.
async_bench!(
    nonblocking,
    sansftp_async::Client,
    futures_lite::AsyncReadExt
);
// The tokio client, on a multi-thread runtime (as `#[tokio::main]` makes).
async_bench!(on_tokio, sansftp_tokio::Client, tokio::io::AsyncReadExt);
