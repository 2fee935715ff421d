/**
 * A batch larger than the in-flight bound resumes as replies come back: its later chunks are
 * sent from the dispatch of earlier replies, and their ACKs must still be read before the
 * receive buffer overruns (a 100,000-route addMany once failed with ENOBUFS at 6,433).
 * The 30,000 routes then serve `route.list().pages()`: a dump of many datagrams.
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

  it('route.list().pages() hands out the same routes as the iterator, a datagram at a time', async () => {
    const nl = await Rtnl.open({ netns: ns.name });
    try {
      const key = (r: { dst: string; table: number; type: number }): string => `${r.dst} ${r.table} ${r.type}`;
      const one: string[] = [];
      for await (const r of nl.route.list({ family: 6, table: 'all' })) one.push(key(r));
      expect(one.length).toBeGreaterThanOrEqual(30_000);

      const sizes: number[] = [];
      const paged: string[] = [];
      const datagrams = nl.socket.stats.received;
      for await (const page of nl.route.list({ family: 6, table: 'all' }).pages()) {
        sizes.push(page.length);
        for (const r of page) paged.push(key(r));
      }
      expect(paged).toEqual(one);
      expect(Math.min(...sizes)).toBeGreaterThan(0);
      // A page per datagram that held routes (the last datagram is NLMSG_DONE alone).
      expect(sizes.length).toBeGreaterThan(10);
      expect(sizes.length).toBeLessThanOrEqual(nl.socket.stats.received - datagrams);

      // Some one by one, then the rest in pages: the first page is the rest of its datagram.
      const list = nl.route.list({ family: 6, table: 'all' });
      const mixed: string[] = [];
      for (let i = 0; i < 5; i++) mixed.push(key((await list.next()).value!));
      for await (const page of list.pages()) for (const r of page) mixed.push(key(r));
      expect(mixed).toEqual(one);
      expect((await list.next()).done).toBe(true);

      // Leaving the loop early ends the dump (the socket discards the rest of it): the next
      // dump gets every route, and nothing stays in flight.
      for await (const page of nl.route.list({ family: 6, table: 'all' }).pages()) if (page.length) break;
      let again = 0;
      for await (const page of nl.route.list({ family: 6, table: 'all' }).pages()) again += page.length;
      expect(again).toBe(one.length);
      expect(nl.socket.inFlight).toBe(0);
    } finally {
      nl.close();
    }
  });

  it('route.list().pages() rejects as the iterator does', async () => {
    const nl = await Rtnl.open({ netns: ns.name });
    try {
      await expect(nl.route.list({ dev: 'nosuch0' }).pages().next()).rejects.toThrow(/nosuch0/);
      await expect(nl.route.list({ dev: 'nosuch0' }).next()).rejects.toThrow(/nosuch0/);
    } finally {
      nl.close();
    }
  });
});
