/**
 * `why` against the kernel, in a multi-homed private namespace created and deleted here
 * (the host's interfaces, addresses, routes and rules are never touched; only
 * documentation ranges are used). Every statement of each report is checked against
 * iproute2 in the same namespace: the source against `ip -j route get`'s prefsrc, the
 * egress device and gateway against the same, the matched prefix and table against
 * `ip -j route get fibmatch`, the candidates against `ip -j addr show dev X`.
 *
 * ```text
 *   this namespace                               peer namespace
 *   veth0 192.0.2.10/24, 192.0.2.11/24 (sec.)  ── peer0 192.0.2.1/24, 2001:db8:1::1/64
 *         2001:db8:1::10/64, 2001:db8:3:1::10/64, 2001:db8:1::20/64 (deprecated)
 *   veth1 198.51.100.10/24, 203.0.113.70/26 (noprefixroute)
 *         2001:db8:2::10/64                    ── peer1 198.51.100.1/24, 2001:db8:2::1/64
 * ```
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNetns, netnsUnavailableReason, ipIn, ipjIn, type IpResult, type Netns,
} from '../helpers/netns.js';
import { Rtnl } from '../../src/rtnl/client.js';
import { why, type WhyQuery, type WhyReport } from '../../src/rtnl/why.js';
import { whyCommand, formatWhy, parseWhyArgs } from '../../src/cli/why.js';
import type { CliIO } from '../../src/cli/main.js';

const unavailable = netnsUnavailableReason();

let ns: Netns;
let peer: Netns;
let nl: Rtnl;

/** `ip -n NS ...args`. */
const ip = (...args: string[]): IpResult => ipIn(ns, ...args);

/** `ip -j -n NS ...args`, parsed; throws on failure. */
const ipj = (...args: string[]): Record<string, unknown>[] => ipjIn(ns, ...args);

/** The selectors of a query as `ip route get` words. */
function getWords(q: WhyQuery): string[] {
  const w = [q.dst];
  if (q.from !== undefined) w.push('from', q.from);
  if (q.iif !== undefined) w.push('iif', String(q.iif));
  if (q.oif !== undefined) w.push('oif', String(q.oif));
  if (q.mark !== undefined) w.push('mark', `0x${q.mark.toString(16)}`);
  if (q.uid !== undefined) w.push('uid', String(q.uid));
  if (q.ipproto !== undefined) w.push('ipproto', String(q.ipproto));
  if (q.sport !== undefined) w.push('sport', String(q.sport));
  if (q.dport !== undefined) w.push('dport', String(q.dport));
  return w;
}

type AddrInfo = { family: string; local: string; prefixlen: number; scope: string; secondary?: boolean };

/** `ip -j addr show dev X` of one family, as candidates compare. */
function ipAddrs(dev: string, family: 4 | 6): { address: string; prefixlen: number; scope: string; secondary: boolean }[] {
  const [link] = ipj(`-${family}`, 'addr', 'show', 'dev', dev) as { addr_info: AddrInfo[] }[];
  return link!.addr_info.map((a) => ({ address: a.local, prefixlen: a.prefixlen, scope: a.scope, secondary: a.secondary === true }));
}

/**
 * Checks a report against iproute2: the source is ip route get's prefsrc (or the bound
 * `from`), device and gateway are ip's, the rule's table and the route are fibmatch's,
 * the candidates of the route's device are `ip -j addr show dev X`'s addresses, in order.
 */
