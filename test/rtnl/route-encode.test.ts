/**
 * The direct route writers against the generic path (routeRequest / routeGetRequest, then
 * encodeMessage), byte for byte: over a table of option sets and over fast-check's random
 * ones, including invalid values and text that almost parses. Whatever the fast path takes
 * must be the generic bytes; whatever it throws must be the generic error; the rest (0) is
 * left to the generic path. The common shapes must be taken, so the fast path cannot quietly
 * decay into "always 0".
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NLM_F_ACK, NLM_F_REQUEST } from '../../src/netlink/constants.js';
import { encodeMessage, messageLength, type NlMsg } from '../../src/netlink/message.js';
import { formatIPv6, parseIPv6, writeIPv6 } from '../../src/netlink/ip.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import {
  MissingDevice, routeGetRequest, routeRequest, type BuiltRequest, type DevResolver, type RouteGetOptions,
  type RouteOp, type RouteOptions,
} from '../../src/rtnl/request.js';
import { ROUTE_REQUEST_MAX, writeRouteGetRequest, writeRouteRequest } from '../../src/rtnl/route-encode.js';

const devices: Record<string, number> = {
  veth0: 5, eth0: 2, lo: 1, zero: 0, nan: NaN, neg: -1, huge: 2 ** 32, big: 0xffffffff,
};
const resolve: DevResolver = (name, what) => {
  const i = devices[name];
  if (i === undefined) throw new MissingDevice(name, what);
  return i;
};

const ops: RouteOp[] = ['add', 'replace', 'append', 'change', 'del'];
const extras = [0, NLM_F_REQUEST | NLM_F_ACK];

/** The generic bytes (seq 0, pid 0, flags | extra), or the error the generic path throws. */
function generic(build: () => BuiltRequest, extra: number): Uint8Array | Error {
  try {
    const { msg } = build();
    const m: NlMsg = { type: msg.type, flags: msg.flags | extra, seq: 0, pid: 0, body: msg.body, attrs: msg.attrs };
    const out = new Uint8Array(messageLength(m, rtnetlink));
    encodeMessage(m, { buf: out, view: new DataView(out.buffer) }, 0, rtnetlink);
    return out;
  } catch (e) {
    return e as Error;
  }
}

const OFF = 12;
const big = new Uint8Array(1024);
const bigView = new DataView(big.buffer);

/** What the fast writer gives at OFF of a buffer full of 0xaa: bytes, 0, or the error. */
function fast(write: (b: Uint8Array, v: DataView, off: number) => number): Uint8Array | 0 | Error {
  big.fill(0xaa);
  let n: number;
  try {
    n = write(big, bigView, OFF);
  } catch (e) {
    return e as Error;
  }
  expect(big.subarray(0, OFF).every((x) => x === 0xaa)).toBe(true);
  expect(n).toBeGreaterThanOrEqual(0);
  if (n === 0) return 0;
  expect(n % 4).toBe(0);
  expect(big.subarray(OFF + n, OFF + n + ROUTE_REQUEST_MAX).every((x) => x === 0xaa)).toBe(true);
  return big.slice(OFF, OFF + n);
}

const tally = { taken: 0, left: 0, thrown: 0 };

