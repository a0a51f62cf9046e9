//! FTPS end to end, as a user would try it: `sansftp serve ... --tls-cert --tls-key
//! [--tls-required] [--implicit-tls]` on every adapter against curl, lftp, Python's
//! `ftplib.FTP_TLS` and our own client commands; and our client commands against
//! vsftpd with `require_ssl_reuse=YES` (started by `.ci/run`, found through
//! `SANSFTP_VSFTPD_TLS`). Certificates are made by the test, never committed.
//!
//! A missing peer fails under `CI=true` and is skipped with a notice elsewhere.

#[macro_use]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

both_adapters! {
    curl_explicit_tls_required => curl_explicit;
    curl_implicit_tls => curl_implicit;
    lftp_forced_tls => lftp_tls;
    ftplib_tls_with_session_reuse => |a| ftplib(a, "reuse", "ok");
    ftplib_tls_without_session_reuse_is_refused => |a| ftplib(a, "noreuse", "refused");
    our_client_explicit_and_implicit => our_client;
    a_wrong_certificate_is_one_clear_line => wrong_certificate;
}

const MIB: usize = 1024 * 1024;

/// A self-signed certificate for 127.0.0.1 and localhost, written to `dir`.
struct Certs {
    cert: PathBuf,
    key: PathBuf,
}

impl Certs {
    fn new(dir: &Path) -> Certs {
        // Marked CA:TRUE, as `openssl req -x509` makes one: what users give `--cacert`.
        let (cert, key) = sansftp_tls::testing::self_signed_ca(&["127.0.0.1", "localhost"]);
        let certs = Certs {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&certs.cert, cert).unwrap();
        std::fs::write(&certs.key, key).unwrap();
        certs
    }

    fn serve(&self, root: &Path, extra: &[&str], adapter: Adapter) -> Server {
        let mut args = vec![
            "--user",
            "u:p",
            "--write",
            "--tls-cert",
            arg(&self.cert),
            "--tls-key",
            arg(&self.key),
        ];
        args.extend_from_slice(extra);
        Server::start(root, &args, adapter)
    }
}

fn curl(args: &[&str]) -> Output {
    run(
        Command::new("curl")
            .args(["-sS", "--max-time", "30"])
            .args(args),
        TOOL_TIMEOUT,
    )
}

fn curl_explicit(adapter: Adapter) {
    if !have_tool("curl") {
        return;
    }
    let (root, local) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (root, local) = (root.path(), local.path());
    let certs = Certs::new(local);
    let server = certs.serve(root, &["--tls-required"], adapter);
    let url = |path: &str| server.url("u:p@", path);
    let tls = ["--ssl-reqd", "--cacert", arg(&certs.cert)];

    let up = random_bytes(3 * MIB, 11);
    let src = local.join("up.bin");
    std::fs::write(&src, &up).unwrap();
    curl(&[&tls[..], &["-T", arg(&src), &url("up.bin")]].concat()).ok();
    assert_file(&root.join("up.bin"), &up);

    let back = local.join("back.bin");
    curl(&[&tls[..], &["-o", arg(&back), &url("up.bin")]].concat()).ok();
    assert_file(&back, &up);

    let names = curl(&[&tls[..], &["-l", &url("")]].concat()).ok().stdout;
    assert_eq!(
        names.lines().collect::<Vec<_>>(),
        ["up.bin"],
        "NLST over TLS"
    );

    // Plaintext is refused: no login, nothing written.
    let plain = local.join("plain.bin");
    std::fs::write(&plain, b"plain").unwrap();
    let out = curl(&["-T", arg(&plain), &url("plain.bin")]).failed();
    assert!(out.stderr.contains("530"), "{}", out.describe("plaintext"));
    assert_absent(&root.join("plain.bin"));
    // TLS on control only (PROT C) is refused for data.
    let out = curl(&[
        "--ftp-ssl-control",
        "--cacert",
        arg(&certs.cert),
        &url("up.bin"),
    ]);
    assert_ne!(out.code(), Some(0), "{}", out.describe("a PROT C transfer"));
}

