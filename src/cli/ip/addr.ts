/**
 * `nlwire addr show|add|del`: iproute2 6.1's ipaddr_list_flush_or_save, print_addrinfo and
 * ipaddr_modify (ip/ipaddress.c) over the client.
 *
 * @module
 */
import type { NlMsg } from '../../netlink/message.js';
import { parseIP } from '../../netlink/ip.js';
import { RTM_NEWADDR, RTM_DELADDR, type AddrAttrs } from '../../rtnl/addr.js';
import { RTM_GETLINK, RTM_NEWLINK } from '../../rtnl/link.js';
import type { AddrOptions, IpFamily } from '../../rtnl/request.js';
import {
  AF_INET, AF_INET6, Args, IpFailure, IpUsageError, matches, invarg, duparg, duparg2,
  unsupported, getPrefix, getAddr, addrMatch, type Prefix,
} from './args.js';
import { PRINT_ANY, PRINT_FP, PRINT_JSON, type Printer } from './print.js';
import { scopeName, scopeId, familyName } from './names.js';
import { ipCommand, dumping, type IpContext, type LinkCache } from './common.js';
import {
  printLinkinfo, resetLinkFilter, parseLinkSelectors, listingDevice, linkIndexes, fnmatch,
  type LinkFilter,
} from './link.js';

interface IfaBody {
  family: number; prefixlen: number; flags: number; scope: number; index: number;
}

/** ifa_flag_data: IFA_F_* names in iproute2's order. */
const ifaFlagData: readonly (readonly [string, number])[] = [
  ['secondary', 0x01], ['temporary', 0x01], ['nodad', 0x02], ['optimistic', 0x04],
  ['dadfailed', 0x08], ['home', 0x10], ['deprecated', 0x20], ['tentative', 0x40],
  ['permanent', 0x80], ['mngtmpaddr', 0x100], ['noprefixroute', 0x200], ['autojoin', 0x400],
  ['stable-privacy', 0x800],
];

const IFA_F_PERMANENT = 0x80;
const IFA_F_SECONDARY = 0x01;
const IFA_F_DEPRECATED = 0x20;
const INFINITY_LIFE_TIME = 0xffffffff;

/** iproute2's link_filter: the link part and the address selectors. */
export interface AddrFilter extends LinkFilter {
  scope: number;
  scopemask: number;
  flags: number;
  flagmask: number;
  /** `to PREFIX`. */
  pfx?: Prefix;
  /** filter.oneline: prefix each address with `INDEX: DEV` (as `ip monitor` does). */
  oneline: boolean;
}

/** ipaddr_reset_filter. */
export function resetAddrFilter(family: number, oneline = false): AddrFilter {
  return { ...resetLinkFilter(family, false), scope: 0, scopemask: 0, flags: 0, flagmask: 0, oneline };
}

function ifaFlags(m: NlMsg): number {
  const b = m.body as unknown as IfaBody;
  const a = (m.attrs ?? {}) as AddrAttrs;
  return a.flags ?? b.flags;
}

/** ifa_label_match_rta: the label (else the device name) against `label PATTERN`. */
function labelMismatch(f: AddrFilter, index: number, label: string | undefined, links: LinkCache): boolean {
  if (f.label === undefined) return false;
  return !fnmatch(f.label, label ?? links.name(index));
}

/**
 * inet_addr_match_rta against `to PREFIX`: true when it does not match. As in iproute2, a
 * missing address or a zero-length prefix matches, an address of the other family does not.
 */
function pfxMismatch(f: AddrFilter, local: string | undefined): boolean {
  const p = f.pfx;
  if (!p || !p.family || p.bitlen <= 0 || local === undefined) return false;
  const b = parseIP(local);
  if (!b || b.length !== (p.family === AF_INET ? 4 : 16)) return true;
  return !addrMatch(b, p.bytes, p.bitlen);
}

