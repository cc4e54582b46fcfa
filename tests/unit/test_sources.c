// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Container sources: Docker's config.v2.json and LXC's config, from the
 * fixtures under tests/fixtures, from inline text for the edge cases, and
 * from scratch folders for what the file system can do wrong. One cmocka
 * group, so the TAP output has one plan.
 *
 * Linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup
 * the allocation tests make every allocation of the code under test fail
 * in turn; linked without, they are skipped.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1	/* nftw(); configure passes it already */
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "icc/fileio.h"
#include "icc/sources.h"

#define WEB_ID	"3f9a1c2b7d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"
#define DB_ID	"8b1e2d3c4f5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define OLD_ID	"c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
#define BAD_ID	"deadbeef0123456789abcdef0123456789abcdef0123456789abcdef01234567"

/* Allocation failures on demand (see the top comment). */
void *__real_malloc(size_t n) __attribute__((weak));
void *__real_calloc(size_t n, size_t size) __attribute__((weak));
void *__real_realloc(void *p, size_t n) __attribute__((weak));
char *__real_strdup(const char *s) __attribute__((weak));
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static long alloc_fail_at = -1;	/* the allocation to fail; -1: none */
static long alloc_count;

static bool alloc_fails(void)
{
	return alloc_fail_at >= 0 && alloc_count++ == alloc_fail_at;
}

void *__wrap_malloc(size_t n)
{
	return alloc_fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return alloc_fails() ? NULL : __real_strdup(s);
}

static const char *srcdir(void)
{
	const char *s = getenv("ICC_SRCDIR");

	return s && *s ? s : ".";
}

static void fixture(char *buf, size_t size, const char *sub)
{
	assert_true((size_t)snprintf(buf, size, "%s/tests/fixtures/%s",
				     srcdir(), sub) < size);
}

static char *diags_text(const struct icc_diags *d)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	assert_non_null(f);
	diags_print(f, d);
	assert_int_equal(fclose(f), 0);
	return s;
}

static void assert_diags(const struct icc_diags *d, const char *expect)
{
	char *s = diags_text(d);

	assert_string_equal(s, expect);
	free(s);
}

/* Scans list their folders in readdir order: look for each line. */
static void assert_has_diag(const struct icc_diags *d, const char *line)
{
	char *s = diags_text(d);

	if (!strstr(s, line))
		fail_msg("\"%s\" not in:\n%s", line, s);
	free(s);
}

