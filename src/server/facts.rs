//! The MLSx facts the server itself decides for each entry (RFC 3659 §7.5): `perm`, the
//! logged-in user's rights on it, and `unique`, the storage's identity for it or, when
//! the storage gives none, one derived from its path.

use crate::listing::{Entry, FactSet, Facts};
use crate::path::VirtualPath;

use super::user::User;

/// Sets `entry`'s `perm` and `unique` facts for `user`, `path` being the entry's own
/// virtual path; other facts of the storage's are kept. Does nothing unless `select`
/// asks for one of the two.
pub(super) fn add_server_facts(
    entry: &mut Entry,
    path: &VirtualPath,
    user: &User,
    select: FactSet,
) {
    if !select.contains(FactSet::PERM) && !select.contains(FactSet::UNIQUE) {
        return;
    }
    let mut facts = Facts::default();
    facts.push_unchecked(b"perm", perm(entry, path, user).as_bytes());
    match entry.facts.get("unique") {
        Some(u) => facts.push_unchecked(b"unique", u),
        None => facts.push_unchecked(b"unique", path_unique(user, path).as_bytes()),
    }
    for (name, value) in entry.facts.iter() {
        if name != "perm" && name != "unique" {
            facts.push_unchecked(name.as_bytes(), value);
        }
    }
    entry.facts = facts;
}

/// The `perm` value (RFC 3659 §7.5.5) from the user's [`Permission`](super::Permission)
/// on `path`: for a file `r` (RETR) when readable, `a`, `d`, `f`, `w` (APPE, DELE,
/// RNFR, STOR) when writable; for a directory `e`, `l` (CWD, LIST) when readable, `c`,
/// `d`, `f`, `m`, `p` (STOR into it, RMD, RNFR, MKD, deleting its entries) when
/// writable. Letters in alphabetical order.
fn perm(entry: &Entry, path: &VirtualPath, user: &User) -> String {
    let rights = user.permission_for(path);
    let letters: &[(char, bool)] = if entry.kind.is_dir() {
        &[
            ('c', rights.writable),
            ('d', rights.writable),
            ('e', rights.readable),
            ('f', rights.writable),
            ('l', rights.readable),
            ('m', rights.writable),
            ('p', rights.writable),
        ]
    } else {
        &[
            ('a', rights.writable),
            ('d', rights.writable),
            ('f', rights.writable),
            ('r', rights.readable),
            ('w', rights.writable),
        ]
    };
    letters
        .iter()
        .filter(|(_, on)| *on)
        .map(|(c, _)| *c)
        .collect()
}

/// A `unique` value for storages that have no identity of their own: a 64-bit FNV-1a
/// hash of the user's base path and the virtual path, in hex after `p` (two names never
/// share it; a renamed entry gets a new one, which RFC 3659 allows).
fn path_unique(user: &User, path: &VirtualPath) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let base = user.base_path.to_string_lossy();
    for &b in base
        .as_bytes()
        .iter()
        .chain([0u8].iter())
        .chain(path.as_bytes())
    {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("p{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::Permission;

    fn vp(s: &str) -> VirtualPath {
        VirtualPath::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn perm_follows_the_users_rights() {
        let user = User::anonymous()
            .permission(Permission::new("/").unwrap().read_only())
            .permission(Permission::new("/up").unwrap())
            .permission(Permission::new("/locked").unwrap().rights(false, false));
        let mut f = Entry::file("a", 1);
        add_server_facts(&mut f, &vp("/a"), &user, FactSet::PERM);
        assert_eq!(f.facts.get("perm"), Some(&b"r"[..]));
        let mut f = Entry::file("a", 1);
        add_server_facts(&mut f, &vp("/up/a"), &user, FactSet::PERM);
        assert_eq!(f.facts.get("perm"), Some(&b"adfrw"[..]));
        let mut d = Entry::dir("up");
        add_server_facts(&mut d, &vp("/up"), &user, FactSet::PERM);
        assert_eq!(d.facts.get("perm"), Some(&b"cdeflmp"[..]));
        let mut d = Entry::dir("pub");
        add_server_facts(&mut d, &vp("/pub"), &user, FactSet::PERM);
        assert_eq!(d.facts.get("perm"), Some(&b"el"[..]));
        let mut d = Entry::dir("locked");
        add_server_facts(&mut d, &vp("/locked"), &user, FactSet::PERM);
        assert_eq!(d.facts.get("perm"), Some(&b""[..]));
    }

    #[test]
    fn unique_comes_from_the_storage_else_from_the_path() {
        let user = User::anonymous();
        let mut stored = Entry::file("a", 1);
        stored.facts.push("unique", b"803g1f").unwrap();
        stored.facts.push("perm", b"adfrw").unwrap();
        stored.facts.push("x.other", b"1").unwrap();
        let read_only = User::anonymous().permission(Permission::new("/").unwrap().read_only());
        add_server_facts(&mut stored, &vp("/a"), &read_only, FactSet::ALL);
        assert_eq!(stored.facts.as_bytes(), b"perm=r;unique=803g1f;x.other=1;");
        let unique = |p: &str| {
            let mut e = Entry::file("x", 1);
            add_server_facts(&mut e, &vp(p), &user, FactSet::UNIQUE);
            e.facts.get("unique").unwrap().to_vec()
        };
        assert_eq!(unique("/a"), unique("/a"));
        assert_ne!(unique("/a"), unique("/b"));
        assert_eq!(unique("/a").len(), 17);
        // Nothing asked for, nothing added.
        let mut e = Entry::file("x", 1);
        add_server_facts(&mut e, &vp("/x"), &user, FactSet::TYPE);
        assert!(e.facts.is_empty());
    }
}
