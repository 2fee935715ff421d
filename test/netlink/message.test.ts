import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  decodeDatagram, encodeDatagram, encodeDatagramInto, datagramLength, type Datagram,
} from '../../src/netlink/message.js';
import { datagramToJSON, datagramFromJSON, nlmsgFlagNames } from '../../src/netlink/json.js';
import { DecodeError, EncodeError } from '../../src/netlink/errors.js';
import { toHex } from '../../src/netlink/ip.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import { RTM_NEWROUTE, RTM_GETROUTE } from '../../src/rtnl/route.js';
import { annotated } from '../helpers/annotated.js';

/** `ip route get 203.0.113.5` as iproute2 6.1 sent it (strace, private namespace). */
const getRequest = annotated(`
  24000000   # nlmsg_len 36
  1a00       # nlmsg_type RTM_GETROUTE (26)
  0100       # nlmsg_flags NLM_F_REQUEST
  c6e6096b   # nlmsg_seq
  00000000   # nlmsg_pid
  02         # rtm_family AF_INET
  20         # rtm_dst_len 32
  00 00      # rtm_src_len, rtm_tos
  00         # rtm_table
  00 00 00   # rtm_protocol, rtm_scope, rtm_type
  00100000   # rtm_flags RTM_F_LOOKUP_TABLE
  0800 0100  # nla_len 8, RTA_DST
  cb007105   # 203.0.113.5
`);

/** The kernel's reply: a route via 192.0.2.1 with prefsrc 192.0.2.10 and metrics. */
const getReply = annotated(`
  88000000 1800 0000 c6e6096b 12180000   # nlmsghdr: 136 bytes, RTM_NEWROUTE, pid 6162
  02 20 00 00 fe 00 00 01 00020000       # rtmsg: AF_INET /32, table main, unicast, RTM_F_CLONED
  0800 0f00 fe000000                     # RTA_TABLE 254
  0800 0100 cb007105                     # RTA_DST 203.0.113.5
  0800 0400 03000000                     # RTA_OIF 3
  0800 0700 c000020a                     # RTA_PREFSRC 192.0.2.10
  0800 0500 c0000201                     # RTA_GATEWAY 192.0.2.1
  1800 0800                              # RTA_METRICS, 24 bytes
    0800 0200 78050000                   #   RTAX_MTU 1400
    0a00 1000 6375626963 00 0000         #   RTAX_CC_ALGO "cubic", NUL, 2 bytes padding
  0800 1900 00000000                     # RTA_UID 0
  2400 0c00                              # RTA_CACHEINFO, 36 bytes
    02000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
`);

/** NLMSG_ERROR EINVAL for an add with a bad prefsrc, echo whole, ext-ack msg and offset. */
const errorReply = annotated(`
  5c000000 0200 0002 01000000 44332211   # nlmsghdr: 92 bytes, NLMSG_ERROR, NLM_F_ACK_TLVS
  eaffffff                               # error -22 (EINVAL)
  34000000 1800 0506 01000000 00000000   # echoed nlmsghdr: 52 bytes, RTM_NEWROUTE, REQUEST|ACK|EXCL|CREATE
  02 18 00 00 05 03 fd 01 00000000       # rtmsg: AF_INET /24, table 5, boot, link, unicast
  0800 0100 cb007100                     # RTA_DST 203.0.113.0          (offset 28)
  0800 0700 cb00714d                     # RTA_PREFSRC 203.0.113.77     (offset 36)
  0800 0400 03000000                     # RTA_OIF 3
  0c00 0100 496e76616c696400             # NLMSGERR_ATTR_MSG "Invalid" (NUL, no padding needed)
  0800 0200 24000000                     # NLMSGERR_ATTR_OFFS 36
`);

/** Encodes at an offset inside a dirty buffer, checks length, alignment and bytes, decodes back. */
function roundTrip(bytes: Uint8Array): Datagram {
  const dg = decodeDatagram(bytes, rtnetlink);
  expect(datagramLength(dg, rtnetlink)).toBe(bytes.length);
  const buf = new Uint8Array(bytes.length + 11).fill(0xa5);
  const n = encodeDatagramInto(dg, buf, 7, rtnetlink);
  expect(n).toBe(bytes.length);
  expect(toHex(buf.subarray(7, 7 + n))).toBe(toHex(bytes));
  expect(buf[6]).toBe(0xa5);
  expect(buf[7 + n]).toBe(0xa5);
  const viaJSON = datagramFromJSON(JSON.parse(JSON.stringify(datagramToJSON(dg, rtnetlink))), rtnetlink);
  expect(toHex(encodeDatagram(viaJSON, rtnetlink))).toBe(toHex(bytes));
  return dg;
}

