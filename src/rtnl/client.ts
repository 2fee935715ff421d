/**
 * The rtnetlink client: what programs call instead of shelling out to `ip`.
 *
 * ```ts
 * const nl = await Rtnl.open({ netns: 'blue' });
 * const r = await nl.route.get({ dst: '203.0.113.5' });
 * r.prefsrc;  // '192.0.2.10'
 * r.oif;      // 2, with r.dev 'eth0' resolved
 * await nl.route.add({ dst: '198.51.100.0/24', gateway: '192.0.2.1', dev: 'eth0', prefsrc: '192.0.2.10' });
 * for await (const ev of nl.monitor(['route'])) console.log(ev.kind, ev.action, ev.route.dst);
 * nl.close();
 * ```
 *
 * Requests are exactly iproute2 6.1's for the same options (./request.ts builds them, its
 * tests compare them byte for byte with recorded ones). Kernel refusals reject with
 * NetlinkError, whose message names the request in the user's words and carries the
 * kernel's ext-ack text: `route add 203.0.113.64/26: EINVAL: Invalid prefsrc address`.
 * Interface names are resolved through a per-client map of ifindex and name, looked up
 * (RTM_GETLINK) on a miss; a name the kernel does not know rejects with a NetlinkError
 * ENODEV `Cannot find device "eth9"`, as `ip` words it.
 *
 * @module
 */
import {
  NetlinkSocket, type BatchOptions, type EncodedMessages, type NetlinkSocketOptions, type SubscriptionEvent,
} from '../netlink/socket.js';
import { NetlinkError, EncodeError } from '../netlink/errors.js';
import { type NlMsg, encodeMessage, messageLength } from '../netlink/message.js';
import { align4 } from '../netlink/constants.js';
import { errnoNumber } from '../netlink/errno.js';
import { rtnetlink } from './protocol.js';
import { why, type WhyQuery, type WhyReport } from './why.js';
import { pcapRecorder, type PcapRecorder } from './record.js';
import { RTM_NEWROUTE, RTM_DELROUTE, type RouteAttrs } from './route.js';
import { decodeRoutes } from './route-decode.js';
import { ROUTE_REQUEST_MAX, writeRouteGetRequest, writeRouteRequest } from './route-encode.js';
import { RTM_NEWLINK, RTM_DELLINK, type LinkAttrs } from './link.js';
import { RTM_NEWADDR, RTM_DELADDR } from './addr.js';
import { RTM_NEWRULE, RTM_DELRULE } from './rule.js';
import { RTM_NEWNEIGH, RTM_DELNEIGH } from './neigh.js';
import {
  type BuiltRequest, type DevResolver, type Dev, type Route, type RouteGetOptions,
  type RouteOptions, type RouteListOptions, type RouteOp, type Link, type Addr,
  type AddrOptions, type AddrListOptions, type Rule, type RuleOptions, type IpFamily,
  type Neigh, type NeighListOptions, MissingDevice, routeGetRequest, routeRequest,
  routeListRequest, type RouteFilter, routeView, routeIfindexes, linkListRequest, linkGetRequest,
  linkView, addrRequest, addrListRequest, addrView, ruleRequest, ruleListRequest, ruleView,
  neighListRequest, neighView,
} from './request.js';

/** RTNLGRP_LINK (linux/rtnetlink.h): link notifications. */
export const RTNLGRP_LINK = 1;
/** RTNLGRP_NEIGH (linux/rtnetlink.h): neighbour notifications. */
export const RTNLGRP_NEIGH = 3;
/** RTNLGRP_IPV4_IFADDR (linux/rtnetlink.h). */
export const RTNLGRP_IPV4_IFADDR = 5;
/** RTNLGRP_IPV4_ROUTE (linux/rtnetlink.h). */
export const RTNLGRP_IPV4_ROUTE = 7;
/** RTNLGRP_IPV4_RULE (linux/rtnetlink.h). */
export const RTNLGRP_IPV4_RULE = 8;
/** RTNLGRP_IPV6_IFADDR (linux/rtnetlink.h). */
export const RTNLGRP_IPV6_IFADDR = 9;
/** RTNLGRP_IPV6_ROUTE (linux/rtnetlink.h). */
export const RTNLGRP_IPV6_ROUTE = 11;
/** RTNLGRP_IPV6_RULE (linux/rtnetlink.h). */
export const RTNLGRP_IPV6_RULE = 19;

/** What {@link Rtnl.monitor} can watch. */
export type MonitorKind = 'route' | 'addr' | 'link' | 'rule' | 'neigh';

/** The multicast groups of each kind of event. */
export const monitorGroups: Readonly<Record<MonitorKind, readonly number[]>> = {
  route: [RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE],
  addr: [RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR],
  link: [RTNLGRP_LINK],
  rule: [RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE],
  neigh: [RTNLGRP_NEIGH],
};

/** A notification: `new` for RTM_NEW*, `del` for RTM_DEL*. */
export type RtnlEvent =
  | { kind: 'route'; action: 'new' | 'del'; route: Route }
  | { kind: 'addr'; action: 'new' | 'del'; addr: Addr }
  | { kind: 'link'; action: 'new' | 'del'; link: Link }
  | { kind: 'rule'; action: 'new' | 'del'; rule: Rule }
  | { kind: 'neigh'; action: 'new' | 'del'; neigh: Neigh }
  /** Notifications were lost (the receive buffer overran): dump again to resynchronise. */
  | { kind: 'overrun' };

