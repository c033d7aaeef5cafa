/** The engine's planner picks what a brute-force float64 ranking picks (LLM-Drop's rule), for every target. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan64 } from '../reference/metrics64';
import { type Fixture, fixture } from './setup';

describe('planner vs brute-force reference', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture('llama-tied', 'onnxruntime-node', 12, 3);
  });
  afterAll(async () => f.engine.dispose());

  for (const target of ['attn', 'mlp', 'block', 'joint'] as const) {
    for (const iterative of [false, true]) {
      for (const norm of [true, false]) {
        it(`${target} ${iterative ? 'iterative' : 'one-shot'} norm=${norm}`, async () => {
          const req = { target, n: 2, iterative, norm };
          const got = await f.engine.plan(req);
          const ref = plan64(f.ref, f.windows, req);
          expect(got.drop).toEqual(ref.drop);
          expect(got.steps.map((s) => s.chosen)).toEqual(ref.steps.map((s) => s.chosen));
          expect(got.steps).toHaveLength(iterative ? 2 : 1);
        });
      }
    }
  }

  it('joint ranking mixes attention and MLP scores in one list', async () => {
    const L = f.ref.spec.numLayers;
    const got = await f.engine.plan({ target: 'joint', n: 2 * L - 1, iterative: false });
    expect(got.drop.attn.length + got.drop.mlp.length).toBe(2 * L - 1);
    expect(got.drop.attn.length).toBeGreaterThan(0);
    expect(got.drop.mlp.length).toBeGreaterThan(0);
  });

  it('asking for more than can be dropped is refused', async () => {
    await expect(
      f.engine.plan({ target: 'attn', n: f.ref.spec.numLayers + 1, iterative: false }),
    ).rejects.toMatchObject({ code: 'DROP_CONFIG_INVALID' });
  });
});
