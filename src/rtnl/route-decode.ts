/**
 * Route messages straight from bytes to the client's {@link Route} objects, for dumps of
 * many routes: no NlMsg, no body object, no attribute object per route, only the Route.
 *
 * The fast path takes the common, canonical message: RTM_NEWROUTE / RTM_DELROUTE of
 * AF_INET or AF_INET6, a whole rtmsg, then at most one each of RTA_DST, RTA_SRC,
 * RTA_GATEWAY, RTA_PREFSRC (4 or 16 bytes by rtm_family), RTA_OIF, RTA_IIF, RTA_PRIORITY,
 * RTA_TABLE, RTA_MARK, RTA_UID, RTA_NH_ID (u32), RTA_PREF, RTA_IP_PROTO (u8), RTA_SPORT,
 * RTA_DPORT (u16), RTA_EXPIRES (u32 or u64), RTA_CACHEINFO (32 bytes), each of exactly its
 * size, without NLA_F_* bits, zero-padded, the message ending where its last attribute's
 * padding does. Every other message (multipath, metrics, RTA_VIA, encap, an unknown or
 * repeated attribute, a wrong size, odd padding, another family or type, a fault) goes
 * through the generic codec, one message at a time: `decodeDatagram` over its bytes, then
 * {@link routeMatches} and {@link routeView}. So both paths give the same Route, and bad
 * bytes raise the DecodeError the generic decoder raises for the whole datagram.
 *
 * Pure TypeScript, no Node imports: part of the browser-safe codec.
 */
import { decodeDatagram, type NlMsg } from '../netlink/message.js';
import { DecodeError } from '../netlink/errors.js';
import { AF_INET, AF_INET6, NLMSG_HDRLEN } from '../netlink/constants.js';
import { LITTLE_ENDIAN } from '../netlink/struct.js';
import { formatIPv4, formatIPv6 } from '../netlink/ip.js';
import { rtnetlink } from './protocol.js';
import {
  RTM_NEWROUTE, RTM_DELROUTE, RTM_F_CLONED, RTA_DST, RTA_SRC, RTA_IIF, RTA_OIF, RTA_GATEWAY,
  RTA_PRIORITY, RTA_PREFSRC, RTA_CACHEINFO, RTA_TABLE, RTA_MARK, RTA_PREF, RTA_EXPIRES,
  RTA_UID, RTA_IP_PROTO, RTA_SPORT, RTA_DPORT, RTA_NH_ID, rtaCacheinfo, rtTableNames,
  rtprotNames, rtScopeNames, rtnTypeNames, rtPrefNames, rtFlagNames,
} from './route.js';
import {
  routeView, routeMatches, routeIfindexes, prefixText, afOf, type Route, type RouteFilter,
  type DevNamer, type IpFamily, type RouteNexthop,
} from './request.js';
import type { Metrics } from './route.js';

const noName: DevNamer = () => undefined;

/** rtmsg follows the 16-byte nlmsghdr: field offsets from the message start. */
const RTM_FAMILY = 16;
const RTM_DST_LEN = 17;
const RTM_SRC_LEN = 18;
const RTM_TOS = 19;
const RTM_TABLE = 20;
const RTM_PROTOCOL = 21;
const RTM_SCOPE = 22;
const RTM_TYPE = 23;
const RTM_FLAGS = 24;
/** nlmsghdr + rtmsg: where the attributes start. */
const RTM_ATTRS = NLMSG_HDRLEN + 12;

/**
 * A Route made by this module. Its keys are routeView's, in routeView's order; `raw`, the
 * generic decode of the message, is a getter on the prototype, computed on first access
 * from a copy of the message's bytes and kept: not an own enumerable property, so
 * `Object.keys(route)` and `JSON.stringify(route)` leave it out.
 */
