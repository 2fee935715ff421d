/**
 * What every ip-style command shares: the global options (`-4 -6 -j -p -n NETNS`), the
 * client opened in the namespace, the interface map iproute2 keeps (ll_map.c: index, name,
 * flags and type of every link), and errors printed as `ip` prints them.
 *
 * @module
 */
import type { CliIO } from '../main.js';
import { Rtnl } from '../../rtnl/client.js';
import { NetlinkError, SyscallError, EncodeError, TimeoutError } from '../../netlink/errors.js';
import { errnoText } from '../../netlink/errno.js';
import type { NlMsg } from '../../netlink/message.js';
import { RTM_DELLINK } from '../../rtnl/link.js';
import { AF_INET, AF_INET6, IpFailure, IpUsageError, matches } from './args.js';
import { Printer } from './print.js';

/** The options ip takes before the object: `nlwire -j -n blue route show`. */
export interface IpGlobalOptions {
  /** `-4` / `-6` (`-f inet|inet6`): only this family. */
  family?: 4 | 6;
  /** `-j`, `-json`: iproute2's JSON. */
  json: boolean;
  /** `-p`, `-pretty`: indented JSON. */
  pretty: boolean;
  /** `-n NETNS`, `-netns NETNS`: work in that namespace (a name from `ip netns add`). */
  netns?: string;
}

/** What {@link parseGlobalOptions} found. */
export interface ParsedGlobalOptions {
  options: IpGlobalOptions;
  /** The option words it took, in order (to hand to a command's `run`). */
  consumed: string[];
  /** The arguments from the first that is not a global option on. */
  rest: string[];
  /** A usage error (`-n` without a name, `-f` with an unknown family); nothing else is set then. */
  error?: string;
}

/**
 * Reads ip's global options from the front of `args`, as ip.c's main loop does: `-4`,
 * `-6`, `-f`/`-family inet|inet6`, `-j`/`-json`, `-p`/`-pretty`, `-n`/`-netns NAME`
 * (a leading `--` works as `-`). It stops at the first other argument (`route`, `--help`,
 * an option it does not know), which is where `rest` begins.
 */
export function parseGlobalOptions(args: readonly string[]): ParsedGlobalOptions {
  const options: IpGlobalOptions = { json: false, pretty: false };
  const consumed: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '-' || a === '--') break;
    const opt = a.startsWith('--') ? a.slice(1) : a;
    if (opt === '-4') options.family = 4;
    else if (opt === '-6') options.family = 6;
    else if (matches(opt, '-family') && opt.length > 1 && opt !== '-') {
      const v = args[i + 1];
      if (v === undefined) return { options, consumed, rest: [], error: 'Command line is not complete. Try option "help"' };
      if (v === 'inet') options.family = 4;
      else if (v === 'inet6') options.family = 6;
      else return { options, consumed, rest: [], error: `nlwire: family "${v}" is not supported (inet, inet6)` };
      consumed.push(a, v);
      i++;
      continue;
    } else if (matches(opt, '-json')) options.json = true;
    else if (matches(opt, '-pretty')) options.pretty = true;
    else if (matches(opt, '-netns')) {
      const v = args[i + 1];
      if (v === undefined) return { options, consumed, rest: [], error: 'Command line is not complete. Try option "help"' };
      options.netns = v;
      consumed.push(a, v);
      i++;
      continue;
    } else break;
    consumed.push(a);
  }
  return { options, consumed, rest: args.slice(i) };
}

/** The per-link facts iproute2's ll_map keeps. */
export interface LinkEntry {
  index: number;
  name: string;
  /** ifi_flags. */
  flags: number;
  /** ifi_type (ARPHRD_*). */
  type: number;
  /** IFLA_TXQLEN. */
  txqlen?: number;
}

/**
 * iproute2's ll_map: index to name, flags and type, filled from a link dump and kept up to
 * date from link messages; an index it does not know is looked up (RTM_GETLINK).
 */
