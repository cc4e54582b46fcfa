// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * audit: host checks (audit.c), printed as a table or as JSON. Exit 1 when
 * any check fails, 0 otherwise, 2 on a usage or system error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "cli.h"
#include "icc/audit.h"

#define AUDIT_JSON_VERSION	1

static void print_text(const struct icc_audit *a)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct icc_audit_result *r = &a->v[i];

		printf("%s  %-21s %s%s%s\n", audit_status_name(r->status), r->id,
		       r->subject, r->subject[0] ? ": " : "", r->reason);
		if (r->fix[0])
			printf("      fix: %s\n", r->fix);
	}
	printf("score %u%% (%zu PASS, %zu WARN, %zu FAIL)\n", audit_score(a),
	       audit_count(a, ICC_AUDIT_PASS), audit_count(a, ICC_AUDIT_WARN),
	       audit_count(a, ICC_AUDIT_FAIL));
}

static int add_str(json_object *o, const char *key, const char *val)
{
	json_object *s = json_object_new_string(val);

	return s ? json_object_object_add(o, key, s) : -1;
}

static int add_int(json_object *o, const char *key, int64_t val)
{
	json_object *s = json_object_new_int64(val);

	return s ? json_object_object_add(o, key, s) : -1;
}

static json_object *result_json(const struct icc_audit_result *r)
{
	json_object *o = json_object_new_object();

	if (!o || add_str(o, "id", r->id) || add_str(o, "status",
		    audit_status_name(r->status)) || add_str(o, "subject", r->subject) ||
	    add_str(o, "reason", r->reason) || add_str(o, "fix", r->fix)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static json_object *audit_json(const struct icc_audit *a)
{
	json_object *root = json_object_new_object(), *v = json_object_new_array();
	int bad = !root || !v;

	for (size_t i = 0; i < a->n && !bad; i++) {
		json_object *r = result_json(&a->v[i]);

		bad = !r || json_object_array_add(v, r);
		if (bad)
			json_object_put(r);
	}
	if (bad || add_int(root, "version", AUDIT_JSON_VERSION) ||
	    add_int(root, "score", audit_score(a)) ||
	    add_int(root, "pass", (int64_t)audit_count(a, ICC_AUDIT_PASS)) ||
	    add_int(root, "warn", (int64_t)audit_count(a, ICC_AUDIT_WARN)) ||
	    add_int(root, "fail", (int64_t)audit_count(a, ICC_AUDIT_FAIL)) ||
	    json_object_object_add(root, "checks", v)) {
		json_object_put(v);
		json_object_put(root);
		return NULL;
	}
	return root;
}

static int print_json(const struct icc_audit *a)
{
	json_object *root = audit_json(a);
	const char *s = root ? json_object_to_json_string_ext(root,
				JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;

	if (s)
		printf("%s\n", s);
	json_object_put(root);
	return s ? 0 : -ENOMEM;
}

int cmd_audit(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json",          no_argument,       NULL, 'j' },
		{ "docker-config", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct icc_audit_opts o = { 0 };
	struct icc_audit a = { 0 };
	struct icc_policy *p;
	bool json = false;
	int opt, ret;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'j')
			json = true;
		else if (opt == 'd')
			o.docker_config = optarg;
		else
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "icc-policy: audit: unexpected '%s'\n", argv[optind]);
		return 2;
	}
	if (!(p = cli_load_policy(c)))
		return 2;
	ret = audit_run(p, &o, &a);
	if (ret < 0)
		cli_errno("audit", ret);
	else if (json)
		ret = print_json(&a);
	else
		print_text(&a);
	if (ret == -ENOMEM)
		fprintf(stderr, "icc-policy: audit: %s\n", strerror(ENOMEM));
	if (ret == 0)
		ret = audit_count(&a, ICC_AUDIT_FAIL) ? 1 : 0;
	else
		ret = 2;
	audit_free(&a);
	policy_free(p);
	return ret;
}