function expectLikeIp(r: WhyReport, q: WhyQuery): void {
  const ctx = `why ${getWords(q).join(' ')}`;
  const [got] = ipj('route', 'get', ...getWords(q));
  const [fib] = ipj('route', 'get', 'fibmatch', ...getWords(q));
  expect(r.error, ctx).toBeUndefined();
  expect(r.kernel.agrees, `${ctx}: ${r.kernel.notes.join('; ')}`).toBe(true);
  expect(r.egress, ctx).toEqual({ dev: got!.dev, ...(got!.gateway !== undefined ? { gateway: got!.gateway } : {}) });
  if (q.from === undefined) {
    expect(r.source?.address, ctx).toBe(got!.prefsrc);
    expect(r.source?.kernelPrefsrc, ctx).toBe(got!.prefsrc);
  } else {
    expect(r.source?.address, ctx).toBe(q.from);
    expect(r.source?.origin, ctx).toBe('from');
    expect(got!.from, ctx).toBe(q.from);
  }
  expect(r.source?.agrees, ctx).toBe(true);
  expect(r.route?.dst, ctx).toBe(fib!.dst);
  expect(r.route?.dev, ctx).toBe(fib!.dev);
  expect(r.route?.gateway, ctx).toBe(fib!.gateway);
  expect(r.route?.prefsrc, ctx).toBe(fib!.prefsrc);
  const fibTable = (fib!.table as string | undefined) ?? 'main';
  expect(r.route?.tableName ?? String(r.route?.table), ctx).toBe(fibTable);
  expect(r.rule?.tableName ?? String(r.rule?.table), ctx).toBe(fibTable);
  expect(r.rule?.confirmed, ctx).toBe(true);
  const last = r.rules.at(-1)!;
  expect(last.outcome, ctx).toBe('route');
  expect(last.priority, ctx).toBe(r.rule!.priority);
  if (q.iif !== undefined) {
    expect(r.source?.candidates, ctx).toEqual([]);
    return;
  }
  const dev = r.route!.dev!;
  const family = r.query.family;
  const cands = r.source!.candidates.filter((c) => c.dev === dev).map(({ address, prefixlen, scope, secondary }) => ({ address, prefixlen, scope, secondary }));
  expect(cands, `${ctx}: candidates on ${dev}`).toEqual(ipAddrs(dev, family));
  expect(r.source!.candidates.filter((c) => c.chosen).map((c) => c.address), ctx).toEqual([r.source!.address]);
}

function captureIO(): CliIO & { out: string; err: string } {
  const io = {
    out: '', err: '',
    readStdin: async () => '',
    stdout(t: string) { io.out += t; },
    stderr(t: string) { io.err += t; },
  };
  return io;
}

