/**
 * The fuzz loop shared by `npm run fuzz` (in worker threads) and test/fuzz.test.ts: pick a
 * target, generate, run the oracle under a clock, confirm slow inputs by re-timing them,
 * probe memory now and then, and shrink every new failure before reporting it.
 */
import { getHeapStatistics } from 'node:v8';
import { Rng } from './rng.js';
import { type Target, type Input, type Failure, type FailureKind, Gen, inputSize, oracle } from './targets.js';
import type { Seeds } from './seeds.js';

/** Time allowed for one input: 5 ms per KiB plus 2 ms. */
export function timeLimit(size: number): number {
  return 5 * (size / 1024) + 2;
}

/** Memory an input may keep alive through its result: 512 bytes per byte plus 4 MiB. */
export function memoryLimit(size: number): number {
  return 512 * size + 4 * 1024 * 1024;
}

/** What one decoder's inputs cost, in time and memory. */
export interface TargetStats {
  inputs: number;
  failures: number;
  ms: number;
  bytes: number;
  /** Largest ms per KiB among inputs of 1 KiB or more, confirmed by re-timing. */
  worstPerKiB: number;
  worstPerKiBSize: number;
  /** Largest time for any input, confirmed by re-timing. */
  worstMs: number;
  worstMsSize: number;
  maxSize: number;
  /** Memory probes: heap kept alive by the decoder's result, and heap used during the call. */
  probes: number;
  maxRetained: number;
  maxRetainedSize: number;
  /** Largest retained bytes per input byte, among inputs of 4 KiB or more. */
  maxRetainedRatio: number;
  maxPeak: number;
}

/** Statistics before the first input. */
export function emptyStats(): TargetStats {
  return {
    inputs: 0, failures: 0, ms: 0, bytes: 0, worstPerKiB: 0, worstPerKiBSize: 0, worstMs: 0, worstMsSize: 0,
    maxSize: 0, probes: 0, maxRetained: 0, maxRetainedSize: 0, maxRetainedRatio: 0, maxPeak: 0,
  };
}

/** Adds `b` into `a`. */
export function mergeStats(a: TargetStats, b: TargetStats): void {
  a.inputs += b.inputs;
  a.failures += b.failures;
  a.ms += b.ms;
  a.bytes += b.bytes;
  a.probes += b.probes;
  a.maxSize = Math.max(a.maxSize, b.maxSize);
  a.maxPeak = Math.max(a.maxPeak, b.maxPeak);
  a.maxRetainedRatio = Math.max(a.maxRetainedRatio, b.maxRetainedRatio);
  if (b.worstPerKiB > a.worstPerKiB) { a.worstPerKiB = b.worstPerKiB; a.worstPerKiBSize = b.worstPerKiBSize; }
  if (b.worstMs > a.worstMs) { a.worstMs = b.worstMs; a.worstMsSize = b.worstMsSize; }
  if (b.maxRetained > a.maxRetained) { a.maxRetained = b.maxRetained; a.maxRetainedSize = b.maxRetainedSize; }
}

/** A failure found by the fuzzer, with the (shrunk) input that shows it. */
export interface Found {
  target: string;
  kind: FailureKind;
  detail: string;
  signature: string;
  input: Input;
  /** Size before shrinking. */
  originalSize: number;
  seed: number;
}

