#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/run's reporting.

  report.py env --out FILE --mode M --icc-policy P --icc-policyd D --srcdir S
                --copy COPY --netns-prefix PFX
      the machine and the build under test, as JSON
  report.py render --dir TMP --out RESULTS.md
      RESULTS.md from the measurements bench/run left in TMP

Every figure is a median with its spread (min-max) and count; ratios are
of medians. Python 3 standard library only.
"""
import argparse
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import time

# ---------------------------------------------------------------- env


def sh(*cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (r.stdout or r.stderr).strip().splitlines()[0] if (r.stdout or r.stderr) else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "?"


def env(a):
    # The commit of the tree the binary under test lives in (ICC_POLICY may
    # point at another checkout than the one bench/run is in).
    tree = os.path.dirname(os.path.realpath(a.icc_policy))
    if sh("git", "-C", tree, "rev-parse", "--is-inside-work-tree") != "true":
        tree = a.srcdir
    git = ["git", "-C", tree]
    dirty = sh(*git, "status", "--porcelain", "--", "src", "include")
    netns = [ln.split()[0] for ln in sh_all("ip", "netns", "list") if ln.strip()]
    e = {
        "mode": a.mode,
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "kernel": os.uname().release,
        "nft": sh("nft", "--version"),
        "iptables": sh("iptables-nft-restore", "--version"),
        "python": sys.version.split()[0],
        "tree": tree,
        "commit": sh(*git, "rev-parse", "HEAD"),
        "branch": sh(*git, "rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(dirty),
        "icc_policy": "%s (sha256 %s)" % (a.icc_policy, sha(a.copy)),
        "icc_policyd": "%s (sha256 %s)" % (a.icc_policyd, sha(a.icc_policyd)),
        "loadavg_start": open("/proc/loadavg").read().split()[:3],
        "other_netns": len([n for n in netns if not n.startswith(a.netns_prefix)]),
        "conntrack_max": read_first("/proc/sys/net/netfilter/nf_conntrack_max"),
    }
    with open(a.out, "w") as f:
        json.dump(e, f, indent=1)
    return 0


def sh_all(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return []


def read_first(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return "?"

# ---------------------------------------------------------------- statistics


def stats(v):
    v = sorted(x for x in v if x is not None)
    if not v:
        return {"n": 0, "median": None, "min": None, "max": None}
    m = len(v) // 2
    med = v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2
    return {"n": len(v), "median": med, "min": v[0], "max": v[-1]}


def num(x, unit=""):
    if x is None:
        return "-"
    if abs(x) >= 100:
        s = "{:,.0f}".format(x)
    elif abs(x) >= 10:
        s = "%.1f" % x
    else:
        s = "%.2f" % x
    return s + unit


def spread(st, unit=""):
    if not st["n"]:
        return "-"
    return "%s-%s" % (num(st["min"]), num(st["max"], unit))


def ratio(a, b):
    return a / b if a is not None and b else None


def verdict(ok):
    return "-" if ok is None else ("met" if ok else "**missed**")


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def variant(run, name):
    for v in run["variants"]:
        if v["name"] == name:
            return v
    return None


def values(v):
    return [s["value"] for s in v["samples"] if s["ok"] and s["value"] is not None]


def failures(v):
    bad = [s for s in v["samples"] if not s["ok"]]
    return "%d failed (%s)" % (len(bad), bad[0].get("err", "rc %s" % bad[0].get("rc"))[:120]) \
        if bad else ""


def mb(kb):
    return kb / 1024 if kb else None

# ---------------------------------------------------------------- sections


class Report:
    def __init__(self, d):
        self.d = d
        self.o = []
        self.targets = []      # (number, what, result, target, met)

    def p(self, *lines):
        self.o.extend(lines)

    def target(self, num_, what, result, target, ok):
        self.targets.append((num_, what, result, target, verdict(ok)))

    # 1 --------------------------------------------------------------
    def m1(self):
        runs = []
        for path in glob.glob(os.path.join(self.d, "m1-[0-9]*.json")):
            size = int(re.search(r"m1-(\d+)\.json$", path).group(1))
            runs.append((size, load(path)))
        runs.sort()
        self.p("## 1. Apply from scratch", "",
               "Each run starts from an empty ruleset (`nft flush ruleset`, untimed) in "
               "the same namespace; the three tools alternate, one repetition each in "
               "turn, after one untimed warm-up round. `nft -f` loads exactly the text "
               "`icc-policy show` prints; `iptables-nft-restore` loads one `FORWARD` rule "
               "per link (`-s A -d B -p tcp --dport P -j ACCEPT`) after a conntrack "
               "`ESTABLISHED,RELATED` rule and before a `DROP`. Wall time of the command, "
               "ms. Peak RSS: one more untimed run of each under `/usr/bin/time -f %M`.", "",
               "| containers (links) | tool | median ms | min-max | n | x icc-policy | peak RSS MB |",
               "|---:|---|---:|---:|---:|---:|---:|")
        largest = None
        for size, run in runs:
            icc = variant(run, "icc-policy apply")
            icc_st = stats(values(icc))
            for v in run["variants"]:
                st = stats(values(v))
                r = ratio(st["median"], icc_st["median"])
                self.p("| %s (%s) | %s | %s | %s | %d | %s | %s |" % (
                    "{:,}".format(size), "{:,}".format(size * 10), v["name"], num(st["median"]),
                    spread(st), st["n"], "%.2f" % r if r else "-", num(mb(v.get("rss_kb")))))
            nft = stats(values(variant(run, "nft -f")))
            largest = (size, icc_st, nft, run)
        notes = []
        for size, run in runs:
            for v in run["variants"]:
                f = failures(v)
                if f:
                    notes.append("%s at %d: %s" % (v["name"], size, f))
            if run.get("budget_hit"):
                notes.append("at %d: the time budget (%.0f s) stopped the run after %d of %d "
                             "repetitions" % (size, run["budget_s"], run["reps_done"],
                                              run["reps_asked"]))
        chk = load(os.path.join(self.d, "m1-check.json"), {})
        if chk:
            notes.append("check: after `nft -f` of the `show` text at %d containers, "
                         "`icc-policy diff` says %s" % (chk["size"], "in sync" if chk["nft_f_in_sync"]
                                                         else "NOT in sync"))
        first_out = ""
        if runs:
            s = variant(runs[-1][1], "icc-policy apply")["samples"]
            first_out = s[0]["out"] if s else ""
        if first_out:
            notes.append("icc-policy apply at %d printed: `%s`" % (runs[-1][0], first_out))
        self.p("")
        for n in notes:
            self.p("- " + n)
        self.p("")
        if largest:
            size, icc_st, nft, run = largest
            r = ratio(icc_st["median"], nft["median"])
            where = "" if size == 10000 else " (at %s: quick mode)" % "{:,}".format(size)
            self.target("1", "apply from scratch at 10,000: icc-policy / nft -f" + where,
                        "%s ms / %s ms = %.2fx" % (num(icc_st["median"]), num(nft["median"]), r)
                        if r else "-", "<= 0.5x", r <= 0.5 if r else None)
            self.cli_rss = (size, {v["name"]: v.get("rss_kb") for v in run["variants"]})

    # 2-3 ------------------------------------------------------------
    def m2(self):
        run = load(os.path.join(self.d, "m2.json"))
        if not run:
            return
        size = self.m2_size(run)
        self.p("## 2-3. Apply and diff on the live ruleset", "",
               "At %s containers (%s links), the policy applied beforehand. The "
               "variants alternate; \"one link changed\" applies, in turn, two policy "
               "files that differ in one link's port (`gen_policy.py --change`), and "
               "the other three then run against the file just made live. One "
               "untimed warm-up round." % ("{:,}".format(size), "{:,}".format(size * 10)), "",
               "| variant | median ms | min-max | n | output (first line, every run) |",
               "|---|---:|---:|---:|---|")
        res = {}
        for v in run["variants"]:
            st = stats(values(v))
            outs = sorted(set(re.sub(r"/\S+", "FILE", s["out"]) for s in v["samples"]))
            self.p("| %s | %s | %s | %d | %s |" % (v["name"], num(st["median"]), spread(st),
                                                  st["n"], "; ".join("`%s`" % o for o in outs)))
            res[v["name"]] = (st, v)
        self.p("")
        for v in run["variants"]:
            f = failures(v)
            if f:
                self.p("- %s: %s" % (v["name"], f))
        where = "" if size == 10000 else " (at %s: quick mode)" % "{:,}".format(size)
        changes = sorted(set(int(m.group(1)) for s in res["apply, one link changed"][1]["samples"]
                             for m in [re.search(r"applied (\d+) change", s["out"])] if m))
        st = res["apply, nothing changed"][0]
        self.target("2", "apply, nothing changed, at 10,000" + where, num(st["median"], " ms"),
                    "<= 50 ms", st["median"] <= 50 if st["n"] else None)
        st = res["apply, one link changed"][0]
        self.target("2", "apply, one link changed, at 10,000" + where,
                    "%s (changes per apply: %s)" % (num(st["median"], " ms"),
                                                     ", ".join(map(str, changes)) or "?"),
                    "<= 50 ms; 1-2 changes",
                    st["median"] <= 50 and changes and max(changes) <= 2 if st["n"] else None)
        st = res["diff, in sync"][0]
        self.target("3", "diff against the live ruleset, at 10,000" + where,
                    num(st["median"], " ms"), "<= 100 ms", st["median"] <= 100 if st["n"] else None)
        self.p("")

    @staticmethod
    def m2_size(run):
        cmd = run["variants"][0]["samples"][0]["cmd"] if run["variants"][0]["samples"] else ""
        m = re.search(r"/p(\d+)(-b)?\.conf", cmd)
        return int(m.group(1)) if m else 0

    # 4, 6 -----------------------------------------------------------
    def m4(self):
        runs = []
        for path in glob.glob(os.path.join(self.d, "ev", "run-*.json")):
            s = load(path)
            if s:
                s["daemon_ms"] = load(path[:-5] + ".daemon", {})
                runs.append(s)
        runs.sort(key=lambda s: s.get("known", s["n"]))
        self.p("## 4. Event to enforcement (icc-policyd)", "",
               "`bench/event-latency.sh` (called by bench/run): from the `RTM_NEWLINK` "
               "request that puts a container's veth on docker0 to the nf_tables commit "
               "notification from the daemon's pid. The policy names a hub and K "
               "containers, N of them live namespaces (the rest static addresses with "
               "10 links each among themselves, `gen_policy.py`); the ports not "
               "measured join before the daemon starts, so that it knows many running "
               "containers. With N >= 2 x events, each measured port joins once; "
               "otherwise joins cycle over a few ports, each followed by its leave "
               "(timed too). Events are spaced by at least 1.2 x the last latency, so "
               "that the daemon's throttle (no reconcile sooner than the last one took) "
               "does not count. Percentiles nearest-rank; timeouts (5 s) are reported, "
               "not waited out; a time budget stops starting events.", "",
               "| K known (N live, running at start) | events | p50 ms | p99 ms | min-max | "
               "timeouts | daemon's own ms (p50, joins and leaves) | daemon VmHWM MB | daemon start ms |",
               "|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for s in runs:
            rows = [("joins", s["all"], s["timeouts"])]
            if s.get("leave", {}).get("n"):
                rows.append(("leaves", s["leave"], s.get("leave_timeouts", 0)))
            for label, st, tmo in rows:
                dm = s["daemon_ms"].get("all", {}).get("median") if label == "joins" else None
                self.p("| %s (%d, %d) | %s %d%s | %s | %s | %s | %d | %s | %s | %s |" % (
                    "{:,}".format(s.get("known", s["n"])), s.get("live", s["n"]),
                    s.get("running", 0), label, st["n"],
                    " (budget hit)" if s.get("budget_hit") and label == "joins" else "",
                    num(st["median"]), num(st["p99"]), spread(st), tmo, num(dm),
                    num(s.get("daemon_vmhwm_kb", 0) / 1024) if label == "joins" else "",
                    s.get("daemon_start_ms", "") if label == "joins" else ""))
        self.p("")
        for s in runs:
            self.p("- K=%s: %s; live hub elements at the end %s (want %s); measurer exit %s; "
                   "load %s." % ("{:,}".format(s.get("known", s["n"])), s.get("log_note", "?"),
                                s.get("final_elements", "?"), s.get("want_elements", "?"),
                                s.get("measurer_exit", "?"), s.get("load", "?")))
        self.p("")
        if len(runs) >= 2:
            lo, hi = runs[0], runs[-1]
            k = "{:,}".format(hi.get("known", hi["n"]))
            where = "" if hi.get("known") == 10000 else " (K=%s: quick mode)" % k
            p99 = hi["all"]["p99"]
            self.target("4", "event p99 at K=10,000" + where,
                        "%s ms (p50 %s; %d events, %d timeouts)" % (
                            num(p99), num(hi["all"]["median"]), hi["all"]["n"], hi["timeouts"]),
                        "<= 5 ms", p99 <= 5 if p99 is not None else None)
            r = ratio(p99, lo["all"]["p99"])
            self.target("4", "event p99(K=10,000) / p99(K=10)" + where,
                        "%s / %s ms = %.1fx" % (num(p99), num(lo["all"]["p99"]), r) if r else "-",
                        "<= 1.5x", r <= 1.5 if r else None)
            hwm = hi.get("daemon_vmhwm_kb")
            self.daemon_rss = (k, hwm, where)

    # 5 --------------------------------------------------------------
    def m5(self):
        run = load(os.path.join(self.d, "m5.json"))
        if not run:
            return
        chk = load(os.path.join(self.d, "m5-check.json"), {})
        secs = re.search(r"client \S+ \d+ (\d+)", run["variants"][0]["samples"][0]["cmd"]) \
            if run["variants"][0]["samples"] else None
        self.p("## 5. Datapath: new TCP connections per second", "",
               "Two containers (namespaces da 10.0.0.2 and db 10.0.0.3) on docker0 in a "
               "host namespace; bench/connrate.c in da connects to db:5001 and closes "
               "(SO_LINGER 0) as fast as it can for %s s, one connection at a time; db "
               "accepts and closes. Each connection's SYN goes through the forward hook's "
               "policy lookup. The measured link (c0 -> c1 tcp/5001) is last in policy "
               "order. Before each run the host's ruleset is flushed and the "
               "configuration loaded (untimed); configurations alternate." %
               (secs.group(1) if secs else "?"), "",
               "| configuration | median conn/s | min-max | n | x icc 10 links |",
               "|---|---:|---:|---:|---:|")
        base = stats(values(variant(run, "icc, 10 links")))["median"]
        res = {}
        for v in run["variants"]:
            st = stats(values(v))
            r = ratio(st["median"], base)
            res[v["name"]] = st
            self.p("| %s | %s | %s | %d | %s |" % (v["name"], num(st["median"]), spread(st),
                                                  st["n"], "%.2f" % r if r else "-"))
        self.p("")
        if chk:
            self.p("Check, before measuring, that each firewall is there: connections/s "
                   "from da to db:5002, which no link allows (a server listens there; must "
                   "be 0): " + "; ".join("%s %s" % (k, num(c["denied_5002"]))
                                         for k, c in chk.items()) + ".")
            self.p("")
        for v in run["variants"]:
            f = failures(v)
            if f:
                self.p("- %s: %s" % (v["name"], f))
        r = ratio(res["icc, 10,000 links"]["median"], base)
        self.target("5", "conn/s, icc 10,000 links / 10 links",
                    "%s / %s = %.2f" % (num(res["icc, 10,000 links"]["median"]), num(base), r)
                    if r else "-", ">= 0.9", r >= 0.9 if r else None)
        lin = ratio(res["nft linear chain, 10,000 rules"]["median"], base)
        self.target("5", "(for comparison) linear nft chain, 10,000 rules / icc 10 links",
                    "%.2f" % lin if lin else "-", "-", None)
        self.p("")

    # 6 --------------------------------------------------------------
    def m6(self):
        self.p("## 6. Memory", "")
        rows = []
        if getattr(self, "daemon_rss", None):
            k, hwm, where = self.daemon_rss
            rows.append("- icc-policyd VmHWM (peak RSS, /proc/PID/status) at K=%s: %s MB" %
                        (k, num(hwm / 1024 if hwm else None)))
            self.target("6", "icc-policyd VmHWM at K=10,000" + where,
                        num(hwm / 1024 if hwm else None, " MB"), "<= 20 MB",
                        hwm / 1024 <= 20 if hwm else None)
        if getattr(self, "cli_rss", None):
            size, rss = self.cli_rss
            rows.append("- peak RSS of a from-scratch apply at %s containers (`/usr/bin/time -f "
                        "%%M`): %s" % ("{:,}".format(size), "; ".join(
                            "%s %s MB" % (k, num(mb(v))) for k, v in rss.items())))
            self.target("6", "icc-policy apply peak RSS at %s (recorded, no target)" %
                        "{:,}".format(size), num(mb(rss.get("icc-policy apply")), " MB"), "-",
                        None)
        self.p(*rows)
        self.p("")

    # ----------------------------------------------------------------
    def render(self, out):
        e = load(os.path.join(self.d, "env.json"), {})
        el = load(os.path.join(self.d, "elapsed.json"), {})
        body_start = len(self.o)
        self.m1()
        self.m2()
        self.m4()
        self.m5()
        self.m6()
        body = self.o[body_start:]
        self.o = self.o[:body_start]
        self.p("# icc-policy benchmarks (issue 6)", "",
               "Written by `bench/run%s` (%s mode) on %s, in %s s. Competing tools are "
               "measured side by side in the same run, alternating, because absolute "
               "times drift on this shared machine: compare within a table, not across "
               "runs. Medians, with min-max and the count n; ratios are of medians." % (
                   " --quick" if e.get("mode") == "quick" else "", e.get("mode", "?"),
                   e.get("date", "?"), el.get("seconds", "?")), "",
               "## Machine", "")
        for k, label in (("nproc", "nproc"), ("cpu", "CPU"), ("kernel", "Kernel (`uname -r`)"),
                         ("nft", "nft"), ("iptables", "iptables"), ("python", "Python")):
            self.p("- %s: %s" % (label, e.get(k, "?")))
        self.p("- icc-policy commit: %s (branch %s, tree %s)%s" % (
            e.get("commit", "?"), e.get("branch", "?"), e.get("tree", "?"),
            ", with uncommitted changes in src/" if e.get("dirty") else ""))
        self.p("- binaries: %s; %s" % (e.get("icc_policy", "?"), e.get("icc_policyd", "?")))
        self.p("- load average at start: %s; other network namespaces on the host: %s" % (
            " ".join(e.get("loadavg_start", [])), e.get("other_netns", "?")))
        self.p("", "## To reproduce", "",
               "As root, in a checkout of the commit above (Debian 12; `apt-get install -y "
               "iptables nftables` besides the build dependencies in README.md):", "",
               "```", "./autogen.sh && ./configure && make -j2",
               "bench/run%s" % (" --quick" if e.get("mode") == "quick" else ""), "```", "",
               "What it runs, each inside throwaway network namespaces (`$T` is its "
               "temporary directory):", "", "```")
        try:
            with open(os.path.join(self.d, "commands.txt")) as f:
                self.p(*f.read().splitlines())
        except OSError:
            pass
        self.p("```", "", "## Targets", "",
               "| # | measurement | result | target | |", "|---|---|---|---|---|")
        for t in self.targets:
            self.p("| %s | %s | %s | %s | %s |" % t)
        self.p("")
        self.o.extend(body)
        with open(out, "w") as f:
            f.write("\n".join(self.o).rstrip() + "\n")
        print("\n".join(self.o[body_start:]))
        return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    e = sub.add_parser("env")
    for opt in ("--out", "--mode", "--icc-policy", "--icc-policyd", "--srcdir", "--copy",
                "--netns-prefix"):
        e.add_argument(opt, required=True)
    r = sub.add_parser("render")
    r.add_argument("--dir", required=True)
    r.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.what == "env":
        return env(a)
    return Report(a.dir).render(a.out)


if __name__ == "__main__":
    sys.exit(main())
