/** Model sources: the worker's input for one, whether two name the same model, and how they read on screen. */
import type { LocalFile, ModelSource } from '../engine/api';
import { linkSafeName } from './share-link';

export function inputFor(source: ModelSource, localFiles?: LocalFile[]): ModelSource {
  if (source.kind === 'bundled') return { kind: 'bundled', name: source.name };
  if (source.kind === 'hub')
    return source.revision ? { kind: 'hub', id: source.id, revision: source.revision } : { kind: 'hub', id: source.id };
  return { kind: 'local', name: source.name, files: localFiles ?? [] };
}

export function sameSource(a: ModelSource | null | undefined, b: ModelSource): boolean {
  if (!a || a.kind !== b.kind) return false;
  if (a.kind === 'hub' && b.kind === 'hub') return a.id === b.id && (a.revision ?? 'main') === (b.revision ?? 'main');
  if (a.kind === 'local' && b.kind === 'local') return linkSafeName(a.name) === linkSafeName(b.name); // a link holds the safe form
  return (a as { name: string }).name === (b as { name: string }).name;
}

export function sourceLabel(s: ModelSource): string {
  if (s.kind === 'bundled') return `${s.name} (bundled)`;
  if (s.kind === 'hub') return s.revision && s.revision !== 'main' ? `${s.id}@${s.revision}` : s.id;
  return `${s.name} (local folder)`;
}

/** Sizes in the controller's notices (kB/MB/GB of 1024; the panels use src/app/format.ts). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
