// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The diff stage without a kernel: the desired ruleset comes from compile,
 * the "live" one is built here as nft_read would build it (flags, raw
 * elements, set_sort), and diff_compute/diff_count/diff_print are checked
 * to the exact text. One cmocka group, so the TAP output has one plan.
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
#include "icc/diff.h"
#include "icc/discover.h"

#define NAME	"t.conf"

#define BASE \
	"version = 1;\n" \
	"bridges = (\n" \
	"  { name = \"docker0\"; subnet = \"172.17.0.0/16\"; uplink = \"eth0\"; }\n" \
	");\n" \
	"containers = {\n" \
	"  web = { bridge = \"docker0\"; ip = \"172.17.0.2\"; };\n" \
	"  db = { bridge = \"docker0\"; ip = \"172.17.0.3\"; };\n" \
	"  cache = { bridge = \"docker0\"; ip = \"172.17.0.4\"; };\n" \
	"};\n"

#define WEB_DB		"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\" ]; }"
#define WEB_CACHE	"  { from = \"web\"; to = \"cache\"; ports = [ \"tcp/6379\" ]; }"

/* The README example. */
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
	"links = ( { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\" ]; } );\n"
	"publish = (\n"
	"  { container = \"web\"; port = \"tcp/80\"; host = \"127.0.0.1:8080\"; },\n"
	"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"198.51.100.0/24\" ]; }\n"
	");\n";

/* A live table icc-policy made: present, owned, intact, no elements. */
static struct icc_ruleset *live_new(void)
{
	struct icc_ruleset *rs = ruleset_new();

	assert_non_null(rs);
	rs->present = rs->owned = rs->intact = true;
	return rs;
}

/* The elements of src as the kernel would hand them back: in another
 * order (last first), then sorted as nft_read does. */
static void live_fill(struct icc_ruleset *live, const struct icc_ruleset *src)
{
	for (int i = 0; i < ICC_NSETS; i++) {
		const struct icc_set *s = &src->sets[i];

		for (size_t j = s->n; j-- > 0;)
			assert_int_equal(set_add_raw(&live->sets[i], set_elem(s, j), 0, NULL), 0);
		assert_int_equal(set_sort(&live->sets[i]), 0);
	}
}

/* What the kernel holds after the policy text was applied. */
static struct icc_ruleset *live_of(const char *text)
{
	struct icc_ruleset *src = compile_str(text), *live = live_new();

	live_fill(live, src);
	ruleset_free(src);
	return live;
}

