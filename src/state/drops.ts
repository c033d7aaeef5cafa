/**
 * Drop configurations as plain data (DESIGN.md 4: `{ attn: number[], mlp: number[] }`, 0-based, sorted,
 * unique). Pure helpers shared by the store, the share-link codec and the views.
 */
import { type DropConfig, NO_DROPS, type SublayerKind } from '../engine/api';

export { NO_DROPS, type SublayerKind };

function sortedUnique(xs: readonly number[]): number[] {
  return [...new Set(xs)].sort((a, b) => a - b);
}

/** Sorted, unique copy. */
export function sortedDrops(d: DropConfig): DropConfig {
  return { attn: sortedUnique(d.attn), mlp: sortedUnique(d.mlp) };
}

/** Canonical string key (also the cache key of results): "a1,5|m2". */
export function dropKey(d: DropConfig): string {
  const n = sortedDrops(d);
  return `a${n.attn.join(',')}|m${n.mlp.join(',')}`;
}

export function sameDrops(a: DropConfig, b: DropConfig): boolean {
  return dropKey(a) === dropKey(b);
}

export function isDropped(d: DropConfig, kind: SublayerKind, layer: number): boolean {
  return d[kind].includes(layer);
}

/** The block (attention and MLP of the same layer) is dropped. */
export function isBlockDropped(d: DropConfig, layer: number): boolean {
  return d.attn.includes(layer) && d.mlp.includes(layer);
}

/** Drop the sublayer if kept, restore it if dropped. */
export function toggleDrop(d: DropConfig, kind: SublayerKind, layer: number): DropConfig {
  const list = d[kind].includes(layer) ? d[kind].filter((x) => x !== layer) : [...d[kind], layer];
  return sortedDrops({ ...d, [kind]: list });
}

/** Drop both sublayers of a layer, or restore both when the block is already dropped. */
export function toggleBlock(d: DropConfig, layer: number): DropConfig {
  if (isBlockDropped(d, layer)) {
    return { attn: d.attn.filter((x) => x !== layer), mlp: d.mlp.filter((x) => x !== layer) };
  }
  return sortedDrops({ attn: [...d.attn, layer], mlp: [...d.mlp, layer] });
}

/** "attention 3, 5 · MLP 7", or "nothing dropped". */
export function describeDrops(d: DropConfig): string {
  const parts: string[] = [];
  if (d.attn.length) parts.push(`attention ${d.attn.join(', ')}`);
  if (d.mlp.length) parts.push(`MLP ${d.mlp.join(', ')}`);
  return parts.length ? parts.join(' · ') : 'nothing dropped';
}

/** The sublayer added by going from `from` to `to` when exactly one was added, else null. */
export function singleAddedDrop(from: DropConfig, to: DropConfig): { kind: SublayerKind; layer: number } | null {
  const added: { kind: SublayerKind; layer: number }[] = [];
  for (const kind of ['attn', 'mlp'] as const) {
    for (const l of to[kind]) if (!from[kind].includes(l)) added.push({ kind, layer: l });
    for (const l of from[kind]) if (!to[kind].includes(l)) return null;
  }
  return added.length === 1 ? added[0] : null;
}
