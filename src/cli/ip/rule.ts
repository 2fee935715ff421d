/**
 * `nlwire rule show|add|del`: iproute2 6.1's iprule_list_flush_or_save, filter_nlmsg,
 * print_rule and iprule_modify (ip/iprule.c) over the client.
 *
 * @module
 */
import type { NlMsg } from '../../netlink/message.js';
import { parseIP } from '../../netlink/ip.js';
import { RTM_DELRULE, type RuleAttrs } from '../../rtnl/rule.js';
import type { RuleOptions, IpFamily } from '../../rtnl/request.js';
import {
  AF_INET, AF_INET6, Args, IpUsageError, matches, invarg, unsupported, getPrefix, addrMatch,
  prefixText, type Prefix,
} from './args.js';
import { PRINT_ANY, PRINT_FP, type Printer } from './print.js';
import {
  tableName, tableId, protoName, protoId, dsfieldName, dsfieldId, rtntypeName, rtntypeId,
  groupName, inetProtoName, inetProtoId, parseUnsigned,
} from './names.js';
import { ipCommand, dumping, type IpContext } from './common.js';

interface FrhBody {
  family: number; dstLen: number; srcLen: number; tos: number; table: number; action: number; flags: number;
}

const FIB_RULE_INVERT = 0x2;
const FIB_RULE_UNRESOLVED = 0x4;
const FIB_RULE_IIF_DETACHED = 0x8;
const FIB_RULE_OIF_DETACHED = 0x10;
const FR_ACT_TO_TBL = 1;
const FR_ACT_GOTO = 2;
const FR_ACT_NOP = 3;
const RTPROT_KERNEL = 2;

/** iprule.c's `filter`. */
export interface RuleFilter {
  not: boolean;
  l3mdev: boolean;
  pref?: number;
  tos?: number;
  fwmark?: number;
  fwmask?: number;
  iif?: string;
  oif?: string;
  uidrange?: { start: number; end: number };
  tb: number;
  src?: Prefix;
  dst?: Prefix;
  protocol: number;
  protocolmask: number;
  ipproto?: number;
  sport?: { start: number; end: number };
  dport?: { start: number; end: number };
}

/** An empty rule filter. */
export function resetRuleFilter(): RuleFilter {
  return { not: false, l3mdev: false, tb: 0, protocol: 0, protocolmask: 0 };
}

function hostLen(family: number): number {
  return family === AF_INET ? 32 : family === AF_INET6 ? 128 : -1;
}

/** frh_get_table: FRA_TABLE, else the header's table. */
function ruleTable(b: FrhBody, a: RuleAttrs): number {
  return a.table ?? b.table;
}

function prefixMatches(p: Prefix, family: number, len: number, addr: string | undefined): boolean {
  if (p.family !== family || p.bitlen > len) return false;
  if (addr === undefined) return p.bitlen === 0;
  return addrMatch(parseIP(addr), p.bytes, p.bitlen);
}

/** filter_nlmsg of iprule.c. */
export function ruleFilterMatches(m: NlMsg, f: RuleFilter): boolean {
  const frh = m.body as unknown as FrhBody;
  const a = (m.attrs ?? {}) as RuleAttrs;
  if (f.pref !== undefined && f.pref !== (a.priority ?? 0)) return false;
  if (f.not && !(frh.flags & FIB_RULE_INVERT)) return false;
  if (f.src?.family && !prefixMatches(f.src, frh.family, frh.srcLen, a.src)) return false;
  if (f.dst?.family && !prefixMatches(f.dst, frh.family, frh.dstLen, a.dst)) return false;
  if (f.tos !== undefined && f.tos !== frh.tos) return false;
  if (f.fwmark && f.fwmark !== (a.fwmark ?? 0)) return false;
  if (f.fwmask && f.fwmask !== (a.fwmask ?? 0)) return false;
  if (f.iif !== undefined && a.iifname !== f.iif) return false;
  if (f.oif !== undefined && a.oifname !== f.oif) return false;
  if (f.l3mdev && !a.l3mdev) return false;
  if (f.uidrange && (!a.uidRange || a.uidRange.start !== f.uidrange.start || a.uidRange.end !== f.uidrange.end)) return false;
  if (f.ipproto !== undefined && a.ipProto !== f.ipproto) return false;
  if (f.sport && (!a.sportRange || a.sportRange.start !== f.sport.start || a.sportRange.end !== f.sport.end)) return false;
  if (f.dport && (!a.dportRange || a.dportRange.start !== f.dport.start || a.dportRange.end !== f.dport.end)) return false;
  const table = ruleTable(frh, a);
  if (f.tb > 0 && f.tb !== table) return false;
  if (f.protocolmask && (f.protocol ^ (a.protocol ?? 0)) & f.protocolmask) return false;
  return true;
}

