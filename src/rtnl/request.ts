/**
 * The rtnetlink client's pure half: requests built from user options exactly as iproute2
 * 6.1 builds them for the same command, and the friendly views (Route, Link, Addr, Rule,
 * Neigh) of the kernel's answers. No I/O: names of devices are resolved by the caller
 * ({@link DevResolver}), so every function here runs without a kernel.
 *
 * Attribute order is iproute2's for the keywords in the order this file documents per
 * request; the fixtures in test/fixtures/client are iproute2's real requests, compared byte
 * for byte (sequence number, port id and the NLM_F_ACK the socket adds aside). Two
 * deliberate differences, both from "absent is not zero": an explicit `mark: 0` on a route
 * get is sent (iproute2 drops a zero mark), and nothing is ever sent for an absent key.
 *
 * Views omit what the kernel did not send: `route.metric` is absent, never 0, when the
 * message had no RTA_PRIORITY. Numbers the kernel may extend stay numbers with the
 * iproute2 name beside them (`protocol: 4, protocolName: 'static'`).
 */
import {
  AF_INET, AF_INET6, AF_UNSPEC, AF_PACKET, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE,
  NLM_F_APPEND,
} from '../netlink/constants.js';
import { EncodeError } from '../netlink/errors.js';
import type { NlMsg } from '../netlink/message.js';
import { formatIP, parseIP, ipv4Value } from '../netlink/ip.js';
import { bitNames } from '../netlink/struct.js';
import type { UnknownAttr } from '../netlink/attrs.js';
import {
  RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE, RTN_UNSPEC, RTN_UNICAST, RTN_LOCAL, RTN_NAT,
  RTN_BROADCAST, RTN_MULTICAST, RTN_ANYCAST, RTPROT_UNSPEC, RTPROT_BOOT, RT_SCOPE_UNIVERSE,
  RT_SCOPE_LINK, RT_SCOPE_HOST, RT_SCOPE_NOWHERE, RT_TABLE_MAIN, RT_TABLE_LOCAL,
  RT_TABLE_UNSPEC, RTM_F_LOOKUP_TABLE, RTM_F_FIB_MATCH, RTNH_F_ONLINK, RTAX_CC_ALGO,
  RTM_F_CLONED, rtnTypeNames, rtprotNames, rtScopeNames, rtTableNames, rtnhFlagNames,
  rtTableAliases, rtScopeAliases, rtPrefNames, rtFlagNames,
  type Metrics, type Nexthop, type Via, type RouteAttrs,
} from './route.js';
import {
  RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTEXT_FILTER_VF,
  RTEXT_FILTER_SKIP_STATS, iffNames, operstateNames, arphrdNames, IFF_UP, IFF_RUNNING,
  IFF_LOOPBACK, IFF_BROADCAST, IFF_POINTOPOINT, IFF_MULTICAST, IFF_NOARP, IFF_ALLMULTI, IFF_PROMISC,
  IFF_MASTER, IFF_SLAVE, IFF_DEBUG, IFF_DYNAMIC, IFF_AUTOMEDIA, IFF_PORTSEL, IFF_NOTRAILERS,
  IFF_LOWER_UP, IFF_DORMANT, IFF_ECHO,
  type LinkAttrs,
} from './link.js';
import {
  RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR, IFA_F_NODAD, IFA_F_NOPREFIXROUTE, ifaFlagNames,
  ifaScopeNames, type AddrAttrs,
} from './addr.js';
import {
  RTM_NEWRULE, RTM_DELRULE, RTM_GETRULE, FR_ACT_UNSPEC, FR_ACT_TO_TBL, FR_ACT_GOTO,
  FIB_RULE_INVERT, ruleActionNames, ruleFlagNames, ipProtoNames,
  type RuleAttrs,
} from './rule.js';
import {
  RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH, nudStateNames, ntfFlagNames,
  type NeighAttrs,
} from './neigh.js';

// ---------------------------------------------------------------------------------------
// Common pieces
// ---------------------------------------------------------------------------------------

/** IP version of a route, address, rule or neighbour: 4 (AF_INET) or 6 (AF_INET6). */
export type IpFamily = 4 | 6;

/** An interface by name (`'eth0'`) or index (`2`). */
export type Dev = string | number;

/**
 * Turns an interface name into its index, synchronously: the client's cached map. For a
 * name it does not know it throws (the client's {@link MissingDevice}, looks the name up
 * and builds again); `what` names the request (`route add 203.0.113.0/24`).
 */
export type DevResolver = (name: string, what: string) => number;

/** Thrown by a {@link DevResolver} for a name not in its map: look it up, then build again. */
export class MissingDevice extends Error {
  override readonly name = 'MissingDevice';
  constructor(readonly dev: string, readonly what: string) {
    super(`${what}: device "${dev}" not looked up yet`);
  }
}

/** A request as the socket takes it: REQUEST and ACK (or DUMP) are added by the socket. */
export interface RtnlRequest {
  /** nlmsg_type (`RTM_NEWROUTE`). */
  type: number;
  /** The modifier flags only (NLM_F_CREATE, NLM_F_EXCL, ...). */
  flags: number;
  body: Record<string, unknown>;
  attrs: Record<string, unknown>;
}

/** A built request and the words that name it in errors (`route add 198.51.100.0/24`). */
export interface BuiltRequest {
  msg: RtnlRequest;
  what: string;
}

/** AF_INET / AF_INET6 for 4 / 6. */
export function afOf(family: IpFamily): number {
  return family === 6 ? AF_INET6 : AF_INET;
}

/** 4 / 6 for AF_INET / AF_INET6; undefined for other families. */
export function ipFamilyOf(af: number): IpFamily | undefined {
  return af === AF_INET ? 4 : af === AF_INET6 ? 6 : undefined;
}

/** An address with an optional prefix length, parsed. */
export interface Prefix {
  family: IpFamily;
  /** The address as inet_ntop writes it. */
  addr: string;
  /** The prefix length: as written, or 32 / 128 when no `/len` was given. */
  len: number;
  /** True when the text had a `/len`. */
  lenGiven: boolean;
}

function fail(what: string, detail: string): never {
  throw new EncodeError(detail, what);
}

/** `192.0.2.0/24` or `2001:db8::1` parsed; throws EncodeError naming `what`. */
export function parsePrefix(text: unknown, what: string): Prefix {
  if (typeof text !== 'string') fail(what, `expected an address string, got ${String(text)}`);
  const slash = text.indexOf('/');
  const a = slash < 0 ? text : text.slice(0, slash);
  // IPv4 without an array: the grammar admits only the canonical text, so it is its own form.
  const v4 = a.includes(':') ? -1 : ipv4Value(a);
  const bytes = v4 >= 0 ? undefined : parseIP(a);
  if (v4 < 0 && !bytes) fail(what, `not an IP address: "${text}"`);
  const family: IpFamily = v4 >= 0 || bytes!.length === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const l = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(l) || Number(l) > max) fail(what, `bad prefix length in "${text}"`);
    len = Number(l);
  }
  return { family, addr: v4 >= 0 ? a : formatIP(bytes!), len, lenGiven: slash >= 0 };
}

/** An address without a prefix length; throws EncodeError naming `what`. */
export function parseAddress(text: unknown, what: string): { family: IpFamily; addr: string } {
  const p = parsePrefix(text, what);
  if (p.lenGiven) fail(what, `expected an address without a prefix length, got "${String(text)}"`);
  return { family: p.family, addr: p.addr };
}

function isDefault(text: unknown): boolean {
  return text === 'default' || text === 'all' || text === 'any';
}

/** A name or number from an iproute2 name table (`'static'` gives 4); throws EncodeError. */
export function numberOrName(value: unknown, names: Readonly<Record<number, string>>, what: string,
  aliases: Readonly<Record<string, number>> = {}): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) fail(what, `expected a non-negative integer, got ${value}`);
    return value;
  }
  if (typeof value === 'string') {
    if (value in aliases) return aliases[value]!;
    for (const [n, name] of Object.entries(names)) if (name === value) return Number(n);
    if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(value)) return Number(value);
    fail(what, `unknown name "${value}" (known: ${Object.values(names).join(', ')})`);
  }
  fail(what, `expected a number or a name, got ${String(value)}`);
}

function u32(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    fail(what, `expected an integer in [0, 4294967295], got ${String(value)}`);
  }
  return value;
}

function uint(value: unknown, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    fail(what, `expected an integer in [0, ${max}], got ${String(value)}`);
  }
  return value;
}

