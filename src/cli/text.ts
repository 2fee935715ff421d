/**
 * One readable line per message, in the spirit of `ip monitor`: routes in iproute2's own
 * words and order, other rtnetlink messages as their fields, control messages by errno.
 */
import { type NlMsg, type Protocol, typeName } from '../netlink/message.js';
import { nlmsgFlagNames } from '../netlink/json.js';
import { errnoName, errnoText } from '../netlink/errno.js';
import { toHex } from '../netlink/ip.js';
import { NLMSG_ERROR, NLMSG_DONE } from '../netlink/constants.js';
import {
  RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE, rtnTypeNames, rtprotNames, rtScopeNames,
  rtTableNames, type Nexthop,
} from '../rtnl/route.js';

function header(m: NlMsg, proto?: Protocol): string {
  const flags = nlmsgFlagNames(m.type, m.flags, proto);
  return `${typeName(m.type, proto)}${flags.length ? ' [' + flags.join(',') + ']' : ''} seq ${m.seq} pid ${m.pid}`;
}

function name(map: Readonly<Record<number, string>>, v: number): string {
  return map[v] ?? String(v);
}

/** iproute2's words for a route: `203.0.113.0/24 via 192.0.2.1 dev #3 proto static src 192.0.2.10`. */
export function routeText(m: NlMsg): string {
  const b = (m.body ?? {}) as Record<string, number>;
  const a = (m.attrs ?? {}) as Record<string, unknown>;
  const w: string[] = [];
  const type = b.type ?? 0;
  if (type !== 1 && type !== 0) w.push(name(rtnTypeNames, type));
  const dst = a.dst as string | undefined;
  w.push(dst ? (b.dstLen === (dst.includes(':') ? 128 : 32) && m.type !== RTM_GETROUTE ? dst : `${dst}/${b.dstLen}`)
    : b.dstLen ? `?/${b.dstLen}` : m.type === RTM_GETROUTE ? '(no dst)' : 'default');
  if (a.src) w.push('from', `${a.src as string}/${b.srcLen}`);
  if (a.iif !== undefined) w.push('iif', `#${a.iif as number}`);
  if (a.gateway) w.push('via', a.gateway as string);
  if (a.via) w.push('via', (a.via as { addr: string }).addr);
  if (a.oif !== undefined) w.push('dev', `#${a.oif as number}`);
  const table = (a.table as number | undefined) ?? b.table;
  if (table !== undefined && table !== 254 && table !== 0) w.push('table', name(rtTableNames, table));
  if (b.protocol) w.push('proto', name(rtprotNames, b.protocol));
  if (b.scope) w.push('scope', name(rtScopeNames, b.scope));
  if (a.prefsrc) w.push('src', a.prefsrc as string);
  if (a.priority !== undefined) w.push('metric', String(a.priority));
  if (a.mark !== undefined) w.push('mark', '0x' + (a.mark as number).toString(16));
  if (a.uid !== undefined) w.push('uid', String(a.uid));
  if (a.ipProto !== undefined) w.push('ipproto', String(a.ipProto));
  if (a.sport !== undefined) w.push('sport', String(a.sport));
  if (a.dport !== undefined) w.push('dport', String(a.dport));
  const metrics = a.metrics as Record<string, unknown> | undefined;
  if (metrics) for (const [k, v] of Object.entries(metrics)) w.push(k === 'ccAlgo' ? 'congctl' : k.toLowerCase(), String(v));
  for (const h of (a.multipath as Nexthop[] | undefined) ?? []) {
    w.push('nexthop');
    if (h.attrs.gateway) w.push('via', h.attrs.gateway);
    w.push('dev', `#${h.ifindex}`, 'weight', String(h.hops + 1));
  }
  return w.join(' ');
}

function valueText(v: unknown): string {
  if (v instanceof Uint8Array) return toHex(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'object' && v !== null) {
    if ('data' in v && 'type' in v) return toHex((v as { data: Uint8Array }).data);
    if (Array.isArray(v)) return `[${v.length}]`;
    return `{${Object.entries(v).map(([k, x]) => `${k}=${valueText(x)}`).join(' ')}}`;
  }
  return String(v);
}

/** The generic form: the fixed header's fields, then each attribute as key=value. */
function fieldsText(m: NlMsg): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(m.body ?? {})) if (v !== 0 && v !== 0n) parts.push(`${k}=${valueText(v)}`);
  for (const [k, v] of Object.entries(m.attrs ?? {})) parts.push(`${k}=${valueText(v)}`);
  if (m.payload) parts.push(`payload=${toHex(m.payload)}`);
  return parts.join(' ');
}

/** One line for one message. */
export function messageLine(m: NlMsg, proto?: Protocol): string {
  const h = header(m, proto);
  if (m.type === NLMSG_ERROR) {
    const req = m.request ? ` for ${typeName(m.request.type, proto)} seq ${m.request.seq}` : '';
    if (m.errno === 0) return `${h}: ACK${req}`;
    let s = `${h}: ${errnoName(m.errno!)} (${errnoText(m.errno!)})${req}`;
    if (m.extack?.msg) s += `: ${m.extack.msg}`;
    if (m.errorAttribute) s += ` (${m.errorAttribute})`;
    return s;
  }
  if (m.type === NLMSG_DONE) {
    if (!m.errno) return h;
    return `${h}: ${errnoName(m.errno)} (${errnoText(m.errno)})${m.extack?.msg ? ': ' + m.extack.msg : ''}`;
  }
  if (m.body && (m.type === RTM_NEWROUTE || m.type === RTM_DELROUTE || m.type === RTM_GETROUTE)) {
    return `${h}: ${routeText(m)}`;
  }
  const f = fieldsText(m);
  return f ? `${h}: ${f}` : h;
}
