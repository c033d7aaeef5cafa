/**
 * The live forward pipeline (DESIGN.md §2): every kept sublayer runs as its own session over whole
 * windows (no KV cache); hidden states stay where the runtime put them (GPU buffers on WebGPU) and
 * only per-token numbers (NLL, cosines) are read back.
 *
 * The states at every sublayer boundary of the current configuration are cached per chunk of
 * windows, so after a toggle at sublayer s only s and what follows it run again.
 *
 * Indexing (see drops.ts): sublayer s = 2l (attention l) or 2l+1 (MLP l); boundary b_0 = x_0,
 * b_{s+1} = after sublayer s; a dropped sublayer aliases b_{s+1} = b_s.
 */
import { IO } from './graphs/sublayers';
import type { OrtLike, OrtSession, OrtTensor } from './runtime/ort';

export interface PipelineSessions {
  /**
   * input_ids [B,T] -> hidden [B,T,d]. null: opened with openEmbed when chunks need x_0, run over all of
   * them, and released (a tied embedding is then held by the head session alone between texts).
   */
  embed: OrtSession | null;
  openEmbed?: () => Promise<OrtSession>;
  /** x_0 computed without a session (embed-rows.ts): ids [B*T] -> float32 [B*T*d]. Used when present. */
  embedIds?: (ids: BigInt64Array, T: number) => Float32Array;
  sub: OrtSession[]; // 2L sublayers: hidden -> hidden_out, cos, cos_nonorm
  head: OrtSession; // hidden, input_ids -> nll [B,T-1], argmax
  gram: OrtSession; // x0..x_L [B,T,d] -> gram_sum [L+1,L+1], gram_last [B,L+1,L+1]
}

interface Chunk {
  ids: OrtTensor; // int64 [B,T]
  B: number;
  bounds: (OrtTensor | null)[]; // 2L+1
  flags: boolean[] | null; // the drop flags `bounds` were computed with
  cos: Float64Array; // [2L] sum_t cos(b_s, b_{s+1}) of the run that made bounds[s+1]
  cosNoNorm: Float64Array; // [2L] sum_t cos(N(b_s), F(N(b_s))) likewise
}

/** Per-sublayer sums over every token of every window, from one analysis pass. */
export interface AnalysisSums {
  cos: Float64Array; // [2L] sum_t cos(b_s, b_{s+1})          (NaN where dropped)
  cosNoNorm: Float64Array; // [2L] sum_t cos(N(b_s), F(N(b_s)))   (NaN where dropped)
  tokens: number;
}

export interface NllSum {
  sum: number; // summed NLL (nats) over predicted tokens
  count: number; // predicted tokens: windows * (T - 1)
  perWindow: Float64Array; // summed NLL per window
  tokens: Float32Array; // per-token NLL [windows * (T-1)], window-major
}

export type RunHook = () => void; // called before every session run: cancellation + progress

async function readFloats(t: OrtTensor): Promise<Float32Array> {
  const data = t.location && t.location !== 'cpu' && t.getData ? await t.getData() : t.data;
  return data as Float32Array;
}

export class Pipeline {
  private chunks: Chunk[] = [];
  private seqLen = 0;
  private windows = 0;
  readonly numSublayers: number;

  constructor(
    private readonly ort: OrtLike,
    private readonly sessions: PipelineSessions,
    numLayers: number,
  ) {
    this.numSublayers = 2 * numLayers;
  }

  get ready(): boolean {
    return this.chunks.length > 0;
  }

  /** Window batches (one head run each). */
  get batches(): number {
    return this.chunks.length;
  }

  get windowCount(): number {
    return this.windows;
  }

  get shape(): { windows: number; seqLen: number } {
    return { windows: this.windows, seqLen: this.seqLen };
  }

