"""Drives the server under test with Python's ftplib, as a user would.

Usage: python3 ftplib_client.py HOST PORT. Exits non-zero (with a traceback) on the
first thing that does not work; prints "ok" at the end.
"""
import ftplib
import io
import sys

host, port = sys.argv[1], int(sys.argv[2])
data = bytes((i * 7 + i // 251) % 256 for i in range(300_000))


def session(passive):
    ftp = ftplib.FTP()
    ftp.connect(host, port, timeout=20)
    ftp.login("alice", "secret")
    ftp.set_pasv(passive)
    d = "dir_pasv" if passive else "dir_port"
    ftp.mkd(d)
    ftp.cwd(d)
    assert ftp.pwd() == "/" + d, ftp.pwd()

    ftp.storbinary("STOR f.bin", io.BytesIO(data))
    out = io.BytesIO()
    ftp.retrbinary("RETR f.bin", out.write)
    assert out.getvalue() == data, "retrbinary differs"

    assert [n.rsplit("/", 1)[-1] for n in ftp.nlst()] == ["f.bin"], ftp.nlst()
    facts = dict(ftp.mlsd())
    assert facts["f.bin"]["type"] == "file", facts
    assert int(facts["f.bin"]["size"]) == len(data), facts

    # Resumed download and upload.
    out = io.BytesIO()
    ftp.retrbinary("RETR f.bin", out.write, rest=1000)
    assert out.getvalue() == data[1000:], "REST + RETR differs"
    # A raw REST; NOOP clears it (TYPE and PASV would keep it for the next STOR).
    assert ftp.sendcmd("REST 5").startswith("350")
    ftp.voidcmd("NOOP")
    ftp.storbinary("STOR g.bin", io.BytesIO(data[:100]))
    ftp.storbinary("STOR g.bin", io.BytesIO(data[100:]), rest=100)
    assert ftp.size("g.bin") == len(data), ftp.size("g.bin")

    ftp.rename("g.bin", "h.bin")
    assert sorted(ftp.nlst()) == ["f.bin", "h.bin"], ftp.nlst()
    ftp.delete("h.bin")
    ftp.delete("f.bin")
    try:
        ftp.delete("f.bin")
        raise AssertionError("deleting a missing file worked")
    except ftplib.error_perm as e:
        assert str(e).startswith("550"), e
    ftp.cwd("..")
    ftp.rmd(d)
    ftp.quit()


session(True)
session(False)
print("ok")
