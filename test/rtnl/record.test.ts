/**
 * pcapRecorder: a client's traffic, recorded in a private namespace (created and deleted
 * here), read back with readPcap and with Wireshark's own dissector (tshark -r).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, netnsUnavailableReason, type Netns } from '../helpers/netns.js';
import { Rtnl } from '../../src/rtnl/client.js';
import { pcapRecorder } from '../../src/rtnl/record.js';
import { readPcap, writePcap } from '../../src/capture/pcap.js';
import { decodeDatagram, typeName } from '../../src/netlink/message.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import { NetlinkError } from '../../src/netlink/errors.js';
import { hasTool } from '../helpers/tools.js';

const unavailable = netnsUnavailableReason();

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nlwire-record-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('pcapRecorder without a kernel', () => {
  it('writes the global header at once, one record per datagram, and chains the tap', () => {
    const path = join(dir, 'unit.pcap');
    const seen: string[] = [];
    const rec = pcapRecorder(path, { tap: (d, b) => seen.push(`${d}${b.length}`) });
    expect(statSync(path).size).toBe(24);
    const req = Uint8Array.from([20, 0, 0, 0, 3, 0, 1, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const t0 = Date.now() / 1000;
    rec.onDatagram('>', req);
    rec.onDatagram('<', req.subarray(0, 16));
    expect(rec.count).toBe(2);
    expect(seen).toEqual(['>20', '<16']);
    // Streamed: on disk before close.
    expect(statSync(path).size).toBe(24 + (16 + 16 + 20) + (16 + 16 + 16));
    rec.close();
    rec.close();
    rec.onDatagram('>', req);
    expect(rec.count).toBe(2);
    expect(seen).toHaveLength(3);
    const file = new Uint8Array(readFileSync(path));
    const got = readPcap(file);
    expect(got.map((d) => [d.index, d.direction, d.protocol, d.bytes])).toEqual([
      [1, '>', 0, req], [2, '<', 0, req.subarray(0, 16)],
    ]);
    for (const d of got) expect(Math.abs(d.time! - t0)).toBeLessThan(5);
    // The same bytes writePcap gives for the same datagrams and times.
    expect(file).toEqual(writePcap(got.map((d) => ({ direction: d.direction, bytes: d.bytes, time: d.time }))));
  });

  it('a file that cannot be created throws; a failed write stops the recording, not the traffic', () => {
    expect(() => pcapRecorder(join(dir, 'no', 'such', 'dir.pcap'))).toThrow(/ENOENT/);
    const errors: Error[] = [];
    let passed = 0;
    const rec = pcapRecorder(join(dir, 'big.pcap'), { tap: () => passed++, onError: (e) => errors.push(e) });
    rec.onDatagram('>', new Uint8Array(300000));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/datagram of 300000 bytes exceeds the snaplen 262144$/);
    rec.onDatagram('>', new Uint8Array(16));
    expect(passed).toBe(2);
    expect(rec.count).toBe(0);
    rec.close();
  });
});

describe.skipIf(unavailable !== null)(`pcapRecorder on a client in a private namespace${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let ns: Netns;
  let path: string;

  beforeAll(async () => {
    ns = await createNetns('nlwire-record');
    path = join(dir, 'trace.pcap');
    const rec = pcapRecorder(path);
    const nl = await Rtnl.open({ netns: ns.name, onDatagram: rec.onDatagram });
    try {
      await nl.route.get({ dst: '127.0.0.1' });
      const sizeAfterGet = statSync(path).size;
      expect(sizeAfterGet).toBeGreaterThan(24);
      const err = await nl.route.add({ dst: '203.0.113.0/24', gateway: '192.0.2.77' }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(NetlinkError);
      expect((err as NetlinkError).code).toBe('ENETUNREACH');
    } finally {
      nl.close();
      rec.close();
      ns.destroy();
    }
  });

  /** Each datagram of the file: direction, seq, and its messages' types (errno for errors). */
  function rows(): { direction?: string; seq: number; types: string[] }[] {
    return readPcap(new Uint8Array(readFileSync(path))).map((d) => {
      const dg = decodeDatagram(d.bytes, rtnetlink);
      return {
        ...(d.direction ? { direction: d.direction } : {}),
        seq: dg.messages[0]!.seq,
        types: dg.messages.map((m) => (m.type === 2 ? `NLMSG_ERROR ${m.errno} for ${typeName(m.request!.type, rtnetlink)}` : typeName(m.type, rtnetlink))),
      };
    });
  }

  it('holds the requests and replies in order, with their directions', () => {
    const r = rows();
    // Requests go out ('>', NLM_F_REQUEST), replies come back with the request's sequence.
    for (const [i, x] of r.entries()) {
      if (x.direction === '>') continue;
      expect(x.direction, `datagram ${i + 1}`).toBe('<');
      const req = r.slice(0, i).reverse().find((y) => y.direction === '>' && y.seq === x.seq);
      expect(req, `datagram ${i + 1}: its request comes first`).toBeDefined();
    }
    const route = r.filter((x) => x.types.some((t) => /ROUTE/.test(t)));
    expect(route).toEqual([
      { direction: '>', seq: route[0]!.seq, types: ['RTM_GETROUTE'] },
      // A GET asks for no ACK (as `ip route get`): the kernel always answers it.
      { direction: '<', seq: route[0]!.seq, types: ['RTM_NEWROUTE'] },
      { direction: '>', seq: route[2]!.seq, types: ['RTM_NEWROUTE'] },
      { direction: '<', seq: route[2]!.seq, types: ['NLMSG_ERROR -101 for RTM_NEWROUTE'] },
    ]);
    // The route get's output interface (lo) was looked up between the two.
    expect(r.flatMap((x) => x.types)).toContain('RTM_GETLINK');
    const times = readPcap(new Uint8Array(readFileSync(path))).map((d) => d.time!);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it.runIf(hasTool('tshark', 'the tshark half of the recorder test'))('tshark decodes the same messages, directions and errno', () => {
    const out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=f',
      '-e', 'frame.number', '-e', 'netlink.hdr_type', '-e', 'netlink-route.nltype', '-e', 'netlink.hdr_flags.request',
      '-e', 'netlink.error', '-e', 'netlink.hdr_seq'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const frames = out.replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
    const r = rows();
    expect(frames).toHaveLength(r.length);
    const names: Record<string, string> = { 16: 'RTM_NEWLINK', 18: 'RTM_GETLINK', 24: 'RTM_NEWROUTE', 26: 'RTM_GETROUTE' };
    frames.forEach(([n, ctl, nltype, request, errno, seq], i) => {
      const want = r[i]!;
      expect(n).toBe(String(i + 1));
      expect(request, `frame ${n}`).toBe(want.direction === '>' ? '1' : '0');
      expect(Number(seq), `frame ${n}`).toBe(want.seq);
      const first = want.types[0]!;
      if (first.startsWith('NLMSG_ERROR')) {
        expect(ctl, `frame ${n}`).toBe('0x0002');
        expect(first, `frame ${n}`).toMatch(new RegExp(`^NLMSG_ERROR ${errno} for `));
      } else {
        expect(names[nltype!], `frame ${n}`).toBe(first);
      }
    });
    // And in Wireshark's own words.
    const text = execFileSync('tshark', ['-r', path, '-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const kinds = [...text.matchAll(/Message type: (.*?) \((\d+)\)/g)].map((m) => m[1]);
    expect(kinds).toContain('Get network route');
    expect(kinds).toContain('Add network route');
    expect(text).toMatch(/Error code: Network is unreachable \(-ENETUNREACH\) \(-101\)/);
  });
});
