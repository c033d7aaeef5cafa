/**
 * The bundled model (public/models/droplab-byte-12l), trained by scripts/train: its files load as a
 * Hugging Face Llama folder, its tokenizer maps text to its UTF-8 bytes, and two independent
 * implementations agree on it — DropLab's engine (fp32 ONNX) and the numpy trainer (float64, whose
 * per-token NLL on fixed held-out windows is in tests/fixtures/bundled-reference-nll.json and whose
 * held-out bits per byte is stated in the model card).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { folderFiles } from '../../src/cli/node-files';
import { splitDocuments } from '../../src/engine/data';
import { Tokenizer } from '../../src/engine/tokenizer';
import { mulberry32 } from '../fixtures/tiny-models';
import { ENGINE_RUNTIMES, makeEngine } from '../engine/setup';

const ROOT = join(__dirname, '../..');
const NAME = 'droplab-byte-12l';
const DIR = join(ROOT, 'public/models', NAME);

function cardValue(key: string): string {
  const card = readFileSync(join(DIR, 'README.md'), 'utf8');
  const m = card.match(new RegExp(`^${key}: (.+)$`, 'm'));
  if (!m) throw new Error(`model card has no ${key}`);
  return m[1].trim();
}

function randomUtf8(rand: () => number, n: number): string {
  const pools = [
    'abcdefghijklmnopqrstuvwxyz ABC.,;:!?\n\t',
    'äöüßéèçñ€£¥—–“”‘’…',
    '日本語の文章中文한국어',
    '🙂🐋🚢🌊',
    '\u0000\u0001\u007f\u00a0\u200b\ufeff',
  ];
  let s = '';
  for (let i = 0; i < n; i++) {
    const pool = [...pools[Math.floor(rand() * pools.length)]];
    s += pool[Math.floor(rand() * pool.length)];
  }
  return s;
}

describe('bundled model', () => {
  it('is a Hugging Face Llama folder within the size budget', () => {
    for (const f of [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
      'generation_config.json',
      'README.md',
    ]) {
      expect(existsSync(join(DIR, f)), f).toBe(true);
    }
    const config = JSON.parse(readFileSync(join(DIR, 'config.json'), 'utf8'));
    expect(config.model_type).toBe('llama');
    expect(config.architectures).toEqual(['LlamaForCausalLM']);
    expect(config.num_hidden_layers).toBeGreaterThanOrEqual(12);
    expect(config.num_key_value_heads).toBeLessThan(config.num_attention_heads);
    expect(config.vocab_size).toBe(257);
    expect(statSync(join(DIR, 'model.safetensors')).size).toBeLessThanOrEqual(20 * 2 ** 20);
  });

  it('tokenizer encodes arbitrary UTF-8 to its bytes and round-trips (ours and transformers.js)', async () => {
    const tok = await Tokenizer.fromFiles(folderFiles(DIR));
    expect(tok.eosTokenId).toBe(256);
    env.allowRemoteModels = false;
    env.localModelPath = join(ROOT, 'public/models');
    const hf = await AutoTokenizer.from_pretrained(NAME);
    const rand = mulberry32(2026);
    for (let i = 0; i < 50; i++) {
      const text = randomUtf8(rand, 1 + Math.floor(rand() * 80));
      const bytes = Array.from(new TextEncoder().encode(text));
      expect(tok.encode(text)).toEqual(bytes);
      expect(tok.decode(bytes)).toBe(text);
      expect(hf.encode(text, { add_special_tokens: false })).toEqual(bytes);
      expect(hf.decode(bytes)).toBe(text);
    }
  });

  describe.each(ENGINE_RUNTIMES)('on %s', (rt) => {
    // Per token: |engine - trainer| <= 1e-4 * trainer + 1e-5. The absolute floor covers tokens the model
    // is nearly sure of (NLL ~1e-3 nats), where fp32 log-sum-exp rounding (~1e-6) and the reference file's
    // 9 decimals are a large fraction of the value; the mean must agree to 1e-6 relative.
    it("per-token NLL equals the numpy trainer's (float64) within 1e-4 relative", async () => {
      const ref = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/bundled-reference-nll.json'), 'utf8'));
      const engine = makeEngine(rt, 8);
      await engine.loadModel({ kind: 'bundled', name: NAME }, folderFiles(DIR));
      await engine.setText(splitDocuments(readFileSync(join(ROOT, ref.text), 'utf8')), {
        seqLen: ref.seqLen,
        windows: ref.windows,
      });
      const r = await engine.evaluateTokens({ attn: [], mlp: [] });
      const want = (ref.nll as number[][]).flat();
      expect(r.nll.length).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++)
        worst = Math.max(worst, Math.abs(r.nll[i] - want[i]) / (1e-4 * Math.abs(want[i]) + 1e-5));
      expect(worst).toBeLessThan(1);
      expect(Math.abs(r.meanNll - ref.meanNll) / ref.meanNll).toBeLessThan(1e-6);
      await engine.dispose();
    }, 600_000);
  });

  it.each(['moby-dick-heldout', 'sotu-heldout'])(
    'held-out bits per byte the engine measures on %s is the one the model card states',
    async (id) => {
      const key = `droplab_eval_${id.replace(/-/g, '_')}`;
      const seqLen = Number(cardValue(`${key}_seq_len`));
      const windows = Number(cardValue(`${key}_windows`));
      const stated = Number(cardValue(`${key}_bits_per_byte`));
      const engine = makeEngine('onnxruntime-node', 16);
      await engine.loadModel({ kind: 'bundled', name: NAME }, folderFiles(DIR));
      const info = await engine.setText(splitDocuments(readFileSync(join(ROOT, 'public/data', `${id}.txt`), 'utf8')), {
        seqLen,
        windows: 100000,
      });
      expect(info.windows).toBe(windows); // every window of the text
      const r = await engine.evaluate({ attn: [], mlp: [] });
      const bpb = r.meanNll / Math.LN2;
      expect(Math.abs(bpb - stated) / stated).toBeLessThan(1e-4);
      await engine.dispose();
    },
    600_000,
  );

  it('reaches at most 2.2 held-out bits per byte on the whole held-out split (model card)', () => {
    const bpb = Number(cardValue('droplab_heldout_bits_per_byte'));
    expect(Number.isFinite(bpb)).toBe(true);
    expect(bpb).toBeLessThanOrEqual(2.2);
  });
});
