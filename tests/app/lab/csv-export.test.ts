/** The CSV writer, the chart tables and the standalone SVG composition (pure modules of chart export). */
import { describe, expect, it } from 'vitest';
import {
  curvesTable,
  matrixTable,
  sublayerTable,
  tableCsv,
  tableJson,
  tokensTable,
} from '../../../src/app/chart-export/chart-data';
import { csvCell, parseCsv, toCsv } from '../../../src/app/chart-export/csv';
import { fileName } from '../../../src/app/chart-export/dom-export';
import { composeSvg, escapeXml, wrapText } from '../../../src/app/chart-export/svg-compose';
import { sublayerHeatmapData } from '../../../src/app/heatmap/metric-data';
import { assembleCurves, currentMark } from '../../../src/state/curves';
import { dropKey } from '../../../src/state/drops';
import { ev } from './setup';

describe('CSV writer', () => {
  it('quotes only what needs quoting, doubles quotes, ends lines with CRLF', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\r')).toBe('"cr\r"');
    expect(csvCell(' padded')).toBe('" padded"');
    expect(csvCell('')).toBe('');
    expect(toCsv(['a', 'b'], [[1, 'x']])).toBe('a,b\r\n1,x\r\n');
  });

  it('writes numbers exactly, non-finite numbers and missing values as empty fields', () => {
    expect(csvCell(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(Number(csvCell(1 / 3))).toBe(1 / 3);
    expect(csvCell(-2.5e-7)).toBe('-2.5e-7');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(Number.POSITIVE_INFINITY)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(true)).toBe('true');
  });

  it('defuses text a spreadsheet would run as a formula (numbers stay numbers)', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@sum')).toBe("'@sum");
    expect(csvCell('-x')).toBe("'-x");
    expect(csvCell(-1)).toBe('-1');
  });

  it('round-trips through the parser, whatever the text', () => {
    const rows = [
      ['a', 'b,c', 'd"e', 'f\ng', ''],
      ['ünïcødé ✓', 'x\r\ny', ',,', '"', ' x '],
    ];
    const parsed = parseCsv(toCsv(['h1', 'h2', 'h3', 'h4', 'h5'], rows));
    expect(parsed).toEqual([['h1', 'h2', 'h3', 'h4', 'h5'], ...rows]);
  });
});