function printIfaFlags(p: Printer, family: number, flags: number): void {
  for (const [name, mask] of ifaFlagData) {
    if (mask === IFA_F_PERMANENT) {
      if (!(flags & mask)) p.bool(PRINT_ANY, 'dynamic', 'dynamic ', true);
    } else if (flags & mask) {
      if (mask === IFA_F_SECONDARY && family === AF_INET6) p.bool(PRINT_ANY, 'temporary', 'temporary ', true);
      else {
        p.string(PRINT_FP, null, '%s ', name);
        p.bool(PRINT_JSON, name, null, true);
      }
    }
    flags = (flags & ~mask) >>> 0;
  }
  if (flags) {
    const hex = flags.toString(16).padStart(2, '0');
    if (p.isJson()) p.string(PRINT_JSON, 'ifa_flags', null, hex);
    else p.fp('flags %s ', hex);
  }
}

/**
 * print_addrinfo: one address line (`    inet 192.0.2.10/24 brd ... scope global veth0`).
 * Returns false when the filter leaves it out.
 */
export function printAddrinfo(p: Printer, m: NlMsg, f: AddrFilter, links: LinkCache): boolean {
  if (m.type !== RTM_NEWADDR && m.type !== RTM_DELADDR) return false;
  const ifa = m.body as unknown as IfaBody | undefined;
  if (!ifa) return false;
  const a = (m.attrs ?? {}) as AddrAttrs;
  const flags = ifaFlags(m);
  const local = a.local ?? a.address;
  const address = a.address ?? a.local;
  if (f.ifindex && f.ifindex !== ifa.index) return false;
  if ((f.scope ^ ifa.scope) & f.scopemask) return false;
  if ((f.flags ^ flags) & f.flagmask) return false;
  if (f.family && f.family !== ifa.family) return false;
  if (labelMismatch(f, ifa.index, a.label, links)) return false;
  if (pfxMismatch(f, local)) return false;

  if (m.type === RTM_DELADDR) p.bool(PRINT_ANY, 'deleted', 'Deleted ', true);
  if (f.oneline) {
    const dev = links.name(ifa.index);
    if (p.isJson()) {
      p.int(PRINT_JSON, 'index', null, ifa.index);
      p.string(PRINT_JSON, 'dev', null, dev);
    } else p.fp('%u: %s', ifa.index, dev);
  }
  const fname = familyName(ifa.family);
  if (fname !== '???') p.string(PRINT_ANY, 'family', '    %s ', fname);
  else p.int(PRINT_ANY, 'family_index', '    family %d ', ifa.family);
  if (local !== undefined) {
    p.string(PRINT_ANY, 'local', '%s', local);
    if (address !== undefined && address !== local) {
      p.string(PRINT_FP, null, ' %s ', 'peer');
      p.string(PRINT_ANY, 'address', '%s', address);
    }
    p.int(PRINT_ANY, 'prefixlen', '/%d ', ifa.prefixlen);
    if (a.broadcast !== undefined) {
      p.string(PRINT_FP, null, '%s ', 'brd');
      p.string(PRINT_ANY, 'broadcast', '%s ', a.broadcast);
    }
    if (a.anycast !== undefined) {
      p.string(PRINT_FP, null, '%s ', 'any');
      p.string(PRINT_ANY, 'anycast', '%s ', a.anycast);
    }
    if (a.rtPriority !== undefined) p.uint(PRINT_ANY, 'metric', 'metric %u ', a.rtPriority);
    p.string(PRINT_ANY, 'scope', 'scope %s ', scopeName(ifa.scope));
    printIfaFlags(p, ifa.family, flags);
    if (a.label !== undefined) p.string(PRINT_ANY, 'label', '%s', a.label);
    if (a.cacheinfo !== undefined) {
      const ci = a.cacheinfo;
      p.nl();
      p.string(PRINT_FP, null, '       valid_lft ', null);
      if (ci.valid === INFINITY_LIFE_TIME) {
        p.uint(PRINT_JSON, 'valid_life_time', null, INFINITY_LIFE_TIME);
        p.string(PRINT_FP, null, '%s', 'forever');
      } else p.uint(PRINT_ANY, 'valid_life_time', '%usec', ci.valid);
      p.string(PRINT_FP, null, ' preferred_lft ', null);
      if (ci.prefered === INFINITY_LIFE_TIME) {
        p.uint(PRINT_JSON, 'preferred_life_time', null, INFINITY_LIFE_TIME);
        p.string(PRINT_FP, null, '%s', 'forever');
      } else if (flags & IFA_F_DEPRECATED) p.int(PRINT_ANY, 'preferred_life_time', '%dsec', ci.prefered | 0);
      else p.uint(PRINT_ANY, 'preferred_life_time', '%usec', ci.prefered);
    }
  }
  p.string(PRINT_FP, null, '%s', '\n');
  return true;
}

