# SPDX-License-Identifier: GPL-2.0-or-later
"""Random but valid policies and topologies for the truth-table test.

generate(seed) returns a world: one to three bridges with two to four
containers each, random links (tcp, udp, ranges, icmp, any), publishes
(loopback and public, with allow_from), egress settings and egress
rules, host_ports, now and then a container the policy does not list.  The same seed always gives the same world
(random.Random(seed), nothing else is consulted).  render(world, prefix)
writes it as a policy file; setup(world, prefix) lists the ip commands
that build its topology in namespaces named PREFIX-*.

Fixed parts of every topology (as in tests/e2e/lib.sh's topo_std):
host H, uplink eth0 203.0.113.1/25 to R 203.0.113.2 ("the internet",
which routes every bridge subnet back to H), N behind R with
198.51.100.10 and 198.51.100.53.
"""
import ipaddress
import random

UPLINK_ADDR = "203.0.113.1"
R_ADDR = "203.0.113.2"
N_ADDRS = ("198.51.100.10", "198.51.100.53")
# Ports the generator draws from: PORT_SPAN consecutive ports at a random
# base, plus one far outside (only "any" reaches it).
PORT_SPAN = 12
OUTSIDE = 100

# allow_from and egress destinations: prefixes that contain some of the
# internet's addresses and not others.
PREFIXES = ("0.0.0.0/0", "198.51.100.0/24", "198.51.100.10", "198.51.100.53",
            "198.51.100.32/27", "203.0.113.0/25", "203.0.113.2",
            "198.51.100.0/28")


def _subnets(rng, n):
    """n non-overlapping private subnets with a gateway each."""
    out = []
    while len(out) < n:
        kind = rng.randrange(3)
        if kind == 0:
            net = "172.%d.0.0/16" % rng.randint(16, 31)
        elif kind == 1:
            net = "10.%d.%d.0/24" % (rng.randint(0, 255), rng.randint(0, 255))
        else:
            net = "172.%d.%d.0/24" % (rng.randint(16, 31), rng.randint(0, 255))
        net = ipaddress.ip_network(net)
        if any(net.overlaps(o) for o in out):
            continue
        out.append(net)
    return out


def _hosts(rng, net, n):
    """The gateway (first address) and n distinct container addresses."""
    gw = net.network_address + 1
    last = net.num_addresses - 2
    picked = set()
    while len(picked) < n:
        picked.add(net.network_address + rng.randint(2, last))
    return gw, sorted(picked)


def _spec(rng, base, proto_only=None):
    """One ports entry: tcp/udp single or range, icmp."""
    kind = rng.choice(("single", "single", "range", "icmp"))
    if kind == "icmp" and proto_only is None:
        return "icmp"
    proto = proto_only or rng.choice(("tcp", "udp"))
    if kind == "range":
        lo = base + rng.randint(0, PORT_SPAN - 3)
        hi = rng.randint(lo + 1, min(lo + 5, base + PORT_SPAN - 1))
        return "%s/%d-%d" % (proto, lo, hi)
    return "%s/%d" % (proto, base + rng.randint(0, PORT_SPAN - 1))


def _span(spec):
    """(proto, lo, hi) of an entry; any and icmp cover a whole protocol."""
    if spec == "any":
        return ("*", 0, 65535)
    if spec == "icmp":
        return ("icmp", 0, 0)
    proto, ports = spec.split("/")
    lo, _, hi = ports.partition("-")
    return (proto, int(lo), int(hi or lo))


def _overlap(a, b):
    pa, la, ha = _span(a)
    pb, lb, hb = _span(b)
    if "*" in (pa, pb):
        return True
    return pa == pb and la <= hb and lb <= ha


def _ports(rng, base, n, allow_any=True):
    """A valid ports list: n entries, none overlapping, or "any" alone."""
    if allow_any and rng.random() < 0.12:
        return ["any"]
    out = []
    for _ in range(n * 4):
        if len(out) == n:
            break
        s = _spec(rng, base)
        if not any(_overlap(s, o) for o in out):
            out.append(s)
    return out


