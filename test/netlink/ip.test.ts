/**
 * Address text against glibc: formatIPv6 must print what inet_ntop(3) prints (iproute2's
 * `ip -j` output is made with it), checked over random addresses with runs of zero groups,
 * IPv4-mapped and -compatible forms, through Python's socket.inet_ntop (glibc's).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';

import { formatIPv4, formatIPv6, parseIPv6 } from '../../src/netlink/ip.js';

/** 16 bytes with zero groups in runs, the shapes where `::` placement matters. */
const addr6 = fc.tuple(
  fc.array(fc.constantFrom(0, 0, 0, 1, 0xff, 0x100, 0xffff, 0xdb8, 0x2001), { minLength: 8, maxLength: 8 }),
  fc.constantFrom('plain', 'mapped', 'compat'),
).map(([g, kind]) => {
  const b = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    b[2 * i] = g[i]! >> 8;
    b[2 * i + 1] = g[i]! & 0xff;
  }
  if (kind !== 'plain') {
    b.fill(0, 0, 10);
    b[10] = b[11] = kind === 'mapped' ? 0xff : 0;
  }
  return b;
});

function inetNtop(all: Uint8Array[]): string[] {
  const hex = all.map((b) => Buffer.from(b).toString('hex')).join('\n');
  const out = execFileSync('python3', ['-c',
    'import socket,sys\nfor l in sys.stdin.read().split():\n print(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(l)))'],
  { input: hex, encoding: 'utf8' });
  return out.trim().split('\n');
}

describe('formatIPv6', () => {
  it('prints what glibc inet_ntop prints, for 3,000 addresses with zero runs, mapped and compatible forms', () => {
    const samples = fc.sample(addr6, { numRuns: 3000, seed: 5952 });
    const want = inetNtop(samples);
    expect(want).toHaveLength(samples.length);
    const got = samples.map((b) => formatIPv6(b));
    const wrong = got.flatMap((g, i) => (g === want[i] ? [] : [`${Buffer.from(samples[i]!).toString('hex')}: ${g} != ${want[i]}`]));
    expect(wrong).toEqual([]);
    // The text parses back to the same bytes.
    for (let i = 0; i < samples.length; i += 7) expect(parseIPv6(got[i]!)).toEqual(samples[i]);
  });

  it('reads at an offset and leaves the bytes around it alone', () => {
    const b = new Uint8Array(20).fill(0xee);
    b.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 2);
    expect(formatIPv6(b, 2)).toBe('2001:db8::1');
    expect(formatIPv4(new Uint8Array([9, 192, 0, 2, 1]), 1)).toBe('192.0.2.1');
  });
});
