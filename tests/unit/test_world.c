// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * From discovered ports to compiled sets (src/world.c, src/compile.c):
 * who owns an address, groups, conflicts, and containers that are gone.
 * The world is built by hand here; discovery itself is tested with real
 * namespaces in tests/e2e/t-discover.sh.
 */
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
#include "icc/discover.h"

#define NAME "t.conf"

static const char policy[] =
	"version = 1;\n"
	"bridges = ( { name = \"docker0\"; subnet = \"172.17.0.0/16\"; } );\n"
	"containers = {\n"
	"  web = { bridge = \"docker0\"; name = \"web\"; };\n"
	"  db = { bridge = \"docker0\"; labels = [ \"svc=db\" ]; };\n"
	"  cache = { bridge = \"docker0\"; ip = \"172.17.0.9\"; };\n"
	"};\n"
	"links = (\n"
	"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\" ]; },\n"
	"  { from = \"web\"; to = \"cache\"; ports = [ \"tcp/6379\" ]; }\n"
	");\n"
	"publish = ( { container = \"web\"; port = \"tcp/80\"; host = \"8080\"; } );\n";

/* A port with addresses (dotted quads, NULL-terminated) that is containers. */
static void member(struct icc_world *w, const char *ifname, const char *who,
		   const char *const *addrs, const unsigned *cts, size_t nct)
{
	struct icc_member *m;
	size_t n = 0;

	w->v = realloc(w->v, (w->n + 1) * sizeof(*w->v));
	assert_non_null(w->v);
	m = &w->v[w->n++];
	memset(m, 0, sizeof(*m));
	snprintf(m->ifname, sizeof(m->ifname), "%s", ifname);
	snprintf(m->who, sizeof(m->who), "%s", who);
	m->nsid = (int)w->n;
	while (addrs[n])
		n++;
	m->addrs = calloc(n + 1, sizeof(*m->addrs));
	for (m->naddrs = 0; m->naddrs < n; m->naddrs++)
		assert_int_equal(inet_pton(AF_INET, addrs[m->naddrs],
					   &m->addrs[m->naddrs]), 1);
	m->containers = calloc(nct + 1, sizeof(*m->containers));
	if (nct)	/* memcpy() wants a source even for nothing (UBSan) */
		memcpy(m->containers, cts, nct * sizeof(*cts));
	m->ncontainers = nct;
}

static char *elems(const struct icc_ruleset *rs, enum icc_set_id id)
{
	const struct icc_set *s = &rs->sets[id];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < s->n; i++) {
		set_print_elem(f, s, set_elem(s, i));
		fputc('\n', f);
	}
	fclose(f);
	return buf;
}

/* A copy of w with no claims table yet: the first call makes it. */
static struct icc_world fresh(const struct icc_world *w)
{
	struct icc_world c = *w;

	c.claims = NULL;
	return c;
}

/* Binds w, compiles, and compares links4 and local4 with the expected text. */
static void expect_once(const struct icc_policy *p, struct icc_world *w,
			const char *links, const char *local, size_t nwarn)
{
	struct icc_diags warn = { 0 };
	struct icc_binding *b = NULL;
	struct icc_ruleset *rs = NULL;
	char *got;

	assert_int_equal(world_bind(p, w, &b, &warn), 0);
	assert_int_equal(warn.n, nwarn);
	assert_int_equal(compile_policy(p, b, &rs), 0);
	got = elems(rs, ICC_SET_LINKS4);
	assert_string_equal(got, links);
	free(got);
	got = elems(rs, ICC_SET_LOCAL4);
	assert_string_equal(got, local);
	free(got);
	ruleset_free(rs);
	bindings_free(b, p->ncontainers);
	diags_free(&warn);
}

static void expect(const struct icc_policy *p, const struct icc_world *w,
		   const char *links, const char *local, size_t nwarn)
{
	struct icc_world c = fresh(w);

	/* Twice: with the table it makes, then with the one it kept. */
	expect_once(p, &c, links, local, nwarn);
	expect_once(p, &c, links, local, nwarn);
	world_claims_free(&c);
}