describe('nlmsghdr and rtmsg', () => {
  it('decodes a route get request field by field', () => {
    const [m] = roundTrip(getRequest).messages;
    expect(m).toMatchObject({ type: RTM_GETROUTE, flags: 1, seq: 0x6b09e6c6, pid: 0 });
    expect(m!.body).toMatchObject({ family: 2, dstLen: 32, table: 0, flags: 0x1000 });
    expect(m!.attrs).toEqual({ dst: '203.0.113.5' });
    expect(m!.raw).toBeUndefined();
  });

  it('decodes the reply: prefsrc, gateway, metrics, cache info, in wire order', () => {
    const [m] = roundTrip(getReply).messages;
    expect(m!.type).toBe(RTM_NEWROUTE);
    expect(m!.pid).toBe(6162);
    expect(Object.keys(m!.attrs!)).toEqual(['table', 'dst', 'oif', 'prefsrc', 'gateway', 'metrics', 'uid', 'cacheinfo']);
    expect(m!.attrs).toMatchObject({
      prefsrc: '192.0.2.10', gateway: '192.0.2.1', oif: 3, table: 254,
      metrics: { mtu: 1400, ccAlgo: 'cubic' }, cacheinfo: { clntref: 2 },
    });
  });

  it('keeps port ids above 2^31 unsigned', () => {
    const b = getReply.slice();
    b.set([0x42, 0x23, 0x71, 0x88], 12);
    expect(decodeDatagram(b, rtnetlink).messages[0]!.pid).toBe(0x88712342);
  });

  it('names flags by the message type', () => {
    expect(nlmsgFlagNames(RTM_NEWROUTE, 0x605, rtnetlink)).toEqual(['REQUEST', 'ACK', 'EXCL', 'CREATE']);
    expect(nlmsgFlagNames(RTM_GETROUTE, 0x301, rtnetlink)).toEqual(['DUMP', 'REQUEST']);
    expect(nlmsgFlagNames(2, 0x300, rtnetlink)).toEqual(['CAPPED', 'ACK_TLVS']);
    expect(nlmsgFlagNames(RTM_NEWROUTE, 0x1001, rtnetlink)).toEqual(['REQUEST', '0x1000']);
  });
});

describe('NLMSG_ERROR and the extended ack', () => {
  it('decodes errno, the whole echoed request, and maps the offset to RTA_PREFSRC', () => {
    const [m] = roundTrip(errorReply).messages;
    expect(m!.errno).toBe(-22);
    expect(m!.request!.type).toBe(RTM_NEWROUTE);
    expect(m!.request!.attrs).toEqual({ dst: '203.0.113.0', prefsrc: '203.0.113.77', oif: 3 });
    expect(m!.extack).toEqual({ msg: 'Invalid', offs: 36 });
    expect(m!.errorAttribute).toBe('RTA_PREFSRC');
    const j = datagramToJSON(decodeDatagram(errorReply, rtnetlink), rtnetlink);
    expect((j.messages as any[])[0]).toMatchObject({ type: 'NLMSG_ERROR', errno: -22, code: 'EINVAL', extack: { msg: 'Invalid' } });
  });

  it('keeps the original length of a capped echo', () => {
    const ack = annotated(`
      24000000 0200 0001 01000000 44332211   # NLMSG_ERROR, NLM_F_CAPPED
      00000000                               # error 0: ACK
      34000000 1800 0506 01000000 00000000   # echoed header only, nlmsg_len still 52
    `);
    const [m] = roundTrip(ack).messages;
    expect(m!.errno).toBe(0);
    expect(m!.request).toEqual({ type: RTM_NEWROUTE, flags: 0x605, seq: 1, pid: 0, len: 52 });
  });

  it('decodes NLMSG_DONE with errno and ext-ack, and with no payload', () => {
    const done = annotated(`
      20000000 0300 0202 01000000 00000000   # NLMSG_DONE, MULTI|ACK_TLVS
      f4ffffff                               # -12 ENOMEM
      0b00 0100 6e6f206d656d00 00            # NLMSGERR_ATTR_MSG "no mem", NUL, 1 byte padding
    `);
    const [m] = roundTrip(done).messages;
    expect(m!.errno).toBe(-12);
    expect(m!.extack!.msg).toBe('no mem');
    const bare = annotated('10000000 0300 0200 01000000 00000000');
    expect(roundTrip(bare).messages[0]!.errno).toBeUndefined();
  });
});

