# SPDX-License-Identifier: GPL-2.0-or-later
"""Reference model: what the policy documentation says must happen.

Written from icc-policy.conf(5) ("WHAT THE POLICY MEANS FOR PACKETS",
LINKS, PUBLISH, EGRESS, host_ports) and README.md's Guarantees, not from
the compiler.  expect(world, cell) answers one probe: which endpoint
answers it (None: nothing does) and, for TCP and UDP, the source address
that endpoint sees (None: not checked).

A cell is a dict: src (the probing endpoint: a container name, "H",
"N" or "R"), bind (its source address), dst (the address probed),
proto ("tcp", "udp", "icmp") and port (None for icmp).
"""
import ipaddress

UPLINK_ADDR = "203.0.113.1"
INTERNET = {"198.51.100.10": "N", "198.51.100.53": "N", "203.0.113.2": "R"}


def port_match(spec, proto, port):
    """A ports entry (links, host_ports, egress rules) against a probe.
    conf(5): tcp/N and udp/N one port, tcp/N-M and udp/N-M both ends
    included, icmp an echo request, any every protocol and port."""
    if spec == "any":
        return True
    if spec == "icmp":
        return proto == "icmp"
    p, ports = spec.split("/")
    lo, _, hi = ports.partition("-")
    return p == proto and int(lo) <= port <= int(hi or lo)


def _in(addr, prefix):
    return ipaddress.ip_address(addr) in ipaddress.ip_network(prefix)


class Model:
    def __init__(self, world):
        self.w = world
        self.by_name = {c["name"]: c for c in world["containers"]}
        self.by_ip = {c["ip"]: c for c in world["containers"]}
        # the host's own addresses: the uplink's and every bridge's
        self.host_addrs = {UPLINK_ADDR} | {b["gw"] for b in world["bridges"]}

    def bridge(self, c):
        return self.w["bridges"][c["bridge"]]

    @staticmethod
    def egress_on(b):
        # conf(5) egress: "Default: true with an uplink, false without one."
        return b["uplink"] and (b["egress"] is None or b["egress"])

    @staticmethod
    def masquerade_on(b):
        # conf(5) masquerade: "Default and rule as for egress."
        return b["uplink"] and (b["masquerade"] is None or b["masquerade"])

    def expect(self, cell):
        src, dst, proto, port = cell["src"], cell["dst"], cell["proto"], cell["port"]
        if src in self.by_name:
            return self._from_container(self.by_name[src], dst, proto, port)
        if src in ("N", "R"):
            return self._from_internet(cell["bind"], dst, proto, port)
        if src == "H":
            return self._from_host(dst, proto, port)
        raise ValueError("unknown source %r" % src)

    def _from_container(self, c, dst, proto, port):
        me = c["ip"]
        if dst in self.by_ip:
            # "A new connection from one container to another passes only
            # when a link allows its source address, destination address,
            # protocol and destination port ... whether the two are on the
            # same bridge or on two bridges."  Links are one way; "Traffic
            # between two bridges is never masqueraded."
            # A container the policy does not list "has no links".
            d = self.by_ip[dst]
            for lk in self.w["links"]:
                if lk["from"] == c["name"] and lk["to"] == d["name"] and \
                        any(port_match(s, proto, port) for s in lk["ports"]):
                    return d["name"], me
            return None, None
        if dst in self.host_addrs:
            # "a new connection passes only to the bridge's host_ports",
            # "on any of the host's addresses"; the bridge is the
            # container's own (t-host: another bridge's address is still
            # the host).
            if any(port_match(s, proto, port) for s in self.bridge(c)["host_ports"]):
                return "H", me
            return None, None
        if dst in INTERNET:
            # "A new connection from a container out of its bridge's uplink
            # passes when the bridge has egress, and is masqueraded when it
            # has masquerade."  EGRESS: with egress = false, "the container
            # may open connections out of its bridge's uplink to those
            # destinations and ports only"; "Their traffic is masqueraded
            # when the bridge has masquerade".
            b = self.bridge(c)
            if not b["uplink"]:
                return None, None
            seen = UPLINK_ADDR if self.masquerade_on(b) else me
            if self.egress_on(b):
                return INTERNET[dst], seen
            for r in self.w["egress"]:
                if r["from"] == c["name"] and _in(dst, r["to"]) and \
                        any(port_match(s, proto, port) for s in r["ports"]):
                    return INTERNET[dst], seen
            return None, None
        raise ValueError("container probe to unknown address %s" % dst)

    def _publish_for(self, addr, proto, port):
        for p in self.w["publish"]:
            pproto = p["port"].split("/")[0]
            h = p["host"]
            haddr, _, hport = h.rpartition(":")
            if not haddr:
                haddr = "127.0.0.1"   # conf(5): "PORT  The same as 127.0.0.1:PORT."
            if pproto == proto and int(hport) == port and \
                    (haddr == addr or (haddr == "0.0.0.0" and addr in self.host_addrs)):
                yield p, haddr

    def _from_internet(self, me, dst, proto, port):
        if dst in self.by_ip:
            # "A new connection from outside into a bridge passes only when
            # it was translated by one of the policy's public publishes".
            return None, None
        if dst in self.host_addrs:
            # "A public publish is translated (destination NAT) for packets
            # addressed to the host, from an allow_from source"; the
            # container sees the client's own address.  Nothing else
            # listens on the publish ports.
            for p, haddr in self._publish_for(dst, proto, port):
                if ipaddress.ip_address(haddr).is_loopback:
                    continue
                if any(_in(me, a) for a in p["allow_from"]):
                    return p["container"], me
            return None, None
        raise ValueError("internet probe to unknown address %s" % dst)

    def _from_host(self, dst, proto, port):
        # A loopback publish "lets processes on the host itself reach the
        # container at the loopback address ... masquerading of the
        # 127.0.0.0/8 source towards the bridge": the container sees the
        # host's address on its bridge.
        if ipaddress.ip_address(dst).is_loopback:
            for p, _ in self._publish_for(dst, proto, port):
                c = self.by_name[p["container"]]
                return c["name"], self.bridge(c)["gw"]
            return None, None
        raise ValueError("host probe to unknown address %s" % dst)
