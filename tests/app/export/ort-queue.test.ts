/**
 * The worker's run queue (workers/ort-queue.ts): never two runs at once, foreground before background,
 * background held during an exclusive section, and a macrotask turn before each run so that messages
 * (a cancel) get in between runs that resolve through microtasks only.
 */
import { describe, expect, it } from 'vitest';
import type { OrtLike, OrtSession, OrtTensor } from '../../../src/engine/runtime/ort';
import { createRunQueue, macrotask } from '../../../workers/ort-queue';

/** A runtime whose runs resolve through microtasks only (as onnxruntime-web's wasm runs do) and log. */
function fakeOrt(log: string[]) {
  let active = 0;
  let overlaps = 0;
  const ort: OrtLike = {
    Tensor: class {} as unknown as OrtLike['Tensor'],
    InferenceSession: {
      async create(model: Uint8Array) {
        const name = new TextDecoder().decode(model);
        const s: OrtSession = {
          inputNames: ['x'],
          outputNames: ['y'],
          async run() {
            active++;
            if (active > 1) overlaps++;
            log.push(name);
            for (let i = 0; i < 3; i++) await Promise.resolve();
            active--;
            return {} as Record<string, OrtTensor>;
          },
          async release() {},
        };
        return s;
      },
    },
  };
  return { ort, overlaps: () => overlaps };
}

const enc = (s: string) => new TextEncoder().encode(s);

describe('run queue', () => {
  it('one run at a time; foreground first; background held while exclusive', async () => {
    const log: string[] = [];
    const f = fakeOrt(log);
    const q = createRunQueue(f.ort);
    const bg = await q.background.InferenceSession.create(enc('bg'));
    const fg = await q.foreground.InferenceSession.create(enc('fg'));
    expect(bg.inputNames).toEqual(['x']);
    // Both lanes busy at once: never overlapping; once both are queued, foreground goes first.
    await Promise.all([bg.run({}), bg.run({}), fg.run({}), fg.run({})]);
    expect(f.overlaps()).toBe(0);
    expect(log.slice(0, 2)).toEqual(['fg', 'fg']);

    log.length = 0;
    const bgDone: Promise<unknown>[] = [];
    await q.exclusive(async () => {
      for (let i = 0; i < 3; i++) bgDone.push(bg.run({}));
      for (let i = 0; i < 4; i++) await fg.run({});
      expect(log).toEqual(['fg', 'fg', 'fg', 'fg']); // the engine waits
    });
    await Promise.all(bgDone);
    expect(log).toEqual(['fg', 'fg', 'fg', 'fg', 'bg', 'bg', 'bg']);
    expect(f.overlaps()).toBe(0);
  });

  it('a message posted during a loop of runs is handled between runs (Stop works)', async () => {
    const f = fakeOrt([]);
    const q = createRunQueue(f.ort);
    const s = await q.foreground.InferenceSession.create(enc('fg'));
    let stop = false;
    setTimeout(() => {
      stop = true;
    }, 5);
    let runs = 0;
    const t0 = performance.now();
    while (!stop && performance.now() - t0 < 5000) {
      await s.run({});
      runs++;
    }
    expect(stop).toBe(true);
    expect(runs).toBeGreaterThan(0);
  });

  it('errors reach the caller and the queue goes on', async () => {
    const ort: OrtLike = {
      Tensor: class {} as unknown as OrtLike['Tensor'],
      InferenceSession: {
        async create() {
          let n = 0;
          return {
            inputNames: [],
            outputNames: [],
            async run() {
              if (n++ === 0) throw new Error('boom');
              return {};
            },
            async release() {},
          } as OrtSession;
        },
      },
    };
    const q = createRunQueue(ort);
    const s = await q.background.InferenceSession.create(enc('x'));
    await expect(s.run({})).rejects.toThrow('boom');
    await expect(s.run({})).resolves.toEqual({});
    await macrotask();
  });
});
