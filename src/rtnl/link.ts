/**
 * Links: struct ifinfomsg (linux/rtnetlink.h) and the IFLA_* attributes (linux/if_link.h),
 * with struct rtnl_link_stats, rtnl_link_stats64 and rtnl_link_ifmap, and the nests
 * IFLA_LINKINFO (IFLA_INFO_*), IFLA_XDP (IFLA_XDP_*), IFLA_PROP_LIST and
 * IFLA_PROTO_DOWN_REASON.
 *
 * ```text
 * struct ifinfomsg (16 bytes)
 *  0        1           2               4               8               12              16
 * +--------+-----------+---------------+---------------+---------------+---------------+
 * | family | __ifi_pad | type (ARPHRD) | index (s32)   | flags (IFF_*) | change (mask) |
 * +--------+-----------+---------------+---------------+---------------+---------------+
 * ```
 *
 * Attribute kinds and nest flags follow what the kernel writes (net/core/rtnetlink.c,
 * rtnl_fill_ifinfo, Linux 6.18): IFLA_PROP_LIST, IFLA_PROTO_DOWN_REASON,
 * IFLA_DEVLINK_PORT and IFLA_DPLL_PIN are opened with nla_nest_start and so carry
 * NLA_F_NESTED; IFLA_LINKINFO, IFLA_XDP, IFLA_AF_SPEC, IFLA_VFINFO_LIST, IFLA_VF_PORTS and
 * IFLA_PORT_SELF use nla_nest_start_noflag and do not. Nests whose contents depend on the
 * driver or address family (IFLA_INFO_DATA, IFLA_AF_SPEC, IFLA_PROTINFO...) stay raw bytes.
 */
import { struct, type Struct } from '../netlink/struct.js';
import { attrs, type AttrCodec, type AttrTable } from '../netlink/attrs.js';
import { type MessageSpec } from '../netlink/message.js';
import { DecodeError, EncodeError } from '../netlink/errors.js';
import { LITTLE_ENDIAN, checkBig } from '../netlink/struct.js';
import { NLA_F_NESTED, addressFamilyNames } from '../netlink/constants.js';

/** RTM_NEWLINK (linux/rtnetlink.h): a link, in a dump, a reply or a notification; or a request to create one. */
export const RTM_NEWLINK = 16;
/** RTM_DELLINK (linux/rtnetlink.h). */
export const RTM_DELLINK = 17;
/** RTM_GETLINK (linux/rtnetlink.h). */
export const RTM_GETLINK = 18;
/** RTM_SETLINK (linux/rtnetlink.h). */
export const RTM_SETLINK = 19;
/** RTM_NEWLINKPROP (linux/rtnetlink.h): add alternative names (IFLA_PROP_LIST). */
export const RTM_NEWLINKPROP = 108;
/** RTM_DELLINKPROP (linux/rtnetlink.h). */
export const RTM_DELLINKPROP = 109;
/** RTM_GETLINKPROP (linux/rtnetlink.h). */
export const RTM_GETLINKPROP = 110;

