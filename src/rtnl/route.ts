/**
 * Routes: struct rtmsg and the RTA_* attributes (linux/rtnetlink.h), with RTA_METRICS
 * (RTAX_*), RTA_MULTIPATH (struct rtnexthop), RTA_CACHEINFO (struct rta_cacheinfo) and
 * RTA_VIA (struct rtvia).
 *
 * ```text
 * struct rtmsg (12 bytes)
 *  0        1         2         3       4         5          6         7       8
 * +--------+---------+---------+-------+---------+----------+---------+-------+--------------+
 * | family | dst_len | src_len |  tos  |  table  | protocol |  scope  | type  | flags (u32)  |
 * +--------+---------+---------+-------+---------+----------+---------+-------+--------------+
 * ```
 */
import { struct } from '../netlink/struct.js';
import {
  attrs, type AttrCodec, type AttrTable, type DecodeCtx, type EncodeCtx, decodeAttrs,
  encodeAttrs, attrsLength, attrsToJSON, attrsFromJSON,
} from '../netlink/attrs.js';
import { type MessageSpec } from '../netlink/message.js';
import { DecodeError, EncodeError } from '../netlink/errors.js';
import { LITTLE_ENDIAN, checkInt, checkBig } from '../netlink/struct.js';
import { formatIP, parseIP, toHex, fromHex } from '../netlink/ip.js';
import { align4 } from '../netlink/constants.js';

/** Route message types (linux/rtnetlink.h). */
export const RTM_NEWROUTE = 24;
export const RTM_DELROUTE = 25;
export const RTM_GETROUTE = 26;

/** enum rtattr_type_t. */
export const RTA_UNSPEC = 0;
export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_IIF = 3;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_METRICS = 8;
export const RTA_MULTIPATH = 9;
export const RTA_PROTOINFO = 10;
export const RTA_FLOW = 11;
export const RTA_CACHEINFO = 12;
export const RTA_SESSION = 13;
export const RTA_MP_ALGO = 14;
export const RTA_TABLE = 15;
export const RTA_MARK = 16;
export const RTA_MFC_STATS = 17;
export const RTA_VIA = 18;
export const RTA_NEWDST = 19;
export const RTA_PREF = 20;
export const RTA_ENCAP_TYPE = 21;
export const RTA_ENCAP = 22;
export const RTA_EXPIRES = 23;
export const RTA_PAD = 24;
export const RTA_UID = 25;
export const RTA_TTL_PROPAGATE = 26;
export const RTA_IP_PROTO = 27;
export const RTA_SPORT = 28;
export const RTA_DPORT = 29;
export const RTA_NH_ID = 30;
export const RTA_FLOWLABEL = 31;

/** RTAX_* (the attributes inside RTA_METRICS). */
export const RTAX_UNSPEC = 0;
export const RTAX_LOCK = 1;
export const RTAX_MTU = 2;
export const RTAX_WINDOW = 3;
export const RTAX_RTT = 4;
export const RTAX_RTTVAR = 5;
export const RTAX_SSTHRESH = 6;
export const RTAX_CWND = 7;
export const RTAX_ADVMSS = 8;
export const RTAX_REORDERING = 9;
export const RTAX_HOPLIMIT = 10;
export const RTAX_INITCWND = 11;
export const RTAX_FEATURES = 12;
export const RTAX_RTO_MIN = 13;
export const RTAX_INITRWND = 14;
export const RTAX_QUICKACK = 15;
export const RTAX_CC_ALGO = 16;
export const RTAX_FASTOPEN_NO_COOKIE = 17;

/** rtm_type values (RTN_*). */
export const RTN_UNSPEC = 0;
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BROADCAST = 3;
export const RTN_ANYCAST = 4;
export const RTN_MULTICAST = 5;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;
export const RTN_THROW = 9;
export const RTN_NAT = 10;
export const RTN_XRESOLVE = 11;

/** rtm_protocol values (RTPROT_*). */
export const RTPROT_UNSPEC = 0;
export const RTPROT_REDIRECT = 1;
export const RTPROT_KERNEL = 2;
export const RTPROT_BOOT = 3;
export const RTPROT_STATIC = 4;

