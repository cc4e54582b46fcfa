#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# demo.sh: icc-policy on a throwaway host made of network namespaces.
#
# Builds a "host" namespace with docker0 (containers web, db, cache),
# lxcbr0 (container lx) and an uplink eth0 to an "internet" namespace;
# shows `icc-policy diff`, prints who can reach whom, applies
# contrib/demo.conf, prints the table again, shows `diff` once more, then
# runs icc-policyd with the same policy plus a container named by its
# namespace, starts that container and shows it enforced, and removes
# everything it made.  Nothing outside its own namespaces is
# touched.  Needs root, iproute2, nftables' kernel support and socat.
#
# Usage: contrib/demo.sh [POLICY]     (ICC_POLICY=path/to/icc-policy)

set -u

here=$(cd "$(dirname "$0")" && pwd)
conf=${1:-$here/demo.conf}
if [ -z "${ICC_POLICY:-}" ]; then
	if [ -x "$here/../icc-policy" ]; then ICC_POLICY=$here/../icc-policy
	else ICC_POLICY=$(command -v icc-policy) || { echo "demo: icc-policy not found" >&2; exit 2; }
	fi
fi
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (network namespaces)" >&2; exit 2; }
for t in ip socat timeout; do
	command -v "$t" >/dev/null || { echo "demo: $t is not installed" >&2; exit 2; }
done

