/**
 * Policy rules against real kernel bytes: iproute2 6.1's requests and the kernel's replies,
 * recorded by test/fixtures/tables-rn/capture.ts in a private network namespace.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import {
  protocol, decodeDatagram, encodeMsg, type NlMsg,
} from '../../src/netlink/message.js';
import { DecodeError } from '../../src/netlink/errors.js';
import { bitNames } from '../../src/netlink/struct.js';
import {
  AF_INET, AF_INET6, NETLINK_ROUTE, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_CAPPED,
  NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_MULTI, NLM_F_REQUEST,
} from '../../src/netlink/constants.js';
import { rtnTypeNames, rtprotNames, rtTableNames } from '../../src/rtnl/route.js';
import {
  fibRuleHdr, fibRuleUidRange, fibRulePortRange, ruleAttrs, ruleMessages, ruleActionNames,
  ruleFlagNames, ipProtoNames, u64beCodec, type FibRuleHdr, type RuleAttrs,
  RTM_NEWRULE, RTM_DELRULE, RTM_GETRULE, FRA_PRIORITY, FRA_UID_RANGE, FRA_TUN_ID,
  FIB_RULE_INVERT, FIB_RULE_UNRESOLVED, FIB_RULE_IIF_DETACHED, FIB_RULE_OIF_DETACHED,
  FR_ACT_TO_TBL, FR_ACT_GOTO, FR_ACT_NOP, FR_ACT_BLACKHOLE, FR_ACT_PROHIBIT, FR_ACT_UNREACHABLE,
} from '../../src/rtnl/rule.js';
import {
  decodeError as decodeErrorIn, attrOffset, assertMutationsRaiseOnlyDecodeError, expectLossless,
} from '../helpers/decode.js';
import { loadHex, loadJSON, fixtureNames, type Fixture } from '../fixtures/tables-rn/fixtures.js';
import * as rule from '../../src/rtnl/rule.js';

const proto = protocol('NETLINK_ROUTE', NETLINK_ROUTE, ruleMessages);
const ruleFixtures = fixtureNames('rule-');

/** FRA_DPORT_MASK of a newer uapi than the installed one: the kernel sends it, we keep it. */
const NEWER_THAN_HEADER = new Set(['unknown29']);

