/**
 * The netlink socket: sequence numbers, the map of requests in flight, multipart replies,
 * dumps, batches and multicast subscriptions, over the native shim (./binding.ts).
 *
 * One socket carries many concurrent requests. Each gets the next sequence number; replies
 * are matched by `nlmsg_seq` and accepted only when they come from the kernel (sender
 * `nl_pid` 0, as recvfrom(2) reports it) and are addressed to this socket's port id.
 *
 * ```text
 *   request() ──┐                       ┌── RequestOp  (ends at NLMSG_ERROR: ACK or errno)
 *   dump()    ──┼─ slot (maxInFlight) ──┼── DumpOp     (ends at NLMSG_DONE; one at a time)
 *   batch()   ──┘   seq, encode, send   └── per message RequestOps, one sendmsg per chunk
 *
 *   poll callback ── recv until EAGAIN ── decode ── unicast: inflight.get(seq).onMessage()
 *                                                └─ multicast (nl_groups != 0): subscriptions
 * ```
 *
 * Kernel behaviour this module is built around (net/netlink/af_netlink.c):
 *
 * - A request to the kernel is processed inside sendmsg(2): when `send` returns, its reply
 *   and ACK are already queued on this socket, or were dropped because the receive buffer
 *   was full (the socket then reports ENOBUFS once). Dumps are the exception: the kernel
 *   fills the next part of a dump each time the socket is read, and never drops dump data.
 * - A socket runs at most one dump at a time (a second gets EBUSY), so dumps queue here.
 * - A dump continues until it has been read to NLMSG_DONE, so an abandoned dump is read on
 *   and discarded before the next one starts.
 *
 * @module
 */
import { type NativeBinding, loadBinding } from './binding.js';
import {
  type NlMsg, type Protocol, type Datagram, decodeDatagram, encodeMessage, messageLength,
  typeName, attributeAt,
} from './message.js';
import {
  DecodeError, EncodeError, NetlinkError, SyscallError, TimeoutError, type ExtAckInfo,
  type RequestInfo,
} from './errors.js';
import {
  NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_MULTI, NLM_F_DUMP_INTR, NLMSG_ERROR, NLMSG_DONE,
  NLMSG_NOOP, NLMSG_OVERRUN, NLMSG_HDRLEN, NETLINK_EXT_ACK, NETLINK_CAP_ACK,
  NETLINK_GET_STRICT_CHK, NETLINK_ADD_MEMBERSHIP, NETLINK_DROP_MEMBERSHIP, NLMSG_MIN_TYPE, align4,
} from './constants.js';
import { errnoNumber } from './errno.js';
import { closeNetns, netnsPath, openNetns } from './netns.js';

/** Options of {@link NetlinkSocket.open}. */
export interface NetlinkSocketOptions {
  /** The netlink protocol for socket(2); default `proto.id` (NETLINK_ROUTE, 0, for rtnetlink). */
  protocol?: number;
  /**
   * Create the socket in another network namespace: a name (`/var/run/netns/NAME`, as
   * `ip netns add` makes), a path (any string containing `/`), or a process id
   * (`/proc/PID/ns/net`). Only the socket lives there; the process stays where it is.
   */
  netns?: string | number;
  /** bind(2) multicast groups: the legacy u32 bitmask of groups 1..32 (`1 << (group - 1)`). */
  groups?: number;
  /**
   * SO_RCVBUF in bytes (the kernel doubles it). SO_RCVBUFFORCE is tried first, which
   * exceeds `net.core.rmem_max` when the process has CAP_NET_ADMIN; SO_RCVBUF (capped at
   * rmem_max) otherwise. Default: SO_RCVBUF 1 MiB, as iproute2 asks for.
   */
  rcvbuf?: number;
  /**
   * NETLINK_EXT_ACK: the kernel explains errors (message, offending attribute). Default
   * true; a kernel without it (before 4.12) is tolerated unless this is set explicitly.
   */
  extAck?: boolean;
  /** NETLINK_CAP_ACK: error replies echo only the request's header (4.3+). Default true. */
  capAck?: boolean;
  /** NETLINK_GET_STRICT_CHK: the kernel checks GET and dump requests strictly (4.20+). Default true. */
  strictCheck?: boolean;
  /** Default per-request timeout in milliseconds (0: none). Default 10000. */
  timeout?: number;
  /**
   * Bound on requests in flight (sent, not yet answered); a batch counts each message.
   * Further requests wait, in order, for a slot. Default 4096.
   */
  maxInFlight?: number;
  /** The native shim, or a fake of it for tests. Default {@link loadBinding}(). */
  binding?: NativeBinding;
  /**
   * Sees every datagram sent (`'>'`) and received (`'<'`, spoofed ones included), as a
   * copy the callback may keep; for recording captures.
   */
  onDatagram?: (direction: '>' | '<', bytes: Uint8Array) => void;
}

/** Options of one request, dump or batch. */
export interface RequestOptions {
  /**
   * Milliseconds to wait for the kernel, counted from the send (waiting for an in-flight
   * slot or for an earlier dump is not counted; use `signal` for an overall deadline).
   * For a dump it bounds the wait for each next part. 0: no timeout. Default: the
   * socket's `timeout`.
   */
  timeout?: number;
  /** Abandons the request: it rejects with a TimeoutError whose `cause` is the signal's reason. */
  signal?: AbortSignal;
  /** The request in the user's words, for error messages: `route add 198.51.100.0/24`. */
  what?: string;
  /**
   * Add NLM_F_ACK (default true), so every request ends with NLMSG_ERROR. Without it the
   * request ends at its first reply that is not NLM_F_MULTI, or at NLMSG_DONE: only for
   * requests the kernel always answers (GET); a successful change would never end.
   */
  ack?: boolean;
}

/** Options of {@link NetlinkSocket.requestBatch}. */
export interface BatchOptions extends RequestOptions {
  /**
   * Hand each message's data replies over as bytes (a copy of each run of them in a
   * datagram), not decoded: for callers with a decoder of their own. Default false.
   */
  raw?: boolean;
}

/** Options of {@link NetlinkSocket.dumpAll} and {@link NetlinkSocket.dump}. */
export interface DumpOptions extends RequestOptions {
  /** How many times an interrupted dump (NLM_F_DUMP_INTR) is restarted. Default 3. */
  retries?: number;
}

/** Counters of a socket's traffic; datagrams unless said otherwise. */
export interface NetlinkSocketStats {
  /** Received from a sender other than the kernel (nl_pid != 0), and dropped. */
  spoofed: number;
  /** Receive overruns (ENOBUFS): the kernel dropped datagrams for want of buffer space. */
  overruns: number;
  /** Messages from the kernel that answer no request in flight (late, after a timeout or abort). */
  unmatched: number;
  /** sendmsg calls that succeeded. */
  sent: number;
  /** Datagrams received. */
  received: number;
  /** Datagrams longer than the receive buffer: lost (the buffer is grown for the next). */
  truncated: number;
  /** Messages that did not decode and whose request could not be identified. */
  malformed: number;
}

/** What a subscription yields: a notification, or word that some were lost. */
export type SubscriptionEvent = { type: 'message'; msg: NlMsg } | { type: 'overrun' };

/**
 * Messages already encoded back to back (by a fast encoder of the caller's), for
 * {@link NetlinkSocket.requestBatch}: message i is `bytes[ends[i - 1] ?? 0, ends[i])`, a
 * whole netlink message, 4-aligned. The socket fills in nlmsg_seq and nlmsg_pid and ORs
 * NLM_F_REQUEST | NLM_F_ACK into nlmsg_flags, in place, and sends from `bytes` directly.
 */
export interface EncodedMessages {
  bytes: Uint8Array;
  ends: ArrayLike<number>;
}

/**
 * One result of {@link NetlinkSocket.requestBatch}, in the order of the messages: the
 * replies before the ACK (or the one reply, with `ack: false`), decoded, or as bytes with
 * `raw`.
 */
export type BatchResult<R = NlMsg> = { ok: true; replies: R[] } | { ok: false; error: NetlinkError };

/** A message to send: the socket fills in `seq` and `pid` (any given are overwritten). */
export type OutgoingMessage = Omit<NlMsg, 'seq' | 'pid'> & { seq?: number; pid?: number };

/**
 * A dump saw NLM_F_DUMP_INTR: the kernel's tables changed while it was being dumped, so
 * the result may be inconsistent (entries missing or twice).
 *
 * {@link NetlinkSocket.dumpAll} restarts the dump and throws this only when every attempt
 * was interrupted, with the last attempt's `messages`. The streaming
 * {@link NetlinkSocket.dump} restarts only when it has not yielded anything yet; after
 * that it throws this where the first flagged message would have been.
 */
export class DumpInterruptedError extends Error {
  override readonly name = 'DumpInterruptedError';
  /** The dump request: its type, the seq of the last attempt, and `what`. */
  readonly request: RequestInfo;
  /** Dumps started, the restarts included. */
  readonly attempts: number;
  /** From `dumpAll`: the last attempt's messages, flagged ones included. */
  readonly messages?: NlMsg[];

  constructor(request: RequestInfo, attempts: number, messages?: NlMsg[]) {
    super(`${label(request)}: dump interrupted (NLM_F_DUMP_INTR) ${attempts} time${attempts === 1 ? '' : 's'}; ` +
      'the kernel\'s tables changed during the dump');
    this.request = request;
    this.attempts = attempts;
    if (messages) this.messages = messages;
  }
}

/** Largest datagram sent at once; a batch is cut into sends of at most this many bytes. */
export const MAX_SEND_BYTES = 65536;
/** Initial receive buffer; the kernel's dump parts are at most 32 KiB. */
export const RECV_BUFFER_BYTES = 65536;
/** Default of {@link NetlinkSocketOptions.timeout}. */
export const DEFAULT_TIMEOUT_MS = 10000;
/** Default of {@link NetlinkSocketOptions.maxInFlight}. */
export const DEFAULT_MAX_IN_FLIGHT = 4096;
/** Default SO_RCVBUF (iproute2's rtnl_open asks for the same). */
export const DEFAULT_RCVBUF = 1 << 20;
/** Datagrams a streaming dump buffers for a slow consumer before the socket stops reading. */
export const DUMP_HIGH_WATER = 8;
/** Reading resumes when the consumer has brought the buffer down to this many datagrams. */
export const DUMP_LOW_WATER = 2;
/** Notifications a subscription queues for a slow consumer before it reports an overrun. */
export const SUBSCRIPTION_QUEUE_LIMIT = 16384;
/**
 * Receive-buffer bytes one queued reply is assumed to take (skb truesize: an ACK takes
 * about 800 bytes of SO_RCVBUF, a short reply plus its ACK about 2 KiB). Used to read
 * replies before sending more than the buffer can hold.
 */
const REPLY_COST = 2048;
/** An ACK: nlmsghdr, error 0 and the request's nlmsghdr (NETLINK_CAP_ACK), nothing else. */
const ACK_BYTES = NLMSG_HDRLEN + 4 + NLMSG_HDRLEN;

const hostLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The host-order u16 at `o`. */
function u16he(b: Uint8Array, o: number): number {
  return hostLE ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

/** The host-order u32 at `o` (netlink headers are host order), read without a DataView. */
function u32he(b: Uint8Array, o: number): number {
  return hostLE
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}
/**
 * Small copies (an encoded request kept until it is sent, a reply handed over as bytes)
 * share blocks of this size: one ArrayBuffer per block rather than per copy (each costs the
 * garbage collector far more than its bytes). Small, so that a copy kept for long keeps
 * little else alive; longer runs get buffers of their own.
 */
const ARENA_BYTES = 4096;
/**
 * Receive slots per recvmmsg(2): a read takes up to this many datagrams of up to the slot
 * size (RECV_BUFFER_BYTES, grown when a datagram did not fit) in one system call.
 */
const RECV_SLOTS = 16;
/**
 * Datagrams one read on a pool thread takes while a streamed dump is all the socket waits
 * for (see #readAsync): small, so that the consumer decodes some while the kernel makes the
 * next ones.
 */
const ASYNC_READ_DATAGRAMS = 4;
/** Drains run as microtasks right after sends before the event loop must turn (see #queueDrain). */
const MAX_MICRO_DRAINS = 64;
const ACK_COST = 1024;
const DEFAULT_DUMP_RETRIES = 3;
const EMSGSIZE = errnoNumber('EMSGSIZE') ?? 90;

/** Stores a host-order u16 at `o`. */
function setU16he(b: Uint8Array, o: number, v: number): void {
  if (hostLE) {
    b[o] = v;
    b[o + 1] = v >>> 8;
  } else {
    b[o] = v >>> 8;
    b[o + 1] = v;
  }
}

/** Stores a host-order u32 at `o`. */
function setU32he(b: Uint8Array, o: number, v: number): void {
  if (hostLE) {
    b[o] = v;
    b[o + 1] = v >>> 8;
    b[o + 2] = v >>> 16;
    b[o + 3] = v >>> 24;
  } else {
    b[o] = v >>> 24;
    b[o + 1] = v >>> 16;
    b[o + 2] = v >>> 8;
    b[o + 3] = v;
  }
}

/**
 * Checks that EncodedMessages hold whole messages where `ends` says (nlmsg_len within its
 * slot, slots 4-aligned and increasing, inside `bytes`): a bad offset would otherwise send
 * garbage to the kernel. EncodeError names the message.
 */
function checkEncoded(e: EncodedMessages): EncodedMessages {
  const { bytes, ends } = e;
  if (!(bytes instanceof Uint8Array) || typeof ends?.length !== 'number') {
    throw new EncodeError('requestBatch: expected { bytes: Uint8Array, ends }');
  }
  let prev = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    const len = end - prev >= NLMSG_HDRLEN ? u32he(bytes, prev) : 0;
    if (!Number.isInteger(end) || end > bytes.length || end - prev < NLMSG_HDRLEN || (end - prev) % 4 !== 0
      || len < NLMSG_HDRLEN || len > end - prev || align4(len) !== end - prev) {
      throw new EncodeError(`bytes ${prev}..${String(end)} are not one whole 4-aligned netlink message`, `requestBatch message ${i}`);
    }
    prev = end;
  }
  return e;
}

