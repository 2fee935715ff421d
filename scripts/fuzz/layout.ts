/**
 * The length fields of a netlink datagram, found by walking it as the decoders do: every
 * nlmsghdr, the echoed request of an NLMSG_ERROR, each nlattr (into nests the protocol's
 * tables describe, or that carry NLA_F_NESTED, or that tile exactly as an attribute list)
 * and each struct rtnexthop of RTA_MULTIPATH. The mutator sets these fields to nasty
 * values and inserts bytes while keeping every enclosing length consistent.
 */
import type { Protocol } from '../../src/netlink/message.js';
import { extackAttrs } from '../../src/netlink/message.js';
import type { AttrTable } from '../../src/netlink/attrs.js';

/** One length-prefixed region: a message, an echoed request, an attribute or a next hop. */
export interface Region {
  kind: 'msg' | 'echo' | 'attr' | 'hop';
  /** Offset of the region (its length field is the first field but for `attr`/`hop`, too). */
  start: number;
  /** Bytes of the length field: 4 for nlmsg_len, 2 for nla_len and rtnh_len. */
  width: 2 | 4;
  /** The declared length. */
  len: number;
  /** End of the enclosing region (or of the datagram). */
  parentEnd: number;
  parent: Region | undefined;
  depth: number;
  /** For `attr`: nla_type with its flag bits; for `msg`/`echo`: nlmsg_type. */
  type: number;
  /** The attribute table the region's attributes belong to, when known. */
  table?: AttrTable | undefined;
  /** For `msg`/`echo`: offset of the first attribute (after the fixed header). */
  attrsAt?: number;
}

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_CAPPED = 0x100;
const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;
const MAX_REGIONS = 4096;
/** The walk stops descending here (echo and nest bombs go thousands deep). */
const MAX_DEPTH = 48;

/** Little-endian reads and writes (netlink is host order; the fuzzer runs little-endian). */
export function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

export function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

/** NLMSG_ALIGN / NLA_ALIGN. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Every length-prefixed region of a datagram, outermost first. */
export function walkDatagram(b: Uint8Array, proto?: Protocol): Region[] {
  const out: Region[] = [];
  let o = 0;
  while (b.length - o >= 16 && out.length < MAX_REGIONS) {
    const len = u32(b, o);
    if (len < 16 || len > b.length - o) break;
    walkMessage(b, o, len, b.length, undefined, 0, 'msg', proto, out);
    o += align4(len);
  }
  return out;
}

function walkMessage(b: Uint8Array, start: number, len: number, parentEnd: number, parent: Region | undefined,
  depth: number, kind: 'msg' | 'echo', proto: Protocol | undefined, out: Region[]): void {
  const type = u16(b, start + 4);
  const flags = u16(b, start + 6);
  const r: Region = { kind, start, width: 4, len, parentEnd, parent, depth, type };
  out.push(r);
  const end = start + len;
  const p = start + 16;
  if (depth >= MAX_DEPTH) return;
  if (type === NLMSG_ERROR) {
    if (end - p < 20) return;
    const e = p + 4;
    const echoLen = u32(b, e);
    let after: number;
    if (flags & NLM_F_CAPPED) {
      out.push({ kind: 'echo', start: e, width: 4, len: echoLen, parentEnd: end, parent: r, depth: depth + 1, type: u16(b, e + 4) });
      after = e + 16;
    } else {
      if (echoLen < 16 || echoLen > end - e) return;
      walkMessage(b, e, echoLen, end, r, depth + 1, 'echo', proto, out);
      after = e + align4(echoLen);
    }
    r.attrsAt = after;
    r.table = extackAttrs;
    walkAttrs(b, after, end, r, depth + 1, extackAttrs, out);
  } else if (type === NLMSG_DONE) {
    r.attrsAt = p + 4;
    r.table = extackAttrs;
    walkAttrs(b, p + 4, end, r, depth + 1, extackAttrs, out);
  } else {
    const spec = proto?.messages.get(type);
    const a = p + align4(spec?.body?.size ?? 0);
    r.attrsAt = a;
    r.table = spec?.attrs;
    if (spec?.attrs) walkAttrs(b, a, end, r, depth + 1, spec.attrs, out);
    else if (!spec && looksLikeAttrs(b, a, end)) walkAttrs(b, a, end, r, depth + 1, undefined, out);
  }
}