class DecodedRoute {
  declare family: IpFamily;
  declare dst: string;
  declare dstLen: number;
  declare src?: string;
  declare gateway?: string;
  declare via?: { family: number; addr: string };
  declare dev?: string;
  declare oif?: number;
  declare iif?: number;
  declare iifDev?: string;
  declare prefsrc?: string;
  declare table: number;
  declare tableName?: string;
  declare protocol: number;
  declare protocolName?: string;
  declare scope: number;
  declare scopeName?: string;
  declare type: number;
  declare typeName?: string;
  declare tos: number;
  declare metric?: number;
  declare flags: string[];
  declare metrics?: Metrics;
  declare multipath?: RouteNexthop[];
  declare pref?: number;
  declare prefName?: string;
  declare expires?: number | bigint;
  declare uid?: number;
  declare mark?: number;
  declare ipproto?: number;
  declare sport?: number;
  declare dport?: number;
  declare nhid?: number;
  declare cacheinfo?: Record<string, number>;

  /**
   * The generic decode of the message once made (the fallback's from the start), else the
   * bytes it is decoded from: a copy of the decoded range, never the caller's buffer.
   */
  #raw: NlMsg | Uint8Array;
  /** Where the message starts in the copy. */
  #off: number;

  /**
   * The fallback's route (`raw` given: its keys are copied in by {@link fromView}), or the
   * fast path's, built here from {@link scan} and the message at `o`: every key set in
   * the constructor, so that V8 sizes the object for all of them.
   */
  constructor(run: Run | undefined, o: number, raw: NlMsg | undefined, name: DevNamer,
    missing: Set<number> | undefined) {
    if (run === undefined) {
      this.#raw = raw!;
      this.#off = 0;
      return;
    }
    if (run.copy === undefined) {
      run.copy = Uint8Array.prototype.slice.call(run.bytes, run.start, run.end);
      run.shift = run.start;
    }
    this.#raw = run.copy;
    this.#off = o - run.shift;
    // Read before calling `name`, which could decode again.
    const { v4, dstAddr, src, gateway, prefsrc, oif, iif, table, priority, pref, expires, expiresLen, uid, mark,
      ipproto, sport, dport, nhid, cacheinfo } = scan;
    const b = run.bytes;
    const v = run.view;
    const fam: IpFamily = v4 ? 4 : 6;
    const dstLen = b[o + RTM_DST_LEN]!;
    this.family = fam;
    this.dst = prefixText(dstAddr, dstLen, fam);
    this.dstLen = dstLen;
    const srcLen = b[o + RTM_SRC_LEN]!;
    if (src >= 0 || srcLen) this.src = prefixText(src < 0 ? undefined : ipText(b, src, v4), srcLen, fam);
    if (gateway >= 0) this.gateway = hopText(b, gateway, v4);
    if (oif >= 0) {
      const dev = name(oif);
      if (dev !== undefined) this.dev = dev;
      else if (missing !== undefined && oif > 0) missing.add(oif);
      this.oif = oif;
    }
    if (iif >= 0) {
      this.iif = iif;
      const dev = name(iif);
      if (dev !== undefined) this.iifDev = dev;
      else if (missing !== undefined && iif > 0) missing.add(iif);
    }
    if (prefsrc >= 0) this.prefsrc = hopText(b, prefsrc, v4);
    // routeView's name lookups, written out again here: a helper shared by both (one
    // function setting the four pairs) measured about 3% slower on decodeRoutes, its stores
    // seeing the shapes of both kinds of object.
    this.table = table;
    const tableName = rtTableNames[table];
    if (tableName !== undefined) this.tableName = tableName;
    const protocol = b[o + RTM_PROTOCOL]!;
    this.protocol = protocol;
    const protocolName = rtprotNames[protocol];
    if (protocolName !== undefined) this.protocolName = protocolName;
    const scope = b[o + RTM_SCOPE]!;
    this.scope = scope;
    const scopeName = rtScopeNames[scope];
    if (scopeName !== undefined) this.scopeName = scopeName;
    const type = b[o + RTM_TYPE]!;
    this.type = type;
    const typeName = rtnTypeNames[type];
    if (typeName !== undefined) this.typeName = typeName;
    this.tos = b[o + RTM_TOS]!;
    if (priority >= 0) this.metric = priority;
    this.flags = flagNames(v.getUint32(o + RTM_FLAGS, LITTLE_ENDIAN));
    if (pref >= 0) {
      this.pref = pref;
      const prefName = rtPrefNames[pref];
      if (prefName !== undefined) this.prefName = prefName;
    }
    if (expires >= 0) this.expires = expiresLen === 4 ? v.getUint32(expires, LITTLE_ENDIAN) : v.getBigUint64(expires, LITTLE_ENDIAN);
    if (uid >= 0) this.uid = uid;
    if (mark >= 0) this.mark = mark;
    if (ipproto >= 0) this.ipproto = ipproto;
    if (sport >= 0) this.sport = sport;
    if (dport >= 0) this.dport = dport;
    if (nhid >= 0) this.nhid = nhid;
    if (cacheinfo >= 0) this.cacheinfo = rtaCacheinfo.decode(v, b, cacheinfo) as Record<string, number>;
  }

