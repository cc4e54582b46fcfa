// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A reader of libconfig 1.5's syntax: see cfg.h for why.
 *
 * One token of lookahead, recursive descent.  The kids of every open
 * group, list or array sit on one stack; when the aggregate closes they
 * move, as one block, to the end of the node array, so every aggregate's
 * kids are contiguous.  Kids are addressed by index while parsing (both
 * arrays move when they grow) and turned into pointers at the end.
 *
 * Where libconfig's flex scanner and bison parser make a choice, this
 * does the same, because a policy that one accepts and the other refuses,
 * or reads with other values or lines, is a bug: longest match between
 * number forms; a comment needs a newline after it ("#x" at the end of
 * the file is a syntax error); a string element's line is the line of
 * the token after it (bison looks ahead for an adjacent string); an
 * error's line is the line the scanner has reached.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cfg.h"
#include "icc/bigmem.h"

enum tok {
	T_EOF, T_GARBAGE, T_NAME, T_EQUALS, T_COMMA, T_SEMI,
	T_GSTART, T_GEND, T_ASTART, T_AEND, T_LSTART, T_LEND,
	T_BOOL, T_INT, T_INT64, T_FLOAT, T_STRING,
};

/* Groups with more kids than this find duplicate names by hash. */
#define SMALL_GROUP	8

struct open_agg {
	uint32_t base;		/* stack index of the first kid */
	uint32_t *hash;		/* stack indices + 1, 0 = free; big groups */
	uint32_t hcap;		/* a power of two, or 0 */
};

struct parser {
	char *p, *end;
	int line;		/* 1 + newlines read so far */
	enum tok tok;		/* the lookahead, valid if have */
	bool have;
	char *start, *tend;	/* the lookahead's text; strings: decoded */
	char *pending;		/* end of the last name: NUL it later */
	struct cfg_node val;	/* the lookahead's value */
	struct cfg_node *stack, *nodes;	/* scap, cap nodes (big_alloc) */
	uint32_t nstack, nnodes, scap, cap;
	struct open_agg open[CFG_MAX_DEPTH + 1];
	int depth;
	struct cfg *cfg;
	struct cfg_stream *stream;	/* or NULL */
	int err;
};

static int fail(struct parser *ps, const char *text)
{
	if (!ps->err) {
		ps->err = -EINVAL;
		ps->cfg->error_line = ps->line;
		ps->cfg->error_text = text;
	}
	return ps->err;
}

static int oom(struct parser *ps)
{
	if (!ps->err)
		ps->err = -ENOMEM;
	return ps->err;
}

/* ---- scanner ---- */

static void skip_line(struct parser *ps)
{
	char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));

	ps->p = nl ? nl : ps->end;
}

/* Returns false on a line comment with no newline after it: flex's
 * `(#|//).*$` does not match there, and '#' or '/' alone is garbage. */
static bool skip_blank(struct parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
			ps->p++;
		} else if (c == '\n') {
			ps->line++;
			ps->p++;
		} else if (c == '#' || (c == '/' && ps->p[1] == '/')) {
			if (!memchr(ps->p, '\n', (size_t)(ps->end - ps->p)))
				return false;
			skip_line(ps);
		} else if (c == '/' && ps->p[1] == '*') {
			char *q = ps->p + 2;

			while (q < ps->end && !(q[0] == '*' && q[1] == '/'))
				ps->line += *q++ == '\n';
			/* unterminated: flex ends the input there */
			ps->p = q < ps->end ? q + 2 : ps->end;
		} else {
			break;
		}
	}
	return true;
}

/*
 * libconfig's flex scanner classes bytes as ASCII whatever the locale: so
 * does this table (and a lookup per byte is cheaper than isalnum()).
 */
enum { C_START = 1, C_NAME = 2 };
static const uint8_t cls[256] = {
	['*'] = C_START | C_NAME, ['-'] = C_NAME, ['_'] = C_NAME,
	['0' ... '9'] = C_NAME,
	['A' ... 'Z'] = C_START | C_NAME, ['a' ... 'z'] = C_START | C_NAME,
};

