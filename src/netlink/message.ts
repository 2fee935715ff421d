/**
 * Netlink messages and datagrams: struct nlmsghdr, the control messages (NLMSG_NOOP,
 * NLMSG_ERROR with its echoed request and extended ack, NLMSG_DONE, NLMSG_OVERRUN) and
 * family messages described by a {@link Protocol} (rtnetlink's lives in src/rtnl).
 *
 * ```text
 * struct nlmsghdr (16 bytes)
 *  0               4       6       8               12              16
 * +---------------+-------+-------+---------------+---------------+------------------+
 * |   nlmsg_len   | type  | flags |   nlmsg_seq   |   nlmsg_pid   | payload, padding |
 * +---------------+-------+-------+---------------+---------------+------------------+
 *
 * NLMSG_ERROR payload (struct nlmsgerr, then ext-ack TLVs when NLM_F_ACK_TLVS)
 * +---------------+--------------------------------------+-----------------------------+
 * | error (s32)   | echoed nlmsghdr [+ its payload       | NLMSGERR_ATTR_* attributes  |
 * | 0 = ACK       |  unless NLM_F_CAPPED]                |                             |
 * +---------------+--------------------------------------+-----------------------------+
 * ```
 *
 * A datagram holds one or more messages, each padded to 4 bytes (NLMSG_ALIGN), and may
 * end in bytes that are no message (iproute2 sends its dump requests in zero-padded
 * buffers): they are kept as `trailing`.
 */
import { DecodeError, EncodeError } from './errors.js';
import {
  NLMSG_HDRLEN, NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, NLMSG_OVERRUN, NLM_F_CAPPED,
  NLM_F_ACK_TLVS, NLM_F_REQUEST, NLA_F_NESTED, NLMSG_MIN_TYPE, align4,
} from './constants.js';
import {
  type AttrTable, type DecodeCtx, type EncodeCtx, decodeAttrs, encodeAttrs, attrsLength, attrs,
  attrName,
} from './attrs.js';
import { type Struct, LITTLE_ENDIAN } from './struct.js';
import { errnoName } from './errno.js';

/** Which flag names apply to a message type (they overlap: 0x100 is ROOT, REPLACE, NONREC, CAPPED). */
export type MessageOp = 'get' | 'new' | 'del' | 'set' | 'ack' | 'other';

/** A family message type: its fixed header and its attribute table. */
export interface MessageSpec {
  type: number;
  /** Kernel name: `RTM_NEWROUTE`. */
  name: string;
  op: MessageOp;
  /** The fixed header after nlmsghdr (rtmsg); absent for types without one. */
  body?: Struct<any>;
  /** The attributes after the fixed header. */
  attrs?: AttrTable<any>;
}

/** A netlink protocol's messages (NETLINK_ROUTE's is `rtnetlink` in src/rtnl). */
export interface Protocol {
  readonly name: string;
  /** The netlink protocol number (NETLINK_ROUTE = 0). */
  readonly id: number;
  readonly messages: ReadonlyMap<number, MessageSpec>;
  readonly byName: ReadonlyMap<string, MessageSpec>;
}

/** Builds a {@link Protocol} from its message specs. */
export function protocol(name: string, id: number, specs: readonly MessageSpec[]): Protocol {
  const messages = new Map<number, MessageSpec>();
  const byName = new Map<string, MessageSpec>();
  for (const s of specs) {
    messages.set(s.type, s);
    byName.set(s.name, s);
  }
  return { name, id, messages, byName };
}

/** The extended-ack attributes (enum nlmsgerr_attrs). */
export const extackAttrs = attrs('NLMSGERR_ATTR_', {
  msg: { type: 1, kind: 'string' },
  offs: { type: 2, kind: 'u32' },
  cookie: { type: 3, kind: 'bytes' },
  policy: { type: 4, kind: 'bytes', flags: NLA_F_NESTED }, // always sent nested (NLA_F_NESTED)
  missType: { type: 5, kind: 'u32' },
  missNest: { type: 6, kind: 'u32' },
}, 'nlmsgerr_attrs');

/** The typed extended ack. */
export type ExtAck = {
  msg?: string; offs?: number; cookie?: Uint8Array; policy?: Uint8Array;
  missType?: number; missNest?: number;
} & Record<string, unknown>;

/**
 * One decoded netlink message. Fields beyond the header are present by type: `body` and
 * `attrs` for family messages, `errno`/`request`/`extack` for NLMSG_ERROR and NLMSG_DONE,
 * `payload` for types the protocol does not describe.
 */