/** rtm_scope values (enum rt_scope_t). */
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_SITE = 200;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RT_SCOPE_NOWHERE = 255;

/** rtm_table values (enum rt_class_t); the full id of tables above 255 is in RTA_TABLE. */
export const RT_TABLE_UNSPEC = 0;
export const RT_TABLE_COMPAT = 252;
export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;

/** rtm_flags bits (RTM_F_*); the low byte holds RTNH_F_* for single-path routes. */
export const RTM_F_NOTIFY = 0x100;
export const RTM_F_CLONED = 0x200;
export const RTM_F_EQUALIZE = 0x400;
export const RTM_F_PREFIX = 0x800;
export const RTM_F_LOOKUP_TABLE = 0x1000;
export const RTM_F_FIB_MATCH = 0x2000;
export const RTM_F_OFFLOAD = 0x4000;
export const RTM_F_TRAP = 0x8000;
export const RTM_F_OFFLOAD_FAILED = 0x20000000;

/** rtnh_flags bits (RTNH_F_*). */
export const RTNH_F_DEAD = 1;
export const RTNH_F_PERVASIVE = 2;
export const RTNH_F_ONLINK = 4;
export const RTNH_F_OFFLOAD = 8;
export const RTNH_F_LINKDOWN = 16;
export const RTNH_F_UNRESOLVED = 32;
export const RTNH_F_TRAP = 64;

/** rtm_type names as iproute2 prints them. */
export const rtnTypeNames: Readonly<Record<number, string>> = {
  0: 'none', 1: 'unicast', 2: 'local', 3: 'broadcast', 4: 'anycast', 5: 'multicast',
  6: 'blackhole', 7: 'unreachable', 8: 'prohibit', 9: 'throw', 10: 'nat', 11: 'xresolve',
};

/** rtm_protocol names as iproute2 prints them (/usr/share/iproute2/rt_protos). */
export const rtprotNames: Readonly<Record<number, string>> = {
  0: 'unspec', 1: 'redirect', 2: 'kernel', 3: 'boot', 4: 'static', 8: 'gated', 9: 'ra',
  10: 'mrt', 11: 'zebra', 12: 'bird', 13: 'dnrouted', 14: 'xorp', 15: 'ntk', 16: 'dhcp',
  17: 'mrouted', 18: 'keepalived', 42: 'babel', 99: 'openr', 186: 'bgp', 187: 'isis',
  188: 'ospf', 189: 'rip', 192: 'eigrp',
};

/** rtm_scope names as iproute2 prints them. */
export const rtScopeNames: Readonly<Record<number, string>> = {
  0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere',
};

/** Routing table names as iproute2 prints them (/usr/share/iproute2/rt_tables). */
export const rtTableNames: Readonly<Record<number, string>> = {
  0: 'unspec', 252: 'compat', 253: 'default', 254: 'main', 255: 'local',
};

/** Routing table names iproute2 accepts besides {@link rtTableNames} (rtnl_rttable_a2n). */
export const rtTableAliases: Readonly<Record<string, number>> = {
  main: RT_TABLE_MAIN, local: RT_TABLE_LOCAL, default: RT_TABLE_DEFAULT,
};

/** Scope names iproute2 accepts besides {@link rtScopeNames} (rtnl_rtscope_a2n). */
export const rtScopeAliases: Readonly<Record<string, number>> = { universe: 0, global: 0 };

/** RTA_PREF values (ICMPV6_ROUTER_PREF_*) as iproute2 prints and accepts them. */
export const rtPrefNames: Readonly<Record<number, string>> = { 0: 'medium', 1: 'high', 3: 'low' };

