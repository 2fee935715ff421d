/**
 * Fills the `expected` key of every recorded fixture (test/fixtures/<family>/<name>.NN.json)
 * with nlwire's JSON decode of its .hex twin. Run after `scripts/capture-fixtures.ts`, then
 * review the diff: the test suite holds the codec to these expectations, and cross-checks
 * them against the `ip -j` output recorded beside them and against tshark.
 *
 *   npx tsx scripts/update-fixture-expectations.ts
 */
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseHexLines } from '../src/capture/hexlines.js';
import { decodeDatagram } from '../src/netlink/message.js';
import { datagramToJSON } from '../src/netlink/json.js';
import { rtnetlink } from '../src/rtnl/protocol.js';

export const FIXTURE_FAMILIES = ['route', 'link', 'addr', 'rule', 'neigh', 'error', 'monitor'];

const root = join(import.meta.dirname, '..', 'test', 'fixtures');
let n = 0;
for (const family of FIXTURE_FAMILIES) {
  const dir = join(root, family);
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.hex')).sort()) {
    const jsonPath = join(dir, f.replace(/\.hex$/, '.json'));
    const meta = JSON.parse(readFileSync(jsonPath, 'utf8')) as Record<string, unknown>;
    const [d] = parseHexLines(readFileSync(join(dir, f), 'utf8'));
    const dg = decodeDatagram(d!.bytes, rtnetlink, { path: `${family}/${f}` });
    meta.expected = datagramToJSON(d!.direction ? { ...dg, direction: d!.direction } : dg, rtnetlink);
    writeFileSync(jsonPath, JSON.stringify(meta, null, 2) + '\n');
    n++;
  }
}
console.log(`updated ${n} fixtures`);