/** The index of `dev` (a name or an index); `path` names the option for errors. */
function devIndex(dev: Dev, resolve: DevResolver, what: string, path: string): number {
  if (typeof dev === 'number') {
    if (!Number.isInteger(dev) || dev <= 0 || dev > 0x7fffffff) fail(path, `bad interface index ${dev}`);
    return dev;
  }
  if (typeof dev !== 'string' || dev === '') fail(path, `expected an interface name or index, got ${String(dev)}`);
  return resolve(dev, what);
}

/** `dev` and `oif` of one set of options, which must agree when both are given. */
function outputDev(o: { dev?: Dev; oif?: Dev }, resolve: DevResolver, what: string): number | undefined {
  const a = o.dev === undefined ? undefined : devIndex(o.dev, resolve, what, `${what}: dev`);
  const b = o.oif === undefined ? undefined : devIndex(o.oif, resolve, what, `${what}: oif`);
  if (a !== undefined && b !== undefined && a !== b) fail(what, `dev (${String(o.dev)}) and oif (${o.oif}) disagree`);
  return a ?? b;
}

/** The interface names an options object refers to, for the caller to resolve first. */
export function devNames(o: object): string[] {
  const out = new Set<string>();
  const r = o as Record<string, unknown>;
  for (const k of ['dev', 'oif', 'iif']) if (typeof r[k] === 'string') out.add(r[k] as string);
  if (Array.isArray(r.multipath)) {
    for (const h of r.multipath as Record<string, unknown>[]) if (typeof h?.dev === 'string') out.add(h.dev);
  }
  return [...out];
}

/** IP protocol names iproute2 accepts besides ipProtoNames (rule.ts), for `ipproto`. */
export const ipProtoAliases: Readonly<Record<string, number>> = { icmpv6: 58, 'ipv6-icmp': 58 };

/** A routing table option: `'main'`, `'local'`, `'default'` or a number. */
export type TableRef = number | 'main' | 'local' | 'default' | (string & {});

function tableId(t: TableRef, what: string): number {
  const n = numberOrName(t, rtTableNames, what, rtTableAliases);
  return u32(n, what);
}

/** The attribute set of a routing table: rtm_table, and RTA_TABLE above 255 (iproute2). */
function putTable(body: Record<string, unknown>, attrs: Record<string, unknown>, table: number): void {
  if (table < 256) body.table = table;
  else {
    body.table = RT_TABLE_UNSPEC;
    attrs.table = table;
  }
}

// ---------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------

/** Options of `route.get` (`ip route get`). */
export interface RouteGetOptions {
  /** The destination address (`'203.0.113.5'`); a `/len` other than 32 or 128 is refused. */
  dst: string;
  /** Source address (RTA_SRC with rtm_src_len), iproute2's `from`. */
  from?: string;
  /** Input interface (RTA_IIF): simulate a packet arriving there (needs `from`). */
  iif?: Dev;
  /** Output interface (RTA_OIF). */
  oif?: Dev;
  /** Same as `oif` (iproute2 accepts `dev`). */
  dev?: Dev;
  /** Firewall mark (RTA_MARK). Unlike iproute2, an explicit 0 is sent. */
  mark?: number;
  /** User id (RTA_UID). */
  uid?: number;
  /** IP protocol (RTA_IP_PROTO): a number or `'tcp'`, `'udp'`, `'icmp'`, `'ipv6-icmp'`, `'sctp'`, `'dccp'`. */
  ipproto?: number | string;
  /** Source port (RTA_SPORT), host order: the codec writes network order. */
  sport?: number;
  /** Destination port (RTA_DPORT), host order. */
  dport?: number;
  /** rtm_tos. */
  tos?: number;
  /** Return the FIB entry that matched (RTM_F_FIB_MATCH) rather than the resolved route. */
  fibmatch?: boolean;
}

/**
 * RTM_GETROUTE for one destination, as `ip route get` sends it: rtm_dst_len 32 or 128,
 * RTM_F_LOOKUP_TABLE for IPv4 only (iproute2 6.1 iproute_get: "Only IPv4 supports the
 * RTM_F_LOOKUP_TABLE flag"), RTM_F_FIB_MATCH for `fibmatch`. Attribute order:
 * RTA_DST, RTA_SRC, RTA_UID, RTA_IP_PROTO, RTA_SPORT, RTA_DPORT, RTA_IIF, RTA_OIF, RTA_MARK.
 */
export function routeGetRequest(o: RouteGetOptions, resolve: DevResolver): BuiltRequest {
  const what = `route get ${String(o.dst)}`;
  const dst = parsePrefix(o.dst, `${what}: dst`);
  if (dst.len !== (dst.family === 4 ? 32 : 128)) {
    fail(`${what}: dst`, 'route get takes an address, not a prefix');
  }
  const body: Record<string, unknown> = {
    family: afOf(dst.family), dstLen: dst.len, srcLen: 0, tos: 0, table: 0, protocol: 0, scope: 0,
    type: 0, flags: 0,
  };
  const attrs: Record<string, unknown> = { dst: dst.addr };
  if (o.tos !== undefined) body.tos = uint(o.tos, 255, `${what}: tos`);
  if (o.from !== undefined) {
    const src = parsePrefix(o.from, `${what}: from`);
    if (src.family !== dst.family) fail(`${what}: from`, `${o.from} is not of the destination's family`);
    attrs.src = src.addr;
    body.srcLen = src.len;
  }
  if (o.uid !== undefined) attrs.uid = u32(o.uid, `${what}: uid`);
  if (o.ipproto !== undefined) {
    attrs.ipProto = uint(numberOrName(o.ipproto, ipProtoNames, `${what}: ipproto`, ipProtoAliases), 255, `${what}: ipproto`);
  }
  if (o.sport !== undefined) attrs.sport = uint(o.sport, 0xffff, `${what}: sport`);
  if (o.dport !== undefined) attrs.dport = uint(o.dport, 0xffff, `${what}: dport`);
  if (o.iif !== undefined) attrs.iif = devIndex(o.iif, resolve, what, `${what}: iif`);
  const oif = outputDev(o, resolve, what);
  if (oif !== undefined) attrs.oif = oif;
  if (o.mark !== undefined) attrs.mark = u32(o.mark, `${what}: mark`);
  let flags = 0;
  if (dst.family === 4) flags |= RTM_F_LOOKUP_TABLE;
  if (o.fibmatch) flags |= RTM_F_FIB_MATCH;
  body.flags = flags;
  return { msg: { type: RTM_GETROUTE, flags: 0, body, attrs }, what };
}

/** One next hop of a multipath route. */
export interface NexthopOptions {
  /** Gateway of the route's family (RTA_GATEWAY), or of the other family (RTA_VIA). */
  gateway?: string;
  /** A gateway of another family, explicitly (RTA_VIA). */
  via?: string | Via;
  /** Output interface (rtnh_ifindex). */
  dev?: Dev;
  /** 1 to 256; sent as rtnh_hops = weight - 1. Absent: rtnh_hops 0 (weight 1). */
  weight?: number;
  /** RTNH_F_ONLINK in rtnh_flags. */
  onlink?: boolean;
}

/** Options of `route.add`, `replace`, `append`, `change` and `del` (`ip route add ...`). */
export interface RouteOptions {
  /** `'203.0.113.0/24'`, an address for a host route, or `'default'`. */
  dst: string;
  /** The family, for a `'default'` destination without a gateway to tell it. */
  family?: IpFamily;
  /** Source prefix (RTA_SRC, rtm_src_len): source-specific routing, iproute2's `from`. */
  src?: string;
  /** rtm_tos. */
  tos?: number;
  /** The next hop (RTA_GATEWAY); of the other family it is sent as RTA_VIA, as iproute2 does. */
  gateway?: string;
  /** A next hop of another family, explicitly (RTA_VIA): `'2001:db8::1'` or {family, addr}. */
  via?: string | Via;
  /** Preferred source address (RTA_PREFSRC), iproute2's `src`. */
  prefsrc?: string;
  /** Route priority (RTA_PRIORITY), iproute2's `metric`. */
  metric?: number;
  /** Routing table; default `main` (`local` for local and nat routes). */
  table?: TableRef;
  /** rtm_protocol: a number or `'static'`, `'boot'`, `'kernel'`...; default `boot` (none on del). */
  protocol?: number | string;
  /** rtm_scope: a number or `'global'`, `'link'`, `'host'`...; default as iproute2 ({@link routeDefaults}). */
  scope?: number | string;
  /** rtm_type: a number or `'unicast'`, `'local'`, `'blackhole'`, `'unreachable'`...; default unicast. */
  type?: number | string;
  /** IPv6 router preference (RTA_PREF): `'low'`, `'medium'`, `'high'` or the number. */
  pref?: number | 'low' | 'medium' | 'high';
  /** RTNH_F_ONLINK in rtm_flags: the gateway is on the link even without a matching prefix. */
  onlink?: boolean;
  /** Output interface by name or index (RTA_OIF). */
  dev?: Dev;
  /** Output interface index (RTA_OIF); must agree with `dev` when both are given. */
  oif?: number;
  /** RTA_METRICS (mtu, advmss, ccAlgo, ...); `lock` is written last, as iproute2 does. */
  metrics?: Metrics;
  /** RTA_MULTIPATH. */
  multipath?: NexthopOptions[];
}