static bool name_start(char c)
{
	return cls[(unsigned char)c] & C_START;
}

static bool name_char(char c)
{
	return cls[(unsigned char)c] & C_NAME;
}

static size_t digits(const char *s, const char *end)
{
	const char *q = s;

	while (q < end && isdigit((unsigned char)*q))
		q++;
	return (size_t)(q - s);
}

/* [eE][-+]?[0-9]+ at s, or 0 */
static size_t exponent(const char *s, const char *end)
{
	size_t n = 1, d;

	if (s >= end || (*s != 'e' && *s != 'E'))
		return 0;
	if (s + 1 < end && (s[1] == '+' || s[1] == '-'))
		n++;
	d = digits(s + n, end);
	return d ? n + d : 0;
}

/* Longest float at s: [-+]?[0-9]*\.[0-9]*(exp)? or [-+]?[0-9]+(\.[0-9]*)?exp */
static size_t float_len(const char *s, const char *end)
{
	size_t n = (*s == '+' || *s == '-'), d = digits(s + n, end), e;

	n += d;
	if (s + n < end && s[n] == '.') {
		n++;
		n += digits(s + n, end);
		return n + exponent(s + n, end);
	}
	e = d ? exponent(s + n, end) : 0;
	return e ? n + e : 0;
}

/* 1 or 2 for the L or LL of a 64-bit integer at s, else 0 */
static size_t long_suffix(const char *s, const char *end)
{
	if (s >= end || *s != 'L')
		return 0;
	return s + 1 < end && s[1] == 'L' ? 2 : 1;
}

static enum tok scan_number(struct parser *ps, struct cfg_node *v)
{
	char *s = ps->p, save;
	size_t sign = (*s == '+' || *s == '-'), n = 0, f, l;
	enum tok t = T_GARBAGE;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	    s + 2 < ps->end && isxdigit((unsigned char)s[2])) {
		for (n = 2; s + n < ps->end && isxdigit((unsigned char)s[n]); n++)
			;
		t = T_INT;
	} else if ((n = digits(s + sign, ps->end))) {
		n += sign;
		t = T_INT;
	}
	l = t == T_INT ? long_suffix(s + n, ps->end) : 0;
	f = float_len(s, ps->end);
	if (!n && !f)
		return T_GARBAGE;
	if (f > n + l) {	/* flex: the longest match */
		n = f;
		t = T_FLOAT;
	} else {
		n += l;
		t = l ? T_INT64 : T_INT;
	}
	ps->p = s + n;
	/* Converted in place: the token ends for a moment. */
	save = s[n];
	s[n] = '\0';
	if (t == T_FLOAT)
		v->v.f = strtod(s, NULL);
	else if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		/* libconfig 1.5: strtoul, cut to int unless an L follows */
		v->v.i = t == T_INT64 ? (int64_t)strtoull(s, NULL, 16)
				      : (int32_t)(uint32_t)strtoul(s, NULL, 16);
	else
		/* libconfig 1.5: atoi, or atoll with an L */
		v->v.i = t == T_INT64 ? (int64_t)strtoll(s, NULL, 10)
				      : (int32_t)(uint32_t)strtol(s, NULL, 10);
	s[n] = save;
	return t;
}

/* w in any case; the first letter first: every name is asked. */
static bool is_word(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && (s[0] | 0x20) == w[0] &&
	       !strncasecmp(s, w, n);
}

/* Decodes a string in place, from its opening quote to ps->tend. */
static enum tok scan_string(struct parser *ps)
{
	char *r = ps->p + 1, *w = ps->p;
	static const char esc[] = "n\nr\rt\tf\f\\\\\"\"";

