/**
 * Netlink attributes (struct nlattr, linux/netlink.h) from declarative tables.
 *
 * ```text
 *  0               2               4
 * +---------------+---------------+-------------------------+---------+
 * |    nla_len    |   nla_type    |  payload (nla_len - 4)  | padding |
 * +---------------+---------------+-------------------------+---------+
 *                  N B (bits 15, 14: NLA_F_NESTED, NLA_F_NET_BYTEORDER)
 * ```
 *
 * A decoded attribute list is a plain object whose keys are in wire order: the friendly
 * view (`attrs.prefsrc`) and the ordered list at once. A repeated attribute gets the key
 * `name#2`, `name#3`; an attribute the table does not know gets `unknownN` with an
 * {@link UnknownAttr} value that keeps its flag bits and bytes. Anything else the tables
 * cannot reproduce (non-zero padding, a string without its NUL, unexpected flag bits) marks
 * the decode context `odd`, and the message then keeps its exact bytes.
 */
import { DecodeError, EncodeError } from './errors.js';
import {
  formatIP, formatIPv4, parseIP, formatLladdr, parseLladdr, toHex, fromHex, writeIPv4,
} from './ip.js';
import {
  type Struct, LITTLE_ENDIAN, checkInt, checkBig, intFits,
} from './struct.js';
import { NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_TYPE_MASK, align4 } from './constants.js';

/** How an attribute's payload is read. */
export type AttrKind =
  | 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64' | 'u16be' | 'u32be'
  | 'flag' | 'string' | 'bytes' | 'ipaddr' | 'lladdr' | 'nested' | 'struct' | 'codec';

/** State shared by the decoders of one message. */
export interface DecodeCtx {
  readonly buf: Uint8Array;
  readonly view: DataView;
  /** Set when the bytes hold something the typed view cannot reproduce. */
  odd: boolean;
}

/** State shared by the encoders of one message. */
export interface EncodeCtx {
  readonly buf: Uint8Array;
  readonly view: DataView;
}

/** A hand-written payload codec for attributes no generic kind describes (RTA_MULTIPATH). */
export interface AttrCodec<T> {
  /** Decodes the payload [off, off + len). */
  decode(ctx: DecodeCtx, off: number, len: number, path: string, depth: number): T;
  /** Payload bytes `encode` writes, without header or trailing padding. */
  encodingLength(value: T, path: string): number;
  /** Writes the payload at `off`; returns bytes written (as encodingLength). */
  encode(value: T, ctx: EncodeCtx, off: number, path: string): number;
  toJSON(value: T): unknown;
  fromJSON(json: unknown, path: string): T;
  /** Byte ranges of the payload for the explain view. */
  explain?(ctx: DecodeCtx, off: number, len: number, path: string, out: ExplainSink, depth: number): void;
}

/** Where the explain view of nested parts writes its rows. */
export interface ExplainSink {
  row(offset: number, length: number, field: string, value: string, depth: number): void;
}

/** One attribute of a table, as declared. */
export interface AttrSpec {
  /** The kernel's number (RTA_PREFSRC = 7). */
  type: number;
  kind: AttrKind;
  /** For `nested`: the inner table (a function for tables that refer to each other). */
  attrs?: AttrTable | (() => AttrTable);
  /** For `struct`. */
  struct?: Struct<any>;
  /** For `codec`. */
  codec?: AttrCodec<any>;
  /** The kernel name when the naming rule does not give it. */
  kname?: string;
  /** Flag bits this attribute carries on the wire (NLA_F_NESTED for some nests). */
  flags?: number;
  /** Names of values, for text output (`RTA_TABLE` 254 = `main`). */
  enum?: Readonly<Record<number, string>>;
}

/** An attribute the table does not know: kept whole. */
export interface UnknownAttr {
  type: number;
  /** NLA_F_NESTED / NLA_F_NET_BYTEORDER bits as on the wire. */
  flags: number;
  data: Uint8Array;
}

