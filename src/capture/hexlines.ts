/**
 * The "hex lines" format: one netlink datagram per line, written as hex.
 *
 * ```text
 * # ip route get 203.0.113.5
 * > 24000000 1a000100 ...      # to the kernel
 * < 68000000180000...          # from the kernel
 * 2400000012000100...          # direction unknown
 * ```
 *
 * - Hex digits in either case; spaces and tabs between byte groups are allowed, but each
 *   group holds whole bytes (an even number of digits), which catches a dropped digit.
 * - An optional leading `>` (to the kernel) or `<` (from the kernel).
 * - `#` starts a comment, on a line of its own or after the hex; blank lines are ignored.
 *
 * Pure TypeScript: no Node APIs, so it runs in a browser.
 */
import { DecodeError, EncodeError } from '../netlink/errors.js';
import { toHex } from '../netlink/ip.js';

/** One datagram read from hex lines. */
export interface HexDatagram {
  /** `>` to the kernel, `<` from the kernel; absent when the line has no marker. */
  direction?: '>' | '<';
  bytes: Uint8Array;
  /** 1-based line number in the input. */
  line: number;
}

/** What {@link formatHexLines} writes: a datagram and, when known, its direction. */
export interface HexDatagramInput {
  direction?: '>' | '<' | undefined;
  bytes: Uint8Array;
}

/** Options of {@link formatHexLines}. */
export interface FormatHexLinesOptions {
  /** Lines written first, each as a `# ` comment (embedded newlines start new comment lines). */
  comments?: string[];
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code >= 0x21 && code <= 0x7e) return `'${ch}'`;
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Reads hex lines. Throws {@link DecodeError} for a non-hex character or a group with an
 * odd number of digits; `path` names the line and column (`hex:line 3, column 9`, 1-based)
 * and `offset` is the character offset of the fault in `text`.
 */
export function parseHexLines(text: string): HexDatagram[] {
  const out: HexDatagram[] = [];
  const n = text.length;
  let lineStart = 0;
  let lineNo = 0;
  while (lineStart <= n) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = n;
    lineNo++;
    let end = lineEnd;
    if (end > lineStart && text.charCodeAt(end - 1) === 0x0d) end--;
    const hash = text.indexOf('#', lineStart);
    if (hash >= 0 && hash < end) end = hash;

    const fail = (pos: number, detail: string): never => {
      throw new DecodeError(detail, pos, `hex:line ${lineNo}, column ${pos - lineStart + 1}`);
    };

    let i = lineStart;
    while (i < end && isBlank(text.charCodeAt(i))) i++;
    let direction: '>' | '<' | undefined;
    const first = text[i];
    if (i < end && (first === '>' || first === '<')) {
      direction = first;
      i++;
    }
    const bytes: number[] = [];
    let groupStart = -1;
    let digits = 0;
    let pending = 0;
    for (; i <= end; i++) {
      const code = i < end ? text.charCodeAt(i) : 0x20;
      if (isBlank(code)) {
        if (groupStart >= 0 && digits % 2 !== 0) {
          fail(groupStart, `odd number of hex digits (${digits}) in "${text.slice(groupStart, i)}"`);
        }
        groupStart = -1;
        digits = 0;
        continue;
      }
      const v = hexValue(code);
      if (v < 0) fail(i, `not a hex digit: ${describeChar(String.fromCodePoint(text.codePointAt(i) ?? code))}`);
      if (groupStart < 0) groupStart = i;
      if (digits % 2 === 0) pending = v;
      else bytes.push((pending << 4) | v);
      digits++;
    }
    if (direction !== undefined && bytes.length === 0) {
      fail(lineStart, `"${direction}" with no bytes after it`);
    }
    if (bytes.length > 0) {
      const d: HexDatagram = { bytes: Uint8Array.from(bytes), line: lineNo };
      if (direction !== undefined) d.direction = direction;
      out.push(d);
    }
    lineStart = lineEnd + 1;
  }
  return out;
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0b || code === 0x0c || code === 0x0d;
}

/**
 * Writes hex lines: the comments first (`# text`), then one line per datagram, lower-case hex
 * without spaces, prefixed with `> ` or `< ` when the direction is known. Ends with a newline.
 * An empty datagram has no hex-lines form and throws {@link EncodeError}.
 */
export function formatHexLines(datagrams: readonly HexDatagramInput[], opts: FormatHexLinesOptions = {}): string {
  const lines: string[] = [];
  for (const c of opts.comments ?? []) {
    for (const part of c.split(/\r?\n/)) lines.push(part === '' ? '#' : `# ${part}`);
  }
  for (const [i, d] of datagrams.entries()) {
    if (d.bytes.length === 0) throw new EncodeError('an empty datagram cannot be written as a hex line', `datagram ${i}`);
    const prefix = d.direction === '>' ? '> ' : d.direction === '<' ? '< ' : '';
    lines.push(prefix + toHex(d.bytes));
  }
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
