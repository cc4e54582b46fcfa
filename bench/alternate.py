#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Runs competing commands side by side, alternating (A, B, C, A, B, C, ...),
and records each run's wall time, exit code, peak RSS and first output line.

  alternate.py --reps R [--warmup W] [--budget S] [--timeout S] [--rss] --out FILE \\
      --variant NAME [--setup 'SHELL'] [--metric time|stdout] [--ok-rc 0,1] \\
                     --cmd 'CMD' [--cmd 'CMD2'] \\
      --variant ...

Every repetition runs each variant once, in the order given: first its
--setup (through sh -c, untimed: say a flush), then its command (split like
a shell would, but exec'd directly, so that no shell start is timed). A
variant with several --cmd runs the next one at each repetition (rep r runs
cmd r mod k): two policy files in turn, for instance.

Run it inside the network namespace under test (ip netns exec NS ...), so
that no `ip netns exec` is timed either.

--metric time (default) records the wall time in ms (CLOCK_MONOTONIC, from
just before fork to wait4's return); --metric stdout records the first
number the command prints (connrate's connections/s). A run counts as
successful when its exit code is in --ok-rc (default 0; `diff` exits 1 when
it finds changes). --budget stops after the repetition in which S seconds
have passed (recorded as budget_hit), so that a slow tool cannot make the
run hang; --timeout kills one command after S seconds (recorded).

Peak RSS: wait4's ru_maxrss of a child forked from Python is at least
Python's own peak (the child's memory before exec counts), so it is kept
only as maxrss_kb with rss_floor_kb beside it. --rss adds, after the timed
repetitions, one untimed run of each variant under /usr/bin/time -f %M,
whose small fork sets no such floor: rss_kb.

Python 3 standard library only.
"""
import json
import os
import re
import resource
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time


def usage(msg):
    sys.exit("alternate.py: %s (see --help)" % msg)


def parse_args(argv):
    """Global options, then one dict per --variant."""
    g = {"reps": 5, "warmup": 1, "budget": 0.0, "timeout": 600.0, "out": None, "rss": False}
    variants = []
    it = iter(argv)
    for arg in it:
        if arg in ("-h", "--help"):
            print(__doc__)
            sys.exit(0)
        if arg == "--rss":
            g["rss"] = True
            continue
        try:
            val = next(it)
        except StopIteration:
            usage("%s needs a value" % arg)
        if arg == "--variant":
            variants.append({"name": val, "setup": None, "metric": "time", "cmds": [],
                             "ok_rc": [0]})
        elif arg in ("--setup", "--metric", "--cmd", "--ok-rc") and variants:
            v = variants[-1]
            if arg == "--cmd":
                v["cmds"].append(shlex.split(val))
            elif arg == "--ok-rc":
                v["ok_rc"] = [int(x) for x in val.split(",")]
            else:
                v[arg[2:]] = val
        elif arg in ("--reps", "--warmup"):
            g[arg[2:]] = int(val)
        elif arg in ("--budget", "--timeout"):
            g[arg[2:]] = float(val)
        elif arg == "--out":
            g["out"] = val
        else:
            usage("unknown or misplaced option %s" % arg)
    if not variants or any(not v["cmds"] for v in variants):
        usage("each --variant needs a --cmd")
    if not g["out"]:
        usage("--out is required")
    return g, variants


def run_setup(v):
    if not v["setup"]:
        return
    r = subprocess.run(["sh", "-c", v["setup"]], capture_output=True, text=True,
                       timeout=600)
    if r.returncode != 0:
        sys.exit("alternate.py: setup of %s failed: %s\n%s" % (v["name"], v["setup"],
                                                               r.stderr))


def run_timed(cmd, timeout):
    """(ms, rc, maxrss_kb, stdout, stderr, timed_out) of one run."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic_ns()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        killed = []
        timer = threading.Timer(timeout, lambda: (killed.append(1),
                                                  os.kill(p.pid, signal.SIGKILL)))
        timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        t1 = time.monotonic_ns()
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)   # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return ((t1 - t0) / 1e6, p.returncode, ru.ru_maxrss,
                out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                bool(killed))


def sample(v, rep, timeout):
    cmd = v["cmds"][rep % len(v["cmds"])]
    ms, rc, rss, out, err, killed = run_timed(cmd, timeout)
    s = {"ms": round(ms, 3), "rc": rc, "ok": rc in v["ok_rc"] and not killed,
         "maxrss_kb": rss,
         "out": out.strip().splitlines()[0][:200] if out.strip() else "",
         "cmd": " ".join(cmd)}
    if killed:
        s["timeout"] = True
    if not s["ok"] and err.strip():
        s["err"] = err.strip()[-300:]
    if v["metric"] == "stdout":
        m = re.search(r"[0-9]+(\.[0-9]+)?", out)
        s["value"] = float(m.group(0)) if m else None
    else:
        s["value"] = s["ms"]
    return s


def rss_run(v, rep, timeout):
    """Peak RSS (kB) of one untimed run under /usr/bin/time, or None."""
    with tempfile.NamedTemporaryFile(mode="r") as f:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", f.name] + v["cmds"][rep % len(v["cmds"])]
        try:
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=timeout)
            return int(f.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError, subprocess.SubprocessError):
            return None


def main():
    g, variants = parse_args(sys.argv[1:])
    for v in variants:
        v["samples"] = []
    # Warm-up rounds (page cache, first-apply sysctls): run, not recorded.
    for rep in range(g["warmup"]):
        for v in variants:
            run_setup(v)
            sample(v, rep, g["timeout"])
    t0 = time.monotonic()
    budget_hit = False
    done = 0
    for rep in range(g["reps"]):
        for v in variants:
            run_setup(v)
            v["samples"].append(sample(v, rep + g["warmup"], g["timeout"]))
        done += 1
        if g["budget"] and time.monotonic() - t0 > g["budget"] and rep + 1 < g["reps"]:
            budget_hit = True
            break
    if g["rss"] and os.access("/usr/bin/time", os.X_OK):
        for v in variants:
            run_setup(v)
            v["rss_kb"] = rss_run(v, done + g["warmup"], g["timeout"])
    res = {"reps_asked": g["reps"], "reps_done": done, "budget_hit": budget_hit,
           "budget_s": g["budget"], "warmup": g["warmup"],
           "rss_floor_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
           "variants": [{"name": v["name"], "setup": v["setup"], "metric": v["metric"],
                         "ok_rc": v["ok_rc"], "rss_kb": v.get("rss_kb"),
                         "samples": v["samples"]} for v in variants]}
    with open(g["out"], "w") as f:
        json.dump(res, f, indent=1)
    for v in variants:
        vals = sorted(s["value"] for s in v["samples"] if s["ok"] and s["value"] is not None)
        med = vals[(len(vals) - 1) // 2] if vals else float("nan")
        print("alternate: %-28s median %10.2f  n=%d" % (v["name"], med, len(vals)),
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
