#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# apply and diff take the live ruleset from the record of our own last
# commit (src/nft_cache.c) only while the namespace's nf_tables generation
# is the one that commit left. Every way the record can be wrong must lead
# to a full read: a change by nft, a change by another apply, a damaged
# or foreign file, another namespace. Each is checked by what diff and
# apply say and, where it matters, by real packets.
. "$(dirname "$0")/lib.sh"
e2e_init

plan 24

topo_std
serve db 5432 5433

P=$(policy link <<'EOF2'
version = 1;
bridges = ( { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; } );
containers = {
  web = { bridge = "docker0"; ip = "172.17.0.2"; };
  db  = { bridge = "docker0"; ip = "172.17.0.3"; };
};
links = ( { from = "web"; to = "db"; ports = [ "tcp/5432" ]; } );
EOF2
)
Q=$(sed 's|tcp/5432|tcp/5433|' "$P" >"$E2E_TMP/other.conf"; echo "$E2E_TMP/other.conf")
DIR=$ICC_POLICY_CACHE
CACHED='as our last commit left it'
READ='read from the kernel'

# source NS DESC WHERE RC: diff -v in NS took the live ruleset from
# WHERE ($CACHED or $READ) and exited RC.
source_is() {
	icc "$1" -v -c "$P" diff
	if [[ $ICC_ERR == *"$3"* ]] && [ "$ICC_RC" -eq "$4" ]; then
		pass "$2"
	else
		fail "$2" "exit $ICC_RC, wanted $4; wanted '$3' in:" "$ICC_ERR" "$(head -5 <<<"$ICC_OUT")"
	fi
}

icc_apply_or_bail H "$P"
is "$(ls "$DIR" | grep -c '^live-')" 1 "apply left one record in \$ICC_POLICY_CACHE"
source_is H "diff right after apply: from the record, in sync" "$CACHED" 0
allowed tcp web 172.17.0.3 5432 "web -> db:5432 allowed"

# nft changes the ruleset: the generation moves, the record is stale.
nsx H nft delete element inet icc links4 '{ 172.17.0.2 . 172.17.0.3 . tcp . 5432 }'
denied tcp web 172.17.0.3 5432 "nft deleted the link's element: web -> db:5432 denied"
source_is H "diff after nft's change: read from the kernel, exit 1" "$READ" 1
like "$ICC_OUT" '^\+ .*172\.17\.0\.2 \. 172\.17\.0\.3 \. tcp \. 5432' "diff shows the missing element"
icc H -c "$P" apply
like "$ICC_OUT" 'applied 1 change' "apply puts back exactly the missing element"
allowed tcp web 172.17.0.3 5432 "web -> db:5432 allowed again"
source_is H "diff after that apply: from the record again" "$CACHED" 0

# Another apply, whose record goes elsewhere: ours is left behind.
ICC_POLICY_CACHE=$E2E_TMP/elsewhere icc H -c "$Q" apply
is "$ICC_RC" 0 "an apply of another policy, with another cache folder"
source_is H "diff: the old record does not match the generation: read" "$READ" 1
like "$ICC_OUT" '^- .*5433' "diff shows the other policy's link to remove"
icc_apply_or_bail H "$P"
denied tcp web 172.17.0.3 5433 "apply removed it: web -> db:5433 denied"
allowed tcp web 172.17.0.3 5432 "and web -> db:5432 allowed"

# A damaged record: its checksum fails, so it is ignored.
f=$(ls "$DIR"/live-* | head -1)
printf '\377' | dd of="$f" bs=1 seek=$(( $(stat -c %s "$f") - 20 )) conv=notrunc 2>/dev/null
source_is H "a record with one byte changed: read from the kernel, in sync" "$READ" 0
source_is H "the full read wrote a good record again" "$CACHED" 0
truncate -s 100 "$f"
source_is H "a truncated record: read from the kernel" "$READ" 0
: >"$f"
source_is H "an empty record: read from the kernel" "$READ" 0

# Another namespace: its own cookie, its own (absent) record.
mkns H2
nsx H2 ip link add docker0 type bridge
source_is H2 "another namespace does not take H's record: read, nothing there" "$READ" 1
icc H2 -c "$P" apply
is "$ICC_RC" 0 "apply after a diff of the empty namespace creates the tables (a read of no tables is no record)"
source_is H2 "H2 then has its own record" "$CACHED" 0
source_is H "H still in sync" "$CACHED" 0

# No record at all.
ICC_POLICY_CACHE=off source_is H "ICC_POLICY_CACHE=off: read from the kernel" "$READ" 0

# A flush moves the generation too.
icc H -c "$P" flush
source_is H "after flush: read from the kernel, exit 1" "$READ" 1