  /**
   * Replace the windows (ids [windows*seqLen]); each batch of windows shares a session run: `batches` are
   * their sizes in order (batches.ts), summing to `windows`.
   */
  setWindows(ids: Int32Array, windows: number, seqLen: number, batches: readonly number[]): void {
    if (batches.reduce((a, b) => a + b, 0) !== windows)
      throw new RangeError(`window batches [${batches.join(', ')}] do not add up to ${windows} windows`);
    this.clear();
    this.seqLen = seqLen;
    this.windows = windows;
    for (let w0 = 0, i = 0; w0 < windows; i++) {
      const B = batches[i];
      if (!(B >= 1)) throw new RangeError(`a window batch must hold at least one window, not ${B}`);
      const data = BigInt64Array.from(ids.subarray(w0 * seqLen, (w0 + B) * seqLen), (v) => BigInt(v));
      const S = this.numSublayers;
      this.chunks.push({
        ids: new this.ort.Tensor('int64', data, [B, seqLen]),
        B,
        bounds: new Array(S + 1).fill(null),
        flags: null,
        cos: new Float64Array(S),
        cosNoNorm: new Float64Array(S),
      });
      w0 += B;
    }
  }

  clear(): void {
    for (const c of this.chunks) {
      this.release(c.bounds, 0);
      c.ids.dispose();
    }
    this.chunks = [];
  }

  /** Sublayer runs a call to ensure(flags) would make (for progress totals). */
  pendingRuns(flags: readonly boolean[]): number {
    let n = 0;
    for (const c of this.chunks) {
      const s0 = this.firstStale(c, flags);
      for (let s = s0; s < this.numSublayers; s++) if (!flags[s]) n++;
      if (!c.bounds[0]) n++;
    }
    return n;
  }

  /** Make every boundary of every chunk valid for `flags`. */
  async ensure(flags: readonly boolean[], hook: RunHook): Promise<void> {
    for (const c of this.chunks) await this.ensureChunk(c, flags, hook);
  }

  /**
   * Summed NLL of the final boundary under `flags` (computing what the cache lacks), one window batch
   * at a time: `onBatch` sees the sums so far and the windows they cover after each batch (progressive
   * estimates; the result is the same as all batches first, then the heads).
   */
  async nll(
    flags: readonly boolean[],
    hook: RunHook,
    onBatch?: (sofar: NllSum, windows: number) => void,
  ): Promise<NllSum> {
    const res = this.emptyNll();
    let w = 0;
    for (const c of this.chunks) {
      await this.ensureChunk(c, flags, hook);
      const x = c.bounds[this.numSublayers] as OrtTensor;
      w = await this.headInto(c, x, res, w, hook);
      onBatch?.(res, w);
    }
    return res;
  }

  /**
   * Per-token NLL of the next token [windows * (T-1)] and argmax [windows * T] at the final boundary
   * under `flags` (task scoring: log-likelihoods of continuations, LAMBADA's greedy check).
   */
  async tokenScores(flags: readonly boolean[], hook: RunHook): Promise<{ nll: Float32Array; argmax: Int32Array }> {
    await this.ensure(flags, hook);
    const T = this.seqLen;
    const nll = new Float32Array(this.windows * (T - 1));
    const argmax = new Int32Array(this.windows * T);
    let w = 0;
    for (const c of this.chunks) {
      hook();
      const x = c.bounds[this.numSublayers] as OrtTensor;
      const out = await this.sessions.head.run({ [IO.hidden]: x, [IO.inputIds]: c.ids }, [IO.nll, IO.argmax]);
      nll.set((await readFloats(out[IO.nll])).subarray(0, c.B * (T - 1)), w * (T - 1));
      const am = out[IO.argmax];
      const data = (am.location && am.location !== 'cpu' && am.getData ? await am.getData() : am.data) as BigInt64Array;
      for (let i = 0; i < c.B * T; i++) argmax[w * T + i] = Number(data[i]);
      out[IO.nll].dispose();
      am.dispose();
      w += c.B;
    }
    return { nll, argmax };
  }

  /**
   * The sums behind LLM-Drop's attention and MLP importance in both layer_drop_norm variants, for
   * `flags`: every sublayer run records its cosines, so this only computes what the cache lacks.
   */
  async analysisSums(flags: readonly boolean[], hook: RunHook): Promise<AnalysisSums> {
    const S = this.numSublayers;
    const cos = new Float64Array(S);
    const cosNoNorm = new Float64Array(S);
    for (const c of this.chunks) {
      await this.ensureChunk(c, flags, hook);
      for (let s = 0; s < S; s++) {
        cos[s] += c.cos[s];
        cosNoNorm[s] += c.cosNoNorm[s];
      }
    }
    for (let s = 0; s < S; s++) if (flags[s]) cos[s] = cosNoNorm[s] = Number.NaN;
    return { cos, cosNoNorm, tokens: this.windows * this.seqLen };
  }

