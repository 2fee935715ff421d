/**
 * Mutations of the JSON form of datagrams (what `nlwire decode --json` prints and
 * `nlwire encode` reads): values swapped for ones of the wrong type or range, keys removed,
 * unknown and prototype-named keys added, messages repeated by the thousand, requests and
 * next hops nested thousands deep, and the text itself cut or garbled.
 */
import type { Rng } from './rng.js';
import { MAX_INPUT } from './mutate.js';

type J = null | boolean | number | string | J[] | { [k: string]: J };

const NASTY: J[] = [
  null, true, false, 0, -1, 1, 1.5, -0.5, 255, 256, 65535, 65536, 2 ** 31, 2 ** 32, 2 ** 32 - 1, 2 ** 53, -(2 ** 53),
  1e308, -1e308, '', '0', '-1', 'zz', 'f', 'ff', 'fff', '00ff', '0x10', '1.2.3.4', '1.2.3', '256.1.1.1', '::1', '::ffff:1.2.3.4',
  ':::', 'fe80::1%eth0', 'aa:bb', 'aa:bb:cc:dd:ee:ff', 'aa:', 'RTM_NEWROUTE', 'RTM_GETLINK', 'NLMSG_ERROR', 'NLMSG_DONE',
  'RTM_NOPE', '65535', '65536', 'REQUEST', 'DUMP', 'CAPPED', '>', '<', '__proto__', 'constructor', '\u0000', '\ud800',
  [], [1], ['REQUEST', 'ACK'], ['NOPE'], [null], {}, { type: 1, hex: '00' }, { type: 1, hex: 'zz' }, { type: -1, hex: '' },
  { type: 1e9, flags: -1, hex: '00' }, { u64: '1' }, { u64: '-1' }, { u64: 'x' }, { text: 'x', nul: false }, { text: 1, nul: false },
  { family: 2, addr: '1.2.3.4' }, { family: 'x' }, [{ flags: 1, hops: 2, ifindex: 3, attrs: {} }], [{ flags: 'x' }], [{ attrs: null }],
];

const KEYS = ['type', 'flags', 'seq', 'pid', 'len', 'raw', 'errno', 'code', 'request', 'extack', 'payload', 'body', 'attrs',
  'messages', 'direction', 'trailing', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'unknown7',
  'prefsrc#2', 'prefsrc', 'multipath', 'metrics', 'oif', 'dst', 'ifname', 'linkinfo', 'msg', 'offs', 'policy', '#', 'x#y'];

function paths(v: J, out: Array<{ parent: J[] | { [k: string]: J }; key: string | number }>, depth = 0): void {
  if (depth > 60 || out.length > 4000) return;
  if (Array.isArray(v)) v.forEach((x, i) => { out.push({ parent: v, key: i }); paths(x, out, depth + 1); });
  else if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) { out.push({ parent: v, key: k }); paths(v[k]!, out, depth + 1); }
  }
}

function get(p: { parent: J[] | { [k: string]: J }; key: string | number }): J {
  return (p.parent as Record<string | number, J>)[p.key]!;
}

function set(p: { parent: J[] | { [k: string]: J }; key: string | number }, v: J): void {
  if (Array.isArray(p.parent)) p.parent[p.key as number] = v;
  else Object.defineProperty(p.parent, p.key, { value: v, enumerable: true, writable: true, configurable: true });
}

/** A nest `depth` deep of whatever `wrap` builds around its argument. */
function deep(depth: number, leaf: J, wrap: (inner: J) => J): J {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = wrap(v);
  return v;
}

