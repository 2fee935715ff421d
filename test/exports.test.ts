/**
 * The package's entry points: `nlwire` (socket and client) and `nlwire/codec` (pure, no Node
 * imports) export the route paths a program builds on, values and types.
 */
import { describe, expect, it } from 'vitest';
import * as main from '../src/index.js';
import * as codec from '../src/codec.js';
import type { Route, RouteOptions, RouteGetOptions, GetResult, BulkResult, EncodedMessages } from '../src/index.js';

describe('entry points', () => {
  it('export the client, the socket, the request builders and the route fast paths', () => {
    for (const name of ['Rtnl', 'NetlinkSocket', 'routeRequest', 'routeGetRequest', 'routeView', 'decodeRoutes',
      'routeFromBytes', 'writeRouteRequest', 'writeRouteGetRequest', 'MissingDevice', 'decodeDatagram']) {
      expect(typeof (main as Record<string, unknown>)[name], name).toBe('function');
    }
    for (const name of ['routeRequest', 'routeView', 'decodeRoutes', 'writeRouteRequest', 'decodeDatagram']) {
      expect(typeof (codec as Record<string, unknown>)[name], name).toBe('function');
    }
    expect((codec as Record<string, unknown>).Rtnl).toBeUndefined();
    expect((codec as Record<string, unknown>).NetlinkSocket).toBeUndefined();
    // The types resolve (a compile-time check that tsc --noEmit in `npm test` runs).
    const o: RouteOptions = { dst: '203.0.113.0/24', gateway: '192.0.2.1' };
    const g: RouteGetOptions = { dst: '203.0.113.1' };
    const results: Array<GetResult | BulkResult> = [{ ok: true }];
    const e: EncodedMessages = { bytes: new Uint8Array(0), ends: [] };
    const r: Route | undefined = undefined;
    expect([o.dst, g.dst, results.length, e.ends.length, r]).toEqual(['203.0.113.0/24', '203.0.113.1', 1, 0, undefined]);
  });
});
