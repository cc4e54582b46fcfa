#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A long-lived TCP connection that says whether it still works.

keepalive.py ADDR PORT SECONDS STATUSFILE

Connects to an echo server, then every 0.2 s sends a line and waits at
most 1 s for it to come back. Writes "up N" to STATUSFILE after each
round trip (N counts them) and "dead" at the first one that fails, then
exits; exits on its own after SECONDS either way. Only ever talks to the
address it is given (a test namespace's).
"""
import socket
import sys
import time


def status(path, text):
    with open(path, "w") as f:
        f.write(text + "\n")


def main():
    addr, port, seconds, path = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    end = time.monotonic() + seconds
    try:
        s = socket.create_connection((addr, port), timeout=2)
    except OSError:
        status(path, "dead")
        return 1
    s.settimeout(1)
    n = 0
    while time.monotonic() < end:
        try:
            s.sendall(b"ping\n")
            got = b""
            while not got.endswith(b"\n"):
                chunk = s.recv(64)
                if not chunk:
                    raise OSError("closed")
                got += chunk
        except OSError:
            status(path, "dead")
            return 1
        n += 1
        status(path, "up %d" % n)
        time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
