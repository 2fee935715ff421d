/**
 * The decode benchmark: `npm run bench` (`tsx scripts/bench.ts`).
 *
 * Records a route dump of `--routes` (100,000) IPv4 routes from a private network namespace,
 * then decodes the same bytes, all in this run, with:
 *
 * - a C walk (scripts/bench/walk.c): nlmsghdr, rtmsg, each attribute into a struct by a
 *   hand loop, the practical limit and the reference; and the same through libmnl's
 *   callbacks (mnl_attr_parse), as most C programs walk a dump;
 * - nlwire: `decodeDatagram(bytes, rtnetlink)` per datagram, reading the decoded routes;
 *   also with `datagramToJSON` (informative), and chunk by chunk from the file for memory;
 * - the `netlink` npm package, when it can be imported (else skipped with a note);
 * - pyroute2 (Debian's python3-pyroute2) under /usr/bin/python3.
 *
 * Every implementation reports the same sums (routes, dst, gateway, prefsrc present; oif,
 * table, priority added up), which must agree. The output ends with a markdown table.
 *
 * Options: `--routes N`, `--record` (record again even if bench-data/ has the recording),
 * `--budget S` (seconds of timed passes per implementation, default 4), `--no-python`,
 * `--profile` (CPU profile of nlwire's decode into bench-data/, top functions printed).
 * NLWIRE_BENCH_NETLINK=DIR loads the `netlink` npm package from DIR when node_modules has
 * none (`npm install --prefix /tmp/nl netlink@0.3.0`, DIR /tmp/nl/node_modules/netlink).
 *
 * The namespace is `nlwire-bench-<pid>-<random>`, holds everything the recording adds
 * (lo, a veth pair, 192.0.2.10/24, the routes) and is deleted in `finally` and on
 * SIGINT/SIGTERM. Only documentation ranges are used. Needs root, iproute2, a C compiler
 * and libmnl-dev to record; recorded data is reused from bench-data/ when its parameters
 * match.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync,
  statSync, writeFileSync,
} from 'node:fs';
import { cpus, release } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { decodeDatagram } from '../src/netlink/message.js';
import { datagramToJSON } from '../src/netlink/json.js';
import { rtnetlink } from '../src/rtnl/protocol.js';
import { routeView, type DevNamer, type Route } from '../src/rtnl/request.js';
import { decodeRoutes } from '../src/rtnl/route-decode.js';
import {
  type Sums, type RouteFields, SUM_KEYS, zeroSums, addRoute, addRouteFields,
} from './bench/sums.js';
import { RTM_NEWROUTE } from '../src/rtnl/route.js';
import { V4_PREFIXES } from './bench/socket/routes.js';
import { compileC } from './bench/cc.js';
import { sampleCpu } from './bench/sample.js';
import { type CpuProfile, formatRows, selfByFunction } from './bench/socket/profile.js';

const execFileP = promisify(execFile);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'scripts', 'bench');
const DATA = join(ROOT, 'bench-data');

/** Bumped whenever the route set or the recording format changes: old recordings are redone. */
const GENERATOR = 'inet-mix-1';
/** Receive buffer of the recorder; the kernel sizes dump datagrams from it (iproute2 uses 32 KiB). */
const RECVBUF = 32768;

interface Options {
  routes: number;
  record: boolean;
  budget: number;
  python: boolean;
  profile: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { routes: 100_000, record: false, budget: 4, python: true, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) fail(`${a} needs a positive number`);
      return v;
    };
    if (a === '--routes') o.routes = Math.floor(num());
    else if (a === '--record') o.record = true;
    else if (a === '--budget') o.budget = num();
    else if (a === '--no-python') o.python = false;
    else if (a === '--profile') o.profile = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run bench -- [--routes N] [--record] [--budget SECONDS] [--no-python] [--profile]');
      process.exit(0);
    } else fail(`unknown option ${a}`);
  }
  return o;
}

function fail(msg: string): never {
  console.error(`bench: ${msg}`);
  process.exit(1);
}

function sameSums(a: Sums, b: Sums): boolean {
  return SUM_KEYS.every((k) => a[k] === b[k]);
}

/** One implementation's figures. */
interface Result {
  name: string;
  /** Nanoseconds of the best timed pass over every datagram. */
  bestNs: number;
  medianNs: number;
  passes: number;
  sums: Sums;
  note?: string;
}