describe('lossless by construction', () => {
  it('keeps repeated and unknown attributes with their flag bits, in order', () => {
    const b = annotated(`
      34000000 1800 0000 01000000 00000000
      0a 80 00 00 fe 00 00 01 00000000
      1400 0700 20010db8000000000000000000000001   # RTA_PREFSRC 2001:db8::1
      0800 6380 01020304                           # type 99 with NLA_F_NESTED: unknown
    `);
    // Append a second RTA_PREFSRC by hand.
    const two = new Uint8Array(b.length + 20);
    two.set(b);
    two.set(annotated('1400 0700 20010db8000000000000000000000002'), b.length);
    new DataView(two.buffer).setUint32(0, two.length, true);
    const [m] = roundTrip(two).messages;
    expect(Object.keys(m!.attrs!)).toEqual(['prefsrc', 'unknown99', 'prefsrc#2']);
    expect(m!.attrs!.prefsrc).toBe('2001:db8::1');
    expect(m!.attrs!['prefsrc#2']).toBe('2001:db8::2');
    expect(m!.attrs!.unknown99).toEqual({ type: 99, flags: 0x8000, data: new Uint8Array([1, 2, 3, 4]) });
  });

  it('keeps the exact bytes where the tables cannot reproduce them', () => {
    const odd = annotated(`
      2c000000 1800 0000 01000000 00000000
      02 18 00 00 fe 00 00 01 00000000
      0800 0100 cb007100          # RTA_DST
      0500 6300 61 ffffff         # unknown type 99, 1 byte, padding not zero
    `);
    const [m] = roundTrip(odd).messages;
    expect(m!.raw).toEqual(odd);
    expect(m!.attrs!.dst).toBe('203.0.113.0');
  });

  it('keeps zero bytes after the last message as trailing (iproute2 dump buffers)', () => {
    const b = new Uint8Array(getRequest.length + 40);
    b.set(getRequest);
    const dg = roundTrip(b);
    expect(dg.messages).toHaveLength(1);
    expect(dg.trailing).toHaveLength(40);
  });

  it('decodes several messages per datagram', () => {
    const b = new Uint8Array(getReply.length + errorReply.length);
    b.set(getReply);
    b.set(errorReply, getReply.length);
    expect(roundTrip(b).messages.map((m) => m.type)).toEqual([RTM_NEWROUTE, 2]);
  });
});

describe('bad input: DecodeError with path and offset, nothing else', () => {
  const cases: Array<[string, Uint8Array, RegExp, number]> = [
    ['nlmsg_len below 16', annotated('0c000000 1800 0000 00000000 00000000'), /nlmsg_len 12 is below 16/, 0],
    ['nlmsg_len past the end', getReply.subarray(0, 100), /runs past the end of the datagram/, 0],
    ['nla_len below 4', (() => { const b = getReply.slice(); b[28] = 2; return b; })(), /RTM_NEWROUTE\.RTA_TABLE at byte 28: nla_len 2 is below 4/, 28],
    ['nla_len past its parent', (() => { const b = getReply.slice(); b[68] = 0x90; return b; })(), /RTM_NEWROUTE\.RTA_METRICS at byte 68: nla_len 144 runs past the end of its parent \(68 bytes left\)/, 68],
    ['a 3-byte RTA_OIF', (() => {
      const b = getReply.slice(); b[44] = 7; return b;
    })(), /RTM_NEWROUTE\.RTA_OIF at byte 48: RTA_OIF payload is 3 bytes, expected 4/, 48],
    ['a nested RTAX_MTU of 2 bytes', (() => { const b = getReply.slice(); b[72] = 6; return b; })(),
      /RTM_NEWROUTE\.RTA_METRICS\.RTAX_MTU at byte 76: RTAX_MTU payload is 2 bytes/, 76],
    ['a short NLMSG_ERROR', annotated('18000000 0200 0000 00000000 00000000 00000000 00000000'), /below struct nlmsgerr/, 16],
  ];
  for (const [name, bytes, re, offset] of cases) {
    it(name, () => {
      let err: unknown;
      try { decodeDatagram(bytes, rtnetlink); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(DecodeError);
      expect((err as DecodeError).message).toMatch(re);
      expect((err as DecodeError).offset).toBe(offset);
    });
  }

  it('refuses absurd nesting depth', () => {
    // 40 nested RTA_METRICS-like unknown... use RTA_MULTIPATH? Build nested RTA_METRICS is one level only:
    // an unknown attribute is never descended into, so depth comes from codec nesting: build 40 levels of
    // RTA_MULTIPATH next hops, each carrying an RTA_MULTIPATH.
    let inner = new Uint8Array(0);
    for (let i = 0; i < 40; i++) {
      const hop = new Uint8Array(8 + 4 + inner.length);
      const v = new DataView(hop.buffer);
      v.setUint16(0, hop.length, true);
      v.setUint16(8, 4 + inner.length, true);
      v.setUint16(10, 9, true);
      hop.set(inner, 12);
      inner = hop;
    }
    const msg = new Uint8Array(16 + 12 + 4 + inner.length);
    const v = new DataView(msg.buffer);
    v.setUint32(0, msg.length, true);
    v.setUint16(4, RTM_NEWROUTE, true);
    v.setUint16(28, 4 + inner.length, true);
    v.setUint16(30, 9, true);
    msg.set(inner, 32);
    expect(() => decodeDatagram(msg, rtnetlink)).toThrow(/nested deeper than 32/);
  });

  it('returns the messages before a fault as partial', () => {
    const b = new Uint8Array(getReply.length + 20);
    b.set(getReply);
    b.set(annotated('0c000000 1800 0000 00000000 00000000 00000000'), getReply.length);
    try {
      decodeDatagram(b, rtnetlink);
      expect.unreachable();
    } catch (e) {
      expect((e as DecodeError & { partial: Datagram }).partial.messages).toHaveLength(1);
    }
  });

  it('random bytes raise DecodeError or decode, never anything else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      try { decodeDatagram(b, rtnetlink); } catch (e) { if (!(e instanceof DecodeError)) throw e; }
    }), { numRuns: 3000, seed: 42 });
  });

  it('mutated real messages raise DecodeError or round-trip exactly', () => {
    const seeds = [getRequest, getReply, errorReply];
    fc.assert(fc.property(
      fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.option(fc.nat()),
      (seed, edits, cut) => {
        const b = seed.slice(0, cut === null ? seed.length : cut % (seed.length + 1));
        for (const [at, val] of edits) if (b.length) b[at % b.length] = val;
        let dg: Datagram;
        try { dg = decodeDatagram(b, rtnetlink); } catch (e) { if (e instanceof DecodeError) return; throw e; }
        expect(toHex(encodeDatagram(dg, rtnetlink))).toBe(toHex(b));
      }), { numRuns: 5000, seed: 7 });
  });
});

