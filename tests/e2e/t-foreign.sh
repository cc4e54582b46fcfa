#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Other people's tables survive apply and flush byte for byte; flush
# removes only our tables (and only when they carry our comment); traffic
# that touches no managed bridge is not affected.
. "$(dirname "$0")/lib.sh"
e2e_init

plan 30

topo_std
serve_tcp web 80
serve_tcp db 80
serve_tcp O 7000
serve_udp O 7000
serve_tcp H 7001
serve_udp H 7001
serve_tcp N 7000

# A ruleset an administrator might have: a filter table of the same
# family as ours, a NAT table, a bridge table (no counters where traffic
# passes, so that a listing is comparable byte for byte).
nsx H nft -f - <<'EOF' || bail "cannot load the foreign tables"
table inet admin {
	set trusted { type ipv4_addr; elements = { 203.0.113.130 } }
	chain c {
		type filter hook input priority 0; policy accept;
		ip saddr @trusted accept
		tcp dport 22 drop
	}
}
table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 192.0.2.0/24 oifname "eth0" counter masquerade
	}
}
table bridge filt {
	chain brfwd {
		type filter hook forward priority 0; policy accept;
		ether type arp accept
	}
}
EOF

foreign() {
	nsx H nft list table inet admin
	nsx H nft list table ip nat
	nsx H nft list table bridge filt
}

# The plain veth H <-> O: tcp, udp, icmp both ways.
veth_ok() {	# PREFIX
	local ok=1 r=()
	E2E_TIMEOUT=3 reach tcp O 203.0.113.129 7001 >/dev/null || r+=("tcp O -> H")
	E2E_TIMEOUT=3 reach udp O 203.0.113.129 7001 >/dev/null || r+=("udp O -> H")
	E2E_TIMEOUT=3 reach icmp O 203.0.113.129 >/dev/null || r+=("icmp O -> H")
	E2E_TIMEOUT=3 reach tcp H 203.0.113.130 7000 >/dev/null || r+=("tcp H -> O")
	E2E_TIMEOUT=3 reach udp H 203.0.113.130 7000 >/dev/null || r+=("udp H -> O")
	E2E_TIMEOUT=3 reach icmp H 203.0.113.130 >/dev/null || r+=("icmp H -> O")
	if [ ${#r[@]} -eq 0 ]; then pass "$1: tcp, udp, icmp between H and O on a plain veth"
	else fail "$1: tcp, udp, icmp between H and O on a plain veth" "${r[@]}"; fi
}

POLICY=$(policy foreign <<'EOF'
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; }
);
containers = {
  web = { bridge = "docker0"; ip = "172.17.0.2"; };
  db  = { bridge = "docker0"; ip = "172.17.0.3"; };
};
links = ( { from = "web"; to = "db"; ports = [ "tcp/80" ]; } );
publish = ( { container = "web"; port = "tcp/80"; host = "127.0.0.1:8080"; } );
EOF
)

ruleset0=$(nsx H nft list ruleset)
foreign0=$(foreign)
veth_ok "before apply"

# An "inet icc" that is not ours (no comment) must not be flushed away.
nsx H nft add table inet icc
icc H -c "$POLICY" flush
ok "flush keeps a table inet icc without our comment" nsx H nft list table inet icc
nsx H nft delete table inet icc
# Nor a "bridge icc" that is not ours: apply and flush refuse, it stays.
nsx H nft add table bridge icc
icc H -c "$POLICY" apply
is "$ICC_RC" 2 "apply refuses while a table bridge icc without our comment exists"
like "$ICC_ERR" "bridge icc exists but was not made by icc-policy" "and says why"
nok "apply created no table inet icc next to it" nsx H nft list table inet icc
icc H -c "$POLICY" flush
ok "flush keeps a table bridge icc without our comment" nsx H nft list table bridge icc
nsx H nft delete table bridge icc

icc_apply_or_bail H "$POLICY"
is "$(foreign)" "$foreign0" "apply leaves inet admin, ip nat and bridge filt byte for byte"
ok "apply created table inet icc" nsx H nft list table inet icc
like "$(nsx H nft list table inet icc)" 'managed by icc-policy' "our table carries our comment"
ok "apply created table bridge icc" nsx H nft list table bridge icc
like "$(nsx H nft list table bridge icc)" 'managed by icc-policy' "it carries our comment too"
is "$(nsx H nft list tables | grep -c .)" 5 "five tables after apply: three foreign and our two"
denied tcp db 172.17.0.2 80 "the policy is enforced next to the foreign tables"
allowed tcp web 172.17.0.3 80 "the link works next to the foreign tables"
veth_ok "after apply"
seen_as tcp O 198.51.100.10 7000 203.0.113.130 "O -> internet through H is forwarded, not masqueraded"
allowed tcp N 203.0.113.130 7000 "internet -> O through H is forwarded (no bridge, not ours to filter)"

# Their chains are not ours: right after apply, diff is in sync (a
# foreign chain taken for drift would replace our tables every time).
icc H -c "$POLICY" diff
is "$ICC_RC" 0 "diff is in sync next to the foreign tables"

# A second apply and a diff leave them alone too.
icc_apply_or_bail H "$POLICY"
like "$ICC_OUT" "^in sync: nothing to change$" "a second apply changes nothing"
is "$(foreign)" "$foreign0" "a second apply leaves the foreign tables byte for byte"
icc H -c "$POLICY" apply --dry-run
is "$(foreign)" "$foreign0" "apply --dry-run leaves the foreign tables byte for byte"

icc H -c "$POLICY" flush
is "$ICC_RC" 0 "flush exits 0"
nok "flush removed table inet icc" nsx H nft list table inet icc
nok "flush removed table bridge icc" nsx H nft list table bridge icc
is "$(foreign)" "$foreign0" "flush leaves inet admin, ip nat and bridge filt byte for byte"
is "$(nsx H nft list ruleset)" "$ruleset0" "after flush the whole ruleset is what it was before apply"
veth_ok "after flush"
allowed tcp db 172.17.0.2 80 "after flush nothing is enforced any more"

icc H -c "$POLICY" flush
is "$ICC_RC" 0 "a second flush (nothing to do) exits 0"
is "$(nsx H nft list ruleset)" "$ruleset0" "a second flush changes nothing"
