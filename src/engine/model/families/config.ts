/**
 * config.json keys, normalized once. Hugging Face configs spell the same thing several ways
 * (hidden_size / n_embd, num_hidden_layers / n_layer, rms_norm_eps / layer_norm_epsilon, ...); this
 * module reads all of them and applies the transformers config class defaults a family declares.
 */
import { ConfigError, UnsupportedArchitectureError } from '../../errors';
import type { ModelSpec, RopeScaling } from '../spec';
import type { FamilyDefaults, RawConfig } from './types';

export interface NormalizedConfig {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** null when the config gives none (gpt2: n_inner null means 4 * d). */
  intermediateSize: number | null;
  maxPositions: number;
  normEps: number;
  activation: ModelSpec['activation'];
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  tiedEmbeddings: boolean;
  bosTokenId: number | null;
  eosTokenId: number;
}

/**
 * A config value as written in a message. JSON has no infinity, but JSON.parse reads a number past the
 * double range (1e400) as Infinity, which JSON.stringify would print as "null".
 */
export function show(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v))
    return Number.isNaN(v) ? 'NaN' : `a number too large to represent (${v > 0 ? '' : '-'}1e400 or so; read as ${v})`;
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 200 ? `${s.slice(0, 200)}...` : s;
}

const has = (c: RawConfig, k: string) => Object.hasOwn(c, k) && c[k] !== null && c[k] !== undefined;

function first(c: RawConfig, keys: readonly string[]): { key: string; value: unknown } | null {
  for (const key of keys) if (has(c, key)) return { key, value: c[key] };
  return null;
}

/**
 * Upper bounds of config sizes, far past any released model (Llama 3.1 405B: 126 layers, d=16384,
 * 128k vocabulary): a config past them is damaged, and refusing it here keeps the loader from planning
 * (or allocating for) a billion layers before the weights can say otherwise.
 */
export const CONFIG_BOUNDS = {
  num_hidden_layers: 4096,
  hidden_size: 1 << 18,
  num_attention_heads: 1 << 14,
  num_key_value_heads: 1 << 14,
  head_dim: 1 << 14,
  intermediate_size: 1 << 21,
  vocab_size: 1 << 24,
  max_position_embeddings: 2 ** 31 - 1,
} as const;
type BoundKey = keyof typeof CONFIG_BOUNDS;

/** The first present key as a positive integer; ConfigError naming the keys when absent or invalid. */
export function positiveInt(c: RawConfig, keys: readonly string[], fallback?: number, bound?: BoundKey): number {
  const f = first(c, keys);
  if (!f) {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(`config.json has no ${keys.join(' / ')}; it is needed to build the model.`, { keys });
  }
  if (typeof f.value !== 'number' || !Number.isInteger(f.value) || f.value <= 0) {
    throw new ConfigError(`config.json: ${f.key} must be a positive integer, got ${show(f.value)}.`, {
      key: f.key,
    });
  }
  if (bound !== undefined && f.value > CONFIG_BOUNDS[bound])
    throw new ConfigError(
      `config.json: ${f.key} is ${f.value}, more than DropLab accepts (${CONFIG_BOUNDS[bound]}; far past any released model). Is config.json damaged?`,
      { key: f.key, value: f.value, max: CONFIG_BOUNDS[bound] },
    );
  return f.value;
}

export function positiveNumber(c: RawConfig, keys: readonly string[], fallback: number): number {
  const f = first(c, keys);
  if (!f) return fallback;
  if (typeof f.value !== 'number' || !(f.value > 0) || !Number.isFinite(f.value)) {
    throw new ConfigError(`config.json: ${f.key} must be a positive number, got ${show(f.value)}.`, {
      key: f.key,
    });
  }
  return f.value;
}

export function bool(c: RawConfig, key: string, fallback: boolean): boolean {
  if (!has(c, key)) return fallback;
  if (typeof c[key] !== 'boolean')
    throw new ConfigError(`config.json: ${key} must be true or false, got ${show(c[key])}.`, { key });
  return c[key] as boolean;
}

/** A token id, or the first of a list of them (eos_token_id may list several). */
function tokenId(c: RawConfig, key: string, fallback: number | null): number | null {
  if (!Object.hasOwn(c, key)) return fallback;
  const v = c[key];
  if (v === null || v === undefined) return null;
  const id = Array.isArray(v) ? v[0] : v;
  if (id === undefined) return null;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
    throw new ConfigError(`config.json: ${key} must be a token id or a list of them, got ${show(v)}.`, {
      key,
    });
  }
  return id;
}

