/**
 * The soak: `npm run soak` (`tsx scripts/soak.ts`).
 *
 * A million route operations (add, replace, get, del, mixed) through the rtnl client in a
 * private network namespace, checked one by one against a model kept here (Map of
 * destination to route), then the kernel's table (a dump) compared with the model
 * exactly. Memory (RSS, heap) and the descriptor count are sampled at the start, the
 * middle and the end and must stay flat; every call must settle (none lost), and every
 * result must be what the model expects: `ok`, or the expected refusal (EEXIST for an add
 * of a route that exists, ESRCH for a del of one that does not).
 *
 * ```text
 * tsx scripts/soak.ts [--ops N] [--seconds S] [--workers W] [--sockets C] [--batch B]
 *                     [--keys K] [--seed X]
 * ```
 *
 * - `--ops` operations in all (default 1,000,000); `--seconds` stops issuing new ones
 *   after that long (default: no cap), and what was issued is finished and checked.
 * - `--workers` (default 8) run concurrently, each on its own share of the destinations,
 *   so that the model is exact whatever the interleaving; `--sockets` clients (default 4)
 *   carry them. Each step of a worker is a batch of `--batch` (default 256) distinct
 *   destinations: adds, replaces and dels go through `route.addMany` (one batch, as few
 *   sendmsg calls as fit); gets are that many concurrent `route.get` calls.
 * - `--keys` destinations (default 20,000): 508 IPv4 /32s in 198.51.100.0/24 and
 *   203.0.113.0/24, the rest IPv6 /128s in 2001:db8:100::/48; next hops 192.0.2.2-9 and
 *   2001:db8:1::2-9 on a veth. Covering routes (the /24s and the /48, no gateway) make a
 *   get of an absent destination answer without a gateway, which the model expects.
 * - `--seed` makes the run reproducible (default 1).
 * - `--yield`: each worker yields to the event loop (setImmediate) between steps. Without
 *   it, a worker whose batches are answered inside the send (the socket reads the ACKs
 *   before returning) loops in microtasks and starves the event loop: other sockets' poll
 *   callbacks and the timers do not run, and their requests time out with the replies
 *   queued. That is a bug of the socket layer (see test/netlink/faults.test.ts), which
 *   this option works around so that the rest can be measured.
 *
 * The namespace `nlwire-soak-<pid>` is deleted at the end, on an error, and on SIGINT or
 * SIGTERM. Needs root and iproute2. Exits 1 when anything did not match.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Rtnl } from '../src/rtnl/client.js';
import { NetlinkError } from '../src/netlink/errors.js';
import type { RouteOptions } from '../src/rtnl/request.js';

interface Options {
  yield: boolean;
  ops: number;
  seconds: number;
  workers: number;
  sockets: number;
  batch: number;
  keys: number;
  seed: number;
}

function fail(msg: string): never {
  console.error(`soak: ${msg}`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { yield: false, ops: 1_000_000, seconds: Infinity, workers: 8, sockets: 4, batch: 256, keys: 20_000, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--yield') {
      o.yield = true;
      continue;
    }
    const key = a.replace(/^--/, '') as Exclude<keyof Options, 'yield'>;
    if (!a.startsWith('--') || !(key in o)) fail(`unknown option ${a} (--ops --seconds --workers --sockets --batch --keys --seed --yield)`);
    const v = Number(argv[++i]?.replace(/_/g, ''));
    if (!Number.isFinite(v) || v <= 0) fail(`${a} needs a positive number`);
    o[key] = key === 'seconds' ? v : Math.floor(v);
  }
  if (o.keys < 600) fail('--keys must be at least 600');
  return o;
}

const opts = parseArgs(process.argv.slice(2));

/** mulberry32: a small seeded generator, so that a run can be repeated. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the namespace ----------------------------------------------------------------------

const NS = `nlwire-soak-${process.pid}`;
let nsMade = false;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function removeNetns(): void {
  if (!nsMade) return;
  nsMade = false;
  try {
    ip('netns', 'del', NS);
  } catch {
    // Gone already.
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    console.error(`\nsoak: ${sig}, removing ${NS}`);
    removeNetns();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}
process.on('exit', removeNetns);

function makeNetns(): void {
  ip('netns', 'add', NS);
  nsMade = true;
  for (const cmd of [
    'link set lo up',
    'link add v1 type veth peer name p1', 'link set v1 up', 'link set p1 up',
    'addr add 192.0.2.1/24 dev v1', '-6 addr add 2001:db8:1::1/64 dev v1 nodad',
    'route add 198.51.100.0/24 dev v1', 'route add 203.0.113.0/24 dev v1',
    '-6 route add 2001:db8:100::/48 dev v1',
  ]) ip('-n', NS, ...cmd.split(' '));
}

// ---- the model --------------------------------------------------------------------------

/** A destination: its address (the model's key, as a dump writes a host route) and prefix. */
interface Key {
  addr: string;
  family: 4 | 6;
}

