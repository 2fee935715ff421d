/**
 * The explain view: every byte of a datagram, at its offset, with the kernel name of the
 * field it belongs to and what it means. The rows tile the datagram exactly (no gaps, no
 * overlaps), so a learner can put a finger on any byte of a capture and read its meaning.
 *
 * ```text
 * offset      bytes                     field                         value
 * 0x0000   0  24 00 00 00               nlmsghdr.nlmsg_len            36
 * 0x0004   4  1a 00                     nlmsghdr.nlmsg_type           26 RTM_GETROUTE
 * 0x0024  36  08 00                       RTA_PREFSRC.nla_len         8
 * ```
 *
 * Malformed input is explained as far as it parses; the rest becomes one `unknown` row that
 * carries the {@link DecodeError}'s detail. A broken attribute list only spoils itself:
 * the message around it goes on. Work is linear in the bytes; nothing but DecodeError is
 * ever thrown (and none escapes `explainDatagram`).
 *
 * Pure TypeScript, no Node APIs: it runs in a browser.
 */
import { DecodeError } from './errors.js';
import { type Protocol, typeName, attributeAt, extackAttrs } from './message.js';
import { type AttrTable, type AttrEntry, type DecodeCtx, attrName, MAX_NEST_DEPTH } from './attrs.js';
import { type Struct, type StructField, LITTLE_ENDIAN, bitNames } from './struct.js';
import { nlmsgFlagNames } from './json.js';
import { formatIP, formatLladdr, toHex } from './ip.js';
import { errnoName, errnoText } from './errno.js';
import {
  NLMSG_HDRLEN, NLMSG_NOOP, NLMSG_ERROR, NLMSG_MIN_TYPE, NLMSG_DONE, NLMSG_OVERRUN, NLM_F_CAPPED, NLM_F_ACK_TLVS,
  NLM_F_REQUEST, NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_TYPE_MASK, addressFamilyNames, align4,
} from './constants.js';

/** One explained byte range. */
export interface ExplainRow {
  /** Offset from the start of the datagram. */
  offset: number;
  /** Bytes covered (at least 1). */
  length: number;
  /** The bytes, lower-case hex without separators. */
  bytes: string;
  /** Kernel name: `nlmsghdr.nlmsg_len`, `rtmsg.rtm_table`, `RTA_PREFSRC.nla_type`, `RTA_PREFSRC`. */
  field: string;
  /** The value, with names and a short meaning: `254 main`, `192.0.2.10 (...)`. */
  value: string;
  /** Nesting: 0 for a message and its attributes, +1 per nested attribute or echoed request. */
  depth: number;
  kind: 'header' | 'field' | 'attr-header' | 'padding' | 'unknown' | 'trailing';
}

/**
 * One-line meanings of the attributes a learner meets first, by kernel name. Kept by
 * name rather than in the rtnl tables so the view stays one lookup; an attribute without
 * an entry is shown by name and value alone.
 */
