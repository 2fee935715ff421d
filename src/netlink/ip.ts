/**
 * Text forms of addresses: IPv4 and IPv6 as inet_ntop(3) prints them (so they match
 * `ip -j` output byte for byte), link-layer addresses as colon-separated hex, and hex
 * strings for opaque bytes. Parsers return undefined on bad text; callers raise the error.
 */

/** `0.` to `255.`: joining table entries beats four number-to-text conversions. */
const octetDot: string[] = [];
for (let i = 0; i < 256; i++) octetDot.push(`${i}.`);

/** `192.0.2.1` from 4 bytes at `off`. */
export function formatIPv4(b: Uint8Array, off = 0): string {
  return octetDot[b[off]!]! + octetDot[b[off + 1]!]! + octetDot[b[off + 2]!]! + String(b[off + 3]);
}

/**
 * RFC 5952 text of 16 bytes at `off`, as glibc's inet_ntop writes it: the longest run of
 * two or more zero groups (the first on a tie) becomes `::`, IPv4-mapped and -compatible
 * addresses end in dotted quad.
 */
export function formatIPv6(b: Uint8Array, off = 0): string {
  const w = groups;
  for (let i = 0; i < 8; i++) w[i] = (b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!;
  let bestBase = -1, bestLen = 0, curBase = -1, curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase < 0) { curBase = i; curLen = 1; } else curLen++;
      if (curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
    } else curBase = -1;
  }
  if (bestLen < 2) bestBase = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) s += ':';
      continue;
    }
    if (i !== 0) s += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      s += formatIPv4(b, off + 12);
      break;
    }
    const g = w[i]!;
    s += g < 256 ? hexByte[g]! : hexByte[g >>> 8]! + hexByte2[g & 0xff]!;
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) s += ':';
  return s;
}

/** formatIPv6's scratch: the eight groups (one call at a time: JavaScript is single-threaded). */
const groups = new Uint16Array(8);
/** `0` .. `ff`, and `00` .. `ff`: a group is one lookup, or two. */
const hexByte: string[] = [];
const hexByte2: string[] = [];
for (let i = 0; i < 256; i++) {
  hexByte.push(i.toString(16));
  hexByte2.push(i.toString(16).padStart(2, '0'));
}

/** Text of an address given as 4 (IPv4) or 16 (IPv6) bytes; other lengths as hex. */
export function formatIP(b: Uint8Array, off = 0, len = b.length - off): string {
  if (len === 4) return formatIPv4(b, off);
  if (len === 16) return formatIPv6(b, off);
  return toHex(b, off, off + len);
}

/**
 * The 32-bit value of dotted-quad text (first octet highest), or -1: four decimal octets of
 * 0..255 without leading zeros, as the grammar `(0|[1-9][0-9]{0,2})` x 4 accepted. One pass
 * over the characters, no split, no regular expression, no allocation.
 */
export function ipv4Value(s: string): number {
  return ipv4ValueAt(s, 0, s.length);
}

/** {@link ipv4Value} of the characters [start, end) of `s`, without slicing it. */
export function ipv4ValueAt(s: string, start: number, end: number): number {
  const n = end - start;
  if (n < 7 || n > 15) return -1;
  let v = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      v = v * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + octet;
}

/** Writes the four bytes of `192.0.2.1` at `off`; false (nothing written) for bad text. */
export function writeIPv4(s: string, buf: Uint8Array, off: number): boolean {
  const v = ipv4Value(s);
  if (v < 0) return false;
  buf[off] = v >>> 24;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
  return true;
}

/** Four bytes for `192.0.2.1`, or undefined. */
export function parseIPv4(s: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  return writeIPv4(s, out, 0) ? out : undefined;
}

