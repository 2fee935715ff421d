import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHexLines, parseHexLines } from '../../src/capture/hexlines.js';
import { toHex } from '../../src/netlink/ip.js';
import { DecodeError, EncodeError } from '../../src/netlink/errors.js';
import { throwsDecodeError } from '../helpers/decode.js';

describe('parseHexLines', () => {
  it('reads directions, comments, blank lines and spaced hex', () => {
    const text = [
      '# ip route get 192.0.2.1',
      '',
      '> 24000000 1a00 0100  # RTM_GETROUTE',
      '<68000000',
      '   ',
      '\tAB cd EF  ',
      '# trailing comment',
    ].join('\n');
    const d = parseHexLines(text);
    expect(d).toHaveLength(3);
    expect(d[0]).toEqual({ direction: '>', bytes: Uint8Array.from([0x24, 0, 0, 0, 0x1a, 0, 1, 0]), line: 3 });
    expect(d[1]).toEqual({ direction: '<', bytes: Uint8Array.from([0x68, 0, 0, 0]), line: 4 });
    expect(d[2]).toEqual({ bytes: Uint8Array.from([0xab, 0xcd, 0xef]), line: 6 });
    expect('direction' in d[2]!).toBe(false);
  });

  it('accepts CRLF line ends and a last line without newline', () => {
    const d = parseHexLines('> 0102\r\n< 0304');
    expect(d.map((x) => [x.direction, toHex(x.bytes), x.line])).toEqual([
      ['>', '0102', 1],
      ['<', '0304', 2],
    ]);
  });

  it('returns nothing for comments and blank lines only', () => {
    expect(parseHexLines('')).toEqual([]);
    expect(parseHexLines('# a\n\n   # b\n')).toEqual([]);
  });

  it('names line and column of a non-hex character', () => {
    const text = '> 0102\n< 03 0g 05\n';
    const e = throwsDecodeError(() => parseHexLines(text));
    expect(e.path).toBe('hex:line 2, column 7');
    expect(e.offset).toBe(text.indexOf('g'));
    expect(e.detail).toContain("'g'");
  });

  it('names line and column of a group with an odd digit count', () => {
    const text = '# c\n\n> 0102 030 04\n';
    const e = throwsDecodeError(() => parseHexLines(text));
    expect(e.path).toBe('hex:line 3, column 8');
    expect(e.offset).toBe(text.indexOf('030'));
    expect(e.detail).toMatch(/odd number of hex digits \(3\)/);
  });

  it('rejects a direction without bytes and a second direction mark', () => {
    expect(throwsDecodeError(() => parseHexLines('>   # nothing')).path).toBe('hex:line 1, column 1');
    expect(throwsDecodeError(() => parseHexLines('> > 00')).path).toBe('hex:line 1, column 3');
  });

  it('rejects a 0x prefix rather than guessing', () => {
    expect(throwsDecodeError(() => parseHexLines('0x24000000')).path).toBe('hex:line 1, column 2');
  });
});

describe('formatHexLines', () => {
  it('writes comments, then one lower-case line per datagram', () => {
    const text = formatHexLines(
      [
        { direction: '>', bytes: Uint8Array.from([0x24, 0xab]) },
        { direction: '<', bytes: Uint8Array.from([0xff]) },
        { bytes: Uint8Array.from([0x0a]) },
      ],
      { comments: ['ip route get 192.0.2.1', 'two\nlines'] },
    );
    expect(text).toBe('# ip route get 192.0.2.1\n# two\n# lines\n> 24ab\n< ff\n0a\n');
  });

  it('writes nothing for nothing, and refuses an empty datagram', () => {
    expect(formatHexLines([])).toBe('');
    expect(() => formatHexLines([{ bytes: new Uint8Array(0) }])).toThrow(EncodeError);
  });

  it('round-trips any datagrams through parseHexLines', () => {
    const datagram = fc.record(
      {
        direction: fc.constantFrom<'>' | '<' | undefined>('>', '<', undefined),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 300 }),
      },
      { requiredKeys: ['bytes'] },
    );
    fc.assert(
      fc.property(fc.array(datagram, { maxLength: 8 }), fc.array(fc.string(), { maxLength: 3 }), (ds, comments) => {
        const parsed = parseHexLines(formatHexLines(ds, { comments }));
        expect(parsed.map((p) => ({ direction: p.direction, bytes: p.bytes }))).toEqual(
          ds.map((d) => ({ direction: d.direction, bytes: d.bytes })),
        );
      }),
    );
  });

  it('throws nothing but DecodeError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('0', 'a', 'F', 'g', ' ', '\t', '\n', '#', '>', '<', 'é', '\r') }), (s) => {
        try {
          parseHexLines(s);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
