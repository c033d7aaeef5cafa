/**
 * A Hugging Face checkpoint as a tensor store: one model.safetensors, or shards listed by
 * model.safetensors.index.json ({ metadata: { total_size }, weight_map: { tensor: shard file } }).
 * Tensors decode lazily (Param.load()). Size helpers let the engine refuse a model that is too large
 * from config.json alone, before any weight file is read.
 */
import type { ModelFiles, ProgressFn } from '../api';
import {
  MissingFileError,
  MissingWeightError,
  ModelTooLargeError,
  NonFiniteError,
  SafetensorsHeaderError,
} from '../errors';
import { parseJsonObject } from '../files';
import { parameterCounts } from './families';
import { decodeToFloat32, numel, parse, type SafetensorsDtype, type SafetensorsTensor } from './safetensors';
import type { ModelSpec, Param } from './spec';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: readonly number[];
  file: string;
  byteLength: number;
}

export interface TensorStore {
  /** The weight files read, in order. */
  readonly files: readonly string[];
  /** `__metadata__` of the files, merged. */
  readonly metadata: Readonly<Record<string, string>>;
  /** All tensor names, in file and header order. */
  names(): string[];
  has(name: string): boolean;
  /** Throws MissingWeightError. */
  info(name: string): TensorInfo;
  /** The stored tensor (dtype, shape, zero-copy bytes): for a lossless copy on export. Throws MissingWeightError. */
  raw(name: string): SafetensorsTensor;
  /** A lazily decoded float32 Param; the same object for the same name. Throws MissingWeightError. */
  get(name: string): Param;
  /** Sum of all tensors' stored bytes. */
  storedBytes(): number;
}

export type WeightLayout =
  | { kind: 'single'; files: [string] }
  | { kind: 'sharded'; files: string[]; weightMap: Record<string, string>; totalSize: number | null };

/** Which weight files a folder has, from its names and index (the index is read, no weights are). */
export async function weightLayout(files: ModelFiles): Promise<WeightLayout> {
  const names = files.names();
  if (names.includes(INDEX_FILE)) {
    const index = parseJsonObject(await files.read(INDEX_FILE), INDEX_FILE);
    const wm = index.weight_map;
    if (!wm || typeof wm !== 'object' || Array.isArray(wm) || !Object.values(wm).every((v) => typeof v === 'string')) {
      throw new SafetensorsHeaderError(`${INDEX_FILE} has no valid "weight_map" (tensor name -> shard file).`, {
        file: INDEX_FILE,
      });
    }
    const weightMap = wm as Record<string, string>;
    const shards = [...new Set(Object.values(weightMap))];
    for (const s of shards) {
      if (!names.includes(s)) {
        throw new MissingFileError(`Shard ${s}, listed in ${INDEX_FILE}, is missing from the model folder.`, {
          file: s,
        });
      }
    }
    const meta = index.metadata as { total_size?: unknown } | undefined;
    const totalSize = typeof meta?.total_size === 'number' ? meta.total_size : null;
    return { kind: 'sharded', files: shards, weightMap, totalSize };
  }
  if (names.includes(SINGLE_FILE)) return { kind: 'single', files: [SINGLE_FILE] };
  const other = names.filter((n) => /\.(bin|pt|pth|gguf|ckpt|h5|msgpack)$/.test(n));
  throw new MissingFileError(
    `The model folder has no ${SINGLE_FILE} and no ${INDEX_FILE}.${
      other.length
        ? ` It has ${other.join(', ')}: DropLab reads safetensors weights only; pick a repository or revision that has them.`
        : ''
    }`,
    { file: SINGLE_FILE },
  );
}

