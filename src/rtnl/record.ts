/**
 * Recording a client's traffic to a pcap file that Wireshark, tshark and `nlwire decode`
 * open: `Rtnl.open({ record: 'trace.pcap' })`, or by hand:
 *
 * ```ts
 * const rec = pcapRecorder('trace.pcap');
 * const nl = await Rtnl.open({ onDatagram: rec.onDatagram });
 * await nl.route.get({ dst: '203.0.113.5' });
 * nl.close();
 * rec.close();
 * ```
 *
 * Every datagram is written as it goes by (one pcap record, through the same
 * {@link writePcap} as `nlwire encode --pcap`), so memory stays bounded and a process that
 * dies mid-run leaves a file whose records are all whole. Directions are kept in the cooked
 * header (PACKET_OUTGOING to the kernel, PACKET_HOST from it), with the capture time in
 * microseconds.
 *
 * @module
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { writePcap } from '../capture/pcap.js';
import { NETLINK_ROUTE } from '../netlink/constants.js';

/** A recorder: give `onDatagram` to Rtnl.open (or NetlinkSocket.open), `close` at the end. */
export interface PcapRecorder {
  /** Records one datagram; chains to the tap given to {@link pcapRecorder}, if any. */
  onDatagram(direction: '>' | '<', bytes: Uint8Array): void;
  /** Closes the file (idempotent). Datagrams after that are passed on but not recorded. */
  close(): void;
  /** The file written. */
  readonly path: string;
  /** Datagrams recorded so far. */
  readonly count: number;
}

/** The 24-byte pcap global header, as writePcap writes it. */
const HEADER_LEN = 24;

/** writeSync until every byte is out (a regular file may take a write in parts). */
function writeAll(fd: number, buf: Uint8Array, offset: number): void {
  while (offset < buf.length) offset += writeSync(fd, buf, offset, buf.length - offset);
}

/** Seconds since the epoch, to the microsecond (Date.now() alone has milliseconds). */
function now(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

/**
 * Creates (or truncates) `path` and returns a recorder that appends every datagram it sees
 * as a LINKTYPE_NETLINK pcap record. `protocol` is the netlink protocol written in the
 * cooked header (NETLINK_ROUTE by default); `tap` is another `onDatagram` to call as well.
 *
 * A datagram that cannot be written (the disk is full, the file went away) closes the
 * recorder and is reported once through `onError` (default: a process warning); the
 * client's traffic is never disturbed by the recording.
 *
 * @throws Error (from node:fs) when the file cannot be created.
 */
export function pcapRecorder(
  path: string,
  opts: { tap?: (direction: '>' | '<', bytes: Uint8Array) => void; protocol?: number; onError?: (err: Error) => void } = {},
): PcapRecorder {
  const protocol = opts.protocol ?? NETLINK_ROUTE;
  let fd: number | undefined = openSync(path, 'w');
  let count = 0;
  try {
    writeAll(fd, writePcap([]), 0);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  const stop = (): void => {
    if (fd === undefined) return;
    const f = fd;
    fd = undefined;
    closeSync(f);
  };
  const rec: PcapRecorder = {
    path,
    get count() {
      return count;
    },
    onDatagram(direction, bytes) {
      if (fd !== undefined) {
        try {
          const file = writePcap([{ direction, bytes, protocol, time: now() }]);
          writeAll(fd, file, HEADER_LEN);
          count++;
        } catch (err) {
          try {
            stop();
          } catch {
            // Closing after a failed write: the first error is the one to report.
          }
          const e = err instanceof Error ? err : new Error(String(err));
          if (opts.onError) opts.onError(e);
          else process.emitWarning(`nlwire: recording to ${path} stopped: ${e.message}`);
        }
      }
      opts.tap?.(direction, bytes);
    },
    close: stop,
  };
  return rec;
}