/** The route operations and their nlmsg_type and modifier flags. */
export const routeOps = {
  add: { type: RTM_NEWROUTE, flags: NLM_F_CREATE | NLM_F_EXCL },
  replace: { type: RTM_NEWROUTE, flags: NLM_F_CREATE | NLM_F_REPLACE },
  append: { type: RTM_NEWROUTE, flags: NLM_F_CREATE | NLM_F_APPEND },
  change: { type: RTM_NEWROUTE, flags: NLM_F_REPLACE },
  del: { type: RTM_DELROUTE, flags: 0 },
} as const;

/** A route operation: `add`, `replace`, `append`, `change` or `del`. */
export type RouteOp = keyof typeof routeOps;

/** What {@link routeDefaults} decides from. */
export interface RouteDefaultsInput {
  family: IpFamily;
  /** Given values, or undefined. */
  table?: number;
  protocol?: number;
  scope?: number;
  type?: number;
  /** A gateway, RTA_VIA or multipath next hops are given. */
  hasGateway: boolean;
}

/**
 * The one place the client's route defaults live, as iproute2 6.1 iproute_modify decides
 * them: type unicast (unspec on del); protocol boot (unspec on del); table main, but local
 * for local and nat routes; scope: IPv6 universe; local and nat host; broadcast, multicast
 * and anycast link; unicast link without a gateway, universe with one, nowhere on del;
 * other types (blackhole, unreachable...) universe, nowhere on del. Given values win.
 */
export function routeDefaults(op: RouteOp, r: RouteDefaultsInput): { table: number; protocol: number; scope: number; type: number } {
  const del = op === 'del';
  const type = r.type ?? (del ? RTN_UNSPEC : RTN_UNICAST);
  const protocol = r.protocol ?? (del ? RTPROT_UNSPEC : RTPROT_BOOT);
  const table = r.table ?? (type === RTN_LOCAL || type === RTN_NAT ? RT_TABLE_LOCAL : RT_TABLE_MAIN);
  let scope = r.scope;
  if (scope === undefined) {
    scope = del ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
    if (r.family === 6) scope = RT_SCOPE_UNIVERSE;
    else if (type === RTN_LOCAL || type === RTN_NAT) scope = RT_SCOPE_HOST;
    else if (type === RTN_BROADCAST || type === RTN_MULTICAST || type === RTN_ANYCAST) scope = RT_SCOPE_LINK;
    else if (type === RTN_UNICAST || type === RTN_UNSPEC) {
      if (del) scope = RT_SCOPE_NOWHERE;
      else if (!r.hasGateway) scope = RT_SCOPE_LINK;
    }
  }
  return { table, protocol, scope, type };
}

function viaValue(v: string | Via, what: string): Via {
  if (typeof v === 'string') {
    const a = parseAddress(v, what);
    return { family: afOf(a.family), addr: a.addr };
  }
  if (typeof v !== 'object' || v === null || typeof v.family !== 'number' || typeof v.addr !== 'string') {
    fail(what, 'expected an address or {family, addr}');
  }
  return v;
}

/** RTA_GATEWAY or RTA_VIA for a gateway option: the other family goes in RTA_VIA. */
function gatewayAttrs(family: IpFamily, gateway: string | undefined, via: string | Via | undefined,
  out: Record<string, unknown>, what: string): boolean {
  if (gateway !== undefined && via !== undefined) fail(what, 'give gateway or via, not both');
  if (gateway !== undefined) {
    const g = parseAddress(gateway, `${what}: gateway`);
    if (g.family === family) out.gateway = g.addr;
    else out.via = { family: afOf(g.family), addr: g.addr };
    return true;
  }
  if (via !== undefined) {
    out.via = viaValue(via, `${what}: via`);
    return true;
  }
  return false;
}

/** RTA_METRICS as iproute2 writes it: RTAX_LOCK last, RTAX_CC_ALGO without its NUL. */
function metricsAttr(m: Metrics, what: string): Record<string, unknown> {
  if (typeof m !== 'object' || m === null) fail(what, 'expected an object of metrics');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    if (v === undefined || k === 'lock') continue;
    if (k === 'ccAlgo') {
      if (typeof v !== 'string' || v === '') fail(`${what}.ccAlgo`, 'expected a congestion control name');
      // iproute2 sends the name without a NUL (rta_addattr_l with strlen); the kernel
      // copies it with nla_strscpy, which takes either.
      const cc: UnknownAttr = { type: RTAX_CC_ALGO, flags: 0, data: new TextEncoder().encode(v) };
      out[`unknown${RTAX_CC_ALGO}`] = cc;
    } else out[k] = v;
  }
  if (m.lock !== undefined) out.lock = m.lock;
  return out;
}

/**
 * A route request (`ip route add|replace|append|change|del`): the flags of
 * {@link routeOps}, the defaults of {@link routeDefaults}. Attribute order: RTA_DST,
 * RTA_SRC, RTA_GATEWAY or RTA_VIA, RTA_PREFSRC, RTA_PRIORITY, RTA_TABLE, RTA_PREF, then
 * RTA_OIF, RTA_METRICS, RTA_MULTIPATH (iproute2 adds those three after its parse loop).
 */
