import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPcap, writePcap, type CapturedDatagram } from '../../src/capture/pcap.js';
import { readPcapng, readPcapngResult } from '../../src/capture/pcapng.js';
import { detectFormat, readCapture } from '../../src/capture/detect.js';
import { parseHexLines } from '../../src/capture/hexlines.js';
import { toHex } from '../../src/netlink/ip.js';
import { DecodeError, EncodeError } from '../../src/netlink/errors.js';
import { throwsDecodeError } from '../helpers/decode.js';
import { hasTool } from '../helpers/tools.js';

const FIX = new URL('../fixtures/', import.meta.url).pathname;
const PCAP = join(FIX, 'pcap');
const file = (name: string): Uint8Array => new Uint8Array(readFileSync(join(PCAP, name)));
const source = parseHexLines(readFileSync(join(PCAP, 'source.hex'), 'utf8'));

/** Every datagram of the cli and route fixtures, with its direction. */
function fixtureDatagrams(): Array<{ direction?: '>' | '<'; bytes: Uint8Array }> {
  const out: Array<{ direction?: '>' | '<'; bytes: Uint8Array }> = [];
  for (const dir of ['cli', 'route']) {
    for (const name of readdirSync(join(FIX, dir)).filter((n) => n.endsWith('.hex')).sort()) {
      for (const d of parseHexLines(readFileSync(join(FIX, dir, name), 'utf8'))) out.push(d);
    }
  }
  return out;
}

/** A pcapng block: type, length, body (padded), length; little-endian. */
function block(type: number, body: Uint8Array): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const len = 12 + padded;
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, true);
  v.setUint32(4, len, true);
  b.set(body, 8);
  v.setUint32(len - 4, len, true);
  return b;
}
function u32le(...xs: number[]): Uint8Array {
  const b = new Uint8Array(xs.length * 4);
  xs.forEach((x, i) => new DataView(b.buffer).setUint32(i * 4, x, true));
  return b;
}
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
const SHB = block(0x0a0d0d0a, concat(u32le(0x1a2b3c4d), new Uint8Array([1, 0, 0, 0]), u32le(0xffffffff, 0xffffffff)));
/** IDB with a link type, a snaplen and optionally if_tsresol. */
function idb(linktype: number, snaplen: number, tsresol?: number): Uint8Array {
  const head = new Uint8Array(8);
  new DataView(head.buffer).setUint16(0, linktype, true);
  new DataView(head.buffer).setUint32(4, snaplen, true);
  const opts = tsresol === undefined ? new Uint8Array(0)
    : concat(new Uint8Array([9, 0, 1, 0, tsresol, 0, 0, 0]), new Uint8Array(4));
  return block(1, concat(head, opts));
}
/** The cooked header plus a datagram. */
function cooked(pkttype: number, protocol: number, dg: Uint8Array): Uint8Array {
  const h = new Uint8Array(16);
  h[0] = pkttype >> 8; h[1] = pkttype & 0xff; h[2] = 0x03; h[3] = 0x38; h[14] = protocol >> 8; h[15] = protocol & 0xff;
  return concat(h, dg);
}
function epb(iface: number, tsHigh: number, tsLow: number, packet: Uint8Array): Uint8Array {
  return block(6, concat(u32le(iface, tsHigh, tsLow, packet.length, packet.length), packet));
}

