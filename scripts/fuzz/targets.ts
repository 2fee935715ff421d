/**
 * The decoders under fuzz, each with its input generator and its oracle.
 *
 * Every oracle checks that nothing but DecodeError is thrown, plus what the decoder
 * promises beyond that: decodeDatagram's `partial.messages` equal a decode of the prefix
 * before the faulty message and re-encoding a successful decode gives the input back
 * (directly and through JSON); explain rows tile the input; readers return no more bytes
 * than they were given; the CLI exits 0, 1 or 2 with one line on stderr and no stack trace.
 * Time and memory are checked by the runner.
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { DecodeError, EncodeError } from '../../src/netlink/errors.js';
import { decodeDatagram, encodeDatagram, typeName, type Protocol, type Datagram as NlDatagram } from '../../src/netlink/message.js';
import { datagramToJSON, datagramFromJSON } from '../../src/netlink/json.js';
import { explainDatagram, formatExplain } from '../../src/netlink/explain.js';
import { rtnetlink } from '../../src/rtnl/protocol.js';
import { decodeRoutes } from '../../src/rtnl/route-decode.js';
import { routeView, type Route } from '../../src/rtnl/request.js';
import { readPcap } from '../../src/capture/pcap.js';
import { readPcapng } from '../../src/capture/pcapng.js';
import { readCapture, detectFormat, type CaptureFormat } from '../../src/capture/detect.js';
import { parseStrace } from '../../src/capture/strace.js';
import { parseHexLines, formatHexLines } from '../../src/capture/hexlines.js';
import { run, type CliIO } from '../../src/cli/main.js';
import type { Rng } from './rng.js';
import type { Seeds } from './seeds.js';
import { u32, align4 } from './layout.js';
import { mutateNetlink, mutateBytes, MAX_INPUT } from './mutate.js';
import { makeExtAck } from './extack.js';
import { buildPcap, buildPcapng, mutatePcap, mutatePcapng, type Datagram } from './capture.js';
import { makeStrace, straceWindow, mutateStraceOnce, makeHexLines, mutateHexOnce } from './text.js';
import { mutateJSON } from './json.js';
import { datagramArb } from './arbitrary.js';

/** One fuzz input. Byte decoders read `bytes`, text decoders `text`; the CLI also `argv`. */
export interface Input {
  bytes?: Uint8Array;
  text?: string;
  argv?: string[];
  /** For `detect`: the format forced on readCapture (`auto` detects). */
  format?: CaptureFormat | 'auto';
}

/**
 * What went wrong: an exception other than DecodeError, a partial decode that disagrees with
 * the prefix, a lossy round trip, explain rows that do not tile, output larger than input, a
 * CLI that misreports, an input too slow for its size, or a result too big for it.
 */
export type FailureKind = 'exception' | 'partial' | 'roundtrip' | 'tiling' | 'bound' | 'cli' | 'slow' | 'memory' | 'fastpath';

/** One broken promise. */
export interface Failure {
  kind: FailureKind;
  detail: string;
}

/** A decoder under fuzz: its inputs and its oracle. */
export interface Target {
  name: string;
  /** Relative share of the inputs in a mixed run. */
  weight: number;
  generate(rng: Rng, g: Gen): Input;
  /** The oracle; what the decoder returned goes into `keep` for the memory probe. */
  check(input: Input, keep?: unknown[]): Failure | undefined | Promise<Failure | undefined>;
  /** Just the decoder calls the oracle makes, errors swallowed: what the clock measures. */
  decode(input: Input): unknown;
}

/** Size of an input in bytes (text counts its UTF-16 units). */
export function inputSize(i: Input): number {
  return i.bytes?.length ?? i.text?.length ?? 0;
}

const routeArb = datagramArb(rtnetlink);

/** What the generators share: the seeds. Generation depends on nothing but the Rng. */
export class Gen {
  readonly all: Uint8Array[];
  constructor(readonly seeds: Seeds) {
    this.all = [...seeds.route, ...seeds.other];
  }

