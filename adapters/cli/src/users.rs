//! `sansftp serve --users FILE`: accounts from a TOML file with hashed passwords, and
//! [`FileUsers`], the user manager that checks them. `sansftp passwd` makes the hashes
//! ([`hash_password`]).
//!
//! ```toml
//! [[user]]
//! name = "alice"
//! password = "$argon2id$v=19$m=19456,t=2,p=1$..."   # `sansftp passwd`
//! home = "alice"          # optional: her `/` is ROOT/alice (default: ROOT)
//! write = true            # optional (default: --write)
//! max_connections = 4     # optional
//! read_limit = 1048576    # optional: her uploads, bytes/s (the server reads)
//! write_limit = 1048576   # optional: her downloads, bytes/s (the server writes)
//!
//! [[user]]
//! name = "bob"
//! password = "$6$salt$..."  # SHA-512 crypt, as `openssl passwd -6` makes
//! ```
//!
//! A bad file fails at start with its line number. Passwords are checked in constant
//! time by the hash crates, and off the session's task in the async adapter (argon2 is
//! slow on purpose): one login does not hold up the others.

use std::collections::HashMap;
use std::io::{self, BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sansftp::path::VirtualPath;
use sansftp::server::{AuthRequest, AuthResult, Config, Permission, User};
use serde::Deserialize;
use sha_crypt::ShaCrypt;
use toml::Spanned;

/// The accounts of a users file, with the server's other users (`--user`,
/// `--anonymous`) behind them. Cheap to clone.
#[derive(Clone)]
pub struct FileUsers {
    inner: Arc<Inner>,
}

struct Inner {
    accounts: HashMap<String, Account>,
    /// Answers the logins that are not in the file.
    others: Config,
}

struct Account {
    user: Arc<User>,
    hash: Hash,
}

/// A stored password hash, parsed once at start.
enum Hash {
    /// A PHC string of argon2 (`$argon2id$...`; argon2i, argon2d too).
    Argon2(String),
    /// A SHA-crypt string (`$6$...`, `$5$...`).
    ShaCrypt(String),
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileText {
    #[serde(default)]
    user: Vec<Spanned<Entry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: Spanned<String>,
    password: Spanned<String>,
    home: Option<Spanned<String>>,
    write: Option<bool>,
    max_connections: Option<usize>,
    read_limit: Option<u64>,
    write_limit: Option<u64>,
}

impl FileUsers {
    /// Reads the users file `path` for a server of `root` (homes are folders inside it;
    /// checked to exist unless `check_homes` is false, for an in-memory tree), whose
    /// users may write by default when `write`. `others` answers every other login.
    pub fn load(
        path: &Path,
        root: &Path,
        write: bool,
        check_homes: bool,
        others: Config,
    ) -> Result<FileUsers, sansftp::Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| sansftp::PathIoError::with_path(path.to_owned(), e))?;
        FileUsers::parse(&text, root, write, check_homes, others).map_err(|e| {
            let what = format!("{}: {e}", path.display());
            sansftp::Error::Io(io::Error::new(io::ErrorKind::InvalidData, what))
        })
    }

    /// [`FileUsers::load`] of the file's text; the error names the line.
    fn parse(
        text: &str,
        root: &Path,
        write: bool,
        check_homes: bool,
        others: Config,
    ) -> Result<FileUsers, String> {
        let file: FileText = toml::from_str(text).map_err(|e| one_line(&e.to_string()))?;
        let line = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
        let mut accounts = HashMap::new();
        for entry in file.user {
            let at = line(entry.span().start);
            let entry = entry.into_inner();
            let name = entry.name.get_ref().clone();
            let name_line = line(entry.name.span().start);
            if name.is_empty() || name.bytes().any(|b| b.is_ascii_control() || b == b' ') {
                return Err(format!("line {name_line}: a name without spaces is needed"));
            }
            if accounts.contains_key(&name)
                || others.users.iter().any(|u| u.login.as_ref() == Some(&name))
            {
                return Err(format!("line {name_line}: user {name:?} is defined twice"));
            }
            let hash = Hash::parse(entry.password.get_ref())
                .map_err(|e| format!("line {}: {e}", line(entry.password.span().start)))?;
            let base = match &entry.home {
                None => root.to_owned(),
                Some(home) => home_under(root, home.get_ref(), check_homes)
                    .map_err(|e| format!("line {}: {e}", line(home.span().start)))?,
            };
            let everyone = Permission::new("/").map_err(|e| format!("line {at}: {e}"))?;
            let mut user = User::without_password(name.clone())
                .base_path(base)
                .permission(everyone.rights(true, entry.write.unwrap_or(write)))
                .max_connections(entry.max_connections);
            user.read_speed_limit = entry.read_limit;
            user.write_speed_limit = entry.write_limit;
            let user = Arc::new(user);
            accounts.insert(name, Account { user, hash });
        }
        Ok(FileUsers {
            inner: Arc::new(Inner { accounts, others }),
        })
    }

    /// The users of the file, for the server's [`Config`] (their passwords are this
    /// manager's business: they must not be served by `Config::answer`).
    pub fn users(&self) -> Vec<Arc<User>> {
        let mut users: Vec<_> = self
            .inner
            .accounts
            .values()
            .map(|a| Arc::clone(&a.user))
            .collect();
        users.sort_by(|a, b| a.login.cmp(&b.login));
        users
    }

    /// Answers one request: a user of the file needs a password, which is checked
    /// against its hash (slow, by design: run it off the session's task); other
    /// logins go to the other users.
    pub fn answer(&self, request: &AuthRequest) -> AuthResult {
        let login = match request {
            AuthRequest::User { login } | AuthRequest::Password { login, .. } => login,
            _ => return self.inner.others.answer(request),
        };
        let account = std::str::from_utf8(login)
            .ok()
            .and_then(|l| self.inner.accounts.get(l));
        match (account, request) {
            (None, _) => self.inner.others.answer(request),
            (Some(_), AuthRequest::User { .. }) => AuthResult::NeedPassword,
            (Some(account), AuthRequest::Password { password, .. }) => {
                if account.hash.verify(password) {
                    AuthResult::LoggedIn(Arc::clone(&account.user))
                } else {
                    AuthResult::Denied("Login incorrect".to_owned())
                }
            }
            (Some(_), _) => AuthResult::Denied("Login incorrect".to_owned()),
        }
    }
}