/** One resolved attribute of a table. */
export interface AttrEntry {
  readonly key: string;
  readonly kname: string;
  readonly type: number;
  readonly kind: AttrKind;
  readonly flags: number;
  readonly struct?: Struct<any>;
  readonly codec?: AttrCodec<any>;
  readonly enum?: Readonly<Record<number, string>>;
  /** Payload size of a fixed-size kind (u32: 4, flag: 0); -1 for the others. */
  readonly size: number;
  /** The nested table, resolved on first use. */
  nested(): AttrTable;
}

/** A table of attributes: one namespace of nla_type values (enum rtattr_type_t). */
export interface AttrTable<T = Record<string, unknown>> {
  /** The kernel prefix (`RTA_`), used for names of unknown attributes. */
  readonly prefix: string;
  /** The table's name in paths and docs (`rtattr_type_t`). */
  readonly name: string;
  readonly byType: ReadonlyArray<AttrEntry | undefined>;
  readonly byKey: ReadonlyMap<string, AttrEntry>;
  /** Phantom: the typed view. */
  readonly __type?: T;
}

type KindValue<K> =
  K extends 'u64' | 's64' ? bigint
  : K extends 'flag' ? true
  : K extends 'string' | 'ipaddr' | 'lladdr' ? string
  : K extends 'bytes' ? Uint8Array
  : K extends 'u8' | 'u16' | 'u32' | 's8' | 's16' | 's32' | 'u16be' | 'u32be' ? number
  : unknown;

type SpecValue<S> =
  S extends { kind: 'nested'; attrs: AttrTable<infer T> } ? T
  : S extends { kind: 'nested'; attrs: () => AttrTable<infer T> } ? T
  : S extends { kind: 'struct'; struct: Struct<infer T> } ? T
  : S extends { kind: 'codec'; codec: AttrCodec<infer T> } ? T
  : S extends { kind: infer K } ? KindValue<K>
  : unknown;

/** The typed view of a table: every attribute optional, absent is not zero. */
export type AttrsOf<S> = { -readonly [K in keyof S]?: SpecValue<S[K]> };

const fixedSize: Partial<Record<AttrKind, number>> = {
  u8: 1, s8: 1, u16: 2, s16: 2, u16be: 2, u32: 4, s32: 4, u32be: 4, u64: 8, s64: 8, flag: 0,
};

/** `prefsrc` with prefix `RTA_` gives `RTA_PREFSRC`; `mfcStats` gives `RTA_MFC_STATS`. */
export function kernelAttrName(prefix: string, key: string): string {
  return prefix + key.replace(/[A-Z]/g, (m) => '_' + m).toUpperCase();
}

/**
 * Declares an attribute table. Keys are the kernel names without prefix in camelCase;
 * numbers are explicit, never array positions.
 */
export function attrs<S extends Record<string, AttrSpec>>(
  prefix: string, specs: S, name = prefix + '*',
): AttrTable<AttrsOf<S>> {
  const byType: (AttrEntry | undefined)[] = [];
  const byKey = new Map<string, AttrEntry>();
  for (const [key, spec] of Object.entries(specs)) {
    let resolved: AttrTable | undefined;
    const entry: AttrEntry = {
      key, kname: spec.kname ?? kernelAttrName(prefix, key), type: spec.type, kind: spec.kind,
      flags: spec.flags ?? 0, size: fixedSize[spec.kind] ?? -1,
      ...(spec.struct ? { struct: spec.struct } : {}),
      ...(spec.codec ? { codec: spec.codec } : {}),
      ...(spec.enum ? { enum: spec.enum } : {}),
      nested() {
        if (!resolved) {
          const a = spec.attrs;
          if (!a) throw new Error(`${entry.kname} is not nested`);
          resolved = typeof a === 'function' ? a() : a;
        }
        return resolved;
      },
    };
    if (byType[spec.type]) throw new Error(`${name}: type ${spec.type} declared twice`);
    byType[spec.type] = entry;
    byKey.set(key, entry);
  }
  return { prefix, name, byType, byKey };
}

