/**
 * The `nlwire` command. `run()` is the whole program with its I/O passed in, so tests
 * call it in-process; bin/nlwire.js calls it with the real process streams.
 */
import { readFileSync } from 'node:fs';
import { DecodeError, EncodeError } from '../netlink/errors.js';
import { decodeDatagram, encodeDatagram } from '../netlink/message.js';
import { datagramToJSON, datagramFromJSON } from '../netlink/json.js';
import { rtnetlink } from '../rtnl/protocol.js';
import { formatHexLines } from '../capture/hexlines.js';
import { readCapture, type CaptureFormat } from '../capture/detect.js';
import { writePcap } from '../capture/pcap.js';
import { NETLINK_ROUTE, netlinkProtocolNames } from '../netlink/constants.js';
import { writeFileSync } from 'node:fs';
import { messageLine } from './text.js';
import { explainCommand, EXPLAIN_HELP } from './explain.js';
import { whyCommand, WHY_HELP } from './why.js';
import { dispatchIp, ipCommands, IP_COMMANDS_HELP } from './ip/index.js';

/** Where the command reads and writes. */
export interface CliIO {
  readStdin(): Promise<string>;
  /** Standard input as bytes (captures are binary); defaults to readStdin's text. */
  readStdinBytes?(): Promise<Uint8Array>;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Exit codes. */
export const EXIT_OK = 0;
/** Bad input data: a datagram or JSON document that does not decode. */
export const EXIT_DATA = 1;
/** Bad usage: unknown command or option, missing file. */
export const EXIT_USAGE = 2;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const HELP = `Usage: nlwire COMMAND [OPTIONS]

Commands:
  decode [--json] [--format auto|pcap|pcapng|strace|hex] [FILE|-]
                             Decode netlink datagrams from a capture: pcap or pcapng
                             (LINKTYPE_NETLINK, as nlmon writes), an strace log (-e write=all
                             -e read=all, or -xx), or hex lines (one datagram per line,
                             optional leading '>' to the kernel or '<' from it, '#' comments).
                             Prints one line per message, or JSON with --json.
  encode [--pcap OUT] [FILE|-]
                             Read the JSON of 'decode --json' and print the hex lines back,
                             or write a pcap that Wireshark opens.
  explain [--json] FILE|-|HEX...
                             Every byte of every message at its offset: the field, its
                             value and meaning (nlmsghdr, rtmsg, each attribute, padding).
  why DST [from SRC] [iif DEV] [oif DEV] [mark N] [uid N] [ipproto P] [sport N] [dport N]
      [-4|-6] [-j] [-n NETNS]
                             Why the kernel sends to DST as it does, and from which source
                             address: the rule, the route, the egress, every candidate
                             address with its verdict, and what an application could do.
${IP_COMMANDS_HELP}  help [COMMAND]             Show help.

Examples:
  nlwire decode test/fixtures/route/get-v4.01.hex
  echo '< 14000000030002000100000000000000 00000000' | nlwire decode --json
  nlwire decode --json dump.hex | nlwire encode     # reproduces dump.hex byte for byte
  nlwire explain '> 240000001a000100c6e6096b0000000002200000000000000010000008000100cb007105'

Exit codes: 0 success; 1 input that does not decode (the datagrams before it are printed);
2 usage error. The ip-style commands exit as ip does (2 when the kernel refuses, 1 for an
unknown device); why exits 1 when the kernel has no route.
`;

async function readBytes(file: string | undefined, io: CliIO): Promise<Uint8Array> {
  if (file === undefined || file === '-') {
    return io.readStdinBytes ? io.readStdinBytes() : new TextEncoder().encode(await io.readStdin());
  }
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** Pulls `--name VALUE` out of args; returns the value. */
function takeValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined) throw new UsageError(`${name} needs a value`);
  args.splice(i, 2);
  return v;
}

