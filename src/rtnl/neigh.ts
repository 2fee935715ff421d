/**
 * Neighbours and neighbour tables (linux/neighbour.h): struct ndmsg with the NDA_*
 * attributes (ARP and NDISC entries, and the bridge and VXLAN forwarding databases, which
 * use the same messages with family AF_BRIDGE), and struct ndtmsg with the NDTA_* and
 * NDTPA_* attributes (`ip ntable`).
 *
 * ```text
 * struct ndmsg (12 bytes)
 *  0        1        2                 4                             8                10       11
 * +--------+--------+-----------------+-----------------------------+----------------+--------+--------+
 * | family |  pad1  |   pad2 (u16)    |        ifindex (s32)        |  state (u16)   | flags  |  type  |
 * +--------+--------+-----------------+-----------------------------+----------------+--------+--------+
 *
 * struct ndtmsg (4 bytes)
 * +--------+--------+-----------------+
 * | family |  pad1  |   pad2 (u16)    |
 * +--------+--------+-----------------+
 * ```
 */
import { struct } from '../netlink/struct.js';
import { attrs, type AttrTable } from '../netlink/attrs.js';
import { type MessageSpec } from '../netlink/message.js';
import { NLA_F_NESTED } from '../netlink/constants.js';
import { rtnTypeNames, rtprotNames } from './route.js';

/** RTM_NEWNEIGH (linux/rtnetlink.h). */
export const RTM_NEWNEIGH = 28;
/** RTM_DELNEIGH (linux/rtnetlink.h). */
export const RTM_DELNEIGH = 29;
/** RTM_GETNEIGH (linux/rtnetlink.h). */
export const RTM_GETNEIGH = 30;
/** RTM_NEWNEIGHTBL (linux/rtnetlink.h): a neighbour table's parameters (dump replies). */
export const RTM_NEWNEIGHTBL = 64;
/** RTM_GETNEIGHTBL (linux/rtnetlink.h). */
export const RTM_GETNEIGHTBL = 66;
/** RTM_SETNEIGHTBL (linux/rtnetlink.h). */
export const RTM_SETNEIGHTBL = 67;

/** NDA_UNSPEC (linux/neighbour.h). */
export const NDA_UNSPEC = 0;
/** NDA_DST (linux/neighbour.h): the neighbour's network address (VXLAN fdb: remote IP). */
export const NDA_DST = 1;
/** NDA_LLADDR (linux/neighbour.h): the link-layer address. */
export const NDA_LLADDR = 2;
/** NDA_CACHEINFO (linux/neighbour.h): struct nda_cacheinfo. */
export const NDA_CACHEINFO = 3;
/** NDA_PROBES (linux/neighbour.h): probes sent. */
export const NDA_PROBES = 4;
/** NDA_VLAN (linux/neighbour.h): bridge fdb VLAN id. */
export const NDA_VLAN = 5;
/** NDA_PORT (linux/neighbour.h): VXLAN fdb UDP port, network byte order. */
export const NDA_PORT = 6;
/** NDA_VNI (linux/neighbour.h): VXLAN fdb VNI, host order. */
export const NDA_VNI = 7;
/** NDA_IFINDEX (linux/neighbour.h): VXLAN fdb outgoing device (iproute2 `via`). */
export const NDA_IFINDEX = 8;
/** NDA_MASTER (linux/neighbour.h): ifindex of the master (bridge) device. */
export const NDA_MASTER = 9;
/** NDA_LINK_NETNSID (linux/neighbour.h). */
export const NDA_LINK_NETNSID = 10;
/** NDA_SRC_VNI (linux/neighbour.h): VXLAN collect-metadata source VNI. */
export const NDA_SRC_VNI = 11;
/** NDA_PROTOCOL (linux/neighbour.h): originator of the entry (RTPROT_*). */
export const NDA_PROTOCOL = 12;
/** NDA_NH_ID (linux/neighbour.h): nexthop id (fdb entries pointing at a nexthop group). */
export const NDA_NH_ID = 13;
/** NDA_FDB_EXT_ATTRS (linux/neighbour.h): nested NFEA_* attributes. */
export const NDA_FDB_EXT_ATTRS = 14;
/** NDA_FLAGS_EXT (linux/neighbour.h): extended flags (NTF_EXT_*). */
export const NDA_FLAGS_EXT = 15;
/** NDA_NDM_STATE_MASK (linux/neighbour.h): bulk-delete match mask for ndm_state. */
export const NDA_NDM_STATE_MASK = 16;
/** NDA_NDM_FLAGS_MASK (linux/neighbour.h): bulk-delete match mask for ndm_flags. */
export const NDA_NDM_FLAGS_MASK = 17;