def _disjoint_prefixes(rng, n):
    out = []
    for p in rng.sample(PREFIXES, len(PREFIXES)):
        if len(out) == n:
            break
        net = ipaddress.ip_network(p)
        if not any(net.overlaps(ipaddress.ip_network(o)) for o in out):
            out.append(p)
    return out


def generate(seed):
    rng = random.Random(seed)
    base = rng.randint(1024, 60000)
    pub_base = rng.randint(20000, 29000)
    if base - 4 <= pub_base <= base + OUTSIDE:
        pub_base = base + OUTSIDE + 1     # the host's server is not there
    nb = rng.randint(1, 3)
    nets = _subnets(rng, nb)
    bridges, containers = [], []
    for i, net in enumerate(nets):
        n = rng.randint(2, 4)
        gw, ips = _hosts(rng, net, n)
        br = {"name": "tbr%d" % i, "subnet": str(net), "gw": str(gw),
              "uplink": rng.random() < 0.8, "egress": None, "masquerade": None,
              "host_ports": []}
        if br["uplink"]:
            br["egress"] = rng.choice((None, True, False, False))
            br["masquerade"] = rng.choice((None, True, False))
        if rng.random() < 0.5:
            br["host_ports"] = _ports(rng, base, rng.randint(1, 2))
        bridges.append(br)
        for j, ip in enumerate(ips):
            containers.append({"name": "c%db%d" % (j, i), "bridge": i,
                               "ip": str(ip),
                               "by_name": rng.random() < 0.25})
    names = [c["name"] for c in containers]
    pairs = [(a, b) for a in names for b in names if a != b]
    links = []
    for a, b in rng.sample(pairs, max(1, int(len(pairs) * rng.uniform(0.15, 0.45)))):
        links.append({"from": a, "to": b,
                      "ports": _ports(rng, base, rng.randint(1, 3))})
    links.sort(key=lambda lk: (names.index(lk["from"]), names.index(lk["to"])))

    host_addrs = ["0.0.0.0", UPLINK_ADDR] + [b["gw"] for b in bridges]
    publish = []
    for k in range(rng.randint(0, 3)):
        c = rng.choice(containers)
        port = "%s/%d" % (rng.choice(("tcp", "udp")), base + rng.randint(0, PORT_SPAN - 1))
        hp = pub_base + k
        kind = rng.choice(("short", "lo", "lo5", "public", "public", "public"))
        if kind == "short":
            host, allow = str(hp), []
        elif kind == "lo":
            host, allow = "127.0.0.1:%d" % hp, []
        elif kind == "lo5":
            host, allow = "127.0.0.5:%d" % hp, []
        else:
            host = "%s:%d" % (rng.choice(host_addrs), hp)
            allow = _disjoint_prefixes(rng, rng.randint(1, 2))
        publish.append({"container": c["name"], "port": port, "host": host,
                        "allow_from": allow})

    egress = []
    for c in containers:
        br = bridges[c["bridge"]]
        if not br["uplink"] or br["egress"] is not False:
            continue
        rules = []
        for _ in range(rng.randint(0, 2)):
            to = rng.choice(PREFIXES)
            ports = _ports(rng, base, rng.randint(1, 2))
            clash = any(ipaddress.ip_network(to).overlaps(ipaddress.ip_network(r["to"]))
                        and any(_overlap(p, q) for p in ports for q in r["ports"])
                        for r in rules)
            if not clash:
                rules.append({"from": c["name"], "to": to, "ports": ports})
        egress.extend(rules)

    forward_preset = rng.random() < 0.5
    # Containers the policy does not list (a separate stream, so that the
    # rest of a seed's world does not depend on them): conf(5) says they
    # have no links and no publishes, and their bridge's egress applies.
    srng = random.Random("unlisted-%d" % seed)
    for i, br in enumerate(bridges):
        if srng.random() < 0.3:
            net = ipaddress.ip_network(br["subnet"])
            taken = {c["ip"] for c in containers}
            while True:
                ip = str(net.network_address + srng.randint(2, net.num_addresses - 2))
                if ip not in taken:
                    break
            containers.append({"name": "u0b%d" % i, "bridge": i, "ip": ip,
                               "by_name": False, "unlisted": True})
    return {"seed": seed, "base": base,
            "ports": list(range(base, base + PORT_SPAN)) + [base + OUTSIDE],
            "forward_preset": forward_preset,
            "bridges": bridges, "containers": containers, "links": links,
            "publish": publish, "egress": egress}


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[ %s ]" % ", ".join('"%s"' % x for x in v)
    return '"%s"' % v


