/**
 * Netlink datagrams in pcapng files (draft-ietf-opsawg-pcapng), as dumpcap writes them.
 *
 * ```text
 * every block                                  Enhanced Packet Block (type 6) body
 * +------+--------+--------------+--------+     +--------+---------+--------+--------+--------+------+-----+
 * | type | length | body         | length |     | if id  | ts high | ts low | caplen | origlen| data | opts|
 * +------+--------+--------------+--------+     +--------+---------+--------+--------+--------+------+-----+
 *   u32    u32     length - 12     u32
 *
 * Section Header Block (0x0a0d0d0a) body        Interface Description Block (type 1) body
 * +------------+-----+-----+---------+------+   +----------+------+---------+---------------------+
 * | 1a2b3c4d   | maj | min | sec len | opts |   | linktype | rsvd | snaplen | opts (if_tsresol 9) |
 * +------------+-----+-----+---------+------+   +----------+------+---------+---------------------+
 * ```
 *
 * Each section has its own byte order (told by the SHB's byte-order magic) and its own
 * interfaces. Packets come from Enhanced (6), Simple (3: interface 0, captured length from
 * the block and the interface's snaplen) and obsolete Packet (2) blocks; other blocks are
 * skipped by their length. Only interfaces of link type LINKTYPE_NETLINK give datagrams;
 * packets of other interfaces are counted in {@link PcapngResult.skipped}.
 *
 * Pure TypeScript: no Node APIs, so it runs in a browser. Work is linear in the input.
 */
import { DecodeError } from '../netlink/errors.js';
import { type CapturedDatagram, type ReadCaptureOptions, LINKTYPE_NETLINK, decodeCooked } from './pcap.js';

const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 1;
const BT_PB = 2;
const BT_SPB = 3;
const BT_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;

/** What {@link readPcapngResult} found. */
export interface PcapngResult {
  datagrams: CapturedDatagram[];
  /** Packets of interfaces whose link type is not LINKTYPE_NETLINK, left out. */
  skipped: { packets: number; linkTypes: number[] };
}

interface Iface {
  linktype: number;
  snaplen: number;
  /** Seconds per timestamp unit. */
  unit: number;
}

/**
 * Reads a pcapng file and returns its netlink datagrams; see {@link readPcapngResult}, which
 * also says how many packets of other link types were skipped.
 */
export function readPcapng(bytes: Uint8Array, opts: ReadCaptureOptions = {}): CapturedDatagram[] {
  return readPcapngResult(bytes, opts).datagrams;
}

/**
 * Reads a pcapng file. Throws {@link DecodeError} (path `pcapng:block N`, 1-based, offset into
 * the file) for an empty file, a file that does not start with a Section Header Block, an
 * unknown byte-order magic, a block length under 12, not a multiple of 4 or past the end,
 * leading and trailing block lengths that disagree, a packet on an undeclared interface, a
 * captured length past its block, or a netlink packet without its cooked header.
 */
