/**
 * The tour's heatmap sentence follows the drops on screen (issue 10 item 2): it quoted the full model's
 * least important attention layer while that layer was shown as dropped.
 */
import { describe, expect, it } from 'vitest';
import { heatmapFact } from '../../src/app/classroom/TourCard';
import { shareUrl } from '../../src/app/share/CopyLinkButton';

const L = 4;
const full = { attn: [0.5, 0.01, 0.02, 0.03], mlp: [0.9, 0.2, 0.1, 0.05], block: [0, 0, 0, 0] };

describe('the tour quotes what the heatmap shows', () => {
  it('nothing dropped: the full model', () => {
    expect(heatmapFact(full as never, { attn: [], mlp: [] })).toBe(
      'In this model, the least important attention sublayer is layer 1 (0.01); the most important sublayer is MLP 0 (0.9).',
    );
  });

  it('never names a dropped sublayer, and says the drops', () => {
    // The current configuration's analysis: dropped sublayers are blank (NaN) there, others change a little.
    const current = { attn: [0.52, Number.NaN, 0.025, 0.031], mlp: [Number.NaN, 0.21, 0.1, 0.06], block: [0, 0, 0, 0] };
    const fact = heatmapFact(current as never, { attn: [1], mlp: [0] });
    expect(fact).toBe(
      'With attention 1 · MLP 0 dropped, the least important remaining attention sublayer is layer 2 (0.025); the most important remaining sublayer is attention 0 (0.52).',
    );
  });

  it('leaves out a dropped sublayer even if its value is still there, and says nothing before it is measured', () => {
    expect(heatmapFact(full as never, { attn: [1], mlp: [] })).toMatch(
      /least important remaining attention sublayer is layer 2 /,
    );
    expect(heatmapFact(null, { attn: [1], mlp: [] })).toBeNull();
    expect(
      heatmapFact({ attn: Array(L).fill(Number.NaN), mlp: Array(L).fill(Number.NaN), block: [] } as never, {
        attn: [0, 1, 2, 3],
        mlp: [0, 1, 2, 3],
      }),
    ).toBeNull();
  });
});

describe('Copy share link builds the link from the state', () => {
  it('keeps the page and its query flags and puts the hash of the experiment on screen', () => {
    expect(shareUrl('http://localhost:4173/?backend=wasm#v1&m=b:old', 'v2&m=b:droplab-byte-12l&c=1')).toBe(
      'http://localhost:4173/?backend=wasm#v2&m=b:droplab-byte-12l&c=1',
    );
    expect(shareUrl('https://x.org/app/', 'v1&m=b:a')).toBe('https://x.org/app/#v1&m=b:a');
  });
});
