/**
 * What a drop configuration saves: parameters removed, forward FLOPs per token and KV-cache memory,
 * computed from the ModelSpec alone (pure; no weights needed).
 *
 * Conventions (written down in docs/UI.md):
 * - A dropped attention sublayer removes its norm (N1), q, k, v, o (and their biases); a dropped MLP
 *   removes N2, gate (gated MLPs), up, down (and biases). Embeddings, final norm and lm_head stay.
 * - FLOPs per token: 2 per multiply-accumulate of every kept linear layer and the lm_head, plus the
 *   attention itself at context length T: Q·K^T and A·V, each H·hd·T multiply-accumulates, so
 *   4·H·hd·T FLOPs per kept attention layer (the cost of the T-th token; Kaplan et al. 2020 count the
 *   same terms). Norms, activations, softmax and RoPE are left out (a few percent at most).
 * - KV cache: 2 (K and V) · Hkv · hd values per token per kept attention layer.
 */
import { type DropConfig, type ModelSpec, parameterCounts } from '../engine/api';

interface SublayerParams {
  attn: number;
  mlp: number;
}

/** Multiply-accumulates per token of the linear layers of one sublayer (biases and norms excluded). */
function sublayerMacs(spec: ModelSpec): SublayerParams {
  const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd, intermediateSize: I } = spec;
  return {
    attn: d * H * hd + 2 * d * Hkv * hd + H * hd * d,
    mlp: (spec.mlp === 'gated' ? 3 : 2) * d * I,
  };
}

export interface CostSummary {
  totalParams: number;
  removedParams: number;
  removedFraction: number;
  /** Forward FLOPs for one token at context `context`, full model and with the drops. */
  flopsFull: number;
  flopsKept: number;
  context: number;
  /** KV-cache bytes per token (fp16), full model and with the drops. */
  kvBytesPerTokenFull: number;
  kvBytesPerTokenKept: number;
  keptAttn: number;
  keptMlp: number;
}

export const KV_BYTES_PER_VALUE = 2; // fp16

export function costSummary(spec: ModelSpec, drop: DropConfig, context: number): CostSummary {
  const L = spec.numLayers;
  const params = parameterCounts(spec); // the engine's count, from the family's weight plan
  const macs = sublayerMacs(spec);
  const attnDropped = drop.attn.filter((l) => l >= 0 && l < L).length;
  const mlpDropped = drop.mlp.filter((l) => l >= 0 && l < L).length;
  const keptAttn = L - attnDropped;
  const keptMlp = L - mlpDropped;
  const total = params.total;
  const removed = attnDropped * params.attn + mlpDropped * params.mlp;
  const T = Math.max(1, Math.floor(context));
  const attnCore = 4 * spec.numHeads * spec.headDim * T;
  const head = 2 * spec.vocabSize * spec.hiddenSize;
  const flops = (ka: number, km: number) => ka * (2 * macs.attn + attnCore) + km * 2 * macs.mlp + head;
  const kvPerLayer = 2 * spec.numKvHeads * spec.headDim * KV_BYTES_PER_VALUE;
  return {
    totalParams: total,
    removedParams: removed,
    removedFraction: total > 0 ? removed / total : 0,
    flopsFull: flops(L, L),
    flopsKept: flops(keptAttn, keptMlp),
    context: T,
    kvBytesPerTokenFull: L * kvPerLayer,
    kvBytesPerTokenKept: keptAttn * kvPerLayer,
    keptAttn,
    keptMlp,
  };
}
