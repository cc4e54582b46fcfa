#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# icc-policyd event latency: from a container's veth joining a managed
# bridge to its rules being live in the kernel.
#
#   sudo bench/event-latency.sh [-6] [-e EVENTS] [-t SECONDS] [-l LINKS] [N[:K]...]
#                                           (default: 150)
#
# For each N: a throwaway topology in network namespaces (names carry this
# script's PID, all removed on exit), icc-policyd started in the host
# namespace H, then bench/event_latency.py attaches the N prepared ports to
# docker0 one at a time and times each until the daemon's nf_tables commit
# notification.  Writes bench/RESULTS-event-latency.md (override with
# RESULTS=path) and prints a table.
#
# N:K (K >= N): the policy knows K containers besides the hub, N of them
# live namespaces; the other K-N have static addresses (172.17.100.2 on),
# no namespace, and LINKS (default 10) links each among themselves
# (bench/gen_policy.py), as on a host whose policy lists many containers
# of which few run.
#
# -6: the containers keep IPv6 (see no_ipv6). -e EVENTS: time EVENTS joins; the other ports join docker0 before the
# daemon starts, so that the daemon knows many running containers (bench/run
# uses this). With N >= 2 EVENTS, each of the last EVENTS ports joins once;
# otherwise the joins cycle over at most 20 ports, each followed by its
# leave (timed too). -t SECONDS: start no event after that long (recorded).
#
#   H:  docker0 172.17.0.1/16, lo up
#       hub  172.17.0.2   port vhub, on docker0, up
#       c<i> 172.17.<i/250+1>.<i%250+2>   port vc<i>, NOT on docker0 (down)
#
# Nothing is created in the caller's network namespace: only
# `ip netns add/del/exec` and processes run from here.

set -u

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$BENCH_DIR/.." && pwd)
ICC_POLICYD=${ICC_POLICYD:-$SRCDIR/icc-policyd}
# The interpreter itself, not a version manager's shim (pyenv's costs 0.5 s
# a start, and this script starts Python a dozen times).
PYTHON=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3)}
RESULTS=${RESULTS:-$BENCH_DIR/RESULTS-event-latency.md}
ID=iccbench$$
TMP=
DAEMON_PID=
MEAS_PID=
NSES=()

die() { echo "event-latency: $*" >&2; exit 1; }
say() { echo "event-latency: $*" >&2; }

cleanup() {
	local rc=$? n i
	trap - EXIT
	if [ -n "$MEAS_PID" ]; then
		kill -TERM "$MEAS_PID" 2>/dev/null
		wait "$MEAS_PID" 2>/dev/null
	fi
	if [ -n "$DAEMON_PID" ]; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		for i in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	[ ${#NSES[@]} -gt 0 ] && printf 'netns del %s\n' "${NSES[@]}" | ip -force -batch - 2>/dev/null
	# Anything of ours that slipped through (a failure half-way).
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$ID-"); do
		ip netns del "$n" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
	exit "$rc"
}

# ---------------------------------------------------------------- checks

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, nftables): sudo $0 $*"
for t in ip nft timeout "$PYTHON"; do
	command -v "$t" >/dev/null 2>&1 || die "$t not installed"
done
[ -x "$ICC_POLICYD" ] || die "icc-policyd not built at $ICC_POLICYD (run make)"
ARGS="$*"
EVENTS=0 BUDGET=0 PER=10 IPV6=0
while getopts e:t:l:6 opt; do
	case $opt in
	e) EVENTS=$OPTARG ;;
	t) BUDGET=$OPTARG ;;
	l) PER=$OPTARG ;;
	6) IPV6=1 ;;
	*) die "usage: $0 [-6] [-e EVENTS] [-t SECONDS] [-l LINKS] [N[:K]...]" ;;
	esac
done
shift $((OPTIND - 1))
for v in "$EVENTS" "$BUDGET" "$PER"; do
	case $v in ''|*[!0-9]*) die "-e, -t and -l take a number, got '$v'" ;; esac
done
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(150)
for nk in "${SIZES[@]}"; do
	n=${nk%%:*} k=${nk#*:}
	case $n$k in ''|*[!0-9]*) die "N[:K] must be numbers, got '$nk'" ;; esac
	if [ "$n" -lt 1 ] || [ "$n" -gt 2000 ]; then die "N must be 1..2000, got $n"; fi
	if [ "$k" -lt "$n" ] || [ "$k" -gt 30000 ]; then die "K must be N..30000, got $k"; fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/icc-bench.XXXXXX") || die "mktemp"
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# A private copy: others may rebuild the tree while this runs.
cp "$ICC_POLICYD" "$TMP/icc-policyd" || die "copy $ICC_POLICYD"
DAEMON_BIN=$TMP/icc-policyd

