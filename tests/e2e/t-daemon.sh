#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# icc-policyd follows containers named by their network namespace: new
# containers enforced within 2 s, a restart on a new address, the old
# address no longer trusted, our table deleted and restored, kill -9 and
# restart, SIGHUP with a good and a bad edit, `icc-policy apply` and
# `diff` beside a running daemon, flush refused while it runs.
. "$(dirname "$0")/lib.sh"
e2e_init
[ -x "$ICC_POLICYD" ] || skip_or_bail "icc-policyd not built at $ICC_POLICYD"

plan 59

mkns H
mkbridge H docker0 172.17.0.1/16
nsx H sysctl -qw net.ipv4.ip_forward=0

write_policy() {	# extra links...
	policy daemon <<EOF
version = 1;
bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; } );
containers = {
  web = { bridge = "docker0"; name = "$(ns web)"; };
  db = { bridge = "docker0"; name = "$(ns db)"; };
  cache = { bridge = "docker0"; name = "$(ns cache)"; };
};
links = (
  { from = "web"; to = "db"; ports = [ "tcp/5432" ]; },
  { from = "cache"; to = "db"; ports = [ "tcp/5432" ]; }$1
);
EOF
}
POL=$(write_policy "")

# ---- start with no container, then containers appear
daemon_start H "$POL" && pass "daemon starts with no container running" ||
	fail "daemon starts with no container running" "$(cat "$DAEMON_LOG")"
ok "our table is live right after start" nsx H nft list table inet icc

mkcontainer web H docker0 172.17.0.2/16 172.17.0.1
mkcontainer db H docker0 172.17.0.3/16 172.17.0.1
serve web 5432
serve db 5432 5433
within "web -> db rules live within 2 s of the containers appearing" \
	 2 has_elem H links4 "172.17.0.2 . 172.17.0.3 . tcp . 5432"
diag "rules live after ${WAITED} ms (includes starting the servers)"
allowed tcp web 172.17.0.3 5432 "new container: web -> db:5432 allowed"
denied tcp db 172.17.0.2 5432 "new container: db -> web:5432 denied (one-way)"
denied tcp web 172.17.0.3 5433 "new container: web -> db:5433 denied (port)"
# (its IPv6 address too, over IPv6, when the daemon first saw it late)
like "$(cat "$DAEMON_LOG")" "\+ port vdb bridge docker0 up .* 172\.17\.0\.3( [0-9a-f:]+)? \(netns $(ns db)\) is db" \
	"the log says who the new port is"
icc H -c "$POL" diff
is "$ICC_RC" 0 "icc-policy diff with the daemon running and in sync exits 0"

# ---- db restarts on a new address; an impostor takes the old one
rmcontainer db H
within "db's address leaves the sets when its container goes" \
	 2 no_elem H links4 "172.17.0.3"
mkcontainer db H docker0 172.17.0.13/16 172.17.0.1
serve db 5432
within "db's new address is live within 2 s" \
	 2 has_elem H links4 "172.17.0.2 . 172.17.0.13 . tcp . 5432"
allowed tcp web 172.17.0.13 5432 "restarted db: web -> new address allowed"
mkcontainer evil H docker0 172.17.0.3/16 172.17.0.1
serve evil 5432
sleep 0.3
denied tcp web 172.17.0.3 5432 "the old address, now someone else's, is not trusted"
denied tcp evil 172.17.0.13 5432 "an unknown container is denied"

# ---- someone deletes our table
lines=$(daemon_log_lines)
nsx H nft delete table inet icc
within "a deleted table is back within 1 s" \
	 1 has_elem H links4 "172.17.0.2 . 172.17.0.13 . tcp . 5432"
sleep 0.2
like "$(daemon_log_since "$lines")" "changed by pid [0-9]+ \(nft\); restored" \
	"the log names the process that changed our table"
allowed tcp web 172.17.0.13 5432 "after restore: web -> db allowed"
denied tcp db 172.17.0.2 5432 "after restore: db -> web denied"

