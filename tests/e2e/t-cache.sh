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

plan 33

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
export ICC_POLICY_CACHE=$E2E_TMP/cache
DIR=$ICC_POLICY_CACHE
CACHED='as our last commit left it'
READ='read from the kernel'

# renew: two commits, the last of P: a good record of P again.
renew() { icc H -c "$Q" apply; icc_apply_or_bail H "$P"; }

# forge OFFSET HEX: writes bytes at OFFSET of the record and fixes its
# checksum (FNV-1a 64 of all but the last 8 bytes), so that only what was
# changed is wrong.
forge() {
	"$PYTHON" - "$f" "$1" "$2" <<'PY'
import struct, sys
path, off, data = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
b = bytearray(open(path, 'rb').read())
b[off:off + len(data)] = data
h = 0xcbf29ce484222325
for x in b[:-8]:
    h = ((h ^ x) * 0x100000001b3) & 0xffffffffffffffff
b[-8:] = struct.pack('=Q', h)
open(path, 'wb').write(b)
PY
}

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
source_is H "a diff writes no record: read again" "$READ" 0
# An apply that reads the tables whole and finds nothing to change (as
# after icc-policyd's commits, which leave no record) records what it read.
icc H -c "$P" apply
like "$ICC_OUT" '^in sync' "apply after a read: nothing to change"
source_is H "that apply left a record of what it read: the next run uses it" "$CACHED" 0
f=$(ls "$DIR"/live-* | head -1)
renew
source_is H "two applies later the record is good again" "$CACHED" 0
forge 0 4943434c49564531	# "ICCLIVE1" over itself
source_is H "forge's control: the same bytes, checksum redone: still the record" "$CACHED" 0
forge 8 "$(printf '78%.0s' $(seq 40))"
source_is H "another boot's record (checksum right): read" "$READ" 0
renew
forge 48 0102030405060708
source_is H "a record of other tables, another version's (checksum right): read" "$READ" 0
renew
truncate -s 100 "$f"
source_is H "a truncated record: read from the kernel" "$READ" 0
renew
: >"$f"
source_is H "an empty record: read from the kernel" "$READ" 0
renew
chmod 0777 "$DIR"
source_is H "a folder others may write: its record is not trusted" "$READ" 0
chmod 0700 "$DIR"
cp "$f" "$E2E_TMP/copy"
ln -sf "$E2E_TMP/copy" "$f"
source_is H "a record that is a symlink (to a good copy): not followed" "$READ" 0
rm -f "$f"
renew
is "$(stat -c '%a %U' "$f")" "600 root" "the record is root's, mode 600"

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
