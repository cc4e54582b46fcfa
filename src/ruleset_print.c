// SPDX-License-Identifier: GPL-2.0-or-later
/* The canonical printer: nft syntax that `nft -f` loads. */
#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>

#include "icc/ruleset.h"

static const char *const dtype_names[] = {
	[ICC_T_IFNAME] = "ifname", [ICC_T_IPV4] = "ipv4_addr",
	[ICC_T_PROTO] = "inet_proto", [ICC_T_PORT] = "inet_service",
	[ICC_T_ETHER] = "ether_addr", [ICC_T_IPV6] = "ipv6_addr",
	[ICC_T_RAW128] = "integer",
};

static void print_types(FILE *f, const uint8_t *t, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " . " : "", dtype_names[t[i]]);
}

void set_print_decl(FILE *f, const struct icc_set *s)
{
	if (s->def->typeof_text) {
		fprintf(f, "typeof %s;", s->def->typeof_text);
		return;
	}
	fputs("type ", f);
	print_types(f, s->def->key, s->def->nkey);
	if (s->def->ndata) {
		fputs(" : ", f);
		print_types(f, s->def->data, s->def->ndata);
	}
	fputs(";", f);
	if (s->def->interval)
		fputs(" flags interval;", f);
	if (s->def->counter)
		fputs(" counter;", f);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void print_ipv4(FILE *f, uint32_t v)
{
	fprintf(f, "%u.%u.%u.%u", v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff,
		v & 0xff);
}

/* A range of addresses as a prefix when it is one, else lo-hi. */
static void print_ipv4_range(FILE *f, uint32_t lo, uint32_t hi)
{
	uint32_t size = hi - lo;

	if (lo == hi) {
		print_ipv4(f, lo);
	} else if (((size + 1) & size) == 0 && (lo & size) == 0) {
		int len = 32;

		while (size) {
			size >>= 1;
			len--;
		}
		print_ipv4(f, lo);
		fprintf(f, "/%d", len);
	} else {
		print_ipv4(f, lo);
		fputc('-', f);
		print_ipv4(f, hi);
	}
}

/* The prefix length of lo..hi when the range is one prefix, else -1. */
static int prefix6_len(const uint8_t *lo, const uint8_t *hi)
{
	int len = 0;

	while (len < 128 && ((lo[len / 8] ^ hi[len / 8]) & (0x80 >> (len % 8))) == 0)
		len++;
	for (int i = len; i < 128; i++) {
		uint8_t bit = 0x80 >> (i % 8);

		if ((lo[i / 8] & bit) || !(hi[i / 8] & bit))
			return -1;
	}
	return len;
}

static void print_ipv6_range(FILE *f, const uint8_t *lo, const uint8_t *hi)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int len = prefix6_len(lo, hi);

	inet_ntop(AF_INET6, lo, a, sizeof(a));
	if (len == 128)
		fputs(a, f);
	else if (len >= 0)
		fprintf(f, "%s/%d", a, len);
	else
		fprintf(f, "%s-%s", a, inet_ntop(AF_INET6, hi, b, sizeof(b)));
}

static void print_proto(FILE *f, uint8_t p)
{
	switch (p) {
	case 6: fputs("tcp", f); break;
	case 17: fputs("udp", f); break;
	case 1: fputs("icmp", f); break;
	default: fprintf(f, "%u", p); break;
	}
}

