# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Shared helpers for the end-to-end tests: TAP output, a throwaway
# topology in network namespaces, servers and probes with real packets.
#
# Every namespace, interface, sysctl and nftables object these tests
# touch lives in namespaces created here (names carry the PID) and is
# removed by the EXIT trap.  Nothing runs in the caller's namespace but
# `ip netns add/del/exec` and the probes' own processes.
#
# Standard topology (topo_std), all inside namespaces named $E2E_ID-*:
#
#                                      198.51.100.0/24
#   web  172.17.0.2 ─┐                  N 198.51.100.10  (allow_from ok)
#   db   172.17.0.3 ─┼ docker0 ┐              │ .1
#   cache 172.17.0.4─┘ .0.1/16 │              R 203.0.113.2 ("internet":
#                             H ── eth0 ──────┘   router, and an
#   lx   10.0.3.5 ─── lxcbr0 ─┘ 203.0.113.1/25    internet host outside
#                      10.0.3.1/24                allow_from)
#                      │ vo 203.0.113.129/25
#                      O 203.0.113.130/25  (plain veth, no bridge)
#
# H is the host that icc-policy programs; its uplink is called eth0.
# R routes 172.17.0.0/16, 10.0.3.0/24 and 203.0.113.128/25 to H (so it can
# try to reach containers directly) and 198.51.100.0/24 to N.  H's default
# route points at R.  Forwarding is on in R, off in H (a fresh namespace)
# until icc-policy turns it on.

# IPv6 twins: with E2E_FAMILY=6 (the t-*6.sh wrappers) the same script
# runs over IPv6. The topology gets an IPv6 address next to each IPv4 one
# (a6 below), the policy is translated (dual-stack subnets and static ips,
# IPv6 destinations, sources and publish hosts), and every probe, server
# and expectation uses the IPv6 twin of the address the script names.

set -u

E2E_FAMILY=${E2E_FAMILY:-4}
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ICC_SRCDIR=${ICC_SRCDIR:-$(cd "$E2E_DIR/../.." && pwd)}
ICC_POLICY=${ICC_POLICY:-$ICC_SRCDIR/icc-policy}
E2E_ID=icce2e$$
E2E_TMP=
E2E_PIDS=()
E2E_NS=()
PYTHON=${PYTHON:-}
E2E_REPORTS=
# E2E_SLOW=N multiplies every bounded wait on the daemon (wait_until,
# within, daemon_start): 10 under valgrind unless set.
E2E_SLOW=${E2E_SLOW:-}
DAEMON_COMM=icc-policyd
_tap_n=0
_tap_plan=0
_tap_fail=0

# ---------------------------------------------------------------- TAP

# With reports checked (see e2e_reports_init) the plan is printed at the
# end, after the report lines.
plan() {
	_tap_plan=$1
	[ -n "$E2E_REPORTS" ] || echo "1..$1"
}

_tap_line() {	# status desc
	_tap_n=$((_tap_n + 1))
	echo "$1 $_tap_n - $2"
}

pass() { _tap_line ok "$*"; }
# skip_one DESC REASON: one TAP line that counts as skipped.
skip_one() { _tap_line ok "$1 # SKIP $2"; }

fail() {	# desc [diagnostic lines...]
	local d=$1
	shift
	_tap_fail=$((_tap_fail + 1))
	_tap_line "not ok" "$d"
	local l
	for l in "$@"; do diag "$l"; done
}

diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# ok DESC CMD...: passes when CMD exits 0 (its output goes to diagnostics
# on failure).
ok() {
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then pass "$d"; else fail "$d" "command: $*" "$out"; fi
}

# nok DESC CMD...: passes when CMD exits non-zero.
nok() {
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then fail "$d" "command unexpectedly succeeded: $*" "$out"; else pass "$d"; fi
}

# is GOT WANT DESC
is() {
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "got:  '$1'" "want: '$2'"; fi
}

# like TEXT REGEX DESC (grep -E)
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then pass "$3"
	else fail "$3" "no match for /$2/ in:" "$1"; fi
}

# unlike TEXT REGEX DESC
unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then fail "$3" "unexpected match for /$2/ in:" "$1"
	else pass "$3"; fi
}

bail() {
	echo "Bail out! $*"
	exit 1
}

# Called by the EXIT trap: a plan that does not match what ran is an error.
_tap_finish() {
	if [ "$_tap_plan" -gt 0 ] && [ "$_tap_n" -ne "$_tap_plan" ]; then
		diag "planned $_tap_plan tests but ran $_tap_n"
		return 1
	fi
	return 0
}