function printRange(p: Printer, name: string, r: { start: number; end: number }): void {
  if (r.start === r.end) p.uint(PRINT_ANY, name, ` ${name} %u`, r.start);
  else {
    p.uint(PRINT_ANY, `${name}_start`, ` ${name} %u`, r.start);
    p.uint(PRINT_ANY, `${name}_end`, '-%u', r.end);
  }
}

/** print_rule: `1000:\tfrom 192.0.2.10 lookup 100`, or its `ip -j rule` object. */
export function printRule(p: Printer, m: NlMsg, f: RuleFilter): boolean {
  const frh = m.body as unknown as FrhBody | undefined;
  if (!frh) return false;
  const a = (m.attrs ?? {}) as RuleAttrs;
  const host = hostLen(frh.family);
  if (!ruleFilterMatches(m, f)) return false;
  p.openObject(null);
  if (m.type === RTM_DELRULE) p.bool(PRINT_ANY, 'deleted', 'Deleted ', true);
  p.uint(PRINT_ANY, 'priority', '%u:\t', a.priority ?? 0);
  if (frh.flags & FIB_RULE_INVERT) p.null(PRINT_ANY, 'not', 'not ', null);
  if (a.src !== undefined) {
    p.string(PRINT_FP, null, 'from ', null);
    p.string(PRINT_ANY, 'src', '%s', a.src);
    if (frh.srcLen !== host) p.uint(PRINT_ANY, 'srclen', '/%u', frh.srcLen);
  } else if (frh.srcLen) {
    p.string(PRINT_ANY, 'src', 'from %s', '0');
    p.uint(PRINT_ANY, 'srclen', '/%u', frh.srcLen);
  } else p.string(PRINT_ANY, 'src', 'from %s', 'all');
  if (a.dst !== undefined) {
    p.string(PRINT_FP, null, ' to ', null);
    p.string(PRINT_ANY, 'dst', '%s', a.dst);
    if (frh.dstLen !== host) p.uint(PRINT_ANY, 'dstlen', '/%u', frh.dstLen);
  } else if (frh.dstLen) {
    p.string(PRINT_ANY, 'dst', ' to %s', '0');
    p.uint(PRINT_ANY, 'dstlen', '/%u', frh.dstLen);
  }
  if (frh.tos) p.string(PRINT_ANY, 'tos', ' tos %s', dsfieldName(frh.tos));
  if (a.fwmark !== undefined || a.fwmask !== undefined) {
    const mark = a.fwmark ?? 0;
    const mask = a.fwmask;
    if (mask !== undefined && mask !== 0xffffffff) {
      p.hex0x(PRINT_ANY, 'fwmark', ' fwmark %#llx', mark);
      p.hex0x(PRINT_ANY, 'fwmask', '/%#llx', mask);
    } else p.hex0x(PRINT_ANY, 'fwmark', ' fwmark %#llx', mark);
  }
  if (a.iifname !== undefined) {
    if (!p.isJson()) p.fp(' iif ');
    p.string(PRINT_ANY, 'iif', '%s', a.iifname);
    if (frh.flags & FIB_RULE_IIF_DETACHED) p.null(PRINT_ANY, 'iif_detached', ' [detached]', null);
  }
  if (a.oifname !== undefined) {
    if (!p.isJson()) p.fp(' oif ');
    p.string(PRINT_ANY, 'oif', '%s', a.oifname);
    if (frh.flags & FIB_RULE_OIF_DETACHED) p.null(PRINT_ANY, 'oif_detached', ' [detached]', null);
  }
  if (a.l3mdev) p.null(PRINT_ANY, 'l3mdev', ' lookup [l3mdev-table]', null);
  if (a.uidRange !== undefined) {
    p.uint(PRINT_ANY, 'uid_start', ' uidrange %u', a.uidRange.start);
    p.uint(PRINT_ANY, 'uid_end', '-%u', a.uidRange.end);
  }
  if (a.ipProto !== undefined) p.string(PRINT_ANY, 'ipproto', ' ipproto %s', inetProtoName(a.ipProto));
  if (a.sportRange !== undefined) printRange(p, 'sport', a.sportRange);
  if (a.dportRange !== undefined) printRange(p, 'dport', a.dportRange);
  if (a.tunId !== undefined) p.uint(PRINT_ANY, 'tun_id', ' tun_id %u', a.tunId as bigint);
  const table = ruleTable(frh, a);
  if (table) {
    p.string(PRINT_ANY, 'table', ' lookup %s', tableName(table));
    if (a.suppressPrefixlen !== undefined && a.suppressPrefixlen !== 0xffffffff) {
      p.int(PRINT_ANY, 'suppress_prefixlen', ' suppress_prefixlength %d', a.suppressPrefixlen | 0);
    }
    if (a.suppressIfgroup !== undefined && a.suppressIfgroup !== 0xffffffff) {
      p.string(PRINT_ANY, 'suppress_ifgroup', ' suppress_ifgroup %s', groupName(a.suppressIfgroup));
    }
  }
  if (a.flow !== undefined) {
    const from = a.flow >>> 16;
    const to = a.flow & 0xffff;
    const realm = (n: number): string => (n === 0 ? 'cosmos' : String(n));
    if (from) p.string(PRINT_ANY, 'flow_from', ' realms %s/', realm(from));
    else p.string(PRINT_FP, null, ' realms ', null);
    p.string(PRINT_ANY, 'flow_to', '%s', realm(to));
  }
  if (frh.action === FR_ACT_GOTO) {
    if (a.goto !== undefined) p.uint(PRINT_ANY, 'goto', ' goto %u', a.goto);
    else p.string(PRINT_ANY, 'goto', ' goto %s', 'none');
    if (frh.flags & FIB_RULE_UNRESOLVED) p.null(PRINT_ANY, 'unresolved', ' [unresolved]', null);
  } else if (frh.action === FR_ACT_NOP) p.null(PRINT_ANY, 'nop', ' nop', null);
  else if (frh.action !== FR_ACT_TO_TBL) p.string(PRINT_ANY, 'action', ' %s', rtntypeName(frh.action));
  if (a.protocol !== undefined && a.protocol && a.protocol !== RTPROT_KERNEL) {
    p.string(PRINT_ANY, 'protocol', ' proto %s', protoName(a.protocol));
  }
  p.string(PRINT_FP, null, '\n', '');
  p.closeObject();
  return true;
}

