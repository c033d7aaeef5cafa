/**
 * Child-process helper of tests/webgpu-node/export.test.ts: creates a session of an exported graph on
 * onnxruntime-node's WebGPU EP with verbose logging, so that onnxruntime prints its node placements
 * ("Node(s) placed on [WebGpuExecutionProvider]" ...) to the process output, and runs it once.
 *
 *   node --import tsx tests/engine/export/webgpu-placement.ts <format>
 */
import { ortNode } from '../../../src/cli/ort-node';
import { type ExportFormat, KvDecoder, buildKvGraph, kvLayout } from '../../../src/engine/export';
import { loadTinyModel } from '../../fixtures/tiny-models';

const format = (process.argv[2] ?? 'q4') as ExportFormat;
const m = await loadTinyModel('llama-gqa');
const drop = { attn: [1], mlp: [0] };
const dec = await KvDecoder.create(
  ortNode,
  buildKvGraph(m.spec, m.weights, drop, format).build(),
  kvLayout(m.spec, drop),
  {
    executionProviders: ['webgpu'],
    logSeverityLevel: 0,
    logVerbosityLevel: 0,
  },
);
const r = await dec.forward([1, 2, 3], dec.emptyCache());
console.log(`RAN ${format} ${r.logits.length}`);
await dec.release();