static void test_nobody_running(void **state)
{
	struct icc_policy *p = policy_ok(policy);
	struct icc_world w = { 0 };

	(void)state;
	/* Only the static container: no link has both ends, nothing published. */
	expect(p, &w, "", "", 0);
	policy_free(p);
}

static void test_named_and_group(void **state)
{
	struct icc_policy *p = policy_ok(policy);
	struct icc_world w = { 0 };
	const unsigned web[] = { 0 }, db[] = { 1 };

	(void)state;
	member(&w, "vweb", "netns web", (const char *[]){ "172.17.0.2", NULL }, web, 1);
	member(&w, "vdb1", "docker db1", (const char *[]){ "172.17.0.4", NULL }, db, 1);
	member(&w, "vdb2", "docker db2", (const char *[]){ "172.17.0.3", NULL }, db, 1);
	expect(p, &w,
	       "172.17.0.2 . 172.17.0.3 . tcp . 5432\n"
	       "172.17.0.2 . 172.17.0.4 . tcp . 5432\n"
	       "172.17.0.2 . 172.17.0.9 . tcp . 6379\n",
	       "127.0.0.1 . tcp . 8080 : 172.17.0.2 . 80\n", 0);
	world_free(&w);
	policy_free(p);
}

/* Two addresses on one port: both are the container's; publish the lowest. */
static void test_two_addresses(void **state)
{
	struct icc_policy *p = policy_ok(policy);
	struct icc_world w = { 0 };
	const unsigned web[] = { 0 };

	(void)state;
	member(&w, "vweb", "netns web", (const char *[]){ "172.17.0.7", "172.17.0.5", NULL }, web, 1);
	expect(p, &w,
	       "172.17.0.5 . 172.17.0.9 . tcp . 6379\n"
	       "172.17.0.7 . 172.17.0.9 . tcp . 6379\n",
	       "127.0.0.1 . tcp . 8080 : 172.17.0.5 . 80\n", 0);
	world_free(&w);
	policy_free(p);
}

/* A port claiming a static container's address is not trusted with it. */
static void test_static_wins(void **state)
{
	struct icc_policy *p = policy_ok(policy);
	struct icc_world w = { 0 };
	const unsigned web[] = { 0 };

	(void)state;
	member(&w, "vweb", "netns web", (const char *[]){ "172.17.0.9", NULL }, web, 1);
	expect(p, &w, "", "", 1);
	world_free(&w);
	policy_free(p);
}

/* The port of a static container is known as that container. */
static void test_static_port(void **state)
{
	struct icc_policy *p = policy_ok(policy);
	struct icc_world w = { 0 };
	const unsigned web[] = { 0 }, cache[] = { 2 };

	(void)state;
	member(&w, "vweb", "netns web", (const char *[]){ "172.17.0.2", NULL }, web, 1);
	member(&w, "vcache", "static ip", (const char *[]){ "172.17.0.9", "172.17.0.10", NULL }, cache, 1);
	/* No rival claim, and the static container gains no other address. */
	expect(p, &w, "172.17.0.2 . 172.17.0.9 . tcp . 6379\n",
	       "127.0.0.1 . tcp . 8080 : 172.17.0.2 . 80\n", 0);
	world_free(&w);
	policy_free(p);
}

/* Two ports claiming one address: neither gets it. */
static void test_duplicate_claim(void **state)
{
	struct icc_policy *p = policy_ok(policy);
	struct icc_world w = { 0 };
	const unsigned web[] = { 0 }, db[] = { 1 };

	(void)state;
	member(&w, "vweb", "netns web", (const char *[]){ "172.17.0.2", NULL }, web, 1);
	member(&w, "vdb", "docker db", (const char *[]){ "172.17.0.2", "172.17.0.3", NULL }, db, 1);
	expect(p, &w, "", "", 2);
	world_free(&w);
	policy_free(p);
}

/* An unidentified port's addresses bind nobody but still block a claim. */
static void test_unknown_port(void **state)
{
	struct icc_policy *p = policy_ok(policy);
	struct icc_world w = { 0 };
	const unsigned web[] = { 0 };

	(void)state;
	member(&w, "vweb", "netns web", (const char *[]){ "172.17.0.2", NULL }, web, 1);
	member(&w, "vx", "", (const char *[]){ "172.17.0.3", NULL }, NULL, 0);
	expect(p, &w, "172.17.0.2 . 172.17.0.9 . tcp . 6379\n",
	       "127.0.0.1 . tcp . 8080 : 172.17.0.2 . 80\n", 0);
	world_free(&w);
	policy_free(p);
}

