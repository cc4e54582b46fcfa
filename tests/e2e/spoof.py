#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Forged frames for the anti-spoofing tests (raw AF_PACKET, root).

  spoof.py udp IF SMAC SIP DMAC DIP DPORT TEXT  an IPv4/UDP datagram with
                                                 any source MAC and address
                                                 (from port 68, a DHCP
                                                 client's, to port 67)
  spoof.py arp IF SMAC SIP DMAC DIP             an ARP reply "SIP is-at
                                                 SMAC", sent to DMAC/DIP
  spoof.py ra IF SMAC SIP6                      a router advertisement to
                                                 ff02::1 (router lifetime
                                                 1800 s)
  spoof.py raw IF SMAC DMAC ETHERTYPE TEXT      any ethertype (hex), TEXT
                                                 as the payload
  spoof.py sniff IF ETHERTYPE TEXT TIMEOUT      exit 0 when a frame of that
                                                 ethertype carrying TEXT
                                                 arrives within TIMEOUT s
  spoof.py listen PORT FILE                     every UDP datagram to PORT:
                                                 "SRC TEXT" lines in FILE

Each sender sends its frame three times, 50 ms apart, so that a lost
first frame (a neighbour not yet resolved) cannot pass for a drop."""
import socket
import struct
import sys
import time

from probe import csum  # the Internet checksum, shared


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def send(ifname, frame):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    for _ in range(3):
        s.send(frame)
        time.sleep(0.05)


def udp(ifname, smac, sip, dmac, dip, dport, text):
    data = text.encode()
    src, dst = socket.inet_aton(sip), socket.inet_aton(dip)
    sport = 68 if int(dport) == 67 else 40000
    u = struct.pack("!HHHH", sport, int(dport), 8 + len(data), 0) + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0,
                     src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    send(ifname, mac(dmac) + mac(smac) + b"\x08\x00" + ip + u)


def arp(ifname, smac, sip, dmac, dip):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, mac(smac),
                       socket.inet_aton(sip), mac(dmac),
                       socket.inet_aton(dip))
    send(ifname, mac(dmac) + mac(smac) + b"\x08\x06" + body)


def ra(ifname, smac, sip6):
    src = socket.inet_pton(socket.AF_INET6, sip6)
    dst = socket.inet_pton(socket.AF_INET6, "ff02::1")
    # type 134, hop limit 64, no flags, router lifetime 1800 s
    icmp = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
    pseudo = src + dst + struct.pack("!I3xB", len(icmp), 58)
    icmp = icmp[:2] + struct.pack("!H", csum(pseudo + icmp)) + icmp[4:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(icmp), 58, 255) + src + dst
    send(ifname, b"\x33\x33\x00\x00\x00\x01" + mac(smac) + b"\x86\xdd" +
         ip6 + icmp)


def raw(ifname, smac, dmac, etype, text):
    body = text.encode().ljust(46, b"\0")
    send(ifname, mac(dmac) + mac(smac) + struct.pack("!H", int(etype, 16)) +
         body)


def sniff(ifname, etype, text, timeout):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((ifname, 0))
    s.settimeout(0.2)
    want = struct.pack("!H", int(etype, 16))
    end = time.monotonic() + float(timeout)
    while time.monotonic() < end:
        try:
            f = s.recv(2048)
        except socket.timeout:
            continue
        if f[12:14] == want and text.encode() in f:
            return 0
    return 1


def listen(port, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    with open(path, "a", buffering=1) as out:
        out.write("listening\n")
        while True:
            data, addr = s.recvfrom(2048)
            out.write("%s %s\n" % (addr[0], data.decode(errors="replace")))


def main(a):
    cmds = {"udp": (udp, 7), "arp": (arp, 5), "ra": (ra, 3), "raw": (raw, 5),
            "sniff": (sniff, 4), "listen": (listen, 2)}
    if not a or a[0] not in cmds or len(a) - 1 != cmds[a[0]][1]:
        sys.stderr.write(__doc__)
        return 2
    return cmds[a[0]][0](*a[1:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