def _group(d, keys):
    """{ key = value; ... } of d's keys that are set (not None, not [])."""
    return "{ %s }" % " ".join("%s = %s;" % (k, _value(d[k])) for k in keys
                               if d.get(k) not in (None, []))


def _list(name, items, keys):
    if not items:
        return []
    return ["%s = (" % name, ",\n".join("  " + _group(i, keys) for i in items), ");"]


def render(world, prefix):
    """The world's policy, in icc-policy.conf(5) syntax."""
    brs = [dict(b, uplink="eth0" if b["uplink"] else None) for b in world["bridges"]]
    out = ["# truth-table seed %d" % world["seed"], "version = 1;"]
    out += _list("bridges", brs, ("name", "subnet", "uplink", "egress",
                                  "masquerade", "host_ports"))
    out.append("containers = {")
    for c in world["containers"]:
        if c.get("unlisted"):
            continue
        who = {"bridge": world["bridges"][c["bridge"]]["name"]}
        if c["by_name"]:
            who["name"] = prefix + "-" + c["name"]
        else:
            who["ip"] = c["ip"]
        out.append("  %s = %s;" % (c["name"], _group(who, ("bridge", "ip", "name"))))
    out.append("};")
    out += _list("links", world["links"], ("from", "to", "ports"))
    out += _list("publish", world["publish"], ("container", "port", "host", "allow_from"))
    out += _list("egress", world["egress"], ("from", "to", "ports"))
    return "\n".join(out) + "\n"


def namespaces(world):
    """Logical names of every namespace of the world."""
    return ["H", "R", "N"] + [c["name"] for c in world["containers"]]


def setup(world, prefix):
    """The topology as ip(8) batches: a list of (namespace, command
    lines), run in order with `ip -n NS -batch -`; the namespaces
    already exist."""
    def ns(n):
        return "%s-%s" % (prefix, n)
    H, R, N = ns("H"), ns("R"), ns("N")
    h = ["link set lo up",
         "link add eth0 type veth peer name eth0 netns %s" % R,
         "addr add %s/25 dev eth0" % UPLINK_ADDR,
         "link set eth0 up",
         "route add default via %s" % R_ADDR]
    r = ["link set lo up",
         "addr add %s/25 dev eth0" % R_ADDR,
         "link set eth0 up",
         "link add n0 type veth peer name eth0 netns %s" % N,
         "addr add 198.51.100.1/24 dev n0",
         "link set n0 up"]
    n = ["link set lo up"] + ["addr add %s/24 dev eth0" % a for a in N_ADDRS]
    n += ["link set eth0 up", "route add default via 198.51.100.1"]
    for b in world["bridges"]:
        plen = b["subnet"].split("/")[1]
        h += ["link add %s type bridge" % b["name"],
              "addr add %s/%s dev %s" % (b["gw"], plen, b["name"]),
              "link set %s up" % b["name"]]
        r.append("route add %s via %s" % (b["subnet"], UPLINK_ADDR))
    out = []
    for c in world["containers"]:
        b = world["bridges"][c["bridge"]]
        plen = b["subnet"].split("/")[1]
        port = "v" + c["name"]
        h += ["link add %s type veth peer name eth0 netns %s" % (port, ns(c["name"])),
              "link set %s master %s up" % (port, b["name"])]
        out.append((ns(c["name"]), [
            "link set lo up",
            "link set eth0 addrgenmode none",
            "addr add %s/%s dev eth0" % (c["ip"], plen),
            "link set eth0 up",
            "route add default via %s" % b["gw"]]))
    return [(H, h), (R, r), (N, n)] + out
