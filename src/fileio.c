// SPDX-License-Identifier: GPL-2.0-or-later
/* Bounded whole-file reads and folder walks (see include/icc/fileio.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "icc/fileio.h"

int file_read(const char *path, size_t max, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : file_read_fd(fd, max, text, len);
}

int file_read_fd(int fd, size_t max, char **text, size_t *len)
{
	FILE *f = fdopen(fd, "r");
	size_t cap = 0, n = 0, r;
	char *buf = NULL, *nbuf;
	struct stat st;
	int ret;

	if (!f) {
		int e = errno;

		close(fd);
		return -e;
	}
	/* A regular file's size: one read, no copies (a policy can be MBs). */
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size <= max) {
		cap = (size_t)st.st_size + 4096;
		if (!(buf = malloc(cap))) {
			fclose(f);
			return -ENOMEM;
		}
	}
	do {
		if (cap - n < 4096) {
			ret = -EFBIG;
			if (n > max)
				goto out;
			cap = cap ? cap * 2 : 8192;
			ret = -ENOMEM;
			if (!(nbuf = realloc(buf, cap)))
				goto out;
			buf = nbuf;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
	} while (r);
	ret = ferror(f) ? -(errno ? errno : EIO) : 0;
	if (ret == 0 && n > max)
		ret = -EFBIG;
	if (ret < 0)
		goto out;
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return ret;
}

int file_read_state(const char *path, size_t max, bool missing_ok,
		    char **text, struct icc_diags *warn)
{
	struct stat st;
	size_t len;
	int ret;

	/* A FIFO or a device where a state file should be would block us. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return diags_add(warn, path, 0, "not a regular file; skipped");
	ret = file_read(path, max, text, &len);

	/* A file beside the folders, or a folder without the file. */
	if (ret == -ENOTDIR || (ret == -ENOENT && missing_ok))
		return 0;
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0)
		return diags_add(warn, path, 0, "cannot read: %s; skipped",
				 strerror(-ret));
	if (strlen(*text) == len)
		return 1;
	free(*text);
	*text = NULL;
	return diags_add(warn, path, 0, "contains a NUL byte; skipped");
}

int dir_each(const char *dir, int (*fn)(const char *dir, const char *name,
					void *arg), void *arg)
{
	struct dirent *e;
	DIR *dp = opendir(dir);
	int ret = 0;

	if (!dp)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	while (ret >= 0 && (e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			ret = fn(dir, e->d_name, arg);
	closedir(dp);
	return ret < 0 ? ret : 0;
}