/** IFLA_UNSPEC (linux/if_link.h). */
export const IFLA_UNSPEC = 0;
/** IFLA_ADDRESS (linux/if_link.h): the link-layer address. */
export const IFLA_ADDRESS = 1;
/** IFLA_BROADCAST (linux/if_link.h). */
export const IFLA_BROADCAST = 2;
/** IFLA_IFNAME (linux/if_link.h). */
export const IFLA_IFNAME = 3;
/** IFLA_MTU (linux/if_link.h). */
export const IFLA_MTU = 4;
/** IFLA_LINK (linux/if_link.h): ifindex of the lower device (the veth peer, the VLAN parent). */
export const IFLA_LINK = 5;
/** IFLA_QDISC (linux/if_link.h). */
export const IFLA_QDISC = 6;
/** IFLA_STATS (linux/if_link.h): struct rtnl_link_stats. */
export const IFLA_STATS = 7;
/** IFLA_COST (linux/if_link.h): reserved, never sent. */
export const IFLA_COST = 8;
/** IFLA_PRIORITY (linux/if_link.h): reserved, never sent. */
export const IFLA_PRIORITY = 9;
/** IFLA_MASTER (linux/if_link.h). */
export const IFLA_MASTER = 10;
/** IFLA_WIRELESS (linux/if_link.h): a Wireless Extension event. */
export const IFLA_WIRELESS = 11;
/** IFLA_PROTINFO (linux/if_link.h): protocol-specific (bridge port, inet6) information. */
export const IFLA_PROTINFO = 12;
/** IFLA_TXQLEN (linux/if_link.h). */
export const IFLA_TXQLEN = 13;
/** IFLA_MAP (linux/if_link.h): struct rtnl_link_ifmap. */
export const IFLA_MAP = 14;
/** IFLA_WEIGHT (linux/if_link.h). */
export const IFLA_WEIGHT = 15;
/** IFLA_OPERSTATE (linux/if_link.h): RFC 2863 state, IF_OPER_*. */
export const IFLA_OPERSTATE = 16;
/** IFLA_LINKMODE (linux/if_link.h): IF_LINK_MODE_*. */
export const IFLA_LINKMODE = 17;
/** IFLA_LINKINFO (linux/if_link.h): the link kind and its driver data. */
export const IFLA_LINKINFO = 18;
/** IFLA_NET_NS_PID (linux/if_link.h). */
export const IFLA_NET_NS_PID = 19;
/** IFLA_IFALIAS (linux/if_link.h). */
export const IFLA_IFALIAS = 20;
/** IFLA_NUM_VF (linux/if_link.h): number of VFs of an SR-IOV PF. */
export const IFLA_NUM_VF = 21;
/** IFLA_VFINFO_LIST (linux/if_link.h). */
export const IFLA_VFINFO_LIST = 22;
/** IFLA_STATS64 (linux/if_link.h): struct rtnl_link_stats64. */
export const IFLA_STATS64 = 23;
/** IFLA_VF_PORTS (linux/if_link.h). */
export const IFLA_VF_PORTS = 24;
/** IFLA_PORT_SELF (linux/if_link.h). */
export const IFLA_PORT_SELF = 25;
/** IFLA_AF_SPEC (linux/if_link.h): per-address-family nests (AF_INET, AF_INET6...). */
export const IFLA_AF_SPEC = 26;
/** IFLA_GROUP (linux/if_link.h). */
export const IFLA_GROUP = 27;
/** IFLA_NET_NS_FD (linux/if_link.h). */
export const IFLA_NET_NS_FD = 28;
/** IFLA_EXT_MASK (linux/if_link.h): RTEXT_FILTER_* bits in a request. */
export const IFLA_EXT_MASK = 29;
/** IFLA_PROMISCUITY (linux/if_link.h): promiscuity count. */
export const IFLA_PROMISCUITY = 30;
/** IFLA_NUM_TX_QUEUES (linux/if_link.h). */
export const IFLA_NUM_TX_QUEUES = 31;
/** IFLA_NUM_RX_QUEUES (linux/if_link.h). */
export const IFLA_NUM_RX_QUEUES = 32;
/** IFLA_CARRIER (linux/if_link.h). */
export const IFLA_CARRIER = 33;
/** IFLA_PHYS_PORT_ID (linux/if_link.h). */
export const IFLA_PHYS_PORT_ID = 34;
/** IFLA_CARRIER_CHANGES (linux/if_link.h). */
export const IFLA_CARRIER_CHANGES = 35;
/** IFLA_PHYS_SWITCH_ID (linux/if_link.h). */
export const IFLA_PHYS_SWITCH_ID = 36;
/** IFLA_LINK_NETNSID (linux/if_link.h): nsid of the namespace IFLA_LINK lives in. */
export const IFLA_LINK_NETNSID = 37;
/** IFLA_PHYS_PORT_NAME (linux/if_link.h). */
export const IFLA_PHYS_PORT_NAME = 38;
/** IFLA_PROTO_DOWN (linux/if_link.h). */
export const IFLA_PROTO_DOWN = 39;
/** IFLA_GSO_MAX_SEGS (linux/if_link.h). */
export const IFLA_GSO_MAX_SEGS = 40;
/** IFLA_GSO_MAX_SIZE (linux/if_link.h). */
export const IFLA_GSO_MAX_SIZE = 41;
/** IFLA_PAD (linux/if_link.h): aligns a following 64-bit attribute on strict-alignment CPUs. */
export const IFLA_PAD = 42;
/** IFLA_XDP (linux/if_link.h). */
export const IFLA_XDP = 43;
/** IFLA_EVENT (linux/if_link.h): IFLA_EVENT_* in notifications. */
export const IFLA_EVENT = 44;
/** IFLA_NEW_NETNSID (linux/if_link.h). */
export const IFLA_NEW_NETNSID = 45;
/** IFLA_IF_NETNSID (linux/if_link.h): the old name of IFLA_TARGET_NETNSID. */
export const IFLA_IF_NETNSID = 46;
/** IFLA_TARGET_NETNSID (linux/if_link.h): = IFLA_IF_NETNSID. */
export const IFLA_TARGET_NETNSID = 46;
/** IFLA_CARRIER_UP_COUNT (linux/if_link.h). */
export const IFLA_CARRIER_UP_COUNT = 47;
/** IFLA_CARRIER_DOWN_COUNT (linux/if_link.h). */
export const IFLA_CARRIER_DOWN_COUNT = 48;
/** IFLA_NEW_IFINDEX (linux/if_link.h). */
export const IFLA_NEW_IFINDEX = 49;
/** IFLA_MIN_MTU (linux/if_link.h). */
export const IFLA_MIN_MTU = 50;
/** IFLA_MAX_MTU (linux/if_link.h). */
export const IFLA_MAX_MTU = 51;
/** IFLA_PROP_LIST (linux/if_link.h): a nest of IFLA_ALT_IFNAME. */
export const IFLA_PROP_LIST = 52;
/** IFLA_ALT_IFNAME (linux/if_link.h): an alternative name. */
export const IFLA_ALT_IFNAME = 53;
/** IFLA_PERM_ADDRESS (linux/if_link.h): the permanent hardware address. */
export const IFLA_PERM_ADDRESS = 54;
/** IFLA_PROTO_DOWN_REASON (linux/if_link.h). */
export const IFLA_PROTO_DOWN_REASON = 55;
/** IFLA_PARENT_DEV_NAME (linux/if_link.h): sysfs name of the parent device. */
export const IFLA_PARENT_DEV_NAME = 56;
/** IFLA_PARENT_DEV_BUS_NAME (linux/if_link.h). */
export const IFLA_PARENT_DEV_BUS_NAME = 57;
/** IFLA_GRO_MAX_SIZE (linux/if_link.h). */
export const IFLA_GRO_MAX_SIZE = 58;
/** IFLA_TSO_MAX_SIZE (linux/if_link.h). */
export const IFLA_TSO_MAX_SIZE = 59;
/** IFLA_TSO_MAX_SEGS (linux/if_link.h). */
export const IFLA_TSO_MAX_SEGS = 60;
/** IFLA_ALLMULTI (linux/if_link.h): allmulti count. */
export const IFLA_ALLMULTI = 61;
/** IFLA_DEVLINK_PORT (linux/if_link.h, Linux 6.2): devlink port handle, a nest. */
export const IFLA_DEVLINK_PORT = 62;
/** IFLA_GSO_IPV4_MAX_SIZE (linux/if_link.h, Linux 6.3). */
export const IFLA_GSO_IPV4_MAX_SIZE = 63;
/** IFLA_GRO_IPV4_MAX_SIZE (linux/if_link.h, Linux 6.3). */
export const IFLA_GRO_IPV4_MAX_SIZE = 64;
/** IFLA_DPLL_PIN (linux/if_link.h, Linux 6.7): DPLL pin handle, a nest. */
export const IFLA_DPLL_PIN = 65;
/** IFLA_MAX_PACING_OFFLOAD_HORIZON (linux/if_link.h, Linux 6.13): nanoseconds, NLA_UINT. */
export const IFLA_MAX_PACING_OFFLOAD_HORIZON = 66;
/** IFLA_NETNS_IMMUTABLE (linux/if_link.h, Linux 6.13). */
export const IFLA_NETNS_IMMUTABLE = 67;
/** IFLA_HEADROOM (linux/if_link.h, Linux 6.17): needed_headroom. */
export const IFLA_HEADROOM = 68;
/** IFLA_TAILROOM (linux/if_link.h, Linux 6.17): needed_tailroom. */
export const IFLA_TAILROOM = 69;

/** IFLA_INFO_UNSPEC (linux/if_link.h): the attributes inside IFLA_LINKINFO. */
export const IFLA_INFO_UNSPEC = 0;
/** IFLA_INFO_KIND (linux/if_link.h): `veth`, `bridge`, `vlan`... */
export const IFLA_INFO_KIND = 1;
/** IFLA_INFO_DATA (linux/if_link.h): the kind's own attributes. */
export const IFLA_INFO_DATA = 2;
/** IFLA_INFO_XSTATS (linux/if_link.h). */
export const IFLA_INFO_XSTATS = 3;
/** IFLA_INFO_SLAVE_KIND (linux/if_link.h): the master's kind, on a port. */
export const IFLA_INFO_SLAVE_KIND = 4;
/** IFLA_INFO_SLAVE_DATA (linux/if_link.h). */
export const IFLA_INFO_SLAVE_DATA = 5;

/** IFLA_XDP_UNSPEC (linux/if_link.h): the attributes inside IFLA_XDP. */
export const IFLA_XDP_UNSPEC = 0;
/** IFLA_XDP_FD (linux/if_link.h). */
export const IFLA_XDP_FD = 1;
/** IFLA_XDP_ATTACHED (linux/if_link.h): XDP_ATTACHED_*. */
export const IFLA_XDP_ATTACHED = 2;
/** IFLA_XDP_FLAGS (linux/if_link.h): XDP_FLAGS_*. */
export const IFLA_XDP_FLAGS = 3;
/** IFLA_XDP_PROG_ID (linux/if_link.h). */
export const IFLA_XDP_PROG_ID = 4;
/** IFLA_XDP_DRV_PROG_ID (linux/if_link.h). */
export const IFLA_XDP_DRV_PROG_ID = 5;
/** IFLA_XDP_SKB_PROG_ID (linux/if_link.h). */
export const IFLA_XDP_SKB_PROG_ID = 6;
/** IFLA_XDP_HW_PROG_ID (linux/if_link.h). */
export const IFLA_XDP_HW_PROG_ID = 7;
/** IFLA_XDP_EXPECTED_FD (linux/if_link.h). */
export const IFLA_XDP_EXPECTED_FD = 8;

