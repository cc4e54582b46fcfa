#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Before and after: two icc-policy binaries side by side, alternating, on
# the live ruleset of N containers with ten links each (default 10,000):
# apply with nothing changed, diff in sync, and apply of one changed link.
#
#   sudo bench/compare.sh OLD_BINARY NEW_BINARY [N]
#
# Build the old one from another checkout (git worktree add /tmp/old REV;
# cd /tmp/old && ./autogen.sh && ./configure && make). Everything runs in
# one throwaway network namespace (removed on exit); bench/alternate.py
# runs the two in turn and prints medians.
set -eu

[ $# -ge 2 ] || { echo "usage: $0 OLD_BINARY NEW_BINARY [N]" >&2; exit 2; }
OLD=$(realpath "$1")
NEW=$(realpath "$2")
N=${3:-10000}
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYTHON=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}
NS=icccmp$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/icc-compare.XXXXXX")
cleanup() { ip netns del "$NS" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

"$PYTHON" "$BENCH_DIR/gen_policy.py" "$N" 10 >"$TMP/a.conf"
"$PYTHON" "$BENCH_DIR/gen_policy.py" "$N" 10 --change >"$TMP/b.conf"
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add docker0 type bridge
ip -n "$NS" link add eth0 type veth peer name eth1
for l in docker0 eth0 eth1; do ip -n "$NS" link set "$l" up; done
# The record of the live ruleset in a folder of this run's (see icc-policy(8)).
export ICC_POLICY_CACHE=$TMP/cache
mkdir -m 700 "$ICC_POLICY_CACHE"

run() { ip netns exec "$NS" "$PYTHON" "$BENCH_DIR/alternate.py" "$@"; }
ip netns exec "$NS" "$NEW" -c "$TMP/a.conf" apply >/dev/null
echo "== nothing changed, and diff in sync ($N containers)"
run --reps 15 --warmup 2 --out "$TMP/noop.json" \
	--variant old-apply --cmd "$OLD -c $TMP/a.conf apply" \
	--variant new-apply --cmd "$NEW -c $TMP/a.conf apply" \
	--variant old-diff --cmd "$OLD -c $TMP/a.conf diff" \
	--variant new-diff --cmd "$NEW -c $TMP/a.conf diff"
# Each run changes one link: old applies b over a, new a over b.
echo "== one link changed ($N containers)"
run --reps 16 --warmup 2 --out "$TMP/edit.json" \
	--variant old-edit --cmd "$OLD -c $TMP/b.conf apply" \
	--variant new-edit --cmd "$NEW -c $TMP/a.conf apply"
