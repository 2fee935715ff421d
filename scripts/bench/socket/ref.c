/*
 * The C reference of the socket benchmark (scripts/bench-socket.ts): a libmnl client doing
 * what the benchmark asks of nlwire, over one NETLINK_ROUTE socket, run inside the
 * benchmark's namespace (ip netns exec NS ref MODE ...).
 *
 * The socket is set up as nlwire's and iproute2's are: NETLINK_EXT_ACK, NETLINK_CAP_ACK,
 * NETLINK_GET_STRICT_CHK, and a receive buffer forced to RCVBUF bytes (SO_RCVBUFFORCE; the
 * kernel doubles it). Routes are those of scripts/bench/socket/routes.ts, computed here
 * from their index with the same formula:
 *
 *   family 4: prefix i % 1022 of 198.51.100.0/24 and 203.0.113.0/24 cut into /24../32,
 *             table main for i < 1022, else 1000 + i / 1022; via 192.0.2.1 src 192.0.2.10
 *   family 6: 2001:db8:ff::(i >> 16):(i & 0xffff)/128 in table main;
 *             via 2001:db8:1::1 src 2001:db8:1::10
 *
 * always with dev veth0, protocol boot, scope universe, type unicast, as `ip route add`.
 *
 * Modes (each prints one JSON line on stdout):
 *   get N [K] [ack]     route gets of the host addresses of the two /24s, in turn: K = 1 one
 *                       at a time, else K in flight (one sendto per request, a new one sent
 *                       for each reply read); every reply parsed with mnl_attr_parse.
 *                       Without "ack" (iproute2's way for a get) a get is one send and one
 *                       recv. Prints latency p50/p99 (us) and gets/s.
 *   add N FAMILY [START]               acked one by one: sendto, recvfrom of the ACK.
 *   add-pipelined N FAMILY [BATCH]     BATCH requests (default 256) per sendto, each with
 *                                      NLM_F_ACK; the ACKs read before the next send.
 *   add-noack N FAMILY [BATCH]         BATCH requests per sendto without NLM_F_ACK (the
 *                                      kernel then answers only failures); the last request
 *                                      of the run is acked, as a barrier.
 *   dump FAMILY REPEATS                every table of FAMILY: recv only (the datagrams read
 *                                      to NLMSG_DONE, headers walked) and fully parsed (each
 *                                      route through mnl_attr_parse into a struct). Prints
 *                                      ms per dump (best, median) of each.
 *   count FAMILY                       one dump: the number of routes of FAMILY.
 *
 * Each figure comes with the CPU time (user + system, getrusage) of the measured part: the
 * kernel's netlink work runs in the process's own context, so this counts it too, and is
 * less disturbed than wall time by other load on a shared machine.
 *
 * usage: ref MODE ARGS... ; RCVBUF from the environment variable REF_RCVBUF (default 8 MiB).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include "../route_sums.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

#define PREFIXES 1022
#define RECV_SIZE 32768

static struct mnl_socket *nl;
static unsigned int portid;
static int ifindex;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* User + system CPU seconds of this process so far: the kernel's netlink work runs in it. */
static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "ref: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void open_socket(void)
{
	const char *env = getenv("REF_RCVBUF");
	int rcvbuf = env ? atoi(env) : 8 << 20;
	int one = 1;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		die("mnl_socket_open");
	int fd = mnl_socket_get_fd(nl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0
	    && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0)
		die("SO_RCVBUF");
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("mnl_socket_bind");
	portid = mnl_socket_get_portid(nl);
	ifindex = (int)if_nametoindex("veth0");
	if (!ifindex)
		die("if_nametoindex veth0");
}

/* ---- the route set ------------------------------------------------------------------- */

struct prefix {
	uint32_t addr; /* network order */
	uint8_t len;
};

static struct prefix prefixes[PREFIXES];

static void init_prefixes(void)
{
	static const uint32_t nets[2] = { 0xc6336400u /* 198.51.100.0 */, 0xcb007100u /* 203.0.113.0 */ };
	int n = 0;
	for (int k = 0; k < 2; k++)
		for (int len = 24; len <= 32; len++) {
			int step = 1 << (32 - len);
			for (int host = 0; host < 256; host += step) {
				prefixes[n].addr = htonl(nets[k] + host);
				prefixes[n].len = (uint8_t)len;
				n++;
			}
		}
}