/** rtm_flags bit names: RTNH_F_* in the low byte, RTM_F_* above (iproute2's words). */
export const rtmFlagNames: Readonly<Record<number, string>> = {
  0x1: 'dead', 0x2: 'pervasive', 0x4: 'onlink', 0x8: 'offload', 0x10: 'linkdown',
  0x20: 'unresolved', 0x40: 'trap',
  0x100: 'notify', 0x200: 'cloned', 0x400: 'equalize', 0x800: 'prefix',
  0x1000: 'lookup_table', 0x2000: 'fib_match', 0x4000: 'rt_offload', 0x8000: 'rt_trap',
  0x20000000: 'rt_offload_failed',
};

/** rtm_flags bits iproute2 prints, in its order (print_rt_flags). */
export const printedRtFlags: readonly (readonly [number, string])[] = [
  [0x1, 'dead'], [0x4, 'onlink'], [0x2, 'pervasive'], [0x8, 'offload'], [0x40, 'trap'],
  [0x100, 'notify'], [0x10, 'linkdown'], [0x20, 'unresolved'], [0x4000, 'rt_offload'],
  [0x8000, 'rt_trap'], [0x20000000, 'rt_offload_failed'],
];

const printedRtFlagMask = printedRtFlags.reduce((m, [b]) => m | b, 0);

/** The names iproute2 prints for rtm_flags `flags`, in its order (a new array each call). */
export function rtFlagNames(flags: number): string[] {
  if ((flags & printedRtFlagMask) === 0) return [];
  return printedRtFlags.filter(([b]) => flags & b).map(([, n]) => n);
}

/** rtnh_flags bit names. */
export const rtnhFlagNames: Readonly<Record<number, string>> = {
  0x1: 'dead', 0x2: 'pervasive', 0x4: 'onlink', 0x8: 'offload', 0x10: 'linkdown',
  0x20: 'unresolved', 0x40: 'trap',
};

/** struct rtmsg (linux/rtnetlink.h), 12 bytes. */
export const rtmsg = struct('rtmsg', 12, {
  family: [0, 'u8'],
  dstLen: [1, 'u8'],
  srcLen: [2, 'u8'],
  tos: [3, 'u8'],
  table: [4, 'u8', { enum: rtTableNames }],
  protocol: [5, 'u8', { enum: rtprotNames }],
  scope: [6, 'u8', { enum: rtScopeNames }],
  type: [7, 'u8', { enum: rtnTypeNames }],
  flags: [8, 'u32', { bits: rtmFlagNames }],
}, 'rtm_');

/** struct rta_cacheinfo (linux/rtnetlink.h), 32 bytes. */
export const rtaCacheinfo = struct('rta_cacheinfo', 32, {
  clntref: [0, 'u32'],
  lastuse: [4, 'u32'],
  expires: [8, 's32'],
  error: [12, 'u32'],
  used: [16, 'u32'],
  id: [20, 'u32'],
  ts: [24, 'u32'],
  tsage: [28, 'u32'],
}, 'rta_');

/** struct rta_mfc_stats (linux/rtnetlink.h), 24 bytes. */
export const rtaMfcStats = struct('rta_mfc_stats', 24, {
  packets: [0, 'u64'],
  bytes: [8, 'u64'],
  wrongIf: [16, 'u64'],
}, 'mfcs_');

/** The attributes inside RTA_METRICS: every RTAX_* is a u32 but RTAX_CC_ALGO, a string. */
export const metricsAttrs = attrs('RTAX_', {
  lock: { type: RTAX_LOCK, kind: 'u32' },
  mtu: { type: RTAX_MTU, kind: 'u32' },
  window: { type: RTAX_WINDOW, kind: 'u32' },
  rtt: { type: RTAX_RTT, kind: 'u32' },
  rttvar: { type: RTAX_RTTVAR, kind: 'u32' },
  ssthresh: { type: RTAX_SSTHRESH, kind: 'u32' },
  cwnd: { type: RTAX_CWND, kind: 'u32' },
  advmss: { type: RTAX_ADVMSS, kind: 'u32' },
  reordering: { type: RTAX_REORDERING, kind: 'u32' },
  hoplimit: { type: RTAX_HOPLIMIT, kind: 'u32' },
  initcwnd: { type: RTAX_INITCWND, kind: 'u32' },
  features: { type: RTAX_FEATURES, kind: 'u32' },
  rtoMin: { type: RTAX_RTO_MIN, kind: 'u32' },
  initrwnd: { type: RTAX_INITRWND, kind: 'u32' },
  quickack: { type: RTAX_QUICKACK, kind: 'u32' },
  ccAlgo: { type: RTAX_CC_ALGO, kind: 'string' },
  fastopenNoCookie: { type: RTAX_FASTOPEN_NO_COOKIE, kind: 'u32' },
}, 'rtax');