# ---------------------------------------------------------------- setup

# skip_or_bail REASON: outside CI, skip the whole script; under CI the
# e2e tests must run, so a missing prerequisite is a failure.
skip_or_bail() {
	if [ "${CI:-}" = true ]; then
		bail "cannot run under CI: $*"
	fi
	echo "1..0 # SKIP $*"
	exit 0
}

# e2e_init: checks prerequisites, sets the EXIT trap and a scratch dir.
e2e_init() {
	[ "$(id -u)" -eq 0 ] || skip_or_bail "needs root"
	local t
	for t in ip nft socat timeout ss; do
		command -v "$t" >/dev/null 2>&1 || skip_or_bail "$t not installed"
	done
	if [ -z "$PYTHON" ]; then
		for t in /usr/bin/python3 python3; do
			if command -v "$t" >/dev/null 2>&1; then PYTHON=$(command -v "$t"); break; fi
		done
	fi
	[ -n "$PYTHON" ] || skip_or_bail "python3 not installed (probe.py)"
	ip netns add "$E2E_ID-probe" 2>/dev/null || skip_or_bail "cannot create network namespaces"
	ip netns del "$E2E_ID-probe"
	[ -x "$ICC_POLICY" ] || skip_or_bail "icc-policy not built at $ICC_POLICY"
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/icc-e2e.XXXXXX")
	# No record of the live ruleset (src/nft_cache.c): diff and apply read
	# the kernel, so "in sync" checks what the kernel holds. t-cache.sh
	# tests the record.
	export ICC_POLICY_CACHE=off
	# icc-policyd checks each reconcile it makes the short way between
	# events against the whole plan made from nothing (src/verify.c);
	# a "verify:" line in its log fails the test (e2e_cleanup).
	export ICC_POLICYD_VERIFY=${ICC_POLICYD_VERIFY:-1}
	e2e_reports_init
	trap e2e_cleanup EXIT
	trap 'exit 130' INT TERM
}

e2e_cleanup() {
	local rc=$? p n
	for p in "${E2E_PIDS[@]}"; do
		kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null
	done
	for p in "${E2E_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	[ -n "$E2E_REPORTS" ] && _stop_leftovers
	for n in "${E2E_NS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	if [ -n "$DAEMON_LOG" ] && grep -q 'verify:' "$DAEMON_LOG" 2>/dev/null; then
		diag "icc-policyd's short way between events differed from the whole plan:"
		grep -A20 'verify:' "$DAEMON_LOG" | head -60 | sed 's/^/# /'
		rc=1
	fi
	_tap_finish || rc=1
	if [ -n "$E2E_REPORTS" ] && [ "$_tap_plan" -gt 0 ]; then
		_check_reports
		echo "1..$_tap_n"
	fi
	[ -n "$E2E_TMP" ] && rm -rf "$E2E_TMP"
	exit "$rc"
}

# ---------------------------------------------------------------- reports
# Under the sanitizers (ICC_SANITIZE=yes: a build configured with
# --enable-sanitize, `make check-sanitize`) or valgrind (ICC_VALGRIND=yes,
# `make check-valgrind`), every process of the test leaves its reports in
# $ICC_REPORT_DIR/TEST (TEST is the script's name, -6 for the IPv6 twin),
# and the test ends with report lines: one saying that no sanitizer
# report appeared, or one per icc-policyd run under valgrind. A report
# counts even when the test ignores the exit status of the process that
# made it (a daemon stopped by the cleanup, say).

e2e_reports_init() {
	local name
	[ "${ICC_SANITIZE:-}" = yes ] || [ "${ICC_VALGRIND:-}" = yes ] || return 0
	name=$(basename "$0" .sh)
	[ "$E2E_FAMILY" = 6 ] && name=$name-6
	E2E_REPORTS=${ICC_REPORT_DIR:-${TMPDIR:-/tmp}/icc-reports}/$name
	rm -rf "$E2E_REPORTS"
	mkdir -p "$E2E_REPORTS" || bail "cannot make $E2E_REPORTS"
	if [ "${ICC_SANITIZE:-}" = yes ]; then
		# Reports go to files (asan.PID) as well as failing the process.
		export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}:log_path=$E2E_REPORTS/asan"
		export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}:log_path=$E2E_REPORTS/asan"
	fi
	if [ "${ICC_VALGRIND:-}" = yes ]; then
		command -v valgrind >/dev/null 2>&1 || skip_or_bail "valgrind not installed"
		# The daemon runs as tests/e2e/valgrind-policyd.sh: valgrind
		# with the real binary, a log per process (vg.PID).
		export ICC_VG_DAEMON=$ICC_POLICYD ICC_VG_LOGS=$E2E_REPORTS
		ICC_POLICYD=$E2E_DIR/valgrind-policyd.sh
		DAEMON_COMM=memcheck-amd64-	# what ps shows for it
		E2E_SLOW=${E2E_SLOW:-10}
	fi
}

