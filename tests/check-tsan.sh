#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The policy reader's second thread (src/policy_pipe.c) under
# ThreadSanitizer: tests/tsan/pipe_race.c reads big policies inline and
# by the pipe and wants the same answers; any data race TSan sees fails.
# Needs clang; under CI it must run. Skipped in the sanitizer tier (ASan
# and TSan do not mix), as the fuzzers are.
set -u
SRC=${ICC_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
CC_TSAN=${CC_TSAN:-clang}

echo "1..2"
if [ "${ICC_SANITIZE:-}" = yes ]; then
	echo "ok 1 # SKIP ThreadSanitizer runs in the ordinary make check"
	echo "ok 2 # SKIP ThreadSanitizer runs in the ordinary make check"
	exit 0
fi
if ! command -v "$CC_TSAN" >/dev/null 2>&1; then
	if [ "${CI:-}" = true ]; then
		echo "Bail out! $CC_TSAN missing under CI"
		exit 1
	fi
	echo "ok 1 # SKIP $CC_TSAN not installed"
	echo "ok 2 # SKIP $CC_TSAN not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/icc-tsan.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

s=$SRC/src
if "$CC_TSAN" -D_GNU_SOURCE -g -O1 -fsanitize=thread -pthread \
	-I"$SRC/include" -I"$s" "$SRC/tests/tsan/pipe_race.c" "$s/diag.c" \
	"$s/cfg.c" "$s/bigmem.c" "$s/policy_parse.c" "$s/policy_check.c" \
	"$s/policy_index.c" "$s/policy_pipe.c" "$s/policy_print.c" \
	"$s/fileio.c" -o "$tmp/pipe_race" >"$tmp/cc.log" 2>&1; then
	echo "ok 1 - pipe_race builds with ThreadSanitizer"
else
	echo "not ok 1 - pipe_race builds with ThreadSanitizer"
	sed 's/^/# /' "$tmp/cc.log"
	echo "not ok 2 - pipe_race: no harness"
	exit 1
fi
if TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$tmp/pipe_race" "$tmp/p.conf" >"$tmp/out" 2>&1; then
	echo "ok 2 - links read inline and by the pipe alike, from a string and a file (20,000 to 60,000 links, with mistakes), no data race"
else
	echo "not ok 2 - pipe_race: a data race or another answer"
	sed 's/^/# /' "$tmp/out" | head -60
	exit 1
fi
