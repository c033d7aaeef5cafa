/**
 * The live-pipeline sublayer graphs and the monolithic graph:
 *   - chaining embedding -> attn/mlp sublayers -> head reproduces the float64 reference (states,
 *     cosines, NLL, argmax);
 *   - the monolithic graph with a DropConfig equals chaining the kept sublayer graphs (within 1e-5),
 *     with and without drops, and dropped sublayers leave no nodes or weights behind;
 *   - each graph loads only the Params of what it builds.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { DropConfig } from '../../../src/engine/api';
import { DropConfigError } from '../../../src/engine/errors';
import { validateDrop } from '../../../src/engine/graphs/decoder';
import { monolithic } from '../../../src/engine/graphs/monolithic';
import * as graphs from '../../../src/engine/graphs/sublayers';
import type { ModelSpec, ModelWeights } from '../../../src/engine/model/spec';
import { decodeModel } from '../../../src/engine/onnx/proto';
import type { OrtSession } from '../../../src/engine/runtime/ort';
import {
  type Fetched,
  RUNTIMES,
  type Runtime,
  f32,
  i64,
  maxAbsDiff,
  measured,
  record,
  runSession,
  session,
} from '../../support/runtimes';
import { type CountingParam, randomIds, randomWeights, tinyGpt2Spec, tinySpec } from './random-weights';
import * as ref from './ref64';

const B = 2;
const T = 6;

const SPECS: { name: string; spec: ModelSpec }[] = [
  { name: 'llama-like (RMSNorm, SwiGLU, RoPE, GQA 4/2)', spec: tinySpec() },
  { name: 'gpt2-like (LayerNorm, gelu_tanh, learned positions, biases, tied head)', spec: tinyGpt2Spec() },
  {
    name: 'qwen2-like (qkv bias, GQA 4/1, llama3 rope scaling, 128k positions: RoPE computed in the graph)',
    spec: tinySpec({
      family: 'qwen2',
      maxPositions: 131072,
      numKvHeads: 1,
      qkvBias: true,
      ropeTheta: 500000,
      ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 16 },
    }),
  },
];

const DROPS: DropConfig[] = [
  { attn: [], mlp: [] },
  { attn: [1], mlp: [] },
  { attn: [], mlp: [0] },
  { attn: [0, 2], mlp: [1] },
  { attn: [1], mlp: [1] }, // a whole block
];

/** Sessions for every sublayer graph of one model on one runtime. */
class Chain {
  private constructor(
    private rt: Runtime,
    private spec: ModelSpec,
    private embed: OrtSession,
    private attn: OrtSession[],
    private mlp: OrtSession[],
    private head: OrtSession,
  ) {}

  static async create(rt: Runtime, spec: ModelSpec, W: ModelWeights): Promise<Chain> {
    const attn: OrtSession[] = [];
    const mlp: OrtSession[] = [];
    for (let l = 0; l < spec.numLayers; l++) {
      attn.push(await session(rt, graphs.attention(spec, W, l)));
      mlp.push(await session(rt, graphs.mlp(spec, W, l)));
    }
    return new Chain(
      rt,
      spec,
      await session(rt, graphs.embedding(spec, W)),
      attn,
      mlp,
      await session(rt, graphs.head(spec, W)),
    );
  }

  /** Boundary states (a dropped sublayer repeats its input), per-sublayer outputs, and the head's outputs. */
  async run(ids: number[], drop: DropConfig) {
    const idsFeed = i64(ids, [B, T]);
    let x = (await runSession(this.rt, this.embed, { input_ids: idsFeed })).hidden;
    const boundaries: Fetched[] = [x];
    const sub: { kind: 'attn' | 'mlp'; l: number; cos: Fetched; cosNoNorm: Fetched }[] = [];
    for (let l = 0; l < this.spec.numLayers; l++) {
      for (const kind of ['attn', 'mlp'] as const) {
        if (!drop[kind].includes(l)) {
          const s = kind === 'attn' ? this.attn[l] : this.mlp[l];
          const o = await runSession(this.rt, s, {
            hidden: { type: 'float32', data: x.data as Float32Array, dims: x.dims },
          });
          x = o.hidden_out;
          sub.push({ kind, l, cos: o.cos, cosNoNorm: o.cos_nonorm });
        }
        boundaries.push(x);
      }
    }
    const h = await runSession(this.rt, this.head, {
      hidden: { type: 'float32', data: x.data as Float32Array, dims: x.dims },
      input_ids: idsFeed,
    });
    return { boundaries, sub, nll: h.nll, argmax: h.argmax };
  }

