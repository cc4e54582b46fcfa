#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Per-container egress (the NetworkPolicy egress model): with egress =
# false on docker0, new connections out of the uplink pass only where an
# egress rule allows that container, destination and port; masquerade
# still applies; another bridge's egress is untouched; a rule never
# opens another bridge.
. "$(dirname "$0")/lib.sh"
e2e_init

MATRIX='
tcp  web 198.51.100.10 443 ok rule web to 0.0.0.0/0 tcp/443
tcp  web 198.51.100.53 443 ok the same rule, another destination
tcp  web 198.51.100.10 80  no a port no rule lists
udp  web 198.51.100.53 53  ok rule web to 198.51.100.53 udp/53
udp  web 198.51.100.10 53  no udp/53 only to 198.51.100.53
icmp web 198.51.100.53 -   ok rule web to 198.51.100.53 icmp
icmp web 198.51.100.10 -   no icmp only to 198.51.100.53
tcp  db  198.51.100.10 443 no db has no rule and docker0 no egress
udp  db  198.51.100.53 53  no nor udp
tcp  web 10.0.3.5      443 no a rule to 0.0.0.0/0 does not open another bridge
tcp  lx  198.51.100.10 80  ok lxcbr0 keeps its bridge-wide egress
'

plan $((1 + $(matrix_count "$MATRIX") + 3 + 4))

topo_std
ip -n "$(ns N)" addr add 198.51.100.53/24 dev eth0
addr6 N eth0 198.51.100.53/24
serve N 443 80
# One udp server per address: a reply must come from the address asked.
serve_udp N 53 198.51.100.53
serve_udp N 53 198.51.100.10
serve lx 443
serve_echo N 8443
serve_echo N 8444
forwarding_on H
# Without the policy (and without masquerade, so the internet routes back
# through R) every row answers: each "no" below is a real denial.
baseline "$MATRIX" "baseline: without a policy every row gets through"

POL=$(policy egress <<'EOF'
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; egress = false; },
  { name = "lxcbr0"; subnet = "10.0.3.0/24"; uplink = "eth0"; }
);
containers = {
  web = { bridge = "docker0"; ip = "172.17.0.2"; };
  db = { bridge = "docker0"; ip = "172.17.0.3"; };
  lx = { bridge = "lxcbr0"; ip = "10.0.3.5"; };
};
egress = (
  { from = "web"; to = "0.0.0.0/0"; ports = [ "tcp/443" ]; },
  { from = "web"; to = "198.51.100.53"; ports = [ "udp/53", "icmp" ]; }
);
EOF
)
icc_apply_or_bail H "$POL"
check_matrix "$MATRIX"
seen_as tcp web 198.51.100.10 443 203.0.113.1 "an egress rule's traffic is masqueraded to the uplink address"
icc H -c "$POL" diff
is "$ICC_RC" 0 "diff: in sync"
nok "check refuses a rule on a bridge with egress = true" \
	"$ICC_POLICY" -c <(sed 's/egress = false; //' "$POL") check

# ---- removing an egress rule cuts its connections, not the others'
RULES="{ from = \"web\"; to = \"$(fam 198.51.100.53)\"; ports = [ \"tcp/8444\" ]; }"
sed "s|^egress = (|egress = (\n  { from = \"web\"; to = \"$(fam 198.51.100.10)\"; ports = [ \"tcp/8443\" ]; },\n  $RULES,|" "$POL" >"$E2E_TMP/with.conf"
sed "s|^egress = (|egress = (\n  $RULES,|" "$POL" >"$E2E_TMP/without.conf"
icc_apply_or_bail H "$E2E_TMP/with.conf"
keepalive out1 web 198.51.100.10 8443
keepalive out2 web 198.51.100.53 8444
within "two long-lived egress connections are up" 5 eval 'up_past out1 2 && up_past out2 2'
icc H -c "$E2E_TMP/without.conf" apply
like "$ICC_OUT" "cut 1 connection the policy no longer allows" "apply without the tcp/8443 rule cuts one connection"
within "the removed rule's connection dies within 3 s" 3 is_dead out1
goes_on out2 "the connection of the rule that stays goes on"