  /**
   * Over the boundaries `indices` (block boundaries x_0..x_L) of the cache for `flags`: the sum over
   * every token of cos(b_i, b_j) ([K][K], row-major) and, per window, cos at the last position
   * ([windows][K][K]; Gromov et al.'s angular distance reads the last token). One gram session run per chunk.
   */
  async gram(
    flags: readonly boolean[],
    indices: readonly number[],
    hook: RunHook,
  ): Promise<{ sum: Float64Array; last: Float32Array[] }> {
    const K = indices.length;
    const sumOut = new Float64Array(K * K);
    const last: Float32Array[] = [];
    for (const c of this.chunks) {
      await this.ensureChunk(c, flags, hook);
      hook();
      const feeds: Record<string, OrtTensor> = {};
      indices.forEach((b, i) => {
        feeds[`x${i}`] = c.bounds[b] as OrtTensor;
      });
      const out = await this.sessions.gram.run(feeds);
      const g = await readFloats(out[IO.gramSum]);
      for (let i = 0; i < K * K; i++) sumOut[i] += g[i];
      const l = await readFloats(out[IO.gramLast]);
      for (let w = 0; w < c.B; w++) last.push(l.slice(w * K * K, (w + 1) * K * K));
      out[IO.gramSum].dispose();
      out[IO.gramLast].dispose();
    }
    return { sum: sumOut, last };
  }

  /**
   * Summed NLL with sublayer `s` dropped on top of `flags`, starting from the cached b_s (which must be
   * valid for `flags`); nothing is written to the cache.
   */
  async nllWithout(flags: readonly boolean[], s: number, hook: RunHook): Promise<NllSum> {
    const res = this.emptyNll();
    let w = 0;
    for (const c of this.chunks) {
      await this.ensureChunk(c, flags, hook);
      const cached = new Set(c.bounds);
      let x = c.bounds[s] as OrtTensor;
      try {
        for (let t = s + 1; t < this.numSublayers; t++) {
          if (flags[t]) continue;
          const next = (await this.runSub(t, x, hook)).out;
          if (!cached.has(x)) x.dispose();
          x = next;
        }
        w = await this.headInto(c, x, res, w, hook);
      } finally {
        if (!cached.has(x)) x.dispose();
      }
    }
    return res;
  }

  /**
   * The first kept sublayer whose cosine sum over the cached boundaries for `flags` is not finite (the
   * first place the hidden state holds NaN or an infinity), or null. Reads no tensor: the sums come
   * with every sublayer run.
   */
  firstNonFinite(flags: readonly boolean[]): number | null {
    let first: number | null = null;
    for (const c of this.chunks) {
      if (!c.flags || c.flags.some((f, s) => f !== flags[s])) continue;
      for (let s = 0; s < (first ?? this.numSublayers); s++) if (!flags[s] && !Number.isFinite(c.cos[s])) first = s;
    }
    return first;
  }

  /** Per-token cos(b_s, F_s(b_s)) for window 0, whether or not s is dropped in `flags` (state from the cache). */
  async sublayerTokenCos(flags: readonly boolean[], s: number, hook: RunHook): Promise<Float32Array> {
    const c = this.chunks[0];
    await this.ensureChunk(c, flags, hook);
    hook();
    const out = await this.sessions.sub[s].run({ [IO.hidden]: c.bounds[s] as OrtTensor }, [IO.cos]);
    const v = (await readFloats(out[IO.cos])).slice(0, this.seqLen);
    out[IO.cos].dispose();
    return v;
  }

  // -------------------------------------------------------------------------------------------

  private emptyNll(): NllSum {
    return {
      sum: 0,
      count: 0,
      perWindow: new Float64Array(this.windows),
      tokens: new Float32Array(this.windows * (this.seqLen - 1)),
    };
  }

  private firstStale(c: Chunk, flags: readonly boolean[]): number {
    if (!c.flags) return 0;
    for (let s = 0; s < this.numSublayers; s++) if (c.flags[s] !== flags[s] || !c.bounds[s + 1]) return s;
    return this.numSublayers;
  }

