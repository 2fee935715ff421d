/**
 * `nlwire route`: `ip route show|list|get|add|replace|append|change|del` with iproute2
 * 6.1's syntax and output (ip/iproute.c: iproute_list_flush_or_save, iproute_get,
 * iproute_modify, filter_nlmsg, print_route), requests sent through the client.
 *
 * @module
 */
import type { NlMsg } from '../../netlink/message.js';
import { parseIP } from '../../netlink/ip.js';
import {
  RTM_DELROUTE, RTM_F_CLONED, RTN_UNICAST, RTN_LOCAL, RTN_MULTICAST, RTPROT_BOOT,
  RT_SCOPE_UNIVERSE, RT_TABLE_MAIN, RT_TABLE_LOCAL, RTAX_HOPLIMIT, RTAX_FEATURES, RTAX_RTT,
  RTAX_RTTVAR, RTAX_RTO_MIN, RTAX_CC_ALGO, type RouteAttrs, type Nexthop, type Metrics,
} from '../../rtnl/route.js';
import type { RouteOptions, RouteGetOptions, NexthopOptions, RouteOp, IpFamily } from '../../rtnl/request.js';
import {
  AF_INET, AF_INET6, Args, IpUsageError, matches, invarg, duparg2, unsupported, getPrefix,
  getAddr, prefixText, addrMatch, getTimeRtt, type Prefix,
} from './args.js';
import {
  PRINT_ANY, PRINT_FP, PRINT_JSON, type Printer,
} from './print.js';
import {
  tableName, tableId, protoName, protoId, scopeName, scopeId, dsfieldName, dsfieldId,
  rtntypeName, rtntypeId, familyName, readFamily, inetProtoId, parseUnsigned,
} from './names.js';
import { ipCommand, dumping, type IpContext, type LinkCache } from './common.js';

/** The fixed header of a route message, as decoded. */
interface RtBody {
  family: number; dstLen: number; srcLen: number; tos: number; table: number;
  protocol: number; scope: number; type: number; flags: number;
}

type RtAttrs = RouteAttrs & Record<string, unknown>;

/** An inet_prefix of a filter: absent (family 0, not given) or a prefix. */
interface FilterPrefix {
  family: number;
  bitlen: number;
  bytes?: Uint8Array;
  /** PREFIXLEN_SPECIFIED. */
  specified: boolean;
}

const NO_PREFIX: FilterPrefix = { family: 0, bitlen: 0, specified: false };

/** iproute2's route `filter` struct (what a listing selects and what it leaves unprinted). */
export interface RouteFilter {
  tb: number;
  /** 0: no cache entries; 1: only them; 2: everything (route get). */
  cloned: number;
  protocol: number; protocolmask: number;
  scope: number; scopemask: number;
  typemask: number;
  tos: number; tosmask: number;
  iif: number; iifmask: number;
  oif: number; oifmask: number;
  mark: number; markmask: number;
  metric: number; metricmask: number;
  rprefsrc: FilterPrefix;
  rvia: FilterPrefix;
  rdst: FilterPrefix;
  mdst: FilterPrefix;
  rsrc: FilterPrefix;
  msrc: FilterPrefix;
  /** filter_nlmsg's static ip6_multiple_tables. */
  ip6MultipleTables: boolean;
  /** preferred_family. */
  family: number;
}

/** iproute_reset_filter(0). */
export function resetRouteFilter(family = 0): RouteFilter {
  return {
    tb: 0, cloned: 0, protocol: 0, protocolmask: 0, scope: 0, scopemask: 0, typemask: 0,
    tos: 0, tosmask: 0, iif: 0, iifmask: 0, oif: 0, oifmask: 0, mark: 0, markmask: 0,
    metric: 0, metricmask: 0, rprefsrc: NO_PREFIX, rvia: NO_PREFIX, rdst: NO_PREFIX,
    mdst: { ...NO_PREFIX, bitlen: -1 }, rsrc: NO_PREFIX, msrc: { ...NO_PREFIX, bitlen: -1 },
    ip6MultipleTables: false, family,
  };
}

function hostLen(family: number): number {
  return family === AF_INET ? 32 : family === AF_INET6 ? 128 : 0;
}

function bytesOf(addr: unknown): Uint8Array | undefined {
  return typeof addr === 'string' ? parseIP(addr) : undefined;
}

function toFilterPrefix(p: Prefix): FilterPrefix {
  return { family: p.family, bitlen: p.bitlen, specified: p.lenGiven || !!p.isDefault, ...(p.bytes ? { bytes: p.bytes } : {}) };
}

/** rtm_get_table: RTA_TABLE, else rtm_table. */
function routeTable(b: RtBody, a: RtAttrs): number {
  return a.table ?? b.table;
}

