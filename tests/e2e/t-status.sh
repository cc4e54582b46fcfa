#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# icc-policy status [--json] against a known topology: every field
# checked against what the test built, counters against packets the test
# sent (allowed, denied by kind, published), drift, an unfiltered bridge,
# the daemon, and per-bridge logging. status never changes the ruleset.
. "$(dirname "$0")/lib.sh"
e2e_init

plan 53

topo_std
mkcontainer stray H docker0 172.17.0.9/16 172.17.0.1
serve db 5432
serve web 80 1000
serve_tcp R 80

POLICY=$(policy status <<EOF
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; egress = false; },
  { name = "lxcbr0";  subnet = "10.0.3.0/24";   uplink = "eth0"; log = "none"; }
);
containers = {
  web   = { bridge = "docker0"; ip = "172.17.0.2"; };
  db    = { bridge = "docker0"; ip = "172.17.0.3"; };
  cache = { bridge = "docker0"; name = "$(ns cache)"; };
  lx    = { bridge = "lxcbr0";  ip = "10.0.3.5"; };
  gone  = { bridge = "docker0"; ip = "172.17.0.77"; };
};
links = (
  { from = "web"; to = "db"; ports = [ "tcp/5432" ]; },
  { from = "db"; to = "web"; ports = [ "udp/1000" ]; }
);
publish = (
  { container = "web"; port = "tcp/80"; host = "127.0.0.1:8080"; },
  { container = "web"; port = "tcp/80"; host = "0.0.0.0:8081"; allow_from = [ "203.0.113.0/25" ]; }
);
EOF
)

J=$E2E_TMP/status.json
# status NS: runs status --json into $J (exit code in ST_RC)
status_json() {
	ST_RC=0
	ip netns exec "$(ns H)" "$ICC_POLICY" -c "$POLICY" status --json >"$J" \
		2>"$E2E_TMP/status.err" || ST_RC=$?
}
# jq-like: q EXPR (python, d = the document)
q() { "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$J" "$1"; }
# udp1 FROM ADDR PORT: exactly one datagram, from a fresh source port
udp1() {
	nsx "$1" "$PYTHON" -c 'import socket,sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", (sys.argv[1], int(sys.argv[2])))' "$2" "$3"
}
# the live ruleset, counters left out, to show status changes nothing
live() { nsx H nft -s list ruleset; }

status_json
is "$ST_RC" 1 "before apply: exit 1 (not enforced)"
is "$(q 'd["ruleset"]')" absent "before apply: ruleset absent"

icc_apply_or_bail H "$POLICY"
before=$(live)
status_json
is "$ST_RC" 0 "after apply: exit 0"
is "$(live)" "$before" "status changes nothing in the ruleset"
is "$(q 'd["version"]')" 1 "JSON version 1"
is "$(q 'd["ruleset"], d["changes"]')" "('in sync', 0)" "in sync, no changes"
is "$(q '[(b["name"], b["filtered"], b["log"]) for b in d["bridges"]]')" \
	"[('docker0', True, 'denied'), ('lxcbr0', True, 'none')]" \
	"both bridges filtered; lxcbr0 does not log"
is "$(q '[b["br_netfilter"] and b["nf_call_iptables"] and b["nf_call_ip6tables"] for b in d["bridges"]]')" \
	"[True, True]" "br_netfilter, nf_call_iptables and nf_call_ip6tables reported on"
web_mac=$(ip -n "$(ns web)" -br link show eth0 | awk '{print $3}')
cache_mac=$(ip -n "$(ns cache)" -br link show eth0 | awk '{print $3}')
is "$(q '[(c["port"], c["mac"], c["ipv4"], c["identified_by"]) for c in d["containers"] if c["name"] == "web"][0]')" \
	"('vweb', '$web_mac', ['172.17.0.2'], 'ip')" "web: port, MAC, address, by ip"
is "$(q '[(c["port"], c["mac"], c["ipv4"], c["identified_by"], c["found_as"]) for c in d["containers"] if c["name"] == "cache"][0]')" \
	"('vcache', '$cache_mac', ['172.17.0.4'], 'name', 'netns $(ns cache)')" \
	"cache: found by its netns name"
