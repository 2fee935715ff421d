/**
 * decodeRoutes (bytes straight to Route objects) against the generic path it stands in for:
 * decodeDatagram, then routeMatches and routeView per route message. Every recorded
 * datagram holding a route message, with and without filters and with namers that know some
 * interfaces; random route messages (fast and fallback alike); and mutated captures, which
 * must fail exactly as the generic decoder fails.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../../src/capture/detect.js';
import { decodeDatagram, type NlMsg } from '../../src/netlink/message.js';
import { DecodeError } from '../../src/netlink/errors.js';
import { AF_INET, AF_INET6, NLMSG_DONE, NLA_F_NESTED } from '../../src/netlink/constants.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import {
  RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE, RTA_DST, RTA_SRC, RTA_IIF, RTA_OIF, RTA_GATEWAY,
  RTA_PRIORITY, RTA_PREFSRC, RTA_METRICS, RTA_MULTIPATH, RTA_FLOW, RTA_CACHEINFO, RTA_TABLE,
  RTA_MARK, RTA_VIA, RTA_PREF, RTA_ENCAP_TYPE, RTA_EXPIRES, RTA_UID, RTA_IP_PROTO, RTA_SPORT,
  RTA_DPORT, RTA_NH_ID, RTA_FLOWLABEL,
} from '../../src/rtnl/route.js';
import {
  routeView, routeMatches, routeIfindexes, routeListRequest, type DevNamer, type Route,
  type RouteFilter,
} from '../../src/rtnl/request.js';
import { decodeRoutes, routeFromBytes, fastPathTakes } from '../../src/rtnl/route-decode.js';

// ---------------------------------------------------------------------------------------
// The reference: the generic path

interface Outcome {
  routes: Route[];
  missing: Set<number>;
}

/** What the client did before decodeRoutes: the generic decode, routeMatches, routeView. */
function generic(bytes: Uint8Array, filter: RouteFilter | undefined, name: DevNamer): Outcome {
  const routes: Route[] = [];
  const missing = new Set<number>();
  for (const m of decodeDatagram(bytes, rtnetlink).messages) {
    if (m.type !== RTM_NEWROUTE && m.type !== RTM_DELROUTE) continue;
    if (filter && !routeMatches(m, filter)) continue;
    const r = routeView(m, name);
    if (!r) continue;
    routes.push(r);
    for (const i of routeIfindexes(m)) if (i > 0 && name(i) === undefined) missing.add(i);
  }
  return { routes, missing };
}

function fast(bytes: Uint8Array, filter: RouteFilter | undefined, name: DevNamer): Outcome {
  const routes: Route[] = [];
  const missing = new Set<number>();
  decodeRoutes(bytes, 0, bytes.length, filter, name, routes, missing);
  return { routes, missing };
}

/** The fast routes equal the generic ones: same keys in the same order, same values, same raw. */
function expectSame(f: Outcome, g: Outcome, where: string): void {
  expect(f.routes.length, where).toBe(g.routes.length);
  f.routes.forEach((r, i) => {
    const { raw, ...rest } = g.routes[i]!;
    expect(r, `${where} route ${i}`).toEqual(rest);
    expect(Object.keys(r), `${where} route ${i} keys`).toEqual(Object.keys(rest));
    expect(r.raw, `${where} route ${i} raw`).toEqual(raw);
  });
  expect([...f.missing].sort(), `${where} missing`).toEqual([...g.missing].sort());
}

/** What `fn` returned, or what it threw. */
function attempt<T>(fn: () => T): { value: T; error?: undefined } | { value?: undefined; error: unknown } {
  try {
    return { value: fn() };
  } catch (error) {
    return { error };
  }
}

/** Both throw the same DecodeError, or both give the same routes. */
function expectSameOutcome(bytes: Uint8Array, filter: RouteFilter | undefined, name: DevNamer, where: string): 'ok' | 'threw' {
  const g = attempt(() => generic(bytes, filter, name));
  const f = attempt(() => fast(bytes, filter, name));
  if (g.error !== undefined) {
    expect(g.error, where).toBeInstanceOf(DecodeError);
    expect(f.error, `${where}: the generic decode threw ${String(g.error)}`).toBeInstanceOf(DecodeError);
    const a = f.error as DecodeError;
    const b = g.error as DecodeError;
    expect([a.message, a.offset, a.path, a.detail], where).toEqual([b.message, b.offset, b.path, b.detail]);
    return 'threw';
  }
  if (f.error !== undefined) throw f.error;
  expectSame(f.value!, g.value!, where);
  return 'ok';
}