function label(info: RequestInfo): string {
  return info.what ?? `${info.type} seq ${info.seq}`;
}

function checkU32(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new TypeError(`${name} must be a u32, got ${String(v)}`);
  return v;
}

function checkTimeout(name: string, v: number): number {
  if (!(v >= 0) || (v !== Infinity && !Number.isFinite(v))) throw new TypeError(`${name} must be >= 0 ms, got ${String(v)}`);
  return v;
}

/** The kernel name of the attribute at `offs` of the request as it was sent. */
function attributeOf(msg: NlMsg, offs: number, proto: Protocol): string | undefined {
  try {
    const bytes = new Uint8Array(messageLength(msg, proto));
    encodeMessage(msg, { buf: bytes, view: new DataView(bytes.buffer) }, 0, proto);
    return attributeAt(bytes, 0, bytes.length, offs, proto);
  } catch {
    return undefined;
  }
}

/** NetlinkError from an NLMSG_ERROR or NLMSG_DONE carrying a negative errno. */
function netlinkError(m: NlMsg, op: Op, proto: Protocol): NetlinkError {
  const enc = op.kind === 'request' ? (op as RequestOp).encoded : undefined;
  return errorOf(m, op.info, (offs) => (enc ? attributeAt(enc, 0, enc.length, offs, proto) : attributeOf(op.msg, offs, proto)));
}

/**
 * NetlinkError from an NLMSG_ERROR or NLMSG_DONE; `attribute` names the attribute at an
 * ext-ack offset into the request as sent.
 */
function errorOf(m: NlMsg, info: RequestInfo, attribute: (offs: number) => string | undefined): NetlinkError {
  const ea = m.extack;
  let extack: ExtAckInfo | undefined;
  if (ea) {
    extack = {};
    if (ea.msg !== undefined) extack.msg = ea.msg;
    if (ea.offs !== undefined) {
      extack.offset = ea.offs;
      // With NETLINK_CAP_ACK the echo is the header only, so the decoder cannot name the
      // attribute; the request as sent is re-encoded (only on this error path) instead.
      const name = m.errorAttribute ?? attribute(ea.offs);
      if (name !== undefined) extack.attribute = name;
    }
    if (ea.missType !== undefined) extack.missType = ea.missType;
    if (ea.missNest !== undefined) extack.missNest = ea.missNest;
  }
  return new NetlinkError(m.errno ?? 0, info, extack);
}

/** Something that waits for in-flight slots. */
interface SlotWaiter {
  n: number;
  cancelled: boolean;
  /** What waits: failed by close() like everything else. */
  owner: Op | Batch;
  run(): void;
}

/** State shared by requests and dumps. */
abstract class Op {
  seq = 0;
  sent = false;
  done = false;
  holdsSlot = false;
  waiter: SlotWaiter | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  abortListener: (() => void) | undefined;
  /**
   * Its data messages (nlmsg_type >= NLMSG_MIN_TYPE) are handed over as bytes, not decoded:
   * a copy of each run of them in a datagram (see {@link NetlinkSocket.dumpBytes}).
   */
  raw = false;
  abstract readonly kind: 'request' | 'dump';
  constructor(
    readonly msg: NlMsg,
    readonly info: RequestInfo,
    readonly timeout: number,
    readonly signal: AbortSignal | undefined,
  ) {}
}

/** A request that ends with NLMSG_ERROR (or NLMSG_DONE, or its only reply without ACK). */
class RequestOp extends Op {
  readonly kind = 'request';
  readonly replies: NlMsg[] = [];
  /** nlmsg_len, computed once when the request is made. */
  len = 0;
  /** The message as the caller encoded it (requestEncoded): copied as is when sent. */
  encoded: Uint8Array | undefined;
  /** Date.now() after which it times out (the shared request timer; 0: none). */
  deadline = 0;
  /** Its neighbours in the TimedQueue of its timeout value, while it has a deadline. */
  prevTimed: RequestOp | undefined = undefined;
  nextTimed: RequestOp | undefined = undefined;
  constructor(msg: NlMsg, info: RequestInfo, timeout: number, signal: AbortSignal | undefined,
    readonly ack: boolean, readonly resolve: (r: NlMsg[]) => void, readonly reject: (e: Error) => void) {
    super(msg, info, timeout, signal);
  }
}

/**
 * The requests with one timeout value, in the order they were sent (so by deadline): a
 * list through the requests themselves. A Set did the same, but a request added and
 * removed at a time made it rehash, allocating, every few requests.
 */
class TimedQueue {
  head: RequestOp | undefined = undefined;
  tail: RequestOp | undefined = undefined;

  push(op: RequestOp): void {
    op.prevTimed = this.tail;
    op.nextTimed = undefined;
    if (this.tail) this.tail.nextTimed = op;
    else this.head = op;
    this.tail = op;
  }

  remove(op: RequestOp): void {
    const { prevTimed: p, nextTimed: n } = op;
    if (p) p.nextTimed = n;
    else this.head = n;
    if (n) n.prevTimed = p;
    else this.tail = p;
    op.prevTimed = op.nextTimed = undefined;
  }
}

type DumpMode = 'stream' | 'collect' | 'discard';

/** What a collecting dump (dumpAll) hands over at NLMSG_DONE. */
interface CollectedDump {
  messages: NlMsg[];
  interrupted: boolean;
  info: RequestInfo;
}

/** A dump: NLM_F_MULTI parts up to NLMSG_DONE. */
class DumpOp extends Op {
  readonly kind = 'dump';
  /** stream: chunks for an iterator; collect: all for dumpAll; discard: abandoned, read on to DONE. */
  mode: DumpMode;
  /** The kernel has finished (DONE or an error): no more parts will come. */
  kernelDone = false;
  lastActivity = 0;
  /** stream: one array per datagram, and the read position in the first. */
  readonly chunks: Array<Array<NlMsg | Uint8Array | typeof INTERRUPTED>> = [];
  pos = 0;
  lastDatagram = -1;
  /** The datagram lastActivity was read for: the clock is read once per datagram, not per message. */
  activityDatagram = -1;
  /** collect: everything, and whether any part was flagged NLM_F_DUMP_INTR. */
  readonly collected: NlMsg[] = [];
  interrupted = false;
  /** How the stream ends once the chunks are consumed: undefined error = done. */
  end: { error?: Error } | undefined;
  /** A consumer waiting for the next datagram or the end (see wait()). */
  wakeUp: (() => void) | undefined;
  constructor(msg: NlMsg, info: RequestInfo, timeout: number, signal: AbortSignal | undefined, mode: DumpMode,
    readonly hooks: { pulled(op: DumpOp): void; abandon(op: DumpOp): void },
    readonly onCollected?: (r: CollectedDump | Error) => void) {
    super(msg, info, timeout, signal);
    this.mode = mode;
  }

  congested(): boolean {
    return this.mode === 'stream' && this.chunks.length >= DUMP_HIGH_WATER;
  }

  hasBuffered(): boolean {
    return this.chunks.length > 0;
  }

  /**
   * The next message of a streaming dump, synchronously: the message, undefined at the
   * end, or PENDING when nothing is buffered yet (then {@link wait}). Throws the dump's
   * error, and DumpInterruptedError at a message flagged NLM_F_DUMP_INTR (abandoning the
   * dump).
   */
  takeNow(): NlMsg | undefined | typeof PENDING {
    const chunk = this.chunks[0];
    if (chunk) {
      const m = chunk[this.pos++]!;
      if (this.pos >= chunk.length) {
        this.chunks.shift();
        this.pos = 0;
        this.hooks.pulled(this);
      }
      if (m === INTERRUPTED || (m as NlMsg).flags & NLM_F_DUMP_INTR) {
        this.hooks.abandon(this);
        throw new DumpInterruptedError(this.info, 1);
      }
      return m as NlMsg;
    }
    if (this.end) {
      if (this.end.error) throw this.end.error;
      return undefined;
    }
    return PENDING;
  }

  /**
   * The rest of the next datagram's messages, as {@link takeNow}. A message flagged
   * NLM_F_DUMP_INTR ends the chunk before it; taking it throws.
   */
  takeChunkNow(): NlMsg[] | undefined | typeof PENDING {
    const chunk = this.chunks[0];
    if (chunk) {
      let i = this.pos;
      while (i < chunk.length && chunk[i] !== INTERRUPTED && !((chunk[i] as NlMsg).flags & NLM_F_DUMP_INTR)) i++;
      if (i === this.pos) return [this.takeNow() as NlMsg];
      const out = (this.pos === 0 && i === chunk.length ? chunk : chunk.slice(this.pos, i)) as NlMsg[];
      if (i === chunk.length) {
        this.chunks.shift();
        this.pos = 0;
        this.hooks.pulled(this);
      } else this.pos = i;
      return out;
    }
    const m = this.takeNow();
    return m === PENDING || m === undefined ? m : [m];
  }

  /** Resolves when {@link takeNow} has something: a datagram, the end or an error. */
  wait(): Promise<void> {
    this.waiting ??= new Promise((resolve) => {
      this.wakeUp = (): void => {
        this.waiting = undefined;
        resolve();
      };
    });
    return this.waiting;
  }

  waiting: Promise<void> | undefined;

  /** Wakes a consumer waiting in wait(). */
  wake(): void {
    const w = this.wakeUp;
    if (!w) return;
    if (this.chunks.length === 0 && !this.end) return;
    this.wakeUp = undefined;
    w();
  }
}

/** In a raw dump's chunks: the kernel flagged NLM_F_DUMP_INTR here. */
const INTERRUPTED: unique symbol = Symbol('interrupted');

/** What {@link DumpOp.takeNow} returns when nothing is buffered yet. */
const PENDING: unique symbol = Symbol('pending');

/**
 * A streaming dump's consumer side: restarts an interrupted dump that has yielded nothing
 * yet (up to `retries` times), abandons it when the consumer stops.
 */
class DumpCursor {
  op: DumpOp | undefined;
  attempt = 0;
  yielded = false;
  finished = false;
  constructor(readonly start: () => DumpOp, readonly retries: number, readonly abandon: (op: DumpOp) => void) {}

  take<T>(get: (op: DumpOp) => T | undefined | typeof PENDING): T | undefined | typeof PENDING {
    for (;;) {
      if (this.finished) return undefined;
      if (!this.op) {
        this.attempt++;
        this.op = this.start();
      }
      let v: T | undefined | typeof PENDING;
      try {
        v = get(this.op);
      } catch (err) {
        const op = this.op;
        if (err instanceof DumpInterruptedError) {
          this.abandon(op);
          if (!this.yielded && this.attempt <= this.retries) {
            this.op = undefined;
            continue;
          }
          this.finish();
          throw new DumpInterruptedError(err.request, this.attempt);
        }
        this.finish();
        throw err;
      }
      if (v === undefined) this.finish();
      else if (v !== PENDING) this.yielded = true;
      return v;
    }
  }

  finish(): void {
    this.finished = true;
    if (this.op) this.abandon(this.op);
  }
}

/**
 * The async iterator of {@link NetlinkSocket.dump} and {@link NetlinkSocket.dumpChunks}:
 * `next()` answers from what is buffered without an await of its own, so a consumer pays
 * one promise per item rather than the several of an async generator.
 */
class DumpIterator<T> implements AsyncIterableIterator<T> {
  constructor(readonly cursor: DumpCursor, readonly get: (op: DumpOp) => T | undefined | typeof PENDING) {}

  next(): Promise<IteratorResult<T>> {
    let v: T | undefined | typeof PENDING;
    try {
      v = this.cursor.take(this.get);
    } catch (err) {
      return Promise.reject(err);
    }
    if (v === PENDING) return this.cursor.op!.wait().then(() => this.next());
    if (v === undefined) return Promise.resolve({ done: true, value: undefined });
    return Promise.resolve({ done: false, value: v });
  }