	for (;;) {
		const char *e;

		if (r >= ps->end) {	/* flex ends the input inside it */
			ps->p = ps->end;
			return T_EOF;
		}
		if (*r == '"')
			break;
		if (*r != '\\') {
			ps->line += *r == '\n';
			*w++ = *r++;
		} else if (r[1] && (e = strchr(esc, r[1])) && (e - esc) % 2 == 0) {
			*w++ = e[1];
			r += 2;
		} else if ((r[1] == 'x' || r[1] == 'X') &&
			   isxdigit((unsigned char)r[2]) &&
			   isxdigit((unsigned char)r[3])) {
			char hex[3] = { r[2], r[3], 0 };

			/* libconfig 1.5 appends it as a C string: \x00 is nothing */
			if ((*w = (char)strtol(hex, NULL, 16)))
				w++;
			r += 4;
		} else {
			*w++ = *r++;	/* a lone backslash stays */
		}
	}
	ps->tend = w;
	ps->p = r + 1;
	return T_STRING;
}

static enum tok scan_punct(char c)
{
	switch (c) {
	case '=': case ':':	return T_EQUALS;
	case ',':		return T_COMMA;
	case ';':		return T_SEMI;
	case '{':		return T_GSTART;
	case '}':		return T_GEND;
	case '[':		return T_ASTART;
	case ']':		return T_AEND;
	case '(':		return T_LSTART;
	case ')':		return T_LEND;
	default:		return T_GARBAGE;
	}
}

static enum tok scan(struct parser *ps, struct cfg_node *v)
{
	char c;

	if (!skip_blank(ps))
		return T_GARBAGE;
	ps->start = ps->p;
	if (ps->p >= ps->end)
		return T_EOF;
	c = *ps->p;
	if (c == '"')
		return scan_string(ps);
	if (name_start(c)) {
		while (++ps->p < ps->end && name_char(*ps->p))
			;
		ps->tend = ps->p;
		if (is_word(ps->start, (size_t)(ps->p - ps->start), "true") ||
		    is_word(ps->start, (size_t)(ps->p - ps->start), "false")) {
			v->v.i = tolower((unsigned char)c) == 't';
			return T_BOOL;
		}
		return T_NAME;
	}
	if (isdigit((unsigned char)c) || c == '+' || c == '-' || c == '.')
		return scan_number(ps, v);
	ps->p++;
	return scan_punct(c);
}

static enum tok peek(struct parser *ps)
{
	if (!ps->have) {
		char *pending = ps->pending;

		ps->tok = scan(ps, &ps->val);
		ps->have = true;
		/* The name's end was only needed to scan this token. */
		if (pending) {
			*pending = '\0';
			ps->pending = NULL;
		}
	}
	return ps->tok;
}

static void take(struct parser *ps)
{
	ps->have = false;
}

/* ---- tree ---- */

/* Room for need nodes in *v (*cap of them now): doubled, never copied. */
static int grow(struct parser *ps, struct cfg_node **v, uint32_t *cap,
		uint32_t need)
{
	size_t n = *cap, sz = sizeof(**v);
	struct cfg_node *p;

	while (n < need)
		n *= 2;
	if (n > UINT32_MAX || !(p = big_realloc(*v, *cap * sz, n * sz)))
		return oom(ps);
	*v = p;
	*cap = (uint32_t)n;
	return 0;
}

static int push(struct parser *ps, const char *name, enum cfg_type type,
		int line, uint32_t *at)
{
	struct cfg_node *n;

	if (ps->nstack == ps->scap &&
	    grow(ps, &ps->stack, &ps->scap, ps->nstack + 1) < 0)
		return ps->err;
	*at = ps->nstack++;
	n = &ps->stack[*at];
	memset(n, 0, sizeof(*n));
	n->name = name;
	n->line_type = (uint32_t)line << 4 | type;
	return 0;
}

