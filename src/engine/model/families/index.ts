/**
 * The family registry: config.json -> family -> ModelSpec, and checkpoint tensors -> ModelWeights.
 * Adding a family = one module in this folder + one line in FAMILIES.
 */
import {
  ConfigError,
  MissingWeightError,
  SafetensorsDtypeError,
  ShapeMismatchError,
  UnsupportedArchitectureError,
} from '../../errors';
import type { TensorStore } from '../checkpoint';
import { numel } from '../safetensors';
import {
  type FamilyName,
  LAYER_ROLES,
  type LayerWeights,
  layerRoles,
  type ModelSpec,
  type ModelWeights,
  type Param,
  roleTensors,
  type Weighted,
} from '../spec';
import { gpt2 } from './gpt2';
import { GEMMA } from './gemma';
import { LLAMA_LIKE } from './llama-like';
import { baichuan } from './baichuan';
import { olmo2 } from './olmo2';
import { phi3 } from './phi3';
import type { Family, LayerRefs, RawConfig, TensorRef, WeightPlan } from './types';

export type { Family, TensorRef, WeightPlan } from './types';

export const FAMILIES: Record<FamilyName, Family> = { ...LLAMA_LIKE, ...GEMMA, olmo2, phi3, baichuan, gpt2 };

/** Every config.json model_type DropLab reads. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = Object.values(FAMILIES).flatMap((f) => f.modelTypes);

/** The family of a config.json (by model_type, else by architectures). */
export function familyFor(config: RawConfig): Family {
  const mt = config.model_type;
  const archs = Array.isArray(config.architectures) ? config.architectures : [];
  const fam =
    typeof mt === 'string'
      ? Object.values(FAMILIES).find((f) => f.modelTypes.includes(mt))
      : Object.values(FAMILIES).find((f) => archs.some((a) => f.architectures.includes(a)));
  if (!fam) {
    const what =
      typeof mt === 'string'
        ? `model_type "${mt}"`
        : archs.length
          ? `architectures ${JSON.stringify(archs)}`
          : 'no model_type';
    throw new UnsupportedArchitectureError(
      `config.json has ${what}, which DropLab does not support. Supported model types: ${SUPPORTED_MODEL_TYPES.join(', ')}.`,
      { modelType: mt ?? null, supported: [...SUPPORTED_MODEL_TYPES] },
    );
  }
  return fam;
}

/**
 * config.json (parsed) -> ModelSpec. `fallback.eosTokenId` is used when config.json has no
 * eos_token_id (e.g. from generation_config.json). Throws UnsupportedArchitectureError / ConfigError.
 */
export function specFromConfig(config: unknown, fallback?: { eosTokenId?: number | null }): ModelSpec {
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new ConfigError('config.json must contain a JSON object.');
  const c = config as RawConfig;
  refuseQuantized(c);
  return familyFor(c).spec(c, fallback);
}

/** How each quantization method of a config's quantization_config stores its weights, for the refusal's text. */
const QUANTIZED_STORAGE: Record<string, string> = {
  gptq: 'packed 4-bit integers in int32 "qweight" tensors (I32) with "qzeros" and "scales"',
  awq: 'packed 4-bit integers in int32 "qweight" tensors (I32) with "qzeros" and "scales"',
  bitsandbytes: 'uint8 tensors (U8) with a quantization state beside them',
  fp8: '8-bit floats (F8_E4M3) with per-tensor scales',
  'compressed-tensors': 'compressed integer or 8-bit float tensors (I8, I32 or F8_E4M3)',
};

/**
 * A checkpoint saved quantized (config.json's quantization_config: GPTQ, AWQ, bitsandbytes, FP8, ...) stores its
 * linears as integers DropLab does not decode: refused from config.json alone (before any download), naming the
 * method and its dtype, with what to load instead. Throws SafetensorsDtypeError.
 */
function refuseQuantized(c: RawConfig): void {
  const q = c.quantization_config;
  if (q === undefined || q === null || typeof q !== 'object') return;
  const qc = q as Record<string, unknown>;
  const method = typeof qc.quant_method === 'string' ? qc.quant_method : 'an unnamed method';
  const bits = typeof qc.bits === 'number' ? `, ${qc.bits} bits` : qc.load_in_4bit === true ? ', 4 bits' : '';
  const storage = QUANTIZED_STORAGE[method] ?? 'integer or 8-bit float tensors instead of F32, F16 or BF16';
  throw new SafetensorsDtypeError(
    `This checkpoint is quantized (quantization_config: ${method}${bits}): its weights are stored as ${storage}, which DropLab cannot read. Load the original float checkpoint (F32, F16 or BF16) and choose the q8 or q4 weight precision to analyse it at 8 or 4 bits.`,
    { quantMethod: method, bits: typeof qc.bits === 'number' ? qc.bits : null },
  );
}

