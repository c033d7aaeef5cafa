/**
 * Property tests of the share-link codec (issue 9, "keep probing"), with fast-check:
 * - decoding any string, or any hash assembled from the codec's own fields with hostile values, either
 *   gives a valid experiment or throws ShareLinkError: never a TypeError, URIError, RangeError or anything
 *   else (runs: RUNS_DECODE each);
 * - for any valid experiment, decode(encode(e)) is e (local folder and file names in their link-safe form),
 *   and encode(decode(h)) is h (runs: RUNS_ROUND_TRIP).
 * The seed is fixed, so a failure reproduces; fast-check prints the smallest counterexample.
 */
import { deflateSync } from 'fflate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShareLinkError } from '../../src/engine/errors';
import {
  decodeExperiment,
  encodeExperiment,
  type Experiment,
  isHubId,
  linkSafeExperiment,
  METRIC_VIEWS,
  validateExperiment,
} from '../../src/state/share-link';
import { MAX_TASK_SEED, type TaskChoice } from '../../src/state/tasks';
import { BUILTIN_TASKS } from '../../src/engine/api';

const packed = (t: string) => Buffer.from(deflateSync(new TextEncoder().encode(t))).toString('base64url');
const PACKED_TASK = `j:${packed('{"context": "The cat", "choices": [" sat", " flew"], "gold": 0}\n')}`;

const RUNS_DECODE = 3000;
const RUNS_ROUND_TRIP = 1500;
const SEED = 20261205;

function decodesOrRefuses(hash: string): void {
  try {
    const e = decodeExperiment(hash);
    validateExperiment(e); // what it returns is always whole and valid
  } catch (err) {
    if (!(err instanceof ShareLinkError))
      throw new Error(`${hash.slice(0, 120)} threw ${String(err)} (not a ShareLinkError)`);
    expect(err.message.length).toBeGreaterThan(10);
  }
}

// Field values as a hostile link would hold them: the codec's own forms, near misses, escapes, junk.
const value = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.stringMatching(/^[0-9,]{0,20}$/),
  fc.constantFrom(
    'b:droplab-byte-12l',
    'b:moby-dick-heldout',
    'h:a/b@main',
    'l:x',
    'p:',
    'u:',
    'cos',
    '1',
    '0',
    '-1',
    '1e3',
    '%',
    '%E0%A4%A',
    '%00',
    '%F0%9F',
    '__proto__',
    'constructor',
    'o',
    'b:arc_easy',
    'b:nope',
    'j:',
    '5',
    '2147483648',
    PACKED_TASK,
    `j:${packed('{"context": "a", "choices": ["b"], "gold": 3}')}`,
    `j:${packed('not json')}`,
  ),
  fc.string({
    unit: fc.constantFrom('A', 'z', '0', '-', '_', '%', '2', 'F', '=', '&', ':', '@', ',', '\u0000', 'é', '\ud800'),
    maxLength: 30,
  }),
  fc.uint8Array({ maxLength: 60 }).map((b) => `p:${Buffer.from(b).toString('base64url')}`),
);
const key = fc.constantFrom(
  'm',
  'da',
  'dm',
  't',
  'tn',
  'L',
  'n',
  'x',
  'c',
  'r',
  'k',
  'kn',
  'kl',
  'ks',
  '',
  'v1',
  'M',
  '__proto__',
  'x=y',
);
const version = fc.oneof(
  fc.constantFrom('v1', 'v2', 'v0', 'v3', 'v4', 'v', 'V1', 'v01', 'v999999'),
  fc.string({ maxLength: 4 }),
);
const assembledHash = fc
  .tuple(fc.boolean(), version, fc.array(fc.tuple(key, fc.boolean(), value), { maxLength: 10 }))
  .map(
    ([sharp, v, fields]) =>
      `${sharp ? '#' : ''}${[v, ...fields.map(([k, eq, x]) => (eq ? `${k}=${x}` : `${k}${x}`))].join('&')}`,
  );

describe('share-link decoding never throws anything but ShareLinkError', () => {
  it(`any string (${RUNS_DECODE} runs)`, () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), decodesOrRefuses), {
      numRuns: RUNS_DECODE,
      seed: SEED,
    });
  });

  it(`any hash assembled from the codec's fields with hostile values (${RUNS_DECODE} runs)`, () => {
    fc.assert(fc.property(assembledHash, decodesOrRefuses), { numRuns: RUNS_DECODE, seed: SEED });
  });
});