/* Moves the open aggregate's kids to the node array: at becomes whole. */
static int close_agg(struct parser *ps, uint32_t at)
{
	struct open_agg *o = &ps->open[ps->depth];
	uint32_t n = ps->nstack - o->base;

	if (n > ps->cap - ps->nnodes &&
	    grow(ps, &ps->nodes, &ps->cap, ps->nnodes + n) < 0)
		return ps->err;
	if (n)
		memcpy(ps->nodes + ps->nnodes, ps->stack + o->base,
		       n * sizeof(*ps->nodes));
	ps->stack[at].v.first = ps->nnodes;
	ps->stack[at].count = n;
	ps->nnodes += n;
	ps->nstack = o->base;
	free(o->hash);
	o->hash = NULL;
	o->hcap = 0;
	ps->depth--;
	return 0;
}

static int open_agg(struct parser *ps)
{
	if (ps->depth == CFG_MAX_DEPTH)
		return fail(ps, "nesting too deep");
	ps->depth++;
	ps->open[ps->depth] = (struct open_agg){ .base = ps->nstack };
	return 0;
}

static uint32_t name_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static bool same_name(const char *kid, const char *s, size_t n)
{
	return !strncmp(kid, s, n) && kid[n] == '\0';
}

static uint32_t *hash_slot(struct parser *ps, struct open_agg *o,
			   const char *s, size_t n)
{
	uint32_t i = name_hash(s, n) & (o->hcap - 1);

	while (o->hash[i] && !same_name(ps->stack[o->hash[i] - 1].name, s, n))
		i = (i + 1) & (o->hcap - 1);
	return &o->hash[i];
}

static int hash_grow(struct parser *ps, struct open_agg *o)
{
	uint32_t kids = ps->nstack - o->base, cap = o->hcap ? o->hcap * 2 : 32;

	if (kids * 2 < o->hcap)
		return 0;
	free(o->hash);
	if (!(o->hash = calloc(cap, sizeof(*o->hash))))
		return oom(ps);
	o->hcap = cap;
	for (uint32_t k = o->base; k < ps->nstack; k++) {
		const char *nm = ps->stack[k].name;

		*hash_slot(ps, o, nm, strlen(nm)) = k + 1;
	}
	return 0;
}

/* Is the name s[0..n) new in the open group?  If the group is big, the
 * caller's next push() is recorded by note_name(). */
static int check_name(struct parser *ps, const char *s, size_t n)
{
	struct open_agg *o = &ps->open[ps->depth];

	if (ps->nstack - o->base <= SMALL_GROUP) {
		for (uint32_t k = o->base; k < ps->nstack; k++)
			if (same_name(ps->stack[k].name, s, n))
				return fail(ps, "duplicate setting name");
		return 0;
	}
	if (hash_grow(ps, o))
		return ps->err;
	if (*hash_slot(ps, o, s, n))
		return fail(ps, "duplicate setting name");
	return 0;
}

static void note_name(struct parser *ps, uint32_t at, size_t n)
{
	struct open_agg *o = &ps->open[ps->depth];

	if (o->hcap)
		*hash_slot(ps, o, ps->stack[at].name, n) = at + 1;
}

/* ---- grammar ---- */

static int parse_value(struct parser *ps, uint32_t at);
static int parse_settings(struct parser *ps);

static enum cfg_type scalar_type(enum tok t)
{
	switch (t) {
	case T_BOOL:	return CFG_BOOL;
	case T_INT:	return CFG_INT;
	case T_INT64:	return CFG_INT64;
	case T_FLOAT:	return CFG_FLOAT;
	case T_STRING:	return CFG_STRING;
	default:	return CFG_NONE;
	}
}

/* Adjacent strings are one; the decoded text moves down to the first. */
static int parse_string(struct parser *ps, struct cfg_node *v)
{
	char *out = ps->start, *w = ps->tend;

	take(ps);
	while (peek(ps) == T_STRING) {
		size_t n = (size_t)(ps->tend - ps->start);

		memmove(w, ps->start, n);
		w += n;
		take(ps);
	}
	*w = '\0';
	v->v.s = out;
	return 0;
}

