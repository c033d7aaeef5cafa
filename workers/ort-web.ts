/**
 * The one importer of onnxruntime-web (docs/ARCHITECTURE.md rule 4): picks the backend, loads the
 * matching build and configures it, so there is one runtime instance and one place that sets wasm
 * paths, threads and WebGPU.
 *
 * - WebGPU when navigator.gpu.requestAdapter() gives a hardware adapter (and `?backend=wasm` does not
 *   force wasm): the native WebGPU build, `onnxruntime-web/webgpu`. The adapter is reported as is
 *   (vendor, architecture, description, isFallbackAdapter). A software fallback adapter (SwiftShader,
 *   what Chromium gives without a GPU) is used only with `?backend=webgpu`: it is correct but far slower
 *   than wasm (bench/results/browser.json). Without `shader-f16` the engine stays in fp32 (PLATFORM.md).
 * - Otherwise the plain wasm build, `onnxruntime-web/wasm`, with the reason WebGPU is not used.
 * - The .mjs/.wasm files come from this app's own bundle (Vite `?url` imports), never from a CDN.
 * - Threads: half the cores (at most 4) when cross-origin isolated (SharedArrayBuffer), else 1.
 */
import type { BackendChoice, OrtLike } from '../src/engine/runtime/ort';
import { WASM32_BYTES } from '../src/engine/model/admission';
import type { LosableDevice } from './device-watch';
import type { AdapterReport, BackendReport } from '../src/engine/api';
import wasmMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import asyncifyMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import asyncifyWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

export interface ProbeResult {
  report: BackendReport;
  adapter: GPUAdapter | null;
}

/**
 * onnxruntime-web's own default: half the cores, at most 4. ORT's wasm threads spin while they wait, so
 * taking every core starves the page's main thread (long tasks of seconds on a 2-core machine).
 */
export function wasmThreads(): number {
  const cores = self.navigator.hardwareConcurrency ?? 1;
  return self.crossOriginIsolated ? Math.max(1, Math.min(4, Math.ceil(cores / 2))) : 1;
}

function adapterReport(adapter: GPUAdapter): AdapterReport {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacy = adapter as GPUAdapter & { isFallbackAdapter?: boolean };
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter ?? legacy.isFallbackAdapter ?? null,
    features: [...adapter.features].sort(),
    maxBufferSize: adapter.limits.maxBufferSize,
  };
}

/** Which backend this worker gets, and why (`preference`: the page's `?backend=`). */
export async function probeBackend(preference: 'auto' | 'wasm' | 'webgpu'): Promise<ProbeResult> {
  const common = { crossOriginIsolated: self.crossOriginIsolated, threads: wasmThreads() };
  const asked = preference === 'webgpu' ? '?backend=webgpu asks for WebGPU, but ' : '';
  const wasm = (reason: string): ProbeResult => ({ report: { backend: 'wasm', reason, ...common }, adapter: null });
  if (preference === 'wasm') return wasm('WebGPU is switched off by ?backend=wasm.');
  const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return wasm(`${asked}WebGPU is not available in this browser (no navigator.gpu in workers).`);
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return wasm(`${asked}requestAdapter() failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!adapter) return wasm(`${asked}requestAdapter() returned no adapter (no usable GPU, or WebGPU is blocked).`);
  const report = adapterReport(adapter);
  if (report.isFallbackAdapter && preference === 'auto')
    return wasm(
      `The WebGPU adapter is a software fallback (${[report.vendor, report.architecture].filter(Boolean).join(' ') || 'unnamed'}), far slower than wasm; ?backend=webgpu uses it anyway.`,
    );
  return { report: { backend: 'webgpu', adapter: report, ...common }, adapter };
}

export interface LoadedRuntime {
  ort: OrtLike;
  backend: BackendChoice;
  executionProviders: string[];
  /**
   * WebGPU: the device the sessions run on (once a session exists), to watch for its loss. ORT types
   * `env.webgpu.device` as a promise; the native WebGPU build returns the device itself.
   */
  device?: () => Promise<LosableDevice | undefined> | LosableDevice | undefined;
}

function adapterName(a: AdapterReport): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || a.description || 'unknown adapter';
  return `${name}${a.description && !name.includes(a.description) ? ` (${a.description})` : ''}${a.isFallbackAdapter ? ', fallback adapter' : ''}`;
}

/** Import and configure the onnxruntime-web build for the probed backend. */
export async function loadRuntime(probe: ProbeResult): Promise<LoadedRuntime> {
  const { report } = probe;
  if (report.backend === 'webgpu') {
    const ort = await import('onnxruntime-web/webgpu');
    ort.env.wasm.wasmPaths = { mjs: asyncifyMjsUrl, wasm: asyncifyWasmUrl };
    ort.env.wasm.numThreads = report.threads;
    ort.env.wasm.proxy = false;
    if (probe.adapter) ort.env.webgpu.adapter = probe.adapter;
    const f16 = report.adapter.features.includes('shader-f16');
    return {
      ort: ort as unknown as OrtLike,
      backend: {
        name: 'webgpu',
        detail: `${adapterName(report.adapter)}${f16 ? '' : '; no shader-f16, fp32 only'}`,
        keepOnDevice: true,
      },
      executionProviders: ['webgpu'],
      device: () => ort.env.webgpu.device as unknown as Promise<LosableDevice | undefined> | LosableDevice | undefined,
    };
  }
  const ort = await import('onnxruntime-web/wasm');
  ort.env.wasm.wasmPaths = { mjs: wasmMjsUrl, wasm: wasmUrl };
  ort.env.wasm.numThreads = report.threads;
  ort.env.wasm.proxy = false;
  return {
    ort: ort as unknown as OrtLike,
    backend: {
      name: 'wasm',
      detail: `${report.reason} ${report.threads} thread${report.threads === 1 ? '' : 's'}.`,
      keepOnDevice: false,
    },
    executionProviders: ['wasm'],
  };
}

/**
 * Memory limits for the engine: the adapter's largest buffer on WebGPU, and a total budget of half the
 * machine's memory (navigator.deviceMemory; 8 GiB assumed when the browser does not say), at most 4 GiB:
 * wasm32's address space on wasm (onnxruntime-web ships no Memory64 build; admission also applies it),
 * and the worker's cap on WebGPU. Admission holds its predicted peak of the whole engine to it (on wasm
 * with onnxruntime-web's extra, model/admission.ts), checked against the peaks Chromium was measured to
 * reach (bench/results/browser-scale.json): the Qwen2.5-0.5B shape runs on wasm at fp16, q8 and q4.
 */
export function deviceLimits(probe: ProbeResult): { maxBufferBytes?: number; maxTotalBytes: number } {
  const deviceMemory = (self.navigator as Navigator & { deviceMemory?: number }).deviceMemory;
  const byRam = deviceMemory ? (deviceMemory * 2 ** 30) / 2 : 4 * 2 ** 30;
  const maxTotalBytes = Math.min(byRam, WASM32_BYTES);
  if (probe.report.backend === 'webgpu') return { maxBufferBytes: probe.report.adapter.maxBufferSize, maxTotalBytes };
  return { maxTotalBytes };
}
