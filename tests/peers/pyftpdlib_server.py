#!/usr/bin/env python3
"""A pyftpdlib server for sansftp's client interop tests.

Usage: pyftpdlib_server.py ROOT [--no-mlst]

Listens on 127.0.0.1 (port chosen by the OS), prints "PORT <n>" on one line once it
accepts connections, and serves ROOT to user "alice" / "secret" with every permission
and to anonymous read-only. --no-mlst removes MLSD/MLST, as on older servers, so the
client's LIST fallback is exercised. Exits when stdin closes (the test ended).
"""
import sys
import threading

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    root = sys.argv[1]
    no_mlst = "--no-mlst" in sys.argv[2:]
    auth = DummyAuthorizer()
    auth.add_user("alice", "secret", root, perm="elradfmwMT")
    auth.add_anonymous(root)

    class Handler(FTPHandler):
        pass

    Handler.authorizer = auth
    Handler.passive_ports = None
    Handler.permit_foreign_addresses = False
    Handler.use_sendfile = True
    if no_mlst:
        Handler.proto_cmds = {
            k: v for k, v in FTPHandler.proto_cmds.items() if k not in ("MLSD", "MLST")
        }

    import logging
    logging.basicConfig(level=logging.WARNING)
    server = FTPServer(("127.0.0.1", 0), Handler)
    port = server.socket.getsockname()[1]
    print(f"PORT {port}", flush=True)

    def watch_stdin():
        sys.stdin.read()
        server.close_all()

    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        server.serve_forever(timeout=0.2, blocking=True, handle_exit=True)
    except Exception:
        pass


if __name__ == "__main__":
    main()
