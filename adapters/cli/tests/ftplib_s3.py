"""A user's session with Python's ftplib against `sansftp serve --s3 s3://BUCKET/PREFIX
--user USER:PASS --write` on an empty prefix.

Usage: python3 ftplib_s3.py HOST PORT USER PASS

Checks every answer through the protocol (the Rust test checks what S3 holds after).
Prints "ok" and exits 0 on success; on any mismatch it exits non-zero naming the step.
"""

import ftplib
import io
import random
import sys


def check(condition, message):
    if not condition:
        print(f"FAIL: {message}", file=sys.stderr)
        sys.exit(1)


def refused(code, call, *args):
    try:
        call(*args)
    except ftplib.error_perm as e:
        check(str(e).startswith(code), f"{call.__name__}{args}: {e}, expected {code}")
        return
    check(False, f"{call.__name__}{args} succeeded, expected {code}")


def main():
    host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    data = random.Random(5).randbytes(3 * 1024 * 1024 + 7)
    ftp = ftplib.FTP()
    ftp.connect(host, port, timeout=30)
    ftp.login(user, password)
    # Bytes in names as they are (the latin-1 name below is not UTF-8).
    ftp.encoding = "latin-1"

    check(ftp.nlst() == [], "an empty prefix lists nothing")
    ftp.mkd("docs")
    ftp.cwd("docs")
    check(ftp.pwd() == "/docs", "CWD into a made directory")
    ftp.storbinary("STOR a.txt", io.BytesIO(data))
    check(ftp.size("a.txt") == len(data), "SIZE")
    check(ftp.sendcmd("MDTM a.txt").startswith("213 "), "MDTM")
    check(ftp.nlst() == ["a.txt"], f"NLST: {ftp.nlst()}")
    facts = dict(ftp.mlsd())
    check(facts["a.txt"]["type"] == "file", f"MLSD: {facts}")
    check(int(facts["a.txt"]["size"]) == len(data), f"MLSD size: {facts}")
    lines = []
    ftp.retrlines("LIST", lines.append)
    check(len(lines) == 1 and lines[0].endswith(" a.txt"), f"LIST: {lines}")

    got = bytearray()
    ftp.retrbinary("RETR a.txt", got.extend)
    check(bytes(got) == data, "RETR")
    got = bytearray()
    ftp.retrbinary("RETR a.txt", got.extend, rest=1000)
    check(bytes(got) == data[1000:], "REST + RETR")

    # REST + STOR: the head of the old object is kept.
    ftp.voidcmd("TYPE I")
    conn = ftp.transfercmd("STOR a.txt", rest=10)
    conn.sendall(b"TAIL")
    conn.close()
    ftp.voidresp()
    got = bytearray()
    ftp.retrbinary("RETR a.txt", got.extend)
    check(bytes(got) == data[:10] + b"TAIL", "REST + STOR")

    ftp.rename("a.txt", "b.txt")
    check(ftp.nlst() == ["b.txt"], "RNFR/RNTO of a file")
    refused("502", ftp.storbinary, "APPE b.txt", io.BytesIO(b"more"))
    ftp.mkd("sub")
    refused("502", ftp.rename, "sub", "sub2")
    ftp.rmd("sub")

    name = "caf\xe9 100%.txt"
    ftp.storbinary(f"STOR {name}", io.BytesIO(b"latin-1"))
    check(sorted(ftp.nlst()) == ["b.txt", name], f"non-UTF-8 name: {ftp.nlst()}")
    ftp.storbinary("STOR tmp.txt", io.BytesIO(b"x"))
    ftp.delete("tmp.txt")
    refused("550", ftp.size, "tmp.txt")

    ftp.cwd("/")
    refused("550", ftp.rmd, "docs")
    refused("550", ftp.cwd, "missing")
    ftp.quit()
    print("ok")


main()
