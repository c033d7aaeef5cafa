/**
 * The whole model with a DropConfig applied, in ONE graph: input_ids -> nll, argmax. The body is
 * decoder() (decoder.ts), the layer loop the KV-cache export shares.
 */
import type { DropConfig } from '../api';
import type { ModelSpec, ModelWeights } from '../model/spec';
import { GraphBuilder } from '../onnx/builder';
import * as blocks from './blocks';
import { decoder } from './decoder';
import { DIM, type GraphOptions, IO } from './sublayers';

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
