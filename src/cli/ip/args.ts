/**
 * iproute2's argument helpers (lib/utils.c): keyword abbreviations (`matches`), NEXT_ARG,
 * the usage errors with ip's wording, and address and prefix parsing (get_addr,
 * get_prefix) with ip's rules: `10/8` is 10.0.0.0/8, `default`, `all` and `any` are the
 * zero prefix, and an address of the wrong family is refused.
 *
 * @module
 */
import { formatIP, parseIPv6 } from '../../netlink/ip.js';
import { parseUnsigned } from './names.js';

/** AF_INET. */
export const AF_INET = 2;
/** AF_INET6. */
export const AF_INET6 = 10;

/**
 * A usage error: the message is printed as is (it is ip's wording, or says what nlwire
 * does not support) and the command exits 2.
 */
export class IpUsageError extends Error {
  override readonly name = 'IpUsageError';
}

/** A failure ip reports without the kernel (`Cannot find device "eth9"`): exit 1. */
export class IpFailure extends Error {
  override readonly name = 'IpFailure';
}

/**
 * iproute2's `matches(arg, word) == 0`: `arg` is a non-empty prefix of `word`, so `sh`,
 * `sho` and `show` all match `show`.
 */
export function matches(arg: string, word: string): boolean {
  return arg.length > 0 && word.startsWith(arg);
}

/**
 * invarg(): `Error: argument "ARG" is wrong: MSG`. Most of iproute2's messages end with
 * `\n` and invarg adds another: the blank line is kept, as ip prints it.
 */
export function invarg(msg: string, arg: string): never {
  throw new IpUsageError(`Error: argument "${arg}" is wrong: ${msg}`);
}

/** duparg2(). */
export function duparg2(key: string, arg: string): never {
  throw new IpUsageError(`Error: either "${key}" is duplicate, or "${arg}" is a garbage.`);
}

/** duparg(). */
export function duparg(key: string, arg: string): never {
  throw new IpUsageError(`Error: duplicate "${key}": "${arg}" is the second value.`);
}

/** A keyword ip has that nlwire does not implement. */
export function unsupported(what: string): never {
  throw new IpUsageError(`nlwire: "${what}" is not supported (see --help)`);
}

/** The argument list of one command, read left to right as iproute2's while loops do. */
export class Args {
  readonly #a: readonly string[];
  #i = 0;

  constructor(args: readonly string[]) {
    this.#a = args;
  }

  /** Arguments left, the current one included. */
  get left(): number {
    return this.#a.length - this.#i;
  }

  /** The current argument (`*argv`). */
  cur(): string {
    const v = this.#a[this.#i];
    if (v === undefined) throw new IpUsageError('Command line is not complete. Try option "help"');
    return v;
  }

  /** The arguments from the current one on. */
  rest(): string[] {
    return this.#a.slice(this.#i);
  }

  /** Steps past the current argument (`argc--, argv++`). */
  skip(): void {
    this.#i++;
  }

  /** NEXT_ARG(): the next argument, or ip's "Command line is not complete". */
  next(): string {
    this.#i++;
    return this.cur();
  }
}

/** An inet_prefix: an address (absent for `default`, `all`, `any`) and a prefix length. */
export interface Prefix {
  /** AF_INET or AF_INET6; 0 for `default`/`all`/`any` without a family. */
  family: number;
  /** The address as inet_ntop writes it; undefined for `default`, `all`, `any`. */
  addr?: string;
  bytes?: Uint8Array;
  /** The prefix length. */
  bitlen: number;
  /** A `/len` was written. */
  lenGiven: boolean;
  /** `default` (as opposed to `all` or `any`). */
  isDefault?: boolean;
}

function familyVerbose(family: number): string {
  return family === AF_INET ? 'inet' : family === AF_INET6 ? 'inet6' : 'any valid';
}

/** get_addr_ipv4: one to four parts, each strtoul base 0 up to 255; missing parts are 0. */
function parseIPv4Parts(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length > 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < parts.length; i++) {
    const n = parseUnsigned(parts[i]!, 0, 255);
    if (n === undefined) return undefined;
    out[i] = n;
  }
  return out;
}

