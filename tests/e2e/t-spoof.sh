#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Anti-spoofing (table bridge icc): a container port may send only with its
# own MAC and addresses. mallory forges frames (raw AF_PACKET) and each
# forgery is shown to get through without table bridge icc and not with it:
# a foreign source address, ARP poisoning, a router advertisement, other
# ethertypes, and taking over a stopped container's MAC and address. Then
# the same with icc-policyd, whose bindings follow containers as they come
# and go.
. "$(dirname "$0")/lib.sh"
e2e_init
[ -x "$ICC_POLICYD" ] || skip_or_bail "icc-policyd not built at $ICC_POLICYD"
plan 44

SPOOF=$E2E_DIR/spoof.py

mkns H
mkbridge H docker0 172.17.0.1/16
mkcontainer web H docker0 172.17.0.2/16 172.17.0.1 fe80::2
mkcontainer db H docker0 172.17.0.3/16 172.17.0.1 fe80::3
mkcontainer mallory H docker0 172.17.0.66/16 172.17.0.1 fe80::66
# dual stack: the IPv6 half of each
ip -n "$(ns H)" addr add fd00:17::1/64 dev docker0 nodad
for c in web:2 db:3 mallory:66; do
	ip -n "$(ns "${c%:*}")" addr add "fd00:17::${c#*:}/64" dev eth0 nodad
done
mac() { nsx "$1" cat /sys/class/net/eth0/address; }
WEBMAC=$(mac web)
DBMAC=$(mac db)
MALMAC=$(mac mallory)

POL=$(policy spoof <<EOF
version = 1;
bridges = ( { name = "docker0"; subnet = [ "172.17.0.0/16", "fd00:17::/64" ]; host_ports = [ "udp/67" ]; } );
containers = {
  web = { bridge = "docker0"; name = "$(ns web)"; };
  db = { bridge = "docker0"; name = "$(ns db)"; };
  mallory = { bridge = "docker0"; name = "$(ns mallory)"; };
  fresh = { bridge = "docker0"; name = "$(ns fresh)"; };
};
links = (
  { from = "web"; to = "db"; ports = [ "tcp/5432", "udp/9000" ]; }
);
EOF
)

serve_tcp db 5432
_bg db "$PYTHON" "$SPOOF" listen 9000 "$E2E_TMP/db.udp"
wait_until 5 grep -q listening "$E2E_TMP/db.udp" || bail "no UDP listener in db"
got_udp() { grep -q " $1\$" "$E2E_TMP/db.udp"; }

bset() { nsx H nft list set bridge icc "$1"; }
drop_bridge_table() { nsx H nft delete table bridge icc; }

# ---- the bindings
icc_apply_or_bail H "$POL"
like "$(bset port_mac)" "\"vweb\" \\. $WEBMAC" "web's port is bound to web's MAC"
like "$(bset port_ip4)" "\"vweb\" \\. $WEBMAC \\. 172\\.17\\.0\\.2([^0-9]|\$)" "web's port is bound to web's MAC and address"
like "$(bset port_ip4)" "\"vmallory\" \\. $MALMAC \\. 172\\.17\\.0\\.66" "mallory's port to its own"
unlike "$(bset port_ip4)" "\"vmallory\" \\. [0-9a-f:]* \\. 172\\.17\\.0\\.2([^0-9]|\$)" "mallory's port has no binding for web's address"
allowed tcp web 172.17.0.3 5432 "web -> db tcp/5432 (the link) still works"
nsx web "$PYTHON" "$SPOOF" udp eth0 "$WEBMAC" 172.17.0.2 "$DBMAC" 172.17.0.3 9000 real-web
ok "web -> db udp/9000 (the link): a real datagram arrives" wait_until 2 got_udp real-web
denied tcp mallory 172.17.0.3 5432 "mallory -> db tcp/5432: no link"

# ---- a forged source address: mallory sends as web (its own MAC, then web's)
forge() {	# TAG SRCMAC
	nsx mallory "$PYTHON" "$SPOOF" udp eth0 "$2" 172.17.0.2 "$DBMAC" 172.17.0.3 9000 "$1"
}
forge forged-1 "$MALMAC"
forge forged-2 "$WEBMAC"
sleep 0.5
nok "mallory sending as 172.17.0.2 (own MAC): dropped" got_udp forged-1
nok "mallory sending as 172.17.0.2 with web's MAC: dropped" got_udp forged-2
drop_bridge_table
forge forged-3 "$MALMAC"
ok "control: without table bridge icc the same forgery reaches db through web's link" \
	wait_until 2 got_udp forged-3
icc_apply_or_bail H "$POL"

