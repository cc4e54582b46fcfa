/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The command line: only cmd_* print to the user and choose exit codes. */
#ifndef ICC_CLI_H
#define ICC_CLI_H

#include "icc/policy.h"

struct cli {
	const char *config;	/* -c FILE, or the default path */
	int verbose;		/* -v, counted */
};

/*
 * Loads the policy named by c->config. On problems prints every one as
 * FILE:LINE: message on stderr and returns NULL.
 */
struct icc_policy *cli_load_policy(const struct cli *c);

/* Prints d on stderr when show is true; frees it either way. */
void cli_diags(struct icc_diags *d, bool show);
/* "icc-policy: WHAT: strerror", with a hint for EPERM. */
void cli_errno(const char *what, int err);

int cmd_check(const struct cli *c, int argc, char **argv);
int cmd_show(const struct cli *c, int argc, char **argv);
int cmd_diff(const struct cli *c, int argc, char **argv);
int cmd_apply(const struct cli *c, int argc, char **argv);
int cmd_flush(const struct cli *c, int argc, char **argv);
int cmd_status(const struct cli *c, int argc, char **argv);
int cmd_audit(const struct cli *c, int argc, char **argv);

#endif
