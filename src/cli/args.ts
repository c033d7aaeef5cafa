/**
 * Command-line flag parsing for the CLI: `--name value`, `--name=value`, boolean `--name`.
 * Every malformed input is a UsageError (exit 64, usage printed), never a DropLabError.
 */

export type FlagKind = 'string' | 'int' | 'ints' | 'bool' | 'choice';

export interface FlagSpec {
  /** Long name without the leading dashes, e.g. 'seq-len'. */
  name: string;
  kind: FlagKind;
  help: string;
  /** Shown in usage, e.g. DIR, FILE, N. */
  metavar?: string;
  required?: boolean;
  default?: string | number | boolean | number[];
  /** For 'choice'. */
  choices?: readonly string[];
  /** For 'int': the smallest value allowed. */
  min?: number;
  /** For 'int': the largest value allowed. */
  max?: number;
}

export type FlagValue = string | number | boolean | number[] | undefined;
export type Flags = Record<string, FlagValue>;

/** A malformed command line: the CLI prints the message and the usage and exits 64 (EX_USAGE). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string | null = null,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The largest layer index a list may name (models have at most 4096 layers: CONFIG_BOUNDS). */
export const LAYER_INDEX_MAX = 4095;

/**
 * Parse a layer list: "3,5", "3 5", "2-4,7" (ranges inclusive), "" = none. Sorted, unique. Indices past
 * LAYER_INDEX_MAX are refused before a range is expanded (the model's own layer count is checked later).
 */
export function parseIntList(raw: string, flag: string): number[] {
  const out = new Set<number>();
  const bound = (n: number, part: string) => {
    if (n > LAYER_INDEX_MAX)
      throw new UsageError(
        `--${flag}: ${part} names layer ${n}; no model has more than ${LAYER_INDEX_MAX + 1} layers.`,
      );
    return n;
  };
  for (const part of raw.split(/[\s,]+/).filter(Boolean)) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (a > b) throw new UsageError(`--${flag}: the range ${part} runs backwards; write ${b}-${a}.`);
      bound(b, part);
      for (let i = a; i <= b; i++) out.add(i);
    } else if (/^\d+$/.test(part)) {
      out.add(bound(Number(part), part));
    } else {
      throw new UsageError(`--${flag} expects layer indices such as 3,5 or 2-4; got '${raw}'.`);
    }
  }
  return [...out].sort((a, b) => a - b);
}

function parseValue(spec: FlagSpec, raw: string): FlagValue {
  switch (spec.kind) {
    case 'string':
      if (raw === '') throw new UsageError(`--${spec.name} needs a non-empty ${spec.metavar ?? 'value'}.`);
      return raw;
    case 'int': {
      if (!/^[+]?\d+$/.test(raw.trim())) throw new UsageError(`--${spec.name} expects a whole number; got '${raw}'.`);
      const n = Number(raw);
      if (!Number.isSafeInteger(n)) throw new UsageError(`--${spec.name}: ${raw} is too large.`);
      if (spec.min !== undefined && n < spec.min)
        throw new UsageError(`--${spec.name} must be at least ${spec.min}; got ${n}.`);
      if (spec.max !== undefined && n > spec.max)
        throw new UsageError(`--${spec.name} must be at most ${spec.max}; got ${n}.`);
      return n;
    }
    case 'ints':
      return parseIntList(raw, spec.name);
    case 'choice':
      if (!spec.choices?.includes(raw))
        throw new UsageError(`--${spec.name} must be one of ${spec.choices?.join(', ')}; got '${raw}'.`);
      return raw;
    case 'bool':
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      throw new UsageError(`--${spec.name} is a switch; write --${spec.name} or --${spec.name}=false.`);
  }
}

/**
 * Parse `argv` (the arguments after the command name) against `specs`. Unknown flags, positional
 * arguments, missing values, repeated flags, bad numbers and missing required flags are UsageErrors.
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], command: string | null = null): Flags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: Flags = {};
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      throw new UsageError(
        arg.startsWith('-') && arg !== '-'
          ? `Unknown option '${arg}' (options are long, e.g. --model).`
          : `Unexpected argument '${arg}'.`,
        command,
      );
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`Unknown option --${name}.${suggest(name, [...byName.keys()])}`, command);
    if (seen.has(name)) throw new UsageError(`--${name} is given twice.`, command);
    seen.add(name);
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (spec.kind === 'bool') raw = 'true';
    else {
      const next = argv[i + 1];
      // A value may itself start with '-' only when it cannot be a flag (e.g. never for our kinds).
      if (next === undefined || next.startsWith('--'))
        throw new UsageError(`--${name} needs a value (${spec.metavar ?? spec.kind}).`, command);
      raw = next;
      i++;
    }
    try {
      flags[name] = parseValue(spec, raw);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(e.message, command);
      throw e;
    }
  }
  for (const s of specs) {
    if (flags[s.name] !== undefined) continue;
    if (s.required) throw new UsageError(`Missing --${s.name} ${s.metavar ?? ''}`.trimEnd() + '.', command);
    flags[s.name] = s.kind === 'bool' ? (s.default ?? false) : s.default;
  }
  return flags;
}

function suggest(name: string, names: string[]): string {
  const close = names.filter((n) => n.startsWith(name) || name.startsWith(n) || editDistance(n, name) <= 2);
  return close.length ? ` Did you mean --${close[0]}?` : '';
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** The usage lines of a command's flags, aligned. */
export function describeFlags(specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => {
    const v = s.kind === 'bool' ? '' : ` ${s.metavar ?? (s.kind === 'choice' ? s.choices?.join('|') : 'X')}`;
    return `  --${s.name}${v}`;
  });
  const w = Math.max(...left.map((l) => l.length)) + 2;
  return specs
    .map((s, i) => {
      const def = s.default !== undefined && s.kind !== 'bool' ? ` (default ${String(s.default)})` : '';
      const req = s.required ? ' (required)' : '';
      return `${left[i].padEnd(w)}${s.help}${req}${def}`;
    })
    .join('\n');
}
