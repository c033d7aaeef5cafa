/**
 * decoder(): the model's one layer loop, embedding then block() for every layer with LLM-Drop's drops.
 * The whole-model graph (monolithic.ts) and the KV-cache export (export/graph.ts) both call it; the live
 * pipeline's per-sublayer graphs (sublayers.ts) build the two halves of the same block() one session
 * each. A dropped sublayer is absent (no nodes, no weights), exactly as LLM-Drop's drop_attn_list /
 * drop_mlp_list skip it: dropping attention l gives m_l = x_l, dropping MLP l gives x_{l+1} = m_l.
 *
 * The export differs only in its inputs and outputs: explicit positions, an attention mask and past
 * keys/values per layer in, the present keys/values of every kept attention layer out, and the weight
 * format of its BlockContext.
 */
import type { DropConfig } from '../api';
import { DropConfigError } from '../errors';
import type { ModelSpec, ModelWeights } from '../model/spec';
import type { Value } from '../onnx/builder';
import * as blocks from './blocks';
import type { BlockContext, KV } from './blocks';

/** Throws DropConfigError unless every index is an integer layer index. */
export function validateDrop(spec: ModelSpec, drop: DropConfig): void {
  for (const kind of ['attn', 'mlp'] as const) {
    for (const l of drop[kind]) {
      if (!Number.isInteger(l) || l < 0 || l >= spec.numLayers)
        throw new DropConfigError(`Cannot drop ${kind} layer ${l}: this model has layers 0 to ${spec.numLayers - 1}.`, {
          kind,
          layer: l,
        });
    }
  }
}

export interface DecoderInputs {
  /** int64 [B,T] */
  inputIds: Value;
  /** int64 [B,T] or [T]; default 0..T-1. */
  positions?: Value | null;
  /** int64 [B,S], 1 = attend, 0 = padding; default none. */
  attentionMask?: Value | null;
  /** Past keys/values of attention layer l ([B,Hkv,P,hd]), or null. Called only for kept layers. */
  past?: ((l: number) => KV | null) | null;
  /** Called after each layer is built (progress, cancellation: throw to stop). */
  onLayer?: (l: number) => void;
}

export interface DecoderOutputs {
  /** x_L, the residual stream after the last kept sublayer (before the final norm), [B,T,d]. */
  hidden: Value;
  /** Present keys/values [B,Hkv,S,hd] of every kept attention layer, by original layer index. */
  present: Map<number, KV>;
}

/** x_0 = embed(ids); x_{l+1} = block_l(x_l) for l = 0..L-1, dropped sublayers skipped. */
export function decoder(ctx: BlockContext, weights: ModelWeights, drop: DropConfig, io: DecoderInputs): DecoderOutputs {
  validateDrop(ctx.spec, drop);
  const { b, spec } = ctx;
  const droppedAttn = new Set(drop.attn);
  const droppedMlp = new Set(drop.mlp);
  let x = blocks.embedding(ctx, weights, io.inputIds, io.positions ?? null); // x_0 [B,T,d]
  const needPositions = spec.position === 'rope' && spec.numLayers > droppedAttn.size;
  const positions = io.positions ?? (needPositions ? blocks.sequencePositions(b, io.inputIds) : null);
  const present = new Map<number, KV>();
  for (let l = 0; l < spec.numLayers; l++) {
    const keep = { attn: !droppedAttn.has(l), mlp: !droppedMlp.has(l) };
    const y = blocks.block(ctx, x, weights.layers[l], l, keep, {
      positions: positions ?? io.inputIds, // positions unused without rope
      past: keep.attn ? (io.past?.(l) ?? null) : null,
      attentionMask: io.attentionMask ?? null,
    });
    if (y.present) present.set(l, y.present);
    x = y.out; // x_{l+1} [B,T,d]
    io.onLayer?.(l);
  }
  return { hidden: x, present };
}
