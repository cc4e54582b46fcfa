// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The live ruleset as our own last commit left it (see nft_set_cache()).
 *
 * Reading tables of 100,000 elements back costs a second: the kernel
 * walks each hash set from its start for every 32 KB of dump.  But after
 * a commit we know what the kernel holds: exactly what we asked for
 * (apply's contract, which the end-to-end tests check with nft).  We know
 * it until anyone commits again, ourselves included, because every
 * nf_tables commit moves the namespace's generation: a batch that carries
 * NFNL_BATCH_GENID g is refused unless the generation is g, and leaves it
 * at g + 1 (never 0).  So the copy is kept with the generation it is true
 * at, and used only when the kernel still reports that generation.
 *
 * A copy in memory serves one process (the daemon, apply's retries); a
 * file serves the next CLI run.  The file is per network namespace (its
 * cookie) and per boot (cookies are unique only within one), written
 * whole under a temporary name and renamed, with a checksum.  Anything
 * that does not match exactly means a full read.  Errors here never fail
 * a command: the cache is an optimisation.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "icc/diff.h"
#include "nft_int.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE	71
#endif

#define CACHE_MAGIC	"ICCLIVE1"
#define CACHE_FILES	32		/* at most, per cache folder */
#define CACHE_MAX	(256u << 20)
#define CHECKSUM_INIT	0xcbf29ce484222325ull	/* FNV-1a */

struct cache_head {
	char magic[8];
	char boot[40];			/* /proc/sys/kernel/random/boot_id */
	uint64_t schema;		/* the tables this build makes: schema() */
	uint64_t cookie;
	uint32_t genid;
	uint32_t nsets;
	uint64_t n[ICC_NSETS], stride[ICC_NSETS];
};

static const char *cache_dir(void)
{
	const char *d = getenv("ICC_POLICY_CACHE");

	return d && *d ? d : ICC_CACHE_DIR;
}

/* Ours alone: owned by us, writable by nobody else (a record is trusted). */
static bool trusted(const struct stat *st)
{
	return st->st_uid == geteuid() && !(st->st_mode & 022);
}

static bool dir_trusted(const char *dir)
{
	struct stat st;

	return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && trusted(&st);
}

void nft_set_cache(struct icc_nft *n, enum icc_nft_cache mode)
{
	socklen_t len = sizeof(n->cookie);

	n->cache = mode;
	if (mode == ICC_CACHE_FILE && !strcmp(cache_dir(), "off"))
		n->cache = ICC_CACHE_MEMORY;
	/* Before Linux 5.14 there is no cookie: no file, memory only. */
	if (getsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, SO_NETNS_COOKIE,
		       &n->cookie, &len) < 0)
		n->cookie = 0;
}

static bool boot_id(char out[40])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	bool ok;

	memset(out, 0, 40);
	if (!f)
		return false;
	ok = fgets(out, 40, f) != NULL;
	fclose(f);
	return ok;
}

static uint64_t checksum(const uint8_t *p, size_t n, uint64_t h)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

static uint64_t hash_str(const char *s, uint64_t h)
{
	return checksum((const uint8_t *)(s ? s : ""), s ? strlen(s) + 1 : 1, h);
}

/*
 * What this build's tables are made of, beyond their elements: a record
 * left by another version says nothing about rules this one would add
 * (a full read would see them as drift and replace the tables).
 */
static uint64_t schema(void)
{
	uint64_t h = hash_str(PACKAGE_VERSION, CHECKSUM_INIT);

	h = hash_str(ICC_TABLE_COMMENT, h);
	for (size_t i = 0; i < icc_nchains; i++) {
		const struct icc_chain_def *c = &icc_chain_defs[i];
		int v[3] = { c->table, c->hook, c->prio };

		h = hash_str(c->name, hash_str(c->type, h));
		h = checksum((const uint8_t *)v, sizeof(v), h);
	}
	for (size_t i = 0; i < icc_nrules; i++) {
		unsigned v[2] = { icc_rule_defs[i].chain, icc_rule_defs[i].id };

		h = hash_str(icc_rule_defs[i].text, h);
		h = checksum((const uint8_t *)v, sizeof(v), h);
	}
	for (int i = 0; i < ICC_NSETS; i++) {
		const struct icc_set_def *d = &icc_set_defs[i];
		uint8_t v[12] = { d->table, d->nkey, d->ndata, d->interval,
				  (uint8_t)d->merge_field, d->counter };

		memcpy(v + 6, d->key, 6);
		h = hash_str(d->name, hash_str(d->typeof_text, hash_str(d->comment, h)));
		h = checksum(v, sizeof(v), checksum(d->data, sizeof(d->data), h));
	}
	return h;
}

