import { describe, expect, it } from 'vitest';
import { ConfigError, UnsupportedArchitectureError } from '../../../src/engine/errors';
import { estimateModelSize } from '../../../src/engine/model/checkpoint';
import {
  allParams,
  familyFor,
  parameterCounts,
  planTensorNames,
  SUPPORTED_MODEL_TYPES,
  specFromConfig,
} from '../../../src/engine/model/families';
import { numel } from '../../../src/engine/model/safetensors';
import type { Linear, ModelSpec, Norm, Param } from '../../../src/engine/model/spec';
import { GPT2_ARCH, LLAMA_ARCH } from '../../fixtures/specs';
import { loadTinyModel, TINY_VARIANTS, type TinyVariant, tinyModel } from '../../fixtures/tiny-models';

/** Expected specs of the fixtures (written out by hand from their config.json; LLAMA_ARCH and GPT2_ARCH spell out the standard architectures). */
const EXPECTED: Record<TinyVariant, Partial<ModelSpec>> = {
  'llama-gqa': {
    ...LLAMA_ARCH,
    hiddenSize: 32,
    numLayers: 3,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    intermediateSize: 64,
    tiedEmbeddings: false,
    normEps: 1e-5,
    bosTokenId: 0,
    eosTokenId: 0,
  },
  'llama-tied': {
    family: 'llama',
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 4,
    headDim: 8,
    intermediateSize: 48,
    tiedEmbeddings: true,
    normEps: 1e-6,
    bosTokenId: 1,
    eosTokenId: 2,
  },
  'llama3-rope': {
    family: 'llama',
    hiddenSize: 24,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 8,
    ropeTheta: 500000,
    ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 256 },
    maxPositions: 512,
    tiedEmbeddings: false,
  },
  mistral: {
    family: 'mistral',
    numHeads: 4,
    numKvHeads: 1,
    headDim: 8,
    ropeTheta: 1e6,
    qkvBias: false,
    tiedEmbeddings: false,
    bosTokenId: 1,
    eosTokenId: 2,
  },
  qwen2: {
    family: 'qwen2',
    numKvHeads: 2,
    ropeTheta: 1e6,
    qkvBias: true,
    oBias: false,
    mlpBias: false,
    tiedEmbeddings: true,
    normEps: 1e-6,
  },
  qwen3: {
    family: 'qwen3',
    hiddenSize: 32,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16, // config.json's head_dim, not 32 / 4
    ropeTheta: 1e6,
    qkvBias: false,
    oBias: false,
    qkNorm: 'head',
    tiedEmbeddings: true,
  },
  gemma2: {
    family: 'gemma2',
    hiddenSize: 32,
    numLayers: 3,
    headDim: 16,
    activation: 'gelu_tanh',
    normPlacement: 'sandwich',
    embedScale: Math.sqrt(32),
    attnScale: 24 ** -0.5, // query_pre_attn_scalar, not head_dim
    attnSoftcap: 5,
    finalSoftcap: 3,
    layerWindows: [8, null, 8], // the even layers are local
    tiedEmbeddings: true,
  },
  gemma3: {
    family: 'gemma3',
    numLayers: 3,
    headDim: 16,
    normPlacement: 'sandwich',
    qkNorm: 'head',
    attnScale: 24 ** -0.5,
    embedScale: Math.sqrt(32),
    layerWindows: [8, 8, null], // sliding_window_pattern 3: every third layer global
    ropeTheta: 1e6,
    ropeScaling: { type: 'linear', factor: 8 },
    localRope: { theta: 10000, scaling: null },
    tiedEmbeddings: true,
  },
  phi3: {
    family: 'phi3',
    numLayers: 2,
    headDim: 8,
    rotaryDim: 4, // partial_rotary_factor 0.5
    layerWindows: [6, 6],
    tiedEmbeddings: false,
    normEps: 1e-5,
  },
  granite: {
    family: 'granite',
    embedScale: 3,
    attnScale: 0.2,
    residualScale: 0.4,
    logitDivisor: 2.5,
    tiedEmbeddings: true,
  },
  smollm3: {
    family: 'smollm3',
    numLayers: 4,
    ropeLayers: [true, true, true, false], // every 4th layer has no position encoding
    ropeTheta: 2e6,
    tiedEmbeddings: true,
  },
  baichuan2: {
    family: 'baichuan',
    hiddenSize: 16,
    numHeads: 2,
    numKvHeads: 2,
    headDim: 8,
    vocabSize: 125696,
    normHead: true, // Baichuan2's vocabulary
    ropeTheta: 10000,
    ropeScaling: null,
    qkvBias: false,
    tiedEmbeddings: false,
    normEps: 1e-6,
  },
  'phi4-longrope': {
    family: 'phi3',
    headDim: 8,
    rotaryDim: 6, // partial_rotary_factor 0.75
    ropeScaling: {
      type: 'longrope',
      shortFactor: [1.0, 1.3, 2.1],
      longFactor: [1.5, 4.0, 11.0],
      originalMaxPositions: 8,
      attentionFactor: Math.sqrt(1 + Math.log(256 / 8) / Math.log(8)),
    },
    tiedEmbeddings: true,
    layerWindows: [262144, 262144],
  },
  'gemma3-mm': {
    family: 'gemma3',
    numLayers: 3,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    normPlacement: 'sandwich',
    qkNorm: 'head',
    activation: 'gelu_tanh', // Gemma3TextConfig's default: text_config has no hidden_activation
    normEps: 1e-6,
    attnScale: 24 ** -0.5,
    embedScale: Math.sqrt(32),
    layerWindows: [8, 8, null],
    ropeTheta: 1e6, // default
    ropeScaling: { type: 'linear', factor: 8 },
    localRope: { theta: 10000, scaling: null }, // default rope_local_base_freq
    tiedEmbeddings: true,
  },
  olmo2: {
    family: 'olmo2',
    hiddenSize: 32,
    numKvHeads: 2,
    headDim: 8,
    normPlacement: 'post',
    qkNorm: 'full',
    ropeTheta: 500000,
    tiedEmbeddings: false,
    normEps: 1e-6,
  },
  gpt2: {
    ...GPT2_ARCH,
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 4,
    headDim: 8,
    intermediateSize: 128,
    maxPositions: 64,
    normEps: 1e-5,
  },
};

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
  return out;
}

