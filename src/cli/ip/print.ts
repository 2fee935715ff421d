/**
 * iproute2's output layer (lib/json_print.c, lib/json_writer.c) in TypeScript: one
 * `print_*` call writes either the text form (its printf format) or the JSON form (its key),
 * so `nlwire` prints what `ip` prints and `nlwire -j` what `ip -j` prints, byte for byte,
 * from the same code path, as iproute2 does.
 *
 * The JSON writer reproduces json_writer.c's layout: compact (`[{"dst":"default"}]`) or,
 * with `-p`, four-space indentation with arrays opened as `[ ` and strings in arrays kept on
 * one line (`"flags": [ "UP","LOWER_UP" ]`).
 *
 * @module
 */

/** print_* output types (json_print.h enum output_type). */
export const PRINT_FP = 1;
/** Only in JSON. */
export const PRINT_JSON = 2;
/** Text with the format, JSON with the key. */
export const PRINT_ANY = 4;

/** One of PRINT_FP, PRINT_JSON, PRINT_ANY. */
export type OutputType = typeof PRINT_FP | typeof PRINT_JSON | typeof PRINT_ANY;

/** A printf argument. */
export type PrintfArg = string | number | bigint | null | undefined;

/**
 * The printf subset iproute2's formats use: `%s %d %i %u %x %X %c %%` with flags `-#0`, a
 * width, a precision and the length modifiers `h hh l ll` (ignored: values are exact).
 */
