#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The libFuzzer harness over parse, check, print and compile
# (tests/fuzz/fuzz_policy.c), built with AddressSanitizer and
# UndefinedBehaviorSanitizer: every seed and every input that once failed
# (tests/fuzz/regressions/) replayed with leak checking, then
# FUZZ_SECONDS (default 30) of fuzzing, then the inputs it found replayed
# with leak checking. Needs clang with libFuzzer (libclang-rt-14-dev);
# under CI=true its absence is a failure. A long run:
#   FUZZ_SECONDS=900 tests/check-fuzz.sh
set -u
SRC=${ICC_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
SECONDS_TO_FUZZ=${FUZZ_SECONDS:-30}
CC_FUZZ=${CC_FUZZ:-clang}
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); failed=1; echo "not ok $n - $*"; }
diag() { sed 's/^/# /' "$@"; }

echo "1..4"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/icc-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if ! command -v "$CC_FUZZ" >/dev/null 2>&1 ||
   ! pkg-config --exists libconfig; then
	if [ "${CI:-}" = true ]; then
		echo "Bail out! $CC_FUZZ or libconfig missing under CI"
		exit 1
	fi
	for i in 1 2 3 4; do echo "ok $i # SKIP $CC_FUZZ with libFuzzer not installed"; done
	exit 0
fi

# 1: build with the sanitizers
bin=$tmp/fuzz_policy
if "$CC_FUZZ" -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$SRC/include" -I"$SRC/src" \
	$(pkg-config --cflags libconfig) "$SRC/tests/fuzz/fuzz_policy.c" \
	"$SRC/src/diag.c" "$SRC/src/policy_parse.c" "$SRC/src/policy_check.c" \
	"$SRC/src/policy_print.c" "$SRC/src/compile.c" "$SRC/src/ruleset.c" \
	"$SRC/src/ruleset_print.c" "$SRC/src/fileio.c" \
	$(pkg-config --libs libconfig) -o "$bin" >"$tmp/cc.log" 2>&1; then
	ok "harness builds with ASan, UBSan and libFuzzer"
else
	notok "harness builds with ASan, UBSan and libFuzzer"
	diag "$tmp/cc.log"
	echo "Bail out! no harness"
	exit 1
fi

export LSAN_OPTIONS=suppressions=$SRC/tests/fuzz/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1
seeds=$tmp/seeds
mkdir -p "$seeds" "$tmp/corpus" "$tmp/artifacts"
i=0
for f in "$SRC"/policies/*.conf "$SRC"/tests/bad/*.conf "$SRC"/tests/golden/*.conf \
	 "$SRC"/tests/fuzz/regressions/*; do
	[ -f "$f" ] && cp "$f" "$seeds/$((i += 1))"
done

# replay DIR DESC: every input once, leaks checked after each.
replay() {
	if (cd "$tmp/artifacts" && "$bin" -runs=0 -detect_leaks=1 "$1") >"$tmp/replay.log" 2>&1 &&
	   ! grep -q 'ERROR: \|runtime error' "$tmp/replay.log"; then
		ok "$2"
	else
		notok "$2"
		grep -A30 'ERROR: \|runtime error' "$tmp/replay.log" | head -40 | diag
	fi
}

# 2: the seeds and every input that once failed
replay "$seeds" "$i seeds and regressions: no crash, leak or sanitizer report"

# 3: fuzzing (leak checks per input are slow: they come with the replay)
if (cd "$tmp/artifacts" && "$bin" -detect_leaks=0 -max_total_time="$SECONDS_TO_FUZZ" \
	-timeout=10 -rss_limit_mb=2048 "$tmp/corpus" "$seeds") >"$tmp/fuzz.log" 2>&1; then
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$tmp/fuzz.log")
	ok "$SECONDS_TO_FUZZ s of fuzzing: ${runs:-?} executions, no crash or sanitizer report"
else
	notok "$SECONDS_TO_FUZZ s of fuzzing"
	grep -B2 -A30 'ERROR: \|runtime error\|deadly signal' "$tmp/fuzz.log" | head -50 | diag
	for a in "$tmp"/artifacts/*; do
		[ -f "$a" ] && echo "# input (base64; keep it in tests/fuzz/regressions/): $(base64 -w0 "$a")"
	done
fi

# 4: what the fuzzer found, with leak checks
replay "$tmp/corpus" "the $(find "$tmp/corpus" -type f | wc -l) inputs it found: no leak"
exit "$failed"