ns() { echo "$ID-$1"; }
nsx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }
mkns() {
	local n
	n=$(ns "$1")
	ip netns add "$n" || die "ip netns add $n"
	NSES+=("$n")
	ip -n "$n" link set lo up || die "lo up in $n"
}

addr_of() { echo "172.17.$(( $1 / 250 + 1 )).$(( $1 % 250 + 2 ))"; }

# no_ipv6 NAME: IPv6 off on every interface of a container's namespace,
# as Docker does for a container on an IPv4-only network: the policy here
# is IPv4. With -6 it stays on, and every container whose port joins
# docker0 sends its IPv6 link-local traffic (DAD, MLD, router
# solicitations), which the bridge floods to all N ports: at N=1,000 the
# kernel spends 10-30 ms on it at some joins (ksoftirqd, seen with perf
# sched_switch), on the CPU the daemon needs. The host-side ports keep
# IPv6 either way, as Docker leaves them.
no_ipv6() {
	[ "$IPV6" = 1 ] && return 0
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
		die "IPv6 off in $1"
}

# ---------------------------------------------------------------- one run

# topology N: H, hub, c1..cN (c<i>'s port exists, on no bridge).
topology() {
	local n=$1 i
	mkns H
	ip -n "$(ns H)" link add docker0 type bridge || die "bridge"
	ip -n "$(ns H)" addr add 172.17.0.1/16 dev docker0
	ip -n "$(ns H)" link set docker0 up
	nsx H sysctl -qw net.ipv4.ip_forward=0

	mkns hub
	no_ipv6 hub
	ip -n "$(ns H)" link add vhub type veth peer name eth0 netns "$(ns hub)" || die "veth hub"
	ip -n "$(ns H)" link set vhub master docker0 up
	ip -n "$(ns hub)" addr add 172.17.0.2/16 dev eth0
	ip -n "$(ns hub)" link set eth0 up

	# One ip process for all the namespaces (a thousand take 7 s one by one).
	for i in $(seq "$n"); do echo "netns add $(ns "c$i")"; done | ip -batch - ||
		die "ip netns add c1..c$n"
	for i in $(seq "$n"); do NSES+=("$(ns "c$i")"); done
	# One ip process for all the veths.
	for i in $(seq "$n"); do
		echo "link add vc$i type veth peer name eth0 netns $(ns "c$i")"
	done | ip -n "$(ns H)" -batch - || die "veths"
	for i in $(seq "$n"); do
		no_ipv6 "c$i"
		printf 'link set lo up\naddr add %s/16 dev eth0\nlink set eth0 up\n' "$(addr_of "$i")" |
			ip -n "$(ns "c$i")" -batch - || die "eth0 of c$i"
	done
}

# write_policy N K FILE: the hub and c1..cN by name, each linked to the
# hub; K-N more static containers from bench/gen_policy.py.
write_policy() {
	local n=$1 k=$2 f=$3 i
	if [ "$k" -gt "$n" ]; then
		echo "  hub = { bridge = \"docker0\"; name = \"$(ns hub)\"; };" >"$f.containers"
		for i in $(seq "$n"); do
			echo "  c$i = { bridge = \"docker0\"; name = \"$(ns "c$i")\"; };"
		done >>"$f.containers"
		for i in $(seq "$n"); do
			printf '  { from = "c%d"; to = "hub"; ports = [ "tcp/80" ]; }\n' "$i"
		done >"$f.links"
		"$PYTHON" "$BENCH_DIR/gen_policy.py" "$((k - n))" "$PER" --subnet 172.17.0.0/16 \
			--first 172.17.100.2 --uplink "" --prefix s --include-containers "$f.containers" \
			--include-links "$f.links" >"$f" || die "gen_policy"
		return
	fi
	{
		echo 'version = 1;'
		echo 'bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; } );'
		echo 'containers = {'
		echo "  hub = { bridge = \"docker0\"; name = \"$(ns hub)\"; };"
		for i in $(seq "$n"); do
			echo "  c$i = { bridge = \"docker0\"; name = \"$(ns "c$i")\"; };"
		done
		echo '};'
		echo 'links = ('
		for i in $(seq "$n"); do
			printf '  { from = "c%d"; to = "hub"; ports = [ "tcp/80" ]; }%s\n' \
				"$i" "$( [ "$i" -lt "$n" ] && echo ,)"
		done
		echo ');'
	} >"$f"
}