// ---------------------------------------------------------------------------------------
// Recorded datagrams holding route messages

const root = join(import.meta.dirname, '..', 'fixtures');

function files(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(hex|pcap|pcapng|strace)$/.test(f) ? [p] : [];
  });
}

interface Recorded {
  where: string;
  bytes: Uint8Array;
  msgs: NlMsg[];
}

const recorded: Recorded[] = [];
for (const file of files(root)) {
  let dgs;
  try {
    dgs = readCapture(readFileSync(file));
  } catch {
    continue;
  }
  for (const d of dgs) {
    if (d.protocol !== 0) continue;
    let msgs: NlMsg[];
    try {
      msgs = decodeDatagram(d.bytes, rtnetlink).messages;
    } catch {
      continue;
    }
    if (msgs.some((m) => m.type === RTM_NEWROUTE || m.type === RTM_DELROUTE)) {
      recorded.push({ where: `${file.slice(root.length + 1)}#${d.index}`, bytes: d.bytes, msgs });
    }
  }
}

const routeMsgs = recorded.flatMap((r) => r.msgs.filter((m) => m.type === RTM_NEWROUTE || m.type === RTM_DELROUTE));
const oifs = [...new Set(routeMsgs.flatMap((m) => routeIfindexes(m)))].sort((a, b) => a - b);

/** The attributes of the fast path (decoded keys). */
const fastKeys = new Set(['dst', 'src', 'gateway', 'prefsrc', 'oif', 'iif', 'priority', 'table', 'mark', 'uid',
  'nhId', 'pref', 'ipProto', 'sport', 'dport', 'expires', 'cacheinfo']);

const noName: DevNamer = () => undefined;
/** Knows the odd indexes only. */
const someNames: DevNamer = (i) => (i % 2 ? `if${i}` : undefined);
const allNames: DevNamer = (i) => `dev${i}`;

/** The filters of `ip route show` variants, and one exact-dst filter per distinct route. */
function filters(): RouteFilter[] {
  const none = (): number => { throw new Error('no names'); };
  const out: RouteFilter[] = [
    {}, { family: AF_INET }, { family: AF_INET6 }, { table: 254 }, { table: 255 }, { table: 100 },
    { protocol: 2 }, { protocol: 4 }, { type: 1 }, { type: 2 }, { family: AF_INET6, table: 254, protocol: 2 },
    routeListRequest({}, none).filter,
    routeListRequest({ table: 'all', dst: 'default' }, none).filter,
    routeListRequest({ table: 'all', family: 6, dst: 'default' }, none).filter,
    ...oifs.map((oif) => ({ oif })),
  ];
  const seen = new Set<string>();
  for (const m of routeMsgs) {
    const r = routeView(m);
    if (!r || seen.has(`${r.family} ${r.dst}`)) continue;
    seen.add(`${r.family} ${r.dst}`);
    const addr = m.attrs?.dst as string | undefined;
    out.push({ dst: { family: r.family, len: r.dstLen, ...(addr === undefined ? {} : { addr }) } });
  }
  return out;
}

