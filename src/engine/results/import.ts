/**
 * "Import results": the files a person picks or drops, read into what the workbench shows. Accepted:
 *   - a DropLab results file (`droplab analyze --json --out FILE`, or the workbench's own);
 *   - LLM-Drop's similarity caches (.pt; one for attention and/or one for MLP, told apart by name);
 *   - an LLM-Drop config.json: with drop lists its drops (applied to a loaded model of the same depth);
 *     beside results, the model's shape for the cost panel and its name.
 * All files are read before anything is returned: one bad file refuses the whole import, so the
 * current experiment is never half-changed.
 */
import type { DropConfig, ModelSpec } from '../api';
import { ImportError } from '../errors';
import { readDropConfig } from '../export/llmdrop';
import { specFromConfig } from '../model/families';
import {
  fromLlmDropSimilarities,
  type ImportedResults,
  llmDropKindOf,
  MAX_RESULTS_BYTES,
  parseResultsFile,
  RESULTS_FORMAT,
} from './results-file';
import { readTorchVector } from './torch-pt';

export interface ImportFile {
  name: string;
  bytes: Uint8Array;
}

export interface ImportedConfig {
  file: string;
  spec: ModelSpec;
  /** The config's drop lists; null when it has none. */
  drop: DropConfig | null;
  /** `_name_or_path` of the config, when it names a model. */
  model: string;
  /** The config.json as read. */
  raw: Record<string, unknown>;
}

export interface ImportBundle {
  results: ImportedResults | null;
  config: ImportedConfig | null;
}

/** At most this many files in one import (two .pt files and a config.json is the most that makes sense). */
const MAX_FILES = 8;

function readConfig(file: string, o: Record<string, unknown>): ImportedConfig {
  let spec: ModelSpec;
  try {
    spec = specFromConfig(o);
  } catch (e) {
    throw new ImportError(
      `${file}: ${(e as Error).message} Nothing was imported; the current experiment is unchanged.`,
      { file },
    );
  }
  const hasLists = o.drop_attn_list != null || o.drop_mlp_list != null;
  let drop: DropConfig | null = null;
  if (hasLists) {
    try {
      drop = readDropConfig(o);
    } catch (e) {
      const m = (e as Error).message.replace(/^config\.json: /, '');
      throw new ImportError(`${file}: ${m} Nothing was imported; the current experiment is unchanged.`, { file });
    }
  }
  const name = typeof o._name_or_path === 'string' ? o._name_or_path.slice(0, 200) : '';
  return { file, spec, drop, model: name, raw: o };
}

export function readImportFiles(files: ImportFile[]): ImportBundle {
  if (files.length === 0) throw new ImportError('No file was given to import.');
  if (files.length > MAX_FILES)
    throw new ImportError(
      `${files.length} files were given; import a results file, or LLM-Drop's attention and MLP .pt files with its config.json.`,
    );
  const pts: { kind: 'attn' | 'mlp'; values: Float64Array; file: string }[] = [];
  const results: ImportedResults[] = [];
  const configs: ImportedConfig[] = [];
  for (const f of files) {
    const isZip = f.bytes.length >= 2 && f.bytes[0] === 0x50 && f.bytes[1] === 0x4b;
    if (/\.(pt|pth|bin)$/i.test(f.name) || isZip) {
      const kind = llmDropKindOf(f.name);
      const { values } = readTorchVector(f.bytes, f.name);
      if (!kind)
        throw new ImportError(
          `${f.name}: DropLab cannot tell whether it holds attention or MLP similarities. LLM-Drop names them ..._all_attn_....pt and ..._all_mlp_....pt; rename the file so its name contains "attn" or "mlp".`,
          { file: f.name },
        );
      pts.push({ kind, values, file: f.name });
      continue;
    }
    if (f.bytes.length > MAX_RESULTS_BYTES)
      throw new ImportError(
        `${f.name} is ${(f.bytes.length / 2 ** 20).toFixed(0)} MiB, far more than a results file or a config.json.`,
        {
          file: f.name,
        },
      );
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(f.bytes);
    } catch {
      throw new ImportError(`${f.name} is neither a .pt file nor UTF-8 JSON text.`, { file: f.name });
    }
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (e) {
      throw new ImportError(`${f.name} is not JSON (${(e as Error).message}) and not a .pt file.`, { file: f.name });
    }
    if (!o || typeof o !== 'object' || Array.isArray(o))
      throw new ImportError(`${f.name} is JSON but not an object: not a results file or a config.json.`, {
        file: f.name,
      });
    const obj = o as Record<string, unknown>;
    if (obj.format !== undefined || obj.importance !== undefined) {
      results.push(parseResultsFile(text, f.name));
    } else if (obj.model_type !== undefined || obj.num_hidden_layers !== undefined || obj.architectures !== undefined) {
      configs.push(readConfig(f.name, obj));
    } else {
      throw new ImportError(
        `${f.name} is neither a DropLab results file (format "${RESULTS_FORMAT}") nor a model config.json (no model_type).`,
        { file: f.name },
      );
    }
  }
  if (results.length > 1 || (results.length === 1 && pts.length > 0))
    throw new ImportError('Import one set of results at a time: one DropLab results file, or LLM-Drop .pt files.');
  if (configs.length > 1) throw new ImportError('Import one config.json at a time.');
  const config = configs[0] ?? null;
  let res: ImportedResults | null = results[0] ?? null;
  if (pts.length > 0) res = fromLlmDropSimilarities(pts);
  if (!res && config && !config.drop)
    throw new ImportError(
      `${config.file} has no drop_attn_list or drop_mlp_list, so it is a model's config, not an LLM-Drop pruned config. Import it together with results (.pt or a DropLab results file) to see their cost, or import a pruned config.json.`,
      { file: config.file },
    );
  if (res && config) {
    if (config.spec.numLayers !== res.layers)
      throw new ImportError(
        `${config.file} describes a ${config.spec.numLayers}-layer model but ${res.files.join(' and ')} hold${res.files.length === 1 ? 's' : ''} ${res.layers} layers; they are not from the same model.`,
        { file: config.file },
      );
    if (!res.model) res.model = config.model;
  }
  return { results: res, config };
}
