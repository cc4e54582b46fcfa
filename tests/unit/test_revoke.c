// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which connections a ruleset's links allow (src/revoke.c): the decision
 * behind cutting connections when links go. The conntrack side is tested
 * with real connections in tests/e2e/t-revoke.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "unit.h"

#include "icc/compile.h"
#include "icc/revoke.h"

static const char policy[] =
	"version = 1;\n"
	"bridges = ( { name = \"docker0\"; subnet = \"172.17.0.0/16\"; } );\n"
	"containers = {\n"
	"  web = { bridge = \"docker0\"; ip = \"172.17.0.2\"; };\n"
	"  db = { bridge = \"docker0\"; ip = \"172.17.0.3\"; };\n"
	"  cache = { bridge = \"docker0\"; ip = \"172.17.0.4\"; };\n"
	"};\n"
	"links = (\n"
	"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\", \"udp/1000-2000\", \"icmp\" ]; },\n"
	"  { from = \"cache\"; to = \"web\"; ports = [ \"any\" ]; }\n"
	");\n";

static bool allows(const struct icc_ruleset *rs, const char *src,
		   const char *dst, uint8_t proto, uint16_t port, uint8_t type)
{
	struct icc_flow f = { .proto = proto, .dport = port, .icmp_type = type };

	assert_int_equal(inet_pton(AF_INET, src, &f.src), 1);
	assert_int_equal(inet_pton(AF_INET, dst, &f.dst), 1);
	return ruleset_link_allows(rs, &f);
}

static void test_allows(void **state)
{
	struct icc_ruleset *rs = compile_str(policy);

	(void)state;
	assert_true(allows(rs, "172.17.0.2", "172.17.0.3", IPPROTO_TCP, 5432, 0));
	assert_false(allows(rs, "172.17.0.2", "172.17.0.3", IPPROTO_TCP, 5433, 0));
	assert_false(allows(rs, "172.17.0.3", "172.17.0.2", IPPROTO_TCP, 5432, 0));
	assert_false(allows(rs, "172.17.0.2", "172.17.0.3", IPPROTO_UDP, 5432, 0));
	/* Both ends of a range, and just outside. */
	assert_true(allows(rs, "172.17.0.2", "172.17.0.3", IPPROTO_UDP, 1000, 0));
	assert_true(allows(rs, "172.17.0.2", "172.17.0.3", IPPROTO_UDP, 2000, 0));
	assert_false(allows(rs, "172.17.0.2", "172.17.0.3", IPPROTO_UDP, 999, 0));
	assert_false(allows(rs, "172.17.0.2", "172.17.0.3", IPPROTO_UDP, 2001, 0));
	assert_false(allows(rs, "172.17.0.2", "172.17.0.4", IPPROTO_UDP, 1500, 0));
	/* icmp means echo request only. */
	assert_true(allows(rs, "172.17.0.2", "172.17.0.3", IPPROTO_ICMP, 0, 8));
	assert_false(allows(rs, "172.17.0.2", "172.17.0.3", IPPROTO_ICMP, 0, 13));
	/* any: every protocol, one direction. */
	assert_true(allows(rs, "172.17.0.4", "172.17.0.2", IPPROTO_TCP, 22, 0));
	assert_true(allows(rs, "172.17.0.4", "172.17.0.2", 132, 0, 0));
	assert_false(allows(rs, "172.17.0.2", "172.17.0.4", IPPROTO_TCP, 22, 0));
	/* Something no link speaks of (egress, say). */
	assert_false(allows(rs, "172.17.0.2", "198.51.100.1", IPPROTO_TCP, 443, 0));
	ruleset_free(rs);
}

static const char policy2[] =
	"version = 1;\n"
	"bridges = (\n"
	"  { name = \"docker0\"; subnet = \"172.17.0.0/16\"; uplink = \"eth0\"; egress = false; host_ports = [ \"udp/53\" ]; },\n"
	"  { name = \"lxcbr0\"; subnet = \"10.0.3.0/24\"; uplink = \"eth0\"; }\n"
	");\n"
	"containers = {\n"
	"  web = { bridge = \"docker0\"; ip = \"172.17.0.2\"; };\n"
	"  lx = { bridge = \"lxcbr0\"; ip = \"10.0.3.5\"; };\n"
	"};\n"
	"egress = ( { from = \"web\"; to = \"198.51.100.0/24\"; ports = [ \"tcp/443\", \"icmp\" ]; } );\n"
	"publish = ( { container = \"web\"; port = \"tcp/80\"; host = \"0.0.0.0:80\"; allow_from = [ \"203.0.113.0/24\" ]; } );\n";

static bool flow(const struct icc_ruleset *rs, const char *src, const char *dst,
		 uint8_t proto, uint16_t port, bool to_host)
{
	struct icc_flow f = { .proto = proto, .dport = port, .to_host = to_host,
			      .icmp_type = proto == IPPROTO_ICMP ? 8 : 0 };

	assert_int_equal(inet_pton(AF_INET, src, &f.src), 1);
	assert_int_equal(inet_pton(AF_INET, dst, &f.dst), 1);
	return ruleset_flow_allows(rs, &f);
}

