/**
 * pcap and pcapng files built from datagrams, in either byte order, with the fields a
 * reader trusts (incl_len, snaplen, link type, block lengths, captured lengths, interface
 * ids, option lengths, if_tsresol) sometimes set to nasty values; and mutations of such
 * files that walk their records and blocks.
 */
import type { Rng } from './rng.js';
import { cat, mutateBytes, MAX_INPUT } from './mutate.js';

/** A datagram to put in a capture, with its netlink protocol. */
export interface Datagram {
  bytes: Uint8Array;
  protocol: number;
}

class W {
  parts: number[] = [];
  constructor(readonly le: boolean) {}
  u8(v: number): this { this.parts.push(v & 0xff); return this; }
  u16(v: number): this {
    if (this.le) this.parts.push(v & 0xff, (v >>> 8) & 0xff);
    else this.parts.push((v >>> 8) & 0xff, v & 0xff);
    return this;
  }
  u32(v: number): this {
    v >>>= 0;
    if (this.le) this.parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
    else this.parts.push(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    return this;
  }
  bytes(b: Uint8Array): this { for (const x of b) this.parts.push(x); return this; }
  pad4(): this { while (this.parts.length % 4) this.parts.push(0); return this; }
  done(): Uint8Array { return Uint8Array.from(this.parts); }
}

const NASTY_32 = [0, 1, 3, 4, 11, 12, 13, 15, 16, 17, 20, 0xffff, 0x10000, 0x40000, 0x7fffffff, 0x80000000, 0xffffffff];
const PKTTYPES = [0, 1, 2, 3, 4, 5, 6, 7, 0xffff];

function cooked(rng: Rng, d: Datagram): Uint8Array {
  const h = new Uint8Array(16);
  const pkttype = rng.pick(PKTTYPES);
  const hatype = rng.chance(0.95) ? 824 : rng.pick([0, 1, 772, 823, 825, 0xffff]);
  h[0] = pkttype >> 8; h[1] = pkttype & 0xff;
  h[2] = hatype >> 8; h[3] = hatype & 0xff;
  const proto = rng.chance(0.9) ? d.protocol : rng.pick([0, 4, 16, 0xffff]);
  h[14] = proto >> 8; h[15] = proto & 0xff;
  return cat([h, d.bytes]);
}

/** A pcap file; one field in ten is a lie when `lie` is set. */
export function buildPcap(rng: Rng, dgs: readonly Datagram[], lie: boolean): Uint8Array {
  const le = rng.chance(0.7);
  const w = new W(le);
  const nsec = rng.chance(0.3);
  const fib = (v: number): number => (lie && rng.chance(0.1) ? rng.pick(NASTY_32) : v);
  w.u32(nsec ? 0xa1b23c4d : 0xa1b2c3d4).u16(fib(2)).u16(fib(4)).u32(0).u32(0);
  const snap = rng.chance(0.8) ? 262144 : rng.pick([0, 16, 64, 65535]);
  w.u32(fib(snap)).u32(lie && rng.chance(0.1) ? rng.pick([1, 252, 254, 253 | 0x10000000, 253 | 0xfc000000, 0xffffffff]) : 253);
  for (const d of dgs) {
    const pkt = lie && rng.chance(0.1) ? cooked(rng, d).subarray(0, rng.int(16)) : cooked(rng, d);
    w.u32(rng.u32()).u32(nsec ? rng.int(1e9) : rng.int(1e6)).u32(fib(pkt.length)).u32(fib(pkt.length)).bytes(pkt);
  }
  return w.done();
}

function block(w: W, type: number, body: Uint8Array, lenFib: (v: number) => number): void {
  const len = 12 + body.length;
  w.u32(type).u32(lenFib(len)).bytes(body).u32(lenFib(len));
}

function option(w: W, code: number, value: Uint8Array, lenFib: (v: number) => number): void {
  w.u16(code).u16(lenFib(value.length)).bytes(value).pad4();
}

/** A pcapng file: one or more sections of interfaces and packets, maybe with lies. */
export function buildPcapng(rng: Rng, dgs: readonly Datagram[], lie: boolean): Uint8Array {
  const out: Uint8Array[] = [];
  const fib = (v: number): number => (lie && rng.chance(0.05) ? rng.pick(NASTY_32) : v);
  let i = 0;
  const sections = rng.chance(0.8) ? 1 : 1 + rng.small(3);
  for (let s = 0; s < sections; s++) {
    const le = rng.chance(0.7);
    const w = new W(le);
    const shb = new W(le).u32(lie && rng.chance(0.03) ? 0x12345678 : 0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff);
    if (rng.chance(0.3)) option(shb, 4, new TextEncoder().encode('nlwire fuzz'), fib);
    if (rng.chance(0.5)) shb.u32(0);
    block(w, 0x0a0d0d0a, shb.done(), fib);
    const nIf = rng.chance(0.8) ? 1 : 1 + rng.small(4);
    for (let k = 0; k < nIf; k++) {
      const idb = new W(le).u16(rng.chance(0.85) ? 253 : rng.pick([1, 0, 252, 0xffff])).u16(0).u32(fib(rng.chance(0.8) ? 262144 : rng.pick([0, 16, 100])));
      if (rng.chance(0.5)) option(idb, 9, Uint8Array.of(rng.chance(0.5) ? 9 : rng.pick([0, 6, 0x7f, 0x80, 0x8a, 0xff, 200])), fib);
      if (rng.chance(0.3)) option(idb, 2, new TextEncoder().encode('nlmon0'), fib);
      if (rng.chance(0.2)) option(idb, rng.int(0x10000), rng.bytes(rng.small(12)), fib);
      if (rng.chance(0.7)) idb.u32(0);
      block(w, 1, idb.done(), fib);
    }
    const per = Math.ceil(dgs.length / sections);
    for (let n = 0; n < per && i < dgs.length; n++, i++) {
      const pkt = cooked(rng, dgs[i]!);
      const kind = rng.int(10);
      const iface = lie && rng.chance(0.05) ? rng.pick([nIf, 0xffff, 0xffffffff]) : rng.int(nIf);
      if (kind < 7) {
        const b = new W(le).u32(iface).u32(rng.int(0x200000)).u32(rng.u32()).u32(fib(pkt.length)).u32(pkt.length).bytes(pkt).pad4();
        if (rng.chance(0.2)) option(b, 1, new TextEncoder().encode('c'), fib);
        block(w, 6, b.done(), fib);
      } else if (kind < 9) {
        block(w, 3, new W(le).u32(fib(pkt.length)).bytes(pkt).pad4().done(), fib);
      } else {
        block(w, 2, new W(le).u16(iface & 0xffff).u16(0).u32(0).u32(rng.u32()).u32(fib(pkt.length)).u32(pkt.length).bytes(pkt).pad4().done(), fib);
      }
      if (rng.chance(0.1)) block(w, rng.pick([4, 5, 0xbad, 0x40000bad, 0x80000001]), rng.bytes(rng.small(16) * 4), fib);
    }
    out.push(w.done());
  }
  return cat(out);
}

/** Offsets of the records of a pcap file (after its 24-byte header), and their byte order. */
function pcapRecords(b: Uint8Array): { le: boolean; recs: number[] } {
  const le = b.length >= 4 && (b[0] === 0xd4 || b[0] === 0x4d);
  const recs: number[] = [];
  const rd = (o: number): number => (le
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0);
  let o = 24;
  while (b.length - o >= 16 && recs.length < 100000) {
    recs.push(o);
    const len = rd(o + 8);
    if (len > b.length - o - 16) break;
    o += 16 + len;
  }
  return { le, recs };
}

function put32e(b: Uint8Array, o: number, v: number, le: boolean): void {
  if (o + 4 > b.length) return;
  v >>>= 0;
  if (le) { b[o] = v & 0xff; b[o + 1] = (v >>> 8) & 0xff; b[o + 2] = (v >>> 16) & 0xff; b[o + 3] = v >>> 24; }
  else { b[o] = v >>> 24; b[o + 1] = (v >>> 16) & 0xff; b[o + 2] = (v >>> 8) & 0xff; b[o + 3] = v & 0xff; }
}

/** One mutation of a pcap file: its header or record fields, record counts, or bytes. */
export function mutatePcap(rng: Rng, b: Uint8Array): Uint8Array {
  const { le, recs } = pcapRecords(b);
  switch (rng.int(7)) {
    case 0: { // a record's incl_len
      if (!recs.length) break;
      const out = b.slice();
      const r = rng.pick(recs);
      const left = b.length - r - 16;
      put32e(out, r + 8, rng.pick([...NASTY_32, left, left + 1, left - 1, 15]), le);
      return out;
    }
    case 1: { // a header field
      const out = b.slice();
      put32e(out, rng.pick([4, 8, 12, 16, 20]), rng.pick(NASTY_32), le);
      return out;
    }
    case 2: { // the magic
      const out = b.slice();
      put32e(out, 0, rng.pick([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a, 0]), true);
      return out;
    }
    case 3: { // huge record counts, rarely
      if (!recs.length || !rng.chance(0.05)) break;
      const r = rng.pick(recs);
      const len = Math.min(16 + readLen(b, r, le), b.length - r);
      const unit = b.subarray(r, r + len);
      const times = Math.min(rng.pick([10, 1000, 20000, 100000]), Math.floor(MAX_INPUT / Math.max(len, 1)));
      const parts: Uint8Array[] = [b];
      for (let k = 0; k < times; k++) parts.push(unit);
      return cat(parts);
    }
    case 4: { // a cooked header field
      if (!recs.length) break;
      const out = b.slice();
      const r = rng.pick(recs) + 16;
      const at = r + rng.pick([0, 2, 4, 14]);
      if (at + 1 < out.length) { out[at] = rng.int(256); out[at + 1] = rng.int(256); }
      return out;
    }
    case 5: // truncated
      return b.slice(0, rng.chance(0.5) && recs.length ? rng.pick(recs) + rng.int(32) : rng.int(b.length + 1));
    default:
      break;
  }
  return mutateBytes(rng, b);
}

function readLen(b: Uint8Array, r: number, le: boolean): number {
  const o = r + 8;
  if (o + 4 > b.length) return 0;
  return le ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Offsets of the blocks of a pcapng file, with their section's byte order. */
function pcapngBlocks(b: Uint8Array): Array<{ at: number; le: boolean; len: number; type: number }> {
  const out: Array<{ at: number; le: boolean; len: number; type: number }> = [];
  let le = true;
  let o = 0;
  while (b.length - o >= 12 && out.length < 100000) {
    if (b[o] === 0x0a && b[o + 1] === 0x0d && b[o + 2] === 0x0d && b[o + 3] === 0x0a) le = b[o + 8] === 0x4d;
    const rd = (x: number): number => (le
      ? (b[x]! | (b[x + 1]! << 8) | (b[x + 2]! << 16) | (b[x + 3]! << 24)) >>> 0
      : ((b[x]! << 24) | (b[x + 1]! << 16) | (b[x + 2]! << 8) | b[x + 3]!) >>> 0);
    const len = rd(o + 4);
    out.push({ at: o, le, len, type: rd(o) });
    if (len < 12 || len > b.length - o) break;
    o += len;
  }
  return out;
}

/** One mutation of a pcapng file: block and field lengths, ids, options, counts, or bytes. */
export function mutatePcapng(rng: Rng, b: Uint8Array): Uint8Array {
  const blocks = pcapngBlocks(b);
  const blk = blocks.length ? rng.pick(blocks) : undefined;
  switch (rng.int(7)) {
    case 0: { // leading or trailing block length
      if (!blk) break;
      const out = b.slice();
      const left = b.length - blk.at;
      const v = rng.pick([...NASTY_32, left, left + 4, left - 4, blk.len + 1, blk.len + 4, blk.len - 4, 8, 12, 14]);
      put32e(out, rng.chance(0.7) ? blk.at + 4 : blk.at + Math.min(blk.len, left) - 4, v, blk.le);
      return out;
    }
    case 1: { // a body field: interface id, captured length, link type, options
      if (!blk) break;
      const out = b.slice();
      const off = blk.at + 8 + rng.pick([0, 4, 8, 12, 16, 20, 24]);
      put32e(out, off, rng.pick(NASTY_32), blk.le);
      return out;
    }
    case 2: { // huge block counts, rarely
      if (!blk || blk.len < 12 || blk.len > b.length - blk.at || !rng.chance(0.05)) break;
      const unit = b.subarray(blk.at, blk.at + blk.len);
      const times = Math.min(rng.pick([10, 1000, 20000, 80000]), Math.floor(MAX_INPUT / blk.len));
      const parts: Uint8Array[] = [b.subarray(0, blk.at + blk.len)];
      for (let k = 0; k < times; k++) parts.push(unit);
      parts.push(b.subarray(blk.at + blk.len));
      return cat(parts);
    }
    case 3: { // a byte-order magic flipped
      if (!blk || blk.type !== 0x0a0d0d0a) break;
      const out = b.slice();
      put32e(out, blk.at + 8, rng.pick([0x1a2b3c4d, 0x4d3c2b1a, 0]), true);
      return out;
    }
    case 4: // truncated at a block edge or inside
      return b.slice(0, blk && rng.chance(0.6) ? blk.at + rng.pick([0, 4, 8, 11, 12, 16, 20, 28]) : rng.int(b.length + 1));
    case 5: { // an option length inside a block
      if (!blk || blk.len < 24) break;
      const out = b.slice();
      const at = blk.at + 8 + 4 * rng.int((Math.min(blk.len, b.length - blk.at) - 12) / 4);
      if (at + 4 <= out.length) {
        const v = rng.pick([0, 1, 3, 4, 0xfff0, 0xffff, 8]);
        if (blk.le) { out[at + 2] = v & 0xff; out[at + 3] = v >> 8; } else { out[at + 2] = v >> 8; out[at + 3] = v & 0xff; }
      }
      return out;
    }
    default:
      break;
  }
  return mutateBytes(rng, b);
}
