// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pure parts of `icc-policy audit`: classifying another table's rule
 * as an unrestricted DNAT (nft's nat expression and iptables-nft's xt
 * DNAT target, which the namespace tests cannot always make), judging
 * daemon.json, a daemon's capability set, and the score. The checks as a
 * whole run in tests/e2e/t-audit.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include <cmocka.h>

#include "icc/audit.h"

/* ---- rules, built as the kernel would dump them ---- */

static struct nftnl_rule *rule_new(uint32_t family)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	assert_non_null(r);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	return r;
}

static void add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	assert_non_null(e);
	nftnl_rule_add_expr(r, e);
}

static void meta_l4proto(struct nftnl_rule *r, uint8_t proto)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	add(r, e);
	e = nftnl_expr_alloc("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &proto, 1);
	add(r, e);
}

static void payload(struct nftnl_rule *r, uint32_t base, uint32_t off,
		    uint32_t len, uint32_t reg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, reg);
	add(r, e);
}

static void cmp(struct nftnl_rule *r, uint32_t reg, uint32_t op,
		const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	add(r, e);
}

static void dport(struct nftnl_rule *r, uint16_t port)
{
	uint16_t be = htons(port);

	payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	cmp(r, NFT_REG_1, NFT_CMP_EQ, &be, 2);
}

static void daddr4(struct nftnl_rule *r, const char *a, uint32_t op)
{
	struct in_addr in;

	assert_int_equal(inet_pton(AF_INET, a, &in), 1);
	payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG32_00);
	cmp(r, NFT_REG32_00, op, &in, 4);
}

static void xt_dnat(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("target");

	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "DNAT");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 2);
	add(r, e);
}

static void nat(struct nftnl_rule *r, uint32_t type)
{
	struct nftnl_expr *e = nftnl_expr_alloc("nat");

	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, type);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	add(r, e);
}

/* Judges r, then frees it. */
static bool reported(struct nftnl_rule *r, struct icc_dnat *d)
{
	bool yes = audit_rule_dnat(r, d);

	nftnl_rule_free(r);
	return yes;
}

/* iptables-nft: -p tcp --dport 8080 -j DNAT, with the xt target. */
static void test_xt_dnat(void **state)
{
	struct nftnl_rule *r = rule_new(NFPROTO_IPV4);
	struct icc_dnat d;

	(void)state;
	meta_l4proto(r, IPPROTO_TCP);
	dport(r, 8080);
	xt_dnat(r);
	assert_true(reported(r, &d));
	assert_int_equal(d.proto, IPPROTO_TCP);
	assert_int_equal(d.port, 8080);
	assert_false(d.port_set);

	/* -d 127.0.0.1: restricted to one address, not reported */
	r = rule_new(NFPROTO_IPV4);
	daddr4(r, "127.0.0.1", NFT_CMP_EQ);
	meta_l4proto(r, IPPROTO_TCP);
	xt_dnat(r);
	assert_false(reported(r, &d));
}

static void test_nat_dnat(void **state)
{
	struct nftnl_rule *r = rule_new(NFPROTO_INET);
	struct icc_dnat d;

	(void)state;
	nat(r, NFT_NAT_DNAT);
	assert_true(reported(r, &d));
	assert_int_equal(d.proto, 0);
	assert_int_equal(d.port, 0);

	/* ip daddr != X restricts nothing */
	r = rule_new(NFPROTO_IPV4);
	daddr4(r, "10.0.0.1", NFT_CMP_NEQ);
	nat(r, NFT_NAT_DNAT);
	assert_true(reported(r, &d));

	/* a prefix (fewer bytes loaded) restricts */
	r = rule_new(NFPROTO_IPV4);
	payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 1, NFT_REG_1);
	cmp(r, NFT_REG_1, NFT_CMP_EQ, "\x0a", 1);
	nat(r, NFT_NAT_DNAT);
	assert_false(reported(r, &d));

	/* source NAT is not publishing */
	r = rule_new(NFPROTO_IPV4);
	nat(r, NFT_NAT_SNAT);
	assert_false(reported(r, &d));

	/* ip saddr (offset 12) is not a destination */
	r = rule_new(NFPROTO_IPV4);
	payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);
	cmp(r, NFT_REG_1, NFT_CMP_EQ, "\x0a\x00\x00\x01", 4);
	nat(r, NFT_NAT_DNAT);
	assert_true(reported(r, &d));
}

/*
 * ip daddr != 127.0.0.0/8 fib daddr type local dnat ...: fib writes the
 * register that held ip daddr; its compare is no destination restriction.
 */
