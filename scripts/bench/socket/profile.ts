/**
 * Summaries of a V8 CPU profile (.cpuprofile, from `node --cpu-prof` or the inspector):
 * self time per function and per file, and inclusive time of chosen functions.
 *
 * usage as a script: tsx scripts/bench/socket/profile.ts FILE.cpuprofile [TOP]
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
}

/** One row of a summary: share of all samples, in percent. */
export interface ProfileRow {
  pct: number;
  name: string;
}

function where(url: string): string {
  if (url.startsWith('file:')) return relative(ROOT, fileURLToPath(url));
  return url || '(native)';
}

/** Self time by `function file` (line numbers are tsx's transformed ones, so left out). */
export function selfByFunction(p: CpuProfile, top = 20): ProfileRow[] {
  const self = new Map<string, number>();
  let total = 0;
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    total += hits;
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${where(n.callFrame.url)}`;
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, v]) => ({ pct: (100 * v) / total, name }));
}

/** Self time by file: where the CPU goes, module by module. */
export function selfByFile(p: CpuProfile, top = 15): ProfileRow[] {
  const self = new Map<string, number>();
  let total = 0;
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    total += hits;
    const url = n.callFrame.url;
    const key = url ? where(url) : n.callFrame.functionName || '(native)';
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, v]) => ({ pct: (100 * v) / total, name }));
}

/**
 * Inclusive time of the functions whose name matches: samples in them or anything they
 * call (counted once when they recurse).
 */
export function inclusive(p: CpuProfile, names: readonly string[]): ProfileRow[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let total = 0;
  const hits = new Map<string, number>();
  for (const n of p.nodes) {
    const h = n.hitCount ?? 0;
    total += h;
    if (!h) continue;
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame.functionName;
      if (names.includes(f) && !seen.has(f)) {
        seen.add(f);
        hits.set(f, (hits.get(f) ?? 0) + h);
      }
    }
  }
  return names.map((name) => ({ pct: (100 * (hits.get(name) ?? 0)) / total, name }));
}

export function formatRows(rows: readonly ProfileRow[]): string {
  return rows.map((r) => `  ${r.pct.toFixed(1).padStart(5)}%  ${r.name}`).join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: profile.ts FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const top = Number(process.argv[3] ?? 25);
  console.log(`self time by function:\n${formatRows(selfByFunction(p, top))}\n\nself time by file:\n${formatRows(selfByFile(p, 15))}`);
}
