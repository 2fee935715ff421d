/**
 * "Why this source address": the story of one route lookup, told from the kernel's own
 * answers (issue 4).
 *
 * ```ts
 * const r = await why(nl, { dst: '203.0.113.5' });
 * r.rule;            // { priority: 32766, table: 254, tableName: 'main', text: 'from all lookup main', ... }
 * r.route.dst;       // '203.0.113.0/25' (the FIB entry that matched, not the /32)
 * r.egress;          // { dev: 'veth0', gateway: '192.0.2.1' }
 * r.source;          // { address: '192.0.2.10', origin: 'kernel-choice', candidates: [...] }
 * ```
 *
 * Three steps, each checked against the kernel:
 *
 * 1. The rules (`ip rule`) are evaluated here, in the kernel's order, as fib_rules_lookup,
 *    fib_rule_match and fib4_rule_match / fib6_rule_match do (net/core/fib_rules.c,
 *    net/ipv4/fib_rules.c, net/ipv6/fib6_rules.c), and each table a rule looks up is dumped
 *    and searched for the longest matching prefix. A route get with RTM_F_FIB_MATCH then
 *    says which FIB entry, of which table, the kernel really used: the two must agree, and
 *    the report says so when they do not (the kernel's answer is the one the story follows).
 * 2. The egress interface and gateway are the kernel's (a plain route get).
 * 3. The source: RTA_PREFSRC of the route when it has one; otherwise the kernel's choice,
 *    replayed here with the candidates and the reason each won or lost: IPv4
 *    inet_select_addr (net/ipv4/devinet.c), IPv6 ipv6_dev_get_saddr (net/ipv6/addrconf.c,
 *    RFC 6724). It must equal the RTA_PREFSRC of a plain route get.
 *
 * Not modelled (the kernel's answer still stands, and disagreements are reported): VRFs
 * (l3mdev), `ip addrlabel` changes (the default RFC 6724 labels are used), the
 * use_tempaddr and use_oif_addrs_only sysctls (taken as 0), route_localnet,
 * ignore_routes_with_linkdown, and IPv6 neighbour reachability between equal routes.
 *
 * @module
 */
import type { Rtnl } from './client.js';
import { NetlinkError, EncodeError } from '../netlink/errors.js';
import { parseIP, formatIP } from '../netlink/ip.js';
import {
  type Route, type Rule, type Addr, type Link, type IpFamily, type RouteGetOptions, type Dev,
  parseAddress, numberOrName, ipProtoAliases,
} from './request.js';
import type { RouteAttrs } from './route.js';
import type { AddrAttrs } from './addr.js';
import type { RuleAttrs } from './rule.js';
import {
  ipProtoNames, FIB_RULE_INVERT, FIB_RULE_IIF_DETACHED, FIB_RULE_OIF_DETACHED, FIB_RULE_FIND_SADDR,
  FR_ACT_TO_TBL, FR_ACT_GOTO, FR_ACT_NOP, FR_ACT_BLACKHOLE, FR_ACT_UNREACHABLE, FR_ACT_PROHIBIT,
} from './rule.js';
import {
  IFA_F_SECONDARY, IFA_F_OPTIMISTIC, IFA_F_DEPRECATED, IFA_F_TENTATIVE, IFA_F_HOMEADDRESS,
} from './addr.js';
import { rtTableNames } from './route.js';

/** What {@link why} is asked: the selectors of `ip route get`. */
export interface WhyQuery {
  /** The destination address. */
  dst: string;
  /** A source address the socket is bound to (RTA_SRC, `ip route get ... from`). */
  from?: string;
  /** Simulate a packet arriving on this interface (forwarding); needs `from`. */
  iif?: Dev;
  /** An output interface the socket is bound to (SO_BINDTODEVICE, RTA_OIF). */
  oif?: Dev;
  /** Firewall mark (SO_MARK). Default 0. */
  mark?: number;
  /** The socket owner's uid. Default: this process's, as the kernel does for a route get. */
  uid?: number;
  /** IP protocol: a number or `'tcp'`, `'udp'`, `'icmp'`, `'ipv6-icmp'`, `'sctp'`, `'dccp'`. */
  ipproto?: number | string;
  sport?: number;
  dport?: number;
  /** rtm_tos. */
  tos?: number;
}

/** One rule of the walk, in the kernel's order, up to the one that decided. */
export interface WhyRuleStep {
  priority: number;
  /** The rule as `ip rule show` prints it. */
  text: string;
  /**
   * `no-match`: a selector differs; `nop`; `goto` (jumps); `no-route`: the table has no
   * route for the destination (or a `throw` route), the walk goes on; `suppressed`: a route
   * was found but suppress_prefixlength / suppress_ifgroup rejected it; `route`: the lookup
   * succeeded, the walk ends; `error`: the rule or a reject route ends the walk with an
   * error; `unknown`: nlwire cannot evaluate the rule (the kernel decides).
   */
  outcome: 'no-match' | 'nop' | 'goto' | 'no-route' | 'suppressed' | 'route' | 'error' | 'unknown';
  /** Why, in words. */
  detail: string;
  /** The table looked up, for lookup rules that matched. */
  table?: number;
  /** The route found in it (`dst` prefix). */
  route?: string;
}

/** The rule that decided. */
export interface WhyRule {
  priority: number;
  table: number;
  tableName?: string;
  action: string;
  text: string;
  /** True when the kernel's RTM_F_FIB_MATCH answer came from this rule's table. */
  confirmed: boolean;
}

/** The FIB entry that matched, iproute2-like. */
export interface WhyRoute {
  /** The matched prefix: `'203.0.113.0/24'`, `'default'`. */
  dst: string;
  table: number;
  tableName?: string;
  type: string;
  gateway?: string;
  via?: string;
  dev?: string;
  prefsrc?: string;
  protocol: string;
  scope: string;
  metric?: number;
  nexthops?: { gateway?: string; dev?: string; weight: number }[];
  nhid?: number;
}

/** One address the kernel could have chosen. */
export interface WhyCandidate {
  address: string;
  prefixlen: number;
  dev: string;
  /** `global`, `link`, `host`... */
  scope: string;
  /** IFA_F_SECONDARY (IPv4 only). */
  secondary: boolean;
  /** The address's flags as `ip -j` names them. */
  flags: string[];
  chosen: boolean;
  reason: string;
}

/** Where the source address comes from. */
export type WhySourceOrigin =
  /** RTA_PREFSRC of the route (`ip route ... src`, FRR `set src`, BIRD `krt_prefsrc`). */
  | 'prefsrc'
  /** No prefsrc: the kernel chose among the interfaces' addresses. */
  | 'kernel-choice'
  /** The query's `from`: a bound socket, or a forwarded packet keeping its source. */
  | 'from';

/** The source address and how it was chosen. */
export interface WhySource {
  address: string;
  origin: WhySourceOrigin;
  /** The kernel function whose choice this is, for `kernel-choice`. */
  algorithm?: string;
  /** Every address considered (or that would be, without the prefsrc), with the verdict. */
  candidates: WhyCandidate[];
  /** RTA_PREFSRC of the plain route get, which `address` must equal (absent for `from`). */
  kernelPrefsrc?: string;
  /** True when `address` is what the kernel says. */
  agrees: boolean;
}

/** What an application (or its administrator) could do instead. */
export interface WhyAdvice {
  kind: 'bind' | 'bindtodevice' | 'route-src' | 'rule' | 'daemon';
  text: string;
  /** A command to run, where there is one. */
  command?: string;
  /** What the kernel answers with the change (for `bind` and `bindtodevice`). */
  result?: { source?: string; dev?: string; gateway?: string; table?: number; rule?: number; error?: string; onLink?: boolean };
}

/** A route get's answer (or refusal), as JSON. */
export type WhyKernelAnswer = Record<string, unknown> | { error: string; message: string };

