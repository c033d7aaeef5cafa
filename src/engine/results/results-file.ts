/**
 * Results computed elsewhere, as the workbench holds them: a DropLab results file (`droplab analyze
 * --json`, format 'droplab-results'), LLM-Drop's similarity caches (.pt, one per sublayer kind). Every reader checks what it is given as hostile: wrong types, NaN written
 * as strings, arrays longer than the model, unknown format versions. Each failure is an ImportError
 * that says what is wrong; nothing is half-read.
 */
import type { DropConfig } from '../api';
import { normalizeDrop } from '../drops';
import { ImportError } from '../errors';

export const RESULTS_FORMAT = 'droplab-results';
export const RESULTS_VERSION = 1;
/** No model has more layers (CONFIG_BOUNDS.numLayers). */
export const MAX_IMPORT_LAYERS = 4096;
/** Largest results file read (an 80-layer analysis is about 200 KB). */
export const MAX_RESULTS_BYTES = 64 << 20;

/** Importance per layer, 1 - cos; NaN where a sublayer was dropped or not measured. */
export interface ImportedScores {
  attn: number[];
  mlp: number[];
  /** ShortGPT's block influence, when the source measured it. */
  block?: number[];
}

export interface ImportedResults {
  /** Where the numbers come from. */
  source: 'droplab' | 'llm-drop';
  /** The model the results belong to (Hub id or folder name); '' when the source does not say. */
  model: string;
  layers: number;
  /** The drops the scores were measured with. */
  drop: DropConfig;
  importance: ImportedScores;
  /** (L+1)x(L+1) boundary similarity, when present. */
  similarity?: number[][];
  /** Gromov et al.'s angular distance, angular[l][n-1], when present. */
  angular?: number[][];
  /** Perplexity of the drop configuration, with what it was measured on, when present. */
  perplexity?: { value: number; tokens: number; seqLen: number; windows: number };
  /** The text's name, when the source says. */
  text?: string;
  /** Files it was read from. */
  files: string[];
}

const fail = (file: string, what: string) =>
  new ImportError(`${file}: ${what} Nothing was imported; the current experiment is unchanged.`, { file });

/** A JSON number, or null standing for NaN (JSON.stringify writes NaN as null). */
function score(v: unknown, where: string, file: string): number {
  if (v === null) return Number.NaN;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(file, `${where} is ${JSON.stringify(v)}, not a number.`);
  if (v < -1e-6 || v > 2 + 1e-6) throw fail(file, `${where} is ${v}; 1 - cos lies between 0 and 2.`);
  return v;
}

function scores(v: unknown, n: number, where: string, file: string): number[] {
  if (!Array.isArray(v)) throw fail(file, `${where} is not a list.`);
  if (v.length !== n) throw fail(file, `${where} has ${v.length} values for a ${n}-layer model.`);
  return v.map((x, i) => score(x, `${where}[${i}]`, file));
}

function matrix(v: unknown, rows: number, cols: number, where: string, file: string, lo: number, hi: number) {
  if (!Array.isArray(v) || v.length !== rows) throw fail(file, `${where} should be ${rows} rows.`);
  return v.map((row, i) => {
    if (!Array.isArray(row) || row.length !== cols) throw fail(file, `${where}[${i}] should hold ${cols} values.`);
    return row.map((x, j) => {
      if (x === null) return Number.NaN;
      if (typeof x !== 'number' || !Number.isFinite(x) || x < lo - 1e-6 || x > hi + 1e-6)
        throw fail(file, `${where}[${i}][${j}] is ${JSON.stringify(x)}, not a number in [${lo}, ${hi}].`);
      return x;
    });
  });
}