/// The blocking adapter asks on the session's own thread: blocking there holds up no
/// other session.
impl sansftp_blocking::UserManager for FileUsers {
    fn authenticate(&self, request: &AuthRequest) -> AuthResult {
        self.answer(request)
    }
}

/// The async adapters (sansftp-async, sansftp-tokio share the core's trait): the check
/// runs on the `blocking` thread pool, so the runtime's threads go on with other
/// sessions meanwhile.
impl sansftp::server::UserManager for FileUsers {
    fn authenticate<'a>(
        &'a self,
        request: &'a AuthRequest,
    ) -> sansftp::server::BoxFuture<'a, AuthResult> {
        let users = self.clone();
        let request = request.clone();
        Box::pin(blocking::unblock(move || users.answer(&request)))
    }
}

impl Hash {
    fn parse(text: &str) -> Result<Hash, String> {
        if text.starts_with("$argon2") {
            let parsed = PasswordHash::new(text)
                .map_err(|e| format!("not a valid argon2 PHC string: {e}"))?;
            // Checked without hashing (a file of many users starts at once): the
            // variant, the parameters, a salt and a hash.
            let unusable =
                |e: &dyn std::fmt::Display| format!("an argon2 hash this server cannot check: {e}");
            argon2::Algorithm::new(parsed.algorithm.as_str()).map_err(|e| unusable(&e))?;
            argon2::Params::try_from(&parsed).map_err(|e| unusable(&e))?;
            if parsed.salt.is_none() || parsed.hash.is_none() {
                return Err("an argon2 PHC string needs a salt and a hash".to_owned());
            }
            return Ok(Hash::Argon2(text.to_owned()));
        }
        if text.starts_with("$6$") || text.starts_with("$5$") {
            sha_crypt::PasswordHashRef::new(text)
                .map_err(|e| format!("not a valid SHA-crypt string: {e}"))?;
            return Ok(Hash::ShaCrypt(text.to_owned()));
        }
        Err(
            "password must be an argon2 PHC string (`sansftp passwd`) or a $6$ SHA-512 \
             crypt hash (`openssl passwd -6`), never plain text"
                .to_owned(),
        )
    }

