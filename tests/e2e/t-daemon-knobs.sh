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
# Let the looks that follow a start (state files, unknown ports) pass: a
# full look would put ip_forward back with no event, as it should.
settle() {	# until the log has had no new line for 1 s (at most 15 s)
	local n i last=-1
	for i in $(seq 75); do
		n=$(daemon_log_lines)
		[ "$n" = "$last" ] && [ $((i % 5)) -eq 0 ] && return 0
		[ $((i % 5)) -eq 0 ] && last=$n
		sleep 0.2
	done
}
settle
nsx H sysctl -qw net.ipv4.ip_forward=0
sleep 0.3
is "$(sysctl_get H net.ipv4.ip_forward)" 0 "turned off by hand: no event, so it stays off until one"
# An address event in a namespace the daemon knows: it looks again at
# that port only (a new namespace would make it look at everything).
nsx web ip addr add 172.17.0.12/16 dev eth0
within "an address added in a running container: ip_forward is back within 2 s" 2 forwarding
like "$(cat "$DAEMON_LOG")" "set .*ip_forward = 1" "the daemon said it set ip_forward"
ip -n "$(ns H)" link set docker0 type bridge nf_call_iptables 0
within "nf_call_iptables turned off on the bridge: back on within 2 s" 2 nf_call
