/**
 * The socket layer against the real kernel, inside private network namespaces
 * (test/helpers/netns.ts): never the host's networking, documentation prefixes only
 * (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32). Results are compared
 * with what iproute2 says in the same namespace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { NetlinkSocket } from '../../src/netlink/socket.js';
import { NetlinkError, TimeoutError } from '../../src/netlink/errors.js';
import { type NlMsg } from '../../src/netlink/message.js';
import { AF_INET, AF_INET6, AF_UNSPEC, NLM_F_CREATE, NLM_F_EXCL } from '../../src/netlink/constants.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import {
  RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE, RT_TABLE_MAIN, RTPROT_BOOT, RTN_UNICAST,
  RTN_UNREACHABLE, RT_SCOPE_LINK,
} from '../../src/rtnl/route.js';
import { RTM_GETLINK, RTM_NEWLINK } from '../../src/rtnl/link.js';
import { createNetns, netnsUnavailableReason, type Netns } from '../helpers/netns.js';

/** linux/rtnetlink.h enum rtnetlink_groups. */
const RTNLGRP_IPV4_ROUTE = 7;
const RTNLGRP_IPV6_ROUTE = 11;

const skipReason = netnsUnavailableReason();
if (skipReason !== null) {
  console.warn(
    `\n${'!'.repeat(78)}\n!!! WARNING: SKIPPING the socket layer's kernel tests: ${skipReason}.\n` +
      `!!! They need root and \`ip netns add\`. Nothing about NetlinkSocket against the real\n` +
      `!!! kernel (dumps, ext-ack, concurrency, batches, multicast, fd leaks) was tested.\n${'!'.repeat(78)}\n`,
  );
}

const fdCount = (): number => readdirSync('/proc/self/fd').length;

type RouteAttrs = { dst?: string; table?: number };
const dstOf = (m: NlMsg): string | undefined => (m.attrs as RouteAttrs | undefined)?.dst;

/** `ip -batch` in the namespace, from a temporary file. */
function ipBatch(ns: Netns, lines: string[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'nlwire-batch-'));
  try {
    const file = join(dir, 'batch');
    writeFileSync(file, lines.join('\n') + '\n');
    execFileSync('ip', ['-n', ns.name, '-batch', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true });
  }
}

/** What `ip` prints on stderr for a command that fails. */
function ipError(ns: Netns, cmd: string): string {
  try {
    ns.exec(`${cmd} 2>&1 >/dev/null; exit 1`);
  } catch (err) {
    return String((err as { stdout?: unknown }).stdout ?? '').trim();
  }
  return '';
}

const v4Route = (dst: string, dstLen: number, type: number, attrs: Record<string, unknown> = {}, scope = 0) => ({
  type: RTM_NEWROUTE,
  flags: NLM_F_CREATE | NLM_F_EXCL,
  body: { family: AF_INET, dstLen, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT, scope, type },
  attrs: { dst, ...attrs },
});

const v6Unreachable = (dst: string) => ({
  type: RTM_NEWROUTE,
  flags: NLM_F_CREATE | NLM_F_EXCL,
  body: { family: AF_INET6, dstLen: 128, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT, type: RTN_UNREACHABLE },
  attrs: { dst },
});

