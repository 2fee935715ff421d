/**
 * The ip-style commands (`nlwire route|addr|link|rule|neigh|monitor`) side by side with
 * iproute2 in one private namespace, created and deleted here: the host's interfaces,
 * addresses, routes and rules are never touched, and only documentation ranges are used.
 * Multi-homed: veth0 (192.0.2.10/24, 2001:db8:1::10/64) and veth1 (198.51.100.10/24,
 * 2001:db8:2::10/64), each paired with a peer in the same namespace; routes with and
 * without a preferred source, a table-100 policy rule, neighbours.
 *
 * nlwire runs in-process (`dispatchIp`, the entry main.ts calls), so its stdout, stderr and
 * exit status are compared with `ip`'s for the same arguments; one end-to-end test runs
 * `node bin/nlwire.js` when the built dist/ has the ip commands wired in.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, netnsUnavailableReason, ipIn, type Netns } from '../helpers/netns.js';
import type { CliIO } from '../../src/cli/main.js';
import {
  dispatchIp, ipCommands, ipCommandName, parseGlobalOptions, runMonitor,
} from '../../src/cli/ip/index.js';
import { Printer, PRINT_ANY, PRINT_JSON, sprintf } from '../../src/cli/ip/print.js';
import { getPrefix, matches } from '../../src/cli/ip/args.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const unavailable = netnsUnavailableReason();

interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

let ns: Netns;

/** `ip -n NS ARGS`. */
const ip = (...args: string[]): Result => ipIn(ns, ...args);

/** `nlwire -n NS ARGS`, in-process. */
async function nlwire(...args: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { readStdin: async () => '', stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } };
  const p = dispatchIp(['-n', ns.name, ...args], io);
  if (!p) throw new Error(`not an ip-style command: ${args.join(' ')}`);
  const status = await p;
  return { status, stdout, stderr };
}

/** nlwire prints what ip prints, on stdout and stderr, and exits as ip does. */
async function same(...args: string[]): Promise<Result> {
  const want = ip(...args);
  const got = await nlwire(...args);
  const ctx = `nlwire ${args.join(' ')}`;
  expect(got.stderr, `${ctx}: stderr`).toBe(want.stderr);
  expect(got.stdout, `${ctx}: stdout`).toBe(want.stdout);
  expect(got.status, `${ctx}: exit status`).toBe(want.status);
  return got;
}

/** `-j` output: JSON-equal to ip's, then byte-equal. Returns the parsed document. */
async function sameJson(...args: string[]): Promise<unknown[]> {
  const want = ip('-j', ...args);
  expect(want.status, `ip -j ${args.join(' ')}: ${want.stderr}`).toBe(0);
  const got = await nlwire('-j', ...args);
  expect(got.status, `nlwire -j ${args.join(' ')}: ${got.stderr}`).toBe(0);
  const doc = JSON.parse(got.stdout) as unknown[];
  expect(doc, `nlwire -j ${args.join(' ')}`).toEqual(JSON.parse(want.stdout));
  expect(got.stdout).toBe(want.stdout);
  return doc;
}

