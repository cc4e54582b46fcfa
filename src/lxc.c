// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LXC containers from <lxcpath>/<name>/config: the veth networks, each
 * with its host bridge, host-side name and MAC. Lines are read the way
 * LXC's parse_line() reads them: "key = value", blanks around both,
 * matching quotes around the value dropped, whole-line '#' comments.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icc/fileio.h"
#include "icc/sources.h"

#define LXC_NET		"lxc.net."
#define LXC_NETWORK	"lxc.network."	/* LXC 2 */

enum net_field { F_NONE, F_TYPE, F_LINK, F_PAIR, F_HWADDR };
enum net_type { TYPE_UNSET, TYPE_VETH, TYPE_OTHER };

/* A network while its lines are read: any key may come in any order. */
struct net_tmp {
	bool legacy;		/* lxc.network.*: after lxc.net.N, in file order */
	unsigned long idx;	/* N, or the legacy network's ordinal */
	enum net_type type;
	struct icc_lxc_net net;
};

struct lxc_ctx {
	const char *file;
	struct icc_diags *warn;
	int line;
	struct net_tmp *v;
	size_t n, cap;
	size_t legacy_cur;	/* the open lxc.network, or SIZE_MAX */
	unsigned long nlegacy;
};

void lxc_ctr_free(struct icc_lxc_ctr *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->nets);
	memset(c, 0, sizeof(*c));
}

void lxc_free(struct icc_lxc *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		lxc_ctr_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static enum net_field net_field(const char *sub)
{
	static const struct {
		const char *name;
		enum net_field f;
	} fields[] = {
		{ "type", F_TYPE }, { "link", F_LINK },
		{ "veth.pair", F_PAIR }, { "hwaddr", F_HWADDR },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(sub, fields[i].name))
			return fields[i].f;
	return F_NONE;
}

static struct net_tmp *net_add(struct lxc_ctx *c, bool legacy,
			       unsigned long idx)
{
	struct net_tmp *v;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4;

		if (!(v = realloc(c->v, cap * sizeof(*v))))
			return NULL;
		c->v = v;
		c->cap = cap;
	}
	v = &c->v[c->n++];
	memset(v, 0, sizeof(*v));
	v->legacy = legacy;
	v->idx = idx;
	return v;
}

