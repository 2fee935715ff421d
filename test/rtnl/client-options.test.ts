/** Rtnl.open({ record }) and nl.why(), wired through the client. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Rtnl } from '../../src/rtnl/client.js';
import { readPcap } from '../../src/capture/pcap.js';
import { decodeDatagram } from '../../src/netlink/message.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import { RTM_GETROUTE, RTM_NEWROUTE } from '../../src/rtnl/route.js';
import { createNetns, netnsUnavailableReason, type Netns } from '../helpers/netns.js';

const unavailable = netnsUnavailableReason();
if (unavailable) console.warn(`\n*** client option tests SKIPPED: ${unavailable} ***\n`);

describe.skipIf(unavailable !== null)('client options in a private namespace', () => {
  let ns: Netns;
  const dir = mkdtempSync(join(tmpdir(), 'nlwire-client-'));

  beforeAll(async () => {
    ns = await createNetns('nlwire-opts');
    ns.exec('ip link add veth0 type veth peer name veth1 && ip link set veth0 up && ip link set veth1 up'
      + ' && ip addr add 192.0.2.10/24 dev veth0 && ip route add 203.0.113.0/24 via 192.0.2.1');
  });
  afterAll(() => {
    ns?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('record: every datagram of the client lands in a pcap, in order, with directions', async () => {
    const path = join(dir, 'client.pcap');
    const seen: string[] = [];
    const nl = await Rtnl.open({ netns: ns.name, record: path, onDatagram: (d) => { seen.push(d); } });
    const r = await nl.route.get({ dst: '203.0.113.5' });
    nl.close();
    expect(r.prefsrc).toBe('192.0.2.10');
    const caps = readPcap(new Uint8Array(readFileSync(path)));
    expect(caps.map((c) => c.direction)).toEqual(seen);
    const types = caps.flatMap((c) => decodeDatagram(c.bytes, rtnetlink).messages.map((m) => m.type));
    expect(types.slice(0, 2)).toEqual([RTM_GETROUTE, RTM_NEWROUTE]);
  });

  it('nl.why() tells the source address the kernel picks, and why', async () => {
    const nl = await Rtnl.open({ netns: ns.name });
    try {
      const w = await nl.why({ dst: '203.0.113.5' });
      const get = JSON.parse(ns.exec('ip -j route get 203.0.113.5'))[0];
      expect(w.source?.address).toBe(get.prefsrc);
      expect(w.egress).toEqual({ dev: 'veth0', gateway: '192.0.2.1' });
      expect(w.route?.dst).toBe('203.0.113.0/24');
    } finally {
      nl.close();
    }
  });
});
