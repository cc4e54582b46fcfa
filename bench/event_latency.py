#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Measures icc-policyd's reaction time to a container port joining a bridge.

Run inside the host namespace the daemon guards (bench/event-latency.sh does
the set-up).  For each port in turn:

  t0  just before an RTM_NEWLINK request sets the port's master to the bridge
      (rtnetlink, NLM_F_ACK; the ACK is read and checked);
  t1  on receipt of the first NFT_MSG_NEWGEN multicast (NFNLGRP_NFTABLES)
      whose NFTA_GEN_PROC_PID is the daemon: the commit that made the port's
      elements live.

latency = t1 - t0 (CLOCK_MONOTONIC).  An event with no such commit within
--timeout seconds is a failure (a timeout, reported, never a hang).  Events
are spaced by --gap seconds so that they do not overlap (--gap-auto: at
least 1.2 times the last latency).

With --events E the ports are used in turn until E joins are timed, each
join followed by the port leaving the bridge again (RTM_NEWLINK with master
0), timed the same way to the daemon's commit that removes its elements:
more events than ports, the number of running containers held steady.
--budget S stops starting events after S seconds (recorded as budget_hit).

Modes:
  measure  (default) the loop above; writes a JSON summary (--json) and a
           table on stdout.
  --report JSON...  renders the markdown results file from summaries.

Python 3 standard library only.
"""
import argparse
import errno
import json
import math
import os
import select
import socket
import struct
import sys
import time

NETLINK_ROUTE = 0
NETLINK_NETFILTER = 12
NFNLGRP_NFTABLES = 7
SOL_NETLINK = 270

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
RTM_NEWLINK = 16
IFLA_MASTER = 10

NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_NEWGEN = 15
NEWGEN_TYPE = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN
NFTA_GEN_ID = 1
NFTA_GEN_PROC_PID = 2
NFTA_GEN_PROC_NAME = 3
NLA_TYPE_MASK = 0x3FFF

NLMSG_HDR = struct.Struct("=IHHII")    # len, type, flags, seq, pid
NLATTR = struct.Struct("=HH")          # len, type
IFINFOMSG = struct.Struct("=BxHiII")   # family, type, index, flags, change


def align4(n):
    return (n + 3) & ~3


def nl_messages(buf):
    """Yields (type, flags, seq, payload) for each message in a datagram."""
    off = 0
    while off + NLMSG_HDR.size <= len(buf):
        ln, typ, flags, seq, _pid = NLMSG_HDR.unpack_from(buf, off)
        if ln < NLMSG_HDR.size or off + ln > len(buf):
            break
        yield typ, flags, seq, buf[off + NLMSG_HDR.size:off + ln]
        off += align4(ln)


def nl_attrs(buf, off=0):
    attrs = {}
    while off + NLATTR.size <= len(buf):
        ln, typ = NLATTR.unpack_from(buf, off)
        if ln < NLATTR.size or off + ln > len(buf):
            break
        attrs[typ & NLA_TYPE_MASK] = buf[off + NLATTR.size:off + ln]
        off += align4(ln)
    return attrs


def parse_newgen(payload):
    """(genid, pid, comm) of an NFT_MSG_NEWGEN payload (nfgenmsg + attrs)."""
    a = nl_attrs(payload, 4)
    genid = struct.unpack(">I", a[NFTA_GEN_ID])[0] if NFTA_GEN_ID in a else None
    pid = (struct.unpack(">I", a[NFTA_GEN_PROC_PID])[0]
           if NFTA_GEN_PROC_PID in a else None)
    comm = (a[NFTA_GEN_PROC_NAME].split(b"\0", 1)[0].decode(errors="replace")
            if NFTA_GEN_PROC_NAME in a else "")
    return genid, pid, comm


class Lost(Exception):
    """The nf_tables event socket overflowed (ENOBUFS)."""


def open_nft_events(rcvbuf):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    try:
        # SO_RCVBUFFORCE (33) ignores rmem_max; we are root.
        s.setsockopt(socket.SOL_SOCKET, 33, rcvbuf)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((0, 1 << (NFNLGRP_NFTABLES - 1)))
    return s


def drain(s):
    """Reads everything queued without blocking; returns the count."""
    n = 0
    while True:
        try:
            s.recv(1 << 16, socket.MSG_DONTWAIT)
            n += 1
        except BlockingIOError:
            return n
        except OSError as e:
            if e.errno == errno.ENOBUFS:
                continue        # overflow before t0: nothing to lose
            raise


class Rtnl:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        self.s.bind((0, 0))
        self.seq = int(time.time()) & 0xFFFF

    def set_master(self, ifindex, master):
        """Sends the request; returns the callable that reads its ACK."""
        self.seq += 1
        body = IFINFOMSG.pack(0, 0, ifindex, 0, 0)
        attr = NLATTR.pack(8, IFLA_MASTER) + struct.pack("=I", master)
        msg = body + attr
        hdr = NLMSG_HDR.pack(NLMSG_HDR.size + len(msg), RTM_NEWLINK,
                             NLM_F_REQUEST | NLM_F_ACK, self.seq, 0)
        self.s.sendto(hdr + msg, (0, 0))
        return self.seq

    def ack(self, seq, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return -errno.ETIMEDOUT
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                continue
            buf = self.s.recv(1 << 16)
            for typ, _f, mseq, payload in nl_messages(buf):
                if mseq != seq:
                    continue
                if typ == NLMSG_ERROR:
                    return struct.unpack_from("=i", payload, 0)[0]
                if typ == NLMSG_DONE:
                    return 0


def wait_newgen(s, daemon_pid, deadline, foreign):
    """Blocks until the daemon's NEWGEN; returns (t1_ns, genid) or None."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        try:
            buf = s.recv(1 << 16)
        except OSError as e:
            if e.errno == errno.ENOBUFS:
                raise Lost() from e
            raise
        t1 = time.monotonic_ns()
        for typ, _f, _seq, payload in nl_messages(buf):
            if typ != NEWGEN_TYPE:
                continue
            genid, pid, comm = parse_newgen(payload)
            if pid == daemon_pid:
                return t1, genid
            foreign.append({"pid": pid, "comm": comm, "genid": genid})


