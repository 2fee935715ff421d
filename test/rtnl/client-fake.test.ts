/**
 * The client's answers to replies the real kernel does not send, played by the fake shim
 * (test/helpers/fake-binding.ts): a get answered without a route.
 */
import { describe, expect, it } from 'vitest';
import { Rtnl } from '../../src/rtnl/client.js';
import { NetlinkSocket } from '../../src/netlink/socket.js';
import { NetlinkError } from '../../src/netlink/errors.js';
import { decodeDatagram, type NlMsg } from '../../src/netlink/message.js';
import { AF_INET } from '../../src/netlink/constants.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import { RTM_GETROUTE, RTM_NEWROUTE, RT_TABLE_MAIN, RTPROT_BOOT, RTN_UNICAST } from '../../src/rtnl/route.js';
import { FakeBinding } from '../helpers/fake-binding.js';

const RTM_NEWADDR = 20;

/** A client over the fake: the kernel answers a get for `odd` with an address, others with a route. */
function setup(odd: string): { nl: Rtnl; gets: () => number } {
  const fake = new FakeBinding();
  let gets = 0;
  fake.onSend = (s, bytes) => {
    const replies: NlMsg[] = [];
    for (const m of decodeDatagram(bytes, rtnetlink).messages) {
      if (m.type !== RTM_GETROUTE) continue;
      gets++;
      const dst = (m.attrs as { dst: string }).dst;
      replies.push(dst === odd
        ? { type: RTM_NEWADDR, flags: 0, seq: m.seq, pid: s.portId, body: { family: AF_INET, prefixlen: 24, flags: 0, scope: 0, index: 0 }, attrs: {} }
        : {
          type: RTM_NEWROUTE, flags: 0, seq: m.seq, pid: s.portId,
          body: { family: AF_INET, dstLen: 32, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT, type: RTN_UNICAST },
          attrs: { table: RT_TABLE_MAIN, dst, prefsrc: '192.0.2.10' },
        });
    }
    fake.queueMessages(s, replies, rtnetlink);
  };
  // The constructor is the client's own (Rtnl.open makes the real socket).
  const make = Rtnl as unknown as new (socket: NetlinkSocket, o: object, rec: undefined) => Rtnl;
  return { nl: new make(NetlinkSocket.open(rtnetlink, { binding: fake }), {}, undefined), gets: () => gets };
}

describe('a get answered without a route', () => {
  it('route.get rejects with ENODATA in the query\'s words', async () => {
    const { nl, gets } = setup('192.0.2.1');
    try {
      const err = await nl.route.get({ dst: '192.0.2.1' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NetlinkError);
      expect((err as NetlinkError).code).toBe('ENODATA');
      expect((err as NetlinkError).message).toBe('route get 192.0.2.1: ENODATA: no route in the reply');
      expect(await nl.route.get({ dst: '192.0.2.2' })).toMatchObject({ dst: '192.0.2.2', prefsrc: '192.0.2.10' });
      expect(gets()).toBe(2);
    } finally {
      nl.close();
    }
  });

  it('route.getMany reports it on its query, the others answered', async () => {
    const { nl } = setup('192.0.2.5');
    try {
      const dsts = Array.from({ length: 9 }, (_, i) => `192.0.2.${i + 1}`);
      const res = await nl.route.getMany(dsts.map((dst) => ({ dst })));
      expect(res.map((r) => (r.ok ? r.route.dst : r.error.message))).toEqual(
        dsts.map((d) => (d === '192.0.2.5' ? 'route get 192.0.2.5: ENODATA: no route in the reply' : d)));
      // Each route is its own, though the decoder's array is shared between gets.
      expect(new Set(res.map((r) => (r.ok ? r.route : undefined))).size).toBe(9);
    } finally {
      nl.close();
    }
  });
});
