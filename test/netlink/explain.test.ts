import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { explainDatagram, formatExplain, type ExplainRow } from '../../src/netlink/explain.js';
import { encodeDatagram, type NlMsg } from '../../src/netlink/message.js';
import { DecodeError } from '../../src/netlink/errors.js';
import { toHex } from '../../src/netlink/ip.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import { RTM_NEWROUTE } from '../../src/rtnl/route.js';
import { parseHexLines, type HexDatagram } from '../../src/capture/hexlines.js';
import { annotated } from '../helpers/annotated.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

function hexFile(rel: string): HexDatagram[] {
  return parseHexLines(readFileSync(join(FIXTURES, rel), 'utf8'));
}

/** Every .hex fixture of the families the explain view knows, plus the CLI captures. */
function allFixtures(): Array<[string, Uint8Array]> {
  const out: Array<[string, Uint8Array]> = [];
  for (const f of ['cli/route-get.hex', 'cli/add-bad-prefsrc.hex']) {
    hexFile(f).forEach((d, i) => out.push([`${f}#${i}`, d.bytes]));
  }
  for (const dir of ['route', 'error', 'link', 'addr', 'rule', 'neigh', 'monitor']) {
    const p = join(FIXTURES, dir);
    if (!existsSync(p)) continue;
    for (const f of readdirSync(p).filter((n) => n.endsWith('.hex')).sort()) {
      hexFile(`${dir}/${f}`).forEach((d, i) => out.push([`${dir}/${f}#${i}`, d.bytes]));
    }
  }
  return out;
}

/** The rows cover the datagram exactly: contiguous, non-empty, in order, same bytes. */
function expectTiles(rows: ExplainRow[], bytes: Uint8Array): void {
  let at = 0;
  for (const r of rows) {
    expect(r.offset, `${r.field} at ${r.offset}`).toBe(at);
    expect(r.length).toBeGreaterThan(0);
    expect(r.bytes).toBe(toHex(bytes, r.offset, r.offset + r.length));
    at += r.length;
  }
  expect(at).toBe(bytes.length);
  expect(rows.map((r) => r.bytes).join('')).toBe(toHex(bytes));
}

function rowAt(rows: ExplainRow[], offset: number): ExplainRow {
  const r = rows.find((x) => x.offset === offset);
  if (!r) throw new Error(`no row at ${offset}`);
  return r;
}

function rowNamed(rows: ExplainRow[], field: string): ExplainRow {
  const r = rows.find((x) => x.field === field);
  if (!r) throw new Error(`no row ${field}`);
  return r;
}

const [getRequest, getReply] = hexFile('cli/route-get.hex').map((d) => d.bytes) as [Uint8Array, Uint8Array];
const [addRequest, addError] = hexFile('cli/add-bad-prefsrc.hex').map((d) => d.bytes) as [Uint8Array, Uint8Array];

