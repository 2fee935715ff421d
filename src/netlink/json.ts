/**
 * The stable JSON form of decoded datagrams, and back. Addresses are text, byte strings
 * hex, u64 decimal strings; `type` is the kernel name (a number when unknown); flags are
 * names in the message type's context; errors carry `errno` (negative) and `code`.
 * `datagramFromJSON(datagramToJSON(d))` encodes to the same bytes as `d`.
 */
import { DecodeError } from './errors.js';
import {
  type Datagram, type NlMsg, type Protocol, type MessageOp, type ExtAck, controlTypeNames,
  messageOp, typeName, extackAttrs,
} from './message.js';
import { attrsToJSON, attrsFromJSON } from './attrs.js';
import { toHex, fromHex } from './ip.js';
import { bitsFromNames } from './struct.js';
import { errnoName } from './errno.js';
import {
  NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_ECHO, NLM_F_DUMP_INTR, NLM_F_DUMP_FILTERED,
  NLMSG_ERROR,
} from './constants.js';

const commonFlags: Record<number, string> = {
  [NLM_F_REQUEST]: 'REQUEST', [NLM_F_MULTI]: 'MULTI', [NLM_F_ACK]: 'ACK', [NLM_F_ECHO]: 'ECHO',
  [NLM_F_DUMP_INTR]: 'DUMP_INTR', [NLM_F_DUMP_FILTERED]: 'DUMP_FILTERED',
};

/** Flag names by context (nlmsg_flags bits 0x100 and up mean different things per op). */
export const flagNamesByOp: Readonly<Record<MessageOp, Readonly<Record<number, string>>>> = {
  get: { ...commonFlags, 0x300: 'DUMP', 0x100: 'ROOT', 0x200: 'MATCH', 0x400: 'ATOMIC' },
  new: { ...commonFlags, 0x100: 'REPLACE', 0x200: 'EXCL', 0x400: 'CREATE', 0x800: 'APPEND' },
  del: { ...commonFlags, 0x100: 'NONREC', 0x200: 'BULK' },
  set: commonFlags,
  ack: { ...commonFlags, 0x100: 'CAPPED', 0x200: 'ACK_TLVS' },
  other: commonFlags,
};

function popcount(n: number): number {
  let c = 0;
  for (let x = n >>> 0; x; x &= x - 1) c++;
  return c;
}

/** Bits of each context, widest first, so that a dump reads DUMP rather than ROOT, MATCH. */
const bitOrder = Object.fromEntries(Object.entries(flagNamesByOp).map(([op, names]) => [
  op, Object.keys(names).map(Number).sort((a, b) => popcount(b) - popcount(a) || a - b),
])) as Record<MessageOp, number[]>;

/** Names of the nlmsg_flags of a message of `type` (`['REQUEST', 'ACK', 'EXCL', 'CREATE']`). */
export function nlmsgFlagNames(type: number, flags: number, proto?: Protocol): string[] {
  const op = messageOp(type, proto);
  const names = flagNamesByOp[op];
  const out: string[] = [];
  let rest = flags >>> 0;
  for (const bit of bitOrder[op]) {
    if ((rest & bit) === bit) {
      out.push(names[bit]!);
      rest &= ~bit;
    }
  }
  if (rest) out.push('0x' + rest.toString(16));
  return out;
}

/** JSON form of one message. */
export function messageToJSON(m: NlMsg, proto?: Protocol): Record<string, unknown> {
  const spec = proto?.messages.get(m.type);
  const j: Record<string, unknown> = {
    type: controlTypeNames[m.type] ?? spec?.name ?? m.type,
    flags: nlmsgFlagNames(m.type, m.flags, proto),
    seq: m.seq,
    pid: m.pid,
  };
  if (m.len !== undefined) j.len = m.len;
  if (m.errno !== undefined) {
    j.errno = m.errno;
    j.code = m.errno === 0 ? 'OK' : errnoName(m.errno);
  }
  if (m.request) j.request = messageToJSON(m.request, proto);
  if (m.extack) j.extack = attrsToJSON(extackAttrs, m.extack);
  if (m.errorAttribute) j.errorAttribute = m.errorAttribute;
  if (m.body && spec?.body) j.body = spec.body.toJSON(m.body);
  if (m.attrs && spec?.attrs) j.attrs = attrsToJSON(spec.attrs, m.attrs);
  if (m.payload) j.payload = toHex(m.payload);
  if (m.raw) j.raw = toHex(m.raw);
  return j;
}

/** JSON form of a datagram. */
export function datagramToJSON(dg: Datagram & { direction?: string }, proto?: Protocol): Record<string, unknown> {
  const j: Record<string, unknown> = {};
  if (dg.direction) j.direction = dg.direction;
  j.messages = dg.messages.map((m) => messageToJSON(m, proto));
  if (dg.trailing) j.trailing = toHex(dg.trailing);
  return j;
}

