import { rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, MissingFileError } from '../../../src/engine/errors';
import { memoryFiles } from '../../../src/engine/files';
import { Tokenizer } from '../../../src/engine/tokenizer';
import { TINY_DOCUMENTS, TINY_TEXT, TINY_VARIANTS, tinyModel } from '../../fixtures/tiny-models';
import { writeModelFolder } from '../../fixtures/tiny-models-node';

const SAMPLES = [
  TINY_TEXT,
  'Hello world',
  ' leading space and  double  spaces ',
  'Accents: café, naïve, Zürich. CJK: 日本語. Emoji: 🦊!',
  'numbers 1234567 and 3.14159',
  'line one\nline two\r\n\ttabbed',
  '',
];

describe('Tokenizer on the fixtures', () => {
  for (const v of TINY_VARIANTS) {
    it(`${v}: encode/decode round trip, no special tokens added, EOS from tokenizer_config`, async () => {
      const m = tinyModel(v);
      const tok = await Tokenizer.fromFiles(m.files);
      expect(tok.eosTokenId).toBe(m.tokenizer.eosId);
      expect(tok.eosTokenId).toBe(
        Array.isArray(m.config.eos_token_id) ? (m.config.eos_token_id as number[])[0] : m.config.eos_token_id,
      );
      expect(tok.vocabSize).toBe(m.tokenizer.size);
      const text = (m.config.text_config ?? m.config) as Record<string, unknown>; // image-text Gemma 3: nested
      expect(tok.vocabSize).toBeLessThanOrEqual(text.vocab_size as number);
      for (const s of SAMPLES) {
        const ids = tok.encode(s);
        expect(tok.decode(ids), JSON.stringify(s)).toBe(s);
        const specials = new Set(Object.values(m.tokenizer.specials));
        expect(
          ids.some((id) => specials.has(id)),
          'no special token in plain text',
        ).toBe(false);
        expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < tok.vocabSize)).toBe(true);
      }
      // merges are real: the training text takes fewer tokens than bytes
      expect(tok.encode(TINY_TEXT).length).toBeLessThan(new TextEncoder().encode(TINY_TEXT).length * 0.8);
      // LLM-Drop calibration: each document, then EOS
      const stream = TINY_DOCUMENTS.flatMap((d) => [...tok.encode(d), tok.eosTokenId as number]);
      expect(stream.filter((id) => id === tok.eosTokenId).length).toBe(TINY_DOCUMENTS.length);
    });

    it(`${v}: per-token strings concatenate to the text`, async () => {
      const tok = await Tokenizer.fromFiles(tinyModel(v).files);
      const text = 'The fox jumps over the lazy dog, twice.';
      const ids = tok.encode(text);
      const pieces = tok.tokenStrings(ids);
      expect(pieces.length).toBe(ids.length);
      expect(pieces.join('').trimStart()).toBe(text);
      expect(tok.tokenToString(tok.eosTokenId as number).length).toBeGreaterThan(0);
      expect(
        ids
          .map((id) => tok.tokenToString(id))
          .join('')
          .trimStart(),
      ).toBe(text);
      expect(typeof tok.idToToken(ids[0])).toBe('string');
      expect(tok.tokenToId(tok.idToToken(ids[0]) as string)).toBe(ids[0]);
    });
  }

  it('encode() adds no BOS where the tokenizer would (llama3, sentencepiece styles)', async () => {
    for (const v of ['llama3-rope', 'llama-tied'] as const) {
      const m = tinyModel(v);
      const tok = await Tokenizer.fromFiles(m.files);
      const ids = tok.encode('Hello world');
      expect(ids[0]).not.toBe(m.tokenizer.bosId);
    }
  });

  it('EOS falls back to config.json when tokenizer_config.json names none; errors are named', async () => {
    const m = tinyModel('gpt2');
    const files = memoryFiles({ 'tokenizer.json': m.fileMap['tokenizer.json'] });
    expect((await Tokenizer.fromFiles(files)).eosTokenId).toBeNull();
    expect((await Tokenizer.fromFiles(files, { eosTokenId: 5 })).eosTokenId).toBe(5);
    await expect(Tokenizer.fromFiles(memoryFiles({}))).rejects.toBeInstanceOf(MissingFileError);
    expect(() => Tokenizer.fromBytes(new TextEncoder().encode('{"model": '))).toThrow(ConfigError);
    expect(Tokenizer.fromBytes(m.fileMap['tokenizer.json'], m.fileMap['tokenizer_config.json']).eosTokenId).toBe(
      m.tokenizer.eosId,
    );
  });
});

describe('transformers.js AutoTokenizer agrees with the wrapper', () => {
  const written: string[] = [];
  afterAll(() => {
    for (const d of written) rmSync(d, { recursive: true, force: true });
  });

  for (const v of TINY_VARIANTS) {
    it(`${v}: same ids and same text`, async () => {
      const m = tinyModel(v);
      const { mkdtempSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const root = mkdtempSync(join(tmpdir(), 'droplab-tok-'));
      written.push(root);
      const dir = writeModelFolder(join(root, m.name), {
        'config.json': m.fileMap['config.json'],
        'tokenizer.json': m.fileMap['tokenizer.json'],
        'tokenizer_config.json': m.fileMap['tokenizer_config.json'],
      });
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.localModelPath = `${dirname(dir)}/`;
      const theirs = await AutoTokenizer.from_pretrained(basename(dir));
      const ours = await Tokenizer.fromFiles(m.files);
      for (const s of SAMPLES) {
        const want = theirs.encode(s, { add_special_tokens: false });
        expect(ours.encode(s), `${v}: ${JSON.stringify(s)}`).toEqual(want);
        if (want.length)
          expect(ours.decode(want)).toBe(
            theirs.decode(want, { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
          );
      }
      expect(ours.eosTokenId).toBe(theirs.eos_token_id);
    });
  }
});
