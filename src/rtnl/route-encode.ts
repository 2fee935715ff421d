/**
 * Route requests written straight into a send buffer: the bytes `routeRequest` /
 * `routeGetRequest` + `encodeMessage` produce, without the intermediate request object,
 * the `what` string, the body and attribute records or the table-driven encoder. For bulk
 * route installs, where the kernel spends about 3.6 µs a route and JavaScript must spend
 * far less.
 *
 * Only the common shapes take this path (see {@link writeRouteRequest}); anything else,
 * and every value the fast parsers do not fully accept, returns 0 and the caller builds the
 * request the generic way, which then also raises the generic errors. So the error messages
 * and classes are the generic path's by construction, and the fast path only ever has to be
 * right about what it accepts (test/rtnl/route-encode.test.ts compares it byte for byte).
 *
 * Pure TypeScript, no Node imports: it runs wherever the codec does.
 *
 * @module
 */
import { AF_INET, AF_INET6, NLMSG_HDRLEN } from '../netlink/constants.js';
import { ipv4ValueAt, writeIPv6 } from '../netlink/ip.js';
import {
  RTA_DST, RTA_SRC, RTA_IIF, RTA_OIF, RTA_GATEWAY, RTA_PRIORITY, RTA_PREFSRC, RTA_TABLE, RTA_MARK,
  RTA_PREF, RTA_UID, RTA_IP_PROTO, RTA_SPORT, RTA_DPORT, RTM_GETROUTE, RTM_F_LOOKUP_TABLE,
  RTM_F_FIB_MATCH, RTNH_F_ONLINK, rtTableNames, rtTableAliases, rtprotNames, rtScopeNames,
  rtScopeAliases, rtnTypeNames, rtPrefNames,
} from './route.js';
import { ipProtoNames } from './rule.js';
import {
  routeDefaults, routeOps, ipProtoAliases, type DevResolver, type RouteDefaultsInput, type RouteGetOptions,
  type RouteOp, type RouteOptions,
} from './request.js';

/** nlmsghdr + struct rtmsg: where the first attribute starts. */
const HDR = NLMSG_HDRLEN + 12;

/**
 * The longest message either writer makes: a route with IPv6 RTA_DST, RTA_SRC, RTA_GATEWAY
 * and RTA_PREFSRC (20 bytes each) and RTA_PRIORITY, RTA_TABLE, RTA_PREF, RTA_OIF (8 each).
 * With at least this much room from `off` the writers write in place.
 */
export const ROUTE_REQUEST_MAX = HDR + 4 * 20 + 4 * 8;

// Where the room is shorter the message is written here first, then copied if it fits.
const scratch = new Uint8Array(ROUTE_REQUEST_MAX);
const scratchView = new DataView(scratch.buffer);

/**
 * A name → number map that numberOrName (request.ts) would give for the same name: its
 * aliases first, then the first table entry of that name.
 */
function nameMap(names: Readonly<Record<number, string>>, aliases: Readonly<Record<string, number>> = {}): Map<string, number> {
  const m = new Map<string, number>();
  for (const [n, name] of Object.entries(names)) if (!m.has(name)) m.set(name, Number(n));
  for (const [name, n] of Object.entries(aliases)) m.set(name, n);
  return m;
}

// The tables routeRequest / routeGetRequest give numberOrName, aliases included.
const tableIds = nameMap(rtTableNames, rtTableAliases);
const protocolIds = nameMap(rtprotNames);
const scopeIds = nameMap(rtScopeNames, rtScopeAliases);
const typeIds = nameMap(rtnTypeNames);
const prefIds = nameMap(rtPrefNames);
const ipProtoIds = nameMap(ipProtoNames, ipProtoAliases);

/** An integer in [0, max], or -1 (the generic path decides). */
function uintOr(x: unknown, max: number): number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= max ? x : -1;
}

/**
 * A number or name as numberOrName + uint(max) accept it: an integer in [0, max], a known
 * name, or decimal digits; -1 for anything else (hex text, unknown names: generic path).
 */