/** NTF_USE (linux/neighbour.h). */
export const NTF_USE = 1 << 0;
/** NTF_SELF (linux/neighbour.h). */
export const NTF_SELF = 1 << 1;
/** NTF_MASTER (linux/neighbour.h). */
export const NTF_MASTER = 1 << 2;
/** NTF_PROXY (linux/neighbour.h), == ATF_PUBL. */
export const NTF_PROXY = 1 << 3;
/** NTF_EXT_LEARNED (linux/neighbour.h). */
export const NTF_EXT_LEARNED = 1 << 4;
/** NTF_OFFLOADED (linux/neighbour.h). */
export const NTF_OFFLOADED = 1 << 5;
/** NTF_STICKY (linux/neighbour.h). */
export const NTF_STICKY = 1 << 6;
/** NTF_ROUTER (linux/neighbour.h). */
export const NTF_ROUTER = 1 << 7;
/** NTF_EXT_MANAGED (linux/neighbour.h): a bit of NDA_FLAGS_EXT, not of ndm_flags. */
export const NTF_EXT_MANAGED = 1 << 0;

/** NUD_INCOMPLETE (linux/neighbour.h). */
export const NUD_INCOMPLETE = 0x01;
/** NUD_REACHABLE (linux/neighbour.h). */
export const NUD_REACHABLE = 0x02;
/** NUD_STALE (linux/neighbour.h). */
export const NUD_STALE = 0x04;
/** NUD_DELAY (linux/neighbour.h). */
export const NUD_DELAY = 0x08;
/** NUD_PROBE (linux/neighbour.h). */
export const NUD_PROBE = 0x10;
/** NUD_FAILED (linux/neighbour.h). */
export const NUD_FAILED = 0x20;
/** NUD_NOARP (linux/neighbour.h): pseudo-state, no address resolution. */
export const NUD_NOARP = 0x40;
/** NUD_PERMANENT (linux/neighbour.h): pseudo-state, never garbage collected. */
export const NUD_PERMANENT = 0x80;
/** NUD_NONE (linux/neighbour.h). */
export const NUD_NONE = 0x00;

/** NFEA_UNSPEC (linux/neighbour.h). */
export const NFEA_UNSPEC = 0;
/** NFEA_ACTIVITY_NOTIFY (linux/neighbour.h): u8 of FDB_NOTIFY_BIT / FDB_NOTIFY_INACTIVE_BIT. */
export const NFEA_ACTIVITY_NOTIFY = 1;
/** NFEA_DONT_REFRESH (linux/neighbour.h): flag. */
export const NFEA_DONT_REFRESH = 2;
/** FDB_NOTIFY_BIT (linux/neighbour.h). */
export const FDB_NOTIFY_BIT = 1 << 0;
/** FDB_NOTIFY_INACTIVE_BIT (linux/neighbour.h). */
export const FDB_NOTIFY_INACTIVE_BIT = 1 << 1;

/** NDTPA_UNSPEC (linux/neighbour.h). */
export const NDTPA_UNSPEC = 0;
/** NDTPA_IFINDEX (linux/neighbour.h): u32, the device of a per-device parameter set. */
export const NDTPA_IFINDEX = 1;
/** NDTPA_REFCNT (linux/neighbour.h): u32, read-only. */
export const NDTPA_REFCNT = 2;
/** NDTPA_REACHABLE_TIME (linux/neighbour.h): u64 msecs, read-only. */
export const NDTPA_REACHABLE_TIME = 3;
/** NDTPA_BASE_REACHABLE_TIME (linux/neighbour.h): u64 msecs. */
export const NDTPA_BASE_REACHABLE_TIME = 4;
/** NDTPA_RETRANS_TIME (linux/neighbour.h): u64 msecs. */
export const NDTPA_RETRANS_TIME = 5;
/** NDTPA_GC_STALETIME (linux/neighbour.h): u64 msecs. */
export const NDTPA_GC_STALETIME = 6;
/** NDTPA_DELAY_PROBE_TIME (linux/neighbour.h): u64 msecs. */
export const NDTPA_DELAY_PROBE_TIME = 7;
/** NDTPA_QUEUE_LEN (linux/neighbour.h): u32 packets. */
export const NDTPA_QUEUE_LEN = 8;
/** NDTPA_APP_PROBES (linux/neighbour.h): u32. */
export const NDTPA_APP_PROBES = 9;
/** NDTPA_UCAST_PROBES (linux/neighbour.h): u32. */
export const NDTPA_UCAST_PROBES = 10;
/** NDTPA_MCAST_PROBES (linux/neighbour.h): u32. */
export const NDTPA_MCAST_PROBES = 11;
/** NDTPA_ANYCAST_DELAY (linux/neighbour.h): u64 msecs. */
export const NDTPA_ANYCAST_DELAY = 12;
/** NDTPA_PROXY_DELAY (linux/neighbour.h): u64 msecs. */
export const NDTPA_PROXY_DELAY = 13;
/** NDTPA_PROXY_QLEN (linux/neighbour.h): u32. */
export const NDTPA_PROXY_QLEN = 14;
/** NDTPA_LOCKTIME (linux/neighbour.h): u64 msecs. */
export const NDTPA_LOCKTIME = 15;
/** NDTPA_QUEUE_LENBYTES (linux/neighbour.h): u32 bytes. */
export const NDTPA_QUEUE_LENBYTES = 16;
/** NDTPA_MCAST_REPROBES (linux/neighbour.h): u32. */
export const NDTPA_MCAST_REPROBES = 17;
/** NDTPA_PAD (linux/neighbour.h). */
export const NDTPA_PAD = 18;
/** NDTPA_INTERVAL_PROBE_TIME_MS (linux/neighbour.h): u64 msecs. */
export const NDTPA_INTERVAL_PROBE_TIME_MS = 19;