export const attrMeanings: Readonly<Record<string, string>> = {
  RTA_DST: 'destination prefix; its length is rtm_dst_len',
  RTA_SRC: 'source prefix for source-prefix routing ("from"); not the preferred source',
  RTA_IIF: 'input interface index ("iif")',
  RTA_OIF: 'output interface index: iproute2\'s "dev"',
  RTA_GATEWAY: 'the next hop\'s address: iproute2\'s "via"',
  RTA_PRIORITY: 'route priority: iproute2\'s "metric"',
  RTA_PREFSRC: 'the preferred source address: iproute2\'s "src"',
  RTA_METRICS: 'per-route metrics: RTAX_* attributes nested inside',
  RTA_MULTIPATH: 'next hops: each a struct rtnexthop followed by its own RTA_* attributes',
  RTA_FLOW: 'routing realms (from << 16 | to)',
  RTA_CACHEINFO: 'route cache statistics: struct rta_cacheinfo',
  RTA_TABLE: 'routing table id, all 32 bits; rtm_table holds only ids below 256',
  RTA_MARK: 'firewall mark the lookup used: iproute2\'s "mark"',
  RTA_VIA: 'a gateway of another address family: struct rtvia',
  RTA_NEWDST: 'MPLS labels to swap to ("as to")',
  RTA_PREF: 'IPv6 router preference',
  RTA_ENCAP_TYPE: 'lightweight tunnel type (LWTUNNEL_ENCAP_*)',
  RTA_ENCAP: 'lightweight tunnel parameters',
  RTA_EXPIRES: 'time until the route expires',
  RTA_UID: 'user id the lookup was made for: iproute2\'s "uid"',
  RTA_TTL_PROPAGATE: 'MPLS TTL propagation',
  RTA_IP_PROTO: 'IP protocol for the lookup ("ipproto")',
  RTA_SPORT: 'source port for the lookup, network byte order ("sport")',
  RTA_DPORT: 'destination port for the lookup, network byte order ("dport")',
  RTA_NH_ID: 'id of a nexthop object (RTM_NEWNEXTHOP) the route uses',
  RTAX_LOCK: 'bit mask of the metrics locked against path discovery',
  RTAX_MTU: 'path MTU',
  RTAX_WINDOW: 'TCP window clamp',
  RTAX_RTT: 'initial TCP RTT estimate',
  RTAX_ADVMSS: 'TCP MSS advertised on this route',
  RTAX_HOPLIMIT: 'IP TTL / IPv6 hop limit',
  RTAX_INITCWND: 'initial TCP congestion window',
  RTAX_INITRWND: 'initial TCP receive window',
  RTAX_CC_ALGO: 'TCP congestion control algorithm: iproute2\'s "congctl"',
  NLMSGERR_ATTR_MSG: 'the kernel\'s error message',
  NLMSGERR_ATTR_OFFS: 'offset in the request, from its nlmsghdr, of the attribute at fault',
  NLMSGERR_ATTR_COOKIE: 'a cookie from the subsystem',
  NLMSGERR_ATTR_POLICY: 'the policy the faulty attribute broke',
  NLMSGERR_ATTR_MISS_TYPE: 'type of a missing attribute',
  NLMSGERR_ATTR_MISS_NEST: 'offset of the nest that lacks it',
};

/** struct rtnexthop (linux/rtnetlink.h): the header of each RTA_MULTIPATH next hop. */
const RTNH_HDRLEN = 8;

type Kind = ExplainRow['kind'];

class Explainer {
  readonly rows: ExplainRow[] = [];
  /** End of the last row: the next row must start here. */
  cursor = 0;
  readonly ctx: DecodeCtx;