/** Columns [c0, c0 + w) of a row-major [rows, cols] matrix. */
function columns(x: Float32Array, rows: number, cols: number, c0: number, w: number): Float32Array {
  const out = new Float32Array(rows * w);
  for (let r = 0; r < rows; r++) for (let c = 0; c < w; c++) out[r * w + c] = x[r * cols + c0 + c];
  return out;
}

function checkParam(p: Param, shape: number[], what: string) {
  expect([...p.shape], what).toEqual(shape);
  expect(p.load().length, what).toBe(numel(shape));
}

describe('specFromConfig on the fixtures', () => {
  for (const v of TINY_VARIANTS) {
    it(`${v}: spec matches config.json`, () => {
      const m = tinyModel(v);
      const spec = specFromConfig(m.config);
      expect(spec).toMatchObject(EXPECTED[v]);
      const text = (m.config.text_config ?? m.config) as Record<string, unknown>; // image-text Gemma 3: nested
      expect(spec.vocabSize).toBe(text.vocab_size);
      expect(spec.eosTokenId).toBe(m.tokenizer.eosId);
    });
  }

  it('qwen2 pads vocab_size past the tokenizer; llama3 takes the first of several eos ids', () => {
    const q = tinyModel('qwen2');
    expect(specFromConfig(q.config).vocabSize).toBeGreaterThan(q.tokenizer.size);
    const l3 = tinyModel('llama3-rope');
    expect(Array.isArray(l3.config.eos_token_id)).toBe(true);
    expect(specFromConfig(l3.config).eosTokenId).toBe((l3.config.eos_token_id as number[])[0]);
  });
});