/** IFLA_PROTO_DOWN_REASON_UNSPEC (linux/if_link.h): inside IFLA_PROTO_DOWN_REASON. */
export const IFLA_PROTO_DOWN_REASON_UNSPEC = 0;
/** IFLA_PROTO_DOWN_REASON_MASK (linux/if_link.h). */
export const IFLA_PROTO_DOWN_REASON_MASK = 1;
/** IFLA_PROTO_DOWN_REASON_VALUE (linux/if_link.h). */
export const IFLA_PROTO_DOWN_REASON_VALUE = 2;

/** XDP_ATTACHED_NONE (linux/if_link.h): values of IFLA_XDP_ATTACHED. */
export const XDP_ATTACHED_NONE = 0;
/** XDP_ATTACHED_DRV (linux/if_link.h). */
export const XDP_ATTACHED_DRV = 1;
/** XDP_ATTACHED_SKB (linux/if_link.h). */
export const XDP_ATTACHED_SKB = 2;
/** XDP_ATTACHED_HW (linux/if_link.h). */
export const XDP_ATTACHED_HW = 3;
/** XDP_ATTACHED_MULTI (linux/if_link.h). */
export const XDP_ATTACHED_MULTI = 4;

/** IFLA_EVENT_NONE (linux/if_link.h): values of IFLA_EVENT. */
export const IFLA_EVENT_NONE = 0;
/** IFLA_EVENT_REBOOT (linux/if_link.h). */
export const IFLA_EVENT_REBOOT = 1;
/** IFLA_EVENT_FEATURES (linux/if_link.h). */
export const IFLA_EVENT_FEATURES = 2;
/** IFLA_EVENT_BONDING_FAILOVER (linux/if_link.h). */
export const IFLA_EVENT_BONDING_FAILOVER = 3;
/** IFLA_EVENT_NOTIFY_PEERS (linux/if_link.h). */
export const IFLA_EVENT_NOTIFY_PEERS = 4;
/** IFLA_EVENT_IGMP_RESEND (linux/if_link.h). */
export const IFLA_EVENT_IGMP_RESEND = 5;
/** IFLA_EVENT_BONDING_OPTIONS (linux/if_link.h). */
export const IFLA_EVENT_BONDING_OPTIONS = 6;

/** IFF_UP (linux/if.h): ifi_flags bits, as in enum net_device_flags. */
export const IFF_UP = 1 << 0;
/** IFF_BROADCAST (linux/if.h). */
export const IFF_BROADCAST = 1 << 1;
/** IFF_DEBUG (linux/if.h). */
export const IFF_DEBUG = 1 << 2;
/** IFF_LOOPBACK (linux/if.h). */
export const IFF_LOOPBACK = 1 << 3;
/** IFF_POINTOPOINT (linux/if.h). */
export const IFF_POINTOPOINT = 1 << 4;
/** IFF_NOTRAILERS (linux/if.h). */
export const IFF_NOTRAILERS = 1 << 5;
/** IFF_RUNNING (linux/if.h). */
export const IFF_RUNNING = 1 << 6;
/** IFF_NOARP (linux/if.h). */
export const IFF_NOARP = 1 << 7;
/** IFF_PROMISC (linux/if.h). */
export const IFF_PROMISC = 1 << 8;
/** IFF_ALLMULTI (linux/if.h). */
export const IFF_ALLMULTI = 1 << 9;
/** IFF_MASTER (linux/if.h). */
export const IFF_MASTER = 1 << 10;
/** IFF_SLAVE (linux/if.h). */
export const IFF_SLAVE = 1 << 11;
/** IFF_MULTICAST (linux/if.h). */
export const IFF_MULTICAST = 1 << 12;
/** IFF_PORTSEL (linux/if.h). */
export const IFF_PORTSEL = 1 << 13;
/** IFF_AUTOMEDIA (linux/if.h). */
export const IFF_AUTOMEDIA = 1 << 14;
/** IFF_DYNAMIC (linux/if.h). */
export const IFF_DYNAMIC = 1 << 15;
/** IFF_LOWER_UP (linux/if.h). */
export const IFF_LOWER_UP = 1 << 16;
/** IFF_DORMANT (linux/if.h). */
export const IFF_DORMANT = 1 << 17;
/** IFF_ECHO (linux/if.h). */
export const IFF_ECHO = 1 << 18;

/** IF_OPER_UNKNOWN (linux/if.h): RFC 2863 operational states, values of IFLA_OPERSTATE. */
export const IF_OPER_UNKNOWN = 0;
/** IF_OPER_NOTPRESENT (linux/if.h). */
export const IF_OPER_NOTPRESENT = 1;
/** IF_OPER_DOWN (linux/if.h). */
export const IF_OPER_DOWN = 2;
/** IF_OPER_LOWERLAYERDOWN (linux/if.h). */
export const IF_OPER_LOWERLAYERDOWN = 3;
/** IF_OPER_TESTING (linux/if.h). */
export const IF_OPER_TESTING = 4;
/** IF_OPER_DORMANT (linux/if.h). */
export const IF_OPER_DORMANT = 5;
/** IF_OPER_UP (linux/if.h). */
export const IF_OPER_UP = 6;

/** IF_LINK_MODE_DEFAULT (linux/if.h): values of IFLA_LINKMODE. */
export const IF_LINK_MODE_DEFAULT = 0;
/** IF_LINK_MODE_DORMANT (linux/if.h). */
export const IF_LINK_MODE_DORMANT = 1;
/** IF_LINK_MODE_TESTING (linux/if.h). */
export const IF_LINK_MODE_TESTING = 2;

/** RTEXT_FILTER_VF (linux/rtnetlink.h): bits of IFLA_EXT_MASK in a GETLINK request. */
export const RTEXT_FILTER_VF = 1 << 0;
/** RTEXT_FILTER_BRVLAN (linux/rtnetlink.h). */
export const RTEXT_FILTER_BRVLAN = 1 << 1;
/** RTEXT_FILTER_BRVLAN_COMPRESSED (linux/rtnetlink.h). */
export const RTEXT_FILTER_BRVLAN_COMPRESSED = 1 << 2;
/** RTEXT_FILTER_SKIP_STATS (linux/rtnetlink.h). */
export const RTEXT_FILTER_SKIP_STATS = 1 << 3;
/** RTEXT_FILTER_MRP (linux/rtnetlink.h). */
export const RTEXT_FILTER_MRP = 1 << 4;
/** RTEXT_FILTER_CFM_CONFIG (linux/rtnetlink.h). */
export const RTEXT_FILTER_CFM_CONFIG = 1 << 5;
/** RTEXT_FILTER_CFM_STATUS (linux/rtnetlink.h). */
export const RTEXT_FILTER_CFM_STATUS = 1 << 6;
/** RTEXT_FILTER_MST (linux/rtnetlink.h). */
export const RTEXT_FILTER_MST = 1 << 7;

