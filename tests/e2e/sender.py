#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Connection hammer for the no-window test.

  sender.py listen PORT...
      accepts and closes TCP connections on every PORT (IPv4 and IPv6),
      with a deep backlog, until killed;
  sender.py send STOPFILE LIMIT TIMEOUT HOST:PORT...
      keeps opening connections, one thread per target, one at a time,
      until STOPFILE exists (at most LIMIT s), then prints per target
      "HOST:PORT connected N refused M silent K": accepted, answered
      with a reset (the packets got through too), or no answer within
      TIMEOUT seconds.
"""
import errno
import os
import socket
import sys
import threading
import time


def listen(ports):
    socks = []
    for p in ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", int(p)))
        s.listen(4096)
        socks.append(s)

    def loop(s):
        while True:
            c, _ = s.accept()
            c.close()
    for s in socks[1:]:
        threading.Thread(target=loop, args=(s,), daemon=True).start()
    loop(socks[0])


def attempt(host, port, timeout):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
        return "connected"
    except ConnectionRefusedError:
        return "refused"
    except OSError as e:
        return "refused" if e.errno == errno.ECONNREFUSED else "silent"
    finally:
        s.close()


def send(stop, limit, timeout, targets):
    results = {}

    def run(target):
        host, port = target.rsplit(":", 1)
        n = {"connected": 0, "refused": 0, "silent": 0}
        end = time.monotonic() + limit
        while not os.path.exists(stop) and time.monotonic() < end:
            r = attempt(host.strip("[]"), int(port), timeout)
            n[r] += 1
            if r == "connected":
                time.sleep(0.005)   # conntrack keeps each for 2 min
        results[target] = n

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for t in targets:
        n = results[t]
        print("%s connected %d refused %d silent %d"
              % (t, n["connected"], n["refused"], n["silent"]))


if sys.argv[1] == "listen":
    listen(sys.argv[2:])
else:
    send(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5:])
