/**
 * Prefill and decode speed of KV-cache decoders (kv-sessions.ts) at several context lengths.
 */
import type { SpeedPoint } from '../api';
import { CancelledError } from '../errors';
import { argmax, type KvCache, KvDecoder } from '../export';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function disposeCache(c: KvCache) {
  for (const t of Object.values(c.tensors)) t.dispose();
}

/** `n` tokens from `source`, repeated from its start when it is shorter. */
export function contextTokens(source: ArrayLike<number>, n: number): number[] {
  if (source.length === 0) throw new RangeError('no tokens to build a context from');
  return Array.from({ length: n }, (_, i) => source[i % source.length]);
}

/** One prefill of the context and `steps` single-token steps, each fed the previous step's cache. */
async function once(dec: KvDecoder, prompt: number[], steps: number, check: () => void) {
  const t0 = performance.now();
  const p = await dec.forward(prompt, dec.emptyCache(), { lastOnly: true });
  const t1 = performance.now();
  const kvBytes = KvDecoder.cacheBytes(p.cache);
  let cache = p.cache;
  let next = argmax(p.logits);
  try {
    check();
    const t2 = performance.now();
    for (let s = 0; s < steps; s++) {
      const o = await dec.forward([next], cache, { lastOnly: true });
      cache = o.cache;
      next = argmax(o.logits);
    }
    const t3 = performance.now();
    return { prefill: t1 - t0, decode: t3 - t2, kvBytes };
  } finally {
    disposeCache(cache);
  }
}

export interface SpeedOptions {
  contexts: number[];
  decodeSteps: number;
  reps: number;
  tokens: ArrayLike<number>;
  cancelled(): boolean;
  onProgress?(done: number, total: number): void;
}

/**
 * Prefill and decode tokens/s of each decoder at each context (bench/export-speed.ts's method, smaller):
 * per context, one warm-up then `reps` repetitions, the decoders interleaved within each repetition so
 * that load changes hit them alike; medians. The cache is fed back at every step.
 */
export async function measureDecoders(decs: KvDecoder[], o: SpeedOptions): Promise<SpeedPoint[][]> {
  const out: SpeedPoint[][] = decs.map(() => []);
  const total = o.contexts.length * (o.reps + 1) * decs.length;
  let done = 0;
  const check = () => {
    if (o.cancelled()) throw new CancelledError('Speed measurement cancelled.');
  };
  for (const context of o.contexts) {
    const prompt = contextTokens(o.tokens, context);
    const runs = decs.map(() => ({ prefill: [] as number[], decode: [] as number[], kvBytes: 0 }));
    for (let r = 0; r <= o.reps; r++) {
      for (let i = 0; i < decs.length; i++) {
        check();
        const x = await once(decs[i], prompt, o.decodeSteps, check);
        o.onProgress?.(++done, total);
        runs[i].kvBytes = x.kvBytes;
        if (r === 0) continue; // warm-up
        runs[i].prefill.push(x.prefill);
        runs[i].decode.push(x.decode);
      }
    }
    runs.forEach((x, i) => {
      const pf = median(x.prefill);
      const dc = median(x.decode);
      out[i].push({
        context,
        prefillTokensPerS: (context / pf) * 1000,
        decodeTokensPerS: (o.decodeSteps / dc) * 1000,
        prefillMs: pf,
        decodeMsPerToken: dc / o.decodeSteps,
        kvCacheBytes: x.kvBytes,
      });
    });
  }
  return out;
}
