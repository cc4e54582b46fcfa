// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Policy stage 1: libconfig text (read by cfg.c) -> struct icc_policy.
 *
 * Every problem is reported with the line of the most specific setting and
 * parsing goes on. An object enters the model only when its own settings
 * are valid; policy_check() then works on those, so one mistake gives one
 * message. A reference to an object that was declared but is invalid is
 * dropped silently: its problem has been reported already.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "cfg.h"
#include "icc/bigmem.h"
#include "icc/fileio.h"
#include "policy_int.h"

#define LABEL_LEN	160
#define QUOTE_LEN	48
#define MAX_FILE_SIZE	(16 << 20)	/* policies are small; stops -c /dev/zero */

static const char *const top_keys[] = {
	"version", "bridges", "containers", "links", "publish", "discovery",
	"egress", NULL
};
static const char *const egress_keys[] = { "from", "to", "ports", NULL };
static const char *const discovery_keys[] = {
	"netns", "docker", "docker_netns", "lxc", "lxc_cgroup", NULL
};
static const char *const bridge_keys[] = {
	"name", "subnet", "uplink", "masquerade", "egress", "host_ports", "log", NULL
};
static const char *const container_keys[] = {
	"bridge", "ip", "name", "labels", NULL
};
static const char *const link_keys[] = { "from", "to", "ports", NULL };
static const char *const publish_keys[] = {
	"container", "port", "host", "allow_from", NULL
};

void policy_err(struct policy_ctx *c, int line, const char *fmt, ...)
{
	va_list ap;

	c->nerr++;
	va_start(ap, fmt);
	if (diags_vadd(c->d, c->file, line, fmt, ap) < 0)
		c->oom = true;
	va_end(ap);
}

bool policy_is_loopback(struct in_addr a)
{
	return (ntohl(a.s_addr) >> 24) == 127;
}

static uint32_t prefix_mask(unsigned len)
{
	return len ? ~UINT32_C(0) << (32 - len) : 0;
}

bool publish_is_loopback(const struct icc_publish *pb)
{
	return pb->v6 ? IN6_IS_ADDR_LOOPBACK(&pb->host_addr6)
		      : policy_is_loopback(pb->host_addr);
}

bool prefix_contains(const struct icc_prefix *p, struct in_addr a)
{
	uint32_t m = prefix_mask(p->len);

	return !p->v6 && (ntohl(a.s_addr) & m) == (ntohl(p->addr.s_addr) & m);
}

struct in6_addr in6_masked(const struct in6_addr *a, unsigned len)
{
	struct in6_addr m = *a;

	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = len > i * 8 ? len - i * 8 : 0;

		if (keep < 8)
			m.s6_addr[i] &= (uint8_t)(0xff00 >> keep);
	}
	return m;
}

bool prefix6_contains(const struct icc_prefix *p, const struct in6_addr *a)
{
	struct in6_addr x = in6_masked(a, p->len);

	return p->v6 && !memcmp(&x, &p->addr6, sizeof(x));
}

bool prefix_overlap(const struct icc_prefix *a, const struct icc_prefix *b)
{
	const struct icc_prefix *wide = a->len <= b->len ? a : b;
	const struct icc_prefix *narrow = wide == a ? b : a;

	if (a->v6 != b->v6)
		return false;
	return a->v6 ? prefix6_contains(wide, &narrow->addr6)
		     : prefix_contains(wide, narrow->addr);
}

struct in_addr prefix_last(const struct icc_prefix *p)
{
	struct in_addr a = {
		.s_addr = p->addr.s_addr | htonl(~prefix_mask(p->len)),
	};

	return a;
}

/* "any" is handled by the callers: it is a policy mistake, not an overlap. */
bool port_overlap(const struct icc_port *a, const struct icc_port *b)
{
	if (a->proto != b->proto)
		return false;
	if (a->proto == IPPROTO_ICMP)
		return true;
	return a->lo <= b->hi && b->lo <= a->hi;
}

const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:	return "tcp";
	case IPPROTO_UDP:	return "udp";
	case IPPROTO_ICMP:	return "icmp";
	case 0:			return "any";
	default:		return "?";
	}
}

/*
 * Decimal without sign, leading zeros or junk. Returns 0, -EINVAL (not a
 * number), -EDOM (leading zero) or -ERANGE (above max); *why says which.
 */
static int num_parse(const char *s, size_t len, unsigned long max,
		     unsigned long *v, const char **why)
{
	unsigned long n = 0;
	size_t d = 0;

	while (d < len && s[d] >= '0' && s[d] <= '9')
		d++;
	if (!len || d < len) {
		*why = "not a decimal number";
		return -EINVAL;
	}
	if (s[0] == '0' && len > 1) {
		*why = "leading zero";
		return -EDOM;
	}
	for (size_t i = 0; i < len && i < 10; i++)
		n = n * 10 + (unsigned long)(s[i] - '0');
	if (len > 9 || n > max) {
		*why = "number too large";
		return -ERANGE;
	}
	*v = n;
	return 0;
}

static int port_num(const char *s, size_t len, uint16_t *port, const char **why)
{
	unsigned long v = 0;
	int r = num_parse(s, len, 65535, &v, why);

	if (r == -EINVAL || r == -EDOM)
		return -EINVAL;
	if (r == -ERANGE || v == 0) {
		*why = "port numbers are 1..65535";
		return -EINVAL;
	}
	*port = (uint16_t)v;
	return 0;
}

int ipv4_parse(const char *s, struct in_addr *a, const char **why)
{
	uint32_t ip = 0;

	for (int i = 0; i < 4; i++) {
		size_t len = strcspn(s, ".");
		unsigned long v;
		int r;

		if ((i < 3) != (s[len] == '.')) {
			*why = "expected a.b.c.d";
			return -EINVAL;
		}
		r = num_parse(s, len, 255, &v, why);
		if (r == -ERANGE)
			*why = "octet above 255";
		else if (r == -EINVAL)
			*why = "expected a.b.c.d";
		if (r < 0)
			return -EINVAL;
		ip = ip << 8 | v;
		s += len + (i < 3);
	}
	a->s_addr = htonl(ip);
	return 0;
}

int ipv6_parse(const char *s, struct in6_addr *a, const char **why)
{
	if (inet_pton(AF_INET6, s, a) != 1) {
		*why = "not an IPv6 address";
		return -EINVAL;
	}
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		*why = "IPv4-mapped; write the IPv4 address as a.b.c.d";
		return -EINVAL;
	}
	return 0;
}

int prefix_parse(const char *s, unsigned minlen, bool bare_ok,
		 struct icc_prefix *p, const char **why)
{
	static const char *const forms[2][2] = {
		{ "expected a.b.c.d", "expected a.b.c.d/len" },
		{ "expected an IPv6 address", "expected ipv6/len" },
	};
	static const char *const lens[2][2] = {
		{ "prefix length must be 0..32", "prefix length must be 1..32" },
		{ "prefix length must be 0..128", "prefix length must be 1..128" },
	};
	const char *slash = strchr(s, '/');
	bool v6 = strchr(s, ':') != NULL;
	char addr[ADDR_STRLEN];
	unsigned long len = v6 ? 128 : 32;
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	int r;

