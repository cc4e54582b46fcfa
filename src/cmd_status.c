// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * icc-policy status [--json]: what is enforced here and now. The same
 * plan as diff (discover, bind, compile, read back), plus counters. The
 * JSON form is documented in icc-policy(8) and stable: fields may be
 * added, never renamed or removed without bumping "version".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <json-c/json.h>

#include "cli.h"
#include "icc/status.h"

#define STATUS_JSON_VERSION 1

struct view {
	const struct icc_plan *pl;
	const struct icc_status *st;
	const char *config;
};

static const char *ruleset_state(const struct icc_plan *pl)
{
	if (!pl->live || !pl->live->present)
		return "absent";
	if (!pl->live->owned)
		return "not ours";
	return plan_count(pl) ? "drift" : "in sync";
}

/* The port a policy container is on now, or NULL. */
static const struct icc_member *port_of(const struct icc_world *w, size_t c)
{
	for (size_t i = 0; i < w->n; i++)
		for (size_t j = 0; j < w->v[i].ncontainers; j++)
			if (w->v[i].containers[j] == c)
				return &w->v[i];
	return NULL;
}

static const char *ident_name(enum icc_ident id)
{
	return id == ICC_ID_IP ? "ip" : id == ICC_ID_NAME ? "name" : "labels";
}

static json_object *jcount(const struct icc_count *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "packets", json_object_new_uint64(c->packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(c->bytes));
	return o;
}

static json_object *jaddrs(const void *v, size_t n, bool v6)
{
	json_object *a = json_object_new_array();
	char s[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(inet_ntop(
			v6 ? AF_INET6 : AF_INET,
			(const uint8_t *)v + i * (v6 ? 16 : 4), s, sizeof(s))));
	return a;
}

static void mac_str(const struct icc_member *m, char s[18])
{
	snprintf(s, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m->mac[0], m->mac[1],
		 m->mac[2], m->mac[3], m->mac[4], m->mac[5]);
}

/* Port, MAC, addresses and who discovery says it is. */
static void jport(json_object *o, const struct icc_member *m)
{
	char mac[18];

	json_object_object_add(o, "port", m ? json_object_new_string(m->ifname) : NULL);
	if (m && m->has_mac)
		mac_str(m, mac);
	json_object_object_add(o, "mac", m && m->has_mac ? json_object_new_string(mac) : NULL);
	json_object_object_add(o, "ipv4", jaddrs(m ? m->addrs : NULL, m ? m->naddrs : 0, false));
	json_object_object_add(o, "ipv6", jaddrs(m ? m->addrs6 : NULL, m ? m->naddrs6 : 0, true));
	json_object_object_add(o, "found_as", m && m->who[0] ?
			       json_object_new_string(m->who) : NULL);
}

static json_object *jbridges(const struct view *v)
{
	const struct icc_policy *p = v->pl->p;
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < p->nbridges; i++) {
		const struct icc_bridge_state *b = &v->st->bridges[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(p->bridges[i].name));
		json_object_object_add(o, "exists", json_object_new_boolean(b->exists && b->is_bridge));
		json_object_object_add(o, "br_netfilter", json_object_new_boolean(b->br_netfilter));
		json_object_object_add(o, "nf_call_iptables", json_object_new_boolean(b->nf_call4));
		json_object_object_add(o, "nf_call_ip6tables", json_object_new_boolean(b->nf_call6));
		json_object_object_add(o, "filtered",
				       json_object_new_boolean(status_bridge_filtered(v->st, i)));
		json_object_object_add(o, "log", json_object_new_string(
					       p->bridges[i].log ? "denied" : "none"));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *jcontainers(const struct view *v)
{
	const struct icc_policy *p = v->pl->p;
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < p->ncontainers; i++) {
		const struct icc_member *m = port_of(&v->pl->world, i);
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(p->containers[i].name));
		json_object_object_add(o, "bridge", json_object_new_string(
					       p->bridges[p->containers[i].bridge].name));
		json_object_object_add(o, "identified_by", json_object_new_string(
					       ident_name(p->containers[i].ident)));
		json_object_object_add(o, "present", json_object_new_boolean(m != NULL));
		jport(o, m);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *junknown(const struct view *v)
{
	const struct icc_world *w = &v->pl->world;
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < w->n; i++) {
		json_object *o;

		if (w->v[i].ncontainers)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "bridge", json_object_new_string(
					       v->pl->p->bridges[w->v[i].bridge].name));
		jport(o, &w->v[i]);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *jports(const struct icc_port *pt, size_t n)
{
	json_object *a = json_object_new_array();
	char s[PORT_STRLEN];

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(port_str(&pt[i], s)));
	return a;
}

