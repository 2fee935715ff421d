/**
 * Addresses: struct ifaddrmsg and the IFA_* attributes (linux/if_addr.h), with
 * IFA_CACHEINFO (struct ifa_cacheinfo).
 *
 * ```text
 * struct ifaddrmsg (8 bytes)
 *  0        1           2               3               4                              8
 * +--------+-----------+---------------+---------------+------------------------------+
 * | family | prefixlen | flags (low 8  | scope         | index (u32)                  |
 * |        |           |  IFA_F_* bits)| (RT_SCOPE_*)  |                              |
 * +--------+-----------+---------------+---------------+------------------------------+
 * ```
 *
 * ifa_flags holds only the low 8 IFA_F_* bits; the kernel sends all of them in IFA_FLAGS
 * (u32), which takes precedence when present. IFA_ADDRESS is the prefix (for
 * point-to-point links the peer) address, IFA_LOCAL the interface's own address.
 */
import { rtScopeNames } from './route.js';
import { struct } from '../netlink/struct.js';
import { attrs, type AttrTable } from '../netlink/attrs.js';
import { type MessageSpec } from '../netlink/message.js';
import { addressFamilyNames } from '../netlink/constants.js';

/** RTM_NEWADDR (linux/rtnetlink.h). */
export const RTM_NEWADDR = 20;
/** RTM_DELADDR (linux/rtnetlink.h). */
export const RTM_DELADDR = 21;
/** RTM_GETADDR (linux/rtnetlink.h). */
export const RTM_GETADDR = 22;
/** RTM_NEWMULTICAST (linux/rtnetlink.h, Linux 6.13): IPv6 multicast address notification. */
export const RTM_NEWMULTICAST = 56;
/** RTM_DELMULTICAST (linux/rtnetlink.h, Linux 6.13). */
export const RTM_DELMULTICAST = 57;
/** RTM_GETMULTICAST (linux/rtnetlink.h): dump of multicast addresses (IFA_MULTICAST). */
export const RTM_GETMULTICAST = 58;
/** RTM_NEWANYCAST (linux/rtnetlink.h, Linux 6.14): IPv6 anycast address notification. */
export const RTM_NEWANYCAST = 60;
/** RTM_DELANYCAST (linux/rtnetlink.h, Linux 6.14). */
export const RTM_DELANYCAST = 61;
/** RTM_GETANYCAST (linux/rtnetlink.h): dump of anycast addresses (IFA_ANYCAST). */
export const RTM_GETANYCAST = 62;

/** IFA_UNSPEC (linux/if_addr.h). */
export const IFA_UNSPEC = 0;
/** IFA_ADDRESS (linux/if_addr.h): the prefix address; the peer on point-to-point links. */
export const IFA_ADDRESS = 1;
/** IFA_LOCAL (linux/if_addr.h): the local address. */
export const IFA_LOCAL = 2;
/** IFA_LABEL (linux/if_addr.h): the IPv4 label (`eth0:1`). */
export const IFA_LABEL = 3;
/** IFA_BROADCAST (linux/if_addr.h). */
export const IFA_BROADCAST = 4;
/** IFA_ANYCAST (linux/if_addr.h). */
export const IFA_ANYCAST = 5;
/** IFA_CACHEINFO (linux/if_addr.h): struct ifa_cacheinfo. */
export const IFA_CACHEINFO = 6;
/** IFA_MULTICAST (linux/if_addr.h). */
export const IFA_MULTICAST = 7;
/** IFA_FLAGS (linux/if_addr.h): u32 IFA_F_* bits, superseding ifa_flags. */
export const IFA_FLAGS = 8;
/** IFA_RT_PRIORITY (linux/if_addr.h): metric of the prefix route. */
export const IFA_RT_PRIORITY = 9;
/** IFA_TARGET_NETNSID (linux/if_addr.h). */
export const IFA_TARGET_NETNSID = 10;
/** IFA_PROTO (linux/if_addr.h): IFAPROT_*, who added the address. */
export const IFA_PROTO = 11;