function numberOrNameOr(x: unknown, names: Map<string, number>, max: number): number {
  if (typeof x !== 'string') return uintOr(x, max);
  const n = names.get(x);
  if (n !== undefined) return n <= max ? n : -1;
  const len = x.length;
  if (len === 0 || len > 10) return -1;
  let v = 0;
  for (let i = 0; i < len; i++) {
    const d = x.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v <= max ? v : -1;
}

/** A `/len` from `from` to the end of `s` as parsePrefix accepts it (`0|[1-9][0-9]{0,2}`, ≤ max), or -1. */
function prefixLen(s: string, from: number, max: number): number {
  const n = s.length - from;
  if (n < 1 || n > 3) return -1;
  let v = 0;
  for (let i = from; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9 || (i === from && d === 0 && n > 1)) return -1;
    v = v * 10 + d;
  }
  return v <= max ? v : -1;
}

/**
 * The last text one option's putAddr accepted, with its result and address bytes: the
 * routes of a batch mostly share their gateway, prefsrc or source prefix, and comparing a
 * string already seen is cheaper than parsing it again.
 */
interface AddrMemo {
  text: string;
  r: number;
  bytes: Uint8Array;
}

function addrMemo(): AddrMemo {
  return { text: '', r: -1, bytes: new Uint8Array(16) };
}

const gatewayMemo = addrMemo();
const prefsrcMemo = addrMemo();
const srcMemo = addrMemo();
const fromMemo = addrMemo();

/**
 * Writes an attribute of `type` holding the address `text` at `o` (a `/len` allowed when
 * `prefix`, as parsePrefix; refused otherwise, as parseAddress). Returns len * 2 + 1 for
 * IPv6 or len * 2 for IPv4 (len: the prefix length, 32 / 128 when none was written), or -1
 * when the text is not accepted. The attribute takes 8 (IPv4) or 20 (IPv6) bytes. `memo`,
 * when given, belongs to this call site (one `prefix` value).
 */
function putAddr(text: unknown, type: number, prefix: boolean, memo: AddrMemo | undefined,
  b: Uint8Array, v: DataView, o: number): number {
  if (typeof text !== 'string') return -1;
  let r: number;
  if (memo !== undefined && text === memo.text) {
    r = memo.r;
    if (r < 0) return -1;
    for (let k = r & 1 ? 15 : 3; k >= 0; k--) b[o + 4 + k] = memo.bytes[k]!;
  } else {
    r = parseAddrAt(text, prefix, b, v, o + 4);
    if (r < 0) return -1;
    if (memo !== undefined) {
      memo.text = text;
      memo.r = r;
      for (let k = r & 1 ? 15 : 3; k >= 0; k--) memo.bytes[k] = b[o + 4 + k]!;
    }
  }
  v.setUint16(o, r & 1 ? 20 : 8, true);
  v.setUint16(o + 2, type, true);
  return r;
}

/** The address of `text` written at `o` (4 or 16 bytes); putAddr's result, or -1. */
function parseAddrAt(text: string, prefix: boolean, b: Uint8Array, v: DataView, o: number): number {
  // A `/len` that parsePrefix accepts is 1 to 3 digits, so the slash is among the last four
  // characters. A slash further left is in the address part, which then parses as neither
  // family: refused, as parsePrefix refuses it (its length is not 1 to 3 digits).
  const n = text.length;
  let slash = -1;
  for (let k = n - 2; k > 0 && k >= n - 4; k--) {
    if (text.charCodeAt(k) === 47) {
      slash = k;
      break;
    }
  }
  if (slash >= 0 && !prefix) return -1;
  const aEnd = slash < 0 ? n : slash;
  // Dotted-quad text has no colon; text with a colon before the slash is IPv6 (parsePrefix).
  const x = ipv4ValueAt(text, 0, aEnd);
  const v6 = x < 0;
  if (!v6) v.setUint32(o, x, false);
  else {
    const colon = text.indexOf(':');
    if (colon < 0 || colon >= aEnd || !writeIPv6(text, b, o, 0, aEnd)) return -1;
  }
  let len = v6 ? 128 : 32;
  if (slash >= 0 && (len = prefixLen(text, slash + 1, len)) < 0) return -1;
  return len * 2 + (v6 ? 1 : 0);
}

/** Bytes an address attribute of `putAddr`'s result `r` takes. */
function addrSize(r: number): number {
  return r & 1 ? 20 : 8;
}

/**
 * Writes an integer attribute of `size` bytes (1: u8, 2: u16 in network order, 4: u32) at
 * `p`, with its zero padding: 8 bytes in all. Returns the next offset.
 */
