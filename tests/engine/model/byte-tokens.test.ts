import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { byteLevelEncoder } from '../../../src/engine/byte-tokens';
import { splitDocuments } from '../../../src/engine/data';
import { Tokenizer } from '../../../src/engine/tokenizer';

const ROOT = join(import.meta.dirname, '../../..');
const BUNDLED = JSON.parse(readFileSync(join(ROOT, 'public/models/droplab-byte-12l/tokenizer.json'), 'utf8'));
const CONFIG = JSON.parse(readFileSync(join(ROOT, 'public/models/droplab-byte-12l/tokenizer_config.json'), 'utf8'));
const MOBY = splitDocuments(readFileSync(join(ROOT, 'public/data/moby-dick-heldout.txt'), 'utf8'));

const SAMPLES = [
  '',
  'Hello world',
  ' leading space and  double  spaces ',
  'Accents: café, naïve, Zürich. CJK: 日本語. Emoji: 🦊! Combining: e\u0301',
  'line one\nline two\r\n\ttabbed\u0000\u0007\u007f\u00a0\u00ad\u00ff',
  'lone surrogates \ud800 and \udfff, a pair \ud83e\udd8a',
  // every byte-level character's byte, and every code point below 0x800 (one- and two-byte UTF-8)
  Array.from({ length: 0x800 }, (_, i) => String.fromCharCode(i)).join(''),
];

const library = (json: Record<string, unknown>) => {
  const t = new HfTokenizer(json, CONFIG);
  return (s: string) => t.encode(s, { add_special_tokens: false }).ids;
};

describe('byte-level tokenizers without merges (byte-tokens.ts)', () => {
  it("gives the library's ids on the bundled tokenizer: samples and the whole held-out text", () => {
    const fast = byteLevelEncoder(BUNDLED);
    expect(fast).not.toBeNull();
    const lib = library(BUNDLED);
    for (const s of [...SAMPLES, ...MOBY]) expect(fast?.(s), JSON.stringify(s.slice(0, 40))).toEqual(lib(s));
    // one token per UTF-8 byte
    expect(fast?.('é🦊')).toHaveLength(6);
  });

  it("with the pre-tokenizer's regex on, too (no merges: the split changes nothing)", () => {
    const json = { ...BUNDLED, pre_tokenizer: { ...BUNDLED.pre_tokenizer, use_regex: true } };
    const fast = byteLevelEncoder(json);
    const lib = library(json);
    for (const s of [...SAMPLES, MOBY[0]]) expect(fast?.(s)).toEqual(lib(s));
  });

  it('leaves a text holding an added token to the library, which splits it out', async () => {
    const fast = byteLevelEncoder(BUNDLED);
    expect(fast?.('one<|endoftext|>two')).toBeNull();
    const tok = new Tokenizer(BUNDLED, CONFIG);
    const ids = tok.encode('one<|endoftext|>two');
    expect(ids).toEqual(library(BUNDLED)('one<|endoftext|>two'));
    expect(ids).toContain(tok.eosTokenId);
    expect(tok.encode(MOBY[1])).toEqual(library(BUNDLED)(MOBY[1]));
  });

  it('is not used where it could differ: merges, a normalizer, an added prefix space, a missing byte', () => {
    const model = BUNDLED.model as Record<string, unknown>;
    const vocab = { ...(model.vocab as Record<string, number>) };
    delete vocab.A;
    for (const json of [
      { ...BUNDLED, model: { ...model, merges: ['Ġ t'] } },
      { ...BUNDLED, normalizer: { type: 'NFC' } },
      { ...BUNDLED, pre_tokenizer: { ...BUNDLED.pre_tokenizer, add_prefix_space: true } },
      { ...BUNDLED, pre_tokenizer: { type: 'Whitespace' } },
      { ...BUNDLED, model: { ...model, continuing_subword_prefix: '##' } },
      { ...BUNDLED, model: { ...model, vocab } },
      { ...BUNDLED, post_processor: { type: 'TemplateProcessing', single: [], pair: [], special_tokens: {} } },
    ])
      expect(byteLevelEncoder(json)).toBeNull();
  });
});