/** All refs of a plan, each role once (a tied lm_head is not listed). */
export function planRefs(plan: WeightPlan): TensorRef[] {
  const out: TensorRef[] = [plan.embed];
  if (plan.posEmbed) out.push(plan.posEmbed);
  for (const l of plan.layers) out.push(...roleTensors(layerRoles(l)));
  out.push(...roleTensors([plan.finalNorm]));
  if (plan.lmHead !== 'tied') out.push(plan.lmHead);
  return out;
}

/**
 * Parameters of one attention sublayer, one MLP sublayer and the whole model (a tied head counted once),
 * from the family's weight plan: the one parameter count, shared by the loader and the cost panel.
 */
export function parameterCounts(spec: ModelSpec): { attn: number; mlp: number; total: number } {
  const plan = FAMILIES[spec.family].plan({ ...spec, numLayers: 1 }, '');
  const count = (refs: TensorRef[]) => refs.reduce((n, r) => n + numel(finalShape(r)), 0);
  const attn = count(roleTensors(layerRoles(plan.layers[0], 'attn')));
  const mlp = count(roleTensors(layerRoles(plan.layers[0], 'mlp')));
  const outside = count(planRefs(plan)) - attn - mlp;
  return { attn, mlp, total: outside + spec.numLayers * (attn + mlp) };
}

/** The checkpoint tensor names the model uses (unique, plan order). */
export function planTensorNames(plan: WeightPlan): string[] {
  return [...new Set(planRefs(plan).map((r) => r.name))];
}

/**
 * The family's weight plan with the name prefix the checkpoint actually uses, checked against the
 * store up front (before any load()): every tensor present (MissingWeightError), stored as a float
 * dtype (SafetensorsDtypeError) and shaped as the config says (ShapeMismatchError).
 */
export function resolvePlan(store: TensorStore, spec: ModelSpec): WeightPlan {
  const fam = FAMILIES[spec.family];
  // The prefix from a one-layer plan, and the layer count checked against the tensors present, before
  // the full plan is built: a config claiming a billion layers must not plan a billion layers.
  const probes = fam.prefixes.map((p) => fam.plan({ ...spec, numLayers: 1 }, p));
  const at = Math.max(
    0,
    probes.findIndex((p) => store.has(p.embed.name)),
  );
  checkLayerCount(store, spec, roleTensors(layerRoles(probes[at].layers[0]))[0].name);
  const plan = fam.plan(spec, fam.prefixes[at]);
  for (const ref of planRefs(plan)) {
    if (!store.has(ref.name)) {
      const sample = store.names().slice(0, 4).join(', ');
      throw new MissingWeightError(
        `The checkpoint has no tensor "${ref.name}", which a ${spec.family} model with this config.json needs${
          sample ? ` (it has e.g. ${sample})` : ''
        }. Is the folder complete, and does config.json belong to these weights?`,
        { weight: ref.name },
      );
    }
    const info = store.info(ref.name);
    if (!FLOAT_DTYPES.has(info.dtype)) {
      throw new SafetensorsDtypeError(
        `${info.file}: weight "${ref.name}" is stored as ${info.dtype}; DropLab reads F32, F16, BF16 (and F64) weights, not quantized checkpoints. Use the original (unquantized) model.`,
        { file: info.file, tensor: ref.name, dtype: info.dtype },
      );
    }
    const actual = info.shape;
    if (actual.length !== ref.shape.length || actual.some((x, i) => x !== ref.shape[i])) {
      throw new ShapeMismatchError(
        `Weight "${ref.name}" has shape [${actual.join(', ')}] but config.json implies [${ref.shape.join(', ')}]. Does config.json belong to these weights?`,
        { weight: ref.name, expected: [...ref.shape], actual: [...actual] },
      );
    }
  }
  return plan;
}

const FLOAT_DTYPES = new Set<string>(['F32', 'F16', 'BF16', 'F64']);

/**
 * ConfigError when config.json claims more layers than the checkpoint has tensors for. `layer0` is a
 * tensor name of layer 0 (e.g. "model.layers.0.input_layernorm.weight"): tensors "model.layers.<i>.*" count.
 */
