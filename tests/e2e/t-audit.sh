#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# icc-policy audit: every check seen passing on a good setup and warning
# or failing on a deliberately broken one (bridge flag off, forwarding
# off, an element removed, the loopback guard gone while route_localnet
# is 1, daemon.json fixtures, foreign DNAT rules made with nft and with
# iptables-nft, iptables-legacy tables, a container no policy entry
# covers, daemons with too many or just enough capabilities, a daemon in
# another namespace); the JSON format and the exit codes; and no audit
# changes the ruleset, the sysctls or the links.
. "$(dirname "$0")/lib.sh"
e2e_init
[ -x "$ICC_POLICYD" ] || skip_or_bail "icc-policyd not built at $ICC_POLICYD"
command -v setpriv >/dev/null || skip_or_bail "setpriv not installed"

plan 96

topo_std nf_call_iptables 0 nf_call_ip6tables 0
nsx H ip link set lxcbr0 type bridge nf_call_iptables 0 nf_call_ip6tables 0
# and the namespace-wide switches too (on by default: they alone would
# pass bridged traffic to the hooks)
nsx H sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0
serve_tcp O 7000

POL=$(policy audit <<'EOF'
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; },
  { name = "lxcbr0";  subnet = "10.0.3.0/24"; }
);
containers = {
  web   = { bridge = "docker0"; ip = "172.17.0.2"; };
  db    = { bridge = "docker0"; ip = "172.17.0.3"; };
  cache = { bridge = "docker0"; ip = "172.17.0.4"; };
  lx    = { bridge = "lxcbr0";  ip = "10.0.3.5"; };
};
links = ( { from = "web"; to = "db"; ports = [ "tcp/5432" ]; } );
publish = ( { container = "web"; port = "tcp/80"; host = "127.0.0.1:8080"; } );
EOF
)

# daemon.json fixtures, one directory each (Docker "installed" there).
DJ=$E2E_TMP/docker
fixture() {	# NAME: stdin to $DJ/NAME/daemon.json, prints the path
	mkdir -p "$DJ/$1"
	cat >"$DJ/$1/daemon.json"
	echo "$DJ/$1/daemon.json"
}
GOOD=$(fixture good <<'EOF'
{ "icc": false, "userland-proxy": false, "ip": "127.0.0.1", "iptables": false,
  "log-driver": "journald" }
EOF
)

# What an audit must not touch: the ruleset, H's net sysctls, its links.
snapshot() {
	nsx H nft -s list ruleset 2>&1
	nsx H sysctl -a -r '^net\.(ipv4|ipv6|bridge)\.' 2>/dev/null | grep -v nf_conntrack
	nsx H ip -d link show 2>/dev/null | sed 's/ [a-z_]*timer *[0-9.]*//g'	# not the bridges' running timers
}
CHANGED=()
RUNS=0
# audit [ARGS...]: icc-policy audit --json in H (the good daemon.json
# unless ARGS give another), checking that nothing changed.
audit() {
	local before after
	before=$(snapshot)
	icc H -c "$POL" audit --json --docker-config "$GOOD" "$@"
	after=$(snapshot)
	RUNS=$((RUNS + 1))
	[ "$before" = "$after" ] || CHANGED+=("audit $* changed: $(diff <(echo "$before") <(echo "$after") | head -5)")
}