export class LinkCache {
  readonly #byIndex = new Map<number, LinkEntry>();
  readonly #nl: () => Promise<Rtnl>;

  constructor(nl: () => Promise<Rtnl>) {
    this.#nl = nl;
  }

  /** Every link, from one dump; returns their messages in kernel order. */
  async loadAll(): Promise<NlMsg[]> {
    const nl = await this.#nl();
    const links = await nl.link.list();
    for (const l of links) this.remember(l.raw);
    return links.map((l) => l.raw);
  }

  /** ll_remember_index: learns (or, for RTM_DELLINK, forgets) a link. */
  remember(m: NlMsg): void {
    const b = m.body as { index?: number; flags?: number; type?: number } | undefined;
    const { ifname: name, txqlen } = (m.attrs ?? {}) as { ifname?: string; txqlen?: number };
    if (!b || b.index === undefined) return;
    if (m.type === RTM_DELLINK) {
      this.#byIndex.delete(b.index);
      return;
    }
    if (name === undefined) return;
    this.#byIndex.set(b.index, { index: b.index, name, flags: b.flags ?? 0, type: b.type ?? 0, ...(txqlen !== undefined ? { txqlen } : {}) });
  }

  /** Looks up the indexes not known yet (in the kernel); unknown ones stay unknown. */
  async ensure(indexes: Iterable<number>): Promise<void> {
    const missing = [...new Set(indexes)].filter((i) => i > 0 && !this.#byIndex.has(i));
    if (!missing.length) return;
    const nl = await this.#nl();
    await Promise.all(missing.map(async (i) => {
      try {
        this.remember((await nl.link.get(i)).raw);
      } catch (err) {
        if (!(err instanceof NetlinkError)) throw err;
      }
    }));
  }

  /** ll_index_to_name: the name, `*` for 0, `if%u` when unknown. */
  name(index: number): string {
    if (index === 0) return '*';
    return this.#byIndex.get(index)?.name ?? `if${index >>> 0}`;
  }

  /** The entry of an index, if known. */
  get(index: number): LinkEntry | undefined {
    return this.#byIndex.get(index);
  }

  /** ll_name_to_index: the index of a name (looked up in the kernel), 0 when there is none. */
  async index(name: string): Promise<number> {
    for (const e of this.#byIndex.values()) if (e.name === name) return e.index;
    const nl = await this.#nl();
    try {
      const l = await nl.link.get(name);
      this.remember(l.raw);
      return l.index;
    } catch (err) {
      if (err instanceof NetlinkError && err.code === 'ENODEV') {
        const m = /^if(\d+)$/.exec(name);
        return m ? Number(m[1]) : 0;
      }
      throw err;
    }
  }

  /** ll_name_to_index or nodev(): the index, else `Cannot find device "NAME"` (exit 1). */
  async require(name: string): Promise<number> {
    const i = await this.index(name);
    if (!i) throw new IpFailure(`Cannot find device "${name}"`);
    return i;
  }
}

/** One run of an ip-style command: its options, output, client and link map. */
export class IpContext {
  readonly io: CliIO;
  readonly opts: IpGlobalOptions;
  readonly links: LinkCache;
  #nl: Promise<Rtnl> | undefined;

  constructor(io: CliIO, opts: IpGlobalOptions) {
    this.io = io;
    this.opts = opts;
    this.links = new LinkCache(() => this.nl());
  }

  /** preferred_family: AF_INET, AF_INET6 or AF_UNSPEC (0). */
  get af(): number {
    return this.opts.family === 4 ? AF_INET : this.opts.family === 6 ? AF_INET6 : 0;
  }

  /** A printer for -j / -p as given. */
  printer(): Printer {
    return new Printer({ json: this.opts.json, pretty: this.opts.pretty });
  }

  /** The client, opened on first use (in `-n NETNS`). */
  nl(): Promise<Rtnl> {
    this.#nl ??= Rtnl.open(this.opts.netns === undefined ? {} : { netns: this.opts.netns }).catch((err: unknown) => {
      if (err instanceof SyscallError && this.opts.netns !== undefined && err.syscall === 'open') {
        throw new IpFailure(`Cannot open network namespace "${this.opts.netns}": ${errnoText(err.errno)}`);
      }
      throw err;
    });
    return this.#nl;
  }