/** The whole story. Stable JSON: `nlwire why -j` prints it. */
export interface WhyReport {
  query: WhyQuery & { family: IpFamily; uid: number; mark: number };
  /** The rule whose lookup decided; null when none did (no route) or it cannot be named. */
  rule: WhyRule | null;
  /** The rule walk, up to the deciding rule. */
  rules: WhyRuleStep[];
  /** The FIB entry used (the kernel's RTM_F_FIB_MATCH answer); null when there is none. */
  route: WhyRoute | null;
  egress: { dev: string; gateway?: string } | null;
  source: WhySource | null;
  kernel: {
    get: WhyKernelAnswer;
    fibmatch: WhyKernelAnswer;
    /** True when nlwire's evaluation says what the kernel says. */
    agrees: boolean;
    /** Where they differ, or what nlwire could not evaluate. */
    notes: string[];
  };
  advice: WhyAdvice[];
  /** The kernel refused the lookup: the errno name and what it means. */
  error?: { code: string; message: string };
}

type Bytes = Uint8Array;

// ---------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------

function ipBytes(text: string): Bytes {
  const b = parseIP(text);
  if (!b) throw new EncodeError(`not an IP address: "${text}"`, 'why');
  return b;
}

/** True when the first `len` bits of `addr` and `prefix` are equal. */
function inPrefix(addr: Bytes, prefix: Bytes | undefined, len: number): boolean {
  if (len <= 0) return true;
  if (!prefix || prefix.length !== addr.length) return false;
  const full = len >> 3;
  for (let i = 0; i < full; i++) if (addr[i] !== prefix[i]) return false;
  const rem = len & 7;
  if (rem === 0) return true;
  const m = (0xff << (8 - rem)) & 0xff;
  return ((addr[full]! ^ prefix[full]!) & m) === 0;
}

/** Leading bits `a` and `b` have in common (ipv6_addr_diff). */
function commonBits(a: Bytes, b: Bytes): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! ^ b[i]!;
    if (x) return i * 8 + Math.clz32(x) - 24;
  }
  return a.length * 8;
}