  return(): Promise<IteratorResult<T>> {
    this.cursor.finish();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

/** A batch of requests answered by one array of results. */
class Batch {
  readonly results: BatchResult[];
  readonly count: number;
  /** NLM_F_ACK on every message (else each ends at its first reply that is not NLM_F_MULTI). */
  readonly ack: boolean;
  readonly raw: boolean;
  next = 0;
  remaining: number;
  done = false;
  waiter: SlotWaiter | undefined;
  /** Chunks sent and not fully answered. */
  readonly chunks: BatchChunk[] = [];
  /** Replies other than the ACK, by message index (rare: a batch is mostly changes). */
  replies: Map<number, Array<NlMsg | Uint8Array>> | undefined;
  abortListener: (() => void) | undefined;
  constructor(readonly bytes: Uint8Array, readonly ends: ArrayLike<number>, readonly opts: BatchOptions,
    readonly timeout: number, readonly resolve: (r: BatchResult[]) => void, readonly reject: (e: Error) => void) {
    this.count = ends.length;
    this.ack = opts.ack ?? true;
    this.raw = opts.raw ?? false;
    this.results = new Array<BatchResult>(this.count);
    this.remaining = this.count;
  }

  /** The chunk that sent `seq`. */
  chunkOf(seq: number): BatchChunk | undefined {
    for (const c of this.chunks) if (((seq - c.base) >>> 0) < c.count) return c;
    return undefined;
  }

  start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]!;
  }

  end(i: number): number {
    return this.ends[i]!;
  }
}

/**
 * One sendmsg(2) of a batch: messages start .. start + count - 1 numbered base .. base +
 * count - 1 (consecutive, so a reply's message is found from its seq without an object
 * per message), holding `count` in-flight slots until all are answered.
 */
interface BatchChunk {
  base: number;
  start: number;
  count: number;
  remaining: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The result of a batch member answered by a plain ACK (one frozen object for all). */
const BATCH_OK: BatchResult = Object.freeze({ ok: true, replies: Object.freeze([]) as unknown as NlMsg[] }) as BatchResult;

/** A multicast subscription: an async iterator over notifications. */
class Subscription implements AsyncIterableIterator<SubscriptionEvent> {
  #queue: SubscriptionEvent[] = [];
  #head = 0;
  /** Consumers waiting in next(), oldest first (next() may be called without awaiting). */
  #waiters: Array<(r: IteratorResult<SubscriptionEvent>) => void> = [];
  #done = false;
  constructor(readonly groups: readonly number[], readonly mask: number, readonly anyGroup: boolean,
    private readonly release: (s: Subscription) => void) {}

  /** Whether a datagram sent to the nl_groups bits `mask` is for this subscription. */
  wants(mask: number): boolean {
    // nl_groups names groups 1..32 only; above 32 the kernel's mask is meaningless.
    return this.anyGroup || (mask & this.mask) !== 0;
  }

