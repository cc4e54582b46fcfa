# SPDX-License-Identifier: GPL-2.0-or-later
"""Real packets for the truth-table test: one process that answers every
probed port in every namespace of a world, and one that sends all the
world's probes at once.  Both enter each namespace with setns(2) only to
open their sockets there (a socket stays in the namespace it was made
in), so one epoll loop serves them all.

serve(listeners, ready_file): listeners is a list of (netns path, name,
ports); listens on 0.0.0.0 on each port, tcp and udp, and answers a
connection or datagram with one line "NAME PEER-ADDRESS" (UDP from the
address it was sent to, IP_PKTINFO, so that connection tracking sees the
reply of the same flow).  Writes ready_file once every socket is bound.

probe(cells, timeout): each cell is a dict with netns (path), bind
(source address or None), dst, proto and port; TCP connects, UDP
datagrams resent every 0.3 s, ICMP echo requests every 0.5 s on one raw
socket per namespace and source address.  At most WINDOW sockets are
open at once; each cell gets TIMEOUT seconds from its first packet.
Returns {id: [who, seen]}: the name and address the server answered
with, ["", None] for an ICMP echo reply from the address probed, [None,
None] for no answer.
"""
import collections
import ctypes
import os
import resource
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from probe import csum  # noqa: E402  (tests/e2e/probe.py)

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_ns_fds = {}


def enter(path):
    """Switch this process to the network namespace at path."""
    fd = _ns_fds.get(path)
    if fd is None:
        fd = _ns_fds[path] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns %s: %s" % (path, os.strerror(e)))