describe('writePcap / readPcap', () => {
  const all = fixtureDatagrams();

  it('round-trips every cli and route fixture datagram', () => {
    expect(all.length).toBeGreaterThan(100);
    const input = all.map((d, i) => ({ ...d, time: 1714564800 + i * 0.25 }));
    const back = readPcap(writePcap(input));
    expect(back).toHaveLength(all.length);
    back.forEach((c, i) => {
      expect(toHex(c.bytes)).toBe(toHex(all[i]!.bytes));
      expect(c.direction).toBe(all[i]!.direction);
      expect(c.protocol).toBe(0);
      expect(c.index).toBe(i + 1);
      expect(c.time).toBeCloseTo(1714564800 + i * 0.25, 6);
    });
  });

  it('keeps other protocols and writes the cooked header libpcap does', () => {
    const dg = source[0]!.bytes;
    const buf = writePcap([{ direction: '>', protocol: 16, bytes: dg }, { direction: '<', protocol: 4, bytes: dg }, { bytes: dg }]);
    expect(toHex(buf.subarray(0, 24))).toBe('d4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000400' + 'fd000000');
    // Packet 1: PACKET_OUTGOING, ARPHRD_NETLINK, no address, NETLINK_GENERIC.
    expect(toHex(buf.subarray(40, 56))).toBe('00040338000000000000000000000010');
    const back = readPcap(buf);
    expect(back.map((c) => [c.protocol, c.direction])).toEqual([[16, '>'], [4, '<'], [0, '>']]);
  });

  it('refuses what it cannot write', () => {
    expect(() => writePcap([{ protocol: 70000, bytes: new Uint8Array(16) }])).toThrow(EncodeError);
    expect(() => writePcap([{ time: -1, bytes: new Uint8Array(16) }])).toThrow(EncodeError);
    expect(() => writePcap([{ bytes: new Uint8Array(300000) }])).toThrow(EncodeError);
  });
});