function portRange(v: string): { start: number; end: number } | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(v);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  return start <= 0xffff && end <= 0xffff ? { start, end } : undefined;
}

function uidRange(v: string): { start: number; end: number } | undefined {
  const m = /^(\d+)-(\d+)$/.exec(v);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return start <= 0xffffffff && end <= 0xffffffff ? { start, end } : undefined;
}

/** `ip rule show [SELECTOR]`: IPv4 unless -6, as ip. */
async function ruleList(ctx: IpContext, args: Args): Promise<number> {
  const af = ctx.af || AF_INET;
  const f = resetRuleFilter();
  while (args.left > 0) {
    const w = args.cur();
    if (matches(w, 'preference') || matches(w, 'order') || matches(w, 'priority')) {
      const v = args.next();
      const n = parseUnsigned(v, 0);
      if (n === undefined) invarg('preference value is invalid\n', v);
      f.pref = n;
    } else if (w === 'not') f.not = true;
    else if (w === 'tos') {
      const v = args.next();
      const t = dsfieldId(v);
      if (t === undefined) invarg('TOS value is invalid\n', v);
      f.tos = t;
    } else if (w === 'fwmark') {
      const v = args.next();
      const [mk, mask] = v.split('/');
      const n = parseUnsigned(mk!, 0);
      if (n === undefined) invarg('fwmark value is invalid\n', mk!);
      f.fwmark = n;
      if (mask !== undefined) {
        const k = parseUnsigned(mask, 0);
        if (k === undefined) invarg('fwmask value is invalid\n', mask);
        f.fwmask = k;
      }
    } else if (w === 'dev' || w === 'iif') f.iif = args.next();
    else if (w === 'oif') f.oif = args.next();
    else if (w === 'l3mdev') f.l3mdev = true;
    else if (w === 'uidrange') {
      const v = args.next();
      const r = uidRange(v);
      if (!r) invarg('invalid UID range\n', v);
      f.uidrange = r;
    } else if (matches(w, 'tun_id')) unsupported('rule show tun_id');
    else if (matches(w, 'lookup') || matches(w, 'table')) {
      const v = args.next();
      const t = tableId(v);
      if (t === undefined) invarg('table id value is invalid\n', v);
      f.tb = t;
    } else if (matches(w, 'from') || matches(w, 'src')) f.src = getPrefix(args.next(), af);
    else if (matches(w, 'protocol')) {
      const v = args.next();
      f.protocolmask = -1;
      let n = protoId(v);
      if (n === undefined) {
        if (v !== 'all') invarg('invalid "protocol"\n', v);
        n = 0;
        f.protocolmask = 0;
      }
      f.protocol = n;
    } else if (w === 'ipproto') {
      const v = args.next();
      const n = inetProtoId(v);
      if (n === undefined) invarg('Invalid "ipproto" value\n', v);
      f.ipproto = n;
    } else if (w === 'sport' || w === 'dport') {
      const v = args.next();
      const r = portRange(v);
      if (!r) invarg('invalid port range\n', v);
      f[w] = r;
    } else {
      let v = w;
      if (matches(v, 'dst') || matches(v, 'to')) v = args.next();
      f.dst = getPrefix(v, af);
    }
    args.skip();
  }
  const nl = await ctx.nl();
  const family: IpFamily = af === AF_INET6 ? 6 : 4;
  const rules = await dumping(() => nl.rule.list({ family }));
  const p = ctx.printer();
  p.newJsonObj();
  for (const r of rules) printRule(p, r.raw, f);
  p.deleteJsonObj();
  ctx.io.stdout(p.take());
  return 0;
}

