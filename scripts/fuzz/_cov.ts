import { loadSeeds } from './seeds.js';
import { targets } from './targets.js';
import { fuzz } from './runner.js';
const seeds = loadSeeds('test/fixtures');
const r = await fuzz(seeds, { seed: 99, targets, inputs: 30000, shrinkMs: 0 });
let n = 0; for (const s of r.stats.values()) n += s.inputs;
console.log('inputs', n, 'found', r.found.length);
