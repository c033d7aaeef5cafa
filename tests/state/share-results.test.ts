/**
 * Imported results in share links (field `r`, v3): round trips within half-float precision, the link
 * lengths for 32 and 80 layers (docs/IMPORT.md quotes them), and damaged or hostile `r` values refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readImportFiles } from '../../src/engine/api';
import { ShareLinkError } from '../../src/engine/errors';
import { decodeExperiment, encodeExperiment, type Experiment } from '../../src/state/share-link';
import {
  base64url,
  configScalars,
  fromHalf,
  packResults,
  type SharedResults,
  toHalf,
  unpackResults,
} from '../../src/state/share-results';

const FIX = join(__dirname, '../fixtures');
const base: Experiment = {
  model: { kind: 'bundled', name: 'droplab-byte-12l' },
  drops: { attn: [], mlp: [] },
  text: { kind: 'bundled', id: 'moby-dick-heldout' },
  seqLen: 256,
  windows: 8,
  metric: 'cosine',
};

/** Deterministic scores for an L-layer model, shaped like real ones (small, rising with depth). */
function synthetic(L: number, seed = 1): SharedResults {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const vec = () => Array.from({ length: L }, (_, l) => 0.01 + 0.3 * rnd() * (1 + l / L));
  const sim = Array.from({ length: L + 1 }, () => new Array<number>(L + 1).fill(1));
  for (let i = 0; i <= L; i++)
    for (let j = i + 1; j <= L; j++) sim[i][j] = sim[j][i] = Math.max(-1, 1 - 0.02 * (j - i) - 0.1 * rnd());
  const attn = vec();
  attn[3] = Number.NaN;
  return {
    results: {
      source: 'droplab',
      model: 'meta-llama/Llama-3.1-70B',
      layers: L,
      drop: { attn: [3], mlp: [] },
      importance: { attn, mlp: vec(), block: vec() },
      similarity: sim,
      perplexity: { value: 6.25, tokens: 1016, seqLen: 128, windows: 8 },
      files: [],
    },
    config: { model_type: 'llama', num_hidden_layers: L, hidden_size: 8192 },
    selection: { attn: [40, 41], mlp: [L - 1] },
  };
}

/** Relative precision of a half float: 2^-11. */
const close = (a: number, b: number) =>
  Number.isNaN(a) ? Number.isNaN(b) : Math.abs(a - b) <= Math.abs(a) * 2 ** -11 + 1e-7;

describe('half floats', () => {
  it('round to nearest within 2^-11 relative, keep NaN, 0 and 1 exact', () => {
    for (const v of [0, 1, 0.5, 0.0123456, 0.987654, 1.999, 1e-5, 6.1e-5, 0.3333333])
      expect(close(v, fromHalf(toHalf(v)))).toBe(true);
    expect(Number.isNaN(fromHalf(toHalf(Number.NaN)))).toBe(true);
    expect(fromHalf(toHalf(1))).toBe(1);
  });
});

