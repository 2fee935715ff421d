/**
 * Netlink datagrams out of strace logs.
 *
 * Reads logs written by
 *
 * ```sh
 * strace -f -e trace=%network -e write=all -e read=all -s 65535 -o LOG cmd ...
 * ```
 *
 * where the bytes of every send and receive follow the call as a hex dump:
 *
 * ```text
 * 3009  sendmsg(3, {msg_name=..., msg_iov=[{iov_base=[{nlmsg_len=36, ...}], iov_len=36}], ...}, 0) = 36
 *  * 36 bytes in buffer 0
 *  | 00000  24 00 00 00 1a 00 01 00  a8 e5 09 6b 00 00 00 00  $..........k.... |
 *  | 00010  02 20 00 00 00 00 00 00  00 10 00 00 08 00 01 00  . .............. |
 *  | 00020  7f 00 00 01                                       ....             |
 * ```
 *
 * and logs where the bytes are C strings in the arguments (`write(3, "\x24\x00...", 36)`,
 * `iov_base="\x24\x00..."`), which is how strace prints buffers it does not decode as
 * netlink (with `-xx`, or in its default escaping). When both are present the dump wins.
 *
 * Understood around the calls: `[pid N] ` and bare `N ` prefixes (`-f` to stderr or to a
 * file, with `-Y` comm names), `-t`/`-tt`/`-ttt`/`-r` timestamps, `-i` instruction pointers, `-T` times, `-yy`
 * fd annotations (`3<NETLINK:[ROUTE:3319]>`), `-X raw` / `-X verbose` constants,
 * `<unfinished ...>` / `<... recvmsg resumed>` pairs, signals and exits.
 *
 * Netlink sockets are found from `socket(AF_NETLINK, ..., PROTO) = FD`, per process; fds are
 * forgotten on `close`, reused by any call that returns a new fd, copied by `dup*`/`fcntl`,
 * inherited over `clone`/`fork` (shared with CLONE_FILES) and dropped by `execve` when
 * opened with SOCK_CLOEXEC, as far as those calls are in the trace. `-yy` annotations
 * override the table.
 *
 * Pure TypeScript: no Node APIs, so it runs in a browser. Work is linear in the input.
 */
import { DecodeError } from '../netlink/errors.js';

/** One netlink datagram found in an strace log. */
export interface StraceDatagram {
  /** `>` sent to the kernel (sendmsg, sendto, write...), `<` received from it. */
  direction: '>' | '<';
  /** The process (thread) id from the `[pid N]` / `N ` prefix, when the log has one. */
  pid?: number;
  fd: number;
  /** The netlink protocol of the socket: 0 NETLINK_ROUTE, 4 NETLINK_SOCK_DIAG...; -1 if unknown. */
  protocol: number;
  /** The system call: `sendmsg`, `recvmsg`, `sendto`, `write`... */
  syscall: string;
  bytes: Uint8Array;
  /** 1-based line of the syscall in the log (where it starts, for a split call). */
  line: number;
}

/** Options of {@link parseStrace}. */
export interface ParseStraceOptions {
  /**
   * A send or receive on a netlink socket whose bytes are not in the log (strace decoded the
   * message and there is no hex dump, or the string was cut by `-s`): `'throw'` (default)
   * raises DecodeError naming the line; `'skip'` leaves the datagram out.
   */
  missingBytes?: 'throw' | 'skip';
}

/** Netlink protocol numbers (linux/netlink.h) by their kernel names. */
const PROTOCOLS: ReadonlyArray<readonly [string, number]> = [
  ['NETLINK_ROUTE', 0],
  ['NETLINK_UNUSED', 1],
  ['NETLINK_USERSOCK', 2],
  ['NETLINK_FIREWALL', 3],
  ['NETLINK_SOCK_DIAG', 4],
  ['NETLINK_NFLOG', 5],
  ['NETLINK_XFRM', 6],
  ['NETLINK_SELINUX', 7],
  ['NETLINK_ISCSI', 8],
  ['NETLINK_AUDIT', 9],
  ['NETLINK_FIB_LOOKUP', 10],
  ['NETLINK_CONNECTOR', 11],
  ['NETLINK_NETFILTER', 12],
  ['NETLINK_IP6_FW', 13],
  ['NETLINK_DNRTMSG', 14],
  ['NETLINK_KOBJECT_UEVENT', 15],
  ['NETLINK_GENERIC', 16],
  ['NETLINK_SCSITRANSPORT', 18],
  ['NETLINK_ECRYPTFS', 19],
  ['NETLINK_RDMA', 20],
  ['NETLINK_CRYPTO', 21],
  ['NETLINK_SMC', 22],
];
const PROTOCOL_BY_NAME = new Map<string, number>([...PROTOCOLS, ['NETLINK_INET_DIAG', 4]]);
const PROTOCOL_NAME = new Map<number, string>(PROTOCOLS.map(([name, n]) => [n, name]));