# st ID [SUBJECT]: the statuses of ID's results (whose subject contains
# SUBJECT), space-separated, from the last audit's JSON.
st() {
	printf '%s' "$ICC_OUT" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(c["status"] for c in d["checks"]
               if c["id"] == sys.argv[1] and sys.argv[2] in c["subject"]))' "$1" "${2:-}"
}
# text ID [SUBJECT]: subject, reason and fix of ID's results.
text() {
	printf '%s' "$ICC_OUT" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
for c in d["checks"]:
    if c["id"] == sys.argv[1] and sys.argv[2] in c["subject"]:
        print(c["status"], c["subject"], "|", c["reason"], "|", c["fix"])' "$1" "${2:-}"
}
# check_json: the documented format, exactly.
check_json() {
	printf '%s' "$ICC_OUT" | "$PYTHON" -c '
import json, sys
ids = {"br-netfilter", "forwarding", "tables", "route-localnet", "docker-icc",
       "docker-userland-proxy", "docker-ip", "docker-iptables",
       "foreign-publish", "uncovered-containers", "daemon-caps"}
d = json.load(sys.stdin)
assert set(d) == {"version", "score", "pass", "warn", "fail", "checks"}, d.keys()
assert d["version"] == 1
for k in ("score", "pass", "warn", "fail"):
    assert type(d[k]) is int, k
cs = d["checks"]
assert type(cs) is list and cs
for c in cs:
    assert set(c) == {"id", "status", "subject", "reason", "fix"}, c
    assert all(type(v) is str for v in c.values()), c
    assert c["id"] in ids, c
    assert c["status"] in ("PASS", "WARN", "FAIL"), c
    assert c["reason"], c
    assert (c["fix"] == "") == (c["status"] == "PASS"), c
assert {c["id"] for c in cs} == ids, ids - {c["id"] for c in cs}
n = {s: sum(c["status"] == s for c in cs) for s in ("PASS", "WARN", "FAIL")}
assert (d["pass"], d["warn"], d["fail"]) == (n["PASS"], n["WARN"], n["FAIL"])
assert d["score"] == (200 * n["PASS"] + 100 * n["WARN"]) // (2 * len(cs)), d["score"]
print("ok", d["score"])'
}

# ---- before any apply: nothing enforced
audit
is "$ICC_RC" 1 "before apply: audit exits 1 (there are FAILs)"
like "$(check_json)" "^ok" "before apply: --json has the documented fields, counts and score"
is "$(st br-netfilter docker0)" FAIL "br-netfilter FAIL: docker0 nf_call_iptables 0"
like "$(text br-netfilter docker0)" "nf_call_iptables and nf_call_ip6tables = 0" "and it says which flags are off"
is "$(st forwarding)" FAIL "forwarding FAIL: ip_forward 0 while the policy has egress"
like "$(text forwarding)" "net.ipv4.ip_forward .*audit.conf:3" "and it names the sysctl and the policy line that needs it"
is "$(st tables)" FAIL "tables FAIL: not loaded"
is "$(nsx H nft list ruleset)" "" "audit loaded nothing"
is "$(sysctl_get H net.ipv4.ip_forward)" 0 "audit turned nothing on"

# ---- the good setup
icc_apply_or_bail H "$POL"
audit
is "$ICC_RC" 0 "good setup: audit exits 0"
like "$(check_json)" "^ok" "good setup: --json has the documented fields, counts and score"
is "$(st br-netfilter)" "PASS PASS" "br-netfilter PASS on docker0 and lxcbr0"
is "$(st forwarding)" PASS "forwarding PASS"
is "$(st tables)" PASS "tables PASS: in sync with the policy"
is "$(st route-localnet)" PASS "route-localnet PASS: 1 on docker0 with the guard live"
like "$(text route-localnet)" "^PASS docker0 \|.*guard.*is live" "and it names the interface"
for id in docker-icc docker-userland-proxy docker-ip docker-iptables; do
	is "$(st $id)" PASS "$id PASS with the recommended daemon.json"
