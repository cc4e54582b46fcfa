#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Kernel knobs: apply sets nf_call_iptables/nf_call_ip6tables on each
# managed bridge even when the bridge was created with them off and the
# namespace's global bridge-nf-call-* sysctls are 0, turns on ip_forward,
# says so, and the policy is really enforced in that setting.
. "$(dirname "$0")/lib.sh"
e2e_init

plan 26

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
is "$(sysctl_get H net.ipv4.ip_forward)" 0 "before: ip_forward 0 in the fresh namespace"
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
like "$ICC_OUT" 'ip_forward' "apply says it turned on ip_forward"

is "$(brflag docker0 nf_call_iptables)" 1 "ip -d link: docker0 nf_call_iptables 1"
is "$(brflag docker0 nf_call_ip6tables)" 1 "ip -d link: docker0 nf_call_ip6tables 1"
is "$(brflag lxcbr0 nf_call_iptables)" 1 "ip -d link: lxcbr0 nf_call_iptables 1"
is "$(brflag lxcbr0 nf_call_ip6tables)" 1 "ip -d link: lxcbr0 nf_call_ip6tables 1"
is "$(sysctl_get H net.ipv4.ip_forward)" 1 "ip_forward 1 after apply"
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
unlike "$ICC_OUT" 'nf_call|ip_forward' "a second apply does not claim to change knobs"

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
is "$(sysctl_get H net.ipv4.ip_forward)" 1 "flush leaves ip_forward alone"