/* One port that is two policy entries (a name and a label group). */
static void test_port_in_two_entries(void **state)
{
	struct icc_policy *p = policy_ok(policy);
	struct icc_world w = { 0 };
	const unsigned both[] = { 0, 1 };

	(void)state;
	member(&w, "vx", "docker web", (const char *[]){ "172.17.0.2", NULL }, both, 2);
	/* web -> db is then the container to itself: one element, harmless. */
	expect(p, &w,
	       "172.17.0.2 . 172.17.0.2 . tcp . 5432\n"
	       "172.17.0.2 . 172.17.0.9 . tcp . 6379\n",
	       "127.0.0.1 . tcp . 8080 : 172.17.0.2 . 80\n", 0);
	world_free(&w);
	policy_free(p);
}

static void test_print(void **state)
{
	struct icc_policy *p = policy_ok(policy);
	struct icc_world w = { 0 };
	const unsigned web[] = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	member(&w, "vweb", "netns web", (const char *[]){ "172.17.0.2", NULL }, web, 1);
	w.v[0].has_mac = true;
	memcpy(w.v[0].mac, "\x02\x00\x00\x00\x00\x01", 6);
	w.v[0].up = true;
	member(&w, "vx", "", (const char *[]){ NULL }, NULL, 0);
	f = open_memstream(&buf, &len);
	world_print(f, p, &w);
	fclose(f);
	assert_string_equal(buf,
		"port vweb bridge docker0 up mac 02:00:00:00:00:01 172.17.0.2 (netns web) is web\n"
		"port vx bridge docker0 down unknown\n");
	free(buf);
	world_free(&w);
	policy_free(p);
}

/* member() with a MAC 02:00:00:00:00:LAST. */
static void with_mac(struct icc_world *w, uint8_t last)
{
	struct icc_member *m = &w->v[w->n - 1];

	memcpy(m->mac, "\x02\x00\x00\x00\x00", 5);
	m->mac[5] = last;
	m->has_mac = true;
}

/* world_ports() on w: the port sets, one line per element, and notes. */
static void expect_ports_once(const struct icc_policy *p, struct icc_world *w,
			      const char *ports, const char *macs, const char *ip4,
			      size_t nwarn)
{
	struct icc_diags warn = { 0 };
	struct icc_ruleset *rs = ruleset_new();
	char *got;

	assert_non_null(rs);
	assert_int_equal(world_ports(p, w, rs, &warn), 0);
	assert_int_equal(warn.n, nwarn);
	got = elems(rs, ICC_SET_PORTS);
	assert_string_equal(got, ports);
	free(got);
	got = elems(rs, ICC_SET_PORT_MAC);
	assert_string_equal(got, macs);
	free(got);
	got = elems(rs, ICC_SET_PORT_IP4);
	assert_string_equal(got, ip4);
	free(got);
	ruleset_free(rs);
	diags_free(&warn);
}

static void expect_ports(const struct icc_policy *p, const struct icc_world *w,
			 const char *ports, const char *macs, const char *ip4,
			 size_t nwarn)
{
	struct icc_world c = fresh(w);

	expect_ports_once(p, &c, ports, macs, ip4, nwarn);
	expect_ports_once(p, &c, ports, macs, ip4, nwarn);
	world_claims_free(&c);
}