fn curl_implicit(adapter: Adapter) {
    if !have_tool("curl") {
        return;
    }
    let (root, local) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (root, local) = (root.path(), local.path());
    let certs = Certs::new(local);
    let server = certs.serve(root, &["--implicit-tls", "--tls-required"], adapter);
    let url = |path: &str| format!("ftps://u:p@127.0.0.1:{}/{path}", server.port);
    let ca = ["--cacert", arg(&certs.cert)];
    let up = random_bytes(MIB + 7, 12);
    let src = local.join("up.bin");
    std::fs::write(&src, &up).unwrap();
    curl(&[&ca[..], &["-T", arg(&src), &url("up.bin")]].concat()).ok();
    assert_file(&root.join("up.bin"), &up);
    let back = local.join("back.bin");
    curl(&[&ca[..], &["-o", arg(&back), &url("up.bin")]].concat()).ok();
    assert_file(&back, &up);
    // A plaintext client on the implicit port gets no FTP greeting.
    let out = curl(&["--max-time", "5", &server.url("u:p@", "")]);
    assert_ne!(
        out.code(),
        Some(0),
        "{}",
        out.describe("plaintext on implicit")
    );
}

fn lftp_tls(adapter: Adapter) {
    if !have_tool("lftp") {
        return;
    }
    let (root, local, home) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (root, local, home) = (root.path(), local.path(), home.path());
    let certs = Certs::new(local);
    let server = certs.serve(root, &["--tls-required"], adapter);
    let data = random_bytes(2 * MIB, 13);
    let src = local.join("src.bin");
    std::fs::write(&src, &data).unwrap();
    let back = local.join("back.bin");
    let script = format!(
        "set cmd:fail-exit yes; set net:max-retries 1; set net:timeout 10; \
         set ftp:ssl-force true; set ftp:ssl-protect-data true; \
         set ssl:ca-file {}; set ssl:check-hostname yes; \
         open -u u,p -p {} 127.0.0.1; put {} -o up.bin; get up.bin -o {}; cls -1",
        arg(&certs.cert),
        server.port,
        arg(&src),
        arg(&back)
    );
    let out = run(
        Command::new("lftp")
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env_remove("LFTP_HOME")
            .args(["-c", &script]),
        TOOL_TIMEOUT,
    )
    .ok();
    assert_file(&root.join("up.bin"), &data);
    assert_file(&back, &data);
    assert!(
        out.stdout.lines().any(|l| l == "up.bin"),
        "{}",
        out.describe("cls")
    );
}

fn ftplib(adapter: Adapter, mode: &str, expected: &str) {
    if !have_tool("python3") {
        return;
    }
    let (root, local) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let certs = Certs::new(local.path());
    let server = certs.serve(root.path(), &["--tls-required"], adapter);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ftplib_tls.py");
    let out = run(
        Command::new("python3")
            .arg(&script)
            .args(["127.0.0.1", &server.port.to_string(), "u", "p"])
            .arg(root.path())
            .arg(&certs.cert)
            .arg(mode),
        TOOL_TIMEOUT,
    )
    .ok();
    assert_eq!(
        out.stdout.trim_end().lines().last(),
        Some(expected),
        "{}",
        out.describe("ended")
    );
}

/// `sansftp ARGS...`, the client commands.
fn client(args: &[&str]) -> Output {
    run(Command::new(sansftp()).args(args), TOOL_TIMEOUT)
}

fn our_client(adapter: Adapter) {
    let (root, local) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (root, local) = (root.path(), local.path());
    let certs = Certs::new(local);
    let data = random_bytes(3 * MIB + 1, 14);
    let src = local.join("src.bin");
    std::fs::write(&src, &data).unwrap();
    for implicit in [false, true] {
        let extra: &[&str] = if implicit {
            &["--tls-required", "--implicit-tls"]
        } else {
            &["--tls-required"]
        };
        let server = certs.serve(root, extra, adapter);
        let (scheme, flag): (&str, &[&str]) = if implicit {
            ("ftps", &[])
        } else {
            ("ftp", &["--tls"])
        };
        let url = |path: &str| format!("{scheme}://u:p@127.0.0.1:{}/{path}", server.port);
        let ca = ["--cacert", arg(&certs.cert)];
        let name = format!("up-{implicit}.bin");
        client(&[&["put"], flag, &ca[..], &[arg(&src), &url(&name)]].concat()).ok();
        assert_file(&root.join(&name), &data);
        let back = local.join(format!("back-{implicit}.bin"));
        client(&[&["get"], flag, &ca[..], &[&url(&name), arg(&back)]].concat()).ok();
        assert_file(&back, &data);
        let out = client(&[&["ls"], flag, &ca[..], &[&url("")]].concat()).ok();
        assert!(out.stdout.contains(&name), "{}", out.describe("ls"));
    }
}

