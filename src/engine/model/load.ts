/**
 * A Hugging Face model folder -> (config, ModelSpec, lazy ModelWeights, tensor store). Order matters:
 * config.json is read and checked, and the model refused when no weight precision fits the device
 * (admission.ts), before any weight file is read;
 * every weight's presence and shape is checked before anything is decoded.
 */
import type { ModelFiles, ProgressFn, WeightPrecision } from '../api';
import { type Admission, admit, choosePrecision, type DataShape, type DeviceLimits } from './admission';
import { readJsonFile } from '../files';
import {
  bytesPerParamFromConfig,
  estimateModelSize,
  openCheckpoint,
  type SizeEstimate,
  type TensorStore,
  weightLayout,
} from './checkpoint';
import {
  countWeightParameters,
  mapWeights,
  planTensorNames,
  resolvePlan,
  specFromConfig,
  type WeightPlan,
} from './families';
import type { ModelSpec, ModelWeights } from './spec';
import { canStream, openStreamedCheckpoint } from './stream-store';

export interface LoadedModel {
  /** config.json as read. */
  config: Record<string, unknown>;
  spec: ModelSpec;
  /** Lazy: Param.load() decodes on demand. */
  weights: ModelWeights;
  store: TensorStore;
  /** Which checkpoint tensor feeds which role (names with the checkpoint's prefix). */
  plan: WeightPlan;
  /** Stored bytes of the tensors the model uses (f32/f16/bf16 as in the files). */
  weightBytes: number;
  /** Distinct parameters (a tied lm_head counted once). */
  parameters: number;
  /** The size estimate made from config.json before the weights were read. */
  estimate: SizeEstimate;
  /** The precision the weights are held in, chosen from `admission` (or as asked). */
  precision: WeightPrecision;
  /** Every precision's predicted peak against the limits (admission.ts). */
  admission: Admission;
}

export interface LoadOptions {
  /** The most memory the engine may use (DeviceLimits.budgetBytes): refused when the predicted peak is over it. */
  maxWeightBytes?: number;
  /** The largest single buffer (DeviceLimits.maxBufferSize, e.g. GPUAdapter.limits.maxBufferSize). */
  maxTensorBytes?: number;
  /** Further limits (wasm32, storage-buffer binding, float16 support); merged with the two above. */
  limits?: DeviceLimits;
  /** The weight precision asked for; absent: the most precise one that fits. */
  weights?: WeightPrecision;
  /** The analysis' windows, for the activation part of the estimate (default 8 x 256). */
  data?: DataShape;
  /** Names the model in messages (e.g. the Hub id). */
  name?: string;
  onProgress?: ProgressFn;
}

/** Parse config.json into a spec, taking eos_token_id from generation_config.json when config.json lacks it. */
export async function readSpec(files: ModelFiles): Promise<{ config: Record<string, unknown>; spec: ModelSpec }> {
  const config = await readJsonFile(files, 'config.json');
  let eosFallback: number | null = null;
  if (config.eos_token_id === undefined || config.eos_token_id === null) {
    const gen = await readJsonFile(files, 'generation_config.json', true);
    const e = gen?.eos_token_id;
    const id = Array.isArray(e) ? e[0] : e;
    if (typeof id === 'number') eosFallback = id;
  }
  return { config, spec: specFromConfig(config, { eosTokenId: eosFallback }) };
}

export async function loadModelFromFiles(files: ModelFiles, opts: LoadOptions = {}): Promise<LoadedModel> {
  const { config, spec } = await readSpec(files);
  const layout = await weightLayout(files); // names and index only; MissingFileError when there are no weights
  const estimate = estimateModelSize(spec, {
    bytesPerParam: bytesPerParamFromConfig(config),
    totalSize: layout.kind === 'sharded' ? layout.totalSize : null,
  });
  // Admission (issue 13): the predicted peak at each precision, from config.json alone, before any weight is read.
  const admission = admit(
    spec,
    { budgetBytes: opts.maxWeightBytes, maxBufferSize: opts.maxTensorBytes, ...opts.limits },
    opts.data,
  );
  const precision = choosePrecision(admission, opts.weights, opts.name ? `The model ${opts.name}` : 'This model');
  // Files that read byte ranges stream a tensor at a time; others are read whole and kept (Hub downloads).
  const store = canStream(files)
    ? await openStreamedCheckpoint(files, { onProgress: opts.onProgress })
    : await openCheckpoint(files, { onProgress: opts.onProgress });
  const plan = resolvePlan(store, spec);
  const weights = mapWeights(store, spec, plan);
  const weightBytes = planTensorNames(plan).reduce((n, name) => n + store.info(name).byteLength, 0);
  return {
    config,
    spec,
    weights,
    store,
    plan,
    weightBytes,
    parameters: countWeightParameters(weights),
    estimate,
    precision,
    admission,
  };
}
