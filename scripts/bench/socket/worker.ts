/**
 * The JavaScript side of the socket benchmark: a long-lived process that runs one
 * implementation's measurements on request, so that each implementation has a heap, a JIT
 * and a peak RSS of its own.
 *
 * usage: node worker.js nlwire NETNS     (nlwire opens its sockets in NETNS itself)
 *        ip netns exec NETNS node worker.js netlink   (the `netlink` npm package has no netns option)
 *
 * Protocol: one JSON command per line on stdin, one JSON answer per line on stdout
 * (`{ id, ok: true, result }` or `{ id, ok: false, error }`); nothing else is written to
 * stdout. Commands:
 *
 * - `{ cmd: 'get', api, n, inflight }`: n route gets of {@link getDst} (i), one at a time
 *   (inflight 1) or `inflight` concurrent chains; latency of each (call to resolve).
 * - `{ cmd: 'add', api, family, n, start? }`: routes [start, start + n) of ./routes.ts.
 * - `{ cmd: 'dump', api, family, repeats, warmup?, memory? }`: every table of `family`, each
 *   route read into the cross-check sums, after an untimed pass unless `warmup` is false;
 *   with `memory`, one pass with the peak RSS measured.
 * - `{ cmd: 'failures', family }`: addMany over routes that exist and some that do not,
 *   checking that each failure comes back on its own route (nlwire only).
 * - `{ cmd: 'profile', file, inner }`: runs `inner` under the CPU profiler, writes `file`.
 * - `{ cmd: 'exit' }`.
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { NetlinkSocket } from '../../../src/netlink/socket.js';
import { NLM_F_CREATE, NLM_F_EXCL, AF_INET, AF_INET6 } from '../../../src/netlink/constants.js';
import type { NlMsg } from '../../../src/netlink/message.js';
import { NetlinkError } from '../../../src/netlink/errors.js';
import { Rtnl } from '../../../src/rtnl/client.js';
import type { Route, RouteGetOptions } from '../../../src/rtnl/request.js';
import { rtnetlink } from '../../../src/rtnl/protocol.js';
import {
  RTM_GETROUTE, RTM_NEWROUTE, RTM_F_LOOKUP_TABLE, type RouteAttrs,
} from '../../../src/rtnl/route.js';
import { type Sums, zeroSums, addRoute, addRouteFields } from '../sums.js';
import { sampleCpu } from '../sample.js';
import { type BenchRoute, type Family, NEXT_HOP, getDst, routeOf, tableOf, dstOf } from './routes.js';

// ---------------------------------------------------------------------------------------
// Results

export type { Sums } from '../sums.js';

export interface GetResult {
  n: number;
  inflight: number;
  p50us: number;
  p99us: number;
  seconds: number;
  perSecond: number;
  /** User + system CPU seconds of the process over the timed part (the kernel's work included). */
  cpuSeconds: number;
  prefsrc: number;
  /** Datagrams sent and received per get, from the socket's counters (nlwire only). */
  sendsPerGet?: number;
  recvsPerGet?: number;
}

export interface AddResult {
  n: number;
  seconds: number;
  perSecond: number;
  cpuSeconds: number;
  failures: number;
  firstError?: string;
  sends?: number;
  recvs?: number;
}

export interface DumpResult {
  /** Milliseconds of each timed pass, wall and CPU (user + system). */
  ms: number[];
  cpuMs: number[];
  sums: Sums;
  /** With `memory`: RSS before the dump and its peak during it (VmHWM), bytes. */
  rssBefore?: number;
  rssPeak?: number;
  heapPeak?: number;
  datagrams?: number;
}

/** User + system CPU seconds of this process so far. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

const gc = ((): (() => void) => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

function status(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Resets VmHWM to the current RSS (Linux 4.0+: "5" into clear_refs). */
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

/**
 * Gets of a warm-up pass before each timed one, for every JavaScript implementation: as many
 * as the timed pass (`n`), and at least 20,000, so that what is timed is the JIT's optimised
 * code and a grown young generation (a first pass of 50,000 ran 25-40% slower than the
 * next ones), as a C program's first call already is.
 */
function warmupGets(n: number): number {
  return Math.max(n, 20_000);
}

/**
 * Runs `fn(i)` for i in [0, n), one at a time or in `inflight` chains, timing each call.
 * Returns the latencies (µs, sorted) and the wall time.
 */
