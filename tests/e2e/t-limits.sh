#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Limits (issue 7.7). A policy too big for the memory icc-policy may use
# (prlimit --as, stepped across the whole range where it runs out) is
# refused with a message that says so, and the live ruleset stays byte for
# byte what it was; with enough memory the same policy applies whole. Its
# 30,000 link elements take many netlink messages and batch pages: they
# go in one transaction (the generation moves by exactly one) and all of
# them arrive (counted with nft).
. "$(dirname "$0")/lib.sh"
e2e_init

plan 7

mkns H
mkbridge H docker0 10.0.0.1/8
BIG=$E2E_TMP/big.conf
"$PYTHON" "$E2E_DIR/../../bench/gen_policy.py" 3000 10 >"$BIG" ||
	bail "bench/gen_policy.py"
SMALL=$(policy small <<'EOF2'
version = 1;
bridges = ( { name = "docker0"; subnet = "10.0.0.0/8"; } );
containers = {
  a = { bridge = "docker0"; ip = "10.0.0.2"; };
  b = { bridge = "docker0"; ip = "10.0.0.3"; };
};
links = ( { from = "a"; to = "b"; ports = [ "tcp/80" ]; } );
EOF2
)
icc_apply_or_bail H "$SMALL"
before=$(nsx H nft -s list ruleset)

# Address-space limits from too little to enough, 256 KB apart, until
# three in a row are enough. AddressSanitizer reserves terabytes of
# address space for its shadow memory, so under it no such limit can
# work: those rows are skipped (they run in the ordinary pass).
refused=0 applied=0 bad="" run=0
kbs=$(seq 8192 256 40960)
if [ "${ICC_SANITIZE:-}" = yes ]; then
	kbs=
	for d in "some limits are too small" "some are enough" "every refusal says out of memory"; do
		skip_one "$d" "address-space limits cannot work under AddressSanitizer"
	done
fi
for kb in $kbs; do
	[ "$run" -ge 3 ] && break
	icc_apply_or_bail H "$SMALL"
	ICC_RC=0
	out=$(timeout "$ICC_TIMEOUT" ip netns exec "$(ns H)" \
		prlimit --as=$((kb * 1024)) "$ICC_POLICY" -c "$BIG" apply 2>&1) || ICC_RC=$?
	now=$(nsx H nft -s list ruleset)
	if [ "$ICC_RC" -eq 0 ]; then
		applied=$((applied + 1))
		run=$((run + 1))
		[ "$(nsx H nft list set inet icc links4 | grep -o ' \. tcp \. ' | wc -l)" -eq 30000 ] ||
			bad="$bad ${kb}KB:applied-but-incomplete"
	elif [ "$now" != "$before" ]; then
		bad="$bad ${kb}KB:rc=$ICC_RC-and-the-ruleset-changed"
	elif ! grep -q 'out of memory\|Cannot allocate memory' <<<"$out"; then
		bad="$bad ${kb}KB:rc=$ICC_RC-unclear:$(tail -1 <<<"$out")"
	else
		refused=$((refused + 1))
		run=0
	fi
done
if [ "${ICC_SANITIZE:-}" != yes ]; then
	ok "some limits are too small: refused ($refused of them)" [ "$refused" -gt 0 ]
	ok "some are enough: applied whole ($applied of them)" [ "$applied" -gt 0 ]
	is "$bad" "" "every refusal says out of memory and left the ruleset byte for byte as it was"
fi

# Enough memory: one transaction for all of it.
icc_apply_or_bail H "$SMALL"
icc H -v -c "$BIG" diff
g0=$(sed -n 's/.*live ruleset at generation \([0-9]*\):.*/\1/p' <<<"$ICC_ERR")
icc_apply_or_bail H "$BIG"
like "$ICC_OUT" 'applied 300[0-9][0-9] changes' "the big policy applies ($(head -1 <<<"$ICC_OUT"))"
icc H -v -c "$BIG" diff
g1=$(sed -n 's/.*live ruleset at generation \([0-9]*\):.*/\1/p' <<<"$ICC_ERR")
is "$((g1 - g0))" 1 "in one transaction: generation $g0 -> $g1"
is "$(nsx H nft list set inet icc links4 | grep -o ' \. tcp \. ' | wc -l)" 30000 \
	"all 30,000 link elements arrived (nft)"
is "$ICC_RC" 0 "and diff says in sync"