describe('weight mapping on the fixtures', () => {
  for (const v of TINY_VARIANTS) {
    it(`${v}: every role has the nn.Linear shape the spec implies and loads`, async () => {
      const { spec, weights } = await loadTinyModel(v);
      const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd, intermediateSize: I, vocabSize: V } = spec;
      checkParam(weights.embed, [V, d], 'embed');
      checkParam(weights.lmHead, [V, d], 'lmHead');
      expect(weights.lmHead === weights.embed).toBe(spec.tiedEmbeddings);
      if (spec.position === 'learned') checkParam(weights.posEmbed as Param, [spec.maxPositions, d], 'posEmbed');
      else expect(weights.posEmbed).toBeNull();
      expect(weights.layers.length).toBe(spec.numLayers);
      const lin = (l: Linear | null, out: number, inp: number, bias: boolean, what: string) => {
        expect(l, what).not.toBeNull();
        checkParam((l as Linear).weight, [out, inp], `${what}.weight`);
        if (bias) checkParam((l as Linear).bias as Param, [out], `${what}.bias`);
        else expect((l as Linear).bias, `${what}.bias`).toBeNull();
      };
      weights.layers.forEach((l, i) => {
        for (const n of [l.attnNorm, l.mlpNorm, l.attnPostNorm, l.mlpPostNorm].filter((x): x is Norm => !!x)) {
          checkParam(n.weight, [d], `layer ${i} norm`);
          expect(n.bias === null).toBe(spec.norm === 'rms');
        }
        lin(l.q, H * hd, d, spec.qkvBias, `layer ${i} q`);
        lin(l.k, Hkv * hd, d, spec.qkvBias, `layer ${i} k`);
        lin(l.v, Hkv * hd, d, spec.qkvBias, `layer ${i} v`);
        lin(l.o, d, H * hd, spec.oBias, `layer ${i} o`);
        for (const [n, heads] of [
          [l.qNorm, H],
          [l.kNorm, Hkv],
        ] as const) {
          if (spec.qkNorm)
            checkParam((n as Norm).weight, [spec.qkNorm === 'full' ? heads * hd : hd], `layer ${i} q/k norm`);
          else expect(n ?? null, `layer ${i} q/k norm`).toBeNull();
        }
        expect(!l.attnNorm && !l.mlpNorm, `layer ${i}: post-norms only`).toBe(spec.normPlacement === 'post');
        expect(!!l.attnPostNorm && !!l.mlpPostNorm, `layer ${i}: post-norms`).toBe(spec.normPlacement !== undefined);
        if (spec.mlp === 'gated') lin(l.gate, I, d, spec.mlpBias, `layer ${i} gate`);
        else expect(l.gate).toBeNull();
        lin(l.up, I, d, spec.mlpBias, `layer ${i} up`);
        lin(l.down, d, I, spec.mlpBias, `layer ${i} down`);
      });
      checkParam(weights.finalNorm.weight, [d], 'finalNorm');
    });

    it(`${v}: parameter count = config estimate = sum of used checkpoint tensors`, async () => {
      const m = await loadTinyModel(v);
      let stored = 0;
      // an image-text checkpoint's vision tower and projector are never read
      const vision = (n: string) => /^(vision_tower|multi_modal_projector)\./.test(n);
      for (const [n, t] of m.tiny.tensors) if (!vision(n)) stored += numel(t.shape);
      expect(m.parameters).toBe(stored);
      expect(parameterCounts(m.spec).total).toBe(stored);
      expect(allParams(m.weights).reduce((n, p) => n + numel(p.shape), 0)).toBe(stored);
      expect(planTensorNames(m.plan).sort()).toEqual([...m.tiny.tensors.keys()].filter((n) => !vision(n)).sort());
    });
  }

  for (const v of ['llama-gqa', 'llama3-rope', 'mistral', 'qwen2'] as const) {
    it(`${v}: each role loads the HF tensor of its name, as stored`, async () => {
      const { weights, tiny, spec } = await loadTinyModel(v, { dtype: 'bf16' });
      const t = (name: string) => (tiny.tensors.get(name) as { data: Float32Array }).data;
      expect(same(weights.embed.load(), t('model.embed_tokens.weight'))).toBe(true);
      if (!spec.tiedEmbeddings) expect(same(weights.lmHead.load(), t('lm_head.weight'))).toBe(true);
      expect(same(weights.finalNorm.weight.load(), t('model.norm.weight'))).toBe(true);
      weights.layers.forEach((l, i) => {
        const p = `model.layers.${i}`;
        expect(same((l.attnNorm as Norm).weight.load(), t(`${p}.input_layernorm.weight`))).toBe(true);
        expect(same((l.mlpNorm as Norm).weight.load(), t(`${p}.post_attention_layernorm.weight`))).toBe(true);
        for (const [role, hf] of [
          ['q', 'self_attn.q_proj'],
          ['k', 'self_attn.k_proj'],
          ['v', 'self_attn.v_proj'],
          ['o', 'self_attn.o_proj'],
          ['gate', 'mlp.gate_proj'],
          ['up', 'mlp.up_proj'],
          ['down', 'mlp.down_proj'],
        ] as const) {
          const lin = l[role] as Linear;
          expect(same(lin.weight.load(), t(`${p}.${hf}.weight`)), `${p}.${hf}`).toBe(true);
          if (lin.bias) expect(same(lin.bias.load(), t(`${p}.${hf}.bias`))).toBe(true);
        }
      });
    });
  }

  it('gemma2: the sandwich norms load as 1 + w in float32 (Gemma RMSNorm), under their own names; the rest as stored', async () => {
    const { weights, tiny, spec } = await loadTinyModel('gemma2', { dtype: 'bf16' });
    const t = (name: string) => (tiny.tensors.get(name) as { data: Float32Array }).data;
    const plusOne = (x: Float32Array) => Float32Array.from(x, (v) => v + 1);
    expect(same(weights.finalNorm.weight.load(), plusOne(t('model.norm.weight')))).toBe(true);
    expect(weights.lmHead).toBe(weights.embed);
    weights.layers.forEach((l, i) => {
      const p = `model.layers.${i}`;
      for (const [role, hf] of [
        ['attnNorm', 'input_layernorm'],
        ['attnPostNorm', 'post_attention_layernorm'],
        ['mlpNorm', 'pre_feedforward_layernorm'],
        ['mlpPostNorm', 'post_feedforward_layernorm'],
      ] as const) {
        const n = l[role] as Norm;
        expect([...n.weight.shape], role).toEqual([spec.hiddenSize]);
        expect(same(n.weight.load(), plusOne(t(`${p}.${hf}.weight`))), `${p}.${hf}`).toBe(true);
      }
      expect(same((l.q as Linear).weight.load(), t(`${p}.self_attn.q_proj.weight`))).toBe(true);
    });
    // The store's own arrays are never changed by the offset: loading twice gives the same values.
    const n0 = weights.layers[0].attnNorm as Norm;
    expect(same(n0.weight.load(), n0.weight.load())).toBe(true);
  });

  it('phi3: q, k, v are row slices of the fused qkv_proj, gate and up the halves of gate_up_proj', async () => {
    const { weights, tiny, spec } = await loadTinyModel('phi3', { dtype: 'f16' });
    const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd, intermediateSize: I } = spec;
    const t = (name: string) => (tiny.tensors.get(name) as { data: Float32Array }).data;
    weights.layers.forEach((l, i) => {
      const qkv = t(`model.layers.${i}.self_attn.qkv_proj.weight`); // [H*hd + 2*Hkv*hd, d]
      const rows = (x: Float32Array, r0: number, n: number) => x.slice(r0 * d, (r0 + n) * d);
      expect(same((l.q as Linear).weight.load(), rows(qkv, 0, H * hd))).toBe(true);
      expect(same((l.k as Linear).weight.load(), rows(qkv, H * hd, Hkv * hd))).toBe(true);
      expect(same((l.v as Linear).weight.load(), rows(qkv, H * hd + Hkv * hd, Hkv * hd))).toBe(true);
      const gu = t(`model.layers.${i}.mlp.gate_up_proj.weight`); // [2I, d]
      expect(same((l.gate as Linear).weight.load(), rows(gu, 0, I))).toBe(true);
      expect(same((l.up as Linear).weight.load(), rows(gu, I, I))).toBe(true);
    });
  });

  it('baichuan2: q, k, v are the thirds of W_pack; the lm_head rows load L2-normalized (NormHead), the embedding as stored', async () => {
    const { weights, tiny, spec } = await loadTinyModel('baichuan2', { dtype: 'bf16' });
    const d = spec.hiddenSize;
    const t = (name: string) => (tiny.tensors.get(name) as { data: Float32Array }).data;
    weights.layers.forEach((l, i) => {
      const pack = t(`model.layers.${i}.self_attn.W_pack.weight`); // [3d, d]
      [l.q, l.k, l.v].forEach((lin, j) => {
        expect(same(lin.weight.load(), pack.slice(j * d * d, (j + 1) * d * d)), `layer ${i} part ${j}`).toBe(true);
      });
    });
    expect(same(weights.embed.load(), t('model.embed_tokens.weight'))).toBe(true);
    // NormHead, in float64 here: w / max(||w||, 1e-12) per row, then rounded to float32
    const stored = t('lm_head.weight');
    const head = weights.lmHead.load();
    let maxDiff = 0;
    let maxNormErr = 0;
    for (let r = 0; r < spec.vocabSize; r++) {
      let ss = 0;
      for (let c = 0; c < d; c++) ss += stored[r * d + c] ** 2;
      const n = Math.max(Math.sqrt(ss), 1e-12);
      let hs = 0;
      for (let c = 0; c < d; c++) {
        maxDiff = Math.max(maxDiff, Math.abs(head[r * d + c] - stored[r * d + c] / n));
        hs += head[r * d + c] ** 2;
      }
      maxNormErr = Math.max(maxNormErr, Math.abs(Math.sqrt(hs) - 1));
    }
    expect(maxDiff).toBeLessThan(1e-7); // float32 rounding of values below 1
    expect(maxNormErr).toBeLessThan(1e-6);
    expect(same(head, stored)).toBe(false); // stored rows are not unit rows: the normalization did something
    // Baichuan 1 (vocabulary 64000): the lm_head as stored
    const v1 = specFromConfig({ ...tiny.config, vocab_size: 64000 });
    expect(v1.normHead).toBeUndefined();
  });

  for (const prefix of ['language_model.model.', 'model.language_model.']) {
    it(`gemma3-mm (weights under ${prefix}*): the language model loads, the vision tower is never read`, async () => {
      const { weights, tiny, store, spec } = await loadTinyModel('gemma3-mm', { prefix });
      const t = (name: string) => (tiny.tensors.get(name) as { data: Float32Array }).data;
      expect(same(weights.embed.load(), t(`${prefix}embed_tokens.weight`))).toBe(true);
      expect(weights.lmHead).toBe(weights.embed);
      expect(same((weights.layers[2].q as Linear).weight.load(), t(`${prefix}layers.2.self_attn.q_proj.weight`))).toBe(
        true,
      );
      expect(store.names().filter((n) => n.startsWith('vision_tower.')).length).toBeGreaterThan(0);
      expect(spec.numLayers).toBe(3);
    });
  }

  for (const prefix of ['', 'transformer.']) {
    it(`gpt2 (prefix "${prefix}"): q, k, v are the transposed column slices of the fused c_attn; Conv1D weights transposed`, async () => {
      const { weights, tiny, spec } = await loadTinyModel('gpt2', { prefix, dtype: 'f16' });
      const d = spec.hiddenSize;
      const I = spec.intermediateSize;
      const t = (name: string) => (tiny.tensors.get(prefix + name) as { data: Float32Array }).data;
      expect(same(weights.embed.load(), t('wte.weight'))).toBe(true);
      expect(weights.lmHead).toBe(weights.embed);
      expect(same((weights.posEmbed as Param).load(), t('wpe.weight'))).toBe(true);
      expect(same(weights.finalNorm.weight.load(), t('ln_f.weight'))).toBe(true);
      expect(same((weights.finalNorm.bias as Param).load(), t('ln_f.bias'))).toBe(true);
      weights.layers.forEach((l, i) => {
        const p = `h.${i}`;
        const cAttn = t(`${p}.attn.c_attn.weight`); // [d, 3d] = [in, out]
        const cAttnBias = t(`${p}.attn.c_attn.bias`);
        [l.q, l.k, l.v].forEach((lin, j) => {
          expect(same(lin.weight.load(), transpose(columns(cAttn, d, 3 * d, j * d, d), d, d)), `${p} qkv ${j}`).toBe(
            true,
          );
          expect(same((lin.bias as Param).load(), cAttnBias.slice(j * d, (j + 1) * d))).toBe(true);
        });
        // y = x @ W_conv1d + b  ==  x @ W_linear^T + b: check on a row vector too
        const x = Float32Array.from({ length: d }, (_, k) => Math.sin(k + 1));
        const q = l.q.weight.load();
        for (let o = 0; o < d; o++) {
          let viaFused = 0;
          let viaLinear = 0;
          for (let k = 0; k < d; k++) {
            viaFused += x[k] * cAttn[k * 3 * d + o];
            viaLinear += x[k] * q[o * d + k];
          }
          expect(viaLinear).toBeCloseTo(viaFused, 6);
        }
        expect(same(l.o.weight.load(), transpose(t(`${p}.attn.c_proj.weight`), d, d))).toBe(true);
        expect(same((l.o.bias as Param).load(), t(`${p}.attn.c_proj.bias`))).toBe(true);
        expect(same(l.up.weight.load(), transpose(t(`${p}.mlp.c_fc.weight`), d, I))).toBe(true);
        expect(same((l.up.bias as Param).load(), t(`${p}.mlp.c_fc.bias`))).toBe(true);
        expect(same(l.down.weight.load(), transpose(t(`${p}.mlp.c_proj.weight`), I, d))).toBe(true);
        expect(same((l.down.bias as Param).load(), t(`${p}.mlp.c_proj.bias`))).toBe(true);
        expect(same((l.attnNorm as Norm).weight.load(), t(`${p}.ln_1.weight`))).toBe(true);
        expect(same(((l.mlpNorm as Norm).bias as Param).load(), t(`${p}.ln_2.bias`))).toBe(true);
      });
    });
  }

  it('llama-like checkpoints without the "model." prefix load too', async () => {
    const { weights, tiny, plan } = await loadTinyModel('llama-gqa', { prefix: '' });
    expect(plan.embed.name).toBe('embed_tokens.weight');
    expect(
      same(
        weights.layers[1].k.weight.load(),
        (tiny.tensors.get('layers.1.self_attn.k_proj.weight') as { data: Float32Array }).data,
      ),
    ).toBe(true);
  });

  for (const dtype of ['f32', 'f16', 'bf16'] as const) {
    it(`loads ${dtype} weights to the exact stored values`, async () => {
      const { weights, tiny, store } = await loadTinyModel('qwen2', { dtype });
      expect(store.info('model.layers.0.self_attn.q_proj.bias').dtype).toBe(
        { f32: 'F32', f16: 'F16', bf16: 'BF16' }[dtype],
      );
      expect(
        same(
          weights.layers[0].q.bias?.load() as Float32Array,
          (tiny.tensors.get('model.layers.0.self_attn.q_proj.bias') as { data: Float32Array }).data,
        ),
      ).toBe(true);
    });
  }
});