/** The kernel name of a netlink protocol number (`NETLINK_ROUTE` for 0), if it has one. */
export function netlinkProtocolName(protocol: number): string | undefined {
  return PROTOCOL_NAME.get(protocol);
}

const AF_NETLINK = 16;
const SOCK_CLOEXEC = 0o2000000;
const CLONE_FILES = 0x400;
const MSG_PEEK = 0x2;
const MSG_TRUNC = 0x20;
const MSG_ERRQUEUE = 0x2000;
const MSG_FLAGS = new Map<string, number>([
  ['MSG_OOB', 0x1],
  ['MSG_PEEK', MSG_PEEK],
  ['MSG_DONTROUTE', 0x4],
  ['MSG_CTRUNC', 0x8],
  ['MSG_PROXY', 0x10],
  ['MSG_TRUNC', MSG_TRUNC],
  ['MSG_DONTWAIT', 0x40],
  ['MSG_EOR', 0x80],
  ['MSG_WAITALL', 0x100],
  ['MSG_FIN', 0x200],
  ['MSG_SYN', 0x400],
  ['MSG_CONFIRM', 0x800],
  ['MSG_RST', 0x1000],
  ['MSG_ERRQUEUE', MSG_ERRQUEUE],
  ['MSG_NOSIGNAL', 0x4000],
  ['MSG_MORE', 0x8000],
  ['MSG_WAITFORONE', 0x10000],
  ['MSG_BATCH', 0x40000],
  ['MSG_ZEROCOPY', 0x4000000],
  ['MSG_FASTOPEN', 0x20000000],
  ['MSG_CMSG_CLOEXEC', 0x40000000],
]);

/** Calls that carry one datagram (or, for *mmsg, several) to or from the socket. */
const SEND_CALLS = new Set(['sendmsg', 'sendto', 'send', 'write', 'writev', 'sendmmsg']);
const RECV_CALLS = new Set(['recvmsg', 'recvfrom', 'recv', 'read', 'readv', 'recvmmsg']);
/** Argument index of the flags, for the receive calls that have them. */
const RECV_FLAGS_ARG = new Map<string, number>([
  ['recvmsg', 2],
  ['recvfrom', 3],
  ['recv', 3],
  ['recvmmsg', 3],
]);
/** Calls that return a new fd which is not a netlink socket. */
const FD_CREATORS = new Set([
  'accept', 'accept4', 'open', 'openat', 'openat2', 'creat', 'open_by_handle_at',
  'epoll_create', 'epoll_create1', 'eventfd', 'eventfd2', 'signalfd', 'signalfd4',
  'timerfd_create', 'memfd_create', 'memfd_secret', 'inotify_init', 'inotify_init1',
  'fanotify_init', 'pidfd_open', 'pidfd_getfd', 'perf_event_open', 'userfaultfd',
  'io_uring_setup', 'fsopen', 'fsmount', 'fspick', 'open_tree', 'mq_open',
  'landlock_create_ruleset', 'bpf',
]);

interface FdInfo {
  protocol: number;
  cloexec: boolean;
}
type FdTable = Map<number, FdInfo>;