/** filter_nlmsg: whether `ip route show` with this filter prints the message. */
export function routeFilterMatches(m: NlMsg, f: RouteFilter): boolean {
  const r = m.body as unknown as RtBody;
  const a = (m.attrs ?? {}) as RtAttrs;
  const table = routeTable(r, a);
  if (f.family !== 0 && r.family !== f.family) return false;
  if (r.family === AF_INET6 && table !== RT_TABLE_MAIN) f.ip6MultipleTables = true;
  if (f.cloned === (r.flags & RTM_F_CLONED ? 0 : 1)) return false;
  if (r.family === AF_INET6 && !f.ip6MultipleTables) {
    if (f.tb) {
      if (f.tb === RT_TABLE_LOCAL) {
        if (r.type !== RTN_LOCAL) return false;
      } else if (f.tb === RT_TABLE_MAIN) {
        if (r.type === RTN_LOCAL) return false;
      } else return false;
    }
  } else if (f.tb > 0 && f.tb !== table) return false;
  if ((f.protocol ^ r.protocol) & f.protocolmask) return false;
  if ((f.scope ^ r.scope) & f.scopemask) return false;
  if (f.typemask && !(f.typemask & (1 << r.type))) return false;
  if ((f.tos ^ r.tos) & f.tosmask) return false;
  if (f.rdst.family && (r.family !== f.rdst.family || f.rdst.bitlen > r.dstLen)) return false;
  if (f.mdst.family && (r.family !== f.mdst.family || (f.mdst.bitlen >= 0 && f.mdst.bitlen < r.dstLen))) return false;
  if (f.rsrc.family && (r.family !== f.rsrc.family || f.rsrc.bitlen > r.srcLen)) return false;
  if (f.msrc.family && (r.family !== f.msrc.family || (f.msrc.bitlen >= 0 && f.msrc.bitlen < r.srcLen))) return false;
  if (f.rvia.family) {
    const fam = a.via ? a.via.family : r.family;
    if (fam !== f.rvia.family) return false;
  }
  if (f.rprefsrc.family && r.family !== f.rprefsrc.family) return false;
  const dst = bytesOf(a.dst);
  if ((f.rdst.family || f.rdst.specified) && !addrMatch(dst, f.rdst.bytes, f.rdst.bitlen)) return false;
  if ((f.mdst.family || f.mdst.specified) && !addrMatch(dst, f.mdst.bytes, r.dstLen)) return false;
  const src = bytesOf(a.src);
  if ((f.rsrc.family || f.rsrc.specified) && !addrMatch(src, f.rsrc.bytes, f.rsrc.bitlen)) return false;
  if ((f.msrc.family || f.msrc.specified) && f.msrc.bitlen >= 0 && !addrMatch(src, f.msrc.bytes, r.srcLen)) return false;
  if (f.rvia.family) {
    const via = a.via ? bytesOf(a.via.addr) : bytesOf(a.gateway);
    if (!addrMatch(via, f.rvia.bytes, f.rvia.bitlen)) return false;
  }
  if (f.rprefsrc.family && !addrMatch(bytesOf(a.prefsrc), f.rprefsrc.bytes, f.rprefsrc.bitlen)) return false;
  if (f.iifmask && ((a.iif ?? 0) ^ f.iif) & f.iifmask) return false;
  if (f.oifmask && ((a.oif ?? 0) ^ f.oif) & f.oifmask) return false;
  if (f.markmask && ((a.mark ?? 0) ^ f.mark) & f.markmask) return false;
  if (f.metricmask && ((a.priority ?? 0) ^ f.metric) & f.metricmask) return false;
  return true;
}

/** mx_names: RTAX_* as ip names them, by number, with the decoded attribute's key. */
const metricNames: readonly (readonly [string, keyof Metrics])[] = [
  ['', 'lock'], ['', 'lock'], ['mtu', 'mtu'], ['window', 'window'], ['rtt', 'rtt'],
  ['rttvar', 'rttvar'], ['ssthresh', 'ssthresh'], ['cwnd', 'cwnd'], ['advmss', 'advmss'],
  ['reordering', 'reordering'], ['hoplimit', 'hoplimit'], ['initcwnd', 'initcwnd'],
  ['features', 'features'], ['rto_min', 'rtoMin'], ['initrwnd', 'initrwnd'],
  ['quickack', 'quickack'], ['congctl', 'ccAlgo'], ['fastopen_no_cookie', 'fastopenNoCookie'],
];

/** print_rt_flags. */
export function printRtFlags(p: Printer, flags: number): void {
  p.openArray(PRINT_JSON, p.isJson() ? 'flags' : '');
  const names: readonly (readonly [number, string])[] = [
    [0x1, 'dead'], [0x4, 'onlink'], [0x2, 'pervasive'], [0x8, 'offload'], [0x40, 'trap'],
    [0x100, 'notify'], [0x10, 'linkdown'], [0x20, 'unresolved'], [0x4000, 'rt_offload'],
    [0x8000, 'rt_trap'], [0x20000000, 'rt_offload_failed'],
  ];
  for (const [bit, name] of names) if (flags & bit) p.string(PRINT_ANY, null, '%s ', name);
  p.closeArray(PRINT_JSON, null);
}

function printRtaIf(p: Printer, index: number, prefix: string, links: LinkCache): void {
  const name = links.name(index);
  if (p.isJson()) p.string(PRINT_JSON, prefix, null, name);
  else p.fp('%s %s ', prefix, name);
}

function printCacheFlags(p: Printer, rtmFlags: number): void {
  let flags = (rtmFlags & ~0xffff) >>> 0;
  const json = p.isJson();
  if (json) p.openArray(PRINT_JSON, 'cache');
  else {
    p.fp('%s    cache ', p.sl);
    if (flags === 0) return;
    p.fp('<');
  }
  const names: readonly (readonly [number, string])[] = [
    [0x80000000, 'local'], [0x40000000, 'reject'], [0x20000000, 'mc'], [0x10000000, 'brd'],
    [0x08000000, 'dst-nat'], [0x00800000, 'src-nat'], [0x00400000, 'masq'],
    [0x00020000, 'dst-direct'], [0x04000000, 'src-direct'], [0x00040000, 'redirected'],
    [0x01000000, 'redirect'], [0x00200000, 'fastroute'], [0x00010000, 'notify'],
    [0x00080000, 'proxy'],
  ];
  for (const [bit, name] of names) {
    if (!(flags & bit)) continue;
    flags = (flags & ~bit) >>> 0;
    if (json) p.string(PRINT_JSON, null, null, name);
    else p.fp('%s%s', name, flags ? ',' : '> ');
  }
  if (flags) p.hex(PRINT_ANY, 'flags', '%x>', flags);
  if (json) p.closeArray(PRINT_JSON, null);
}