function putInt(type: number, size: 1 | 2 | 4, x: number, v: DataView, p: number): number {
  v.setUint16(p, 4 + size, true);
  v.setUint16(p + 2, type, true);
  if (size === 2) {
    v.setUint16(p + 4, x, false);
    v.setUint16(p + 6, 0, true);
  } else v.setUint32(p + 4, x, true); // a u8 below 256: its byte, then three zero bytes
  return p + 8;
}

/**
 * An optional integer option as routeRequest checks it (uint / u32, or numberOrName when
 * `names` is given): nothing for undefined, else its attribute at `p` (see putInt).
 * Returns the next offset, or -1 for a value the generic path must judge.
 */
function optInt(x: unknown, names: Map<string, number> | undefined, type: number, size: 1 | 2 | 4,
  v: DataView, p: number): number {
  if (x === undefined) return p;
  const max = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  const n = names === undefined ? uintOr(x, max) : numberOrNameOr(x, names, max);
  return n < 0 ? -1 : putInt(type, size, n, v, p);
}

/**
 * The index of a `dev` / `oif` / `iif` option as devIndex (request.ts) gives it: an index
 * in [1, 0x7fffffff], or a name through `resolve` (whose throws propagate); -1 for anything
 * else, and for a resolved value the encoder would refuse as a u32.
 */
function devOr(dev: unknown, resolve: DevResolver, verb: string, dst: string): number {
  if (typeof dev === 'number') return Number.isInteger(dev) && dev > 0 && dev <= 0x7fffffff ? dev : -1;
  if (typeof dev !== 'string' || dev === '') return -1;
  // The request's words as routeRequest / routeGetRequest name it, made only for a name.
  return uintOr(resolve(dev, `route ${verb} ${dst}`), 0xffffffff);
}

/** The output interface of `dev` and `oif`, one of them given (they must agree when both are), or -1. */
function outputDevOr(dev: unknown, oif: unknown, resolve: DevResolver, verb: string, dst: string): number {
  const a = dev === undefined ? 0 : devOr(dev, resolve, verb, dst);
  if (a < 0) return -1;
  if (oif === undefined) return a;
  const b = devOr(oif, resolve, verb, dst);
  return b < 0 || (dev !== undefined && a !== b) ? -1 : b;
}

/** nlmsghdr with seq 0 and pid 0, then struct rtmsg, at `off`. */
function putHeaders(v: DataView, off: number, len: number, type: number, flags: number, family: number,
  dstLen: number, srcLen: number, tos: number, table: number, protocol: number, scope: number,
  rtmType: number, rtmFlags: number): void {
  v.setUint32(off, len, true);
  v.setUint16(off + 4, type, true);
  v.setUint16(off + 6, flags, true);
  v.setUint32(off + 8, 0, true);
  v.setUint32(off + 12, 0, true);
  const o = off + NLMSG_HDRLEN;
  v.setUint32(o, family | (dstLen << 8) | (srcLen << 16) | (tos << 24), true);
  v.setUint32(o + 4, table | (protocol << 8) | (scope << 16) | (rtmType << 24), true);
  v.setUint32(o + 8, rtmFlags, true);
}

/** True when the writers may write in place: at least ROUTE_REQUEST_MAX bytes of room at `off`. */
function roomy(buf: Uint8Array, off: number): boolean {
  return off >= 0 && buf.length - off >= ROUTE_REQUEST_MAX;
}

/** `n` bytes written in the scratch buffer copied to `off` of `buf` when they fit; -n when not. */
function fromScratch(n: number, buf: Uint8Array, off: number): number {
  if (n <= 0) return n;
  if (off < 0 || n > buf.length - off) return -n;
  buf.set(scratch.subarray(0, n), off);
  return n;
}

