/**
 * The client's requests against iproute2's, byte for byte, and its views of the kernel's
 * answers against `ip -j`: no kernel needed. The fixtures (test/fixtures/client, recorded
 * by its capture.ts under strace in a private namespace) hold iproute2 6.1's real requests;
 * each case names the fixture and the client options that mean the same command. The
 * sequence number is the fixture's; NLM_F_ACK, which the socket adds to every request and
 * iproute2 leaves off its gets and dumps, is compared apart from the bytes.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_ERROR, NLMSG_DONE,
} from '../../src/netlink/constants.js';
import { EncodeError, NetlinkError } from '../../src/netlink/errors.js';
import { decodeDatagram, encodeMsg, type NlMsg } from '../../src/netlink/message.js';
import {
  type BuiltRequest, type DevResolver, type RouteOp, routeGetRequest,
  routeRequest, routeListRequest, routeMatches, routeView, routeDefaults, addrRequest,
  addrListRequest, addrView, ruleRequest, ruleListRequest, ruleView, linkListRequest,
  linkGetRequest, linkView, linkNames, neighListRequest, parsePrefix, prefixText, devNames,
} from '../../src/rtnl/request.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import { RT_SCOPE_HOST, RT_SCOPE_LINK, RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE, RTN_LOCAL, RTN_BLACKHOLE } from '../../src/rtnl/route.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'client');
const links = JSON.parse(readFileSync(join(dir, 'links.json'), 'utf8')) as Record<string, number>;
const byIndex = new Map(Object.entries(links).map(([n, i]) => [i, n]));
const resolve: DevResolver = (name) => {
  const i = links[name];
  if (i === undefined) throw new Error(`no device ${name}`);
  return i;
};
const namer = (i: number): string | undefined => byIndex.get(i);

interface Fixture { command: string; sent: Uint8Array[]; received: Uint8Array[] }

function fixture(name: string): Fixture {
  const text = readFileSync(join(dir, `${name}.hex`), 'utf8');
  const f: Fixture = { command: '', sent: [], received: [] };
  for (const line of text.split('\n')) {
    if (line.startsWith('# ip ')) f.command = line.slice(2);
    else if (line.startsWith('> ')) f.sent.push(Buffer.from(line.slice(2), 'hex'));
    else if (line.startsWith('< ')) f.received.push(Buffer.from(line.slice(2), 'hex'));
  }
  return f;
}

function json(name: string): Record<string, unknown>[] {
  return JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Record<string, unknown>[];
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const u16 = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** Encodes `built` as it would go out, with the fixture request's sequence number and flags. */
function encodeLike(built: BuiltRequest, req: Uint8Array): Uint8Array {
  return encodeMsg({ type: built.msg.type, flags: u16(req, 6), seq: u32(req, 8), pid: u32(req, 12),
    body: built.msg.body, attrs: built.msg.attrs }, rtnetlink);
}

/** The request of `type` the fixture holds (iproute2 may send others first). */
function request(f: Fixture, type: number): Uint8Array {
  const r = f.sent.find((b) => u16(b, 4) === type);
  if (!r) throw new Error(`no request of type ${type} in ${f.command}`);
  return r;
}

/** Asserts the built request is iproute2's: same bytes, and flags but for ACK. */
function expectSame(name: string, built: BuiltRequest, dump = false): void {
  const f = fixture(name);
  const req = request(f, built.msg.type);
  expect(hex(encodeLike(built, req)), f.command).toBe(hex(req));
  const theirs = u16(req, 6);
  expect(built.msg.flags, f.command).toBe(theirs & ~(NLM_F_REQUEST | NLM_F_ACK | (dump ? NLM_F_DUMP : 0)));
  // iproute2 asks for an ACK on everything but gets and dumps; the socket always does.
  if (!dump && built.msg.type % 4 !== 2) expect(theirs & NLM_F_ACK).toBe(NLM_F_ACK);
}

/** Decodes the kernel's answers in a fixture (all datagrams, all messages). */
function answers(name: string): NlMsg[] {
  return fixture(name).received.flatMap((b) => decodeDatagram(b, rtnetlink).messages);
}

