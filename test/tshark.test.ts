/**
 * Wireshark's netlink dissector, an independent decoder, against nlwire's decode of every
 * recorded fixture: message types, lengths, errnos, and the attribute types of route, link
 * and address messages, plus a few values (rtm_table, rtm_dst_len, RTA_OIF, IFLA_IFNAME,
 * IFLA_MTU, IFA_LABEL).
 */
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseHexLines } from '../src/capture/hexlines.js';
import { writePcap } from '../src/capture/pcap.js';
import { decodeDatagram, messageLength, type NlMsg } from '../src/netlink/message.js';
import { type AttrTable } from '../src/netlink/attrs.js';
import { rtnetlink } from '../src/rtnl/protocol.js';
import { hasTool } from './helpers/tools.js';

const FIX = join(import.meta.dirname, 'fixtures');
const datagrams: Array<{ direction?: '>' | '<'; bytes: Uint8Array }> = [];
for (const family of ['route', 'link', 'addr', 'rule', 'neigh', 'error', 'monitor', 'cli']) {
  if (!existsSync(join(FIX, family))) continue;
  for (const f of readdirSync(join(FIX, family)).filter((x) => x.endsWith('.hex')).sort()) {
    datagrams.push(...parseHexLines(readFileSync(join(FIX, family, f), 'utf8')));
  }
}

/** Wire types of the top-level attributes of a decoded message, in order. */
function attrTypes(m: NlMsg): number[] {
  const table = rtnetlink.messages.get(m.type)?.attrs as AttrTable | undefined;
  if (!table || !m.attrs) return [];
  return Object.entries(m.attrs).map(([k, v]) => {
    const e = table.byKey.get(k.replace(/#\d+$/, ''));
    return e ? e.type : (v as { type: number }).type;
  });
}

const hex4 = (t: number) => '0x' + t.toString(16).padStart(4, '0');

/** What tshark 4.0 should print for a datagram, derived from nlwire's decode. */
function expected(bytes: Uint8Array): Record<string, string> {
  const dg = decodeDatagram(bytes, rtnetlink);
  const ctl: string[] = [], nltype: string[] = [], lens: string[] = [], errors: string[] = [];
  const rta: number[] = [], ifla: number[] = [], ifa: number[] = [];
  const rtTable: number[] = [], dstLen: number[] = [], oif: number[] = [], ifname: string[] = [], mtu: number[] = [], label: string[] = [];
  for (const m of dg.messages) {
    (m.type < 16 ? ctl : nltype).push(m.type < 16 ? hex4(m.type) : String(m.type));
    lens.push(String(messageLength(m, rtnetlink)));
    if (m.type === 2) {
      errors.push(String(m.errno));
      ctl.push(hex4(m.request!.type));
      lens.push(String(m.request!.len ?? messageLength(m.request!, rtnetlink)));
    }
    if (m.type >= 24 && m.type <= 26 && m.attrs) {
      rta.push(...attrTypes(m));
      rtTable.push(m.body!.table as number);
      dstLen.push(m.body!.dstLen as number);
      if (m.attrs.oif !== undefined) oif.push(m.attrs.oif as number);
    }
    if (m.type >= 16 && m.type <= 19 && m.attrs) {
      ifla.push(...attrTypes(m));
      if (m.attrs.ifname !== undefined) ifname.push(m.attrs.ifname as string);
      if (m.attrs.mtu !== undefined) mtu.push(m.attrs.mtu as number);
    }
    if (m.type >= 20 && m.type <= 22 && m.attrs) {
      ifa.push(...attrTypes(m));
      if (m.attrs.label !== undefined) label.push(m.attrs.label as string);
    }
  }
  if (dg.trailing && dg.trailing.length >= 4) lens.push('0');
  return {
    ctl: ctl.join(','), nltype: nltype.join(','), lens: lens.join(','), errors: errors.join(','),
    rta: rta.join(','), ifla: ifla.join(','), ifa: ifa.join(','), rtTable: rtTable.join(','),
    dstLen: dstLen.join(','), oif: oif.join(','), ifname: ifname.join(','), mtu: mtu.join(','), label: label.join(','),
  };
}

const fields = ['frame.number', 'netlink.hdr_type', 'netlink-route.nltype', 'netlink.hdr_len', 'netlink.error',
  'netlink-route.rta_attr_type', 'netlink-route.ifla_attr_type', 'netlink-route.ifa_attr_type',
  'netlink-route.rt_table', 'netlink-route.rt_dst_len', 'netlink-route.rta_oif', 'netlink-route.ifla_ifname',
  'netlink-route.ifla_mtu', 'netlink-route.ifa_label'];

describe.runIf(hasTool('tshark', 'the Wireshark cross-check', 'apt-get install -y tshark'))('tshark agrees with nlwire on every recorded fixture', () => {
  it('message types, lengths, errnos, attribute types and values', () => {
    expect(datagrams.length).toBeGreaterThan(300);
    const dir = mkdtempSync(join(tmpdir(), 'nlwire-tshark-'));
    try {
      const path = join(dir, 'all.pcap');
      writeFileSync(path, writePcap(datagrams));
      const out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a',
        '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
      const rows = out.replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
      expect(rows).toHaveLength(datagrams.length);
      let attrsCompared = 0;
      rows.forEach((r, i) => {
        const got = {
          ctl: r[1], nltype: r[2], lens: r[3], errors: r[4], rta: r[5], ifla: r[6], ifa: r[7],
          rtTable: r[8], dstLen: r[9], oif: r[10], ifname: r[11], mtu: r[12], label: r[13],
        };
        const want = expected(datagrams[i]!.bytes);
        expect(got, `frame ${i + 1}`).toEqual(want);
        attrsCompared += [want.rta, want.ifla, want.ifa].join(',').split(',').filter(Boolean).length;
      });
      console.log(`tshark: ${rows.length} datagrams, ${attrsCompared} attribute types compared`);
      expect(attrsCompared).toBeGreaterThan(2000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
