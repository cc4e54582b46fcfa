// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The drop log's pure half (src/droplog.c): crafted NFLOG messages in,
 * struct icc_drop out; the canonical line; one line per connection with
 * the test's own clock; who an address is. The socket is tested with real
 * packets in tests/e2e/t-droplog.sh.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>

#include "unit.h"

#include "icc/droplog.h"

/* ---------------------------------------------------------------- packets */

struct pkt {
	uint8_t b[256];
	size_t n;
};

static void put(struct pkt *p, const void *b, size_t n)
{
	assert_true(p->n + n <= sizeof(p->b));
	memcpy(p->b + p->n, b, n);
	p->n += n;
}

static void put16(struct pkt *p, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(p, b, 2);
}

static void ip4(struct pkt *p, uint8_t proto, const char *src, const char *dst)
{
	uint8_t h[20] = { 0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, proto };

	assert_int_equal(inet_pton(AF_INET, src, h + 12), 1);
	assert_int_equal(inet_pton(AF_INET, dst, h + 16), 1);
	put(p, h, sizeof(h));
}

static void ip6(struct pkt *p, uint8_t nh, const char *src, const char *dst)
{
	uint8_t h[40] = { 0x60, 0, 0, 0, 0, 20, nh, 64 };

	assert_int_equal(inet_pton(AF_INET6, src, h + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, h + 24), 1);
	put(p, h, sizeof(h));
}

/* The first 8 bytes of a TCP or UDP header. */
static void ports(struct pkt *p, uint16_t sport, uint16_t dport)
{
	put16(p, sport);
	put16(p, dport);
	put16(p, 0);
	put16(p, 0);
}

static void echo(struct pkt *p, uint8_t type, uint16_t id)
{
	uint8_t h[2] = { type, 0 };

	put(p, h, 2);
	put16(p, 0);
	put16(p, id);
	put16(p, 1);
}

/* An NFLOG packet message; prefix NULL: none; payload p NULL: none. */
static struct nlmsghdr *nflog(char *buf, const char *prefix,
			      const struct pkt *p, uint32_t in, uint32_t out)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfulnl_msg_packet_hdr ph = { .hw_protocol = htons(0x0800), .hook = 2 };
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	g->res_id = htons(ICC_LOG_GROUP);
	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
	if (in)
		mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(in));
	if (out)
		mnl_attr_put_u32(nlh, NFULA_IFINDEX_OUTDEV, htonl(out));
	if (p)
		mnl_attr_put(nlh, NFULA_PAYLOAD, p->n, p->b);
	if (prefix)
		mnl_attr_put_strz(nlh, NFULA_PREFIX, prefix);
	mnl_attr_put_u32(nlh, NFULA_SEQ, htonl(41));
	return nlh;
}

static int parse(const char *prefix, const struct pkt *p, struct icc_drop *d)
{
	char buf[1024];

	return droplog_parse(nflog(buf, prefix, p, 3, 3), d);
}

static struct pkt tcp4(uint16_t sport)
{
	struct pkt p = { .n = 0 };

	ip4(&p, IPPROTO_TCP, "172.17.0.2", "172.17.0.3");
	ports(&p, sport, 5432);
	return p;
}

/* ---------------------------------------------------------------- parse */

static void test_parse_tcp4(void **state)
{
	struct pkt p = tcp4(41234);
	struct icc_drop d;
	char buf[1024];

	(void)state;
	assert_int_equal(droplog_parse(nflog(buf, "icc drop link ", &p, 3, 4), &d), 1);
	assert_int_equal(d.kind, ICC_DROP_LINK);
	assert_int_equal(d.family, AF_INET);
	assert_int_equal(d.src.v4.s_addr, inet_addr("172.17.0.2"));
	assert_int_equal(d.dst.v4.s_addr, inet_addr("172.17.0.3"));
	assert_int_equal(d.proto, IPPROTO_TCP);
	assert_true(d.has_ports);
	assert_false(d.has_icmp);
	assert_int_equal(d.sport, 41234);
	assert_int_equal(d.dport, 5432);
	assert_int_equal(d.indev, 3);
	assert_int_equal(d.outdev, 4);
	assert_true(d.has_seq);
	assert_int_equal(d.seq, 41);
}

