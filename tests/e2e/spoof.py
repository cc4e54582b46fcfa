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
  spoof.py udp6 IF SMAC SIP DMAC DIP DPORT TEXT the same over IPv6
  spoof.py na IF SMAC SIP DMAC DIP TARGET       an unsolicited neighbour
                                                 advertisement (override):
                                                 "TARGET is-at SMAC"
  spoof.py raw IF SMAC DMAC ETHERTYPE TEXT      any ethertype (hex), TEXT
                                                 as the payload
  spoof.py sniff IF ETHERTYPE TEXT TIMEOUT      exit 0 when a frame of that
                                                 ethertype carrying TEXT
                                                 arrives within TIMEOUT s
  spoof.py listen PORT FILE                     every UDP datagram to PORT
                                                 (IPv4 or IPv6): "SRC TEXT"
                                                 lines in FILE

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


def ip6_frame(smac, dmac, sip6, dip6, proto, body, hops=64, csum_at=None):
    """An Ethernet + IPv6 frame; the checksum at csum_at (bytes into body)
    is computed over the pseudo-header."""
    src = socket.inet_pton(socket.AF_INET6, sip6)
    dst = socket.inet_pton(socket.AF_INET6, dip6)
    if csum_at is not None:
        pseudo = src + dst + struct.pack("!I3xB", len(body), proto)
        body = body[:csum_at] + struct.pack("!H", csum(pseudo + body)) + \
            body[csum_at + 2:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(body), proto, hops) + src + dst
    return mac(dmac) + mac(smac) + b"\x86\xdd" + ip6 + body


def ra(ifname, smac, sip6):
    # type 134, hop limit 64, no flags, router lifetime 1800 s
    icmp = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
    send(ifname, ip6_frame(smac, "33:33:00:00:00:01", sip6, "ff02::1", 58,
                           icmp, 255, 2))


def udp6(ifname, smac, sip, dmac, dip, dport, text):
    data = text.encode()
    u = struct.pack("!HHHH", 40000, int(dport), 8 + len(data), 0) + data
    send(ifname, ip6_frame(smac, dmac, sip, dip, 17, u, 64, 6))


def na(ifname, smac, sip, dmac, dip, target):
    # type 136, flags: override (not router, not solicited), target, and
    # the target link-layer address option
    icmp = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + \
        socket.inet_pton(socket.AF_INET6, target) + \
        struct.pack("!BB", 2, 1) + mac(smac)
    send(ifname, ip6_frame(smac, dmac, sip, dip, 58, icmp, 255, 2))


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
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(port)))
    with open(path, "a", buffering=1) as out:
        out.write("listening\n")
        while True:
            data, addr = s.recvfrom(2048)
            src = addr[0][7:] if addr[0].startswith("::ffff:") else addr[0]
            out.write("%s %s\n" % (src, data.decode(errors="replace")))


def main(a):
    cmds = {"udp": (udp, 7), "udp6": (udp6, 7), "na": (na, 6),
            "arp": (arp, 5), "ra": (ra, 3), "raw": (raw, 5),
            "sniff": (sniff, 4), "listen": (listen, 2)}
    if not a or a[0] not in cmds or len(a) - 1 != cmds[a[0]][1]:
        sys.stderr.write(__doc__)
        return 2
    return cmds[a[0]][0](*a[1:]) or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
