/**
 * Fixed-size kernel structs (rtmsg, ifinfomsg, rta_cacheinfo...) from declarative tables.
 * One table drives decode, encode, the TypeScript type, JSON and the explain view. Decoders
 * are generated once per table so that each decode is a single object literal built from
 * `DataView` reads: no per-field dispatch on the hot path.
 */
import { DecodeError, EncodeError } from './errors.js';
import { toHex, fromHex } from './ip.js';

/** Field types: host-endian integers, network-order (`be`) integers, or fixed byte arrays. */
export type FieldType =
  | 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64' | 'u16be' | 'u32be'
  | `bytes${number}`;

/** Options of one field: kernel name, and names for its values or bits (for JSON and explain). */
export interface FieldOptions {
  /** The field's name in the kernel struct, when the naming rule does not give it. */
  kname?: string;
  /** Names of values (`rtm_type` 1 = `unicast`). */
  enum?: Readonly<Record<number, string>>;
  /** Names of bits (`ifi_flags` 0x1 = `UP`). */
  bits?: Readonly<Record<number, string>>;
}

/** `[offset, type]` or `[offset, type, options]`. */
export type FieldSpec = readonly [number, FieldType] | readonly [number, FieldType, FieldOptions];

type FieldValue<T extends FieldType> = T extends 'u64' | 's64' ? bigint
  : T extends `bytes${number}` ? Uint8Array : number;

/** The decoded object of a struct table. */
export type StructValue<F extends Record<string, FieldSpec>> = {
  [K in keyof F]: FieldValue<F[K][1]>;
};

/** One field, resolved. */
export interface StructField {
  key: string;
  kname: string;
  offset: number;
  size: number;
  type: FieldType;
  enum?: Readonly<Record<number, string>>;
  bits?: Readonly<Record<number, string>>;
}

/** A fixed-size struct codec. */
export interface Struct<T = Record<string, unknown>> {
  readonly name: string;
  readonly size: number;
  readonly fields: readonly StructField[];
  /** Decodes `size` bytes at `off`; the caller has checked that they exist. */
  decode(view: DataView, buf: Uint8Array, off: number): T;
  /** Writes `size` bytes at `off`; absent fields are written as 0. */
  encode(value: Partial<T>, view: DataView, buf: Uint8Array, off: number, path?: string): void;
  /** JSON form: u64 as decimal strings, bytes as hex, names beside enum and bit fields. */
  toJSON(value: T): Record<string, unknown>;
  /** From the JSON form; throws DecodeError naming the field. */
  fromJSON(json: unknown, path: string): T;
}

/** True when this machine is little-endian (netlink integers are host-endian). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fieldSize(t: FieldType): number {
  switch (t) {
    case 'u8': case 's8': return 1;
    case 'u16': case 's16': case 'u16be': return 2;
    case 'u32': case 's32': case 'u32be': return 4;
    case 'u64': case 's64': return 8;
    default: return Number(t.slice(5));
  }
}

/** `dstLen` with prefix `rtm_` gives `rtm_dst_len`. */
export function kernelFieldName(prefix: string, key: string): string {
  return prefix + key.replace(/[A-Z]/g, (m) => '_' + m.toLowerCase());
}

const LE = String(LITTLE_ENDIAN);

function readExpr(f: StructField): string {
  const o = `o + ${f.offset}`;
  switch (f.type) {
    case 'u8': return `b[${o}]`;
    case 's8': return `v.getInt8(${o})`;
    case 'u16': return `v.getUint16(${o}, ${LE})`;
    case 's16': return `v.getInt16(${o}, ${LE})`;
    case 'u32': return `v.getUint32(${o}, ${LE})`;
    case 's32': return `v.getInt32(${o}, ${LE})`;
    case 'u64': return `v.getBigUint64(${o}, ${LE})`;
    case 's64': return `v.getBigInt64(${o}, ${LE})`;
    case 'u16be': return `v.getUint16(${o}, false)`;
    case 'u32be': return `v.getUint32(${o}, false)`;
    default: return `b.slice(${o}, ${o} + ${f.size})`;
  }
}