/** ipaddr_filter: whether a link stays in `addr show` (it has a matching address, or none). */
function linkKept(link: NlMsg, addrs: readonly NlMsg[], f: AddrFilter, links: LinkCache): boolean {
  const index = (link.body as { index: number }).index;
  let missing = true;
  for (const m of addrs) {
    const ifa = m.body as unknown as IfaBody;
    if (ifa.index !== index) continue;
    missing = false;
    if (f.family && f.family !== ifa.family) continue;
    if ((f.scope ^ ifa.scope) & f.scopemask) continue;
    if ((f.flags ^ ifaFlags(m)) & f.flagmask) continue;
    const a = (m.attrs ?? {}) as AddrAttrs;
    if (labelMismatch(f, ifa.index, a.label, links)) continue;
    if (pfxMismatch(f, a.local ?? a.address)) continue;
    return true;
  }
  return missing && (f.family === 0 || f.family === 17);
}

/** get_filter: an address flag selector (`permanent`, `-tentative`, `dynamic`, `primary`...). */
function addrFlagFilter(f: AddrFilter, w: string): boolean {
  let inv = false;
  let arg = w;
  if (arg.startsWith('-')) {
    inv = true;
    arg = arg.slice(1);
  }
  if (arg === 'dynamic') {
    inv = !inv;
    arg = 'permanent';
  } else if (arg === 'primary') {
    inv = !inv;
    arg = 'secondary';
  }
  const e = ifaFlagData.find(([n]) => n === arg);
  if (!e) return false;
  if (inv) f.flags &= ~e[1];
  else f.flags |= e[1];
  f.flagmask |= e[1];
  return true;
}

/**
 * The link dump of `ip -6 addr show`: RTM_GETLINK with ifi_family AF_INET6, which the
 * kernel answers from inet6_dump_ifinfo (name, mtu, operstate, queue length; no qdisc or
 * group), so the header lines differ from the other families' as they do in ip. The
 * client's link.list has no family, so this asks its socket directly.
 */
async function inet6LinkDump(ctx: IpContext): Promise<NlMsg[]> {
  const nl = await ctx.nl();
  const msgs = await nl.socket.dumpAll({
    type: RTM_GETLINK, flags: 0, body: { family: AF_INET6, type: 0, index: 0, flags: 0, change: 0 }, attrs: {},
  }, { what: 'link list' });
  return msgs.filter((m) => m.type === RTM_NEWLINK);
}