/** Growable byte buffer. */
class ByteBuilder {
  private buf = new Uint8Array(256);
  length = 0;
  push(b: number): void {
    if (this.length === this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = b;
  }
  append(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.push(bytes[i] as number);
  }
  take(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** One ` * N bytes in buffer K` section of a hex dump (or the whole dump of write/sendto). */
interface Segment {
  /** N of the header line; undefined for dumps without one (write, sendto, read...). */
  declared: number | undefined;
  buffer: number;
  data: ByteBuilder;
  lineNo: number;
  offset: number;
}

/** A completed system call, waiting for the hex dump lines that may follow it. */
interface Call {
  name: string;
  /** Where the call starts (the `<unfinished ...>` line for a split call). */
  lineNo: number;
  /** Where it completes (the `= ret` line), for errors. */
  endLineNo: number;
  endOffset: number;
  /** A send or receive on a netlink socket that produces datagrams. */
  keep: boolean;
  direction: '>' | '<';
  pid: number | undefined;
  fd: number;
  protocol: number;
  ret: number;
  /** The receive asked for MSG_TRUNC: the return value may exceed the bytes received. */
  truncOk: boolean;
  mmsg: boolean;
  /** Bytes printed as C strings in the arguments, or why there are none. */
  strings: Uint8Array | string;
  /** Dump sections; a new group starts when the buffer number goes back (sendmmsg/recvmmsg). */
  groups: Segment[][];
  seg: Segment | null;
}

interface Pending {
  head: string;
  lineNo: number;
}

/** `[pid N] ` or `N ` (with -Y: `[pid N<comm>] `, `N<comm> `), then -t/-r time, then -i address. */
const PREFIX_RE =
  /^ *(?:\[pid +(\d+)(?:<[^>]*>)?\] +|(\d+)(?:<[^>]*>)? +)?(?:(?:\d\d:\d\d:\d\d(?:\.\d+)?|\d+\.\d+) +)?(?:\[[0-9a-f]{8,16}\] +)?/;
const CALL_RE = /^([A-Za-z_][A-Za-z0-9_]*)\(/;
const RESUMED_RE = /^<\.\.\. ([A-Za-z_][A-Za-z0-9_]*) resumed>/;
const RET_RE = /^\s*=\s*(\?|-?\d+|0x[0-9a-fA-F]+)/;
const DUMP_HEADER_RE = /^ \* (\d+) bytes in buffer (\d+)\s*$/;
const DUMP_LINE_RE = /^ \| ([0-9a-fA-F]{5,16})  (.{50})(.{16}) \|\s*$/;
const UNFINISHED = '<unfinished ...>';
/** How many foreign lines may separate a cut call line from its end. */
const MAX_CONTINUATION_LINES = 8;

function parseNumber(s: string): number | undefined {
  if (/^-?\d+$/.test(s)) return Number.parseInt(s, 10);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return Number.parseInt(s.slice(2), 16);
  return undefined;
}

/** Removes `/* ... *\/` comments (as printed by `-X verbose`) and surrounding blanks. */
function stripComments(s: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const j = s.indexOf('/*', i);
    if (j < 0) break;
    const k = s.indexOf('*/', j + 2);
    if (k < 0) break;
    out += s.slice(i, j);
    i = k + 2;
  }
  return (out + s.slice(i)).trim();
}

/** A constant argument: a number, or a name. */
function parseConst(arg: string | undefined): number | string | undefined {
  if (arg === undefined) return undefined;
  const s = stripComments(arg);
  const n = parseNumber(s);
  return n ?? s;
}

/** `A|B|0x40` as a number; names not in `names` count as 0. */
function parseFlags(arg: string | undefined, names: ReadonlyMap<string, number>): number {
  if (arg === undefined) return 0;
  let v = 0;
  for (const part of stripComments(arg).split('|')) {
    const t = stripComments(part);
    const n = parseNumber(t) ?? names.get(t) ?? 0;
    v |= n;
  }
  return v;
}

/** The numbers in an `[a, b]` argument (socketpair, pipe). */
function parseFdPair(arg: string | undefined): number[] {
  if (arg === undefined) return [];
  const m = /^\[\s*([^\]]*)\]/.exec(arg.trim());
  if (!m) return [];
  const out: number[] = [];
  for (const part of (m[1] as string).split(',')) {
    const fd = parseFdArg(part);
    if (fd) out.push(fd.fd);
  }
  return out;
}

/** `3`, `0x3`, `3<NETLINK:[ROUTE:3319]>`. */
function parseFdArg(arg: string | undefined): { fd: number; annotation?: string } | undefined {
  if (arg === undefined) return undefined;
  const s = stripComments(arg);
  const m = /^(\d+|0x[0-9a-fA-F]+)(?:<(.*)>)?$/s.exec(s);
  if (!m) return undefined;
  const fd = parseNumber(m[1] as string);
  if (fd === undefined) return undefined;
  return m[2] === undefined ? { fd } : { fd, annotation: m[2] };
}

/**
 * What a `-yy` annotation says: a protocol number, -2 for "netlink, protocol not shown",
 * null for "not a netlink socket", undefined for "no information" (`socket:[inode]`).
 */
function annotationProtocol(annotation: string): number | null | undefined {
  const m = /^NETLINK:\[(?:([A-Za-z0-9_]+):)?[^\]]*\]$/.exec(annotation);
  if (m) {
    if (m[1] !== undefined) {
      const p = PROTOCOL_BY_NAME.get('NETLINK_' + m[1]) ?? PROTOCOL_BY_NAME.get(m[1]);
      if (p !== undefined) return p;
    }
    return -2;
  }
  if (/^socket:\[\d*\]$/.test(annotation)) return undefined;
  return null;
}

/**
 * Splits the arguments of a call whose `(` is just before `start`, skipping C strings and
 * comments. Returns the trimmed top-level arguments and the index after the closing `)`, or
 * undefined when the line ends first.
 */
function scanArgs(s: string, start: number): { args: string[]; end: number } | undefined {
  const args: string[] = [];
  let depth = 1;
  let argStart = start;
  const n = s.length;
  for (let i = start; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
      if (i >= n) return undefined;
    } else if (c === 0x2f /* / */ && s.charCodeAt(i + 1) === 0x2a /* * */) {
      const j = s.indexOf('*/', i + 2);
      if (j < 0) return undefined;
      i = j + 1;
    } else if (c === 0x28 || c === 0x5b || c === 0x7b) {
      depth++;
    } else if (c === 0x29 || c === 0x5d || c === 0x7d) {
      depth--;
      if (depth === 0) {
        const last = s.slice(argStart, i).trim();
        if (last !== '' || args.length > 0) args.push(last);
        return { args, end: i + 1 };
      }
    } else if (c === 0x2c /* , */ && depth === 1) {
      args.push(s.slice(argStart, i).trim());
      argStart = i + 1;
    }
  }
  return undefined;
}

