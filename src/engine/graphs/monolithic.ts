/**
 * The whole model with a DropConfig applied, in ONE graph: input_ids -> nll, argmax. A dropped
 * sublayer is absent (no nodes, no weights), exactly as LLM-Drop's drop_attn_list / drop_mlp_list
 * skip it: dropping attention l gives m_l = x_l, dropping MLP l gives x_{l+1} = m_l.
 *
 * decoder() is the body shared with the export: it takes optional positions, attention mask and
 * past keys/values per layer and returns the final residual stream and the present keys/values of
 * every kept attention layer, so a KV-cache graph (past_key_values.{i}.key/value in, present.{i}.key/value
 * out, logits out) is the same blocks with different inputs and outputs.
 */
import type { DropConfig } from '../api';
import { DropConfigError } from '../errors';
import { GraphBuilder, type Value } from '../onnx/builder';
import type { ModelSpec, ModelWeights } from '../model/spec';
import * as blocks from './blocks';
import type { BlockContext, KV } from './blocks';
import { DIM, type GraphOptions, IO } from './sublayers';

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
}

export interface DecoderOutputs {
  /** x_L, the residual stream after the last kept sublayer (before the final norm), [B,T,d]. */
  hidden: Value;
  /** Present keys/values [B,Hkv,S,hd] of every kept attention layer, by original layer index. */
  present: Map<number, KV>;
}

/** Embedding and every kept sublayer, in order. */
export function decoder(ctx: BlockContext, weights: ModelWeights, drop: DropConfig, io: DecoderInputs): DecoderOutputs {
  validateDrop(ctx.spec, drop);
  const { b } = ctx;
  const droppedAttn = new Set(drop.attn);
  const droppedMlp = new Set(drop.mlp);
  let x = blocks.embedding(ctx, weights, io.inputIds, io.positions ?? null); // x_0 [B,T,d]
  const needPositions = ctx.spec.position === 'rope' && ctx.spec.numLayers > droppedAttn.size;
  const positions = io.positions ?? (needPositions ? blocks.sequencePositions(b, io.inputIds) : null);
  const present = new Map<number, KV>();
  for (let l = 0; l < ctx.spec.numLayers; l++) {
    const w = weights.layers[l];
    if (!droppedAttn.has(l)) {
      const a = blocks.attentionSublayer(ctx, x, w, l, {
        positions: positions ?? io.inputIds, // positions unused without rope
        past: io.past?.(l) ?? null,
        attentionMask: io.attentionMask ?? null,
      });
      present.set(l, a.present);
      x = a.out; // m_l
    }
    if (!droppedMlp.has(l)) x = blocks.mlpSublayer(ctx, x, w, l).out; // x_{l+1}
  }
  return { hidden: x, present };
}

/** input_ids [B,T] -> nll [B,T-1], argmax [B,T], with `drop` applied. */
export function monolithic(
  spec: ModelSpec,
  weights: ModelWeights,
  drop: DropConfig,
  opts: GraphOptions = {},
): Uint8Array {
  const b = new GraphBuilder('droplab_model');
  b.metadata.drop_attn_list = JSON.stringify(drop.attn);
  b.metadata.drop_mlp_list = JSON.stringify(drop.mlp);
  const ctx = blocks.blockContext(b, spec, opts);
  const ids = b.input(IO.inputIds, 'int64', [DIM.batch, DIM.seq]);
  const { hidden } = decoder(ctx, weights, drop, { inputIds: ids });
  const { nll, argmax } = blocks.nllAndArgmax(b, blocks.lmHead(ctx, weights, hidden), ids);
  b.output(nll, IO.nll, [DIM.batch, DIM.seqMinus1]);
  b.output(argmax, IO.argmax, [DIM.batch, DIM.seq]);
  return b.build();
}
