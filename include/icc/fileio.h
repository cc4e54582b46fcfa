/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading files others write (the policy, Docker's and LXC's state):
 * bounded, whole, NUL-terminated. Library code: returns -errno, prints
 * nothing.
 */
#ifndef ICC_FILEIO_H
#define ICC_FILEIO_H

#include <stddef.h>

#include "icc/policy.h"

/*
 * All of path into a NUL-terminated buffer the caller frees, its length
 * in *len (which is more than strlen() when the file holds a NUL byte).
 * Returns 0, -EFBIG when it is longer than max bytes, or another -errno.
 */
int file_read(const char *path, size_t max, char **text, size_t *len);
/* The same from an open fd, which it closes (a FIFO cannot be reopened). */
int file_read_fd(int fd, size_t max, char **text, size_t *len);

/*
 * A state file of another program for a scanner: 1 and *text when read,
 * 0 when skipped (absent and missing_ok, or unreadable or holding a NUL
 * byte: noted in warn), or -ENOMEM.
 */
int file_read_state(const char *path, size_t max, bool missing_ok,
		    char **text, struct icc_diags *warn);

/*
 * Calls fn(dir, name, arg) for every entry of dir but "." and "..",
 * stopping at the first negative return. A missing dir has no entries.
 * Returns 0, fn's negative return, or -errno when dir cannot be read.
 */
int dir_each(const char *dir, int (*fn)(const char *dir, const char *name,
					void *arg), void *arg);

#endif