  async release() {
    for (const s of [this.embed, ...this.attn, ...this.mlp, this.head]) await s.release();
  }
}

/** Reference per batch element, concatenated. */
function reference(spec: ModelSpec, W: ModelWeights, ids: number[], drop: DropConfig) {
  return [0, 1].map((bb) => ref.forwardRef(spec, W, ids.slice(bb * T, bb * T + T), drop));
}
const cat = (xs: ArrayLike<number>[]) => xs.flatMap((x) => Array.from(x));

for (const { name, spec } of SPECS) {
  describe(name, () => {
    const W = randomWeights(spec, 101);
    const ids = randomIds(spec, B, T, 5);
    const d = spec.hiddenSize;

    for (const rt of RUNTIMES) {
      it(`sublayer chain = float64 reference, and monolithic = chain for ${DROPS.length} drop configs (${rt.name})`, async () => {
        const chain = await Chain.create(rt, spec, W);
        try {
          for (const drop of DROPS) {
            const got = await chain.run(ids, drop);
            const want = reference(spec, W, ids, drop);
            const tag = JSON.stringify(drop);
            // boundary states
            for (let k = 0; k < got.boundaries.length; k++) {
              const exp = cat(want.map((w) => w.boundaries[k]));
              expect(
                record('chain states vs f64', maxAbsDiff(got.boundaries[k].data as Float32Array, exp)),
                `${tag} boundary ${k}`,
              ).toBeLessThan(2e-5);
            }
            // cosines of each kept sublayer
            for (const s of got.sub) {
              const before = s.kind === 'attn' ? 2 * s.l : 2 * s.l + 1;
              const expCos = cat(want.map((w) => ref.cosRef(w.boundaries[before], w.boundaries[before + 1], T, d)));
              expect(
                record('chain cos vs f64', maxAbsDiff(s.cos.data as Float32Array, expCos)),
                `${tag} ${s.kind} ${s.l} cos`,
              ).toBeLessThan(2e-6);
              expect(s.cos.dims).toEqual([B, T]);
              // cos_nonorm: cos(N(x), F(N(x)))
              const lw = W.layers[s.l];
              const expNo = cat(
                want.map((w) => {
                  const xin = w.boundaries[before];
                  const n = ref.normRef(spec, xin, T, s.kind === 'attn' ? lw.attnNorm : lw.mlpNorm);
                  const f = s.kind === 'attn' ? ref.attentionRef(spec, lw, n, T).out : ref.mlpRef(spec, lw, n, T);
                  return ref.cosRef(n, f, T, d);
                }),
              );
              expect(
                record('chain cos_nonorm vs f64', maxAbsDiff(s.cosNoNorm.data as Float32Array, expNo)),
                `${tag} ${s.kind} ${s.l} cos_nonorm`,
              ).toBeLessThan(2e-6);
            }
            // head
            expect(got.nll.dims).toEqual([B, T - 1]);
            expect(got.argmax.dims).toEqual([B, T]);
            expect(got.argmax.type).toBe('int64');
            expect(
              record(
                'head nll vs f64 log-softmax',
                maxAbsDiff(got.nll.data as Float32Array, cat(want.map((w) => w.nll))),
              ),
              tag,
            ).toBeLessThan(2e-5);
            expect(Array.from(got.argmax.data as BigInt64Array, Number), tag).toEqual(cat(want.map((w) => w.argmax)));

            // the monolithic graph with the same drops
            const mono = await session(rt, monolithic(spec, W, drop));
            try {
              const m = await runSession(rt, mono, { input_ids: i64(ids, [B, T]) });
              expect(m.nll.dims).toEqual([B, T - 1]);
              expect(
                record('monolithic vs chain nll', maxAbsDiff(m.nll.data as Float32Array, got.nll.data as Float32Array)),
                tag,
              ).toBeLessThan(1e-5);
              expect(Array.from(m.argmax.data as BigInt64Array), tag).toEqual(
                Array.from(got.argmax.data as BigInt64Array),
              );
            } finally {
              await mono.release();
            }
          }
        } finally {
          await chain.release();
        }
      });
    }

    it('monolithic: dropped sublayers have no nodes and no weights', () => {
      const full = decodeModel(monolithic(spec, W, { attn: [], mlp: [] }));
      const dropped = decodeModel(monolithic(spec, W, { attn: [0, 2], mlp: [1] }));
      const names = (m: typeof full) => m.graph.initializers.map((t) => t.name);
      const nodeNames = (m: typeof full) => m.graph.nodes.map((n) => n.name);
      for (const l of [0, 2]) {
        expect(names(full).some((n) => n.startsWith(`layers.${l}.attn.`))).toBe(true);
        expect(names(dropped).some((n) => n.startsWith(`layers.${l}.attn`))).toBe(false);
        expect(nodeNames(dropped).some((n) => n.startsWith(`layers.${l}.attn`))).toBe(false);
      }
      expect(names(dropped).some((n) => n.startsWith('layers.1.mlp'))).toBe(false);
      expect(names(dropped).some((n) => n.startsWith('layers.1.attn.'))).toBe(true);
      expect(dropped.metadata).toEqual({ drop_attn_list: '[0,2]', drop_mlp_list: '[1]' });
      expect(full.graph.inputs.map((i) => [i.name, i.type, i.shape])).toEqual([
        ['input_ids', 'int64', ['batch_size', 'sequence_length']],
      ]);
      expect(full.graph.outputs.map((o) => [o.name, o.type, o.shape])).toEqual([
        ['nll', 'float32', ['batch_size', 'sequence_length_minus_1']],
        ['argmax', 'int64', ['batch_size', 'sequence_length']],
      ]);
      // a tied head is stored once
      const embeds = names(full).filter((n) => n === 'embed_tokens.weight' || n === 'lm_head.weight');
      expect(embeds.length).toBe(spec.tiedEmbeddings ? 1 : 2);
    });
  });
}

