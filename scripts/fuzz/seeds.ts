/**
 * The fuzzer's seeds: every fixture under test/fixtures (*.hex datagrams, *.pcap, *.pcapng,
 * *.strace), the datagrams inside the captures and logs, and the JSON of each datagram.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseHexLines } from '../../src/capture/hexlines.js';
import { readPcap } from '../../src/capture/pcap.js';
import { readPcapng } from '../../src/capture/pcapng.js';
import { parseStrace } from '../../src/capture/strace.js';
import { decodeDatagram } from '../../src/netlink/message.js';
import { datagramToJSON } from '../../src/netlink/json.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import type { Datagram } from './capture.js';

/** The seeds, by the decoders that use them. */
export interface Seeds {
  /** Every datagram, with its netlink protocol (0 for hex fixtures). */
  datagrams: Datagram[];
  /** Just the bytes, NETLINK_ROUTE ones first: the splice and concatenation pool. */
  route: Uint8Array[];
  other: Uint8Array[];
  pcaps: Uint8Array[];
  pcapngs: Uint8Array[];
  straces: string[];
  /** The text of every .hex fixture, comments and annotations included. */
  hexTexts: string[];
  /** datagramToJSON of every NETLINK_ROUTE datagram that decodes. */
  json: unknown[];
  files: number;
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'regressions') walk(p, out);
    } else out.push(p);
  }
}

/** Reads the seeds under `root` (test/fixtures). Files that do not parse are skipped. */
export function loadSeeds(root: string): Seeds {
  const files: string[] = [];
  walk(root, files);
  const s: Seeds = { datagrams: [], route: [], other: [], pcaps: [], pcapngs: [], straces: [], hexTexts: [], json: [], files: 0 };
  const add = (bytes: Uint8Array, protocol: number): void => {
    if (bytes.length === 0) return;
    s.datagrams.push({ bytes, protocol });
  };
  for (const f of files) {
    const ext = f.slice(f.lastIndexOf('.') + 1);
    try {
      if (ext === 'hex') {
        const text = readFileSync(f, 'utf8');
        s.hexTexts.push(text);
        for (const d of parseHexLines(text)) add(d.bytes, 0);
      } else if (ext === 'pcap') {
        const b = new Uint8Array(readFileSync(f));
        s.pcaps.push(b);
        for (const d of readPcap(b)) add(d.bytes, d.protocol);
      } else if (ext === 'pcapng') {
        const b = new Uint8Array(readFileSync(f));
        s.pcapngs.push(b);
        for (const d of readPcapng(b)) add(d.bytes, d.protocol);
      } else if (ext === 'strace') {
        const text = readFileSync(f, 'utf8');
        s.straces.push(text);
        for (const d of parseStrace(text, { missingBytes: 'skip' })) add(d.bytes, d.protocol < 0 ? 0 : d.protocol);
      } else continue;
      s.files++;
    } catch {
      // A seed that does not parse (a regression input) is still a seed for the bytes fuzzers.
      if (ext === 'hex' || ext === 'bin') continue;
    }
  }
  const seen = new Set<string>();
  for (const d of s.datagrams) {
    const key = `${d.protocol}:${Buffer.from(d.bytes).toString('hex')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    (d.protocol === 0 ? s.route : s.other).push(d.bytes);
    if (d.protocol === 0) {
      try {
        s.json.push(datagramToJSON(decodeDatagram(d.bytes, rtnetlink), rtnetlink));
      } catch {
        // not every seed decodes
      }
    }
  }
  return s;
}