const gets: [string, Parameters<typeof routeGetRequest>[0]][] = [
  ['get-v4', { dst: '198.51.100.5' }],
  ['get-v4-unreachable', { dst: '203.0.113.5' }],
  ['get-v4-oif', { dst: '192.0.2.5', oif: 'v1' }],
  ['get-v4-all', { dst: '192.0.2.5', tos: 0x10, from: '192.0.2.10', mark: 0x10, uid: 1000, ipproto: 'tcp',
    sport: 1234, dport: 80, oif: 'v1' }],
  ['get-v4-iif', { dst: '198.51.100.5', from: '192.0.2.20', iif: 'v1' }],
  ['get-v4-fibmatch', { dst: '198.51.100.5', fibmatch: true }],
  ['get-v6', { dst: '2001:db8:2::5' }],
  ['get-v6-all', { dst: '2001:db8:2::5', from: '2001:db8:1::10', mark: 7, uid: 0, ipproto: 'udp', sport: 53,
    dport: 5353, dev: 'v2' }],
  ['get-v6-fibmatch', { dst: '2001:db8:1::5', fibmatch: true }],
];

const mods: [string, RouteOp, Parameters<typeof routeRequest>[1]][] = [
  ['add-v4-prefsrc', 'add', { dst: '203.0.113.0/24', gateway: '192.0.2.1', prefsrc: '192.0.2.10' }],
  ['add-v4-exists', 'add', { dst: '203.0.113.0/24', gateway: '192.0.2.1', prefsrc: '192.0.2.10' }],
  ['add-v4-bad-prefsrc', 'add', { dst: '203.0.113.64/26', gateway: '192.0.2.1', prefsrc: '203.0.113.99' }],
  ['add-v4-dev', 'add', { dst: '203.0.113.128/25', dev: 'v1' }],
  ['add-v4-nodev', 'add', { dst: '203.0.113.128/26', gateway: '203.0.113.1' }],
  ['add-v4-all', 'add', { dst: '198.51.100.128/25', src: '192.0.2.0/24', tos: 0x10, gateway: '192.0.2.1',
    prefsrc: '192.0.2.10', metric: 100, table: 1000, protocol: 'static', scope: 'global', onlink: true, dev: 'v1',
    metrics: { mtu: 1400, advmss: 1300, ccAlgo: 'cubic' } }],
  ['add-v4-table-small', 'add', { dst: '203.0.113.0/24', dev: 'v1', table: 100 }],
  ['add-v4-metric0', 'add', { dst: '203.0.113.0/24', gateway: '198.51.100.1', metric: 0, table: 101 }],
  ['add-v4-default', 'add', { dst: 'default', gateway: '192.0.2.1', table: 102 }],
  ['add-v4-local', 'add', { dst: '203.0.113.7', type: 'local', dev: 'v1' }],
  ['add-v4-blackhole', 'add', { dst: '203.0.113.200/29', type: 'blackhole' }],
  ['add-v4-unreachable', 'add', { dst: '203.0.113.208/29', type: 'unreachable', metric: 5 }],
  ['add-v4-via6', 'add', { dst: '203.0.113.0/24', gateway: '2001:db8:1::1', dev: 'v1', table: 103 }],
  ['add-v4-via6', 'add', { dst: '203.0.113.0/24', via: '2001:db8:1::1', oif: 3, table: 103 }],
  ['add-v4-multipath', 'add', { dst: '203.0.113.0/24', table: 104, multipath: [
    { gateway: '192.0.2.1', dev: 'v1', weight: 2 }, { gateway: '198.51.100.1', dev: 'v2', onlink: true }] }],
  ['add-v4-esrch-gw', 'add', { dst: '203.0.113.0/24', gateway: '203.0.113.1', table: 106, dev: 'v1' }],
  ['add-v6', 'add', { dst: '2001:db8:3::/64', gateway: '2001:db8:1::1', metric: 1024, pref: 'high', dev: 'v1' }],
  ['add-v6-src', 'add', { dst: '2001:db8:4::/64', src: '2001:db8:1::/64', gateway: '2001:db8:1::1', dev: 'v1' }],
  ['add-v6-dev', 'add', { dst: '2001:db8:5::/64', dev: 'v2' }],
  ['replace-v4', 'replace', { dst: '203.0.113.0/24', gateway: '198.51.100.1' }],
  ['append-v4', 'append', { dst: '203.0.113.0/24', gateway: '192.0.2.1', table: 107 }],
  ['change-v4', 'change', { dst: '203.0.113.0/24', gateway: '192.0.2.1', metric: 0 }],
  ['change-v4-enoent', 'change', { dst: '203.0.113.0/24', gateway: '192.0.2.1', metric: 0, table: 108 }],
  ['del-v4', 'del', { dst: '203.0.113.0/24' }],
  ['del-v4-esrch', 'del', { dst: '203.0.113.0/24' }],
  ['del-v4-full', 'del', { dst: '203.0.113.0/24', gateway: '192.0.2.1', table: 107, protocol: 'boot', dev: 'v1' }],
  ['del-v6', 'del', { dst: '2001:db8:3::/64' }],
];

