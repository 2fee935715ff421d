/**
 * Records real iproute2 netlink traffic as test fixtures.
 *
 *   sudo npx tsx scripts/capture-fixtures.ts [--strace-logs | --strace-logs-only]
 *
 * Creates two private network namespaces (unique names), builds a small multi-homed
 * network in them (veth pairs, documentation addresses only: 192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32), and runs each `ip` command below under
 *
 *   ip netns exec NS strace -f -e trace=%network -e write=all -e read=all -s 65535 -o LOG ip ...
 *
 * Every NETLINK_ROUTE datagram of the command becomes one fixture:
 *
 *   test/fixtures/<family>/<name>.<NN>.hex   `# command` and one `>`/`<` hex line
 *   test/fixtures/<family>/<name>.<NN>.json  { command, index, direction, ip, expected: null }
 *
 * where `ip` is the parsed output of the command's `ip -j` counterpart run right after it
 * (`{ "stderr": ... }` for a command that fails, `{ "stdout": ... }` for `ip monitor`, which
 * has no JSON output). `expected` is filled in later by the codec step.
 *
 * The old generated fixtures (`<name>.<NN>.hex/json` in the families written here) are
 * deleted only once every command has been recorded, then the new ones are written, so a
 * failed run leaves the tree as it was. `--strace-logs` also re-records the strace logs that
 * test/capture/strace.test.ts reads (test/fixtures/strace/*.strace); their tests pin exact
 * values, so re-record them only on purpose; `--strace-logs-only` does that without
 * rewriting the fixtures.
 *
 * The namespaces are always deleted: on success, on error, on SIGINT/SIGTERM. Nothing runs
 * in the host's namespace except `ip netns add/del` of the two names created here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatHexLines } from '../src/capture/hexlines.js';
import { parseStrace, type StraceDatagram } from '../src/capture/strace.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const FAMILIES = ['route', 'link', 'addr', 'rule', 'neigh', 'error', 'monitor'] as const;
type Family = (typeof FAMILIES)[number];
/** The files this script generates, and so may delete: `<name>.<NN>.hex|json`. */
const GENERATED = /^[a-z0-9]+(?:-[a-z0-9]+)*\.\d{2,}\.(?:hex|json)$/;
const STRACE = ['-f', '-e', 'trace=%network', '-e', 'write=all', '-e', 'read=all', '-s', '65535'];
const NETLINK_ROUTE = 0;

const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
const NS = `nlwcap-${tag}`;
const PEER = `nlwcap-${tag}-peer`;

// ---------------------------------------------------------------------------------------
// Process handling and cleanup

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const live = new Set<ChildProcess>();
/** Processes started by our children that we must stop ourselves (the traced `ip monitor`). */
const extraPids = new Set<number>();
const namespaces: string[] = [];
let tmp = '';