static uint32_t table_of(int family, long i)
{
	if (family == 6 || i < PREFIXES)
		return RT_TABLE_MAIN;
	return 1000 + (uint32_t)(i / PREFIXES);
}

static void v6_dst(long i, uint8_t out[16])
{
	static const uint8_t base[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xff };
	memcpy(out, base, 16);
	out[12] = (uint8_t)(i >> 24);
	out[13] = (uint8_t)(i >> 16);
	out[14] = (uint8_t)(i >> 8);
	out[15] = (uint8_t)i;
}

/* RTM_NEWROUTE as `ip route add DST via GW src PREFSRC dev veth0 table T` builds it. */
static struct nlmsghdr *put_route(char *buf, int family, long i, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | flags;
	nlh->nlmsg_seq = seq;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	uint32_t table = table_of(family, i);
	rtm->rtm_family = family == 6 ? AF_INET6 : AF_INET;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	if (family == 6) {
		uint8_t dst[16], gw[16], src[16];
		v6_dst(i, dst);
		inet_pton(AF_INET6, "2001:db8:1::1", gw);
		inet_pton(AF_INET6, "2001:db8:1::10", src);
		rtm->rtm_dst_len = 128;
		mnl_attr_put(nlh, RTA_DST, 16, dst);
		mnl_attr_put(nlh, RTA_GATEWAY, 16, gw);
		mnl_attr_put(nlh, RTA_PREFSRC, 16, src);
	} else {
		const struct prefix *p = &prefixes[i % PREFIXES];
		rtm->rtm_dst_len = p->len;
		if (table >= 256)
			mnl_attr_put_u32(nlh, RTA_TABLE, table);
		mnl_attr_put_u32(nlh, RTA_DST, p->addr);
		mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(0xc0000201u));  /* 192.0.2.1 */
		mnl_attr_put_u32(nlh, RTA_PREFSRC, htonl(0xc000020au));  /* 192.0.2.10 */
	}
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	return nlh;
}

/* ---- replies ------------------------------------------------------------------------- */

