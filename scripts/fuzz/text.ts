/**
 * Text inputs: strace logs (windows of the recorded logs, and logs written here from
 * datagrams as strace prints them: hex dumps and `\x` strings) and hex lines, with
 * line-level, token-level and character-level mutations.
 */
import type { Rng } from './rng.js';
import { MAX_INPUT } from './mutate.js';
import type { Datagram } from './capture.js';

const HEX = '0123456789abcdef';

function hex2(b: number): string {
  return HEX[b >> 4]! + HEX[b & 15]!;
}

/** The ` * N bytes in buffer 0` / ` | 00000  ...` dump strace writes after a call. */
export function straceDump(bytes: Uint8Array, buffer = 0): string {
  const lines = [` * ${bytes.length} bytes in buffer ${buffer}`];
  for (let o = 0; o < bytes.length; o += 16) {
    let h = '';
    let a = '';
    for (let i = 0; i < 16; i++) {
      if (i === 8) h += ' ';
      const b = bytes[o + i];
      h += b === undefined ? '   ' : hex2(b) + ' ';
      a += b === undefined ? ' ' : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    lines.push(` | ${o.toString(16).padStart(5, '0')}  ${h} ${a} |`);
  }
  return lines.join('\n');
}

function cString(bytes: Uint8Array, rng: Rng): string {
  let s = '';
  const xx = rng.chance(0.6);
  for (const b of bytes) {
    if (xx) s += '\\x' + hex2(b);
    else if (b === 0x22) s += '\\"';
    else if (b === 0x5c) s += '\\\\';
    else if (b === 10) s += '\\n';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += '\\' + b.toString(8);
  }
  return s;
}

const PROTO_NAMES = ['NETLINK_ROUTE', 'NETLINK_SOCK_DIAG', 'NETLINK_GENERIC', 'NETLINK_AUDIT', '0', '4', '16', '99'];

/** An strace log of `dgs`, sent and received on one or two sockets, in a random strace style. */
export function makeStrace(rng: Rng, dgs: readonly Datagram[]): string {
  const lines: string[] = [];
  const pidStyle = rng.int(3);
  const prefix = (): string => (pidStyle === 0 ? '' : pidStyle === 1 ? `${1000 + rng.int(3)}  ` : `[pid ${1000 + rng.int(3)}] `);
  const fd = 3 + rng.int(3);
  const proto = dgs[0]?.protocol ?? 0;
  lines.push(`${prefix()}socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, ${proto === 0 ? 'NETLINK_ROUTE' : rng.pick(PROTO_NAMES)}) = ${fd}`);
  for (const d of dgs) {
    const send = (d.bytes[6] ?? 0) & 1 ? rng.chance(0.9) : rng.chance(0.1);
    const n = d.bytes.length;
    const style = rng.int(4);
    if (style === 0) {
      const call = send ? 'sendmsg' : 'recvmsg';
      lines.push(`${prefix()}${call}(${fd}, {msg_name={sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, msg_namelen=12, msg_iov=[{iov_base=[...], iov_len=${n}}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = ${n}`);
      lines.push(straceDump(d.bytes));
    } else if (style === 1) {
      const call = send ? 'sendto' : 'recvfrom';
      lines.push(`${prefix()}${call}(${fd}, "${cString(d.bytes, rng)}", ${n}, 0, NULL, 0) = ${n}`);
    } else if (style === 2) {
      const call = send ? 'write' : 'read';
      lines.push(`${prefix()}${call}(${fd}, "${cString(d.bytes, rng)}", ${n}) = ${n}`);
    } else {
      const call = send ? 'sendmsg' : 'recvmsg';
      lines.push(`${prefix()}${call}(${fd}, {msg_name={sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, msg_namelen=12, msg_iov=[{iov_base="${cString(d.bytes, rng)}", iov_len=${n}}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0 <unfinished ...>`);
      lines.push(`${prefix()}<... ${call} resumed>) = ${n}`);
    }
  }
  if (rng.chance(0.3)) lines.push(`${prefix()}close(${fd}) = 0`);
  return lines.join('\n') + (rng.chance(0.8) ? '\n' : '');
}

/** A window of a recorded log, with its socket() lines kept in front most of the time. */
export function straceWindow(rng: Rng, log: string): string {
  if (rng.chance(0.05)) return log;
  const lines = log.split('\n');
  const start = rng.int(lines.length);
  const count = 1 + rng.small(200);
  const win = lines.slice(start, start + count);
  if (rng.chance(0.7)) win.unshift(...lines.filter((l) => l.includes('socket(AF_NETLINK')).slice(0, 4));
  return win.join('\n') + '\n';
}

const NASTY_NUMBERS = ['0', '-1', '1', '3', '4', '15', '16', '65535', '65536', '4294967295', '4294967296',
  '18446744073709551616', '99999999999999999999999999', '-2147483648', '0x10', '1e9', '', '00000', '7fffffff'];
const CALLS = ['sendmsg', 'recvmsg', 'sendto', 'recvfrom', 'write', 'read', 'writev', 'readv', 'sendmmsg',
  'recvmmsg', 'send', 'recv', 'socket', 'close', 'dup2', 'fcntl', 'clone', 'execve', 'openat', 'socketpair',
  'pipe2', 'close_range', 'dup3', 'vfork'];
const SNIPPETS = ['"', '\\', '\\x', '\\x4', '\\xzz', '\\777', '\\"', '{', '}', '[', ']', '(', ')', ', ', '=',
  ' <unfinished ...>', '<... recvmsg resumed>', '<... sendmsg resumed>', ' = ', ' = -1 EAGAIN (Resource temporarily unavailable)',
  '+++ exited with 0 +++', '--- SIGCHLD {si_signo=SIGCHLD} ---', '[pid 1] ', '3<NETLINK:[ROUTE:3319]>', '3<NETLINK:[SOCK_DIAG:1]>',
  ' * 16 bytes in buffer 0', ' | 00000  ', ' | 00010  10 00 00 00', ' |', '...', 'MSG_TRUNC', 'MSG_PEEK|MSG_TRUNC',
  'iov_base=', 'iov_len=', 'msg_iov=[', '\u0000', '\r', '\t', '\u00e9', '\ud800', '\uffff', '😀',
  'socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) = 3', 'socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, 999) = 3',
  'socketpair(AF_UNIX, SOCK_STREAM, 0, [3, 4]) = 0', 'pipe2([3, 4], O_CLOEXEC) = 0', 'pipe([3<pipe:[1]>, 0x4]) = 0',
  'close_range(3, 4294967295, CLOSE_RANGE_CLOEXEC) = 0', 'dup2(3, 7) = 7', 'fcntl(3, F_DUPFD_CLOEXEC, 0) = 9',
  'clone(child_stack=NULL, flags=CLONE_FILES|SIGCHLD) = 1001', 'execve("/sbin/ip", ["ip"], 0x7ffd /* 1 var */) = 0'];

/** One strace-log mutation: lines, numbers, call names, escapes, brackets, characters. */
export function mutateStraceOnce(rng: Rng, text: string, others: readonly string[]): string {
  const lines = text.split('\n');
  const li = rng.int(lines.length);
  switch (rng.int(10)) {
    case 0: lines.splice(li, 1); break;
    case 1: {
      const times = rng.chance(0.98) ? 1 : rng.pick([100, 1000, 10000]);
      const l = lines[li] ?? '';
      const n = Math.min(times, Math.floor(MAX_INPUT / Math.max(l.length + 1, 1)));
      lines.splice(li, 0, ...Array<string>(n).fill(l));
      break;
    }
    case 2: {
      const lj = rng.int(lines.length);
      [lines[li], lines[lj]] = [lines[lj] ?? '', lines[li] ?? ''];
      break;
    }
    case 3: {
      const src = others.length ? rng.pick(others).split('\n') : lines;
      lines.splice(li, 0, src[rng.int(src.length)] ?? '');
      break;
    }
    case 4: { // a number
      const l = lines[li] ?? '';
      const nums = [...l.matchAll(/\d+/g)];
      if (!nums.length) break;
      const m = rng.pick(nums);
      lines[li] = l.slice(0, m.index) + rng.pick(NASTY_NUMBERS) + l.slice(m.index! + m[0].length);
      break;
    }
    case 5: { // a call name
      const l = lines[li] ?? '';
      const m = /([a-z_0-9]+)\(/.exec(l);
      if (!m) break;
      lines[li] = l.slice(0, m.index) + rng.pick(CALLS) + l.slice(m.index + m[1]!.length);
      break;
    }
    case 6: { // a snippet inserted or a character removed
      const l = lines[li] ?? '';
      const at = rng.int(l.length + 1);
      lines[li] = rng.chance(0.7) ? l.slice(0, at) + rng.pick(SNIPPETS) + l.slice(at) : l.slice(0, at) + l.slice(at + 1 + rng.small(8));
      break;
    }
    case 7: { // a line cut, or two joined
      const l = lines[li] ?? '';
      if (rng.chance(0.5)) lines[li] = l.slice(0, rng.int(l.length + 1));
      else lines.splice(li, 2, l + (lines[li + 1] ?? ''));
      break;
    }
    case 8: { // a hex byte of a dump
      const dumps = lines.map((l, i) => (l.startsWith(' | ') ? i : -1)).filter((i) => i >= 0);
      if (!dumps.length) break;
      const di = rng.pick(dumps);
      const l = lines[di]!;
      const at = 10 + rng.int(Math.max(1, l.length - 10));
      lines[di] = l.slice(0, at) + rng.pick(['zz', 'f', '', '00 00', '  ', 'ff', '0']) + l.slice(at + 2);
      break;
    }
    default: { // a long line
      const n = rng.chance(0.95) ? rng.pick([100, 1000]) : rng.pick([20000, 200000]);
      const unit = rng.pick(['\\x00', '\\x', 'a', '"', '[{', '{', ' | 00000  00', '0 ', '(']);
      lines.splice(li, 0, `1 sendto(3, "${unit.repeat(Math.floor(n / unit.length))}`);
      break;
    }
  }
  return lines.join(rng.chance(0.02) ? '\r\n' : '\n');
}

/** Hex lines of `dgs`, with directions, comments and spacing as people write them. */
export function makeHexLines(rng: Rng, dgs: readonly Datagram[]): string {
  const lines: string[] = [];
  if (rng.chance(0.5)) lines.push('# ip route get 203.0.113.5');
  for (const d of dgs) {
    let h = '';
    const group = rng.pick([0, 1, 2, 4, 16]);
    for (let i = 0; i < d.bytes.length; i++) {
      if (group && i && i % group === 0) h += rng.chance(0.9) ? ' ' : '\t';
      const x = hex2(d.bytes[i]!);
      h += rng.chance(0.1) ? x.toUpperCase() : x;
    }
    const dir = rng.pick(['> ', '< ', '', '>', '<']);
    lines.push(dir + h + (rng.chance(0.2) ? '  # comment' : ''));
    if (rng.chance(0.2)) lines.push('');
  }
  return lines.join(rng.chance(0.1) ? '\r\n' : '\n') + (rng.chance(0.7) ? '\n' : '');
}

const HEX_SNIPPETS = ['#', '>', '<', ' ', '\t', '\r', '\n', '\v', '\f', 'g', 'G', 'x', '0x', '0', 'f', 'F', '\u00e9', '\u0000',
  '\ud800', '😀', '\u00a0', '\u2028', '>>', '< >', '##', ',', ':', '-'];

/** One hex-lines mutation: a character inserted, removed or replaced, lines cut or repeated. */
export function mutateHexOnce(rng: Rng, text: string): string {
  const at = rng.int(text.length + 1);
  switch (rng.int(6)) {
    case 0: return text.slice(0, at) + rng.pick(HEX_SNIPPETS) + text.slice(at);
    case 1: return text.slice(0, at) + text.slice(at + 1 + rng.small(4));
    case 2: return text.slice(0, at) + rng.pick(HEX_SNIPPETS) + text.slice(at + 1);
    case 3: return text.slice(0, at);
    case 4: {
      const n = rng.chance(0.95) ? rng.pick([2, 10, 100]) : 10000;
      const unit = rng.pick(['00', '0', 'ff ', '\n', '#\n', '> 00\n', ' ', 'zz']);
      return text.slice(0, at) + unit.repeat(Math.min(n, Math.floor(MAX_INPUT / unit.length))) + text.slice(at);
    }
    default: {
      const lines = text.split('\n');
      const li = rng.int(lines.length);
      lines.splice(li, 0, lines[li] ?? '');
      return lines.join('\n');
    }
  }
}