describe('ip-style argument handling (no kernel)', () => {
  it('reads global options before the object, as ip does', () => {
    expect(parseGlobalOptions(['-j', '-n', 'blue', 'route', 'show'])).toEqual({
      options: { json: true, pretty: false, netns: 'blue' }, consumed: ['-j', '-n', 'blue'], rest: ['route', 'show'],
    });
    const g = parseGlobalOptions(['-6', '-json', '--pretty', '-netns', 'x', '-f', 'inet', 'r']);
    expect(g.options).toEqual({ family: 4, json: true, pretty: true, netns: 'x' });
    expect(g.rest).toEqual(['r']);
    expect(parseGlobalOptions(['--help']).rest).toEqual(['--help']);
    expect(parseGlobalOptions(['-n']).error).toMatch(/not complete/);
  });

  it('resolves abbreviations of objects in ip\'s order', () => {
    expect(['r', 'ro', 'route', 'a', 'addr', 'address', 'ru', 'rule', 'n', 'neigh', 'neighbour', 'l', 'link', 'mo', 'monitor']
      .map(ipCommandName)).toEqual(['route', 'route', 'route', 'addr', 'addr', 'addr', 'rule', 'rule', 'neigh', 'neigh', 'neigh', 'link', 'link', 'monitor', 'monitor']);
    // m is maddress and net is netns in ip: neither is an nlwire command.
    for (const w of ['m', 'net', 'decode', 'explain', 'help', 'x']) expect(ipCommandName(w), w).toBeUndefined();
    expect(matches('sh', 'show')).toBe(true);
    expect(matches('', 'show')).toBe(false);
  });

  it('parses prefixes as get_prefix does', () => {
    expect(getPrefix('10/8', 0)).toMatchObject({ family: 2, addr: '10.0.0.0', bitlen: 8 });
    expect(getPrefix('192.0.2.0/255.255.255.0', 0)).toMatchObject({ addr: '192.0.2.0', bitlen: 24 });
    expect(getPrefix('default', 0)).toMatchObject({ bitlen: 0, isDefault: true });
    expect(() => getPrefix('192.0.2.1', 10)).toThrow('Error: inet6 prefix is expected rather than "192.0.2.1".');
    expect(() => getPrefix('192.0.2.0/33', 0)).toThrow('Error: any valid prefix is expected rather than "192.0.2.0/33".');
  });

  it('writes JSON as iproute2\'s json_writer, compact and pretty', () => {
    const doc = (pretty: boolean): string => {
      const p = new Printer({ json: true, pretty });
      p.newJsonObj();
      p.openObject(null);
      p.string(PRINT_ANY, 'dst', '%s ', 'default');
      p.openArray(PRINT_JSON, 'flags');
      p.string(PRINT_ANY, null, '%s ', 'onlink');
      p.string(PRINT_ANY, null, '%s ', 'dead');
      p.closeArray(PRINT_JSON, null);
      p.openArray(PRINT_JSON, 'nexthops');
      p.closeArray(PRINT_JSON, null);
      p.uint(PRINT_ANY, 'metric', 'metric %u ', 0xffffffff);
      p.null(PRINT_ANY, 'not', 'not ', null);
      p.closeObject();
      p.deleteJsonObj();
      return p.take();
    };
    expect(doc(false)).toBe('[{"dst":"default","flags":["onlink","dead"],"nexthops":[],"metric":4294967295,"not":null}]\n');
    expect(doc(true)).toBe('[ {\n        "dst": "default",\n        "flags": [ "onlink","dead" ],\n        "nexthops": [ ],\n'
      + '        "metric": 4294967295,\n        "not": null\n    } ]\n');
    const t = new Printer();
    t.string(PRINT_ANY, 'dst', '%s ', 'default');
    t.hex0x(PRINT_ANY, 'fwmark', 'fwmark %#llx', 16);
    expect(t.take()).toBe('default fwmark 0x10');
    expect(sprintf('%-6s|%02x|%#x|%u|%d%%', 'ab', 10, 0, -1, -2)).toBe('ab    |0a|0|4294967295|-2%');
  });

  it('prints help for every command, with examples', async () => {
    for (const [name, c] of Object.entries(ipCommands)) {
      let out = '';
      const io: CliIO = { readStdin: async () => '', stdout: (t) => { out += t; }, stderr: () => undefined };
      expect(await c.run(['--help'], io), name).toBe(0);
      expect(out, name).toMatch(/^Usage: nlwire/);
      expect(out, name).toContain('Examples:');
    }
  });
});

