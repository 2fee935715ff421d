/**
 * fast-check arbitraries for netlink datagrams generated from the protocol's own tables:
 * message types the protocol knows, fixed headers of the right size (or short), and
 * attribute trees whose types come from each table, whose payloads fit each kind most of
 * the time and miss it by a few bytes otherwise, nests and next hops included.
 */
import fc from 'fast-check';
import type { Protocol } from '../../src/netlink/message.js';
import type { AttrTable, AttrEntry } from '../../src/netlink/attrs.js';
import { put16, put32, align4 } from './layout.js';
import { cat } from './mutate.js';

const FIXED: Record<string, number> = { u8: 1, s8: 1, u16: 2, s16: 2, u16be: 2, u32: 4, s32: 4, u32be: 4, u64: 8, s64: 8, flag: 0 };
const MAX_DEPTH = 4;

function tlv(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(align4(4 + payload.length));
  put16(out, 0, 4 + payload.length);
  put16(out, 2, type);
  out.set(payload, 4);
  return out;
}

const sized = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
const anyBytes = fc.uint8Array({ maxLength: 40 });
const offBy = (n: number): fc.Arbitrary<Uint8Array> =>
  fc.integer({ min: Math.max(0, n - 3), max: n + 5 }).chain((k) => sized(k));

const cache = new Map<string, fc.Arbitrary<Uint8Array>>();

function payloadArb(e: AttrEntry, table: AttrTable, depth: number): fc.Arbitrary<Uint8Array> {
  const fixed = FIXED[e.kind];
  if (fixed !== undefined) return fc.oneof({ weight: 8, arbitrary: sized(fixed) }, { weight: 1, arbitrary: offBy(fixed) });
  switch (e.kind) {
    case 'string':
      return fc.tuple(fc.string({ maxLength: 20, unit: fc.constantFrom('a', 'e', '0', ':', '\u00e9', '\u0000', '\ud800') }), fc.boolean())
        .map(([s, nul]) => cat([new TextEncoder().encode(s), nul ? Uint8Array.of(0) : new Uint8Array(0)]));
    case 'ipaddr':
      return fc.oneof({ weight: 4, arbitrary: sized(4) }, { weight: 4, arbitrary: sized(16) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }) });
    case 'lladdr': return fc.uint8Array({ maxLength: 10 });
    case 'struct': return fc.oneof({ weight: 6, arbitrary: sized(e.struct!.size) }, { weight: 1, arbitrary: offBy(e.struct!.size) });
    case 'nested': return depth >= MAX_DEPTH ? anyBytes : attrsArb(e.nested(), depth + 1);
    case 'codec':
      if (e.kname === 'RTA_MULTIPATH' && depth < MAX_DEPTH) {
        const hop = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer(), attrsArb(table, depth + 1))
          .map(([f, h, i, a]) => {
            const out = new Uint8Array(8 + a.length);
            put16(out, 0, 8 + a.length);
            out[2] = f;
            out[3] = h;
            put32(out, 4, i);
            out.set(a, 8);
            return out;
          });
        return fc.array(hop, { maxLength: 3 }).map(cat);
      }
      return fc.oneof(sized(2), sized(4), sized(6), sized(8), sized(18), sized(56), sized(100), sized(204), anyBytes);
    default: return anyBytes;
  }
}

/** An attribute list of `table`: known types with fitting payloads, and a few unknown ones. */
export function attrsArb(table: AttrTable, depth = 0): fc.Arbitrary<Uint8Array> {
  const key = `${table.name}:${table.prefix}:${depth}`;
  const hit = cache.get(key);
  if (hit) return hit;
  // Placeholder first: tables that contain themselves (next hops) resolve through the cache.
  let arb: fc.Arbitrary<Uint8Array> | undefined;
  cache.set(key, fc.constant(null).chain(() => arb!));
  const entries = table.byType.filter((e): e is AttrEntry => e !== undefined);
  const known = entries.map((e) => payloadArb(e, table, depth).map((p) => tlv(e.type | e.flags, p)));
  const attr = fc.oneof(
    { weight: 6, arbitrary: fc.oneof(...known) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 0xffff }), anyBytes).map(([t, p]) => tlv(t, p)) },
  );
  arb = fc.array(attr, { maxLength: depth ? 4 : 8 }).map(cat);
  cache.set(key, arb);
  return arb;
}

/** One message of `proto`: a known or control type, its fixed header (maybe short), attributes. */
export function messageArb(proto: Protocol): fc.Arbitrary<Uint8Array> {
  const perSpec = [...proto.messages.values()].map((spec) => fc.record({
    flags: fc.oneof(fc.constantFrom(0, 1, 2, 5, 0x301, 0x405, 0x605, 0x22), fc.integer({ min: 0, max: 0xffff })),
    seq: fc.integer({ min: 0, max: 0xffffffff }),
    pid: fc.integer({ min: 0, max: 0xffffffff }),
    body: fc.oneof({ weight: 8, arbitrary: sized(spec.body?.size ?? 0) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: spec.body?.size ?? 4 }) }),
    attrs: spec.attrs ? attrsArb(spec.attrs) : fc.constant(new Uint8Array(0)),
  }).map((m) => header(spec.type, m.flags, m.seq, m.pid, cat([m.body, new Uint8Array(align4(m.body.length) - m.body.length), m.attrs]))));
  const control = fc.record({
    type: fc.constantFrom(1, 2, 3, 4),
    flags: fc.constantFrom(0, 0x100, 0x200, 0x300, 0x2),
    body: fc.uint8Array({ maxLength: 48 }),
  }).map((m) => header(m.type, m.flags, 0, 0, m.body));
  return fc.oneof({ weight: 5, arbitrary: fc.oneof(...perSpec) }, { weight: 1, arbitrary: control });
}

function header(type: number, flags: number, seq: number, pid: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + payload.length);
  put32(out, 0, out.length);
  put16(out, 4, type);
  put16(out, 6, flags);
  put32(out, 8, seq);
  put32(out, 12, pid);
  out.set(payload, 16);
  return out;
}

/** A datagram: one to four messages, each padded, sometimes followed by trailing bytes. */
export function datagramArb(proto: Protocol): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.array(messageArb(proto), { minLength: 1, maxLength: 4 }), fc.oneof(
    { weight: 6, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 20 }) },
  )).map(([msgs, trailing]) => cat([...msgs.map((m) => cat([m, new Uint8Array(align4(m.length) - m.length)])), trailing]));
}
