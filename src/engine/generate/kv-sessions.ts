/**
 * The workbench's generation and speed measurements on the exported KV-cache graph (src/engine/export):
 * the full model and the pruned one (the current drops), each as the fp32 `onnx/model.onnx` the export
 * writes, run with the export's own decoding loop (greedyGenerate / KvDecoder) on the injected runtime.
 *
 * Host-agnostic (no DOM, no worker globals): the worker (workers/export-api.ts) passes onnxruntime-web,
 * the Node tests onnxruntime-node.
 */
import type { DropConfig } from '../src/engine/api';
import { CancelledError } from '../src/engine/errors';
import { argmax, buildKvGraph, greedyGenerate, type KvCache, KvDecoder, KV_IO, kvLayout } from '../src/engine/export';
import type { LoadedModel } from '../src/engine/model/load';
import type { OrtLike, OrtSession, OrtSessionOptions } from '../src/engine/runtime/ort';
import type { Tokenizer } from '../src/engine/tokenizer';
import type {
  GenerateEvent,
  GenerateRequest,
  GenerationModel,
  GenerationRun,
  GenerationStop,
  SpeedPoint,
} from './protocol';
import { mulberry32 } from '../src/engine/random';

export const NO_DROP: DropConfig = { attn: [], mlp: [] };
const dropKey = (d: DropConfig) => `${d.attn.join(',')}|${d.mlp.join(',')}`;

/** A decoder whose session runs are timed (sum of run times, ms). */
export interface TimedDecoder {
  dec: KvDecoder;
  /** Milliseconds spent inside session.run since the last reset. */
  runMs(): number;
  reset(): void;
}

/**
 * Session runs of every decoder made here go one at a time, in call order, so that each timing covers
 * one model's run alone (and onnxruntime-web's wasm backend never gets two runs at once: ort-queue.ts
 * does that for the whole worker).
 */
let runQueue: Promise<unknown> = Promise.resolve();

function timed(dec: KvDecoder): TimedDecoder {
  let ms = 0;
  const inner = dec.session;
  const session: OrtSession = {
    inputNames: inner.inputNames,
    outputNames: inner.outputNames,
    run: (feeds) => {
      const run = async () => {
        const t = performance.now();
        try {
          return await inner.run(feeds);
        } finally {
          ms += performance.now() - t;
        }
      };
      const p = runQueue.then(run, run);
      runQueue = p.catch(() => undefined);
      return p;
    },
    release: () => inner.release(),
  };
  return {
    dec: new KvDecoder(dec.ort, session, dec.layout),
    runMs: () => ms,
    reset: () => {
      ms = 0;
    },
  };
}

/**
 * KV-cache sessions of one loaded model, by drop configuration: the fp32 graph built and compiled once
 * per configuration. Keeps the full model and the most recent pruned ones (at most `max`); a new model
 * releases them all. One user of it at a time (the worker runs one generation or measurement at once).
 */
export class KvSessionCache {
  private model: LoadedModel | null = null;
  private entries = new Map<string, Promise<TimedDecoder>>();

  constructor(
    private readonly ort: OrtLike,
    private readonly sessionOptions: (outputs: string[]) => OrtSessionOptions,
    private readonly max = 3,
  ) {}

  async get(model: LoadedModel, drop: DropConfig): Promise<TimedDecoder> {
    if (model !== this.model) {
      await this.clear();
      this.model = model;
    }
    const key = dropKey(drop);
    let p = this.entries.get(key);
    if (p) {
      this.entries.delete(key); // most recent last
      this.entries.set(key, p);
      return p;
    }
    p = this.build(model, drop);
    this.entries.set(key, p);
    p.catch(() => this.entries.delete(key));
    await this.evict(key);
    return p;
  }

  private async build(model: LoadedModel, drop: DropConfig): Promise<TimedDecoder> {
    const g = buildKvGraph(model.spec, model.weights, drop, 'fp32');
    const bytes = g.build();
    const layout = kvLayout(model.spec, drop);
    const outputs = layout.layers.flatMap((l) => [KV_IO.presentKey(l), KV_IO.presentValue(l)]);
    return timed(await KvDecoder.create(this.ort, bytes, layout, this.sessionOptions(outputs)));
  }

  private async evict(keep: string): Promise<void> {
    const full = dropKey(NO_DROP);
    for (const [k, p] of this.entries) {
      if (this.entries.size <= this.max) break;
      if (k === keep || k === full) continue;
      this.entries.delete(k);
      await p.then((d) => d.dec.release()).catch(() => undefined);
    }
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    this.model = null;
    await Promise.all(all.map((p) => p.then((d) => d.dec.release()).catch(() => undefined)));
  }

