/**
 * Byte mutations: plain ones (bit flips, interesting values, insertions, deletions,
 * truncation, splices) and netlink-aware ones driven by {@link walkDatagram}: length fields
 * set to 0, 3, 4, 0xffff, past the end or past their parent; parents cut inside a child;
 * attributes duplicated, removed, resized and retyped; attributes nested thousands deep;
 * NLMSG_ERROR echoes inside echoes; messages concatenated by the thousand.
 */
import type { Protocol } from '../../src/netlink/message.js';
import type { Rng } from './rng.js';
import {
  type Region, walkDatagram, ancestors, insertGrow, removeShrink, u16, u32, put16, put32, align4,
} from './layout.js';

/** Inputs never grow past this (a few reach it: huge message and record counts). */
export const MAX_INPUT = 1 << 20;

const INTERESTING_8 = [0, 1, 3, 4, 0x7f, 0x80, 0xfe, 0xff, 0x0f, 0x10, 0x14];
const INTERESTING_16 = [0, 1, 3, 4, 5, 8, 15, 16, 17, 0x7fff, 0x8000, 0xfffc, 0xffff, 0x4000, 0xc000, 0x8001];
const INTERESTING_32 = [0, 1, 3, 4, 15, 16, 17, 20, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

function copy(b: Uint8Array): Uint8Array {
  return b.slice();
}

/** One plain byte-level mutation. */
export function mutateBytes(rng: Rng, input: Uint8Array, pool: readonly Uint8Array[] = []): Uint8Array {
  const n = input.length;
  const pos = (): number => rng.int(n);
  switch (rng.int(12)) {
    case 0: { // flip 1..8 bits
      if (!n) break;
      const b = copy(input);
      for (let k = 1 + rng.small(7); k > 0; k--) b[pos()]! ^= 1 << rng.int(8);
      return b;
    }
    case 1: {
      if (!n) break;
      const b = copy(input);
      b[pos()] = rng.chance(0.5) ? rng.pick(INTERESTING_8) : rng.int(256);
      return b;
    }
    case 2: {
      if (n < 2) break;
      const b = copy(input);
      const o = rng.int(n - 1);
      const v = rng.pick(INTERESTING_16);
      if (rng.chance(0.8)) put16(b, o, v);
      else { b[o] = v >> 8; b[o + 1] = v & 0xff; }
      return b;
    }
    case 3: {
      if (n < 4) break;
      const b = copy(input);
      const o = rng.chance(0.7) ? rng.int(n >> 2) << 2 : rng.int(n - 3);
      const v = rng.pick(INTERESTING_32);
      if (rng.chance(0.8)) put32(b, o, v);
      else { b[o] = v >>> 24; b[o + 1] = (v >>> 16) & 0xff; b[o + 2] = (v >>> 8) & 0xff; b[o + 3] = v & 0xff; }
      return b;
    }
    case 4: // truncate
      return input.slice(0, rng.int(n + 1));
    case 5: { // insert random bytes
      const at = rng.int(n + 1);
      const data = rng.chance(0.5) ? rng.bytes(1 + rng.small(64)) : new Uint8Array(1 + rng.small(64)).fill(rng.pick(INTERESTING_8));
      return cat([input.subarray(0, at), data, input.subarray(at)]);
    }
    case 6: { // delete a range
      if (!n) break;
      const at = rng.int(n);
      const len = 1 + rng.small(Math.min(64, n - at - 1));
      return cat([input.subarray(0, at), input.subarray(at + len)]);
    }
    case 7: { // duplicate a range
      if (!n) break;
      const at = rng.int(n);
      const len = 1 + rng.small(Math.min(256, n - at - 1));
      const times = rng.chance(0.9) ? 1 : rng.small(200);
      const chunk = input.subarray(at, at + len);
      return cat([input.subarray(0, at + len), ...Array<Uint8Array>(times).fill(chunk), input.subarray(at + len)]);
    }
    case 8: { // splice with another input
      if (!pool.length) break;
      const other = rng.pick(pool);
      const a = rng.int(n + 1);
      const c = rng.int(other.length + 1);
      return cat([input.subarray(0, a), other.subarray(c)]);
    }
    case 9: // append garbage or zeros
      return cat([input, rng.chance(0.5) ? rng.bytes(1 + rng.small(40)) : new Uint8Array(1 + rng.small(40))]);
    case 10: { // overwrite a range with one byte value
      if (!n) break;
      const b = copy(input);
      const at = rng.int(n);
      b.fill(rng.pick(INTERESTING_8), at, at + 1 + rng.small(32));
      return b;
    }
    default: { // arithmetic on a byte
      if (!n) break;
      const b = copy(input);
      const o = pos();
      b[o] = (b[o]! + rng.range(-16, 16)) & 0xff;
      return b;
    }
  }
  return rng.bytes(rng.small(64));
}

/** The parts one after the other. */
export function cat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Length values worth trying for a region: the listed nasty ones and ones near its edges. */
function nastyLength(rng: Rng, r: Region, b: Uint8Array): number {
  const toParent = r.parentEnd - r.start;
  const toEnd = b.length - r.start;
  const near = [r.len - 1, r.len + 1, r.len - 4, r.len + 4, r.len + 3, toParent, toParent + 1, toParent + 4,
    toEnd, toEnd + 1, toEnd - 1, toParent - 1];
  const fixed = [0, 1, 2, 3, 4, 5, 7, 8, 12, 15, 16, 17, 19, 20, 0xffff, 0x8000, 0x7fff, 0xfffc];
  const wide = [0x10000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff, 0x100000];
  const list = rng.chance(0.5) ? near : r.width === 4 && rng.chance(0.3) ? wide : fixed;
  const v = rng.pick(list);
  return r.width === 4 ? v >>> 0 : v & 0xffff;
}

function setLen(b: Uint8Array, r: Region, v: number): void {
  if (r.width === 4) put32(b, r.start, v);
  else put16(b, r.start, v);
}

/** Kinds of netlink-aware mutation, weighted by repetition. */
const OPS = [
  'len', 'len', 'len', 'len', 'cutParent', 'cutParent', 'dup', 'dup', 'nest', 'nestSame', 'multipathBomb',
  'echoBomb', 'remove', 'type', 'type', 'resize', 'resize', 'flags', 'fill', 'concat', 'truncate', 'truncate',
  'bytes', 'bytes', 'bytes', 'bytes', 'trailing',
] as const;

/**
 * The mutations that make inputs of hundreds of KiB: thousands of copies, thousands of
 * levels. Rare, so that the run stays fast, but every run meets them.
 */
const HUGE = ['dupMany', 'concatMany', 'nest', 'nestSame', 'multipathBomb', 'echoBomb'] as const;
const HUGE_CHANCE = 0.002;

/**
 * One netlink-aware mutation of `b` (walked with `proto` to find its lengths); falls back to
 * a byte mutation where the datagram has no structure left to work on.
 */
export function mutateNetlinkOnce(rng: Rng, b: Uint8Array, proto: Protocol | undefined,
  pool: readonly Uint8Array[]): Uint8Array {
  const regions = walkDatagram(b, proto);
  const huge = rng.chance(HUGE_CHANCE);
  const op: (typeof OPS)[number] | (typeof HUGE)[number] = huge ? rng.pick(HUGE) : rng.pick(OPS);
  const any = (pred: (r: Region) => boolean = () => true): Region | undefined => {
    const xs = regions.filter(pred);
    return xs.length ? rng.pick(xs) : undefined;
  };
  switch (op) {
    case 'len': {
      const r = any();
      if (!r) break;
      const out = copy(b);
      setLen(out, r, nastyLength(rng, r, b));
      return out;
    }
    case 'cutParent': { // a parent that ends inside one of its children
      const c = any((r) => r.parent !== undefined && r.len > 1);
      if (!c) break;
      const p = c.parent!;
      const out = copy(b);
      const cut = c.start + rng.range(0, c.len) - p.start;
      setLen(out, p, cut);
      return out;
    }
    case 'dup':
    case 'dupMany': {
      const r = any((x) => x.kind !== 'echo');
      if (!r || r.start + r.len > b.length) break;
      const unit = b.subarray(r.start, Math.min(r.start + align4(r.len), b.length));
      const times = op === 'dup' ? 1 + rng.small(3) : rng.pick([16, 100, 300, 1000]);
      const count = Math.max(1, Math.min(times, Math.floor((MAX_INPUT - b.length) / Math.max(unit.length, 1))));
      const data = new Uint8Array(unit.length * count);
      for (let i = 0; i < count; i++) data.set(unit, i * unit.length);
      return insertGrow(b, r.start + unit.length, data, ancestors(r));
    }
    case 'nest':
    case 'nestSame': { // wrap an attribute in `depth` nests
      const r = any((x) => x.kind === 'attr' && x.start + x.len <= b.length);
      if (!r) break;
      const depth = huge ? rng.pick([200, 2000, 10000]) : rng.pick([2, 8, 31, 32, 33, 34, 64]);
      const levels = Math.min(depth, Math.floor((0xffff - r.len) / 4));
      if (levels <= 0) break;
      const type = op === 'nestSame' ? r.type
        : r.parent?.kind === 'attr' ? r.parent.type : rng.chance(0.5) ? r.type | 0x8000 : rng.int(0x10000);
      const data = new Uint8Array(levels * 4);
      for (let i = 0; i < levels; i++) {
        put16(data, i * 4, levels * 4 + r.len - i * 4);
        put16(data, i * 4 + 2, type);
      }
      return insertGrow(b, r.start, data, ancestors(r));
    }
    case 'multipathBomb': return multipathBomb(rng, b, regions, huge);
    case 'echoBomb': return echoBomb(rng, b, huge);
    case 'remove': {
      const r = any((x) => x.kind !== 'echo' && x.start + align4(x.len) <= b.length);
      if (!r) break;
      return removeShrink(b, r.start, align4(r.len), ancestors(r));
    }
    case 'type': {
      const r = any();
      if (!r) break;
      const out = copy(b);
      if (r.kind === 'attr') {
        const table = r.parent?.table;
        const known = table ? table.byType.map((e, i) => (e ? i : -1)).filter((i) => i >= 0) : [];
        const t = known.length && rng.chance(0.6) ? rng.pick(known) : rng.int(0x4000);
        put16(out, r.start + 2, t | (rng.chance(0.2) ? 0x8000 : 0) | (rng.chance(0.1) ? 0x4000 : 0));
      } else if (r.kind === 'msg' || r.kind === 'echo') {
        const types = [1, 2, 3, 4, 0, 15, 16, 17, 18, 19, 20, 21, 22, 24, 25, 26, 28, 29, 30, 32, 33, 34, 36, 64, 65, 66, 108, 0xffff];
        put16(out, r.start + 4, rng.chance(0.8) ? rng.pick(types) : rng.int(0x10000));
      } else {
        out[r.start + 2] = rng.int(256);
        out[r.start + 3] = rng.int(256);
      }
      return out;
    }
    case 'resize': { // payload bytes added or removed at the end of a region, lengths kept consistent
      const r = any((x) => x.start + x.len <= b.length);
      if (!r) break;
      const grow = [r, ...ancestors(r)];
      const end = r.start + r.len;
      if (rng.chance(0.5)) {
        const n = rng.pick([1, 2, 3, 4, 5, 8, 12, 16, 60]);
        return insertGrow(b, end, rng.chance(0.5) ? new Uint8Array(n) : rng.bytes(n), grow);
      }
      const hdr = r.kind === 'attr' ? 4 : r.kind === 'hop' ? 8 : 16;
      const room = r.len - hdr;
      if (room <= 0) break;
      const n = 1 + rng.int(Math.min(room, 16));
      return removeShrink(b, end - n, n, grow);
    }
    case 'flags': {
      const r = any((x) => x.kind === 'msg' || x.kind === 'echo');
      if (!r) break;
      const out = copy(b);
      const f = u16(out, r.start + 6);
      const bit = rng.pick([0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x100, 0x200, 0x300, 0x400, 0x800, 0x8000]);
      put16(out, r.start + 6, rng.chance(0.8) ? f ^ bit : rng.int(0x10000));
      return out;
    }
    case 'fill': {
      const r = any((x) => x.start + x.len <= b.length);
      if (!r) break;
      const out = copy(b);
      const hdr = r.kind === 'attr' ? 4 : r.kind === 'hop' ? 8 : 16;
      const v = rng.pick([0, 0xff, 0x80, 0x41, -1]);
      for (let i = r.start + hdr; i < r.start + r.len; i++) out[i] = v < 0 ? rng.int(256) : v;
      return out;
    }
    case 'concat':
    case 'concatMany': {
      const other = pool.length && rng.chance(0.7) ? rng.pick(pool) : b;
      const msgs = walkDatagram(other, proto).filter((r) => r.kind === 'msg');
      const unit = msgs.length && rng.chance(0.7)
        ? (() => { const m = rng.pick(msgs); return other.subarray(m.start, Math.min(m.start + align4(m.len), other.length)); })()
        : other;
      const padded = unit.length % 4 ? cat([unit, new Uint8Array(4 - (unit.length % 4))]) : unit;
      const times = op === 'concat' ? 1 + rng.small(3) : rng.pick([100, 1000, 5000, 20000, 65536]);
      const count = Math.max(1, Math.min(times, Math.floor((MAX_INPUT - b.length) / Math.max(padded.length, 1))));
      const parts: Uint8Array[] = [];
      const at = rng.chance(0.5) ? b.length : (rng.pick(walkDatagram(b, proto).filter((r) => r.kind === 'msg'))?.start ?? b.length);
      const head = b.length % 4 && at === b.length ? cat([b, new Uint8Array(4 - (b.length % 4))]) : b.subarray(0, at);
      parts.push(head);
      for (let i = 0; i < count; i++) parts.push(padded);
      if (at < b.length) parts.push(b.subarray(at));
      return cat(parts);
    }
    case 'truncate': {
      const r = any();
      if (!r) return b.slice(0, rng.int(b.length + 1));
      const edges = [r.start, r.start + 1, r.start + 2, r.start + 3, r.start + 4, r.start + r.len - 1, r.start + r.len, r.start + 16, r.start + 20];
      return b.slice(0, Math.min(b.length, Math.max(0, rng.pick(edges))));
    }
    case 'trailing':
      return cat([b, rng.chance(0.5) ? new Uint8Array(rng.pick([1, 3, 4, 15, 16, 17, 4096])) : rng.bytes(1 + rng.small(64))]);
    default:
      break;
  }
  return mutateBytes(rng, b, pool);
}

/**
 * RTA_MULTIPATH inside a next hop inside RTA_MULTIPATH..., `depth` deep, as a route
 * message's attribute: each level is an nlattr (type 9) and a struct rtnexthop.
 */
function multipathBomb(rng: Rng, b: Uint8Array, regions: readonly Region[], huge: boolean): Uint8Array {
  const depth = huge ? rng.pick([100, 1000, 5000]) : rng.pick([3, 16, 31, 32, 33, 40]);
  const levels = Math.min(depth, Math.floor((0xffff - 8) / 12));
  const leaf = rng.chance(0.5) ? Uint8Array.of(8, 0, 5, 0, 192, 0, 2, 1) : new Uint8Array(0);
  const total = levels * 12 + leaf.length;
  const data = new Uint8Array(total);
  for (let i = 0; i < levels; i++) {
    const o = i * 12;
    put16(data, o, total - o);
    put16(data, o + 2, 9);
    put16(data, o + 4, total - o - 4);
    data[o + 6] = 0;
    data[o + 7] = 0;
    put32(data, o + 8, i + 1);
  }
  data.set(leaf, levels * 12);
  const route = regions.filter((r) => r.kind === 'msg' && (r.type === 24 || r.type === 25 || r.type === 26)
    && r.attrsAt !== undefined && r.attrsAt <= Math.min(b.length, r.start + r.len));
  if (route.length) {
    const m = rng.pick(route);
    return insertGrow(b, m.attrsAt!, data, [m]);
  }
  // A route message of its own: nlmsghdr, rtmsg, the bomb.
  const msg = new Uint8Array(16 + 12 + data.length);
  put32(msg, 0, msg.length);
  put16(msg, 4, 24);
  msg[16] = 2;
  msg.set(data, 28);
  return cat([b.length % 4 ? cat([b, new Uint8Array(4 - (b.length % 4))]) : b, msg]);
}

/** NLMSG_ERROR echoing an NLMSG_ERROR echoing ..., `depth` deep, around a small request. */
function echoBomb(rng: Rng, b: Uint8Array, huge: boolean): Uint8Array {
  const depth = huge ? rng.pick([1000, 5000, 20000, 50000]) : rng.pick([2, 8, 32, 100]);
  const req = b.length >= 16 && u32(b, 0) >= 16 && u32(b, 0) <= b.length
    ? b.subarray(0, u32(b, 0)) : Uint8Array.of(16, 0, 0, 0, 26, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  const levels = Math.min(depth, Math.floor((MAX_INPUT - req.length) / 20));
  const inner = align4(req.length);
  const total = levels * 20 + inner;
  const out = new Uint8Array(total);
  for (let i = 0; i < levels; i++) {
    const o = i * 20;
    put32(out, o, total - o);
    put16(out, o + 4, 2);
    put16(out, o + 6, rng.chance(0.9) ? 0 : 0x200);
    put32(out, o + 8, i);
    put32(out, o + 16, rng.chance(0.5) ? 0 : (-22 >>> 0));
  }
  out.set(req, levels * 20);
  return out;
}

/**
 * 1 to 5 netlink-aware mutations of `b`; the result stays below {@link MAX_INPUT}.
 */
export function mutateNetlink(rng: Rng, b: Uint8Array, proto: Protocol | undefined,
  pool: readonly Uint8Array[]): Uint8Array {
  let cur = b;
  for (let k = 1 + rng.small(4); k > 0; k--) {
    const next = mutateNetlinkOnce(rng, cur, proto, pool);
    if (next.length <= MAX_INPUT) cur = next;
  }
  return cur;
}
