/**
 * The header badge in plain words: where the model runs (GPU or CPU) and, briefly, why; the full
 * technical report (adapter, the engine's own reason, threads, cross-origin isolation) goes in the title.
 */
import type { BackendReport } from '../../engine/api';

export interface BadgeWords {
  /** Short visible text. */
  text: string;
  /** Everything else, for the tooltip. */
  title: string;
  tone: 'ok' | 'warn';
}

/** Why the engine runs on the CPU, in a few plain words (from the worker's reason). */
export function cpuWhy(reason: string): string {
  if (/\?backend=wasm/.test(reason) && /switched off/i.test(reason)) return 'as the address asks';
  if (/software fallback/i.test(reason)) return 'faster than the software GPU';
  return 'no usable GPU in this browser';
}

export function backendWords(r: BackendReport): BadgeWords {
  const isolation = r.crossOriginIsolated
    ? 'Cross-origin isolated: yes (several threads possible).'
    : 'Cross-origin isolated: no, so one thread only (the server must send COOP/COEP headers).';
  if (r.backend === 'webgpu') {
    const a = r.adapter;
    const name = [a.vendor, a.architecture].filter(Boolean).join(' ') || a.description || 'unknown adapter';
    return {
      text: `Runs on the GPU · ${name}${a.isFallbackAdapter ? ' (software)' : ''}`,
      title: [
        `Runs on the GPU through WebGPU. Adapter: ${a.description || name}${a.isFallbackAdapter ? ' (fallback adapter: a software GPU, slow)' : ''}.`,
        a.features.includes('shader-f16') ? 'shader-f16: yes.' : 'No shader-f16: fp32 only.',
        isolation,
      ].join('\n'),
      tone: 'ok',
    };
  }
  const threads = `${r.threads} thread${r.threads === 1 ? '' : 's'}`;
  return {
    text: `Runs on the CPU · ${threads} · ${cpuWhy(r.reason)}`,
    title: [`Runs on the CPU through WebAssembly (onnxruntime-web), ${threads}.`, `Why: ${r.reason}`, isolation].join(
      '\n',
    ),
    // Orange only for a real problem: without cross-origin isolation onnxruntime-web cannot use threads.
    // (One thread on a 2-core machine is onnxruntime-web's own choice: half the cores.)
    tone: r.crossOriginIsolated ? 'ok' : 'warn',
  };
}
