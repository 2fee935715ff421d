/**
 * Microbenchmark of the request encoding path (ns per call): parseIPv4, routeRequest,
 * messageLength and encodeMessage of a route add, the same for a route get, and the decode
 * of a route reply. No kernel, no namespace.
 *
 * usage: tsx scripts/bench/socket/encode-micro.ts   (or the copy of it in a --variant tree)
 *
 * @module
 */
import { encodeMessage, messageLength, decodeDatagram, type NlMsg } from '../../../src/netlink/message.js';
import { parseIPv4 } from '../../../src/netlink/ip.js';
import { rtnetlink } from '../../../src/rtnl/protocol.js';
import { routeRequest, routeGetRequest } from '../../../src/rtnl/request.js';
import { RTM_NEWROUTE } from '../../../src/rtnl/route.js';

const buf = new Uint8Array(65536);
const view = new DataView(buf.buffer);
const resolve = (): number => 5;
const N = 200_000;

/** Runs `f` N times twice (the first warms up) and prints ns per call of the second. */
function time(name: string, f: (i: number) => unknown): void {
  for (let r = 0; r < 2; r++) {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) f(i);
    if (r) console.log(`${name.padEnd(24)} ${((performance.now() - t0) * 1e6 / N).toFixed(0).padStart(6)} ns`);
  }
}

const add = (i: number): Parameters<typeof routeRequest>[1] => ({
  dst: `198.51.100.${i & 255}/32`, gateway: '192.0.2.1', prefsrc: '192.0.2.10', dev: 'veth0', table: 1000 + (i & 63),
});
const addMsg: NlMsg = { ...routeRequest('add', add(1), resolve).msg, seq: 1, pid: 1 };
const getMsg: NlMsg = { ...routeGetRequest({ dst: '198.51.100.5' }, resolve).msg, seq: 1, pid: 1 };
const reply: NlMsg = {
  type: RTM_NEWROUTE, flags: 0, seq: 1, pid: 1,
  body: { family: 2, dstLen: 32, srcLen: 0, tos: 0, table: 254, protocol: 3, scope: 0, type: 1, flags: 0x200 },
  attrs: { table: 254, dst: '198.51.100.5', oif: 5, gateway: '192.0.2.1', prefsrc: '192.0.2.10', uid: 0 },
};
const replyBytes = buf.slice(0, encodeMessage(reply, { buf, view }, 0, rtnetlink));

time('parseIPv4', (i) => parseIPv4(`198.51.100.${i & 255}`));
time('routeRequest (add)', (i) => routeRequest('add', add(i), resolve));
time('messageLength (add)', () => messageLength(addMsg, rtnetlink));
time('encodeMessage (add)', () => encodeMessage(addMsg, { buf, view }, 0, rtnetlink));
time('routeGetRequest', (i) => routeGetRequest({ dst: `198.51.100.${i & 255}` }, resolve));
time('messageLength (get)', () => messageLength(getMsg, rtnetlink));
time('encodeMessage (get)', () => encodeMessage(getMsg, { buf, view }, 0, rtnetlink));
time('decodeDatagram (reply)', () => decodeDatagram(replyBytes, rtnetlink));
