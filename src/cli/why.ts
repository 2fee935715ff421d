/**
 * `nlwire why`: why the kernel sends to a destination the way it does, and from which
 * source address (src/rtnl/why.ts tells the story; this prints it).
 */
import { lookup } from 'node:dns/promises';
import type { CliIO } from './main.js';
import { Rtnl } from '../rtnl/client.js';
import { why, type WhyQuery, type WhyReport } from '../rtnl/why.js';
import { parseIP } from '../netlink/ip.js';
import { NetlinkError, SyscallError, EncodeError } from '../netlink/errors.js';

/** Usage of `nlwire why`. */
export const WHY_HELP = `Usage: nlwire why DST [from SRC] [iif DEV] [oif DEV] [mark N] [uid N]
                  [ipproto P] [sport N] [dport N] [tos N] [-4|-6] [-j] [-n NETNS]

Why the kernel sends to DST the way it does, and from which source address, told from
its own answers:
  1. the rule that matched (ip rule, evaluated in order and confirmed by a route get with
     RTM_F_FIB_MATCH) and the route it found (the matched prefix, from which table);
  2. the egress interface and gateway;
  3. the source address: the route's preferred source (ip route ... src, FRR 'set src',
     BIRD krt_prefsrc) or the kernel's choice among the interface's addresses (IPv4
     inet_select_addr, IPv6 RFC 6724 source selection), every candidate with the reason it
     won or lost, and the source 'ip route get' reports beside it;
  4. what an application could do instead: bind() to an address, SO_BINDTODEVICE, a route
     with src, an ip rule for a source.

Selectors (as 'ip route get'):
  from SRC       the socket is bound to SRC     iif DEV   a packet arriving on DEV
  oif DEV, dev   SO_BINDTODEVICE DEV            mark N    SO_MARK (0x10 or 16)
  uid N          the socket's owner             ipproto   tcp, udp, icmp, ipv6-icmp, N
  sport, dport   ports                          tos N     type of service

Options:
  -4, -6         resolve a host name to IPv4 / IPv6 only
  -j, --json     print the report as JSON: {query, rule, rules, route, egress, source,
                 kernel, advice, error?}
  -n, --netns NETNS   work in network namespace NETNS (a name from 'ip netns', a path)

Examples:
  nlwire why 203.0.113.5
  nlwire why 2001:db8:3::1 -n blue
  nlwire why 203.0.113.5 from 192.0.2.11 -j

Exit codes: 0 the kernel has a route, 1 it refuses (the story says why), 2 usage error.
`;

const EXIT_OK = 0;
const EXIT_UNREACHABLE = 1;
const EXIT_USAGE = 2;

class Usage extends Error {
  override readonly name = 'Usage';
}

function num(word: string, v: string | undefined, max: number): number {
  if (v === undefined) throw new Usage(`${word} needs a value`);
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(v) || Number(v) > max) throw new Usage(`${word}: not a number in 0..${max}: ${v}`);
  return Number(v);
}

function dev(v: string | undefined, word: string): string {
  if (v === undefined || v === '') throw new Usage(`${word} needs an interface name`);
  return v;
}

interface Parsed {
  query: Omit<WhyQuery, 'dst'>;
  dst?: string;
  family?: 4 | 6;
  json: boolean;
  netns?: string;
}

/** Parses `DST [from SRC] ... [-4|-6] [-j] [-n NETNS]`. */
export function parseWhyArgs(args: readonly string[]): Parsed {
  const p: Parsed = { query: {}, json: false };
  const q = p.query;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = (): string | undefined => args[++i];
    switch (a) {
      case '-4': case '-6':
        if (p.family !== undefined && p.family !== Number(a.slice(1))) throw new Usage('-4 and -6 together');
        p.family = a === '-4' ? 4 : 6;
        break;
      case '-j': case '--json': p.json = true; break;
      case '-n': case '--netns': case '-netns': {
        const v = next();
        if (v === undefined) throw new Usage(`${a} needs a namespace`);
        p.netns = v;
        break;
      }
      case 'from': {
        const v = next();
        if (v === undefined) throw new Usage('from needs an address');
        q.from = v;
        break;
      }
      case 'iif': q.iif = dev(next(), a); break;
      case 'oif': case 'dev': q.oif = dev(next(), a); break;
      case 'mark': case 'fwmark': q.mark = num(a, next(), 0xffffffff); break;
      case 'uid': q.uid = num(a, next(), 0xffffffff); break;
      case 'sport': q.sport = num(a, next(), 0xffff); break;
      case 'dport': q.dport = num(a, next(), 0xffff); break;
      case 'tos': case 'dsfield': q.tos = num(a, next(), 0xff); break;
      case 'ipproto': {
        const v = next();
        if (v === undefined) throw new Usage('ipproto needs a protocol');
        q.ipproto = /^[0-9]+$/.test(v) ? Number(v) : v;
        break;
      }
      case 'to': {
        const v = next();
        if (v === undefined) throw new Usage('to needs a destination');
        if (p.dst !== undefined) throw new Usage(`one destination at a time, got ${p.dst} and ${v}`);
        p.dst = v;
        break;
      }
      default:
        if (a.startsWith('-')) throw new Usage(`unknown option ${a}`);
        if (p.dst !== undefined) throw new Usage(`unknown word ${a} (one destination at a time, got ${p.dst})`);
        p.dst = a;
    }
  }
  return p;
}