/** `ip addr show`. */
async function addrList(ctx: IpContext, args: Args): Promise<number> {
  const f = resetAddrFilter(ctx.af);
  const dev = parseLinkSelectors(args, f, (w) => {
    if (w === 'to') {
      const v = args.next();
      f.pfx = getPrefix(v, f.family);
      if (f.family === 0) f.family = f.pfx.family;
    } else if (w === 'scope') {
      const v = args.next();
      f.scopemask = -1;
      let s = scopeId(v);
      if (s === undefined) {
        if (v !== 'all') invarg('invalid "scope"\n', v);
        s = 255;
        f.scopemask = 0;
      }
      f.scope = s;
    } else if (w === 'up') f.up = true;
    else if (addrFlagFilter(f, w)) return true;
    else if (w === 'label') f.label = args.next();
    else return false;
    return true;
  });
  if (dev !== undefined) f.ifindex = await listingDevice(ctx, dev);
  const nl = await ctx.nl();
  const all = await dumping(() => ctx.links.loadAll());
  await ctx.links.ensure(all.flatMap(linkIndexes));
  // ipaddr_link_get for a device (RTM_GETLINK of one link: every attribute), else the dump.
  const links = f.ifindex ? [(await nl.link.get(f.ifindex)).raw]
    : f.family === AF_INET6 ? await dumping(() => inet6LinkDump(ctx)) : all;
  const family: IpFamily | undefined = f.family === AF_INET ? 4 : f.family === AF_INET6 ? 6 : undefined;
  const addrs = (await dumping(() => nl.addr.list({
    ...(family !== undefined ? { family } : {}), ...(f.ifindex ? { dev: f.ifindex } : {}),
  }))).map((x) => x.raw);
  const p = ctx.printer();
  p.newJsonObj();
  for (const l of links) {
    const ifi = l.body as { index: number; flags: number };
    if (f.ifindex && ifi.index !== f.ifindex) continue;
    if (!linkKept(l, addrs, f, ctx.links)) continue;
    p.openObject(null);
    // With `label`, ip prints the matching addresses without their links' lines.
    const res = f.label !== undefined ? 0 : printLinkinfo(p, l, f, ctx.links);
    if (res >= 0) {
      p.openArray(PRINT_JSON, 'addr_info');
      for (const m of addrs) {
        const ifa = m.body as unknown as IfaBody;
        if (m.type !== RTM_NEWADDR || ifa.index !== ifi.index || (f.family && f.family !== ifa.family)) continue;
        if (f.up && !(ifi.flags & 1)) continue;
        p.openObject(null);
        printAddrinfo(p, m, f, ctx.links);
        p.closeObject();
      }
      p.closeArray(PRINT_JSON, null);
    }
    p.closeObject();
  }
  p.deleteJsonObj();
  ctx.io.stdout(p.take());
  return 0;
}

/** ipaddr_modify: `ip addr add|del IFADDR dev DEV [broadcast ADDR|+] [label L] [scope S] ...`. */
async function addrModify(ctx: IpContext, op: 'add' | 'del', args: Args): Promise<number> {
  let family = ctx.af;
  let dev: string | undefined;
  let local: Prefix | undefined;
  let localArg = '';
  const o: Partial<AddrOptions> = {};
  while (args.left > 0) {
    const w = args.cur();
    if (w === 'peer' || w === 'remote') unsupported(`addr ${w}`);
    else if (matches(w, 'broadcast') || w === 'brd') {
      const v = args.next();
      if (o.broadcast !== undefined) duparg('broadcast', v);
      if (v === '+') o.broadcast = true;
      else if (v === '-') unsupported('addr broadcast -');
      else {
        const a = getAddr(v, family);
        if (family === 0) family = a.family;
        o.broadcast = a.addr;
      }
    } else if (w === 'anycast') unsupported('addr anycast');
    else if (w === 'scope') {
      const v = args.next();
      const s = scopeId(v);
      if (s === undefined) invarg('invalid scope value.', v);
      o.scope = s;
    } else if (w === 'dev') dev = args.next();
    else if (w === 'label') o.label = args.next();
    else if (matches(w, 'metric') || matches(w, 'priority') || matches(w, 'preference')) unsupported(`addr ${w}`);
    else if (matches(w, 'valid_lft') || matches(w, 'preferred_lft')) unsupported(`addr ${w}`);
    else if (w === 'home' || w === 'mngtmpaddr' || w === 'autojoin') unsupported(`addr ${w}`);
    else if (w === 'nodad') o.nodad = true;
    else if (w === 'noprefixroute') o.noprefixroute = true;
    else if (matches(w, 'proto')) unsupported(`addr ${w}`);
    else {
      let v = w;
      if (v === 'local') v = args.next();
      if (matches(v, 'help')) throw new IpUsageError(ADDR_HELP.trimEnd());
      if (local) duparg2('local', v);
      localArg = v;
      local = getPrefix(v, family);
      if (family === 0) family = local.family;
    }
    args.skip();
  }
  if (dev === undefined) throw new IpFailure('Not enough information: "dev" argument is required.');
  if (!local || local.addr === undefined) {
    throw new IpUsageError(`nlwire: addr ${op} needs an address (IFADDR)`);
  }
  if (op === 'del' && local.family === AF_INET && !local.lenGiven) {
    ctx.io.stderr('Warning: Executing wildcard deletion to stay compatible with old scripts.\n'
      + `         Explicitly specify the prefix length (${localArg}/${local.bitlen}) to avoid this warning.\n`
      + '         This special behaviour is likely to disappear in further releases,\n'
      + '         fix your scripts!\n');
  }
  o.dev = await ctx.links.require(dev);
  o.address = local.lenGiven ? `${local.addr}/${local.bitlen}` : local.addr;
  const nl = await ctx.nl();
  await nl.addr[op](o as AddrOptions);
  return 0;
}