NFT_MSG_GETSETELEM = 13
NFT_MSG_NEWSETELEM = 12
NLM_F_DUMP = 0x300
NFPROTO_INET = 1
NFTA_SET_ELEM_LIST_TABLE = 1
NFTA_SET_ELEM_LIST_SET = 2
NFTA_SET_ELEM_LIST_ELEMENTS = 3
NFTA_LIST_ELEM = 1
NFTA_SET_ELEM_KEY = 1
NFTA_DATA_VALUE = 1


def nl_attr_list(buf, off=0):
    """(type, payload) of each attribute, repeats kept (list elements)."""
    while off + NLATTR.size <= len(buf):
        ln, typ = NLATTR.unpack_from(buf, off)
        if ln < NLATTR.size or off + ln > len(buf):
            break
        yield typ & NLA_TYPE_MASK, buf[off + NLATTR.size:off + ln]
        off += align4(ln)


def set_keys(table="icc", set_name="links4", timeout=30.0):
    """The keys of every element of set inet TABLE SET, as raw bytes, read
    with one netlink dump: `nft list set` takes ~9 s at 100,000 elements,
    this a fraction of one."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.settimeout(timeout)
    attrs = b""
    for typ, val in ((NFTA_SET_ELEM_LIST_TABLE, table), (NFTA_SET_ELEM_LIST_SET, set_name)):
        v = val.encode() + b"\0"
        attrs += NLATTR.pack(NLATTR.size + len(v), typ) + v + b"\0" * (align4(len(v)) - len(v))
    body = struct.pack("=BBH", NFPROTO_INET, 0, 0) + attrs
    typ = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM
    s.sendto(NLMSG_HDR.pack(NLMSG_HDR.size + len(body), typ, NLM_F_REQUEST | NLM_F_DUMP,
                            1, 0) + body, (0, 0))
    keys = []
    try:
        while True:
            buf = s.recv(1 << 20)
            for mtyp, _f, _seq, payload in nl_messages(buf):
                if mtyp == NLMSG_DONE:
                    return keys
                if mtyp == NLMSG_ERROR:
                    err = struct.unpack_from("=i", payload, 0)[0]
                    if err:
                        return keys
                    continue
                top = nl_attrs(payload, 4)
                for t, elem in nl_attr_list(top.get(NFTA_SET_ELEM_LIST_ELEMENTS, b"")):
                    if t != NFTA_LIST_ELEM:
                        continue
                    key = nl_attrs(elem).get(NFTA_SET_ELEM_KEY)
                    if key is not None:
                        keys.append(nl_attrs(key).get(NFTA_DATA_VALUE, b""))
    finally:
        s.close()


def link_key(src, dst, port):
    """A links4 key (ipv4 . ipv4 . inet_proto . inet_service, each field in
    a 4-byte register) of a tcp link."""
    return (socket.inet_aton(src) + socket.inet_aton(dst) + bytes([6, 0, 0, 0]) +
            struct.pack(">H", int(port)) + b"\0\0")


def count_hub(a):
    """Prints how many live links4 elements lead to hub:hub-port over tcp."""
    hub = socket.inet_aton(a.hub)
    port = struct.pack(">H", int(a.hub_port))
    print(sum(1 for k in set_keys() if k[4:8] == hub and k[8] == 6 and k[12:14] == port))
    return 0


def pct(sorted_v, p):
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not sorted_v:
        return float("nan")
    k = max(1, math.ceil(p / 100.0 * len(sorted_v)))
    return sorted_v[k - 1]


def stats(ms):
    v = sorted(ms)
    return {
        "n": len(v),
        "min": v[0] if v else float("nan"),
        "median": pct(v, 50),
        "p90": pct(v, 90),
        "p99": pct(v, 99),
        "max": v[-1] if v else float("nan"),
        "mean": sum(v) / len(v) if v else float("nan"),
    }


def settle(nft, daemon_pid, quiet, limit, foreign):
    """After a timeout: waits until the daemon has not committed for quiet
    seconds (at most limit), so that a late commit is not taken for the
    next event's."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            if wait_newgen(nft, daemon_pid, min(end, time.monotonic() + quiet),
                           foreign) is None:
                return
        except Lost:
            drain(nft)