describe('explainDatagram on captures', () => {
  it('tiles every fixture datagram exactly', () => {
    const all = allFixtures();
    expect(all.length).toBeGreaterThan(3);
    for (const [name, bytes] of all) {
      const rows = explainDatagram(bytes, rtnetlink);
      try {
        expectTiles(rows, bytes);
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`);
      }
    }
  });

  it('explains no byte of a captured route message as unknown', () => {
    for (const [name, bytes] of allFixtures().filter(([n]) => n.startsWith('route/') || n.startsWith('cli/'))) {
      const bad = explainDatagram(bytes, rtnetlink).filter((r) => r.kind === 'unknown' && !/RTM_|message type/.test(r.value));
      expect(bad, name).toEqual([]);
    }
  });

  it('names the nlmsghdr fields and the rtmsg fields of the route get request', () => {
    const rows = explainDatagram(getRequest, rtnetlink);
    expect(rowAt(rows, 0)).toMatchObject({ field: 'nlmsghdr.nlmsg_len', value: '36', kind: 'header', depth: 0 });
    expect(rowAt(rows, 4)).toMatchObject({ field: 'nlmsghdr.nlmsg_type', value: '26 RTM_GETROUTE' });
    expect(rowAt(rows, 6)).toMatchObject({ field: 'nlmsghdr.nlmsg_flags', value: '0x0001 REQUEST' });
    expect(rowAt(rows, 16)).toMatchObject({ field: 'rtmsg.rtm_family', value: '2 AF_INET', kind: 'field' });
    expect(rowAt(rows, 17)).toMatchObject({ field: 'rtmsg.rtm_dst_len', value: '32' });
    expect(rowAt(rows, 24)).toMatchObject({ field: 'rtmsg.rtm_flags', value: '0x00001000 lookup_table' });
    expect(rowAt(rows, 28)).toMatchObject({ field: 'RTA_DST.nla_len', value: '8', kind: 'attr-header' });
    expect(rowAt(rows, 30)).toMatchObject({ field: 'RTA_DST.nla_type', value: '1', kind: 'attr-header' });
    expect(rowAt(rows, 32).value).toMatch(/^203\.0\.113\.5 /);
  });

  it('reads the route get request as a learner would (reviewed against struct nlmsghdr, rtmsg, rtattr)', () => {
    expect(formatExplain(explainDatagram(getRequest, rtnetlink))).toBe(
`offset     bytes                    field                 value
0x0000  0  24 00 00 00              nlmsghdr.nlmsg_len    36
0x0004  4  1a 00                    nlmsghdr.nlmsg_type   26 RTM_GETROUTE
0x0006  6  01 00                    nlmsghdr.nlmsg_flags  0x0001 REQUEST
0x0008  8  c6 e6 09 6b              nlmsghdr.nlmsg_seq    1795811014
0x000c 12  00 00 00 00              nlmsghdr.nlmsg_pid    0
0x0010 16  02                       rtmsg.rtm_family      2 AF_INET
0x0011 17  20                       rtmsg.rtm_dst_len     32
0x0012 18  00                       rtmsg.rtm_src_len     0
0x0013 19  00                       rtmsg.rtm_tos         0
0x0014 20  00                       rtmsg.rtm_table       0 unspec
0x0015 21  00                       rtmsg.rtm_protocol    0 unspec
0x0016 22  00                       rtmsg.rtm_scope       0 global
0x0017 23  00                       rtmsg.rtm_type        0 none
0x0018 24  00 10 00 00              rtmsg.rtm_flags       0x00001000 lookup_table
0x001c 28  08 00                    RTA_DST.nla_len       8
0x001e 30  01 00                    RTA_DST.nla_type      1
0x0020 32  cb 00 71 05              RTA_DST               203.0.113.5 (destination prefix; its length is rtm_dst_len)
`);
  });

  it('explains the route get reply: prefsrc, table, metrics nested, cacheinfo field by field', () => {
    const rows = explainDatagram(getReply, rtnetlink);
    expect(rowAt(rows, 6).value).toBe('0x0000');
    expect(rowAt(rows, 20)).toMatchObject({ field: 'rtmsg.rtm_table', value: '254 main' });
    expect(rowAt(rows, 24)).toMatchObject({ field: 'rtmsg.rtm_flags', value: '0x00000200 cloned' });
    expect(rowAt(rows, 52)).toMatchObject({ field: 'RTA_PREFSRC.nla_len', value: '8' });
    expect(rowAt(rows, 54)).toMatchObject({ field: 'RTA_PREFSRC.nla_type', value: '7' });
    expect(rowAt(rows, 56)).toMatchObject({
      field: 'RTA_PREFSRC', value: '192.0.2.10 (the preferred source address: iproute2\'s "src")', depth: 0, kind: 'field',
    });
    expect(rowAt(rows, 32).value).toMatch(/^254 main /);
    expect(rowAt(rows, 70).value).toMatch(/^8 \(per-route metrics/);
    expect(rowAt(rows, 72)).toMatchObject({ field: 'RTAX_MTU.nla_len', depth: 1 });
    expect(rowAt(rows, 76)).toMatchObject({ field: 'RTAX_MTU', depth: 1, bytes: '78050000' });
    expect(rowAt(rows, 76).value).toMatch(/^1400 /);
    expect(rowAt(rows, 84).value).toMatch(/^"cubic" /);
    expect(rowAt(rows, 90)).toMatchObject({ field: 'padding', kind: 'padding', length: 2, depth: 1 });
    expect(rowAt(rows, 104)).toMatchObject({ field: 'rta_cacheinfo.rta_clntref', value: '2', depth: 1 });
    expect(rowNamed(rows, 'rta_cacheinfo.rta_tsage').offset).toBe(132);
  });

  it('explains NLMSG_ERROR: errno, the echoed request one level down, the ext-ack message', () => {
    const rows = explainDatagram(addError, rtnetlink);
    expectTiles(rows, addError);
    expect(rowAt(rows, 4).value).toBe('2 NLMSG_ERROR');
    expect(rowAt(rows, 6).value).toBe('0x0200 ACK_TLVS');
    expect(rowAt(rows, 16)).toMatchObject({ field: 'nlmsgerr.error', value: '-22 EINVAL Invalid argument' });
    expect(rowAt(rows, 20)).toMatchObject({ field: 'nlmsghdr.nlmsg_len', value: '52', depth: 1 });
    expect(rowAt(rows, 26)).toMatchObject({ field: 'nlmsghdr.nlmsg_flags', value: '0x0605 REQUEST|ACK|EXCL|CREATE', depth: 1 });
    expect(rowAt(rows, 60)).toMatchObject({ field: 'RTA_PREFSRC', depth: 1 });
    expect(rowAt(rows, 60).value).toMatch(/^203\.0\.113\.77 /);
    expect(rowAt(rows, 76)).toMatchObject({ field: 'NLMSGERR_ATTR_MSG', depth: 0 });
    expect(rowAt(rows, 76).value).toMatch(/^"Invalid prefsrc address"/);
    // The echo is the request byte for byte.
    expect(rows.filter((r) => r.depth === 1).map((r) => r.bytes).join('')).toBe(toHex(addRequest));
  });

  it('resolves NLMSGERR_ATTR_OFFS to the attribute of the echoed request', () => {
    const withOffs = new Uint8Array(addError.length + 8);
    withOffs.set(addError);
    withOffs.set(annotated('0800 0200 24000000  # NLMSGERR_ATTR_OFFS 36'), addError.length);
    new DataView(withOffs.buffer).setUint32(0, withOffs.length, true);
    const rows = explainDatagram(withOffs, rtnetlink);
    expectTiles(rows, withOffs);
    const r = rowNamed(rows, 'NLMSGERR_ATTR_OFFS');
    expect(r.offset).toBe(104);
    expect(r.value).toMatch(/^36 → RTA_PREFSRC /);
  });

  it('explains a capped ACK: header only, with its original nlmsg_len', () => {
    const ack = annotated(`
      24000000 0200 0001 01000000 2a000000   # NLMSG_ERROR, NLM_F_CAPPED, 36 bytes
      00000000                               # error 0
      34000000 1800 0506 01000000 00000000   # the request's nlmsghdr: it was 52 bytes
    `);
    const rows = explainDatagram(ack, rtnetlink);
    expectTiles(rows, ack);
    expect(rowAt(rows, 6).value).toBe('0x0100 CAPPED');
    expect(rowAt(rows, 16).value).toBe('0 (success: an ACK)');
    expect(rowAt(rows, 20)).toMatchObject({ field: 'nlmsghdr.nlmsg_len', depth: 1 });
    expect(rowAt(rows, 20).value).toMatch(/^52 .*NLM_F_CAPPED/);
  });

  it('explains NLMSG_DONE errno and trailing zero padding', () => {
    const done = annotated(`
      14000000 0300 0200 05000000 00000000   # NLMSG_DONE, MULTI
      f0ffffff                               # -16 EBUSY
      00000000 00000000                      # trailing zeros
    `);
    const rows = explainDatagram(done, rtnetlink);
    expectTiles(rows, done);
    expect(rowAt(rows, 16).value).toMatch(/^-16 EBUSY /);
    expect(rowAt(rows, 20)).toMatchObject({ field: 'trailing', kind: 'trailing' });
    expect(rowAt(rows, 20).value).toMatch(/zero padding/);
  });
});

describe('explainDatagram on built messages', () => {
  it('explains RTA_MULTIPATH: each rtnexthop field by field, then its attributes', () => {
    const msg: NlMsg = {
      type: RTM_NEWROUTE, flags: 0x605, seq: 1, pid: 0,
      body: { family: 2, dstLen: 24, srcLen: 0, tos: 0, table: 254, protocol: 3, scope: 0, type: 1, flags: 0 },
      attrs: {
        dst: '198.51.100.0',
        multipath: [
          { flags: 0, hops: 1, ifindex: 3, attrs: { gateway: '192.0.2.1' } },
          { flags: 4, hops: 0, ifindex: 4, attrs: { gateway: '192.0.2.2' } },
        ],
      },
    };
    const bytes = encodeDatagram({ messages: [msg] }, rtnetlink);
    const rows = explainDatagram(bytes, rtnetlink);
    expectTiles(rows, bytes);
    const mp = rowNamed(rows, 'RTA_MULTIPATH.nla_type');
    expect(mp.value).toMatch(/^9 \(next hops/);
    const hop0 = mp.offset + 2;
    expect(rowAt(rows, hop0)).toMatchObject({ field: 'rtnexthop[0].rtnh_len', depth: 1 });
    expect(rowAt(rows, hop0).value).toMatch(/^16 /);
    expect(rowAt(rows, hop0 + 2)).toMatchObject({ field: 'rtnexthop[0].rtnh_flags', value: '0x00' });
    expect(rowAt(rows, hop0 + 3)).toMatchObject({ field: 'rtnexthop[0].rtnh_hops', value: '1 (weight 2)' });
    expect(rowAt(rows, hop0 + 4)).toMatchObject({ field: 'rtnexthop[0].rtnh_ifindex', value: '3' });
    expect(rowAt(rows, hop0 + 12)).toMatchObject({ field: 'RTA_GATEWAY', depth: 2 });
    expect(rowAt(rows, hop0 + 12).value).toMatch(/^192\.0\.2\.1 /);
    expect(rowAt(rows, hop0 + 18)).toMatchObject({ field: 'rtnexthop[1].rtnh_flags', value: '0x04 onlink' });
    expect(rowAt(rows, hop0 + 28).value).toMatch(/^192\.0\.2\.2 /);
  });

  it('explains RTA_VIA as struct rtvia', () => {
    const msg: NlMsg = {
      type: RTM_NEWROUTE, flags: 0x605, seq: 1, pid: 0,
      body: { family: 2, dstLen: 24, srcLen: 0, tos: 0, table: 254, protocol: 3, scope: 0, type: 1, flags: 0 },
      attrs: { via: { family: 10, addr: '2001:db8::1' } },
    };
    const bytes = encodeDatagram({ messages: [msg] }, rtnetlink);
    const rows = explainDatagram(bytes, rtnetlink);
    expectTiles(rows, bytes);
    expect(rowAt(rows, 32)).toMatchObject({ field: 'rtvia.rtvia_family', value: '10 AF_INET6', depth: 1 });
    expect(rowAt(rows, 34)).toMatchObject({ field: 'rtvia.rtvia_addr', value: '2001:db8::1', depth: 1 });
  });

  it('shows unknown attributes, flag bits and wrong-size payloads without losing a byte', () => {
    const bytes = annotated(`
      38000000 1800 0000 01000000 00000000   # RTM_NEWROUTE, 56 bytes
      02 20 00 00 fe 00 00 01 00000000       # rtmsg
      0700 6300 010203 00                    # type 99, 3 bytes + 1 padding
      0c00 0880 0800 0200 dc050000           # RTA_METRICS with NLA_F_NESTED: RTAX_MTU 1500
      0500 0700 c0000201 000000              # RTA_PREFSRC of 1 byte too many, padding
    `);
    const rows = explainDatagram(bytes, rtnetlink);
    expectTiles(rows, bytes);
    expect(rowAt(rows, 32)).toMatchObject({ field: 'RTA_99', kind: 'unknown', value: 'unknown attribute 99 (RTA_99)', bytes: '010203' });
    expect(rowAt(rows, 35)).toMatchObject({ field: 'padding', kind: 'padding' });
    expect(rowAt(rows, 38).value).toMatch(/^8 \| NLA_F_NESTED \(0x8008\)/);
    expect(rowAt(rows, 44)).toMatchObject({ field: 'RTAX_MTU', depth: 1 });
    expect(rowAt(rows, 52)).toMatchObject({ field: 'RTA_PREFSRC', kind: 'unknown', value: 'RTA_PREFSRC payload is 1 bytes, expected 4 or 16' });
  });

  it('ends with an unknown row when a message cannot be framed', () => {
    const bytes = annotated(`
      14000000 0300 0200 05000000 00000000 00000000   # NLMSG_DONE
      ff000000 1800 0000 01000000 00000000             # nlmsg_len 255: past the end
    `);
    const rows = explainDatagram(bytes, rtnetlink);
    expectTiles(rows, bytes);
    const last = rows[rows.length - 1]!;
    expect(last).toMatchObject({ offset: 20, kind: 'unknown' });
    expect(last.value).toMatch(/nlmsg_len 255 runs past the end/);
  });

  it('works without a protocol: nlmsghdr and control messages only', () => {
    const rows = explainDatagram(getReply);
    expectTiles(rows, getReply);
    expect(rowAt(rows, 4).value).toBe('24');
    expect(rowAt(rows, 16)).toMatchObject({ field: 'payload', kind: 'unknown' });
  });
});

describe('explainDatagram on random input', () => {
  const explainOrDecodeError = (b: Uint8Array): void => {
    let rows: ExplainRow[];
    try {
      rows = explainDatagram(b, rtnetlink);
    } catch (e) {
      expect(e).toBeInstanceOf(DecodeError);
      return;
    }
    expectTiles(rows, b);
  };

  it('tiles random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), explainOrDecodeError), { numRuns: 500 });
  });

  it('tiles random bytes behind a plausible nlmsghdr', () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.constantFrom(2, 3, 24, 25, 26, 99),
      fc.integer({ min: 0, max: 0xffff }),
      (body, type, flags) => {
        const b = new Uint8Array(16 + body.length);
        const v = new DataView(b.buffer);
        v.setUint32(0, b.length, true);
        v.setUint16(4, type, true);
        v.setUint16(6, flags, true);
        b.set(body, 16);
        explainOrDecodeError(b);
      },
    ), { numRuns: 500 });
  });

  it('tiles mutated captures', () => {
    const seeds = allFixtures().map(([, b]) => b).filter((b) => b.length < 600);
    fc.assert(fc.property(
      fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.nat(),
      (seed, edits, cut) => {
        const b = seed.slice(0, seed.length - (cut % 8));
        for (const [at, x] of edits) if (b.length) b[at % b.length] = x;
        explainOrDecodeError(b);
      },
    ), { numRuns: 1000 });
  });
});

describe('formatExplain', () => {
  it('continues long ranges on lines of eight bytes and indents by depth', () => {
    const text = formatExplain(explainDatagram(addError, rtnetlink));
    const lines = text.split('\n');
    const msg = lines.findIndex((l) => l.includes('NLMSGERR_ATTR_MSG  '));
    expect(lines[msg]).toMatch(/^0x004c 76 {2}49 6e 76 61 6c 69 64 20 {2}NLMSGERR_ATTR_MSG {2,}"Invalid prefsrc address"/);
    expect(lines[msg + 1]).toBe('0x0054 84  70 72 65 66 73 72 63 20');
    expect(lines.find((l) => l.startsWith('0x003c'))).toMatch(/ {2}RTA_PREFSRC {2,}203\.0\.113\.77/);
  });
});

describe('nlwire explain', () => {
  const io = (stdin = '') => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out, err,
      io: { readStdin: async () => stdin, stdout: (t: string) => { out.push(t); }, stderr: (t: string) => { err.push(t); } },
    };
  };

  it('explains a file with a heading per datagram', async () => {
    const { explainCommand } = await import('../../src/cli/explain.js');
    const t = io();
    expect(await explainCommand([join(FIXTURES, 'cli/route-get.hex')], t.io)).toBe(0);
    const text = t.out.join('');
    expect(text).toMatch(/^datagram 1 \(to the kernel, 36 bytes\)\n/);
    expect(text).toContain('\ndatagram 2 (from the kernel, 136 bytes)\n');
    expect(text).toContain(formatExplain(explainDatagram(getReply, rtnetlink)));
  });

  it('takes hex as arguments or stdin, and prints JSON with --json', async () => {
    const { explainCommand } = await import('../../src/cli/explain.js');
    const t = io();
    expect(await explainCommand(['>', toHex(getRequest).slice(0, 40), toHex(getRequest).slice(40)], t.io)).toBe(0);
    expect(t.out.join('')).toBe(`datagram 1 (to the kernel, 36 bytes)\n${formatExplain(explainDatagram(getRequest, rtnetlink))}`);
    const s = io(`# comment\n< ${toHex(addError)}\n`);
    expect(await explainCommand(['--json', '-'], s.io)).toBe(0);
    const doc = JSON.parse(s.out.join('')) as Array<{ datagram: number; direction: string; length: number; rows: ExplainRow[] }>;
    expect(doc).toHaveLength(1);
    expect(doc[0]).toMatchObject({ datagram: 1, direction: '<', length: addError.length });
    expect(doc[0]!.rows).toEqual(explainDatagram(addError, rtnetlink));
  });

  it('reports bad hex (1) and bad usage (2)', async () => {
    const { explainCommand } = await import('../../src/cli/explain.js');
    const bad = io('24 0\n');
    expect(await explainCommand([], bad.io)).toBe(1);
    expect(bad.err.join('')).toMatch(/odd number of hex digits/);
    expect(await explainCommand(['--nope'], io().io)).toBe(2);
    expect(await explainCommand(['/no/such/file.hex'], io().io)).toBe(2);
  });
});
