/**
 * The three error classes of nlwire, told apart by `name`.
 *
 * - {@link DecodeError}: bytes that do not parse (a capture, a reply, a JSON document).
 * - {@link NetlinkError}: the kernel refused a request (NLMSG_ERROR with error < 0, or a
 *   failed dump's NLMSG_DONE).
 * - {@link SyscallError}: socket, bind, sendmsg or recvmsg failed.
 *
 * Decoders throw nothing but DecodeError: no RangeError from a DataView, no TypeError.
 */
import { errnoName } from './errno.js';

/** Bytes that could not be decoded: where (path and byte offset) and why. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  /** What is wrong, without the location. */
  readonly detail: string;
  /** Byte offset of the fault, from the start of the decoded buffer or datagram. */
  readonly offset: number;
  /** Where in the message: `RTM_NEWROUTE.RTA_METRICS.RTAX_MTU`. */
  readonly path: string;

  constructor(detail: string, offset: number, path = '') {
    super(`${path ? path + ' ' : ''}at byte ${offset}: ${detail}`);
    this.detail = detail;
    this.offset = offset;
    this.path = path;
  }
}

/** The extended ack (NLMSGERR_ATTR_*) that came with a kernel error. */
export interface ExtAckInfo {
  /** NLMSGERR_ATTR_MSG: the kernel's human-readable message. */
  msg?: string;
  /** NLMSGERR_ATTR_OFFS: byte offset into the request, from its nlmsghdr. */
  offset?: number;
  /** The kernel name of the attribute at `offset` (`RTA_PREFSRC`), when it could be mapped. */
  attribute?: string;
  /** NLMSGERR_ATTR_MISS_TYPE: the missing attribute's type. */
  missType?: number;
  /** NLMSGERR_ATTR_MISS_NEST: offset of the nest that lacks `missType`. */
  missNest?: number;
}

/** The request an error answers, for messages and for programs. */
export interface RequestInfo {
  /** Kernel name of the request type (`RTM_NEWROUTE`) or its number. */
  type: string;
  seq: number;
  /** What the request was in user terms (`route add 198.51.100.0/24`). */
  what?: string;
}

/** The kernel refused a request: NLMSG_ERROR with error < 0, or a failed dump's NLMSG_DONE. */
export class NetlinkError extends Error {
  override readonly name = 'NetlinkError';
  /** Negative, as on the wire: -17. */
  readonly errno: number;
  /** The errno's name: `EEXIST`. */
  readonly code: string;
  readonly extack?: ExtAckInfo;
  readonly request: RequestInfo;

  constructor(errno: number, request: RequestInfo, extack?: ExtAckInfo) {
    const code = errnoName(errno);
    let text = `${request.what ?? request.type}: ${code}`;
    if (extack?.msg) text += `: ${extack.msg}`;
    if (extack?.attribute) text += ` (${extack.attribute})`;
    super(text);
    this.errno = errno;
    this.code = code;
    if (extack) this.extack = extack;
    this.request = request;
  }
}

/** A system call on the netlink socket failed. */
export class SyscallError extends Error {
  override readonly name = 'SyscallError';
  /** Negative errno: -1 for EPERM. */
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;

  constructor(syscall: string, errno: number, context?: string) {
    const code = errnoName(errno);
    super(`${context ? context + ': ' : ''}${syscall}: ${code}`);
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}

/** A request got no answer in time, or was aborted, or its socket was closed. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  readonly request: RequestInfo;
  constructor(message: string, request: RequestInfo) {
    super(message);
    this.request = request;
  }
}

/** A value cannot be encoded: wrong type, out of range, unknown name. */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  /** Where in the message: `RTM_NEWROUTE.RTA_PREFSRC`. */
  readonly path: string;
  readonly detail: string;
  constructor(detail: string, path = '') {
    super(`${path ? path + ': ' : ''}${detail}`);
    this.detail = detail;
    this.path = path;
  }
}
