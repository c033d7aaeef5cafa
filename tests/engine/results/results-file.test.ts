/**
 * The importers of results computed elsewhere, on hostile input: each bad file is refused with an
 * ImportError naming the file and what is wrong; good files give the scores they hold.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImportError } from '../../../src/engine/errors';
import {
  fromLlmDropSimilarities,
  llmDropKindOf,
  parseResultsFile,
  RESULTS_FORMAT,
} from '../../../src/engine/results/results-file';
import { readTorchVector } from '../../../src/engine/results/torch-pt';

const L = 4;
const good = () => ({
  format: RESULTS_FORMAT,
  version: 1,
  command: 'analyze',
  model: { id: 'org/model', layers: L },
  text: { name: 'wiki.txt' },
  settings: { seqLen: 128, windows: 8 },
  drop: { attn: [2], mlp: [] },
  perplexity: 12.5,
  tokens: 1016,
  importance: { attn: [0.1, 0.2, null, 0.05], mlp: [0.3, 0.2, 0.1, 0.4], block: [0.4, 0.3, 0.1, 0.5] },
  similarity: Array.from({ length: L + 1 }, (_, i) => Array.from({ length: L + 1 }, (_, j) => (i === j ? 1 : 0.5))),
});
const parse = (o: unknown) => parseResultsFile(JSON.stringify(o), 'r.json');

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ImportError);
    expect((e as Error).message).toContain('r.json');
    return (e as Error).message;
  }
  throw new Error('expected an ImportError');
}

describe('parseResultsFile', () => {
  it('reads a good file: scores (null = NaN), drops, similarity, perplexity, names', () => {
    const r = parse(good());
    expect(r.model).toBe('org/model');
    expect(r.layers).toBe(L);
    expect(r.drop).toEqual({ attn: [2], mlp: [] });
    expect(r.importance.attn.slice(0, 2)).toEqual([0.1, 0.2]);
    expect(Number.isNaN(r.importance.attn[2])).toBe(true);
    expect(r.importance.block).toEqual([0.4, 0.3, 0.1, 0.5]);
    expect(r.similarity?.[0]).toEqual([1, 0.5, 0.5, 0.5, 0.5]);
    expect(r.perplexity).toEqual({ value: 12.5, tokens: 1016, seqLen: 128, windows: 8 });
    expect(r.text).toBe('wiki.txt');
  });

  const bad: [string, (o: ReturnType<typeof good>) => unknown, RegExp][] = [
    ['not JSON', () => '{"format": "droplab-results", ', /not JSON/],
    ['an array', () => [1, 2], /not a JSON object/],
    ['no format', (o) => ({ ...o, format: undefined }), /no "format" field/],
    ['another format', (o) => ({ ...o, format: 'lm-eval' }), /format is "lm-eval"/],
    ['a newer version', (o) => ({ ...o, version: 2 }), /version 2; this DropLab reads version 1/],
    ['a huge layer count', (o) => ({ ...o, model: { layers: 1e9 } }), /not a layer count between 1 and 4096/],
    ['a string layer count', (o) => ({ ...o, model: { layers: '4' } }), /model.layers is "4"/],
    [
      'a string where a score belongs',
      (o) => ({ ...o, importance: { ...o.importance, mlp: [0.1, 'NaN', 0.1, 0.1] } }),
      /importance.mlp\[1\] is "NaN"/,
    ],
    [
      'a score out of range',
      (o) => ({ ...o, importance: { ...o.importance, mlp: [0.1, 7, 0.1, 0.1] } }),
      /between 0 and 2/,
    ],
    [
      'too many scores',
      (o) => ({ ...o, importance: { ...o.importance, attn: new Array(100000).fill(0.1) } }),
      /100000 values for a 4-layer model/,
    ],
    ['a ragged similarity matrix', (o) => ({ ...o, similarity: [[1]] }), /similarity should be 5 rows/],
    ['a drop past the last layer', (o) => ({ ...o, drop: { attn: [9], mlp: [] } }), /drop lists are invalid/],
    ['a negative perplexity', (o) => ({ ...o, perplexity: -3 }), /perplexity is -3/],
  ];
  for (const [what, make, message] of bad) {
    it(`refuses ${what}`, () => {
      const v = make(good());
      const msg = refusal(() => parseResultsFile(typeof v === 'string' ? v : JSON.stringify(v), 'r.json'));
      expect(msg).toMatch(message);
      expect(msg).toContain('the current experiment is unchanged');
    });
  }
  it('huge text is refused before parsing', () => {
    expect(refusal(() => parseResultsFile(' '.repeat((64 << 20) + 1), 'r.json'))).toMatch(/MiB; a results file/);
  });
});

describe("LLM-Drop's similarity caches", () => {
  const DIR = join(__dirname, '../../fixtures/torch-pt');
  const pt = (name: string) => readTorchVector(new Uint8Array(readFileSync(join(DIR, name))), name).values;

  it('kind from the file name', () => {
    expect(llmDropKindOf('llama_all_attn_similarities.pt')).toBe('attn');
    expect(llmDropKindOf('x_all_mlp_similarities.pt')).toBe('mlp');
    expect(llmDropKindOf('sims.pt')).toBeNull();
    expect(llmDropKindOf('attn_and_mlp.pt')).toBeNull();
  });

  it('both files: importance = 1 - similarity, -inf = dropped', () => {
    const a = pt('llama_all_attn_similarities.pt');
    const m = pt('llama_all_mlp_similarities.pt');
    const r = fromLlmDropSimilarities([
      { kind: 'attn', values: a, file: 'a.pt' },
      { kind: 'mlp', values: m, file: 'm.pt' },
    ]);
    expect(r.source).toBe('llm-drop');
    expect(r.layers).toBe(12);
    expect(r.drop).toEqual({ attn: [3], mlp: [] });
    expect(Number.isNaN(r.importance.attn[3])).toBe(true);
    expect(r.importance.attn[0]).toBe(1 - a[0]);
    expect(r.importance.mlp[11]).toBe(1 - m[11]);
  });

  it('one file: the other kind is NaN; mismatched lengths and duplicates are refused', () => {
    const r = fromLlmDropSimilarities([{ kind: 'mlp', values: [0.9, 0.8], file: 'm.pt' }]);
    expect(r.importance.mlp.map((x) => +x.toFixed(6))).toEqual([0.1, 0.2]);
    expect(r.importance.attn.every(Number.isNaN)).toBe(true);
    expect(() =>
      fromLlmDropSimilarities([
        { kind: 'attn', values: [0.9, 0.8], file: 'a.pt' },
        { kind: 'mlp', values: [0.9], file: 'm.pt' },
      ]),
    ).toThrow(/holds 1 values but a.pt holds 2/);
    expect(() =>
      fromLlmDropSimilarities([
        { kind: 'attn', values: [0.9], file: 'a.pt' },
        { kind: 'attn', values: [0.9], file: 'b.pt' },
      ]),
    ).toThrow(/a second attention file/);
    expect(() => fromLlmDropSimilarities([{ kind: 'attn', values: [3], file: 'a.pt' }])).toThrow(
      /not a cosine similarity/,
    );
  });
});