/** `addr/len` with the host bits cleared: `192.0.2.0/24`. */
function networkText(addr: Bytes, len: number): string {
  const b = addr.slice();
  for (let i = 0; i < b.length; i++) {
    const keep = Math.max(0, Math.min(8, len - i * 8));
    b[i] = b[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return `${formatIP(b)}/${len}`;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** IPV6_ADDR_SCOPE_* of an address as __ipv6_addr_src_scope computes it; -1 for `::`. */
function v6Scope(b: Bytes): number {
  if (b.every((x) => x === 0)) return -1;
  if (b[0] === 0xff) return b[1]! & 0x0f;
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 0x2;
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return 0x5;
  if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return 0x1;
  return 0xe;
}

const v6ScopeNames: Readonly<Record<number, string>> = {
  [-1]: 'unspecified', 1: 'host', 2: 'link', 5: 'site', 8: 'organisation', 0xe: 'global',
};

/** The default policy table of RFC 6724 as the kernel installs it (ip6addrlbl_init_table). */
const defaultLabels: readonly { prefix: Bytes; len: number; label: number }[] = [
  ['::', 0, 1], ['fc00::', 7, 5], ['fec0::', 10, 11], ['2002::', 16, 2], ['3ffe::', 16, 12],
  ['2001::', 32, 6], ['2001:10::', 28, 7], ['::ffff:0:0', 96, 4], ['::', 96, 3], ['::1', 128, 0],
].map(([p, len, label]) => ({ prefix: ipBytes(p as string), len: len as number, label: label as number }));

/** The RFC 6724 label of an address (ipv6_addr_label), with the default policy table. */
function v6Label(b: Bytes): number {
  let best = { len: -1, label: 1 };
  for (const e of defaultLabels) if (e.len > best.len && inPrefix(b, e.prefix, e.len)) best = e;
  return best.label;
}

/** 2001:10::/28, ORCHID (ipv6_addr_orchid). */
function isOrchid(b: Bytes): boolean {
  return inPrefix(b, defaultLabels[6]!.prefix, 28);
}

/** IFA_FLAGS, else ifa_flags, of an address. */
function addrFlags(a: Addr): number {
  const attrs = (a.raw.attrs ?? {}) as AddrAttrs;
  return attrs.flags ?? (a.raw.body as { flags: number }).flags;
}

// ---------------------------------------------------------------------------------------
// The flow and the rules
// ---------------------------------------------------------------------------------------

/** The lookup key, as the kernel builds it for a route get (inet_rtm_getroute). */
interface Flow {
  family: IpFamily;
  dst: Bytes;
  dstText: string;
  /** The query's `from`; absent means 0.0.0.0 / :: (no source chosen yet). */
  src?: Bytes;
  srcText?: string;
  /** flowi_iif: the input interface, LOOPBACK_IFINDEX for locally generated packets. */
  iif: number;
  iifName: string;
  input: boolean;
  /** flowi_oif: 0 when the socket is not bound to an interface. */
  oif: number;
  oifName?: string;
  mark: number;
  uid: number;
  ipproto: number;
  sport: number;
  dport: number;
  tos: number;
}

/** What the evaluation knows about the namespace. */
interface Ctx {
  nl: Rtnl;
  family: IpFamily;
  rules: Rule[];
  links: Link[];
  tables: Map<number, Promise<Route[]>>;
}

function linkByIndex(ctx: Ctx, index: number): Link | undefined {
  return ctx.links.find((l) => l.index === index);
}

function linkByName(ctx: Ctx, name: string): Link | undefined {
  return ctx.links.find((l) => l.ifname === name);
}

function devName(ctx: Ctx, index: number | undefined): string | undefined {
  return index === undefined ? undefined : linkByIndex(ctx, index)?.ifname;
}

const actionWords: Readonly<Record<number, string>> = {
  [FR_ACT_TO_TBL]: 'lookup', [FR_ACT_GOTO]: 'goto', [FR_ACT_NOP]: 'nop',
  [FR_ACT_BLACKHOLE]: 'blackhole', [FR_ACT_UNREACHABLE]: 'unreachable', [FR_ACT_PROHIBIT]: 'prohibit',
};

/** The errno each rule action ends the lookup with (fib4_rule_action, fib6_rule_action). */
const actionErrors: Readonly<Record<number, string>> = {
  [FR_ACT_BLACKHOLE]: 'EINVAL', [FR_ACT_UNREACHABLE]: 'ENETUNREACH', [FR_ACT_PROHIBIT]: 'EACCES',
};

/** The errno each reject route type gives (fib_props, ip6_rt_type_to_error). */
const routeTypeErrors: Readonly<Record<string, string>> = {
  blackhole: 'EINVAL', unreachable: 'EHOSTUNREACH', prohibit: 'EACCES', nat: 'EINVAL', xresolve: 'EINVAL',
};

const errnoMeaning: Readonly<Record<string, string>> = {
  ENETUNREACH: 'Network is unreachable', EHOSTUNREACH: 'No route to host', EACCES: 'Permission denied',
  EINVAL: 'Invalid argument (a blackhole)', EPERM: 'Operation not permitted',
};

const UNSET = 0xffffffff;

function tableText(t: number): string {
  return rtTableNames[t] ?? String(t);
}

function rangeText(r: { start: number; end: number }): string {
  return r.start === r.end ? String(r.start) : `${r.start}-${r.end}`;
}

/** A rule as `ip rule show` prints it (without the priority). */
export function ruleText(r: Rule): string {
  const flags = (r.raw.body as { flags: number }).flags;
  const w: string[] = [];
  if (flags & FIB_RULE_INVERT) w.push('not');
  w.push('from', r.src ?? 'all');
  if (r.dst !== undefined) w.push('to', r.dst);
  if (r.tos) w.push('tos', hex(r.tos));
  if (r.fwmark !== undefined || r.fwmask !== undefined) {
    const mark = r.fwmark ?? 0;
    w.push('fwmark', r.fwmask === undefined || r.fwmask === UNSET ? hex(mark) : `${hex(mark)}/${hex(r.fwmask)}`);
  }
  if (r.iifname !== undefined) w.push('iif', r.iifname + (flags & FIB_RULE_IIF_DETACHED ? ' [detached]' : ''));
  if (r.oifname !== undefined) w.push('oif', r.oifname + (flags & FIB_RULE_OIF_DETACHED ? ' [detached]' : ''));
  if (r.l3mdev) w.push('lookup [l3mdev-table]');
  if (r.uidrange) w.push('uidrange', `${r.uidrange.start}-${r.uidrange.end}`);
  if (r.ipproto !== undefined) w.push('ipproto', ipProtoNames[r.ipproto] ?? String(r.ipproto));
  if (r.sport) w.push('sport', rangeText(r.sport));
  if (r.dport) w.push('dport', rangeText(r.dport));
  if (r.action === FR_ACT_TO_TBL) {
    if (!r.l3mdev) w.push('lookup', tableText(r.table));
  } else if (r.action === FR_ACT_GOTO) {
    w.push('goto', String(r.goto ?? 'none'));
  } else {
    w.push(actionWords[r.action] ?? `action ${r.action}`);
  }
  if (r.suppressPrefixlen !== undefined && r.suppressPrefixlen !== UNSET) w.push('suppress_prefixlength', String(r.suppressPrefixlen));
  if (r.suppressIfgroup !== undefined && r.suppressIfgroup !== UNSET) w.push('suppress_ifgroup', String(r.suppressIfgroup));
  return w.join(' ');
}

type Verdict = { ok: true; why: string } | { ok: false; why: string } | { ok: 'unknown'; why: string };

/** The selectors of fib_rule_match and fib4_rule_match / fib6_rule_match, before `not`. */
function selectors(ctx: Ctx, r: Rule, f: Flow): Verdict {
  const body = r.raw.body as { flags: number; srcLen: number; dstLen: number };
  const attrs = (r.raw.attrs ?? {}) as RuleAttrs;
  if (r.iifname !== undefined) {
    const l = linkByName(ctx, r.iifname);
    if (!l || body.flags & FIB_RULE_IIF_DETACHED) return { ok: false, why: `iif ${r.iifname} does not exist (the rule is detached)` };
    if (l.index !== f.iif) {
      return { ok: false, why: `the packet comes from ${f.iifName}${f.input ? '' : ' (locally generated)'}, not ${r.iifname}` };
    }
  }
  if (r.oifname !== undefined) {
    const l = linkByName(ctx, r.oifname);
    if (!l || body.flags & FIB_RULE_OIF_DETACHED) return { ok: false, why: `oif ${r.oifname} does not exist (the rule is detached)` };
    if (l.index !== f.oif) {
      return { ok: false, why: f.oif ? `the socket is bound to ${f.oifName}, not ${r.oifname}` : `the socket is not bound to an interface (SO_BINDTODEVICE), the rule needs oif ${r.oifname}` };
    }
  }
  const mark = r.fwmark ?? 0;
  const mask = r.fwmask ?? (r.fwmark !== undefined ? UNSET : 0);
  if (((mark ^ f.mark) & mask) >>> 0) {
    return { ok: false, why: `mark ${hex(f.mark)} & ${hex(mask)} is not ${hex(mark & mask)}` };
  }
  if (attrs.tunId !== undefined && attrs.tunId !== 0n) return { ok: false, why: 'the lookup has no tunnel id' };
  if (r.l3mdev) {
    const devs = [f.oif, f.input ? f.iif : 0].filter((i) => i > 0).map((i) => linkByIndex(ctx, i));
    if (!devs.some((l) => l?.master !== undefined || l?.kind === 'vrf')) {
      return { ok: false, why: 'no interface of the lookup is in a VRF (l3mdev)' };
    }
    return { ok: 'unknown', why: 'VRF (l3mdev) rules are not evaluated by nlwire' };
  }
  const uid = r.uidrange;
  if (uid && (f.uid < uid.start || f.uid > uid.end)) return { ok: false, why: `uid ${f.uid} is not in ${uid.start}-${uid.end}` };
  if (body.srcLen > 0) {
    const src = r.src !== undefined ? ipBytes(r.src.split('/')[0]!) : undefined;
    if (f.src) {
      if (!inPrefix(f.src, src, body.srcLen)) return { ok: false, why: `source ${f.srcText} is not in ${r.src}` };
    } else if (f.family === 6 && body.flags & FIB_RULE_FIND_SADDR) {
      return { ok: 'unknown', why: 'find_saddr: the kernel picks a source and checks it against the rule' };
    } else {
      const zero = new Uint8Array(f.dst.length);
      if (f.family === 6 || !inPrefix(zero, src, body.srcLen)) {
        return { ok: false, why: `no source is chosen yet (${f.family === 4 ? '0.0.0.0' : '::'}: the socket is not bound), so it is not in ${r.src}` };
      }
    }
  }
  if (body.dstLen > 0) {
    const dst = r.dst !== undefined ? ipBytes(r.dst.split('/')[0]!) : undefined;
    if (!inPrefix(f.dst, dst, body.dstLen)) return { ok: false, why: `${f.dstText} is not in ${r.dst}` };
  }
  if (r.tos && r.tos !== f.tos) return { ok: false, why: `tos ${hex(f.tos)} is not ${hex(r.tos)}` };
  if (r.ipproto && r.ipproto !== f.ipproto) {
    return { ok: false, why: `ipproto ${f.ipproto ? ipProtoNames[f.ipproto] ?? f.ipproto : 'unspecified'} is not ${ipProtoNames[r.ipproto] ?? r.ipproto}` };
  }
  for (const [k, range, port] of [['sport', r.sport, f.sport], ['dport', r.dport, f.dport]] as const) {
    if (range && range.start && range.end && (port < range.start || port > range.end)) {
      return { ok: false, why: `${k} ${port || 'unspecified'} is not in ${rangeText(range)}` };
    }
  }
  return { ok: true, why: 'every selector matches' };
}

function matchRule(ctx: Ctx, r: Rule, f: Flow): Verdict {
  const v = selectors(ctx, r, f);
  if (!((r.raw.body as { flags: number }).flags & FIB_RULE_INVERT) || v.ok === 'unknown') return v;
  return v.ok ? { ok: false, why: `${v.why}, and \`not\` inverts that` } : { ok: true, why: `${v.why}, and \`not\` inverts that` };
}

// ---------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------

function routesOf(ctx: Ctx, table: number): Promise<Route[]> {
  let p = ctx.tables.get(table);
  if (!p) {
    p = (async () => {
      const out: Route[] = [];
      try {
        for await (const page of ctx.nl.route.list({ family: ctx.family, table }).pages()) {
          for (const r of page) out.push(r);
        }
      } catch (err) {
        // A table no route was ever added to does not exist (table default, usually): the
        // lookup finds nothing there, as fib4_rule_action's -EAGAIN.
        if (err instanceof NetlinkError && err.code === 'ENOENT') return [];
        throw err;
      }
      return out;
    })();
    ctx.tables.set(table, p);
  }
  return p;
}

function routeDst(r: Route): Bytes | undefined {
  const a = (r.raw.attrs ?? {}) as RouteAttrs;
  return a.dst === undefined ? undefined : ipBytes(a.dst);
}

function routeOifs(r: Route): number[] {
  const out: number[] = [];
  if (r.oif !== undefined) out.push(r.oif);
  for (const h of r.multipath ?? []) if (h.ifindex) out.push(h.ifindex);
  return out;
}

type TableResult =
  | { kind: 'route'; route: Route }
  | { kind: 'none'; why: string }
  | { kind: 'throw'; route: Route }
  | { kind: 'reject'; route: Route; code: string };

/**
 * fib_table_lookup / fib6_table_lookup as far as a dump shows it: the longest matching
 * prefix; among equal prefixes, a matching tos first, then the lowest metric; entries whose
 * next hops are dead or (when bound) on another interface are passed over.
 */
async function lookupTable(ctx: Ctx, table: number, f: Flow): Promise<TableResult> {
  const routes = (await routesOf(ctx, table)).filter((r) => {
    if (!inPrefix(f.dst, routeDst(r), r.dstLen)) return false;
    const srcLen = (r.raw.body as { srcLen: number }).srcLen;
    if (srcLen > 0) {
      const a = (r.raw.attrs ?? {}) as RouteAttrs;
      if (!f.src || !inPrefix(f.src, a.src === undefined ? undefined : ipBytes(a.src), srcLen)) return false;
    }
    return !r.tos || r.tos === f.tos;
  });
  routes.sort((a, b) => b.dstLen - a.dstLen || (b.tos ? 1 : 0) - (a.tos ? 1 : 0) || (a.metric ?? 0) - (b.metric ?? 0));
  for (const r of routes) {
    const type = r.typeName ?? String(r.type);
    if (type === 'throw') return { kind: 'throw', route: r };
    const code = routeTypeErrors[type];
    if (code) return { kind: 'reject', route: r, code };
    if (r.flags.includes('dead')) continue;
    if (f.oif && r.nhid === undefined && !routeOifs(r).includes(f.oif)) continue;
    return { kind: 'route', route: r };
  }
  return { kind: 'none', why: `table ${tableText(table)} has no route to ${f.dstText}${f.oif ? ` via ${f.oifName}` : ''}` };
}

/** What the rule walk concluded. */
interface Evaluation {
  steps: WhyRuleStep[];
  /** The rule that ended the walk (a lookup that found a route, or an error). */
  rule?: Rule;
  route?: Route;
  /** The errno name when the walk ends in an error. */
  error?: string;
  /** Rules nlwire could not evaluate. */
  unknown: string[];
}

/**
 * The checks before the rules, then the rules: an IPv4 source that is not this host's
 * makes ip_route_output_key_hash_rcu fail before any lookup (__ip_dev_find).
 */
async function evaluateFlow(ctx: Ctx, f: Flow): Promise<Evaluation & { notes: string[] }> {
  if (f.family === 4 && f.src && !f.input && !f.src.every((b) => b === 0)) {
    const local = (await routesOf(ctx, 255)).some((r) => r.typeName === 'local' && inPrefix(f.src!, routeDst(r), r.dstLen));
    if (!local) {
      return {
        steps: [], error: 'ENETUNREACH', unknown: [],
        notes: [`from ${f.srcText} is not an address of this host, so the kernel refuses before looking at any rule (ip_route_output_key_hash_rcu: __ip_dev_find fails)`],
      };
    }
  }
  return { ...(await evaluate(ctx, f)), notes: [] };
}

/** fib_rules_lookup: the rules in order, goto, nop, suppress, the table lookups. */
async function evaluate(ctx: Ctx, f: Flow): Promise<Evaluation> {
  const rules = ctx.rules;
  const steps: WhyRuleStep[] = [];
  const unknown: string[] = [];
  let i = 0;
  for (let guard = 0; i < rules.length && guard < 4 * rules.length + 8; guard++) {
    const r = rules[i]!;
    const step = (outcome: WhyRuleStep['outcome'], detail: string, extra: Partial<WhyRuleStep> = {}): void => {
      steps.push({ priority: r.priority, text: ruleText(r), outcome, detail, ...extra });
    };
    const m = matchRule(ctx, r, f);
    if (m.ok === 'unknown') {
      step('unknown', m.why);
      unknown.push(`rule ${r.priority} (${ruleText(r)}): ${m.why}`);
      i++;
      continue;
    }
    if (!m.ok) {
      step('no-match', m.why);
      i++;
      continue;
    }
    if (r.action === FR_ACT_GOTO) {
      const t = rules.findIndex((x) => x.priority === r.goto);
      if (t < 0) {
        step('goto', `goto ${r.goto}: no rule has that priority, so the walk goes on`);
        i++;
      } else {
        step('goto', `matches; jumps to rule ${r.goto}`);
        i = t;
      }
      continue;
    }
    if (r.action === FR_ACT_NOP) {
      step('nop', 'matches; nop does nothing');
      i++;
      continue;
    }
    if (r.action !== FR_ACT_TO_TBL) {
      const code = actionErrors[r.action] ?? 'EINVAL';
      step('error', `matches; ${actionWords[r.action] ?? `action ${r.action}`}: the lookup fails with ${code}`);
      return { steps, rule: r, error: code, unknown };
    }
    const res = await lookupTable(ctx, r.table, f);
    if (res.kind === 'none') {
      step('no-route', `matches; ${res.why}`, { table: r.table });
      i++;
      continue;
    }
    if (res.kind === 'throw') {
      step('no-route', `matches; table ${tableText(r.table)} has throw ${res.route.dst}: back to the rules`, { table: r.table, route: res.route.dst });
      i++;
      continue;
    }
    if (res.kind === 'reject') {
      step('error', `matches; table ${tableText(r.table)} has ${res.route.typeName} ${res.route.dst}: the lookup fails with ${res.code}`, { table: r.table, route: res.route.dst });
      return { steps, rule: r, route: res.route, error: res.code, unknown };
    }
    const spl = r.suppressPrefixlen;
    if (spl !== undefined && spl !== UNSET && res.route.dstLen <= spl) {
      step('suppressed', `matches; table ${tableText(r.table)} has ${res.route.dst}, but suppress_prefixlength ${spl} refuses prefixes of /${spl} or shorter`, { table: r.table, route: res.route.dst });
      i++;
      continue;
    }
    const sig = r.suppressIfgroup;
    if (sig !== undefined && sig !== UNSET) {
      const dev = linkByIndex(ctx, routeOifs(res.route)[0] ?? 0);
      if (dev && dev.group === sig) {
        step('suppressed', `matches; table ${tableText(r.table)} has ${res.route.dst}, but its interface ${dev.ifname} is in group ${sig} (suppress_ifgroup)`, { table: r.table, route: res.route.dst });
        i++;
        continue;
      }
    }
    step('route', `matches; table ${tableText(r.table)} has ${res.route.dst}`, { table: r.table, route: res.route.dst });
    return { steps, rule: r, route: res.route, unknown };
  }
  return { steps, error: 'ENETUNREACH', unknown };
}

// ---------------------------------------------------------------------------------------
// The source address
// ---------------------------------------------------------------------------------------

function scopeName(a: Addr): string {
  return a.scopeName ?? String(a.scope);
}

function flagNames(a: Addr): string[] {
  // ifaFlagNames calls 0x01 `secondary`; for IPv6 it is IFA_F_TEMPORARY.
  return a.family === 6 ? a.flags.map((n) => (n === 'secondary' ? 'temporary' : n)) : a.flags;
}

function candidate(ctx: Ctx, a: Addr, chosen: boolean, reason: string): WhyCandidate {
  return {
    address: a.local ?? a.address ?? '', prefixlen: a.prefixlen, dev: a.dev ?? devName(ctx, a.index) ?? String(a.index),
    scope: scopeName(a), secondary: a.family === 4 && (addrFlags(a) & IFA_F_SECONDARY) !== 0, flags: flagNames(a), chosen, reason,
  };
}

/**
 * inet_select_addr(dev, gateway, route scope) (net/ipv4/devinet.c): the first primary
 * address of the device whose scope is not narrower than the route's and whose subnet
 * holds the gateway, else the first such primary address at all; with none on the device,
 * the first primary non-link address of any interface (in_dev_select_addr), loopback first.
 * A route without a gateway passes 0, so the destination's subnet plays no part.
 */
function inetSelectAddr(ctx: Ctx, addrs: Addr[], dev: number, gateway: string | undefined, scope: number): { address?: string; candidates: WhyCandidate[] } {
  const own = addrs.filter((a) => a.index === dev);
  const gw = gateway === undefined ? undefined : ipBytes(gateway);
  const routeScope = ctx.family === 4 ? scopeWord(scope) : String(scope);
  let pick: Addr | undefined;
  let inSubnet = false;
  const eligible = (a: Addr): boolean => !(addrFlags(a) & IFA_F_SECONDARY) && Math.min(a.scope, 254) <= scope;
  for (const a of own) {
    if (!eligible(a)) continue;
    const subnet = gw !== undefined && inPrefix(gw, ipBytes(a.address ?? a.local!), a.prefixlen);
    if (gw === undefined || subnet) {
      pick = a;
      inSubnet = subnet;
      break;
    }
    pick ??= a;
  }
  const pickText = pick && `${pick.local}`;
  const candidates = own.map((a) => {
    if (addrFlags(a) & IFA_F_SECONDARY) return candidate(ctx, a, false, 'secondary: the kernel never picks a secondary address (only a route\'s src or a bind() uses it)');
    if (!eligible(a)) return candidate(ctx, a, false, `scope ${scopeName(a)} is narrower than the route's scope ${routeScope}`);
    const subnet = gw !== undefined && inPrefix(gw, ipBytes(a.address ?? a.local!), a.prefixlen);
    const net = networkText(ipBytes(a.local!), a.prefixlen);
    if (a === pick) {
      if (gw === undefined) return candidate(ctx, a, true, 'the first primary address of a suitable scope (the route has no gateway, so no subnet is preferred)');
      return candidate(ctx, a, true, inSubnet
        ? `primary, and its subnet ${net} holds the gateway ${gateway}`
        : `the first primary address of a suitable scope (none is in the gateway ${gateway}'s subnet)`);
    }
    if (gw === undefined) return candidate(ctx, a, false, `primary, but ${pickText} comes first`);
    if (inSubnet && !subnet) return candidate(ctx, a, false, `primary, but its subnet ${net} does not hold the gateway ${gateway}`);
    return candidate(ctx, a, false, `primary${subnet ? `, in the gateway's subnet ${net} too` : ''}, but ${pickText} comes first`);
  });
  if (pick) return { address: pick.local!, candidates };
  // No address of the device will do: in_dev_select_addr over every interface, in order.
  let fallback: Addr | undefined;
  const others: WhyCandidate[] = [];
  for (const l of ctx.links) {
    if (l.index === dev) continue;
    for (const a of addrs.filter((x) => x.index === l.index)) {
      const ok = !(addrFlags(a) & IFA_F_SECONDARY) && a.scope !== 253 && a.scope <= scope;
      if (ok && !fallback) {
        fallback = a;
        others.push(candidate(ctx, a, true, `no address of ${devName(ctx, dev)} will do: the first primary, non-link address of any interface (in_dev_select_addr)`));
      } else {
        others.push(candidate(ctx, a, false, ok ? `${fallback!.local} on ${fallback!.dev} comes first` : 'secondary, link scope or narrower than the route: not a fallback'));
      }
    }
  }
  return { ...(fallback ? { address: fallback.local! } : {}), candidates: [...candidates, ...others] };
}

function scopeWord(scope: number): string {
  return ({ 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' } as Record<number, string>)[scope] ?? String(scope);
}

/** The RFC 6724 rules as ipv6_get_saddr_eval numbers them, best-first scores. */
const v6Rules: readonly { name: string; explain: (c: V6Score, w: V6Score, d: V6Dst) => string }[] = [
  { name: 'rule 0', explain: () => 'not a candidate' },
  { name: 'rule 1 (prefer same address)', explain: (_c, w) => `${w.text} is the destination itself` },
  { name: 'rule 2 (prefer appropriate scope)', explain: (c, w, d) => `scope ${v6ScopeNames[c.scope] ?? c.scope} against ${w.text}'s ${v6ScopeNames[w.scope] ?? w.scope}, for a destination of scope ${v6ScopeNames[d.scope] ?? d.scope}` },
  { name: 'rule 3 (avoid deprecated addresses)', explain: (c) => (c.flags & IFA_F_DEPRECATED ? 'deprecated (preferred lifetime over)' : 'optimistic') },
  { name: 'rule 4 (prefer home address)', explain: () => 'not a home address' },
  { name: 'rule 5 (prefer outgoing interface)', explain: (c, _w, d) => `on ${c.dev}, and the route leaves by ${d.devName}` },
  { name: 'rule 6 (prefer matching label)', explain: (c, _w, d) => `label ${c.label}, the destination's is ${d.label}` },
  { name: 'rule 7 (prefer public address)', explain: () => 'temporary (use_tempaddr < 2 prefers public addresses)' },
  { name: 'rule 8 (ORCHID)', explain: () => 'ORCHID and the destination do not agree' },
  { name: 'rule 8 (use longest matching prefix)', explain: (c, w) => `${c.matchlen} leading bits in common with the destination, ${w.text} has ${w.matchlen}` },
  { name: 'rule 9 (prefer non-optimistic)', explain: () => 'optimistic' },
];

interface V6Dst {
  addr: Bytes;
  scope: number;
  label: number;
  ifindex: number;
  devName: string;
}

interface V6Score {
  addr: Addr;
  text: string;
  dev: string;
  flags: number;
  scope: number;
  label: number;
  matchlen: number;
  /** One number per rule of {@link v6Rules}; higher is better. */
  scores: number[];
}

function v6Score(ctx: Ctx, a: Addr, d: V6Dst): V6Score {
  const b = ipBytes(a.local!);
  const flags = addrFlags(a);
  const scope = v6Scope(b);
  const label = v6Label(b);
  const matchlen = Math.min(commonBits(b, d.addr), a.prefixlen);
  const loopback = scope === 1;
  const scopeScore = scope >= d.scope ? -scope : scope - 128;
  const scores = [
    1,
    inPrefix(b, d.addr, 128) ? 1 : 0,
    scopeScore,
    loopback || !(flags & (IFA_F_DEPRECATED | IFA_F_OPTIMISTIC)) ? 1 : 0,
    flags & IFA_F_HOMEADDRESS ? 1 : 0,
    !d.ifindex || d.ifindex === a.index ? 1 : 0,
    label === d.label ? 1 : 0,
    flags & 0x01 ? 0 : 1,
    isOrchid(b) === isOrchid(d.addr) ? 1 : 0,
    matchlen,
    flags & IFA_F_OPTIMISTIC ? 0 : 1,
  ];
  return { addr: a, text: a.local!, dev: a.dev ?? devName(ctx, a.index) ?? String(a.index), flags, scope, label, matchlen, scores };
}

/** The first rule where `a` and `b` differ, or -1. */
function firstDiff(a: V6Score, b: V6Score): number {
  for (let i = 0; i < a.scores.length; i++) if (a.scores[i] !== b.scores[i]) return i;
  return -1;
}

/**
 * ipv6_dev_get_saddr (net/ipv6/addrconf.c): every address of every interface (only the
 * outgoing one's for link-local and multicast destinations), tentative ones left out,
 * compared rule by rule; the first best one found wins ties.
 */
function ipv6DevGetSaddr(ctx: Ctx, addrs: Addr[], dev: number, dst: Bytes): { address?: string; candidates: WhyCandidate[] } {
  const d: V6Dst = { addr: dst, scope: v6Scope(dst), label: v6Label(dst), ifindex: dev, devName: devName(ctx, dev) ?? String(dev) };
  const oifOnly = dst[0] === 0xff || d.scope <= 2;
  const order = new Map(ctx.links.map((l, i) => [l.index, i]));
  const all = [...addrs].sort((a, b) => (order.get(a.index) ?? 1e9) - (order.get(b.index) ?? 1e9));
  const scored: (V6Score | { addr: Addr; skip: string })[] = all.map((a) => {
    const f = addrFlags(a);
    if (oifOnly && a.index !== dev) return { addr: a, skip: `not on ${d.devName}: for a ${dst[0] === 0xff ? 'multicast' : 'link-local'} destination only the outgoing interface's addresses are candidates` };
    if (f & IFA_F_TENTATIVE && !(f & IFA_F_OPTIMISTIC)) return { addr: a, skip: 'tentative (duplicate address detection has not finished): not a candidate' };
    return v6Score(ctx, a, d);
  });
  let best: V6Score | undefined;
  for (const s of scored) {
    if (!('scores' in s)) continue;
    if (!best) {
      best = s;
      continue;
    }
    const i = firstDiff(s, best);
    if (i >= 0 && s.scores[i]! > best.scores[i]!) best = s;
  }
  const rivals = scored.filter((s): s is V6Score => 'scores' in s && s !== best);
  const candidates = scored.map((s) => {
    if (!('scores' in s)) return candidate(ctx, s.addr, false, s.skip);
    if (s === best) {
      if (!rivals.length) return candidate(ctx, s.addr, true, 'the only candidate');
      const decisive = Math.max(...rivals.map((r) => firstDiff(r, s)));
      return candidate(ctx, s.addr, true, decisive < 0
        ? 'ties with another candidate on every rule, and comes first'
        : `best on ${v6Rules[decisive]!.name}${decisive === 5 ? `: on ${d.devName}, the outgoing interface` : decisive === 9 ? `: ${s.matchlen} bits in common with the destination` : ''}`);
    }
    const i = firstDiff(s, best!);
    if (i < 0) return candidate(ctx, s.addr, false, `ties with ${best!.text} on every rule; the kernel keeps the first it finds`);
    return candidate(ctx, s.addr, false, `loses on ${v6Rules[i]!.name}: ${v6Rules[i]!.explain(s, best!, d)}`);
  });
  return { ...(best ? { address: best.text } : {}), candidates };
}

// ---------------------------------------------------------------------------------------
// Kernel answers and the report
// ---------------------------------------------------------------------------------------

/** A Route as plain JSON: no `raw`, bigints as strings. */
function routeJson(r: Route): Record<string, unknown> {
  const { raw: _raw, ...rest } = r;
  return JSON.parse(JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;
}

function whyRoute(r: Route): WhyRoute {
  const out: WhyRoute = {
    dst: r.dst, table: r.table, type: r.typeName ?? String(r.type),
    protocol: r.protocolName ?? String(r.protocol), scope: r.scopeName ?? String(r.scope),
  };
  if (r.tableName !== undefined) out.tableName = r.tableName;
  if (r.gateway !== undefined) out.gateway = r.gateway;
  if (r.via !== undefined) out.via = r.via.addr;
  if (r.dev !== undefined) out.dev = r.dev;
  if (r.prefsrc !== undefined) out.prefsrc = r.prefsrc;
  if (r.metric !== undefined) out.metric = r.metric;
  if (r.multipath) {
    out.nexthops = r.multipath.map((h) => ({
      ...(h.gateway !== undefined ? { gateway: h.gateway } : {}), ...(h.dev !== undefined ? { dev: h.dev } : {}), weight: h.weight,
    }));
  }
  if (r.nhid !== undefined) out.nhid = r.nhid;
  return out;
}

type Answer = { ok: true; route: Route } | { ok: false; error: NetlinkError };

async function ask(p: Promise<Route>): Promise<Answer> {
  try {
    return { ok: true, route: await p };
  } catch (err) {
    if (err instanceof NetlinkError && err.code !== 'ENODEV') return { ok: false, error: err };
    throw err;
  }
}

function answerJson(a: Answer): WhyKernelAnswer {
  return a.ok ? routeJson(a.route) : { error: a.error.code, message: a.error.message };
}

function getOptions(q: WhyQuery): RouteGetOptions {
  const o: RouteGetOptions = { dst: q.dst };
  if (q.from !== undefined) o.from = q.from;
  if (q.iif !== undefined) o.iif = q.iif;
  if (q.oif !== undefined) o.oif = q.oif;
  if (q.mark !== undefined) o.mark = q.mark;
  if (q.uid !== undefined) o.uid = q.uid;
  if (q.ipproto !== undefined) o.ipproto = q.ipproto;
  if (q.sport !== undefined) o.sport = q.sport;
  if (q.dport !== undefined) o.dport = q.dport;
  if (q.tos !== undefined) o.tos = q.tos;
  return o;
}

async function resolveDev(ctx: Ctx, dev: Dev): Promise<Link> {
  const l = typeof dev === 'number' ? linkByIndex(ctx, dev) : linkByName(ctx, dev);
  if (l) return l;
  // The kernel's own words for a missing device (ENODEV `Cannot find device "eth9"`).
  const got = await ctx.nl.link.get(dev);
  ctx.links.push(got);
  return got;
}

function makeFlow(ctx: Ctx, q: WhyQuery, family: IpFamily, iif: Link | undefined, oif: Link | undefined): Flow {
  const lo = ctx.links.find((l) => l.flags.includes('LOOPBACK'));
  const f: Flow = {
    family, dst: ipBytes(q.dst), dstText: parseAddress(q.dst, 'why: dst').addr,
    iif: iif?.index ?? lo?.index ?? 1, iifName: iif?.ifname ?? lo?.ifname ?? 'lo', input: iif !== undefined,
    oif: oif?.index ?? 0, mark: q.mark ?? 0,
    // inet_rtm_getroute: RTA_UID, else INVALID_UID with an iif, else the caller's uid.
    uid: q.uid ?? (iif ? UNSET : process.getuid?.() ?? 0),
    ipproto: q.ipproto === undefined ? 0 : numberOrName(q.ipproto, ipProtoNames, 'why: ipproto', ipProtoAliases),
    sport: q.sport ?? 0, dport: q.dport ?? 0, tos: q.tos ?? 0,
  };
  if (oif) f.oifName = oif.ifname;
  if (q.from !== undefined) {
    f.src = ipBytes(q.from);
    f.srcText = formatIP(f.src);
  }
  return f;
}

/** Routing daemons whose routes carry RTA_PREFSRC through their own configuration. */
const daemonSrc: Readonly<Record<string, string>> = {
  zebra: 'FRR: a route-map with `set src ADDRESS` on `ip protocol ... route-map` (zebra)',
  bgp: 'FRR: a route-map with `set src ADDRESS` on `ip protocol bgp route-map` (zebra)',
  ospf: 'FRR: a route-map with `set src ADDRESS` on `ip protocol ospf route-map` (zebra)',
  isis: 'FRR: a route-map with `set src ADDRESS` on `ip protocol isis route-map` (zebra)',
  rip: 'FRR: a route-map with `set src ADDRESS` on `ip protocol rip route-map` (zebra)',
  eigrp: 'FRR: a route-map with `set src ADDRESS` on `ip protocol eigrp route-map` (zebra)',
  babel: 'FRR: a route-map with `set src ADDRESS` on `ip protocol babel route-map` (zebra)',
  bird: 'BIRD: `krt_prefsrc = ADDRESS;` in the kernel protocol\'s export filter',
  dhcp: 'the DHCP client installs this route: its hook or configuration sets the source',
  ra: 'router advertisements installed this route: a route with `src` of a higher priority (lower metric) wins',
};

function routeCommand(r: Route, family: IpFamily, src: string): string {
  const w = [family === 6 ? 'ip -6 route replace' : 'ip route replace', r.dst];
  if (r.typeName && r.typeName !== 'unicast') w.splice(1, 0, r.typeName);
  if (r.gateway !== undefined) w.push('via', r.gateway);
  if (r.dev !== undefined) w.push('dev', r.dev);
  if (r.table !== 254) w.push('table', r.tableName ?? String(r.table));
  if (r.protocolName !== undefined && !['boot', 'kernel', 'unspec'].includes(r.protocolName)) w.push('proto', r.protocolName);
  else if (r.protocol > 4) w.push('proto', String(r.protocol));
  if (r.scopeName === 'link' && r.gateway === undefined && r.typeName === 'unicast') w.push('scope', 'link');
  if (r.metric !== undefined && !(family === 6 && r.metric === 1024)) w.push('metric', String(r.metric));
  w.push('src', src);
  return w.join(' ');
}

/**
 * Why the kernel routes `query.dst` the way it does and picks the source address it picks:
 * the rule, the route (the matched prefix and its table), the egress interface and gateway,
 * and the source with every candidate address. Everything is checked against the kernel's
 * own answers (a plain route get and one with RTM_F_FIB_MATCH); where nlwire's evaluation
 * and the kernel disagree, `kernel.agrees` is false and `kernel.notes` says how, and the
 * report follows the kernel.
 *
 * A lookup the kernel refuses (ENETUNREACH, EHOSTUNREACH, EACCES, EINVAL) is part of the
 * report (`error`), not a rejection.
 *
 * @throws NetlinkError ENODEV for an `iif` / `oif` that does not exist; EncodeError for an
 *   address that does not parse or families that differ.
 */
export async function why(nl: Rtnl, query: WhyQuery): Promise<WhyReport> {
  const dst = parseAddress(query.dst, 'why: dst');
  const family = dst.family;
  if (query.from !== undefined) {
    const from = parseAddress(query.from, 'why: from');
    if (from.family !== family) throw new EncodeError(`${query.from} is not of the destination's family`, 'why: from');
  }
  const [rules, links, addrs] = await Promise.all([
    nl.rule.list({ family }), nl.link.list(), nl.addr.list({ family }),
  ]);
  const ctx: Ctx = { nl, family, rules, links, tables: new Map() };
  const iif = query.iif === undefined ? undefined : await resolveDev(ctx, query.iif);
  const oif = query.oif === undefined ? undefined : await resolveDev(ctx, query.oif);
  const flow = makeFlow(ctx, query, family, iif, oif);
  const opts = getOptions(query);
  const [get, fib, ev] = await Promise.all([
    ask(nl.route.get(opts)), ask(nl.route.get({ ...opts, fibmatch: true })), evaluateFlow(ctx, flow),
  ]);

  const notes: string[] = [...ev.unknown.map((u) => `not evaluated: ${u}`), ...ev.notes];
  let agrees = ev.unknown.length === 0;
  let confirmed = false;
  if (fib.ok && ev.route && !ev.error) {
    confirmed = fib.route.table === ev.route.table;
    if (!confirmed) {
      agrees = false;
      notes.push(`nlwire's walk of the rules ends in table ${tableText(ev.route.table)} (rule ${ev.rule?.priority}), but the kernel's fibmatch answer comes from table ${tableText(fib.route.table)}`);
    } else if (fib.route.dst !== ev.route.dst) {
      agrees = false;
      notes.push(`nlwire finds ${ev.route.dst} in table ${tableText(ev.route.table)}, the kernel matched ${fib.route.dst}`);
    } else if (fib.route.gateway !== ev.route.gateway || fib.route.oif !== ev.route.oif) {
      notes.push(`table ${tableText(fib.route.table)} has several routes to ${fib.route.dst}; the kernel used the one via ${fib.route.gateway ?? fib.route.dev}`);
    }
  } else if (!fib.ok && ev.error) {
    if (!get.ok && get.error.code !== ev.error) {
      agrees = false;
      notes.push(`nlwire expects ${ev.error}, the kernel answers ${get.error.code}`);
    } else if (get.ok) {
      // IPv4 with an output interface: "Apparently, routing tables are wrong. Assume, that
      // the destination is on link." (ip_route_output_key_hash_rcu)
      notes.push(`no route matches${flow.oif ? ` via ${flow.oifName}` : ''}; the kernel assumes ${flow.dstText} is on-link on ${get.route.dev} (ip_route_output_key_hash_rcu), so there is no FIB entry to show`);
    } else {
      confirmed = true;
    }
  } else if (fib.ok && ev.error) {
    agrees = false;
    notes.push(`nlwire's walk ends in ${ev.error}, but the kernel found ${fib.route.dst} in table ${tableText(fib.route.table)}`);
  } else if (!fib.ok && ev.route) {
    if (flow.input && family === 4 && fib.error.code === 'EHOSTUNREACH' && ev.route.typeName === 'unicast') {
      // ip_route_input_slow: a unicast result on an interface that does not forward.
      notes.push(`table ${tableText(ev.route.table)} has ${ev.route.dst}, but ${flow.iifName} does not forward (net.ipv4.conf.${flow.iifName}.forwarding = 0): a packet arriving there is not routed (ip_route_input_slow: EHOSTUNREACH)`);
    } else {
      agrees = false;
      notes.push(`nlwire finds ${ev.route.dst} in table ${tableText(ev.route.table)}, but the kernel answers ${fib.error.code}`);
    }
  }
  if (!get.ok && fib.ok) notes.push(`the plain route get fails with ${get.error.code} though the fibmatch one succeeds`);

  const rule: WhyRule | null = ev.rule ? {
    priority: ev.rule.priority, table: ev.rule.table, ...(rtTableNames[ev.rule.table] ? { tableName: rtTableNames[ev.rule.table]! } : {}),
    action: actionWords[ev.rule.action] ?? String(ev.rule.action), text: ruleText(ev.rule), confirmed,
  } : null;

  // The story follows the kernel: its FIB entry, its egress, its source.
  const used = fib.ok ? fib.route : ev.route;
  const egress = get.ok && get.route.dev !== undefined
    ? { dev: get.route.dev, ...(get.route.gateway !== undefined ? { gateway: get.route.gateway } : {}) }
    : null;

  let source: WhySource | null = null;
  if (get.ok) {
    const kernelPrefsrc = get.route.prefsrc;
    const srcOf = (address: string, origin: WhySourceOrigin, candidates: WhyCandidate[], algorithm?: string): WhySource => {
      const expected = origin === 'from' ? address : kernelPrefsrc;
      const s: WhySource = { address, origin, ...(algorithm ? { algorithm } : {}), candidates, agrees: expected === address };
      if (kernelPrefsrc !== undefined) s.kernelPrefsrc = kernelPrefsrc;
      return s;
    };
    // A local destination goes out of lo, but its route (and prefsrc) belongs to the
    // interface that holds the address.
    const dev = (used?.typeName === 'local' ? routeOifs(used)[0] : undefined) ?? get.route.oif ?? (used ? routeOifs(used)[0] : undefined) ?? 0;
    const choice = (): { address?: string; candidates: WhyCandidate[]; algorithm: string } => {
      if (family === 4) {
        const scope = used?.scope ?? 253;
        const gw = get.route.gateway ?? (used?.multipath ? undefined : used?.gateway);
        return { ...inetSelectAddr(ctx, addrs, dev, gw, scope), algorithm: `inet_select_addr(${devName(ctx, dev)}, ${gw ?? '0'}, scope ${scopeWord(scope)})` };
      }
      return { ...ipv6DevGetSaddr(ctx, addrs, dev, flow.dst), algorithm: `ipv6_dev_get_saddr(${devName(ctx, dev)}, ${flow.dstText})` };
    };
    if (flow.src && flow.input) {
      // Forwarding selects no source: the packet keeps the one it came with.
      source = srcOf(flow.srcText!, 'from', []);
    } else if (flow.src) {
      const c = choice();
      const given = flow.input ? 'the forwarded packet keeps its source' : 'the socket is bound to it';
      const cands = c.candidates.map((x) => ({
        ...x, chosen: x.address === flow.srcText,
        reason: x.address === flow.srcText ? given : `not used: the source is given (without it: ${x.chosen ? 'chosen, ' : ''}${x.reason})`,
      }));
      const own = addrs.find((a) => a.local === flow.srcText);
      if (own && !cands.some((x) => x.chosen)) cands.unshift(candidate(ctx, own, true, given));
      source = srcOf(flow.srcText!, 'from', cands);
    } else if (used?.prefsrc !== undefined) {
      const c = choice();
      source = srcOf(used.prefsrc, 'prefsrc', c.candidates.map((x) => ({
        ...x, chosen: x.address === used.prefsrc,
        reason: x.address === used.prefsrc ? `the route's preferred source (RTA_PREFSRC)` : `not used: the route's prefsrc decides (without it: ${x.chosen ? 'chosen, ' : ''}${x.reason})`,
      })));
    } else {
      const c = choice();
      if (c.address !== undefined) source = srcOf(c.address, 'kernel-choice', c.candidates, c.algorithm);
      else if (kernelPrefsrc !== undefined) {
        source = srcOf(kernelPrefsrc, 'kernel-choice', c.candidates, c.algorithm);
        source.agrees = false;
      }
    }
    if (source && !source.agrees) {
      agrees = false;
      notes.push(`nlwire's replay of the source selection gives ${source.address}, the kernel says ${kernelPrefsrc ?? 'nothing'}`);
      if (kernelPrefsrc !== undefined && source.origin !== 'from') {
        source.address = kernelPrefsrc;
        for (const c of source.candidates) c.chosen = c.address === kernelPrefsrc;
      }
    }
  }

  const report: WhyReport = {
    query: { ...query, dst: flow.dstText, family, uid: flow.uid, mark: flow.mark },
    rule, rules: ev.steps, route: used ? whyRoute(used) : null, egress, source,
    kernel: { get: answerJson(get), fibmatch: answerJson(fib), agrees, notes },
    advice: [],
  };
  if (!get.ok) report.error = { code: get.error.code, message: errnoMeaning[get.error.code] ?? get.error.message };
  report.advice = await advise(ctx, query, flow, addrs, report, used);
  return report;
}

/** A route get for an alternative, with the rule nlwire's walk names. */
async function alternative(ctx: Ctx, q: WhyQuery, flow: Flow, change: Partial<WhyQuery>): Promise<NonNullable<WhyAdvice['result']>> {
  const o = { ...getOptions(q), ...change } as RouteGetOptions;
  const [get, fib] = await Promise.all([ask(ctx.nl.route.get(o)), ask(ctx.nl.route.get({ ...o, fibmatch: true }))]);
  if (!get.ok) return { error: get.error.code };
  const out: NonNullable<WhyAdvice['result']> = {};
  // A bound socket keeps its address; IPv6 replies carry the unbound choice as prefsrc.
  const src = change.from ?? q.from ?? get.route.prefsrc;
  if (src !== undefined) out.source = src;
  if (get.route.dev !== undefined) out.dev = get.route.dev;
  if (get.route.gateway !== undefined) out.gateway = get.route.gateway;
  if (fib.ok) {
    out.table = fib.route.table;
    const f2: Flow = { ...flow };
    if (change.from !== undefined) {
      f2.src = ipBytes(change.from);
      f2.srcText = change.from;
    }
    if (change.oif !== undefined) {
      const l = linkByName(ctx, String(change.oif));
      f2.oif = l?.index ?? 0;
      if (l) f2.oifName = l.ifname;
    }
    const ev = await evaluate(ctx, f2);
    if (ev.rule && ev.route && ev.route.table === fib.route.table) out.rule = ev.rule.priority;
  } else {
    out.onLink = true;
  }
  return out;
}

function via(r: NonNullable<WhyAdvice['result']>): string {
  if (r.error) return `the kernel refuses: ${r.error}`;
  const w: string[] = [];
  if (r.rule !== undefined) w.push(`rule ${r.rule},`);
  if (r.table !== undefined) w.push(`table ${tableText(r.table)}:`);
  if (r.gateway !== undefined) w.push(`via ${r.gateway}`);
  if (r.dev !== undefined) w.push(`dev ${r.dev}`);
  if (r.source !== undefined) w.push(`src ${r.source}`);
  if (r.onLink) w.push('(no route matches: the kernel assumes the destination is on-link there)');
  return w.join(' ');
}

const MAX_ALTERNATIVES = 8;

/** What else an application or its administrator could do, with the kernel's answers. */
async function advise(ctx: Ctx, q: WhyQuery, flow: Flow, addrs: Addr[], report: WhyReport, used: Route | undefined): Promise<WhyAdvice[]> {
  const out: WhyAdvice[] = [];
  // Forwarded packets keep their source; a destination of this host stays on lo.
  if (flow.input || (used && ['local', 'broadcast', 'multicast', 'anycast'].includes(used.typeName ?? ''))) return out;
  const chosen = report.source?.address;
  const usable = addrs.filter((a) => {
    const f = addrFlags(a);
    return a.local !== undefined && a.local !== chosen && a.scope === 0 && !(a.family === 6 && f & IFA_F_TENTATIVE && !(f & IFA_F_OPTIMISTIC));
  }).slice(0, MAX_ALTERNATIVES);
  const binds = await Promise.all(usable.map(async (a) => ({ a, r: await alternative(ctx, q, flow, { from: a.local! }) })));
  for (const { a, r } of binds) {
    out.push({ kind: 'bind', text: `bind() the socket to ${a.local} (on ${a.dev}) before connect()/sendto(): ${via(r)}`, result: r });
  }
  if (q.oif === undefined && report.egress) {
    const egressDev = report.egress.dev;
    const devs = ctx.links.filter((l) => !l.flags.includes('LOOPBACK') && l.ifname !== egressDev
      && addrs.some((a) => a.index === l.index && a.scope === 0)).slice(0, MAX_ALTERNATIVES);
    const binds2 = await Promise.all(devs.map(async (l) => ({ l, r: await alternative(ctx, q, flow, { oif: l.ifname }) })));
    for (const { l, r } of binds2) {
      out.push({ kind: 'bindtodevice', text: `SO_BINDTODEVICE ${l.ifname} (or IP_UNICAST_IF / ip vrf exec): ${via(r)}`, result: r });
    }
  }
  if (used && used.typeName === 'unicast' && report.source && !flow.src) {
    const fresh = usable.filter((a) => !(addrFlags(a) & IFA_F_DEPRECATED));
    const alt = fresh.find((a) => a.index === (used.oif ?? -1)) ?? fresh[0];
    const addr = alt?.local ?? 'ADDRESS';
    out.push({
      kind: 'route-src', text: `give the route a preferred source, for every socket that does not bind(): ${report.source.origin === 'prefsrc' ? `it has src ${report.source.address} now` : 'it has none now'}`,
      command: routeCommand(used, ctx.family, addr),
    });
    const daemon = daemonSrc[used.protocolName ?? ''];
    if (daemon) out.push({ kind: 'daemon', text: `the route is ${used.protocolName}'s (proto ${used.protocolName}): a change by hand is overwritten; ${daemon}` });
  }
  // Source-based routing: a bound address that leaves by an interface that is not its own.
  const used2 = new Set(ctx.rules.map((r) => r.table));
  let table = 100;
  while (used2.has(table)) table++;
  for (const { a, r } of binds) {
    if (r.error || r.dev === undefined || r.dev === a.dev || r.dev === 'lo') continue;
    // A rule that already selects on the source is a policy someone chose: leave it be.
    if (r.rule !== undefined && ctx.rules.find((x) => x.priority === r.rule)?.src !== undefined) continue;
    const gw = (await gatewayOn(ctx, a.index)) ?? 'GATEWAY';
    const six = ctx.family === 6 ? ' -6' : '';
    out.push({
      kind: 'rule',
      text: `traffic bound to ${a.local} leaves by ${r.dev}, not by ${a.dev} where the address lives; to send it out of ${a.dev}, give it a table of its own`,
      command: `ip${six} route add default via ${gw} dev ${a.dev} table ${table} && ip${six} rule add from ${a.local} lookup ${table}`,
    });
    table++;
    while (used2.has(table)) table++;
  }
  return out;
}

/** A gateway some route of the main table reaches through `index`, for the advice. */
async function gatewayOn(ctx: Ctx, index: number): Promise<string | undefined> {
  const routes = await routesOf(ctx, 254);
  return routes.find((r) => r.oif === index && r.gateway !== undefined)?.gateway;
}
