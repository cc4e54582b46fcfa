// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What /proc tells: route_localnet on each interface of our network
 * namespace, and the capabilities of each icc-policyd guarding it (one
 * whose /proc/PID/ns/net is ours: /proc is shared between namespaces).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "icc/audit.h"
#include "icc/fileio.h"
#include "icc/kernel.h"

#define CONF_DIR	"/proc/sys/net/ipv4/conf"
#define DAEMON_COMM	"icc-policyd"
#define CAP_NET_BIND_SERVICE_BIT	10
#define CAP_NET_BROADCAST_BIT	11
#define CAP_NET_ADMIN_BIT	12
#define CAP_SYS_PTRACE_BIT	19
#define CAP(bit)		(UINT64_C(1) << (bit))

/* ---- route_localnet ---- */

struct names {
	FILE *f;
	size_t n;
};

static int localnet_cb(const char *dir, const char *name, void *arg)
{
	struct names *l = arg;
	char path[320];
	int val;

	/* On lo, 127.0.0.0/8 is what it always carries. */
	if (!strcmp(name, "lo"))
		return 0;
	snprintf(path, sizeof(path), "%s/%s/route_localnet", dir, name);
	if (kernel_sysctl_read(path, &val) < 0 || val != 1)
		return 0;	/* gone meanwhile, or off */
	fprintf(l->f, "%s%s", l->n++ ? ", " : "", name);
	return 0;
}

int audit_localnet(bool guard_live, struct icc_audit *a)
{
	struct names l = { NULL, 0 };
	char *list = NULL;
	size_t len = 0;
	int ret;

	if (!(l.f = open_memstream(&list, &len)))
		return -ENOMEM;
	ret = dir_each(CONF_DIR, localnet_cb, &l);
	if (fclose(l.f) && !ret)
		ret = -ENOMEM;
	if (ret < 0)
		goto out;
	if (!l.n)
		ret = audit_add(a, AUDIT_ROUTE_LOCALNET, ICC_AUDIT_PASS, "", NULL,
				"route_localnet is 0 on every interface");
	else if (guard_live)
		ret = audit_add(a, AUDIT_ROUTE_LOCALNET, ICC_AUDIT_PASS, list, NULL,
				"route_localnet = 1, and the loopback guard (inet icc raw_pre: iifname != \"lo\" ip daddr 127.0.0.0/8 drop) is live");
	else
		ret = audit_add(a, AUDIT_ROUTE_LOCALNET, ICC_AUDIT_FAIL, list,
				"sysctl -w net.ipv4.conf.IFACE.route_localnet=0, or icc-policy apply (loads the guard)",
				"route_localnet = 1 without the loopback guard: neighbours on these interfaces can reach the host's 127.0.0.1 services (CVE-2020-8558)");
out:
	free(list);
	return ret;
}

/* ---- daemon capabilities ---- */

static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
	"setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
	"net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
	"sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
	"sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
	"sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
	"setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

