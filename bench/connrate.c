// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * New TCP connections per second through a firewall (bench/run, measurement 5).
 *
 *   connrate server PORT SECONDS      accept and close, until SECONDS pass
 *   connrate client ADDR PORT SECONDS connect and close as fast as possible
 *
 * The client prints one line: "<connections/s> <connections> <failures>
 * <seconds>". Every connection is new to conntrack, so each one sends its
 * SYN through the forward chain's policy lookup; what follows it is
 * established traffic. The client closes with SO_LINGER 0 (an RST, no
 * TIME_WAIT), so that its ephemeral ports never run out whatever the rate.
 * Both ends stop by themselves (an alarm), so nothing outlives a run.
 *
 * Built by bench/run itself: cc -O2 -o connrate connrate.c
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_alarm(int sig)
{
	(void)sig;
	stop = 1;
}

/* SIGALRM without SA_RESTART: a blocked accept() or connect() returns. */
static void arm(unsigned seconds)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int server(int port, unsigned seconds)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd, c;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4096) < 0) {
		perror("connrate server");
		return 1;
	}
	arm(seconds);
	while (!stop) {
		c = accept(fd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
	close(fd);
	return 0;
}

/* One connection: 0 when the handshake completed. */
static int one_conn(const struct sockaddr_in *sa)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct timeval tv = { .tv_sec = 1 };	/* a dropped SYN costs 1 s, not 127 */
	int fd = socket(AF_INET, SOCK_STREAM, 0), ret;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	return ret;
}

static int client(const char *addr, int port, unsigned seconds)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	unsigned long ok = 0, failed = 0;
	double t0, t;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "connrate client: bad address %s\n", addr);
		return 1;
	}
	arm(seconds);
	t0 = now();
	while (!stop) {
		if (one_conn(&sa) == 0)
			ok++;
		else if (!stop)
			failed++;
	}
	t = now() - t0;
	printf("%.1f %lu %lu %.3f\n", (double)ok / t, ok, failed, t);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]), (unsigned)atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), (unsigned)atoi(argv[4]));
	fprintf(stderr, "usage: connrate server PORT SECONDS | client ADDR PORT SECONDS\n");
	return 2;
}
