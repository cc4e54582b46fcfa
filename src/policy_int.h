/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the policy stage (policy_parse.c, policy_check.c,
 * policy_print.c, diag.c). Nothing outside src/policy_* includes this.
 */
#ifndef ICC_POLICY_INT_H
#define ICC_POLICY_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "icc/policy.h"


/*
 * The model keeps one line per object; the checks also want the line of
 * the setting inside the object that is wrong. These tables run parallel
 * to the model's arrays (same index, same count).
 */
struct src_bridge {
	int name, subnet, subnet6, uplink;
};

struct src_container {
	int bridge, ident;	/* ident: the line of ip, name or labels */
	int ip6;		/* the line of the IPv6 ip */
};

struct src_link {
	int from, to, ports;
	uint32_t elem;		/* its index in the file's links list */
	bool ok;		/* its own settings are valid */
};

/*
 * The container names links use, each once (an id per name): links are
 * read while the file is, before the containers may be, and hold ids
 * until parse_root() resolves them.
 */
struct name_pool {
	char *text;		/* the names, each NUL-ended */
	size_t len, cap;
	uint32_t *at;		/* id -> offset in text */
	size_t n, ncap;
	uint32_t *slot;		/* hash: id + 1, 0 free; a power of two */
	size_t nslot;
};

/*
 * What reading one link element reported, kept aside until the links are
 * resolved, so that messages come in the order the tree gave them:
 * [a, s1) before the from name is looked up, [s1, s2) before the to name,
 * [s2, b) after both (ports).
 */
struct link_later {
	uint32_t elem;
	uint32_t a, s1, s2, b;	/* in policy_ctx.later */
};

struct src_egress {
	int from, to, ports;
};

struct src_publish {
	int container, port, host, allow_from;
};

/* One parse and check of one policy. */
struct policy_ctx {
	const char *file;		/* FILE in every diagnostic */
	struct icc_diags *d;
	size_t nerr;			/* problems reported */
	bool oom;			/* something could not be allocated */
	struct icc_policy *p;
	struct src_bridge *sbridges;
	struct src_container *scontainers;
	struct src_link *slinks;
	struct src_publish *spublishes;
	struct src_egress *segress;
	size_t *by_name;		/* hash of container names, built on demand */
	size_t nby_name;		/* its size, a power of two */
	size_t nindexed;		/* containers in it */
	const struct cfg_node *root;	/* the parsed file */
	/* links, read while the file is (policy_parse.c) */
	size_t nlinks_cap, nslinks_cap;
	size_t nports, nports_cap;	/* p->link_ports */
	struct name_pool names;
	struct icc_diags later;		/* their messages, until resolved */
	struct link_later *lat;
	size_t nlat, nlat_cap;
	uint32_t s1, s2;		/* splits of the element being read */
	char *text;			/* the file's buffer, from big_alloc() */
	size_t text_size;		/* 0: not ours to give back */
	char *dropped;			/* given back below this */
};

/* Records one problem of the policy at line (0: the file as a whole). */
void policy_err(struct policy_ctx *c, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The cross-object checks (policy_check.c). Runs on a model that holds
 * only objects whose own settings were valid, so a problem is reported
 * once and not again as a consequence.
 */
void policy_check(struct policy_ctx *c);

/*
 * policy_pipe.c: the elements cfg_parse_stream() hands over, given to fn
 * in order on a second thread. pipe_put() is a cfg_stream's elem (arg:
 * the pipe); pipe_close() waits for the rest and returns fn's first
 * error, or 0. pipe_open() fails (-EAGAIN, -ENOMEM) when no thread can
 * be had: call fn directly then.
 */
struct cfg_node;
/* Texts of this size and more have their links read by a pipe (tests
 * set it to read one text both ways). */
extern size_t policy_pipe_min;
typedef int elem_fn(void *arg, const struct cfg_node *e, uint32_t index,
		    char *dead_from, char *dead_to);
struct elem_pipe;
int pipe_open(struct elem_pipe **out, elem_fn *fn, void *arg);
int pipe_put(void *arg, const struct cfg_node *e, uint32_t index,
	     char *dead_from, char *dead_to);
int pipe_close(struct elem_pipe *p);

/* p->index from a checked model (policy_index.c): 0 or -ENOMEM. */
int policy_index(struct icc_policy *p);
void policy_index_free(struct icc_policy *p);

/* diags_add() with a va_list. */
int diags_vadd(struct icc_diags *d, const char *file, int line,
	       const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* Moves from->v[a..b) to the end of to; returns 0 or -ENOMEM. */
int diags_move(struct icc_diags *to, struct icc_diags *from, size_t a,
	       size_t b);

/* diags_sort() for d->v[from..]; earlier entries stay put. */
void diags_sort_from(struct icc_diags *d, size_t from);

/*
 * Strict text parsers: return 0, or -EINVAL and set *why to a short reason
 * (a static string). Dotted quads only: no leading zeros, no shorthand.
 */
int ipv4_parse(const char *s, struct in_addr *a, const char **why);
/* inet_pton's IPv6 text, without IPv4-mapped addresses (write a.b.c.d). */
int ipv6_parse(const char *s, struct in6_addr *a, const char **why);
/*
 * "a.b.c.d/len" with minlen <= len <= 32, or "ipv6/len" with minlen <= len
 * <= 128; bare_ok allows a bare address (/32, /128). Host bits are kept
 * as written: the caller decides what they mean.
 */
int prefix_parse(const char *s, unsigned minlen, bool bare_ok,
		 struct icc_prefix *p, const char **why);
/* tcp/N, udp/N, tcp/N-M, udp/N-M, icmp, any. */
int port_parse(const char *s, struct icc_port *pt, const char **why);

bool prefix_overlap(const struct icc_prefix *a, const struct icc_prefix *b);
bool port_overlap(const struct icc_port *a, const struct icc_port *b);

#endif