# _stop_leftovers: SIGTERM to whatever still runs in our namespaces (a
# detached daemon, a server), then wait (bounded) until it is gone, so that
# its leak check has run and its report is written.
_stop_leftovers() {
	local n p left i
	for i in $(seq 100); do
		left=
		for n in "${E2E_NS[@]}"; do
			for p in $(ip netns pids "$n" 2>/dev/null); do
				left="$left $p"
				[ "$i" = 1 ] && kill "$p" 2>/dev/null
			done
		done
		[ -z "$left" ] && return 0
		sleep 0.2
	done
	diag "still running after 20 s in our namespaces:$left"
}

# _vg_verdict LOG: one TAP line for one icc-policyd run under valgrind.
_vg_verdict() {
	local log=$1 pid cmd d
	pid=${log##*.}
	cmd=$(sed -n 's/^==[0-9]*== Command: //p' "$log" | head -1)
	d="valgrind: icc-policyd pid $pid (${cmd#* })"
	if grep -q '== ERROR SUMMARY: 0 errors' "$log" &&
		! grep -Eq '== +definitely lost: [1-9]' "$log"; then
		pass "$d: 0 errors, nothing definitely lost"
	elif grep -q '== ERROR SUMMARY:' "$log"; then
		fail "$d: errors or leaks" "$(cat "$log")"
	elif kill -0 "$pid" 2>/dev/null; then
		fail "$d: still running at the end of the test"
	elif grep -Eq '^==[0-9]+== (Invalid|Conditional jump|Use of uninitialised|Syscall param|Mismatched|Source and destination|Argument|Process terminating)' "$log"; then
		fail "$d: errors before it was killed" "$(cat "$log")"
	else
		# SIGKILL (t-daemon's kill -9, t-crash) leaves no summary.
		pass "$d: killed with SIGKILL, no error before"
	fi
}

_check_reports() {
	local f n=0 out=()
	if [ "${ICC_SANITIZE:-}" = yes ]; then
		for f in "$E2E_REPORTS"/asan.*; do
			[ -f "$f" ] || continue
			out+=("--- $f" "$(cat "$f")")
		done
		if [ ${#out[@]} -eq 0 ]; then
			pass "no AddressSanitizer, LeakSanitizer or UBSan report from any process of this test"
		else
			fail "sanitizer reports from processes of this test (in $E2E_REPORTS)" "${out[@]}"
		fi
	fi
	if [ "${ICC_VALGRIND:-}" = yes ]; then
		for f in "$E2E_REPORTS"/vg.*; do
			[ -f "$f" ] || continue
			_vg_verdict "$f"
			n=$((n + 1))
		done
		[ "$n" -gt 0 ] || fail "valgrind: icc-policyd ran under valgrind (no log in $E2E_REPORTS)"
	fi
}

# a6 ADDR[/LEN]: the IPv6 twin of an IPv4 address or prefix of the
# topology (anything else is printed as it is).
a6() {
	local a=${1%%/*} len= h o1 o2 o3 o4
	case $1 in */*) len=${1#*/} ;; esac
	IFS=. read -r o1 o2 o3 o4 <<<"$a"
	case $a in
	0.0.0.0) h=:: ;;
	172.17.*) h=fd00:17::$o3:$o4; [ "$o3" = 0 ] && h=fd00:17::$o4 ;;
	10.0.3.*) h=fd00:3::$o4 ;;
	198.51.100.*) h=2001:db8:51::$o4 ;;
	203.0.113.*) if [ "$o4" -lt 128 ]; then h=2001:db8:113::$o4; else h=2001:db8:114::$o4; fi ;;
	127.0.0.1) h=::1 ;;
	*) echo "$1"; return ;;
	esac
	: "$o1" "$o2"
	if [ -z "$len" ]; then
		echo "$h"
	elif [ "$len" = 0 ]; then
		echo "::/0"
	elif [ "$len" = 32 ]; then
		echo "$h/128"
	else
		echo "${h%::*}::/64"
	fi
}

# fam ADDR: the address the current family probes (a6 over IPv6).
fam() { if [ "$E2E_FAMILY" = 6 ]; then a6 "$1"; else echo "$1"; fi; }

