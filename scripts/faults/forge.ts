/**
 * Forged rtnetlink replies, for the spoofing tests (test/netlink/faults.test.ts) and the
 * spoofer child process (./spoof.ts).
 *
 * On NETLINK_ROUTE a process with CAP_NET_ADMIN in the namespace may send a datagram to
 * any port id there, or to a multicast group (netlink_sendmsg; unprivileged senders get
 * EPERM because rtnetlink does not set NL_CFG_F_NONROOT_SEND). What no sender can forge
 * is the sender address: the kernel fills in the sending socket's `nl_pid`, never 0, so a
 * reader that accepts replies only from port 0 cannot be fooled. These helpers build
 * datagrams that are otherwise perfect replies: the victim's port id in `nlmsg_pid` and
 * the sequence number it waits for.
 *
 * @module
 */
import type { NativeBinding } from '../../src/netlink/binding.js';
import { encodeMsg } from '../../src/netlink/message.js';
import { AF_INET6, NLMSG_DONE, NLMSG_ERROR, NLM_F_MULTI } from '../../src/netlink/constants.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import { RTM_NEWROUTE, RTN_UNICAST, RT_TABLE_MAIN } from '../../src/rtnl/route.js';

/** struct nlmsghdr (linux/netlink.h), 16 bytes, host-endian. */
function header(view: DataView, off: number, len: number, type: number, flags: number, seq: number, pid: number): void {
  view.setUint32(off, len, true);
  view.setUint16(off + 4, type, true);
  view.setUint16(off + 6, flags, true);
  view.setUint32(off + 8, seq >>> 0, true);
  view.setUint32(off + 12, pid >>> 0, true);
}

/**
 * NLMSG_ERROR with `errno` (negative; 0 is an ACK) answering `seq`, echoing a 16-byte
 * request header of type `requestType`, as a capped ack looks:
 *
 * ```text
 *  0  nlmsghdr  len 36, type NLMSG_ERROR, flags 0, seq, pid
 * 16  s32       error
 * 20  nlmsghdr  the request's: len 16, type, flags REQUEST|ACK, seq, pid
 * ```
 */
export function forgedError(seq: number, pid: number, errno: number, requestType: number): Uint8Array {
  const b = new Uint8Array(36);
  const v = new DataView(b.buffer);
  header(v, 0, 36, NLMSG_ERROR, 0, seq, pid);
  v.setInt32(16, errno, true);
  header(v, 20, 16, requestType, 0x5, seq, pid);
  return b;
}

/** NLMSG_DONE (NLM_F_MULTI, status 0) ending the dump `seq`: 20 bytes. */
export function forgedDone(seq: number, pid: number): Uint8Array {
  const b = new Uint8Array(20);
  const v = new DataView(b.buffer);
  header(v, 0, 20, NLMSG_DONE, NLM_F_MULTI, seq, pid);
  v.setInt32(16, 0, true);
  return b;
}

/** RTM_NEWROUTE for the IPv6 host route `dst`, table main, as a reply to `seq` (or a notification, seq 0). */
export function forgedRoute(seq: number, pid: number, dst: string, flags = 0): Uint8Array {
  return encodeMsg({
    type: RTM_NEWROUTE, flags, seq, pid,
    body: { family: AF_INET6, dstLen: 128, srcLen: 0, tos: 0, table: RT_TABLE_MAIN, protocol: 4, scope: 0, type: RTN_UNICAST, flags: 0 },
    attrs: { table: RT_TABLE_MAIN, dst },
  }, rtnetlink);
}

/** The kinds of forgery {@link forgeries} makes for one sequence number. */
export type ForgeryKind = 'error' | 'route' | 'done';

/**
 * The forged datagrams for `seq`: `error` an NLMSG_ERROR EPERM (would fail a request),
 * `route` an RTM_NEWROUTE for 2001:db8:dead::/48 plus `seq` (would be a wrong answer),
 * `done` an NLMSG_DONE (would cut a dump short).
 */
export function forgeries(seq: number, pid: number, kinds: readonly ForgeryKind[], requestType: number): Uint8Array[] {
  return kinds.map((k) => {
    switch (k) {
      case 'error': return forgedError(seq, pid, -1, requestType);
      case 'route': return forgedRoute(seq, pid, forgedDst(seq));
      case 'done': return forgedDone(seq, pid);
    }
  });
}

/** The destination a forged route for `seq` claims: inside 2001:db8:dead::/48, never a real one. */
export function forgedDst(seq: number): string {
  return `2001:db8:dead::${(seq >>> 16).toString(16)}:${(seq & 0xffff).toString(16)}`;
}

/**
 * Sends `bytes` from the socket `fd` to port `port` (and the multicast `groups` mask);
 * returns what the shim's send returns: the byte count, or -errno.
 */
export function sendForged(binding: NativeBinding, fd: number, bytes: Uint8Array, port: number, groups = 0): number {
  return binding.send(fd, bytes, 0, bytes.length, port, groups);
}
