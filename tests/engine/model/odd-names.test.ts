/**
 * Issue 9, item 11: a tensor or metadata key named "__proto__" (or "constructor", "toString") survives
 * writeSafetensors -> parse, and the pruned-checkpoint index; config values past the double range and
 * malformed tokenizer files give messages in words, not JavaScript's.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/engine/errors';
import { specFromConfig } from '../../../src/engine/model/families';
import { parse, writeSafetensors } from '../../../src/engine/model/safetensors';
import { Tokenizer } from '../../../src/engine/tokenizer';
import { tinyModel } from '../../fixtures/tiny-models';

describe('odd names and values', () => {
  it('tensors and metadata named __proto__, constructor, toString round-trip', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a'];
    const bytes = writeSafetensors(
      names.map((name, i) => ({ name, dtype: 'F32' as const, shape: [2], data: Float32Array.of(i, -i) })),
      JSON.parse('{"__proto__": "x", "constructor": "y"}'), // an own "__proto__" key, as JSON.parse makes it
    );
    const f = parse(bytes, 'odd.safetensors');
    expect([...f.tensors.keys()].sort()).toEqual([...names].sort());
    for (const [i, n] of names.entries())
      expect(Array.from(new Float32Array(f.tensors.get(n)?.bytes.slice().buffer ?? new ArrayBuffer(0)))).toEqual([
        i,
        -i,
      ]);
    expect(Object.entries(f.metadata).sort()).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
  });

  it('a config number past the double range (1e400) is named as such, not "null"', () => {
    const c = tinyModel('llama-gqa').config;
    const parsed = JSON.parse(JSON.stringify(c).replace(/}$/, ',"rope_theta":1e400}'));
    expect(() => specFromConfig(parsed)).toThrow(ConfigError);
    expect(() => specFromConfig(parsed)).toThrow(
      'config.json: rope_theta must be a positive number, got a number too large to represent (1e400 or so; read as Infinity).',
    );
  });

  it('a tokenizer.json with a missing vocabulary names the part, not a JavaScript TypeError', () => {
    const t = tinyModel('llama-gqa').tokenizer;
    const model = t.tokenizerJson.model as Record<string, unknown>;
    for (const [patch, msg] of [
      [{ model: { ...model, vocab: undefined } }, /"model\.vocab" is missing or not an object/],
      [{ model: null }, /"model" is missing or not an object/],
      [{ added_tokens: null }, /"added_tokens" is not a list/],
      [{ added_tokens: [{ id: 'x' }] }, /"added_tokens" holds an entry without/],
      [{ normalizer: 5 }, /"normalizer" is not an object/],
    ] as const) {
      const err = (() => {
        try {
          new Tokenizer({ ...t.tokenizerJson, ...patch }, t.tokenizerConfig);
        } catch (e) {
          return e as Error;
        }
      })();
      expect(err, JSON.stringify(patch)).toBeInstanceOf(ConfigError);
      expect(err?.message).toMatch(msg);
      expect(err?.message).not.toMatch(/Cannot (convert|read)|not iterable|undefined or null/);
    }
  });
});