/** get_user_hz(): USER_HZ, 100 on Linux. */
const USER_HZ = 100;

function printCacheinfo(p: Printer, ci: Record<string, number>): void {
  if (ci.expires) p.int(PRINT_ANY, 'expires', 'expires %dsec ', Math.trunc(ci.expires / USER_HZ));
  if (ci.error) p.uint(PRINT_ANY, 'error', 'error %u ', ci.error);
  if (ci.id) p.hex0x(PRINT_ANY, 'ipid', 'ipid 0x%04llx ', ci.id);
  if (ci.ts || ci.tsage) {
    p.hex0x(PRINT_ANY, 'ts', 'ts 0x%llx', ci.ts ?? 0);
    p.uint(PRINT_ANY, 'tsage', 'tsage %usec ', ci.tsage ?? 0);
  }
}

function printVia(p: Printer, via: { family: number; addr: string }): void {
  if (p.isJson()) {
    p.openObject('via');
    p.string(PRINT_JSON, 'family', null, familyName(via.family));
    p.string(PRINT_JSON, 'host', null, via.addr);
    p.closeObject();
  } else {
    p.string(PRINT_FP, null, 'via %s ', familyName(via.family));
    p.string(PRINT_FP, null, '%s ', via.addr);
  }
}

function printGateway(p: Printer, gw: string): void {
  if (p.isJson()) p.string(PRINT_JSON, 'gateway', null, gw);
  else {
    p.fp('via ');
    p.string(PRINT_FP, null, '%s ', gw);
  }
}

function printRtaFlow(p: Printer, flow: number): void {
  const from = flow >>> 16;
  const to = flow & 0xffff;
  const realm = (n: number): string => (n === 0 ? 'cosmos' : String(n));
  if (p.isJson()) {
    p.openObject('flow');
    if (from) p.string(PRINT_JSON, 'from', null, realm(from));
    p.string(PRINT_JSON, 'to', null, realm(to));
    p.closeObject();
  } else {
    p.fp('realm%s ', from ? 's' : '');
    if (from) p.string(PRINT_FP, null, '%s/', realm(from));
    p.string(PRINT_FP, null, '%s ', realm(to));
  }
}

function printMetrics(p: Printer, mx: Metrics): void {
  p.openArray(PRINT_JSON, 'metrics');
  p.openObject(null);
  const lock = mx.lock ?? 0;
  const json = p.isJson();
  for (let i = 2; i < metricNames.length; i++) {
    const [name, key] = metricNames[i]!;
    const v = (mx as Record<string, unknown>)[key];
    if (v === undefined && !(lock & (1 << i))) continue;
    let val = i !== RTAX_CC_ALGO && typeof v === 'number' ? v >>> 0 : 0;
    if (i === RTAX_HOPLIMIT && val === 0xffffffff) continue;
    if (!json) {
      p.fp('%s ', name);
      if (lock & (1 << i)) p.fp('lock ');
    }
    if (i === RTAX_FEATURES) {
      const of = val;
      if (val & 1) {
        p.null(PRINT_ANY, 'ecn', 'ecn ', null);
        val &= ~1;
      }
      if (val) p.hex0x(PRINT_ANY, 'features', '%#llx ', of);
    } else if (i === RTAX_RTT || i === RTAX_RTTVAR || i === RTAX_RTO_MIN) {
      if (i === RTAX_RTT) val = Math.trunc(val / 8);
      else if (i === RTAX_RTTVAR) val = Math.trunc(val / 4);
      if (json) p.uint(PRINT_JSON, name, null, val);
      else if (val >= 1000) p.fp('%ss ', String(val / 1e3));
      else p.fp('%ums ', val);
    } else if (i === RTAX_CC_ALGO) {
      p.string(PRINT_ANY, 'congestion', '%s ', typeof v === 'string' ? v : '');
    } else p.uint(PRINT_ANY, name, '%u ', val);
  }
  p.closeObject();
  p.closeArray(PRINT_JSON, null);
}

function printMultipath(p: Printer, r: RtBody, hops: readonly Nexthop[], links: LinkCache): void {
  p.openArray(PRINT_JSON, 'nexthops');
  let first = true;
  const mcast = (r.flags & RTM_F_CLONED) !== 0 && r.type === RTN_MULTICAST;
  for (const nh of hops) {
    p.openObject(null);
    if (mcast) {
      p.string(PRINT_FP, null, first ? 'Oifs: ' : ' ', null);
      first = false;
    } else p.string(PRINT_FP, null, '%s\tnexthop ', p.sl);
    const a = nh.attrs as RtAttrs;
    if (a.gateway !== undefined) printGateway(p, a.gateway);
    if (a.via !== undefined) printVia(p, a.via);
    if (a.flow !== undefined) printRtaFlow(p, a.flow);
    if (mcast) {
      p.string(PRINT_ANY, 'dev', '%s', links.name(nh.ifindex));
      if (nh.hops !== 1) p.int(PRINT_ANY, 'ttl', '(ttl>%d)', nh.hops);
      p.string(PRINT_FP, null, ' ', null);
    } else {
      p.string(PRINT_ANY, 'dev', 'dev %s ', links.name(nh.ifindex));
      p.int(PRINT_ANY, 'weight', 'weight %d ', nh.hops + 1);
    }
    printRtFlags(p, nh.flags);
    p.closeObject();
  }
  p.closeArray(PRINT_JSON, null);
}

/**
 * print_route: one route as `ip route` prints it (a line, `\n` included) or, in JSON
 * mode, as one object of `ip -j route`. Returns false when the filter leaves it out.
 */
