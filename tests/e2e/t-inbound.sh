#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# From the uplink into a bridge only established/related traffic and
# published ports pass, and a public publish only from allow_from.
. "$(dirname "$0")/lib.sh"
e2e_init

MATRIX='
tcp  N 203.0.113.1 443  ok published 0.0.0.0:443 from an allow_from source
udp  N 203.0.113.1 5353 ok published udp 0.0.0.0:5353 from an allow_from source
tcp  R 203.0.113.1 443  no published port from outside allow_from
udp  R 203.0.113.1 5353 no published udp port from outside allow_from
tcp  N 203.0.113.1 80   no a port that is not published
tcp  N 172.17.0.2  443  no straight to the container address
udp  N 172.17.0.2  53   no straight to the container address
icmp N 172.17.0.2  -    no straight to the container address
tcp  R 172.17.0.2  80   no straight to the container address
tcp  R 172.17.0.3  5432 no straight to another container
icmp R 172.17.0.3  -    no straight to another container
tcp  N 10.0.3.5    80   no straight into the other bridge
udp  N 10.0.3.5    80   no straight into the other bridge
icmp N 10.0.3.5    -    no straight into the other bridge
'

plan $((1 + $(matrix_count "$MATRIX") + 4))

topo_std
serve web 443 80 53
serve db 5432
serve lx 80
serve_tcp N 7000
serve_tcp R 7000

# Baseline: with forwarding on and no policy, the internet reaches every
# container directly (R and N route 172.17.0.0/16 and 10.0.3.0/24 to H).
forwarding_on H
baseline "$(printf '%s\n' "$MATRIX" | grep -v '203.0.113.1 ')" \
	"without a policy the internet reaches the containers directly"

POLICY=$(policy inbound <<'EOF'
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; },
  { name = "lxcbr0";  subnet = "10.0.3.0/24";   uplink = "eth0"; }
);
containers = {
  web = { bridge = "docker0"; ip = "172.17.0.2"; };
  db  = { bridge = "docker0"; ip = "172.17.0.3"; };
  lx  = { bridge = "lxcbr0";  ip = "10.0.3.5"; };
};
publish = (
  { container = "web"; port = "tcp/443"; host = "0.0.0.0:443";  allow_from = [ "198.51.100.0/24" ]; },
  { container = "web"; port = "udp/53";  host = "0.0.0.0:5353"; allow_from = [ "198.51.100.0/24" ]; }
);
EOF
)
icc_apply_or_bail H "$POLICY"

check_matrix "$MATRIX"

seen_as tcp N 203.0.113.1 443 198.51.100.10 "the published port sees the client's own address"
seen_as udp N 203.0.113.1 5353 198.51.100.10 "the published udp port sees the client's own address"
# Replies to connections the containers open pass back in.
seen_as tcp web 198.51.100.10 7000 203.0.113.1 "replies to web's own connection come back in"
seen_as tcp lx 203.0.113.2 7000 203.0.113.1 "replies to lx's own connection come back in"