describe('configs of real checkpoints (values from their config.json)', () => {
  const llama32_1b = {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    bos_token_id: 128000,
    eos_token_id: [128001, 128008, 128009],
    head_dim: 64,
    hidden_act: 'silu',
    hidden_size: 2048,
    intermediate_size: 8192,
    max_position_embeddings: 131072,
    mlp_bias: false,
    model_type: 'llama',
    num_attention_heads: 32,
    num_hidden_layers: 16,
    num_key_value_heads: 8,
    rms_norm_eps: 1e-5,
    rope_scaling: {
      factor: 32.0,
      high_freq_factor: 4.0,
      low_freq_factor: 1.0,
      original_max_position_embeddings: 8192,
      rope_type: 'llama3',
    },
    rope_theta: 500000.0,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    vocab_size: 128256,
  };
  const gpt2Small = {
    activation_function: 'gelu_new',
    architectures: ['GPT2LMHeadModel'],
    bos_token_id: 50256,
    eos_token_id: 50256,
    layer_norm_epsilon: 1e-5,
    model_type: 'gpt2',
    n_ctx: 1024,
    n_embd: 768,
    n_head: 12,
    n_layer: 12,
    n_positions: 1024,
    vocab_size: 50257,
  };
  const qwen25_05b = {
    architectures: ['Qwen2ForCausalLM'],
    bos_token_id: 151643,
    eos_token_id: 151643,
    hidden_act: 'silu',
    hidden_size: 896,
    intermediate_size: 4864,
    max_position_embeddings: 32768,
    model_type: 'qwen2',
    num_attention_heads: 14,
    num_hidden_layers: 24,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000.0,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    vocab_size: 151936,
  };
  const phiConfigBase = {
    model_type: 'phi3',
    hidden_size: 3072,
    intermediate_size: 8192,
    num_attention_heads: 24,
    num_hidden_layers: 2,
    num_key_value_heads: 8,
    max_position_embeddings: 131072,
    vocab_size: 200064,
  };
  // Qwen3-0.6B's config.json (the keys that matter).
  const qwen3_06b = {
    architectures: ['Qwen3ForCausalLM'],
    attention_bias: false,
    bos_token_id: 151643,
    eos_token_id: 151645,
    head_dim: 128,
    hidden_act: 'silu',
    hidden_size: 1024,
    intermediate_size: 3072,
    max_position_embeddings: 40960,
    model_type: 'qwen3',
    num_attention_heads: 16,
    num_hidden_layers: 28,
    num_key_value_heads: 8,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 1000000,
    sliding_window: null,
    tie_word_embeddings: true,
    torch_dtype: 'bfloat16',
    use_sliding_window: false,
    vocab_size: 151936,
  };
  // gemma-2-2b's config.json (the keys that matter).
  const gemma2_2b = {
    architectures: ['Gemma2ForCausalLM'],
    attn_logit_softcapping: 50.0,
    bos_token_id: 2,
    eos_token_id: 1,
    final_logit_softcapping: 30.0,
    head_dim: 256,
    hidden_act: 'gelu_pytorch_tanh',
    hidden_activation: 'gelu_pytorch_tanh',
    hidden_size: 2304,
    intermediate_size: 9216,
    max_position_embeddings: 8192,
    model_type: 'gemma2',
    num_attention_heads: 8,
    num_hidden_layers: 26,
    num_key_value_heads: 4,
    query_pre_attn_scalar: 256,
    rms_norm_eps: 1e-6,
    rope_theta: 10000.0,
    sliding_window: 4096,
    torch_dtype: 'float32',
    vocab_size: 256000,
  };
  const smollm2_135m = {
    architectures: ['LlamaForCausalLM'],
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: 'silu',
    hidden_size: 576,
    intermediate_size: 1536,
    max_position_embeddings: 8192,
    model_type: 'llama',
    num_attention_heads: 9,
    num_hidden_layers: 30,
    num_key_value_heads: 3,
    rms_norm_eps: 1e-5,
    rope_theta: 100000,
    tie_word_embeddings: true,
    vocab_size: 49152,
  };
  const mistral7b = {
    architectures: ['MistralForCausalLM'],
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: 'silu',
    hidden_size: 4096,
    intermediate_size: 14336,
    max_position_embeddings: 32768,
    model_type: 'mistral',
    num_attention_heads: 32,
    num_hidden_layers: 32,
    num_key_value_heads: 8,
    rms_norm_eps: 1e-5,
    rope_theta: 10000.0,
    sliding_window: 4096,
    tie_word_embeddings: false,
    vocab_size: 32000,
  };

  it('parameter counts match the published ones', () => {
    expect(parameterCounts(specFromConfig(llama32_1b)).total).toBe(1_235_814_400);
    expect(parameterCounts(specFromConfig(gpt2Small)).total).toBe(124_439_808);
    expect(parameterCounts(specFromConfig(qwen25_05b)).total).toBe(494_032_768);
    // Qwen3-0.6B by hand: embedding 151936*1024 = 155,582,464 (tied); per layer q 1024*2048 + k, v
    // 1024*1024 each + o 2048*1024 + q_norm, k_norm 128 each + two norms 1024 each + MLP 3*1024*3072
    // = 15,730,944, x28 = 440,466,432; final norm 1024: 596,049,920 (the model card's 0.6B, 0.44B
    // without the embedding).
    // gemma-2-2b by hand: embedding 256000*2304 = 589,824,000 (tied); per layer q, o 2304*2048 each, k, v
    // 2304*1024 each, four norms of 2304, MLP 3*2304*9216 = 77,865,984, x26; final norm 2304:
    // 2,614,341,888 (the model card's 2.6B).
    const g2 = specFromConfig(gemma2_2b);
    expect(g2).toMatchObject({
      family: 'gemma2',
      headDim: 256,
      activation: 'gelu_tanh',
      normPlacement: 'sandwich',
      attnScale: 1 / 16,
      attnSoftcap: 50,
      finalSoftcap: 30,
      embedScale: 48,
      tiedEmbeddings: true,
      eosTokenId: 1,
    });
    expect(g2.layerWindows?.slice(0, 4)).toEqual([4096, null, 4096, null]);
    expect(parameterCounts(g2).total).toBe(2_614_341_888);
    expect(specFromConfig({ ...gemma2_2b, attn_logit_softcapping: null, sliding_window: null })).not.toHaveProperty(
      'attnSoftcap',
    );
    expect(() => specFromConfig({ ...gemma2_2b, layer_types: ['full_attention'] })).toThrow(/layer_types must list/);
    // OLMo-2-0425-1B by hand (vocab 100352, d 2048, 16 layers, 16 heads, I 8192, untied): embedding and
    // lm_head 205,520,896 each; per layer q, k, v, o 2048*2048 each + q_norm, k_norm 2048 each + two
    // post-norms 2048 each + MLP 3*2048*8192 = 67,117,056, x16; final norm 2048: 1,484,916,736 (1.48B).
    const o2 = specFromConfig({
      architectures: ['Olmo2ForCausalLM'],
      eos_token_id: 100257,
      hidden_size: 2048,
      intermediate_size: 8192,
      max_position_embeddings: 4096,
      model_type: 'olmo2',
      num_attention_heads: 16,
      num_hidden_layers: 16,
      num_key_value_heads: 16,
      rms_norm_eps: 1e-6,
      rope_theta: 500000,
      tie_word_embeddings: false,
      vocab_size: 100352,
    });
    expect(o2).toMatchObject({
      family: 'olmo2',
      normPlacement: 'post',
      qkNorm: 'full',
      headDim: 128,
      tiedEmbeddings: false,
    });
    expect(parameterCounts(o2).total).toBe(1_484_916_736);
    // gemma-3-1b by hand (vocab 262144, d 1152, 26 layers, 4 heads, 1 kv head, hd 256, I 6912, tied):
    // embedding 301,989,888; per layer q, o 1152*1024 each, k, v 1152*256 each, q/k norms 256 each, four
    // norms 1152 each, MLP 3*1152*6912 = 26,842,112, x26; final norm 1152: 999,885,952 (the model card's 1B).
    const g3 = specFromConfig({
      architectures: ['Gemma3ForCausalLM'],
      attn_logit_softcapping: null,
      bos_token_id: 2,
      eos_token_id: [1, 106],
      final_logit_softcapping: null,
      head_dim: 256,
      hidden_activation: 'gelu_pytorch_tanh',
      hidden_size: 1152,
      intermediate_size: 6912,
      max_position_embeddings: 32768,
      model_type: 'gemma3_text',
      num_attention_heads: 4,
      num_hidden_layers: 26,
      num_key_value_heads: 1,
      query_pre_attn_scalar: 256,
      rms_norm_eps: 1e-6,
      rope_local_base_freq: 10000,
      rope_scaling: null,
      rope_theta: 1000000,
      sliding_window: 512,
      sliding_window_pattern: 6,
      vocab_size: 262144,
    });
    expect(g3).toMatchObject({
      family: 'gemma3',
      qkNorm: 'head',
      localRope: { theta: 10000, scaling: null },
      ropeTheta: 1e6,
      eosTokenId: 1,
    });
    expect(g3).not.toHaveProperty('attnSoftcap');
    expect(g3).not.toHaveProperty('finalSoftcap');
    expect(g3.layerWindows?.slice(0, 6)).toEqual([512, 512, 512, 512, 512, null]);
    expect(parameterCounts(g3).total).toBe(999_885_952);
    // Phi-3-mini-4k by hand (vocab 32064, d 3072, 32 layers of 32 heads, hd 96, I 8192, untied): embedding
    // and lm_head 98,500,608 each; per layer qkv_proj 9216*3072, o 3072*3072, gate_up 16384*3072, down
    // 3072*8192, two norms = 113,252,352, x32; final norm: 3,821,079,552 (3.8B).
    const phi = specFromConfig({
      architectures: ['Phi3ForCausalLM'],
      bos_token_id: 1,
      eos_token_id: 32000,
      hidden_act: 'silu',
      hidden_size: 3072,
      intermediate_size: 8192,
      max_position_embeddings: 4096,
      model_type: 'phi3',
      num_attention_heads: 32,
      num_hidden_layers: 32,
      num_key_value_heads: 32,
      original_max_position_embeddings: 4096,
      rms_norm_eps: 1e-5,
      rope_scaling: null,
      rope_theta: 10000.0,
      sliding_window: 2047,
      tie_word_embeddings: false,
      vocab_size: 32064,
    });
    expect(phi).toMatchObject({ family: 'phi3', headDim: 96, tiedEmbeddings: false });
    expect(phi).not.toHaveProperty('rotaryDim');
    expect(phi.layerWindows?.[31]).toBe(2047);
    expect(parameterCounts(phi).total).toBe(3_821_079_552);
    // Phi-4-mini's partial rotary: 0.75 of head_dim 128.
    expect(specFromConfig({ ...phiConfigBase, partial_rotary_factor: 0.75 }).rotaryDim).toBe(96);
    expect(() => specFromConfig({ ...phiConfigBase, partial_rotary_factor: 0.2 })).toThrow(/partial_rotary_factor/); // 25.6 -> 25, odd
    // LongRoPE needs one factor per rotated frequency (64 for head_dim 128): a wrong count is refused by name
    expect(() =>
      specFromConfig({ ...phiConfigBase, rope_scaling: { type: 'longrope', short_factor: [1], long_factor: [1] } }),
    ).toThrow(/rope_scaling.short_factor has 1 factors; the 128 rotated values of a head need 64/);
    const q3 = specFromConfig(qwen3_06b);
    expect(q3).toMatchObject({
      family: 'qwen3',
      headDim: 128,
      qkNorm: 'head',
      qkvBias: false,
      oBias: false,
      eosTokenId: 151645,
    });
    expect(parameterCounts(q3)).toEqual({ attn: 6_293_760 - 2048 + 1024, mlp: 9_437_184 + 1024, total: 596_049_920 });
    expect(parameterCounts(specFromConfig(smollm2_135m)).total).toBe(134_515_008);
    expect(parameterCounts(specFromConfig(mistral7b)).total).toBe(7_241_732_096);
  });

  it('Baichuan: W_pack, NormHead by vocabulary size, ALiBi (13B) refused; counts match the published ones', () => {
    // Baichuan2-7B-Base's config.json (the keys that matter): no rope_theta, no num_key_value_heads.
    const baichuan2_7b = {
      architectures: ['BaichuanForCausalLM'],
      bos_token_id: 1,
      eos_token_id: 2,
      hidden_act: 'silu',
      hidden_size: 4096,
      intermediate_size: 11008,
      max_position_embeddings: 4096,
      model_max_length: 4096,
      model_type: 'baichuan',
      num_attention_heads: 32,
      num_hidden_layers: 32,
      pad_token_id: 0,
      rms_norm_eps: 1e-6,
      tie_word_embeddings: false,
      vocab_size: 125696,
    };
    const b2 = specFromConfig(baichuan2_7b);
    expect(b2).toMatchObject({ family: 'baichuan', headDim: 128, numKvHeads: 32, normHead: true, ropeTheta: 10000 });
    // By hand: embedding and lm_head 125696*4096 = 514,850,816 each; per layer W_pack 3*4096*4096 + o_proj
    // 4096*4096 + MLP 3*4096*11008 + two norms = 202,383,360, x32; final norm 4096: 7,505,973,248 (7.5B).
    expect(parameterCounts(b2).total).toBe(7_505_973_248);
    // Baichuan-7B (v1): BaiChuanForCausalLM, vocabulary 64000, no NormHead: 7,000,559,616 (7B).
    const b1 = specFromConfig({ ...baichuan2_7b, architectures: ['BaiChuanForCausalLM'], vocab_size: 64000 });
    expect(b1).not.toHaveProperty('normHead');
    expect(parameterCounts(b1).total).toBe(7_000_559_616);
    const { model_type: _mt, ...noType } = baichuan2_7b;
    expect(familyFor({ ...noType, architectures: ['BaiChuanForCausalLM'] }).name).toBe('baichuan');
    // The modeling file hard-codes RoPE's base; a rope_theta in config.json changes nothing.
    expect(specFromConfig({ ...baichuan2_7b, rope_theta: 5e5 }).ropeTheta).toBe(10000);
    // Baichuan2-13B / Baichuan-13B: ALiBi, model_max_length instead of max_position_embeddings, d 5120.
    const { max_position_embeddings: _mp, ...b13 } = { ...baichuan2_7b, hidden_size: 5120, num_attention_heads: 40 };
    expect(() => specFromConfig(b13)).toThrow(UnsupportedArchitectureError);
    expect(() => specFromConfig(b13)).toThrow(/ALiBi/);
    expect(() => specFromConfig({ ...b13, max_position_embeddings: 4096 })).toThrow(/13B one, which uses ALiBi/);
    expect(() => specFromConfig({ ...baichuan2_7b, num_key_value_heads: 8 })).toThrow(/W_pack/);
  });

  it('LongRoPE: Phi-3.5-mini and Phi-4-mini (partial rotary, tied) read; counts match the published ones', () => {
    const factors = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
    // Phi-3.5-mini-instruct: 48 factors per list (head_dim 96), max 131072, original 4096.
    const phi35 = {
      architectures: ['Phi3ForCausalLM'],
      bos_token_id: 1,
      eos_token_id: 32000,
      hidden_size: 3072,
      intermediate_size: 8192,
      max_position_embeddings: 131072,
      model_type: 'phi3',
      num_attention_heads: 32,
      num_hidden_layers: 32,
      num_key_value_heads: 32,
      original_max_position_embeddings: 4096,
      rms_norm_eps: 1e-5,
      rope_scaling: {
        long_factor: factors(48, (i) => 1 + i),
        short_factor: factors(48, (i) => 1 + i / 100),
        type: 'longrope',
      },
      rope_theta: 10000.0,
      sliding_window: 262144,
      tie_word_embeddings: false,
      vocab_size: 32064,
    };
    const s35 = specFromConfig(phi35);
    const rs = s35.ropeScaling;
    expect(rs?.type).toBe('longrope');
    if (rs?.type !== 'longrope') throw new Error('not longrope');
    expect(rs.originalMaxPositions).toBe(4096);
    // factor 131072 / 4096 = 32; ln 32 / ln 4096 = 5/12 exactly
    expect(rs.attentionFactor).toBeCloseTo(Math.sqrt(17 / 12), 14);
    expect(rs.shortFactor).toHaveLength(48);
    expect(parameterCounts(s35).total).toBe(3_821_079_552); // Phi-3-mini's body: 3.8B
    // the old name "su", and an attention_factor given in config.json wins
    expect(specFromConfig({ ...phi35, rope_scaling: { ...phi35.rope_scaling, type: 'su' } }).ropeScaling).toEqual(rs);
    const given = specFromConfig({ ...phi35, rope_scaling: { ...phi35.rope_scaling, attention_factor: 1.25 } });
    expect(given.ropeScaling).toMatchObject({ attentionFactor: 1.25 });
    // Phi-4-mini: head_dim 128, partial_rotary_factor 0.75 -> 96 rotated values, 48 factors; tied.
    // By hand: embedding 200064*3072 = 614,596,608 (tied); per layer qkv_proj 5120*3072, o 3072*3072,
    // gate_up 16384*3072, down 3072*8192, two norms = 100,669,440, x32; final norm: 3,836,021,760 (3.8B).
    const phi4 = specFromConfig({
      ...phi35,
      hidden_size: 3072,
      num_attention_heads: 24,
      num_key_value_heads: 8,
      partial_rotary_factor: 0.75,
      tie_word_embeddings: true,
      vocab_size: 200064,
      bos_token_id: 199999,
      eos_token_id: 199999,
    });
    expect(phi4).toMatchObject({ headDim: 128, rotaryDim: 96, tiedEmbeddings: true });
    expect(parameterCounts(phi4).total).toBe(3_836_021_760);
    expect(() =>
      specFromConfig({
        ...phi35,
        partial_rotary_factor: 0.75, // 72 of 96 rotate: 36 factors needed, 48 given
      }),
    ).toThrow(/short_factor has 48 factors; the 72 rotated values of a head need 36/);
    // LongRoPE is read for phi3 only; yarn and dynamic stay refused everywhere
    expect(() => specFromConfig({ ...llama32_1b, rope_scaling: phi35.rope_scaling })).toThrow(
      /"longrope" is not supported for this model_type/,
    );
    expect(() => specFromConfig({ ...phi35, rope_scaling: { type: 'yarn', factor: 4 } })).toThrow(
      UnsupportedArchitectureError,
    );
  });

  it('Gemma 3 image-text (gemma3, text_config nested): the text model, Gemma3TextConfig defaults; count by hand', () => {
    // gemma-3-4b-it's config.json (the keys that matter): text_config omits heads, head_dim, vocab, eps, ...
    const g34 = {
      architectures: ['Gemma3ForConditionalGeneration'],
      boi_token_index: 255999,
      eoi_token_index: 256000,
      eos_token_id: [1, 106],
      image_token_index: 262144,
      initializer_range: 0.02,
      mm_tokens_per_image: 256,
      model_type: 'gemma3',
      text_config: {
        hidden_size: 2560,
        intermediate_size: 10240,
        model_type: 'gemma3_text',
        num_hidden_layers: 34,
        rope_scaling: { factor: 8.0, rope_type: 'linear' },
        sliding_window: 1024,
      },
      vision_config: { hidden_size: 1152, model_type: 'siglip_vision_model', num_hidden_layers: 27 },
    };
    const s = specFromConfig(g34);
    expect(s).toMatchObject({
      family: 'gemma3',
      vocabSize: 262208,
      numHeads: 8,
      numKvHeads: 4,
      headDim: 256,
      eosTokenId: 1,
      ropeTheta: 1e6,
      ropeScaling: { type: 'linear', factor: 8 },
      localRope: { theta: 10000, scaling: null },
      tiedEmbeddings: true,
    });
    expect(s.layerWindows?.slice(0, 6)).toEqual([1024, 1024, 1024, 1024, 1024, null]);
    // By hand (the language model only): embedding 262208*2560 = 671,252,480 (tied); per layer q, o
    // 2560*2048 each, k, v 2560*1024 each, q/k norms 256 each, four norms 2560 each, MLP 3*2560*10240
    // = 94,382,592, x34; final norm 2560: 3,880,263,168 (the 4B's 3.88B language model; SigLIP adds 0.42B).
    expect(parameterCounts(s).total).toBe(3_880_263_168);
    expect(() => specFromConfig({ ...g34, text_config: null })).toThrow(/text_config/);
  });

  it('normalizes keys and applies family defaults', () => {
    const l = specFromConfig(llama32_1b);
    expect(l).toMatchObject({ eosTokenId: 128001, bosTokenId: 128000, headDim: 64, tiedEmbeddings: true });
    expect(l.ropeScaling).toEqual({
      type: 'llama3',
      factor: 32,
      lowFreqFactor: 1,
      highFreqFactor: 4,
      originalMaxPositions: 8192,
    });
    const g = specFromConfig(gpt2Small);
    expect(g).toMatchObject({
      intermediateSize: 3072,
      headDim: 64,
      maxPositions: 1024,
      activation: 'gelu_tanh',
      normEps: 1e-5,
      tiedEmbeddings: true,
    });
    const s = specFromConfig(smollm2_135m);
    expect(s).toMatchObject({ headDim: 64, ropeTheta: 100000, tiedEmbeddings: true });
    // keys absent -> the transformers config class defaults
    const bare = {
      model_type: 'llama',
      hidden_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      intermediate_size: 128,
      vocab_size: 100,
      max_position_embeddings: 64,
    };
    expect(specFromConfig(bare)).toMatchObject({
      numKvHeads: 4,
      headDim: 16,
      ropeTheta: 10000,
      normEps: 1e-6,
      tiedEmbeddings: false,
      bosTokenId: 1,
      eosTokenId: 2,
      activation: 'silu',
    });
    // rope_type "default" and the transformers 5 rope_parameters spelling
    expect(specFromConfig({ ...bare, rope_scaling: { rope_type: 'default' } }).ropeScaling).toBeNull();
    expect(specFromConfig({ ...bare, rope_scaling: { type: 'linear', factor: 2 } }).ropeScaling).toEqual({
      type: 'linear',
      factor: 2,
    });
    expect(specFromConfig({ ...bare, rope_parameters: { rope_type: 'default', rope_theta: 250000 } }).ropeTheta).toBe(
      250000,
    );
    // a llama with attention_bias puts a bias on q, k, v and o
    expect(specFromConfig({ ...bare, attention_bias: true })).toMatchObject({
      qkvBias: true,
      oBias: true,
      mlpBias: false,
    });
    // the architectures list identifies the family when model_type is absent
    const { model_type: _, ...noType } = mistral7b;
    expect(familyFor(noType).name).toBe('mistral');
  });

  it('unsupported model_type -> UnsupportedArchitectureError listing the supported ones', () => {
    let err: unknown;
    try {
      specFromConfig({ model_type: 'phi4mm', hidden_size: 8 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedArchitectureError);
    const msg = (err as Error).message;
    expect(msg).toContain('phi4mm');
    for (const t of [
      'llama',
      'mistral',
      'qwen2',
      'qwen3',
      'granite',
      'smollm3',
      'gemma2',
      'gemma3_text',
      'olmo2',
      'phi3',
      'baichuan',
      'gpt2',
    ])
      expect(msg).toContain(t);
    expect(SUPPORTED_MODEL_TYPES).toEqual([
      'llama',
      'mistral',
      'qwen2',
      'qwen3',
      'granite',
      'smollm3',
      'gemma2',
      'gemma3_text',
      'gemma3',
      'olmo2',
      'phi3',
      'baichuan',
      'gpt2',
    ]);
    expect(() => specFromConfig({ hidden_size: 8 })).toThrow(UnsupportedArchitectureError);
  });

  it('unsupported rope scaling, activation or GPT-2 attention scaling -> UnsupportedArchitectureError', () => {
    expect(() => specFromConfig({ ...llama32_1b, rope_scaling: { rope_type: 'yarn', factor: 4 } })).toThrow(
      /yarn.*default, linear, llama3/,
    );
    expect(() => specFromConfig({ ...llama32_1b, hidden_act: 'relu2' })).toThrow(UnsupportedArchitectureError);
    expect(() => specFromConfig({ ...gpt2Small, scale_attn_by_inverse_layer_idx: true })).toThrow(
      UnsupportedArchitectureError,
    );
  });

  it('invalid configs -> ConfigError naming the key', () => {
    const { hidden_size: _, ...noHidden } = qwen25_05b;
    expect(() => specFromConfig(noHidden)).toThrow(ConfigError);
    expect(() => specFromConfig(noHidden)).toThrow(/hidden_size/);
    expect(() => specFromConfig({ ...qwen25_05b, num_key_value_heads: 3 })).toThrow(/multiple of num_key_value_heads/);
    expect(() => specFromConfig({ ...qwen25_05b, num_attention_heads: 13, num_key_value_heads: 13 })).toThrow(
      /not divisible/,
    );
    expect(() => specFromConfig({ ...qwen25_05b, vocab_size: '151936' })).toThrow(
      /vocab_size must be a positive integer/,
    );
    expect(() => specFromConfig({ ...qwen25_05b, eos_token_id: null })).toThrow(/eos_token_id/);
    expect(specFromConfig({ ...qwen25_05b, eos_token_id: null }, { eosTokenId: 7 }).eosTokenId).toBe(7);
    expect(() => specFromConfig({ ...llama32_1b, rope_scaling: { rope_type: 'llama3', factor: 8 } })).toThrow(
      /low_freq_factor/,
    );
    expect(() => specFromConfig([1, 2])).toThrow(ConfigError);
  });

  it('estimates sizes from the spec alone', () => {
    const e = estimateModelSize(specFromConfig(llama32_1b), { bytesPerParam: 2 });
    expect(e.parameters).toBe(1_235_814_400);
    expect(e.float32Bytes).toBe(4 * 1_235_814_400);
    expect(e.storedBytes).toBe(2 * 1_235_814_400);
    expect(e.largestTensor).toEqual({ role: 'embed', shape: [128256, 2048], float32Bytes: 128256 * 2048 * 4 });
  });
});