export function routeRequest(op: RouteOp, o: RouteOptions, resolve: DevResolver): BuiltRequest {
  if (typeof o !== 'object' || o === null) fail(`route ${op}`, 'expected an options object');
  const what = `route ${op} ${String(o.dst)}`;
  const attrs: Record<string, unknown> = {};
  let family: IpFamily | undefined;
  let dstLen = 0;
  if (isDefault(o.dst)) {
    family = o.family;
  } else {
    const dst = parsePrefix(o.dst, `${what}: dst`);
    family = dst.family;
    dstLen = dst.len;
    attrs.dst = dst.addr;
  }
  if (o.family !== undefined && o.family !== 4 && o.family !== 6) fail(`${what}: family`, 'expected 4 or 6');
  if (o.family !== undefined && family !== undefined && o.family !== family) {
    fail(`${what}: family`, `IPv${o.family} given for an IPv${family} destination`);
  }
  if (family === undefined && o.gateway !== undefined) family = parseAddress(o.gateway, `${what}: gateway`).family;
  if (family === undefined && o.src !== undefined) family = parsePrefix(o.src, `${what}: src`).family;
  if (family === undefined && o.prefsrc !== undefined) family = parseAddress(o.prefsrc, `${what}: prefsrc`).family;
  family ??= 4;

  const body: Record<string, unknown> = {
    family: afOf(family), dstLen, srcLen: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0,
  };
  if (o.src !== undefined) {
    const src = parsePrefix(o.src, `${what}: src`);
    if (src.family !== family) fail(`${what}: src`, `${o.src} is not an IPv${family} prefix`);
    attrs.src = src.addr;
    body.srcLen = src.len;
  }
  if (o.tos !== undefined) body.tos = uint(o.tos, 255, `${what}: tos`);
  const hasGw = gatewayAttrs(family, o.gateway, o.via, attrs, what);
  if (o.prefsrc !== undefined) {
    const p = parseAddress(o.prefsrc, `${what}: prefsrc`);
    if (p.family !== family) fail(`${what}: prefsrc`, `${o.prefsrc} is not an IPv${family} address`);
    attrs.prefsrc = p.addr;
  }
  if (o.metric !== undefined) attrs.priority = u32(o.metric, `${what}: metric`);

  // Assigned one by one: V8 (Node 20) takes a slow runtime path for an object literal with
  // spreads after a property, about 1 µs each, and this runs for every route of a batch.
  const given: RouteDefaultsInput = { family, hasGateway: hasGw || (o.multipath !== undefined && o.multipath.length > 0) };
  if (o.table !== undefined) given.table = tableId(o.table, `${what}: table`);
  if (o.protocol !== undefined) given.protocol = uint(numberOrName(o.protocol, rtprotNames, `${what}: protocol`), 255, `${what}: protocol`);
  if (o.scope !== undefined) given.scope = uint(numberOrName(o.scope, rtScopeNames, `${what}: scope`, rtScopeAliases), 255, `${what}: scope`);
  if (o.type !== undefined) given.type = uint(numberOrName(o.type, rtnTypeNames, `${what}: type`), 255, `${what}: type`);
  const d = routeDefaults(op, given);
  putTable(body, attrs, d.table);
  body.protocol = d.protocol;
  body.scope = d.scope;
  body.type = d.type;
  if (o.pref !== undefined) {
    attrs.pref = uint(numberOrName(o.pref, rtPrefNames, `${what}: pref`), 255, `${what}: pref`);
  }
  if (o.onlink) body.flags = RTNH_F_ONLINK;

  const oif = outputDev(o, resolve, what);
  if (oif !== undefined) attrs.oif = oif;
  if (o.metrics !== undefined) {
    const m = metricsAttr(o.metrics, `${what}: metrics`);
    if (Object.keys(m).length) attrs.metrics = m;
  }
  if (o.multipath !== undefined) {
    if (!Array.isArray(o.multipath)) fail(`${what}: multipath`, 'expected an array of next hops');
    const hops: Nexthop[] = o.multipath.map((h, i) => {
      const p = `${what}: multipath[${i}]`;
      const hop: Nexthop = { flags: h.onlink ? RTNH_F_ONLINK : 0, hops: 0, ifindex: 0, attrs: {} };
      if (h.weight !== undefined) {
        if (!Number.isInteger(h.weight) || h.weight < 1 || h.weight > 256) fail(`${p}.weight`, `expected 1 to 256, got ${h.weight}`);
        hop.hops = h.weight - 1;
      }
      if (h.dev !== undefined) hop.ifindex = devIndex(h.dev, resolve, what, `${p}.dev`);
      gatewayAttrs(family!, h.gateway, h.via, hop.attrs as Record<string, unknown>, p);
      return hop;
    });
    if (hops.length) attrs.multipath = hops;
  }
  return { msg: { type: routeOps[op].type, flags: routeOps[op].flags, body, attrs }, what };
}

/** Options of `route.list` (`ip route show`). */
export interface RouteListOptions {
  /** 4 or 6; absent: both. */
  family?: IpFamily;
  /** A table, or `'all'`; absent: `main`, as `ip route show`. */
  table?: TableRef | 'all';
  /** Only routes of this rtm_protocol. */
  protocol?: number | string;
  /** Only routes of this rtm_type (filtered here: iproute2 does not send it). */
  type?: number | string;
  /** Only the route(s) to exactly this prefix (`'default'` too), as `ip route show PREFIX`. */
  dst?: string;
  /** Only routes through this interface (RTA_OIF). */
  dev?: Dev;
  /** Same as `dev`, by index. */
  oif?: number;
}

/** What a route dump's replies are filtered with on this side. */
export interface RouteFilter {
  family?: number;
  table?: number;
  protocol?: number;
  type?: number;
  oif?: number;
  dst?: { family: IpFamily; addr?: string; len: number };
}

/**
 * The RTM_GETROUTE dump of `ip route show`: rtm_family, rtm_protocol, then RTA_TABLE (the
 * table id, main by default) and RTA_OIF; no rtm_table. With NETLINK_GET_STRICT_CHK the
 * kernel filters by them; {@link routeMatches} filters the replies again, so the answer is
 * the same without it. The type and dst selectors are applied only here, as iproute2 does.
 */
export function routeListRequest(o: RouteListOptions, resolve: DevResolver): BuiltRequest & { filter: RouteFilter } {
  const what = 'route list';
  const filter: RouteFilter = {};
  const body: Record<string, unknown> = {
    family: o.family === undefined ? AF_UNSPEC : afOf(o.family), dstLen: 0, srcLen: 0, tos: 0,
    table: 0, protocol: 0, scope: 0, type: 0, flags: 0,
  };
  if (o.family !== undefined) {
    if (o.family !== 4 && o.family !== 6) fail(`${what}: family`, 'expected 4 or 6');
    filter.family = afOf(o.family);
  }
  const attrs: Record<string, unknown> = {};
  if (o.protocol !== undefined) {
    body.protocol = filter.protocol = uint(numberOrName(o.protocol, rtprotNames, `${what}: protocol`), 255, `${what}: protocol`);
  }
  if (o.table !== 'all') {
    attrs.table = filter.table = o.table === undefined ? RT_TABLE_MAIN : tableId(o.table, `${what}: table`);
  }
  const oif = outputDev(o, resolve, what);
  if (oif !== undefined) attrs.oif = filter.oif = oif;
  if (o.type !== undefined) filter.type = uint(numberOrName(o.type, rtnTypeNames, `${what}: type`), 255, `${what}: type`);
  if (o.dst !== undefined) {
    if (isDefault(o.dst)) filter.dst = { family: o.family ?? 4, len: 0 };
    else {
      const p = parsePrefix(o.dst, `${what}: dst`);
      filter.dst = { family: p.family, addr: p.addr, len: p.len };
    }
    if (o.family === undefined && !isDefault(o.dst)) filter.family = afOf(filter.dst.family);
  }
  return { msg: { type: RTM_GETROUTE, flags: 0, body, attrs }, what, filter };
}

/**
 * True when a route message passes a list filter: `ip route show`'s (family, table,
 * protocol, type, oif, exact dst), and never a cloned (cache) entry.
 */
