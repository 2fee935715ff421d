/*
 * The C reference of the decode benchmark (scripts/bench.ts): the practical limit.
 *
 * Reads a recording of [u32 length][datagram] records (dump.c writes them), then walks
 * every datagram nlmsghdr -> rtmsg -> each attribute by hand, checking lengths as libmnl
 * does, and copies dst, gateway, prefsrc, oif, table and priority into a struct: the work
 * of building a typed route object, minus the allocation and the text forms of addresses.
 * Each route is handed to a non-inlined consumer so the compiler cannot drop the work.
 *
 * MODE `hand` (the default, the reference) is that hand loop. MODE `mnl` does the same
 * through libmnl as its examples do (rtnl-route-dump.c): mnl_cb_run per datagram,
 * mnl_attr_parse with a callback that validates each attribute into a table, then the
 * route read from the table.
 *
 * usage: walk FILE [REPEATS] [hand|mnl]
 * Prints one JSON line: routes, the cross-check sums, and ns per pass (best, median).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include "route_sums.h"

static int copy_addr(uint8_t *to, const struct nlattr *a)
{
	size_t n = a->nla_len - NLA_HDRLEN;
	if (n != 4 && n != 16)
		return 0;
	memcpy(to, (const char *)a + NLA_HDRLEN, n);
	return 1;
}

static int get_u32(uint32_t *to, const struct nlattr *a)
{
	if (a->nla_len - NLA_HDRLEN != 4)
		return -1;
	memcpy(to, (const char *)a + NLA_HDRLEN, 4);
	return 0;
}

/* Walks one datagram; returns -1 on malformed bytes. */
static int walk_datagram(const uint8_t *buf, size_t len)
{
	size_t off = 0;
	while (len - off >= NLMSG_HDRLEN) {
		const struct nlmsghdr *nlh = (const void *)(buf + off);
		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len - off)
			return -1;
		if (nlh->nlmsg_type == RTM_NEWROUTE) {
			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg)))
				return -1;
			const struct rtmsg *rtm = NLMSG_DATA(nlh);
			struct route r;
			memset(&r, 0, sizeof(r));
			r.family = rtm->rtm_family;
			r.dst_len = rtm->rtm_dst_len;
			r.table = rtm->rtm_table;
			size_t aoff = off + NLMSG_SPACE(sizeof(struct rtmsg));
			size_t aend = off + nlh->nlmsg_len;
			while (aend - aoff >= NLA_HDRLEN) {
				const struct nlattr *a = (const void *)(buf + aoff);
				if (a->nla_len < NLA_HDRLEN || a->nla_len > aend - aoff)
					return -1;
				switch (a->nla_type & NLA_TYPE_MASK) {
				case RTA_DST: r.has_dst = copy_addr(r.dst, a); break;
				case RTA_GATEWAY: r.has_gateway = copy_addr(r.gateway, a); break;
				case RTA_PREFSRC: r.has_prefsrc = copy_addr(r.prefsrc, a); break;
				case RTA_OIF: if (get_u32(&r.oif, a)) return -1; break;
				case RTA_TABLE: if (get_u32(&r.table, a)) return -1; break;
				case RTA_PRIORITY: if (get_u32(&r.priority, a)) return -1; break;
				default: break;
				}
				aoff += NLA_ALIGN(a->nla_len);
			}
			consume(&r);
		}
		off += NLMSG_ALIGN(nlh->nlmsg_len);
		if (off > len)
			break;
	}
	return 0;
}

static int mnl_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case RTA_OIF:
	case RTA_TABLE:
	case RTA_PRIORITY:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case RTA_DST:
	case RTA_GATEWAY:
	case RTA_PREFSRC:
		if (mnl_attr_validate(a, MNL_TYPE_BINARY) < 0)
			return MNL_CB_ERROR;
		break;
	}
	tb[type] = a;
	return MNL_CB_OK;
}