/** iprule_modify: `ip rule add|del SELECTOR ACTION`. */
async function ruleModify(ctx: IpContext, op: 'add' | 'del', args: Args): Promise<number> {
  const family = ctx.af;
  const o: RuleOptions = {};
  while (args.left > 0) {
    const w = args.cur();
    if (w === 'not') o.not = true;
    else if (w === 'from' || w === 'to') {
      const pr = getPrefix(args.next(), family);
      o[w === 'from' ? 'from' : 'to'] = pr.addr === undefined ? 'all' : prefixText(pr);
    } else if (matches(w, 'preference') || matches(w, 'order') || matches(w, 'priority')) {
      const v = args.next();
      const n = parseUnsigned(v, 0);
      if (n === undefined) invarg('preference value is invalid\n', v);
      o.priority = n;
    } else if (w === 'tos' || matches(w, 'dsfield')) {
      const v = args.next();
      const t = dsfieldId(v);
      if (t === undefined) invarg('TOS value is invalid\n', v);
      o.tos = t;
    } else if (w === 'fwmark') {
      const v = args.next();
      const [mk, mask] = v.split('/');
      const n = parseUnsigned(mk!, 0);
      if (n === undefined) invarg('fwmark value is invalid\n', mk!);
      o.fwmark = n;
      if (mask !== undefined) {
        const k = parseUnsigned(mask, 0);
        if (k === undefined) invarg('fwmask value is invalid\n', mask);
        o.fwmask = k;
      }
    } else if (matches(w, 'realms')) unsupported('rule realms');
    else if (matches(w, 'protocol')) {
      const v = args.next();
      const n = protoId(v);
      if (n === undefined) invarg('"protocol" value is invalid\n', v);
      o.protocol = n;
    } else if (matches(w, 'tun_id')) unsupported('rule tun_id');
    else if (matches(w, 'table') || w === 'lookup') {
      const v = args.next();
      const t = tableId(v);
      if (t === undefined) invarg('invalid table ID\n', v);
      o.table = t;
    } else if (matches(w, 'suppress_prefixlength') || w === 'sup_pl') {
      const v = args.next();
      const n = /^-?\d+$/.test(v) ? Number(v) : undefined;
      if (n === undefined || n < -1) invarg('suppress_prefixlength value is invalid\n', v);
      o.suppressPrefixlength = n >>> 0;
    } else if (matches(w, 'suppress_ifgroup') || w === 'sup_group') unsupported('rule suppress_ifgroup');
    else if (w === 'dev' || w === 'iif') {
      const v = args.next();
      if (v.length === 0 || v.length > 15 || /[\s/]/.test(v)) invarg('"iif"/"dev" not a valid ifname', v);
      o.iif = v;
    } else if (w === 'oif') {
      const v = args.next();
      if (v.length === 0 || v.length > 15 || /[\s/]/.test(v)) invarg('"oif" not a valid ifname', v);
      o.oif = v;
    } else if (w === 'l3mdev') o.l3mdev = true;
    else if (w === 'uidrange') {
      const v = args.next();
      const r = uidRange(v);
      if (!r) invarg('invalid UID range\n', v);
      o.uidrange = r;
    } else if (w === 'nat' || matches(w, 'map-to')) unsupported(`rule ${w}`);
    else if (w === 'ipproto') {
      const v = args.next();
      const n = inetProtoId(v);
      if (n === undefined) invarg('Invalid "ipproto" value\n', v);
      o.ipproto = n;
    } else if (w === 'sport' || w === 'dport') {
      const v = args.next();
      const r = portRange(v);
      if (!r) invarg('invalid port range\n', v);
      o[w] = r;
    } else {
      let v = w;
      if (v === 'type') v = args.next();
      if (matches(v, 'help')) throw new IpUsageError(RULE_HELP.trimEnd());
      if (matches(v, 'goto')) {
        const t = args.next();
        const n = parseUnsigned(t, 0);
        if (n === undefined) invarg('invalid target\n', t);
        o.goto = n;
      } else if (matches(v, 'nop')) o.action = FR_ACT_NOP;
      else {
        const t = rtntypeId(v);
        if (t === undefined) invarg('Failed to parse rule type', v);
        o.action = t;
      }
    }
    args.skip();
  }
  if (family) o.family = family === AF_INET6 ? 6 : 4;
  const nl = await ctx.nl();
  await nl.rule[op](o);
  return 0;
}