/** HF activation names -> ModelSpec activations. */
const ACTIVATIONS: Record<string, ModelSpec['activation']> = {
  silu: 'silu',
  swish: 'silu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu: 'gelu',
};

export function activation(name: unknown, key: string): ModelSpec['activation'] {
  const a = typeof name === 'string' ? ACTIVATIONS[name] : undefined;
  if (!a) {
    throw new UnsupportedArchitectureError(
      `config.json: ${key} ${show(name)} is not supported; supported activations: ${Object.keys(ACTIVATIONS).join(', ')}.`,
      { key, value: name },
    );
  }
  return a;
}

const ROPE_TYPES = ['default', 'linear', 'llama3'];

/**
 * rope_theta and rope_scaling (transformers <= 4.x), or rope_parameters (transformers 5). `longrope`:
 * the family reads LongRoPE (rope type "longrope", formerly "su"), whose factors' length it checks itself.
 */
export function rope(
  c: RawConfig,
  defaultTheta: number,
  longrope = false,
): { theta: number; scaling: RopeScaling | null } {
  const params = (
    has(c, 'rope_parameters') && typeof c.rope_parameters === 'object' ? c.rope_parameters : null
  ) as RawConfig | null;
  const theta = has(c, 'rope_theta')
    ? positiveNumber(c, ['rope_theta'], defaultTheta)
    : params
      ? positiveNumber(params, ['rope_theta'], defaultTheta)
      : defaultTheta;
  const rs = (has(c, 'rope_scaling') ? c.rope_scaling : params) as RawConfig | null;
  if (!rs) return { theta, scaling: null };
  if (typeof rs !== 'object' || Array.isArray(rs))
    throw new ConfigError('config.json: rope_scaling must be an object.', { key: 'rope_scaling' });
  const type = (rs.rope_type ?? rs.type ?? 'default') as string;
  const num = (k: string) => {
    const v = rs[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new ConfigError(
        `config.json: rope_scaling.${k} must be a positive number for rope type "${type}", got ${show(v)}.`,
        {
          key: `rope_scaling.${k}`,
        },
      );
    }
    return v;
  };
  if (type === 'default') return { theta, scaling: null };
  if (type === 'linear') return { theta, scaling: { type: 'linear', factor: num('factor') } };
  if (type === 'llama3') {
    return {
      theta,
      scaling: {
        type: 'llama3',
        factor: num('factor'),
        lowFreqFactor: num('low_freq_factor'),
        highFreqFactor: num('high_freq_factor'),
        originalMaxPositions: num('original_max_position_embeddings'),
      },
    };
  }
  if (longrope && (type === 'longrope' || type === 'su')) return { theta, scaling: longRope(c, rs) };
  throw new UnsupportedArchitectureError(
    `config.json: rope_scaling type "${type}" is not supported${
      type === 'longrope' || type === 'su' ? ' for this model_type' : ''
    }; supported rope types: ${ROPE_TYPES.join(', ')}, and longrope for phi3.`,
    {
      key: 'rope_scaling',
      value: type,
    },
  );
}

/**
 * LongRoPE as transformers' _compute_longrope_parameters reads it: short_factor and long_factor lists;
 * original_max_position_embeddings from config.json's top level (Phi-3's place; then the scaling factor is
 * max_position_embeddings / original_max_position_embeddings) or from rope_scaling (then its factor);
 * attention_factor as given, else sqrt(1 + ln(factor) / ln(original_max_position_embeddings)) when
 * factor > 1, else 1.
 */
