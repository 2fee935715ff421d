/**
 * `nlwire neigh show`: iproute2 6.1's do_show_or_flush and print_neigh (ip/ipneigh.c)
 * over the client's neighbour dump.
 *
 * @module
 */
import type { NlMsg } from '../../netlink/message.js';
import { parseIP } from '../../netlink/ip.js';
import { RTM_DELNEIGH, RTM_GETNEIGH, type NeighAttrs } from '../../rtnl/neigh.js';
import type { IpFamily } from '../../rtnl/request.js';
import {
  AF_INET, AF_INET6, Args, IpUsageError, matches, invarg, unsupported, getPrefix, addrMatch,
  type Prefix,
} from './args.js';
import { PRINT_ANY, PRINT_FP, PRINT_JSON, type Printer } from './print.js';
import { protoName, protoId, parseUnsigned } from './names.js';
import { ipCommand, dumping, type LinkCache } from './common.js';
import { llAddr } from './link.js';

interface NdBody {
  family: number; ifindex: number; state: number; flags: number; type: number;
}

const NTF_PROXY = 0x08;
const NTF_EXT_LEARNED = 0x10;
const NTF_OFFLOADED = 0x20;
const NTF_ROUTER = 0x80;
const NUD_NOARP = 0x40;

/** NUD_* names in print_neigh_state's order. */
const nudNames: readonly (readonly [number, string])[] = [
  [0x01, 'INCOMPLETE'], [0x02, 'REACHABLE'], [0x04, 'STALE'], [0x08, 'DELAY'],
  [0x10, 'PROBE'], [0x20, 'FAILED'], [0x40, 'NOARP'], [0x80, 'PERMANENT'],
];

/** ipneigh.c's `filter`. */
export interface NeighFilter {
  family: number;
  /** Only this link (0: all); its entries then print without `dev`. */
  index: number;
  /** NUD_* states shown; 0x100 stands for NUD_NONE (0). */
  state: number;
  pfx?: Prefix;
  protocol: number;
}

/** ipneigh_reset_filter and the default of `show`: every state but NOARP. */
export function resetNeighFilter(family: number): NeighFilter {
  return { family, index: 0, state: 0xff & ~NUD_NOARP, protocol: 0 };
}

function printNeighState(p: Printer, nud: number): void {
  p.openArray(PRINT_JSON, p.isJson() ? 'state' : '');
  for (const [bit, name] of nudNames) {
    if (!(nud & bit)) continue;
    nud &= ~bit;
    p.string(PRINT_ANY, null, '%s ', name);
  }
  p.closeArray(PRINT_JSON, null);
}

/** print_neigh: `192.0.2.99 dev veth0 lladdr 02:00:00:00:00:99 PERMANENT `, or its JSON. */
export function printNeigh(p: Printer, m: NlMsg, f: NeighFilter, links: LinkCache): boolean {
  const r = m.body as unknown as NdBody | undefined;
  if (!r) return false;
  const a = (m.attrs ?? {}) as NeighAttrs;
  if (f.family && f.family !== r.family) return false;
  if (f.index && f.index !== r.ifindex) return false;
  if (!(f.state & r.state) && !(r.flags & NTF_PROXY) && !(r.flags & NTF_EXT_LEARNED)
    && (r.state || !(f.state & 0x100))) return false;
  const pfx = f.pfx;
  if (pfx && pfx.family && pfx.bitlen > 0 && a.dst !== undefined) {
    const dst = parseIP(a.dst);
    if (!dst || dst.length !== (pfx.family === AF_INET ? 4 : 16) || !addrMatch(dst, pfx.bytes, pfx.bitlen)) return false;
  }
  const protocol = a.protocol ?? 0;
  if (f.protocol && f.protocol !== protocol) return false;

  p.openObject(null);
  if (m.type === RTM_DELNEIGH) p.bool(PRINT_ANY, 'deleted', 'Deleted ', true);
  else if (m.type === RTM_GETNEIGH) p.null(PRINT_ANY, 'miss', '%s ', 'miss');
  if (a.dst !== undefined) p.string(PRINT_ANY, 'dst', '%s ', a.dst);
  if (!f.index && r.ifindex) {
    p.string(PRINT_FP, null, 'dev ', null);
    p.string(PRINT_ANY, 'dev', '%s ', links.name(r.ifindex));
  }
  if (a.lladdr !== undefined) {
    if (!p.isJson()) p.fp('lladdr ');
    p.string(PRINT_ANY, 'lladdr', '%s ', llAddr(a.lladdr, links.get(r.ifindex)?.type ?? 0xffff));
  }
  if (r.flags & NTF_ROUTER) p.null(PRINT_ANY, 'router', '%s ', 'router');
  if (r.flags & NTF_PROXY) p.null(PRINT_ANY, 'proxy', '%s ', 'proxy');
  if (r.flags & NTF_EXT_LEARNED) p.null(PRINT_ANY, 'extern_learn', '%s ', 'extern_learn');
  if (r.flags & NTF_OFFLOADED) p.null(PRINT_ANY, 'offload', '%s ', 'offload');
  if (r.state) printNeighState(p, r.state);
  if (protocol) p.string(PRINT_ANY, 'protocol', 'proto %s ', protoName(protocol));
  p.string(PRINT_FP, null, '\n', '');
  p.closeObject();
  return true;
}

