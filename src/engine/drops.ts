/**
 * Drop configurations and sublayer indexing.
 *
 * Sublayer s in 0..2L-1: s = 2l is attention l, s = 2l+1 is MLP l (execution order).
 * Boundary b in 0..2L: b_0 = x_0 (the embedding), b_{s+1} = the residual stream after sublayer s,
 * so b_{2l} = x_l and b_{2l+1} = m_l (DESIGN.md §2). A dropped sublayer s has b_{s+1} = b_s.
 */
import type { DropConfig } from './api';
import { DropConfigError } from './errors';

export type SublayerKind = 'attn' | 'mlp';

/** Nothing dropped (frozen: share it, never mutate it). */
export const NO_DROPS: DropConfig = Object.freeze({ attn: [], mlp: [] }) as DropConfig;

export const sublayerIndex = (kind: SublayerKind, layer: number): number => 2 * layer + (kind === 'mlp' ? 1 : 0);
export const sublayerOf = (s: number): { kind: SublayerKind; layer: number } => ({
  kind: s % 2 === 0 ? 'attn' : 'mlp',
  layer: s >> 1,
});

/** Sorted, unique copy; throws DropConfigError for an index that is not a layer of an L-layer model. */
export function normalizeDrop(drop: DropConfig, numLayers: number): DropConfig {
  const clean = (kind: SublayerKind, xs: unknown): number[] => {
    if (!Array.isArray(xs))
      throw new DropConfigError(`The ${kind} drop list must be an array of layer indices.`, { kind });
    for (const l of xs) {
      if (typeof l !== 'number' || !Number.isInteger(l) || l < 0 || l >= numLayers)
        throw new DropConfigError(
          `Cannot drop ${kind === 'attn' ? 'attention' : 'MLP'} layer ${String(l)}: this model has layers 0 to ${numLayers - 1}.`,
          { kind, layer: l },
        );
    }
    return [...new Set(xs as number[])].sort((a, b) => a - b);
  };
  return { attn: clean('attn', drop?.attn), mlp: clean('mlp', drop?.mlp) };
}

/** dropped[s] for every sublayer s. */
export function dropFlags(drop: DropConfig, numLayers: number): boolean[] {
  const flags = new Array<boolean>(2 * numLayers).fill(false);
  for (const l of drop.attn) flags[sublayerIndex('attn', l)] = true;
  for (const l of drop.mlp) flags[sublayerIndex('mlp', l)] = true;
  return flags;
}

export function withDropped(drop: DropConfig, kind: SublayerKind, layer: number): DropConfig {
  const next = { attn: [...drop.attn], mlp: [...drop.mlp] };
  next[kind].push(layer);
  next.attn = [...new Set(next.attn)].sort((a, b) => a - b);
  next.mlp = [...new Set(next.mlp)].sort((a, b) => a - b);
  return next;
}
