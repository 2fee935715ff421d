/**
 * A fake of the native shim (src/netlink/binding.ts) for socket tests without a kernel.
 *
 * It records what the socket layer does (options set, datagrams sent, recv flags, poll
 * registrations) and lets a test play the kernel: queue datagrams with a sender address,
 * report an overrun, answer each send synchronously (as the kernel does inside sendmsg),
 * and fire the readable callback. With `autoDeliver` (the default) the callback fires on
 * a later turn of the event loop whenever a polled socket has something queued, as libuv's
 * level-triggered poll would.
 */
import type { NativeBinding, NativeConstants } from '../../src/netlink/binding.js';
import {
  type NlMsg, type Protocol, decodeDatagram, encodeDatagram, messageLength,
} from '../../src/netlink/message.js';
import {
  NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_MULTI,
} from '../../src/netlink/constants.js';

/** Linux x86-64 values, as the real shim reports them there. */
export const FAKE_CONSTANTS: NativeConstants = {
  MSG_PEEK: 0x2, MSG_TRUNC: 0x20, MSG_DONTWAIT: 0x40, RECV_MANY_MAX: 64,
  EAGAIN: 11, EINTR: 4, ENOBUFS: 105, EBADF: 9, EFAULT: 14, ENOMEM: 12,
  SOL_SOCKET: 1, SOL_NETLINK: 270, SO_RCVBUF: 8, SO_SNDBUF: 7, SO_RCVBUFFORCE: 33,
  SO_SNDBUFFORCE: 32, SO_ERROR: 4,
};

/** One queued datagram, or an error recv returns once. */
export type Queued = { bytes: Uint8Array; pid: number; groups: number } | { errno: number };

/** The state of one fake socket. */
export class FakeSocket {
  readonly sent: Uint8Array[] = [];
  readonly queue: Queued[] = [];
  /** `level:name` → value, in the order set. */
  readonly options = new Map<string, number>();
  /** Flags of every recv call. */
  readonly recvFlags: number[] = [];
  readonly memberships = new Set<number>();
  bound: { groups: number; pid: number } | undefined;
  callback: ((status: number) => void) | undefined;
  polling = false;
  pollCalls = 0;
  pollStopCalls = 0;
  closed = false;
  /** Status the next readable callback reports instead of 0 (an overrun: -ENOBUFS). */
  pendingStatus = 0;
  constructor(readonly fd: number, readonly protocol: number, readonly netnsFd: number | undefined,
    public portId: number) {}

  /** Every message sent, decoded. */
  messages(proto?: Protocol): NlMsg[] {
    return this.sent.flatMap((b) => decodeDatagram(b, proto).messages);
  }
}

/** Options of {@link FakeBinding}. */
export interface FakeBindingOptions {
  /** The port id `portId` reports for the next socket; default 0x88712342 (above 2^31). */
  portId?: number;
  /** Fire readable callbacks on their own (setImmediate) when data is queued. Default true. */
  autoDeliver?: boolean;
  /** SO_RCVBUF the kernel reports (twice the value set); default what was set, doubled. */
  rcvbuf?: number;
}

/** The fake shim. */
export class FakeBinding implements NativeBinding {
  readonly version = 3;
  readonly constants = FAKE_CONSTANTS;
  readonly sockets = new Map<number, FakeSocket>();
  /** Every socket ever opened, in order. */
  readonly opened: FakeSocket[] = [];
  /**
   * Plays the kernel: called inside `send` with the bytes, so it can queue replies before
   * `send` returns. Return a negative errno to make the send fail.
   */
  onSend: ((sock: FakeSocket, bytes: Uint8Array) => number | void) | undefined;
  /** Makes `open`, `bind`, `setsockopt` fail: return a negative errno, or undefined. */
  failOpen: number | undefined;
  failBind: number | undefined;
  failSetsockopt: ((level: number, name: number) => number | undefined) | undefined;
  #nextFd = 100;
  #portId: number;
  #auto: boolean;
  #scheduled = false;
  #rcvbuf: number | undefined;

  constructor(opts: FakeBindingOptions = {}) {
    this.#portId = opts.portId ?? 0x88712342;
    this.#auto = opts.autoDeliver ?? true;
    this.#rcvbuf = opts.rcvbuf;
  }

  /** The socket opened last. */
  get last(): FakeSocket {
    const s = this.opened[this.opened.length - 1];
    if (!s) throw new Error('no socket opened');
    return s;
  }

