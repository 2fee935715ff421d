/**
 * `nlwire monitor`: iproute2 6.1's do_ipmonitor and accept_msg (ip/ipmonitor.c) over the
 * client's monitor: each notification printed as `ip monitor` prints it, with the
 * `[ROUTE]`-style banner for `all` or `label`, until interrupted. With `-j`, each event is
 * one JSON object on a line with ip's keys (`"deleted": true` for removals): ip 6.1 prints
 * text whatever -j says, so this form is nlwire's own.
 *
 * @module
 */
import type { NlMsg } from '../../netlink/message.js';
import type { MonitorKind } from '../../rtnl/client.js';
import { RTM_F_CLONED } from '../../rtnl/route.js';
import type { CliIO } from '../main.js';
import { Args, IpUsageError, matches, invarg, unsupported } from './args.js';
import {
  IpContext, parseGlobalOptions, reportError, EXIT_USAGE, type IpCommand,
} from './common.js';
import type { Printer } from './print.js';
import { printRoute, resetRouteFilter, routeIndexes } from './route.js';
import { printLinkinfo, resetLinkFilter, linkIndexes } from './link.js';
import { printAddrinfo, resetAddrFilter } from './addr.js';
import { printRule, resetRuleFilter } from './rule.js';
import { printNeigh, resetNeighFilter } from './neigh.js';

/** `nlwire monitor --help`. */
export const MONITOR_HELP = `Usage: nlwire [-4|-6] [-j] [-n NETNS] monitor [ all | OBJECT... ] [ label ] [ dev DEV ]
       (iproute2's "ip monitor": the same lines, as changes happen, until interrupted)

OBJECT := { link | address | route | rule | neigh }

Without an object every kind is watched; "all" does the same and starts each line with
its kind ([ROUTE], [ADDR], [LINK], [RULE], [NEIGH]), as "label" does. With -4 or -6 the
route, address and rule objects watch that family only. "dev DEV" shows only what
concerns that device. With -j each event is printed as one JSON object per line, with
ip -j's keys and "deleted": true for removals (ip 6.1 itself prints text).

Examples:
  nlwire monitor
  nlwire monitor all
  nlwire -6 monitor route
  nlwire -j -n blue monitor route address

Stop it with Ctrl-C (SIGINT). Exit status: 0 when stopped, 1 when the namespace or the
socket cannot be opened, 2 a usage error.
Not supported: mroute, prefix, netconf, nsid, nexthop, file, all-nsid.
`;

/** What {@link runMonitor} takes besides the arguments. */
export interface MonitorOptions {
  /** Stops the monitor (it then resolves with 0). */
  signal?: AbortSignal;
  /** Called once the notifications are subscribed: changes from then on are printed. */
  onReady?: () => void;
}

/**
 * Runs `nlwire monitor ARGS` until `signal` aborts (in-process use and tests); the command's
 * own `run` stops on SIGINT or SIGTERM.
 */
export async function runMonitor(argv: string[], io: CliIO, mo: MonitorOptions = {}): Promise<number> {
  const g = parseGlobalOptions(argv);
  if (g.error !== undefined) {
    io.stderr(`${g.error}\n`);
    return EXIT_USAGE;
  }
  const ctx = new IpContext(io, g.options);
  try {
    return await monitor(ctx, g.rest, mo);
  } catch (err) {
    return reportError(err, io);
  } finally {
    await ctx.close();
  }
}