export interface NlMsg {
  /** nlmsg_type. */
  type: number;
  /** nlmsg_flags. */
  flags: number;
  seq: number;
  /** nlmsg_pid: the sender's port id (0 = the kernel); u32, may exceed 2^31. */
  pid: number;
  /**
   * nlmsg_len as sent, where it is not the message's own size: in a capped echo
   * (NLM_F_CAPPED) the kernel keeps the original request's length but only its header.
   */
  len?: number;
  /** The fixed family header (rtmsg, ifinfomsg, ...). */
  body?: Record<string, unknown>;
  /** The attributes, in wire order. */
  attrs?: Record<string, unknown>;
  /** Payload bytes of a type the protocol does not describe, or too short for its header. */
  payload?: Uint8Array;
  /** NLMSG_ERROR and NLMSG_DONE: negative errno, 0 for an ACK. */
  errno?: number;
  /** NLMSG_ERROR: the request it answers (header only when capped). */
  request?: NlMsg;
  /** NLMSG_ERROR and NLMSG_DONE with NLM_F_ACK_TLVS: the extended ack. */
  extack?: ExtAck;
  /** NLMSG_ERROR: kernel name of the attribute NLMSGERR_ATTR_OFFS points at (`RTA_PREFSRC`). */
  errorAttribute?: string;
  /** The message's exact bytes, kept where the typed view cannot reproduce them. */
  raw?: Uint8Array;
}

/** A datagram: what one send or receive carries. */
export interface Datagram {
  messages: NlMsg[];
  /** Bytes after the last message. */
  trailing?: Uint8Array;
}

/** Names of the control message types. */
export const controlTypeNames: Readonly<Record<number, string>> = {
  [NLMSG_NOOP]: 'NLMSG_NOOP', [NLMSG_ERROR]: 'NLMSG_ERROR', [NLMSG_DONE]: 'NLMSG_DONE',
  [NLMSG_OVERRUN]: 'NLMSG_OVERRUN',
};

/** Kernel name of a message type (`RTM_NEWROUTE`), or its number as text when unknown. */
export function typeName(type: number, proto?: Protocol): string {
  return controlTypeNames[type] ?? proto?.messages.get(type)?.name ?? String(type);
}

/** The flag context of a message type. */
export function messageOp(type: number, proto?: Protocol): MessageOp {
  if (type === NLMSG_ERROR || type === NLMSG_DONE) return 'ack';
  return proto?.messages.get(type)?.op ?? 'other';
}

/** Options for decoding. */
export interface DecodeOptions {
  /** Path prefix for errors (`datagram 3`). */
  path?: string;
}

/**
 * A decode context over `bytes`. A Node Buffer is viewed as a plain Uint8Array first: its
 * `slice` shares memory, and decoded byte values must not change when a receive buffer is
 * reused.
 */
export function newCtx(bytes: Uint8Array): DecodeCtx {
  const buf = Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { buf, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), odd: false };
}

/**
 * Decodes one datagram. Throws DecodeError (with `partial` holding the messages decoded
 * before the fault) for a truncated header, nlmsg_len below 16 or past the end, or any
 * fault inside a message.
 */
export function decodeDatagram(input: Uint8Array, proto?: Protocol, opts: DecodeOptions = {}): Datagram {
  const ctx = newCtx(input);
  const bytes = ctx.buf;
  const messages: NlMsg[] = [];
  const end = bytes.length;
  let o = 0;
  try {
    while (end - o >= NLMSG_HDRLEN) {
      const len = ctx.view.getUint32(o, LITTLE_ENDIAN);
      if (len === 0 && allZero(bytes, o, end)) break;
      if (len < NLMSG_HDRLEN) throw new DecodeError(`nlmsg_len ${len} is below 16`, o, 'nlmsghdr');
      if (len > end - o) {
        throw new DecodeError(`nlmsg_len ${len} runs past the end of the datagram (${end - o} bytes left)`, o, 'nlmsghdr');
      }
      // A last message whose padding is cut off by the datagram's end is valid (the
      // kernel's netlink_rcv_skb accepts it) but not what the encoder writes: keep its bytes.
      const padded = o + align4(len);
      const next = Math.min(padded, end);
      ctx.odd = padded > end;
      const msg = decodeMessage(ctx, o, o + len, proto, '');
      let odd = ctx.odd;
      for (let i = o + len; i < next; i++) if (bytes[i] !== 0) odd = true;
      if (odd) msg.raw = bytes.slice(o, next);
      messages.push(msg);
      o = next;
    }
  } catch (err) {
    if (err instanceof DecodeError) {
      const e = opts.path ? new DecodeError(err.detail, err.offset, `${opts.path}: ${err.path}`) : err;
      (e as DecodeError & { partial?: Datagram }).partial = { messages };
      throw e;
    }
    throw err;
  }
  const dg: Datagram = { messages };
  if (o < end) dg.trailing = bytes.slice(o);
  return dg;
}