static void jitem(json_object *o, const struct icc_status_item *it, int line)
{
	json_object_object_add(o, "line", json_object_new_int(line));
	json_object_object_add(o, "elements", json_object_new_int64((int64_t)it->nelems));
	json_object_object_add(o, "live", json_object_new_int64((int64_t)it->nlive));
	json_object_object_add(o, "packets", json_object_new_uint64(it->c.packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(it->c.bytes));
}

static json_object *jlinks(const struct view *v)
{
	const struct icc_policy *p = v->pl->p;
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < p->nlinks; i++) {
		const struct icc_link *l = &p->links[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "from", json_object_new_string(p->containers[l->from].name));
		json_object_object_add(o, "to", json_object_new_string(p->containers[l->to].name));
		json_object_object_add(o, "ports", jports(l->ports, l->nports));
		jitem(o, &v->st->links[i], l->line);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *jpublishes(const struct view *v)
{
	const struct icc_policy *p = v->pl->p;
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < p->npublishes; i++) {
		const struct icc_publish *u = &p->publishes[i];
		struct icc_port pt = { u->proto, u->port, u->port, 0 };
		char host[HOST_STRLEN], port[PORT_STRLEN];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "container", json_object_new_string(p->containers[u->container].name));
		json_object_object_add(o, "port", json_object_new_string(port_str(&pt, port)));
		json_object_object_add(o, "host", json_object_new_string(host_str(u, host)));
		jitem(o, &v->st->publishes[i], u->line);
		json_object_array_add(a, o);
	}
	return a;
}

/* Counters of rules are only known while our tables are intact: null. */
static json_object *jdrops(const struct view *v)
{
	json_object *o = json_object_new_object();
	bool known = v->pl->live && v->pl->live->intact;

	for (int k = ICC_DROP_NONE + 1; k < ICC_NDROPS; k++)
		json_object_object_add(o, icc_drop_names[k], known ?
				       jcount(&v->st->drops[k]) : NULL);
	return o;
}

static json_object *status_json(const struct view *v)
{
	json_object *o = json_object_new_object(), *d = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_int(STATUS_JSON_VERSION));
	json_object_object_add(o, "policy", json_object_new_string(v->config));
	json_object_object_add(o, "ruleset", json_object_new_string(ruleset_state(v->pl)));
	json_object_object_add(o, "changes", json_object_new_int64((int64_t)plan_count(v->pl)));
	json_object_object_add(d, "running", json_object_new_boolean(v->st->daemon));
	json_object_object_add(d, "policy", v->st->daemon ?
			       json_object_new_string(v->st->daemon_policy) : NULL);
	json_object_object_add(o, "daemon", d);
	json_object_object_add(o, "bridges", jbridges(v));
	json_object_object_add(o, "containers", jcontainers(v));
	json_object_object_add(o, "unknown_ports", junknown(v));
	json_object_object_add(o, "links", jlinks(v));
	json_object_object_add(o, "publishes", jpublishes(v));
	json_object_object_add(o, "drops", jdrops(v));
	return o;
}

/* The text form is printed from the JSON tree: one source of truth. */
static const char *str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ?
	       json_object_get_string(v) : "-";
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static void print_list(json_object *a)
{
	size_t n = a ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? "," : " ",
		       json_object_get_string(json_object_array_get_idx(a, i)));
}

static void text_port(json_object *c)
{
	printf(" port %s mac %s", str(c, "port"), str(c, "mac"));
	print_list(get(c, "ipv4"));
	print_list(get(c, "ipv6"));
	if (get(c, "found_as"))
		printf(" (%s)", str(c, "found_as"));
	putchar('\n');
}

static void text_bridges(json_object *a)
{
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *b = json_object_array_get_idx(a, i);

		printf("  %s: %s", str(b, "name"),
		       json_object_get_boolean(get(b, "filtered")) ? "filtered" :
		       !json_object_get_boolean(get(b, "exists")) ? "NOT FILTERED (absent)" :
		       "NOT FILTERED (bridged traffic bypasses the hooks)");
		printf(" br_netfilter=%s nf_call_iptables=%s nf_call_ip6tables=%s log=%s\n",
		       str(b, "br_netfilter"), str(b, "nf_call_iptables"),
		       str(b, "nf_call_ip6tables"), str(b, "log"));
	}
}