static void print_field(FILE *f, enum icc_dtype t, const uint8_t *lo,
			const uint8_t *hi)
{
	unsigned a, b;

	switch (t) {
	case ICC_T_IFNAME:
		fprintf(f, "\"%.16s\"", (const char *)lo);
		break;
	case ICC_T_IPV4:
		print_ipv4_range(f, be32(lo), be32(hi));
		break;
	case ICC_T_PROTO:
		print_proto(f, lo[0]);
		if (hi[0] != lo[0]) {
			fputc('-', f);
			print_proto(f, hi[0]);
		}
		break;
	case ICC_T_PORT:
		a = lo[0] << 8 | lo[1];
		b = hi[0] << 8 | hi[1];
		fprintf(f, a == b ? "%u" : "%u-%u", a, b);
		break;
	case ICC_T_ETHER:	/* never a range */
		fprintf(f, "%02x:%02x:%02x:%02x:%02x:%02x", lo[0], lo[1], lo[2],
			lo[3], lo[4], lo[5]);
		break;
	case ICC_T_IPV6:
		print_ipv6_range(f, lo, hi);
		break;
	case ICC_T_RAW128:	/* never a range; a big-endian number */
		fputs("0x", f);
		for (int i = 0; i < 16; i++)
			fprintf(f, "%02x", lo[i]);
		break;
	}
}

static void print_fields(FILE *f, const uint8_t *t, unsigned n,
			 const uint8_t *lo, const uint8_t *hi)
{
	size_t off = 0;

	for (unsigned i = 0; i < n; i++) {
		if (i)
			fputs(" . ", f);
		print_field(f, t[i], lo + off, hi + off);
		off += dtype_size(t[i]);
	}
}

void set_print_elem(FILE *f, const struct icc_set *s, const uint8_t *e)
{
	const struct icc_set_def *d = s->def;
	const uint8_t *end = d->interval ? e + s->key_len : e;
	const uint8_t *data = e + s->key_len * (d->interval ? 2 : 1);

	print_fields(f, d->key, d->nkey, e, end);
	if (d->ndata) {
		fputs(" : ", f);
		print_fields(f, d->data, d->ndata, data, data);
	}
}

static void print_set(FILE *f, const struct icc_set *s)
{
	fprintf(f, "\t%s %s {\n\t\t", s->def->ndata ? "map" : "set",
		s->def->name);
	set_print_decl(f, s);
	fprintf(f, "\n\t\tcomment \"%s\"\n", s->def->comment);
	if (s->n) {
		fputs("\t\telements = {\n", f);
		for (size_t i = 0; i < s->n; i++) {
			fputs("\t\t\t", f);
			set_print_elem(f, s, set_elem(s, i));
			fputs(i + 1 < s->n ? ",\n" : "\n", f);
		}
		fputs("\t\t}\n", f);
	}
	fputs("\t}\n", f);
}

static const char *const hook_names[] = {
	"prerouting", "input", "forward", "output", "postrouting",
};

static void print_chain(FILE *f, unsigned c)
{
	const struct icc_chain_def *d = &icc_chain_defs[c];

	fprintf(f, "\n\tchain %s {\n", d->name);
	if (d->type)
		fprintf(f, "\t\ttype %s hook %s priority %s; policy accept;\n",
			d->type, hook_names[d->hook], d->prio_text);
	for (size_t i = 0; i < icc_nrules; i++)
		if (icc_rule_defs[i].chain == c)
			fprintf(f, "\t\t%s\n", icc_rule_defs[i].text);
	fputs("\t}\n", f);
}

static void print_table(FILE *f, const struct icc_ruleset *rs,
			enum icc_table_id t)
{
	fprintf(f, "table %s %s {\n\tcomment \"%s\"\n\n",
		icc_table_defs[t].family, ICC_TABLE, ICC_TABLE_COMMENT);
	for (int i = 0; i < ICC_NSETS; i++)
		if (icc_set_defs[i].table == t)
			print_set(f, &rs->sets[i]);
	for (size_t c = 0; c < icc_nchains; c++)
		if (icc_chain_defs[c].table == t)
			print_chain(f, c);
	fputs("}\n", f);
}

void ruleset_print(FILE *f, const struct icc_ruleset *rs)
{
	for (int t = 0; t < ICC_NTABLES; t++) {
		if (t)
			fputc('\n', f);
		print_table(f, rs, t);
	}
}