describe('route get requests are iproute2 6.1 ip route get', () => {
  it.each(gets)('%s', (name, o) => expectSame(name, routeGetRequest(o, resolve)));

  it('sets RTM_F_LOOKUP_TABLE for IPv4 only, RTM_F_FIB_MATCH with fibmatch', () => {
    expect(routeGetRequest({ dst: '198.51.100.5' }, resolve).msg.body.flags).toBe(0x1000);
    expect(routeGetRequest({ dst: '2001:db8::5' }, resolve).msg.body.flags).toBe(0);
    expect(routeGetRequest({ dst: '198.51.100.5', fibmatch: true }, resolve).msg.body.flags).toBe(0x3000);
    expect(routeGetRequest({ dst: '2001:db8::5', fibmatch: true }, resolve).msg.body.flags).toBe(0x2000);
  });

  it('sends an explicit mark 0, which iproute2 drops (absent is not zero)', () => {
    const f = fixture('get-v4-mark0');
    const built = routeGetRequest({ dst: '198.51.100.5', mark: 0 }, resolve);
    expect(built.msg.attrs.mark).toBe(0);
    const ours = encodeLike(built, f.sent[0]!);
    // iproute2's request plus RTA_MARK 0 (8 bytes) at the end, and nlmsg_len 8 more.
    const theirs = Buffer.from(f.sent[0]!);
    theirs.writeUInt32LE(theirs.readUInt32LE(0) + 8, 0);
    expect(hex(ours)).toBe(hex(theirs) + '0800100000000000');
    expect('mark' in routeGetRequest({ dst: '198.51.100.5' }, resolve).msg.attrs).toBe(false);
  });

  it('refuses a prefix, a from of the other family, bad ports and names', () => {
    expect(() => routeGetRequest({ dst: '198.51.100.0/24' }, resolve)).toThrow(/takes an address, not a prefix/);
    expect(() => routeGetRequest({ dst: '198.51.100.5', from: '2001:db8::1' }, resolve)).toThrow(EncodeError);
    expect(() => routeGetRequest({ dst: '198.51.100.5', sport: 65536 }, resolve)).toThrow(/sport/);
    expect(() => routeGetRequest({ dst: '198.51.100.5', ipproto: 'nope' }, resolve)).toThrow(/unknown name "nope"/);
    expect(() => routeGetRequest({ dst: 'nonsense' }, resolve)).toThrow(/route get nonsense: dst: not an IP address/);
    expect(() => routeGetRequest({ dst: '198.51.100.5', dev: 'v1', oif: 'v2' }, resolve)).toThrow(/disagree/);
  });
});