  private async ensureEmbedding(c: Chunk, hook: RunHook): Promise<void> {
    if (c.bounds[0]) return;
    const rows = this.sessions.embedIds;
    if (rows) {
      hook();
      const ids = c.ids.data as BigInt64Array;
      const d = rows(ids, this.seqLen);
      c.bounds[0] = new this.ort.Tensor('float32', d, [c.B, this.seqLen, d.length / (c.B * this.seqLen)]);
      return;
    }
    const open = this.sessions.embed;
    if (open) {
      hook();
      c.bounds[0] = (await open.run({ [IO.inputIds]: c.ids }))[IO.hidden];
      return;
    }
    if (!this.sessions.openEmbed) throw new Error('Pipeline: no embedding session and no way to open one');
    const s = await this.sessions.openEmbed();
    try {
      for (const k of this.chunks) {
        if (k.bounds[0]) continue;
        hook();
        k.bounds[0] = (await s.run({ [IO.inputIds]: k.ids }))[IO.hidden];
      }
    } finally {
      await s.release();
    }
  }

  private async ensureChunk(c: Chunk, flags: readonly boolean[], hook: RunHook): Promise<void> {
    await this.ensureEmbedding(c, hook);
    const s0 = this.firstStale(c, flags);
    if (s0 === this.numSublayers && c.flags) return;
    // bounds[0..s0] hold for `flags` too (they agree before s0). The cache says so at once and fills in
    // after every run, so a call cancelled halfway leaves a valid prefix, never a released state.
    const keep = c.bounds.slice(0, s0 + 1);
    this.release(c.bounds, s0 + 1, new Set(keep));
    c.bounds = [...keep, ...new Array<OrtTensor | null>(this.numSublayers - s0).fill(null)];
    c.flags = [...flags];
    for (let s = s0; s < this.numSublayers; s++) {
      const x = c.bounds[s] as OrtTensor;
      if (flags[s]) {
        c.cos[s] = c.cosNoNorm[s] = Number.NaN;
        c.bounds[s + 1] = x;
      } else {
        const r = await this.runSub(s, x, hook);
        c.cos[s] = r.cos;
        c.cosNoNorm[s] = r.cosNoNorm;
        c.bounds[s + 1] = r.out;
      }
    }
  }

  /** One sublayer run. ORT computes every graph output anyway, so the cosine sums come along. */
  private async runSub(
    s: number,
    x: OrtTensor,
    hook: RunHook,
  ): Promise<{ out: OrtTensor; cos: number; cosNoNorm: number }> {
    hook();
    const out = await this.sessions.sub[s].run({ [IO.hidden]: x }, [IO.hiddenOut, IO.cos, IO.cosNoNorm]);
    const cos = sum(await readFloats(out[IO.cos]));
    const cosNoNorm = sum(await readFloats(out[IO.cosNoNorm]));
    out[IO.cos].dispose();
    out[IO.cosNoNorm].dispose();
    return { out: out[IO.hiddenOut], cos, cosNoNorm };
  }

  private async headInto(c: Chunk, x: OrtTensor, res: NllSum, w0: number, hook: RunHook): Promise<number> {
    hook();
    const out = await this.sessions.head.run({ [IO.hidden]: x, [IO.inputIds]: c.ids }, [IO.nll]);
    const nll = await readFloats(out[IO.nll]);
    const per = this.seqLen - 1;
    res.tokens.set(nll.subarray(0, c.B * per), w0 * per);
    for (let w = 0; w < c.B; w++) {
      let s = 0;
      for (let t = 0; t < per; t++) s += nll[w * per + t];
      res.perWindow[w0 + w] = s;
      res.sum += s;
    }
    res.count += c.B * per;
    out[IO.nll].dispose();
    return w0 + c.B;
  }

  /** Dispose bounds[from..] that are not in `keep` (aliases are disposed once). */
  private release(bounds: (OrtTensor | null)[], from: number, keep: Set<OrtTensor | null> = new Set()): void {
    const done = new Set<OrtTensor>();
    for (let i = from; i < bounds.length; i++) {
      const t = bounds[i];
      if (t && !keep.has(t) && !done.has(t)) {
        done.add(t);
        t.dispose();
      }
    }
  }
}

function sum(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}
