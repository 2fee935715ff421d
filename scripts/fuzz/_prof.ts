import { loadSeeds } from './seeds.js';
import { targetByName } from './targets.js';
import { fuzz } from './runner.js';
const seeds = loadSeeds('test/fixtures');
const name = process.argv[2] ?? 'rtnetlink';
const t0 = performance.now();
const r = await fuzz(seeds, { seed: 7, targets: [targetByName.get(name)!], inputs: Number(process.argv[3] ?? 20000), shrinkMs: 100 });
const s = r.stats.get(name)!;
console.log(name, s.inputs, 'inputs/s', (s.inputs / ((performance.now() - t0) / 1000)).toFixed(0), 'avg timed us', (s.ms * 1000 / s.inputs).toFixed(1), 'found', r.found.length);
