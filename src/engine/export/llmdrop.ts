/**
 * LLM-Drop configs (He et al., "What Matters in Transformers? Not All Attention is Needed", 2024;
 * github.com/CASE-Lab-UMD/LLM-Drop): the model's config.json plus `drop_attn_list`, `drop_mlp_list`
 * and an `auto_map` pointing at LLM-Drop's remote-code classes for the family.
 *
 * How LLM-Drop reads the lists (src/llmtuner/compression/prune/models/configuration_dropped_llama.py and
 * configuration_dropped_mistral.py, LlamaConfig/MistralConfig.__init__): each list may hold layer
 * indices (ints) or a per-layer boolean mask; either is turned into a boolean mask of length
 * num_hidden_layers, and None or [] means "nothing dropped". modeling_dropped_llama.py then builds a
 * LlamaDecoderLayer whose self_attn and input_layernorm are None when config.drop_attn_list[layer_idx]
 * is true (mlp and post_attention_layernorm likewise for drop_mlp_list), and keeps KV-cache slots only
 * for kept attention layers. LLM-Drop's own released configs (exp/main_exp_base/.../config.json) write
 * index lists, e.g. "drop_attn_list": [25, 26, 24, 22]; DropLab writes sorted index lists too.
 *
 * LLM-Drop ships modeling files for llama, mistral, gemma2, baichuan and deepseek. Of DropLab's
 * families llama, mistral, gemma2 and baichuan have one (modeling_dropped_gemma2.py removes input_layernorm,
 * self_attn and post_attention_layernorm with a dropped attention, pre/post_feedforward_layernorm and
 * mlp with a dropped MLP, and slides the window on even layers, as DropLab does): a qwen2, qwen3,
 * olmo2 or gpt2 config still gets the lists (DropLab and this export read them) but no auto_map, and the export
 * says so.
 *
 * Baichuan: modeling_dropped_baichuan.py is Baichuan2-7B's modeling code (W_pack, RoPE with base 10000,
 * NormHead always) with input_layernorm + self_attn removed for a dropped attention and
 * post_attention_layernorm + mlp for a dropped MLP, and KV-cache slots for kept attention layers only; its
 * BaichuanConfig turns the lists into boolean masks as the llama one does. So a Baichuan2 config gets the
 * auto_map (configuration_dropped_baichuan.BaichuanConfig, modeling_dropped_baichuan.BaichuanForCausalLM);
 * a Baichuan 1 config (no NormHead) gets the lists and a note: that modeling file would normalize its lm_head.
 */
import type { DropConfig } from '../api';
import { normalizeDrop } from '../drops';
import { DropConfigError, ExportError } from '../errors';
import { gemmaTextConfig, isImageTextGemma } from '../model/families/gemma';
import type { FamilyName, ModelSpec } from '../model/spec';

export interface AutoMap {
  AutoConfig: string;
  AutoModelForCausalLM: string;
}

/** LLM-Drop's remote-code classes, by DropLab family. Families not listed have no LLM-Drop modeling file. */
export const LLMDROP_AUTO_MAP: Readonly<Partial<Record<FamilyName, AutoMap>>> = {
  llama: {
    AutoConfig: 'configuration_dropped_llama.LlamaConfig',
    AutoModelForCausalLM: 'modeling_dropped_llama.LlamaForCausalLM',
  },
  mistral: {
    AutoConfig: 'configuration_dropped_mistral.MistralConfig',
    AutoModelForCausalLM: 'modeling_dropped_mistral.MistralForCausalLM',
  },
  gemma2: {
    AutoConfig: 'configuration_dropped_gemma2.Gemma2Config',
    AutoModelForCausalLM: 'modeling_dropped_gemma2.Gemma2ForCausalLM',
  },
  baichuan: {
    AutoConfig: 'configuration_dropped_baichuan.BaichuanConfig',
    AutoModelForCausalLM: 'modeling_dropped_baichuan.BaichuanForCausalLM',
  },
};

/** The families LLM-Drop ships modeling files for (including those DropLab does not read). */
export const LLMDROP_MODELING_FAMILIES = ['llama', 'mistral', 'gemma2', 'baichuan', 'deepseek'] as const;

export interface LlmDropConfig {
  /** config.json to write: the source config plus the drop lists (and auto_map where LLM-Drop has one). */
  config: Record<string, unknown>;
  /** Whether LLM-Drop's modeling files can load this config (an auto_map was written). */
  llmDropLoadable: boolean;
  /** Things the person exporting should know (no modeling file, a config LLM-Drop's class rejects). */
  warnings: string[];
}

/** Throws ExportError when nothing of the model is left (every attention and every MLP dropped). */
export function checkSomethingKept(spec: ModelSpec, drop: DropConfig): void {
  if (drop.attn.length === spec.numLayers && drop.mlp.length === spec.numLayers) {
    throw new ExportError(
      `Every attention and every MLP sublayer of all ${spec.numLayers} layers is dropped: the exported model would be the embedding and the LM head alone. Keep at least one sublayer.`,
      { reason: 'everything-dropped', numLayers: spec.numLayers },
    );
  }
}

/**
 * The LLM-Drop config for `drop` (normalized: sorted, unique, in range, else DropConfigError).
 * Throws ExportError when every sublayer is dropped.
 */
