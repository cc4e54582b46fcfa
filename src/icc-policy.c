// SPDX-License-Identifier: GPL-2.0-or-later
/* icc-policy: one table of subcommands; each cmd_* lives in its own file. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "icc/audit.h"
#include "icc/bigmem.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/icc-policy/icc-policy.conf"

static const struct {
	const char *name;
	int (*fn)(const struct cli *c, int argc, char **argv);
	const char *help;
} commands[] = {
	{ "check", cmd_check, "validate the policy file" },
	{ "show",  cmd_show,  "print the nftables ruleset the policy compiles to" },
	{ "diff",  cmd_diff,  "compare the policy with the live ruleset (dry run)" },
	{ "apply", cmd_apply, "make the policy live in one atomic transaction" },
	{ "flush", cmd_flush, "remove everything icc-policy owns, nothing else" },
	{ "status", cmd_status, "what is enforced now: bridges, containers, counters, drift" },
	{ "audit", cmd_audit, "check the host: PASS, WARN or FAIL, a reason and a fix each" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: icc-policy [-c FILE] [-v] COMMAND\n\n"
		   "Options:\n"
		   "  -c, --config FILE  policy file (default %s)\n"
		   "  -v, --verbose      more detail (repeat for more)\n"
		   "  -h, --help         this help\n"
		   "      --version      print the version\n\n"
		   "Commands:\n", DEFAULT_CONFIG);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-6s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "  apply --dry-run  same as diff\n"
		   "  status --json    the same as JSON (see icc-policy(8))\n"
		   "  audit [--json] [--docker-config FILE]\n"
		   "                   changes nothing; FILE defaults to %s\n\n"
		   "Exit: 0 success (diff: in sync; audit: no FAIL), 1 invalid policy or "
		   "failure (diff: changes; audit: any FAIL), 2 usage or system error "
		   "(diff and audit: any error, an invalid policy included).\n",
		   AUDIT_DOCKER_CONFIG);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config",  required_argument, NULL, 'c' },
		{ "verbose", no_argument,       NULL, 'v' },
		{ "help",    no_argument,       NULL, 'h' },
		{ "version", no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli c = { .config = DEFAULT_CONFIG };
	int o;

	/* Page faults were a quarter of a big apply: see icc/bigmem.h. */
	big_heap(32u << 20);
	while ((o = getopt_long(argc, argv, "+c:vh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': c.config = optarg; break;
		case 'v': c.verbose++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("icc-policy %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return commands[i].fn(&c, argc - optind, argv + optind);
	fprintf(stderr, "icc-policy: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return 2;
}

struct icc_policy *cli_load_policy(const struct cli *c)
{
	struct icc_diags d = { 0 };
	struct icc_policy *p = NULL;
	int ret = policy_load(c->config, &p, &d);

	diags_sort(&d);
	diags_print(stderr, &d);
	diags_free(&d);
	/* The diagnostics may be what could not be allocated. */
	if (ret == -ENOMEM)
		fprintf(stderr, "%s: out of memory reading the policy; nothing "
			"was changed\n", c->config);
	return ret < 0 ? NULL : p;
}

void cli_diags(struct icc_diags *d, bool show)
{
	if (show)
		diags_print(stderr, d);
	diags_free(d);
}

void cli_errno(const char *what, int err)
{
	fprintf(stderr, "icc-policy: %s: %s%s\n", what, strerror(-err),
		err == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
}