id=iccdemo$$
pids=()
nss=()
tmp=$(mktemp -d)
cleanup() {
	local p n
	for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

x() { local n=$1; shift; ip netns exec "$id-$n" "$@"; }
mkns() { ip netns add "$id-$1" && nss+=("$id-$1") && ip -n "$id-$1" link set lo up; }
container() {	# NAME BRIDGE ADDR/LEN GATEWAY
	mkns "$1"
	ip -n "$id-host" link add "v$1" type veth peer name eth0 netns "$id-$1"
	ip -n "$id-host" link set "v$1" master "$2" up
	ip -n "$id-$1" addr add "$3" dev eth0
	ip -n "$id-$1" link set eth0 up
	ip -n "$id-$1" route add default via "$4"
}
serve() {	# NS PORT: a TCP server that answers with the peer's address
	setsid ip netns exec "$id-$1" socat "TCP-LISTEN:$2,reuseaddr,fork" \
		SYSTEM:'echo $SOCAT_PEERADDR' </dev/null >/dev/null 2>&1 &
	pids+=($!)
}
probe() {	# NS ADDR PORT: prints the answer, fails without one
	local out
	out=$(timeout 4 ip netns exec "$id-$1" socat -T2 -t2 - \
		"TCP:$2:$3,connect-timeout=1" </dev/null 2>/dev/null)
	[ -n "$out" ] && echo "$out"
}
icc() {	# ARGS...: icc-policy inside the host namespace
	echo "# icc-policy -c $(basename "$conf") $*"
	timeout 30 ip netns exec "$id-host" "$ICC_POLICY" -c "$conf" "$@"
}

echo "== building the topology ($id-*)"
mkns host
for b in "docker0 172.17.0.1/16" "lxcbr0 10.0.3.1/24"; do
	set -- $b
	ip -n "$id-host" link add "$1" type bridge
	ip -n "$id-host" addr add "$2" dev "$1"
	ip -n "$id-host" link set "$1" up
done
container web docker0 172.17.0.2/16 172.17.0.1
container db docker0 172.17.0.3/16 172.17.0.1
container cache docker0 172.17.0.4/16 172.17.0.1
container lx lxcbr0 10.0.3.5/24 10.0.3.1
mkns inet
ip -n "$id-host" link add eth0 type veth peer name eth0 netns "$id-inet"
ip -n "$id-host" addr add 203.0.113.1/24 dev eth0
ip -n "$id-host" link set eth0 up
ip -n "$id-inet" addr add 203.0.113.2/24 dev eth0
ip -n "$id-inet" link set eth0 up
ip -n "$id-host" route add default via 203.0.113.2
for p in 172.17.0.0/16 10.0.3.0/24; do ip -n "$id-inet" route add "$p" via 203.0.113.1; done
x host sysctl -qw net.ipv4.ip_forward=1	# as on a real container host

serve web 80
serve db 5432
serve cache 6379
serve lx 22
serve inet 80
sleep 0.5

rows=(web db cache lx inet)
cols=("web 172.17.0.2 80" "db 172.17.0.3 5432" "cache 172.17.0.4 6379"
	"lx 10.0.3.5 22" "inet 203.0.113.2 80")

# table TITLE: every row probes every column at once (denied probes wait
# their 1 s timeout in parallel), then prints ok / -- per cell.
table() {
	local r c name addr port cell jobs=()
	for r in "${rows[@]}"; do
		for c in "${cols[@]}"; do
			read -r name addr port <<<"$c"
			[ "$r" = "$name" ] && continue
			( probe "$r" "$addr" "$port" >"$tmp/$r-$name" || rm -f "$tmp/$r-$name" ) &
			jobs+=($!)
		done
	done
	( probe host 127.0.0.1 8080 >"$tmp/host-local" || rm -f "$tmp/host-local" ) &
	jobs+=($!)
	wait "${jobs[@]}"
	echo
	echo "== $1"
	printf '%-8s' "from\\to"
	for c in "${cols[@]}"; do
		read -r name addr port <<<"$c"
		printf '%-12s' "$name:$port"
	done
	echo
	for r in "${rows[@]}"; do
		printf '%-8s' "$r"
		for c in "${cols[@]}"; do
			read -r name addr port <<<"$c"
			if [ "$r" = "$name" ]; then cell=.
			elif [ -e "$tmp/$r-$name" ]; then cell=ok
			else cell=--; fi
			printf '%-12s' "$cell"
		done
		echo
	done
	printf 'host -> 127.0.0.1:8080 (web:80): %s\n' \
		"$([ -e "$tmp/host-local" ] && echo ok || echo --)"
	if [ -e "$tmp/web-inet" ]; then
		echo "the internet saw web as $(cat "$tmp/web-inet")"
	fi
	rm -f "$tmp"/*-*
}

table "before: no policy, every container reaches every other"

echo
echo "== what apply would change"
icc diff | head -n 40
echo "# diff exit status: ${PIPESTATUS[0]} (1 = changes pending)"

echo
echo "== apply"
icc apply
echo "# apply exit status: $?"

table "after: only the links in $(basename "$conf")"

echo
echo "== diff again"
icc diff | head -n 20
echo "# diff exit status: ${PIPESTATUS[0]} (0 = in sync)"

# icc-policyd: the same policy, plus a container "api" named by its
# namespace instead of an address; the daemon finds it as it starts.
policyd=${ICC_POLICYD:-$(dirname "$ICC_POLICY")/icc-policyd}
if [ -x "$policyd" ]; then
	echo
	echo "== icc-policyd: a container named, not addressed, enforced as it starts"
	cat >"$tmp/daemon.conf" <<EOF
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
  api   = { bridge = "docker0"; name = "$id-api"; };
};
links = (
  { from = "web"; to = "db";    ports = [ "tcp/5432" ]; },
  { from = "web"; to = "cache"; ports = [ "tcp/6379" ]; },
  { from = "lx";  to = "web";   ports = [ "tcp/80" ]; },
  { from = "api"; to = "db";    ports = [ "tcp/5432" ]; }
);
publish = ( { container = "web"; port = "tcp/80"; host = "127.0.0.1:8080"; } );
EOF
	setsid ip netns exec "$id-host" "$policyd" -f -c "$tmp/daemon.conf" \
		</dev/null >"$tmp/daemon.log" 2>&1 &
	pids+=($!)
	for i in $(seq 50); do grep -q "started" "$tmp/daemon.log" && break; sleep 0.1; done
	container api docker0 172.17.0.9/16 172.17.0.1
	sleep 0.5
	printf 'api -> db:5432 (linked): %s\n' "$(probe api 172.17.0.3 5432 >/dev/null && echo ok || echo --)"
	printf 'api -> cache:6379 (not linked): %s\n' "$(probe api 172.17.0.4 6379 >/dev/null && echo ok || echo --)"
	echo "# the daemon's log:"
	sed 's/^/#   /' "$tmp/daemon.log"
fi

echo
echo "== cleaning up"