static void test_unknown_expr_forgets(void **state)
{
	struct nftnl_rule *r = rule_new(NFPROTO_IPV4);
	struct nftnl_expr *e;
	uint32_t local = RTN_LOCAL;
	struct icc_dnat d;

	(void)state;
	payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 1, NFT_REG_1);
	cmp(r, NFT_REG_1, NFT_CMP_NEQ, "\x7f", 1);
	e = nftnl_expr_alloc("fib");
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
	add(r, e);
	cmp(r, NFT_REG_1, NFT_CMP_EQ, &local, 4);
	dport(r, 8080);
	nat(r, NFT_NAT_DNAT);
	assert_true(reported(r, &d));
	assert_int_equal(d.port, 8080);

	/* an IPv6 daddr fills four slots: a compare on the last is daddr too */
	r = rule_new(NFPROTO_IPV6);
	payload(r, NFT_PAYLOAD_NETWORK_HEADER, 24, 16, NFT_REG_1);
	cmp(r, NFT_REG32_03, NFT_CMP_EQ, "\0\0\0\1", 4);
	nat(r, NFT_NAT_DNAT);
	assert_false(reported(r, &d));
}

static void lookup(struct nftnl_rule *r, uint32_t reg, bool inv)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, reg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "__set0");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, inv ? NFT_LOOKUP_F_INV : 0);
	add(r, e);
}

static void test_lookup(void **state)
{
	struct nftnl_rule *r = rule_new(NFPROTO_IPV6);
	struct icc_dnat d;

	(void)state;
	/* ip6 daddr @set: restricted */
	payload(r, NFT_PAYLOAD_NETWORK_HEADER, 24, 16, NFT_REG_1);
	lookup(r, NFT_REG_1, false);
	nat(r, NFT_NAT_DNAT);
	assert_false(reported(r, &d));

	/* ip6 daddr != @set; udp dport @ports: reported, several ports */
	r = rule_new(NFPROTO_IPV6);
	payload(r, NFT_PAYLOAD_NETWORK_HEADER, 24, 16, NFT_REG_1);
	lookup(r, NFT_REG_1, true);
	meta_l4proto(r, IPPROTO_UDP);
	payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	lookup(r, NFT_REG_1, false);
	nat(r, NFT_NAT_DNAT);
	assert_true(reported(r, &d));
	assert_int_equal(d.proto, IPPROTO_UDP);
	assert_int_equal(d.port, 0);
	assert_true(d.port_set);
}

/* ---- daemon.json ---- */

/* The statuses of the four docker-* results, "PASS WARN ...". */
static char *docker(const char *text)
{
	struct icc_audit a = { 0 };
	char buf[64] = "";

	assert_int_equal(audit_docker_eval(text, "daemon.json", &a), 0);
	assert_int_equal(a.n, 4);
	for (size_t i = 0; i < a.n; i++) {
		strcat(buf, audit_status_name(a.v[i].status));
		strcat(buf, i + 1 < a.n ? " " : "");
		assert_string_equal(a.v[i].subject, "daemon.json");
		assert_true(!strcmp(a.v[i].fix, "") == (a.v[i].status == ICC_AUDIT_PASS));
	}
	assert_string_equal(a.v[0].id, AUDIT_DOCKER_ICC);
	assert_string_equal(a.v[1].id, AUDIT_DOCKER_PROXY);
	assert_string_equal(a.v[2].id, AUDIT_DOCKER_IP);
	assert_string_equal(a.v[3].id, AUDIT_DOCKER_IPTABLES);
	audit_free(&a);
	return strdup(buf);
}

#define assert_docker(text, want) do { \
	char *got = docker(text); \
	assert_string_equal(got, want); \
	free(got); \
} while (0)

static void test_docker(void **state)
{
	(void)state;
	assert_docker(NULL, "WARN FAIL WARN WARN");	/* Docker's defaults */
	assert_docker("{}", "WARN FAIL WARN WARN");
	assert_docker("{ \"icc\": false, \"userland-proxy\": false, \"ip\": \"127.0.0.1\", \"iptables\": false }",
		      "PASS PASS PASS PASS");
	assert_docker("{ \"ip\": \"::1\" }", "WARN FAIL PASS WARN");
	assert_docker("{ \"ip\": \"127.0.0.53\" }", "WARN FAIL PASS WARN");
	assert_docker("{ \"ip\": \"::\" }", "WARN FAIL WARN WARN");
	assert_docker("{ \"ip\": 7, \"icc\": \"false\" }", "FAIL FAIL FAIL WARN");
	assert_docker("{ \"icc\": false,", "FAIL FAIL FAIL FAIL");
	assert_docker("[ 1 ]", "FAIL FAIL FAIL FAIL");
	assert_docker("null", "FAIL FAIL FAIL FAIL");
	assert_docker("{} {}", "FAIL FAIL FAIL FAIL");
	assert_docker("{ \"icc\": false }\n", "PASS FAIL WARN WARN");
}

