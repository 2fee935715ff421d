/**
 * The socket layer against a fake of the native shim (test/helpers/fake-binding.ts) that
 * plays the kernel: sequencing, matching, multipart, dumps, ext-ack, overruns, timeouts,
 * aborts, spoofing, close, the in-flight bound, batches, subscriptions, back-pressure.
 * Replies are real rtnetlink bytes, encoded with src/netlink/message.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  DumpInterruptedError, NetlinkSocket, DUMP_HIGH_WATER, MAX_SEND_BYTES, RECV_BUFFER_BYTES,
  SUBSCRIPTION_QUEUE_LIMIT,
  type EncodedMessages, type NetlinkSocketOptions,
} from '../../src/netlink/socket.js';
import { decodeDatagram, encodeDatagram, type NlMsg } from '../../src/netlink/message.js';
import { DecodeError, EncodeError, NetlinkError, SyscallError, TimeoutError } from '../../src/netlink/errors.js';
import {
  NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_EXCL, NLM_F_MULTI, NLM_F_REQUEST,
  SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK,
  NETLINK_ADD_MEMBERSHIP, AF_INET, NLMSG_NOOP,
} from '../../src/netlink/constants.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import {
  RTM_NEWROUTE, RTM_GETROUTE, RTM_DELROUTE, RT_TABLE_MAIN, RTPROT_BOOT, RTN_UNICAST, RTN_UNREACHABLE,
} from '../../src/rtnl/route.js';
import {
  FakeBinding, FAKE_CONSTANTS, type FakeBindingOptions, type FakeSocket, doneFor, errorFor,
} from '../helpers/fake-binding.js';
import { annotated } from '../helpers/annotated.js';

const ENOBUFS = FAKE_CONSTANTS.ENOBUFS;

function setup(opts: Omit<NetlinkSocketOptions, 'binding'> = {}, fakeOpts: FakeBindingOptions = {}) {
  const fake = new FakeBinding(fakeOpts);
  const sock = NetlinkSocket.open(rtnetlink, { ...opts, binding: fake });
  return { fake, sock, ks: fake.last, port: sock.portId };
}

/** Every message the socket has sent so far, decoded. */
const sent = (ks: FakeSocket): NlMsg[] => ks.messages(rtnetlink);

/** One turn of the event loop (the fake delivers on setImmediate). */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

const routeAdd = (dst: string, attrs: Record<string, unknown> = {}) => ({
  type: RTM_NEWROUTE,
  flags: NLM_F_CREATE | NLM_F_EXCL,
  body: { family: AF_INET, dstLen: 24, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT, type: RTN_UNREACHABLE },
  attrs: { dst, ...attrs },
});

const routeGet = (dst: string) => ({
  type: RTM_GETROUTE, flags: 0, body: { family: AF_INET, dstLen: 32 }, attrs: { dst },
});

const routeDump = () => ({ type: RTM_GETROUTE, flags: 0, body: { family: AF_INET } });

/** The kernel's RTM_NEWROUTE for `dst`, answering `req`. */
function routeMsg(req: NlMsg, port: number, dst: string, flags = 0): NlMsg {
  return {
    type: RTM_NEWROUTE, flags, seq: req.seq, pid: port,
    body: { family: AF_INET, dstLen: 32, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT, type: RTN_UNICAST },
    attrs: { table: RT_TABLE_MAIN, dst, oif: 2 },
  };
}

/** Messages encoded back to back with seq and pid 0, as a caller's own encoder writes them. */
function encodeAll(msgs: Array<Omit<NlMsg, 'seq' | 'pid'>>): EncodedMessages & { ends: number[] } {
  const parts = msgs.map((m) => encodeDatagram({ messages: [{ ...m, seq: 0, pid: 0 }] }, rtnetlink));
  const bytes = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  const ends: number[] = [];
  let off = 0;
  for (const b of parts) {
    bytes.set(b, off);
    off += b.length;
    ends.push(off);
  }
  return { bytes, ends };
}

/** The bytes of `msgs` as one datagram, as plain numbers (for comparing with copies handed over). */
const bytesOf = (...msgs: NlMsg[]): number[] => [...encodeDatagram({ messages: msgs }, rtnetlink)];

/** Byte arrays as plain numbers; anything else (a decoded message handed over by mistake) as is. */
const asNumbers = (xs: unknown[]): unknown[] => xs.map((x) => (x instanceof Uint8Array ? [...x] : x));

/** What an async iterator yielded before it ended, and the error it ended with, if any. */
async function drain<T>(it: AsyncIterable<T>): Promise<{ got: T[]; err: unknown }> {
  const got: T[] = [];
  try {
    for await (const x of it) got.push(x);
  } catch (err) {
    return { got, err };
  }
  return { got, err: undefined };
}

