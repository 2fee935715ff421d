/**
 * The link and address table tests' two sources of kernel bytes: the recorded fixtures in
 * test/fixtures/tables, and, where namespaces, strace and iproute2 are at hand, the same
 * recordings captured again from the running kernel.
 */
import { describe, beforeAll, afterAll } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { type Capture, readHexLines, recordings, record, setupLab } from '../fixtures/tables/lab.js';
import { createNetns, hasNetnsCapability, type Netns } from './netns.js';

const dir = new URL('../fixtures/tables/', import.meta.url);

/** A recorded run from test/fixtures/tables: `<name>.hex`, and `<name>.ip.json` when there is one. */
export function fixture(name: string): Capture {
  const json = new URL(`${name}.ip.json`, dir);
  return {
    exchanges: readHexLines(readFileSync(new URL(`${name}.hex`, dir), 'utf8')),
    stdout: existsSync(json) ? readFileSync(json, 'utf8') : '',
  };
}

/** Why the recordings cannot be captured again here, or `null` when they can. */
export function liveUnavailable(): string | null {
  if (!hasNetnsCapability()) return 'no network namespaces here';
  if (spawnSync('strace', ['-V']).status !== 0) return 'no strace';
  if (spawnSync('ip', ['-V']).status !== 0) return 'no iproute2';
  return null;
}

/**
 * `describe(title)`, skipped where {@link liveUnavailable}: every recording captured again in
 * a fresh lab (namespaces `<prefix>` and its peer `<prefix>p`), then handed to `suite`.
 */
export function describeLive(title: string, prefix: string, suite: (get: (name: string) => Capture) => void): void {
  describe.skipIf(liveUnavailable() !== null)(title, () => {
    const captured = new Map<string, Capture>();
    const made: Netns[] = [];
    beforeAll(async () => {
      made.push(await createNetns(prefix), await createNetns(`${prefix}p`));
      setupLab(made[0]!.name, made[1]!.name);
      for (const r of recordings) captured.set(r.name, record(made[0]!.name, r));
    });
    afterAll(() => {
      for (const n of made) n.destroy();
    });
    suite((name) => captured.get(name)!);
  });
}