/** Options of {@link Rtnl.open}. */
export interface RtnlOptions {
  /** Work in this network namespace: a name from `ip netns add`, a path, or a pid. */
  netns?: string | number;
  /** Default per-request timeout in milliseconds (0: none). Default 10000. */
  timeout?: number;
  /** SO_RCVBUF in bytes; default 1 MiB. */
  rcvbuf?: number;
  /** Requests in flight at once before further ones wait; default 4096. */
  maxInFlight?: number;
  /** Sees every datagram sent and received, for captures. */
  onDatagram?: (direction: '>' | '<', bytes: Uint8Array) => void;
  /**
   * Records every datagram of this client and its monitors to this pcap file
   * (LINKTYPE_NETLINK, which Wireshark opens), written as they pass, closed by close().
   */
  record?: string;
}

/** Options of one call. */
export interface CallOptions {
  /** Milliseconds to wait for the kernel; default the client's. */
  timeout?: number;
  /** Abandons the call (it rejects with a TimeoutError). */
  signal?: AbortSignal;
}

/** One result of {@link RouteApi.addMany}, in the order of the routes. */
export type BulkResult = { ok: true } | { ok: false; error: NetlinkError | EncodeError };

/** The result of every route that succeeded (one frozen object, not one per route). */
const BULK_OK: BulkResult = Object.freeze({ ok: true });

const ENODEV = errnoNumber('ENODEV') ?? 19;

function callOpts(what: string, o?: CallOptions): { what: string; timeout?: number; signal?: AbortSignal; ack?: boolean } {
  // No spreads: V8 (Node 20) makes `{ what, ...x }` a slow runtime call, per request.
  const r: { what: string; timeout?: number; signal?: AbortSignal; ack?: boolean } = { what };
  if (o?.timeout !== undefined) r.timeout = o.timeout;
  if (o?.signal) r.signal = o.signal;
  return r;
}

/** The client's map of interface indexes and names, looked up on a miss. */
class Devices {
  readonly #byIndex = new Map<number, string>();
  readonly #byName = new Map<string, number>();
  readonly #pending = new Map<string | number, Promise<void>>();

  constructor(readonly socket: NetlinkSocket) {}

  /** The cached resolver: throws MissingDevice for a name not looked up yet. */
  readonly resolver: DevResolver = (name, what) => {
    const i = this.#byName.get(name);
    if (i === undefined) throw new MissingDevice(name, what);
    return i;
  };

  /** The cached name of an index. */
  name = (index: number): string | undefined => this.#byIndex.get(index);

