/** Heatmap accessibility (server-rendered): names read once, the matrix grid's structure and tab stop. */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { MatrixHeatmap } from '../../src/app/charts/MatrixHeatmap';
import { cellLabel, heatmapRows } from '../../src/app/heatmap/SublayerHeatmap';
import type { HeatmapRow } from '../../src/app/heatmap/metric-data';

const row = (over: Partial<HeatmapRow>): HeatmapRow =>
  ({
    kind: 'attn',
    label: 'Attention',
    values: [0.5, null, 0.25],
    dropped: [false, true, false],
    partial: [false, false, false],
    ...over,
  }) as HeatmapRow;

describe('sublayer heatmap cell names', () => {
  it('say each fact once', () => {
    const r = row({});
    expect(cellLabel(r, 1, 'LLM-Drop importance')).toBe('Attention 1: dropped. Press to restore.');
    expect(cellLabel(r, 0, 'LLM-Drop importance')).toBe('Attention 0: LLM-Drop importance 0.5. Press to drop.');
    const b = row({ kind: 'block', label: 'Block', dropped: [false, false, false], partial: [false, true, false] });
    expect(cellLabel(b, 1, 'Block influence')).toMatch(
      /^Block 1: Block influence .*, partly dropped\. Press to drop\.$/,
    );
    for (const label of [0, 1, 2]
      .map((l) => cellLabel(r, l, 'LLM-Drop importance'))
      .concat(cellLabel(b, 1, 'Block influence'))) {
      expect((label.match(/dropped/g) ?? []).length).toBeLessThanOrEqual(1);
      expect(label).not.toMatch(/\b(\w+)\W+\1\b/i); // no word twice in a row ("dropped, dropped")
    }
  });
  it('phones get taller rows', () => {
    expect(heatmapRows(true).rowH).toBeGreaterThan(heatmapRows(false).rowH);
  });
});

describe('matrix heatmap grid', () => {
  const values = [
    [1, 0.9, null],
    [0.9, 1, 0.8],
  ];
  const html = renderToStaticMarkup(
    <MatrixHeatmap
      values={values}
      rowLabels={['0', '1']}
      colLabels={['0', '1', '2']}
      rowTitle="row"
      colTitle="col"
      domain={{ min: 0.8, max: 1 }}
      valueLabel="Cosine similarity"
      describe={(r, c, v) => `cos(x${r}, x${c}) = ${v ?? 'none'}`}
      testId="m"
    />,
  );
  it('is a grid of rows of named gridcells with one tab stop', () => {
    expect(html).toContain('role="grid"');
    expect(html.match(/role="row"/g)).toHaveLength(2);
    expect(html.match(/role="gridcell"/g)).toHaveLength(6);
    expect(html.match(/tabindex="0"/g)).toHaveLength(1);
    expect(html.match(/tabindex="-1"/g)).toHaveLength(5);
    expect(html).toContain('aria-label="cos(x1, x2) = 0.8"');
    expect(html).toContain('aria-label="cos(x0, x2) = none"');
    expect(html).not.toContain('<title>');
  });
  it('hides the axis labels from screen readers (the cells name their row and column) and has no live readout', () => {
    expect(html).toMatch(/<g aria-hidden="true"><text/);
    expect(html).not.toContain('aria-live');
    expect(html).toContain('Hover a cell for its cosine similarity');
  });
});