/** ARPHRD_NETROM (linux/if_arp.h): from KA9Q: NET/ROM pseudo. */
export const ARPHRD_NETROM = 0;
/** ARPHRD_ETHER (linux/if_arp.h): Ethernet 10Mbps. */
export const ARPHRD_ETHER = 1;
/** ARPHRD_EETHER (linux/if_arp.h): Experimental Ethernet. */
export const ARPHRD_EETHER = 2;
/** ARPHRD_AX25 (linux/if_arp.h): AX.25 Level 2. */
export const ARPHRD_AX25 = 3;
/** ARPHRD_PRONET (linux/if_arp.h): PROnet token ring. */
export const ARPHRD_PRONET = 4;
/** ARPHRD_CHAOS (linux/if_arp.h): Chaosnet. */
export const ARPHRD_CHAOS = 5;
/** ARPHRD_IEEE802 (linux/if_arp.h): IEEE 802.2 Ethernet/TR/TB. */
export const ARPHRD_IEEE802 = 6;
/** ARPHRD_ARCNET (linux/if_arp.h): ARCnet. */
export const ARPHRD_ARCNET = 7;
/** ARPHRD_APPLETLK (linux/if_arp.h): APPLEtalk. */
export const ARPHRD_APPLETLK = 8;
/** ARPHRD_DLCI (linux/if_arp.h): Frame Relay DLCI. */
export const ARPHRD_DLCI = 15;
/** ARPHRD_ATM (linux/if_arp.h): ATM. */
export const ARPHRD_ATM = 19;
/** ARPHRD_METRICOM (linux/if_arp.h): Metricom STRIP (new IANA id). */
export const ARPHRD_METRICOM = 23;
/** ARPHRD_IEEE1394 (linux/if_arp.h): IEEE 1394 IPv4 - RFC 2734. */
export const ARPHRD_IEEE1394 = 24;
/** ARPHRD_EUI64 (linux/if_arp.h): EUI-64. */
export const ARPHRD_EUI64 = 27;
/** ARPHRD_INFINIBAND (linux/if_arp.h): InfiniBand. */
export const ARPHRD_INFINIBAND = 32;
/** ARPHRD_SLIP (linux/if_arp.h). */
export const ARPHRD_SLIP = 256;
/** ARPHRD_CSLIP (linux/if_arp.h). */
export const ARPHRD_CSLIP = 257;
/** ARPHRD_SLIP6 (linux/if_arp.h). */
export const ARPHRD_SLIP6 = 258;
/** ARPHRD_CSLIP6 (linux/if_arp.h). */
export const ARPHRD_CSLIP6 = 259;
/** ARPHRD_RSRVD (linux/if_arp.h): Notional KISS type. */
export const ARPHRD_RSRVD = 260;
/** ARPHRD_ADAPT (linux/if_arp.h). */
export const ARPHRD_ADAPT = 264;
/** ARPHRD_ROSE (linux/if_arp.h). */
export const ARPHRD_ROSE = 270;
/** ARPHRD_X25 (linux/if_arp.h): CCITT X.25. */
export const ARPHRD_X25 = 271;
/** ARPHRD_HWX25 (linux/if_arp.h): Boards with X.25 in firmware. */
export const ARPHRD_HWX25 = 272;
/** ARPHRD_CAN (linux/if_arp.h): Controller Area Network. */
export const ARPHRD_CAN = 280;
/** ARPHRD_MCTP (linux/if_arp.h). */
export const ARPHRD_MCTP = 290;
/** ARPHRD_PPP (linux/if_arp.h). */
export const ARPHRD_PPP = 512;
/** ARPHRD_CISCO (linux/if_arp.h): Cisco HDLC. */
export const ARPHRD_CISCO = 513;
/** ARPHRD_LAPB (linux/if_arp.h): LAPB. */
export const ARPHRD_LAPB = 516;
/** ARPHRD_DDCMP (linux/if_arp.h): Digital's DDCMP protocol. */
export const ARPHRD_DDCMP = 517;
/** ARPHRD_RAWHDLC (linux/if_arp.h): Raw HDLC. */
export const ARPHRD_RAWHDLC = 518;
/** ARPHRD_RAWIP (linux/if_arp.h): Raw IP. */
export const ARPHRD_RAWIP = 519;
/** ARPHRD_TUNNEL (linux/if_arp.h): IPIP tunnel. */
export const ARPHRD_TUNNEL = 768;
/** ARPHRD_TUNNEL6 (linux/if_arp.h): IP6IP6 tunnel. */
export const ARPHRD_TUNNEL6 = 769;
/** ARPHRD_FRAD (linux/if_arp.h): Frame Relay Access Device. */
export const ARPHRD_FRAD = 770;
/** ARPHRD_SKIP (linux/if_arp.h): SKIP vif. */
export const ARPHRD_SKIP = 771;
/** ARPHRD_LOOPBACK (linux/if_arp.h): Loopback device. */
export const ARPHRD_LOOPBACK = 772;
/** ARPHRD_LOCALTLK (linux/if_arp.h): Localtalk device. */
export const ARPHRD_LOCALTLK = 773;
/** ARPHRD_FDDI (linux/if_arp.h): Fiber Distributed Data Interface. */
export const ARPHRD_FDDI = 774;
/** ARPHRD_BIF (linux/if_arp.h): AP1000 BIF. */
export const ARPHRD_BIF = 775;
/** ARPHRD_SIT (linux/if_arp.h): sit0 device - IPv6-in-IPv4. */
export const ARPHRD_SIT = 776;
/** ARPHRD_IPDDP (linux/if_arp.h): IP over DDP tunneller. */
export const ARPHRD_IPDDP = 777;
/** ARPHRD_IPGRE (linux/if_arp.h): GRE over IP. */
export const ARPHRD_IPGRE = 778;
/** ARPHRD_PIMREG (linux/if_arp.h): PIMSM register interface. */
export const ARPHRD_PIMREG = 779;
/** ARPHRD_HIPPI (linux/if_arp.h): High Performance Parallel Interface. */
export const ARPHRD_HIPPI = 780;
/** ARPHRD_ASH (linux/if_arp.h): Nexus 64Mbps Ash. */
export const ARPHRD_ASH = 781;
/** ARPHRD_ECONET (linux/if_arp.h): Acorn Econet. */
export const ARPHRD_ECONET = 782;
/** ARPHRD_IRDA (linux/if_arp.h): Linux-IrDA. */
export const ARPHRD_IRDA = 783;
/** ARPHRD_FCPP (linux/if_arp.h): Point to point fibrechannel. */
export const ARPHRD_FCPP = 784;
/** ARPHRD_FCAL (linux/if_arp.h): Fibrechannel arbitrated loop. */
export const ARPHRD_FCAL = 785;
/** ARPHRD_FCPL (linux/if_arp.h): Fibrechannel public loop. */
export const ARPHRD_FCPL = 786;
/** ARPHRD_FCFABRIC (linux/if_arp.h): Fibrechannel fabric. */
export const ARPHRD_FCFABRIC = 787;
/** ARPHRD_IEEE802_TR (linux/if_arp.h): Magic type ident for TR. */
export const ARPHRD_IEEE802_TR = 800;
/** ARPHRD_IEEE80211 (linux/if_arp.h): IEEE 802.11. */
export const ARPHRD_IEEE80211 = 801;
/** ARPHRD_IEEE80211_PRISM (linux/if_arp.h): IEEE 802.11 + Prism2 header. */
export const ARPHRD_IEEE80211_PRISM = 802;
/** ARPHRD_IEEE80211_RADIOTAP (linux/if_arp.h): IEEE 802.11 + radiotap header. */
export const ARPHRD_IEEE80211_RADIOTAP = 803;
/** ARPHRD_IEEE802154 (linux/if_arp.h). */
export const ARPHRD_IEEE802154 = 804;
/** ARPHRD_IEEE802154_MONITOR (linux/if_arp.h): IEEE 802.15.4 network monitor. */
export const ARPHRD_IEEE802154_MONITOR = 805;
/** ARPHRD_PHONET (linux/if_arp.h): PhoNet media type. */
export const ARPHRD_PHONET = 820;
/** ARPHRD_PHONET_PIPE (linux/if_arp.h): PhoNet pipe header. */
export const ARPHRD_PHONET_PIPE = 821;
/** ARPHRD_CAIF (linux/if_arp.h): CAIF media type. */
export const ARPHRD_CAIF = 822;
/** ARPHRD_IP6GRE (linux/if_arp.h): GRE over IPv6. */
export const ARPHRD_IP6GRE = 823;
/** ARPHRD_NETLINK (linux/if_arp.h): Netlink header. */
export const ARPHRD_NETLINK = 824;
/** ARPHRD_6LOWPAN (linux/if_arp.h): IPv6 over LoWPAN. */
export const ARPHRD_6LOWPAN = 825;
/** ARPHRD_VSOCKMON (linux/if_arp.h): Vsock monitor header. */
export const ARPHRD_VSOCKMON = 826;
/** ARPHRD_VOID (linux/if_arp.h): Void type, nothing is known. */
export const ARPHRD_VOID = 0xffff;
/** ARPHRD_NONE (linux/if_arp.h): zero header length. */
export const ARPHRD_NONE = 0xfffe;
/** ARPHRD_HDLC (linux/if_arp.h) = ARPHRD_CISCO. */
export const ARPHRD_HDLC = 513;