static void test_docker_reason(void **state)
{
	struct icc_audit a = { 0 };

	(void)state;
	assert_int_equal(audit_docker_eval("{ \"icc\": false,", "/x/daemon.json", &a), 0);
	assert_string_equal(a.v[0].reason, "/x/daemon.json: unexpected end of file");
	audit_free(&a);
}

/* ---- capabilities, score ---- */

static const struct icc_audit_result *caps(uint64_t eff, struct icc_audit *a)
{
	audit_truncate(a, 0);
	assert_int_equal(audit_caps_eval(42, eff, 0x1800, a), 0);
	assert_int_equal(a->n, 1);
	assert_string_equal(a->v[0].subject, "pid 42");
	return &a->v[0];
}

static void test_caps(void **state)
{
	struct icc_audit a = { 0 };
	const struct icc_audit_result *r;

	(void)state;
	assert_int_equal(caps(0x1800, &a)->status, ICC_AUDIT_PASS);
	r = caps(0x1ffffffffffULL, &a);	/* full root */
	assert_int_equal(r->status, ICC_AUDIT_FAIL);
	assert_non_null(strstr(r->reason, "CAP_CHOWN, CAP_DAC_OVERRIDE,"));
	assert_non_null(strstr(r->reason, "CAP_CHECKPOINT_RESTORE"));
	assert_null(strstr(r->reason, "CAP_NET_ADMIN"));
	r = caps(0x1800 | (1ULL << 19), &a);
	assert_int_equal(r->status, ICC_AUDIT_WARN);
	assert_non_null(strstr(r->reason, "CAP_SYS_PTRACE"));
	r = caps(0x1800 | (1ULL << 19) | (1ULL << 21), &a);
	assert_int_equal(r->status, ICC_AUDIT_FAIL);
	r = caps(0x800, &a);
	assert_int_equal(r->status, ICC_AUDIT_FAIL);
	assert_non_null(strstr(r->reason, "lacks CAP_NET_ADMIN"));
	r = caps(0x1800 | (1ULL << 50), &a);	/* a capability newer than us */
	assert_non_null(strstr(r->reason, "CAP_50"));
	assert_string_equal(caps(0x1800, &a)->reason,
			    "holds only what it needs: CAP_NET_BROADCAST, CAP_NET_ADMIN");
	audit_free(&a);
}

/* A [::1] relay on a privileged port needs CAP_NET_BIND_SERVICE too. */
static void test_caps_needed(void **state)
{
	static const char base[] =
		"version = 1;\n"
		"bridges = ( { name = \"docker0\"; subnet = [ \"172.17.0.0/16\", \"fd00:17::/64\" ]; } );\n"
		"containers = { web = { bridge = \"docker0\"; ip = [ \"172.17.0.2\", \"fd00:17::2\" ]; }; };\n";
	char text[1024];
	struct icc_audit a = { 0 };
	const char *ports[] = { "8080", "80" };
	uint64_t want[] = { 0x1800, 0x1c00 };

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct icc_diags d = { 0 };
		struct icc_policy *p = NULL;

		snprintf(text, sizeof(text), "%spublish = ( { container = \"web\"; "
			 "port = \"tcp/80\"; host = \"[::1]:%s\"; } );\n", base, ports[i]);
		assert_int_equal(policy_load_string(text, "t.conf", &p, &d), 0);
		assert_int_equal(audit_daemon_needs(p), want[i]);
		audit_truncate(&a, 0);
		assert_int_equal(audit_caps_eval(1, 0x1c00, audit_daemon_needs(p), &a), 0);
		assert_int_equal(a.v[0].status, i ? ICC_AUDIT_PASS : ICC_AUDIT_FAIL);
		policy_free(p);
		diags_free(&d);
	}
	audit_free(&a);
}

static void test_score(void **state)
{
	struct icc_audit a = { 0 };

	(void)state;
	assert_int_equal(audit_score(&a), 100);
	for (int i = 0; i < 12; i++)
		assert_int_equal(audit_add(&a, AUDIT_TABLES, ICC_AUDIT_PASS, "", NULL, "ok"), 0);
	assert_int_equal(audit_add(&a, AUDIT_DAEMON_CAPS, ICC_AUDIT_WARN, "", "fix", "w"), 0);
	assert_int_equal(audit_score(&a), 96);	/* 100 * 12.5 / 13 = 96.15 */
	assert_int_equal(audit_add(&a, AUDIT_TABLES, ICC_AUDIT_FAIL, "x", "fix", "%d", 1), 0);
	assert_int_equal(audit_score(&a), 89);	/* 100 * 12.5 / 14 = 89.29 */
	assert_int_equal(audit_count(&a, ICC_AUDIT_FAIL), 1);
	assert_string_equal(a.v[13].reason, "1");
	audit_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xt_dnat),
		cmocka_unit_test(test_nat_dnat),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_unknown_expr_forgets),
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_docker_reason),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_caps_needed),
		cmocka_unit_test(test_score),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
