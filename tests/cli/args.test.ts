/** The CLI's flag parser (in-process; no engine). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FlagSpec, parseFlags, parseIntList, UsageError } from '../../src/cli/args';

const SPECS: FlagSpec[] = [
  { name: 'model', kind: 'string', required: true, help: '' },
  { name: 'seq-len', kind: 'int', min: 2, default: 128, help: '' },
  { name: 'drop-attn', kind: 'ints', default: [], help: '' },
  { name: 'target', kind: 'choice', choices: ['attn', 'mlp'], help: '' },
  { name: 'json', kind: 'bool', help: '' },
];

describe('parseFlags', () => {
  it('reads --name value, --name=value, switches and defaults', () => {
    expect(parseFlags(['--model', 'm', '--seq-len=64', '--json'], SPECS)).toEqual({
      model: 'm',
      'seq-len': 64,
      'drop-attn': [],
      target: undefined,
      json: true,
    });
    expect(parseFlags(['--model=m', '--json=false', '--target', 'mlp'], SPECS)).toMatchObject({
      json: false,
      target: 'mlp',
      'seq-len': 128,
    });
  });

  it('refuses unknown, repeated, valueless, positional and out-of-range input', () => {
    const bad: [string[], RegExp][] = [
      [['--model', 'm', '--sq-len', '3'], /Unknown option --sq-len\. Did you mean --seq-len\?/],
      [['--model', 'm', '--model', 'n'], /given twice/],
      [['--model'], /needs a value/],
      [['--model', '--json'], /needs a value/],
      [['--model', 'm', 'x'], /Unexpected argument 'x'/],
      [['--model', 'm', '-j'], /Unknown option '-j'/],
      [['--model', 'm', '--seq-len', '1'], /at least 2/],
      [['--model', 'm', '--seq-len', '1.5'], /whole number/],
      [['--model', 'm', '--target', 'block'], /one of attn, mlp/],
      [['--json'], /Missing --model/],
    ];
    for (const [argv, msg] of bad) expect(() => parseFlags(argv, SPECS)).toThrow(msg);
    expect(() => parseFlags([], SPECS)).toThrow(UsageError);
  });
});

describe('parseIntList', () => {
  it('reads lists and inclusive ranges, sorted and unique', () => {
    expect(parseIntList('3,5', 'x')).toEqual([3, 5]);
    expect(parseIntList('7, 2-4,3', 'x')).toEqual([2, 3, 4, 7]);
    expect(parseIntList('', 'x')).toEqual([]);
    expect(() => parseIntList('4-2', 'x')).toThrow(/backwards/);
    expect(() => parseIntList('-1', 'x')).toThrow(/layer indices/);
    expect(() => parseIntList('a', 'x')).toThrow(/layer indices/);
    expect(parseIntList('4090-4095', 'x')).toEqual([4090, 4091, 4092, 4093, 4094, 4095]);
  });

  it('refuses indices past any model before expanding a range (issue 9: 0-4000000000 ran 20 s and died)', () => {
    for (const raw of ['0-4000000000', '4096', '1,99999999999999999999', '3-4096'])
      expect(() => parseIntList(raw, 'drop-attn'), raw).toThrow(/no model has more than 4096 layers/);
  });
});

describe('numeric bounds', () => {
  it('int flags with a max refuse larger values; --threads past the cores needs --force-threads', async () => {
    const specs: FlagSpec[] = [{ name: 'batch', kind: 'int', min: 1, max: 4096, help: '' }];
    expect(parseFlags(['--batch', '4096'], specs)).toEqual({ batch: 4096 });
    expect(() => parseFlags(['--batch', '4097'], specs)).toThrow(/--batch must be at most 4096; got 4097/);
    const { threadsFromFlags } = await import('../../src/cli/session');
    expect(threadsFromFlags({ threads: 4 }, 4)).toBe(4);
    expect(threadsFromFlags({}, 4)).toBeUndefined();
    expect(() => threadsFromFlags({ threads: 5 }, 4)).toThrow(/--threads 5 is more than this machine's 4 cores/);
    expect(threadsFromFlags({ threads: 5, 'force-threads': true }, 4)).toBe(5);
  });
});

describe('parseFlags and parseIntList (fast-check)', () => {
  const ALL: FlagSpec[] = [
    ...SPECS,
    { name: 'drop-mlp', kind: 'ints', default: [], help: '' },
    { name: 'threads', kind: 'int', min: 1, max: 1024, help: '' },
  ];
  const piece = fc.oneof(
    fc.constantFrom(
      '--model',
      '--seq-len',
      '--drop-attn',
      '--drop-mlp',
      '--threads',
      '--target',
      '--json',
      '--',
      '-x',
      '=',
    ),
    fc.string({ maxLength: 12 }),
    fc.stringMatching(/^(\d{1,12}(-\d{1,12})?)(,\d{1,12}(-\d{1,12})?){0,3}$/),
    fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String),
  );

  it('any argv: flags, or a UsageError; lists sorted, unique, within 0..4095 (1,000 runs)', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (argv) => {
        let flags: ReturnType<typeof parseFlags>;
        try {
          flags = parseFlags(argv, ALL, 'eval');
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
          return;
        }
        for (const k of ['drop-attn', 'drop-mlp']) {
          const l = flags[k] as number[];
          expect(l.every((x, i) => Number.isInteger(x) && x >= 0 && x <= 4095 && (i === 0 || x > l[i - 1]))).toBe(true);
        }
        const t = flags.threads as number | undefined;
        if (t !== undefined) expect(t >= 1 && t <= 1024).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