export function printRoute(p: Printer, m: NlMsg, f: RouteFilter, links: LinkCache): boolean {
  const r = m.body as unknown as RtBody | undefined;
  if (!r) return false;
  const a = (m.attrs ?? {}) as RtAttrs;
  const host = hostLen(r.family);
  const table = routeTable(r, a);
  if (!routeFilterMatches(m, f)) return false;

  p.openObject(null);
  if (m.type === RTM_DELROUTE) p.bool(PRINT_ANY, 'deleted', 'Deleted ', true);
  if (r.type !== RTN_UNICAST && (!f.typemask || f.typemask & (1 << r.type))) {
    p.string(PRINT_ANY, 'type', '%s ', rtntypeName(r.type));
  }
  let b1: string;
  if (a.dst !== undefined) b1 = r.dstLen !== host ? `${a.dst}/${r.dstLen}` : a.dst;
  else if (r.dstLen) b1 = `0/${r.dstLen} `;
  else b1 = 'default';
  p.string(PRINT_ANY, 'dst', '%s ', b1);
  if (a.src !== undefined) {
    p.string(PRINT_ANY, 'from', 'from %s ', r.srcLen !== host ? `${a.src}/${r.srcLen}` : a.src);
  } else if (r.srcLen) p.string(PRINT_ANY, 'src', 'from %s ', `0/${r.srcLen}`);
  if (a.nhId !== undefined) p.uint(PRINT_ANY, 'nhid', 'nhid %u ', a.nhId);
  if (r.tos && f.tosmask !== -1) p.string(PRINT_ANY, 'tos', 'tos %s ', dsfieldName(r.tos));
  if (a.gateway !== undefined && f.rvia.bitlen !== host) printGateway(p, a.gateway);
  if (a.via !== undefined) printVia(p, a.via);
  if (a.oif !== undefined && f.oifmask !== -1) printRtaIf(p, a.oif, 'dev', links);
  if (table && (table !== RT_TABLE_MAIN) && !f.tb) p.string(PRINT_ANY, 'table', 'table %s ', tableName(table));
  if (!(r.flags & RTM_F_CLONED)) {
    if (r.protocol !== RTPROT_BOOT && f.protocolmask !== -1) p.string(PRINT_ANY, 'protocol', 'proto %s ', protoName(r.protocol));
    if (r.scope !== RT_SCOPE_UNIVERSE && f.scopemask !== -1) p.string(PRINT_ANY, 'scope', 'scope %s ', scopeName(r.scope));
  }
  if (a.prefsrc !== undefined && f.rprefsrc.bitlen !== host) {
    if (p.isJson()) p.string(PRINT_JSON, 'prefsrc', null, a.prefsrc);
    else {
      p.fp('src ');
      p.string(PRINT_FP, null, '%s ', a.prefsrc);
    }
  }
  if (a.priority !== undefined && f.metricmask !== -1) p.uint(PRINT_ANY, 'metric', 'metric %u ', a.priority);
  printRtFlags(p, r.flags);
  if (a.mark !== undefined && a.mark) {
    if (p.isJson()) p.uint(PRINT_JSON, 'mark', null, a.mark);
    else if (a.mark >= 16) p.hex0x(PRINT_FP, null, 'mark 0x%llx ', a.mark);
    else p.uint(PRINT_FP, null, 'mark %u ', a.mark);
  }
  if (a.flow !== undefined) printRtaFlow(p, a.flow);
  if (a.uid !== undefined) p.uint(PRINT_ANY, 'uid', 'uid %u ', a.uid);
  if (r.family === AF_INET) {
    if (r.flags & RTM_F_CLONED) printCacheFlags(p, r.flags);
    if (a.cacheinfo !== undefined) printCacheinfo(p, a.cacheinfo as Record<string, number>);
  } else if (r.family === AF_INET6) {
    if (a.cacheinfo !== undefined) printCacheinfo(p, a.cacheinfo as Record<string, number>);
  }
  if (a.metrics !== undefined) printMetrics(p, a.metrics);
  if (a.iif !== undefined && f.iifmask !== -1) printRtaIf(p, a.iif, 'iif', links);
  if (a.pref !== undefined) {
    const name = ({ 3: 'low', 0: 'medium', 1: 'high' } as Record<number, string>)[a.pref];
    if (name !== undefined) p.string(PRINT_ANY, 'pref', 'pref %s', name);
    else p.uint(PRINT_ANY, 'pref', '%u', a.pref);
  }
  if (a.ttlPropagate !== undefined) {
    if (p.isJson()) p.bool(PRINT_JSON, 'ttl-propogate', null, !!a.ttlPropagate);
    else p.string(PRINT_FP, null, 'ttl-propogate %s', a.ttlPropagate ? 'enabled' : 'disabled');
  }
  if (a.multipath !== undefined) printMultipath(p, r, a.multipath, links);
  p.string(PRINT_FP, null, '\n', null);
  p.closeObject();
  return true;
}

/** The interface indexes a route message names. */
export function routeIndexes(m: NlMsg): number[] {
  const a = (m.attrs ?? {}) as RtAttrs;
  const out: number[] = [];
  if (a.oif !== undefined) out.push(a.oif);
  if (a.iif !== undefined) out.push(a.iif);
  for (const h of a.multipath ?? []) out.push(h.ifindex);
  return out;
}

function ipFamilyOf(af: number): IpFamily | undefined {
  return af === AF_INET ? 4 : af === AF_INET6 ? 6 : undefined;
}