// ---------------------------------------------------------------------------------------
// Recording

/**
 * `ip -batch` lines for `n` routes: every prefix of {@link V4_PREFIXES} (`198.51.100.0/24` and
 * `203.0.113.0/24` cut into every prefix from /24 to /32: 1022) in table 1000, then in
 * 1001, ... (about 98 tables for 100,000), next hops 192.0.2.1-4, four metrics.
 */
function routeBatch(n: number): string {
  const p = V4_PREFIXES;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const table = 1000 + Math.floor(i / p.length);
    const gw = 1 + (i % 4);
    const metric = 100 * (1 + (Math.floor(i / 4) % 4));
    lines.push(`route add ${p[i % p.length]} via 192.0.2.${gw} src 192.0.2.10 dev veth0 metric ${metric} table ${table}`);
  }
  return lines.join('\n') + '\n';
}

interface Meta {
  generator: string;
  routes: number;
  recvbuf: number;
  datagrams: number;
  dumpedRoutes: number;
  bytes: number;
  kernel: string;
  recordedAt: string;
}

function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

let liveNetns: string | undefined;
const tempFiles = new Set<string>();

/** Deletes the recording namespace and temporary files, if any; from `finally` and signals. */
function cleanUp(): void {
  for (const f of tempFiles) rmSync(f, { force: true });
  tempFiles.clear();
  const ns = liveNetns;
  if (!ns) return;
  liveNetns = undefined;
  try {
    ip(['netns', 'del', ns]);
  } catch (err) {
    console.error(`bench: could not delete namespace ${ns}: ${(err as Error).message}`);
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (liveNetns) console.error(`bench: ${sig}, deleting namespace ${liveNetns}`);
    cleanUp();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}
process.on('exit', cleanUp);

/** Compiles a program of scripts/bench into bench-data/ when its source is newer. */
function compile(name: string, libs: readonly string[]): string {
  return compileC(join(SRC, `${name}.c`), join(DATA, name), libs, fail);
}

function checkRecordingTools(): void {
  if (process.getuid?.() !== 0) fail('recording needs root (network namespaces); or reuse a recording in bench-data/');
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    fail('`ip` not found: apt-get install -y iproute2');
  }
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
  } catch {
    fail('no C compiler: apt-get install -y gcc');
  }
  if (!existsSync('/usr/include/libmnl/libmnl.h')) fail('libmnl headers missing: apt-get install -y libmnl-dev');
}