describe.runIf(hasTool('tshark'))('tshark reads what writePcap writes', () => {
  it('agrees on message types, lengths and route attribute types for every message', () => {
    const all = fixtureDatagrams();
    const dir = mkdtempSync(join(tmpdir(), 'nlwire-pcap-'));
    try {
      const path = join(dir, 'all.pcap');
      writeFileSync(path, writePcap(all));
      const out = execFileSync('tshark', [
        '-r', path, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,',
        '-e', 'frame.number', '-e', 'netlink.family', '-e', 'netlink.hdr_type', '-e', 'netlink-route.nltype', '-e', 'netlink.hdr_len',
        '-e', 'netlink-route.rta_attr_type', '-e', 'netlink.error',
      ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const rows = out.replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
      expect(rows).toHaveLength(all.length);
      let routeMessages = 0;
      rows.forEach((r, i) => {
        const want = expectedFields(all[i]!.bytes);
        routeMessages += want.routeMessages;
        expect({ frame: r[0], family: r[1], types: r[2], routeTypes: r[3], lens: r[4], rta: r[5], error: r[6] }).toEqual({
          frame: String(i + 1), family: '0x0000', types: want.types.map((t) => '0x' + t.toString(16).padStart(4, '0')).join(','), routeTypes: want.routeTypes.join(','),
          lens: want.lens.join(','),
          rta: want.rta.join(','), error: want.errors.join(','),
        });
      });
      expect(routeMessages).toBeGreaterThan(50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * What tshark 4.0 shows for a datagram: one netlink.hdr_len per message and one more for the
 * request an NLMSG_ERROR echoes; the type as netlink.hdr_type for control messages and echoed
 * headers, as netlink-route.nltype for rtnetlink messages; the top-level rta types of route
 * messages.
 */
function expectedFields(dg: Uint8Array): {
  types: number[]; routeTypes: number[]; lens: number[]; rta: number[]; errors: number[]; routeMessages: number;
} {
  const routeTypes: number[] = [];
  const v = new DataView(dg.buffer, dg.byteOffset, dg.byteLength);
  const types: number[] = [];
  const lens: number[] = [];
  const rta: number[] = [];
  const errors: number[] = [];
  let routeMessages = 0;
  let off = 0;
  while (dg.length - off >= 16) {
    const len = v.getUint32(off, true);
    if (len < 16) {
      // Trailing zero padding (iproute2's dump requests): tshark shows the length and stops.
      lens.push(len);
      break;
    }
    const type = v.getUint16(off + 4, true);
    (type < 16 ? types : routeTypes).push(type);
    lens.push(len);
    if (type === 2) {
      errors.push(v.getInt32(off + 16, true));
      types.push(v.getUint16(off + 24, true));
      lens.push(v.getUint32(off + 20, true));
    }
    if (type >= 24 && type <= 26) {
      routeMessages++;
      let a = off + 28;
      const end = off + len;
      while (end - a >= 4) {
        const alen = v.getUint16(a, true);
        if (alen < 4) break;
        rta.push(v.getUint16(a + 2, true) & 0x3fff);
        a += (alen + 3) & ~3;
      }
    }
    off += (len + 3) & ~3;
  }
  return { types, routeTypes, lens, rta, errors, routeMessages };
}

describe('files written by text2pcap, editcap and mergecap (test/fixtures/pcap/make.sh)', () => {
  const expectSource = (got: CapturedDatagram[], firstIndex = 1): void => {
    expect(got.map((c) => toHex(c.bytes))).toEqual(source.map((d) => toHex(d.bytes)));
    expect(got.map((c) => c.direction)).toEqual(source.map((d) => d.direction));
    expect(got.map((c) => c.protocol)).toEqual(source.map(() => 0));
    expect(got.map((c) => c.index)).toEqual(source.map((_, i) => i + firstIndex));
  };
  const times = [1714564801, 1714564802, 1714564803, 1714564804];

  it('microsecond pcap', () => {
    const got = readPcap(file('route-get.pcap'));
    expectSource(got);
    // text2pcap writes its local time; only the spacing is fixed.
    expect(got.map((c) => c.time! - got[0]!.time!)).toEqual(times.map((t) => t - times[0]!));
    expect(detectFormat(file('route-get.pcap'))).toBe('pcap');
  });

  it('nanosecond pcap (editcap -F nsecpcap)', () => {
    const bytes = file('route-get.nsec.pcap');
    expect(toHex(bytes.subarray(0, 4))).toBe('4d3cb2a1');
    const got = readPcap(bytes);
    expectSource(got);
    expect(got.map((c) => c.time)).toEqual(readPcap(file('route-get.pcap')).map((c) => c.time));
  });

  it('packet type 0xffff: direction from NLM_F_REQUEST', () => {
    const bytes = file('route-get-ffff.pcap');
    expect(toHex(bytes.subarray(40, 42))).toBe('ffff');
    expectSource(readPcap(bytes));
  });

  it('pcapng (editcap -F pcapng)', () => {
    const bytes = file('route-get.pcapng');
    expect(detectFormat(bytes)).toBe('pcapng');
    const got = readPcapng(bytes);
    expectSource(got);
    expect(got.map((c) => c.time)).toEqual(readPcap(file('route-get.pcap')).map((c) => c.time));
  });

  it('pcapng with an Ethernet interface merged in: its packet skipped and counted', () => {
    const r = readPcapngResult(file('mixed.pcapng'));
    expect(r.skipped).toEqual({ packets: 1, linkTypes: [1] });
    expectSource(r.datagrams, 2);
  });

  it('big-endian pcap, written by hand', () => {
    const dg = source[1]!.bytes;
    const head = new Uint8Array(24);
    const hv = new DataView(head.buffer);
    hv.setUint32(0, 0xa1b2c3d4);
    hv.setUint16(4, 2); hv.setUint16(6, 4); hv.setUint32(16, 65535); hv.setUint32(20, 253);
    const pkt = cooked(0, 0, dg);
    const rec = new Uint8Array(16);
    const rv = new DataView(rec.buffer);
    rv.setUint32(0, 1714564801); rv.setUint32(4, 500000); rv.setUint32(8, pkt.length); rv.setUint32(12, pkt.length);
    const bytes = concat(head, rec, pkt);
    expect(detectFormat(bytes)).toBe('pcap');
    expect(readPcap(bytes)).toEqual([{ direction: '<', protocol: 0, bytes: dg, time: 1714564801.5, index: 1 }]);
  });
});

describe('readPcapng: hand-made blocks', () => {
  const dg = source[0]!.bytes;

  it('reads SPBs (interface 0 snaplen), skips unknown blocks, honours if_tsresol', () => {
    const spb = (packet: Uint8Array): Uint8Array => block(3, concat(u32le(packet.length), packet));
    const bytes = concat(
      SHB,
      idb(253, 20, 3),                       // milliseconds; snaplen 20 cuts SPB data
      block(0x0bad, new Uint8Array([1, 2, 3, 4, 5])),
      idb(1, 0),
      spb(cooked(4, 0, dg)),
      epb(1, 0, 1, new Uint8Array(14)),      // Ethernet: skipped
      epb(0, 0, 1500, cooked(7, 9, dg)),     // PACKET_KERNEL, NETLINK_AUDIT
      block(5, u32le(0, 0, 0)),              // Interface Statistics: skipped
    );
    const r = readPcapngResult(bytes);
    expect(r.skipped).toEqual({ packets: 1, linkTypes: [1] });
    expect(r.datagrams).toEqual([
      { direction: '>', protocol: 0, bytes: dg.slice(0, 4), index: 1 },
      { direction: '>', protocol: 9, bytes: dg, time: 1.5, index: 3 },
    ]);
  });

  it('binary if_tsresol and a big-endian section after a little-endian one', () => {
    const be = (b: Uint8Array, words: number[]): Uint8Array => {
      const c = b.slice();
      const v = new DataView(c.buffer);
      for (const w of words) v.setUint32(w, new DataView(b.buffer).getUint32(w, true));
      return c;
    };
    const shbBE = be(SHB, [0, 4, 8, 24]);
    // IDB: link type u16 + reserved, snaplen; option header is two u16s.
    const idbLE = idb(253, 0, 0x80 | 10);
    const idbBE = idbLE.slice();
    const iv = new DataView(idbBE.buffer);
    iv.setUint32(0, 1); iv.setUint32(4, idbLE.length); iv.setUint32(idbLE.length - 4, idbLE.length);
    iv.setUint16(8, 253); iv.setUint32(12, 0); iv.setUint16(16, 9); iv.setUint16(18, 1);
    const pkt = cooked(6, 0, dg);
    const epbBE = epb(0, 0, 3072, pkt);
    const ev = new DataView(epbBE.buffer);
    for (const w of [0, 4, 8, 12, 16, 20, 24, epbBE.length - 4]) ev.setUint32(w, new DataView(epbBE.buffer).getUint32(w, true));
    const got = readPcapng(concat(SHB, idb(253, 0), epb(0, 0, 2_000_000, cooked(4, 0, dg)), shbBE, idbBE, epbBE));
    expect(got.map((c) => [c.direction, c.time, c.index])).toEqual([['>', 2, 1], ['<', 3, 2]]);
  });
});

describe('bad input: DecodeError with path and offset', () => {
  const good = file('route-get.pcap');
  const goodng = file('route-get.pcapng');
  const patch = (b: Uint8Array, at: number, ...vals: number[]): Uint8Array => {
    const c = b.slice();
    vals.forEach((x, i) => new DataView(c.buffer).setUint32(at + 4 * i, x, true));
    return c;
  };

  it('pcap', () => {
    const cases: Array<[Uint8Array, string, number, RegExp]> = [
      [new Uint8Array(0), 'pcap:header', 0, /empty file/],
      [good.slice(0, 10), 'pcap:header', 10, /truncated global header/],
      [patch(good, 0, 0x12345678), 'pcap:header', 0, /not a pcap file/],
      [patch(good, 20, 1), 'pcap:header', 20, /^link type 1 is not LINKTYPE_NETLINK \(253\)$/],
      [good.slice(0, 24 + 10), 'pcap:packet 1', 24, /truncated record header/],
      [good.slice(0, good.length - 1), 'pcap:packet 4', 24 + 16 + 52 + 16 + 152 + 16 + 68 + 8, /past the end/],
      [patch(good, 16, 40), 'pcap:packet 1', 32, /incl_len 52 exceeds the snaplen 40/],
      [patch(good, 24 + 8, 10, 10), 'pcap:packet 1', 40, /shorter than the 16-byte/],
    ];
    for (const [bytes, path, offset, detail] of cases) {
      const e = throwsDecodeError(() => readPcap(bytes));
      expect({ path: e.path, offset: e.offset }).toEqual({ path, offset });
      expect(e.detail).toMatch(detail);
    }
    expect(readPcap(good.slice(0, 24))).toEqual([]);
  });

  it('pcapng', () => {
    const shbLen = new DataView(goodng.buffer, goodng.byteOffset).getUint32(4, true);
    const cases: Array<[Uint8Array, string, number, RegExp]> = [
      [new Uint8Array(0), 'pcapng:block 1', 0, /empty file/],
      [goodng.slice(0, 8), 'pcapng:block 1', 0, /truncated block header/],
      [patch(goodng, 4, shbLen + 2), 'pcapng:block 1', 4, /not a multiple of 4/],
      [patch(goodng, 4, shbLen + 4), 'pcapng:block 1', shbLen, /block lengths disagree/],
      [patch(goodng, 8, 0x11111111), 'pcapng:block 1', 8, /byte-order magic/],
      [concat(idb(253, 0)), 'pcapng:block 1', 0, /not a pcapng file/],
      [concat(SHB, epb(0, 0, 0, cooked(4, 0, source[0]!.bytes))), 'pcapng:block 2', 36, /interface 0/],
      [concat(SHB, idb(253, 0), block(3, u32le(0))), 'pcapng:block 3', 60, /shorter than the 16-byte/],
      [concat(SHB, idb(253, 0), block(6, u32le(0, 0, 0, 100, 100))), 'pcapng:block 3', 68, /runs past the block/],
      // SHB, IDB, then one EPB per datagram: the last one is cut.
      [goodng.slice(0, goodng.length - 4), 'pcapng:block 6', 0, /past the end/],
    ];
    for (const [bytes, path, offset, detail] of cases) {
      const e = throwsDecodeError(() => readPcapng(bytes));
      expect(e.path).toBe(path);
      if (offset) expect(e.offset).toBe(offset);
      expect(e.detail).toMatch(detail);
    }
  });

  const onlyDecodeErrors = (read: (b: Uint8Array) => unknown) => (b: Uint8Array): void => {
    try {
      read(b);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
  };
  const mutated = (base: Uint8Array) => fc.tuple(
    fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
    fc.nat(base.length),
  ).map(([edits, cut]) => {
    const b = base.slice(0, Math.max(cut, 1));
    for (const [at, v] of edits) if (at < b.length) b[at] = v;
    return b;
  });

  it('random bytes raise only DecodeError (2000 runs each)', () => {
    for (const read of [readPcap, readPcapng, (b: Uint8Array) => readCapture(b)]) {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), onlyDecodeErrors(read)), { seed: 253, numRuns: 2000 });
    }
  });

  it('mutated real pcap and pcapng files raise only DecodeError (2000 runs each)', () => {
    fc.assert(fc.property(mutated(good), onlyDecodeErrors(readPcap)), { seed: 824, numRuns: 2000 });
    fc.assert(fc.property(mutated(goodng), onlyDecodeErrors(readPcapng)), { seed: 824, numRuns: 2000 });
    fc.assert(fc.property(mutated(file('mixed.pcapng')), onlyDecodeErrors(readCapture)), { seed: 825, numRuns: 2000 });
  });
});

describe('detectFormat / readCapture', () => {
  it('tells the formats apart and dispatches', () => {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    const hex = readFileSync(join(PCAP, 'source.hex'));
    expect(detectFormat(hex)).toBe('hex');
    const fromHex = readCapture(hex);
    expect(fromHex.map((c) => [c.direction, c.protocol, c.index, toHex(c.bytes)]))
      .toEqual(source.map((d, i) => [d.direction, 0, i + 1, toHex(d.bytes)]));
    const strace = enc([
      '100 socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3',
      `100 sendto(3, "${[...source[0]!.bytes].map((b) => '\\x' + b.toString(16).padStart(2, '0')).join('')}", ${source[0]!.bytes.length}, 0, NULL, 0) = ${source[0]!.bytes.length}`,
      '',
    ].join('\n'));
    expect(detectFormat(strace)).toBe('strace');
    const got = readCapture(strace);
    expect(got.map((c) => [c.direction, c.protocol, c.index, toHex(c.bytes)])).toEqual([['>', 0, 1, toHex(source[0]!.bytes)]]);
    expect(readCapture(file('route-get.pcap'), 'auto')).toEqual(readPcap(file('route-get.pcap')));
    expect(readCapture(file('route-get.pcapng'))).toEqual(readPcapng(file('route-get.pcapng')));
    expect(() => readCapture(file('route-get.pcapng'), 'pcap')).toThrow(DecodeError);
    expect(detectFormat(new Uint8Array(0))).toBe('hex');
  });
});
