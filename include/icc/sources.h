/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where container identities come from, read from files only (never the
 * Docker API socket, which is root on the host):
 *  - Docker: <root>/containers/<id>/config.v2.json (src/docker.c, json-c);
 *  - LXC: <lxcpath>/<name>/config (src/lxc.c).
 * Library code: nothing is printed. Entries that cannot be read or parsed
 * are skipped with a note in warn (a half-written file during a container
 * start must not stop the others from being found). Memory belongs to the
 * caller and is released with the matching *_free(), which accepts NULL.
 * Out of memory returns -ENOMEM.
 */
#ifndef ICC_SOURCES_H
#define ICC_SOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "icc/policy.h"

struct icc_docker_ctr {
	char *id;		/* "ID": the 64 hex digits */
	char *name;		/* "Name" without its leading '/' */
	char **labels;		/* "Config"."Labels" as "key=value", sorted */
	size_t nlabels;
	char *sandbox_key;	/* "NetworkSettings"."SandboxKey", NULL if empty */
	bool running;		/* "State"."Running" */
	int pid;		/* "State"."Pid", 0 if absent */
};

struct icc_docker {
	struct icc_docker_ctr *v;
	size_t n;
};

/*
 * Reads every <root>/containers/<id>/config.v2.json. A missing root or
 * containers folder is not an error (Docker not installed): 0 and no
 * entries. Returns 0 or -ENOMEM.
 */
int docker_scan(const char *root, struct icc_docker *out, struct icc_diags *warn);
/*
 * The same for one file's text (tests, and docker_scan's worker); file
 * names it in warn. Returns 0; -EINVAL when the text is not a container's
 * config (noted in warn, *out left empty); or -ENOMEM.
 */
int docker_parse(const char *json, const char *file, struct icc_docker_ctr *out,
		 struct icc_diags *warn);
void docker_free(struct icc_docker *d);
/* Frees what c holds, not c itself (it lives in an array). */
void docker_ctr_free(struct icc_docker_ctr *c);
/* True when c carries every "key=value" of want (n == 0: false). */
bool docker_has_labels(const struct icc_docker_ctr *c, char *const *want,
		       size_t n);

struct icc_lxc_net {
	char link[ICC_IFNAMSIZ];	/* lxc.net.N.link: the host bridge */
	char pair[ICC_IFNAMSIZ];	/* lxc.net.N.veth.pair, "" if unset */
	uint8_t hwaddr[6];		/* lxc.net.N.hwaddr */
	bool has_hwaddr;		/* a concrete MAC (no 'x' template) */
};

struct icc_lxc_ctr {
	char *name;			/* the folder name under lxcpath */
	struct icc_lxc_net *nets;	/* veth networks only */
	size_t nnets;
};

struct icc_lxc {
	struct icc_lxc_ctr *v;
	size_t n;
};

/*
 * Reads every <lxcpath>/<name>/config: lxc.net.N.{type,link,veth.pair,
 * hwaddr} and the LXC 2 spelling lxc.network.* (each lxc.network.type
 * starts a new network). A missing lxcpath: 0 and no entries.
 */
int lxc_scan(const char *lxcpath, struct icc_lxc *out, struct icc_diags *warn);
/*
 * One config's text for the container name; file names it in warn, with
 * the line. Values that cannot be used are noted and left unset; the
 * rest is kept. Returns 0 or -ENOMEM.
 */
int lxc_parse(const char *text, const char *name, const char *file,
	      struct icc_lxc_ctr *out, struct icc_diags *warn);
void lxc_free(struct icc_lxc *l);
/* Frees what c holds, not c itself. */
void lxc_ctr_free(struct icc_lxc_ctr *c);

#define SOURCE_FILE_MAX	(4 << 20)	/* Docker's files are KBs; bounds a corrupt one */

#endif
