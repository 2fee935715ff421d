/**
 * One fuzz worker: loads the seeds, runs {@link fuzz} on its share of the inputs and posts
 * progress, failures and its heap figures to scripts/fuzz.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadSeeds } from './seeds.js';
import { targetByName, oracle } from './targets.js';
import { fuzz, heapUsed, type TargetStats } from './runner.js';

/** What scripts/fuzz.ts gives a worker. */
export interface WorkerData {
  seed: number;
  targets: string[];
  inputs: number;
  root: string;
  probeEvery: number;
  shrinkMs: number;
  current: SharedArrayBuffer;
}

/** What a worker tells scripts/fuzz.ts. */
export type WorkerMessage =
  | { type: 'ready'; heapBase: number }
  | { type: 'progress'; stats: Record<string, TargetStats>; done: number; heap: number }
  | { type: 'failure'; found: import('./runner.js').Found }
  | { type: 'done'; stats: Record<string, TargetStats>; done: number; heapBase: number; heapPeak: number; heapFinal: number };

const data = workerData as WorkerData;
// Workers get a 1 MiB stack (scripts/fuzz.ts), like the main thread, so deep inputs overflow
// where they would in a program. The JSON round trip is the oracle's dearest part: every third successful decode gets it.
oracle.jsonEvery = 3;
const port = parentPort!;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const seeds = loadSeeds(data.root);
const targets = data.targets.map((n) => targetByName.get(n)!);
gc();
const heapBase = heapUsed();
port.postMessage({ type: 'ready', heapBase } satisfies WorkerMessage);
let done = 0;
const result = await fuzz(seeds, {
  seed: data.seed, targets, inputs: data.inputs, probeEvery: data.probeEvery, gc, shrinkMs: data.shrinkMs,
  current: new Int32Array(data.current),
  onFailure: (found) => port.postMessage({ type: 'failure', found } satisfies WorkerMessage),
  onProgress: (stats, n) => {
    done = n;
    port.postMessage({ type: 'progress', stats: Object.fromEntries(stats), done: n, heap: heapUsed() } satisfies WorkerMessage);
  },
});
let total = 0;
for (const s of result.stats.values()) total += s.inputs;
done = Math.max(done, total);
gc();
port.postMessage({
  type: 'done', stats: Object.fromEntries(result.stats), done, heapBase, heapPeak: result.heapPeak, heapFinal: heapUsed(),
} satisfies WorkerMessage);
