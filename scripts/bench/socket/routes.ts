/**
 * The route set of the socket benchmark, shared by the orchestrator (scripts/bench-socket.ts),
 * the JavaScript worker (./worker.ts) and, by the same formula, the C reference (./ref.c)
 * and the pyroute2 script (./pyroute2_socket.py). Documentation ranges only.
 *
 * - IPv4, route i: prefix `i % 1022` of 198.51.100.0/24 and 203.0.113.0/24 cut into every
 *   length /24../32 (1022 prefixes); table main for the first 1022, then 1000 + i / 1022, so
 *   100,000 routes fill main and 97 more tables; via 192.0.2.1 src 192.0.2.10 dev veth0.
 *   Table main holds a /32 for every host address of the two /24s, so a route get of any of
 *   them ({@link getDst}) returns a route with a gateway and a prefsrc.
 * - IPv6, route i: 2001:db8:ff::(i >> 16):(i & 0xffff)/128 in table main,
 *   via 2001:db8:1::1 src 2001:db8:1::10 dev veth0.
 *
 * @module
 */

/** IP version of a route set. */
export type Family = 4 | 6;

/** Prefixes of one IPv4 table, in the order C and Python rebuild them. */
export const V4_PREFIXES: readonly string[] = ((): string[] => {
  const out: string[] = [];
  for (const net of ['198.51.100', '203.0.113']) {
    for (let len = 24; len <= 32; len++) {
      const step = 1 << (32 - len);
      for (let host = 0; host < 256; host += step) out.push(`${net}.${host}/${len}`);
    }
  }
  return out;
})();

/** RT_TABLE_MAIN. */
export const TABLE_MAIN = 254;

/** The device, next hop and preferred source of each family. */
export const NEXT_HOP = {
  4: { dev: 'veth0', gateway: '192.0.2.1', prefsrc: '192.0.2.10', addr: '192.0.2.10/24' },
  6: { dev: 'veth0', gateway: '2001:db8:1::1', prefsrc: '2001:db8:1::10', addr: '2001:db8:1::10/64' },
} as const;

/** Table of route `i`. */
export function tableOf(family: Family, i: number): number {
  if (family === 6 || i < V4_PREFIXES.length) return TABLE_MAIN;
  return 1000 + Math.floor(i / V4_PREFIXES.length);
}

/** Destination prefix of route `i`. */
export function dstOf(family: Family, i: number): string {
  if (family === 4) return V4_PREFIXES[i % V4_PREFIXES.length]!;
  return `2001:db8:ff::${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}/128`;
}

/** Route `i` as the client's `route.add` takes it. */
export interface BenchRoute {
  dst: string;
  gateway: string;
  prefsrc: string;
  dev: string;
  table: number;
}

export function routeOf(family: Family, i: number): BenchRoute {
  const h = NEXT_HOP[family];
  return { dst: dstOf(family, i), gateway: h.gateway, prefsrc: h.prefsrc, dev: h.dev, table: tableOf(family, i) };
}

/** `ip -batch` lines adding routes [start, start + n). */
export function ipBatch(family: Family, n: number, start = 0): string {
  const lines: string[] = [];
  for (let i = start; i < start + n; i++) {
    const r = routeOf(family, i);
    lines.push(`${family === 6 ? '-6 ' : ''}route add ${r.dst} via ${r.gateway} src ${r.prefsrc} dev ${r.dev} table ${r.table}`);
  }
  return lines.join('\n') + '\n';
}

/** Destination of route get `i`: the host addresses of the two /24s, in turn. */
export function getDst(i: number): string {
  const h = i % 512;
  return `${h < 256 ? '198.51.100' : '203.0.113'}.${h % 256}`;
}