def timed_event(a, nft, rt, port, ifx, master, foreign):
    """Sets port's master (0: none) and times it to the daemon's commit.
    Returns the event: "ms" when timed, "error" when not."""
    drain(nft)
    ev = {"port": port, "master": master}
    t0 = time.monotonic_ns()
    seq = rt.set_master(ifx, master)
    err = rt.ack(seq, a.timeout)
    if err != 0:
        ev["error"] = "set master: %s" % os.strerror(-err)
        return ev
    try:
        got = wait_newgen(nft, a.daemon_pid, time.monotonic() + a.timeout, foreign)
    except Lost:
        # The commit may have been among what was lost: not timed.
        ev["error"] = "nf_tables events lost (ENOBUFS)"
        ev["lost"] = True
        return ev
    if got is None:
        ev["error"] = "no commit by pid %d within %.1f s" % (a.daemon_pid, a.timeout)
        ev["timeout"] = True
        settle(nft, a.daemon_pid, 1.0, 2 * a.timeout, foreign)
        return ev
    ev["ms"] = (got[0] - t0) / 1e6
    ev["genid"] = got[1]
    return ev


def pause(a, ev):
    """The gap between events; with --gap-auto at least 1.2 times the last
    event's latency, so that the daemon's own throttle (no reconcile sooner
    than the last one took) never delays the next event."""
    gap = a.gap
    if a.gap_auto and "ms" in ev:
        gap = max(gap, 1.2 * ev["ms"] / 1000.0)
    time.sleep(gap)


def check_live(a, ev, addr):
    """Is the first commit after t0 the one that made this port live?"""
    want = "%s . %s . tcp . %s" % (addr, a.hub, a.hub_port)
    if link_key(addr, a.hub, a.hub_port) in set_keys():
        ev["check"] = "ok"
        return True
    ev["check"] = "element %s not live after the first commit" % want
    print("event %d: %s" % (ev["i"], ev["check"]), file=sys.stderr)
    return False


