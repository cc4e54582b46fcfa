#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The libFuzzer harnesses, built with AddressSanitizer and
# UndefinedBehaviorSanitizer: tests/fuzz/fuzz_policy.c over parse, check,
# print and compile, and tests/fuzz/fuzz_droplog.c over the drop log's
# NFLOG parser, printer and de-duplication, and tests/fuzz/fuzz_cfg.c,
# our reader of libconfig's syntax against libconfig itself. For each: every seed and
# every input that once failed (tests/fuzz/regressions/, and
# regressions-droplog/) replayed with leak checking, then FUZZ_SECONDS
# (default 30; half of it for the drop log) of fuzzing, then the inputs
# it found replayed with leak checking. Needs clang with libFuzzer (libclang-rt-14-dev);
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

echo "1..12"
# A build configured with --enable-sanitize (make check-sanitize) skips
# this tier: it is its own sanitizer build, and runs in the ordinary pass.
if [ "${ICC_SANITIZE:-}" = yes ]; then
	for i in $(seq 1 12); do echo "ok $i # SKIP the fuzzers run in the ordinary make check"; done
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/icc-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if ! command -v "$CC_FUZZ" >/dev/null 2>&1 ||
   ! pkg-config --exists libconfig libmnl; then
	if [ "${CI:-}" = true ]; then
		echo "Bail out! $CC_FUZZ, libconfig or libmnl missing under CI"
		exit 1
	fi
	for i in $(seq 1 12); do echo "ok $i # SKIP $CC_FUZZ with libFuzzer not installed"; done
	exit 0
fi
export LSAN_OPTIONS=suppressions=$SRC/tests/fuzz/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1

# build NAME SOURCES...: the harness with the sanitizers into $tmp/NAME
build() {
	local name=$1
	shift
	if "$CC_FUZZ" -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I"$SRC/include" -I"$SRC/src" \
		$(pkg-config --cflags libconfig libmnl) "$SRC/tests/fuzz/$name.c" "$@" \
		$(pkg-config --libs libconfig libmnl) -o "$tmp/$name" >"$tmp/cc.log" 2>&1; then
		ok "$name builds with ASan, UBSan and libFuzzer"
	else
		notok "$name builds with ASan, UBSan and libFuzzer"
		diag "$tmp/cc.log"
		return 1
	fi
}

# replay BIN DIR DESC: every input once, leaks checked after each.
replay() {
	if (cd "$tmp/artifacts" && "$1" -runs=0 -detect_leaks=1 "$2") >"$tmp/replay.log" 2>&1 &&
	   ! grep -q 'ERROR: \|runtime error' "$tmp/replay.log"; then
		ok "$3"
	else
		notok "$3"
		grep -A30 'ERROR: \|runtime error' "$tmp/replay.log" | head -40 | diag
	fi
}

# fuzz NAME SECONDS SEED-FILES...: replay, fuzz, replay what it found
fuzz() {
	local name=$1 secs=$2 bin=$tmp/$1 seeds=$tmp/$1.seeds corpus=$tmp/$1.corpus i=0 f
	shift 2
	mkdir -p "$seeds" "$corpus" "$tmp/artifacts"
	for f in "$@"; do
		[ -f "$f" ] && cp "$f" "$seeds/$((i += 1))"
	done
	replay "$bin" "$seeds" "$name: $i seeds and regressions: no crash, leak or sanitizer report"
	# leak checks per input are slow: they come with the replay
	local dict=
	[ -f "$SRC/tests/fuzz/$name.dict" ] && dict=-dict=$SRC/tests/fuzz/$name.dict
	if (cd "$tmp/artifacts" && "$bin" -detect_leaks=0 -max_total_time="$secs" $dict \
		-timeout=10 -rss_limit_mb=2048 "$corpus" "$seeds") >"$tmp/fuzz.log" 2>&1; then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$tmp/fuzz.log")
		ok "$name: $secs s of fuzzing: ${runs:-?} executions, no crash or sanitizer report"
	else
		notok "$name: $secs s of fuzzing"
		grep -B2 -A30 'ERROR: \|runtime error\|deadly signal' "$tmp/fuzz.log" | head -50 | diag
		for a in "$tmp"/artifacts/*; do
			[ -f "$a" ] && echo "# input (base64; keep it in tests/fuzz/regressions*/): $(base64 -w0 "$a")"
		done
	fi
	replay "$bin" "$corpus" "$name: the $(find "$corpus" -type f | wc -l) inputs it found: no leak"
}

if build fuzz_policy "$SRC/src/diag.c" "$SRC/src/cfg.c" "$SRC/src/bigmem.c" "$SRC/src/policy_parse.c" \
	"$SRC/src/policy_check.c" "$SRC/src/policy_index.c" "$SRC/src/policy_pipe.c" "$SRC/src/policy_print.c" "$SRC/src/compile.c" \
	"$SRC/src/ruleset.c" "$SRC/src/ruleset_print.c" "$SRC/src/fileio.c"; then
	fuzz fuzz_policy "$SECONDS_TO_FUZZ" "$SRC"/policies/*.conf "$SRC"/tests/bad/*.conf \
		"$SRC"/tests/golden/*.conf "$SRC"/tests/fuzz/regressions/*
else
	for i in 2 3 4; do notok "fuzz_policy: no harness"; done
fi
if build fuzz_droplog "$SRC/src/droplog.c" "$SRC/src/ruleset.c" "$SRC/src/diag.c" \
	"$SRC/src/cfg.c" "$SRC/src/bigmem.c" "$SRC/src/policy_parse.c" "$SRC/src/policy_check.c" "$SRC/src/policy_index.c" "$SRC/src/policy_pipe.c" "$SRC/src/policy_print.c" \
	"$SRC/src/fileio.c"; then
	fuzz fuzz_droplog $(( (SECONDS_TO_FUZZ + 1) / 2 )) "$SRC"/tests/fuzz/seeds-droplog/* \
		"$SRC"/tests/fuzz/regressions-droplog/*
else
	for i in 6 7 8; do notok "fuzz_droplog: no harness"; done
fi
# src/cfg.c against libconfig itself: they must read every text alike.
if build fuzz_cfg "$SRC/src/cfg.c" "$SRC/src/bigmem.c"; then
	fuzz fuzz_cfg $(( (SECONDS_TO_FUZZ + 1) / 2 )) "$SRC"/tests/fuzz/seeds-cfg/* \
		"$SRC"/policies/*.conf "$SRC"/tests/bad/*.conf
else
	for i in 10 11 12; do notok "fuzz_cfg: no harness"; done
fi
exit "$failed"