/**
 * The keys of an attribute object whose strings were sent without their terminating NUL.
 * The kernel accepts both forms and always replies with the NUL; iproute2 omits it for some
 * attributes (IFLA_INFO_KIND, IFLA_IFALIAS, RTAX_CC_ALGO). A symbol, so that it stays out of
 * `Object.keys` and of iteration, yet survives a spread copy. In JSON such a value is written
 * `{"text": "veth", "nul": false}`.
 */
export const NO_NUL: unique symbol = Symbol('nlwire.noNul');

/** Nesting deeper than this is refused (the kernel's own limit is 16 on input). */
export const MAX_NEST_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8enc = new TextEncoder();

/** The kernel name of an attribute type in a table (`RTA_PREFSRC`, or `RTA_31`). */
export function attrName(table: AttrTable, type: number): string {
  return table.byType[type]?.kname ?? `${table.prefix}${type}`;
}

/** Reads a NUL-terminated string; marks ctx odd when the bytes are not exactly text + NUL. */
function readString(ctx: DecodeCtx, off: number, len: number): string {
  const b = ctx.buf;
  const end = off + len;
  let nul = -1;
  let ascii = true;
  for (let i = off; i < end; i++) {
    const c = b[i]!;
    if (c === 0) { nul = i; break; }
    if (c >= 0x80) ascii = false;
  }
  const textEnd = nul < 0 ? end : nul;
  if (nul >= 0 && nul !== end - 1) ctx.odd = true;
  if (ascii) {
    let s = '';
    for (let i = off; i < textEnd; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  try {
    return utf8.decode(b.subarray(off, textEnd));
  } catch {
    ctx.odd = true;
    let s = '';
    for (let i = off; i < textEnd; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
}

function stringBytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return utf8enc.encode(s).length;
    n++;
  }
  return n;
}


function sizeError(e: AttrEntry, want: string, len: number, off: number, path: string): DecodeError {
  return new DecodeError(`${e.kname} payload is ${len} bytes, expected ${want}`, off, path);
}

/**
 * Decodes one known attribute's payload. `parent` is the path of the attribute list; the
 * attribute's own path is built only where it is needed (a fault, or a nest's faults), since
 * building it for every attribute was a fifth of the decode time.
 */
function decodeValue(e: AttrEntry, ctx: DecodeCtx, off: number, len: number, parent: string, depth: number): unknown {
  const v = ctx.view;
  if (e.size >= 0 && len !== e.size) throw sizeError(e, `${e.size}`, len, off, `${parent}.${e.kname}`);
  // A switch on strings compares case by case: the kinds of a route dump come first.
  switch (e.kind) {
    case 'u32': return v.getUint32(off, LITTLE_ENDIAN);
    case 'ipaddr':
      if (len === 4) return formatIPv4(ctx.buf, off);
      if (len !== 16) throw sizeError(e, '4 or 16', len, off, `${parent}.${e.kname}`);
      return formatIP(ctx.buf, off, len);
    case 'u8': return ctx.buf[off];
    case 's8': return v.getInt8(off);
    case 'u16': return v.getUint16(off, LITTLE_ENDIAN);
    case 's16': return v.getInt16(off, LITTLE_ENDIAN);
    case 'u16be': return v.getUint16(off, false);
    case 's32': return v.getInt32(off, LITTLE_ENDIAN);
    case 'u32be': return v.getUint32(off, false);
    case 'u64': return v.getBigUint64(off, LITTLE_ENDIAN);
    case 's64': return v.getBigInt64(off, LITTLE_ENDIAN);
    case 'flag': return true;
    case 'string': return readString(ctx, off, len);
    case 'bytes': return ctx.buf.slice(off, off + len);
    case 'lladdr': return formatLladdr(ctx.buf, off, len);
    case 'nested': return decodeAttrs(e.nested(), ctx, off, off + len, `${parent}.${e.kname}`, depth + 1);
    case 'struct': {
      const s = e.struct!;
      if (len < s.size) throw sizeError(e, `${s.size}`, len, off, `${parent}.${e.kname}`);
      if (len > s.size) ctx.odd = true;
      return s.decode(ctx.view, ctx.buf, off);
    }
    case 'codec': return e.codec!.decode(ctx, off, len, `${parent}.${e.kname}`, depth);
  }
}

/**
 * Decodes the attributes in [start, end) with `table`. Throws DecodeError for an nla_len
 * below 4 or past the parent, a wrong size for a fixed-size attribute, or nesting deeper
 * than {@link MAX_NEST_DEPTH}. Work is linear in the bytes.
 */
export function decodeAttrs(table: AttrTable, ctx: DecodeCtx, start: number, end: number,
  path: string, depth = 0): Record<string, unknown> {
  if (depth > MAX_NEST_DEPTH) throw new DecodeError(`attributes nested deeper than ${MAX_NEST_DEPTH}`, start, path);
  const out: Record<string, unknown> = {};
  const v = ctx.view;
  const b = ctx.buf;
  let o = start;
  let noNul = false;
  // Types already seen, as bits: a repeat is rare, and `key in out` for every attribute was
  // an eighth of the decode time. Types of 64 and above fall back to the lookup.
  let seen = 0;
  let seenHigh = 0;
  let repeats: Map<string, number> | undefined;
  while (end - o >= 4) {
    const len = v.getUint16(o, LITTLE_ENDIAN);
    const rawType = v.getUint16(o + 2, LITTLE_ENDIAN);
    const type = rawType & NLA_TYPE_MASK;
    const e = table.byType[type];
    if (len < 4) throw new DecodeError(`nla_len ${len} is below 4`, o, `${path}.${e ? e.kname : table.prefix + type}`);
    if (len > end - o) {
      throw new DecodeError(`nla_len ${len} runs past the end of its parent (${end - o} bytes left)`, o,
        `${path}.${e ? e.kname : table.prefix + type}`);
    }
    let key: string;
    let value: unknown;
    if (e) {
      key = e.key;
      if ((rawType & ~NLA_TYPE_MASK) !== e.flags) ctx.odd = true;
      value = decodeValue(e, ctx, o + 4, len - 4, path, depth);
      if (e.kind === 'string' && (len === 4 || b[o + len - 1] !== 0)) noNul = true;
    } else {
      key = 'unknown' + type;
      const u: UnknownAttr = { type, flags: rawType & ~NLA_TYPE_MASK, data: b.slice(o + 4, o + len) };
      value = u;
    }
    let repeat: boolean;
    if (type < 32) {
      repeat = (seen & (1 << type)) !== 0;
      seen |= 1 << type;
    } else if (type < 64) {
      repeat = (seenHigh & (1 << (type - 32))) !== 0;
      seenHigh |= 1 << (type - 32);
    } else repeat = key in out;
    if (repeat) {
      // Counted, not probed: naming the n-th repeat must not cost n lookups.
      repeats ??= new Map();
      const n = (repeats.get(key) ?? 1) + 1;
      repeats.set(key, n);
      key = `${key}#${n}`;
    }
    out[key] = value;
    if (noNul) {
      ((out as { [NO_NUL]?: string[] })[NO_NUL] ??= []).push(key);
      noNul = false;
    }
    const next = o + align4(len);
    if (next > end) {
      // The last attribute of its parent without its padding: valid, but not what we write.
      ctx.odd = true;
      o = end;
      break;
    }
    for (let i = o + len; i < next; i++) if (b[i] !== 0) { ctx.odd = true; break; }
    o = next;
  }
  if (o < end) ctx.odd = true;
  return out;
}

/** Table entry for a key of a decoded object (`prefsrc#2` is `prefsrc`). */
function entryFor(table: AttrTable, key: string): AttrEntry | undefined {
  const e = table.byKey.get(key);
  if (e) return e;
  const h = key.indexOf('#');
  return h > 0 ? table.byKey.get(key.slice(0, h)) : undefined;
}

function isUnknownAttr(v: unknown): v is UnknownAttr {
  return typeof v === 'object' && v !== null && 'data' in v && 'type' in v
    && (v as UnknownAttr).data instanceof Uint8Array;
}

/** The path of attribute `e` under `parent`, made only when an error or a nested value needs it. */
function at(parent: string, e: AttrEntry): string {
  return `${parent}.${e.kname}`;
}

/** Payload length of one value, without header or padding. */
function valueLength(e: AttrEntry, value: unknown, parent: string, noNul = false): number {
  if (e.size >= 0) return e.size;
  switch (e.kind) {
    case 'string':
      if (typeof value !== 'string') throw new EncodeError(`expected a string, got ${typeof value}`, at(parent, e));
      return stringBytes(value) + (noNul ? 0 : 1);
    case 'bytes':
      if (!(value instanceof Uint8Array)) throw new EncodeError('expected a Uint8Array', at(parent, e));
      return value.length;
    case 'ipaddr': {
      if (typeof value !== 'string') throw new EncodeError(`expected an address string`, at(parent, e));
      if (value.includes(':')) return 16;
      if (value.includes('.')) return 4;
      if (/^([0-9a-f]{2})*$/i.test(value)) return value.length / 2;
      throw new EncodeError(`not an IP address: ${value}`, at(parent, e));
    }
    case 'lladdr':
      if (typeof value !== 'string') throw new EncodeError('expected a link-layer address string', at(parent, e));
      return value === '' ? 0 : value.split(':').length;
    case 'nested': return attrsLength(e.nested(), value as Record<string, unknown>, at(parent, e));
    case 'struct': return e.struct!.size;
    case 'codec': return e.codec!.encodingLength(value, at(parent, e));
  }
  return 0;
}

/** Bytes `encodeAttrs` writes for `values`, padding included. */
export function attrsLength(table: AttrTable, values: Record<string, unknown>, path: string): number {
  if (typeof values !== 'object' || values === null) throw new EncodeError('expected an object of attributes', path);
  let n = 0;
  const noNul = (values as { [NO_NUL]?: string[] })[NO_NUL];
  for (const key in values) {
    const value = values[key];
    if (value === undefined) continue;
    const e = entryFor(table, key);
    if (e) n += align4(4 + valueLength(e, value, path, noNul?.includes(key)));
    else if (isUnknownAttr(value)) n += align4(4 + value.data.length);
    else throw new EncodeError(`no attribute named ${key} in ${table.name}`, path);
  }
  return n;
}

function writeValue(e: AttrEntry, value: unknown, ctx: EncodeCtx, off: number, parent: string,
  noNul = false): number {
  const v = ctx.view;
  switch (e.kind) {
    case 'u8': case 's8': case 'u16': case 's16': case 'u32': case 's32':
    case 'u16be': case 'u32be': {
      const x = intFits(e.kind, value) ? value as number : checkInt(e.kind, value, at(parent, e));
      if (e.kind === 'u8') ctx.buf[off] = x;
      else if (e.kind === 's8') v.setInt8(off, x);
      else if (e.kind === 'u16') v.setUint16(off, x, LITTLE_ENDIAN);
      else if (e.kind === 's16') v.setInt16(off, x, LITTLE_ENDIAN);
      else if (e.kind === 'u32') v.setUint32(off, x, LITTLE_ENDIAN);
      else if (e.kind === 's32') v.setInt32(off, x, LITTLE_ENDIAN);
      else if (e.kind === 'u16be') v.setUint16(off, x, false);
      else v.setUint32(off, x, false);
      return e.size;
    }
    case 'u64': v.setBigUint64(off, checkBig(false, value, at(parent, e)), LITTLE_ENDIAN); return 8;
    case 's64': v.setBigInt64(off, checkBig(true, value, at(parent, e)), LITTLE_ENDIAN); return 8;
    case 'flag':
      if (value !== true) throw new EncodeError('a flag attribute is true or absent', at(parent, e));
      return 0;
    case 'string': {
      const s = value as string;
      let n: number;
      if (stringBytes(s) === s.length) {
        for (let i = 0; i < s.length; i++) ctx.buf[off + i] = s.charCodeAt(i);
        n = s.length;
      } else {
        const enc = utf8enc.encode(s);
        ctx.buf.set(enc, off);
        n = enc.length;
      }
      if (noNul) return n;
      ctx.buf[off + n] = 0;
      return n + 1;
    }
    case 'bytes': ctx.buf.set(value as Uint8Array, off); return (value as Uint8Array).length;
    case 'ipaddr': {
      const s = value as string;
      // IPv4 text straight into the buffer: parseIP's array and copy are most of an encode.
      if (!s.includes(':') && writeIPv4(s, ctx.buf, off)) return 4;
      const b = s.includes('.') || s.includes(':') ? parseIP(s) : fromHex(s);
      if (!b) throw new EncodeError(`not an IP address: ${s}`, at(parent, e));
      ctx.buf.set(b, off);
      return b.length;
    }
    case 'lladdr': {
      const b = parseLladdr(value as string);
      if (!b) throw new EncodeError(`not a link-layer address: ${String(value)}`, at(parent, e));
      ctx.buf.set(b, off);
      return b.length;
    }
    case 'nested': return encodeAttrs(e.nested(), value as Record<string, unknown>, ctx, off, at(parent, e));
    case 'struct':
      if (typeof value !== 'object' || value === null) throw new EncodeError(`expected struct ${e.struct!.name}`, at(parent, e));
      e.struct!.encode(value as Record<string, unknown>, ctx.view, ctx.buf, off, at(parent, e));
      return e.struct!.size;
    case 'codec': return e.codec!.encode(value, ctx, off, at(parent, e));
  }
}

/**
 * Writes the attributes of `values` in key order at `off`; returns bytes written
 * (as {@link attrsLength}). Padding is written as zeros.
 */
export function encodeAttrs(table: AttrTable, values: Record<string, unknown>, ctx: EncodeCtx,
  off: number, path: string): number {
  const b = ctx.buf;
  const noNul = (values as { [NO_NUL]?: string[] })[NO_NUL];
  let o = off;
  for (const key in values) {
    const value = values[key];
    if (value === undefined) continue;
    const e = entryFor(table, key);
    let len: number;
    let type: number;
    if (e) {
      len = 4 + writeValue(e, value, ctx, o + 4, path, noNul?.includes(key));
      type = e.type | e.flags;
    } else if (isUnknownAttr(value)) {
      b.set(value.data, o + 4);
      len = 4 + value.data.length;
      type = value.type | value.flags;
    } else throw new EncodeError(`no attribute named ${key} in ${table.name}`, path);
    if (len > 0xffff) throw new EncodeError(`attribute of ${len} bytes exceeds nla_len`, `${path}.${e?.kname ?? key}`);
    ctx.view.setUint16(o, len, LITTLE_ENDIAN);
    ctx.view.setUint16(o + 2, type, LITTLE_ENDIAN);
    const next = o + align4(len);
    for (let i = o + len; i < next; i++) b[i] = 0;
    o = next;
  }
  return o - off;
}

function valueToJSON(e: AttrEntry, value: unknown): unknown {
  switch (e.kind) {
    case 'u64': case 's64': return String(value);
    case 'bytes': return toHex(value as Uint8Array);
    case 'nested': return attrsToJSON(e.nested(), value as Record<string, unknown>);
    case 'struct': return e.struct!.toJSON(value);
    case 'codec': return e.codec!.toJSON(value);
    default: return value;
  }
}

/** JSON form of a decoded attribute object: same keys in the same order. */
export function attrsToJSON(table: AttrTable, values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const noNul = (values as { [NO_NUL]?: string[] })[NO_NUL];
  for (const key in values) {
    const value = values[key];
    if (value === undefined) continue;
    const e = entryFor(table, key);
    if (e && e.kind === 'string' && noNul?.includes(key)) out[key] = { text: value, nul: false };
    else if (e) out[key] = valueToJSON(e, value);
    else if (isUnknownAttr(value)) {
      out[key] = value.flags
        ? { type: value.type, flags: value.flags, hex: toHex(value.data) }
        : { type: value.type, hex: toHex(value.data) };
    }
  }
  return out;
}

function jsonError(detail: string, path: string): DecodeError {
  return new DecodeError(detail, 0, path);
}

function valueFromJSON(e: AttrEntry, j: unknown, path: string): unknown {
  switch (e.kind) {
    case 'u8': case 's8': case 'u16': case 's16': case 'u32': case 's32': case 'u16be': case 'u32be':
      if (typeof j !== 'number' || !Number.isInteger(j)) throw jsonError(`expected an integer, got ${JSON.stringify(j)}`, path);
      return j;
    case 'u64': case 's64':
      if (typeof j === 'string' && /^-?[0-9]+$/.test(j)) return BigInt(j);
      if (typeof j === 'number' && Number.isSafeInteger(j)) return BigInt(j);
      throw jsonError(`expected a decimal string, got ${JSON.stringify(j)}`, path);
    case 'flag':
      if (j !== true) throw jsonError('expected true', path);
      return true;
    case 'string': case 'ipaddr': case 'lladdr':
      if (typeof j !== 'string') throw jsonError(`expected a string, got ${JSON.stringify(j)}`, path);
      return j;
    case 'bytes': {
      const b = typeof j === 'string' ? fromHex(j) : undefined;
      if (!b) throw jsonError('expected a hex string', path);
      return b;
    }
    case 'nested': return attrsFromJSON(e.nested(), j, path);
    case 'struct': return e.struct!.fromJSON(j, path);
    case 'codec': return e.codec!.fromJSON(j, path);
  }
}

/** A decoded attribute object from its JSON form; throws DecodeError with the path. */
export function attrsFromJSON(table: AttrTable, json: unknown, path: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw jsonError('expected an object of attributes', path);
  }
  if (jsonDepth > MAX_NEST_DEPTH) throw jsonError(`attributes nested deeper than ${MAX_NEST_DEPTH}`, path);
  jsonDepth++;
  try {
    return attrsFromJSONAt(table, json as Record<string, unknown>, path);
  } finally {
    jsonDepth--;
  }
}

/** Nesting depth of the attrsFromJSON calls under way (codecs recurse through it). */
let jsonDepth = 0;

function attrsFromJSONAt(table: AttrTable, json: Record<string, unknown>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, j] of Object.entries(json)) {
    const e = entryFor(table, key);
    if (e?.kind === 'string' && typeof j === 'object' && j !== null && (j as { nul?: unknown }).nul === false) {
      const text = (j as { text?: unknown }).text;
      if (typeof text !== 'string') throw jsonError('expected {"text": string, "nul": false}', `${path}.${e.kname}`);
      out[key] = text;
      ((out as { [NO_NUL]?: string[] })[NO_NUL] ??= []).push(key);
      continue;
    }
    if (e) {
      out[key] = valueFromJSON(e, j, `${path}.${e.kname}`);
      continue;
    }
    const u = j as { type?: unknown; flags?: unknown; hex?: unknown };
    const data = typeof u?.hex === 'string' ? fromHex(u.hex) : undefined;
    if (typeof u?.type !== 'number' || !data) {
      throw jsonError(`no attribute named ${key} in ${table.name} (unknown attributes are {type, hex})`, path);
    }
    const flags = typeof u.flags === 'number' ? u.flags & (NLA_F_NESTED | NLA_F_NET_BYTEORDER) : 0;
    out[key] = { type: u.type & NLA_TYPE_MASK, flags, data } satisfies UnknownAttr;
  }
  return out;
}