function makeKeys(n: number): Key[] {
  const keys: Key[] = [];
  for (const net of ['198.51.100', '203.0.113']) for (let i = 1; i <= 254; i++) keys.push({ addr: `${net}.${i}`, family: 4 });
  for (let i = 1; keys.length < n; i++) {
    const h = i < 0x10000 ? i.toString(16) : `${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
    keys.push({ addr: `2001:db8:100::${h}`, family: 6 });
  }
  return keys;
}

const gateways = {
  4: Array.from({ length: 8 }, (_, i) => `192.0.2.${i + 2}`),
  6: Array.from({ length: 8 }, (_, i) => `2001:db8:1::${(i + 2).toString(16)}`),
};

const dstOf = (k: Key): string => `${k.addr}/${k.family === 4 ? 32 : 128}`;

type OpName = 'add' | 'replace' | 'get' | 'del';
const OPS: readonly OpName[] = ['add', 'replace', 'get', 'del'];
/** The mix: gets 40 %, adds 25 %, dels 20 %, replaces 15 %. */
const MIX: ReadonlyArray<[OpName, number]> = [['get', 0.4], ['add', 0.25], ['del', 0.2], ['replace', 0.15]];

interface Count {
  batches: number;
  issued: number;
  ok: number;
  expected: number;
  unexpected: number;
  ms: number;
}

const counts: Record<OpName, Count> = Object.fromEntries(OPS.map((o) => [o, { batches: 0, issued: 0, ok: 0, expected: 0, unexpected: 0, ms: 0 }])) as Record<OpName, Count>;
const mismatches: string[] = [];
let pending = 0;

function mismatch(what: string): void {
  if (mismatches.length < 20) mismatches.push(what);
}

// ---- samples ----------------------------------------------------------------------------

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Sample {
  at: string;
  ops: number;
  rss: number;
  heap: number;
  fds: number;
}

function sample(at: string, ops: number): Sample {
  gc();
  const m = process.memoryUsage();
  return { at, ops, rss: m.rss, heap: m.heapUsed, fds: readdirSync('/proc/self/fd').length };
}

const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

// ---- the run ----------------------------------------------------------------------------

async function main(): Promise<number> {
  makeNetns();
  const keys = makeKeys(opts.keys);
  const model = new Map<string, string>();
  const samples: Sample[] = [sample('start', 0)];
  const clients = await Promise.all(Array.from({ length: opts.sockets }, () => Rtnl.open({ netns: NS })));
  const t0 = performance.now();
  const deadline = t0 + opts.seconds * 1000;
  let done = 0;
  let middle = false;
  let lastReport = t0;

  const settle = async <T>(p: Promise<T>): Promise<{ ok: true; v: T } | { ok: false; e: unknown }> => {
    pending++;
    try {
      return { ok: true, v: await p };
    } catch (e) {
      return { ok: false, e };
    } finally {
      pending--;
    }
  };

  const outcome = (op: OpName, k: Key, r: { ok: true } | { ok: false; e: unknown }, want: 'ok' | string): void => {
    const c = counts[op];
    const code = r.ok ? 'ok' : r.e instanceof NetlinkError ? r.e.code : String(r.e);
    if (code === want) {
      if (r.ok) c.ok++;
      else c.expected++;
    } else {
      c.unexpected++;
      mismatch(`${op} ${dstOf(k)}: got ${code}, the model expected ${want}`);
    }
  };

  async function step(w: number, random: () => number, share: Key[]): Promise<void> {
    const roll = random();
    let acc = 0;
    const op = MIX.find(([, p]) => (acc += p) > roll)?.[0] ?? 'get';
    const n = Math.min(opts.batch, opts.ops - done, share.length);
    // n distinct destinations of this worker's share (a partial Fisher-Yates shuffle).
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(random() * (share.length - i));
      [share[i], share[j]] = [share[j]!, share[i]!];
    }
    const batch = share.slice(0, n);
    done += n;
    const c = counts[op];
    c.batches++;
    c.issued += n;
    const nl = clients[w % clients.length]!;
    const t = performance.now();
    if (op === 'get') {
      const rs = await Promise.all(batch.map((k) => settle(nl.route.get({ dst: k.addr }))));
      rs.forEach((r, i) => {
        const k = batch[i]!;
        if (!r.ok) {
          outcome(op, k, r, 'ok');
          return;
        }
        const want = model.get(k.addr);
        if (r.v.dst === k.addr && r.v.gateway === want) c.ok++;
        else {
          c.unexpected++;
          mismatch(`get ${k.addr}: dst ${r.v.dst} gateway ${String(r.v.gateway)}, the model has ${String(want)}`);
        }
      });
    } else {
      const routes: RouteOptions[] = batch.map((k) => {
        if (op === 'del') return { dst: dstOf(k) };
        const g = gateways[k.family];
        return { dst: dstOf(k), gateway: g[Math.floor(random() * g.length)]! };
      });
      const r = await settle(nl.route.addMany(routes, { op }));
      if (!r.ok) {
        for (const k of batch) outcome(op, k, r, 'ok');
      } else {
        r.v.forEach((res, i) => {
          const k = batch[i]!;
          const had = model.has(k.addr);
          const want = op === 'add' ? (had ? 'EEXIST' : 'ok') : op === 'del' ? (had ? 'ok' : 'ESRCH') : 'ok';
          outcome(op, k, res.ok ? { ok: true } : { ok: false, e: res.error }, want);
          // The kernel's word decides the model: a mismatch is counted, not compounded.
          if (res.ok) {
            if (op === 'del') model.delete(k.addr);
            else model.set(k.addr, routes[i]!.gateway!);
          }
        });
      }
    }
    c.ms += performance.now() - t;
  }

  async function worker(w: number): Promise<void> {
    const random = rng(opts.seed * 1000 + w);
    const share = keys.filter((_, i) => i % opts.workers === w);
    while (done < opts.ops && performance.now() < deadline) {
      await step(w, random, share);
      if (opts.yield) await new Promise((r) => setImmediate(r));
      if (!middle && done >= opts.ops / 2) {
        middle = true;
        samples.push(sample('middle', done));
      }
      const now = performance.now();
      if (now - lastReport >= 10_000) {
        lastReport = now;
        const m = process.memoryUsage();
        console.log(`  ${((now - t0) / 1000).toFixed(0).padStart(4)} s  ${done.toLocaleString('en')} ops  ` +
          `${Math.round(done / ((now - t0) / 1000)).toLocaleString('en')} ops/s  rss ${mb(m.rss)}  heap ${mb(m.heapUsed)}`);
      }
    }
  }

  console.log(`soak: ${opts.ops.toLocaleString('en')} ops, ${opts.workers} workers on ${opts.sockets} sockets, ` +
    `batches of ${opts.batch}, ${keys.length.toLocaleString('en')} destinations, namespace ${NS}` +
    (opts.yield ? ', workers yield between steps' : '') +
    (opts.seconds !== Infinity ? `, at most ${opts.seconds} s` : ''));
  await Promise.all(Array.from({ length: opts.workers }, (_, w) => worker(w)));
  const seconds = (performance.now() - t0) / 1000;
  if (!middle) samples.push(sample('middle', done));

  // The kernel's table against the model: every destination of ours, with its next hop.
  const keySet = new Set(keys.map((k) => k.addr));
  const table = new Map<string, string | undefined>();
  let duplicates = 0;
  for (const family of [4, 6] as const) {
    for await (const r of clients[0]!.route.list({ family })) {
      if (!keySet.has(r.dst)) continue;
      if (table.has(r.dst)) duplicates++;
      table.set(r.dst, r.gateway);
    }
  }
  let tableMismatches = duplicates;
  for (const [addr, g] of model) {
    if (table.get(addr) !== g) {
      tableMismatches++;
      mismatch(`table: ${addr} is ${table.has(addr) ? `via ${String(table.get(addr))}` : 'absent'}, the model says via ${g}`);
    }
  }
  for (const addr of table.keys()) {
    if (!model.has(addr)) {
      tableMismatches++;
      mismatch(`table: ${addr} is there, the model says absent`);
    }
  }
  const stats = clients.map((c) => c.socket.stats);
  for (const c of clients) c.close();
  samples.push(sample('end', done));

  // ---- the report ----
  const total = OPS.reduce((s, o) => s + counts[o].issued, 0);
  const settled = OPS.reduce((s, o) => s + counts[o].ok + counts[o].expected + counts[o].unexpected, 0);
  const unexpected = OPS.reduce((s, o) => s + counts[o].unexpected, 0);
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  console.log('');
  console.log(row(['op', 'issued', 'ok', 'expected error', 'unexpected', 'batches', 'ms per batch']));
  console.log(row(['---', '---:', '---:', '---:', '---:', '---:', '---:']));
  for (const o of OPS) {
    const c = counts[o];
    console.log(row([o, c.issued.toLocaleString('en'), c.ok.toLocaleString('en'), c.expected.toLocaleString('en'),
      c.unexpected.toLocaleString('en'), c.batches.toLocaleString('en'), (c.ms / (c.batches || 1)).toFixed(1)]));
  }
  console.log(row(['**all**', total.toLocaleString('en'), OPS.reduce((s, o) => s + counts[o].ok, 0).toLocaleString('en'),
    OPS.reduce((s, o) => s + counts[o].expected, 0).toLocaleString('en'), unexpected.toLocaleString('en'),
    OPS.reduce((s, o) => s + counts[o].batches, 0).toLocaleString('en'), `**${Math.round(total / seconds).toLocaleString('en')} ops/s**`]));
  console.log('');
  console.log(row(['sample', 'ops', 'RSS', 'heap used', 'fds']));
  console.log(row(['---', '---:', '---:', '---:', '---:']));
  for (const s of samples) console.log(row([s.at, s.ops.toLocaleString('en'), mb(s.rss), mb(s.heap), String(s.fds)]));
  console.log('');
  const sum = (k: keyof (typeof stats)[0]): number => stats.reduce((s, x) => s + x[k], 0);
  console.log(`${seconds.toFixed(1)} s; model ${model.size.toLocaleString('en')} routes, kernel table ` +
    `${table.size.toLocaleString('en')} (${duplicates} listed twice); socket stats: sent ${sum('sent').toLocaleString('en')}, ` +
    `received ${sum('received').toLocaleString('en')}, overruns ${sum('overruns')}, unmatched ${sum('unmatched')}, ` +
    `spoofed ${sum('spoofed')}, truncated ${sum('truncated')}, malformed ${sum('malformed')}`);

  const [start, mid, end] = [samples[0]!, samples[1]!, samples[samples.length - 1]!];
  const problems: string[] = [];
  if (pending !== 0 || settled !== total) problems.push(`${total - settled} calls never settled (${pending} pending)`);
  if (unexpected) problems.push(`${unexpected} results the model did not expect`);
  if (tableMismatches) problems.push(`${tableMismatches} differences between the kernel's table and the model`);
  // Flat: after warm-up (the middle) the end may not grow by more than a quarter or 32 MiB.
  const grew = (a: number, b: number): boolean => b > a * 1.25 && b - a > 32 * 1048576;
  if (grew(mid.rss, end.rss)) problems.push(`RSS grew from ${mb(mid.rss)} (middle) to ${mb(end.rss)} (end)`);
  if (grew(mid.heap, end.heap)) problems.push(`heap grew from ${mb(mid.heap)} (middle) to ${mb(end.heap)} (end)`);
  // The clients' sockets are closed by the end: back to the start's count.
  if (end.fds !== start.fds) problems.push(`descriptors: ${start.fds} at the start, ${end.fds} at the end`);
  if (sum('overruns') || sum('unmatched') || sum('malformed') || sum('truncated')) problems.push('the sockets saw overruns, unmatched, malformed or truncated replies');
  for (const m of mismatches) console.log(`  mismatch: ${m}`);
  if (problems.length) {
    for (const p of problems) console.log(`FAIL: ${p}`);
    return 1;
  }
  console.log(`OK: ${total.toLocaleString('en')} operations, every one settled and as the model expected; ` +
    `the kernel's table equals the model; memory and descriptors flat (RSS ${mb(start.rss)} start, ${mb(mid.rss)} middle, ${mb(end.rss)} end)`);
  return 0;
}

main().then((code) => {
  removeNetns();
  process.exit(code);
}, (err: unknown) => {
  console.error(err);
  removeNetns();
  process.exit(1);
});