/**
 * IFF_* bit names (linux/if.h) without the prefix, as iproute2 prints them in
 * `<BROADCAST,MULTICAST,UP,LOWER_UP>` and in `ip -j`'s `flags`.
 */
export const iffNames: Readonly<Record<number, string>> = {
  [IFF_UP]: 'UP', [IFF_BROADCAST]: 'BROADCAST', [IFF_DEBUG]: 'DEBUG',
  [IFF_LOOPBACK]: 'LOOPBACK', [IFF_POINTOPOINT]: 'POINTOPOINT',
  [IFF_NOTRAILERS]: 'NOTRAILERS', [IFF_RUNNING]: 'RUNNING', [IFF_NOARP]: 'NOARP',
  [IFF_PROMISC]: 'PROMISC', [IFF_ALLMULTI]: 'ALLMULTI', [IFF_MASTER]: 'MASTER',
  [IFF_SLAVE]: 'SLAVE', [IFF_MULTICAST]: 'MULTICAST', [IFF_PORTSEL]: 'PORTSEL',
  [IFF_AUTOMEDIA]: 'AUTOMEDIA', [IFF_DYNAMIC]: 'DYNAMIC', [IFF_LOWER_UP]: 'LOWER_UP',
  [IFF_DORMANT]: 'DORMANT', [IFF_ECHO]: 'ECHO',
};

/**
 * ARPHRD_* names (linux/if_arp.h) as iproute2's ll_type_n2a prints them (`link/ether`);
 * ARPHRD_NETROM (0) prints as `generic`.
 */
export const arphrdNames: Readonly<Record<number, string>> = {
  0: 'generic', 1: 'ether', 2: 'eether', 3: 'ax25', 4: 'pronet', 5: 'chaos', 6: 'ieee802',
  7: 'arcnet', 8: 'atalk', 15: 'dlci', 19: 'atm', 23: 'metricom', 24: 'ieee1394',
  32: 'infiniband', 256: 'slip', 257: 'cslip', 258: 'slip6', 259: 'cslip6', 260: 'rsrvd',
  264: 'adapt', 270: 'rose', 271: 'x25', 272: 'hwx25', 280: 'can', 512: 'ppp', 513: 'hdlc',
  516: 'lapb', 517: 'ddcmp', 518: 'rawhdlc', 768: 'ipip', 769: 'tunnel6', 770: 'frad',
  771: 'skip', 772: 'loopback', 773: 'ltalk', 774: 'fddi', 775: 'bif', 776: 'sit',
  777: 'ip/ddp', 778: 'gre', 779: 'pimreg', 780: 'hippi', 781: 'ash', 782: 'econet',
  783: 'irda', 784: 'fcpp', 785: 'fcal', 786: 'fcpl', 787: 'fcfb0', 788: 'fcfb1',
  789: 'fcfb2', 790: 'fcfb3', 791: 'fcfb4', 792: 'fcfb5', 793: 'fcfb6', 794: 'fcfb7',
  795: 'fcfb8', 796: 'fcfb9', 797: 'fcfb10', 798: 'fcfb11', 799: 'fcfb12', 800: 'tr',
  801: 'ieee802.11', 802: 'ieee802.11/prism', 803: 'ieee802.11/radiotap',
  804: 'ieee802.15.4', 805: 'ieee802.15.4/monitor', 820: 'phonet', 821: 'phonet_pipe',
  822: 'caif', 823: 'gre6', 824: 'netlink', 825: '6lowpan', 0xfffe: 'none', 0xffff: 'void',
};

/** IF_OPER_* names (linux/if.h) as iproute2 prints them (`state UP`, `operstate`). */
export const operstateNames: Readonly<Record<number, string>> = {
  [IF_OPER_UNKNOWN]: 'UNKNOWN', [IF_OPER_NOTPRESENT]: 'NOTPRESENT', [IF_OPER_DOWN]: 'DOWN',
  [IF_OPER_LOWERLAYERDOWN]: 'LOWERLAYERDOWN', [IF_OPER_TESTING]: 'TESTING',
  [IF_OPER_DORMANT]: 'DORMANT', [IF_OPER_UP]: 'UP',
};

/** IF_LINK_MODE_* names (linux/if.h) as iproute2 prints them (`mode DEFAULT`, `linkmode`). */
export const linkmodeNames: Readonly<Record<number, string>> = {
  [IF_LINK_MODE_DEFAULT]: 'DEFAULT', [IF_LINK_MODE_DORMANT]: 'DORMANT',
  [IF_LINK_MODE_TESTING]: 'TESTING',
};

/** IFLA_EVENT_* names (linux/if_link.h) as iproute2 prints them (`event FEATURE CHANGE`). */
export const linkEventNames: Readonly<Record<number, string>> = {
  [IFLA_EVENT_NONE]: 'NONE', [IFLA_EVENT_REBOOT]: 'REBOOT',
  [IFLA_EVENT_FEATURES]: 'FEATURE CHANGE', [IFLA_EVENT_BONDING_FAILOVER]: 'BONDING FAILOVER',
  [IFLA_EVENT_NOTIFY_PEERS]: 'NOTIFY PEERS', [IFLA_EVENT_IGMP_RESEND]: 'RESEND IGMP',
  [IFLA_EVENT_BONDING_OPTIONS]: 'BONDING OPTION',
};

