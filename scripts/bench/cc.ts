/**
 * Builds the C programs of both benchmarks (scripts/bench.ts, scripts/bench-socket.ts).
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

/** Headers every program may include: a change to one rebuilds them all. */
const HEADERS = [join(HERE, 'route_sums.h')];

/**
 * Compiles `src` into `out` with `cc -O2 -Wall` when `out` is missing or older than `src`
 * or a shared header; a failure goes to `fail` with cc's messages (and how to get libmnl
 * when that is what is missing). Returns `out`.
 */
export function compileC(src: string, out: string, libs: readonly string[], fail: (msg: string) => never): string {
  const built = existsSync(out) ? statSync(out).mtimeMs : -Infinity;
  if ([src, ...HEADERS].some((f) => statSync(f).mtimeMs > built)) {
    mkdirSync(dirname(out), { recursive: true });
    try {
      execFileSync('cc', ['-O2', '-Wall', '-o', out, src, ...libs], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string };
      const text = e.stderr?.toString() ?? e.message;
      const hint = text.includes('libmnl') ? '\n  install libmnl: apt-get install -y libmnl-dev' : '';
      fail(`cc ${relative(ROOT, src)} failed:\n${text}${hint}`);
    }
  }
  return out;
}
