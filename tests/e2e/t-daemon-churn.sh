#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# icc-policyd while the host's addresses churn: its address dumps are then
# often interrupted (NLM_F_DUMP_INTR), and the kernel flags the dump's
# final NLMSG_DONE too. Draining the rest of such a dump after its end had
# already been read waited for ever: the daemon hung in recvmsg() and
# enforced no container after that (found by bench/event-latency.sh with
# 1,000 containers; this test failed within a few containers before the
# fix). 250 idle ports on docker0 make the dumps long; 20 containers then
# start one by one while addresses come and go on another interface, and
# each must be enforced within a bounded time, checked in the live set
# and, at the end, with TCP probes.
. "$(dirname "$0")/lib.sh"
e2e_init
[ -x "$ICC_POLICYD" ] || skip_or_bail "icc-policyd not built at $ICC_POLICYD"

N=20
plan 5

mkns H
mkbridge H docker0 172.17.0.1/16
HN=$(ns H)
ip -n "$HN" link add churn0 type veth peer name churn1
ip -n "$HN" link set churn0 up
ip -n "$HN" link set churn1 up
for i in $(seq 250); do
	echo "link add p$i type veth peer name q$i"
	echo "link set p$i master docker0 up"
	echo "link set q$i up"
done >"$E2E_TMP/ports.batch"
ip -n "$HN" -batch "$E2E_TMP/ports.batch" || bail "cannot make the idle ports"

write_policy() {
	local k sep=
	echo 'version = 1;'
	echo 'bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; } );'
	echo 'containers = {'
	echo '  hub = { bridge = "docker0"; ip = "172.17.0.2"; };'
	for k in $(seq $N); do echo "  b$k = { bridge = \"docker0\"; name = \"$(ns "b$k")\"; };"; done
	echo '};'
	echo 'links = ('
	for k in $(seq $N); do
		printf '%s  { from = "b%d"; to = "hub"; ports = [ "tcp/80" ]; }\n' "$sep" "$k"
		sep=,
	done
	echo ');'
}
POL=$(write_policy | policy churn)
mkcontainer hub H docker0 172.17.0.2/16 172.17.0.1
serve_tcp hub 80
daemon_start H "$POL" && pass "daemon starts beside 250 idle ports" ||
	fail "daemon starts beside 250 idle ports" "$(tail -20 "$DAEMON_LOG")"

# Addresses come and go on churn0 for as long as the containers start
# (bounded: 30,000 changes at most).
(
	for i in $(seq 15000); do
		ip -n "$HN" -6 addr add "fd00:99::$((i % 200 + 1))/128" dev churn0 2>/dev/null
		ip -n "$HN" -6 addr del "fd00:99::$(((i + 100) % 200 + 1))/128" dev churn0 2>/dev/null
		[ -e "$E2E_TMP/stop" ] && break
	done
) &
churn=$!
E2E_PIDS+=("$churn")

late=
for k in $(seq $N); do
	mkcontainer "b$k" H docker0 "172.17.1.$k/16" 172.17.0.1
	wait_until 10 has_elem H "links$E2E_FAMILY" "$(fam_text "172.17.1.$k . 172.17.0.2 . tcp . 80")" ||
		{ late=b$k; break; }
done
touch "$E2E_TMP/stop"
wait "$churn" 2>/dev/null
is "${late:-none}" none "each of $N containers enforced within 10 s while addresses churn"
kill -0 "$DAEMON_PID" 2>/dev/null && pass "the daemon still runs" ||
	fail "the daemon still runs" "$(tail -20 "$DAEMON_LOG")"
n=$(grep -c 'looked at every port' "$DAEMON_LOG")
diag "full looks: $n"
wrong=
for k in $(seq $N); do
	E2E_TIMEOUT=4 reach tcp "b$k" 172.17.0.2 80 >/dev/null || wrong+=" b$k"
done
is "${wrong:-none}" none "every container reaches hub:80 (real TCP)"
icc H -c "$POL" diff
is "$ICC_RC" 0 "diff after the churn: in sync"