done
is "$(st foreign-publish)" PASS "foreign-publish PASS: no foreign table"
is "$(st uncovered-containers)" "PASS PASS" "uncovered-containers PASS on both bridges"
is "$(st daemon-caps)" WARN "daemon-caps WARN: no daemon runs"
PASSES=$(printf '%s' "$ICC_OUT" | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(d["pass"], d["warn"], d["fail"], d["score"])')
is "$PASSES" "12 1 0 96" "score: 12 PASS, 1 WARN, 0 FAIL give 96 (floor of 100 * 12.5 / 13)"
icc H -c "$POL" audit --docker-config "$GOOD"
like "$ICC_OUT" "^PASS  br-netfilter +docker0: " "text output: one line per result"
is "$(printf '%s\n' "$ICC_OUT" | grep -A1 '^WARN  daemon-caps' | tail -1)" \
	"      fix: systemctl enable --now icc-policyd" "text output: a fix line under a WARN"
like "$ICC_OUT" "score 96% \(12 PASS, 1 WARN, 0 FAIL\)$" "text output ends with the score"

# ---- br-netfilter: the flag turned off on one bridge
nsx H ip link set docker0 type bridge nf_call_iptables 0
audit
is "$(st br-netfilter docker0) $(st br-netfilter lxcbr0)" "FAIL PASS" "br-netfilter FAIL on docker0 only"
like "$(text br-netfilter docker0)" "nf_call_iptables = 0.*icc-policy apply" "reason and fix"
is "$ICC_RC" 1 "one FAIL: audit exits 1"
nsx H sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
audit
is "$(st br-netfilter docker0)" WARN "br-netfilter WARN: the flag is off, the namespace sysctl passes the traffic"
like "$(text br-netfilter docker0)" "only because net.bridge.bridge-nf-call" "and it says so"
nsx H sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0
nsx H ip link set docker0 type bridge nf_call_iptables 1

# ---- forwarding off
nsx H sysctl -qw net.ipv4.ip_forward=0
audit
is "$(st forwarding)" FAIL "forwarding FAIL after ip_forward = 0"
nsx H sysctl -qw net.ipv4.ip_forward=1
audit
is "$(st forwarding)" PASS "forwarding PASS once it is back"

# ---- tables: an element removed, then the guard rule removed
nsx H nft delete element inet icc links4 '{ 172.17.0.2 . 172.17.0.3 . tcp . 5432 }'
audit
is "$(st tables)" FAIL "tables FAIL: an element was removed by nft"
like "$(text tables)" "1 set element differs" "and it counts the difference"
is "$(st route-localnet)" PASS "route-localnet still PASS: the guard is live"
nsx H nft flush chain inet icc raw_pre
audit
is "$(st tables)" FAIL "tables FAIL: the guard rule was removed"
like "$(text tables)" "changed by someone else: - rule inet icc raw_pre|changed by someone else: \+ rule inet icc raw_pre" "and it quotes the drift"

# ---- route_localnet without the guard (CVE-2020-8558)
is "$(st route-localnet)" FAIL "route-localnet FAIL: 1 on docker0 and the guard is gone"
like "$(text route-localnet)" "^FAIL docker0 \|.*CVE-2020-8558" "and it names the interface and the CVE"
icc_apply_or_bail H "$POL"
nsx H sysctl -qw net.ipv4.conf.eth0.route_localnet=1
audit
is "$(st route-localnet) $(st tables)" "PASS PASS" "apply put the guard back: PASS with route_localnet on eth0 too"
like "$(text route-localnet)" "^PASS docker0, eth0 \|" "and it lists both interfaces"
icc H -c "$POL" flush
audit
is "$(st route-localnet)" FAIL "after flush (guard gone, docker0 reset): FAIL for eth0, set by hand"
like "$(text route-localnet)" "^FAIL eth0 \|" "only eth0 is named"
nsx H sysctl -qw net.ipv4.conf.eth0.route_localnet=0
audit
is "$(st route-localnet)" PASS "route-localnet PASS: 0 everywhere, no guard needed"
icc_apply_or_bail H "$POL"

# ---- daemon.json
DEFAULTS=$DJ/defaults/daemon.json
mkdir -p "$DJ/defaults"
audit --docker-config "$DEFAULTS"
is "$(st docker-icc) $(st docker-userland-proxy) $(st docker-ip) $(st docker-iptables)" "WARN FAIL WARN WARN" \
	"no daemon.json where Docker is installed: the defaults give WARN FAIL WARN WARN"
like "$(text docker-userland-proxy)" "true \(Docker's default\).*docker-proxy" "userland-proxy: why it matters"
like "$(text docker-ip)" "\"ip\": \"0.0.0.0\" \(Docker's default\)" "ip: Docker's default 0.0.0.0"
is "$ICC_RC" 1 "userland-proxy FAIL: exit 1"
audit --docker-config "$(fixture mixed <<'EOF'
{ "icc": true, "userland-proxy": false, "ip": "::1", "iptables": true }
EOF
)"
is "$(st docker-icc) $(st docker-userland-proxy) $(st docker-ip) $(st docker-iptables)" "WARN PASS PASS WARN" \
	"icc true WARN, userland-proxy false PASS, ip ::1 PASS, iptables true WARN"