# ---- ARP poisoning: "172.17.0.3 is-at mallory" sent to web
nsx web sysctl -qw net.ipv4.neigh.eth0.locktime=0
poison() {
	nsx web ip neigh replace 172.17.0.3 lladdr "$DBMAC" dev eth0 nud stale
	nsx mallory "$PYTHON" "$SPOOF" arp eth0 "$MALMAC" 172.17.0.3 "$WEBMAC" 172.17.0.2
	sleep 0.3
	nsx web ip neigh show 172.17.0.3 dev eth0
}
like "$(poison)" "lladdr $DBMAC" "ARP reply claiming db's address: web still has db's MAC"
allowed tcp web 172.17.0.3 5432 "web -> db still reaches db after the ARP attempt"
drop_bridge_table
like "$(poison)" "lladdr $MALMAC" "control: without table bridge icc the ARP reply poisons web"
nsx web ip neigh replace 172.17.0.3 lladdr "$DBMAC" dev eth0 nud stale
icc_apply_or_bail H "$POL"

# ---- router advertisements, to the host (accept_ra=2) and to web
nsx H sysctl -qw net.ipv6.conf.docker0.accept_ra=2
nsx web sysctl -qw net.ipv6.conf.eth0.accept_ra=2
ra() {
	nsx mallory "$PYTHON" "$SPOOF" ra eth0 "$MALMAC" fe80::66
	sleep 0.3
}
ra
unlike "$(nsx H ip -6 route show default)" "fe80::66" "RA from a container: the host takes no route from it"
unlike "$(nsx web ip -6 route show default)" "fe80::66" "RA from a container: web takes no route from it"
drop_bridge_table
ra
like "$(nsx H ip -6 route show default)" "fe80::66" "control: without table bridge icc the host takes mallory as its router"
nsx H ip -6 route flush default
icc_apply_or_bail H "$POL"

# ---- IPv6: sources and neighbour discovery
like "$(bset port_ip6)" "\"vweb\" \\. $WEBMAC \\. fd00:17::2([^:0-9a-f]|\$)" \
	"web's port is bound to web's MAC and IPv6 address"
like "$(bset port_ip6)" "\"vweb\" \\. $WEBMAC \\. fe80::2([^:0-9a-f]|\$)" \
	"and to its link-local address"
nsx web "$PYTHON" "$SPOOF" udp6 eth0 "$WEBMAC" fd00:17::2 "$DBMAC" fd00:17::3 9000 real6
ok "web -> db over IPv6 (the link): a real datagram arrives" wait_until 2 got_udp real6
forge6() {
	nsx mallory "$PYTHON" "$SPOOF" udp6 eth0 "$MALMAC" fd00:17::2 "$DBMAC" fd00:17::3 9000 "$1"
}
forge6 forged6-1
sleep 0.5
nok "mallory sending as fd00:17::2: dropped" got_udp forged6-1
drop_bridge_table
forge6 forged6-2
ok "control: without table bridge icc the IPv6 forgery reaches db through web's link" \
	wait_until 2 got_udp forged6-2
icc_apply_or_bail H "$POL"

nsx web sysctl -qw net.ipv6.neigh.eth0.locktime=0
poison6() {
	nsx web ip -6 neigh replace fd00:17::3 lladdr "$DBMAC" dev eth0 nud stale
	nsx mallory "$PYTHON" "$SPOOF" na eth0 "$MALMAC" fd00:17::66 "$WEBMAC" fd00:17::2 fd00:17::3
	sleep 0.3
	nsx web ip -6 neigh show fd00:17::3 dev eth0
}
like "$(poison6)" "lladdr $DBMAC" "a neighbour advertisement claiming db's address: web still has db's MAC"
drop_bridge_table
like "$(poison6)" "lladdr $MALMAC" "control: without table bridge icc the advertisement poisons web"
nsx web ip -6 neigh replace fd00:17::3 lladdr "$DBMAC" dev eth0 nud stale
icc_apply_or_bail H "$POL"

# ---- other ethertypes and VLAN tags
other() {	# ETHERTYPE TAG: sent mallory -> web, seen by web?
	( nsx web "$PYTHON" "$SPOOF" sniff eth0 "$1" "$2" 2 ) &
	local p=$!
	sleep 0.3
	nsx mallory "$PYTHON" "$SPOOF" raw eth0 "$MALMAC" "$WEBMAC" "$1" "$2"
	wait "$p"
}
nok "ethertype 0x88b5 from a container port: dropped" other 88b5 exp-1
nok "an 802.1Q-tagged frame from a container port: dropped" other 8100 vlan-1
drop_bridge_table
ok "control: without table bridge icc web receives the 0x88b5 frame" other 88b5 exp-2
icc_apply_or_bail H "$POL"