    /// Whether `password` matches, compared in constant time by the hash crate.
    fn verify(&self, password: &[u8]) -> bool {
        match self {
            Hash::Argon2(phc) => PasswordHash::new(phc)
                .is_ok_and(|h| Argon2::default().verify_password(password, &h).is_ok()),
            Hash::ShaCrypt(mcf) => {
                let sha = ShaCrypt::default();
                sha.verify_password(password, mcf.as_str()).is_ok()
            }
        }
    }
}

/// The local folder of `home` (a path inside `root`, `/` allowed in front, no `..` out
/// of it), which must be a folder when `check`.
fn home_under(root: &Path, home: &str, check: bool) -> Result<PathBuf, String> {
    let virtual_home =
        VirtualPath::parse(home.as_bytes()).map_err(|e| format!("home {home:?}: {e}"))?;
    if home.split('/').any(|c| c == "..") {
        return Err(format!("home {home:?} must stay inside the served folder"));
    }
    let dir = virtual_home.under(root);
    if check && !dir.is_dir() {
        return Err(format!("home {home:?}: {} is not a folder", dir.display()));
    }
    Ok(dir)
}

fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `sansftp passwd`: reads a password (without echo on a terminal, else one line of
/// standard input) and returns its argon2id PHC string, default parameters, random salt.
pub fn passwd() -> Result<String, sansftp::Error> {
    let password = if io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            return Err(sansftp::Error::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the passwords differ",
            )));
        }
        first
    } else {
        let mut line = String::new();
        io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        return Err(sansftp::Error::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            "empty password",
        )));
    }
    hash_password(password.as_bytes())
}

