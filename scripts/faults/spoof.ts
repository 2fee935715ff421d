/**
 * A netlink spoofer: forges rtnetlink replies to another socket's port id, from a process
 * of its own (run inside `ip netns exec NS`, as root or under `setpriv` as nobody, whom
 * the kernel refuses with EPERM). Used by test/netlink/faults.test.ts.
 *
 * ```text
 * tsx scripts/faults/spoof.ts --port P --seq S [--count N] [--kinds error,route,done]
 *                             [--type T] [--group G]
 * ```
 *
 * For each seq S .. S+N-1 it sends one datagram per kind (./forge.ts) to port P, with
 * `nlmsg_pid` P and that seq; `--type` is the request type echoed in forged errors
 * (default RTM_GETROUTE, 26). `--group G` also tries one forged notification to multicast
 * group G (which needs CAP_NET_ADMIN). Prints one JSON line: `{ uid, portId, sent, failed,
 * errors, group? }`, where `errors` are the distinct send results below 0.
 *
 * @module
 */
import { loadBinding } from '../../src/netlink/binding.js';
import { forgeries, forgedRoute, sendForged, type ForgeryKind } from './forge.js';

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) throw new Error(`spoof: --${name} is required`);
  return v;
}

const port = Number(arg('port'));
const seq = Number(arg('seq'));
const count = Number(arg('count', '1'));
const type = Number(arg('type', '26'));
const kinds = arg('kinds', 'error,route,done').split(',') as ForgeryKind[];
const group = process.argv.includes('--group') ? Number(arg('group')) : undefined;

const binding = loadBinding();
const fd = binding.open(0);
if (fd < 0) throw new Error(`spoof: socket: ${fd}`);
if (binding.bind(fd, 0) < 0) throw new Error('spoof: bind failed');
const out: Record<string, unknown> = { uid: process.getuid?.(), portId: binding.portId(fd) };
let sent = 0;
let failed = 0;
const errors = new Set<number>();
for (let s = seq; s < seq + count; s++) {
  for (const bytes of forgeries(s, port, kinds, type)) {
    const r = sendForged(binding, fd, bytes, port);
    if (r >= 0) sent++;
    else {
      failed++;
      errors.add(r);
    }
  }
}
out.sent = sent;
out.failed = failed;
out.errors = [...errors];
if (group !== undefined) out.group = sendForged(binding, fd, forgedRoute(0, 0, '2001:db8:dead::1'), 0, 1 << (group - 1));
binding.close(fd);
console.log(JSON.stringify(out));