/** DST as an address: an IP as is (checked against -4/-6), a host name resolved. */
async function destination(dst: string, family: 4 | 6 | undefined): Promise<string> {
  const b = parseIP(dst);
  if (b) {
    const f = b.length === 4 ? 4 : 6;
    if (family !== undefined && f !== family) throw new Usage(`${dst} is not an IPv${family} address`);
    return dst;
  }
  if (dst.includes('/')) throw new Usage(`${dst}: why takes an address, not a prefix`);
  try {
    return (await lookup(dst, { family: family ?? 0, verbatim: true })).address;
  } catch (e) {
    throw new Usage(`cannot resolve ${dst}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function routeLine(r: NonNullable<WhyReport['route']>): string {
  const w: string[] = [];
  if (r.type !== 'unicast') w.push(r.type);
  w.push(r.dst);
  if (r.gateway !== undefined) w.push('via', r.gateway);
  if (r.via !== undefined) w.push('via', r.via);
  if (r.dev !== undefined) w.push('dev', r.dev);
  for (const h of r.nexthops ?? []) w.push('nexthop', ...(h.gateway ? ['via', h.gateway] : []), ...(h.dev ? ['dev', h.dev] : []), 'weight', String(h.weight));
  if (r.nhid !== undefined) w.push('nhid', String(r.nhid));
  w.push('table', r.tableName ?? String(r.table), 'proto', r.protocol, 'scope', r.scope);
  if (r.metric !== undefined) w.push('metric', String(r.metric));
  if (r.prefsrc !== undefined) w.push('src', r.prefsrc);
  return w.join(' ');
}

function selectorsText(q: WhyReport['query']): string {
  const w: string[] = [];
  if (q.from !== undefined) w.push('from', q.from);
  if (q.iif !== undefined) w.push('iif', String(q.iif));
  if (q.oif !== undefined) w.push('oif', String(q.oif));
  if (q.mark) w.push('mark', `0x${q.mark.toString(16)}`);
  if (q.ipproto !== undefined) w.push('ipproto', String(q.ipproto));
  if (q.sport !== undefined) w.push('sport', String(q.sport));
  if (q.dport !== undefined) w.push('dport', String(q.dport));
  if (q.tos !== undefined) w.push('tos', `0x${q.tos.toString(16)}`);
  return w.length ? ' ' + w.join(' ') : '';
}

/** The report as a short numbered story. */
export function formatWhy(r: WhyReport): string {
  const out: string[] = [];
  const q = r.query;
  const get = `ip${q.family === 6 ? ' -6' : ''} route get ${q.dst}${selectorsText(q)}`;
  if (r.error) out.push(`why ${q.dst}${selectorsText(q)}: the kernel refuses, ${r.error.code} (${r.error.message})`);
  else {
    out.push(`why ${q.dst}${selectorsText(q)}: from ${r.source?.address ?? '?'}, out of ${r.egress?.dev ?? '?'}${r.egress?.gateway ? ` via ${r.egress.gateway}` : ''}`);
  }
  out.push('');
  let n = 0;
  out.push(r.rules.length ? `${++n}. The rules (ip rule), in the kernel's order, until one decides:` : `${++n}. No rule is consulted.`);
  const prio = Math.max(...r.rules.map((s) => String(s.priority).length + 1), 2);
  const text = Math.min(Math.max(...r.rules.map((s) => s.text.length), 4), 44);
  for (const s of r.rules) {
    const mark = s.outcome === 'route' || s.outcome === 'error' ? '  <-' : '';
    const verdict = s.outcome === 'no-match' ? `no match: ${s.detail}` : s.detail;
    out.push(`     ${pad(`${s.priority}:`, prio)} ${pad(s.text, text)}  ${verdict}${mark}`);
  }
  if (!r.rule && r.rules.length) out.push('   No rule found a route: the lookup fails (ENETUNREACH).');
  if (r.kernel.agrees) {
    const fib = r.kernel.fibmatch;
    if (!('error' in fib) && r.route) out.push(`   The kernel agrees: route get fibmatch answers ${r.route.dst} from table ${r.route.tableName ?? r.route.table}.`);
    else if (r.error) out.push(`   The kernel agrees: ${get} fails with ${r.error.code}.`);
  } else {
    out.push('   nlwire and the kernel disagree, and the kernel is right:');
  }
  for (const note of r.kernel.notes) out.push(`     - ${note}`);
  if (r.route) {
    out.push(`${++n}. The route: ${routeLine(r.route)}`);
  }
  if (r.egress) {
    out.push(`${++n}. Egress: ${r.egress.dev}${r.egress.gateway ? `, to the gateway ${r.egress.gateway}` : ', directly (no gateway)'}`);
  }
  if (r.source) {
    const s = r.source;
    const how = s.origin === 'prefsrc'
      ? 'the route\'s preferred source (RTA_PREFSRC)'
      : s.origin === 'from'
        ? (q.iif !== undefined ? 'the forwarded packet\'s own source' : 'the address the socket is bound to')
        : `the kernel's choice, as the route has no src: ${s.algorithm}`;
    out.push(`${++n}. The source: ${s.address}, ${how}`);
    if (s.candidates.length) {
      const aw = Math.max(...s.candidates.map((c) => `${c.address}/${c.prefixlen}`.length));
      const dw = Math.max(...s.candidates.map((c) => c.dev.length));
      for (const c of s.candidates) {
        const kind = c.secondary ? 'secondary' : (c.flags.filter((f) => ['deprecated', 'tentative', 'temporary', 'optimistic'].includes(f)).join(',') || '');
        out.push(`     ${c.chosen ? '*' : ' '} ${pad(`${c.address}/${c.prefixlen}`, aw)}  ${pad(c.dev, dw)}  ${pad(c.scope, 6)}  ${pad(kind, 9)}  ${c.reason}`);
      }
    }
    if (s.kernelPrefsrc !== undefined) {
      const same = s.kernelPrefsrc === s.address;
      out.push(`   ${get} says src ${s.kernelPrefsrc}${same ? ' too' : s.origin === 'from' ? ' (what the kernel would pick for a socket not bound)' : ''}.`);
    } else if (s.origin === 'from') {
      out.push(`   ${get} keeps from ${s.address}.`);
    }
  }
  if (r.advice.length) {
    out.push(`${++n}. To leave from another address or interface:`);
    for (const a of r.advice) {
      out.push(`   - ${a.text}`);
      if (a.command) out.push(`       ${a.command}`);
    }
  }
  return out.join('\n') + '\n';
}

/** `nlwire why DST [selectors] [-4|-6] [-j] [-n NETNS]`; returns the exit code. */
export async function whyCommand(args: string[], io: CliIO): Promise<number> {
  let p: Parsed;
  let dst: string;
  try {
    p = parseWhyArgs(args);
    if (p.dst === undefined) throw new Usage('which destination? (nlwire why DST)');
    dst = await destination(p.dst, p.family);
  } catch (e) {
    if (!(e instanceof Usage)) throw e;
    io.stderr(`nlwire why: ${e.message}\n`);
    return EXIT_USAGE;
  }
  let nl: Rtnl | undefined;
  try {
    nl = await Rtnl.open(p.netns !== undefined ? { netns: p.netns } : {});
    const report = await why(nl, { ...p.query, dst });
    io.stdout(p.json ? JSON.stringify(report, null, 2) + '\n' : formatWhy(report));
    return report.error ? EXIT_UNREACHABLE : EXIT_OK;
  } catch (e) {
    if (e instanceof NetlinkError || e instanceof SyscallError || e instanceof EncodeError) {
      io.stderr(`nlwire why: ${e.message.replace(/^why: /, '')}\n`);
      return EXIT_USAGE;
    }
    throw e;
  } finally {
    nl?.close();
  }
}