static int cache_path(const struct icc_nft *n, char *buf, size_t len)
{
	int r = snprintf(buf, len, "%s/live-%016llx", cache_dir(),
			 (unsigned long long)n->cookie);

	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

/* A copy of rs's elements, as a live ruleset read at generation genid. */
static struct icc_ruleset *live_copy(const struct icc_ruleset *rs,
				     uint32_t genid)
{
	struct icc_ruleset *c = ruleset_new();

	if (!c)
		return NULL;
	for (int t = 0; t < ICC_NTABLES; t++)
		c->has[t] = true;
	c->present = c->owned = c->intact = c->cached = true;
	c->genid = genid;
	for (int i = 0; i < ICC_NSETS; i++) {
		const struct icc_set *s = &rs->sets[i];

		for (size_t k = 0; k < s->n; k++)
			if (set_add_raw(&c->sets[i], set_elem(s, k), 0, NULL) < 0) {
				ruleset_free(c);
				return NULL;
			}
	}
	return c;
}

/* false when the boot cannot be told: then no file is written or read */
static bool head_fill(struct cache_head *h, const struct icc_nft *n,
		      uint32_t genid, const struct icc_ruleset *rs)
{
	bool ok;

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, CACHE_MAGIC, 8);
	ok = boot_id(h->boot);
	h->schema = schema();
	h->cookie = n->cookie;
	h->genid = genid;
	h->nsets = ICC_NSETS;
	for (int i = 0; i < ICC_NSETS; i++) {
		h->n[i] = rs ? rs->sets[i].n : 0;
		h->stride[i] = rs ? rs->sets[i].stride : 0;
	}
	return ok;
}

static bool write_all(int fd, const void *p, size_t n, uint64_t *sum)
{
	*sum = checksum(p, n, *sum);
	for (const char *q = p; n; ) {
		ssize_t w = write(fd, q, n);

		if (w <= 0)
			return false;
		q += w;
		n -= (size_t)w;
	}
	return true;
}

/* Leaves at most CACHE_FILES - 1 other files: namespaces come and go. */
static void cache_trim(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char oldest[512] = "";
	time_t when = 0;
	int count = 0;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;
		char p[512];

		if (strncmp(e->d_name, "live-", 5) ||
		    snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p) ||
		    stat(p, &st) < 0)
			continue;
		count++;
		if (!oldest[0] || st.st_mtime < when) {
			when = st.st_mtime;
			snprintf(oldest, sizeof(oldest), "%s", p);
		}
	}
	closedir(d);
	if (count >= CACHE_FILES && oldest[0])
		unlink(oldest);
}

static void file_put(const struct icc_nft *n, uint32_t genid,
		     const struct icc_ruleset *rs)
{
	char path[512], tmp[540];
	struct cache_head h;
	uint64_t sum = CHECKSUM_INIT;
	bool ok;
	int fd;

	if (!n->cookie || cache_path(n, path, sizeof(path)) < 0 ||
	    !head_fill(&h, n, genid, rs))
		return;
	(void)mkdir(cache_dir(), 0700);
	if (!dir_trusted(cache_dir()))
		return;
	cache_trim(cache_dir());
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	ok = write_all(fd, &h, sizeof(h), &sum);
	for (int i = 0; ok && i < ICC_NSETS; i++)
		ok = write_all(fd, rs->sets[i].elems,
			       rs->sets[i].n * rs->sets[i].stride, &sum);
	ok = ok && write_all(fd, &sum, sizeof(sum), &(uint64_t){ 0 });
	if (close(fd) < 0 || !ok || rename(tmp, path) < 0)
		unlink(tmp);
}