/* "CAP_NET_RAW, CAP_SYS_ADMIN, ..." into a buffer the caller frees. */
static char *caps_text(uint64_t caps)
{
	char *buf = NULL;
	size_t len = 0, n = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (unsigned i = 0; i < 64; i++) {
		if (!(caps & (UINT64_C(1) << i)))
			continue;
		fputs(n++ ? ", CAP_" : "CAP_", f);
		if (i < sizeof(cap_names) / sizeof(cap_names[0]))
			for (const char *c = cap_names[i]; *c; c++)
				fputc(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c, f);
		else
			fprintf(f, "%u", i);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

uint64_t audit_daemon_needs(const struct icc_policy *p)
{
	uint64_t need = CAP(CAP_NET_ADMIN_BIT) | CAP(CAP_NET_BROADCAST_BIT);

	/* The [::1] relay listens itself (ip_unprivileged_port_start: 1024). */
	for (size_t i = 0; i < p->npublishes; i++)
		if (p->publishes[i].v6 && publish_is_loopback(&p->publishes[i]) &&
		    p->publishes[i].host_port < 1024)
			need |= CAP(CAP_NET_BIND_SERVICE_BIT);
	return need;
}

int audit_caps_eval(long pid, uint64_t eff, uint64_t needed,
		    struct icc_audit *a)
{
	uint64_t extra = eff & ~needed, missing = needed & ~eff;
	const char *fix = "run it as contrib/icc-policyd.service does (CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BROADCAST)";
	char subject[32], *text = caps_text(missing ? missing : extra ? extra : needed);
	enum icc_audit_status s = ICC_AUDIT_FAIL;
	int ret;

	if (!text)
		return -ENOMEM;
	snprintf(subject, sizeof(subject), "pid %ld", pid);
	if (missing)
		ret = audit_add(a, AUDIT_DAEMON_CAPS, s, subject, fix,
				"lacks %s: it cannot keep the ruleset and the bridges in order",
				text);
	else if (!extra)
		ret = audit_add(a, AUDIT_DAEMON_CAPS, ICC_AUDIT_PASS, subject, NULL,
				"holds only what it needs: %s", text);
	else {
		/* The unit's documented trade for finding LXC containers. */
		if (extra == CAP(CAP_SYS_PTRACE_BIT))
			s = ICC_AUDIT_WARN;
		ret = audit_add(a, AUDIT_DAEMON_CAPS, s, subject, fix,
				"holds capabilities it does not need: %s%s", text,
				s == ICC_AUDIT_WARN ? " (only for finding LXC containers by their init; it can read any process's memory)" : "");
	}
	free(text);
	return ret;
}

struct daemons {
	struct icc_audit *a;
	uint64_t needed;
	struct stat self;
	size_t n;
};

/* CapEff of pid; 0 on success. */
static int cap_eff(long pid, uint64_t *eff)
{
	char path[64], *text = NULL, *p;
	int ret;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((ret = file_read(path, 65536, &text, &(size_t){ 0 })) < 0)
		return ret;
	p = strstr(text, "\nCapEff:");
	ret = p && sscanf(p + 8, "%" SCNx64, eff) == 1 ? 0 : -EINVAL;
	free(text);
	return ret;
}

static bool is_daemon(long pid, const struct stat *self)
{
	char path[64], *comm = NULL;
	struct stat ns;
	bool yes;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if (file_read(path, 64, &comm, &(size_t){ 0 }) < 0)
		return false;
	yes = !strcmp(comm, DAEMON_COMM "\n");
	free(comm);
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
	return yes && stat(path, &ns) == 0 && ns.st_dev == self->st_dev &&
	       ns.st_ino == self->st_ino;
}

static int daemon_cb(const char *dir, const char *name, void *arg)
{
	struct daemons *d = arg;
	char *end;
	long pid = strtol(name, &end, 10);
	uint64_t eff;

	(void)dir;
	if (*end || end == name || pid <= 0)
		return 0;
	/* A process gone meanwhile is no daemon. */
	if (!is_daemon(pid, &d->self) || cap_eff(pid, &eff) < 0)
		return 0;
	d->n++;
	return audit_caps_eval(pid, eff, d->needed, d->a);
}

int audit_daemons(const struct icc_policy *p, struct icc_audit *a)
{
	struct daemons d = { .a = a, .needed = audit_daemon_needs(p) };
	int ret;

	if (stat("/proc/self/ns/net", &d.self) < 0)
		return -errno;
	if ((ret = dir_each("/proc", daemon_cb, &d)) < 0)
		return ret;
	if (d.n)
		return 0;
	return audit_add(a, AUDIT_DAEMON_CAPS, ICC_AUDIT_WARN, "", "systemctl enable --now icc-policyd",
			 "no icc-policyd runs in this network namespace: ports that appear later are not bound (anti-spoofing) and named containers that start later get no links until the next icc-policy apply");
}