describe('route add/replace/append/change/del requests are iproute2 6.1 ip route ...', () => {
  it.each(mods)('%s (%s)', (name, op, o) => expectSame(name, routeRequest(op, o, resolve)));

  it('uses the flags of each operation', () => {
    const f = (op: RouteOp): number => routeRequest(op, { dst: '203.0.113.0/24', dev: 'v1' }, resolve).msg.flags;
    expect(f('add')).toBe(0x600);
    expect(f('replace')).toBe(0x500);
    expect(f('append')).toBe(0xc00);
    expect(f('change')).toBe(0x100);
    expect(f('del')).toBe(0);
  });

  it('sends RTA_TABLE only above 255, rtm_table 0 then', () => {
    const small = routeRequest('add', { dst: '203.0.113.0/24', dev: 'v1', table: 255 }, resolve).msg;
    expect([small.body.table, 'table' in small.attrs]).toEqual([255, false]);
    const big = routeRequest('add', { dst: '203.0.113.0/24', dev: 'v1', table: 256 }, resolve).msg;
    expect([big.body.table, big.attrs.table]).toEqual([0, 256]);
    const named = routeRequest('add', { dst: '203.0.113.0/24', dev: 'v1', table: 'local' }, resolve).msg;
    expect(named.body.table).toBe(255);
  });

  it('sends nothing for absent keys and 0 for zeros', () => {
    const m = routeRequest('add', { dst: '203.0.113.0/24', gateway: '192.0.2.1' }, resolve).msg;
    expect(Object.keys(m.attrs)).toEqual(['dst', 'gateway']);
    const z = routeRequest('add', { dst: '203.0.113.0/24', gateway: '192.0.2.1', metric: 0, tos: 0, metrics: { mtu: 0 } }, resolve).msg;
    expect(z.attrs.priority).toBe(0);
    expect(z.attrs.metrics).toEqual({ mtu: 0 });
  });

  it('writes RTAX_LOCK last and weight as rtnh_hops = weight - 1', () => {
    const m = routeRequest('add', { dst: '203.0.113.0/24', dev: 'v1', metrics: { lock: 4, mtu: 1400 },
      multipath: [{ gateway: '192.0.2.1', weight: 1 }, { gateway: '192.0.2.2', weight: 256 }] }, resolve).msg;
    expect(Object.keys(m.attrs.metrics as object)).toEqual(['mtu', 'lock']);
    expect((m.attrs.multipath as { hops: number }[]).map((h) => h.hops)).toEqual([0, 255]);
    expect(() => routeRequest('add', { dst: '203.0.113.0/24', multipath: [{ gateway: '192.0.2.1', weight: 0 }] }, resolve))
      .toThrow(/weight/);
  });

  it('takes the family of a default route from its gateway or the family option', () => {
    expect(routeRequest('add', { dst: 'default', gateway: '2001:db8:1::1' }, resolve).msg.body.family).toBe(10);
    expect(routeRequest('add', { dst: 'default', dev: 'v1', family: 6 }, resolve).msg.body.family).toBe(10);
    expect(routeRequest('add', { dst: 'default', dev: 'v1' }, resolve).msg.body.family).toBe(2);
  });

  it('refuses options that contradict each other', () => {
    expect(() => routeRequest('add', { dst: '203.0.113.0/24', gateway: '192.0.2.1', via: '2001:db8::1' }, resolve))
      .toThrow(/gateway or via/);
    expect(() => routeRequest('add', { dst: '203.0.113.0/24', prefsrc: '2001:db8::1' }, resolve)).toThrow(/prefsrc/);
    expect(() => routeRequest('add', { dst: '203.0.113.0/24', family: 6 }, resolve)).toThrow(/family/);
    expect(() => routeRequest('add', { dst: '203.0.113.0/24', dev: 'v1', oif: 5 }, resolve)).toThrow(/disagree/);
    expect(() => routeRequest('add', { dst: '203.0.113.0/24', protocol: 'nonesuch' }, resolve)).toThrow(/protocol/);
  });
});

