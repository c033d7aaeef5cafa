/**
 * The LM head in vocabulary chunks (issue 13 item 3): nll and argmax equal the float64 reference for
 * chunk sizes that split the vocabulary unevenly, one row per chunk, and the whole vocabulary at once;
 * no graph value has the vocabulary as its last dim when chunked (the [B,T,V] logits never exist).
 */
import { describe, expect, it } from 'vitest';
import * as graphs from '../../../src/engine/graphs/sublayers';
import { decodeModel } from '../../../src/engine/onnx/proto';
import { RUNTIMES, f32, i64, maxAbsDiff, runModel } from '../../support/runtimes';
import { randn, rng } from '../../support/runtimes';
import { randomIds, randomWeights, tinyGpt2Spec, tinySpec } from './random-weights';
import * as ref from './ref64';

const B = 2;
const T = 7;

const SPECS = [
  { name: 'llama-like, untied', spec: tinySpec({ vocabSize: 37 }) },
  { name: 'gpt2-like, tied', spec: tinyGpt2Spec() },
  {
    name: 'gemma2-like final soft-cap and granite divisor',
    spec: tinySpec({ vocabSize: 37, finalSoftcap: 3, logitDivisor: 0.5 }),
  },
];

for (const { name, spec } of SPECS) {
  describe(`chunked LM head: ${name}`, () => {
    const W = randomWeights(spec, 11);
    const ids = randomIds(spec, B, T, 3);
    const x = randn(rng(9), B * T * spec.hiddenSize, 2); // large states: logits spread over several units
    const want = [0, 1].map((bb) => {
      const xb = Float64Array.from(x.subarray(bb * T * spec.hiddenSize, (bb + 1) * T * spec.hiddenSize));
      return ref.headRef(spec, W, xb, ids.slice(bb * T, (bb + 1) * T)); // no soft-cap / divisor: see below
    });
    const capped = spec.finalSoftcap !== undefined;
    for (const chunk of [1, 5, 16, 4096]) {
      for (const rt of RUNTIMES) {
        it(`chunk ${chunk}: nll within 1e-5 of float64 and the same argmax (${rt.name})`, async () => {
          const out = await runModel(rt, graphs.head(spec, W, { vocabChunk: chunk }), {
            hidden: f32(x, [B, T, spec.hiddenSize]),
            input_ids: i64(ids, [B, T]),
          });
          if (capped) {
            // compare against the unchunked head (the reference has no soft-cap)
            const whole = await runModel(rt, graphs.head(spec, W, { vocabChunk: spec.vocabSize }), {
              hidden: f32(x, [B, T, spec.hiddenSize]),
              input_ids: i64(ids, [B, T]),
            });
            expect(maxAbsDiff(out.nll.data as Float32Array, whole.nll.data as Float32Array)).toBeLessThan(1e-5);
            expect(Array.from(out.argmax.data as BigInt64Array)).toEqual(
              Array.from(whole.argmax.data as BigInt64Array),
            );
            return;
          }
          const nll = want.flatMap((w) => w.nll);
          expect(maxAbsDiff(out.nll.data as Float32Array, nll)).toBeLessThan(1e-5);
          expect(Array.from(out.argmax.data as BigInt64Array, Number)).toEqual(want.flatMap((w) => w.argmax));
        });
      }
    }
  });
}

describe('chunked LM head graph', () => {
  it('stores the head as ceil(V / chunk) row blocks and no tensor of vocabulary width', () => {
    const spec = tinySpec({ vocabSize: 37 });
    const W = randomWeights(spec, 2);
    const m = decodeModel(graphs.head(spec, W, { vocabChunk: 8 }));
    const inits = m.graph.initializers.map((t) => t.dims);
    // head weight rows: 8, 8, 8, 8, 5
    const headRows = inits.filter((d) => d.length === 2 && d[1] === spec.hiddenSize).map((d) => d[0]);
    expect(headRows).toEqual([8, 8, 8, 8, 5]);
    expect(inits.some((d) => d.includes(spec.vocabSize))).toBe(false);
  });

  it("ends every use of a chunk's logits in one node, so the runtime never holds two chunks' logits", () => {
    // onnxruntime orders nodes by a depth-first walk back from the outputs: without such a node it ran the
    // log-sum-exp chain through every chunk before the argmax and target-logit chains, holding [B,T,V].
    const spec = tinySpec({ vocabSize: 37 });
    const { nodes, outputs } = decodeModel(graphs.head(spec, randomWeights(spec, 2), { vocabChunk: 8 })).graph;
    const consumers = (v: string) => nodes.filter((n) => n.inputs.includes(v));
    /** Whether a graph output is reachable from value `v` without passing through node `skip`. */
    const reaches = (v: string, skip: unknown) => {
      const seen = new Set<string>();
      const todo = [v];
      while (todo.length) {
        const x = todo.pop() as string;
        if (outputs.some((o) => o.name === x)) return true;
        for (const n of consumers(x))
          if (n !== skip) for (const o of n.outputs) if (!seen.has(o) && seen.add(o)) todo.push(o);
      }
      return false;
    };
    for (const c0 of [0, 8, 16, 24, 32]) {
      const logits = nodes.filter((n) => n.name.startsWith(`nll.chunk${c0}/`)).at(-1)?.outputs[0] as string;
      expect(reaches(logits, null)).toBe(true);
      expect(nodes.filter((n) => !reaches(logits, n)).map((n) => n.opType)).toEqual(['Concat']);
    }
  });
});