# forwarding_on NS: routing on by hand (a baseline before any policy).
forwarding_on() {
	nsx "$1" sysctl -qw net.ipv4.ip_forward=1
	if [ "$E2E_FAMILY" = 6 ]; then
		nsx "$1" sysctl -qw net.ipv6.conf.all.forwarding=1
	fi
}

# addr6 NS DEV ADDR/LEN: the IPv6 twin of an IPv4 address (over IPv6
# only), without duplicate address detection.
addr6() {
	[ "$E2E_FAMILY" = 6 ] || return 0
	local p
	p=$(a6 "$3")
	ip -n "$(ns "$1")" addr add "$(a6 "${3%%/*}")/${p#*/}" dev "$2" nodad
}

# route6 NS ARGS...: an IPv6 route, over IPv6 only.
route6() {
	[ "$E2E_FAMILY" = 6 ] || return 0
	local n=$1
	shift
	ip -n "$(ns "$n")" -6 route add "$@"
}

# ns NAME: the real namespace name of a topology member.
ns() { echo "$E2E_ID-$1"; }

# nsx NAME CMD...: run CMD inside namespace NAME.
nsx() {
	local n=$1
	shift
	ip netns exec "$E2E_ID-$n" "$@"
}

mkns() {
	local n=$E2E_ID-$1
	ip netns add "$n" || bail "ip netns add $n"
	E2E_NS+=("$n")
	ip -n "$n" link set lo up
}

# mkbridge NS BRIDGE ADDR/LEN [ip-link bridge options...]
mkbridge() {
	local n=$1 br=$2 a=$3
	shift 3
	ip -n "$(ns "$n")" link add "$br" type bridge "$@" || bail "bridge $br"
	ip -n "$(ns "$n")" addr add "$a" dev "$br"
	addr6 "$n" "$br" "$a"
	ip -n "$(ns "$n")" link set "$br" up
}

# mkcontainer NAME HOSTNS BRIDGE ADDR/LEN GATEWAY [V6LL]
# A namespace with eth0 whose peer is a port of BRIDGE in HOSTNS.  With
# V6LL (e.g. fe80::2) the container gets exactly that IPv6 link-local
# address, without DAD, and no autoconfigured one.
mkcontainer() {
	local c=$1 h=$2 br=$3 a=$4 gw=$5 ll=${6:-}
	local port="v$c"
	mkns "$c"
	ip -n "$(ns "$h")" link add "$port" type veth peer name eth0 netns "$(ns "$c")" ||
		bail "veth for $c"
	ip -n "$(ns "$h")" link set "$port" master "$br" up
	ip -n "$(ns "$c")" link set eth0 addrgenmode none
	ip -n "$(ns "$c")" addr add "$a" dev eth0
	[ -n "$ll" ] && ip -n "$(ns "$c")" addr add "$ll/64" dev eth0 nodad
	addr6 "$c" eth0 "$a"
	ip -n "$(ns "$c")" link set eth0 up
	ip -n "$(ns "$c")" route add default via "$gw"
	route6 "$c" default via "$(a6 "$gw")"
}

# mkuplink: H's uplink, eth0 (203.0.113.1/25), to R's eth0 (.2), H's
# default route.
mkuplink() {
	mkns R
	ip -n "$(ns H)" link add eth0 type veth peer name eth0 netns "$(ns R)"
	ip -n "$(ns H)" addr add 203.0.113.1/25 dev eth0
	ip -n "$(ns H)" link set eth0 up
	ip -n "$(ns R)" addr add 203.0.113.2/25 dev eth0
	ip -n "$(ns R)" link set eth0 up
	ip -n "$(ns H)" route add default via 203.0.113.2
}