describe('encoding from the typed view', () => {
  it('builds the request iproute2 sends for `ip route get 203.0.113.5`', () => {
    const b = encodeDatagram({ messages: [{
      type: RTM_GETROUTE, flags: 1, seq: 0x6b09e6c6, pid: 0,
      body: { family: 2, dstLen: 32, flags: 0x1000 }, attrs: { dst: '203.0.113.5' },
    }] }, rtnetlink);
    expect(toHex(b)).toBe(toHex(getRequest));
  });

  it('random valid route messages round-trip', () => {
    const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
    const route = fc.record({
      dst: ipv4, prefsrc: ipv4, gateway: ipv4, oif: fc.nat(0xffffffff), priority: fc.nat(0xffffffff),
      table: fc.nat(0xffffffff), mark: fc.nat(0xffffffff), sport: fc.nat(0xffff), dport: fc.nat(0xffff),
      metrics: fc.record({ mtu: fc.nat(0xffffffff), ccAlgo: fc.stringMatching(/^[a-z]{0,12}$/) }, { requiredKeys: [] }),
    }, { requiredKeys: [] });
    fc.assert(fc.property(route, fc.nat(0xffffffff), (attrs, seq) => {
      const dg: Datagram = { messages: [{ type: RTM_NEWROUTE, flags: 0x605, seq, pid: 0, body: { family: 2, dstLen: 24 }, attrs }] };
      const b = encodeDatagram(dg, rtnetlink);
      expect(b.length % 4).toBe(0);
      const back = decodeDatagram(b, rtnetlink).messages[0]!;
      expect(back.attrs).toEqual(attrs);
      expect(back.raw).toBeUndefined();
    }), { numRuns: 500, seed: 3 });
  });

  it('bad values raise EncodeError naming the attribute', () => {
    expect(() => encodeDatagram({ messages: [{ type: RTM_NEWROUTE, flags: 0, seq: 0, pid: 0, body: {}, attrs: { oif: -1 } }] }, rtnetlink))
      .toThrow(EncodeError);
    expect(() => encodeDatagram({ messages: [{ type: RTM_NEWROUTE, flags: 0, seq: 0, pid: 0, body: {}, attrs: { prefsrc: '1.2.3' } }] }, rtnetlink))
      .toThrow(/RTM_NEWROUTE\.RTA_PREFSRC: not an IP address/);
  });
});

describe('decoded values own their bytes', () => {
  it('do not change when a Node Buffer they came from is reused', () => {
    const b = Buffer.from('2400000020000200010000000000000002000000fe0000010000000006001d00ffff0000', 'hex');
    const dg = decodeDatagram(b, rtnetlink);
    const u = dg.messages[0]!.attrs!.unknown29 as { data: Uint8Array };
    const before = toHex(encodeDatagram(dg, rtnetlink));
    b.fill(0x11);
    expect(toHex(encodeDatagram(dg, rtnetlink))).toBe(before);
    expect(toHex(u.data)).toBe('ffff');
  });
});