is "$ICC_RC" 0 "only WARNs: exit 0"
audit --docker-config "$(fixture public <<'EOF'
{ "ip": "192.0.2.7", "icc": "false" }
EOF
)"
is "$(st docker-ip) $(st docker-icc)" "WARN FAIL" "ip 192.0.2.7 WARN; \"icc\": \"false\" (a string) FAIL"
BAD=$(fixture broken <<'EOF'
{ "icc": false,
EOF
)
audit --docker-config "$BAD"
is "$(st docker-icc) $(st docker-userland-proxy) $(st docker-ip) $(st docker-iptables)" "FAIL FAIL FAIL FAIL" \
	"invalid JSON: all four FAIL"
like "$(text docker-ip)" "$BAD: " "and they name the file"
audit --docker-config "$E2E_TMP/no-docker/daemon.json"
is "$(st docker-icc) $(st docker-userland-proxy) $(st docker-ip) $(st docker-iptables)" "PASS PASS PASS PASS" \
	"no file and no directory: Docker not installed, all four PASS"
like "$(text docker-icc)" "Docker not installed" "and they say so"

# ---- foreign-publish: Docker-style DNAT rules in other tables
nsx H nft -f - <<'EOF' || bail "cannot load the foreign nat tables"
table ip nat {
	chain PREROUTING {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local jump DOCKER
	}
	chain DOCKER {
		iifname != "docker0" tcp dport 8080 dnat to 172.17.0.2:80
		ip daddr 127.0.0.1 tcp dport 8081 dnat to 172.17.0.2:81
		iifname "eth0" tcp dport 9999 dnat to 203.0.113.130:7000
	}
}
table ip6 nat6 {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		udp dport 5353 dnat to [fd00:17::2]:53
	}
}
EOF
audit
is "$(st foreign-publish)" "FAIL FAIL FAIL" "foreign-publish: three unrestricted DNATs FAIL"
like "$(text foreign-publish 'ip nat DOCKER')" "tcp port 8080 on every host address" "Docker's tcp/8080 is named with its table and chain"
unlike "$(text foreign-publish)" "8081" "a DNAT restricted to ip daddr 127.0.0.1 is not reported"
like "$(text foreign-publish 'ip6 nat6 pre')" "udp port 5353" "an ip6 table's DNAT is reported too"
is "$ICC_RC" 1 "foreign DNAT: exit 1"
allowed tcp R 203.0.113.1 9999 "the claim: R, in no allow_from, reaches O through the foreign DNAT on H's address"
nsx H nft delete table ip nat
nsx H nft delete table ip6 nat6
if command -v iptables-nft >/dev/null; then
	nsx H iptables-nft -t nat -N DOCKER2
	nsx H iptables-nft -t nat -A DOCKER2 ! -i docker0 -p tcp -m tcp --dport 9090 \
		-j DNAT --to-destination 172.17.0.3:80
	nsx H iptables-nft -t nat -A DOCKER2 -d 127.0.0.1/32 -p tcp --dport 9091 \
		-j DNAT --to-destination 172.17.0.3:80
	audit
	like "$(text foreign-publish 'ip nat DOCKER2')" "tcp port 9090" "iptables-nft's DNAT rule is reported"
	unlike "$(text foreign-publish 'ip nat DOCKER2')" "9091" "its -d 127.0.0.1 rule is not"
	nsx H nft delete table ip nat
else
	skip_one "iptables-nft's DNAT rule is reported" "iptables-nft not installed"
	skip_one "its -d 127.0.0.1 rule is not" "iptables-nft not installed"
fi
if command -v iptables-legacy >/dev/null && nsx H iptables-legacy -t mangle -L >/dev/null 2>&1; then
	audit
	is "$(st foreign-publish)" "PASS WARN" "iptables-legacy tables: foreign-publish WARN beside the PASS for nf_tables"
	like "$(text foreign-publish)" "\(mangle\).*not inspected" "and it names them"
else
	skip_one "iptables-legacy tables: foreign-publish WARN beside the PASS for nf_tables" "iptables-legacy not installed"
	skip_one "and it names them" "iptables-legacy not installed"
fi
# Legacy tables cannot be removed from a namespace: a fresh one checks PASS.
mkns F
ip netns exec "$(ns F)" "$ICC_POLICY" -c "$POL" audit --json --docker-config "$GOOD" \
	>"$E2E_TMP/f.json" 2>/dev/null
ICC_OUT=$(cat "$E2E_TMP/f.json")
is "$(st foreign-publish)" PASS "foreign-publish PASS where no other table translates"

