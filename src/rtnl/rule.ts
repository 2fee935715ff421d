/**
 * Policy routing rules: struct fib_rule_hdr and the FRA_* attributes (linux/fib_rules.h),
 * with FRA_UID_RANGE (struct fib_rule_uid_range) and FRA_SPORT_RANGE / FRA_DPORT_RANGE
 * (struct fib_rule_port_range).
 *
 * ```text
 * struct fib_rule_hdr (12 bytes)
 *  0        1         2         3       4         5        6        7        8
 * +--------+---------+---------+-------+---------+--------+--------+--------+--------------+
 * | family | dst_len | src_len |  tos  |  table  |  res1  |  res2  | action | flags (u32)  |
 * +--------+---------+---------+-------+---------+--------+--------+--------+--------------+
 * ```
 *
 * `table` is the low byte of the table id: the kernel writes RT_TABLE_COMPAT (252) there
 * for ids above 255 and always sends the full id as FRA_TABLE; iproute2 sends FRA_TABLE
 * only for ids above 255.
 */
import { struct } from '../netlink/struct.js';
import { attrs, type AttrCodec, type AttrTable } from '../netlink/attrs.js';
import { type MessageSpec } from '../netlink/message.js';
import { DecodeError } from '../netlink/errors.js';
import { checkBig } from '../netlink/struct.js';
import { rtprotNames, rtTableNames } from './route.js';

/** RTM_NEWRULE (linux/rtnetlink.h). */
export const RTM_NEWRULE = 32;
/** RTM_DELRULE (linux/rtnetlink.h). */
export const RTM_DELRULE = 33;
/** RTM_GETRULE (linux/rtnetlink.h). */
export const RTM_GETRULE = 34;

/** FIB_RULE_PERMANENT (linux/fib_rules.h): the rule cannot be deleted. */
export const FIB_RULE_PERMANENT = 0x00000001;
/** FIB_RULE_INVERT (linux/fib_rules.h): the selector is negated (iproute2 `not`). */
export const FIB_RULE_INVERT = 0x00000002;
/** FIB_RULE_UNRESOLVED (linux/fib_rules.h): a goto whose target rule does not exist. */
export const FIB_RULE_UNRESOLVED = 0x00000004;
/** FIB_RULE_IIF_DETACHED (linux/fib_rules.h): the FRA_IIFNAME device is absent. */
export const FIB_RULE_IIF_DETACHED = 0x00000008;
/** FIB_RULE_DEV_DETACHED (linux/fib_rules.h): old name of FIB_RULE_IIF_DETACHED. */
export const FIB_RULE_DEV_DETACHED = FIB_RULE_IIF_DETACHED;
/** FIB_RULE_OIF_DETACHED (linux/fib_rules.h): the FRA_OIFNAME device is absent. */
export const FIB_RULE_OIF_DETACHED = 0x00000010;
/** FIB_RULE_FIND_SADDR (linux/fib_rules.h): find a source address in the lookup. */
export const FIB_RULE_FIND_SADDR = 0x00010000;

/** FRA_UNSPEC (linux/fib_rules.h). */
export const FRA_UNSPEC = 0;
/** FRA_DST (linux/fib_rules.h): destination prefix address; its length is dst_len. */
export const FRA_DST = 1;
/** FRA_SRC (linux/fib_rules.h): source prefix address; its length is src_len. */
export const FRA_SRC = 2;
/** FRA_IIFNAME (linux/fib_rules.h), alias FRA_IFNAME: input interface name. */
export const FRA_IIFNAME = 3;
/** FRA_IFNAME (linux/fib_rules.h): old name of FRA_IIFNAME. */
export const FRA_IFNAME = FRA_IIFNAME;
/** FRA_GOTO (linux/fib_rules.h): the priority to jump to (FR_ACT_GOTO). */
export const FRA_GOTO = 4;
/** FRA_UNUSED2 (linux/fib_rules.h). */
export const FRA_UNUSED2 = 5;
/** FRA_PRIORITY (linux/fib_rules.h): the rule's priority (iproute2 `pref`). */
export const FRA_PRIORITY = 6;
/** FRA_UNUSED3 (linux/fib_rules.h). */
export const FRA_UNUSED3 = 7;
/** FRA_UNUSED4 (linux/fib_rules.h). */
export const FRA_UNUSED4 = 8;
/** FRA_UNUSED5 (linux/fib_rules.h). */
export const FRA_UNUSED5 = 9;
/** FRA_FWMARK (linux/fib_rules.h): netfilter mark. */
export const FRA_FWMARK = 10;
/** FRA_FLOW (linux/fib_rules.h): realms, `from << 16 | to`. */
export const FRA_FLOW = 11;
/** FRA_TUN_ID (linux/fib_rules.h): tunnel id, a big-endian u64. */
export const FRA_TUN_ID = 12;
/** FRA_SUPPRESS_IFGROUP (linux/fib_rules.h). */
export const FRA_SUPPRESS_IFGROUP = 13;
/** FRA_SUPPRESS_PREFIXLEN (linux/fib_rules.h). */
export const FRA_SUPPRESS_PREFIXLEN = 14;
/** FRA_TABLE (linux/fib_rules.h): the full table id. */
export const FRA_TABLE = 15;
/** FRA_FWMASK (linux/fib_rules.h): mask for FRA_FWMARK. */
export const FRA_FWMASK = 16;
/** FRA_OIFNAME (linux/fib_rules.h): output interface name. */
export const FRA_OIFNAME = 17;
/** FRA_PAD (linux/fib_rules.h): alignment padding before a 64-bit attribute. */
export const FRA_PAD = 18;
/** FRA_L3MDEV (linux/fib_rules.h): look up the table of the l3mdev (VRF) device. */
export const FRA_L3MDEV = 19;
/** FRA_UID_RANGE (linux/fib_rules.h): struct fib_rule_uid_range. */
export const FRA_UID_RANGE = 20;
/** FRA_PROTOCOL (linux/fib_rules.h): originator of the rule (RTPROT_*). */
export const FRA_PROTOCOL = 21;
/** FRA_IP_PROTO (linux/fib_rules.h): IP protocol number. */
export const FRA_IP_PROTO = 22;
/** FRA_SPORT_RANGE (linux/fib_rules.h): struct fib_rule_port_range. */
export const FRA_SPORT_RANGE = 23;
/** FRA_DPORT_RANGE (linux/fib_rules.h): struct fib_rule_port_range. */
export const FRA_DPORT_RANGE = 24;