static char *diff_str(const struct icc_diff *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	diff_print(f, d);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* Diffs want (a policy) against live, checks mode, count and text. */
static void check_diff(const char *policy, const struct icc_ruleset *live,
		       enum icc_diff_mode mode, size_t count, const char *text)
{
	struct icc_ruleset *want = compile_str(policy);
	struct icc_diff d;
	char *got;

	assert_int_equal(diff_compute(want, live, &d), 0);
	assert_int_equal(d.mode, mode);
	assert_ptr_equal(d.want, want);
	assert_ptr_equal(d.live, live);
	got = diff_str(&d);
	if (strcmp(got, text))
		fail_msg("diff_print:\n--- want\n%s--- got\n%s", text, got);
	assert_int_equal(diff_count(&d), count);
	free(got);
	diff_free(&d);
	diff_free(&d);	/* twice is harmless */
	ruleset_free(want);
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

#define STRUCTURE \
	"+ table inet icc\n" \
	"+ table bridge icc\n" \
	"+ chain inet icc raw_pre\n" \
	"+ chain inet icc forward\n" \
	"+ chain inet icc from_bridge\n" \
	"+ chain inet icc to_bridge\n" \
	"+ chain inet icc nat_pre\n" \
	"+ chain inet icc nat_out\n" \
	"+ chain inet icc nat_post\n" \
	"+ chain inet icc input\n" \
	"+ chain inet icc to_host\n" \
	"+ chain bridge icc prerouting\n" \
	"+ chain bridge icc from_port\n" \
	"+ set inet icc bridges\n" \
	"+ set inet icc logged\n" \
	"+ set inet icc subnets4\n" \
	"+ set inet icc subnets6\n" \
	"+ set inet icc egress\n" \
	"+ set inet icc masq\n" \
	"+ set inet icc uplinks\n" \
	"+ set inet icc links4\n" \
	"+ set inet icc links4r\n" \
	"+ set inet icc links4icmp\n" \
	"+ set inet icc links4any\n" \
	"+ set inet icc links6\n" \
	"+ set inet icc links6r\n" \
	"+ set inet icc links6icmp\n" \
	"+ set inet icc links6any\n" \
	"+ set inet icc published4\n" \
	"+ set inet icc published6\n" \
	"+ map inet icc dnat4\n" \
	"+ map inet icc dnat6\n" \
	"+ map inet icc local4\n" \
	"+ set inet icc host4\n" \
	"+ set inet icc host4icmp\n" \
	"+ set inet icc host4any\n" \
	"+ set inet icc egress4\n" \
	"+ set inet icc egress4icmp\n" \
	"+ set inet icc egress4any\n" \
	"+ set inet icc egress6\n" \
	"+ set inet icc egress6icmp\n" \
	"+ set inet icc egress6any\n" \
	"+ set bridge icc ports\n" \
	"+ set bridge icc port_mac\n" \
	"+ set bridge icc port_ip4\n" \
	"+ set bridge icc port_ip6\n" \
	"+ set bridge icc port_nd6\n" \
	"+ rule inet icc raw_pre iifname != \"lo\" ip daddr 127.0.0.0/8 counter drop\n" \
	"+ rule inet icc forward iifname @bridges jump from_bridge\n" \
	"+ rule inet icc forward oifname @bridges jump to_bridge\n" \
	"+ rule inet icc from_bridge ct state established,related accept\n" \
	"+ rule inet icc from_bridge icmpv6 type nd-neighbor-solicit accept\n" \
	"+ rule inet icc from_bridge icmpv6 type nd-neighbor-advert accept\n" \
	"+ rule inet icc from_bridge ct state invalid counter drop\n" \
	"+ rule inet icc from_bridge iifname . ip saddr != @subnets4 counter drop\n" \
	"+ rule inet icc from_bridge iifname . ip6 saddr != @subnets6 counter drop\n" \
	"+ rule inet icc from_bridge ip saddr . ip daddr . meta l4proto . th dport @links4 accept\n" \
	"+ rule inet icc from_bridge ip saddr . ip daddr . meta l4proto . th dport @links4r accept\n" \
	"+ rule inet icc from_bridge icmp type echo-request ip saddr . ip daddr @links4icmp accept\n" \
	"+ rule inet icc from_bridge ip saddr . ip daddr @links4any accept\n" \
	"+ rule inet icc from_bridge ip6 saddr . ip6 daddr . meta l4proto . th dport @links6 accept\n" \
	"+ rule inet icc from_bridge ip6 saddr . ip6 daddr . meta l4proto . th dport @links6r accept\n" \
	"+ rule inet icc from_bridge icmpv6 type echo-request ip6 saddr . ip6 daddr @links6icmp accept\n" \
	"+ rule inet icc from_bridge ip6 saddr . ip6 daddr @links6any accept\n" \
	"+ rule inet icc from_bridge ct status dnat ip saddr . ip daddr . meta l4proto . th dport @published4 accept\n" \
	"+ rule inet icc from_bridge ct status dnat ip6 saddr . ip6 daddr . meta l4proto . th dport @published6 accept\n" \
	"+ rule inet icc from_bridge iifname . oifname @egress accept\n" \
	"+ rule inet icc from_bridge iifname . oifname . ip saddr . ip daddr . meta l4proto . th dport @egress4 accept\n" \
	"+ rule inet icc from_bridge icmp type echo-request iifname . oifname . ip saddr . ip daddr @egress4icmp accept\n" \
	"+ rule inet icc from_bridge iifname . oifname . ip saddr . ip daddr @egress4any accept\n" \
	"+ rule inet icc from_bridge iifname . oifname @uplinks iifname . ip6 saddr . ip6 daddr . meta l4proto . th dport @egress6 accept\n" \
	"+ rule inet icc from_bridge icmpv6 type echo-request iifname . oifname @uplinks iifname . ip6 saddr . ip6 daddr @egress6icmp accept\n" \
	"+ rule inet icc from_bridge iifname . oifname @uplinks iifname . ip6 saddr . ip6 daddr @egress6any accept\n" \
	"+ rule inet icc from_bridge oifname @bridges iifname @logged limit rate 10/second burst 20 packets log prefix \"icc drop link \" group 2712\n" \
	"+ rule inet icc from_bridge oifname @bridges counter drop\n" \
	"+ rule inet icc from_bridge iifname @logged limit rate 10/second burst 20 packets log prefix \"icc drop egress \" group 2712\n" \
	"+ rule inet icc from_bridge counter drop\n" \
	"+ rule inet icc to_bridge ct state established,related accept\n" \
	"+ rule inet icc to_bridge ct status dnat ip saddr . ip daddr . meta l4proto . th dport @published4 accept\n" \
	"+ rule inet icc to_bridge ct status dnat ip6 saddr . ip6 daddr . meta l4proto . th dport @published6 accept\n" \
	"+ rule inet icc to_bridge oifname @logged limit rate 10/second burst 20 packets log prefix \"icc drop inbound \" group 2712\n" \
	"+ rule inet icc to_bridge counter drop\n" \
	"+ rule inet icc nat_pre fib daddr type local meta l4proto tcp dnat ip to ip saddr . ip daddr . meta l4proto . th dport map @dnat4\n" \
	"+ rule inet icc nat_pre fib daddr type local meta l4proto udp dnat ip to ip saddr . ip daddr . meta l4proto . th dport map @dnat4\n" \
	"+ rule inet icc nat_pre fib daddr type local meta l4proto tcp dnat ip6 to ip6 saddr . ip6 daddr . meta l4proto . th dport map @dnat6\n" \
	"+ rule inet icc nat_pre fib daddr type local meta l4proto udp dnat ip6 to ip6 saddr . ip6 daddr . meta l4proto . th dport map @dnat6\n" \
	"+ rule inet icc nat_out ip daddr 127.0.0.0/8 meta l4proto tcp dnat ip to ip daddr . meta l4proto . th dport map @local4\n" \
	"+ rule inet icc nat_out ip daddr 127.0.0.0/8 meta l4proto udp dnat ip to ip daddr . meta l4proto . th dport map @local4\n" \
	"+ rule inet icc nat_post ip saddr 127.0.0.0/8 oifname @bridges masquerade\n" \
	"+ rule inet icc nat_post iifname . oifname @masq masquerade\n" \
	"+ rule inet icc input iifname @bridges jump to_host\n" \
	"+ rule inet icc to_host ct state established,related accept\n" \
	"+ rule inet icc to_host icmpv6 type != echo-request accept\n" \
	"+ rule inet icc to_host ct state invalid counter drop\n" \
	"+ rule inet icc to_host iifname . meta l4proto . th dport @host4 accept\n" \
	"+ rule inet icc to_host icmp type echo-request iifname @host4icmp accept\n" \
	"+ rule inet icc to_host icmpv6 type echo-request iifname @host4icmp accept\n" \
	"+ rule inet icc to_host iifname @host4any accept\n" \
	"+ rule inet icc to_host iifname @logged limit rate 10/second burst 20 packets log prefix \"icc drop host \" group 2712\n" \
	"+ rule inet icc to_host counter drop\n" \
	"+ rule bridge icc prerouting iifname @ports jump from_port\n" \
	"+ rule bridge icc from_port iifname . ether saddr != @port_mac counter drop\n" \
	"+ rule bridge icc from_port ether type arp iifname . arp saddr ether . arp saddr ip @port_ip4 accept\n" \
	"+ rule bridge icc from_port ether type arp arp saddr ip 0.0.0.0 iifname . arp saddr ether @port_mac accept\n" \
	"+ rule bridge icc from_port ether type ip iifname . ether saddr . ip saddr @port_ip4 accept\n" \
	"+ rule bridge icc from_port ether type ip ip saddr 0.0.0.0 udp sport 68 udp dport 67 accept\n" \
	"+ rule bridge icc from_port ether type ip6 icmpv6 type nd-router-advert counter drop\n" \
	"+ rule bridge icc from_port ether type ip6 ip6 saddr :: meta l4proto ipv6-icmp accept\n" \
	"+ rule bridge icc from_port icmpv6 type nd-neighbor-advert iifname . ether saddr . @th,64,128 != @port_nd6 counter drop\n" \
	"+ rule bridge icc from_port ether type ip6 iifname . ether saddr . ip6 saddr @port_ip6 accept\n" \
	"+ rule bridge icc from_port counter drop\n"

static void test_create(void **state)
{
	struct icc_ruleset *live = ruleset_new();	/* no table */

	(void)state;
	assert_non_null(live);
	check_diff("version = 1;\nbridges = ( { name = \"br0\"; subnet = \"10.10.0.0/24\"; } );\n",
		   live, ICC_DIFF_CREATE, 4,
		   STRUCTURE
		   "+ element inet icc bridges { \"br0\" }\n"
		   "+ element inet icc logged { \"br0\" }\n"
		   "+ element inet icc subnets4 { \"br0\" . 10.10.0.0/24 }\n");
	check_diff(example, live, ICC_DIFF_CREATE, 1 + 16,
		   STRUCTURE
		   "+ element inet icc bridges { \"docker0\" }\n"
		   "+ element inet icc bridges { \"lxcbr0\" }\n"
		   "+ element inet icc logged { \"docker0\" }\n"
		   "+ element inet icc logged { \"lxcbr0\" }\n"
		   "+ element inet icc subnets4 { \"docker0\" . 172.17.0.0/16 }\n"
		   "+ element inet icc subnets4 { \"lxcbr0\" . 10.0.3.0/24 }\n"
		   "+ element inet icc egress { \"docker0\" . \"eth0\" }\n"
		   "+ element inet icc egress { \"lxcbr0\" . \"eth0\" }\n"
		   "+ element inet icc masq { \"docker0\" . \"eth0\" }\n"
		   "+ element inet icc masq { \"lxcbr0\" . \"eth0\" }\n"
		   "+ element inet icc uplinks { \"docker0\" . \"eth0\" }\n"
		   "+ element inet icc uplinks { \"lxcbr0\" . \"eth0\" }\n"
		   "+ element inet icc links4 { 172.17.0.2 . 172.17.0.3 . tcp . 5432 }\n"
		   "+ element inet icc published4 { 198.51.100.0/24 . 172.17.0.2 . tcp . 443 }\n"
		   "+ element inet icc dnat4 { 198.51.100.0/24 . 0.0.0.0/0 . tcp . 443 : 172.17.0.2 . 443 }\n"
		   "+ element inet icc local4 { 127.0.0.1 . tcp . 8080 : 172.17.0.2 . 80 }\n");
	ruleset_free(live);
}

static void test_not_owned(void **state)
{
	struct icc_ruleset *want = compile_str(example);
	struct icc_ruleset *live = ruleset_new();
	struct icc_diff d;

	(void)state;
	assert_non_null(live);
	live->present = true;	/* someone else's table inet icc */
	assert_int_equal(diff_compute(want, live, &d), -EEXIST);
	diff_free(&d);
	live->intact = true;
	assert_int_equal(diff_compute(want, live, &d), -EEXIST);
	diff_free(&d);
	ruleset_free(live);
	ruleset_free(want);
}

static void test_replace(void **state)
{
	struct icc_ruleset *live = live_of(example);

	(void)state;
	live->intact = false;
	check_diff(example, live, ICC_DIFF_REPLACE, 1,
		   "# tables inet icc and bridge icc differ from ours; they are replaced in one transaction\n");
	assert_int_equal(ruleset_add_drift(live, "- rule inet icc forward %s", "iifname @bridges accept"), 0);
	assert_int_equal(ruleset_add_drift(live, "+ rule inet icc forward iifname @bridges jump from_bridge"), 0);
	/* The elements are compared as usual. */
	assert_int_equal(live->sets[ICC_SET_LINKS4].n, 1);
	live->sets[ICC_SET_LINKS4].n = 0;
	check_diff(example, live, ICC_DIFF_REPLACE, 1 + 2 + 1,
		   "# tables inet icc and bridge icc differ from ours; they are replaced in one transaction\n"
		   "- rule inet icc forward iifname @bridges accept\n"
		   "+ rule inet icc forward iifname @bridges jump from_bridge\n"
		   "+ element inet icc links4 { 172.17.0.2 . 172.17.0.3 . tcp . 5432 }\n");
	ruleset_free(live);
}

static void test_identical(void **state)
{
	struct icc_ruleset *live = live_of(example);

	(void)state;
	check_diff(example, live, ICC_DIFF_ELEMS, 0, "");
	ruleset_free(live);

	/* An empty policy against an empty table. */
	live = live_of(BASE);
	check_diff(BASE, live, ICC_DIFF_ELEMS, 0, "");
	ruleset_free(live);
}

static void test_link_added_removed(void **state)
{
	struct icc_ruleset *live = live_of(BASE "links = (\n" WEB_DB "\n);\n");

	(void)state;
	check_diff(BASE "links = (\n" WEB_DB ",\n" WEB_CACHE "\n);\n", live,
		   ICC_DIFF_ELEMS, 1,
		   "+ element inet icc links4 { 172.17.0.2 . 172.17.0.4 . tcp . 6379 }\n");
	check_diff(BASE, live, ICC_DIFF_ELEMS, 1,
		   "- element inet icc links4 { 172.17.0.2 . 172.17.0.3 . tcp . 5432 }\n");
	ruleset_free(live);

	live = live_of(BASE "links = (\n" WEB_DB ",\n" WEB_CACHE "\n);\n");
	check_diff(BASE "links = (\n" WEB_CACHE "\n);\n", live, ICC_DIFF_ELEMS, 1,
		   "- element inet icc links4 { 172.17.0.2 . 172.17.0.3 . tcp . 5432 }\n");
	ruleset_free(live);
}

static void test_port_changed(void **state)
{
	struct icc_ruleset *live = live_of(BASE "links = (\n" WEB_DB "\n);\n");

	(void)state;
	check_diff(BASE "links = ( { from = \"web\"; to = \"db\"; ports = [ \"tcp/5433\" ]; } );\n",
		   live, ICC_DIFF_ELEMS, 2,
		   "- element inet icc links4 { 172.17.0.2 . 172.17.0.3 . tcp . 5432 }\n"
		   "+ element inet icc links4 { 172.17.0.2 . 172.17.0.3 . tcp . 5433 }\n");
	/* An exact port that becomes a range moves to links4r; icmp and any
	 * have their own sets. */
	check_diff(BASE "links = ( { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432-5433\", \"icmp\" ]; },\n"
		   "  { from = \"db\"; to = \"web\"; ports = [ \"any\" ]; } );\n",
		   live, ICC_DIFF_ELEMS, 4,
		   "- element inet icc links4 { 172.17.0.2 . 172.17.0.3 . tcp . 5432 }\n"
		   "+ element inet icc links4r { 172.17.0.2 . 172.17.0.3 . tcp . 5432-5433 }\n"
		   "+ element inet icc links4icmp { 172.17.0.2 . 172.17.0.3 }\n"
		   "+ element inet icc links4any { 172.17.0.3 . 172.17.0.2 }\n");
	ruleset_free(live);
}

static void test_publish_changed(void **state)
{
	struct icc_ruleset *live = live_of(BASE "publish = (\n"
		"  { container = \"web\"; port = \"tcp/80\"; host = \"8080\"; },\n"
		"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"198.51.100.0/24\" ]; }\n"
		");\n");

	(void)state;
	/* The same keys, another target: the map element is replaced. */
	check_diff(BASE "publish = (\n"
		   "  { container = \"db\"; port = \"tcp/80\"; host = \"8080\"; },\n"
		   "  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"198.51.100.0/24\" ]; }\n"
		   ");\n", live, ICC_DIFF_ELEMS, 2,
		   "- element inet icc local4 { 127.0.0.1 . tcp . 8080 : 172.17.0.2 . 80 }\n"
		   "+ element inet icc local4 { 127.0.0.1 . tcp . 8080 : 172.17.0.3 . 80 }\n");
	check_diff(BASE "publish = (\n"
		   "  { container = \"web\"; port = \"tcp/80\"; host = \"8080\"; },\n"
		   "  { container = \"web\"; port = \"tcp/8443\"; host = \"0.0.0.0:443\"; allow_from = [ \"198.51.100.0/24\" ]; }\n"
		   ");\n", live, ICC_DIFF_ELEMS, 4,
		   "- element inet icc published4 { 198.51.100.0/24 . 172.17.0.2 . tcp . 443 }\n"
		   "+ element inet icc published4 { 198.51.100.0/24 . 172.17.0.2 . tcp . 8443 }\n"
		   "- element inet icc dnat4 { 198.51.100.0/24 . 0.0.0.0/0 . tcp . 443 : 172.17.0.2 . 443 }\n"
		   "+ element inet icc dnat4 { 198.51.100.0/24 . 0.0.0.0/0 . tcp . 443 : 172.17.0.2 . 8443 }\n");
	ruleset_free(live);
}

/* Changes come set by set in the order of icc_set_defs, deletes first,
 * each side in canonical order. */
static void test_order(void **state)
{
	struct icc_ruleset *live = live_of(BASE "links = (\n"
		"  { from = \"web\"; to = \"db\"; ports = [ \"tcp/1\", \"tcp/3\", \"tcp/5\" ]; },\n"
		"  { from = \"cache\"; to = \"web\"; ports = [ \"icmp\" ]; }\n);\n");

	(void)state;
	check_diff("version = 1;\n"
		   "bridges = (\n"
		   "  { name = \"docker0\"; subnet = \"172.17.0.0/16\"; uplink = \"eth0\"; masquerade = false; },\n"
		   "  { name = \"br-a\"; subnet = \"10.1.0.0/24\"; }\n"
		   ");\n"
		   "containers = {\n"
		   "  web = { bridge = \"docker0\"; ip = \"172.17.0.2\"; };\n"
		   "  db = { bridge = \"docker0\"; ip = \"172.17.0.3\"; };\n"
		   "  cache = { bridge = \"docker0\"; ip = \"172.17.0.4\"; };\n"
		   "};\n"
		   "links = (\n"
		   "  { from = \"web\"; to = \"db\"; ports = [ \"tcp/4\", \"tcp/3\", \"tcp/2\" ]; }\n"
		   ");\n", live, ICC_DIFF_ELEMS, 9,
		   "+ element inet icc bridges { \"br-a\" }\n"
		   "+ element inet icc logged { \"br-a\" }\n"
		   "+ element inet icc subnets4 { \"br-a\" . 10.1.0.0/24 }\n"
		   "- element inet icc masq { \"docker0\" . \"eth0\" }\n"
		   "- element inet icc links4 { 172.17.0.2 . 172.17.0.3 . tcp . 1 }\n"
		   "- element inet icc links4 { 172.17.0.2 . 172.17.0.3 . tcp . 5 }\n"
		   "+ element inet icc links4 { 172.17.0.2 . 172.17.0.3 . tcp . 2 }\n"
		   "+ element inet icc links4 { 172.17.0.2 . 172.17.0.3 . tcp . 4 }\n"
		   "- element inet icc links4icmp { 172.17.0.4 . 172.17.0.2 }\n");
	ruleset_free(live);
}

/* A live table built element by element with the key helpers, in a
 * scrambled order with a duplicate: the same as compiling the example. */
static void test_hand_built_live(void **state)
{
	struct icc_ruleset *live = live_new();
	struct icc_key k, e, v;
	struct icc_set *s;

	(void)state;
	s = &live->sets[ICC_SET_BRIDGES];
	k.len = 0; key_ifname(&k, "lxcbr0");
	assert_int_equal(set_add(s, &k, NULL, NULL, 0), 0);
	k.len = 0; key_ifname(&k, "docker0");
	assert_int_equal(set_add(s, &k, NULL, NULL, 0), 0);
	assert_int_equal(set_add(s, &k, NULL, NULL, 0), 0);	/* twice */
	s = &live->sets[ICC_SET_LOGGED];
	k.len = 0; key_ifname(&k, "docker0");
	assert_int_equal(set_add(s, &k, NULL, NULL, 0), 0);
	k.len = 0; key_ifname(&k, "lxcbr0");
	assert_int_equal(set_add(s, &k, NULL, NULL, 0), 0);

	s = &live->sets[ICC_SET_SUBNETS4];
	k.len = e.len = 0;
	key_ifname(&k, "lxcbr0"); key_ipv4(&k, ip4("10.0.3.0"));
	key_ifname(&e, "lxcbr0"); key_ipv4(&e, ip4("10.0.3.255"));
	assert_int_equal(set_add(s, &k, &e, NULL, 0), 0);
	k.len = e.len = 0;
	key_ifname(&k, "docker0"); key_ipv4(&k, ip4("172.17.0.0"));
	key_ifname(&e, "docker0"); key_ipv4(&e, ip4("172.17.255.255"));
	assert_int_equal(set_add(s, &k, &e, NULL, 0), 0);

	for (int i = ICC_SET_EGRESS; i <= ICC_SET_UPLINKS; i++) {
		k.len = 0; key_ifname(&k, "lxcbr0"); key_ifname(&k, "eth0");
		assert_int_equal(set_add(&live->sets[i], &k, NULL, NULL, 0), 0);
		k.len = 0; key_ifname(&k, "docker0"); key_ifname(&k, "eth0");
		assert_int_equal(set_add(&live->sets[i], &k, NULL, NULL, 0), 0);
	}

	k.len = 0;
	key_ipv4(&k, ip4("172.17.0.2")); key_ipv4(&k, ip4("172.17.0.3"));
	key_proto(&k, IPPROTO_TCP); key_port(&k, 5432);
	assert_int_equal(set_add(&live->sets[ICC_SET_LINKS4], &k, NULL, NULL, 0), 0);

	k.len = e.len = 0;
	key_ipv4(&k, ip4("198.51.100.0")); key_ipv4(&e, ip4("198.51.100.255"));
	key_ipv4(&k, ip4("172.17.0.2")); key_ipv4(&e, ip4("172.17.0.2"));
	key_proto(&k, IPPROTO_TCP); key_proto(&e, IPPROTO_TCP);
	key_port(&k, 443); key_port(&e, 443);
	assert_int_equal(set_add(&live->sets[ICC_SET_PUBLISHED4], &k, &e, NULL, 0), 0);

	k.len = e.len = v.len = 0;
	key_ipv4(&k, ip4("198.51.100.0")); key_ipv4(&e, ip4("198.51.100.255"));
	key_ipv4(&k, ip4("0.0.0.0")); key_ipv4(&e, ip4("255.255.255.255"));
	key_proto(&k, IPPROTO_TCP); key_proto(&e, IPPROTO_TCP);
	key_port(&k, 443); key_port(&e, 443);
	key_ipv4(&v, ip4("172.17.0.2")); key_port(&v, 443);
	assert_int_equal(set_add(&live->sets[ICC_SET_DNAT4], &k, &e, &v, 0), 0);

	k.len = v.len = 0;
	key_ipv4(&k, ip4("127.0.0.1")); key_proto(&k, IPPROTO_TCP); key_port(&k, 8080);
	key_ipv4(&v, ip4("172.17.0.2")); key_port(&v, 80);
	assert_int_equal(set_add(&live->sets[ICC_SET_LOCAL4], &k, NULL, &v, 0), 0);

	for (int i = 0; i < ICC_NSETS; i++)
		assert_int_equal(set_sort(&live->sets[i]), 0);
	assert_int_equal(live->sets[ICC_SET_BRIDGES].n, 2);
	check_diff(example, live, ICC_DIFF_ELEMS, 0, "");

	/* Now one local4 target is off by one port. */
	s = &live->sets[ICC_SET_LOCAL4];
	s->elems[s->stride - 3] = 81;	/* data: ip . port (big endian, padded) */
	check_diff(example, live, ICC_DIFF_ELEMS, 2,
		   "- element inet icc local4 { 127.0.0.1 . tcp . 8080 : 172.17.0.2 . 81 }\n"
		   "+ element inet icc local4 { 127.0.0.1 . tcp . 8080 : 172.17.0.2 . 80 }\n");
	ruleset_free(live);
}

/* Live elements are compared as they are: two adjacent halves in the
 * kernel are not the merged range icc-policy wants. */
static void test_live_unmerged(void **state)
{
	struct icc_ruleset *live = live_of(BASE "publish = (\n"
		"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"198.51.100.0/25\" ]; },\n"
		"  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:8443\"; allow_from = [ \"198.51.100.128/25\" ]; }\n"
		");\n");
	struct icc_set *pub = &live->sets[ICC_SET_PUBLISHED4];
	uint8_t *halves = malloc(2 * pub->stride);

	(void)state;
	assert_non_null(halves);
	/* compile merged them into one /24 element: split it again. */
	assert_int_equal(pub->n, 1);
	memcpy(halves, set_elem(pub, 0), pub->stride);
	memcpy(halves + pub->stride, set_elem(pub, 0), pub->stride);
	halves[pub->key_len + 3] = 127;		/* end of the first half */
	halves[pub->stride + 3] = 128;		/* start of the second */
	pub->n = 0;
	assert_int_equal(set_add_raw(pub, halves + pub->stride, 0, NULL), 0);
	assert_int_equal(set_add_raw(pub, halves, 0, NULL), 0);
	assert_int_equal(set_sort(pub), 0);
	assert_int_equal(pub->n, 2);
	free(halves);
	check_diff(BASE "publish = (\n"
		   "  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"198.51.100.0/25\" ]; },\n"
		   "  { container = \"web\"; port = \"tcp/443\"; host = \"0.0.0.0:8443\"; allow_from = [ \"198.51.100.128/25\" ]; }\n"
		   ");\n", live, ICC_DIFF_ELEMS, 3,
		   "- element inet icc published4 { 198.51.100.0/25 . 172.17.0.2 . tcp . 443 }\n"
		   "- element inet icc published4 { 198.51.100.128/25 . 172.17.0.2 . tcp . 443 }\n"
		   "+ element inet icc published4 { 198.51.100.0/24 . 172.17.0.2 . tcp . 443 }\n");
	ruleset_free(live);
}

/* Many changes in one set: the index arrays grow. */
static void test_many(void **state)
{
	static const char head[] =
		"- element inet icc links4any { 10.0.0.0 . 10.0.0.255 }\n"
		"- element inet icc links4any { 10.0.0.3 . 10.0.0.255 }\n";
	struct icc_ruleset *want = ruleset_new(), *live = live_new();
	struct icc_diff d;
	char *text;

	(void)state;
	assert_non_null(want);
	for (unsigned i = 0; i < 300; i++) {
		struct icc_key k = { .len = 0 };

		key_ipv4(&k, htonl(0x0a000000 + i));
		key_ipv4(&k, htonl(0x0a0000ff));
		assert_int_equal(set_add(&(i % 3 ? want : live)->sets[ICC_SET_LINKS4ANY],
					 &k, NULL, NULL, 0), 0);
	}
	assert_int_equal(ruleset_canonicalize(want), 0);
	assert_int_equal(set_sort(&live->sets[ICC_SET_LINKS4ANY]), 0);
	assert_int_equal(diff_compute(want, live, &d), 0);
	assert_int_equal(d.sets[ICC_SET_LINKS4ANY].nadd, 200);
	assert_int_equal(d.sets[ICC_SET_LINKS4ANY].ndel, 100);
	assert_int_equal(diff_count(&d), 300);
	for (size_t i = 0; i < 200; i++)
		assert_int_equal(d.sets[ICC_SET_LINKS4ANY].add[i], i);
	text = diff_str(&d);
	assert_memory_equal(text, head, sizeof(head) - 1);
	free(text);
	diff_free(&d);

	/* In sync once live holds the same. */
	live->sets[ICC_SET_LINKS4ANY].n = 0;
	live_fill(live, want);
	assert_int_equal(diff_compute(want, live, &d), 0);
	assert_int_equal(diff_count(&d), 0);
	diff_free(&d);
	ruleset_free(want);
	ruleset_free(live);
}

/*
 * set_canonicalize() against a reference, on random input in a small
 * domain (so that duplicates, overlaps and touching ranges are common)
 * and in every order: links4 (exact) must come out as the distinct
 * inputs in memcmp order; links4r (port ranges merged) must cover exactly
 * the ports its inputs covered, per src . dst . proto, in increasing,
 * disjoint and non-touching ranges. 300 rounds with a fixed seed.
 */
#define CR_A 3		/* addresses 10.0.0.1 .. 10.0.0.CR_A */
#define CR_P 48		/* ports 1 .. CR_P */
static uint16_t cr_port(const uint8_t *e, size_t off)
{
	return (uint16_t)(e[off + 12] << 8 | e[off + 13]);
}

static unsigned cr_cell(const uint8_t *e)
{
	unsigned s = e[3] - 1, d = e[7] - 1, pr = e[8] == IPPROTO_UDP;

	return (s * CR_A + d) * 2 + pr;
}

static void cr_key(struct icc_key *k, unsigned s, unsigned d, unsigned udp,
		   uint16_t port)
{
	k->len = 0;
	key_ipv4(k, htonl(0x0a000001 + s));
	key_ipv4(k, htonl(0x0a000001 + d));
	key_proto(k, udp ? IPPROTO_UDP : IPPROTO_TCP);
	key_port(k, port);
}

static void cr_exact(struct icc_set *s, size_t n)
{
	uint8_t seen[CR_A * CR_A * 2][CR_P + 1] = { { 0 } };
	size_t distinct = 0;

	for (size_t i = 0; i < n; i++) {
		struct icc_key k;
		unsigned a = (unsigned)rand() % CR_A, b = (unsigned)rand() % CR_A,
			 u = (unsigned)rand() % 2;
		uint16_t port = (uint16_t)(1 + rand() % CR_P);

		cr_key(&k, a, b, u, port);
		assert_int_equal(set_add(s, &k, NULL, NULL, (int)i + 1), 0);
		distinct += !seen[(a * CR_A + b) * 2 + u][port]++;
	}
	assert_int_equal(set_canonicalize(s), 0);
	assert_int_equal(s->n, distinct);
	for (size_t i = 0; i < s->n; i++) {
		const uint8_t *e = set_elem(s, i);

		assert_true(seen[cr_cell(e)][cr_port(e, 0)]);
		if (i)
			assert_true(memcmp(set_elem(s, i - 1), e, s->stride) < 0);
	}
}

static void cr_ranges(struct icc_set *s, size_t n)
{
	bool want[CR_A * CR_A * 2][CR_P + 8] = { { false } };
	bool got[CR_A * CR_A * 2][CR_P + 8] = { { false } };

	for (size_t i = 0; i < n; i++) {
		struct icc_key k, end;
		unsigned a = (unsigned)rand() % CR_A, b = (unsigned)rand() % CR_A,
			 u = (unsigned)rand() % 2;
		uint16_t lo = (uint16_t)(1 + rand() % CR_P),
			 hi = (uint16_t)(lo + rand() % 6);

		cr_key(&k, a, b, u, lo);
		cr_key(&end, a, b, u, hi);
		assert_int_equal(set_add(s, &k, &end, NULL, (int)i + 1), 0);
		for (unsigned p = lo; p <= hi; p++)
			want[(a * CR_A + b) * 2 + u][p] = true;
	}
	assert_int_equal(set_canonicalize(s), 0);
	for (size_t i = 0; i < s->n; i++) {
		const uint8_t *e = set_elem(s, i);
		uint16_t lo = cr_port(e, 0), hi = cr_port(e, s->key_len);

		assert_true(lo <= hi);
		for (unsigned p = lo; p <= hi; p++) {
			assert_true(want[cr_cell(e)][p]);
			assert_false(got[cr_cell(e)][p]);
			got[cr_cell(e)][p] = true;
		}
		if (i && cr_cell(set_elem(s, i - 1)) == cr_cell(e))
			/* touching ranges would have been one */
			assert_true(cr_port(set_elem(s, i - 1), s->key_len) + 1 < lo);
		if (i)
			assert_true(cr_cell(set_elem(s, i - 1)) <= cr_cell(e));
	}
	assert_memory_equal(want, got, sizeof(want));
}

static void test_canonical_random(void **state)
{
	(void)state;
	srand(7);
	for (int round = 0; round < 300; round++) {
		struct icc_ruleset *rs = ruleset_new();
		size_t n = 1 + (size_t)rand() % 400;

		assert_non_null(rs);
		cr_exact(&rs->sets[ICC_SET_LINKS4], n);
		cr_ranges(&rs->sets[ICC_SET_LINKS4R], n);
		ruleset_free(rs);
	}
}

/*
 * icc-policyd between events (compile_dynamic, ruleset_patch): the whole
 * ruleset for one set of running containers, patched with the difference
 * of the dynamic parts, is the whole ruleset for another. Containers with
 * static ips and named ones, linked every way, with publishes and egress
 * rules of both, over 200 pairs of random bindings (a fixed seed).
 */
#define DYN_POLICY \
	"version = 1;\n" \
	"bridges = ( { name = \"docker0\"; subnet = [ \"172.17.0.0/16\", \"fd00:17::/64\" ]; uplink = \"eth0\"; egress = false; },\n" \
	"  { name = \"lxcbr0\"; subnet = \"10.0.3.0/24\"; uplink = \"eth0\"; egress = false; } );\n" \
	"containers = {\n" \
	"  web = { bridge = \"docker0\"; ip = [ \"172.17.0.2\", \"fd00:17::2\" ]; };\n" \
	"  db = { bridge = \"docker0\"; ip = \"172.17.0.3\"; };\n" \
	"  a = { bridge = \"docker0\"; name = \"a\"; };\n" \
	"  b = { bridge = \"docker0\"; name = \"b\"; };\n" \
	"  x = { bridge = \"lxcbr0\"; name = \"x\"; };\n" \
	"  old = { bridge = \"lxcbr0\"; ip = \"10.0.3.9\"; };\n" \
	"};\n" \
	"links = ( { from = \"web\"; to = \"db\"; ports = [ \"tcp/5432\", \"udp/100-200\" ]; },\n" \
	"  { from = \"a\"; to = \"db\"; ports = [ \"tcp/5432\", \"tcp/5430-5431\", \"icmp\" ]; },\n" \
	"  { from = \"web\"; to = \"b\"; ports = [ \"any\" ]; },\n" \
	"  { from = \"a\"; to = \"b\"; ports = [ \"udp/53\", \"udp/50-52\" ]; },\n" \
	"  { from = \"x\"; to = \"old\"; ports = [ \"tcp/22\" ]; },\n" \
	"  { from = \"old\"; to = \"web\"; ports = [ \"tcp/80\" ]; } );\n" \
	"publish = ( { container = \"web\"; port = \"tcp/80\"; host = \"0.0.0.0:80\"; allow_from = [ \"198.51.100.0/24\" ]; },\n" \
	"  { container = \"a\"; port = \"tcp/443\"; host = \"0.0.0.0:443\"; allow_from = [ \"198.51.100.0/25\", \"198.51.100.128/25\" ]; },\n" \
	"  { container = \"b\"; port = \"tcp/8080\"; host = \"127.0.0.1:8080\"; },\n" \
	"  { container = \"x\"; port = \"udp/53\"; host = \"0.0.0.0:53\"; allow_from = [ \"0.0.0.0/0\" ]; } );\n" \
	"egress = ( { from = \"a\"; to = \"203.0.113.0/24\"; ports = [ \"tcp/443\", \"tcp/440-442\" ]; },\n" \
	"  { from = \"db\"; to = \"203.0.113.53\"; ports = [ \"udp/53\" ]; },\n" \
	"  { from = \"x\"; to = \"0.0.0.0/0\"; ports = [ \"icmp\" ]; } );\n"

/* Up to three of the addresses a container of bridge b may be given. */
static void dyn_bind(struct icc_binding *bn, unsigned b, unsigned *seed)
{
	static const char *const v4[2][4] = {
		{ "172.17.1.2", "172.17.1.3", "172.17.1.4", "172.17.1.5" },
		{ "10.0.3.2", "10.0.3.3", "10.0.3.4", "10.0.3.5" } };
	static const char *const v6[3] = { "fd00:17::12", "fd00:17::13", "fd00:17::14" };

	memset(bn, 0, sizeof(*bn));
	bn->addrs = calloc(4, sizeof(*bn->addrs));
	bn->addrs6 = calloc(3, sizeof(*bn->addrs6));
	assert_non_null(bn->addrs);
	assert_non_null(bn->addrs6);
	for (unsigned i = 0; i < 4; i++)
		if (rand_r(seed) % 3 == 0)
			inet_pton(AF_INET, v4[b][i], &bn->addrs[bn->n++]);
	for (unsigned i = 0; b == 0 && i < 3; i++)
		if (rand_r(seed) % 3 == 0)
			inet_pton(AF_INET6, v6[i], &bn->addrs6[bn->n6++]);
}

/* A binding for every container: static ones get nothing (compile uses
 * their ip), named ones random addresses of their bridge. */
static struct icc_binding *dyn_binds(const struct icc_policy *p, unsigned *seed)
{
	struct icc_binding *b = calloc(p->ncontainers, sizeof(*b));

	assert_non_null(b);
	for (size_t i = 0; i < p->ncontainers; i++)
		if (p->containers[i].ident != ICC_ID_IP)
			dyn_bind(&b[i], p->containers[i].bridge, seed);
	return b;
}

/* whole(from) + (dynamic(to) - dynamic(from)) == whole(to) */
static void dyn_check(const struct icc_policy *p, const struct icc_binding *from,
		      const struct icc_binding *to)
{
	struct icc_ruleset *w0 = NULL, *w1 = NULL, *d0 = NULL, *d1 = NULL;
	struct icc_diff dd, check;

	assert_int_equal(compile_policy(p, from, &w0), 0);
	assert_int_equal(compile_policy(p, to, &w1), 0);
	assert_int_equal(compile_dynamic(p, from, &d0), 0);
	assert_int_equal(compile_dynamic(p, to, &d1), 0);
	d0->present = d0->owned = d0->intact = true;
	w1->present = w1->owned = w1->intact = true;
	assert_int_equal(diff_compute(d1, d0, &dd), 0);
	assert_int_equal(ruleset_patch(w0, &dd), 0);
	assert_int_equal(diff_compute(w0, w1, &check), 0);
	if (diff_count(&check)) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		diff_print(f, &check);
		fclose(f);
		fail_msg("patched whole ruleset differs:\n%s", buf);
	}
	diff_free(&dd);
	diff_free(&check);
	ruleset_free(w0);
	ruleset_free(w1);
	ruleset_free(d0);
	ruleset_free(d1);
}

static void test_dynamic_patch(void **state)
{
	struct icc_policy *p = policy_ok(DYN_POLICY);
	unsigned seed = 6;

	(void)state;
	for (int round = 0; round < 200; round++) {
		struct icc_binding *b0 = dyn_binds(p, &seed), *b1 = dyn_binds(p, &seed);

		dyn_check(p, b0, b1);
		dyn_check(p, b1, b0);
		bindings_free(b0, p->ncontainers);
		bindings_free(b1, p->ncontainers);
	}
	policy_free(p);
}

/* A patch that does not fit what it is applied to is refused. */
static void test_patch_refused(void **state)
{
	struct icc_policy *p = policy_ok(DYN_POLICY);
	unsigned seed = 1;
	struct icc_binding *b = dyn_binds(p, &seed);
	struct icc_ruleset *w = NULL, *d = NULL, *empty = ruleset_new();
	struct icc_diff dd;

	(void)state;
	b[2].n = 1;	/* a: one address at least, so there is an element */
	inet_pton(AF_INET, "172.17.1.9", &b[2].addrs[0]);
	assert_int_equal(compile_policy(p, b, &w), 0);
	assert_int_equal(compile_dynamic(p, b, &d), 0);
	empty->present = empty->owned = empty->intact = true;
	/* adding what w already has */
	assert_int_equal(diff_compute(d, empty, &dd), 0);
	assert_int_equal(ruleset_patch(w, &dd), -EEXIST);
	diff_free(&dd);
	/* deleting what an empty ruleset does not have */
	d->present = d->owned = d->intact = true;
	assert_int_equal(diff_compute(empty, d, &dd), 0);
	ruleset_free(empty);
	empty = ruleset_new();
	assert_int_equal(ruleset_patch(empty, &dd), -ENOENT);
	diff_free(&dd);
	ruleset_free(empty);
	ruleset_free(w);
	ruleset_free(d);
	bindings_free(b, p->ncontainers);
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_not_owned),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_link_added_removed),
		cmocka_unit_test(test_port_changed),
		cmocka_unit_test(test_publish_changed),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_hand_built_live),
		cmocka_unit_test(test_live_unmerged),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_canonical_random),
		cmocka_unit_test(test_dynamic_patch),
		cmocka_unit_test(test_patch_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