/**
 * Writes the netlink message that `routeRequest(op, o, resolve)` describes: nlmsghdr with
 * nlmsg_seq 0, nlmsg_pid 0 and nlmsg_flags `routeOps[op].flags | extraFlags`, then struct
 * rtmsg and the attributes, byte for byte as `encodeMessage` writes that request, at `off`
 * of `buf` (`view` is a DataView over exactly the bytes of `buf`: same buffer, same
 * byteOffset). The caller fills in seq and pid.
 *
 * Returns:
 * - n > 0: nlmsg_len; the message is at [off, off + n), n is a multiple of 4.
 * - 0: not taken by the fast path; build it with routeRequest + encodeMessage, which also
 *   throws whatever error the options deserve. Options taken: a string dst (address,
 *   prefix, `default` / `all` / `any`), family, src, tos, gateway of the route's family,
 *   prefsrc, metric, table / protocol / scope / type as numbers, names or decimal text,
 *   pref, onlink, dev / oif. Anything else (via, a gateway of the other family, metrics,
 *   multipath, hex text, any value the fast parsers do not fully accept, nlmsg_flags above
 *   0xffff) gives 0.
 * - -n < 0: the options were taken, but the n-byte message does not fit in
 *   [off, buf.length); nothing was written to buf. Retry at a buffer with room.
 *
 * Throws only what `resolve` throws (MissingDevice for a name not looked up yet), and only
 * when routeRequest would call `resolve` with the same arguments at that point.
 *
 * Never writes past buf.length. On 0, bytes of [off, off + ROUTE_REQUEST_MAX) may have been
 * overwritten (the generic encoder writes there next anyway).
 */
export function writeRouteRequest(op: RouteOp, o: RouteOptions, resolve: DevResolver, extraFlags: number,
  buf: Uint8Array, view: DataView, off: number): number {
  if (roomy(buf, off)) return routeAt(op, o, resolve, extraFlags, buf, view, off);
  return fromScratch(routeAt(op, o, resolve, extraFlags, scratch, scratchView, 0), buf, off);
}

/**
 * The same for `routeGetRequest(o, resolve)` (RTM_GETROUTE; nlmsg_flags = extraFlags), with
 * the same return values. Options taken: a string dst address (a `/32` or `/128` allowed),
 * from, iif, oif / dev, mark, uid, ipproto (number, name or decimal text), sport, dport,
 * tos, fibmatch.
 */
export function writeRouteGetRequest(o: RouteGetOptions, resolve: DevResolver, extraFlags: number,
  buf: Uint8Array, view: DataView, off: number): number {
  if (roomy(buf, off)) return getAt(o, resolve, extraFlags, buf, view, off);
  return fromScratch(getAt(o, resolve, extraFlags, scratch, scratchView, 0), buf, off);
}

function routeAt(op: RouteOp, o: RouteOptions, resolve: DevResolver, extraFlags: number,
  b: Uint8Array, v: DataView, off: number): number {
  if (typeof o !== 'object' || o === null) return 0;
  const spec = routeOps[op] as { type: number; flags: number } | undefined;
  if (spec === undefined || typeof spec.type !== 'number') return 0; // also 'toString' & co
  const flags = (spec.flags | extraFlags) >>> 0;
  if (flags > 0xffff || o.via !== undefined || o.metrics !== undefined || o.multipath !== undefined) return 0;

  let p = off + HDR;
  let family = 0;
  let dstLen = 0;
  const dst = o.dst;
  if (dst !== 'default' && dst !== 'all' && dst !== 'any') {
    const r = putAddr(dst, RTA_DST, true, undefined, b, v, p);
    if (r < 0) return 0;
    family = r & 1 ? 6 : 4;
    dstLen = r >> 1;
    p += addrSize(r);
  }
  const given = o.family;
  if (given !== undefined) {
    if ((given !== 4 && given !== 6) || (family !== 0 && given !== family)) return 0;
    family = given;
  }
  if (family === 0) {
    // routeRequest takes it from the gateway, src or prefsrc, in that order; that option is
    // parsed below, and must then be of this family.
    const t = o.gateway !== undefined ? o.gateway : o.src !== undefined ? o.src : o.prefsrc;
    if (t !== undefined && typeof t !== 'string') return 0;
    family = t !== undefined && t.includes(':') ? 6 : 4;
  }
  const v6 = family === 6 ? 1 : 0;

  let srcLen = 0;
  if (o.src !== undefined) {
    const r = putAddr(o.src, RTA_SRC, true, srcMemo, b, v, p);
    if (r < 0 || (r & 1) !== v6) return 0;
    srcLen = r >> 1;
    p += addrSize(r);
  }
  const tos = o.tos === undefined ? 0 : uintOr(o.tos, 255);
  if (tos < 0) return 0;
  const hasGateway = o.gateway !== undefined;
  if (hasGateway) {
    const r = putAddr(o.gateway, RTA_GATEWAY, false, gatewayMemo, b, v, p);
    if (r < 0 || (r & 1) !== v6) return 0; // the other family is RTA_VIA: generic path
    p += addrSize(r);
  }
  if (o.prefsrc !== undefined) {
    const r = putAddr(o.prefsrc, RTA_PREFSRC, false, prefsrcMemo, b, v, p);
    if (r < 0 || (r & 1) !== v6) return 0;
    p += addrSize(r);
  }
  if ((p = optInt(o.metric, undefined, RTA_PRIORITY, 4, v, p)) < 0) return 0;

  const d: RouteDefaultsInput = { family: v6 ? 6 : 4, hasGateway };
  if (o.table !== undefined && (d.table = numberOrNameOr(o.table, tableIds, 0xffffffff)) < 0) return 0;
  if (o.protocol !== undefined && (d.protocol = numberOrNameOr(o.protocol, protocolIds, 255)) < 0) return 0;
  if (o.scope !== undefined && (d.scope = numberOrNameOr(o.scope, scopeIds, 255)) < 0) return 0;
  if (o.type !== undefined && (d.type = numberOrNameOr(o.type, typeIds, 255)) < 0) return 0;
  const { table, protocol, scope, type } = routeDefaults(op, d);
  if (table >= 256) p = putInt(RTA_TABLE, 4, table, v, p);
  if ((p = optInt(o.pref, prefIds, RTA_PREF, 1, v, p)) < 0) return 0;
  const rtmFlags = o.onlink ? RTNH_F_ONLINK : 0;

  // Last, as routeRequest does: every option it checks first has been accepted.
  if (o.dev !== undefined || o.oif !== undefined) {
    const oif = outputDevOr(o.dev, o.oif, resolve, op, dst);
    if (oif < 0) return 0;
    p = putInt(RTA_OIF, 4, oif, v, p);
  }
  putHeaders(v, off, p - off, spec.type, flags, family === 6 ? AF_INET6 : AF_INET, dstLen, srcLen, tos,
    table < 256 ? table : 0, protocol, scope, type, rtmFlags);
  return p - off;
}