/* A scalar into the node at stack index at; its type and line were
 * pushed as CFG_NONE and the line of the token. */
static int parse_scalar(struct parser *ps, uint32_t at, bool elem)
{
	enum cfg_type type = scalar_type(peek(ps));
	struct cfg_node v = ps->val;

	if (type == CFG_NONE)
		return fail(ps, "syntax error");
	if (type == CFG_STRING)
		parse_string(ps, &v);
	else
		take(ps);
	ps->stack[at].v = v.v;
	ps->stack[at].line_type = (ps->stack[at].line_type & ~15u) | type;
	/* bison's line for an element: where the scanner is now */
	if (elem)
		ps->stack[at].line_type = (uint32_t)ps->line << 4 | type;
	return 0;
}

static void link_kids(struct cfg_node *n, struct cfg_node *nodes)
{
	if (cfg_is_aggregate(n))
		n->v.kids = n->count ? nodes + n->v.first : NULL;
}

/* Whether the list being read is the root-level one to stream. */
static bool streamed(const struct parser *ps, enum tok close)
{
	const char *name;

	if (!ps->stream || ps->depth != 2 || close != T_LEND)
		return false;
	/* parse_setting() pushed the list's node just before it opened */
	name = ps->stack[ps->open[2].base - 1].name;
	return name && !strcmp(name, ps->stream->name);
}

/*
 * Element at (its nodes from mark on) to the caller, then dropped. What
 * is left to read starts at the lookahead (ps->start) or after it.
 */
static int hand_over(struct parser *ps, uint32_t at, uint32_t mark,
		     char *from)
{
	struct cfg_stream *s = ps->stream;
	struct cfg_node e = ps->stack[at];
	int ret;

	for (uint32_t i = mark; i < ps->nnodes; i++)
		link_kids(&ps->nodes[i], ps->nodes);
	link_kids(&e, ps->nodes);
	ret = s->elem(s->arg, &e, s->n++, from, ps->start);
	ps->nnodes = mark;
	ps->nstack = at;
	if (ret == -ENOMEM)
		return oom(ps);
	/* a refusal has a text and a line, as every error here has */
	if (ret < 0)
		return fail(ps, "element refused by its reader");
	return ps->err;
}

static int parse_elems(struct parser *ps, enum tok close, bool scalars)
{
	enum cfg_type first = CFG_NONE;
	bool stream = streamed(ps, close);
	char *from;

	if (peek(ps) == close)
		return 0;
	from = ps->start;	/* the first element's first token */
	for (;;) {
		uint32_t at, mark = ps->nnodes;

		if (push(ps, NULL, CFG_NONE, ps->line, &at) ||
		    (scalars ? parse_scalar(ps, at, true) : parse_value(ps, at)) ||
		    (stream && hand_over(ps, at, mark, from)))
			return ps->err;
		if (scalars) {
			enum cfg_type t = cfg_type(&ps->stack[at]);

			if (first == CFG_NONE)
				first = t;
			else if (t != first)
				return fail(ps, "mismatched element type in array");
		}
		if (peek(ps) != T_COMMA)
			return 0;
		take(ps);
	}
}

static int parse_agg(struct parser *ps, uint32_t at, enum cfg_type type)
{
	enum tok close = type == CFG_GROUP ? T_GEND :
			 type == CFG_LIST ? T_LEND : T_AEND;

	take(ps);
	ps->stack[at].line_type = (ps->stack[at].line_type & ~15u) | type;
	if (!ps->stack[at].name)	/* an element: the line of its bracket */
		ps->stack[at].line_type = (uint32_t)ps->line << 4 | type;
	if (open_agg(ps))
		return ps->err;
	if (type == CFG_GROUP ? parse_settings(ps) :
	    parse_elems(ps, close, type == CFG_ARRAY))
		return ps->err;
	if (peek(ps) != close)
		return fail(ps, "syntax error");
	take(ps);
	return close_agg(ps, at);
}

