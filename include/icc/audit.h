/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `icc-policy audit`: host checks, each PASS, WARN or FAIL with a reason
 * and a fix. Checks only read (the kernel over netlink, /proc, files);
 * nothing is changed. One file per stage: audit.c (the list, the score,
 * the checks the reconcile plan answers: bridges, forwarding, tables,
 * uncovered containers), audit_nft.c (every table's rules: the loopback
 * guard, foreign DNATs), audit_docker.c (daemon.json), audit_proc.c
 * (route_localnet, running daemons' capabilities).
 *
 * Library code: nothing printed. Functions return 0 or a negative errno
 * (-ENOMEM when out of memory); results are owned by struct icc_audit and
 * released by audit_free().
 */
#ifndef ICC_AUDIT_H
#define ICC_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "icc/policy.h"

struct nftnl_rule;

enum icc_audit_status { ICC_AUDIT_PASS, ICC_AUDIT_WARN, ICC_AUDIT_FAIL };

/* Stable check ids (the JSON "id" field). */
#define AUDIT_BR_NETFILTER	"br-netfilter"
#define AUDIT_FORWARDING	"forwarding"
#define AUDIT_TABLES		"tables"
#define AUDIT_ROUTE_LOCALNET	"route-localnet"
#define AUDIT_DOCKER_ICC	"docker-icc"
#define AUDIT_DOCKER_PROXY	"docker-userland-proxy"
#define AUDIT_DOCKER_IP		"docker-ip"
#define AUDIT_DOCKER_IPTABLES	"docker-iptables"
#define AUDIT_FOREIGN_PUBLISH	"foreign-publish"
#define AUDIT_UNCOVERED		"uncovered-containers"
#define AUDIT_DAEMON_CAPS	"daemon-caps"

#define AUDIT_DOCKER_CONFIG	"/etc/docker/daemon.json"
#define AUDIT_DOCKER_ETC	"/etc/docker"

/* One finding; subject is "" when the check is about the whole host. */
struct icc_audit_result {
	const char *id;		/* one of AUDIT_*, static */
	enum icc_audit_status status;
	char *subject;
	char *reason;
	char *fix;		/* "" for PASS */
};

struct icc_audit {
	struct icc_audit_result *v;
	size_t n, cap;
};

struct icc_audit_opts {
	const char *docker_config;	/* NULL: AUDIT_DOCKER_CONFIG */
};

/*
 * Runs every check against the calling process's network namespace and
 * the host's files, appending results in a fixed order (that of the ids
 * above); every id appears at least once. Returns 0 or -errno when a
 * check could not run at all (reading the ruleset: -EPERM without
 * CAP_NET_ADMIN).
 */
int audit_run(const struct icc_policy *p, const struct icc_audit_opts *o,
	      struct icc_audit *a);

/* Appends one result (fix NULL: ""). Returns 0 or -ENOMEM. */
int audit_add(struct icc_audit *a, const char *id, enum icc_audit_status s,
	      const char *subject, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void audit_free(struct icc_audit *a);
/* Drops the results past the first n. */
void audit_truncate(struct icc_audit *a, size_t n);

/* "PASS", "WARN", "FAIL". */
const char *audit_status_name(enum icc_audit_status s);
/* 100 * (PASS + WARN / 2) / results, rounded down; 100 with no results. */
unsigned audit_score(const struct icc_audit *a);
size_t audit_count(const struct icc_audit *a, enum icc_audit_status s);

/* ---- the stages (pure parts are unit tested) ---- */

/*
 * daemon.json: text is the file's contents, or NULL when the file does not
 * exist (Docker's defaults apply). Appends one result for each of the four
 * docker-* ids. Returns 0 or -ENOMEM.
 */
int audit_docker_eval(const char *text, const char *file, struct icc_audit *a);
/* Finds and reads the file (see icc-policy(8)), then audit_docker_eval(). */
int audit_docker(const struct icc_policy *p, const char *file,
		 struct icc_audit *a);

/*
 * Capabilities the daemon needs for p: CAP_NET_ADMIN and CAP_NET_BROADCAST
 * always, CAP_NET_BIND_SERVICE when it relays a [::1] publish on a port
 * below 1024.
 */
uint64_t audit_daemon_needs(const struct icc_policy *p);
/*
 * One running daemon's effective set against what it needs: appends one
 * daemon-caps result for pid. Returns 0 or -ENOMEM.
 */
int audit_caps_eval(long pid, uint64_t eff, uint64_t needed,
		    struct icc_audit *a);
/* Every icc-policyd in our network namespace (or a WARN: none runs). */
int audit_daemons(const struct icc_policy *p, struct icc_audit *a);
/* route_localnet on every interface, given whether the guard is live. */
int audit_localnet(bool guard_live, struct icc_audit *a);

/* What a foreign rule translates: an unrestricted DNAT, its match. */
struct icc_dnat {
	uint8_t proto;		/* IPPROTO_*, 0: any or unknown */
	uint16_t port;		/* 0: any or unknown */
	bool port_set;		/* the port is matched by a set or range */
};
/*
 * Whether r translates destinations (nft's dnat or xtables' DNAT target)
 * on every local address: no match on ip daddr / ip6 daddr. Fills d.
 */
bool audit_rule_dnat(const struct nftnl_rule *r, struct icc_dnat *d);
/*
 * Reads every table of families ip, ip6 and inet: *guard_live tells
 * whether our loopback guard runs (table inet icc active, chain raw_pre
 * on prerouting, the guard rule in it); results for foreign-publish (and
 * iptables-legacy tables nobody can read over nf_tables) are appended.
 */
int audit_nft(struct icc_audit *a, bool *guard_live);

#endif