is "$(q '[(c["present"], c["port"]) for c in d["containers"] if c["name"] == "gone"][0]')" \
	"(False, None)" "gone: not present, no port"
is "$(q '[(c["port"], c["ipv4"]) for c in d["containers"] if c["name"] == "lx"][0]')" \
	"('vlx', ['10.0.3.5'])" "lx on lxcbr0"
is "$(q '[(u["bridge"], u["port"], u["ipv4"]) for u in d["unknown_ports"]]')" \
	"[('docker0', 'vstray', ['172.17.0.9'])]" "the stray container is reported as covered by no policy entry"
is "$(q '[(l["from"], l["to"], l["ports"], l["packets"], l["live"]) for l in d["links"]]')" \
	"[('web', 'db', ['tcp/5432'], 0, 1), ('db', 'web', ['udp/1000'], 0, 1)]" \
	"links listed, counters at 0"
is "$(q '[(p["container"], p["port"], p["host"], p["packets"]) for p in d["publishes"]]')" \
	"[('web', 'tcp/80', '127.0.0.1:8080', 0), ('web', 'tcp/80', '0.0.0.0:8081', 0)]" \
	"publishes listed, counters at 0"
is "$(q 'sorted(d["drops"])')" \
	"['egress', 'host', 'inbound', 'invalid', 'link', 'loopback', 'port', 'router_advert', 'spoofed']" \
	"every kind of drop is reported"
is "$(q 'd["daemon"]')" "{'running': False, 'policy': None}" "no daemon"

# Counters follow real packets. Each TCP connection passes one packet
# through the link's element (its SYN; the rest is established).
for i in 1 2 3; do probe_tcp web 172.17.0.3 5432 >/dev/null; done
for i in 1 2; do udp1 db 172.17.0.2 1000; done
status_json
is "$(q '[l["packets"] for l in d["links"]]')" "[3, 2]" "3 connections web->db and 2 datagrams db->web counted on their links"
is "$(q 'd["links"][0]["bytes"] > 0 and d["links"][1]["bytes"] > 0')" True "link bytes counted"

# Denied, by kind. UDP: one datagram each, no retries.
l0=$(q 'd["drops"]["link"]["packets"]')
for i in 1 2 3; do udp1 web 172.17.0.3 1000; done
status_json
is "$(q 'd["drops"]["link"]["packets"]')" "$((l0 + 3))" "3 denied datagrams web->db: drops.link +3"

e0=$(q 'd["drops"]["egress"]["packets"]')
denied tcp web 198.51.100.1 80 "egress = false: web -> outside denied"
status_json
ok "drops.egress counted it" test "$(q 'd["drops"]["egress"]["packets"]')" -gt "$e0"

i0=$(q 'd["drops"]["inbound"]["packets"]')
denied tcp R 172.17.0.2 80 "outside -> web (not published) denied"
status_json
ok "drops.inbound counted it" test "$(q 'd["drops"]["inbound"]["packets"]')" -gt "$i0"

h0=$(q 'd["drops"]["host"]["packets"]')
denied tcp web 172.17.0.1 22 "web -> host:22 denied"
status_json
ok "drops.host counted it" test "$(q 'd["drops"]["host"]["packets"]')" -gt "$h0"

p0=$(q 'd["drops"]["port"]["packets"]')
ip -n "$(ns web)" addr add 172.17.0.99/32 dev eth0
nok "from an address web's port is not bound to: no answer" \
	timeout 5 ip netns exec "$(ns web)" socat -T1 - \
	TCP:172.17.0.3:5432,bind=172.17.0.99,connect-timeout=1 </dev/null
status_json
ok "drops.port counted the forged frames" test "$(q 'd["drops"]["port"]["packets"]')" -gt "$p0"
ip -n "$(ns web)" addr del 172.17.0.99/32 dev eth0