describe('chart tables', () => {
  it('sublayer heatmap: one row per layer, value and dropped flag per sublayer kind', () => {
    const analysis = {
      drop: { attn: [1], mlp: [] },
      importance: {
        attn: [0.2, Number.NaN, 0.01],
        mlp: [0.5, 0.1, 0.02],
        block: [0.6, 0.1, 0.03],
        attnNoNorm: [1, 1, 1],
        mlpNoNorm: [1, 1, 1],
      },
      similarity: [],
      angular: [],
      eval: ev([1], [], 12),
    };
    const d = sublayerHeatmapData('cosine', 3, { attn: [1], mlp: [] }, analysis, null, 'log');
    const t = sublayerTable(d, 'cosine');
    const csv = parseCsv(tableCsv(t));
    expect(csv[0]).toEqual(['layer', 'attention', 'attention_dropped', 'mlp', 'mlp_dropped']);
    expect(csv.slice(1)).toEqual([
      ['0', '0.2', 'false', '0.5', 'false'],
      ['1', '', 'true', '0.1', 'false'],
      ['2', '0.01', 'false', '0.02', 'false'],
    ]);
    const json = JSON.parse(
      tableJson(
        t,
        { model: 'm', text: 't', seqLen: 64, windows: 2, predictedTokens: 126, drops: { attn: [1], mlp: [] } },
        'now',
      ),
    );
    expect(json).toMatchObject({
      chart: 'sublayers',
      metric: 'cosine',
      model: 'm',
      seqLen: 64,
      drops: { attn: [1], mlp: [] },
      generated: 'now',
      colorScale: 'log',
    });
    expect(json.values.attn).toEqual([0.2, null, 0.01]);
    expect(json.dropped.attn).toEqual([false, true, false]);
  });

  it('matrices: a header of column labels and one row per row label', () => {
    const t = matrixTable(
      'similarity',
      'Layer similarity',
      {
        values: [
          [1, 0.5],
          [0.5, null],
        ],
        rowLabels: ['0', '1'],
        colLabels: ['0', '1'],
        domain: { min: 0, max: 1 },
      },
      'x_i',
      'x_j',
      'cos',
    );
    expect(parseCsv(tableCsv(t))).toEqual([
      ['x_i \\ x_j', '0', '1'],
      ['0', '1', '0.5'],
      ['1', '0.5', ''],
    ]);
    expect(t.json.values).toEqual([
      [1, 0.5],
      [0.5, null],
    ]);
  });

  it('curves: one row per point with its drops, the current configuration in the JSON', () => {
    const rankings = {
      attn: [
        { kind: 'attn' as const, layer: 2 },
        { kind: 'attn' as const, layer: 0 },
      ],
    };
    const evals = Object.fromEntries(
      [ev([], [], 10), ev([2], [], 11), ev([0, 2], [], 20)].map((e) => [dropKey(e.drop), e]),
    );
    const series = assembleCurves(rankings, evals, 2, 2);
    const mark = currentMark(series, { attn: [2], mlp: [] }, evals[dropKey({ attn: [2], mlp: [] })], null, 64);
    const t = curvesTable(series, mark, 10);
    const csv = parseCsv(tableCsv(t));
    expect(csv[0]).toEqual([
      'strategy',
      'n',
      'sublayers_dropped',
      'params_removed_pct',
      'perplexity',
      'mean_nll',
      'change_pct',
      'tokens',
      'drop_attn',
      'drop_mlp',
    ]);
    const attnRows = csv.slice(1).filter((r) => r[0] === 'attn');
    expect(attnRows.map((r) => [r[1], r[4], r[8]])).toEqual([
      ['0', '10', ''],
      ['1', '11', '2'],
      ['2', '20', '0 2'],
    ]);
    expect(Number(attnRows[2][6])).toBeCloseTo(100, 10);
    expect(t.json.current).toMatchObject({ sublayers: 1, perplexity: 11, on: [{ strategy: 'attn', n: 1 }] });
  });

  it('tokens: position, token text exactly (formula-looking text defused in the CSV only), delta', () => {
    const t = tokensTable({
      kind: 'mlp',
      layer: 3,
      tokens: ['A', ',', '=1+1', '"q"\n'],
      delta: [0.5, 0.01, 0.2, Number.NaN],
    });
    expect(parseCsv(tableCsv(t))).toEqual([
      ['position', 'token', 'delta'],
      ['0', 'A', '0.5'],
      ['1', ',', '0.01'],
      ['2', "'=1+1", '0.2'],
      ['3', '"q"\n', ''],
    ]);
    const json = JSON.parse(
      tableJson(t, {
        model: null,
        text: null,
        seqLen: null,
        windows: null,
        predictedTokens: null,
        drops: { attn: [], mlp: [] },
      }),
    );
    expect(json.tokens).toEqual(['A', ',', '=1+1', '"q"\n']);
    expect(json.delta).toEqual([0.5, 0.01, 0.2, null]);
    expect(json.sublayer).toEqual({ kind: 'mlp', layer: 3 });
  });
});

describe('standalone SVG', () => {
  it('escapes text and drops characters XML cannot hold', () => {
    expect(escapeXml(`<a href="x">&'\u0001`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;');
  });

  it('wraps words greedily', () => {
    expect(wrapText('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrapText('averyveryverylongword x', 5)).toEqual(['averyveryverylongword', 'x']);
  });

  it('stacks the parts under a title, legend and footer, on a white page', () => {
    const part = {
      markup: '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="100"><rect width="10" height="10"/></svg>',
      width: 300,
      height: 100,
    };
    const doc = composeSvg({
      title: 'T <&>',
      subtitle: 'sub',
      footer: 'DropLab · m',
      legend: [
        { label: 'Attention drop', color: '#0072B2' },
        { label: 'current', color: '#000', shape: 'ring' },
      ],
      parts: [part, part],
    });
    expect(doc.svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(
      true,
    );
    expect(doc.svg).toContain('T &lt;&amp;&gt;');
    expect(doc.svg.match(/<svg /g)).toHaveLength(3);
    expect(doc.svg).toContain('Attention drop');
    expect(doc.width).toBeGreaterThanOrEqual(520);
    expect(doc.height).toBeGreaterThan(200 + 26);
    expect(doc.svg).toContain(`width="${doc.width}" height="${doc.height}"`);
  });

  it('file names keep to safe characters', () => {
    expect(fileName(['HuggingFaceTB/SmolLM2-135M', 'per-token attn3'], 'png')).toBe(
      'HuggingFaceTB-SmolLM2-135M_per-token-attn3.png',
    );
    expect(fileName([null, '../../etc'], 'csv')).toBe('etc.csv');
    expect(fileName([], 'svg')).toBe('droplab-chart.svg');
  });
});