describe.skipIf(skipReason !== null)('NetlinkSocket against the kernel', () => {
  let ns: Netns;
  let ifindex: number;

  beforeAll(async () => {
    ns = await createNetns('nlwire-sock');
    ns.exec('ip link add veth0 type veth peer name veth1 && ip link add br0 type bridge');
    ns.exec('ip addr add 192.0.2.10/24 dev veth0 && ip -6 addr add 2001:db8::1/64 dev veth0 nodad');
    ns.exec('ip link set veth1 up && ip link set veth0 up');
    ifindex = Number(ns.exec('cat /sys/class/net/veth0/ifindex').trim());
  });

  afterAll(() => {
    ns?.destroy();
  });

  it('dumps the links (RTM_GETLINK via dumpAll) as `ip -j link show` lists them', async () => {
    const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
    try {
      const links = await sock.dumpAll({ type: RTM_GETLINK, flags: 0, body: { family: AF_UNSPEC } });
      expect(links.every((m) => m.type === RTM_NEWLINK)).toBe(true);
      const names = links.map((m) => (m.attrs as { ifname: string }).ifname).sort();
      const ip = (JSON.parse(ns.exec('ip -j link show')) as Array<{ ifname: string }>).map((l) => l.ifname).sort();
      expect(names).toEqual(ip);
      expect(names).toEqual(['br0', 'lo', 'veth0', 'veth1']);
      expect(sock.stats).toMatchObject({ spoofed: 0, overruns: 0, unmatched: 0, truncated: 0, malformed: 0 });
    } finally {
      sock.close();
    }
  });

  it('adds a route (ACK), and the same again is EEXIST', async () => {
    const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
    try {
      const add = v4Route('198.51.100.0', 24, RTN_UNREACHABLE);
      await expect(sock.request(add)).resolves.toEqual([]);
      expect(ns.exec('ip route show 198.51.100.0/24')).toMatch(/^unreachable 198\.51\.100\.0\/24/);
      const err = await sock.request(add, { what: 'route add 198.51.100.0/24' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NetlinkError);
      expect(err).toMatchObject({ errno: -17, code: 'EEXIST', request: { type: 'RTM_NEWROUTE', what: 'route add 198.51.100.0/24' } });
      expect((err as Error).message).toBe('route add 198.51.100.0/24: EEXIST');
    } finally {
      sock.close();
    }
  });

  it('reports the ext-ack message iproute2 prints for a prefsrc that is not local', async () => {
    const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
    try {
      const err = await sock.request(
        v4Route('203.0.113.0', 24, RTN_UNICAST, { prefsrc: '198.51.100.77', oif: ifindex }, RT_SCOPE_LINK),
        { what: 'route add 203.0.113.0/24' },
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NetlinkError);
      expect(err).toMatchObject({ code: 'EINVAL', errno: -22 });
      const printed = ipError(ns, 'ip route add 203.0.113.0/24 dev veth0 src 198.51.100.77');
      expect(printed).toBe('Error: Invalid prefsrc address.');
      expect((err as NetlinkError).extack?.msg).toBe(printed.replace(/^Error: /, '').replace(/\.$/, ''));
      expect((err as Error).message).toBe('route add 203.0.113.0/24: EINVAL: Invalid prefsrc address');
    } finally {
      sock.close();
    }
  });

  it('names the attribute the kernel points at (NLMSGERR_ATTR_OFFS, with the echo capped)', async () => {
    const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
    expect(sock.features.capAck).toBe(true);
    try {
      // RTA_DST of 2 bytes: the policy wants 4.
      const bad = { ...v4Route('198.51.100.0', 24, RTN_UNREACHABLE), attrs: { shortDst: { type: 1, flags: 0, data: new Uint8Array(2) } } };
      const err = await sock.request(bad).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERANGE', extack: { msg: 'Attribute failed policy validation', offset: 28, attribute: 'RTA_DST' } });
    } finally {
      sock.close();
    }
  });

  it('answers 1,000 concurrent RTM_GETROUTE requests on one socket, each with its own dst', async () => {
    const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
    try {
      const dsts = [...Array(1000).keys()].map((i) => `2001:db8::${(i + 2).toString(16)}`);
      const replies = await Promise.all(dsts.map((dst) => sock.request(
        { type: RTM_GETROUTE, flags: 0, body: { family: AF_INET6, dstLen: 128 }, attrs: { dst } },
      )));
      replies.forEach((r, i) => {
        expect(r).toHaveLength(1);
        expect(r[0]!.type).toBe(RTM_NEWROUTE);
        expect(dstOf(r[0]!)).toBe(dsts[i]);
      });
      expect(sock.stats).toMatchObject({ overruns: 0, unmatched: 0, spoofed: 0 });
    } finally {
      sock.close();
    }
  });

  it('answers 1,000 concurrent requests with a small receive buffer too, reading before it fills', async () => {
    const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name, rcvbuf: 32768 });
    try {
      expect(sock.rcvbuf).toBe(65536);
      const replies = await Promise.all([...Array(1000).keys()].map((i) => sock.request(
        { type: RTM_GETROUTE, flags: 0, body: { family: AF_INET, dstLen: 32 }, attrs: { dst: `192.0.2.${(i % 250) + 1}` } },
      )));
      expect(replies.every((r, i) => dstOf(r[0]!) === `192.0.2.${(i % 250) + 1}`)).toBe(true);
      expect(sock.stats.overruns).toBe(0);
    } finally {
      sock.close();
    }
  });

  describe('10,000 routes', () => {
    const N = 10000;
    const dumpReq = { type: RTM_GETROUTE, flags: 0, body: { family: AF_INET6, table: RT_TABLE_MAIN } };

    beforeAll(() => {
      ipBatch(ns, [...Array(N).keys()].map((i) => `route add unreachable 2001:db8:1::${i.toString(16)}/128`));
    });

    it('dumps exactly as many routes as `ip -6 route show` counts, streamed and whole', async () => {
      const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
      try {
        const ipCount = Number(ns.exec('ip -6 route show | wc -l').trim());
        expect(ipCount).toBeGreaterThanOrEqual(N);
        let streamed = 0;
        const seen = new Set<string>();
        for await (const m of sock.dump(dumpReq)) {
          expect(m.type).toBe(RTM_NEWROUTE);
          streamed++;
          const dst = dstOf(m);
          if (dst?.startsWith('2001:db8:1::')) seen.add(dst);
        }
        expect(streamed).toBe(ipCount);
        expect(seen.size).toBe(N);
        const all = await sock.dumpAll(dumpReq);
        expect(all).toHaveLength(ipCount);
        expect(sock.stats).toMatchObject({ overruns: 0, unmatched: 0, malformed: 0, truncated: 0 });
      } finally {
        sock.close();
      }
    });

    it('a slow consumer of a streamed dump does not make the socket buffer it all', async () => {
      const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
      try {
        const it = sock.dump(dumpReq);
        await it.next();
        await new Promise((r) => setTimeout(r, 50));
        const readSoFar = sock.stats.received;
        // 10,000 routes take well over 30 datagrams; the consumer holds at most a few.
        expect(readSoFar).toBeLessThanOrEqual(12);
        let n = 1;
        for await (const _ of it) n++;
        expect(n).toBe(Number(ns.exec('ip -6 route show | wc -l').trim()));
        expect(sock.stats.received).toBeGreaterThan(readSoFar + 10);
      } finally {
        sock.close();
      }
    });
  });

  it('a batch of 5,000 route adds reports exactly the duplicates as EEXIST', async () => {
    const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
    try {
      const dup = new Map([[1000, 10], [2500, 2499], [4999, 0]]);
      const dsts = [...Array(5000).keys()].map((i) => `2001:db8:2::${(dup.get(i) ?? i).toString(16)}`);
      const res = await sock.requestBatch(dsts.map(v6Unreachable), { what: 'route add' });
      expect(res).toHaveLength(5000);
      const failed = res.flatMap((r, i) => (r.ok ? [] : [i]));
      expect(failed).toEqual([...dup.keys()]);
      for (const i of failed) {
        const r = res[i]!;
        if (r.ok) throw new Error('unreachable');
        expect(r.error).toBeInstanceOf(NetlinkError);
        expect(r.error.code).toBe('EEXIST');
      }
      expect(Number(ns.exec('ip -6 route show | grep -c "2001:db8:2::"').trim())).toBe(5000 - dup.size);
      expect(sock.stats.overruns).toBe(0);
      // As few sends as fit: far fewer than messages.
      expect(sock.stats.sent).toBeLessThan(20);
    } finally {
      sock.close();
    }
  });

  it('sees a route added and deleted through RTNLGRP_IPV4_ROUTE', async () => {
    const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
    try {
      const sub = sock.subscribe([RTNLGRP_IPV4_ROUTE]);
      ns.exec('ip route add unreachable 203.0.113.128/25 && ip route del unreachable 203.0.113.128/25');
      const events: Array<[number, string | undefined]> = [];
      for await (const ev of sub) {
        if (ev.type !== 'message') throw new Error('unexpected overrun');
        events.push([ev.msg.type, dstOf(ev.msg)]);
        if (events.length === 2) break;
      }
      expect(events).toEqual([[RTM_NEWROUTE, '203.0.113.128'], [RTM_DELROUTE, '203.0.113.128']]);
    } finally {
      sock.close();
    }
  });

  it('on a receive overrun, rejects exactly the request whose ACK the kernel dropped', async () => {
    const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name, rcvbuf: 4096 });
    try {
      const sub = sock.subscribe([RTNLGRP_IPV6_ROUTE]);
      // Queued while the buffer is empty: its ACK survives.
      const before = sock.request(v4Route('198.51.100.64', 26, RTN_UNREACHABLE));
      // Requests leave at the end of the current run of microtasks: let this one go.
      await Promise.resolve();
      // The event loop is blocked while `ip` floods the small buffer with notifications.
      ipBatch(ns, [...Array(300).keys()].map((i) => `route add unreachable 2001:db8:3::${i.toString(16)}/128`));
      // Sent into a full buffer: the kernel makes the change, and drops the ACK.
      const during = sock.request(v4Route('198.51.100.128', 26, RTN_UNREACHABLE), { what: 'route add 198.51.100.128/26' });
      await expect(before).resolves.toEqual([]);
      const err = await during.catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'SyscallError', code: 'ENOBUFS' });
      expect((err as Error).message)
        .toBe('route add 198.51.100.128/26: the kernel dropped the reply (receive buffer overrun): recvmsg: ENOBUFS');
      expect(ns.exec('ip route show 198.51.100.128/26')).toMatch(/^unreachable/);
      expect(sock.stats.overruns).toBeGreaterThanOrEqual(1);
      let overrun = false;
      for await (const ev of sub) {
        if (ev.type === 'overrun') {
          overrun = true;
          break;
        }
      }
      expect(overrun).toBe(true);
      await expect(sock.request(v4Route('198.51.100.192', 26, RTN_UNREACHABLE))).resolves.toEqual([]);
    } finally {
      sock.close();
    }
  });

  it('leaks no descriptor over 200 sockets opened and closed', async () => {
    const before = fdCount();
    for (let i = 0; i < 200; i++) {
      const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
      if (i % 20 === 0) await sock.request(v4Route('192.0.2.0', 24, RTN_UNREACHABLE)).catch(() => undefined);
      sock.close();
    }
    expect(fdCount()).toBe(before);
  });

  it('close() rejects the requests in flight', async () => {
    const sock = NetlinkSocket.open(rtnetlink, { netns: ns.name });
    const ps = [...Array(50).keys()].map((i) => sock.request(
      { type: RTM_GETROUTE, flags: 0, body: { family: AF_INET, dstLen: 32 }, attrs: { dst: `192.0.2.${i + 1}` } },
    ).catch((e: unknown) => e));
    const d = sock.dumpAll({ type: RTM_GETROUTE, flags: 0, body: { family: AF_INET6 } }).catch((e: unknown) => e);
    sock.close();
    for (const e of [...(await Promise.all(ps)), await d]) {
      expect(e).toBeInstanceOf(TimeoutError);
      expect((e as Error).message).toMatch(/socket closed$/);
    }
  });
});
