// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Docker containers from the daemon's state on disk:
 * <root>/containers/<id>/config.v2.json. Only the fields that identify a
 * container and its network namespace are read.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "icc/fileio.h"
#include "icc/sources.h"

#define DOCKER_CONFIG	"config.v2.json"

void docker_ctr_free(struct icc_docker_ctr *c)
{
	if (!c)
		return;
	free(c->id);
	free(c->name);
	for (size_t i = 0; i < c->nlabels; i++)
		free(c->labels[i]);
	free(c->labels);
	free(c->sandbox_key);
	memset(c, 0, sizeof(*c));
}

void docker_free(struct icc_docker *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		docker_ctr_free(&d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

/* obj.key when it has type t, else NULL (absent, null or another type). */
static json_object *get_typed(json_object *obj, const char *key,
			      enum json_type t)
{
	json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return json_object_is_type(v, t) ? v : NULL;
}

static const char *get_string(json_object *obj, const char *key)
{
	json_object *v = get_typed(obj, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *label_join(const char *key, const char *value)
{
	size_t kl = strlen(key), vl = strlen(value);
	char *s = malloc(kl + vl + 2);

	if (!s)
		return NULL;
	memcpy(s, key, kl);
	s[kl] = '=';
	memcpy(s + kl + 1, value, vl + 1);
	return s;
}

/*
 * "Config"."Labels". Docker writes only strings; anything else is noted
 * and dropped, so that a label a policy matches on is never guessed.
 */
static int parse_labels(json_object *labels, const char *file,
			struct icc_docker_ctr *c, struct icc_diags *warn)
{
	size_t n = (size_t)json_object_object_length(labels);

	if (!n)
		return 0;
	c->labels = calloc(n, sizeof(*c->labels));
	if (!c->labels)
		return -ENOMEM;
	json_object_object_foreach(labels, key, val) {
		if (!json_object_is_type(val, json_type_string)) {
			if (diags_add(warn, file, 0, "label %s is not a string; ignored",
				      key) < 0)
				return -ENOMEM;
			continue;
		}
		c->labels[c->nlabels] = label_join(key, json_object_get_string(val));
		if (!c->labels[c->nlabels])
			return -ENOMEM;
		c->nlabels++;
	}
	qsort(c->labels, c->nlabels, sizeof(*c->labels), cmp_str);
	return 0;
}

/* Notes why file is skipped: -EINVAL, or -ENOMEM if even that fails. */
static int skip(struct icc_diags *warn, const char *file, const char *why)
{
	return diags_add(warn, file, 0, "%s; skipped", why) < 0 ? -ENOMEM
								 : -EINVAL;
}

static int parse_config(json_object *root, const char *file,
			struct icc_docker_ctr *c, struct icc_diags *warn)
{
	json_object *config, *labels, *state;
	const char *s;

	if (!(s = get_string(root, "ID")) || !*s)
		return skip(warn, file, "no ID");
	if (!(c->id = strdup(s)))
		return -ENOMEM;
	if ((s = get_string(root, "Name")) && *s == '/')
		s++;
	if (!s || !*s)
		return skip(warn, file, "no Name");
	if (!(c->name = strdup(s)))
		return -ENOMEM;
	s = get_string(get_typed(root, "NetworkSettings", json_type_object),
		       "SandboxKey");
	if (s && *s && !(c->sandbox_key = strdup(s)))
		return -ENOMEM;
	/* json-c reads a NULL object as false and 0. */
	state = get_typed(root, "State", json_type_object);
	c->running = json_object_get_boolean(get_typed(state, "Running",
						       json_type_boolean));
	c->pid = json_object_get_int(get_typed(state, "Pid", json_type_int));
	if (c->pid < 0)
		c->pid = 0;
	config = get_typed(root, "Config", json_type_object);
	if (!config || !json_object_object_get_ex(config, "Labels", &labels) ||
	    !labels)
		return 0;
	if (!json_object_is_type(labels, json_type_object))
		return diags_add(warn, file, 0,
				 "Config.Labels is not an object; ignored");
	return parse_labels(labels, file, c, warn);
}

/* Why the text is not one JSON object, or NULL when it is. */
static const char *json_problem(struct json_tokener *tok, json_object *root)
{
	enum json_tokener_error jerr = json_tokener_get_error(tok);

	/* With len -1 json-c reads the final NUL too: a cut file is parse_eof. */
	if (jerr != json_tokener_success)
		return json_tokener_error_desc(jerr);
	/* "null" parses to a NULL object, whose type is json_type_null. */
	if (!json_object_is_type(root, json_type_object))
		return json_type_to_name(json_object_get_type(root));
	return NULL;
}

int docker_parse(const char *json, const char *file, struct icc_docker_ctr *out,
		 struct icc_diags *warn)
{
	struct json_tokener *tok;
	json_object *root = NULL;
	const char *why;
	int ret = -ENOMEM;

	memset(out, 0, sizeof(*out));
	if (!(tok = json_tokener_new()))
		goto out;
	/* Strict: trailing bytes mean a file that is not what Docker wrote. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, json, -1);
	if ((why = json_problem(tok, root)))
		ret = diags_add(warn, file, 0, "not a JSON object (%s); skipped",
				why) < 0 ? -ENOMEM : -EINVAL;
	else
		ret = parse_config(root, file, out, warn);
out:
	if (ret < 0)
		docker_ctr_free(out);
	json_object_put(root);
	json_tokener_free(tok);
	return ret;
}

bool docker_has_labels(const struct icc_docker_ctr *c, char *const *want,
		       size_t n)
{
	if (!n || !c->nlabels)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!bsearch(&want[i], c->labels, c->nlabels,
			     sizeof(*c->labels), cmp_str))
			return false;
	return true;
}

/* By name, then by ID: stale folders may repeat a name. */
static int cmp_ctr(const void *a, const void *b)
{
	const struct icc_docker_ctr *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r ? r : strcmp(x->id, y->id);
}

static int docker_add(struct icc_docker *d, size_t *cap,
		      const struct icc_docker_ctr *c)
{
	struct icc_docker_ctr *v;

	if (d->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		if (!(v = realloc(d->v, ncap * sizeof(*v))))
			return -ENOMEM;
		d->v = v;
		*cap = ncap;
	}
	d->v[d->n++] = *c;
	return 0;
}

struct scan {
	struct icc_docker *d;
	size_t cap;
	struct icc_diags *warn;
};

/*
 * One container folder. Returns 0 (added, skipped, or not a folder) or
 * -ENOMEM.
 */
static int docker_scan_one(const char *dir, const char *id, void *arg)
{
	struct scan *sc = arg;
	struct icc_docker_ctr c = { 0 };
	char path[PATH_MAX], *text = NULL;
	int ret;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/" DOCKER_CONFIG, dir, id) >=
	    sizeof(path))
		return diags_add(sc->warn, dir, 0, "%s: path too long; skipped", id);
	ret = file_read_state(path, SOURCE_FILE_MAX, false, &text, sc->warn);
	if (ret <= 0)
		return ret;
	ret = docker_parse(text, path, &c, sc->warn);
	if (ret == 0 && (ret = docker_add(sc->d, &sc->cap, &c)) < 0)
		docker_ctr_free(&c);
	else if (ret == -EINVAL)
		ret = 0;	/* skipped, and noted in warn */
	free(text);
	return ret;
}

int docker_scan(const char *root, struct icc_docker *out, struct icc_diags *warn)
{
	struct scan sc = { out, 0, warn };
	char dir[PATH_MAX];
	int ret;

	memset(out, 0, sizeof(*out));
	if ((size_t)snprintf(dir, sizeof(dir), "%s/containers", root) >= sizeof(dir))
		return diags_add(warn, root, 0, "path too long; skipped");
	/* No Docker on this host: nothing to find, nothing to say. */
	ret = dir_each(dir, docker_scan_one, &sc);
	if (ret == -ENOMEM) {
		docker_free(out);
		return ret;
	}
	if (ret < 0)
		return diags_add(warn, dir, 0, "cannot read: %s; skipped",
				 strerror(-ret));
	if (out->n)	/* qsort() wants a base even for no entries */
		qsort(out->v, out->n, sizeof(*out->v), cmp_ctr);
	return 0;
}
