/**
 * `nlwire link show`, and the link half of `addr show` and `monitor`: iproute2 6.1's
 * print_linkinfo (ip/ipaddress.c) over the client's link dump.
 *
 * @module
 */
import type { NlMsg } from '../../netlink/message.js';
import { parseLladdr, formatIP } from '../../netlink/ip.js';
import {
  RTM_NEWLINK, RTM_DELLINK, IFF_UP, IFF_RUNNING, IFF_POINTOPOINT, iffNames, arphrdNames,
  linkEventNames, type LinkAttrs,
} from '../../rtnl/link.js';
import { Args, IpFailure, IpUsageError, matches, unsupported } from './args.js';
import { PRINT_ANY, PRINT_FP, PRINT_JSON, type Printer } from './print.js';
import { groupName } from './names.js';
import { ipCommand, dumping, type IpContext, type LinkCache } from './common.js';

/** The fixed header of a link message, as decoded. */
interface IfiBody {
  family: number; type: number; index: number; flags: number; change: number;
}

/** The link half of iproute2's `link_filter`. */
export interface LinkFilter {
  /** Only this link (0: all). */
  ifindex: number;
  /** `up`: only links with IFF_UP. */
  up: boolean;
  /** `label PATTERN` (fnmatch), also applied to link names when no family is set. */
  label?: string;
  /** filter.family: 0, AF_INET, AF_INET6, or AF_PACKET (17) for `link show`. */
  family: number;
  /** filter.showqueue: print `qlen`. */
  showqueue: boolean;
  /** do_link: `link show` (prints `mode`, `alias`). */
  doLink: boolean;
  /** filter.group, -1 for any. */
  group: number;
}

/** ipaddr_reset_filter, with showqueue as `addr show` and `link show` set it. */
export function resetLinkFilter(family: number, doLink: boolean): LinkFilter {
  return { ifindex: 0, up: false, family, showqueue: true, doLink, group: -1 };
}

/** ARPHRD_TUNNEL, ARPHRD_SIT, ARPHRD_IPGRE: addresses printed as IPv4. */
const V4_LINK_TYPES = new Set([768, 776, 778]);
/** ARPHRD_TUNNEL6, ARPHRD_IP6GRE. */
const V6_LINK_TYPES = new Set([769, 823]);

/** ll_addr_n2a: `aa:bb:...`, or an IP address for tunnel link types. */
export function llAddr(text: string, type: number): string {
  const b = parseLladdr(text);
  if (b && ((b.length === 4 && V4_LINK_TYPES.has(type)) || (b.length === 16 && V6_LINK_TYPES.has(type)))) {
    return formatIP(b);
  }
  return text;
}

/** ll_type_n2a: `ether`, `loopback`..., else `[N]`. */
export function llTypeName(type: number): string {
  return arphrdNames[type] ?? `[${type}]`;
}

/** fnmatch(3) with `*`, `?` and `[...]`, no flags. */
export function fnmatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(re + '$', 's').test(s);
}

const printedIff: readonly number[] = [
  1 << 3, 1 << 1, 1 << 4, 1 << 12, 1 << 7, 1 << 9, 1 << 8, 1 << 10, 1 << 11, 1 << 2,
  1 << 15, 1 << 14, 1 << 13, 1 << 5, 1 << 0, 1 << 16, 1 << 17, 1 << 18,
];

/** print_link_flags: `<BROADCAST,MULTICAST,UP,LOWER_UP> ` or the `flags` array. */
function printLinkFlags(p: Printer, flags: number, mdown: boolean): void {
  p.openArray(PRINT_ANY, p.isJson() ? 'flags' : '<');
  if (flags & IFF_UP && !(flags & IFF_RUNNING)) p.string(PRINT_ANY, null, flags ? '%s,' : '%s', 'NO-CARRIER');
  flags = (flags & ~IFF_RUNNING) >>> 0;
  for (const bit of printedIff) {
    if (!(flags & bit)) continue;
    flags = (flags & ~bit) >>> 0;
    p.string(PRINT_ANY, null, flags ? '%s,' : '%s', iffNames[bit]!);
  }
  if (flags) p.hex(PRINT_ANY, null, '%x', flags);
  if (mdown) p.string(PRINT_ANY, null, ',%s', 'M-DOWN');
  p.closeArray(PRINT_ANY, '> ');
}

const operStates = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];

/**
 * print_linkinfo: a link's header lines (`3: veth0@peer0: <...> mtu 1500 ...` and
 * `link/ether ...`), or its keys in JSON. Returns -1 when the filter leaves it out (the
 * caller's JSON object stays empty then, as with ip), 1 when printed.
 */
