/**
 * Netlink datagrams in pcap files of link type LINKTYPE_NETLINK (253), as tcpdump and
 * dumpcap write them from an nlmon device.
 *
 * ```text
 * pcap global header (24 bytes, in the writer's byte order, told by the magic)
 *  0       4     6     8       12      16      20      24
 * +-------+-----+-----+-------+-------+-------+-------+
 * | magic | maj | min | zone  | sigf  | snap  | link  |   magic a1b2c3d4: usec, a1b23c4d: nsec
 * +-------+-----+-----+-------+-------+-------+-------+
 *
 * record header (16 bytes), then incl_len bytes
 * +--------+-----------+----------+----------+
 * | ts_sec | ts_usec/ns| incl_len | orig_len |
 * +--------+-----------+----------+----------+
 *
 * LINKTYPE_NETLINK "cooked" header (16 bytes, big-endian), then the datagram
 *  0        2        4        6                14       16
 * +--------+--------+--------+----------------+--------+--------------------+
 * | pkttype| ARPHRD | addrlen| address (8)    | family | nlmsghdr ...       |
 * |        | = 824  |        |                |        |                    |
 * +--------+--------+--------+----------------+--------+--------------------+
 * ```
 *
 * The cooked header is libpcap's DLT_LINUX_SLL header with sll_hatype ARPHRD_NETLINK and
 * sll_protocol the netlink protocol (NETLINK_ROUTE = 0). tcpdump.org documents the packet
 * type as unused; libpcap fills it from sll_pkttype when it can map it and writes 0xffff
 * otherwise, and the kernel's nlmon tap marks datagrams PACKET_KERNEL (7) / PACKET_USER (6).
 * So the reader takes the direction from the packet types that carry one and falls back to
 * the message itself (NLM_F_REQUEST) for the rest; see {@link directionFromPacketType}.
 *
 * Pure TypeScript: no Node APIs, so it runs in a browser. Work is linear in the input.
 */
import { DecodeError, EncodeError } from '../netlink/errors.js';
import { ARPHRD_NETLINK } from '../rtnl/link.js';

/** LINKTYPE_NETLINK, the pcap/pcapng link type of nlmon captures. */
export const LINKTYPE_NETLINK = 253;

/** Length of the cooked header before each datagram. */
export const COOKED_HEADER_LEN = 16;

/** sll_pkttype values (linux/if_packet.h) that say which way a datagram went. */
export const PACKET_HOST = 0;
export const PACKET_OUTGOING = 4;
export const PACKET_USER = 6;
export const PACKET_KERNEL = 7;

const MAGIC_USEC = 0xa1b2c3d4;
const MAGIC_NSEC = 0xa1b23c4d;
const MAGIC_USEC_SWAPPED = 0xd4c3b2a1;
const MAGIC_NSEC_SWAPPED = 0x4d3cb2a1;
const GLOBAL_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
/** What {@link writePcap} puts in the snaplen field: the largest netlink datagram plus header. */
const WRITE_SNAPLEN = 262144;

/** One netlink datagram read from a capture file. */
export interface CapturedDatagram {
  /** `>` to the kernel, `<` from the kernel; absent when neither header nor message tell. */
  direction?: '>' | '<';
  /** The netlink protocol: 0 NETLINK_ROUTE, 4 NETLINK_SOCK_DIAG, 16 NETLINK_GENERIC... */
  protocol: number;
  /** The datagram, starting at its first nlmsghdr, as captured (incl_len, not orig_len). */
  bytes: Uint8Array;
  /** Capture time in seconds since the epoch, when the file records one. */
  time?: number;
  /**
   * 1-based packet number in the file, counting every packet record (skipped ones too), so it
   * matches Wireshark's frame number.
   */
  index: number;
}

/** What {@link writePcap} writes: a datagram, its direction, protocol and time when known. */
export interface PcapDatagramInput {
  direction?: '>' | '<' | undefined;
  /** Netlink protocol; default 0 (NETLINK_ROUTE). */
  protocol?: number | undefined;
  bytes: Uint8Array;
  /** Seconds since the epoch; default 0. */
  time?: number | undefined;
}

/** Options of the capture readers. */
export interface ReadCaptureOptions {
  /**
   * `'header'` (default): the direction from the cooked header's packet type where it carries
   * one, else from the message. `'message'`: always from the message (for captures whose
   * packet types are all PACKET_OUTGOING, as a tap on the nlmon transmit path sees them).
   */
  direction?: 'header' | 'message';
}