/** A kernel that acks every request (and answers route gets) inside send, as Linux does. */
function autoKernel(fake: FakeBinding, port: number, errnoFor: (m: NlMsg, i: number) => number = () => 0): void {
  let i = 0;
  fake.onSend = (s, bytes) => {
    const replies: NlMsg[] = [];
    for (const m of decodeDatagram(bytes, rtnetlink).messages) {
      if (m.type === RTM_GETROUTE && !(m.flags & NLM_F_DUMP)) replies.push(routeMsg(m, port, String((m.attrs as { dst: string }).dst)));
      if (replies.length) fake.queueMessages(s, replies.splice(0), rtnetlink);
      fake.queueMessages(s, [errorFor(m, port, errnoFor(m, i++), { proto: rtnetlink })], rtnetlink);
    }
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('open', () => {
  it('sets the NETLINK_* options, SO_RCVBUF, binds with the groups and reads the port id once', () => {
    const { sock, ks } = setup({ groups: 0x41 });
    expect(ks.options.get(`${SOL_NETLINK}:${NETLINK_EXT_ACK}`)).toBe(1);
    expect(ks.options.get(`${SOL_NETLINK}:${NETLINK_CAP_ACK}`)).toBe(1);
    expect(ks.options.get(`${SOL_NETLINK}:${NETLINK_GET_STRICT_CHK}`)).toBe(1);
    expect(ks.options.get(`1:${FAKE_CONSTANTS.SO_RCVBUF}`)).toBe(1 << 20);
    expect(ks.bound).toEqual({ groups: 0x41, pid: 0 });
    expect(sock.portId).toBe(0x88712342);
    expect(sock.features).toEqual({ extAck: true, capAck: true, strictCheck: true });
    expect(sock.rcvbuf).toBe(2 << 20);
    expect(ks.protocol).toBe(0);
    expect(ks.polling).toBe(false);
    sock.close();
  });

  it('tries SO_RCVBUFFORCE first for an explicit rcvbuf, SO_RCVBUF when that is refused', () => {
    const a = setup({ rcvbuf: 4 << 20 });
    expect(a.ks.options.get(`1:${FAKE_CONSTANTS.SO_RCVBUFFORCE}`)).toBe(4 << 20);
    a.sock.close();
    const fake = new FakeBinding();
    fake.failSetsockopt = (level, name) => (level === 1 && name === FAKE_CONSTANTS.SO_RCVBUFFORCE ? -1 : undefined);
    const sock = NetlinkSocket.open(rtnetlink, { binding: fake, rcvbuf: 4 << 20 });
    expect(fake.last.options.get(`1:${FAKE_CONSTANTS.SO_RCVBUF}`)).toBe(4 << 20);
    sock.close();
  });

  it('leaves options off when asked, tolerates a kernel without them, fails when they were required', () => {
    const a = setup({ extAck: false, capAck: false, strictCheck: false });
    expect(a.ks.options.has(`${SOL_NETLINK}:${NETLINK_EXT_ACK}`)).toBe(false);
    expect(a.sock.features).toEqual({ extAck: false, capAck: false, strictCheck: false });
    const fake = new FakeBinding();
    fake.failSetsockopt = (level, name) => (level === SOL_NETLINK && name === NETLINK_GET_STRICT_CHK ? -92 : undefined);
    const old = NetlinkSocket.open(rtnetlink, { binding: fake });
    expect(old.features.strictCheck).toBe(false);
    const e = (() => {
      try {
        NetlinkSocket.open(rtnetlink, { binding: fake, strictCheck: true });
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(SyscallError);
    expect(e).toMatchObject({ code: 'ENOPROTOOPT', syscall: 'setsockopt' });
    expect(fake.last.closed).toBe(true);
  });

  it('throws SyscallError for a failed socket or bind, closing the descriptor', () => {
    const fake = new FakeBinding();
    fake.failOpen = -97;
    expect(() => NetlinkSocket.open(rtnetlink, { binding: fake })).toThrow(SyscallError);
    fake.failOpen = undefined;
    fake.failBind = -98;
    expect(() => NetlinkSocket.open(rtnetlink, { binding: fake })).toThrow(/bind: EADDRINUSE/);
    expect(fake.last.closed).toBe(true);
  });

  it('opens the namespace file for netns, passes its fd and closes it afterwards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nlwire-'));
    try {
      const path = join(dir, 'ns');
      closeSync(openSync(path, 'w'));
      const before = readdirSync('/proc/self/fd').length;
      const fake = new FakeBinding();
      const sock = NetlinkSocket.open(rtnetlink, { binding: fake, netns: path });
      expect(fake.last.netnsFd).toBeGreaterThanOrEqual(0);
      expect(readdirSync('/proc/self/fd').length).toBe(before);
      sock.close();
      expect(() => NetlinkSocket.open(rtnetlink, { binding: fake, netns: 'nlwire-no-such-netns' }))
        .toThrow(/netns \/var\/run\/netns\/nlwire-no-such-netns: open: ENOENT/);
      expect(() => NetlinkSocket.open(rtnetlink, { binding: fake, netns: 999999999 }))
        .toThrow(/\/proc\/999999999\/ns\/net: open: ENOENT/);
      expect(() => NetlinkSocket.open(rtnetlink, { binding: fake, netns: -1 })).toThrow(TypeError);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('request', () => {
  it('numbers requests, fills in the port id, adds REQUEST|ACK and resolves [] on the ACK', async () => {
    const { fake, sock, ks, port } = setup();
    autoKernel(fake, port);
    const r = await Promise.all([
      sock.request(routeAdd('198.51.100.0')),
      sock.request(routeAdd('203.0.113.0')),
      sock.request({ ...routeAdd('192.0.2.0'), seq: 77, pid: 5 }),
    ]);
    expect(r).toEqual([[], [], []]);
    const m = sent(ks);
    expect(m.map((x) => x.seq)).toEqual([1, 2, 3]);
    expect(m.map((x) => x.pid)).toEqual([port, port, port]);
    for (const x of m) expect(x.flags).toBe(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    expect(m[0]!.attrs).toEqual({ dst: '198.51.100.0' });
    // The first request leaves at once; the two made in the same run of microtasks follow
    // in one datagram.
    expect(ks.sent.map((d) => decodeDatagram(d).messages.length)).toEqual([1, 2]);
    expect(sock.stats).toMatchObject({ sent: 2, received: 3, unmatched: 0, spoofed: 0 });
    sock.close();
  });

  it('matches interleaved replies of concurrent requests by seq', async () => {
    const { fake, sock, ks, port } = setup();
    const dsts = ['192.0.2.1', '198.51.100.2', '203.0.113.3', '192.0.2.4'];
    const ps = dsts.map((d) => sock.request(routeGet(d)));
    await Promise.resolve();
    const reqs = sent(ks);
    // Replies in reverse order, two per datagram, ACKs separately and shuffled.
    fake.queueMessages(ks, [routeMsg(reqs[3]!, port, dsts[3]!), routeMsg(reqs[2]!, port, dsts[2]!)], rtnetlink);
    fake.queueMessages(ks, [errorFor(reqs[2]!, port), routeMsg(reqs[1]!, port, dsts[1]!)], rtnetlink);
    fake.queueMessages(ks, [routeMsg(reqs[0]!, port, dsts[0]!), errorFor(reqs[0]!, port)], rtnetlink);
    fake.queueMessages(ks, [errorFor(reqs[3]!, port), errorFor(reqs[1]!, port)], rtnetlink);
    const res = await Promise.all(ps);
    expect(res.map((r) => r.map((m) => (m.attrs as { dst: string }).dst))).toEqual(dsts.map((d) => [d]));
    expect(sock.inFlight).toBe(0);
    sock.close();
  });

  it('without ack, ends at the first reply that is not NLM_F_MULTI', async () => {
    const { fake, sock, ks, port } = setup();
    const p = sock.request(routeGet('192.0.2.9'), { ack: false });
    const [req] = sent(ks);
    expect(req!.flags).toBe(NLM_F_REQUEST);
    fake.queueMessages(ks, [routeMsg(req!, port, '192.0.2.9')], rtnetlink);
    expect((await p).map((m) => m.type)).toEqual([RTM_NEWROUTE]);
    sock.close();
  });

  it('rejects with NetlinkError: errno, code, ext-ack message, attribute name (capped echo)', async () => {
    const { fake, sock, ks } = setup();
    const p = sock.request(routeAdd('198.51.100.0', { prefsrc: '203.0.113.77', oif: 3 }),
      { what: 'route add 198.51.100.0/24' });
    const [req] = sent(ks);
    expect(req!.seq).toBe(1);
    // The kernel's answer with NETLINK_CAP_ACK: the request's header only, then the TLVs.
    // Port id 0x88712342 (the fake's first) is above 2^31, as autobind hands out.
    fake.queue(ks, annotated(`
      48000000 0200 0003 01000000 42237188   # nlmsghdr: 72 bytes, NLMSG_ERROR, CAPPED|ACK_TLVS, seq 1
      eaffffff                               # error -22 (EINVAL)
      34000000 1800 0506 01000000 42237188   # echoed nlmsghdr: nlmsg_len 52 as sent, RTM_NEWROUTE
      1c00 0100                              # NLMSGERR_ATTR_MSG, 28 bytes
        496e76616c696420707265667372632061646472657373 00   # "Invalid prefsrc address", NUL
      0800 0200 24000000                     # NLMSGERR_ATTR_OFFS 36: RTA_PREFSRC in the request
    `));
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err).toMatchObject({
      name: 'NetlinkError', errno: -22, code: 'EINVAL',
      extack: { msg: 'Invalid prefsrc address', offset: 36, attribute: 'RTA_PREFSRC' },
      request: { type: 'RTM_NEWROUTE', seq: 1, what: 'route add 198.51.100.0/24' },
    });
    expect((err as Error).message).toBe('route add 198.51.100.0/24: EINVAL: Invalid prefsrc address (RTA_PREFSRC)');
    sock.close();
  });

  it('names the attribute from a whole echo too (NETLINK_CAP_ACK off)', async () => {
    const { fake, sock, ks, port } = setup({ capAck: false });
    const p = sock.request(routeAdd('198.51.100.0', { prefsrc: '203.0.113.77' }));
    const [req] = sent(ks);
    fake.queueMessages(ks, [errorFor(req!, port, -22, { capped: false, extack: { msg: 'Invalid prefsrc address', offs: 36 } })], rtnetlink);
    await expect(p).rejects.toMatchObject({ code: 'EINVAL', extack: { attribute: 'RTA_PREFSRC' } });
    expect(((await p.catch((e: unknown) => e)) as Error).message).toBe('RTM_NEWROUTE: EINVAL: Invalid prefsrc address (RTA_PREFSRC)');
    sock.close();
  });

  it('reads with no more recvmmsg slots than datagrams can answer: one without ACK, two with', async () => {
    const { fake, sock, port } = setup();
    const maxes: number[] = [];
    const recvMany = fake.recvMany.bind(fake);
    fake.recvMany = (fd, buf, slot, max, flags, meta) => {
      maxes.push(max);
      return recvMany(fd, buf, slot, max, flags, meta);
    };
    fake.onSend = (s, bytes) => {
      for (const req of decodeDatagram(bytes, rtnetlink).messages) {
        const reply = [routeMsg(req, port, '192.0.2.9')];
        if (req.flags & NLM_F_ACK) reply.push(errorFor(req, port));
        for (const m of reply) fake.queueMessages(s, [m], rtnetlink);
      }
    };
    await sock.request(routeGet('192.0.2.9'), { ack: false });
    expect(maxes).toEqual([1]);
    maxes.length = 0;
    expect((await sock.request(routeGet('192.0.2.9'))).map((m) => m.type)).toEqual([RTM_NEWROUTE]);
    expect(maxes).toEqual([2]);
    maxes.length = 0;
    // Three in flight, one of them with an ACK: four datagrams at most.
    await Promise.all([
      sock.request(routeGet('192.0.2.9'), { ack: false }), sock.request(routeGet('192.0.2.9')),
      sock.request(routeGet('192.0.2.9'), { ack: false }),
    ]);
    expect(maxes[0]).toBe(4);
    sock.close();
  });

  it('throws SyscallError when sendmsg fails, EncodeError for a message that cannot be encoded', async () => {
    const { fake, sock } = setup();
    fake.onSend = () => -90;
    await expect(sock.request(routeAdd('198.51.100.0'), { what: 'route add' })).rejects.toThrow('route add: sendmsg: EMSGSIZE');
    expect(sock.inFlight).toBe(0);
    await expect(sock.request(routeAdd('not-an-address'))).rejects.toMatchObject({ name: 'EncodeError' });
    sock.close();
  });
});

describe('dumps', () => {
  /** Answers a route dump with `parts` datagrams of `per` routes each, then DONE. */
  function dumpKernel(fake: FakeBinding, port: number, parts: number, per: number,
    flagsFor: (attempt: number, part: number) => number = () => 0, doneErrno = 0): { attempts: number } {
    const state = { attempts: 0 };
    fake.onSend = (s, bytes) => {
      for (const m of decodeDatagram(bytes, rtnetlink).messages) {
        if (!(m.flags & NLM_F_DUMP)) continue;
        const attempt = state.attempts++;
        for (let p = 0; p < parts; p++) {
          const msgs: NlMsg[] = [];
          for (let i = 0; i < per; i++) {
            msgs.push(routeMsg(m, port, `198.51.100.${p * per + i}`, NLM_F_MULTI | flagsFor(attempt, p)));
          }
          if (p === parts - 1) msgs.push(doneFor(m, port, doneErrno));
          fake.queueMessages(s, msgs, rtnetlink);
        }
      }
    };
    return state;
  }

  /**
   * The dump, restarted once, threw DumpInterruptedError on its second attempt (seq 2); the
   * rest of it was read and dropped and the socket works on. Closes the socket.
   */
  async function expectInterruptedOnce(err: unknown, fake: FakeBinding, sock: NetlinkSocket, port: number): Promise<void> {
    expect(err).toBeInstanceOf(DumpInterruptedError);
    expect(err).toMatchObject({ attempts: 2 });
    expect((err as Error).message).toMatch(/RTM_GETROUTE seq 2: dump interrupted/);
    autoKernel(fake, port);
    await expect(sock.request(routeAdd('198.51.100.0'))).resolves.toEqual([]);
    sock.close();
  }

  it('dumpAll reads a multipart dump to NLMSG_DONE; the request carries REQUEST|DUMP, no ACK', async () => {
    const { fake, sock, ks, port } = setup();
    dumpKernel(fake, port, 3, 5);
    const all = await sock.dumpAll(routeDump());
    expect(all).toHaveLength(15);
    expect(all.map((m) => (m.attrs as { dst: string }).dst)).toEqual([...Array(15).keys()].map((i) => `198.51.100.${i}`));
    expect(sent(ks)[0]!.flags).toBe(NLM_F_REQUEST | NLM_F_DUMP);
    expect(sock.inFlight).toBe(0);
    sock.close();
  });

  it('dump streams the same messages', async () => {
    const { fake, sock, port } = setup();
    dumpKernel(fake, port, 4, 3);
    const got: string[] = [];
    for await (const m of sock.dump(routeDump())) got.push((m.attrs as { dst: string }).dst);
    expect(got).toHaveLength(12);
    sock.close();
  });

  it('an errno in NLMSG_DONE rejects with NetlinkError, after the parts before it', async () => {
    const { fake, sock, port } = setup();
    dumpKernel(fake, port, 2, 2, () => 0, -16);
    await expect(sock.dumpAll(routeDump(), { what: 'route show' })).rejects.toMatchObject({ name: 'NetlinkError', code: 'EBUSY' });
    const got: NlMsg[] = [];
    const err = await (async () => {
      for await (const m of sock.dump(routeDump())) got.push(m);
    })().catch((e: unknown) => e);
    expect(got).toHaveLength(4);
    expect(err).toBeInstanceOf(NetlinkError);
    sock.close();
  });

  it('an NLMSG_ERROR instead of a dump (strict checking) rejects with its ext-ack', async () => {
    const { fake, sock, port } = setup();
    fake.onSend = (s, bytes) => {
      const [m] = decodeDatagram(bytes, rtnetlink).messages;
      fake.queueMessages(s, [errorFor(m!, port, -22, { extack: { msg: 'Invalid header for route dump request' }, proto: rtnetlink })], rtnetlink);
    };
    await expect(sock.dumpAll(routeDump())).rejects.toThrow('RTM_GETROUTE: EINVAL: Invalid header for route dump request');
    sock.close();
  });

  it('dumpAll restarts a dump flagged NLM_F_DUMP_INTR, and gives up after the retries', async () => {
    const { fake, sock, ks, port } = setup();
    const k = dumpKernel(fake, port, 3, 2, (attempt, part) => (attempt < 2 && part === 1 ? NLM_F_DUMP_INTR : 0));
    const all = await sock.dumpAll(routeDump());
    expect(k.attempts).toBe(3);
    expect(all).toHaveLength(6);
    expect(all.every((m) => !(m.flags & NLM_F_DUMP_INTR))).toBe(true);
    expect(sent(ks).map((m) => m.seq)).toEqual([1, 2, 3]);

    const k2 = dumpKernel(fake, port, 2, 2, () => NLM_F_DUMP_INTR);
    const err = await sock.dumpAll(routeDump(), { retries: 2 }).catch((e: unknown) => e);
    expect(k2.attempts).toBe(3);
    expect(err).toBeInstanceOf(DumpInterruptedError);
    expect(err).toMatchObject({ name: 'DumpInterruptedError', attempts: 3, request: { type: 'RTM_GETROUTE' } });
    expect((err as DumpInterruptedError).messages).toHaveLength(4);
    sock.close();
  });

  it('dumpAll sees NLM_F_DUMP_INTR on NLMSG_DONE alone', async () => {
    const { fake, sock, port } = setup();
    let n = 0;
    fake.onSend = (s, bytes) => {
      const [m] = decodeDatagram(bytes, rtnetlink).messages;
      fake.queueMessages(s, [routeMsg(m!, port, '192.0.2.1', NLM_F_MULTI),
        doneFor(m!, port, 0, NLM_F_MULTI | (n++ === 0 ? NLM_F_DUMP_INTR : 0))], rtnetlink);
    };
    expect(await sock.dumpAll(routeDump())).toHaveLength(1);
    expect(n).toBe(2);
    sock.close();
  });

  it('dump restarts while nothing was yielded, throws DumpInterruptedError after', async () => {
    const { fake, sock, port } = setup();
    // Attempt 0: flagged from the first part: restarted silently. Attempt 1: flagged from part 1.
    const k = dumpKernel(fake, port, 3, 2, (attempt, part) => (attempt === 0 || part >= 1 ? NLM_F_DUMP_INTR : 0));
    const got: NlMsg[] = [];
    const err = await (async () => {
      for await (const m of sock.dump(routeDump())) got.push(m);
    })().catch((e: unknown) => e);
    expect(k.attempts).toBe(2);
    expect(got).toHaveLength(2);
    await expectInterruptedOnce(err, fake, sock, port);
  });

  it('runs one dump at a time: the second is sent after the first one\'s NLMSG_DONE', async () => {
    const { fake, sock, ks, port } = setup();
    let sends = 0;
    fake.onSend = () => { sends++; };
    const a = sock.dumpAll(routeDump());
    const b = sock.dumpAll(routeDump());
    const c = sock.request(routeAdd('198.51.100.0'));
    expect(sends).toBe(2); // dump a and the request; dump b waits
    const [da, rc] = sent(ks);
    fake.queueMessages(ks, [errorFor(rc!, port)], rtnetlink);
    await expect(c).resolves.toEqual([]);
    expect(sends).toBe(2);
    fake.queueMessages(ks, [routeMsg(da!, port, '192.0.2.1', NLM_F_MULTI), doneFor(da!, port)], rtnetlink);
    expect(await a).toHaveLength(1);
    expect(sends).toBe(3);
    const db = sent(ks)[2]!;
    fake.queueMessages(ks, [doneFor(db, port)], rtnetlink);
    expect(await b).toEqual([]);
    sock.close();
  });

  it('reads an abandoned dump to its end, discarding it, before the next dump starts', async () => {
    const { fake, sock, ks, port } = setup();
    fake.onSend = () => {};
    const it1 = sock.dump(routeDump());
    const first = it1.next();
    const [d1] = sent(ks);
    fake.queueMessages(ks, [routeMsg(d1!, port, '192.0.2.1', NLM_F_MULTI), routeMsg(d1!, port, '192.0.2.2', NLM_F_MULTI)], rtnetlink);
    expect((await first).value).toMatchObject({ attrs: { dst: '192.0.2.1' } });
    await it1.return!();
    const next = sock.dumpAll(routeDump());
    await turn();
    expect(ks.sent).toHaveLength(1);
    fake.queueMessages(ks, [routeMsg(d1!, port, '192.0.2.3', NLM_F_MULTI), doneFor(d1!, port)], rtnetlink);
    await turn();
    await turn();
    expect(ks.sent).toHaveLength(2);
    const d2 = sent(ks)[1]!;
    fake.queueMessages(ks, [routeMsg(d2, port, '203.0.113.1', NLM_F_MULTI), doneFor(d2, port)], rtnetlink);
    expect((await next).map((m) => (m.attrs as { dst: string }).dst)).toEqual(['203.0.113.1']);
    expect(sock.stats.unmatched).toBe(0);
    sock.close();
  });

  it('stops reading while a slow consumer holds DUMP_HIGH_WATER datagrams, resumes when it catches up', async () => {
    const { fake, sock, ks, port } = setup();
    const parts = 40;
    dumpKernel(fake, port, parts, 4);
    const it = sock.dump(routeDump());
    const first = await it.next();
    expect(first.done).toBe(false);
    for (let i = 0; i < 5; i++) await turn();
    // Read: what the consumer holds, no more; the poll is off until it catches up.
    const read = parts - ks.queue.length;
    expect(read).toBeLessThanOrEqual(DUMP_HIGH_WATER + 1);
    expect(ks.polling).toBe(false);
    let n = 1;
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      n++;
    }
    expect(n).toBe(parts * 4);
    expect(ks.queue).toHaveLength(0);
    sock.close();
  });

  it('reads on past the high-water mark while a request waits for its reply', async () => {
    const { fake, sock, ks, port } = setup();
    const parts = 30;
    dumpKernel(fake, port, parts, 2);
    const it = sock.dump(routeDump());
    await it.next();
    for (let i = 0; i < 3; i++) await turn();
    expect(ks.polling).toBe(false);
    // A request now: its ACK is queued behind the rest of the dump.
    fake.onSend = (s, bytes) => {
      const [m] = decodeDatagram(bytes, rtnetlink).messages;
      fake.queueMessages(s, [errorFor(m!, port)], rtnetlink);
    };
    await expect(sock.request(routeAdd('198.51.100.0'))).resolves.toEqual([]);
    let n = 1;
    for await (const _ of it) n++;
    expect(n).toBe(parts * 2);
    sock.close();
  });

  it('a dump started inside another dump\'s loop waits for it without a deadlock', async () => {
    const { fake, sock, port } = setup();
    dumpKernel(fake, port, 30, 2);
    let outer = 0;
    let inner = 0;
    for await (const _ of sock.dump(routeDump())) {
      if (outer++ === 0) inner = (await sock.dumpAll(routeDump())).length;
    }
    expect([outer, inner]).toEqual([60, 60]);
    sock.close();
  });

  /** Part p of dumpKernel's answer to dump request `d`: its `per` routes. */
  const part = (d: NlMsg, port: number, p: number, per: number, flags = 0): NlMsg[] =>
    [...Array(per).keys()].map((i) => routeMsg(d, port, `198.51.100.${p * per + i}`, NLM_F_MULTI | flags));

  it('dumpBytes yields each datagram\'s data messages as one copy of their bytes, to NLMSG_DONE', async () => {
    const { fake, sock, ks, port } = setup();
    dumpKernel(fake, port, 3, 2);
    const { got, err } = await drain(sock.dumpBytes(routeDump()));
    expect(err).toBeUndefined();
    const [d] = sent(ks);
    expect(d!.flags).toBe(NLM_F_REQUEST | NLM_F_DUMP);
    expect(got.every((b) => b instanceof Uint8Array)).toBe(true);
    expect(asNumbers(got)).toEqual([0, 1, 2].map((p) => bytesOf(...part(d!, port, p, 2))));
    expect(sock.inFlight).toBe(0);
    sock.close();
  });

  it('dumpBytes: an errno in NLMSG_DONE rejects with NetlinkError, after the runs before it', async () => {
    const { fake, sock, ks, port } = setup();
    dumpKernel(fake, port, 2, 2, () => 0, -16);
    const { got, err } = await drain(sock.dumpBytes(routeDump(), { what: 'route show' }));
    expect(asNumbers(got)).toEqual([0, 1].map((p) => bytesOf(...part(sent(ks)[0]!, port, p, 2))));
    expect(err).toBeInstanceOf(NetlinkError);
    expect(err).toMatchObject({ code: 'EBUSY', request: { what: 'route show' } });
    sock.close();
  });

  it('dumpBytes restarts while nothing was yielded, throws DumpInterruptedError after', async () => {
    const { fake, sock, ks, port } = setup();
    // Attempt 0: flagged from the first part: restarted silently. Attempt 1: flagged from part 1.
    const k = dumpKernel(fake, port, 3, 2, (attempt, p) => (attempt === 0 || p >= 1 ? NLM_F_DUMP_INTR : 0));
    const { got, err } = await drain(sock.dumpBytes(routeDump()));
    expect(k.attempts).toBe(2);
    const second = sent(ks)[1]!;
    expect(second.seq).toBe(2);
    // Only part 0 of the second attempt: nothing of the first, nothing flagged.
    expect(asNumbers(got)).toEqual([bytesOf(...part(second, port, 0, 2))]);
    await expectInterruptedOnce(err, fake, sock, port);
  });

  it('dumpBytes splits a datagram\'s run of data messages at a control message in its middle', async () => {
    const { fake, sock, ks, port } = setup();
    fake.onSend = (s, bytes) => {
      const [m] = decodeDatagram(bytes, rtnetlink).messages;
      const [a, b, c, d] = part(m!, port, 0, 4);
      fake.queueMessages(s, [a!, b!, { type: NLMSG_NOOP, flags: NLM_F_MULTI, seq: m!.seq, pid: port }, c!, d!], rtnetlink);
      fake.queueMessages(s, [doneFor(m!, port)], rtnetlink);
    };
    const { got, err } = await drain(sock.dumpBytes(routeDump()));
    expect(err).toBeUndefined();
    const [a, b, c, d] = part(sent(ks)[0]!, port, 0, 4);
    expect(asNumbers(got)).toEqual([bytesOf(a!, b!), bytesOf(c!, d!)]);
    sock.close();
  });

  it('reads a streamed dump on a pool thread while nothing else waits, in order, to NLMSG_DONE', async () => {
    const { fake, sock, port } = setup();
    dumpKernel(fake, port, 12, 3);
    const { got, err } = await drain(sock.dump(routeDump()));
    expect(err).toBeUndefined();
    expect(got.map((m) => (m.attrs as { dst: string }).dst)).toEqual([...Array(36).keys()].map((i) => `198.51.100.${i}`));
    // 12 parts and DONE, at most ASYNC_READ_DATAGRAMS (4) per read on the pool.
    expect(fake.asyncReads).toBeGreaterThanOrEqual(3);
    expect(sock.inFlight).toBe(0);
    sock.close();
  });

  it('a request made while a pool thread reads the dump is answered, and the dump ends', async () => {
    const { fake, sock, port } = setup();
    dumpKernel(fake, port, 10, 2);
    const it = sock.dump(routeDump());
    const first = await it.next();
    expect(first.done).toBe(false);
    // The dump is read on the pool now; a request joins, its ACK queued behind the dump's parts.
    const kernel = fake.onSend!;
    fake.onSend = (s, bytes) => {
      kernel(s, bytes);
      for (const m of decodeDatagram(bytes, rtnetlink).messages) if (!(m.flags & NLM_F_DUMP)) fake.queueMessages(s, [errorFor(m, port)], rtnetlink);
    };
    // NLM_F_CREATE alone: NLM_F_EXCL is NLM_F_MATCH's bit, which dumpKernel takes for a dump.
    const req = sock.request({ ...routeAdd('203.0.113.0'), flags: NLM_F_CREATE });
    const { got, err } = await drain(it);
    expect(err).toBeUndefined();
    expect(got).toHaveLength(19);
    await expect(req).resolves.toEqual([]);
    expect(fake.asyncReads).toBeGreaterThan(0);
    expect(sock.inFlight).toBe(0);
    sock.close();
  });

  it('close() while a pool thread reads the dump rejects the dump with socket closed', async () => {
    const { fake, sock, port } = setup();
    dumpKernel(fake, port, 50, 2);
    const it = sock.dump(routeDump());
    await it.next();
    expect(fake.asyncReads).toBeGreaterThan(0);
    sock.close();
    const { err } = await drain(it);
    expect((err as Error).message).toMatch(/socket closed$/);
    await turn();
    await turn();
  });
});

describe('overruns (ENOBUFS)', () => {
  it('reads what is queued, then rejects the requests whose replies were dropped', async () => {
    const { fake, sock, ks, port } = setup();
    const sub = sock.subscribe([7]);
    const a = sock.request(routeAdd('198.51.100.0'));
    const b = sock.request(routeAdd('203.0.113.0'), { what: 'route add 203.0.113.0/24' });
    const [ra] = sent(ks);
    fake.queueMessages(ks, [errorFor(ra!, port)], rtnetlink);
    fake.overrun(ks);
    await expect(a).resolves.toEqual([]);
    const err = await b.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyscallError);
    expect(err).toMatchObject({ code: 'ENOBUFS', syscall: 'recvmsg' });
    expect((err as Error).message).toMatch(/route add 203\.0\.113\.0\/24: the kernel dropped the reply/);
    expect(sock.stats.overruns).toBe(1);
    expect(await sub.next()).toEqual({ value: { type: 'overrun' }, done: false });
    sock.close();
  });

  it('handles ENOBUFS returned by recv the same way, and dumps carry on', async () => {
    const { fake, sock, ks, port } = setup();
    fake.onSend = () => {};
    const d = sock.dumpAll(routeDump());
    const r = sock.request(routeAdd('198.51.100.0'));
    const [dm] = sent(ks);
    fake.queueMessages(ks, [routeMsg(dm!, port, '192.0.2.1', NLM_F_MULTI)], rtnetlink);
    fake.queueErrno(ks, -ENOBUFS);
    fake.queueMessages(ks, [doneFor(dm!, port)], rtnetlink);
    await expect(r).rejects.toMatchObject({ code: 'ENOBUFS' });
    expect(await d).toHaveLength(1);
    expect(sock.stats.overruns).toBe(1);
    sock.close();
  });
});

describe('timeouts and aborts', () => {
  it('rejects with TimeoutError after the timeout; a late reply is counted as unmatched', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { fake, sock, ks, port } = setup();
    const p = sock.request(routeAdd('198.51.100.0'), { what: 'route add 198.51.100.0/24' });
    const q = sock.request(routeAdd('203.0.113.0'), { timeout: 50 });
    const caught = [p.catch((e: unknown) => e), q.catch((e: unknown) => e)];
    vi.advanceTimersByTime(50);
    const eq = await caught[1];
    expect(eq).toBeInstanceOf(TimeoutError);
    expect((eq as Error).message).toBe('RTM_NEWROUTE seq 2: no reply within 50 ms');
    vi.advanceTimersByTime(9950);
    const ep = await caught[0];
    expect(ep).toMatchObject({ name: 'TimeoutError', request: { seq: 1, what: 'route add 198.51.100.0/24' } });
    expect((ep as Error).message).toBe('route add 198.51.100.0/24: no reply within 10000 ms');
    expect(sock.inFlight).toBe(0);
    // Nothing waits, so nothing reads: the late ACK is read with the next request's.
    fake.queueMessages(ks, [errorFor(sent(ks)[0]!, port)], rtnetlink);
    await turn();
    expect(sock.stats.unmatched).toBe(0);
    autoKernel(fake, port);
    await sock.request(routeAdd('192.0.2.0'));
    expect(sock.stats.unmatched).toBe(1);
    sock.close();
  });

  it('times out each request at its own deadline, in the order sent; those answered never', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { fake, sock, ks, port } = setup();
    const outcome: string[] = [];
    const track = (name: string, p: Promise<unknown>): void => {
      p.then(() => outcome.push(`${name} ok @${Date.now() % 100_000}`), () => outcome.push(`${name} timeout @${Date.now() % 100_000}`));
    };
    const t0 = Date.now();
    const at = (ms: number): number => (t0 + ms) % 100_000;
    track('a', sock.request(routeGet('192.0.2.1'), { timeout: 100 }));
    track('b', sock.request(routeGet('192.0.2.2'), { timeout: 100 }));
    vi.advanceTimersByTime(30);
    track('c', sock.request(routeGet('192.0.2.3'), { timeout: 100 }));
    track('d', sock.request(routeGet('192.0.2.4'), { timeout: 40 }));
    vi.advanceTimersByTime(20);
    track('e', sock.request(routeGet('192.0.2.5'), { timeout: 100 }));
    await turn();
    // b and e answered (reply and ACK) before any deadline.
    const reqs = sent(ks);
    for (const i of [1, 4]) fake.queueMessages(ks, [routeMsg(reqs[i]!, port, `192.0.2.${i + 1}`), errorFor(reqs[i]!, port)], rtnetlink);
    await turn();
    await turn();
    expect(outcome.sort()).toEqual(['b ok @' + at(50), 'e ok @' + at(50)].sort());
    for (let ms = 50; ms < 160; ms += 10) {
      vi.advanceTimersByTime(10);
      await turn();
    }
    expect(outcome.slice(0, 2).sort()).toEqual([`b ok @${at(50)}`, `e ok @${at(50)}`]);
    expect(outcome.slice(2)).toEqual([`d timeout @${at(70)}`, `a timeout @${at(100)}`, `c timeout @${at(130)}`]);
    expect(sock.inFlight).toBe(0);
    sock.close();
  });

  it('times a dump out only while the kernel, not the consumer, is late', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { fake, sock, ks, port } = setup({ timeout: 100 });
    fake.onSend = () => {};
    const it = sock.dump(routeDump());
    const p1 = it.next();
    const [d] = sent(ks);
    vi.advanceTimersByTime(60);
    fake.queueMessages(ks, [routeMsg(d!, port, '192.0.2.1', NLM_F_MULTI), routeMsg(d!, port, '192.0.2.2', NLM_F_MULTI)], rtnetlink);
    await p1;
    vi.advanceTimersByTime(500); // the consumer sits on a buffered message: no timeout
    expect((await it.next()).value).toMatchObject({ attrs: { dst: '192.0.2.2' } });
    const p3 = it.next();
    vi.advanceTimersByTime(100);
    await expect(p3).rejects.toThrow('RTM_GETROUTE seq 1: no dump data within 100 ms');
    sock.close();
  });

  it('an AbortSignal rejects a request in flight or before it is sent, with the reason as cause', async () => {
    const { fake, sock, ks, port } = setup();
    const ac = new AbortController();
    const p = sock.request(routeAdd('198.51.100.0'), { signal: ac.signal, what: 'route add' });
    expect(ks.sent).toHaveLength(1);
    ac.abort(new Error('user gave up'));
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('route add: aborted');
    expect((err as Error).cause).toEqual(new Error('user gave up'));
    await expect(sock.request(routeAdd('203.0.113.0'), { signal: ac.signal })).rejects.toThrow(/aborted/);
    expect(ks.sent).toHaveLength(1);
    fake.queueMessages(ks, [errorFor(sent(ks)[0]!, port)], rtnetlink);
    autoKernel(fake, port);
    await sock.request(routeAdd('192.0.2.0'));
    expect(sock.stats.unmatched).toBe(1);
    sock.close();
  });

  it('an AbortSignal ends a dump; the socket reads its rest and goes on', async () => {
    const { fake, sock, ks, port } = setup();
    fake.onSend = () => {};
    const ac = new AbortController();
    const d = sock.dumpAll(routeDump(), { signal: ac.signal });
    ac.abort();
    await expect(d).rejects.toThrow('RTM_GETROUTE seq 1: aborted');
    const [dm] = sent(ks);
    const d2 = sock.dumpAll(routeDump());
    fake.queueMessages(ks, [routeMsg(dm!, port, '192.0.2.1', NLM_F_MULTI), doneFor(dm!, port)], rtnetlink);
    await turn();
    await turn();
    const d2m = sent(ks)[1]!;
    fake.queueMessages(ks, [doneFor(d2m, port)], rtnetlink);
    expect(await d2).toEqual([]);
    sock.close();
  });
});

describe('senders and decoding', () => {
  it('drops a forged reply from a user socket (nl_pid != 0) and counts it; the true reply resolves', async () => {
    const { fake, sock, ks, port } = setup();
    const p = sock.request(routeGet('192.0.2.1'));
    const [req] = sent(ks);
    fake.queueMessages(ks, [routeMsg(req!, port, '6.6.6.6'), errorFor(req!, port)], rtnetlink, { pid: 4242 });
    fake.queueMessages(ks, [routeMsg(req!, port, '192.0.2.1'), errorFor(req!, port)], rtnetlink);
    const r = await p;
    expect(r.map((m) => (m.attrs as { dst: string }).dst)).toEqual(['192.0.2.1']);
    expect(sock.stats.spoofed).toBe(1);
    sock.close();
  });

  it('ignores replies addressed to another port id', async () => {
    const { fake, sock, ks, port } = setup();
    const p = sock.request(routeAdd('198.51.100.0'));
    const [req] = sent(ks);
    fake.queueMessages(ks, [errorFor(req!, port + 1, -17)], rtnetlink);
    fake.queueMessages(ks, [errorFor(req!, port)], rtnetlink);
    await expect(p).resolves.toEqual([]);
    expect(sock.stats.unmatched).toBe(1);
    sock.close();
  });

  it('rejects the request a reply that does not decode belongs to; the others are unaffected', async () => {
    const { fake, sock, ks, port } = setup();
    const a = sock.request(routeGet('192.0.2.1'));
    const b = sock.request(routeGet('192.0.2.2'));
    await Promise.resolve();
    const [ra, rb] = sent(ks);
    const bad = encodeDatagram({ messages: [routeMsg(ra!, port, '192.0.2.1'), routeMsg(rb!, port, '192.0.2.2'), errorFor(rb!, port)] }, rtnetlink);
    // Cut RTA_DST of the first message short: nla_len 8 → 5 is fine, 200 runs past the message.
    new DataView(bad.buffer).setUint16(16 + 12 + 8, 200, true);
    fake.queue(ks, bad);
    await expect(a).rejects.toBeInstanceOf(DecodeError);
    await expect(b).resolves.toHaveLength(1);
    // Garbage with no owner is counted, not thrown.
    fake.queue(ks, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]));
    const c = sock.request(routeAdd('198.51.100.0'));
    fake.queueMessages(ks, [errorFor(sent(ks)[2]!, port)], rtnetlink);
    await c;
    expect(sock.stats.malformed).toBe(1);
    sock.close();
  });

  it('a datagram longer than the receive buffer fails its request, and the buffer grows', async () => {
    const { fake, sock, ks, port } = setup();
    const big = (req: NlMsg): NlMsg => ({ ...routeMsg(req, port, '192.0.2.1'), attrs: { dst: '192.0.2.1', unknown200: { type: 200, flags: 0, data: new Uint8Array(RECV_BUFFER_BYTES / 2) }, unknown201: { type: 201, flags: 0, data: new Uint8Array(RECV_BUFFER_BYTES / 2) } } });
    const a = sock.request(routeGet('192.0.2.1'));
    fake.queueMessages(ks, [big(sent(ks)[0]!)], rtnetlink);
    await expect(a).rejects.toMatchObject({ code: 'EMSGSIZE' });
    expect(sock.stats.truncated).toBe(1);
    const b = sock.request(routeGet('192.0.2.1'));
    const rb = sent(ks)[1]!;
    fake.queueMessages(ks, [big(rb), errorFor(rb, port)], rtnetlink);
    expect(await b).toHaveLength(1);
    // Only ever MSG_DONTWAIT | MSG_TRUNC: no peeking.
    expect(new Set(ks.recvFlags)).toEqual(new Set([FAKE_CONSTANTS.MSG_DONTWAIT | FAKE_CONSTANTS.MSG_TRUNC]));
    sock.close();
  });

  it('hands a copy of every datagram to onDatagram', async () => {
    const seen: Array<[string, number]> = [];
    const { fake, sock, port } = setup({ onDatagram: (dir, b) => seen.push([dir, b.length]) });
    autoKernel(fake, port);
    await sock.request(routeAdd('198.51.100.0'));
    expect(seen).toEqual([['>', 36], ['<', 36]]);
    sock.close();
  });
});