/** IFA_F_SECONDARY (linux/if_addr.h). */
export const IFA_F_SECONDARY = 0x01;
/** IFA_F_TEMPORARY (linux/if_addr.h): = IFA_F_SECONDARY, its IPv6 meaning. */
export const IFA_F_TEMPORARY = 0x01;
/** IFA_F_NODAD (linux/if_addr.h). */
export const IFA_F_NODAD = 0x02;
/** IFA_F_OPTIMISTIC (linux/if_addr.h). */
export const IFA_F_OPTIMISTIC = 0x04;
/** IFA_F_DADFAILED (linux/if_addr.h). */
export const IFA_F_DADFAILED = 0x08;
/** IFA_F_HOMEADDRESS (linux/if_addr.h). */
export const IFA_F_HOMEADDRESS = 0x10;
/** IFA_F_DEPRECATED (linux/if_addr.h). */
export const IFA_F_DEPRECATED = 0x20;
/** IFA_F_TENTATIVE (linux/if_addr.h). */
export const IFA_F_TENTATIVE = 0x40;
/** IFA_F_PERMANENT (linux/if_addr.h). */
export const IFA_F_PERMANENT = 0x80;
/** IFA_F_MANAGETEMPADDR (linux/if_addr.h). */
export const IFA_F_MANAGETEMPADDR = 0x100;
/** IFA_F_NOPREFIXROUTE (linux/if_addr.h). */
export const IFA_F_NOPREFIXROUTE = 0x200;
/** IFA_F_MCAUTOJOIN (linux/if_addr.h). */
export const IFA_F_MCAUTOJOIN = 0x400;
/** IFA_F_STABLE_PRIVACY (linux/if_addr.h). */
export const IFA_F_STABLE_PRIVACY = 0x800;

/** IFAPROT_UNSPEC (linux/if_addr.h). */
export const IFAPROT_UNSPEC = 0;
/** IFAPROT_KERNEL_LO (linux/if_addr.h): loopback. */
export const IFAPROT_KERNEL_LO = 1;
/** IFAPROT_KERNEL_RA (linux/if_addr.h): from a router advertisement. */
export const IFAPROT_KERNEL_RA = 2;
/** IFAPROT_KERNEL_LL (linux/if_addr.h): link-local, set by the kernel. */
export const IFAPROT_KERNEL_LL = 3;

/**
 * IFA_F_* bit names (linux/if_addr.h) as iproute2 prints them (ip/ipaddress.c
 * ifa_flag_data): note `mngtmpaddr` (IFA_F_MANAGETEMPADDR) and `autojoin`
 * (IFA_F_MCAUTOJOIN). iproute2 prints 0x01 as `temporary` on IPv6 addresses.
 */
export const ifaFlagNames: Readonly<Record<number, string>> = {
  [IFA_F_SECONDARY]: 'secondary', [IFA_F_NODAD]: 'nodad', [IFA_F_OPTIMISTIC]: 'optimistic',
  [IFA_F_DADFAILED]: 'dadfailed', [IFA_F_HOMEADDRESS]: 'home',
  [IFA_F_DEPRECATED]: 'deprecated', [IFA_F_TENTATIVE]: 'tentative',
  [IFA_F_PERMANENT]: 'permanent', [IFA_F_MANAGETEMPADDR]: 'mngtmpaddr',
  [IFA_F_NOPREFIXROUTE]: 'noprefixroute', [IFA_F_MCAUTOJOIN]: 'autojoin',
  [IFA_F_STABLE_PRIVACY]: 'stable-privacy',
};

/**
 * enum rt_scope_t (linux/rtnetlink.h) names as iproute2 prints them for ifa_scope
 * (RT_SCOPE_UNIVERSE is `global`).
 */
export const ifaScopeNames: Readonly<Record<number, string>> = rtScopeNames;

/** IFAPROT_* names (linux/if_addr.h) as iproute2 prints them (/usr/share/iproute2/rt_addrprotos). */
export const ifaProtoNames: Readonly<Record<number, string>> = {
  [IFAPROT_UNSPEC]: 'unspec', [IFAPROT_KERNEL_LO]: 'kernel_lo',
  [IFAPROT_KERNEL_RA]: 'kernel_ra', [IFAPROT_KERNEL_LL]: 'kernel_ll',
};