function longRope(c: RawConfig, rs: RawConfig): RopeScaling {
  const factors = (k: string): number[] => {
    const v = rs[k];
    if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)))
      throw new ConfigError(`config.json: rope_scaling.${k} must be a list of positive numbers, got ${show(v)}.`, {
        key: `rope_scaling.${k}`,
      });
    return v as number[];
  };
  const shortFactor = factors('short_factor');
  const longFactor = factors('long_factor');
  const maxPos = positiveInt(c, ['max_position_embeddings'], undefined, 'max_position_embeddings');
  let orig: number;
  let factor: number;
  if (has(c, 'original_max_position_embeddings')) {
    orig = positiveInt(c, ['original_max_position_embeddings'], undefined, 'max_position_embeddings');
    factor = maxPos / orig;
  } else if (has(rs, 'original_max_position_embeddings')) {
    orig = positiveInt(rs, ['original_max_position_embeddings'], undefined, 'max_position_embeddings');
    factor = positiveNumber(rs, ['factor'], maxPos / orig);
  } else {
    orig = maxPos;
    factor = positiveNumber(rs, ['factor'], 1);
  }
  const attentionFactor = has(rs, 'attention_factor')
    ? positiveNumber(rs, ['attention_factor'], 1)
    : factor > 1
      ? Math.sqrt(1 + Math.log(factor) / Math.log(orig))
      : 1;
  return { type: 'longrope', shortFactor, longFactor, originalMaxPositions: orig, attentionFactor };
}

/** Every key the families share, normalized with the family's defaults. */
export function normalizeConfig(
  c: RawConfig,
  d: FamilyDefaults,
  fallback: { eosTokenId?: number | null } = {},
): NormalizedConfig {
  const hiddenSize = positiveInt(c, ['hidden_size', 'n_embd', 'd_model'], undefined, 'hidden_size');
  const numLayers = positiveInt(c, ['num_hidden_layers', 'n_layer', 'num_layers'], undefined, 'num_hidden_layers');
  const numHeads = positiveInt(c, ['num_attention_heads', 'n_head'], undefined, 'num_attention_heads');
  const numKvHeads = positiveInt(c, ['num_key_value_heads'], numHeads, 'num_key_value_heads');
  if (numHeads % numKvHeads !== 0) {
    throw new ConfigError(
      `config.json: num_attention_heads (${numHeads}) must be a multiple of num_key_value_heads (${numKvHeads}).`,
    );
  }
  let headDim: number;
  if (has(c, 'head_dim')) headDim = positiveInt(c, ['head_dim'], undefined, 'head_dim');
  else if (hiddenSize % numHeads === 0) headDim = hiddenSize / numHeads;
  else
    throw new ConfigError(
      `config.json: hidden size ${hiddenSize} is not divisible by ${numHeads} heads and no head_dim is given.`,
    );
  const intermediate = first(c, ['intermediate_size', 'n_inner']);
  const intermediateSize = intermediate ? positiveInt(c, [intermediate.key], undefined, 'intermediate_size') : null;
  const { theta, scaling } = rope(c, d.ropeTheta, d.longrope);
  const eos = tokenId(c, 'eos_token_id', d.eosTokenId) ?? fallback.eosTokenId ?? null;
  if (eos === null) {
    throw new ConfigError(
      'config.json has no eos_token_id (and generation_config.json gives none); DropLab needs it to separate documents.',
      {
        key: 'eos_token_id',
      },
    );
  }
  const actKey = has(c, 'hidden_act') ? 'hidden_act' : 'activation_function';
  const vocabSize = positiveInt(c, ['vocab_size'], undefined, 'vocab_size');
  const bosTokenId = tokenId(c, 'bos_token_id', d.bosTokenId);
  for (const [key, id] of [
    ['eos_token_id', eos],
    ['bos_token_id', has(c, 'bos_token_id') ? bosTokenId : null], // a family default bos is never used
  ] as const) {
    if (id !== null && id >= vocabSize)
      throw new ConfigError(
        `config.json: ${key} ${id} is past the vocabulary (vocab_size ${vocabSize}; ids run from 0 to ${vocabSize - 1}).`,
        {
          key,
          value: id,
          vocabSize,
        },
      );
  }
  return {
    vocabSize,
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize,
    maxPositions: positiveInt(
      c,
      ['max_position_embeddings', 'n_positions', 'n_ctx'],
      undefined,
      'max_position_embeddings',
    ),
    normEps: positiveNumber(c, ['rms_norm_eps', 'layer_norm_epsilon', 'layer_norm_eps', 'norm_eps'], d.normEps),
    activation: activation(has(c, actKey) ? c[actKey] : d.hiddenAct, actKey),
    ropeTheta: theta,
    ropeScaling: scaling,
    tiedEmbeddings: bool(c, 'tie_word_embeddings', d.tieWordEmbeddings),
    bosTokenId,
    eosTokenId: eos,
  };
}