async function monitor(ctx: IpContext, argv: string[], mo: MonitorOptions): Promise<number> {
  const args = new Args(argv);
  const chosen = new Set<MonitorKind>();
  let banner = false;
  let dev: string | undefined;
  while (args.left > 0) {
    const w = args.cur();
    if (matches(w, 'file')) unsupported('monitor file');
    else if (matches(w, 'label')) banner = true;
    else if (matches(w, 'link')) chosen.add('link');
    else if (matches(w, 'address')) chosen.add('addr');
    else if (matches(w, 'route')) chosen.add('route');
    else if (matches(w, 'mroute') || matches(w, 'prefix')) unsupported(`monitor ${w}`);
    else if (matches(w, 'neigh')) chosen.add('neigh');
    else if (matches(w, 'netconf')) unsupported('monitor netconf');
    else if (matches(w, 'rule')) chosen.add('rule');
    else if (matches(w, 'nsid') || matches(w, 'nexthop')) unsupported(`monitor ${w}`);
    else if (w === 'all') banner = true;
    else if (matches(w, 'all-nsid')) unsupported('monitor all-nsid');
    else if (matches(w, 'help')) throw new IpUsageError(MONITOR_HELP.trimEnd());
    else if (w === 'dev') dev = args.next();
    else throw new IpUsageError(`Argument "${w}" is unknown, try "ip monitor help".`);
    args.skip();
  }
  const explicit = chosen.size > 0;
  const kinds: MonitorKind[] = explicit ? [...chosen] : ['link', 'addr', 'route', 'neigh', 'rule'];
  let ifindex = 0;
  if (dev !== undefined) {
    ifindex = await ctx.links.index(dev);
    if (!ifindex) invarg('Device does not exist\n', dev);
  }
  const af = ctx.af;
  const routeFilter = resetRouteFilter(af);
  if (ifindex) {
    routeFilter.oif = ifindex;
    routeFilter.oifmask = -1;
  }
  const addrFilter = resetAddrFilter(0, true);
  addrFilter.ifindex = ifindex;
  addrFilter.showqueue = false;
  const linkFilter = { ...resetLinkFilter(0, false), ifindex, showqueue: false };
  const neighFilter = resetNeighFilter(0);
  neighFilter.index = ifindex;
  neighFilter.state = 0xffffffff;
  const ruleFilter = resetRuleFilter();

  const nl = await ctx.nl();
  const events = nl.monitor(kinds);
  const stop = (): void => {
    void events.return?.();
  };
  if (mo.signal?.aborted) stop();
  mo.signal?.addEventListener('abort', stop, { once: true });
  await ctx.links.loadAll();
  mo.onReady?.();
  /** Prints one event (with its banner) when `print` printed something. */
  const emit = (label: string, print: (q: Printer) => boolean): void => {
    const q = ctx.printer();
    q.beginJsonLine();
    const ok = print(q);
    q.endJsonLine();
    const body = q.take();
    if (ok && body) ctx.io.stdout((banner && !q.json ? label : '') + body);
  };
  try {
    for await (const ev of events) {
      if (ev.kind === 'overrun') {
        ctx.io.stderr('netlink receive error No buffer space available (105)\n');
        continue;
      }
      const m: NlMsg = ev.kind === 'route' ? ev.route.raw : ev.kind === 'addr' ? ev.addr.raw
        : ev.kind === 'link' ? ev.link.raw : ev.kind === 'rule' ? ev.rule.raw : ev.neigh.raw;
      const family = (m.body as { family?: number } | undefined)?.family ?? 0;
      switch (ev.kind) {
        case 'route':
          if ((m.body as { flags: number }).flags & RTM_F_CLONED) break;
          await ctx.links.ensure(routeIndexes(m));
          emit('[ROUTE]', (q) => printRoute(q, m, routeFilter, ctx.links));
          break;
        case 'link':
          ctx.links.remember(m);
          await ctx.links.ensure(linkIndexes(m));
          emit('[LINK]', (q) => {
            q.openObject(null);
            const r = printLinkinfo(q, m, linkFilter, ctx.links);
            q.closeObject();
            return r > 0;
          });
          break;
        case 'addr':
          if (explicit && af && family !== af) break;
          await ctx.links.ensure([(m.body as { index: number }).index]);
          emit('[ADDR]', (q) => {
            q.openObject(null);
            const r = printAddrinfo(q, m, addrFilter, ctx.links);
            q.closeObject();
            return r;
          });
          break;
        case 'neigh':
          if (af && family !== af) break;
          await ctx.links.ensure([(m.body as { ifindex: number }).ifindex]);
          emit('[NEIGH]', (q) => printNeigh(q, m, neighFilter, ctx.links));
          break;
        case 'rule':
          if (af && family !== af) break;
          emit('[RULE]', (q) => printRule(q, m, ruleFilter));
          break;
      }
    }
  } finally {
    mo.signal?.removeEventListener('abort', stop);
  }
  return 0;
}

/** `nlwire monitor`: runs until SIGINT or SIGTERM. */
export const monitorCommand: IpCommand = {
  help: MONITOR_HELP,
  async run(args: string[], io: CliIO): Promise<number> {
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout(MONITOR_HELP);
      return 0;
    }
    const ac = new AbortController();
    const onSignal = (): void => ac.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      return await runMonitor(args, io, { signal: ac.signal });
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  },
};
