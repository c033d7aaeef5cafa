/**
 * The sublayer and monolithic graphs on onnxruntime-node's native WebGPU EP (the same WebGPU
 * kernels as onnxruntime-web/webgpu), compared with its CPU EP. Needs a Vulkan device; without a GPU,
 * SwiftShader from Debian's chromium works:
 *
 *   npm run test:webgpu-node   (sets VK_ICD_FILENAMES / LD_LIBRARY_PATH for that process only)
 *
 * Part of `npm test`; the main Vitest run excludes this folder (see vitest.config.ts).
 */
import { describe, expect, it } from 'vitest';
import { ortNode } from '../../src/cli/ort-node';
import { monolithic } from '../../src/engine/graphs/monolithic';
import * as graphs from '../../src/engine/graphs/sublayers';
import { type Feed, type Fetched, type Runtime, i64, maxAbsDiff, record, runModel } from '../support/runtimes';
import { randomIds, randomWeights, tinyGpt2Spec, tinySpec } from '../engine/graphs/random-weights';

const ort = ortNode;
const CPU: Runtime = { name: 'node cpu', ort, ep: 'cpu' };
const GPU: Runtime = { name: 'node webgpu', ort, ep: 'webgpu' };
const asFeed = (f: Fetched): Feed => ({ type: 'float32', data: f.data as Float32Array, dims: f.dims });

describe('graphs on the native WebGPU EP = CPU EP', () => {
  const specs = [tinySpec(), tinyGpt2Spec(), tinySpec({ numKvHeads: 1, qkvBias: true })];
  for (const spec of specs) {
    it(`${spec.family} H=${spec.numHeads} Hkv=${spec.numKvHeads}`, async () => {
      const W = randomWeights(spec, 101);
      const B = 2;
      const T = 33;
      const ids = i64(randomIds(spec, B, T, 5), [B, T]);
      const res: Record<string, Record<string, ArrayLike<number | bigint>>> = {};
      for (const rt of [CPU, GPU]) {
        const r: Record<string, ArrayLike<number | bigint>> = {};
        let h = (await runModel(rt, graphs.embedding(spec, W, { maxLength: 64 }), { input_ids: ids })).hidden;
        for (let l = 0; l < spec.numLayers; l++) {
          for (const [kind, build] of [
            ['attn', graphs.attention],
            ['mlp', graphs.mlp],
          ] as const) {
            const o = await runModel(rt, build(spec, W, l, { maxLength: 64 }), { hidden: asFeed(h) });
            h = o.hidden_out;
            r[`${kind}${l}.cos`] = o.cos.data as Float32Array;
            r[`${kind}${l}.cos_nonorm`] = o.cos_nonorm.data as Float32Array;
          }
        }
        r.hidden = h.data as Float32Array;
        const hd = await runModel(rt, graphs.head(spec, W), { hidden: asFeed(h), input_ids: ids });
        r.nll = hd.nll.data as Float32Array;
        r.argmax = hd.argmax.data as BigInt64Array;
        const mono = await runModel(rt, monolithic(spec, W, { attn: [1], mlp: [0] }, { maxLength: 64 }), {
          input_ids: ids,
        });
        r.monoNll = mono.nll.data as Float32Array;
        res[rt.ep] = r;
      }
      for (const k of Object.keys(res.cpu))
        expect(record(`webgpu-node ${k}`, maxAbsDiff(res.cpu[k], res.webgpu[k])), k).toBeLessThan(1e-4);
    });
  }
});
