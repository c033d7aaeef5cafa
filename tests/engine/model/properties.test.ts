/**
 * Property-based tests (fast-check) for the two parsers that read files from strangers (issue 9,
 * "keep probing"): the safetensors reader and writer, and config.json normalization.
 *
 * Run counts (numRuns) are recorded here and in docs/MODEL-LOADING.md: safetensors round trip 300,
 * mutated safetensors 1,500, config normalization 2,000 (plus 500 for configs built from a valid one).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, DropLabError, UnsupportedArchitectureError } from '../../../src/engine/errors';
import { specFromConfig } from '../../../src/engine/model/families';
import { DTYPE_SIZE, decodeToFloat32, parse, writeSafetensors } from '../../../src/engine/model/safetensors';
import { tinyModel } from '../../fixtures/tiny-models';

const RUNS = { roundTrip: 300, mutated: 1500, config: 2000, configFromValid: 500 } as const;

const SAFETENSORS_ERRORS = [
  'SafetensorsTruncatedError',
  'SafetensorsHeaderError',
  'SafetensorsRangeError',
  'SafetensorsDtypeError',
];

/** Tensor names: any string, with the ones that trip up plain objects mixed in. */
const tensorName = fc
  .oneof(
    fc.string({ minLength: 1, maxLength: 24, unit: 'binary' }),
    fc.constantFrom(
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      'model.layers.0.mlp.up_proj.weight',
    ),
  )
  .filter((n) => n !== '__metadata__');

const tensor = fc
  .record({
    dtype: fc.constantFrom('F32' as const, 'F16' as const, 'BF16' as const),
    shape: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 3 }),
  })
  .chain(({ dtype, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc
      .uint8Array({ minLength: n * DTYPE_SIZE[dtype], maxLength: n * DTYPE_SIZE[dtype] })
      .map((data) => ({ dtype, shape, data }));
  });

describe('safetensors (fast-check)', () => {
  it(`round trip: any tensor names (__proto__ included), dtypes, shapes and bytes (${RUNS.roundTrip} runs)`, () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(tensorName, tensor), { selector: ([n]) => n, maxLength: 6 }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
        (entries, metadata) => {
          const bytes = writeSafetensors(
            entries.map(([name, t]) => ({ name, ...t })),
            metadata,
          );
          const f = parse(bytes, 'p.safetensors');
          expect([...f.tensors.keys()].sort()).toEqual(entries.map(([n]) => n).sort());
          for (const [name, t] of entries) {
            const got = f.tensors.get(name);
            expect(got?.dtype).toBe(t.dtype);
            expect(got?.shape).toEqual(t.shape);
            expect(Buffer.from(got?.bytes ?? []).equals(Buffer.from(t.data))).toBe(true);
          }
          expect(Object.entries(f.metadata).sort()).toEqual(Object.entries(metadata).sort());
        },
      ),
      { numRuns: RUNS.roundTrip },
    );
  });

  it(`mutated files: accepted (and decodable) or refused with a named safetensors error, nothing else (${RUNS.mutated} runs)`, () => {
    const base = writeSafetensors(
      [
        { name: 'a', dtype: 'F32', shape: [2, 3], data: new Float32Array(6).fill(1.5) },
        { name: '__proto__', dtype: 'F16', shape: [4], data: new Float32Array(4).fill(-2) },
        { name: 'b', dtype: 'BF16', shape: [1, 2], data: new Float32Array(2).fill(3) },
      ],
      { format: 'pt' },
    );
    const mutation = fc.oneof(
      // overwrite bytes anywhere (header length, JSON, data)
      fc
        .array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        })
        .map((edits) => {
          const b = base.slice();
          for (const [i, v] of edits) b[i] = v;
          return b;
        }),
      // cut the file
      fc.nat({ max: base.length }).map((n) => base.slice(0, n)),
      // a byte of the JSON header replaced by a printable character (keeps it JSON-ish more often)
      fc
        .tuple(
          fc.integer({ min: 8, max: 8 + new DataView(base.buffer).getUint32(0, true) - 1 }),
          fc.constantFrom(...'{}[]",:0123456789-eE. aFB_'.split('')),
        )
        .map(([i, ch]) => {
          const b = base.slice();
          b[i] = ch.charCodeAt(0);
          return b;
        }),
      // bytes appended
      fc.uint8Array({ minLength: 1, maxLength: 16 }).map((tail) => new Uint8Array([...base, ...tail])),
    );
    fc.assert(
      fc.property(mutation, (bytes) => {
        let f: ReturnType<typeof parse>;
        try {
          f = parse(bytes, 'm.safetensors');
        } catch (e) {
          expect(e).toBeInstanceOf(DropLabError);
          expect(SAFETENSORS_ERRORS).toContain((e as Error).name);
          expect((e as Error).message).toContain('m.safetensors');
          return;
        }
        for (const [name, t] of f.tensors) {
          try {
            const v = decodeToFloat32(t, name);
            expect(v.length).toBe(t.shape.reduce((a, b) => a * b, 1));
          } catch (e) {
            expect((e as Error).name, String(e)).toBe('SafetensorsDtypeError');
          }
        }
      }),
      { numRuns: RUNS.mutated },
    );
  });
});

