/**
 * The exported KV-cache graphs on onnxruntime-node's native WebGPU EP (the kernels of
 * onnxruntime-web/webgpu, which transformers.js uses), against its CPU EP. Part of
 * `npm run test:webgpu-node` (SwiftShader: no shader-f16, which the fp16/q8/q4 files must not need).
 *   - every format gives the logits and greedy tokens (with the KV cache) of the float32 graph of the
 *     weights it stores (dequantized / float16-rounded) on the CPU EP: to 1e-3 of the logit scale (what fp32 itself differs by) where
 *     the float kernels run (tiny llama), to 1% where MatMulNBits takes WebGPU's DP4A kernel (at
 *     accuracy_level 4 it quantizes activations to int8 when K is a multiple of 128: GPT-2's MLP down);
 *   - q8 and q4 run natively: onnxruntime places every MatMulNBits node (4 and 8 bits) and the
 *     embedding on the WebGPU EP. (The few nodes it keeps on the CPU are the int64/bool mask and shape
 *     ops, Range/Less/Equal/Or/Gather of shapes, which it always places there.)
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ortNode } from '../../src/cli/ort-node';
import {
  EXPORT_FORMATS,
  type ExportFormat,
  HEAD_BITS,
  KvDecoder,
  QUANT_BLOCK,
  buildKvGraph,
  greedyGenerate,
  kvLayout,
} from '../../src/engine/export';
import { dequantizeBlockwise, quantizeBlockwise, toFloat16 } from '../../src/engine/export/quant';
import { f16BitsToFloat } from '../../src/engine/model/safetensors';
import type { Linear, ModelWeights, Param } from '../../src/engine/model/spec';
import { type TinyVariant, loadTinyModel } from '../fixtures/tiny-models';

/**
 * The weights a format stands for, as float32: linears (and for q8/q4 the 8-bit LM head) quantized and
 * dequantized, float16 tables rounded. An fp32 graph of these on the CPU EP is the exact reference of
 * what a float kernel must compute from the quantized file.
 */
function weightsAsStored(w: ModelWeights, format: ExportFormat): ModelWeights {
  if (format === 'fp32') return w;
  const f16 = (p: Param): Param => ({
    shape: p.shape,
    load: () => Float32Array.from(toFloat16(p.load()), f16BitsToFloat),
  });
  const q = (p: Param, bits: 4 | 8): Param => ({
    shape: p.shape,
    load: () => dequantizeBlockwise(quantizeBlockwise(p.load(), p.shape[0], p.shape[1], bits, QUANT_BLOCK)),
  });
  const lin = (l: Linear | null): Linear | null =>
    l && { weight: format === 'fp16' ? f16(l.weight) : q(l.weight, format === 'q4' ? 4 : 8), bias: l.bias };
  const head = format === 'fp16' ? f16(w.lmHead) : q(w.lmHead, HEAD_BITS);
  return {
    embed: f16(w.embed),
    posEmbed: w.posEmbed && f16(w.posEmbed),
    finalNorm: w.finalNorm,
    lmHead: w.lmHead === w.embed && format === 'fp16' ? f16(w.embed) : head,
    layers: w.layers.map((l) => ({
      ...l,
      q: lin(l.q) as Linear,
      k: lin(l.k) as Linear,
      v: lin(l.v) as Linear,
      o: lin(l.o) as Linear,
      gate: lin(l.gate),
      up: lin(l.up) as Linear,
      down: lin(l.down) as Linear,
    })),
  };
}

async function compare(variant: TinyVariant, formats: readonly ExportFormat[], relTol: number) {
  const m = await loadTinyModel(variant);
  const drop = { attn: [1], mlp: [0] };
  const layout = kvLayout(m.spec, drop);
  const prompt = m.tokenizer.encode('The whale swam');
  for (const f of formats) {
    const onnx = buildKvGraph(m.spec, m.weights, drop, f).build();
    const cpu = await KvDecoder.create(
      ortNode,
      buildKvGraph(m.spec, weightsAsStored(m.weights, f), drop, 'fp32').build(),
      layout,
      {
        executionProviders: ['cpu'],
      },
    );
    const gpu = await KvDecoder.create(ortNode, onnx, layout, { executionProviders: ['webgpu'] });
    const a = await cpu.forward(prompt, cpu.emptyCache());
    const b = await gpu.forward(prompt, gpu.emptyCache());
    let d = 0;
    let scale = 0;
    for (let i = 0; i < a.logits.length; i++) {
      d = Math.max(d, Math.abs(a.logits[i] - b.logits[i]));
      scale = Math.max(scale, Math.abs(a.logits[i]));
    }
    const g1 = await greedyGenerate(gpu, prompt, 8);
    const g2 = await greedyGenerate(cpu, prompt, 8);
    console.log(
      `webgpu ${variant} ${f}: max |logit diff| ${d.toExponential(2)} (max |logit| ${scale.toFixed(2)}), greedy ${g1.join(',')} vs ${g2.join(',')}`,
    );
    expect(d / scale, f).toBeLessThan(relTol);
    expect(g1, f).toEqual(g2);
    await cpu.release();
    await gpu.release();
  }
}

describe('exported graphs on the native WebGPU EP = CPU EP', () => {
  it('llama (GQA, RoPE): every format, logits and greedy tokens with the cache', () =>
    compare('llama-gqa', EXPORT_FORMATS, 1e-3));
  it('gpt2 (learned positions, biases): q4', () => compare('gpt2', ['q4'], 1e-2));
  it('phi3 with LongRoPE (short, then long factors past 8 tokens), partial rotary, tied: fp32', () =>
    compare('phi4-longrope', ['fp32'], 1e-3));
  // (baichuan2's graph is llama's, its NormHead done at load; its 125696-row head takes over a minute on SwiftShader)
  it('image-text gemma3 (its language model): fp32', () => compare('gemma3-mm', ['fp32'], 1e-3));

  it.each(['q8', 'q4'])('%s: every MatMulNBits node and the embedding are placed on the WebGPU EP', (format) => {
    const root = join(__dirname, '../..');
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(root, 'tests/engine/export/webgpu-placement.ts'), format],
      {
        cwd: root,
        env: process.env,
        encoding: 'utf8',
        timeout: 300_000,
      },
    );
    const log = `${r.stdout}\n${r.stderr}`;
    expect(log, log.slice(-2000)).toContain(`RAN ${format}`);
    // "Node(s) placed on [EP]. Number of nodes: n" followed by "  OpType (name)" lines
    const placed = new Map<string, string>();
    let ep = '';
    for (const line of log.split('\n')) {
      const head = line.match(/Node\(s\) placed on \[(\w+)\]/);
      if (head) ep = head[1];
      else {
        const node = line.match(/VerifyEachNodeIsAssignedToAnEp\]\s+(\w+) \((.+)\)\s*$/);
        if (node && ep) placed.set(node[2], `${node[1]}@${ep}`);
      }
    }
    const nbits = [...placed].filter(([, v]) => v.startsWith('MatMulNBits@'));
    expect(nbits.length).toBeGreaterThanOrEqual(8); // q, k, v, o x kept attention + MLPs + lm_head
    for (const [name, v] of nbits) expect(v, name).toBe('MatMulNBits@WebGpuExecutionProvider');
    expect(placed.get('embed/Gather_node_0')).toBe('Gather@WebGpuExecutionProvider');
  });
});