describe('routeDefaults', () => {
  const d = (op: RouteOp, r: Partial<Parameters<typeof routeDefaults>[1]>) =>
    routeDefaults(op, { family: 4, hasGateway: false, ...r });

  it('decides as iproute2 iproute_modify', () => {
    expect(d('add', {})).toEqual({ table: 254, protocol: 3, scope: RT_SCOPE_LINK, type: 1 });
    expect(d('add', { hasGateway: true })).toEqual({ table: 254, protocol: 3, scope: RT_SCOPE_UNIVERSE, type: 1 });
    expect(d('add', { family: 6 })).toEqual({ table: 254, protocol: 3, scope: RT_SCOPE_UNIVERSE, type: 1 });
    expect(d('add', { type: RTN_LOCAL })).toEqual({ table: 255, protocol: 3, scope: RT_SCOPE_HOST, type: RTN_LOCAL });
    expect(d('add', { type: RTN_BLACKHOLE })).toEqual({ table: 254, protocol: 3, scope: RT_SCOPE_UNIVERSE, type: 6 });
    expect(d('add', { type: 3 }).scope).toBe(RT_SCOPE_LINK);
    expect(d('del', {})).toEqual({ table: 254, protocol: 0, scope: RT_SCOPE_NOWHERE, type: 0 });
    expect(d('del', { hasGateway: true }).scope).toBe(RT_SCOPE_NOWHERE);
    expect(d('del', { family: 6 }).scope).toBe(RT_SCOPE_UNIVERSE);
    expect(d('del', { type: RTN_BLACKHOLE }).scope).toBe(RT_SCOPE_NOWHERE);
  });

  it('keeps given values, zeros included', () => {
    expect(d('add', { table: 0, protocol: 0, scope: 0, type: 0 })).toEqual({ table: 0, protocol: 0, scope: 0, type: 0 });
  });
});

describe('route dumps are iproute2 6.1 ip route show', () => {
  it.each([
    ['show-v4', { family: 4 }],
    ['show-v6', { family: 6 }],
    ['show-all', { table: 'all' }],
    ['show-v4-filter', { family: 4, table: 1000, protocol: 'static', dev: 'v1' }],
    ['show-v4-table', { family: 4, table: 104 }],
  ] as const)('%s', (name, o) => expectSame(name, routeListRequest(o, resolve), true));

  it('defaults to table main, both families', () => {
    const r = routeListRequest({}, resolve);
    expect(r.msg.body.family).toBe(0);
    expect(r.msg.attrs).toEqual({ table: 254 });
  });
});

describe('addr requests are iproute2 6.1 ip addr ...', () => {
  it.each([
    ['addr-add-v4', 'add', { address: '192.0.2.20/24', label: 'v1:a', noprefixroute: true, dev: 'v1' }],
    ['addr-add-v4-brd', 'add', { address: '192.0.2.21/24', broadcast: true, dev: 'v1' }],
    ['addr-add-v4-brd-addr', 'add', { address: '192.0.2.22/24', broadcast: '192.0.2.255', label: 'v1:b', dev: 'v1' }],
    ['addr-add-v4-scope', 'add', { address: '192.0.2.23/32', scope: 'host', dev: 'v1' }],
    ['addr-add-v6', 'add', { address: '2001:db8:1::20/64', nodad: true, dev: 'v1' }],
    ['addr-add-v6-flags', 'add', { address: '2001:db8:1::21/64', noprefixroute: true, nodad: true, dev: 'v1' }],
    ['addr-add-exists', 'add', { address: '192.0.2.20/24', dev: 'v1' }],
    ['addr-del-v4', 'del', { address: '192.0.2.20/24', dev: 'v1' }],
    ['addr-del-v6', 'del', { address: '2001:db8:1::20/64', dev: 3 }],
  ] as const)('%s', (name, op, o) => expectSame(name, addrRequest(op, o, resolve)));

  it('dumps like ip addr show', () => expectSame('addr-show', addrListRequest({}, resolve), true));

  it('computes broadcast + for any prefix length and defaults 127/8 to scope host', () => {
    expect(addrRequest('add', { address: '198.51.100.9/25', broadcast: true, dev: 1 }, resolve).msg.attrs.broadcast)
      .toBe('198.51.100.127');
    expect(addrRequest('add', { address: '127.0.0.2/8', dev: 1 }, resolve).msg.body.scope).toBe(254);
    expect(addrRequest('add', { address: '203.0.113.1/32', broadcast: true, dev: 1 }, resolve).msg.attrs.broadcast)
      .toBe('203.0.113.1');
  });
});

