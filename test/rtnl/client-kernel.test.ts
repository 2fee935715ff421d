/**
 * The rtnetlink client against the kernel, side by side with iproute2 in the same private
 * namespace (created and deleted here; the host's interfaces, addresses, routes and rules
 * are never touched). Multi-homed: v1 (192.0.2.10/24, 2001:db8:1::10/64) and v2
 * (198.51.100.10/24, 2001:db8:2::10/64), each a veth with its peer (p1, p2) up, and
 * forwarding on so that `iif` lookups resolve. Only documentation ranges are used.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNetns, netnsUnavailableReason, ipIn, ipjIn, type IpResult, type Netns,
} from '../helpers/netns.js';
import { Rtnl, type RtnlEvent } from '../../src/rtnl/client.js';
import type { Route, RouteGetOptions } from '../../src/rtnl/request.js';
import { EncodeError, NetlinkError, TimeoutError } from '../../src/netlink/errors.js';
import { AF_INET, AF_INET6 } from '../../src/netlink/constants.js';
import { RTM_NEWROUTE } from '../../src/rtnl/route.js';
import { errnoText } from '../../src/netlink/errno.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const unavailable = netnsUnavailableReason();

let ns: Netns;
let nl: Rtnl;

/** `ip -n NS ...args`: exit status, stdout, stderr. */
const ip = (...args: string[]): IpResult => ipIn(ns, ...args);

/** `ip -j -n NS ...args`, parsed; throws on failure. */
const ipj = (...args: string[]): Record<string, unknown>[] => ipjIn(ns, ...args);

/** What `ip` printed for a failed command: the ext-ack message, or strerror's text. */
function ipFailure(...args: string[]): { extack?: string; strerror?: string; other?: string } {
  const r = ip(...args);
  expect(r.status, `ip ${args.join(' ')} should fail`).not.toBe(0);
  const ea = /^Error: (.*)\.$/m.exec(r.stderr);
  if (ea) return { extack: ea[1]! };
  const se = /RTNETLINK answers: (.*)$/m.exec(r.stderr);
  if (se) return { strerror: se[1]! };
  return { other: r.stderr.trim() };
}

/** The client's rejection for `p`: a NetlinkError. */
async function failure(p: Promise<unknown>): Promise<NetlinkError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(NetlinkError);
    return err as NetlinkError;
  }
  throw new Error('expected a NetlinkError, the call succeeded');
}

/** The client's error says what `ip` said. */
function expectSameFailure(e: NetlinkError, ipSays: ReturnType<typeof ipFailure>): void {
  if (ipSays.extack !== undefined) expect(e.extack?.msg).toBe(ipSays.extack);
  else if (ipSays.strerror !== undefined) {
    expect(e.extack?.msg).toBeUndefined();
    expect(errnoText(e.errno)).toBe(ipSays.strerror);
  } else expect(e.extack?.msg).toBe(ipSays.other);
}

