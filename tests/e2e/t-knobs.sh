#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Kernel knobs: apply sets nf_call_iptables/nf_call_ip6tables on each
# managed bridge even when the bridge was created with them off and the
# namespace's global bridge-nf-call-* sysctls are 0, turns on ip_forward,
# says so, and the policy is really enforced in that setting.
. "$(dirname "$0")/lib.sh"
e2e_init

# Over IPv6 (t-knobs-6.sh) forwarding is net.ipv6.conf.all.forwarding,
# and the uplink's accept_ra must go from 1 to 2 before it is turned on.
FWD=net.ipv4.ip_forward
FWD_SAID=ip_forward
if [ "$E2E_FAMILY" = 6 ]; then
	FWD=net.ipv6.conf.all.forwarding
	FWD_SAID='ipv6\.conf\.all\.forwarding'
	plan 31
else
	plan 26
fi

topo_std nf_call_iptables 0 nf_call_ip6tables 0
nsx H ip link set lxcbr0 type bridge nf_call_iptables 0 nf_call_ip6tables 0
nsx H sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0
serve web 5432 80
serve db 5432 5433
serve cache 5432
serve_tcp lx 80

# brflag BRIDGE FLAG: the flag's value in `ip -d link show`.
brflag() {
	nsx H ip -d link show "$1" |
		sed -n "s/.* $2 \([0-9]\).*/\1/p"
}

is "$(brflag docker0 nf_call_iptables)" 0 "before: docker0 nf_call_iptables 0"
is "$(sysctl_get H $FWD)" 0 "before: $FWD 0 in the fresh namespace"
if [ "$E2E_FAMILY" = 6 ]; then
	nsx H sysctl -qw net.ipv6.conf.eth0.accept_ra=1
	is "$(sysctl_get H net.ipv6.conf.eth0.accept_ra)" 1 "before: the uplink takes router advertisements (accept_ra 1)"
fi
allowed tcp db 172.17.0.2 5432 "before: db -> web answers (nothing enforced)"

POLICY=$(policy knobs <<'EOF'
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; },
  { name = "lxcbr0";  subnet = "10.0.3.0/24"; }
);
containers = {
  web = { bridge = "docker0"; ip = "172.17.0.2"; };
  db  = { bridge = "docker0"; ip = "172.17.0.3"; };
  lx  = { bridge = "lxcbr0";  ip = "10.0.3.5"; };
};
links = (
  { from = "web"; to = "db"; ports = [ "tcp/5432" ]; },
  { from = "web"; to = "lx"; ports = [ "tcp/80" ]; }
);
EOF
)
icc_apply_or_bail H "$POLICY"
diag "apply said:" "$ICC_OUT"
like "$ICC_OUT" 'docker0.*nf_call_iptables|nf_call_iptables.*docker0' "apply says it set nf_call_iptables on docker0"
like "$ICC_OUT" 'lxcbr0.*nf_call_iptables|nf_call_iptables.*lxcbr0' "apply says it set nf_call_iptables on lxcbr0"
like "$ICC_OUT" "$FWD_SAID" "apply says it turned on forwarding"

is "$(brflag docker0 nf_call_iptables)" 1 "ip -d link: docker0 nf_call_iptables 1"
is "$(brflag docker0 nf_call_ip6tables)" 1 "ip -d link: docker0 nf_call_ip6tables 1"
is "$(brflag lxcbr0 nf_call_iptables)" 1 "ip -d link: lxcbr0 nf_call_iptables 1"
is "$(brflag lxcbr0 nf_call_ip6tables)" 1 "ip -d link: lxcbr0 nf_call_ip6tables 1"
is "$(sysctl_get H $FWD)" 1 "$FWD 1 after apply"
if [ "$E2E_FAMILY" = 6 ]; then
	is "$(sysctl_get H net.ipv6.conf.eth0.accept_ra)" 2 "the uplink's accept_ra is 2: it keeps its router advertisements"
	like "$(printf '%s\n' "$ICC_OUT" | grep -n 'accept_ra\|all.forwarding' | head -1)" accept_ra \
		"accept_ra is set before forwarding is turned on"	# A router advertisement from R on the uplink, with forwarding on.
	RLL=$(nsx R ip -6 addr show dev eth0 scope link | sed -n 's/.*inet6 \(fe80::[0-9a-f:]*\).*/\1/p')
	RMAC=$(nsx R cat /sys/class/net/eth0/address)
	ra_from_r() {
		nsx H ip -6 route flush proto ra 2>/dev/null
		nsx R "$PYTHON" "$E2E_DIR/spoof.py" ra eth0 "$RMAC" "$RLL"
		sleep 0.3
		nsx H ip -6 route show proto ra
	}
	like "$(ra_from_r)" "default via $RLL" "with forwarding on, the host still learns its route from the uplink's router advertisement"
	nsx H sysctl -qw net.ipv6.conf.eth0.accept_ra=1
	unlike "$(ra_from_r)" "default via" "control: with accept_ra 1 it would have ignored it"
	nsx H sysctl -qw net.ipv6.conf.eth0.accept_ra=2
fi
is "$(sysctl_get H net.bridge.bridge-nf-call-iptables)" 0 "global bridge-nf-call-iptables left at 0"

# Enforcement with the global sysctl at 0.
allowed tcp web 172.17.0.3 5432 "web -> db:5432 allowed"
denied tcp db 172.17.0.2 5432 "db -> web:5432 denied with the global sysctl at 0"
denied tcp web 172.17.0.3 5433 "web -> db:5433 denied with the global sysctl at 0"
denied udp web 172.17.0.4 5432 "udp web -> cache denied with the global sysctl at 0"
denied icmp web 172.17.0.3 "" "icmp web -> db denied with the global sysctl at 0"
allowed tcp web 10.0.3.5 80 "web -> lx:80 across bridges allowed (forwarding on)"
denied tcp lx 172.17.0.2 80 "lx -> web:80 across bridges denied"

# A second apply changes nothing and says nothing about the knobs.
icc_apply_or_bail H "$POLICY"
unlike "$ICC_OUT" "nf_call|$FWD_SAID|accept_ra" "a second apply does not claim to change knobs"

# Someone turns the flag off again: apply notices and restores it.
nsx H ip link set docker0 type bridge nf_call_iptables 0
icc H -c "$POLICY" diff
is "$ICC_RC" 1 "diff exits 1 when nf_call_iptables was turned off behind our back"
like "$ICC_OUT" '^\+.*docker0.*nf_call_iptables' "diff shows a + line for docker0 nf_call_iptables"
icc_apply_or_bail H "$POLICY"
is "$(brflag docker0 nf_call_iptables)" 1 "apply restores nf_call_iptables 1"
denied tcp db 172.17.0.2 5432 "db -> web:5432 denied again"

# flush removes our table and route_localnet, nothing else.
icc H -c "$POLICY" flush
is "$(brflag docker0 nf_call_iptables)" 1 "flush leaves nf_call_iptables alone"
is "$(sysctl_get H $FWD)" 1 "flush leaves $FWD alone"