static void test_parse_udp4(void **state)
{
	struct pkt p = { .n = 0 };
	struct icc_drop d;

	(void)state;
	ip4(&p, IPPROTO_UDP, "172.17.0.2", "203.0.113.9");
	ports(&p, 5353, 53);
	assert_int_equal(parse("icc drop egress ", &p, &d), 1);
	assert_int_equal(d.kind, ICC_DROP_EGRESS);
	assert_int_equal(d.proto, IPPROTO_UDP);
	assert_int_equal(d.sport, 5353);
	assert_int_equal(d.dport, 53);
}

static void test_parse_icmp4(void **state)
{
	struct pkt p = { .n = 0 };
	struct icc_drop d;

	(void)state;
	ip4(&p, IPPROTO_ICMP, "172.17.0.2", "172.17.0.3");
	echo(&p, 8, 0x1234);
	assert_int_equal(parse("icc drop link ", &p, &d), 1);
	assert_int_equal(d.proto, IPPROTO_ICMP);
	assert_false(d.has_ports);
	assert_true(d.has_icmp);
	assert_int_equal(d.icmp_type, 8);
	assert_int_equal(d.icmp_code, 0);
	assert_int_equal(d.icmp_id, 0x1234);
}

static void test_parse_tcp6(void **state)
{
	struct pkt p = { .n = 0 };
	struct icc_drop d;
	struct in6_addr want;

	(void)state;
	ip6(&p, IPPROTO_TCP, "fd00:17::2", "fd00:17::3");
	ports(&p, 41234, 443);
	assert_int_equal(parse("icc drop inbound ", &p, &d), 1);
	assert_int_equal(d.kind, ICC_DROP_INBOUND);
	assert_int_equal(d.family, AF_INET6);
	inet_pton(AF_INET6, "fd00:17::3", &want);
	assert_memory_equal(&d.dst.v6, &want, 16);
	assert_int_equal(d.proto, IPPROTO_TCP);
	assert_int_equal(d.sport, 41234);
	assert_int_equal(d.dport, 443);
}

/* Destination options before TCP; a later fragment has no ports. */
static void test_parse_ip6_ext(void **state)
{
	struct pkt p = { .n = 0 };
	uint8_t dst_opts[8] = { IPPROTO_TCP, 0, 1, 4, 0, 0, 0, 0 };
	uint8_t frag[8] = { IPPROTO_UDP, 0, 0x01, 0x00, 0, 0, 0, 1 };
	struct icc_drop d;

	(void)state;
	ip6(&p, IPPROTO_DSTOPTS, "fd00:17::2", "fd00:17::3");
	put(&p, dst_opts, sizeof(dst_opts));
	ports(&p, 1000, 22);
	assert_int_equal(parse("icc drop host ", &p, &d), 1);
	assert_int_equal(d.kind, ICC_DROP_HOST);
	assert_int_equal(d.proto, IPPROTO_TCP);
	assert_true(d.has_ports);
	assert_int_equal(d.dport, 22);

	p.n = 0;
	ip6(&p, IPPROTO_FRAGMENT, "fd00:17::2", "fd00:17::3");
	put(&p, frag, sizeof(frag));
	ports(&p, 1000, 53);
	assert_int_equal(parse("icc drop link ", &p, &d), 1);
	assert_int_equal(d.proto, IPPROTO_UDP);
	assert_false(d.has_ports);
}

static void test_parse_truncated(void **state)
{
	struct pkt p = tcp4(1);
	struct icc_drop d;

	(void)state;
	p.n = 19;	/* the IPv4 header cut */
	assert_int_equal(parse("icc drop link ", &p, &d), -EBADMSG);
	p.n = 22;	/* the TCP header cut: addresses, no ports */
	assert_int_equal(parse("icc drop link ", &p, &d), 1);
	assert_int_equal(d.proto, IPPROTO_TCP);
	assert_false(d.has_ports);
	p = (struct pkt){ .n = 0 };
	ip6(&p, IPPROTO_TCP, "fd00:17::2", "fd00:17::3");
	p.n = 39;
	assert_int_equal(parse("icc drop link ", &p, &d), -EBADMSG);
	assert_int_equal(parse("icc drop link ", NULL, &d), -EBADMSG);
	p.b[0] = 0x50;	/* neither IPv4 nor IPv6 */
	p.n = 40;
	assert_int_equal(parse("icc drop link ", &p, &d), -EBADMSG);
}

