/**
 * A batch larger than the in-flight bound resumes as replies come back: its later chunks are
 * sent from the dispatch of earlier replies, and their ACKs must still be read before the
 * receive buffer overruns (a 100,000-route addMany once failed with ENOBUFS at 6,433).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Rtnl } from '../../src/rtnl/client.js';
import { createNetns, netnsUnavailableReason, type Netns } from '../helpers/netns.js';

const unavailable = netnsUnavailableReason();
if (unavailable) console.warn(`\n*** batch kernel test SKIPPED: ${unavailable} ***\n`);

describe.skipIf(unavailable !== null)('route.addMany beyond the in-flight bound', () => {
  let ns: Netns;
  beforeAll(async () => { ns = await createNetns('nlwire-batch'); });
  afterAll(() => ns?.destroy());

  it('adds 30,000 routes with every ACK read and every result reported', async () => {
    const nl = await Rtnl.open({ netns: ns.name, maxInFlight: 4096 });
    try {
      const routes = Array.from({ length: 30_000 }, (_, i) => ({
        dst: `2001:db8:7:${(i >> 8).toString(16)}::${(i & 0xff).toString(16)}/128`, type: 'unreachable' as const,
      }));
      routes.push(routes[17]!, routes[29_999]!);
      const results = await nl.route.addMany(routes);
      expect(results).toHaveLength(30_002);
      const failed = results.flatMap((r, i) => (r.ok ? [] : [[i, 'code' in r.error ? r.error.code : r.error.name]]));
      expect(failed).toEqual([[30_000, 'EEXIST'], [30_001, 'EEXIST']]);
      expect(nl.socket.stats.overruns).toBe(0);
      expect(Number(ns.exec('ip -6 route show type unreachable | grep -c "^unreachable 2001:db8:7:"').trim())).toBe(30_000);
    } finally {
      nl.close();
    }
  });
});
