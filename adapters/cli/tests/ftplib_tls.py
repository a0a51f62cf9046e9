"""FTPS with Python's ftplib.FTP_TLS against `sansftp serve ... --tls-cert C --tls-key K`.

Usage: python3 ftplib_tls.py HOST PORT USER PASS ROOTDIR CAFILE reuse|noreuse

`reuse`: data connections resume the control connection's TLS session (the subclass
below passes `session=`, which stock ftplib does not); login, PROT P, upload, listing,
download, checked on disk under ROOTDIR. Prints "ok".
`noreuse`: stock FTP_TLS, whose data connections do not resume: the server must refuse
the transfer (425) and keep the session (NOOP 200). Prints "refused".
"""

import ftplib
import io
import os
import random
import ssl
import sys


class ReusingFTP_TLS(ftplib.FTP_TLS):
    """FTP_TLS whose data connections resume the control session."""

    def ntransfercmd(self, cmd, rest=None):
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:
            conn = self.context.wrap_socket(
                conn, server_hostname=self.host, session=self.sock.session
            )
        return conn, size


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    host, port, user, password, root, cafile, mode = sys.argv[1:8]
    context = ssl.create_default_context(cafile=cafile)
    cls = ReusingFTP_TLS if mode == "reuse" else ftplib.FTP_TLS
    ftp = cls(context=context, timeout=20)
    ftp.connect(host, int(port))
    ftp.auth()
    ftp.login(user, password)
    ftp.prot_p()
    if mode == "noreuse":
        # The server refuses the data connection once its handshake shows no
        # resumption: ftplib sees the TLS connection end (an SSL error), then the 425.
        try:
            ftp.retrlines("LIST")
        except ftplib.error_temp as e:
            reply = str(e)
        except (ssl.SSLError, OSError):
            try:
                reply = ftp.getresp()
            except ftplib.error_temp as e:
                reply = str(e)
        else:
            fail("a data connection that did not resume was accepted")
        if not reply.startswith("425"):
            fail(f"expected 425, got {reply}")
        if not ftp.voidcmd("NOOP").startswith("200"):
            fail("NOOP after the refusal")
        ftp.quit()
        print("refused")
        return
    data = random.Random(7).randbytes(2 * 1024 * 1024 + 13)
    ftp.storbinary("STOR up.bin", io.BytesIO(data))
    with open(os.path.join(root, "up.bin"), "rb") as f:
        if f.read() != data:
            fail("uploaded bytes differ on disk")
    names = ftp.nlst()
    if "up.bin" not in names:
        fail(f"NLST {names}")
    got = io.BytesIO()
    ftp.retrbinary("RETR up.bin", got.write)
    if got.getvalue() != data:
        fail("downloaded bytes differ")
    ftp.quit()
    print("ok")


main()
