#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Revocation: when apply or a daemon reload removes a link, the
# connections that link allowed end at once (their conntrack entries are
# deleted); a connection of a link that stays goes on. Real long-lived
# TCP connections, pinging every 0.2 s.
. "$(dirname "$0")/lib.sh"
e2e_init

plan 13

mkns H
mkbridge H docker0 172.17.0.1/16
mkcontainer web H docker0 172.17.0.2/16 172.17.0.1
mkcontainer db H docker0 172.17.0.3/16 172.17.0.1
mkcontainer cache H docker0 172.17.0.4/16 172.17.0.1
serve_echo db 5432

both() {
	policy "$1" <<EOF
version = 1;
bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; } );
containers = {
  web = { bridge = "docker0"; ip = "172.17.0.2"; };
  db = { bridge = "docker0"; ip = "172.17.0.3"; };
  cache = { bridge = "docker0"; ip = "172.17.0.4"; };
};
links = (
  $2
  { from = "cache"; to = "db"; ports = [ "tcp/5432" ]; }
);
EOF
}
WITH=$(both with '{ from = "web"; to = "db"; ports = [ "tcp/5432" ]; },')
WITHOUT=$(both without '')

# keep NAME FROM: a long-lived connection FROM -> db:5432
keep() { keepalive "$1" "$2" 172.17.0.3 5432; }

# ---- icc-policy apply
icc_apply_or_bail H "$WITH"
keep w1 web
keep c1 cache
within "both connections are up and talking" 5 eval 'up_past w1 3 && up_past c1 3'
icc H -c "$WITHOUT" apply
is "$ICC_RC" 0 "apply without the web -> db link"
like "$ICC_OUT" "cut 1 connection the policy no longer allows" "apply says it cut one connection"
within "web's connection dies within 3 s" 3 is_dead w1
goes_on c1 "cache's connection goes on (its link stays)"
denied tcp web 172.17.0.3 5432 "a new web -> db connection is denied too"

# Without the cut the old connection would have lived on: show it.
icc_apply_or_bail H "$WITH"
keep w2 web
within "web reconnects once the link is back" 5 up_past w2 2
nsx H nft delete element inet icc "links$E2E_FAMILY" \
	"{ $(fam 172.17.0.2) . $(fam 172.17.0.3) . tcp . 5432 }"
goes_on w2 "removing the element by hand (no cut) leaves the connection alive"

# ---- icc-policyd: a reload that removes the link
icc_apply_or_bail H "$WITH"
cp "$WITH" "$E2E_TMP/daemon.conf"
daemon_start H "$E2E_TMP/daemon.conf" && pass "daemon starts" || fail "daemon starts" "$(cat "$DAEMON_LOG")"
keep w3 web
keep c3 cache
within "under the daemon both connections are up" 5 eval 'up_past w3 2 && up_past c3 2'
cp "$WITHOUT" "$E2E_TMP/daemon.conf"
daemon_signal HUP
within "after a reload without the link web's connection dies within 3 s" 3 is_dead w3
goes_on c3 "cache's connection survives the reload"
like "$(cat "$DAEMON_LOG")" "cut [0-9]+ connections? the policy no longer allows" "the daemon logs the cut"
daemon_signal TERM