/** Sixteen bytes for `2001:db8::1` (also `::ffff:192.0.2.1`), or undefined. */
export function parseIPv6(s: string): Uint8Array | undefined {
  let tail4: Uint8Array | undefined;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) >= 0) {
    tail4 = parseIPv4(text.slice(lastColon + 1));
    if (!tail4) return undefined;
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return undefined;
  const parseGroups = (t: string): number[] | undefined => {
    if (t === '') return [];
    const out: number[] = [];
    for (const g of t.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = parseGroups(text.slice(0, dbl));
    const tail = parseGroups(text.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const g = parseGroups(text);
    if (!g || g.length !== 8) return undefined;
    groups = g;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i]! >> 8;
    out[2 * i + 1] = groups[i]! & 0xff;
  }
  if (tail4) out.set(tail4, 12);
  return out;
}

/** The value of hex digit `c` (a char code), or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/**
 * Writes the sixteen bytes of the IPv6 text in [start, end) of `s` at `off` of `buf`, with
 * no slice, array or regular expression; false for text {@link parseIPv6} refuses (it accepts
 * exactly the same texts and gives the same bytes). On false, up to 16 bytes at `off` may
 * have been written.
 */
export function writeIPv6(s: string, buf: Uint8Array, off: number, start = 0, end = s.length): boolean {
  let g = 0; // groups written
  let dbl = -1; // the group index where `::` stands
  let i = start;
  if (end - i < 2) return false;
  if (s.charCodeAt(i) === 58) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    dbl = 0;
    i += 2;
  }
  while (i < end) {
    let v = 0;
    let j = i;
    for (; j < end; j++) {
      const d = hexValue(s.charCodeAt(j));
      if (d < 0) break;
      v = v * 16 + d;
    }
    if (j < end && s.charCodeAt(j) === 46) {
      // A dotted quad ends the text and stands for two groups (`::ffff:192.0.2.1`).
      const v4 = g > 6 ? -1 : ipv4ValueAt(s, i, end);
      if (v4 < 0) return false;
      const o = off + 2 * g;
      buf[o] = v4 >>> 24;
      buf[o + 1] = (v4 >>> 16) & 0xff;
      buf[o + 2] = (v4 >>> 8) & 0xff;
      buf[o + 3] = v4 & 0xff;
      g += 2;
      break;
    }
    if (j === i || j - i > 4 || g === 8) return false;
    buf[off + 2 * g] = v >> 8;
    buf[off + 2 * g + 1] = v & 0xff;
    g++;
    if (j === end) break;
    if (s.charCodeAt(j) !== 58 || j + 1 === end) return false;
    i = j + 1;
    if (s.charCodeAt(i) === 58) {
      if (dbl >= 0) return false;
      dbl = g;
      i++;
    }
  }
  if (dbl < 0) return g === 8;
  if (g > 7) return false;
  // Move the groups after `::` to the end and zero the gap.
  const tail = 2 * (g - dbl);
  const from = off + 2 * dbl;
  for (let k = tail - 1; k >= 0; k--) buf[off + 16 - tail + k] = buf[from + k]!;
  for (let k = from; k < off + 16 - tail; k++) buf[k] = 0;
  return true;
}

/** Bytes of an IPv4 or IPv6 address in text, or undefined. */
export function parseIP(s: string): Uint8Array | undefined {
  return s.includes(':') ? parseIPv6(s) : parseIPv4(s);
}

const hexDigits = '0123456789abcdef';
const byteHex: string[] = [];
for (let i = 0; i < 256; i++) byteHex.push(hexDigits[i >> 4]! + hexDigits[i & 15]!);

/** Lower-case hex of bytes [start, end). */
export function toHex(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += byteHex[b[i]!];
  return s;
}

/** Bytes of an even-length hex string (whitespace ignored), or undefined. */
export function fromHex(s: string): Uint8Array | undefined {
  const t = s.replace(/\s+/g, '');
  if (t.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(t)) return undefined;
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.substr(2 * i, 2), 16);
  return out;
}

/** `02:00:5e:10:00:01` from link-layer address bytes. */
export function formatLladdr(b: Uint8Array, off = 0, len = b.length - off): string {
  let s = '';
  for (let i = 0; i < len; i++) s += (i ? ':' : '') + byteHex[b[off + i]!];
  return s;
}

/** Bytes of `02:00:5e:10:00:01` (any number of octets), or undefined. */
export function parseLladdr(s: string): Uint8Array | undefined {
  if (s === '') return new Uint8Array(0);
  const parts = s.split(':');
  const out = new Uint8Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(parts[i]!)) return undefined;
    out[i] = parseInt(parts[i]!, 16);
  }
  return out;
}