static int mnl_route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	(void)data;
	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return MNL_CB_OK;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*rtm), mnl_attr_cb, tb) < 0)
		return MNL_CB_ERROR;
	struct route r;
	memset(&r, 0, sizeof(r));
	r.family = rtm->rtm_family;
	r.dst_len = rtm->rtm_dst_len;
	r.table = rtm->rtm_table;
	if (tb[RTA_DST])
		r.has_dst = copy_addr(r.dst, tb[RTA_DST]);
	if (tb[RTA_GATEWAY])
		r.has_gateway = copy_addr(r.gateway, tb[RTA_GATEWAY]);
	if (tb[RTA_PREFSRC])
		r.has_prefsrc = copy_addr(r.prefsrc, tb[RTA_PREFSRC]);
	if (tb[RTA_OIF])
		r.oif = mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_TABLE])
		r.table = mnl_attr_get_u32(tb[RTA_TABLE]);
	if (tb[RTA_PRIORITY])
		r.priority = mnl_attr_get_u32(tb[RTA_PRIORITY]);
	consume(&r);
	return MNL_CB_OK;
}

/* Walks one datagram with libmnl; seq and portid 0 skip libmnl's sequence checks. */
static int walk_datagram_mnl(const uint8_t *buf, size_t len)
{
	return mnl_cb_run(buf, len, 0, 0, mnl_route_cb, NULL) < 0 ? -1 : 0;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE [REPEATS] [hand|mnl]\n", argv[0]);
		return 2;
	}
	int repeats = argc > 2 ? atoi(argv[2]) : 21;
	if (repeats < 1)
		repeats = 1;
	int use_mnl = argc > 3 && strcmp(argv[3], "mnl") == 0;
	int (*walk)(const uint8_t *, size_t) = use_mnl ? walk_datagram_mnl : walk_datagram;
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *data = malloc(size > 0 ? size : 1);
	if (!data || fread(data, 1, size, f) != (size_t)size) {
		perror(argv[1]);
		return 1;
	}
	fclose(f);

	/* Index the records once: the walk reads datagrams in place, as a receive loop would. */
	size_t cap = 1024, n = 0;
	size_t *offs = malloc(cap * sizeof(*offs));
	uint32_t *lens = malloc(cap * sizeof(*lens));
	unsigned long bytes = 0;
	for (long o = 0; o + 4 <= size;) {
		uint32_t len;
		memcpy(&len, data + o, 4);
		if (o + 4 + (long)len > size) {
			fprintf(stderr, "%s: truncated record at %ld\n", argv[1], o);
			return 1;
		}
		if (n == cap) {
			cap *= 2;
			offs = realloc(offs, cap * sizeof(*offs));
			lens = realloc(lens, cap * sizeof(*lens));
		}
		offs[n] = o + 4;
		lens[n++] = len;
		bytes += len;
		o += 4 + len;
	}

	double *times = malloc(repeats * sizeof(*times));
	struct sums first = { 0 };
	for (int i = 0; i < repeats + 1; i++) {
		memset(&sums, 0, sizeof(sums));
		double t0 = now_ns();
		for (size_t d = 0; d < n; d++) {
			if (walk(data + offs[d], lens[d]) < 0) {
				fprintf(stderr, "%s: malformed datagram %zu\n", argv[1], d);
				return 1;
			}
		}
		double t = now_ns() - t0;
		if (i == 0)
			first = sums; /* the first pass warms the caches and is not timed */
		else
			times[i - 1] = t;
	}
	qsort(times, repeats, sizeof(*times), cmp_double);
	printf("{\"mode\":\"%s\",\"datagrams\":%zu,\"bytes\":%lu,\"routes\":%lu,\"dst\":%lu,\"gateway\":%lu,"
	       "\"prefsrc\":%lu,\"oif\":%lu,\"table\":%lu,\"priority\":%lu,"
	       "\"repeats\":%d,\"bestNs\":%.0f,\"medianNs\":%.0f}\n",
	       use_mnl ? "mnl" : "hand", n, bytes, first.routes, first.dst, first.gateway, first.prefsrc, first.oif,
	       first.table, first.priority, repeats, times[0], times[repeats / 2]);
	return 0;
}
