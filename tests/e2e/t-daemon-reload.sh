#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A reload arriving during a burst of events loses nothing (issue 7.6):
# while 60 containers appear back to back, icc-policyd is sent SIGHUP
# again and again, and halfway through the policy file itself changes
# (links from the odd containers become links from every third). At the
# end the live set holds exactly the new policy's links for every
# container, each is checked with a real TCP probe, and diff is in sync.
# Then the other way round: containers leave while reloads go back to
# the first policy. A reload that dropped the events queued before it,
# or a burst that overwrote a reload's policy, leaves the set wrong.
. "$(dirname "$0")/lib.sh"
e2e_init
[ -x "$ICC_POLICYD" ] || skip_or_bail "icc-policyd not built at $ICC_POLICYD"

N=60
plan 10

mkns H
mkbridge H docker0 172.17.0.1/16

# write_policy STEP: links to hub tcp/80 from every STEP-th container
# (1, 1 + STEP, ...).
write_policy() {
	local k sep
	echo 'version = 1;'
	echo 'bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; } );'
	echo 'containers = {'
	echo "  hub = { bridge = \"docker0\"; name = \"$(ns hub)\"; };"
	for k in $(seq $N); do echo "  b$k = { bridge = \"docker0\"; name = \"$(ns "b$k")\"; };"; done
	echo '};'
	echo 'links = ('
	sep=
	for k in $(seq 1 "$1" $N); do
		printf '%s  { from = "b%d"; to = "hub"; ports = [ "tcp/80" ]; }\n' "$sep" "$k"
		sep=,
	done
	echo ');'
}
POL=$E2E_TMP/reload.conf
write_policy 2 | policy_file "$POL"

# expected STEP K...: the links4/6 elements STEP's policy makes, given
# that the containers K... run (at 172.17.1.K).
expected() {
	local step=$1 k
	shift
	for k in "$@"; do
		[ $(( (k - 1) % step )) -eq 0 ] && fam_text "172.17.1.$k . 172.17.0.2 . tcp . 80"
	done | sort
}
live_links() {
	nsx H nft list set inet icc "links$E2E_FAMILY" |
		grep -oE '[0-9a-f:.]+ \. [0-9a-f:.]+ \. tcp \. [0-9]+' | sort
}
EXPECT=
links_are() { [ "$(live_links)" = "$EXPECT" ]; }

# probe STEP K...: each running bK tries hub:80; WRONG lists those whose
# answer is not STEP's policy's.
probe() {
	local step=$1 k r pids=()
	shift
	rm -f "$E2E_TMP"/p.*
	for k in "$@"; do
		( if E2E_TIMEOUT=4 reach tcp "b$k" 172.17.0.2 80 >/dev/null; then
			echo yes >"$E2E_TMP/p.$k"; else echo no >"$E2E_TMP/p.$k"; fi ) &
		pids+=($!)
		# 20 at a time: more socat forks at once time out on 2 cores
		if [ ${#pids[@]} -eq 20 ]; then wait "${pids[@]}"; pids=(); fi
	done
	[ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
	WRONG=
	for k in "$@"; do
		r=$(cat "$E2E_TMP/p.$k" 2>/dev/null)
		if [ $(( (k - 1) % step )) -eq 0 ]; then
			[ "$r" = yes ] || WRONG+=" b$k(denied)"
		else
			[ "$r" = no ] || WRONG+=" b$k(allowed)"
		fi
	done
}

mkcontainer hub H docker0 172.17.0.2/16 172.17.0.1
serve_tcp hub 80

daemon_start H "$POL" && pass "daemon starts" || fail "daemon starts" "$(cat "$DAEMON_LOG")"
lines0=$(daemon_log_lines)

# The burst, a SIGHUP after every third container; the policy changes
# after the thirtieth.
for k in $(seq $N); do
	mkcontainer "b$k" H docker0 "172.17.1.$k/16" 172.17.0.1
	[ "$k" -eq 30 ] && write_policy 3 | policy_file "$POL"
	[ $((k % 3)) -eq 0 ] && daemon_signal HUP
done
EXPECT=$(expected 3 $(seq $N))
within "after $N containers and 20 reloads: the live set is the new policy's for all" \
	5 links_are
n=$(daemon_log_since "$lines0" | grep -c 'reloaded ')
ok "the daemon logged its reloads ($n)" [ "$n" -ge 1 ]
probe 3 $(seq $N)
is "${WRONG:-none}" none "every one of the $N containers: every third reaches hub:80, the rest are denied"
icc H -c "$POL" diff
is "$ICC_RC" 0 "diff after the burst: in sync"

# Containers leave while reloads bring the first policy back.
for k in $(seq 31 $N); do
	rmcontainer "b$k" H
	[ "$k" -eq 40 ] && write_policy 2 | policy_file "$POL"
	[ $((k % 3)) -eq 0 ] && daemon_signal HUP
done
EXPECT=$(expected 2 $(seq 30))
within "after 30 leave during 10 reloads: the live set is the first policy's for the 30 left" \
	5 links_are
gone_re='172\.17\.1\.(3[1-9]|[45][0-9]|60) '
unlike "$(live_links)" "$gone_re" "no address of the containers that left is in the set"
probe 2 $(seq 30)
is "${WRONG:-none}" none "the 30 left: the odd reach hub:80, the even are denied"
icc H -c "$POL" diff
is "$ICC_RC" 0 "diff after the second burst: in sync"
kill -0 "$DAEMON_PID" 2>/dev/null && pass "the daemon is still running" ||
	fail "the daemon is still running" "$(tail -20 "$DAEMON_LOG")"