  /** Records what a link message says (a dump, a reply, a notification). */
  learn(m: NlMsg): void {
    const index = (m.body as { index?: number } | undefined)?.index;
    const name = (m.attrs as LinkAttrs | undefined)?.ifname;
    if (index === undefined || name === undefined) return;
    if (m.type === RTM_DELLINK) {
      this.#byIndex.delete(index);
      if (this.#byName.get(name) === index) this.#byName.delete(name);
      return;
    }
    const old = this.#byIndex.get(index);
    if (old !== undefined && old !== name && this.#byName.get(old) === index) this.#byName.delete(old);
    this.#byIndex.set(index, name);
    this.#byName.set(name, index);
  }

  /** Forgets a name (it turned out stale). */
  forget(name: string): void {
    const i = this.#byName.get(name);
    if (i === undefined) return;
    this.#byName.delete(name);
    if (this.#byIndex.get(i) === name) this.#byIndex.delete(i);
  }

  /**
   * Looks a name or index up in the kernel (one RTM_GETLINK, shared by concurrent callers).
   * A name the kernel does not have rejects with ENODEV `Cannot find device "NAME"`, in
   * `what`'s words; an unknown index resolves without learning anything.
   */
  lookup(dev: string | number, what: string): Promise<void> {
    const pending = this.#pending.get(dev);
    if (pending) return pending.catch((err: unknown) => { throw rewhat(err, what); });
    const p = (async (): Promise<void> => {
      try {
        const replies = await this.socket.request(linkGetRequest(dev).msg, { what: `link get ${dev}` });
        for (const m of replies) if (m.type === RTM_NEWLINK) this.learn(m);
      } catch (err) {
        if (err instanceof NetlinkError && err.code === 'ENODEV') {
          if (typeof dev === 'number') return;
          throw new NetlinkError(-ENODEV, { ...err.request, what }, { msg: `Cannot find device "${dev}"` });
        }
        throw err;
      } finally {
        this.#pending.delete(dev);
      }
    })();
    this.#pending.set(dev, p);
    return p;
  }

  /** Whether an index is in the map. */
  has(index: number): boolean {
    return this.#byIndex.has(index);
  }

  /** Makes sure every index a message names is in the map (one lookup per unknown index). */
  async ensure(indexes: Iterable<number>): Promise<void> {
    const missing = [...new Set(indexes)].filter((i) => i > 0 && !this.#byIndex.has(i));
    if (missing.length) await Promise.all(missing.map((i) => this.lookup(i, `link get ${i}`)));
  }
}

/** Whether a route message names an interface index the map does not have yet. */
function needsLookup(devs: Devices, m: NlMsg): boolean {
  const a = m.attrs as RouteAttrs | undefined;
  if (!a) return false;
  if (a.oif !== undefined && a.oif > 0 && !devs.has(a.oif)) return true;
  if (a.iif !== undefined && a.iif > 0 && !devs.has(a.iif)) return true;
  if (a.multipath) for (const h of a.multipath) if (h.ifindex > 0 && !devs.has(h.ifindex)) return true;
  return false;
}

/** The same NetlinkError in other words (for a lookup shared by several callers). */
function rewhat(err: unknown, what: string): unknown {
  if (!(err instanceof NetlinkError)) return err;
  return new NetlinkError(err.errno, { ...err.request, what }, err.extack);
}

/**
 * Builds a request with the cached device map, looking names up (and building again) until
 * every name is known. Unknown names reject with ENODEV.
 */
async function build<T extends BuiltRequest>(devs: Devices, make: (r: DevResolver) => T): Promise<T> {
  for (;;) {
    try {
      return make(devs.resolver);
    } catch (err) {
      if (!(err instanceof MissingDevice)) throw err;
      await devs.lookup(err.dev, err.what);
    }
  }
}

/** Names of the devices an options object gives as strings (to retry once if stale). */
function namedDevs(o: object): string[] {
  const r = o as Record<string, unknown>;
  const out: string[] = [];
  for (const k of ['dev', 'oif', 'iif']) if (typeof r[k] === 'string') out.push(r[k] as string);
  if (Array.isArray(r.multipath)) for (const h of r.multipath as { dev?: unknown }[]) if (typeof h?.dev === 'string') out.push(h.dev);
  return out;
}

/**
 * Sends a request built from options that may name devices. When the kernel answers ENODEV
 * and a cached name was used, the names are forgotten, looked up again and the request
 * sent once more (an interface deleted and re-created gets a new index).
 *
 * The request is built at once when every name is cached (no await before the send, so a
 * request costs one promise, the socket's); `ack: false` for requests the kernel always
 * answers (GET), which then end at their reply: one datagram back instead of two.
 */
function send(devs: Devices, o: object, make: (r: DevResolver) => BuiltRequest, co?: CallOptions, ack = true): Promise<NlMsg[]> {
  const go = (b: BuiltRequest): Promise<NlMsg[]> => {
    const opts = callOpts(b.what, co);
    if (!ack) opts.ack = false;
    return devs.socket.request(b.msg, opts);
  };
  let first: Promise<NlMsg[]>;
  try {
    first = go(make(devs.resolver));
  } catch (err) {
    if (!(err instanceof MissingDevice)) return Promise.reject(err);
    first = build(devs, make).then(go);
  }
  return first.catch((err: unknown) => {
    const names = namedDevs(o);
    if (!(err instanceof NetlinkError && err.code === 'ENODEV' && names.length)) throw err;
    for (const n of names) devs.forget(n);
    return build(devs, make).then(go);
  });
}

function nothing(): void {}

/** Where a request written straight to bytes goes first (the socket copies it at once). */
const fastBuf = new Uint8Array(ROUTE_REQUEST_MAX);
const fastView = new DataView(fastBuf.buffer);

/**
 * {@link send} for the paths with a writer straight to bytes (route-encode.ts): the request
 * written by `write` (0: its options need the generic path) and answered as bytes, handed
 * to `then`. The generic way instead when the writer does not take the options or a name
 * is not looked up yet, and after a stale name (ENODEV: the names are forgotten first).
 */
function sendFast<T>(devs: Devices, o: object, write: (r: DevResolver, buf: Uint8Array, view: DataView) => number,
  what: string, co: CallOptions | undefined, ack: boolean, then: (replies: Uint8Array[]) => T | Promise<T>,
  generic: () => Promise<T>): Promise<T> {
  let n = 0;
  try {
    n = write(devs.resolver, fastBuf, fastView);
  } catch (err) {
    if (!(err instanceof MissingDevice)) return Promise.reject(err);
  }
  if (n <= 0) return generic();
  const opts = callOpts(what, co);
  if (!ack) opts.ack = false;
  return devs.socket.requestEncoded(fastBuf, n, opts).then(then, (err: unknown) => {
    const names = namedDevs(o);
    if (!(err instanceof NetlinkError && err.code === 'ENODEV' && names.length)) throw err;
    for (const name of names) devs.forget(name);
    return generic();
  });
}

/** One result of {@link RouteApi.getMany}, in the order of the queries. */
export type GetResult = { ok: true; route: Route } | { ok: false; error: NetlinkError | EncodeError };

/**
 * Requests written back to back into one growing buffer for requestBatch: by a fast writer
 * where it takes the options, else built and encoded the generic way.
 */
class RequestWriter {
  #buf: Uint8Array;
  #view: DataView;
  #off = 0;
  readonly #ends: number[] = [];

  constructor(count: number) {
    this.#buf = new Uint8Array(Math.min(count, 1024) * 80 + ROUTE_REQUEST_MAX);
    this.#view = new DataView(this.#buf.buffer);
  }

  #room(n: number): void {
    if (this.#buf.length - this.#off >= n) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#off + n));
    grown.set(this.#buf.subarray(0, this.#off));
    this.#buf = grown;
    this.#view = new DataView(grown.buffer);
  }

  /**
   * One request per item: `fast` (a writer of route-encode.ts: length, 0 for the generic
   * path) with the cached names, else `make` (an await only for a name not looked up yet).
   * An item whose options cannot be built (EncodeError, ENODEV) goes to `failed` and is
   * not written. Returns the indexes of the items written, in order.
   */
  async writeAll<T>(devs: Devices, items: readonly T[],
    fast: (o: T, r: DevResolver, buf: Uint8Array, view: DataView, off: number) => number,
    make: (o: T, r: DevResolver) => BuiltRequest,
    failed: (i: number, err: NetlinkError | EncodeError) => void): Promise<number[]> {
    const index: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const o = items[i]!;
      try {
        this.#room(ROUTE_REQUEST_MAX);
        let n = 0;
        try {
          n = fast(o, devs.resolver, this.#buf, this.#view, this.#off);
        } catch (err) {
          if (!(err instanceof MissingDevice)) throw err;
        }
        if (n > 0) {
          this.#off += n;
          this.#ends.push(this.#off);
        } else {
          let b: BuiltRequest;
          try {
            b = make(o, devs.resolver);
          } catch (err) {
            if (!(err instanceof MissingDevice)) throw err;
            b = await build(devs, (r) => make(o, r));
          }
          this.#encode(b);
        }
        index.push(i);
      } catch (err) {
        if (err instanceof NetlinkError || err instanceof EncodeError) failed(i, err);
        else throw err;
      }
    }
    return index;
  }

  #encode(b: BuiltRequest): void {
    const m: NlMsg = { ...b.msg, seq: 0, pid: 0 };
    this.#room(align4(messageLength(m, rtnetlink)));
    this.#off += align4(encodeMessage(m, { buf: this.#buf, view: this.#view }, this.#off, rtnetlink));
    this.#ends.push(this.#off);
  }

  messages(): EncodedMessages {
    return { bytes: this.#buf, ends: this.#ends };
  }
}

/** decodeRoutes' set of unknown interface indexes for a get reply (used synchronously). */
const getMissing = new Set<number>();

/** routeOfReplies' array for decodeRoutes (used synchronously, emptied before and after). */
const getOut: Route[] = [];

/**
 * The route of a get's replies (as bytes), with interface names looked up if need be;
 * undefined when they hold none (see {@link noRoute}).
 */
function routeOfReplies(devs: Devices, replies: Uint8Array[]): Route | Promise<Route> | undefined {
  for (const b of replies) {
    getMissing.clear();
    getOut.length = 0;
    decodeRoutes(b, 0, b.length, undefined, devs.name, getOut, getMissing, true);
    if (getOut.length === 0) continue;
    const route = getOut[0]!;
    getOut.length = 0;
    if (getMissing.size === 0) return route;
    return devs.ensure([...getMissing]).then(() => {
      const again: Route[] = [];
      decodeRoutes(b, 0, b.length, undefined, devs.name, again, undefined, true);
      return again[0]!;
    });
  }
  return undefined;
}

/** How a get is named in its errors: `route get 192.0.2.1`. */
function getWhat(o: RouteGetOptions): string {
  return `route get ${String(o.dst)}`;
}

/** The error of a get answered without a route. */
function noRoute(what: string): NetlinkError {
  return new NetlinkError(-(errnoNumber('ENODATA') ?? 61), { type: 'RTM_GETROUTE', seq: 0, what }, { msg: 'no route in the reply' });
}

/** `nl.route`: `ip route get|add|replace|append|change|del|show`. */
export class RouteApi {
  readonly #devs: Devices;
  /** @internal */
  constructor(devs: Devices) {
    this.#devs = devs;
  }

  /**
   * `ip route get`: the route the kernel would use for `dst`. IPv4 asks for the table of
   * the matching entry (RTM_F_LOOKUP_TABLE), as iproute2 does. `dst` of the result is the
   * address; `dev` the output interface's name.
   */
  get(o: RouteGetOptions, co?: CallOptions): Promise<Route> {
    const devs = this.#devs;
    const what = getWhat(o);
    return sendFast(devs, o, (r, buf, view) => writeRouteGetRequest(o, r, 0, buf, view, 0), what, co, false,
      (replies) => routeOfReplies(devs, replies) ?? Promise.reject(noRoute(what)), () => this.#getGeneric(o, co));
  }

  /**
   * Many `route get`s at once: the requests written back to back and sent in as few
   * datagrams as fit, the replies read in bulk (one promise for all, not one per get).
   * Resolves with one result per query, in order: `{ ok: true, route }`, or `{ ok: false,
   * error }` with the kernel's NetlinkError (ENETUNREACH, ...) in the query's own words, or
   * the EncodeError / ENODEV of options that could not be built, which are not sent.
   */
  async getMany(queries: RouteGetOptions[], co?: CallOptions): Promise<GetResult[]> {
    const devs = this.#devs;
    const results: GetResult[] = new Array(queries.length);
    const w = new RequestWriter(queries.length);
    const index = await w.writeAll(devs, queries, (o, r, buf, view, off) => writeRouteGetRequest(o, r, 0, buf, view, off),
      routeGetRequest, (i, error) => { results[i] = { ok: false, error }; });
    const opts: BatchOptions & { raw: true } = { ...callOpts(`route get (${index.length} queries)`, co), ack: false, raw: true };
    const res = await devs.socket.requestBatch(w.messages(), opts);
    for (let k = 0; k < res.length; k++) {
      const r = res[k]!;
      const i = index[k]!;
      if (!r.ok) {
        results[i] = { ok: false, error: new NetlinkError(r.error.errno, { ...r.error.request, what: getWhat(queries[i]!) }, r.error.extack) };
        continue;
      }
      try {
        const route = routeOfReplies(devs, r.replies);
        results[i] = route === undefined ? { ok: false, error: noRoute(getWhat(queries[i]!)) }
          : { ok: true, route: route instanceof Promise ? await route : route };
      } catch (err) {
        if (err instanceof NetlinkError) results[i] = { ok: false, error: err };
        else throw err;
      }
    }
    return results;
  }

  #getGeneric(o: RouteGetOptions, co?: CallOptions): Promise<Route> {
    const devs = this.#devs;
    return send(devs, o, (r) => routeGetRequest(o, r), co, false).then((replies) => {
      const m = replies.find((x) => x.type === RTM_NEWROUTE);
      if (!m) throw noRoute(getWhat(o));
      if (needsLookup(devs, m)) return devs.ensure(routeIfindexes(m)).then(() => routeView(m, devs.name)!);
      return routeView(m, devs.name)!;
    });
  }

  /** `ip route add`: NLM_F_CREATE | NLM_F_EXCL; EEXIST when the route exists. */
  add(o: RouteOptions, co?: CallOptions): Promise<void> {
    return this.#modify('add', o, co);
  }

  /** `ip route replace`: NLM_F_CREATE | NLM_F_REPLACE. */
  replace(o: RouteOptions, co?: CallOptions): Promise<void> {
    return this.#modify('replace', o, co);
  }

  /** `ip route append`: NLM_F_CREATE | NLM_F_APPEND (IPv6: another next hop). */
  append(o: RouteOptions, co?: CallOptions): Promise<void> {
    return this.#modify('append', o, co);
  }

  /** `ip route change`: NLM_F_REPLACE; ENOENT when there is no such route. */
  change(o: RouteOptions, co?: CallOptions): Promise<void> {
    return this.#modify('change', o, co);
  }

  /** `ip route del`: ESRCH when there is no such route. */
  del(o: RouteOptions, co?: CallOptions): Promise<void> {
    return this.#modify('del', o, co);
  }

  #modify(op: RouteOp, o: RouteOptions, co?: CallOptions): Promise<void> {
    const devs = this.#devs;
    return sendFast(devs, o, (r, buf, view) => writeRouteRequest(op, o, r, 0, buf, view, 0), `route ${op} ${String(o.dst)}`,
      co, true, nothing, () => send(devs, o, (r) => routeRequest(op, o, r), co).then(nothing));
  }

  /**
   * Many route changes at once (one `op` for all, default `add`), sent back to back in as
   * few datagrams as fit. Resolves with one result per route, in order: `{ ok: true }`, or
   * `{ ok: false, error }` with the kernel's NetlinkError (in the route's own words) or the
   * EncodeError / ENODEV of options that could not be built, which are not sent.
   */
  async addMany(routes: RouteOptions[], opts: CallOptions & { op?: RouteOp } = {}): Promise<BulkResult[]> {
    const op = opts.op ?? 'add';
    const devs = this.#devs;
    const results: BulkResult[] = new Array(routes.length);
    // Every request written back to back into one buffer (writeRouteRequest, else the
    // generic encoder), which the socket numbers and sends from in place: no message
    // object per route.
    const w = new RequestWriter(routes.length);
    const index = await w.writeAll(devs, routes, (o, r, buf, view, off) => writeRouteRequest(op, o, r, 0, buf, view, off),
      (o, r) => routeRequest(op, o, r), (i, error) => { results[i] = { ok: false, error }; });
    const res = await devs.socket.requestBatch(w.messages(), callOpts(`route ${op} (${index.length} routes)`, opts));
    for (let k = 0; k < res.length; k++) {
      const r = res[k]!;
      const i = index[k]!;
      results[i] = r.ok ? BULK_OK
        : { ok: false, error: new NetlinkError(r.error.errno, { ...r.error.request, what: `route ${op} ${String(routes[i]!.dst)}` }, r.error.extack) };
    }
    return results;
  }

  /**
   * `ip route show`: routes of table main (or `table`, or every table with `'all'`), of
   * both families unless `family` says, streamed. Cloned (cache) entries are left out.
   * `for await (const route of nl.route.list())` takes them one at a time;
   * `for await (const routes of nl.route.list().pages())` a datagram's worth at a time (an
   * array of up to a few hundred), without a promise per route: the same routes, in the
   * same order, faster for dumps of many thousands.
   */
  list(o: RouteListOptions = {}, co?: CallOptions): RouteListIterator {
    return new RouteList(this.#devs, o, co);
  }
}

/** What `route.list` returns: the routes one by one, or with {@link pages} in arrays. */
export interface RouteListIterator extends AsyncIterableIterator<Route> {
  /**
   * The routes not taken yet, in arrays of those the kernel sent together (one datagram,
   * never empty), in order. One consumer at a time: use either this or the iterator itself
   * (after some routes were taken one by one, the first array holds the rest of their
   * datagram). Ending the loop early ends the dump, as with the iterator.
   */
  pages(): AsyncIterableIterator<Route[]>;
}

/**
 * The iterator of `route.list`: the dump read a datagram at a time as bytes
 * (NetlinkSocket.dumpBytes), each datagram's routes decoded straight to Route objects in
 * one synchronous pass (decodeRoutes; an await only for an interface index not in the
 * map), then handed out from that array.
 */
class RouteList implements RouteListIterator {
  #chunks: AsyncIterableIterator<Uint8Array> | undefined;
  #filter: RouteFilter | undefined;
  #buf: Route[] = [];
  #pos = 0;
  #done = false;
  #filling: Promise<boolean> | undefined;

  constructor(readonly devs: Devices, readonly o: RouteListOptions, readonly co: CallOptions | undefined) {}

  next(): Promise<IteratorResult<Route>> {
    if (this.#pos < this.#buf.length) return Promise.resolve({ done: false, value: this.#buf[this.#pos++]! });
    if (this.#done) return Promise.resolve({ done: true, value: undefined });
    if (this.#filling) return this.#filling.then(() => this.next());
    return this.#page().then((more): IteratorResult<Route> => {
      if (more) return { done: false, value: this.#buf[this.#pos++]! };
      this.#done = true;
      return { done: true, value: undefined };
    });
  }

  /** #fill, noted in #filling while it runs; the iterator ends if it fails. */
  #page(): Promise<boolean> {
    const p = this.#fill();
    this.#filling = p;
    return p.then((more) => {
      this.#filling = undefined;
      return more;
    }, (err: unknown) => {
      this.#filling = undefined;
      this.#finish();
      throw err;
    });
  }

  /** Reads datagrams until one has a route to hand out; false at the end of the dump. */
  async #fill(): Promise<boolean> {
    const devs = this.devs;
    if (!this.#chunks) {
      const b = await build(devs, (r) => routeListRequest(this.o, r));
      this.#filter = b.filter;
      this.#chunks = devs.socket.dumpBytes(b.msg, callOpts(b.what, this.co));
    }
    const missing = new Set<number>();
    for (;;) {
      const r = await this.#chunks.next();
      if (r.done) return false;
      const bytes = r.value;
      let out: Route[] = [];
      decodeRoutes(bytes, 0, bytes.length, this.#filter, devs.name, out, missing, true);
      if (missing.size > 0) {
        // Interfaces not in the map yet: look them up, then decode the datagram again.
        await devs.ensure(missing);
        missing.clear();
        out = [];
        decodeRoutes(bytes, 0, bytes.length, this.#filter, devs.name, out, undefined, true);
      }
      if (out.length) {
        this.#buf = out;
        this.#pos = 0;
        return true;
      }
    }
  }

  #finish(): void {
    this.#done = true;
    this.#buf = [];
    this.#pos = 0;
    void this.#chunks?.return?.();
  }

  return(): Promise<IteratorResult<Route>> {
    this.#finish();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Route> {
    return this;
  }

  pages(): AsyncIterableIterator<Route[]> {
    const pages: AsyncIterableIterator<Route[]> = {
      next: async (): Promise<IteratorResult<Route[]>> => {
        if (this.#filling) await this.#filling;
        if (this.#pos < this.#buf.length || (!this.#done && await this.#page())) {
          const page = this.#pos === 0 ? this.#buf : this.#buf.slice(this.#pos);
          this.#buf = [];
          this.#pos = 0;
          return { done: false, value: page };
        }
        this.#done = true;
        return { done: true, value: undefined };
      },
      return: (): Promise<IteratorResult<Route[]>> => {
        this.#finish();
        return Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]: () => pages,
    };
    return pages;
  }
}

/** `nl.link`: `ip link show`. */
export class LinkApi {
  readonly #devs: Devices;
  /** @internal */
  constructor(devs: Devices) {
    this.#devs = devs;
  }

  /** `ip link show`: every link (and the client's name map refreshed from them). */
  async list(co?: CallOptions): Promise<Link[]> {
    const b = linkListRequest();
    const msgs = await this.#devs.socket.dumpAll(b.msg, callOpts(b.what, co));
    const out: Link[] = [];
    for (const m of msgs) {
      if (m.type !== RTM_NEWLINK) continue;
      this.#devs.learn(m);
      const v = linkView(m);
      if (v) out.push(v);
    }
    return out;
  }

  /** `ip link show DEV`: one link by name or index; ENODEV when there is none. */
  async get(dev: Dev, co?: CallOptions): Promise<Link> {
    const b = linkGetRequest(dev);
    let replies: NlMsg[];
    try {
      replies = await this.#devs.socket.request(b.msg, callOpts(b.what, co));
    } catch (err) {
      if (err instanceof NetlinkError && err.code === 'ENODEV') {
        throw new NetlinkError(err.errno, err.request, { ...err.extack, msg: err.extack?.msg ?? `Cannot find device "${dev}"` });
      }
      throw err;
    }
    const m = replies.find((x) => x.type === RTM_NEWLINK)!;
    this.#devs.learn(m);
    return linkView(m)!;
  }
}

/** `nl.addr`: `ip addr show|add|del`. */
export class AddrApi {
  readonly #devs: Devices;
  /** @internal */
  constructor(devs: Devices) {
    this.#devs = devs;
  }

  /** `ip addr show`: addresses of both families (or `family`), of every link (or `dev`). */
  async list(o: AddrListOptions = {}, co?: CallOptions): Promise<Addr[]> {
    const b = await build(this.#devs, (r) => addrListRequest(o, r));
    const msgs = await this.#devs.socket.dumpAll(b.msg, callOpts(b.what, co));
    const out: Addr[] = [];
    for (const m of msgs) {
      const body = m.body as { family: number; index: number } | undefined;
      if (m.type !== RTM_NEWADDR || !body) continue;
      if (b.filter.family !== undefined && body.family !== b.filter.family) continue;
      if (b.filter.index !== undefined && body.index !== b.filter.index) continue;
      await this.#devs.ensure([body.index]);
      const v = addrView(m, this.#devs.name);
      if (v) out.push(v);
    }
    return out;
  }

  /** `ip addr add ADDRESS dev DEV`: EEXIST when the address is there. */
  async add(o: AddrOptions, co?: CallOptions): Promise<void> {
    await send(this.#devs, o, (r) => addrRequest('add', o, r), co);
  }

  /** `ip addr del ADDRESS dev DEV`: EADDRNOTAVAIL when it is not. */
  async del(o: AddrOptions, co?: CallOptions): Promise<void> {
    await send(this.#devs, o, (r) => addrRequest('del', o, r), co);
  }
}

/** `nl.rule`: `ip rule show|add|del`. */
export class RuleApi {
  readonly #devs: Devices;
  /** @internal */
  constructor(devs: Devices) {
    this.#devs = devs;
  }

  /** `ip rule show`: rules of both families unless `family` says. */
  async list(o: { family?: IpFamily } = {}, co?: CallOptions): Promise<Rule[]> {
    const b = ruleListRequest(o);
    const msgs = await this.#devs.socket.dumpAll(b.msg, callOpts(b.what, co));
    const out: Rule[] = [];
    for (const m of msgs) {
      if (m.type !== RTM_NEWRULE) continue;
      const v = ruleView(m);
      if (v && (o.family === undefined || v.family === o.family)) out.push(v);
    }
    return out;
  }

  /** `ip rule add`: table main and action lookup unless told; EEXIST for a duplicate. */
  async add(o: RuleOptions, co?: CallOptions): Promise<void> {
    const b = ruleRequest('add', o);
    await this.#devs.socket.request(b.msg, callOpts(b.what, co));
  }

  /** `ip rule del`: the first rule matching every given selector; ENOENT when none does. */
  async del(o: RuleOptions, co?: CallOptions): Promise<void> {
    const b = ruleRequest('del', o);
    await this.#devs.socket.request(b.msg, callOpts(b.what, co));
  }
}

/** `nl.neigh`: `ip neigh show`. */
export class NeighApi {
  readonly #devs: Devices;
  /** @internal */
  constructor(devs: Devices) {
    this.#devs = devs;
  }

  /** `ip neigh show` (NOARP entries included): of both families, every link unless told. */
  async list(o: NeighListOptions = {}, co?: CallOptions): Promise<Neigh[]> {
    const b = await build(this.#devs, (r) => neighListRequest(o, r));
    const msgs = await this.#devs.socket.dumpAll(b.msg, callOpts(b.what, co));
    const out: Neigh[] = [];
    for (const m of msgs) {
      const body = m.body as { family: number; ifindex: number } | undefined;
      if (m.type !== RTM_NEWNEIGH || !body) continue;
      if (b.filter.family !== undefined && body.family !== b.filter.family) continue;
      if (b.filter.index !== undefined && body.ifindex !== b.filter.index) continue;
      await this.#devs.ensure([body.ifindex]);
      const v = neighView(m, this.#devs.name);
      if (v) out.push(v);
    }
    return out;
  }
}

/** The event a notification makes, or undefined for messages of other kinds or families. */
async function eventOf(m: NlMsg, devs: Devices): Promise<RtnlEvent | undefined> {
  switch (m.type) {
    case RTM_NEWROUTE: case RTM_DELROUTE: {
      await devs.ensure(routeIfindexes(m)).catch(() => undefined);
      const route = routeView(m, devs.name);
      return route && { kind: 'route', action: m.type === RTM_NEWROUTE ? 'new' : 'del', route };
    }
    case RTM_NEWADDR: case RTM_DELADDR: {
      const index = (m.body as { index?: number } | undefined)?.index;
      if (index !== undefined) await devs.ensure([index]).catch(() => undefined);
      const addr = addrView(m, devs.name);
      return addr && { kind: 'addr', action: m.type === RTM_NEWADDR ? 'new' : 'del', addr };
    }
    case RTM_NEWLINK: case RTM_DELLINK: {
      devs.learn(m);
      const link = linkView(m);
      return link && { kind: 'link', action: m.type === RTM_NEWLINK ? 'new' : 'del', link };
    }
    case RTM_NEWRULE: case RTM_DELRULE: {
      const rule = ruleView(m);
      return rule && { kind: 'rule', action: m.type === RTM_NEWRULE ? 'new' : 'del', rule };
    }
    case RTM_NEWNEIGH: case RTM_DELNEIGH: {
      const ifindex = (m.body as { ifindex?: number } | undefined)?.ifindex;
      if (ifindex !== undefined) await devs.ensure([ifindex]).catch(() => undefined);
      const neigh = neighView(m, devs.name);
      return neigh && { kind: 'neigh', action: m.type === RTM_NEWNEIGH ? 'new' : 'del', neigh };
    }
    default:
      return undefined;
  }
}

/**
 * A client of rtnetlink in one network namespace: `route`, `link`, `addr`, `rule`,
 * `neigh`, and `monitor`. One socket carries every call (requests run concurrently; dumps
 * queue); each monitor has a socket of its own.
 */
export class Rtnl {
  /** Routes: `ip route`. */
  readonly route: RouteApi;
  /** Links: `ip link show`. */
  readonly link: LinkApi;
  /** Addresses: `ip addr`. */
  readonly addr: AddrApi;
  /** Policy routing rules: `ip rule`. */
  readonly rule: RuleApi;
  /** Neighbours: `ip neigh show`. */
  readonly neigh: NeighApi;
  /** The socket every call but `monitor` uses. */
  readonly socket: NetlinkSocket;
  readonly #opts: RtnlOptions;
  readonly #devs: Devices;
  readonly #monitors = new Set<NetlinkSocket>();
  readonly #recorder: PcapRecorder | undefined;

  private constructor(socket: NetlinkSocket, opts: RtnlOptions, recorder?: PcapRecorder) {
    this.socket = socket;
    this.#opts = opts;
    this.#recorder = recorder;
    this.#devs = new Devices(socket);
    this.route = new RouteApi(this.#devs);
    this.link = new LinkApi(this.#devs);
    this.addr = new AddrApi(this.#devs);
    this.rule = new RuleApi(this.#devs);
    this.neigh = new NeighApi(this.#devs);
  }

  /**
   * Opens a client: a NETLINK_ROUTE socket (in `opts.netns` if given) with extended acks,
   * capped acks and strict checking of GET requests.
   *
   * @throws SyscallError when the socket cannot be made (ENOENT for an unknown netns name).
   */
  static async open(opts: RtnlOptions = {}): Promise<Rtnl> {
    const rec = opts.record === undefined ? undefined
      : pcapRecorder(opts.record, opts.onDatagram ? { tap: opts.onDatagram } : {});
    const o: RtnlOptions = rec ? { ...opts, onDatagram: rec.onDatagram } : opts;
    try {
      return new Rtnl(NetlinkSocket.open(rtnetlink, Rtnl.#socketOptions(o)), o, rec);
    } catch (err) {
      rec?.close();
      throw err;
    }
  }

  /**
   * Why the kernel routes `query.dst` as it does and picks its source address: the rule,
   * the route, the egress, the candidates and their verdicts (see ./why.ts).
   */
  why(query: WhyQuery): Promise<WhyReport> {
    return why(this, query);
  }

  static #socketOptions(opts: RtnlOptions): NetlinkSocketOptions {
    const o: NetlinkSocketOptions = {};
    if (opts.netns !== undefined) o.netns = opts.netns;
    if (opts.timeout !== undefined) o.timeout = opts.timeout;
    if (opts.rcvbuf !== undefined) o.rcvbuf = opts.rcvbuf;
    if (opts.maxInFlight !== undefined) o.maxInFlight = opts.maxInFlight;
    if (opts.onDatagram !== undefined) o.onDatagram = opts.onDatagram;
    return o;
  }

  /**
   * Notifications of the given kinds (`ip monitor route addr ...`), from this call on, as
   * typed events. An `{ kind: 'overrun' }` event means some were lost: list again to
   * resynchronise. Runs on a socket of its own, closed when the iteration ends (`break`)
   * or the client closes.
   *
   * @throws SyscallError when the socket cannot be made or a group joined.
   */
  monitor(kinds: readonly MonitorKind[]): AsyncIterableIterator<RtnlEvent> {
    const groups = [...new Set(kinds.flatMap((k) => {
      const g = monitorGroups[k];
      if (!g) throw new TypeError(`monitor: unknown kind ${String(k)} (route, addr, link, rule, neigh)`);
      return g;
    }))];
    const sock = NetlinkSocket.open(rtnetlink, { ...Rtnl.#socketOptions(this.#opts), rcvbuf: this.#opts.rcvbuf ?? 4 << 20 });
    let sub: AsyncIterableIterator<SubscriptionEvent>;
    try {
      sub = sock.subscribe(groups);
    } catch (err) {
      sock.close();
      throw err;
    }
    this.#monitors.add(sock);
    const devs = this.#devs;
    const monitors = this.#monitors;
    const stop = (): void => {
      monitors.delete(sock);
      sock.close();
    };
    const next = async (): Promise<IteratorResult<RtnlEvent>> => {
      for (;;) {
        const r = await sub.next();
        if (r.done) {
          stop();
          return { done: true, value: undefined };
        }
        if (r.value.type === 'overrun') return { done: false, value: { kind: 'overrun' } };
        const ev = await eventOf(r.value.msg, devs);
        if (ev) return { done: false, value: ev };
      }
    };
    const it: AsyncIterableIterator<RtnlEvent> = {
      next,
      async return(): Promise<IteratorResult<RtnlEvent>> {
        await sub.return?.();
        stop();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  /**
   * Closes the client: calls still in flight reject (TimeoutError `socket closed`),
   * monitors end, and the descriptors are closed. Idempotent.
   */
  close(): void {
    for (const s of [...this.#monitors]) s.close();
    this.#monitors.clear();
    this.socket.close();
    this.#recorder?.close();
  }
}
