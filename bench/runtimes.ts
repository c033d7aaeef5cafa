/**
 * The runtimes the benchmark compares, as the engine sees them (OrtLike), plus a profiling wrapper that
 * times every session run by what the session is (embedding, attention l, MLP l, head, cosine).
 *
 * onnxruntime-web's wasm backend in Node comes from tests/support/runtimes.ts (the one module besides the
 * worker's that may import the package); the CLI's runtime from src/cli/ort-node.ts.
 */
import { NODE_BACKEND, ortNode } from '../src/cli/ort-node';
import type { BackendChoice, OrtLike, OrtSession, OrtSessionOptions } from '../src/engine/runtime/ort';
import { RUNTIMES } from '../tests/support/runtimes';

interface OrtWebEnv {
  env: { wasm: { numThreads?: number }; logLevel?: string; versions?: Record<string, string> };
}
const ortWebRuntime = RUNTIMES.find((r) => r.ep === 'wasm');
if (!ortWebRuntime) throw new Error('tests/support/runtimes.ts lists no wasm runtime');
const ortWeb = ortWebRuntime.ort as OrtLike & OrtWebEnv;

export interface BenchRuntime {
  id: 'node' | 'wasm';
  label: string;
  ort: OrtLike;
  executionProviders: string[];
  backend: BackendChoice;
  sessionOptions: OrtSessionOptions;
  threads: number;
}

export function nodeRuntime(threads: number): BenchRuntime {
  return {
    id: 'node',
    label: `onnxruntime-node CPU EP, ${threads} thread${threads === 1 ? '' : 's'}`,
    ort: ortNode,
    executionProviders: ['cpu'],
    backend: NODE_BACKEND,
    sessionOptions: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    threads,
  };
}

export function wasmRuntime(threads: number): BenchRuntime {
  ortWeb.env.wasm.numThreads = threads;
  ortWeb.env.logLevel = 'error';
  return {
    id: 'wasm',
    label: `onnxruntime-web wasm in Node, ${threads} thread${threads === 1 ? '' : 's'}`,
    ort: ortWeb,
    executionProviders: ['wasm'],
    backend: { name: 'wasm', detail: 'onnxruntime-web wasm in Node', keepOnDevice: false },
    sessionOptions: {},
    threads,
  };
}

export const ORT_VERSIONS = {
  'onnxruntime-node': (ortNode as unknown as { env: { versions?: Record<string, string> } }).env.versions?.node ?? '?',
  'onnxruntime-web': ortWeb.env.versions?.web ?? '?',
};

/** Process CPU time in ms (user + system, every thread). */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Wall and CPU milliseconds of session runs, by label, while `on`. */
export class RunProfile {
  on = false;
  private wall = new Map<string, number>();
  private cpu = new Map<string, number>();

  add(label: string, wallMs: number, cpu: number): void {
    if (!this.on) return;
    this.wall.set(label, (this.wall.get(label) ?? 0) + wallMs);
    this.cpu.set(label, (this.cpu.get(label) ?? 0) + cpu);
  }

  /** Start a fresh measurement. */
  start(): void {
    this.wall.clear();
    this.cpu.clear();
    this.on = true;
  }

  stop(): { wall: Map<string, number>; cpu: Map<string, number> } {
    this.on = false;
    return { wall: new Map(this.wall), cpu: new Map(this.cpu) };
  }
}

/**
 * `rt.ort` with every session run timed into `profile`, labelled by creation order as the Engine creates
 * them: embedding, then attention/MLP of each layer, then the head, then the cosine graph.
 */
export function profiledOrt(ort: OrtLike, profile: RunProfile, numLayers: number): OrtLike {
  let n = 0;
  const labelOf = (i: number): string => {
    if (i === 0) return 'embed';
    if (i <= 2 * numLayers) return `${(i - 1) % 2 === 0 ? 'attn' : 'mlp'}.${(i - 1) >> 1}`;
    if (i === 2 * numLayers + 1) return 'head';
    if (i === 2 * numLayers + 2) return 'cosine';
    return `other.${i}`;
  };
  return {
    Tensor: ort.Tensor,
    InferenceSession: {
      create: async (bytes: Uint8Array, o?: OrtSessionOptions): Promise<OrtSession> => {
        const s = await ort.InferenceSession.create(bytes, o);
        const label = labelOf(n++);
        return {
          inputNames: s.inputNames,
          outputNames: s.outputNames,
          run: async (feeds, fetches) => {
            const c0 = cpuMs();
            const t0 = performance.now();
            const r = await s.run(feeds, fetches);
            profile.add(label, performance.now() - t0, cpuMs() - c0);
            return r;
          },
          release: () => s.release(),
        };
      },
    },
  };
}