const ifaFlagNames8: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(ifaFlagNames).filter(([bit]) => Number(bit) <= 0x80),
);

/** struct ifaddrmsg (linux/if_addr.h), 8 bytes: the fixed header of every address message. */
export const ifaddrmsg = struct('ifaddrmsg', 8, {
  family: [0, 'u8', { enum: addressFamilyNames }],
  prefixlen: [1, 'u8'],
  flags: [2, 'u8', { bits: ifaFlagNames8 }],
  scope: [3, 'u8', { enum: ifaScopeNames }],
  index: [4, 'u32'],
}, 'ifa_');

/** The decoded struct ifaddrmsg. */
export type Ifaddrmsg = ReturnType<typeof ifaddrmsg.decode>;

/**
 * struct ifa_cacheinfo (linux/if_addr.h), 16 bytes: IFA_CACHEINFO. Lifetimes in seconds
 * (0xffffffff = forever), time stamps in hundredths of a second since boot.
 */
export const ifaCacheinfo = struct('ifa_cacheinfo', 16, {
  prefered: [0, 'u32', { kname: 'ifa_prefered' }],
  valid: [4, 'u32', { kname: 'ifa_valid' }],
  cstamp: [8, 'u32', { kname: 'cstamp' }],
  tstamp: [12, 'u32', { kname: 'tstamp' }],
});

/** The IFA_* attributes (linux/if_addr.h): every one of the current uapi enum. */
export const addrAttrs = attrs('IFA_', {
  address: { type: IFA_ADDRESS, kind: 'ipaddr' },
  local: { type: IFA_LOCAL, kind: 'ipaddr' },
  label: { type: IFA_LABEL, kind: 'string' },
  broadcast: { type: IFA_BROADCAST, kind: 'ipaddr' },
  anycast: { type: IFA_ANYCAST, kind: 'ipaddr' },
  cacheinfo: { type: IFA_CACHEINFO, kind: 'struct', struct: ifaCacheinfo },
  multicast: { type: IFA_MULTICAST, kind: 'ipaddr' },
  flags: { type: IFA_FLAGS, kind: 'u32' },
  rtPriority: { type: IFA_RT_PRIORITY, kind: 'u32' },
  targetNetnsid: { type: IFA_TARGET_NETNSID, kind: 's32' },
  proto: { type: IFA_PROTO, kind: 'u8', enum: ifaProtoNames },
}, 'ifa');

/** The typed view of an address message's attributes. */
export type AddrAttrs = typeof addrAttrs extends AttrTable<infer T> ? T : never;

/**
 * RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR and the IPv6 multicast and anycast types, which
 * use the same struct ifaddrmsg and IFA_* attributes.
 */
export const addrMessages: MessageSpec[] = [
  { type: RTM_NEWADDR, name: 'RTM_NEWADDR', op: 'new', body: ifaddrmsg, attrs: addrAttrs },
  { type: RTM_DELADDR, name: 'RTM_DELADDR', op: 'del', body: ifaddrmsg, attrs: addrAttrs },
  { type: RTM_GETADDR, name: 'RTM_GETADDR', op: 'get', body: ifaddrmsg, attrs: addrAttrs },
  { type: RTM_NEWMULTICAST, name: 'RTM_NEWMULTICAST', op: 'new', body: ifaddrmsg, attrs: addrAttrs },
  { type: RTM_DELMULTICAST, name: 'RTM_DELMULTICAST', op: 'del', body: ifaddrmsg, attrs: addrAttrs },
  { type: RTM_GETMULTICAST, name: 'RTM_GETMULTICAST', op: 'get', body: ifaddrmsg, attrs: addrAttrs },
  { type: RTM_NEWANYCAST, name: 'RTM_NEWANYCAST', op: 'new', body: ifaddrmsg, attrs: addrAttrs },
  { type: RTM_DELANYCAST, name: 'RTM_DELANYCAST', op: 'del', body: ifaddrmsg, attrs: addrAttrs },
  { type: RTM_GETANYCAST, name: 'RTM_GETANYCAST', op: 'get', body: ifaddrmsg, attrs: addrAttrs },
];