static void text_containers(json_object *a, bool known)
{
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *c = json_object_array_get_idx(a, i);

		if (known)
			printf("  %s on %s by %s:", str(c, "name"), str(c, "bridge"),
			       str(c, "identified_by"));
		else
			printf("  on %s:", str(c, "bridge"));
		if (known && !json_object_get_boolean(get(c, "present")))
			printf(" not present\n");
		else
			text_port(c);
	}
}

static void text_items(json_object *a, bool links)
{
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *l = json_object_array_get_idx(a, i);

		if (links) {
			printf("  %s -> %s", str(l, "from"), str(l, "to"));
			print_list(get(l, "ports"));
		} else {
			printf("  %s %s on %s", str(l, "container"), str(l, "port"),
			       str(l, "host"));
		}
		printf(": %s packets, %s bytes (%s of %s elements live, line %s)\n",
		       str(l, "packets"), str(l, "bytes"), str(l, "live"),
		       str(l, "elements"), str(l, "line"));
	}
}

static void print_text(json_object *o)
{
	json_object *d = get(o, "daemon");

	printf("policy: %s\nruleset: %s (%s changes pending)\n", str(o, "policy"),
	       str(o, "ruleset"), str(o, "changes"));
	if (json_object_get_boolean(get(d, "running")))
		printf("daemon: running, enforcing %s\n", str(d, "policy"));
	else
		printf("daemon: not running\n");
	printf("bridges:\n");
	text_bridges(get(o, "bridges"));
	printf("containers:\n");
	text_containers(get(o, "containers"), true);
	printf("ports no policy container covers:\n");
	text_containers(get(o, "unknown_ports"), false);
	printf("links:\n");
	text_items(get(o, "links"), true);
	printf("publishes:\n");
	text_items(get(o, "publishes"), false);
	printf("drops:\n");
	json_object_object_foreach(get(o, "drops"), k, c)
		if (c)
			printf("  %s: %s packets, %s bytes\n", k, str(c, "packets"),
			       str(c, "bytes"));
		else
			printf("  %s: unknown (the tables are not intact)\n", k);
}

/* Everything status needs; a bridge without br_netfilter is reported, not fatal. */
static int gather(const struct cli *c, struct icc_plan *pl, struct icc_nft **nft,
		  struct icc_status *st)
{
	struct icc_diags notes = { 0 }, warn = { 0 }, err = { 0 };
	int ret = plan_want(pl, pl->p, NULL, &notes, &warn, &err);

	cli_diags(&notes, c->verbose);
	cli_diags(&warn, c->verbose);
	cli_diags(&err, c->verbose);
	if (ret < 0 && !plan_knob_error(ret)) {
		cli_errno("cannot compute the ruleset", ret);
		return 2;
	}
	/* -EEXIST: a table icc not ours; reported as "not ours" */
	if ((ret = nft_open(nft)) < 0 ||
	    ((ret = plan_diff(pl, *nft)) < 0 && ret != -EEXIST) ||
	    (ret = status_collect(pl, st)) < 0) {
		cli_errno("cannot read the live state", ret);
		return 2;
	}
	return 0;
}

int cmd_status(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct icc_policy *p;
	struct icc_plan pl = { 0 };
	struct icc_status st = { 0 };
	struct icc_nft *nft = NULL;
	bool json = false;
	int o, ret;

	optind = 1;
	while ((o = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (o != 'j')
			return 2;
		json = true;
	}
	if (optind < argc) {
		fprintf(stderr, "icc-policy: status: unexpected '%s'\n", argv[optind]);
		return 2;
	}
	if (!(p = cli_load_policy(c)))
		return 1;
	pl.p = p;
	ret = gather(c, &pl, &nft, &st);
	if (!ret) {
		struct view v = { &pl, &st, c->config };
		json_object *tree = status_json(&v);

		if (json)
			puts(json_object_to_json_string_ext(tree, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
		else
			print_text(tree);
		json_object_put(tree);
		ret = strcmp(ruleset_state(&pl), "in sync") ? 1 : 0;
	}
	status_free(&st);
	plan_free(&pl);
	nft_close(nft);
	policy_free(p);
	return ret;
}