const ranges: Record<string, readonly [number, number]> = {
  u8: [0, 0xff], s8: [-0x80, 0x7f], u16: [0, 0xffff], s16: [-0x8000, 0x7fff],
  u16be: [0, 0xffff], u32: [0, 0xffffffff], u32be: [0, 0xffffffff],
  s32: [-0x80000000, 0x7fffffff],
};

/** Whether `value` is an integer that fits a field type (checkInt without the error). */
export function intFits(type: string, value: unknown): boolean {
  const r = ranges[type];
  return r !== undefined && typeof value === 'number' && Number.isInteger(value) && value >= r[0] && value <= r[1];
}

/** Checks an integer for a field type; throws EncodeError. */
export function checkInt(type: string, value: unknown, path: string): number {
  const r = ranges[type]!;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < r[0] || value > r[1]) {
    throw new EncodeError(`expected an integer in [${r[0]}, ${r[1]}] for ${type}, got ${String(value)}`, path);
  }
  return value;
}

/** Checks a 64-bit value (bigint, or a safe integer number); throws EncodeError. */
export function checkBig(signed: boolean, value: unknown, path: string): bigint {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) v = BigInt(value);
  else throw new EncodeError(`expected a bigint for ${signed ? 's64' : 'u64'}, got ${String(value)}`, path);
  const ok = signed ? BigInt.asIntN(64, v) === v : BigInt.asUintN(64, v) === v;
  if (!ok) throw new EncodeError(`${v} does not fit in ${signed ? 's64' : 'u64'}`, path);
  return v;
}

/** Writes one integer field of `type` at `off`. */
export function writeField(type: FieldType, value: unknown, view: DataView, buf: Uint8Array,
  off: number, size: number, path: string): void {
  switch (type) {
    case 'u8': buf[off] = checkInt(type, value, path); return;
    case 's8': view.setInt8(off, checkInt(type, value, path)); return;
    case 'u16': view.setUint16(off, checkInt(type, value, path), LITTLE_ENDIAN); return;
    case 's16': view.setInt16(off, checkInt(type, value, path), LITTLE_ENDIAN); return;
    case 'u32': view.setUint32(off, checkInt(type, value, path), LITTLE_ENDIAN); return;
    case 's32': view.setInt32(off, checkInt(type, value, path), LITTLE_ENDIAN); return;
    case 'u16be': view.setUint16(off, checkInt(type, value, path), false); return;
    case 'u32be': view.setUint32(off, checkInt(type, value, path), false); return;
    case 'u64': view.setBigUint64(off, checkBig(false, value, path), LITTLE_ENDIAN); return;
    case 's64': view.setBigInt64(off, checkBig(true, value, path), LITTLE_ENDIAN); return;
    default: {
      if (!(value instanceof Uint8Array) || value.length !== size) {
        throw new EncodeError(`expected ${size} bytes`, path);
      }
      buf.set(value, off);
    }
  }
}

/** Names of the bits set in `value`; unknown bits as `0x...`. */
export function bitNames(value: number, names: Readonly<Record<number, string>>): string[] {
  const out: string[] = [];
  let rest = value >>> 0;
  for (const [bit, name] of Object.entries(names)) {
    const b = Number(bit);
    if (b !== 0 && (rest & b) === b) {
      out.push(name);
      rest = (rest & ~b) >>> 0;
    }
  }
  if (rest) out.push('0x' + rest.toString(16));
  return out;
}

/** Value of a list of bit names (and `0x...` numbers); undefined for an unknown name. */
export function bitsFromNames(list: readonly unknown[], names: Readonly<Record<number, string>>): number | undefined {
  let v = 0;
  for (const n of list) {
    if (typeof n !== 'string') return undefined;
    if (/^0x[0-9a-f]+$/i.test(n)) { v = (v | parseInt(n, 16)) >>> 0; continue; }
    const e = Object.entries(names).find(([, name]) => name === n);
    if (!e) return undefined;
    v = (v | Number(e[0])) >>> 0;
  }
  return v;
}

/** JSON form of one field value. */
export function fieldToJSON(type: FieldType, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return toHex(v);
  return v;
}

