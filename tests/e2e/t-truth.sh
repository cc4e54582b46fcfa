#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Randomized truth tables: for each seed, tests/truth/gen.py makes a
# random but valid topology and policy (one to three bridges, two to four
# containers each, now and then one more the policy does not list, links with tcp, udp, ranges, icmp and any, loopback
# and public publishes with allow_from, egress on or off, egress rules,
# masquerade, host_ports, containers by ip and by name); the topology is
# built in fresh namespaces, the policy applied, and every cell (each
# ordered pair of containers on every probed port of tcp and udp and
# icmp; each container to the host's addresses and to three internet
# addresses; the internet to every container and every publish; the host
# to its loopback publishes) probed with real packets and compared with
# tests/truth/model.py, a model written from icc-policy.conf(5).  The
# answering endpoint names itself and the source address it saw, so a
# wrong target or a wrong masquerade is a mismatch too.
#
# One TAP line per seed; a mismatch prints the seed, the cells and the
# command that replays it.  Environment:
#   TRUTH_SEEDS=N       seeds to run (default 24; 1000 with TRUTH_LONG=1)
#   TRUTH_SEED_BASE=S   first seed (default 1); seeds S .. S+N-1
#   TRUTH_SEED=S        replay seed S alone
#   TRUTH_LONG=1        the long mode: 1000 seeds
#   TRUTH_TIMEOUT=SEC   how long a cell waits for its answer (default 2)
#   TRUTH_KEEP=DIR      keep each seed's files (policy, cells, results) there
#   TRUTH_BUDGET=SEC    stop starting seeds after SEC seconds (default 600,
#                       long mode 21600); seeds left are a failure, or
#                       skipped in the long mode
# The first seed is also run once without a policy (forwarding on): every
# cell that needs no NAT is then answered, so each denial is the policy's.
# The Python processes enter the test's namespaces (setns) before they
# open any socket; nothing listens or sends in the caller's namespace.
. "$(dirname "$0")/lib.sh"
e2e_init

TRUTH=$E2E_DIR/../truth/truth.py
export PYTHONDONTWRITEBYTECODE=1
TIMEOUT=${TRUTH_TIMEOUT:-2}
D=
if [ -n "${TRUTH_SEED:-}" ]; then
	SEEDS=("$TRUTH_SEED")
else
	n=${TRUTH_SEEDS:-24}
	[ "${TRUTH_LONG:-}" = 1 ] && n=${TRUTH_SEEDS:-1000}
	b=${TRUTH_SEED_BASE:-1}
	mapfile -t SEEDS < <(seq "$b" $((b + n - 1)))
fi
BUDGET=${TRUTH_BUDGET:-600}
[ "${TRUTH_LONG:-}" = 1 ] && BUDGET=${TRUTH_BUDGET:-21600}

