/**
 * The pruned checkpoint: every tensor of the source checkpoint except those of dropped sublayers,
 * under its original name, dtype and bytes (a lossless copy). This is what LLM-Drop's modeling files
 * expect: a dropped attention layer has no self_attn and no input_layernorm, a dropped MLP no mlp and no
 * post_attention_layernorm (modeling_dropped_llama.py, LlamaDecoderLayer.__init__).
 *
 * Removed for a dropped attention layer l: the weights of its norm and of q, k, v, o (GPT-2: ln_1,
 * the fused c_attn, c_proj), plus any other tensor stored under the same attention module (rotary
 * inv_freq buffers, GPT-2's attn.bias causal mask). For a dropped MLP l: its norm, gate, up, down.
 *
 * An image-text checkpoint DropLab reads as its language model (Gemma 3's language_model.model.* or
 * model.language_model.*) is written as that text model: its tensors renamed to model.* (and lm_head.*),
 * the vision tower and projector left out, matching the text config the export writes (llmdrop.ts).
 */
import type { DropConfig } from '../api';
import { INDEX_FILE, SINGLE_FILE, type TensorStore } from '../model/checkpoint';
import type { LayerRefs, WeightPlan } from '../model/families/types';
import { layerRoles, roleTensors } from '../model/spec';
import { writeSafetensors } from '../model/safetensors';

export interface PrunedTensors {
  /** Tensor names written, in the source's order. */
  keep: string[];
  /** Tensor names left out (dropped sublayers; an image-text checkpoint's vision tensors). */
  removed: string[];
  /** Source name -> the name written, for an image-text checkpoint written as its text model; else absent. */
  rename?: Record<string, string>;
}

/** Body prefixes of image-text checkpoints whose language model DropLab reads (Gemma 3). */
export const IMAGE_TEXT_PREFIXES = ['language_model.model.', 'model.language_model.'] as const;

/**
 * For an image-text checkpoint (the plan's body under one of IMAGE_TEXT_PREFIXES): each language-model
 * tensor's text-only name (body -> model.*, language_model.lm_head.* -> lm_head.*); null otherwise.
 */
export function textModelNames(store: TensorStore, plan: WeightPlan): Record<string, string> | null {
  const body = IMAGE_TEXT_PREFIXES.find((p) => plan.embed.name.startsWith(p));
  if (!body) return null;
  const out: Record<string, string> = Object.create(null);
  for (const name of store.names()) {
    if (name.startsWith(body)) out[name] = `model.${name.slice(body.length)}`;
    else if (name.startsWith('language_model.lm_head.')) out[name] = name.slice('language_model.'.length);
    else if (name.startsWith('lm_head.')) out[name] = name;
  }
  return out;
}

/** The module prefix of a weight name: "model.layers.3.self_attn.q_proj.weight" -> "model.layers.3.self_attn.". */
function modulePrefix(weightName: string): string {
  return `${weightName.split('.').slice(0, -2).join('.')}.`;
}

/** Tensor names of layer l's roles in `sublayer` (LAYER_ROLES), weights and biases. */
function roleNames(l: LayerRefs, sublayer: 'attn' | 'mlp'): string[] {
  return roleTensors(layerRoles(l, sublayer)).map((t) => t.name);
}

/** Which tensors of `store` the pruned checkpoint keeps. */
export function prunedTensors(store: TensorStore, plan: WeightPlan, drop: DropConfig): PrunedTensors {
  const removedSet = new Set<string>();
  const prefixes: string[] = [];
  for (const l of drop.attn) {
    const refs = plan.layers[l];
    for (const n of roleNames(refs, 'attn')) removedSet.add(n);
    prefixes.push(modulePrefix(refs.q.weight.name), modulePrefix(refs.o.weight.name));
  }
  for (const l of drop.mlp) {
    const refs = plan.layers[l];
    for (const n of roleNames(refs, 'mlp')) removedSet.add(n);
    prefixes.push(modulePrefix(refs.up.weight.name));
  }
  // Module prefixes: llama-likes "model.layers.l.self_attn." / "model.layers.l.mlp.", GPT-2 "h.l.attn." /
  // "h.l.mlp." (never a whole layer: the norms sit outside them and are removed by name above).
  const under = (name: string) => prefixes.some((p) => name.startsWith(p));
  const rename = textModelNames(store, plan);
  const keep: string[] = [];
  const removed: string[] = [];
  for (const name of store.names()) {
    if (removedSet.has(name) || under(name) || (rename && !Object.hasOwn(rename, name))) removed.push(name);
    else keep.push(name);
  }
  return rename ? { keep, removed, rename } : { keep, removed };
}

export interface CheckpointFile {
  path: string;
  bytes: Uint8Array;
}

/** Default most bytes of tensor data per safetensors shard (files stay below 2 GiB for browsers). */
export const DEFAULT_SHARD_BYTES = 2 ** 31 - 2 ** 26;

/**
 * The pruned checkpoint as model.safetensors, or as model-0000i-of-0000n.safetensors shards plus
 * model.safetensors.index.json when the kept tensors exceed `maxShardBytes`. Tensors keep their stored
 * dtype and bytes; metadata {"format": "pt"} as transformers writes it. `rename` (PrunedTensors.rename):
 * the names they are written under, where they change.
 */
export function* prunedCheckpointFiles(
  store: TensorStore,
  keep: readonly string[],
  maxShardBytes = DEFAULT_SHARD_BYTES,
  rename?: Readonly<Record<string, string>>,
): Generator<CheckpointFile> {
  const out = (name: string) => (rename && Object.hasOwn(rename, name) ? rename[name] : name);
  const shards: string[][] = [[]];
  let size = 0;
  let total = 0;
  for (const name of keep) {
    const n = store.info(name).byteLength;
    total += n;
    if (size > 0 && size + n > maxShardBytes) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1].push(name);
    size += n;
  }
  const write = (names: string[]) =>
    writeSafetensors(
      names.map((name) => {
        const t = store.raw(name);
        return { name: out(name), dtype: t.dtype, shape: t.shape, data: t.bytes };
      }),
      { format: 'pt' },
    );
  if (shards.length === 1) {
    yield { path: SINGLE_FILE, bytes: write(shards[0]) };
    return;
  }
  const count = String(shards.length).padStart(5, '0');
  const weightMap: Record<string, string> = Object.create(null); // a tensor may be named "__proto__"
  for (let i = 0; i < shards.length; i++) {
    const file = `model-${String(i + 1).padStart(5, '0')}-of-${count}.safetensors`;
    for (const name of shards[i].map(out))
      Object.defineProperty(weightMap, name, { value: file, enumerable: true, writable: true, configurable: true });
    yield { path: file, bytes: write(shards[i]) };
  }
  const index = { metadata: { total_size: total }, weight_map: weightMap };
  yield { path: INDEX_FILE, bytes: new TextEncoder().encode(`${JSON.stringify(index, null, 2)}\n`) };
}
