/**
 * `npm run fuzz`: every decoder under fast-check generation and byte-level, netlink-aware
 * mutation, seeded from every fixture (test/fixtures/**: *.hex, *.pcap, *.pcapng, *.strace).
 *
 * ```sh
 * npm run fuzz -- [--inputs N] [--seed S] [--decoder NAME[,NAME...]] [--workers K]
 *                 [--probe-every N] [--progress-seconds T] [--no-save]
 * ```
 *
 * Decoders: netlink (decodeDatagram without a protocol), rtnetlink, extack, explain, json
 * (datagramFromJSON), pcap, pcapng, detect (readCapture/detectFormat), strace, hex, cli
 * (`run()` of src/cli/main.ts on bad files). Pass means: only DecodeError is thrown; no
 * input takes longer than 5 ms per KiB + 2 ms (slow ones are re-timed before they count);
 * the heap a result keeps alive stays under 512 bytes per input byte + 4 MiB (probed with
 * gc() every --probe-every inputs) and the workers' heaps do not grow; a DecodeError's
 * `partial.messages` equal a decode of the prefix before the faulty message; a decode
 * re-encodes to its input; explain rows tile the input; the CLI exits 0/1/2 with one line
 * on stderr and no stack trace.
 *
 * Runs in up to two worker threads; progress every few seconds; every new failure is shrunk,
 * printed, and saved to test/fixtures/regressions/<decoder>-<hash>.{hex,bin} with a .json
 * sidecar (test/fuzz.test.ts replays them). Exits 1 when anything failed.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { Rng } from './fuzz/rng.js';
import { loadSeeds } from './fuzz/seeds.js';
import { targets, targetByName, Gen, inputSize, type Input } from './fuzz/targets.js';
import { emptyStats, mergeStats, shrink, signature, type Found, type TargetStats } from './fuzz/runner.js';
import { saveRegression, loadRegressions } from './fuzz/regressions.js';
import type { WorkerData, WorkerMessage } from './fuzz/worker.js';

const root = join(import.meta.dirname, '..');
const fixtures = join(root, 'test/fixtures');
const regressionsDir = join(fixtures, 'regressions');

interface Args {
  inputs: number;
  seed: number;
  decoders: string[];
  workers: number;
  probeEvery: number;
  progressSeconds: number;
  save: boolean;
  stallSeconds: number;
  reshrink: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    inputs: 1_000_000, seed: 1, decoders: targets.map((t) => t.name), workers: 2, probeEvery: 5000,
    progressSeconds: 10, save: true, stallSeconds: 120, reshrink: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    const int = (): number => {
      const x = Number(v().replace(/_/g, ''));
      if (!Number.isInteger(x) || x < 0) throw new Error(`${k} needs a non-negative integer`);
      return x;
    };
    if (k === '--inputs') a.inputs = int();
    else if (k === '--seed') a.seed = int();
    else if (k === '--decoder') a.decoders = v().split(',');
    else if (k === '--workers') a.workers = Math.max(1, Math.min(2, int()));
    else if (k === '--probe-every') a.probeEvery = int();
    else if (k === '--progress-seconds') a.progressSeconds = int();
    else if (k === '--stall-seconds') a.stallSeconds = int();
    else if (k === '--no-save') a.save = false;
    else if (k === '--reshrink') a.reshrink = true;
    else if (k === '--help' || k === '-h') {
      console.log(`usage: tsx scripts/fuzz.ts [--inputs N] [--seed S] [--decoder ${targets.map((t) => t.name).join('|')}[,...]] [--workers 1|2] [--probe-every N] [--progress-seconds T] [--no-save]\n       tsx scripts/fuzz.ts --reshrink   (shrink the saved regression inputs further, a minute each)`);
      process.exit(0);
    } else throw new Error(`unknown option ${k}`);
  }
  for (const d of a.decoders) if (!targetByName.has(d)) throw new Error(`unknown decoder ${d} (${targets.map((t) => t.name).join(', ')})`);
  return a;
}

const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
const kib = (n: number): string => (n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

function hexPreview(i: Input): string {
  if (i.bytes) {
    const h = Buffer.from(i.bytes).toString('hex');
    return h.length > 400 ? `${h.slice(0, 400)}... (${i.bytes.length} bytes)` : h;
  }
  const t = JSON.stringify(i.text ?? '');
  return t.length > 400 ? `${t.slice(0, 400)}... (${i.text!.length} chars)` : t;
}

interface Slot {
  index: number;
  seed: number;
  quota: number;
  /** Inputs finished by earlier workers of this slot (restarted after a hang or crash). */
  carried: number;
  worker?: Worker;
  current: Int32Array;
  stats: Record<string, TargetStats>;
  carriedStats: Record<string, TargetStats>;
  done: number;
  heap: number;
  heapBase: number;
  heapPeak: number;
  heapFinal: number;
  lastProgress: number;
  finished: boolean;
  restarts: number;
}

