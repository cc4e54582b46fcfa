#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Concurrency smoke test: applies racing each other and a foreign nft
# writer all succeed (generation-id check and retry), and the table ends
# up as exactly one of the policies, never a mixture.
. "$(dirname "$0")/lib.sh"
e2e_init

plan 12

topo_std
serve db 5432 5433

# gen NAME PORT: web -> db on PORT plus 200 links between extra
# containers whose ports also carry PORT's last digit, so that a mixture
# of two policies is visible in the element list.
gen() {
	"$PYTHON" - "$2" <<'EOF' | policy_file "$E2E_TMP/$1.conf"
import sys
port = int(sys.argv[1])
print('version = 1;')
print('bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; } );')
print('containers = {')
print('  web = { bridge = "docker0"; ip = "172.17.0.2"; };')
print('  db = { bridge = "docker0"; ip = "172.17.0.3"; };')
for i in range(20):
    print('  c%d = { bridge = "docker0"; ip = "172.17.2.%d"; };' % (i, i + 1))
print('};')
links = ['  { from = "web"; to = "db"; ports = [ "tcp/%d" ]; }' % port]
k = 0
for i in range(20):
    for j in range(20):
        if i != j and k < 200:
            links.append('  { from = "c%d"; to = "c%d"; ports = [ "tcp/%d" ]; }'
                         % (i, j, 10 * (1000 + k) + port % 10))
            k += 1
print('links = (\n' + ',\n'.join(links) + '\n);')
EOF
	echo "$E2E_TMP/$1.conf"
}
PA=$(gen a 5432)
PB=$(gen b 5433)

# ports NS: the sorted tcp ports of all link elements in inet icc.
ports() {
	nsx H nft list table inet icc | grep -o 'tcp \. [0-9]*' | awk '{print $3}' | sort -n | tr '\n' ' '
}
icc_apply_or_bail H "$PA"
portsA=$(ports)
icc_apply_or_bail H "$PB"
portsB=$(ports)
[ "$portsA" != "$portsB" ] || bail "the two policies compile to the same elements"
icc H -c "$PB" flush

# Six applies at once, alternating the two policies.
pids=()
for i in 1 2 3 4 5 6; do
	p=$PA
	[ $((i % 2)) -eq 0 ] && p=$PB
	timeout 60 ip netns exec "$(ns H)" "$ICC_POLICY" -c "$p" apply \
		>"$E2E_TMP/race$i.out" 2>"$E2E_TMP/race$i.err" &
	pids+=($!)
done
bad=()
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || bad+=("apply $((i + 1)) exited $?: $(cat "$E2E_TMP/race$((i + 1)).err")")
done
if [ ${#bad[@]} -eq 0 ]; then pass "six concurrent applies all exit 0"; else fail "six concurrent applies all exit 0" "${bad[@]}"; fi
now=$(ports)
if [ "$now" = "$portsA" ] || [ "$now" = "$portsB" ]; then
	pass "after the race the table holds exactly one policy's links"
else
	fail "after the race the table holds exactly one policy's links" "got: $now"
fi
is "$(nsx H nft list tables | grep -c 'inet icc')" 1 "after the race there is one table inet icc"

# An apply racing a foreign writer that keeps changing the ruleset.
(
	for i in $(seq 200); do
		nsx H nft add table ip "scratch$((i % 5))" 2>/dev/null
		nsx H nft delete table ip "scratch$((i % 5))" 2>/dev/null
	done
) &
writer=$!
rc=0
for i in 1 2 3 4; do
	p=$PA
	[ $((i % 2)) -eq 0 ] && p=$PB
	icc H -c "$p" apply || rc=$ICC_RC
done
wait "$writer"
is "$rc" 0 "applies racing a foreign nft writer exit 0"
is "$(ports)" "$portsB" "the last apply's policy is live"
allowed tcp web 172.17.0.3 5433 "and enforced: web -> db:5433 allowed"

# Deterministic (issue 7.6): another process changes our own table between
# our read and our write. gdb stops apply at nft_commit(), after it has
# read the live table and computed its diff; meanwhile nft deletes an
# element that diff means to delete and adds one no policy has. The
# transaction carries the generation it read, so the kernel refuses it
# (ERESTART) and apply must read again and send a new diff: the stale one
# would fail on the deleted element, and would leave the foreign one.
icc_apply_or_bail H "$PA"
set4=links$E2E_FAMILY
gone=$(fam_text "172.17.0.2 . 172.17.0.3 . tcp . 5432")
alien=$(fam_text "172.17.2.1 . 172.17.2.2 . tcp . 9")
has_elem H "$set4" "$gone" || bail "policy a has no element $gone in $set4"
# LeakSanitizer cannot work under ptrace: without it for this one run.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 nsx H gdb -q -batch -ex 'set breakpoint pending on' -ex 'break nft_commit' -ex run \
	-ex "shell nft delete element inet icc $set4 '{ $gone }' && nft add element inet icc $set4 '{ $alien }' && echo foreign-change-made" \
	-ex 'delete' -ex 'continue' --args "$ICC_POLICY" -v -c "$PB" apply \
	>"$E2E_TMP/gdb.out" 2>&1
out=$(cat "$E2E_TMP/gdb.out")
like "$out" 'foreign-change-made' "the foreign change was made while apply was stopped before its commit"
like "$out" 'changed after it was read; read it again and sent a new diff \(1 time\)' \
	"apply noticed the change (ERESTART), read the table again and sent a new diff"
like "$out" 'exited normally' "apply exits 0"
no_elem H "$set4" "$alien" && pass "the foreign element is gone: the new diff was made from what the kernel held" ||
	fail "the foreign element is gone: the new diff was made from what the kernel held" "$(nsx H nft list set inet icc "$set4")"
is "$(ports)" "$portsB" "the table holds exactly policy b's links"
icc H -c "$PB" diff
is "$ICC_RC" 0 "diff after the retried apply: in sync"
