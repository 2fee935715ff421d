/**
 * The machinery of the socket benchmark (scripts/bench-socket.ts): its private network
 * namespace, the C build, external processes timed with their peak RSS, the JavaScript
 * workers, statistics and markdown tables.
 *
 * The namespace is `nlwire-sockbench-<pid>-<random>`: lo up, a veth pair (veth0, veth1)
 * both up, 192.0.2.10/24 and 2001:db8:1::10/64 (nodad) on veth0. {@link BenchNetns.reset}
 * empties it between cases by deleting veth0, which takes every route through it with it,
 * in all tables, and making the pair again. The namespace is deleted in `finally`, on
 * SIGINT/SIGTERM and at exit; the host's networking is never touched.
 *
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { NEXT_HOP } from './routes.js';
import { compileC } from '../cc.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const SRC = join(ROOT, 'scripts', 'bench', 'socket');
export const DATA = join(ROOT, 'bench-data');

export function fail(msg: string): never {
  console.error(`bench-socket: ${msg}`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------
// Clean-up

const cleanups = new Set<() => void>();

/** Registers `fn` to run at exit, on SIGINT/SIGTERM, or when {@link cleanUp} is called. */
export function onCleanUp(fn: () => void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Runs every registered clean-up once (workers killed, namespace deleted, files removed). */
export function cleanUp(): void {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try {
      fn();
    } catch (err) {
      console.error(`bench-socket: clean-up: ${(err as Error).message}`);
    }
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    console.error(`bench-socket: ${sig}, cleaning up`);
    cleanUp();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}
process.on('exit', cleanUp);

// ---------------------------------------------------------------------------------------
// Namespace

export function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The benchmark's private namespace. */
export class BenchNetns {
  readonly name = `nlwire-sockbench-${process.pid}-${randomBytes(3).toString('hex')}`;
  #live = false;
  #unregister: (() => void) | undefined;

  create(): void {
    this.#unregister = onCleanUp(() => this.delete());
    ip(['netns', 'add', this.name]);
    this.#live = true;
    ip(['-n', this.name, 'link', 'set', 'lo', 'up']);
    this.#veth();
  }

  #veth(): void {
    const n = ['-n', this.name];
    ip([...n, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1']);
    ip([...n, 'addr', 'add', NEXT_HOP[4].addr, 'dev', 'veth0']);
    ip([...n, 'addr', 'add', NEXT_HOP[6].addr, 'dev', 'veth0', 'nodad']);
    ip([...n, 'link', 'set', 'veth0', 'up']);
    ip([...n, 'link', 'set', 'veth1', 'up']);
  }

  /** Removes every route added through veth0 (all tables, both families): a fresh start. */
  reset(): void {
    ip(['-n', this.name, 'link', 'del', 'veth0']);
    this.#veth();
  }

  delete(): void {
    if (!this.#live) return;
    this.#live = false;
    this.#unregister?.();
    try {
      ip(['netns', 'del', this.name]);
    } catch (err) {
      console.error(`bench-socket: could not delete namespace ${this.name}: ${(err as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Build

/** Compiles scripts/bench/socket/NAME.c into bench-data/socket-NAME with cc -O2, when newer. */
export function compile(name: string, libs: readonly string[]): string {
  return compileC(join(SRC, `${name}.c`), join(DATA, `socket-${name}`), libs, fail);
}

/**
 * Bundles the worker with esbuild (a dependency of tsx) into bench-data/socket-worker/, so
 * that workers run on plain node: tsx's loader thread would add some 40 MB to every RSS
 * figure. The bundle sits two directories below the package root, as src/netlink/binding.ts
 * expects of its own file, so the native shim is found as usual. Undefined when esbuild
 * cannot be loaded (the workers then run under tsx).
 */
export async function bundleWorker(root = ROOT): Promise<string | undefined> {
  const outfile = join(root, 'bench-data', 'socket-worker', 'worker.mjs');
  try {
    const spec = 'esbuild';
    const esbuild = (await import(spec)) as { build(o: object): Promise<unknown> };
    await esbuild.build({
      entryPoints: [join(root, 'scripts', 'bench', 'socket', 'worker.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20',
      outfile, external: ['netlink', 'node-gyp-build'], logLevel: 'silent', legalComments: 'none',
    });
    return outfile;
  } catch (err) {
    console.warn(`bench-socket: esbuild unavailable (${(err as Error).message.split('\n')[0]}); workers run under tsx`);
    return undefined;
  }
}

/**
 * Makes DIR, a copy of the package with a modified `src/`, runnable as a variant: this
 * benchmark's worker and route set copied into DIR/scripts/bench/socket/, and DIR/build and
 * DIR/node_modules linked to this package's when DIR has none. Returns the worker script
 * (bundled, or the copied worker.ts when esbuild is unavailable).
 */
export async function prepareVariant(dir: string): Promise<{ script: string; tsx: boolean }> {
  const root = resolve(dir);
  if (!existsSync(join(root, 'src', 'rtnl', 'client.ts'))) fail(`--variant ${dir}: no src/rtnl/client.ts there`);
  const to = join(root, 'scripts', 'bench', 'socket');
  mkdirSync(to, { recursive: true });
  for (const f of ['worker.ts', 'routes.ts']) copyFileSync(join(SRC, f), join(to, f));
  for (const l of ['build', 'node_modules']) if (!existsSync(join(root, l))) symlinkSync(join(ROOT, l), join(root, l));
  const bundle = await bundleWorker(root);
  return bundle ? { script: bundle, tsx: false } : { script: join(to, 'worker.ts'), tsx: true };
}

// ---------------------------------------------------------------------------------------
// External processes

export interface ProcResult {
  stdout: string;
  stderr: string;
  code: number;
  wallMs: number;
  /** From /usr/bin/time when available: peak RSS (bytes), user + system CPU seconds. */
  maxRss?: number;
  cpuSeconds?: number;
}

const TIME = '/usr/bin/time';

/**
 * Runs a command to completion, timing it from spawn to exit. `stdout: 'null'` sends the
 * output to /dev/null (it is still produced). Peak RSS and CPU come from /usr/bin/time.
 */
export function runProc(cmd: string, args: readonly string[], o: { stdout?: 'pipe' | 'null'; timeoutMs?: number } = {}): Promise<ProcResult> {
  const timeFile = join(DATA, `socket-time-${process.pid}-${randomBytes(3).toString('hex')}`);
  const useTime = existsSync(TIME);
  const argv = useTime ? [TIME, '-f', '%M %U %S', '-o', timeFile, cmd, ...args] : [cmd, ...args];
  const unregister = onCleanUp(() => rmSync(timeFile, { force: true }));
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', o.stdout === 'null' ? 'ignore' : 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = o.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), o.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - t0;
      if (timer) clearTimeout(timer);
      const r: ProcResult = { stdout, stderr, code: code ?? -1, wallMs };
      if (useTime && existsSync(timeFile)) {
        const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
        const [rss, user, sys] = last.split(' ').map(Number) as [number, number, number];
        if (Number.isFinite(rss)) r.maxRss = rss * 1024;
        if (Number.isFinite(user) && Number.isFinite(sys)) r.cpuSeconds = user + sys;
      }
      rmSync(timeFile, { force: true });
      unregister();
      resolvePromise(r);
    });
  });
}

/** Runs a command that prints one JSON line; fails the benchmark on a non-zero exit. */
export async function runJSON<T>(cmd: string, args: readonly string[], timeoutMs = 600_000): Promise<T & { proc: ProcResult }> {
  const r = await runProc(cmd, args, { timeoutMs });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return { ...(JSON.parse(line) as T), proc: r };
  } catch {
    throw new Error(`${cmd} ${args.join(' ')}: not JSON: ${line.slice(0, 200)}`);
  }
}

// ---------------------------------------------------------------------------------------
// Workers

/** A JavaScript worker (./worker.ts): commands in, JSON answers out. */
export class Worker {
  readonly #proc: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  #exited = false;
  readonly #unregister: () => void;
  /** RSS of the idle worker after start (bytes). */
  idleRss = 0;

  private constructor(readonly name: string, proc: ChildProcess) {
    this.#proc = proc;
    this.#unregister = onCleanUp(() => this.kill());
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let m: { id: number; ok: boolean; result?: unknown; error?: string };
      try {
        m = JSON.parse(line) as typeof m;
      } catch {
        console.error(`[${name}] ${line}`);
        return;
      }
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${name}: ${m.error}`));
    });
    proc.on('exit', (code, signal) => {
      this.#exited = true;
      this.#unregister();
      for (const p of this.#pending.values()) p.reject(new Error(`${name} worker exited (${code ?? signal})`));
      this.#pending.clear();
    });
  }

  /**
   * Starts `node [loader] worker args...`, optionally under `ip netns exec NS`; resolves once
   * the worker says it is ready.
   */
  static async start(name: string, script: string, args: readonly string[], o: { netnsExec?: string; tsx?: boolean } = {}): Promise<Worker> {
    const node = [process.execPath, ...(o.tsx ? ['--import', 'tsx'] : []), script, ...args];
    const argv = o.netnsExec ? ['ip', 'netns', 'exec', o.netnsExec, ...node] : node;
    const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], cwd: ROOT });
    const w = new Worker(name, proc);
    const ready = (await w.#call({ cmd: '(ready)' }, 60_000, 0)) as { rss: number };
    w.idleRss = ready.rss;
    return w;
  }

  #call(c: object, timeoutMs: number, id = this.#next++): Promise<unknown> {
    if (this.#exited) return Promise.reject(new Error(`${this.name} worker has exited`));
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${JSON.stringify(c)} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => { clearTimeout(timer); resolvePromise(v); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      if (id !== 0) this.#proc.stdin!.write(JSON.stringify({ id, ...c }) + '\n');
    });
  }

  call<T>(c: object, timeoutMs = 600_000): Promise<T> {
    return this.#call(c, timeoutMs) as Promise<T>;
  }

  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((r) => this.#proc.once('exit', () => r()));
    this.#proc.stdin!.end(JSON.stringify({ id: this.#next++, cmd: 'exit' }) + '\n');
    const t = setTimeout(() => this.kill(), 5000);
    await exited;
    clearTimeout(t);
  }

  kill(): void {
    if (!this.#exited) this.#proc.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------
// Statistics and tables

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}

export function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

export function mib(bytes: number | undefined): string {
  return bytes === undefined || !Number.isFinite(bytes) ? '-' : (bytes / 1048576).toFixed(0);
}

/** `a / b` as `1.23x`, or `-`. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '-';
  return `${(a / b).toFixed(2)}x`;
}

/** A markdown table; numeric-looking columns right-aligned. */
export function mdTable(head: readonly string[], rows: readonly (readonly string[])[], right: readonly boolean[]): string {
  const out = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (right[i] ? '---:' : '---')).join(' | ')} |`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}