/** The typed view of RTA_METRICS. */
export type Metrics = typeof metricsAttrs extends AttrTable<infer T> ? T : never;

/** RTA_VIA: struct rtvia, an address of another family (an IPv6 gateway for IPv4). */
export interface Via {
  /** rtvia_family (AF_INET, AF_INET6, AF_PACKET...). */
  family: number;
  /** Address text for AF_INET/AF_INET6, hex for other families. */
  addr: string;
}

function viaBytes(v: Via, path: string): Uint8Array {
  const b = v.addr.includes('.') || v.addr.includes(':') ? parseIP(v.addr) : fromHex(v.addr);
  if (!b) throw new EncodeError(`not an address: ${v.addr}`, path);
  return b;
}

/** Codec of struct rtvia: u16 rtvia_family, then the address bytes. */
export const viaCodec: AttrCodec<Via> = {
  decode(ctx: DecodeCtx, off: number, len: number, path: string): Via {
    if (len < 2) throw new DecodeError(`RTA_VIA payload is ${len} bytes, below 2`, off, path);
    const family = ctx.view.getUint16(off, LITTLE_ENDIAN);
    const n = len - 2;
    const addr = (family === 2 && n === 4) || (family === 10 && n === 16)
      ? formatIP(ctx.buf, off + 2, n) : toHex(ctx.buf, off + 2, off + len);
    return { family, addr };
  },
  encodingLength(v, path) { return 2 + viaBytes(v, path).length; },
  encode(v, ctx: EncodeCtx, off, path) {
    const b = viaBytes(v, path);
    ctx.view.setUint16(off, checkInt('u16', v.family, `${path}.rtvia_family`), LITTLE_ENDIAN);
    ctx.buf.set(b, off + 2);
    return 2 + b.length;
  },
  toJSON(v) { return { family: v.family, addr: v.addr }; },
  fromJSON(j, path) {
    const o = j as Via;
    if (typeof o?.family !== 'number' || typeof o.addr !== 'string') {
      throw new DecodeError('expected {family, addr}', 0, path);
    }
    return { family: o.family, addr: o.addr };
  },
};

/**
 * RTA_EXPIRES: a u32 (IPv6 routes, in seconds) or a u64 (multicast routes, in clock
 * ticks); its width depends on the sender, so both are kept as sent: number or bigint.
 */
export const expiresCodec: AttrCodec<number | bigint> = {
  decode(ctx, off, len, path) {
    if (len === 4) return ctx.view.getUint32(off, LITTLE_ENDIAN);
    if (len === 8) return ctx.view.getBigUint64(off, LITTLE_ENDIAN);
    throw new DecodeError(`RTA_EXPIRES payload is ${len} bytes, expected 4 or 8`, off, path);
  },
  encodingLength(v) { return typeof v === 'bigint' ? 8 : 4; },
  encode(v, ctx, off, path) {
    if (typeof v === 'bigint') {
      ctx.view.setBigUint64(off, checkBig(false, v, path), LITTLE_ENDIAN);
      return 8;
    }
    ctx.view.setUint32(off, checkInt('u32', v, path), LITTLE_ENDIAN);
    return 4;
  },
  toJSON(v) { return typeof v === 'bigint' ? { u64: v.toString() } : v; },
  fromJSON(j, path) {
    if (typeof j === 'number' && Number.isInteger(j)) return j;
    const u = (j as { u64?: unknown })?.u64;
    if (typeof u === 'string' && /^[0-9]+$/.test(u)) return BigInt(u);
    throw new DecodeError('expected a u32 number or {u64: "decimal"}', 0, path);
  },
};

