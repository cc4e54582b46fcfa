// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static int log_fg, log_verbose, log_tty;

void log_open(const char *ident, int foreground, int verbose)
{
	log_fg = foreground;
	log_verbose = verbose;
	/* Until detached, whoever started us sees why a start failed. */
	log_tty = !foreground;
	if (!foreground)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

void log_detach(void)
{
	log_tty = 0;
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio == LOG_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	if (log_fg) {
		struct timespec ts;
		char buf[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		strftime(buf, sizeof(buf), "%H:%M:%S", localtime(&ts.tv_sec));
		fprintf(stderr, "%s.%03ld ", buf, ts.tv_nsec / 1000000);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		va_list copy;

		va_copy(copy, ap);
		vsyslog(prio, fmt, copy);
		va_end(copy);
		if (log_tty && prio <= LOG_WARNING) {
			fprintf(stderr, "icc-policyd: ");
			vfprintf(stderr, fmt, ap);
			fputc('\n', stderr);
		}
	}
	va_end(ap);
}

void log_diags(int prio, const struct icc_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct icc_diag *x = &d->v[i];

		if (x->file && x->line > 0)
			log_msg(prio, "%s:%d: %s", x->file, x->line, x->msg);
		else if (x->file)
			log_msg(prio, "%s: %s", x->file, x->msg);
		else
			log_msg(prio, "%s", x->msg);
	}
}

/* Text that may run over many lines, one log line each. */
void log_text(int prio, char *text)
{
	char *save = NULL;

	for (char *t = strtok_r(text, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
		log_msg(prio, "%s", t);
}
