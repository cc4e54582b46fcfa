#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Golden files (pfctl's pfN.in/pfN.ok): for each tests/golden/NAME.conf,
#  a) `icc-policy -c NAME.conf show`, run in tests/golden, exits 0, prints
#     nothing on stderr and exactly NAME.nft on stdout;
#  b) nft accepts that output (`nft -c -f`);
#  c) round trip: once nft has loaded it (`nft -f`), `icc-policy diff`
#     reads the table back, exits 0 and says "in sync": what the kernel
#     made of our text is exactly what icc-policy would have made.
# b) and c) need root, nft and ip; they run only inside a network
# namespace made here (iccgPID, removed on exit), never in the caller's.
# Without them they are skipped, or fail under CI=true. Then: each
# policies/X.conf has its copy policy-X.conf here (so its golden cannot go
# stale), and `show` with an invalid policy exits 1 with nothing on stdout.
# Output is TAP.
#
# Env: ICC_POLICY = the icc-policy binary, ICC_SRCDIR = the source top dir.
# To record a new golden file: cd tests/golden &&
#   $ICC_POLICY -c NAME.conf show > NAME.nft    (then read it!)

if [ -z "$ICC_POLICY" ]; then
	echo "Bail out! ICC_POLICY is not set"
	exit 99
fi
case $ICC_POLICY in
/*) ;;
*/*) ICC_POLICY=$(pwd)/$ICC_POLICY ;;
esac
top=${ICC_SRCDIR:-.}
dir=$top/tests/golden
tmp=$(mktemp -d) || { echo "Bail out! mktemp failed"; exit 99; }
ns=
cleanup() {
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

set -- "$dir"/*.conf
if [ ! -e "$1" ]; then
	echo "1..0 # SKIP no cases in $dir"
	exit 0
fi
nconf=$#
set -- "$top"/policies/*.conf
[ -e "$1" ] || set --
echo "1..$((nconf * 3 + $# + 1))"

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	fail=1
}
# A missing prerequisite: a failure under CI=true, a skip otherwise.
skip() {
	if [ "$CI" = true ]; then
		notok "$1: $2 (required under CI=true)"
	else
		n=$((n + 1))
		echo "ok $n - $1 # SKIP $2"
	fi
}
# Shows a file as TAP diagnostics.
diag() { [ -s "$2" ] && sed "s/^/# $1/" "$2"; }

# Runs a command inside the throwaway namespace, and nowhere else.
in_ns() { ip netns exec "$ns" "$@"; }

# The namespace for b) and c).
why_no_ns=
why_no_rt=
if [ "$(id -u)" -ne 0 ]; then
	why_no_ns="not root"
elif ! command -v nft >/dev/null 2>&1; then
	why_no_ns="nft not found"
elif ! command -v ip >/dev/null 2>&1; then
	why_no_ns="ip not found"
elif ! ip netns add "iccg$$" 2>"$tmp/err"; then
	why_no_ns="cannot create a network namespace: $(head -n 1 "$tmp/err")"
else
	ns=iccg$$
	# diff also compares the kernel knobs: make ip_forward what policies
	# with egress want, so that only the table decides. The bridges do
	# not exist here; diff only warns about them.
	in_ns sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward' 2>/dev/null
	in_ns sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding' 2>/dev/null
	# br_netfilter's sysctls: diff refuses to work without them.
	in_ns test -d /proc/sys/net/bridge || why_no_rt="br_netfilter is not loaded"
fi

for conf in "$dir"/*.conf; do
	name=$(basename "$conf" .conf)
	out=$tmp/$name.nft

	# a) show equals the recorded ruleset.
	(cd "$dir" && exec "$ICC_POLICY" -c "$name.conf" show) \
		>"$out" 2>"$tmp/err"
	rc=$?
	why=
	if [ ! -f "$dir/$name.nft" ]; then
		why="$name.nft is missing"
	elif [ "$rc" -ne 0 ]; then
		why="exit status $rc, expected 0"
	elif [ -s "$tmp/err" ]; then
		why="output on stderr"
	elif ! cmp -s "$dir/$name.nft" "$out"; then
		why="output differs from $name.nft"
	fi
	if [ -z "$why" ]; then
		ok "$name: show matches $name.nft"
	else
		notok "$name: show: $why"
		[ -f "$dir/$name.nft" ] && diff -u "$dir/$name.nft" "$out" | sed 's/^/# /'
		diag "stderr: " "$tmp/err"
	fi

	# b) nft accepts it.
	if [ -n "$why_no_ns" ]; then
		skip "$name: nft -c accepts the output" "$why_no_ns"
	elif in_ns nft -c -f "$out" >"$tmp/nft" 2>&1; then
		ok "$name: nft -c accepts the output"
	else
		notok "$name: nft -c refuses the output"
		diag "nft: " "$tmp/nft"
	fi

	# c) round trip through the kernel.
	desc="$name: loaded by nft, diff says in sync"
	if [ -n "$why_no_ns" ]; then
		skip "$desc" "$why_no_ns"
		continue
	elif [ -n "$why_no_rt" ]; then
		skip "$desc" "$why_no_rt"
		continue
	fi
	in_ns nft flush ruleset
	if ! in_ns nft -f "$out" >"$tmp/nft" 2>&1; then
		notok "$desc: nft -f refuses the output"
		diag "nft: " "$tmp/nft"
		continue
	fi
	(cd "$dir" && exec ip netns exec "$ns" "$ICC_POLICY" -c "$name.conf" diff) \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	echo "in sync: tables inet icc and bridge icc match $name.conf" >"$tmp/want"
	if [ "$rc" -eq 0 ] && cmp -s "$tmp/want" "$tmp/out"; then
		ok "$desc"
	else
		notok "$desc: exit status $rc"
		diag "stdout: " "$tmp/out"
		diag "stderr: " "$tmp/err"
		in_ns nft list table inet icc 2>&1 | sed 's/^/# live: /'
	fi
	in_ns nft flush ruleset
done

# Each example policy has its golden copy, identical.
for pol; do
	name=policy-$(basename "$pol")
	if cmp -s "$pol" "$dir/$name"; then
		ok "$name is a copy of policies/$(basename "$pol")"
	else
		notok "tests/golden/$name is not a copy of policies/$(basename "$pol") (cp it, then record and read its .nft)"
	fi
done

# An invalid policy: exit 1, problems on stderr, nothing on stdout.
printf 'version = 1;\nbridges = ( { name = "br0"; subnet = "10.0.0.1/24"; } );\n' \
	>"$tmp/bad.conf"
"$ICC_POLICY" -c "$tmp/bad.conf" show >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 1 ] && [ ! -s "$tmp/out" ] && [ -s "$tmp/err" ]; then
	ok "show with an invalid policy: exit 1, nothing on stdout"
else
	notok "show with an invalid policy: exit status $rc, expected 1 with nothing on stdout"
	diag "stdout: " "$tmp/out"
	diag "stderr: " "$tmp/err"
fi
exit $fail
