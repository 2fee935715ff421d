/**
 * What nlwire can and cannot do without privileges, from inside a process that has none
 * (test/netlink/faults.test.ts runs it under `setpriv --reuid=65534 ... --inh-caps=-all`,
 * under `unshare -Ur`, and under `unshare -Urn`).
 *
 * ```text
 * tsx scripts/faults/unprivileged.ts '<json options>'
 * ```
 *
 * Options: `get` (a destination for route get), `add` (route options for route add),
 * `addMany` (routes for one batch), `rule` (rule options for rule add), `otherNetns` (a
 * namespace name to open a socket in, which needs CAP_SYS_ADMIN), `rcvbuf` (a receive
 * buffer to ask for: SO_RCVBUFFORCE needs CAP_NET_ADMIN, SO_RCVBUF is capped at
 * net.core.rmem_max). Prints one JSON line: each step's value, or `{ error: { name, code,
 * message } }`. Never exits non-zero for a refused step: refusals are the point.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { Rtnl } from '../../src/rtnl/client.js';
import type { RouteOptions, RuleOptions } from '../../src/rtnl/request.js';

interface Options {
  get?: string;
  add?: RouteOptions;
  addMany?: RouteOptions[];
  rule?: RuleOptions;
  otherNetns?: string;
  rcvbuf?: number;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as Options;

function failure(e: unknown): { error: { name: string; code?: string; message: string } } {
  const x = e as { name?: string; code?: string; message?: string };
  return { error: { name: x.name ?? typeof e, ...(x.code !== undefined ? { code: x.code } : {}), message: x.message ?? String(e) } };
}

async function step<T>(f: () => Promise<T> | T): Promise<T | ReturnType<typeof failure>> {
  try {
    return await f();
  } catch (e) {
    return failure(e);
  }
}

const capEff = /^CapEff:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
const out: Record<string, unknown> = { uid: process.getuid?.(), capEff };
const nl = await Rtnl.open();
try {
  out.links = await step(async () => (await nl.link.list()).map((l) => l.ifname));
  if (opts.get !== undefined) out.get = await step(async () => { const r = await nl.route.get({ dst: opts.get! }); return { dst: r.dst, dev: r.dev }; });
  out.routes = await step(async () => { let n = 0; for await (const _ of nl.route.list({ family: 4 })) n++; return n; });
  if (opts.add) out.add = await step(async () => { await nl.route.add(opts.add!); return 'ok'; });
  if (opts.addMany) {
    out.addMany = await step(async () => (await nl.route.addMany(opts.addMany!)).map((r) => (r.ok ? 'ok' : r.error.name === 'NetlinkError' ? (r.error as { code: string }).code : r.error.message)));
  }
  if (opts.add) out.listedAfterAdd = await step(async () => { for await (const r of nl.route.list({ family: 4 })) if (r.dst === opts.add!.dst) return true; return false; });
  if (opts.rule) out.rule = await step(async () => { await nl.rule.add(opts.rule!); return 'ok'; });
  out.monitor = await step(async () => { const m = nl.monitor(['route', 'link']); await m.return?.(); return 'ok'; });
  if (opts.rcvbuf !== undefined) out.rcvbuf = await step(async () => { const c = await Rtnl.open({ rcvbuf: opts.rcvbuf! }); const n = c.socket.rcvbuf; c.close(); return n; });
  if (opts.otherNetns !== undefined) out.otherNetns = await step(async () => { const c = await Rtnl.open({ netns: opts.otherNetns! }); c.close(); return 'opened'; });
} finally {
  nl.close();
}
console.log(JSON.stringify(out));
