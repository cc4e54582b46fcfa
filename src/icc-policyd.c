// SPDX-License-Identifier: GPL-2.0-or-later
/* icc-policyd: keeps the policy true as containers come and go. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/icc-policy/icc-policy.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: icc-policyd [-c FILE] [-f] [-v] [--rcvbuf BYTES]\n"
		"  -c, --config FILE  the policy (default %s)\n"
		"  -f, --foreground   stay in the foreground, log to stderr\n"
		"  -v, --verbose      also log discovery notes and other processes' commits\n"
		"      --rcvbuf BYTES link-event receive buffer (tests force lost events with it)\n"
		"  -h, --help         this text\n"
		"  -V, --version      the version\n"
		"Signals: HUP reloads the policy, TERM and INT stop (the rules stay).\n",
		DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon_opts o = { .config = DEFAULT_CONFIG };
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "c:fvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'f': o.foreground = true; break;
		case 'v': o.verbose++; break;
		case 'r':
			o.rcvbuf = (int)strtol(optarg, &end, 10);
			if (*end || o.rcvbuf <= 0) {
				fprintf(stderr, "icc-policyd: --rcvbuf wants a positive number of bytes\n");
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("icc-policyd %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	/*
	 * Without -f we still do not fork: systemd (Type=notify) and the
	 * tests supervise us; -f only chooses stderr over syslog.
	 */
	return daemon_run(&o);
}