describe('rule requests are iproute2 6.1 ip rule ...', () => {
  it.each([
    ['rule-add-all', 'add', { priority: 1000, from: '192.0.2.0/24', to: '198.51.100.0/24', fwmark: 0x10, fwmask: 0xff,
      iif: 'v1', oif: 'v2', uidrange: [100, 200], ipproto: 'tcp', sport: [1000, 2000], dport: 80, table: 1000 }],
    ['rule-add-simple', 'add', { from: '192.0.2.10', table: 100 }],
    ['rule-add-not', 'add', { priority: 1001, not: true, to: '203.0.113.0/24', table: 'main' }],
    ['rule-add-blackhole', 'add', { priority: 1002, to: '203.0.113.0/24', action: 'blackhole' }],
    ['rule-add-v6', 'add', { priority: 1003, from: '2001:db8:1::/64', table: 100 }],
    ['rule-del', 'del', { priority: 1000 }],
  ] as const)('%s', (name, op, o) => expectSame(name, ruleRequest(op, o)));

  it('dumps like ip rule show', () => {
    expectSame('rule-show', ruleListRequest({ family: 4 }), true);
    expectSame('rule-show-v6', ruleListRequest({ family: 6 }), true);
  });

  it('defaults table main and action to_tbl on add only', () => {
    expect(ruleRequest('add', { priority: 5 }).msg.body).toMatchObject({ table: 254, action: 1 });
    expect(ruleRequest('del', { priority: 5 }).msg.body).toMatchObject({ table: 0, action: 0 });
    expect(ruleRequest('add', { priority: 5, goto: 7 }).msg.body).toMatchObject({ table: 0, action: 2 });
  });
});

describe('link and neigh requests are iproute2 6.1', () => {
  it('dumps like ip link show', () => expectSame('link-show', linkListRequest(), true));
  it('dumps like ip neigh show', () => expectSame('neigh-show', neighListRequest({}, resolve), true));
  it('looks a link up by name or index like ll_link_get', () => {
    expect(linkGetRequest('v1').msg.attrs).toEqual({ extMask: 9, ifname: 'v1' });
    expect(linkGetRequest(3).msg.body.index).toBe(3);
  });
});

/** Compares a view with `ip -j`'s object: every key ip prints, mapped to ours. */
function expectLikeIpJson(view: Record<string, unknown>, ip: Record<string, unknown>, ctx: string): void {
  const map: Record<string, (v: Record<string, unknown>) => unknown> = {
    dst: (v) => v.dst, from: (v) => v.src, gateway: (v) => v.gateway, dev: (v) => v.dev, prefsrc: (v) => v.prefsrc,
    metric: (v) => v.metric, protocol: (v) => v.protocolName ?? String(v.protocol), scope: (v) => v.scopeName,
    type: (v) => v.typeName, table: (v) => v.tableName ?? String(v.table), flags: (v) => v.flags,
    pref: (v) => v.prefName, mark: (v) => v.mark, uid: (v) => v.uid, tos: (v) => `0x${(v.tos as number).toString(16)}`,
    via: (v) => v.via && { family: (v.via as { family: number }).family === 10 ? 'inet6' : 'inet', host: (v.via as { addr: string }).addr },
  };
  for (const [k, want] of Object.entries(ip)) {
    if (k === 'cache' || k === 'nexthops' || k === 'metrics') continue;
    expect(map[k], `${ctx}: ip -j key ${k} is not mapped`).toBeDefined();
    expect(map[k]!(view), `${ctx}: ${k}`).toEqual(want);
  }
}