describe('struct fib_rule_hdr and its attribute structs', () => {
  it('mirror linux/fib_rules.h: sizes, offsets, kernel names', () => {
    expect(fibRuleHdr.size).toBe(12);
    expect(fibRuleHdr.fields.map((f) => [f.kname, f.offset, f.type])).toEqual([
      ['family', 0, 'u8'], ['dst_len', 1, 'u8'], ['src_len', 2, 'u8'], ['tos', 3, 'u8'],
      ['table', 4, 'u8'], ['res1', 5, 'u8'], ['res2', 6, 'u8'], ['action', 7, 'u8'],
      ['flags', 8, 'u32'],
    ]);
    expect(fibRuleUidRange.fields.map((f) => [f.kname, f.offset, f.type]))
      .toEqual([['start', 0, 'u32'], ['end', 4, 'u32']]);
    expect(fibRulePortRange.fields.map((f) => [f.kname, f.offset, f.type]))
      .toEqual([['start', 0, 'u16'], ['end', 2, 'u16']]);
  });

  it('names actions and flags as iproute2 prints them', () => {
    expect(ruleActionNames[FR_ACT_GOTO]).toBe('goto');
    expect(ruleActionNames[FR_ACT_NOP]).toBe('nop');
    for (const a of [FR_ACT_BLACKHOLE, FR_ACT_UNREACHABLE, FR_ACT_PROHIBIT]) {
      expect(ruleActionNames[a]).toBe(rtnTypeNames[a]);
    }
    expect(bitNames(FIB_RULE_INVERT | FIB_RULE_UNRESOLVED | 0x100, ruleFlagNames))
      .toEqual(['not', 'unresolved', '0x100']);
    expect(ruleFlagNames[FIB_RULE_IIF_DETACHED]).toBe('iif_detached');
    expect(ruleFlagNames[FIB_RULE_OIF_DETACHED]).toBe('oif_detached');
  });

  const header = '/usr/include/linux/fib_rules.h';
  it.skipIf(!existsSync(header))('covers every FRA_* of the installed uapi header, by name and number', () => {
    const text = readFileSync(header, 'utf8');
    const body = /enum\s*{\s*FRA_UNSPEC,([\s\S]*?)__FRA_MAX/.exec(text)![1]!;
    const names = body.split('\n').map((l) => l.replace(/\/\*.*?\*\//g, '').trim())
      .filter((l) => /^FRA_[A-Z0-9_]+,?$/.test(l)).map((l) => l.replace(',', ''));
    const table = new Map([...ruleAttrs.byKey.values()].map((e) => [e.kname, e.type]));
    names.forEach((name, i) => {
      const value = i + 1;
      expect((rule as Record<string, unknown>)[name], name).toBe(value);
      if (!/^FRA_UNUSED/.test(name)) expect(table.get(name), name).toBe(value);
    });
    expect(table.size).toBe(names.filter((n) => !/^FRA_UNUSED/.test(n)).length);
  });
});

describe('captured rule datagrams', () => {
  it('has the fixtures', () => {
    expect(ruleFixtures.length).toBeGreaterThanOrEqual(25);
  });

  for (const name of ruleFixtures) {
    it(`${name}: decodes, and re-encodes byte for byte from the typed view`, () => {
      expectLossless(name, loadHex(name).datagrams, proto, NEWER_THAN_HEADER);
    });
  }

  it('keeps an attribute newer than the installed header whole (FRA_DPORT_MASK, type 29)', () => {
    const dump = loadHex('rule-show-v4').datagrams.filter((d) => d.dir === '<')
      .flatMap((d) => decodeDatagram(d.bytes, proto).messages);
    const m = dump.find((x) => (x.attrs as RuleAttrs | undefined)?.priority === 1003)!;
    expect(m.attrs!.unknown29).toEqual({ type: 29, flags: 0, data: new Uint8Array([0xff, 0xff]) });
  });
});

/** What iproute2 6.1's print_rule (ip/iprule.c) puts in `ip -j rule show` for one rule. */
function ipJson(m: NlMsg): Record<string, unknown> {
  const h = m.body as FibRuleHdr;
  const a = m.attrs as RuleAttrs;
  const hostLen = h.family === AF_INET ? 32 : h.family === AF_INET6 ? 128 : -1;
  const hex = (n: number): string => '0x' + n.toString(16);
  const o: Record<string, unknown> = { priority: a.priority ?? 0 };
  if (h.flags & FIB_RULE_INVERT) o.not = null;
  if (a.src !== undefined) {
    o.src = a.src;
    if (h.srcLen !== hostLen) o.srclen = h.srcLen;
  } else if (h.srcLen) Object.assign(o, { src: '0', srclen: h.srcLen });
  else o.src = 'all';
  if (a.dst !== undefined) {
    o.dst = a.dst;
    if (h.dstLen !== hostLen) o.dstlen = h.dstLen;
  } else if (h.dstLen) Object.assign(o, { dst: '0', dstlen: h.dstLen });
  if (h.tos) o.tos = hex(h.tos);
  if (a.fwmark !== undefined || a.fwmask !== undefined) {
    o.fwmark = hex(a.fwmark ?? 0);
    if (a.fwmask !== undefined && a.fwmask !== 0xffffffff) o.fwmask = hex(a.fwmask);
  }
  if (a.iifname !== undefined) {
    o.iif = a.iifname;
    if (h.flags & FIB_RULE_IIF_DETACHED) o.iif_detached = null;
  }
  if (a.oifname !== undefined) {
    o.oif = a.oifname;
    if (h.flags & FIB_RULE_OIF_DETACHED) o.oif_detached = null;
  }
  if (a.l3mdev) o.l3mdev = null;
  if (a.uidRange) Object.assign(o, { uid_start: a.uidRange.start, uid_end: a.uidRange.end });
  if (a.ipProto !== undefined) o.ipproto = ipProtoNames[a.ipProto] ?? String(a.ipProto);
  for (const [key, r] of [['sport', a.sportRange], ['dport', a.dportRange]] as const) {
    if (!r) continue;
    if (r.start === r.end) o[key] = r.start;
    else Object.assign(o, { [`${key}_start`]: r.start, [`${key}_end`]: r.end });
  }
  if (a.tunId !== undefined) o.tun_id = Number(a.tunId);
  const table = a.table ?? h.table;
  if (table) {
    o.table = rtTableNames[table] ?? String(table);
    if (a.suppressPrefixlen !== undefined && a.suppressPrefixlen !== 0xffffffff) {
      o.suppress_prefixlen = a.suppressPrefixlen;
    }
    if (a.suppressIfgroup !== undefined && a.suppressIfgroup !== 0xffffffff) {
      o.suppress_ifgroup = String(a.suppressIfgroup);
    }
  }
  if (a.flow !== undefined) {
    if (a.flow >>> 16) o.flow_from = String(a.flow >>> 16);
    o.flow_to = String(a.flow & 0xffff);
  }
  if (h.action === FR_ACT_GOTO) {
    o.goto = a.goto ?? 'none';
    if (h.flags & FIB_RULE_UNRESOLVED) o.unresolved = null;
  } else if (h.action === FR_ACT_NOP) o.nop = null;
  else if (h.action !== FR_ACT_TO_TBL) o.action = ruleActionNames[h.action];
  if (a.protocol && a.protocol !== 2) o.protocol = rtprotNames[a.protocol];
  return o;
}

function dumpReplies(fx: Fixture): NlMsg[] {
  return fx.datagrams.filter((d) => d.dir === '<')
    .flatMap((d) => decodeDatagram(d.bytes, proto).messages);
}

describe('the decoded dump agrees with `ip -j rule show`', () => {
  for (const [name, family] of [['rule-show-v4', AF_INET], ['rule-show-v6', AF_INET6]] as const) {
    it(name, () => {
      const fx = loadHex(name);
      const req = decodeDatagram(fx.datagrams[0]!.bytes, proto).messages[0]!;
      expect(fx.datagrams[0]!.dir).toBe('>');
      expect(req.type).toBe(RTM_GETRULE);
      expect(req.flags).toBe(NLM_F_REQUEST | NLM_F_DUMP);
      expect((req.body as FibRuleHdr).family).toBe(family);

      const msgs = dumpReplies(fx);
      expect(msgs[msgs.length - 1]!.type).toBe(NLMSG_DONE);
      const rules = msgs.filter((m) => m.type === RTM_NEWRULE);
      expect(rules.length).toBe(msgs.length - 1);
      for (const m of rules) {
        expect(m.flags).toBe(NLM_F_MULTI);
        expect((m.body as FibRuleHdr).family).toBe(family);
      }
      expect(rules.map(ipJson)).toEqual(loadJSON(name));
    });
  }

  it('spot checks: priority, table, src, fwmark, uidrange, ipproto, dport, action', () => {
    const rules = dumpReplies(loadHex('rule-show-v4')).filter((m) => m.type === RTM_NEWRULE);
    const by = new Map(rules.map((m) => [(m.attrs as RuleAttrs).priority ?? 0, m]));
    const attrsOf = (p: number): RuleAttrs => by.get(p)!.attrs as RuleAttrs;
    const hdrOf = (p: number): FibRuleHdr => by.get(p)!.body as FibRuleHdr;
    expect([...by.keys()]).toEqual([0, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1008, 1009,
      1010, 1011, 1013, 1014, 1015, 1016, 1017, 1018, 1019, 1020, 32766, 32767]);
    expect(attrsOf(0).table).toBe(255);
    expect(attrsOf(1000)).toMatchObject({ src: '192.0.2.10', table: 100 });
    expect(hdrOf(1000)).toMatchObject({ srcLen: 32, table: 100, action: FR_ACT_TO_TBL });
    expect(attrsOf(1001)).toMatchObject({ fwmark: 7, fwmask: 0xff });
    expect(attrsOf(1002).uidRange).toEqual({ start: 1000, end: 2000 });
    expect(attrsOf(1003)).toMatchObject({ ipProto: 6, dportRange: { start: 443, end: 443 } });
    expect(attrsOf(1004).sportRange).toEqual({ start: 1000, end: 2000 });
    expect(attrsOf(1005).iifname).toBe('veth0');
    expect(hdrOf(1006).flags & FIB_RULE_INVERT).toBe(FIB_RULE_INVERT);
    expect(hdrOf(1008).action).toBe(FR_ACT_BLACKHOLE);
    expect(hdrOf(1009).action).toBe(FR_ACT_PROHIBIT);
    expect(attrsOf(1010).goto).toBe(1011);
    expect(hdrOf(1011).action).toBe(FR_ACT_UNREACHABLE);
    // Table ids above 255: RT_TABLE_COMPAT in the header, the id in FRA_TABLE.
    expect(hdrOf(1013).table).toBe(252);
    expect(attrsOf(1013).table).toBe(1000);
    expect(attrsOf(1014).tunId).toBe(5n);
    expect(attrsOf(1015)).toMatchObject({ suppressPrefixlen: 0, suppressIfgroup: 5 });
    // The kernel's "unset" suppressors are 0xffffffff.
    expect(attrsOf(1000)).toMatchObject({ suppressPrefixlen: 0xffffffff });
    expect(attrsOf(1016).flow).toBe((1 << 16) | 2);
    expect(attrsOf(1017).protocol).toBe(4);
    expect(hdrOf(1018).tos).toBe(0x10);
    expect(attrsOf(1019).oifname).toBe('veth0');
    expect(hdrOf(1020).flags & FIB_RULE_UNRESOLVED).toBe(FIB_RULE_UNRESOLVED);
  });
});

/** The typed views iproute2's `ip rule add` requests decode to, written out by hand. */
const requests: Record<string, { body: Partial<FibRuleHdr>; attrs: RuleAttrs }> = {
  'rule-add-src': {
    body: { family: AF_INET, srcLen: 32, table: 100, action: FR_ACT_TO_TBL },
    attrs: { src: '192.0.2.10', priority: 1000 },
  },
  'rule-add-fwmark': {
    body: { family: AF_INET, table: 100, action: FR_ACT_TO_TBL },
    attrs: { fwmark: 7, fwmask: 0xff, priority: 1001 },
  },
  'rule-add-uidrange': {
    body: { family: AF_INET, table: 100, action: FR_ACT_TO_TBL },
    attrs: { uidRange: { start: 1000, end: 2000 }, priority: 1002 },
  },
  'rule-add-dport': {
    body: { family: AF_INET, table: 100, action: FR_ACT_TO_TBL },
    attrs: { ipProto: 6, dportRange: { start: 443, end: 443 }, priority: 1003 },
  },
  'rule-add-sport': {
    body: { family: AF_INET, table: 100, action: FR_ACT_TO_TBL },
    attrs: { sportRange: { start: 1000, end: 2000 }, priority: 1004 },
  },
  'rule-add-iif': {
    body: { family: AF_INET, table: 100, action: FR_ACT_TO_TBL },
    attrs: { iifname: 'veth0', priority: 1005 },
  },
  'rule-add-not-to': {
    body: { family: AF_INET, dstLen: 24, table: 101, action: FR_ACT_TO_TBL, flags: FIB_RULE_INVERT },
    attrs: { dst: '198.51.100.0', priority: 1006 },
  },
  'rule-add-v6-src': {
    body: { family: AF_INET6, srcLen: 64, table: 100, action: FR_ACT_TO_TBL },
    attrs: { src: '2001:db8:1::', priority: 1007 },
  },
  'rule-add-blackhole': {
    body: { family: AF_INET, dstLen: 24, action: FR_ACT_BLACKHOLE },
    attrs: { dst: '203.0.113.0', priority: 1008 },
  },
  'rule-add-prohibit': {
    body: { family: AF_INET, dstLen: 25, action: FR_ACT_PROHIBIT },
    attrs: { dst: '203.0.113.128', priority: 1009 },
  },
  'rule-add-goto': {
    body: { family: AF_INET, action: FR_ACT_GOTO },
    attrs: { iifname: 'lo', goto: 1011, priority: 1010 },
  },
  'rule-add-nop': {
    body: { family: AF_INET, srcLen: 32, action: FR_ACT_NOP },
    attrs: { src: '192.0.2.99', priority: 1012 },
  },
  'rule-add-table-big': {
    body: { family: AF_INET, srcLen: 32, action: FR_ACT_TO_TBL },
    attrs: { src: '192.0.2.11', table: 1000, priority: 1013 },
  },
  'rule-add-tun-id': {
    body: { family: AF_INET, table: 100, action: FR_ACT_TO_TBL },
    attrs: { tunId: 5n, priority: 1014 },
  },
  'rule-add-suppress': {
    body: { family: AF_INET, table: 254, action: FR_ACT_TO_TBL },
    attrs: { suppressPrefixlen: 0, suppressIfgroup: 5, priority: 1015 },
  },
  'rule-add-realms': {
    body: { family: AF_INET, srcLen: 32, table: 100, action: FR_ACT_TO_TBL },
    attrs: { src: '192.0.2.12', flow: 0x10002, priority: 1016 },
  },
  'rule-add-protocol': {
    body: { family: AF_INET, srcLen: 32, table: 100, action: FR_ACT_TO_TBL },
    attrs: { src: '192.0.2.13', protocol: 4, priority: 1017 },
  },
  'rule-add-tos': {
    body: { family: AF_INET, tos: 0x10, table: 100, action: FR_ACT_TO_TBL },
    attrs: { priority: 1018 },
  },
  'rule-add-oif': {
    body: { family: AF_INET, table: 100, action: FR_ACT_TO_TBL },
    attrs: { oifname: 'veth0', priority: 1019 },
  },
};

describe('requests built from the typed view encode to the bytes iproute2 sent', () => {
  for (const [name, want] of Object.entries(requests)) {
    it(`${name}: ${loadHex(name).command}`, () => {
      const sent = loadHex(name).datagrams[0]!;
      expect(sent.dir).toBe('>');
      // Only the sequence number comes from the capture (iproute2 seeds it with the time).
      const seq = new DataView(sent.bytes.buffer).getUint32(8, true);
      const msg: NlMsg = {
        type: RTM_NEWRULE, flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq, pid: 0,
        body: want.body, attrs: want.attrs,
      };
      expect(encodeMsg(msg, proto)).toEqual(sent.bytes);
      const back = decodeDatagram(sent.bytes, proto).messages[0]!;
      expect(back.attrs).toEqual(want.attrs);
    });
  }

  it('rule-del: RTM_DELRULE with only FRA_PRIORITY', () => {
    const sent = loadHex('rule-del').datagrams[0]!;
    const seq = new DataView(sent.bytes.buffer).getUint32(8, true);
    const msg: NlMsg = {
      type: RTM_DELRULE, flags: NLM_F_REQUEST | NLM_F_ACK, seq, pid: 0,
      body: { family: AF_INET }, attrs: { priority: 1012 },
    };
    expect(encodeMsg(msg, proto)).toEqual(sent.bytes);
  });
});

describe('acks and errors', () => {
  it('a successful add is acked with a capped echo', () => {
    const fx = loadHex('rule-add-src');
    const req = decodeDatagram(fx.datagrams[0]!.bytes, proto).messages[0]!;
    const ack = decodeDatagram(fx.datagrams[1]!.bytes, proto).messages[0]!;
    expect(ack.type).toBe(NLMSG_ERROR);
    expect(ack.errno).toBe(0);
    expect(ack.flags & NLM_F_CAPPED).toBe(NLM_F_CAPPED);
    expect(ack.request).toMatchObject({ type: RTM_NEWRULE, seq: req.seq, len: 44 });
  });

  it('EEXIST echoes the whole request, which decodes as RTM_NEWRULE', () => {
    const fx = loadHex('rule-add-exists');
    const req = decodeDatagram(fx.datagrams[0]!.bytes, proto).messages[0]!;
    const err = decodeDatagram(fx.datagrams[1]!.bytes, proto).messages[0]!;
    expect(err.errno).toBe(-17);
    expect(err.request!.body).toEqual(req.body);
    expect(err.request!.attrs).toEqual({ src: '192.0.2.10', priority: 1000 });
  });
});

const decodeError = (b: Uint8Array): DecodeError => decodeErrorIn(b, proto);

describe('wrong attribute sizes raise DecodeError with the path and offset', () => {
  it('FRA_PRIORITY of 2 bytes', () => {
    const b = loadHex('rule-add-src').datagrams[0]!.bytes.slice();
    const o = attrOffset(b, FRA_PRIORITY);
    b[o] = 6; // nla_len 6: a 2-byte payload, still padded to the same 8
    const e = decodeError(b);
    expect(e.path).toBe('RTM_NEWRULE.FRA_PRIORITY');
    expect(e.offset).toBe(o + 4);
    expect(e.detail).toMatch(/2 bytes, expected 4/);
  });

  it('FRA_PRIORITY of 8 bytes inside an echoed request', () => {
    const b = loadHex('rule-add-exists').datagrams[1]!.bytes.slice();
    const o = attrOffset(b, FRA_PRIORITY, 16 + 4 + 16 + 12);
    // Swallow the 4 bytes after it: make the attribute 12 bytes (it is the last one).
    const grown = new Uint8Array(b.length + 4);
    grown.set(b);
    const v = new DataView(grown.buffer);
    v.setUint32(0, grown.length, true);
    v.setUint32(20, v.getUint32(20, true) + 4, true);
    v.setUint16(o, 12, true);
    const e = decodeError(grown);
    expect(e.path).toBe('NLMSG_ERROR.request.RTM_NEWRULE.FRA_PRIORITY');
    expect(e.offset).toBe(o + 4);
  });

  it('FRA_UID_RANGE shorter than struct fib_rule_uid_range', () => {
    const b = loadHex('rule-add-uidrange').datagrams[0]!.bytes.slice();
    const o = attrOffset(b, FRA_UID_RANGE);
    b[o] = 8; // 4 bytes of the 8-byte struct; the other 4 become padding
    b.fill(0, o + 8, o + 12);
    const e = decodeError(b);
    expect(e.path).toBe('RTM_NEWRULE.FRA_UID_RANGE');
    expect(e.offset).toBe(o + 4);
  });

  it('FRA_TUN_ID that is not 8 bytes', () => {
    const b = loadHex('rule-add-tun-id').datagrams[0]!.bytes.slice();
    const o = attrOffset(b, FRA_TUN_ID);
    b[o] = 8;
    b.fill(0, o + 8, o + 12);
    const e = decodeError(b);
    expect(e.path).toBe('RTM_NEWRULE.FRA_TUN_ID');
    expect(e.offset).toBe(o + 4);
  });

  it('a reply too short for fib_rule_hdr', () => {
    const dump = loadHex('rule-show-v4').datagrams[1]!.bytes;
    const b = dump.slice(0, 24);
    new DataView(b.buffer).setUint32(0, 24, true);
    const e = decodeError(b);
    expect(e.path).toBe('RTM_NEWRULE');
    expect(e.offset).toBe(16);
  });
});

describe('FRA_TUN_ID is a big-endian u64', () => {
  it('on the wire as iproute2 sends it (htonll)', () => {
    const b = loadHex('rule-add-tun-id').datagrams[0]!.bytes;
    const o = attrOffset(b, FRA_TUN_ID);
    expect([...b.slice(o + 4, o + 12)]).toEqual([0, 0, 0, 0, 0, 0, 0, 5]);
  });

  it('survives JSON as a decimal string, and refuses what does not fit', () => {
    expect(u64beCodec.toJSON(0xffffffffffffffffn)).toBe('18446744073709551615');
    expect(u64beCodec.fromJSON('18446744073709551615', 'x')).toBe(0xffffffffffffffffn);
    expect(() => u64beCodec.fromJSON('18446744073709551616', 'x')).toThrow(DecodeError);
    expect(() => encodeMsg({
      type: RTM_NEWRULE, flags: 0, seq: 0, pid: 0, body: {}, attrs: { tunId: -1n },
    }, proto)).toThrow(/FRA_TUN_ID/);
  });
});

describe('mutated captures raise DecodeError and nothing else', () => {
  const all = ruleFixtures.flatMap((n) => loadHex(n).datagrams.map((d) => d.bytes));
  it('random byte changes and truncations', () => {
    assertMutationsRaiseOnlyDecodeError(all, proto);
  });
});