# topo_std [docker0 bridge options...]: the topology drawn above.
# Containers web, db, cache on docker0 and lx on lxcbr0; R and N play the
# internet; O hangs off H on a plain veth.
topo_std() {
	mkns H
	mkbridge H docker0 172.17.0.1/16 "$@"
	mkbridge H lxcbr0 10.0.3.1/24
	mkcontainer web H docker0 172.17.0.2/16 172.17.0.1 fe80::2
	mkcontainer db H docker0 172.17.0.3/16 172.17.0.1 fe80::3
	mkcontainer cache H docker0 172.17.0.4/16 172.17.0.1 fe80::4
	mkcontainer lx H lxcbr0 10.0.3.5/24 10.0.3.1

	# Uplink H eth0 <-> R eth0, and N behind R.
	mkuplink
	mkns N
	ip -n "$(ns R)" link add n0 type veth peer name eth0 netns "$(ns N)"
	ip -n "$(ns R)" addr add 198.51.100.1/24 dev n0
	ip -n "$(ns R)" link set n0 up
	ip -n "$(ns N)" addr add 198.51.100.10/24 dev eth0
	ip -n "$(ns N)" link set eth0 up
	ip -n "$(ns N)" route add default via 198.51.100.1
	local p
	for p in 172.17.0.0/16 10.0.3.0/24 203.0.113.128/25; do
		ip -n "$(ns R)" route add "$p" via 203.0.113.1
	done
	nsx R sysctl -qw net.ipv4.ip_forward=1

	# O: a namespace on a plain veth to H, touching no bridge.
	mkns O
	ip -n "$(ns H)" link add vo type veth peer name eth0 netns "$(ns O)"
	ip -n "$(ns H)" addr add 203.0.113.129/25 dev vo
	ip -n "$(ns H)" link set vo up
	ip -n "$(ns O)" addr add 203.0.113.130/25 dev eth0
	ip -n "$(ns O)" link set eth0 up
	ip -n "$(ns O)" route add default via 203.0.113.129
	topo_std6
}

# The IPv6 half of topo_std (E2E_FAMILY=6 only): the same shape.
topo_std6() {
	[ "$E2E_FAMILY" = 6 ] || return 0
	addr6 H eth0 203.0.113.1/25
	addr6 R eth0 203.0.113.2/25
	route6 H default via "$(a6 203.0.113.2)"
	addr6 R n0 198.51.100.1/24
	addr6 N eth0 198.51.100.10/24
	route6 N default via "$(a6 198.51.100.1)"
	local p
	for p in 172.17.0.0/16 10.0.3.0/24 203.0.113.128/25; do
		route6 R "$(a6 "$p")" via "$(a6 203.0.113.1)"
	done
	nsx R sysctl -qw net.ipv6.conf.all.forwarding=1
	addr6 H vo 203.0.113.129/25
	addr6 O eth0 203.0.113.130/25
	route6 O default via "$(a6 203.0.113.129)"
}

# ---------------------------------------------------------------- servers

# _bg NS CMD...: start CMD inside NS in its own process group; remember
# its pid so that the cleanup kills it (and its forked children).
_bg() {
	local n=$1
	shift
	setsid ip netns exec "$(ns "$n")" "$@" </dev/null >/dev/null 2>&1 &
	E2E_PIDS+=($!)
}

# _wait_listen NS tcp|udp PORT [ADDR]: bounded wait for a listener.
_wait_listen() {
	local n=$1 proto=$2 port=$3 i f
	case $proto in tcp) f=-Hltn ;; udp) f=-Hlun ;; esac
	for i in $(seq 50); do
		if nsx "$n" ss $f "sport = :$port" | grep -q .; then return 0; fi
		sleep 0.1
	done
	bail "no $proto listener on port $port in $n"
}

