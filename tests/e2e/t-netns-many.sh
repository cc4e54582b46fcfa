#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Containers named by ip netns names, in a netns folder crowded with 3,000
# other entries: discovery reads the folder (it does not probe each named
# container), and must keep no name from readdir's buffer, which the next
# entries overwrite (a bench at 1,000 live namespaces lost every name that
# way). The named containers are found and their link enforced, probed.
. "$(dirname "$0")/lib.sh"
e2e_init

plan 6

topo_std
serve db 5432

# The folder: symlinks to web's and db's namespaces among 3,000 others,
# some of them names of policy containers that do not run.
NSDIR=$E2E_TMP/netns
mkdir -p "$NSDIR"
for i in $(seq 1 1500); do : >"$NSDIR/pad-a-$i"; done
ln -s "/run/netns/$(ns web)" "$NSDIR/the-web"
for i in $(seq 1 1500); do : >"$NSDIR/pad-b-$i"; done
ln -s "/run/netns/$(ns db)" "$NSDIR/the-db"
: >"$NSDIR/not-running"
is "$(ls "$NSDIR" | wc -l)" 3003 "the folder holds 3,003 entries"

P=$(policy many <<EOF2
version = 1;
bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; } );
discovery = { netns = "$NSDIR"; };
containers = {
  web  = { bridge = "docker0"; name = "the-web"; };
  db   = { bridge = "docker0"; name = "the-db"; };
  gone = { bridge = "docker0"; name = "not-running"; };
};
links = (
  { from = "web"; to = "db"; ports = [ "tcp/5432" ]; },
  { from = "gone"; to = "db"; ports = [ "tcp/5432" ]; }
);
EOF2
)
icc_apply_or_bail H "$P"
like "$(nsx H nft list set inet icc links4)" '172\.17\.0\.2 \. 172\.17\.0\.3 \. tcp \. 5432' \
	"web and db found by name: their link's element is live (nft)"
icc H -vv -c "$P" diff
like "$ICC_ERR" 'the-web' "discovery names web's port by its netns name"
like "$ICC_ERR" 'the-db' "and db's"
allowed tcp web 172.17.0.3 5432 "web -> db:5432 allowed"
denied tcp cache 172.17.0.3 5432 "cache (not in the policy) -> db:5432 denied"
