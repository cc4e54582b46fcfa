#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# diff and apply --dry-run against the live kernel: in sync right after
# apply; each edit (add a link, remove one, change a port) shows up with
# the right +/- lines, changes nothing until applied, takes effect on
# apply (probed) and is in sync again afterwards.
. "$(dirname "$0")/lib.sh"
e2e_init

plan 37

topo_std
serve web 5432
serve db 5432 5433
serve cache 6379

# write LINKS: the policy with these links, always in the same file.
P="$E2E_TMP/diff.conf"
write() {
	policy_file "$P" <<EOF
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; },
  { name = "lxcbr0";  subnet = "10.0.3.0/24";   uplink = "eth0"; }
);
containers = {
  web   = { bridge = "docker0"; ip = "172.17.0.2"; };
  db    = { bridge = "docker0"; ip = "172.17.0.3"; };
  cache = { bridge = "docker0"; ip = "172.17.0.4"; };
  lx    = { bridge = "lxcbr0";  ip = "10.0.3.5"; };
};
links = (
$1
);
EOF
}

# in_sync DESC: diff exits 0 and prints no +/- line.
in_sync() {
	icc H -c "$P" diff
	if [ "$ICC_RC" -eq 0 ] && ! grep -q '^[+-]' <<<"$ICC_OUT"; then
		pass "$1"
	else
		fail "$1" "diff exited $ICC_RC" "$(head -n 20 <<<"$ICC_OUT")" "$ICC_ERR"
	fi
}

# diff_is RC DESC: runs diff, checks its status.
diff_is() {
	icc H -c "$P" diff
	is "$ICC_RC" "$1" "$2"
	[ "$ICC_RC" -eq "$1" ] || diag "$(head -n 20 <<<"$ICC_OUT")" "$ICC_ERR"
}

# state: everything a dry run must leave alone.
state() {
	nsx H nft -s list ruleset
	sysctl_get H net.ipv4.ip_forward
	nsx H ip -d link show docker0 | grep -o 'nf_call_ip[6a-z]* [01]'
}

L_WEB_DB='  { from = "web"; to = "db"; ports = [ "tcp/5432" ]; }'
L_LX_WEB='  { from = "lx"; to = "web"; ports = [ "any" ]; }'
L_WEB_CACHE='  { from = "web"; to = "cache"; ports = [ "tcp/6379" ]; }'

write "$L_WEB_DB,
$L_LX_WEB"

# Nothing applied yet.
before=$(state)
diff_is 1 "diff before any apply exits 1"
like "$ICC_OUT" '^\+ ' "diff before any apply prints + lines"
icc H -c "$P" apply --dry-run
is "$ICC_RC" 1 "apply --dry-run before any apply exits 1, like diff"
is "$(state)" "$before" "apply --dry-run changed no ruleset, sysctl or bridge flag"

icc_apply_or_bail H "$P"
in_sync "diff right after apply: exit 0, no +/- lines"
icc H -c "$P" apply --dry-run
is "$ICC_RC" 0 "apply --dry-run right after apply exits 0"
allowed tcp web 172.17.0.3 5432 "web -> db:5432 allowed"
allowed tcp lx 172.17.0.2 5432 "lx -> web:5432 allowed (any)"

# Edit 1: add a link.
write "$L_WEB_DB,
$L_LX_WEB,
$L_WEB_CACHE"
diff_is 1 "added link: diff exits 1"
like "$ICC_OUT" "^\\+ .*$(fam_re '172.17.0.2 . 172.17.0.4') .*6379" "added link: a + line for web . cache . tcp . 6379"
unlike "$ICC_OUT" '^- ' "added link: no - line"
before=$(state)
icc H -c "$P" apply --dry-run
is "$ICC_RC" 1 "added link: apply --dry-run exits 1"
is "$(state)" "$before" "added link: apply --dry-run changed nothing"
denied tcp web 172.17.0.4 6379 "added link: not in effect before apply"
icc_apply_or_bail H "$P"
allowed tcp web 172.17.0.4 6379 "added link: in effect after apply"
in_sync "added link: diff in sync after apply"

# Edit 2: remove a link.
write "$L_WEB_DB,
$L_WEB_CACHE"
diff_is 1 "removed link: diff exits 1"
like "$ICC_OUT" "^- .*$(fam_re '10.0.3.5 . 172.17.0.2')" "removed link: a - line for lx . web"
unlike "$ICC_OUT" '^\+ ' "removed link: no + line"
allowed tcp lx 172.17.0.2 5432 "removed link: still in effect before apply"
icc_apply_or_bail H "$P"
denied tcp lx 172.17.0.2 5432 "removed link: lx -> web denied after apply"
in_sync "removed link: diff in sync after apply"

# Edit 3: change a port.
write "  { from = \"web\"; to = \"db\"; ports = [ \"tcp/5433\" ]; },
$L_WEB_CACHE"
diff_is 1 "changed port: diff exits 1"
like "$ICC_OUT" "^- .*$(fam_re '172.17.0.2 . 172.17.0.3') .*5432" "changed port: a - line for web . db . 5432"
like "$ICC_OUT" "^\\+ .*$(fam_re '172.17.0.2 . 172.17.0.3') .*5433" "changed port: a + line for web . db . 5433"
icc_apply_or_bail H "$P"
allowed tcp web 172.17.0.3 5433 "changed port: 5433 allowed after apply"
denied tcp web 172.17.0.3 5432 "changed port: 5432 denied after apply"
in_sync "changed port: diff in sync after apply"

# Someone deletes our table by hand: diff notices, apply restores it.
nsx H nft delete table inet icc
diff_is 1 "table deleted by hand: diff exits 1"
allowed tcp db 172.17.0.2 5432 "table deleted by hand: db -> web gets through"
icc_apply_or_bail H "$P"
in_sync "table deleted by hand: in sync after apply"
denied tcp db 172.17.0.2 5432 "table deleted by hand: db -> web denied again after apply"

# Someone makes our table dormant (every hook off): that is drift too.
nsx H nft add table inet icc '{ flags dormant; }'
allowed tcp db 172.17.0.2 5432 "dormant table: db -> web gets through"
diff_is 1 "dormant table: diff exits 1"
like "$ICC_OUT" "dormant" "dormant table: diff says so"
icc_apply_or_bail H "$P"
denied tcp db 172.17.0.2 5432 "dormant table: db -> web denied again after apply"
in_sync "dormant table: in sync after apply"