fn wrong_certificate(adapter: Adapter) {
    let (root, local) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let certs = Certs::new(local.path());
    let server = certs.serve(root.path(), &["--tls-required"], adapter);
    // Another certificate: the server's is not trusted.
    let other = tempfile::tempdir().unwrap();
    let other = Certs::new(other.path());
    let out = client(&[
        "ls",
        "--tls",
        "--cacert",
        arg(&other.cert),
        &server.url("u:p@", ""),
    ])
    .failed();
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.describe("with a wrong CA"));
    assert!(
        lines[0].contains("certificate is not trusted") && lines[0].contains("--cacert"),
        "{}",
        out.describe("with a wrong CA")
    );
    // Without --tls, the server that requires TLS says so.
    let out = client(&["ls", &server.url("u:p@", "")]).failed();
    assert!(out.stderr.contains("530"), "{}", out.describe("plaintext"));
}

/// Our client commands against vsftpd with `ssl_enable`, `force_local_logins_ssl`,
/// `force_local_data_ssl` and `require_ssl_reuse` (started by `.ci/run`):
/// `SANSFTP_VSFTPD_TLS=HOST:PORT,USER,PASSWORD,CAFILE,ROOT`.
#[test]
fn our_client_against_vsftpd_requiring_session_reuse() {
    let setting = std::env::var("SANSFTP_VSFTPD_TLS").ok();
    if !sansftp_conformance::peer::require(
        "vsftpd with TLS",
        setting.is_some(),
        "set SANSFTP_VSFTPD_TLS=HOST:PORT,USER,PASSWORD,CAFILE,ROOT (scripts/vsftpd-tls.sh start prints it)",
    ) {
        return;
    }
    let setting = setting.unwrap_or_default();
    let parts: Vec<&str> = setting.split(',').collect();
    let [hostport, user, password, ca, root] = parts[..] else {
        panic!("SANSFTP_VSFTPD_TLS={setting:?}: expected HOST:PORT,USER,PASSWORD,CAFILE,ROOT");
    };
    let local = tempfile::tempdir().unwrap();
    let data = random_bytes(2 * MIB + 3, 15);
    let src = local.path().join("src.bin");
    std::fs::write(&src, &data).unwrap();
    let url = |path: &str| format!("ftp://{user}:{password}@{hostport}/{path}");
    let tls = ["--tls", "--cacert", ca];
    // Several uploads in a row: each data connection must resume the control session.
    for i in 0..3 {
        let name = format!("tls-{i}.bin");
        client(&[&["put"], &tls[..], &[arg(&src), &url(&name)]].concat()).ok();
        assert_file(&Path::new(root).join(&name), &data);
    }
    // A tree of eight files in one session: eight data connections in a row resume
    // the one control session (TLS 1.2, see sansftp_tls::ClientTlsBuilder::tls13).
    let tree = local.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    for i in 0..8 {
        std::fs::write(tree.join(format!("f{i}")), &data[..1000 + i]).unwrap();
    }
    client(&[&["put", "-r"], &tls[..], &[arg(&tree), &url("tree/")]].concat()).ok();
    for i in 0..8 {
        assert_file(
            &Path::new(root).join(format!("tree/tree/f{i}")),
            &data[..1000 + i],
        );
    }
    let back = local.path().join("back.bin");
    client(&[&["get"], &tls[..], &[&url("tls-2.bin"), arg(&back)]].concat()).ok();
    assert_file(&back, &data);
    let out = client(&[&["ls"], &tls[..], &[&url("")]].concat()).ok();
    assert!(out.stdout.contains("tls-0.bin"), "{}", out.describe("ls"));
    // Plaintext is refused by this vsftpd.
    let out = client(&["ls", &url("")]).failed();
    assert!(out.stderr.contains("530"), "{}", out.describe("plaintext"));
}