/* A scratch folder, and files in it. */
static void scratch_dir(char *dir)
{
	strcpy(dir, "/tmp/icc-sources-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void mkdirf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mkdirf(const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/*
 * Folders below dir until the path is exactly len characters long: for
 * paths that fit PATH_MAX themselves but not with a file name added.
 */
static void deep_dir(char *dir, size_t len)
{
	size_t n = strlen(dir);

	while (n < len) {
		size_t k = len - n - 1 > 200 ? 200 : len - n - 1;

		if (len - n - 1 - k == 1)	/* leave room for "/x" */
			k--;
		dir[n++] = '/';
		memset(dir + n, 'd', k);
		n += k;
		dir[n] = '\0';
		assert_int_equal(mkdir(dir, 0755), 0);
	}
	assert_int_equal(strlen(dir), len);
}

/* Docker: the fixtures. */

static void test_docker_scan_fixtures(void **state)
{
	struct icc_diags warn = { 0 };
	struct icc_docker d;
	char root[PATH_MAX], line[2 * PATH_MAX];
	const struct icc_docker_ctr *c;

	(void)state;
	fixture(root, sizeof(root), "docker");
	assert_int_equal(docker_scan(root, &d, &warn), 0);
	assert_int_equal(d.n, 3);

	c = &d.v[0];
	assert_string_equal(c->name, "db");
	assert_string_equal(c->id, DB_ID);
	assert_true(c->running);
	assert_int_equal(c->pid, 1301);
	assert_string_equal(c->sandbox_key, "/var/run/docker/netns/4567ef01");
	assert_int_equal(c->nlabels, 3);
	assert_string_equal(c->labels[0], "com.docker.compose.project=shop");
	assert_string_equal(c->labels[1], "com.docker.compose.service=db");
	assert_string_equal(c->labels[2], "com.docker.compose.version=2.24.6");

	c = &d.v[1];
	assert_string_equal(c->name, "old-worker");
	assert_string_equal(c->id, OLD_ID);
	assert_false(c->running);
	assert_int_equal(c->pid, 0);
	assert_null(c->sandbox_key);
	assert_int_equal(c->nlabels, 0);
	assert_null(c->labels);

	c = &d.v[2];
	assert_string_equal(c->name, "web");
	assert_string_equal(c->id, WEB_ID);
	assert_true(c->running);
	assert_int_equal(c->pid, 1234);
	assert_string_equal(c->sandbox_key, "/var/run/docker/netns/0123abcd");
	assert_int_equal(c->nlabels, 7);
	assert_string_equal(c->labels[0], "com.docker.compose.config-hash="
			    "9e2b6f4c1d0a8e7b5c3f2a1d0e9b8c7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c");
	assert_string_equal(c->labels[1], "com.docker.compose.container-number=1");
	assert_string_equal(c->labels[2], "com.docker.compose.oneoff=False");
	assert_string_equal(c->labels[3], "com.docker.compose.project.working_dir=/srv/shop");
	assert_string_equal(c->labels[4], "com.docker.compose.project=shop");
	assert_string_equal(c->labels[5], "com.docker.compose.service=web");
	assert_string_equal(c->labels[6], "com.docker.compose.version=2.24.6");

	/* The half-written file is the only one skipped. */
	snprintf(line, sizeof(line), "%s/containers/" BAD_ID "/config.v2.json: "
		 "not a JSON object (unexpected end of data); skipped\n", root);
	assert_diags(&warn, line);
	docker_free(&d);
	assert_null(d.v);
	assert_int_equal(d.n, 0);
	diags_free(&warn);
}

/* Docker: one file's text. */

static void test_docker_parse_minimal(void **state)
{
	struct icc_diags warn = { 0 };
	struct icc_docker_ctr c;

	(void)state;
	assert_int_equal(docker_parse("{\"ID\":\"abc\",\"Name\":\"/x\"}", "t.json",
				      &c, &warn), 0);
	assert_string_equal(c.id, "abc");
	assert_string_equal(c.name, "x");
	assert_null(c.labels);
	assert_int_equal(c.nlabels, 0);
	assert_null(c.sandbox_key);
	assert_false(c.running);
	assert_int_equal(c.pid, 0);
	assert_int_equal(warn.n, 0);
	docker_ctr_free(&c);
	assert_null(c.id);
}

static void test_docker_parse_fields(void **state)
{
	static const char json[] =
		"{\n"
		"  \"State\": {\"Running\": true, \"Paused\": false, \"Pid\": 4242, \"ExitCode\": 0},\n"
		"  \"ID\": \"" WEB_ID "\",\n"
		"  \"Name\": \"no-slash\",\n"
		"  \"Config\": {\"Hostname\": \"3f9a1c2b7d4e\", \"Labels\": null},\n"
		"  \"NetworkSettings\": {\"SandboxID\": \"0123abcd\", \"SandboxKey\": \"/run/netns/x\",\n"
		"                      \"Networks\": {\"bridge\": {\"IPAddress\": \"172.17.0.9\"}}}\n"
		"}\n";
	struct icc_diags warn = { 0 };
	struct icc_docker_ctr c;

	(void)state;
	assert_int_equal(docker_parse(json, "t.json", &c, &warn), 0);
	assert_string_equal(c.id, WEB_ID);
	assert_string_equal(c.name, "no-slash");	/* only a leading '/' goes */
	assert_null(c.labels);
	assert_string_equal(c.sandbox_key, "/run/netns/x");
	assert_true(c.running);
	assert_int_equal(c.pid, 4242);
	assert_int_equal(warn.n, 0);
	docker_ctr_free(&c);
}

/* Values of the wrong type read as absent. */
static void test_docker_parse_odd_types(void **state)
{
	static const char *const cases[] = {
		"{\"ID\":\"a\",\"Name\":\"/n\",\"State\":{\"Running\":\"true\",\"Pid\":\"12\"},"
		"\"NetworkSettings\":{\"SandboxKey\":\"\"},\"Config\":{\"Labels\":{}}}",
		"{\"ID\":\"a\",\"Name\":\"/n\",\"State\":{\"Running\":1,\"Pid\":-5},"
		"\"NetworkSettings\":{\"SandboxKey\":null},\"Config\":{}}",
		"{\"ID\":\"a\",\"Name\":\"/n\",\"State\":[true],"
		"\"NetworkSettings\":null,\"Config\":null}",
		"{\"ID\":\"a\",\"Name\":\"/n\",\"State\":{\"Pid\":12.5},"
		"\"NetworkSettings\":{\"SandboxKey\":7},\"Config\":\"x\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct icc_diags warn = { 0 };
		struct icc_docker_ctr c;

		assert_int_equal(docker_parse(cases[i], "t.json", &c, &warn), 0);
		assert_string_equal(c.name, "n");
		assert_false(c.running);
		assert_int_equal(c.pid, 0);
		assert_null(c.sandbox_key);
		assert_int_equal(c.nlabels, 0);
		assert_int_equal(warn.n, 0);
		docker_ctr_free(&c);
	}
}

static void test_docker_parse_skipped(void **state)
{
	static const struct {
		const char *json, *msg;
	} cases[] = {
		{ "{\"Name\":\"/n\"}", "t.json: no ID; skipped\n" },
		{ "{\"ID\":12,\"Name\":\"/n\"}", "t.json: no ID; skipped\n" },
		{ "{\"ID\":\"\",\"Name\":\"/n\"}", "t.json: no ID; skipped\n" },
		{ "{\"ID\":\"a\"}", "t.json: no Name; skipped\n" },
		{ "{\"ID\":\"a\",\"Name\":null}", "t.json: no Name; skipped\n" },
		{ "{\"ID\":\"a\",\"Name\":\"/\"}", "t.json: no Name; skipped\n" },
		{ "{\"ID\":\"a\",\"Name\":\"\"}", "t.json: no Name; skipped\n" },
		{ "", "t.json: not a JSON object (unexpected end of data); skipped\n" },
		{ "{\"ID\":\"a\",\"Na", "t.json: not a JSON object (unexpected end of data); skipped\n" },
		{ "<html>", "t.json: not a JSON object (unexpected character); skipped\n" },
		{ "{\"ID\":\"a\",\"Name\":\"/n\"} {}", "t.json: not a JSON object (unexpected character); skipped\n" },
		{ "{'ID':'a','Name':'/n'}", "t.json: not a JSON object (unexpected character); skipped\n" },
		{ "[{\"ID\":\"a\",\"Name\":\"/n\"}]", "t.json: not a JSON object (array); skipped\n" },
		{ "null", "t.json: not a JSON object (null); skipped\n" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct icc_diags warn = { 0 };
		struct icc_docker_ctr c;

		assert_int_equal(docker_parse(cases[i].json, "t.json", &c, &warn),
				 -EINVAL);
		assert_null(c.id);
		assert_null(c.name);
		assert_diags(&warn, cases[i].msg);
		diags_free(&warn);
	}
}

static void test_docker_parse_labels(void **state)
{
	static const char json[] =
		"{\"ID\":\"a\",\"Name\":\"/n\",\"Config\":{\"Labels\":{"
		"\"b\":\"2\",\"a\":\"x=y=z\",\"c\":\"\",\"d\":3,\"a.b\":\"1\",\"e\":null}}}";
	struct icc_diags warn = { 0 };
	struct icc_docker_ctr c;

	(void)state;
	assert_int_equal(docker_parse(json, "t.json", &c, &warn), 0);
	assert_int_equal(c.nlabels, 4);
	assert_string_equal(c.labels[0], "a.b=1");
	assert_string_equal(c.labels[1], "a=x=y=z");
	assert_string_equal(c.labels[2], "b=2");
	assert_string_equal(c.labels[3], "c=");
	assert_diags(&warn, "t.json: label d is not a string; ignored\n"
			    "t.json: label e is not a string; ignored\n");
	docker_ctr_free(&c);
	diags_free(&warn);

	assert_int_equal(docker_parse("{\"ID\":\"a\",\"Name\":\"/n\",\"Config\":"
				      "{\"Labels\":[\"a=1\"]}}", "t.json", &c,
				      &warn), 0);
	assert_int_equal(c.nlabels, 0);
	assert_diags(&warn, "t.json: Config.Labels is not an object; ignored\n");
	docker_ctr_free(&c);
	diags_free(&warn);
}

static void test_docker_has_labels(void **state)
{
	static const char json[] =
		"{\"ID\":\"a\",\"Name\":\"/n\",\"Config\":{\"Labels\":"
		"{\"com.docker.compose.service\":\"web\",\"com.docker.compose.project\":\"shop\","
		"\"tier\":\"a=b\"}}}";
	char *web[] = { "com.docker.compose.service=web", "com.docker.compose.project=shop" };
	char *db[] = { "com.docker.compose.service=db", "com.docker.compose.project=shop" };
	char *more[] = { "com.docker.compose.project=shop", "env=prod" };
	char *eq[] = { "tier=a=b" }, *key[] = { "tier" }, *prefix[] = { "tier=a" };
	struct icc_docker_ctr c, none;
	struct icc_diags warn = { 0 };

	(void)state;
	assert_int_equal(docker_parse(json, "t.json", &c, &warn), 0);
	assert_int_equal(docker_parse("{\"ID\":\"b\",\"Name\":\"/m\"}", "t.json",
				      &none, &warn), 0);
	assert_true(docker_has_labels(&c, web, 2));
	assert_true(docker_has_labels(&c, web + 1, 1));
	assert_true(docker_has_labels(&c, eq, 1));
	assert_false(docker_has_labels(&c, db, 2));
	assert_false(docker_has_labels(&c, more, 2));
	assert_false(docker_has_labels(&c, key, 1));
	assert_false(docker_has_labels(&c, prefix, 1));
	assert_false(docker_has_labels(&c, web, 0));
	assert_false(docker_has_labels(&none, web, 1));
	assert_false(docker_has_labels(&none, web, 0));
	docker_ctr_free(&c);
	docker_ctr_free(&none);
	assert_int_equal(warn.n, 0);
}

/* Docker: the file system. */

static void test_docker_scan_absent(void **state)
{
	struct icc_diags warn = { 0 };
	struct icc_docker d;
	char dir[32], path[PATH_MAX], *huge;

	(void)state;
	/* No Docker: nothing found, nothing said. */
	assert_int_equal(docker_scan("/nonexistent/icc/docker", &d, &warn), 0);
	assert_int_equal(d.n, 0);
	assert_null(d.v);
	scratch_dir(dir);
	assert_int_equal(docker_scan(dir, &d, &warn), 0);	/* no containers/ */
	assert_int_equal(d.n, 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	write_file(path, "x", 1);
	assert_int_equal(docker_scan(path, &d, &warn), 0);	/* not a folder */
	assert_int_equal(d.n, 0);
	assert_int_equal(warn.n, 0);
	mkdirf("%s/empty", dir);
	mkdirf("%s/empty/containers", dir);
	snprintf(path, sizeof(path), "%s/empty", dir);
	assert_int_equal(docker_scan(path, &d, &warn), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(warn.n, 0);

	/* Something is there but cannot be read: said. */
	mkdirf("%s/loop", dir);
	snprintf(path, sizeof(path), "%s/loop/containers", dir);
	assert_int_equal(symlink("containers", path), 0);
	snprintf(path, sizeof(path), "%s/loop", dir);
	assert_int_equal(docker_scan(path, &d, &warn), 0);
	assert_int_equal(d.n, 0);
	snprintf(path, sizeof(path), "%s/loop/containers: cannot read: %s; skipped\n",
		 dir, strerror(ELOOP));
	assert_diags(&warn, path);
	diags_free(&warn);

	huge = malloc(PATH_MAX + 1);
	assert_non_null(huge);
	memset(huge, 'a', PATH_MAX);
	huge[PATH_MAX] = '\0';
	assert_int_equal(docker_scan(huge, &d, &warn), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(warn.n, 1);
	assert_string_equal(warn.v[0].msg, "path too long; skipped");
	free(huge);
	diags_free(&warn);
	rm_tree(dir);
}

static void test_docker_scan_files(void **state)
{
	static const char good[] =
		"{\"ID\":\"" WEB_ID "\",\"Name\":\"/web\",\"State\":{\"Running\":true,\"Pid\":7}}";
	static const char nul[] = "{\"ID\":\"a\",\0\"Name\":\"/n\"}";
	struct icc_diags warn = { 0 };
	struct icc_docker d;
	char dir[32], path[PATH_MAX], line[2 * PATH_MAX];
	int fd;

	(void)state;
	scratch_dir(dir);
	mkdirf("%s/containers", dir);
	mkdirf("%s/containers/" WEB_ID, dir);
	snprintf(path, sizeof(path), "%s/containers/" WEB_ID "/config.v2.json", dir);
	write_file(path, good, strlen(good));
	/* Created, config not written yet. */
	mkdirf("%s/containers/" DB_ID, dir);
	/* Not Docker's: a file beside the folders. */
	snprintf(path, sizeof(path), "%s/containers/.DS_Store", dir);
	write_file(path, "x", 1);
	mkdirf("%s/containers/" OLD_ID, dir);
	mkdirf("%s/containers/" OLD_ID "/config.v2.json", dir);
	mkdirf("%s/containers/nul", dir);
	snprintf(path, sizeof(path), "%s/containers/nul/config.v2.json", dir);
	write_file(path, nul, sizeof(nul) - 1);
	mkdirf("%s/containers/big", dir);
	snprintf(path, sizeof(path), "%s/containers/big/config.v2.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SOURCE_FILE_MAX + 1), 0);
	assert_int_equal(close(fd), 0);

	assert_int_equal(docker_scan(dir, &d, &warn), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].name, "web");
	assert_int_equal(d.v[0].pid, 7);
	assert_int_equal(warn.n, 4);
	snprintf(line, sizeof(line), "%s/containers/" DB_ID "/config.v2.json: "
		 "cannot read: %s; skipped\n", dir, strerror(ENOENT));
	assert_has_diag(&warn, line);
	snprintf(line, sizeof(line), "%s/containers/" OLD_ID "/config.v2.json: "
		 "not a regular file; skipped\n", dir);
	assert_has_diag(&warn, line);
	snprintf(line, sizeof(line), "%s/containers/nul/config.v2.json: "
		 "contains a NUL byte; skipped\n", dir);
	assert_has_diag(&warn, line);
	snprintf(line, sizeof(line), "%s/containers/big/config.v2.json: "
		 "cannot read: %s; skipped\n", dir, strerror(EFBIG));
	assert_has_diag(&warn, line);
	docker_free(&d);
	diags_free(&warn);
	rm_tree(dir);
}

/* The folder fits PATH_MAX, its config.v2.json does not. */
static void test_docker_scan_long_path(void **state)
{
	struct icc_diags warn = { 0 };
	struct icc_docker d;
	char dir[PATH_MAX], root[PATH_MAX];
	size_t len = PATH_MAX - 1 - strlen("/containers/" WEB_ID);

	(void)state;
	scratch_dir(dir);
	strcpy(root, dir);
	deep_dir(root, len);
	mkdirf("%s/containers", root);
	mkdirf("%s/containers/" WEB_ID, root);
	assert_int_equal(docker_scan(root, &d, &warn), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(warn.n, 1);
	assert_string_equal(warn.v[0].msg, WEB_ID ": path too long; skipped");
	diags_free(&warn);
	rm_tree(dir);
}

/* More containers than the first allocation holds; equal names by ID. */
static void test_docker_scan_many(void **state)
{
	struct icc_diags warn = { 0 };
	struct icc_docker d;
	char dir[32], path[PATH_MAX], json[256];

	(void)state;
	scratch_dir(dir);
	mkdirf("%s/containers", dir);
	for (int i = 0; i < 40; i++) {
		/* Names c00..c38 by twos: every name twice, IDs in reverse. */
		mkdirf("%s/containers/%02d", dir, 39 - i);
		snprintf(path, sizeof(path), "%s/containers/%02d/config.v2.json",
			 dir, 39 - i);
		snprintf(json, sizeof(json), "{\"ID\":\"%02d\",\"Name\":\"/c%02d\"}",
			 39 - i, i / 2 * 2);
		write_file(path, json, strlen(json));
	}
	assert_int_equal(docker_scan(dir, &d, &warn), 0);
	assert_int_equal(warn.n, 0);
	assert_int_equal(d.n, 40);
	for (int i = 0; i < 40; i++) {
		char name[16], id[16];

		snprintf(name, sizeof(name), "c%02d", i / 2 * 2);
		snprintf(id, sizeof(id), "%02d", 39 - (i ^ 1));
		assert_string_equal(d.v[i].name, name);
		assert_string_equal(d.v[i].id, id);
	}
	docker_free(&d);
	rm_tree(dir);
}

/* LXC: the fixtures. */

static void assert_net(const struct icc_lxc_net *n, const char *link,
		       const char *pair, const char *mac)
{
	assert_string_equal(n->link, link);
	assert_string_equal(n->pair, pair);
	if (!mac) {
		assert_false(n->has_hwaddr);
		return;
	}
	assert_true(n->has_hwaddr);
	assert_memory_equal(n->hwaddr, mac, 6);
}

static void test_lxc_scan_fixtures(void **state)
{
	struct icc_diags warn = { 0 };
	struct icc_lxc l;
	char path[PATH_MAX];

	(void)state;
	fixture(path, sizeof(path), "lxc");
	assert_int_equal(lxc_scan(path, &l, &warn), 0);
	assert_int_equal(warn.n, 0);
	/* nocfg/ has a rootfs but no config; NOTES is a file. */
	assert_int_equal(l.n, 4);

	assert_string_equal(l.v[0].name, "app");
	assert_int_equal(l.v[0].nnets, 1);
	assert_net(&l.v[0].nets[0], "lxcbr0", "vethapp0",
		   "\x00\x16\x3e\x5a\x7b\x9c");

	assert_string_equal(l.v[1].name, "legacy");
	assert_int_equal(l.v[1].nnets, 2);
	assert_net(&l.v[1].nets[0], "lxcbr0", "vethleg0",
		   "\x00\x16\x3e\xab\xcd\xef");
	assert_net(&l.v[1].nets[1], "br-backend", "",
		   "\x00\x16\x3e\x01\x02\x03");

	/* net.1 is a macvlan; net.2 was written first. */
	assert_string_equal(l.v[2].name, "router");
	assert_int_equal(l.v[2].nnets, 2);
	assert_net(&l.v[2].nets[0], "lxcbr0", "", "\x00\x16\x3e\xaa\x00\x00");
	assert_net(&l.v[2].nets[1], "br-dmz", "vethrtr2", NULL);

	assert_string_equal(l.v[3].name, "tmpl");
	assert_int_equal(l.v[3].nnets, 1);
	assert_net(&l.v[3].nets[0], "lxcbr0", "", NULL);
	lxc_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
}

/* LXC: one config's text. */

static void parse_lxc(const char *text, struct icc_lxc_ctr *c,
		      const char *warnings)
{
	struct icc_diags warn = { 0 };

	assert_int_equal(lxc_parse(text, "c1", "config", c, &warn), 0);
	assert_string_equal(c->name, "c1");
	assert_diags(&warn, warnings);
	diags_free(&warn);
}

static void test_lxc_parse_syntax(void **state)
{
	struct icc_lxc_ctr c;

	(void)state;
	parse_lxc("", &c, "");
	assert_int_equal(c.nnets, 0);
	assert_null(c.nets);
	lxc_ctr_free(&c);

	parse_lxc("\n# lxc.net.0.type = veth\n\n  # indented comment\n"
		  "lxc.net.0.type veth\n", &c, "");
	assert_int_equal(c.nnets, 0);
	lxc_ctr_free(&c);

	/* Blanks, CRLF, quotes, no final newline. */
	parse_lxc("\t lxc.net.0.type\t=\tveth \r\n"
		  "lxc.net.0.link=\"br0\"\r\n"
		  "lxc.net.0.veth.pair = 'vp0'\n"
		  "lxc.net.1.type = veth\n"
		  "lxc.net.1.link = \"br1'\n"
		  "lxc.net.1.veth.pair = \"\n"
		  "lxc.net.2.type = \"veth\"\n"
		  "lxc.net.2.link = br2", &c, "");
	assert_int_equal(c.nnets, 3);
	assert_net(&c.nets[0], "br0", "vp0", NULL);
	assert_net(&c.nets[1], "\"br1'", "\"", NULL);
	assert_net(&c.nets[2], "br2", "", NULL);
	lxc_ctr_free(&c);
	assert_null(c.name);
}

static void test_lxc_parse_keys(void **state)
{
	struct icc_lxc_ctr c;

	(void)state;
	/* Not network keys of ours. */
	parse_lxc("lxc.net.x.type = veth\n"
		  "lxc.net.0 = veth\n"
		  "lxc.net..type = veth\n"
		  "lxc.net.-1.type = veth\n"
		  "lxc.net.99999999999999999999999.type = veth\n"
		  "lxc.net.0.ipv4.address = 10.0.3.2/24\n"
		  "lxc.network.ipv4 = 10.0.3.2/24\n"
		  "lxc.network = \n"
		  "lxc.net = \n"
		  "lxc.netx.0.type = veth\n"
		  "lxc.include = /usr/share/lxc/config/common.conf\n", &c, "");
	assert_int_equal(c.nnets, 0);
	lxc_ctr_free(&c);

	/* No type, or a type set twice: the last one counts. */
	parse_lxc("lxc.net.0.link = br0\n"
		  "lxc.net.1.type = veth\nlxc.net.1.type = macvlan\nlxc.net.1.link = br1\n"
		  "lxc.net.2.type = phys\nlxc.net.2.type = veth\nlxc.net.2.link = br2\n"
		  "lxc.net.3.type = none\n"
		  "lxc.net.4.type = vethx\n", &c, "");
	assert_int_equal(c.nnets, 1);
	assert_net(&c.nets[0], "br2", "", NULL);
	lxc_ctr_free(&c);

	/* Leading zeros name the same network; N orders, not the file. */
	parse_lxc("lxc.net.10.type = veth\nlxc.net.10.link = br10\n"
		  "lxc.net.01.type = veth\nlxc.net.1.link = br1\n"
		  "lxc.net.4294967296.type = veth\nlxc.net.4294967296.link = big\n"
		  "lxc.net.0.type = veth\n", &c, "");
	assert_int_equal(c.nnets, 4);
	assert_net(&c.nets[0], "", "", NULL);
	assert_net(&c.nets[1], "br1", "", NULL);
	assert_net(&c.nets[2], "br10", "", NULL);
	assert_net(&c.nets[3], "big", "", NULL);
	lxc_ctr_free(&c);

	/* LXC 2: each type opens a network; indexed ones come first. */
	parse_lxc("lxc.network.link = early\n"
		  "lxc.network.hwaddr = 00:16:3e:00:00:01\n"
		  "lxc.network.type = veth\n"
		  "lxc.network.link = la\n"
		  "lxc.net.5.type = veth\n"
		  "lxc.net.5.link = n5\n"
		  "lxc.network.type = macvlan\n"
		  "lxc.network.link = eth0\n"
		  "lxc.network.type = veth\n"
		  "lxc.network.veth.pair = vb\n"
		  "lxc.network.hwaddr = 00:16:3E:00:00:0B\n", &c,
		  "config:1: lxc.network.link before lxc.network.type; ignored\n"
		  "config:2: lxc.network.hwaddr before lxc.network.type; ignored\n");
	assert_int_equal(c.nnets, 3);
	assert_net(&c.nets[0], "n5", "", NULL);
	assert_net(&c.nets[1], "la", "", NULL);
	assert_net(&c.nets[2], "", "vb", "\x00\x16\x3e\x00\x00\x0b");
	lxc_ctr_free(&c);
}

static void test_lxc_parse_hwaddr(void **state)
{
	struct icc_lxc_ctr c;

	(void)state;
	parse_lxc("lxc.net.0.type = veth\nlxc.net.0.hwaddr = AA:bb:0C:dD:e0:Ff\n"
		  "lxc.net.1.type = veth\nlxc.net.1.hwaddr = 00:16:3e:xx:xx:xx\n"
		  "lxc.net.2.type = veth\nlxc.net.2.hwaddr = xx\n"
		  "lxc.net.3.type = veth\nlxc.net.3.hwaddr =\n"
		  "lxc.net.4.type = veth\nlxc.net.4.hwaddr = 00:16:3e:01:02:03\n"
		  "lxc.net.4.hwaddr = 00:16:3e:xx:xx:xx\n"
		  "lxc.net.5.type = veth\nlxc.net.5.hwaddr = 00:16:3e:01:02:03\n"
		  "lxc.net.5.hwaddr = 00:16:3e:01:02:04\n", &c, "");
	assert_int_equal(c.nnets, 6);
	assert_net(&c.nets[0], "", "", "\xaa\xbb\x0c\xdd\xe0\xff");
	for (size_t i = 1; i < 5; i++)
		assert_false(c.nets[i].has_hwaddr);
	assert_net(&c.nets[5], "", "", "\x00\x16\x3e\x01\x02\x04");
	lxc_ctr_free(&c);

	parse_lxc("lxc.net.0.type = veth\n"
		  "lxc.net.0.hwaddr = 00:16:3e:01:02:03\n"
		  "lxc.net.0.hwaddr = 00:16:3e:01:02\n"
		  "lxc.net.1.type = veth\nlxc.net.1.hwaddr = 00:16:3e:01:02:03:04\n"
		  "lxc.net.2.type = veth\nlxc.net.2.hwaddr = 00-16-3e-01-02-03\n"
		  "lxc.net.3.type = veth\nlxc.net.3.hwaddr = 00:16:3e:01:02:0g\n"
		  "lxc.net.4.type = veth\nlxc.net.4.hwaddr = 00:16:3E:XX:XX:XX\n"
		  "lxc.net.5.type = veth\nlxc.net.5.hwaddr = 0:16:3e:01:02:033\n"
		  "lxc.net.6.type = veth\nlxc.net.6.hwaddr = g0:16:3e:01:02:03\n"
		  "lxc.net.7.type = veth\nlxc.net.7.hwaddr = 00:16:3e:01:02:-3\n",
		  &c,
		  "config:3: lxc.net.0.hwaddr \"00:16:3e:01:02\" is not a MAC address; ignored\n"
		  "config:5: lxc.net.1.hwaddr \"00:16:3e:01:02:03:04\" is not a MAC address; ignored\n"
		  "config:7: lxc.net.2.hwaddr \"00-16-3e-01-02-03\" is not a MAC address; ignored\n"
		  "config:9: lxc.net.3.hwaddr \"00:16:3e:01:02:0g\" is not a MAC address; ignored\n"
		  "config:11: lxc.net.4.hwaddr \"00:16:3E:XX:XX:XX\" is not a MAC address; ignored\n"
		  "config:13: lxc.net.5.hwaddr \"0:16:3e:01:02:033\" is not a MAC address; ignored\n"
		  "config:15: lxc.net.6.hwaddr \"g0:16:3e:01:02:03\" is not a MAC address; ignored\n"
		  "config:17: lxc.net.7.hwaddr \"00:16:3e:01:02:-3\" is not a MAC address; ignored\n");
	assert_int_equal(c.nnets, 8);
	for (size_t i = 0; i < c.nnets; i++)
		assert_false(c.nets[i].has_hwaddr);
	lxc_ctr_free(&c);
}

static void test_lxc_parse_ifnames(void **state)
{
	struct icc_lxc_ctr c;

	(void)state;
	parse_lxc("lxc.net.0.type = veth\n"
		  "lxc.net.0.link = br-0123456789ab\n"
		  "lxc.net.0.veth.pair = veth0123456789a\n"
		  "lxc.net.1.type = veth\n"
		  "lxc.net.1.link = br-0123456789abc\n"
		  "lxc.net.1.veth.pair = veth0123456789ab\n"
		  "lxc.net.2.type = veth\n"
		  "lxc.net.2.link = br2\n"
		  "lxc.net.2.link = br-0123456789abc\n"
		  "lxc.net.2.veth.pair = vp2\n"
		  "lxc.net.2.veth.pair =\n"
		  "lxc.net.3.type = veth\n"
		  "lxc.net.3.link = br-0123456789abc\n"
		  "lxc.net.3.link = br3\n", &c,
		  "config:5: lxc.net.1.link \"br-0123456789abc\" is longer than 15 characters; ignored\n"
		  "config:6: lxc.net.1.veth.pair \"veth0123456789ab\" is longer than 15 characters; ignored\n"
		  "config:9: lxc.net.2.link \"br-0123456789abc\" is longer than 15 characters; ignored\n"
		  "config:13: lxc.net.3.link \"br-0123456789abc\" is longer than 15 characters; ignored\n");
	assert_int_equal(c.nnets, 4);
	assert_net(&c.nets[0], "br-0123456789ab", "veth0123456789a", NULL);
	assert_net(&c.nets[1], "", "", NULL);
	assert_net(&c.nets[2], "", "", NULL);
	assert_net(&c.nets[3], "br3", "", NULL);
	lxc_ctr_free(&c);
}

/* LXC: the file system. */

static void test_lxc_scan_absent(void **state)
{
	struct icc_diags warn = { 0 };
	struct icc_lxc l;
	char dir[32], path[PATH_MAX];

	(void)state;
	assert_int_equal(lxc_scan("/nonexistent/icc/lxc", &l, &warn), 0);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	scratch_dir(dir);
	assert_int_equal(lxc_scan(dir, &l, &warn), 0);
	assert_int_equal(l.n, 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	write_file(path, "x", 1);
	assert_int_equal(lxc_scan(path, &l, &warn), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(warn.n, 0);

	snprintf(path, sizeof(path), "%s/loop", dir);
	assert_int_equal(symlink("loop", path), 0);
	assert_int_equal(lxc_scan(path, &l, &warn), 0);
	assert_int_equal(l.n, 0);
	snprintf(path, sizeof(path), "%s/loop: cannot read: %s; skipped\n", dir,
		 strerror(ELOOP));
	assert_diags(&warn, path);
	diags_free(&warn);
	rm_tree(dir);
}

static void test_lxc_scan_files(void **state)
{
	static const char ok[] = "lxc.net.0.type = veth\nlxc.net.0.hwaddr = 1\n";
	static const char nul[] = "lxc.net.0.type = veth\n\0lxc.net.0.link = br0\n";
	struct icc_diags warn = { 0 };
	struct icc_lxc l;
	char dir[32], path[PATH_MAX], line[2 * PATH_MAX];
	int fd;

	(void)state;
	scratch_dir(dir);
	mkdirf("%s/ok", dir);
	snprintf(path, sizeof(path), "%s/ok/config", dir);
	write_file(path, ok, strlen(ok));
	mkdirf("%s/isdir", dir);
	mkdirf("%s/isdir/config", dir);
	mkdirf("%s/nul", dir);
	snprintf(path, sizeof(path), "%s/nul/config", dir);
	write_file(path, nul, sizeof(nul) - 1);
	mkdirf("%s/big", dir);
	snprintf(path, sizeof(path), "%s/big/config", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SOURCE_FILE_MAX + 1), 0);
	assert_int_equal(close(fd), 0);

	assert_int_equal(lxc_scan(dir, &l, &warn), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].name, "ok");
	assert_int_equal(l.v[0].nnets, 1);
	assert_int_equal(warn.n, 4);
	snprintf(line, sizeof(line), "%s/ok/config:2: lxc.net.0.hwaddr \"1\" "
		 "is not a MAC address; ignored\n", dir);
	assert_has_diag(&warn, line);
	snprintf(line, sizeof(line), "%s/isdir/config: not a regular file; skipped\n",
		 dir);
	assert_has_diag(&warn, line);
	snprintf(line, sizeof(line), "%s/nul/config: contains a NUL byte; skipped\n",
		 dir);
	assert_has_diag(&warn, line);
	snprintf(line, sizeof(line), "%s/big/config: cannot read: %s; skipped\n",
		 dir, strerror(EFBIG));
	assert_has_diag(&warn, line);
	lxc_free(&l);
	diags_free(&warn);
	rm_tree(dir);
}

static void test_lxc_scan_long_path(void **state)
{
	struct icc_diags warn = { 0 };
	struct icc_lxc l;
	char dir[PATH_MAX], root[PATH_MAX];
	size_t len = PATH_MAX - 1 - strlen("/" WEB_ID);

	(void)state;
	scratch_dir(dir);
	strcpy(root, dir);
	deep_dir(root, len);
	mkdirf("%s/" WEB_ID, root);
	assert_int_equal(lxc_scan(root, &l, &warn), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(warn.n, 1);
	assert_string_equal(warn.v[0].msg, WEB_ID ": path too long; skipped");
	diags_free(&warn);
	rm_tree(dir);
}

static void test_lxc_scan_many(void **state)
{
	struct icc_diags warn = { 0 };
	struct icc_lxc l;
	char dir[32], path[PATH_MAX];

	(void)state;
	scratch_dir(dir);
	for (int i = 39; i >= 0; i--) {
		mkdirf("%s/c%02d", dir, i);
		snprintf(path, sizeof(path), "%s/c%02d/config", dir, i);
		write_file(path, "lxc.net.0.type = veth\n", 22);
	}
	assert_int_equal(lxc_scan(dir, &l, &warn), 0);
	assert_int_equal(warn.n, 0);
	assert_int_equal(l.n, 40);
	for (int i = 0; i < 40; i++) {
		char name[16];

		snprintf(name, sizeof(name), "c%02d", i);
		assert_string_equal(l.v[i].name, name);
		assert_int_equal(l.v[i].nnets, 1);
	}
	lxc_free(&l);
	rm_tree(dir);
}

/* Shared. */

static void test_read_file(void **state)
{
	char *text = (char *)"untouched";
	size_t len = 99;

	(void)state;
	assert_int_equal(file_read("/nonexistent/icc", SOURCE_FILE_MAX, &text, &len),
			 -ENOENT);
	assert_string_equal(text, "untouched");
	assert_int_equal(len, 99);
}

/* Sizes at and around max, and /proc files, whose size says 0. */
static void test_read_file_sizes(void **state)
{
	char dir[32], path[PATH_MAX], *text = NULL;
	size_t len = 0;

	(void)state;
	scratch_dir(dir);
	snprintf(path, sizeof(path), "%s/f", dir);
	for (size_t n = 60; n <= 70; n += 4) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		for (size_t i = 0; i < n; i++)
			fputc('a', f);
		fclose(f);
		if (n > 64) {
			assert_int_equal(file_read(path, 64, &text, &len), -EFBIG);
			continue;
		}
		assert_int_equal(file_read(path, 64, &text, &len), 0);
		assert_int_equal(len, n);
		assert_int_equal(strlen(text), n);
		free(text);
	}
	/* "test_sources\n": 13 bytes, and st_size is 0 */
	assert_int_equal(file_read("/proc/self/comm", 64, &text, &len), 0);
	assert_true(len > 0 && text[len - 1] == '\n');
	free(text);
	rm_tree(dir);
}

/* A FIFO where a config should be must not block the scan. */
static void test_fifo_state(void **state)
{
	struct icc_diags warn = { 0 };
	struct icc_lxc l;
	char dir[32], path[PATH_MAX], line[2 * PATH_MAX];

	(void)state;
	scratch_dir(dir);
	mkdirf("%s/pipe", dir);
	snprintf(path, sizeof(path), "%s/pipe/config", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(lxc_scan(dir, &l, &warn), 0);
	assert_int_equal(l.n, 0);
	snprintf(line, sizeof(line), "%s/pipe/config: not a regular file; skipped\n", dir);
	assert_has_diag(&warn, line);
	lxc_free(&l);
	diags_free(&warn);
	rm_tree(dir);
}

static void test_free_null(void **state)
{
	struct icc_docker d = { 0 };
	struct icc_lxc l = { 0 };

	(void)state;
	docker_free(NULL);
	docker_ctr_free(NULL);
	lxc_free(NULL);
	lxc_ctr_free(NULL);
	docker_free(&d);
	lxc_free(&l);
}

/*
 * Out of memory, at every allocation in turn: -ENOMEM, nothing left
 * behind (valgrind checks the leaks), and the result without failures
 * (done) once none fails.
 */
#define EACH_ALLOC_FAILURE(call, cleanup, done)				\
	for (long k = 0;; k++) {					\
		int r_;							\
									\
		alloc_count = 0;					\
		alloc_fail_at = k;					\
		r_ = (call);						\
		alloc_fail_at = -1;					\
		cleanup;						\
		if (alloc_count <= k) {					\
			assert_int_equal(r_, done);			\
			break;						\
		}							\
		assert_int_equal(r_, -ENOMEM);				\
	}

static void test_out_of_memory(void **state)
{
	static const char labels[] =
		"{\"ID\":\"a\",\"Name\":\"/n\",\"NetworkSettings\":{\"SandboxKey\":\"/k\"},"
		"\"Config\":{\"Labels\":{\"b\":\"2\",\"a\":\"1\",\"d\":3}}}";
	static const char text[] =
		"lxc.network.link = early\n"
		"lxc.network.type = veth\n"
		"lxc.net.1.type = veth\nlxc.net.1.link = br-0123456789abc\n"
		"lxc.net.0.type = veth\nlxc.net.0.hwaddr = bad\n"
		"lxc.net.2.type = veth\n";
	struct icc_diags warn = { 0 };
	struct icc_docker_ctr c;
	struct icc_docker d;
	struct icc_lxc_ctr lc;
	struct icc_lxc l;
	char docker[PATH_MAX], lxc[PATH_MAX];

	(void)state;
	if (!__real_malloc || !__real_calloc || !__real_realloc ||
	    !__real_strdup)
		skip();
	fixture(docker, sizeof(docker), "docker");
	fixture(lxc, sizeof(lxc), "lxc");
	EACH_ALLOC_FAILURE(docker_parse(labels, "t.json", &c, &warn),
			   (docker_ctr_free(&c), diags_free(&warn)), 0);
	EACH_ALLOC_FAILURE(docker_parse("{\"ID\":\"a\"}", "t.json", &c, &warn),
			   diags_free(&warn), -EINVAL);
	EACH_ALLOC_FAILURE(docker_parse("[]", "t.json", &c, &warn),
			   diags_free(&warn), -EINVAL);
	EACH_ALLOC_FAILURE(docker_parse("{\"ID\":\"a\",\"Name\":\"/n\",\"Config\":"
					"{\"Labels\":7}}", "t.json", &c, &warn),
			   (docker_ctr_free(&c), diags_free(&warn)), 0);
	EACH_ALLOC_FAILURE(docker_scan(docker, &d, &warn),
			   (docker_free(&d), diags_free(&warn)), 0);
	EACH_ALLOC_FAILURE(lxc_parse(text, "c1", "config", &lc, &warn),
			   (lxc_ctr_free(&lc), diags_free(&warn)), 0);
	EACH_ALLOC_FAILURE(lxc_scan(lxc, &l, &warn),
			   (lxc_free(&l), diags_free(&warn)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_scan_fixtures),
		cmocka_unit_test(test_docker_parse_minimal),
		cmocka_unit_test(test_docker_parse_fields),
		cmocka_unit_test(test_docker_parse_odd_types),
		cmocka_unit_test(test_docker_parse_skipped),
		cmocka_unit_test(test_docker_parse_labels),
		cmocka_unit_test(test_docker_has_labels),
		cmocka_unit_test(test_docker_scan_absent),
		cmocka_unit_test(test_docker_scan_files),
		cmocka_unit_test(test_docker_scan_long_path),
		cmocka_unit_test(test_docker_scan_many),
		cmocka_unit_test(test_lxc_scan_fixtures),
		cmocka_unit_test(test_lxc_parse_syntax),
		cmocka_unit_test(test_lxc_parse_keys),
		cmocka_unit_test(test_lxc_parse_hwaddr),
		cmocka_unit_test(test_lxc_parse_ifnames),
		cmocka_unit_test(test_lxc_scan_absent),
		cmocka_unit_test(test_lxc_scan_files),
		cmocka_unit_test(test_lxc_scan_long_path),
		cmocka_unit_test(test_lxc_scan_many),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_fifo_state),
		cmocka_unit_test(test_read_file_sizes),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
