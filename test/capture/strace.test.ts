import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHexLines } from '../../src/capture/hexlines.js';
import { netlinkProtocolName, parseStrace, type StraceDatagram } from '../../src/capture/strace.js';
import { DecodeError } from '../../src/netlink/errors.js';
import { throwsDecodeError } from '../helpers/decode.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
const log = (name: string) => readFileSync(join(FIXTURES, 'strace', name), 'utf8');

/** Message types as strace names them, for comparing with its structured decode. */
const TYPE_NAMES: Record<number, Record<number, string>> = {
  0: {
    2: 'NLMSG_ERROR', 3: 'NLMSG_DONE', 16: 'RTM_NEWLINK', 18: 'RTM_GETLINK', 20: 'RTM_NEWADDR',
    24: 'RTM_NEWROUTE', 25: 'RTM_DELROUTE', 26: 'RTM_GETROUTE', 88: 'RTM_NEWNSID', 90: 'RTM_GETNSID',
  },
  4: { 2: 'NLMSG_ERROR', 3: 'NLMSG_DONE', 20: 'SOCK_DIAG_BY_FAMILY' },
};

interface Header {
  len: number;
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

/**
 * The nlmsghdr chain of a datagram, walked as the kernel's netlink_rcv_skb does: it stops at
 * a header shorter than 16 or longer than what is left. Only zeros may follow: iproute2
 * sends its dump requests as a whole `struct { nlmsghdr; ...; char buf[...] }` (156 bytes
 * for a 36-byte RTM_GETROUTE), and the kernel ignores the zero tail.
 */
function headers(bytes: Uint8Array): Header[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Header[] = [];
  let off = 0;
  while (bytes.length - off >= 16) {
    const len = v.getUint32(off, true);
    if (len < 16 || len > bytes.length - off) break;
    out.push({ len, type: v.getUint16(off + 4, true), flags: v.getUint16(off + 6, true), seq: v.getUint32(off + 8, true), pid: v.getInt32(off + 12, true) });
    off += (len + 3) & ~3;
  }
  expect(out.length).toBeGreaterThan(0);
  expect(bytes.subarray(Math.min(off, bytes.length)).every((b) => b === 0)).toBe(true);
  return out;
}

/** The line on which a call completes: its own, or the `<... NAME resumed>` line of its pid. */
function completionLine(lines: string[], d: StraceDatagram): string {
  const first = lines[d.line - 1]!;
  if (!first.trimEnd().endsWith('<unfinished ...>')) return first;
  const resumed = `[pid ${String(d.pid).padStart(5)}] <... ${d.syscall} resumed>`;
  for (let i = d.line; i < lines.length; i++) if (lines[i]!.startsWith(resumed)) return lines[i]!;
  throw new Error(`no resumed line for line ${d.line}`);
}

/**
 * Checks every nlmsghdr in the bytes against strace's own structured decode of the same call
 * (`{nlmsg_len=36, nlmsg_type=RTM_GETROUTE, nlmsg_flags=..., nlmsg_seq=..., nlmsg_pid=...}`),
 * an independent reading of the same memory.
 */
function expectStraceAgrees(lines: string[], d: StraceDatagram): number {
  const line = completionLine(lines, d);
  const hs = headers(d.bytes);
  for (const h of hs) {
    const type = `(?:${TYPE_NAMES[d.protocol]?.[h.type] ?? 'UNKNOWN'}|0x${h.type.toString(16)}|${h.type})`;
    const re = new RegExp(`nlmsg_len=${h.len}, nlmsg_type=${type}\\b[^,]*, nlmsg_flags=[^,]*, nlmsg_seq=${h.seq}, nlmsg_pid=${h.pid}\\}`);
    expect(line, `line ${d.line}`).toMatch(re);
  }
  return hs.length;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('parseStrace on recorded logs', () => {
  it('ip route get (strace -f -o, hex dumps): requests, replies, MSG_PEEK probes skipped', () => {
    const text = log('ip-route-get.strace');
    const lines = text.split('\n');
    const ds = parseStrace(text);
    expect(ds.map((d) => `${d.direction}${d.syscall}:${d.fd}`)).toEqual(['>sendmsg:3', '<recvmsg:3', '>sendmsg:4', '<recvmsg:4']);
    const pid = Number(/^(\d+) /.exec(lines[0]!)![1]);
    for (const d of ds) {
      expect(d.pid).toBe(pid);
      expect(d.protocol).toBe(0);
      expect(new DataView(d.bytes.buffer, d.bytes.byteOffset).getUint32(0, true)).toBe(d.bytes.length);
      expectStraceAgrees(lines, d);
    }
    // The calls kept are exactly the sendmsg/recvmsg lines that are not MSG_PEEK probes.
    const calls = lines.flatMap((l, i) => (/^\d+ +(sendmsg|recvmsg)\(/.test(l) ? [i + 1] : []));
    const peeks = calls.filter((n) => lines[n - 1]!.includes('MSG_PEEK'));
    expect(peeks.length).toBe(2);
    expect(ds.map((d) => d.line)).toEqual(calls.filter((n) => !peeks.includes(n)));
    // Each datagram is as long as the dump strace announced for it.
    const announced = [...text.matchAll(/^ \* (\d+) bytes in buffer 0$/gm)].map((m) => Number(m[1]));
    expect(ds.map((d) => d.bytes.length)).toEqual(announced);
    expect(ds[0]!.bytes[4]).toBe(26); // RTM_GETROUTE
    expect(ds[1]!.bytes[4]).toBe(24); // RTM_NEWROUTE
  });

  it('two processes writing [pid N] lines, with <unfinished ...> / <... resumed> pairs', () => {
    const text = log('ip-monitor-two-procs.strace');
    const lines = text.split('\n');
    const ds = parseStrace(text);
    const pids = [...new Set(ds.map((d) => d.pid))];
    expect(pids).toHaveLength(3); // ip monitor, ip route add, ip route del
    let split = 0;
    for (const d of ds) {
      expect(d.protocol).toBe(0);
      expectStraceAgrees(lines, d);
      if (lines[d.line - 1]!.endsWith('<unfinished ...>')) split++;
    }
    expect(split).toBe(2);
    // The monitor hears the add, then the del, each after the request that caused it.
    const monitor = ds[0]!.pid;
    // Notifications carry the port id of the process that asked for the change; the replies
    // to the monitor's own dump carry its port id, which is its pid.
    const events = ds.filter((d) => d.pid === monitor && d.direction === '<' && d.fd === 3 && headers(d.bytes)[0]!.pid !== monitor);
    expect(events.map((d) => d.bytes[4])).toEqual([24, 25]);
    const add = ds.findIndex((d) => d.pid !== monitor && d.direction === '>' && d.bytes[4] === 24);
    const heard = ds.findIndex((d) => d.pid === monitor && d.bytes[4] === 24 && d.bytes[6] !== 2 /* NLM_F_MULTI */);
    expect(add).toBeGreaterThanOrEqual(0);
    expect(heard).toBeGreaterThan(add);
    expect(ds[heard]!.line).toBeLessThan(ds[add]!.line); // started waiting before the add was sent
    // The monitor's last recvmsg was interrupted (= ? ERESTARTSYS) and is not a datagram.
    expect(text).toMatch(/resumed>.*= \? ERESTARTSYS/);
  });

  it('program output cutting a call line on a shared stderr (strace -f -Y, two failing ip)', () => {
    const text = log('ip-two-procs-shared-stderr.strace');
    const lines = text.split('\n');
    const cut = lines.findIndex((l, i) => i > 0 && l.startsWith(') = ') && /RTNETLINK answers/.test(lines[i - 1]!));
    expect(cut).toBeGreaterThan(0);
    const ds = parseStrace(text);
    expect(new Set(ds.map((d) => d.pid)).size).toBe(2);
    expect(ds.every((d) => d.protocol === 0)).toBe(true);
    // Every dump strace announced is one datagram, in the same order.
    const announced = [...text.matchAll(/^ \* (\d+) bytes in buffer 0$/gm)].map((m) => Number(m[1]));
    expect(ds.map((d) => d.bytes.length)).toEqual(announced);
    for (const d of ds) headers(d.bytes);
    // Both lookups fail: each ip gets an NLMSG_ERROR with -ENETUNREACH.
    const errors = ds.filter((d) => d.bytes[4] === 2).map((d) => new DataView(d.bytes.buffer, d.bytes.byteOffset).getInt32(16, true));
    expect(errors).toEqual([-101, -101]);
  });

  it('a sendmsg with three iovecs is one datagram (ss over NETLINK_SOCK_DIAG)', () => {
    const text = log('ss-sock-diag.strace');
    const lines = text.split('\n');
    const ds = parseStrace(text);
    expect(ds.length).toBeGreaterThanOrEqual(2);
    for (const d of ds) {
      expect(d.protocol).toBe(4);
      expect(netlinkProtocolName(d.protocol)).toBe('NETLINK_SOCK_DIAG');
      expectStraceAgrees(lines, d);
    }
    const sends = ds.filter((d) => d.direction === '>');
    expect(sends.length).toBe(2);
    for (const s of sends) {
      const line = lines[s.line - 1]!;
      const iovLens = [...line.matchAll(/iov_len=(\d+)/g)].map((m) => Number(m[1]));
      expect(iovLens.length).toBe(3);
      expect(s.bytes.length).toBe(iovLens.reduce((a, b) => a + b, 0));
      expect(lines[s.line]).toBe(` * ${iovLens[0]} bytes in buffer 0`);
    }
  });

  it('strace -xx: bytes from write()/read() strings; fd reuse and EAGAIN handled', () => {
    const text = log('perl-xx.strace');
    const ds = parseStrace(text);
    expect(ds.map((d) => [d.direction, d.syscall, d.fd, d.protocol])).toEqual([
      ['>', 'write', 3, 0],
      ['<', 'read', 3, 0],
      ['>', 'write', 4, 16],
      ['<', 'read', 4, 16],
    ]);
    for (const d of ds) expect(d.pid).toBeUndefined();
    // Exactly what the perl program packed.
    expect(hex(ds[0]!.bytes)).toBe('240000001a0001000700000000000000022000000000000000000000080001007f000001');
    // nlmsghdr (32, GENL_ID_CTRL, NLM_F_REQUEST, seq 8), genlmsghdr (CTRL_CMD_GETFAMILY, v1),
    // CTRL_ATTR_FAMILY_NAME "nlctrl".
    expect(hex(ds[2]!.bytes)).toBe('20000000100001000800000000000000' + '03010000' + '0b0002006e6c6374726c0000');
    const route = headers(ds[1]!.bytes);
    expect(route).toHaveLength(1);
    expect(route[0]).toMatchObject({ len: ds[1]!.bytes.length, type: 24, seq: 7 });
    const genl = headers(ds[3]!.bytes);
    expect(genl[0]).toMatchObject({ len: ds[3]!.bytes.length, type: 16, seq: 8 });
    // fd 3 was an ELF file before the socket and /dev/zero after it: none of those reads count.
    expect(text.match(/^read\(3, /gm)!.length).toBeGreaterThan(2);
    expect(text).toMatch(/^read\(3, 0x[0-9a-f]+, 65536\) += -1 EAGAIN/m);
    expect(text).toMatch(/^read\(3, "(\\x00){16}", 16\) += 16$/m);
  });

  it('strace -yy -tt -T -i -X raw: prefixes and raw constants', () => {
    const text = log('ip-link-show-raw.strace');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^\d+ \d\d:\d\d:\d\d\.\d+ \[[0-9a-f]+\] socket\(0x10, /);
    const ds = parseStrace(text);
    expect(ds.length).toBe(6);
    for (const d of ds) {
      expect(d.protocol).toBe(0);
      expectStraceAgrees(lines, d);
    }
    expect(ds.map((d) => d.direction).join('')).toBe('><><><');
  });

  it('a log without the bytes throws DecodeError naming the first netlink call, or skips it', () => {
    const text = log('ip-route-get-nodump.strace');
    const lines = text.split('\n');
    const first = lines.findIndex((l) => /^\d+ +sendmsg\(/.test(l)) + 1;
    const e = throwsDecodeError(() => parseStrace(text));
    expect(e.path).toBe(`strace:line ${first}`);
    expect(e.offset).toBe(text.indexOf(lines[first - 1]!));
    expect(e.detail).toMatch(/not in the log.*-e write=all -e read=all/);
    expect(parseStrace(text, { missingBytes: 'skip' })).toEqual([]);
  });
});

describe('parseStrace on malformed logs', () => {
  const text = log('ip-route-get.strace');
  const lines = text.split('\n');
  const offsetOf = (n: number) => lines.slice(0, n - 1).reduce((a, l) => a + l.length + 1, 0);
  const firstDump = lines.findIndex((l) => l.startsWith(' | 00000')) + 1;
  const edit = (n: number, f: (l: string) => string) => lines.map((l, i) => (i === n - 1 ? f(l) : l)).join('\n');

  it('a hex byte that does not parse', () => {
    const e = throwsDecodeError(() => parseStrace(edit(firstDump, (l) => l.replace(/^( \| 00000 {2}[0-9a-f]{2} )[0-9a-f]{2}/, '$1zz'))));
    expect(e.path).toBe(`strace:line ${firstDump}`);
    expect(e.offset).toBe(offsetOf(firstDump));
    expect(e.message).toContain(`strace:line ${firstDump}`);
  });

  it('an ASCII column that disagrees with the bytes', () => {
    const e = throwsDecodeError(() => parseStrace(edit(firstDump, (l) => l.replace(/ [^ ]{16} \|$/, ' ################ |'))));
    expect(e.path).toBe(`strace:line ${firstDump}`);
  });

  it('a dump line missing: the count announced does not match', () => {
    const lastDump = lines.findIndex((l, i) => i >= firstDump && !l.startsWith(' | '));
    const without = lines.filter((_, i) => i !== lastDump - 1).join('\n');
    const e = throwsDecodeError(() => parseStrace(without));
    expect(e.path).toBe(`strace:line ${firstDump - 1}`); // the ` * N bytes in buffer 0` line
    expect(e.detail).toMatch(/announced \d+ bytes but the hex dump holds/);
  });

  it('a byte count that does not match the return value', () => {
    const call = firstDump - 2;
    const e = throwsDecodeError(() => parseStrace(edit(call, (l) => l.replace(/= (\d+)$/, (_, n: string) => `= ${Number(n) + 4}`))));
    expect(e.path).toBe(`strace:line ${call}`);
    expect(e.offset).toBe(offsetOf(call));
  });

  it('dump lines out of order, or with no call before them', () => {
    const swapped = lines.slice();
    [swapped[firstDump - 1], swapped[firstDump]] = [swapped[firstDump]!, swapped[firstDump - 1]!];
    expect(throwsDecodeError(() => parseStrace(swapped.join('\n'))).path).toBe(`strace:line ${firstDump}`);
    const orphan = throwsDecodeError(() => parseStrace(lines[firstDump - 1] + '\n' + text));
    expect(orphan.path).toBe('strace:line 1');
    expect(orphan.offset).toBe(0);
  });

  it('random damage raises DecodeError or nothing, never another error', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(text.length) }),
      fc.record({ kind: fc.constant('char' as const), at: fc.nat(text.length - 1), ch: fc.constantFrom('0', 'f', 'z', ' ', '|', '*', '"', '\\', '(', ')', '\n', '=', '<', '>') }),
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat(lines.length - 1) }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        let t = text;
        for (const m of ms) {
          if (m.kind === 'cut') t = t.slice(0, m.at);
          else if (m.kind === 'char') t = t.slice(0, m.at) + m.ch + t.slice(m.at + 1);
          else t = t.split('\n').filter((_, i) => i !== m.at).join('\n');
        }
        try {
          const ds = parseStrace(t);
          for (const d of ds) expect(d.bytes).toBeInstanceOf(Uint8Array);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary text raises DecodeError or nothing', () => {
    const unit = fc.constantFrom('[pid 7] ', '3 ', 'recvmsg(', 'sendmsg(', 'socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) = 3\n', ' | 00000  ', ' * 4 bytes in buffer 0\n', '"', '\\x', 'iov_base=', ') = 4\n', '<unfinished ...>\n', '<... recvmsg resumed>', '/*', '\n', 'a', '0', ' ');
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 60 }), (parts) => {
        try {
          parseStrace(parts.join(''));
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('stays fast on huge and pathological input', () => {
    const big = text.repeat(200);
    let t0 = performance.now();
    expect(parseStrace(big)).toHaveLength(800);
    expect(performance.now() - t0).toBeLessThan(10_000);
    const nasty = [
      '1 recvmsg(3, ' + '('.repeat(1_000_000),
      '1 write(3, "' + '\\'.repeat(1_000_001),
      '1 sendmsg(3, ' + '/*'.repeat(500_000),
      '1 sendmsg(3, {msg_iov=[' + '{iov_base="\\x00", iov_len=1}, '.repeat(50_000) + '], msg_iovlen=50000}, 0) = 50000',
    ];
    t0 = performance.now();
    for (const n of nasty) {
      try {
        parseStrace('1 socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) = 3\n' + n + '\n');
      } catch (e) {
        expect(e).toBeInstanceOf(DecodeError);
      }
    }
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});

describe('parseStrace on hand-made lines (shapes copied from real strace 6.1 output)', () => {
  const dump4 = ' * 4 bytes in buffer 0\n | 00000  04 00 00 00                                       ....             |\n';

  it('iov_base strings of a multi-iovec sendmsg are concatenated; the dump wins when present', () => {
    const t =
      '3238  socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3\n' +
      '3238  sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="\\x24\\x00\\x00\\x00", iov_len=4}, {iov_base="\\x1a\\x00", iov_len=2}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0) = 6\n' +
      '3238  sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="\\x99\\x99\\x99\\x99", iov_len=4}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 4\n' +
      dump4;
    const ds = parseStrace(t);
    expect(ds.map((d) => hex(d.bytes))).toEqual(['240000001a00', '04000000']);
    expect(ds.map((d) => d.line)).toEqual([2, 3]);
  });

  it('default (non -x) string escaping', () => {
    const t = 'socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT) = 5\nwrite(5, "$\\0\\0\\0\\32\\0\\1\\0\\n\\t\\"\\\\A\\377", 14) = 14\n';
    const [d] = parseStrace(t);
    expect(d!.protocol).toBe(9);
    expect(hex(d!.bytes)).toBe('240000001a0001000a09225c41ff');
  });

  it('MSG_TRUNC: the return value may exceed the bytes received', () => {
    const t =
      'socket(AF_NETLINK, SOCK_RAW, 0) = 3\n' +
      'recvmsg(3, {msg_iov=[{iov_base=..., iov_len=4}], msg_iovlen=1, msg_flags=MSG_TRUNC}, MSG_TRUNC) = 2000\n' +
      dump4 +
      'recvmsg(3, {msg_iov=[{iov_base=..., iov_len=4}], msg_iovlen=1, msg_flags=MSG_TRUNC}, 0) = 2000\n' +
      dump4;
    const e = throwsDecodeError(() => parseStrace(t));
    expect(e.path).toBe('strace:line 5');
    const [d] = parseStrace(t.split('\n').slice(0, 4).join('\n'));
    expect(d!.bytes.length).toBe(4);
    const drained = 'socket(AF_NETLINK, SOCK_RAW, 0) = 3\nrecvmsg(3, {msg_iov=[{iov_base=NULL, iov_len=0}], msg_iovlen=1, msg_flags=MSG_TRUNC}, MSG_TRUNC) = 104\n';
    expect(parseStrace(drained)).toEqual([]);
  });

  it('failed calls, MSG_PEEK and MSG_ERRQUEUE are skipped; -X verbose comments are read', () => {
    const t =
      'socket(0x10 /* AF_NETLINK */, 0x3 /* SOCK_RAW */, 0 /* NETLINK_ROUTE */) = 3\n' +
      'recvfrom(3, 0x7f11839a9e20, 100, MSG_DONTWAIT, NULL, NULL) = -1 EAGAIN (Resource temporarily unavailable)\n' +
      'recvmsg(3, {msg_iov=[{iov_base=NULL, iov_len=0}], msg_iovlen=1}, 0x22 /* MSG_PEEK|MSG_TRUNC */) = 104\n' +
      'recvmsg(3, {msg_iov=[{iov_base=NULL, iov_len=0}], msg_iovlen=1}, MSG_ERRQUEUE) = 4\n' +
      'recvfrom(3, "\\x04\\x00\\x00\\x00", 100, MSG_DONTWAIT, NULL, NULL) = 4\n' +
      'recvfrom(3, "", 100, 0, NULL, NULL) = 0\n';
    const ds = parseStrace(t);
    expect(ds.map((d) => [d.syscall, d.line, hex(d.bytes)])).toEqual([['recvfrom', 5, '04000000']]);
  });

  it('fds are per process, inherited by fork, shared with CLONE_FILES, closed, dup2-ed, dropped by exec', () => {
    const w = (pid: number, fd: number) => `${pid}  write(${fd}, "\\x01\\x00\\x00\\x00", 4) = 4\n`;
    const t =
      '100  socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3\n' +
      '100  socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC) = 4\n' +
      '100  clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 200\n' +
      '100  clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD, child_tid=0x7f}, 88) = 300\n' +
      w(200, 3) + // 5: inherited
      '300  close(4)                                = 0\n' +
      w(100, 4) + // 7: closed by the thread, gone for 100 too
      w(999, 3) + // 8: another process, unknown fd
      '200  dup2(3, 9)                              = 9\n' +
      w(200, 9) + // 10
      '200  execve("/bin/x", ["x"], 0x7ffd /* 5 vars */) = 0\n' +
      w(200, 3) + // 12: SOCK_CLOEXEC, gone
      w(200, 9) + // 13: dup2 clears FD_CLOEXEC, kept
      '100  openat(AT_FDCWD, "/dev/zero", O_RDONLY) = 3\n' +
      w(100, 3); // 15: a file now
    const ds = parseStrace(t);
    expect(ds.map((d) => [d.pid, d.fd, d.line])).toEqual([
      [200, 3, 5],
      [200, 9, 10],
      [200, 9, 13],
    ]);
  });

  it('unprefixed lines belong to the only live process; -yy annotations override the table', () => {
    const t =
      'socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) = 3\n' +
      'strace: Process 51 attached\n' +
      '[pid    50] write(3, "\\x01\\x00", 2) = 2\n' +
      '[pid    51] write(3<NETLINK:[ROUTE:51]>, "\\x02\\x00", 2) = 2\n' +
      '[pid    51] write(5<NETLINK:[6477]>, "\\x03\\x00", 2) = 2\n' +
      '[pid    50] write(3<socket:[99]>, "\\x04\\x00", 2) = 2\n' +
      '[pid    50] write(3<UNIX:[1->2]>, "\\x05\\x00", 2) = 2\n' +
      '[pid    51] +++ exited with 0 +++\n' +
      'write(3, "\\x06\\x00", 2)                 = 2\n';
    const ds = parseStrace(t);
    expect(ds.map((d) => [d.pid, d.fd, d.protocol, d.bytes[0]])).toEqual([
      [50, 3, 0, 1],
      [51, 3, 0, 2],
      [51, 5, -1, 3],
      [50, 3, 0, 4],
      [50, 3, 0, 6],
    ]);
  });

  it('-Y comm names in both prefix forms', () => {
    const t =
      '28017<ip> socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3\n' +
      '28017<ip> write(3, "\\x01\\x00", 2) = 2\n' +
      '[pid 28023<ip>] socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 4\n' +
      '[pid 28023<ip>] write(4, "\\x02\\x00", 2) = 2\n';
    expect(parseStrace(t).map((d) => [d.pid, d.fd])).toEqual([
      [28017, 3],
      [28023, 4],
    ]);
  });

  it('sendmmsg: one datagram per message of the dump', () => {
    const t =
      'socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) = 3\n' +
      'sendmmsg(3, [{msg_hdr={...}, msg_len=4}, {msg_hdr={...}, msg_len=4}], 2, 0) = 2\n' +
      dump4 +
      dump4;
    expect(parseStrace(t).map((d) => [d.syscall, hex(d.bytes)])).toEqual([
      ['sendmmsg', '04000000'],
      ['sendmmsg', '04000000'],
    ]);
  });

  it('a string cut by -s is missing bytes', () => {
    const t = 'socket(AF_NETLINK, SOCK_RAW, 0) = 3\nwrite(3, "\\x24\\x00"..., 36) = 36\n';
    expect(throwsDecodeError(() => parseStrace(t)).detail).toMatch(/cut short/);
  });
});

describe('recorded fixtures (scripts/capture-fixtures.ts)', () => {
  const families = ['route', 'link', 'addr', 'rule', 'neigh', 'error', 'monitor'];
  const files = families.flatMap((f) =>
    readdirSync(join(FIXTURES, f))
      .filter((n) => /\.\d{2,}\.hex$/.test(n))
      .map((n) => `${f}/${n}`),
  );

  it('cover every family', () => {
    for (const f of families) expect(files.some((n) => n.startsWith(f + '/')), f).toBe(true);
    expect(files.length).toBeGreaterThan(300);
  });

  it('each is one whole datagram, with a JSON twin that matches it', () => {
    const groups = new Map<string, number[]>();
    for (const name of files) {
      const text = readFileSync(join(FIXTURES, name), 'utf8');
      const [comment] = text.split('\n');
      const ds = parseHexLines(text);
      expect(ds, name).toHaveLength(1);
      const d = ds[0]!;
      headers(d.bytes);
      const json = JSON.parse(readFileSync(join(FIXTURES, name.replace(/\.hex$/, '.json')), 'utf8')) as Record<string, unknown>;
      expect(Object.keys(json).sort()).toEqual(['command', 'direction', 'expected', 'index', 'ip']);
      expect(`# ${json.command as string}`).toBe(comment);
      expect(json.direction).toBe(d.direction);
      const [, base, nn] = /^(.*)\.(\d+)\.hex$/.exec(name)!;
      expect(json.index).toBe(Number(nn));
      groups.set(base!, [...(groups.get(base!) ?? []), Number(nn)]);
    }
    for (const [base, idx] of groups) expect(idx.sort((a, b) => a - b), base).toEqual(idx.map((_, i) => i));
  });

  const datagramsOf = (prefix: string) =>
    files
      .filter((n) => n.startsWith(prefix + '.'))
      .map((n) => parseHexLines(readFileSync(join(FIXTURES, n), 'utf8'))[0]!);
  const jsonOf = (prefix: string) => JSON.parse(readFileSync(join(FIXTURES, `${prefix}.00.json`), 'utf8')) as { command: string; ip: unknown };

  it('error fixtures hold the NLMSG_ERROR behind the stderr text', () => {
    const errnos: Record<string, number> = {
      'File exists': -17, 'Network is unreachable': -101, 'No such process': -3, 'No route to host': -113,
    };
    const bases = [...new Set(files.filter((n) => n.startsWith('error/')).map((n) => n.replace(/\.\d+\.hex$/, '')))];
    expect(bases.length).toBeGreaterThanOrEqual(10);
    for (const base of bases) {
      const stderr = (jsonOf(base).ip as { stderr: string }).stderr.trim();
      const errors = datagramsOf(base)
        .filter((d) => d.direction === '<')
        .flatMap((d) => {
          const v = new DataView(d.bytes.buffer, d.bytes.byteOffset);
          return headers(d.bytes).flatMap((h, i, all) => {
            if (h.type !== 2) return [];
            const off = all.slice(0, i).reduce((a, x) => a + ((x.len + 3) & ~3), 0);
            const err = v.getInt32(off + 16, true);
            return err < 0 ? [{ err, text: Buffer.from(d.bytes.subarray(off, off + h.len)).toString('latin1') }] : [];
          });
        });
      expect(errors.length, base).toBeGreaterThan(0);
      const last = errors[errors.length - 1]!;
      const answer = /^RTNETLINK answers: (.*)$/m.exec(stderr)?.[1];
      if (answer) expect(last.err, base).toBe(errnos[answer]);
      const extack = /^Error: (?:ipv4: )?(.*?)\.?$/m.exec(stderr)?.[1];
      if (extack) expect(last.text, base).toContain(extack);
      expect(answer ?? extack, base).toBeDefined();
    }
  });

  it('route get replies carry the destination that ip -j printed', () => {
    const bases = [...new Set(files.filter((n) => n.startsWith('route/get-')).map((n) => n.replace(/\.\d+\.hex$/, '')))];
    expect(bases.length).toBeGreaterThanOrEqual(17);
    for (const base of bases) {
      const ip = jsonOf(base).ip as { dst: string }[];
      const dst = ip[0]!.dst.split('/')[0]!;
      const replies = datagramsOf(base).filter((d) => d.direction === '<' && d.bytes[4] === 24);
      expect(replies.length, base).toBe(1);
      expect(hex(replies[0]!.bytes), base).toContain(addressHex(dst));
    }
  });

  it('monitor fixtures are notifications and dump replies received by ip monitor', () => {
    const ds = datagramsOf('monitor/all');
    expect(ds.every((d) => d.direction === '<')).toBe(true);
    const types = new Set(ds.flatMap((d) => headers(d.bytes).map((h) => h.type)));
    for (const t of [16, 20, 24, 25, 28, 32, 33]) expect(types.has(t), `type ${t}`).toBe(true);
  });
});

/** Hex of an IPv4 or IPv6 address as it sits in an attribute. */
function addressHex(a: string): string {
  if (a.includes('.')) return a.split('.').map((x) => Number(x).toString(16).padStart(2, '0')).join('');
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join('');
}
