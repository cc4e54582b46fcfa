#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The IPv6 twin of an end-to-end test's policy (stdin to stdout).

subnet and ip become dual stack ([ "IPv4", "its twin" ]); every other
IPv4 address or prefix of the topology (egress destinations, allow_from
sources, publish hosts) is replaced by its twin, so that the IPv6 probes
meet the same policy the IPv4 ones do. Loopback publishes stay IPv4:
their twin, [::1], is icc-policyd's relay and has tests of its own.
The mapping is lib.sh's a6()."""
import re
import sys

QUAD = r"\d+\.\d+\.\d+\.\d+"


def a6(text):
    addr, _, length = text.partition("/")
    o = [int(x) for x in addr.split(".")]
    if addr == "0.0.0.0":
        h = "::"
    elif o[:2] == [172, 17]:
        h = "fd00:17::%d" % o[3] if o[2] == 0 else "fd00:17::%d:%d" % (o[2], o[3])
    elif o[:3] == [10, 0, 3]:
        h = "fd00:3::%d" % o[3]
    elif o[:3] == [198, 51, 100]:
        h = "2001:db8:51::%d" % o[3]
    elif o[:3] == [203, 0, 113]:
        h = "2001:db8:%d::%d" % (113 if o[3] < 128 else 114, o[3])
    else:
        return text
    if not length:
        return h
    if length == "0":
        return "::/0"
    if length == "32":
        return h + "/128"
    return h.rsplit("::", 1)[0] + "::/64"


def dual(m):
    return '%s = [ "%s", "%s" ]' % (m.group(1), m.group(2), a6(m.group(2)))


def host(m):
    addr, port = m.group(1), m.group(2)
    if addr.startswith("127."):
        return m.group(0)
    return '"[%s]:%s"' % (a6(addr), port)


def line(s):
    if re.search(r'\b(subnet|ip)\s*=\s*"', s):
        return re.sub(r'\b(subnet|ip)\s*=\s*"(%s(?:/\d+)?)"' % QUAD, dual, s)
    s = re.sub(r'"(%s):(\d+)"' % QUAD, host, s)
    return re.sub(r'"(%s(?:/\d+)?)"' % QUAD, lambda m: '"%s"' % a6(m.group(1)), s)


for text in sys.stdin:
    sys.stdout.write(line(text))
