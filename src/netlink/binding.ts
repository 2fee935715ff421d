/**
 * Loader for the native shim `nlsock` (src/netlink/native/nlsock.c).
 *
 * The shim is stateless "fd in, int out": every call returns an integer
 * >= 0 on success or -errno on failure, and throws only a TypeError for a
 * JavaScript argument of the wrong type. Everything else (sequence numbers,
 * multipart replies, retries, ENOBUFS recovery) lives in TypeScript.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Numbers the shim takes from the C headers of the machine it was built on.
 * Socket-level option numbers and errno values differ between architectures
 * (SOL_SOCKET is 0xffff on MIPS and SPARC), so use these rather than x86's.
 */
export interface NativeConstants {
  /** `MSG_PEEK` (sys/socket.h): leave the datagram queued. */
  readonly MSG_PEEK: number;
  /** `MSG_TRUNC`: `recv` returns the datagram's real length, even if longer than the buffer. */
  readonly MSG_TRUNC: number;
  /** `MSG_DONTWAIT`: the sockets are non-blocking already; provided for completeness. */
  readonly MSG_DONTWAIT: number;
  /** The most datagrams one `recvMany` call reads. */
  readonly RECV_MANY_MAX: number;
  /** `EAGAIN` (errno.h): nothing to read (returned negated). */
  readonly EAGAIN: number;
  /** `EINTR`: never returned, the shim retries interrupted calls. */
  readonly EINTR: number;
  /** `ENOBUFS`: the kernel dropped datagrams because the receive buffer was full. */
  readonly ENOBUFS: number;
  /** `EBADF`: not a descriptor opened (and not yet closed) by this binding. */
  readonly EBADF: number;
  /** `EFAULT`: `[offset, offset + length)` lies outside the buffer. */
  readonly EFAULT: number;
  /** `ENOMEM`: the shim could not allocate its bookkeeping. */
  readonly ENOMEM: number;
  /** `SOL_SOCKET`: level for the `SO_*` options. */
  readonly SOL_SOCKET: number;
  /** `SOL_NETLINK` (270): level for the `NETLINK_*` options of linux/netlink.h. */
  readonly SOL_NETLINK: number;
  /** `SO_RCVBUF`: the kernel stores (and reports) twice the value set. */
  readonly SO_RCVBUF: number;
  /** `SO_SNDBUF`: doubled like `SO_RCVBUF`. */
  readonly SO_SNDBUF: number;
  /** `SO_RCVBUFFORCE`: `SO_RCVBUF` past `net.core.rmem_max`; needs CAP_NET_ADMIN. */
  readonly SO_RCVBUFFORCE: number;
  /** `SO_SNDBUFFORCE`: `SO_SNDBUF` past `net.core.wmem_max`; needs CAP_NET_ADMIN. */
  readonly SO_SNDBUFFORCE: number;
  /** `SO_ERROR`: reads and clears the socket's pending error. */
  readonly SO_ERROR: number;
}

/**
 * The surface of the native shim. Every method returns an integer >= 0 on
 * success or a negative errno (`-constants.EAGAIN`, ...) on failure.
 *
 * A socket belongs to the Node environment (main thread or worker) that
 * opened it: `poll`, `pollStop` and `close` return `-EBADF` for any
 * descriptor this binding did not open or has already closed.
 */
