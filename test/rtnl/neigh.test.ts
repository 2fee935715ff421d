/**
 * Neighbours, bridge/VXLAN fdb entries and neighbour tables against real kernel bytes:
 * iproute2 6.1's requests and the kernel's replies, recorded by
 * test/fixtures/tables-rn/capture.ts in a private network namespace.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import {
  protocol, decodeDatagram, encodeMsg, type NlMsg,
} from '../../src/netlink/message.js';
import { DecodeError } from '../../src/netlink/errors.js';
import { bitNames } from '../../src/netlink/struct.js';
import {
  AF_BRIDGE, AF_INET, AF_INET6, NETLINK_ROUTE, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK,
  NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST,
  NLA_F_NESTED,
} from '../../src/netlink/constants.js';
import { rtprotNames } from '../../src/rtnl/route.js';
import * as neigh from '../../src/rtnl/neigh.js';
import {
  ndmsg, ndaCacheinfo, ndtmsg, ndtConfig, ndtStats, neighAttrs, ndtaAttrs, ndtpaAttrs,
  fdbExtAttrs, neighMessages, neighTableMessages, nudStateNames, ntfFlagNames,
  type Ndmsg, type NeighAttrs, type NeighTableAttrs,
  RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH, RTM_NEWNEIGHTBL, RTM_GETNEIGHTBL, RTM_SETNEIGHTBL,
  NDA_CACHEINFO, NDA_DST, NDA_PORT, NDTA_PARMS, NDTPA_REACHABLE_TIME,
  NUD_NOARP, NUD_PERMANENT, NUD_REACHABLE, NUD_STALE, NTF_PROXY, NTF_ROUTER, NTF_SELF,
  NTF_MASTER, NTF_EXT_LEARNED, NTF_OFFLOADED, NTF_STICKY,
} from '../../src/rtnl/neigh.js';
import {
  decodeError as decodeErrorIn, attrOffset, assertMutationsRaiseOnlyDecodeError, expectLossless,
} from '../helpers/decode.js';
import { loadHex, loadJSON, loadText, fixtureNames, type Fixture } from '../fixtures/tables-rn/fixtures.js';

const proto = protocol('NETLINK_ROUTE', NETLINK_ROUTE, [...neighMessages, ...neighTableMessages]);
const fixtures = [...fixtureNames('neigh-'), ...fixtureNames('fdb-'), ...fixtureNames('ntable-')];

function replies(fx: Fixture): NlMsg[] {
  return fx.datagrams.filter((d) => d.dir === '<').flatMap((d) => decodeDatagram(d.bytes, proto).messages);
}

function request(fx: Fixture): NlMsg {
  const d = fx.datagrams[0]!;
  expect(d.dir).toBe('>');
  return decodeDatagram(d.bytes, proto).messages[0]!;
}

function seqOf(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(8, true);
}

/** ifindex to name, checking that `ip -j` never gives one index two names. */
class Names {
  private readonly map = new Map<number, string>();
  see(ifindex: number, name: unknown): void {
    expect(typeof name).toBe('string');
    const had = this.map.get(ifindex);
    if (had !== undefined) expect(name, `ifindex ${ifindex}`).toBe(had);
    else this.map.set(ifindex, name as string);
  }
}

