#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Publishing on [::1] (the IPv6 twin of the 127.0.0.1 publishes of
# t-localhost.sh and t-host.sh): the kernel will not route a DNATed ::1
# source out of a bridge, so icc-policyd relays it in userland. TCP and
# UDP through the relay from the host; nobody else can use it; the relay
# follows the container to a new address and its connections end when
# the publish is removed (revocation); `apply` without the daemon says
# the publish needs it.
. "$(dirname "$0")/lib.sh"
e2e_init
[ -x "$ICC_POLICYD" ] || skip_or_bail "icc-policyd not built at $ICC_POLICYD"
plan 14

E2E_FAMILY=6
mkns H
mkbridge H docker0 172.17.0.1/16
mkcontainer web H docker0 172.17.0.2/16 172.17.0.1
mkcontainer db H docker0 172.17.0.3/16 172.17.0.1
serve_tcp web 80
serve_udp web 53
serve_echo web 7

conf() {	# NAME PUBLISHES
	policy "$1" <<EOF
version = 1;
bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; } );
containers = {
  web = { bridge = "docker0"; name = "$(ns web)"; };
  db = { bridge = "docker0"; name = "$(ns db)"; };
};
publish = ( $2 );
EOF
}
PUB='{ container = "web"; port = "tcp/80"; host = "[::1]:8080"; },
  { container = "web"; port = "udp/53"; host = "[::1]:5353"; },
  { container = "web"; port = "tcp/7"; host = "[::1]:7007"; },
  { container = "web"; port = "tcp/9"; host = "[::1]:7009"; }'
POL=$(conf relay "$PUB")
NOPUB=$(conf norelay '{ container = "web"; port = "tcp/80"; host = "8080"; }')

# ---- the CLI cannot relay: it says so
icc H -c "$POL" apply
like "$ICC_ERR$ICC_OUT" "\\[::1\\]:8080 is relayed by icc-policyd" \
	"apply without the daemon says a [::1] publish needs icc-policyd"
nok "and nothing listens on [::1]:8080" probe_tcp6 H ::1 8080

daemon_start H "$POL" || bail "icc-policyd does not start: $(cat "$DAEMON_LOG")"
listening() { nsx H ss -Hltn "sport = :8080" | grep -q '\[::1\]:8080'; }
ok "the daemon listens on [::1]:8080" wait_until 2 listening
got=$(E2E_TIMEOUT=3 probe_tcp6 H ::1 8080)
like "$got" "fd00:0017:0000:0000:0000:0000:0000:0001" "tcp [::1]:8080 reaches web:80 (web sees the host's bridge address)"
got=$(E2E_TIMEOUT=3 probe_udp H ::1 5353)
like "$got" "fd00:0017:0000:0000:0000:0000:0000:0001" "udp [::1]:5353 reaches web:53 and the answer comes back"
unlike "$(nsx H ss -Hltn "sport = :8080")" '\*:8080|\[::\]:8080|0\.0\.0\.0:8080' \
	"the relay listens on ::1 only"
denied tcp6 db fd00:17::1 8080 "a container cannot use the relay through the host's address"

# ---- a container that never answers (SYNs dropped): the client waits,
# the daemon does not spin meanwhile
nsx web nft add table inet hole
nsx web nft add chain inet hole in '{ type filter hook input priority 0; }'
nsx web nft add rule inet hole in tcp dport 9 drop
( echo hello; sleep 3 ) | timeout 5 ip netns exec "$(ns H)" socat - 'TCP6:[::1]:7009' >/dev/null 2>&1 &
hang=$!
sleep 0.5
cpu() { awk '{ print $14 + $15 }' "/proc/$DAEMON_PID/stat"; }
c0=$(cpu)
sleep 2
c1=$(cpu)
ok "while a relayed connect hangs, the daemon stays idle ($((c1 - c0)) ticks in 2 s)" test $((c1 - c0)) -lt 40
wait "$hang" 2>/dev/null
nsx web nft delete table inet hole

# ---- the container moves: the relay follows
rmcontainer web H
mkcontainer web H docker0 172.17.0.9/16 172.17.0.1
serve_tcp web 80
moved() { probe_tcp6 H ::1 8080 >/dev/null; }
ok "web back at a new address: the relay reaches it within 2 s" wait_until 2 moved

# ---- removing the publish closes the listener and cuts its connections
serve_echo web 7
keepalive k1 H ::1 7007
within "a long-lived connection through the relay is up" 5 up_past k1 2
cp "$NOPUB" "$POL"
daemon_signal HUP
within "a reload without the publish cuts it within 3 s" 3 is_dead k1
gone() { ! listening; }
ok "and nothing listens on [::1]:8080 any more" wait_until 2 gone
nok "a new connection to [::1]:8080 gets nothing" probe_tcp6 H ::1 8080
allowed tcp H 172.17.0.9 80 "the host still reaches web directly (nothing else changed)"