async function readInput(file: string | undefined, io: CliIO): Promise<string> {
  if (file === undefined || file === '-') return io.readStdin();
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function parseArgs(args: string[], flags: string[]): { opts: Set<string>; files: string[] } {
  const opts = new Set<string>();
  const files: string[] = [];
  for (const a of args) {
    if (a.startsWith('--') || (a.startsWith('-') && a !== '-')) {
      if (!flags.includes(a)) throw new UsageError(`unknown option ${a}`);
      opts.add(a);
    } else files.push(a);
  }
  if (files.length > 1) throw new UsageError(`one input at a time, got ${files.join(' ')}`);
  return { opts, files };
}

async function decodeCommand(argv: string[], io: CliIO): Promise<number> {
  const args = [...argv];
  const format = takeValue(args, '--format') ?? 'auto';
  if (!['auto', 'pcap', 'pcapng', 'strace', 'hex'].includes(format)) {
    throw new UsageError(`unknown format ${format} (auto, pcap, pcapng, strace, hex)`);
  }
  const { opts, files } = parseArgs(args, ['--json', '-j']);
  const json = opts.has('--json') || opts.has('-j');
  const captured = readCapture(await readBytes(files[0], io), format as CaptureFormat | 'auto');
  if (captured.length === 0) throw new DecodeError('no datagrams in the input', 0, files[0] ?? 'stdin');
  const out: unknown[] = [];
  let failure: string | undefined;
  for (const [i, d] of captured.entries()) {
    // Other netlink families decode generically: headers and payloads, never an error.
    const proto = d.protocol === NETLINK_ROUTE ? rtnetlink : undefined;
    const dir = d.direction ? d.direction + ' ' : '';
    try {
      const dg = decodeDatagram(d.bytes, proto);
      if (json) {
        const j = datagramToJSON(d.direction ? { ...dg, direction: d.direction } : dg, proto);
        if (!proto) j.protocol = netlinkProtocolNames[d.protocol] ?? d.protocol;
        out.push(j);
      } else {
        for (const m of dg.messages) io.stdout(`${dir}${messageLine(m, proto)}\n`);
        if (dg.trailing) io.stdout(`${dir}(${dg.trailing.length} trailing bytes)\n`);
      }
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      failure = `datagram ${i + 1}: ${e.message}`;
      break;
    }
  }
  if (json) io.stdout(JSON.stringify(out, null, 2) + '\n');
  if (failure) {
    io.stderr(`nlwire decode: ${failure}\n`);
    return EXIT_DATA;
  }
  return EXIT_OK;
}

async function encodeCommand(argv: string[], io: CliIO): Promise<number> {
  const args = [...argv];
  const pcapOut = takeValue(args, '--pcap');
  const { files } = parseArgs(args, []);
  const text = await readInput(files[0], io);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    io.stderr(`nlwire encode: not JSON: ${(e as Error).message.replace(/\s+/g, ' ')}\n`);
    return EXIT_DATA;
  }
  const list = Array.isArray(doc) ? doc : [doc];
  const dgs = list.map((d, i) => {
    const dg = datagramFromJSON(d, rtnetlink, `datagram ${i + 1}`);
    return { direction: dg.direction, bytes: encodeDatagram(dg, rtnetlink) };
  });
  if (pcapOut !== undefined) {
    writeFileSync(pcapOut, writePcap(dgs));
    io.stderr(`nlwire encode: wrote ${dgs.length} datagrams to ${pcapOut}\n`);
    return EXIT_OK;
  }
  io.stdout(formatHexLines(dgs));
  return EXIT_OK;
}

const commands: Record<string, { run: (args: string[], io: CliIO) => Promise<number>; help: string }> = {
  decode: { run: decodeCommand, help: HELP },
  encode: { run: encodeCommand, help: HELP },
  explain: { run: explainCommand, help: EXPLAIN_HELP },
  why: { run: whyCommand, help: WHY_HELP },
  ...ipCommands,
};

/** Runs `nlwire ARGS`; returns the exit code. Never throws for bad input or usage. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  // ip-style commands: [-4|-6] [-j] [-p] [-n NETNS] route|addr|link|rule|neigh|monitor ...,
  // the object abbreviated as ip allows (r, a, l, ru, n, mo).
  const ip = dispatchIp(argv, io);
  if (ip) return ip;
  const [cmd, ...rest] = argv;
  if (cmd === 'help' && rest[0] && commands[rest[0]]) {
    io.stdout(commands[rest[0]]!.help);
    return EXIT_OK;
  }
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    io.stdout(HELP);
    return cmd === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const f = commands[cmd];
  if (!f) {
    io.stderr(`nlwire: unknown command '${cmd}' (try 'nlwire help')\n`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(f.help);
    return EXIT_OK;
  }
  try {
    return await f.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`nlwire ${cmd}: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof DecodeError || e instanceof EncodeError) {
      io.stderr(`nlwire ${cmd}: ${e.message}\n`);
      return EXIT_DATA;
    }
    throw e;
  }
}

/** The process's own I/O. A closed pipe (`nlwire decode f | head`) ends the program quietly. */
export function processIO(): CliIO {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  return {
    readStdinBytes: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return new Uint8Array(Buffer.concat(chunks));
    },
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    stdout: (t) => { process.stdout.write(t); },
    stderr: (t) => { process.stderr.write(t); },
  };
}