describe('struct ndmsg, nda_cacheinfo, ndtmsg, ndt_config, ndt_stats', () => {
  it('mirror linux/neighbour.h: sizes, offsets, kernel names', () => {
    expect(ndmsg.size).toBe(12);
    expect(ndmsg.fields.map((f) => [f.kname, f.offset, f.type])).toEqual([
      ['ndm_family', 0, 'u8'], ['ndm_pad1', 1, 'u8'], ['ndm_pad2', 2, 'u16'],
      ['ndm_ifindex', 4, 's32'], ['ndm_state', 8, 'u16'], ['ndm_flags', 10, 'u8'],
      ['ndm_type', 11, 'u8'],
    ]);
    expect(ndaCacheinfo.fields.map((f) => f.kname))
      .toEqual(['ndm_confirmed', 'ndm_used', 'ndm_updated', 'ndm_refcnt']);
    expect(ndtmsg.fields.map((f) => [f.kname, f.offset, f.type]))
      .toEqual([['ndtm_family', 0, 'u8'], ['ndtm_pad1', 1, 'u8'], ['ndtm_pad2', 2, 'u16']]);
    expect([ndaCacheinfo.size, ndtmsg.size, ndtConfig.size, ndtStats.size]).toEqual([16, 4, 32, 88]);
    expect(ndtConfig.fields.map((f) => f.kname)).toEqual([
      'ndtc_key_len', 'ndtc_entry_size', 'ndtc_entries', 'ndtc_last_flush', 'ndtc_last_rand',
      'ndtc_hash_rnd', 'ndtc_hash_mask', 'ndtc_hash_chain_gc', 'ndtc_proxy_qlen',
    ]);
    expect(ndtStats.fields.map((f) => f.kname)).toEqual([
      'ndts_allocs', 'ndts_destroys', 'ndts_hash_grows', 'ndts_res_failed', 'ndts_lookups',
      'ndts_hits', 'ndts_rcv_probes_mcast', 'ndts_rcv_probes_ucast', 'ndts_periodic_gc_runs',
      'ndts_forced_gc_runs', 'ndts_table_fulls',
    ]);
  });

  it('names states and flags as iproute2 prints them', () => {
    expect(bitNames(NUD_NOARP | NUD_PERMANENT, nudStateNames)).toEqual(['NOARP', 'PERMANENT']);
    expect(bitNames(0, nudStateNames)).toEqual([]);
    expect(bitNames(NTF_ROUTER | NTF_PROXY, ntfFlagNames)).toEqual(['proxy', 'router']);
    expect(ntfFlagNames[NTF_EXT_LEARNED]).toBe('extern_learn');
  });

  const header = '/usr/include/linux/neighbour.h';
  const enums: [string, string, { byKey: ReadonlyMap<string, { kname: string; type: number }> }][] = [
    ['NDA_', 'NDA_UNSPEC', neighAttrs], ['NDTPA_', 'NDTPA_UNSPEC', ndtpaAttrs],
    ['NDTA_', 'NDTA_UNSPEC', ndtaAttrs], ['NFEA_', 'NFEA_UNSPEC', fdbExtAttrs],
  ];
  for (const [prefix, first, table] of enums) {
    it.skipIf(!existsSync(header))(`covers every ${prefix}* of the installed uapi header`, () => {
      const text = readFileSync(header, 'utf8');
      const body = new RegExp(`enum\\s*{\\s*${first},([\\s\\S]*?)__${prefix}MAX`).exec(text)![1]!;
      const names = body.split('\n').map((l) => l.replace(/\/\*.*?\*\//g, '').trim())
        .filter((l) => new RegExp(`^${prefix}[A-Z0-9_]+,?$`).test(l)).map((l) => l.replace(',', ''));
      expect(names.length).toBeGreaterThan(1);
      const byName = new Map([...table.byKey.values()].map((e) => [e.kname, e.type]));
      names.forEach((name, i) => {
        expect((neigh as Record<string, unknown>)[name], name).toBe(i + 1);
        expect(byName.get(name), name).toBe(i + 1);
      });
      expect(byName.size).toBe(names.length);
    });
  }
});

describe('captured neigh, fdb and ntable datagrams', () => {
  it('has the fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(18);
  });

  for (const name of fixtures) {
    it(`${name}: decodes, and re-encodes byte for byte from the typed view`, () => {
      expectLossless(name, loadHex(name).datagrams, proto);
    });
  }
});

/** What iproute2 6.1's print_neigh (ip/ipneigh.c) puts in `ip -j neigh show`, and whether it shows it. */
function ipNeighJson(m: NlMsg, names: Names, dev: string | undefined): Record<string, unknown> {
  const h = m.body as Ndmsg;
  const a = m.attrs as NeighAttrs;
  const o: Record<string, unknown> = {};
  if (a.dst !== undefined) o.dst = a.dst;
  if (dev !== undefined) names.see(h.ifindex, dev);
  o.dev = dev;
  if (a.lladdr !== undefined) o.lladdr = a.lladdr;
  for (const bit of [NTF_ROUTER, NTF_PROXY, NTF_EXT_LEARNED, NTF_OFFLOADED]) {
    if (h.flags & bit) o[ntfFlagNames[bit]!] = null;
  }
  if (h.state) o.state = bitNames(h.state, nudStateNames);
  if (a.protocol) o.protocol = rtprotNames[a.protocol];
  return o;
}

/** `ip neigh show` hides NUD_NOARP-only and NUD_NONE entries unless proxy or externally learned. */
function shownByIpNeigh(m: NlMsg): boolean {
  const h = m.body as Ndmsg;
  return (h.state & 0xff & ~NUD_NOARP) !== 0 || (h.flags & (NTF_PROXY | NTF_EXT_LEARNED)) !== 0;
}

describe('the decoded dumps agree with `ip -j neigh show`', () => {
  for (const name of ['neigh-show', 'neigh-show-proxy']) {
    it(name, () => {
      const fx = loadHex(name);
      const req = request(fx);
      expect(req.type).toBe(RTM_GETNEIGH);
      expect(req.flags).toBe(NLM_F_REQUEST | NLM_F_DUMP);
      expect((req.body as Ndmsg).flags).toBe(name === 'neigh-show-proxy' ? NTF_PROXY : 0);

      const msgs = replies(fx);
      expect(msgs[msgs.length - 1]!.type).toBe(NLMSG_DONE);
      const entries = msgs.filter((m) => m.type === RTM_NEWNEIGH);
      expect(entries.length).toBe(msgs.length - 1);
      const json = loadJSON(name) as Record<string, unknown>[];
      const shown = entries.filter(shownByIpNeigh);
      expect(shown.length).toBe(json.length);
      const names = new Names();
      expect(shown.map((m, i) => ipNeighJson(m, names, json[i]!.dev as string))).toEqual(json);
    });
  }

  it('spot checks: dst, lladdr, state, flags, cacheinfo', () => {
    const entries = replies(loadHex('neigh-show')).filter((m) => m.type === RTM_NEWNEIGH);
    const by = new Map(entries.map((m) => [(m.attrs as NeighAttrs).dst + '%' + (m.body as Ndmsg).ifindex, m]));
    const v4 = entries.filter((m) => (m.body as Ndmsg).family === AF_INET);
    const v6 = entries.filter((m) => (m.body as Ndmsg).family === AF_INET6);
    expect(v4.length + v6.length).toBe(entries.length);
    const e20 = [...by.values()].find((m) => (m.attrs as NeighAttrs).dst === '192.0.2.20')!;
    expect(e20.body).toMatchObject({ family: AF_INET, state: NUD_PERMANENT, flags: 0, type: 1 });
    expect(e20.attrs).toMatchObject({ lladdr: '02:00:00:00:00:20', probes: 0 });
    expect(Object.keys((e20.attrs as NeighAttrs).cacheinfo!)).toEqual(['confirmed', 'used', 'updated', 'refcnt']);
    const e21 = v4.find((m) => (m.attrs as NeighAttrs).dst === '192.0.2.21')!;
    expect((e21.body as Ndmsg).state).toBe(NUD_STALE);
    const r6 = v6.find((m) => (m.attrs as NeighAttrs).dst === '2001:db8:1::21')!;
    expect(r6.body).toMatchObject({ state: NUD_REACHABLE, flags: NTF_ROUTER });
    const p6 = v6.find((m) => (m.attrs as NeighAttrs).dst === '2001:db8:1::20')!;
    expect(p6.attrs).toMatchObject({ lladdr: '02:00:00:00:00:21' });
    expect((p6.body as Ndmsg).state).toBe(NUD_PERMANENT);
    const incomplete = v4.find((m) => (m.attrs as NeighAttrs).dst === '192.0.2.30')!;
    expect((incomplete.attrs as NeighAttrs).lladdr).toBeUndefined();
    expect((incomplete.attrs as NeighAttrs).probes).toBeGreaterThan(0);
  });

  it('neigh-get: a single RTM_NEWNEIGH, as `ip neigh get` printed it', () => {
    const fx = loadHex('neigh-get');
    const req = request(fx);
    expect(req).toMatchObject({ type: RTM_GETNEIGH, flags: NLM_F_REQUEST, attrs: { dst: '192.0.2.20' } });
    const [m] = replies(fx);
    const h = m!.body as Ndmsg;
    const a = m!.attrs as NeighAttrs;
    const text = `${a.dst} dev veth0 lladdr ${a.lladdr} ${bitNames(h.state, nudStateNames).join(' ')} \n`;
    expect(text).toBe(loadText('neigh-get'));
  });
});

/** bridge/fdb.c state_n2a. */
function fdbState(s: number): string {
  if (s & NUD_PERMANENT) return 'permanent';
  if (s & NUD_NOARP) return 'static';
  if (s & NUD_STALE) return 'stale';
  if (s & NUD_REACHABLE) return '';
  return '0x' + s.toString(16);
}

describe('the decoded fdb dumps agree with `bridge -j fdb show`', () => {
  it('fdb-show-vxlan: NDA_DST, NDA_PORT (big-endian), NDA_VNI, NDA_IFINDEX', () => {
    const fx = loadHex('fdb-show-vxlan');
    const req = request(fx);
    expect((req.body as Ndmsg).family).toBe(AF_BRIDGE);
    const entries = replies(fx).filter((m) => m.type === RTM_NEWNEIGH);
    const json = loadJSON('fdb-show-vxlan') as Record<string, unknown>[];
    expect(entries.length).toBe(json.length);
    const names = new Names();
    entries.forEach((m, i) => {
      const h = m.body as Ndmsg;
      const a = m.attrs as NeighAttrs;
      const j = json[i]!;
      expect(h.family).toBe(AF_BRIDGE);
      expect({ mac: a.lladdr, dst: a.dst, port: a.port, vni: a.vni, state: fdbState(h.state) })
        .toEqual({ mac: j.mac, dst: j.dst, port: j.port, vni: j.vni, state: j.state });
      names.see(a.ifindex!, j.viaIf);
      expect(bitNames(h.flags, ntfFlagNames)).toEqual(j.flags);
    });
  });

  for (const [name, key, json] of [['fdb-show-src-vni', 'srcVni', 'src_vni'], ['fdb-show-nhid', 'nhId', 'nhid']] as const) {
    it(`${name}: NDA_${json === 'nhid' ? 'NH_ID' : 'SRC_VNI'}`, () => {
      const fx = loadHex(name);
      const entries = replies(fx).filter((m) => m.type === RTM_NEWNEIGH);
      const want = loadJSON(name) as Record<string, unknown>[];
      expect(entries.length).toBe(want.length);
      entries.forEach((m, i) => {
        const a = m.attrs as NeighAttrs;
        const j = want[i]!;
        expect({ mac: a.lladdr, dst: a.dst, [json]: a[key], state: fdbState((m.body as Ndmsg).state) })
          .toEqual({ mac: j.mac, dst: j.dst, [json]: j[json], state: j.state });
        expect(bitNames((m.body as Ndmsg).flags, ntfFlagNames)).toEqual(j.flags);
      });
    });
  }

  it('fdb-show-bridge: NDA_MASTER, self and master entries', () => {
    const fx = loadHex('fdb-show-bridge');
    const req = request(fx);
    expect(req.attrs).toEqual({ master: (replies(fx)[0]!.attrs as NeighAttrs).master });
    const entries = replies(fx).filter((m) => m.type === RTM_NEWNEIGH);
    const json = loadJSON('fdb-show-bridge') as Record<string, unknown>[];
    expect(entries.length).toBe(json.length);
    const names = new Names();
    entries.forEach((m, i) => {
      const h = m.body as Ndmsg;
      const a = m.attrs as NeighAttrs;
      const j = json[i]!;
      expect(a.lladdr).toBe(j.mac);
      names.see(h.ifindex, j.ifname);
      if (a.master !== undefined) names.see(a.master, j.master);
      else expect(j.master).toBeUndefined();
      expect(fdbState(h.state)).toBe(j.state);
      const shown = h.flags & (NTF_SELF | NTF_MASTER | NTF_EXT_LEARNED | NTF_OFFLOADED | NTF_STICKY | NTF_ROUTER);
      expect(bitNames(shown, ntfFlagNames).sort()).toEqual([...(j.flags as string[])].sort());
    });
  });
});

/** What iproute2 6.1's print_ntable (ip/ipntable.c) puts in `ip -j ntable show`. */
function ipNtableJson(m: NlMsg, names: Names, dev: unknown): Record<string, unknown> {
  const a = m.attrs as NeighTableAttrs;
  const family = (m.body as { family: number }).family;
  const o: Record<string, unknown> = { family: family === AF_INET ? 'inet' : family === AF_INET6 ? 'inet6' : family };
  o.name = a.name;
  if (a.thresh1 !== undefined) o.thresh1 = a.thresh1;
  if (a.thresh2 !== undefined) o.thresh2 = a.thresh2;
  if (a.thresh3 !== undefined) o.thresh3 = a.thresh3;
  if (a.gcInterval !== undefined) o.gc_interval = Number(a.gcInterval);
  const p = a.parms;
  if (p) {
    if (p.ifindex !== undefined) {
      names.see(p.ifindex, dev);
      o.dev = dev;
    }
    const keys: [string, unknown][] = [
      ['refcnt', p.refcnt], ['reachable', p.reachableTime], ['base_reachable', p.baseReachableTime],
      ['retrans', p.retransTime], ['gc_stale', p.gcStaletime], ['delay_probe', p.delayProbeTime],
      ['queue', p.queueLen], ['app_probes', p.appProbes], ['ucast_probes', p.ucastProbes],
      ['mcast_probes', p.mcastProbes], ['anycast_delay', p.anycastDelay],
      ['proxy_delay', p.proxyDelay], ['proxy_queue', p.proxyQlen], ['locktime', p.locktime],
    ];
    for (const [k, v] of keys) if (v !== undefined) o[k] = Number(v);
  }
  return o;
}

describe('the decoded ntable dump agrees with `ip -j ntable show`', () => {
  it('ntable-show', () => {
    const fx = loadHex('ntable-show');
    const req = request(fx);
    expect(req).toMatchObject({ type: RTM_GETNEIGHTBL, flags: NLM_F_REQUEST | NLM_F_DUMP });
    const msgs = replies(fx);
    expect(msgs[msgs.length - 1]!.type).toBe(NLMSG_DONE);
    const tables = msgs.filter((m) => m.type === RTM_NEWNEIGHTBL);
    expect(tables.length).toBe(msgs.length - 1);
    const json = loadJSON('ntable-show') as Record<string, unknown>[];
    expect(tables.length).toBe(json.length);
    const names = new Names();
    expect(tables.map((m, i) => ipNtableJson(m, names, json[i]!.dev))).toEqual(json);

    // The first message of each table carries NDTA_CONFIG and NDTA_STATS; the per-device
    // ones carry NDTPA_IFINDEX instead.
    for (const m of tables) {
      const a = m.attrs as NeighTableAttrs;
      expect(a.config !== undefined).toBe(a.parms?.ifindex === undefined);
      expect(a.stats !== undefined).toBe(a.parms?.ifindex === undefined);
    }
    const arp = tables.find((m) => (m.attrs as NeighTableAttrs).name === 'arp_cache')!.attrs as NeighTableAttrs;
    expect(arp.config!.keyLen).toBe(4);
    expect(typeof arp.stats!.allocs).toBe('bigint');
    const nd = tables.find((m) => (m.attrs as NeighTableAttrs).name === 'ndisc_cache')!.attrs as NeighTableAttrs;
    expect(nd.config!.keyLen).toBe(16);
  });
});

describe('requests built from the typed view encode to the bytes iproute2 and bridge sent', () => {
  const base = NLM_F_REQUEST | NLM_F_ACK;
  const cases: Record<string, Omit<NlMsg, 'seq' | 'pid'>> = {
    'neigh-add-v4': {
      type: RTM_NEWNEIGH, flags: base | NLM_F_CREATE | NLM_F_EXCL,
      body: { family: AF_INET, ifindex: 3, state: NUD_PERMANENT },
      attrs: { dst: '192.0.2.20', lladdr: '02:00:00:00:00:20' },
    },
    'neigh-add-v6': {
      type: RTM_NEWNEIGH, flags: base | NLM_F_CREATE | NLM_F_EXCL,
      body: { family: AF_INET6, ifindex: 3, state: NUD_PERMANENT },
      attrs: { dst: '2001:db8:1::20', lladdr: '02:00:00:00:00:21' },
    },
    'neigh-add-router': {
      type: RTM_NEWNEIGH, flags: base | NLM_F_CREATE | NLM_F_EXCL,
      body: { family: AF_INET6, ifindex: 3, state: NUD_REACHABLE, flags: NTF_ROUTER },
      attrs: { dst: '2001:db8:1::21', lladdr: '02:00:00:00:00:24' },
    },
    'neigh-add-protocol': {
      type: RTM_NEWNEIGH, flags: base | NLM_F_CREATE | NLM_F_EXCL,
      body: { family: AF_INET, ifindex: 3, state: NUD_PERMANENT },
      attrs: { protocol: 4, dst: '192.0.2.24', lladdr: '02:00:00:00:00:25' },
    },
    'neigh-add-proxy': {
      type: RTM_NEWNEIGH, flags: base | NLM_F_CREATE | NLM_F_EXCL,
      body: { family: AF_INET, ifindex: 3, state: NUD_PERMANENT, flags: NTF_PROXY },
      attrs: { dst: '192.0.2.40' },
    },
    'neigh-del': {
      type: RTM_DELNEIGH, flags: base,
      body: { family: AF_INET, ifindex: 3, state: NUD_PERMANENT },
      attrs: { dst: '192.0.2.23' },
    },
    'fdb-append-vxlan': {
      type: RTM_NEWNEIGH, flags: base | NLM_F_CREATE | NLM_F_APPEND,
      body: { family: AF_BRIDGE, ifindex: 5, state: NUD_NOARP | NUD_PERMANENT, flags: NTF_SELF },
      attrs: { lladdr: '00:00:00:00:00:00', dst: '203.0.113.1', port: 4790, vni: 43, ifindex: 3 },
    },
    'fdb-add-bridge': {
      type: RTM_NEWNEIGH, flags: base | NLM_F_CREATE | NLM_F_EXCL,
      body: { family: AF_BRIDGE, ifindex: 2, state: NUD_NOARP | NUD_REACHABLE, flags: NTF_MASTER },
      attrs: { lladdr: '02:00:00:00:00:30' },
    },
    'fdb-add-src-vni': {
      type: RTM_NEWNEIGH, flags: base | NLM_F_CREATE | NLM_F_EXCL,
      body: { family: AF_BRIDGE, ifindex: 6, state: NUD_NOARP | NUD_PERMANENT, flags: NTF_SELF },
      attrs: { lladdr: '00:00:00:00:00:00', dst: '203.0.113.2', srcVni: 100 },
    },
    'fdb-add-nhid': {
      type: RTM_NEWNEIGH, flags: base | NLM_F_CREATE | NLM_F_EXCL,
      body: { family: AF_BRIDGE, ifindex: 7, state: NUD_NOARP | NUD_PERMANENT, flags: NTF_SELF },
      attrs: { lladdr: '02:00:00:00:00:35', nhId: 10 },
    },
    'ntable-change': {
      type: RTM_SETNEIGHTBL, flags: base | NLM_F_REPLACE,
      body: { family: 0 },
      attrs: { name: 'arp_cache', parms: { ifindex: 3, queueLen: 8 } },
    },
  };
  for (const [name, want] of Object.entries(cases)) {
    it(`${name}: ${loadHex(name).command}`, () => {
      const sent = loadHex(name).datagrams[0]!;
      expect(sent.dir).toBe('>');
      // Only the sequence number comes from the capture (iproute2 seeds it with the time).
      expect(encodeMsg({ ...want, seq: seqOf(sent.bytes), pid: 0 }, proto)).toEqual(sent.bytes);
      const ack = decodeDatagram(loadHex(name).datagrams[1]!.bytes, proto).messages[0]!;
      expect(ack).toMatchObject({ type: NLMSG_ERROR, errno: 0, request: { type: want.type } });
    });
  }

  it('NDA_PORT is big-endian on the wire', () => {
    const b = loadHex('fdb-append-vxlan').datagrams[0]!.bytes;
    const o = attrOffset(b, NDA_PORT, 28);
    expect([...b.slice(o + 4, o + 6)]).toEqual([0x12, 0xb6]);
  });

  it('NDA_FDB_EXT_ATTRS is a nest with NLA_F_NESTED', () => {
    const msg: NlMsg = {
      type: RTM_NEWNEIGH, flags: NLM_F_REQUEST, seq: 1, pid: 0,
      body: { family: AF_BRIDGE, ifindex: 2, state: NUD_REACHABLE, flags: NTF_MASTER },
      attrs: { lladdr: '02:00:00:00:00:31', fdbExtAttrs: { activityNotify: 1, dontRefresh: true } },
    };
    const b = encodeMsg(msg, proto);
    const o = attrOffset(b, neigh.NDA_FDB_EXT_ATTRS, 28);
    expect(new DataView(b.buffer).getUint16(o + 2, true)).toBe(neigh.NDA_FDB_EXT_ATTRS | NLA_F_NESTED);
    const back = decodeDatagram(b, proto).messages[0]!;
    expect(back.raw).toBeUndefined();
    expect(back.attrs).toEqual(msg.attrs);
  });

  it('EEXIST echoes the whole RTM_NEWNEIGH', () => {
    const fx = loadHex('neigh-add-exists');
    const err = replies(fx)[0]!;
    expect(err.errno).toBe(-17);
    expect(err.request).toMatchObject({
      type: RTM_NEWNEIGH, body: { ifindex: 3, state: NUD_PERMANENT },
      attrs: { dst: '192.0.2.20', lladdr: '02:00:00:00:00:20' },
    });
  });
});

const decodeError = (b: Uint8Array): DecodeError => decodeErrorIn(b, proto);

describe('wrong attribute sizes raise DecodeError with the path and offset', () => {
  it('NDA_CACHEINFO shorter than struct nda_cacheinfo', () => {
    const b = loadHex('neigh-get').datagrams[1]!.bytes.slice();
    const o = attrOffset(b, NDA_CACHEINFO, 28);
    b[o] = 16; // 12 of the 16 bytes
    b.fill(0, o + 16, o + 20);
    const e = decodeError(b);
    expect(e.path).toBe('RTM_NEWNEIGH.NDA_CACHEINFO');
    expect(e.offset).toBe(o + 4);
  });

  it('NDA_DST of 5 bytes', () => {
    const b = loadHex('neigh-get').datagrams[1]!.bytes.slice();
    const o = attrOffset(b, NDA_DST, 28);
    // 192.0.2.20 plus one byte taken from the next attribute's header is no address.
    b[o] = 9;
    const e = decodeError(b);
    expect(e.path).toBe('RTM_NEWNEIGH.NDA_DST');
    expect(e.offset).toBe(o + 4);
    expect(e.detail).toMatch(/expected 4 or 16/);
  });

  it('NDTPA_REACHABLE_TIME of 4 bytes, nested in NDTA_PARMS', () => {
    const b = loadHex('ntable-show').datagrams[1]!.bytes.slice();
    const len = new DataView(b.buffer).getUint32(0, true);
    const parms = attrOffset(b, NDTA_PARMS, 20, len);
    const parmsEnd = parms + new DataView(b.buffer).getUint16(parms, true);
    const o = attrOffset(b, NDTPA_REACHABLE_TIME, parms + 4, parmsEnd);
    b[o] = 8;
    const e = decodeError(b);
    expect(e.path).toBe('RTM_NEWNEIGHTBL.NDTA_PARMS.NDTPA_REACHABLE_TIME');
    expect(e.offset).toBe(o + 4);
    expect(e.detail).toMatch(/4 bytes, expected 8/);
  });

  it('a reply too short for ndmsg', () => {
    const b = loadHex('neigh-get').datagrams[1]!.bytes.slice(0, 24);
    new DataView(b.buffer).setUint32(0, 24, true);
    const e = decodeError(b);
    expect(e.path).toBe('RTM_NEWNEIGH');
    expect(e.offset).toBe(16);
  });
});

describe('mutated captures raise DecodeError and nothing else', () => {
  const all = fixtures.flatMap((n) => loadHex(n).datagrams.map((d) => d.bytes));
  it('random byte changes and truncations', () => {
    assertMutationsRaiseOnlyDecodeError(all, proto);
  });
});