export function printLinkinfo(p: Printer, m: NlMsg, f: LinkFilter, links: LinkCache): number {
  if (m.type !== RTM_NEWLINK && m.type !== RTM_DELLINK) return 0;
  const ifi = m.body as unknown as IfiBody | undefined;
  if (!ifi) return -1;
  const a = (m.attrs ?? {}) as LinkAttrs & Record<string, unknown>;
  if (f.ifindex && ifi.index !== f.ifindex) return -1;
  if (f.up && !(ifi.flags & IFF_UP)) return -1;
  const name = a.ifname;
  if (name === undefined) return -1;
  if (f.label !== undefined && (!f.family || f.family === 17) && !fnmatch(f.label, name)) return -1;
  if (a.group !== undefined && f.group !== -1 && a.group !== f.group) return -1;

  if (m.type === RTM_DELLINK) p.bool(PRINT_ANY, 'deleted', 'Deleted ', true);
  p.int(PRINT_ANY, 'ifindex', '%d: ', ifi.index);
  // print_name_and_link
  let shown = name;
  let mdown = false;
  if (a.link !== undefined) {
    const iflink = a.link;
    if (iflink) {
      if (a.linkNetnsid !== undefined) {
        if (p.isJson()) p.int(PRINT_JSON, 'link_index', null, iflink);
        else shown = `${name}@if${iflink >>> 0}`;
      } else {
        const peer = links.name(iflink);
        if (p.isJson()) p.string(PRINT_JSON, 'link', null, peer);
        else shown = `${name}@${peer}`;
        mdown = !((links.get(iflink)?.flags ?? 0) & IFF_UP);
      }
    } else if (p.isJson()) p.null(PRINT_JSON, 'link', null, null);
    else shown = `${name}@NONE`;
  }
  p.string(PRINT_ANY, 'ifname', '%s: ', shown);
  printLinkFlags(p, ifi.flags, mdown);

  if (a.mtu !== undefined) p.int(PRINT_ANY, 'mtu', 'mtu %u ', a.mtu);
  if (a.qdisc !== undefined) p.string(PRINT_ANY, 'qdisc', 'qdisc %s ', a.qdisc);
  if (a.master !== undefined) p.string(PRINT_ANY, 'master', 'master %s ', links.name(a.master));
  if (a.operstate !== undefined) {
    const st = operStates[a.operstate];
    if (st === undefined) {
      if (p.isJson()) p.uint(PRINT_JSON, 'operstate_index', null, a.operstate);
      else p.hex0x(PRINT_FP, null, 'state %#llx', a.operstate);
    } else if (p.isJson()) p.string(PRINT_JSON, 'operstate', null, st);
    else p.fp('state %s ', st);
  }
  if (f.doLink && a.linkmode !== undefined) {
    const mode = ['DEFAULT', 'DORMANT'][a.linkmode];
    if (mode === undefined) p.int(PRINT_ANY, 'linkmode_index', 'mode %d ', a.linkmode);
    else p.string(PRINT_ANY, 'linkmode', 'mode %s ', mode);
  }
  if (a.group !== undefined) p.string(PRINT_ANY, 'group', 'group %s ', groupName(a.group));
  if (f.showqueue) {
    // print_queuelen asks SIOCGIFTXQLEN when the message has no IFLA_TXQLEN (an inet6
    // link dump): the link map holds the same number.
    const qlen = a.txqlen ?? links.get(ifi.index)?.txqlen;
    if (qlen) p.int(PRINT_ANY, 'txqlen', 'qlen %d', qlen);
  }
  if (a.event !== undefined && a.event !== 0) {
    p.nl();
    p.string(PRINT_ANY, 'event', '    event %s ', linkEventNames[a.event] ?? String(a.event));
  }
  if (!f.family || f.family === 17) {
    p.nl();
    p.string(PRINT_ANY, 'link_type', '    link/%s ', llTypeName(ifi.type));
    if (a.address !== undefined) p.string(PRINT_ANY, 'address', '%s', llAddr(a.address, ifi.type));
    if (a.broadcast !== undefined) {
      if (ifi.flags & IFF_POINTOPOINT) {
        p.string(PRINT_FP, null, ' peer ', null);
        p.bool(PRINT_JSON, 'link_pointtopoint', null, true);
      } else p.string(PRINT_FP, null, ' brd ', null);
      p.string(PRINT_ANY, 'broadcast', '%s', llAddr(a.broadcast, ifi.type));
    }
    if (a.permAddress !== undefined) {
      p.string(PRINT_FP, null, ' permaddr ', null);
      p.string(PRINT_ANY, 'permaddr', '%s', llAddr(a.permAddress, ifi.type));
    }
  }
  if (a.linkNetnsid !== undefined) {
    const id = a.linkNetnsid;
    if (p.isJson()) p.int(PRINT_JSON, 'link_netnsid', null, id);
    else if (id >= 0) p.int(PRINT_FP, null, ' link-netnsid %d', id);
    else p.string(PRINT_FP, null, ' link-netnsid %s', 'unknown');
  }
  if (a.newNetnsid !== undefined) p.int(PRINT_ANY, 'new_netnsid', ' new-netnsid %d', a.newNetnsid);
  if (a.newIfindex !== undefined) p.int(PRINT_ANY, 'new_ifindex', ' new-ifindex %d', a.newIfindex);
  if (a.protoDown) p.bool(PRINT_ANY, 'proto_down', ' protodown on ', true);
  if (f.doLink && a.ifalias !== undefined) {
    p.string(PRINT_FP, null, '%s    ', p.sl);
    p.string(PRINT_ANY, 'ifalias', 'alias %s', a.ifalias);
  }
  if (a.propList !== undefined) {
    p.openArray(PRINT_JSON, 'altnames');
    for (const [k, v] of Object.entries(a.propList as Record<string, unknown>)) {
      if (k !== 'altIfname' && !k.startsWith('altIfname#')) continue;
      p.string(PRINT_FP, null, '%s    altname ', p.sl);
      p.string(PRINT_ANY, null, '%s', String(v));
    }
    p.closeArray(PRINT_JSON, null);
  }
  p.string(PRINT_FP, null, '%s', '\n');
  return 1;
}

