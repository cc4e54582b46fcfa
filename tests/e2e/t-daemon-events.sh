#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# icc-policyd between events (issue 6.4): it keeps what discovery found
# and looks again only at what an event names. These are the changes that
# kept state could miss, each checked against the kernel's sets and with
# real packets; every reconcile made the short way is also checked against
# the whole plan made from nothing (ICC_POLICYD_VERIFY, lib.sh), which
# fails the test on any difference.
. "$(dirname "$0")/lib.sh"
e2e_init
[ -x "$ICC_POLICYD" ] || skip_or_bail "icc-policyd not built at $ICC_POLICYD"

plan 15

mkns H
mkbridge H docker0 172.17.0.1/16
nsx H sysctl -qw net.ipv4.ip_forward=1
mkcontainer web H docker0 172.17.0.2/16 172.17.0.1
mkcontainer db H docker0 172.17.0.3/16 172.17.0.1
serve_tcp db 5432

POL=$(policy events <<EOF
version = 1;
bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; } );
containers = {
  web = { bridge = "docker0"; name = "$(ns web)"; };
  db = { bridge = "docker0"; name = "$(ns db)"; };
  late = { bridge = "docker0"; name = "$(ns late)"; };
  more = { bridge = "docker0"; name = "$(ns more)"; };
};
links = (
  { from = "web"; to = "db"; ports = [ "tcp/5432" ]; },
  { from = "late"; to = "db"; ports = [ "tcp/5432" ]; },
  { from = "more"; to = "db"; ports = [ "tcp/5432" ]; }
);
discovery = { netns = "/run/netns"; docker = "$E2E_TMP/no-docker"; lxc = "$E2E_TMP/no-lxc"; };
EOF
)
daemon_start H "$POL" || bail "icc-policyd did not start"
within "web -> db enforced at start" 5 has_elem H links4 "172.17.0.2 . 172.17.0.3 . tcp . 5432"
allowed tcp web 172.17.0.3 5432

# A container joining after start (a namespace new to the daemon: that
# one event is a full look).
mkcontainer late H docker0 172.17.0.4/16 172.17.0.1
within "a container joining later is enforced" 3 has_elem H links4 "172.17.0.4 . 172.17.0.3 . tcp . 5432"
allowed tcp late 172.17.0.3 5432

# An address added inside a container (an event from its namespace): the
# short way, no full look before its commit. Other tests running beside
# this one remove their namespaces' names, and a name removed makes a
# full look: up to three tries, so that such noise alone cannot fail it.
short=no
for try in 1 2 3; do
	sleep 0.5
	mark=$(daemon_log_lines)
	ip -n "$(ns late)" addr add 172.17.0.14/16 dev eth0
	wait_until 3 has_elem H links4 "172.17.0.14 . 172.17.0.3 . tcp . 5432" || break
	sleep 0.3
	if daemon_log_since "$mark" | awk '/looked at every port/ { exit 1 }
		/applied/ { found = 1; exit 0 } END { if (!found) exit 1 }'; then
		short=yes
		break
	fi
	[ "$try" = 3 ] && break
	ip -n "$(ns late)" addr del 172.17.0.14/16 dev eth0
	wait_until 3 no_elem H links4 "172.17.0.14 . 172.17.0.3 . tcp . 5432"
done
ok "an address added in a container is linked" has_elem H links4 "172.17.0.14 . 172.17.0.3 . tcp . 5432"
if [ "$short" = yes ]; then
	pass "and it took the short way (try $try)"
else
	fail "and it took the short way" "$(daemon_log_since "$mark")"
fi
ip -n "$(ns late)" addr del 172.17.0.14/16 dev eth0
within "and unlinked when it goes" 3 no_elem H links4 "172.17.0.14 . 172.17.0.3 . tcp . 5432"

# A netns name removed while its namespace lives on: no netlink event
# says so; the name no longer names the port, so its links go. Probes go
# through the process that holds the namespace (it has no name then).
_bg web sleep 61
holder=
for i in $(seq 50); do
	holder=$(pgrep -xf "sleep 61" | head -1)
	[ -n "$holder" ] && break
	sleep 0.1
done
held() {
	local out
	out=$(timeout 4 nsenter --net="/proc/$holder/ns/net" socat -T1 -t1 - \
		"TCP:172.17.0.3:5432,connect-timeout=1" </dev/null 2>/dev/null) || true
	[ -n "$out" ]
}
ok "through the holding process, web reaches db" held
ip netns del "$(ns web)"
within "a namespace's name removed: its links go" 3 no_elem H links4 "172.17.0.2 . 172.17.0.3 . tcp . 5432"
nok "and its packets are dropped" held

# Our namespace given an id for itself after start: our own events may
# then carry it (kept discovery must not take them for a peer's).
nsx H ip netns set "$(ns H)" 77 2>/dev/null || true
mkcontainer more H docker0 172.17.0.5/16 172.17.0.1
within "a container joining after our namespace got a self id" 3 has_elem H links4 "172.17.0.5 . 172.17.0.3 . tcp . 5432"

# More changes at once than kept discovery follows one by one: 150 veth
# pairs made inside one container (300 link events from its namespace).
for i in $(seq 150); do echo "link add x$i type veth peer name y$i"; done |
	ip -n "$(ns more)" -batch - || bail "veths in more"
ip -n "$(ns more)" addr add 172.17.0.15/16 dev eth0
within "after a flood of events, an address added is linked" 5 has_elem H links4 "172.17.0.15 . 172.17.0.3 . tcp . 5432"
within "and what was there stays" 3 has_elem H links4 "172.17.0.5 . 172.17.0.3 . tcp . 5432"

# A container leaving: the short way removes its elements.
rmcontainer late H
within "a container leaving: its links go" 3 no_elem H links4 "172.17.0.4 . 172.17.0.3 . tcp . 5432"
within "and the others stay" 3 has_elem H links4 "172.17.0.5 . 172.17.0.3 . tcp . 5432"
