/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A reader of libconfig's syntax (the policy file format), for
 * policy_parse.c.
 *
 * Why not libconfig itself: on a policy of 10,000 containers with ten
 * links each (6.6 MB), config_read_string() takes 0.9 s and 100 MB.  It
 * checks every new group member against all earlier ones (quadratic in
 * the size of `containers`) and mallocs every setting and string.  This
 * reader keeps the whole tree in one array of 24-byte nodes, decodes
 * names and strings in place inside the caller's buffer, and finds
 * duplicate names with a hash once a group grows: the same file takes
 * about 40 ms and 19 MB of nodes.  policy_parse.c takes each of the
 * links as it is read (cfg_parse_stream()), so those nodes never pile up:
 * `check` of that file peaks at 17 MB instead of 35.
 *
 * It is meant to accept what libconfig 1.5 (Debian 12) accepts, with the
 * same types, values and source lines, and to report a syntax error on
 * the line libconfig would; tests/fuzz/fuzz_cfg.c checks both against
 * each other.  Deliberate differences: @include is not read (policies are
 * single files; policy_parse.c refuses it first); nesting deeper than
 * CFG_MAX_DEPTH is a syntax error, not a stack overflow; a NUL byte in
 * the text is garbage here, where libconfig stops at it (policy_load()
 * refuses such files first); texts of 128 MB and more are refused.
 */
#ifndef ICC_CFG_H
#define ICC_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_MAX_DEPTH	256

enum cfg_type {
	CFG_NONE,
	CFG_GROUP,
	CFG_INT,
	CFG_INT64,
	CFG_FLOAT,
	CFG_STRING,
	CFG_BOOL,
	CFG_ARRAY,
	CFG_LIST,
};

struct cfg_node {
	const char *name;		/* NULL for list and array elements */
	union {
		int64_t i;		/* CFG_INT, CFG_INT64, CFG_BOOL */
		double f;
		const char *s;
		struct cfg_node *kids;	/* CFG_GROUP, CFG_LIST, CFG_ARRAY */
		uint32_t first;		/* the same, while parsing */
	} v;
	uint32_t count;			/* number of kids */
	uint32_t line_type;		/* source line << 4 | enum cfg_type */
};

struct cfg {
	struct cfg_node root;		/* a group */
	struct cfg_node *nodes;		/* every other node; owned */
	size_t size;			/* of the nodes' reservation */
	int error_line;			/* on failure */
	const char *error_text;		/* on failure: static text */
};

/*
 * Parses text[0..len) (text[len] must be '\0'), which it modifies: names
 * and strings are decoded in place and point into it, so text must
 * outlive cfg.  Returns 0, -EINVAL with error_line/error_text set, or
 * -ENOMEM.  cfg_free() must be called either way.
 */
int cfg_parse(struct cfg *cfg, char *text, size_t len);

/*
 * The elements of one list, handed over as they are read: a policy's
 * `links` are nine tenths of its nodes (12 MB at 10,000 containers), and
 * the caller can turn each into its own model at once.  Every element of
 * the root-level list named name goes to elem() as soon as it is whole
 * (its kids linked, valid during the call only), with its index, and is
 * then dropped: the list ends with no kids.  Nothing in text[dead_from,
 * dead_to) is read or pointed to any more (the list's elements so far);
 * the caller may release it (after reading e: its own text is in the
 * range too).  elem() returns 0, -ENOMEM, or another negative value that
 * ends the parse as an error where the parser is.  n counts the
 * elements handed over.
 */
struct cfg_stream {
	const char *name;
	int (*elem)(void *arg, const struct cfg_node *e, uint32_t index,
		    char *dead_from, char *dead_to);
	void *arg;
	uint32_t n;
};

/* cfg_parse(), with the elements of stream->name handed to stream. */
int cfg_parse_stream(struct cfg *cfg, char *text, size_t len,
		     struct cfg_stream *stream);
void cfg_free(struct cfg *cfg);

static inline enum cfg_type cfg_type(const struct cfg_node *n)
{
	return (enum cfg_type)(n->line_type & 15);
}

static inline int cfg_line(const struct cfg_node *n)
{
	return (int)(n->line_type >> 4);
}

static inline bool cfg_is_aggregate(const struct cfg_node *n)
{
	enum cfg_type t = cfg_type(n);

	return t == CFG_GROUP || t == CFG_LIST || t == CFG_ARRAY;
}

static inline int cfg_length(const struct cfg_node *n)
{
	return cfg_is_aggregate(n) ? (int)n->count : 0;
}

static inline const struct cfg_node *cfg_elem(const struct cfg_node *n,
					      unsigned int i)
{
	return cfg_is_aggregate(n) && i < n->count ? &n->v.kids[i] : NULL;
}

static inline const char *cfg_name(const struct cfg_node *n)
{
	return n->name;
}

static inline const char *cfg_string(const struct cfg_node *n)
{
	return cfg_type(n) == CFG_STRING ? n->v.s : NULL;
}

#endif