static void test_parse_prefix(void **state)
{
	struct pkt p = tcp4(1);
	struct icc_drop d;

	(void)state;
	assert_int_equal(parse(NULL, &p, &d), 0);
	assert_true(d.has_seq);		/* still counted for gaps */
	assert_int_equal(parse("ulogd drop ", &p, &d), 0);
	assert_int_equal(parse("icc dropped link ", &p, &d), 0);
	assert_int_equal(parse("", &p, &d), 0);
	assert_int_equal(parse("icc drop publish ", &p, &d), -EBADMSG);
	assert_int_equal(parse("icc drop linkage ", &p, &d), -EBADMSG);
	assert_int_equal(parse("icc drop ", &p, &d), -EBADMSG);
	assert_int_equal(parse("icc drop link", &p, &d), 1);
}

static void test_parse_not_packet(void **state)
{
	struct pkt p = tcp4(1);
	struct icc_drop d;
	char buf[1024];
	struct nlmsghdr *nlh = nflog(buf, "icc drop link ", &p, 1, 1);

	(void)state;
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	assert_int_equal(droplog_parse(nlh, &d), 0);
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFULNL_MSG_PACKET;
	assert_int_equal(droplog_parse(nlh, &d), 0);
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN;	/* no room for nfgenmsg */
	assert_int_equal(droplog_parse(nlh, &d), 0);
}

/* ---------------------------------------------------------------- the line */

static const char *fake_addr(int family, const union icc_drop_addr *a, void *data)
{
	char s[INET6_ADDRSTRLEN];

	(void)data;
	inet_ntop(family, a, s, sizeof(s));
	if (!strcmp(s, "172.17.0.2") || !strcmp(s, "fd00:17::2"))
		return "web";
	if (!strcmp(s, "172.17.0.3") || !strcmp(s, "fd00:17::3"))
		return "db";
	return NULL;
}

static const char *fake_ifname(uint32_t ifindex, char *buf, void *data)
{
	(void)data;
	if (ifindex == 3)
		return "docker0";
	if (ifindex == 4) {
		snprintf(buf, ICC_IFNAMSIZ, "eth0");
		return buf;
	}
	return NULL;
}

static const struct icc_drop_names fake = { fake_addr, fake_ifname, NULL };

static void line_is(const char *prefix, const struct pkt *p, uint32_t in,
		    uint32_t out, const struct icc_drop_names *names,
		    const char *want)
{
	struct icc_drop d;
	char buf[1024], line[256];

	assert_int_equal(droplog_parse(nflog(buf, prefix, p, in, out), &d), 1);
	droplog_format(line, sizeof(line), &d, names);
	assert_string_equal(line, want);
}

static void test_format(void **state)
{
	struct pkt p = tcp4(41234);

	(void)state;
	line_is("icc drop link ", &p, 3, 3, &fake,
		"drop link: web 172.17.0.2:41234 -> db 172.17.0.3:5432 tcp (docker0 -> docker0)");
	line_is("icc drop link ", &p, 3, 3, NULL,
		"drop link: ? 172.17.0.2:41234 -> ? 172.17.0.3:5432 tcp (? -> ?)");
	line_is("icc drop host ", &p, 3, 0, &fake,
		"drop host: web 172.17.0.2:41234 -> db 172.17.0.3:5432 tcp (docker0 -> -)");
	line_is("icc drop inbound ", &p, 4, 9, &fake,
		"drop inbound: web 172.17.0.2:41234 -> db 172.17.0.3:5432 tcp (eth0 -> ?)");

	p = (struct pkt){ .n = 0 };
	ip4(&p, IPPROTO_UDP, "172.17.0.9", "172.17.0.3");
	ports(&p, 5000, 53);
	line_is("icc drop link ", &p, 3, 3, &fake,
		"drop link: ? 172.17.0.9:5000 -> db 172.17.0.3:53 udp (docker0 -> docker0)");

	p = (struct pkt){ .n = 0 };
	ip4(&p, IPPROTO_ICMP, "172.17.0.2", "172.17.0.3");
	echo(&p, 8, 7);
	line_is("icc drop link ", &p, 3, 3, &fake,
		"drop link: web 172.17.0.2 -> db 172.17.0.3 icmp echo-request id 7 (docker0 -> docker0)");
	p.b[20] = 3;	/* destination unreachable, code 1 */
	p.b[21] = 1;
	line_is("icc drop link ", &p, 3, 3, &fake,
		"drop link: web 172.17.0.2 -> db 172.17.0.3 icmp type 3 code 1 (docker0 -> docker0)");

	p = (struct pkt){ .n = 0 };
	ip4(&p, IPPROTO_GRE, "172.17.0.2", "172.17.0.3");
	p.b[9] = 99;
	line_is("icc drop link ", &p, 3, 3, &fake,
		"drop link: web 172.17.0.2 -> db 172.17.0.3 proto 99 (docker0 -> docker0)");
}

