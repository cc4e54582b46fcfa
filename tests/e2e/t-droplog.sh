#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# icc-policyd's drop log: what table inet icc drops reaches the daemon
# over NFLOG group 2712 and becomes one line per denied connection, with
# the policy names of both ends: a TCP connection whose SYN is retried,
# a UDP datagram, a ping, a connection to the host, out of the uplink
# and in from it, an unknown source;
# nothing for an allowed connection; a flood of 200 connections gives at
# most the kernel rate limit's worth of lines; another listener holding
# the group leaves the daemon running without its drop log.
. "$(dirname "$0")/lib.sh"
e2e_init
[ -x "$ICC_POLICYD" ] || skip_or_bail "icc-policyd not built at $ICC_POLICYD"

plan 29

mkns H
mkbridge H docker0 172.17.0.1/16
mkcontainer web H docker0 172.17.0.2/16 172.17.0.1
mkcontainer db H docker0 172.17.0.3/16 172.17.0.1
mkcontainer evil H docker0 172.17.0.66/16 172.17.0.1
# An uplink to R, which routes the containers' subnet back to H.
mkuplink
ip -n "$(ns R)" route add 172.17.0.0/16 via 203.0.113.1

POL=$(policy droplog <<EOF
version = 1;
bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; egress = false; } );
containers = {
  web = { bridge = "docker0"; name = "$(ns web)"; };
  db = { bridge = "docker0"; name = "$(ns db)"; };
};
links = ( { from = "web"; to = "db"; ports = [ "tcp/5432" ]; } );
EOF
)
icc_apply_or_bail H "$POL"


# Another listener holds the group: the daemon warns and runs without it.
mkns B
setsid ip netns exec "$(ns B)" "$PYTHON" "$E2E_DIR/nflog_hold.py" 2712 30 \
	</dev/null >"$E2E_TMP/holder" 2>&1 &
HOLDER=$!
E2E_PIDS+=("$HOLDER")
wait_until 5 grep -q held "$E2E_TMP/holder" || bail "cannot hold the group: $(cat "$E2E_TMP/holder")"
PB=$(policy other <<'EOF'
version = 1;
bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; } );
EOF
)
daemon_start B "$PB"
like "$(cat "$DAEMON_LOG")" "NFLOG group 2712 is held by another listener .*drops are not logged" \
	"group held by another listener: the daemon says so"
like "$(cat "$DAEMON_LOG")" "started: policy .*drop log off" "... and starts without its drop log"
daemon_signal TERM
wait "$DAEMON_PID" 2>/dev/null
kill -- "-$HOLDER" 2>/dev/null
mv "$DAEMON_LOG" "$E2E_TMP/daemon-b.log"

daemon_start H "$POL" && pass "daemon starts" ||
	fail "daemon starts" "$(cat "$DAEMON_LOG")"
like "$(cat "$DAEMON_LOG")" "started: policy .*drop log on" "the drop log is on"
# The names come from the first reconcile, which discovers web and db.
within "web and db are bound" 2 has_elem H links4 "172.17.0.2 . 172.17.0.3 . tcp . 5432"

serve db 5432 5433

# lines_since N REGEX: how many log lines from line N on match REGEX.
lines_since() { daemon_log_since "$1" | grep -Ec -- "$2"; }
one_line() {	# N REGEX DESC: exactly one line, waiting up to 2 s for it
	local n
	wait_until 2 lines_since "$1" "$2"
	sleep 0.3
	n=$(lines_since "$1" "$2")
	is "$n" 1 "$3"
}

# ---- a denied TCP connection, its SYN retried: one line
# syn_retrans NS: the SYNs retransmitted in NS so far (TcpExt TCPSynRetrans).
syn_retrans() {
	nsx "$1" awk '/^TcpExt:/ { if (!n) { for (i = 2; i <= NF; i++) k[i] = $i; n = 1 }
		else for (i = 2; i <= NF; i++) if (k[i] == "TCPSynRetrans") print $i }' /proc/net/netstat
}
mark=$(daemon_log_lines)
r0=$(syn_retrans web)
E2E_TIMEOUT=4 probe_tcp web 172.17.0.3 5433 >/dev/null &&
	fail "web -> db:5433 is denied" || pass "web -> db:5433 is denied"
syns=$(( $(syn_retrans web) - r0 + 1 ))
[ "$syns" -ge 3 ] && pass "the SYN went out $syns times" ||
	fail "the SYN went out at least 3 times" "only $syns"
one_line "$mark" "drop link: web 172\.17\.0\.2:[0-9]+ -> db 172\.17\.0\.3:5433 tcp \(docker0 -> docker0\)" \
	"one line for the retried TCP connection, naming both sides, ports and protocol"

# ---- UDP and ping: one line each
# A client that resends from the same port, and ping's three requests
# with one id (a ping socket: the kernel sets the id and checksum).
mark=$(daemon_log_lines)
nsx web "$PYTHON" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    s.sendto(b"hello", ("172.17.0.3", 5433))
    time.sleep(0.2)
'
one_line "$mark" "drop link: web 172\.17\.0\.2:[0-9]+ -> db 172\.17\.0\.3:5433 udp \(docker0 -> docker0\)" \
	"one line for three datagrams of one UDP client"
mark=$(daemon_log_lines)
nsx web sysctl -qw net.ipv4.ping_group_range="0 0"
nsx web "$PYTHON" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
for seq in range(1, 4):
    s.sendto(bytes([8, 0, 0, 0, 0, 0, 0, seq]), ("172.17.0.3", 0))
    time.sleep(0.2)