  /**
   * A datagram from rtnetlink's tables, drawn by fast-check from this Rng (it serves as the
   * pure-rand generator), with fast-check's bias towards small and edge values.
   */
  fcDatagram(rng: Rng): Uint8Array {
    return routeArb.generate(new fc.Random(rng.clone()), rng.pick([undefined, 2, 5, 20])).value;
  }

  /** A NETLINK_ROUTE datagram: recorded, fast-check, ext-ack or random; then mutated. */
  route(rng: Rng, proto: Protocol | undefined = rtnetlink): Uint8Array {
    const r = rng.int(100);
    let b: Uint8Array;
    if (r < 65) b = rng.pick(this.seeds.route);
    else if (r < 85) b = this.fcDatagram(rng);
    else if (r < 93) b = makeExtAck(rng, rng.pick(this.seeds.route), proto, this.seeds.route);
    else if (r < 96) b = rng.pick(this.all);
    else return rng.bytes(rng.small(512));
    return rng.chance(0.92) ? mutateNetlink(rng, b, proto, this.seeds.route) : b;
  }

  /** Any datagram, any protocol, mutated without the rtnetlink tables. */
  any(rng: Rng): Uint8Array {
    if (rng.chance(0.05)) return rng.bytes(rng.small(300));
    const b = rng.chance(0.7) ? rng.pick(this.all) : this.fcDatagram(rng);
    return rng.chance(0.9) ? mutateNetlink(rng, b, rng.chance(0.5) ? undefined : rtnetlink, this.all) : b;
  }

  extack(rng: Rng): Uint8Array {
    const b = makeExtAck(rng, rng.pick(this.seeds.route), rtnetlink, this.seeds.route);
    return rng.chance(0.6) ? mutateNetlink(rng, b, rtnetlink, this.seeds.route) : b;
  }

  /** 1 to 6 datagrams for a capture file, half of them mutated. */
  datagrams(rng: Rng): Datagram[] {
    const out: Datagram[] = [];
    for (let n = 1 + rng.small(5); n > 0; n--) {
      const route = rng.chance(0.8);
      out.push({ bytes: route ? (rng.chance(0.5) ? rng.pick(this.seeds.route) : this.route(rng)) : this.any(rng), protocol: route ? 0 : rng.pick([4, 16, 0]) });
    }
    return out;
  }

  pcap(rng: Rng): Uint8Array {
    let b = this.seeds.pcaps.length && rng.chance(0.2) ? rng.pick(this.seeds.pcaps) : buildPcap(rng, this.datagrams(rng), rng.chance(0.3));
    for (let k = rng.small(3); k > 0; k--) b = mutatePcap(rng, b);
    return b.length > MAX_INPUT ? b.subarray(0, MAX_INPUT) : b;
  }

  pcapng(rng: Rng): Uint8Array {
    let b = this.seeds.pcapngs.length && rng.chance(0.2) ? rng.pick(this.seeds.pcapngs) : buildPcapng(rng, this.datagrams(rng), rng.chance(0.3));
    for (let k = rng.small(3); k > 0; k--) b = mutatePcapng(rng, b);
    return b.length > MAX_INPUT ? b.subarray(0, MAX_INPUT) : b;
  }

  strace(rng: Rng): string {
    let t = rng.chance(0.5) ? straceWindow(rng, rng.pick(this.seeds.straces)) : makeStrace(rng, this.datagrams(rng));
    for (let k = rng.small(4); k > 0; k--) t = mutateStraceOnce(rng, t, this.seeds.straces);
    return t.length > MAX_INPUT ? t.slice(0, MAX_INPUT) : t;
  }

  hex(rng: Rng): string {
    let t = rng.chance(0.3) ? rng.pick(this.seeds.hexTexts) : makeHexLines(rng, this.datagrams(rng));
    for (let k = rng.small(4); k > 0; k--) t = mutateHexOnce(rng, t);
    return t.length > MAX_INPUT ? t.slice(0, MAX_INPUT) : t;
  }

