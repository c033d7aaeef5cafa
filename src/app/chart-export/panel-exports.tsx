/** Export button groups for the workbench's heatmaps (one line in each panel's ChartFrame actions). */
import type { MetricView } from '../../state/share-link';
import type { SublayerHeatmapData } from '../heatmap/metric-data';
import type { MatrixData } from '../views/similarity-data';
import { matrixTable, sublayerTable } from './chart-data';
import { ChartExport } from './ChartExport';

export function SublayerExport({ data, metric }: { data: SublayerHeatmapData; metric: MetricView }) {
  return (
    <ChartExport
      chartId="sublayers"
      name={`sublayer-importance-${metric}`}
      title={`Sublayer importance: ${data.label}`}
      subtitle={`${data.description} Crossed-out cells are dropped.`}
      table={() => sublayerTable(data, metric)}
      disabled={data.pending}
    />
  );
}

export function MatrixExport(p: {
  chartId: 'similarity' | 'angular';
  title: string;
  subtitle: string;
  data: MatrixData | null;
  rowName: string;
  colName: string;
  valueName: string;
}) {
  return (
    <ChartExport
      chartId={p.chartId}
      name={p.chartId === 'similarity' ? 'layer-similarity' : 'angular-distance'}
      title={p.title}
      subtitle={p.subtitle}
      table={() => (p.data ? matrixTable(p.chartId, p.title, p.data, p.rowName, p.colName, p.valueName) : null)}
      disabled={!p.data}
    />
  );
}