describe('close', () => {
  it('rejects everything in flight or waiting with "socket closed", ends subscriptions, is idempotent', async () => {
    const { sock, ks } = setup({ maxInFlight: 2 });
    const ps = [
      sock.request(routeAdd('198.51.100.0')),
      sock.dumpAll(routeDump()),
      sock.request(routeAdd('203.0.113.0')), // waits for a slot
      sock.dumpAll(routeDump()), // waits for the dump lane
      sock.requestBatch([routeAdd('192.0.2.0')]),
    ];
    const it = sock.dump(routeDump());
    const itNext = it.next();
    const sub = sock.subscribe([7]);
    const subNext = sub.next();
    expect(ks.sent).toHaveLength(2);
    sock.close();
    sock.close();
    const errs = await Promise.all(ps.map((p) => (p as Promise<unknown>).catch((e: unknown) => e)));
    for (const e of errs) {
      expect(e).toBeInstanceOf(TimeoutError);
      expect((e as Error).message).toMatch(/socket closed$/);
    }
    await expect(itNext).rejects.toThrow(/socket closed/);
    expect(await subNext).toEqual({ value: undefined, done: true });
    expect(ks.closed).toBe(true);
    await expect(sock.request(routeAdd('198.51.100.0'))).rejects.toThrow('RTM_NEWROUTE seq 0: socket closed');
    expect(ks.sent).toHaveLength(2);
    expect(sock.closed).toBe(true);
  });
});