/** Records the dump into `file` (and its meta beside it) from a namespace made for it. */
async function record(opts: Options, file: string, metaFile: string): Promise<Meta> {
  checkRecordingTools();
  const dump = compile('dump', ['-lmnl']);
  const ns = `nlwire-bench-${process.pid}-${randomBytes(3).toString('hex')}`;
  const batch = join(DATA, `batch-${process.pid}.txt`);
  const tmp = `${file}.${process.pid}.tmp`;
  const t0 = performance.now();
  tempFiles.add(batch).add(tmp);
  try {
    liveNetns = ns;
    ip(['netns', 'add', ns]);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    ip(['-n', ns, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1']);
    ip(['-n', ns, 'addr', 'add', '192.0.2.10/24', 'dev', 'veth0']);
    ip(['-n', ns, 'link', 'set', 'veth0', 'up']);
    ip(['-n', ns, 'link', 'set', 'veth1', 'up']);
    writeFileSync(batch, routeBatch(opts.routes));
    await execFileP('ip', ['-n', ns, '-batch', batch], { maxBuffer: 64 << 20 });
    const t1 = performance.now();
    const { stdout } = await execFileP('ip', ['netns', 'exec', ns, dump, tmp, String(RECVBUF)]);
    const [datagrams, dumpedRoutes, bytes] = stdout.trim().split(/\s+/).map(Number) as [number, number, number];
    if (!(dumpedRoutes >= opts.routes)) throw new Error(`dump returned ${dumpedRoutes} routes, expected at least ${opts.routes}`);
    const meta: Meta = {
      generator: GENERATOR, routes: opts.routes, recvbuf: RECVBUF, datagrams, dumpedRoutes, bytes,
      kernel: release(), recordedAt: new Date().toISOString(),
    };
    renameSync(tmp, file);
    writeFileSync(metaFile, JSON.stringify(meta, null, 2) + '\n');
    console.log(`recorded ${dumpedRoutes} routes in ${datagrams} datagrams (${mb(bytes)} MB) from namespace ${ns}: `
      + `routes added in ${((t1 - t0) / 1000).toFixed(1)} s, dumped in ${((performance.now() - t1) / 1000).toFixed(2)} s`);
    return meta;
  } finally {
    cleanUp();
  }
}

/** The recording for these options: reused when bench-data/ has one with the same parameters. */
async function recording(opts: Options): Promise<{ file: string; meta: Meta }> {
  mkdirSync(DATA, { recursive: true });
  const file = join(DATA, `routes-inet-${opts.routes}.bin`);
  const metaFile = `${file.slice(0, -4)}.json`;
  if (!opts.record && existsSync(file) && existsSync(metaFile)) {
    try {
      const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Meta;
      if (meta.generator === GENERATOR && meta.routes === opts.routes && meta.recvbuf === RECVBUF
        && statSync(file).size === meta.bytes + 4 * meta.datagrams) {
        console.log(`reusing ${relative(ROOT, file)}: ${meta.dumpedRoutes} routes in ${meta.datagrams} datagrams `
          + `(${mb(meta.bytes)} MB), recorded ${meta.recordedAt} on kernel ${meta.kernel}; --record to record again`);
        return { file, meta };
      }
    } catch {
      // An unreadable meta file: record again.
    }
  }
  return { file, meta: await record(opts, file, metaFile) };
}

/** The datagrams of a recording, as views into one buffer. */
function readDatagrams(file: string): Uint8Array[] {
  const all = readFileSync(file);
  const out: Uint8Array[] = [];
  for (let o = 0; o + 4 <= all.length;) {
    const len = all.readUInt32LE(o);
    if (o + 4 + len > all.length) fail(`${file}: truncated record at byte ${o}`);
    out.push(new Uint8Array(all.buffer, all.byteOffset + o + 4, len));
    o += 4 + len;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Timing

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(2);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Runs `pass` twice untimed, then timed until `budget` seconds have gone (at least 3,
 * at most 30 passes).
 */
function timePasses(pass: () => Sums, budget: number): { times: number[]; sums: Sums } {
  pass();
  let sums = pass();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 30 && (times.length < 3 || performance.now() - start < budget * 1000)) {
    const t0 = process.hrtime.bigint();
    sums = pass();
    times.push(Number(process.hrtime.bigint() - t0));
  }
  return { times, sums };
}

function result(name: string, t: { times: number[]; sums: Sums }, note?: string): Result {
  return {
    name, bestNs: Math.min(...t.times), medianNs: median(t.times), passes: t.times.length, sums: t.sums,
    ...(note ? { note } : {}),
  };
}

function nlwirePass(dgs: readonly Uint8Array[]): Sums {
  const s = zeroSums();
  for (const dg of dgs) {
    for (const m of decodeDatagram(dg, rtnetlink).messages) addRoute(s, m);
  }
  return s;
}

function nlwireJSONPass(dgs: readonly Uint8Array[]): Sums {
  const s = zeroSums();
  for (const dg of dgs) {
    const d = decodeDatagram(dg, rtnetlink);
    datagramToJSON(d, rtnetlink);
    for (const m of d.messages) addRoute(s, m);
  }
  return s;
}

/** A namer as the client's: a map of the namespace's interfaces (lo, veth0, veth1). */
const devNames = new Map<number, string>([[1, 'lo'], [2, 'veth1'], [3, 'veth0']]);
const devName: DevNamer = (i) => devNames.get(i);

/** The sums of a friendly Route (`dst` is counted when RTA_DST was sent: not 'default'). */
function addRouteView(s: Sums, r: Route): void {
  addRouteFields(s, {
    dst: r.dst === 'default' ? undefined : r.dst, gateway: r.gateway, prefsrc: r.prefsrc, oif: r.oif,
    table: r.table, priority: r.metric,
  }, r.table);
}

/** The client's path before decodeRoutes: the generic decode, then routeView per route. */
function nlwireViewPass(dgs: readonly Uint8Array[]): Sums {
  const s = zeroSums();
  for (const dg of dgs) {
    for (const m of decodeDatagram(dg, rtnetlink).messages) {
      if (m.type !== RTM_NEWROUTE) continue;
      const r = routeView(m, devName);
      if (r) addRouteView(s, r);
    }
  }
  return s;
}

/** decodeRoutes: bytes straight to Route objects. */
function nlwireRoutesPass(dgs: readonly Uint8Array[]): Sums {
  const s = zeroSums();
  const out: Route[] = [];
  for (const dg of dgs) {
    out.length = 0;
    decodeRoutes(dg, 0, dg.length, undefined, devName, out);
    for (const r of out) addRouteView(s, r);
  }
  return s;
}

const gc = ((): (() => void) => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

interface Memory {
  rssBefore: number;
  rssPeak: number;
  heapBefore: number;
  heapPeak: number;
  /** Heap growth when every decoded datagram is kept instead (the contrast). */
  heapRetainAll: number;
  chunk: number;
}

/**
 * Decodes the recording chunk by chunk straight from the file through one reused buffer,
 * dropping each datagram after reading it, and samples memory every 8 datagrams; then
 * decodes it all into one array to show what keeping everything costs.
 */
function memoryPass(file: string, dgs: readonly Uint8Array[]): Memory {
  let chunk = 65536;
  let buf = new Uint8Array(chunk);
  gc();
  const m0 = process.memoryUsage();
  let rssPeak = m0.rss;
  let heapPeak = m0.heapUsed;
  const fd = openSync(file, 'r');
  const head = new Uint8Array(4);
  const headView = new DataView(head.buffer);
  const s = zeroSums();
  try {
    let pos = 0;
    for (let i = 0; ; i++) {
      if (readSync(fd, head, 0, 4, pos) < 4) break;
      const len = headView.getUint32(0, true);
      if (len > buf.length) {
        chunk = len;
        buf = new Uint8Array(len);
      }
      if (readSync(fd, buf, 0, len, pos + 4) < len) fail(`${file}: truncated record at byte ${pos}`);
      pos += 4 + len;
      for (const m of decodeDatagram(buf.subarray(0, len), rtnetlink).messages) addRoute(s, m);
      if (i % 8 === 0) {
        const m = process.memoryUsage();
        if (m.rss > rssPeak) rssPeak = m.rss;
        if (m.heapUsed > heapPeak) heapPeak = m.heapUsed;
      }
    }
  } finally {
    closeSync(fd);
  }
  gc();
  const h0 = process.memoryUsage().heapUsed;
  const kept = dgs.map((dg) => decodeDatagram(dg, rtnetlink));
  gc();
  const heapRetainAll = process.memoryUsage().heapUsed - h0;
  if (kept.length !== dgs.length) fail('retain-all pass lost datagrams');
  return {
    rssBefore: m0.rss, rssPeak, heapBefore: m0.heapUsed, heapPeak, heapRetainAll, chunk,
  };
}

// ---------------------------------------------------------------------------------------
// The other implementations

/** The C walk: `hand` (the reference, the practical limit) or `mnl` (libmnl's callbacks). */
function runC(file: string, meta: Meta, mode: 'hand' | 'mnl'): Result {
  const walk = compile('walk', ['-lmnl']);
  const repeats = 31;
  const out = execFileSync(walk, [file, String(repeats), mode], { encoding: 'utf8' });
  const j = JSON.parse(out) as Sums & { bestNs: number; medianNs: number; repeats: number; routes: number };
  if (j.routes !== meta.dumpedRoutes) console.warn(`C walk counted ${j.routes} routes, the recorder ${meta.dumpedRoutes}`);
  const sums = zeroSums();
  for (const k of SUM_KEYS) sums[k] = j[k];
  const name = mode === 'hand' ? 'C hand walk (walk.c, cc -O2)' : 'C libmnl walk (mnl_attr_parse, cc -O2)';
  return { name, bestNs: j.bestNs, medianNs: j.medianNs, passes: j.repeats, sums };
}

interface NetlinkPkg {
  parseMessages(b: Buffer): { type: number; data: Buffer }[];
  rt: { parseRouteMessage(b: Buffer): { data: { table: number }; attrs: Record<string, unknown> } };
}

/**
 * The `netlink` npm package, if importable: from node_modules, or from the directory in
 * NLWIRE_BENCH_NETLINK (a package installed elsewhere, e.g. `npm install --prefix DIR netlink`).
 */
async function loadNetlinkPkg(): Promise<{ pkg: NetlinkPkg; version: string } | string> {
  const dir = process.env.NLWIRE_BENCH_NETLINK;
  const spec = dir ? pathToFileURL(join(resolve(dir), 'dist', 'index.js')).href : 'netlink';
  try {
    const mod = (await import(spec)) as { default?: NetlinkPkg } & NetlinkPkg;
    const pkg = mod.default ?? mod;
    let version = '?';
    try {
      const pj = dir ? join(resolve(dir), 'package.json') : join(ROOT, 'node_modules', 'netlink', 'package.json');
      version = (JSON.parse(readFileSync(pj, 'utf8')) as { version: string }).version;
    } catch {
      // Version unknown; the figures still stand.
    }
    if (typeof pkg.parseMessages !== 'function' || typeof pkg.rt?.parseRouteMessage !== 'function') {
      return `netlink ${version} has no parseMessages / rt.parseRouteMessage`;
    }
    return { pkg, version };
  } catch (err) {
    return `the netlink npm package is not installed (${(err as Error).message.split('\n')[0]})`;
  }
}

function netlinkPkgPass(pkg: NetlinkPkg, bufs: readonly Buffer[]): Sums {
  const s = zeroSums();
  for (const b of bufs) {
    for (const m of pkg.parseMessages(b)) {
      if (m.type !== RTM_NEWROUTE) continue;
      const r = pkg.rt.parseRouteMessage(m.data);
      addRouteFields(s, r.attrs as RouteFields, r.data.table);
    }
  }
  return s;
}

function runPyroute2(file: string, budget: number): Result | string {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return `${py} not found: apt-get install -y python3 python3-pyroute2`;
  let out: string;
  try {
    out = execFileSync(py, [join(SRC, 'pyroute2_parse.py'), file, String(budget), '3'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 150_000 });
  } catch (err) {
    return `pyroute2 run failed: ${(err as Error).message.split('\n')[0]}`;
  }
  const j = JSON.parse(out) as Sums & { error?: string; version: string; python: string; seconds: number[] };
  if (j.error) return `${j.error}: apt-get install -y python3-pyroute2`;
  const sums = zeroSums();
  for (const k of SUM_KEYS) sums[k] = j[k];
  const times = j.seconds.map((s) => s * 1e9);
  return {
    name: `pyroute2 ${j.version} (Python ${j.python})`, bestNs: Math.min(...times), medianNs: median(times),
    passes: times.length, sums,
  };
}

// ---------------------------------------------------------------------------------------
// Profile

/** CPU-profiles nlwire's decode for about `seconds` and prints the top self-time functions. */
async function profileDecode(dgs: readonly Uint8Array[], seconds: number): Promise<void> {
  const { profile } = await sampleCpu(() => {
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) nlwirePass(dgs);
  });
  const out = join(DATA, 'nlwire-decode.cpuprofile');
  writeFileSync(out, JSON.stringify(profile));
  console.log(`\nCPU profile of nlwire's decode (${relative(ROOT, out)}), self time:`);
  console.log(formatRows(selfByFunction(profile as CpuProfile, 15)));
}

// ---------------------------------------------------------------------------------------
// Report

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function rate(r: Result, routes: number): number {
  return routes / (r.bestNs / 1e9);
}

function table(results: readonly Result[], routes: number, bytes: number, c: Result, mnl: Result, nl: Result): string {
  const rows = [
    '| implementation | routes/s | MB/s | ns/route | time vs C hand walk | time vs C libmnl walk | time vs nlwire |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const x = (a: Result, b: Result): string => `${(a.bestNs / b.bestNs).toFixed(2)}x`;
  for (const r of results) {
    const secs = r.bestNs / 1e9;
    rows.push(`| ${r.name}${r.note ? ` (${r.note})` : ''} | ${fmtInt(rate(r, routes))} | ${(bytes / 1e6 / secs).toFixed(1)} `
      + `| ${(r.bestNs / routes).toFixed(1)} | ${x(r, c)} | ${x(r, mnl)} | ${x(r, nl)} |`);
  }
  return rows.join('\n');
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const started = performance.now();
  console.log(`nlwire decode benchmark: node ${process.version}, ${cpus()[0]?.model ?? 'cpu?'} x${cpus().length}, `
    + `kernel ${release()}`);
  const { file, meta } = await recording(opts);
  const dgs = readDatagrams(file);
  const bytes = dgs.reduce((n, d) => n + d.length, 0);
  const routes = meta.dumpedRoutes;

  const results: Result[] = [];
  const c = runC(file, meta, 'hand');
  const mnl = runC(file, meta, 'mnl');
  results.push(c, mnl);

  const nl = result('nlwire decodeDatagram', timePasses(() => nlwirePass(dgs), opts.budget));
  results.push(nl);
  results.push(result('nlwire decodeDatagram + routeView (friendly Route objects)',
    timePasses(() => nlwireViewPass(dgs), opts.budget / 2)));
  results.push(result('nlwire `decodeRoutes` (friendly Route objects)', timePasses(() => nlwireRoutesPass(dgs), opts.budget)));
  results.push(result('nlwire decodeDatagram + datagramToJSON', timePasses(() => nlwireJSONPass(dgs), opts.budget / 2)));

  const notes: string[] = [];
  const np = await loadNetlinkPkg();
  if (typeof np === 'string') notes.push(`netlink npm package skipped: ${np}`);
  else {
    const bufs = dgs.map((d) => Buffer.from(d.buffer, d.byteOffset, d.byteLength));
    results.push(result(`netlink ${np.version} (npm)`, timePasses(() => netlinkPkgPass(np.pkg, bufs), opts.budget / 2),
      'addresses left as Buffers'));
  }

  if (opts.python) {
    const py = runPyroute2(file, 10 * opts.budget);
    if (typeof py === 'string') notes.push(`pyroute2 skipped: ${py}`);
    else results.push(py);
  } else notes.push('pyroute2 skipped: --no-python');

  const mem = memoryPass(file, dgs);

  for (const r of results) {
    if (!sameSums(r.sums, c.sums)) {
      r.note = `${r.note ? r.note + '; ' : ''}SUMS DIFFER from the C walk`;
      console.warn(`${r.name}: sums ${JSON.stringify(r.sums)} differ from the C walk's ${JSON.stringify(c.sums)}`);
    }
  }

  console.log(`\n${fmtInt(routes)} routes, ${meta.datagrams} datagrams, ${mb(bytes)} MB `
    + `(${(bytes / routes).toFixed(1)} bytes/route); best pass of each; sums agree: `
    + `${results.every((r) => sameSums(r.sums, c.sums)) ? 'yes' : 'NO'}`);
  for (const r of results) {
    console.log(`  ${r.name.padEnd(48)} ${fmtInt(rate(r, routes)).padStart(12)} routes/s  `
      + `${(r.bestNs / routes).toFixed(1).padStart(8)} ns/route  (median ${(r.medianNs / routes).toFixed(1)}, ${r.passes} passes)`);
  }
  const verdict = (ref: Result, what: string): string => {
    const ratio = nl.bestNs / ref.bestNs;
    return `nlwire vs the ${what}: ${ratio.toFixed(2)}x the time (target: within 4x) -> ${ratio <= 4 ? 'MET' : 'NOT MET'}`;
  };
  console.log(`\n${verdict(c, 'C hand walk (reference)')}\n${verdict(mnl, 'C libmnl walk')}`);
  const mib = (n: number): string => (n / 1048576).toFixed(1);
  console.log(`memory, decoding chunk by chunk from the file (${fmtInt(mem.chunk)}-byte buffer, each datagram dropped `
    + `after reading): RSS ${mib(mem.rssBefore)} -> peak ${mib(mem.rssPeak)} MiB, heap used ${mib(mem.heapBefore)} `
    + `-> peak ${mib(mem.heapPeak)} MiB; keeping all ${fmtInt(routes)} decoded routes instead grows the heap by `
    + `${mib(mem.heapRetainAll)} MiB`);
  for (const n of notes) console.log(`note: ${n}`);

  if (opts.profile) await profileDecode(dgs, 3);

  console.log(`\n${table(results, routes, bytes, c, mnl, nl)}\n`);
  console.log(`${fmtInt(routes)} IPv4 routes (${GENERATOR}), ${mb(bytes)} MB in ${meta.datagrams} datagrams; `
    + `node ${process.version}; ${cpus()[0]?.model ?? ''}; kernel ${release()}; `
    + `bench ran ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main().then(() => process.exit(0), (err: unknown) => {
  cleanUp();
  console.error(err);
  process.exit(1);
});