/** iproute_list_flush_or_save (list): `ip route show SELECTOR`. */
async function routeList(ctx: IpContext, args: Args): Promise<number> {
  const f = resetRouteFilter(ctx.af);
  f.tb = RT_TABLE_MAIN;
  let dumpFamily = ctx.af;
  let od: string | undefined;
  let id: string | undefined;
  let mark = 0;
  const prefix = (text: string): FilterPrefix => toFilterPrefix(getPrefix(text, dumpFamily));
  while (args.left > 0) {
    const w = args.cur();
    if (matches(w, 'table')) {
      const v = args.next();
      const t = tableId(v);
      if (t === undefined) {
        if (v === 'all') f.tb = 0;
        else if (v === 'cache') unsupported('route show table cache');
        else invarg('table id value is invalid\n', v);
      } else f.tb = t;
    } else if (matches(w, 'vrf')) unsupported('route show vrf');
    else if (matches(w, 'cached') || matches(w, 'cloned')) unsupported(`route show ${w}`);
    else if (w === 'tos' || matches(w, 'dsfield')) {
      const v = args.next();
      const t = dsfieldId(v);
      if (t === undefined) invarg('TOS value is invalid\n', v);
      f.tos = t;
      f.tosmask = -1;
    } else if (matches(w, 'protocol')) {
      const v = args.next();
      f.protocolmask = -1;
      let prot = protoId(v);
      if (prot === undefined) {
        if (v !== 'all') invarg('invalid "protocol"\n', v);
        prot = 0;
        f.protocolmask = 0;
      }
      f.protocol = prot;
    } else if (matches(w, 'scope')) {
      const v = args.next();
      f.scopemask = -1;
      let scope = scopeId(v);
      if (scope === undefined) {
        if (v !== 'all') invarg('invalid "scope"\n', v);
        scope = 255;
        f.scopemask = 0;
      }
      f.scope = scope;
    } else if (matches(w, 'type')) {
      const v = args.next();
      const t = rtntypeId(v);
      if (t === undefined) invarg('node type value is invalid\n', v);
      f.typemask = 1 << t;
    } else if (w === 'dev' || w === 'oif') od = args.next();
    else if (w === 'iif') id = args.next();
    else if (w === 'mark') {
      const v = args.next();
      const n = parseUnsigned(v, 0);
      if (n === undefined) invarg('invalid mark value', v);
      mark = n;
      f.markmask = -1;
    } else if (matches(w, 'metric') || matches(w, 'priority') || w === 'preference') {
      const v = args.next();
      const n = parseUnsigned(v, 0);
      if (n === undefined) invarg('"metric" value is invalid\n', v);
      f.metric = n;
      f.metricmask = -1;
    } else if (w === 'via') {
      let v = args.next();
      let fam = readFamily(v);
      if (fam === 0) fam = dumpFamily;
      else v = args.next();
      f.rvia = toFilterPrefix(getPrefix(v, fam));
    } else if (w === 'src') f.rprefsrc = prefix(args.next());
    else if (matches(w, 'realms')) unsupported('route show realms');
    else if (matches(w, 'from')) {
      const v = args.next();
      if (matches(v, 'root')) f.rsrc = prefix(args.next());
      else if (matches(v, 'match')) f.msrc = prefix(args.next());
      else {
        f.msrc = prefix(matches(v, 'exact') ? args.next() : v);
        f.rsrc = f.msrc;
      }
    } else {
      let v = w;
      if (matches(v, 'to')) v = args.next();
      if (matches(v, 'root')) f.rdst = prefix(args.next());
      else if (matches(v, 'match')) f.mdst = prefix(args.next());
      else {
        f.mdst = prefix(matches(v, 'exact') ? args.next() : v);
        f.rdst = f.mdst;
      }
    }
    args.skip();
  }
  if (dumpFamily === 0 && f.tb) dumpFamily = AF_INET;
  if (id !== undefined) {
    f.iif = await ctx.links.require(id);
    f.iifmask = -1;
  }
  let oif: number | undefined;
  if (od !== undefined) {
    oif = f.oif = await ctx.links.require(od);
    f.oifmask = -1;
  }
  f.mark = mark;

  const nl = await ctx.nl();
  await ctx.links.loadAll();
  const family = ipFamilyOf(dumpFamily);
  const msgs: NlMsg[] = [];
  await dumping(async () => {
    for await (const r of nl.route.list({
      ...(family !== undefined ? { family } : {}),
      table: f.tb ? f.tb : 'all',
      ...(f.protocol ? { protocol: f.protocol } : {}),
      ...(oif !== undefined ? { dev: oif } : {}),
    })) msgs.push(r.raw);
  });
  await ctx.links.ensure(msgs.flatMap(routeIndexes));
  const p = ctx.printer();
  p.newJsonObj();
  for (const m of msgs) printRoute(p, m, f, ctx.links);
  p.deleteJsonObj();
  ctx.io.stdout(p.take());
  return 0;
}