describe('the in-flight bound', () => {
  it('sends no more than maxInFlight at once; the rest wait in order', async () => {
    const { fake, sock, ks, port } = setup({ maxInFlight: 3 });
    const ps = [...Array(10).keys()].map((i) => sock.request(routeAdd(`198.51.100.${i}`)));
    await Promise.resolve();
    expect(sent(ks)).toHaveLength(3);
    const answered = new Set<number>();
    let max = 0;
    while (sent(ks).length < 10 || sock.inFlight > 0) {
      max = Math.max(max, sock.inFlight);
      const pending = sent(ks).filter((m) => !answered.has(m.seq));
      for (const m of pending) {
        answered.add(m.seq);
        fake.queueMessages(ks, [errorFor(m, port)], rtnetlink);
      }
      await turn();
    }
    await Promise.all(ps);
    expect(max).toBe(3);
    expect(sent(ks).map((m) => (m.attrs as { dst: string }).dst)).toEqual([...Array(10).keys()].map((i) => `198.51.100.${i}`));
    sock.close();
  });
});

describe('requestBatch', () => {
  it('packs the messages into one sendmsg and reports each result, duplicates as EEXIST', async () => {
    const { fake, sock, ks, port } = setup();
    autoKernel(fake, port, (m) => ([3, 7].includes(m.seq - 1) ? -17 : 0));
    const msgs = [...Array(10).keys()].map((i) => routeAdd(`198.51.100.${i}`));
    const res = await sock.requestBatch(msgs, { what: 'route add' });
    expect(ks.sent).toHaveLength(1);
    expect(sent(ks)).toHaveLength(10);
    expect(res.map((r) => r.ok)).toEqual([true, true, true, false, true, true, true, false, true, true]);
    const bad = res[3]!;
    if (bad.ok) throw new Error('expected a failure');
    expect(bad.error).toBeInstanceOf(NetlinkError);
    expect(bad.error.code).toBe('EEXIST');
    expect(bad.error.message).toBe('route add [3]: EEXIST');
    sock.close();
  });

  it('cuts big batches into sends of at most 64 KiB and as many ACKs as the buffer holds', async () => {
    const { fake, sock, ks, port } = setup({}, { rcvbuf: 212992 });
    autoKernel(fake, port);
    const msgs = [...Array(3000).keys()].map((i) => routeAdd(`198.51.${100 + (i >> 8)}.${i & 255}`));
    const res = await sock.requestBatch(msgs);
    expect(res.every((r) => r.ok)).toBe(true);
    for (const b of ks.sent) expect(b.length).toBeLessThanOrEqual(MAX_SEND_BYTES);
    // 212992 / 2 / 1024 = 104 ACKs per send.
    expect(ks.sent.length).toBe(Math.ceil(3000 / 104));
    expect(sent(ks).map((m) => m.seq)).toEqual([...Array(3000).keys()].map((i) => i + 1));

    const big = setup({ rcvbuf: 8 << 20 });
    autoKernel(big.fake, big.port);
    await big.sock.requestBatch(msgs);
    for (const b of big.ks.sent) expect(b.length).toBeLessThanOrEqual(MAX_SEND_BYTES);
    expect(big.ks.sent.length).toBe(Math.ceil((3000 * 36) / MAX_SEND_BYTES));
    sock.close();
    big.sock.close();
  });

  it('respects maxInFlight and rejects as a whole for a failure that is not the kernel\'s', async () => {
    const { fake, sock, ks, port } = setup({ maxInFlight: 4 });
    autoKernel(fake, port);
    const res = await sock.requestBatch([...Array(10).keys()].map((i) => routeAdd(`198.51.100.${i}`)));
    expect(res).toHaveLength(10);
    expect(ks.sent.length).toBe(3);
    fake.onSend = () => -105;
    await expect(sock.requestBatch([routeAdd('198.51.100.0')])).rejects.toMatchObject({ name: 'SyscallError', code: 'ENOBUFS' });
    await expect(sock.requestBatch([routeAdd('nope')])).rejects.toMatchObject({ name: 'EncodeError' });
    sock.close();
  });
});