def _files(n):
    """Raise the open-file limit towards n; return what it allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n if hard == resource.RLIM_INFINITY else min(n, hard)
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        soft = want
    return soft


def serve(listeners, ready_file):
    _files(64 + 4 * sum(len(p) for _, _, p in listeners))
    socks = {}
    for path, name, ports in listeners:
        enter(path)
        for p in ports:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", p))
            s.listen(1024)
            s.setblocking(False)
            socks[s.fileno()] = (name, "tcp", s)
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_IP, IP_PKTINFO, 1)
            s.bind(("0.0.0.0", p))
            s.setblocking(False)
            socks[s.fileno()] = (name, "udp", s)
    with open(ready_file + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready_file + ".tmp", ready_file)
    ep = select.epoll()
    for fd in socks:
        ep.register(fd, select.EPOLLIN)
    while True:
        for fd, _ in ep.poll():
            name, kind, s = socks[fd]
            if kind == "tcp":
                _answer_tcp(name, s)
            else:
                _answer_udp(name, s)


def _answer_tcp(name, s):
    while True:
        try:
            c, peer = s.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            continue
        try:
            c.send(("%s %s\n" % (name, peer[0])).encode())   # fits any fresh socket
        except OSError:
            pass
        c.close()


def _answer_udp(name, s):
    while True:
        try:
            _, anc, _, peer = s.recvmsg(2048, socket.CMSG_SPACE(12))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            continue
        cmsg = []
        for lvl, typ, data in anc:
            if lvl == socket.SOL_IP and typ == IP_PKTINFO:
                # struct in_pktinfo: ifindex, spec_dst, addr; answer
                # from the address asked (addr)
                _, _, addr = struct.unpack("=I4s4s", data[:12])
                cmsg = [(socket.SOL_IP, IP_PKTINFO, struct.pack("=I4s4s", 0, addr, b"\0" * 4))]
        try:
            s.sendmsg([("%s %s\n" % (name, peer[0])).encode()], cmsg, 0, peer)
        except OSError:
            pass


def _echo(ident, seq):
    payload = b"icc-truth"
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, csum(hdr + payload), ident, seq) + payload


class Prober:
    def __init__(self, cells, timeout, window):
        self.timeout = timeout
        self.res = {c["id"]: [None, None] for c in cells}
        self.ep = select.epoll()
        self.live = {}     # fd -> [cell, sock, kind, connected, buffer, deadline, next send]
        self.raws = {}     # (netns, bind) -> raw socket
        self.pings = {}    # (raw fd, dst, seq) -> [cell, deadline, next send]
        self.ident = os.getpid() & 0xFFFF
        self.queue = collections.deque(cells)
        self.window = window
        self.seq = 0

    def start(self, c, now):
        enter(c["netns"])
        bind = c.get("bind")
        if c["proto"] == "icmp":
            key = (c["netns"], bind)
            r = self.raws.get(key)
            if r is None:
                r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
                if bind:
                    r.bind((bind, 0))
                r.setblocking(False)
                self.raws[key] = r
                self.ep.register(r.fileno(), select.EPOLLIN)
                self.live[r.fileno()] = [None, r, "raw", 0, b"", None, None]
            self.seq = (self.seq + 1) & 0xFFFF
            c["_seq"] = self.seq
            c["_raw"] = r
            self.pings[(r.fileno(), c["dst"], self.seq)] = [c, now + self.timeout, now]
            return
        tcp = c["proto"] == "tcp"
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
        s.setblocking(False)
        if bind:
            s.bind((bind, 0))
        if tcp:
            s.connect_ex((c["dst"], c["port"]))
            self.ep.register(s.fileno(), select.EPOLLOUT)
        else:
            s.connect((c["dst"], c["port"]))
            self.ep.register(s.fileno(), select.EPOLLIN)
        self.live[s.fileno()] = [c, s, c["proto"], 0, b"", now + self.timeout, now]

    def done(self, fd):
        self.ep.unregister(fd)
        self.live.pop(fd)[1].close()

    def busy(self):
        return len(self.live) - len(self.raws) + len(self.pings)

    def resend(self, now):
        """UDP every 0.3 s, ICMP every 0.5 s, until answered or expired;
        returns when the next one is due."""
        due = now + 0.3
        for fd, v in list(self.live.items()):
            if v[2] == "udp":
                if v[6] <= now:
                    v[6] = now + 0.3
                    try:
                        v[1].send(b"probe\n")
                    except OSError:
                        self.done(fd)      # refused: nothing listens
                        continue
                due = min(due, v[6])
        for (fd, dst, seq), v in self.pings.items():
            if v[2] <= now:
                v[2] = now + 0.5
                try:
                    v[0]["_raw"].sendto(_echo(self.ident, seq), (dst, 0))
                except OSError:
                    pass
            due = min(due, v[2])
        return due

    def expire(self, now):
        for fd, v in list(self.live.items()):
            if v[2] != "raw" and v[5] <= now:
                self.done(fd)
        for k, v in list(self.pings.items()):
            if v[1] <= now:
                del self.pings[k]

    def readable(self, fd):
        c, s, kind, connected, buf = self.live[fd][:5]
        if kind == "raw":
            while True:
                try:
                    data, addr = s.recvfrom(2048)
                except (BlockingIOError, InterruptedError):
                    return
                ihl = (data[0] & 0x0F) * 4
                typ, _, _, rid, seq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
                p = self.pings.pop((fd, addr[0], seq), None) if typ == 0 and rid == self.ident else None
                if p:
                    self.res[p[0]["id"]] = ["", None]
        if kind == "tcp" and not connected:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                self.done(fd)
            else:
                self.live[fd][3] = 1
                self.ep.modify(fd, select.EPOLLIN)
            return
        try:
            data = s.recv(2048)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.done(fd)
            return
        buf += data
        self.live[fd][4] = buf
        if b"\n" in buf or not data:
            line = buf.decode(errors="replace").split("\n")[0].split()
            if len(line) == 2:
                self.res[c["id"]] = line
            self.done(fd)

    def run(self):
        while self.queue or self.busy():
            now = time.monotonic()
            while self.queue and self.busy() < self.window:
                self.start(self.queue.popleft(), time.monotonic())
            self.expire(now)
            due = self.resend(now)
            for fd, _ in self.ep.poll(max(0.001, due - time.monotonic())):
                if fd in self.live:
                    self.readable(fd)
        for fd in list(self.live):
            self.done(fd)
        return self.res


def probe(cells, timeout):
    window = max(64, _files(len(cells) + 256) - 128)
    return Prober(cells, timeout, window).run()
