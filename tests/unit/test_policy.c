// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The policy stage: every key and default, every class of mistake with
 * its line, and the printer's round trip. One cmocka group, so the TAP
 * output has one plan.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "icc/policy.h"

#define NAME	"t.conf"

/* A valid start that the error cases build on; it is ten lines long. */
#define BASE \
	"version = 1;\n" \
	"bridges = (\n" \
	"  { name = \"docker0\"; subnet = \"172.17.0.0/16\"; uplink = \"eth0\"; },\n" \
	"  { name = \"lxcbr0\"; subnet = \"10.0.3.0/24\"; }\n" \
	");\n" \
	"containers = {\n" \
	"  web = { bridge = \"docker0\"; ip = \"172.17.0.2\"; };\n" \
	"  db = { bridge = \"docker0\"; ip = \"172.17.0.3\"; };\n" \
	"  app = { bridge = \"lxcbr0\"; ip = \"10.0.3.2\"; };\n" \
	"};\n"

/* The example from the language description. */
static const char example[] =
	"version = 1;\n"
	"bridges = (\n"
	"  { name = \"docker0\"; subnet = \"172.17.0.0/16\"; uplink = \"eth0\"; masquerade = true; egress = true; },\n"
	"  { name = \"lxcbr0\";  subnet = \"10.0.3.0/24\";   uplink = \"eth0\"; }\n"
	");\n"
	"containers = {\n"
	"  web = { bridge = \"docker0\"; ip = \"172.17.0.2\"; };\n"
	"  db  = { bridge = \"docker0\"; ip = \"172.17.0.3\"; };\n"
	"};\n"
	"links = (\n"
	"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\" ]; }\n"
	");\n"
	"publish = (\n"
	"  { container = \"web\"; port = \"tcp/80\"; host = \"127.0.0.1:8080\"; },\n"
	"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"198.51.100.0/24\" ]; }\n"
	");\n";

/* Everything optional, every port form, every address form. */
static const char full[] =
	BASE
	"links = (\n"
	"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\", \"udp/53\", \"tcp/8000-8080\", \"udp/1000-65535\", \"icmp\" ]; },\n"
	"  { from = \"db\"; to = \"web\"; ports = [ \"any\" ]; },\n"
	"  { from = \"app\"; to = \"web\"; ports = [ \"tcp/65535\", \"tcp/1\" ]; }\n"
	");\n"
	"publish = (\n"
	"  { container = \"web\"; port = \"tcp/80\"; host = \"8080\"; },\n"
	"  { container = \"web\"; port = \"udp/53\"; host = \"127.0.0.53:53\"; },\n"
	"  { container = \"db\"; port = \"tcp/5432\"; host = \"192.0.2.1:5432\";\n"
	"    allow_from = [ \"198.51.100.0/24\", \"203.0.113.7\", \"10.0.0.0/8\" ]; },\n"
	"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"0.0.0.0/0\" ]; }\n"
	");\n";