/** XDP_ATTACHED_* names (linux/if_link.h), lower-case without the prefix. */
export const xdpAttachedNames: Readonly<Record<number, string>> = {
  [XDP_ATTACHED_NONE]: 'none', [XDP_ATTACHED_DRV]: 'drv', [XDP_ATTACHED_SKB]: 'skb',
  [XDP_ATTACHED_HW]: 'hw', [XDP_ATTACHED_MULTI]: 'multi',
};

/** struct ifinfomsg (linux/rtnetlink.h), 16 bytes: the fixed header of every link message. */
export const ifinfomsg = struct('ifinfomsg', 16, {
  family: [0, 'u8', { enum: addressFamilyNames }],
  pad: [1, 'u8', { kname: '__ifi_pad' }],
  type: [2, 'u16', { enum: arphrdNames }],
  index: [4, 's32'],
  flags: [8, 'u32', { bits: iffNames }],
  change: [12, 'u32', { bits: iffNames }],
}, 'ifi_');

/** The decoded struct ifinfomsg. */
export type Ifinfomsg = ReturnType<typeof ifinfomsg.decode>;

/**
 * struct rtnl_link_stats (linux/if_link.h), 96 bytes: IFLA_STATS, 32-bit counters. Linux
 * before 4.6 sends 92 (no rx_nohandler): see {@link linkStatsCodec}.
 */
export const rtnlLinkStats = struct('rtnl_link_stats', 96, {
  rxPackets: [0, 'u32'],
  txPackets: [4, 'u32'],
  rxBytes: [8, 'u32'],
  txBytes: [12, 'u32'],
  rxErrors: [16, 'u32'],
  txErrors: [20, 'u32'],
  rxDropped: [24, 'u32'],
  txDropped: [28, 'u32'],
  multicast: [32, 'u32'],
  collisions: [36, 'u32'],
  rxLengthErrors: [40, 'u32'],
  rxOverErrors: [44, 'u32'],
  rxCrcErrors: [48, 'u32'],
  rxFrameErrors: [52, 'u32'],
  rxFifoErrors: [56, 'u32'],
  rxMissedErrors: [60, 'u32'],
  txAbortedErrors: [64, 'u32'],
  txCarrierErrors: [68, 'u32'],
  txFifoErrors: [72, 'u32'],
  txHeartbeatErrors: [76, 'u32'],
  txWindowErrors: [80, 'u32'],
  rxCompressed: [84, 'u32'],
  txCompressed: [88, 'u32'],
  rxNohandler: [92, 'u32'],
});

/**
 * struct rtnl_link_stats64 (linux/if_link.h), 200 bytes: IFLA_STATS64. Linux before 5.19
 * sends 192 (no rx_otherhost_dropped), before 4.6 184 (no rx_nohandler): see
 * {@link linkStats64Codec}.
 */
export const rtnlLinkStats64 = struct('rtnl_link_stats64', 200, {
  rxPackets: [0, 'u64'],
  txPackets: [8, 'u64'],
  rxBytes: [16, 'u64'],
  txBytes: [24, 'u64'],
  rxErrors: [32, 'u64'],
  txErrors: [40, 'u64'],
  rxDropped: [48, 'u64'],
  txDropped: [56, 'u64'],
  multicast: [64, 'u64'],
  collisions: [72, 'u64'],
  rxLengthErrors: [80, 'u64'],
  rxOverErrors: [88, 'u64'],
  rxCrcErrors: [96, 'u64'],
  rxFrameErrors: [104, 'u64'],
  rxFifoErrors: [112, 'u64'],
  rxMissedErrors: [120, 'u64'],
  txAbortedErrors: [128, 'u64'],
  txCarrierErrors: [136, 'u64'],
  txFifoErrors: [144, 'u64'],
  txHeartbeatErrors: [152, 'u64'],
  txWindowErrors: [160, 'u64'],
  rxCompressed: [168, 'u64'],
  txCompressed: [176, 'u64'],
  rxNohandler: [184, 'u64'],
  rxOtherhostDropped: [192, 'u64'],
});

/**
 * struct rtnl_link_ifmap (linux/if_link.h): IFLA_MAP. 28 bytes of fields, 32 with the
 * tail padding a 64-bit ABI gives it (sizeof is 32 on every arch with 8-byte u64 alignment,
 * which is what the kernel sends).
 */
export const rtnlLinkIfmap = struct('rtnl_link_ifmap', 32, {
  memStart: [0, 'u64'],
  memEnd: [8, 'u64'],
  baseAddr: [16, 'u64'],
  irq: [24, 'u16'],
  dma: [26, 'u8'],
  port: [27, 'u8'],
  pad: [28, 'bytes4', { kname: '(padding)' }],
});

/**
 * A struct the kernel has grown at its end: older kernels send a prefix of it. The
 * payload may stop at the end of any field from `optional[0]` on; the fields it lacks are
 * absent from the decoded value, and `encode` writes the same prefix back. A payload
 * longer than the struct (a newer kernel) or ending inside a field is decoded as far as
 * the struct goes and keeps the message's exact bytes.
 */
export function grownStruct<T extends Record<string, unknown>, K extends keyof T & string>(
  s: Struct<T>, optional: readonly K[],
): AttrCodec<Omit<T, K> & Partial<Pick<T, K>>> {
  type V = Omit<T, K> & Partial<Pick<T, K>>;
  const fields = s.fields;
  const first = fields.find((f) => f.key === optional[0])!;
  const minSize = first.offset;
  const tail = new Set<string>(optional);
  /** Bytes up to the end of the last field present in `v`; the present ones must be a prefix. */
  const lengthOf = (v: V, path: string): number => {
    const r = v as Record<string, unknown>;
    let n = minSize;
    let gap = false;
    for (const f of fields) {
      if (!tail.has(f.key)) continue;
      if (r[f.key] === undefined) { gap = true; continue; }
      if (gap) throw new EncodeError(`${s.name}: ${f.kname} present after an absent field`, path);
      n = f.offset + f.size;
    }
    return n;
  };
  return {
    decode(ctx, off, len, path) {
      if (len < minSize) {
        throw new DecodeError(`${s.name} payload is ${len} bytes, expected ${minSize} to ${s.size}`, off, path);
      }
      if (len >= s.size) {
        if (len > s.size) ctx.odd = true;
        return s.decode(ctx.view, ctx.buf, off) as V;
      }
      const tmp = new Uint8Array(s.size);
      tmp.set(ctx.buf.subarray(off, off + len));
      const v = s.decode(new DataView(tmp.buffer), tmp, 0) as Record<string, unknown>;
      let end = minSize;
      for (const f of fields) {
        if (f.offset + f.size > len) delete v[f.key];
        else end = Math.max(end, f.offset + f.size);
      }
      if (end !== len) ctx.odd = true;
      return v as V;
    },
    encodingLength: lengthOf,
    encode(v, ctx, off, path) {
      const n = lengthOf(v, path);
      const tmp = new Uint8Array(s.size);
      s.encode(v as Partial<T>, new DataView(tmp.buffer), tmp, 0, path);
      ctx.buf.set(tmp.subarray(0, n), off);
      return n;
    },
    toJSON(v) {
      const j = s.toJSON(v as T);
      for (const k of tail) if ((v as Record<string, unknown>)[k] === undefined) delete j[k];
      return j;
    },
    fromJSON(j, path) {
      const v = s.fromJSON(j, path) as Record<string, unknown>;
      const src = (j ?? {}) as Record<string, unknown>;
      for (const k of tail) if (src[k] === undefined) delete v[k];
      return v as V;
    },
  };
}