/**
 * Decodes the C string strace printed at `s[start]` (a `"`): `\xHH`, octal, `\n`-style
 * escapes and printable ASCII. `truncated` when strace cut it (`"..."...`).
 */
function decodeCString(s: string, start: number): { bytes: Uint8Array; end: number; truncated: boolean } | string {
  const out = new ByteBuilder();
  const n = s.length;
  let i = start + 1;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      const truncated = s.startsWith('...', i + 1);
      return { bytes: out.take(), end: i + 1, truncated };
    }
    if (c === 0x5c) {
      const e = s[i + 1];
      if (e === 'x') {
        const hi = hexDigit(s.charCodeAt(i + 2));
        const lo = hexDigit(s.charCodeAt(i + 3));
        if (hi < 0 || lo < 0) return `bad \\x escape at column ${i + 1}`;
        out.push((hi << 4) | lo);
        i += 4;
        continue;
      }
      if (e !== undefined && e >= '0' && e <= '7') {
        let v = 0;
        let j = i + 1;
        while (j < i + 4 && j < n && s[j]! >= '0' && s[j]! <= '7') v = v * 8 + (s.charCodeAt(j++) - 0x30);
        if (v > 0xff) return `octal escape above \\377 at column ${i + 1}`;
        out.push(v);
        i = j;
        continue;
      }
      const simple = e === undefined ? undefined : SIMPLE_ESCAPES.get(e);
      if (simple === undefined) return `unknown escape \\${e ?? ''} at column ${i + 1}`;
      out.push(simple);
      i += 2;
      continue;
    }
    if (c < 0x20 || c > 0x7e) return `unescaped character U+${c.toString(16).padStart(4, '0')} in a string at column ${i + 1}`;
    out.push(c);
    i++;
  }
  return 'string not closed';
}

const SIMPLE_ESCAPES = new Map<string, number>([
  ['n', 0x0a], ['t', 0x09], ['r', 0x0d], ['v', 0x0b], ['f', 0x0c], ['a', 0x07], ['b', 0x08],
  ['e', 0x1b], ['\\', 0x5c], ['"', 0x22], ["'", 0x27], ['?', 0x3f],
]);

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const l = code | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Positions just after each `key` that sits outside strings and comments in `s`. */
function findKeys(s: string, key: string): number[] {
  const out: number[] = [];
  const n = s.length;
  const k0 = key.charCodeAt(0);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) {
      i++;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d === 0x5c) i += 2;
        else if (d === 0x22) break;
        else i++;
      }
    } else if (c === 0x2f && s.charCodeAt(i + 1) === 0x2a) {
      const j = s.indexOf('*/', i + 2);
      if (j < 0) break;
      i = j + 1;
    } else if (c === k0 && s.startsWith(key, i)) {
      out.push(i + key.length);
      i += key.length - 1;
    }
  }
  return out;
}

/** Bytes of the string at `s[pos]`, or why they are not there. */
function stringAt(s: string, pos: number, what: string): Uint8Array | string {
  if (s.charCodeAt(pos) !== 0x22) {
    if (s.startsWith('NULL', pos)) return new Uint8Array(0);
    return `strace printed the ${what} decoded or as an address, not as bytes`;
  }
  const r = decodeCString(s, pos);
  if (typeof r === 'string') return `malformed string: ${r}`;
  if (r.truncated) return `the ${what} string was cut short (strace -s too small)`;
  return r.bytes;
}

/** The bytes of an iovec array (`[{iov_base="...", iov_len=N}, ...]`) or why they are missing. */
function iovBytes(s: string, count: number | undefined): Uint8Array | string {
  const positions = findKeys(s, 'iov_base=');
  if (count !== undefined && positions.length < count) {
    return `strace printed ${positions.length} of ${count} iovecs`;
  }
  const out = new ByteBuilder();
  for (const pos of positions) {
    const r = stringAt(s, pos, 'iov_base');
    if (typeof r === 'string') return r;
    out.append(r);
  }
  return out.take();
}