describe('subscriptions', () => {
  it('joins the groups, yields multicast notifications of them, leaves on return', async () => {
    const { fake, sock, ks, port } = setup();
    const sub = sock.subscribe([7, 11]);
    expect(ks.memberships).toEqual(new Set([7, 11]));
    expect(ks.options.get(`${SOL_NETLINK}:${NETLINK_ADD_MEMBERSHIP}`)).toBeDefined();
    expect(ks.polling).toBe(true);
    const note: NlMsg = { type: RTM_DELROUTE, flags: 0, seq: 0, pid: 0, body: { family: AF_INET, dstLen: 24 }, attrs: { dst: '198.51.100.0' } };
    fake.queueMessages(ks, [note], rtnetlink, { groups: 1 << 6 });
    fake.queueMessages(ks, [{ ...note, attrs: { dst: '203.0.113.0' } }], rtnetlink, { groups: 1 << 0 }); // group 1: not ours
    fake.queueMessages(ks, [{ ...note, type: RTM_NEWROUTE }], rtnetlink, { groups: 1 << 10 });
    const a = await sub.next();
    expect(a.value).toMatchObject({ type: 'message', msg: { type: RTM_DELROUTE, attrs: { dst: '198.51.100.0' } } });
    const b = await sub.next();
    expect(b.value).toMatchObject({ type: 'message', msg: { type: RTM_NEWROUTE } });
    expect(sock.stats.unmatched).toBe(1);
    await sub.return!();
    expect(ks.memberships).toEqual(new Set());
    await turn();
    expect(ks.polling).toBe(false);
    void port;
    sock.close();
  });

  it('yields one overrun when the consumer falls too far behind', async () => {
    const { fake, sock, ks } = setup();
    const sub = sock.subscribe([7]);
    const note: NlMsg = { type: RTM_NEWROUTE, flags: 0, seq: 0, pid: 0, body: { family: AF_INET }, attrs: {} };
    const dg = encodeDatagram({ messages: [note] }, rtnetlink);
    // SUBSCRIPTION_QUEUE_LIMIT fill the queue; the next is lost with them; then three more.
    for (let i = 0; i < SUBSCRIPTION_QUEUE_LIMIT + 4; i++) ks.queue.push({ bytes: dg, pid: 0, groups: 1 << 6 });
    fake.deliver();
    expect(ks.queue).toHaveLength(0);
    expect((await sub.next()).value).toEqual({ type: 'overrun' });
    for (let i = 0; i < 3; i++) expect((await sub.next()).value).toMatchObject({ type: 'message' });
    const more = sub.next();
    const tick = await Promise.race([more.then(() => 'more'), turn().then(() => 'none')]);
    expect(tick).toBe('none');
    sock.close();
  });
});

