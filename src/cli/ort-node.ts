/**
 * onnxruntime-node as the engine's injected runtime: the only module that imports it. Used by the CLI,
 * the benchmarks and the tests. `--device` picks its execution provider: the CPU (always there), WebGPU
 * (Dawn, in the same package: any Vulkan, Metal or D3D12 GPU) or CUDA (only where the CUDA provider
 * library was installed beside the binding, which this project's install skips).
 */
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { BackendChoice, OrtLike } from '../engine/runtime/ort';
import { Engine, type EngineOptions } from '../engine/engine';
import { SettingsError } from '../engine/errors';

export const ortNode = ort as unknown as OrtLike;

export type NodeDevice = 'cpu' | 'webgpu' | 'cuda';
export const NODE_DEVICES: readonly NodeDevice[] = ['cpu', 'webgpu', 'cuda'];

const version = ort.env.versions?.node ?? '';
const LABEL: Record<NodeDevice, string> = { cpu: 'CPU', webgpu: 'WebGPU', cuda: 'CUDA' };

export const NODE_BACKEND: BackendChoice = backendFor('cpu');

/** The backend an engine on `device` reports (model.backend in --json names the provider). */
export function backendFor(device: NodeDevice): BackendChoice {
  return {
    name: device,
    detail: `onnxruntime-node ${version} (${LABEL[device]})`.replace('  ', ' '),
    keepOnDevice: false,
  };
}

/** Whether this onnxruntime-node can load its CUDA provider (libonnxruntime_providers_cuda beside the binding). */
export function hasCudaProvider(): boolean {
  try {
    const pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const dir = join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(dir) && readdirSync(dir).some((f) => /onnxruntime_providers_cuda/.test(f));
  } catch {
    return false;
  }
}

/** An Engine on onnxruntime-node's `device` execution provider (CPU by default). */
export function nodeEngine(opts: Partial<EngineOptions> = {}, device: NodeDevice = 'cpu'): Engine {
  if (device === 'cuda' && !hasCudaProvider())
    throw new SettingsError(
      `--device cuda: this onnxruntime-node ${version} has no CUDA provider (libonnxruntime_providers_cuda is not installed beside its binding; ` +
        'the CUDA libraries are fetched by its install script, which DropLab turns off). Use --device webgpu, which drives the same GPU through Vulkan, or --device cpu.',
      { device },
    );
  // No CPU memory arena: each of the 2L+3 sessions would keep its own (issue 13). Measured on a random
  // SmolLM2-135M shape (bench/scale-case.ts, fp32, 4 x 256 tokens, 2 threads): peak RSS 4.37 GB with
  // the arena, 1.35 GB without, analysis no slower without it on this machine (bench/results/scale.json).
  const sessionOptions = { enableCpuMemArena: false, ...opts.sessionOptions };
  return new Engine({
    ort: ortNode,
    backend: backendFor(device),
    executionProviders: [device],
    // Weights as in-memory external data (onnxruntime-node copies them at session creation): no serialized
    // copy of every graph's weights (bench/external-weights.ts: graph building 3.4-3.8 s -> 2.7 s of CPU on a
    // SmolLM2-135M shape, the same outputs).
    weightsApart: true,
    ...opts,
    sessionOptions,
  });
}

/** Set the number of intra-op threads for every session an engine creates. */
export function threads(n: number): Partial<EngineOptions> {
  return { sessionOptions: { intraOpNumThreads: n, interOpNumThreads: 1 } };
}
