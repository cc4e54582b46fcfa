#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Randomized truth-table test, the parts tests/e2e/t-truth.sh calls.

  truth.py plan SEED PREFIX DIR      generate seed SEED's world; write DIR/
                                     policy.conf, the topology's ip batches
                                     (setup.list), the servers (serve.json)
                                     and the cells (cells.json)
  truth.py serve DIR                 answer on every port in every namespace
                                     of the world; DIR/ready once listening
  truth.py probe DIR TIMEOUT [baseline]
                                     probe every cell at once, and again
                                     those that should have been answered
                                     and were not (DIR/got.json); compare
  truth.py compare DIR [baseline]    the model's expectation against what
                                     the probes got; prints the mismatches,
                                     exit 1 when there is any. With
                                     "baseline" (no policy applied), every
                                     cell that reaches an endpoint without
                                     NAT must be answered by it.
  truth.py show SEED                 print seed SEED's policy (prefix "x")
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen    # noqa: E402
import model  # noqa: E402
import net    # noqa: E402


def cells(world):
    """Every probe of a world, grouped by the endpoint that sends it."""
    rng = random.Random("cells-%d" % world["seed"])
    ports = world["ports"]
    cs = world["containers"]
    gws = [b["gw"] for b in world["bridges"]]
    out = {}

    def add(src, dst, proto, port=None, bind=None):
        lst = out.setdefault(src, [])
        lst.append({"id": "%s/%d" % (src, len(lst)), "src": src, "bind": bind,
                    "dst": dst, "proto": proto, "port": port})

    def sweep(src, dst, bind=None):
        for p in ports:
            add(src, dst, "tcp", p, bind)
            add(src, dst, "udp", p, bind)
        add(src, dst, "icmp", None, bind)

    for s in cs:
        for d in cs:
            if d is not s:
                sweep(s["name"], d["ip"])
        own = gws[s["bridge"]]
        others = [g for g in gws if g != own]
        for a in [own, gen.UPLINK_ADDR] + rng.sample(others, min(1, len(others))):
            sweep(s["name"], a)
        for a in list(gen.N_ADDRS) + [gen.R_ADDR]:
            sweep(s["name"], a)
    outside = [("N", a) for a in gen.N_ADDRS] + [("R", gen.R_ADDR)]
    pub_ports = [int(p["host"].rpartition(":")[2]) for p in world["publish"]]
    for src, bind in outside:
        for c in cs:
            add(src, c["ip"], "tcp", rng.choice(ports), bind)
            add(src, c["ip"], "udp", rng.choice(ports), bind)
            add(src, c["ip"], "icmp", None, bind)
        for a in [gen.UPLINK_ADDR] + gws:
            for hp in pub_ports:
                add(src, a, "tcp", hp, bind)
                add(src, a, "udp", hp, bind)
    for p in world["publish"]:
        addr, _, hp = p["host"].rpartition(":")
        addr = addr or "127.0.0.1"
        if addr.startswith("127."):
            add("H", addr, "tcp", int(hp))
            add("H", addr, "udp", int(hp))
    return out


def _n(k, word):
    return "%d %s%s" % (k, word, "" if k == 1 else "es" if word.endswith("sh") else "s")


def describe(world):
    cs = world["containers"]
    return "%s (%d unlisted), %s, %s, %s, %s" % (
        _n(len(cs), "container"), sum(1 for c in cs if c.get("unlisted")),
        _n(len(world["bridges"]), "bridge"), _n(len(world["links"]), "link"),
        _n(len(world["publish"]), "publish"), _n(len(world["egress"]), "egress rule"))


def cmd_plan(seed, prefix, d):
    world = gen.generate(seed)
    with open(os.path.join(d, "world.json"), "w") as f:
        json.dump(world, f)
    with open(os.path.join(d, "policy.conf"), "w") as f:
        f.write(gen.render(world, prefix))
    with open(os.path.join(d, "setup.list"), "w") as f:
        for i, (ns, lines) in enumerate(gen.setup(world, prefix)):
            path = os.path.join(d, "setup.%d" % i)
            with open(path, "w") as b:
                b.write("\n".join(lines) + "\n")
            f.write("%s %s\n" % (ns, path))
    with open(os.path.join(d, "forward"), "w") as f:
        f.write("%d\n" % world["forward_preset"])
    ns = "/run/netns/" + prefix + "-%s"
    with open(os.path.join(d, "serve.json"), "w") as f:
        json.dump([(ns % n, n, world["ports"]) for n in gen.namespaces(world)], f)
    allc = [dict(c, netns=ns % c["src"]) for lst in cells(world).values() for c in lst]
    with open(os.path.join(d, "cells.json"), "w") as f:
        json.dump(allc, f)
    print(describe(world))
    return 0


