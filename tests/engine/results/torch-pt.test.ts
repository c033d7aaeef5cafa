/**
 * .pt files written by real PyTorch (tests/fixtures/torch-pt/make.py, Debian's python3-torch 1.13):
 * the values come back as PyTorch wrote them (values.json, written by Python), and everything that is
 * not one 1-D float tensor is refused with an ImportError that says why, without running anything.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImportError } from '../../../src/engine/errors';
import { PickleError, readPickle } from '../../../src/engine/results/pickle';
import { readTorchVector } from '../../../src/engine/results/torch-pt';

const DIR = join(__dirname, '../../fixtures/torch-pt');
const bytes = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const expected = JSON.parse(readFileSync(join(DIR, 'values.json'), 'utf8')).files as Record<string, (number | null)[]>;

describe('readTorchVector on torch.save files', () => {
  const cases: [string, string][] = [
    ['llama_all_attn_similarities.pt', 'float32'],
    ['llama_all_mlp_similarities.pt', 'float32'],
    ['sims_fp16_attn.pt', 'float16'],
    ['sims_bf16_mlp.pt', 'bfloat16'],
    ['strided_attn.pt', 'float32'],
  ];
  for (const [name, dtype] of cases) {
    it(`${name}: ${dtype} values equal what PyTorch wrote`, () => {
      const v = readTorchVector(bytes(name), name);
      expect(v.dtype).toBe(dtype);
      const want = expected[name];
      expect(v.values.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        if (want[i] === null) expect(v.values[i]).toBe(Number.NEGATIVE_INFINITY);
        // values.json holds the float32 value as a Python float: exact.
        else expect(v.values[i]).toBe(want[i]);
      }
    });
  }

  const refused: [string, RegExp][] = [
    ['matrix.pt', /2-D tensor of shape \[3, 4\]/],
    ['ints.pt', /holds a Long tensor/],
    ['dict.pt', /not a tensor|1-D float tensor/],
    ['ordered.pt', /1-D float tensor/],
    ['evil.pt', /posix\.system|os\.system|not part of a tensor/],
    ['truncated_mlp.pt', /damaged or truncated zip/],
  ];
  for (const [name, message] of refused) {
    it(`${name} is refused with a specific message`, () => {
      let err: unknown;
      try {
        readTorchVector(bytes(name), name);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ImportError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(name);
    });
  }

  it('a file that is not a zip, and the legacy pickle format, are told apart', () => {
    expect(() => readTorchVector(new TextEncoder().encode('{"a": 1}'), 'x.pt')).toThrow(/not a zip archive/);
    expect(() => readTorchVector(new Uint8Array([0x80, 0x02, 0x8a, 0x0a]), 'old.pt')).toThrow(
      /old \(pre-1\.6\) format/,
    );
  });
});

describe('readPickle never calls what it reads', () => {
  it('a REDUCE of an allowed global is a record, not a call', () => {
    // PROTO 2, GLOBAL collections OrderedDict, EMPTY_TUPLE, REDUCE, STOP
    const p = new Uint8Array([0x80, 2, ...new TextEncoder().encode('ccollections\nOrderedDict\n'), 0x29, 0x52, 0x2e]);
    expect(readPickle(p, new Set(['collections.OrderedDict']))).toEqual({
      py: 'call',
      fn: { py: 'global', module: 'collections', name: 'OrderedDict' },
      args: [],
    });
    expect(() => readPickle(p, new Set())).toThrow(PickleError);
  });
  it('unknown opcodes and truncation are errors', () => {
    expect(() => readPickle(new Uint8Array([0x80, 2, 0x69]), new Set())).toThrow(/instruction 0x69/);
    expect(() => readPickle(new Uint8Array([0x80, 2, 0x4a, 1]), new Set())).toThrow(/ends in the middle/);
  });
});