static unsigned long failures;
static int first_errno;

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);
	if (mnl_attr_type_valid(attr, RTA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case RTA_OIF: case RTA_TABLE: case RTA_PRIORITY:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case RTA_DST: case RTA_GATEWAY: case RTA_PREFSRC:
		if (mnl_attr_get_payload_len(attr) != 4 && mnl_attr_get_payload_len(attr) != 16)
			return MNL_CB_ERROR;
		break;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

static void copy_addr(uint8_t *to, uint8_t *has, const struct nlattr *a)
{
	if (!a)
		return;
	memcpy(to, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
	*has = 1;
}

/* A route reply: every attribute validated into a table, the route read into a struct. */
static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	struct route r;
	memset(&r, 0, sizeof(r));
	r.family = rtm->rtm_family;
	r.dst_len = rtm->rtm_dst_len;
	copy_addr(r.dst, &r.has_dst, tb[RTA_DST]);
	copy_addr(r.gateway, &r.has_gateway, tb[RTA_GATEWAY]);
	copy_addr(r.prefsrc, &r.has_prefsrc, tb[RTA_PREFSRC]);
	r.oif = tb[RTA_OIF] ? mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	r.table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	r.priority = tb[RTA_PRIORITY] ? mnl_attr_get_u32(tb[RTA_PRIORITY]) : 0;
	consume(&r);
	return MNL_CB_OK;
}

/* NLMSG_ERROR: an ACK (0) or a failure, counted (libmnl's default would stop the run). */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	if (e->error) {
		failures++;
		if (!first_errno)
			first_errno = -e->error;
	}
	return MNL_CB_STOP;
}

static mnl_cb_t ctl_cb[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = error_cb };

static void recv_one(char *buf)
{
	ssize_t n = mnl_socket_recvfrom(nl, buf, RECV_SIZE);
	if (n < 0)
		die("recvfrom");
	/* seq 0: replies of any request; each datagram is checked for its port id. */
	if (mnl_cb_run2(buf, (size_t)n, 0, portid, route_cb, NULL, ctl_cb, NLMSG_MIN_TYPE) < 0)
		die("mnl_cb_run2");
}

static void send_buf(const void *buf, size_t len)
{
	if (mnl_socket_sendto(nl, buf, len) < 0)
		die("sendto");
}

/* ---- modes --------------------------------------------------------------------------- */

static void put_get(char *buf, long i, uint32_t seq, int ack)
{
	long h = i % 512;
	uint32_t dst = (h < 256 ? 0xc6336400u : 0xcb007100u) + (uint32_t)(h % 256);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | (ack ? NLM_F_ACK : 0);
	nlh->nlmsg_seq = seq;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_flags = RTM_F_LOOKUP_TABLE;
	mnl_attr_put_u32(nlh, RTA_DST, htonl(dst));
}

static int mode_get(long n, int k, int ack)
{
	static char buf[RECV_SIZE];
	char req[256];
	double *lat = malloc(sizeof(double) * (size_t)n);
	double *sent = calloc((size_t)n + 1, sizeof(double));
	if (!lat || !sent)
		die("malloc");
	/* Warm-up: the kernel's caches and ours. */
	for (long i = 0; i < 2000; i++) {
		struct nlmsghdr *nlh = (put_get(req, i, (uint32_t)(n + 1), 0), (struct nlmsghdr *)req);
		send_buf(nlh, nlh->nlmsg_len);
		recv_one(buf);
	}
	memset(&sums, 0, sizeof(sums));
	int per = ack ? 2 : 1;
	double c0 = cpu_s();
	double t0 = now_us();
	if (k <= 1) {
		for (long i = 0; i < n; i++) {
			double a = now_us();
			put_get(req, i, (uint32_t)i + 1, ack);
			send_buf(req, ((struct nlmsghdr *)req)->nlmsg_len);
			for (int j = 0; j < per; j++)
				recv_one(buf);
			lat[i] = now_us() - a;
		}
	} else {
		long next = 0, done = 0, datagrams = 0;
		for (; next < k && next < n; next++) {
			put_get(req, next, (uint32_t)next + 1, ack);
			sent[next] = now_us();
			send_buf(req, ((struct nlmsghdr *)req)->nlmsg_len);
		}
		while (done < n) {
			ssize_t len = mnl_socket_recvfrom(nl, buf, RECV_SIZE);
			if (len < 0)
				die("recvfrom");
			const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
			uint32_t seq = nlh->nlmsg_seq;
			if (mnl_cb_run2(buf, (size_t)len, seq, portid, route_cb, NULL, ctl_cb, NLMSG_MIN_TYPE) < 0)
				die("mnl_cb_run2");
			datagrams++;
			/* With ACKs a request ends at its second datagram, the ACK. */
			if (ack && nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			lat[done++] = now_us() - sent[seq - 1];
			if (next < n) {
				put_get(req, next, (uint32_t)next + 1, ack);
				sent[next] = now_us();
				send_buf(req, ((struct nlmsghdr *)req)->nlmsg_len);
				next++;
			}
		}
	}
	double secs = (now_us() - t0) / 1e6;
	double cpu = cpu_s() - c0;
	if (sums.routes != (unsigned long)n || sums.prefsrc != (unsigned long)n) {
		fprintf(stderr, "ref get: %lu routes, %lu with prefsrc, for %ld gets\n", sums.routes, sums.prefsrc, n);
		return 1;
	}
	qsort(lat, (size_t)n, sizeof(double), cmp_double);
	printf("{\"n\":%ld,\"inflight\":%d,\"ack\":%d,\"p50us\":%.3f,\"p99us\":%.3f,\"meanus\":%.3f,\"seconds\":%.6f,"
	       "\"perSecond\":%.1f,\"cpuSeconds\":%.6f,\"routes\":%lu,\"prefsrc\":%lu}\n",
	       n, k, ack, lat[n / 2], lat[(size_t)(n * 0.99)], secs * 1e6 / n, secs, n / secs, cpu, sums.routes, sums.prefsrc);
	return 0;
}

enum add_mode { ADD_ACKED, ADD_PIPELINED, ADD_NOACK };

static int mode_add(long n, int family, enum add_mode mode, long batch, long start)
{
	static char buf[RECV_SIZE];
	size_t cap = (size_t)(batch > 0 ? batch : 1) * 128;
	char *out = malloc(cap);
	if (!out)
		die("malloc");
	double c0 = cpu_s();
	double t0 = now_us();
	long sends = 0;
	if (mode == ADD_ACKED) {
		for (long i = 0; i < n; i++) {
			struct nlmsghdr *nlh = put_route(out, family, start + i, NLM_F_ACK, (uint32_t)i + 1);
			send_buf(nlh, nlh->nlmsg_len);
			recv_one(buf);
		}
		sends = n;
	} else {
		for (long i = 0; i < n; i += batch) {
			long end = i + batch < n ? i + batch : n;
			size_t len = 0;
			for (long j = i; j < end; j++) {
				int ack = mode == ADD_PIPELINED || j == n - 1;
				struct nlmsghdr *nlh = put_route(out + len, family, start + j, ack ? NLM_F_ACK : 0, (uint32_t)j + 1);
				len += NLMSG_ALIGN(nlh->nlmsg_len);
			}
			send_buf(out, len);
			sends++;
			if (mode == ADD_PIPELINED)
				for (long j = i; j < end; j++)
					recv_one(buf);
		}
		if (mode == ADD_NOACK) {
			/* Failures arrive as NLMSG_ERRORs before the last request's ACK: read up to it. */
			for (;;) {
				ssize_t len = mnl_socket_recvfrom(nl, buf, RECV_SIZE);
				if (len < 0)
					die("recvfrom");
				const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
				int last = nlh->nlmsg_type == NLMSG_ERROR && nlh->nlmsg_seq == (uint32_t)n;
				mnl_cb_run2(buf, (size_t)len, 0, portid, NULL, NULL, ctl_cb, NLMSG_MIN_TYPE);
				if (last)
					break;
			}
		}
	}
	double secs = (now_us() - t0) / 1e6;
	double cpu = cpu_s() - c0;
	printf("{\"n\":%ld,\"batch\":%ld,\"sends\":%ld,\"seconds\":%.6f,\"perSecond\":%.1f,\"cpuSeconds\":%.6f,\"failures\":%lu,\"firstErrno\":%d}\n",
	       n, mode == ADD_ACKED ? 1 : batch, sends, secs, n / secs, cpu, failures, first_errno);
	return failures ? 1 : 0;
}

static int cmp_double_ms(const void *a, const void *b)
{
	return cmp_double(a, b);
}

static int mode_dump(int family, int repeats)
{
	static char buf[RECV_SIZE];
	char req[256];
	double *recv_ms = malloc(sizeof(double) * (size_t)repeats);
	double *parse_ms = malloc(sizeof(double) * (size_t)repeats);
	double *recv_cpu = malloc(sizeof(double) * (size_t)repeats);
	double *parse_cpu = malloc(sizeof(double) * (size_t)repeats);
	unsigned long datagrams = 0, bytes = 0, messages = 0;
	struct sums parsed = { 0 };
	if (!recv_ms || !parse_ms || !recv_cpu || !parse_cpu)
		die("malloc");
	for (int r = 0; r < 2 * repeats + 2; r++) {
		/* Passes alternate recv-only and parsed; the first two are warm-up. */
		int parse = r % 2;
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
		nlh->nlmsg_type = RTM_GETROUTE;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		nlh->nlmsg_seq = (uint32_t)r + 1;
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
		rtm->rtm_family = family == 6 ? AF_INET6 : AF_INET;
		memset(&sums, 0, sizeof(sums));
		unsigned long dg = 0, by = 0, msgs = 0;
		double c0 = cpu_s();
		double t0 = now_us();
		send_buf(nlh, nlh->nlmsg_len);
		for (int done = 0; !done;) {
			ssize_t len = mnl_socket_recvfrom(nl, buf, RECV_SIZE);
			if (len < 0)
				die("recvfrom");
			dg++;
			by += (unsigned long)len;
			if (parse) {
				int ret = mnl_cb_run(buf, (size_t)len, (uint32_t)r + 1, portid, route_cb, NULL);
				if (ret < 0)
					die("mnl_cb_run");
				done = ret == MNL_CB_STOP;
			} else {
				const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
				int left = (int)len;
				while (mnl_nlmsg_ok(h, left)) {
					msgs++;
					if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
						done = 1;
					h = mnl_nlmsg_next(h, &left);
				}
			}
		}
		double ms = (now_us() - t0) / 1e3;
		double cms = (cpu_s() - c0) * 1e3;
		if (r < 2)
			continue;
		if (parse) {
			parse_cpu[(r - 2) / 2] = cms;
			parse_ms[(r - 2) / 2] = ms;
			parsed = sums;
		} else {
			recv_cpu[(r - 2) / 2] = cms;
			recv_ms[(r - 2) / 2] = ms;
			datagrams = dg;
			bytes = by;
			messages = msgs;
		}
	}
	double best_recv = recv_ms[0], best_parse = parse_ms[0];
	for (int i = 1; i < repeats; i++) {
		if (recv_ms[i] < best_recv)
			best_recv = recv_ms[i];
		if (parse_ms[i] < best_parse)
			best_parse = parse_ms[i];
	}
	qsort(recv_ms, (size_t)repeats, sizeof(double), cmp_double_ms);
	qsort(parse_ms, (size_t)repeats, sizeof(double), cmp_double_ms);
	qsort(recv_cpu, (size_t)repeats, sizeof(double), cmp_double_ms);
	qsort(parse_cpu, (size_t)repeats, sizeof(double), cmp_double_ms);
	printf("{\"repeats\":%d,\"recvOnly\":{\"bestMs\":%.3f,\"medianMs\":%.3f,\"cpuMs\":%.3f},"
	       "\"parsed\":{\"bestMs\":%.3f,\"medianMs\":%.3f,\"cpuMs\":%.3f},"
	       "\"datagrams\":%lu,\"bytes\":%lu,\"messages\":%lu,\"routes\":%lu,\"dst\":%lu,\"gateway\":%lu,\"prefsrc\":%lu,"
	       "\"oif\":%lu,\"table\":%lu,\"priority\":%lu}\n",
	       repeats, best_recv, recv_ms[repeats / 2], recv_cpu[repeats / 2], best_parse, parse_ms[repeats / 2],
	       parse_cpu[repeats / 2], datagrams, bytes, messages,
	       parsed.routes, parsed.dst, parsed.gateway, parsed.prefsrc, parsed.oif, parsed.table, parsed.priority);
	return 0;
}

/* One dump of FAMILY: how many routes the namespace holds. */
static int mode_count(int family)
{
	static char buf[RECV_SIZE];
	char req[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family == 6 ? AF_INET6 : AF_INET;
	memset(&sums, 0, sizeof(sums));
	send_buf(nlh, nlh->nlmsg_len);
	int ret;
	do {
		ssize_t len = mnl_socket_recvfrom(nl, buf, RECV_SIZE);
		if (len < 0)
			die("recvfrom");
		ret = mnl_cb_run(buf, (size_t)len, 1, portid, route_cb, NULL);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		die("dump");
	printf("{\"routes\":%lu,\"prefsrc\":%lu}\n", sums.routes, sums.prefsrc);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: ref get N [K] [ack] | add|add-pipelined|add-noack N FAMILY [BATCH|START] | dump FAMILY REPEATS | count FAMILY\n");
		return 2;
	}
	init_prefixes();
	open_socket();
	const char *mode = argv[1];
	if (!strcmp(mode, "get"))
		return mode_get(atol(argv[2]), argc > 3 ? atoi(argv[3]) : 1, argc > 4 && !strcmp(argv[4], "ack"));
	if (!strcmp(mode, "add"))
		return mode_add(atol(argv[2]), argc > 3 ? atoi(argv[3]) : 4, ADD_ACKED, 1, argc > 4 ? atol(argv[4]) : 0);
	if (!strcmp(mode, "add-pipelined"))
		return mode_add(atol(argv[2]), argc > 3 ? atoi(argv[3]) : 4, ADD_PIPELINED, argc > 4 ? atol(argv[4]) : 256, 0);
	if (!strcmp(mode, "add-noack"))
		return mode_add(atol(argv[2]), argc > 3 ? atoi(argv[3]) : 4, ADD_NOACK, argc > 4 ? atol(argv[4]) : 256, 0);
	if (!strcmp(mode, "dump"))
		return mode_dump(atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 5);
	if (!strcmp(mode, "count"))
		return mode_count(atoi(argv[2]));
	fprintf(stderr, "ref: unknown mode %s\n", mode);
	return 2;
}