static void test_format6(void **state)
{
	struct pkt p = { .n = 0 };

	(void)state;
	ip6(&p, IPPROTO_TCP, "fd00:17::2", "fd00:17::9");
	ports(&p, 41234, 22);
	line_is("icc drop link ", &p, 3, 3, &fake,
		"drop link: web [fd00:17::2]:41234 -> ? [fd00:17::9]:22 tcp (docker0 -> docker0)");
	p = (struct pkt){ .n = 0 };
	ip6(&p, IPPROTO_ICMPV6, "fd00:17::2", "fd00:17::3");
	echo(&p, 128, 9);
	line_is("icc drop link ", &p, 3, 3, &fake,
		"drop link: web fd00:17::2 -> db fd00:17::3 icmpv6 echo-request id 9 (docker0 -> docker0)");
}

/* ---------------------------------------------------------------- one line per connection */

static struct icc_drop drop_of(const struct pkt *p, const char *prefix)
{
	struct icc_drop d;

	assert_int_equal(parse(prefix, p, &d), 1);
	return d;
}

static void test_seen_window(void **state)
{
	struct droplog_seen *s = NULL;
	struct pkt p = tcp4(41234), q = tcp4(41235);
	struct icc_drop a = drop_of(&p, "icc drop link "), b = drop_of(&q, "icc drop link ");
	struct icc_drop c = drop_of(&p, "icc drop host ");

	(void)state;
	assert_int_equal(droplog_seen_new(&s, 16, 120000), 0);
	assert_true(droplog_seen_add(s, &a, 1000));
	/* SYN retransmissions at 1, 3, 7, 15, 31, 63 s */
	for (int t = 1; t <= 63; t = t * 2 + 1)
		assert_false(droplog_seen_add(s, &a, 1000 + t * 1000));
	assert_true(droplog_seen_add(s, &b, 2000));	/* another source port */
	assert_true(droplog_seen_add(s, &c, 2000));	/* another kind */
	assert_false(droplog_seen_add(s, &a, 1000 + 119999));
	assert_true(droplog_seen_add(s, &a, 1000 + 120000));	/* window over */
	assert_false(droplog_seen_add(s, &a, 1000 + 120001));
	droplog_seen_free(s);
}

static void test_seen_icmp(void **state)
{
	struct droplog_seen *s = NULL;
	struct pkt p = { .n = 0 };
	struct icc_drop a, b;

	(void)state;
	ip4(&p, IPPROTO_ICMP, "172.17.0.2", "172.17.0.3");
	echo(&p, 8, 7);
	a = drop_of(&p, "icc drop link ");
	p.b[25] = 8;	/* another echo id */
	b = drop_of(&p, "icc drop link ");
	assert_int_equal(droplog_seen_new(&s, 16, 120000), 0);
	assert_true(droplog_seen_add(s, &a, 0));
	assert_false(droplog_seen_add(s, &a, 1000));	/* ping's next request */
	assert_true(droplog_seen_add(s, &b, 1000));
	droplog_seen_free(s);
}