static char *print_str(const struct icc_policy *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	policy_print(f, p);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static char *diags_str(const struct icc_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	diags_print(f, d);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static struct icc_policy *load_ok(const char *text)
{
	struct icc_diags d = { 0 };
	struct icc_policy *p = NULL;
	int ret = policy_load_string(text, NAME, &p, &d);
	char *msg = diags_str(&d);

	if (ret != 0 || d.n)
		fail_msg("unexpected problems (%d):\n%s", ret, msg);
	free(msg);
	diags_free(&d);
	assert_non_null(p);
	return p;
}

/* Loads text, which must fail with exactly the messages want. */
static void load_bad(const char *text, const char *want)
{
	struct icc_diags d = { 0 };
	struct icc_policy *p = (struct icc_policy *)&d;
	int ret = policy_load_string(text, NAME, &p, &d);
	char *got = diags_str(&d);

	assert_int_equal(ret, -EINVAL);
	assert_null(p);
	assert_string_equal(got, want);
	free(got);
	diags_free(&d);
}

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void assert_ip(struct in_addr a, const char *s)
{
	assert_int_equal(a.s_addr, ip4(s).s_addr);
}

static void test_diags(void **state)
{
	struct icc_diags d = { 0 };
	char *s;

	(void)state;
	assert_int_equal(diags_add(&d, "a.conf", 7, "seven %s", "x"), 0);
	assert_int_equal(diags_add(&d, "a.conf", 3, "three"), 0);
	assert_int_equal(diags_add(&d, "a.conf", 7, "seven again"), 0);
	assert_int_equal(diags_add(&d, "a.conf", 0, "whole file"), 0);
	assert_int_equal(diags_add(&d, "a.conf", 2, "two"), 0);
	diags_sort(&d);
	s = diags_str(&d);
	assert_string_equal(s, "a.conf: whole file\n"
			       "a.conf:2: two\n"
			       "a.conf:3: three\n"
			       "a.conf:7: seven x\n"
			       "a.conf:7: seven again\n");
	free(s);
	diags_free(&d);
	assert_int_equal(d.n, 0);

	/* Files keep the order they first appear in. */
	assert_int_equal(diags_add(&d, "b.conf", 9, "b9"), 0);
	assert_int_equal(diags_add(&d, "a.conf", 5, "a5"), 0);
	assert_int_equal(diags_add(&d, NULL, 0, "no file"), 0);
	assert_int_equal(diags_add(&d, "b.conf", 1, "b1"), 0);
	assert_int_equal(diags_add(&d, "a.conf", 2, "a2"), 0);
	diags_sort(&d);
	s = diags_str(&d);
	assert_string_equal(s, "b.conf:1: b1\n"
			       "b.conf:9: b9\n"
			       "a.conf:2: a2\n"
			       "a.conf:5: a5\n"
			       "no file\n");
	free(s);
	diags_free(&d);

	/* Many entries: the array grows; sorting stays stable. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(diags_add(&d, "b.conf", 50 - i / 2, "%d", i), 0);
	diags_sort(&d);
	for (size_t i = 1; i < d.n; i++) {
		assert_true(d.v[i - 1].line <= d.v[i].line);
		if (d.v[i - 1].line == d.v[i].line)
			assert_true(atoi(d.v[i - 1].msg) < atoi(d.v[i].msg));
	}
	diags_free(&d);
	diags_free(NULL);
}

static void test_helpers(void **state)
{
	struct icc_prefix p = { .addr = ip4("172.17.0.0"), .len = 16 };
	struct icc_prefix all = { .addr = ip4("0.0.0.0"), .len = 0 };

	(void)state;
	assert_string_equal(proto_name(IPPROTO_TCP), "tcp");
	assert_string_equal(proto_name(IPPROTO_UDP), "udp");
	assert_string_equal(proto_name(IPPROTO_ICMP), "icmp");
	assert_string_equal(proto_name(0), "any");
	assert_true(policy_is_loopback(ip4("127.0.0.1")));
	assert_true(policy_is_loopback(ip4("127.255.255.254")));
	assert_false(policy_is_loopback(ip4("128.0.0.1")));
	assert_false(policy_is_loopback(ip4("0.0.0.0")));
	assert_true(prefix_contains(&p, ip4("172.17.255.255")));
	assert_false(prefix_contains(&p, ip4("172.18.0.0")));
	assert_true(prefix_contains(&all, ip4("1.2.3.4")));
}

static void test_example(void **state)
{
	struct icc_policy *p = load_ok(example);
	const struct icc_bridge *b;
	const struct icc_publish *pb;

	(void)state;
	assert_string_equal(p->file, NAME);
	assert_int_equal(p->version, 1);
	assert_int_equal(p->nbridges, 2);
	b = &p->bridges[0];
	assert_string_equal(b->name, "docker0");
	assert_ip(b->subnet.addr, "172.17.0.0");
	assert_int_equal(b->subnet.len, 16);
	assert_string_equal(b->uplink, "eth0");
	assert_true(b->masquerade);
	assert_true(b->egress);
	assert_int_equal(b->line, 3);
	b = &p->bridges[1];
	assert_string_equal(b->name, "lxcbr0");
	assert_ip(b->subnet.addr, "10.0.3.0");
	assert_int_equal(b->subnet.len, 24);
	assert_true(b->masquerade);	/* defaults: an uplink is set */
	assert_true(b->egress);
	assert_int_equal(p->ncontainers, 2);
	assert_string_equal(p->containers[0].name, "web");
	assert_int_equal(p->containers[0].bridge, 0);
	assert_ip(p->containers[0].ip, "172.17.0.2");
	assert_int_equal(p->containers[0].line, 7);
	assert_string_equal(p->containers[1].name, "db");
	assert_ip(p->containers[1].ip, "172.17.0.3");
	assert_int_equal(p->nlinks, 1);
	assert_int_equal(p->links[0].from, 0);
	assert_int_equal(p->links[0].to, 1);
	assert_int_equal(p->links[0].line, 11);
	assert_int_equal(p->links[0].nports, 1);
	assert_int_equal(p->links[0].ports[0].proto, IPPROTO_TCP);
	assert_int_equal(p->links[0].ports[0].lo, 5432);
	assert_int_equal(p->links[0].ports[0].hi, 5432);
	assert_int_equal(p->links[0].ports[0].line, 11);
	assert_int_equal(p->npublishes, 2);
	pb = &p->publishes[0];
	assert_int_equal(pb->container, 0);
	assert_int_equal(pb->proto, IPPROTO_TCP);
	assert_int_equal(pb->port, 80);
	assert_ip(pb->host_addr, "127.0.0.1");
	assert_int_equal(pb->host_port, 8080);
	assert_int_equal(pb->nallow, 0);
	assert_null(pb->allow_from);
	assert_int_equal(pb->line, 14);
	pb = &p->publishes[1];
	assert_int_equal(pb->port, 443);
	assert_ip(pb->host_addr, "0.0.0.0");
	assert_int_equal(pb->host_port, 443);
	assert_int_equal(pb->nallow, 1);
	assert_ip(pb->allow_from[0].addr, "198.51.100.0");
	assert_int_equal(pb->allow_from[0].len, 24);
	assert_int_equal(pb->line, 15);
	policy_free(p);
}

static void test_full(void **state)
{
	struct icc_policy *p = load_ok(full);
	const struct icc_link *l;
	const struct icc_publish *pb;

	(void)state;
	assert_int_equal(p->ncontainers, 3);
	assert_int_equal(p->containers[2].bridge, 1);
	assert_int_equal(p->nlinks, 3);
	l = &p->links[0];
	assert_int_equal(l->nports, 5);
	assert_int_equal(l->ports[1].proto, IPPROTO_UDP);
	assert_int_equal(l->ports[1].lo, 53);
	assert_int_equal(l->ports[2].proto, IPPROTO_TCP);
	assert_int_equal(l->ports[2].lo, 8000);
	assert_int_equal(l->ports[2].hi, 8080);
	assert_int_equal(l->ports[3].lo, 1000);
	assert_int_equal(l->ports[3].hi, 65535);
	assert_int_equal(l->ports[4].proto, IPPROTO_ICMP);
	l = &p->links[1];
	assert_int_equal(l->from, 1);
	assert_int_equal(l->to, 0);
	assert_int_equal(l->nports, 1);
	assert_int_equal(l->ports[0].proto, 0);
	assert_int_equal(p->links[2].ports[0].lo, 65535);
	assert_int_equal(p->npublishes, 4);
	pb = &p->publishes[0];
	assert_ip(pb->host_addr, "127.0.0.1");	/* "PORT" means loopback */
	assert_int_equal(pb->host_port, 8080);
	pb = &p->publishes[1];
	assert_int_equal(pb->proto, IPPROTO_UDP);
	assert_ip(pb->host_addr, "127.0.0.53");
	pb = &p->publishes[2];
	assert_int_equal(pb->container, 1);
	assert_int_equal(pb->nallow, 3);
	assert_int_equal(pb->allow_from[1].len, 32);	/* bare address */
	assert_ip(pb->allow_from[1].addr, "203.0.113.7");
	assert_int_equal(pb->allow_from[2].len, 8);
	pb = &p->publishes[3];
	assert_int_equal(pb->allow_from[0].len, 0);
	policy_free(p);
}

/* Containers named instead of addressed, and where to look for them. */
static const char dynamic[] =
	"version = 1;\n"
	"bridges = ( { name = \"docker0\"; subnet = \"172.17.0.0/16\"; uplink = \"eth0\"; egress = false; host_ports = [ \"udp/53\", \"tcp/3128-3130\", \"icmp\" ]; } );\n"
	"containers = {\n"
	"  web = { bridge = \"docker0\"; name = \"web-1\"; };\n"
	"  db = { bridge = \"docker0\"; labels = [ \"com.docker.compose.service=db\", \"com.docker.compose.project=shop\" ]; };\n"
	"  cache = { bridge = \"docker0\"; ip = \"172.17.0.9\"; };\n"
	"};\n"
	"links = ( { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\" ]; } );\n"
	"publish = ( { container = \"web\"; port = \"tcp/80\"; host = \"8080\"; } );\n"
	"egress = ( { from = \"cache\"; to = \"198.51.100.0/24\"; ports = [ \"tcp/443\" ]; } );\n"
	"discovery = { netns = \"/tmp/ns\"; docker = \"/srv/docker\"; docker_netns = \"/run/netns\"; lxc = \"/srv/lxc\"; lxc_cgroup = \"/tmp/cg\"; };\n";

static void test_dynamic(void **state)
{
	struct icc_policy *p = load_ok(dynamic), *q = load_ok(example);

	(void)state;
	assert_int_equal(p->ncontainers, 3);
	assert_int_equal(p->containers[0].ident, ICC_ID_NAME);
	assert_string_equal(p->containers[0].match, "web-1");
	assert_int_equal(p->containers[1].ident, ICC_ID_LABELS);
	assert_int_equal(p->containers[1].nlabels, 2);
	/* Sorted: a selector is a set. */
	assert_string_equal(p->containers[1].labels[0], "com.docker.compose.project=shop");
	assert_string_equal(p->containers[1].labels[1], "com.docker.compose.service=db");
	assert_int_equal(p->containers[2].ident, ICC_ID_IP);
	assert_int_equal(p->bridges[0].nhost_ports, 3);
	assert_int_equal(p->bridges[0].host_ports[1].proto, IPPROTO_TCP);
	assert_int_equal(p->bridges[0].host_ports[1].lo, 3128);
	assert_int_equal(p->bridges[0].host_ports[1].hi, 3130);
	assert_int_equal(p->bridges[0].host_ports[2].proto, IPPROTO_ICMP);
	assert_int_equal(q->bridges[0].nhost_ports, 0);
	assert_string_equal(p->paths.netns, "/tmp/ns");
	assert_string_equal(p->paths.docker, "/srv/docker");
	assert_string_equal(p->paths.docker_netns, "/run/netns");
	assert_string_equal(p->paths.lxc, "/srv/lxc");
	assert_string_equal(p->paths.lxc_cgroup, "/tmp/cg");
	/* Defaults when discovery is absent. */
	assert_string_equal(q->paths.netns, "/run/netns");
	assert_string_equal(q->paths.docker, "/var/lib/docker");
	assert_string_equal(q->paths.docker_netns, "/var/run/docker/netns");
	assert_string_equal(q->paths.lxc, "/var/lib/lxc");
	assert_string_equal(q->paths.lxc_cgroup, "/sys/fs/cgroup");
	policy_free(p);
	policy_free(q);
}

static void test_defaults(void **state)
{
	struct icc_policy *p = load_ok(
		"version = 1;\n"
		"bridges = (\n"
		"  { name = \"a\"; subnet = \"10.1.0.0/16\"; },\n"
		"  { name = \"b\"; subnet = \"10.2.0.0/16\"; uplink = \"eth0\"; masquerade = false; },\n"
		"  { name = \"c\"; subnet = \"10.3.0.0/16\"; uplink = \"eth0\"; egress = false; },\n"
		"  { name = \"d\"; subnet = \"10.4.0.0/16\"; masquerade = false; egress = false; },\n"
		"  { name = \"e\"; subnet = \"10.5.0.0/31\"; },\n"
		"  { name = \"f\"; subnet = \"10.6.0.1/32\"; },\n"
		"  { name = \"g\"; subnet = \"11.0.0.0/8\"; uplink = \"bond0.100\"; }\n"
		");\n"
		"containers = {\n"
		"  e0 = { bridge = \"e\"; ip = \"10.5.0.0\"; };\n"
		"  e1 = { bridge = \"e\"; ip = \"10.5.0.1\"; };\n"
		"  f = { bridge = \"f\"; ip = \"10.6.0.1\"; };\n"
		"  g-1_x = { bridge = \"g\"; ip = \"11.255.255.254\"; };\n"
		"};\n");

	(void)state;
	assert_int_equal(p->nbridges, 7);
	assert_string_equal(p->bridges[0].uplink, "");
	assert_false(p->bridges[0].masquerade);
	assert_false(p->bridges[0].egress);
	assert_false(p->bridges[1].masquerade);
	assert_true(p->bridges[1].egress);
	assert_true(p->bridges[2].masquerade);
	assert_false(p->bridges[2].egress);
	assert_false(p->bridges[3].masquerade);
	assert_false(p->bridges[3].egress);
	/* /31 and /32 have no network and broadcast addresses to avoid. */
	assert_int_equal(p->ncontainers, 4);
	assert_int_equal(p->nlinks, 0);
	assert_int_equal(p->npublishes, 0);
	policy_free(p);
}

static void test_version_int64(void **state)
{
	struct icc_policy *p = load_ok(
		"version = 1L;\n"
		"bridges = ( { name = \"a\"; subnet = \"10.1.0.0/16\"; } );\n");

	(void)state;
	assert_int_equal(p->version, 1);
	policy_free(p);
}

static void test_empty_optional_sections(void **state)
{
	struct icc_policy *p = load_ok(
		"version = 1;\n"
		"bridges = ( { name = \"a\"; subnet = \"10.1.0.0/16\"; } );\n"
		"containers = { };\n"
		"links = ( );\n"
		"publish = ( );\n");

	(void)state;
	assert_int_equal(p->ncontainers, 0);
	assert_int_equal(p->nlinks, 0);
	assert_int_equal(p->npublishes, 0);
	policy_free(p);
}

/* The same model, lines aside. */
static void assert_same_ident(const struct icc_container *x,
			      const struct icc_container *y)
{
	assert_int_equal(x->ident, y->ident);
	if (x->ident == ICC_ID_NAME)
		assert_string_equal(x->match, y->match);
	assert_int_equal(x->nlabels, y->nlabels);
	for (size_t j = 0; j < x->nlabels; j++)
		assert_string_equal(x->labels[j], y->labels[j]);
}

static void assert_same_prefix(const struct icc_prefix *a,
			       const struct icc_prefix *b)
{
	assert_int_equal(a->addr.s_addr, b->addr.s_addr);
	assert_memory_equal(&a->addr6, &b->addr6, 16);
	assert_int_equal(a->len, b->len);
	assert_int_equal(a->v6, b->v6);
}

static void assert_same_model(const struct icc_policy *a,
			      const struct icc_policy *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->nbridges, b->nbridges);
	for (size_t i = 0; i < a->nbridges; i++) {
		const struct icc_bridge *x = &a->bridges[i], *y = &b->bridges[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->subnet.addr.s_addr, y->subnet.addr.s_addr);
		assert_int_equal(x->subnet.len, y->subnet.len);
		assert_same_prefix(&x->subnet6, &y->subnet6);
		assert_int_equal(x->has_subnet6, y->has_subnet6);
		assert_string_equal(x->uplink, y->uplink);
		assert_int_equal(x->masquerade, y->masquerade);
		assert_int_equal(x->egress, y->egress);
	}
	assert_int_equal(a->ncontainers, b->ncontainers);
	for (size_t i = 0; i < a->ncontainers; i++) {
		assert_string_equal(a->containers[i].name, b->containers[i].name);
		assert_int_equal(a->containers[i].bridge, b->containers[i].bridge);
		assert_int_equal(a->containers[i].ip.s_addr, b->containers[i].ip.s_addr);
		assert_memory_equal(&a->containers[i].ip6, &b->containers[i].ip6, 16);
		assert_int_equal(a->containers[i].has_ip6, b->containers[i].has_ip6);
		assert_same_ident(&a->containers[i], &b->containers[i]);
	}
	assert_string_equal(a->paths.netns, b->paths.netns);
	assert_string_equal(a->paths.docker, b->paths.docker);
	assert_string_equal(a->paths.docker_netns, b->paths.docker_netns);
	assert_string_equal(a->paths.lxc, b->paths.lxc);
	assert_string_equal(a->paths.lxc_cgroup, b->paths.lxc_cgroup);
	assert_int_equal(a->nlinks, b->nlinks);
	for (size_t i = 0; i < a->nlinks; i++) {
		const struct icc_link *x = &a->links[i], *y = &b->links[i];

		assert_int_equal(x->from, y->from);
		assert_int_equal(x->to, y->to);
		assert_int_equal(x->nports, y->nports);
		for (size_t j = 0; j < x->nports; j++) {
			assert_int_equal(x->ports[j].proto, y->ports[j].proto);
			assert_int_equal(x->ports[j].lo, y->ports[j].lo);
			assert_int_equal(x->ports[j].hi, y->ports[j].hi);
		}
	}
	assert_int_equal(a->npublishes, b->npublishes);
	for (size_t i = 0; i < a->npublishes; i++) {
		const struct icc_publish *x = &a->publishes[i], *y = &b->publishes[i];

		assert_int_equal(x->container, y->container);
		assert_int_equal(x->proto, y->proto);
		assert_int_equal(x->port, y->port);
		assert_int_equal(x->host_addr.s_addr, y->host_addr.s_addr);
		assert_memory_equal(&x->host_addr6, &y->host_addr6, 16);
		assert_int_equal(x->v6, y->v6);
		assert_int_equal(x->host_port, y->host_port);
		assert_int_equal(x->nallow, y->nallow);
		for (size_t j = 0; j < x->nallow; j++)
			assert_same_prefix(&x->allow_from[j], &y->allow_from[j]);
	}
	assert_int_equal(a->negress, b->negress);
	for (size_t i = 0; i < a->negress; i++) {
		assert_int_equal(a->egress[i].from, b->egress[i].from);
		assert_same_prefix(&a->egress[i].to, &b->egress[i].to);
		assert_int_equal(a->egress[i].nports, b->egress[i].nports);
	}
}

/* print -> load -> print gives the same text and the same model. */
static void roundtrip(const struct icc_policy *p)
{
	struct icc_policy *q;
	char *t1, *t2;

	t1 = print_str(p);
	q = load_ok(t1);
	assert_same_model(p, q);
	t2 = print_str(q);
	assert_string_equal(t1, t2);
	free(t1);
	free(t2);
	policy_free(q);
}

/* Dual stack: every IPv6 form the language has. */
static const char dual[] =
	"version = 1;\n"
	"bridges = (\n"
	"  { name = \"docker0\"; subnet = [ \"fd00:17::/64\", \"172.17.0.0/16\" ]; uplink = \"eth0\"; egress = false; log = \"none\"; }\n"
	");\n"
	"containers = {\n"
	"  web = { bridge = \"docker0\"; ip = [ \"fd00:17:0::2\", \"172.17.0.2\" ]; };\n"
	"  db = { bridge = \"docker0\"; name = \"db\"; };\n"
	"};\n"
	"publish = (\n"
	"  { container = \"web\"; port = \"tcp/80\"; host = \"[::1]:8080\"; },\n"
	"  { container = \"web\"; port = \"tcp/443\"; host = \"[::]:443\"; allow_from = [ \"2001:db8::/32\", \"2001:db9::1\" ]; }\n"
	");\n"
	"egress = ( { from = \"web\"; to = \"2001:db8:0:0::/64\"; ports = [ \"udp/53\" ]; } );\n";

/* policy_print(text) is want, and loads back to the same model. */
static void assert_prints(const char *text, const char *want)
{
	struct icc_policy *p = load_ok(text);
	char *t = print_str(p);

	assert_string_equal(t, want);
	roundtrip(p);
	free(t);
	policy_free(p);
}

/* Lists in canonical order, IPv6 in its shortest form. */
static void test_print_dual(void **state)
{
	(void)state;
	assert_prints(dual,
		"version = 1;\n"
		"bridges = (\n"
		"  { name = \"docker0\"; subnet = [ \"172.17.0.0/16\", \"fd00:17::/64\" ]; uplink = \"eth0\"; masquerade = true; egress = false; log = \"none\"; }\n"
		");\n"
		"containers = {\n"
		"  web = { bridge = \"docker0\"; ip = [ \"172.17.0.2\", \"fd00:17::2\" ]; };\n"
		"  db = { bridge = \"docker0\"; name = \"db\"; };\n"
		"};\n"
		"publish = (\n"
		"  { container = \"web\"; port = \"tcp/80\"; host = \"[::1]:8080\"; },\n"
		"  { container = \"web\"; port = \"tcp/443\"; host = \"[::]:443\"; allow_from = [ \"2001:db8::/32\", \"2001:db9::1\" ]; }\n"
		");\n"
		"egress = (\n"
		"  { from = \"web\"; to = \"2001:db8::/64\"; ports = [ \"udp/53\" ]; }\n"
		");\n");
}

static void test_roundtrip(void **state)
{
	const char *texts[] = { example, full, BASE, dynamic, dual };

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct icc_policy *p = load_ok(texts[i]);

		roundtrip(p);
		policy_free(p);
	}
}