describe('route views are what ip -j prints', () => {
  it.each(['get-v4', 'get-v4-oif', 'get-v4-all', 'get-v4-fibmatch', 'get-v4-mark0', 'get-v6', 'get-v6-all', 'get-v6-fibmatch'])(
    '%s', (name) => {
      const replies = answers(name).filter((m) => m.type === 24);
      const ip = json(name);
      expect(replies.length).toBe(ip.length);
      replies.forEach((m, i) => expectLikeIpJson(routeView(m, namer) as unknown as Record<string, unknown>, ip[i]!, name));
    });

  it.each(['show-v4', 'show-v6', 'show-all', 'show-v4-filter', 'show-v4-table'])('%s', (name) => {
    const replies = answers(name).filter((m) => m.type === 24);
    const ip = json(name);
    const views = replies.map((m) => routeView(m, namer)!).filter((r) => r !== undefined);
    expect(views.length).toBe(ip.length);
    views.forEach((v, i) => expectLikeIpJson(v as unknown as Record<string, unknown>, ip[i]!, `${name}[${i}]`));
  });

  it('shows multipath hops with weights and devices, metrics, via', () => {
    const views = answers('show-all').filter((m) => m.type === 24).map((m) => routeView(m, namer)!);
    const mp = views.find((v) => v.table === 104)!;
    expect(mp.multipath).toEqual([
      { gateway: '192.0.2.1', ifindex: 3, dev: 'v1', weight: 2, flags: [] },
      { gateway: '198.51.100.1', ifindex: 5, dev: 'v2', weight: 1, flags: ['onlink'] },
    ]);
    expect('metric' in mp).toBe(false);
    const all = views.find((v) => v.table === 1000)!;
    // IPv4 has no source routing: the kernel keeps no RTA_SRC of an IPv4 route.
    expect('src' in all).toBe(false);
    expect(all).toMatchObject({ dst: '198.51.100.128/25', gateway: '192.0.2.1', dev: 'v1',
      prefsrc: '192.0.2.10', metric: 100, protocol: 4, protocolName: 'static', tos: 0x10, flags: ['onlink'] });
    expect(all.metrics).toMatchObject({ mtu: 1400, advmss: 1300, ccAlgo: 'cubic' });
    expect(views.find((v) => v.table === 103)!.via).toEqual({ family: 10, addr: '2001:db8:1::1' });
    const local = views.find((v) => v.type === RTN_LOCAL && v.dst === '203.0.113.7')!;
    expect(local).toMatchObject({ tableName: 'local', scopeName: 'host', typeName: 'local', dstLen: 32 });
  });

  it('filters a dump like ip route show', () => {
    const msgs = answers('show-all').filter((m) => m.type === 24);
    const main4 = msgs.filter((m) => routeMatches(m, routeListRequest({ family: 4 }, resolve).filter));
    expect(main4.length).toBe(json('show-v4').length);
    const one = msgs.filter((m) => routeMatches(m, routeListRequest({ table: 'all', dst: '203.0.113.0/24' }, resolve).filter));
    expect(one.map((m) => routeView(m)!.table).sort((a, b) => a - b)).toEqual([100, 101, 103, 104]);
    const dflt = msgs.filter((m) => routeMatches(m, routeListRequest({ table: 'all', dst: 'default' }, resolve).filter));
    expect(dflt.map((m) => routeView(m)!.dst)).toEqual(['default']);
    const typ = msgs.filter((m) => routeMatches(m, routeListRequest({ table: 'all', type: 'blackhole' }, resolve).filter));
    expect(typ.map((m) => routeView(m)!.dst)).toEqual(['203.0.113.200/29']);
  });

  it('writes prefixes as iproute2', () => {
    expect(prefixText(undefined, 0, 4)).toBe('default');
    expect(prefixText('203.0.113.5', 32, 4)).toBe('203.0.113.5');
    expect(prefixText('2001:db8::', 64, 6)).toBe('2001:db8::/64');
    expect(parsePrefix('2001:DB8:0::1/64', 'x')).toEqual({ family: 6, addr: '2001:db8::1', len: 64, lenGiven: true });
  });
});

