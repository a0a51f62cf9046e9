//! A deliberately small blocking FTP client: commands, replies, passive and active
//! data connections. Every socket has a timeout.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use sansftp::reply::{Decoder, Reply};

pub const TIMEOUT: Duration = Duration::from_secs(10);

pub struct Client {
    ctrl: TcpStream,
    decoder: Decoder,
}

impl Client {
    /// Connects and returns the client with the greeting.
    pub fn connect(addr: SocketAddr) -> (Client, Reply) {
        let ctrl = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
        ctrl.set_read_timeout(Some(TIMEOUT)).unwrap();
        ctrl.set_write_timeout(Some(TIMEOUT)).unwrap();
        let mut c = Client {
            ctrl,
            decoder: Decoder::new(),
        };
        let greeting = c.reply();
        (c, greeting)
    }

    /// Connects and logs in as alice.
    pub fn login(addr: SocketAddr) -> Client {
        let (mut c, g) = Client::connect(addr);
        assert_eq!(code(&g), 220, "{g:?}");
        c.expect("USER alice", 331);
        c.expect("PASS secret", 230);
        c
    }

    /// Reads one reply.
    pub fn reply(&mut self) -> Reply {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(r) = self.decoder.next_reply().expect("well-formed reply") {
                return r;
            }
            let n = self.ctrl.read(&mut buf).expect("control read");
            assert!(n > 0, "control connection closed");
            self.decoder.push(&buf[..n]);
        }
    }

    /// Whether the server closed the control connection (after every reply was read).
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 64];
        matches!(self.ctrl.read(&mut b), Ok(0) | Err(_))
    }

    pub fn send(&mut self, line: &str) {
        self.ctrl
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("control write");
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.ctrl.write_all(bytes).expect("control write");
    }

    pub fn cmd(&mut self, line: &str) -> Reply {
        self.send(line);
        self.reply()
    }

    /// Sends `line` and checks the reply code.
    pub fn expect(&mut self, line: &str, want: u16) -> Reply {
        let r = self.cmd(line);
        assert_eq!(code(&r), want, "{line}: {r:?}");
        r
    }

    /// `PASV`, returning the data address.
    pub fn pasv(&mut self) -> SocketAddr {
        let r = self.expect("PASV", 227);
        let text = r.text().into_owned();
        let start = text.find('(').expect("227 has (") + 1;
        let end = text.find(')').expect("227 has )");
        let n: Vec<u16> = text[start..end]
            .split(',')
            .map(|p| p.trim().parse().unwrap())
            .collect();
        let ip = std::net::Ipv4Addr::new(n[0] as u8, n[1] as u8, n[2] as u8, n[3] as u8);
        SocketAddr::from((ip, n[4] * 256 + n[5]))
    }

    /// Opens a passive data connection and sends `line` (RETR, LIST, STOR, ...),
    /// expecting 150.
    pub fn open_data(&mut self, line: &str) -> TcpStream {
        let addr = self.pasv();
        let data = TcpStream::connect_timeout(&addr, TIMEOUT).expect("data connect");
        data.set_read_timeout(Some(TIMEOUT)).unwrap();
        data.set_write_timeout(Some(TIMEOUT)).unwrap();
        self.expect(line, 150);
        data
    }

    /// Downloads with `line` (RETR/LIST/NLST/MLSD) through PASV.
    pub fn download(&mut self, line: &str) -> Vec<u8> {
        let mut data = self.open_data(line);
        let mut out = Vec::new();
        data.read_to_end(&mut out).expect("data read");
        let r = self.reply();
        assert_eq!(code(&r), 226, "{line}: {r:?}");
        out
    }

    /// Uploads with `line` (STOR/APPE) through PASV.
    pub fn upload(&mut self, line: &str, bytes: &[u8]) {
        let mut data = self.open_data(line);
        data.write_all(bytes).expect("data write");
        drop(data);
        let r = self.reply();
        assert_eq!(code(&r), 226, "{line}: {r:?}");
    }

    /// Downloads with `line` in active mode: a listener of ours and PORT.
    pub fn download_active(&mut self, line: &str) -> Vec<u8> {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        self.expect(
            &format!("PORT 127,0,0,1,{},{}", port / 256, port % 256),
            200,
        );
        self.expect(line, 150);
        let (mut data, _) = l.accept().expect("server connects");
        data.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut out = Vec::new();
        data.read_to_end(&mut out).expect("data read");
        let r = self.reply();
        assert_eq!(code(&r), 226, "{line}: {r:?}");
        out
    }
}

pub fn code(r: &Reply) -> u16 {
    r.code().value()
}