describe.skipIf(unavailable !== null)(`why in a multi-homed private namespace${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  beforeAll(async () => {
    ns = await createNetns('nlwire-why');
    peer = await createNetns('nlwire-whypeer');
    for (const n of [ns, peer]) n.exec('sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0');
    ns.exec([
      `ip link add veth0 type veth peer name peer0 netns ${peer.name}`,
      `ip link add veth1 type veth peer name peer1 netns ${peer.name}`,
      'ip link set veth0 up', 'ip link set veth1 up',
      'ip addr add 192.0.2.10/24 dev veth0', 'ip addr add 192.0.2.11/24 dev veth0',
      'ip addr add 198.51.100.10/24 dev veth1', 'ip addr add 203.0.113.70/26 dev veth1 noprefixroute',
      'ip -6 addr add 2001:db8:1::10/64 dev veth0 nodad', 'ip -6 addr add 2001:db8:3:1::10/64 dev veth0 nodad',
      'ip -6 addr add 2001:db8:1::20/64 dev veth0 nodad preferred_lft 0',
      'ip -6 addr add 2001:db8:2::10/64 dev veth1 nodad',
      'ip route add 203.0.113.0/25 via 192.0.2.1',
      'ip route add 203.0.113.128/26 via 198.51.100.1 src 198.51.100.10',
      'ip route add 203.0.113.32/27 via 192.0.2.1 src 192.0.2.11',
      'ip route add 203.0.113.64/26 dev veth1',
      'ip route add default via 198.51.100.1',
      'ip route add default via 198.51.100.1 dev veth1 table 100',
      'ip rule add from 192.0.2.11 lookup 100 pref 1000',
      'ip route add 203.0.113.0/24 via 198.51.100.1 table 200',
      'ip rule add fwmark 0x10/0xff lookup 200 pref 1100',
      'ip -6 route add 2001:db8:3::/48 via 2001:db8:1::1',
      'ip -6 route add 2001:db8:4::/64 via 2001:db8:2::1 src 2001:db8:1::10',
      'ip -6 route add default via 2001:db8:2::1',
      'sysctl -qw net.ipv4.ip_forward=1',
    ].join(' && '));
    peer.exec([
      'ip link set peer0 up', 'ip link set peer1 up',
      'ip addr add 192.0.2.1/24 dev peer0', 'ip addr add 198.51.100.1/24 dev peer1',
      'ip -6 addr add 2001:db8:1::1/64 dev peer0 nodad', 'ip -6 addr add 2001:db8:2::1/64 dev peer1 nodad',
    ].join(' && '));
    nl = await Rtnl.open({ netns: ns.name });
  });

  afterAll(() => {
    nl?.close();
    ns?.destroy();
    peer?.destroy();
  });

  it('a route without src: the kernel picks the primary 192.0.2.10, not the secondary, from main', async () => {
    const q = { dst: '203.0.113.5' };
    const r = await why(nl, q);
    expectLikeIp(r, q);
    expect(r.rule).toMatchObject({ priority: 32766, table: 254, tableName: 'main', text: 'from all lookup main', confirmed: true });
    expect(r.route).toMatchObject({ dst: '203.0.113.0/25', gateway: '192.0.2.1', dev: 'veth0', table: 254 });
    expect(r.rules.map((s) => [s.priority, s.outcome])).toEqual([[0, 'no-route'], [1000, 'no-match'], [1100, 'no-match'], [32766, 'route']]);
    expect(r.rules[1]!.detail).toMatch(/no source is chosen yet/);
    expect(r.source).toMatchObject({ address: '192.0.2.10', origin: 'kernel-choice' });
    expect(r.source!.algorithm).toBe('inet_select_addr(veth0, 192.0.2.1, scope global)');
    expect(r.source!.candidates).toEqual([
      { address: '192.0.2.10', prefixlen: 24, dev: 'veth0', scope: 'global', secondary: false, flags: ['permanent'], chosen: true, reason: 'primary, and its subnet 192.0.2.0/24 holds the gateway 192.0.2.1' },
      { address: '192.0.2.11', prefixlen: 24, dev: 'veth0', scope: 'global', secondary: true, flags: ['secondary', 'permanent'], chosen: false, reason: expect.stringMatching(/^secondary: the kernel never picks/) },
    ]);
    // Binding to the secondary makes rule 1000 match: table 100, out of veth1.
    const bind = r.advice.find((a) => a.kind === 'bind' && a.text.includes('192.0.2.11'));
    expect(bind?.result).toEqual({ source: '192.0.2.11', dev: 'veth1', gateway: '198.51.100.1', table: 100, rule: 1000 });
    expect(r.advice.find((a) => a.kind === 'route-src')?.command).toBe('ip route replace 203.0.113.0/25 via 192.0.2.1 dev veth0 src 192.0.2.11');
  });

  it('prefsrc decides: 198.51.100.10, and the secondary 192.0.2.11 when the route says so', async () => {
    for (const [dst, src, dev] of [['203.0.113.130', '198.51.100.10', 'veth1'], ['203.0.113.33', '192.0.2.11', 'veth0']] as const) {
      const r = await why(nl, { dst });
      expectLikeIp(r, { dst });
      expect(r.source).toMatchObject({ address: src, origin: 'prefsrc' });
      expect(r.route?.prefsrc).toBe(src);
      expect(r.egress?.dev).toBe(dev);
    }
  });

  it('no gateway: the first primary address, not the one whose subnet holds the destination', async () => {
    const q = { dst: '203.0.113.71' };
    const r = await why(nl, q);
    expectLikeIp(r, q);
    expect(r.route).toMatchObject({ dst: '203.0.113.64/26', scope: 'link' });
    expect(r.egress).toEqual({ dev: 'veth1' });
    expect(r.source?.address).toBe('198.51.100.10');
    expect(r.source?.candidates.find((c) => c.address === '203.0.113.70')).toMatchObject({ chosen: false, reason: 'primary, but 198.51.100.10 comes first' });
  });

  it('the default route, a gateway in the second primary subnet, a local destination', async () => {
    for (const dst of ['203.0.113.200', '198.51.100.77', '192.0.2.11', '192.0.2.255']) {
      const r = await why(nl, { dst });
      expectLikeIp(r, { dst });
    }
    const local = await why(nl, { dst: '192.0.2.11' });
    // Talking to its own secondary, a host uses the primary: the local route's prefsrc.
    expect(local.route).toMatchObject({ type: 'local', table: 255, prefsrc: '192.0.2.10' });
    expect(local.rule?.priority).toBe(0);
    expect(local.advice).toEqual([]);
    expect((await why(nl, { dst: '203.0.113.200' })).route?.dst).toBe('default');
  });

  it('policy: from 192.0.2.11 uses table 100 via the other interface; fwmark uses table 200; oif and iif', async () => {
    const cases: [WhyQuery, number, string][] = [
      [{ dst: '203.0.113.5', from: '192.0.2.11' }, 1000, 'veth1'],
      [{ dst: '203.0.113.5', mark: 0x10 }, 1100, 'veth1'],
      [{ dst: '203.0.113.5', mark: 0x110 }, 1100, 'veth1'],
      [{ dst: '203.0.113.5', mark: 0x20 }, 32766, 'veth0'],
      [{ dst: '203.0.113.5', oif: 'veth1' }, 32766, 'veth1'],
      [{ dst: '203.0.113.5', iif: 'veth1', from: '198.51.100.7' }, 32766, 'veth0'],
    ];
    for (const [q, prio, dev] of cases) {
      const r = await why(nl, q);
      expectLikeIp(r, q);
      expect(r.rule?.priority, JSON.stringify(q)).toBe(prio);
      expect(r.egress?.dev, JSON.stringify(q)).toBe(dev);
    }
    const marked = await why(nl, { dst: '203.0.113.5', mark: 0x20 });
    expect(marked.rules.find((s) => s.priority === 1100)?.detail).toBe('mark 0x20 & 0xff is not 0x10');
    const bound = await why(nl, { dst: '203.0.113.5', oif: 'veth1' });
    // Bound to veth1, the /25 via veth0 does not qualify: the default route does.
    expect(bound.route?.dst).toBe('default');
  });

  it('IPv6: longest matching prefix, deprecated addresses, the outgoing interface, prefsrc', async () => {
    const r = await why(nl, { dst: '2001:db8:3:2::99' });
    expectLikeIp(r, { dst: '2001:db8:3:2::99' });
    expect(r.source).toMatchObject({ address: '2001:db8:3:1::10', origin: 'kernel-choice' });
    const reasons = Object.fromEntries(r.source!.candidates.map((c) => [c.address, c.reason]));
    expect(reasons['2001:db8:3:1::10']).toBe('best on rule 8 (use longest matching prefix): 62 bits in common with the destination');
    expect(reasons['2001:db8:1::10']).toMatch(/^loses on rule 8 \(use longest matching prefix\): 46 leading bits/);
    expect(reasons['2001:db8:1::20']).toMatch(/^loses on rule 3 \(avoid deprecated addresses\)/);
    expect(reasons['2001:db8:2::10']).toMatch(/^loses on rule 5 \(prefer outgoing interface\): on veth1/);
    expect(reasons['::1']).toMatch(/^loses on rule 2/);
    expect(r.source!.candidates.find((c) => c.address === '2001:db8:1::20')?.flags).toContain('deprecated');

    for (const dst of ['2001:db8:4::1', '2001:db8:2::99', '2001:db8:5::1', '2001:db8:1::10']) {
      const x = await why(nl, { dst });
      expectLikeIp(x, { dst });
    }
    const p = await why(nl, { dst: '2001:db8:4::1' });
    expect(p.source).toMatchObject({ address: '2001:db8:1::10', origin: 'prefsrc' });
    expect(p.egress?.dev).toBe('veth1');
    const bound = await why(nl, { dst: '2001:db8:3:2::99', from: '2001:db8:1::10' });
    expectLikeIp(bound, { dst: '2001:db8:3:2::99', from: '2001:db8:1::10' });
    // IPv6 replies name the source the kernel would pick without the bind.
    expect(bound.source?.kernelPrefsrc).toBe('2001:db8:3:1::10');
  });

  it('suppress_prefixlength (wg-quick), goto, nop, not, uidrange, ipproto/dport, oif rules', async () => {
    const add = [
      'ip route add default via 192.0.2.1 dev veth0 table 300',
      'ip rule add lookup main suppress_prefixlength 0 pref 900',
      'ip rule add lookup 300 pref 950',
      'ip rule add nop pref 600',
      'ip rule add to 203.0.113.200 goto 1100 pref 700',
      'ip rule add uidrange 1000-1999 lookup 200 pref 800',
      'ip rule add ipproto tcp dport 443 lookup 100 pref 810',
      'ip rule add oif veth0 lookup 100 pref 820',
      'ip rule add not to 203.0.113.0/24 lookup 100 pref 830',
    ];
    ns.exec(add.join(' && '));
    try {
      const cases: [WhyQuery, number][] = [
        [{ dst: '203.0.113.5' }, 900],
        [{ dst: '203.0.113.210' }, 950],
        [{ dst: '203.0.113.200' }, 32766],
        [{ dst: '203.0.113.200', mark: 0x10 }, 1100],
        [{ dst: '203.0.113.5', uid: 1500 }, 800],
        [{ dst: '203.0.113.5', ipproto: 'tcp', dport: 443 }, 810],
        [{ dst: '203.0.113.5', ipproto: 'udp', dport: 443 }, 900],
        // oif veth0 matches rule 820, but table 100's only route leaves by veth1.
        [{ dst: '203.0.113.5', oif: 'veth0' }, 900],
        [{ dst: '198.51.100.77' }, 830],
        [{ dst: '203.0.113.130' }, 900],
      ];
      for (const [q, prio] of cases) {
        const r = await why(nl, q);
        expectLikeIp(r, q);
        expect(r.rule?.priority, JSON.stringify(q)).toBe(prio);
      }
      const s = await why(nl, { dst: '203.0.113.210' });
      expect(s.rules.find((x) => x.priority === 900)).toMatchObject({ outcome: 'suppressed', route: 'default' });
      expect(s.rules.find((x) => x.priority === 600)).toMatchObject({ outcome: 'nop' });
      expect(s.egress).toEqual({ dev: 'veth0', gateway: '192.0.2.1' });
      const g = await why(nl, { dst: '203.0.113.200', mark: 0x10 });
      // goto 1100 skips 800..950: the walk resumes at the target.
      expect(g.rules.map((x) => x.priority)).toEqual([0, 600, 700, 1100]);
      expect(g.rules[2]).toMatchObject({ outcome: 'goto', text: 'from all to 203.0.113.200 goto 1100' });
      // Bound to veth0, 203.0.113.200 has no route in any table: with an output interface,
      // IPv4 assumes the destination is on-link there (no FIB entry, fibmatch fails).
      const onLink = await why(nl, { dst: '203.0.113.200', oif: 'veth0' });
      const [said] = ipj('route', 'get', '203.0.113.200', 'oif', 'veth0');
      expect(ip('route', 'get', 'fibmatch', '203.0.113.200', 'oif', 'veth0').stderr).toContain('No route to host');
      expect(onLink).toMatchObject({ rule: null, route: null, egress: { dev: 'veth0' }, kernel: { agrees: true } });
      expect(said).toMatchObject({ dev: 'veth0', prefsrc: '192.0.2.10' });
      expect(onLink.source).toMatchObject({ address: '192.0.2.10', kernelPrefsrc: '192.0.2.10', agrees: true });
      expect(onLink.kernel.notes.join('\n')).toContain('the kernel assumes 203.0.113.200 is on-link on veth0');
      expect(onLink.rules.map((x) => x.outcome)).toEqual(['no-route', 'nop', 'goto', 'no-match', 'no-route', 'no-route']);
      const o = await why(nl, { dst: '203.0.113.5', oif: 'veth0' });
      expect(o.rules.find((x) => x.priority === 820)).toMatchObject({ outcome: 'no-route', detail: 'matches; table 100 has no route to 203.0.113.5 via veth0' });
      const n = await why(nl, { dst: '203.0.113.130' });
      expect(n.rules.find((x) => x.priority === 830)).toMatchObject({ outcome: 'no-match', detail: 'every selector matches, and `not` inverts that' });
      const m = await why(nl, { dst: '198.51.100.77' });
      expect(m.rules.find((x) => x.priority === 830)).toMatchObject({ outcome: 'route', detail: 'matches; table 100 has default' });
      expect(m.rule?.text).toBe('not from all to 203.0.113.0/24 lookup 100');
    } finally {
      for (const pref of [900, 950, 600, 700, 800, 810, 820, 830]) ip('rule', 'del', 'pref', String(pref));
      ip('route', 'flush', 'table', '300');
    }
  });

  it('refusals are part of the story: prohibit rule, unreachable route, a source not of this host', async () => {
    ns.exec('ip rule add to 203.0.113.16/28 prohibit pref 500 && ip route add unreachable 203.0.113.48/28');
    try {
      const cases: [string, WhyQuery, string, string][] = [
        ['prohibit rule', { dst: '203.0.113.17' }, 'EACCES', 'Permission denied'],
        ['unreachable route', { dst: '203.0.113.49' }, 'EHOSTUNREACH', 'No route to host'],
        ['foreign source', { dst: '203.0.113.5', from: '203.0.113.99' }, 'ENETUNREACH', 'Network is unreachable'],
      ];
      for (const [what, q, code, text] of cases) {
        const r = await why(nl, q);
        const said = ip('route', 'get', ...getWords(q));
        expect(said.status, what).not.toBe(0);
        expect(said.stderr, what).toContain(text);
        expect(r.error, what).toEqual({ code, message: text });
        expect(r.kernel.agrees, `${what}: ${r.kernel.notes.join('; ')}`).toBe(true);
        expect(r.source, what).toBeNull();
      }
      const p = await why(nl, { dst: '203.0.113.17' });
      expect(p.rule).toMatchObject({ priority: 500, action: 'prohibit' });
      expect(p.rules.at(-1)).toMatchObject({ outcome: 'error' });
      const u = await why(nl, { dst: '203.0.113.49' });
      expect(u.route).toMatchObject({ type: 'unreachable', dst: '203.0.113.48/28' });
    } finally {
      ip('rule', 'del', 'pref', '500');
      ip('route', 'del', 'unreachable', '203.0.113.48/28');
    }
  });

  it('nlwire why: the story as text, -j as JSON, exit codes', async () => {
    const io = captureIO();
    expect(await whyCommand(['203.0.113.5', '-n', ns.name], io)).toBe(0);
    expect(io.err).toBe('');
    const text = io.out;
    expect(text.split('\n')[0]).toBe('why 203.0.113.5: from 192.0.2.10, out of veth0 via 192.0.2.1');
    expect(text).toContain('32766: from all lookup main');
    expect(text).toContain('The kernel agrees: route get fibmatch answers 203.0.113.0/25 from table main.');
    expect(text).toMatch(/\* 192\.0\.2\.10\/24 +veth0 +global/);
    expect(text).toContain('ip route get 203.0.113.5 says src 192.0.2.10 too.');

    const j = captureIO();
    expect(await whyCommand(['203.0.113.5', 'from', '192.0.2.11', '-j', '-n', ns.name], j)).toBe(0);
    const doc = JSON.parse(j.out) as WhyReport;
    const lib = await why(nl, { dst: '203.0.113.5', from: '192.0.2.11' });
    for (const k of ['query', 'rule', 'rules', 'route', 'egress', 'source'] as const) expect(doc[k], k).toEqual(JSON.parse(JSON.stringify(lib[k])));
    expect(Object.keys(doc)).toEqual(['query', 'rule', 'rules', 'route', 'egress', 'source', 'kernel', 'advice']);
    expect(formatWhy(lib)).toContain('The source: 192.0.2.11, the address the socket is bound to');

    ns.exec('ip route add unreachable 203.0.113.48/28');
    try {
      const u = captureIO();
      expect(await whyCommand(['203.0.113.49', '-n', ns.name], u)).toBe(1);
      expect(u.out.split('\n')[0]).toBe('why 203.0.113.49: the kernel refuses, EHOSTUNREACH (No route to host)');
    } finally {
      ip('route', 'del', 'unreachable', '203.0.113.48/28');
    }
    const e = captureIO();
    expect(await whyCommand(['203.0.113.5', 'oif', 'eth9', '-n', ns.name], e)).toBe(2);
    expect(e.err).toBe('nlwire why: link get eth9: ENODEV: Cannot find device "eth9"\n');
    const v = captureIO();
    expect(await whyCommand(['203.0.113.5', '-6'], v)).toBe(2);
    expect(v.err).toBe('nlwire why: 203.0.113.5 is not an IPv6 address\n');
    const w = captureIO();
    expect(await whyCommand([], w)).toBe(2);
    expect(w.err).toBe('nlwire why: which destination? (nlwire why DST)\n');
    const f = captureIO();
    expect(await whyCommand(['203.0.113.5', 'from', '2001:db8:1::10', '-n', ns.name], f)).toBe(2);
    expect(f.err).toBe('nlwire why: from: 2001:db8:1::10 is not of the destination\'s family\n');
    const x = captureIO();
    expect(await whyCommand(['203.0.113.5', 'ipproto', 'bogus', '-n', ns.name], x)).toBe(2);
    expect(x.err).toMatch(/^nlwire why: ipproto: unknown name "bogus"/);
    expect(parseWhyArgs(['to', '2001:db8::1', 'dev', 'veth0', 'mark', '0x10', 'ipproto', '6', '-j']))
      .toEqual({ query: { oif: 'veth0', mark: 16, ipproto: 6 }, dst: '2001:db8::1', json: true });
  });
});