  json(rng: Rng): string {
    const docs = this.seeds.json;
    const doc = rng.chance(0.5) ? [rng.pick(docs)] : Array.from({ length: 1 + rng.small(4) }, () => rng.pick(docs));
    return mutateJSON(rng, rng.chance(0.9) ? doc : doc[0]);
  }

  /** Bytes of a capture in any format, or garbage, for format detection and the CLI. */
  captureBytes(rng: Rng): Uint8Array {
    switch (rng.int(8)) {
      case 0: return this.pcap(rng);
      case 1: return this.pcapng(rng);
      case 2: return utf8(this.strace(rng));
      case 3: return utf8(this.hex(rng));
      case 4: return rng.chance(0.3) ? new Uint8Array(0) : rng.bytes(rng.small(2048));
      case 5: { // a magic number, then anything
        const magic = rng.pick([[0xa1, 0xb2, 0xc3, 0xd4], [0xd4, 0xc3, 0xb2, 0xa1], [0x4d, 0x3c, 0xb2, 0xa1], [0x0a, 0x0d, 0x0d, 0x0a]]);
        return mutateBytes(rng, Uint8Array.from([...magic, ...rng.bytes(rng.small(64))]));
      }
      case 6: return mutateBytes(rng, rng.chance(0.5) ? this.pcap(rng) : this.pcapng(rng));
      default: return this.route(rng);
    }
  }
}

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** `TypeError: x is not a function at decodeFoo (src/...)`: class, message and where. */
export function describe(e: unknown): string {
  if (!(e instanceof Error)) return `non-Error thrown: ${String(e)}`;
  const frames = (e.stack ?? '').split('\n').filter((l) => l.includes('/src/')).slice(0, 3)
    .map((l) => l.trim().replace(/^at /, '').replace(/\(?(file:\/\/)?\/[^ ]*\/src\//, 'src/').replace(/\)$/, ''));
  // Paths through nests and echoes thousands deep: three of a segment stand for all of them.
  const msg = e.message.replace(/(\.[^.\s:]+?)\1{2,}/g, '$1$1$1…');
  return `${e.name}: ${msg.slice(0, 300)}${frames.length ? ` [at ${frames.join(' < ')}]` : ''}`;
}

function quiet(f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    return e;
  }
}

/** Interface names for the route decoders: some indexes known, others not. */
const routeNamer = (i: number): string | undefined => (i % 3 === 1 ? `if${i}` : undefined);

/** A Route as comparable text: own keys in order, `raw` left out, bigints spelled out. */
function routeText(r: Route): string {
  // A spread takes own properties only: decodeRoutes' raw is a prototype getter, routeView's an own key.
  const { raw: _raw, ...rest } = { ...r } as Route & { raw?: unknown };
  return JSON.stringify(rest, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/**
 * decodeRoutes (bytes straight to Route objects) against the table-driven codec: it throws
 * only DecodeError, exactly when decodeDatagram does and with its message; otherwise every
 * route equals routeView of the generically decoded message.
 */
function checkRoutes(bytes: Uint8Array, keep?: unknown[]): Failure | undefined {
  const out: Route[] = [];
  let fastErr: unknown;
  try {
    decodeRoutes(bytes, 0, bytes.length, undefined, routeNamer, out);
  } catch (e) {
    fastErr = e;
  }
  keep?.push(out);
  let generic: NlDatagram | undefined;
  let genericErr: unknown;
  try {
    generic = decodeDatagram(bytes, rtnetlink);
  } catch (e) {
    genericErr = e;
  }
  if (fastErr !== undefined) {
    const bad = onlyDecodeError('decodeRoutes', fastErr);
    if (bad) return bad;
    if (genericErr === undefined) return { kind: 'fastpath', detail: `decodeRoutes threw ${describe(fastErr)}, decodeDatagram did not` };
    if ((fastErr as Error).message !== (genericErr as Error).message) {
      return { kind: 'fastpath', detail: `decodeRoutes threw "${(fastErr as Error).message}", decodeDatagram "${(genericErr as Error).message}"` };
    }
    return undefined;
  }
  if (genericErr !== undefined) return { kind: 'fastpath', detail: `decodeDatagram threw ${describe(genericErr)}, decodeRoutes did not` };
  const want = generic!.messages.flatMap((m) => {
    if (m.type !== 24 && m.type !== 25) return [];
    const v = routeView(m, routeNamer);
    return v ? [v] : [];
  });
  if (want.length !== out.length) return { kind: 'fastpath', detail: `decodeRoutes gave ${out.length} routes, routeView ${want.length}` };
  for (let k = 0; k < out.length; k++) {
    const a = routeText(out[k]!);
    const b = routeText(want[k]!);
    if (a !== b) return { kind: 'fastpath', detail: `route ${k} differs: ${a.slice(0, 200)} vs ${b.slice(0, 200)}` };
  }
  return undefined;
}

function onlyDecodeError(what: string, e: unknown): Failure | undefined {
  if (e instanceof DecodeError) return undefined;
  return { kind: 'exception', detail: `${what} threw ${describe(e)}` };
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/**
 * Where a re-encoding departs from the input, in words that group alike failures: the kind
 * of message (control messages by name, family messages as one class), whether it is a
 * request, kept its raw bytes or a payload, and whether the encoding is longer or shorter.
 * (Offsets and names go last: the failure signature blanks numbers.)
 */
function difference(b: Uint8Array, enc: Uint8Array, dg: NlDatagram, proto: Protocol | undefined): string {
  const at = firstDiff(enc, b);
  let o = 0;
  let where = 'the trailing bytes';
  let name = '';
  for (const m of dg.messages) {
    const len = b.length - o >= 4 ? u32(b, o) : 0;
    if (at < o + align4(len) || m === dg.messages[dg.messages.length - 1]) {
      const kind = (t: number): string => (t < 16 ? typeName(t, proto) : 'family message');
      where = `a ${m.raw ? 'raw-kept ' : ''}${kind(m.type)}${m.request ? ` echoing a ${kind(m.request.type)}` : ''}`
        + `${m.flags & 0x100 && m.type === 2 ? ' (capped)' : ''}${m.payload ? ' with payload' : ''}${m.flags & 1 ? ' request' : ''}`;
      name = typeName(m.type, proto);
      break;
    }
    o += align4(len);
  }
  const size = enc.length > b.length ? 'longer' : enc.length < b.length ? 'shorter' : 'same length';
  return `${size}, first difference in ${where} (${name}, byte ${at}; ${enc.length} bytes for ${b.length})`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && firstDiff(a, b) === a.length;
}

/**
 * How often the oracle also checks the JSON round trip of a successful decode: every call
 * by default (tests, replays, shrinking); the fuzz workers set it higher for speed.
 */
export const oracle = { jsonEvery: 1 };
let jsonCount = 0;

/**
 * decodeDatagram's promises: only DecodeError; on one, `partial.messages` are exactly what
 * a decode of the bytes before the faulty message gives, and the fault lies at or after that
 * message's start; on success, encode gives the input back, directly and through JSON.
 */
export function checkDatagram(b: Uint8Array, proto: Protocol | undefined, keep?: unknown[]): Failure | undefined {
  const name = proto ? `decodeDatagram(bytes, ${proto.name})` : 'decodeDatagram(bytes)';
  let dg: NlDatagram;
  try {
    dg = decodeDatagram(b, proto);
  } catch (e) {
    const bad = onlyDecodeError(name, e);
    if (bad) return bad;
    return checkPartial(b, proto, e as DecodeError & { partial?: NlDatagram });
  }
  keep?.push(dg);
  let enc: Uint8Array;
  try {
    enc = encodeDatagram(dg, proto);
  } catch (e) {
    return { kind: 'roundtrip', detail: `encodeDatagram(decodeDatagram(b)) threw ${describe(e)}` };
  }
  if (!sameBytes(enc, b)) {
    return { kind: 'roundtrip', detail: `encodeDatagram(decodeDatagram(b)) differs from b: ${difference(b, enc, dg, proto)}` };
  }
  if (oracle.jsonEvery > 1 && ++jsonCount % oracle.jsonEvery !== 0) return undefined;
  let back: Uint8Array;
  try {
    const j = JSON.parse(JSON.stringify(datagramToJSON(dg, proto)));
    back = encodeDatagram(datagramFromJSON(j, proto), proto);
  } catch (e) {
    return { kind: 'roundtrip', detail: `the JSON of decodeDatagram(b) does not encode: ${describe(e)}` };
  }
  if (!sameBytes(back, b)) {
    return { kind: 'roundtrip', detail: `the JSON of decodeDatagram(b) encodes differently from b: ${difference(b, back, dg, proto)}` };
  }
  return undefined;
}

function checkPartial(b: Uint8Array, proto: Protocol | undefined, e: DecodeError & { partial?: NlDatagram }): Failure | undefined {
  const msgs = e.partial?.messages;
  if (!Array.isArray(msgs)) return { kind: 'partial', detail: 'DecodeError without partial.messages' };
  let o = 0;
  for (let i = 0; i < msgs.length; i++) {
    if (b.length - o < 16) return { kind: 'partial', detail: `partial holds ${msgs.length} messages, the bytes only ${i}` };
    o = Math.min(o + align4(u32(b, o)), b.length);
  }
  if (e.offset < o || e.offset > b.length) {
    return { kind: 'partial', detail: `error offset ${e.offset} is outside the faulty message, which starts at ${o} of ${b.length} (${e.message})` };
  }
  let prefix: NlDatagram;
  try {
    prefix = decodeDatagram(b.subarray(0, o), proto);
  } catch (e2) {
    return { kind: 'partial', detail: `the ${o}-byte prefix before the faulty message does not decode: ${describe(e2)}` };
  }
  if (prefix.trailing || !isDeepStrictEqual(prefix.messages, msgs)) {
    return { kind: 'partial', detail: `partial.messages (${msgs.length}) differ from a decode of the ${o}-byte prefix (${prefix.messages.length} messages)` };
  }
  return undefined;
}

const HEXD = '0123456789abcdef';
function hexOf(b: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e; i++) out += HEXD[b[i]! >> 4]! + HEXD[b[i]! & 15]!;
  return out;
}

/** explainDatagram's promises: only DecodeError, rows that tile the input, formatting works. */
export function checkExplain(b: Uint8Array, proto: Protocol | undefined, keep?: unknown[]): Failure | undefined {
  let rows;
  try {
    rows = explainDatagram(b, proto);
  } catch (e) {
    return onlyDecodeError(`explainDatagram(bytes${proto ? ', rtnetlink' : ''})`, e);
  }
  keep?.push(rows);
  let at = 0;
  for (const r of rows) {
    if (r.offset !== at) return { kind: 'tiling', detail: `row ${r.field} starts at ${r.offset}, the previous ended at ${at}` };
    if (!(r.length >= 1)) return { kind: 'tiling', detail: `row ${r.field} at ${r.offset} has length ${r.length}` };
    if (r.bytes !== hexOf(b, at, Math.min(at + r.length, b.length))) return { kind: 'tiling', detail: `row ${r.field} at ${r.offset}: bytes do not match the input` };
    at += r.length;
  }
  if (at !== b.length) return { kind: 'tiling', detail: `rows cover ${at} of ${b.length} bytes` };
  try {
    formatExplain(rows);
  } catch (e) {
    return { kind: 'exception', detail: `formatExplain threw ${describe(e)}` };
  }
  return undefined;
}

function total(ds: ReadonlyArray<{ bytes: Uint8Array }>): number {
  let n = 0;
  for (const d of ds) n += d.bytes.length;
  return n;
}

async function cliRun(argv: string[], stdin: Uint8Array, keep?: unknown[]): Promise<Failure | undefined> {
  let out = '';
  let err = '';
  const io: CliIO = {
    readStdin: async () => new TextDecoder().decode(stdin),
    readStdinBytes: async () => stdin,
    stdout: (t) => { out += t; },
    stderr: (t) => { err += t; },
  };
  let code: number;
  try {
    code = await run(argv, io);
  } catch (e) {
    return { kind: 'exception', detail: `run(${JSON.stringify(argv)}) threw ${describe(e)}` };
  }
  keep?.push(out);
  // The command alone names the failure; its options are in the saved input.
  const cmd = `nlwire ${argv[0] ?? ''}`;
  if (err.includes('\n    at ')) return { kind: 'cli', detail: `${cmd}: stack trace on stderr` };
  if (code !== 0 && code !== 1 && code !== 2) return { kind: 'cli', detail: `${cmd}: exit code ${code}` };
  if (code !== 0 && (!err.endsWith('\n') || err.indexOf('\n') !== err.length - 1)) {
    return { kind: 'cli', detail: `${cmd}: exit ${code} with ${err.split('\n').length - 1} lines on stderr: ${JSON.stringify(err.slice(0, 200))}` };
  }
  if (code === 0 && err !== '') return { kind: 'cli', detail: `${cmd}: exit 0 with stderr ${JSON.stringify(err.slice(0, 200))}` };
  const readsStdin = ['decode', 'explain', 'encode'].includes(argv[0] ?? '') && !argv.some((a) => a === '--help' || a === '-h')
    && argv.slice(1).every((a) => a.startsWith('-'));
  if (code === 0 && readsStdin && stdin.length === 0) return { kind: 'cli', detail: `${cmd}: empty input exits 0 (expected 1 or 2)` };
  return undefined;
}

/** Command lines the CLI must refuse with exit 2 and one line (stdin is still bad input). */
const BAD_ARGV: string[][] = [
  ['decode', '--nope'], ['decode', '--format'], ['decode', '--format', 'xml'], ['decode', '/nonexistent/nlwire-fuzz.pcap'],
  ['decode', 'a', 'b'], ['explain', '--bogus'], ['explain', '/nonexistent/nlwire-fuzz.hex'], ['encode', 'a', 'b'],
  ['encode', '--pcap'], ['bogus'], ['decode', '-'], ['explain', '-', '--json'], ['help', 'decode'], ['--help'],
];

const FORMATS: Array<CaptureFormat | 'auto'> = ['auto', 'auto', 'auto', 'pcap', 'pcapng', 'strace', 'hex'];

/** Every decoder under fuzz, by its `--decoder` name. */
export const targets: Target[] = [
  {
    name: 'netlink', weight: 10,
    generate: (rng, g) => ({ bytes: g.any(rng) }),
    decode: (i) => quiet(() => decodeDatagram(i.bytes!)),
    check: (i, keep) => checkDatagram(i.bytes!, undefined, keep),
  },
  {
    name: 'rtnetlink', weight: 20,
    generate: (rng, g) => ({ bytes: g.route(rng) }),
    decode: (i) => quiet(() => decodeDatagram(i.bytes!, rtnetlink)),
    check: (i, keep) => checkDatagram(i.bytes!, rtnetlink, keep),
  },
  {
    name: 'routes', weight: 10,
    generate: (rng, g) => ({ bytes: g.route(rng) }),
    decode: (i) => quiet(() => decodeRoutes(i.bytes!, 0, i.bytes!.length, undefined, routeNamer, [])),
    check: (i, keep) => checkRoutes(i.bytes!, keep),
  },
  {
    name: 'extack', weight: 10,
    generate: (rng, g) => ({ bytes: g.extack(rng) }),
    decode: (i) => [quiet(() => decodeDatagram(i.bytes!, rtnetlink)), quiet(() => decodeDatagram(i.bytes!)), quiet(() => explainDatagram(i.bytes!, rtnetlink))],
    check: (i, keep) => checkDatagram(i.bytes!, rtnetlink, keep) ?? checkDatagram(i.bytes!, undefined, keep)
      ?? checkExplain(i.bytes!, rtnetlink, keep),
  },
  {
    name: 'explain', weight: 14,
    generate: (rng, g) => ({ bytes: rng.chance(0.6) ? g.route(rng) : rng.chance(0.5) ? g.extack(rng) : g.any(rng) }),
    decode: (i) => [quiet(() => explainDatagram(i.bytes!, rtnetlink)), quiet(() => explainDatagram(i.bytes!))],
    check: (i, keep) => checkExplain(i.bytes!, rtnetlink, keep) ?? checkExplain(i.bytes!, undefined, keep),
  },
  {
    name: 'json', weight: 8,
    generate: (rng, g) => ({ text: g.json(rng) }),
    decode: (i) => quiet(() => {
      const d = JSON.parse(i.text!);
      const list = Array.isArray(d) ? d : [d];
      return [rtnetlink, undefined].map((proto) => quiet(() => list.map((x) => encodeDatagram(datagramFromJSON(x, proto), proto))));
    }),
    check: (i, keep) => {
      let doc: unknown;
      try {
        doc = JSON.parse(i.text!);
      } catch {
        return undefined;
      }
      // As `nlwire encode` reads it: datagram after datagram, up to the first that fails.
      const list = Array.isArray(doc) ? doc : [doc];
      for (const proto of [rtnetlink, undefined]) {
        for (const [n, d] of list.entries()) {
          let dg;
          try {
            dg = datagramFromJSON(d, proto, `datagram ${n + 1}`);
          } catch (e) {
            const bad = onlyDecodeError(`datagramFromJSON(json${proto ? ', rtnetlink' : ''})`, e);
            if (bad) return bad;
            break;
          }
          keep?.push(dg);
          try {
            encodeDatagram(dg, proto);
          } catch (e) {
            if (!(e instanceof EncodeError || e instanceof DecodeError)) {
              return { kind: 'exception', detail: `encodeDatagram(datagramFromJSON(json)${proto ? ', rtnetlink' : ''}) threw ${describe(e)}` };
            }
            break;
          }
        }
      }
      return undefined;
    },
  },
  {
    name: 'pcap', weight: 8,
    generate: (rng, g) => ({ bytes: g.pcap(rng) }),
    decode: (i) => quiet(() => readPcap(i.bytes!)),
    check: (i, keep) => {
      try {
        const ds = readPcap(i.bytes!);
        keep?.push(ds);
        if (total(ds) > i.bytes!.length) return { kind: 'bound', detail: `readPcap returned ${total(ds)} bytes from ${i.bytes!.length}` };
      } catch (e) {
        return onlyDecodeError('readPcap', e);
      }
      return undefined;
    },
  },
  {
    name: 'pcapng', weight: 8,
    generate: (rng, g) => ({ bytes: g.pcapng(rng) }),
    decode: (i) => quiet(() => readPcapng(i.bytes!)),
    check: (i, keep) => {
      try {
        const ds = readPcapng(i.bytes!);
        keep?.push(ds);
        if (total(ds) > i.bytes!.length) return { kind: 'bound', detail: `readPcapng returned ${total(ds)} bytes from ${i.bytes!.length}` };
      } catch (e) {
        return onlyDecodeError('readPcapng', e);
      }
      return undefined;
    },
  },
  {
    name: 'detect', weight: 6,
    generate: (rng, g) => ({ bytes: g.captureBytes(rng), format: rng.pick(FORMATS) }),
    decode: (i) => [quiet(() => detectFormat(i.bytes!)), quiet(() => readCapture(i.bytes!, i.format ?? 'auto'))],
    check: (i, keep) => {
      try {
        detectFormat(i.bytes!);
      } catch (e) {
        return { kind: 'exception', detail: `detectFormat threw ${describe(e)}` };
      }
      try {
        const ds = readCapture(i.bytes!, i.format ?? 'auto');
        keep?.push(ds);
        if (total(ds) > i.bytes!.length) return { kind: 'bound', detail: `readCapture returned ${total(ds)} bytes from ${i.bytes!.length}` };
      } catch (e) {
        return onlyDecodeError(`readCapture(bytes, '${i.format ?? 'auto'}')`, e);
      }
      return undefined;
    },
  },
  {
    name: 'strace', weight: 6,
    generate: (rng, g) => ({ text: g.strace(rng) }),
    decode: (i) => [quiet(() => parseStrace(i.text!)), quiet(() => parseStrace(i.text!, { missingBytes: 'skip' }))],
    check: (i, keep) => {
      for (const missingBytes of ['throw', 'skip'] as const) {
        try {
          const ds = parseStrace(i.text!, { missingBytes });
          keep?.push(ds);
          if (total(ds) > i.text!.length) return { kind: 'bound', detail: `parseStrace returned ${total(ds)} bytes from ${i.text!.length} characters` };
        } catch (e) {
          const bad = onlyDecodeError(`parseStrace(text, {missingBytes: '${missingBytes}'})`, e);
          if (bad) return bad;
        }
      }
      return undefined;
    },
  },
  {
    name: 'hex', weight: 6,
    generate: (rng, g) => ({ text: g.hex(rng) }),
    decode: (i) => quiet(() => parseHexLines(i.text!)),
    check: (i, keep) => {
      let ds;
      try {
        ds = parseHexLines(i.text!);
      } catch (e) {
        return onlyDecodeError('parseHexLines', e);
      }
      keep?.push(ds);
      if (total(ds) * 2 > i.text!.length) return { kind: 'bound', detail: `parseHexLines returned ${total(ds)} bytes from ${i.text!.length} characters` };
      try {
        const again = parseHexLines(formatHexLines(ds));
        if (!isDeepStrictEqual(again.map((d) => [d.direction, d.bytes]), ds.map((d) => [d.direction, d.bytes]))) {
          return { kind: 'roundtrip', detail: 'parseHexLines(formatHexLines(parseHexLines(t))) differs' };
        }
      } catch (e) {
        return { kind: 'roundtrip', detail: `formatHexLines of parsed lines does not parse back: ${describe(e)}` };
      }
      return undefined;
    },
  },
  {
    name: 'cli', weight: 3,
    generate: (rng, g) => {
      if (rng.chance(0.03)) return { argv: rng.pick(BAD_ARGV), bytes: g.captureBytes(rng) };
      const r = rng.int(10);
      if (r < 6) {
        const argv = ['decode'];
        if (rng.chance(0.4)) argv.push('--json');
        if (rng.chance(0.3)) argv.push('--format', rng.pick(['auto', 'pcap', 'pcapng', 'strace', 'hex']));
        return { argv, bytes: g.captureBytes(rng) };
      }
      if (r < 8) return { argv: rng.chance(0.5) ? ['explain'] : ['explain', '--json'], bytes: rng.chance(0.8) ? utf8(g.hex(rng)) : g.captureBytes(rng) };
      return { argv: ['encode'], bytes: rng.chance(0.9) ? utf8(g.json(rng)) : g.captureBytes(rng) };
    },
    decode: (i) => cliRun(i.argv ?? ['decode'], i.bytes ?? new Uint8Array(0)),
    check: (i, keep) => cliRun(i.argv ?? ['decode'], i.bytes ?? new Uint8Array(0), keep),
  },
];

/** {@link targets} by name. */
export const targetByName = new Map(targets.map((t) => [t.name, t]));