/** iproute_get: `ip route get ADDRESS [from ADDRESS iif DEV] [oif DEV] ...`. */
async function routeGet(ctx: IpContext, args: Args): Promise<number> {
  let family = ctx.af;
  const o: Partial<RouteGetOptions> = {};
  let idev: string | undefined;
  let odev: string | undefined;
  let mark = 0;
  let found = false;
  while (args.left > 0) {
    const w = args.cur();
    if (w === 'tos' || matches(w, 'dsfield')) {
      const v = args.next();
      const t = dsfieldId(v);
      if (t === undefined) invarg('TOS value is invalid\n', v);
      o.tos = t;
    } else if (matches(w, 'from')) {
      const v = args.next();
      if (matches(v, 'help')) throw new IpUsageError(ROUTE_HELP.trimEnd());
      const pr = getPrefix(v, family);
      if (family === 0) family = pr.family;
      o.from = prefixText(pr);
    } else if (matches(w, 'iif')) idev = args.next();
    else if (matches(w, 'mark')) {
      const v = args.next();
      const n = parseUnsigned(v, 0);
      if (n === undefined) invarg('invalid mark value', v);
      mark = n;
    } else if (matches(w, 'oif') || w === 'dev') odev = args.next();
    else if (matches(w, 'notify')) unsupported('route get notify');
    else if (matches(w, 'connected')) unsupported('route get connected');
    else if (matches(w, 'vrf')) unsupported('route get vrf');
    else if (matches(w, 'uid')) {
      const v = args.next();
      const n = parseUnsigned(v, 0);
      if (n === undefined) invarg('invalid UID\n', v);
      o.uid = n;
    } else if (matches(w, 'fibmatch')) o.fibmatch = true;
    else if (w === 'as') unsupported('route get as');
    else if (matches(w, 'sport')) {
      const v = args.next();
      const n = parseUnsigned(v, 0, 0xffff);
      if (n === undefined) invarg('invalid sport\n', v);
      o.sport = n;
    } else if (matches(w, 'dport')) {
      const v = args.next();
      const n = parseUnsigned(v, 0, 0xffff);
      if (n === undefined) invarg('invalid dport\n', v);
      o.dport = n;
    } else if (matches(w, 'ipproto')) {
      const v = args.next();
      const n = inetProtoId(v);
      if (n === undefined) invarg('Invalid "ipproto" value\n', v);
      o.ipproto = n;
    } else {
      let v = w;
      if (v === 'to') v = args.next();
      if (matches(v, 'help')) throw new IpUsageError(ROUTE_HELP.trimEnd());
      const pr = getPrefix(v, family);
      if (family === 0) family = pr.family;
      const full = hostLen(pr.family);
      if (pr.addr === undefined) {
        throw new IpUsageError(`nlwire: route get needs an address, not "${v}"`);
      }
      if (pr.bitlen !== full) {
        ctx.io.stderr(`Warning: /${pr.bitlen} as prefix is invalid, only /${full} (or none) is supported.\n`);
      }
      o.dst = pr.addr;
      found = true;
    }
    args.skip();
  }
  if (!found) throw new IpUsageError('need at least a destination address');
  if (idev !== undefined) o.iif = await ctx.links.require(idev);
  if (odev !== undefined) o.oif = await ctx.links.require(odev);
  // iproute2 sends RTA_MARK only for a non-zero mark.
  if (mark) o.mark = mark;
  const nl = await ctx.nl();
  const route = await nl.route.get(o as RouteGetOptions);
  await ctx.links.ensure(routeIndexes(route.raw));
  const f = resetRouteFilter(0);
  f.cloned = 2;
  const p = ctx.printer();
  p.newJsonObj();
  printRoute(p, route.raw, f, ctx.links);
  p.deleteJsonObj();
  ctx.io.stdout(p.take());
  return 0;
}

const metricKeys: Record<string, { key: keyof Metrics; bit: number; kind: 'u32' | 'rtt' | 'rttvar' | 'rto' | 'hoplimit' | 'cc' }> = {
  mtu: { key: 'mtu', bit: 2, kind: 'u32' },
  hoplimit: { key: 'hoplimit', bit: 10, kind: 'hoplimit' },
  advmss: { key: 'advmss', bit: 8, kind: 'u32' },
  reordering: { key: 'reordering', bit: 9, kind: 'u32' },
  rtt: { key: 'rtt', bit: 4, kind: 'rtt' },
  window: { key: 'window', bit: 3, kind: 'u32' },
  cwnd: { key: 'cwnd', bit: 7, kind: 'u32' },
  initcwnd: { key: 'initcwnd', bit: 11, kind: 'u32' },
  initrwnd: { key: 'initrwnd', bit: 14, kind: 'u32' },
  rttvar: { key: 'rttvar', bit: 5, kind: 'rttvar' },
  ssthresh: { key: 'ssthresh', bit: 6, kind: 'u32' },
  congctl: { key: 'ccAlgo', bit: 16, kind: 'cc' },
};

/** The metric keyword an argument abbreviates, with iproute2's strcmp/matches rules. */
function metricKeyword(w: string): string | undefined {
  for (const k of ['mtu', 'hoplimit', 'advmss', 'rtt']) if (w === k) return k;
  for (const k of ['reordering']) if (matches(w, k)) return k;
  if (w === 'rto_min') return 'rto_min';
  for (const k of ['window', 'cwnd', 'initcwnd', 'initrwnd', 'features', 'quickack', 'congctl', 'rttvar', 'ssthresh']) {
    if (matches(w, k)) return k;
  }
  return undefined;
}

/** parse_nexthops: `nexthop via ADDR dev DEV weight N onlink` ... */
async function parseNexthops(ctx: IpContext, args: Args, family: number): Promise<NexthopOptions[]> {
  const hops: NexthopOptions[] = [];
  while (args.left > 0) {
    if (args.cur() !== 'nexthop') {
      throw new IpUsageError(`Error: "nexthop" or end of line is expected instead of "${args.cur()}"`);
    }
    if (args.left <= 1) throw new IpUsageError('Error: unexpected end of line after "nexthop"');
    const h: NexthopOptions = {};
    args.skip();
    while (args.left > 0) {
      const w = args.cur();
      if (w === 'via') {
        let v = args.next();
        let fam = readFamily(v);
        if (fam === 0) fam = family;
        else v = args.next();
        h.gateway = getAddr(v, fam).addr;
      } else if (w === 'dev') {
        const v = args.next();
        const i = await ctx.links.index(v);
        if (!i) {
          ctx.io.stderr(`Cannot find device "${v}"\n`);
          throw new IpUsageError('Error: cannot parse nexthop');
        }
        h.dev = i;
      } else if (w === 'weight') {
        const v = args.next();
        const n = parseUnsigned(v, 0);
        if (n === undefined || n === 0 || n > 256) invarg('"weight" is invalid\n', v);
        h.weight = n;
      } else if (w === 'onlink') h.onlink = true;
      else if (matches(w, 'realms') || w === 'encap' || w === 'as') unsupported(`nexthop ${w}`);
      else break;
      args.skip();
    }
    hops.push(h);
  }
  return hops;
}

