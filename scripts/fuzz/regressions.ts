/**
 * Regression fixtures: every input that ever broke a decoder, kept in
 * test/fixtures/regressions/<decoder>-<hash>.hex (a datagram as one hex line, for the
 * netlink decoders) or .bin (the raw input), beside a .json sidecar that says what broke.
 * test/fuzz.test.ts replays them all.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Input, FailureKind } from './targets.js';
import type { Found } from './runner.js';

/** The sidecar of a regression input. */
export interface Sidecar {
  decoder: string;
  kind: FailureKind;
  /** What broke, as the oracle reported it when the input was found. */
  detail: string;
  signature: string;
  found: string;
  /** The input's generator seed (with the run's --seed it regenerates the unshrunk input). */
  seed?: number;
  originalSize?: number;
  argv?: string[];
  format?: Input['format'];
  /** How the file holds the input: bytes, UTF-8 text, or a JSON string (text that is not valid UTF-16). */
  encoding: 'bytes' | 'utf8' | 'json';
  /** Free text: the expected behaviour, the bug report. */
  note?: string;
}

const HEX_TARGETS = new Set(['netlink', 'rtnetlink', 'extack', 'explain']);

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** The file name stem of a found input: decoder and a short hash of the input. */
export function regressionName(f: Found): string {
  const h = createHash('sha256');
  h.update(f.target);
  h.update(JSON.stringify([f.input.argv ?? null, f.input.format ?? null]));
  if (f.input.bytes) h.update(f.input.bytes);
  if (f.input.text !== undefined) h.update(f.input.text, 'utf16le');
  return `${f.target}-${h.digest('hex').slice(0, 10)}`;
}

/** Writes a found input and its sidecar (unless present); returns the input file's path. */
export function saveRegression(dir: string, f: Found, note?: string): string {
  mkdirSync(dir, { recursive: true });
  const stem = regressionName(f);
  const sidecar: Sidecar = {
    decoder: f.target, kind: f.kind, detail: f.detail, signature: f.signature, found: new Date().toISOString(),
    seed: f.seed, originalSize: f.originalSize, encoding: 'bytes',
  };
  if (f.input.argv) sidecar.argv = f.input.argv;
  if (f.input.format) sidecar.format = f.input.format;
  if (note) sidecar.note = note;
  let path: string;
  let data: string | Uint8Array;
  if (f.input.bytes && HEX_TARGETS.has(f.target) && f.input.bytes.length > 0) {
    path = join(dir, `${stem}.hex`);
    data = `# ${f.target}: ${f.detail.replace(/\s+/g, ' ')}\n${hex(f.input.bytes)}\n`;
  } else if (f.input.bytes) {
    path = join(dir, `${stem}.bin`);
    data = f.input.bytes;
  } else {
    const text = f.input.text ?? '';
    path = join(dir, `${stem}.bin`);
    if (!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) {
      sidecar.encoding = 'utf8';
      data = text;
    } else {
      sidecar.encoding = 'json';
      data = JSON.stringify(text);
    }
  }
  if (!existsSync(path)) {
    writeFileSync(path, data);
    writeFileSync(join(dir, `${stem}.json`), JSON.stringify(sidecar, null, 2) + '\n');
  }
  return path;
}

/** A stored regression: its name, sidecar and input. */
export interface Regression {
  name: string;
  sidecar: Sidecar;
  input: Input;
}

/** Every regression under `dir`. */
export function loadRegressions(dir: string): Regression[] {
  if (!existsSync(dir)) return [];
  const out: Regression[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const stem = f.slice(0, -5);
    const sidecar = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Sidecar;
    const input: Input = {};
    if (sidecar.argv) input.argv = sidecar.argv;
    if (sidecar.format) input.format = sidecar.format;
    if (existsSync(join(dir, `${stem}.hex`))) {
      const text = readFileSync(join(dir, `${stem}.hex`), 'utf8');
      input.bytes = new Uint8Array(Buffer.from(text.split('\n').filter((l) => !l.startsWith('#')).join('').replace(/\s+/g, ''), 'hex'));
    } else {
      const raw = readFileSync(join(dir, `${stem}.bin`));
      if (sidecar.encoding === 'bytes') input.bytes = new Uint8Array(raw);
      else if (sidecar.encoding === 'utf8') input.text = raw.toString('utf8');
      else input.text = JSON.parse(raw.toString('utf8')) as string;
    }
    out.push({ name: stem, sidecar, input });
  }
  return out;
}