/** nud_state_a2n; NUD_NONE comes back as 0x100, as do_show_or_flush turns it. */
function nudState(arg: string): number | undefined {
  if (arg.toLowerCase() === 'all') return 0xffffffff;
  let s: number | undefined;
  if (matches(arg, 'permanent')) s = 0x80;
  else if (matches(arg, 'reachable')) s = 0x02;
  else if (arg === 'noarp') s = 0x40;
  else if (arg === 'none') s = 0;
  else if (arg === 'stale') s = 0x04;
  else if (arg === 'incomplete') s = 0x01;
  else if (arg === 'delay') s = 0x08;
  else if (arg === 'probe') s = 0x10;
  else if (matches(arg, 'failed')) s = 0x20;
  else {
    s = parseUnsigned(arg, 0);
    if (s === undefined || s >= 0x100 || (s & (s - 1))) return undefined;
  }
  return s === 0 ? 0x100 : s;
}

/** `nlwire neigh --help`. */
export const NEIGH_HELP = `Usage: nlwire [-4|-6] [-j [-p]] [-n NETNS] neigh [ show | list ] [ to PREFIX ]
                     [ dev DEV ] [ nud STATE ] [ protocol PROTO ]
       (iproute2's "ip neigh show": same output, same JSON with -j)

STATE := { permanent | noarp | stale | reachable | none | incomplete | delay | probe |
           failed | all }

Lists the neighbour (ARP and NDP) entries; as ip, NOARP entries and entries without a
state are shown only when "nud" asks for them.
"neigh", "neighbor", "neighbour" and abbreviations down to "n" name the object.

Examples:
  nlwire neigh
  nlwire -6 neigh show dev veth0
  nlwire -j neigh show nud permanent
  nlwire neigh show to 192.0.2.0/24 nud all

Exit status: 0 success, 1 an unknown device, 2 the kernel refused or a usage error.
Not supported: neigh add|del|change|replace|get|flush, and show proxy|master|vrf|unused.
`;

/** `nlwire neigh`. */
export const neighCommand = ipCommand(NEIGH_HELP, async (ctx, argv) => {
  const args = new Args(argv);
  if (args.left > 0) {
    const w = args.cur();
    args.skip();
    for (const c of ['add', 'change', 'replace', 'delete', 'get']) if (matches(w, c)) unsupported(`neigh ${c}`);
    if (!(matches(w, 'show') || matches(w, 'lst') || matches(w, 'list'))) {
      if (matches(w, 'flush')) unsupported('neigh flush');
      throw new IpUsageError(`Command "${w}" is unknown, try "ip neigh help".`);
    }
  }
  const f = resetNeighFilter(ctx.af);
  let dev: string | undefined;
  let stateGiven = false;
  while (args.left > 0) {
    const w = args.cur();
    if (w === 'dev') dev = args.next();
    else if (['master', 'vrf', 'nomaster', 'unused', 'proxy'].includes(w)) unsupported(`neigh show ${w}`);
    else if (w === 'nud') {
      const v = args.next();
      if (!stateGiven) {
        stateGiven = true;
        f.state = 0;
      }
      const s = nudState(v);
      if (s === undefined) invarg('nud state is bad', v);
      f.state = (f.state | s) >>> 0;
    } else if (matches(w, 'protocol')) {
      const v = args.next();
      const n = protoId(v);
      if (n === undefined) invarg('"protocol" value is invalid\n', v);
      f.protocol = n;
    } else {
      let v = w;
      if (v === 'to') v = args.next();
      if (matches(v, 'help')) throw new IpUsageError(NEIGH_HELP.trimEnd());
      f.pfx = getPrefix(v, f.family);
      if (f.family === 0) f.family = f.pfx.family;
    }
    args.skip();
  }
  if (dev !== undefined) f.index = await ctx.links.require(dev);
  const nl = await ctx.nl();
  await ctx.links.loadAll();
  const family: IpFamily | undefined = f.family === AF_INET ? 4 : f.family === AF_INET6 ? 6 : undefined;
  const entries = await dumping(() => nl.neigh.list({
    ...(family !== undefined ? { family } : {}), ...(f.index ? { dev: f.index } : {}),
  }));
  const p = ctx.printer();
  p.newJsonObj();
  for (const n of entries) printNeigh(p, n.raw, f, ctx.links);
  p.deleteJsonObj();
  ctx.io.stdout(p.take());
  return 0;
});
