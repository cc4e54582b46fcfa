#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Crashes mid-apply: `icc-policy apply` killed with SIGKILL at random
# moments, 100 times; each time the live table is exactly the old one or
# exactly the new one (one netlink transaction: all or nothing), and both
# outcomes happen, so the kills really land during the work.
. "$(dirname "$0")/lib.sh"
e2e_init

ROUNDS=100
plan 5

mkns H
mkbridge H docker0 172.17.0.1/16

many() {	# PORT: 400 containers, a link from each to the next on tcp/PORT
	local i
	echo 'version = 1;'
	echo 'bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; } );'
	echo 'containers = {'
	for i in $(seq 400); do echo "  c$i = { bridge = \"docker0\"; ip = \"172.17.$((i / 200 + 1)).$((i % 200 + 2))\"; };"; done
	echo '};'
	echo 'links = ('
	for i in $(seq 399); do echo "  { from = \"c$i\"; to = \"c$((i + 1))\"; ports = [ \"tcp/$1\", \"udp/$1-$(($1 + 9))\" ]; }$([ "$i" -lt 399 ] && echo ,)"; done
	echo ');'
}
A=$(many 80 | policy a)
B=$(many 443 | policy b)
live() { nsx H nft list table inet icc 2>/dev/null | md5sum | cut -d' ' -f1; }

icc_apply_or_bail H "$A"
MA=$(live)
icc_apply_or_bail H "$B"
MB=$(live)
[ "$MA" != "$MB" ] && pass "the two policies make different tables" || fail "the two policies make different tables"

# How long an apply A -> B takes here, started the way the rounds start
# it, to spread the kills over it: the shortest of three, since one slow
# run on a busy machine would put most kills after the commit.
took=
for r in 1 2 3; do
	icc_apply_or_bail H "$A"
	t0=$(date +%s%N)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		timeout "$ICC_TIMEOUT" ip netns exec "$(ns H)" "$ICC_POLICY" -c "$B" apply >/dev/null 2>&1 ||
		bail "apply A -> B failed"
	t=$(( ($(date +%s%N) - t0) / 1000 ))	# microseconds
	[ -z "$took" ] || [ "$t" -lt "$took" ] && took=$t
done
diag "apply A -> B takes ${took} us here"

# The window follows the outcomes: a kill that found the new table
# shrinks it a little, one that found the old table widens it, so the
# kills keep landing on both sides of the commit even when the machine's
# speed changes during the rounds. The moment within it stays random.
win=$((took * 3 / 2))
old=0 new=0 bad=()
for r in $(seq "$ROUNDS"); do
	[ "$(live)" = "$MA" ] || icc_apply_or_bail H "$A"
	# No leak check in a process killed on purpose: LeakSanitizer's own
	# thread reports the kill that lands during its check at exit.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		ip netns exec "$(ns H)" "$ICC_POLICY" -c "$B" apply >/dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v r="$RANDOM" -v t="$win" 'BEGIN { printf "%.6f", r / 32767 * t / 1e6 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	case $(live) in
	"$MA") old=$((old + 1)); win=$((win * 11 / 10)) ;;
	"$MB") new=$((new + 1)); win=$((win * 9 / 10)) ;;
	*) bad+=("round $r: the table is neither the old nor the new one") ;;
	esac
	# Bounded: an apply that never commits must not stretch the rounds.
	[ "$win" -gt 1000 ] || win=1000
	[ "$win" -le $((took * 10)) ] || win=$((took * 10))
done
diag "$ROUNDS kills: $old left the old table, $new the new one"
if [ ${#bad[@]} -eq 0 ]; then pass "after every kill the table is exactly the old or the new one"
else fail "after every kill the table is exactly the old or the new one" "${bad[@]}"; fi
[ "$old" -gt 0 ] && pass "some kills landed before the commit (old table kept)" ||
	fail "some kills landed before the commit (old table kept)" "old=$old new=$new"
[ "$new" -gt 0 ] && pass "some kills landed after it (new table complete)" ||
	fail "some kills landed after it (new table complete)" "old=$old new=$new"
icc H -c "$B" apply
icc H -c "$B" diff
is "$ICC_RC" 0 "after all that, apply and diff agree"