describe('packResults / unpackResults', () => {
  it('round trip: scores to 3-4 significant digits, drops, selection, name, config, perplexity', () => {
    const s = synthetic(80);
    const back = unpackResults(packResults(s));
    const r = s.results;
    expect(back.results.layers).toBe(80);
    expect(back.results.model).toBe(r.model);
    expect(back.results.drop).toEqual(r.drop);
    expect(back.selection).toEqual(s.selection);
    expect(back.config).toEqual(s.config);
    for (const k of ['attn', 'mlp', 'block'] as const)
      r.importance[k]?.forEach((v, i) => {
        expect(close(v, back.results.importance[k]?.[i] as number)).toBe(true);
      });
    r.similarity?.forEach((row, i) => {
      row.forEach((v, j) => {
        expect(close(v, back.results.similarity?.[i][j] as number)).toBe(true);
      });
    });
    expect(back.results.perplexity).toEqual(r.perplexity);
  });

  it('in a link: v3, reopened equal; link lengths for 32 and 80 layers', () => {
    const lengths: Record<number, { scores: number; withSimilarity: number }> = {};
    for (const L of [32, 80]) {
      const s = synthetic(L);
      const hash = encodeExperiment({ ...base, imported: s });
      expect(hash.startsWith('v3&')).toBe(true);
      const e = decodeExperiment(hash);
      expect(e.imported?.results.layers).toBe(L);
      expect(encodeExperiment(e)).toBe(hash);
      const noSim = { ...s, results: { ...s.results, similarity: undefined } };
      lengths[L] = { scores: encodeExperiment({ ...base, imported: noSim }).length, withSimilarity: hash.length };
    }
    // What docs/IMPORT.md quotes (measured here; the bound keeps the doc honest).
    expect(lengths[32].scores).toBeLessThan(800);
    expect(lengths[80].scores).toBeLessThan(1500);
    expect(lengths[80].withSimilarity).toBeLessThan(16000);
    console.log('share-link lengths (characters):', JSON.stringify(lengths));
  });

  it("a real import: LLM-Drop's .pt files, packed and unpacked", () => {
    const read = (n: string) => ({ name: n, bytes: new Uint8Array(readFileSync(join(FIX, 'torch-pt', n))) });
    const b = readImportFiles([read('llama_all_attn_similarities.pt'), read('llama_all_mlp_similarities.pt')]);
    const r = b.results!;
    const back = unpackResults(packResults({ results: r, config: null, selection: { attn: [], mlp: [] } }));
    expect(back.results.source).toBe('llm-drop');
    expect(back.results.drop).toEqual({ attn: [3], mlp: [] });
    r.importance.mlp.forEach((v, i) => {
      expect(close(v, back.results.importance.mlp[i])).toBe(true);
    });
  });

  it('config scalars keep sizes and drop lists and objects', () => {
    expect(
      configScalars({
        model_type: 'llama',
        hidden_size: 64,
        drop_attn_list: [1],
        rope_scaling: { a: 1 },
        architectures: ['LlamaForCausalLM'],
      }),
    ).toEqual({
      model_type: 'llama',
      hidden_size: 64,
      architectures: 'LlamaForCausalLM',
    });
  });

  const damaged: [string, string, RegExp][] = [
    ['not base64url', 'a+b/', /not base64url/],
    ['not deflate', base64url(new Uint8Array([1, 2, 3, 4, 5])), /do not inflate|end too early|another DropLab/],
    ['another codec', base64url(deflateSync(new Uint8Array([9, 12, 0, 0]))), /another DropLab version/],
    ['a huge layer count', base64url(deflateSync(new Uint8Array([1, 0xff, 0xff, 0]))), /claim 65535 layers/],
    ['truncated', base64url(deflateSync(new Uint8Array([1, 12, 0, 0, 0, 0]))), /end too early/],
  ];
  for (const [what, r, message] of damaged) {
    it(`refuses ${what}`, () => {
      expect(() => unpackResults(r)).toThrow(ShareLinkError);
      expect(() => unpackResults(r)).toThrow(message);
      expect(() => decodeExperiment(`v3&m=b:droplab-byte-12l&t=b:moby-dick-heldout&L=256&n=8&r=${r}`)).toThrow(
        ShareLinkError,
      );
    });
  }

  it('a score out of range and extra bytes are refused', () => {
    const s = synthetic(4);
    s.results.importance.mlp[1] = 5;
    expect(() => unpackResults(packResults(s))).toThrow(/outside \[0, 2\]/);
  });

  it('r needs a v3 link', () => {
    const r = packResults(synthetic(4));
    expect(() => decodeExperiment(`v2&m=b:droplab-byte-12l&t=b:moby-dick-heldout&L=256&n=8&r=${r}`)).toThrow(
      /needs link format v3/,
    );
  });
});