/** FR_ACT_UNSPEC (linux/fib_rules.h). */
export const FR_ACT_UNSPEC = 0;
/** FR_ACT_TO_TBL (linux/fib_rules.h): look up a table. */
export const FR_ACT_TO_TBL = 1;
/** FR_ACT_GOTO (linux/fib_rules.h): jump to another rule. */
export const FR_ACT_GOTO = 2;
/** FR_ACT_NOP (linux/fib_rules.h): no operation. */
export const FR_ACT_NOP = 3;
/** FR_ACT_RES3 (linux/fib_rules.h): reserved. */
export const FR_ACT_RES3 = 4;
/** FR_ACT_RES4 (linux/fib_rules.h): reserved. */
export const FR_ACT_RES4 = 5;
/** FR_ACT_BLACKHOLE (linux/fib_rules.h): drop without notification. */
export const FR_ACT_BLACKHOLE = 6;
/** FR_ACT_UNREACHABLE (linux/fib_rules.h): drop with ENETUNREACH. */
export const FR_ACT_UNREACHABLE = 7;
/** FR_ACT_PROHIBIT (linux/fib_rules.h): drop with EACCES. */
export const FR_ACT_PROHIBIT = 8;

/**
 * fib_rule_hdr.action names (FR_ACT_*, linux/fib_rules.h) in iproute2's words: `goto`,
 * `nop`, and for 6-8 the route type words it prints (`blackhole`, `unreachable`,
 * `prohibit`). iproute2 has no word for FR_ACT_TO_TBL (it prints `lookup TABLE`), so that
 * one keeps the kernel's name. The reserved 4 and 5 stay numbers.
 */
export const ruleActionNames: Readonly<Record<number, string>> = {
  0: 'unspec', 1: 'to_tbl', 2: 'goto', 3: 'nop', 6: 'blackhole', 7: 'unreachable', 8: 'prohibit',
};

/**
 * fib_rule_hdr.flags bit names (FIB_RULE_*, linux/fib_rules.h), as iproute2's JSON keys
 * (`not`, `unresolved`, `iif_detached`, `oif_detached`); the two it never prints are the
 * kernel names lower-cased.
 */
export const ruleFlagNames: Readonly<Record<number, string>> = {
  0x1: 'permanent', 0x2: 'not', 0x4: 'unresolved', 0x8: 'iif_detached', 0x10: 'oif_detached',
  0x10000: 'find_saddr',
};

/**
 * FRA_IP_PROTO names iproute2 prints (inet_proto_n2a, then /etc/protocols); others stay
 * numbers.
 */
export const ipProtoNames: Readonly<Record<number, string>> = {
  1: 'icmp', 6: 'tcp', 17: 'udp', 33: 'dccp', 58: 'ipv6-icmp', 132: 'sctp',
};

/** struct fib_rule_hdr (linux/fib_rules.h), 12 bytes; its fields have no common prefix. */
export const fibRuleHdr = struct('fib_rule_hdr', 12, {
  family: [0, 'u8'], dstLen: [1, 'u8'], srcLen: [2, 'u8'], tos: [3, 'u8'],
  table: [4, 'u8', { enum: rtTableNames }], res1: [5, 'u8'], res2: [6, 'u8'],
  action: [7, 'u8', { enum: ruleActionNames }],
  flags: [8, 'u32', { bits: ruleFlagNames }],
});