static struct net_tmp *net_get(struct lxc_ctx *c, unsigned long idx)
{
	for (size_t i = 0; i < c->n; i++)
		if (!c->v[i].legacy && c->v[i].idx == idx)
			return &c->v[i];
	return net_add(c, false, idx);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)tolower((unsigned char)ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Exactly "aa:bb:cc:dd:ee:ff", either case. */
static bool mac_parse(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 6; i++, s += 3) {
		int hi = hexval(s[0]), lo = hexval(s[1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static int set_ifname(struct lxc_ctx *c, const char *key, const char *value,
		      char name[ICC_IFNAMSIZ])
{
	name[0] = '\0';
	if (strlen(value) >= ICC_IFNAMSIZ)
		return diags_add(c->warn, c->file, c->line,
				 "%s \"%s\" is longer than %d characters; ignored",
				 key, value, ICC_IFNAMSIZ - 1);
	strcpy(name, value);
	return 0;
}

static int set_hwaddr(struct lxc_ctx *c, const char *key, const char *value,
		      struct icc_lxc_net *net)
{
	net->has_hwaddr = false;
	/* Empty, or a template LXC fills in at each start: no MAC to know. */
	if (!*value || strchr(value, 'x'))
		return 0;
	if (!mac_parse(value, net->hwaddr))
		return diags_add(c->warn, c->file, c->line,
				 "%s \"%s\" is not a MAC address; ignored",
				 key, value);
	net->has_hwaddr = true;
	return 0;
}

/* f is never F_NONE: the callers drop keys that are not ours. */
static int net_set(struct lxc_ctx *c, struct net_tmp *n, enum net_field f,
		   const char *key, const char *value)
{
	if (f == F_TYPE) {
		n->type = strcmp(value, "veth") ? TYPE_OTHER : TYPE_VETH;
		return 0;
	}
	if (f == F_LINK)
		return set_ifname(c, key, value, n->net.link);
	if (f == F_PAIR)
		return set_ifname(c, key, value, n->net.pair);
	return set_hwaddr(c, key, value, &n->net);
}

/* lxc.network.X: a type line opens a network, the others fill it in. */
static int legacy_key(struct lxc_ctx *c, const char *key, const char *value)
{
	enum net_field f = net_field(key + strlen(LXC_NETWORK));
	struct net_tmp *n;

	if (f == F_NONE)
		return 0;
	if (f == F_TYPE) {
		if (!(n = net_add(c, true, c->nlegacy++)))
			return -ENOMEM;
		c->legacy_cur = c->n - 1;
	} else if (c->legacy_cur == SIZE_MAX) {
		return diags_add(c->warn, c->file, c->line,
				 "%s before lxc.network.type; ignored", key);
	} else {
		n = &c->v[c->legacy_cur];
	}
	return net_set(c, n, f, key, value);
}

/* lxc.net.N.X; keys without a decimal N are not networks'. */
static int indexed_key(struct lxc_ctx *c, const char *key, const char *value)
{
	const char *s = key + strlen(LXC_NET);
	unsigned long idx;
	enum net_field f;
	struct net_tmp *n;
	char *end;

	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	idx = strtoul(s, &end, 10);
	if (errno || *end != '.')
		return 0;
	if ((f = net_field(end + 1)) == F_NONE)
		return 0;
	if (!(n = net_get(c, idx)))
		return -ENOMEM;
	return net_set(c, n, f, key, value);
}

static char *trim(char *s)
{
	size_t len;

	s += strspn(s, " \t");
	len = strlen(s);
	while (len && strchr(" \t\r", s[len - 1]))
		len--;
	s[len] = '\0';
	return s;
}

static int lxc_line(struct lxc_ctx *c, char *line)
{
	char *key, *value, *eq;
	size_t len;

	line = trim(line);
	/* LXC refuses a line without '='; the container does not start. */
	if (*line == '#' || !(eq = strchr(line, '=')))
		return 0;
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	len = strlen(value);
	if (len > 1 && (*value == '"' || *value == '\'') &&
	    value[len - 1] == *value) {
		value[len - 1] = '\0';
		value++;
	}
	if (!strncmp(key, LXC_NETWORK, strlen(LXC_NETWORK)))
		return legacy_key(c, key, value);
	if (!strncmp(key, LXC_NET, strlen(LXC_NET)))
		return indexed_key(c, key, value);
	return 0;
}

static int cmp_net(const void *a, const void *b)
{
	const struct net_tmp *x = a, *y = b;

	if (x->legacy != y->legacy)
		return x->legacy - y->legacy;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* The veth networks, in order, into out. */
static int nets_keep(struct lxc_ctx *c, struct icc_lxc_ctr *out)
{
	if (c->n)
		qsort(c->v, c->n, sizeof(*c->v), cmp_net);
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].type != TYPE_VETH)
			continue;
		if (!out->nets && !(out->nets = calloc(c->n, sizeof(*out->nets))))
			return -ENOMEM;
		out->nets[out->nnets++] = c->v[i].net;
	}
	return 0;
}

int lxc_parse(const char *text, const char *name, const char *file,
	      struct icc_lxc_ctr *out, struct icc_diags *warn)
{
	struct lxc_ctx c = {
		.file = file, .warn = warn, .legacy_cur = SIZE_MAX,
	};
	char *buf, *line, *next;
	int ret = -ENOMEM;

	memset(out, 0, sizeof(*out));
	if (!(buf = strdup(text)) || !(out->name = strdup(name)))
		goto out;
	for (line = buf; line; line = next) {
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		c.line++;
		if ((ret = lxc_line(&c, line)) < 0)
			goto out;
	}
	ret = nets_keep(&c, out);
out:
	if (ret < 0)
		lxc_ctr_free(out);
	free(c.v);
	free(buf);
	return ret;
}

static int cmp_ctr(const void *a, const void *b)
{
	const struct icc_lxc_ctr *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static int lxc_add(struct icc_lxc *l, size_t *cap, const struct icc_lxc_ctr *c)
{
	struct icc_lxc_ctr *v;

	if (l->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		if (!(v = realloc(l->v, ncap * sizeof(*v))))
			return -ENOMEM;
		l->v = v;
		*cap = ncap;
	}
	l->v[l->n++] = *c;
	return 0;
}

struct scan {
	struct icc_lxc *l;
	size_t cap;
	struct icc_diags *warn;
};

/* One entry of lxcpath. Returns 0 (added or skipped) or -ENOMEM. */
static int lxc_scan_one(const char *lxcpath, const char *name, void *arg)
{
	struct scan *sc = arg;
	struct icc_lxc_ctr c = { 0 };
	char path[PATH_MAX], *text = NULL;
	int ret;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/config", lxcpath,
			     name) >= sizeof(path))
		return diags_add(sc->warn, lxcpath, 0, "%s: path too long; skipped",
				 name);
	/* Not a container: a file, or a folder LXC would not list either. */
	ret = file_read_state(path, SOURCE_FILE_MAX, true, &text, sc->warn);
	if (ret <= 0)
		return ret;
	if ((ret = lxc_parse(text, name, path, &c, sc->warn)) == 0 &&
	    (ret = lxc_add(sc->l, &sc->cap, &c)) < 0)
		lxc_ctr_free(&c);
	free(text);
	return ret;
}

int lxc_scan(const char *lxcpath, struct icc_lxc *out, struct icc_diags *warn)
{
	struct scan sc = { out, 0, warn };
	int ret;

	memset(out, 0, sizeof(*out));
	ret = dir_each(lxcpath, lxc_scan_one, &sc);
	if (ret == -ENOMEM) {
		lxc_free(out);
		return ret;
	}
	if (ret < 0)
		return diags_add(warn, lxcpath, 0, "cannot read: %s; skipped",
				 strerror(-ret));
	if (out->n)	/* qsort() wants a base even for no entries */
		qsort(out->v, out->n, sizeof(*out->v), cmp_ctr);
	return 0;
}