static void test_seen_full(void **state)
{
	struct droplog_seen *s = NULL;
	struct icc_drop d[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		struct pkt p = tcp4((uint16_t)(1000 + i));

		d[i] = drop_of(&p, "icc drop link ");
	}
	assert_int_equal(droplog_seen_new(&s, 3, 120000), 0);
	for (int i = 0; i < 3; i++)
		assert_true(droplog_seen_add(s, &d[i], i));
	assert_true(droplog_seen_add(s, &d[3], 3));	/* forgets d[0], the oldest */
	assert_false(droplog_seen_add(s, &d[1], 4));
	assert_false(droplog_seen_add(s, &d[3], 4));
	assert_true(droplog_seen_add(s, &d[0], 5));	/* forgotten: a line again */
	assert_true(droplog_seen_add(s, &d[1], 6));	/* ... which pushed d[1] out */
	assert_false(droplog_seen_add(s, &d[3], 7));
	droplog_seen_free(s);
	assert_int_equal(droplog_seen_new(&s, 0, 1), -ENOMEM);
}

/* ---------------------------------------------------------------- who an address is */

static const char policy[] =
	"version = 1;\n"
	"bridges = ( { name = \"docker0\"; subnet = [ \"172.17.0.0/16\", \"fd00:17::/64\" ]; } );\n"
	"containers = {\n"
	"  web = { bridge = \"docker0\"; name = \"web\"; };\n"
	"  db = { bridge = \"docker0\"; labels = [ \"svc=db\" ]; };\n"
	"  cache = { bridge = \"docker0\"; ip = [ \"172.17.0.9\", \"fd00:17::9\" ]; };\n"
	"};\n";

static union icc_drop_addr addr(int family, const char *s)
{
	union icc_drop_addr a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(inet_pton(family, s, &a), 1);
	return a;
}

static void test_names(void **state)
{
	struct icc_policy *p = policy_ok(policy);
	struct icc_binding b[3] = { { 0 } };
	struct in_addr web[2], cache;
	struct in6_addr web6, cache6;
	struct droplog_names *t = NULL;
	union icc_drop_addr a;

	(void)state;
	inet_pton(AF_INET, "172.17.0.2", &web[0]);
	inet_pton(AF_INET, "172.17.0.5", &web[1]);
	inet_pton(AF_INET6, "fd00:17::2", &web6);
	inet_pton(AF_INET, "172.17.0.9", &cache);
	inet_pton(AF_INET6, "fd00:17::9", &cache6);
	/* policy order: web 0, db 1, cache 2 (as written) */
	b[0] = (struct icc_binding){ web, 2, &web6, 1, false };
	b[1] = (struct icc_binding){ web, 1, NULL, 0, false };	/* web is also db */
	b[2] = (struct icc_binding){ &cache, 1, &cache6, 1, false };
	assert_int_equal(droplog_names_new(&t, p, b), 0);
	a = addr(AF_INET, "172.17.0.2");
	assert_string_equal(droplog_names_find(t, AF_INET, &a), "web,db");
	a = addr(AF_INET, "172.17.0.5");
	assert_string_equal(droplog_names_find(t, AF_INET, &a), "web");
	a = addr(AF_INET6, "fd00:17::2");
	assert_string_equal(droplog_names_find(t, AF_INET6, &a), "web");
	a = addr(AF_INET6, "fd00:17::9");
	assert_string_equal(droplog_names_find(t, AF_INET6, &a), "cache");
	a = addr(AF_INET, "172.17.0.9");
	assert_string_equal(droplog_names_find(t, AF_INET, &a), "cache");
	a = addr(AF_INET, "172.17.0.3");
	assert_null(droplog_names_find(t, AF_INET, &a));
	a = addr(AF_INET6, "::ac11:2");	/* the same low bytes, the other family */
	assert_null(droplog_names_find(t, AF_INET6, &a));
	policy_free(p);		/* names are copies */
	a = addr(AF_INET, "172.17.0.2");
	assert_string_equal(droplog_names_find(t, AF_INET, &a), "web,db");
	droplog_names_free(t);
	assert_null(droplog_names_find(NULL, AF_INET, &a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_tcp4),
		cmocka_unit_test(test_parse_udp4),
		cmocka_unit_test(test_parse_icmp4),
		cmocka_unit_test(test_parse_tcp6),
		cmocka_unit_test(test_parse_ip6_ext),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_prefix),
		cmocka_unit_test(test_parse_not_packet),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format6),
		cmocka_unit_test(test_seen_window),
		cmocka_unit_test(test_seen_icmp),
		cmocka_unit_test(test_seen_full),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
