// SPDX-License-Identifier: GPL-2.0-or-later
/* icc-policyd: keeps the policy true as containers come and go. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "daemon.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/icc-policy/icc-policy.conf"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: icc-policyd [-c FILE] [-f] [-v] [--rcvbuf BYTES] [--no-drop-log]\n"
		"  -c, --config FILE  the policy (default %s)\n"
		"  -f, --foreground   stay in the foreground, log to stderr (without it:\n"
		"                     detach once the policy is live, log to syslog;\n"
		"                     under systemd, stay and log to syslog)\n"
		"  -v, --verbose      also log discovery notes and other processes' commits\n"
		"      --rcvbuf BYTES link-event receive buffer (tests force lost events with it)\n"
		"      --no-drop-log  do not listen to NFLOG group 2712 (no line per dropped\n"
		"                     connection; leaves the group to another listener)\n"
		"  -h, --help         this text\n"
		"  -V, --version      the version\n"
		"Signals: HUP reloads the policy, TERM and INT stop (the rules stay).\n",
		DEFAULT_CONFIG);
}

/*
 * Without -f and outside systemd (which supervises a Type=notify service
 * in the foreground): the classic detach, but the parent waits until the
 * child has made the policy live, so that its exit status says whether
 * the daemon started.
 */
static int background(struct daemon_opts *o)
{
	char *config, c = 0;
	int p[2], ret;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		perror("icc-policyd");
		return 1;
	}
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			return 1;	/* the child said why on stderr */
		return 0;
	}
	close(p[0]);
	setsid();
	o->ready_fd = p[1];
	/* After chdir("/") a relative -c would name another file on reload. */
	if (!(config = realpath(o->config, NULL))) {
		perror(o->config);
		return 1;
	}
	o->config = config;
	ret = chdir("/") < 0 ? 1 : daemon_run(o);
	free(config);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "rcvbuf", required_argument, NULL, 'r' },
		{ "no-drop-log", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon_opts o = { .config = DEFAULT_CONFIG, .ready_fd = -1 };
	const char *v = getenv("ICC_POLICYD_VERIFY");
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
		case 'n': o.no_drop_log = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("icc-policyd %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	o.verify = v && !strcmp(v, "1");
	if (!o.foreground && !getenv("NOTIFY_SOCKET"))
		return background(&o);
	return daemon_run(&o);
}