# ---- DHCP before an address: only the client's request passes
mkcontainer fresh H docker0 172.17.9.9/16 172.17.0.1
nsx fresh ip addr flush dev eth0
FRESHMAC=$(mac fresh)
icc_apply_or_bail H "$POL"
_bg H "$PYTHON" "$SPOOF" listen 67 "$E2E_TMP/h.dhcp"
wait_until 5 grep -q listening "$E2E_TMP/h.dhcp" || bail "no UDP listener on 67 in H"
dhcp() {	# TAG SRC
	nsx fresh "$PYTHON" "$SPOOF" udp eth0 "$FRESHMAC" "$2" ff:ff:ff:ff:ff:ff \
		255.255.255.255 67 "$1"
}
dhcp dhcp-1 0.0.0.0
ok "a DHCP request from 0.0.0.0 (no address yet) reaches the host" \
	wait_until 2 grep -q "dhcp-1" "$E2E_TMP/h.dhcp"
dhcp dhcp-2 172.17.9.9
sleep 0.5
nok "the same from an address the port does not hold: dropped" \
	grep -q "dhcp-2" "$E2E_TMP/h.dhcp"
drop_bridge_table
dhcp dhcp-3 172.17.9.9
ok "control: without table bridge icc it reaches the host" \
	wait_until 2 grep -q "dhcp-3" "$E2E_TMP/h.dhcp"
icc_apply_or_bail H "$POL"

# ---- a stopped container's identity taken over (no daemon: bindings as applied)
rmcontainer web H
takeover() {	# NAME: NAME becomes web's MAC and address
	nsx "$1" ip link set eth0 down
	nsx "$1" ip link set eth0 address "$WEBMAC"
	nsx "$1" ip addr flush dev eth0
	nsx "$1" ip addr add 172.17.0.2/16 dev eth0
	nsx "$1" ip link set eth0 up
	nsx "$1" ip route add default via 172.17.0.1
}
takeover mallory
like "$(nsx H nft list set inet icc links4)" "172\\.17\\.0\\.2 \\. 172\\.17\\.0\\.3 \\. tcp \\. 5432" \
	"web's link is still in table inet icc (applied while web ran)"
denied tcp mallory 172.17.0.3 5432 "mallory with web's MAC and address: web's link is closed to it"
drop_bridge_table
allowed tcp mallory 172.17.0.3 5432 "control: without table bridge icc mallory gets through web's link"
icc_apply_or_bail H "$POL"
denied tcp mallory 172.17.0.3 5432 "after a new apply (web gone): still no way through"
icc H -c "$POL" diff
is "$ICC_RC" 0 "diff: in sync"

# ---- icc-policyd: bindings follow containers
icc H -c "$POL" flush
rmcontainer mallory H
mkcontainer mallory H docker0 172.17.0.66/16 172.17.0.1
MALMAC=$(mac mallory)
daemon_start H "$POL" || bail "icc-policyd does not start: $(cat "$DAEMON_LOG")"
mkcontainer web H docker0 172.17.0.2/16 172.17.0.1
WEBMAC=$(mac web)
within "a new container's port is bound within 1 s" 1 \
	eval 'bset port_ip4 | grep -qF "\"vweb\" . $WEBMAC . 172.17.0.2"'
allowed tcp web 172.17.0.3 5432 "the new web reaches db"
nsx web ip addr add 172.17.0.20/16 dev eth0
within "an address web adds is bound within 1 s" 1 \
	eval 'bset port_ip4 | grep -qF "\"vweb\" . $WEBMAC . 172.17.0.20"'
nsx web ip addr add fd00:17::20/64 dev eth0 nodad
within "an IPv6 address web adds is bound within 1 s (an address event, no other)" 1 \
	eval 'bset port_ip6 | grep -qF "\"vweb\" . $WEBMAC . fd00:17::20"'
rmcontainer web H
within "a stopped container's bindings are gone within 1 s" 1 \
	eval '! bset port_mac | grep -qF "\"vweb\""'
takeover mallory
within "mallory's port is rebound to the identity it took" 1 \
	eval 'bset port_ip4 | grep -qF "\"vmallory\" . $WEBMAC . 172.17.0.2"'
no_elem H links4 "172.17.0.2 . 172.17.0.3 . tcp . 5432" &&
	pass "web's link left with web" || fail "web's link left with web"
denied tcp mallory 172.17.0.3 5432 "mallory as web while web is down: denied"
nsx mallory ip addr add 172.17.0.3/16 dev eth0
within "an address two ports claim (mallory takes db's): bound to neither" 1 \
	eval '! bset port_ip4 | grep -qF "172.17.0.3"'
like "$(cat "$DAEMON_LOG")" "claims 172\\.17\\.0\\.3, which another container has too" \
	"the daemon says why"