  /** Closes the client if it was opened. */
  async close(): Promise<void> {
    if (!this.#nl) return;
    try {
      (await this.#nl).close();
    } catch {
      // It never opened: nothing to close.
    }
  }
}

/** Thrown by a dump so that errors end with ip's "Dump terminated". */
export class DumpFailed extends Error {
  override readonly name = 'DumpFailed';
  constructor(override readonly cause: unknown) {
    super('Dump terminated');
  }
}

/** Runs a dump, marking its kernel errors as a dump's. */
export async function dumping<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw err instanceof NetlinkError ? new DumpFailed(err) : err;
  }
}

/** Exit status of a kernel refusal: what ip exits with (`return -2` in iproute2). */
export const EXIT_KERNEL = 2;
/** Exit status of a failure found before asking the kernel (nodev), as ip. */
export const EXIT_FAILURE = 1;
/** Exit status of a usage error. */
export const EXIT_USAGE = 2;

/**
 * Prints an error as ip does and returns the exit status: the kernel's ext-ack message as
 * `Error: MSG.` (a period added when missing, as libnetlink's nl_dump_ext_ack), else
 * `RTNETLINK answers: STRERROR`; a failed dump adds `Dump terminated` (and says nothing
 * more for ENOENT and EOPNOTSUPP without a message, as rtnl_dump_done).
 */
export function reportError(err: unknown, io: CliIO): number {
  if (err instanceof IpUsageError) {
    io.stderr(`${err.message}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof IpFailure) {
    io.stderr(`${err.message}\n`);
    return EXIT_FAILURE;
  }
  const dump = err instanceof DumpFailed;
  const e = dump ? (err as DumpFailed).cause : err;
  if (e instanceof NetlinkError) {
    const msg = e.extack?.msg;
    if (e.code === 'ENODEV' && msg?.startsWith('Cannot find device "')) {
      io.stderr(`${msg}\n`);
      return EXIT_FAILURE;
    }
    if (msg) io.stderr(`Error: ${msg}${msg.endsWith('.') ? '' : '.'}\n`);
    else if (!(dump && (e.code === 'ENOENT' || e.code === 'EOPNOTSUPP'))) io.stderr(`RTNETLINK answers: ${errnoText(e.errno)}\n`);
    if (dump) io.stderr('Dump terminated\n');
    return EXIT_KERNEL;
  }
  if (e instanceof EncodeError) {
    io.stderr(`nlwire: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof SyscallError || e instanceof TimeoutError) {
    io.stderr(`nlwire: ${e.message}\n`);
    return EXIT_FAILURE;
  }
  throw e;
}

/** An ip-style command: `run` and its `--help` text. */
export interface IpCommand {
  run(args: string[], io: CliIO): Promise<number>;
  help: string;
}

/**
 * Makes an {@link IpCommand}: global options may lead its arguments (`-j show`), `help`
 * as the first word prints the help, errors print as ip prints them.
 */
export function ipCommand(help: string, body: (ctx: IpContext, args: string[]) => Promise<number | void>): IpCommand {
  return {
    help,
    async run(args: string[], io: CliIO): Promise<number> {
      const g = parseGlobalOptions(args);
      if (g.error !== undefined) {
        io.stderr(`${g.error}\n`);
        return EXIT_USAGE;
      }
      const rest = g.rest;
      if (rest.includes('--help') || rest.includes('-h') || (rest[0] !== undefined && matches(rest[0], 'help'))) {
        io.stdout(help);
        return 0;
      }
      const ctx = new IpContext(io, g.options);
      try {
        return (await body(ctx, rest)) ?? 0;
      } catch (err) {
        return reportError(err, io);
      } finally {
        await ctx.close();
      }
    },
  };
}
