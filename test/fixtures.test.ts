/**
 * Every datagram recorded from real iproute2 traffic (scripts/capture-fixtures.ts) decodes to
 * its reviewed expectation, re-encodes byte for byte from the decode and from its JSON, and
 * agrees with the `ip -j` output recorded beside it.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseHexLines } from '../src/capture/hexlines.js';
import { decodeDatagram, encodeDatagram, type NlMsg } from '../src/netlink/message.js';
import { datagramToJSON, datagramFromJSON } from '../src/netlink/json.js';
import { toHex } from '../src/netlink/ip.js';
import { rtnetlink } from '../src/rtnl/protocol.js';
import { RTM_NEWROUTE } from '../src/rtnl/route.js';
import { RTM_NEWLINK } from '../src/rtnl/link.js';

const root = join(import.meta.dirname, 'fixtures');
const families = ['route', 'link', 'addr', 'rule', 'neigh', 'error', 'monitor'];

interface Fixture {
  family: string; name: string; bytes: Uint8Array; direction?: '>' | '<';
  meta: { command: string; direction: string; ip: unknown; expected: unknown };
}

const fixtures: Fixture[] = [];
for (const family of families) {
  const dir = join(root, family);
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.hex')).sort()) {
    const [d] = parseHexLines(readFileSync(join(dir, f), 'utf8'));
    const meta = JSON.parse(readFileSync(join(dir, f.replace(/\.hex$/, '.json')), 'utf8'));
    fixtures.push({ family, name: f, bytes: d!.bytes, ...(d!.direction ? { direction: d!.direction } : {}), meta });
  }
}

describe('recorded fixtures', () => {
  it('there are fixtures of every family the recorder covers', () => {
    for (const family of families) {
      expect(fixtures.filter((f) => f.family === family).length, family).toBeGreaterThan(0);
    }
    expect(fixtures.length).toBeGreaterThan(300);
  });

  it('each decodes to its expectation and re-encodes byte for byte, from the decode and from JSON', () => {
    for (const f of fixtures) {
      const where = `${f.family}/${f.name} (${f.meta.command})`;
      const dg = decodeDatagram(f.bytes, rtnetlink);
      expect(toHex(encodeDatagram(dg, rtnetlink)), where).toBe(toHex(f.bytes));
      const json = datagramToJSON(f.direction ? { ...dg, direction: f.direction } : dg, rtnetlink);
      expect(f.meta.expected, `${where}: run scripts/update-fixture-expectations.ts`).not.toBeNull();
      expect(json, where).toEqual(f.meta.expected);
      const back = datagramFromJSON(f.meta.expected, rtnetlink);
      expect(toHex(encodeDatagram(back, rtnetlink)), where).toBe(toHex(f.bytes));
    }
  });

  it('kernel replies need no kept raw bytes: the tables explain every byte', () => {
    const odd = fixtures.flatMap((f) => decodeDatagram(f.bytes, rtnetlink).messages
      .filter((m) => m.raw).map(() => `${f.family}/${f.name}`));
    expect(odd).toEqual([]);
  });
});

/** ifindex → name, from the link dumps recorded in the same namespace. */
function linkNames(): Map<number, string> {
  const names = new Map<number, string>();
  for (const f of fixtures.filter((x) => x.direction === '<')) {
    for (const m of decodeDatagram(f.bytes, rtnetlink).messages) {
      if (m.type === RTM_NEWLINK && m.attrs?.ifname) names.set(m.body!.index as number, m.attrs.ifname as string);
    }
  }
  return names;
}

/** iproute2's JSON `dst`: `default`, the address alone for a host route, or prefix/len. */
function ipDst(m: NlMsg): string {
  const dst = m.attrs!.dst as string | undefined;
  const len = m.body!.dstLen as number;
  if (!dst) return 'default';
  return len === (dst.includes(':') ? 128 : 32) ? dst : `${dst}/${len}`;
}

describe('agreement with ip -j recorded in the same namespace', () => {
  const names = linkNames();
  const routeReplies = fixtures.filter((f) => f.family === 'route' && f.direction === '<')
    .flatMap((f) => decodeDatagram(f.bytes, rtnetlink).messages
      .filter((m) => m.type === RTM_NEWROUTE).map((m) => ({ f, m })));

  it('route get: dst, gateway, prefsrc and dev equal `ip -j route get`', () => {
    const gets = routeReplies.filter(({ f }) => / route get /.test(f.meta.command) && !/fibmatch/.test(f.meta.command));
    expect(gets.length).toBeGreaterThan(10);
    for (const { f, m } of gets) {
      const ip = (f.meta.ip as Array<Record<string, unknown>>)[0]!;
      const where = f.meta.command;
      expect(m.attrs!.dst, where).toBe(ip.dst);
      expect(m.attrs!.gateway, where).toBe(ip.gateway);
      expect(m.attrs!.prefsrc, where).toBe(ip.prefsrc);
      expect(names.get(m.attrs!.oif as number), where).toBe(ip.dev);
    }
  });

  it('route dumps: every route iproute2 lists is in the dump with the same gateway, prefsrc and dev', () => {
    const dumps = routeReplies.filter(({ f }) => / route show/.test(f.meta.command));
    expect(dumps.length).toBeGreaterThan(10);
    let matched = 0;
    for (const { f, m } of dumps) {
      const ip = (f.meta.ip as Array<Record<string, unknown>>).filter((r) => r.dst === ipDst(m)
        && (r.table === undefined || Number(r.table) === (m.attrs!.table ?? m.body!.table) || r.table === 'main' || r.table === 'local'));
      if (ip.length !== 1) continue;
      const r = ip[0]!;
      expect(m.attrs!.gateway, f.meta.command).toBe(r.gateway);
      expect(m.attrs!.prefsrc, f.meta.command).toBe(r.prefsrc);
      if (r.dev !== undefined) expect(names.get(m.attrs!.oif as number), f.meta.command).toBe(r.dev);
      matched++;
    }
    expect(matched).toBeGreaterThan(10);
  });
});