describe('polling', () => {
  it('polls only while something waits, and keeps the registration across back-to-back requests', async () => {
    const { fake, sock, ks, port } = setup();
    autoKernel(fake, port);
    expect(ks.polling).toBe(false);
    for (let i = 0; i < 20; i++) await sock.request(routeAdd(`198.51.100.${i}`));
    expect(ks.pollCalls).toBe(1);
    await turn();
    expect(ks.polling).toBe(false);
    expect(ks.pollStopCalls).toBe(1);
    // One receive per reply: reading stops when nothing waits, without a recv for EAGAIN.
    expect(ks.recvFlags.length).toBe(20);
    sock.close();
  });
});

describe('requestEncoded', () => {
  /** `m` encoded with a stale seq and pid (the socket must overwrite them). */
  const encodedWithGarbage = (m: Omit<NlMsg, 'seq' | 'pid'>): Uint8Array =>
    encodeDatagram({ messages: [{ ...m, seq: 0xdeadbeef, pid: 4242 }] }, rtnetlink);

  it('sends a copy with seq, pid, REQUEST|ACK filled in; the caller may reuse its buffer at once', async () => {
    const { fake, sock, ks, port } = setup();
    const buf = new Uint8Array(256);
    const add = encodedWithGarbage(routeAdd('198.51.100.0'));
    const get = encodedWithGarbage(routeGet('192.0.2.9'));
    buf.set(add);
    const p1 = sock.requestEncoded(buf, add.length);
    buf.fill(0xff);
    buf.set(get);
    const p2 = sock.requestEncoded(buf, get.length);
    // The second leaves with the microtask flush, after its bytes were overwritten here.
    buf.fill(0xff);
    await Promise.resolve();
    expect(ks.sent.map((d) => d.length)).toEqual([add.length, get.length]);
    const [a, b] = sent(ks);
    expect(a).toMatchObject({ type: RTM_NEWROUTE, seq: 1, pid: port, flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, attrs: { dst: '198.51.100.0' } });
    expect(b).toMatchObject({ type: RTM_GETROUTE, seq: 2, pid: port, flags: NLM_F_REQUEST | NLM_F_ACK, attrs: { dst: '192.0.2.9' } });
    // Everything but the header fields the socket fills in is sent as the caller wrote it.
    expect([...ks.sent[1]!.subarray(16)]).toEqual([...get.subarray(16)]);
    expect([...ks.sent[1]!.subarray(0, 6)]).toEqual([...get.subarray(0, 6)]);
    // Two datagrams of replies for the get: one copy per run of data messages in each.
    const r = (dst: string): NlMsg => routeMsg(b!, port, dst, NLM_F_MULTI);
    fake.queueMessages(ks, [r('192.0.2.9'), r('192.0.2.10')], rtnetlink);
    fake.queueMessages(ks, [r('192.0.2.11'), errorFor(b!, port)], rtnetlink);
    fake.queueMessages(ks, [errorFor(a!, port)], rtnetlink);
    expect(await p1).toEqual([]);
    const replies = await p2;
    expect(replies.every((x) => x instanceof Uint8Array)).toBe(true);
    expect(asNumbers(replies)).toEqual([bytesOf(r('192.0.2.9'), r('192.0.2.10')), bytesOf(r('192.0.2.11'))]);
    expect(sock.inFlight).toBe(0);
    sock.close();
  });

  it('without ack, sends no NLM_F_ACK and ends at the first reply that is not NLM_F_MULTI', async () => {
    const { fake, sock, ks, port } = setup();
    const get = encodedWithGarbage(routeGet('192.0.2.9'));
    const p = sock.requestEncoded(get, get.length, { ack: false });
    const [req] = sent(ks);
    expect(req!.flags).toBe(NLM_F_REQUEST);
    fake.queueMessages(ks, [routeMsg(req!, port, '192.0.2.9', NLM_F_MULTI)], rtnetlink);
    fake.queueMessages(ks, [routeMsg(req!, port, '192.0.2.10')], rtnetlink);
    expect(asNumbers(await p)).toEqual([bytesOf(routeMsg(req!, port, '192.0.2.9', NLM_F_MULTI)), bytesOf(routeMsg(req!, port, '192.0.2.10'))]);
    expect(sock.inFlight).toBe(0);
    sock.close();
  });

  it('rejects with EncodeError, sending nothing, unless bytes[0, len) is one whole message', async () => {
    const { sock, ks } = setup();
    const one = encodeAll([routeGet('192.0.2.9')]).bytes;
    const padded = new Uint8Array(one.length + 16);
    padded.set(one);
    const cases: Array<[Uint8Array, number]> = [
      [one, 15], // shorter than a header
      [one, one.length + 4], // past the end of the bytes
      [padded, one.length + 4], // nlmsg_len says less
      [padded, one.length - 4], // nlmsg_len says more
      [one, Number.NaN],
    ];
    for (const [bytes, len] of cases) {
      const err = await sock.requestEncoded(bytes, len).catch((e: unknown) => e);
      expect(err, `len ${len}`).toBeInstanceOf(EncodeError);
      expect(err).toMatchObject({ path: 'requestEncoded' });
    }
    expect(ks.sent).toHaveLength(0);
    expect(sock.inFlight).toBe(0);
    sock.close();
  });

  it('rejects with NetlinkError naming the attribute at the ext-ack offset of the bytes as sent', async () => {
    const { fake, sock, ks, port } = setup();
    // dst at 28, prefsrc at 36, oif at 44 (nlmsghdr 16 + rtmsg 12, then 8 bytes each).
    const { bytes } = encodeAll([routeAdd('198.51.100.0', { prefsrc: '203.0.113.77', oif: 3 })]);
    const p = sock.requestEncoded(bytes, bytes.length, { what: 'route add 198.51.100.0/24' });
    const q = sock.requestEncoded(bytes, bytes.length);
    bytes.fill(0); // the socket names the attribute from its own copy
    await Promise.resolve();
    const [a, b] = sent(ks);
    // NETLINK_CAP_ACK: the echo is the header only, so only the request as sent can tell.
    fake.queueMessages(ks, [errorFor(a!, port, -22, { extack: { msg: 'Invalid prefsrc address', offs: 36 }, proto: rtnetlink })], rtnetlink);
    fake.queueMessages(ks, [errorFor(b!, port, -19, { extack: { offs: 48 }, proto: rtnetlink })], rtnetlink);
    const ea = await p.catch((e: unknown) => e);
    expect(ea).toBeInstanceOf(NetlinkError);
    expect(ea).toMatchObject({
      code: 'EINVAL', extack: { msg: 'Invalid prefsrc address', offset: 36, attribute: 'RTA_PREFSRC' },
      request: { type: 'RTM_NEWROUTE', seq: 1, what: 'route add 198.51.100.0/24' },
    });
    expect((ea as Error).message).toBe('route add 198.51.100.0/24: EINVAL: Invalid prefsrc address (RTA_PREFSRC)');
    // An offset inside an attribute's payload names that attribute.
    await expect(q).rejects.toMatchObject({ code: 'ENODEV', extack: { offset: 48, attribute: 'RTA_OIF' }, request: { seq: 2 } });
    sock.close();
  });
});