export function readPcapngResult(bytes: Uint8Array, opts: ReadCaptureOptions = {}): PcapngResult {
  if (bytes.length === 0) throw new DecodeError('empty file', 0, 'pcapng:block 1');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const datagrams: CapturedDatagram[] = [];
  let skippedPackets = 0;
  const skippedTypes = new Set<number>();
  let ifaces: Iface[] = [];
  let le = true;
  let off = 0;
  let blockNo = 0;
  let packetNo = 0;
  while (off < bytes.length) {
    blockNo++;
    const path = `pcapng:block ${blockNo}`;
    const left = bytes.length - off;
    if (left < 12) throw new DecodeError(`truncated block header: ${left} of 12 bytes`, off, path);
    const rawType = view.getUint32(off, true);
    if (rawType === BT_SHB) {
      // The SHB type reads the same in both orders; its byte-order magic sets the order.
      const bom = view.getUint32(off + 8, true);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw new DecodeError(`unknown byte-order magic 0x${bom.toString(16).padStart(8, '0')}`, off + 8, path);
      ifaces = [];
    } else if (blockNo === 1) {
      throw new DecodeError(
        `not a pcapng file: first block type 0x${rawType.toString(16).padStart(8, '0')} is no Section Header Block`, off, path);
    }
    const type = view.getUint32(off, le);
    const len = view.getUint32(off + 4, le);
    if (len < 12) throw new DecodeError(`block length ${len} is less than 12`, off + 4, path);
    if (len % 4 !== 0) throw new DecodeError(`block length ${len} is not a multiple of 4`, off + 4, path);
    if (len > left) {
      throw new DecodeError(`block length ${len} runs past the end of the file (${left} bytes left)`, off + 4, path);
    }
    const trailer = view.getUint32(off + len - 4, le);
    if (trailer !== len) {
      throw new DecodeError(`block lengths disagree: ${len} at the start, ${trailer} at the end`, off + len - 4, path);
    }
    const body = off + 8;
    const bodyEnd = off + len - 4;
    const need = (n: number, what: string): void => {
      if (bodyEnd - body < n) {
        throw new DecodeError(`${what} body of ${bodyEnd - body} bytes is shorter than ${n}`, body, path);
      }
    };
    let packet: { iface: number; data: number; caplen: number; tsHigh?: number; tsLow?: number } | undefined;
    switch (type) {
      case BT_SHB:
        need(16, 'Section Header Block');
        break;
      case BT_IDB: {
        need(8, 'Interface Description Block');
        const iface: Iface = { linktype: view.getUint16(body, le), snaplen: view.getUint32(body + 4, le), unit: 1e-6 };
        readOptions(view, body + 8, bodyEnd, le, path, (code, at, olen) => {
          if (code === OPT_IF_TSRESOL && olen >= 1) {
            const v = bytes[at]!;
            iface.unit = v & 0x80 ? 2 ** -(v & 0x7f) : 10 ** -v;
          }
        });
        ifaces.push(iface);
        break;
      }
      case BT_EPB: {
        need(20, 'Enhanced Packet Block');
        packet = {
          iface: view.getUint32(body, le), tsHigh: view.getUint32(body + 4, le), tsLow: view.getUint32(body + 8, le),
          caplen: view.getUint32(body + 12, le), data: body + 20,
        };
        break;
      }
      case BT_PB: {
        need(20, 'Packet Block');
        packet = {
          iface: view.getUint16(body, le), tsHigh: view.getUint32(body + 4, le), tsLow: view.getUint32(body + 8, le),
          caplen: view.getUint32(body + 12, le), data: body + 20,
        };
        break;
      }
      case BT_SPB: {
        need(4, 'Simple Packet Block');
        const origlen = view.getUint32(body, le);
        const iface0 = ifaces[0];
        if (iface0 === undefined) throw new DecodeError('Simple Packet Block before any interface', off, path);
        let caplen = Math.min(origlen, bodyEnd - body - 4);
        if (iface0.snaplen > 0) caplen = Math.min(caplen, iface0.snaplen);
        packet = { iface: 0, caplen, data: body + 4 };
        break;
      }
      default:
        break;
    }
    if (packet !== undefined) {
      packetNo++;
      const iface = ifaces[packet.iface];
      if (iface === undefined) {
        throw new DecodeError(`packet on interface ${packet.iface}, but the section declares ${ifaces.length}`, body, path);
      }
      if (packet.caplen > bodyEnd - packet.data) {
        throw new DecodeError(
          `captured length ${packet.caplen} runs past the block (${bodyEnd - packet.data} bytes)`, packet.data - 8, path);
      }
      if (iface.linktype !== LINKTYPE_NETLINK) {
        skippedPackets++;
        skippedTypes.add(iface.linktype);
      } else {
        const time = packet.tsHigh === undefined ? undefined
          : (packet.tsHigh * 4294967296 + packet.tsLow!) * iface.unit;
        datagrams.push(decodeCooked(
          bytes.subarray(packet.data, packet.data + packet.caplen), packet.data, path, packetNo, time, opts));
      }
    }
    off += len;
  }
  return { datagrams, skipped: { packets: skippedPackets, linkTypes: [...skippedTypes].sort((a, b) => a - b) } };
}

/** Walks the options in [start, end), calling `each` with the code, value offset and length. */
function readOptions(
  view: DataView, start: number, end: number, le: boolean, path: string,
  each: (code: number, at: number, len: number) => void,
): void {
  let off = start;
  while (end - off >= 4) {
    const code = view.getUint16(off, le);
    const len = view.getUint16(off + 2, le);
    if (code === OPT_ENDOFOPT) return;
    const next = off + 4 + ((len + 3) & ~3);
    if (next > end) throw new DecodeError(`option ${code} of ${len} bytes runs past its block`, off + 2, path);
    each(code, off + 4, len);
    off = next;
  }
}