  /** The generic decode of the message (computed on first access, then kept). */
  get raw(): NlMsg {
    const r = this.#raw;
    if (!(r instanceof Uint8Array)) return r;
    // The fast path took only messages whose nlmsg_len is aligned and inside the range.
    const off = this.#off;
    const len = new DataView(r.buffer, r.byteOffset + off, 4).getUint32(0, LITTLE_ENDIAN);
    return this.#raw = decodeDatagram(r.subarray(off, off + len), rtnetlink).messages[0]!;
  }
}

/** What a route the fast path cannot take falls back to: routeView's own object, without `raw`. */
function fromView(v: Route): Route {
  const r = new DecodedRoute(undefined, 0, v.raw, noName, undefined);
  for (const k in v) if (k !== 'raw') (r as unknown as Record<string, unknown>)[k] = (v as unknown as Record<string, unknown>)[k];
  return r as unknown as Route;
}

/**
 * Names of rtm_flags as routeView writes them (rtFlagNames), one frozen array per value,
 * shared by every route with those flags.
 */
const NO_FLAGS: string[] = Object.freeze([]) as unknown as string[];
const flagNameCache = new Map<number, string[]>();

function flagNames(flags: number): string[] {
  if (flags === 0) return NO_FLAGS;
  let names = flagNameCache.get(flags);
  if (names === undefined) {
    const v = rtFlagNames(flags);
    names = v.length === 0 ? NO_FLAGS : Object.freeze(v) as unknown as string[];
    // Bounded: rtm_flags is a u32 and the bytes may be anything.
    if (flagNameCache.size < 4096) flagNameCache.set(flags, names);
  }
  return names;
}

/**
 * The decode state of one call: the input, and the copy of [start, end) the routes' lazy
 * `raw` decodes from, made when the first route is kept (a receive buffer may be reused).
 */
interface Run {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly start: number;
  readonly end: number;
  /** `bytes` itself when they are owned, else the copy once made. */
  copy: Uint8Array | undefined;
  /** Where offset 0 of `copy` lies in `bytes`. */
  shift: number;
}

/**
 * The generic decode of the one message in [o, next) (or of the faulty header at `o`, with
 * next = the range's end): the NlMsg, or the generic decoder's DecodeError with its offset
 * counted from `start`, as decoding the whole range would report it.
 */
function decodeGeneric(run: Run, o: number, next: number): NlMsg {
  try {
    return decodeDatagram(run.bytes.subarray(o, next), rtnetlink).messages[0]!;
  } catch (err) {
    if (err instanceof DecodeError) throw new DecodeError(err.detail, err.offset + (o - run.start), err.path);
    throw err;
  }
}

function isRoute(type: number): boolean {
  return type === RTM_NEWROUTE || type === RTM_DELROUTE;
}

