/** The sublayer heatmap panel: metric switch, colour scale, the heatmap itself (click to drop). */
import { useMemo } from 'react';
import { dropKey } from '../../state/drops';
import { ChartFrame } from '../charts/ChartFrame';
import { ColorScale } from '../charts/ColorScale';
import { SublayerExport } from '../chart-export/panel-exports';
import { useController, useWorkbench } from '../context';
import { useLab } from '../lab/use-lab';
import { MetricSwitch } from './MetricSwitch';
import { sublayerHeatmapData } from './metric-data';
import { SublayerHeatmap } from './SublayerHeatmap';

export function SublayerPanel() {
  const controller = useController();
  const lab = useLab();
  const metric = useWorkbench((s) => s.ui.metric);
  const info = useWorkbench((s) => s.model.info);
  const modelStatus = useWorkbench((s) => s.model.status);
  const drops = useWorkbench((s) => s.drops.current);
  const analyses = useWorkbench((s) => s.results.analyses);
  const dropOnes = useWorkbench((s) => s.results.dropOnes);
  const task = useWorkbench((s) => s.results.task);
  const scale = useWorkbench((s) => s.ui.colorScale);
  const setScale = useWorkbench((s) => s.setColorScale);
  const L = info?.spec.numLayers ?? 0;

  const { data, stale } = useMemo(() => {
    const key = dropKey(drops);
    const exact = analyses[key];
    const all = Object.values(analyses);
    const analysis = exact ?? all[all.length - 1] ?? null;
    const d = sublayerHeatmapData(metric, L, drops, analysis, dropOnes[key] ?? null, scale);
    return { data: d, stale: !exact && !!analysis && metric !== 'dnll' };
  }, [metric, L, drops, analyses, dropOnes, scale]);

  const empty = !info
    ? modelStatus === 'error'
      ? 'No model loaded.'
      : 'Loading the model…'
    : Object.keys(analyses).length === 0
      ? 'Measuring every sublayer…'
      : null;

  const note =
    metric === 'dnll' && data.pending
      ? task?.name === 'dropOne'
        ? `measuring the perplexity of every single further drop${task.progress ? ` (${task.progress.done} of ${task.progress.total} sublayer runs)` : ''}…`
        : 'drop-one results follow the current perplexity…'
      : stale
        ? 'updating for the current drops…'
        : null;

  return (
    <ChartFrame
      id="sublayers"
      title="Sublayer importance"
      subtitle={data.description}
      stale={stale}
      empty={empty}
      actions={
        <>
          <MetricSwitch value={metric} onChange={(m) => controller.setMetric(m)} />
          <SublayerExport data={data} metric={metric} />
        </>
      }
    >
      <SublayerHeatmap
        data={data}
        disabled={!info}
        onToggle={(kind, layer) => (kind === 'block' ? controller.toggleBlock(layer) : controller.toggle(kind, layer))}
        onSelect={(kind, layer) => lab.fromHeatmap(kind, layer)}
      />
      <div className="legend-row">
        {/* No values yet (ΔNLL before its drop-one pass): no scale tied to nothing. */}
        {!data.pending && <ColorScale domain={data.domain} label={data.label} />}
        <label className="legend-item">
          <input
            type="checkbox"
            checked={scale === 'log'}
            onChange={(e) => setScale(e.target.checked ? 'log' : 'linear')}
          />
          log colour scale{scale === 'log' && !data.domain.log ? ' (not for values ≤ 0)' : ''}
        </label>
        <span className="legend-item">
          <svg width="18" height="14" aria-hidden="true">
            <rect width="18" height="14" rx="3" fill="#eef0f3" stroke="#c3c9d2" />
            <path d="M5 3 L13 11 M13 3 L5 11" stroke="#c92a2a" strokeWidth="2" />
          </svg>
          dropped
        </span>
        {note && <span className="legend-note">{note}</span>}
      </div>
    </ChartFrame>
  );
}
