/**
 * Which capture format a file is in, and one reader for all of them.
 *
 * - `pcap`: magic a1b2c3d4 or a1b23c4d, in either byte order;
 * - `pcapng`: a Section Header Block, type 0a0d0d0a;
 * - `strace`: text with `socket(AF_NETLINK`, a send/receive call or a ` | 00000 ` hex dump;
 * - `hex`: anything else, read as hex lines.
 *
 * Pure TypeScript: no Node APIs, so it runs in a browser.
 */
import { DecodeError } from '../netlink/errors.js';
import { parseHexLines } from './hexlines.js';
import { parseStrace } from './strace.js';
import { type CapturedDatagram, type ReadCaptureOptions, readPcap } from './pcap.js';
import { readPcapng } from './pcapng.js';

/** The capture formats {@link readCapture} reads. */
export type CaptureFormat = 'pcap' | 'pcapng' | 'strace' | 'hex';

const STRACE_MARKERS = /socket\(AF_NETLINK|\b(?:sendmsg|recvmsg|sendto|recvfrom)\(|^ \| 00000 /m;

/** Guesses the format from magic numbers, then from the text. */
export function detectFormat(bytes: Uint8Array): CaptureFormat {
  if (bytes.length >= 4) {
    const be = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    if (be === 0x0a0d0d0a) return 'pcapng';
    if (be === 0xa1b2c3d4 || be === 0xd4c3b2a1 || be === 0xa1b23c4d || be === 0x4d3cb2a1) return 'pcap';
  }
  return STRACE_MARKERS.test(decodeText(bytes)) ? 'strace' : 'hex';
}

function decodeText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

/**
 * Reads netlink datagrams from a capture in any {@link CaptureFormat}, detected when `format`
 * is absent or `'auto'`. Hex lines give protocol 0 (NETLINK_ROUTE) and index = datagram
 * number; strace gives each socket's protocol (-1 when the trace never shows the socket being
 * opened) and index = datagram number. Throws {@link DecodeError} from the format's reader.
 */
export function readCapture(
  bytes: Uint8Array, format: CaptureFormat | 'auto' = 'auto', opts: ReadCaptureOptions = {},
): CapturedDatagram[] {
  const f = format === 'auto' ? detectFormat(bytes) : format;
  switch (f) {
    case 'pcap':
      return readPcap(bytes, opts);
    case 'pcapng':
      return readPcapng(bytes, opts);
    case 'strace':
      return parseStrace(decodeText(bytes)).map((d, i) => ({
        direction: d.direction, protocol: d.protocol, bytes: d.bytes, index: i + 1,
      }));
    case 'hex':
      return parseHexLines(decodeText(bytes)).map((d, i) => {
        const c: CapturedDatagram = { protocol: 0, bytes: d.bytes, index: i + 1 };
        if (d.direction !== undefined) c.direction = d.direction;
        return c;
      });
    default:
      throw new DecodeError(`unknown capture format ${String(f)}`, 0, 'capture');
  }
}
