/**
 * NLMSG_ERROR and NLMSG_DONE messages with NLM_F_ACK_TLVS built around recorded requests:
 * the echoed request whole or capped (NLM_F_CAPPED, header only, nlmsg_len kept), then
 * NLMSGERR_ATTR_* TLVs in any order and number: messages with and without their NUL or
 * in broken UTF-8, offsets that point at each attribute of the request, at its edges and
 * far past it, cookies, nested policies, missing-attribute reports and unknown types.
 */
import type { Protocol } from '../../src/netlink/message.js';
import type { Rng } from './rng.js';
import { walkDatagram, put16, put32, u32, align4 } from './layout.js';
import { cat } from './mutate.js';

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_MULTI = 0x2;
const NLM_F_CAPPED = 0x100;
const NLM_F_ACK_TLVS = 0x200;

function tlv(type: number, payload: Uint8Array, lenDelta = 0): Uint8Array {
  const len = 4 + payload.length;
  const out = new Uint8Array(align4(len));
  put16(out, 0, (len + lenDelta) & 0xffff);
  put16(out, 2, type);
  out.set(payload, 4);
  return out;
}

function u32b(v: number): Uint8Array {
  const b = new Uint8Array(4);
  put32(b, 0, v >>> 0);
  return b;
}

const MESSAGES = [
  'Invalid prefsrc address', 'Nexthop device is not up', '', 'x'.repeat(300), 'caf\u00e9',
];

function msgPayload(rng: Rng): Uint8Array {
  switch (rng.int(6)) {
    case 0: return new Uint8Array(0);
    case 1: return Uint8Array.of(0xc3, 0x28, 0xff, 0xfe, 0); // not UTF-8
    case 2: return Uint8Array.of(0x41, 0, 0x42, 0x43, 0); // bytes after the NUL
    default: {
      const s = new TextEncoder().encode(rng.pick(MESSAGES));
      return rng.chance(0.7) ? cat([s, Uint8Array.of(0)]) : s;
    }
  }
}

/** Attribute offsets of the request (from its nlmsghdr) and the edges around it. */
function offsets(req: Uint8Array, proto: Protocol | undefined): number[] {
  const out = [0, 1, 4, 15, 16, 17, req.length - 1, req.length, req.length + 1, req.length + 4, 0xffff, 0x7fffffff, 0xffffffff];
  for (const r of walkDatagram(req, proto)) {
    if (r.kind === 'attr') out.push(r.start, r.start + 1, r.start + 2, r.start + 4);
    if (r.kind === 'hop') out.push(r.start, r.start + 8);
  }
  return out;
}

function policy(rng: Rng, depth: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let n = rng.small(4); n >= 0; n--) {
    if (depth < 40 && rng.chance(0.25)) parts.push(tlv(rng.int(16) | 0x8000, policy(rng, depth + 1)));
    else parts.push(tlv(rng.int(16), rng.chance(0.7) ? u32b(rng.u32()) : rng.bytes(rng.small(12))));
  }
  return cat(parts);
}

/** The NLMSGERR_ATTR_* TLVs of one ack. */
function extackTlvs(rng: Rng, req: Uint8Array, proto: Protocol | undefined): Uint8Array {
  const parts: Uint8Array[] = [];
  const offs = offsets(req, proto);
  for (let n = rng.small(6); n >= 0; n--) {
    switch (rng.int(9)) {
      case 0: case 1: parts.push(tlv(1, msgPayload(rng))); break;
      case 2: case 3: parts.push(tlv(2, u32b(rng.pick(offs)))); break;
      case 4: parts.push(tlv(3, rng.bytes(rng.small(24)))); break;
      case 5: parts.push(tlv(4 | (rng.chance(0.8) ? 0x8000 : 0), policy(rng, 0))); break;
      case 6: parts.push(tlv(5, u32b(rng.chance(0.5) ? rng.int(40) : rng.u32()))); break;
      case 7: parts.push(tlv(6, u32b(rng.pick(offs)))); break;
      default: { // wrong sizes and unknown types
        const t = rng.pick([0, 1, 2, 5, 6, 7, 8, 0x3fff, 0x4002]);
        parts.push(tlv(t, rng.bytes(rng.pick([0, 1, 2, 3, 5, 8]))));
      }
    }
  }
  return cat(parts);
}

const ERRNOS = [0, -1, -2, -17, -22, -95, -105, -4095, -4096, 1, 0x7fffffff, -0x80000000];

/**
 * An NLMSG_ERROR (or, one time in six, an NLMSG_DONE) with NLM_F_ACK_TLVS answering the
 * first message of `seed`, sometimes after other messages of the seed pool (a dump's parts).
 */
export function makeExtAck(rng: Rng, seed: Uint8Array, proto: Protocol | undefined,
  pool: readonly Uint8Array[]): Uint8Array {
  const len0 = seed.length >= 16 ? u32(seed, 0) : 0;
  const req = len0 >= 16 && len0 <= seed.length ? seed.subarray(0, len0)
    : Uint8Array.of(16, 0, 0, 0, 26, 0, 5, 0, 1, 0, 0, 0, 0, 0, 0, 0);
  const errno = rng.chance(0.8) ? rng.pick(ERRNOS) : rng.u32() | 0;
  let flags = NLM_F_ACK_TLVS;
  if (rng.chance(0.4)) flags |= NLM_F_CAPPED;
  if (rng.chance(0.1)) flags ^= rng.pick([NLM_F_ACK_TLVS, NLM_F_MULTI, 0x1, 0x8000]);
  const done = rng.chance(1 / 6);
  const tlvs = extackTlvs(rng, req, proto);
  let body: Uint8Array;
  if (done) {
    body = cat([u32b(errno), tlvs]);
  } else if (flags & NLM_F_CAPPED) {
    const hdr = req.slice(0, 16);
    if (rng.chance(0.2)) put32(hdr, 0, rng.pick([0, 3, 16, 0xffff, 0xffffffff, req.length + 4]));
    body = cat([u32b(errno), hdr, tlvs]);
  } else {
    const echo = cat([req, new Uint8Array(align4(req.length) - req.length)]);
    body = cat([u32b(errno), echo, tlvs]);
  }
  const msg = new Uint8Array(16 + body.length);
  put32(msg, 0, msg.length);
  put16(msg, 4, done ? NLMSG_DONE : NLMSG_ERROR);
  put16(msg, 6, flags | (done ? NLM_F_MULTI : 0));
  msg.set(req.subarray(8, 16), 8);
  msg.set(body, 16);
  if (!pool.length || rng.chance(0.7)) return msg;
  const before = rng.pick(pool);
  return cat([before, new Uint8Array(align4(before.length) - before.length), msg]);
}