export function sprintf(fmt: string, ...args: PrintfArg[]): string {
  let i = 0;
  return fmt.replace(/%([-#0 +]*)(\d+)?(?:\.(\d+))?(?:hh|h|ll|l|z)?([sdiuxXc%])/g,
    (_m, flags: string, width: string | undefined, prec: string | undefined, conv: string) => {
      if (conv === '%') return '%';
      const a = args[i++];
      let s: string;
      switch (conv) {
        case 's':
          s = a === null || a === undefined ? '(null)' : String(a);
          if (prec !== undefined) s = s.slice(0, Number(prec));
          break;
        case 'c':
          s = typeof a === 'number' ? String.fromCharCode(a) : String(a ?? '');
          break;
        case 'x': case 'X': {
          const n = toBig(a);
          s = (n < 0n ? n + (1n << 64n) : n).toString(16);
          if (conv === 'X') s = s.toUpperCase();
          if (prec !== undefined) s = s.padStart(Number(prec), '0');
          if (flags.includes('#') && n !== 0n) s = (conv === 'X' ? '0X' : '0x') + s;
          break;
        }
        default: {
          const n = toBig(a);
          s = (conv === 'u' && n < 0n ? n + (1n << 32n) : n).toString();
          if (prec !== undefined) s = s.padStart(Number(prec), '0');
        }
      }
      const w = width === undefined ? 0 : Number(width);
      if (s.length >= w) return s;
      if (flags.includes('-')) return s.padEnd(w);
      if (flags.includes('0') && conv !== 's' && conv !== 'c') {
        const m = /^(-|0[xX])?(.*)$/.exec(s)!;
        return (m[1] ?? '') + m[2]!.padStart(w - (m[1]?.length ?? 0), '0');
      }
      return s.padStart(w);
    });
}

function toBig(a: PrintfArg): bigint {
  if (typeof a === 'bigint') return a;
  if (typeof a === 'number' && Number.isFinite(a)) return BigInt(Math.trunc(a));
  if (typeof a === 'string' && /^-?\d+$/.test(a)) return BigInt(a);
  return 0n;
}

/** json_writer.c: separators, indentation and string escapes as iproute2 writes them. */
class JsonWriter {
  readonly #out: string[];
  readonly #pretty: boolean;
  #depth = 0;
  #sep = '';

  constructor(out: string[], pretty: boolean) {
    this.#out = out;
    this.#pretty = pretty;
  }

  #eor(): void {
    if (this.#sep) this.#out.push(this.#sep);
    this.#sep = ',';
  }

  #eol(): void {
    if (this.#pretty) this.#out.push('\n' + '    '.repeat(this.#depth));
  }

  #begin(c: string): void {
    this.#eor();
    this.#out.push(c);
    this.#depth++;
    this.#sep = '';
  }

  #end(c: string): void {
    this.#depth--;
    if (this.#sep) this.#eol();
    this.#out.push(c);
    this.#sep = ',';
  }

  #puts(s: string): void {
    this.#out.push('"' + s.replace(/[\t\n\r\f\b\\"]/g, (c) => ({
      '\t': '\\t', '\n': '\\n', '\r': '\\r', '\f': '\\f', '\b': '\\b', '\\': '\\\\', '"': '\\"',
    })[c]!) + '"');
  }

  /** jsonw_name: a key, then the value that follows. */
  name(n: string): void {
    this.#eor();
    this.#eol();
    this.#sep = '';
    this.#puts(n);
    this.#out.push(this.#pretty ? ': ' : ':');
  }

  startObject(): void {
    this.#begin('{');
  }

  endObject(): void {
    this.#end('}');
  }

  startArray(): void {
    this.#begin('[');
    if (this.#pretty) this.#out.push(' ');
  }

  endArray(): void {
    if (this.#pretty && this.#sep) this.#out.push(' ');
    this.#sep = '';
    this.#end(']');
  }

  string(s: string): void {
    this.#eor();
    this.#puts(s);
  }

  /** A number, true, false or null. */
  raw(s: string): void {
    this.#eor();
    this.#out.push(s);
  }
}

/**
 * The `print_*` functions of json_print.c over one output buffer. In JSON mode
 * ({@link Printer.json}) `newJsonObj` opens the document's array; before that, and in text
 * mode, PRINT_ANY prints text.
 */
export class Printer {
  /** `-j`: print JSON. */
  readonly json: boolean;
  /** `-p`: indent the JSON. */
  readonly pretty: boolean;
  /** _SL_: the line separator inside one entry. */
  readonly sl = '\n';
  readonly #out: string[] = [];
  #jw: JsonWriter | undefined;

  constructor(opts: { json?: boolean; pretty?: boolean } = {}) {
    this.json = !!opts.json;
    this.pretty = !!opts.pretty;
  }

  /** is_json_context(). */
  isJson(): boolean {
    return this.#jw !== undefined;
  }

  #j(type: OutputType): boolean {
    return this.#jw !== undefined && (type === PRINT_JSON || type === PRINT_ANY);
  }

  #fp(type: OutputType): boolean {
    return this.#jw === undefined && (type === PRINT_FP || type === PRINT_ANY);
  }

  /** new_json_obj: with -j, the document's `[`. */
  newJsonObj(): void {
    if (!this.json) return;
    this.#jw = new JsonWriter(this.#out, this.pretty);
    this.#jw.startArray();
  }

  /** delete_json_obj: the document's `]` and newline. */
  deleteJsonObj(): void {
    if (!this.#jw) return;
    this.#jw.endArray();
    this.#out.push('\n');
    this.#jw = undefined;
  }

  /** A JSON writer without the document array: one object per line (`monitor -j`). */
  beginJsonLine(): void {
    if (this.json) this.#jw = new JsonWriter(this.#out, this.pretty);
  }

  /** Ends what {@link beginJsonLine} began. */
  endJsonLine(): void {
    if (!this.#jw) return;
    this.#out.push('\n');
    this.#jw = undefined;
  }

  /** Text written so far, and the buffer emptied. */
  take(): string {
    const s = this.#out.join('');
    this.#out.length = 0;
    return s;
  }

  /** fprintf(fp, ...): text only, whatever the mode (iproute2 guards these itself). */
  fp(fmt: string, ...args: PrintfArg[]): void {
    this.#out.push(sprintf(fmt, ...args));
  }

  /** open_json_object. */
  openObject(key: string | null = null): void {
    if (!this.#jw) return;
    if (key !== null) this.#jw.name(key);
    this.#jw.startObject();
  }

  /** close_json_object. */
  closeObject(): void {
    this.#jw?.endObject();
  }

  /** open_json_array: a keyed array in JSON, `str` in text. */
  openArray(type: OutputType, str: string | null): void {
    if (this.#j(type)) {
      if (str !== null) this.#jw!.name(str);
      this.#jw!.startArray();
    } else if (this.#fp(type) && str !== null) this.#out.push(str);
  }

  /** close_json_array. */
  closeArray(type: OutputType, str: string | null): void {
    if (this.#j(type)) this.#jw!.endArray();
    else if (this.#fp(type) && str !== null) this.#out.push(str);
  }

  /** print_string / print_color_string. A key without a value writes only the key. */
  string(type: OutputType, key: string | null, fmt: string | null, value: string | null): void {
    if (this.#j(type)) {
      if (key !== null && value === null) this.#jw!.name(key);
      else if (key === null && value !== null) this.#jw!.string(value);
      else if (key !== null && value !== null) {
        this.#jw!.name(key);
        this.#jw!.string(value);
      }
    } else if (this.#fp(type) && fmt !== null) this.#out.push(sprintf(fmt, value));
  }

  #number(type: OutputType, key: string | null, fmt: string | null, value: number | bigint, json: string): void {
    if (this.#j(type)) {
      if (key !== null) this.#jw!.name(key);
      this.#jw!.raw(json);
    } else if (this.#fp(type) && fmt !== null) this.#out.push(sprintf(fmt, value));
  }

  /** print_uint / print_u64 / print_luint. */
  uint(type: OutputType, key: string | null, fmt: string | null, value: number | bigint): void {
    const v = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
    this.#number(type, key, fmt, value, (v < 0n ? v + (1n << 32n) : v).toString());
  }

  /** print_int / print_s64. */
  int(type: OutputType, key: string | null, fmt: string | null, value: number | bigint): void {
    this.#number(type, key, fmt, value, String(value));
  }

  /** print_hex: JSON has the hex digits as a string. */
  hex(type: OutputType, key: string | null, fmt: string | null, value: number): void {
    if (this.#j(type)) this.string(PRINT_JSON, key, null, (value >>> 0).toString(16));
    else if (this.#fp(type) && fmt !== null) this.#out.push(sprintf(fmt, value));
  }

  /** print_0xhex: JSON has `%#llx` as a string (`0x10`, and `0` for zero). */
  hex0x(type: OutputType, key: string | null, fmt: string | null, value: number | bigint): void {
    if (this.#j(type)) this.string(PRINT_JSON, key, null, sprintf('%#llx', value));
    else if (this.#fp(type) && fmt !== null) this.#out.push(sprintf(fmt, value));
  }

  /** print_bool. */
  bool(type: OutputType, key: string | null, fmt: string | null, value: boolean): void {
    if (this.#j(type)) {
      if (key !== null) this.#jw!.name(key);
      this.#jw!.raw(value ? 'true' : 'false');
    } else if (this.#fp(type) && fmt !== null) this.#out.push(sprintf(fmt, value ? 'true' : 'false'));
  }

  /** print_null: `"key":null` in JSON, the format in text. */
  null(type: OutputType, key: string | null, fmt: string | null, value: string | null): void {
    if (this.#j(type)) {
      if (key !== null) this.#jw!.name(key);
      this.#jw!.raw('null');
    } else if (this.#fp(type) && fmt !== null) this.#out.push(sprintf(fmt, value));
  }

  /** print_nl: the line separator, in text only. */
  nl(): void {
    if (!this.#jw) this.#out.push(this.sl);
  }
}