/** The failure's identity: kind and detail with numbers and quoted text blanked. */
export function signature(target: string, f: Failure): string {
  let d = f.detail;
  // A stack overflow's top frames depend on where in the cycle it hit: keep the set of them.
  const overflow = /Maximum call stack size exceeded \[at (.*)\]/.exec(d);
  if (overflow) {
    const fns = [...new Set(overflow[1]!.split(' < ').map((x) => x.split(' ')[0]))].sort();
    d = `${d.slice(0, overflow.index)}Maximum call stack size exceeded in ${fns.join(', ')}`;
  }
  d = d.replace(/"(?:[^"\\]|\\.)*"/g, '"…"').replace(/0x[0-9a-f]+|\d+/gi, '#')
    .replace(/(\.request\([A-Z_#]*\)?)+/g, '.request(…)').replace(/(\.[^.\s:]+?)\1+/g, '$1…').slice(0, 240);
  return `${target}:${f.kind}:${d}`;
}

async function checkOnce(t: Target, input: Input, keep?: unknown[]): Promise<Failure | undefined> {
  try {
    const r = t.check(input, keep);
    return r instanceof Promise ? await r : r;
  } catch (e) {
    // The oracles catch what the decoders throw; this is a stack overflow inside an oracle.
    return { kind: 'exception', detail: `oracle threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
  }
}

/**
 * Times the decoder calls alone on `input` (not the oracle's own work: re-encoding, prefix
 * decodes); the least of `runs` runs, to see past GC pauses and JIT tiering.
 */
export async function timeInput(t: Target, input: Input, runs: number): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = t.decode(input);
    if (r instanceof Promise) await r;
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/**
 * Shrinks `input` while `t` still fails with signature `sig`: whole lines, then ever smaller
 * chunks of bytes or characters, within `budgetMs`.
 */
export async function shrink(t: Target, input: Input, sig: string, budgetMs = 8000): Promise<Input> {
  const every = oracle.jsonEvery;
  oracle.jsonEvery = 1;
  try {
    return await shrinkInput(t, input, sig, budgetMs);
  } finally {
    oracle.jsonEvery = every;
  }
}

async function shrinkInput(t: Target, input: Input, sig: string, budgetMs: number): Promise<Input> {
  const deadline = performance.now() + budgetMs;
  const still = async (c: Input): Promise<boolean> => {
    const f = await checkOnce(t, c);
    return f !== undefined && signature(t.name, f) === sig;
  };
  if (input.bytes) {
    let cur = input.bytes;
    // Netlink first: the message at some 4-aligned offset alone (an echoed request, a later
    // message), found by bisection, which peels an echo bomb down to the depth that fails.
    const inner = (b: Uint8Array): number[] => {
      const out: number[] = [];
      for (let k = 0; k + 16 <= b.length; k += 4) {
        const len = (b[k]! | (b[k + 1]! << 8) | (b[k + 2]! << 16) | (b[k + 3]! << 24)) >>> 0;
        if (len >= 16 && len <= b.length - k && (k > 0 || len < b.length)) out.push(k);
      }
      return out;
    };
    const alone = (b: Uint8Array, k: number): Uint8Array => {
      const len = (b[k]! | (b[k + 1]! << 8) | (b[k + 2]! << 16) | (b[k + 3]! << 24)) >>> 0;
      return b.slice(k, k + len);
    };
    for (let round = 0; round < 8 && performance.now() < deadline; round++) {
      const ks = inner(cur);
      let lo = 0;
      let hi = ks.length - 1;
      let best: Uint8Array | undefined;
      while (lo <= hi && performance.now() < deadline) {
        const mid = (lo + hi) >> 1;
        const cand = alone(cur, ks[mid]!);
        if (await still({ ...input, bytes: cand })) {
          best = cand;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (!best || best.length >= cur.length) break;
      cur = best;
    }
    for (let chunk = cur.length >> 1; chunk >= 1 && performance.now() < deadline; chunk >>= 1) {
      for (let at = 0; at < cur.length && performance.now() < deadline;) {
        const cand = new Uint8Array(cur.length - Math.min(chunk, cur.length - at));
        cand.set(cur.subarray(0, at), 0);
        cand.set(cur.subarray(at + chunk), at);
        if (await still({ ...input, bytes: cand })) cur = cand;
        else at += chunk;
      }
    }
    return { ...input, bytes: cur };
  }
  if (input.text !== undefined) {
    let cur = input.text;
    let lines = cur.split('\n');
    for (let chunk = lines.length >> 1; chunk >= 1 && performance.now() < deadline; chunk >>= 1) {
      for (let at = 0; at < lines.length && performance.now() < deadline;) {
        const cand = [...lines.slice(0, at), ...lines.slice(at + chunk)];
        if (await still({ ...input, text: cand.join('\n') })) lines = cand;
        else at += chunk;
      }
    }
    cur = lines.join('\n');
    for (let chunk = cur.length >> 1; chunk >= 1 && performance.now() < deadline; chunk >>= 1) {
      for (let at = 0; at < cur.length && performance.now() < deadline;) {
        const cand = cur.slice(0, at) + cur.slice(at + chunk);
        if (await still({ ...input, text: cand })) cur = cand;
        else at += chunk;
      }
    }
    return { ...input, text: cur };
  }
  return input;
}

/** Options of {@link fuzz}. */
export interface RunOptions {
  seed: number;
  targets: readonly Target[];
  /** Stop after this many inputs... */
  inputs: number;
  /** ...or after this long. */
  maxMs?: number;
  /** A memory probe every this many inputs (0: none); needs `gc`. */
  probeEvery?: number;
  gc?: () => void;
  /** Shrinking budget per new failure, ms. */
  shrinkMs?: number;
  /**
   * Multiplies the time limit: the test suite runs beside other suites on a loaded machine
   * and only looks for inputs that are slow by an order of magnitude.
   */
  timeFactor?: number;
  /** Called with each new failure signature (later repeats are counted only). */
  onFailure?: (f: Found) => void;
  /** Called about every `progressMs` with the stats so far. */
  onProgress?: (stats: Map<string, TargetStats>, done: number) => void;
  progressMs?: number;
  /**
   * Written before each input: target index, input seed, input number. A supervisor that
   * sees a worker hang or die reads it to regenerate the input.
   */
  current?: Int32Array;
}

/** Heap of this isolate (a worker's own, in a worker). */
export function heapUsed(): number {
  return getHeapStatistics().used_heap_size;
}

/** Runs the fuzz loop; returns per-target statistics and the failures found. */
export async function fuzz(seeds: Seeds, opts: RunOptions): Promise<{ stats: Map<string, TargetStats>; found: Found[]; heapPeak: number }> {
  const rng = new Rng(opts.seed);
  const gen = new Gen(seeds);
  const stats = new Map<string, TargetStats>(opts.targets.map((t) => [t.name, emptyStats()]));
  const found: Found[] = [];
  const seen = new Set<string>();
  const weights = opts.targets.map((t) => t.weight);
  const sum = weights.reduce((a, b) => a + b, 0);
  const start = performance.now();
  let lastProgress = start;
  const progressMs = opts.progressMs ?? 1000;
  let heapPeak = heapUsed();
  let genErrors = 0;
  for (let n = 0; n < opts.inputs; n++) {
    if (opts.maxMs !== undefined && (n & 63) === 0 && performance.now() - start > opts.maxMs) break;
    let r = rng.int(sum);
    let t = opts.targets[0]!;
    for (let i = 0; i < opts.targets.length; i++) {
      if (r < weights[i]!) { t = opts.targets[i]!; break; }
      r -= weights[i]!;
    }
    const inputSeed = rng.u32();
    if (opts.current) {
      opts.current[0] = opts.targets.indexOf(t);
      opts.current[1] = inputSeed | 0;
      opts.current[2] = n;
    }
    let input: Input;
    try {
      input = t.generate(new Rng(inputSeed), gen);
    } catch (e) {
      // A generator bug must not stop the run; it is counted and the seed kept for a look.
      genErrors++;
      if (genErrors <= 3) console.error(`generator ${t.name} failed on seed ${inputSeed}: ${e instanceof Error ? e.stack : e}`);
      continue;
    }
    const size = inputSize(input);
    const s = stats.get(t.name)!;
    const probe = opts.gc && opts.probeEvery && (n % opts.probeEvery === 0 || (size > 256 * 1024 && rng.chance(0.05)));
    let failure: Failure | undefined;
    let ms: number;
    if (probe) {
      const gc = opts.gc!;
      gc();
      const h0 = process.memoryUsage().heapUsed;
      let keep: unknown[] | undefined = [];
      const t0 = performance.now();
      failure = await checkOnce(t, input, keep);
      ms = performance.now() - t0;
      const h1 = process.memoryUsage().heapUsed;
      gc();
      const retained = Math.max(0, process.memoryUsage().heapUsed - h0);
      keep.length = 0;
      keep = undefined;
      s.probes++;
      s.maxPeak = Math.max(s.maxPeak, h1 - h0);
      if (retained > s.maxRetained) { s.maxRetained = retained; s.maxRetainedSize = size; }
      if (size >= 4096) s.maxRetainedRatio = Math.max(s.maxRetainedRatio, retained / size);
      if (!failure && retained > memoryLimit(size)) {
        failure = { kind: 'memory', detail: `the result of a ${size}-byte input keeps ${retained} bytes of heap alive` };
      }
    } else {
      const t0 = performance.now();
      failure = await checkOnce(t, input);
      ms = performance.now() - t0;
    }
    // `ms` timed the whole oracle; where it could be a new worst or near the limit, time the
    // decoder calls alone.
    const limit = timeLimit(size) * (opts.timeFactor ?? 1);
    // Re-timing costs as much as the input: twice for fast ones, once for slow ones, and
    // more only near the limit, where a GC pause could tip the verdict.
    const perKiB = size >= 1024 ? ms / (size / 1024) : 0;
    if (ms > limit / 2 || ms > s.worstMs || perKiB > s.worstPerKiB) ms = await timeInput(t, input, ms < 100 ? 2 : 1);
    if (!failure && ms > limit) {
      // A loaded machine and a big heap's major GC can stall any input: confirm after a
      // collection, with more runs for cheap inputs.
      opts.gc?.();
      ms = Math.min(ms, await timeInput(t, input, ms < 50 ? 5 : ms < 1000 ? 2 : 1));
    }
    if (!failure && ms > limit) failure = { kind: 'slow', detail: `${ms.toFixed(1)} ms for ${size} bytes (limit ${limit.toFixed(1)} ms)` };
    s.inputs++;
    s.ms += ms;
    s.bytes += size;
    s.maxSize = Math.max(s.maxSize, size);
    if (ms > s.worstMs) { s.worstMs = ms; s.worstMsSize = size; }
    if (size >= 1024 && ms / (size / 1024) > s.worstPerKiB) { s.worstPerKiB = ms / (size / 1024); s.worstPerKiBSize = size; }
    if (failure) {
      s.failures++;
      const sig = signature(t.name, failure);
      if (!seen.has(sig)) {
        seen.add(sig);
        const small = failure.kind === 'slow' || failure.kind === 'memory' ? input : await shrink(t, input, sig, opts.shrinkMs ?? 8000);
        const f: Found = { target: t.name, kind: failure.kind, detail: failure.detail, signature: sig, input: small, originalSize: size, seed: inputSeed };
        if (small !== input) {
          const again = await checkOnce(t, small);
          if (again) f.detail = again.detail;
        }
        found.push(f);
        opts.onFailure?.(f);
      }
    }
    if ((n & 63) === 0 || size > 65536) heapPeak = Math.max(heapPeak, heapUsed());
    const now = performance.now();
    if (opts.onProgress && now - lastProgress >= progressMs) {
      lastProgress = now;
      opts.onProgress(stats, n + 1);
    }
  }
  return { stats, found, heapPeak };
}