async function timedCalls(n: number, inflight: number, fn: (i: number) => Promise<void>): Promise<{ lat: Float64Array; seconds: number; cpuSeconds: number }> {
  const lat = new Float64Array(n);
  let next = 0;
  const c0 = cpuNow();
  const t0 = performance.now();
  if (inflight <= 1) {
    for (let i = 0; i < n; i++) {
      const a = performance.now();
      await fn(i);
      lat[i] = (performance.now() - a) * 1000;
    }
  } else {
    const chain = async (): Promise<void> => {
      while (next < n) {
        const i = next++;
        const a = performance.now();
        await fn(i);
        lat[i] = (performance.now() - a) * 1000;
      }
    };
    await Promise.all(Array.from({ length: inflight }, chain));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuNow() - c0;
  lat.sort();
  return { lat, seconds, cpuSeconds };
}

function getResult(n: number, inflight: number, t: { lat: Float64Array; seconds: number; cpuSeconds: number }, prefsrc: number): GetResult {
  return {
    n, inflight, p50us: percentile(t.lat, 0.5), p99us: percentile(t.lat, 0.99), seconds: t.seconds,
    perSecond: n / t.seconds, cpuSeconds: t.cpuSeconds, prefsrc,
  };
}

// ---------------------------------------------------------------------------------------
// nlwire

/** RTM_GETROUTE as the client builds it (routeGetRequest), for the socket-level runs. */
function getMsg(dst: string): Omit<NlMsg, 'seq' | 'pid'> {
  return {
    type: RTM_GETROUTE, flags: 0,
    body: { family: AF_INET, dstLen: 32, srcLen: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: RTM_F_LOOKUP_TABLE },
    attrs: { dst },
  };
}

/** RTM_NEWROUTE as the client builds it for `route add`, for the socket-level runs. */
function addMsg(family: Family, i: number, oif: number): Omit<NlMsg, 'seq' | 'pid'> {
  const r = routeOf(family, i);
  const slash = r.dst.indexOf('/');
  const attrs: Record<string, unknown> = { dst: r.dst.slice(0, slash) };
  attrs.gateway = r.gateway;
  attrs.prefsrc = r.prefsrc;
  const table = tableOf(family, i);
  if (table >= 256) attrs.table = table;
  attrs.oif = oif;
  return {
    type: RTM_NEWROUTE, flags: NLM_F_CREATE | NLM_F_EXCL,
    body: {
      family: family === 4 ? AF_INET : AF_INET6, dstLen: Number(r.dst.slice(slash + 1)), srcLen: 0, tos: 0,
      table: table < 256 ? table : 0, protocol: 3, scope: 0, type: 1, flags: 0,
    },
    attrs,
  };
}

class NlwireImpl {
  constructor(readonly netns: string) {}

  async get(api: string, n: number, inflight: number): Promise<GetResult> {
    const nl = await Rtnl.open({ netns: this.netns });
    try {
      let prefsrc = 0;
      let fn: (i: number) => Promise<void>;
      if (api === 'client-many') return await this.#getMany(nl, n, inflight);
      if (api === 'client') {
        fn = async (i) => {
          const r = await nl.route.get({ dst: getDst(i) });
          if (r.prefsrc !== undefined) prefsrc++;
        };
      } else {
        const ack = api === 'socket-ack';
        fn = async (i) => {
          const replies = await nl.socket.request(getMsg(getDst(i)), { ack });
          if ((replies[0]?.attrs as RouteAttrs | undefined)?.prefsrc !== undefined) prefsrc++;
        };
      }
      await timedCalls(warmupGets(n), inflight, fn);
      prefsrc = 0;
      const s0 = { ...nl.socket.stats };
      const t = await timedCalls(n, inflight, fn);
      const r = getResult(n, inflight, t, prefsrc);
      r.sendsPerGet = (nl.socket.stats.sent - s0.sent) / n;
      r.recvsPerGet = (nl.socket.stats.received - s0.received) / n;
      return r;
    } finally {
      nl.close();
    }
  }

  /**
   * route.getMany of `inflight` queries per call, one call after another: every get of a
   * call is in flight together; a get's latency is its call's.
   */
  async #getMany(nl: Rtnl, n: number, inflight: number): Promise<GetResult> {
    let prefsrc = 0;
    const calls = Math.ceil(n / inflight);
    const fn = async (c: number): Promise<void> => {
      const qs: RouteGetOptions[] = [];
      for (let k = 0; k < inflight; k++) qs.push({ dst: getDst(c * inflight + k) });
      for (const r of await nl.route.getMany(qs)) if (r.ok && r.route.prefsrc !== undefined) prefsrc++;
    };
    await timedCalls(Math.ceil(warmupGets(n) / inflight), 1, fn);
    prefsrc = 0;
    const s0 = { ...nl.socket.stats };
    const t = await timedCalls(calls, 1, fn);
    const r = getResult(calls * inflight, inflight, t, prefsrc);
    r.sendsPerGet = (nl.socket.stats.sent - s0.sent) / (calls * inflight);
    r.recvsPerGet = (nl.socket.stats.received - s0.received) / (calls * inflight);
    return r;
  }

  async add(api: string, family: Family, n: number, start: number): Promise<AddResult> {
    const nl = await Rtnl.open({ netns: this.netns });
    try {
      let failures = 0;
      let firstError: string | undefined;
      const failed = (e: unknown): void => {
        failures++;
        firstError ??= (e as Error).message;
      };
      const s0 = { ...nl.socket.stats };
      let t0 = 0;
      let c0 = 0;
      if (api === 'client') {
        c0 = cpuNow();
        t0 = performance.now();
        for (let i = start; i < start + n; i++) {
          try {
            await nl.route.add(routeOf(family, i));
          } catch (e) {
            failed(e);
          }
        }
      } else if (api === 'client-many') {
        const routes = Array.from({ length: n }, (_, k) => routeOf(family, start + k));
        c0 = cpuNow();
        t0 = performance.now();
        const res = await nl.route.addMany(routes);
        for (const r of res) if (!r.ok) failed(r.error);
      } else {
        const oif = (await nl.link.get(NEXT_HOP[family].dev)).index;
        if (api === 'socket') {
          c0 = cpuNow();
          t0 = performance.now();
          for (let i = start; i < start + n; i++) {
            try {
              await nl.socket.request(addMsg(family, i, oif));
            } catch (e) {
              failed(e);
            }
          }
        } else {
          const msgs = Array.from({ length: n }, (_, k) => addMsg(family, start + k, oif));
          c0 = cpuNow();
          t0 = performance.now();
          const res = await nl.socket.requestBatch(msgs);
          for (const r of res) if (!r.ok) failed(r.error);
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      const cpuSeconds = cpuNow() - c0;
      return {
        n, seconds, perSecond: n / seconds, cpuSeconds, failures, ...(firstError ? { firstError } : {}),
        sends: nl.socket.stats.sent - s0.sent, recvs: nl.socket.stats.received - s0.received,
      };
    } finally {
      nl.close();
    }
  }

  /** The client dumps go over: opened by the first, kept (as C keeps its socket) until dumpDone. */
  #dumper: Rtnl | undefined;

  async dumpDone(): Promise<void> {
    this.#dumper?.close();
    this.#dumper = undefined;
  }

  async dumpOnce(api: string, family: Family): Promise<{ sums: Sums; datagrams: number }> {
    const nl = this.#dumper ??= await Rtnl.open({ netns: this.netns });
    {
      const s = zeroSums();
      const r0 = nl.socket.stats.received;
      const add = (r: Route): void => addRouteFields(s, { dst: r.dst, gateway: r.gateway, prefsrc: r.prefsrc, oif: r.oif, priority: r.metric }, r.table);
      if (api === 'client') {
        for await (const r of nl.route.list({ family, table: 'all' })) add(r);
      } else if (api === 'client-pages') {
        for await (const page of nl.route.list({ family, table: 'all' }).pages()) for (const r of page) add(r);
      } else {
        const msg = {
          type: RTM_GETROUTE, flags: 0,
          body: { family: family === 4 ? AF_INET : AF_INET6, dstLen: 0, srcLen: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 },
          attrs: {},
        };
        for await (const m of nl.socket.dump(msg)) addRoute(s, m);
      }
      return { sums: s, datagrams: nl.socket.stats.received - r0 };
    }
  }

  /** addMany over existing routes and new ones: every failure must come back on its route. */
  async failures(family: Family): Promise<{ checked: number; failed: number; ok: boolean; example?: string }> {
    const nl = await Rtnl.open({ netns: this.netns });
    try {
      // Routes 0..9 exist (installed by the benchmark); 10 new ones in table 990 interleaved.
      const routes: BenchRoute[] = [];
      for (let i = 0; i < 10; i++) {
        routes.push(routeOf(family, i));
        routes.push({ ...routeOf(family, i), table: 990 });
      }
      const res = await nl.route.addMany(routes);
      let good = true;
      let example: string | undefined;
      res.forEach((r, k) => {
        const shouldFail = k % 2 === 0;
        if (r.ok === shouldFail) good = false;
        if (!r.ok) {
          example ??= r.error.message;
          if (!(r.error instanceof NetlinkError) || r.error.code !== 'EEXIST' || !r.error.message.includes(routes[k]!.dst)) good = false;
        }
      });
      // Leave table 990 as it was.
      await nl.route.addMany(routes.filter((_, k) => k % 2 === 1), { op: 'del' });
      return { checked: res.length, failed: res.filter((r) => !r.ok).length, ok: good, ...(example ? { example } : {}) };
    } finally {
      nl.close();
    }
  }
}

// ---------------------------------------------------------------------------------------
// The `netlink` npm package

interface PkgRoute {
  data: { family?: number; dstLen?: number; table?: number };
  attrs: { dst?: Buffer; gateway?: Buffer; prefsrc?: Buffer; oif?: number; table?: number; priority?: number };
}

interface PkgSocket {
  getRoute(data: object, attrs?: object, options?: object): Promise<PkgRoute[]>;
  getRoutes(data?: object, attrs?: object, options?: object): Promise<PkgRoute[]>;
  newRoute(data: object, attrs?: object, options?: object): Promise<PkgRoute[]>;
  getLinks(): Promise<{ data: { index: number }; attrs: { ifname?: string } }[]>;
  socket: { close(): void };
}

interface PkgModule {
  createRtNetlink(options?: object): PkgSocket;
  FlagsNew: { CREATE: number; EXCL: number };
}

function ipBytes(text: string): Buffer {
  if (!text.includes(':')) return Buffer.from(text.split('.').map(Number));
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, k) => b.writeUInt16BE(parseInt(g, 16), 2 * k));
  return b;
}