# ---- uncovered containers
mkcontainer stray H docker0 172.17.0.9/16 172.17.0.1
audit
is "$(st uncovered-containers docker0) $(st uncovered-containers lxcbr0)" "WARN PASS" \
	"uncovered-containers WARN on docker0 (a port no entry covers), PASS on lxcbr0"
like "$(text uncovered-containers docker0)" "1 port .*vstray \(172\.17\.0\.9\)" "and it names the port and its address"
is "$(st tables)" FAIL "(the new port is not bound yet: tables FAIL too)"
rmcontainer stray H
audit
is "$(st uncovered-containers)" "PASS PASS" "uncovered-containers PASS once it is gone"

# ---- daemon capabilities
stop_daemon() {
	daemon_signal TERM
	wait_until 5 sh -c "! kill -0 $DAEMON_PID 2>/dev/null" || bail "daemon did not stop"
}
ICC_POLICYD_REAL=$ICC_POLICYD
# audit finds the daemon by its name (/proc/PID/comm), which under
# valgrind is memcheck's: those rows are skipped there (make
# check-valgrind); the daemon still runs under valgrind for each.
caps_is() {	# WANT DESC
	if [ "${ICC_VALGRIND:-}" = yes ]; then skip_one "$2" "under valgrind the daemon is named memcheck"
	else is "$(st daemon-caps "pid $DAEMON_PID")" "$1" "$2"; fi
}
rm -f "$E2E_TMP/daemon.log"
daemon_start H "$POL" || bail "daemon (full root) did not start: $(cat "$DAEMON_LOG")"
audit
caps_is FAIL "daemon-caps FAIL: icc-policyd as full root"
if [ "${ICC_VALGRIND:-}" = yes ]; then
	skip_one "and it names the extra capabilities" "under valgrind the daemon is named memcheck"
	skip_one "but not the needed ones" "under valgrind the daemon is named memcheck"
else
	like "$(text daemon-caps)" "CAP_SYS_ADMIN" "and it names the extra capabilities"
	unlike "$(text daemon-caps)" "CAP_NET_ADMIN," "but not the needed ones"
fi
stop_daemon
for caps in "net_admin,+net_broadcast PASS" "net_admin,+net_broadcast,+sys_ptrace WARN"; do
	ICC_POLICYD=$E2E_TMP/policyd-caps
	cat >"$ICC_POLICYD" <<EOF
#!/bin/sh
exec setpriv --bounding-set=-all,+${caps% *} --inh-caps=-all --no-new-privs "$ICC_POLICYD_REAL" "\$@"
EOF
	chmod +x "$ICC_POLICYD"
	rm -f "$E2E_TMP/daemon.log"
	daemon_start H "$POL" || bail "daemon (${caps% *}) did not start: $(cat "$DAEMON_LOG")"
	audit
	caps_is "${caps#* }" "daemon-caps ${caps#* } with +${caps% *}"
	stop_daemon
done
if [ "${ICC_VALGRIND:-}" = yes ]; then
	skip_one "sys_ptrace: the unit's documented trade, named" "under valgrind the daemon is named memcheck"
else
	like "$(text daemon-caps)" "CAP_SYS_PTRACE .*LXC" "sys_ptrace: the unit's documented trade, named"
fi
ICC_POLICYD=$ICC_POLICYD_REAL
mkns H2
rm -f "$E2E_TMP/daemon.log"
daemon_start H2 "$POL" || bail "daemon in H2 did not start: $(cat "$DAEMON_LOG")"
audit
is "$(st daemon-caps)" WARN "a daemon (full root) in another namespace is not H's: WARN, no daemon"
stop_daemon

# ---- our guard in a dormant table does not count
nsx H nft add table inet icc '{ flags dormant; }'
audit
is "$(st route-localnet docker0)" FAIL "route-localnet FAIL: the guard's table is dormant"
icc_apply_or_bail H "$POL"
audit
is "$(st route-localnet docker0) $(st tables)" "PASS PASS" "apply woke it: PASS"

