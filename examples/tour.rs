//! A tour of the sans-IO core: decode a recorded FTP control stream, parse directory
//! listings from odd servers, and see a malformed reply become an error instead of a panic.
//!
//! ```sh
//! cargo run --example tour                  # built-in samples
//! cargo run --example tour -- listing.txt   # parse a saved LIST/MLSD body
//! ```

use sansftp::listing::{self, Kind};
use sansftp::reply::Decoder;
use sansftp::time::DateTime;
use sansftp::{Code, Error, StatusCodeError};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The core never reads a clock: "now" (for year-less LIST dates) is an input.
    let now =
        DateTime::from_system_time(std::time::SystemTime::now()).unwrap_or(DateTime::UNIX_EPOCH);

    if let Some(file) = std::env::args_os().nth(1) {
        let body = std::fs::read(&file)?;
        print_listing(&body, now);
        return Ok(());
    }

    println!("== a control stream, fed one byte at a time");
    let mut decoder = Decoder::new();
    for &byte in CONTROL_STREAM {
        decoder.push(&[byte]);
        while let Some(reply) = decoder.next_reply()? {
            let lines = reply.lines().len();
            println!(
                "{} ({} line{}) {}",
                reply.code(),
                lines,
                if lines == 1 { "" } else { "s" },
                first_line(&reply.text())
            );
            if reply.code() == Code::FILE_UNAVAILABLE {
                let err =
                    StatusCodeError::new([Code::TRANSFER_COMPLETE], [reply.code()], reply.info());
                println!("   as an error: {}", Error::from(err));
            }
        }
    }

    println!("\n== a reply that is not FTP");
    decoder.push(b"HTTP/1.1 400 Bad Request\r\n");
    match decoder.next_reply() {
        Err(err) => println!("error, not a panic: {}", Error::from(err)),
        Ok(reply) => println!("unexpectedly decoded: {reply:?}"),
    }

    println!("\n== listings from several servers");
    print_listing(LISTINGS, now);
    Ok(())
}

fn print_listing(body: &[u8], now: DateTime) {
    for entry in listing::parse_listing(body, now) {
        match entry {
            Ok(e) => {
                let kind = match e.kind {
                    Kind::Dir => "dir ",
                    Kind::File => "file",
                    Kind::Link => "link",
                    _ => "other",
                };
                let size = e.size.map_or_else(|| "-".to_owned(), |s| s.to_string());
                let modified = e.modified.map_or_else(|| "-".to_owned(), |m| m.to_string());
                println!("{kind} {size:>10}  {modified:<20}  {}", e.name_str());
            }
            Err(err) => println!("unparsed: {err}"),
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

const CONTROL_STREAM: &[u8] = b"220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n\
220-You are user number 1 of 50 allowed.\r\n\
220 You will be disconnected after 15 minutes of inactivity.\r\n\
331 User ftpbench OK. Password required\r\n\
230 OK. Current directory is /\r\n\
211-Extensions supported:\n EPRT\n MDTM\n 123 a feature line starting with digits\n SIZE\n211 End.\n\
257 \"/pub \"\"quoted\"\"\" is your current location\r\n\
229 Extended Passive mode OK (|||20123|)\r\n\
550 /missing.txt: No such file or directory\r\n";

const LISTINGS: &[u8] = b"total 12\r\n\
drwxr-xr-x+  2 ftp      ftp          4096 Jan 1 2018 acl dir\r\n\
-rwSr--r--   1 1000     1000     12345678 Mar 14 09:26 setuid  two  spaces.bin\r\n\
crw-rw-rw-   1 root     root       1,   3 Jan  1  2018 null\r\n\
lrwxrwxrwx   1 ftp      ftp            11 Dec 31 23:59 latest -> releases/v2\r\n\
06-07-22  12:55PM       <DIR>          Windows Folder\r\n\
10/03/2018  02:58 PM         1,234,567 report 2018.xlsx\r\n\
type=file;size=4096;modify=20240501123000;UNIX.mode=0644; mlsd; name with = and ;.txt\r\n\
+i8388621.48594,m825718503,r,s280,\tdjb.html\r\n";
