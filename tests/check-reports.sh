#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The last step of make check-sanitize and make check-valgrind, run in the
# build tree: every sanitizer report (asan.PID) and valgrind log (vg.PID)
# under DIR (tests/reports/TEST/) must have been counted by its test's own
# report lines (tests/e2e/lib.sh), which a process that wrote its report
# after its test ended would have escaped. Prints each one no test
# counted and exits 1 if there is any.
set -u
dir=${1:?usage: check-reports.sh DIR}
[ -d "$dir" ] || { echo "check-reports: no $dir (no end-to-end test ran)"; exit 0; }
dir=$(cd "$dir" && pwd)
logs=$(find tests -name '*.log' ! -name test-suite.log -type f)
total=0 missed=0
for f in $(find "$dir" -type f \( -name 'asan.*' -o -name 'vg.*' \) | sort); do
	total=$((total + 1))
	case ${f##*/} in
	asan.*) key="--- $f" ;;
	vg.*) key="icc-policyd pid ${f##*.} (" ;;
	esac
	# shellcheck disable=SC2086
	if [ -n "$logs" ] && grep -qF -- "$key" $logs; then
		continue
	fi
	missed=$((missed + 1))
	echo "check-reports: not counted by any test: $f"
	sed 's/^/  /' "$f"
done
echo "check-reports: $total reports and valgrind logs in $dir, $missed not counted by a test"
[ "$missed" -eq 0 ]