/** One next hop of RTA_MULTIPATH: struct rtnexthop and its own attributes. */
export interface Nexthop {
  /** rtnh_flags (RTNH_F_*). */
  flags: number;
  /** rtnh_hops: the weight minus one. */
  hops: number;
  /** rtnh_ifindex. */
  ifindex: number;
  /** RTA_GATEWAY, RTA_VIA, RTA_NEWDST, RTA_ENCAP, RTA_FLOW... of this hop. */
  attrs: RouteAttrs & Record<string, unknown>;
}

const RTNH_HDRLEN = 8;

/**
 * RTA_MULTIPATH: a list of struct rtnexthop (u16 rtnh_len, u8 rtnh_flags, u8 rtnh_hops,
 * s32 rtnh_ifindex), each followed by route attributes, each aligned to 4 (RTNH_ALIGN).
 */
export const multipathCodec: AttrCodec<Nexthop[]> = {
  decode(ctx, off, len, path, depth) {
    const out: Nexthop[] = [];
    const end = off + len;
    let o = off;
    let i = 0;
    while (end - o >= RTNH_HDRLEN) {
      const hopPath = `${path}[${i}]`;
      const rtnhLen = ctx.view.getUint16(o, LITTLE_ENDIAN);
      if (rtnhLen < RTNH_HDRLEN) throw new DecodeError(`rtnh_len ${rtnhLen} is below 8`, o, hopPath);
      if (rtnhLen > end - o) {
        throw new DecodeError(`rtnh_len ${rtnhLen} runs past the end of RTA_MULTIPATH (${end - o} bytes left)`, o, hopPath);
      }
      out.push({
        flags: ctx.buf[o + 2]!,
        hops: ctx.buf[o + 3]!,
        ifindex: ctx.view.getInt32(o + 4, LITTLE_ENDIAN),
        attrs: decodeAttrs(routeAttrs, ctx, o + RTNH_HDRLEN, o + rtnhLen, hopPath, depth + 1) as Nexthop['attrs'],
      });
      const next = o + align4(rtnhLen);
      if (next > end) { ctx.odd = true; o = end; break; }
      for (let k = o + rtnhLen; k < next; k++) if (ctx.buf[k] !== 0) ctx.odd = true;
      o = next;
      i++;
    }
    if (o < end) ctx.odd = true;
    return out;
  },
  encodingLength(hops, path) {
    if (!Array.isArray(hops)) throw new EncodeError('expected an array of next hops', path);
    let n = 0;
    hops.forEach((h, i) => { n += RTNH_HDRLEN + attrsLength(routeAttrs, h.attrs ?? {}, `${path}[${i}]`); });
    return n;
  },
  encode(hops, ctx, off, path) {
    let o = off;
    hops.forEach((h, i) => {
      const p = `${path}[${i}]`;
      const n = RTNH_HDRLEN + encodeAttrs(routeAttrs, h.attrs ?? {}, ctx, o + RTNH_HDRLEN, p);
      ctx.view.setUint16(o, n, LITTLE_ENDIAN);
      ctx.buf[o + 2] = checkInt('u8', h.flags ?? 0, `${p}.rtnh_flags`);
      ctx.buf[o + 3] = checkInt('u8', h.hops ?? 0, `${p}.rtnh_hops`);
      ctx.view.setInt32(o + 4, checkInt('s32', h.ifindex ?? 0, `${p}.rtnh_ifindex`), LITTLE_ENDIAN);
      o += n;
    });
    return o - off;
  },
  toJSON(hops) {
    return hops.map((h) => ({ flags: h.flags, hops: h.hops, ifindex: h.ifindex, attrs: attrsToJSON(routeAttrs, h.attrs) }));
  },
  fromJSON(j, path) {
    if (!Array.isArray(j)) throw new DecodeError('expected an array of next hops', 0, path);
    return j.map((h: Record<string, unknown>, i: number) => {
      const p = `${path}[${i}]`;
      if (typeof h !== 'object' || h === null || Array.isArray(h)) throw new DecodeError('expected a next hop object', 0, p);
      for (const k of ['flags', 'hops', 'ifindex'] as const) {
        if (h?.[k] !== undefined && typeof h[k] !== 'number') throw new DecodeError(`${k} must be a number`, 0, p);
      }
      return {
        flags: (h.flags as number) ?? 0, hops: (h.hops as number) ?? 0, ifindex: (h.ifindex as number) ?? 0,
        attrs: attrsFromJSON(routeAttrs, h.attrs ?? {}, p) as Nexthop['attrs'],
      };
    });
  },
};