function getAt(o: RouteGetOptions, resolve: DevResolver, extraFlags: number,
  b: Uint8Array, v: DataView, off: number): number {
  if (typeof o !== 'object' || o === null) return 0;
  const flags = (0 | extraFlags) >>> 0;
  if (flags > 0xffff) return 0;
  let p = off + HDR;
  const r = putAddr(o.dst, RTA_DST, true, undefined, b, v, p);
  if (r < 0 || r >> 1 !== (r & 1 ? 128 : 32)) return 0; // an address, not a prefix
  const v6 = r & 1;
  p += addrSize(r);
  const tos = o.tos === undefined ? 0 : uintOr(o.tos, 255);
  if (tos < 0) return 0;
  let srcLen = 0;
  if (o.from !== undefined) {
    const s = putAddr(o.from, RTA_SRC, true, fromMemo, b, v, p);
    if (s < 0 || (s & 1) !== v6) return 0;
    srcLen = s >> 1;
    p += addrSize(s);
  }
  if ((p = optInt(o.uid, undefined, RTA_UID, 4, v, p)) < 0
    || (p = optInt(o.ipproto, ipProtoIds, RTA_IP_PROTO, 1, v, p)) < 0
    || (p = optInt(o.sport, undefined, RTA_SPORT, 2, v, p)) < 0
    || (p = optInt(o.dport, undefined, RTA_DPORT, 2, v, p)) < 0) return 0;
  // routeGetRequest resolves iif, then dev, then oif, once the options before are checked
  // (and checks mark after them).
  if (o.iif !== undefined) {
    const iif = devOr(o.iif, resolve, 'get', o.dst);
    if (iif < 0) return 0;
    p = putInt(RTA_IIF, 4, iif, v, p);
  }
  if (o.dev !== undefined || o.oif !== undefined) {
    const oif = outputDevOr(o.dev, o.oif, resolve, 'get', o.dst);
    if (oif < 0) return 0;
    p = putInt(RTA_OIF, 4, oif, v, p);
  }
  if ((p = optInt(o.mark, undefined, RTA_MARK, 4, v, p)) < 0) return 0;
  const rtmFlags = (v6 ? 0 : RTM_F_LOOKUP_TABLE) | (o.fibmatch ? RTM_F_FIB_MATCH : 0);
  putHeaders(v, off, p - off, RTM_GETROUTE, flags, v6 ? AF_INET6 : AF_INET, r >> 1, srcLen, tos, 0, 0, 0, 0,
    rtmFlags);
  return p - off;
}