static void test_flow_allows(void **state)
{
	struct icc_ruleset *rs = compile_str(policy2);

	(void)state;
	/* Egress rules of a bridge without bridge-wide egress. */
	assert_true(flow(rs, "172.17.0.2", "198.51.100.9", IPPROTO_TCP, 443, false));
	assert_true(flow(rs, "172.17.0.2", "198.51.100.9", IPPROTO_ICMP, 0, false));
	assert_false(flow(rs, "172.17.0.2", "198.51.100.9", IPPROTO_TCP, 80, false));
	assert_false(flow(rs, "172.17.0.2", "192.0.2.1", IPPROTO_TCP, 443, false));
	assert_false(flow(rs, "172.17.0.9", "198.51.100.9", IPPROTO_TCP, 443, false));
	/* Bridge-wide egress; never towards another bridge. */
	assert_true(flow(rs, "10.0.3.5", "192.0.2.1", IPPROTO_UDP, 123, false));
	assert_false(flow(rs, "10.0.3.5", "172.17.0.2", IPPROTO_TCP, 443, false));
	/* The host: only host_ports, whatever the egress. */
	assert_true(flow(rs, "172.17.0.2", "172.17.0.1", IPPROTO_UDP, 53, true));
	assert_false(flow(rs, "172.17.0.2", "172.17.0.1", IPPROTO_TCP, 22, true));
	assert_false(flow(rs, "10.0.3.5", "203.0.113.1", IPPROTO_TCP, 22, true));
	/* Published, after DNAT: client -> container port. */
	assert_true(flow(rs, "203.0.113.7", "172.17.0.2", IPPROTO_TCP, 80, false));
	assert_false(flow(rs, "192.0.2.7", "172.17.0.2", IPPROTO_TCP, 80, false));
	/* Nothing to do with our bridges. */
	assert_false(flow(rs, "192.0.2.7", "198.51.100.9", IPPROTO_TCP, 443, false));
	ruleset_free(rs);
}

static bool allows6(const struct icc_ruleset *rs, const char *src,
		    const char *dst, uint8_t proto, uint16_t port, uint8_t type,
		    bool to_host)
{
	struct icc_flow f = { .v6 = true, .proto = proto, .dport = port,
			      .icmp_type = type, .to_host = to_host };

	assert_int_equal(inet_pton(AF_INET6, src, f.src6), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, f.dst6), 1);
	return ruleset_flow_allows(rs, &f);
}

/* The IPv6 twins: links, egress rules, published ports, the host. */
static void test_flow_allows6(void **state)
{
	struct icc_ruleset *rs = compile_str(
		"version = 1;\n"
		"bridges = ( { name = \"docker0\"; subnet = [ \"172.17.0.0/16\", \"fd00:17::/64\" ]; uplink = \"eth0\"; egress = false; host_ports = [ \"udp/53\" ]; } );\n"
		"containers = {\n"
		"  web = { bridge = \"docker0\"; ip = [ \"172.17.0.2\", \"fd00:17::2\" ]; };\n"
		"  db = { bridge = \"docker0\"; ip = [ \"172.17.0.3\", \"fd00:17::3\" ]; };\n"
		"};\n"
		"links = ( { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\", \"icmp\" ]; } );\n"
		"publish = ( { container = \"db\"; port = \"tcp/5432\"; host = \"[::]:5432\"; allow_from = [ \"2001:db8::/32\" ]; } );\n"
		"egress = ( { from = \"web\"; to = \"2001:db8:53::/48\"; ports = [ \"udp/53\" ]; } );\n");
	const char *web = "fd00:17::2", *db = "fd00:17::3";

	(void)state;
	assert_true(allows6(rs, web, db, IPPROTO_TCP, 5432, 0, false));
	assert_false(allows6(rs, db, web, IPPROTO_TCP, 5432, 0, false));
	assert_true(allows6(rs, web, db, IPPROTO_ICMPV6, 0, 128, false));
	assert_false(allows6(rs, web, db, IPPROTO_ICMPV6, 0, 8, false));
	assert_true(allows6(rs, web, "2001:db8:53::1", IPPROTO_UDP, 53, 0, false));
	assert_false(allows6(rs, web, "2001:db8:54::1", IPPROTO_UDP, 53, 0, false));
	assert_false(allows6(rs, db, "2001:db8:53::1", IPPROTO_UDP, 53, 0, false));
	assert_true(allows6(rs, "2001:db8::9", db, IPPROTO_TCP, 5432, 0, false));
	assert_false(allows6(rs, "2001:db9::9", db, IPPROTO_TCP, 5432, 0, false));
	assert_true(allows6(rs, web, "fd00:17::1", IPPROTO_UDP, 53, 0, true));
	assert_false(allows6(rs, web, "fd00:17::1", IPPROTO_TCP, 22, 0, true));
	/* the IPv4 sets say nothing of IPv6 flows, nor the other way */
	assert_false(allows6(rs, "::ffff:172.17.0.2", "::ffff:172.17.0.3", IPPROTO_TCP, 5432, 0, false));
	ruleset_free(rs);
}

static void test_empty(void **state)
{
	struct icc_ruleset *rs = ruleset_new();

	(void)state;
	assert_false(allows(rs, "172.17.0.2", "172.17.0.3", IPPROTO_TCP, 5432, 0));
	ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allows),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_flow_allows),
		cmocka_unit_test(test_flow_allows6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
