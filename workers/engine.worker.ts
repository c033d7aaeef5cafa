/**
 * The engine worker. For now it only answers `ping()`: which backend the engine would run on here.
 * WebGPU is probed inside the worker (that is where the engine runs) and the adapter it gets is reported
 * as is, so a fallback adapter such as SwiftShader is visible rather than silently used.
 * Later this module exposes the full EngineApi (src/engine/api.ts) through comlink.
 */
import * as Comlink from 'comlink';

export interface GpuAdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** From GPUAdapterInfo.isFallbackAdapter (newer) or GPUAdapter.isFallbackAdapter (older); null if neither. */
  isFallbackAdapter: boolean | null;
  features: string[];
  maxBufferSize: number;
}

export type PingResult =
  | { backend: 'webgpu'; adapter: GpuAdapterReport; crossOriginIsolated: boolean; threads: number }
  | { backend: 'wasm'; reason: string; crossOriginIsolated: boolean; threads: number };

async function probeWebGpu(): Promise<{ adapter: GpuAdapterReport } | { reason: string }> {
  const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { reason: 'WebGPU is not available in this browser (navigator.gpu is missing in workers).' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return { reason: `requestAdapter() failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!adapter) return { reason: 'requestAdapter() returned no adapter (no usable GPU, or WebGPU is blocked).' };
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacy = adapter as GPUAdapter & { isFallbackAdapter?: boolean };
  return {
    adapter: {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: info.isFallbackAdapter ?? legacy.isFallbackAdapter ?? null,
      features: [...adapter.features].sort(),
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  };
}

const api = {
  async ping(): Promise<PingResult> {
    const common = { crossOriginIsolated: self.crossOriginIsolated, threads: self.navigator.hardwareConcurrency ?? 1 };
    const probe = await probeWebGpu();
    return 'adapter' in probe
      ? { backend: 'webgpu', adapter: probe.adapter, ...common }
      : { backend: 'wasm', reason: probe.reason, ...common };
  },
};

export type EngineWorkerApi = typeof api;

Comlink.expose(api);