/** Bytes printed in the arguments of a send/receive call, or why there are none. */
function argumentBytes(name: string, args: string[]): Uint8Array | string {
  const buf = args[1];
  if (buf === undefined) return 'no buffer argument';
  switch (name) {
    case 'sendmsg':
    case 'recvmsg': {
      const lens = findKeys(buf, 'msg_iovlen=');
      const count = lens.length > 0 ? parseNumber(/^\d+/.exec(buf.slice(lens[0]))?.[0] ?? '') : undefined;
      return iovBytes(buf, count);
    }
    case 'writev':
    case 'readv': {
      const count = parseConst(args[2]);
      return iovBytes(buf, typeof count === 'number' ? count : undefined);
    }
    case 'sendmmsg':
    case 'recvmmsg':
      return `${name} bytes are read from hex dumps only`;
    default:
      return stringAt(buf, 0, 'buffer');
  }
}

class Parser {
  private readonly out: StraceDatagram[] = [];
  /** fd tables by process key: the pid, or '' for lines without a pid. */
  private readonly tables = new Map<string, FdTable>();
  private readonly alive = new Set<number>();
  private readonly announced = new Set<number>();
  private originClaimed = false;
  private readonly pending = new Map<string, Pending>();
  private current: Call | null = null;
  /** A call line cut short by the program's own output, waiting for its continuation. */
  private dangling: { text: string; pid: number | undefined; key: string; lineNo: number; tries: number } | null = null;
  private lineNo = 0;
  private lineOffset = 0;

  constructor(
    private readonly text: string,
    private readonly opts: ParseStraceOptions,
  ) {}

