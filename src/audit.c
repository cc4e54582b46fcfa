// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The audit: its list of results and score, and the checks that the
 * reconcile plan answers (the very steps `icc-policy diff` runs, nothing
 * sent): bridges reaching netfilter, forwarding, our tables in sync, and
 * ports on managed bridges that no policy container covers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "icc/audit.h"
#include "icc/plan.h"

#define PORTS_LISTED	8	/* uncovered ports named per bridge, at most */

const char *audit_status_name(enum icc_audit_status s)
{
	return s == ICC_AUDIT_PASS ? "PASS" : s == ICC_AUDIT_WARN ? "WARN" : "FAIL";
}

/* Room for more results. Returns 0 or -ENOMEM. */
static int audit_reserve(struct icc_audit *a, size_t more)
{
	struct icc_audit_result *r;
	size_t cap = a->cap ? a->cap : 16;

	if (a->n + more <= a->cap)
		return 0;
	while (cap < a->n + more)
		cap *= 2;
	r = reallocarray(a->v, cap, sizeof(*r));
	if (!r)
		return -ENOMEM;
	a->v = r;
	a->cap = cap;
	return 0;
}

int audit_add(struct icc_audit *a, const char *id, enum icc_audit_status s,
	      const char *subject, const char *fix, const char *fmt, ...)
{
	struct icc_audit_result *r;
	va_list ap;
	int len;

	if (audit_reserve(a, 1) < 0)
		return -ENOMEM;
	r = &a->v[a->n];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->status = s;
	va_start(ap, fmt);
	len = vasprintf(&r->reason, fmt, ap);
	va_end(ap);
	r->subject = strdup(subject ? subject : "");
	r->fix = strdup(fix ? fix : "");
	if (len < 0 || !r->subject || !r->fix) {
		if (len >= 0)
			free(r->reason);
		free(r->subject);
		free(r->fix);
		return -ENOMEM;
	}
	a->n++;
	return 0;
}

void audit_truncate(struct icc_audit *a, size_t n)
{
	for (; a && a->n > n; a->n--) {
		free(a->v[a->n - 1].subject);
		free(a->v[a->n - 1].reason);
		free(a->v[a->n - 1].fix);
	}
}

void audit_free(struct icc_audit *a)
{
	if (!a)
		return;
	audit_truncate(a, 0);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

size_t audit_count(const struct icc_audit *a, enum icc_audit_status s)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		n += a->v[i].status == s;
	return n;
}

unsigned audit_score(const struct icc_audit *a)
{
	size_t half = 2 * audit_count(a, ICC_AUDIT_PASS) +
		      audit_count(a, ICC_AUDIT_WARN);

	return a->n ? (unsigned)(half * 100 / (2 * a->n)) : 100;
}

/* ---- br-netfilter ---- */

/* A diag kernel_plan() left about bridge b (its line, its name), or NULL. */
static const char *diag_about(const struct icc_diags *d,
			      const struct icc_bridge *b)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].line == b->line && strstr(d->v[i].msg, b->name))
			return d->v[i].msg;
	return NULL;
}

static bool knob_for(const struct icc_knobs *k, enum icc_knob_kind kind,
		     const char *target)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].kind == kind && !strcmp(k->v[i].target, target))
			return true;
	return false;
}

/*
 * The bridge's own flag is off. The namespace-wide sysctl may still pass
 * its traffic to the hooks (the same rule status uses): then it is only
 * one sysctl away from bypassing the rules.
 */
static int check_flags(const struct icc_bridge *b, bool nf4, bool nf6,
		       const char *fix, struct icc_audit *a)
{
	const char *flags = nf4 && nf6 ? "nf_call_iptables and nf_call_ip6tables" :
			    nf4 ? "nf_call_iptables" : "nf_call_ip6tables";
	struct icc_bridge_state st;
	int ret = kernel_bridge_state(b->name, &st);

	if (ret < 0)
		return ret;
	if (st.nf_call4 && st.nf_call6)
		return audit_add(a, AUDIT_BR_NETFILTER, ICC_AUDIT_WARN, b->name, fix,
				 "%s = 0 on the bridge: its traffic meets the rules only because net.bridge.bridge-nf-call-ip(6)tables is 1 in this namespace",
				 flags);
	return audit_add(a, AUDIT_BR_NETFILTER, ICC_AUDIT_FAIL, b->name, fix,
			 "%s = 0 and the namespace's bridge-nf-call sysctl off: traffic between its ports is switched without meeting the rules",
			 flags);
}