/** True when [start, end) is a non-empty chain of nlattrs that ends exactly at `end`. */
export function looksLikeAttrs(b: Uint8Array, start: number, end: number): boolean {
  if (end - start < 4) return false;
  let o = start;
  let n = 0;
  while (end - o >= 4 && n < 256) {
    const len = u16(b, o);
    if (len < 4 || len > end - o) return false;
    o += align4(len);
    n++;
  }
  return o === end || o === align4(end);
}

function walkAttrs(b: Uint8Array, start: number, end: number, parent: Region, depth: number,
  table: AttrTable | undefined, out: Region[]): void {
  if (depth >= MAX_DEPTH) return;
  let o = start;
  while (end - o >= 4 && out.length < MAX_REGIONS) {
    const len = u16(b, o);
    if (len < 4 || len > end - o) return;
    const rawType = u16(b, o + 2);
    const e = table?.byType[rawType & NLA_TYPE_MASK];
    const r: Region = { kind: 'attr', start: o, width: 2, len, parentEnd: end, parent, depth, type: rawType };
    out.push(r);
    if (e?.kind === 'nested') {
      r.table = e.nested();
      walkAttrs(b, o + 4, o + len, r, depth + 1, r.table, out);
    } else if (e?.kind === 'codec' && e.kname === 'RTA_MULTIPATH' && table) {
      walkHops(b, o + 4, o + len, r, depth + 1, table, out);
    } else if (!e && (rawType & NLA_F_NESTED || looksLikeAttrs(b, o + 4, o + len))) {
      walkAttrs(b, o + 4, o + len, r, depth + 1, undefined, out);
    }
    o += align4(len);
  }
}

function walkHops(b: Uint8Array, start: number, end: number, parent: Region, depth: number,
  table: AttrTable, out: Region[]): void {
  if (depth >= MAX_DEPTH) return;
  let o = start;
  while (end - o >= 8 && out.length < MAX_REGIONS) {
    const len = u16(b, o);
    if (len < 8 || len > end - o) return;
    const r: Region = { kind: 'hop', start: o, width: 2, len, parentEnd: end, parent, depth, type: 0, table };
    out.push(r);
    walkAttrs(b, o + 8, o + len, r, depth + 1, table, out);
    o += align4(len);
  }
}

/** The regions enclosing `r`, innermost first, `r` excluded. */
export function ancestors(r: Region): Region[] {
  const out: Region[] = [];
  for (let p = r.parent; p; p = p.parent) out.push(p);
  return out;
}

/**
 * `b` with `data` inserted at `at`, every region in `grow` lengthened by data.length (a
 * region whose length field would overflow keeps the overflowed value: that is a mutation
 * too).
 */
export function insertGrow(b: Uint8Array, at: number, data: Uint8Array, grow: readonly Region[]): Uint8Array {
  const out = new Uint8Array(b.length + data.length);
  out.set(b.subarray(0, at), 0);
  out.set(data, at);
  out.set(b.subarray(at), at + data.length);
  for (const r of grow) addLen(out, r, data.length);
  return out;
}

/** `b` without [at, at + n), every region in `shrink` shortened by n. */
export function removeShrink(b: Uint8Array, at: number, n: number, shrink: readonly Region[]): Uint8Array {
  const out = new Uint8Array(b.length - n);
  out.set(b.subarray(0, at), 0);
  out.set(b.subarray(at + n), at);
  for (const r of shrink) addLen(out, r, -n);
  return out;
}

function addLen(b: Uint8Array, r: Region, delta: number): void {
  // Regions before the edit keep their offsets; the edit is always inside them.
  if (r.width === 4) put32(b, r.start, (u32(b, r.start) + delta) >>> 0);
  else put16(b, r.start, (u16(b, r.start) + delta) & 0xffff);
}
