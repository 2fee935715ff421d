/**
 * Microbenchmark of the request encoding path (ns per call): parseIPv4, routeRequest,
 * messageLength and encodeMessage of a route add, the same for a route get, the whole
 * generic path (build + length + encode) beside the direct writers of route-encode.ts
 * (writeRouteRequest, writeRouteGetRequest), and the decode of a route reply. No kernel, no
 * namespace.
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
import { writeRouteRequest, writeRouteGetRequest } from '../../../src/rtnl/route-encode.js';

const buf = new Uint8Array(65536);
const view = new DataView(buf.buffer);
const resolve = (): number => 5;
const N = 200_000;

/**
 * Runs `f` N times once to warm up, then five times more, and prints the best of those in ns
 * per call: CPU time of this process, so that other load on the machine counts less.
 */
function time(name: string, f: (i: number) => unknown): void {
  let best = Infinity;
  for (let r = 0; r < 6; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) f(i);
    const d = process.cpuUsage(t0);
    if (r) best = Math.min(best, (d.user + d.system) / 1000);
  }
  console.log(`${name.padEnd(24)} ${(best * 1e6 / N).toFixed(0).padStart(6)} ns`);
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
/** The generic path as the socket runs it: build, length, then encode at `off`. */
function generic(b: ReturnType<typeof routeRequest>): number {
  const m: NlMsg = { type: b.msg.type, flags: b.msg.flags | 5, seq: 0, pid: 0, body: b.msg.body, attrs: b.msg.attrs };
  messageLength(m, rtnetlink);
  return encodeMessage(m, { buf, view }, 0, rtnetlink);
}
const add6 = (i: number): Parameters<typeof routeRequest>[1] => ({
  dst: `2001:db8:ff::${i & 255}:2/128`, gateway: '2001:db8::1', prefsrc: '2001:db8::10', dev: 'veth0', table: 1000 + (i & 63),
});
// The options objects are made outside the timed loops: 256 of each, as a batch holds them.
const adds = Array.from({ length: 256 }, (_, i) => add(i));
const adds6 = Array.from({ length: 256 }, (_, i) => add6(i));
const gets = Array.from({ length: 256 }, (_, i) => ({ dst: `198.51.100.${i}` }));
const gets6 = Array.from({ length: 256 }, (_, i) => ({ dst: `2001:db8::${i}`, from: '2001:db8::10', oif: 'veth0' }));
time('generic add (v4)', (i) => generic(routeRequest('add', adds[i & 255]!, resolve)));
time('writeRouteRequest (v4)', (i) => writeRouteRequest('add', adds[i & 255]!, resolve, 5, buf, view, 0));
time('generic add (v6)', (i) => generic(routeRequest('add', adds6[i & 255]!, resolve)));
time('writeRouteRequest (v6)', (i) => writeRouteRequest('add', adds6[i & 255]!, resolve, 5, buf, view, 0));
time('generic get (v4)', (i) => generic(routeGetRequest(gets[i & 255]!, resolve)));
time('writeRouteGetRequest v4', (i) => writeRouteGetRequest(gets[i & 255]!, resolve, 5, buf, view, 0));
time('generic get (v6)', (i) => generic(routeGetRequest(gets6[i & 255]!, resolve)));
time('writeRouteGetRequest v6', (i) => writeRouteGetRequest(gets6[i & 255]!, resolve, 5, buf, view, 0));
time('decodeDatagram (reply)', () => decodeDatagram(replyBytes, rtnetlink));
