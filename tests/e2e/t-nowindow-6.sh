#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The IPv6 twin of t-nowindow.sh: the same cases over IPv6 (see lib.sh, E2E_FAMILY).
E2E_FAMILY=6 exec "$(dirname "$0")/t-nowindow.sh" "$@"
