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

set -u

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ICC_SRCDIR=${ICC_SRCDIR:-$(cd "$E2E_DIR/../.." && pwd)}
ICC_POLICY=${ICC_POLICY:-$ICC_SRCDIR/icc-policy}
E2E_ID=icce2e$$
E2E_TMP=
E2E_PIDS=()
E2E_NS=()
PYTHON=${PYTHON:-}
_tap_n=0
_tap_plan=0
_tap_fail=0

# ---------------------------------------------------------------- TAP

plan() { _tap_plan=$1; echo "1..$1"; }

_tap_line() {	# status desc
	_tap_n=$((_tap_n + 1))
	echo "$1 $_tap_n - $2"
}

pass() { _tap_line ok "$*"; }

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
	for n in "${E2E_NS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	[ -n "$E2E_TMP" ] && rm -rf "$E2E_TMP"
	_tap_finish || rc=1
	exit "$rc"
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
	ip -n "$(ns "$c")" link set eth0 up
	ip -n "$(ns "$c")" route add default via "$gw"
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
	mkns R
	mkns N
	ip -n "$(ns H)" link add eth0 type veth peer name eth0 netns "$(ns R)"
	ip -n "$(ns H)" addr add 203.0.113.1/25 dev eth0
	ip -n "$(ns H)" link set eth0 up
	ip -n "$(ns R)" addr add 203.0.113.2/25 dev eth0
	ip -n "$(ns R)" link set eth0 up
	ip -n "$(ns H)" route add default via 203.0.113.2
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

# serve_tcp NS PORT [BIND]: answers each connection with the peer address.
serve_tcp() {
	local n=$1 p=$2 b=${3:-}
	_bg "$n" socat "TCP-LISTEN:$p,reuseaddr,fork${b:+,bind=$b}" \
		SYSTEM:'echo $SOCAT_PEERADDR'
	_wait_listen "$n" tcp "$p"
}

# serve_tcp6 NS PORT: IPv6 only.
serve_tcp6() {
	local n=$1 p=$2
	_bg "$n" socat "TCP6-LISTEN:$p,reuseaddr,fork,ipv6only=1" \
		SYSTEM:'echo $SOCAT_PEERADDR'
	_wait_listen "$n" tcp "$p"
}

# serve_udp NS PORT [BIND]: answers each datagram with the peer address.
serve_udp() {
	local n=$1 p=$2 b=${3:-}
	_bg "$n" socat "UDP-RECVFROM:$p,reuseaddr,fork${b:+,bind=$b}" \
		SYSTEM:'echo $SOCAT_PEERADDR'
	_wait_listen "$n" udp "$p"
}

# serve NS PORTS...: tcp and udp servers on each port (all started
# first, then waited for).
serve() {
	local n=$1 p
	shift
	for p in "$@"; do
		_bg "$n" socat "TCP-LISTEN:$p,reuseaddr,fork" SYSTEM:'echo $SOCAT_PEERADDR'
		_bg "$n" socat "UDP-RECVFROM:$p,reuseaddr,fork" SYSTEM:'echo $SOCAT_PEERADDR'
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

# reach PROTO FROM ADDR [PORT]: generic probe, prints the answer.
reach() {
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
	is "$got" "$5" "$6"
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
policy() {
	cat >"$E2E_TMP/$1.conf"
	echo "$E2E_TMP/$1.conf"
}

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
	for i in $(seq 100); do
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
	local limit=$1 t0 now
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
	else fail "$d" "not true after ${limit}s: $*"; fi
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
	_bg "$2" "$PYTHON" "$E2E_DIR/keepalive.py" "$3" "$4" 30 "$E2E_TMP/$1"
}
up_past() {	# NAME N: more than N round trips so far
	local s
	s=$(cat "$E2E_TMP/$1" 2>/dev/null) || return 1
	[ "${s%% *}" = up ] && [ "${s#up }" -gt "$2" ]
}
is_dead() { [ "$(cat "$E2E_TMP/$1" 2>/dev/null)" = dead ]; }
count() { local s; s=$(cat "$E2E_TMP/$1"); echo "${s#up }"; }
# goes_on NAME DESC: one TAP line, passes when NAME keeps talking for 1 s.
goes_on() {
	local n
	n=$(count "$1")
	sleep 1
	if up_past "$1" $((n + 2)); then pass "$2"; else fail "$2" "$(cat "$E2E_TMP/$1")"; fi
}

# has_elem NS SET ELEMENT: the live set holds ELEMENT (nft's spelling).
has_elem() { nsx "$1" nft list set inet icc "$2" | grep -qF -- "$3"; }
no_elem() { ! has_elem "$@"; }
