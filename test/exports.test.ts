/**
 * The package's entry points: `nlwire` (socket and client) and `nlwire/codec` (pure, no Node
 * imports) export the route paths a program builds on, values and types.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
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
    // The types are nameable from the entry point (checked by tsc in `npm test`).
    expectTypeOf<RouteOptions>().toHaveProperty('prefsrc');
    expectTypeOf<RouteGetOptions>().toHaveProperty('fibmatch');
    expectTypeOf<Route>().toHaveProperty('prefsrc').toEqualTypeOf<string | undefined>();
    expectTypeOf<GetResult>().toHaveProperty('ok');
    expectTypeOf<BulkResult>().toHaveProperty('ok');
    expectTypeOf<EncodedMessages>().toHaveProperty('ends');
  });
});