/**
 * Shrinks every saved regression input that still fails (a minute each, slow and memory
 * failures excepted), replacing it when the result is smaller.
 */
async function reshrink(): Promise<number> {
  for (const r of loadRegressions(regressionsDir)) {
    const t = targetByName.get(r.sidecar.decoder);
    if (!t || r.sidecar.kind === 'slow' || r.sidecar.kind === 'memory') continue;
    const f = await t.check(r.input);
    if (!f) {
      console.log(`${r.name}: passes now`);
      continue;
    }
    const sig = signature(t.name, f);
    const small = await shrink(t, r.input, sig, 60_000);
    const before = inputSize(r.input);
    const after = inputSize(small);
    if (after >= before) {
      console.log(`${r.name}: ${before} bytes, no smaller input found`);
      continue;
    }
    const again = await t.check(small);
    const found: Found = {
      target: t.name, kind: f.kind, detail: again?.detail ?? f.detail, signature: sig, input: small,
      originalSize: r.sidecar.originalSize ?? before, seed: r.sidecar.seed ?? 0,
    };
    const path = saveRegression(regressionsDir, found, `shrunk from ${r.name} (${before} bytes)`);
    for (const ext of ['.hex', '.bin', '.json']) rmSync(join(regressionsDir, r.name + ext), { force: true });
    console.log(`${r.name}: ${before} -> ${after} bytes, now ${path}`);
  }
  return 0;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.reshrink) return reshrink();
  const names = args.decoders;
  const seeds = loadSeeds(fixtures);
  console.log(`nlwire fuzz: ${args.inputs} inputs, seed ${args.seed}, ${args.workers} worker(s), decoders ${names.join(', ')}`);
  console.log(`seeds: ${seeds.files} fixture files, ${seeds.route.length} NETLINK_ROUTE and ${seeds.other.length} other datagrams, `
    + `${seeds.pcaps.length} pcap, ${seeds.pcapngs.length} pcapng, ${seeds.straces.length} strace logs, ${seeds.json.length} JSON documents`);
  const gen = new Gen(seeds);
  const seen = new Map<string, { count: number; found: Found; path?: string }>();
  const start = performance.now();
  let lastTotal = 0;
  let lastTime = start;

  const report = (f: Found): void => {
    const prev = seen.get(f.signature);
    if (prev) {
      prev.count++;
      return;
    }
    const entry: { count: number; found: Found; path?: string } = { count: 1, found: f };
    seen.set(f.signature, entry);
    console.log(`\nFAIL ${f.target} (${f.kind}): ${f.detail}`);
    if (f.input.argv) console.log(`  argv: ${JSON.stringify(f.input.argv)}`);
    if (f.input.format) console.log(`  format: ${f.input.format}`);
    console.log(`  input (${inputSize(f.input)} of originally ${f.originalSize}): ${hexPreview(f.input)}`);
    if (args.save) {
      entry.path = saveRegression(regressionsDir, f);
      console.log(`  saved ${entry.path}`);
    }
  };

  /** Regenerates the input a dead or hung worker was on, from the seed it left behind. */
  const lost = (slot: Slot, kind: 'slow' | 'memory', why: string): void => {
    const t = targetByName.get(names[slot.current[0]!]!)!;
    const inputSeed = slot.current[1]! >>> 0;
    const input = t.generate(new Rng(inputSeed), gen);
    const f: Found = {
      target: t.name, kind, detail: why, signature: `${t.name}:${kind}:${why.replace(/\d+/g, '#')}`, input,
      originalSize: inputSize(input), seed: inputSeed,
    };
    report(f);
  };

  const slots: Slot[] = [];
  const share = Math.ceil(args.inputs / args.workers);
  for (let i = 0; i < args.workers; i++) {
    const quota = Math.max(0, Math.min(share, args.inputs - i * share));
    slots.push({
      index: i, seed: (args.seed * 2654435761 + i * 40503) >>> 0, quota, carried: 0, current: new Int32Array(new SharedArrayBuffer(12)),
      stats: {}, carriedStats: {}, done: 0, heap: 0, heapBase: 0, heapPeak: 0, heapFinal: 0, lastProgress: performance.now(),
      finished: quota === 0, restarts: 0,
    });
  }

  const api = import.meta.resolve('tsx/esm/api');
  const workerUrl = new URL('./fuzz/worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(workerUrl)}, ${JSON.stringify(import.meta.url)}))`
    + '.catch((e) => { console.error(e); process.exit(1); })';

  const finished = new Promise<void>((resolveAll) => {
    const check = (): void => {
      if (slots.every((s) => s.finished)) resolveAll();
    };
    const spawn = (slot: Slot): void => {
      const data: WorkerData = {
        seed: slot.seed, targets: names, inputs: slot.quota - slot.carried, root: fixtures,
        probeEvery: args.probeEvery, shrinkMs: 8000, current: slot.current.buffer as SharedArrayBuffer,
      };
      const w = new Worker(boot, { eval: true, workerData: data, resourceLimits: { maxOldGenerationSizeMb: 2048, stackSizeMb: 1 } });
      slot.worker = w;
      slot.lastProgress = performance.now();
      let ended = false;
      const restart = (): void => {
        for (const [k, s] of Object.entries(slot.stats)) mergeStats(slot.carriedStats[k] ??= emptyStats(), s);
        slot.carried += slot.done + 1;
        slot.stats = {};
        slot.done = 0;
        slot.restarts++;
        slot.seed = (slot.seed + 0x9e3779b9) >>> 0;
        if (slot.carried >= slot.quota || slot.restarts > 20) {
          slot.finished = true;
          check();
        } else spawn(slot);
      };
      w.on('message', (m: WorkerMessage) => {
        slot.lastProgress = performance.now();
        if (m.type === 'ready') slot.heapBase ||= m.heapBase;
        else if (m.type === 'progress') {
          slot.stats = m.stats;
          slot.done = m.done;
          slot.heap = m.heap;
          slot.heapPeak = Math.max(slot.heapPeak, m.heap);
        } else if (m.type === 'failure') report(m.found);
        else if (m.type === 'done') {
          slot.stats = m.stats;
          slot.done = m.done;
          slot.heapPeak = Math.max(slot.heapPeak, m.heapPeak);
          slot.heapFinal = m.heapFinal;
          ended = true;
          slot.finished = true;
          void w.terminate();
          check();
        }
      });
      w.on('error', (e) => {
        if (ended) return;
        ended = true;
        const code = (e as NodeJS.ErrnoException).code;
        lost(slot, code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'slow',
          code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'the worker ran out of memory (2 GiB heap) on this input' : `the worker died on this input: ${String(e).slice(0, 200)}`);
        restart();
      });
      w.on('exit', (code) => {
        if (ended) return;
        ended = true;
        lost(slot, 'slow', `the worker exited with code ${code} on this input`);
        restart();
      });
      (slot as Slot & { kill?: () => void }).kill = () => {
        if (ended) return;
        ended = true;
        lost(slot, 'slow', `no progress for ${args.stallSeconds} s on this input`);
        void w.terminate();
        restart();
      };
    };
    for (const s of slots) if (!s.finished) spawn(s);
    check();
  });

  const totals = (): { total: number; per: Map<string, TargetStats> } => {
    const per = new Map<string, TargetStats>(names.map((n) => [n, emptyStats()]));
    for (const s of slots) {
      for (const src of [s.carriedStats, s.stats]) for (const [k, v] of Object.entries(src)) mergeStats(per.get(k)!, v);
    }
    let total = 0;
    for (const v of per.values()) total += v.inputs;
    return { total, per };
  };

  const timer = setInterval(() => {
    const now = performance.now();
    for (const s of slots) {
      if (!s.finished && now - s.lastProgress > args.stallSeconds * 1000) (s as Slot & { kill?: () => void }).kill?.();
    }
    const { total, per } = totals();
    const rate = (total - lastTotal) / ((now - lastTime) / 1000);
    lastTotal = total;
    lastTime = now;
    let worst = 0;
    let worstName = '';
    for (const [k, v] of per) if (v.worstPerKiB > worst) { worst = v.worstPerKiB; worstName = k; }
    const counts = [...per].map(([k, v]) => `${k} ${v.inputs}`).join(', ');
    const heaps = slots.map((s) => `${mb(s.heap)}/${mb(s.heapPeak)}`).join(' ');
    const failures = [...seen.values()].reduce((n, e) => n + e.count, 0);
    console.log(`[${((now - start) / 1000).toFixed(0)} s] ${total} inputs (${rate.toFixed(0)}/s now, ${(total / ((now - start) / 1000)).toFixed(0)}/s overall), `
      + `${seen.size} distinct failures (${failures}), worst ${worst.toFixed(3)} ms/KiB (${worstName}), heap now/peak ${heaps} | ${counts}`);
  }, args.progressSeconds * 1000);

  await finished;
  clearInterval(timer);
  const elapsed = (performance.now() - start) / 1000;
  const { total, per } = totals();
  console.log(`\n== ${total} inputs in ${elapsed.toFixed(0)} s: ${(total / elapsed).toFixed(0)} inputs/s (seed ${args.seed})`);
  console.log('decoder       inputs   fail   avg us  worst ms/KiB (size)      worst ms (size)        probes  max kept (input)        kept/byte  max peak');
  for (const [k, v] of per) {
    console.log(`${k.padEnd(10)} ${String(v.inputs).padStart(9)} ${String(v.failures).padStart(6)} ${(v.inputs ? (v.ms * 1000) / v.inputs : 0).toFixed(1).padStart(8)}  `
      + `${v.worstPerKiB.toFixed(3).padStart(8)} (${kib(v.worstPerKiBSize)})`.padEnd(27)
      + `${v.worstMs.toFixed(2).padStart(8)} (${kib(v.worstMsSize)})`.padEnd(23)
      + `${String(v.probes).padStart(6)}  ${`${mb(v.maxRetained)} (${kib(v.maxRetainedSize)})`.padEnd(24)}${v.maxRetainedRatio.toFixed(1).padStart(8)}  ${mb(v.maxPeak)}`);
  }
  for (const s of slots) {
    console.log(`worker ${s.index}: heap ${mb(s.heapBase)} after loading seeds, peak ${mb(s.heapPeak)}, ${mb(s.heapFinal)} after the run and gc()`
      + ` (growth ${mb(s.heapFinal - s.heapBase)})${s.restarts ? `, restarted ${s.restarts} times` : ''}`);
  }
  if (seen.size) {
    console.log(`\n${seen.size} distinct failures:`);
    for (const e of seen.values()) {
      console.log(`  ${e.found.target} ${e.found.kind} x${e.count}: ${e.found.detail}${e.path ? `\n    ${e.path}` : ''}`);
    }
  } else console.log('\nno failures');
  return seen.size ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});