  #sock(fd: number): FakeSocket | undefined {
    const s = this.sockets.get(fd);
    return s && !s.closed ? s : undefined;
  }

  open(protocol: number, netnsFd?: number): number {
    if (this.failOpen !== undefined) return this.failOpen;
    const fd = this.#nextFd++;
    const s = new FakeSocket(fd, protocol, netnsFd, this.#portId++);
    this.sockets.set(fd, s);
    this.opened.push(s);
    return fd;
  }

  bind(fd: number, groups: number, pid = 0): number {
    const s = this.#sock(fd);
    if (!s) return -FAKE_CONSTANTS.EBADF;
    if (this.failBind !== undefined) return this.failBind;
    s.bound = { groups, pid };
    return 0;
  }

  portId(fd: number): number {
    const s = this.#sock(fd);
    return s ? s.portId : -FAKE_CONSTANTS.EBADF;
  }

  setsockopt(fd: number, level: number, name: number, value: number): number {
    const s = this.#sock(fd);
    if (!s) return -FAKE_CONSTANTS.EBADF;
    const f = this.failSetsockopt?.(level, name);
    if (f !== undefined) return f;
    s.options.set(`${level}:${name}`, value);
    if (level === FAKE_CONSTANTS.SOL_NETLINK && name === 1) s.memberships.add(value);
    if (level === FAKE_CONSTANTS.SOL_NETLINK && name === 2) s.memberships.delete(value);
    return 0;
  }

  getsockopt(fd: number, level: number, name: number): number {
    const s = this.#sock(fd);
    if (!s) return -FAKE_CONSTANTS.EBADF;
    if (level === FAKE_CONSTANTS.SOL_SOCKET && name === FAKE_CONSTANTS.SO_RCVBUF) {
      if (this.#rcvbuf !== undefined) return this.#rcvbuf;
      const set = s.options.get(`${level}:${FAKE_CONSTANTS.SO_RCVBUFFORCE}`) ?? s.options.get(`${level}:${name}`);
      return set === undefined ? 212992 : 2 * set;
    }
    return s.options.get(`${level}:${name}`) ?? 0;
  }

  send(fd: number, buf: Uint8Array, offset: number, length: number, destPid: number, destGroups: number): number {
    const s = this.#sock(fd);
    if (!s) return -FAKE_CONSTANTS.EBADF;
    if (destPid !== 0 || destGroups !== 0) throw new Error(`fake: send to ${destPid}/${destGroups}, not the kernel`);
    if (offset < 0 || length < 0 || offset + length > buf.length) return -FAKE_CONSTANTS.EFAULT;
    const bytes = buf.slice(offset, offset + length);
    const r = this.onSend?.(s, bytes);
    if (typeof r === 'number' && r < 0) return r;
    s.sent.push(bytes);
    return length;
  }

  recv(fd: number, buf: Uint8Array, offset: number, length: number, flags: number, addrOut: Uint32Array): number {
    const s = this.#sock(fd);
    if (!s) return -FAKE_CONSTANTS.EBADF;
    s.recvFlags.push(flags);
    const q = s.queue[0];
    if (!q) return -FAKE_CONSTANTS.EAGAIN;
    if ('errno' in q) {
      s.queue.shift();
      return q.errno;
    }
    const n = Math.min(length, q.bytes.length);
    buf.set(q.bytes.subarray(0, n), offset);
    addrOut[0] = q.pid;
    addrOut[1] = q.groups;
    if (!(flags & FAKE_CONSTANTS.MSG_PEEK)) s.queue.shift();
    return flags & FAKE_CONSTANTS.MSG_TRUNC ? q.bytes.length : n;
  }

  /** recvmmsg(2) as the kernel does it: datagrams until the queue is empty or an error. */
  recvMany(fd: number, buf: Uint8Array, slot: number, max: number, flags: number, metaOut: Uint32Array): number {
    const s = this.#sock(fd);
    if (!s) return -FAKE_CONSTANTS.EBADF;
    max = Math.min(max, FAKE_CONSTANTS.RECV_MANY_MAX);
    if (slot <= 0 || max <= 0 || slot * max > buf.length || metaOut.length < 4 * max) return -FAKE_CONSTANTS.EFAULT;
    const addr = new Uint32Array(2);
    let n = 0;
    while (n < max) {
      const q = s.queue[0];
      // An error after the first datagram stays queued for the next call, as in recvmmsg.
      if (!q || (n > 0 && 'errno' in q)) break;
      const r = this.recv(fd, buf, n * slot, slot, flags, addr);
      if (r < 0) return r;
      metaOut[4 * n] = r;
      metaOut[4 * n + 1] = addr[0]!;
      metaOut[4 * n + 2] = addr[1]!;
      metaOut[4 * n + 3] = r > slot ? FAKE_CONSTANTS.MSG_TRUNC : 0;
      n++;
    }
    if (n === 0) {
      s.recvFlags.push(flags);
      return -FAKE_CONSTANTS.EAGAIN;
    }
    return n;
  }

  /** recvMany on a later turn of the event loop, as a read on a pool thread completes. */
  recvManyAsync(fd: number, buf: Uint8Array, slot: number, max: number, flags: number, metaOut: Uint32Array,
    onDone: (result: number) => void): number {
    if (!this.#sock(fd)) return -FAKE_CONSTANTS.EBADF;
    this.asyncReads++;
    setImmediate(() => {
      if (!this.#sock(fd)) return;
      onDone(this.recvMany(fd, buf, slot, max, flags, metaOut));
    });
    return 0;
  }

  /** How many recvManyAsync calls were made. */
  asyncReads = 0;

  poll(fd: number, onReadable: (status: number) => void): number {
    const s = this.#sock(fd);
    if (!s) return -FAKE_CONSTANTS.EBADF;
    s.pollCalls++;
    s.callback = onReadable;
    s.polling = true;
    this.#schedule();
    return 0;
  }

  pollStop(fd: number): number {
    const s = this.#sock(fd);
    if (!s) return -FAKE_CONSTANTS.EBADF;
    s.pollStopCalls++;
    s.polling = false;
    return 0;
  }

  close(fd: number): number {
    const s = this.#sock(fd);
    if (!s) return -FAKE_CONSTANTS.EBADF;
    s.closed = true;
    s.polling = false;
    return 0;
  }

  // ---- playing the kernel ------------------------------------------------------------

  /** Queues a datagram from `pid` (0: the kernel) to `groups` (0: unicast). */
  queue(sock: FakeSocket, bytes: Uint8Array, from: { pid?: number; groups?: number } = {}): void {
    sock.queue.push({ bytes, pid: from.pid ?? 0, groups: from.groups ?? 0 });
    this.#schedule();
  }

  /** Queues the messages as one datagram, encoded with `proto`. */
  queueMessages(sock: FakeSocket, messages: NlMsg[], proto?: Protocol, from: { pid?: number; groups?: number } = {}): void {
    this.queue(sock, encodeDatagram({ messages }, proto), from);
  }

  /** The next recv returns `errno` (negative) instead of a datagram. */
  queueErrno(sock: FakeSocket, errno: number): void {
    sock.queue.push({ errno });
    this.#schedule();
  }

  /** An overrun as the poll reports it: the next readable callback gets -ENOBUFS. */
  overrun(sock: FakeSocket): void {
    sock.pendingStatus = -FAKE_CONSTANTS.ENOBUFS;
    this.#schedule();
  }

  /**
   * Fires readable callbacks now, as libuv would, while polled sockets have something
   * queued (or an overrun to report); at most `rounds` times per socket.
   */
  deliver(rounds = 1000): void {
    for (const s of this.sockets.values()) {
      for (let i = 0; i < rounds && s.polling && !s.closed && (s.queue.length > 0 || s.pendingStatus); i++) {
        const status = s.pendingStatus;
        s.pendingStatus = 0;
        const before = s.queue.length;
        s.callback!(status);
        // Level-triggered, but a socket layer that stops reading without pollStop would spin.
        if (s.queue.length === before && s.polling && status === 0) break;
      }
    }
  }

  #schedule(): void {
    if (!this.#auto || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.deliver(1);
      for (const s of this.sockets.values()) {
        if (s.polling && !s.closed && (s.queue.length > 0 || s.pendingStatus)) this.#schedule();
      }
    });
  }
}

// ---- kernel replies --------------------------------------------------------------------

/** The reply header fields for `req`: its seq, the requester's port id as nlmsg_pid. */
export function answer(req: NlMsg, portId: number): { seq: number; pid: number } {
  return { seq: req.seq, pid: portId };
}

/**
 * NLMSG_ERROR answering `req`: errno 0 is an ACK. With `capped` (NETLINK_CAP_ACK, the
 * socket's default) only the request's header is echoed, with its original nlmsg_len.
 */
export function errorFor(req: NlMsg, portId: number, errno = 0,
  opts: { capped?: boolean; extack?: { msg?: string; offs?: number }; proto?: Protocol } = {}): NlMsg {
  const capped = opts.capped ?? true;
  let flags = capped ? NLM_F_CAPPED : 0;
  if (opts.extack) flags |= NLM_F_ACK_TLVS;
  let request: NlMsg = req;
  if (capped) {
    request = { type: req.type, flags: req.flags, seq: req.seq, pid: req.pid };
    const len = messageLength(req, opts.proto);
    if (len !== 16) request.len = len;
  }
  const m: NlMsg = { type: NLMSG_ERROR, flags, ...answer(req, portId), errno, request };
  if (opts.extack) m.extack = opts.extack;
  return m;
}

/** NLMSG_DONE ending a dump of `req`: errno 0 (as the kernel sends it) unless given. */
export function doneFor(req: NlMsg, portId: number, errno = 0, flags = NLM_F_MULTI): NlMsg {
  return { type: NLMSG_DONE, flags, ...answer(req, portId), errno };
}
