/**
 * Private network namespaces for integration tests.
 *
 * Everything a test does to interfaces, addresses, routes or rules happens
 * inside a namespace created here and deleted afterwards; the host's own
 * network is never touched. Tests use only the documentation ranges
 * 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32 and loopback.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

/** A named network namespace (`ip netns add`), with `lo` up. */
export interface Netns {
  /** The name given to `ip netns`: `<prefix>-<pid>[t<thread>]-<counter>`. */
  readonly name: string;
  /** The bind-mounted namespace file; `fs.openSync(path, 'r')` gives a netns fd. */
  readonly path: string;
  /** Runs `sh -c cmd` inside the namespace and returns its stdout; throws on a non-zero exit. */
  exec(cmd: string): string;
  /** Deletes the namespace (`ip netns del`). Idempotent. */
  destroy(): void;
}

let counter = 0;
const live = new Set<string>();
let exitHookInstalled = false;

function ip(args: string[], input?: string): string {
  return execFileSync('ip', args, {
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(input === undefined ? {} : { input }),
  });
}

function deleteNetns(name: string): void {
  if (!live.delete(name)) return;
  try {
    ip(['netns', 'del', name]);
  } catch {
    // Already gone (deleted by hand, or `ip netns del` raced with exit).
  }
}

/** Last-resort cleanup for namespaces a crashed test did not destroy. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const name of [...live]) deleteNetns(name);
  });
}

/** `<prefix>-<pid>[t<thread>]-<counter>`, skipping names left behind by a crashed run. */
function uniqueName(prefix: string): string {
  const thread = threadId === 0 ? '' : `t${threadId}`;
  for (;;) {
    const name = `${prefix}-${process.pid}${thread}-${counter++}`;
    if (!existsSync(`/var/run/netns/${name}`)) return name;
  }
}

const reaped = new Set<string>();

/**
 * Deletes `<prefix>-<pid>...` namespaces whose creating process is gone: a
 * test process killed or crashed before its cleanup ran. Namespaces of live
 * processes (a concurrent test run) are left alone.
 */
function reapStale(prefix: string): void {
  if (reaped.has(prefix)) return;
  reaped.add(prefix);
  let names: string[];
  try {
    names = readdirSync('/var/run/netns');
  } catch {
    return;
  }
  const own = new RegExp(`^${prefix.replace(/[^\w]/g, '\\$&')}-(\\d+)(?:t\\d+)?-\\d+$`);
  for (const name of names) {
    const pid = own.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || existsSync(`/proc/${pid}`)) continue;
    try {
      ip(['netns', 'del', name]);
    } catch {
      // Another run reaped it first.
    }
  }
}

/**
 * Creates a network namespace with a name unique across concurrent test
 * workers (process and thread id, and a counter), and brings its `lo` up.
 */
export async function createNetns(prefix = 'nlwire-test'): Promise<Netns> {
  reapStale(prefix);
  const name = uniqueName(prefix);
  installExitHook();
  ip(['netns', 'add', name]);
  live.add(name);
  try {
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    deleteNetns(name);
    throw err;
  }
  return {
    name,
    path: `/var/run/netns/${name}`,
    exec: (cmd: string): string => ip(['netns', 'exec', name, 'sh', '-c', cmd]),
    destroy: (): void => deleteNetns(name),
  };
}

let unavailable: string | null | undefined;

/**
 * Why this machine cannot run namespace tests, or `null` when it can (root,
 * and `ip netns add` works). Probed once by creating and deleting a namespace.
 */
export function netnsUnavailableReason(): string | null {
  if (unavailable !== undefined) return unavailable;
  if (process.platform !== 'linux') {
    unavailable = `not Linux (${process.platform})`;
  } else if (process.getuid?.() !== 0) {
    unavailable = `not running as root (uid ${String(process.getuid?.())})`;
  } else {
    const probe = uniqueName('nlwire-probe');
    try {
      ip(['netns', 'add', probe]);
      live.add(probe);
      installExitHook();
      deleteNetns(probe);
      unavailable = null;
    } catch (err) {
      const stderr = (err as { stderr?: unknown }).stderr;
      const detail = typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : String(err);
      unavailable = `\`ip netns add\` failed: ${detail}`;
    }
  }
  return unavailable;
}

/** True when running as root and `ip netns add` works. */
export function hasNetnsCapability(): boolean {
  return netnsUnavailableReason() === null;
}

/** What a command did: its exit status (-1 when killed) and its output. */
export interface IpResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** `ip -n NS ...args`; never throws, a failure is in `status` and `stderr`. */
export function ipIn(ns: Netns, ...args: string[]): IpResult {
  const r = spawnSync('ip', ['-n', ns.name, ...args], { encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `ip -j -n NS ...args`, parsed; throws on a non-zero exit. */
export function ipjIn(ns: Netns, ...args: string[]): Record<string, unknown>[] {
  const r = ipIn(ns, '-j', ...args);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout || '[]') as Record<string, unknown>[];
}
