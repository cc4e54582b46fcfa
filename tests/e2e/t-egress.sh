#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Egress: containers on a bridge with egress reach the internet through
# the uplink, masqueraded (or not, with masquerade = false); a bridge
# with egress = false or without an uplink cannot reach out; a link
# across bridges is never masqueraded.
. "$(dirname "$0")/lib.sh"
e2e_init

plan 25

topo_std
serve_tcp N 7000
serve_udp N 7000
serve_tcp R 7000
serve_tcp lx 80
serve_tcp web 80

# write_policy NAME LXCBR0-SETTINGS: docker0 always egresses, masqueraded;
# lxcbr0 varies.  web -> lx and lx -> web links exist in every variant.
write_policy() {
	policy "$1" <<EOF
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; },
  { name = "lxcbr0";  subnet = "10.0.3.0/24"; $2 }
);
containers = {
  web = { bridge = "docker0"; ip = "172.17.0.2"; };
  lx  = { bridge = "lxcbr0";  ip = "10.0.3.5"; };
};
links = (
  { from = "web"; to = "lx";  ports = [ "tcp/80" ]; },
  { from = "lx";  to = "web"; ports = [ "tcp/80" ]; }
);
EOF
}

NOMASQ=$(write_policy nomasq 'uplink = "eth0"; masquerade = false;')
NOEGRESS=$(write_policy noegress 'uplink = "eth0"; egress = false;')
NOUPLINK=$(write_policy nouplink '')

# Before any policy: forwarding is off in the fresh host namespace.
denied tcp web 198.51.100.10 7000 "before apply: no forwarding, web cannot reach the internet"

# 1. docker0 masquerades, lxcbr0 egresses with its own addresses.
icc_apply_or_bail H "$NOMASQ"
seen_as tcp web 198.51.100.10 7000 203.0.113.1 "tcp web -> internet host: seen as the uplink address (masquerade)"
seen_as udp web 198.51.100.10 7000 203.0.113.1 "udp web -> internet host: seen as the uplink address (masquerade)"
allowed icmp web 198.51.100.10 "" "icmp web -> internet host allowed"
seen_as tcp web 203.0.113.2 7000 203.0.113.1 "tcp web -> router on the uplink's own subnet: masqueraded"
seen_as tcp lx 198.51.100.10 7000 10.0.3.5 "tcp lx -> internet host with masquerade = false: own address"
seen_as udp lx 198.51.100.10 7000 10.0.3.5 "udp lx -> internet host with masquerade = false: own address"
allowed icmp lx 198.51.100.10 "" "icmp lx -> internet host allowed (masquerade = false)"
seen_as tcp web 10.0.3.5 80 172.17.0.2 "link docker0 -> lxcbr0 not masqueraded (docker0 masquerades to the uplink)"
seen_as tcp lx 172.17.0.2 80 10.0.3.5 "link lxcbr0 -> docker0 not masqueraded"

# 2. lxcbr0 has an uplink but egress = false.
icc_apply_or_bail H "$NOEGRESS"
denied tcp lx 198.51.100.10 7000 "egress = false: tcp lx -> internet denied"
denied udp lx 198.51.100.10 7000 "egress = false: udp lx -> internet denied"
denied icmp lx 198.51.100.10 "" "egress = false: icmp lx -> internet denied"
denied tcp lx 203.0.113.2 7000 "egress = false: tcp lx -> router denied"
seen_as tcp web 198.51.100.10 7000 203.0.113.1 "docker0 still egresses, masqueraded"
seen_as tcp web 10.0.3.5 80 172.17.0.2 "link docker0 -> lxcbr0 not masqueraded (both masquerade to the uplink)"
seen_as tcp lx 172.17.0.2 80 10.0.3.5 "link lxcbr0 -> docker0 not masqueraded (both masquerade to the uplink)"

# 3. lxcbr0 has no uplink at all.
icc_apply_or_bail H "$NOUPLINK"
denied tcp lx 198.51.100.10 7000 "no uplink: tcp lx -> internet denied"
denied udp lx 198.51.100.10 7000 "no uplink: udp lx -> internet denied"
denied icmp lx 198.51.100.10 "" "no uplink: icmp lx -> internet denied"
denied tcp lx 203.0.113.2 7000 "no uplink: tcp lx -> router denied"
seen_as tcp web 198.51.100.10 7000 203.0.113.1 "docker0 still egresses, masqueraded"
seen_as tcp lx 172.17.0.2 80 10.0.3.5 "link from a bridge without uplink still works, not masqueraded"

# Egress is not a way into another bridge: web has no link to lx:81 nor
# to lx by udp, and egress docker0 -> eth0 must not open docker0 -> lxcbr0.
serve_udp lx 80
serve_tcp lx 81
denied udp web 10.0.3.5 80 "egress does not open other bridges (udp web -> lx)"
denied tcp web 10.0.3.5 81 "egress does not open other bridges (tcp web -> lx:81)"
