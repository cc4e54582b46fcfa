#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# icc-policyd identifies containers from Docker's and LXC's state on disk
# (fixture folders here): a Docker container by name, a Docker label
# group, an LXC container by its declared MAC and one by its veth name.
# The daemon runs with only CAP_NET_ADMIN and CAP_NET_BROADCAST, as the
# systemd unit gives it, and speaks the sd_notify protocol.
. "$(dirname "$0")/lib.sh"
e2e_init
[ -x "$ICC_POLICYD" ] || skip_or_bail "icc-policyd not built at $ICC_POLICYD"
command -v setpriv >/dev/null || skip_or_bail "setpriv not installed"

plan 33

mkns H
mkbridge H docker0 172.17.0.1/16
mkbridge H lxcbr0 10.0.3.1/24
nsx H sysctl -qw net.ipv4.ip_forward=1

# ---- Docker's state: config.v2.json as Docker writes it (the parts we read)
DOCKER=$E2E_TMP/docker
docker_ctr() {	# NSNAME NAME RUNNING LABELS-JSON
	local id
	id=$(printf '%s' "$1$2" | sha256sum | cut -c1-64)
	mkdir -p "$DOCKER/containers/$id"
	cat >"$DOCKER/containers/$id/config.v2.json" <<EOF
{"StreamConfig":{},"State":{"Running":$3,"Paused":false,"Pid":4242,"ExitCode":0},"ID":"$id","Created":"2026-11-23T10:00:00Z","Path":"docker-entrypoint.sh","Config":{"Hostname":"${id:0:12}","Image":"postgres:16","Labels":$4},"Image":"sha256:0000","NetworkSettings":{"Bridge":"","SandboxID":"$id","SandboxKey":"/var/run/docker/netns/$(ns "$1")","Networks":{"bridge":{"IPAddress":"ignored"}}},"Name":"/$2","Driver":"overlay2"}
EOF
}
docker_ctr dweb shop-web-1 true '{"com.docker.compose.project":"shop","com.docker.compose.service":"web"}'
docker_ctr ddb1 shop-db-1 true '{"com.docker.compose.project":"shop","com.docker.compose.service":"db"}'
docker_ctr ddb2 shop-db-2 true '{"com.docker.compose.project":"shop","com.docker.compose.service":"db"}'
docker_ctr dcache shop-cache-1 true '{"com.docker.compose.project":"shop","com.docker.compose.service":"cache"}'
docker_ctr dold shop-db-3 false '{"com.docker.compose.project":"shop","com.docker.compose.service":"db"}'
mkdir -p "$DOCKER/containers/broken" && echo '{"ID": "trunc' >"$DOCKER/containers/broken/config.v2.json"

# ---- LXC's state: lx1 declares its MAC, lx2 its host-side veth name
LXC=$E2E_TMP/lxc
mkdir -p "$LXC/lx1" "$LXC/lx2" "$LXC/lx3" "$LXC/lx4"
printf 'lxc.uts.name = lx1\nlxc.net.0.type = veth\nlxc.net.0.link = lxcbr0\nlxc.net.0.flags = up\nlxc.net.0.hwaddr = 00:16:3e:aa:bb:01\n' >"$LXC/lx1/config"
printf '# LXC 2 spelling\nlxc.network.type = veth\nlxc.network.link = lxcbr0\nlxc.network.veth.pair = vlx2\n' >"$LXC/lx2/config"
printf 'lxc.net.0.type = veth\nlxc.net.0.link = lxcbr0\nlxc.net.0.hwaddr = 00:16:3e:aa:bb:03\n' >"$LXC/lx3/config"
# lx4 declares neither: only its running init's namespace says who it is,
# found through its cgroup (a fixture cgroup root here).
printf 'lxc.net.0.type = veth\nlxc.net.0.link = lxcbr0\n' >"$LXC/lx4/config"
CGROUP=$E2E_TMP/cgroup
mkdir -p "$CGROUP/lxc.payload.lx4"

