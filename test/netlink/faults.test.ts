/**
 * The transport under faults, against the real kernel in private namespaces (issue 5):
 * receive overruns while 100,000 routes arrive, dumps while the tables change, forged
 * replies from other sockets, 10,000 requests in flight, requests the kernel never
 * answers, close() with everything in flight, and processes without privileges.
 *
 * Builds on test/netlink/socket-kernel.test.ts and test/rtnl/client-kernel.test.ts, which
 * prove the quiet cases (one overrun, 1,000 concurrent gets, close with 50 in flight, EPERM
 * on one route add). Only documentation prefixes are used (192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32); each describe makes its own namespace and deletes it.
 *
 * Kernel facts the tests rest on (measured on 6.18, with iproute2 seeing the same; see
 * net/ipv4/fib_trie.c, net/ipv6/ip6_fib.c, net/ipv4/devinet.c, net/ipv6/addrconf.c):
 * - Only some dumps carry NLM_F_DUMP_INTR: links and addresses do, routes never do. IPv4
 *   route dumps resume by key, which keeps a stable route exactly once; IPv6 route dumps
 *   restart their tree walk and skip as many entries as they had sent (fib6_dump_table),
 *   so under churn they repeat (and, with deletions, omit) routes without any flag. The
 *   DUMP_INTR test therefore churns IPv4 addresses.
 * - Address dumps are flagged, but not always: the kernel makes an address change visible
 *   a moment before it bumps the sequence the dump checks, so now and then an unflagged
 *   dump repeats or misses an address (IPv4: about 1 in 900 dumps with iproute2, 1 in 50
 *   with nlwire, which dumps back to back; IPv6: about 1 in 10). The DUMP_INTR test bounds
 *   that for IPv4; the route test measures it for IPv6. Nothing in the socket layer can
 *   tell: what it returns is byte for byte what the kernel sent.
 *
 * One test fails until src/netlink/socket.ts is fixed: awaiting batches in a loop starves
 * the event loop (see the comment above it).
 * - A request without NLM_F_ACK that succeeds gets no reply at all: the real "kernel that
 *   never answers".
 * - On NETLINK_ROUTE only CAP_NET_ADMIN may send to another socket (unicast or multicast);
 *   such a sender can forge everything but its own port id, which is never 0.
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, netnsUnavailableReason, type Netns } from '../helpers/netns.js';
import { NetlinkSocket, DumpInterruptedError } from '../../src/netlink/socket.js';
import { loadBinding } from '../../src/netlink/binding.js';
import { NetlinkError, TimeoutError } from '../../src/netlink/errors.js';
import type { NlMsg } from '../../src/netlink/message.js';
import { AF_INET, AF_INET6, NLM_F_CREATE, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_EXCL, NLM_F_MULTI } from '../../src/netlink/constants.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import { RTM_GETROUTE, RTM_NEWROUTE, RT_TABLE_MAIN, RTPROT_BOOT, RTN_UNREACHABLE } from '../../src/rtnl/route.js';
import { RTM_GETADDR, RTM_NEWADDR } from '../../src/rtnl/addr.js';
import { Rtnl, RTNLGRP_IPV6_ROUTE, type RtnlEvent } from '../../src/rtnl/client.js';
import type { Addr, Route } from '../../src/rtnl/request.js';
import { forgedDone, forgedDst, forgedError, forgedRoute, forgeries, sendForged } from '../../scripts/faults/forge.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsx = join(root, 'node_modules/.bin/tsx');

const skipReason = netnsUnavailableReason();
if (skipReason !== null) {
  console.warn(
    `\n${'!'.repeat(78)}\n!!! WARNING: SKIPPING the transport fault tests: ${skipReason}.\n` +
      `!!! They need root and \`ip netns add\`. Overruns, interrupted dumps, spoofing,\n` +
      `!!! 10,000 requests in flight, timeouts, close() and privileges were NOT tested.\n${'!'.repeat(78)}\n`,
  );
}

const fdCount = (): number => readdirSync('/proc/self/fd').length;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `ip -batch` in the namespace from a temporary file, without blocking the event loop. */
function ipBatch(ns: Netns, lines: string[], opts: { force?: boolean } = {}): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'nlwire-faults-'));
  const file = join(dir, 'batch');
  writeFileSync(file, lines.join('\n') + '\n');
  const t0 = performance.now();
  return new Promise<number>((res, rej) => {
    const p = spawn('ip', ['-n', ns.name, ...(opts.force ? ['-force'] : []), '-batch', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => { if (stderr.length < 4096) stderr += d.toString(); });
    p.on('error', rej);
    p.on('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      if (code === 0 || opts.force) res(performance.now() - t0);
      else rej(new Error(`ip -batch exited ${String(code)}: ${stderr}`));
    });
  });
}