/** The generic path for one route message: routeMatches, routeView, missing indexes. */
function slowRoute(m: NlMsg, filter: RouteFilter | undefined, name: DevNamer, out: Route[],
  missing: Set<number> | undefined): void {
  if (filter !== undefined && !routeMatches(m, filter)) return;
  const v = routeView(m, name);
  if (v === undefined) return;
  if (missing !== undefined) {
    for (const i of routeIfindexes(m)) if (i > 0 && name(i) === undefined) missing.add(i);
  }
  out.push(fromView(v));
}

/**
 * Decodes the route messages (RTM_NEWROUTE / RTM_DELROUTE) of bytes[start, end) — a run of whole
 * netlink messages, headers included, as the kernel sends in a dump datagram — into Route objects
 * appended to `out`, keeping those `filter` passes (routeMatches semantics; undefined = no filter).
 * Interface indexes `name` does not know are added to `missing` (when given) and their `dev`/`iifDev`
 * are left out, exactly as routeView would do with that namer.
 *
 * Each Route equals what `routeView(m, name)` gives for the generically decoded message,
 * but for `raw`: a getter, computed on first access (the generic decode of a copy of the
 * message's bytes) and not an own enumerable property, so JSON.stringify(route) leaves it
 * out. Its `flags` array is frozen and shared by the routes with the same rtm_flags.
 *
 * Messages of other types are decoded generically (so that their faults raise) and skipped,
 * as are routes of other families (routeView gives none). Index 0 is never added to
 * `missing` (no interface). A fault raises the DecodeError `decodeDatagram` raises for
 * bytes[start, end), offset counted from `start`, without its `partial`: the routes of the
 * messages before the fault are already in `out`. Bytes after the last message (fewer
 * than 16, or zeros) are ignored, as decodeDatagram keeps them as `trailing`.
 *
 * `owned`: `bytes` are the caller's to give away, never written again (a copy the socket
 * made for this consumer, as dumpBytes and requestEncoded hand over): the routes keep a
 * view of them for `raw` instead of a copy of their own.
 */