/** NDTA_UNSPEC (linux/neighbour.h). */
export const NDTA_UNSPEC = 0;
/** NDTA_NAME (linux/neighbour.h): the table's name (`arp_cache`), identifies it in requests. */
export const NDTA_NAME = 1;
/** NDTA_THRESH1 (linux/neighbour.h): u32. */
export const NDTA_THRESH1 = 2;
/** NDTA_THRESH2 (linux/neighbour.h): u32. */
export const NDTA_THRESH2 = 3;
/** NDTA_THRESH3 (linux/neighbour.h): u32. */
export const NDTA_THRESH3 = 4;
/** NDTA_CONFIG (linux/neighbour.h): struct ndt_config, read-only. */
export const NDTA_CONFIG = 5;
/** NDTA_PARMS (linux/neighbour.h): nested NDTPA_* attributes. */
export const NDTA_PARMS = 6;
/** NDTA_STATS (linux/neighbour.h): struct ndt_stats, read-only. */
export const NDTA_STATS = 7;
/** NDTA_GC_INTERVAL (linux/neighbour.h): u64 msecs. */
export const NDTA_GC_INTERVAL = 8;
/** NDTA_PAD (linux/neighbour.h). */
export const NDTA_PAD = 9;

/**
 * ndm_state bit names (NUD_*, linux/neighbour.h) as iproute2 prints them. NUD_NONE (0)
 * is no bit: a state of 0 has no bit names, and iproute2 prints it as `NONE`.
 */
export const nudStateNames: Readonly<Record<number, string>> = {
  0x00: 'NONE', 0x01: 'INCOMPLETE', 0x02: 'REACHABLE', 0x04: 'STALE', 0x08: 'DELAY',
  0x10: 'PROBE', 0x20: 'FAILED', 0x40: 'NOARP', 0x80: 'PERMANENT',
};

/**
 * ndm_flags bit names (NTF_*, linux/neighbour.h) as iproute2 and bridge print them:
 * NTF_EXT_LEARNED is `extern_learn`, NTF_OFFLOADED is `offload`.
 */
export const ntfFlagNames: Readonly<Record<number, string>> = {
  0x01: 'use', 0x02: 'self', 0x04: 'master', 0x08: 'proxy', 0x10: 'extern_learn',
  0x20: 'offload', 0x40: 'sticky', 0x80: 'router',
};

/** NDA_FLAGS_EXT bit names (NTF_EXT_*, linux/neighbour.h) as iproute2 prints them. */
export const ntfExtFlagNames: Readonly<Record<number, string>> = {
  0x01: 'managed',
};

/** struct ndmsg (linux/neighbour.h), 12 bytes. */
export const ndmsg = struct('ndmsg', 12, {
  family: [0, 'u8'], pad1: [1, 'u8'], pad2: [2, 'u16'], ifindex: [4, 's32'],
  state: [8, 'u16', { bits: nudStateNames }],
  flags: [10, 'u8', { bits: ntfFlagNames }],
  type: [11, 'u8', { enum: rtnTypeNames }],
}, 'ndm_');

/** The decoded struct ndmsg. */
export type Ndmsg = ReturnType<typeof ndmsg.decode>;