/** Values a config key might hold in a damaged or hostile config.json. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NaN,
    -0,
    2 ** 53,
    1e308,
    0.5,
    -1,
    0,
    null,
    [],
    {},
  ),
  fc.integer({ min: -5, max: 5000 }),
  fc.double(),
);
const KEYS = [
  'model_type',
  'architectures',
  'hidden_size',
  'n_embd',
  'num_hidden_layers',
  'n_layer',
  'num_attention_heads',
  'n_head',
  'num_key_value_heads',
  'head_dim',
  'intermediate_size',
  'n_inner',
  'vocab_size',
  'max_position_embeddings',
  'n_positions',
  'rms_norm_eps',
  'layer_norm_epsilon',
  'hidden_act',
  'activation_function',
  'rope_theta',
  'rope_scaling',
  'rope_parameters',
  'tie_word_embeddings',
  'bos_token_id',
  'eos_token_id',
  'attention_bias',
  'mlp_bias',
  'scale_attn_weights',
  'scale_attn_by_inverse_layer_idx',
  'sliding_window',
  '__proto__',
  'constructor',
];

function expectNamedOrSpec(config: unknown): void {
  try {
    const spec = specFromConfig(config);
    expect(spec.numLayers).toBeGreaterThan(0);
    expect(Number.isFinite(spec.ropeTheta)).toBe(true);
  } catch (e) {
    if (!(e instanceof ConfigError || e instanceof UnsupportedArchitectureError)) throw e;
    expect(e.message).not.toMatch(/undefined or null|is not iterable|Cannot read|got null\b/);
  }
}

describe('config.json normalization (fast-check)', () => {
  it(`any object of config keys: a spec or ConfigError / UnsupportedArchitectureError, nothing else (${RUNS.config} runs)`, () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), anyValue, { maxKeys: 14 }),
        fc.constantFrom('llama', 'mistral', 'qwen2', 'gpt2', 'bert', undefined),
        (cfg, modelType) => expectNamedOrSpec(modelType ? { ...cfg, model_type: modelType } : cfg),
      ),
      { numRuns: RUNS.config },
    );
  });

  it(`a valid config with a few keys changed: a spec or a named error (${RUNS.configFromValid} runs)`, () => {
    const valid = ['llama-gqa', 'gpt2', 'qwen2', 'mistral'].map((v) => tinyModel(v as 'gpt2').config);
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.dictionary(fc.constantFrom(...KEYS), anyValue, { minKeys: 1, maxKeys: 3 }),
        (base, patch) => expectNamedOrSpec(JSON.parse(JSON.stringify({ ...base, ...patch }))),
      ),
      { numRuns: RUNS.configFromValid },
    );
  });

  it('the JSON text itself: non-objects and 1e400 are named errors', () => {
    for (const text of ['null', '[]', '"x"', '3', '{"model_type":"llama","rope_theta":1e400}'])
      expectNamedOrSpec(JSON.parse(text));
  });
});