/** IFLA_STATS: struct rtnl_link_stats, 92 bytes (Linux < 4.6) or 96. */
export const linkStatsCodec = grownStruct(rtnlLinkStats, ['rxNohandler']);

/** IFLA_STATS64: struct rtnl_link_stats64, 184 (Linux < 4.6), 192 (< 5.19) or 200 bytes. */
export const linkStats64Codec = grownStruct(rtnlLinkStats64, ['rxNohandler', 'rxOtherhostDropped']);

/** The decoded IFLA_STATS: rx_nohandler absent from kernels before 4.6. */
export type LinkStats = typeof linkStatsCodec extends AttrCodec<infer T> ? T : never;

/** The decoded IFLA_STATS64: rx_nohandler and rx_otherhost_dropped absent from older kernels. */
export type LinkStats64 = typeof linkStats64Codec extends AttrCodec<infer T> ? T : never;

/**
 * A netlink NLA_UINT (include/net/netlink.h nla_put_uint): 4 bytes when the value fits in
 * 32 bits, 8 otherwise. Decoded as a bigint; an 8-byte payload holding a value that would
 * have fit in 4 is not what `encode` writes, so the message keeps its exact bytes.
 */
export const uintCodec: AttrCodec<bigint> = {
  decode(ctx, off, len, path) {
    if (len === 4) return BigInt(ctx.view.getUint32(off, LITTLE_ENDIAN));
    if (len === 8) {
      const v = ctx.view.getBigUint64(off, LITTLE_ENDIAN);
      if (v <= 0xffffffffn) ctx.odd = true;
      return v;
    }
    throw new DecodeError(`payload is ${len} bytes, expected 4 or 8 (NLA_UINT)`, off, path);
  },
  encodingLength(v, path) {
    return checkBig(false, v, path) <= 0xffffffffn ? 4 : 8;
  },
  encode(v, ctx, off, path) {
    const x = checkBig(false, v, path);
    if (x <= 0xffffffffn) {
      ctx.view.setUint32(off, Number(x), LITTLE_ENDIAN);
      return 4;
    }
    ctx.view.setBigUint64(off, x, LITTLE_ENDIAN);
    return 8;
  },
  toJSON(v) { return v.toString(); },
  fromJSON(j, path) {
    if (typeof j === 'string' && /^[0-9]+$/.test(j)) return BigInt(j);
    if (typeof j === 'number' && Number.isSafeInteger(j) && j >= 0) return BigInt(j);
    throw new DecodeError(`expected a decimal string, got ${JSON.stringify(j)}`, 0, path);
  },
};

/** The attributes inside IFLA_LINKINFO (IFLA_INFO_*, linux/if_link.h). */
export const linkinfoAttrs = attrs('IFLA_INFO_', {
  kind: { type: IFLA_INFO_KIND, kind: 'string' },
  // Driver attributes (IFLA_VETH_*, IFLA_BR_*...), a nest without NLA_F_NESTED: not modelled.
  data: { type: IFLA_INFO_DATA, kind: 'bytes' },
  xstats: { type: IFLA_INFO_XSTATS, kind: 'bytes' },
  slaveKind: { type: IFLA_INFO_SLAVE_KIND, kind: 'string' },
  slaveData: { type: IFLA_INFO_SLAVE_DATA, kind: 'bytes' },
}, 'ifla_info');

/** The typed view of IFLA_LINKINFO. */
export type LinkInfo = typeof linkinfoAttrs extends AttrTable<infer T> ? T : never;

/** The attributes inside IFLA_XDP (IFLA_XDP_*, linux/if_link.h). */
export const xdpAttrs = attrs('IFLA_XDP_', {
  fd: { type: IFLA_XDP_FD, kind: 's32' },
  attached: { type: IFLA_XDP_ATTACHED, kind: 'u8', enum: xdpAttachedNames },
  flags: { type: IFLA_XDP_FLAGS, kind: 'u32' },
  progId: { type: IFLA_XDP_PROG_ID, kind: 'u32' },
  drvProgId: { type: IFLA_XDP_DRV_PROG_ID, kind: 'u32' },
  skbProgId: { type: IFLA_XDP_SKB_PROG_ID, kind: 'u32' },
  hwProgId: { type: IFLA_XDP_HW_PROG_ID, kind: 'u32' },
  expectedFd: { type: IFLA_XDP_EXPECTED_FD, kind: 's32' },
}, 'ifla_xdp');

/** The typed view of IFLA_XDP. */
export type XdpInfo = typeof xdpAttrs extends AttrTable<infer T> ? T : never;

/**
 * The attributes inside IFLA_PROP_LIST: IFLA_ALT_IFNAME strings, once per alternative
 * name (decoded as `altIfname`, `altIfname#2`, ...). They share the IFLA_* numbering.
 */
export const propListAttrs = attrs('IFLA_', {
  altIfname: { type: IFLA_ALT_IFNAME, kind: 'string' },
}, 'ifla_prop_list');

/** The typed view of IFLA_PROP_LIST. */
export type PropList = typeof propListAttrs extends AttrTable<infer T> ? T : never;

/** The attributes inside IFLA_PROTO_DOWN_REASON (linux/if_link.h). */
export const protoDownReasonAttrs = attrs('IFLA_PROTO_DOWN_REASON_', {
  mask: { type: IFLA_PROTO_DOWN_REASON_MASK, kind: 'u32' },
  value: { type: IFLA_PROTO_DOWN_REASON_VALUE, kind: 'u32' },
}, 'ifla_proto_down_reason');

/** The typed view of IFLA_PROTO_DOWN_REASON. */
export type ProtoDownReason = typeof protoDownReasonAttrs extends AttrTable<infer T> ? T : never;

