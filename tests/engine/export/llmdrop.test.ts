/**
 * LLM-Drop config and pruned checkpoint: the config round-trips to the same DropConfig, reads what
 * LLM-Drop's config classes read (index lists, boolean masks, null), carries LLM-Drop's auto_map for
 * llama and mistral only; the pruned checkpoint holds exactly the kept sublayers' tensors, byte for byte.
 */
import { describe, expect, it } from 'vitest';
import {
  LLMDROP_AUTO_MAP,
  llmDropConfig,
  prunedCheckpointFiles,
  prunedTensors,
  readDropConfig,
} from '../../../src/engine/export';
import { openCheckpoint } from '../../../src/engine/model/checkpoint';
import { loadModelFromFiles } from '../../../src/engine/model/load';
import { TINY_VARIANTS, loadTinyModel, mulberry32, tinyModel } from '../../fixtures/tiny-models';
import { filesOf } from './helpers';

function randomDrop(L: number, rand: () => number) {
  const pick = () => Array.from({ length: L }, (_, l) => l).filter(() => rand() < 0.4);
  let d = { attn: pick(), mlp: pick() };
  if (d.attn.length === L && d.mlp.length === L) d = { attn: d.attn, mlp: [] };
  return d;
}

describe('LLM-Drop config', () => {
  it.each(TINY_VARIANTS)('%s: round-trips every drop configuration', async (variant) => {
    const m = await loadTinyModel(variant);
    const rand = mulberry32(7);
    for (let i = 0; i < 20; i++) {
      const d = randomDrop(m.spec.numLayers, rand);
      const shuffled = { attn: [...d.attn].reverse(), mlp: [...d.mlp, ...d.mlp] }; // unsorted, duplicated
      const { config } = llmDropConfig(m.config, m.spec, shuffled);
      const back = readDropConfig(JSON.parse(JSON.stringify(config)));
      expect(back).toEqual(d);
      expect(config.drop_attn_list).toEqual(d.attn);
      expect(config.drop_mlp_list).toEqual(d.mlp);
      // everything else of the source config is kept as it was
      // (auto_map is the family's LLM-Drop one where LLM-Drop ships a modeling file: baichuan's replaces its own;
      // an image-text Gemma 3 is written as its text model: its text_config's keys)
      const source = (variant === 'gemma3-mm' ? m.config.text_config : m.config) as Record<string, unknown>;
      for (const [k, v] of Object.entries(source)) if (k !== 'auto_map') expect(config[k], k).toEqual(v);
    }
  });

  it('auto_map for llama, mistral, gemma2 and Baichuan2 (LLM-Drop ships their modeling files); none for qwen2, qwen3 and gpt2, lists still written', async () => {
    for (const variant of TINY_VARIANTS) {
      const m = await loadTinyModel(variant);
      const r = llmDropConfig(m.config, m.spec, { attn: [1], mlp: [] });
      expect(r.config.drop_attn_list).toEqual([1]);
      expect(r.config.drop_mlp_list).toEqual([]);
      if (['llama', 'mistral', 'gemma2', 'baichuan'].includes(m.spec.family)) {
        expect(r.llmDropLoadable).toBe(true);
        expect(r.config.auto_map).toEqual(LLMDROP_AUTO_MAP[m.spec.family]);
      } else {
        expect(r.llmDropLoadable).toBe(false);
        expect(r.config.auto_map).toBeUndefined();
        expect(r.warnings.join(' ')).toMatch(new RegExp(`LLM-Drop has no modeling file for ${m.spec.family}`));
      }
    }
    expect(LLMDROP_AUTO_MAP.gemma2).toEqual({
      AutoConfig: 'configuration_dropped_gemma2.Gemma2Config',
      AutoModelForCausalLM: 'modeling_dropped_gemma2.Gemma2ForCausalLM',
    });
    expect(LLMDROP_AUTO_MAP.baichuan).toEqual({
      AutoConfig: 'configuration_dropped_baichuan.BaichuanConfig',
      AutoModelForCausalLM: 'modeling_dropped_baichuan.BaichuanForCausalLM',
    });
    expect(LLMDROP_AUTO_MAP.llama).toEqual({
      AutoConfig: 'configuration_dropped_llama.LlamaConfig',
      AutoModelForCausalLM: 'modeling_dropped_llama.LlamaForCausalLM',
    });
    expect(LLMDROP_AUTO_MAP.mistral).toEqual({
      AutoConfig: 'configuration_dropped_mistral.MistralConfig',
      AutoModelForCausalLM: 'modeling_dropped_mistral.MistralForCausalLM',
    });
  });

  it("Baichuan 1 (no NormHead): lists, no auto_map, and why (LLM-Drop's Baichuan file is Baichuan2's)", async () => {
    const m = await loadTinyModel('baichuan2');
    const v1 = { ...m.spec, normHead: undefined };
    const r = llmDropConfig({ ...m.config, vocab_size: 64000 }, v1, { attn: [0], mlp: [1] });
    expect(r.llmDropLoadable).toBe(false);
    expect(r.config.auto_map).toBeUndefined(); // the source config's own auto_map (Baichuan's remote code) is replaced
    expect(r.config.drop_attn_list).toEqual([0]);
    expect(r.warnings.join(' ')).toMatch(/Baichuan2-7B's: it L2-normalizes the lm_head rows/);
    // an image-text Gemma 3 config keeps num_hidden_layers in text_config; its drop lists read against it
    const g = await loadTinyModel('gemma3-mm');
    const { config } = llmDropConfig(g.config, g.spec, { attn: [2], mlp: [] });
    expect(readDropConfig(JSON.parse(JSON.stringify(config)))).toEqual({ attn: [2], mlp: [] });
  });

  it("warns when LLM-Drop's LlamaConfig would reject the rope_scaling (llama3)", async () => {
    const m = await loadTinyModel('llama3-rope');
    expect(llmDropConfig(m.config, m.spec, { attn: [0], mlp: [] }).warnings.join(' ')).toMatch(/rope_scaling/);
    const plain = await loadTinyModel('llama-gqa');
    expect(llmDropConfig(plain.config, plain.spec, { attn: [0], mlp: [] }).warnings).toEqual([]);
  });

  it('reads what LLM-Drop reads: index lists, per-layer boolean masks, null', () => {
    const base = { num_hidden_layers: 4 };
    expect(readDropConfig({ ...base, drop_attn_list: [3, 1], drop_mlp_list: null })).toEqual({ attn: [1, 3], mlp: [] });
    expect(
      readDropConfig({
        ...base,
        drop_attn_list: [false, true, false, true],
        drop_mlp_list: [true, false, false, false],
      }),
    ).toEqual({
      attn: [1, 3],
      mlp: [0],
    });
    expect(readDropConfig(base)).toEqual({ attn: [], mlp: [] });
    expect(readDropConfig({ n_layer: 2, drop_attn_list: [1] })).toEqual({ attn: [1], mlp: [] }); // gpt2 key
    expect(() => readDropConfig({ ...base, drop_attn_list: [4] })).toThrow(/layers 0 to 3/);
    expect(() => readDropConfig({ ...base, drop_attn_list: [true, false] })).toThrow(/boolean mask of 2 entries/);
    expect(() => readDropConfig({ ...base, drop_attn_list: '1,2' })).toThrow(/must be a list/);
    expect(() => readDropConfig({ ...base, drop_mlp_list: [1.5] })).toThrow(/not a layer index/);
    expect(() => readDropConfig({ drop_attn_list: [1] })).toThrow(/num_hidden_layers/);
  });

  it('refuses to drop everything; refuses out-of-range layers', async () => {
    const m = await loadTinyModel('llama-gqa');
    const all = Array.from({ length: m.spec.numLayers }, (_, l) => l);
    expect(() => llmDropConfig(m.config, m.spec, { attn: all, mlp: all })).toThrow(/Every attention and every MLP/);
    expect(() => llmDropConfig(m.config, m.spec, { attn: [m.spec.numLayers], mlp: [] })).toThrow(
      /Cannot drop attention layer/,
    );
  });
});

describe('pruned checkpoint', () => {
  it.each(TINY_VARIANTS)('%s: kept tensors byte for byte under their names; dropped ones absent', async (variant) => {
    const m = await loadTinyModel(variant);
    const tiny = tinyModel(variant);
    const L = m.spec.numLayers;
    const drop = { attn: [L - 1], mlp: [0] };
    const { keep, removed } = prunedTensors(m.store, m.plan, drop);
    expect([...keep, ...removed].sort()).toEqual(m.store.names().sort());
    const gpt = variant === 'gpt2';
    const body = variant === 'gemma3-mm' ? 'language_model.model.layers.' : 'model.layers.';
    const attnPrefix = gpt ? `h.${L - 1}.` : `${body}${L - 1}.`;
    const mlpPrefix = gpt ? 'h.0.' : `${body}0.`;
    // LLM-Drop's modeling files: what a dropped attention / MLP no longer builds (gemma2's sandwich norms
    // belong to their sublayer: post_attention_layernorm is the attention's there, the MLP's pre-norm elsewhere).
    // olmo2 has post-norms only.
    const NAMES: Record<string, { attn: string[]; mlp: string[] }> = {
      gpt2: { attn: ['ln_1', 'attn.'], mlp: ['ln_2', 'mlp.'] },
      gemma2: {
        attn: ['input_layernorm', 'post_attention_layernorm', 'self_attn.'],
        mlp: ['pre_feedforward_layernorm', 'post_feedforward_layernorm', 'mlp.'],
      },
      olmo2: { attn: ['post_attention_layernorm', 'self_attn.'], mlp: ['post_feedforward_layernorm', 'mlp.'] },
    };
    NAMES.gemma3 = NAMES.gemma2;
    NAMES['gemma3-mm'] = NAMES.gemma2;
    const { attn: attnNames, mlp: mlpNames } = NAMES[variant] ?? {
      attn: ['input_layernorm', 'self_attn.'],
      mlp: ['post_attention_layernorm', 'mlp.'],
    };
    const vision = (n: string) => /^(vision_tower|multi_modal_projector)\./.test(n); // gemma3-mm: left out
    const expectRemoved = m.store
      .names()
      .filter(
        (n) =>
          vision(n) ||
          (n.startsWith(attnPrefix) && attnNames.some((a) => n.slice(attnPrefix.length).startsWith(a))) ||
          (n.startsWith(mlpPrefix) && mlpNames.some((a) => n.slice(mlpPrefix.length).startsWith(a))),
      );
    expect(removed.sort()).toEqual(expectRemoved.sort());
    expect(removed.length).toBeGreaterThan(0);

    const files = Object.fromEntries([...prunedCheckpointFiles(m.store, keep)].map((f) => [f.path, f.bytes]));
    expect(Object.keys(files)).toEqual(['model.safetensors']);
    const back = await openCheckpoint(filesOf(files));
    expect(back.names().sort()).toEqual([...keep].sort());
    for (const name of keep) {
      expect(back.info(name).dtype).toBe(m.store.info(name).dtype);
      expect(back.info(name).shape).toEqual(m.store.info(name).shape);
      expect(Buffer.from(back.raw(name).bytes).equals(Buffer.from(m.store.raw(name).bytes))).toBe(true);
    }
    expect(back.metadata.format).toBe('pt');
    // the full tiny checkpoint still loads; the pruned one lacks exactly the dropped weights
    await expect(
      loadModelFromFiles(filesOf({ ...tiny.fileMap, 'model.safetensors': files['model.safetensors'] })),
    ).rejects.toThrow(/has no tensor/);
  });

  it('an image-text Gemma 3 is written as its text model: text config, model.* names, no vision tower; it reloads as the same model', async () => {
    const m = await loadTinyModel('gemma3-mm', { prefix: 'model.language_model.' });
    const none = { attn: [], mlp: [] };
    const { keep, removed, rename } = prunedTensors(m.store, m.plan, none);
    expect(removed.every((n) => /^(vision_tower|multi_modal_projector)\./.test(n))).toBe(true);
    expect(removed.length).toBe(3);
    const files = Object.fromEntries(
      [...prunedCheckpointFiles(m.store, keep, undefined, rename)].map((f) => [f.path, f.bytes]),
    );
    const cfg = llmDropConfig(m.config, m.spec, none);
    expect(cfg.config).toMatchObject({ model_type: 'gemma3_text', architectures: ['Gemma3ForCausalLM'] });
    expect(cfg.config).not.toHaveProperty('text_config');
    expect(cfg.warnings.join(' ')).toMatch(/exported as its text model/);
    const back = await openCheckpoint(filesOf(files));
    // the names of a text-only Gemma 3 (Gemma3ForCausalLM): model.embed_tokens, model.layers.*, model.norm
    expect(back.names().filter((n) => !/^model\.(embed_tokens|layers\.\d+|norm)\./.test(n))).toEqual([]);
    expect(back.names()).toHaveLength(keep.length);
    const folder = {
      ...m.tiny.fileMap,
      'config.json': new TextEncoder().encode(JSON.stringify(cfg.config)),
      'model.safetensors': files['model.safetensors'],
    };
    const again = await loadModelFromFiles(filesOf(folder));
    const { family, ...rest } = m.spec;
    expect(again.spec).toMatchObject({ family, ...rest });
    expect(Array.from(again.weights.layers[1].q.weight.load())).toEqual(
      Array.from(m.weights.layers[1].q.weight.load()),
    );
  });

  it('keeps the stored dtype (bf16) and shards past maxShardBytes, with an index', async () => {
    const m = await loadTinyModel('mistral', { dtype: 'bf16' });
    const { keep } = prunedTensors(m.store, m.plan, { attn: [0], mlp: [] });
    const out = [...prunedCheckpointFiles(m.store, keep, 8 * 1024)];
    const names = out.map((f) => f.path);
    expect(names.at(-1)).toBe('model.safetensors.index.json');
    expect(names.length).toBeGreaterThan(3);
    expect(names[0]).toMatch(/^model-00001-of-000\d\d\.safetensors$/);
    const map = Object.fromEntries(out.map((f) => [f.path, f.bytes]));
    const store = await openCheckpoint(filesOf(map));
    expect(store.names().sort()).toEqual([...keep].sort());
    for (const n of keep) expect(store.info(n).dtype).toBe('BF16');
    const index = JSON.parse(new TextDecoder().decode(map['model.safetensors.index.json']));
    expect(index.metadata.total_size).toBe(keep.reduce((s, n) => s + m.store.info(n).byteLength, 0));
  });
});
