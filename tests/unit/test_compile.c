// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The compile stage: policy text in, set elements out, compared as the
 * printer spells them (set_print_elem), plus the canonical order and
 * merging of set_canonicalize and the static rules. One cmocka group, so
 * the TAP output has one plan.
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

#include <cmocka.h>

#include "unit.h"

#include "icc/compile.h"

#define NAME	"t.conf"

/* Two bridges and three containers that most cases build on. */
#define BASE \
	"version = 1;\n" \
	"bridges = (\n" \
	"  { name = \"docker0\"; subnet = \"172.17.0.0/16\"; uplink = \"eth0\"; },\n" \
	"  { name = \"lxcbr0\"; subnet = \"10.0.3.0/24\"; }\n" \
	");\n" \
	"containers = {\n" \
	"  web = { bridge = \"docker0\"; ip = \"172.17.0.2\"; };\n" \
	"  db = { bridge = \"docker0\"; ip = \"172.17.0.3\"; };\n" \
	"  cache = { bridge = \"docker0\"; ip = \"172.17.0.4\"; };\n" \
	"  app = { bridge = \"lxcbr0\"; ip = \"10.0.3.2\"; };\n" \
	"};\n"

#define LINKS(...)	BASE "links = (\n" __VA_ARGS__ "\n);\n"
#define PUBLISH(...)	BASE "publish = (\n" __VA_ARGS__ "\n);\n"