const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** A DropLab results file (the JSON of `droplab analyze --json`, format 'droplab-results'). */
export function parseResultsFile(text: string, file = 'the results file'): ImportedResults {
  if (text.length > MAX_RESULTS_BYTES)
    throw fail(file, `it is ${(text.length / 2 ** 20).toFixed(0)} MiB; a results file is far smaller.`);
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw fail(file, `it is not JSON (${(e as Error).message}).`);
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw fail(file, 'it is not a JSON object.');
  const o = j as Record<string, unknown>;
  if (o.format !== RESULTS_FORMAT)
    throw fail(
      file,
      o.format === undefined
        ? `it has no "format" field, so it is not a DropLab results file (write one with droplab analyze --json --out FILE).`
        : `its format is ${JSON.stringify(o.format)}, not "${RESULTS_FORMAT}".`,
    );
  if (o.version !== RESULTS_VERSION)
    throw fail(
      file,
      `it is format version ${JSON.stringify(o.version)}; this DropLab reads version ${RESULTS_VERSION}. Update DropLab, or write the file again with this version's CLI.`,
    );
  const model = (o.model ?? {}) as Record<string, unknown>;
  const L = model.layers;
  if (!positiveInt(L) || (L as number) > MAX_IMPORT_LAYERS)
    throw fail(file, `model.layers is ${JSON.stringify(L)}, not a layer count between 1 and ${MAX_IMPORT_LAYERS}.`);
  const layers = L as number;
  const imp = o.importance as Record<string, unknown> | undefined;
  if (!imp || typeof imp !== 'object') throw fail(file, 'it has no "importance" object.');
  let drop: DropConfig;
  try {
    drop = normalizeDrop((o.drop as DropConfig) ?? { attn: [], mlp: [] }, layers);
  } catch (e) {
    throw fail(file, `its drop lists are invalid: ${(e as Error).message}`);
  }
  const out: ImportedResults = {
    source: 'droplab',
    model: typeof model.id === 'string' ? model.id : typeof model.name === 'string' ? model.name : '',
    layers,
    drop,
    importance: {
      attn: scores(imp.attn, layers, 'importance.attn', file),
      mlp: scores(imp.mlp, layers, 'importance.mlp', file),
      ...(imp.block !== undefined ? { block: scores(imp.block, layers, 'importance.block', file) } : {}),
    },
    files: [file],
  };
  if (o.similarity !== undefined)
    out.similarity = matrix(o.similarity, layers + 1, layers + 1, 'similarity', file, -1, 1);
  if (o.angular !== undefined) out.angular = matrix(o.angular, layers, layers, 'angular', file, 0, 1);
  if (o.perplexity !== undefined) {
    const p = o.perplexity;
    const s = (o.settings ?? {}) as Record<string, unknown>;
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 1) throw fail(file, `perplexity is ${JSON.stringify(p)}.`);
    out.perplexity = {
      value: p,
      tokens: positiveInt(o.tokens) ? (o.tokens as number) : 0,
      seqLen: positiveInt(s.seqLen) ? (s.seqLen as number) : positiveInt(o.seqLen) ? (o.seqLen as number) : 0,
      windows: positiveInt(s.windows) ? (s.windows as number) : positiveInt(o.windows) ? (o.windows as number) : 0,
    };
  }
  const t = o.text as Record<string, unknown> | string | undefined;
  const name = typeof t === 'string' ? t : typeof t?.name === 'string' ? t.name : undefined;
  if (name) out.text = name.slice(0, 200);
  return out;
}

/**
 * LLM-Drop's similarity caches: cos(input, output) per layer for attention and/or MLP (its
 * layer_drop.py saves `similarities` with torch.save; -inf marks a layer it skipped as dropped).
 * Importance = 1 - similarity; a skipped layer is dropped and NaN. Either kind may be missing (NaN).
 */
export function fromLlmDropSimilarities(
  parts: { kind: 'attn' | 'mlp'; values: ArrayLike<number>; file: string }[],
): ImportedResults {
  if (parts.length === 0) throw new ImportError('No similarity file was given.');
  const L = parts[0].values.length;
  if (L < 1 || L > MAX_IMPORT_LAYERS) throw fail(parts[0].file, `it holds ${L} values, not one per layer.`);
  const kinds = new Set<string>();
  for (const p of parts) {
    if (p.values.length !== L)
      throw fail(
        p.file,
        `it holds ${p.values.length} values but ${parts[0].file} holds ${L}; both must come from the same model.`,
      );
    if (kinds.has(p.kind)) throw fail(p.file, `a second ${p.kind === 'attn' ? 'attention' : 'MLP'} file was given.`);
    kinds.add(p.kind);
  }
  const nan = () => new Array<number>(L).fill(Number.NaN);
  const importance: ImportedScores = { attn: nan(), mlp: nan() };
  const drop: DropConfig = { attn: [], mlp: [] };
  for (const p of parts) {
    for (let l = 0; l < L; l++) {
      const s = p.values[l];
      if (s === Number.NEGATIVE_INFINITY) {
        drop[p.kind].push(l);
        continue;
      }
      if (!Number.isFinite(s) || s < -1 - 1e-4 || s > 1 + 1e-4)
        throw fail(
          p.file,
          `value ${l} is ${s}, not a cosine similarity (between -1 and 1, or -inf for a dropped layer).`,
        );
      importance[p.kind][l] = 1 - s;
    }
  }
  return { source: 'llm-drop', model: '', layers: L, drop, importance, files: parts.map((p) => p.file) };
}

/** Which sublayer an LLM-Drop cache file holds, from its name (layer_drop.py names them ..._all_attn_... / ..._all_mlp_...). */
export function llmDropKindOf(name: string): 'attn' | 'mlp' | null {
  const n = name.toLowerCase();
  const a = /attn|attention/.test(n);
  const m = /mlp|ffn/.test(n);
  return a === m ? null : a ? 'attn' : 'mlp';
}