// Valid experiments, drawn from every field's whole range.
const layers = fc
  .uniqueArray(fc.integer({ min: 0, max: 1023 }), { maxLength: 40 })
  .map((a) => [...a].sort((x, y) => x - y));
const anyName = fc.string({ unit: 'binary', minLength: 1, maxLength: 200 });
const hubId = fc
  .tuple(
    fc.option(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/), { nil: undefined }),
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/),
  )
  .map(([owner, name]) => (owner ? `${owner}/${name}` : name))
  .filter(isHubId);
const revision = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,30}$/).filter((r) => !r.includes('..'));
const model = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/).map((name) => ({ kind: 'bundled' as const, name })),
  fc
    .tuple(hubId, fc.option(revision, { nil: undefined }))
    .map(([id, rev]) => (rev ? { kind: 'hub' as const, id, revision: rev } : { kind: 'hub' as const, id })),
  anyName.map((name) => ({ kind: 'local' as const, name })),
);
const bodyText = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 400 }).filter((t) => t.trim().length > 0);
const text = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/).map((id) => ({ kind: 'bundled' as const, id })),
  bodyText.map((t) => ({ kind: 'paste' as const, text: t })),
  fc.tuple(anyName, bodyText).map(([name, t]) => ({ kind: 'upload' as const, name, text: t })),
);
// Tasks (v3): the offline task, a built-in one, or a small JSONL file; all, the first N, or a seeded subsample.
const jsonlItem = fc
  .tuple(fc.string({ maxLength: 40 }), fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 4 }), fc.nat())
  .map(([context, choices, g]) => JSON.stringify({ context, choices, gold: g % choices.length }));
const taskSource = fc.oneof(
  fc.constant({ kind: 'offline' as const }),
  fc.constantFrom(...BUILTIN_TASKS).map((name) => ({ kind: 'builtin' as const, name })),
  fc
    .tuple(anyName, fc.array(jsonlItem, { minLength: 1, maxLength: 6 }))
    .map(([name, lines]) => ({ kind: 'jsonl' as const, name, text: `${lines.join('\n')}\n` })),
);
const task: fc.Arbitrary<TaskChoice> = fc
  .tuple(
    taskSource,
    fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null }),
    fc.option(fc.integer({ min: 0, max: MAX_TASK_SEED }), { nil: null }),
  )
  .map(([source, limit, seed]) => ({ source, limit, seed: limit === null ? null : seed }));

const experiment: fc.Arbitrary<Experiment> = fc
  .record({
    model,
    drops: fc.record({ attn: layers, mlp: layers }),
    text,
    seqLen: fc.integer({ min: 2, max: 8192 }),
    windows: fc.integer({ min: 1, max: 4096 }),
    metric: fc.constantFrom(...METRIC_VIEWS),
    classroom: fc.boolean(),
    task: fc.option(task, { nil: undefined }),
  })
  .map(({ classroom, task: k, ...e }) => {
    const withTask: Experiment = k ? { ...e, task: k } : e;
    return classroom ? { ...withTask, classroom: true as const } : withTask;
  });

describe('share-link encode then decode is the identity', () => {
  it(`for any valid experiment (${RUNS_ROUND_TRIP} runs)`, () => {
    fc.assert(
      fc.property(experiment, (e) => {
        const h = encodeExperiment(e);
        expect(decodeExperiment(h)).toEqual(linkSafeExperiment(e));
        expect(decodeExperiment(`#${h}`)).toEqual(linkSafeExperiment(e));
        expect(encodeExperiment(decodeExperiment(h))).toBe(h);
        expect(h.startsWith(e.task ? 'v3&' : e.classroom ? 'v2&' : 'v1&')).toBe(true);
      }),
      { numRuns: RUNS_ROUND_TRIP, seed: SEED },
    );
  });

  it('names already in their safe form come back exactly', () => {
    fc.assert(
      fc.property(experiment, (e) => {
        const safe = linkSafeExperiment(e);
        expect(decodeExperiment(encodeExperiment(safe))).toEqual(safe);
      }),
      { numRuns: 300, seed: SEED },
    );
  });
});