export interface NativeBinding {
  /** ABI version of the compiled shim; {@link loadBinding} checks it. */
  readonly version: number;
  /** See {@link NativeConstants}. */
  readonly constants: NativeConstants;
  /**
   * `socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol)`.
   * With `netnsFd >= 0` (an open `/var/run/netns/NAME` or `/proc/PID/ns/net`),
   * the socket is created inside that network namespace: the calling thread
   * enters it with setns(2) and returns at once, so the rest of the process
   * stays where it was. Returns the fd.
   */
  open(protocol: number, netnsFd?: number): number;
  /**
   * bind(2) to `struct sockaddr_nl { nl_pid: pid, nl_groups: groups }`.
   * `groups` is the u32 bitmask of groups 1..32 (`1 << (group - 1)`); `pid` 0
   * (the default) lets the kernel assign the port id.
   */
  bind(fd: number, groups: number, pid?: number): number;
  /**
   * The socket's port id (`nl_pid` from getsockname(2)), as an unsigned u32:
   * 0 .. 2^32-1. Kernel-assigned ids above 2^31 are normal (autobind counts
   * down from 0xfffff000 once the process id is taken); only errors are
   * negative. 0 until the socket is bound or has sent something.
   */
  portId(fd: number): number;
  /** setsockopt(2) with an `int` value. Returns 0. */
  setsockopt(fd: number, level: number, name: number, value: number): number;
  /**
   * getsockopt(2) of an `int` option; returns its value. Only for options
   * that are never negative (buffer sizes, `SO_ERROR`, `NETLINK_*` flags):
   * a negative value could not be told from -errno.
   */
  getsockopt(fd: number, level: number, name: number): number;
  /**
   * sendto(2) of `buf[offset, offset + length)` to `{ nl_pid: destPid,
   * nl_groups: destGroups }` (both u32; 0, 0 is the kernel). Returns the
   * bytes sent; `-EFAULT` when the range lies outside `buf`.
   */
  send(fd: number, buf: Uint8Array, offset: number, length: number, destPid: number, destGroups: number): number;
  /**
   * recvfrom(2) into `buf[offset, offset + length)`. Returns the bytes
   * received, or with `MSG_TRUNC` in `flags` the datagram's real length,
   * which may exceed `length` (use `MSG_PEEK | MSG_TRUNC` to size a buffer);
   * without it a longer datagram is cut to `length` and the rest is lost.
   * On success `addrOut[0]` is the sender's `nl_pid` (0 for the kernel) and
   * `addrOut[1]` its `nl_groups` (the multicast group bit, 0 for unicast).
   * `-EAGAIN` when nothing is queued; `-ENOBUFS` once after an overrun.
   */
  recv(fd: number, buf: Uint8Array, offset: number, length: number, flags: number, addrOut: Uint32Array): number;
  /**
   * Up to `max` datagrams (at most `constants.RECV_MANY_MAX`) with one recvmmsg(2), the
   * i-th into `buf[i * slot, (i + 1) * slot)`; `metaOut[4 * i ..]` gets its length (the real
   * length with MSG_TRUNC in `flags`), sender port id, groups and msg_flags. Returns how
   * many were read, or -errno when none was (-EAGAIN: nothing queued); an error met after
   * the first datagram is reported by the next call. -EFAULT when `max` slots do not fit
   * `buf` or `metaOut` is too short.
   */
  recvMany(fd: number, buf: Uint8Array, slot: number, max: number, flags: number, metaOut: Uint32Array): number;
  /**
   * `recvMany` on a thread of libuv's pool, so that the kernel's work (a dump is produced
   * inside the reads) runs beside JavaScript: `onDone(count or -errno)` on the event loop
   * afterwards. `buf` and `metaOut` must not be touched until then. Returns 0, or -errno
   * when the read could not be queued. A `close` meanwhile takes effect when the read is
   * over, and `onDone` is then not called.
   */
  recvManyAsync(fd: number, buf: Uint8Array, slot: number, max: number, flags: number, metaOut: Uint32Array,
    onDone: (result: number) => void): number;
  /**
   * Watches `fd` on the Node event loop (libuv `uv_poll_t`, readable).
   * Calls `onReadable(0)` while the socket is readable (level-triggered:
   * read until `-EAGAIN`, or stop polling). On a socket error (the kernel
   * flags a receive overrun as POLLERR) it reads and clears `SO_ERROR`,
   * polls again and calls `onReadable(-ENOBUFS)` (or `-thatErrno`). Calling
   * it again replaces the callback. An active poll keeps the process alive.
   */
  poll(fd: number, onReadable: (status: number) => void): number;
  /** Stops the poll started by {@link NativeBinding.poll}; 0 if none was active. */
  pollStop(fd: number): number;
  /**
   * Stops and releases the poll handle if any, then close(2). Safe while
   * polling and from inside `onReadable`; a second call returns `-EBADF`.
   */
  close(fd: number): number;
}

/** The shim version this loader was written against (`NLSOCK_VERSION` in nlsock.c). */
export const NATIVE_VERSION = 3;

/**
 * The package root, where binding.gyp and build/ live: two directories above
 * this module, both as src/netlink/binding.ts and as dist/netlink/binding.js.
 */
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

let cached: NativeBinding | undefined;

/**
 * Loads the native shim with node-gyp-build (build/Release, build/Debug or
 * prebuilds/, whichever matches this Node), once; later calls return the
 * same object.
 *
 * @throws Error naming `npm install` and the underlying cause when the
 *   addon is missing, fails to load, or was built from another version.
 */
export function loadBinding(): NativeBinding {
  if (cached !== undefined) return cached;
  let binding: NativeBinding;
  try {
    const require = createRequire(import.meta.url);
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    binding = nodeGypBuild(packageRoot) as NativeBinding;
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      `nlwire: cannot load the native shim nlsock from ${packageRoot}; run \`npm install\` ` +
        `(it builds the shim with node-gyp) and try again. Cause: ${detail}`,
      { cause },
    );
  }
  if (binding.version !== NATIVE_VERSION) {
    throw new Error(
      `nlwire: the native shim nlsock in ${packageRoot} is version ${String(binding.version)}, ` +
        `expected ${NATIVE_VERSION}; run \`npm install\` to rebuild it.`,
    );
  }
  cached = binding;
  return binding;
}