# _serve_peer NS tcp|udp PORT [BIND]: a server in the test's family that
# answers each connection (datagram) with the peer's address.
_serve_peer() {
	local n=$1 proto=$2 p=$3 b=${4:-} v=${E2E_FAMILY#4} kind=TCP
	[ "$proto" = udp ] && kind=UDP
	kind=$kind$v-$([ "$proto" = udp ] && echo RECVFROM || echo LISTEN)
	if [ -n "$b" ] && [ -n "$v" ]; then b="bind=[$(a6 "$b")]"; elif [ -n "$b" ]; then b="bind=$b"; fi
	_bg "$n" socat "$kind:$p,reuseaddr,fork${v:+,ipv6only=1}${b:+,$b}" \
		SYSTEM:'echo $SOCAT_PEERADDR'
	_wait_listen "$n" "$proto" "$p"
}

# serve_tcp / serve_udp NS PORT [BIND]
serve_tcp() { _serve_peer "$1" tcp "$2" "${3:-}"; }
serve_udp() { _serve_peer "$1" udp "$2" "${3:-}"; }

# serve_tcp6 NS PORT: IPv6 only.
serve_tcp6() {
	local n=$1 p=$2
	_bg "$n" socat "TCP6-LISTEN:$p,reuseaddr,fork,ipv6only=1" \
		SYSTEM:'echo $SOCAT_PEERADDR'
	_wait_listen "$n" tcp "$p"
}

# serve_echo NS PORT: a tcp echo server (for keepalive).
serve_echo() {
	local v=${E2E_FAMILY#4}
	_bg "$1" socat "TCP$v-LISTEN:$2,reuseaddr,fork${v:+,ipv6only=1}" EXEC:cat
	_wait_listen "$1" tcp "$2"
}

# serve NS PORTS...: tcp and udp servers on each port (all started
# first, then waited for).
serve() {
	local n=$1 p
	shift
	local v=${E2E_FAMILY#4}
	for p in "$@"; do
		_bg "$n" socat "TCP$v-LISTEN:$p,reuseaddr,fork${v:+,ipv6only=1}" \
			SYSTEM:'echo $SOCAT_PEERADDR'
		_bg "$n" socat "UDP$v-RECVFROM:$p,reuseaddr,fork${v:+,ipv6only=1}" \
			SYSTEM:'echo $SOCAT_PEERADDR'
	done
	for p in "$@"; do
		_wait_listen "$n" tcp "$p"
		_wait_listen "$n" udp "$p"
	done
}

# ---------------------------------------------------------------- probes
# Each probe prints what the server answered (the address it saw us
# from) and succeeds only when an answer came back.  A probe gives up
# after $E2E_TIMEOUT seconds: denied() uses 1 s (denied traffic is
# dropped, so every denied probe costs that much), allowed() 3 s (an
# answer ends it at once).

E2E_TIMEOUT=1

probe_tcp() {	# FROM ADDR PORT
	local out t=$E2E_TIMEOUT
	out=$(timeout $((t + 3)) ip netns exec "$(ns "$1")" \
		socat -T"$t" -t"$t" - "TCP:$2:$3,connect-timeout=$t" \
		</dev/null 2>/dev/null) || true
	[ -n "$out" ] || return 1
	echo "$out"
}

probe_tcp6() {	# FROM ADDR%IF PORT
	local out t=$E2E_TIMEOUT
	out=$(timeout $((t + 3)) ip netns exec "$(ns "$1")" \
		socat -T"$t" -t"$t" - "TCP6:[$2]:$3,connect-timeout=$t" \
		</dev/null 2>/dev/null) || true
	[ -n "$out" ] || return 1
	echo "$out"
}

probe_udp() {	# FROM ADDR PORT
	timeout $((E2E_TIMEOUT + 3)) ip netns exec "$(ns "$1")" \
		"$PYTHON" "$E2E_DIR/probe.py" udp "$2" "$3" "$E2E_TIMEOUT" </dev/null
}

probe_icmp() {	# FROM ADDR: one echo request, waits for the reply
	timeout $((E2E_TIMEOUT + 3)) ip netns exec "$(ns "$1")" \
		"$PYTHON" "$E2E_DIR/probe.py" icmp "$2" "$E2E_TIMEOUT" </dev/null
}

# reach PROTO FROM ADDR [PORT]: generic probe, prints the answer. Over
# IPv6 (E2E_FAMILY=6) ADDR is the IPv4 name of its twin.
reach() {
	if [ "$E2E_FAMILY" = 6 ] && [ "$1" != tcp6 ]; then
		case $1 in
		tcp) probe_tcp6 "$2" "$(a6 "$3")" "$4" ;;
		*) reach_v "$1" "$2" "$(a6 "$3")" "${4:-}" ;;
		esac
		return
	fi
	reach_v "$@"
}

reach_v() {
	case $1 in
	tcp) probe_tcp "$2" "$3" "$4" ;;
	tcp6) probe_tcp6 "$2" "$3" "$4" ;;
	udp) probe_udp "$2" "$3" "$4" ;;
	icmp) probe_icmp "$2" "$3" ;;
	*) bail "reach: unknown protocol $1" ;;
	esac
}

# allowed/denied PROTO FROM ADDR [PORT] [DESC]: one TAP line each.
allowed() {
	local d="${5:-$1 $2 -> $3${4:+:$4} allowed}"
	if E2E_TIMEOUT=3 reach "$1" "$2" "$3" "${4:-}" >/dev/null; then pass "$d"
	else fail "$d" "probe got no answer"; fi
}

denied() {
	local d="${5:-$1 $2 -> $3${4:+:$4} denied}"
	if E2E_TIMEOUT=1 reach "$1" "$2" "$3" "${4:-}" >/dev/null; then fail "$d" "probe got an answer"
	else pass "$d"; fi
}

# seen_as PROTO FROM ADDR PORT WANT DESC: the server at ADDR:PORT saw the
# client's address as WANT (masquerade or not).
seen_as() {
	local got
	got=$(E2E_TIMEOUT=3 reach "$1" "$2" "$3" "$4") || got="(no answer)"
	# socat writes an IPv6 peer in brackets and in full
	got=${got#[}
	got=${got%]}
	case $got in *:*) got=$("$PYTHON" -c 'import ipaddress, sys
print(ipaddress.ip_address(sys.argv[1]))' "$got") ;; esac
	is "$got" "$(fam "$5")" "$6"
}

