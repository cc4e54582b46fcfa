// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Docker's daemon.json: the four settings that decide whether Docker
 * opens paths around the policy. A missing file means Docker's defaults
 * (icc true, userland-proxy true, ip 0.0.0.0, iptables true), but only
 * where Docker is installed.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <json-c/json.h>

#include "icc/audit.h"
#include "icc/fileio.h"

#define DAEMON_JSON_MAX	(1 << 20)

/* One boolean setting: its value, Docker's default, and what it means. */
struct docker_bool {
	const char *id, *key;
	bool dflt, want;
	enum icc_audit_status bad;
	const char *why;	/* when it is not `want` */
};

static const struct docker_bool bools[] = {
	{ AUDIT_DOCKER_ICC, "icc", true, false, ICC_AUDIT_WARN,
	  "Docker lets the containers of its default bridge talk to each other; only the policy's rules stop them" },
	{ AUDIT_DOCKER_PROXY, "userland-proxy", true, false, ICC_AUDIT_FAIL,
	  "Docker's published ports are served by docker-proxy on the host, whose connections to the containers come from the host and never cross the forward hook the policy filters" },
	{ AUDIT_DOCKER_IPTABLES, "iptables", true, false, ICC_AUDIT_WARN,
	  "Docker writes its own NAT rules: its published ports (-p) are translated outside the policy; the policy publishes and masquerades itself" },
};

static int eval_bool(json_object *root, const struct docker_bool *b,
		     const char *file, struct icc_audit *a)
{
	json_object *v = NULL;
	bool val = b->dflt, set = root && json_object_object_get_ex(root, b->key, &v);
	char fix[600];

	snprintf(fix, sizeof(fix), "\"%s\": %s in %s, then restart Docker", b->key,
		 b->want ? "true" : "false", file);
	if (set && !json_object_is_type(v, json_type_boolean))
		return audit_add(a, b->id, ICC_AUDIT_FAIL, file, fix,
				 "\"%s\" is not a boolean: Docker refuses the file", b->key);
	if (set)
		val = json_object_get_boolean(v);
	if (val == b->want)
		return audit_add(a, b->id, ICC_AUDIT_PASS, file, NULL, "\"%s\": %s",
				 b->key, val ? "true" : "false");
	return audit_add(a, b->id, b->bad, file, fix, "\"%s\": %s%s: %s", b->key,
			 val ? "true" : "false", set ? "" : " (Docker's default)", b->why);
}

static bool is_loopback(const char *s)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, s, &a4) == 1)
		return policy_is_loopback(a4);
	return inet_pton(AF_INET6, s, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static int eval_ip(json_object *root, const char *file, struct icc_audit *a)
{
	char fix[600];
	json_object *v = NULL;
	bool set = root && json_object_object_get_ex(root, "ip", &v);
	const char *ip = "0.0.0.0";

	snprintf(fix, sizeof(fix), "\"ip\": \"127.0.0.1\" in %s, then restart Docker; publish with the policy",
		 file);
	if (set && !json_object_is_type(v, json_type_string))
		return audit_add(a, AUDIT_DOCKER_IP, ICC_AUDIT_FAIL, file, fix,
				 "\"ip\" is not a string: Docker refuses the file");
	if (set)
		ip = json_object_get_string(v);
	if (is_loopback(ip))
		return audit_add(a, AUDIT_DOCKER_IP, ICC_AUDIT_PASS, file, NULL,
				 "\"ip\": \"%s\": ports published with -p and no address listen on loopback only",
				 ip);
	return audit_add(a, AUDIT_DOCKER_IP, ICC_AUDIT_WARN, file, fix,
			 "\"ip\": \"%s\"%s: ports published with -p and no address are open on that address, outside the policy's allow_from",
			 ip, set ? "" : " (Docker's default)");
}

static int eval_all(json_object *root, const char *file, struct icc_audit *a)
{
	int ret = eval_bool(root, &bools[0], file, a);

	if (!ret)
		ret = eval_bool(root, &bools[1], file, a);
	if (!ret)
		ret = eval_ip(root, file, a);
	if (!ret)
		ret = eval_bool(root, &bools[2], file, a);
	return ret;
}

static const char *const docker_ids[] = { AUDIT_DOCKER_ICC, AUDIT_DOCKER_PROXY,
					  AUDIT_DOCKER_IP, AUDIT_DOCKER_IPTABLES };

/* The same result for each of the four settings. */
static int all_four(struct icc_audit *a, enum icc_audit_status s,
		    const char *file, const char *fix, const char *reason)
{
	int ret = 0;

	for (size_t i = 0; i < 4 && !ret; i++)
		ret = audit_add(a, docker_ids[i], s, file, fix, "%s", reason);
	return ret;
}

/* The file cannot be used. */
static int fail_all(const char *file, const char *why, struct icc_audit *a)
{
	char reason[512];

	snprintf(reason, sizeof(reason), "%s: %s", file, why);
	return all_four(a, ICC_AUDIT_FAIL, file,
			"fix the file: Docker refuses to start with it", reason);
}

/* Why text is not one JSON object, or NULL; *root set when it is. */
static const char *parse(const char *text, json_object **root)
{
	struct json_tokener *tok = json_tokener_new();
	enum json_tokener_error e;
	const char *why = NULL;
	size_t end;

	*root = NULL;
	if (!tok)
		return NULL;	/* out of memory */
	*root = json_tokener_parse_ex(tok, text, (int)strlen(text));
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue)
		why = "unexpected end of file";
	else if (e != json_tokener_success)
		why = json_tokener_error_desc(e);
	else if (text[end + strspn(text + end, " \t\r\n")])
		why = "trailing data after the JSON value";
	else if (!json_object_is_type(*root, json_type_object))
		why = "not a JSON object";	/* null included */
	json_tokener_free(tok);
	return why;
}

int audit_docker_eval(const char *text, const char *file, struct icc_audit *a)
{
	json_object *root = NULL;
	const char *why;
	int ret;

	if (!text)
		return eval_all(NULL, file, a);
	why = parse(text, &root);
	if (!why && !root)
		return -ENOMEM;
	ret = why ? fail_all(file, why, a) : eval_all(root, file, a);
	json_object_put(root);
	return ret;
}

/*
 * Whether Docker is installed when its file is missing (see the man page):
 * 1 or 0 (why says what is missing), or -ENOMEM.
 */
static int docker_installed(const struct icc_policy *p, const char *file,
			    char *why, size_t len)
{
	char *copy = strdup(file), *dir;
	bool dflt = !strcmp(file, AUDIT_DOCKER_CONFIG), yes;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	yes = access(dir, F_OK) == 0 ||
	      (dflt && access(p->paths.docker, F_OK) == 0);
	snprintf(why, len, "Docker not installed: no %s%s%s", dir,
		 dflt ? ", no " : "", dflt ? p->paths.docker : "");
	free(copy);
	return yes;
}

int audit_docker(const struct icc_policy *p, const char *file,
		 struct icc_audit *a)
{
	char *text = NULL, why[512];
	size_t len;
	int ret = file_read(file, DAEMON_JSON_MAX, &text, &len);

	if (ret == -ENOENT && (ret = docker_installed(p, file, why, sizeof(why))) == 0)
		return all_four(a, ICC_AUDIT_PASS, file, NULL, why);
	if (ret == 1)
		return audit_docker_eval(NULL, file, a);	/* Docker's defaults */
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0)
		return fail_all(file, strerror(-ret), a);
	if (strlen(text) != len)
		ret = fail_all(file, "holds a NUL byte", a);
	else
		ret = audit_docker_eval(text, file, a);
	free(text);
	return ret;
}
