/**
 * One button group per chart: PNG, SVG (the chart as drawn, styles inlined, with title, legend and what
 * it was measured on), CSV and JSON (its numbers). Put it in ChartFrame's `actions`.
 */
import { useState } from 'react';
import { describeDrops, dropKey, NO_DROPS } from '../../state/drops';
import type { WorkbenchState } from '../../state/store';
import { useWorkbenchStore } from '../context';
import { formatInt } from '../format';
import { type ChartMeta, type ChartTable, tableCsv, tableJson } from './chart-data';
import { chartSvgs, downloadBlob, fileName, standaloneSvg, svgToPng } from './dom-export';
import { composeSvg, type LegendItem, type SvgPart } from './svg-compose';

export interface ChartExportProps {
  /** The ChartFrame's id (data-chart). */
  chartId: string;
  /** File name stem, e.g. "sublayer-importance". */
  name: string;
  title: string;
  subtitle?: string;
  legend?: LegendItem[];
  /** The numbers; null while there are none. */
  table: () => ChartTable | null;
  /** The picture's parts, when they are not the frame's own <svg>s (the per-token view). */
  parts?: () => SvgPart[];
  disabled?: boolean;
}

function textLabel(s: WorkbenchState): string | null {
  const t = s.data.text;
  if (t.kind === 'bundled') return s.data.bundledTexts.find((x) => x.id === t.id)?.title ?? t.id;
  return t.kind === 'upload' ? `uploaded text ${t.name}` : 'pasted text';
}

export function chartMeta(s: WorkbenchState): ChartMeta {
  const info = s.data.info;
  const ev = s.results.evals[dropKey(s.drops.current)] ?? s.results.evals[dropKey(NO_DROPS)];
  return {
    model: s.model.info?.name ?? null,
    text: textLabel(s),
    seqLen: info?.seqLen ?? null,
    windows: info?.windows ?? null,
    predictedTokens: ev?.tokens ?? info?.predictedTokens ?? null,
    drops: s.drops.current,
  };
}

export function metaLine(m: ChartMeta): string {
  const parts = ['DropLab'];
  if (m.model) parts.push(m.model);
  if (m.text) parts.push(m.text);
  if (m.windows && m.seqLen)
    parts.push(
      `${m.windows} × ${m.seqLen}-token windows${m.predictedTokens ? ` (${formatInt(m.predictedTokens)} predicted tokens)` : ''}`,
    );
  parts.push(`dropped: ${describeDrops(m.drops)}`);
  parts.push(new Date().toISOString().slice(0, 10));
  return parts.join(' · ');
}

type Format = 'png' | 'svg' | 'csv' | 'json';

export function ChartExport({ chartId, name, title, subtitle, legend, table, parts, disabled }: ChartExportProps) {
  // The store is read when a button is pressed, not on every change.
  const store = useWorkbenchStore();
  const [busy, setBusy] = useState<Format | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async (f: Format) => {
    setError(null);
    setBusy(f);
    try {
      const s = store.getState();
      const meta = chartMeta(s);
      const file = (ext: string) => fileName([meta.model, name], ext);
      if (f === 'csv' || f === 'json') {
        const t = table();
        if (!t) throw new Error('Nothing to export yet.');
        const body = f === 'csv' ? tableCsv(t) : tableJson(t, meta);
        downloadBlob(file(f), new Blob([body], { type: f === 'csv' ? 'text/csv;charset=utf-8' : 'application/json' }));
        return;
      }
      const svgParts = parts ? parts() : chartSvgs(chartId).map(standaloneSvg);
      if (!svgParts.length) throw new Error('Nothing to export yet.');
      const doc = composeSvg({ title, subtitle, legend, parts: svgParts, footer: metaLine(meta) });
      if (f === 'svg') downloadBlob(file('svg'), new Blob([doc.svg], { type: 'image/svg+xml' }));
      else downloadBlob(file('png'), await svgToPng(doc.svg, doc.width, doc.height));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    // biome-ignore lint/a11y/useSemanticElements: a toolbar-like group of buttons in a panel header, not a form section
    <div className="export-group" role="group" aria-label={`Download ${title}`} data-testid={`export-${chartId}`}>
      <span className="export-label" aria-hidden="true">
        <svg width="13" height="13" viewBox="0 0 16 16" aria-hidden="true">
          <path
            d="M8 1.5v8.5M4.5 6.5 8 10l3.5-3.5M2 12.5v2h12v-2"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.6"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </svg>
      </span>
      {(['png', 'svg', 'csv', 'json'] as const).map((f) => (
        <button
          key={f}
          type="button"
          className="export-button"
          disabled={disabled || busy !== null}
          onClick={() => void run(f)}
          title={
            f === 'png' || f === 'svg'
              ? `Download the chart as ${f.toUpperCase()}`
              : `Download its numbers as ${f.toUpperCase()}`
          }
          aria-label={`${title}: download ${f.toUpperCase()}`}
          data-format={f}
        >
          {f.toUpperCase()}
        </button>
      ))}
      {error && (
        <span className="export-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
