/**
 * The checksums both benchmarks (scripts/bench.ts, scripts/bench-socket.ts) compare across
 * implementations: every implementation reads the same fields of the same routes, so equal
 * sums show that each decoded what the others did.
 *
 * @module
 */
import type { NlMsg } from '../../src/netlink/message.js';
import { RTM_NEWROUTE, type RouteAttrs, type RtMsg } from '../../src/rtnl/route.js';

/** The sums every implementation reports for the same routes. */
export interface Sums {
  routes: number;
  dst: number;
  gateway: number;
  prefsrc: number;
  oif: number;
  table: number;
  priority: number;
}

/** The keys of {@link Sums}, in the order the reports print them. */
export const SUM_KEYS = ['routes', 'dst', 'gateway', 'prefsrc', 'oif', 'table', 'priority'] as const;

/** All sums zero. */
export function zeroSums(): Sums {
  return { routes: 0, dst: 0, gateway: 0, prefsrc: 0, oif: 0, table: 0, priority: 0 };
}

/** The route fields the sums read, by their nlwire names (RTA_PRIORITY is `priority`). */
export interface RouteFields {
  dst?: unknown;
  gateway?: unknown;
  prefsrc?: unknown;
  oif?: number;
  /** RTA_TABLE; `rtmTable` stands in when it is absent. */
  table?: number;
  priority?: number;
}

/** Adds one route: the reads an application makes of it. */
export function addRouteFields(s: Sums, a: RouteFields, rtmTable: number): void {
  s.routes++;
  if (a.dst !== undefined) s.dst++;
  if (a.gateway !== undefined) s.gateway++;
  if (a.prefsrc !== undefined) s.prefsrc++;
  s.oif += a.oif ?? 0;
  s.table += a.table ?? rtmTable;
  s.priority += a.priority ?? 0;
}

/** Adds one decoded message to the sums when it is an RTM_NEWROUTE. */
export function addRoute(s: Sums, m: NlMsg): void {
  if (m.type === RTM_NEWROUTE) addRouteFields(s, m.attrs as RouteAttrs, (m.body as RtMsg).table);
}