/**
 * struct nda_cacheinfo (linux/neighbour.h), 16 bytes: NDA_CACHEINFO. confirmed, used and
 * updated are ages in clock ticks (USER_HZ), refcnt is the entry's reference count minus one.
 */
export const ndaCacheinfo = struct('nda_cacheinfo', 16, {
  confirmed: [0, 'u32'], used: [4, 'u32'], updated: [8, 'u32'], refcnt: [12, 'u32'],
}, 'ndm_');

/** The NFEA_* attributes inside NDA_FDB_EXT_ATTRS (linux/neighbour.h). */
export const fdbExtAttrs = attrs('NFEA_', {
  activityNotify: { type: NFEA_ACTIVITY_NOTIFY, kind: 'u8' },
  dontRefresh: { type: NFEA_DONT_REFRESH, kind: 'flag' },
}, 'NFEA_*');

/** The NDA_* attributes (linux/neighbour.h), every one of the installed uapi. */
export const neighAttrs = attrs('NDA_', {
  dst: { type: NDA_DST, kind: 'ipaddr' },
  lladdr: { type: NDA_LLADDR, kind: 'lladdr' },
  cacheinfo: { type: NDA_CACHEINFO, kind: 'struct', struct: ndaCacheinfo },
  probes: { type: NDA_PROBES, kind: 'u32' },
  vlan: { type: NDA_VLAN, kind: 'u16' },
  // nla_put_be16 in the kernel, without NLA_F_NET_BYTEORDER.
  port: { type: NDA_PORT, kind: 'u16be' },
  // Host order, unlike the vxlan driver's internal be32.
  vni: { type: NDA_VNI, kind: 'u32' },
  ifindex: { type: NDA_IFINDEX, kind: 'u32' },
  master: { type: NDA_MASTER, kind: 'u32' },
  linkNetnsid: { type: NDA_LINK_NETNSID, kind: 's32' },
  srcVni: { type: NDA_SRC_VNI, kind: 'u32' },
  protocol: { type: NDA_PROTOCOL, kind: 'u8', enum: rtprotNames },
  nhId: { type: NDA_NH_ID, kind: 'u32' },
  // Both the bridge (nla_nest_start) and iproute2 set NLA_F_NESTED on this nest.
  fdbExtAttrs: { type: NDA_FDB_EXT_ATTRS, kind: 'nested', attrs: fdbExtAttrs, flags: NLA_F_NESTED },
  flagsExt: { type: NDA_FLAGS_EXT, kind: 'u32' },
  ndmStateMask: { type: NDA_NDM_STATE_MASK, kind: 'u16' },
  ndmFlagsMask: { type: NDA_NDM_FLAGS_MASK, kind: 'u8' },
}, 'NDA_*');

/** The typed view of a neighbour's attributes (every NDA_* optional: absent is not zero). */
export type NeighAttrs = typeof neighAttrs extends AttrTable<infer T> ? T : never;

/** RTM_NEWNEIGH, RTM_DELNEIGH and RTM_GETNEIGH: struct ndmsg, then NDA_* attributes. */
export const neighMessages: readonly MessageSpec[] = [
  { type: RTM_NEWNEIGH, name: 'RTM_NEWNEIGH', op: 'new', body: ndmsg, attrs: neighAttrs },
  { type: RTM_DELNEIGH, name: 'RTM_DELNEIGH', op: 'del', body: ndmsg, attrs: neighAttrs },
  { type: RTM_GETNEIGH, name: 'RTM_GETNEIGH', op: 'get', body: ndmsg, attrs: neighAttrs },
];

/** struct ndtmsg (linux/neighbour.h), 4 bytes. */
export const ndtmsg = struct('ndtmsg', 4, {
  family: [0, 'u8'], pad1: [1, 'u8'], pad2: [2, 'u16'],
}, 'ndtm_');

/** The decoded struct ndtmsg. */
export type Ndtmsg = ReturnType<typeof ndtmsg.decode>;

/**
 * struct ndt_config (linux/neighbour.h), 32 bytes: NDTA_CONFIG. last_flush and last_rand
 * are ages in msecs.
 */
export const ndtConfig = struct('ndt_config', 32, {
  keyLen: [0, 'u16'], entrySize: [2, 'u16'], entries: [4, 'u32'], lastFlush: [8, 'u32'],
  lastRand: [12, 'u32'], hashRnd: [16, 'u32'], hashMask: [20, 'u32'],
  hashChainGc: [24, 'u32'], proxyQlen: [28, 'u32'],
}, 'ndtc_');