/** iproute_modify: `ip route add|replace|append|change|del ROUTE`. */
async function routeModify(ctx: IpContext, op: RouteOp, args: Args): Promise<number> {
  let family = ctx.af;
  const o: Partial<RouteOptions> & { metrics?: Metrics } = {};
  const mx: Record<string, unknown> = {};
  let lock = 0;
  let dev: string | undefined;
  let dstOk = false;
  let gwOk = false;
  let multipath: NexthopOptions[] | undefined;
  let tableGiven: number | undefined;
  while (args.left > 0) {
    const w = args.cur();
    if (w === 'src') {
      const a = getAddr(args.next(), family);
      if (family === 0) family = a.family;
      o.prefsrc = a.addr;
    } else if (w === 'as') unsupported('route as');
    else if (w === 'via') {
      if (gwOk) invarg('use nexthop syntax to specify multiple via\n', w);
      gwOk = true;
      let v = args.next();
      let fam = readFamily(v);
      if (fam === 0) fam = family;
      else v = args.next();
      const a = getAddr(v, fam);
      if (family === 0) family = a.family;
      o.gateway = a.addr;
    } else if (w === 'from') {
      const pr = getPrefix(args.next(), family);
      if (family === 0) family = pr.family;
      o.src = prefixText(pr);
    } else if (w === 'tos' || matches(w, 'dsfield')) {
      const v = args.next();
      const t = dsfieldId(v);
      if (t === undefined) invarg('"tos" value is invalid\n', v);
      o.tos = t;
    } else if (w === 'expires') unsupported('route expires');
    else if (matches(w, 'metric') || matches(w, 'priority') || w === 'preference') {
      const v = args.next();
      const n = parseUnsigned(v, 0);
      if (n === undefined) invarg('"metric" value is invalid\n', v);
      o.metric = n;
    } else if (w === 'scope') {
      const v = args.next();
      const s = scopeId(v);
      if (s === undefined) invarg('invalid "scope" value\n', v);
      o.scope = s;
    } else if (metricKeys[metricKeyword(w) ?? ''] !== undefined) {
      const name = metricKeyword(w)!;
      const spec = metricKeys[name]!;
      let v = args.next();
      if (v === 'lock') {
        lock |= 1 << spec.bit;
        v = args.next();
      }
      if (spec.kind === 'cc') mx[spec.key] = v;
      else if (spec.kind === 'rtt' || spec.kind === 'rttvar') {
        const t = getTimeRtt(v);
        if (!t) invarg(`"${name}" value is invalid\n`, v);
        mx[spec.key] = t.raw ? t.value : t.value * (spec.kind === 'rtt' ? 8 : 4);
      } else {
        const n = parseUnsigned(v, 0);
        if (n === undefined || (spec.kind === 'hoplimit' && n > 255)) invarg(`"${name === 'advmss' ? 'mss' : name}" value is invalid\n`, v);
        mx[spec.key] = n;
      }
    } else if (w === 'rto_min') {
      const v = args.next();
      lock |= 1 << RTAX_RTO_MIN;
      const t = getTimeRtt(v);
      if (!t) invarg('"rto_min" value is invalid\n', v);
      mx.rtoMin = t.value;
    } else if (matches(w, 'features')) {
      const v = args.next();
      if (v !== 'ecn') invarg('"features" value not valid\n', v);
      mx.features = 1;
    } else if (matches(w, 'quickack')) {
      const v = args.next();
      const n = parseUnsigned(v, 0);
      if (n === undefined) invarg('"quickack" value is invalid\n', v);
      if (n !== 0 && n !== 1) invarg('"quickack" value should be 0 or 1\n', v);
      mx.quickack = n;
    } else if (matches(w, 'realms')) unsupported('route realms');
    else if (w === 'onlink') o.onlink = true;
    else if (w === 'nexthop') {
      multipath = await parseNexthops(ctx, args, family);
      break;
    } else if (w === 'nhid') unsupported('route nhid');
    else if (matches(w, 'protocol')) {
      const v = args.next();
      const n = protoId(v);
      if (n === undefined) invarg('"protocol" value is invalid\n', v);
      o.protocol = n;
    } else if (matches(w, 'table')) {
      const v = args.next();
      const t = tableId(v);
      if (t === undefined) invarg('"table" value is invalid\n', v);
      tableGiven = t;
    } else if (matches(w, 'vrf')) unsupported('route vrf');
    else if (w === 'dev' || w === 'oif') dev = args.next();
    else if (matches(w, 'pref')) {
      const v = args.next();
      if (v === 'low' || v === 'medium' || v === 'high') o.pref = v;
      else {
        const n = parseUnsigned(v, 0, 255);
        if (n === undefined) invarg('"pref" value is invalid\n', v);
        o.pref = n;
      }
    } else if (w === 'encap') unsupported('route encap');
    else if (w === 'ttl-propagate') unsupported('route ttl-propagate');
    else if (matches(w, 'fastopen_no_cookie')) {
      const v = args.next();
      const n = parseUnsigned(v, 0);
      if (n === undefined) invarg('"fastopen_no_cookie" value is invalid\n', v);
      if (n !== 0 && n !== 1) invarg('"fastopen_no_cookie" value should be 0 or 1\n', v);
      mx.fastopenNoCookie = n;
    } else {
      let v = w;
      if (v === 'to') v = args.next();
      const t = /^[0-9]/.test(v) ? undefined : rtntypeId(v);
      if (t !== undefined) {
        v = args.next();
        o.type = t;
      }
      if (matches(v, 'help')) throw new IpUsageError(ROUTE_HELP.trimEnd());
      if (dstOk) duparg2('to', v);
      const pr = getPrefix(v, family);
      if (family === 0) family = pr.family;
      o.dst = prefixText(pr);
      dstOk = true;
    }
    args.skip();
  }
  if (!dstOk) throw new IpUsageError(ROUTE_HELP.trimEnd());
  if (dev !== undefined) o.dev = await ctx.links.require(dev);
  if (Object.keys(mx).length || lock) {
    o.metrics = { ...mx, ...(lock ? { lock } : {}) } as Metrics;
  }
  if (multipath) o.multipath = multipath;
  if (tableGiven !== undefined) o.table = tableGiven;
  const fam = ipFamilyOf(family);
  if (fam !== undefined) o.family = fam;
  const nl = await ctx.nl();
  await nl.route[op](o as RouteOptions);
  return 0;
}

