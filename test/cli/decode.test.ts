import { describe, it, expect } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { run, type CliIO } from '../../src/cli/main.js';

/** Runs the CLI in-process with `stdin` as input; returns exit code and output. */
async function cli(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { readStdin: async () => stdin, stdout: (t) => { out += t; }, stderr: (t) => { err += t; } };
  const code = await run(argv, io);
  return { code, out, err };
}

const fixture = (name: string) => readFileSync(`test/fixtures/cli/${name}`, 'utf8');
const [getReq, getReply] = fixture('route-get.hex').split('\n').filter((l) => /^[<>]/.test(l)) as [string, string];
const errLine = fixture('add-bad-prefsrc.hex').split('\n').filter((l) => l.startsWith('<'))[0]!;

describe('nlwire decode', () => {
  it('prints one ip-monitor style line per message', async () => {
    const r = await cli(['decode'], `# ip route get 203.0.113.5\n${getReq}\n${getReply}\n`);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      '> RTM_GETROUTE [REQUEST] seq 1795811014 pid 0: 203.0.113.5/32\n'
      + '< RTM_NEWROUTE seq 1795811014 pid 6162: 203.0.113.5 via 192.0.2.1 dev #3 src 192.0.2.10 uid 0 mtu 1400 congctl cubic\n',
    );
  });

  it('prints kernel errors with the ext-ack message', async () => {
    const r = await cli(['decode'], errLine + '\n');
    expect(r.code).toBe(0);
    expect(r.out).toContain('NLMSG_ERROR [ACK_TLVS] seq 1795811014 pid 6166: EINVAL (Invalid argument) for RTM_NEWROUTE seq 1795811014: Invalid prefsrc address');
  });

  it('decode --json | encode reproduces the input byte for byte', async () => {
    const input = `${getReq}\n${getReply}\n${errLine}\n`;
    const j = await cli(['decode', '--json'], input);
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.out);
    expect(doc[1].messages[0].attrs.prefsrc).toBe('192.0.2.10');
    expect(doc[2].messages[0]).toMatchObject({ type: 'NLMSG_ERROR', errno: -22, code: 'EINVAL', extack: { msg: 'Invalid prefsrc address' } });
    const e = await cli(['encode'], j.out);
    expect(e.code).toBe(0);
    const norm = (s: string) => s.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.replace(/\s+/g, ''));
    expect(norm(e.out)).toEqual(norm(input));
  });

  it('a bad datagram: one clear line naming datagram, path and offset; earlier ones printed', async () => {
    const bad = getReply.slice(0, 2 + 2 * 44) + '07' + getReply.slice(2 + 2 * 45); // RTA_OIF's nla_len 8 -> 7
    const r = await cli(['decode'], `${getReq}\n${bad}\n${getReq}\n`);
    expect(r.code).toBe(1);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    expect(r.err).toBe('nlwire decode: datagram 2: RTM_NEWROUTE.RTA_OIF at byte 48: RTA_OIF payload is 3 bytes, expected 4\n');
  });

  it('bad hex, bad JSON, unknown command and missing file exit non-zero without a stack trace', async () => {
    const hex = await cli(['decode'], '> 24 0x\n');
    expect(hex.code).toBe(1);
    expect(hex.err).toMatch(/^nlwire decode: .*line 1/);
    const json = await cli(['encode'], '{"messages": [{"type": "RTM_NOPE"}]}');
    expect(json.code).toBe(1);
    expect(json.err).toMatch(/unknown message type "RTM_NOPE"/);
    expect((await cli(['frobnicate'])).code).toBe(2);
    const missing = await cli(['decode', '/nonexistent/x.hex']);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe('nlwire decode: cannot read /nonexistent/x.hex: ENOENT\n');
    for (const r of [hex, json, missing]) expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe('the installed bin', () => {
  it('runs as `nlwire` from bin/nlwire.js', () => {
    if (!existsSync('dist/cli/main.js')) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json']);
    const r = spawnSync('node', ['bin/nlwire.js', 'decode'], { input: getReq + '\n', encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('> RTM_GETROUTE [REQUEST] seq 1795811014 pid 0: 203.0.113.5/32\n');
    const bad = spawnSync('node', ['bin/nlwire.js', 'decode'], { input: '> 0c000000 18000000 00000000 00000000\n', encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('nlwire decode of captures', () => {
  it('reads pcapng and strace logs by detecting their format', async () => {
    const io = (bytes: Uint8Array) => {
      let out = '';
      return { io: { readStdin: async () => '', readStdinBytes: async () => bytes, stdout: (t: string) => { out += t; }, stderr: () => {} }, out: () => out };
    };
    const p = io(readFileSync('test/fixtures/pcap/route-get.pcapng'));
    expect(await run(['decode'], p.io)).toBe(0);
    expect(p.out()).toContain('< RTM_NEWROUTE seq 1795811014 pid 6162: 203.0.113.5 via 192.0.2.1 dev #3 src 192.0.2.10');
    const forced = io(readFileSync('test/fixtures/pcap/route-get.pcapng'));
    expect(await run(['decode', '--format', 'pcap'], forced.io)).toBe(1);
  });

  it('encode --pcap writes a capture that decodes back to the same datagrams', async () => {
    const { mkdtempSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/nlwire-cli-');
    const j = await cli(['decode', '--json', 'test/fixtures/cli/route-get.hex']);
    const w = await cli(['encode', '--pcap', `${dir}/x.pcap`], j.out);
    expect(w.code).toBe(0);
    const back = await cli(['decode', '--json', `${dir}/x.pcap`]);
    expect(JSON.parse(back.out)).toEqual(JSON.parse(j.out));
  });
});