/** enum rtattr_type_t: every RTA_* of the current uapi. */
export const routeAttrs = attrs('RTA_', {
  dst: { type: RTA_DST, kind: 'ipaddr' },
  src: { type: RTA_SRC, kind: 'ipaddr' }, // source-prefix routing (`ip route ... from`), not prefsrc
  iif: { type: RTA_IIF, kind: 'u32' },
  oif: { type: RTA_OIF, kind: 'u32' },
  gateway: { type: RTA_GATEWAY, kind: 'ipaddr' },
  priority: { type: RTA_PRIORITY, kind: 'u32' }, // iproute2's "metric"
  prefsrc: { type: RTA_PREFSRC, kind: 'ipaddr' }, // iproute2's "src" keyword
  metrics: { type: RTA_METRICS, kind: 'nested', attrs: metricsAttrs },
  multipath: { type: RTA_MULTIPATH, kind: 'codec', codec: multipathCodec },
  protoinfo: { type: RTA_PROTOINFO, kind: 'bytes' },
  flow: { type: RTA_FLOW, kind: 'u32' },
  cacheinfo: { type: RTA_CACHEINFO, kind: 'struct', struct: rtaCacheinfo },
  session: { type: RTA_SESSION, kind: 'bytes' },
  mpAlgo: { type: RTA_MP_ALGO, kind: 'bytes' },
  table: { type: RTA_TABLE, kind: 'u32', enum: rtTableNames },
  mark: { type: RTA_MARK, kind: 'u32' },
  mfcStats: { type: RTA_MFC_STATS, kind: 'struct', struct: rtaMfcStats },
  via: { type: RTA_VIA, kind: 'codec', codec: viaCodec },
  newdst: { type: RTA_NEWDST, kind: 'bytes' },
  pref: { type: RTA_PREF, kind: 'u8' },
  encapType: { type: RTA_ENCAP_TYPE, kind: 'u16' },
  encap: { type: RTA_ENCAP, kind: 'bytes' },
  expires: { type: RTA_EXPIRES, kind: 'codec', codec: expiresCodec },
  pad: { type: RTA_PAD, kind: 'bytes' },
  uid: { type: RTA_UID, kind: 'u32' },
  ttlPropagate: { type: RTA_TTL_PROPAGATE, kind: 'u8' },
  ipProto: { type: RTA_IP_PROTO, kind: 'u8' },
  sport: { type: RTA_SPORT, kind: 'u16be' },
  dport: { type: RTA_DPORT, kind: 'u16be' },
  nhId: { type: RTA_NH_ID, kind: 'u32' },
  flowlabel: { type: RTA_FLOWLABEL, kind: 'u32be' },
}, 'rtattr_type_t');

/** The typed view of a route's attributes. */
export type RouteAttrs = typeof routeAttrs extends AttrTable<infer T> ? T : never;

/** The typed view of struct rtmsg. */
export type RtMsg = ReturnType<typeof rtmsg.decode>;

/** RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE. */
export const routeMessages: MessageSpec[] = [
  { type: RTM_NEWROUTE, name: 'RTM_NEWROUTE', op: 'new', body: rtmsg, attrs: routeAttrs },
  { type: RTM_DELROUTE, name: 'RTM_DELROUTE', op: 'del', body: rtmsg, attrs: routeAttrs },
  { type: RTM_GETROUTE, name: 'RTM_GETROUTE', op: 'get', body: rtmsg, attrs: routeAttrs },
];
