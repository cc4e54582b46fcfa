/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef ICC_COMPILE_H
#define ICC_COMPILE_H

#include "icc/policy.h"
#include "icc/ruleset.h"

/*
 * Compiles a checked policy into the ruleset it means: the static chains
 * and rules, with every set filled and canonical. Returns 0 and sets *out,
 * or -ENOMEM.
 */
int compile_policy(const struct icc_policy *p, struct icc_ruleset **out);

#endif