/** One structural mutation of a JSON document (changed in place; returns the new root). */
export function mutateJSONOnce(rng: Rng, root: J): J {
  const ps: Array<{ parent: J[] | { [k: string]: J }; key: string | number }> = [];
  paths(root, ps);
  const p = ps.length ? rng.pick(ps) : undefined;
  switch (rng.int(9)) {
    case 0: case 1: if (p) set(p, structuredClone(rng.pick(NASTY))); return root;
    case 2: if (p) { if (Array.isArray(p.parent)) p.parent.splice(p.key as number, 1); else delete p.parent[p.key as string]; } return root;
    case 3: { // add a key
      const objs = ps.map(get).filter((x): x is { [k: string]: J } => !!x && typeof x === 'object' && !Array.isArray(x));
      const o = objs.length ? rng.pick(objs) : (root as { [k: string]: J });
      if (o && typeof o === 'object') Object.defineProperty(o, rng.pick(KEYS), { value: structuredClone(rng.pick(NASTY)), enumerable: true, writable: true, configurable: true });
      return root;
    }
    case 4: { // numbers off by one or by a power of two
      const nums = ps.filter((x) => typeof get(x) === 'number');
      if (!nums.length) return root;
      const q = rng.pick(nums);
      const v = get(q) as number;
      set(q, rng.pick([v + 1, v - 1, v * 65536, -v, v + 2 ** 32, v + 0.5]));
      return root;
    }
    case 5: { // repeat an array element, sometimes thousands of times
      const arrs = ps.map(get).filter((x): x is J[] => Array.isArray(x) && x.length > 0);
      if (Array.isArray(root) && root.length) arrs.push(root);
      if (!arrs.length) return root;
      const a = rng.pick(arrs);
      const item = a[rng.int(a.length)]!;
      let itemSize = 4;
      try {
        itemSize = JSON.stringify(item)?.length ?? 4;
      } catch {
        return root;
      }
      const want = rng.chance(0.97) ? 1 + rng.small(3) : rng.pick([1000, 5000]);
      const n = Math.max(1, Math.min(want, Math.floor(MAX_INPUT / itemSize)));
      for (let i = 0; i < n; i++) a.push(item);
      return root;
    }
    case 6: { // deep nesting of requests, next hops, nested attributes or plain arrays
      const depth = rng.chance(0.9) ? rng.pick([3, 33, 100]) : 1000;
      const what = rng.int(4);
      const v: J = what === 0
        ? deep(depth, { type: 'RTM_GETROUTE', flags: ['REQUEST'] }, (r) => ({ type: 'NLMSG_ERROR', errno: 0, request: r }))
        : what === 1
          ? { type: 'RTM_NEWROUTE', body: {}, attrs: deep(depth, {}, (a) => ({ multipath: [{ flags: 0, hops: 0, ifindex: 1, attrs: a as { [k: string]: J } }] })) }
          : what === 2
            ? { type: 'RTM_NEWLINK', body: {}, attrs: deep(depth, { kind: 'veth' }, (a) => ({ linkinfo: a })) }
            : deep(depth, 0, (a) => [a]);
      if (p && rng.chance(0.5)) set(p, v);
      else if (Array.isArray(root) && root[0] && typeof root[0] === 'object' && !Array.isArray(root[0])) {
        const m = (root[0] as { messages?: J }).messages;
        if (Array.isArray(m)) m.push(v);
      }
      return root;
    }
    case 7: // a different message type name
      if (p && p.key === 'type') set(p, rng.pick(['RTM_NEWROUTE', 'RTM_NEWLINK', 'RTM_NEWADDR', 'RTM_NEWRULE', 'RTM_NEWNEIGH', 'RTM_NEWNEIGHTBL', 'NLMSG_ERROR', 'NLMSG_DONE', 'NLMSG_NOOP', 20, 99]));
      return root;
    default:
      return structuredClone(rng.pick(NASTY));
  }
}

/**
 * A document nested thousands deep, written as text (JSON.stringify would overflow first):
 * NLMSG_ERROR requests, next hops or link info inside each other.
 */
function deepText(rng: Rng): string {
  const depth = rng.pick([2000, 5000, 10000, 30000]);
  const [open, leaf, close] = rng.pick([
    ['{"type":"NLMSG_ERROR","errno":0,"request":', '{"type":"RTM_GETROUTE","flags":["REQUEST"]}', '}'],
    ['{"multipath":[{"ifindex":1,"attrs":', '{}', '}]}'],
    ['{"linkinfo":', '{"kind":"veth"}', '}'],
    ['[', '0', ']'],
  ] as const);
  const body = open.repeat(depth) + leaf + close.repeat(depth);
  return open.startsWith('{"type"') ? `[{"messages":[${body}]}]`
    : open === '[' ? body : `[{"messages":[{"type":"RTM_NEWROUTE","body":{},"attrs":${body}}]}]`;
}

/** The JSON text of a mutated document; one time in five the text itself is also garbled. */
export function mutateJSON(rng: Rng, doc: unknown): string {
  if (rng.chance(0.003)) return deepText(rng);
  let root = structuredClone(doc) as J;
  for (let k = 1 + rng.small(3); k > 0; k--) root = mutateJSONOnce(rng, root);
  let text: string;
  try {
    text = JSON.stringify(root) ?? 'null';
  } catch {
    text = '[]';
  }
  if (text.length > 4 * MAX_INPUT) text = text.slice(0, 4 * MAX_INPUT);
  if (rng.chance(0.2)) {
    const at = rng.int(text.length + 1);
    const junk = rng.pick(['', '"', '{', '}', ']', ',', '\\', '\\u12', 'null', '1e999', '-', '"__proto__":{}', ' ']);
    text = rng.chance(0.5) ? text.slice(0, at) + junk + text.slice(at) : text.slice(0, at);
  }
  return text;
}