  constructor(readonly buf: Uint8Array, readonly proto: Protocol | undefined) {
    this.ctx = { buf, view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), odd: false };
  }

  get view(): DataView { return this.ctx.view; }

  row(offset: number, length: number, field: string, value: string, depth: number, kind: Kind): void {
    if (length <= 0) return;
    if (offset !== this.cursor || offset + length > this.buf.length) {
      throw new DecodeError(`explain row ${field} at ${offset} does not follow ${this.cursor}`, offset, field);
    }
    this.rows.push({ offset, length, bytes: '', field, value, depth, kind });
    this.cursor = offset + length;
  }

  /**
   * Rows for [offset, end) that should be zero: `padding` (named by the macro that asks
   * for it: NLMSG_ALIGN, NLA_ALIGN, RTNH_ALIGN), or `unknown` when they are not zero.
   */
  padding(offset: number, end: number, depth: number, align: string, what = 'padding'): void {
    if (end <= offset) return;
    const n = end - offset;
    let zero = true;
    for (let i = offset; i < end; i++) if (this.buf[i] !== 0) zero = false;
    if (!zero) this.row(offset, n, what, `${n} bytes, not zero (${align ? 'padding; ' : ''}the kernel ignores them)`, depth, 'unknown');
    else if (align) this.row(offset, n, what, `${n} zero byte${n === 1 ? '' : 's'} (${align} to 4)`, depth, 'padding');
    else this.row(offset, n, what, `${n} zero byte${n === 1 ? '' : 's'}`, depth, 'padding');
  }

  /** Runs `f`; on a DecodeError, drops its rows and covers [from, end) with one `unknown` row. */
  guard(from: number, end: number, depth: number, field: string, f: () => void): void {
    const n = this.rows.length;
    try {
      f();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.rows.length = n;
      this.cursor = from;
      this.row(from, end - from, field, e.detail, depth, 'unknown');
      return;
    }
    if (this.cursor < end) this.row(this.cursor, end - this.cursor, field, 'bytes not explained', depth, 'unknown');
  }

  /** Explains one message in [start, end): end = start + nlmsg_len, checked by the caller. */
  message(start: number, end: number, depth: number, echoed = false): void {
    const v = this.view;
    const type = v.getUint16(start + 4, LITTLE_ENDIAN);
    const flags = v.getUint16(start + 6, LITTLE_ENDIAN);
    this.header(start, depth, '');
    const p = start + NLMSG_HDRLEN;
    if (echoed && type < NLMSG_MIN_TYPE) {
      // The kernel echoes requests only: a control message inside an echo stays bytes (as
      // decodeDatagram keeps it), which also bounds the recursion.
      if (p < end) this.row(p, end - p, 'payload', `${end - p} bytes of an echoed ${typeName(type, this.proto)}`, depth, 'unknown');
    } else if (type === NLMSG_ERROR) this.error(flags, p, end, depth);
    else if (type === NLMSG_DONE) this.done(flags, p, end, depth);
    else this.family(type, flags, p, end, depth);
  }

  header(start: number, depth: number, note: string): void {
    const v = this.view;
    const len = v.getUint32(start, LITTLE_ENDIAN);
    const type = v.getUint16(start + 4, LITTLE_ENDIAN);
    const flags = v.getUint16(start + 6, LITTLE_ENDIAN);
    const names = nlmsgFlagNames(type, flags, this.proto).filter((n) => !n.startsWith('0x'));
    const pid = v.getUint32(start + 12, LITTLE_ENDIAN);
    this.row(start, 4, 'nlmsghdr.nlmsg_len', `${len}${note}`, depth, 'header');
    const tn = typeName(type, this.proto);
    this.row(start + 4, 2, 'nlmsghdr.nlmsg_type', tn === String(type) ? tn : `${type} ${tn}`, depth, 'header');
    this.row(start + 6, 2, 'nlmsghdr.nlmsg_flags', hexNum(flags, 2) + (names.length ? ' ' + names.join('|') : ''), depth, 'header');
    this.row(start + 8, 4, 'nlmsghdr.nlmsg_seq', String(v.getUint32(start + 8, LITTLE_ENDIAN)), depth, 'header');
    this.row(start + 12, 4, 'nlmsghdr.nlmsg_pid', pid === 0 ? '0' : `${pid} (a socket\'s port id)`, depth, 'header');
  }

  family(type: number, flags: number, p: number, end: number, depth: number): void {
    if (p >= end) return;
    const spec = type === NLMSG_NOOP || type === NLMSG_OVERRUN ? undefined : this.proto?.messages.get(type);
    if (!spec) {
      this.row(p, end - p, 'payload', `${end - p} bytes of message type ${typeName(type, this.proto)}, not described`, depth, 'unknown');
      return;
    }
    const size = spec.body?.size ?? 0;
    if (end - p < size) {
      // Old dump requests carry struct rtgenmsg (one byte: the family) instead of the full header.
      if (flags & NLM_F_REQUEST) {
        this.row(p, 1, 'rtgenmsg.rtgen_family', familyText(this.buf[p]!), depth, 'field');
        this.padding(p + 1, end, depth, '', 'payload');
      } else {
        this.row(p, end - p, 'payload', `${end - p} bytes of payload, ${spec.body!.name} needs ${size}`, depth, 'unknown');
      }
      return;
    }
    if (spec.body) this.struct(spec.body, p, depth);
    const a = Math.min(p + align4(size), end);
    this.padding(p + size, a, depth, 'NLMSG_ALIGN');
    if (a >= end) return;
    if (spec.attrs) this.attrs(spec.attrs, a, end, depth, 0);
    else this.row(a, end - a, 'payload', `${end - a} bytes after ${spec.body?.name ?? 'the header'}`, depth, 'unknown');
  }

  struct(s: Struct<any>, off: number, depth: number): void {
    for (const f of [...s.fields].sort((x, y) => x.offset - y.offset)) {
      this.row(off + f.offset, f.size, `${s.name}.${f.kname}`, this.fieldValue(f, off + f.offset), depth, 'field');
    }
  }

  fieldValue(f: StructField, off: number): string {
    const v = this.view;
    let x: number | bigint;
    switch (f.type) {
      case 'u8': x = this.buf[off]!; break;
      case 's8': x = v.getInt8(off); break;
      case 'u16': x = v.getUint16(off, LITTLE_ENDIAN); break;
      case 's16': x = v.getInt16(off, LITTLE_ENDIAN); break;
      case 'u32': x = v.getUint32(off, LITTLE_ENDIAN); break;
      case 's32': x = v.getInt32(off, LITTLE_ENDIAN); break;
      case 'u64': x = v.getBigUint64(off, LITTLE_ENDIAN); break;
      case 's64': x = v.getBigInt64(off, LITTLE_ENDIAN); break;
      case 'u16be': x = v.getUint16(off, false); break;
      case 'u32be': x = v.getUint32(off, false); break;
      default: return toHex(this.buf, off, off + f.size);
    }
    if (typeof x === 'bigint') return x.toString();
    if (f.bits) {
      const names = bitNames(x, f.bits).filter((n) => !n.startsWith('0x'));
      return hexNum(x, f.size) + (names.length ? ' ' + names.join('|') : '');
    }
    if (f.enum) return f.enum[x] !== undefined ? `${x} ${f.enum[x]}` : String(x);
    if (/_family$/.test(f.kname)) return familyText(x);
    return String(x);
  }

  /** The attributes in [start, end); a framing fault covers the rest of the list. */
  attrs(table: AttrTable, start: number, end: number, depth: number, nest: number): void {
    const v = this.view;
    let o = start;
    while (o < end) {
      if (end - o < 4) {
        this.padding(o, end, depth, '', 'trailing');
        return;
      }
      const len = v.getUint16(o, LITTLE_ENDIAN);
      const rawType = v.getUint16(o + 2, LITTLE_ENDIAN);
      const type = rawType & NLA_TYPE_MASK;
      const e = table.byType[type];
      const name = attrName(table, type);
      if (len < 4 || len > end - o) {
        const why = len < 4 ? `nla_len ${len} is below 4` : `nla_len ${len} runs past the end of its parent (${end - o} bytes left)`;
        this.row(o, end - o, name, `${why}: the rest of this attribute list cannot be read`, depth, 'unknown');
        return;
      }
      this.row(o, 2, `${name}.nla_len`, String(len), depth, 'attr-header');
      const bits: string[] = [];
      if (rawType & NLA_F_NESTED) bits.push('NLA_F_NESTED');
      if (rawType & NLA_F_NET_BYTEORDER) bits.push('NLA_F_NET_BYTEORDER');
      let typeText = bits.length ? `${type} | ${bits.join(' | ')} (${hexNum(rawType, 2)})` : String(type);
      const meaning = attrMeanings[name];
      const whole = !e || e.kind !== 'nested' && !(e.kind === 'codec' && e.kname === 'RTA_MULTIPATH');
      if (!whole && meaning) typeText += ` (${meaning})`;
      if (e?.kind === 'flag') typeText += ' (a flag: present means set)';
      this.row(o + 2, 2, `${name}.nla_type`, typeText, depth, 'attr-header');
      const p = o + 4;
      const pe = o + len;
      if (pe > p) {
        if (!e) {
          this.row(p, pe - p, name, `unknown attribute ${type} (${name})`, depth, 'unknown');
        } else {
          this.guard(p, pe, depth, name, () => this.payload(table, e, p, pe, depth, nest));
        }
      }
      const next = Math.min(o + align4(len), end);
      this.padding(pe, next, depth, 'NLA_ALIGN');
      o = next;
    }
  }

  payload(table: AttrTable, e: AttrEntry, p: number, end: number, depth: number, nest: number): void {
    const len = end - p;
    const v = this.view;
    const name = e.kname;
    const meaning = attrMeanings[name];
    const say = (text: string): void => this.row(p, len, name, meaning ? `${text} (${meaning})` : text, depth, 'field');
    const fixed = (n: number): void => {
      if (len !== n) throw new DecodeError(`${name} payload is ${len} bytes, expected ${n}`, p, name);
    };
    const num = (x: number): string => (e.enum?.[x] !== undefined ? `${x} ${e.enum[x]}` : String(x));
    switch (e.kind) {
      case 'u8': fixed(1); say(num(this.buf[p]!)); return;
      case 's8': fixed(1); say(num(v.getInt8(p))); return;
      case 'u16': fixed(2); say(num(v.getUint16(p, LITTLE_ENDIAN))); return;
      case 's16': fixed(2); say(num(v.getInt16(p, LITTLE_ENDIAN))); return;
      case 'u16be': fixed(2); say(num(v.getUint16(p, false)) + ' (network byte order)'); return;
      case 'u32': fixed(4); say(num(v.getUint32(p, LITTLE_ENDIAN))); return;
      case 's32': fixed(4); say(num(v.getInt32(p, LITTLE_ENDIAN))); return;
      case 'u32be': fixed(4); say(num(v.getUint32(p, false)) + ' (network byte order)'); return;
      case 'u64': fixed(8); say(v.getBigUint64(p, LITTLE_ENDIAN).toString()); return;
      case 's64': fixed(8); say(v.getBigInt64(p, LITTLE_ENDIAN).toString()); return;
      case 'flag': fixed(0); return;
      case 'string': {
        let nul = -1;
        for (let i = p; i < end; i++) if (this.buf[i] === 0) { nul = i; break; }
        let s = '';
        for (let i = p; i < (nul < 0 ? end : nul); i++) s += String.fromCharCode(this.buf[i]!);
        say(JSON.stringify(s) + (nul === end - 1 ? '' : nul < 0 ? ' (no NUL terminator)' : ' (bytes after the NUL)'));
        return;
      }
      case 'bytes': say(toHex(this.buf, p, end)); return;
      case 'ipaddr':
        if (len !== 4 && len !== 16) throw new DecodeError(`${name} payload is ${len} bytes, expected 4 or 16`, p, name);
        say(formatIP(this.buf, p, len));
        return;
      case 'lladdr': say(formatLladdr(this.buf, p, len)); return;
      case 'nested':
        if (nest >= MAX_NEST_DEPTH) throw new DecodeError(`attributes nested deeper than ${MAX_NEST_DEPTH}`, p, name);
        this.attrs(e.nested(), p, end, depth + 1, nest + 1);
        return;
      case 'struct': {
        const s = e.struct!;
        if (len < s.size) throw new DecodeError(`${name} payload is ${len} bytes, struct ${s.name} needs ${s.size}`, p, name);
        this.struct(s, p, depth + 1);
        if (len > s.size) this.row(p + s.size, len - s.size, name, `${len - s.size} bytes after struct ${s.name}`, depth + 1, 'unknown');
        return;
      }
      case 'codec':
        if (name === 'RTA_MULTIPATH') {
          if (nest >= MAX_NEST_DEPTH) throw new DecodeError(`attributes nested deeper than ${MAX_NEST_DEPTH}`, p, name);
          this.multipath(table, p, end, depth + 1, nest + 1);
        } else if (name === 'RTA_VIA') this.via(p, end, depth + 1);
        else this.codec(e, p, end, depth, say);
        return;
    }
  }

  /**
   * RTA_MULTIPATH: struct rtnexthop {u16 rtnh_len; u8 rtnh_flags; u8 rtnh_hops;
   * s32 rtnh_ifindex} then the hop's attributes, from the same table as the route's.
   */
  multipath(table: AttrTable, start: number, end: number, depth: number, nest: number): void {
    const v = this.view;
    let o = start;
    let i = 0;
    while (o < end) {
      if (end - o < RTNH_HDRLEN) {
        this.padding(o, end, depth, '', 'trailing');
        return;
      }
      const len = v.getUint16(o, LITTLE_ENDIAN);
      const hop = `rtnexthop[${i}]`;
      if (len < RTNH_HDRLEN || len > end - o) {
        const why = len < RTNH_HDRLEN ? `rtnh_len ${len} is below 8` : `rtnh_len ${len} runs past the end of RTA_MULTIPATH (${end - o} bytes left)`;
        this.row(o, end - o, hop, why, depth, 'unknown');
        return;
      }
      const flags = this.buf[o + 2]!;
      const fl = bitNames(flags, rtnhFlagNames);
      this.row(o, 2, `${hop}.rtnh_len`, `${len} (this header and the hop's attributes)`, depth, 'field');
      this.row(o + 2, 1, `${hop}.rtnh_flags`, hexNum(flags, 1) + (fl.length ? ' ' + fl.join('|') : ''), depth, 'field');
      this.row(o + 3, 1, `${hop}.rtnh_hops`, `${this.buf[o + 3]!} (weight ${this.buf[o + 3]! + 1})`, depth, 'field');
      this.row(o + 4, 4, `${hop}.rtnh_ifindex`, String(v.getInt32(o + 4, LITTLE_ENDIAN)), depth, 'field');
      this.attrs(table, o + RTNH_HDRLEN, o + len, depth + 1, nest);
      const next = Math.min(o + align4(len), end);
      this.padding(o + len, next, depth, 'RTNH_ALIGN');
      o = next;
      i++;
    }
  }

  /** RTA_VIA: struct rtvia {u16 rtvia_family; u8 rtvia_addr[]}. */
  via(p: number, end: number, depth: number): void {
    if (end - p < 2) throw new DecodeError(`RTA_VIA payload is ${end - p} bytes, below 2`, p, 'RTA_VIA');
    const family = this.view.getUint16(p, LITTLE_ENDIAN);
    this.row(p, 2, 'rtvia.rtvia_family', familyText(family), depth, 'field');
    const n = end - p - 2;
    const addr = (family === 2 && n === 4) || (family === 10 && n === 16) ? formatIP(this.buf, p + 2, n) : toHex(this.buf, p + 2, end);
    this.row(p + 2, n, 'rtvia.rtvia_addr', addr, depth, 'field');
  }

  /** Another codec: its own explain rows when they tile the payload, else one row of JSON. */
  codec(e: AttrEntry, p: number, end: number, depth: number, say: (text: string) => void): void {
    const c = e.codec!;
    if (c.explain) {
      const got: Array<[number, number, string, string, number]> = [];
      try {
        c.explain(this.ctx, p, end - p, e.kname, { row: (...r) => { got.push(r); } }, depth + 1);
        let at = p;
        for (const r of got) {
          if (r[0] !== at || r[1] <= 0) throw new DecodeError('rows do not tile', at, e.kname);
          at += r[1];
        }
        if (at === end) {
          for (const r of got) this.row(r[0], r[1], r[2], r[3], r[4], 'field');
          return;
        }
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
      }
    }
    const value = c.decode(this.ctx, p, end - p, e.kname, 0);
    say(JSON.stringify(c.toJSON(value), (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)));
  }

  error(flags: number, p: number, end: number, depth: number): void {
    const v = this.view;
    if (end - p < 4) {
      this.row(p, end - p, 'nlmsgerr', `NLMSG_ERROR payload is ${end - p} bytes, below struct nlmsgerr's 20`, depth, 'unknown');
      return;
    }
    const errno = v.getInt32(p, LITTLE_ENDIAN);
    this.row(p, 4, 'nlmsgerr.error', errno === 0 ? '0 (success: an ACK)' : `${errno} ${errnoName(errno)} ${errnoText(errno)}`, depth, 'field');
    const e = p + 4;
    if (end - e < NLMSG_HDRLEN) {
      this.row(e, end - e, 'nlmsgerr.msg', `${end - e} bytes, below the echoed nlmsghdr's 16`, depth, 'unknown');
      return;
    }
    const echoLen = v.getUint32(e, LITTLE_ENDIAN);
    let after: number;
    if (flags & NLM_F_CAPPED) {
      this.header(e, depth + 1, ' (the request\'s length; only its header is echoed: NLM_F_CAPPED)');
      after = e + NLMSG_HDRLEN;
    } else {
      if (echoLen < NLMSG_HDRLEN || echoLen > end - e) {
        this.row(e, end - e, 'nlmsgerr.msg', `echoed nlmsg_len ${echoLen} does not fit the ${end - e} bytes left`, depth, 'unknown');
        return;
      }
      this.message(e, e + echoLen, depth + 1, true);
      after = Math.min(e + align4(echoLen), end);
      this.padding(e + echoLen, after, depth + 1, 'NLMSG_ALIGN');
    }
    if (after >= end) return;
    if (flags & NLM_F_ACK_TLVS) this.extack(e, flags & NLM_F_CAPPED ? 0 : echoLen, after, end, depth);
    else this.row(after, end - after, 'payload', `${end - after} bytes after the echoed request, without NLM_F_ACK_TLVS`, depth, 'unknown');
  }

  done(flags: number, p: number, end: number, depth: number): void {
    if (p >= end) return;
    if (end - p < 4) {
      this.row(p, end - p, 'payload', `${end - p} bytes, below the int of NLMSG_DONE`, depth, 'unknown');
      return;
    }
    const errno = this.view.getInt32(p, LITTLE_ENDIAN);
    this.row(p, 4, 'NLMSG_DONE.error', errno === 0 ? '0 (the dump is complete)'
      : `${errno} ${errnoName(errno)} ${errnoText(errno)} (the dump failed)`, depth, 'field');
    if (end > p + 4) {
      if (flags & NLM_F_ACK_TLVS) this.extack(0, 0, p + 4, end, depth);
      else this.row(p + 4, end - p - 4, 'payload', `${end - p - 4} bytes after the error, without NLM_F_ACK_TLVS`, depth, 'unknown');
    }
  }

  /** The NLMSGERR_ATTR_* TLVs; NLMSGERR_ATTR_OFFS is resolved against the echoed request. */
  extack(echo: number, echoLen: number, start: number, end: number, depth: number): void {
    const firstRow = this.rows.length;
    this.attrs(extackAttrs, start, end, depth, 0);
    if (!echoLen) return;
    for (let i = firstRow; i < this.rows.length; i++) {
      const r = this.rows[i]!;
      if (r.field !== 'NLMSGERR_ATTR_OFFS' || r.kind !== 'field') continue;
      const offs = this.view.getUint32(r.offset, LITTLE_ENDIAN);
      const at = offs < echoLen ? attributeAt(this.buf, echo, echo + echoLen, offs, this.proto) : undefined;
      r.value = `${offs}${at ? ` → ${at}` : ''} (${attrMeanings.NLMSGERR_ATTR_OFFS})`;
    }
  }
}