/** get_addr_1 for one address text; undefined when it does not parse in `family`. */
function addr1(text: string, family: number): { family: number; bytes?: Uint8Array; special?: 'default' | 'any' } | undefined {
  if (text === 'default') return { family, special: 'default' };
  if (text === 'all' || text === 'any') return { family, special: 'any' };
  if (text.includes(':')) {
    if (family !== 0 && family !== AF_INET6) return undefined;
    const b = parseIPv6(text);
    return b ? { family: AF_INET6, bytes: b } : undefined;
  }
  if (family !== 0 && family !== AF_INET) return undefined;
  const b = parseIPv4Parts(text);
  return b ? { family: AF_INET, bytes: b } : undefined;
}

/** get_netmask: a length, or for IPv4 a dotted mask of contiguous ones. */
function netmask(text: string, family: number): number | undefined {
  const n = parseUnsigned(text, 0);
  if (n !== undefined) return n;
  if (family !== AF_INET) return undefined;
  const b = parseIPv4Parts(text);
  if (!b || text.split('.').length !== 4) return undefined;
  const v = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const len = 32 - Math.log2(((~v) >>> 0) + 1);
  return Number.isInteger(len) ? len : undefined;
}

/**
 * get_prefix: `192.0.2.0/24`, `2001:db8::/32`, `10/8`, an address (full length), or
 * `default`/`all`/`any` (length 0). Fails with ip's "inet prefix is expected" error.
 */
export function getPrefix(text: string, family: number): Prefix {
  const slash = text.indexOf('/');
  const a = addr1(slash < 0 ? text : text.slice(0, slash), family);
  const bad = (): never => {
    throw new IpUsageError(`Error: ${familyVerbose(family)} prefix is expected rather than "${text}".`);
  };
  if (!a) return bad();
  if (a.special) {
    if (slash >= 0) return bad();
    return { family: a.family, bitlen: 0, lenGiven: false, isDefault: a.special === 'default' };
  }
  const max = a.family === AF_INET ? 32 : 128;
  let bitlen = max;
  if (slash >= 0) {
    const n = netmask(text.slice(slash + 1), a.family);
    if (n === undefined || n > max) return bad();
    bitlen = n;
  }
  return { family: a.family, addr: formatIP(a.bytes!), bytes: a.bytes!, bitlen, lenGiven: slash >= 0 };
}

/** get_addr: one address of `family` (any when 0); ip's "inet address is expected" error. */
export function getAddr(text: string, family: number): { family: number; addr: string; bytes: Uint8Array } {
  const a = addr1(text, family);
  if (!a || !a.bytes) {
    throw new IpUsageError(`Error: ${familyVerbose(family)} address is expected rather than "${text}".`);
  }
  return { family: a.family, addr: formatIP(a.bytes), bytes: a.bytes };
}

/** The `addr/len` text the client takes for a prefix. */
export function prefixText(p: Prefix): string {
  return p.addr === undefined ? 'default' : `${p.addr}/${p.bitlen}`;
}

/**
 * inet_addr_match: the first `bits` bits of `a` equal those of `b` (both of one family).
 */
export function addrMatch(a: Uint8Array | undefined, b: Uint8Array | undefined, bits: number): boolean {
  const x = a ?? new Uint8Array(16);
  const y = b ?? new Uint8Array(16);
  let i = 0;
  for (; bits >= 8; bits -= 8, i++) if (x[i] !== y[i]) return false;
  if (bits > 0) {
    const mask = (0xff << (8 - bits)) & 0xff;
    if (((x[i] ?? 0) & mask) !== ((y[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** get_time_rtt: `NUMBER[s|sec|secs|ms|msec|msecs]`; `raw` when no unit was given. */
export function getTimeRtt(arg: string): { value: number; raw: boolean } | undefined {
  const m = /^([0-9.]+|0x[0-9a-f]+)(.*)$/i.exec(arg);
  if (!m) return undefined;
  let t = m[1]!.includes('.') ? Number(m[1]) : parseUnsigned(m[1]!, 0);
  if (t === undefined || !Number.isFinite(t)) return undefined;
  const unit = m[2]!.toLowerCase();
  if (unit === '') return { value: Math.trunc(t), raw: true };
  if (['s', 'sec', 'secs'].includes(unit)) t *= 1000;
  else if (!['ms', 'msec', 'msecs'].includes(unit)) return undefined;
  return { value: Math.trunc(t), raw: false };
}
