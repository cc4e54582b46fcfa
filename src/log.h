/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's one way to speak: syslog, or stderr with -f. Library code
 * never calls this; the daemon passes on what the library returned.
 */
#ifndef ICC_LOG_H
#define ICC_LOG_H

#include <syslog.h>

#include "icc/policy.h"

void log_open(const char *ident, int foreground, int verbose);
/* Stops the copies of warnings and errors on stderr (see log_open). */
void log_detach(void);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text of many lines, one log line each (text is cut up). */
void log_text(int prio, char *text);
/* Every diag as one line at prio, FILE:LINE: message. */
void log_diags(int prio, const struct icc_diags *d);

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