/// The argon2id PHC string of `password` (default parameters, a random salt).
pub fn hash_password(password: &[u8]) -> Result<String, sansftp::Error> {
    Argon2::default()
        .hash_password(password)
        .map(|h| h.to_string())
        .map_err(|e| sansftp::Error::Io(io::Error::other(e.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl passwd -6 -salt saltsalt secret`.
    const SHA512_SECRET: &str = "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1";

    fn parse(text: &str) -> Result<FileUsers, String> {
        FileUsers::parse(text, Path::new("/srv"), false, false, Config::new())
    }

    fn login(users: &FileUsers, name: &str, password: &str) -> AuthResult {
        let login = name.as_bytes().to_vec();
        assert!(matches!(
            users.answer(&AuthRequest::User {
                login: login.clone()
            }),
            AuthResult::NeedPassword
        ));
        users.answer(&AuthRequest::Password {
            login,
            password: password.as_bytes().to_vec(),
        })
    }

    #[test]
    fn argon2_and_sha512_users_log_in_and_wrong_passwords_do_not() {
        let argon = hash_password(b"hunter2").unwrap();
        assert!(argon.starts_with("$argon2id$"), "{argon}");
        let text = format!(
            "[[user]]\nname = \"alice\"\npassword = \"{argon}\"\nhome = \"/alice\"\nwrite = true\n\
             max_connections = 2\nread_limit = 100\nwrite_limit = 200\n\n\
             [[user]]\nname = \"bob\"\npassword = \"{SHA512_SECRET}\"\n"
        );
        let users = parse(&text).unwrap();
        let AuthResult::LoggedIn(alice) = login(&users, "alice", "hunter2") else {
            panic!("alice refused");
        };
        assert_eq!(alice.base_path, Path::new("/srv/alice"));
        assert!(alice.permission_for(&VirtualPath::root()).writable);
        assert_eq!(alice.max_connections, Some(2));
        assert_eq!(
            (alice.read_speed_limit, alice.write_speed_limit),
            (Some(100), Some(200))
        );
        let AuthResult::LoggedIn(bob) = login(&users, "bob", "secret") else {
            panic!("bob refused");
        };
        assert_eq!(bob.base_path, Path::new("/srv"));
        assert!(!bob.permission_for(&VirtualPath::root()).writable);
        assert!(matches!(
            login(&users, "alice", "hunter3"),
            AuthResult::Denied(_)
        ));
        assert!(matches!(
            login(&users, "bob", "Secret"),
            AuthResult::Denied(_)
        ));
        assert!(matches!(login(&users, "bob", ""), AuthResult::Denied(_)));
        // Unknown names go to the other users: none here.
        let nobody = AuthRequest::User {
            login: b"carol".to_vec(),
        };
        assert!(matches!(users.answer(&nobody), AuthResult::Denied(_)));
        assert_eq!(users.users().len(), 2);
    }

    #[test]
    fn other_users_answer_the_rest() {
        let others = Config::new()
            .user(User::new("u", "p"))
            .user(User::anonymous());
        let text = format!("[[user]]\nname = \"bob\"\npassword = \"{SHA512_SECRET}\"\n");
        let users = FileUsers::parse(&text, Path::new("/srv"), false, false, others).unwrap();
        let u = AuthRequest::Password {
            login: b"u".to_vec(),
            password: b"p".to_vec(),
        };
        assert!(matches!(users.answer(&u), AuthResult::LoggedIn(_)));
        assert!(matches!(
            login(&users, "anonymous", "x@"),
            AuthResult::LoggedIn(_)
        ));
        let taken = Config::new().user(User::new("bob", "p"));
        let err = FileUsers::parse(&text, Path::new("/"), false, false, taken)
            .err()
            .unwrap();
        assert_eq!(err, "line 2: user \"bob\" is defined twice");
    }

    #[test]
    fn a_bad_file_names_its_line() {
        let cases = [
            (
                "[[user]]\nname = \"a\"\npassword = \"plain\"\n",
                "line 3: password must be",
            ),
            (
                "[[user]]\nname = \"a\"\n\npassword = \"$6$\"\n",
                "line 4: not a valid SHA-crypt string",
            ),
            (
                "[[user]]\nname = \"a\"\npassword = \"$argon2id$v=19$bogus\"\n",
                "line 3: not a valid argon2 PHC string",
            ),
            (
                "[[user]]\nname = \"a\"\npassword = \"$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\"\n",
                "line 3: an argon2 hash this server cannot check",
            ),
            (
                "[[user]]\nname = \"a\"\npassword = \"$argon2x$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\"\n",
                "line 3: ",
            ),
            (
                &format!(
                    "[[user]]\nname = \"a\"\npassword = \"{SHA512_SECRET}\"\nhome = \"../up\"\n"
                ),
                "line 4: home \"../up\" must stay inside",
            ),
            (
                &format!(
                    "[[user]]\nname = \"a\"\npassword = \"{SHA512_SECRET}\"\n[[user]]\nname = \"a\"\npassword = \"{SHA512_SECRET}\"\n"
                ),
                "line 5: user \"a\" is defined twice",
            ),
            (
                "[[user]]\nname = \"a b\"\npassword = \"x\"\n",
                "line 2: a name without spaces",
            ),
            ("[[user]]\nname = \"a\"\n", "missing field `password`"),
            ("[[user]]\nname = \"a\"\npasword = \"x\"\n", "line 3"),
            ("[[user]\n", "line 1"),
        ];
        for (text, expected) in cases {
            let err = parse(text)
                .err()
                .unwrap_or_else(|| panic!("accepted: {text}"));
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
        // A home that is not a folder, when homes are checked.
        let dir = tempfile::tempdir().unwrap();
        let text =
            format!("[[user]]\nname = \"a\"\npassword = \"{SHA512_SECRET}\"\nhome = \"nope\"\n");
        let err = FileUsers::parse(&text, dir.path(), false, true, Config::new())
            .err()
            .unwrap();
        assert!(err.starts_with("line 4: home \"nope\": "), "{err}");
        std::fs::create_dir(dir.path().join("nope")).unwrap();
        assert!(FileUsers::parse(&text, dir.path(), false, true, Config::new()).is_ok());
    }
}