/** `ip -j ...` in the namespace, parsed (with room for 100,000 routes). */
function ipj(ns: Netns, ...args: string[]): Record<string, unknown>[] {
  const out = execFileSync('ip', ['-n', ns.name, '-j', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return JSON.parse(out || '[]') as Record<string, unknown>[];
}

/** The flags of every message in a datagram, by walking the nlmsghdrs (no decoding). */
function headers(bytes: Uint8Array): Array<{ type: number; flags: number; seq: number }> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Array<{ type: number; flags: number; seq: number }> = [];
  for (let o = 0; o + 16 <= bytes.length;) {
    const len = v.getUint32(o, true);
    out.push({ type: v.getUint16(o + 4, true), flags: v.getUint16(o + 6, true), seq: v.getUint32(o + 8, true) });
    if (len < 16) break;
    o += (len + 3) & ~3;
  }
  return out;
}

/**
 * The host part of the /128 number `i` (>= 1) under a /48 or /64, written as the kernel and
 * `ip` write it (RFC 5952), so that strings compare: `1`, `ffff`, `1:0` for 65536.
 */
const host = (i: number): string => (i < 0x10000 ? i.toString(16) : `${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}`);

const v6Unreachable = (dst: string) => ({
  type: RTM_NEWROUTE,
  flags: NLM_F_CREATE | NLM_F_EXCL,
  body: { family: AF_INET6, dstLen: 128, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT, type: RTN_UNREACHABLE },
  attrs: { dst },
});

const v6Get = (dst: string) => ({ type: RTM_GETROUTE, flags: 0, body: { family: AF_INET6, dstLen: 128 }, attrs: { dst } });
const dstOf = (m: NlMsg): string | undefined => (m.attrs as { dst?: string } | undefined)?.dst;

describe.skipIf(skipReason !== null)('the transport under faults (real kernel, private namespaces)', () => {
  describe('receive overruns', () => {
    let ns: Netns;
    beforeAll(async () => {
      ns = await createNetns('nlwire-faults');
    });
    afterAll(() => ns?.destroy());

    it('a monitor overrun by 100,000 route adds reports it, resynchronises by dumps, and ends with what ip shows', async () => {
      const N = 100_000;
      const SENTINEL = '2001:db8:6::1';
      const lines = Array.from({ length: N }, (_, i) => `route add unreachable 2001:db8:5::${host(i + 1)}/128`);
      // The last line: once the consumer has it (as an event or in a dump), the flood is over.
      lines.push(`route add unreachable ${SENTINEL}/128`);

      const nl = await Rtnl.open({ netns: ns.name });
      // The monitor's own socket gets a small buffer: 16 KiB (the kernel doubles it).
      const watcher = await Rtnl.open({ netns: ns.name, rcvbuf: 16384 });
      // A bare subscriber beside it, for the socket's own count of kernel overruns (ENOBUFS).
      const raw = NetlinkSocket.open(rtnetlink, { netns: ns.name, rcvbuf: 4096 });
      const rawSub = raw.subscribe([RTNLGRP_IPV6_ROUTE]);
      const mon = watcher.monitor(['route']);
      try {
        let model = new Set<string>();
        let sentinel = false;
        const figures = { events: 0, overruns: 0, resyncs: 0, resyncMs: 0, dumped: 0, superseded: 0 };
        let pending = mon.next();
        /** The next event if one is queued (it comes within microtasks), else 'empty'. */
        const queued = (): Promise<IteratorResult<RtnlEvent> | 'empty'> =>
          Promise.race([pending, new Promise<'empty'>((r) => setImmediate(() => r('empty')))]);
        const resync = async (): Promise<void> => {
          // What is queued predates the dump, which supersedes it (overruns among it too).
          for (let r = await queued(); r !== 'empty'; r = await queued()) {
            pending = mon.next();
            if (r.done) throw new Error('the monitor ended');
            figures.superseded++;
          }
          const t0 = performance.now();
          const fresh = new Set<string>();
          for await (const r of nl.route.list({ family: 6 })) {
            fresh.add(r.dst);
            figures.dumped++;
          }
          model = fresh;
          if (fresh.has(SENTINEL)) sentinel = true;
          figures.resyncs++;
          figures.resyncMs += performance.now() - t0;
        };
        const apply = (ev: RtnlEvent): void => {
          if (ev.kind !== 'route' || ev.route.family !== 6 || ev.route.table !== RT_TABLE_MAIN) return;
          figures.events++;
          if (ev.action === 'new') model.add(ev.route.dst);
          else model.delete(ev.route.dst);
          if (ev.route.dst === SENTINEL) sentinel = true;
        };
        const consume = async (): Promise<void> => {
          for (;;) {
            // After the sentinel, whatever the socket read with it (an overrun among it) is
            // queued already; stop once nothing more comes.
            const r: IteratorResult<RtnlEvent> | 'idle' = sentinel
              ? await Promise.race([pending, sleep(500).then(() => 'idle' as const)]) : await pending;
            if (r === 'idle') return;
            pending = mon.next();
            if (r.done) throw new Error('the monitor ended');
            if (r.value.kind === 'overrun') {
              figures.overruns++;
              await resync();
            } else apply(r.value);
          }
        };

        await resync();
        const t0 = performance.now();
        const [floodMs] = await Promise.all([ipBatch(ns, lines), consume()]);
        const totalMs = performance.now() - t0;

        console.info(`overrun: ${N} routes added by ip -batch in ${floodMs.toFixed(0)} ms; consumer done after ` +
          `${totalMs.toFixed(0)} ms; ${figures.overruns} overrun events, ${figures.resyncs} dumps ` +
          `(${figures.dumped} routes, ${figures.resyncMs.toFixed(0)} ms), ${figures.events} events applied, ` +
          `${figures.superseded} superseded by a dump; ` +
          `bare subscriber: ${raw.stats.overruns} kernel overruns (ENOBUFS)`);
        const shown = new Set(ipj(ns, '-6', 'route', 'show').map((r) => String(r.dst)));
        expect(shown.size).toBeGreaterThanOrEqual(N + 1);
        const missing = [...shown].filter((d) => !model.has(d));
        const extra = [...model].filter((d) => !shown.has(d));
        expect({ missing: missing.slice(0, 5), extra: extra.slice(0, 5), size: model.size })
          .toEqual({ missing: [], extra: [], size: shown.size });

        expect(figures.overruns).toBeGreaterThanOrEqual(1);
        expect(figures.resyncs).toBeGreaterThanOrEqual(2);
        expect(figures.resyncs).toBeLessThanOrEqual(figures.overruns + 1);
        expect(raw.stats.overruns).toBeGreaterThanOrEqual(1);
        let rawOverrun = false;
        for (let i = 0; i < 200_000 && !rawOverrun; i++) {
          const r = await rawSub.next();
          if (r.done) break;
          rawOverrun = r.value.type === 'overrun';
        }
        expect(rawOverrun).toBe(true);
        expect(totalMs).toBeLessThan(60_000);
      } finally {
        await mon.return?.();
        raw.close();
        watcher.close();
        nl.close();
      }
    }, 120_000);
  });

  describe('dumps while the tables change', () => {
    let ns: Netns;
    beforeAll(async () => {
      ns = await createNetns('nlwire-faults');
    });
    afterAll(() => ns?.destroy());

    it('an address dump flagged NLM_F_DUMP_INTR is retried; every result is a consistent snapshot or a DumpInterruptedError', async () => {
      // 2,032 stable IPv4 addresses on lo (documentation ranges, each address with four
      // prefix lengths), while 203.0.113.1-254/32 come and go.
      const stable: string[] = [];
      for (let n = 1; n <= 254; n++) for (const net of ['192.0.2', '198.51.100']) for (const len of [32, 31, 30, 29]) stable.push(`${net}.${n}/${len}`);
      const churn = new Set(Array.from({ length: 254 }, (_, i) => `203.0.113.${i + 1}/32`));
      await ipBatch(ns, stable.map((a) => `addr add ${a} dev lo`));
      const lines: string[] = [];
      for (let r = 0; r < 60; r++) {
        for (const a of churn) lines.push(`addr add ${a} dev lo`);
        for (const a of churn) lines.push(`addr del ${a} dev lo`);
      }

      // From the wire, per socket: the seq of every address dump sent, and whether the
      // kernel flagged any datagram of it (the data or its NLMSG_DONE).
      const wireOf = () => {
        const w = { sent: [] as number[], flagged: new Set<number>(), flaggedDatagrams: 0 };
        const tap = (dir: '>' | '<', bytes: Uint8Array): void => {
          const hs = headers(bytes);
          if (dir === '>') {
            for (const h of hs) if (h.type === RTM_GETADDR && (h.flags & NLM_F_DUMP) === NLM_F_DUMP) w.sent.push(h.seq);
          } else if (hs.some((h) => h.flags & NLM_F_DUMP_INTR)) {
            w.flaggedDatagrams++;
            w.flagged.add(hs[0]!.seq);
          }
        };
        return { w, tap };
      };
      const client = wireOf();
      const raw = wireOf();
      const nl = await Rtnl.open({ netns: ns.name, onDatagram: client.tap });
      const bare = NetlinkSocket.open(rtnetlink, { netns: ns.name, onDatagram: raw.tap });
      const figures = { lists: 0, returned: 0, inexact: 0, refused: 0, retries: 0, bareDumps: 0, bareInterrupted: 0, bareReturned: 0 };
      const stableSet = new Set(stable);
      /** Every address once, every stable one there, nothing but 127.0.0.1/8 and the churn besides. */
      const exact = (addrs: Array<{ family: number; cidr?: string }>): boolean => {
        expect(addrs.every((a) => a.family === 4 && typeof a.cidr === 'string')).toBe(true);
        const cidrs = addrs.map((a) => a.cidr!);
        expect(cidrs.filter((c) => !stableSet.has(c) && !churn.has(c) && c !== '127.0.0.1/8')).toEqual([]);
        return new Set(cidrs).size === cidrs.length && cidrs.filter((c) => stableSet.has(c)).length === stable.length;
      };
      try {
        let done = false;
        const churning = ipBatch(ns, lines, { force: true }).finally(() => { done = true; });
        while (!done) {
          figures.lists++;
          const first = client.w.sent.length;
          let addrs: Addr[] | undefined;
          try {
            addrs = await nl.addr.list({ family: 4 });
          } catch (e) {
            // Never silent: four attempts all interrupted, the last one's messages kept.
            expect(e).toBeInstanceOf(DumpInterruptedError);
            expect((e as DumpInterruptedError).attempts).toBe(4);
            expect((e as DumpInterruptedError).messages?.length).toBeGreaterThan(0);
            figures.refused++;
          }
          // Every attempt but the last was flagged by the kernel; the last was flagged exactly
          // when the call refused to return it.
          const seqs = client.w.sent.slice(first);
          expect(seqs.length).toBe(addrs ? seqs.length : 4);
          expect(seqs.slice(0, -1).every((q) => client.w.flagged.has(q))).toBe(true);
          expect(client.w.flagged.has(seqs.at(-1)!)).toBe(addrs === undefined);
          figures.retries += seqs.length - 1;
          if (addrs) {
            figures.returned++;
            if (!exact(addrs)) figures.inexact++;
          }
          // The same on a bare socket without retries: the interruption surfaces at once.
          figures.bareDumps++;
          let msgs: NlMsg[] | undefined;
          try {
            msgs = await bare.dumpAll({ type: RTM_GETADDR, flags: 0, body: { family: AF_INET } }, { retries: 0 });
          } catch (e) {
            expect(e).toBeInstanceOf(DumpInterruptedError);
            expect((e as DumpInterruptedError).attempts).toBe(1);
            figures.bareInterrupted++;
          }
          expect(raw.w.flagged.has(raw.w.sent.at(-1)!)).toBe(msgs === undefined);
          if (msgs) {
            figures.bareReturned++;
            if (!exact(msgs.filter((m) => m.type === RTM_NEWADDR).map((m) => {
              const body = m.body as { family: number; prefixlen: number };
              return { family: body.family === AF_INET ? 4 : -1, cidr: `${String((m.attrs as { local?: string }).local)}/${body.prefixlen}` };
            }))) figures.inexact++;
          }
        }
        await churning;
        console.info(`DUMP_INTR: ${client.w.flaggedDatagrams + raw.w.flaggedDatagrams} flagged datagrams; client: ` +
          `${figures.lists} address lists, ${figures.retries} retries, ${figures.returned} returned, ${figures.refused} ` +
          `refused after 4 attempts; bare socket (retries 0): ${figures.bareDumps} dumps, ${figures.bareInterrupted} ` +
          `interrupted; unflagged but inexact (the kernel's race): ${figures.inexact}`);
        expect(client.w.flaggedDatagrams).toBeGreaterThan(0);
        expect(figures.retries).toBeGreaterThan(0);
        expect(figures.bareInterrupted).toBeGreaterThan(0);
        expect(figures.returned).toBeGreaterThan(0);
        // The kernel publishes an address change a moment before it bumps the dump sequence
        // (devinet.c), so now and then an unflagged dump is inexact (iproute2 sees the same,
        // about 1 in 900 dumps here). nlwire cannot see it; it must stay rare.
        if (figures.inexact > 0) console.warn(`!!! ${figures.inexact} unflagged address dumps were inexact (kernel race)`);
        expect(figures.inexact).toBeLessThanOrEqual(Math.max(1, Math.floor((figures.returned + figures.bareReturned) / 10)));
        // Quiet again: one clean dump, exactly the stable addresses and 127.0.0.1/8.
        const after = await nl.addr.list({ family: 4 });
        expect(after.map((a) => a.cidr).sort()).toEqual([...stable, '127.0.0.1/8'].sort());
      } finally {
        bare.close();
        nl.close();
      }
    }, 120_000);

    it('route dumps during churn: IPv4 keeps every stable route exactly once; IPv6 routes and addresses are measured', async () => {
      const TABLES = 10;
      const stable4: string[] = [];
      for (let t = 0; t < TABLES; t++) for (let i = 1; i <= 250; i++) stable4.push(`${1000 + t} 192.0.2.${i}`);
      const stable6 = Array.from({ length: 5000 }, (_, i) => `2001:db8:7::${host(i + 1)}`);
      const stableAddr6 = Array.from({ length: 3000 }, (_, i) => `2001:db8:a::${host(i + 1)}`);
      await ipBatch(ns, [
        ...stable4.map((k) => { const [t, a] = k.split(' '); return `route add unreachable ${a!}/32 table ${t!}`; }),
        ...stable6.map((a) => `route add unreachable ${a}/128`),
        ...stableAddr6.map((a) => `addr add ${a}/128 dev lo nodad`),
      ]);
      const lines: string[] = [];
      for (let r = 0; r < 6; r++) {
        for (const op of ['add', 'del']) {
          for (let t = 0; t < TABLES; t++) {
            for (let i = 1; i <= 100; i++) {
              lines.push(`route ${op} unreachable 198.51.100.${i}/32 table ${1000 + t}`);
              lines.push(`route ${op} unreachable 203.0.113.${i}/32 table ${1000 + t}`);
            }
          }
          for (let i = 0; i < 1000; i++) lines.push(`route ${op} unreachable 2001:db8:7:1::${host(i + 1)}/128`);
          for (let i = 0; i < 200; i++) lines.push(op === 'add' ? `addr add 2001:db8:b::${host(i + 1)}/128 dev lo nodad` : `addr del 2001:db8:b::${host(i + 1)}/128 dev lo`);
        }
      }
      let flagged = 0;
      const nl = await Rtnl.open({ netns: ns.name, onDatagram: (dir, bytes) => {
        if (dir === '<' && headers(bytes).some((h) => h.flags & NLM_F_DUMP_INTR)) flagged++;
      } });
      const stable4Set = new Set(stable4);
      const stable6Set = new Set(stable6);
      const stableAddr6Set = new Set(stableAddr6);
      const figures = { v4Dumps: 0, v6Dumps: 0, v6Repeated: 0, v6Omitted: 0, v6Inexact: 0, a6Lists: 0, a6Refused: 0, a6Inexact: 0 };
      try {
        let done = false;
        const churning = ipBatch(ns, lines, { force: true }).finally(() => { done = true; });
        while (!done) {
          const keys4: string[] = [];
          for await (const r of nl.route.list({ family: 4, table: 'all' })) {
            if (r.table >= 1000) keys4.push(`${r.table} ${r.dst}`);
          }
          figures.v4Dumps++;
          expect(new Set(keys4).size).toBe(keys4.length);
          expect(keys4.filter((k) => stable4Set.has(k)).length).toBe(stable4.length);
          expect(keys4.every((k) => stable4Set.has(k) || /^10\d\d (198\.51\.100|203\.0\.113)\.\d+$/.test(k))).toBe(true);

          const dsts6: string[] = [];
          for await (const r of nl.route.list({ family: 6 })) dsts6.push(r.dst);
          figures.v6Dumps++;
          const present = new Set(dsts6.filter((d) => stable6Set.has(d)));
          const repeated = dsts6.length - new Set(dsts6).size;
          figures.v6Repeated += repeated;
          figures.v6Omitted += stable6.length - present.size;
          if (repeated > 0 || present.size !== stable6.length) figures.v6Inexact++;

          figures.a6Lists++;
          try {
            const locals = (await nl.addr.list({ family: 6 })).map((a) => a.local);
            if (new Set(locals).size !== locals.length || locals.filter((l) => stableAddr6Set.has(l!)).length !== stableAddr6.length) figures.a6Inexact++;
          } catch (e) {
            expect(e).toBeInstanceOf(DumpInterruptedError);
            figures.a6Refused++;
          }
        }
        await churning;
        console.info(`route dumps under churn: ${figures.v4Dumps} IPv4 (all exact); ${figures.v6Dumps} IPv6, ` +
          `${figures.v6Inexact} of them with ${figures.v6Repeated} repeated and ${figures.v6Omitted} omitted routes; ` +
          `${flagged} datagrams flagged NLM_F_DUMP_INTR (all of them address dumps); IPv6 address lists: ${figures.a6Lists}, ` +
          `${figures.a6Refused} refused as interrupted, ${figures.a6Inexact} returned inexact without any flag`);
        expect(figures.v4Dumps).toBeGreaterThan(0);
        // Once quiet, both families dump exactly.
        const v6: Route[] = [];
        for await (const r of nl.route.list({ family: 6 })) v6.push(r);
        expect(v6.filter((r) => stable6Set.has(r.dst)).length).toBe(stable6.length);
        expect(new Set(v6.map((r) => r.dst)).size).toBe(v6.length);
      } finally {
        nl.close();
      }
    }, 120_000);
  });

  describe('forged replies', () => {
    let ns: Netns;
    const ROUTES = 10_000;
    beforeAll(async () => {
      ns = await createNetns('nlwire-faults');
      ns.exec('ip link add v1 type veth peer name p1 && ip link set v1 up && ip link set p1 up && ' +
        'ip -6 addr add 2001:db8:1::1/64 dev v1 nodad');
      await ipBatch(ns, Array.from({ length: ROUTES }, (_, i) => `route add unreachable 2001:db8:5::${host(i + 1)}/128`));
    });
    afterAll(() => ns?.destroy());

    /** A second NETLINK_ROUTE socket in the namespace, through the shim: the forger. */
    function forger(): { fd: number; close(): void } {
      const binding = loadBinding();
      const nsFd = openSync(ns.path, 'r');
      let fd: number;
      try {
        fd = binding.open(0, nsFd);
      } finally {
        closeSync(nsFd);
      }
      expect(fd).toBeGreaterThanOrEqual(0);
      expect(binding.bind(fd, 0)).toBe(0);
      expect(binding.portId(fd)).not.toBe(0);
      return { fd, close: () => { binding.close(fd); } };
    }

    it('drops forged errors, routes and DONEs with the awaited seq, counts them, and returns the true replies', async () => {
      const binding = loadBinding();
      const f = forger();
      const sent: number[] = [];
      // Room for the forgeries: they take receive buffer too (a local flood can overrun a socket).
      const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name, rcvbuf: 8 << 20, onDatagram: (dir, bytes) => {
        if (dir === '>') for (const h of headers(bytes)) sent.push(h.seq);
      } });
      try {
        const K = 1000;
        const dsts = Array.from({ length: K }, (_, i) => `2001:db8:1::${(i + 2).toString(16)}`);
        const replies: Array<Promise<NlMsg[]>> = [];
        let forged = 0;
        for (let i = 0; i < K; i++) {
          // The socket numbers its requests 1, 2, 3... (#nextSeq): request i will be seq i + 1.
          // Its forgeries are queued just ahead of the kernel's true reply.
          for (const bytes of forgeries(i + 1, sock.portId, ['error', 'route', 'done'], RTM_GETROUTE)) {
            expect(sendForged(binding, f.fd, bytes, sock.portId)).toBe(bytes.length);
            forged++;
          }
          replies.push(sock.request(v6Get(dsts[i]!)));
        }
        const got = await Promise.all(replies);
        expect(sent).toEqual(Array.from({ length: K }, (_, i) => i + 1));
        got.forEach((r, i) => {
          expect(r).toHaveLength(1);
          expect(dstOf(r[0]!)).toBe(dsts[i]);
        });
        expect(sock.stats).toMatchObject({ spoofed: forged, overruns: 0, unmatched: 0, malformed: 0 });

        // A dump in flight: forged DONEs, routes and errors with its seq, again and again.
        const dumpSeq = K + 1;
        const it = sock.dump({ type: RTM_GETROUTE, flags: 0, body: { family: AF_INET6 } });
        const first = await it.next();
        expect(first.done).toBe(false);
        expect(sent.at(-1)).toBe(dumpSeq);
        const spoofedBefore = sock.stats.spoofed;
        const forgeDump = (): void => {
          for (const bytes of [forgedDone(dumpSeq, sock.portId), forgedRoute(dumpSeq, sock.portId, forgedDst(dumpSeq), NLM_F_MULTI),
            forgedError(dumpSeq, sock.portId, -1, RTM_GETROUTE)]) {
            expect(sendForged(binding, f.fd, bytes, sock.portId)).toBe(bytes.length);
            forged++;
          }
        };
        forgeDump();
        let n = 1;
        let bogus = 0;
        const ours = new Set<string>();
        const firstDst = dstOf(first.value as NlMsg);
        if (firstDst?.startsWith('2001:db8:5::')) ours.add(firstDst);
        for await (const m of it) {
          if (++n % 1000 === 0) forgeDump();
          const dst = dstOf(m);
          if (dst?.startsWith('2001:db8:dead:')) bogus++;
          if (dst?.startsWith('2001:db8:5::')) ours.add(dst);
        }
        expect(bogus).toBe(0);
        // Every route the test added, each once, as a dump nobody interferes with gives them.
        // (Totals are not compared: the kernel's own IPv6 routes, such as cached exceptions,
        // may come and go between two dumps.)
        expect(ours.size).toBe(ROUTES);
        const clean = NetlinkSocket.open(rtnetlink, { netns: ns.name });
        try {
          const all = await clean.dumpAll({ type: RTM_GETROUTE, flags: 0, body: { family: AF_INET6 } });
          expect(all.filter((m) => dstOf(m)?.startsWith('2001:db8:5::')).length).toBe(ROUTES);
        } finally {
          clean.close();
        }
        expect(n).toBeGreaterThan(ROUTES);
        // The last forgeries may be queued behind the dump's end: one more request reads them.
        await expect(sock.request(v6Get('2001:db8:1::5'))).resolves.toHaveLength(1);
        expect(sock.stats.spoofed - spoofedBefore).toBe(3 * Math.floor(n / 1000) + 3);
        expect(sock.stats).toMatchObject({ spoofed: forged, unmatched: 0, overruns: 0 });
        console.info(`spoofing: ${forged} forged datagrams (errors, routes, DONEs with the awaited seq) dropped; ` +
          `${K} gets and a ${n}-route dump answered truly`);
      } finally {
        sock.close();
        f.close();
      }
    });

    it('drops a forged multicast notification and yields the real one', async () => {
      const binding = loadBinding();
      const f = forger();
      const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
      try {
        const sub = sock.subscribe([RTNLGRP_IPV6_ROUTE]);
        const bytes = forgedRoute(0, 0, forgedDst(1));
        // Root may send to a group; the kernel still gives the sender's port id away.
        expect(sendForged(binding, f.fd, bytes, 0, 1 << (RTNLGRP_IPV6_ROUTE - 1))).toBe(bytes.length);
        ns.exec('ip -6 route add unreachable 2001:db8:c::1/128');
        const r = await sub.next();
        expect(r.done).toBe(false);
        if (r.done || r.value.type !== 'message') throw new Error('expected a notification');
        expect(dstOf(r.value.msg)).toBe('2001:db8:c::1');
        expect(sock.stats.spoofed).toBe(1);
      } finally {
        sock.close();
        f.close();
      }
    });

    /** scripts/faults/spoof.ts in the namespace, as root or (`asNobody`) without privileges. */
    function spoofer(port: number, count: number, asNobody: boolean, dir: string): Record<string, unknown> {
      const drop = asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'] : [];
      const r = spawnSync('ip', ['netns', 'exec', ns.name, ...drop, tsx, join(root, 'scripts/faults/spoof.ts'),
        '--port', String(port), '--seq', '1', '--count', String(count), '--group', String(RTNLGRP_IPV6_ROUTE)],
      { encoding: 'utf8', cwd: root, env: { ...process.env, HOME: dir, TMPDIR: dir } });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    }

    it('a spoofer in another process is dropped likewise; an unprivileged one the kernel refuses (EPERM)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nlwire-spoof-'));
      chmodSync(dir, 0o777);
      const K = 200;
      const dsts = Array.from({ length: K }, (_, i) => `2001:db8:1::${(i + 2).toString(16)}`);
      const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
      const quiet = NetlinkSocket.open(rtnetlink, { netns: ns.name });
      try {
        // Root (CAP_NET_ADMIN) may send to our port id: 3 forgeries for each seq 1..K.
        expect(spoofer(sock.portId, K, false, dir)).toMatchObject({ uid: 0, sent: 3 * K, failed: 0 });
        const got = await Promise.all(dsts.map((d) => sock.request(v6Get(d))));
        got.forEach((g, i) => expect(dstOf(g[0]!)).toBe(dsts[i]));
        expect(sock.stats).toMatchObject({ spoofed: 3 * K, unmatched: 0 });
        // rtnetlink lacks NL_CFG_F_NONROOT_SEND: nobody may send to any socket but the kernel.
        expect(spoofer(quiet.portId, K, true, dir)).toMatchObject({ uid: 65534, sent: 0, failed: 3 * K, errors: [-1], group: -1 });
        const got2 = await Promise.all(dsts.map((d) => quiet.request(v6Get(d))));
        got2.forEach((g, i) => expect(dstOf(g[0]!)).toBe(dsts[i]));
        expect(quiet.stats).toMatchObject({ spoofed: 0, unmatched: 0 });
      } finally {
        sock.close();
        quiet.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('concurrency, timeouts and close', () => {
    let ns: Netns;
    beforeAll(async () => {
      ns = await createNetns('nlwire-faults');
      ns.exec('ip link add v1 type veth peer name p1 && ip link set v1 up && ip link set p1 up && ' +
        'ip addr add 192.0.2.10/24 dev v1 && ip -6 addr add 2001:db8:1::1/64 dev v1 nodad');
    });
    afterAll(() => ns?.destroy());

    it('answers 10,000 route gets in flight at once across 4 sockets, each with its own dst', async () => {
      const SOCKETS = 4;
      const PER = 2500;
      // Receive buffers with room for 2,500 replies each (8 MiB, doubled), so that no socket
      // reads before everything is sent: all 10,000 are in flight at once.
      let peak = 0;
      const clients: Rtnl[] = [];
      const tap = (dir: '>' | '<'): void => {
        if (dir === '>') peak = Math.max(peak, clients.reduce((s, c) => s + c.socket.inFlight, 0));
      };
      for (let k = 0; k < SOCKETS; k++) clients.push(await Rtnl.open({ netns: ns.name, rcvbuf: 8 << 20, onDatagram: tap }));
      try {
        // Names resolved first, so that every get goes straight to the socket.
        await Promise.all(clients.map((c) => c.link.list()));
        peak = 0;
        const t0 = performance.now();
        const jobs = clients.flatMap((c, k) => Array.from({ length: PER }, (_, i) => {
          const n = k * PER + i;
          const dst = n % 2 ? `2001:db8:1::${(n + 2).toString(16)}` : `192.0.2.${(n % 250) + 1}`;
          return c.route.get({ dst }).then((r) => ({ dst, r }));
        }));
        const results = await Promise.all(jobs);
        const ms = performance.now() - t0;
        expect(results).toHaveLength(SOCKETS * PER);
        for (const { dst, r } of results) {
          expect(r.dst).toBe(dst);
          expect(r.dev).toBe('v1');
        }
        for (const c of clients) expect(c.socket.stats).toMatchObject({ overruns: 0, unmatched: 0, spoofed: 0, malformed: 0 });
        expect(peak).toBe(SOCKETS * PER);
        console.info(`concurrency: ${SOCKETS * PER} gets on ${SOCKETS} sockets in ${ms.toFixed(0)} ms ` +
          `(${((SOCKETS * PER) / ms * 1000).toFixed(0)}/s), at most ${peak} in flight at once`);
      } finally {
        for (const c of clients) c.close();
      }
    });

    it('a request the kernel never answers (a route add without NLM_F_ACK) rejects with TimeoutError in time', async () => {
      const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
      try {
        const t0 = performance.now();
        const err = await sock.request(v6Unreachable('2001:db8:c::1'), { ack: false, timeout: 300, what: 'route add 2001:db8:c::1/128' })
          .catch((e: unknown) => e);
        const ms = performance.now() - t0;
        expect(err).toBeInstanceOf(TimeoutError);
        expect((err as Error).message).toBe('route add 2001:db8:c::1/128: no reply within 300 ms');
        expect(ms).toBeGreaterThanOrEqual(295);
        expect(ms).toBeLessThan(1500);
        // The kernel did it, silently.
        expect(ns.exec('ip -6 route show 2001:db8:c::1/128')).toMatch(/^unreachable 2001:db8:c::1 /);
        // A refusal is always answered, ACK or not: the same again is EEXIST at once.
        const t1 = performance.now();
        const again = await sock.request(v6Unreachable('2001:db8:c::1'), { ack: false, timeout: 300 }).catch((e: unknown) => e);
        expect(again).toBeInstanceOf(NetlinkError);
        expect(again).toMatchObject({ code: 'EEXIST' });
        expect(performance.now() - t1).toBeLessThan(250);

        // 1,000 of them at once: each times out on its own timer, and the map of requests empties.
        const t2 = performance.now();
        const many = await Promise.all(Array.from({ length: 1000 }, (_, i) =>
          sock.request(v6Unreachable(`2001:db8:c:1::${(i + 1).toString(16)}`), { ack: false, timeout: 400 }).catch((e: unknown) => e)));
        const manyMs = performance.now() - t2;
        expect(many.every((e) => e instanceof TimeoutError)).toBe(true);
        expect(manyMs).toBeLessThan(2500);
        expect(sock.inFlight).toBe(0);
        expect(Number(ns.exec('ip -6 route show | grep -c "^unreachable 2001:db8:c:1::"').trim())).toBe(1000);
        // Nothing late arrives, and the socket still works.
        await expect(sock.request(v6Get('2001:db8:1::5'))).resolves.toHaveLength(1);
        expect(sock.stats).toMatchObject({ unmatched: 0, overruns: 0 });
        console.info(`timeouts: one unanswered request rejected after ${ms.toFixed(0)} ms (timeout 300), ` +
          `1,000 after ${manyMs.toFixed(0)} ms (timeout 400)`);
      } finally {
        sock.close();
      }
    });

    // Fails until src/netlink/socket.ts is fixed: a batch is answered inside requestBatch()
    // (the socket reads the ACKs right after sendmsg and resolves there), so a loop that
    // awaits batches runs entirely in microtasks and the event loop never turns: no timer
    // fires, no other socket's poll callback runs, and their requests time out with the
    // replies queued (what the soak showed: "link get 3: no reply within 10000 ms").
    it('awaiting batch after batch still lets the event loop turn (timers, other sockets)', async () => {
      const nl = await Rtnl.open({ netns: ns.name });
      const other = NetlinkSocket.open(rtnetlink, { netns: ns.name });
      try {
        const routes = Array.from({ length: 256 }, (_, i) => ({ dst: `2001:db8:d::${(i + 1).toString(16)}/128`, type: 'unreachable' }));
        const t0 = performance.now();
        let timerAt: number | undefined;
        setTimeout(() => { timerAt = performance.now() - t0; }, 10);
        // Read by that socket's poll callback, which runs only when the event loop turns.
        let otherAt: number | undefined;
        const otherReply = other.request(v6Get('2001:db8:1::5')).then(() => { otherAt = performance.now() - t0; });
        let batches = 0;
        while (performance.now() - t0 < 1000 && batches < 2000) {
          const res = await nl.route.addMany(routes, { op: batches % 2 ? 'del' : 'add' });
          expect(res.every((r) => r.ok)).toBe(true);
          batches++;
        }
        const loopMs = performance.now() - t0;
        await otherReply;
        console.info(`event loop: ${batches} batches awaited in ${loopMs.toFixed(0)} ms; a 10 ms timer fired at ` +
          `${timerAt === undefined ? 'never (during the loop)' : `${timerAt.toFixed(0)} ms`}; another socket's reply ` +
          `was read at ${otherAt === undefined ? 'never' : `${otherAt.toFixed(0)} ms`}`);
        expect(batches).toBeGreaterThan(10);
        expect(timerAt, 'a 10 ms timer set before the loop').toBeLessThan(250);
        expect(otherAt, "another socket's reply").toBeLessThan(250);
      } finally {
        other.close();
        nl.close();
      }
    });

    it('close() with thousands in flight rejects every request, batch and dump, ends monitors, and leaks no fd', async () => {
      // Sockets an earlier test closed while a pool thread used them are released when it
      // is done: let those finish before counting.
      await sleep(100);
      const before = fdCount();
      // Closed right inside the send that takes client 0 past 1,500 requests sent (requests
      // made in one run of microtasks leave in one datagram: messages are counted), before
      // anything reads their replies.
      let sends = 0;
      let clients: Rtnl[] = [];
      let inFlight = 0;
      let sentEnough!: () => void;
      const enough = new Promise<void>((r) => { sentEnough = r; });
      const tap = (dir: '>' | '<', bytes: Uint8Array): void => {
        if (dir !== '>' || sends >= 1500) return;
        const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (let o = 0; o + 16 <= bytes.length; o += (v.getUint32(o, true) + 3) & ~3) sends++;
        if (sends < 1500) return;
        inFlight = clients.reduce((n, c) => n + c.socket.inFlight, 0);
        for (const c of clients) c.close();
        sentEnough();
      };
      clients = await Promise.all(Array.from({ length: 4 }, (_, k) =>
        Rtnl.open({ netns: ns.name, maxInFlight: 1000, ...(k === 0 ? { onDatagram: tap } : {}) })));
      await Promise.all(clients.map((c) => c.link.list()));
      sends = 0;
      const settled: Array<Promise<{ ok: boolean; err?: unknown }>> = [];
      const track = (p: Promise<unknown>): void => {
        settled.push(p.then(() => ({ ok: true }), (err: unknown) => ({ ok: false, err })));
      };
      const monitors: Array<Promise<unknown>> = [];
      for (const c of clients) {
        for (let i = 0; i < 2500; i++) track(c.route.get({ dst: `2001:db8:1::${(i + 2).toString(16)}` }));
        track(c.route.addMany(Array.from({ length: 500 }, (_, i) => ({ dst: `198.51.100.${(i % 250) + 1}/32`, type: 'unreachable', table: 2000 + Math.floor(i / 250) }))));
        const list = c.route.list({ family: 6 });
        track(list.next());
        const mon = c.monitor(['route']);
        monitors.push(mon.next());
      }
      await enough;
      expect(inFlight).toBeGreaterThan(1000);
      const outcomes = await Promise.all(settled);
      const rejected = outcomes.filter((o) => !o.ok);
      expect(rejected.length).toBeGreaterThan(0);
      for (const o of rejected) {
        expect(o.err).toBeInstanceOf(TimeoutError);
        expect((o.err as Error).message).toMatch(/socket closed$/);
      }
      for (const m of monitors) await expect(m).resolves.toMatchObject({ done: true });
      for (const c of clients) expect(c.socket.closed).toBe(true);
      await sleep(100);
      expect(fdCount()).toBe(before);
      console.info(`close: ${outcomes.length} calls, ${inFlight} in flight at close, ${rejected.length} rejected ` +
        `with TimeoutError, ${outcomes.length - rejected.length} answered first; fds ${before} before and after`);
    });
  });

  describe('privileges', () => {
    let ns: Netns;
    let other: Netns;
    let dir: string;
    beforeAll(async () => {
      ns = await createNetns('nlwire-faults');
      other = await createNetns('nlwire-faults');
      ns.exec('ip link add v1 type veth peer name p1 && ip link set v1 up && ip link set p1 up && ip addr add 192.0.2.10/24 dev v1');
      dir = mkdtempSync(join(tmpdir(), 'nlwire-unpriv-'));
      chmodSync(dir, 0o777);
    });
    afterAll(() => {
      ns?.destroy();
      other?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const options = (): Record<string, unknown> => ({
      get: '192.0.2.5',
      add: { dst: '203.0.113.0/24', type: 'unreachable' },
      addMany: [{ dst: '203.0.113.1/32', type: 'unreachable' }, { dst: '203.0.113.2/32', dev: 'nosuchdev' }],
      rule: { priority: 1234, table: 1234 },
      otherNetns: other.name,
      rcvbuf: 16 << 20,
    });

    /** scripts/faults/unprivileged.ts in the namespace, under `setpriv` to nobody and then `wrap`. */
    /** Whether uid 65534 may run `unshare FLAG`; says loudly that the test is skipped if not. */
    function unshareWorks(flag: string, test: string): boolean {
      const probe = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'unshare', flag, 'true']);
      if (probe.status === 0) return true;
      console.warn(`\n!!! WARNING: SKIPPING the ${test} test: unprivileged \`unshare ${flag}\` fails here ` +
        `(${probe.stderr.toString().trim()}).\n`);
      return false;
    }

    function unprivileged(wrap: string[]): { status: number | null; stderr: string; out?: Record<string, unknown> } {
      const cmd = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', ...wrap,
        'env', `HOME=${dir}`, `TMPDIR=${dir}`, tsx, join(root, 'scripts/faults/unprivileged.ts'), JSON.stringify(options())];
      const r = spawnSync('ip', ['netns', 'exec', ns.name, ...cmd], { encoding: 'utf8', cwd: root });
      const last = r.stdout.trim().split('\n').pop();
      return { status: r.status, stderr: r.stderr, ...(r.status === 0 && last ? { out: JSON.parse(last) as Record<string, unknown> } : {}) };
    }

    const rmemMax = (): number => Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
    const eperm = (name: string, message: string) => ({ error: { name, code: 'EPERM', message } });

    it('nobody: EPERM as NetlinkError for changes, SyscallError for another namespace; reads, dumps and monitors work', () => {
      const r = unprivileged([]);
      expect(r.status, r.stderr).toBe(0);
      const links = ipj(ns, 'link', 'show').map((l) => l.ifname);
      expect(r.out).toEqual({
        uid: 65534, capEff: '0000000000000000',
        links,
        get: { dst: '192.0.2.5', dev: 'v1' },
        routes: ipj(ns, '-4', 'route', 'show').length,
        add: eperm('NetlinkError', 'route add 203.0.113.0/24: EPERM'),
        addMany: ['EPERM', 'ENODEV'],
        listedAfterAdd: false,
        rule: eperm('NetlinkError', 'rule add priority 1234: EPERM'),
        monitor: 'ok',
        // SO_RCVBUFFORCE refused: SO_RCVBUF, capped at rmem_max (and doubled).
        rcvbuf: Math.min(16 << 20, rmemMax()) * 2,
        otherNetns: eperm('SyscallError', `netns /var/run/netns/${other.name}: socket: EPERM`),
      });
    });

    it('uid 0 of a user namespace is no privilege over this one: the same refusals', () => {
      if (!unshareWorks('-Ur', 'user-namespace privilege')) return;
      const r = unprivileged(['unshare', '-Ur']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.out).toMatchObject({
        uid: 0,
        get: { dst: '192.0.2.5', dev: 'v1' },
        add: eperm('NetlinkError', 'route add 203.0.113.0/24: EPERM'),
        addMany: ['EPERM', 'ENODEV'],
        rule: eperm('NetlinkError', 'rule add priority 1234: EPERM'),
        monitor: 'ok',
        otherNetns: eperm('SyscallError', `netns /var/run/netns/${other.name}: socket: EPERM`),
      });
      expect(ns.exec('ip route show 203.0.113.0/24')).toBe('');
    });

    it('an unprivileged user in a namespace of its own (unshare -Urn) changes its routes: nlwire assumes no root', () => {
      if (!unshareWorks('-Urn', 'own-namespace privilege')) return;
      const r = unprivileged(['unshare', '-Urn']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.out).toMatchObject({
        uid: 0,
        links: ['lo'],
        add: 'ok',
        addMany: ['ok', 'ENODEV'],
        listedAfterAdd: true,
        rule: 'ok',
        monitor: 'ok',
        rcvbuf: Math.min(16 << 20, rmemMax()) * 2,
      });
    });
  });
});