/** The IFLA_* attributes (linux/if_link.h): every one of the current uapi enum. */
export const linkAttrs = attrs('IFLA_', {
  address: { type: IFLA_ADDRESS, kind: 'lladdr' },
  broadcast: { type: IFLA_BROADCAST, kind: 'lladdr' },
  ifname: { type: IFLA_IFNAME, kind: 'string' },
  mtu: { type: IFLA_MTU, kind: 'u32' },
  link: { type: IFLA_LINK, kind: 'u32' },
  qdisc: { type: IFLA_QDISC, kind: 'string' },
  stats: { type: IFLA_STATS, kind: 'codec', codec: linkStatsCodec },
  // IFLA_COST and IFLA_PRIORITY were never given a payload by any kernel.
  cost: { type: IFLA_COST, kind: 'bytes' },
  priority: { type: IFLA_PRIORITY, kind: 'bytes' },
  master: { type: IFLA_MASTER, kind: 'u32' },
  wireless: { type: IFLA_WIRELESS, kind: 'bytes' },
  // A nest whose flag depends on the family: inet6 (AF_INET6 dumps) opens it without
  // NLA_F_NESTED, the bridge (AF_BRIDGE) with it; the latter keeps its exact bytes.
  protinfo: { type: IFLA_PROTINFO, kind: 'bytes' },
  txqlen: { type: IFLA_TXQLEN, kind: 'u32' },
  map: { type: IFLA_MAP, kind: 'struct', struct: rtnlLinkIfmap },
  weight: { type: IFLA_WEIGHT, kind: 'u32' },
  operstate: { type: IFLA_OPERSTATE, kind: 'u8', enum: operstateNames },
  linkmode: { type: IFLA_LINKMODE, kind: 'u8', enum: linkmodeNames },
  linkinfo: { type: IFLA_LINKINFO, kind: 'nested', attrs: linkinfoAttrs },
  netNsPid: { type: IFLA_NET_NS_PID, kind: 'u32' },
  ifalias: { type: IFLA_IFALIAS, kind: 'string' },
  numVf: { type: IFLA_NUM_VF, kind: 'u32' },
  vfinfoList: { type: IFLA_VFINFO_LIST, kind: 'bytes' },
  stats64: { type: IFLA_STATS64, kind: 'codec', codec: linkStats64Codec },
  vfPorts: { type: IFLA_VF_PORTS, kind: 'bytes' },
  portSelf: { type: IFLA_PORT_SELF, kind: 'bytes' },
  // One nest per address family (AF_INET: IFLA_INET_CONF, AF_INET6: IFLA_INET6_*): raw.
  afSpec: { type: IFLA_AF_SPEC, kind: 'bytes' },
  group: { type: IFLA_GROUP, kind: 'u32' },
  netNsFd: { type: IFLA_NET_NS_FD, kind: 'u32' },
  extMask: { type: IFLA_EXT_MASK, kind: 'u32' },
  promiscuity: { type: IFLA_PROMISCUITY, kind: 'u32' },
  numTxQueues: { type: IFLA_NUM_TX_QUEUES, kind: 'u32' },
  numRxQueues: { type: IFLA_NUM_RX_QUEUES, kind: 'u32' },
  carrier: { type: IFLA_CARRIER, kind: 'u8' },
  physPortId: { type: IFLA_PHYS_PORT_ID, kind: 'bytes' },
  carrierChanges: { type: IFLA_CARRIER_CHANGES, kind: 'u32' },
  physSwitchId: { type: IFLA_PHYS_SWITCH_ID, kind: 'bytes' },
  linkNetnsid: { type: IFLA_LINK_NETNSID, kind: 's32' },
  physPortName: { type: IFLA_PHYS_PORT_NAME, kind: 'string' },
  protoDown: { type: IFLA_PROTO_DOWN, kind: 'u8' },
  gsoMaxSegs: { type: IFLA_GSO_MAX_SEGS, kind: 'u32' },
  gsoMaxSize: { type: IFLA_GSO_MAX_SIZE, kind: 'u32' },
  // Zero-length in practice (nla_align_64bit), but kept whatever its size.
  pad: { type: IFLA_PAD, kind: 'bytes' },
  xdp: { type: IFLA_XDP, kind: 'nested', attrs: xdpAttrs },
  event: { type: IFLA_EVENT, kind: 'u32', enum: linkEventNames },
  newNetnsid: { type: IFLA_NEW_NETNSID, kind: 's32' },
  targetNetnsid: { type: IFLA_TARGET_NETNSID, kind: 's32' },
  carrierUpCount: { type: IFLA_CARRIER_UP_COUNT, kind: 'u32' },
  carrierDownCount: { type: IFLA_CARRIER_DOWN_COUNT, kind: 'u32' },
  newIfindex: { type: IFLA_NEW_IFINDEX, kind: 's32' },
  minMtu: { type: IFLA_MIN_MTU, kind: 'u32' },
  maxMtu: { type: IFLA_MAX_MTU, kind: 'u32' },
  propList: { type: IFLA_PROP_LIST, kind: 'nested', attrs: propListAttrs, flags: NLA_F_NESTED },
  altIfname: { type: IFLA_ALT_IFNAME, kind: 'string' },
  permAddress: { type: IFLA_PERM_ADDRESS, kind: 'lladdr' },
  protoDownReason: {
    type: IFLA_PROTO_DOWN_REASON, kind: 'nested', attrs: protoDownReasonAttrs, flags: NLA_F_NESTED,
  },
  parentDevName: { type: IFLA_PARENT_DEV_NAME, kind: 'string' },
  parentDevBusName: { type: IFLA_PARENT_DEV_BUS_NAME, kind: 'string' },
  groMaxSize: { type: IFLA_GRO_MAX_SIZE, kind: 'u32' },
  tsoMaxSize: { type: IFLA_TSO_MAX_SIZE, kind: 'u32' },
  tsoMaxSegs: { type: IFLA_TSO_MAX_SEGS, kind: 'u32' },
  allmulti: { type: IFLA_ALLMULTI, kind: 'u32' },
  // devlink's DEVLINK_ATTR_* handle (bus, device, port index): not modelled. Sent empty
  // when the device has no devlink port.
  devlinkPort: { type: IFLA_DEVLINK_PORT, kind: 'bytes', flags: NLA_F_NESTED },
  gsoIpv4MaxSize: { type: IFLA_GSO_IPV4_MAX_SIZE, kind: 'u32' },
  groIpv4MaxSize: { type: IFLA_GRO_IPV4_MAX_SIZE, kind: 'u32' },
  // dpll's DPLL_A_PIN_ID: not modelled. Sent empty without a pin.
  dpllPin: { type: IFLA_DPLL_PIN, kind: 'bytes', flags: NLA_F_NESTED },
  maxPacingOffloadHorizon: { type: IFLA_MAX_PACING_OFFLOAD_HORIZON, kind: 'codec', codec: uintCodec },
  netnsImmutable: { type: IFLA_NETNS_IMMUTABLE, kind: 'u8' },
  headroom: { type: IFLA_HEADROOM, kind: 'u16' },
  tailroom: { type: IFLA_TAILROOM, kind: 'u16' },
}, 'ifla');

/** The typed view of a link message's attributes. */
export type LinkAttrs = typeof linkAttrs extends AttrTable<infer T> ? T : never;

/** RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK, RTM_SETLINK and the RTM_*LINKPROP types. */
export const linkMessages: MessageSpec[] = [
  { type: RTM_NEWLINK, name: 'RTM_NEWLINK', op: 'new', body: ifinfomsg, attrs: linkAttrs },
  { type: RTM_DELLINK, name: 'RTM_DELLINK', op: 'del', body: ifinfomsg, attrs: linkAttrs },
  { type: RTM_GETLINK, name: 'RTM_GETLINK', op: 'get', body: ifinfomsg, attrs: linkAttrs },
  { type: RTM_SETLINK, name: 'RTM_SETLINK', op: 'set', body: ifinfomsg, attrs: linkAttrs },
  { type: RTM_NEWLINKPROP, name: 'RTM_NEWLINKPROP', op: 'new', body: ifinfomsg, attrs: linkAttrs },
  { type: RTM_DELLINKPROP, name: 'RTM_DELLINKPROP', op: 'del', body: ifinfomsg, attrs: linkAttrs },
  { type: RTM_GETLINKPROP, name: 'RTM_GETLINKPROP', op: 'get', body: ifinfomsg, attrs: linkAttrs },
];