/** struct ndt_stats (linux/neighbour.h), 88 bytes: NDTA_STATS, eleven u64 counters. */
export const ndtStats = struct('ndt_stats', 88, {
  allocs: [0, 'u64'], destroys: [8, 'u64'], hashGrows: [16, 'u64'], resFailed: [24, 'u64'],
  lookups: [32, 'u64'], hits: [40, 'u64'], rcvProbesMcast: [48, 'u64'],
  rcvProbesUcast: [56, 'u64'], periodicGcRuns: [64, 'u64'], forcedGcRuns: [72, 'u64'],
  tableFulls: [80, 'u64'],
}, 'ndts_');

/** The NDTPA_* attributes inside NDTA_PARMS (linux/neighbour.h); times are msecs. */
export const ndtpaAttrs = attrs('NDTPA_', {
  ifindex: { type: NDTPA_IFINDEX, kind: 'u32' },
  refcnt: { type: NDTPA_REFCNT, kind: 'u32' },
  reachableTime: { type: NDTPA_REACHABLE_TIME, kind: 'u64' },
  baseReachableTime: { type: NDTPA_BASE_REACHABLE_TIME, kind: 'u64' },
  retransTime: { type: NDTPA_RETRANS_TIME, kind: 'u64' },
  gcStaletime: { type: NDTPA_GC_STALETIME, kind: 'u64' },
  delayProbeTime: { type: NDTPA_DELAY_PROBE_TIME, kind: 'u64' },
  queueLen: { type: NDTPA_QUEUE_LEN, kind: 'u32' },
  appProbes: { type: NDTPA_APP_PROBES, kind: 'u32' },
  ucastProbes: { type: NDTPA_UCAST_PROBES, kind: 'u32' },
  mcastProbes: { type: NDTPA_MCAST_PROBES, kind: 'u32' },
  anycastDelay: { type: NDTPA_ANYCAST_DELAY, kind: 'u64' },
  proxyDelay: { type: NDTPA_PROXY_DELAY, kind: 'u64' },
  proxyQlen: { type: NDTPA_PROXY_QLEN, kind: 'u32' },
  locktime: { type: NDTPA_LOCKTIME, kind: 'u64' },
  queueLenbytes: { type: NDTPA_QUEUE_LENBYTES, kind: 'u32' },
  mcastReprobes: { type: NDTPA_MCAST_REPROBES, kind: 'u32' },
  pad: { type: NDTPA_PAD, kind: 'bytes' },
  intervalProbeTimeMs: { type: NDTPA_INTERVAL_PROBE_TIME_MS, kind: 'u64' },
}, 'NDTPA_*');

/** The NDTA_* attributes (linux/neighbour.h). */
export const ndtaAttrs = attrs('NDTA_', {
  name: { type: NDTA_NAME, kind: 'string' },
  thresh1: { type: NDTA_THRESH1, kind: 'u32' },
  thresh2: { type: NDTA_THRESH2, kind: 'u32' },
  thresh3: { type: NDTA_THRESH3, kind: 'u32' },
  config: { type: NDTA_CONFIG, kind: 'struct', struct: ndtConfig },
  // The kernel opens this nest with nla_nest_start_noflag: no NLA_F_NESTED.
  parms: { type: NDTA_PARMS, kind: 'nested', attrs: ndtpaAttrs },
  stats: { type: NDTA_STATS, kind: 'struct', struct: ndtStats },
  gcInterval: { type: NDTA_GC_INTERVAL, kind: 'u64' },
  pad: { type: NDTA_PAD, kind: 'bytes' },
}, 'NDTA_*');

/** The typed view of a neighbour table's attributes. */
export type NeighTableAttrs = typeof ndtaAttrs extends AttrTable<infer T> ? T : never;

/**
 * RTM_NEWNEIGHTBL, RTM_GETNEIGHTBL and RTM_SETNEIGHTBL: struct ndtmsg, then NDTA_*
 * attributes. A dump answers with one message per table (NDTA_CONFIG, NDTA_STATS and the
 * default NDTA_PARMS) followed by one per device (NDTA_PARMS with NDTPA_IFINDEX).
 */
export const neighTableMessages: readonly MessageSpec[] = [
  { type: RTM_NEWNEIGHTBL, name: 'RTM_NEWNEIGHTBL', op: 'new', body: ndtmsg, attrs: ndtaAttrs },
  { type: RTM_GETNEIGHTBL, name: 'RTM_GETNEIGHTBL', op: 'get', body: ndtmsg, attrs: ndtaAttrs },
  { type: RTM_SETNEIGHTBL, name: 'RTM_SETNEIGHTBL', op: 'set', body: ndtmsg, attrs: ndtaAttrs },
];