/* plan_ret < 0: kernel_plan() stopped and kept no knob (see kernel.h). */
static int check_bridge(const struct icc_plan *pl, int plan_ret,
			const struct icc_bridge *b, const struct icc_diags *warn,
			const struct icc_diags *err, struct icc_audit *a)
{
	const char *fix = "icc-policy apply (it sets both flags), and modprobe br_netfilter at boot";
	bool nf4 = knob_for(&pl->knobs, ICC_KNOB_BR_NF_CALL_IPTABLES, b->name);
	bool nf6 = knob_for(&pl->knobs, ICC_KNOB_BR_NF_CALL_IP6TABLES, b->name);
	const char *msg;

	if ((msg = diag_about(err, b)))
		return audit_add(a, AUDIT_BR_NETFILTER, ICC_AUDIT_FAIL, b->name,
				 fix, "%s", msg);
	if ((msg = diag_about(warn, b)))
		return audit_add(a, AUDIT_BR_NETFILTER, ICC_AUDIT_WARN, b->name,
				 "create the bridge, then icc-policy apply (icc-policyd does it as it appears)",
				 "%s", msg);
	if (plan_ret < 0)
		return audit_add(a, AUDIT_BR_NETFILTER, ICC_AUDIT_WARN, b->name,
				 "fix the other bridges' FAILs first",
				 "not evaluated: another policy bridge stops the check");
	if (nf4 || nf6)
		return check_flags(b, nf4, nf6, fix, a);
	return audit_add(a, AUDIT_BR_NETFILTER, ICC_AUDIT_PASS, b->name, NULL,
			 "br_netfilter loaded; nf_call_iptables and nf_call_ip6tables = 1");
}

static int check_bridges(const struct icc_plan *pl, int plan_ret,
			 const struct icc_diags *warn,
			 const struct icc_diags *err, struct icc_audit *a)
{
	int ret = 0;

	for (size_t i = 0; i < pl->p->nbridges && !ret; i++)
		ret = check_bridge(pl, plan_ret, &pl->p->bridges[i], warn, err, a);
	return ret;
}

/* ---- forwarding ---- */

static int check_forwarding(const struct icc_plan *pl, int plan_ret,
			    struct icc_audit *a)
{
	const char *fix = "icc-policy apply";
	int ret = 0;
	bool bad = false;

	if (plan_ret < 0)
		return audit_add(a, AUDIT_FORWARDING, ICC_AUDIT_WARN, "", fix,
				 "not evaluated: the bridges must be fixed first (see br-netfilter)");
	for (size_t i = 0; i < pl->knobs.n && !ret; i++) {
		const struct icc_knob *k = &pl->knobs.v[i];

		if (k->kind == ICC_KNOB_IP_FORWARD || k->kind == ICC_KNOB_IP6_FORWARD) {
			bad = true;
			ret = audit_add(a, AUDIT_FORWARDING, ICC_AUDIT_FAIL,
					k->kind == ICC_KNOB_IP_FORWARD ?
					"net.ipv4.ip_forward" : "net.ipv6.conf.all.forwarding",
					fix, "0, but the policy routes containers (%s:%d needs it)",
					pl->p->file, k->line);
		} else if (k->kind == ICC_KNOB_ACCEPT_RA) {
			bad = true;
			ret = audit_add(a, AUDIT_FORWARDING, ICC_AUDIT_WARN, k->target, fix,
					"accept_ra = 1: with forwarding on, the uplink ignores router advertisements");
		}
	}
	if (!bad && !ret)
		ret = audit_add(a, AUDIT_FORWARDING, ICC_AUDIT_PASS, "", NULL,
				"forwarding is as the policy needs it");
	return ret;
}

/* ---- tables ---- */

static int check_tables(const struct icc_plan *pl, int diff_ret,
			struct icc_audit *a)
{
	const struct icc_ruleset *live = pl->live;
	size_t n;

	if (diff_ret == -EEXIST)
		return audit_add(a, AUDIT_TABLES, ICC_AUDIT_FAIL, "inet icc",
				 "find out who made it; delete it, then icc-policy apply",
				 "a table icc exists that icc-policy did not make (no \"%s\" comment)",
				 ICC_TABLE_COMMENT);
	if (!live || !pl->have_diff)
		return diff_ret;
	n = diff_count(&pl->diff);
	if (!live->present)
		return audit_add(a, AUDIT_TABLES, ICC_AUDIT_FAIL, "inet icc",
				 "icc-policy apply", "tables inet icc and bridge icc are not loaded: nothing is enforced");
	if (pl->diff.mode != ICC_DIFF_ELEMS)
		return audit_add(a, AUDIT_TABLES, ICC_AUDIT_FAIL, "inet icc",
				 "icc-policy diff shows it; icc-policy apply replaces the tables",
				 "the live tables were changed by someone else: %s",
				 live->ndrift ? live->drift[0] : "structure differs");
	if (n)
		return audit_add(a, AUDIT_TABLES, ICC_AUDIT_FAIL, "inet icc",
				 "icc-policy diff shows them; icc-policy apply",
				 "%zu set element%s differ%s from the policy and the containers running now",
				 n, n == 1 ? "" : "s", n == 1 ? "s" : "");
	return audit_add(a, AUDIT_TABLES, ICC_AUDIT_PASS, "inet icc", NULL,
			 "tables inet icc and bridge icc match %s", pl->p->file);
}

