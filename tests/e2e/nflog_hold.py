#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Holds an NFLOG group as another listener (ulogd, say) would.

  nflog_hold.py GROUP SECONDS

Binds GROUP with NFULNL_CFG_CMD_BIND over raw netlink, prints "held"
once the kernel acknowledged it (or "error N" and exits 1), and keeps the
socket open for SECONDS (at most) so that the group stays taken."""
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_ULOG = 4
NFULNL_MSG_CONFIG = 1
NFULA_CFG_CMD = 1
NFULNL_CFG_CMD_BIND = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2


def main():
    group, seconds = int(sys.argv[1]), float(sys.argv[2])
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, 0))
    body = struct.pack("=BBH", 0, 0, socket.htons(group))
    body += struct.pack("=HHB3x", 5, NFULA_CFG_CMD, NFULNL_CFG_CMD_BIND)
    hdr = struct.pack("=IHHII", 16 + len(body),
                      (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG,
                      NLM_F_REQUEST | NLM_F_ACK, 1, 0)
    s.send(hdr + body)
    s.settimeout(2)
    data = s.recv(4096)
    _, typ, _, _, _ = struct.unpack("=IHHII", data[:16])
    err = struct.unpack("=i", data[16:20])[0] if typ == NLMSG_ERROR else 0
    if err:
        print("error %d" % -err, flush=True)
        return 1
    print("held", flush=True)
    time.sleep(seconds)
    return 0


sys.exit(main())