def measure(a):
    ports = [p for p in a.ports.split(",") if p]
    addrs = [x for x in (a.addrs or "").split(",") if x]
    if addrs and len(addrs) != len(ports):
        sys.exit("--addrs must have one address per port")
    master = socket.if_nametoindex(a.bridge)
    index = [socket.if_nametoindex(p) for p in ports]
    nft = open_nft_events(a.rcvbuf)
    rt = Rtnl()
    events = []
    leaves = []
    foreign = []
    check_fail = []
    # Without --events: each port joins once. With it: joins cycle over the
    # ports, each followed by its leave (timed too), until that many joins.
    total = a.events or len(ports)
    t_start = time.monotonic()
    budget_hit = False

    for i in range(total):
        if a.budget and time.monotonic() - t_start > a.budget:
            budget_hit = True
            break
        k = i % len(ports)
        ev = timed_event(a, nft, rt, ports[k], index[k], master, foreign)
        ev["i"] = i + 1
        if "error" in ev:
            print("event %d (%s): %s" % (i + 1, ports[k], ev["error"]), file=sys.stderr)
        elif addrs and i < a.check_first and not check_live(a, ev, addrs[k]):
            check_fail.append(ev["i"])
        events.append(ev)
        pause(a, ev)
        if a.events:
            lev = timed_event(a, nft, rt, ports[k], index[k], 0, foreign)
            lev["i"] = i + 1
            if "error" in lev:
                print("leave %d (%s): %s" % (i + 1, ports[k], lev["error"]), file=sys.stderr)
            leaves.append(lev)
            pause(a, lev)
    lost = sum(1 for e in events + leaves if e.get("lost"))

    ok = [e["ms"] for e in events if "ms" in e]
    first = [e["ms"] for e in events[:10] if "ms" in e]
    last = [e["ms"] for e in events[-10:] if "ms" in e]
    summary = {
        "n": len(ports),
        "ok": len(ok),
        "failures": [e for e in events if "error" in e],
        "timeouts": sum(1 for e in events if e.get("timeout")),
        "leave": stats([e["ms"] for e in leaves if "ms" in e]),
        "leave_timeouts": sum(1 for e in leaves if e.get("timeout")),
        "leave_failures": [e for e in leaves if "error" in e],
        "events_asked": total,
        "budget_hit": budget_hit,
        "budget_s": a.budget,
        "gap_auto": a.gap_auto,
        "lost": lost,
        "checked": min(a.check_first, total) if addrs else 0,
        "check_failures": check_fail,
        "foreign_commits": foreign,
        "all": stats(ok),
        "first10": stats(first),
        "last10": stats(last),
        "events": events,
        "gap_s": a.gap,
        "timeout_s": a.timeout,
    }
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
    print_table([summary], sys.stdout)
    return 0 if len(ok) == total and not check_fail else 1


def fmt(x):
    return "%.2f" % x if x == x else "-"


ROW = "| {:>5} | {:<12} | {:>7} | {:>7} | {:>7} | {:>7} | {:>7} | {:>8} |"


def print_table(summaries, out):
    print(ROW.format("N", "events", "median", "p90", "p99", "max", "mean", "timeouts"),
          file=out)
    print("|" + "|".join("-" * w for w in (7, 14, 9, 9, 9, 9, 9, 10)) + "|", file=out)
    for s in summaries:
        for key, label in (("all", "all %d" % s["ok"]), ("first10", "first 10"),
                           ("last10", "last 10")):
            st = s[key]
            print(ROW.format(s["n"], label, fmt(st["median"]), fmt(st["p90"]),
                             fmt(st["p99"]), fmt(st["max"]), fmt(st["mean"]),
                             s["timeouts"] if key == "all" else ""), file=out)


def size_label(s):
    """N, or N:K when the policy knows more containers than run."""
    live, known = s.get("live", s["n"]), s.get("known", s["n"])
    return "%d:%d" % (live, known) if (live, known) != (s["n"], s["n"]) else "%d" % s["n"]