/** `nlwire route --help`. */
export const ROUTE_HELP = `Usage: nlwire [-4|-6] [-j [-p]] [-n NETNS] route COMMAND
       (iproute2's "ip route": same syntax, same output, same JSON with -j)

  route [ show | list ] [ SELECTOR ]
  route get ADDRESS [ from ADDRESS ] [ iif DEV ] [ oif DEV ] [ tos TOS ] [ mark NUMBER ]
                    [ uid NUMBER ] [ ipproto PROTOCOL ] [ sport NUMBER ] [ dport NUMBER ]
                    [ fibmatch ]
  route { add | replace | append | change | del } ROUTE

SELECTOR := [ root PREFIX ] [ match PREFIX ] [ exact PREFIX ] [ table TABLE_ID ]
            [ proto RTPROTO ] [ type TYPE ] [ scope SCOPE ] [ dev DEV ] [ iif DEV ]
            [ via [ FAMILY ] PREFIX ] [ src PREFIX ] [ metric NUMBER ] [ mark NUMBER ]
            [ tos TOS ] [ from [ root | match | exact ] PREFIX ]
ROUTE := [ TYPE ] PREFIX [ from PREFIX ] [ tos TOS ] [ table TABLE_ID ] [ proto RTPROTO ]
         [ scope SCOPE ] [ metric METRIC ] [ via [ FAMILY ] ADDRESS ] [ dev DEV ]
         [ src ADDRESS ] [ onlink ] [ pref PREF ] [ OPTIONS ] [ nexthop NH ]...
NH := [ via [ FAMILY ] ADDRESS ] [ dev DEV ] [ weight NUMBER ] [ onlink ]
OPTIONS := [ mtu [ lock ] NUMBER ] [ advmss [ lock ] NUMBER ] [ window NUMBER ]
           [ cwnd NUMBER ] [ initcwnd NUMBER ] [ initrwnd NUMBER ] [ ssthresh NUMBER ]
           [ rtt TIME ] [ rttvar TIME ] [ rto_min TIME ] [ hoplimit NUMBER ]
           [ reordering NUMBER ] [ features ecn ] [ quickack 0|1 ] [ congctl NAME ]
           [ fastopen_no_cookie 0|1 ]
TYPE := { unicast | local | broadcast | multicast | throw | unreachable | prohibit |
          blackhole | nat }
TABLE_ID := { local | main | default | all | NUMBER | a name from rt_tables }
SCOPE := { host | link | global | NUMBER }
RTPROTO := { kernel | boot | static | NUMBER }
FAMILY := { inet | inet6 }
PREF := { low | medium | high }

Commands may be abbreviated as in ip: r = route, sh = show, a = add, del = delete,
g = get, rep = replace, app = append, c = change.

Examples:
  nlwire route show
  nlwire -6 route show table all
  nlwire -j route get 203.0.113.5 from 192.0.2.10 iif veth1 mark 7 uid 1000 \\
         ipproto tcp sport 1000 dport 443
  nlwire route get 203.0.113.5 fibmatch
  nlwire route add 203.0.113.0/24 via 192.0.2.1 dev eth0 src 192.0.2.10 metric 10 \\
         table 100 proto static
  nlwire route add 198.51.100.0/24 nexthop via 192.0.2.1 weight 2 nexthop via 192.0.2.2
  nlwire -n blue route del 203.0.113.0/24 table 100

Output and errors are ip's: "RTNETLINK answers: File exists", "Error: Invalid prefsrc
address." (the kernel's extended ack) on stderr. Exit status: 0 success, 2 the kernel
refused (as ip), 1 an unknown device or namespace, 2 a usage error.
Not supported: flush, save, restore, showdump, prepend, test, and the route keywords
as, expires, realms, nhid, encap, ttl-propagate, vrf, table cache.
`;

/** `nlwire route`. */
export const routeCommand = ipCommand(ROUTE_HELP, async (ctx, argv) => {
  const args = new Args(argv);
  if (args.left === 0) return routeList(ctx, args);
  const w = args.cur();
  args.skip();
  if (matches(w, 'add')) return routeModify(ctx, 'add', args);
  if (matches(w, 'change') || w === 'chg') return routeModify(ctx, 'change', args);
  if (matches(w, 'replace')) return routeModify(ctx, 'replace', args);
  if (matches(w, 'prepend')) unsupported('route prepend');
  if (matches(w, 'append')) return routeModify(ctx, 'append', args);
  if (matches(w, 'test')) unsupported('route test');
  if (matches(w, 'delete')) return routeModify(ctx, 'del', args);
  if (matches(w, 'list') || matches(w, 'show') || matches(w, 'lst')) return routeList(ctx, args);
  if (matches(w, 'get')) return routeGet(ctx, args);
  for (const c of ['flush', 'save', 'restore', 'showdump']) if (matches(w, c)) unsupported(`route ${c}`);
  throw new IpUsageError(`Command "${w}" is unknown, try "ip route help".`);
});
