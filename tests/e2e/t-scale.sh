#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Per-packet cost, structurally: the number of rules in table inet icc
# does not depend on the number of links (they live in sets, looked up
# once per packet), while the set elements grow with them.
. "$(dirname "$0")/lib.sh"
e2e_init

plan 20

topo_std
serve web 5432 80
serve db 5432
serve cache 1000 1500
serve_tcp lx 80

# elements NS: total number of elements in the sets and maps of inet icc.
elements() {
	nsx "$1" nft -j list table inet icc | "$PYTHON" -c '
import json, sys
n = 0
for o in json.load(sys.stdin)["nftables"]:
    for k in ("set", "map"):
        if k in o:
            n += len(o[k].get("elem", []))
print(n)'
}

# gen_policy NAME N KINDS...: a policy with the links given on stdin plus
# N generated links between 100 extra containers on docker0 (172.17.1.x),
# the port of the i-th generated link cycling through KINDS.
gen_policy() {
	local name=$1 n=$2
	shift 2
	local extra
	extra=$(cat)
	"$PYTHON" - "$n" "$@" <<EOF | policy_file "$E2E_TMP/$name.conf"
import sys
n = int(sys.argv[1]); kinds = sys.argv[2:]
print('version = 1;')
print('bridges = (')
print('  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; },')
print('  { name = "lxcbr0";  subnet = "10.0.3.0/24";   uplink = "eth0"; }')
print(');')
print('containers = {')
print('  web = { bridge = "docker0"; ip = "172.17.0.2"; };')
print('  db = { bridge = "docker0"; ip = "172.17.0.3"; };')
print('  cache = { bridge = "docker0"; ip = "172.17.0.4"; };')
print('  lx = { bridge = "lxcbr0"; ip = "10.0.3.5"; };')
for i in range(100):
    print('  c%d = { bridge = "docker0"; ip = "172.17.1.%d"; };' % (i, i + 1))
print('};')
links = []
extra = """$extra""".strip()
if extra:
    links.append(extra)
k = 0
for i in range(100):
    for j in range(100):
        if k >= n:
            break
        if i != j:
            kind = kinds[k % len(kinds)].replace("N", str(1000 + k))
            links.append('  { from = "c%d"; to = "c%d"; ports = [ "%s" ]; }' % (i, j, kind))
            k += 1
print('links = (')
print(',\n'.join(links))
print(');')
EOF
	echo "$E2E_TMP/$name.conf"
}

WEB_DB='  { from = "web"; to = "db"; ports = [ "tcp/5432" ]; }'
MIXED='  { from = "web"; to = "db"; ports = [ "tcp/5432" ]; },
  { from = "web"; to = "cache"; ports = [ "udp/1000-2000" ]; },
  { from = "cache"; to = "web"; ports = [ "icmp" ]; },
  { from = "lx"; to = "web"; ports = [ "any" ]; }'

P1=$(gen_policy p1 0 tcp/N <<<"$WEB_DB")
P500=$(gen_policy p500 499 tcp/N <<<"$WEB_DB")
P4=$(gen_policy p4 0 tcp/N <<<"$MIXED")
P500M=$(gen_policy p500m 496 tcp/N udp/N-2000 icmp any <<<"$MIXED")
P9900=$(gen_policy p9900 9899 tcp/N <<<"$WEB_DB")
[ "$(grep -c 'from = ' "$P500")" -eq 500 ] || bail "generator: $P500 does not have 500 links"
[ "$(grep -c 'from = ' "$P500M")" -eq 500 ] || bail "generator: $P500M does not have 500 links"

# Same kind of links: one tcp/port link vs 500.
icc_apply_or_bail H "$P1"
r1=$(nft_rules H inet icc)
e1=$(elements H)
diag "1 link: $r1 rules, $e1 set elements"
icc_apply_or_bail H "$P500"
r500=$(nft_rules H inet icc)
e500=$(elements H)
diag "500 links: $r500 rules, $e500 set elements"
is "$r500" "$r1" "500 tcp links: as many rules as with 1 link"
ok "500 tcp links: at least 499 more set elements than with 1 ($e1 -> $e500)" test "$e500" -ge $((e1 + 499))
allowed tcp web 172.17.0.3 5432 "500 links: web -> db:5432 allowed"
denied tcp db 172.17.0.2 5432 "500 links: db -> web:5432 denied"
denied tcp web 172.17.0.3 80 "500 links: web -> db:80 denied"
icc H -c "$P500" diff
is "$ICC_RC" 0 "500 links: diff in sync after apply"

# Back to one link: the elements go away again.
icc_apply_or_bail H "$P1"
is "$(nft_rules H inet icc)" "$r1" "back to 1 link: same number of rules"
is "$(elements H)" "$e1" "back to 1 link: as many set elements as before"

# Every kind of link (port, range, icmp, any): 4 links vs 500.
icc_apply_or_bail H "$P4"
r4=$(nft_rules H inet icc)
e4=$(elements H)
icc_apply_or_bail H "$P500M"
r500m=$(nft_rules H inet icc)
e500m=$(elements H)
diag "4 mixed links: $r4 rules, $e4 elements; 500 mixed links: $r500m rules, $e500m elements"
is "$r500m" "$r4" "500 mixed links: as many rules as with 4 (one of each kind)"
ok "500 mixed links: at least 496 more set elements ($e4 -> $e500m)" test "$e500m" -ge $((e4 + 496))
allowed udp web 172.17.0.4 1500 "500 mixed links: web -> cache udp/1500 allowed (range)"
allowed icmp cache 172.17.0.2 "" "500 mixed links: cache -> web icmp allowed"
allowed tcp lx 172.17.0.2 80 "500 mixed links: lx -> web tcp/80 allowed (any)"
denied icmp web 172.17.0.4 "" "500 mixed links: web -> cache icmp denied"
icc H -c "$P500M" diff
is "$ICC_RC" 0 "500 mixed links: diff in sync after apply"

# 9,900 links: more element messages than one 256 KB batch page holds.
# (One of 48 KB near a page's end was once written past the buffer.)
icc H -c "$P9900" apply
is "$ICC_RC" 0 "9900 links: apply exits 0"
ok "9900 links: every element live" test "$(elements H)" -ge $((e1 + 9899))
allowed tcp web 172.17.0.3 5432 "9900 links: web -> db:5432 allowed"
denied tcp db 172.17.0.2 5432 "9900 links: db -> web:5432 denied"
icc H -c "$P9900" diff
is "$ICC_RC" 0 "9900 links: diff in sync after apply"
