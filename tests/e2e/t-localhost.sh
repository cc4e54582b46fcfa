#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A 127.0.0.1 publish: reachable from the host's own processes only;
# route_localnet=1 on the bridge does not expose the host's loopback
# services (CVE-2020-8558), which is shown to be a real attack first.
. "$(dirname "$0")/lib.sh"
e2e_init

plan 27

topo_std
serve_tcp H 9999 127.0.0.1	# the host's private loopback services
serve_udp H 9998 127.0.0.1
serve_tcp web 80
serve_udp web 53

# attacker NS GATEWAY: make NS send 127.0.0.0/8 to GATEWAY.  127.0.0.1 has
# to leave lo (a local address as source is martian) and the attacker's
# own side needs route_localnet to accept the answers.
attacker() {
	nsx "$1" ip addr del 127.0.0.1/8 dev lo
	nsx "$1" ip route add 127.0.0.0/8 via "$2" dev eth0
	nsx "$1" sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.eth0.route_localnet=1
}
attacker db 172.17.0.1
attacker R 203.0.113.1
rl() { sysctl_get H "net.ipv4.conf.$1.route_localnet"; }

# The attack is real: route_localnet=1 on docker0 without the guard lets
# a container reach the host's 127.0.0.1 services.
nsx H sysctl -qw net.ipv4.conf.docker0.route_localnet=1
allowed tcp db 127.0.0.1 9999 "no guard: tcp container -> host 127.0.0.1:9999 gets through (attack works)"
allowed udp db 127.0.0.1 9998 "no guard: udp container -> host 127.0.0.1:9998 gets through (attack works)"
allowed icmp db 127.0.0.1 "" "no guard: icmp container -> host 127.0.0.1 gets through (attack works)"
nsx H sysctl -qw net.ipv4.conf.docker0.route_localnet=0
nsx H sysctl -qw net.ipv4.conf.eth0.route_localnet=1
allowed tcp R 127.0.0.1 9999 "no guard: tcp uplink -> host 127.0.0.1:9999 with route_localnet on eth0 (attack works)"
nsx H sysctl -qw net.ipv4.conf.eth0.route_localnet=0

POLICY=$(policy localhost <<'EOF'
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; },
  { name = "lxcbr0";  subnet = "10.0.3.0/24";   uplink = "eth0"; }
);
containers = {
  web = { bridge = "docker0"; ip = "172.17.0.2"; };
  db  = { bridge = "docker0"; ip = "172.17.0.3"; };
};
publish = (
  { container = "web"; port = "tcp/80"; host = "127.0.0.1:8080"; },
  { container = "web"; port = "udp/53"; host = "5353"; }
);
EOF
)
icc_apply_or_bail H "$POLICY"
like "$ICC_OUT" 'route_localnet' "apply says it set route_localnet"
is "$(rl docker0)" 1 "route_localnet=1 on docker0 (it has a 127.0.0.1 publish)"
is "$(rl lxcbr0)" 0 "route_localnet=0 on lxcbr0 (no 127.0.0.1 publish)"
is "$(rl eth0)" 0 "route_localnet=0 on the uplink"
is "$(rl all)" 0 "route_localnet=0 for all"

seen_as tcp H 127.0.0.1 8080 172.17.0.1 "tcp host -> 127.0.0.1:8080 reaches web:80 (from the bridge address)"
seen_as udp H 127.0.0.1 5353 172.17.0.1 "udp host -> 127.0.0.1:5353 reaches web:53 (host = \"5353\")"

denied tcp R 203.0.113.1 8080 "tcp uplink -> host's uplink address:8080 denied"
denied tcp N 203.0.113.1 8080 "tcp internet -> host's uplink address:8080 denied"
denied udp R 203.0.113.1 5353 "udp uplink -> host's uplink address:5353 denied"

denied tcp R 127.0.0.1 8080 "tcp uplink -> 127.0.0.1:8080 routed via the host denied"
denied tcp R 127.0.0.1 9999 "tcp uplink -> host's 127.0.0.1:9999 routed via the host denied"
denied udp R 127.0.0.1 5353 "udp uplink -> 127.0.0.1:5353 routed via the host denied"

# Even with route_localnet=1 on the uplink too, the guard holds.
nsx H sysctl -qw net.ipv4.conf.eth0.route_localnet=1
denied tcp R 127.0.0.1 8080 "route_localnet on eth0 by hand: tcp uplink -> 127.0.0.1:8080 still denied"
denied tcp R 127.0.0.1 9999 "route_localnet on eth0 by hand: tcp uplink -> 127.0.0.1:9999 still denied"
denied udp R 127.0.0.1 9998 "route_localnet on eth0 by hand: udp uplink -> 127.0.0.1:9998 still denied"
nsx H sysctl -qw net.ipv4.conf.eth0.route_localnet=0

denied tcp db 127.0.0.1 9999 "guard: tcp container -> host 127.0.0.1:9999 denied (route_localnet=1 on docker0)"
denied udp db 127.0.0.1 9998 "guard: udp container -> host 127.0.0.1:9998 denied"
denied icmp db 127.0.0.1 "" "guard: icmp container -> host 127.0.0.1 denied"
denied tcp db 127.0.0.1 8080 "guard: tcp container -> 127.0.0.1:8080 denied"

icc H -c "$POLICY" flush || diag "flush: $ICC_RC $ICC_ERR"
is "$(rl docker0)" 0 "flush resets route_localnet on docker0"
nok "flush removes table inet icc" nsx H nft list table inet icc
denied tcp H 127.0.0.1 8080 "after flush 127.0.0.1:8080 leads nowhere"