/* Every port is bound to its own MAC and addresses, known or not. */
static void test_ports_bound(void **state)
{
	struct icc_policy *p = policy_ok(policy);
	struct icc_world w = { 0 };
	const unsigned web[] = { 0 }, cache[] = { 2 };

	(void)state;
	member(&w, "vweb", "netns web", (const char *[]){ "172.17.0.2", "172.17.0.20", NULL }, web, 1);
	with_mac(&w, 2);
	member(&w, "vcache", "static ip", (const char *[]){ "172.17.0.9", NULL }, cache, 1);
	with_mac(&w, 9);
	member(&w, "vx", "", (const char *[]){ "172.17.0.5", NULL }, NULL, 0);
	with_mac(&w, 5);
	expect_ports(p, &w, "\"vcache\"\n\"vweb\"\n\"vx\"\n",
		     "\"vcache\" . 02:00:00:00:00:09\n"
		     "\"vweb\" . 02:00:00:00:00:02\n"
		     "\"vx\" . 02:00:00:00:00:05\n",
		     "\"vcache\" . 02:00:00:00:00:09 . 172.17.0.9\n"
		     "\"vweb\" . 02:00:00:00:00:02 . 172.17.0.2\n"
		     "\"vweb\" . 02:00:00:00:00:02 . 172.17.0.20\n"
		     "\"vx\" . 02:00:00:00:00:05 . 172.17.0.5\n", 0);
	world_free(&w);
	policy_free(p);
}

/*
 * Two ports with one address, or one MAC: neither is bound to it (the
 * newcomer cannot take the other's traffic); a named container holding a
 * static container's ip is not bound to it; a port with no MAC known is
 * filtered with nothing bound.
 */
static void test_ports_conflicts(void **state)
{
	struct icc_policy *p = policy_ok(policy);
	struct icc_world w = { 0 };
	const unsigned web[] = { 0 }, db[] = { 1 };

	(void)state;
	member(&w, "va", "netns web", (const char *[]){ "172.17.0.2", "172.17.0.7", "172.17.0.9", NULL }, web, 1);
	with_mac(&w, 1);
	member(&w, "vb", "docker db", (const char *[]){ "172.17.0.2", "172.17.0.3", NULL }, db, 1);
	with_mac(&w, 2);
	member(&w, "vc", "", (const char *[]){ "172.17.0.4", NULL }, NULL, 0);
	with_mac(&w, 2);
	member(&w, "vd", "", (const char *[]){ "172.17.0.6", NULL }, NULL, 0);
	expect_ports(p, &w, "\"va\"\n\"vb\"\n\"vc\"\n\"vd\"\n",
		     "\"va\" . 02:00:00:00:00:01\n",
		     "\"va\" . 02:00:00:00:00:01 . 172.17.0.7\n", 2);
	world_free(&w);
	policy_free(p);
}

/* A MAC (or link-local address) is one port's within a bridge only. */
static void test_ports_two_bridges(void **state)
{
	struct icc_policy *p = policy_ok(
		"version = 1;\n"
		"bridges = ( { name = \"a\"; subnet = \"10.1.0.0/16\"; },\n"
		"  { name = \"b\"; subnet = \"10.2.0.0/16\"; } );\n");
	struct icc_world w = { 0 };

	(void)state;
	member(&w, "va", "", (const char *[]){ "10.1.0.2", NULL }, NULL, 0);
	with_mac(&w, 7);
	member(&w, "vb", "", (const char *[]){ "10.2.0.2", NULL }, NULL, 0);
	with_mac(&w, 7);
	w.v[1].bridge = 1;
	expect_ports(p, &w, "\"va\"\n\"vb\"\n",
		     "\"va\" . 02:00:00:00:00:07\n\"vb\" . 02:00:00:00:00:07\n",
		     "\"va\" . 02:00:00:00:00:07 . 10.1.0.2\n"
		     "\"vb\" . 02:00:00:00:00:07 . 10.2.0.2\n", 0);
	/* on one bridge the same MAC is bound to neither */
	w.v[1].bridge = 0;
	expect_ports(p, &w, "\"va\"\n\"vb\"\n", "", "", 2);
	world_free(&w);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nobody_running),
		cmocka_unit_test(test_named_and_group),
		cmocka_unit_test(test_two_addresses),
		cmocka_unit_test(test_static_wins),
		cmocka_unit_test(test_static_port),
		cmocka_unit_test(test_duplicate_claim),
		cmocka_unit_test(test_unknown_port),
		cmocka_unit_test(test_port_in_two_entries),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_ports_bound),
		cmocka_unit_test(test_ports_conflicts),
		cmocka_unit_test(test_ports_two_bridges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
