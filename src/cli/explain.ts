/**
 * `nlwire explain`: every byte of every datagram, at its offset, with its kernel name and
 * meaning (the view of src/netlink/explain.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import type { CliIO } from './main.js';
import { DecodeError } from '../netlink/errors.js';
import { explainDatagram, formatExplain } from '../netlink/explain.js';
import { rtnetlink } from '../rtnl/protocol.js';
import { parseHexLines } from '../capture/hexlines.js';

/** Usage of `nlwire explain`. */
export const EXPLAIN_HELP = `Usage: nlwire explain [--json] FILE|-|HEX...

Explain every byte of netlink datagrams: for each byte range its offset (hex and decimal),
the bytes, the kernel's name for the field (nlmsghdr.nlmsg_len, rtmsg.rtm_table,
RTA_PREFSRC.nla_type, RTA_PREFSRC) and its value with a short meaning. Nested attributes,
next hops and an error's echoed request are indented.

Input is hex lines (one datagram per line, optional leading '>' to the kernel or '<' from
it, '#' comments) from FILE or stdin ('-' or nothing), or hex given as arguments (one
datagram, spaces allowed).

Options:
  --json, -j   print the rows as JSON: [{datagram, direction?, length, rows: [{offset,
               length, bytes, field, value, depth, kind}]}]

Examples:
  nlwire explain test/fixtures/cli/route-get.hex
  nlwire explain '> 24000000 1a000100 c6e6096b 00000000 02200000 00000000 00100000 08000100 cb007105'
  echo '< 14000000 0300 0200 01000000 00000000 00000000' | nlwire explain -   # NLMSG_DONE
`;

const EXIT_OK = 0;
const EXIT_DATA = 1;
const EXIT_USAGE = 2;

function usage(io: CliIO, text: string): number {
  io.stderr(`nlwire explain: ${text}\n`);
  return EXIT_USAGE;
}

/** `nlwire explain [--json] FILE|-|HEX...`; returns the exit code. */
export async function explainCommand(args: string[], io: CliIO): Promise<number> {
  let json = false;
  const inputs: string[] = [];
  for (const a of args) {
    if (a === '--json' || a === '-j') json = true;
    else if (a === '--help' || a === '-h') {
      io.stdout(EXPLAIN_HELP);
      return EXIT_OK;
    } else if (a.startsWith('-') && a !== '-') return usage(io, `unknown option ${a}`);
    else inputs.push(a);
  }
  let text: string;
  if (inputs.length === 0 || (inputs.length === 1 && inputs[0] === '-')) text = await io.readStdin();
  else if (inputs.every((a) => /^[<>]?[\s0-9a-fA-F]*$/.test(a)) && !(inputs.length === 1 && isFile(inputs[0]!))) {
    text = inputs.join(' ');
  } else if (inputs.length === 1) {
    try {
      text = readFileSync(inputs[0]!, 'utf8');
    } catch (e) {
      return usage(io, `cannot read ${inputs[0]}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  } else return usage(io, `one file at a time, or hex only, got ${inputs.join(' ')}`);

  let lines;
  try {
    lines = parseHexLines(text);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    io.stderr(`nlwire explain: ${e.message}\n`);
    return EXIT_DATA;
  }
  if (lines.length === 0) return usage(io, 'no datagrams in the input');

  const out: unknown[] = [];
  for (const [i, d] of lines.entries()) {
    const rows = explainDatagram(d.bytes, rtnetlink);
    if (json) {
      out.push({ datagram: i + 1, ...(d.direction ? { direction: d.direction } : {}), length: d.bytes.length, rows });
      continue;
    }
    const dir = d.direction === '>' ? 'to the kernel, ' : d.direction === '<' ? 'from the kernel, ' : '';
    io.stdout(`${i ? '\n' : ''}datagram ${i + 1} (${dir}${d.bytes.length} bytes)\n`);
    io.stdout(formatExplain(rows));
  }
  if (json) io.stdout(JSON.stringify(out, null, 2) + '\n');
  return EXIT_OK;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
