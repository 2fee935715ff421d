/**
 * The name tables of iproute2 (lib/rt_names.c): routing tables, protocols, scopes, DS
 * fields, link groups and IP protocols, with the same compiled-in defaults and the same
 * configuration files (`/etc/iproute2/rt_tables`, `rt_tables.d/*.conf`, `rt_protos`,
 * `rt_scopes`, `rt_dsfield`, `group`, and `/etc/protocols`), so that a table named in
 * rt_tables prints by its name, as `ip` prints it.
 *
 * @module
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where iproute2 reads its tables: the distribution's defaults, then the local ones. */
const CONF_DIRS = ['/usr/share/iproute2', '/etc/iproute2'];

/** A number-to-name table and its inverse. */
export class NameTable {
  readonly #byId = new Map<number, string>();
  readonly #byName = new Map<string, number>();
  readonly #files: readonly string[];
  readonly #defaults: readonly (readonly [number, string])[];
  readonly #max: number;
  #loaded = false;

  /**
   * @param defaults iproute2's compiled-in entries.
   * @param files file names under the configuration directories (`rt_tables`,
   *   `rt_tables.d/`: every `*.conf` in it).
   * @param max the largest id a file may name.
   */
  constructor(defaults: readonly (readonly [number, string])[], files: readonly string[], max: number) {
    this.#defaults = defaults;
    this.#files = files;
    this.#max = max;
  }