/* The elements of one set, one per line, as set_print_elem prints them. */
static char *set_str(const struct icc_set *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	for (size_t i = 0; i < s->n; i++) {
		set_print_elem(f, s, set_elem(s, i));
		fputc('\n', f);
	}
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void assert_set_text(const struct icc_set *s, const char *want)
{
	char *got = set_str(s);

	if (strcmp(got, want))
		fail_msg("set %s:\n--- want\n%s--- got\n%s", s->def->name, want, got);
	free(got);
}

#define assert_set(rs, id, want)	assert_set_text(&(rs)->sets[id], want)

static char *print_str(const struct icc_ruleset *rs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	ruleset_print(f, rs);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* An element of published4 (source range . container . proto . port). */
static void add_published(struct icc_set *s, const char *lo, const char *hi,
			  const char *dst, uint16_t port, int line)
{
	struct icc_key k = { .len = 0 }, e = { .len = 0 };

	key_ipv4(&k, ip4(lo));
	key_ipv4(&k, ip4(dst));
	key_proto(&k, IPPROTO_TCP);
	key_port(&k, port);
	key_ipv4(&e, ip4(hi));
	key_ipv4(&e, ip4(dst));
	key_proto(&e, IPPROTO_TCP);
	key_port(&e, port);
	assert_int_equal(set_add(s, &k, &e, NULL, line), 0);
}

static void add_link(struct icc_set *s, const char *from, const char *to,
		     uint16_t port, int line)
{
	struct icc_key k = { .len = 0 };

	key_ipv4(&k, ip4(from));
	key_ipv4(&k, ip4(to));
	key_proto(&k, IPPROTO_TCP);
	key_port(&k, port);
	assert_int_equal(set_add(s, &k, NULL, NULL, line), 0);
}

static void test_keys(void **state)
{
	struct icc_key k = { .len = 0 };
	static const uint8_t want[] = {
		'e', 't', 'h', '0', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		10, 0, 3, 2,
		6, 0, 0, 0,
		0x15, 0x38, 0, 0,	/* 5432, big endian */
	};

	(void)state;
	assert_int_equal(dtype_size(ICC_T_IFNAME), 16);
	assert_int_equal(dtype_size(ICC_T_IPV4), 4);
	assert_int_equal(dtype_size(ICC_T_PROTO), 4);
	assert_int_equal(dtype_size(ICC_T_PORT), 4);
	key_ifname(&k, "eth0");
	key_ipv4(&k, ip4("10.0.3.2"));
	key_proto(&k, IPPROTO_TCP);
	key_port(&k, 5432);
	assert_int_equal(k.len, sizeof(want));
	assert_memory_equal(k.b, want, sizeof(want));

	/* 15 characters, the longest name: still NUL-terminated. */
	k.len = 0;
	key_ifname(&k, "abcdefghijklmno");
	assert_int_equal(k.len, 16);
	assert_int_equal(k.b[15], 0);
	assert_memory_equal(k.b, "abcdefghijklmno", 15);
}

static void test_set_decls(void **state)
{
	static const char *const want[ICC_NSETS] = {
		[ICC_SET_BRIDGES] = "type ifname;",
		[ICC_SET_LOGGED] = "type ifname;",
		[ICC_SET_SUBNETS4] = "type ifname . ipv4_addr; flags interval;",
		[ICC_SET_EGRESS] = "type ifname . ifname;",
		[ICC_SET_MASQ] = "type ifname . ifname;",
		[ICC_SET_LINKS4] = "type ipv4_addr . ipv4_addr . inet_proto . inet_service; counter;",
		[ICC_SET_LINKS4R] = "type ipv4_addr . ipv4_addr . inet_proto . inet_service; flags interval; counter;",
		[ICC_SET_LINKS4ICMP] = "type ipv4_addr . ipv4_addr; counter;",
		[ICC_SET_LINKS4ANY] = "type ipv4_addr . ipv4_addr; counter;",
		[ICC_SET_PUBLISHED4] = "type ipv4_addr . ipv4_addr . inet_proto . inet_service; flags interval;",
		[ICC_SET_DNAT4] = "type ipv4_addr . ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; flags interval; counter;",
		[ICC_SET_LOCAL4] = "type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; counter;",
		[ICC_SET_HOST4] = "type ifname . inet_proto . inet_service; flags interval;",
		[ICC_SET_HOST4ICMP] = "type ifname;",
		[ICC_SET_HOST4ANY] = "type ifname;",
		[ICC_SET_EGRESS4] = "type ifname . ifname . ipv4_addr . ipv4_addr . inet_proto . inet_service; flags interval;",
		[ICC_SET_EGRESS4ICMP] = "type ifname . ifname . ipv4_addr . ipv4_addr; flags interval;",
		[ICC_SET_EGRESS4ANY] = "type ifname . ifname . ipv4_addr . ipv4_addr; flags interval;",
		[ICC_SET_PORTS] = "type ifname;",
		[ICC_SET_PORT_MAC] = "type ifname . ether_addr;",
		[ICC_SET_PORT_IP4] = "type ifname . ether_addr . ipv4_addr;",
		[ICC_SET_SUBNETS6] = "type ifname . ipv6_addr; flags interval;",
		[ICC_SET_UPLINKS] = "type ifname . ifname;",
		[ICC_SET_LINKS6] = "type ipv6_addr . ipv6_addr . inet_proto . inet_service; counter;",
		[ICC_SET_LINKS6R] = "type ipv6_addr . ipv6_addr . inet_proto . inet_service; flags interval; counter;",
		[ICC_SET_LINKS6ICMP] = "type ipv6_addr . ipv6_addr; counter;",
		[ICC_SET_LINKS6ANY] = "type ipv6_addr . ipv6_addr; counter;",
		[ICC_SET_PUBLISHED6] = "type ipv6_addr . ipv6_addr . inet_proto . inet_service; flags interval;",
		[ICC_SET_DNAT6] = "type ipv6_addr . ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service; flags interval; counter;",
		[ICC_SET_EGRESS6] = "type ifname . ipv6_addr . ipv6_addr . inet_proto . inet_service; flags interval;",
		[ICC_SET_EGRESS6ICMP] = "type ifname . ipv6_addr . ipv6_addr; flags interval;",
		[ICC_SET_EGRESS6ANY] = "type ifname . ipv6_addr . ipv6_addr; flags interval;",
		[ICC_SET_PORT_IP6] = "type ifname . ether_addr . ipv6_addr;",
		[ICC_SET_PORT_ND6] = "typeof iifname . ether saddr . @th,64,128;",
	};
	struct icc_ruleset *rs = ruleset_new();

	(void)state;
	assert_non_null(rs);
	for (int i = 0; i < ICC_NSETS; i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		set_print_decl(f, &rs->sets[i]);
		assert_int_equal(fclose(f), 0);
		assert_string_equal(buf, want[i]);
		free(buf);
		assert_ptr_equal(rs->sets[i].def, &icc_set_defs[i]);
		assert_int_equal(rs->sets[i].n, 0);
	}
	ruleset_free(rs);
	ruleset_free(NULL);
}

static void test_bridges_subnets(void **state)
{
	struct icc_ruleset *rs = compile_str(
		"version = 1;\n"
		"bridges = (\n"
		"  { name = \"lxcbr0\"; subnet = \"10.0.3.0/24\"; },\n"
		"  { name = \"docker0\"; subnet = \"172.17.0.0/16\"; },\n"
		"  { name = \"abcdefghijklmno\"; subnet = \"192.168.7.4/30\"; },\n"
		"  { name = \"br-one\"; subnet = \"192.168.9.9/32\"; }\n"
		");\n");

	(void)state;
	/* Sorted by name, whatever the order in the file. */
	assert_set(rs, ICC_SET_BRIDGES,
		   "\"abcdefghijklmno\"\n"
		   "\"br-one\"\n"
		   "\"docker0\"\n"
		   "\"lxcbr0\"\n");
	assert_set(rs, ICC_SET_SUBNETS4,
		   "\"abcdefghijklmno\" . 192.168.7.4/30\n"
		   "\"br-one\" . 192.168.9.9\n"
		   "\"docker0\" . 172.17.0.0/16\n"
		   "\"lxcbr0\" . 10.0.3.0/24\n");
	/* The line of the bridge travels with its element. */
	assert_int_equal(rs->sets[ICC_SET_BRIDGES].lines[0], 5);
	assert_int_equal(rs->sets[ICC_SET_SUBNETS4].lines[3], 3);
	/* No uplink, no containers: nothing else. */
	for (int i = ICC_SET_EGRESS; i < ICC_NSETS; i++)
		assert_int_equal(rs->sets[i].n, 0);
	ruleset_free(rs);
}

static void test_egress_masq(void **state)
{
	struct icc_ruleset *rs = compile_str(
		"version = 1;\n"
		"bridges = (\n"
		"  { name = \"both\"; subnet = \"10.1.0.0/16\"; uplink = \"eth0\"; },\n"
		"  { name = \"nomasq\"; subnet = \"10.2.0.0/16\"; uplink = \"eth1\"; masquerade = false; },\n"
		"  { name = \"noegress\"; subnet = \"10.3.0.0/16\"; uplink = \"eth0\"; egress = false; },\n"
		"  { name = \"closed\"; subnet = \"10.4.0.0/16\"; uplink = \"eth0\"; egress = false; masquerade = false; },\n"
		"  { name = \"nouplink\"; subnet = \"10.5.0.0/16\"; },\n"
		"  { name = \"explicit\"; subnet = \"10.6.0.0/16\"; uplink = \"bond0.100\"; masquerade = true; egress = true; }\n"
		");\n");

	(void)state;
	assert_int_equal(rs->sets[ICC_SET_BRIDGES].n, 6);
	assert_int_equal(rs->sets[ICC_SET_SUBNETS4].n, 6);
	assert_set(rs, ICC_SET_EGRESS,
		   "\"both\" . \"eth0\"\n"
		   "\"explicit\" . \"bond0.100\"\n"
		   "\"nomasq\" . \"eth1\"\n");
	/*
	 * Masquerade wherever asked, with or without egress (a bridge's
	 * per-container egress rules need it), never without an uplink.
	 */
	assert_set(rs, ICC_SET_MASQ,
		   "\"both\" . \"eth0\"\n"
		   "\"explicit\" . \"bond0.100\"\n"
		   "\"noegress\" . \"eth0\"\n");
	ruleset_free(rs);
}

static void test_link_sets(void **state)
{
	struct icc_ruleset *rs = compile_str(LINKS(
		"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\", \"udp/53\", \"tcp/8000-8080\", \"udp/1000-65535\", \"icmp\" ]; },\n"
		"  { from = \"db\"; to = \"web\"; ports = [ \"any\" ]; },\n"
		"  { from = \"app\"; to = \"web\"; ports = [ \"tcp/65535\", \"tcp/1\", \"udp/1-2\" ]; }"));

	(void)state;
	assert_set(rs, ICC_SET_LINKS4,
		   "10.0.3.2 . 172.17.0.2 . tcp . 1\n"
		   "10.0.3.2 . 172.17.0.2 . tcp . 65535\n"
		   "172.17.0.2 . 172.17.0.3 . tcp . 5432\n"
		   "172.17.0.2 . 172.17.0.3 . udp . 53\n");
	assert_set(rs, ICC_SET_LINKS4R,
		   "10.0.3.2 . 172.17.0.2 . udp . 1-2\n"
		   "172.17.0.2 . 172.17.0.3 . tcp . 8000-8080\n"
		   "172.17.0.2 . 172.17.0.3 . udp . 1000-65535\n");
	assert_set(rs, ICC_SET_LINKS4ICMP, "172.17.0.2 . 172.17.0.3\n");
	assert_set(rs, ICC_SET_LINKS4ANY, "172.17.0.3 . 172.17.0.2\n");
	assert_set(rs, ICC_SET_PUBLISHED4, "");
	assert_set(rs, ICC_SET_DNAT4, "");
	assert_set(rs, ICC_SET_LOCAL4, "");
	/* Each element knows its policy line (links are on lines 13-15). */
	assert_int_equal(rs->sets[ICC_SET_LINKS4].lines[0], 15);
	assert_int_equal(rs->sets[ICC_SET_LINKS4].lines[2], 13);
	assert_int_equal(rs->sets[ICC_SET_LINKS4ANY].lines[0], 14);
	ruleset_free(rs);
}

static void test_one_way(void **state)
{
	struct icc_ruleset *rs = compile_str(LINKS(
		"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\", \"tcp/6000-6001\", \"icmp\" ]; },\n"
		"  { from = \"app\"; to = \"cache\"; ports = [ \"any\" ]; }"));

	(void)state;
	/* from -> to only: nothing with db or cache as the source. */
	assert_set(rs, ICC_SET_LINKS4, "172.17.0.2 . 172.17.0.3 . tcp . 5432\n");
	assert_set(rs, ICC_SET_LINKS4R, "172.17.0.2 . 172.17.0.3 . tcp . 6000-6001\n");
	assert_set(rs, ICC_SET_LINKS4ICMP, "172.17.0.2 . 172.17.0.3\n");
	assert_set(rs, ICC_SET_LINKS4ANY, "10.0.3.2 . 172.17.0.4\n");
	ruleset_free(rs);

	/* Both ways takes two links, and gives two elements. */
	rs = compile_str(LINKS(
		"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\" ]; },\n"
		"  { from = \"db\"; to = \"web\"; ports = [ \"tcp/5432\" ]; }"));
	assert_set(rs, ICC_SET_LINKS4,
		   "172.17.0.2 . 172.17.0.3 . tcp . 5432\n"
		   "172.17.0.3 . 172.17.0.2 . tcp . 5432\n");
	ruleset_free(rs);
}

static void test_publish_loopback(void **state)
{
	struct icc_ruleset *rs = compile_str(PUBLISH(
		"  { container = \"db\"; port = \"udp/53\"; host = \"127.0.0.53:53\"; },\n"
		"  { container = \"web\"; port = \"tcp/80\"; host = \"8080\"; },\n"
		"  { container = \"web\"; port = \"tcp/81\"; host = \"127.0.0.1:8081\"; }"));

	(void)state;
	assert_set(rs, ICC_SET_LOCAL4,
		   "127.0.0.1 . tcp . 8080 : 172.17.0.2 . 80\n"
		   "127.0.0.1 . tcp . 8081 : 172.17.0.2 . 81\n"
		   "127.0.0.53 . udp . 53 : 172.17.0.3 . 53\n");
	/* Not reachable from outside: no DNAT, no forward permission. */
	assert_set(rs, ICC_SET_DNAT4, "");
	assert_set(rs, ICC_SET_PUBLISHED4, "");
	assert_int_equal(rs->sets[ICC_SET_LOCAL4].lines[2], 13);
	ruleset_free(rs);
}

static void test_publish_public(void **state)
{
	struct icc_ruleset *rs = compile_str(PUBLISH(
		"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\";\n"
		"    allow_from = [ \"198.51.100.0/24\", \"203.0.113.7\" ]; },\n"
		"  { container = \"db\"; port = \"tcp/5432\"; host = \"192.0.2.1:15432\"; allow_from = [ \"10.0.0.0/8\" ]; },\n"
		"  { container = \"app\"; port = \"udp/53\"; host = \"0.0.0.0:53\"; allow_from = [ \"0.0.0.0/0\" ]; }"));

	(void)state;
	/* 0.0.0.0 is every local address (0.0.0.0/0, with fib daddr type
	 * local in the rule); a specific address is just that address. */
	assert_set(rs, ICC_SET_DNAT4,
		   "0.0.0.0/0 . 0.0.0.0/0 . udp . 53 : 10.0.3.2 . 53\n"
		   "10.0.0.0/8 . 192.0.2.1 . tcp . 15432 : 172.17.0.3 . 5432\n"
		   "198.51.100.0/24 . 0.0.0.0/0 . tcp . 443 : 172.17.0.2 . 443\n"
		   "203.0.113.7 . 0.0.0.0/0 . tcp . 443 : 172.17.0.2 . 443\n");
	/* One permission per allow_from, to the container's own port. */
	assert_set(rs, ICC_SET_PUBLISHED4,
		   "0.0.0.0/0 . 10.0.3.2 . udp . 53\n"
		   "10.0.0.0/8 . 172.17.0.3 . tcp . 5432\n"
		   "198.51.100.0/24 . 172.17.0.2 . tcp . 443\n"
		   "203.0.113.7 . 172.17.0.2 . tcp . 443\n");
	assert_set(rs, ICC_SET_LOCAL4, "");
	ruleset_free(rs);
}

static void test_publish_merge(void **state)
{
	struct icc_ruleset *rs = compile_str(PUBLISH(
		"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"198.51.100.0/25\" ]; },\n"
		"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:8443\"; allow_from = [ \"198.51.100.0/24\" ]; }"));

	(void)state;
	/* The DNAT side keeps both host ports with their own sources... */
	assert_set(rs, ICC_SET_DNAT4,
		   "198.51.100.0/25 . 0.0.0.0/0 . tcp . 443 : 172.17.0.2 . 443\n"
		   "198.51.100.0/24 . 0.0.0.0/0 . tcp . 8443 : 172.17.0.2 . 443\n");
	/* ...the forward permission for web:443 is one element, no overlap. */
	assert_set(rs, ICC_SET_PUBLISHED4, "198.51.100.0/24 . 172.17.0.2 . tcp . 443\n");
	ruleset_free(rs);

	/* Adjacent halves become one prefix; a gap stays; other ports and
	 * other containers are not merged; a merge need not be a prefix. */
	rs = compile_str(PUBLISH(
		"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"198.51.100.128/25\", \"192.0.2.0/25\" ]; },\n"
		"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:8443\"; allow_from = [ \"198.51.100.0/25\", \"192.0.2.129\" ]; },\n"
		"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:9443\"; allow_from = [ \"198.51.101.0/25\" ]; },\n"
		"  { container = \"web\"; port = \"tcp/80\"; host = \"0.0.0.0:80\"; allow_from = [ \"198.51.100.0/25\" ]; },\n"
		"  { container = \"db\"; port = \"tcp/443\"; host = \"0.0.0.0:10443\"; allow_from = [ \"198.51.100.128/25\" ]; }"));
	assert_set(rs, ICC_SET_PUBLISHED4,
		   "192.0.2.0/25 . 172.17.0.2 . tcp . 443\n"
		   "192.0.2.129 . 172.17.0.2 . tcp . 443\n"
		   "198.51.100.0/25 . 172.17.0.2 . tcp . 80\n"
		   "198.51.100.0-198.51.101.127 . 172.17.0.2 . tcp . 443\n"
		   "198.51.100.128/25 . 172.17.0.3 . tcp . 443\n");
	assert_int_equal(rs->sets[ICC_SET_DNAT4].n, 7);
	ruleset_free(rs);

	/* The same sources twice: one element. */
	rs = compile_str(PUBLISH(
		"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"203.0.113.7\" ]; },\n"
		"  { container = \"web\"; port = \"tcp/443\"; host = \"192.0.2.1:8443\"; allow_from = [ \"203.0.113.7\" ]; }"));
	assert_set(rs, ICC_SET_PUBLISHED4, "203.0.113.7 . 172.17.0.2 . tcp . 443\n");
	assert_set(rs, ICC_SET_DNAT4,
		   "203.0.113.7 . 0.0.0.0/0 . tcp . 443 : 172.17.0.2 . 443\n"
		   "203.0.113.7 . 192.0.2.1 . tcp . 8443 : 172.17.0.2 . 443\n");
	ruleset_free(rs);
}

static void test_link_ranges_merge(void **state)
{
	struct icc_ruleset *rs = compile_str(LINKS(
		"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/3010-3019\", \"tcp/3000-3009\", \"tcp/3021-3030\", \"udp/3020-3021\" ]; }"));

	(void)state;
	/* Adjacent ranges of one link merge; a gap or another protocol not. */
	assert_set(rs, ICC_SET_LINKS4R,
		   "172.17.0.2 . 172.17.0.3 . tcp . 3000-3019\n"
		   "172.17.0.2 . 172.17.0.3 . tcp . 3021-3030\n"
		   "172.17.0.2 . 172.17.0.3 . udp . 3020-3021\n");
	ruleset_free(rs);
}

static void test_canonicalize(void **state)
{
	struct icc_ruleset *rs = ruleset_new();
	struct icc_set *pub, *l4;

	(void)state;
	assert_non_null(rs);
	pub = &rs->sets[ICC_SET_PUBLISHED4];
	l4 = &rs->sets[ICC_SET_LINKS4];

	/* Nothing, or one element: nothing to do. */
	assert_int_equal(set_canonicalize(pub), 0);
	add_link(l4, "10.0.0.9", "10.0.0.1", 22, 1);
	assert_int_equal(set_canonicalize(l4), 0);
	assert_set_text(l4, "10.0.0.9 . 10.0.0.1 . tcp . 22\n");

	/* Sorted by bytes, duplicates dropped, lines follow their element. */
	add_link(l4, "10.0.0.2", "10.0.0.1", 80, 2);
	add_link(l4, "10.0.0.9", "10.0.0.1", 22, 3);
	add_link(l4, "10.0.0.2", "10.0.0.1", 8080, 4);
	add_link(l4, "10.0.0.2", "10.0.0.1", 443, 5);
	assert_int_equal(set_canonicalize(l4), 0);
	assert_set_text(l4,
			"10.0.0.2 . 10.0.0.1 . tcp . 80\n"
			"10.0.0.2 . 10.0.0.1 . tcp . 443\n"
			"10.0.0.2 . 10.0.0.1 . tcp . 8080\n"
			"10.0.0.9 . 10.0.0.1 . tcp . 22\n");
	assert_int_equal(l4->lines[0], 2);
	assert_int_equal(l4->lines[1], 5);
	assert_int_equal(l4->lines[2], 4);
	assert_true(l4->lines[3] == 1 || l4->lines[3] == 3);

	/* Merging: overlap, containment, adjacency, the whole space. */
	add_published(pub, "10.0.0.0", "10.0.0.255", "172.17.0.2", 443, 1);
	add_published(pub, "10.0.0.128", "10.0.1.127", "172.17.0.2", 443, 2);
	add_published(pub, "10.0.0.7", "10.0.0.7", "172.17.0.2", 443, 3);
	add_published(pub, "10.0.1.128", "10.0.1.255", "172.17.0.2", 443, 4);
	add_published(pub, "10.0.3.0", "10.0.3.255", "172.17.0.2", 443, 5);
	add_published(pub, "0.0.0.0", "127.255.255.255", "172.17.0.3", 443, 6);
	add_published(pub, "128.0.0.0", "255.255.255.255", "172.17.0.3", 443, 7);
	add_published(pub, "10.0.0.0", "10.0.0.255", "172.17.0.2", 80, 8);
	add_published(pub, "10.0.0.0", "10.0.0.255", "172.17.0.2", 443, 9);
	assert_int_equal(set_canonicalize(pub), 0);
	assert_set_text(pub,
			"0.0.0.0/0 . 172.17.0.3 . tcp . 443\n"
			"10.0.0.0/24 . 172.17.0.2 . tcp . 80\n"
			"10.0.0.0/23 . 172.17.0.2 . tcp . 443\n"
			"10.0.3.0/24 . 172.17.0.2 . tcp . 443\n");
	/* Canonical is a fixed point. */
	assert_int_equal(set_canonicalize(pub), 0);
	assert_int_equal(pub->n, 4);

	/* set_sort (live elements) sorts and drops duplicates, never merges. */
	pub->n = 0;
	add_published(pub, "10.0.0.128", "10.0.0.255", "172.17.0.2", 443, 1);
	add_published(pub, "10.0.0.0", "10.0.0.127", "172.17.0.2", 443, 2);
	add_published(pub, "10.0.0.128", "10.0.0.255", "172.17.0.2", 443, 3);
	assert_int_equal(set_sort(pub), 0);
	assert_set_text(pub,
			"10.0.0.0/25 . 172.17.0.2 . tcp . 443\n"
			"10.0.0.128/25 . 172.17.0.2 . tcp . 443\n");
	ruleset_free(rs);
}

/* The same policy, written in another order, compiles to the same text. */
static void test_canonical_order(void **state)
{
	struct icc_ruleset *a = compile_str(
		"version = 1;\n"
		"bridges = (\n"
		"  { name = \"docker0\"; subnet = \"172.17.0.0/16\"; uplink = \"eth0\"; },\n"
		"  { name = \"lxcbr0\"; subnet = \"10.0.3.0/24\"; uplink = \"eth0\"; }\n"
		");\n"
		"containers = {\n"
		"  web = { bridge = \"docker0\"; ip = \"172.17.0.2\"; };\n"
		"  db = { bridge = \"docker0\"; ip = \"172.17.0.3\"; };\n"
		"  app = { bridge = \"lxcbr0\"; ip = \"10.0.3.2\"; };\n"
		"};\n"
		"links = (\n"
		"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\", \"icmp\", \"tcp/1-10\" ]; },\n"
		"  { from = \"app\"; to = \"db\"; ports = [ \"any\" ]; }\n"
		");\n"
		"publish = (\n"
		"  { container = \"web\"; port = \"tcp/80\"; host = \"8080\"; },\n"
		"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"198.51.100.0/24\", \"10.9.0.0/16\" ]; }\n"
		");\n");
	struct icc_ruleset *b = compile_str(
		"version = 1;\n"
		"publish = (\n"
		"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"10.9.0.0/16\", \"198.51.100.0/24\" ]; },\n"
		"  { container = \"web\"; port = \"tcp/80\"; host = \"127.0.0.1:8080\"; }\n"
		");\n"
		"links = (\n"
		"  { from = \"app\"; to = \"db\"; ports = [ \"any\" ]; },\n"
		"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/1-10\", \"icmp\", \"tcp/5432\" ]; }\n"
		");\n"
		"containers = {\n"
		"  app = { bridge = \"lxcbr0\"; ip = \"10.0.3.2\"; };\n"
		"  db = { bridge = \"docker0\"; ip = \"172.17.0.3\"; };\n"
		"  web = { bridge = \"docker0\"; ip = \"172.17.0.2\"; };\n"
		"};\n"
		"bridges = (\n"
		"  { name = \"lxcbr0\"; subnet = \"10.0.3.0/24\"; uplink = \"eth0\"; masquerade = true; },\n"
		"  { name = \"docker0\"; subnet = \"172.17.0.0/16\"; uplink = \"eth0\"; egress = true; }\n"
		");\n");
	char *ta = print_str(a), *tb = print_str(b), *again = print_str(a);

	(void)state;
	assert_string_equal(ta, tb);
	assert_string_equal(ta, again);
	for (int i = 0; i < ICC_NSETS; i++) {
		const struct icc_set *s = &a->sets[i];

		assert_int_equal(s->n, b->sets[i].n);
		if (s->n)
			assert_memory_equal(s->elems, b->sets[i].elems, s->n * s->stride);
		/* strictly increasing bytes: sorted, no duplicates */
		for (size_t j = 1; j < s->n; j++)
			assert_true(memcmp(set_elem(s, j - 1), set_elem(s, j), s->stride) < 0);
	}
	free(ta);
	free(tb);
	free(again);
	ruleset_free(a);
	ruleset_free(b);
}

/* n links between 25 containers on one bridge, each on its own tcp port. */
static char *many_links(unsigned n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned k = 0;

	assert_non_null(f);
	fputs("version = 1;\n"
	      "bridges = ( { name = \"br0\"; subnet = \"10.0.0.0/16\"; } );\n"
	      "containers = {\n", f);
	for (unsigned i = 0; i < 25; i++)
		fprintf(f, "  c%u = { bridge = \"br0\"; ip = \"10.0.0.%u\"; };\n", i, i + 2);
	fputs("};\nlinks = (\n", f);
	for (unsigned i = 0; i < 25 && k < n; i++)
		for (unsigned j = 0; j < 25 && k < n; j++) {
			if (i == j)
				continue;
			fprintf(f, "%s  { from = \"c%u\"; to = \"c%u\"; ports = [ \"tcp/%u\" ]; }",
				k ? ",\n" : "", i, j, 1000 + k);
			k++;
		}
	fputs("\n);\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(k, n);
	return buf;
}

/* Rule lines in the printed ruleset: the lines of each chain's body. */
static size_t count_rules(const char *text, const char **chains)
{
	const char *p = strstr(text, "\n\tchain ");
	bool in_chain = false;
	size_t n = 0;

	assert_non_null(p);
	*chains = p;
	for (; (p = strchr(p, '\n')) && p[1]; p++) {
		if (!strncmp(p + 1, "\tchain ", 7))
			in_chain = true;
		else if (!strncmp(p + 1, "\t}", 2))
			in_chain = false;
		else if (in_chain && !strncmp(p + 1, "\t\t", 2) &&
			 strncmp(p + 1, "\t\ttype ", 7))
			n++;
	}
	return n;
}

static void test_host_ports(void **state)
{
	struct icc_ruleset *rs = compile_str(
		"version = 1;\n"
		"bridges = (\n"
		"  { name = \"docker0\"; subnet = \"172.17.0.0/16\"; host_ports = [ \"udp/53\", \"tcp/3128-3130\", \"icmp\" ]; },\n"
		"  { name = \"lxcbr0\"; subnet = \"10.0.3.0/24\"; host_ports = [ \"any\" ]; },\n"
		"  { name = \"br2\"; subnet = \"10.9.0.0/24\"; }\n"
		");\n");

	(void)state;
	assert_set(rs, ICC_SET_HOST4,
		   "\"docker0\" . tcp . 3128-3130\n"
		   "\"docker0\" . udp . 53\n");
	assert_set(rs, ICC_SET_HOST4ICMP, "\"docker0\"\n");
	assert_set(rs, ICC_SET_HOST4ANY, "\"lxcbr0\"\n");
	ruleset_free(rs);
}

static void test_egress_rules(void **state)
{
	struct icc_ruleset *rs = compile_str(
		"version = 1;\n"
		"bridges = ( { name = \"docker0\"; subnet = \"172.17.0.0/16\"; uplink = \"eth0\"; egress = false; } );\n"
		"containers = { web = { bridge = \"docker0\"; ip = \"172.17.0.2\"; }; };\n"
		"egress = (\n"
		"  { from = \"web\"; to = \"0.0.0.0/0\"; ports = [ \"tcp/443\", \"udp/1000-1010\" ]; },\n"
		"  { from = \"web\"; to = \"198.51.100.53\"; ports = [ \"icmp\" ]; },\n"
		"  { from = \"web\"; to = \"203.0.113.0/24\"; ports = [ \"any\" ]; }\n"
		");\n");

	(void)state;
	assert_set(rs, ICC_SET_EGRESS, "");
	/* Masquerade holds for the rules' traffic too. */
	assert_set(rs, ICC_SET_MASQ, "\"docker0\" . \"eth0\"\n");
	assert_set(rs, ICC_SET_EGRESS4,
		   "\"docker0\" . \"eth0\" . 172.17.0.2 . 0.0.0.0/0 . tcp . 443\n"
		   "\"docker0\" . \"eth0\" . 172.17.0.2 . 0.0.0.0/0 . udp . 1000-1010\n");
	assert_set(rs, ICC_SET_EGRESS4ICMP,
		   "\"docker0\" . \"eth0\" . 172.17.0.2 . 198.51.100.53\n");
	assert_set(rs, ICC_SET_EGRESS4ANY,
		   "\"docker0\" . \"eth0\" . 172.17.0.2 . 203.0.113.0/24\n");
	ruleset_free(rs);
}

/* Dual stack: each family's link, publish and egress sets from its own
 * addresses; [::1] publishes make no rule (icc-policyd relays them). */
static void test_dual_stack(void **state)
{
	struct icc_ruleset *rs = compile_str(
		"version = 1;\n"
		"bridges = ( { name = \"docker0\"; subnet = [ \"172.17.0.0/16\", \"fd00:17::/64\" ]; uplink = \"eth0\"; egress = false; },\n"
		"  { name = \"br1\"; subnet = \"10.1.0.0/16\"; } );\n"
		"containers = {\n"
		"  web = { bridge = \"docker0\"; ip = [ \"172.17.0.2\", \"fd00:17::2\" ]; };\n"
		"  db = { bridge = \"docker0\"; ip = [ \"172.17.0.3\", \"fd00:17::3\" ]; };\n"
		"  old = { bridge = \"br1\"; ip = \"10.1.0.2\"; };\n"
		"};\n"
		"links = ( { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\", \"udp/1-2\", \"icmp\" ]; },\n"
		"  { from = \"old\"; to = \"db\"; ports = [ \"any\" ]; } );\n"
		"publish = (\n"
		"  { container = \"web\"; port = \"tcp/80\"; host = \"[::1]:8080\"; },\n"
		"  { container = \"web\"; port = \"tcp/443\"; host = \"[::]:443\"; allow_from = [ \"2001:db8::/32\" ]; }\n"
		");\n"
		"egress = ( { from = \"web\"; to = \"2001:db8:53::/48\"; ports = [ \"udp/53\", \"icmp\" ]; } );\n");

	(void)state;
	assert_set(rs, ICC_SET_SUBNETS6, "\"docker0\" . fd00:17::/64\n");
	assert_set(rs, ICC_SET_UPLINKS, "\"docker0\" . \"eth0\"\n");
	assert_set(rs, ICC_SET_LINKS4, "172.17.0.2 . 172.17.0.3 . tcp . 5432\n");
	assert_set(rs, ICC_SET_LINKS6, "fd00:17::2 . fd00:17::3 . tcp . 5432\n");
	assert_set(rs, ICC_SET_LINKS6R, "fd00:17::2 . fd00:17::3 . udp . 1-2\n");
	assert_set(rs, ICC_SET_LINKS6ICMP, "fd00:17::2 . fd00:17::3\n");
	/* old has no IPv6: its link is IPv4 only */
	assert_set(rs, ICC_SET_LINKS4ANY, "10.1.0.2 . 172.17.0.3\n");
	assert_set(rs, ICC_SET_LINKS6ANY, "");
	assert_set(rs, ICC_SET_LOCAL4, "");
	assert_set(rs, ICC_SET_DNAT4, "");
	assert_set(rs, ICC_SET_DNAT6, "2001:db8::/32 . ::/0 . tcp . 443 : fd00:17::2 . 443\n");
	assert_set(rs, ICC_SET_PUBLISHED6, "2001:db8::/32 . fd00:17::2 . tcp . 443\n");
	assert_set(rs, ICC_SET_EGRESS6, "\"docker0\" . fd00:17::2 . 2001:db8:53::/48 . udp . 53\n");
	assert_set(rs, ICC_SET_EGRESS6ICMP, "\"docker0\" . fd00:17::2 . 2001:db8:53::/48\n");
	assert_set(rs, ICC_SET_EGRESS4, "");
	ruleset_free(rs);
}

static void test_rules_static(void **state)
{
	char *p1 = many_links(1), *p500 = many_links(500);
	struct icc_ruleset *a = compile_str(p1), *b = compile_str(p500);
	char *ta = print_str(a), *tb = print_str(b);
	const char *ca, *cb;

	(void)state;
	/* 53 in table inet icc, 11 in table bridge icc */
	assert_int_equal(icc_nrules, 64);
	assert_int_equal(icc_nchains, 11);
	assert_int_equal(count_rules(ta, &ca), icc_nrules);
	assert_int_equal(count_rules(tb, &cb), icc_nrules);
	/* The chains are the same text; only elements grow. */
	assert_string_equal(ca, cb);
	assert_int_equal(a->sets[ICC_SET_LINKS4].n, 1);
	assert_int_equal(b->sets[ICC_SET_LINKS4].n, 500);
	assert_set(a, ICC_SET_LINKS4, "10.0.0.2 . 10.0.0.3 . tcp . 1000\n");
	assert_true(strlen(tb) > strlen(ta) + 499 * strlen("\t\t\t10.0.0.2 . 10.0.0.3 . tcp . 1000,\n"));
	free(ta);
	free(tb);
	free(p1);
	free(p500);
	ruleset_free(a);
	ruleset_free(b);
}

static void test_print(void **state)
{
	struct icc_ruleset *rs = compile_str(
		"version = 1;\n"
		"bridges = ( { name = \"br0\"; subnet = \"10.10.0.0/24\"; } );\n"
		"containers = { a = { bridge = \"br0\"; ip = \"10.10.0.2\"; }; b = { bridge = \"br0\"; ip = \"10.10.0.3\"; }; };\n"
		"links = ( { from = \"a\"; to = \"b\"; ports = [ \"tcp/22\", \"tcp/80\" ]; } );\n");
	char *t1 = print_str(rs), *t2 = print_str(rs);

	(void)state;
	assert_string_equal(t1, t2);
	assert_true(!strncmp(t1, "table inet icc {\n\tcomment \"managed by icc-policy\"\n\n", 49));
	assert_non_null(strstr(t1,
		"\tset links4 {\n"
		"\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service; counter;\n"
		"\t\tcomment \"links, exact ports (hash: O(1))\"\n"
		"\t\telements = {\n"
		"\t\t\t10.10.0.2 . 10.10.0.3 . tcp . 22,\n"
		"\t\t\t10.10.0.2 . 10.10.0.3 . tcp . 80\n"
		"\t\t}\n"
		"\t}\n"));
	/* An empty set has no elements block (nft refuses "elements = { }"). */
	assert_non_null(strstr(t1,
		"\tset egress {\n"
		"\t\ttype ifname . ifname;\n"
		"\t\tcomment \"bridge . uplink: new connections out\"\n"
		"\t}\n"));
	assert_non_null(strstr(t1,
		"\tchain forward {\n"
		"\t\ttype filter hook forward priority filter - 10; policy accept;\n"
		"\t\tiifname @bridges jump from_bridge\n"
		"\t\toifname @bridges jump to_bridge\n"
		"\t}\n"));
	assert_string_equal(t1 + strlen(t1) - 5, "\t}\n}\n");
	free(t1);
	free(t2);
	ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_set_decls),
		cmocka_unit_test(test_bridges_subnets),
		cmocka_unit_test(test_egress_masq),
		cmocka_unit_test(test_link_sets),
		cmocka_unit_test(test_one_way),
		cmocka_unit_test(test_publish_loopback),
		cmocka_unit_test(test_publish_public),
		cmocka_unit_test(test_publish_merge),
		cmocka_unit_test(test_link_ranges_merge),
		cmocka_unit_test(test_canonicalize),
		cmocka_unit_test(test_canonical_order),
		cmocka_unit_test(test_host_ports),
		cmocka_unit_test(test_egress_rules),
		cmocka_unit_test(test_dual_stack),
		cmocka_unit_test(test_rules_static),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