# ---- a change to someone else's table is not tampering with ours
lines=$(daemon_log_lines)
nsx H nft add table ip someone_else
sleep 0.5
unlike "$(daemon_log_since "$lines")" "restored" "another table's change is not reported as tampering"

# ---- someone edits an element in
nsx H nft add element inet icc "links$E2E_FAMILY" "$(fam_text '{ 172.17.0.13 . 172.17.0.2 . tcp . 5432 }')"
within "an element added by hand is removed within 1 s" \
	 1 no_elem H links4 "172.17.0.13 . 172.17.0.2"

# ---- kill -9: enforcement stays; a restart catches up
daemon_signal KILL
wait "$DAEMON_PID" 2>/dev/null
allowed tcp web 172.17.0.13 5432 "daemon killed: web -> db still allowed"
denied tcp db 172.17.0.2 5432 "daemon killed: db -> web still denied"
mkcontainer cache H docker0 172.17.0.4/16 172.17.0.1
denied tcp cache 172.17.0.13 5432 "daemon down: a new container is not let through"
daemon_start H "$POL" && pass "daemon restarts" || fail "daemon restarts" "$(cat "$DAEMON_LOG")"
within "restart picks up the container created meanwhile within 2 s" \
	 2 has_elem H links4 "172.17.0.4 . 172.17.0.13 . tcp . 5432"
allowed tcp cache 172.17.0.13 5432 "after restart: cache -> db allowed"

# ---- SIGHUP with a valid edit, then with an invalid one
cp "$POL" "$E2E_TMP/good.conf"
write_policy ',
  { from = "db"; to = "web"; ports = [ "tcp/5432" ]; }' >/dev/null
daemon_signal HUP
within "SIGHUP with a new link: live within 1 s" \
	 1 has_elem H links4 "172.17.0.13 . 172.17.0.2 . tcp . 5432"
allowed tcp db 172.17.0.2 5432 "after reload: db -> web allowed"
lines=$(daemon_log_lines)
gen=$(nsx H nft -s list ruleset | md5sum)
printf 'version = 1;\nbridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; } );\nlinks = ( { from = "web"; to = "nobody"; ports = [ "tcp/1" ]; } );\n' >"$POL"
daemon_signal HUP
sleep 0.5
like "$(daemon_log_since "$lines")" "$(basename "$POL"):3: link web -> nobody: unknown container" \
	"a bad reload is logged as FILE:LINE"
like "$(daemon_log_since "$lines")" "reload refused" "a bad reload is refused"
is "$(nsx H nft -s list ruleset | md5sum)" "$gen" "a bad reload changes nothing"
allowed tcp db 172.17.0.2 5432 "after the bad reload the old policy stays: db -> web"
ok "the daemon is still running" kill -0 "$DAEMON_PID"

# ---- icc-policy apply tells the daemon; diff agrees
cp "$E2E_TMP/good.conf" "$POL"
icc H -c "$POL" apply
is "$ICC_RC" 0 "icc-policy apply beside the daemon exits 0"
like "$ICC_OUT" "icc-policyd reloaded the policy" "apply made the daemon reload"
sleep 0.3
denied tcp db 172.17.0.2 5432 "after apply: the removed link is gone"
allowed tcp web 172.17.0.13 5432 "after apply: web -> db still allowed"
no_elem H links4 "172.17.0.13 . 172.17.0.2" && pass "the daemon did not put the old link back" ||
	fail "the daemon did not put the old link back"
icc H -c "$POL" diff
is "$ICC_RC" 0 "diff after apply with the daemon running: in sync"
write_policy ',
  { from = "db"; to = "web"; ports = [ "tcp/5432" ]; }' | xargs cat >"$E2E_TMP/other.conf"
cp "$E2E_TMP/good.conf" "$POL"
icc H -c "$E2E_TMP/other.conf" apply
is "$ICC_RC" 1 "apply of another file than the daemon's fails"
like "$ICC_ERR" "icc-policyd enforces .*, not .*other.conf" "and says the daemon enforces its own"
within "the daemon's policy is back within 1 s" 1 no_elem H links4 "172.17.0.13 . 172.17.0.2"
icc H -c "$POL" flush
is "$ICC_RC" 1 "flush refuses while the daemon guards the namespace"
like "$ICC_ERR" "stop it first" "flush says why"

