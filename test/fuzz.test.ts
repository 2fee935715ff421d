/**
 * The short, seeded cut of `npm run fuzz` (scripts/fuzz.ts): a few thousand generated and
 * mutated inputs per decoder, fast-check properties over datagrams built from the rtnetlink
 * tables, and a replay of every input that ever broke a decoder
 * (test/fixtures/regressions/<decoder>-<hash>.{hex,bin} with a .json sidecar saying what
 * broke). A regression whose bug is not fixed yet fails here, on purpose.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { join } from 'node:path';
import { loadSeeds } from '../scripts/fuzz/seeds.js';
import { targets, targetByName, checkDatagram, checkExplain, Gen, inputSize } from '../scripts/fuzz/targets.js';
import { fuzz, timeInput, timeLimit, type Found } from '../scripts/fuzz/runner.js';
import { loadRegressions } from '../scripts/fuzz/regressions.js';
import { datagramArb } from '../scripts/fuzz/arbitrary.js';
import { Rng } from '../scripts/fuzz/rng.js';
import { rtnetlink } from '../src/rtnl/protocol.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const seeds = loadSeeds(fixtures);
const regressions = loadRegressions(join(fixtures, 'regressions'));

/** Inputs per decoder: 12 s in all on a quiet machine, about twice that on a busy one. */
const INPUTS: Record<string, number> = {
  netlink: 3000, rtnetlink: 3000, routes: 3000, extack: 1600, explain: 2000, json: 1600, pcap: 3000, pcapng: 3000,
  detect: 2000, strace: 1600, hex: 2000, cli: 800,
};
/** Only an order of magnitude over the fuzzer's own limit counts here (other suites run alongside). */
const TIME_FACTOR = 10;

function report(found: Found[]): string[] {
  return found.map((f) => `${f.kind}: ${f.detail} (input ${inputSize(f.input)} bytes, seed ${f.seed})`);
}

describe('fuzz: seeded inputs per decoder', () => {
  it('seeds come from every kind of fixture', () => {
    expect(seeds.route.length).toBeGreaterThan(100);
    expect(seeds.pcaps.length).toBeGreaterThan(0);
    expect(seeds.pcapngs.length).toBeGreaterThan(0);
    expect(seeds.straces.length).toBeGreaterThan(0);
    expect(seeds.json.length).toBeGreaterThan(100);
  });

  for (const t of targets) {
    it(`${t.name}: ${INPUTS[t.name]} inputs, only DecodeError and every promise kept`, async () => {
      const { stats, found } = await fuzz(seeds, {
        seed: 0x6e6c7769, targets: [t], inputs: INPUTS[t.name] ?? 500, shrinkMs: 2000, timeFactor: TIME_FACTOR,
      });
      expect(stats.get(t.name)!.inputs).toBe(INPUTS[t.name]);
      expect(report(found)).toEqual([]);
    });
  }
});

describe('fuzz: fast-check properties', () => {
  it('datagrams from the rtnetlink tables decode, re-encode and explain, or raise DecodeError', () => {
    fc.assert(fc.property(datagramArb(rtnetlink), (b) => {
      expect(checkDatagram(b, rtnetlink)).toBeUndefined();
      expect(checkExplain(b, rtnetlink)).toBeUndefined();
    }), { seed: 7, numRuns: 400 });
  });

  it('mutated inputs, one seed per run, for every decoder', async () => {
    const gen = new Gen(seeds);
    const names = targets.map((t) => t.name).filter((n) => n !== 'cli');
    await fc.assert(fc.asyncProperty(fc.constantFrom(...names), fc.integer({ min: 0, max: 0xffffffff }),
      async (name, s) => {
        const t = targetByName.get(name)!;
        const f = await t.check(t.generate(new Rng(s), gen));
        expect(f?.detail).toBeUndefined();
      }), { seed: 11, numRuns: 300 });
  });
});

describe('fuzz: regression inputs', () => {
  it('every regression names a decoder the fuzzer knows', () => {
    for (const r of regressions) expect(targetByName.has(r.sidecar.decoder), r.name).toBe(true);
  });

  for (const r of regressions) {
    it(`${r.name}: ${r.sidecar.kind}: ${r.sidecar.detail.slice(0, 120)}`, async () => {
      const t = targetByName.get(r.sidecar.decoder)!;
      const f = await t.check(r.input);
      expect(f?.detail).toBeUndefined();
      // Inputs that were slow get the fuzzer's own limit (twice, for a loaded machine); the
      // others only have to stay clear of an order of magnitude.
      const size = inputSize(r.input);
      const limit = timeLimit(size) * (r.sidecar.kind === 'slow' ? 2 : TIME_FACTOR);
      let ms = await timeInput(t, r.input, 1);
      if (ms > limit && ms < 3 * limit) ms = Math.min(ms, await timeInput(t, r.input, 2));
      expect(ms, `${ms.toFixed(1)} ms for ${size} bytes`).toBeLessThanOrEqual(limit);
    });
  }
});