function allZero(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

/** Decodes the message in [start, end) (end = start + nlmsg_len, checked by the caller). */
function decodeMessage(ctx: DecodeCtx, start: number, end: number, proto: Protocol | undefined,
  pathPrefix: string, echoed = false): NlMsg {
  const v = ctx.view;
  const type = v.getUint16(start + 4, LITTLE_ENDIAN);
  const msg: NlMsg = {
    type,
    flags: v.getUint16(start + 6, LITTLE_ENDIAN),
    seq: v.getUint32(start + 8, LITTLE_ENDIAN),
    pid: v.getUint32(start + 12, LITTLE_ENDIAN),
  };
  const p = start + NLMSG_HDRLEN;
  const spec = proto?.messages.get(type);
  // Without a prefix (every top-level message) the path is a constant string: nothing is
  // built per message on the hot path.
  const name = spec?.name ?? typeName(type, proto);
  const path = pathPrefix ? pathPrefix + name : name;
  if (echoed && type < NLMSG_MIN_TYPE) {
    // The kernel echoes only requests: a control message inside an echo is kept as bytes,
    // which also bounds the recursion (an error echoing an error echoing ...).
    msg.payload = ctx.buf.slice(p, end);
  } else if (type === NLMSG_ERROR) decodeError(ctx, msg, p, end, proto, path);
  else if (type === NLMSG_DONE) decodeDone(ctx, msg, p, end, path);
  else {
    const size = spec?.body?.size ?? 0;
    if (!spec || end - p < size) {
      if (spec && !(msg.flags & NLM_F_REQUEST)) {
        throw new DecodeError(`${end - p} bytes of payload, ${spec.body!.name} needs ${size}`, p, path);
      }
      // A request too short for its header (an old rtgenmsg dump request, or none at all)
      // keeps its payload as bytes, empty included, so that it encodes as it came.
      msg.payload = ctx.buf.slice(p, end);
    } else {
      if (spec.body) msg.body = spec.body.decode(v, ctx.buf, p);
      const a = p + align4(size);
      if (spec.attrs) {
        if (a > end) ctx.odd = true;
        else {
          for (let i = p + size; i < a; i++) if (ctx.buf[i] !== 0) ctx.odd = true;
          msg.attrs = decodeAttrs(spec.attrs, ctx, a, end, path);
        }
      } else if (p + size < end) ctx.odd = true;
    }
  }
  return msg;
}

function decodeDone(ctx: DecodeCtx, msg: NlMsg, p: number, end: number, path: string): void {
  if (end === p) return;
  if (end - p < 4) {
    msg.payload = ctx.buf.slice(p, end);
    return;
  }
  msg.errno = ctx.view.getInt32(p, LITTLE_ENDIAN);
  if (end > p + 4) {
    if (msg.flags & NLM_F_ACK_TLVS) msg.extack = decodeAttrs(extackAttrs, ctx, p + 4, end, `${path}.extack`) as ExtAck;
    else ctx.odd = true;
  }
}

function decodeError(ctx: DecodeCtx, msg: NlMsg, p: number, end: number, proto: Protocol | undefined,
  path: string): void {
  if (end - p < 4 + NLMSG_HDRLEN) {
    throw new DecodeError(`NLMSG_ERROR payload is ${end - p} bytes, below struct nlmsgerr's 20`, p, path);
  }
  const v = ctx.view;
  msg.errno = v.getInt32(p, LITTLE_ENDIAN);
  const e = p + 4;
  const echoLen = v.getUint32(e, LITTLE_ENDIAN);
  let after: number;
  if (msg.flags & NLM_F_CAPPED) {
    msg.request = {
      type: v.getUint16(e + 4, LITTLE_ENDIAN), flags: v.getUint16(e + 6, LITTLE_ENDIAN),
      seq: v.getUint32(e + 8, LITTLE_ENDIAN), pid: v.getUint32(e + 12, LITTLE_ENDIAN),
    };
    if (echoLen !== NLMSG_HDRLEN) msg.request.len = echoLen;
    after = e + NLMSG_HDRLEN;
  } else {
    if (echoLen < NLMSG_HDRLEN || echoLen > end - e) {
      throw new DecodeError(`echoed nlmsg_len ${echoLen} does not fit the ${end - e} bytes left`, e, `${path}.request`);
    }
    msg.request = decodeMessage(ctx, e, e + echoLen, proto, `${path}.request.`, true);
    after = e + align4(echoLen);
  }
  if (after > end) {
    ctx.odd = true;
    return;
  }
  for (let i = e + echoLen; i < after && !(msg.flags & NLM_F_CAPPED); i++) if (ctx.buf[i] !== 0) ctx.odd = true;
  if (after < end) {
    if (msg.flags & NLM_F_ACK_TLVS) {
      msg.extack = decodeAttrs(extackAttrs, ctx, after, end, `${path}.extack`) as ExtAck;
      const offs = msg.extack.offs;
      if (offs !== undefined && !(msg.flags & NLM_F_CAPPED)) {
        const name = attributeAt(ctx.buf, e, e + echoLen, offs, proto);
        if (name) msg.errorAttribute = name;
      }
    } else ctx.odd = true;
  }
}

/**
 * The kernel name of the attribute that starts at (or contains) byte `offs` of the request
 * in [start, end), counted from its nlmsghdr: `RTA_PREFSRC`, or `RTA_METRICS.RTAX_MTU`.
 */
export function attributeAt(buf: Uint8Array, start: number, end: number, offs: number,
  proto?: Protocol): string | undefined {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const spec = proto?.messages.get(view.getUint16(start + 4, LITTLE_ENDIAN));
  if (!spec?.attrs) return undefined;
  const target = start + offs;
  let table: AttrTable = spec.attrs;
  let o = start + NLMSG_HDRLEN + align4(spec.body?.size ?? 0);
  let lim = end;
  let name = '';
  for (let depth = 0; depth < 32; depth++) {
    let found = false;
    while (lim - o >= 4) {
      const len = view.getUint16(o, LITTLE_ENDIAN);
      if (len < 4 || len > lim - o) return name || undefined;
      if (target >= o && target < o + Math.max(len, 4)) {
        const type = view.getUint16(o + 2, LITTLE_ENDIAN) & 0x3fff;
        name += (name ? '.' : '') + attrName(table, type);
        const e = table.byType[type];
        if (target === o || !e || e.kind !== 'nested') return name;
        table = e.nested();
        lim = o + len;
        o += 4;
        found = true;
        break;
      }
      o += align4(len);
    }
    if (!found) return name || undefined;
  }
  return name || undefined;
}

/** Payload bytes of a message as `encodeMessage` writes it (nlmsg_len minus 16). */
function payloadLength(msg: NlMsg, proto: Protocol | undefined, path: string): number {
  if (msg.type === NLMSG_ERROR && msg.errno !== undefined) {
    let n = 4 + (msg.flags & NLM_F_CAPPED || !msg.request
      ? NLMSG_HDRLEN : align4(messageLength(msg.request, proto, `${path}.request`)));
    if (msg.extack) n += attrsLength(extackAttrs, msg.extack, `${path}.extack`);
    return n;
  }
  if (msg.type === NLMSG_DONE && msg.errno !== undefined) {
    return 4 + (msg.extack ? attrsLength(extackAttrs, msg.extack, `${path}.extack`) : 0);
  }
  if (msg.payload) return msg.payload.length;
  const spec = proto?.messages.get(msg.type);
  let n = 0;
  if (spec?.body) n = spec.body.size;
  if (spec?.attrs && msg.attrs) n = align4(n) + attrsLength(spec.attrs, msg.attrs, path);
  return n;
}

/** nlmsg_len of a message as `encodeMessage` writes it. */
export function messageLength(msg: NlMsg, proto?: Protocol, path = typeName(msg.type, proto)): number {
  if (msg.raw) return msg.raw.length;
  return NLMSG_HDRLEN + payloadLength(msg, proto, path);
}

/**
 * Bytes `encodeDatagram` writes: every message padded to 4 (but a kept last message whose
 * padding was cut off), then the trailing bytes.
 */
export function datagramLength(dg: Datagram, proto?: Protocol): number {
  let n = 0;
  for (const m of dg.messages) n += align4(messageLength(m, proto));
  const last = dg.messages[dg.messages.length - 1];
  if (last?.raw && last.raw.length % 4) n -= 4 - (last.raw.length % 4);
  if (dg.trailing) n += dg.trailing.length;
  return n;
}

const headerFields = [['type', 0xffff], ['flags', 0xffff], ['seq', 0xffffffff], ['pid', 0xffffffff]] as const;

function headerFieldOk(x: unknown, max: number): boolean {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= max;
}

function writeHeader(v: DataView, off: number, len: number, m: NlMsg, path: string): void {
  // Checked without the per-call table literal (four arrays a message, in every request).
  if (!headerFieldOk(m.type, 0xffff) || !headerFieldOk(m.flags, 0xffff) || !headerFieldOk(m.seq, 0xffffffff)
    || !headerFieldOk(m.pid, 0xffffffff)) {
    for (const [k, max] of headerFields) {
      const x = m[k];
      if (!headerFieldOk(x, max)) throw new EncodeError(`nlmsg_${k} must be an integer in [0, ${max}], got ${String(x)}`, path);
    }
  }
  v.setUint32(off, len, LITTLE_ENDIAN);
  v.setUint16(off + 4, m.type, LITTLE_ENDIAN);
  v.setUint16(off + 6, m.flags, LITTLE_ENDIAN);
  v.setUint32(off + 8, m.seq, LITTLE_ENDIAN);
  v.setUint32(off + 12, m.pid, LITTLE_ENDIAN);
}

/** Writes one message at `off`; returns nlmsg_len (padding after it is not written). */
export function encodeMessage(msg: NlMsg, ctx: EncodeCtx, off: number, proto?: Protocol,
  path = typeName(msg.type, proto)): number {
  if (msg.raw) {
    ctx.buf.set(msg.raw, off);
    return msg.raw.length;
  }
  const len = NLMSG_HDRLEN + payloadLength(msg, proto, path);
  writeHeader(ctx.view, off, len, msg, path);
  let o = off + NLMSG_HDRLEN;
  const v = ctx.view;
  if ((msg.type === NLMSG_ERROR || msg.type === NLMSG_DONE) && msg.errno !== undefined) {
    v.setInt32(o, msg.errno ?? 0, LITTLE_ENDIAN);
    o += 4;
    if (msg.type === NLMSG_ERROR) {
      const r = msg.request ?? { type: 0, flags: 0, seq: 0, pid: 0 };
      if (msg.flags & NLM_F_CAPPED || !msg.request) {
        writeHeader(v, o, r.len ?? NLMSG_HDRLEN, r, `${path}.request`);
        o += NLMSG_HDRLEN;
      } else {
        const n = encodeMessage(r, ctx, o, proto, `${path}.request`);
        ctx.buf.fill(0, o + n, o + align4(n));
        o += align4(n);
      }
    }
    if (msg.extack) o += encodeAttrs(extackAttrs, msg.extack, ctx, o, `${path}.extack`);
    return len;
  }
  if (msg.payload) {
    ctx.buf.set(msg.payload, o);
    return len;
  }
  const spec = proto?.messages.get(msg.type);
  if (spec?.body) {
    spec.body.encode(msg.body ?? {}, v, ctx.buf, o, `${path}.${spec.body.name}`);
    const a = o + align4(spec.body.size);
    ctx.buf.fill(0, o + spec.body.size, a);
    o = spec.attrs && msg.attrs ? a : o + spec.body.size;
  }
  if (spec?.attrs && msg.attrs) encodeAttrs(spec.attrs, msg.attrs, ctx, o, path);
  return len;
}

/** Encodes a datagram into a new buffer. */
export function encodeDatagram(dg: Datagram, proto?: Protocol): Uint8Array {
  const buf = new Uint8Array(datagramLength(dg, proto));
  encodeDatagramInto(dg, buf, 0, proto);
  return buf;
}

/** Encodes a datagram at `off` in `buf`; returns the bytes written. */
export function encodeDatagramInto(dg: Datagram, buf: Uint8Array, off: number, proto?: Protocol): number {
  const ctx: EncodeCtx = { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength) };
  let o = off;
  dg.messages.forEach((m, i) => {
    const n = encodeMessage(m, ctx, o, proto);
    if (m.raw && n % 4 && i === dg.messages.length - 1) o += n;
    else {
      buf.fill(0, o + n, o + align4(n));
      o += align4(n);
    }
  });
  if (dg.trailing) {
    buf.set(dg.trailing, o);
    o += dg.trailing.length;
  }
  return o - off;
}

/** Encodes one message into a new buffer (a one-message datagram). */
export function encodeMsg(msg: NlMsg, proto?: Protocol): Uint8Array {
  return encodeDatagram({ messages: [msg] }, proto);
}

/** `EEXIST` for an NLMSG_ERROR's errno. */
export function messageErrnoName(msg: NlMsg): string | undefined {
  return msg.errno === undefined ? undefined : msg.errno === 0 ? 'OK' : errnoName(msg.errno);
}
