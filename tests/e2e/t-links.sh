#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Links between containers, same bridge and across bridges: default deny,
# one-way links, replies, port ranges at both ends, icmp, any, no
# masquerade between bridges, IPv6 link-local traffic denied too.
. "$(dirname "$0")/lib.sh"
e2e_init

MATRIX='
tcp  web   172.17.0.3 5432 ok link web->db tcp/5432, reply passes
tcp  db    172.17.0.2 5432 no links are one-way
tcp  web   172.17.0.3 5433 no port not in the link
tcp  web   172.17.0.4 5432 no destination not in the link
tcp  cache 172.17.0.3 5432 no source not in the link
udp  web   172.17.0.3 1000 ok udp/1000-2000 low end
udp  web   172.17.0.3 1500 ok udp/1000-2000 middle
udp  web   172.17.0.3 2000 ok udp/1000-2000 high end
udp  web   172.17.0.3 999  no below the range
udp  web   172.17.0.3 2001 no above the range
tcp  web   172.17.0.3 1000 no the range is udp only
udp  db    172.17.0.2 1000 no udp link is one-way
udp  web   172.17.0.4 1000 no udp to a container without a link
tcp  cache 172.17.0.3 6000 ok tcp/6000-6010 low end
tcp  cache 172.17.0.3 6010 ok tcp/6000-6010 high end
tcp  cache 172.17.0.3 5999 no below the range
tcp  cache 172.17.0.3 6011 no above the range
icmp cache 172.17.0.2 -    ok icmp link cache->web
icmp web   172.17.0.4 -    no icmp link is one-way
icmp web   172.17.0.3 -    no tcp/udp link does not allow icmp
icmp db    172.17.0.4 -    no no link at all
tcp  cache 172.17.0.2 5432 no icmp link does not allow tcp
udp  cache 172.17.0.2 1000 no icmp link does not allow udp
tcp  web   10.0.3.5   80   ok across bridges, link web->lx tcp/80
tcp  web   10.0.3.5   22   no across bridges, port not in the link
udp  web   10.0.3.5   80   no across bridges, tcp link does not allow udp
icmp web   10.0.3.5   -    ok across bridges, link web->lx icmp
tcp  db    10.0.3.5   80   no across bridges, source not in the link
tcp  lx    172.17.0.2 5432 ok any allows tcp
tcp  lx    172.17.0.2 80   ok any allows another tcp port
udp  lx    172.17.0.2 1000 ok any allows udp
icmp lx    172.17.0.2 -    ok any allows icmp
tcp  lx    172.17.0.3 5432 no any is for one destination only
icmp lx    172.17.0.4 -    no any is for one destination only
tcp  web   10.0.3.5   5432 no any is one-way
udp  web   10.0.3.5   1000 no any is one-way
'

plan $((1 + 1 + $(matrix_count "$MATRIX") + 3 + 2))

topo_std
serve web 5432 80 1000
serve db 5432 5433 999 1000 1500 2000 2001 5999 6000 6010 6011
serve cache 5432 1000
serve lx 80 22 5432 1000
serve_tcp6 web 6000
serve_tcp6 db 6000

# Baseline: without a policy (and with forwarding on by hand, so that the
# cross-bridge rows can answer) every probe gets through.
forwarding_on H
baseline "$MATRIX" "without a policy every probe of the matrix is answered"
ok "without a policy IPv6 link-local web -> db answers" probe_tcp6 web fe80::3%eth0 6000

POLICY=$(policy links <<'EOF'
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; },
  { name = "lxcbr0";  subnet = "10.0.3.0/24";   uplink = "eth0"; }
);
containers = {
  web   = { bridge = "docker0"; ip = "172.17.0.2"; };
  db    = { bridge = "docker0"; ip = "172.17.0.3"; };
  cache = { bridge = "docker0"; ip = "172.17.0.4"; };
  lx    = { bridge = "lxcbr0";  ip = "10.0.3.5"; };
};
links = (
  { from = "web";   to = "db";  ports = [ "tcp/5432", "udp/1000-2000" ]; },
  { from = "cache"; to = "db";  ports = [ "tcp/6000-6010" ]; },
  { from = "cache"; to = "web"; ports = [ "icmp" ]; },
  { from = "web";   to = "lx";  ports = [ "tcp/80", "icmp" ]; },
  { from = "lx";    to = "web"; ports = [ "any" ]; }
);
EOF
)
icc_apply_or_bail H "$POLICY"

check_matrix "$MATRIX"

# The destination sees the real source: never masquerade between bridges
# nor on the same bridge.
seen_as tcp web 10.0.3.5 80 172.17.0.2 "lx sees web's own address (no masquerade across bridges)"
seen_as tcp lx 172.17.0.2 5432 10.0.3.5 "web sees lx's own address (no masquerade across bridges)"
seen_as udp web 172.17.0.3 1000 172.17.0.2 "db sees web's own address on the same bridge"

# IPv6: default deny too (nf_call_ip6tables is set on the bridge).
denied tcp6 web fe80::3%eth0 6000 "IPv6 link-local web -> db denied"
denied tcp6 db fe80::2%eth0 6000 "IPv6 link-local db -> web denied"