/** The decoded struct fib_rule_hdr. */
export type FibRuleHdr = ReturnType<typeof fibRuleHdr.decode>;

/** struct fib_rule_uid_range (linux/fib_rules.h), 8 bytes: FRA_UID_RANGE, both ends included. */
export const fibRuleUidRange = struct('fib_rule_uid_range', 8, {
  start: [0, 'u32'], end: [4, 'u32'],
});

/**
 * struct fib_rule_port_range (linux/fib_rules.h), 4 bytes: FRA_SPORT_RANGE and
 * FRA_DPORT_RANGE, host-endian (unlike RTA_SPORT), both ends included.
 */
export const fibRulePortRange = struct('fib_rule_port_range', 4, {
  start: [0, 'u16'], end: [2, 'u16'],
});

/**
 * A u64 in network byte order, as a bigint. FRA_TUN_ID is `__be64` in the kernel
 * (`nla_get_be64` in net/core/fib_rules.c; iproute2 sends `htonll(id)`), sent without
 * NLA_F_NET_BYTEORDER, so neither `u64` (host order) nor the flag bit describes it.
 */
export const u64beCodec: AttrCodec<bigint> = {
  decode(ctx, off, len, path) {
    if (len !== 8) throw new DecodeError(`payload is ${len} bytes, expected 8 (be64)`, off, path);
    return ctx.view.getBigUint64(off, false);
  },
  encodingLength() { return 8; },
  encode(v, ctx, off, path) {
    ctx.view.setBigUint64(off, checkBig(false, v, path), false);
    return 8;
  },
  toJSON(v) { return v.toString(); },
  fromJSON(j, path) {
    if (typeof j === 'string' && /^[0-9]+$/.test(j)) {
      const v = BigInt(j);
      if (BigInt.asUintN(64, v) === v) return v;
    }
    if (typeof j === 'number' && Number.isSafeInteger(j) && j >= 0) return BigInt(j);
    throw new DecodeError(`expected a u64 as a decimal string, got ${JSON.stringify(j)}`, 0, path);
  },
};

/**
 * The FRA_* attributes (linux/fib_rules.h), every one of the installed uapi. FRA_UNUSED2-5
 * are left out on purpose: should they ever appear they are kept as unknown attributes.
 */
export const ruleAttrs = attrs('FRA_', {
  dst: { type: FRA_DST, kind: 'ipaddr' },
  src: { type: FRA_SRC, kind: 'ipaddr' },
  iifname: { type: FRA_IIFNAME, kind: 'string' },
  goto: { type: FRA_GOTO, kind: 'u32' },
  priority: { type: FRA_PRIORITY, kind: 'u32' },
  fwmark: { type: FRA_FWMARK, kind: 'u32' },
  flow: { type: FRA_FLOW, kind: 'u32' },
  tunId: { type: FRA_TUN_ID, kind: 'codec', codec: u64beCodec },
  // u32 on the wire; the kernel's "unset" is 0xffffffff (-1), which iproute2 does not print.
  suppressIfgroup: { type: FRA_SUPPRESS_IFGROUP, kind: 'u32' },
  suppressPrefixlen: { type: FRA_SUPPRESS_PREFIXLEN, kind: 'u32' },
  table: { type: FRA_TABLE, kind: 'u32', enum: rtTableNames },
  fwmask: { type: FRA_FWMASK, kind: 'u32' },
  oifname: { type: FRA_OIFNAME, kind: 'string' },
  pad: { type: FRA_PAD, kind: 'bytes' },
  l3mdev: { type: FRA_L3MDEV, kind: 'u8' },
  uidRange: { type: FRA_UID_RANGE, kind: 'struct', struct: fibRuleUidRange },
  protocol: { type: FRA_PROTOCOL, kind: 'u8', enum: rtprotNames },
  ipProto: { type: FRA_IP_PROTO, kind: 'u8', enum: ipProtoNames },
  sportRange: { type: FRA_SPORT_RANGE, kind: 'struct', struct: fibRulePortRange },
  dportRange: { type: FRA_DPORT_RANGE, kind: 'struct', struct: fibRulePortRange },
}, 'FRA_*');

/** The typed view of a rule's attributes (every FRA_* optional: absent is not zero). */
export type RuleAttrs = typeof ruleAttrs extends AttrTable<infer T> ? T : never;

/** RTM_NEWRULE, RTM_DELRULE and RTM_GETRULE: struct fib_rule_hdr, then FRA_* attributes. */
export const ruleMessages: readonly MessageSpec[] = [
  { type: RTM_NEWRULE, name: 'RTM_NEWRULE', op: 'new', body: fibRuleHdr, attrs: ruleAttrs },
  { type: RTM_DELRULE, name: 'RTM_DELRULE', op: 'del', body: fibRuleHdr, attrs: ruleAttrs },
  { type: RTM_GETRULE, name: 'RTM_GETRULE', op: 'get', body: fibRuleHdr, attrs: ruleAttrs },
];