/** Checks one case; true when the fast path took it. */
function agree(f: Uint8Array | 0 | Error, g: Uint8Array | Error, label: unknown): boolean {
  const text = JSON.stringify(label, (_, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
  if (f instanceof Error) {
    tally.thrown++;
    expect(g, text).toBeInstanceOf(Error);
    expect((f as Error).constructor, text).toBe((g as Error).constructor);
    expect(f.message, text).toBe((g as Error).message);
    return false;
  }
  if (f === 0) {
    tally.left++;
    return false;
  }
  tally.taken++;
  expect(g, text).toBeInstanceOf(Uint8Array);
  expect(Buffer.from(f).toString('hex'), text).toBe(Buffer.from(g as Uint8Array).toString('hex'));
  return true;
}

function checkRoute(op: RouteOp, o: RouteOptions, extra = 0): boolean {
  const f = fast((b, v, off) => writeRouteRequest(op, o, resolve, extra, b, v, off));
  return agree(f, generic(() => routeRequest(op, o, resolve), extra), { op, o, extra });
}

function checkGet(o: RouteGetOptions, extra = 0): boolean {
  const f = fast((b, v, off) => writeRouteGetRequest(o, resolve, extra, b, v, off));
  return agree(f, generic(() => routeGetRequest(o, resolve), extra), { get: o, extra });
}

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

const v4Dsts = ['198.51.100.0/24', '198.51.100.7', '198.51.100.7/32', '0.0.0.0/0', '10.0.0.0/8',
  '255.255.255.255/32', '198.51.100.1/24', '192.0.2.0/0'];
const v6Dsts = ['2001:db8:ff::1:2/128', '2001:db8::/32', '::/0', '::1', 'fe80::1', '::ffff:192.0.2.1',
  '2001:DB8::A/64', '1:2:3:4:5:6:7:8', '2001:0db8:0000:0000:0000:0000:0000:0001/127', '::', 'ff02::1:ff00:0/104'];
const defaults = ['default', 'all', 'any'];
const badAddrs = ['198.51.100.0/33', '198.51.100.0/024', '198.51.100.0/', '198.51.100', '198.51.100.256',
  '198.051.100.1', '2001:db8::/129', '2001:db8:::1', '2001:db8::1::2', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7',
  '::ffff:192.0.2.01', '::ffff:192.0.2', 'g::1', '12345::1', ':1::2', '1::2:', '', ' 198.51.100.1',
  '198.51.100.1 ', 'default ', 'Default', '/24', '198.51.100.0/2a', '2001:db8::/0x8', '::1.2.3.4:5',
  '1.2.3.4::', '1:2:3:4:5:6:7:1.2.3.4', '1::1.2.3.4/96'];

const v4Gw = ['192.0.2.1', '203.0.113.254'];
const v6Gw = ['2001:db8::1', 'fe80::1', '::ffff:192.0.2.1'];
const badGw = ['192.0.2.1/32', 'x', '2001:db8::1/128', '', 5];

/** Options that may go with any destination, one key at a time. */
const single: Partial<Record<keyof RouteOptions, unknown[]>> = {
  family: [4, 6, 5, '4'],
  gateway: [...v4Gw, ...v6Gw, ...badGw],
  via: ['2001:db8::1', { family: 10, addr: '2001:db8::1' }],
  prefsrc: [...v4Gw, ...v6Gw, ...badGw],
  src: ['192.0.2.0/24', '192.0.2.10', '2001:db8::/48', '192.0.2.0/33', 'default', 7],
  metric: [0, 100, 1024, 0xffffffff, 2 ** 32, -1, 1.5, '5', NaN],
  table: [1001, 255, 254, 256, 0, 252, 253, 0xffffffff, 'main', 'local', 'default', 'unspec', 'compat', '1001',
    '0254', '0x10', 'nope', 'all', 2 ** 32, -1, 2.5, '', 'toString', '__proto__', null],
  protocol: ['static', 'boot', 'kernel', 'bird', 'bgp', 'unspec', 4, 0, 255, 256, '186', '0x4', 'nope', -1, true],
  scope: ['link', 'host', 'global', 'universe', 'site', 'nowhere', 0, 253, 255, 300, 'constructor', '200'],
  type: ['unicast', 'local', 'blackhole', 'unreachable', 'prohibit', 'nat', 'broadcast', 'multicast', 'anycast',
    'throw', 'none', 'xresolve', 0, 2, 12, 256, 'valueOf', 'bogus'],
  pref: ['low', 'medium', 'high', 0, 1, 3, 255, 256, 'x'],
  onlink: [true, false, 1, 0, 'yes'],
  tos: [0, 4, 255, 256, -1, 0.5],
  dev: ['veth0', 'eth0', 'lo', 3, 0, -1, 0x7fffffff, 0x80000000, 1.5, '', 'missing', 'nan', 'neg', 'huge', 'big',
    'zero', null, {}],
  oif: [5, 2, 0, 'veth0', 'missing', 2 ** 31],
  metrics: [{ mtu: 1400 }, {}],
  multipath: [[{ gateway: '192.0.2.1', dev: 'veth0' }], []],
};

const combos: RouteOptions[] = [
  { dst: '198.51.100.0/24', gateway: '192.0.2.1', prefsrc: '192.0.2.10', dev: 'veth0', table: 1001 },
  { dst: '2001:db8:ff::/64', gateway: '2001:db8::1', prefsrc: '2001:db8::10', dev: 'veth0', table: 1001 },
  { dst: '198.51.100.0/24', gateway: '192.0.2.1', prefsrc: '192.0.2.10', dev: 'veth0', oif: 5, metric: 100,
    table: 'main', protocol: 'static', scope: 'global', type: 'unicast', onlink: true, tos: 4, src: '192.0.2.0/24' },
  { dst: '2001:db8::/48', src: '2001:db8:1::/48', gateway: 'fe80::1', prefsrc: '2001:db8::10', metric: 1024,
    table: 300, protocol: 186, scope: 0, type: 1, pref: 'high', dev: 2 },
  { dst: 'default', gateway: '192.0.2.1' },
  { dst: 'default', gateway: 'fe80::1', dev: 'eth0' },
  { dst: 'default', family: 6, type: 'unreachable' },
  { dst: 'default', src: '2001:db8::/64', dev: 'lo' },
  { dst: 'default', prefsrc: '2001:db8::10', dev: 'lo' },
  { dst: 'default', prefsrc: '192.0.2.10', dev: 'lo' },
  { dst: 'any', family: 4, type: 'blackhole', table: 1001 },
  { dst: '192.0.2.10', type: 'local', dev: 'lo' },
  { dst: '192.0.2.10', type: 'local', dev: 'lo', table: 'main' },
  { dst: '2001:db8::10', type: 'local', dev: 'lo' },
  { dst: '192.0.2.0/24', type: 'nat', gateway: '192.0.2.1' },
  { dst: '198.51.100.0/24', type: 'blackhole' },
  { dst: '198.51.100.0/24', type: 'unreachable', metric: 7 },
  { dst: '198.51.100.0/24', type: 'prohibit', table: 1001, protocol: 'bird' },
  { dst: '224.0.0.0/4', type: 'multicast', dev: 'veth0' },
  { dst: '198.51.100.255', type: 'broadcast', dev: 'veth0', table: 'local' },
  { dst: '198.51.100.0/24', gateway: '192.0.2.1', dev: 'veth0', onlink: true },
  { dst: '198.51.100.0/24', dev: 'veth0', oif: 2 },
  { dst: '198.51.100.0/24', dev: 'missing', oif: 2 },
  { dst: '198.51.100.0/24', gateway: '2001:db8::1', dev: 'veth0' },
  { dst: '198.51.100.0/24', gateway: '192.0.2.1', via: '192.0.2.1' },
  { dst: '198.51.100.0/24', table: 256, scope: 'link', dev: 'big' },
  { dst: '2001:db8::/64', pref: 'low', gateway: 'fe80::1', dev: 'veth0', table: 'local' },
];

// ---------------------------------------------------------------------------------------
// Route add / replace / append / change / del
// ---------------------------------------------------------------------------------------

describe('writeRouteRequest', () => {
  it('takes the benchmark shapes, for every op, with the generic bytes', () => {
    for (const op of ops) {
      for (const extra of extras) {
        expect(checkRoute(op, combos[0]!, extra)).toBe(true);
        expect(checkRoute(op, combos[1]!, extra)).toBe(true);
        expect(checkRoute(op, combos[2]!, extra)).toBe(true);
        expect(checkRoute(op, combos[3]!, extra)).toBe(true);
      }
    }
  });

  it('takes the common shapes', () => {
    const taken: RouteOptions[] = [
      { dst: '198.51.100.0/24', dev: 'veth0' }, { dst: 'default', gateway: '192.0.2.1' },
      { dst: 'default', gateway: 'fe80::1', dev: 'eth0' }, { dst: '198.51.100.0/24', type: 'blackhole' },
      { dst: '192.0.2.10', type: 'local', dev: 'lo' }, { dst: '2001:db8::/64', dev: 2, metric: 1024 },
      { dst: '::ffff:192.0.2.0/120', dev: 'eth0', table: '1001', protocol: '4' },
      { dst: '198.51.100.0/24', gateway: '192.0.2.1', dev: 'veth0', onlink: true, tos: 4 },
    ];
    for (const o of taken) expect(checkRoute('add', o), JSON.stringify(o)).toBe(true);
  });

  it('agrees with the generic path for each option alone, on every destination and op', () => {
    for (const dst of [...v4Dsts, ...v6Dsts, ...defaults, ...badAddrs, undefined, 5]) {
      for (const op of ops) {
        checkRoute(op, { dst } as RouteOptions);
        for (const [key, values] of Object.entries(single)) {
          for (const value of values!) checkRoute(op, { dst, [key]: value } as RouteOptions, NLM_F_REQUEST | NLM_F_ACK);
        }
      }
    }
  });

  it('agrees with the generic path for combined options', () => {
    for (const op of ops) for (const o of combos) for (const extra of extras) checkRoute(op, o, extra);
    // Each single option on top of each combination.
    for (const o of combos) {
      for (const [key, values] of Object.entries(single)) {
        for (const value of values!) checkRoute('replace', { ...o, [key]: value } as RouteOptions);
      }
    }
  });

  it('leaves odd inputs to the generic path', () => {
    for (const o of [null, undefined, 5, 'x']) checkRoute('add', o as unknown as RouteOptions);
    for (const op of ['toString', '__proto__', 'get', 'constructor']) checkRoute(op as RouteOp, combos[0]!);
    for (const extra of [0x10000, -1, 0xffff, 0x100]) checkRoute('add', combos[0]!, extra);
  });

  it('throws the generic MissingDevice for a device not looked up, and only then', () => {
    const o = { dst: '198.51.100.0/24', gateway: '192.0.2.1', dev: 'missing' };
    const f = fast((b, v, off) => writeRouteRequest('add', o, resolve, 0, b, v, off));
    expect(f).toBeInstanceOf(MissingDevice);
    expect((f as MissingDevice).message).toBe('route add 198.51.100.0/24: device "missing" not looked up yet');
    agree(f, generic(() => routeRequest('add', o, resolve), 0), o);
    // A bad option routeRequest checks before the device: no lookup, the generic error.
    let calls = 0;
    const counting: DevResolver = (n, w) => (calls++, resolve(n, w));
    big.fill(0);
    expect(writeRouteRequest('add', { ...o, metric: -1 }, counting, 0, big, bigView, 0)).toBe(0);
    expect(calls).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------
// Route get
// ---------------------------------------------------------------------------------------

const getSingle: Partial<Record<keyof RouteGetOptions, unknown[]>> = {
  from: ['192.0.2.10', '192.0.2.0/24', '2001:db8::10', '2001:db8::/64', 'x', '192.0.2.1/33', 3],
  iif: ['veth0', 'eth0', 2, 0, 'missing', 'nan', ''],
  oif: ['veth0', 2, -3, 'huge'],
  dev: ['veth0', 'eth0', 7, 'missing', 'zero'],
  mark: [0, 1, 0xffffffff, 2 ** 32, -1, 1.5, '1'],
  uid: [0, 1000, 0xffffffff, 2 ** 32, -1],
  ipproto: ['tcp', 'udp', 'icmp', 'ipv6-icmp', 'icmpv6', 'sctp', 'dccp', 6, 17, 255, 256, '6', '0x6', 'nope', 'hasOwnProperty'],
  sport: [0, 53, 0xffff, 0x10000, -1, 443.5],
  dport: [0, 80, 0xffff, 0x10000, -1],
  tos: [0, 4, 255, 256],
  fibmatch: [true, false, 1, undefined],
};

const getCombos: RouteGetOptions[] = [
  { dst: '203.0.113.5' },
  { dst: '2001:db8::5' },
  { dst: '203.0.113.5', from: '192.0.2.10', iif: 'veth0' },
  { dst: '203.0.113.5', oif: 'veth0' },
  { dst: '203.0.113.5', dev: 'veth0', oif: 5, mark: 7, uid: 1000, ipproto: 'tcp', sport: 1234, dport: 443, tos: 4, fibmatch: true },
  { dst: '2001:db8::5', from: '2001:db8::10', iif: 'eth0', dev: 'veth0', mark: 0, uid: 0, ipproto: 'ipv6-icmp', sport: 0, dport: 0, fibmatch: true },
  { dst: '203.0.113.5/32', fibmatch: true },
  { dst: '2001:db8::5/128', dev: 2 },
  { dst: '203.0.113.5', dev: 'veth0', oif: 2 },
];

describe('writeRouteGetRequest', () => {
  it('takes the common ip-route-get shapes with the generic bytes', () => {
    for (const o of getCombos.slice(0, 8)) for (const extra of extras) expect(checkGet(o, extra), JSON.stringify(o)).toBe(true);
  });

  it('agrees with the generic path for each option alone and combined', () => {
    for (const dst of ['203.0.113.5', '2001:db8::5', '::ffff:203.0.113.5', '203.0.113.5/32', '203.0.113.0/24',
      '2001:db8::/64', 'default', ...badAddrs, undefined]) {
      checkGet({ dst } as RouteGetOptions);
      for (const [key, values] of Object.entries(getSingle)) {
        for (const value of values!) checkGet({ dst, [key]: value } as RouteGetOptions, NLM_F_REQUEST | NLM_F_ACK);
      }
    }
    for (const o of getCombos) {
      for (const [key, values] of Object.entries(getSingle)) {
        for (const value of values!) checkGet({ ...o, [key]: value } as RouteGetOptions);
      }
    }
    for (const o of [null, 7]) checkGet(o as unknown as RouteGetOptions);
    for (const extra of [0x10000, -1, 0xffff]) checkGet(getCombos[0]!, extra);
  });
});

// ---------------------------------------------------------------------------------------
// Random options
// ---------------------------------------------------------------------------------------

const addrText = fc.constantFrom(...v4Dsts, ...v6Dsts, ...v4Gw, ...v6Gw, ...defaults, ...badAddrs);
/** An address with one character inserted, replaced or removed. */
const almost = fc.tuple(addrText, fc.nat(), fc.constantFrom('', '0', '00', '.', ':', '::', '/', '/0', '/33', '/129',
  '1', 'f', 'F', 'g', ' ', '-', '255', '256'), fc.constantFrom(0, 1)).map(([a, i, c, cut]) => {
  const k = i % (a.length + 1);
  return a.slice(0, k) + c + a.slice(k + cut);
});
const addr = fc.oneof(addrText, almost, fc.string({ maxLength: 12 }));
const num = fc.oneof(fc.integer({ min: -2, max: 300 }), fc.constantFrom(0xffffffff, 2 ** 32, 0x7fffffff, 0x80000000, 1.5, NaN, -0));
const anyOf = (values: unknown[]): fc.Arbitrary<unknown> => fc.oneof(fc.constantFrom(...values), num, fc.string({ maxLength: 6 }));
const routeOptions = fc.record(Object.fromEntries([
  ['dst', fc.oneof(addr, fc.constantFrom(...defaults))],
  ['gateway', addr], ['prefsrc', addr], ['src', addr],
  ...Object.entries(single).filter(([k]) => !['gateway', 'prefsrc', 'src'].includes(k)).map(([k, v]) => [k, anyOf(v!)]),
]), { requiredKeys: ['dst'] }) as fc.Arbitrary<RouteOptions>;
const getOptions = fc.record(Object.fromEntries([
  ['dst', addr], ['from', addr],
  ...Object.entries(getSingle).filter(([k]) => k !== 'from').map(([k, v]) => [k, anyOf(v!)]),
]), { requiredKeys: ['dst'] }) as fc.Arbitrary<RouteGetOptions>;

describe('random options', () => {
  it('route requests: generic bytes, generic errors, or 0', () => {
    fc.assert(fc.property(fc.constantFrom(...ops), routeOptions, fc.constantFrom(...extras),
      (op, o, extra) => { checkRoute(op, o, extra); }), { numRuns: 20_000 });
  });

  it('route gets: generic bytes, generic errors, or 0', () => {
    fc.assert(fc.property(getOptions, fc.constantFrom(...extras), (o, extra) => { checkGet(o, extra); }), { numRuns: 20_000 });
  });

  it('repeated, alternating and invalid addresses in a row give the generic bytes each time', () => {
    // The writers remember the last gateway, prefsrc, src and from they parsed.
    const texts = fc.constantFrom('192.0.2.1', '192.0.2.10', '2001:db8::1', 'fe80::1', '192.0.2.1/32', '192.0.2.0/24', 'x', '');
    fc.assert(fc.property(fc.array(fc.tuple(texts, texts, texts, fc.constantFrom('default', '198.51.100.0/24', '2001:db8::/64'))),
      (rows) => {
        for (const [gateway, prefsrc, src, dst] of rows) {
          checkRoute('add', { dst, gateway, prefsrc, src, dev: 'veth0' });
          checkRoute('add', { dst, prefsrc: gateway, src: prefsrc });
          checkGet({ dst: gateway, from: src, oif: 'veth0' });
        }
      }), { numRuns: 300 });
  });

  it('IPv6 of any 16 bytes, as inet_ntop writes it or in full', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }), (b, len) => {
      const text = formatIPv6(b);
      const full = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16).padStart(4, '0')).join(':');
      for (const dst of [text, `${text}/${len}`, full.toUpperCase()]) {
        expect(checkRoute('add', { dst, gateway: 'fe80::1', dev: 'veth0' }), dst).toBe(true);
        expect(checkGet({ dst: text, from: dst }), dst).toBe(true);
      }
    }), { numRuns: 5_000 });
  });

  it('writeIPv6 takes exactly the texts parseIPv6 takes, with its bytes', () => {
    const out = new Uint8Array(40);
    const check = (s: string): void => {
      const want = parseIPv6(s);
      out.fill(0xaa);
      const ok = writeIPv6(s, out, 8);
      expect(ok, s).toBe(want !== undefined);
      expect(out.subarray(0, 8).every((x) => x === 0xaa) && out.subarray(24).every((x) => x === 0xaa), s).toBe(true);
      if (want) expect([...out.subarray(8, 24)], s).toEqual([...want]);
      // The same text inside a longer string, by range.
      const padded = `x${s}/64`;
      expect(writeIPv6(padded, out, 8, 1, 1 + s.length), s).toBe(want !== undefined);
      if (want) expect([...out.subarray(8, 24)], s).toEqual([...want]);
    };
    const chars = fc.constantFrom(...'0123456789abcdefABCDEFg:.::'.split(''), '::');
    fc.assert(fc.property(fc.array(chars, { maxLength: 24 }), (cs) => check(cs.join(''))), { numRuns: 30_000 });
    fc.assert(fc.property(almost, (s) => check(s)), { numRuns: 10_000 });
    for (const s of [...v6Dsts.map((d) => d.split('/')[0]!), ...badAddrs, '::', ':::', '1::', '::1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7::', '::1.2.3.4', '1::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5::1.2.3.4', '1.2.3.4',
      '0:0:0:0:0:0:0:0', '00000::1', 'fffff::']) check(s);
  });

  it('took, left and threw a fair share of the cases', () => {
    // The tables above must exercise all three outcomes, the fast path above all.
    expect(tally.taken).toBeGreaterThan(5_000);
    expect(tally.left).toBeGreaterThan(1_000);
    expect(tally.thrown).toBeGreaterThan(10);
  });
});

