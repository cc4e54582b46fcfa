#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input changes nothing: with a good policy live, every file of the
# tests/bad catalogue makes apply exit 1 with FILE:LINE: on stderr and
# leaves the ruleset and the kernel knobs byte for byte as they were;
# diff and apply --dry-run exit 2.
. "$(dirname "$0")/lib.sh"
e2e_init

BAD=("$ICC_SRCDIR"/tests/bad/*.conf)
[ -e "${BAD[0]}" ] || skip_or_bail "no cases in $ICC_SRCDIR/tests/bad"

plan $((5 * ${#BAD[@]} + 2))

topo_std
serve web 5432
serve db 5432

GOOD=$(policy good <<'EOF'
version = 1;
bridges = (
  { name = "docker0"; subnet = "172.17.0.0/16"; uplink = "eth0"; },
  { name = "lxcbr0";  subnet = "10.0.3.0/24"; }
);
containers = {
  web = { bridge = "docker0"; ip = "172.17.0.2"; };
  db  = { bridge = "docker0"; ip = "172.17.0.3"; };
};
links = ( { from = "web"; to = "db"; ports = [ "tcp/5432" ]; } );
publish = ( { container = "web"; port = "tcp/80"; host = "127.0.0.1:8080"; } );
EOF
)
icc_apply_or_bail H "$GOOD"

# Everything apply may touch.
state() {
	nsx H nft -s list ruleset
	nsx H sysctl net.ipv4.ip_forward net.ipv4.conf.docker0.route_localnet \
		net.ipv4.conf.lxcbr0.route_localnet
	nsx H ip -d link show docker0 | grep -o 'nf_call_ip[6a-z]* [01]'
	nsx H ip -d link show lxcbr0 | grep -o 'nf_call_ip[6a-z]* [01]'
}
state0=$(state)

for f in "${BAD[@]}"; do
	b=$(basename "$f")
	re=$(printf '%s' "$f" | sed 's/[][\.*^$/]/\\&/g')
	icc H -c "$f" apply
	is "$ICC_RC" 1 "$b: apply exits 1"
	like "$ICC_ERR" "^$re:[0-9]+: " "$b: apply reports FILE:LINE:"
	now=$(state)
	if [ "$now" = "$state0" ]; then
		pass "$b: ruleset, sysctls and bridge flags unchanged"
	else
		fail "$b: ruleset, sysctls and bridge flags unchanged" \
			"$(diff <(echo "$state0") <(echo "$now") | head -n 20)"
		icc_apply_or_bail H "$GOOD"	# back to a known state
		state0=$(state)
	fi
	icc H -c "$f" diff
	is "$ICC_RC" 2 "$b: diff exits 2"
	icc H -c "$f" apply --dry-run
	is "$ICC_RC" 2 "$b: apply --dry-run exits 2"
done

allowed tcp web 172.17.0.3 5432 "after all bad input the good policy still allows web -> db"
denied tcp db 172.17.0.2 5432 "after all bad input the good policy still denies db -> web"