export function routeMatches(m: NlMsg, f: RouteFilter): boolean {
  const b = m.body as { family: number; table: number; protocol: number; type: number; flags: number; dstLen: number } | undefined;
  if (!b) return false;
  const a = (m.attrs ?? {}) as RouteAttrs;
  if (b.family !== AF_INET && b.family !== AF_INET6) return false;
  if (f.family !== undefined && b.family !== f.family) return false;
  if (b.flags & RTM_F_CLONED) return false;
  if (f.table !== undefined && (a.table ?? b.table) !== f.table) return false;
  if (f.protocol !== undefined && b.protocol !== f.protocol) return false;
  if (f.type !== undefined && b.type !== f.type) return false;
  if (f.oif !== undefined && a.oif !== f.oif
    && !(a.multipath ?? []).some((h) => h.ifindex === f.oif)) return false;
  if (f.dst !== undefined) {
    if (b.family !== afOf(f.dst.family) || b.dstLen !== f.dst.len) return false;
    if (f.dst.len > 0 && a.dst !== f.dst.addr) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Route view
// ---------------------------------------------------------------------------------------

/** One next hop of a multipath route, as `ip -j` shows it. */
export interface RouteNexthop {
  gateway?: string;
  via?: { family: number; addr: string };
  /** rtnh_ifindex; 0 when the hop has no device. */
  ifindex: number;
  dev?: string;
  /** rtnh_hops + 1. */
  weight: number;
  flags: string[];
}

/** A route, iproute2-like: absent keys are absent, never zero. */
export interface Route {
  family: IpFamily;
  /** `'default'`, the address for a host route (`'203.0.113.5'`), else `'prefix/len'` (as `ip -j`). */
  dst: string;
  /** rtm_dst_len. */
  dstLen: number;
  /** RTA_SRC with rtm_src_len, iproute2's `from`, written like `dst`. */
  src?: string;
  gateway?: string;
  /** RTA_VIA: a next hop of another family. */
  via?: { family: number; addr: string };
  /** The output interface's name, from `oif`. */
  dev?: string;
  /** RTA_OIF. */
  oif?: number;
  /** RTA_IIF. */
  iif?: number;
  /** The input interface's name, from `iif`. */
  iifDev?: string;
  /** RTA_PREFSRC. */
  prefsrc?: string;
  /** RTA_TABLE, else rtm_table. */
  table: number;
  tableName?: string;
  protocol: number;
  protocolName?: string;
  scope: number;
  scopeName?: string;
  type: number;
  typeName?: string;
  /** rtm_tos. */
  tos: number;
  /** RTA_PRIORITY. The kernel leaves it out of IPv4 routes of metric 0 (fib_dump_info). */
  metric?: number;
  /** rtm_flags as `ip -j` names them (onlink, linkdown, ...). */
  flags: string[];
  metrics?: Metrics;
  multipath?: RouteNexthop[];
  /** RTA_PREF. */
  pref?: number;
  prefName?: string;
  /** RTA_EXPIRES as sent. */
  expires?: number | bigint;
  uid?: number;
  mark?: number;
  ipproto?: number;
  sport?: number;
  dport?: number;
  /** RTA_NH_ID. */
  nhid?: number;
  cacheinfo?: Record<string, number>;
  /** The message this view was made from. */
  raw: NlMsg;
}

/** `'default'`, a bare address at full length, else `addr/len` (iproute2's format). */
export function prefixText(addr: string | undefined, len: number, family: IpFamily): string {
  if (addr === undefined) return len === 0 ? 'default' : `0/${len}`;
  return len === (family === 4 ? 32 : 128) ? addr : `${addr}/${len}`;
}

function named(out: Record<string, unknown>, key: string, value: number, names: Readonly<Record<number, string>>,
  nameKey = `${key}Name`): void {
  out[key] = value;
  const n = names[value];
  if (n !== undefined) out[nameKey] = n;
}

/** Looks an interface index up (the client's cached map); undefined when unknown. */
export type DevNamer = (ifindex: number) => string | undefined;

/** The friendly view of an RTM_NEWROUTE / RTM_DELROUTE message; undefined for non-IP families. */
export function routeView(m: NlMsg, name: DevNamer = () => undefined): Route | undefined {
  const b = m.body as { family: number; dstLen: number; srcLen: number; tos: number; table: number;
    protocol: number; scope: number; type: number; flags: number } | undefined;
  if (!b) return undefined;
  const family = ipFamilyOf(b.family);
  if (!family) return undefined;
  const a = (m.attrs ?? {}) as RouteAttrs;
  const r: Record<string, unknown> = { family, dst: prefixText(a.dst, b.dstLen, family), dstLen: b.dstLen };
  if (a.src !== undefined || b.srcLen) r.src = prefixText(a.src, b.srcLen, family);
  if (a.gateway !== undefined) r.gateway = a.gateway;
  if (a.via !== undefined) r.via = { family: a.via.family, addr: a.via.addr };
  if (a.oif !== undefined) {
    const n = name(a.oif);
    if (n !== undefined) r.dev = n;
    r.oif = a.oif;
  }
  if (a.iif !== undefined) {
    r.iif = a.iif;
    const n = name(a.iif);
    if (n !== undefined) r.iifDev = n;
  }
  if (a.prefsrc !== undefined) r.prefsrc = a.prefsrc;
  // Name keys spelled out: building `${key}Name` for every route of a dump shows in profiles.
  // Plain property stores: computed keys (named()) are a megamorphic keyed store per field,
  // which a dump of 100,000 routes pays 400,000 times.
  const table = a.table ?? b.table;
  r.table = table;
  const tableName = rtTableNames[table];
  if (tableName !== undefined) r.tableName = tableName;
  r.protocol = b.protocol;
  const protocolName = rtprotNames[b.protocol];
  if (protocolName !== undefined) r.protocolName = protocolName;
  r.scope = b.scope;
  const scopeName = rtScopeNames[b.scope];
  if (scopeName !== undefined) r.scopeName = scopeName;
  r.type = b.type;
  const typeName = rtnTypeNames[b.type];
  if (typeName !== undefined) r.typeName = typeName;
  r.tos = b.tos;
  if (a.priority !== undefined) r.metric = a.priority;
  r.flags = rtFlagNames(b.flags);
  if (a.metrics !== undefined) r.metrics = a.metrics;
  if (a.multipath !== undefined) {
    r.multipath = a.multipath.map((h) => {
      const hop: RouteNexthop = { ifindex: h.ifindex, weight: h.hops + 1, flags: bitNames(h.flags, rtnhFlagNames) };
      const ha = h.attrs as RouteAttrs;
      if (ha.gateway !== undefined) hop.gateway = ha.gateway;
      if (ha.via !== undefined) hop.via = { family: ha.via.family, addr: ha.via.addr };
      if (h.ifindex) {
        const n = name(h.ifindex);
        if (n !== undefined) hop.dev = n;
      }
      return hop;
    });
  }
  if (a.pref !== undefined) named(r, 'pref', a.pref, rtPrefNames);
  if (a.expires !== undefined) r.expires = a.expires;
  if (a.uid !== undefined) r.uid = a.uid;
  if (a.mark !== undefined) r.mark = a.mark;
  if (a.ipProto !== undefined) r.ipproto = a.ipProto;
  if (a.sport !== undefined) r.sport = a.sport;
  if (a.dport !== undefined) r.dport = a.dport;
  if (a.nhId !== undefined) r.nhid = a.nhId;
  if (a.cacheinfo !== undefined) r.cacheinfo = a.cacheinfo as Record<string, number>;
  r.raw = m;
  return r as unknown as Route;
}

/** The interface indexes a route message names (oif, iif, next hops). */
export function routeIfindexes(m: NlMsg): number[] {
  const a = (m.attrs ?? {}) as RouteAttrs;
  const out: number[] = [];
  if (a.oif !== undefined) out.push(a.oif);
  if (a.iif !== undefined) out.push(a.iif);
  for (const h of a.multipath ?? []) if (h.ifindex) out.push(h.ifindex);
  return out;
}

// ---------------------------------------------------------------------------------------
// Links
// ---------------------------------------------------------------------------------------

/**
 * The RTM_GETLINK dump of `ip link show`: ifi_family AF_PACKET and IFLA_EXT_MASK
 * RTEXT_FILTER_VF.
 */
export function linkListRequest(): BuiltRequest {
  return {
    msg: { type: RTM_GETLINK, flags: 0, body: { family: AF_PACKET, type: 0, index: 0, flags: 0, change: 0 }, attrs: { extMask: RTEXT_FILTER_VF } },
    what: 'link list',
  };
}

/**
 * RTM_GETLINK for one link, as iproute2's ll_link_get sends it: ifi_index, IFLA_EXT_MASK
 * RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS, and IFLA_IFNAME for a name.
 */
export function linkGetRequest(dev: Dev): BuiltRequest {
  const what = `link get ${String(dev)}`;
  const body = { family: AF_UNSPEC, type: 0, index: 0, flags: 0, change: 0 };
  const attrs: Record<string, unknown> = { extMask: RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS };
  if (typeof dev === 'number') body.index = devIndex(dev, () => 0, what, what);
  else if (typeof dev === 'string' && dev !== '') attrs.ifname = dev;
  else fail(what, 'expected an interface name or index');
  return { msg: { type: RTM_GETLINK, flags: 0, body, attrs }, what };
}

/** A link, iproute2-like (`ip -j link show`). */
export interface Link {
  index: number;
  ifname: string;
  /** IFF_* names as `ip -j` lists them: `['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP']` ({@link linkFlagNames}). */
  flags: string[];
  /** ifi_flags as sent. */
  ifiFlags: number;
  /** ifi_type (ARPHRD_*) and its name (`ether`, `loopback`). */
  linkType: number;
  linkTypeName?: string;
  mtu?: number;
  /** IFLA_ADDRESS. */
  address?: string;
  broadcast?: string;
  /** IFLA_OPERSTATE name (`UP`, `DOWN`, `UNKNOWN`...). */
  operstate?: string;
  /** IFLA_MASTER. */
  master?: number;
  /** IFLA_LINK: the lower device (veth peer, VLAN parent). */
  link?: number;
  /** IFLA_LINKINFO's IFLA_INFO_KIND (`veth`, `bridge`...). */
  kind?: string;
  txqlen?: number;
  qdisc?: string;
  group?: number;
  ifalias?: string;
  linkNetnsid?: number;
  raw: NlMsg;
}

/** IFF_* bits in the order iproute2's print_link_flags writes them. */
const printedIff: readonly number[] = [
  IFF_LOOPBACK, IFF_BROADCAST, IFF_POINTOPOINT, IFF_MULTICAST, IFF_NOARP, IFF_ALLMULTI, IFF_PROMISC,
  IFF_MASTER, IFF_SLAVE, IFF_DEBUG, IFF_DYNAMIC, IFF_AUTOMEDIA, IFF_PORTSEL, IFF_NOTRAILERS, IFF_UP,
  IFF_LOWER_UP, IFF_DORMANT, IFF_ECHO,
];

/**
 * ifi_flags as `ip -j link` lists them: `NO-CARRIER` first for a link up but not running,
 * IFF_RUNNING left out, the rest in iproute2's order, unknown bits as hex.
 */
export function linkFlagNames(flags: number): string[] {
  const out: string[] = [];
  if (flags & IFF_UP && !(flags & IFF_RUNNING)) out.push('NO-CARRIER');
  let rest = (flags & ~IFF_RUNNING) >>> 0;
  for (const b of printedIff) {
    if (rest & b) {
      out.push(iffNames[b]!);
      rest = (rest & ~b) >>> 0;
    }
  }
  if (rest) out.push(rest.toString(16));
  return out;
}

/** The friendly view of an RTM_NEWLINK / RTM_DELLINK message. */
export function linkView(m: NlMsg): Link | undefined {
  const b = m.body as { type: number; index: number; flags: number } | undefined;
  if (!b) return undefined;
  const a = (m.attrs ?? {}) as LinkAttrs;
  const l: Record<string, unknown> = { index: b.index, ifname: a.ifname ?? '', flags: linkFlagNames(b.flags) };
  l.ifiFlags = b.flags;
  named(l, 'linkType', b.type, arphrdNames);
  if (a.mtu !== undefined) l.mtu = a.mtu;
  if (a.address !== undefined) l.address = a.address;
  if (a.broadcast !== undefined) l.broadcast = a.broadcast;
  if (a.operstate !== undefined) l.operstate = operstateNames[a.operstate] ?? String(a.operstate);
  if (a.master !== undefined) l.master = a.master;
  if (a.link !== undefined) l.link = a.link;
  if (a.linkinfo?.kind !== undefined) l.kind = a.linkinfo.kind;
  if (a.txqlen !== undefined) l.txqlen = a.txqlen;
  if (a.qdisc !== undefined) l.qdisc = a.qdisc;
  if (a.group !== undefined) l.group = a.group;
  if (a.ifalias !== undefined) l.ifalias = a.ifalias;
  if (a.linkNetnsid !== undefined) l.linkNetnsid = a.linkNetnsid;
  l.raw = m;
  return l as unknown as Link;
}

// ---------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------

/** Options of `addr.add` and `addr.del` (`ip addr add ADDRESS dev DEV ...`). */
export interface AddrOptions {
  /** The interface. */
  dev: Dev;
  /** `'192.0.2.10/24'`; without `/len`, a host address (/32, /128). */
  address: string;
  /** IFA_BROADCAST: an address, or `true` for iproute2's `broadcast +` (computed). */
  broadcast?: string | true;
  /** IFA_LABEL (IPv4; iproute2 wants it to start with the device name). */
  label?: string;
  /** ifa_scope: a number or `'global'`, `'link'`, `'host'`...; default global (host for 127/8). */
  scope?: number | string;
  /** IFA_F_NOPREFIXROUTE: no prefix route for the address. */
  noprefixroute?: boolean;
  /** IFA_F_NODAD: no duplicate address detection (IPv6; iproute2 ignores it for IPv4). */
  nodad?: boolean;
}

/**
 * An address request (`ip addr add|del`). ifa_flags holds the IFA_F_* bits when they fit in
 * 8, else IFA_FLAGS holds all of them and ifa_flags is 0 (iproute2 ipaddr_modify).
 * Attribute order: IFA_LOCAL, IFA_BROADCAST (an address), IFA_LABEL, IFA_FLAGS, IFA_ADDRESS,
 * IFA_BROADCAST (computed). An IPv4 delete without `/len` sends no IFA_ADDRESS (iproute2's
 * wildcard deletion).
 */
export function addrRequest(op: 'add' | 'del', o: AddrOptions, resolve: DevResolver): BuiltRequest {
  if (typeof o !== 'object' || o === null) fail(`addr ${op}`, 'expected an options object');
  const what = `addr ${op} ${String(o.address)} dev ${String(o.dev)}`;
  const p = parsePrefix(o.address, `${what}: address`);
  const index = devIndex(o.dev, resolve, what, `${what}: dev`);
  const body: Record<string, unknown> = { family: afOf(p.family), prefixlen: p.len, flags: 0, scope: 0, index };
  const attrs: Record<string, unknown> = { local: p.addr };
  if (typeof o.broadcast === 'string') {
    const br = parseAddress(o.broadcast, `${what}: broadcast`);
    if (br.family !== 4 || p.family !== 4) fail(`${what}: broadcast`, 'broadcast addresses are IPv4');
    attrs.broadcast = br.addr;
  } else if (o.broadcast !== undefined && o.broadcast !== true) fail(`${what}: broadcast`, 'expected an address or true');
  if (o.label !== undefined) {
    if (typeof o.label !== 'string' || o.label === '' || o.label.length > 15) fail(`${what}: label`, 'expected 1 to 15 characters');
    attrs.label = o.label;
  }
  let flags = 0;
  if (o.nodad && p.family === 6) flags |= IFA_F_NODAD;
  if (o.noprefixroute) flags |= IFA_F_NOPREFIXROUTE;
  if (flags > 0xff) attrs.flags = flags;
  else body.flags = flags;
  if (op === 'add' || p.family === 6 || p.lenGiven) attrs.address = p.addr;
  if (o.broadcast === true) {
    if (p.family !== 4) fail(`${what}: broadcast`, 'broadcast addresses are IPv4');
    const bytes = parseIP(p.addr)!;
    const host = p.len >= 32 ? 0 : 0xffffffff >>> p.len;
    const v = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) | host;
    attrs.broadcast = `${v >>> 24 & 255}.${v >>> 16 & 255}.${v >>> 8 & 255}.${v & 255}`;
  }
  if (o.scope !== undefined) {
    body.scope = uint(numberOrName(o.scope, ifaScopeNames, `${what}: scope`, rtScopeAliases), 255, `${what}: scope`);
  } else if (op === 'add' && p.family === 4 && p.addr.startsWith('127.')) body.scope = RT_SCOPE_HOST;
  return { msg: { type: op === 'add' ? RTM_NEWADDR : RTM_DELADDR, flags: op === 'add' ? NLM_F_CREATE | NLM_F_EXCL : 0, body, attrs }, what };
}

/** Options of `addr.list`. */
export interface AddrListOptions {
  family?: IpFamily;
  dev?: Dev;
}

/**
 * The RTM_GETADDR dump (`ip addr show`): ifa_family and ifa_index, which the kernel filters
 * by under NETLINK_GET_STRICT_CHK; {@link addrView}'s caller filters again.
 */
export function addrListRequest(o: AddrListOptions, resolve: DevResolver): BuiltRequest & { filter: { family?: number; index?: number } } {
  const what = 'addr list';
  const filter: { family?: number; index?: number } = {};
  if (o.family !== undefined) {
    if (o.family !== 4 && o.family !== 6) fail(`${what}: family`, 'expected 4 or 6');
    filter.family = afOf(o.family);
  }
  if (o.dev !== undefined) filter.index = devIndex(o.dev, resolve, what, `${what}: dev`);
  return {
    msg: { type: RTM_GETADDR, flags: 0, body: { family: filter.family ?? AF_UNSPEC, prefixlen: 0, flags: 0, scope: 0, index: filter.index ?? 0 }, attrs: {} },
    what, filter,
  };
}

/** An address, iproute2-like (`ip -j addr show`'s addr_info). */
export interface Addr {
  family: IpFamily;
  /** ifa_index and its name. */
  index: number;
  dev?: string;
  /** IFA_LOCAL (the interface's own address); for IPv6 the kernel sends only IFA_ADDRESS, copied here. */
  local?: string;
  /** IFA_ADDRESS (the peer on point-to-point links). */
  address?: string;
  prefixlen: number;
  /** `local/prefixlen`. */
  cidr?: string;
  scope: number;
  scopeName?: string;
  /** IFA_FLAGS (else ifa_flags) names: `permanent`, `nodad`, `noprefixroute`... */
  flags: string[];
  label?: string;
  broadcast?: string;
  anycast?: string;
  /** IFA_CACHEINFO: lifetimes in seconds (0xffffffff = forever). */
  validLft?: number;
  preferredLft?: number;
  /** IFA_RT_PRIORITY. */
  metric?: number;
  proto?: number;
  raw: NlMsg;
}

/** The friendly view of an RTM_NEWADDR / RTM_DELADDR message. */
export function addrView(m: NlMsg, name: DevNamer = () => undefined): Addr | undefined {
  const b = m.body as { family: number; prefixlen: number; flags: number; scope: number; index: number } | undefined;
  if (!b) return undefined;
  const family = ipFamilyOf(b.family);
  if (!family) return undefined;
  const a = (m.attrs ?? {}) as AddrAttrs;
  const r: Record<string, unknown> = { family, index: b.index };
  const n = name(b.index);
  if (n !== undefined) r.dev = n;
  const local = a.local ?? (family === 6 ? a.address : undefined);
  if (local !== undefined) r.local = local;
  if (a.address !== undefined) r.address = a.address;
  r.prefixlen = b.prefixlen;
  if (local !== undefined) r.cidr = `${local}/${b.prefixlen}`;
  named(r, 'scope', b.scope, ifaScopeNames);
  r.flags = bitNames(a.flags ?? b.flags, ifaFlagNames);
  if (a.label !== undefined) r.label = a.label;
  if (a.broadcast !== undefined) r.broadcast = a.broadcast;
  if (a.anycast !== undefined) r.anycast = a.anycast;
  if (a.cacheinfo !== undefined) {
    r.validLft = a.cacheinfo.valid;
    r.preferredLft = a.cacheinfo.prefered;
  }
  if (a.rtPriority !== undefined) r.metric = a.rtPriority;
  if (a.proto !== undefined) r.proto = a.proto;
  r.raw = m;
  return r as unknown as Addr;
}

// ---------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------

/** A range of ports or uids: one number, `[start, end]` or `{start, end}`. */
export type Range = number | readonly [number, number] | { start: number; end: number };

/** Options of `rule.add` and `rule.del` (`ip rule add ...`). */
export interface RuleOptions {
  /** 4 or 6, when no `from` or `to` tells it; default 4 (as `ip rule`). */
  family?: IpFamily;
  /** FRA_PRIORITY (iproute2 `priority`, `pref`). */
  priority?: number;
  /** FRA_SRC with src_len: `'192.0.2.0/24'`. */
  from?: string;
  /** FRA_DST with dst_len. */
  to?: string;
  /** fib_rule_hdr.tos. */
  tos?: number;
  /** FRA_FWMARK. */
  fwmark?: number;
  /** FRA_FWMASK. */
  fwmask?: number;
  /** FRA_IIFNAME: an interface name (it need not exist). */
  iif?: string;
  /** FRA_OIFNAME. */
  oif?: string;
  /** FRA_UID_RANGE. */
  uidrange?: Range;
  /** FRA_IP_PROTO: a number or `'tcp'`, `'udp'`... */
  ipproto?: number | string;
  /** FRA_SPORT_RANGE. */
  sport?: Range;
  /** FRA_DPORT_RANGE. */
  dport?: Range;
  /** FRA_PROTOCOL: who installed the rule. */
  protocol?: number | string;
  /** FRA_L3MDEV: look up the VRF table of the input device. */
  l3mdev?: boolean;
  /** The table to look up (header below 256, else FRA_TABLE); on add the default is main. */
  table?: TableRef;
  /** FRA_SUPPRESS_PREFIXLEN. */
  suppressPrefixlength?: number;
  /** FRA_GOTO target priority; sets the action to goto. */
  goto?: number;
  /** fib_rule_hdr.action: `'goto'`, `'nop'`, `'blackhole'`, `'unreachable'`, `'prohibit'`, or the number. */
  action?: number | string;
  /** FIB_RULE_INVERT: negate the selectors (iproute2 `not`). */
  not?: boolean;
}

function range(v: Range, max: number, what: string): { start: number; end: number } {
  if (typeof v === 'number') return { start: uint(v, max, what), end: v };
  if (Array.isArray(v)) return { start: uint(v[0], max, what), end: uint(v[1], max, what) };
  const r = v as { start: number; end: number };
  if (typeof r === 'object' && r !== null) return { start: uint(r.start, max, what), end: uint(r.end, max, what) };
  fail(what, 'expected a number, [start, end] or {start, end}');
}

/**
 * The one place rule defaults live, as iproute2 6.1 iprule_modify decides them: on add the
 * action is to_tbl (goto with `goto`) and the table main unless a table, an action or
 * l3mdev is given; on del both stay 0 unless given.
 */
export function ruleDefaults(op: 'add' | 'del', r: { table?: number; action?: number; goto: boolean; l3mdev: boolean }): { table: number; action: number } {
  const action = r.action ?? (r.goto ? FR_ACT_GOTO : op === 'add' ? FR_ACT_TO_TBL : FR_ACT_UNSPEC);
  const tableOk = r.table !== undefined || r.action !== undefined || r.goto || r.l3mdev;
  const table = r.table ?? (op === 'add' && !tableOk ? RT_TABLE_MAIN : 0);
  return { table, action };
}

/**
 * A rule request (`ip rule add|del`). Attribute order: FRA_PRIORITY, FRA_SRC, FRA_DST,
 * FRA_FWMARK, FRA_FWMASK, FRA_IIFNAME, FRA_OIFNAME, FRA_UID_RANGE, FRA_IP_PROTO,
 * FRA_SPORT_RANGE, FRA_DPORT_RANGE, FRA_PROTOCOL, FRA_L3MDEV, FRA_TABLE,
 * FRA_SUPPRESS_PREFIXLEN, FRA_GOTO.
 */
export function ruleRequest(op: 'add' | 'del', o: RuleOptions): BuiltRequest {
  if (typeof o !== 'object' || o === null) fail(`rule ${op}`, 'expected an options object');
  const what = `rule ${op}${o.priority !== undefined ? ` priority ${o.priority}` : ''}`
    + `${o.from !== undefined ? ` from ${o.from}` : ''}${o.to !== undefined ? ` to ${o.to}` : ''}`;
  const from = o.from === undefined || isDefault(o.from) ? undefined : parsePrefix(o.from, `${what}: from`);
  const to = o.to === undefined || isDefault(o.to) ? undefined : parsePrefix(o.to, `${what}: to`);
  const family: IpFamily = from?.family ?? to?.family ?? o.family ?? 4;
  for (const [k, p] of [['from', from], ['to', to]] as const) {
    if (p && p.family !== family) fail(`${what}: ${k}`, `not an IPv${family} prefix`);
  }
  const body: Record<string, unknown> = {
    family: afOf(family), dstLen: to?.len ?? 0, srcLen: from?.len ?? 0, tos: 0, table: 0, res1: 0, res2: 0,
    action: 0, flags: o.not ? FIB_RULE_INVERT : 0,
  };
  if (o.tos !== undefined) body.tos = uint(o.tos, 255, `${what}: tos`);
  const attrs: Record<string, unknown> = {};
  if (o.priority !== undefined) attrs.priority = u32(o.priority, `${what}: priority`);
  if (from) attrs.src = from.addr;
  if (to) attrs.dst = to.addr;
  if (o.fwmark !== undefined) attrs.fwmark = u32(o.fwmark, `${what}: fwmark`);
  if (o.fwmask !== undefined) attrs.fwmask = u32(o.fwmask, `${what}: fwmask`);
  if (o.iif !== undefined) attrs.iifname = o.iif;
  if (o.oif !== undefined) attrs.oifname = o.oif;
  if (o.uidrange !== undefined) attrs.uidRange = range(o.uidrange, 0xffffffff, `${what}: uidrange`);
  if (o.ipproto !== undefined) {
    attrs.ipProto = uint(numberOrName(o.ipproto, ipProtoNames, `${what}: ipproto`, ipProtoAliases), 255, `${what}: ipproto`);
  }
  if (o.sport !== undefined) attrs.sportRange = range(o.sport, 0xffff, `${what}: sport`);
  if (o.dport !== undefined) attrs.dportRange = range(o.dport, 0xffff, `${what}: dport`);
  if (o.protocol !== undefined) {
    attrs.protocol = uint(numberOrName(o.protocol, rtprotNames, `${what}: protocol`), 255, `${what}: protocol`);
  }
  if (o.l3mdev) attrs.l3mdev = 1;
  const actionAliases = { to_tbl: FR_ACT_TO_TBL, lookup: FR_ACT_TO_TBL, table: FR_ACT_TO_TBL };
  const d = ruleDefaults(op, {
    ...(o.table !== undefined ? { table: tableId(o.table, `${what}: table`) } : {}),
    ...(o.action !== undefined ? { action: uint(numberOrName(o.action, ruleActionNames, `${what}: action`, actionAliases), 255, `${what}: action`) } : {}),
    goto: o.goto !== undefined, l3mdev: !!o.l3mdev,
  });
  if (d.table < 256) body.table = d.table;
  else attrs.table = d.table;
  body.action = d.action;
  if (o.suppressPrefixlength !== undefined) attrs.suppressPrefixlen = u32(o.suppressPrefixlength, `${what}: suppressPrefixlength`);
  if (o.goto !== undefined) attrs.goto = u32(o.goto, `${what}: goto`);
  return { msg: { type: op === 'add' ? RTM_NEWRULE : RTM_DELRULE, flags: op === 'add' ? NLM_F_CREATE | NLM_F_EXCL : 0, body, attrs }, what };
}

/** The RTM_GETRULE dump (`ip rule show`): the family in fib_rule_hdr, AF_UNSPEC for both. */
export function ruleListRequest(o: { family?: IpFamily }): BuiltRequest {
  if (o.family !== undefined && o.family !== 4 && o.family !== 6) fail('rule list: family', 'expected 4 or 6');
  return {
    msg: { type: RTM_GETRULE, flags: 0, body: { family: o.family === undefined ? AF_UNSPEC : afOf(o.family), dstLen: 0, srcLen: 0, tos: 0, table: 0, res1: 0, res2: 0, action: 0, flags: 0 }, attrs: {} },
    what: 'rule list',
  };
}

/** A policy routing rule, iproute2-like (`ip -j rule show`), with the kernel's key names. */
export interface Rule {
  family: IpFamily;
  /** FRA_PRIORITY; the kernel leaves it out for priority 0, so that is 0 here. */
  priority: number;
  /** FRA_SRC with src_len (`ip -j`'s `src`), written like a route's dst. */
  src?: string;
  dst?: string;
  tos: number;
  /** FRA_TABLE, else the header's table. */
  table: number;
  tableName?: string;
  action: number;
  actionName?: string;
  /** FIB_RULE_* names: `not`, `unresolved`, `iif_detached`... */
  flags: string[];
  fwmark?: number;
  fwmask?: number;
  iifname?: string;
  oifname?: string;
  uidrange?: { start: number; end: number };
  ipproto?: number;
  sport?: { start: number; end: number };
  dport?: { start: number; end: number };
  protocol?: number;
  protocolName?: string;
  goto?: number;
  l3mdev?: number;
  suppressPrefixlen?: number;
  suppressIfgroup?: number;
  raw: NlMsg;
}

/** The friendly view of an RTM_NEWRULE / RTM_DELRULE message. */
export function ruleView(m: NlMsg): Rule | undefined {
  const b = m.body as { family: number; dstLen: number; srcLen: number; tos: number; table: number; action: number; flags: number } | undefined;
  if (!b) return undefined;
  const family = ipFamilyOf(b.family);
  if (!family) return undefined;
  const a = (m.attrs ?? {}) as RuleAttrs;
  const r: Record<string, unknown> = { family };
  // fib_nl_fill_rule puts FRA_PRIORITY only when it is not 0.
  r.priority = a.priority ?? 0;
  if (a.src !== undefined) r.src = prefixText(a.src, b.srcLen, family);
  if (a.dst !== undefined) r.dst = prefixText(a.dst, b.dstLen, family);
  r.tos = b.tos;
  named(r, 'table', a.table ?? b.table, rtTableNames);
  named(r, 'action', b.action, ruleActionNames);
  r.flags = bitNames(b.flags, ruleFlagNames);
  if (a.fwmark !== undefined) r.fwmark = a.fwmark;
  if (a.fwmask !== undefined) r.fwmask = a.fwmask;
  if (a.iifname !== undefined) r.iifname = a.iifname;
  if (a.oifname !== undefined) r.oifname = a.oifname;
  if (a.uidRange !== undefined) r.uidrange = { start: a.uidRange.start, end: a.uidRange.end };
  if (a.ipProto !== undefined) r.ipproto = a.ipProto;
  if (a.sportRange !== undefined) r.sport = { start: a.sportRange.start, end: a.sportRange.end };
  if (a.dportRange !== undefined) r.dport = { start: a.dportRange.start, end: a.dportRange.end };
  if (a.protocol !== undefined) named(r, 'protocol', a.protocol, rtprotNames);
  if (a.goto !== undefined) r.goto = a.goto;
  if (a.l3mdev !== undefined) r.l3mdev = a.l3mdev;
  if (a.suppressPrefixlen !== undefined) r.suppressPrefixlen = a.suppressPrefixlen;
  if (a.suppressIfgroup !== undefined) r.suppressIfgroup = a.suppressIfgroup;
  r.raw = m;
  return r as unknown as Rule;
}

// ---------------------------------------------------------------------------------------
// Neighbours
// ---------------------------------------------------------------------------------------

/** Options of `neigh.list`. */
export interface NeighListOptions {
  family?: IpFamily;
  dev?: Dev;
}

/**
 * The RTM_GETNEIGH dump (`ip neigh show`): ndm_family, and NDA_IFINDEX for a device (the
 * kernel filters by it under NETLINK_GET_STRICT_CHK; the caller filters again). Unlike
 * `ip neigh show`, NOARP entries are not hidden.
 */
export function neighListRequest(o: NeighListOptions, resolve: DevResolver): BuiltRequest & { filter: { family?: number; index?: number } } {
  const what = 'neigh list';
  const filter: { family?: number; index?: number } = {};
  if (o.family !== undefined) {
    if (o.family !== 4 && o.family !== 6) fail(`${what}: family`, 'expected 4 or 6');
    filter.family = afOf(o.family);
  }
  const attrs: Record<string, unknown> = {};
  if (o.dev !== undefined) attrs.ifindex = filter.index = devIndex(o.dev, resolve, what, `${what}: dev`);
  return {
    msg: { type: RTM_GETNEIGH, flags: 0, body: { family: filter.family ?? AF_UNSPEC, pad1: 0, pad2: 0, ifindex: 0, state: 0, flags: 0, type: 0 }, attrs },
    what, filter,
  };
}

/** A neighbour entry, iproute2-like (`ip -j neigh show`). */
export interface Neigh {
  family: IpFamily;
  ifindex: number;
  dev?: string;
  /** NDA_DST. */
  dst?: string;
  /** NDA_LLADDR. */
  lladdr?: string;
  /** NUD_* names (`REACHABLE`, `STALE`, `PERMANENT`...); `NONE` for 0. */
  state: string[];
  /** NTF_* names (`router`, `proxy`...). */
  flags: string[];
  probes?: number;
  protocol?: number;
  raw: NlMsg;
}

/** The friendly view of an RTM_NEWNEIGH / RTM_DELNEIGH message (IP families only). */
export function neighView(m: NlMsg, name: DevNamer = () => undefined): Neigh | undefined {
  const b = m.body as { family: number; ifindex: number; state: number; flags: number } | undefined;
  if (!b) return undefined;
  const family = ipFamilyOf(b.family);
  if (!family) return undefined;
  const a = (m.attrs ?? {}) as NeighAttrs;
  const r: Record<string, unknown> = { family, ifindex: b.ifindex };
  const n = name(b.ifindex);
  if (n !== undefined) r.dev = n;
  if (a.dst !== undefined) r.dst = a.dst;
  if (a.lladdr !== undefined) r.lladdr = a.lladdr;
  r.state = b.state === 0 ? ['NONE'] : bitNames(b.state, nudStateNames);
  r.flags = bitNames(b.flags, ntfFlagNames);
  if (a.probes !== undefined) r.probes = a.probes;
  if (a.protocol !== undefined) r.protocol = a.protocol;
  r.raw = m;
  return r as unknown as Neigh;
}

/** Message types of the views, for the monitor. */
export const viewTypes = {
  route: [RTM_NEWROUTE, RTM_DELROUTE],
  link: [RTM_NEWLINK, RTM_DELLINK],
  addr: [RTM_NEWADDR, RTM_DELADDR],
  rule: [RTM_NEWRULE, RTM_DELRULE],
  neigh: [RTM_NEWNEIGH, RTM_DELNEIGH],
} as const;

/** The link names a link dump gives, by index; a name's index, by name. */
export function linkNames(msgs: readonly NlMsg[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const m of msgs) {
    const idx = (m.body as { index?: number } | undefined)?.index;
    const nm = (m.attrs as LinkAttrs | undefined)?.ifname;
    if (idx !== undefined && nm !== undefined) out.set(idx, nm);
  }
  return out;
}