/** Read and parse every weight file of the folder. Shards missing a tensor their index promises are refused. */
export async function openCheckpoint(files: ModelFiles, opts: { onProgress?: ProgressFn } = {}): Promise<TensorStore> {
  const layout = await weightLayout(files);
  const parsed: { file: string; tensors: Map<string, SafetensorsTensor>; metadata: Record<string, string> }[] = [];
  let done = 0;
  for (const file of layout.files) {
    opts.onProgress?.({ stage: 'load', done, total: layout.files.length, unit: 'files' });
    const p = parse(await files.read(file), file);
    parsed.push({ file, tensors: p.tensors, metadata: p.metadata });
    done++;
  }
  opts.onProgress?.({ stage: 'load', done, total: layout.files.length, unit: 'files' });
  const store = storeFromParsed(parsed);
  if (layout.kind === 'sharded') {
    for (const [name, file] of Object.entries(layout.weightMap)) {
      if (!store.has(name) || store.info(name).file !== file) {
        throw new MissingWeightError(
          `${INDEX_FILE} places tensor "${name}" in ${file}, but that shard does not contain it.`,
          { weight: name, file },
        );
      }
    }
  }
  return store;
}

/** A store over already parsed files (used by openCheckpoint and by tests). A tensor in two files is refused. */
export function storeFromParsed(
  parsed: readonly { file: string; tensors: Map<string, SafetensorsTensor>; metadata?: Record<string, string> }[],
): TensorStore {
  const where = new Map<string, { file: string; t: SafetensorsTensor }>();
  const metadata: Record<string, string> = Object.create(null); // keys such as "__proto__" stay keys
  for (const { file, tensors, metadata: m } of parsed) {
    Object.assign(metadata, m ?? {});
    for (const [name, t] of tensors) {
      const prev = where.get(name);
      if (prev)
        throw new SafetensorsHeaderError(`Tensor "${name}" appears in both ${prev.file} and ${file}.`, {
          tensor: name,
          file,
        });
      where.set(name, { file, t });
    }
  }
  const params = new Map<string, Param>();
  const lookup = (name: string) => {
    const w = where.get(name);
    if (!w) throw new MissingWeightError(`The checkpoint has no tensor "${name}".`, { weight: name });
    return w;
  };
  return {
    files: parsed.map((p) => p.file),
    metadata,
    names: () => [...where.keys()],
    has: (name) => where.has(name),
    info: (name) => {
      const { file, t } = lookup(name);
      return { name, dtype: t.dtype, shape: t.shape, file, byteLength: t.bytes.byteLength };
    },
    raw: (name) => lookup(name).t,
    get: (name) => {
      let p = params.get(name);
      if (!p) {
        const { file, t } = lookup(name);
        const shape = Object.freeze([...t.shape]);
        let checked = false;
        p = {
          shape,
          load: () => {
            const v = decodeToFloat32(t, `${file}: tensor "${name}"`);
            if (!checked) checkFinite(v, name, file, t.dtype);
            checked = true;
            return v;
          },
        };
        params.set(name, p);
      }
      return p;
    },
    storedBytes: () => {
      let n = 0;
      for (const { t } of where.values()) n += t.bytes.byteLength;
      return n;
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// size estimates (from the spec alone: no weight file needs to be read)

export interface SizeEstimate {
  /** Parameters the engine uses (a tied lm_head counted once). */
  parameters: number;
  /** parameters * 4: what the weights take once decoded to float32 (Param.load()). */
  float32Bytes: number;
  /** What the weight files hold (index total_size when known, else parameters * bytes of the config's dtype). */
  storedBytes: number;
  /** The largest single weight tensor, in float32 bytes (compare with a GPU adapter's maxBufferSize). */
  largestTensor: { role: string; shape: number[]; float32Bytes: number };
}

/** Bytes per parameter of config.json's torch_dtype (or `dtype`), or null when it names none. */
export function bytesPerParamFromConfig(config: Record<string, unknown>): number | null {
  const dt = config.torch_dtype ?? config.dtype;
  if (dt === 'float32' || dt === 'float') return 4;
  if (dt === 'float16' || dt === 'bfloat16' || dt === 'half') return 2;
  if (dt === 'float64') return 8;
  return null;
}

export function estimateModelSize(
  spec: ModelSpec,
  stored: { bytesPerParam?: number | null; totalSize?: number | null } = {},
): SizeEstimate {
  const parameters = parameterCounts(spec).total;
  const { hiddenSize: d, numHeads: H, headDim: hd, intermediateSize: I, vocabSize: V } = spec;
  const candidates: { role: string; shape: number[] }[] = [
    { role: 'embed', shape: [V, d] },
    { role: 'q', shape: [H * hd, d] },
    { role: 'up', shape: [I, d] },
  ];
  if (spec.position === 'learned') candidates.push({ role: 'posEmbed', shape: [spec.maxPositions, d] });
  const largest = candidates.reduce((a, b) => (numel(b.shape) > numel(a.shape) ? b : a));
  return {
    parameters,
    float32Bytes: parameters * 4,
    storedBytes: stored.totalSize ?? parameters * (stored.bytesPerParam ?? 4),
    largestTensor: { ...largest, float32Bytes: numel(largest.shape) * 4 },
  };
}

/** Float32 bytes of the weights of the model `spec` describes. */
export function estimateWeightBytes(spec: ModelSpec): number {
  return parameterCounts(spec).total * 4;
}

export interface SizeLimits {
  /** Most float32 weight bytes the caller can hold (a memory budget). */
  maxWeightBytes?: number;
  /** Most float32 bytes of one tensor (e.g. GPUAdapter.limits.maxBufferSize). */
  maxTensorBytes?: number;
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

/** Throws ModelTooLargeError (with the estimate and the limit) when `estimate` exceeds `limits`. */
export function checkModelFits(estimate: SizeEstimate, limits: SizeLimits, modelName = 'This model'): void {
  const { maxWeightBytes, maxTensorBytes } = limits;
  if (maxWeightBytes !== undefined && estimate.float32Bytes > maxWeightBytes) {
    throw new ModelTooLargeError(
      `${modelName} is too large: its ${(estimate.parameters / 1e6).toFixed(1)}M parameters need about ${formatBytes(estimate.float32Bytes)} as float32, ` +
        `over this device's limit of ${formatBytes(maxWeightBytes)}. Pick a smaller model, or analyse it on a GPU server (droplab analyze --device webgpu --out results.json, or LLM-Drop's scripts) and open the file with Import results (docs/IMPORT.md).`,
      { estimateBytes: estimate.float32Bytes, limitBytes: maxWeightBytes, parameters: estimate.parameters },
    );
  }
  if (maxTensorBytes !== undefined && estimate.largestTensor.float32Bytes > maxTensorBytes) {
    const t = estimate.largestTensor;
    throw new ModelTooLargeError(
      `${modelName} is too large for this device: its ${t.role} weight [${t.shape.join(', ')}] needs ${formatBytes(t.float32Bytes)} as float32, ` +
        `over the largest buffer the device allows (${formatBytes(maxTensorBytes)}). Pick a smaller model.`,
      { estimateBytes: t.float32Bytes, limitBytes: maxTensorBytes, role: t.role },
    );
  }
}

/**
 * NonFiniteError naming the tensor when `v` holds NaN or an infinity (a damaged checkpoint, or one saved
 * after training diverged; also an F64 value past float32's range). One pass over the decoded values.
 */
export function checkFinite(v: Float32Array, name: string, file: string, dtype: string): void {
  // The exponent bits all set = NaN or an infinity; the integer test ran about 1.4x faster than a float
  // one here (90-180 ms for a 49152 x 576 embedding on a busy 2-core machine).
  const bits = new Uint32Array(v.buffer, v.byteOffset, v.length);
  for (let i = 0; i < bits.length; i++) {
    if ((bits[i] & 0x7f800000) !== 0x7f800000) continue;
    let nan = 0;
    let inf = 0;
    for (let j = i; j < v.length; j++) {
      if (Number.isNaN(v[j])) nan++;
      else if (!Number.isFinite(v[j])) inf++;
    }
    const what = [nan ? `${nan} NaN` : '', inf ? `${inf} infinite` : ''].filter(Boolean).join(' and ');
    throw new NonFiniteError(
      `${file}: tensor "${name}" (${dtype}) holds ${what} value${nan + inf === 1 ? '' : 's'} (the first at element ${i} of ${v.length}${dtype === 'F64' ? '; F64 values past float32 range count as infinite' : ''}). The checkpoint is damaged or was saved after training diverged; DropLab does not run or export weights that are not finite.`,
      { tensor: name, file, index: i, nan, infinite: inf },
    );
  }
}