# ---- F, a fresh host: a missing bridge, a veth named like one, IPv6 forwarding,
# a table icc that is not ours, Docker found by its root
ip -n "$(ns F)" link add docker0 type bridge
ip -n "$(ns F)" link add eth0 type veth peer name eth0p
ip -n "$(ns F)" link add dummy0 type veth peer name dummy0p
nsx F sysctl -qw net.ipv6.conf.eth0.accept_ra=1
mkdir -p "$E2E_TMP/droot"
P2=$(policy p2 <<EOF
version = 1;
bridges = (
  { name = "docker0"; subnet = [ "172.17.0.0/16", "fd00:17::/64" ]; uplink = "eth0"; },
  { name = "br9"; subnet = "10.9.0.0/24"; }
);
discovery = { docker = "$E2E_TMP/droot"; };
EOF
)
# faudit CONF [ARGS...]: icc-policy audit --json in F (no snapshot).
faudit() {
	local c=$1
	shift
	ICC_RC=0
	ip netns exec "$(ns F)" "$ICC_POLICY" -c "$c" audit --json "$@" >"$E2E_TMP/f.json" \
		2>/dev/null || ICC_RC=$?
	ICC_OUT=$(cat "$E2E_TMP/f.json")
}
faudit "$P2" --docker-config "$GOOD"
is "$(st br-netfilter br9)" WARN "br-netfilter WARN: bridge br9 does not exist yet"
is "$(st forwarding)" "FAIL WARN FAIL" "forwarding: ip_forward FAIL, accept_ra 1 on the uplink WARN, IPv6 forwarding FAIL"
like "$(text forwarding net.ipv6)" "^FAIL net.ipv6.conf.all.forwarding \|" "the IPv6 one names net.ipv6.conf.all.forwarding"
like "$(text forwarding eth0)" "^WARN eth0 \| accept_ra = 1" "the accept_ra one names the uplink"
if [ ! -e /etc/docker ]; then
	faudit "$P2"
	is "$(st docker-icc) $(st docker-userland-proxy) $(st docker-ip) $(st docker-iptables)" "WARN FAIL WARN WARN" \
		"no /etc/docker/daemon.json, but Docker's root (discovery.docker) exists: Docker's defaults"
	printf 'version = 1;\nbridges = ( { name = "br9"; subnet = "10.9.0.0/24"; } );\ndiscovery = { docker = "%s"; };\n' \
		"$E2E_TMP/no-droot" >"$E2E_TMP/p3.conf"
	faudit "$E2E_TMP/p3.conf"
	like "$(text docker-icc)" "^PASS /etc/docker/daemon.json \| Docker not installed: no /etc/docker, no $E2E_TMP/no-droot" \
		"neither /etc/docker nor Docker's root: Docker not installed"
else
	skip_one "no /etc/docker/daemon.json, but Docker's root exists: Docker's defaults" "this machine has /etc/docker"
	skip_one "neither /etc/docker nor Docker's root: Docker not installed" "this machine has /etc/docker"
fi
printf 'version = 1;\nbridges = ( { name = "dummy0"; subnet = "10.8.0.0/24"; },\n  { name = "docker0"; subnet = "172.17.0.0/16"; } );\n' >"$E2E_TMP/p4.conf"
faudit "$E2E_TMP/p4.conf" --docker-config "$GOOD"
is "$(st br-netfilter dummy0)" FAIL "br-netfilter FAIL: dummy0 is a veth, not a bridge"
like "$(text br-netfilter dummy0)" "exists but is not a bridge" "and it says so"
is "$(st br-netfilter docker0)" WARN "docker0, a bridge beside it, is WARN: not evaluated (no false PASS)"
is "$(st forwarding)" WARN "forwarding WARN: not evaluated until the bridges are fixed"
nsx F nft add table inet icc
faudit "$E2E_TMP/p4.conf" --docker-config "$GOOD"
is "$(st tables)" FAIL "tables FAIL: a table inet icc icc-policy did not make"
like "$(text tables)" "did not make" "and it says so"

# ---- exit codes and nothing changed
audit --bogus
is "$ICC_RC" 2 "an unknown option: exit 2"
echo 'version = 1; bridges = ();' >"$E2E_TMP/bad.conf"
icc H -c "$E2E_TMP/bad.conf" audit
is "$ICC_RC" 2 "an invalid policy: exit 2"
is "${#CHANGED[@]}" 0 "no audit changed the ruleset, H's sysctls or its links ($RUNS runs)"
[ "${#CHANGED[@]}" -eq 0 ] || diag "${CHANGED[@]}"
