/*
 * The route struct and cross-check sums of the C references of both benchmarks
 * (scripts/bench/walk.c, scripts/bench/socket/ref.c), as scripts/bench/sums.ts counts them:
 * every implementation reads the same fields of the same routes, so equal sums show that
 * each decoded what the others did. Included by one file per program: the definitions are
 * static.
 */
#ifndef NLWIRE_BENCH_ROUTE_SUMS_H
#define NLWIRE_BENCH_ROUTE_SUMS_H

#include <stdint.h>

/* One route as an application would keep it: the work of building a typed route object. */
struct route {
	uint8_t family, dst_len, has_dst, has_gateway, has_prefsrc;
	uint8_t dst[16], gateway[16], prefsrc[16];
	uint32_t oif, table, priority;
};

struct sums {
	unsigned long routes, dst, gateway, prefsrc, oif, table, priority;
};

static struct sums sums;

/* Not inlined, so that the compiler cannot drop the work of filling the route. */
static __attribute__((noinline)) void consume(const struct route *r)
{
	sums.routes++;
	sums.dst += r->has_dst;
	sums.gateway += r->has_gateway;
	sums.prefsrc += r->has_prefsrc;
	sums.oif += r->oif;
	sums.table += r->table;
	sums.priority += r->priority;
}

/* qsort comparator of doubles, ascending. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

#endif