	memset(p, 0, sizeof(*p));
	p->v6 = v6;
	if ((!slash && !bare_ok) || alen >= sizeof(addr)) {
		*why = forms[v6][slash || !bare_ok];
		return -EINVAL;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if ((v6 ? ipv6_parse(addr, &p->addr6, why) : ipv4_parse(addr, &p->addr, why)) < 0)
		return -EINVAL;
	if (slash) {
		r = num_parse(slash + 1, strlen(slash + 1), len, &len, why);
		if (r == -EINVAL)
			*why = forms[v6][1];
		if (r == -EINVAL || r == -EDOM)
			return -EINVAL;
		if (r == -ERANGE || len < minlen) {
			*why = lens[v6][minlen > 0];
			return -EINVAL;
		}
	}
	p->len = (uint8_t)len;
	return 0;
}

int port_parse(const char *s, struct icc_port *pt, const char **why)
{
	const char *n, *dash;

	memset(pt, 0, sizeof(*pt));
	if (!strcmp(s, "any"))
		return 0;
	if (!strcmp(s, "icmp")) {
		pt->proto = IPPROTO_ICMP;
		return 0;
	}
	if (!strncmp(s, "tcp/", 4))
		pt->proto = IPPROTO_TCP;
	else if (!strncmp(s, "udp/", 4))
		pt->proto = IPPROTO_UDP;
	else {
		*why = "expected tcp/N, udp/N, tcp/N-M, udp/N-M, icmp or any";
		return -EINVAL;
	}
	n = s + 4;
	dash = strchr(n, '-');
	if (port_num(n, dash ? (size_t)(dash - n) : strlen(n), &pt->lo, why) < 0)
		return -EINVAL;
	pt->hi = pt->lo;
	if (dash && port_num(dash + 1, strlen(dash + 1), &pt->hi, why) < 0)
		return -EINVAL;
	if (pt->lo > pt->hi) {
		*why = "range start is above its end";
		return -EINVAL;
	}
	return 0;
}

/* "PORT" (on 127.0.0.1), "a.b.c.d:PORT" or "[ipv6]:PORT". */
static int host_parse(const char *s, struct icc_publish *pb, const char **why)
{
	bool v6 = s[0] == '[';
	const char *colon = v6 ? strstr(s, "]:") : strchr(s, ':');
	const char *start = s + v6;
	char addr[ADDR_STRLEN];
	size_t alen;
	int r;

	if (!colon && !v6) {
		pb->host_addr.s_addr = htonl(INADDR_LOOPBACK);
		return port_num(s, strlen(s), &pb->host_port, why);
	}
	if (!v6 && strchr(colon + 1, ':')) {
		*why = "an IPv6 host is written [ipv6]:PORT";
		return -EINVAL;
	}
	alen = colon ? (size_t)(colon - start) : 0;
	if (!colon || alen >= sizeof(addr)) {
		*why = "expected PORT, a.b.c.d:PORT or [ipv6]:PORT";
		return -EINVAL;
	}
	memcpy(addr, start, alen);
	addr[alen] = '\0';
	pb->v6 = v6;
	r = v6 ? ipv6_parse(addr, &pb->host_addr6, why)
	       : ipv4_parse(addr, &pb->host_addr, why);
	if (r < 0)
		return -EINVAL;
	colon += v6;
	return port_num(colon + 1, strlen(colon + 1), &pb->host_port, why);
}

/* Why s cannot be an interface name, or NULL when it can. */
static const char *ifname_why(const char *s)
{
	size_t len = strlen(s);

	if (!len)
		return "empty";
	if (len >= ICC_IFNAMSIZ)
		return "longer than 15 characters";
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return "reserved by the kernel";
	for (const char *q = s; *q; q++) {
		unsigned char ch = (unsigned char)*q;

		/*
		 * '/' and ':' the kernel refuses; '*' is a wildcard to nft;
		 * quotes and backslashes could not be printed back safely.
		 */
		switch (ch) {
		case ' ': case '\t': case '\n': case '\r': case '\v': case '\f':
			return "contains whitespace";
		case '/':	return "contains '/'";
		case ':':	return "contains ':'";
		case '*':	return "contains '*'";
		case '"':	return "contains '\"'";
		case '\\':	return "contains '\\'";
		default:
			if (ch < 0x20 || ch >= 0x7f)
				return "contains a control or non-ASCII character";
		}
	}
	return NULL;
}

/* Whatever the locale says (isalnum() may take more). */
static bool ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Container names: what libconfig allows, minus '*'; plus '.' for later. */
static bool container_name_ok(const char *s)
{
	size_t n = 0;

	/* By hand, not strspn(): called for every link of a big policy. */
	for (; s[n] && n <= 64; n++)
		if (!ascii_alnum(s[n]) && s[n] != '_' && s[n] != '.' &&
		    s[n] != '-')
			return false;
	return n && n <= 64;
}

/*
 * label = "kind a b": what snprintf(label, LABEL_LEN, "%s%s%s", ...) would
 * make, without its cost (every link of a big policy gets a label before
 * anything can be wrong with it). b may be NULL.
 */
static void label_set(char label[LABEL_LEN], const char *kind, const char *a,
		      const char *sep, const char *b)
{
	const char *part[4] = { kind, a, b ? sep : "", b ? b : "" };
	size_t w = 0;

	for (int i = 0; i < 4; i++) {
		size_t n = strlen(part[i]);

		if (n > LABEL_LEN - 1 - w)
			n = LABEL_LEN - 1 - w;
		memcpy(label + w, part[i], n);
		w += n;
	}
	label[w] = '\0';
}

/* s quoted and escaped so that a message stays on one line. */
static const char *quote(char buf[QUOTE_LEN], const char *s)
{
	size_t o = 0;

	buf[o++] = '"';
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (o > QUOTE_LEN - 10) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (ch == '"' || ch == '\\')
			o += (size_t)sprintf(buf + o, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			o += (size_t)sprintf(buf + o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static const struct cfg_node *get_strings(struct policy_ctx *c,
					   const char *label,
					   const struct cfg_node *g,
					   const char *key, int *line);

static bool parse_ports(struct policy_ctx *c, const char *label,
			const struct cfg_node *g, const char *key,
			struct icc_port **ports, size_t *nports, int *line);

static int line_of(const struct cfg_node *s)
{
	return (int)cfg_line(s);
}

/* Exact-name lookup: libconfig 1.5's get_member matches "a.b" to "a". */
static const struct cfg_node *member(const struct cfg_node *g,
				      const char *key)
{
	for (int i = 0; i < cfg_length(g); i++) {
		const struct cfg_node *m = cfg_elem(g, (unsigned)i);
		const char *nm = cfg_name(m);

		/* The first byte first: most keys differ there (and strcmp is a call). */
		if (nm && nm[0] == key[0] && !strcmp(nm, key))
			return m;
	}
	return NULL;
}

static const char *member_string(const struct cfg_node *g, const char *key)
{
	const struct cfg_node *s = member(g, key);

	if (!s || cfg_type(s) != CFG_STRING)
		return NULL;
	return cfg_string(s);
}

/* Levenshtein distance, for "did you mean"; keys are short. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[33];

	if (la > 32 || lb > 32)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0], v;

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			v = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < v)
				v = row[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			diag = row[j];
			row[j] = v;
		}
	}
	return row[lb];
}

static const char *suggest(const char *name, const char *const *keys)
{
	for (; *keys; keys++)
		if (edit_distance(name, *keys) <= 2)
			return *keys;
	return NULL;
}

/* Reports every member of g that is not one of keys. */
static void check_keys(struct policy_ctx *c, const struct cfg_node *g,
		       const char *label, const char *const *keys)
{
	for (int i = 0; i < cfg_length(g); i++) {
		const struct cfg_node *m = cfg_elem(g, (unsigned)i);
		const char *name = cfg_name(m), *hint;
		const char *const *k;

		for (k = keys; *k && ((*k)[0] != name[0] || strcmp(*k, name)); k++)
			;
		if (*k)
			continue;
		hint = suggest(name, keys);
		policy_err(c, line_of(m), "%s%sunknown setting %s%s%s%s",
			   label ? label : "", label ? ": " : "", name,
			   hint ? "; did you mean " : "", hint ? hint : "",
			   hint ? "?" : "");
	}
}

/*
 * The string member key of g in *out. Returns 1 when present, 0 when
 * absent and optional, -1 when missing or not a string (reported).
 * *line is the member's line, or g's when it is absent.
 */
static int get_string(struct policy_ctx *c, const char *label,
		      const struct cfg_node *g, const char *key,
		      bool required, const char **out, int *line)
{
	const struct cfg_node *s = member(g, key);

	*line = line_of(g);
	if (!s) {
		if (!required)
			return 0;
		policy_err(c, *line, "%s: missing %s", label, key);
		return -1;
	}
	*line = line_of(s);
	if (cfg_type(s) != CFG_STRING) {
		policy_err(c, *line, "%s: %s must be a string", label, key);
		return -1;
	}
	*out = cfg_string(s);
	return 1;
}

/* A boolean member: 1 or 0 in *out, or -1 when absent; false on error. */
static bool get_bool(struct policy_ctx *c, const char *label,
		     const struct cfg_node *g, const char *key, int *out)
{
	const struct cfg_node *s = member(g, key);

	*out = -1;
	if (!s)
		return true;
	if (cfg_type(s) != CFG_BOOL) {
		policy_err(c, line_of(s), "%s: %s must be true or false",
			   label, key);
		return false;
	}
	*out = (int)s->v.i;
	return true;
}

/* log = "denied" | "none": whether denied connections are logged. */
static bool get_log(struct policy_ctx *c, const char *label,
		    const struct cfg_node *g, bool *out)
{
	const char *v = "denied";
	char q[QUOTE_LEN];
	int line, r = get_string(c, label, g, "log", false, &v, &line);

	if (r < 0)
		return false;
	*out = !strcmp(v, "denied");
	if (*out || !strcmp(v, "none"))
		return true;
	policy_err(c, line, "%s: log must be \"denied\" or \"none\", not %s",
		   label, quote(q, v));
	return false;
}

/* An interface name member; "" stays in out when it is optional and absent. */
static bool get_ifname(struct policy_ctx *c, const char *label,
		       const struct cfg_node *g, const char *key,
		       bool required, char out[ICC_IFNAMSIZ], int *line)
{
	const char *s, *why;
	char q[QUOTE_LEN];
	int r = get_string(c, label, g, key, required, &s, line);

	if (r <= 0)
		return r == 0;
	why = ifname_why(s);
	if (why) {
		policy_err(c, *line, "%s: %s %s is not a valid interface name (%s)",
			   label, key, quote(q, s), why);
		return false;
	}
	strcpy(out, s);
	return true;
}

/*
 * A CIDR prefix; min is the shortest length allowed, bare_ok admits a bare
 * address as a /32. Host bits must be zero: "10.0.0.1/8" is a typo more
 * often than not, and nft would silently drop them.
 */
static bool prefix_value(struct policy_ctx *c, const char *label,
			 const char *key, const char *s, int line,
			 unsigned min, bool bare_ok, struct icc_prefix *p)
{
	struct icc_prefix fixed;
	char q[QUOTE_LEN], buf[PREFIX_STRLEN];
	const char *why;

	if (prefix_parse(s, min, bare_ok, p, &why) < 0) {
		policy_err(c, line, "%s: %s %s is not a valid %s (%s)", label,
			   key, quote(q, s),
			   bare_ok ? "address or prefix" : "prefix", why);
		return false;
	}
	fixed = *p;
	if (p->v6)
		fixed.addr6 = in6_masked(&p->addr6, p->len);
	else
		fixed.addr.s_addr &= htonl(prefix_mask(p->len));
	if (memcmp(&fixed, p, sizeof(fixed))) {
		policy_err(c, line, "%s: %s %s has host bits set; did you mean %s?",
			   label, key, s, prefix_str(&fixed, buf));
		return false;
	}
	return true;
}

/*
 * A string, or an array of one or two strings (dual stack: one IPv4 and
 * one IPv6 value): the values in v, their lines in lines. Returns how
 * many, or -1 when missing or malformed (reported).
 */
static int get_dual(struct policy_ctx *c, const char *label,
		    const struct cfg_node *g, const char *key,
		    const char *v[2], int lines[2])
{
	const struct cfg_node *s = member(g, key);
	int n;

	if (s && cfg_type(s) == CFG_STRING)
		return get_string(c, label, g, key, true, &v[0], &lines[0]);
	if (!s || cfg_type(s) != CFG_ARRAY) {
		policy_err(c, s ? line_of(s) : line_of(g), s ?
			   "%s: %s must be a string or an array of strings" :
			   "%s: missing %s", label, key);
		return -1;
	}
	if (!get_strings(c, label, g, key, &lines[0]))
		return -1;
	n = cfg_length(s);
	if (n > 2) {
		policy_err(c, lines[0], "%s: %s takes one IPv4 and at most one "
			   "IPv6 value", label, key);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const struct cfg_node *e = cfg_elem(s, (unsigned)i);

		v[i] = cfg_string(e);
		lines[i] = line_of(e);
	}
	return n;
}

/* Of dual-stack values: one IPv4 (required) and at most one IPv6. */
static bool dual_ok(struct policy_ctx *c, const char *label, const char *key,
		    const bool v6[2], const int lines[2], int n)
{
	if (n == 2 && v6[0] == v6[1]) {
		policy_err(c, lines[1], "%s: %s has two IPv%c values; it takes "
			   "one IPv4 and at most one IPv6", label, key,
			   v6[0] ? '6' : '4');
		return false;
	}
	if (n == 1 && v6[0]) {
		policy_err(c, lines[0], "%s: %s needs an IPv4 value too "
			   "(IPv6 comes in addition)", label, key);
		return false;
	}
	return true;
}

/* subnet = "a.b.c.d/len" or [ "a.b.c.d/len", "ipv6/len" ] */
static bool parse_subnets(struct policy_ctx *c, const char *label,
			  const struct cfg_node *g, struct icc_bridge *b,
			  struct src_bridge *src)
{
	const char *v[2];
	int lines[2], n = get_dual(c, label, g, "subnet", v, lines);
	struct icc_prefix p[2];
	bool v6[2] = { false, false };

	for (int i = 0; i < n; i++) {
		if (!prefix_value(c, label, "subnet", v[i], lines[i], 1, false, &p[i]))
			return false;
		v6[i] = p[i].v6;
	}
	if (n <= 0 || !dual_ok(c, label, "subnet", v6, lines, n))
		return false;
	for (int i = 0; i < n; i++) {
		if (p[i].v6) {
			b->subnet6 = p[i];
			b->has_subnet6 = true;
			src->subnet6 = lines[i];
		} else {
			b->subnet = p[i];
			src->subnet = lines[i];
		}
	}
	return true;
}

static bool parse_bridge(struct policy_ctx *c, const struct cfg_node *g,
			 size_t idx)
{
	struct icc_bridge b = { .line = line_of(g) };
	struct src_bridge src = { 0 };
	const char *name = member_string(g, "name");
	char label[LABEL_LEN];
	bool uplink = member(g, "uplink") != NULL, ok = true;
	int masq, egress, line;

	if (name && !ifname_why(name))
		snprintf(label, sizeof(label), "bridge %s", name);
	else
		snprintf(label, sizeof(label), "bridge #%zu", idx + 1);
	check_keys(c, g, label, bridge_keys);
	ok &= get_ifname(c, label, g, "name", true, b.name, &src.name);
	ok &= parse_subnets(c, label, g, &b, &src);
	ok &= get_ifname(c, label, g, "uplink", false, b.uplink, &src.uplink);
	ok &= get_bool(c, label, g, "masquerade", &masq);
	ok &= get_bool(c, label, g, "egress", &egress);
	ok &= get_log(c, label, g, &b.log);
	/*
	 * Without an uplink there is nowhere to masquerade or egress to.
	 * An uplink that is present but invalid has been reported already.
	 */
	if (!uplink && masq == 1) {
		line = line_of(member(g, "masquerade"));
		policy_err(c, line, "%s: masquerade needs an uplink", label);
		ok = false;
	}
	if (!uplink && egress == 1) {
		line = line_of(member(g, "egress"));
		policy_err(c, line, "%s: egress needs an uplink", label);
		ok = false;
	}
	b.masquerade = masq < 0 ? uplink : masq;
	b.egress = egress < 0 ? uplink : egress;
	/* Containers reach none of the host's own services but these. */
	if (member(g, "host_ports"))
		ok &= parse_ports(c, label, g, "host_ports", &b.host_ports,
				  &b.nhost_ports, &line);
	if (!ok) {
		free(b.host_ports);
		return false;
	}
	c->sbridges[c->p->nbridges] = src;
	c->p->bridges[c->p->nbridges++] = b;
	return true;
}

/* Parses an aggregate that must be a list of groups. */
static void parse_list(struct policy_ctx *c, const struct cfg_node *s,
		       const char *what, const char *one,
		       bool (*fn)(struct policy_ctx *, const struct cfg_node *,
				  size_t))
{
	if (cfg_type(s) != CFG_LIST) {
		policy_err(c, line_of(s), "%s must be a list of groups", what);
		return;
	}
	for (int i = 0; i < cfg_length(s) && !c->oom; i++) {
		const struct cfg_node *g = cfg_elem(s, (unsigned)i);

		if (cfg_type(g) != CFG_GROUP)
			policy_err(c, line_of(g), "%s #%d must be a group",
				   one, i + 1);
		else
			fn(c, g, (size_t)i);
	}
}

static int find_bridge(const struct icc_policy *p, const char *name)
{
	for (size_t i = 0; i < p->nbridges; i++)
		if (!strcmp(p->bridges[i].name, name))
			return (int)i;
	return -1;
}

static size_t name_hash(const char *s)
{
	size_t h = 14695981039346656037ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* The slot of name in the index: its container + 1, or 0 (free). */
static size_t *name_slot(struct policy_ctx *c, const char *name)
{
	size_t mask = c->nby_name - 1, i = name_hash(name) & mask;

	while (c->by_name[i] &&
	       strcmp(c->p->containers[c->by_name[i] - 1].name, name))
		i = (i + 1) & mask;
	return &c->by_name[i];
}

/* By name, in O(1): a policy may have ten thousand containers and ten
 * links each. The index is built once the containers are all there; a
 * name declared twice finds the first. */
static int find_container(struct policy_ctx *c, const char *name)
{
	const struct icc_policy *p = c->p;

	if (c->nindexed != p->ncontainers || !c->by_name) {
		size_t cap = 16;

		while (cap < 2 * p->ncontainers)
			cap *= 2;
		free(c->by_name);
		if (!(c->by_name = calloc(cap, sizeof(*c->by_name)))) {
			c->oom = true;
			return -1;
		}
		c->nby_name = cap;
		c->nindexed = p->ncontainers;
		for (size_t i = 0; i < p->ncontainers; i++) {
			size_t *slot = name_slot(c, p->containers[i].name);

			if (!*slot)
				*slot = i + 1;
		}
	}
	return (int)*name_slot(c, name) - 1;
}

/*
 * Whether a reference could name something declared. When the whole
 * section is missing or malformed that was reported already, and every
 * reference into it would only repeat the news.
 */
static bool bridge_declared(const struct cfg_node *root, const char *name)
{
	const struct cfg_node *l = member(root, "bridges");

	if (!l || cfg_type(l) != CFG_LIST ||
	    !cfg_length(l))
		return true;
	for (int i = 0; i < cfg_length(l); i++) {
		const struct cfg_node *g = cfg_elem(l, (unsigned)i);
		const char *n;

		if (cfg_type(g) != CFG_GROUP)
			continue;
		n = member_string(g, "name");
		if (n && !strcmp(n, name))
			return true;
	}
	return false;
}

/* A missing containers section is news: a link cannot name anything. */
static bool container_declared(const struct cfg_node *root, const char *name)
{
	const struct cfg_node *g = member(root, "containers");

	if (g && cfg_type(g) != CFG_GROUP)
		return true;
	return g && member(g, name);
}

/* A static address: ip = "a.b.c.d" or [ "a.b.c.d", "ipv6" ]. */
static bool parse_ident_ip(struct policy_ctx *c, const char *label,
			   const struct cfg_node *g, struct icc_container *ct,
			   struct src_container *src)
{
	const char *v[2], *why;
	int lines[2], n = get_dual(c, label, g, "ip", v, lines);
	bool v6[2] = { false, false };
	char q[QUOTE_LEN];

	for (int i = 0; i < n; i++) {
		int r;

		v6[i] = strchr(v[i], ':') != NULL;
		r = v6[i] ? ipv6_parse(v[i], &ct->ip6, &why)
			  : ipv4_parse(v[i], &ct->ip, &why);
		if (r < 0) {
			policy_err(c, lines[i], "%s: ip %s is not a valid IPv%c "
				   "address (%s)", label, quote(q, v[i]),
				   v6[i] ? '6' : '4', why);
			return false;
		}
		if (v6[i]) {
			ct->has_ip6 = true;
			src->ip6 = lines[i];
		} else {
			src->ident = lines[i];
		}
	}
	if (n <= 0 || !dual_ok(c, label, "ip", v6, lines, n))
		return false;
	ct->ident = ICC_ID_IP;
	return true;
}

/* name = "...": the netns, Docker or LXC container of that name. */
static bool parse_ident_name(struct policy_ctx *c, const char *label,
			     const struct cfg_node *g, struct icc_container *ct,
			     struct src_container *src)
{
	const char *name;
	char q[QUOTE_LEN];

	if (get_string(c, label, g, "name", true, &name, &src->ident) <= 0)
		return false;
	/* Docker and LXC names fit this; a '/' could escape the netns folder. */
	if (!container_name_ok(name)) {
		policy_err(c, src->ident, "%s: name %s may only contain letters, "
			   "digits, '_', '.' and '-'", label, quote(q, name));
		return false;
	}
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		policy_err(c, src->ident, "%s: name %s is not a container name",
			   label, name);
		return false;
	}
	ct->ident = ICC_ID_NAME;
	ct->match = strdup(name);
	if (!ct->match)
		c->oom = true;
	return ct->match != NULL;
}

static int label_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One "key=value" of a labels list; false when it is not one (reported). */
static bool label_ok(struct policy_ctx *c, const char *label,
		     const struct cfg_node *e)
{
	const char *v = cfg_string(e);
	const char *eq = v ? strchr(v, '=') : NULL;
	char q[QUOTE_LEN];

	if (!v) {
		policy_err(c, line_of(e), "%s: labels must be strings \"key=value\"", label);
		return false;
	}
	if (!eq || eq == v || strlen(v) > 1024 || strpbrk(v, "\"\\\n")) {
		policy_err(c, line_of(e), "%s: label %s is not \"key=value\"",
			   label, quote(q, v));
		return false;
	}
	return true;
}

/* labels = [ "key=value", ... ]: every Docker container carrying all. */
static bool parse_ident_labels(struct policy_ctx *c, const char *label,
			       const struct cfg_node *g,
			       struct icc_container *ct,
			       struct src_container *src)
{
	const struct cfg_node *s = get_strings(c, label, g, "labels", &src->ident);
	size_t n;
	bool ok = true;

	if (!s)
		return false;
	n = (size_t)cfg_length(s);
	for (size_t i = 0; i < n; i++)
		ok &= label_ok(c, label, cfg_elem(s, (unsigned)i));
	if (!ok)
		return false;
	ct->ident = ICC_ID_LABELS;
	ct->labels = calloc(n, sizeof(*ct->labels));
	if (!ct->labels)
		goto oom;
	for (; ct->nlabels < n; ct->nlabels++) {
		const struct cfg_node *e = cfg_elem(s, (unsigned)ct->nlabels);

		ct->labels[ct->nlabels] = strdup(cfg_string(e));
		if (!ct->labels[ct->nlabels])
			goto oom;
	}
	/* Sorted, so that two selectors compare and print the same way. */
	qsort(ct->labels, n, sizeof(*ct->labels), label_cmp);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(ct->labels[i - 1], ct->labels[i])) {
			policy_err(c, src->ident, "%s: label %s is listed twice",
				   label, ct->labels[i]);
			return false;
		}
	return true;
oom:
	c->oom = true;
	return false;
}

static void container_free(struct icc_container *ct)
{
	free(ct->name);
	free(ct->match);
	for (size_t i = 0; i < ct->nlabels; i++)
		free(ct->labels[i]);
	free(ct->labels);
}

/* Exactly one of ip, name and labels says who the container is. */
static bool parse_ident(struct policy_ctx *c, const char *label,
			const struct cfg_node *g, struct icc_container *ct,
			struct src_container *src)
{
	static const char *const keys[] = { "ip", "name", "labels" };
	const struct cfg_node *first = NULL;
	int n = 0, which = 0;

	for (int i = 0; i < 3; i++) {
		const struct cfg_node *m = member(g, keys[i]);

		if (!m)
			continue;
		if (n++) {
			policy_err(c, line_of(m), "%s: %s and %s both say who the "
				   "container is; keep one", label,
				   cfg_name(first), keys[i]);
			return false;
		}
		first = m;
		which = i;
	}
	if (!n) {
		src->ident = line_of(g);
		policy_err(c, src->ident, "%s: missing ip (or name, or labels)", label);
		return false;
	}
	if (which == 0)
		return parse_ident_ip(c, label, g, ct, src);
	if (which == 1)
		return parse_ident_name(c, label, g, ct, src);
	return parse_ident_labels(c, label, g, ct, src);
}

static bool parse_container(struct policy_ctx *c, const struct cfg_node *g)
{
	const struct cfg_node *root = c->root;
	struct icc_container ct = { .line = line_of(g) };
	struct src_container src = { 0 };
	const char *name = cfg_name(g), *bridge;
	char label[LABEL_LEN], q[QUOTE_LEN];
	bool ok = true;
	int b = -1;

	label_set(label, "container ", name, "", NULL);
	if (!container_name_ok(name)) {
		policy_err(c, ct.line, "%s: name may only contain letters, "
			   "digits, '_', '.' and '-'", label);
		ok = false;
	}
	if (cfg_type(g) != CFG_GROUP) {
		policy_err(c, ct.line, "%s must be a group", label);
		return false;
	}
	check_keys(c, g, label, container_keys);
	if (get_string(c, label, g, "bridge", true, &bridge, &src.bridge) > 0) {
		b = find_bridge(c->p, bridge);
		if (b < 0 && !bridge_declared(root, bridge))
			policy_err(c, src.bridge, "%s: unknown bridge %s", label,
				   ifname_why(bridge) ? quote(q, bridge) : bridge);
	}
	ok &= b >= 0;
	ok &= parse_ident(c, label, g, &ct, &src);
	if (ok && !(ct.name = strdup(name)))
		c->oom = true;
	if (!ok || c->oom) {
		container_free(&ct);
		return false;
	}
	ct.bridge = (unsigned)b;
	c->scontainers[c->p->ncontainers] = src;
	c->p->containers[c->p->ncontainers++] = ct;
	return true;
}

static void parse_containers(struct policy_ctx *c, const struct cfg_node *s)
{
	if (cfg_type(s) != CFG_GROUP) {
		policy_err(c, line_of(s), "containers must be a group of named containers");
		return;
	}
	for (int i = 0; i < cfg_length(s) && !c->oom; i++)
		parse_container(c, cfg_elem(s, (unsigned)i));
}

/*
 * A container reference; returns its index, or -1 (unknown: reported;
 * declared but invalid: already reported).
 */
static int container_ref(struct policy_ctx *c, const char *label,
			 const struct cfg_node *root, const char *name,
			 int line)
{
	char q[QUOTE_LEN];
	int i = find_container(c, name);

	if (i < 0 && !container_declared(root, name))
		policy_err(c, line, "%s: unknown container %s", label,
			   container_name_ok(name) ? name : quote(q, name));
	return i;
}

/*
 * The array of strings at key, which must be present and non-empty;
 * NULL when it is not (reported).
 */
static const struct cfg_node *get_strings(struct policy_ctx *c,
					   const char *label,
					   const struct cfg_node *g,
					   const char *key, int *line)
{
	const struct cfg_node *s = member(g, key);

	*line = line_of(g);
	if (!s) {
		policy_err(c, *line, "%s: missing %s", label, key);
		return NULL;
	}
	*line = line_of(s);
	if (cfg_type(s) != CFG_ARRAY ||
	    (cfg_length(s) &&
	     cfg_type(cfg_elem(s, 0)) != CFG_STRING)) {
		policy_err(c, *line, "%s: %s must be an array of strings [ \"...\", ... ]",
			   label, key);
		return NULL;
	}
	if (!cfg_length(s)) {
		policy_err(c, *line, "%s: %s is empty", label, key);
		return NULL;
	}
	return s;
}

/*
 * Overlapping entries in one list are refused: they say the author is
 * confused, and an nft interval set refuses overlapping elements anyway.
 */
static bool port_add(struct policy_ctx *c, const char *label, const char *key,
		     struct icc_port *ports, size_t *nports,
		     const struct icc_port *pt, size_t total)
{
	char a[PORT_STRLEN], b[PORT_STRLEN];

	if (pt->proto == 0 && total > 1) {
		policy_err(c, pt->line, "%s: %s lists any with other ports; "
			   "any already covers them", label, key);
		return false;
	}
	for (size_t i = 0; i < *nports; i++) {
		const struct icc_port *o = &ports[i];

		if (!port_overlap(o, pt))
			continue;
		if (o->lo == pt->lo && o->hi == pt->hi)
			policy_err(c, pt->line, "%s: port %s is listed twice",
				   label, port_str(pt, a));
		else
			policy_err(c, pt->line, "%s: port %s overlaps %s", label,
				   port_str(pt, a), port_str(o, b));
		return false;
	}
	ports[(*nports)++] = *pt;
	return true;
}

/*
 * The ports listed at key (the array s of get_strings()) into ports, which
 * has room for all of them; *nports counts those kept.
 */
static bool ports_into(struct policy_ctx *c, const char *label,
		       const char *key, const struct cfg_node *s,
		       struct icc_port *ports, size_t *nports)
{
	size_t n = (size_t)cfg_length(s);
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		const struct cfg_node *e = cfg_elem(s, (unsigned)i);
		const char *str = cfg_string(e), *why;
		struct icc_port pt;
		char q[QUOTE_LEN];

		if (port_parse(str, &pt, &why) < 0) {
			policy_err(c, line_of(e), "%s: port %s is not valid (%s)",
				   label, quote(q, str), why);
			ok = false;
			continue;
		}
		pt.line = line_of(e);
		ok &= port_add(c, label, key, ports, nports, &pt, n);
	}
	return ok;
}

/* A list of port specifications at key: host_ports, egress ports. */
static bool parse_ports(struct policy_ctx *c, const char *label,
			const struct cfg_node *g, const char *key,
			struct icc_port **ports, size_t *nports, int *line)
{
	const struct cfg_node *s = get_strings(c, label, g, key, line);

	if (!s)
		return false;
	*ports = calloc((size_t)cfg_length(s), sizeof(**ports));
	if (!*ports) {
		c->oom = true;
		return false;
	}
	return ports_into(c, label, key, s, *ports, nports);
}

/* ---- links, read while the file is (cfg_parse_stream()) ---- */

#define NO_NAME	UINT32_MAX	/* a link's from or to that is no string */

static size_t pool_slot(const struct name_pool *t, const char *s)
{
	size_t mask = t->nslot - 1, i = name_hash(s) & mask;

	while (t->slot[i] && strcmp(t->text + t->at[t->slot[i] - 1], s))
		i = (i + 1) & mask;
	return i;
}

/* Room for one more name (of len bytes) and its slot; -ENOMEM. */
static int pool_room(struct name_pool *t, size_t len)
{
	if (t->len + len + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *v;

		while (cap < t->len + len + 1)
			cap *= 2;
		if (!(v = realloc(t->text, cap)))
			return -ENOMEM;
		t->text = v;
		t->cap = cap;
	}
	if (t->n == t->ncap) {
		size_t cap = t->ncap ? t->ncap * 2 : 256;
		uint32_t *v = realloc(t->at, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->at = v;
		t->ncap = cap;
	}
	if (2 * (t->n + 1) > t->nslot) {
		size_t cap = t->nslot ? t->nslot * 2 : 512;
		uint32_t *v = calloc(cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		free(t->slot);
		t->slot = v;
		t->nslot = cap;
		for (size_t id = 0; id < t->n; id++)
			t->slot[pool_slot(t, t->text + t->at[id])] = (uint32_t)id + 1;
	}
	return 0;
}

/* The id of name s, which is kept once; NO_NAME when out of memory. */
static uint32_t name_id(struct policy_ctx *c, const char *s)
{
	struct name_pool *t = &c->names;
	size_t len = strlen(s), i;

	if (t->nslot && t->slot[i = pool_slot(t, s)])
		return t->slot[i] - 1;
	if (t->n >= NO_NAME - 1 || pool_room(t, len) < 0) {
		c->oom = true;
		return NO_NAME;
	}
	memcpy(t->text + t->len, s, len + 1);
	t->at[t->n] = (uint32_t)t->len;
	t->len += len + 1;
	t->slot[pool_slot(t, s)] = (uint32_t)t->n + 1;
	return (uint32_t)t->n++;
}

static const char *name_of(const struct policy_ctx *c, uint32_t id)
{
	return id == NO_NAME ? NULL : c->names.text + c->names.at[id];
}

static void link_label(char label[LABEL_LEN], const char *from,
		       const char *to, size_t idx)
{
	if (from && to && container_name_ok(from) && container_name_ok(to))
		label_set(label, "link ", from, " -> ", to);
	else
		snprintf(label, LABEL_LEN, "link #%zu", idx + 1);
}

/* Doubles a (n, cap) array of elements of size sz to hold one more. */
static bool grow(struct policy_ctx *c, void **v, size_t n, size_t *cap,
		 size_t sz)
{
	size_t ncap = *cap ? *cap * 2 : 1024;
	void *p;

	if (n < *cap)
		return true;
	if (!(p = realloc(*v, ncap * sz))) {
		c->oom = true;
		return false;
	}
	*v = p;
	*cap = ncap;
	return true;
}

/* The ports of link l, in p->link_ports after the earlier links'. */
static bool link_ports(struct policy_ctx *c, const char *label,
		       const struct cfg_node *g, struct icc_link *l, int *line)
{
	const struct cfg_node *s = get_strings(c, label, g, "ports", line);
	size_t n = s ? (size_t)cfg_length(s) : 0;

	while (s && c->nports + n > c->nports_cap)
		if (!grow(c, (void **)&c->p->link_ports, c->nports_cap,
			  &c->nports_cap, sizeof(*c->p->link_ports)))
			return false;
	if (!s)
		return false;
	/* resolve_links() points ports into the array once it stops moving */
	l->ports = NULL;
	l->nports = 0;
	if (!ports_into(c, label, "ports", s, c->p->link_ports + c->nports,
			&l->nports)) {
		/* kept, so that the ports of the links after it are found */
		c->nports += l->nports;
		return false;
	}
	c->nports += l->nports;
	return true;
}

/* A link's own settings; its names are looked up by resolve_links(). */
static void read_link(struct policy_ctx *c, const struct cfg_node *g,
		      uint32_t idx)
{
	struct icc_link l = { .from = NO_NAME, .to = NO_NAME, .line = line_of(g) };
	struct src_link src = { .elem = idx };
	const char *from = member_string(g, "from"), *to = member_string(g, "to");
	char label[LABEL_LEN];

	link_label(label, from, to, idx);
	check_keys(c, g, label, link_keys);
	if (get_string(c, label, g, "from", true, &from, &src.from) > 0)
		l.from = name_id(c, from);
	c->s1 = (uint32_t)c->later.n;
	if (get_string(c, label, g, "to", true, &to, &src.to) > 0)
		l.to = name_id(c, to);
	c->s2 = (uint32_t)c->later.n;
	src.ok = link_ports(c, label, g, &l, &src.ports);
	if (!grow(c, (void **)&c->p->links, c->p->nlinks, &c->nlinks_cap,
		  sizeof(l)) ||
	    !grow(c, (void **)&c->slinks, c->p->nlinks, &c->nslinks_cap,
		  sizeof(src)))
		return;
	c->slinks[c->p->nlinks] = src;
	c->p->links[c->p->nlinks++] = l;
}
/* What reading element idx reported, from later.v[a] on, kept aside. */
static void later_note(struct policy_ctx *c, uint32_t idx, size_t a,
		       bool link)
{
	uint32_t b = (uint32_t)c->later.n;

	if (b == a)
		return;
	if (!grow(c, (void **)&c->lat, c->nlat, &c->nlat_cap, sizeof(*c->lat)))
		return;
	/* not a link: all of it comes before any lookup */
	c->lat[c->nlat++] = (struct link_later){ idx, (uint32_t)a,
						 link ? c->s1 : b,
						 link ? c->s2 : b, b };
}

/*
 * Text the parser has passed gives its pages back: the links are most of
 * a big policy's text, and are read into the model as they go by.
 */
static void text_drop(struct policy_ctx *c, char *from, char *to)
{
	if (!c->text_size)
		return;
	if (c->dropped && c->dropped > from)
		from = c->dropped;
	c->dropped = big_drop(c->text, c->text_size, from, to);
}

static int stream_link(void *arg, const struct cfg_node *e, uint32_t idx,
		       char *dead_from, char *dead_to)
{
	struct policy_ctx *c = arg;
	struct icc_diags *d = c->d;
	size_t a = c->later.n;
	bool link = cfg_type(e) == CFG_GROUP;

	c->d = &c->later;
	if (link)
		read_link(c, e, idx);
	else
		policy_err(c, line_of(e), "link #%u must be a group", idx + 1);
	c->d = d;
	later_note(c, idx, a, link);
	text_drop(c, dead_from, dead_to);
	return c->oom ? -ENOMEM : 0;
}

/* Messages a to b kept aside, now in their place among the others. */
static void later_emit(struct policy_ctx *c, uint32_t a, uint32_t b)
{
	if (diags_move(c->d, &c->later, a, b) < 0)
		c->oom = true;
}

/*
 * Container index of link k's end id (-1: none), reported if never
 * declared. The label is made only then: a big policy has no mistakes.
 */
static int link_end(struct policy_ctx *c, const int *ref, size_t k,
		    uint32_t id, int line)
{
	const struct icc_link *l = &c->p->links[k];
	const char *name = name_of(c, id);
	char label[LABEL_LEN], q[QUOTE_LEN];

	if (id == NO_NAME)
		return -1;
	if (ref[id] >= 0 || container_declared(c->root, name))
		return ref[id];
	link_label(label, name_of(c, l->from), name_of(c, l->to),
		   c->slinks[k].elem);
	policy_err(c, line, "%s: unknown container %s", label,
		   container_name_ok(name) ? name : quote(q, name));
	return -1;
}

/*
 * Link k's names to containers, with what reading it reported in the
 * order of the tree: its keys and from, the from lookup, to, the to
 * lookup, its ports. Whether it enters the model.
 */
static bool link_resolve(struct policy_ctx *c, const int *ref, size_t k,
			 const struct link_later *x)
{
	struct icc_link *l = &c->p->links[k];
	const struct src_link *src = &c->slinks[k];
	int f, t;

	if (x)
		later_emit(c, x->a, x->s1);
	f = link_end(c, ref, k, l->from, src->from);
	if (x)
		later_emit(c, x->s1, x->s2);
	t = link_end(c, ref, k, l->to, src->to);
	if (x)
		later_emit(c, x->s2, x->b);
	if (!src->ok || f < 0 || t < 0)
		return false;
	l->from = (unsigned)f;
	l->to = (unsigned)t;
	return true;
}

/* Each name the links use, as a container index or -1. */
static int *name_refs(struct policy_ctx *c)
{
	int *ref = malloc((c->names.n + 1) * sizeof(*ref));

	if (!ref) {
		c->oom = true;
		return NULL;
	}
	for (size_t i = 0; i < c->names.n && !c->oom; i++)
		ref[i] = find_container(c, name_of(c, (uint32_t)i));
	return ref;
}

/* The links read with the file, into the model (the containers are). */
static void resolve_links(struct policy_ctx *c)
{
	int *ref = name_refs(c);
	size_t e = 0, w = 0, at = 0;

	for (size_t k = 0; ref && k < c->p->nlinks && !c->oom; k++) {
		const struct link_later *x = NULL;
		struct icc_link *l = &c->p->links[k];

		/* elements that were no group, before this one */
		for (; e < c->nlat && c->lat[e].elem < c->slinks[k].elem; e++)
			later_emit(c, c->lat[e].a, c->lat[e].b);
		if (e < c->nlat && c->lat[e].elem == c->slinks[k].elem)
			x = &c->lat[e++];
		/* NULL + 0 is undefined: no link has kept a port yet */
		l->ports = l->nports ? c->p->link_ports + at : NULL;
		at += l->nports;
		if (!link_resolve(c, ref, k, x))
			continue;
		c->slinks[w] = c->slinks[k];
		c->p->links[w++] = *l;
	}
	for (; ref && e < c->nlat; e++)
		later_emit(c, c->lat[e].a, c->lat[e].b);
	c->p->nlinks = w;
	free(ref);
}

static bool parse_egress(struct policy_ctx *c, const struct cfg_node *g,
			 size_t idx)
{
	const struct cfg_node *root = c->root;
	struct icc_egress e = { .line = line_of(g) };
	struct src_egress src = { 0 };
	const char *from = member_string(g, "from"), *to;
	char label[LABEL_LEN];
	int f = -1;
	bool ok = true;

	if (from && container_name_ok(from))
		snprintf(label, sizeof(label), "egress %s", from);
	else
		snprintf(label, sizeof(label), "egress #%zu", idx + 1);
	check_keys(c, g, label, egress_keys);
	if (get_string(c, label, g, "from", true, &from, &src.from) > 0)
		f = container_ref(c, label, root, from, src.from);
	if (get_string(c, label, g, "to", true, &to, &src.to) > 0)
		ok &= prefix_value(c, label, "to", to, src.to, 0, true, &e.to);
	else
		ok = false;
	ok &= parse_ports(c, label, g, "ports", &e.ports, &e.nports, &src.ports);
	if (!ok || f < 0) {
		free(e.ports);
		return false;
	}
	e.from = (unsigned)f;
	c->segress[c->p->negress] = src;
	c->p->egress[c->p->negress++] = e;
	return true;
}

static bool parse_allow(struct policy_ctx *c, const char *label,
			const struct cfg_node *g, struct icc_publish *pb,
			int *line)
{
	const struct cfg_node *s;
	char a[PREFIX_STRLEN], b[PREFIX_STRLEN];
	size_t n;
	bool ok = true;

	if (!member(g, "allow_from"))
		return true;
	s = get_strings(c, label, g, "allow_from", line);
	if (!s)
		return false;
	n = (size_t)cfg_length(s);
	pb->allow_from = calloc(n, sizeof(*pb->allow_from));
	if (!pb->allow_from) {
		c->oom = true;
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const struct cfg_node *e = cfg_elem(s, (unsigned)i);
		struct icc_prefix p;
		size_t j;

		if (!prefix_value(c, label, "allow_from", cfg_string(e),
				  line_of(e), 0, true, &p)) {
			ok = false;
			continue;
		}
		for (j = 0; j < pb->nallow; j++)
			if (prefix_overlap(&pb->allow_from[j], &p))
				break;
		if (j == pb->nallow) {
			pb->allow_from[pb->nallow++] = p;
			continue;
		}
		if (pb->allow_from[j].len == p.len)
			policy_err(c, line_of(e), "%s: allow_from %s is listed twice",
				   label, source_str(&p, a));
		else
			policy_err(c, line_of(e), "%s: allow_from %s overlaps %s",
				   label, source_str(&p, a),
				   source_str(&pb->allow_from[j], b));
		ok = false;
	}
	return ok;
}

/* The container's port: one tcp or udp port, nothing else is forwarded. */
static bool parse_publish_port(struct policy_ctx *c, const char *label,
			       const struct cfg_node *g, struct icc_publish *pb,
			       int *line)
{
	struct icc_port pt;
	const char *s, *why;
	char q[QUOTE_LEN];
	int r;

	if (get_string(c, label, g, "port", true, &s, line) <= 0)
		return false;
	r = port_parse(s, &pt, &why);
	if (r == 0 && (pt.lo != pt.hi ||
		       (pt.proto != IPPROTO_TCP && pt.proto != IPPROTO_UDP))) {
		why = "publish takes a single tcp/N or udp/N";
		r = -EINVAL;
	}
	if (r < 0) {
		policy_err(c, *line, "%s: port %s is not valid (%s)", label,
			   quote(q, s), why);
		return false;
	}
	pb->proto = pt.proto;
	pb->port = pt.lo;
	return true;
}

static bool parse_publish(struct policy_ctx *c, const struct cfg_node *g,
			  size_t idx)
{
	const struct cfg_node *root = c->root;
	struct icc_publish pb = { .line = line_of(g) };
	struct src_publish src = { 0 };
	const char *name = member_string(g, "container");
	const char *port = member_string(g, "port"), *host, *why;
	char label[LABEL_LEN], q[QUOTE_LEN], pbuf[PORT_STRLEN];
	struct icc_port pt;
	int ct = -1;
	bool ok;

	if (name && port && container_name_ok(name) &&
	    port_parse(port, &pt, &why) == 0 && pt.lo == pt.hi &&
	    (pt.proto == IPPROTO_TCP || pt.proto == IPPROTO_UDP))
		snprintf(label, sizeof(label), "publish %s %s", name,
			 port_str(&pt, pbuf));
	else
		snprintf(label, sizeof(label), "publish #%zu", idx + 1);
	check_keys(c, g, label, publish_keys);
	if (get_string(c, label, g, "container", true, &name, &src.container) > 0)
		ct = container_ref(c, label, root, name, src.container);
	ok = parse_publish_port(c, label, g, &pb, &src.port);
	if (get_string(c, label, g, "host", true, &host, &src.host) > 0) {
		if (host_parse(host, &pb, &why) < 0) {
			policy_err(c, src.host, "%s: host %s is not valid (%s)",
				   label, quote(q, host), why);
			ok = false;
		}
	} else {
		ok = false;
	}
	ok &= parse_allow(c, label, g, &pb, &src.allow_from);
	if (!ok || ct < 0) {
		free(pb.allow_from);
		return false;
	}
	pb.container = (unsigned)ct;
	c->spublishes[c->p->npublishes] = src;
	c->p->publishes[c->p->npublishes++] = pb;
	return true;
}

static void parse_version(struct policy_ctx *c, const struct cfg_node *root)
{
	const struct cfg_node *s = member(root, "version");
	long long v;

	if (!s) {
		policy_err(c, 1, "missing version (this icc-policy reads version %d)",
			   ICC_POLICY_VERSION);
		return;
	}
	if (cfg_type(s) == CFG_INT)
		v = s->v.i;
	else if (cfg_type(s) == CFG_INT64)
		v = s->v.i;
	else {
		policy_err(c, line_of(s), "version must be an integer");
		return;
	}
	if (v != ICC_POLICY_VERSION) {
		policy_err(c, line_of(s), "unsupported version %lld (this icc-policy reads version %d)",
			   v, ICC_POLICY_VERSION);
		return;
	}
	c->p->version = (int)v;
}

/* One path of discovery = { ... }; the default when absent. */
static void parse_path(struct policy_ctx *c, const struct cfg_node *g,
		       const char *key, const char *def, char **out)
{
	const char *v = def;
	char q[QUOTE_LEN];
	int line;

	if (g && get_string(c, "discovery", g, key, false, &v, &line) < 0)
		v = def;
	else if (v != def && (v[0] != '/' || strlen(v) >= 4096 ||
			      strpbrk(v, "\"\\\n"))) {
		policy_err(c, line, "discovery: %s %s must be an absolute path",
			   key, quote(q, v));
		v = def;
	}
	*out = strdup(v);
	if (!*out)
		c->oom = true;
}

static void parse_discovery(struct policy_ctx *c, const struct cfg_node *root)
{
	const struct cfg_node *g = member(root, "discovery");
	struct icc_paths *ps = &c->p->paths;

	if (g && cfg_type(g) != CFG_GROUP) {
		policy_err(c, line_of(g), "discovery must be a group { netns = \"...\"; ... }");
		g = NULL;
	}
	if (g)
		check_keys(c, g, "discovery", discovery_keys);
	parse_path(c, g, "netns", ICC_NETNS_DIR, &ps->netns);
	parse_path(c, g, "docker", ICC_DOCKER_ROOT, &ps->docker);
	parse_path(c, g, "docker_netns", ICC_DOCKER_NETNS, &ps->docker_netns);
	parse_path(c, g, "lxc", ICC_LXC_PATH, &ps->lxc);
	parse_path(c, g, "lxc_cgroup", ICC_LXC_CGROUP, &ps->lxc_cgroup);
}

/* Sizes the model and its line tables for the longest each list can be. */
static int alloc_model(struct policy_ctx *c, const struct cfg_node *root)
{
	const struct cfg_node *s;
	size_t nb = 0, nc = 0, np = 0, ne = 0;

	if ((s = member(root, "bridges")) && cfg_is_aggregate(s))
		nb = (size_t)cfg_length(s);
	if ((s = member(root, "containers")) && cfg_is_aggregate(s))
		nc = (size_t)cfg_length(s);
	if ((s = member(root, "publish")) && cfg_is_aggregate(s))
		np = (size_t)cfg_length(s);
	if ((s = member(root, "egress")) && cfg_is_aggregate(s))
		ne = (size_t)cfg_length(s);
	/* calloc(0) may return NULL: ask for one element at least. */
	c->p->bridges = calloc(nb + 1, sizeof(*c->p->bridges));
	c->sbridges = calloc(nb + 1, sizeof(*c->sbridges));
	c->p->containers = calloc(nc + 1, sizeof(*c->p->containers));
	c->scontainers = calloc(nc + 1, sizeof(*c->scontainers));
	/* the links were read with the file: none is one element still */
	if (!c->p->links)
		c->p->links = calloc(1, sizeof(*c->p->links));
	if (!c->slinks)
		c->slinks = calloc(1, sizeof(*c->slinks));
	c->p->publishes = calloc(np + 1, sizeof(*c->p->publishes));
	c->spublishes = calloc(np + 1, sizeof(*c->spublishes));
	c->p->egress = calloc(ne + 1, sizeof(*c->p->egress));
	c->segress = calloc(ne + 1, sizeof(*c->segress));
	if (!c->p->bridges || !c->sbridges || !c->p->containers ||
	    !c->scontainers || !c->p->links || !c->slinks ||
	    !c->p->publishes || !c->spublishes || !c->p->egress || !c->segress)
		return -ENOMEM;
	return 0;
}

static void parse_root(struct policy_ctx *c, const struct cfg_node *root)
{
	const struct cfg_node *s;

	check_keys(c, root, NULL, top_keys);
	parse_version(c, root);
	s = member(root, "bridges");
	if (!s)
		policy_err(c, 1, "missing bridges (declare at least one bridge)");
	else if (cfg_type(s) == CFG_LIST &&
		 !cfg_length(s))
		policy_err(c, line_of(s), "bridges is empty (declare at least one bridge)");
	else
		parse_list(c, s, "bridges", "bridge", parse_bridge);
	if ((s = member(root, "containers")))
		parse_containers(c, s);
	/* read with the file (stream_link()): only a list is */
	if ((s = member(root, "links")) && cfg_type(s) == CFG_LIST)
		resolve_links(c);
	else if (s)
		policy_err(c, line_of(s), "links must be a list of groups");
	if ((s = member(root, "publish")))
		parse_list(c, s, "publish", "publish", parse_publish);
	if ((s = member(root, "egress")))
		parse_list(c, s, "egress", "egress", parse_egress);
	parse_discovery(c, root);
}

/*
 * The model keeps lines but no file names, so later stages could not name
 * the right file for an included setting: a policy is one file. The
 * directive is refused by name rather than as a syntax error: libconfig
 * takes @include at the start of a line, after blanks, and a user may
 * well have written one.
 */
static bool refuse_includes(struct policy_ctx *c, const char *text)
{
	size_t before = c->nerr;
	int line = 1;

	for (const char *l = text; *l; line++) {
		const char *t = l + strspn(l, " \t");
		const char *nl = strchr(l, '\n');

		if (!strncmp(t, "@include", 8))
			policy_err(c, line, "@include is not supported; a policy is a single file");
		if (!nl)
			break;
		l = nl + 1;
	}
	return c->nerr != before;
}

static void syntax_error(struct policy_ctx *c, const struct cfg *cfg)
{
	/* libconfig 1.5, which cfg.c follows, says just "syntax error" for
	 * most mistakes. */
	if (!strcmp(cfg->error_text, "syntax error"))
		policy_err(c, cfg->error_line, "syntax error");
	else
		policy_err(c, cfg->error_line, "syntax error: %s", cfg->error_text);
}

static void ctx_free(struct policy_ctx *c)
{
	policy_free(c->p);
	free(c->sbridges);
	free(c->scontainers);
	free(c->slinks);
	free(c->spublishes);
	free(c->segress);
	free(c->by_name);
	free(c->names.text);
	free(c->names.at);
	free(c->names.slot);
	diags_free(&c->later);
	free(c->lat);
}

/*
 * The tree of text, its links read into the model as they go by: on a
 * second thread when the text is big (policy_pipe.c), here when it is
 * small or no thread can be had (a thread costs more than a small
 * policy takes to read).
 */
size_t policy_pipe_min = 256u << 10;

static int read_tree(struct policy_ctx *c, struct cfg *cfg, char *text,
		     size_t len)
{
	struct cfg_stream links = { "links", stream_link, c, 0 };
	struct elem_pipe *pipe = NULL;
	int ret;

	if (len >= policy_pipe_min && pipe_open(&pipe, stream_link, c) == 0) {
		links.elem = pipe_put;
		links.arg = pipe;
	}
	ret = cfg_parse_stream(cfg, text, len, &links);
	/* before anything else reads c: the worker may still write it */
	if (pipe_close(pipe) == -ENOMEM)
		c->oom = true;
	return c->oom ? -ENOMEM : ret;
}

/* Parses text[0..len), which it modifies (see cfg_parse). */
static int parse_text(char *text, size_t len, size_t size, const char *name,
		      struct icc_policy **out, struct icc_diags *d)
{
	struct policy_ctx c = { .file = name ? name : "<string>", .d = d,
				.text = text, .text_size = size };
	size_t first = d->n;
	struct cfg cfg = { 0 };
	int ret = -ENOMEM;

	*out = NULL;
	c.p = calloc(1, sizeof(*c.p));
	if (!c.p || !(c.p->file = strdup(c.file)))
		goto out;
	if (refuse_includes(&c, text)) {
		/* not parsed: a policy is one file */
	} else if ((ret = read_tree(&c, &cfg, text, len)) == -ENOMEM) {
		goto out;
	} else if (ret) {
		syntax_error(&c, &cfg);
	} else {
		c.root = &cfg.root;
		if (alloc_model(&c, c.root) < 0)
			goto out;
		parse_root(&c, c.root);
		/* The model is all the checks read: the tree and the text go
		 * now, not after them (the daemon's peak is here). */
		c.root = NULL;
		cfg_free(&cfg);
		c.dropped = NULL;	/* all of it, what came before the links too */
		text_drop(&c, text, text + len);
		if (!c.oom)
			policy_check(&c);
	}
	ret = -ENOMEM;
	if (c.oom)
		goto out;
	ret = -EINVAL;
	if (c.nerr)
		goto out;
	ret = -ENOMEM;
	if (policy_index(c.p) < 0)
		goto out;
	*out = c.p;
	c.p = NULL;
	ret = 0;
out:
	cfg_free(&cfg);
	diags_sort_from(d, first);
	ctx_free(&c);
	return ret;
}

int policy_load_string(const char *text, const char *name,
		       struct icc_policy **out, struct icc_diags *d)
{
	char *copy = strdup(text);
	int ret;

	*out = NULL;
	if (!copy)
		return -ENOMEM;
	ret = parse_text(copy, strlen(copy), 0, name, out, d);
	free(copy);
	return ret;
}

/*
 * A regular file in one read into huge pages (icc/bigmem.h): a policy of
 * 10,000 containers is 6.6 MB.  Anything else (a pipe, a file that grows
 * while we read) goes through file_read().  *size is 0 for that case.
 */
static int read_policy(const char *path, char **text, size_t *len,
		       size_t *size)
{
	struct stat st;
	ssize_t r = 0;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*size = 0;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (size_t)st.st_size <= MAX_FILE_SIZE &&
	    (*text = big_alloc((size_t)st.st_size + 2))) {
		while (n <= (size_t)st.st_size &&
		       (r = read(fd, *text + n, (size_t)st.st_size + 1 - n)) > 0)
			n += (size_t)r;
		if (r == 0 && n == (size_t)st.st_size) {
			close(fd);
			*len = n;
			*size = (size_t)st.st_size + 2;
			return 0;
		}
		big_free(*text, (size_t)st.st_size + 2);
		/* it changed while we read: from the start, the slow way */
		if (lseek(fd, 0, SEEK_SET) < 0) {
			close(fd);
			return file_read(path, MAX_FILE_SIZE, text, len);
		}
	}
	if (fd < 0)
		return -errno;
	return file_read_fd(fd, MAX_FILE_SIZE, text, len);
}

int policy_load(const char *path, struct icc_policy **out,
		struct icc_diags *d)
{
	char *text = NULL;
	size_t len = 0, size;
	int ret;

	*out = NULL;
	ret = read_policy(path, &text, &len, &size);
	if (ret < 0) {
		if (diags_add(d, path, 0, "cannot read: %s", strerror(-ret)) < 0)
			ret = -ENOMEM;
		return ret;
	}
	/* libconfig's syntax has no NUL: it would end the text early. */
	if (strlen(text) != len) {
		int line = 1;

		for (const char *q = text; *q; q++)
			line += *q == '\n';
		ret = diags_add(d, path, line, "syntax error: NUL byte in file") < 0
		      ? -ENOMEM : -EINVAL;
	} else {
		ret = parse_text(text, len, size, path, out, d);
	}
	if (size)
		big_free(text, size);
	else
		free(text);
	return ret;
}

void policy_free(struct icc_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->ncontainers; i++)
		container_free(&p->containers[i]);
	free(p->paths.netns);
	free(p->paths.docker);
	free(p->paths.docker_netns);
	free(p->paths.lxc);
	free(p->paths.lxc_cgroup);
	free(p->link_ports);
	policy_index_free(p);
	for (size_t i = 0; i < p->nbridges; i++)
		free(p->bridges[i].host_ports);
	for (size_t i = 0; i < p->negress; i++)
		free(p->egress[i].ports);
	free(p->egress);
	for (size_t i = 0; i < p->npublishes; i++)
		free(p->publishes[i].allow_from);
	free(p->bridges);
	free(p->containers);
	free(p->links);
	free(p->publishes);
	free(p->file);
	free(p);
}