/* The whole file at path if we can trust it (see trusted()), or NULL. */
static char *file_slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	ssize_t r = 0;
	size_t n = 0;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && trusted(&st) &&
	    (size_t)st.st_size <= CACHE_MAX && (buf = malloc((size_t)st.st_size + 1)))
		while (n < (size_t)st.st_size &&
		       (r = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
			n += (size_t)r;
	close(fd);
	if (buf && n != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	*len = n;
	return buf;
}

/* The file's sets, if it holds generation genid of this namespace. */
static struct icc_ruleset *file_get(const struct icc_nft *n, uint32_t genid)
{
	struct icc_ruleset *rs = NULL, *view = ruleset_new();
	struct cache_head h, *fh;
	char path[512], *text = NULL;
	size_t len = 0, want = sizeof(h) + sizeof(uint64_t);
	const uint8_t *p;
	uint64_t sum;

	if (!view || !n->cookie || cache_path(n, path, sizeof(path)) < 0 ||
	    !dir_trusted(cache_dir()) || !(text = file_slurp(path, &len)) ||
	    len < want || !head_fill(&h, n, genid, view))
		goto out;
	fh = (struct cache_head *)text;
	for (int i = 0; i < ICC_NSETS; i++) {
		h.n[i] = fh->n[i];
		if (h.n[i] > CACHE_MAX)
			goto out;
		want += h.n[i] * h.stride[i];
	}
	memcpy(&sum, text + len - sizeof(sum), sizeof(sum));
	if (memcmp(&h, fh, sizeof(h)) || len != want ||
	    checksum((uint8_t *)text, len - sizeof(sum), CHECKSUM_INIT) != sum)
		goto out;
	p = (const uint8_t *)text + sizeof(h);
	for (int i = 0; i < ICC_NSETS; i++) {
		/* borrowed from text: live_copy() copies them */
		view->sets[i].elems = (uint8_t *)p;
		view->sets[i].n = h.n[i];
		p += h.n[i] * h.stride[i];
	}
	rs = live_copy(view, genid);
	for (int i = 0; i < ICC_NSETS; i++) {
		view->sets[i].elems = NULL;
		view->sets[i].n = 0;
	}
out:
	ruleset_free(view);
	free(text);
	return rs;
}

static void put_mem(struct icc_nft *n, uint32_t genid,
		    const struct icc_ruleset *rs)
{
	ruleset_free(n->cached);
	n->cached = rs ? live_copy(rs, genid) : NULL;
	n->cached_gen = genid;
}

int nft_cache_get(struct icc_nft *n, uint32_t genid, struct icc_ruleset **out)
{
	struct icc_ruleset *rs;

	if (n->cache == ICC_CACHE_OFF)
		return -ENOENT;
	if (n->cached && n->cached_gen == genid)
		rs = live_copy(n->cached, genid);
	else if (n->cache == ICC_CACHE_FILE && (rs = file_get(n, genid)))
		put_mem(n, genid, rs);
	else
		return -ENOENT;
	if (!rs)
		return -ENOENT;
	*out = rs;
	return 0;
}

void nft_cache_put(struct icc_nft *n, uint32_t genid,
		   const struct icc_ruleset *rs, bool committed)
{
	if (n->cache == ICC_CACHE_OFF)
		return;
	put_mem(n, genid, rs);
	/* Only a commit leaves a file: diff and dry runs write nothing. */
	if (committed && rs && n->cache == ICC_CACHE_FILE && n->cached)
		file_put(n, genid, rs);
}

void nft_cache_keep(struct icc_nft *n, const struct icc_ruleset *live)
{
	/* nft_read() kept a copy of exactly these tables (ours, whole) */
	if (n->cache == ICC_CACHE_FILE && live && !live->cached && n->cached &&
	    n->cached_gen == live->genid)
		file_put(n, live->genid, n->cached);
}

void nft_cache_commit(struct icc_nft *n, uint32_t was, uint32_t now,
		      const struct icc_diff *d)
{
	if (!d->partial) {
		nft_cache_put(n, now, d->want, true);
		return;
	}
	/* A part of the ruleset: only the copy in memory can take it. */
	if (n->cache == ICC_CACHE_MEMORY && n->cached && n->cached_gen == was &&
	    ruleset_patch(n->cached, d) == 0) {
		n->cached_gen = now;
		n->cached->genid = now;
		return;
	}
	put_mem(n, 0, NULL);
}

int nft_cache_current(struct icc_nft *n, uint32_t *genid)
{
	int ret = nft_genid(n, genid);

	if (ret < 0)
		return ret;
	return n->cached && n->cached_gen == *genid ? 0 : -ESTALE;
}