POL=$(policy ident <<EOF
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; },
  { name = "lxcbr0"; subnet = "10.0.3.0/24"; }
);
containers = {
  web = { bridge = "docker0"; name = "shop-web-1"; };
  db = { bridge = "docker0"; labels = [ "com.docker.compose.service=db", "com.docker.compose.project=shop" ]; };
  lx = { bridge = "lxcbr0"; name = "lx1"; };
  lxp = { bridge = "lxcbr0"; name = "lx2"; };
  lx4c = { bridge = "lxcbr0"; name = "lx4"; };
  late = { bridge = "docker0"; name = "shop-late-1"; };
};
links = (
  { from = "web"; to = "db"; ports = [ "tcp/5432" ]; },
  { from = "lx"; to = "web"; ports = [ "tcp/80" ]; },
  { from = "lxp"; to = "db"; ports = [ "tcp/5432" ]; },
  { from = "lx4c"; to = "web"; ports = [ "tcp/80" ]; },
  { from = "late"; to = "web"; ports = [ "tcp/80" ]; }
);
discovery = { netns = "$E2E_TMP/no-netns"; docker = "$DOCKER"; docker_netns = "/run/netns"; lxc = "$LXC"; lxc_cgroup = "$CGROUP"; };
EOF
)

# ---- sd_notify listener and a daemon with exactly two capabilities
NOTIFY=$E2E_TMP/notify.sock
setsid "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
' "$NOTIFY" "$E2E_TMP/notify.log" </dev/null >/dev/null 2>&1 &
E2E_PIDS+=($!)
wait_until 2 test -S "$NOTIFY" || bail "no notify socket"

ICC_POLICYD_REAL=$ICC_POLICYD
ICC_POLICYD=$E2E_TMP/policyd-caps
cat >"$ICC_POLICYD" <<EOF
#!/bin/sh
exec env NOTIFY_SOCKET=$NOTIFY setpriv --bounding-set=-all,+net_admin,+net_broadcast --inh-caps=-all --no-new-privs "$ICC_POLICYD_REAL" "\$@"
EOF
chmod +x "$ICC_POLICYD"
daemon_start H "$POL" && pass "daemon starts with CAP_NET_ADMIN and CAP_NET_BROADCAST only" ||
	fail "daemon starts with CAP_NET_ADMIN and CAP_NET_BROADCAST only" "$(cat "$DAEMON_LOG")"
is "$(awk '/^CapEff/ { print $2 }' "/proc/$DAEMON_PID/status")" 0000000000001800 \
	"its effective capabilities are exactly net_admin and net_broadcast"
# The log line comes just before the notification: wait for it (bounded).
within "sd_notify: READY=1 after the first reconcile" 2 grep -q READY=1 "$E2E_TMP/notify.log"

# lx4 first: the ports created after it make the daemon look again once
# its cgroup lists its "init".
mkcontainer lx4 H lxcbr0 10.0.3.14/24 10.0.3.1
_bg lx4 sleep 600
echo "${E2E_PIDS[-1]}" >"$CGROUP/lxc.payload.lx4/cgroup.procs"
mkcontainer dweb H docker0 172.17.0.2/16 172.17.0.1
mkcontainer ddb1 H docker0 172.17.0.3/16 172.17.0.1
mkcontainer ddb2 H docker0 172.17.0.4/16 172.17.0.1
mkcontainer dcache H docker0 172.17.0.5/16 172.17.0.1
mkcontainer dold H docker0 172.17.0.6/16 172.17.0.1
mkcontainer lx1 H lxcbr0 10.0.3.11/24 10.0.3.1
ip -n "$(ns lx1)" link set eth0 address 00:16:3e:aa:bb:01
mkcontainer lx2 H lxcbr0 10.0.3.12/24 10.0.3.1
mkcontainer lxno H lxcbr0 10.0.3.13/24 10.0.3.1
serve dweb 80 5432
serve ddb1 5432
serve ddb2 5432
serve dcache 5432
serve dold 5432

within "every identified container's rules are live within 2 s" 2 \
	has_elem H links4 "10.0.3.12 . 172.17.0.4 . tcp . 5432"
LOG=$(cat "$DAEMON_LOG")
like "$LOG" "port vdweb .*\(docker shop-web-1\) is web" "Docker container found by name"
like "$LOG" "port vddb2 .*\(docker shop-db-2\) is db" "Docker container found by its labels"
unlike "$LOG" "\(lxc lx1\)" "a declared hwaddr alone identifies nobody (a container can copy a MAC)"
like "$LOG" "port vlx2 .*\(lxc lx2\) is lxp" "LXC container found by its veth.pair"

