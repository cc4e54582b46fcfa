#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# icc-policyd and the kernel knobs between events: ip_forward (a policy
# with egress needs it) turned off by hand makes no event, and is put
# back by the next reconcile, even one that an event naming only a
# container's port started; the bridge's own nf_call_iptables, turned off,
# is an event about the bridge and is put back too.
. "$(dirname "$0")/lib.sh"
e2e_init
[ -x "$ICC_POLICYD" ] || skip_or_bail "icc-policyd not built at $ICC_POLICYD"

plan 5

mkns H
mkbridge H docker0 172.17.0.1/16
nsx H ip link add eth0 type veth peer name eth0p
nsx H ip link set eth0 up
nsx H sysctl -qw net.ipv4.ip_forward=0
mkcontainer web H docker0 172.17.0.2/16 172.17.0.1

POL=$(policy knobs <<EOF2
version = 1;
bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; egress = true; } );
containers = {
  web = { bridge = "docker0"; name = "$(ns web)"; };
};
discovery = { netns = "/run/netns"; docker = "$E2E_TMP/no-docker"; lxc = "$E2E_TMP/no-lxc"; };
EOF2
)
forwarding() { [ "$(sysctl_get H net.ipv4.ip_forward)" = 1 ]; }
nf_call() { ip -n "$(ns H)" -d link show docker0 | grep -q "nf_call_iptables 1"; }

daemon_start H "$POL" || bail "icc-policyd did not start"
within "the daemon turns ip_forward on at start (egress needs it)" 5 forwarding
# Until the log has had no new line for 1 s (at most 15 s): the looks
# that follow a start (state files, unknown ports) are over.
settle() {
	local n i last=-1
	for i in $(seq 75); do
		n=$(daemon_log_lines)
		[ "$n" = "$last" ] && [ $((i % 5)) -eq 0 ] && return 0
		[ $((i % 5)) -eq 0 ] && last=$n
		sleep 0.2
	done
}
# A full look since log line N. It puts ip_forward back with no event, as
# it should, and the daemon watches /run/netns, where the tests that run
# beside this one make and remove names: such a look can come at any time.
full_look_since() { daemon_log_since "$1" | grep -q "looked at every port"; }

# One try with address 172.17.0.$1: ip_forward off by hand, then an
# address added in the running container (an event naming that port only;
# a new namespace would make the daemon look at everything). Sets OFF
# (what ip_forward read 0.3 s after it was turned off) and BACK (put back
# within 2 s of the event). Returns 1 when a full look came between: the
# try shows nothing about the short way, and is made again.
knob_try() {
	settle
	N0=$(daemon_log_lines)
	nsx H sysctl -qw net.ipv4.ip_forward=0
	sleep 0.3
	OFF=$(sysctl_get H net.ipv4.ip_forward)
	BACK=no
	if [ "$OFF" = 0 ]; then
		nsx web ip addr add "172.17.0.$1/16" dev eth0
		wait_until 2 forwarding && BACK=yes
	fi
	! full_look_since "$N0"
}
# Every try void would test nothing: a daemon whose port events all
# made full looks would pass. That fails both.
CLEAN=no
for i in $(seq 10); do
	knob_try $((11 + i)) && { CLEAN=yes; break; }
done
said() { diag "what the daemon said:"; sed 's/^/# /' "$DAEMON_LOG"; }
if [ "$CLEAN" = no ]; then
	OFF="void" BACK="void"
	diag "every try ($i) had a full look between"
fi
is "$OFF" 0 "turned off by hand: no event and no full look, so it stays off (try $i)"
is "$BACK" yes "an address added in a running container: ip_forward is back within 2 s, with no full look"
[ "$OFF$BACK" = 0yes ] || said
like "$(daemon_log_since "$N0")" "set .*ip_forward = 1" "the daemon said it set ip_forward"
ip -n "$(ns H)" link set docker0 type bridge nf_call_iptables 0
within "nf_call_iptables turned off on the bridge: back on within 2 s" 2 nf_call