// ---------------------------------------------------------------------------------------
// Room
// ---------------------------------------------------------------------------------------

describe('short buffers', () => {
  const shapes: [string, (b: Uint8Array, v: DataView, off: number) => number][] = [
    ['add v4', (b, v, off) => writeRouteRequest('add', combos[0]!, resolve, 5, b, v, off)],
    ['add v6', (b, v, off) => writeRouteRequest('add', combos[3]!, resolve, 5, b, v, off)],
    ['get v4', (b, v, off) => writeRouteGetRequest(getCombos[4]!, resolve, 5, b, v, off)],
    ['get v6', (b, v, off) => writeRouteGetRequest(getCombos[5]!, resolve, 5, b, v, off)],
  ];

  it('never writes past buf.length; -n when the n-byte message does not fit', () => {
    const backing = new ArrayBuffer(2 * ROUTE_REQUEST_MAX + 64);
    const all = new Uint8Array(backing);
    for (const [name, write] of shapes) {
      const want = fast(write) as Uint8Array;
      expect(want, name).toBeInstanceOf(Uint8Array);
      const n = want.length;
      for (let len = 0; len <= ROUTE_REQUEST_MAX + 24; len++) {
        for (const off of [0, 4, 20]) {
          all.fill(0x55);
          const buf = new Uint8Array(backing, 8, len);
          const view = new DataView(backing, 8, len);
          const r = write(buf, view, off);
          const label = `${name} len ${len} off ${off}`;
          if (off + n <= len) {
            expect(r, label).toBe(n);
            expect(Buffer.from(buf.subarray(off, off + n)).equals(want), label).toBe(true);
          } else {
            expect(r, label).toBe(-n);
            expect(buf.every((x) => x === 0x55), label).toBe(true);
          }
          expect(all.subarray(0, 8 + Math.min(off, len)).every((x) => x === 0x55), label).toBe(true);
          expect(all.subarray(8 + len).every((x) => x === 0x55), label).toBe(true);
        }
      }
    }
  });

  it('signals no room only for options it takes', () => {
    const tiny = new Uint8Array(8);
    expect(writeRouteRequest('add', { dst: '198.51.100.0/24', metrics: { mtu: 1400 } }, resolve, 0, tiny, new DataView(tiny.buffer), 0)).toBe(0);
    expect(writeRouteGetRequest({ dst: 'x' }, resolve, 0, tiny, new DataView(tiny.buffer), 0)).toBe(0);
  });
});