describe('decodeRoutes on recorded datagrams', () => {
  it('finds the recorded route messages, IPv4 and IPv6, and takes most of them by the fast path', () => {
    expect(recorded.length).toBeGreaterThan(50);
    expect(routeMsgs.some((m) => m.body?.family === AF_INET)).toBe(true);
    expect(routeMsgs.some((m) => m.body?.family === AF_INET6)).toBe(true);
    expect(routeMsgs.some((m) => m.attrs?.multipath)).toBe(true);
    expect(routeMsgs.some((m) => m.attrs?.metrics)).toBe(true);
    expect(routeMsgs.some((m) => m.attrs?.cacheinfo)).toBe(true);
    // Which messages the fast path takes: all but those with nests, next hops, via, or
    // attributes the view does not show (RTA_FLOW...), and requests too short for rtmsg.
    let fastCount = 0;
    let slowCount = 0;
    for (const r of recorded) {
      let o = 0;
      for (const m of r.msgs) {
        const len = new DataView(r.bytes.buffer, r.bytes.byteOffset).getUint32(o, true);
        if (m.type === RTM_NEWROUTE || m.type === RTM_DELROUTE) {
          const plain = m.body !== undefined && !m.raw && Object.keys(m.attrs ?? {}).every((k) => fastKeys.has(k));
          expect(fastPathTakes(r.bytes, o), `${r.where} at ${o}: ${Object.keys(m.attrs ?? {}).join()}`).toBe(plain);
          if (plain) fastCount++;
          else slowCount++;
        }
        o += (len + 3) & ~3;
      }
    }
    expect(fastCount).toBeGreaterThan(3 * slowCount);
    expect(slowCount).toBeGreaterThan(10);
  });

  it('gives routeView\'s Route for every route message, with every namer', () => {
    for (const r of recorded) {
      for (const [label, name] of [['no names', noName], ['some names', someNames], ['all names', allNames]] as const) {
        expectSame(fast(r.bytes, undefined, name), generic(r.bytes, undefined, name), `${r.where} (${label})`);
      }
    }
  });

  it('filters as routeMatches does', () => {
    const fs = filters();
    expect(fs.length).toBeGreaterThan(30);
    let kept = 0;
    let dropped = 0;
    for (const r of recorded) {
      for (const f of fs) {
        const g = generic(r.bytes, f, someNames);
        expectSame(fast(r.bytes, f, someNames), g, `${r.where} filter ${JSON.stringify(f)}`);
        kept += g.routes.length;
        dropped += r.msgs.length - g.routes.length;
      }
    }
    // The filters both keep and drop routes: the comparison is not between empty lists.
    expect(kept).toBeGreaterThan(100);
    expect(dropped).toBeGreaterThan(100);
  });

  it('fills `missing` with the indexes the namer does not know, and leaves dev out for them', () => {
    const r = recorded.find((x) => fast(x.bytes, undefined, noName).missing.size > 1)!;
    expect(r).toBeDefined();
    const f = fast(r.bytes, undefined, someNames);
    for (const i of f.missing) expect(i % 2).toBe(0);
    for (const route of f.routes) {
      if (route.oif !== undefined && route.oif % 2 === 0) expect('dev' in route).toBe(false);
      if (route.oif !== undefined && route.oif % 2 === 1) expect(route.dev).toBe(`if${route.oif}`);
    }
    expect(fast(r.bytes, undefined, allNames).missing.size).toBe(0);
  });

  it('keeps raw off the object: a prototype getter, computed once, from a copy of the bytes', () => {
    const r = recorded.find((x) => x.msgs.some((m) => m.type === RTM_NEWROUTE && m.body?.family === AF_INET && !m.attrs?.metrics && !m.attrs?.multipath))!;
    const bytes = r.bytes.slice();
    const routes: Route[] = [];
    decodeRoutes(bytes, 0, bytes.length, undefined, noName, routes);
    const route = routes[0]!;
    expect(Object.keys(route)).not.toContain('raw');
    expect(JSON.parse(JSON.stringify(route))).not.toHaveProperty('raw');
    expect(Object.getOwnPropertyDescriptor(route, 'raw')).toBeUndefined();
    const expected = structuredClone(decodeDatagram(r.bytes, rtnetlink).messages.find((m) => m.type === RTM_NEWROUTE));
    bytes.fill(0xff); // a reused receive buffer
    expect(route.raw).toEqual(expected);
    expect(route.raw).toBe(route.raw);
    expect(Object.isFrozen(route.flags)).toBe(true);
  });

  it('counts offsets from `start` and reads only [start, end) of a larger buffer', () => {
    for (const r of recorded.slice(0, 20)) {
      const big = new Uint8Array(r.bytes.length + 37).fill(0xee);
      big.set(r.bytes, 13);
      const routes: Route[] = [];
      decodeRoutes(big, 13, 13 + r.bytes.length, undefined, someNames, routes);
      expectSame({ routes, missing: new Set() }, { routes: generic(r.bytes, undefined, someNames).routes, missing: new Set() }, r.where);
    }
    const r = recorded[0]!;
    const bad = r.bytes.slice();
    new DataView(bad.buffer).setUint32(0, 8, true);
    const big = new Uint8Array(bad.length + 20);
    big.set(bad, 20);
    const ge = (() => { try { decodeDatagram(bad, rtnetlink); } catch (e) { return e as DecodeError; } })()!;
    expect(ge.offset).toBe(0);
    expect(() => decodeRoutes(big, 20, big.length, undefined, noName, [])).toThrow(ge.message);
    expect(() => decodeRoutes(big, 20, big.length + 1, undefined, noName, [])).toThrow(RangeError);
  });

  it('routeFromBytes gives the route of a get reply', () => {
    const reply = recorded.find((r) => r.where.startsWith('route/get-v4-prefsrc'))!;
    expect(reply).toBeDefined();
    const m = reply.msgs.find((x) => x.type === RTM_NEWROUTE)!;
    const { raw, ...view } = routeView(m, someNames)!;
    const route = routeFromBytes(reply.bytes, 0, reply.bytes.length, someNames)!;
    expect(route).toEqual(view);
    expect(route.prefsrc).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(route.raw).toEqual(raw);
    expect(routeFromBytes(new Uint8Array(0))).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------
// Random messages

function attr(type: number, payload: Uint8Array): Uint8Array {
  const len = 4 + payload.length;
  const out = new Uint8Array((len + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint16(0, len, true);
  v.setUint16(2, type, true);
  out.set(payload, 4);
  return out;
}

function u32(x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, x, true);
  return b;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

const bytesOf = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
/** `good` mostly, `bad` (a payload of another size) now and then. */
const mostly = (good: fc.Arbitrary<Uint8Array>, bad: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> =>
  fc.oneof({ weight: 30, arbitrary: good }, { weight: 1, arbitrary: bad });
/** An address of the family's size mostly; sometimes the other family's, or a bad size. */
const addr = (family: number): fc.Arbitrary<Uint8Array> => fc.oneof(
  { weight: 30, arbitrary: bytesOf(family === AF_INET6 ? 16 : 4) },
  { weight: 2, arbitrary: bytesOf(family === AF_INET6 ? 4 : 16) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }) },
);
const u32a = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(254), fc.constant(0xffffffff), fc.nat()).map(u32);
const small = mostly(u32a, fc.uint8Array({ maxLength: 6 }));

/** Attributes of a route message of `family`: the fast path's and the fallback's. */
function attrArb(family: number): fc.Arbitrary<Uint8Array[]> {
  const all: fc.Arbitrary<Uint8Array>[] = [
    addr(family).map((b) => attr(RTA_DST, b)),
    addr(family).map((b) => attr(RTA_SRC, b)),
    addr(family).map((b) => attr(RTA_GATEWAY, b)),
    addr(family).map((b) => attr(RTA_PREFSRC, b)),
    ...[RTA_OIF, RTA_IIF, RTA_PRIORITY, RTA_TABLE, RTA_MARK, RTA_UID, RTA_NH_ID].map((t) => small.map((b) => attr(t, b))),
    ...[RTA_PREF, RTA_IP_PROTO].map((t) => mostly(bytesOf(1), bytesOf(2)).map((b) => attr(t, b))),
    ...[RTA_SPORT, RTA_DPORT].map((t) => mostly(bytesOf(2), bytesOf(4)).map((b) => attr(t, b))),
    mostly(fc.oneof(bytesOf(4), bytesOf(8)), bytesOf(6)).map((b) => attr(RTA_EXPIRES, b)),
    mostly(bytesOf(32), fc.oneof(bytesOf(36), bytesOf(8))).map((b) => attr(RTA_CACHEINFO, b)),
    // Always the generic path: nests, next hops, via, encap, no view key, unknown, flag bits.
    u32a.map((b) => attr(RTA_METRICS, attr(2, b))),
    fc.tuple(u32a, addr(family)).map(([ifi, gw]) => {
      const hopAttrs = attr(RTA_GATEWAY, gw);
      const hop = new Uint8Array(8 + hopAttrs.length);
      new DataView(hop.buffer).setUint16(0, hop.length, true);
      hop.set(ifi.subarray(0, 1), 4);
      hop.set(hopAttrs, 8);
      return attr(RTA_MULTIPATH, hop);
    }),
    fc.constantFrom(attr(RTA_VIA, new Uint8Array([10, 0, ...new Array<number>(16).fill(1)])), attr(RTA_VIA, new Uint8Array([2]))),
    fc.constant(attr(RTA_ENCAP_TYPE, new Uint8Array([1, 0]))),
    u32a.map((b) => attr(RTA_FLOW, b)),
    u32a.map((b) => attr(RTA_FLOWLABEL, b)),
    u32a.map((b) => attr(40, b)),
    u32a.map((b) => attr(RTA_OIF | NLA_F_NESTED, b)),
    fc.constant(new Uint8Array([8, 0, RTA_TABLE, 0, 1, 0, 0, 0]).subarray(0, 6)),
  ];
  return fc.tuple(fc.shuffledSubarray(all.map((_, i) => i), { maxLength: 9 }), fc.array(fc.nat(), { maxLength: 2 }))
    .chain(([idx, repeats]) => fc.tuple(...idx.map((i) => all[i]!), ...repeats.map((r) => all[r % 4]!)));
}

const rtmsgArb = fc.record({
  family: fc.constantFrom(AF_INET, AF_INET6, AF_INET, AF_INET6, AF_INET, AF_INET6, 0, 7, 128),
  dstLen: fc.oneof(fc.constantFrom(0, 8, 24, 32, 64, 128), fc.integer({ min: 0, max: 255 })),
  srcLen: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
  tos: fc.constantFrom(0, 0, 16),
  table: fc.constantFrom(0, 254, 255, 100),
  protocol: fc.constantFrom(0, 2, 3, 4, 186, 250),
  scope: fc.constantFrom(0, 253, 254, 100),
  type: fc.constantFrom(1, 2, 3, 6, 7, 42),
  flags: fc.oneof(fc.constantFrom(0, 0, 0x4, 0x10, 0x200, 0x14, 0x1000), fc.nat()),
});

interface RtmsgFields {
  family: number; dstLen: number; srcLen: number; tos: number; table: number; protocol: number;
  scope: number; type: number; flags: number;
}

/** A route message; `pad` bytes of the last attribute's padding cut off by nlmsg_len. */
function routeMsg(msgType: number, b: RtmsgFields, attrs: readonly Uint8Array[], pad: number): Uint8Array {
  const body = new Uint8Array(12);
  body.set([b.family, b.dstLen, b.srcLen, b.tos, b.table, b.protocol, b.scope, b.type]);
  new DataView(body.buffer).setUint32(8, b.flags >>> 0, true);
  const payload = concat([body, ...attrs]);
  const len = 16 + payload.length - pad;
  const hdr = new Uint8Array(16);
  const v = new DataView(hdr.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, msgType, true);
  v.setUint16(6, 2, true);
  v.setUint32(8, 7, true);
  return concat([hdr, payload]);
}

const messageArb = fc.tuple(fc.constantFrom(RTM_NEWROUTE, RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE), rtmsgArb)
  .chain(([t, b]) => fc.tuple(fc.constant(t), fc.constant(b), attrArb(b.family),
    fc.oneof({ weight: 40, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) })))
  .map(([t, b, attrs, pad]) => routeMsg(t, b, attrs, pad));

const datagramArb = fc.tuple(fc.array(messageArb, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.constantFrom(0, 0, 4, 8))
  .map(([msgs, done, zeros]) => {
    const parts = [...msgs];
    if (done) parts.push(new Uint8Array([20, 0, 0, 0, NLMSG_DONE, 0, 2, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    return concat([...parts, new Uint8Array(zeros)]);
  });

const filterArb: fc.Arbitrary<RouteFilter | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record({
    family: fc.constantFrom(AF_INET, AF_INET6),
    table: fc.constantFrom(254, 255, 100),
    protocol: fc.constantFrom(2, 4),
    type: fc.constantFrom(1, 2),
    oif: fc.constantFrom(0, 1, 2, 3),
  }, { requiredKeys: [] }),
);

describe('decodeRoutes on random messages', () => {
  it('equals the generic path, or throws its DecodeError, for random route messages', () => {
    let ok = 0;
    let threw = 0;
    let routes = 0;
    fc.assert(fc.property(datagramArb, filterArb, (bytes, filter) => {
      const r = expectSameOutcome(bytes, filter, someNames, 'random');
      if (r === 'ok') {
        ok++;
        routes += generic(bytes, filter, someNames).routes.length;
      } else threw++;
    }), { numRuns: 3000 });
    // Both outcomes are exercised, and many routes are compared.
    expect(ok).toBeGreaterThan(300);
    expect(threw).toBeGreaterThan(100);
    expect(routes).toBeGreaterThan(300);
  });

  it('equals the generic path for well-formed messages of the fast path\'s attributes', () => {
    const fastAttrs = (family: number): fc.Arbitrary<Uint8Array[]> => {
      const n = family === AF_INET6 ? 16 : 4;
      return fc.tuple(
        fc.option(bytesOf(n).map((b) => attr(RTA_DST, b))), fc.option(bytesOf(n).map((b) => attr(RTA_SRC, b))),
        fc.option(bytesOf(n).map((b) => attr(RTA_GATEWAY, b))), fc.option(bytesOf(n).map((b) => attr(RTA_PREFSRC, b))),
        ...[RTA_OIF, RTA_IIF, RTA_PRIORITY, RTA_TABLE, RTA_MARK, RTA_UID, RTA_NH_ID].map((t) => fc.option(u32a.map((b) => attr(t, b)))),
        ...[RTA_PREF, RTA_IP_PROTO].map((t) => fc.option(bytesOf(1).map((b) => attr(t, b)))),
        ...[RTA_SPORT, RTA_DPORT].map((t) => fc.option(bytesOf(2).map((b) => attr(t, b)))),
        fc.option(fc.oneof(bytesOf(4), bytesOf(8)).map((b) => attr(RTA_EXPIRES, b))),
        fc.option(bytesOf(32).map((b) => attr(RTA_CACHEINFO, b))),
      ).chain((xs) => fc.shuffledSubarray(xs.filter((x): x is Uint8Array => x !== null), { minLength: xs.filter((x) => x !== null).length }));
    };
    const msg = fc.tuple(fc.constantFrom(RTM_NEWROUTE, RTM_DELROUTE), rtmsgArb.filter((b) => b.family === AF_INET || b.family === AF_INET6))
      .chain(([t, b]) => fastAttrs(b.family).map((a) => routeMsg(t, b, a, 0)));
    let n = 0;
    fc.assert(fc.property(fc.array(msg, { minLength: 1, maxLength: 3 }), filterArb, (msgs, filter) => {
      const bytes = concat(msgs);
      expect(expectSameOutcome(bytes, filter, someNames, 'well-formed')).toBe('ok');
      n += fast(bytes, filter, someNames).routes.length;
    }), { numRuns: 1500 });
    expect(n).toBeGreaterThan(500);
  });

  it('throws exactly when the generic decoder throws for mutated and cut recorded datagrams', () => {
    let threw = 0;
    fc.assert(fc.property(
      fc.integer({ min: 0, max: recorded.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.nat(),
      filterArb,
      (i, edits, cut, filter) => {
        const src = recorded[i]!.bytes;
        const b = src.slice(0, Math.max(0, src.length - (cut % 12)));
        for (const [at, v] of edits) if (b.length) b[at % b.length] = v;
        if (expectSameOutcome(b, filter, someNames, `${recorded[i]!.where} mutated`) === 'threw') threw++;
      },
    ), { numRuns: 4000 });
    expect(threw).toBeGreaterThan(100);
  });

  it('never loops on a zero nlmsg_len: zeros end the run, anything after them throws', () => {
    expect(fast(new Uint8Array(64), undefined, noName).routes).toEqual([]);
    const b = new Uint8Array(40);
    b[30] = 1;
    expectSameOutcome(b, undefined, noName, 'zero length');
    expect(() => fast(b, undefined, noName)).toThrow(/nlmsg_len 0 is below 16/);
  });
});