# A reachability matrix is a list of lines
#   PROTO FROM ADDR PORT ok|no DESCRIPTION...
# (PORT is - for icmp; blank lines and lines starting with # are skipped).

matrix_count() {
	printf '%s\n' "$1" | grep -Evc '^[[:space:]]*(#|$)'
}

# check_matrix MATRIX [PREFIX]: one TAP line per row.
check_matrix() {
	local proto from addr port want desc d
	while read -r proto from addr port want desc <&3; do
		case $proto in ''|\#*) continue ;; esac
		[ "$port" = - ] && port=
		d="${2:+$2: }$proto $from -> $addr${port:+:$port} $( [ "$want" = ok ] && echo allowed || echo denied) ($desc)"
		case $want in
		ok) allowed "$proto" "$from" "$addr" "$port" "$d" ;;
		no) denied "$proto" "$from" "$addr" "$port" "$d" ;;
		*) bail "matrix: bad expectation '$want'" ;;
		esac
	done 3<<<"$1"
}

# baseline MATRIX DESC: one TAP line, passes when every row of the matrix
# is reachable (used before any policy is applied, so that each "denied"
# row later is known to be able to fail).
baseline() {
	local proto from addr port want desc bad=()
	while read -r proto from addr port want desc <&3; do
		case $proto in ''|\#*) continue ;; esac
		[ "$port" = - ] && port=
		E2E_TIMEOUT=3 reach "$proto" "$from" "$addr" "$port" >/dev/null ||
			bad+=("no answer: $proto $from -> $addr${port:+:$port}")
	done 3<<<"$1"
	if [ ${#bad[@]} -eq 0 ]; then pass "$2"; else fail "$2" "${bad[@]}"; fi
}

# ---------------------------------------------------------------- icc-policy

# icc NS ARGS...: run icc-policy inside namespace NS; stdout and stderr
# of the last run are kept in $ICC_OUT and $ICC_ERR, its status in $ICC_RC
# (124: killed after $ICC_TIMEOUT seconds).
ICC_TIMEOUT=${ICC_TIMEOUT:-30}
ICC_OUT=
ICC_ERR=
ICC_RC=0
icc() {
	local n=$1
	shift
	ICC_RC=0
	timeout "$ICC_TIMEOUT" ip netns exec "$(ns "$n")" "$ICC_POLICY" "$@" \
		>"$E2E_TMP/icc.out" 2>"$E2E_TMP/icc.err" || ICC_RC=$?
	ICC_OUT=$(cat "$E2E_TMP/icc.out")
	ICC_ERR=$(cat "$E2E_TMP/icc.err")
	return "$ICC_RC"
}

# icc_apply_or_bail NS FILE: apply a policy the rest of the script needs.
icc_apply_or_bail() {
	icc "$1" -c "$2" apply && return 0
	[ "$ICC_RC" -eq 124 ] && ICC_ERR="timed out after ${ICC_TIMEOUT}s; $ICC_ERR"
	bail "icc-policy -c $2 apply failed ($ICC_RC): $(echo $ICC_ERR)"
}

# policy NAME: writes stdin to $E2E_TMP/NAME.conf and prints the path.
# Over IPv6 the policy is translated first (policy6.py).
policy() {
	policy_file "$E2E_TMP/$1.conf"
	echo "$E2E_TMP/$1.conf"
}

# policy_file PATH: writes stdin to PATH (translated over IPv6).
policy_file() {
	if [ "$E2E_FAMILY" = 6 ]; then
		"$PYTHON" "$E2E_DIR/policy6.py" >"$1"
	else
		cat >"$1"
	fi
}

# fam_re TEXT: fam_text as an extended regular expression (dots escaped).
fam_re() { fam_text "$1" | sed 's/\./\\./g'; }

# sysctl_get NS KEY
sysctl_get() { nsx "$1" sysctl -n "$2"; }

# nft_rules NS TABLE...: number of rules in a table (from nft -a handles).
nft_rules() {
	local n=$1
	shift
	nsx "$n" nft -a list table "$@" | grep -v '{' | grep -c '# handle [0-9]*$'
}

# ---------------------------------------------------------------- icc-policyd

ICC_POLICYD=${ICC_POLICYD:-$(dirname "$ICC_POLICY")/icc-policyd}
DAEMON_PID=
DAEMON_LOG=

# daemon_start NS CONF [ARGS...]: icc-policyd -f in NS, logging to
# $DAEMON_LOG; waits (bounded) until it says it started.
daemon_start() {
	local n=$1 conf=$2 i
	shift 2
	DAEMON_LOG=$E2E_TMP/daemon.log
	setsid ip netns exec "$(ns "$n")" "$ICC_POLICYD" -f -v -c "$conf" "$@" \
		</dev/null >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	E2E_PIDS+=("$DAEMON_PID")
	for i in $(seq $((100 * ${E2E_SLOW:-1}))); do
		grep -q "started: policy" "$DAEMON_LOG" 2>/dev/null && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# daemon_signal SIG: to the daemon itself (ip netns exec execs it, so
# DAEMON_PID is the daemon).
daemon_signal() { kill "-$1" "$DAEMON_PID"; }

# daemon_log_since N: the log from line N on.
daemon_log_lines() { wc -l <"$DAEMON_LOG"; }
daemon_log_since() { tail -n +"$(( $1 + 1 ))" "$DAEMON_LOG"; }

# wait_until SECONDS CMD...: polls CMD every 20 ms; 0 when it succeeded in
# time. WAITED holds the milliseconds it took.
WAITED=0
wait_until() {
	local limit=$(( $1 * ${E2E_SLOW:-1} )) t0 now
	shift
	t0=$(date +%s%N)
	while :; do
		if "$@" >/dev/null 2>&1; then
			now=$(date +%s%N)
			WAITED=$(( (now - t0) / 1000000 ))
			return 0
		fi
		now=$(date +%s%N)
		[ $(( (now - t0) / 1000000 )) -ge $(( limit * 1000 )) ] && break
		sleep 0.02
	done
	WAITED=$(( limit * 1000 ))
	return 1
}

# within DESC SECONDS CMD...: one TAP line, passes when CMD succeeds in
# time (polled, in this shell so that WAITED survives).
within() {
	local d=$1 limit=$2
	shift 2
	if wait_until "$limit" "$@"; then pass "$d"
	else fail "$d" "not true after $((limit * ${E2E_SLOW:-1}))s: $*"; return 1; fi
}

# rmcontainer NAME HOSTNS: as Docker stops one: the port goes, then the
# namespace (whose own teardown is asynchronous and may take a while).
rmcontainer() {
	ip -n "$(ns "$2")" link del "v$1" 2>/dev/null
	ip netns del "$(ns "$1")"
}

# keepalive NAME FROM ADDR PORT: a long-lived TCP connection to an echo
# server, pinging every 0.2 s for at most 30 s; its status ("up N" or
# "dead") in $E2E_TMP/NAME.
keepalive() {
	rm -f "$E2E_TMP/$1"
	_bg "$2" "$PYTHON" "$E2E_DIR/keepalive.py" "$(fam "$3")" "$4" 30 "$E2E_TMP/$1"
}
up_past() {	# NAME N: more than N round trips so far
	local s
	s=$(cat "$E2E_TMP/$1" 2>/dev/null) || return 1
	[ "${s%% *}" = up ] && [ "${s#up }" -gt "$2" ]
}
is_dead() { [ "$(cat "$E2E_TMP/$1" 2>/dev/null)" = dead ]; }
count() {	# NAME: round trips so far (0 once dead)
	local s
	s=$(cat "$E2E_TMP/$1" 2>/dev/null)
	case $s in "up "*) echo "${s#up }" ;; *) echo 0 ;; esac
}
# goes_on NAME DESC: one TAP line, passes when NAME is alive and makes
# three more round trips (it pings every 0.2 s; a loaded machine gets 3 s).
goes_on() {
	local n
	n=$(count "$1")
	if wait_until 3 up_past "$1" $((n + 2)) && ! is_dead "$1"; then pass "$2"
	else fail "$2" "$(cat "$E2E_TMP/$1")"; fi
}

# has_elem NS SET ELEMENT: the live set holds ELEMENT (nft's spelling).
# Over IPv6 an IPv4 set name and addresses stand for their twins.
has_elem() {
	local set=$2 elem=$3
	if [ "$E2E_FAMILY" = 6 ]; then
		set=${set/4/6}
		elem=$(fam_text "$elem")
	fi
	nsx "$1" nft list set inet icc "$set" | grep -qF -- "$elem"
}

# fam_text TEXT: TEXT with every dotted quad replaced by fam's address.
fam_text() {
	local t=$1 out= q
	while [[ $t =~ ([0-9]+\.[0-9]+\.[0-9]+\.[0-9]+) ]]; do
		q=${BASH_REMATCH[1]}
		out+=${t%%"$q"*}$(fam "$q")
		t=${t#*"$q"}
	done
	echo "$out$t"
}
no_elem() { ! has_elem "$@"; }