# Published: the host's own connections to 127.0.0.1:8080.
for i in 1 2; do
	ip netns exec "$(ns H)" socat -T2 - TCP:127.0.0.1:8080,connect-timeout=2 </dev/null >/dev/null 2>&1
done
status_json
is "$(q 'd["publishes"][0]["packets"]')" 2 "2 connections to 127.0.0.1:8080 counted on the publish"
ok "R reaches web through the public publish" probe_tcp R 203.0.113.1 8081
status_json
is "$(q '[p["packets"] for p in d["publishes"]]')" "[2, 1]" "the public publish counted its connection"

# Text form: the same facts, readable.
icc H -c "$POLICY" status
like "$ICC_OUT" "ruleset: in sync" "text: in sync"
like "$ICC_OUT" "docker0: filtered" "text: docker0 filtered"
like "$ICC_OUT" "web -> db tcp/5432: 3 packets" "text: link counter"
like "$ICC_OUT" "on docker0: port vstray" "text: the uncovered port"
like "$ICC_OUT" "link: $(q 'd["drops"]["link"]["packets"]') packets" "text: drop counter"

# Drift: an element removed behind our back.
nsx H nft delete element inet icc links4 '{ 172.17.0.2 . 172.17.0.3 . tcp . 5432 }'
status_json
is "$ST_RC" 1 "drift: exit 1"
is "$(q 'd["ruleset"], d["changes"]')" "('drift', 1)" "drift: one change pending"
is "$(q 'd["links"][0]["live"], d["links"][0]["elements"]')" "(0, 1)" "drift: the link's element is not live"
icc_apply_or_bail H "$POLICY"

# A bridge whose bridged traffic bypasses the hooks is called so. The
# namespace-wide sysctl (on by default) would pass it all the same.
ip -n "$(ns H)" link set lxcbr0 type bridge nf_call_iptables 0
status_json
is "$(q '[b["filtered"] for b in d["bridges"]]')" "[True, True]" \
	"bridge flag off, bridge-nf-call-iptables on: still filtered"
nsx H sysctl -qw net.bridge.bridge-nf-call-iptables=0
status_json
is "$(q '[(b["name"], b["filtered"], b["nf_call_iptables"]) for b in d["bridges"]]')" \
	"[('docker0', True, True), ('lxcbr0', False, False)]" "nf_call_iptables off: lxcbr0 not filtered"
icc H -c "$POLICY" status
like "$ICC_OUT" "lxcbr0: NOT FILTERED" "text: NOT FILTERED"
icc_apply_or_bail H "$POLICY"
status_json
is "$(q '[b["filtered"] for b in d["bridges"]]')" "[True, True]" \
	"apply sets the bridge flag again: filtered"

# A rule added behind our back: the tables are not intact, so the drop
# counters are unknown (null), not zero.
nsx H nft add rule inet icc to_host counter
status_json
is "$ST_RC" 1 "an added rule: exit 1"
is "$(q 'd["ruleset"], set(d["drops"].values())')" "('drift', {None})" "an added rule: drift, drop counters null"
icc_apply_or_bail H "$POLICY"

# A table inet icc that is not ours: reported as such, not an error.
icc H -c "$POLICY" flush
nsx H nft add table inet icc
status_json
is "$ST_RC" 1 "a foreign table inet icc: exit 1"
is "$(q 'd["ruleset"]')" "not ours" "a foreign table inet icc: not ours"
nsx H nft delete table inet icc
icc_apply_or_bail H "$POLICY"

# The daemon, found in this namespace only.
daemon_start H "$POLICY" || bail "icc-policyd did not start"
status_json
is "$(q 'd["daemon"]["running"]')" True "daemon running"
is "$(q 'd["daemon"]["policy"]')" "$POLICY" "daemon: the policy it enforces"
is "$ST_RC" 0 "with the daemon: exit 0"

# Usage and bad policy.
icc H -c "$POLICY" status extra
is "$ICC_RC" 2 "status with an argument: exit 2"
icc H -c /nonexistent.conf status --json
is "$ICC_RC" 1 "a missing policy: exit 1"
is "$ICC_OUT" "" "a missing policy: nothing on stdout"