  run(): StraceDatagram[] {
    const text = this.text;
    const n = text.length;
    let start = 0;
    while (start < n) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = n;
      let line = text.slice(start, end);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.lineNo++;
      this.lineOffset = start;
      this.line(line);
      start = end + 1;
    }
    this.finish();
    return this.out;
  }

  private fail(detail: string, lineNo = this.lineNo, offset = this.lineOffset): never {
    throw new DecodeError(detail, offset, `strace:line ${lineNo}`);
  }

  private line(line: string): void {
    if (line.startsWith(' * ') || line.startsWith(' | ')) {
      this.dumpLine(line);
      return;
    }
    if (line.startsWith(' > ')) return; // -k stack trace of the call above

    if (line.startsWith('strace: ')) {
      this.finish();
      this.dangling = null;
      const m = /^strace: Process (\d+) attached/.exec(line);
      if (m) this.announced.add(Number(m[1]));
      return;
    }
    const pm = PREFIX_RE.exec(line) as RegExpExecArray;
    const rest = line.slice(pm[0].length);
    const resumed = RESUMED_RE.exec(rest);
    const recognized = resumed !== null || rest.startsWith('+++ ') || rest.startsWith('--- ') || CALL_RE.test(rest);
    if (!recognized) {
      // Not strace's: the traced program's own output on a shared stderr. It may have cut a
      // call line in two (`sendmsg(3, {...}, 0RTNETLINK answers: ...` then `) = 36`), so it
      // is offered to a call left incomplete just before; it does not end a hex dump.
      const d = this.dangling;
      if (d) {
        d.text += line;
        if (this.callText(d.text, d.pid, d.key, d.lineNo) || ++d.tries >= MAX_CONTINUATION_LINES) this.dangling = null;
      }
      return;
    }
    this.finish();
    this.dangling = null;
    const pidText = pm[1] ?? pm[2];
    const pid = this.resolvePid(pidText === undefined ? undefined : Number(pidText));
    const key = pid === undefined ? '' : String(pid);

    if (rest.startsWith('+++ ')) {
      if (pid !== undefined && /^\+\+\+ (exited|killed)/.test(rest)) this.alive.delete(pid);
      this.pending.delete(key);
      return;
    }
    if (rest.startsWith('--- ')) return;

    if (resumed) {
      const p = this.pending.get(key);
      this.pending.delete(key);
      const name = resumed[1] as string;
      if (!p || !p.head.startsWith(name + '(')) {
        // Started before the log did (strace -p), or the start line is lost: nothing to
        // attribute it to, but its hex dump must still be read past.
        this.current = this.ignoredCall(name);
        return;
      }
      const text = p.head + rest.slice(resumed[0].length);
      if (!this.callText(text, pid, key, p.lineNo)) this.dangling = { text, pid, key, lineNo: p.lineNo, tries: 0 };
      return;
    }
    if (!this.callText(rest, pid, key, this.lineNo)) this.dangling = { text: rest, pid, key, lineNo: this.lineNo, tries: 0 };
  }

  /**
   * A call's text from its name on: parks it if `<unfinished ...>`, runs it if complete.
   * False when it is neither (cut by other output, `<detached ...>`, the end of the log).
   */
  private callText(text: string, pid: number | undefined, key: string, startLine: number): boolean {
    const trimmed = text.trimEnd();
    if (trimmed.endsWith(UNFINISHED)) {
      this.pending.set(key, { head: trimmed.slice(0, -UNFINISHED.length).trimEnd(), lineNo: startLine });
      return true;
    }
    return this.call(text, pid, key, startLine);
  }

  /** The pid a line belongs to; strace leaves the prefix out while only one process is traced. */
  private resolvePid(pid: number | undefined): number | undefined {
    if (pid === undefined) {
      if (this.alive.size === 1) return this.alive.values().next().value as number;
      return undefined;
    }
    if (!this.alive.has(pid)) {
      this.alive.add(pid);
      if (!this.announced.has(pid) && !this.originClaimed) {
        // The first unannounced pid is the process strace started, whose earlier lines
        // carried no prefix.
        this.originClaimed = true;
        const t = this.tables.get('');
        if (t && !this.tables.has(String(pid))) this.tables.set(String(pid), t);
      }
    }
    return pid;
  }

  private table(key: string): FdTable {
    let t = this.tables.get(key);
    if (!t) {
      t = new Map();
      this.tables.set(key, t);
    }
    return t;
  }

  private ignoredCall(name: string): Call {
    return {
      name, lineNo: this.lineNo, endLineNo: this.lineNo, endOffset: this.lineOffset, keep: false,
      direction: '>', pid: undefined, fd: -1, protocol: -1, ret: 0, truncOk: false, mmsg: false,
      strings: '', groups: [], seg: null,
    };
  }

  /** Runs a complete call; false if `text` has no closing `)` and `= result`. */
  private call(text: string, pid: number | undefined, key: string, startLine: number): boolean {
    const cm = CALL_RE.exec(text);
    if (!cm) return false;
    const name = cm[1] as string;
    const scanned = scanArgs(text, cm[0].length);
    if (!scanned) return false;
    const rm = RET_RE.exec(text.slice(scanned.end));
    if (!rm) return false;
    const call = this.ignoredCall(name);
    call.lineNo = startLine;
    call.pid = pid;
    this.current = call;
    this.apply(call, scanned.args, parseNumber(rm[1] as string), key);
    return true;
  }

  /** What a completed call does to the fd tables, or the datagram it carries. */
  private apply(call: Call, args: string[], ret: number | undefined, key: string): void {
    const name = call.name;
    const ok = ret !== undefined && ret >= 0;
    const table = this.table(key);

    if (SEND_CALLS.has(name) || RECV_CALLS.has(name)) {
      this.dataCall(call, args, ret, table);
      return;
    }
    if (!ok) return;
    const fdRet = ret as number;
    switch (name) {
      case 'socket': {
        const family = parseConst(args[0]);
        if (family === AF_NETLINK || family === 'AF_NETLINK' || family === 'PF_NETLINK') {
          const p = parseConst(args[2]);
          const protocol = typeof p === 'number' ? p : (p !== undefined ? PROTOCOL_BY_NAME.get(p) : undefined) ?? -1;
          const type = args[1] ?? '';
          const cloexec = /SOCK_CLOEXEC/.test(type) || (parseFlags(type, new Map()) & SOCK_CLOEXEC) !== 0;
          table.set(fdRet, { protocol, cloexec });
        } else {
          table.delete(fdRet);
        }
        return;
      }
      case 'socketpair':
        for (const fd of parseFdPair(args[3])) table.delete(fd);
        return;
      case 'pipe':
      case 'pipe2':
        for (const fd of parseFdPair(args[0])) table.delete(fd);
        return;
      case 'close': {
        const fd = parseFdArg(args[0]);
        if (fd) table.delete(fd.fd);
        return;
      }
      case 'close_range': {
        const lo = parseConst(args[0]);
        const hi = parseConst(args[1]);
        const cloexecOnly = /CLOSE_RANGE_CLOEXEC/.test(args[2] ?? '') || (parseFlags(args[2], new Map()) & 4) !== 0;
        if (typeof lo !== 'number') return;
        const top = typeof hi === 'number' ? hi : Number.MAX_SAFE_INTEGER;
        for (const [fd, info] of [...table]) {
          if (fd < lo || fd > top) continue;
          if (cloexecOnly) info.cloexec = true;
          else table.delete(fd);
        }
        return;
      }
      case 'dup':
        this.copyFd(table, args[0], fdRet, false);
        return;
      case 'dup2':
      case 'dup3':
        this.copyFd(table, args[0], fdRet, /O_CLOEXEC/.test(args[2] ?? ''));
        return;
      case 'fcntl':
      case 'fcntl64': {
        const cmd = parseConst(args[1]);
        if (cmd === 'F_DUPFD' || cmd === 0) this.copyFd(table, args[0], fdRet, false);
        else if (cmd === 'F_DUPFD_CLOEXEC' || cmd === 1030) this.copyFd(table, args[0], fdRet, true);
        return;
      }
      case 'execve':
      case 'execveat': {
        const kept: FdTable = new Map();
        for (const [fd, info] of table) if (!info.cloexec) kept.set(fd, info);
        this.tables.set(key, kept);
        return;
      }
      case 'clone':
      case 'clone3':
      case 'fork':
      case 'vfork': {
        if (fdRet === 0) return;
        const joined = args.join(', ');
        let share = /CLONE_FILES/.test(joined);
        if (!share && name === 'clone') {
          const m = /flags=(0x[0-9a-fA-F]+|\d+)/.exec(joined);
          const raw = m ? parseNumber(m[1] as string) : parseConst(args[0]);
          if (typeof raw === 'number') share = (raw & CLONE_FILES) !== 0;
        }
        const childKey = String(fdRet);
        const existing = this.tables.get(childKey);
        if (share) {
          if (existing) for (const [fd, info] of existing) table.set(fd, info);
          this.tables.set(childKey, table);
        } else {
          const copy: FdTable = new Map();
          for (const [fd, info] of table) copy.set(fd, { ...info });
          if (existing) for (const [fd, info] of existing) copy.set(fd, info);
          this.tables.set(childKey, copy);
        }
        return;
      }
      default:
        if (FD_CREATORS.has(name)) table.delete(fdRet);
    }
  }

  private copyFd(table: FdTable, fromArg: string | undefined, to: number, cloexec: boolean): void {
    const from = parseFdArg(fromArg);
    const info = from ? table.get(from.fd) : undefined;
    if (from && from.fd === to) return;
    if (info) table.set(to, { protocol: info.protocol, cloexec });
    else table.delete(to);
  }

  private dataCall(call: Call, args: string[], ret: number | undefined, table: FdTable): void {
    const fdArg = parseFdArg(args[0]);
    if (!fdArg || ret === undefined || ret < 0) return;
    let protocol = table.get(fdArg.fd)?.protocol;
    if (fdArg.annotation !== undefined) {
      const a = annotationProtocol(fdArg.annotation);
      if (a === null) protocol = undefined;
      else if (a === -2) protocol = protocol ?? -1;
      else if (a !== undefined) protocol = a;
    }
    if (protocol === undefined) return;
    const name = call.name;
    const flagsArg = RECV_FLAGS_ARG.get(name);
    const flags = flagsArg === undefined ? 0 : parseFlags(args[flagsArg], MSG_FLAGS);
    if ((flags & (MSG_PEEK | MSG_ERRQUEUE)) !== 0) return;
    call.keep = true;
    call.direction = SEND_CALLS.has(name) ? '>' : '<';
    call.fd = fdArg.fd;
    call.protocol = protocol;
    call.ret = ret;
    call.truncOk = (flags & MSG_TRUNC) !== 0;
    call.mmsg = name === 'sendmmsg' || name === 'recvmmsg';
    call.endLineNo = this.lineNo;
    call.endOffset = this.lineOffset;
    call.strings = argumentBytes(name, args);
  }

  private dumpLine(line: string): void {
    const call = this.current;
    if (!call) this.fail('hex dump line with no system call before it');
    const header = DUMP_HEADER_RE.exec(line);
    if (header) {
      this.closeSegment(call);
      const declared = Number(header[1]);
      const buffer = Number(header[2]);
      let group = call.groups[call.groups.length - 1];
      const last = group?.[group.length - 1];
      if (!group || (last && buffer <= last.buffer)) {
        if (group && !call.mmsg) this.fail(`buffer ${buffer} after buffer ${last!.buffer} in one call`);
        group = [];
        call.groups.push(group);
      }
      call.seg = { declared, buffer, data: new ByteBuilder(), lineNo: this.lineNo, offset: this.lineOffset };
      group.push(call.seg);
      return;
    }
    if (line.startsWith(' * ')) this.fail(`not a hex dump header: "${line}"`);
    const m = DUMP_LINE_RE.exec(line);
    if (!m) this.fail(`not a hex dump line: "${line}"`);
    let seg = call.seg;
    if (!seg) {
      if (call.groups.length > 0) this.fail('hex dump line after the end of its buffer');
      seg = { declared: undefined, buffer: 0, data: new ByteBuilder(), lineNo: this.lineNo, offset: this.lineOffset };
      call.groups.push([seg]);
      call.seg = seg;
    }
    const at = Number.parseInt(m[1] as string, 16);
    if (at !== seg.data.length) {
      this.fail(`hex dump offset ${(m[1] as string).toLowerCase()} where ${seg.data.length.toString(16).padStart(5, '0')} was expected`);
    }
    const hex = m[2] as string;
    const ascii = m[3] as string;
    let count = 0;
    for (let i = 0; i < 16; i++) {
      const p = i * 3 + (i >= 8 ? 1 : 0);
      const a = hex.charCodeAt(p);
      const b = hex.charCodeAt(p + 1);
      if (a === 0x20 && b === 0x20) {
        for (let j = p; j < 50; j++) {
          if (hex.charCodeAt(j) !== 0x20) this.fail('hex dump line has bytes after a gap');
        }
        break;
      }
      const hi = hexDigit(a);
      const lo = hexDigit(b);
      if (hi < 0 || lo < 0) this.fail(`bad hex byte "${hex.slice(p, p + 2)}" in hex dump line`);
      if (hex.charCodeAt(p + 2) !== 0x20 || (i === 7 && hex.charCodeAt(p + 3) !== 0x20)) {
        this.fail('hex dump bytes not separated by spaces');
      }
      const v = (hi << 4) | lo;
      const shown = v >= 0x20 && v < 0x7f ? v : 0x2e;
      if (ascii.charCodeAt(i) !== shown) this.fail(`ASCII column does not match byte ${i} (${hex.slice(p, p + 2)}) of the hex dump line`);
      seg.data.push(v);
      count++;
    }
    if (count === 0) this.fail('hex dump line without bytes');
    for (let i = count; i < 16; i++) {
      if (ascii.charCodeAt(i) !== 0x20) this.fail('ASCII column longer than the bytes of the hex dump line');
    }
    if (seg.declared !== undefined && seg.data.length > seg.declared) {
      this.fail(`hex dump holds more than the ${seg.declared} bytes announced on line ${seg.lineNo}`);
    }
  }

  private closeSegment(call: Call): void {
    const seg = call.seg;
    call.seg = null;
    if (seg && seg.declared !== undefined && seg.data.length !== seg.declared) {
      this.fail(`buffer ${seg.buffer} announced ${seg.declared} bytes but the hex dump holds ${seg.data.length}`, seg.lineNo, seg.offset);
    }
  }

  /** Ends the current call: checks its dump and turns it into datagrams. */
  private finish(): void {
    const call = this.current;
    if (!call) return;
    this.current = null;
    this.closeSegment(call);
    if (!call.keep || (call.ret === 0 && !call.mmsg)) return;
    const at = (detail: string): never => this.fail(detail, call.endLineNo, call.endOffset);
    const verb = call.direction === '>' ? 'sent' : 'received';

    if (call.mmsg) {
      if (call.groups.length > call.ret) at(`${call.name} returned ${call.ret} messages but ${call.groups.length} were dumped`);
      if (call.groups.length === 0) this.missing(call, 'there is no hex dump');
      for (const group of call.groups) this.emit(call, concat(group));
      return;
    }
    let bytes: Uint8Array;
    if (call.groups.length > 0) {
      bytes = concat(call.groups[0] as Segment[]);
    } else if (typeof call.strings !== 'string') {
      bytes = call.strings;
    } else {
      this.missing(call, call.strings);
      return;
    }
    const len = bytes.length;
    if (call.direction === '>' || !call.truncOk ? len !== call.ret : len > call.ret) {
      at(`${call.name} ${verb} ${call.ret} bytes but the log holds ${len}`);
    }
    // A MSG_TRUNC read into an empty buffer consumes a datagram without copying any of it.
    if (len > 0) this.emit(call, bytes);
  }

  private missing(call: Call, why: string): void {
    if (this.opts.missingBytes === 'skip') return;
    this.fail(
      `${call.name} on netlink fd ${call.fd} carried ${call.ret}${call.mmsg ? ' messages' : ' bytes'} that are not in the log: ${why}; ` +
        'record with strace -e write=all -e read=all -s 65535 (hex dumps)',
      call.endLineNo,
      call.endOffset,
    );
  }

  private emit(call: Call, bytes: Uint8Array): void {
    const d: StraceDatagram = {
      direction: call.direction,
      fd: call.fd,
      protocol: call.protocol,
      syscall: call.name,
      bytes,
      line: call.lineNo,
    };
    if (call.pid !== undefined) d.pid = call.pid;
    this.out.push(d);
  }
}

function concat(segs: Segment[]): Uint8Array {
  const out = new ByteBuilder();
  for (const s of segs) out.append(s.data.take());
  return out.take();
}

/**
 * Reads the netlink datagrams of an strace log, in the order their calls completed (with
 * `-f`, a recvmsg that waited while another process sent comes after that send, although
 * its `line`, where it started, is earlier).
 *
 * Kept: successful sends and receives on netlink sockets. Skipped: MSG_PEEK probes (and
 * MSG_ERRQUEUE reads), failed calls (`= -1 EAGAIN ...`, `= ?`), calls that returned 0, and
 * calls cut off by the end of the log. A sendmsg/recvmsg with several iovecs is one datagram
 * (buffers concatenated in order); a receive with MSG_TRUNC keeps the bytes dumped, which may
 * be fewer than the return value.
 *
 * Throws {@link DecodeError} (path `strace:line N`, offset = character offset of that line)
 * for a hex dump line that does not parse, a dump whose byte count does not match its header
 * or the call's return value, and (unless `missingBytes: 'skip'`) a netlink datagram whose
 * bytes are not in the log.
 */
export function parseStrace(text: string, opts: ParseStraceOptions = {}): StraceDatagram[] {
  return new Parser(text, opts).run();
}
