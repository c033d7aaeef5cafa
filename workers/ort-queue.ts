/**
 * One session run at a time across the whole worker, with a foreground lane.
 *
 * - onnxruntime-web's wasm backend does not take a second run (of any session) while one is in flight:
 *   it fails with "memory access out of bounds" or hangs. The Engine runs one call at a time, but the
 *   generation and speed panels (src/engine/model-tasks.ts) run their own KV-cache sessions beside it. So the
 *   worker wraps the runtime once: session creation, runs and releases of both queue behind each other.
 * - Foreground (generation, speed) goes before background (the Engine's analyses), and `exclusive(fn)`
 *   holds the background back while fn runs: a generation is not slowed by a drop-one sweep, and a speed
 *   measurement times the model alone. A background run already started finishes first.
 * - Before each task the queue yields to the host's event loop (a macrotask): onnxruntime-web's wasm runs
 *   resolve through microtasks only, so without it a cancel message (Stop, or a newer drop change) would
 *   wait until a whole generation or analysis had ended.
 */
import type { OrtLike, OrtSession } from '../src/engine/runtime/ort';

export interface RunQueue {
  /** For the Engine: its work waits while a foreground task is queued or an exclusive section runs. */
  background: OrtLike;
  /** For the generation and speed panels. */
  foreground: OrtLike;
  /** Run `fn` with background work held back (one already running finishes first). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

/** A macrotask turn: MessageChannel (no 4 ms clamp as nested setTimeout has), else setTimeout. */
export function macrotask(): Promise<void> {
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(0);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export function createRunQueue(ort: OrtLike, opts: { yieldToHost?: () => Promise<void> } = {}): RunQueue {
  const yieldToHost = opts.yieldToHost ?? macrotask;
  const lanes = { fg: [] as (() => Promise<void>)[], bg: [] as (() => Promise<void>)[] };
  let running = false;
  let holds = 0;

  const pump = async (): Promise<void> => {
    if (running) return;
    running = true;
    let next: (() => Promise<void>) | undefined;
    try {
      await yieldToHost();
      next = lanes.fg.shift() ?? (holds === 0 ? lanes.bg.shift() : undefined);
      if (next) await next();
    } finally {
      running = false;
    }
    if (next || lanes.fg.length || (holds === 0 && lanes.bg.length)) void pump();
  };

  const enqueue = <T>(lane: 'fg' | 'bg', fn: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      lanes[lane].push(async () => {
        try {
          resolve(await fn());
        } catch (e) {
          reject(e);
        }
      });
      void pump();
    });

  const lane = (which: 'fg' | 'bg'): OrtLike => {
    const wrap = (s: OrtSession): OrtSession => ({
      get inputNames() {
        return s.inputNames;
      },
      get outputNames() {
        return s.outputNames;
      },
      run: (feeds, fetches) => enqueue(which, () => (fetches ? s.run(feeds, fetches) : s.run(feeds))),
      release: () => enqueue(which, () => s.release()),
    });
    return {
      Tensor: ort.Tensor,
      InferenceSession: {
        create: (model, options) => enqueue(which, () => ort.InferenceSession.create(model, options)).then(wrap),
      },
    };
  };

  return {
    background: lane('bg'),
    foreground: lane('fg'),
    async exclusive(fn) {
      holds++;
      try {
        return await fn();
      } finally {
        holds--;
        if (holds === 0) void pump();
      }
    },
  };
}