export function decodeRoutes(bytes: Uint8Array, start: number, end: number, filter: RouteFilter | undefined,
  name: DevNamer, out: Route[], missing?: Set<number>, owned = false): void {
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= bytes.length)) {
    throw new RangeError(`decodeRoutes: [${start}, ${end}) is not a range of the ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const run: Run = { bytes, view, start, end, copy: owned ? bytes : undefined, shift: 0 };
  let o = start;
  while (end - o >= NLMSG_HDRLEN) {
    const len = view.getUint32(o, LITTLE_ENDIAN);
    if (len < NLMSG_HDRLEN || len > end - o) {
      if (len === 0 && allZero(bytes, o, end)) break;
      decodeGeneric(run, o, end); // throws: nlmsg_len below 16 or past the end
    }
    const padded = o + ((len + 3) & ~3);
    const next = padded < end ? padded : end;
    const type = view.getUint16(o + 4, LITTLE_ENDIAN);
    if (!isRoute(type)) decodeGeneric(run, o, next);
    else if (!scanRoute(run, o, len)) slowRoute(decodeGeneric(run, o, next), filter, name, out, missing);
    else if (filter === undefined || scanMatches(bytes, view, o, filter)) {
      out.push(new DecodedRoute(run, o, undefined, name, missing) as unknown as Route);
    }
    o = next;
  }
}

/**
 * The Route of the first route message in bytes[off, off + len) (a route get reply), or
 * undefined when it holds none of family AF_INET / AF_INET6. Faults as {@link decodeRoutes}.
 */
export function routeFromBytes(bytes: Uint8Array, off = 0, len = bytes.length - off,
  name: DevNamer = noName): Route | undefined {
  const out: Route[] = [];
  decodeRoutes(bytes, off, off + len, undefined, name, out);
  return out[0];
}

/**
 * True when the fast path takes the message at `off` (its nlmsg_len read there) as it is:
 * a route message of the canonical form described above; false sends it to the generic path.
 */
export function fastPathTakes(bytes: Uint8Array, off = 0): boolean {
  if (bytes.length - off < NLMSG_HDRLEN) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint32(off, LITTLE_ENDIAN);
  if (len > bytes.length - off || !isRoute(view.getUint16(off + 4, LITTLE_ENDIAN))) return false;
  return scanRoute({ bytes, view, start: 0, end: bytes.length, copy: undefined, shift: 0 }, off, len);
}

function allZero(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

function ipText(b: Uint8Array, off: number, v4: boolean): string {
  return v4 ? formatIPv4(b, off) : formatIPv6(b, off);
}

/**
 * Text of the IPv4 address at `off`, from a small direct-mapped cache: next hops and
 * preferred sources repeat across a dump, and a cached string is neither built nor kept
 * again. A slot holds the last address that hashed to it.
 */
const V4_SLOTS = 256;
const v4Keys = new Float64Array(V4_SLOTS).fill(-1);
const v4Texts: string[] = new Array<string>(V4_SLOTS).fill('');

function hopText(b: Uint8Array, off: number, v4: boolean): string {
  if (!v4) return hop6Text(b, off);
  const key = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
  const slot = (b[off + 3]! ^ b[off + 2]!) & (V4_SLOTS - 1);
  if (v4Keys[slot] === key) return v4Texts[slot]!;
  const text = formatIPv4(b, off);
  v4Keys[slot] = key;
  v4Texts[slot] = text;
  return text;
}

/** The same for IPv6 next hops and preferred sources: a slot holds the 16 bytes and the text. */
const V6_SLOTS = 64;
const v6Keys = new Uint8Array(V6_SLOTS * 16);
const v6Texts: Array<string | undefined> = new Array<string | undefined>(V6_SLOTS).fill(undefined);

function hop6Text(b: Uint8Array, off: number): string {
  const slot = (b[off + 15]! ^ b[off + 14]! ^ b[off + 7]!) & (V6_SLOTS - 1);
  const k = slot * 16;
  const cached = v6Texts[slot];
  if (cached !== undefined) {
    let same = true;
    for (let i = 0; i < 16; i++) {
      if (v6Keys[k + i] !== b[off + i]) {
        same = false;
        break;
      }
    }
    if (same) return cached;
  }
  const text = formatIPv6(b, off);
  for (let i = 0; i < 16; i++) v6Keys[k + i] = b[off + i]!;
  v6Texts[slot] = text;
  return text;
}

/**
 * What the fast path read of one message's attributes: offsets of addresses and structs,
 * values of integers, -1 for absent. One object for every message, filled by
 * {@link scanRoute} and read by the DecodedRoute constructor at once.
 */
const scan = {
  v4: true, dstAddr: undefined as string | undefined, src: -1, gateway: -1, prefsrc: -1,
  oif: -1, iif: -1, table: -1, priority: -1, pref: -1, expires: -1, expiresLen: 0, uid: -1, mark: -1,
  ipproto: -1, sport: -1, dport: -1, nhid: -1, cacheinfo: -1,
};

/**
 * Reads the route message at `o` of nlmsg_len `len` into {@link scan}: false when it is
 * not one the fast path takes (the generic path decodes it then).
 */
function scanRoute(run: Run, o: number, len: number): boolean {
  const b = run.bytes;
  const v = run.view;
  const end = o + len;
  // Whole rtmsg, nothing past the last attribute's padding (no padding cut off at the end).
  if (len < RTM_ATTRS || (len & 3) !== 0) return false;
  const family = b[o + RTM_FAMILY]!;
  const v4 = family === AF_INET;
  if (!v4 && family !== AF_INET6) return false;
  const alen = v4 ? 8 : 20;
  let dst = -1, src = -1, gateway = -1, prefsrc = -1, cacheinfo = -1, expires = -1, expiresLen = 0;
  let oif = -1, iif = -1, priority = -1, table = -1, mark = -1, uid = -1, nhid = -1;
  let pref = -1, ipproto = -1, sport = -1, dport = -1;
  let seen = 0;
  let a = o + RTM_ATTRS;
  while (a < end) {
    if (end - a < 4) return false;
    const n = v.getUint16(a, LITTLE_ENDIAN);
    const type = v.getUint16(a + 2, LITTLE_ENDIAN);
    // Also refuses NLA_F_* bits: such a type is above 31.
    if (type > 31 || (seen & (1 << type)) !== 0) return false;
    seen |= 1 << type;
    const padded = (n + 3) & ~3;
    if (n < 4 || padded > end - a) return false;
    const p = a + 4;
    switch (type) {
      case RTA_DST: if (n !== alen) return false; dst = p; break;
      case RTA_SRC: if (n !== alen) return false; src = p; break;
      case RTA_GATEWAY: if (n !== alen) return false; gateway = p; break;
      case RTA_PREFSRC: if (n !== alen) return false; prefsrc = p; break;
      case RTA_OIF: if (n !== 8) return false; oif = v.getUint32(p, LITTLE_ENDIAN); break;
      case RTA_IIF: if (n !== 8) return false; iif = v.getUint32(p, LITTLE_ENDIAN); break;
      case RTA_PRIORITY: if (n !== 8) return false; priority = v.getUint32(p, LITTLE_ENDIAN); break;
      case RTA_TABLE: if (n !== 8) return false; table = v.getUint32(p, LITTLE_ENDIAN); break;
      case RTA_MARK: if (n !== 8) return false; mark = v.getUint32(p, LITTLE_ENDIAN); break;
      case RTA_UID: if (n !== 8) return false; uid = v.getUint32(p, LITTLE_ENDIAN); break;
      case RTA_NH_ID: if (n !== 8) return false; nhid = v.getUint32(p, LITTLE_ENDIAN); break;
      case RTA_PREF: if (n !== 5) return false; pref = b[p]!; break;
      case RTA_IP_PROTO: if (n !== 5) return false; ipproto = b[p]!; break;
      case RTA_SPORT: if (n !== 6) return false; sport = v.getUint16(p, false); break;
      case RTA_DPORT: if (n !== 6) return false; dport = v.getUint16(p, false); break;
      case RTA_EXPIRES: if (n !== 8 && n !== 12) return false; expires = p; expiresLen = n - 4; break;
      case RTA_CACHEINFO: if (n !== 36) return false; cacheinfo = p; break;
      default: return false;
    }
    for (let i = a + n; i < a + padded; i++) if (b[i] !== 0) return false;
    a += padded;
  }
  const s = scan;
  s.v4 = v4;
  s.dstAddr = dst < 0 ? undefined : ipText(b, dst, v4);
  s.src = src; s.gateway = gateway; s.prefsrc = prefsrc;
  s.oif = oif; s.iif = iif; s.table = table < 0 ? b[o + RTM_TABLE]! : table; s.priority = priority;
  s.pref = pref; s.expires = expires; s.expiresLen = expiresLen; s.uid = uid; s.mark = mark;
  s.ipproto = ipproto; s.sport = sport; s.dport = dport; s.nhid = nhid; s.cacheinfo = cacheinfo;
  return true;
}

/** routeMatches on the message at `o` and what {@link scanRoute} read of it. */
function scanMatches(b: Uint8Array, v: DataView, o: number, f: RouteFilter): boolean {
  const s = scan;
  const family = b[o + RTM_FAMILY]!;
  if (f.family !== undefined && family !== f.family) return false;
  if (v.getUint32(o + RTM_FLAGS, LITTLE_ENDIAN) & RTM_F_CLONED) return false;
  if (f.table !== undefined && s.table !== f.table) return false;
  if (f.protocol !== undefined && b[o + RTM_PROTOCOL] !== f.protocol) return false;
  if (f.type !== undefined && b[o + RTM_TYPE] !== f.type) return false;
  if (f.oif !== undefined && s.oif !== f.oif) return false;
  const d = f.dst;
  if (d !== undefined) {
    if (family !== afOf(d.family) || b[o + RTM_DST_LEN] !== d.len) return false;
    if (d.len > 0 && s.dstAddr !== d.addr) return false;
  }
  return true;
}