/**
 * The direction a packet type means: PACKET_KERNEL and PACKET_OUTGOING (sent by this host's
 * user space) are to the kernel, PACKET_USER and PACKET_HOST (delivered to a socket here) are
 * from it; anything else (0xffff, broadcast, multicast) says nothing.
 */
export function directionFromPacketType(pkttype: number): '>' | '<' | undefined {
  if (pkttype === PACKET_KERNEL || pkttype === PACKET_OUTGOING) return '>';
  if (pkttype === PACKET_USER || pkttype === PACKET_HOST) return '<';
  return undefined;
}

/**
 * The direction a datagram's first message implies: NLM_F_REQUEST set means user space sent
 * it to the kernel (the kernel never sets it on replies or notifications). Host byte order is
 * taken as little-endian; undefined when the datagram is shorter than a nlmsghdr.
 */
export function directionFromMessage(bytes: Uint8Array): '>' | '<' | undefined {
  if (bytes.length < 16) return undefined;
  const flags = bytes[6]! | (bytes[7]! << 8);
  return flags & 1 ? '>' : '<';
}

/**
 * Splits a LINKTYPE_NETLINK packet into its cooked header and datagram. `at` is the packet's
 * offset in the file, for errors.
 */
export function decodeCooked(
  packet: Uint8Array, at: number, path: string, index: number, time: number | undefined,
  opts: ReadCaptureOptions,
): CapturedDatagram {
  if (packet.length < COOKED_HEADER_LEN) {
    throw new DecodeError(
      `packet of ${packet.length} bytes is shorter than the ${COOKED_HEADER_LEN}-byte LINKTYPE_NETLINK header`,
      at, path);
  }
  const pkttype = (packet[0]! << 8) | packet[1]!;
  const hatype = (packet[2]! << 8) | packet[3]!;
  if (hatype !== ARPHRD_NETLINK) {
    throw new DecodeError(`hardware type ${hatype} is not ARPHRD_NETLINK (${ARPHRD_NETLINK})`, at + 2, path);
  }
  const protocol = (packet[14]! << 8) | packet[15]!;
  const bytes = packet.slice(COOKED_HEADER_LEN);
  const direction = (opts.direction === 'message' ? undefined : directionFromPacketType(pkttype))
    ?? directionFromMessage(bytes);
  const d: CapturedDatagram = { protocol, bytes, index };
  if (direction !== undefined) d.direction = direction;
  if (time !== undefined) d.time = time;
  return d;
}

/**
 * Reads a pcap file of link type LINKTYPE_NETLINK, in either byte order, with micro- or
 * nanosecond timestamps. Throws {@link DecodeError} (path `pcap:header` or `pcap:packet N`,
 * offset into the file) for an empty or truncated file, an unknown magic, another link type,
 * a record whose incl_len exceeds the snaplen or the file, or a packet without its cooked
 * header.
 */
