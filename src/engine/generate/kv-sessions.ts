/**
 * KV-cache sessions for the workbench's generation and speed measurements: the full model and the
 * pruned one (a drop configuration), each as the fp32 `onnx/model.onnx` the export writes
 * (src/engine/export), compiled once per configuration on the injected runtime, with timed session runs.
 *
 * Host-agnostic (no DOM, no worker globals): the worker passes onnxruntime-web, the Node tests
 * onnxruntime-node.
 */
import type { DropConfig } from '../api';
import { NO_DROPS } from '../drops';
import { buildKvGraph, KvDecoder, KV_IO, kvLayout } from '../export';
import type { LoadedModel } from '../model/load';
import type { OrtLike, OrtSession, OrtSessionOptions } from '../runtime/ort';

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
    const full = dropKey(NO_DROPS);
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