/** `nlwire addr --help`. */
export const ADDR_HELP = `Usage: nlwire [-4|-6] [-j [-p]] [-n NETNS] addr COMMAND
       (iproute2's "ip address": same syntax, same output, same JSON with -j)

  addr [ show | list ] [ [ dev ] DEV ] [ scope SCOPE ] [ to PREFIX ] [ FLAG ]...
                       [ label PATTERN ] [ up ]
  addr add IFADDR dev DEV [ broadcast ADDRESS | broadcast + ] [ label LABEL ]
                          [ scope SCOPE ] [ nodad ] [ noprefixroute ]
  addr del IFADDR dev DEV

IFADDR := PREFIX (192.0.2.10/24, 2001:db8:1::10/64; without /LEN a host address)
SCOPE := { host | link | global | NUMBER }
FLAG := [-]{ permanent | dynamic | secondary | primary | tentative | deprecated |
             dadfailed | temporary | nodad | noprefixroute | ... }

Commands may be abbreviated as in ip: a = addr (as the object) and add, s = show,
d = delete.

Examples:
  nlwire addr
  nlwire -4 addr show dev veth0
  nlwire -j -p addr show scope global
  nlwire addr add 192.0.2.10/24 dev veth0
  nlwire addr add 2001:db8:1::10/64 dev veth0 nodad
  nlwire addr del 192.0.2.10/24 dev veth0

Errors are ip's ("Error: ipv4: Address already assigned.", 'Device "eth9" does not
exist.') on stderr. Exit status: 0 success, 2 the kernel refused, 1 an unknown device,
2 a usage error.
Not supported: change, replace, flush, save, restore, showdump, and the keywords peer,
anycast, valid_lft, preferred_lft, metric, home, mngtmpaddr, autojoin, proto, broadcast -.
`;

/** `nlwire addr`. */
export const addrCommand = ipCommand(ADDR_HELP, async (ctx, argv) => {
  const args = new Args(argv);
  if (args.left === 0) return addrList(ctx, args);
  const w = args.cur();
  args.skip();
  if (matches(w, 'add')) return addrModify(ctx, 'add', args);
  if (matches(w, 'change') || w === 'chg') unsupported('addr change');
  if (matches(w, 'replace')) unsupported('addr replace');
  if (matches(w, 'delete')) return addrModify(ctx, 'del', args);
  if (matches(w, 'list') || matches(w, 'show') || matches(w, 'lst')) return addrList(ctx, args);
  for (const c of ['flush', 'save', 'showdump', 'restore']) if (matches(w, c)) unsupported(`addr ${c}`);
  throw new IpUsageError(`Command "${w}" is unknown, try "ip address help".`);
});
