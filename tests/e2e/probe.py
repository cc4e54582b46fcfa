#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Probes that stop at the first answer, for the end-to-end tests.

  probe.py icmp ADDR [TIMEOUT]       one ICMP (ICMPv6 for an IPv6 ADDR)
                                     echo request (raw socket, root),
                                     waits for the matching reply
  probe.py udp ADDR PORT [TIMEOUT]   one datagram, waits for one answer
                                     and prints it

Exit 0 when the answer came within TIMEOUT seconds (default 1), else 1.
Used instead of ping (no iputils needed) and of socat for UDP (which
would wait out its whole timeout even after the answer)."""
import os
import select
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def wait(s, end):
    left = end - time.monotonic()
    if left <= 0:
        return False
    r, _, _ = select.select([s], [], [], left)
    return bool(r)


def icmp6(dst, timeout):
    # the kernel fills in an ICMPv6 checksum and strips the IPv6 header
    ident = os.getpid() & 0xFFFF
    pkt = struct.pack("!BBHHH", 128, 0, 0, ident, 1) + b"icc-e2e-probe"
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.sendto(pkt, (dst, 0))
    end = time.monotonic() + timeout
    want = socket.inet_pton(socket.AF_INET6, dst.split("%")[0])
    while wait(s, end):
        data, addr = s.recvfrom(2048)
        typ, _, _, rid, _ = struct.unpack("!BBHHH", data[:8])
        src = socket.inet_pton(socket.AF_INET6, addr[0].split("%")[0])
        if typ == 129 and rid == ident and src == want:
            print(addr[0])
            return 0
    return 1


def icmp(dst, timeout):
    if ":" in dst:
        return icmp6(dst, timeout)
    ident = os.getpid() & 0xFFFF
    payload = b"icc-e2e-probe"
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
    pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + payload), ident, 1) + payload
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.sendto(pkt, (dst, 0))
    end = time.monotonic() + timeout
    while wait(s, end):
        data, addr = s.recvfrom(2048)
        ihl = (data[0] & 0x0F) * 4
        typ, _, _, rid, _ = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if typ == 0 and rid == ident and addr[0] == dst:
            print(addr[0])
            return 0
    return 1


def udp(dst, port, timeout):
    # A datagram can be lost (ARP still resolving, a server forking): send
    # again every 0.3 s until the timeout, at most a handful of times.
    s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET,
                      socket.SOCK_DGRAM)
    s.connect((dst, port))
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            s.send(b"ping\n")
            step = min(end, time.monotonic() + 0.3)
            while wait(s, step):
                data = s.recv(2048)
                if data:
                    sys.stdout.write(data.decode(errors="replace"))
                    return 0
    except ConnectionRefusedError:
        pass
    return 1


def main():
    a = sys.argv[1:]
    if len(a) >= 2 and a[0] == "icmp":
        return icmp(a[1], float(a[2]) if len(a) > 2 else 1.0)
    if len(a) >= 3 and a[0] == "udp":
        return udp(a[1], int(a[2]), float(a[3]) if len(a) > 3 else 1.0)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