static int parse_value(struct parser *ps, uint32_t at)
{
	switch (peek(ps)) {
	case T_GSTART:	return parse_agg(ps, at, CFG_GROUP);
	case T_LSTART:	return parse_agg(ps, at, CFG_LIST);
	case T_ASTART:	return parse_agg(ps, at, CFG_ARRAY);
	default:	return parse_scalar(ps, at, !ps->stack[at].name);
	}
}

static int parse_setting(struct parser *ps)
{
	char *name = ps->start;
	size_t n = (size_t)(ps->tend - ps->start);
	uint32_t at;

	take(ps);
	if (check_name(ps, name, n) ||
	    push(ps, name, CFG_NONE, ps->line, &at))
		return ps->err;
	note_name(ps, at, n);
	ps->pending = name + n;
	if (peek(ps) != T_EQUALS)
		return fail(ps, "syntax error");
	take(ps);
	if (parse_value(ps, at))
		return ps->err;
	if (peek(ps) == T_SEMI || peek(ps) == T_COMMA)
		take(ps);
	return 0;
}

static int parse_settings(struct parser *ps)
{
	while (peek(ps) == T_NAME)
		if (parse_setting(ps))
			return ps->err;
	return 0;
}

int cfg_parse_stream(struct cfg *cfg, char *text, size_t len,
		     struct cfg_stream *stream)
{
	struct parser ps = { .p = text, .end = text + len, .line = 1,
			     .cfg = cfg, .stream = stream };
	uint32_t root;

	memset(cfg, 0, sizeof(*cfg));
	if (len >= 1u << 27)	/* lines are 28 bits; node counts 32 */
		return fail(&ps, "file too large");
	/*
	 * Policies run at about 13 bytes a node: a start that rarely grows,
	 * reserved, not touched, until used.
	 */
	ps.cap = (uint32_t)(len / 12 + 256);
	ps.scap = (uint32_t)(len / 48 + 256);
	ps.nodes = big_alloc((size_t)ps.cap * sizeof(struct cfg_node));
	ps.stack = big_alloc((size_t)ps.scap * sizeof(struct cfg_node));
	if (!ps.nodes || !ps.stack) {
		oom(&ps);
		goto out;
	}
	/*
	 * The stack holds the open aggregates' kids, a few hundred nodes
	 * but for the widest group: a 2 MB page for it is 2 MB of resident
	 * memory for nothing (the daemon's peak is the parse).
	 */
	big_small(ps.stack, (size_t)ps.scap * sizeof(struct cfg_node));
	if (push(&ps, NULL, CFG_NONE, 0, &root) || open_agg(&ps) ||
	    parse_settings(&ps))
		goto out;
	if (peek(&ps) != T_EOF) {
		fail(&ps, "syntax error");
		goto out;
	}
	if (close_agg(&ps, root))
		goto out;
	ps.stack[root].line_type = CFG_GROUP;
	cfg->root = ps.stack[root];
	cfg->nodes = ps.nodes;
	cfg->size = (size_t)ps.cap * sizeof(struct cfg_node);
	ps.nodes = NULL;
	for (uint32_t i = 0; i < ps.nnodes; i++)
		link_kids(&cfg->nodes[i], cfg->nodes);
	link_kids(&cfg->root, cfg->nodes);
out:
	for (int d = 0; d <= CFG_MAX_DEPTH; d++)
		free(ps.open[d].hash);
	big_free(ps.stack, (size_t)ps.scap * sizeof(struct cfg_node));
	big_free(ps.nodes, (size_t)ps.cap * sizeof(struct cfg_node));
	return ps.err;
}

int cfg_parse(struct cfg *cfg, char *text, size_t len)
{
	return cfg_parse_stream(cfg, text, len, NULL);
}

void cfg_free(struct cfg *cfg)
{
	big_free(cfg->nodes, cfg->size);
	cfg->nodes = NULL;
}
