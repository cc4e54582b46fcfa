#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Containers and the host itself: new connections from a container to
# any of the host's addresses are denied, except the host_ports its
# bridge lists; replies to the host's own connections, and traffic that
# touches no managed bridge, are not affected.
. "$(dirname "$0")/lib.sh"
e2e_init

MATRIX='
tcp  web 172.17.0.1    3128 ok host_ports tcp/3128 on the bridge address
tcp  web 203.0.113.1   3128 ok host_ports hold for every host address
udp  web 172.17.0.1    53   ok host_ports udp/53
icmp web 172.17.0.1    -    ok host_ports icmp
tcp  web 172.17.0.1    22   no a host service not listed
tcp  web 203.0.113.1   22   no not on another host address either
udp  web 172.17.0.1    54   no udp port not listed
tcp  web 172.17.0.1    53   no udp/53 does not open tcp/53
udp  web 172.17.0.1    3128 no tcp/3128 does not open udp/3128
tcp  lx  10.0.3.1      3128 no lxcbr0 lists no host_ports
icmp lx  10.0.3.1      -    no nor icmp
tcp  lx  172.17.0.1    3128 no another bridge'"'"'s address is still the host
tcp  O   203.0.113.129 22   ok O is on no managed bridge
'

plan $((1 + $(matrix_count "$MATRIX") + 3))

topo_std
serve H 22 53 54 3128
serve web 80

baseline "$MATRIX" "baseline: without a policy every row gets through"

POL=$(policy host <<'EOF'
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; host_ports = [ "udp/53", "tcp/3128", "icmp" ]; },
  { name = "lxcbr0"; subnet = "10.0.3.0/24"; uplink = "eth0"; }
);
containers = {
  web = { bridge = "docker0"; ip = "172.17.0.2"; };
  lx = { bridge = "lxcbr0"; ip = "10.0.3.5"; };
};
publish = ( { container = "web"; port = "tcp/80"; host = "8080"; } );
EOF
)
icc_apply_or_bail H "$POL"
check_matrix "$MATRIX"

allowed tcp H 172.17.0.2 80 "the host's own connection to a container still works (replies come back)"
if [ "$E2E_FAMILY" = 6 ]; then
	# [::1] publishes are icc-policyd's relay, not rules
	skip_one "a [::1] publish still reaches the container and back" "t-relay6.sh"
else
	seen_as tcp H 127.0.0.1 8080 172.17.0.1 "a 127.0.0.1 publish still reaches the container and back"
fi
icc H -c "$POL" diff
is "$ICC_RC" 0 "diff: in sync"