/** The link indexes a link message refers to (its peer, its master). */
export function linkIndexes(m: NlMsg): number[] {
  const a = (m.attrs ?? {}) as LinkAttrs;
  const out: number[] = [];
  if (a.link && a.linkNetnsid === undefined) out.push(a.link);
  if (a.master) out.push(a.master);
  return out;
}

/** `nlwire link --help`. */
export const LINK_HELP = `Usage: nlwire [-j [-p]] [-n NETNS] link [ show | list ] [ [ dev ] DEV ] [ up ]
                                        [ group GROUP ]
       (iproute2's "ip link show": same output, same JSON with -j)

  Lists the links (interfaces): index, name, flags, mtu, qdisc, state, mode, group,
  queue length, link type and addresses. With DEV, only that link; with "up", only the
  links that are up.

Examples:
  nlwire link
  nlwire link show veth0
  nlwire -j -p link show dev lo
  nlwire -n blue link show up

Exit status: 0 success, 1 no such device ('Device "eth9" does not exist.'), 2 the kernel
refused or a usage error.
Not supported: link add|set|delete, xstats, afstats, property, -s statistics, -d details.
`;

/** The link half of ipaddr_list_flush_or_save's argument loop. */
export function parseLinkSelectors(args: Args, f: LinkFilter, extra?: (w: string) => boolean): string | undefined {
  let dev: string | undefined;
  while (args.left > 0) {
    const w = args.cur();
    if (extra?.(w)) {
      // handled by the caller
    } else if (w === 'up') f.up = true;
    else if (w === 'group') {
      const v = args.next();
      const g = groupByName(v);
      if (g === undefined) throw new IpUsageError(`Error: argument "${v}" is wrong: Invalid "group" value`);
      f.group = g;
    } else if (['master', 'vrf', 'nomaster', 'type', 'novf'].includes(w)) unsupported(`show ${w}`);
    else {
      let v = w;
      if (v === 'dev') v = args.next();
      else if (matches(v, 'help')) throw new IpUsageError(LINK_HELP.trimEnd());
      if (dev !== undefined) throw new IpUsageError(`Error: either "dev" is duplicate, or "${v}" is a garbage.`);
      dev = v;
    }
    args.skip();
  }
  return dev;
}

function groupByName(v: string): number | undefined {
  if (v === 'default') return 0;
  return /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Resolves `dev` of a listing as ip does: `Device "X" does not exist.` (exit 1). */
export async function listingDevice(ctx: IpContext, dev: string): Promise<number> {
  const i = await ctx.links.index(dev);
  if (i <= 0) throw new IpFailure(`Device "${dev}" does not exist.`);
  return i;
}

/** `nlwire link`: ipaddr_list_link. */
export const linkCommand = ipCommand(LINK_HELP, async (ctx, argv) => {
  const args = new Args(argv);
  if (args.left > 0) {
    const w = args.cur();
    args.skip();
    for (const c of ['add', 'set', 'change', 'replace', 'delete']) if (matches(w, c)) unsupported(`link ${c}`);
    if (!(matches(w, 'show') || matches(w, 'lst') || matches(w, 'list'))) {
      for (const c of ['xstats', 'afstats', 'property']) if (matches(w, c)) unsupported(`link ${c}`);
      throw new IpUsageError(`Command "${w}" is unknown, try "ip link help".`);
    }
  }
  const f = resetLinkFilter(17, true);
  const dev = parseLinkSelectors(args, f);
  if (dev !== undefined) f.ifindex = await listingDevice(ctx, dev);
  const msgs = await dumping(() => ctx.links.loadAll());
  await ctx.links.ensure(msgs.flatMap(linkIndexes));
  const p = ctx.printer();
  p.newJsonObj();
  for (const m of msgs) {
    if (f.ifindex && (m.body as { index?: number } | undefined)?.index !== f.ifindex) continue;
    p.openObject(null);
    printLinkinfo(p, m, f, ctx.links);
    p.closeObject();
  }
  p.deleteJsonObj();
  ctx.io.stdout(p.take());
  return 0;
});