  push(ev: SubscriptionEvent): void {
    if (this.#done) return;
    const w = this.#waiters.shift();
    if (w) {
      w({ value: ev, done: false });
      return;
    }
    const n = this.#queue.length - this.#head;
    if (ev.type === 'overrun' && n > 0 && this.#queue[this.#queue.length - 1]!.type === 'overrun') return;
    if (n >= SUBSCRIPTION_QUEUE_LIMIT) {
      // The consumer must resynchronise anyway: what is queued is of no more use to it.
      this.#queue = [{ type: 'overrun' }];
      this.#head = 0;
      return;
    }
    this.#queue.push(ev);
  }

  /** The socket closed: deliver what is queued, then end. */
  end(): void {
    this.#done = true;
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) w({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<SubscriptionEvent>> {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head++]!;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => { this.#waiters.push(resolve); });
  }

  /** Stops the subscription: leaves its groups (unless still used) and ends the iteration. */
  return(): Promise<IteratorResult<SubscriptionEvent>> {
    if (!this.#done) {
      this.#done = true;
      this.#queue = [];
      this.#head = 0;
      this.release(this);
    }
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<SubscriptionEvent> {
    return this;
  }
}

/**
 * A netlink socket of one protocol, shared by any number of concurrent requests, dumps,
 * batches and subscriptions.
 *
 * Reading: the socket is polled only while something waits for the kernel (a request in
 * flight, a dump, a subscription), so an idle socket does not keep Node's event loop
 * alive; polling stops one event-loop turn after the last waiter, so back-to-back requests
 * do not re-register the poll. Each readable callback reads with `MSG_DONTWAIT` until
 * `EAGAIN` into one receive buffer.
 *
 * Overruns (ENOBUFS): the kernel answers a request inside sendmsg(2), so once the socket
 * has been read to EAGAIN, a request still waiting lost its reply and it never will come:
 * every such request rejects with a SyscallError `ENOBUFS` (its outcome is unknown: a
 * change may have been made). Dumps carry on (the kernel never drops dump data) and every
 * subscription yields `{ type: 'overrun' }`. To keep bursts from overrunning, the socket
 * reads the replies queued so far before sending more than about half of its receive
 * buffer's worth.
 */
export class NetlinkSocket {
  /** The port id the kernel assigned at bind(2) (`nl_pid`); u32, may exceed 2^31. */
  readonly portId: number;
  /** The protocol that decodes and encodes this socket's messages. */
  readonly protocol: Protocol;
  /** Traffic counters. */
  readonly stats: NetlinkSocketStats = {
    spoofed: 0, overruns: 0, unmatched: 0, sent: 0, received: 0, truncated: 0, malformed: 0,
  };
  /** Which of NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK are on. */
  readonly features: { readonly extAck: boolean; readonly capAck: boolean; readonly strictCheck: boolean };
  /** SO_RCVBUF as the kernel reports it (twice the value set). */
  readonly rcvbuf: number;

  readonly #binding: NativeBinding;
  readonly #fd: number;
  readonly #defaultTimeout: number;
  readonly #maxInFlight: number;
  readonly #tap: ((direction: '>' | '<', bytes: Uint8Array) => void) | undefined;
  readonly #bindGroups: number;
  readonly #recvFlags: number;
  readonly #eagain: number;
  readonly #enobufs: number;
  #closed = false;
  #seq = 0;
  /** Requests and dumps by seq; a batch under each seq of its messages in flight. */
  readonly #inflight = new Map<number, Op | Batch>();
  #requestsWaiting = 0;
  /** Of those, requests with NLM_F_ACK (answered by a reply and an ACK: two datagrams). */
  #acksWaiting = 0;
  #slotsUsed = 0;
  #slotWaiters: SlotWaiter[] = [];
  #dumpActive: DumpOp | undefined;
  #dumpQueue: DumpOp[] = [];
  readonly #batches = new Set<Batch>();
  readonly #subs = new Set<Subscription>();
  readonly #memberships = new Map<number, number>();
  #polling = false;
  #stopScheduled = false;
  #draining = false;
  #unread = 0;
  /**
   * Datagrams read on the send path (to keep the receive buffer from overrunning), to be
   * dispatched on a later turn of the event loop: settling promises inside send() would let
   * a caller that awaits request after request run on microtasks alone and starve every
   * timer, poll callback and other socket of the process.
   */
  #pending: Array<{ bytes: Uint8Array; n: number; sender: number; groups: number }> = [];
  /** Requests in flight when read-ahead met an overrun: their replies may be among the lost. */
  #pendingOverrun: Array<Op | Batch> | undefined;
  #pendingScheduled = false;
  #datagramId = 0;
  /** recvMany's buffer: #slots datagrams of up to #slot bytes (allocated on the first read). */
  #rbuf: Uint8Array | undefined;
  /** The read-ahead's own buffer: it may run while datagrams of #rbuf are being dispatched. */
  #abuf: Uint8Array | undefined;
  #slot = RECV_BUFFER_BYTES;
  #slots = RECV_SLOTS;
  readonly #meta = new Uint32Array(4 * RECV_SLOTS);
  /**
   * Requests encoded into #sbuf[0, #sOff) and not sent yet: requests made in the same run
   * of microtasks leave in one sendmsg(2), flushed by a microtask (#flushTask) or before
   * anything else is sent.
   */
  #sOff = 0;
  #sOps: Op[] = [];
  #flushQueued = false;
  readonly #sbuf = new Uint8Array(MAX_SEND_BYTES);
  #arena = new Uint8Array(0);
  /** A recvManyAsync is in flight into #asyncBuf (slots of #asyncSlot bytes). */
  #asyncReading = false;
  /** Two buffers, used in turn: the next read goes into one while the other is dispatched. */
  readonly #asyncBufs: Array<Uint8Array | undefined> = [undefined, undefined];
  readonly #asyncSlots = [0, 0];
  readonly #asyncMetas = [new Uint32Array(4 * RECV_SLOTS), new Uint32Array(4 * RECV_SLOTS)];
  #asyncIdx = 0;
  /** The datagram being dispatched is a copy made for it (read ahead), not #rbuf. */
  #ownedInput = false;
  #arenaOff = 0;
  /** The `msg` of requests sent from their own bytes (requestEncoded): never encoded. */
  readonly #encodedMsg: NlMsg = { type: 0, flags: 0, seq: 0, pid: 0 };
  readonly #sview = new DataView(this.#sbuf.buffer);
  /** Requests with a timeout, in the order they were sent, per timeout value (see #armRequestTimer). */
  readonly #timed = new Map<number, TimedQueue>();
  readonly #timers = new Map<number, ReturnType<typeof setTimeout>>();
  /** A drain is queued as a microtask after sends; how many ran since the event loop last turned. */
  #drainQueued = false;
  #microDrains = 0;
  #turnScheduled = false;
  readonly #dumpHooks = {
    pulled: (op: DumpOp): void => {
      if (this.#readAsync()) return;
      if (op.chunks.length <= DUMP_LOW_WATER) this.#updatePolling();
    },
    abandon: (op: DumpOp): void => this.#abandonDump(op),
  };

  private constructor(binding: NativeBinding, fd: number, proto: Protocol, portId: number, rcvbuf: number,
    features: NetlinkSocket['features'], opts: NetlinkSocketOptions) {
    this.#binding = binding;
    this.#fd = fd;
    this.protocol = proto;
    this.portId = portId;
    this.rcvbuf = rcvbuf;
    this.features = features;
    this.#defaultTimeout = checkTimeout('timeout', opts.timeout ?? DEFAULT_TIMEOUT_MS);
    this.#maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.#tap = opts.onDatagram;
    this.#bindGroups = opts.groups ?? 0;
    const c = binding.constants;
    this.#recvFlags = c.MSG_DONTWAIT | c.MSG_TRUNC;
    this.#eagain = -c.EAGAIN;
    this.#enobufs = -c.ENOBUFS;
  }

  /**
   * Opens a socket: socket(2) (in `opts.netns` if given), SO_RCVBUF, the NETLINK_* options,
   * bind(2) with `opts.groups`, and getsockname(2) for the port id, all before returning.
   *
   * @throws SyscallError when a system call fails (the descriptor is closed again);
   *   TypeError for invalid options.
   */
  static open(proto: Protocol, opts: NetlinkSocketOptions = {}): NetlinkSocket {
    const maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new TypeError(`maxInFlight must be a positive integer, got ${String(maxInFlight)}`);
    checkTimeout('timeout', opts.timeout ?? DEFAULT_TIMEOUT_MS);
    const groups = checkU32('groups', opts.groups ?? 0);
    if (opts.rcvbuf !== undefined && (!Number.isInteger(opts.rcvbuf) || opts.rcvbuf < 1 || opts.rcvbuf > 0x7fffffff)) {
      throw new TypeError(`rcvbuf must be a positive int, got ${String(opts.rcvbuf)}`);
    }
    const binding = opts.binding ?? loadBinding();
    const c = binding.constants;
    const protocolNumber = opts.protocol ?? proto.id;
    const where = opts.netns === undefined ? undefined : `netns ${netnsPath(opts.netns)}`;
    let fd: number;
    if (opts.netns === undefined) fd = binding.open(protocolNumber);
    else {
      const nsFd = openNetns(opts.netns);
      try {
        fd = binding.open(protocolNumber, nsFd);
      } finally {
        closeNetns(nsFd);
      }
    }
    if (fd < 0) throw new SyscallError('socket', fd, where);
    try {
      if (opts.rcvbuf !== undefined) {
        let r = binding.setsockopt(fd, c.SOL_SOCKET, c.SO_RCVBUFFORCE, opts.rcvbuf);
        if (r < 0) r = binding.setsockopt(fd, c.SOL_SOCKET, c.SO_RCVBUF, opts.rcvbuf);
        if (r < 0) throw new SyscallError('setsockopt', r, 'SO_RCVBUF');
      } else {
        // Best effort: the kernel caps it at net.core.rmem_max without complaint.
        binding.setsockopt(fd, c.SOL_SOCKET, c.SO_RCVBUF, DEFAULT_RCVBUF);
      }
      const feature = (name: string, option: number, want: boolean | undefined): boolean => {
        if (want === false) return false;
        const r = binding.setsockopt(fd, c.SOL_NETLINK, option, 1);
        if (r >= 0) return true;
        // Asked for explicitly: fail. By default: an older kernel simply lacks it.
        if (want === true) throw new SyscallError('setsockopt', r, name);
        return false;
      };
      const features = {
        extAck: feature('NETLINK_EXT_ACK', NETLINK_EXT_ACK, opts.extAck),
        capAck: feature('NETLINK_CAP_ACK', NETLINK_CAP_ACK, opts.capAck),
        strictCheck: feature('NETLINK_GET_STRICT_CHK', NETLINK_GET_STRICT_CHK, opts.strictCheck),
      };
      const b = binding.bind(fd, groups);
      if (b < 0) throw new SyscallError('bind', b, where);
      const portId = binding.portId(fd);
      if (portId < 0) throw new SyscallError('getsockname', portId, where);
      const rcvbuf = binding.getsockopt(fd, c.SOL_SOCKET, c.SO_RCVBUF);
      return new NetlinkSocket(binding, fd, proto, portId, rcvbuf > 0 ? rcvbuf : 212992, features, opts);
    } catch (err) {
      binding.close(fd);
      throw err;
    }
  }

  /** True once {@link close} has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Requests and dumps sent and not yet answered (batch messages count one each). */
  get inFlight(): number {
    return this.#inflight.size;
  }

  /**
   * Sends one request and collects its replies. `seq` and `pid` are filled in; NLM_F_REQUEST
   * and (unless `opts.ack` is false) NLM_F_ACK are added, so every request ends.
   *
   * Resolves with the replies before the final ACK: `[RTM_NEWROUTE]` for a route get, `[]`
   * for an acknowledged change. Rejects with NetlinkError when the kernel answers with a
   * negative errno (its ext-ack message and the name of the offending attribute included),
   * SyscallError when sendmsg fails or the reply was lost to an overrun, TimeoutError on
   * timeout, abort or close, EncodeError for a message that cannot be encoded, DecodeError
   * for a reply that cannot be decoded. Use {@link dump} for dumps: the kernel runs one
   * dump per socket at a time and only `dump`/`dumpAll` queue them.
   */
  request(msg: OutgoingMessage, opts: RequestOptions = {}): Promise<NlMsg[]> {
    return new Promise<NlMsg[]>((resolve, reject) => {
      const ack = opts.ack ?? true;
      const m = this.#outgoing(msg, NLM_F_REQUEST | (ack ? NLM_F_ACK : 0));
      const info = this.#info(m.type, opts);
      let timeout: number;
      let len: number;
      try {
        timeout = opts.timeout === undefined ? this.#defaultTimeout : checkTimeout('timeout', opts.timeout);
        len = messageLength(m, this.protocol);
      } catch (err) {
        reject(err);
        return;
      }
      const op = new RequestOp(m, info, timeout, opts.signal, ack, resolve, reject);
      op.len = len;
      this.#submit(op);
    });
  }

  /**
   * {@link request} for a message the caller has encoded (a fast encoder of its own):
   * `bytes[0, len)` is one whole netlink message, copied at once (`bytes` may be reused when
   * this returns); the socket fills in nlmsg_seq and nlmsg_pid and ORs NLM_F_REQUEST and
   * (unless `opts.ack` is false) NLM_F_ACK into nlmsg_flags. Resolves with the replies' data
   * messages as bytes, not decoded: a copy of each run of them in a datagram (a route get's
   * answer is one RTM_NEWROUTE message). Errors as for {@link request}; EncodeError when
   * `bytes[0, len)` is not one message.
   */
  requestEncoded(bytes: Uint8Array, len: number, opts: RequestOptions = {}): Promise<Uint8Array[]> {
    return new Promise<Uint8Array[]>((resolve, reject) => {
      const ack = opts.ack ?? true;
      let timeout: number;
      try {
        timeout = opts.timeout === undefined ? this.#defaultTimeout : checkTimeout('timeout', opts.timeout);
        if (!(len >= NLMSG_HDRLEN && len <= bytes.length && u32he(bytes, 0) === len)) {
          throw new EncodeError(`bytes 0..${String(len)} are not one whole netlink message`, 'requestEncoded');
        }
      } catch (err) {
        reject(err);
        return;
      }
      const enc = this.#copy(bytes, 0, len);
      setU16he(enc, 6, u16he(enc, 6) | NLM_F_REQUEST | (ack ? NLM_F_ACK : 0));
      const op = new RequestOp(this.#encodedMsg, this.#info(u16he(enc, 4), opts), timeout, opts.signal, ack,
        resolve as unknown as (r: NlMsg[]) => void, reject);
      op.encoded = enc;
      op.len = len;
      op.raw = true;
      this.#submit(op);
    });
  }

  /**
   * A dump (NLM_F_REQUEST | NLM_F_DUMP added) as an async iterator, streamed with bounded
   * memory: when the consumer is {@link DUMP_HIGH_WATER} datagrams behind, the socket stops
   * reading and the kernel stops producing the dump, unless a request or another dump is
   * waiting on this socket (then it reads on until those are answered). The request is
   * sent on the first `next()`.
   *
   * Ends after NLMSG_DONE; throws NetlinkError for an errno in NLMSG_DONE or an NLMSG_ERROR,
   * and {@link DumpInterruptedError} for NLM_F_DUMP_INTR: before anything was yielded the
   * dump is restarted (up to `opts.retries`, default 3), afterwards it throws. Breaking out
   * of the loop abandons the dump; the kernel's rest of it is read and discarded.
   */
  dump(msg: Omit<NlMsg, 'seq' | 'pid'>, opts: DumpOptions = {}): AsyncIterableIterator<NlMsg> {
    return new DumpIterator(this.#dumpCursor(msg, opts), (op) => op.takeNow());
  }

  /**
   * {@link dump}, one array per datagram the kernel sent (the messages of a datagram are
   * decoded together anyway): for consumers that process a dump in batches, at one promise
   * per datagram. A message flagged NLM_F_DUMP_INTR ends its array; the next call throws.
   */
  dumpChunks(msg: Omit<NlMsg, 'seq' | 'pid'>, opts: DumpOptions = {}): AsyncIterableIterator<NlMsg[]> {
    return new DumpIterator(this.#dumpCursor(msg, opts), (op) => op.takeChunkNow());
  }

  /**
   * {@link dump} for consumers with a decoder of their own: the dump's data messages as
   * bytes, one copy per run of them in a datagram (whole netlink messages, headers
   * included, each one of this dump; NLMSG_DONE and errors are handled here as for
   * {@link dump}). Nothing is decoded by the socket, so a malformed message surfaces in the
   * consumer's decoder.
   */
  dumpBytes(msg: Omit<NlMsg, 'seq' | 'pid'>, opts: DumpOptions = {}): AsyncIterableIterator<Uint8Array> {
    return new DumpIterator(this.#dumpCursor(msg, opts, true), (op) => op.takeNow() as unknown as Uint8Array);
  }

  #dumpCursor(msg: Omit<NlMsg, 'seq' | 'pid'>, opts: DumpOptions, raw = false): DumpCursor {
    return new DumpCursor(() => {
      const op = this.#newDump(msg, opts, 'stream');
      op.raw = raw;
      this.#startDump(op);
      return op;
    }, opts.retries ?? DEFAULT_DUMP_RETRIES, (op) => this.#abandonDump(op));
  }

  /**
   * A dump read to the end and returned whole. NLM_F_DUMP_INTR in any part restarts it,
   * up to `opts.retries` times (default 3), after which it throws
   * {@link DumpInterruptedError} carrying the last attempt's messages. Errors as for
   * {@link dump}.
   */
  async dumpAll(msg: Omit<NlMsg, 'seq' | 'pid'>, opts: DumpOptions = {}): Promise<NlMsg[]> {
    const retries = opts.retries ?? DEFAULT_DUMP_RETRIES;
    for (let attempt = 1; ; attempt++) {
      const r = await new Promise<CollectedDump>((resolve, reject) => {
        const op = this.#newDump(msg, opts, 'collect', (res) => (res instanceof Error ? reject(res) : resolve(res)));
        this.#startDump(op);
      });
      if (!r.interrupted) return r.messages;
      if (attempt > retries) throw new DumpInterruptedError(r.info, attempt, r.messages);
    }
  }

  /**
   * Many requests at once: NLM_F_REQUEST | NLM_F_ACK added to each, encoded back to back
   * into as few sendmsg(2) calls as fit (at most {@link MAX_SEND_BYTES} each, and no more
   * messages than the receive buffer has room for ACKs), the ACKs read after each send.
   * Messages may come encoded already ({@link EncodedMessages}: sent from those bytes,
   * numbered in place). Resolves with one result per message, in order: `{ ok: true,
   * replies }` or `{ ok: false, error: NetlinkError }`; never rejects for a kernel error.
   * Every message answered by a plain ACK shares one frozen result (`replies` empty).
   * `opts.ack: false` (requests the kernel always answers, GET): each message ends at its
   * first reply that is not NLM_F_MULTI; `opts.raw`: replies as bytes, not decoded.
   *
   * Rejects (EncodeError before anything is sent; SyscallError, TimeoutError otherwise)
   * when the batch as a whole fails; messages sent before that may have taken effect.
   */
  requestBatch(msgs: Array<Omit<NlMsg, 'seq' | 'pid'>> | EncodedMessages, opts?: BatchOptions & { raw?: false }): Promise<BatchResult[]>;
  requestBatch(msgs: Array<Omit<NlMsg, 'seq' | 'pid'>> | EncodedMessages, opts: BatchOptions & { raw: true }): Promise<Array<BatchResult<Uint8Array>>>;
  requestBatch(msgs: Array<Omit<NlMsg, 'seq' | 'pid'>> | EncodedMessages, opts: BatchOptions = {}): Promise<Array<BatchResult<NlMsg | Uint8Array>>> {
    return new Promise<BatchResult[]>((resolve, reject) => {
      let timeout: number;
      let encoded: EncodedMessages;
      try {
        timeout = checkTimeout('timeout', opts.timeout ?? this.#defaultTimeout);
        encoded = Array.isArray(msgs) ? this.#encodeAll(msgs) : checkEncoded(msgs as EncodedMessages);
      } catch (err) {
        reject(err);
        return;
      }
      const batch = new Batch(encoded.bytes, encoded.ends, opts, timeout, resolve, reject);
      if (batch.count === 0) {
        resolve([]);
        return;
      }
      if (this.#closed) {
        reject(new TimeoutError(`${opts.what ?? 'batch'}: socket closed`, { type: 'batch', seq: 0, ...(opts.what ? { what: opts.what } : {}) }));
        return;
      }
      const signal = opts.signal;
      if (signal) {
        if (signal.aborted) {
          reject(this.#abortError({ type: 'batch', seq: 0, ...(opts.what ? { what: opts.what } : {}) }, signal));
          return;
        }
        batch.abortListener = (): void => this.#failBatch(batch,
          this.#abortError({ type: 'batch', seq: 0, ...(opts.what ? { what: opts.what } : {}) }, signal));
        signal.addEventListener('abort', batch.abortListener, { once: true });
      }
      this.#batches.add(batch);
      this.#batchContinue(batch);
    });
  }

  /**
   * Joins multicast groups (NETLINK_ADD_MEMBERSHIP; group numbers such as
   * RTNLGRP_IPV4_ROUTE = 7) and iterates their notifications, from this call on. An
   * overrun, in the kernel (ENOBUFS) or because the consumer fell
   * {@link SUBSCRIPTION_QUEUE_LIMIT} messages behind, yields `{ type: 'overrun' }`:
   * notifications were lost and the consumer should resynchronise (dump again).
   *
   * `return()` (breaking out of `for await`) leaves the groups no other subscription
   * uses. When the socket closes, the iteration ends after the queued notifications.
   * An active subscription keeps the socket polled, and so Node's event loop alive.
   * Subscriptions are best kept on a socket of their own: a slow streaming dump on the
   * same socket stops its reading, and notifications are then lost to overruns.
   *
   * @throws SyscallError when joining a group fails (or EBADF when the socket is closed);
   *   TypeError for a group that is not a positive u32.
   */
  subscribe(groups: number[]): AsyncIterableIterator<SubscriptionEvent> {
    if (this.#closed) throw new SyscallError('setsockopt', -(this.#binding.constants.EBADF), 'subscribe: socket closed');
    let mask = 0;
    let anyGroup = false;
    for (const g of groups) {
      if (!Number.isInteger(g) || g < 1 || g > 0x7fffffff) throw new TypeError(`subscribe: group must be a positive integer, got ${String(g)}`);
      if (g <= 32) mask = (mask | (1 << (g - 1))) >>> 0;
      else anyGroup = true;
    }
    const joined: number[] = [];
    for (const g of new Set(groups)) {
      const n = this.#memberships.get(g) ?? 0;
      if (n === 0) {
        const r = this.#binding.setsockopt(this.#fd, this.#binding.constants.SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, g);
        if (r < 0) {
          for (const j of joined) this.#leave(j);
          throw new SyscallError('setsockopt', r, `NETLINK_ADD_MEMBERSHIP ${g}`);
        }
      }
      this.#memberships.set(g, n + 1);
      joined.push(g);
    }
    const sub = new Subscription([...new Set(groups)], mask, anyGroup, (s) => {
      if (!this.#subs.delete(s)) return;
      for (const g of s.groups) this.#leave(g);
      this.#updatePolling();
    });
    this.#subs.add(sub);
    this.#updatePolling();
    return sub;
  }

  /**
   * Closes the socket: everything in flight or waiting for a slot rejects with a
   * TimeoutError `socket closed`, subscriptions end, polling stops and the descriptor is
   * closed (when a pool thread is reading a dump from it, as soon as that read returns).
   * Idempotent.
   */
  close(): void {
    this.#shutDown((op) => this.#closedError(op), (b) => new TimeoutError(`${b.opts.what ?? 'batch'}: socket closed`,
      { type: 'batch', seq: 0, ...(b.opts.what ? { what: b.opts.what } : {}) }));
  }

  /** close() and #fatal: everything fails with its error, subscriptions end, the fd closes. */
  #shutDown(opError: (op: Op) => Error, batchError: (b: Batch) => Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failEverything(opError, batchError);
    for (const s of [...this.#subs]) s.end();
    this.#subs.clear();
    this.#polling = false;
    this.#clearRequestTimers();
    this.#binding.close(this.#fd);
  }

  // ---- building and sending ----------------------------------------------------------

  #outgoing(msg: OutgoingMessage, add: number): NlMsg {
    // Field by field: in V8 11 (Node 20) `{ ...msg, flags, seq, pid }` leaves the fast
    // clone path (spread followed by properties) and costs about 3 µs per request.
    const m: NlMsg = { type: msg.type, flags: ((msg.flags ?? 0) | add) >>> 0, seq: 0, pid: this.portId };
    if (msg.body !== undefined) m.body = msg.body;
    if (msg.attrs !== undefined) m.attrs = msg.attrs;
    if (msg.payload !== undefined) m.payload = msg.payload;
    if (msg.raw !== undefined) m.raw = msg.raw;
    if (msg.len !== undefined) m.len = msg.len;
    if (msg.errno !== undefined) m.errno = msg.errno;
    if (msg.request !== undefined) m.request = msg.request;
    if (msg.extack !== undefined) m.extack = msg.extack;
    if (msg.errorAttribute !== undefined) m.errorAttribute = msg.errorAttribute;
    return m;
  }

  #info(type: number, opts: RequestOptions): RequestInfo {
    const info: RequestInfo = { type: typeName(type, this.protocol), seq: 0 };
    if (opts.what !== undefined) info.what = opts.what;
    return info;
  }

  #nextSeq(): number {
    do this.#seq = (this.#seq + 1) >>> 0;
    while (this.#seq === 0 || this.#inflight.has(this.#seq));
    return this.#seq;
  }

  /**
   * A new request: rejected when the socket is closed, sent now when a slot is free and
   * nothing queues before it, else via #begin.
   */
  #submit(op: RequestOp): void {
    if (this.#closed) {
      op.reject(this.#closedError(op));
      return;
    }
    if (op.signal === undefined && this.#slotWaiters.length === 0 && this.#slotsUsed < this.#maxInFlight) {
      this.#slotsUsed++;
      op.holdsSlot = true;
      this.#send(op);
    } else this.#begin(op, () => this.#send(op));
  }

  /** Arms the abort signal and waits for a slot; `go` runs once one is held. */
  #begin(op: Op, go: () => void): void {
    const signal = op.signal;
    if (signal) {
      if (signal.aborted) {
        this.#fail(op, this.#abortError(op.info, signal));
        return;
      }
      op.abortListener = (): void => this.#onAbort(op);
      signal.addEventListener('abort', op.abortListener, { once: true });
    }
    this.#acquireSlot(op, go);
  }

  /** Runs `run` once `n` slots are held, at once when possible (and nobody queues before). */
  #acquire(n: number, owner: Op | Batch, run: () => void): void {
    if (this.#slotWaiters.length === 0 && this.#slotsUsed + n <= this.#maxInFlight) {
      this.#slotsUsed += n;
      run();
      return;
    }
    const w: SlotWaiter = { n, cancelled: false, owner, run };
    this.#slotWaiters.push(w);
    owner.waiter = w;
  }

  #release(n: number): void {
    this.#slotsUsed -= n;
    if (this.#closed) return;
    while (this.#slotWaiters.length > 0) {
      const w = this.#slotWaiters[0]!;
      if (w.cancelled) {
        this.#slotWaiters.shift();
        continue;
      }
      if (this.#slotsUsed + w.n > this.#maxInFlight) break;
      this.#slotWaiters.shift();
      this.#slotsUsed += w.n;
      w.run();
    }
  }

  /** Encodes `m` at `off` of `buf` with `seq` filled in; returns nlmsg_len. */
  #encodeAt(m: NlMsg, buf: Uint8Array, off: number): number {
    const view = buf === this.#sbuf ? this.#sview : new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const n = encodeMessage(m, { buf, view }, off, this.protocol);
    if (m.raw) {
      // A message kept as raw bytes is copied as is: put this request's header fields in.
      view.setUint16(off + 6, m.flags, true);
      view.setUint32(off + 8, m.seq, true);
      view.setUint32(off + 12, m.pid, true);
    }
    return n;
  }

  #send(op: Op): void {
    if (this.#closed) {
      this.#fail(op, this.#closedError(op));
      return;
    }
    const seq = this.#nextSeq();
    op.seq = seq;
    op.msg.seq = seq;
    op.info.seq = seq;
    let len: number;
    try {
      len = op.kind === 'request' && (op as RequestOp).len ? (op as RequestOp).len : messageLength(op.msg, this.protocol);
    } catch (err) {
      this.#fail(op, err instanceof Error ? err : new EncodeError(String(err)));
      return;
    }
    const sbuf = this.#sbuf;
    const size = align4(len);
    // A request joins the datagram being filled; a dump, or a request too long for it,
    // goes on its own, after what was queued before it.
    const join = op.kind === 'request' && size <= sbuf.length;
    if (!join || this.#sOff + size > sbuf.length) this.#flush();
    const off = join && this.#flushQueued ? this.#sOff : 0;
    const buf = size <= sbuf.length ? sbuf : new Uint8Array(size);
    try {
      const enc = op.kind === 'request' ? (op as RequestOp).encoded : undefined;
      if (enc) {
        buf.set(enc, off);
        setU32he(buf, off + 8, seq);
        setU32he(buf, off + 12, this.portId);
      } else this.#encodeAt(op.msg, buf, off);
      buf.fill(0, off + len, off + size);
    } catch (err) {
      this.#fail(op, err instanceof Error ? err : new EncodeError(String(err)));
      return;
    }
    this.#inflight.set(seq, op);
    op.sent = true;
    if (op.kind === 'request') {
      this.#requestsWaiting++;
      if ((op as RequestOp).ack) this.#acksWaiting++;
    }
    this.#ensurePolling();
    if (join && this.#flushQueued) {
      this.#sOff = off + size;
      this.#sOps.push(op);
    } else {
      if (!this.#sendNow(buf, size, [op])) return;
      if (join) {
        // The first request of a run of microtasks goes at once; those that follow in the
        // same run (the loops a batch of replies resumes) join one datagram, sent after them.
        this.#flushQueued = true;
        queueMicrotask(this.#flushTask);
      }
    }
    if (op.kind === 'dump') (op as DumpOp).lastActivity = Date.now();
    this.#armTimer(op);
    this.#unread += REPLY_COST;
    if (this.#unread * 2 >= this.rcvbuf) {
      // The replies may not fit the receive buffer: send now and read them before more.
      this.#flush();
      this.#readAhead();
    } else this.#queueDrain();
  }

  /** One sendmsg(2) of buf[0, len), which carries `ops`; false (and `ops` failed) if it failed. */
  #sendNow(buf: Uint8Array, len: number, ops: readonly Op[]): boolean {
    const r = this.#binding.send(this.#fd, buf, 0, len, 0, 0);
    if (r < 0) {
      for (const op of ops) this.#fail(op, new SyscallError('sendmsg', r, label(op.info)));
      return false;
    }
    this.stats.sent++;
    this.#tap?.('>', buf.slice(0, len));
    return true;
  }

  /** Sends the requests waiting in #sbuf, if any. */
  #flush(): void {
    const len = this.#sOff;
    if (len === 0) return;
    const ops = this.#sOps;
    this.#sOff = 0;
    this.#sOps = [];
    if (this.#closed) return;
    this.#sendNow(this.#sbuf, len, ops);
  }

  readonly #flushTask = (): void => {
    this.#flushQueued = false;
    if (this.#sOff === 0 || this.#closed) return;
    this.#flush();
    this.#queueDrain();
  };

  /**
   * The kernel answers a request inside sendmsg(2): its reply is queued when `send`
   * returns. So rather than wait for the poll to report it (an event-loop turn and an
   * epoll wakeup per request), read it in a microtask, after whatever else this tick sends.
   * At most {@link MAX_MICRO_DRAINS} such drains run before the event loop turns, so a loop
   * awaiting one request after another still lets timers and other I/O run.
   */
  #queueDrain(): void {
    if (this.#drainQueued || this.#microDrains >= MAX_MICRO_DRAINS) return;
    this.#drainQueued = true;
    this.#microDrains++;
    if (!this.#turnScheduled) {
      this.#turnScheduled = true;
      setImmediate(this.#onTurn);
    }
    queueMicrotask(this.#microDrain);
  }

  readonly #microDrain = (): void => {
    this.#drainQueued = false;
    if (!this.#closed) this.#drain(false);
  };

  readonly #onTurn = (): void => {
    this.#turnScheduled = false;
    this.#microDrains = 0;
  };

  #armTimer(op: Op, ms = op.timeout): void {
    if (op.timeout === 0 || op.timeout === Infinity || op.done) return;
    if (op.kind === 'request') {
      this.#armRequestTimer(op as RequestOp);
      return;
    }
    op.timer = setTimeout(() => this.#onTimer(op), ms);
  }

  /**
   * Requests share one timer per timeout value instead of a setTimeout each: requests of
   * the same timeout expire in the order they were sent, so each value keeps its requests
   * in a Set (insertion order, O(1) removal) and one timer for the oldest. The timer is
   * left running when the Set empties (a request answered at once costs no timer call at
   * all) and is unref'd: while requests wait, the poll keeps the process alive.
   */
  #armRequestTimer(op: RequestOp, now = Date.now()): void {
    const t = op.timeout;
    op.deadline = now + t;
    let q = this.#timed.get(t);
    if (!q) {
      q = new TimedQueue();
      this.#timed.set(t, q);
    }
    q.push(op);
    if (!this.#timers.has(t)) this.#timers.set(t, setTimeout(() => this.#onRequestTimer(t), t).unref());
  }

  #onRequestTimer(t: number): void {
    this.#timers.delete(t);
    const q = this.#timed.get(t);
    if (!q) return;
    const now = Date.now();
    for (let op = q.head; op; op = q.head) {
      if (op.deadline > now) {
        this.#timers.set(t, setTimeout(() => this.#onRequestTimer(t), Math.max(1, Math.ceil(op.deadline - now))).unref());
        return;
      }
      q.remove(op);
      op.deadline = 0;
      this.#onTimer(op);
    }
    this.#timed.delete(t);
  }

  #disarmRequestTimer(op: RequestOp): void {
    if (op.deadline === 0) return;
    op.deadline = 0;
    this.#timed.get(op.timeout)?.remove(op);
  }

  #clearRequestTimers(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    this.#timed.clear();
  }

  #onTimer(op: Op): void {
    op.timer = undefined;
    if (op.done) return;
    // Timers run before poll callbacks in a turn of the event loop: read what the kernel
    // has already answered before calling the request late.
    if (!this.#closed) this.#drain(false);
    if (op.done) return;
    if (op instanceof DumpOp) {
      // A dump times out only when the kernel, not the consumer, is late.
      if (op.mode === 'stream' && op.hasBuffered()) {
        this.#armTimer(op);
        return;
      }
      const idle = Date.now() - op.lastActivity;
      if (idle < op.timeout) {
        this.#armTimer(op, op.timeout - idle);
        return;
      }
      this.#fail(op, new TimeoutError(`${label(op.info)}: no dump data within ${op.timeout} ms`, op.info));
      return;
    }
    this.#fail(op, new TimeoutError(`${label(op.info)}: no reply within ${op.timeout} ms`, op.info));
  }

  #onAbort(op: Op): void {
    if (op.done || !op.signal) return;
    const err = this.#abortError(op.info, op.signal);
    if (op instanceof DumpOp) this.#failDump(op, err);
    else this.#fail(op, err);
  }

  #abortError(info: RequestInfo, signal: AbortSignal): TimeoutError {
    const e = new TimeoutError(`${label(info)}: aborted`, info);
    e.cause = signal.reason;
    return e;
  }

  #closedError(op: Op): TimeoutError {
    return new TimeoutError(`${label(op.info)}: socket closed`, op.info);
  }

  // ---- settling ----------------------------------------------------------------------

  /** Removes every trace of `op`; false if it was settled already. */
  #settle(op: Op): boolean {
    if (op.done) return false;
    op.done = true;
    if (op.sent && this.#inflight.get(op.seq) === op) {
      this.#inflight.delete(op.seq);
      if (op.kind === 'request') {
        this.#requestsWaiting--;
        if ((op as RequestOp).ack) this.#acksWaiting--;
      }
    }
    if (op.timer !== undefined) {
      clearTimeout(op.timer);
      op.timer = undefined;
    }
    if (op.kind === 'request') this.#disarmRequestTimer(op as RequestOp);
    if (op.abortListener && op.signal) op.signal.removeEventListener('abort', op.abortListener);
    op.abortListener = undefined;
    if (op.waiter) op.waiter.cancelled = true;
    if (op instanceof DumpOp) this.#dumpLaneFree(op);
    if (op.holdsSlot) {
      op.holdsSlot = false;
      this.#release(1);
    }
    this.#updatePolling();
    return true;
  }

  #ok(op: RequestOp): void {
    if (!this.#settle(op)) return;
    op.resolve(op.replies);
  }

  #fail(op: Op, err: Error): void {
    if (op instanceof DumpOp) {
      if (!this.#settle(op)) return;
      if (op.mode === 'collect') op.onCollected?.(err);
      else if (op.mode === 'stream') {
        op.end = { error: err };
        op.chunks.length = 0;
        op.wake();
      }
      return;
    }
    if (!this.#settle(op)) return;
    (op as RequestOp).reject(err);
  }

  /**
   * A dump failed for a reason of ours (abort, a reply that does not decode): the
   * consumer gets `err`, and the kernel's dump, if still running, is read on and discarded.
   */
  #failDump(op: DumpOp, err: Error): void {
    if (op.done) return;
    if (!op.sent || op.kernelDone) {
      this.#fail(op, err);
      return;
    }
    if (op.mode === 'collect') op.onCollected?.(err);
    else if (op.mode === 'stream') {
      op.end = { error: err };
      op.chunks.length = 0;
      op.wake();
    }
    op.mode = 'discard';
    this.#updatePolling();
  }

  /** The consumer of a streaming dump is gone (break, return, error): discard the rest. */
  #abandonDump(op: DumpOp): void {
    if (op.done || op.mode === 'discard') return;
    op.chunks.length = 0;
    if (!op.end) op.end = {};
    if (!op.sent || op.kernelDone) {
      this.#settle(op);
      return;
    }
    op.mode = 'discard';
    this.#updatePolling();
  }

  #failEverything(opError: (op: Op) => Error, batchError: (b: Batch) => Error): void {
    const ops = new Set<Op>();
    for (const v of this.#inflight.values()) if (v instanceof Op) ops.add(v);
    if (this.#dumpActive) ops.add(this.#dumpActive);
    for (const d of this.#dumpQueue) ops.add(d);
    const waiting = this.#slotWaiters;
    this.#slotWaiters = [];
    for (const w of waiting) {
      w.cancelled = true;
      // Requests waiting for a slot are known only through their waiters.
      if (w.owner instanceof Op) ops.add(w.owner);
    }
    for (const b of [...this.#batches]) this.#failBatch(b, batchError(b));
    for (const op of ops) this.#fail(op, opError(op));
  }

  // ---- dumps -------------------------------------------------------------------------

  #newDump(msg: Omit<NlMsg, 'seq' | 'pid'>, opts: DumpOptions, mode: DumpMode,
    onCollected?: (r: CollectedDump | Error) => void): DumpOp {
    const m = this.#outgoing(msg, NLM_F_REQUEST | NLM_F_DUMP);
    const info = this.#info(m.type, opts);
    const timeout = checkTimeout('timeout', opts.timeout ?? this.#defaultTimeout);
    return new DumpOp(m, info, timeout, opts.signal, mode, this.#dumpHooks, onCollected);
  }

  #startDump(op: DumpOp): void {
    if (this.#closed) {
      this.#fail(op, this.#closedError(op));
      return;
    }
    try {
      messageLength(op.msg, this.protocol);
    } catch (err) {
      this.#fail(op, err as Error);
      return;
    }
    if (op.signal?.aborted) {
      this.#fail(op, this.#abortError(op.info, op.signal));
      return;
    }
    if (op.signal) {
      op.abortListener = (): void => this.#onAbort(op);
      op.signal.addEventListener('abort', op.abortListener, { once: true });
    }
    if (this.#dumpActive) {
      this.#dumpQueue.push(op);
      return;
    }
    this.#dumpActive = op;
    this.#sendDump(op);
  }

  #sendDump(op: DumpOp): void {
    this.#acquireSlot(op, () => this.#send(op));
  }

  /** Waits for an in-flight slot for `op`, then runs `go` unless `op` ended meanwhile. */
  #acquireSlot(op: Op, go: () => void): void {
    this.#acquire(1, op, () => {
      op.waiter = undefined;
      if (op.done) {
        this.#release(1);
        return;
      }
      op.holdsSlot = true;
      go();
    });
  }

  #dumpLaneFree(op: DumpOp): void {
    const i = this.#dumpQueue.indexOf(op);
    if (i >= 0) this.#dumpQueue.splice(i, 1);
    if (this.#dumpActive !== op) return;
    this.#dumpActive = undefined;
    if (this.#closed) return;
    const next = this.#dumpQueue.shift();
    if (next) {
      this.#dumpActive = next;
      this.#sendDump(next);
    }
  }

  #onDumpMessage(op: DumpOp, m: NlMsg, datagram: number): void {
    this.#dumpActivity(op, datagram);
    if (m.type === NLMSG_DONE || (m.type === NLMSG_ERROR && m.errno !== 0)) {
      op.kernelDone = true;
      const err = m.errno !== undefined && m.errno !== 0 ? netlinkError(m, op, this.protocol) : undefined;
      if (m.flags & NLM_F_DUMP_INTR) op.interrupted = true;
      const mode = op.mode;
      if (!this.#settle(op)) return;
      if (mode === 'collect') {
        op.onCollected?.(err ?? { messages: op.collected, interrupted: op.interrupted, info: op.info });
      } else if (mode === 'stream') {
        op.end = err ? { error: err }
          : m.flags & NLM_F_DUMP_INTR ? { error: new DumpInterruptedError(op.info, 1) } : {};
        op.wake();
      }
      return;
    }
    if (m.type === NLMSG_ERROR || m.type === NLMSG_NOOP || m.type === NLMSG_OVERRUN) return;
    if (op.mode === 'collect') {
      op.collected.push(m);
      if (m.flags & NLM_F_DUMP_INTR) op.interrupted = true;
    } else if (op.mode === 'stream') {
      if (op.lastDatagram === datagram && op.chunks.length > 0) op.chunks[op.chunks.length - 1]!.push(m);
      else {
        op.chunks.push([m]);
        op.lastDatagram = datagram;
      }
      op.wake();
    }
  }

  // ---- batches -----------------------------------------------------------------------

  /** Encodes messages back to back (seq and pid 0: filled in when each chunk is sent). */
  #encodeAll(msgs: ReadonlyArray<Omit<NlMsg, 'seq' | 'pid'>>): EncodedMessages {
    const prepared: NlMsg[] = [];
    const ends = new Array<number>(msgs.length);
    let total = 0;
    for (let i = 0; i < msgs.length; i++) {
      const m = this.#outgoing(msgs[i]!, 0);
      total += align4(messageLength(m, this.protocol));
      ends[i] = total;
      prepared.push(m);
    }
    const bytes = new Uint8Array(total);
    const view = new DataView(bytes.buffer);
    let off = 0;
    for (const m of prepared) {
      const n = encodeMessage(m, { buf: bytes, view }, off, this.protocol);
      if (m.raw) {
        view.setUint16(off + 6, m.flags, true);
        view.setUint32(off + 8, 0, true);
        view.setUint32(off + 12, 0, true);
      }
      off += align4(n);
    }
    return { bytes, ends };
  }

  /** Sends the batch's next chunks while slots are free. */
  #batchContinue(batch: Batch): void {
    // ACKs of one chunk must fit the receive buffer together (about half of it, as others
    // may be using it too).
    const ackRoom = Math.max(1, Math.floor(this.rcvbuf / 2 / (batch.ack ? ACK_COST : REPLY_COST)));
    const count = batch.count;
    while (!batch.done && batch.next < count) {
      const start = batch.next;
      const from = batch.start(start);
      let end = start + 1;
      while (end < count && end - start < ackRoom && end - start < this.#maxInFlight
        && batch.end(end) - from <= MAX_SEND_BYTES) end++;
      batch.next = end;
      let ran = false;
      let inline = true;
      this.#acquire(end - start, batch, () => {
        ran = true;
        batch.waiter = undefined;
        if (batch.done) {
          this.#release(end - start);
          return;
        }
        this.#batchSend(batch, start, end);
        // Resumed by a release, later: carry on with the following chunks from here.
        if (!inline) this.#batchContinue(batch);
      });
      inline = false;
      if (!ran) return;
    }
  }

  #batchSend(batch: Batch, start: number, end: number): void {
    if (this.#closed) return;
    this.#flush();
    const bytes = batch.bytes;
    const from = batch.start(start);
    const to = batch.end(end - 1);
    const count = end - start;
    const base = this.#seqRun(count);
    const port = this.portId;
    for (let i = 0; i < count; i++) {
      const o = batch.start(start + i);
      setU16he(bytes, o + 6, u16he(bytes, o + 6) | NLM_F_REQUEST | (batch.ack ? NLM_F_ACK : 0));
      const seq = (base + i) >>> 0;
      setU32he(bytes, o + 8, seq);
      setU32he(bytes, o + 12, port);
      this.#inflight.set(seq, batch);
    }
    this.#requestsWaiting += count;
    const chunk: BatchChunk = { base, start, count, remaining: count, timer: undefined };
    batch.chunks.push(chunk);
    this.#ensurePolling();
    const r = this.#binding.send(this.#fd, bytes, from, to - from, 0, 0);
    if (r < 0) {
      this.#failBatch(batch, new SyscallError('sendmsg', r, batch.opts.what ?? `batch of ${batch.count}`));
      return;
    }
    this.stats.sent++;
    this.#tap?.('>', bytes.slice(from, to));
    // One timer for the chunk: its requests share the timeout.
    const t = batch.timeout;
    if (t !== 0 && t !== Infinity) {
      chunk.timer = setTimeout(() => this.#onBatchTimer(batch, chunk), t);
      chunk.timer.unref?.();
    }
    // The kernel has answered the whole chunk by now: read the ACKs before the next send
    // (they are dispatched on the next turn of the event loop).
    this.#readAhead();
  }

  /** `n` consecutive sequence numbers, none 0 or in flight; the first of them. */
  #seqRun(n: number): number {
    for (;;) {
      const base = (this.#seq + 1) >>> 0 || 1;
      let i = 0;
      for (; i < n; i++) {
        const seq = (base + i) >>> 0;
        if (seq === 0 || this.#inflight.has(seq)) break;
      }
      if (i === n) {
        this.#seq = (base + n - 1) >>> 0;
        return base;
      }
      this.#seq = (base + i) >>> 0;
    }
  }

  /** How a batch member is named in errors: `route add (3 routes) [2]`. */
  #batchInfo(batch: Batch, index: number, seq: number): RequestInfo {
    const info: RequestInfo = { type: typeName(u16he(batch.bytes, batch.start(index) + 4), this.protocol), seq };
    if (batch.opts.what !== undefined) info.what = `${batch.opts.what} [${index}]`;
    return info;
  }

  /** A batch member's reply (the ACK, an error, or a message before the ACK). */
  #batchMessage(batch: Batch, m: NlMsg): void {
    const seq = m.seq;
    const c = batch.chunkOf(seq);
    if (!c) {
      this.stats.unmatched++;
      return;
    }
    const index = c.start + ((seq - c.base) >>> 0);
    if (m.type === NLMSG_ERROR || m.type === NLMSG_DONE) {
      if (m.errno === undefined || m.errno === 0) {
        this.#batchDone(batch, c, seq, index, undefined);
        return;
      }
      const error = errorOf(m, this.#batchInfo(batch, index, seq),
        (offs) => attributeAt(batch.bytes, batch.start(index), batch.end(index), offs, this.protocol));
      this.#batchDone(batch, c, seq, index, { ok: false, error });
    } else if (m.type !== NLMSG_NOOP && m.type !== NLMSG_OVERRUN) this.#batchReply(batch, c, seq, index, m, m.flags);
  }

  /** A data reply of batch member `index` (decoded, or bytes with `raw`). */
  #batchReply(batch: Batch, c: BatchChunk, seq: number, index: number, reply: NlMsg | Uint8Array, flags: number): void {
    const last = !batch.ack && !(flags & NLM_F_MULTI);
    const earlier = batch.replies?.get(index);
    if (last && !earlier) {
      // The one reply that ends the message (a get's answer): no list kept in between.
      this.#batchDone(batch, c, seq, index, { ok: true, replies: [reply as NlMsg] });
      return;
    }
    if (earlier) earlier.push(reply);
    else (batch.replies ??= new Map()).set(index, [reply]);
    if (last) this.#batchDone(batch, c, seq, index, undefined);
  }

  /** Records the result of message `index` (undefined: ACKed), ending its chunk and the batch in turn. */
  #batchDone(batch: Batch, c: BatchChunk, seq: number, index: number, result: BatchResult | undefined): void {
    if (this.#inflight.get(seq) !== batch) return;
    this.#inflight.delete(seq);
    this.#requestsWaiting--;
    if (result === undefined) {
      const replies = batch.replies?.get(index) as NlMsg[] | undefined;
      if (replies) batch.replies!.delete(index);
      result = replies ? { ok: true, replies } : BATCH_OK;
    }
    batch.results[index] = result;
    if (--c.remaining === 0) {
      if (c.timer !== undefined) clearTimeout(c.timer);
      batch.chunks.splice(batch.chunks.indexOf(c), 1);
      this.#release(c.count);
    }
    if (--batch.remaining === 0 && !batch.done) {
      this.#endBatch(batch);
      batch.resolve(batch.results);
    }
    if (this.#requestsWaiting === 0) this.#updatePolling();
  }

  #onBatchTimer(batch: Batch, c: BatchChunk): void {
    c.timer = undefined;
    if (batch.done || c.remaining === 0) return;
    // Read what the kernel has already answered before calling the batch late.
    if (!this.#closed) this.#drain(false);
    if (batch.done || c.remaining === 0) return;
    let i = 0;
    while (i < c.count && this.#inflight.get((c.base + i) >>> 0) !== batch) i++;
    const info = this.#batchInfo(batch, c.start + i, (c.base + i) >>> 0);
    this.#failBatch(batch, new TimeoutError(`${label(info)}: no reply within ${batch.timeout} ms`, info));
  }

  #failBatch(batch: Batch, err: Error): void {
    if (batch.done) return;
    this.#endBatch(batch);
    for (const c of batch.chunks) {
      if (c.timer !== undefined) clearTimeout(c.timer);
      for (let i = 0; i < c.count; i++) {
        const seq = (c.base + i) >>> 0;
        if (this.#inflight.get(seq) !== batch) continue;
        this.#inflight.delete(seq);
        this.#requestsWaiting--;
      }
      this.#release(c.count);
    }
    batch.chunks.length = 0;
    batch.reject(err);
    this.#updatePolling();
  }

  #endBatch(batch: Batch): void {
    batch.done = true;
    this.#batches.delete(batch);
    if (batch.waiter) batch.waiter.cancelled = true;
    if (batch.abortListener && batch.opts.signal) batch.opts.signal.removeEventListener('abort', batch.abortListener);
  }

  // ---- subscriptions -----------------------------------------------------------------

  #leave(g: number): void {
    const n = (this.#memberships.get(g) ?? 1) - 1;
    if (n > 0) {
      this.#memberships.set(g, n);
      return;
    }
    this.#memberships.delete(g);
    const boundToIt = g <= 32 && (this.#bindGroups & (1 << (g - 1))) !== 0;
    if (!this.#closed && !boundToIt) {
      this.#binding.setsockopt(this.#fd, this.#binding.constants.SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, g);
    }
  }

  // ---- reading -----------------------------------------------------------------------

  /** Whether anything needs the socket read now. */
  #wantRead(): boolean {
    if (this.#requestsWaiting > 0) return true;
    const d = this.#dumpActive;
    if (d?.sent && !d.done) return !d.congested() || this.#dumpQueue.length > 0;
    return this.#subs.size > 0;
  }

  /**
   * How many datagrams the next read may take: all the slots, but while only a streamed
   * dump is read, no more than its consumer may still fall behind (DUMP_HIGH_WATER).
   */
  #readMax(): number {
    const d = this.#dumpActive;
    if (this.#subs.size === 0 && (!d || (d.mode === 'stream' && this.#dumpQueue.length === 0))) {
      // Nothing comes unasked: no more slots than datagrams can come (a request's answer,
      // and its ACK if it asked for one; a batch member's one; a streamed dump's consumer
      // no more than DUMP_HIGH_WATER behind), so that a request awaited at a time does not
      // have recvmmsg(2) set up 16 slots, or try a second (0.2-0.4 µs a get).
      if (!d) return Math.min(this.#slots, Math.max(1, this.#requestsWaiting + this.#acksWaiting));
      if (this.#requestsWaiting === 0) return Math.min(this.#slots, Math.max(1, DUMP_HIGH_WATER - d.chunks.length));
    }
    return this.#slots;
  }

  /**
   * Whether the next read may run on a pool thread: a streamed dump is all the socket waits
   * for (no request, batch, subscription or datagram read ahead); how many it may read is
   * #readAsync's (DUMP_HIGH_WATER). The kernel makes a dump inside the reads: on a thread
   * of its own that work runs beside the consumer's decoding, on the other core.
   */
  #asyncEligible(): boolean {
    const d = this.#dumpActive;
    return d !== undefined && d.mode === 'stream' && d.sent && !d.done && !d.kernelDone
      && this.#requestsWaiting === 0 && this.#subs.size === 0 && this.#batches.size === 0
      && this.#pending.length === 0 && this.#pendingOverrun === undefined && this.#sOff === 0;
  }

  /**
   * Starts a read on a pool thread if eligible; true when one is in flight. `undispatched`
   * datagrams read but not handed to the consumer yet count against DUMP_HIGH_WATER, which
   * bounds what a slow consumer can leave buffered.
   */
  #readAsync(undispatched = 0): boolean {
    if (this.#asyncReading) return true;
    if (this.#closed || this.#draining || !this.#asyncEligible()) return false;
    const room = DUMP_HIGH_WATER - this.#dumpActive!.chunks.length - undispatched;
    if (room < 1) return false;
    const k = this.#asyncIdx;
    const slot = this.#slot;
    const max = Math.min(ASYNC_READ_DATAGRAMS, this.#slots, room);
    let buf = this.#asyncBufs[k];
    if (!buf || buf.length < slot * max) buf = this.#asyncBufs[k] = new Uint8Array(slot * max);
    if (this.#polling) {
      this.#binding.pollStop(this.#fd);
      this.#polling = false;
    }
    const r = this.#binding.recvManyAsync(this.#fd, buf, slot, max, this.#recvFlags, this.#asyncMetas[k]!, this.#onAsyncRead);
    if (r < 0) return false;
    this.#asyncReading = true;
    this.#asyncSlots[k] = slot;
    return true;
  }

  readonly #onAsyncRead = (n: number): void => {
    this.#asyncReading = false;
    if (this.#closed) return;
    if (n > 0) {
      const k = this.#asyncIdx;
      const buf = this.#asyncBufs[k]!;
      const slot = this.#asyncSlots[k]!;
      const meta = this.#asyncMetas[k]!;
      // The next read first, into the other buffer: the kernel makes the next parts while
      // this thread dispatches these (it stops at once with EAGAIN if the dump is over).
      this.#asyncIdx = k ^ 1;
      this.#readAsync(n);
      this.#draining = true;
      try {
        this.#dispatchSlots(buf, slot, meta, n);
      } finally {
        this.#draining = false;
      }
    } else if (n !== this.#eagain) {
      if (n === this.#enobufs) this.#drain(true);
      else this.#fatal(new SyscallError('recvmsg', n));
      return;
    }
    if (this.#closed || this.#asyncReading || this.#readAsync()) return;
    // Something else waits now (or the dump is over): read the usual way.
    this.#drain(false);
    this.#updatePolling();
  };

  #ensurePolling(): void {
    // While a pool thread reads, a level-triggered poll would report the socket readable
    // on every turn of the loop for nothing: its completion polls again if need be.
    if (this.#polling || this.#closed || this.#asyncReading) return;
    const r = this.#binding.poll(this.#fd, this.#onReadable);
    if (r < 0) {
      this.#fatal(new SyscallError('poll', r));
      return;
    }
    this.#polling = true;
  }

  #updatePolling(): void {
    if (this.#closed) return;
    if (this.#wantRead()) {
      this.#ensurePolling();
      return;
    }
    if (!this.#polling || this.#stopScheduled) return;
    // Stop one turn of the event loop later: a caller that awaits one request and sends
    // the next (in the same microtask run) keeps the poll registered.
    this.#stopScheduled = true;
    setImmediate(() => {
      this.#stopScheduled = false;
      if (this.#closed || !this.#polling || this.#wantRead()) return;
      this.#binding.pollStop(this.#fd);
      this.#polling = false;
    });
  }

  readonly #onReadable = (status: number): void => {
    if (this.#closed) return;
    if (status === 0) this.#drain(false);
    else if (status === this.#enobufs) this.#drain(true);
    else this.#fatal(new SyscallError('poll', status));
  };

  /**
   * Reads until EAGAIN, or until nothing waits any more (which saves the final EAGAIN
   * recv after the last reply), and dispatches every datagram.
   */
  #drain(overrun: boolean): void {
    // A read on a pool thread is in flight: its completion dispatches, and reads on.
    if (this.#draining || this.#asyncReading) return;
    if (!overrun && this.#readAsync()) return;
    this.#draining = true;
    let reachedEnd = false;
    try {
      this.#dispatchPending();
      while (!this.#closed && this.#wantRead()) {
        // Read ahead by a send made while dispatching: those come before anything newer.
        if (this.#pending.length > 0) {
          this.#dispatchPending();
          continue;
        }
        const rbuf = this.#rbuf ??= new Uint8Array(this.#slot * this.#slots);
        const slot = this.#slot;
        const meta = this.#meta;
        const n = this.#binding.recvMany(this.#fd, rbuf, slot, this.#readMax(), this.#recvFlags, meta);
        if (n > 0) this.#dispatchSlots(rbuf, slot, meta, n);
        else if (n === this.#eagain) {
          reachedEnd = true;
          break;
        } else if (n === this.#enobufs) overrun = true;
        else {
          this.#fatal(new SyscallError('recvmsg', n));
          return;
        }
      }
    } finally {
      this.#draining = false;
    }
    // Replies queued for requests no longer waiting have all been read (or were dropped).
    if (reachedEnd || this.#requestsWaiting === 0) this.#unread = 0;
    if (overrun && !this.#closed) this.#onOverrun(reachedEnd);
    this.#updatePolling();
  }

  #onOverrun(readToEnd: boolean, victims: Array<Op | Batch> = [...new Set(this.#inflight.values())]): void {
    this.stats.overruns++;
    for (const s of this.#subs) s.push({ type: 'overrun' });
    if (!readToEnd) return;
    // Everything queued has been read; the kernel answered these inside sendmsg, so their
    // replies were among the datagrams it dropped.
    for (const op of victims) {
      if (op.done) continue;
      if (op instanceof Batch) {
        this.#failBatch(op, new SyscallError('recvmsg', this.#enobufs,
          `${op.opts.what ?? 'batch'}: the kernel dropped a reply (receive buffer overrun)`));
        continue;
      }
      if (op.kind !== 'request') continue;
      this.#fail(op, new SyscallError('recvmsg', this.#enobufs,
        `${label(op.info)}: the kernel dropped the reply (receive buffer overrun)`));
    }
  }

  #fatal(err: SyscallError): void {
    this.#shutDown(() => err, () => err);
  }

  /**
   * Reads what the kernel has queued, up to EAGAIN, without dispatching it: the send path
   * calls this, and the datagrams are handled on the next turn of the event loop (or by the
   * next drain, whichever comes first; order is kept).
   */
  #readAhead(): void {
    // Also while dispatching: a batch resumed from a dispatch sends its next chunk there,
    // and its ACKs must leave the receive buffer before the chunk after it (else ENOBUFS).
    // (Not while a pool thread reads: it is emptying the buffer, and reads on after.)
    if (this.#closed || this.#asyncReading) return;
    for (;;) {
      const abuf = this.#abuf ??= new Uint8Array(this.#slot * this.#slots);
      const slot = this.#slot;
      const meta = this.#meta;
      const n = this.#binding.recvMany(this.#fd, abuf, slot, this.#slots, this.#recvFlags, meta);
      if (n > 0) {
        for (let i = 0; i < n; i++) {
          const len = meta[4 * i]!;
          const at = i * slot;
          this.#pending.push({ bytes: this.#copy(abuf, at, at + Math.min(len, slot)), n: len, sender: meta[4 * i + 1]!, groups: meta[4 * i + 2]! });
        }
      } else if (n === this.#eagain) {
        this.#unread = 0;
        if (this.#pendingOverrun) this.#pendingOverrun = [...new Set(this.#inflight.values())];
        break;
      } else if (n === this.#enobufs) this.#pendingOverrun = [];
      else {
        this.#fatal(new SyscallError('recvmsg', n));
        return;
      }
    }
    if (!this.#pendingScheduled && (this.#pending.length > 0 || this.#pendingOverrun !== undefined)) {
      this.#pendingScheduled = true;
      setImmediate(() => {
        this.#pendingScheduled = false;
        if (this.#closed || this.#draining) return;
        this.#draining = true;
        try {
          this.#dispatchPending();
        } finally {
          this.#draining = false;
        }
        this.#updatePolling();
      });
    }
  }

  /** Dispatches the datagrams {@link #readAhead} read, in order. */
  #dispatchPending(): void {
    if (this.#pending.length === 0 && this.#pendingOverrun === undefined) return;
    // Dispatching may send (a batch's next chunk) and read ahead again: until none is left.
    while (this.#pending.length > 0) {
      const list = this.#pending;
      this.#pending = [];
      for (const d of list) {
        if (this.#closed) return;
        // Already a copy of its own: raw consumers get views of it, not another copy.
        this.#ownedInput = true;
        try {
          this.#onDatagram(d.bytes, d.n, d.sender, d.groups);
        } finally {
          this.#ownedInput = false;
        }
      }
    }
    const victims = this.#pendingOverrun;
    if (victims) {
      this.#pendingOverrun = undefined;
      // Read to EAGAIN after the overrun: the requests then in flight lost their replies.
      this.#onOverrun(true, victims);
    }
  }

  /** The `n` datagrams a recvMany read into slots of `buf` (their lengths and senders in `meta`). */
  #dispatchSlots(buf: Uint8Array, slot: number, meta: Uint32Array, n: number): void {
    for (let i = 0; i < n && !this.#closed; i++) {
      const len = meta[4 * i]!;
      const at = i * slot;
      this.#onDatagram(buf.subarray(at, at + Math.min(len, slot)), len, meta[4 * i + 1]!, meta[4 * i + 2]!);
    }
  }

  #onDatagram(bytes: Uint8Array, n: number, sender: number, groups: number): void {
    this.stats.received++;
    const id = ++this.#datagramId;
    this.#tap?.('<', bytes.slice());
    if (sender !== 0) {
      this.stats.spoofed++;
      return;
    }
    if (n > bytes.length) {
      this.#onTruncated(bytes, n, groups);
      return;
    }
    if (groups !== 0) this.#onMulticast(bytes, groups);
    else this.#onUnicast(bytes, id);
  }

  /**
   * A datagram longer than the receive buffer: recv(MSG_TRUNC) reported its real length
   * but the rest of it is gone. Grow the buffer for the next, and fail what it answered.
   */
  #onTruncated(bytes: Uint8Array, n: number, groups: number): void {
    this.stats.truncated++;
    const old = bytes.length;
    let size = Math.max(old, this.#slot);
    while (size < n) size *= 2;
    if (size > this.#slot) {
      // Larger slots, fewer of them: a read takes about as much memory as before.
      this.#slot = size;
      this.#slots = Math.max(1, Math.floor(RECV_SLOTS * RECV_BUFFER_BYTES / size));
      this.#rbuf = undefined;
      this.#abuf = undefined;
    }
    if (groups !== 0) {
      for (const s of this.#subs) if (s.wants(groups)) s.push({ type: 'overrun' });
      return;
    }
    const op = bytes.length >= NLMSG_HDRLEN ? this.#owner(bytes, 0) : undefined;
    if (!op) {
      this.stats.malformed++;
      return;
    }
    const err = new SyscallError('recvmsg', -EMSGSIZE,
      `${op instanceof Batch ? op.opts.what ?? 'batch' : label(op.info)}: a ${n}-byte reply did not fit the ${old}-byte receive buffer (now ${size} bytes); retry`);
    if (op instanceof Batch) this.#failBatch(op, err);
    else if (op instanceof DumpOp) this.#failDump(op, err);
    else this.#fail(op, err);
  }

  /** The request in flight that the message at `o` answers, by its seq and pid. */
  #owner(bytes: Uint8Array, o: number): Op | Batch | undefined {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const op = this.#inflight.get(v.getUint32(o + 8, true));
    return op && v.getUint32(o + 12, true) === this.portId ? op : undefined;
  }

  #onUnicast(bytes: Uint8Array, id: number): void {
    // A plain ACK (NLMSG_ERROR, error 0, the request's header echoed, no ext-ack TLVs) is
    // most of what a bulk change reads back: settle its request from the header alone.
    if (bytes.length === ACK_BYTES && u32he(bytes, 0) === ACK_BYTES && u16he(bytes, 4) === NLMSG_ERROR
      && u32he(bytes, 16) === 0) {
      const seq = u32he(bytes, 8);
      const op = this.#inflight.get(seq);
      if (op !== undefined && u32he(bytes, 12) === this.portId) {
        if (op instanceof Batch) {
          const c = op.chunkOf(seq);
          if (c) {
            this.#batchDone(op, c, seq, c.start + ((seq - c.base) >>> 0), undefined);
            return;
          }
        } else if (op.kind === 'request') {
          this.#ok(op as RequestOp);
          return;
        }
      }
    }
    if (bytes.length >= NLMSG_HDRLEN) {
      const op = this.#inflight.get(u32he(bytes, 8));
      if (op !== undefined && op.raw && u32he(bytes, 12) === this.portId) {
        this.#onRaw(bytes, id);
        return;
      }
    }
    this.#decodeAndDispatch(bytes, id);
  }

  #decodeAndDispatch(bytes: Uint8Array, id: number): void {
    let dg: Datagram;
    try {
      dg = decodeDatagram(bytes, this.protocol);
    } catch (err) {
      this.#onMalformed(bytes, err, id);
      return;
    }
    for (const m of dg.messages) this.#dispatch(m, id);
  }

  /**
   * A datagram whose first message belongs to a raw consumer: message by message, the data
   * messages of raw ops and batches go over as bytes (consecutive ones of one op as one
   * run), everything else (DONE, ERROR, other requests' messages) is decoded and dispatched
   * on its own; from a header that does not add up, the rest is decoded as usual.
   */
  #onRaw(bytes: Uint8Array, id: number): void {
    const n = bytes.length;
    const port = this.portId;
    let o = 0;
    let runOp: Op | undefined;
    let runStart = 0;
    while (n - o >= NLMSG_HDRLEN && !this.#closed) {
      const len = u32he(bytes, o);
      if (len < NLMSG_HDRLEN || len > n - o) break;
      const next = Math.min(n, o + align4(len));
      const seq = u32he(bytes, o + 8);
      const flags = u16he(bytes, o + 6);
      const owner = u32he(bytes, o + 12) === port ? this.#inflight.get(seq) : undefined;
      if (owner === undefined || !owner.raw || u16he(bytes, o + 4) < NLMSG_MIN_TYPE) {
        if (runOp) this.#rawRun(runOp, bytes, runStart, o, false);
        runOp = undefined;
        this.#decodeAndDispatch(o === 0 && next === n ? bytes : bytes.subarray(o, next), id);
      } else if (owner instanceof Batch) {
        if (runOp) this.#rawRun(runOp, bytes, runStart, o, false);
        runOp = undefined;
        const c = owner.chunkOf(seq);
        if (c) this.#batchReply(owner, c, seq, c.start + ((seq - c.base) >>> 0), this.#handOver(bytes, o, next), flags);
        else this.stats.unmatched++;
      } else {
        if (owner.kind === 'dump') this.#dumpActivity(owner as DumpOp, id);
        if (runOp !== owner) {
          if (runOp) this.#rawRun(runOp, bytes, runStart, o, false);
          runOp = owner;
          runStart = o;
        }
        if (flags & NLM_F_DUMP_INTR) {
          // The messages before it go over; taking the mark throws DumpInterruptedError.
          this.#rawRun(owner, bytes, runStart, o, true);
          runOp = undefined;
        } else if (owner.kind === 'request' && !(owner as RequestOp).ack && !(flags & NLM_F_MULTI)) {
          this.#rawRun(owner, bytes, runStart, next, false);
          runOp = undefined;
          this.#ok(owner as RequestOp);
        }
      }
      o = next;
    }
    if (runOp) this.#rawRun(runOp, bytes, runStart, o, false);
    if (o < n && !this.#closed) this.#decodeAndDispatch(bytes.subarray(o), id);
  }

  /** Hands bytes[start, end) (whole data messages, maybe none) to a raw op; `interrupted`: NLM_F_DUMP_INTR after them. */
  #rawRun(op: Op, bytes: Uint8Array, start: number, end: number, interrupted: boolean): void {
    if (op.done) return;
    if (op.kind === 'request') {
      if (start < end) (op as RequestOp).replies.push(this.#handOver(bytes, start, end) as unknown as NlMsg);
      return;
    }
    const d = op as DumpOp;
    if (d.mode === 'stream') {
      const chunk: Array<Uint8Array | typeof INTERRUPTED> = start < end ? [this.#handOver(bytes, start, end)] : [];
      if (interrupted) chunk.push(INTERRUPTED);
      if (chunk.length === 0) return;
      d.chunks.push(chunk);
      d.wake();
    } else if (interrupted) d.interrupted = true;
  }

  /** bytes[start, end) for a raw consumer to keep: a view when the datagram is a copy already. */
  #handOver(bytes: Uint8Array, start: number, end: number): Uint8Array {
    return this.#ownedInput ? bytes.subarray(start, end) : this.#copy(bytes, start, end);
  }

  /** A copy of bytes[start, end): in the current arena block when short (see ARENA_BYTES). */
  #copy(bytes: Uint8Array, start: number, end: number): Uint8Array {
    const n = end - start;
    if (n > ARENA_BYTES / 4) return bytes.slice(start, end);
    let off = this.#arenaOff;
    if (off + n > this.#arena.length) {
      this.#arena = new Uint8Array(ARENA_BYTES);
      off = 0;
    }
    const a = this.#arena;
    if (n <= 128) for (let i = 0; i < n; i++) a[off + i] = bytes[start + i]!;
    else a.set(bytes.subarray(start, end), off);
    this.#arenaOff = off + ((n + 7) & ~7);
    return a.subarray(off, off + n);
  }

  /** A dump's clock of activity (its timeout counts from the last datagram read), once per datagram. */
  #dumpActivity(op: DumpOp, datagram: number): void {
    if (op.activityDatagram !== datagram) {
      op.activityDatagram = datagram;
      op.lastActivity = Date.now();
    }
  }

  #dispatch(m: NlMsg, id: number): void {
    const op = this.#inflight.get(m.seq);
    if (!op || m.pid !== this.portId) {
      this.stats.unmatched++;
      return;
    }
    if (op instanceof Batch) {
      this.#batchMessage(op, m);
      return;
    }
    if (op instanceof DumpOp) {
      this.#onDumpMessage(op, m, id);
      return;
    }
    const r = op as RequestOp;
    if (m.type === NLMSG_ERROR) {
      if (m.errno === 0) this.#ok(r);
      else this.#fail(r, netlinkError(m, r, this.protocol));
    } else if (m.type === NLMSG_DONE) {
      if (m.errno !== undefined && m.errno !== 0) this.#fail(r, netlinkError(m, r, this.protocol));
      else this.#ok(r);
    } else if (m.type !== NLMSG_NOOP && m.type !== NLMSG_OVERRUN) {
      r.replies.push(m);
      if (!r.ack && !(m.flags & NLM_F_MULTI)) this.#ok(r);
    }
  }

  /**
   * A kernel datagram that does not decode. The messages before the fault are dispatched;
   * an NLMSG_ERROR or NLMSG_DONE is decoded without the protocol (its errno matters more
   * than the echoed request); the request a faulty reply answers rejects with the
   * DecodeError; the messages after it are decoded on their own.
   */
  #onMalformed(bytes: Uint8Array, err: unknown, id: number): void {
    const e = err instanceof DecodeError ? err : new DecodeError(String(err), 0, 'datagram');
    const partial = (err as { partial?: Datagram }).partial?.messages ?? [];
    for (const m of partial) this.#dispatch(m, id);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let o = 0;
    for (let i = 0; i < partial.length && bytes.length - o >= NLMSG_HDRLEN; i++) o += align4(v.getUint32(o, true));
    if (bytes.length - o < NLMSG_HDRLEN) {
      this.stats.malformed++;
      return;
    }
    const len = v.getUint32(o, true);
    const type = v.getUint16(o + 4, true);
    const whole = len >= NLMSG_HDRLEN && len <= bytes.length - o;
    let handled = false;
    if (whole && (type === NLMSG_ERROR || type === NLMSG_DONE)) {
      try {
        for (const m of decodeDatagram(bytes.subarray(o, o + len)).messages) this.#dispatch(m, id);
        handled = true;
      } catch {
        // Not even the header of the control message decodes: fall through.
      }
    }
    if (!handled) {
      const op = this.#owner(bytes, o);
      if (!op) this.stats.malformed++;
      else if (op instanceof Batch) this.#failBatch(op, e);
      else if (op instanceof DumpOp) this.#failDump(op, e);
      else this.#fail(op, e);
    }
    if (whole && o + align4(len) < bytes.length) this.#onUnicast(bytes.subarray(o + align4(len)), id);
  }

  #onMulticast(bytes: Uint8Array, groups: number): void {
    let messages: NlMsg[];
    try {
      messages = decodeDatagram(bytes, this.protocol).messages;
    } catch (err) {
      this.stats.malformed++;
      messages = (err as { partial?: Datagram }).partial?.messages ?? [];
    }
    let delivered = false;
    for (const s of this.#subs) {
      if (!s.wants(groups)) continue;
      delivered = true;
      for (const msg of messages) s.push({ type: 'message', msg });
    }
    if (!delivered) this.stats.unmatched += messages.length;
  }
}
