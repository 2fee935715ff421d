/**
 * Checks shared by the table tests: a decode that must fail with DecodeError, attribute
 * offsets found by walking the TLVs, and mutated captures that may raise nothing else.
 */
import { expect } from 'vitest';
import fc from 'fast-check';
import { decodeDatagram, encodeDatagram, type Protocol } from '../../src/netlink/message.js';
import { DecodeError } from '../../src/netlink/errors.js';
import { datagramToJSON, datagramFromJSON } from '../../src/netlink/json.js';

/** The DecodeError `fn` throws; fails the test when it returns, or throws anything else. */
export function throwsDecodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

/** The DecodeError `bytes` raise as a datagram of `proto`. */
export function decodeError(bytes: Uint8Array, proto: Protocol): DecodeError {
  return throwsDecodeError(() => decodeDatagram(bytes, proto));
}

/**
 * Offset of the first attribute of `type` in [start, end), by nla_len alone (no decoding).
 * The default start, 28, is the first attribute of a one-message datagram whose family
 * header is 12 bytes (ndmsg, fib_rule_hdr).
 */
export function attrOffset(b: Uint8Array, type: number, start = 28, end = b.length): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let o = start; o + 4 <= end; o += (v.getUint16(o, true) + 3) & ~3) {
    if ((v.getUint16(o + 2, true) & 0x3fff) === type) return o;
  }
  throw new Error(`no attribute ${type}`);
}

/**
 * Property: up to 4 byte changes and a cut of up to 7 bytes in any of `captures` either
 * decode and re-encode to the same bytes, or raise DecodeError and nothing else.
 */
export function assertMutationsRaiseOnlyDecodeError(
  captures: readonly Uint8Array[], proto: Protocol, numRuns = 2000,
): void {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: captures.length - 1 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    fc.nat(),
    (i, edits, cut) => {
      const b = captures[i]!.slice(0, Math.max(0, captures[i]!.length - (cut % 8)));
      for (const [at, v] of edits) if (b.length) b[at % b.length] = v;
      try {
        const dg = decodeDatagram(b, proto);
        expect(encodeDatagram(dg, proto)).toEqual(b);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    },
  ), { numRuns });
}

/**
 * Every datagram of a recorded fixture decodes with no raw bytes, no bare payload and no
 * unknown attribute (but those in `newerThanHeader`, kept whole), and re-encodes byte for
 * byte from the typed view and from its JSON.
 */
export function expectLossless(
  name: string, datagrams: ReadonlyArray<{ bytes: Uint8Array; line: number }>, proto: Protocol,
  newerThanHeader: ReadonlySet<string> = new Set(),
): void {
  expect(datagrams.length).toBeGreaterThan(0);
  for (const d of datagrams) {
    const dg = decodeDatagram(d.bytes, proto, { path: `${name}:${d.line}` });
    for (const m of dg.messages) {
      expect(m.raw, `${name}:${d.line} needs its raw bytes`).toBeUndefined();
      expect(m.payload).toBeUndefined();
      const keys = [...Object.keys(m.attrs ?? {}), ...Object.keys(m.request?.attrs ?? {})];
      for (const k of keys.filter((x) => x.startsWith('unknown'))) expect(newerThanHeader.has(k), k).toBe(true);
    }
    expect(encodeDatagram(dg, proto)).toEqual(d.bytes);
    const json = JSON.parse(JSON.stringify(datagramToJSON(dg, proto)));
    expect(encodeDatagram(datagramFromJSON(json, proto), proto)).toEqual(d.bytes);
  }
}