export function llmDropConfig(config: Record<string, unknown>, spec: ModelSpec, drop: DropConfig): LlmDropConfig {
  const d = normalizeDrop(drop, spec.numLayers);
  checkSomethingKept(spec, d);
  const warnings: string[] = [];
  // LLM-Drop's Baichuan file is Baichuan2's: it would normalize a Baichuan 1 lm_head (NormHead).
  const baichuan1 = spec.family === 'baichuan' && !spec.normHead;
  const autoMap = baichuan1 ? undefined : LLMDROP_AUTO_MAP[spec.family];
  // An image-text Gemma 3 is exported as the text model DropLab read (checkpoint.ts renames its tensors).
  const textOnly = spec.family === 'gemma3' && isImageTextGemma(config);
  const source = textOnly ? textModelConfig(config) : config;
  if (textOnly)
    warnings.push(
      'This image-text Gemma 3 is exported as its text model (model_type gemma3_text, Gemma3ForCausalLM): config.json is its text_config ' +
        '(with the defaults it omitted written out), the checkpoint holds the language model under model.* and leaves the vision tower and projector out.',
    );
  const { auto_map: _oldMap, drop_attn_list: _a, drop_mlp_list: _m, ...rest } = source;
  const out: Record<string, unknown> = { ...rest };
  if (autoMap) out.auto_map = { ...autoMap };
  else if (baichuan1) {
    warnings.push(
      "LLM-Drop's Baichuan modeling file (modeling_dropped_baichuan.py) is Baichuan2-7B's: it L2-normalizes the lm_head rows (NormHead), " +
        'which this Baichuan 1 model (vocab_size ' +
        spec.vocabSize +
        ') does not have, so no auto_map is written; config.json still carries drop_attn_list and drop_mlp_list (DropLab and the ONNX export read them).',
    );
  } else {
    warnings.push(
      `LLM-Drop has no modeling file for ${spec.family} models (it ships them for ${LLMDROP_MODELING_FAMILIES.join(', ')}): ` +
        'config.json still carries drop_attn_list and drop_mlp_list (DropLab and the ONNX export read them), but LLM-Drop cannot load this folder, ' +
        `and transformers' own ${spec.family} class would ignore the lists.`,
    );
  }
  out.drop_attn_list = d.attn;
  out.drop_mlp_list = d.mlp;
  if (spec.family === 'llama' && !llmDropRopeScalingOk(config.rope_scaling)) {
    warnings.push(
      `LLM-Drop's LlamaConfig (written for transformers 4.38) accepts rope_scaling only as {"type": "linear"|"dynamic", "factor": > 1}; ` +
        `this model's rope_scaling ${JSON.stringify(config.rope_scaling)} makes it raise ValueError when loading. ` +
        "Update LLM-Drop's configuration_dropped_llama.py (or transformers) before loading this folder with it.",
    );
  }
  return { config: out, llmDropLoadable: autoMap !== undefined, warnings };
}

/** The text-only config of an image-text Gemma 3: its text_config (defaults filled in) as a Gemma3ForCausalLM. */
function textModelConfig(config: Record<string, unknown>): Record<string, unknown> {
  const text = gemmaTextConfig(config);
  const top: Record<string, unknown> = {};
  for (const k of ['torch_dtype', 'transformers_version', '_name_or_path'])
    if (Object.hasOwn(config, k) && !Object.hasOwn(text, k)) top[k] = config[k];
  return { architectures: ['Gemma3ForCausalLM'], ...top, ...text };
}

/** What LLM-Drop's LlamaConfig._rope_scaling_validation accepts. */
function llmDropRopeScalingOk(rs: unknown): boolean {
  if (rs === null || rs === undefined) return true;
  if (typeof rs !== 'object' || Array.isArray(rs)) return false;
  const o = rs as Record<string, unknown>;
  return (
    Object.keys(o).length === 2 &&
    (o.type === 'linear' || o.type === 'dynamic') &&
    typeof o.factor === 'number' &&
    o.factor > 1
  );
}

/** num_hidden_layers (or GPT-2's n_layer, or an image-text Gemma 3's text_config.num_hidden_layers) of a config.json. */
function layerCount(config: Record<string, unknown>): number {
  const text = config.text_config;
  const nested =
    text && typeof text === 'object' && !Array.isArray(text)
      ? (text as Record<string, unknown>).num_hidden_layers
      : undefined;
  const n = config.num_hidden_layers ?? config.n_layer ?? nested;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw new DropConfigError('config.json has no valid num_hidden_layers, so its drop lists cannot be read.');
  return n;
}

/**
 * One drop list as LLM-Drop reads it: null/absent/[] = none; a list of integers = layer indices; a
 * list of booleans = a per-layer mask (true = dropped). Mixed lists are read element by element, as
 * LLM-Drop does (a boolean at position i means layer i).
 */
function readList(v: unknown, key: string, numLayers: number): number[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v))
    throw new DropConfigError(
      `config.json: ${key} must be a list of layer indices or of booleans, got ${JSON.stringify(v)}.`,
      { key },
    );
  const out: number[] = [];
  v.forEach((x, i) => {
    if (typeof x === 'boolean') {
      if (x) out.push(i);
    } else if (typeof x === 'number' && Number.isInteger(x)) out.push(x);
    else
      throw new DropConfigError(`config.json: ${key}[${i}] is ${JSON.stringify(x)}, not a layer index or a boolean.`, {
        key,
        index: i,
      });
  });
  if (v.length > 0 && v.every((x) => typeof x === 'boolean') && v.length !== numLayers)
    throw new DropConfigError(
      `config.json: ${key} is a boolean mask of ${v.length} entries, but the model has ${numLayers} layers.`,
      { key },
    );
  return out;
}

/**
 * The DropConfig of an LLM-Drop config.json (index lists or boolean masks; sorted, unique, checked
 * against num_hidden_layers). A config without drop lists gives { attn: [], mlp: [] }.
 */
export function readDropConfig(config: Record<string, unknown>): DropConfig {
  const L = layerCount(config);
  return normalizeDrop(
    {
      attn: readList(config.drop_attn_list, 'drop_attn_list', L),
      mlp: readList(config.drop_mlp_list, 'drop_mlp_list', L),
    },
    L,
  );
}
