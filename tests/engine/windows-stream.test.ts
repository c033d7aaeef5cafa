/**
 * Tokenizing only what the windows need (issue 9, item 5): for every fixture tokenizer (byte-level BPE,
 * sentencepiece BPE with byte fallback, Llama 3 / Qwen2 regex BPE), on a text of many documents and
 * on one long document, the windows built while encoding only a prefix are the windows of the whole
 * text, token for token; far less of the text was encoded; the counts are flagged as estimates.
 */
import { describe, expect, it } from 'vitest';
import { buildWindows, splitDocuments } from '../../src/engine/data';
import { Tokenizer } from '../../src/engine/tokenizer';
import { TINY_DOCUMENTS, TINY_VARIANTS, tinyModel } from '../fixtures/tiny-models';

const EXACT = 4000; // characters: a small threshold so small texts exercise the streaming path

describe('buildWindows streams long texts', () => {
  // Varied text: the fixture documents with numbers, punctuation, accents and emoji mixed in.
  const docs = Array.from(
    { length: 250 },
    (_, i) => `${TINY_DOCUMENTS[i % TINY_DOCUMENTS.length]} (${i}) é — ${i % 7 === 0 ? '🐋 ' : ''}${'x'.repeat(i % 5)}`,
  );
  const single = docs.join('  ');

  for (const variant of TINY_VARIANTS) {
    it(`${variant}: same windows as the whole text, with a fraction of it encoded`, () => {
      const t = tinyModel(variant);
      const tok = new Tokenizer(t.tokenizer.tokenizerJson, t.tokenizer.tokenizerConfig ?? {});
      const eos = tok.eosTokenId ?? (t.config.eos_token_id as number);
      const inputs: [string, readonly string[]][] = [
        ['many documents', docs],
        ['one long document', [single]],
      ];
      for (const [what, input] of inputs) {
        // The whole text's token stream, once: windows of any size are its prefix.
        const whole = buildWindows(input, (s) => tok.encode(s), eos, 2, 2 ** 30, {
          exactChars: Number.POSITIVE_INFINITY,
        });
        expect(whole.estimated).toBe(false);
        for (const [seqLen, windows] of [
          [16, 2],
          [64, 5],
        ]) {
          let encoded = 0;
          const encode = (s: string) => {
            encoded += s.length;
            return tok.encode(s);
          };
          const part = buildWindows(input, encode, eos, seqLen, windows, { exactChars: EXACT });
          const label = `${what}, ${windows} x ${seqLen}`;
          expect(part.estimated, label).toBe(true);
          expect(part.windows, label).toBe(windows);
          expect(Array.from(part.ids), label).toEqual(Array.from(whole.ids.subarray(0, seqLen * windows)));
          const total = input.reduce((n, d) => n + d.length, 0);
          expect(encoded, label).toBeLessThan(total / 2);
          // the estimate is in the right range (it extrapolates tokens per character)
          expect(part.textTokens / whole.textTokens, label).toBeGreaterThan(0.5);
          expect(part.textTokens / whole.textTokens, label).toBeLessThan(2);
          expect(part.availableWindows, label).toBeGreaterThanOrEqual(windows);
        }
      }
    });
  }

  it('a text that is short, or short after the windows, is tokenized whole with exact counts', () => {
    const t = tinyModel('llama-gqa');
    const tok = new Tokenizer(t.tokenizer.tokenizerJson, t.tokenizer.tokenizerConfig ?? {});
    const text = splitDocuments(TINY_DOCUMENTS.join('\f'));
    const w = buildWindows(text, (s) => tok.encode(s), 0, 8, 1);
    expect(w.estimated).toBe(false);
    expect(w.textTokens).toBe(text.reduce((n, d) => n + tok.encode(d).length + 1, 0));
  });
});