/** rtnh_flags (RTNH_F_*), as iproute2 prints them. */
const rtnhFlagNames: Readonly<Record<number, string>> = {
  0x1: 'dead', 0x2: 'pervasive', 0x4: 'onlink', 0x8: 'offload', 0x10: 'linkdown',
  0x20: 'unresolved', 0x40: 'trap',
};

function hexNum(x: number, size: number): string {
  return '0x' + (x >>> 0).toString(16).padStart(size * 2, '0');
}

function familyText(x: number): string {
  const n = addressFamilyNames[x];
  return n ? `${x} ${n}` : String(x);
}

function allZero(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Explains every byte of one datagram. The rows are in offset order and tile `bytes`
 * exactly; a fault becomes an `unknown` row with the DecodeError's detail, and never an
 * exception.
 *
 * @param proto  the protocol that names message types, headers and attributes
 *               (`rtnetlink` from src/rtnl); without it, only nlmsghdr and control messages
 */
export function explainDatagram(bytes: Uint8Array, proto?: Protocol): ExplainRow[] {
  const x = new Explainer(bytes, proto);
  const end = bytes.length;
  let o = 0;
  let i = 0;
  try {
    while (end - o >= NLMSG_HDRLEN) {
      const len = x.view.getUint32(o, LITTLE_ENDIAN);
      if (len === 0 && allZero(bytes, o, end)) break;
      if (len < NLMSG_HDRLEN || len > end - o) {
        x.row(o, end - o, `message ${i}`, len < NLMSG_HDRLEN
          ? `nlmsg_len ${len} is below 16: no message can be read from here`
          : `nlmsg_len ${len} runs past the end of the datagram (${end - o} bytes left)`, 0, 'unknown');
        return finish(x);
      }
      const start = o;
      x.guard(start, start + len, 0, 'message', () => x.message(start, start + len, 0));
      const next = Math.min(o + align4(len), end);
      x.padding(o + len, next, 0, 'NLMSG_ALIGN');
      o = next;
      i++;
    }
    if (o < end) {
      x.row(o, end - o, 'trailing', allZero(bytes, o, end)
        ? `${end - o} bytes after the last message (zero padding)`
        : `${end - o} bytes after the last message`, 0, 'trailing');
    }
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    if (x.cursor < end) x.row(x.cursor, end - x.cursor, 'datagram', e.detail, 0, 'unknown');
  }
  return finish(x);
}

function finish(x: Explainer): ExplainRow[] {
  for (const r of x.rows) r.bytes = toHex(x.buf, r.offset, r.offset + r.length);
  return x.rows;
}

const BYTES_PER_LINE = 8;

/**
 * Aligned text of explain rows: offset in hex and decimal, the bytes (eight per line,
 * longer ranges continue on the next lines), the field indented by depth, the value.
 */
export function formatExplain(rows: readonly ExplainRow[]): string {
  const fields = rows.map((r) => '  '.repeat(r.depth) + r.field);
  const fw = Math.min(44, fields.reduce((n, f) => Math.max(n, f.length), 5));
  const bw = BYTES_PER_LINE * 3 - 1;
  const last = rows.reduce((n, r) => Math.max(n, r.offset + r.length - 1), 0);
  const dw = String(last).length;
  const hw = Math.max(4, last.toString(16).length);
  const off = (n: number): string => `0x${n.toString(16).padStart(hw, '0')} ${String(n).padStart(dw)}`;
  const spaced = (hex: string): string => hex.replace(/(..)(?!$)/g, '$1 ');
  const lines: string[] = [];
  lines.push(`${'offset'.padEnd(off(0).length)}  ${'bytes'.padEnd(bw)}  ${'field'.padEnd(fw)}  value`);
  rows.forEach((r, k) => {
    const f = fields[k]!;
    const first = r.bytes.slice(0, BYTES_PER_LINE * 2);
    lines.push(`${off(r.offset)}  ${spaced(first).padEnd(bw)}  ${f.padEnd(fw)}  ${r.value}`.trimEnd());
    for (let i = BYTES_PER_LINE; i < r.length; i += BYTES_PER_LINE) {
      lines.push(`${off(r.offset + i)}  ${spaced(r.bytes.slice(i * 2, (i + BYTES_PER_LINE) * 2))}`);
    }
  });
  return lines.join('\n') + '\n';
}