class NetlinkPkgImpl {
  constructor(readonly pkg: PkgModule) {}

  async get(_api: string, n: number, inflight: number): Promise<GetResult> {
    const sock = this.pkg.createRtNetlink();
    try {
      let prefsrc = 0;
      const fn = async (i: number): Promise<void> => {
        const r = await sock.getRoute({ family: AF_INET, dstLen: 32, flags: { lookupTable: true } }, { dst: ipBytes(getDst(i)) });
        if (r[0]?.attrs.prefsrc !== undefined) prefsrc++;
      };
      await timedCalls(warmupGets(n), inflight, fn);
      prefsrc = 0;
      return getResult(n, inflight, await timedCalls(n, inflight, fn), prefsrc);
    } finally {
      sock.socket.close();
    }
  }

  async add(_api: string, family: Family, n: number, start: number): Promise<AddResult> {
    const sock = this.pkg.createRtNetlink();
    try {
      const links = await sock.getLinks();
      const oif = links.find((l) => l.attrs.ifname === NEXT_HOP[family].dev)!.data.index;
      const gateway = ipBytes(NEXT_HOP[family].gateway);
      const prefsrc = ipBytes(NEXT_HOP[family].prefsrc);
      const flags = this.pkg.FlagsNew.CREATE | this.pkg.FlagsNew.EXCL;
      let failures = 0;
      let firstError: string | undefined;
      const c0 = cpuNow();
      const t0 = performance.now();
      for (let i = start; i < start + n; i++) {
        const dst = dstOf(family, i);
        const slash = dst.indexOf('/');
        const table = tableOf(family, i);
        try {
          await sock.newRoute(
            { family: family === 4 ? AF_INET : AF_INET6, dstLen: Number(dst.slice(slash + 1)), table: table < 256 ? table : 0,
              protocol: 'BOOT', scope: 'UNIVERSE', type: 'UNICAST' },
            { dst: ipBytes(dst.slice(0, slash)), gateway, prefsrc, oif, ...(table >= 256 ? { table } : {}) },
            { flags },
          );
        } catch (e) {
          failures++;
          firstError ??= (e as Error).message;
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      return { n, seconds, perSecond: n / seconds, cpuSeconds: cpuNow() - c0, failures, ...(firstError ? { firstError } : {}) };
    } finally {
      sock.socket.close();
    }
  }

  #dumper: ReturnType<PkgModule['createRtNetlink']> | undefined;

  async dumpDone(): Promise<void> {
    this.#dumper?.socket.close();
    this.#dumper = undefined;
  }

  async dumpOnce(_api: string, family: Family): Promise<{ sums: Sums; datagrams: number }> {
    const sock = this.#dumper ??= this.pkg.createRtNetlink();
    const s = zeroSums();
    for (const r of await sock.getRoutes({ family: family === 4 ? AF_INET : AF_INET6 })) {
      addRouteFields(s, r.attrs, r.data.table ?? 0);
    }
    return { sums: s, datagrams: 0 };
  }
}

// ---------------------------------------------------------------------------------------
// Commands

type Impl = NlwireImpl | NetlinkPkgImpl;

interface Command {
  id: number;
  cmd: string;
  api?: string;
  n?: number;
  inflight?: number;
  family?: Family;
  start?: number;
  repeats?: number;
  memory?: boolean;
  /** dump: a first, untimed pass (default true). */
  warmup?: boolean;
  file?: string;
  inner?: Command;
}

async function dump(impl: Impl, c: Command): Promise<DumpResult> {
  const family = c.family ?? 4;
  const api = c.api ?? 'client';
  if (c.memory) {
    gc();
    const rssBefore = status('VmRSS');
    resetPeak();
    let heapPeak = 0;
    const timer = setInterval(() => { heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed); }, 5);
    const c0 = cpuNow();
    const t0 = performance.now();
    const r = await impl.dumpOnce(api, family);
    const ms = performance.now() - t0;
    const cpuMs = (cpuNow() - c0) * 1000;
    clearInterval(timer);
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    await impl.dumpDone();
    return { ms: [ms], cpuMs: [cpuMs], sums: r.sums, rssBefore, rssPeak: status('VmHWM'), heapPeak, datagrams: r.datagrams };
  }
  const repeats = c.repeats ?? 5;
  const first = c.warmup === false ? 0 : 1;
  try {
    return await dumpPasses(impl, api, family, repeats, first);
  } finally {
    await impl.dumpDone();
  }
}

/** The timed dump passes (after `first` untimed ones) over one client or socket, as C's. */
async function dumpPasses(impl: Impl, api: string, family: Family, repeats: number, first: number): Promise<DumpResult> {
  const ms: number[] = [];
  const cpuMs: number[] = [];
  let last: { sums: Sums; datagrams: number } | undefined;
  // No full collection before a pass: it shrinks V8's young generation, and the passes
  // right after one paid for growing it again (15-50% of a 100,000-route dump), which an
  // application dumping now and then does not (the same artefact as the get runs had, see
  // 2dc0f71). What an earlier pass left is collected by the young generation's scavenges,
  // which copy what is live and so cost nothing for garbage.
  for (let k = 0; k < repeats + first; k++) {
    const c0 = cpuNow();
    const t0 = performance.now();
    last = await impl.dumpOnce(api, family);
    // The first pass warms the JIT up.
    if (k >= first) {
      ms.push(performance.now() - t0);
      cpuMs.push((cpuNow() - c0) * 1000);
    }
  }
  return { ms, cpuMs, sums: last!.sums, datagrams: last!.datagrams };
}

async function profile(impl: Impl, c: Command): Promise<unknown> {
  const { result, profile: p } = await sampleCpu(() => run(impl, c.inner!));
  writeFileSync(c.file!, JSON.stringify(p));
  return result;
}

async function run(impl: Impl, c: Command): Promise<unknown> {
  switch (c.cmd) {
    // (Not from a collected heap, unlike dump passes: a full collection shrinks the young
    // generation, and the first thousands of requests then pay for growing it again.)
    case 'get': return impl.get(c.api ?? 'client', c.n ?? 10000, c.inflight ?? 1);
    case 'add': return impl.add(c.api ?? 'client', c.family ?? 4, c.n ?? 1000, c.start ?? 0);
    case 'dump': return dump(impl, c);
    case 'failures':
      if (!(impl instanceof NlwireImpl)) throw new Error('failures: nlwire only');
      return impl.failures(c.family ?? 4);
    case 'profile': return profile(impl, c);
    case 'rss': gc(); return { rss: status('VmRSS') };
    default: throw new Error(`unknown command ${c.cmd}`);
  }
}

async function main(): Promise<void> {
  const [which, netns] = process.argv.slice(2);
  let impl: Impl;
  if (which === 'nlwire') {
    if (!netns) throw new Error('usage: worker nlwire NETNS');
    // Fail here, not in the first command, when the shim is missing.
    NetlinkSocket.open(rtnetlink, { netns }).close();
    impl = new NlwireImpl(netns);
  } else if (which === 'netlink') {
    const mod = (await import('netlink')) as unknown as Partial<PkgModule> & { default?: PkgModule };
    impl = new NetlinkPkgImpl(typeof mod.createRtNetlink === 'function' ? mod as PkgModule : mod.default!);
  } else throw new Error(`unknown implementation ${String(which)}`);
  const out = (o: object): void => { process.stdout.write(JSON.stringify(o) + '\n'); };
  out({ id: 0, ok: true, result: { ready: true, rss: status('VmRSS') } });
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const c = JSON.parse(line) as Command;
    if (c.cmd === 'exit') break;
    try {
      out({ id: c.id, ok: true, result: await run(impl, c) });
    } catch (err) {
      out({ id: c.id, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  }
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