def report(a):
    runs = []
    for path in a.report:
        with open(path) as f:
            s = json.load(f)
        side = path[:-len(".json")] if path.endswith(".json") else path
        for ext, key in ((".daemon", "daemon_ms"), (".env", "env")):
            try:
                with open(side + ext) as f:
                    s[key] = json.load(f)
            except OSError:
                pass
        runs.append(s)
    env = {}
    for s in runs:
        env.update(s.get("env", {}))
    o = []
    o.append("# icc-policyd event latency\n")
    o.append("What is measured: the time from the `RTM_NEWLINK` request that sets a "
             "container's host-side veth's master to the managed bridge being sent, "
             "to the nf_tables commit notification (`NFT_MSG_NEWGEN` from the "
             "daemon's pid) arriving. Both ends are observed from the host "
             "namespace, on `CLOCK_MONOTONIC`. That includes the kernel "
             "delivering the link event, the daemon's full rediscovery of every "
             "bridge port and the diff against the live ruleset, and the "
             "nf_tables transaction. One event at a time, %d ms apart; an event "
             "with no commit within %.0f s counts as a timeout.\n"
             % (round(runs[0]["gap_s"] * 1000), runs[0]["timeout_s"]))
    o.append("Set-up (before timing): a host namespace with bridge `docker0` "
             "172.17.0.1/16 and a hub container at 172.17.0.2; N container "
             "namespaces whose `eth0` is addressed and up, and whose host-side "
             "veth exists but is on no bridge. The policy names all N+1 "
             "containers and links each of them to `hub` on tcp/80, so each "
             "event adds exactly one element to `links4` (plus its reverse "
             "in `links4r`, if any). IPv6 is off inside the containers, as "
             "Docker does on an IPv4-only network, unless `-6` was given: then "
             "each joining container's IPv6 link-local traffic is flooded to "
             "every port of the bridge (the host-side ports keep IPv6 either "
             "way). All of it inside throwaway namespaces.\n")
    o.append("## Environment\n")
    for k, label in (("date", "Date"), ("kernel", "Kernel (`uname -r`)"),
                     ("cpu", "CPU"), ("nproc", "nproc"), ("nft", "nft"),
                     ("python", "Python"), ("binary", "icc-policyd"),
                     ("netns_total", "Network namespaces in /run/netns at start (all of the host's)")):
        if k in env:
            o.append("- %s: %s" % (label, env[k]))
    o.append("")
    o.append("To reproduce:\n")
    o.append("```\n%s\n```\n" % env.get("command", "sudo bench/event-latency.sh [N]"))
    o.append("## Results (milliseconds)\n")
    o.append("Percentiles are nearest-rank. \"first 10\" / \"last 10\" are the "
             "first and last ten events of the same run: the daemon knows ~0 "
             "and ~N-10 running containers then, and every reconcile rediscovers "
             "all of them.\n")
    o.append("With `-e`, N:K below is N live containers of K in the policy; the "
             "events are joins over a pool of ports, each followed by its "
             "leave (the \"leaves\" row), while the other live containers run "
             "throughout.\n")
    o.append("| N | events | median | p90 | p99 | max | timeouts |")
    o.append("|---:|---|---:|---:|---:|---:|---:|")
    for s in runs:
        rows = [("all", "all (%d timed)" % s["ok"], s["timeouts"]),
                ("first10", "first 10", ""), ("last10", "last 10", "")]
        if s.get("leave", {}).get("n"):
            rows.append(("leave", "leaves (%d timed)" % s["leave"]["n"],
                         s.get("leave_timeouts", 0)))
        for key, label, tmo in rows:
            st = s[key]
            o.append("| %s | %s | %s | %s | %s | %s | %s |" % (
                size_label(s), label, fmt(st["median"]), fmt(st["p90"]),
                fmt(st["p99"]), fmt(st["max"]), tmo))
    o.append("")
    o.append("Median by position in the run (events split into ten equal "
             "slices, in order), to show the growth with the number of "
             "containers already known:\n")
    o.append("| N | " + " | ".join("%d0%%" % (k + 1) for k in range(10)) + " |")
    o.append("|---:|" + "---:|" * 10)
    for s in runs:
        ev = s["events"]
        cells = []
        for k in range(10):
            part = ev[k * len(ev) // 10:(k + 1) * len(ev) // 10]
            cells.append(fmt(stats([e["ms"] for e in part if "ms" in e])["median"])
                         if part else "-")
        o.append("| %s | %s |" % (size_label(s), " | ".join(cells)))
    o.append("")
    if any("daemon_ms" in s for s in runs):
        o.append("The daemon's own figure, from its log line `applied 1 change in X "
                 "ms`, for comparison: from the daemon reading the first event to the "
                 "end of its reconcile (the commit, then logging the new port). "
                 "The difference to the table above is roughly the kernel's "
                 "event delivery and the daemon's wake-up:\n")
        o.append("| N | events | median | p90 | p99 | max |")
        o.append("|---:|---|---:|---:|---:|---:|")
        for s in runs:
            d = s.get("daemon_ms")
            if not d:
                continue
            for key, label in (("all", "all (%d lines)" % d["all"]["n"]),
                               ("first10", "first 10"), ("last10", "last 10")):
                st = d[key]
                o.append("| %s | %s | %s | %s | %s | %s |" % (
                    size_label(s), label, fmt(st["median"]), fmt(st["p90"]),
                    fmt(st["p99"]), fmt(st["max"])))
        o.append("")
    o.append("## Checks\n")
    o.append("The load average and the other network namespaces in /run/netns "
             "(the daemon's discovery looks at every one of them) say how busy "
             "the machine was: on a shared machine, compare runs only with "
             "similar figures there.\n")
    for s in runs:
        o.append("- N=%s: %d/%d events timed, %d timeouts, %d lost-notification "
                 "events; first %d events checked (element live right after the "
                 "first daemon commit): %s; live hub `links4` elements at the end: %s "
                 "(want %s); daemon VmHWM %s kB; daemon log: %s; foreign commits seen: %d; "
                 "load average (1/5/15 min) %s; other sessions' network "
                 "namespaces in /run/netns %s."
                 % (size_label(s), s["ok"], s.get("events_asked", s["n"]), s["timeouts"],
                    s["lost"], s["checked"],
                    "all ok" if not s["check_failures"] else
                    "NOT live for events %s" % s["check_failures"],
                    s.get("final_elements", "?"), s.get("want_elements", s["n"]),
                    s.get("daemon_vmhwm_kb", "?"),
                    s.get("log_note", "?"), len(s["foreign_commits"]),
                    s.get("load", "?"), s.get("other_netns", "?")))
    o.append("")
    text = "\n".join(o)
    with open(a.out, "w") as f:
        f.write(text)
    print_table(runs, sys.stdout)
    return 0


def daemon_stats(a):
    """Stats of the daemon's `applied N change(s) in X ms` log lines."""
    import re
    ms = []
    with open(a.daemon_log, errors="replace") as f:
        for line in f:
            m = re.search(r"applied (\d+) changes? in ([0-9.]+) ms", line)
            if m:
                ms.append(float(m.group(2)))
    ms = ms[1:] if a.skip_first else ms     # the start-up reconcile
    out = {"all": stats(ms), "first10": stats(ms[:10]), "last10": stats(ms[-10:])}
    with open(a.json, "w") as f:
        json.dump(out, f, indent=1)
    return 0


def annotate(a):
    with open(a.json) as f:
        s = json.load(f)
    for kv in a.annotate:
        k, _, v = kv.partition("=")
        s[k] = int(v) if v.isdigit() else v
    with open(a.json, "w") as f:
        json.dump(s, f, indent=1)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--daemon-pid", type=int)
    ap.add_argument("--bridge", default="docker0")
    ap.add_argument("--ports", help="comma-separated host-side ports, in order")
    ap.add_argument("--addrs", help="comma-separated container addresses (for the checks)")
    ap.add_argument("--hub", default="172.17.0.2")
    ap.add_argument("--hub-port", default="80")
    ap.add_argument("--check-first", type=int, default=5,
                    help="check the element is live after the first N events")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--gap", type=float, default=0.020)
    ap.add_argument("--gap-auto", action="store_true",
                    help="gap at least 1.2 times the last event's latency")
    ap.add_argument("--events", type=int, default=0,
                    help="cycle over the ports (join, then leave) until this many joins")
    ap.add_argument("--budget", type=float, default=0.0,
                    help="stop starting events after this many seconds")
    ap.add_argument("--rcvbuf", type=int, default=8 << 20)
    ap.add_argument("--json", help="write the summary here")
    ap.add_argument("--report", nargs="+", metavar="JSON",
                    help="render markdown from these summaries")
    ap.add_argument("--out", help="markdown output for --report")
    ap.add_argument("--daemon-log", help="summarise the daemon's log into --json")
    ap.add_argument("--skip-first", action="store_true")
    ap.add_argument("--annotate", nargs="+", metavar="KEY=VALUE",
                    help="add keys to the summary --json")
    ap.add_argument("--count-hub", action="store_true",
                    help="print how many live links4 elements lead to the hub")
    a = ap.parse_args()
    if a.report:
        if not a.out:
            ap.error("--report needs --out")
        return report(a)
    if a.daemon_log:
        return daemon_stats(a)
    if a.annotate:
        return annotate(a)
    if a.count_hub:
        return count_hub(a)
    if a.daemon_pid is None or not a.ports:
        ap.error("--daemon-pid and --ports are required")
    return measure(a)


if __name__ == "__main__":
    sys.exit(main())