check_matrix '
tcp dweb   172.17.0.3 5432 ok   web -> db group member 1
tcp dweb   172.17.0.4 5432 ok   web -> db group member 2
tcp ddb1   172.17.0.2 5432 no   links are one-way
tcp dweb   172.17.0.5 5432 no   cache lacks the db label
tcp dweb   172.17.0.6 5432 no   a stopped Docker container with the labels is no member
tcp dcache 172.17.0.3 5432 no   cache has no link
tcp lx1    172.17.0.2 80   no   LXC known only by hwaddr: not trusted
tcp lxno   172.17.0.2 80   no   no LXC config: unknown
tcp lx2    172.17.0.3 5432 ok   LXC by veth name -> label group
tcp lx2    172.17.0.2 80   no   lx2 has no link to web
tcp lx4    172.17.0.2 80   no   lx4 unknown: its namespace needs CAP_SYS_PTRACE to open
'

like "$(cat "$DAEMON_LOG")" "/proc/[0-9]+/ns/net: not usable as a network namespace" \
	"without CAP_SYS_PTRACE the daemon says why it cannot see lx4's namespace"

# ---- Docker writes a container's state after its veth appears: no
# netlink event then, the daemon must look again by itself
mkcontainer dlate H docker0 172.17.0.7/16 172.17.0.1
sleep 0.5
no_elem H links4 "172.17.0.7 ." && pass "a port with no state file yet is unknown" ||
	fail "a port with no state file yet is unknown"
lines=$(daemon_log_lines)
docker_ctr dlate shop-late-1 true '{}'
within "its state file written later: rules live within 1 s" 1 \
	has_elem H links4 "172.17.0.7 . 172.17.0.2 . tcp . 80"
diag "live ${WAITED} ms after the file was written"
like "$(daemon_log_since "$lines")" "container state files changed" \
	"the daemon saw the file change itself (inotify), not only by looking again"
allowed tcp dlate 172.17.0.2 80 "late Docker container -> web allowed"

# ---- claiming the host's own address
ip -n "$(ns dweb)" addr add 172.17.0.1/32 dev eth0
sleep 0.5
nok "a container claiming the bridge's own address gets nothing for it" \
	has_elem H links4 "172.17.0.1 ."
has_elem H links4 "172.17.0.2 . 172.17.0.3" && pass "and keeps its own address" ||
	fail "and keeps its own address"
ip -n "$(ns dweb)" addr del 172.17.0.1/32 dev eth0

# ---- reload and stop speak sd_notify
daemon_signal HUP
sleep 0.3
like "$(cat "$E2E_TMP/notify.log")" "RELOADING=1" "sd_notify: RELOADING=1 on SIGHUP"
daemon_signal TERM
wait "$DAEMON_PID" 2>/dev/null
like "$(tail -1 "$E2E_TMP/notify.log")" "STOPPING=1" "sd_notify: STOPPING=1 on SIGTERM"

# ---- the denied rows above could fail: without our table they all pass
icc H -c "$POL" flush
is "$ICC_RC" 0 "flush once the daemon is gone"
baseline '
tcp ddb1   172.17.0.2 5432 ok   -
tcp dweb   172.17.0.5 5432 ok   -
tcp dweb   172.17.0.6 5432 ok   -
tcp dcache 172.17.0.3 5432 ok   -
tcp lxno   172.17.0.2 80   ok   -
tcp lx2    172.17.0.2 80   ok   -
tcp lx4    172.17.0.2 80   ok   -
tcp lx1    172.17.0.2 80   ok   -
' "without the policy every denied row above gets through"

# ---- with every capability (icc-policy apply as root) lx4 is found by
# its init's namespace
icc H -vv -c "$POL" apply
like "$ICC_ERR" "port vlx4 .*\(lxc lx4\) is lx4c" "LXC container found by its init's namespace (cgroup)"
allowed tcp lx4 172.17.0.2 80 "LXC by init namespace -> web allowed"
denied tcp lx4 172.17.0.3 5432 "lx4 has no link to db"
