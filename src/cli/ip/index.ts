/**
 * The ip-style commands of `nlwire`: `route`, `addr`, `link`, `rule`, `neigh` and
 * `monitor`, with iproute2 6.1's syntax, text output, `-j` JSON and error messages, over
 * the rtnetlink client. Global options come first, as with ip:
 * `nlwire -j -n blue route show table all`.
 *
 * @module
 */
import type { CliIO } from '../main.js';
import { parseGlobalOptions, EXIT_USAGE, type IpCommand } from './common.js';
import { routeCommand } from './route.js';
import { addrCommand } from './addr.js';
import { linkCommand } from './link.js';
import { ruleCommand } from './rule.js';
import { neighCommand } from './neigh.js';
import { monitorCommand } from './monitor.js';

export { parseGlobalOptions, type IpGlobalOptions, type ParsedGlobalOptions, type IpCommand } from './common.js';
export { runMonitor, type MonitorOptions } from './monitor.js';

/** The ip-style commands by their full name. */
export const ipCommands: Record<'route' | 'addr' | 'link' | 'rule' | 'neigh' | 'monitor', IpCommand> = {
  route: routeCommand,
  addr: addrCommand,
  link: linkCommand,
  rule: ruleCommand,
  neigh: neighCommand,
  monitor: monitorCommand,
};

/**
 * ip.c's object table in its order, so an abbreviation means what it means to ip (`a` is
 * address, `r` route, `ru` rule, `n` neighbor, `l` link, `m` maddress, `mo` monitor);
 * objects nlwire does not have map to undefined.
 */
const ipObjects: readonly (readonly [string, keyof typeof ipCommands | undefined])[] = [
  ['address', 'addr'], ['addrlabel', undefined], ['maddress', undefined], ['route', 'route'],
  ['rule', 'rule'], ['neighbor', 'neigh'], ['neighbour', 'neigh'], ['ntable', undefined],
  ['ntbl', undefined], ['link', 'link'], ['l2tp', undefined], ['fou', undefined],
  ['ila', undefined], ['macsec', undefined], ['tunnel', undefined], ['tuntap', undefined],
  ['tap', undefined], ['token', undefined], ['tcpmetrics', undefined], ['tcp_metrics', undefined],
  ['monitor', 'monitor'], ['xfrm', undefined], ['mroute', undefined], ['mrule', undefined],
  ['netns', undefined], ['netconf', undefined], ['vrf', undefined], ['sr', undefined],
  ['nexthop', undefined], ['mptcp', undefined], ['ioam', undefined], ['stats', undefined],
];

/**
 * The ip-style command a word names, as ip matches objects (`r`, `ro`, `route` are route;
 * `a`, `addr` are addr; `neigh`, `neighbour` are neigh); undefined for anything else.
 */
export function ipCommandName(word: string): keyof typeof ipCommands | undefined {
  if (word === '') return undefined;
  for (const [name, cmd] of ipObjects) if (name.startsWith(word)) return cmd;
  return undefined;
}

/** One line per command, for the main help. */
export const IP_COMMANDS_HELP = `  route | addr | link | rule | neigh | monitor  ...
                             iproute2's ip commands, same syntax, output and -j JSON:
                             route get|add|replace|append|change|del|show, addr
                             show|add|del, link show, rule show|add|del, neigh show,
                             monitor. Global options first: -4 -6 -j -p -n NETNS
                             (nlwire -j -n blue route show table all). See 'nlwire
                             help route' and the others.
`;

/**
 * Runs `argv` when it is an ip-style command line (global options, then an object or an
 * abbreviation of one); returns undefined when it is not, leaving `argv` to the caller.
 * Global options before a word that is not an ip object are a usage error.
 */
export function dispatchIp(argv: readonly string[], io: CliIO): Promise<number> | undefined {
  const g = parseGlobalOptions(argv);
  const word = g.rest[0];
  const name = word === undefined ? undefined : ipCommandName(word);
  if (g.error !== undefined) {
    io.stderr(`${g.error}\n`);
    return Promise.resolve(EXIT_USAGE);
  }
  if (name === undefined) {
    if (g.consumed.length === 0) return undefined;
    io.stderr(word === undefined
      ? `nlwire: ${g.consumed.join(' ')} must be followed by route, addr, link, rule, neigh or monitor\n`
      : `Object "${word}" is unknown, try "nlwire help".\n`);
    return Promise.resolve(EXIT_USAGE);
  }
  return ipCommands[name].run([...g.consumed, ...g.rest.slice(1)], io);
}