/** `nlwire rule --help`. */
export const RULE_HELP = `Usage: nlwire [-4|-6] [-j [-p]] [-n NETNS] rule COMMAND
       (iproute2's "ip rule": same syntax, same output, same JSON with -j)

  rule [ show | list ] [ SELECTOR ]
  rule { add | del } SELECTOR ACTION

SELECTOR := [ not ] [ from PREFIX ] [ to PREFIX ] [ tos TOS ] [ fwmark FWMARK[/MASK] ]
            [ iif STRING ] [ oif STRING ] [ pref NUMBER ] [ l3mdev ]
            [ uidrange NUMBER-NUMBER ] [ ipproto PROTOCOL ] [ sport [ NUMBER | NUMBER-NUMBER ] ]
            [ dport [ NUMBER | NUMBER-NUMBER ] ] [ protocol PROTO ]
ACTION := [ table TABLE_ID ] [ goto NUMBER ] [ nop ] [ suppress_prefixlength NUMBER ]
          [ blackhole | unreachable | prohibit ]
TABLE_ID := { local | main | default | NUMBER | a name from rt_tables }

"rule show" lists IPv4 rules unless -6 is given, as ip does.
Commands may be abbreviated as in ip: ru = rule, s = show, a = add, d = delete.

Examples:
  nlwire rule
  nlwire -6 -j rule show
  nlwire rule add from 192.0.2.10 table 100 priority 1000
  nlwire rule add from 192.0.2.0/24 to 203.0.113.0/24 fwmark 0x10/0xff iif veth0 \\
         ipproto tcp dport 443 table 100 priority 500
  nlwire rule del priority 1000

Errors are ip's ("RTNETLINK answers: File exists") on stderr. Exit status: 0 success,
2 the kernel refused, 2 a usage error.
Not supported: flush, save, restore, and the keywords realms, tun_id, nat/map-to,
suppress_ifgroup.
`;

/** `nlwire rule`. */
export const ruleCommand = ipCommand(RULE_HELP, async (ctx, argv) => {
  const args = new Args(argv);
  if (args.left === 0) return ruleList(ctx, args);
  const w = args.cur();
  args.skip();
  if (matches(w, 'list') || matches(w, 'lst') || matches(w, 'show')) return ruleList(ctx, args);
  if (matches(w, 'save') || matches(w, 'restore')) unsupported(`rule ${w}`);
  if (matches(w, 'add')) return ruleModify(ctx, 'add', args);
  if (matches(w, 'delete')) return ruleModify(ctx, 'del', args);
  if (matches(w, 'flush')) unsupported('rule flush');
  throw new IpUsageError(`Command "${w}" is unknown, try "ip rule help".`);
});
