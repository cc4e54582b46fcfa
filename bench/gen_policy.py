#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A policy of N containers on docker0 (10.0.0.2, 10.0.0.3, ...) with L
one-way tcp links each (container i to i+1 .. i+L, port 5000+k), for
measuring at scale:

  bench/gen_policy.py 10000 10 > /tmp/p10000.conf
"""
import sys


def main():
    n = int(sys.argv[1])
    per = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    out = ["version = 1;",
           'bridges = ( { name = "docker0"; subnet = "10.0.0.0/8"; uplink = "eth0"; } );',
           "containers = {"]
    for i in range(n):
        a = 10 << 24 | (i + 2)
        out.append('  c%d = { bridge = "docker0"; ip = "%d.%d.%d.%d"; };'
                   % (i, a >> 24 & 255, a >> 16 & 255, a >> 8 & 255, a & 255))
    out.append("};")
    links = ['  { from = "c%d"; to = "c%d"; ports = [ "tcp/%d" ]; }'
             % (i, (i + k) % n, 5000 + k)
             for i in range(n) for k in range(1, per + 1) if (i + k) % n != i]
    out.append("links = (")
    out.append(",\n".join(links))
    out.append(");")
    print("\n".join(out))


if __name__ == "__main__":
    main()