  #load(): void {
    if (this.#loaded) return;
    this.#loaded = true;
    for (const [id, name] of this.#defaults) this.#set(id, name);
    for (const dir of CONF_DIRS) {
      for (const f of this.#files) {
        if (f.endsWith('/')) {
          let entries: string[] = [];
          try {
            entries = readdirSync(join(dir, f)).filter((e) => e.endsWith('.conf')).sort();
          } catch {
            continue;
          }
          for (const e of entries) this.#read(join(dir, f, e));
        } else this.#read(join(dir, f));
      }
    }
  }

  #read(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return;
    }
    // rtnl_tab_initialize: "0x1f name" or "31 name", anything after the name ignored.
    for (const line of text.split('\n')) {
      const m = /^\s*(0x[0-9a-f]+|-?\d+)\s+([^\s#]+)/i.exec(line);
      if (!m) continue;
      const id = m[1]!.toLowerCase().startsWith('0x') ? parseInt(m[1]!, 16) : Number(m[1]);
      if (id < 0 || id > this.#max) continue;
      this.#set(id, m[2]!);
    }
  }

  #set(id: number, name: string): void {
    this.#byId.set(id, name);
    this.#byName.set(name, id);
  }

  /** The name of an id, or undefined. */
  name(id: number): string | undefined {
    this.#load();
    return this.#byId.get(id);
  }

  /** The id of a name, or undefined. */
  id(name: string): number | undefined {
    this.#load();
    return this.#byName.get(name);
  }
}

/** strtoul(arg, &end, base) that must consume the whole argument (iproute2's get_unsigned). */
export function parseUnsigned(arg: string, base: 0 | 10 | 16 = 0, max = 0xffffffff): number | undefined {
  let re: RegExp;
  let radix = 10;
  let text = arg;
  if (base === 16) {
    re = /^(0x)?[0-9a-f]+$/i;
    radix = 16;
    text = arg.replace(/^0x/i, '');
  } else if (base === 10) re = /^\d+$/;
  else if (/^0x/i.test(arg)) {
    re = /^0x[0-9a-f]+$/i;
    radix = 16;
    text = arg.slice(2);
  } else if (/^0\d/.test(arg)) {
    re = /^0[0-7]+$/;
    radix = 8;
  } else re = /^\d+$/;
  if (!re.test(arg)) return undefined;
  const v = parseInt(text, radix);
  return Number.isSafeInteger(v) && v <= max ? v : undefined;
}

const tables = new NameTable([[253, 'default'], [254, 'main'], [255, 'local']], ['rt_tables', 'rt_tables.d/'], 0xffffffff);
const protos = new NameTable([
  [0, 'unspec'], [1, 'redirect'], [2, 'kernel'], [3, 'boot'], [4, 'static'], [8, 'gated'],
  [9, 'ra'], [10, 'mrt'], [11, 'zebra'], [12, 'bird'], [13, 'dnrouted'], [14, 'xorp'],
  [15, 'ntk'], [16, 'dhcp'], [18, 'keepalived'], [42, 'babel'], [186, 'bgp'], [187, 'isis'],
  [188, 'ospf'], [189, 'rip'], [192, 'eigrp'],
], ['rt_protos', 'rt_protos.d/'], 255);
const scopes = new NameTable([[0, 'global'], [255, 'nowhere'], [254, 'host'], [253, 'link'], [200, 'site']], ['rt_scopes'], 255);
const dsfields = new NameTable([], ['rt_dsfield'], 255);
const groups = new NameTable([[0, 'default']], ['group'], 0x7fffffff);

/** rtnl_rttable_n2a: `main`, `local`, a name from rt_tables, else the number. */
export function tableName(id: number): string {
  return tables.name(id) ?? String(id >>> 0);
}

/** rtnl_rttable_a2n: a name from rt_tables or a number; undefined when neither. */
export function tableId(arg: string): number | undefined {
  return tables.id(arg) ?? parseUnsigned(arg, 0);
}

/** rtnl_rtprot_n2a. */
export function protoName(id: number): string {
  return protos.name(id) ?? String(id);
}

/** rtnl_rtprot_a2n: a name or a number up to 255. */
export function protoId(arg: string): number | undefined {
  return protos.id(arg) ?? parseUnsigned(arg, 0, 255);
}

/** rtnl_rtscope_n2a. */
export function scopeName(id: number): string {
  return scopes.name(id) ?? String(id);
}

/** rtnl_rtscope_a2n. */
export function scopeId(arg: string): number | undefined {
  return scopes.id(arg) ?? parseUnsigned(arg, 0, 255);
}

/** rtnl_dsfield_n2a: a name from rt_dsfield, else `0x%02x`. */
export function dsfieldName(id: number): string {
  return dsfields.name(id) ?? `0x${id.toString(16).padStart(2, '0')}`;
}

/** rtnl_dsfield_a2n: a name, else hexadecimal (with or without 0x) up to 0xff. */
export function dsfieldId(arg: string): number | undefined {
  return dsfields.id(arg) ?? parseUnsigned(arg, 16, 255);
}

/** rtnl_group_n2a. */
export function groupName(id: number): string {
  return groups.name(id) ?? String(id | 0);
}

/** rtnl_rtntype_n2a: route and rule types. */
export function rtntypeName(type: number): string {
  return ['none', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole',
    'unreachable', 'prohibit', 'throw', 'nat', 'xresolve'][type] ?? String(type);
}

/** rtnl_rtntype_a2n: a type name (`brd` for broadcast) or a number. */
export function rtntypeId(arg: string): number | undefined {
  const names: Record<string, number> = {
    local: 2, nat: 10, broadcast: 3, brd: 3, anycast: 4, multicast: 5, prohibit: 8,
    unreachable: 7, blackhole: 6, xresolve: 11, unicast: 1, throw: 9,
  };
  return names[arg] ?? parseUnsigned(arg, 0, 255);
}

/** family_name (lib/utils.c): `inet`, `inet6`, `link`... or `???`. */
export function familyName(af: number): string {
  return ({ 2: 'inet', 10: 'inet6', 17: 'link', 28: 'mpls', 7: 'bridge', 0: 'none' } as Record<number, string>)[af] ?? '???';
}

/** read_family (lib/utils.c): the address family a keyword names, or AF_UNSPEC (0). */
export function readFamily(arg: string): number {
  return ({ inet: 2, inet6: 10, link: 17, mpls: 28, bridge: 7 } as Record<string, number>)[arg] ?? 0;
}

let protocolsLoaded: Map<number, string> | undefined;
let protocolsByName: Map<string, number> | undefined;

function loadProtocols(): void {
  if (protocolsLoaded) return;
  protocolsLoaded = new Map();
  protocolsByName = new Map();
  let text = '';
  try {
    text = readFileSync('/etc/protocols', 'utf8');
  } catch {
    // No netbase: getprotobynumber finds nothing, and iproute2 prints ipproto-N.
  }
  for (const line of text.split('\n')) {
    const m = /^([^\s#]+)\s+(\d+)((?:\s+[^\s#]+)*)/.exec(line);
    if (!m) continue;
    const n = Number(m[2]);
    if (!protocolsLoaded.has(n)) protocolsLoaded.set(n, m[1]!);
    for (const name of [m[1]!, ...m[3]!.trim().split(/\s+/).filter(Boolean)]) {
      if (!protocolsByName.has(name)) protocolsByName.set(name, n);
    }
  }
}

/** inet_proto_n2a: the /etc/protocols name, else `ipproto-N`. */
export function inetProtoName(proto: number): string {
  loadProtocols();
  return protocolsLoaded!.get(proto) ?? `ipproto-${proto}`;
}

/** inet_proto_a2n: a decimal number up to 255 or an /etc/protocols name; undefined else. */
export function inetProtoId(arg: string): number | undefined {
  const n = parseUnsigned(arg, 10, 255);
  if (n !== undefined) return n;
  loadProtocols();
  return protocolsByName!.get(arg);
}
