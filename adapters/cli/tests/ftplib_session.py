"""A user's session with Python's ftplib against `sansftp serve ROOT --user USER:PASS --write`.

Usage: python3 ftplib_session.py HOST PORT USER PASS ROOTDIR passive|active

Checks every step both through the protocol and on disk under ROOTDIR (the directory the
server serves). Prints "ok" and exits 0 on success; on any mismatch it exits non-zero with
a message naming the step.
"""

import ftplib
import io
import os
import random
import sys
import traceback


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def retrieve(ftp, command, rest=None):
    chunks = []
    ftp.retrbinary(command, chunks.append, rest=rest)
    return b"".join(chunks)


def expect_perm_error(step, call, *args):
    try:
        call(*args)
    except ftplib.error_perm as e:
        return str(e)
    fail(f"{step}: expected a 5xx error")


def main():
    if len(sys.argv) != 7 or sys.argv[6] not in ("passive", "active"):
        fail(__doc__)
    host, port, user, password, root, mode = sys.argv[1:]
    data = random.Random(5).randbytes(3 * 1024 * 1024 + 3)

    ftp = ftplib.FTP(timeout=20)
    welcome = ftp.connect(host, int(port))
    check(welcome.startswith("220"), f"greeting: {welcome!r}")
    check(ftp.login(user, password).startswith("230"), "login")
    ftp.set_pasv(mode == "passive")

    # Where am I.
    check(ftp.pwd() == "/", f"pwd at login: {ftp.pwd()!r}")

    # mkd / cwd / pwd.
    made = ftp.mkd("sub")
    check(made == "/sub", f"mkd returned {made!r}")
    check(os.path.isdir(os.path.join(root, "sub")), "mkd: no directory on disk")
    ftp.cwd("sub")
    check(ftp.pwd() == "/sub", f"pwd after cwd: {ftp.pwd()!r}")
    expect_perm_error("cwd into a missing directory", ftp.cwd, "nowhere")
    check(ftp.pwd() == "/sub", "a failed cwd moved")

    # storbinary, then check on disk and with size.
    ftp.storbinary("STOR data.bin", io.BytesIO(data))
    on_disk = os.path.join(root, "sub", "data.bin")
    check(os.path.isfile(on_disk), "storbinary: no file on disk")
    check(read(on_disk) == data, "storbinary: file on disk differs")
    ftp.voidcmd("TYPE I")
    check(ftp.size("data.bin") == len(data), f"size: {ftp.size('data.bin')}")

    # Listings: nlst, mlsd, dir.
    names = ftp.nlst()
    check(names == ["data.bin"], f"nlst: {names!r}")
    facts = dict(ftp.mlsd())
    check("data.bin" in facts, f"mlsd: {facts!r}")
    check(facts["data.bin"].get("type") == "file", f"mlsd type: {facts['data.bin']!r}")
    check(facts["data.bin"].get("size") == str(len(data)), f"mlsd size: {facts['data.bin']!r}")
    lines = []
    ftp.dir(lines.append)
    check(len(lines) == 1 and lines[0].endswith(" data.bin"), f"dir: {lines!r}")
    check(str(len(data)) in lines[0].split(), f"dir shows no size: {lines[0]!r}")
    ftp.cwd("/")
    root_facts = dict(ftp.mlsd())
    check(root_facts.get("sub", {}).get("type") == "dir", f"mlsd of /: {root_facts!r}")
    ftp.cwd("/sub")

    # retrbinary, byte-exact, and resumed with rest=.
    check(retrieve(ftp, "RETR data.bin") == data, "retrbinary differs")
    offset = 1024 * 1024 + 99
    check(retrieve(ftp, "RETR data.bin", rest=offset) == data[offset:], "retrbinary rest= differs")
    check(retrieve(ftp, "RETR data.bin", rest=len(data)) == b"", "retrbinary rest=size not empty")

    # Resumed upload: REST + STOR writes from the offset, keeping what is before it. The
    # prefix on disk is marked so a rewrite from zero would show.
    offset = 2 * 1024 * 1024 + 1
    prefix = bytearray(data[:offset])
    prefix[0] ^= 0xFF
    part = os.path.join(root, "sub", "part.bin")
    write(part, bytes(prefix))
    ftp.storbinary("STOR part.bin", io.BytesIO(data[offset:]), rest=offset)
    check(read(part) == bytes(prefix) + data[offset:], "storbinary rest= file differs")
    # ... and APPE appends.
    ftp.storbinary("APPE part.bin", io.BytesIO(b"tail"))
    check(read(part) == bytes(prefix) + data[offset:] + b"tail", "APPE file differs")

    # ASCII mode: storlines sends CRLF, the file on disk gets the local (LF) convention;
    # retrlines gets the lines back.
    ftp.storlines("STOR text.txt", io.BytesIO(b"one\ntwo\n"))
    check(read(os.path.join(root, "sub", "text.txt")) == b"one\ntwo\n", "storlines on disk")
    lines = []
    ftp.retrlines("RETR text.txt", lines.append)
    check(lines == ["one", "two"], f"retrlines: {lines!r}")
    ftp.delete("text.txt")

    # Names with a space and non-ASCII letters.
    name = "caf\u00e9 menu.txt"
    ftp.storbinary(f"STOR {name}", io.BytesIO(b"x"))
    check(read(os.path.join(root, "sub", name)) == b"x", "a name with a space and an accent")
    check(name in ftp.nlst(), f"nlst with {name!r}: {ftp.nlst()!r}")
    ftp.delete(name)

    # Overwriting with a shorter file truncates.
    ftp.storbinary("STOR short.bin", io.BytesIO(data[:1000]))
    ftp.storbinary("STOR short.bin", io.BytesIO(b"short"))
    check(read(os.path.join(root, "sub", "short.bin")) == b"short", "overwrite did not truncate")
    ftp.delete("short.bin")

    # rename and delete.
    ftp.rename("data.bin", "moved.bin")
    check(not os.path.exists(on_disk), "rename: old name still on disk")
    check(read(os.path.join(root, "sub", "moved.bin")) == data, "rename: new file differs")
    ftp.delete("moved.bin")
    check(not os.path.exists(os.path.join(root, "sub", "moved.bin")), "delete: still on disk")
    message = expect_perm_error("delete of a missing file", ftp.delete, "moved.bin")
    check(message.startswith("550"), f"delete of a missing file: {message!r}")
    expect_perm_error("size of a missing file", ftp.size, "moved.bin")

    # rmd: refused while not empty, then done.
    ftp.cwd("..")
    check(ftp.pwd() == "/", f"pwd after cwd ..: {ftp.pwd()!r}")
    expect_perm_error("rmd of a non-empty directory", ftp.rmd, "sub")
    check(os.path.isdir(os.path.join(root, "sub")), "rmd removed a non-empty directory")
    ftp.delete("sub/part.bin")
    ftp.rmd("sub")
    check(not os.path.exists(os.path.join(root, "sub")), "rmd: still on disk")
    check(ftp.nlst() == [], f"nlst of an empty root: {ftp.nlst()!r}")

    check(ftp.quit().startswith("221"), "quit")
    print("ok")


if __name__ == "__main__":
    try:
        main()
    except ftplib.all_errors as e:
        traceback.print_exc()
        fail(f"{type(e).__name__}: {e}")