describe('link, addr and rule views are what ip -j prints', () => {
  it('links', () => {
    const msgs = answers('link-show').filter((m) => m.type === 16);
    const ip = json('link-show');
    expect(msgs.length).toBe(ip.length);
    msgs.forEach((m, i) => {
      const v = linkView(m)!;
      const j = ip[i]!;
      expect({ index: v.index, ifname: v.ifname, flags: v.flags, mtu: v.mtu, operstate: v.operstate, address: v.address,
        linkType: v.linkTypeName, qdisc: v.qdisc, txqlen: v.txqlen })
        .toEqual({ index: j.ifindex, ifname: j.ifname, flags: j.flags, mtu: j.mtu, operstate: j.operstate, address: j.address,
          linkType: j.link_type, qdisc: j.qdisc, txqlen: j.txqlen });
    });
    expect(Object.fromEntries(linkNames(msgs))).toEqual(Object.fromEntries(byIndex));
  });

  it('addresses', () => {
    const views = answers('addr-show').filter((m) => m.type === 20).map((m) => addrView(m, namer)!);
    const ip = json('addr-show').flatMap((l) => (l.addr_info as Record<string, unknown>[]).map((a): Record<string, unknown> => ({ ...a, dev: l.ifname })));
    expect(views.length).toBe(ip.length);
    for (const a of ip) {
      const v = views.find((x) => x.local === a.local)!;
      expect(v, String(a.local)).toBeDefined();
      expect({ family: v.family === 4 ? 'inet' : 'inet6', prefixlen: v.prefixlen, scope: v.scopeName, dev: v.dev,
        label: v.label, broadcast: v.broadcast, valid: v.validLft, preferred: v.preferredLft })
        .toEqual({ family: a.family, prefixlen: a.prefixlen, scope: a.scope, dev: a.dev, label: a.label,
          broadcast: a.broadcast, valid: a.valid_life_time, preferred: a.preferred_life_time });
      for (const f of ['noprefixroute', 'nodad']) if (a[f] === true) expect(v.flags).toContain(f);
    }
  });

  it('rules', () => {
    const views = answers('rule-show').filter((m) => m.type === 32).map((m) => ruleView(m)!);
    const ip = json('rule-show');
    expect(views.length).toBe(ip.length);
    views.forEach((v, i) => {
      const j = ip[i]!;
      expect(v.priority).toBe(j.priority);
      const src = j.src === 'all' ? undefined : j.srclen !== undefined ? `${String(j.src)}/${String(j.srclen)}` : j.src;
      expect(v.src).toBe(src);
      const dst = j.dst === undefined ? undefined : j.dstlen !== undefined ? `${String(j.dst)}/${String(j.dstlen)}` : j.dst;
      expect(v.dst).toBe(dst);
      if (j.table !== undefined) expect(v.tableName ?? String(v.table)).toBe(j.table);
      if (j.action !== undefined) expect(v.actionName).toBe(j.action);
      expect(v.flags.includes('not')).toBe('not' in j);
      for (const k of ['fwmark', 'iif', 'oif', 'ipproto'] as const) {
        if (j[k] === undefined) continue;
        const ours = { fwmark: v.fwmark !== undefined ? `0x${v.fwmark.toString(16)}` : undefined, iif: v.iifname,
          oif: v.oifname, ipproto: v.ipproto === 6 ? 'tcp' : v.ipproto }[k];
        expect(ours, k).toBe(String(j[k]).split('/')[0]);
      }
    });
  });
});

describe('errors name the request in user terms', () => {
  it('carries the kernel ext-ack text for an invalid prefsrc', () => {
    const built = routeRequest('add', { dst: '203.0.113.64/26', gateway: '192.0.2.1', prefsrc: '203.0.113.99' }, resolve);
    const err = answers('add-v4-bad-prefsrc').find((m) => m.type === NLMSG_ERROR)!;
    expect(err.errno).toBe(-22);
    const e = new NetlinkError(err.errno!, { type: 'RTM_NEWROUTE', seq: err.seq, what: built.what },
      { ...(err.extack?.msg ? { msg: err.extack.msg } : {}), ...(err.errorAttribute ? { attribute: err.errorAttribute } : {}) });
    // Linux 6.18 sends the message without NLMSGERR_ATTR_OFFS for this one (fib_create_info).
    expect(e.message).toBe('route add 203.0.113.64/26: EINVAL: Invalid prefsrc address');
  });

  it('DONE ends every dump fixture', () => {
    for (const n of ['show-v4', 'show-v6', 'addr-show', 'rule-show', 'link-show']) {
      expect(answers(n).some((m) => m.type === NLMSG_DONE), n).toBe(true);
    }
  });

  it('lists the device names an options object needs resolved', () => {
    expect(devNames({ dev: 'v1', iif: 'v2', oif: 3, multipath: [{ dev: 'v3' }, { dev: 4 }] }).sort()).toEqual(['v1', 'v2', 'v3']);
  });
});