  get size(): number {
    return this.entries.size;
  }
}

// ---------------------------------------------------------------------------------------------------
// generation

/**
 * The continuation's text: decode(prompt + ids) minus decode(prompt) when that is a prefix (so tokenizers
 * that treat a word-initial space specially keep it), else decode(ids). While streaming (`partial`), a
 * trailing U+FFFD (part of a UTF-8 character still to come) is held back.
 */
export function continuationText(
  tok: Pick<Tokenizer, 'decode'>,
  prompt: readonly number[],
  ids: readonly number[],
  partial: boolean,
): string {
  if (ids.length === 0) return '';
  const head = tok.decode(prompt);
  const all = tok.decode([...prompt, ...ids]);
  let text = all.startsWith(head) ? all.slice(head.length) : tok.decode(ids);
  if (partial) text = text.replace(/\uFFFD+$/, '');
  return text;
}

/** The EOS ids generation stops at: the tokenizer's, else the model config's. */
export function eosIds(tok: Pick<Tokenizer, 'eosTokenId'>, model: Pick<LoadedModel, 'spec'>): number[] {
  const id = tok.eosTokenId ?? model.spec.eosTokenId;
  return id === null || id === undefined ? [] : [id];
}

/** Clamp a request to what the model can take (positions of a learned-position model, at least one token). */
export function checkGenerateRequest(
  req: GenerateRequest,
  promptTokens: number,
  maxPositions: number | null,
): GenerateRequest {
  if (promptTokens === 0) throw new RangeError('The prompt is empty: type at least one character to generate from.');
  const room = maxPositions === null ? Number.POSITIVE_INFINITY : maxPositions - promptTokens;
  if (room < 1)
    throw new RangeError(
      `The prompt is ${promptTokens} tokens, and this model has ${maxPositions} positions: shorten the prompt.`,
    );
  return { ...req, maxNewTokens: Math.max(1, Math.min(Math.floor(req.maxNewTokens), room)) };
}

export interface SideBySideOptions {
  tokenizer: Pick<Tokenizer, 'decode'>;
  promptIds: number[];
  request: GenerateRequest;
  eos: number[];
  decoders: Record<GenerationModel, TimedDecoder>;
  onEvent(e: GenerateEvent): void;
  cancelled(): boolean;
  now?: () => number;
}

/**
 * Both models generate from the same prompt with the same settings, interleaved step by step (each with
 * its own sampler seeded alike), through the export's own decoding loop (greedyGenerate). Each new token
 * is reported at once. Timings are the session-run time of each model alone.
 */
export async function generateSideBySide(o: SideBySideOptions): Promise<Record<GenerationModel, GenerationRun>> {
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  const one = async (model: GenerationModel): Promise<GenerationRun> => {
    const td = o.decoders[model];
    td.reset();
    const ids: number[] = [];
    let prefillMs = 0;
    let firstTokenMs: number | undefined;
    let stop: GenerationStop = 'length';
    await greedyGenerate(td.dec, o.promptIds, o.request.maxNewTokens, {
      temperature: o.request.temperature,
      topK: o.request.topK > 0 ? o.request.topK : undefined,
      random: mulberry32(o.request.seed), // seeded, so a sampled run can be repeated
      eosTokenId: o.eos,
      onToken: (id) => {
        ids.push(id);
        if (ids.length === 1) {
          prefillMs = td.runMs();
          firstTokenMs = now() - t0;
        }
        if (o.eos.includes(id)) stop = 'eos';
        const last = stop === 'eos' || ids.length >= o.request.maxNewTokens;
        const cancelled = !last && o.cancelled();
        if (cancelled) stop = 'cancelled';
        o.onEvent({
          model,
          ids: [...ids],
          text: continuationText(o.tokenizer, o.promptIds, ids, !(last || cancelled)),
          done: last || cancelled,
          ...(last || cancelled ? { stop } : {}),
          firstTokenMs,
          elapsedMs: now() - t0,
        });
        return cancelled ? false : undefined;
      },
    });
    const decodeMs = td.runMs() - prefillMs;
    return {
      ids,
      text: continuationText(o.tokenizer, o.promptIds, ids, false),
      stop,
      prefillMs,
      decodeMs,
      decodeTokensPerS: ids.length > 1 && decodeMs > 0 ? ((ids.length - 1) / decodeMs) * 1000 : null,
      cachedLayers: td.dec.layout.layers.length,
    };
  };
  const [full, pruned] = await Promise.all([one('full'), one('pruned')]);
  return { full, pruned };
}

// ---------------------------------------------------------------------------------------------------
// speed

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