'
one_line "$mark" "drop link: web 172\.17\.0\.2 -> db 172\.17\.0\.3 icmp echo-request id [0-9]+ \(docker0 -> docker0\)" \
	"one line for three echo requests of one ping"

# ---- the host and an unknown source
mark=$(daemon_log_lines)
probe_tcp web 172.17.0.1 22 >/dev/null
one_line "$mark" "drop host: web 172\.17\.0\.2:[0-9]+ -> \? 172\.17\.0\.1:22 tcp \(docker0 -> -\)" \
	"one line for a connection to the host"
mark=$(daemon_log_lines)
probe_tcp evil 172.17.0.3 5432 >/dev/null
one_line "$mark" "drop link: \? 172\.17\.0\.66:[0-9]+ -> db 172\.17\.0\.3:5432 tcp \(docker0 -> docker0\)" \
	"an unknown source is '?'"

# ---- out of the uplink (egress = false) and in from it (not published);
# the policy needs no forwarding, so it is turned on here
forwarding_on H
serve_tcp R 80
mark=$(daemon_log_lines)
probe_tcp web 203.0.113.2 80 >/dev/null
one_line "$mark" "drop egress: web 172\.17\.0\.2:[0-9]+ -> \? 203\.0\.113\.2:80 tcp \(docker0 -> eth0\)" \
	"one line for a connection out of the uplink"
mark=$(daemon_log_lines)
probe_tcp R 172.17.0.3 5432 >/dev/null
one_line "$mark" "drop inbound: \? 203\.0\.113\.2:[0-9]+ -> db 172\.17\.0\.3:5432 tcp \(eth0 -> docker0\)" \
	"one line for a connection in from the uplink"

# ---- an allowed connection: no line
mark=$(daemon_log_lines)
allowed tcp web 172.17.0.3 5432 "web -> db:5432 allowed"
sleep 0.5
is "$(lines_since "$mark" "drop ")" 0 "an allowed connection logs nothing"

# ---- a flood: 200 connections from as many ports within a second
sleep 2.5	# the limit's bucket fills again (10/s, 20 at most)
mark=$(daemon_log_lines)
t0=$(date +%s%N)
sent=$(nsx web "$PYTHON" -c '
import socket, time
socks = []
t = time.monotonic()
for _ in range(200):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("172.17.0.3", 6000))
    socks.append(s)
print(int((time.monotonic() - t) * 1000))
time.sleep(0.3)	# then closed: no retransmissions
')
sleep 0.5
elapsed=$(( ($(date +%s%N) - t0) / 1000000 ))
n=$(lines_since "$mark" "-> db 172\.17\.0\.3:6000 tcp")
# burst 20, then 10 per second of the whole window, one more for rounding
max=$(( 20 + elapsed / 100 + 1 ))
diag "flood: 200 SYNs sent in $sent ms; $n lines in $elapsed ms (at most $max)"
[ "$sent" -lt 1000 ] && pass "200 connections within 1 s" || fail "200 connections within 1 s" "took $sent ms"
[ "$n" -ge 20 ] && pass "the flood is logged (the burst: $n lines)" ||
	fail "the flood is logged (the burst)" "$n lines"
[ "$n" -le "$max" ] && pass "the flood is rate-limited ($n <= $max)" ||
	fail "the flood is rate-limited" "$n lines > $max"
is "$(daemon_log_since "$mark" | grep -E -- "-> db 172\.17\.0\.3:6000 tcp" |
	grep -Eo "172\.17\.0\.2:[0-9]+" | sort | uniq -d | wc -l)" 0 \
	"no flood connection is logged twice"

# ---- the same connection again after the window would be logged again:
# (unit-tested with a clock; 120 s is too long here)

# ---- nothing else went wrong
unlike "$(cat "$DAEMON_LOG")" "messages? lost|drop log: " "no drop log message lost or failed"
unlike "$(cat "$DAEMON_LOG")" "restored them" "the table was never taken for tampered with"
ok "the daemon is still running" kill -0 "$DAEMON_PID"

# ---- log = "none": the bridge's drops are counted, not logged
sed -i 's/subnet = "172.17.0.0\/16";/subnet = "172.17.0.0\/16"; log = "none";/' "$POL"
mark=$(daemon_log_lines)
daemon_signal HUP
reloaded() { daemon_log_since "$mark" | grep -q "reloaded"; }
within "reloaded with log = \"none\"" 5 reloaded
# the set is there, without docker0
not_logged() { local out; out=$(nsx H nft list set inet icc logged) && ! grep -q docker0 <<<"$out"; }
ok "docker0 left the set logged" wait_until 5 not_logged
denied tcp web 172.17.0.3 5434 "web -> db:5434 is denied"
sleep 0.5
unlike "$(daemon_log_since "$mark")" "5434" "log = \"none\": no line for it"

# ---- --no-drop-log leaves the group free
daemon_signal TERM
wait "$DAEMON_PID" 2>/dev/null
mv "$DAEMON_LOG" "$E2E_TMP/daemon-h.log"
diag "$(grep -E "drop (link|host|egress|inbound):" "$E2E_TMP/daemon-h.log" | head -8)"
daemon_start H "$POL" --no-drop-log
like "$(cat "$DAEMON_LOG")" "started: policy .*drop log off" "--no-drop-log: the drop log is off"
out=$(timeout 5 ip netns exec "$(ns H)" "$PYTHON" "$E2E_DIR/nflog_hold.py" 2712 0)
is "$out" held "--no-drop-log: another listener can take the group"
