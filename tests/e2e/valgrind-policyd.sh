#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# icc-policyd under valgrind, for `make check-valgrind` (lib.sh puts this
# in ICC_POLICYD when ICC_VALGRIND=yes). One log per process, forks
# included, in $ICC_VG_LOGS/vg.PID; lib.sh gives each its verdict: no
# error, nothing definitely lost. exec keeps the pid, so the tests'
# signals reach valgrind, which passes them on.
exec valgrind --leak-check=full --errors-for-leak-kinds=definite \
	--error-exitcode=99 --trace-children=no \
	--log-file="${ICC_VG_LOGS:?}/vg.%p" "${ICC_VG_DAEMON:?}" "$@"
