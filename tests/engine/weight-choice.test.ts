/** setWeightPrecision: the next loadModel holds the weights at that precision; null goes back to automatic. */
import { describe, expect, it } from 'vitest';
import { nodeEngine, threads } from '../../src/cli/ort-node';
import { tinyModel } from '../fixtures/tiny-models';

describe('Engine.setWeightPrecision', () => {
  it('applies to the next load, and undefined is the automatic choice again', async () => {
    const e = nodeEngine({ ...threads(1) });
    try {
      const tiny = tinyModel('llama-gqa');
      expect((await e.loadModel({ kind: 'local', name: 'tiny' }, tiny.files)).weights ?? 'fp32').toBe('fp32');
      e.setWeightPrecision('q8');
      expect((await e.loadModel({ kind: 'local', name: 'tiny' }, tiny.files)).weights).toBe('q8');
      e.setWeightPrecision(undefined);
      expect((await e.loadModel({ kind: 'local', name: 'tiny' }, tiny.files)).weights ?? 'fp32').toBe('fp32');
    } finally {
      await e.dispose();
    }
  });
});