function checkLayerCount(store: TensorStore, spec: ModelSpec, layer0: string): void {
  const m = /^((?:[^.]*\.)*?)0(\..*)$/.exec(layer0);
  if (!m) return;
  const head = m[1];
  let count = 0;
  // Any tensor of layer i counts (a pruned checkpoint may lack a layer's attention or MLP).
  for (const name of store.names()) {
    if (!name.startsWith(head)) continue;
    const idx = /^(0|[1-9]\d{0,8})\./.exec(name.slice(head.length));
    if (idx) count = Math.max(count, Number(idx[1]) + 1);
  }
  if (spec.numLayers > count)
    throw new ConfigError(
      `config.json says the model has ${spec.numLayers} layers, but the checkpoint has ${count === 0 ? 'no layer tensors' : `tensors for ${count} (${head}0 to ${head}${count - 1})`}. Does config.json belong to these weights?`,
      { key: 'num_hidden_layers', value: spec.numLayers, layersInCheckpoint: count },
    );
}

/** Shape of a ref after its slice and transpose. */
function finalShape(ref: TensorRef): number[] {
  const s = [...ref.shape];
  if (ref.slice) s[ref.slice.axis] = ref.slice.size;
  if (ref.transpose) s.reverse();
  return s;
}

/** Entries start..start+len-1 along `axis` of a row-major tensor. */
function sliceAxis(x: Float32Array, shape: readonly number[], axis: number, start: number, len: number): Float32Array {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(outer * len * inner);
  for (let o = 0; o < outer; o++) {
    const src = (o * shape[axis] + start) * inner;
    out.set(x.subarray(src, src + len * inner), o * len * inner);
  }
  return out;
}

function transpose2d(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
  return out;
}

/** Rows of a [rows, cols] matrix over their L2 norms, max(||row||, 1e-12) (torch F.normalize); a new array. */
function normalizeRows(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let c = 0; c < cols; c++) ss += x[r * cols + c] ** 2;
    const n = Math.max(Math.sqrt(ss), 1e-12);
    for (let c = 0; c < cols; c++) out[r * cols + c] = x[r * cols + c] / n;
  }
  return out;
}

function paramFor(store: TensorStore, ref: TensorRef): Param {
  const src = store.get(ref.name);
  if (!ref.slice && !ref.transpose && !ref.offset && !ref.normalizeRows) return src;
  const shape = Object.freeze(finalShape(ref));
  return {
    shape,
    load: () => {
      let x = src.load();
      let s = [...ref.shape];
      if (ref.slice) {
        x = sliceAxis(x, s, ref.slice.axis, ref.slice.start, ref.slice.size);
        s[ref.slice.axis] = ref.slice.size;
      }
      if (ref.transpose) {
        x = transpose2d(x, s[0], s[1]);
        s = [s[1], s[0]];
      }
      if (ref.offset) x = x.map((v) => v + (ref.offset as number)); // a new array: the store's is never changed
      if (ref.normalizeRows) x = normalizeRows(x, s[0], s[1]);
      return x;
    },
  };
}

/** ModelWeights over the store (lazy: nothing is decoded here). Checks names and shapes first (resolvePlan). */
export function mapWeights(
  store: TensorStore,
  spec: ModelSpec,
  plan: WeightPlan = resolvePlan(store, spec),
): ModelWeights {
  const p = (r: TensorRef) => paramFor(store, r);
  const weighted = (w: Weighted<TensorRef>): Weighted<Param> => ({
    weight: p(w.weight),
    bias: w.bias ? p(w.bias) : null,
  });
  const layer = (l: LayerRefs): LayerWeights => {
    const out: Record<string, Weighted<Param> | null> = {};
    for (const { role } of LAYER_ROLES) out[role] = l[role] ? weighted(l[role]) : null;
    return out as unknown as LayerWeights;
  };
  const embed = p(plan.embed);
  return {
    embed,
    posEmbed: plan.posEmbed ? p(plan.posEmbed) : null,
    layers: plan.layers.map(layer),
    finalNorm: weighted(plan.finalNorm),
    lmHead: plan.lmHead === 'tied' ? embed : p(plan.lmHead),
  };
}

/** Every distinct Param of `w` (the tied lm_head once). */
export function allParams(w: ModelWeights): Param[] {
  const set = new Set<Param>([w.embed, w.lmHead, ...roleTensors([w.finalNorm])]);
  if (w.posEmbed) set.add(w.posEmbed);
  for (const l of w.layers) for (const x of roleTensors(layerRoles(l))) set.add(x);
  return [...set];
}

export function countWeightParameters(w: ModelWeights): number {
  return allParams(w).reduce((n, p) => n + numel(p.shape), 0);
}
