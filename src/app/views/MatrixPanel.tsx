/**
 * The frame the layer-similarity and angular-distance views share: a ChartFrame around a MatrixHeatmap
 * of the shown analysis, with its PNG/SVG/CSV/JSON export. The chart id names the frame, the export and
 * the heatmap's test id (`${id}-heatmap`).
 */
import { useMemo } from 'react';
import type { AnalysisResult } from '../../engine/api';
import { MatrixExport } from '../chart-export/panel-exports';
import { ChartFrame } from '../charts/ChartFrame';
import { MatrixHeatmap, type MatrixHeatmapProps } from '../charts/MatrixHeatmap';
import type { MatrixData } from './similarity-data';
import { useShownAnalysis } from './use-shown-analysis';

export interface MatrixPanelProps {
  id: 'similarity' | 'angular';
  title: string;
  subtitle: string;
  /** The matrix of an analysis; a module-level function (it is a memo dependency). */
  dataOf(a: AnalysisResult): MatrixData;
  /** Row name: the heatmap's row title and the export's row header. */
  rowName: string;
  /** Column name in the export; also the heatmap's column title unless `colTitle` says more. */
  colName: string;
  colTitle?: string;
  /** Name of the value: the heatmap's legend and the export's value header. */
  valueName: string;
  describe: MatrixHeatmapProps['describe'];
}

export function MatrixPanel(p: MatrixPanelProps) {
  const shown = useShownAnalysis();
  const { dataOf } = p;
  const data = useMemo(() => (shown ? dataOf(shown.analysis) : null), [shown, dataOf]);
  return (
    <ChartFrame
      id={p.id}
      title={p.title}
      subtitle={p.subtitle}
      actions={
        <MatrixExport
          chartId={p.id}
          title={p.title}
          subtitle={p.subtitle}
          data={data}
          rowName={p.rowName}
          colName={p.colName}
          valueName={p.valueName}
        />
      }
      stale={shown?.stale}
      empty={data ? null : 'Appears once the model is measured.'}
    >
      {data && (
        <MatrixHeatmap
          testId={`${p.id}-heatmap`}
          values={data.values}
          rowLabels={data.rowLabels}
          colLabels={data.colLabels}
          rowTitle={p.rowName}
          colTitle={p.colTitle ?? p.colName}
          domain={data.domain}
          valueLabel={p.valueName}
          describe={p.describe}
        />
      )}
    </ChartFrame>
  );
}