/** Asserts a Route says what `ip -j route get|show` printed for it. */
function expectLikeIp(v: Route, j: Record<string, unknown>, ctx: string): void {
  const map: Record<string, (r: Route) => unknown> = {
    dst: (r) => r.dst, from: (r) => r.src, gateway: (r) => r.gateway, dev: (r) => r.dev, prefsrc: (r) => r.prefsrc,
    metric: (r) => r.metric, protocol: (r) => r.protocolName ?? String(r.protocol), scope: (r) => r.scopeName,
    type: (r) => r.typeName, table: (r) => r.tableName ?? String(r.table), flags: (r) => r.flags,
    pref: (r) => r.prefName, mark: (r) => r.mark, uid: (r) => r.uid, tos: (r) => `0x${r.tos.toString(16)}`,
    iif: (r) => r.iifDev,
    via: (r) => r.via && { family: r.via.family === 10 ? 'inet6' : 'inet', host: r.via.addr },
    nexthops: (r) => r.multipath?.map((h) => ({ gateway: h.gateway, dev: h.dev, weight: h.weight, flags: h.flags })),
  };
  for (const [k, want] of Object.entries(j)) {
    if (k === 'cache' || k === 'metrics') continue;
    expect(map[k], `${ctx}: ip -j key ${k} is not mapped`).toBeDefined();
    expect(map[k]!(v), `${ctx}: ${k}`).toEqual(want);
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe.skipIf(unavailable !== null)(`rtnl client in a private namespace${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  beforeAll(async () => {
    ns = await createNetns('nlwire-client');
    ns.exec([
      'ip link add v1 type veth peer name p1', 'ip link add v2 type veth peer name p2',
      'for d in v1 p1 v2 p2; do ip link set $d up; done',
      'ip addr add 192.0.2.10/24 dev v1', 'ip addr add 2001:db8:1::10/64 dev v1 nodad',
      'ip addr add 198.51.100.10/24 dev v2', 'ip addr add 2001:db8:2::10/64 dev v2 nodad',
      'sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1',
    ].join(' && '));
    nl = await Rtnl.open({ netns: ns.name });
  });

  afterAll(() => {
    nl?.close();
    ns?.destroy();
  });

  it('adds a route with a prefsrc that ip shows, and route get returns it', async () => {
    // Before the route exists, 203.0.113.5 is unreachable: ENETUNREACH, as ip says.
    const unreachable = await failure(nl.route.get({ dst: '203.0.113.5' }));
    expect(unreachable.message).toBe('route get 203.0.113.5: ENETUNREACH');
    expectSameFailure(unreachable, ipFailure('route', 'get', '203.0.113.5'));
    await nl.route.add({ dst: '203.0.113.0/24', gateway: '192.0.2.1', prefsrc: '192.0.2.10' });
    const shown = ipj('route', 'show', '203.0.113.0/24');
    expect(shown).toEqual([{ dst: '203.0.113.0/24', gateway: '192.0.2.1', dev: 'v1', prefsrc: '192.0.2.10', flags: [] }]);
    const [listed] = await collect(nl.route.list({ dst: '203.0.113.0/24' }));
    expect(listed).toMatchObject({ dst: '203.0.113.0/24', gateway: '192.0.2.1', dev: 'v1', prefsrc: '192.0.2.10', protocolName: 'boot' });
    const r = await nl.route.get({ dst: '203.0.113.5' });
    expect(r).toMatchObject({ family: 4, dst: '203.0.113.5', gateway: '192.0.2.1', dev: 'v1', oif: r.oif, prefsrc: '192.0.2.10', table: 254 });
    expect(r.oif).toBe(ipj('link', 'show', 'v1')[0]!.ifindex);
    expect('metric' in r).toBe(false);
  });

  it('adds IPv6, multipath, metrics and table routes as ip shows them', async () => {
    await nl.route.add({ dst: '2001:db8:3::/64', gateway: '2001:db8:1::1', metric: 1024, pref: 'high', dev: 'v1' });
    await nl.route.add({ dst: '203.0.113.0/24', table: 104, multipath: [
      { gateway: '192.0.2.1', dev: 'v1', weight: 2 }, { gateway: '198.51.100.1', dev: 'v2' }] });
    await nl.route.add({ dst: '198.51.100.128/25', gateway: '192.0.2.1', metric: 0, table: 1000, protocol: 'static',
      metrics: { mtu: 1400, advmss: 1300, ccAlgo: 'reno' } });
    for (const [family, table] of [[6, 'main'], [4, '104'], [4, '1000']] as const) {
      const routes = await collect(nl.route.list({ family, table: Number(table) || table }));
      const shown = ipj(`-${family}`, 'route', 'show', 'table', table);
      expect(routes.length, `table ${table}`).toBe(shown.length);
      routes.forEach((r, i) => expectLikeIp(r, shown[i]!, `IPv${family} table ${table} [${i}]`));
    }
    const [m] = await collect(nl.route.list({ table: 1000 }));
    expect(m).toMatchObject({ protocolName: 'static', metrics: { mtu: 1400, advmss: 1300, ccAlgo: 'reno' } });
    // The kernel leaves RTA_PRIORITY out of IPv4 routes of metric 0 (fib_dump_info): absent.
    expect('metric' in m!).toBe(false);
  });

  describe('route get equals ip -j route get', () => {
    const cases: [string, RouteGetOptions, string[]][] = [
      ['v4 connected', { dst: '198.51.100.5' }, ['198.51.100.5']],
      ['v4 via gateway', { dst: '203.0.113.5' }, ['203.0.113.5']],
      ['v4 every selector', { dst: '192.0.2.5', tos: 0x10, from: '192.0.2.10', mark: 16, uid: 1000, ipproto: 'tcp',
        sport: 1234, dport: 80, oif: 'v1' },
      ['tos', '0x10', '192.0.2.5', 'from', '192.0.2.10', 'mark', '16', 'uid', '1000', 'ipproto', 'tcp', 'sport', '1234',
        'dport', '80', 'oif', 'v1']],
      ['v4 iif', { dst: '198.51.100.5', from: '192.0.2.20', iif: 'v1' }, ['198.51.100.5', 'from', '192.0.2.20', 'iif', 'v1']],
      ['v4 fibmatch', { dst: '203.0.113.5', fibmatch: true }, ['fibmatch', '203.0.113.5']],
      ['v4 oif by index', { dst: '198.51.100.5', oif: 0 }, ['198.51.100.5', 'oif', 'v2']],
      ['v6 connected', { dst: '2001:db8:2::5' }, ['2001:db8:2::5']],
      ['v6 via gateway', { dst: '2001:db8:3::5' }, ['2001:db8:3::5']],
      ['v6 every selector', { dst: '2001:db8:2::5', from: '2001:db8:1::10', mark: 7, uid: 0, ipproto: 'udp', sport: 53,
        dport: 5353, oif: 'v2' },
      ['2001:db8:2::5', 'from', '2001:db8:1::10', 'mark', '7', 'uid', '0', 'ipproto', 'udp', 'sport', '53', 'dport', '5353',
        'oif', 'v2']],
      ['v6 iif', { dst: '2001:db8:2::5', from: '2001:db8:1::20', iif: 'v1' }, ['2001:db8:2::5', 'from', '2001:db8:1::20', 'iif', 'v1']],
      ['v6 fibmatch', { dst: '2001:db8:3::5', fibmatch: true }, ['fibmatch', '2001:db8:3::5']],
    ];
    it.each(cases)('%s', async (_name, o, args) => {
      if (o.oif === 0) o = { ...o, oif: ipj('link', 'show', 'v2')[0]!.ifindex as number };
      const r = await nl.route.get(o);
      const [j] = ipj('route', 'get', ...args);
      expectLikeIp(r, j!, args.join(' '));
    });
  });

  describe('errors say what ip says', () => {
    it('EEXIST', async () => {
      const e = await failure(nl.route.add({ dst: '203.0.113.0/24', gateway: '192.0.2.1', prefsrc: '192.0.2.10' }));
      expect(e.code).toBe('EEXIST');
      expect(e.message).toBe('route add 203.0.113.0/24: EEXIST');
      expectSameFailure(e, ipFailure('route', 'add', '203.0.113.0/24', 'via', '192.0.2.1', 'src', '192.0.2.10'));
    });

    it('ENETUNREACH', async () => {
      const e = await failure(nl.route.get({ dst: '2001:db8:ff::1' }));
      expect(e.code).toBe('ENETUNREACH');
      expectSameFailure(e, ipFailure('route', 'get', '2001:db8:ff::1'));
    });

    it('ESRCH', async () => {
      const e = await failure(nl.route.del({ dst: '203.0.113.128/25' }));
      expect(e.code).toBe('ESRCH');
      expect(e.message).toBe('route del 203.0.113.128/25: ESRCH');
      expectSameFailure(e, ipFailure('route', 'del', '203.0.113.128/25'));
    });

    it('ENODEV, for a name (like ip) and for an index (from the kernel)', async () => {
      const e = await failure(nl.route.add({ dst: '203.0.113.128/25', dev: 'nosuchdev' }));
      expect(e.code).toBe('ENODEV');
      expect(e.message).toBe('route add 203.0.113.128/25: ENODEV: Cannot find device "nosuchdev"');
      expect(ipFailure('route', 'add', '203.0.113.128/25', 'dev', 'nosuchdev')).toEqual({ other: 'Cannot find device "nosuchdev"' });
      const k = await failure(nl.route.add({ dst: '203.0.113.128/25', oif: 9999 }));
      expect(k.code).toBe('ENODEV');
      const g = await failure(nl.link.get('nosuchdev'));
      expect(g.code).toBe('ENODEV');
    });

    it('EINVAL with the kernel ext-ack text', async () => {
      const e = await failure(nl.route.add({ dst: '203.0.113.64/26', gateway: '192.0.2.1', prefsrc: '203.0.113.99', table: 50 }));
      expect(e.code).toBe('EINVAL');
      expect(e.message).toBe('route add 203.0.113.64/26: EINVAL: Invalid prefsrc address');
      expectSameFailure(e, ipFailure('route', 'add', '203.0.113.64/26', 'via', '192.0.2.1', 'src', '203.0.113.99', 'table', '50'));
      const g = await failure(nl.route.add({ dst: '203.0.113.64/26', gateway: '198.51.100.1', dev: 'v1', table: 50 }));
      expectSameFailure(g, ipFailure('route', 'add', '203.0.113.64/26', 'via', '198.51.100.1', 'dev', 'v1', 'table', '50'));
      expect(g.message).toMatch(/^route add 203\.0\.113\.64\/26: E[A-Z]+: \S/);
    });

    it('ENOENT on change of a route that is not there', async () => {
      const e = await failure(nl.route.change({ dst: '203.0.113.0/24', gateway: '192.0.2.1', table: 108 }));
      expectSameFailure(e, ipFailure('route', 'change', '203.0.113.0/24', 'via', '192.0.2.1', 'table', '108'));
    });
  });

  it('replace, append, change and del take effect as ip shows', async () => {
    await nl.route.replace({ dst: '203.0.113.0/24', gateway: '198.51.100.1' });
    expect(ipj('route', 'show', '203.0.113.0/24')).toMatchObject([{ gateway: '198.51.100.1', dev: 'v2' }]);
    await nl.route.change({ dst: '203.0.113.0/24', gateway: '192.0.2.1', prefsrc: '192.0.2.10' });
    expect(ipj('route', 'show', '203.0.113.0/24')).toMatchObject([{ gateway: '192.0.2.1', prefsrc: '192.0.2.10' }]);
    await nl.route.append({ dst: '2001:db8:3::/64', gateway: '2001:db8:2::1', metric: 1024, dev: 'v2' });
    expect(ipj('-6', 'route', 'show', '2001:db8:3::/64')[0]!.nexthops).toHaveLength(2);
    await nl.route.del({ dst: '2001:db8:3::/64', gateway: '2001:db8:2::1', metric: 1024 });
    expect(ipj('-6', 'route', 'show', '2001:db8:3::/64')).toMatchObject([{ gateway: '2001:db8:1::1' }]);
  });

  it('lists as many routes as ip route show, per family and table', async () => {
    const cases: [Parameters<Rtnl['route']['list']>[0], string[]][] = [
      [{ family: 4 }, ['-4', 'route', 'show']],
      [{ family: 6 }, ['-6', 'route', 'show']],
      [{ family: 4, table: 'all' }, ['-4', 'route', 'show', 'table', 'all']],
      [{ family: 6, table: 'all' }, ['-6', 'route', 'show', 'table', 'all']],
      [{ family: 4, table: 'local' }, ['-4', 'route', 'show', 'table', 'local']],
      [{ family: 4, dev: 'v2' }, ['-4', 'route', 'show', 'dev', 'v2']],
      [{ family: 4, protocol: 'kernel' }, ['-4', 'route', 'show', 'proto', 'kernel']],
      [{ family: 4, table: 'all', type: 'local' }, ['-4', 'route', 'show', 'table', 'all', 'type', 'local']],
    ];
    for (const [o, args] of cases) {
      const ours = await collect(nl.route.list(o));
      expect(ours.length, args.join(' ')).toBe(ipj(...args).length);
    }
    const both = await collect(nl.route.list());
    expect(both.length).toBe(ipj('-4', 'route', 'show').length + ipj('-6', 'route', 'show').length);
  });

  it('answers 1000 concurrent route gets', async () => {
    const dsts = Array.from({ length: 1000 }, (_, i) => (i % 2 ? `198.51.100.${(i % 200) + 20}` : `2001:db8:2::${(i + 1).toString(16)}`));
    const routes = await Promise.all(dsts.map((dst) => nl.route.get({ dst })));
    expect(routes).toHaveLength(1000);
    routes.forEach((r, i) => {
      expect(r.dst).toBe(dsts[i]);
      expect(r.dev).toBe('v2');
    });
  });

  describe('route getMany', () => {
    /** A route without its cache info (lastuse and used change between two lookups). */
    const stable = (r: Route): Omit<Route, 'cacheinfo'> => {
      const { cacheinfo: _, ...rest } = r;
      return rest;
    };

    it('answers each query as route get and ip route get do, errors in the query\'s own words', async () => {
      // fwmark 0x63 meets an unreachable rule: ENETUNREACH for IPv4 within the documentation ranges.
      ns.exec('ip rule add fwmark 0x63 priority 100 unreachable');
      try {
        const v1 = ipj('link', 'show', 'v1')[0]!.ifindex as number;
        const cases: Array<[RouteGetOptions, string[]]> = [
          [{ dst: '198.51.100.5' }, ['198.51.100.5']],
          [{ dst: '203.0.113.9' }, ['203.0.113.9']],
          [{ dst: '192.0.2.5', from: '192.0.2.10', oif: 'v1', mark: 16 }, ['192.0.2.5', 'from', '192.0.2.10', 'oif', 'v1', 'mark', '16']],
          [{ dst: '203.0.113.9', mark: 0x63 }, ['203.0.113.9', 'mark', '0x63']],
          [{ dst: '2001:db8:2::5' }, ['2001:db8:2::5']],
          [{ dst: '2001:db8:2::5', from: '2001:db8:1::10', oif: 'v2', mark: 7 },
            ['2001:db8:2::5', 'from', '2001:db8:1::10', 'oif', 'v2', 'mark', '7']],
          [{ dst: '2001:db8:ff::1' }, ['2001:db8:ff::1']],
          [{ dst: '2001:db8:1::5', oif: v1 }, ['2001:db8:1::5', 'oif', 'v1']],
        ];
        const res = await nl.route.getMany(cases.map(([q]) => q));
        expect(res.map((r) => r.ok)).toEqual([true, true, true, false, true, true, false, true]);
        expect(res[3]).toMatchObject({ ok: false, error: { code: 'ENETUNREACH', message: 'route get 203.0.113.9: ENETUNREACH' } });
        for (const [i, [q, args]] of cases.entries()) {
          const r = res[i]!;
          const ctx = args.join(' ');
          if (r.ok) {
            expect(stable(r.route), ctx).toEqual(stable(await nl.route.get(q)));
            expectLikeIp(r.route, ipj('route', 'get', ...args)[0]!, ctx);
            continue;
          }
          expect(r.error, ctx).toBeInstanceOf(NetlinkError);
          const single = await failure(nl.route.get(q));
          expect(r.error.message, ctx).toBe(single.message);
          expect(r.error.message, ctx).toMatch(new RegExp(`^route get ${q.dst}: E[A-Z]+`));
          expectSameFailure(r.error as NetlinkError, ipFailure('route', 'get', ...args));
        }
      } finally {
        ns.exec('ip rule del fwmark 0x63 priority 100');
      }
    });

    it('an unknown dev fails its own query only, as route get does', async () => {
      const qs: RouteGetOptions[] = [{ dst: '198.51.100.5' }, { dst: '198.51.100.7', oif: 'nosuchdev' }, { dst: '2001:db8:2::5' }];
      const res = await nl.route.getMany(qs);
      expect(res.map((r) => r.ok)).toEqual([true, false, true]);
      const e = (res[1] as { error: Error }).error;
      expect(e instanceof EncodeError || (e instanceof NetlinkError && e.code === 'ENODEV'), String(e)).toBe(true);
      expect(e.message).toMatch(/nosuchdev/);
      const single = await nl.route.get(qs[1]!).then(() => undefined, (x: unknown) => x);
      expect(single).toBeInstanceOf(e.constructor);
      expect((single as Error).message).toBe(e.message);
      expect(res[0]).toMatchObject({ ok: true, route: { dst: '198.51.100.5', dev: 'v2' } });
      expect(res[2]).toMatchObject({ ok: true, route: { dst: '2001:db8:2::5', dev: 'v2' } });
    });

    it('answers 5000 queries, more than one send holds', async () => {
      const dsts = Array.from({ length: 5000 }, (_, i) => (i % 2 ? `198.51.100.${(i % 200) + 20}` : `2001:db8:2::${(i + 1).toString(16)}`));
      const sent = nl.socket.stats.sent;
      const res = await nl.route.getMany(dsts.map((dst) => ({ dst })));
      expect(nl.socket.stats.sent - sent).toBeGreaterThan(1);
      expect(res.map((r) => (r.ok ? `${r.route.dst} ${String(r.route.dev)}` : r.error.message)))
        .toEqual(dsts.map((d) => `${d} v2`));
      expect(nl.socket.inFlight).toBe(0);
    });
  });

  it('route.list: raw is a lazy getter, not in JSON, decoding to the route\'s RTM_NEWROUTE message', async () => {
    const routes = await collect(nl.route.list({ table: 'all' }));
    expect(routes.length).toBeGreaterThan(10);
    for (const r of routes) {
      const ctx = `${r.dst} table ${r.table}`;
      expect(Object.prototype.hasOwnProperty.call(r, 'raw'), ctx).toBe(false);
      expect(Object.keys(r), ctx).not.toContain('raw');
      expect(JSON.parse(JSON.stringify(r)), ctx).not.toHaveProperty('raw');
      const m = r.raw;
      expect(r.raw, ctx).toBe(m);
      expect(m.type, ctx).toBe(RTM_NEWROUTE);
      const body = m.body as { family: number; dstLen: number; table: number };
      const attrs = m.attrs as { dst?: string; oif?: number; gateway?: string; prefsrc?: string; table?: number; priority?: number };
      expect(body.family, ctx).toBe(r.family === 4 ? AF_INET : AF_INET6);
      expect(body.dstLen, ctx).toBe(r.dstLen);
      if (attrs.dst !== undefined) expect(r.dst.split('/')[0], ctx).toBe(attrs.dst);
      expect(attrs.table ?? body.table, ctx).toBe(r.table);
      expect([attrs.oif, attrs.gateway, attrs.prefsrc, attrs.priority], ctx).toEqual([r.oif, r.gateway, r.prefsrc, r.metric]);
    }
  });

  it('adds many routes in one batch, with per-route results', async () => {
    const routes = Array.from({ length: 300 }, (_, i) => ({ dst: `203.0.113.${i % 256}/32`, dev: 'v1', table: 200 + Math.floor(i / 256) }));
    routes.push({ dst: '203.0.113.7/32', dev: 'v1', table: 200 });
    routes.push({ dst: '203.0.113.8/32', dev: 'nosuchdev', table: 200 });
    const res = await nl.route.addMany(routes);
    expect(res.slice(0, 300).every((r) => r.ok)).toBe(true);
    expect(res[300]).toMatchObject({ ok: false, error: { code: 'EEXIST', message: 'route add 203.0.113.7/32: EEXIST' } });
    expect(res[301]).toMatchObject({ ok: false, error: { code: 'ENODEV' } });
    expect(ipj('route', 'show', 'table', '200')).toHaveLength(256);
    expect(ipj('route', 'show', 'table', '201')).toHaveLength(44);
    const del = await nl.route.addMany(routes.slice(0, 300), { op: 'del' });
    expect(del.every((r) => r.ok)).toBe(true);
    expect(ip('route', 'show', 'table', '200').stdout).toBe('');
  });

  it('lists links, addresses, rules and neighbours like ip', async () => {
    const links = await nl.link.list();
    const ipLinks = ipj('link', 'show');
    expect(links.map((l) => [l.index, l.ifname, l.flags, l.mtu, l.operstate, l.address]))
      .toEqual(ipLinks.map((l) => [l.ifindex, l.ifname, l.flags, l.mtu, l.operstate, l.address]));
    expect(links.find((l) => l.ifname === 'v1')!.kind).toBe('veth');
    const v2 = await nl.link.get('v2');
    expect(v2.index).toBe(ipLinks.find((l) => l.ifname === 'v2')!.ifindex);
    expect((await nl.link.get(v2.index)).ifname).toBe('v2');

    await nl.addr.add({ dev: 'v1', address: '192.0.2.20/24', broadcast: true, label: 'v1:a' });
    await nl.addr.add({ dev: 'v1', address: '2001:db8:1::20/64', nodad: true, noprefixroute: true });
    const addrs = await nl.addr.list({ dev: 'v1' });
    const ipAddrs = (ipj('addr', 'show', 'dev', 'v1')[0]!.addr_info as Record<string, unknown>[]);
    expect(addrs.map((a) => `${a.local}/${a.prefixlen} ${a.scopeName}`).sort())
      .toEqual(ipAddrs.map((a) => `${String(a.local)}/${String(a.prefixlen)} ${String(a.scope)}`).sort());
    expect(addrs.find((a) => a.local === '192.0.2.20')).toMatchObject({ broadcast: '192.0.2.255', label: 'v1:a', dev: 'v1' });
    expect(addrs.find((a) => a.local === '2001:db8:1::20')!.flags).toEqual(expect.arrayContaining(['nodad', 'noprefixroute']));
    expect((await nl.addr.list({ family: 6 })).every((a) => a.family === 6)).toBe(true);
    const dup = await failure(nl.addr.add({ dev: 'v1', address: '192.0.2.20/24' }));
    expectSameFailure(dup, ipFailure('addr', 'add', '192.0.2.20/24', 'dev', 'v1'));
    await nl.addr.del({ dev: 'v1', address: '192.0.2.20/24' });
    await nl.addr.del({ dev: 'v1', address: '2001:db8:1::20/64' });
    expect((await nl.addr.list({ dev: 'v1' })).length).toBe(ipAddrs.length - 2);

    await nl.rule.add({ priority: 1000, from: '192.0.2.0/24', to: '198.51.100.0/24', fwmark: 0x10, fwmask: 0xff, iif: 'v1',
      uidrange: [100, 200], ipproto: 'tcp', dport: 80, table: 1000 });
    await nl.rule.add({ priority: 1001, not: true, to: '203.0.113.0/24', table: 'main' });
    await nl.rule.add({ family: 6, priority: 1002, from: '2001:db8:1::/64', action: 'blackhole' });
    const rules = await nl.rule.list();
    expect(rules.filter((r) => r.family === 4).length).toBe(ipj('-4', 'rule', 'show').length);
    expect(rules.filter((r) => r.family === 6).length).toBe(ipj('-6', 'rule', 'show').length);
    expect(rules.find((r) => r.priority === 1000)).toMatchObject({ src: '192.0.2.0/24', dst: '198.51.100.0/24', fwmark: 0x10,
      fwmask: 0xff, iifname: 'v1', uidrange: { start: 100, end: 200 }, ipproto: 6, dport: { start: 80, end: 80 }, table: 1000 });
    expect(rules.find((r) => r.priority === 1001)!.flags).toEqual(['not']);
    expect(rules.find((r) => r.priority === 1002)).toMatchObject({ family: 6, actionName: 'blackhole' });
    const dupRule = await failure(nl.rule.add({ priority: 1001, not: true, to: '203.0.113.0/24', table: 'main' }));
    expectSameFailure(dupRule, ipFailure('rule', 'add', 'priority', '1001', 'not', 'to', '203.0.113.0/24', 'table', 'main'));
    await nl.rule.del({ priority: 1000 });
    await nl.rule.del({ priority: 1001 });
    await nl.rule.del({ family: 6, priority: 1002 });
    expect((await nl.rule.list({ family: 4 })).map((r) => r.priority)).toEqual([0, 32766, 32767]);

    ns.exec('ip neigh add 192.0.2.77 lladdr 02:00:00:00:00:77 dev v1 nud permanent');
    const neigh = await nl.neigh.list();
    expect(neigh.length).toBe(ipj('neigh', 'show', 'nud', 'all').length);
    expect((await nl.neigh.list({ family: 4, dev: 'v1' })).find((n) => n.dst === '192.0.2.77'))
      .toMatchObject({ lladdr: '02:00:00:00:00:77', state: ['PERMANENT'], dev: 'v1' });
  });

  it('monitors a route add and delete', async () => {
    const mon = nl.monitor(['route', 'addr']);
    const seen: RtnlEvent[] = [];
    const done = (async () => {
      for await (const ev of mon) {
        seen.push(ev);
        if (ev.kind === 'route' && ev.action === 'del' && ev.route.dst === '203.0.113.128/25') break;
      }
    })();
    await nl.route.add({ dst: '203.0.113.128/25', dev: 'v2', metric: 7 });
    await nl.route.del({ dst: '203.0.113.128/25', dev: 'v2', metric: 7 });
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error('no events')), 5000))]);
    const mine = seen.filter((e) => e.kind === 'route' && e.route.dst === '203.0.113.128/25');
    expect(mine.map((e) => e.kind === 'route' && [e.action, e.route.dev, e.route.metric, e.route.scopeName]))
      .toEqual([['new', 'v2', 7, 'link'], ['del', 'v2', 7, 'link']]);
  });

  it('close() rejects what is in flight and frees the socket', async () => {
    const c = await Rtnl.open({ netns: ns.name });
    const mon = c.monitor(['link']);
    const p = c.route.get({ dst: '198.51.100.5' });
    const q = collect(mon);
    c.close();
    await expect(p).rejects.toBeInstanceOf(TimeoutError);
    await expect(p).rejects.toThrow(/route get 198\.51\.100\.5: socket closed/);
    await expect(q).resolves.toEqual([]);
    expect(c.socket.closed).toBe(true);
  });

  it('gives an unprivileged caller EPERM as a NetlinkError', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlwire-eperm-'));
    try {
      chmodSync(dir, 0o755);
      const script = join(dir, 'eperm.mts');
      writeFileSync(script, [
        `import { Rtnl } from ${JSON.stringify(join(root, 'src/rtnl/client.ts'))};`,
        'const nl = await Rtnl.open();',
        'const out: Record<string, unknown> = { uid: process.getuid?.() };',
        'try { out.get = (await nl.route.get({ dst: "198.51.100.5" })).dev; } catch (e) { out.get = String(e); }',
        'try { await nl.route.add({ dst: "203.0.113.0/24", dev: "v1", table: 300 }); out.add = "ok"; }',
        'catch (e) { const x = e as { name: string; code: string; message: string }; out.add = { name: x.name, code: x.code, message: x.message }; }',
        'nl.close();',
        'console.log(JSON.stringify(out));',
      ].join('\n'));
      chmodSync(script, 0o644);
      const r = spawnSync('ip', ['netns', 'exec', ns.name, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups',
        '--inh-caps=-all', join(root, 'node_modules/.bin/tsx'), script],
      { encoding: 'utf8', cwd: root, env: { ...process.env, HOME: dir } });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
      expect(out).toEqual({ uid: 65534, get: 'v2', add: { name: 'NetlinkError', code: 'EPERM',
        message: 'route add 203.0.113.0/24: EPERM' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