function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function cleanupSync(): void {
  for (const pid of extraPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  extraPids.clear();
  for (const child of live) child.kill('SIGKILL');
  for (const ns of namespaces.splice(0).reverse()) {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
  if (tmp) {
    rmSync(tmp, { recursive: true, force: true });
    tmp = '';
  }
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    console.error(`\n${sig}: removing namespaces ${NS}, ${PEER}`);
    cleanupSync();
    process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
  });
}
process.on('exit', cleanupSync);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describe(args: string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

async function must(cmd: string, args: string[]): Promise<RunResult> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${describe([cmd, ...args])} failed (${r.code ?? r.signal}): ${r.stderr.trim()}`);
  return r;
}

/** `ip -n NS ...`: unrecorded setup inside one of our namespaces. */
const ipIn = (ns: string, args: string[]) => must('ip', ['-n', ns, ...args]);

// ---------------------------------------------------------------------------------------
// The commands

interface Step {
  /** `family/name` of the fixtures; absent for setup that is run but not recorded. */
  name?: `${Family}/${string}`;
  ip: string[];
  /** The command is expected to fail (the error fixtures). */
  fail?: boolean;
  /** Arguments of the `ip -j ...` run recorded beside the fixtures; 'same' = `-j` + `ip`. */
  json?: string[] | 'same';
}

const route4 = (table?: string): string[] => ['-j', 'route', 'show', ...(table ? ['table', table] : [])];
const route6 = (table?: string): string[] => ['-j', '-6', 'route', 'show', ...(table ? ['table', table] : [])];
const linkOf = (dev: string) => ['-j', 'link', 'show', 'dev', dev];
const addrOf = (dev: string) => ['-j', 'addr', 'show', 'dev', dev];

function steps(): Step[] {
  return [
    // Links and addresses.
    { name: 'link/set-lo-up', ip: ['link', 'set', 'lo', 'up'], json: linkOf('lo') },
    { name: 'link/add-veth', ip: ['link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth0p', 'netns', PEER], json: linkOf('veth0') },
    { ip: ['link', 'add', 'veth1', 'type', 'veth', 'peer', 'name', 'veth1p', 'netns', PEER] },
    { name: 'addr/add-v4', ip: ['addr', 'add', '192.0.2.10/24', 'dev', 'veth0'], json: addrOf('veth0') },
    { name: 'addr/add-v6-nodad', ip: ['addr', 'add', '2001:db8:1::10/64', 'dev', 'veth0', 'nodad'], json: addrOf('veth0') },
    { ip: ['addr', 'add', '198.51.100.10/24', 'dev', 'veth1'] },
    { ip: ['addr', 'add', '2001:db8:2::10/64', 'dev', 'veth1', 'nodad'] },
    { name: 'link/set-up', ip: ['link', 'set', 'veth0', 'up'], json: linkOf('veth0') },
    { ip: ['link', 'set', 'veth1', 'up'] },
    { name: 'link/set-mtu', ip: ['link', 'set', 'dev', 'veth1', 'mtu', '1400'], json: linkOf('veth1') },
    { name: 'link/set-alias', ip: ['link', 'set', 'dev', 'veth1', 'alias', 'uplink'], json: linkOf('veth1') },
    { name: 'addr/add-v4-secondary', ip: ['addr', 'add', '192.0.2.20/24', 'dev', 'veth0'], json: addrOf('veth0') },
    { name: 'addr/add-v6-lifetime', ip: ['addr', 'add', '2001:db8:1::20/64', 'dev', 'veth0', 'nodad', 'valid_lft', '3600', 'preferred_lft', '1800'], json: addrOf('veth0') },
    { name: 'addr/del-v4', ip: ['addr', 'del', '192.0.2.20/24', 'dev', 'veth0'], json: addrOf('veth0') },

    // Policy rules and table 100.
    { name: 'rule/add-from', ip: ['rule', 'add', 'from', '192.0.2.10', 'table', '100', 'priority', '1000'], json: ['-j', 'rule', 'show'] },
    { name: 'rule/add-fwmark', ip: ['rule', 'add', 'fwmark', '7', 'table', '100', 'priority', '1100'], json: ['-j', 'rule', 'show'] },
    { name: 'rule/add-uidrange', ip: ['rule', 'add', 'uidrange', '1000-1999', 'table', '100', 'priority', '1200'], json: ['-j', 'rule', 'show'] },
    { name: 'rule/add-ipproto-dport', ip: ['rule', 'add', 'ipproto', 'tcp', 'dport', '443', 'table', '100', 'priority', '1300'], json: ['-j', 'rule', 'show'] },
    { name: 'rule/add-iif', ip: ['rule', 'add', 'iif', 'veth1', 'table', '100', 'priority', '1500'], json: ['-j', 'rule', 'show'] },
    { name: 'rule/add-v6-from', ip: ['-6', 'rule', 'add', 'from', '2001:db8:1::10', 'table', '100', 'priority', '1000'], json: ['-j', '-6', 'rule', 'show'] },
    { name: 'rule/add-v6-sport-range', ip: ['-6', 'rule', 'add', 'ipproto', 'udp', 'sport', '5000-5100', 'table', '100', 'priority', '1400'], json: ['-j', '-6', 'rule', 'show'] },
    { name: 'rule/add-v6-fwmark', ip: ['-6', 'rule', 'add', 'fwmark', '7', 'table', '100', 'priority', '1100'], json: ['-j', '-6', 'rule', 'show'] },
    { name: 'rule/add-v6-uidrange', ip: ['-6', 'rule', 'add', 'uidrange', '1000-1999', 'table', '100', 'priority', '1200'], json: ['-j', '-6', 'rule', 'show'] },
    { ip: ['rule', 'add', 'from', '203.0.113.99', 'lookup', '200', 'priority', '1900'] },
    { name: 'rule/del', ip: ['rule', 'del', 'priority', '1900'], json: ['-j', 'rule', 'show'] },
    { name: 'rule/show', ip: ['rule', 'show'], json: 'same' },
    { name: 'rule/show-v6', ip: ['-6', 'rule', 'show'], json: 'same' },

    // Routes: add, replace, del.
    { name: 'route/add-v4-via-table', ip: ['route', 'add', '203.0.113.0/24', 'via', '192.0.2.1', 'dev', 'veth0', 'table', '100'], json: route4('100') },
    { name: 'route/add-v6-via-table', ip: ['-6', 'route', 'add', '2001:db8:3::/64', 'via', '2001:db8:1::1', 'dev', 'veth0', 'table', '100'], json: route6('100') },
    { name: 'route/add-v4-prefsrc', ip: ['route', 'add', '203.0.113.128/25', 'dev', 'veth1', 'src', '198.51.100.10'], json: route4() },
    { name: 'route/add-v6-prefsrc', ip: ['-6', 'route', 'add', '2001:db8:4::/64', 'dev', 'veth0', 'src', '2001:db8:1::10'], json: route6() },
    { name: 'route/add-v4-metric-proto', ip: ['route', 'add', '203.0.113.64/26', 'via', '192.0.2.1', 'dev', 'veth0', 'metric', '50', 'proto', 'static', 'table', '100'], json: route4('100') },
    { name: 'route/add-v4-scope-link', ip: ['route', 'add', '198.51.100.0/25', 'dev', 'veth1', 'scope', 'link', 'table', '100'], json: route4('100') },
    { name: 'route/add-v4-metrics', ip: ['route', 'add', '203.0.113.192/26', 'via', '198.51.100.1', 'dev', 'veth1', 'mtu', '1400', 'advmss', '1360', 'congctl', 'cubic', 'table', '100'], json: route4('100') },
    { name: 'route/add-v6-metrics', ip: ['-6', 'route', 'add', '2001:db8:7::/64', 'via', '2001:db8:2::1', 'dev', 'veth1', 'mtu', '1400', 'hoplimit', '32'], json: route6() },
    { name: 'route/add-v4-multipath', ip: ['route', 'add', '203.0.113.0/28', 'table', '100', 'nexthop', 'via', '192.0.2.1', 'dev', 'veth0', 'weight', '2', 'nexthop', 'via', '198.51.100.1', 'dev', 'veth1'], json: route4('100') },
    { name: 'route/add-v6-multipath', ip: ['-6', 'route', 'add', '2001:db8:5::/64', 'nexthop', 'via', '2001:db8:1::1', 'dev', 'veth0', 'weight', '2', 'nexthop', 'via', '2001:db8:2::1', 'dev', 'veth1'], json: route6() },
    { name: 'route/add-v6-via-metric', ip: ['-6', 'route', 'add', '2001:db8:6::/64', 'via', '2001:db8:2::1', 'metric', '100'], json: route6() },
    { name: 'route/replace-v4', ip: ['route', 'replace', '203.0.113.64/26', 'via', '198.51.100.1', 'dev', 'veth1', 'metric', '50', 'proto', 'static', 'table', '100'], json: route4('100') },
    { name: 'route/replace-v6', ip: ['-6', 'route', 'replace', '2001:db8:6::/64', 'via', '2001:db8:1::1', 'dev', 'veth0', 'metric', '100'], json: route6() },
    { ip: ['route', 'add', '203.0.113.16/28', 'via', '192.0.2.1', 'table', '100'] },
    { name: 'route/del-v4', ip: ['route', 'del', '203.0.113.16/28', 'table', '100'], json: route4('100') },
    { name: 'route/del-v6', ip: ['-6', 'route', 'del', '2001:db8:6::/64'], json: route6() },

    // Neighbours.
    { name: 'neigh/add-v4', ip: ['neigh', 'add', '192.0.2.50', 'lladdr', '00:00:5e:00:53:01', 'dev', 'veth0'], json: ['-j', 'neigh', 'show', 'dev', 'veth0'] },
    { name: 'neigh/add-v6', ip: ['-6', 'neigh', 'add', '2001:db8:1::50', 'lladdr', '00:00:5e:00:53:02', 'dev', 'veth0'], json: ['-j', '-6', 'neigh', 'show', 'dev', 'veth0'] },
    { name: 'neigh/replace-stale', ip: ['neigh', 'replace', '192.0.2.51', 'lladdr', '00:00:5e:00:53:03', 'dev', 'veth1', 'nud', 'stale'], json: ['-j', 'neigh', 'show', 'dev', 'veth1'] },
    { name: 'neigh/show', ip: ['neigh', 'show'], json: 'same' },
    { name: 'neigh/show-v6', ip: ['-6', 'neigh', 'show'], json: 'same' },
    { name: 'neigh/del', ip: ['neigh', 'del', '192.0.2.51', 'dev', 'veth1'], json: ['-j', 'neigh', 'show', 'dev', 'veth1'] },

    // Route lookups.
    { name: 'route/get-v4', ip: ['route', 'get', '192.0.2.1'], json: 'same' },
    { name: 'route/get-v6', ip: ['route', 'get', '2001:db8:1::1'], json: 'same' },
    { name: 'route/get-v4-from', ip: ['route', 'get', '203.0.113.5', 'from', '192.0.2.10'], json: 'same' },
    { name: 'route/get-v6-from', ip: ['route', 'get', '2001:db8:3::5', 'from', '2001:db8:1::10'], json: 'same' },
    { name: 'route/get-v4-iif', ip: ['route', 'get', '203.0.113.5', 'from', '198.51.100.99', 'iif', 'veth1'], json: 'same' },
    { name: 'route/get-v6-iif', ip: ['route', 'get', '2001:db8:1::99', 'from', '2001:db8:2::99', 'iif', 'veth1'], json: 'same' },
    { name: 'route/get-v4-oif', ip: ['route', 'get', '198.51.100.77', 'oif', 'veth1'], json: 'same' },
    { name: 'route/get-v6-oif', ip: ['route', 'get', '2001:db8:2::77', 'oif', 'veth1'], json: 'same' },
    { name: 'route/get-v4-mark', ip: ['route', 'get', '203.0.113.5', 'mark', '7'], json: 'same' },
    { name: 'route/get-v6-mark', ip: ['route', 'get', '2001:db8:3::5', 'mark', '7'], json: 'same' },
    { name: 'route/get-v4-uid', ip: ['route', 'get', '203.0.113.5', 'uid', '1000'], json: 'same' },
    { name: 'route/get-v6-uid', ip: ['route', 'get', '2001:db8:3::5', 'uid', '1000'], json: 'same' },
    { name: 'route/get-v4-ipproto', ip: ['route', 'get', '203.0.113.5', 'ipproto', 'tcp', 'sport', '40000', 'dport', '443'], json: 'same' },
    { name: 'route/get-v6-ipproto', ip: ['route', 'get', '2001:db8:3::5', 'ipproto', 'udp', 'sport', '5050', 'dport', '53'], json: 'same' },
    { name: 'route/get-v4-fibmatch', ip: ['route', 'get', 'fibmatch', '198.51.100.77'], json: 'same' },
    { name: 'route/get-v6-fibmatch', ip: ['route', 'get', 'fibmatch', '2001:db8:2::77'], json: 'same' },
    { name: 'route/get-v4-prefsrc', ip: ['route', 'get', '203.0.113.200'], json: 'same' },
    { name: 'route/get-v6-prefsrc', ip: ['route', 'get', '2001:db8:4::1'], json: 'same' },
    { name: 'route/get-v4-multipath', ip: ['route', 'get', '203.0.113.3', 'from', '192.0.2.10'], json: 'same' },

    // Dumps.
    { name: 'route/show-v4', ip: ['route', 'show'], json: 'same' },
    { name: 'route/show-v6', ip: ['-6', 'route', 'show'], json: 'same' },
    { name: 'route/show-table-100', ip: ['route', 'show', 'table', '100'], json: 'same' },
    { name: 'route/show-all', ip: ['route', 'show', 'table', 'all'], json: 'same' },
    { name: 'route/show-v6-all', ip: ['-6', 'route', 'show', 'table', 'all'], json: 'same' },
    { name: 'link/show', ip: ['link', 'show'], json: 'same' },
    { name: 'link/show-dev', ip: ['link', 'show', 'dev', 'veth0'], json: 'same' },
    { name: 'addr/show', ip: ['addr', 'show'], json: 'same' },
    { name: 'addr/show-v6', ip: ['-6', 'addr', 'show'], json: 'same' },
    { name: 'addr/show-dev', ip: ['addr', 'show', 'dev', 'veth0'], json: 'same' },

    // Failures.
    { name: 'error/route-add-eexist', ip: ['route', 'add', '203.0.113.128/25', 'dev', 'veth1', 'src', '198.51.100.10'], fail: true },
    { name: 'error/route-add-v6-eexist', ip: ['-6', 'route', 'add', '2001:db8:4::/64', 'dev', 'veth0', 'src', '2001:db8:1::10'], fail: true },
    { name: 'error/route-get-v4-unreachable', ip: ['route', 'get', '203.0.113.5'], fail: true },
    { name: 'error/route-get-v6-unreachable', ip: ['route', 'get', '2001:db8:ffff::1'], fail: true },
    { name: 'error/route-del-esrch', ip: ['route', 'del', '203.0.113.250/32', 'table', '100'], fail: true },
    { name: 'error/route-add-prefsrc', ip: ['route', 'add', '203.0.113.0/24', 'dev', 'veth0', 'src', '203.0.113.77'], fail: true },
    { name: 'error/route-add-gateway', ip: ['route', 'add', '203.0.113.32/27', 'via', '203.0.113.1', 'dev', 'veth0'], fail: true },
    { name: 'error/route-add-v6-gateway', ip: ['-6', 'route', 'add', '2001:db8:8::/64', 'via', '2001:db8:9::1', 'dev', 'veth0'], fail: true },
    { name: 'error/route-add-nhid', ip: ['route', 'add', '203.0.113.32/27', 'nhid', '99', 'table', '100'], fail: true },
    { name: 'error/addr-add-enodev', ip: ['addr', 'add', '192.0.2.77/24', 'dev', 'if99'], fail: true },
    { name: 'error/addr-add-eexist', ip: ['addr', 'add', '192.0.2.10/24', 'dev', 'veth0'], fail: true },
    { name: 'error/link-add-eexist', ip: ['link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth9'], fail: true },
    { name: 'error/rule-add-eexist', ip: ['rule', 'add', 'from', '192.0.2.10', 'table', '100', 'priority', '1000'], fail: true },
    { name: 'error/neigh-add-eexist', ip: ['neigh', 'add', '192.0.2.50', 'lladdr', '00:00:5e:00:53:01', 'dev', 'veth0'], fail: true },
  ];
}

/** Changes made while `ip monitor all` listens. */
const MONITOR_CHANGES: string[][] = [
  ['addr', 'add', '192.0.2.30/24', 'dev', 'veth0'],
  ['route', 'add', '203.0.113.48/28', 'via', '192.0.2.1', 'table', '100'],
  ['-6', 'route', 'add', '2001:db8:9::/64', 'via', '2001:db8:1::1'],
  ['neigh', 'add', '192.0.2.52', 'lladdr', '00:00:5e:00:53:04', 'dev', 'veth0'],
  ['rule', 'add', 'fwmark', '9', 'table', '100', 'priority', '1600'],
  ['link', 'set', 'dev', 'veth1', 'mtu', '1450'],
  ['rule', 'del', 'priority', '1600'],
  ['neigh', 'del', '192.0.2.52', 'dev', 'veth0'],
  ['-6', 'route', 'del', '2001:db8:9::/64'],
  ['route', 'del', '203.0.113.48/28', 'table', '100'],
  ['addr', 'del', '192.0.2.30/24', 'dev', 'veth0'],
];

// ---------------------------------------------------------------------------------------
// Recording

interface Fixture {
  family: Family;
  base: string;
  command: string;
  index: number;
  direction: '>' | '<';
  bytes: Uint8Array;
  ip: unknown;
}

const fixtures: Fixture[] = [];
const summary: { command: string; datagrams: number; fixture: string }[] = [];
let logCounter = 0;

function newLog(): string {
  return join(tmp, `strace-${++logCounter}.log`);
}

function routeDatagrams(logFile: string): StraceDatagram[] {
  return parseStrace(readFileSync(logFile, 'utf8')).filter((d) => d.protocol === NETLINK_ROUTE);
}

function addFixtures(name: `${Family}/${string}`, command: string, datagrams: StraceDatagram[], ip: unknown): void {
  const [family, base] = name.split('/') as [Family, string];
  if (datagrams.length === 0) throw new Error(`${command}: no NETLINK_ROUTE datagrams in the strace log`);
  datagrams.forEach((d, index) => fixtures.push({ family, base, command, index, direction: d.direction, bytes: d.bytes, ip }));
  summary.push({ command, datagrams: datagrams.length, fixture: name });
}

async function ipJson(args: string[]): Promise<unknown> {
  const r = await must('ip', ['netns', 'exec', NS, 'ip', ...args]);
  const text = r.stdout.trim();
  return text === '' ? null : (JSON.parse(text) as unknown);
}

async function record(step: Step): Promise<void> {
  if (!step.name) {
    await ipIn(NS, step.ip);
    return;
  }
  const log = newLog();
  const command = describe(['ip', ...step.ip]);
  const r = await run('ip', ['netns', 'exec', NS, 'strace', ...STRACE, '-o', log, 'ip', ...step.ip]);
  if (step.fail) {
    if (r.code === 0) throw new Error(`${command}: expected to fail, but it succeeded`);
  } else if (r.code !== 0) {
    throw new Error(`${command} failed (${r.code ?? r.signal}): ${r.stderr.trim()}`);
  }
  const datagrams = routeDatagrams(log);
  let ip: unknown = null;
  if (step.fail) ip = { stderr: r.stderr };
  else if (step.json === 'same') ip = await ipJson(['-j', ...step.ip]);
  else if (step.json) ip = await ipJson(step.json);
  addFixtures(step.name, command, datagrams, ip);
}

/** The children of a process, from /proc (Linux 3.5+). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

async function waitFor(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (pred()) return true;
    await sleep(50);
  }
  return pred();
}

async function recordMonitor(): Promise<void> {
  const log = newLog();
  const command = 'ip monitor all';
  const child = spawn('ip', ['netns', 'exec', NS, 'strace', ...STRACE, '-o', log, 'ip', 'monitor', 'all'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const stracePid = child.pid;
  if (stracePid === undefined) throw new Error('could not start strace for ip monitor');

  // `ip netns exec` execs strace in place, and strace forks the traced ip.
  let monitorPid = 0;
  await waitFor(() => {
    monitorPid = childrenOf(stracePid).find((p) => commOf(p) === 'ip') ?? 0;
    return monitorPid !== 0;
  }, 10_000);
  if (!monitorPid) throw new Error('ip monitor did not start under strace');
  extraPids.add(monitorPid);
  // Listening once it has its answer to RTM_GETNSID (the last request before its loop).
  const ready = await waitFor(() => {
    try {
      return readFileSync(log, 'utf8').includes('RTM_NEWNSID');
    } catch {
      return false;
    }
  }, 10_000);
  if (!ready) throw new Error(`ip monitor did not get ready: ${stderr.trim()}`);
  await sleep(200);

  for (const args of MONITOR_CHANGES) await ipIn(NS, args);
  await sleep(500);

  process.kill(monitorPid, 'SIGINT');
  const stopped = await Promise.race([exited.then(() => true), sleep(3000).then(() => false)]);
  if (!stopped) {
    process.kill(monitorPid, 'SIGTERM');
    await Promise.race([exited, sleep(3000)]);
  }
  extraPids.delete(monitorPid);
  live.delete(child);

  const datagrams = routeDatagrams(log).filter((d) => d.direction === '<');
  addFixtures('monitor/all', command, datagrams, { stdout });
}

// ---------------------------------------------------------------------------------------
// strace logs for test/capture/strace.test.ts

/** A program writing raw netlink with write()/read(), so that strace -xx prints the bytes. */
const PERL_NETLINK = `
socket(my $r, 16, 3, 0) or die "socket: $!";
bind($r, pack("SSLL", 16, 0, 0, 0)) or die "bind: $!";
my $req = pack("LSSLL CCCCCCCCL SSC4", 36, 26, 1, 7, 0, 2, 32, 0, 0, 0, 0, 0, 0, 0, 8, 1, 127, 0, 0, 1);
syswrite($r, $req) == 36 or die "write: $!";
sysread($r, my $buf, 65536) > 0 or die "read: $!";
socket(my $g, 16, 3, 16) or die "socket: $!";
bind($g, pack("SSLL", 16, 0, 0, 0)) or die "bind: $!";
my $attr = pack("SS", 11, 2) . "nlctrl\\0\\0";
my $body = pack("CCS", 3, 1, 0) . $attr;
syswrite($g, pack("LSSLL", 16 + length($body), 16, 1, 8, 0) . $body) or die "write: $!";
sysread($g, $buf, 65536) > 0 or die "read: $!";
fcntl($r, 4, 0x800) or die "fcntl: $!";
defined(sysread($r, $buf, 65536)) and die "expected EAGAIN";
close($r);
open(my $z, "<", "/dev/zero") or die "open: $!";
sysread($z, $buf, 16) == 16 or die "read: $!";
`;

async function recordStraceLogs(): Promise<void> {
  const dir = join(FIXTURES, 'strace');
  mkdirSync(dir, { recursive: true });
  const inNs = (args: string[]) => ['netns', 'exec', NS, ...args];
  const save = (file: string, text: string) => {
    writeFileSync(join(dir, file), text);
    console.log(`  wrote test/fixtures/strace/${file} (${text.split('\n').length - 1} lines)`);
  };
  const toFile = async (file: string, straceArgs: string[], cmd: string[]) => {
    const log = newLog();
    const r = await run('ip', inNs(['strace', ...straceArgs, '-o', log, ...cmd]));
    if (r.code !== 0) throw new Error(`${describe(cmd)} failed under strace: ${r.stderr.trim()}`);
    save(file, readFileSync(log, 'utf8'));
  };

  await toFile('ip-route-get.strace', STRACE, ['ip', 'route', 'get', '203.0.113.5', 'from', '192.0.2.10']);
  await toFile('ip-route-get-nodump.strace', ['-f', '-xx', '-e', 'trace=%network', '-s', '65535'], ['ip', 'route', 'get', '192.0.2.1']);
  await toFile('ip-link-show-raw.strace', ['-f', '-yy', '-tt', '-T', '-i', '-X', 'raw', ...STRACE.slice(1)], ['ip', 'link', 'show', 'dev', 'lo']);
  await toFile('ss-sock-diag.strace', STRACE, ['ss', '-tn', 'state', 'established', '( dport = :443 or sport = :22 )']);
  await toFile('perl-xx.strace', ['-xx', '-e', 'trace=%network,read,write,close,openat,fcntl', '-s', '65535'], ['perl', '-e', PERL_NETLINK]);

  // Two processes, strace writing `[pid N]` lines to stderr: ip monitor blocks in recvmsg
  // (<unfinished ...>) while a second ip changes a route.
  const script =
    'ip monitor route & sleep 0.5; ip route add 203.0.113.96/27 via 192.0.2.1 table 100; ' +
    'ip route del 203.0.113.96/27 table 100; sleep 0.5; kill $!; wait';
  const r = await run('ip', inNs(['strace', ...STRACE, 'sh', '-c', script]));
  if (!r.stderr.includes('resumed>')) throw new Error('the two-process log has no <... resumed> line; run again');
  save('ip-monitor-two-procs.strace', r.stderr);

  // strace -f -Y on the stderr it shares with two failing ip commands: now and then an ip
  // error message lands inside a half-printed call line, which strace ends on the next line
  // (`bind(3, {...}, 12RTNETLINK answers: Network is unreachable` then `) = 0`). That is a
  // race, so try until it happens, preferring a cut sendmsg/recvmsg.
  const race = 'ip route get 203.0.113.5 & ip -6 route get 2001:db8:ffff::1; wait';
  let best = '';
  for (let i = 0; i < 80; i++) {
    const t = (await run('ip', inNs(['strace', ...STRACE, '-Y', 'sh', '-c', race]))).stderr;
    const cut = /^.*\n\)/m.exec(t);
    if (!cut) continue;
    best = t;
    if (/\] (sendmsg|recvmsg)\(/.test(cut[0])) break;
  }
  if (best) save('ip-two-procs-shared-stderr.strace', best);
  else console.warn('  no cut line in 80 tries: kept test/fixtures/strace/ip-two-procs-shared-stderr.strace');
}

// ---------------------------------------------------------------------------------------

function writeFixtures(): Map<Family, number> {
  const counts = new Map<Family, number>();
  for (const family of FAMILIES) {
    const dir = join(FIXTURES, family);
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (GENERATED.test(f)) rmSync(join(dir, f));
  }
  const names = new Set<string>();
  for (const f of fixtures) {
    const width = Math.max(2, String(fixtures.filter((g) => g.family === f.family && g.base === f.base).length - 1).length);
    const stem = `${f.base}.${String(f.index).padStart(width, '0')}`;
    const key = `${f.family}/${stem}`;
    if (names.has(key)) throw new Error(`duplicate fixture ${key}`);
    names.add(key);
    const dir = join(FIXTURES, f.family);
    writeFileSync(join(dir, `${stem}.hex`), formatHexLines([{ direction: f.direction, bytes: f.bytes }], { comments: [f.command] }));
    const json = { command: f.command, index: f.index, direction: f.direction, ip: f.ip, expected: null };
    writeFileSync(join(dir, `${stem}.json`), JSON.stringify(json, null, 2) + '\n');
    counts.set(f.family, (counts.get(f.family) ?? 0) + 1);
  }
  return counts;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: it creates network namespaces and runs strace');
  await must('strace', ['-V']);
  await must('ip', ['-V']);
  const logsOnly = process.argv.includes('--strace-logs-only');
  const withLogs = logsOnly || process.argv.includes('--strace-logs');
  tmp = mkdtempSync(join(tmpdir(), 'nlwcap-'));

  for (const ns of [NS, PEER]) {
    await must('ip', ['netns', 'add', ns]);
    namespaces.push(ns);
  }
  console.log(`namespaces ${NS} and ${PEER}`);

  // The far ends of the two veth pairs, in PEER. Configured between the steps that create
  // the pairs and the first step that needs a carrier.
  const peerSetup = async () => {
    await ipIn(PEER, ['link', 'set', 'lo', 'up']);
    await ipIn(PEER, ['addr', 'add', '192.0.2.1/24', 'dev', 'veth0p']);
    await ipIn(PEER, ['addr', 'add', '2001:db8:1::1/64', 'dev', 'veth0p', 'nodad']);
    await ipIn(PEER, ['addr', 'add', '198.51.100.1/24', 'dev', 'veth1p']);
    await ipIn(PEER, ['addr', 'add', '2001:db8:2::1/64', 'dev', 'veth1p', 'nodad']);
    await ipIn(PEER, ['link', 'set', 'veth0p', 'up']);
    await ipIn(PEER, ['link', 'set', 'veth1p', 'up']);
    // Forwarding in NS only (per-namespace sysctls), for `ip route get ... iif`.
    await must('ip', ['netns', 'exec', NS, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
  };

  let commands = 0;
  for (const step of steps()) {
    await record(step);
    commands++;
    if (step.ip.join(' ').startsWith('link add veth1 ')) await peerSetup();
  }
  await recordMonitor();
  commands += 1 + MONITOR_CHANGES.length;
  if (withLogs) await recordStraceLogs();

  if (logsOnly) {
    console.log(`${commands} commands run; fixtures left as they were (--strace-logs-only)`);
    return;
  }
  const counts = writeFixtures();
  console.log('\ncommands recorded:');
  for (const s of summary) console.log(`  ${s.fixture.padEnd(34)} ${String(s.datagrams).padStart(3)}  ${s.command}`);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${commands} commands run, ${summary.length} recorded, ${total} datagrams written:`);
  for (const family of FAMILIES) console.log(`  ${family.padEnd(8)} ${counts.get(family) ?? 0}`);
}

try {
  await main();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
} finally {
  cleanupSync();
}