describe.skipIf(unavailable !== null)(`nlwire ip-style commands vs ip in a private namespace${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  beforeAll(async () => {
    ns = await createNetns('nlwire-ip');
    ns.exec([
      // No DAD: addresses never sit in "tentative" between one command and the next.
      'sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0',
      'sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1',
      'ip link add veth0 type veth peer name peer0', 'ip link add veth1 type veth peer name peer1',
      'for d in veth0 peer0 veth1 peer1; do ip link set $d up; done',
      'ip addr add 192.0.2.10/24 dev veth0', 'ip addr add 2001:db8:1::10/64 dev veth0 nodad',
      'ip addr add 198.51.100.10/24 dev veth1', 'ip addr add 2001:db8:2::10/64 dev veth1 nodad',
      'ip neigh add 192.0.2.1 lladdr 02:00:00:00:00:01 dev veth0',
      'ip neigh add 198.51.100.1 lladdr 02:00:00:00:00:02 dev veth1',
      'ip neigh add 2001:db8:1::1 lladdr 02:00:00:00:00:03 dev veth0 nud stale',
      'ip neigh add 2001:db8:2::1 lladdr 02:00:00:00:00:04 dev veth1 nud permanent',
      'ip route add 203.0.113.0/24 via 192.0.2.1 dev veth0 src 192.0.2.10 metric 10 proto static',
      'ip route add 203.0.113.128/25 via 198.51.100.1',
      'ip route add default via 198.51.100.1 dev veth1 table 100',
      'ip route add 203.0.113.0/24 via 198.51.100.1 table 100',
      'ip -6 route add 2001:db8:3::/64 via 2001:db8:1::1 src 2001:db8:1::10',
      'ip -6 route add 2001:db8:4::/64 dev veth1 metric 5',
      'ip -6 route add 2001:db8:5::/64 table 100 nexthop via 2001:db8:1::1 dev veth0 nexthop via 2001:db8:2::1 dev veth1',
      'ip route add blackhole 203.0.113.200/29',
      'ip rule add from 192.0.2.10 table 100 priority 1000',
      'ip -6 rule add from 2001:db8:1::/64 table 100 priority 1000',
    ].join(' && '));
  });

  afterAll(() => {
    ns?.destroy();
  });

  describe('route', () => {
    it('shows routes as ip does: text', async () => {
      for (const args of [
        [], ['show'], ['list'], ['sh', 'table', 'all'], ['show', 'table', '100'], ['show', 'table', 'local'],
        ['show', '203.0.113.0/24'], ['show', 'match', '203.0.113.5'], ['show', 'root', '203.0.113.0/16'],
        ['show', 'exact', '203.0.113.128/25'], ['show', 'via', '192.0.2.1'], ['show', 'dev', 'veth1'],
        ['show', 'proto', 'kernel'], ['show', 'scope', 'link'], ['show', 'type', 'blackhole'],
        ['show', 'src', '192.0.2.10'], ['show', 'metric', '10'], ['show', 'default', 'table', '100'],
      ]) await same('route', ...args);
      for (const args of [['show'], ['show', 'table', 'all'], ['show', 'table', '100'], ['show', 'dev', 'veth1']]) {
        await same('-6', 'route', ...args);
      }
      await same('-4', 'ro');
      await same('r');
    });

    it('shows routes as ip -j does: v4, v6, table all, pretty', async () => {
      const v4 = await sameJson('route', 'show');
      expect(v4).toContainEqual({ dst: '203.0.113.0/24', gateway: '192.0.2.1', dev: 'veth0', protocol: 'static', prefsrc: '192.0.2.10', metric: 10, flags: [] });
      expect(v4).toContainEqual({ dst: '203.0.113.128/25', gateway: '198.51.100.1', dev: 'veth1', flags: [] });
      await sameJson('-6', 'route', 'show');
      const all = await sameJson('route', 'show', 'table', 'all');
      expect(all.length).toBeGreaterThan(20);
      await sameJson('-6', 'route', 'show', 'table', '100');
      await sameJson('-p', 'route', 'show', 'table', 'all');
    });

    it('gets routes as ip does, over several option sets: text and JSON', async () => {
      const sets = [
        ['203.0.113.5'], ['203.0.113.200'], ['203.0.113.130'], ['192.0.2.10'], ['192.0.2.255'],
        ['203.0.113.5', 'from', '192.0.2.10'],
        ['203.0.113.5', 'from', '192.0.2.10', 'iif', 'veth1'],
        ['203.0.113.5', 'from', '192.0.2.10', 'iif', 'veth1', 'oif', 'veth0'],
        ['203.0.113.5', 'from', '198.51.100.7', 'iif', 'veth1'],
        ['203.0.113.5', 'from', '198.51.100.7', 'iif', 'veth1', 'oif', 'veth0'],
        ['203.0.113.5', 'oif', 'veth1'],
        ['203.0.113.5', 'mark', '7', 'uid', '1000', 'ipproto', 'tcp', 'sport', '1000', 'dport', '443'],
        ['203.0.113.5', 'mark', '0x20', 'uid', '0'],
        ['203.0.113.5', 'tos', '0x10'],
        ['203.0.113.5', 'fibmatch'], ['203.0.113.5', 'from', '192.0.2.10', 'fibmatch'],
        ['to', '198.51.100.7'], ['198.51.100.7/24'],
        ['2001:db8:3::5'], ['2001:db8:2::5', 'from', '2001:db8:1::10'], ['2001:db8:4::1', 'fibmatch'],
        ['2001:db8:5::1', 'from', '2001:db8:1::10'],
      ];
      for (const s of sets) {
        await same('route', 'get', ...s);
        const j = await same('-j', 'route', 'get', ...s);
        if (j.status === 0) expect(JSON.parse(j.stdout)).toEqual(JSON.parse(ip('-j', 'route', 'get', ...s).stdout));
      }
      // A blackhole route: EINVAL, as ip says it.
      expect((await same('route', 'get', '203.0.113.200')).stderr).toBe('RTNETLINK answers: Invalid argument\n');
      const [r] = await sameJson('route', 'get', '203.0.113.5', 'from', '192.0.2.10', 'mark', '7', 'uid', '1000');
      expect(r).toEqual({ dst: '203.0.113.5', from: '192.0.2.10', gateway: '198.51.100.1', dev: 'veth1', table: '100', flags: [], mark: 7, uid: 1000, cache: [] });
      await same('r', 'g', '203.0.113.5');
    });

    it('adds, replaces, changes, appends and deletes routes that ip then shows as its own', async () => {
      // The same routes, through nlwire into table 101 and through ip into table 102:
      // `ip route show table N` (which leaves the table out) must print them alike.
      const specs = [
        ['203.0.113.0/24', 'via', '192.0.2.1', 'dev', 'veth0', 'src', '192.0.2.10', 'metric', '10', 'proto', 'static'],
        ['203.0.113.64/26', 'via', '198.51.100.1'],
        ['default', 'via', '192.0.2.1'],
        ['198.51.100.128/25', 'via', '192.0.2.1', 'mtu', 'lock', '1400', 'advmss', '1300', 'congctl', 'reno', 'initcwnd', '10', 'rtt', '100ms'],
        ['203.0.113.32/27', 'nexthop', 'via', '192.0.2.1', 'dev', 'veth0', 'weight', '2', 'nexthop', 'via', '198.51.100.1', 'dev', 'veth1'],
        ['blackhole', '203.0.113.200/29'], ['unreachable', '203.0.113.208/29', 'metric', '5'],
        ['203.0.113.99', 'dev', 'veth0', 'scope', 'link', 'tos', '0x10'],
        ['203.0.113.96/28', 'via', 'inet6', '2001:db8:1::1', 'dev', 'veth0'],
      ];
      const specs6 = [
        ['2001:db8:6::/64', 'via', '2001:db8:1::1', 'pref', 'high'],
        ['2001:db8:7::/64', 'dev', 'veth1', 'metric', '100', 'src', '2001:db8:2::10'],
      ];
      for (const s of specs) {
        // `table` first: nexthop must be the last keyword, as in ip.
        const r = await nlwire('route', 'add', 'table', '101', ...s);
        expect(r, s.join(' ')).toEqual({ status: 0, stdout: '', stderr: '' });
        expect(ip('route', 'add', 'table', '102', ...s).status, s.join(' ')).toBe(0);
      }
      for (const s of specs6) {
        expect((await nlwire('-6', 'route', 'add', ...s, 'table', '101')).status).toBe(0);
        expect(ip('-6', 'route', 'add', ...s, 'table', '102').status).toBe(0);
      }
      for (const fam of ['-4', '-6']) {
        expect(ip(fam, 'route', 'show', 'table', '101').stdout).toBe(ip(fam, 'route', 'show', 'table', '102').stdout);
        expect(ip('-j', fam, 'route', 'show', 'table', '101').stdout).toBe(ip('-j', fam, 'route', 'show', 'table', '102').stdout);
      }
      expect(ip('route', 'show', 'table', '101').stdout.split('\n')).toContain('203.0.113.0/24 via 192.0.2.1 dev veth0 proto static src 192.0.2.10 metric 10 ');

      await nlwire('route', 'replace', '203.0.113.64/26', 'via', '192.0.2.1', 'table', '101');
      ip('route', 'replace', '203.0.113.64/26', 'via', '192.0.2.1', 'table', '102');
      await nlwire('route', 'change', '203.0.113.99', 'dev', 'veth1', 'scope', 'link', 'tos', '0x10', 'table', '101');
      ip('route', 'change', '203.0.113.99', 'dev', 'veth1', 'scope', 'link', 'tos', '0x10', 'table', '102');
      await nlwire('-6', 'route', 'append', '2001:db8:6::/64', 'via', '2001:db8:2::1', 'table', '101');
      ip('-6', 'route', 'append', '2001:db8:6::/64', 'via', '2001:db8:2::1', 'table', '102');
      for (const fam of ['-4', '-6']) {
        expect(ip(fam, 'route', 'show', 'table', '101').stdout).toBe(ip(fam, 'route', 'show', 'table', '102').stdout);
      }

      for (const s of [...specs, ...specs6]) {
        const dst = s.find((w) => w.includes('.') || w.includes(':') || w === 'default')!;
        const fam = dst.includes(':') ? '-6' : '-4';
        // A route with a TOS is deleted by its TOS too (fib_table_delete matches it).
        const tos = s.includes('tos') ? ['tos', s[s.indexOf('tos') + 1]!] : [];
        const r = await nlwire(fam, 'route', 'del', dst, ...tos, 'table', '101');
        expect(r.status, `del ${dst}: ${r.stderr}`).toBe(0);
      }
      await nlwire('-6', 'route', 'del', '2001:db8:6::/64', 'table', '101');
      expect(ip('route', 'show', 'table', '101').stdout).toBe('');
      expect(ip('-6', 'route', 'show', 'table', '101').stdout).toBe('');
      ip('route', 'flush', 'table', '102');
      ip('-6', 'route', 'flush', 'table', '102');
    });

    it('prints errors as ip does, with the same exit status', async () => {
      // EEXIST, without an ext-ack message.
      expect((await same('route', 'add', '203.0.113.0/24', 'via', '192.0.2.1', 'dev', 'veth0', 'src', '192.0.2.10', 'metric', '10', 'proto', 'static')).stderr)
        .toBe('RTNETLINK answers: File exists\n');
      // ENETUNREACH.
      expect((await same('route', 'get', '2001:db8:99::1')).stderr).toBe('RTNETLINK answers: Network is unreachable\n');
      // ESRCH.
      expect((await same('route', 'del', '203.0.113.99/32')).stderr).toBe('RTNETLINK answers: No such process\n');
      // EINVAL with the kernel's ext-ack.
      const bad = await same('route', 'add', '203.0.113.64/26', 'via', '192.0.2.1', 'src', '198.51.100.77');
      expect(bad.stderr).toBe('Error: Invalid prefsrc address.\n');
      expect(bad.status).toBe(2);
      // ENOENT, a name ip cannot resolve, a table the kernel does not have.
      await same('route', 'change', '203.0.113.77', 'dev', 'veth0');
      expect((await same('route', 'add', '203.0.113.64/26', 'dev', 'nosuch')).status).toBe(1);
      await same('route', 'show', 'dev', 'nosuch');
      await same('route', 'get', '203.0.113.5', 'iif', 'nosuch');
      expect((await same('route', 'show', 'table', '77')).stderr).toBe('Error: ipv4: FIB table does not exist.\nDump terminated\n');
      // ip's usage messages for a bad argument (nlwire exits 2 for usage, ip 255).
      const u = await nlwire('route', 'add', '203.0.113.0/24', 'metric', 'x');
      expect(u.stderr).toBe(ip('route', 'add', '203.0.113.0/24', 'metric', 'x').stderr);
      expect(u.status).toBe(2);
      expect((await nlwire('route', 'frobnicate')).stderr).toBe('Command "frobnicate" is unknown, try "ip route help".\n');
    });
  });

  describe('addr', () => {
    it('shows addresses as ip does: text and JSON', async () => {
      for (const fam of [[], ['-4'], ['-6']]) {
        await same(...fam, 'addr');
        await same(...fam, 'addr', 'show', 'dev', 'veth0');
        await sameJson(...fam, 'addr', 'show');
        await sameJson(...fam, 'address', 'show', 'veth1');
      }
      for (const sel of [['scope', 'global'], ['scope', 'link'], ['to', '192.0.2.0/24'], ['permanent'], ['nodad'], ['-nodad'], ['label', 'veth*'], ['up']]) {
        await same('addr', 'show', ...sel);
        await sameJson('addr', 'show', ...sel);
      }
      await same('a', 's', 'nosuch');
    });

    it('adds and deletes addresses that ip then shows', async () => {
      expect(await nlwire('addr', 'add', '192.0.2.20/24', 'dev', 'veth0')).toEqual({ status: 0, stdout: '', stderr: '' });
      expect(await nlwire('addr', 'add', '2001:db8:1::20/64', 'dev', 'veth0', 'nodad')).toEqual({ status: 0, stdout: '', stderr: '' });
      expect(await nlwire('addr', 'add', '198.51.100.20/24', 'brd', '+', 'dev', 'veth1', 'label', 'veth1:x')).toEqual({ status: 0, stdout: '', stderr: '' });
      const shown = JSON.parse(ip('-j', 'addr', 'show', 'dev', 'veth0').stdout)[0].addr_info;
      expect(shown).toContainEqual({ family: 'inet', local: '192.0.2.20', prefixlen: 24, scope: 'global', secondary: true, label: 'veth0', valid_life_time: 4294967295, preferred_life_time: 4294967295 });
      expect(shown).toContainEqual({ family: 'inet6', local: '2001:db8:1::20', prefixlen: 64, scope: 'global', nodad: true, valid_life_time: 4294967295, preferred_life_time: 4294967295 });
      expect(ip('addr', 'show', 'dev', 'veth1').stdout).toContain('    inet 198.51.100.20/24 brd 198.51.100.255 scope global secondary veth1:x\n');
      await sameJson('addr', 'show');
      // EEXIST with the kernel's message; a missing dev as ip words it.
      expect((await same('addr', 'add', '192.0.2.20/24', 'dev', 'veth0')).stderr).toBe('Error: ipv4: Address already assigned.\n');
      expect((await same('addr', 'add', '192.0.2.21/24')).stderr).toBe('Not enough information: "dev" argument is required.\n');
      for (const [a, d] of [['192.0.2.20/24', 'veth0'], ['2001:db8:1::20/64', 'veth0'], ['198.51.100.20/24', 'veth1']] as const) {
        expect((await nlwire('addr', 'del', a, 'dev', d)).status).toBe(0);
      }
      expect(ip('addr', 'show').stdout).not.toMatch(/192\.0\.2\.20|2001:db8:1::20|198\.51\.100\.20/);
      expect((await same('addr', 'del', '192.0.2.20/24', 'dev', 'veth0')).stderr).toBe('Error: ipv4: Address not found.\n');
    });
  });

  describe('link', () => {
    it('shows links as ip -j does (stable keys) and as ip prints them', async () => {
      const keys = ['ifindex', 'ifname', 'flags', 'mtu', 'qdisc', 'operstate', 'linkmode', 'group', 'txqlen', 'link_type', 'address', 'broadcast'];
      const pick = (doc: Record<string, unknown>[]): Record<string, unknown>[] =>
        doc.map((l) => Object.fromEntries(keys.filter((k) => k in l).map((k) => [k, l[k]])));
      const want = JSON.parse(ip('-j', 'link', 'show').stdout) as Record<string, unknown>[];
      const got = JSON.parse((await nlwire('-j', 'link', 'show')).stdout) as Record<string, unknown>[];
      expect(pick(got)).toEqual(pick(want));
      expect(got.map((l) => l.ifname)).toEqual(['lo', 'peer0', 'veth0', 'peer1', 'veth1']);
      await same('link');
      await same('link', 'show', 'veth0');
      await same('l', 'sh', 'dev', 'lo', 'up');
      await sameJson('link', 'show', 'peer1');
      await same('link', 'show', 'nosuch');
    });
  });

  describe('rule', () => {
    it('shows rules as ip does: text and JSON, v4 and v6', async () => {
      for (const fam of [[], ['-4'], ['-6']]) {
        await same(...fam, 'rule');
        await same(...fam, 'rule', 'show');
        await sameJson(...fam, 'rule', 'show');
      }
      for (const sel of [['pref', '1000'], ['table', '100'], ['from', '192.0.2.10'], ['lookup', 'main'], ['not']]) {
        await same('rule', 'show', ...sel);
      }
      expect((await nlwire('rule')).stdout).toContain('1000:\tfrom 192.0.2.10 lookup 100\n');
    });

    it('adds and deletes rules that ip then shows as its own', async () => {
      const specs = [
        ['from', '192.0.2.20', 'table', '101'],
        ['not', 'from', '198.51.100.0/24', 'to', '203.0.113.0/24', 'iif', 'veth1', 'oif', 'veth0', 'fwmark', '0x10/0xff',
          'uidrange', '10-20', 'ipproto', 'udp', 'sport', '53', 'dport', '1000-2000', 'protocol', 'static', 'table', '100'],
        ['to', '203.0.113.7', 'blackhole'], ['fwmark', '7', 'goto', '32766'], ['tos', '0x10', 'nop'],
        ['suppress_prefixlength', '0', 'lookup', 'main'],
      ];
      let pref = 2000;
      for (const s of specs) {
        expect(await nlwire('rule', 'add', ...s, 'priority', String(pref)), s.join(' ')).toEqual({ status: 0, stdout: '', stderr: '' });
        expect(ip('rule', 'add', ...s, 'priority', String(pref + 1)).status).toBe(0);
        const mine = ip('-j', 'rule', 'show', 'pref', String(pref)).stdout.replace(`"priority":${pref},`, '');
        const theirs = ip('-j', 'rule', 'show', 'pref', String(pref + 1)).stdout.replace(`"priority":${pref + 1},`, '');
        expect(mine, s.join(' ')).toBe(theirs);
        pref += 10;
      }
      expect((await nlwire('-6', 'rule', 'add', 'from', '2001:db8:2::/64', 'table', '101', 'pref', '3000')).status).toBe(0);
      expect(ip('-6', 'rule', 'show', 'pref', '3000').stdout).toBe('3000:\tfrom 2001:db8:2::/64 lookup 101\n');
      await sameJson('rule', 'show');
      // EEXIST, as ip says it.
      expect((await same('rule', 'add', 'from', '192.0.2.10', 'table', '100', 'priority', '1000')).stderr).toBe('RTNETLINK answers: File exists\n');
      for (let p = 2000; p < pref; p += 10) {
        expect((await nlwire('rule', 'del', 'priority', String(p))).status).toBe(0);
        ip('rule', 'del', 'priority', String(p + 1));
      }
      expect((await nlwire('-6', 'rule', 'del', 'pref', '3000')).status).toBe(0);
      expect(ip('rule', 'show').stdout).not.toMatch(/^20\d\d:/m);
      expect((await same('rule', 'del', 'priority', '4242')).stderr).toBe('RTNETLINK answers: No such file or directory\n');
    });
  });

  describe('neigh', () => {
    it('shows neighbours as ip does: text and JSON', async () => {
      for (const fam of [[], ['-4'], ['-6']]) {
        await same(...fam, 'neigh');
        await sameJson(...fam, 'neigh', 'show');
      }
      for (const sel of [['dev', 'veth0'], ['nud', 'permanent'], ['nud', 'stale'], ['to', '192.0.2.0/24'], ['dev', 'veth1', 'nud', 'all']]) {
        await same('neigh', 'show', ...sel);
        await sameJson('neigh', 'show', ...sel);
      }
      const doc = await sameJson('neigh');
      expect(doc).toContainEqual({ dst: '192.0.2.1', dev: 'veth0', lladdr: '02:00:00:00:00:01', state: ['PERMANENT'] });
      expect(doc).toContainEqual({ dst: '2001:db8:1::1', dev: 'veth0', lladdr: '02:00:00:00:00:03', state: ['STALE'] });
      await same('n', 'sh', 'dev', 'nosuch');
    });
  });

  describe('monitor', () => {
    it('prints a route added while it runs, as ip monitor does', async () => {
      let out = '';
      const io: CliIO = { readStdin: async () => '', stdout: (t) => { out += t; }, stderr: (t) => { out += t; } };
      const ac = new AbortController();
      const seen = new Promise<void>((res, rej) => {
        const t = setTimeout(() => rej(new Error(`timed out; monitor printed: ${JSON.stringify(out)}`)), 10_000);
        const check = setInterval(() => {
          if (out.includes('Deleted 203.0.113.240/29')) {
            clearTimeout(t);
            clearInterval(check);
            res();
          }
        }, 20);
      });
      const status = runMonitor(['-n', ns.name, 'all'], io, {
        signal: ac.signal,
        onReady: () => {
          ip('route', 'add', '203.0.113.240/29', 'dev', 'veth0');
          ip('rule', 'add', 'pref', '77', 'table', '77');
          ip('rule', 'del', 'pref', '77');
          ip('route', 'del', '203.0.113.240/29', 'dev', 'veth0');
        },
      });
      await seen;
      ac.abort();
      expect(await status).toBe(0);
      expect(out).toBe('[ROUTE]203.0.113.240/29 dev veth0 scope link \n[RULE]77:\tfrom all lookup 77\n'
        + '[RULE]Deleted 77:\tfrom all lookup 77\n[ROUTE]Deleted 203.0.113.240/29 dev veth0 scope link \n');
    });

    it('prints one JSON object per event with -j', async () => {
      let out = '';
      const io: CliIO = { readStdin: async () => '', stdout: (t) => { out += t; }, stderr: (t) => { out += t; } };
      const ac = new AbortController();
      const status = runMonitor(['-j', '-n', ns.name, 'route'], io, {
        signal: ac.signal,
        onReady: () => {
          ip('route', 'add', '203.0.113.248/29', 'dev', 'veth1');
          ip('route', 'del', '203.0.113.248/29', 'dev', 'veth1');
        },
      });
      for (let i = 0; i < 500 && out.split('\n').length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      ac.abort();
      expect(await status).toBe(0);
      expect(out.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([
        { dst: '203.0.113.248/29', dev: 'veth1', scope: 'link', flags: [] },
        { deleted: true, dst: '203.0.113.248/29', dev: 'veth1', scope: 'link', flags: [] },
      ]);
    });
  });

  describe('end to end through bin/nlwire.js', () => {
    const main = join(root, 'dist', 'cli', 'main.js');
    const wired = existsSync(main) && existsSync(join(root, 'dist', 'cli', 'ip', 'index.js'))
      && /\.\/ip\/index\.js/.test(readFileSync(main, 'utf8'));
    it.skipIf(!wired)(`runs the built command${wired ? '' : ' (skipped: dist/cli/main.js does not wire the ip commands; run npx tsc -p tsconfig.build.json once main.ts does)'}`, () => {
      const run = (...args: string[]): Result => {
        const r = spawnSync(process.execPath, [join(root, 'bin', 'nlwire.js'), ...args], { encoding: 'utf8' });
        return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
      };
      const j = run('-j', '-n', ns.name, 'route', 'show', 'table', 'all');
      expect(j.status, j.stderr).toBe(0);
      expect(j.stdout).toBe(ip('-j', 'route', 'show', 'table', 'all').stdout);
      const t = run('-n', ns.name, 'route', 'get', '203.0.113.5', 'from', '192.0.2.10');
      expect(t).toEqual(ip('route', 'get', '203.0.113.5', 'from', '192.0.2.10'));
      const e = run('-n', ns.name, 'route', 'add', '203.0.113.64/26', 'via', '192.0.2.1', 'src', '198.51.100.77');
      expect(e).toEqual({ status: 2, stdout: '', stderr: 'Error: Invalid prefsrc address.\n' });
      expect(run('help', 'route').stdout).toMatch(/^Usage: nlwire/);
    });
  });
});