def _fmt(who, seen):
    if who is None:
        return "nothing"
    if who == "":
        return "echo reply"
    return who + (" seeing " + seen if seen else "")


def _world(d):
    with open(os.path.join(d, "world.json")) as f:
        world = json.load(f)
    return world, model.Model(world)


def _want(m, c, baseline):
    """(who, seen) a cell must get; an ICMP echo reply names nobody."""
    who, seen = baseline_expect(m, c) if baseline else m.expect(c)
    if c["proto"] == "icmp" and who is not None:
        return "", None
    return who, seen


def cmd_probe(d, timeout, baseline):
    """Probe every cell at once, then once more those the model expects
    an answer to and that got none (a loaded machine can be slower than
    the timeout; the second chance cannot turn a denial into an answer
    that is not there, and how many needed it is reported)."""
    world, m = _world(d)
    with open(os.path.join(d, "cells.json")) as f:
        allc = json.load(f)
    got = net.probe(allc, timeout)
    again = [c for c in allc if got[c["id"]][0] is None and
             _want(m, c, baseline)[0] is not None]
    late = 0
    if again:
        for k, v in net.probe(again, timeout).items():
            if v[0] is not None:
                got[k] = v
                late += 1
    with open(os.path.join(d, "got.json"), "w") as f:
        json.dump(got, f)
    return compare(world, m, got, baseline, late)


def cmd_compare(d, baseline):
    world, m = _world(d)
    try:
        with open(os.path.join(d, "got.json")) as f:
            got = json.load(f)
    except (OSError, ValueError) as e:
        print("no probe results (%s)" % e)
        return 1
    return compare(world, m, got, baseline, 0)


def compare(world, m, got, baseline, late):
    bad, total = [], 0
    for lst in cells(world).values():
        for c in lst:
            total += 1
            want_who, want_seen = _want(m, c, baseline)
            g_who, g_seen = got.get(c["id"], [None, None])
            ok = g_who == want_who and (want_seen is None or g_seen == want_seen)
            if not ok:
                bad.append("%s%s -> %s %s%s: expected %s, got %s" % (
                    c["src"], "(" + c["bind"] + ")" if c["bind"] else "",
                    c["dst"], c["proto"], "/%d" % c["port"] if c["port"] else "",
                    _fmt(want_who, want_seen), _fmt(g_who, g_seen)))
    print("%d cells, %d mismatches%s" % (
        total, len(bad), ", %d answered only when probed again" % late if late else ""))
    for b in bad[:40]:
        print("  " + b)
    if len(bad) > 40:
        print("  ... and %d more" % (len(bad) - 40))
    return 1 if bad else 0


def baseline_expect(m, c):
    """Without a policy and with forwarding on, every endpoint answers
    what is addressed to it (no NAT: nothing is published)."""
    dst = c["dst"]
    if c["src"] == "H":
        return None, None
    if dst in m.by_ip:
        return m.by_ip[dst]["name"], c["bind"] or m.by_name[c["src"]]["ip"]
    if c["src"] in ("N", "R"):
        return None, None          # the host: nothing on publish ports
    if dst in m.host_addrs:
        return "H", m.by_name[c["src"]]["ip"]
    return model.INTERNET[dst], m.by_name[c["src"]]["ip"]


def main(a):
    if len(a) == 4 and a[0] == "plan":
        return cmd_plan(int(a[1]), a[2], a[3])
    if len(a) == 2 and a[0] == "serve":
        with open(os.path.join(a[1], "serve.json")) as f:
            net.serve(json.load(f), os.path.join(a[1], "ready"))
        return 0
    if len(a) in (3, 4) and a[0] == "probe":
        return cmd_probe(a[1], float(a[2]), len(a) == 4 and a[3] == "baseline")
    if len(a) in (2, 3) and a[0] == "compare":
        return cmd_compare(a[1], len(a) == 3 and a[2] == "baseline")
    if len(a) == 2 and a[0] == "show":
        sys.stdout.write(gen.render(gen.generate(int(a[1])), "x"))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