describe('graph I/O and weight loading', () => {
  const spec = tinySpec();

  it('sublayer graphs declare the documented inputs and outputs with symbolic dims', () => {
    const W = randomWeights(spec, 1);
    const io = (m: Uint8Array) => {
      const g = decodeModel(m).graph;
      return {
        in: g.inputs.map((v) => `${v.name}:${v.type}[${v.shape}]`),
        out: g.outputs.map((v) => `${v.name}:${v.type}[${v.shape}]`),
      };
    };
    expect(io(graphs.embedding(spec, W))).toEqual({
      in: ['input_ids:int64[batch_size,sequence_length]'],
      out: ['hidden:float32[batch_size,sequence_length,16]'],
    });
    const sub = {
      in: ['hidden:float32[batch_size,sequence_length,16]'],
      out: [
        'hidden_out:float32[batch_size,sequence_length,16]',
        'cos:float32[batch_size,sequence_length]',
        'cos_nonorm:float32[batch_size,sequence_length]',
      ],
    };
    expect(io(graphs.attention(spec, W, 1))).toEqual(sub);
    expect(io(graphs.mlp(spec, W, 1))).toEqual(sub);
    expect(io(graphs.head(spec, W))).toEqual({
      in: ['hidden:float32[batch_size,sequence_length,16]', 'input_ids:int64[batch_size,sequence_length]'],
      out: ['nll:float32[batch_size,sequence_length_minus_1]', 'argmax:int64[batch_size,sequence_length]'],
    });
    expect(io(graphs.cosine())).toEqual({
      in: ['a:float32[batch_size,sequence_length,hidden_size]', 'b:float32[batch_size,sequence_length,hidden_size]'],
      out: ['cos:float32[batch_size,sequence_length]'],
    });
    // Full logits are never an output, and no graph holds a [V, ...] tensor besides the embedding/head weight.
    expect(decodeModel(graphs.head(spec, W)).graph.outputs.map((o) => o.name)).not.toContain('logits');
  });

  it('each graph loads only the Params of the sublayer it builds', () => {
    const W = randomWeights(spec, 2);
    const all = (): [string, CountingParam][] => {
      const out: [string, CountingParam][] = [];
      const visit = (prefix: string, o: unknown) => {
        if (!o || typeof o !== 'object') return;
        if ('load' in (o as object)) out.push([prefix, o as CountingParam]);
        else for (const [k, v] of Object.entries(o as object)) visit(prefix ? `${prefix}.${k}` : k, v);
      };
      visit('', W);
      return out;
    };
    const loadedBy = (build: () => void) => {
      for (const [, p] of all()) p.loads = 0;
      build();
      return all()
        .filter(([, p]) => p.loads > 0)
        .map(([n, p]) => `${n}x${p.loads}`)
        .sort();
    };
    expect(loadedBy(() => graphs.attention(spec, W, 1))).toEqual(
      [
        'layers.1.attnNorm.weight',
        'layers.1.k.weight',
        'layers.1.o.weight',
        'layers.1.q.weight',
        'layers.1.v.weight',
      ].map((n) => `${n}x1`),
    );
    expect(loadedBy(() => graphs.mlp(spec, W, 2))).toEqual(
      ['layers.2.down.weight', 'layers.2.gate.weight', 'layers.2.mlpNorm.weight', 'layers.2.up.weight'].map(
        (n) => `${n}x1`,
      ),
    );
    expect(loadedBy(() => graphs.embedding(spec, W))).toEqual(['embedx1']);
    expect(loadedBy(() => graphs.head(spec, W))).toEqual(['finalNorm.weightx1', 'lmHeadx1']);
    const tied = tinyGpt2Spec();
    const Wt = randomWeights(tied, 3);
    let embedLoads = 0;
    const p = Wt.embed as CountingParam;
    const before = p.loads;
    monolithic(tied, Wt, { attn: [], mlp: [] });
    embedLoads = p.loads - before;
    expect(embedLoads).toBe(1); // tied embedding/head: loaded and stored once
  });

  it('RoPE: a table of every position for short-context models, in-graph cos/sin past 4096 positions', () => {
    const inits = (s: ModelSpec, opts?: graphs.GraphOptions) =>
      decodeModel(graphs.attention(s, randomWeights(s, 1), 0, opts)).graph.initializers.map(
        (t) => `${t.name}:${t.dims}`,
      );
    expect(inits(spec).filter((n) => n.startsWith('rope.'))).toEqual(['rope.cos_0:64,4', 'rope.sin_0:64,4']);
    const long = tinySpec({ maxPositions: 131072 });
    expect(inits(long).filter((n) => n.startsWith('rope.'))).toEqual(['rope.inv_freq_0:2']);
    expect(inits(long, { maxLength: 256 }).filter((n) => n.startsWith('rope.'))).toEqual([
      'rope.cos_0:256,4',
      'rope.sin_0:256,4',
    ]);
  });

  it('rejects drop indices outside the model with DropConfigError', () => {
    expect(() => validateDrop(spec, { attn: [3], mlp: [] })).toThrow(DropConfigError);
    expect(() => validateDrop(spec, { attn: [], mlp: [-1] })).toThrow(/layers 0 to 2/);
    expect(() => validateDrop(spec, { attn: [0.5], mlp: [] })).toThrow(DropConfigError);
    expect(() => graphs.attention(spec, randomWeights(spec, 1), 3)).toThrow(RangeError);
  });

  it.each(RUNTIMES)('fetching only hidden_out skips the cosines ($name)', async (rt) => {
    const W = randomWeights(spec, 4);
    const s = await session(rt, graphs.attention(spec, W, 0));
    try {
      const x = f32(
        Array.from({ length: B * T * 16 }, (_, i) => Math.sin(i)),
        [B, T, 16],
      );
      const only = await runSession(rt, s, { hidden: x }, ['hidden_out']);
      expect(Object.keys(only)).toEqual(['hidden_out']);
      const all = await runSession(rt, s, { hidden: x });
      expect(maxAbsDiff(only.hidden_out.data as Float32Array, all.hidden_out.data as Float32Array)).toBe(0);
    } finally {
      await s.release();
    }
  });
});

afterAll(() => {
  console.log(
    `sublayer/monolithic max-abs diffs: ${[...measured.entries()].map(([k, v]) => `${k}=${v.toExponential(2)}`).join(', ')}`,
  );
});
