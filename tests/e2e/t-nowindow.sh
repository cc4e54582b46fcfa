#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# No window under change: while `apply` alternates between two policies
# 500 times, a sender keeps opening connections that both policies deny
# and one that both allow. Not one denied connection gets through, and
# the allowed one never fails: each apply is one transaction that only
# changes the elements that differ.
. "$(dirname "$0")/lib.sh"
e2e_init

ROUNDS=${NOWINDOW_ROUNDS:-500}
plan 9

topo_std
# Servers that accept at once (socat forks per connection and its
# backlog would overflow under the sender's pace).
for n in db cache lx; do
	_bg "$n" "$PYTHON" "$E2E_DIR/sender.py" listen 5432 5433 6000 6001 7000 80
done
for n in db cache lx; do _wait_listen "$n" tcp 80; done

# Both allow web -> db:5432; they differ in web -> cache (6000 or 6001)
# and in a few more links, so every apply changes something.
gen() {	# PORT
	policy_file "$E2E_TMP/p$1.conf" <<EOF2
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; egress = false; },
  { name = "lxcbr0";  subnet = "10.0.3.0/24";   uplink = "eth0"; }
);
containers = {
  web   = { bridge = "docker0"; ip = "172.17.0.2"; };
  db    = { bridge = "docker0"; ip = "172.17.0.3"; };
  cache = { bridge = "docker0"; ip = "172.17.0.4"; };
  lx    = { bridge = "lxcbr0";  ip = "10.0.3.5"; };
};
links = (
  { from = "web"; to = "db"; ports = [ "tcp/5432" ]; },
  { from = "web"; to = "cache"; ports = [ "tcp/$1" ]; },
  { from = "lx"; to = "cache"; ports = [ "tcp/$1", "udp/$1-$(($1 + 10))" ]; },
  { from = "cache"; to = "lx"; ports = [ "tcp/$1" ]; }
);
EOF2
	echo "$E2E_TMP/p$1.conf"
}
A=$(gen 6000)
B=$(gen 6001)
# The control: C lacks web -> db (the sender must notice that).
sed '/from = "web"; to = "db"/d' "$A" >"$E2E_TMP/c.conf"
C=$E2E_TMP/c.conf

icc_apply_or_bail H "$A"
# probes that need only the handshake (the servers send nothing)
shake() { timeout 5 ip netns exec "$(ns web)" "$PYTHON" "$E2E_DIR/sender.py" send /nonexistent 0.5 1 "$1" | grep -q "connected [1-9]"; }
ok "before: web -> db:5432 allowed" shake "$(fam 172.17.0.3):5432"
nok "before: web -> db:5433 denied" shake "$(fam 172.17.0.3):5433"

# The sender: one thread allowed, three denied (a denied attempt waits
# 0.1 s for an answer that must not come; an allowed one is answered at
# once, then the thread pauses 5 ms). At most 600 s, stopped by the file.
stop=$E2E_TMP/stop
out=$E2E_TMP/sender.out
ip netns exec "$(ns web)" "$PYTHON" "$E2E_DIR/sender.py" send "$stop" 600 0.1 \
	"$(fam 172.17.0.3):5432" "$(fam 172.17.0.3):5433" "$(fam 172.17.0.4):7000" \
	"$(fam 10.0.3.5):80" >"$out" 2>&1 &
sender=$!
E2E_PIDS+=("$sender")
sleep 1

fails=0
t0=$(date +%s%N)
for i in $(seq "$ROUNDS"); do
	if [ $((i % 2)) -eq 1 ]; then p=$B; else p=$A; fi
	icc H -c "$p" apply || { fails=$((fails + 1)); diag "apply $i: $ICC_RC $ICC_ERR"; }
done
t1=$(date +%s%N)
touch "$stop"
wait "$sender"
diag "$ROUNDS applies in $(( (t1 - t0) / 1000000 )) ms" "$(cat "$out")"

is "$fails" 0 "$ROUNDS applies, alternating between two policies, all exit 0"
count_of() { awk -v t="$1" -v k="$2" '$1 == t { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' "$out"; }
a=$(fam 172.17.0.3):5432
ok "the allowed connection was opened many times ($(count_of "$a" connected))" \
	test "$(count_of "$a" connected)" -ge 100
is "$(count_of "$a" refused) $(count_of "$a" silent)" "0 0" "the allowed connection never failed"
for t in "$(fam 172.17.0.3):5433" "$(fam 172.17.0.4):7000" "$(fam 10.0.3.5):80"; do
	is "$(count_of "$t" connected) $(count_of "$t" refused) $(test "$(count_of "$t" silent)" -ge 10 && echo tried)" \
		"0 0 tried" "denied $t: not one of $(count_of "$t" silent) attempts got through"
done

# Control: alternating with a policy that drops web -> db, the same
# sender sees the allowed connection fail (so the rows above could fail).
rm -f "$stop"
ip netns exec "$(ns web)" "$PYTHON" "$E2E_DIR/sender.py" send "$stop" 120 0.1 \
	"$a" >"$out" 2>&1 &
sender=$!
E2E_PIDS+=("$sender")
sleep 0.5
for i in $(seq 10); do
	if [ $((i % 2)) -eq 1 ]; then p=$C; else p=$A; fi
	icc H -c "$p" apply
	sleep 0.2
done
touch "$stop"
wait "$sender"
ok "control: alternating with a policy without the link, it fails ($(cat "$out"))" \
	test "$(( $(count_of "$a" refused) + $(count_of "$a" silent) ))" -gt 0