function fail(detail: string, path: string): never {
  throw new DecodeError(detail, 0, path);
}

function num(j: Record<string, unknown>, key: string, path: string, max: number): number {
  const v = j[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    fail(`${key} must be an integer in [0, ${max}], got ${JSON.stringify(v)}`, path);
  }
  return v;
}

function hex(v: unknown, what: string, path: string): Uint8Array {
  const b = typeof v === 'string' ? fromHex(v) : undefined;
  if (!b) fail(`${what} must be a hex string`, path);
  return b;
}

/** The message type number of a JSON `type` (a kernel name or a number). */
export function typeFromJSON(t: unknown, proto: Protocol | undefined, path: string): number {
  if (typeof t === 'number' && Number.isInteger(t) && t >= 0 && t <= 0xffff) return t;
  if (typeof t === 'string') {
    for (const [n, name] of Object.entries(controlTypeNames)) if (name === t) return Number(n);
    const s = proto?.byName.get(t);
    if (s) return s.type;
    if (/^[0-9]+$/.test(t)) return Number(t);
  }
  return fail(`unknown message type ${JSON.stringify(t)}`, path);
}

/** A message from its JSON form; throws DecodeError naming the path. */
export function messageFromJSON(json: unknown, proto?: Protocol, path = 'message', echoed = false): NlMsg {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('expected a message object', path);
  const j = json as Record<string, unknown>;
  const type = typeFromJSON(j.type, proto, path);
  const p = `${path}(${typeName(type, proto)})`;
  let flags: number;
  if (typeof j.flags === 'number') flags = num(j, 'flags', p, 0xffff);
  else if (Array.isArray(j.flags)) {
    const f = bitsFromNames(j.flags, flagNamesByOp[messageOp(type, proto)]);
    if (f === undefined || f > 0xffff) fail(`unknown flag in ${JSON.stringify(j.flags)}`, p);
    flags = f;
  } else if (j.flags === undefined) flags = 0;
  else fail('flags must be a list of names or a number', p);
  const m: NlMsg = {
    type, flags,
    seq: j.seq === undefined ? 0 : num(j, 'seq', p, 0xffffffff),
    pid: j.pid === undefined ? 0 : num(j, 'pid', p, 0xffffffff),
  };
  if (j.len !== undefined) m.len = num(j, 'len', p, 0xffffffff);
  if (j.raw !== undefined) m.raw = hex(j.raw, 'raw', p);
  if (j.errno !== undefined) {
    if (typeof j.errno !== 'number' || !Number.isInteger(j.errno)) fail('errno must be an integer', p);
    m.errno = j.errno;
  }
  if (j.request !== undefined) {
    // The kernel echoes requests, never errors: one level, as decodeDatagram gives.
    if (echoed) fail('an echoed request carries no request of its own', p);
    m.request = messageFromJSON(j.request, proto, `${p}.request`, true);
  }
  if (j.extack !== undefined) m.extack = attrsFromJSON(extackAttrs, j.extack, `${p}.extack`) as ExtAck;
  if (j.payload !== undefined) m.payload = hex(j.payload, 'payload', p);
  const spec = proto?.messages.get(type);
  if (j.body !== undefined) {
    if (!spec?.body) fail(`${typeName(type, proto)} has no fixed header`, p);
    m.body = spec.body.fromJSON(j.body, `${p}.${spec.body.name}`);
  }
  if (j.attrs !== undefined) {
    if (!spec?.attrs) fail(`${typeName(type, proto)} has no attributes`, p);
    m.attrs = attrsFromJSON(spec.attrs, j.attrs, p);
  }
  if (type === NLMSG_ERROR && !echoed && m.errno === undefined && !m.payload && !m.raw) fail('NLMSG_ERROR needs errno (or payload)', p);
  return m;
}

/** A datagram from its JSON form. */
export function datagramFromJSON(json: unknown, proto?: Protocol, path = 'datagram'):
  Datagram & { direction?: '>' | '<' } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('expected a datagram object', path);
  const j = json as Record<string, unknown>;
  if (!Array.isArray(j.messages)) fail('messages must be an array', path);
  const dg: Datagram & { direction?: '>' | '<' } = {
    messages: j.messages.map((m, i) => messageFromJSON(m, proto, `${path}.messages[${i}]`)),
  };
  if (j.direction !== undefined) {
    if (j.direction !== '>' && j.direction !== '<') fail('direction must be ">" or "<"', path);
    dg.direction = j.direction;
  }
  if (j.trailing !== undefined) dg.trailing = hex(j.trailing, 'trailing', path);
  return dg;
}

