/**
 * Network namespace references for {@link NetlinkSocket.open}: a name given to
 * `ip netns add`, a path to a namespace file, or a process id.
 *
 * This module reads the file system (node:fs); the codec modules never import it.
 *
 * @module
 */
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { SyscallError } from './errors.js';

/** Where iproute2 bind-mounts named namespaces (`ip netns add NAME`). */
export const NETNS_RUN_DIR = '/var/run/netns';

/**
 * The namespace file a reference names:
 *
 * - a number: the network namespace of that process, `/proc/PID/ns/net`;
 * - a string containing `/`: a path, used as is (`/proc/self/ns/net`, a bind mount);
 * - any other string: a name from `ip netns add`, `/var/run/netns/NAME`.
 *
 * @throws TypeError for a pid that is not a positive integer, or a name that is
 *   empty, `.` or `..`.
 */
export function netnsPath(netns: string | number): string {
  if (typeof netns === 'number') {
    if (!Number.isSafeInteger(netns) || netns <= 0) {
      throw new TypeError(`netns: a process id must be a positive integer, got ${String(netns)}`);
    }
    return `/proc/${netns}/ns/net`;
  }
  if (typeof netns !== 'string') throw new TypeError(`netns: expected a name, a path or a pid, got ${typeof netns}`);
  if (netns.includes('/')) return netns;
  if (netns === '' || netns === '.' || netns === '..') {
    throw new TypeError(`netns: ${JSON.stringify(netns)} is not a namespace name`);
  }
  return `${NETNS_RUN_DIR}/${netns}`;
}

/**
 * Opens the namespace file of {@link netnsPath} read-only (what setns(2) needs) and
 * returns the descriptor (libuv opens every file close-on-exec); the caller closes it with {@link closeNetns} once the socket
 * exists (a socket stays in the namespace it was created in).
 *
 * @throws SyscallError (syscall `open`, with the path) when the file cannot be opened:
 *   ENOENT for an unknown name or a process that has exited, EACCES without permission.
 */
export function openNetns(netns: string | number): number {
  const path = netnsPath(netns);
  try {
    return openSync(path, fsConstants.O_RDONLY);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Node reports errno negated on Linux (-2 for ENOENT); SyscallError wants it negative.
    const errno = typeof e.errno === 'number' ? -Math.abs(e.errno) : -5;
    throw new SyscallError('open', errno, `netns ${path}`);
  }
}

/** Closes a descriptor returned by {@link openNetns}; never throws. */
export function closeNetns(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Nothing useful to do: the socket was created (or not) either way.
  }
}