export function readPcap(bytes: Uint8Array, opts: ReadCaptureOptions = {}): CapturedDatagram[] {
  if (bytes.length === 0) throw new DecodeError('empty file', 0, 'pcap:header');
  if (bytes.length < GLOBAL_HEADER_LEN) {
    throw new DecodeError(
      `truncated global header: ${bytes.length} of ${GLOBAL_HEADER_LEN} bytes`, bytes.length, 'pcap:header');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  let le: boolean;
  if (magic === MAGIC_USEC || magic === MAGIC_NSEC) le = true;
  else if (magic === MAGIC_USEC_SWAPPED || magic === MAGIC_NSEC_SWAPPED) le = false;
  else throw new DecodeError(`not a pcap file: magic 0x${magic.toString(16).padStart(8, '0')}`, 0, 'pcap:header');
  const nsec = magic === MAGIC_NSEC || magic === MAGIC_NSEC_SWAPPED;
  const snaplen = view.getUint32(16, le);
  // The top bits of the link-type field carry the FCS length (pcap-savefile(5)).
  const linktype = view.getUint32(20, le) & 0x03ffffff;
  if (linktype !== LINKTYPE_NETLINK) {
    throw new DecodeError(`link type ${linktype} is not LINKTYPE_NETLINK (${LINKTYPE_NETLINK})`, 20, 'pcap:header');
  }
  const scale = nsec ? 1e-9 : 1e-6;
  const out: CapturedDatagram[] = [];
  let off = GLOBAL_HEADER_LEN;
  let index = 0;
  while (off < bytes.length) {
    index++;
    const path = `pcap:packet ${index}`;
    if (bytes.length - off < RECORD_HEADER_LEN) {
      throw new DecodeError(
        `truncated record header: ${bytes.length - off} of ${RECORD_HEADER_LEN} bytes`, off, path);
    }
    const sec = view.getUint32(off, le);
    const frac = view.getUint32(off + 4, le);
    const caplen = view.getUint32(off + 8, le);
    const data = off + RECORD_HEADER_LEN;
    if (snaplen > 0 && caplen > snaplen) {
      throw new DecodeError(`incl_len ${caplen} exceeds the snaplen ${snaplen}`, off + 8, path);
    }
    if (caplen > bytes.length - data) {
      throw new DecodeError(
        `incl_len ${caplen} runs past the end of the file (${bytes.length - data} bytes left)`, off + 8, path);
    }
    out.push(decodeCooked(bytes.subarray(data, data + caplen), data, path, index, sec + frac * scale, opts));
    off = data + caplen;
  }
  return out;
}

/** Writes the 16-byte cooked header for one datagram at `off`. */
export function writeCooked(buf: Uint8Array, off: number, direction: '>' | '<' | undefined, protocol: number): void {
  const pkttype = direction === '>' ? PACKET_OUTGOING : direction === '<' ? PACKET_HOST : 0xffff;
  buf[off] = pkttype >> 8;
  buf[off + 1] = pkttype & 0xff;
  buf[off + 2] = ARPHRD_NETLINK >> 8;
  buf[off + 3] = ARPHRD_NETLINK & 0xff;
  // Address length and address stay zero: netlink has no link-layer address.
  buf[off + 14] = protocol >> 8;
  buf[off + 15] = protocol & 0xff;
}

/**
 * Writes a little-endian, microsecond pcap file of link type LINKTYPE_NETLINK, one record per
 * datagram. The cooked header's packet type is PACKET_OUTGOING (4) for `>`, PACKET_HOST (0) for
 * `<` (libpcap's LINUX_SLL_OUTGOING / LINUX_SLL_HOST, "sent by us" / "sent to us") and 0xffff
 * when the direction is unknown. Throws {@link EncodeError} for a protocol outside 0..65535,
 * a negative or non-finite time, or a datagram larger than the snaplen (262144).
 */
export function writePcap(datagrams: readonly PcapDatagramInput[]): Uint8Array {
  let total = GLOBAL_HEADER_LEN;
  for (const [i, d] of datagrams.entries()) {
    const protocol = d.protocol ?? 0;
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 0xffff) {
      throw new EncodeError(`protocol ${protocol} is not in 0..65535`, `datagram ${i}`);
    }
    const t = d.time ?? 0;
    if (!Number.isFinite(t) || t < 0 || t >= 2 ** 32) {
      throw new EncodeError(`time ${t} is not a pcap timestamp (0 <= seconds < 2^32)`, `datagram ${i}`);
    }
    if (d.bytes.length + COOKED_HEADER_LEN > WRITE_SNAPLEN) {
      throw new EncodeError(`datagram of ${d.bytes.length} bytes exceeds the snaplen ${WRITE_SNAPLEN}`, `datagram ${i}`);
    }
    total += RECORD_HEADER_LEN + COOKED_HEADER_LEN + d.bytes.length;
  }
  const buf = new Uint8Array(total);
  const view = new DataView(buf.buffer);
  view.setUint32(0, MAGIC_USEC, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, WRITE_SNAPLEN, true);
  view.setUint32(20, LINKTYPE_NETLINK, true);
  let off = GLOBAL_HEADER_LEN;
  for (const d of datagrams) {
    const t = d.time ?? 0;
    let sec = Math.floor(t);
    let usec = Math.round((t - sec) * 1e6);
    if (usec >= 1e6) {
      sec++;
      usec -= 1e6;
    }
    const len = COOKED_HEADER_LEN + d.bytes.length;
    view.setUint32(off, sec, true);
    view.setUint32(off + 4, usec, true);
    view.setUint32(off + 8, len, true);
    view.setUint32(off + 12, len, true);
    writeCooked(buf, off + RECORD_HEADER_LEN, d.direction, d.protocol ?? 0);
    buf.set(d.bytes, off + RECORD_HEADER_LEN + COOKED_HEADER_LEN);
    off += RECORD_HEADER_LEN + len;
  }
  return buf;
}