/* ---- uncovered containers ---- */

static int uncovered_list(const struct icc_world *w, unsigned b, char **out,
			  size_t *n)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);

	*n = 0;
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < w->n; i++) {
		const struct icc_member *m = &w->v[i];
		char s[INET_ADDRSTRLEN];

		if (m->bridge != b || m->ncontainers || ++*n > PORTS_LISTED)
			continue;
		fprintf(f, "%s%s", *n > 1 ? ", " : "", m->ifname);
		if (m->who[0])
			fprintf(f, " (%s)", m->who);
		else if (m->naddrs)
			fprintf(f, " (%s)", inet_ntop(AF_INET, &m->addrs[0], s, sizeof(s)));
	}
	if (*n > PORTS_LISTED)
		fprintf(f, " and %zu more", *n - PORTS_LISTED);
	return fclose(f) ? -ENOMEM : 0;
}

static int check_uncovered(const struct icc_plan *pl, struct icc_audit *a)
{
	int ret = 0;

	for (unsigned b = 0; b < pl->p->nbridges && !ret; b++) {
		const char *br = pl->p->bridges[b].name;
		char *list = NULL;
		size_t n;

		if ((ret = uncovered_list(&pl->world, b, &list, &n)) < 0)
			break;
		if (n)
			ret = audit_add(a, AUDIT_UNCOVERED, ICC_AUDIT_WARN, br,
					"add a container entry (ip, name or labels) for each, or remove them from the bridge",
					"%zu port%s no policy container covers: %s; they get no links, and their bridge's egress applies to them",
					n, n == 1 ? "" : "s", list);
		else
			ret = audit_add(a, AUDIT_UNCOVERED, ICC_AUDIT_PASS, br, NULL,
					"every port is a policy container");
		free(list);
	}
	return ret;
}

/* ---- run ---- */

/* Moves every result of src to the end of dst; src is left empty. */
static int audit_move(struct icc_audit *dst, struct icc_audit *src)
{
	if (audit_reserve(dst, src->n) < 0)
		return -ENOMEM;
	memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	src->n = 0;
	return 0;
}

/* br-netfilter, forwarding, tables into a; uncovered-containers into tail. */
static int run_plan(const struct icc_policy *p, struct icc_audit *a,
		    struct icc_audit *tail)
{
	struct icc_diags notes = { 0 }, warn = { 0 }, err = { 0 };
	struct icc_plan pl;
	struct icc_nft *nft = NULL;
	int ret, plan_ret, diff_ret = -EINVAL;

	plan_ret = plan_want(&pl, p, NULL, &notes, &warn, &err);
	if (plan_ret < 0 && !plan_knob_error(plan_ret)) {
		ret = plan_ret;
		goto out;
	}
	if ((ret = nft_open(&nft)) < 0)
		goto out;
	if (pl.want)
		diff_ret = plan_diff(&pl, nft);
	if ((ret = check_bridges(&pl, plan_ret, &warn, &err, a)) < 0 ||
	    (ret = check_forwarding(&pl, plan_ret, a)) < 0 ||
	    (ret = check_tables(&pl, diff_ret, a)) < 0)
		goto out;
	ret = check_uncovered(&pl, tail);
out:
	nft_close(nft);
	plan_free(&pl);
	diags_free(&notes);
	diags_free(&warn);
	diags_free(&err);
	return ret;
}

int audit_run(const struct icc_policy *p, const struct icc_audit_opts *o,
	      struct icc_audit *a)
{
	struct icc_audit tail = { 0 }, nft = { 0 };
	const char *docker = o && o->docker_config ? o->docker_config
						   : AUDIT_DOCKER_CONFIG;
	bool guard = false;
	int ret;

	/* In the order of the ids in audit.h. */
	if ((ret = run_plan(p, a, &tail)) < 0 ||
	    (ret = audit_nft(&nft, &guard)) < 0 ||
	    (ret = audit_localnet(guard, a)) < 0 ||
	    (ret = audit_docker(p, docker, a)) < 0 ||
	    (ret = audit_move(a, &nft)) < 0 ||
	    (ret = audit_move(a, &tail)) < 0)
		goto out;
	ret = audit_daemons(p, a);
out:
	audit_free(&nft);
	audit_free(&tail);
	return ret;
}