describe('coalescing', () => {
  it('the first request of a run of microtasks leaves at once, the rest in one datagram; after an await, a new one', async () => {
    const { fake, sock, ks, port } = setup();
    autoKernel(fake, port);
    const get = encodeAll([routeGet('192.0.2.2')]).bytes;
    const ps: Array<Promise<unknown>> = [sock.request(routeAdd('198.51.100.0'))];
    expect(ks.sent).toHaveLength(1);
    ps.push(sock.requestEncoded(get, get.length), sock.request(routeAdd('203.0.113.0')));
    expect(ks.sent).toHaveLength(1);
    await Promise.resolve();
    expect(ks.sent).toHaveLength(2);
    ps.push(sock.request(routeAdd('192.0.2.0')));
    const [r0, r1, r2, r3] = await Promise.all(ps);
    expect(ks.sent.map((d) => decodeDatagram(d, rtnetlink).messages.map((m) => m.seq))).toEqual([[1], [2, 3], [4]]);
    expect(sent(ks).map((m) => (m.attrs as { dst: string }).dst)).toEqual(['198.51.100.0', '192.0.2.2', '203.0.113.0', '192.0.2.0']);
    expect([r0, r2, r3]).toEqual([[], [], []]);
    expect(asNumbers(r1 as Uint8Array[])).toEqual([bytesOf(routeMsg(sent(ks)[1]!, port, '192.0.2.2'))]);
    expect(sock.stats.sent).toBe(3);
    sock.close();
  });
});