# daemon_start CONF LOG: up to 60 s for its first reconcile (tens of
# thousands of links, a thousand running containers).
daemon_start() {
	local i
	setsid ip netns exec "$(ns H)" "$DAEMON_BIN" -f -c "$1" </dev/null >>"$2" 2>&1 &
	DAEMON_PID=$!	# ip netns exec execs: this is the daemon
	for i in $(seq 1200); do
		grep -q "started: policy" "$2" 2>/dev/null && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

daemon_stop() {
	local i
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	for i in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

teardown() {
	[ ${#NSES[@]} -gt 0 ] && printf 'netns del %s\n' "${NSES[@]}" | ip -force -batch - 2>/dev/null
	NSES=()
}

# count_links: live links4 elements c<i> -> hub tcp/80.
count_links() {
	nsx H "$PYTHON" "$BENCH_DIR/event_latency.py" --count-hub
}

# attach_ports FIRST LAST: vc<FIRST>..vc<LAST> join docker0 (one ip process).
attach_ports() {
	local i
	[ "$1" -le "$2" ] || return 0
	for i in $(seq "$1" "$2"); do echo "link set vc$i master docker0 up"; done |
		ip -n "$(ns H)" -batch - || die "attach vc$1..vc$2"
}

# vmhwm: the daemon's peak and current resident set (kB), from /proc.
vmhwm() {
	awk '/^VmHWM|^VmRSS/ { printf "%s%s", sep, $2; sep = " " }' \
		"/proc/$DAEMON_PID/status" 2>/dev/null
}

# log_note LOG: the daemon log lines that say something went wrong.
log_note() {
	local n
	n=$(grep -Eic 'failed|lost|error|refused|warn' "$1")
	if [ "$n" -eq 0 ]; then echo "no line matching failed/lost/error/refused/warn"
	else
		echo "$n line(s) matching failed/lost/error/refused/warn: $(grep -Ei 'failed|lost|error|refused|warn' "$1" | head -3 | tr '\n' ';' | sed 's/|/\\|/g')"
	fi
}

run_one() {	# N K
	local n=$1 k=$2 tag=$1
	[ "$k" -ne "$n" ] && tag=$n-k$k
	local i ports="" addrs="" conf="$TMP/policy-$tag.conf" log="$TMP/daemon-$tag.log"
	local out="$TMP/run-$tag" rc=0 have note pool=$n pre=0 want=$n mem
	local load0 ns0 t0 limit cycle=0 gap=()
	# With -e, the events use the last `pool` ports; the others run from
	# the start. Enough ports: each joins once (N - EVENTS .. N running).
	# Too few: joins and leaves cycle over at most 20 (N - pool running).
	if [ "$EVENTS" -gt 0 ] && [ $(( 2 * EVENTS )) -le "$n" ]; then
		pool=$EVENTS
		pre=$(( n - pool ))
	elif [ "$EVENTS" -gt 0 ]; then
		cycle=$EVENTS
		pool=$(( n / 2 > 20 ? 20 : n / 2 ))
		[ "$pool" -ge 1 ] || pool=1
		pre=$(( n - pool ))
		want=$pre
	fi
	say "N=$n K=$k: building the topology"
	topology "$n"
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	ns0=$(( $(ip netns list | wc -l) - n - 2 ))
	write_policy "$n" "$k" "$conf"
	for i in $(seq "$((pre + 1))" "$n"); do
		ports+="${ports:+,}vc$i"
		addrs+="${addrs:+,}$(addr_of "$i")"
	done
	attach_ports 1 "$pre"
	t0=$(date +%s%N)
	daemon_start "$conf" "$log" || { cat "$log" >&2; die "icc-policyd did not start"; }
	t0=$(( ($(date +%s%N) - t0) / 1000000 ))
	have=$(count_links)
	[ "$have" -eq "$pre" ] || say "warning: $have hub link elements live at start, want $pre"
	say "N=$n K=$k: daemon pid $DAEMON_PID up in $t0 ms; $pre ports joined; timing events on $pool"
	# Bounded: 5 s per event at worst (twice with leaves), plus slack.
	limit=$(( (cycle > 0 ? cycle * 12 : pool * 6) + 60 ))
	[ "$BUDGET" -gt 0 ] && limit=$(( BUDGET + 30 ))
	[ "$EVENTS" -gt 0 ] && gap=(--gap-auto)
	# In the background, so that a signal to this script runs the cleanup
	# at once instead of after the measurer.
	timeout "$limit" ip netns exec "$(ns H)" "$PYTHON" "$BENCH_DIR/event_latency.py" \
		--daemon-pid "$DAEMON_PID" --bridge docker0 --ports "$ports" --addrs "$addrs" \
		--events "$cycle" --budget "$BUDGET" "${gap[@]}" \
		--json "$out.json" >"$out.table" &
	MEAS_PID=$!
	wait "$MEAS_PID" || rc=$?
	MEAS_PID=
	cat "$out.table"
	[ -s "$out.json" ] || die "N=$n: the measurer wrote nothing (exit $rc)"
	sleep 0.5
	have=$(count_links)
	mem=$(vmhwm)
	kill -0 "$DAEMON_PID" 2>/dev/null || say "warning: the daemon died during the run"
	note=$(log_note "$log")
	[ "${note#no line}" = "$note" ] && say "daemon log: $note"
	"$PYTHON" "$BENCH_DIR/event_latency.py" --daemon-log "$log" --skip-first --json "$out.daemon"
	"$PYTHON" "$BENCH_DIR/event_latency.py" --json "$out.json" \
		--annotate "final_elements=$have" "want_elements=$want" "log_note=$note" \
		"live=$n" "known=$k" "container_ipv6=$IPV6" "pool=$pool" "running=$pre" "links_per_static=$PER" \
		"daemon_start_ms=$t0" "daemon_vmhwm_kb=${mem%% *}" "daemon_vmrss_kb=${mem##* }" \
		"measurer_exit=$rc" \
		"load=$load0 -> $(cut -d' ' -f1-3 /proc/loadavg)" \
		"other_netns=$ns0 -> $(( $(ip netns list | wc -l) - n - 2 ))"
	if [ "$BENCH_LOGDIR" != "$TMP" ]; then
		cp "$log" "$BENCH_LOGDIR/daemon-$tag.log"
		cp "$out.json" "$BENCH_LOGDIR/run-$tag.json"
		cp "$out.daemon" "$BENCH_LOGDIR/run-$tag.daemon"
	fi
	say "N=$n K=$k: $have live hub link elements (want $want); daemon VmHWM ${mem%% *} kB; measurer exit $rc"
	[ "$have" -eq "$want" ] || say "warning: want $want live hub link elements, have $have"
	daemon_stop
	teardown
	RUNS+=("$out.json")
	TAGS+=("$tag")
}

# ---------------------------------------------------------------- main

BENCH_LOGDIR=${BENCH_LOGDIR:-$TMP}
RUNS=()
TAGS=()
json_str() { "$PYTHON" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
{
	echo "{"
	echo "\"date\": $(json_str "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"),"
	echo "\"kernel\": $(json_str "$(uname -r)"),"
	echo "\"cpu\": $(json_str "$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"),"
	echo "\"nproc\": $(json_str "$(nproc)"),"
	echo "\"nft\": $(json_str "$(nft --version 2>/dev/null)"),"
	echo "\"python\": $(json_str "$("$PYTHON" --version 2>&1)"),"
	echo "\"binary\": $(json_str "$ICC_POLICYD, sha256 $(sha256sum "$DAEMON_BIN" | cut -c1-12), tree $(git -C "$SRCDIR" rev-parse --short HEAD 2>/dev/null)$( [ -n "$(git -C "$SRCDIR" status --porcelain 2>/dev/null)" ] && echo ' (with uncommitted changes)')")",
	echo "\"netns_total\": $(json_str "$(ip netns list | wc -l)"),"
	echo "\"command\": $(json_str "sudo bench/event-latency.sh${ARGS:+ $ARGS}")"
	echo "}"
} >"$TMP/env.json" || die "env"

for nk in "${SIZES[@]}"; do
	run_one "${nk%%:*}" "${nk#*:}"
	cp "$TMP/env.json" "$TMP/run-${TAGS[-1]}.env"
done

"$PYTHON" "$BENCH_DIR/event_latency.py" --report "${RUNS[@]}" --out "$RESULTS" >/dev/null ||
	die "report"
say "wrote $RESULTS"
echo
cat "$RESULTS"
