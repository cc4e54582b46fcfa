#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The bad-input catalogue (pfctl's pfailN): `icc-policy -c NN-name.conf check`,
# run in tests/bad, must exit 1, print nothing on stdout, and print exactly
# NN-name.err on stderr. Output is TAP.
#
# Env: ICC_POLICY = the icc-policy binary, ICC_SRCDIR = the source top dir.

if [ -z "$ICC_POLICY" ]; then
	echo "Bail out! ICC_POLICY is not set"
	exit 99
fi
# The test cds into tests/bad; keep a relative binary path working.
case $ICC_POLICY in
/*) ;;
*/*) ICC_POLICY=$(pwd)/$ICC_POLICY ;;
esac
dir=${ICC_SRCDIR:-.}/tests/bad
tmp=$(mktemp -d) || { echo "Bail out! mktemp failed"; exit 99; }
trap 'rm -rf "$tmp"' EXIT

set -- "$dir"/*.conf
if [ ! -e "$1" ]; then
	echo "1..0 # SKIP no cases in $dir"
	exit 0
fi
echo "1..$#"
n=0
fail=0
for conf; do
	n=$((n + 1))
	name=$(basename "$conf" .conf)
	(cd "$dir" && exec "$ICC_POLICY" -c "$name.conf" check) \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	why=
	if [ ! -f "$dir/$name.err" ]; then
		why="$name.err is missing"
	elif [ "$rc" -ne 1 ]; then
		why="exit status $rc, expected 1"
	elif [ -s "$tmp/out" ]; then
		why="output on stdout"
	elif ! cmp -s "$dir/$name.err" "$tmp/err"; then
		why="stderr differs from $name.err"
	fi
	if [ -z "$why" ]; then
		echo "ok $n - $name"
		continue
	fi
	echo "not ok $n - $name: $why"
	fail=1
	[ -f "$dir/$name.err" ] && diff -u "$dir/$name.err" "$tmp/err" | sed 's/^/# /'
	[ -s "$tmp/out" ] && sed 's/^/# stdout: /' "$tmp/out"
done
exit $fail
