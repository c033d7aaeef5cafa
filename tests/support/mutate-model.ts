/**
 * A tiny fixture model with some weights or config keys changed (NaN, huge values, bad sizes), as an
 * in-memory file map: for the engine's bad-input tests and, written to disk, the CLI's.
 */
import { memoryFiles } from '../../src/engine/files';
import { writeSafetensors } from '../../src/engine/model/safetensors';
import type { ModelFiles } from '../../src/engine/api';
import { type TinyModel, type TinyModelOptions, type TinyVariant, tinyModel } from '../fixtures/tiny-models';

export interface Mutation {
  /** tensor name -> change its float32 values in place (stored as F32, or opts.dtype when given). */
  tensors?: Record<string, (data: Float32Array) => void>;
  /** Merged into config.json (a value of undefined removes the key). */
  config?: Record<string, unknown>;
  /** Replaces whole files (name -> bytes or a JSON value). */
  files?: Record<string, Uint8Array | Record<string, unknown>>;
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v, null, 2));

export function mutatedModel(
  variant: TinyVariant,
  m: Mutation,
  opts: TinyModelOptions = {},
): { tiny: TinyModel; fileMap: Record<string, Uint8Array>; files: ModelFiles } {
  const tiny = tinyModel(variant, opts);
  const fileMap = { ...tiny.fileMap };
  if (m.tensors) {
    const dtype = tiny.dtype === 'f16' ? 'F16' : tiny.dtype === 'bf16' ? 'BF16' : 'F32';
    const entries = [...tiny.tensors].map(([name, t]) => {
      const data = Float32Array.from(t.data);
      m.tensors?.[name]?.(data);
      return { name, dtype, shape: t.shape, data } as const;
    });
    for (const name of Object.keys(m.tensors))
      if (!tiny.tensors.has(name)) throw new Error(`mutatedModel: no tensor ${name} in ${variant}`);
    fileMap['model.safetensors'] = writeSafetensors(entries, { format: 'pt' });
  }
  if (m.config) {
    const cfg: Record<string, unknown> = { ...tiny.config };
    for (const [k, v] of Object.entries(m.config)) {
      if (v === undefined) delete cfg[k];
      else cfg[k] = v;
    }
    fileMap['config.json'] = enc(cfg);
  }
  for (const [name, v] of Object.entries(m.files ?? {})) fileMap[name] = v instanceof Uint8Array ? v : enc(v);
  return { tiny, fileMap, files: memoryFiles(fileMap, tiny.name) };
}