/** A field value from its JSON form; throws DecodeError. */
export function fieldFromJSON(type: FieldType, j: unknown, path: string): unknown {
  if (type === 'u64' || type === 's64') {
    if (typeof j === 'string' && /^-?[0-9]+$/.test(j)) return BigInt(j);
    if (typeof j === 'number' && Number.isSafeInteger(j)) return BigInt(j);
    throw new DecodeError(`expected a decimal string for ${type}`, 0, path);
  }
  if (type.startsWith('bytes')) {
    const b = typeof j === 'string' ? fromHex(j) : undefined;
    if (!b) throw new DecodeError(`expected a hex string`, 0, path);
    return b;
  }
  if (typeof j !== 'number' || !Number.isInteger(j)) {
    throw new DecodeError(`expected an integer, got ${JSON.stringify(j)}`, 0, path);
  }
  return j;
}

/**
 * Declares a kernel struct. Field offsets are explicit (they are the uapi layout); the
 * fields must cover the struct, padding included, so that decode and encode are lossless.
 *
 * @param name  the kernel struct name (`rtmsg`)
 * @param size  sizeof(struct)
 * @param fields  `key: [offset, type, options?]`
 * @param prefix  the kernel field prefix (`rtm_`) for the naming rule
 */
export function struct<F extends Record<string, FieldSpec>>(
  name: string, size: number, fields: F, prefix = '',
): Struct<StructValue<F>> {
  const list: StructField[] = [];
  for (const [key, spec] of Object.entries(fields)) {
    const opts = (spec[2] ?? {}) as FieldOptions;
    const f: StructField = {
      key, kname: opts.kname ?? kernelFieldName(prefix, key), offset: spec[0], type: spec[1],
      size: fieldSize(spec[1]),
    };
    if (opts.enum) f.enum = opts.enum;
    if (opts.bits) f.bits = opts.bits;
    if (f.offset + f.size > size) throw new Error(`struct ${name}: field ${key} past the end`);
    list.push(f);
  }
  const covered = list.reduce((n, f) => n + f.size, 0);
  if (covered !== size) throw new Error(`struct ${name}: fields cover ${covered} of ${size} bytes`);

  const body = `return { ${list.map((f) => `${JSON.stringify(f.key)}: ${readExpr(f)}`).join(', ')} };`;
  const decode = new Function('v', 'b', 'o', body) as (v: DataView, b: Uint8Array, o: number) => StructValue<F>;

  return {
    name, size, fields: list, decode,
    encode(value, view, buf, off, path = name) {
      const v = value as Record<string, unknown>;
      for (const f of list) {
        const x = v[f.key];
        if (x === undefined) {
          buf.fill(0, off + f.offset, off + f.offset + f.size);
          continue;
        }
        // The common fields written directly; the path string only on the checked path.
        if (typeof x === 'number' && intFits(f.type, x)) {
          const o = off + f.offset;
          if (f.type === 'u8') { buf[o] = x; continue; }
          if (f.type === 'u16') { view.setUint16(o, x, LITTLE_ENDIAN); continue; }
          if (f.type === 'u32') { view.setUint32(o, x, LITTLE_ENDIAN); continue; }
        }
        writeField(f.type, x, view, buf, off + f.offset, f.size, `${path}.${f.kname}`);
      }
    },
    toJSON(value) {
      const out: Record<string, unknown> = {};
      const v = value as Record<string, unknown>;
      for (const f of list) {
        const x = v[f.key];
        out[f.key] = fieldToJSON(f.type, x);
        if (f.enum && typeof x === 'number' && f.enum[x] !== undefined) out[f.key + 'Name'] = f.enum[x];
        if (f.bits && typeof x === 'number') out[f.key + 'Names'] = bitNames(x, f.bits);
      }
      return out;
    },
    fromJSON(json, path) {
      if (typeof json !== 'object' || json === null || Array.isArray(json)) {
        throw new DecodeError(`expected an object for struct ${name}`, 0, path);
      }
      const j = json as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of list) {
        if (j[f.key] === undefined) {
          out[f.key] = f.type === 'u64' || f.type === 's64' ? 0n
            : f.type.startsWith('bytes') ? new Uint8Array(f.size) : 0;
        } else out[f.key] = fieldFromJSON(f.type, j[f.key], `${path}.${f.kname}`);
      }
      return out as StructValue<F>;
    },
  };
}