static void test_print_canonical(void **state)
{
	(void)state;
	assert_prints(example,
		"version = 1;\n"
		"bridges = (\n"
		"  { name = \"docker0\"; subnet = \"172.17.0.0/16\"; uplink = \"eth0\"; masquerade = true; egress = true; },\n"
		"  { name = \"lxcbr0\"; subnet = \"10.0.3.0/24\"; uplink = \"eth0\"; masquerade = true; egress = true; }\n"
		");\n"
		"containers = {\n"
		"  web = { bridge = \"docker0\"; ip = \"172.17.0.2\"; };\n"
		"  db = { bridge = \"docker0\"; ip = \"172.17.0.3\"; };\n"
		"};\n"
		"links = (\n"
		"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\" ]; }\n"
		");\n"
		"publish = (\n"
		"  { container = \"web\"; port = \"tcp/80\"; host = \"127.0.0.1:8080\"; },\n"
		"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"198.51.100.0/24\" ]; }\n"
		");\n");
}

static const char *srcdir(void)
{
	const char *s = getenv("ICC_SRCDIR");

	return s && *s ? s : ".";
}

/* Every shipped example loads cleanly and survives the round trip. */
static void test_examples(void **state)
{
	char pattern[PATH_MAX];
	glob_t g;
	int r;

	(void)state;
	snprintf(pattern, sizeof(pattern), "%s/policies/*.conf", srcdir());
	r = glob(pattern, 0, NULL, &g);
	if (r == GLOB_NOMATCH)
		return;
	assert_int_equal(r, 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct icc_diags d = { 0 };
		struct icc_policy *p = NULL;
		int ret = policy_load(g.gl_pathv[i], &p, &d);

		if (ret != 0) {
			char *msg = diags_str(&d);

			fail_msg("%s: %d\n%s", g.gl_pathv[i], ret, msg);
		}
		assert_int_equal(d.n, 0);
		roundtrip(p);
		policy_free(p);
		diags_free(&d);
	}
	globfree(&g);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/icc-test-XXXXXX", path[PATH_MAX], *s;
	struct icc_diags d = { 0 };
	struct icc_policy *p = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.conf", dir);
	write_file(path, example, strlen(example));
	assert_int_equal(policy_load(path, &p, &d), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(p->file, path);
	policy_free(p);

	/* A NUL would make libconfig read half the file as the whole. */
	write_file(path, "version = 1;\n\n\0bridges = 1;\n", 27);
	assert_int_equal(policy_load(path, &p, &d), -EINVAL);
	assert_null(p);
	s = diags_str(&d);
	assert_non_null(strstr(s, "/p.conf:3: syntax error: NUL byte in file\n"));
	free(s);
	diags_free(&d);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(policy_load(path, &p, &d), -ENOENT);
	assert_null(p);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 0);
	assert_string_equal(d.v[0].msg, "cannot read: No such file or directory");
	diags_free(&d);

	assert_int_equal(policy_load(dir, &p, &d), -EISDIR);
	assert_string_equal(d.v[0].msg, "cannot read: Is a directory");
	diags_free(&d);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * A policy whose links span several huge pages, its containers after
 * them: the links are read into the model while the file is (on a second
 * thread from policy_pipe_min bytes on), and the text they came from is
 * given back page by page (policy_load() only). Read from a file, from
 * a string, with and without the thread, the model and the messages must
 * be the same. With mistakes, the messages are those of the links in
 * their order; one link has more ports than a batch of the pipe holds.
 */
#define BIG_CTRS	300
#define BIG_LINKS	60000

extern size_t policy_pipe_min;

static void big_link(FILE *f, int k, bool bad)
{
	int from = k % BIG_CTRS, to = (k + 1 + k / BIG_CTRS) % BIG_CTRS;

	if (to == from)
		to = (k + 2) % BIG_CTRS;
	if (bad && k == 1000)
		fprintf(f, "  { from = \"c%d\"; to = \"c%d\"; ports = [ \"tcp/99999\" ]; },\n",
			from, to);
	else if (bad && k == 30000)
		fprintf(f, "  { from = \"ghost\"; to = \"c%d\"; ports = [ \"tcp/1\" ]; },\n", to);
	else if (bad && k == 50000)
		fprintf(f, "  \"not a group\",\n");
	else
		fprintf(f, "  { from = \"c%d\"; to = \"c%d\"; ports = [ \"tcp/%d\" ]; },"
			"  # %0100d\n", from, to, k + 1, k);
}

static char *big_policy(size_t *len, bool bad)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	fprintf(f, "version = 1;\nbridges = ( { name = \"docker0\"; "
		"subnet = \"10.0.0.0/8\"; uplink = \"eth0\"; } );\nlinks = (\n");
	for (int k = 0; k < BIG_LINKS; k++)
		big_link(f, k, bad);
	/* more ports than a batch of policy_pipe.c has nodes for */
	fprintf(f, "  { from = \"c0\"; to = \"c250\"; ports = [ \"tcp/1\"");
	for (int port = 2; port <= 9000; port++)
		fprintf(f, ", \"tcp/%d\"", port);
	fprintf(f, " ] }\n);\ncontainers = {\n");
	for (int i = 0; i < BIG_CTRS; i++)
		fprintf(f, "  c%d = { bridge = \"docker0\"; ip = \"10.0.%d.%d\"; };\n",
			i, i / 250, i % 250 + 2);
	fprintf(f, "};\n");
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* One load: the model printed (or "refused") and the messages. */
static char *big_load(const char *path, const char *text, size_t pipe_min)
{
	struct icc_diags d = { 0 };
	struct icc_policy *p = NULL;
	char *out = NULL, *msgs;
	size_t len = 0;
	FILE *f;
	int ret;

	policy_pipe_min = pipe_min;
	ret = path ? policy_load(path, &p, &d) : policy_load_string(text, path, &p, &d);
	policy_pipe_min = 256u << 10;
	assert_true(ret == 0 || ret == -EINVAL);
	assert_non_null(f = open_memstream(&out, &len));
	msgs = diags_str(&d);
	fprintf(f, "%s--\n", msgs);
	if (p)
		policy_print(f, p);
	else
		fprintf(f, "refused\n");
	assert_int_equal(fclose(f), 0);
	if (p && !path) {
		assert_int_equal(p->nlinks, BIG_LINKS + 1);
		assert_int_equal(p->links[BIG_LINKS].nports, 9000);
		assert_int_equal(p->links[BIG_LINKS - 1].ports[0].lo, BIG_LINKS);
		assert_int_equal(p->links[BIG_LINKS - 1].line, BIG_LINKS + 3);
	}
	free(msgs);
	diags_free(&d);
	policy_free(p);
	return out;
}

static void big_both_ways(bool bad)
{
	char dir[] = "/tmp/icc-test-XXXXXX", path[PATH_MAX];
	size_t len;
	char *text = big_policy(&len, bad);
	char *ref = big_load(NULL, text, SIZE_MAX);	/* inline, nothing dropped */
	char *v[3];

	assert_true(len > (8u << 20));	/* some whole 2 MB pages to give back */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big.conf", dir);
	write_file(path, text, len);
	v[0] = big_load(NULL, text, 0);		/* the pipe */
	v[1] = big_load(path, NULL, 0);		/* the pipe, pages dropped */
	v[2] = big_load(path, NULL, SIZE_MAX);	/* inline, pages dropped */
	assert_string_equal(v[0], ref);
	assert_string_equal(v[1], v[2]);
	if (!bad)			/* no messages: no file names either */
		assert_string_equal(v[1], ref);
	else
		assert_non_null(strstr(v[1], "/big.conf:50004: link #50001 must be a group"));
	for (int i = 0; i < 3; i++)
		free(v[i]);
	if (bad) {
		assert_non_null(strstr(ref, ":1004: link c100 -> c104: port \"tcp/99999\" is not valid"));
		assert_non_null(strstr(ref, ":30004: link ghost -> c"));
		assert_non_null(strstr(ref, "unknown container ghost"));
		assert_non_null(strstr(ref, "refused"));
	}
	free(ref);
	free(text);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_load_big(void **state)
{
	(void)state;
	big_both_ways(false);
	big_both_ways(true);
}

/* Lines in an included file have no file in the model: refused. */
static void test_include(void **state)
{
	char dir[] = "/tmp/icc-test-XXXXXX", inc[64], text[256], want[128];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(inc, sizeof(inc), "%s/inc.conf", dir);
	write_file(inc, "version = 1;\n", 13);
	snprintf(text, sizeof(text),
		 "@include \"%s\"\n"
		 "bridges = ( { name = \"a\"; subnet = \"10.1.0.0/16\"; } );\n", inc);
	load_bad(text, NAME ":1: @include is not supported; a policy is a single file\n");

	/* The included file is never read: its mistakes are not reported. */
	write_file(inc, "version = ;\n", 12);
	load_bad(text, NAME ":1: @include is not supported; a policy is a single file\n");
	/* libconfig's scanner exit()s on a directory (found by fuzzing). */
	snprintf(text, sizeof(text), "version = 1;\n  @include \"%s\"\n", dir);
	snprintf(want, sizeof(want), NAME ":2: @include is not supported; a policy is a single file\n");
	load_bad(text, want);
	assert_int_equal(unlink(inc), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* Only one problem is reported for each mistake, not its consequences. */
static void test_many_problems(void **state)
{
	(void)state;
	load_bad(
		"version = 1;\n"
		"bridges = (\n"
		"  { name = \"br 0\"; subnet = \"10.0.0.0/8\"; }\n"
		");\n"
		"containers = {\n"
		"  web = { bridge = \"br 0\"; ip = \"10.0.0.2\"; };\n"
		"  db = { bridge = \"br 0\"; ip = \"10.0.0.300\"; };\n"
		"};\n"
		"links = (\n"
		"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/99999\" ]; }\n"
		");\n"
		"publish = (\n"
		"  { container = \"web\"; port = \"tcp/80\"; host = \"0.0.0.0:80\"; }\n"
		");\n",
		NAME ":3: bridge #1: name \"br 0\" is not a valid interface name (contains whitespace)\n"
		NAME ":7: container db: ip \"10.0.0.300\" is not a valid IPv4 address (octet above 255)\n"
		NAME ":10: link web -> db: port \"tcp/99999\" is not valid (port numbers are 1..65535)\n");
}

struct bad_case {
	const char *text;
	const char *want;
};

static void test_bad(void **state)
{
	const struct bad_case *bc = *state;

	load_bad(bc->text, bc->want);
}

#define BAD(name_, text_, want_) { \
	.name = "bad: " name_, \
	.test_func = test_bad, \
	.initial_state = &(struct bad_case){ text_, want_ }, \
}

#define BR1 "version = 1;\nbridges = (\n"
#define LINK(s) BASE "links = (\n  " s "\n);\n"
#define PUB(s) BASE "publish = (\n  " s "\n);\n"
#define EGR(eg, s) "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; uplink = \"eth0\"; egress = " eg "; } );\ncontainers = { web = { bridge = \"a\"; ip = \"10.0.0.2\"; }; };\negress = (\n  " s "\n);\n"
#define HOSTP(s) "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; host_ports = " s "; } );\n"
#define V6BR "version = 1;\nbridges = (\n  { name = \"a\"; subnet = [ \"10.0.0.0/8\", \"fd00:a::/64\" ]; uplink = \"eth0\"; egress = false; },\n  { name = \"b\"; subnet = \"192.168.0.0/16\"; uplink = \"eth0\"; egress = false; }\n);\n"
#define V6(s) V6BR s
#define DYN(s) "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\ncontainers = {\n  " s "\n};\n"

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diags),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_dynamic),
		cmocka_unit_test(test_version_int64),
		cmocka_unit_test(test_empty_optional_sections),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_print_canonical),
		cmocka_unit_test(test_print_dual),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_big),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_many_problems),

		/* Syntax, as libconfig reports it. */
		BAD("syntax error", "version = 1;\nbridges = (\n  { name = \"a\"; subnet = ; }\n);\n",
		    NAME ":3: syntax error\n"),
		BAD("duplicate setting", BASE "version = 1;\n",
		    NAME ":11: syntax error: duplicate setting name\n"),
		BAD("duplicate container", BASE "containers2 = 1;\ncontainers = { };\n",
		    NAME ":12: syntax error: duplicate setting name\n"),
		BAD("mixed array", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"tcp/1\", 2 ]; }"),
		    NAME ":12: syntax error: mismatched element type in array\n"),
		BAD("empty file", "", NAME ":1: missing version (this icc-policy reads version 1)\n"
		    NAME ":1: missing bridges (declare at least one bridge)\n"),

		/* Top level. */
		BAD("version missing", "bridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\n",
		    NAME ":1: missing version (this icc-policy reads version 1)\n"),
		BAD("version 2", "version = 2;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\n",
		    NAME ":1: unsupported version 2 (this icc-policy reads version 1)\n"),
		BAD("version string", "version = \"1\";\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\n",
		    NAME ":1: version must be an integer\n"),
		BAD("version float", "version = 1.0;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\n",
		    NAME ":1: version must be an integer\n"),
		BAD("unknown top-level", BASE "publishes = ( );\nfoo = 1;\n",
		    NAME ":11: unknown setting publishes; did you mean publish?\n"
		    NAME ":12: unknown setting foo\n"),
		BAD("bridges missing", "version = 1;\n",
		    NAME ":1: missing bridges (declare at least one bridge)\n"),
		BAD("bridges empty", "version = 1;\nbridges = ( );\n",
		    NAME ":2: bridges is empty (declare at least one bridge)\n"),
		BAD("bridges group", "version = 1;\nbridges = { a = 1; };\n",
		    NAME ":2: bridges must be a list of groups\n"),
		BAD("bridges array", "version = 1;\nbridges = [ \"docker0\" ];\n",
		    NAME ":2: bridges must be a list of groups\n"),
		BAD("bridge not group", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\"; },\n  2\n);\n",
		    NAME ":4: bridge #2 must be a group\n"),
		BAD("publish not list", BASE "links = ( );\npublish = 1;\n",
		    NAME ":12: publish must be a list of groups\n"),
		BAD("containers not group", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\ncontainers = ( );\n",
		    NAME ":3: containers must be a group of named containers\n"),
		BAD("links not list", BASE "links = { };\n",
		    NAME ":11: links must be a list of groups\n"),
		BAD("link not group", BASE "links = ( 1 );\n",
		    NAME ":11: link #1 must be a group\n"),

		/* Bridges. */
		BAD("bridge unknown key", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\"; mtu = 1500; subnte = 1; }\n);\n",
		    NAME ":3: bridge a: unknown setting mtu\n"
		    NAME ":3: bridge a: unknown setting subnte; did you mean subnet?\n"),
		BAD("bridge name missing", BR1 "  { subnet = \"10.0.0.0/8\"; }\n);\n",
		    NAME ":3: bridge #1: missing name\n"),
		BAD("bridge name type", BR1 "  { name = 0; subnet = \"10.0.0.0/8\"; }\n);\n",
		    NAME ":3: bridge #1: name must be a string\n"),
		BAD("bridge name empty", BR1 "  { name = \"\"; subnet = \"10.0.0.0/8\"; }\n);\n",
		    NAME ":3: bridge #1: name \"\" is not a valid interface name (empty)\n"),
		BAD("bridge name long", BR1 "  { name = \"abcdefghijklmnop\"; subnet = \"10.0.0.0/8\"; }\n);\n",
		    NAME ":3: bridge #1: name \"abcdefghijklmnop\" is not a valid interface name (longer than 15 characters)\n"),
		BAD("bridge name slash", BR1 "  { name = \"br/0\"; subnet = \"10.0.0.0/8\"; }\n);\n",
		    NAME ":3: bridge #1: name \"br/0\" is not a valid interface name (contains '/')\n"),
		BAD("bridge name colon", BR1 "  { name = \"br:0\"; subnet = \"10.0.0.0/8\"; }\n);\n",
		    NAME ":3: bridge #1: name \"br:0\" is not a valid interface name (contains ':')\n"),
		BAD("bridge name dot", BR1 "  { name = \"..\"; subnet = \"10.0.0.0/8\"; }\n);\n",
		    NAME ":3: bridge #1: name \"..\" is not a valid interface name (reserved by the kernel)\n"),
		BAD("bridge name wildcard", BR1 "  { name = \"br*\"; subnet = \"10.0.0.0/8\"; }\n);\n",
		    NAME ":3: bridge #1: name \"br*\" is not a valid interface name (contains '*')\n"),
		BAD("bridge name control", BR1 "  { name = \"br\\n0\"; subnet = \"10.0.0.0/8\"; }\n);\n",
		    NAME ":3: bridge #1: name \"br\\x0a0\" is not a valid interface name (contains whitespace)\n"),
		BAD("bridge name quote", BR1 "  { name = \"br\\\"0\"; subnet = \"10.0.0.0/8\"; }\n);\n",
		    NAME ":3: bridge #1: name \"br\\\"0\" is not a valid interface name (contains '\"')\n"),
		BAD("bridge name duplicate", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\"; },\n  { name = \"a\";\n    subnet = \"11.0.0.0/8\"; }\n);\n",
		    NAME ":4: bridge a already declared at line 3\n"),
		BAD("subnet missing", BR1 "  { name = \"a\"; }\n);\n",
		    NAME ":3: bridge a: missing subnet\n"),
		BAD("subnet bare", BR1 "  { name = \"a\"; subnet = \"10.0.0.0\"; }\n);\n",
		    NAME ":3: bridge a: subnet \"10.0.0.0\" is not a valid prefix (expected a.b.c.d/len)\n"),
		BAD("subnet len 0", BR1 "  { name = \"a\"; subnet = \"0.0.0.0/0\"; }\n);\n",
		    NAME ":3: bridge a: subnet \"0.0.0.0/0\" is not a valid prefix (prefix length must be 1..32)\n"),
		BAD("subnet len 33", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/33\"; }\n);\n",
		    NAME ":3: bridge a: subnet \"10.0.0.0/33\" is not a valid prefix (prefix length must be 1..32)\n"),
		BAD("subnet len junk", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8x\"; }\n);\n",
		    NAME ":3: bridge a: subnet \"10.0.0.0/8x\" is not a valid prefix (expected a.b.c.d/len)\n"),
		BAD("subnet len zero-padded", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/08\"; }\n);\n",
		    NAME ":3: bridge a: subnet \"10.0.0.0/08\" is not a valid prefix (leading zero)\n"),
		BAD("subnet short form", BR1 "  { name = \"a\"; subnet = \"10/8\"; }\n);\n",
		    NAME ":3: bridge a: subnet \"10/8\" is not a valid prefix (expected a.b.c.d)\n"),
		BAD("subnet host bits", BR1 "  { name = \"docker0\"; subnet = \"172.17.0.1/16\"; }\n);\n",
		    NAME ":3: bridge docker0: subnet 172.17.0.1/16 has host bits set; did you mean 172.17.0.0/16?\n"),
		BAD("subnet overlap", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\"; },\n  { name = \"b\"; subnet = \"10.1.0.0/16\"; }\n);\n",
		    NAME ":4: bridge b: subnet 10.1.0.0/16 overlaps bridge a's subnet 10.0.0.0/8 (line 3)\n"),
		BAD("subnet same", BR1 "  { name = \"a\"; subnet = \"10.1.0.0/16\"; },\n  { name = \"b\"; subnet = \"10.1.0.0/16\"; }\n);\n",
		    NAME ":4: bridge b: subnet 10.1.0.0/16 overlaps bridge a's subnet 10.1.0.0/16 (line 3)\n"),
		BAD("uplink invalid", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\"; uplink = \"eth 0\"; }\n);\n",
		    NAME ":3: bridge a: uplink \"eth 0\" is not a valid interface name (contains whitespace)\n"),
		BAD("uplink is bridge", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\"; },\n  { name = \"b\"; subnet = \"11.0.0.0/8\"; uplink = \"a\"; }\n);\n",
		    NAME ":4: bridge b: uplink a is a bridge managed by this policy\n"),
		BAD("uplink is self", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\";\n    uplink = \"a\"; }\n);\n",
		    NAME ":4: bridge a: uplink a is a bridge managed by this policy\n"),
		BAD("egress without uplink", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\";\n    egress = true; }\n);\n",
		    NAME ":4: bridge a: egress needs an uplink\n"),
		BAD("masquerade without uplink", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\"; masquerade = true; }\n);\n",
		    NAME ":3: bridge a: masquerade needs an uplink\n"),
		BAD("log value", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\";\n    log = \"all\"; }\n);\n",
		    NAME ":4: bridge a: log must be \"denied\" or \"none\", not \"all\"\n"),
		BAD("log type", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\"; log = false; }\n);\n",
		    NAME ":3: bridge a: log must be a string\n"),
		BAD("log case", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\"; log = \"None\"; }\n);\n",
		    NAME ":3: bridge a: log must be \"denied\" or \"none\", not \"None\"\n"),
		BAD("bad uplink is not missing", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\"; uplink = \"\"; masquerade = true; }\n);\n",
		    NAME ":3: bridge a: uplink \"\" is not a valid interface name (empty)\n"),
		BAD("no bridges, no echo", "version = 1;\ncontainers = {\n  web = { bridge = \"docker0\"; ip = \"10.0.0.2\"; };\n};\n",
		    NAME ":1: missing bridges (declare at least one bridge)\n"),
		BAD("masquerade type", BR1 "  { name = \"a\"; subnet = \"10.0.0.0/8\"; uplink = \"eth0\"; masquerade = \"yes\"; egress = 1; }\n);\n",
		    NAME ":3: bridge a: masquerade must be true or false\n"
		    NAME ":3: bridge a: egress must be true or false\n"),

		/* Containers. */
		BAD("container value", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\ncontainers = {\n  web = \"10.0.0.2\";\n};\n",
		    NAME ":4: container web must be a group\n"),
		BAD("container name star", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\ncontainers = {\n  *web = { bridge = \"a\"; ip = \"10.0.0.2\"; };\n};\n",
		    NAME ":4: container *web: name may only contain letters, digits, '_', '.' and '-'\n"),
		BAD("container unknown key", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\ncontainers = {\n  web = { bridge = \"a\"; ip = \"10.0.0.2\"; image = \"nginx\"; };\n};\n",
		    NAME ":4: container web: unknown setting image\n"),
		BAD("container bridge missing", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\ncontainers = {\n  web = { ip = \"10.0.0.2\"; };\n};\n",
		    NAME ":4: container web: missing bridge\n"),
		BAD("container bridge unknown", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\ncontainers = {\n  web = { bridge = \"b\"; ip = \"10.0.0.2\"; };\n};\n",
		    NAME ":4: container web: unknown bridge b\n"),
		BAD("container ip missing", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\ncontainers = {\n  web = { bridge = \"a\"; };\n};\n",
		    NAME ":4: container web: missing ip (or name, or labels)\n"),
		BAD("container ip type", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\ncontainers = {\n  web = { bridge = \"a\";\n    ip = 167772162; };\n};\n",
		    NAME ":5: container web: ip must be a string or an array of strings\n"),
		BAD("ip leading zero", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"172.17.0.0/16\"; } );\ncontainers = {\n  web = { bridge = \"a\"; ip = \"172.017.0.2\"; };\n};\n",
		    NAME ":4: container web: ip \"172.017.0.2\" is not a valid IPv4 address (leading zero)\n"),
		BAD("ip octet", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"172.17.0.0/16\"; } );\ncontainers = {\n  web = { bridge = \"a\"; ip = \"172.17.0.256\"; };\n};\n",
		    NAME ":4: container web: ip \"172.17.0.256\" is not a valid IPv4 address (octet above 255)\n"),
		BAD("ip junk", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"172.17.0.0/16\"; } );\ncontainers = {\n  web = { bridge = \"a\"; ip = \"172.17.0.2 \"; };\n};\n",
		    NAME ":4: container web: ip \"172.17.0.2 \" is not a valid IPv4 address (expected a.b.c.d)\n"),
		BAD("ip three parts", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"172.17.0.0/16\"; } );\ncontainers = {\n  web = { bridge = \"a\"; ip = \"172.17.2\"; };\n};\n",
		    NAME ":4: container web: ip \"172.17.2\" is not a valid IPv4 address (expected a.b.c.d)\n"),
		BAD("ip five parts", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"172.17.0.0/16\"; } );\ncontainers = {\n  web = { bridge = \"a\"; ip = \"172.17.0.2.1\"; };\n};\n",
		    NAME ":4: container web: ip \"172.17.0.2.1\" is not a valid IPv4 address (expected a.b.c.d)\n"),
		BAD("ip outside", "version = 1;\nbridges = ( { name = \"docker0\"; subnet = \"172.17.0.0/16\"; } );\ncontainers = {\n  db = { bridge = \"docker0\";\n    ip = \"172.18.0.3\"; };\n};\n",
		    NAME ":5: container db: ip 172.18.0.3 is outside bridge docker0's subnet 172.17.0.0/16\n"),
		BAD("ip network", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.3.0/24\"; } );\ncontainers = {\n  web = { bridge = \"a\"; ip = \"10.0.3.0\"; };\n};\n",
		    NAME ":4: container web: ip 10.0.3.0 is the network address of bridge a's subnet 10.0.3.0/24\n"),
		BAD("ip broadcast", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.3.0/30\"; } );\ncontainers = {\n  web = { bridge = \"a\"; ip = \"10.0.3.3\"; };\n};\n",
		    NAME ":4: container web: ip 10.0.3.3 is the broadcast address of bridge a's subnet 10.0.3.0/30\n"),
		BAD("ip duplicate", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.3.0/24\"; } );\ncontainers = {\n  web = { bridge = \"a\"; ip = \"10.0.3.2\"; };\n  db = { bridge = \"a\"; ip = \"10.0.3.2\"; };\n};\n",
		    NAME ":5: container db: ip 10.0.3.2 is already used by container web (line 4)\n"),

		/* Links. */
		BAD("link unknown key", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"tcp/1\" ]; port = \"tcp/2\"; }"),
		    NAME ":12: link web -> db: unknown setting port; did you mean ports?\n"),
		BAD("link from missing", LINK("{ to = \"db\"; ports = [ \"tcp/1\" ]; }"),
		    NAME ":12: link #1: missing from\n"),
		BAD("link to missing", LINK("{ from = \"web\"; ports = [ \"tcp/1\" ]; }"),
		    NAME ":12: link #1: missing to\n"),
		BAD("link from unknown", LINK("{ from = \"wbe\"; to = \"db\"; ports = [ \"tcp/1\" ]; }"),
		    NAME ":12: link wbe -> db: unknown container wbe\n"),
		BAD("link to unknown", LINK("{ from = \"web\";\n    to = \"d b\"; ports = [ \"tcp/1\" ]; }"),
		    NAME ":13: link #1: unknown container \"d b\"\n"),
		BAD("link self", LINK("{ from = \"web\"; to = \"web\"; ports = [ \"tcp/1\" ]; }"),
		    NAME ":12: link web -> web: a container always reaches itself\n"),
		BAD("link duplicate", BASE "links = (\n  { from = \"web\"; to = \"db\"; ports = [ \"tcp/1\" ]; },\n  { from = \"db\"; to = \"web\"; ports = [ \"tcp/1\" ]; },\n  { from = \"web\"; to = \"db\"; ports = [ \"tcp/2\" ]; }\n);\n",
		    NAME ":14: link web -> db already declared at line 12\n"),
		BAD("ports missing", LINK("{ from = \"web\"; to = \"db\"; }"),
		    NAME ":12: link web -> db: missing ports\n"),
		BAD("ports empty", LINK("{ from = \"web\"; to = \"db\"; ports = [ ]; }"),
		    NAME ":12: link web -> db: ports is empty\n"),
		BAD("ports string", LINK("{ from = \"web\"; to = \"db\"; ports = \"tcp/1\"; }"),
		    NAME ":12: link web -> db: ports must be an array of strings [ \"...\", ... ]\n"),
		BAD("ports list", LINK("{ from = \"web\"; to = \"db\"; ports = ( \"tcp/1\" ); }"),
		    NAME ":12: link web -> db: ports must be an array of strings [ \"...\", ... ]\n"),
		BAD("ports ints", LINK("{ from = \"web\"; to = \"db\"; ports = [ 80 ]; }"),
		    NAME ":12: link web -> db: ports must be an array of strings [ \"...\", ... ]\n"),
		BAD("port zero", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"tcp/0\" ]; }"),
		    NAME ":12: link web -> db: port \"tcp/0\" is not valid (port numbers are 1..65535)\n"),
		BAD("port too big", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"udp/65536\" ]; }"),
		    NAME ":12: link web -> db: port \"udp/65536\" is not valid (port numbers are 1..65535)\n"),
		BAD("port plus", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"tcp/+80\" ]; }"),
		    NAME ":12: link web -> db: port \"tcp/+80\" is not valid (not a decimal number)\n"),
		BAD("port junk", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"tcp/80x\" ]; }"),
		    NAME ":12: link web -> db: port \"tcp/80x\" is not valid (not a decimal number)\n"),
		BAD("port leading zero", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"tcp/080\" ]; }"),
		    NAME ":12: link web -> db: port \"tcp/080\" is not valid (leading zero)\n"),
		BAD("port proto", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"sctp/80\" ]; }"),
		    NAME ":12: link web -> db: port \"sctp/80\" is not valid (expected tcp/N, udp/N, tcp/N-M, udp/N-M, icmp or any)\n"),
		BAD("port upper case", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"TCP/80\" ]; }"),
		    NAME ":12: link web -> db: port \"TCP/80\" is not valid (expected tcp/N, udp/N, tcp/N-M, udp/N-M, icmp or any)\n"),
		BAD("port bare number", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"80\" ]; }"),
		    NAME ":12: link web -> db: port \"80\" is not valid (expected tcp/N, udp/N, tcp/N-M, udp/N-M, icmp or any)\n"),
		BAD("port range reversed", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"tcp/90-80\" ]; }"),
		    NAME ":12: link web -> db: port \"tcp/90-80\" is not valid (range start is above its end)\n"),
		BAD("port range open", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"tcp/80-\" ]; }"),
		    NAME ":12: link web -> db: port \"tcp/80-\" is not valid (not a decimal number)\n"),
		BAD("port icmp number", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"icmp/8\" ]; }"),
		    NAME ":12: link web -> db: port \"icmp/8\" is not valid (expected tcp/N, udp/N, tcp/N-M, udp/N-M, icmp or any)\n"),
		BAD("port element line", LINK("{ from = \"web\"; to = \"db\"; ports = [\n    \"tcp/1\",\n    \"tcp/x\" ]; }"),
		    NAME ":14: link web -> db: port \"tcp/x\" is not valid (not a decimal number)\n"),
		BAD("port any with others", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"tcp/1\", \"any\" ]; }"),
		    NAME ":12: link web -> db: ports lists any with other ports; any already covers them\n"),
		BAD("port twice", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"udp/53\", \"tcp/53\", \"udp/53\" ]; }"),
		    NAME ":12: link web -> db: port udp/53 is listed twice\n"),
		BAD("port overlap", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"tcp/8000-8080\", \"tcp/8080-8090\" ]; }"),
		    NAME ":12: link web -> db: port tcp/8080-8090 overlaps tcp/8000-8080\n"),
		BAD("icmp twice", LINK("{ from = \"web\"; to = \"db\"; ports = [ \"icmp\", \"icmp\" ]; }"),
		    NAME ":12: link web -> db: port icmp is listed twice\n"),

		/* Publish. */
		BAD("publish unknown key", PUB("{ container = \"web\"; port = \"tcp/80\"; host = \"8080\"; prot = \"tcp\"; }"),
		    NAME ":12: publish web tcp/80: unknown setting prot; did you mean port?\n"),
		BAD("publish container missing", PUB("{ port = \"tcp/80\"; host = \"8080\"; }"),
		    NAME ":12: publish #1: missing container\n"),
		BAD("publish container unknown", PUB("{ container = \"nginx\"; port = \"tcp/80\"; host = \"8080\"; }"),
		    NAME ":12: publish nginx tcp/80: unknown container nginx\n"),
		BAD("publish port missing", PUB("{ container = \"web\"; host = \"8080\"; }"),
		    NAME ":12: publish #1: missing port\n"),
		BAD("publish port range", PUB("{ container = \"web\"; port = \"tcp/80-81\"; host = \"8080\"; }"),
		    NAME ":12: publish #1: port \"tcp/80-81\" is not valid (publish takes a single tcp/N or udp/N)\n"),
		BAD("publish port icmp", PUB("{ container = \"web\"; port = \"icmp\"; host = \"8080\"; }"),
		    NAME ":12: publish #1: port \"icmp\" is not valid (publish takes a single tcp/N or udp/N)\n"),
		BAD("publish port any", PUB("{ container = \"web\"; port = \"any\"; host = \"8080\"; }"),
		    NAME ":12: publish #1: port \"any\" is not valid (publish takes a single tcp/N or udp/N)\n"),
		BAD("publish port int", PUB("{ container = \"web\"; port = 80; host = \"8080\"; }"),
		    NAME ":12: publish #1: port must be a string\n"),
		BAD("publish host missing", PUB("{ container = \"web\"; port = \"tcp/80\"; }"),
		    NAME ":12: publish web tcp/80: missing host\n"),
		BAD("publish host port zero", PUB("{ container = \"web\"; port = \"tcp/80\"; host = \"127.0.0.1:0\"; }"),
		    NAME ":12: publish web tcp/80: host \"127.0.0.1:0\" is not valid (port numbers are 1..65535)\n"),
		BAD("publish host port big", PUB("{ container = \"web\"; port = \"tcp/80\"; host = \"70000\"; }"),
		    NAME ":12: publish web tcp/80: host \"70000\" is not valid (port numbers are 1..65535)\n"),
		BAD("publish host addr", PUB("{ container = \"web\"; port = \"tcp/80\"; host = \"localhost:8080\"; }"),
		    NAME ":12: publish web tcp/80: host \"localhost:8080\" is not valid (expected a.b.c.d)\n"),
		BAD("publish host no port", PUB("{ container = \"web\"; port = \"tcp/80\"; host = \"127.0.0.1:\"; }"),
		    NAME ":12: publish web tcp/80: host \"127.0.0.1:\" is not valid (not a decimal number)\n"),
		BAD("publish host ipv6", PUB("{ container = \"web\"; port = \"tcp/80\"; host = \"[::1]:8080\"; }"),
		    NAME ":12: publish web tcp/80: the host address is IPv6 but bridge docker0 has no IPv6 subnet\n"),
		BAD("publish exposed", PUB("{ container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; }"),
		    NAME ":12: publish web tcp/443: publishing on 0.0.0.0 exposes web:443 to every source; add allow_from\n"),
		BAD("publish exposed address", PUB("{ container = \"web\"; port = \"udp/53\";\n    host = \"192.0.2.1:53\"; }"),
		    NAME ":13: publish web udp/53: publishing on 192.0.2.1 exposes web:53 to every source; add allow_from\n"),
		BAD("allow_from on loopback", PUB("{ container = \"web\"; port = \"tcp/80\"; host = \"8080\";\n    allow_from = [ \"10.0.0.0/8\" ]; }"),
		    NAME ":13: publish web tcp/80: allow_from has no meaning on loopback address 127.0.0.1; remove it\n"),
		BAD("allow_from empty", PUB("{ container = \"web\"; port = \"tcp/80\"; host = \"0.0.0.0:80\"; allow_from = [ ]; }"),
		    NAME ":12: publish web tcp/80: allow_from is empty\n"),
		BAD("allow_from string", PUB("{ container = \"web\"; port = \"tcp/80\"; host = \"0.0.0.0:80\"; allow_from = \"10.0.0.0/8\"; }"),
		    NAME ":12: publish web tcp/80: allow_from must be an array of strings [ \"...\", ... ]\n"),
		BAD("v6: two IPv4 subnets", BR1 "  { name = \"a\"; subnet = [ \"10.0.0.0/8\", \"10.1.0.0/16\" ]; }\n);\n",
		    NAME ":3: bridge a: subnet has two IPv4 values; it takes one IPv4 and at most one IPv6\n"),
		BAD("v6: only an IPv6 subnet", BR1 "  { name = \"a\"; subnet = [ \"fd00::/64\" ]; }\n);\n",
		    NAME ":3: bridge a: subnet needs an IPv4 value too (IPv6 comes in addition)\n"),
		BAD("v6: IPv6 subnet alone", BR1 "  { name = \"a\"; subnet = \"fd00::/64\"; }\n);\n",
		    NAME ":3: bridge a: subnet needs an IPv4 value too (IPv6 comes in addition)\n"),
		BAD("v6: three subnets", BR1 "  { name = \"a\"; subnet = [ \"10.0.0.0/8\", \"fd00::/64\", \"fd01::/64\" ]; }\n);\n",
		    NAME ":3: bridge a: subnet takes one IPv4 and at most one IPv6 value\n"),
		BAD("v6: subnet host bits", BR1 "  { name = \"a\"; subnet = [ \"10.0.0.0/8\", \"fd00::1/64\" ]; }\n);\n",
		    NAME ":3: bridge a: subnet fd00::1/64 has host bits set; did you mean fd00::/64?\n"),
		BAD("v6: subnet bad address", BR1 "  { name = \"a\"; subnet = [ \"10.0.0.0/8\", \"fd00:::/64\" ]; }\n);\n",
		    NAME ":3: bridge a: subnet \"fd00:::/64\" is not a valid prefix (not an IPv6 address)\n"),
		BAD("v6: subnet length 129", BR1 "  { name = \"a\"; subnet = [ \"10.0.0.0/8\", \"fd00::/129\" ]; }\n);\n",
		    NAME ":3: bridge a: subnet \"fd00::/129\" is not a valid prefix (prefix length must be 1..128)\n"),
		BAD("v6: subnet v4-mapped", BR1 "  { name = \"a\"; subnet = [ \"10.0.0.0/8\", \"::ffff:10.0.0.0/104\" ]; }\n);\n",
		    NAME ":3: bridge a: subnet \"::ffff:10.0.0.0/104\" is not a valid prefix (IPv4-mapped; write the IPv4 address as a.b.c.d)\n"),
		BAD("v6: subnet empty list", BR1 "  { name = \"a\"; subnet = [ ]; }\n);\n",
		    NAME ":3: bridge a: subnet is empty\n"),
		BAD("v6: subnet of numbers", BR1 "  { name = \"a\"; subnet = [ 1, 2 ]; }\n);\n",
		    NAME ":3: bridge a: subnet must be an array of strings [ \"...\", ... ]\n"),
		BAD("v6: subnet6 overlap", BR1 "  { name = \"a\"; subnet = [ \"10.0.0.0/8\", \"fd00::/48\" ]; },\n  { name = \"b\"; subnet = [ \"10.1.0.0/16\", \"fd00:0:0:1::/64\" ]; }\n);\n",
		    NAME ":4: bridge b: subnet 10.1.0.0/16 overlaps bridge a's subnet 10.0.0.0/8 (line 3)\n"
		    NAME ":4: bridge b: subnet fd00:0:0:1::/64 overlaps bridge a's subnet fd00::/48 (line 3)\n"),
		BAD("v6: ip outside subnet6", V6("containers = { web = { bridge = \"a\"; ip = [ \"10.0.0.2\", \"fd00:b::2\" ]; }; };\n"),
		    NAME ":6: container web: ip fd00:b::2 is outside bridge a's subnet fd00:a::/64\n"),
		BAD("v6: ip6 on a bridge without IPv6", V6("containers = { web = { bridge = \"b\"; ip = [ \"192.168.0.2\", \"fd00:a::2\" ]; }; };\n"),
		    NAME ":6: container web: ip fd00:a::2 is IPv6 but bridge b has no IPv6 subnet\n"),
		BAD("v6: ip6 twice", V6("containers = {\n  web = { bridge = \"a\"; ip = [ \"10.0.0.2\", \"fd00:a::2\" ]; };\n  db = { bridge = \"a\"; ip = [ \"10.0.0.3\", \"fd00:a::2\" ]; };\n};\n"),
		    NAME ":8: container db: ip fd00:a::2 is already used by container web (line 7)\n"),
		BAD("v6: ip6 anycast", V6("containers = { web = { bridge = \"a\"; ip = [ \"10.0.0.2\", \"fd00:a::\" ]; }; };\n"),
		    NAME ":6: container web: ip fd00:a:: is the subnet-router anycast address of bridge a's subnet fd00:a::/64\n"),
		BAD("v6: ip two IPv6", V6("containers = { web = { bridge = \"a\"; ip = [ \"fd00:a::3\", \"fd00:a::2\" ]; }; };\n"),
		    NAME ":6: container web: ip has two IPv6 values; it takes one IPv4 and at most one IPv6\n"),
		BAD("v6: ip only IPv6", V6("containers = { web = { bridge = \"a\"; ip = [ \"fd00:a::2\" ]; }; };\n"),
		    NAME ":6: container web: ip needs an IPv4 value too (IPv6 comes in addition)\n"),
		BAD("v6: ip bad IPv6", V6("containers = { web = { bridge = \"a\"; ip = [ \"10.0.0.2\", \"fd00:a::g\" ]; }; };\n"),
		    NAME ":6: container web: ip \"fd00:a::g\" is not a valid IPv6 address (not an IPv6 address)\n"),
		BAD("v6: egress IPv6 on a bridge without IPv6", V6("containers = { web = { bridge = \"b\"; ip = \"192.168.0.2\"; }; };\negress = ( { from = \"web\"; to = \"2001:db8::/32\"; ports = [ \"tcp/443\" ]; } );\n"),
		    NAME ":7: egress web: destination is IPv6 but bridge b has no IPv6 subnet\n"),
		BAD("v6: egress IPv6 host bits", V6("containers = { web = { bridge = \"a\"; ip = \"10.0.0.2\"; }; };\negress = ( { from = \"web\"; to = \"2001:db8::1/32\"; ports = [ \"tcp/443\" ]; } );\n"),
		    NAME ":7: egress web: to 2001:db8::1/32 has host bits set; did you mean 2001:db8::/32?\n"),
		BAD("v6: egress IPv6 overlap", V6("containers = { web = { bridge = \"a\"; ip = \"10.0.0.2\"; }; };\negress = (\n  { from = \"web\"; to = \"2001:db8::/32\"; ports = [ \"tcp/443\" ]; },\n  { from = \"web\"; to = \"2001:db8:1::/48\"; ports = [ \"tcp/443\" ]; }\n);\n"),
		    NAME ":9: egress web: overlaps the egress at line 8 (destination and port)\n"),
		BAD("v6: publish on [::] without allow_from", V6("containers = { web = { bridge = \"a\"; ip = \"10.0.0.2\"; }; };\npublish = ( { container = \"web\"; port = \"tcp/80\"; host = \"[::]:80\"; } );\n"),
		    NAME ":7: publish web tcp/80: publishing on :: exposes web:80 to every source; add allow_from\n"),
		BAD("v6: publish [::1] with allow_from", V6("containers = { web = { bridge = \"a\"; ip = \"10.0.0.2\"; }; };\npublish = ( { container = \"web\"; port = \"tcp/80\"; host = \"[::1]:80\"; allow_from = [ \"fd00::/8\" ]; } );\n"),
		    NAME ":7: publish web tcp/80: allow_from has no meaning on loopback address ::1; remove it\n"),
		BAD("v6: publish family mismatch", V6("containers = { web = { bridge = \"a\"; ip = \"10.0.0.2\"; }; };\npublish = ( { container = \"web\"; port = \"tcp/80\"; host = \"[::]:80\"; allow_from = [ \"198.51.100.0/24\" ]; } );\n"),
		    NAME ":7: publish web tcp/80: allow_from 198.51.100.0/24 is IPv4 but the host address is IPv6\n"),
		BAD("v6: publish v4 host, v6 source", V6("containers = { web = { bridge = \"a\"; ip = \"10.0.0.2\"; }; };\npublish = ( { container = \"web\"; port = \"tcp/80\"; host = \"0.0.0.0:80\"; allow_from = [ \"2001:db8::/32\" ]; } );\n"),
		    NAME ":7: publish web tcp/80: allow_from 2001:db8::/32 is IPv6 but the host address is IPv4\n"),
		BAD("v6: publish [::] on a bridge without IPv6", V6("containers = { web = { bridge = \"b\"; ip = \"192.168.0.2\"; }; };\npublish = ( { container = \"web\"; port = \"tcp/80\"; host = \"[::]:80\"; allow_from = [ \"2001:db8::/32\" ]; } );\n"),
		    NAME ":7: publish web tcp/80: the host address is IPv6 but bridge b has no IPv6 subnet\n"),
		BAD("v6: publish host without port", V6("containers = { web = { bridge = \"a\"; ip = \"10.0.0.2\"; }; };\npublish = ( { container = \"web\"; port = \"tcp/80\"; host = \"[::1]8080\"; } );\n"),
		    NAME ":7: publish web tcp/80: host \"[::1]8080\" is not valid (expected PORT, a.b.c.d:PORT or [ipv6]:PORT)\n"),
		BAD("v6: publish host unbracketed", V6("containers = { web = { bridge = \"a\"; ip = \"10.0.0.2\"; }; };\npublish = ( { container = \"web\"; port = \"tcp/80\"; host = \"::1:8080\"; } );\n"),
		    NAME ":7: publish web tcp/80: host \"::1:8080\" is not valid (an IPv6 host is written [ipv6]:PORT)\n"),
		BAD("v6: publish collide", V6("containers = { web = { bridge = \"a\"; ip = \"10.0.0.2\"; }; };\npublish = (\n  { container = \"web\"; port = \"tcp/80\"; host = \"[::]:80\"; allow_from = [ \"2001:db8::/32\" ]; },\n  { container = \"web\"; port = \"tcp/81\"; host = \"[fd00:a::1]:80\"; allow_from = [ \"2001:db9::/32\" ]; }\n);\n"),
		    NAME ":9: publish web tcp/81: tcp host [fd00:a::1]:80 overlaps [::]:80, published at line 8\n"),
		BAD("allow_from bad", PUB("{ container = \"web\"; port = \"tcp/80\"; host = \"0.0.0.0:80\"; allow_from = [ \"10.0.0.0/40\", \"any\" ]; }"),
		    NAME ":12: publish web tcp/80: allow_from \"10.0.0.0/40\" is not a valid address or prefix (prefix length must be 0..32)\n"
		    NAME ":12: publish web tcp/80: allow_from \"any\" is not a valid address or prefix (expected a.b.c.d)\n"),
		BAD("allow_from host bits", PUB("{ container = \"web\"; port = \"tcp/80\"; host = \"0.0.0.0:80\"; allow_from = [ \"198.51.100.1/24\" ]; }"),
		    NAME ":12: publish web tcp/80: allow_from 198.51.100.1/24 has host bits set; did you mean 198.51.100.0/24?\n"),
		BAD("allow_from overlap", PUB("{ container = \"web\"; port = \"tcp/80\"; host = \"0.0.0.0:80\"; allow_from = [ \"10.0.0.0/8\", \"10.1.2.3\", \"10.0.0.0/8\" ]; }"),
		    NAME ":12: publish web tcp/80: allow_from 10.1.2.3 overlaps 10.0.0.0/8\n"
		    NAME ":12: publish web tcp/80: allow_from 10.0.0.0/8 is listed twice\n"),
		BAD("publish same host", BASE "publish = (\n  { container = \"web\"; port = \"tcp/80\"; host = \"8080\"; },\n  { container = \"db\"; port = \"tcp/80\"; host = \"udp\"; },\n  { container = \"db\"; port = \"tcp/81\"; host = \"127.0.0.1:8080\"; }\n);\n",
		    NAME ":13: publish db tcp/80: host \"udp\" is not valid (not a decimal number)\n"
		    NAME ":14: publish db tcp/81: tcp host 127.0.0.1:8080 is already published at line 12\n"),
		BAD("publish any overlaps", BASE "publish = (\n  { container = \"web\"; port = \"tcp/80\"; host = \"127.0.0.1:8080\"; },\n  { container = \"db\"; port = \"udp/80\"; host = \"127.0.0.1:8080\"; },\n  { container = \"db\"; port = \"tcp/80\"; host = \"127.0.0.2:8080\"; },\n  { container = \"db\"; port = \"tcp/81\"; host = \"0.0.0.0:8080\"; allow_from = [ \"10.0.0.0/8\" ]; }\n);\n",
		    NAME ":15: publish db tcp/81: tcp host 0.0.0.0:8080 overlaps 127.0.0.1:8080, published at line 12\n"),

		/* host_ports */
		BAD("host_ports bad", HOSTP("[ \"tcp/0\", \"sctp/1\" ]"),
		    NAME ":2: bridge a: port \"tcp/0\" is not valid (port numbers are 1..65535)\n"
		    NAME ":2: bridge a: port \"sctp/1\" is not valid (expected tcp/N, udp/N, tcp/N-M, udp/N-M, icmp or any)\n"),
		BAD("host_ports overlap", HOSTP("[ \"tcp/53\", \"tcp/50-60\" ]"),
		    NAME ":2: bridge a: port tcp/50-60 overlaps tcp/53\n"),
		BAD("host_ports any and more", HOSTP("[ \"any\", \"udp/53\" ]"),
		    NAME ":2: bridge a: host_ports lists any with other ports; any already covers them\n"),
		BAD("host_ports empty", HOSTP("[ ]"),
		    NAME ":2: bridge a: host_ports is empty\n"),
		BAD("host_ports string", HOSTP("\"udp/53\""),
		    NAME ":2: bridge a: host_ports must be an array of strings [ \"...\", ... ]\n"),

		/* Per-container egress */
		BAD("egress on an egress bridge", EGR("true", "{ from = \"web\"; to = \"0.0.0.0/0\"; ports = [ \"tcp/443\" ]; }"),
		    NAME ":5: egress web: bridge a already lets every container out (egress = true); set egress = false to list destinations\n"),
		BAD("egress bad to", EGR("false", "{ from = \"web\"; to = \"10.0.0.1/8\"; ports = [ \"tcp/443\" ]; }"),
		    NAME ":5: egress web: to 10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?\n"),
		BAD("egress unknown container", EGR("false", "{ from = \"nobody\"; to = \"0.0.0.0/0\"; ports = [ \"tcp/443\" ]; }"),
		    NAME ":5: egress nobody: unknown container nobody\n"),
		BAD("egress missing ports", EGR("false", "{ from = \"web\"; to = \"0.0.0.0/0\"; }"),
		    NAME ":5: egress web: missing ports\n"),
		BAD("egress overlap", EGR("false", "{ from = \"web\"; to = \"0.0.0.0/0\"; ports = [ \"tcp/443\" ]; },\n  { from = \"web\"; to = \"198.51.100.0/24\"; ports = [ \"tcp/400-500\" ]; }"),
		    NAME ":6: egress web: overlaps the egress at line 5 (destination and port)\n"),
		BAD("egress no uplink", "version = 1;\nbridges = ( { name = \"a\"; subnet = \"10.0.0.0/8\"; } );\ncontainers = { web = { bridge = \"a\"; ip = \"10.0.0.2\"; }; };\negress = ( { from = \"web\"; to = \"0.0.0.0/0\"; ports = [ \"tcp/443\" ]; } );\n",
		    NAME ":4: egress web: bridge a has no uplink to egress through\n"),

		/* Containers by name or labels; discovery paths. */
		BAD("ip and name", DYN("x = { bridge = \"a\"; ip = \"10.0.0.2\";\n    name = \"x\"; };"),
		    NAME ":5: container x: ip and name both say who the container is; keep one\n"),
		BAD("name and labels", DYN("x = { bridge = \"a\"; name = \"x\";\n    labels = [ \"a=b\" ]; };"),
		    NAME ":5: container x: name and labels both say who the container is; keep one\n"),
		BAD("name slash", DYN("x = { bridge = \"a\"; name = \"../etc\"; };"),
		    NAME ":4: container x: name \"../etc\" may only contain letters, digits, '_', '.' and '-'\n"),
		BAD("name dotdot", DYN("x = { bridge = \"a\"; name = \"..\"; };"),
		    NAME ":4: container x: name .. is not a container name\n"),
		BAD("name empty", DYN("x = { bridge = \"a\"; name = \"\"; };"),
		    NAME ":4: container x: name \"\" may only contain letters, digits, '_', '.' and '-'\n"),
		BAD("name type", DYN("x = { bridge = \"a\"; name = 3; };"),
		    NAME ":4: container x: name must be a string\n"),
		BAD("labels empty", DYN("x = { bridge = \"a\"; labels = [ ]; };"),
		    NAME ":4: container x: labels is empty\n"),
		BAD("labels not array", DYN("x = { bridge = \"a\"; labels = \"a=b\"; };"),
		    NAME ":4: container x: labels must be an array of strings [ \"...\", ... ]\n"),
		BAD("label no equals", DYN("x = { bridge = \"a\"; labels = [ \"a=b\", \"service\" ]; };"),
		    NAME ":4: container x: label \"service\" is not \"key=value\"\n"),
		BAD("label empty key", DYN("x = { bridge = \"a\"; labels = [ \"=db\" ]; };"),
		    NAME ":4: container x: label \"=db\" is not \"key=value\"\n"),
		BAD("label twice", DYN("x = { bridge = \"a\"; labels = [ \"a=b\", \"a=b\" ]; };"),
		    NAME ":4: container x: label a=b is listed twice\n"),
		BAD("same name twice", DYN("x = { bridge = \"a\"; name = \"web\"; };\n  y = { bridge = \"a\"; name = \"web\"; };"),
		    NAME ":5: container y: name web on bridge a is already container x (line 4)\n"),
		BAD("same labels twice", DYN("x = { bridge = \"a\"; labels = [ \"k=v\", \"j=w\" ]; };\n  y = { bridge = \"a\"; labels = [ \"j=w\", \"k=v\" ]; };"),
		    NAME ":5: container y: the same labels on bridge a select container x (line 4)\n"),
		BAD("publish to group", DYN("x = { bridge = \"a\"; labels = [ \"k=v\" ]; };\n};\npublish = ( { container = \"x\"; port = \"tcp/80\"; host = \"80\"; } );\nz = {"),
		    NAME ":6: publish x tcp/80: container x is a label group; a port is published to one container\n"
		    NAME ":7: unknown setting z\n"),
		BAD("discovery not group", DYN("") "discovery = \"/run\";\n",
		    NAME ":6: discovery must be a group { netns = \"...\"; ... }\n"),
		BAD("discovery relative", DYN("") "discovery = {\n  netns = \"run/netns\";\n  lxc = 5;\n  dockr = \"/x\";\n};\n",
		    NAME ":7: discovery: netns \"run/netns\" must be an absolute path\n"
		    NAME ":8: discovery: lxc must be a string\n"
		    NAME ":9: discovery: unknown setting dockr; did you mean docker?\n"),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