describe('requestBatch with EncodedMessages', () => {
  const adds = (n: number): EncodedMessages & { ends: number[] } =>
    encodeAll([...Array(n).keys()].map((i) => routeAdd(`198.51.100.${i}`)));

  /** A kernel that answers each message of a send with `reply(m)`, one datagram each. */
  function kernel(fake: FakeBinding, reply: (m: NlMsg) => NlMsg | undefined): void {
    fake.onSend = (s, bytes) => {
      for (const m of decodeDatagram(bytes, rtnetlink).messages) {
        const r = reply(m);
        if (r) fake.queueMessages(s, [r], rtnetlink);
      }
    };
  }

  it('checks every message before sending anything: EncodeError names the bad one', async () => {
    const { sock, ks } = setup();
    const { bytes, ends } = adds(3); // 36 bytes each: ends 36, 72, 108
    const before = [...bytes];
    const cases: Array<[number[], number]> = [
      [[36, 76, 108], 1], // a slot longer than its message
      [[36, 70, 108], 1], // not 4-aligned
      [[36, 36, 108], 1], // empty
      [[32, 72, 108], 0], // shorter than its message
      [[36, 72, 112], 2], // past the end of the bytes
    ];
    expect(ends).toEqual([36, 72, 108]);
    for (const [e, i] of cases) {
      const err = await sock.requestBatch({ bytes, ends: e }).catch((x: unknown) => x);
      expect(err, JSON.stringify(e)).toBeInstanceOf(EncodeError);
      expect(err).toMatchObject({ path: `requestBatch message ${i}` });
    }
    const short = bytes.slice();
    new DataView(short.buffer).setUint32(72, 12, true); // nlmsg_len 12 < a header
    await expect(sock.requestBatch({ bytes: short, ends })).rejects.toMatchObject({ name: 'EncodeError', path: 'requestBatch message 2' });
    expect(ks.sent).toHaveLength(0);
    expect(sock.inFlight).toBe(0);
    expect([...bytes]).toEqual(before);
    sock.close();
  });

  it('numbers the messages in place, consecutively; one result per message, kernel errors in their slots', async () => {
    const { fake, sock, ks, port } = setup();
    const enc = encodeAll([...Array(6).keys()].map((i) => routeAdd(`198.51.100.${i}`, i === 4 ? { prefsrc: '203.0.113.77' } : {})));
    kernel(fake, (m) => errorFor(m, port, m.seq === 2 ? -17 : m.seq === 5 ? -22 : 0,
      { proto: rtnetlink, ...(m.seq === 5 ? { extack: { msg: 'Invalid prefsrc address', offs: 36 } } : {}) }));
    const res = await sock.requestBatch(enc, { what: 'route add' });
    expect(ks.sent).toHaveLength(1);
    expect(sent(ks).map((m) => [m.seq, m.pid, m.flags])).toEqual([...Array(6).keys()].map((i) =>
      [i + 1, port, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL]));
    expect(res.map((r) => r.ok)).toEqual([true, false, true, true, false, true]);
    expect(res[1]).toMatchObject({ ok: false, error: { name: 'NetlinkError', code: 'EEXIST', message: 'route add [1]: EEXIST', request: { seq: 2 } } });
    expect(res[4]).toMatchObject({ ok: false, error: { code: 'EINVAL', extack: { attribute: 'RTA_PREFSRC' } } });
    expect((res[4] as { error: Error }).error.message).toBe('route add [4]: EINVAL: Invalid prefsrc address (RTA_PREFSRC)');
    for (const i of [0, 2, 3, 5]) expect(res[i]).toEqual({ ok: true, replies: [] });
    expect(Object.isFrozen(res[0])).toBe(true);
    expect(sock.inFlight).toBe(0);
    sock.close();
  });

  it('with ack: false and raw: true, each message ends at its first reply that is not NLM_F_MULTI, replies as bytes', async () => {
    const { fake, sock, ks, port } = setup();
    const part = (m: NlMsg, flags = 0): NlMsg => routeMsg(m, port, String((m.attrs as { dst: string }).dst), flags);
    fake.onSend = (s, bytes) => {
      for (const m of decodeDatagram(bytes, rtnetlink).messages) {
        if (m.seq === 1) fake.queueMessages(s, [part(m, NLM_F_MULTI)], rtnetlink);
        fake.queueMessages(s, [m.seq === 2 ? errorFor(m, port, -101, { proto: rtnetlink }) : part(m)], rtnetlink);
      }
    };
    const res = await sock.requestBatch(encodeAll(['192.0.2.1', '203.0.113.9', '192.0.2.3'].map(routeGet)),
      { ack: false, raw: true, what: 'route get' });
    const reqs = sent(ks);
    expect(reqs.map((m) => m.flags)).toEqual([NLM_F_REQUEST, NLM_F_REQUEST, NLM_F_REQUEST]);
    expect(res.map((r) => r.ok)).toEqual([true, false, true]);
    expect(res[1]).toMatchObject({ ok: false, error: { code: 'ENETUNREACH', message: 'route get [1]: ENETUNREACH' } });
    const replies = res.map((r) => (r.ok ? asNumbers(r.replies) : undefined));
    expect(replies).toEqual([[bytesOf(part(reqs[0]!, NLM_F_MULTI)), bytesOf(part(reqs[0]!))], undefined, [bytesOf(part(reqs[2]!))]]);
    expect(sock.inFlight).toBe(0);
    sock.close();
  });

  it('raw: a data reply after a control message in the same datagram is still handed over as bytes', async () => {
    const { fake, sock, ks, port } = setup();
    fake.onSend = (s, bytes) => {
      const [a, b] = decodeDatagram(bytes, rtnetlink).messages;
      fake.queueMessages(s, [errorFor(a!, port, -101, { proto: rtnetlink }), routeMsg(b!, port, '192.0.2.3')], rtnetlink);
    };
    const res = await sock.requestBatch(encodeAll(['203.0.113.9', '192.0.2.3'].map(routeGet)), { ack: false, raw: true });
    expect(res[0]).toMatchObject({ ok: false, error: { code: 'ENETUNREACH' } });
    expect(res[1]!.ok && asNumbers(res[1]!.replies)).toEqual([bytesOf(routeMsg(sent(ks)[1]!, port, '192.0.2.3'))]);
    sock.close();
  });

  it('a timeout fails the whole batch with TimeoutError naming the first message not answered', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { fake, sock, port } = setup();
    kernel(fake, (m) => ([1, 2, 4].includes(m.seq) ? errorFor(m, port, 0, { proto: rtnetlink }) : undefined));
    const p = sock.requestBatch(adds(5), { timeout: 50, what: 'route add' }).catch((e: unknown) => e);
    await turn();
    await turn();
    expect(sock.inFlight).toBe(2);
    vi.advanceTimersByTime(50);
    const err = await p;
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('route add [2]: no reply within 50 ms');
    expect(err).toMatchObject({ request: { seq: 3, what: 'route add [2]' } });
    expect(sock.inFlight).toBe(0);
    sock.close();
  });

  it('an overrun fails the batch with SyscallError ENOBUFS', async () => {
    const { fake, sock, port } = setup();
    fake.onSend = (s, bytes) => {
      const [m] = decodeDatagram(bytes, rtnetlink).messages;
      fake.queueMessages(s, [errorFor(m!, port, 0, { proto: rtnetlink })], rtnetlink);
      fake.queueErrno(s, -ENOBUFS);
    };
    const err = await sock.requestBatch(adds(3), { what: 'route add' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyscallError);
    expect(err).toMatchObject({ code: 'ENOBUFS' });
    expect((err as Error).message).toMatch(/^route add: the kernel dropped a reply/);
    expect(sock.inFlight).toBe(0);
    sock.close();
  });

  it('close() rejects a batch in flight (and its chunks waiting for slots), leaving nothing in flight', async () => {
    const { fake, sock, ks } = setup({ maxInFlight: 2 });
    fake.onSend = () => {};
    const p = sock.requestBatch(adds(5), { what: 'route add' }).catch((e: unknown) => e);
    expect(ks.sent).toHaveLength(1);
    expect(sock.inFlight).toBe(2);
    sock.close();
    const err = await p;
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('route add: socket closed');
    expect(sock.inFlight).toBe(0);
    expect(ks.sent).toHaveLength(1);
  });
});
