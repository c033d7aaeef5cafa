/**
 * The exported KV-cache graphs on onnxruntime-node's native WebGPU EP (the kernels of
 * onnxruntime-web/webgpu, which transformers.js uses), against its CPU EP. Part of
 * `npm run test:webgpu-node` (SwiftShader: no shader-f16, which the fp16/q8/q4 files must not need).
 *   - every format gives the CPU EP's logits and greedy tokens (with the KV cache);
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
  KvDecoder,
  buildKvGraph,
  greedyGenerate,
  kvLayout,
} from '../../src/engine/export';
import { type TinyVariant, loadTinyModel } from '../fixtures/tiny-models';

async function compare(variant: TinyVariant, formats: readonly ExportFormat[]) {
  const m = await loadTinyModel(variant);
  const drop = { attn: [1], mlp: [0] };
  const layout = kvLayout(m.spec, drop);
  const prompt = m.tokenizer.encode('The whale swam');
  for (const f of formats) {
    const onnx = buildKvGraph(m.spec, m.weights, drop, f).build();
    const cpu = await KvDecoder.create(ortNode, onnx, layout, { executionProviders: ['cpu'] });
    const gpu = await KvDecoder.create(ortNode, onnx, layout, { executionProviders: ['webgpu'] });
    const a = await cpu.forward(prompt, cpu.emptyCache());
    const b = await gpu.forward(prompt, gpu.emptyCache());
    let d = 0;
    for (let i = 0; i < a.logits.length; i++) d = Math.max(d, Math.abs(a.logits[i] - b.logits[i]));
    console.log(`webgpu ${variant} ${f}: max |logit diff| ${d.toExponential(2)}`);
    expect(d, f).toBeLessThan(1e-3);
    expect(await greedyGenerate(gpu, prompt, 8), f).toEqual(await greedyGenerate(cpu, prompt, 8));
    await cpu.release();
    await gpu.release();
  }
}

describe('exported graphs on the native WebGPU EP = CPU EP', () => {
  it('llama (GQA, RoPE): every format, logits and greedy tokens with the cache', () =>
    compare('llama-gqa', EXPORT_FORMATS));
  it('gpt2 (learned positions, biases): q4', () => compare('gpt2', ['q4']));

  it.each(['q8', 'q4'])('%s: every MatMulNBits node and the embedding are placed on the WebGPU EP', (format) => {
    const root = join(__dirname, '../..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'tests/export/webgpu-placement.ts'), format], {
      cwd: root,
      env: process.env,
      encoding: 'utf8',
      timeout: 300_000,
    });
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