plan $((1 + ${#SEEDS[@]}))

# world_up SEED MODE: build seed SEED's topology in fresh namespaces,
# start its servers, and (MODE policy) apply its policy. Sets D (the
# seed's folder), PREFIX and SUMMARY; returns 1 with WHY set on failure.
world_up() {
	local seed=$1 mode=$2 n f
	D=$E2E_TMP/$seed-$mode
	PREFIX=$E2E_ID-$seed
	WHY=
	mkdir -p "$D"
	SUMMARY=$("$PYTHON" "$TRUTH" plan "$seed" "$PREFIX" "$D") || { WHY="plan failed"; return 1; }
	while read -r n f; do
		ip netns add "$n" || { WHY="ip netns add $n"; return 1; }
		E2E_NS+=("$n")
	done <"$D/setup.list"
	while read -r n f; do
		ip -n "$n" -batch "$f" || { WHY="ip -n $n -batch $f"; return 1; }
	done <"$D/setup.list"
	ip netns exec "$PREFIX-R" sysctl -qw net.ipv4.ip_forward=1
	if [ "$mode" = baseline ] || [ "$(cat "$D/forward")" = 1 ]; then
		ip netns exec "$PREFIX-H" sysctl -qw net.ipv4.ip_forward=1
	fi
	setsid "$PYTHON" "$TRUTH" serve "$D" </dev/null >>"$D/serve.log" 2>&1 &
	E2E_PIDS+=($!)
	for _ in $(seq 200); do
		[ -e "$D/ready" ] && break
		kill -0 "${E2E_PIDS[-1]}" 2>/dev/null || break
		sleep 0.05
	done
	[ -e "$D/ready" ] || { WHY="servers not listening: $(cat "$D/serve.log")"; return 1; }
	[ "$mode" = policy ] || return 0
	if ! icc "$seed-H" -c "$D/policy.conf" apply; then
		WHY="apply failed ($ICC_RC): $ICC_ERR"
		return 1
	fi
}

# world_probe MODE: every cell probed at once; then the model judges
# (MODE baseline: no policy). Sets OUT; returns compare's status.
world_probe() {
	local mode=$1
	OUT=$(timeout $((TIMEOUT + 60)) "$PYTHON" "$TRUTH" probe "$D" "$TIMEOUT" \
		"$([ "$mode" = baseline ] && echo baseline)" 2>&1)
}

# world_down: stop the servers and delete the namespaces.
world_down() {
	local p n
	[ -n "${TRUTH_KEEP:-}" ] && [ -n "$D" ] && mkdir -p "$TRUTH_KEEP" && cp -r "$D" "$TRUTH_KEEP/"
	for p in "${E2E_PIDS[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null; done
	for p in "${E2E_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${E2E_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
	E2E_PIDS=()
	E2E_NS=()
}

# sec T0 [T1]: the seconds from T0 to T1 (or now), nanosecond stamps.
sec() {
	local ms=$(((${2:-$(date +%s%N)} - $1) / 1000000))
	echo "$((ms / 1000)).$((ms % 1000 / 100))"
}

replay() { echo "replay: TRUTH_SEED=$1 bash tests/e2e/t-truth.sh"; }

# The baseline: the first seed's world without a policy.
s=${SEEDS[0]}
if world_up "$s" baseline && world_probe baseline; then
	pass "baseline, seed $s without a policy: every cell answered by its endpoint (${OUT%%$'\n'*})"
else
	fail "baseline, seed $s without a policy: every cell answered by its endpoint" \
		"seed $s" "${WHY:-$OUT}" "$(replay "$s")"
fi
world_down

T0=$SECONDS
mismatched=()
for s in "${SEEDS[@]}"; do
	if [ $((SECONDS - T0)) -ge "$BUDGET" ]; then
		if [ "${TRUTH_LONG:-}" = 1 ]; then
			skip_one "seed $s" "time budget of ${BUDGET}s spent"
		else
			fail "seed $s" "time budget of ${BUDGET}s spent before this seed (TRUTH_BUDGET)"
		fi
		continue
	fi
	t=$(date +%s%N)
	if ! world_up "$s" policy; then
		fail "seed $s" "seed $s: $WHY" "$(replay "$s")" "policy:" "$(cat "$D/policy.conf")"
		mismatched+=("$s")
		world_down
		continue
	fi
	t1=$(date +%s%N)
	world_probe policy
	rc=$?
	t2=$(date +%s%N)
	drift=()
	icc "$s-H" -c "$D/policy.conf" diff || drift=("diff after apply: exit $ICC_RC" "$ICC_OUT" "$ICC_ERR")
	secs="$(sec "$t" "$t1") s up, $(sec "$t1" "$t2") s probing, $(sec "$t") s in all"
	if [ "$rc" = 0 ] && [ ${#drift[@]} -eq 0 ]; then
		pass "seed $s agrees with the model: ${OUT%%$'\n'*} ($SUMMARY; $secs)"
	else
		fail "seed $s: the kernel disagrees with the model" "seed $s ($SUMMARY)" \
			"$OUT" "${drift[@]}" "$(replay "$s")" "policy:" "$(cat "$D/policy.conf")"
		mismatched+=("$s")
	fi
	world_down
done
[ ${#mismatched[@]} -eq 0 ] || diag "seeds with mismatches: ${mismatched[*]}"