# ---- the bridge is re-created (as when Docker restarts)
ip -n "$(ns H)" link del docker0
mkbridge H docker0 172.17.0.1/16
for c in web db evil cache; do ip -n "$(ns H)" link set "v$c" master docker0 up 2>/dev/null; done
nf_call() { ip -n "$(ns H)" -d link show docker0 | grep -q "nf_call_iptables 1"; }
within "a re-created bridge gets nf_call_iptables from the daemon within 2 s" 2 nf_call
# An event naming the bridge itself makes the daemon look at everything,
# the knobs included (events naming only container ports do not read them).
ip -n "$(ns H)" link set docker0 type bridge nf_call_iptables 0
within "nf_call_iptables turned off on the bridge: back on within 2 s" 2 nf_call
allowed tcp web 172.17.0.13 5432 "on the new bridge: web -> db allowed"
denied tcp db 172.17.0.2 5432 "on the new bridge: db -> web denied"

# ---- SIGTERM leaves the rules
daemon_signal TERM
wait "$DAEMON_PID" 2>/dev/null
like "$(tail -1 "$DAEMON_LOG")" "the rules stay in force" "SIGTERM: the daemon says the rules stay"
allowed tcp web 172.17.0.13 5432 "after SIGTERM: web -> db allowed"
denied tcp db 172.17.0.2 5432 "after SIGTERM: db -> web denied"

# ---- an unprivileged process squatting the control name
setsid ip netns exec "$(ns H)" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$PYTHON" -c '
import socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind("\0icc-policyd"); s.listen(1)
while True:
    c, _ = s.accept()
    try:
        c.recv(64); c.send(b"ok\n/etc/passwd\n")
    except OSError:
        pass
    c.close()
' </dev/null >/dev/null 2>&1 &
squatter=$!
E2E_PIDS+=($squatter)
squatting() { nsx H ss -Hxl | grep -q '@icc-policyd'; }
wait_until 5 squatting || bail "the squatter did not bind @icc-policyd"
: >"$DAEMON_LOG"
if daemon_start H "$POL"; then fail "the daemon refuses to start while uid 65534 holds @icc-policyd"
else pass "the daemon refuses to start while uid 65534 holds @icc-policyd"; fi
like "$(cat "$DAEMON_LOG")" "held by pid [0-9]+ of uid 65534" "and says who holds the name"
icc H -c "$POL" apply
is "$ICC_RC" 1 "apply does not believe an unprivileged @icc-policyd"
like "$ICC_ERR" "not running as root" "and says why"
kill "$squatter"; wait "$squatter" 2>/dev/null

# ---- without -f: detach once the policy is live; a bad start says why
daemon_pids() {
	ip netns pids "$(ns H)" | xargs -r ps -o pid=,comm= -p | awk -v c="$DAEMON_COMM" '$2 == c { print $1 }'
}
out=$(timeout 20 ip netns exec "$(ns H)" "$ICC_POLICYD" -c "$POL" 2>&1)
is "$?" 0 "without -f the daemon starts, detaches and its parent exits 0"
bgpid=$(daemon_pids)
if [ -n "$bgpid" ]; then pass "the detached daemon runs (pid $bgpid)"; E2E_PIDS+=($bgpid)
else fail "the detached daemon runs" "$out"; fi
icc H -c "$POL" flush
is "$ICC_RC" 1 "the detached daemon answers on @icc-policyd (flush refused)"
[ -n "$bgpid" ] && kill "$bgpid"
wait_until 3 test -z "$(daemon_pids)"
printf 'version = 1;\nbridges = ( { name = "docker0"; subnet = "172.17.0.0/33"; } );\n' >"$E2E_TMP/bad.conf"
out=$(timeout 20 ip netns exec "$(ns H)" "$ICC_POLICYD" -c "$E2E_TMP/bad.conf" 2>&1)
is "$?" 1 "without -f a bad policy: exit 1"
like "$out" "bad.conf:2: bridge docker0: subnet" "and FILE:LINE on stderr"
